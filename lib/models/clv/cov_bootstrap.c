/* Prediction intervals of a purchase model with static covariates. A
 * draw is a vector theta = (log base parameters, effects): from the
 * asymptotic normal N(theta, H^-1) with H the Hessian of the negative
 * log-likelihood over all of theta (so the effects' uncertainty, and its
 * correlation with the base parameters', is in every draw), or a refit on
 * customers resampled with their covariates. Under a draw, a customer
 * with covariates z has the parameters that draw's base parameters and
 * effects give at z; customers with the same z share them, so the
 * histories are evaluated group by group of equal z (few groups for
 * label covariates), each group as the histories of a model without
 * covariates (bootstrap.c). Every draw is made before any thread starts:
 * same seed, same intervals, whatever the number of threads. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models/clv/internal.h"

#define GAMMA_MAX 50

/* the values of one draw: SEG__NP base parameters, then the effects */
static size_t row_len(const seg__clv_cov *c) { return SEG__NP + (size_t)c->k; }

/* The lower Cholesky factor of the nt x nt covariance V into L; false
 * when it is not positive definite. */
static bool chol(const double *V, int nt, double *L)
{
    memset(L, 0, (size_t)(nt * nt) * sizeof *L);
    for (int j = 0; j < nt; j++) {
        double d = V[j * nt + j];
        for (int k = 0; k < j; k++)
            d -= L[j * nt + k] * L[j * nt + k];
        if (!(d > 0) || !isfinite(d))
            return false;
        L[j * nt + j] = sqrt(d);
        for (int i = j + 1; i < nt; i++) {
            double v = V[i * nt + j];
            for (int k = 0; k < j; k++)
                v -= L[i * nt + k] * L[j * nt + k];
            L[i * nt + j] = v / L[j * nt + j];
            if (!isfinite(L[i * nt + j]))
                return false;
        }
    }
    return true;
}

/* Whether the base parameters p and the effects gamma of a draw are ones
 * a fit could give. */
static bool usable(int kind, const seg__clv_cov *c, const double *p,
                   const double *gamma)
{
    int np = seg__clv_spec_of(kind)->np;
    for (int i = 0; i < np; i++)
        if (seg__clv_bad_param(kind, i, p[i]))
            return false;
    for (int e = 0; e < c->k; e++)
        if (!(fabs(gamma[e]) <= GAMMA_MAX))
            return false;
    return true;
}

/* D draws of theta from its asymptotic normal into out (row_len each);
 * one outside the range is drawn again, as without covariates. */
static int draw_theta(const seg_model *m, const seg__clv_fit *f,
                      seg__clv_rng *g, size_t D, double *out)
{
    const seg__clv_cov *c = f->cov;
    int np = seg__clv_spec_of(f->kind)->np, nt = np + c->k;
    double L[SEG__OPT_MAXN * SEG__OPT_MAXN], mean[SEG__OPT_MAXN];
    if (!c->vcov || c->nvcov != nt || !chol(c->vcov, nt, L))
        return seg__model_error(
            m, SEG_EINVAL, "%s: no covariance of the parameters and the "
            "covariate effects to draw from (a model file without one, or "
            "a Hessian that is not positive definite at the fit): refit, "
            "or use bootstrap=nonparametric", seg_model_name(m));
    int e = 0;
    for (int i = 0; i < np; i++)
        mean[i] = log(f->p[i]);
    for (size_t j = 0; j < c->n; j++)
        if (c->e[j].proc != SEG__COV_REF)
            mean[np + e++] = c->e[j].gamma;
    size_t len = row_len(c), rejected = 0;
    for (size_t d = 0; d < D;) {
        double z[SEG__OPT_MAXN], *o = out + d * len;
        for (int i = 0; i < nt; i++)
            z[i] = seg__clv_rng_normal(g);
        memset(o, 0, len * sizeof *o);
        for (int i = 0; i < nt; i++) {
            double t = mean[i];
            for (int k = 0; k <= i; k++)
                t += L[i * nt + k] * z[k];
            if (i < np)
                o[i] = exp(t);
            else
                o[SEG__NP + i - np] = t;
        }
        if (usable(f->kind, c, o, o + SEG__NP))
            d++;
        else if (++rejected > 10 * D)
            return seg__model_error(m, SEG_ERANGE, "%s: the parameters and "
                                    "covariate effects are too uncertain to "
                                    "draw from: most draws leave their "
                                    "range", seg_model_name(m));
    }
    return SEG_OK;
}

/* ---- the nonparametric bootstrap: refits with the covariates ---- */

/* The customers a fit reads (all three history columns not missing, a
 * positive weight): their rows and weights. */
static int fitted_customers(const seg_model *m, const seg_dataset *ds,
                            seg__clv_key **keys, size_t **cust, size_t *nk)
{
    static const char *const params[4] = {"x_column", "t_x_column",
                                          "T_column", "weight_column"};
    size_t n = seg_dataset_customer_count(ds), k = 0;
    double *v[4] = {NULL};
    *keys = seg__malloc((n ? n : 1) * sizeof **keys);
    *cust = seg__malloc((n ? n : 1) * sizeof **cust);
    int rc = *keys && *cust ? SEG_OK : seg__nomem(NULL);
    for (int c = 0; c < 4 && !rc; c++) {
        const char *col = seg__param_str(m, params[c]);
        if (c == 3 && !*col)
            break;
        if (!(v[c] = seg__malloc((n ? n : 1) * sizeof **v)))
            rc = seg__nomem(NULL);
        else
            rc = seg__clv_read_col(m, ds, col, v[c], n);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        double w = v[3] ? v[3][i] : 1;
        if ((isnan(v[0][i]) && isnan(v[1][i]) && isnan(v[2][i])) ||
            !(w > 0))
            continue;
        (*keys)[k] = (seg__clv_key){{v[0][i], v[1][i], v[2][i]}, w};
        (*cust)[k++] = i;
    }
    for (int c = 0; c < 4; c++)
        seg__free(v[c]);
    *nk = k;
    return rc;
}

/* One refit on the customers with counts cnt (of the nk in keys) into o
 * (row_len values): from the fit f, with a copy of its effects. */
static int refit(const seg_model *m, const seg_dataset *ds,
                 const seg__clv_fit *f, const seg__clv_key *keys,
                 const size_t *cust, const double *cnt, size_t nk,
                 seg__clv_key *bk, size_t *bc, double *o)
{
    size_t nb = 0;
    for (size_t i = 0; i < nk; i++) {
        if (cnt[i] == 0)
            continue;
        bk[nb] = keys[i];
        bk[nb].w = cnt[i];
        bc[nb++] = cust[i];
    }
    seg__clv_cov cc = *f->cov;
    cc.vcov = NULL;
    cc.e = seg__malloc(cc.n * sizeof *cc.e);
    if (!cc.e)
        return seg__nomem(NULL);
    /* the copy shares the names; only its array is freed */
    memcpy(cc.e, f->cov->e, cc.n * sizeof *cc.e);
    seg__clv_fit rf = *f;
    rf.cov = NULL;
    int rc = seg__clv_fit_cov(m, f->kind, ds, bk, bc, nb, &cc, false, &rf);
    int np = seg__clv_spec_of(f->kind)->np;
    for (int i = 0; i < np && !rc; i++)
        if (seg__clv_bad_param(f->kind, i, rf.p[i]))
            rc = seg__model_error(m, SEG_ERANGE, "%s = %g outside its range",
                                  seg__clv_spec_of(f->kind)->names[i],
                                  rf.p[i]);
    if (!rc) {
        memset(o, 0, row_len(&cc) * sizeof *o);
        memcpy(o, rf.p, SEG__NP * sizeof *o);
        size_t e = 0;
        for (size_t j = 0; j < cc.n; j++)
            if (cc.e[j].proc != SEG__COV_REF)
                o[SEG__NP + e++] = cc.e[j].gamma;
    }
    seg__free(cc.vcov);
    seg__free(cc.e);
    return rc;
}

/* D refits, each on as many customers as the fit had, drawn with
 * replacement in proportion to their weights. */
static int resample_cov(const seg_model *m, const seg_dataset *ds,
                        const seg__clv_fit *f, seg__clv_rng *g, size_t D,
                        double *out)
{
    seg__clv_key *keys = NULL, *bk = NULL;
    size_t *cust = NULL, *bc = NULL, nk = 0;
    double *cum = NULL, *cnt = NULL;
    int rc = fitted_customers(m, ds, &keys, &cust, &nk);
    if (!rc && nk == 0)
        rc = seg__model_error(m, SEG_ERANGE, "%s: no customer to fit on",
                              seg_model_name(m));
    if (!rc) {
        cum = seg__malloc(nk * sizeof *cum);
        cnt = seg__malloc(nk * sizeof *cnt);
        bk = seg__malloc(nk * sizeof *bk);
        bc = seg__malloc(nk * sizeof *bc);
        if (!cum || !cnt || !bk || !bc)
            rc = seg__nomem(NULL);
    }
    double total = 0;
    for (size_t i = 0; i < nk && !rc; i++)
        cum[i] = total += keys[i].w;
    size_t customers = (size_t)llround(total);
    for (size_t d = 0; d < D && !rc; d++) {
        seg__clv_multinomial(g, cum, nk, customers, cnt);
        rc = refit(m, ds, f, keys, cust, cnt, nk, bk, bc,
                   out + d * row_len(f->cov));
        if (rc && rc != SEG_ENOMEM && rc != SEG_ECANCELED)
            rc = seg__model_error(m, rc, "%s: resample %zu of %zu: %s",
                                  seg_model_name(m), d + 1, D,
                                  seg_model_errmsg(m));
        if (!rc)
            rc = seg__progress_at(seg__progress_current(), d);
    }
    seg__free(keys);
    seg__free(cust);
    seg__free(cum);
    seg__free(cnt);
    seg__free(bk);
    seg__free(bc);
    return rc;
}

int seg__clv_cov_resample(const seg_model *m, const seg_dataset *ds,
                          const seg__clv_fit *f, int kind, double **draws)
{
    *draws = NULL;
    if (!(seg__param_num(m, "interval") > 0) ||
        strcmp(seg__param_str(m, "bootstrap"), "nonparametric") != 0)
        return SEG_OK;
    if (*seg__param_str(m, "fixed") ||
        (kind == SEG__CLV_CLV && *seg__param_str(m, "fixed_spend")))
        return seg__model_error(m, SEG_EINVAL, "%s: bootstrap=nonparametric "
                                "refits the model, and its parameters are "
                                "fixed", seg_model_name(m));
    size_t D = (size_t)seg__param_num(m, "draws"), len = row_len(f->cov);
    bool clv = kind == SEG__CLV_CLV;
    double *v = seg__malloc(D * (len + (clv ? SEG__NP : 0)) * sizeof *v);
    if (!v)
        return seg__nomem(NULL);
    seg__clv_rng g;
    seg__clv_rng_seed(&g, (uint64_t)seg__param_num(m, "seed"));
    int rc = resample_cov(m, ds, f, &g, D, v);
    double *gg = v + D * len;
    if (!rc && clv)
        rc = seg__clv_resample_kind(m, SEG__CLV_GG, ds, &g, D, gg);
    for (size_t d = 0; d < D && !rc && clv; d++)
        if (!(gg[d * SEG__NP + 1] > 1))
            rc = seg__model_error(m, SEG_ERANGE, "%s: resample %zu gives a "
                                  "Gamma-Gamma q <= 1: the mean spend is "
                                  "infinite", seg_model_name(m), d + 1);
    if (rc)
        seg__free(v);
    else
        *draws = v;
    return rc;
}

/* ---- the evaluation, group by group of equal covariates ---- */

/* A history with its covariates, for the order (z, then the history). */
typedef struct zhist {
    const double *z;
    size_t k, h;
} zhist;

static bool same_z(const double *x, const double *y, size_t k)
{
    for (size_t e = 0; e < k; e++)
        if (x[e] != y[e])
            return false;
    return true;
}

static int cmp_zhist(const void *a, const void *b)
{
    const zhist *x = a, *y = b;
    for (size_t e = 0; e < x->k; e++)
        if (x->z[e] != y->z[e])
            return x->z[e] < y->z[e] ? -1 : 1;
    /* the histories arrive sorted: keep their order within a group */
    return x->h < y->h ? -1 : x->h > y->h;
}

/* The draws of theta (row_len each) and for clv of the spend model
 * (SEG__NP each): the fit's resamples, or drawn here in one stream. */
static int theta_draws(const seg_model *m, const seg__clv_scored *s,
                       size_t D, const double **theta, const double **ggv,
                       double **owned)
{
    size_t len = row_len(s->f->cov);
    bool clv = s->kind == SEG__CLV_CLV;
    *owned = NULL;
    if (strcmp(seg__param_str(m, "bootstrap"), "nonparametric") == 0) {
        if (!s->resampled || s->nresampled != D)
            return seg__model_error(m, SEG_EINVAL, "%s: the resamples of "
                                    "bootstrap=nonparametric are made by the "
                                    "fit and not saved with the model: fit "
                                    "it again", seg_model_name(m));
        *theta = s->resampled;
        *ggv = s->resampled + D * len;
        return SEG_OK;
    }
    double *v = seg__malloc(D * (len + (clv ? SEG__NP : 0)) * sizeof *v);
    if (!v)
        return seg__nomem(NULL);
    seg__clv_rng g;
    seg__clv_rng_seed(&g, (uint64_t)seg__param_num(m, "seed"));
    int rc = draw_theta(m, s->f, &g, D, v);
    if (!rc && clv)
        rc = seg__clv_draw_normal(m, s->gg, &g, D, v + D * len);
    if (rc) {
        seg__free(v);
        return rc;
    }
    *theta = v;
    *ggv = v + D * len;
    *owned = v;
    return SEG_OK;
}

/* The intervals of the histories zh[a..b) (one value of z), the distinct
 * ones numbered from *nd on in lo and hi, the number of each into of. */
static int eval_group(const seg_model *m, const seg__clv_scored *s,
                      const seg__clv_hist *h, const zhist *zh, size_t a,
                      size_t b, const double *theta, const seg__clv_fit *ggd,
                      size_t D, int nout, seg__clv_fit *fd, size_t *group,
                      size_t *of, size_t *nd, double **lo, double **hi)
{
    const seg__clv_cov *cov = s->f->cov;
    size_t len = row_len(cov), ng = 0, first = *nd;
    for (size_t d = 0; d < D; d++) {
        fd[d] = *s->f;
        fd[d].cov = NULL;
        const double *t = theta + d * len;
        seg__clv_cov_apply(s->f->kind, cov, t, t + SEG__NP, zh[a].z,
                           fd[d].p);
    }
    for (size_t i = a; i < b; i++) {
        const seg__clv_hist *hi_ = &h[zh[i].h];
        if (i == a || memcmp(hi_->k, h[zh[i - 1].h].k, 4 * sizeof *hi_->k))
            group[ng++] = zh[i].h;
        of[zh[i].h] = first + ng - 1;
    }
    double *gl[4], *gh[4];
    for (int c = 0; c < nout; c++) {
        gl[c] = lo[c] + first;
        gh[c] = hi[c] + first;
    }
    *nd = first + ng;
    return seg__clv_evaluate(m, s, h, group, ng, fd, ggd, D, nout, gl, gh);
}

int seg__clv_cov_intervals(const seg_model *m, const seg__clv_scored *s,
                           seg_dataset *ds, const char *prefix,
                           const seg__clv_hist *h, size_t nh, size_t n,
                           int nout)
{
    const seg__clv_cov *cov = s->f->cov;
    size_t D = (size_t)seg__param_num(m, "draws"), k = (size_t)cov->k;
    const double *theta = NULL, *ggv = NULL;
    double *owned = NULL, *lo[4] = {NULL}, *hi[4] = {NULL};
    int rc = theta_draws(m, s, D, &theta, &ggv, &owned);
    size_t m1 = nh ? nh : 1, nd = 0;
    bool *has = rc ? NULL : seg__calloc(n ? n : 1, sizeof *has);
    double *z = rc ? NULL : seg__malloc((n ? n : 1) * (k ? k : 1) * sizeof *z);
    zhist *zh = rc ? NULL : seg__malloc(m1 * sizeof *zh);
    size_t *group = rc ? NULL : seg__malloc(m1 * sizeof *group);
    size_t *of = rc ? NULL : seg__malloc(m1 * sizeof *of);
    seg__clv_fit *fd = rc ? NULL : seg__malloc((D ? D : 1) * sizeof *fd);
    seg__clv_fit *ggd = NULL;
    if (!rc && (!has || !z || !zh || !group || !of || !fd))
        rc = seg__nomem(NULL);
    if (!rc && s->kind == SEG__CLV_CLV) {
        if (!(ggd = seg__malloc((D ? D : 1) * sizeof *ggd)))
            rc = seg__nomem(NULL);
        for (size_t d = 0; d < D && ggd; d++) {
            ggd[d] = *s->gg;
            memcpy(ggd[d].p, ggv + d * SEG__NP, sizeof ggd[d].p);
        }
    }
    for (int c = 0; c < nout && !rc; c++)
        if (!(lo[c] = seg__malloc(m1 * sizeof **lo)) ||
            !(hi[c] = seg__malloc(m1 * sizeof **hi)))
            rc = seg__nomem(NULL);
    for (size_t i = 0; i < nh && !rc; i++)
        has[h[i].i] = true;
    if (!rc)
        rc = seg__clv_cov_values(m, cov, ds, has, z);
    for (size_t i = 0; i < nh && !rc; i++)
        zh[i] = (zhist){z + h[i].i * k, k, i};
    if (!rc)
        qsort(zh, nh, sizeof *zh, cmp_zhist);
    for (size_t a = 0, b; a < nh && !rc; a = b) {
        for (b = a + 1; b < nh && same_z(zh[b].z, zh[a].z, k);)
            b++;
        rc = eval_group(m, s, h, zh, a, b, theta, ggd, D, nout, fd, group, of,
                        &nd, lo, hi);
    }
    if (!rc)
        rc = seg__clv_put_intervals(m, ds, prefix, h, nh, n, nout, of, lo, hi);
    for (int c = 0; c < 4; c++) {
        seg__free(lo[c]);
        seg__free(hi[c]);
    }
    seg__free(owned);
    seg__free(has);
    seg__free(z);
    seg__free(zh);
    seg__free(group);
    seg__free(of);
    seg__free(fd);
    seg__free(ggd);
    return rc;
}
