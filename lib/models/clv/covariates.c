/* Static covariates of the purchase models, in the form of CLVTools
 * (Meierer, Bachmann and Naef; after Fader and Hardie 2007, "Incorporating
 * time-invariant covariates into the Pareto/NBD and BG/NBD models"): the
 * effects named by the model's parameters, coded from the dataset's
 * attribute columns, each customer's parameters from them, and the
 * effects as lines of the saved state. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/clv/internal.h"

void seg__clv_cov_free(seg__clv_cov *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        seg__free(c->e[i].column);
        seg__free(c->e[i].level);
        seg__free(c->e[i].name);
        seg__free(c->e[i].se_name);
    }
    seg__free(c->e);
    seg__free(c->vcov);
    seg__free(c);
}

bool seg__clv_cov_keep_vcov(seg__clv_cov *cov, const double *C, int nt,
                            bool ok)
{
    seg__free(cov->vcov);
    cov->vcov = NULL;
    cov->nvcov = 0;
    if (!ok)
        return true;
    size_t nn = (size_t)nt * (size_t)nt;
    if (!(cov->vcov = seg__malloc(nn * sizeof *cov->vcov)))
        return false;
    memcpy(cov->vcov, C, nn * sizeof *C);
    cov->nvcov = nt;
    return true;
}

void seg__clv_cov_signs(int kind, double sign[SEG__NP][2])
{
    memset(sign, 0, sizeof(double[SEG__NP][2]));
    /* alpha_i = alpha exp(-eta_trans) in both families; Pareto/NBD:
     * beta_i = beta exp(-eta_life); BG/NBD: a_i = a exp(eta_life) and
     * b_i = b exp(eta_life) (CLVTools' bgnbd_staticcov_a_i, _b_i) */
    sign[1][0] = -1;
    if (kind == SEG__CLV_PNBD) {
        sign[3][1] = -1;
    } else {
        sign[2][1] = 1;
        sign[3][1] = 1;
    }
}

void seg__clv_cov_apply(int kind, const seg__clv_cov *c, const double *p,
                        const double *gamma, const double *z, double *q)
{
    double eta[2] = {0, 0}, sign[SEG__NP][2];
    int k = 0;
    for (size_t i = 0; i < c->n; i++) {
        int proc = c->e[i].proc;
        if (proc == SEG__COV_REF)
            continue;
        if (proc & SEG__COV_TRANS)
            eta[0] += gamma[k] * z[k];
        if (proc & SEG__COV_LIFE)
            eta[1] += gamma[k] * z[k];
        k++;
    }
    seg__clv_cov_signs(kind, sign);
    for (int j = 0; j < SEG__NP; j++)
        q[j] = p[j] * exp(sign[j][0] * eta[0] + sign[j][1] * eta[1]);
}

static const char *const proc_word[4] = {"ref", "trans", "life", "constr"};

/* One more entry at the end of c. */
static int add_entry(seg__clv_cov *c, const char *column, size_t clen,
                     const char *level, int proc)
{
    seg__clv_effect *e = seg__realloc(c->e, (c->n + 1) * sizeof *e);
    if (!e)
        return SEG_ENOMEM;
    c->e = e;
    e = &c->e[c->n];
    memset(e, 0, sizeof *e);
    c->n++;
    e->proc = proc;
    e->gamma = 0;
    e->se = NAN;
    e->column = seg__strndup(column, clen);
    e->level = level ? seg__strndup(level, strlen(level)) : NULL;
    if (!e->column || (level && !e->level))
        return SEG_ENOMEM;
    if (proc == SEG__COV_REF)
        return SEG_OK;
    size_t len = strlen(proc_word[proc]) + clen + 8 +
                 (level ? strlen(level) + 1 : 0);
    e->name = seg__malloc(len);
    e->se_name = seg__malloc(len + 3);
    if (!e->name || !e->se_name)
        return SEG_ENOMEM;
    snprintf(e->name, len, "%s.%s%s%s", proc_word[proc], e->column,
             level ? "=" : "", level ? level : "");
    snprintf(e->se_name, len + 3, "se.%s", e->name);
    c->k++;
    return SEG_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The entries of one attribute on one process: a numeric column is one
 * effect; a label column its reference level (the first in byte order)
 * and an indicator for each other level that some customer has. */
static int add_column(const seg_model *m, const char *param,
                      const seg_dataset *ds, const char *name, size_t len,
                      int proc, seg__clv_cov *c)
{
    char *col_name = seg__strndup(name, len);
    if (!col_name)
        return seg__nomem(NULL);
    const seg__column *col = seg__ds_find_column(ds, col_name);
    seg__free(col_name);
    if (!col)
        return seg__model_error(m, SEG_ENOTFOUND, "%s: no attribute column "
                                "'%.*s'", param, (int)len, name);
    if (col->type == SEG_COLUMN_NUMERIC)
        return add_entry(c, name, len, NULL, proc) ? seg__nomem(NULL)
                                                   : SEG_OK;
    size_t n = seg__ds_n(ds), nl = col->labels.n;
    bool *used = seg__calloc(nl ? nl : 1, sizeof *used);
    const char **lv = seg__malloc((nl ? nl : 1) * sizeof *lv);
    int rc = used && lv ? SEG_OK : seg__nomem(NULL);
    size_t nu = 0;
    for (size_t i = 0; i < n && !rc && i < col->n; i++)
        if (col->lab[i])
            used[col->lab[i] - 1] = true;
    for (size_t j = 0; j < nl && !rc; j++)
        if (used[j])
            lv[nu++] = col->labels.pool + col->labels.off[j];
    if (!rc && nu < 2)
        rc = seg__model_error(m, SEG_ERANGE, "%s: '%.*s' has %s level: "
                              "nothing to compare", param, (int)len, name,
                              nu ? "a single" : "no");
    if (!rc) {
        qsort(lv, nu, sizeof *lv, cmp_str);
        for (size_t j = 0; j < nu && !rc; j++)
            if (add_entry(c, name, len, lv[j], j ? proc : SEG__COV_REF))
                rc = seg__nomem(NULL);
    }
    seg__free(used);
    seg__free(lv);
    return rc;
}

/* Whether the comma-separated list has the name. */
static bool list_has(const char *list, const char *name, size_t len)
{
    const char *s = list;
    while (*s) {
        const char *comma = strchr(s, ',');
        const char *e = comma ? comma : s + strlen(s);
        const char *a = s, *b = e;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        if ((size_t)(b - a) == len && memcmp(a, name, len) == 0)
            return true;
        s = comma ? comma + 1 : e;
    }
    return false;
}

int seg__clv_cov_design(const seg_model *m, int kind, const seg_dataset *ds,
                        seg__clv_cov **out)
{
    static const char *const params[3] = {
        "trans_covariates", "life_covariates", "covariates_constrained"};
    static const int procs[3] = {SEG__COV_TRANS, SEG__COV_LIFE,
                                 SEG__COV_BOTH};
    const char *lists[3];
    bool any = false;
    *out = NULL;
    for (int l = 0; l < 3; l++) {
        lists[l] = seg__param_str(m, params[l]);
        any = any || (lists[l] && *lists[l]);
    }
    if (!any)
        return SEG_OK;
    if (kind != SEG__CLV_BGNBD && kind != SEG__CLV_MBGNBD &&
        kind != SEG__CLV_PNBD)
        return seg__model_error(m, SEG_EINVAL, "%s: covariates are for "
                                "bgnbd, mbgnbd and pareto_nbd",
                                seg_model_name(m));
    seg__clv_cov *c = seg__calloc(1, sizeof *c);
    if (!c)
        return seg__nomem(NULL);
    int rc = SEG_OK;
    for (int l = 0; l < 3 && !rc; l++) {
        const char *s = lists[l];
        while (s && *s && !rc) {
            const char *comma = strchr(s, ',');
            const char *e = comma ? comma : s + strlen(s);
            const char *a = s, *b = e;
            while (a < b && *a == ' ')
                a++;
            while (b > a && b[-1] == ' ')
                b--;
            size_t len = (size_t)(b - a);
            if (!len)
                rc = seg__model_error(m, SEG_EPARSE, "%s: an empty name in "
                                      "'%s'", params[l], lists[l]);
            /* a constrained attribute is one effect on both processes,
             * whether or not the other lists also name it */
            else if (l == 2 || !list_has(lists[2], a, len))
                rc = add_column(m, params[l], ds, a, len, procs[l], c);
            s = comma ? comma + 1 : e;
        }
    }
    if (!rc && c->k > SEG__COV_MAX)
        rc = seg__model_error(m, SEG_ELIMIT, "%s: %d covariate effects, "
                              "more than the %d a fit takes",
                              seg_model_name(m), c->k, SEG__COV_MAX);
    for (size_t i = 0; i < c->n && !rc; i++)
        for (size_t j = 0; j < i && !rc; j++)
            if (c->e[i].name && c->e[j].name &&
                !strcmp(c->e[i].name, c->e[j].name))
                rc = seg__model_error(m, SEG_EINVAL, "%s: '%s' is named "
                                      "twice", seg_model_name(m),
                                      c->e[i].column);
    if (rc)
        seg__clv_cov_free(c);
    else
        *out = c;
    return rc;
}

int seg__clv_cov_values(const seg_model *m, const seg__clv_cov *c,
                        const seg_dataset *ds, const bool *has, double *z)
{
    size_t n = seg__ds_n(ds);
    size_t k = (size_t)c->k;
    int kk = 0;
    for (size_t i = 0; i < c->n; i++) {
        const seg__clv_effect *e = &c->e[i];
        const seg__column *col = seg__ds_find_column(ds, e->column);
        if (!col)
            return seg__model_error(m, SEG_ENOTFOUND, "%s: no attribute "
                                    "column '%s' for the covariates",
                                    seg_model_name(m), e->column);
        int want = e->level || e->proc == SEG__COV_REF ? SEG_COLUMN_LABEL
                                                        : SEG_COLUMN_NUMERIC;
        if (col->type != want)
            return seg__model_error(m, SEG_ETYPE, "%s: covariate '%s' was "
                                    "%s when fitted", seg_model_name(m),
                                    e->column, want == SEG_COLUMN_LABEL
                                                   ? "labels" : "numbers");
        if (e->proc == SEG__COV_REF) {
            /* every customer's level must be one of this attribute's */
            size_t last = i + 1;
            while (last < c->n && c->e[last].level &&
                   c->e[last].proc != SEG__COV_REF &&
                   !strcmp(c->e[last].column, e->column))
                last++;
            for (size_t r = 0; r < n; r++) {
                if (has && !has[r])
                    continue;
                const char *v = seg__column_label(col, r);
                bool known = v && !strcmp(v, e->level);
                for (size_t j = i + 1; j < last && v && !known; j++)
                    known = !strcmp(v, c->e[j].level);
                if (!v)
                    return seg__model_error(
                        m, SEG_ERANGE, "%s: customer '%s' has no value of "
                        "covariate '%s'", seg_model_name(m),
                        seg__ds_id(ds, r), e->column);
                if (!known)
                    return seg__model_error(
                        m, SEG_ERANGE, "%s: customer '%s' has %s '%s', a "
                        "level the model was not fitted with",
                        seg_model_name(m), seg__ds_id(ds, r), e->column, v);
            }
            continue;
        }
        for (size_t r = 0; r < n; r++) {
            if (has && !has[r])
                continue;
            double v;
            if (e->level) {
                const char *l = seg__column_label(col, r);
                v = l && !strcmp(l, e->level) ? 1 : 0;
            } else {
                v = seg__column_num(col, r);
                if (!isfinite(v))
                    return seg__model_error(
                        m, SEG_ERANGE, "%s: customer '%s' has no finite "
                        "value of covariate '%s'", seg_model_name(m),
                        seg__ds_id(ds, r), e->column);
            }
            z[r * k + (size_t)kk] = v;
        }
        kk++;
    }
    return SEG_OK;
}

int seg__clv_cov_fixed(const seg_model *m, seg__clv_cov *cov,
                       const char *fixed, char **base)
{
    size_t len = strlen(fixed);
    char *out = seg__malloc(len + 1);
    bool *seen = seg__calloc(cov->n, sizeof *seen);
    if (!out || !seen) {
        seg__free(out);
        seg__free(seen);
        return seg__nomem(NULL);
    }
    size_t o = 0;
    int rc = SEG_OK;
    const char *s = fixed;
    while (*s && !rc) {
        const char *comma = strchr(s, ',');
        const char *e = comma ? comma : s + len - (size_t)(s - fixed);
        /* an effect's name holds a '=' of its own before the value's */
        const char *eq = NULL;
        for (const char *q = e; q > s; q--)
            if (q[-1] == '=') {
                eq = q - 1;
                break;
            }
        size_t which = cov->n;
        for (size_t i = 0; eq && i < cov->n; i++)
            if (cov->e[i].name && strlen(cov->e[i].name) == (size_t)(eq - s)
                && !memcmp(cov->e[i].name, s, (size_t)(eq - s)))
                which = i;
        if (which < cov->n) {
            double v;
            if (seg__parse_f64(eq + 1, (size_t)(e - eq - 1), &v) != SEG_OK ||
                !(fabs(v) <= 50))
                rc = seg__model_error(m, SEG_EPARSE, "fixed: '%.*s' is not "
                                      "an effect in [-50, 50]",
                                      (int)(e - s), s);
            cov->e[which].gamma = v;
            seen[which] = true;
        } else {
            if (o)
                out[o++] = ',';
            memcpy(out + o, s, (size_t)(e - s));
            o += (size_t)(e - s);
        }
        s = comma ? comma + 1 : e;
    }
    out[o] = 0;
    for (size_t i = 0; i < cov->n && !rc; i++)
        if (cov->e[i].proc != SEG__COV_REF && !seen[i])
            rc = seg__model_error(m, SEG_EPARSE, "fixed: '%s' is missing",
                                  cov->e[i].name);
    seg__free(seen);
    if (rc)
        seg__free(out);
    else
        *base = out;
    return rc;
}

/* ---- the saved state ----
 * "covariates N", then one line per entry:
 *   "covariate PROC GAMMA SE LEN TEXT"
 * TEXT the column name (LEN bytes) and for a level '=' and the level;
 * then, when known, "covariate_vcov" and the nt x nt covariance of the
 * log base parameters and the effects, row by row. */

static int put_text(seg_write_fn w, void *wu, const char *s)
{
    return w(s, strlen(s), wu) ? SEG_EIO : SEG_OK;
}

int seg__clv_cov_save(const seg__clv_cov *c, seg_write_fn w, void *wu)
{
    if (!c)
        return SEG_OK;
    double nv = (double)c->n;
    int rc = seg__state_put(w, wu, "covariates", &nv, 1);
    for (size_t i = 0; i < c->n && !rc; i++) {
        const seg__clv_effect *e = &c->e[i];
        char num[40];
        rc = put_text(w, wu, "covariate ");
        snprintf(num, sizeof num, "%d ", e->proc);
        if (!rc)
            rc = put_text(w, wu, num);
        const double v[2] = {e->gamma, e->se};
        for (int j = 0; j < 2 && !rc; j++) {
            size_t len = isnan(v[j]) ? (size_t)snprintf(num, sizeof num,
                                                        "nan")
                                     : seg__format_f64(num, v[j]);
            num[len] = ' ';
            num[len + 1] = 0;
            rc = put_text(w, wu, num);
        }
        snprintf(num, sizeof num, "%zu ", strlen(e->column));
        if (!rc)
            rc = put_text(w, wu, num);
        if (!rc)
            rc = put_text(w, wu, e->column);
        if (!rc && e->level)
            rc = put_text(w, wu, "=");
        if (!rc && e->level)
            rc = put_text(w, wu, e->level);
        if (!rc)
            rc = put_text(w, wu, "\n");
    }
    if (!rc && c->vcov)
        rc = seg__state_put(w, wu, "covariate_vcov", c->vcov,
                            c->nvcov * c->nvcov);
    return rc;
}

/* The next space-separated field of [*p, e) as a number. */
static bool field_num(const char **p, const char *e, double *v)
{
    const char *sp = memchr(*p, ' ', (size_t)(e - *p));
    if (!sp)
        return false;
    bool ok;
    if (sp - *p == 3 && memcmp(*p, "nan", 3) == 0) {
        *v = NAN;
        ok = true;
    } else {
        ok = seg__parse_f64(*p, (size_t)(sp - *p), v) == SEG_OK;
    }
    *p = sp + 1;
    return ok;
}

static int load_entry(const seg_model *m, const char *q, const char *e,
                      seg__clv_cov *c)
{
    double proc, gamma, se, clen;
    if (!field_num(&q, e, &proc) || !field_num(&q, e, &gamma) ||
        !field_num(&q, e, &se) || !field_num(&q, e, &clen) ||
        proc != floor(proc) || proc < 0 || proc > 3 || clen < 1 ||
        clen != floor(clen) || clen > (double)(e - q) ||
        (proc != SEG__COV_REF && !isfinite(gamma)))
        return seg__model_error(m, SEG_EPARSE, "'covariate': bad line");
    const char *lev = q + (size_t)clen;
    if (lev < e && *lev != '=')
        return seg__model_error(m, SEG_EPARSE, "'covariate': bad name");
    if (proc == SEG__COV_REF && lev >= e)
        return seg__model_error(m, SEG_EPARSE, "'covariate': a reference "
                                "without a level");
    char *level = lev < e ? seg__strndup(lev + 1, (size_t)(e - lev - 1))
                          : NULL;
    if (lev < e && !level)
        return seg__nomem(NULL);
    int rc = add_entry(c, q, (size_t)clen, level, (int)proc);
    seg__free(level);
    if (rc)
        return seg__nomem(NULL);
    c->e[c->n - 1].gamma = gamma;
    c->e[c->n - 1].se = se;
    return SEG_OK;
}

/* The optional line "covariate_vcov": nt x nt numbers, nt the base
 * parameters (4 for every kind with covariates) and the effects. */
static int load_vcov(const seg_model *m, const char **p, const char *end,
                     seg__clv_cov *c)
{
    static const char key[] = "covariate_vcov ";
    if ((size_t)(end - *p) < sizeof key - 1 ||
        memcmp(*p, key, sizeof key - 1) != 0)
        return SEG_OK;
    int nt = 4 + c->k;
    if (!(c->vcov = seg__malloc((size_t)(nt * nt) * sizeof *c->vcov)))
        return seg__nomem(NULL);
    c->nvcov = nt;
    return seg__state_get(m, p, end, "covariate_vcov", c->vcov, nt * nt,
                          true);
}

int seg__clv_cov_load(const seg_model *m, const char **p, const char *end,
                      seg__clv_cov **out)
{
    static const char key[] = "covariates ";
    *out = NULL;
    if ((size_t)(end - *p) < sizeof key - 1 ||
        memcmp(*p, key, sizeof key - 1) != 0)
        return SEG_OK; /* a model without covariates, or one of 0.1 */
    double nv;
    int rc = seg__state_get(m, p, end, "covariates", &nv, 1, false);
    if (rc)
        return rc;
    if (!(nv >= 1 && nv <= 4 * SEG__COV_MAX && nv == floor(nv)))
        return seg__model_error(m, SEG_EPARSE, "'covariates': bad count");
    seg__clv_cov *c = seg__calloc(1, sizeof *c);
    if (!c)
        return seg__nomem(NULL);
    static const char ekey[] = "covariate ";
    for (size_t i = 0; i < (size_t)nv && !rc; i++) {
        const char *nl = memchr(*p, '\n', (size_t)(end - *p));
        const char *e = nl ? nl : end;
        if ((size_t)(e - *p) < sizeof ekey - 1 ||
            memcmp(*p, ekey, sizeof ekey - 1) != 0)
            rc = seg__model_error(m, SEG_EPARSE, "expected 'covariate'");
        else
            rc = load_entry(m, *p + sizeof ekey - 1, e, c);
        *p = nl ? nl + 1 : end;
    }
    if (!rc && (c->k < 1 || c->k > SEG__COV_MAX))
        rc = seg__model_error(m, SEG_EPARSE, "'covariates': no effect");
    if (!rc)
        rc = load_vcov(m, p, end, c);
    if (rc)
        seg__clv_cov_free(c);
    else
        *out = c;
    return rc;
}
