/* Model instances: create and free, name, fit, score, results,
 * evaluation, and the column helpers of the built-in kinds. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/struct.h"
#include "models/clv/dyncov.h"

int seg__model_error(const seg_model *m, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    seg__verror(m ? &m->err : NULL, code, fmt, ap);
    va_end(ap);
    return code;
}

int seg_model_set_error(const seg_model *m, int code, const char *message)
{
    return seg__model_error(m, code, "%s", message ? message : "error");
}

/* The calling thread's copy of a model's message: another thread may be
 * failing on the same model and rewriting its slot meanwhile, so a pointer
 * into the slot itself could change under the reader. */
static _Thread_local char t_model_msg[SEG__ERRMSG_MAX];

const char *seg_model_errmsg(const seg_model *m)
{
    if (!m)
        return seg_errmsg();
    return seg__errbuf_copy(&m->err, t_model_msg);
}

static void free_values(seg__kind *k, double *num, char **str)
{
    if (str)
        for (size_t i = 0; i < k->n_params; i++)
            seg__free(str[i]);
    seg__free(str);
    seg__free(num);
}

int seg_model_new(seg_model **out, const char *kind_name)
{
    if (!out || !kind_name)
        return seg__error(NULL, SEG_EINVAL, "seg_model_new: NULL argument");
    *out = NULL;
    seg__kind *k;
    int rc = seg__kind_acquire(kind_name, &k);
    if (rc)
        return rc;
    seg_model *m = seg__calloc(1, sizeof *m);
    rc = m ? seg__errbuf_init(&m->err) : SEG_ENOMEM;
    if (rc) {
        seg__free(m);
        seg__kind_release(k);
        return seg__nomem(NULL);
    }
    m->k = k;
    m->name = seg__strndup(k->cls.kind, strlen(k->cls.kind));
    m->num = seg__calloc(k->n_params ? k->n_params : 1, sizeof *m->num);
    m->str = seg__calloc(k->n_params ? k->n_params : 1, sizeof *m->str);
    bool fail = !m->name || !m->num || !m->str;
    for (size_t i = 0; i < k->n_params && !fail; i++) {
        const seg_param_def *d = &k->params[i];
        if (d->type == SEG_PARAM_STR) {
            const char *def = d->default_str ? d->default_str : "";
            fail = !(m->str[i] = seg__strndup(def, strlen(def)));
        } else {
            m->num[i] = d->default_num;
        }
    }
    if (fail) {
        seg_model_free(m);
        return seg__nomem(NULL);
    }
    rc = k->cls.create(&m->state, k->user_data);
    if (rc) {
        m->state = NULL;
        char msg[SEG__ERRMSG_MAX];
        snprintf(msg, sizeof msg, "%s", seg_errmsg());
        seg_model_free(m);
        return seg__error(NULL, rc, "model '%s': create failed: %s",
                          kind_name, msg);
    }
    *out = m;
    return SEG_OK;
}

void seg_model_free(seg_model *m)
{
    if (!m)
        return;
    if (m->state)
        m->k->cls.destroy(m->state, m->k->user_data);
    free_values(m->k, m->num, m->str);
    seg__dyncov_free(m->dyncov);
    seg__free(m->name);
    seg__errbuf_destroy(&m->err);
    seg__kind *k = m->k;
    seg__free(m);
    seg__kind_release(k);
}

const char *seg_model_kind(const seg_model *m)
{
    return m ? m->k->cls.kind : NULL;
}

const char *seg_model_name(const seg_model *m) { return m ? m->name : NULL; }

int seg_model_is_fitted(const seg_model *m) { return m && m->fitted; }

int seg_model_reads_transactions(const seg_model *m)
{
    /* a covariate table's periods are counted from the purchase days */
    return !m || !m->k->columns_only || m->dyncov != NULL;
}

int seg_model_set_name(seg_model *m, const char *name)
{
    if (!m || !name)
        return seg__model_error(m, SEG_EINVAL, "model or name is NULL");
    size_t n = strlen(name);
    bool ok = n > 0 && seg__utf8_valid(name, n);
    for (size_t i = 0; i < n && ok; i++)
        ok = name[i] != '.' && (unsigned char)name[i] >= 0x20 &&
             name[i] != 0x7f;
    if (!ok)
        return seg__model_error(m, SEG_EINVAL,
                                "model name must be non-empty UTF-8 without "
                                "'.' or control characters");
    char *d = seg__strndup(name, n);
    if (!d)
        return seg__nomem(&m->err);
    seg__free(m->name);
    m->name = d;
    return SEG_OK;
}

/* ---- fit and score ---- */

int seg_model_fit(seg_model *m, const seg_dataset *ds)
{
    if (!m || !ds)
        return seg__model_error(m, SEG_EINVAL, "model or dataset is NULL");
    /* Fit into a fresh state, so a failure keeps the earlier fit. */
    void *fresh = NULL;
    int rc = m->k->cls.create(&fresh, m->k->user_data);
    if (rc)
        return seg__model_error(m, rc, "model '%s': create failed",
                                m->name);
    seg__errbuf_clear(&m->err);
    seg__progress p;
    rc = seg__ds_progress_begin(&p, ds, &m->err, SEG_STAGE_FIT, 0);
    if (!rc)
        rc = m->k->cls.fit(fresh, m, ds, m->k->user_data);
    /* a kind that ignores a cancellation still is one */
    if (!rc)
        rc = seg__progress_canceled(&p);
    seg__progress_end(&p);
    if (rc) {
        m->k->cls.destroy(fresh, m->k->user_data);
        if (!seg__errbuf_has(&m->err))
            seg__model_error(m, rc, "model '%s': fit failed: %s", m->name,
                             seg_strerror(rc));
        return rc;
    }
    if (m->state)
        m->k->cls.destroy(m->state, m->k->user_data);
    m->state = fresh;
    m->fitted = true;
    return SEG_OK;
}

int seg_model_score(const seg_model *m, seg_dataset *ds)
{
    if (!m || !ds)
        return seg__model_error(m, SEG_EINVAL, "model or dataset is NULL");
    if (!m->fitted)
        return seg__model_error(m, SEG_EMISUSE, "model '%s' is not fitted: "
                                "call seg_model_fit() or load a saved model",
                                m->name);
    unsigned long errors = seg__thread_error_count();
    seg__progress p;
    int rc = seg__ds_progress_begin(&p, ds, &m->err, SEG_STAGE_SCORE,
                                    seg_dataset_customer_count(ds));
    /* the kind's columns are written together or not at all */
    bool own = !rc && !seg__ds_is_marked(ds);
    if (own)
        seg__ds_mark(ds);
    if (!rc)
        rc = m->k->cls.score(m->state, m, ds, m->name, m->k->user_data);
    if (own && rc)
        seg__ds_rollback(ds);
    else if (own)
        seg__ds_commit(ds);
    seg__progress_end(&p);
    if (rc && seg__thread_error_count() == errors)
        seg__model_error(m, rc, "model '%s': score failed: %s", m->name,
                         seg_strerror(rc));
    return rc;
}

/* ---- results and evaluation ---- */

const char *seg_model_result_name(const seg_model *m, size_t i)
{
    if (!m || !m->fitted || !m->k->cls.result_name)
        return NULL;
    return m->k->cls.result_name(m->state, i, m->k->user_data);
}

int seg_model_result_is_param(const seg_model *m, const char *name)
{
    if (!m || !name)
        return seg__model_error(m, SEG_EINVAL, "NULL argument");
    if (!m->fitted)
        return seg__model_error(m, SEG_EMISUSE, "model '%s' is not fitted",
                                m->name);
    if (strncmp(name, "se.", 3) == 0)
        return 0;
    /* a parameter is what has a standard error */
    for (size_t i = 0;; i++) {
        const char *r = seg_model_result_name(m, i);
        if (!r)
            return 0;
        if (strncmp(r, "se.", 3) == 0 && strcmp(r + 3, name) == 0)
            return 1;
    }
}

int seg_model_result(const seg_model *m, const char *name, double *out)
{
    if (!m || !name || !out)
        return seg__model_error(m, SEG_EINVAL, "NULL argument");
    if (!m->fitted)
        return seg__model_error(m, SEG_EMISUSE, "model '%s' is not fitted",
                                m->name);
    int rc = m->k->cls.result ? m->k->cls.result(m->state, name, out,
                                                  m->k->user_data)
                              : SEG_ENOTFOUND;
    if (rc == SEG_ENOTFOUND)
        return seg__model_error(m, rc, "model '%s' has no result '%s'",
                                m->name, name);
    return rc;
}

/* The arguments of the built-in quantities (docs/clv.md), for messages;
 * kind NULL: any kind. */
static const struct {
    const char *kind, *quantity;
    size_t n;
    const char *names[4];
} arg_names[] = {
    {"bgbb", "p_alive", 3, {"x", "t_x", "n"}},
    {"bgbb", "expected", 4, {"t", "x", "t_x", "n"}},
    {NULL, "p_alive", 3, {"x", "t_x", "T"}},
    {NULL, "expected", 4, {"t", "x", "t_x", "T"}},
    {NULL, "expected_unconditional", 1, {"t"}},
    {NULL, "pmf", 2, {"t", "n"}},
    {NULL, "expected_spend", 2, {"x", "mean spend"}},
    {NULL, "value", 4, {"x", "t_x", "T", "mean spend"}},
};

/* Arguments that count, and that a quantity loops over: P(X(t) = n) sums
 * n terms, and BG/BB sums over the opportunities. Bounded, so that no
 * call runs for minutes (or, past 2^53, for ever). */
#define MAX_COUNT 1e6
static const struct {
    const char *kind, *quantity;
    size_t arg;
} count_args[] = {
    {NULL, "pmf", 1},
    {"bgbb", "p_alive", 0}, {"bgbb", "p_alive", 1}, {"bgbb", "p_alive", 2},
    {"bgbb", "expected", 1}, {"bgbb", "expected", 2}, {"bgbb", "expected", 3},
};

static bool kind_is(const seg_model *m, const char *kind)
{
    return !kind || strcmp(m->k->cls.kind, kind) == 0;
}

static const char *arg_name(const seg_model *m, const char *q, size_t n,
                            size_t i, char *buf, size_t bufsz)
{
    for (size_t j = 0; j < sizeof arg_names / sizeof *arg_names; j++)
        if (kind_is(m, arg_names[j].kind) &&
            strcmp(q, arg_names[j].quantity) == 0 && n == arg_names[j].n)
            return arg_names[j].names[i];
    snprintf(buf, bufsz, "argument %zu", i + 1);
    return buf;
}

/* Non-finite arguments, and counts that are not whole or too large. */
static int check_args(const seg_model *m, const char *q, const double *args,
                      size_t n)
{
    char buf[32];
    for (size_t i = 0; i < n; i++)
        if (!isfinite(args[i]))
            return seg__model_error(m, SEG_ERANGE, "model '%s': %s: %s is "
                                    "not a finite number", m->name, q,
                                    arg_name(m, q, n, i, buf, sizeof buf));
    for (size_t j = 0; j < sizeof count_args / sizeof *count_args; j++) {
        size_t i = count_args[j].arg;
        if (!kind_is(m, count_args[j].kind) ||
            strcmp(q, count_args[j].quantity) != 0 || i >= n)
            continue;
        double v = args[i];
        const char *name = arg_name(m, q, n, i, buf, sizeof buf);
        if (v < 0) /* the kind's own message says what a count is */
            continue;
        if (v != floor(v))
            return seg__model_error(m, SEG_ERANGE, "model '%s': %s: %s = %g "
                                    "is not a whole number", m->name, q,
                                    name, v);
        if (v > MAX_COUNT)
            return seg__model_error(m, SEG_ERANGE, "model '%s': %s: %s = %g "
                                    "is above the largest count, %g",
                                    m->name, q, name, v, MAX_COUNT);
    }
    return SEG_OK;
}

int seg_model_eval(const seg_model *m, const char *quantity,
                   const double *args, size_t n_args, double *out)
{
    if (!m || !quantity || !out || (n_args && !args))
        return seg__model_error(m, SEG_EINVAL, "NULL argument");
    if (!m->fitted)
        return seg__model_error(m, SEG_EMISUSE, "model '%s' is not fitted",
                                m->name);
    if (!m->k->cls.eval)
        return seg__model_error(m, SEG_ENOTFOUND, "model '%s' evaluates no "
                                "quantities", m->name);
    int crc = check_args(m, quantity, args, n_args);
    if (crc)
        return crc;
    unsigned long errors = seg__thread_error_count();
    int rc = m->k->cls.eval(m->state, m, quantity, args, n_args, out,
                            m->k->user_data);
    if (rc && seg__thread_error_count() == errors)
        seg__model_error(m, rc, "model '%s': %s: %s", m->name, quantity,
                         seg_strerror(rc));
    return rc;
}

/* ---- helpers for the built-in models ---- */

static void column_error(const seg_model *m, const seg_dataset *ds,
                         const char *col, int rc)
{
    if (rc == SEG_ENOTFOUND)
        seg__model_error(m, rc, "%s: no column '%s' (compute the features "
                         "first, or set the column parameter)", m->name, col);
    else
        seg__model_error(m, rc, "%s: column '%s': %s", m->name, col,
                         seg_dataset_errmsg(ds));
}

double *seg__model_column(const seg_model *m, const seg_dataset *ds,
                          const char *col, int *rc)
{
    size_t n = seg_dataset_customer_count(ds);
    double *v = seg__malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        *rc = seg__nomem(&m->err);
        return NULL;
    }
    *rc = seg_dataset_copy_f64(ds, col, v, n);
    if (*rc == SEG_OK)
        return v;
    seg__free(v);
    column_error(m, ds, col, *rc);
    return NULL;
}

const double *seg__model_column_view(const seg_model *m, seg_dataset *ds,
                                     const char *col, int *rc)
{
    const double *v = NULL;
    *rc = seg_dataset_column_data(ds, col, &v, NULL);
    if (*rc) {
        column_error(m, ds, col, *rc);
        return NULL;
    }
    return v;
}

char *seg__model_colname(const char *prefix, const char *what)
{
    size_t np = strlen(prefix), nw = strlen(what);
    char *name = seg__malloc(np + nw + 2);
    if (!name)
        return NULL;
    memcpy(name, prefix, np);
    name[np] = '.';
    memcpy(name + np + 1, what, nw + 1);
    return name;
}

/* The model's message for a column it could not write. */
static void write_error(const seg_model *m, const seg_dataset *ds,
                        const char *prefix, const char *name, int rc)
{
    if (rc == SEG_ENOMEM)
        seg__nomem(&m->err);
    else
        seg__model_error(m, rc, "%s: writing '%s': %s", prefix, name,
                         seg_dataset_errmsg(ds));
}

static int out_type(const seg__out *o)
{
    return o->labels ? SEG_COLUMN_LABEL : SEG_COLUMN_NUMERIC;
}

/* Every name and type checked before the first column is written, so that
 * a clash is reported as such; a failure after that is undone by the mark
 * seg_model_score() holds around the kind's score. */
static int check_puts(const seg_model *m, seg_dataset *ds, const char *prefix,
                      const seg__out *outs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *name = seg__model_colname(prefix, outs[i].what);
        if (!name)
            return seg__nomem(&m->err);
        int rc = seg__ds_check_put(ds, name, out_type(&outs[i]));
        if (rc)
            write_error(m, ds, prefix, name, rc);
        seg__free(name);
        if (rc)
            return rc;
    }
    return SEG_OK;
}

int seg__model_put_all(const seg_model *m, seg_dataset *ds,
                       const char *prefix, const seg__out *outs, size_t n)
{
    int rc = check_puts(m, ds, prefix, outs, n);
    for (size_t i = 0; i < n && !rc; i++)
        rc = outs[i].own ? seg__model_put_owned(m, ds, prefix, outs[i].what,
                                                outs[i].own)
                         : seg__model_put(m, ds, prefix, outs[i].what,
                                          outs[i].num, outs[i].labels);
    return rc;
}

int seg__model_put_owned(const seg_model *m, seg_dataset *ds,
                         const char *prefix, const char *what, double **num)
{
    char *name = seg__model_colname(prefix, what);
    if (!name)
        return seg__nomem(&m->err);
    int rc = seg__ds_check_put(ds, name, SEG_COLUMN_NUMERIC);
    if (!rc && (rc = seg__ds_put_num_column(ds, name, SEG__ORIGIN_USER,
                                            *num)) == SEG_OK)
        *num = NULL;
    if (rc)
        write_error(m, ds, prefix, name, rc);
    seg__free(name);
    return rc;
}

int seg__model_put(const seg_model *m, seg_dataset *ds, const char *prefix,
                   const char *what, const double *num, const char **labels)
{
    char *name = seg__model_colname(prefix, what);
    if (!name)
        return seg__nomem(&m->err);
    size_t n = seg_dataset_customer_count(ds);
    int rc = labels ? seg_dataset_write_labels(ds, name, labels, n)
                    : seg_dataset_write_f64(ds, name, num, n);
    if (rc)
        write_error(m, ds, prefix, name, rc);
    seg__free(name);
    return rc;
}
