/* The seven customer-base model classes (bgnbd, mbgnbd, pareto_nbd, bgbb,
 * gamma_gamma, clv, ggompertz): their parameters, and the callbacks they share to
 * fit, score, report results, evaluate quantities, save and load. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/clv/internal.h"
#include "models/clv/dyncov.h"

#define NSTAT 9

typedef struct clv_state {
    int kind;
    seg__clv_fit f;  /* the model, or for clv the purchase model */
    seg__clv_fit gg; /* clv: the spend model */
    double upm;      /* clv: time units in a month of the fitted inputs */
    double *resampled; /* bootstrap=nonparametric: the refits, or NULL */
    size_t nresampled;
    char names[2][SEG__NP * 2 + NSTAT][32]; /* result names, made on demand */
} clv_state;

static double p_alive(const seg__clv_fit *f, double x, double tx, double T)
{
    const seg__clv_spec *sp = seg__clv_spec_of(f->kind);
    return sp->p_alive ? sp->p_alive(f->p, x, tx, T) : NAN;
}

static double expected(const seg__clv_fit *f, double t, double x, double tx,
                       double T)
{
    const seg__clv_spec *sp = seg__clv_spec_of(f->kind);
    return sp->expected ? sp->expected(f->p, t, x, tx, T) : NAN;
}

#define STR(n, d, def, ch) {sizeof(seg_param_def), n, SEG_PARAM_STR, d, 0, 0, 0, def, ch}
#define NUM(n, t, d, lo, hi, def) {sizeof(seg_param_def), n, t, d, lo, hi, def, NULL, NULL}
#define COMMON                                                               \
    STR("weight_column", "column of row weights (customers per row); empty: " \
        "1 each", "", NULL),                                                  \
    NUM("penalizer", SEG_PARAM_F64, "L2 penalty on the parameters, added to " \
        "the mean negative log-likelihood", 0, 1e6, 0),                      \
    NUM("max_iter", SEG_PARAM_INT, "iteration limit of the optimiser", 10,  \
        100000, 2000),                                                        \
    STR("fixed", "use these parameters instead of fitting: NAME=VALUE,...", \
        "", NULL)
#define COVARIATES                                                           \
    STR("trans_covariates", "attribute columns whose effects scale the "    \
        "purchase process: COL,COL,...", "", NULL),                          \
    STR("life_covariates", "attribute columns whose effects scale the "     \
        "dropout process: COL,COL,...", "", NULL),                           \
    STR("covariates_constrained", "attribute columns with one effect on "   \
        "both processes: COL,COL,...", "", NULL),                            \
    NUM("covariate_penalty", SEG_PARAM_F64, "L2 penalty: lambda times the "  \
        "sum of the squared covariate effects, added to the mean negative "  \
        "log-likelihood", 0, 1e6, 0)

#define TIMING_ON                                                            \
    STR("timing", "also write the churn-timing columns: .p_alive_at, "     \
        ".p_none ... (docs/clv.md)", "off", "off|on")
#define TIMING_DAYS                                                          \
    NUM("timing_horizon", SEG_PARAM_F64, "time units ahead for "            \
        ".p_alive_at and .p_none; 0: timing_days", 0, 1e6, 0),              \
    NUM("timing_days", SEG_PARAM_F64, "days ahead for .p_alive_at and "     \
        ".p_none when timing_horizon is 0", 0, 1e6, 90)

/* The prediction intervals of a score (bootstrap.c). */
#define INTERVALS                                                            \
    NUM("interval", SEG_PARAM_F64, "level of the prediction intervals "      \
        "PREFIX.OUT_lo/_hi (0.9: 5% to 95%); 0: none", 0, 0.9999, 0),          \
    NUM("draws", SEG_PARAM_INT, "bootstrap draws (parametric) or resamples " \
        "(nonparametric) behind the intervals", 20, 1000000, 1000),           \
    NUM("seed", SEG_PARAM_INT, "seed of the bootstrap draws", 0,             \
        9007199254740991.0, 1),                                              \
    STR("bootstrap", "parametric: parameters drawn from their asymptotic "   \
        "normal; nonparametric: refits on customers resampled", "parametric", \
        "parametric|nonparametric"),                                         \
    NUM("threads", SEG_PARAM_INT, "threads for the intervals, the large "    \
        "fits and scores, and clv's two fits side by side; 0: every "        \
        "processor for the intervals, the dataset's setting for the rest",   \
        0, 64, 0)

static const seg_param_def cont_params[] = {
    STR("x_column", "repeat purchases x", "frequency", NULL),
    STR("t_x_column", "time of the last purchase, from the first", "t_x", NULL),
    STR("T_column", "time from the first purchase to the end", "T", NULL),
    NUM("horizon", SEG_PARAM_F64, "time units ahead for .expected", 0, 1e6,
        52),
    COMMON,
    COVARIATES,
    STR("dynamic_covariates", "on (pareto_nbd): trans_covariates and "
        "life_covariates name columns of the covariate table "
        "(seg_model_set_covariate_table), values per period", "off",
        "off|on"),
    TIMING_ON,
    TIMING_DAYS,
    INTERVALS,
};

static const seg_param_def bgbb_params[] = {
    STR("x_column", "transactions x", "frequency", NULL),
    STR("t_x_column", "opportunity of the last transaction", "recency", NULL),
    STR("n_column", "opportunities n", "periods", NULL),
    NUM("horizon", SEG_PARAM_F64, "future opportunities for .expected", 0,
        1e6, 5),
    COMMON,
    TIMING_ON,
    NUM("timing_horizon", SEG_PARAM_F64, "future opportunities for "
        ".p_alive_at and .p_none", 0, 1e6, 1),
    INTERVALS,
};

static const seg_param_def gg_params[] = {
    STR("x_column", "repeat purchases x", "frequency", NULL),
    STR("m_column", "mean value of the repeat purchases", "monetary_repeat_mean",
        NULL),
    COMMON,
};

static const seg_param_def clv_params[] = {
    STR("purchase_model", "the purchase model", "bgnbd",
        "bgnbd|mbgnbd|pareto_nbd|ggompertz"),
    STR("x_column", "repeat purchases x", "frequency", NULL),
    STR("t_x_column", "time of the last purchase, from the first", "t_x", NULL),
    STR("T_column", "time from the first purchase to the end", "T", NULL),
    STR("m_column", "mean value of the repeat purchases", "monetary_repeat_mean",
        NULL),
    NUM("horizon_months", SEG_PARAM_INT, "months of lifetime value", 1, 1200,
        12),
    NUM("units_per_month", SEG_PARAM_F64,
        "time units in a month; 0: from the unit of the T and t_x columns "
        "(30.436875 days, 4.348125 weeks)", 0, 1e6, 0),
    NUM("discount_rate", SEG_PARAM_F64, "discount rate per month", 0, 10,
        0.01),
    STR("discounting", "discrete (monthly, as lifetimes) or continuous",
        "discrete", "discrete|continuous"),
    NUM("horizon", SEG_PARAM_F64, "time units ahead for .expected; 0: "
        "horizon_days", 0, 1e6, 0),
    NUM("horizon_days", SEG_PARAM_F64, "days ahead for .expected when "
        "horizon is 0", 0, 1e6, 364),
    COMMON,
    STR("fixed_spend", "Gamma-Gamma parameters instead of fitting: "
        "p=...,q=...,gamma=...", "", NULL),
    COVARIATES,
    TIMING_ON,
    TIMING_DAYS,
    INTERVALS,
};
#undef TIMING_ON
#undef TIMING_DAYS
#undef STR
#undef NUM
#undef COMMON
#undef COVARIATES
#undef INTERVALS

static int clv_create_kind(void **state, int kind)
{
    clv_state *st = seg__calloc(1, sizeof *st);
    if (!st)
        return SEG_ENOMEM;
    st->kind = kind;
    st->f.kind = kind == SEG__CLV_CLV ? SEG__CLV_BGNBD : kind;
    st->gg.kind = SEG__CLV_GG;
    *state = st;
    return SEG_OK;
}

#define CREATE(fn, k)                                                        \
    static int fn(void **state, void *ud)                                    \
    {                                                                        \
        (void)ud;                                                            \
        return clv_create_kind(state, k);                                    \
    }
CREATE(create_bgnbd, SEG__CLV_BGNBD)
CREATE(create_mbgnbd, SEG__CLV_MBGNBD)
CREATE(create_pnbd, SEG__CLV_PNBD)
CREATE(create_bgbb, SEG__CLV_BGBB)
CREATE(create_gg, SEG__CLV_GG)
CREATE(create_clv, SEG__CLV_CLV)
CREATE(create_ggompertz, SEG__CLV_GGOMPERTZ)
#undef CREATE

static void clv_destroy(void *state, void *ud)
{
    (void)ud;
    clv_state *st = state;
    if (st) {
        seg__clv_cov_free(st->f.cov);
        seg__free(st->resampled);
    }
    seg__free(state);
}

/* The refits of the nonparametric bootstrap, made with the fit since
 * they need the data it was fitted on. */
static int keep_resamples(clv_state *st, const seg_model *m,
                          const seg_dataset *ds)
{
    if (st->kind == SEG__CLV_GG)
        return SEG_OK;
    int rc = st->f.cov ? seg__clv_cov_resample(m, ds, &st->f, st->kind,
                                               &st->resampled)
                       : seg__clv_resample(m, ds, st->kind, st->f.kind,
                                           &st->resampled);
    st->nresampled = st->resampled ? (size_t)seg__param_num(m, "draws") : 0;
    return rc;
}

/* clv's spend fit, on a thread of its own beside the purchase fit. */
typedef struct spend_job {
    seg_model *m;
    const seg_dataset *ds;
    seg__clv_fit *gg;
    int rc;
    char msg[SEG__ERRMSG_MAX]; /* its failure, as the thread saw it */
} spend_job;

static void *spend_fit(void *vj)
{
    spend_job *j = vj;
    j->rc = seg__clv_fit_kind(j->m, SEG__CLV_GG, j->ds,
                              seg__param_str(j->m, "fixed_spend"), j->gg);
    if (j->rc)
        snprintf(j->msg, sizeof j->msg, "%s", seg_errmsg());
    return NULL;
}

/* The purchase and spend fits of clv, which share nothing but the
 * dataset they read: side by side when the fit may take two threads
 * (the spend fit, mostly the merge of its rows, then costs no wall
 * time), else one after the other. The results and the message are
 * those of the sequential order: the purchase fit's failure first. The
 * spend fit's thread has no progress callback, so a cancel ends the
 * purchase fit and then waits for the spend fit. */
static int fit_both(clv_state *st, seg_model *m, const seg_dataset *ds)
{
    const char *fixed = seg__param_str(m, "fixed");
    spend_job job = {m, ds, &st->gg, SEG_OK, {0}};
    if (seg__threads(seg__clv_fit_threads(m, ds), 2, 1) < 2) {
        int rc = seg__clv_fit_kind(m, seg__clv_purchase_kind(m), ds, fixed,
                                   &st->f);
        if (!rc)
            spend_fit(&job);
        return rc ? rc : job.rc;
    }
    seg__jobs side;
    seg__jobs_start(&side, spend_fit, &job, sizeof job, 1);
    int rc = seg__clv_fit_kind(m, seg__clv_purchase_kind(m), ds, fixed,
                               &st->f);
    char msg[SEG__ERRMSG_MAX] = "";
    if (rc)
        snprintf(msg, sizeof msg, "%s", seg_errmsg());
    seg__jobs_wait(&side);
    /* the message this thread and the model keep is the one the
     * sequential order gives */
    if (rc)
        return seg__model_error(m, rc, "%s", msg);
    if (job.rc)
        return seg__model_error(m, job.rc, "%s", job.msg);
    return SEG_OK;
}

static int clv_fit(void *state, seg_model *m, const seg_dataset *ds, void *ud)
{
    (void)ud;
    clv_state *st = state;
    seg__free(st->resampled);
    st->resampled = NULL;
    st->nresampled = 0;
    int rc;
    if (st->kind != SEG__CLV_CLV && seg__clv_dyncov_on(m))
        return st->kind == SEG__CLV_PNBD
                   ? seg__clv_dyncov_fit(m, ds, &st->f)
                   : seg__model_error(m, SEG_EINVAL, "%s: dynamic covariates "
                                      "are for pareto_nbd", seg_model_name(m));
    if (st->kind != SEG__CLV_CLV) {
        rc = seg__clv_fit_kind(m, st->kind, ds, seg__param_str(m, "fixed"),
                               &st->f);
        return rc ? rc : keep_resamples(st, m, ds);
    }
    rc = seg__clv_units(m, ds, &st->upm);
    if (!rc)
        rc = fit_both(st, m, ds);
    if (!rc && !(st->gg.p[1] > 1))
        rc = seg__model_error(m, SEG_ERANGE, "%s: Gamma-Gamma q = %g <= 1: "
                              "the mean spend is infinite", seg_model_name(m),
                              st->gg.p[1]);
    return rc ? rc : keep_resamples(st, m, ds);
}

typedef seg__clv_hist hist;

/* By (x, T, the customer's own parameters), then t_x and the mean spend:
 * the histories that share the factors of seg__clv_pair_factors() are
 * adjacent, and equal histories too. */
static int cmp_hist(const void *a, const void *b)
{
    const hist *x = a, *y = b;
    static const int order[4 + SEG__NP] = {0, 2, 4, 5, 6, 7, 8, 1, 3};
    for (int c = 0; c < 4 + SEG__NP; c++)
        if (x->k[order[c]] != y->k[order[c]])
            return x->k[order[c]] < y->k[order[c]] ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* The outputs of one history of the score: those of
 * seg__clv_score_factored() under the customer's own parameters (k[4..],
 * when covariates move them), and from o[4] the timing with horizon th
 * (NaN: none). pf: the factors of its (x, T), computed when fresh. */
#define NOUT (4 + SEG__TIMING_N)
static void score_one(const clv_state *st, const seg__clv_scored *sc,
                      double th, const double *k, seg__clv_pair *pf,
                      bool fresh, double *o)
{
    seg__clv_fit own;
    const seg__clv_fit *f = &st->f;
    if (f->cov) { /* a copy of the fit, not made without covariates */
        own = st->f;
        memcpy(own.p, k + 4, sizeof own.p);
        own.cov = NULL;
        f = &own;
    }
    if (!isnan(th) && !seg__clv_timing(f, th, k[0], k[1], k[2], o + 4))
        o[4] = NAN; /* an error below */
    if (fresh)
        seg__clv_pair_factors(sc, f, k[0], k[2], pf);
    seg__clv_score_factored(sc, f, sc->gg, k, pf, o);
}

enum { PREFETCH = 16 };

#if defined(__GNUC__)
#define prefetch(p, w) __builtin_prefetch((p), (w))
#else
#define prefetch(p, w) ((void)(p), (void)(w))
#endif

/* Why the history k of customer i cannot be scored, as the model's
 * error; SEG_OK when it can. */
static int bad_history(const clv_state *st, const seg_model *m,
                       const seg_dataset *ds, const char *prefix,
                       const double *k, size_t i)
{
    const char *why = seg__clv_bad_row(st->f.kind, k);
    return why ? seg__model_error(m, SEG_ERANGE, "%s: customer '%s' has %s",
                                  prefix, seg_dataset_customer_id(ds, i), why)
               : SEG_OK;
}

/* Room for the factors pf of a pair (x, T): the month curve of the pair,
 * and the discount of each month; the room to free, NULL when out of
 * memory. */
static double *pair_room(const seg__clv_scored *sc, seg__clv_pair *pf)
{
    int months = sc->kind == SEG__CLV_CLV ? sc->val.months : 0;
    double *curve = seg__malloc((2 * (size_t)months + 1) * sizeof *curve);
    for (int i = 1; i <= months && curve; i++)
        curve[months + i - 1] = pow(1 + sc->val.rate, i);
    *pf = (seg__clv_pair){NAN, NAN, curve, curve ? curve + months : NULL};
    return curve;
}

static int check_outputs(const clv_state *st, const seg_model *m,
                         const seg_dataset *ds, const char *prefix,
                         const double *const *in, double *const *out, size_t n,
                         double th, const double *q);

/* A span of the ordered histories of score_by_ranks(), scored on one
 * thread: from a pair's first history, so that each span computes
 * what the whole run computes for it. Only the calling thread's span
 * reports progress (prog NULL on the others). */
typedef struct score_span {
    const clv_state *st;
    const seg__clv_scored *sc;
    double th;
    const double *const *in;
    double *const *out;
    const double *sorted;
    const uint32_t *cust;
    size_t from, to;
    int ncols;
    seg__progress *prog;
    int rc;
} score_span;

static void *score_span_run(void *vs)
{
    score_span *s = vs;
    const clv_state *st = s->st;
    const seg__clv_scored *sc = s->sc;
    bool clv = st->kind == SEG__CLV_CLV;
    seg__clv_pair pf;
    double *curve = pair_room(sc, &pf);
    s->rc = curve ? SEG_OK : SEG_ENOMEM;
    double o[NOUT];
    for (int c = 0; c < NOUT; c++)
        o[c] = NAN;
    const double *prev = NULL;
    for (size_t j = s->from; j < s->to && curve; j++) {
        if ((s->rc = seg__progress_at(s->prog, j)) != SEG_OK)
            break;
        if (j + PREFETCH < s->to) {
            /* the customers come in the order of their histories, far
             * apart in the columns: their cells are fetched ahead */
            size_t ahead = s->cust[j + PREFETCH];
            if (clv)
                prefetch(s->in[3] + ahead, 0);
            for (int c = 0; c < s->ncols; c++)
                prefetch(s->out[c] + ahead, 1);
        }
        const double *h = s->sorted + 3 * j;
        size_t i = s->cust[j];
        double k[4 + SEG__NP] = {h[0], h[1], h[2], clv ? s->in[3][i] : 0};
        if (!prev || memcmp(h, prev, 3 * sizeof *h) != 0)
            score_one(st, sc, s->th, k, &pf,
                      !prev || h[0] != prev[0] || h[2] != prev[2], o);
        else
            seg__clv_score_spend(sc, sc->gg, k, &pf, o);
        prev = h;
        for (int c = 0; c < s->ncols; c++)
            s->out[c][i] = o[c];
    }
    seg__free(curve);
    return NULL;
}

/* Histories below this many are scored on one thread. */
#define SPAN_MIN 65536

/* The outputs of score_histories() without customer parameters, the
 * histories ordered by the ranks of their values instead of a
 * comparison sort of them with their mean spends: the factors of a pair
 * (x, T) and the purchase outputs of a history (x, t_x, T) are computed
 * once, for their first customer, the spend and value for every
 * customer, with the same functions on the same numbers as
 * score_one(), so to the same bits, in spans on several threads
 * (score_span_run()). *done false, nothing else done but the NaN of
 * customers without a history, when the values are too many for the
 * ranks. */
static int score_by_ranks(const clv_state *st, const seg_model *m,
                          seg_dataset *ds, const char *prefix,
                          const double *const *in, double *const *out, size_t n,
                          const seg__clv_scored *sc, double th, bool *done)
{
    bool clv = st->kind == SEG__CLV_CLV;
    int ncols = isnan(th) ? 4 : NOUT;
    *done = n <= UINT32_MAX;
    if (!*done)
        return SEG_OK;
    /* the histories gathered (d), then ordered (sorted); d is given back
     * once they are, and only then are the outputs first written, so
     * that the two copies and the outputs are never all in memory */
    double *d = seg__malloc((n ? n : 1) * 3 * sizeof *d);
    double *sorted = seg__malloc((n ? n : 1) * 3 * sizeof *sorted);
    uint32_t *cust = seg__malloc((n ? n : 1) * sizeof *cust);
    int rc = d && sorted && cust ? SEG_OK : seg__nomem(NULL);
    size_t nv = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        double k[4 + SEG__NP] = {in[0][i], in[1][i], in[2][i],
                                 clv ? in[3][i] : 0};
        if (isnan(k[0]) || isnan(k[1]) || isnan(k[2]))
            continue;
        if ((rc = bad_history(st, m, ds, prefix, k, i)) != SEG_OK)
            break;
        memcpy(d + 3 * nv, k, 3 * sizeof *d);
        cust[nv++] = (uint32_t)i;
    }
    if (!rc) {
        rc = seg__clv_order_histories(d, nv, 3, cust, sorted,
                                      seg__clv_fit_threads(m, ds));
        *done = rc != SEG_ERANGE;
        if (rc == SEG_ENOMEM)
            rc = seg__nomem(NULL);
    }
    seg__free(d);
    /* missing for the customers without a history; the spans write the
     * others */
    for (size_t i = 0; i < n && !rc; i++)
        for (int c = 0; c < ncols; c++)
            out[c][i] = NAN;
    /* the ordered histories in spans that start at a new pair (x, T) */
    score_span span[SEG__MAX_THREADS];
    int nt = rc ? 0 : seg__threads(seg__clv_fit_threads(m, ds), nv, SPAN_MIN);
    size_t from = 0;
    for (int t = 0; t < nt; t++) {
        size_t to = t == nt - 1 ? nv : nv / (size_t)nt * (size_t)(t + 1);
        if (to < from)
            to = from;
        while (to < nv && to > 0 &&
               sorted[3 * to] == sorted[3 * (to - 1)] &&
               sorted[3 * to + 2] == sorted[3 * (to - 1) + 2])
            to++;
        span[t] = (score_span){st, sc, th, in, out, sorted, cust, from, to,
                               ncols, t ? NULL : seg__progress_current(),
                               SEG_OK};
        from = to;
    }
    if (nt)
        seg__run_jobs(score_span_run, span, sizeof *span, nt);
    for (int t = 0; t < nt && !rc; t++)
        rc = span[t].rc == SEG_ENOMEM ? seg__nomem(NULL) : span[t].rc;
    seg__free(sorted);
    seg__free(cust);
    return *done ? rc : SEG_OK;
}

/* The purchase-model outputs of every customer with a history. They are
 * functions of the history (x, t_x, T and for clv the mean spend) alone,
 * and a large base has far fewer distinct histories than customers: each
 * is computed once, for its first customer, and copied to the others. */
static int score_histories(const clv_state *st, const seg_model *m,
                           seg_dataset *ds, const char *prefix,
                           const double *const *in, double *const *out, size_t n,
                           const seg__clv_scored *sc, double th,
                           const double *q, hist **keep, size_t *kept)
{
    int ncols = isnan(th) ? 4 : NOUT; /* out[] holds ncols columns */
    if (!q && !(seg__param_num(m, "interval") > 0)) {
        bool done = false;
        int rc = score_by_ranks(st, m, ds, prefix, in, out, n, sc, th, &done);
        if (rc || done)
            return rc ? rc : check_outputs(st, m, ds, prefix, in, out, n, th,
                                           q);
    }
    hist *h = seg__malloc((n ? n : 1) * sizeof *h);
    if (!h)
        return seg__nomem(NULL);
    size_t nh = 0;
    for (size_t i = 0; i < n; i++) {
        hist r = {{in[0][i], in[1][i], in[2][i],
                   st->kind == SEG__CLV_CLV ? in[3][i] : 0, 0, 0, 0, 0}, i};
        if (q)
            memcpy(r.k + 4, q + i * SEG__NP, SEG__NP * sizeof *q);
        for (int c = 0; c < ncols; c++)
            out[c][i] = NAN;
        if (isnan(r.k[0]) || isnan(r.k[1]) || isnan(r.k[2]))
            continue;
        int brc = bad_history(st, m, ds, prefix, r.k, i);
        if (brc) {
            seg__free(h);
            return brc;
        }
        /* the clv spend is the same for every missing mean: one key */
        if (isnan(r.k[3]))
            r.k[3] = -INFINITY;
        h[nh++] = r;
    }
    qsort(h, nh, sizeof *h, cmp_hist);
    double o[NOUT];
    for (int c = 0; c < NOUT; c++)
        o[c] = NAN;
    seg__progress *prog = seg__progress_current();
    seg__clv_pair pf;
    double *curve = pair_room(sc, &pf);
    if (!curve) {
        seg__free(h);
        return seg__nomem(NULL);
    }
    for (size_t g = 0; g < nh; g++) {
        int prc = seg__progress_at(prog, g);
        if (prc != SEG_OK) {
            seg__free(curve);
            seg__free(h);
            return prc;
        }
        if (g == 0 || memcmp(h[g].k, h[g - 1].k, sizeof h[g].k) != 0) {
            const double *k0 = h[g].k, *k1 = g ? h[g - 1].k : NULL;
            bool fresh = !k1 || k0[0] != k1[0] || k0[2] != k1[2] ||
                         memcmp(k0 + 4, k1 + 4, SEG__NP * sizeof *k0) != 0;
            double k[4 + SEG__NP];
            memcpy(k, k0, sizeof k);
            if (k[3] == -INFINITY)
                k[3] = NAN;
            score_one(st, sc, th, k, &pf, fresh, o);
        }
        for (int c = 0; c < ncols; c++)
            out[c][h[g].i] = o[c];
    }
    seg__free(curve);
    *keep = h;
    *kept = nh;
    return check_outputs(st, m, ds, prefix, in, out, n, th, q);
}

/* A value that cannot be computed is an error naming the first such
 * customer, never an empty cell. */
static int check_outputs(const clv_state *st, const seg_model *m,
                         const seg_dataset *ds, const char *prefix,
                         const double *const *in, double *const *out, size_t n,
                         double th, const double *q)
{
    int nout = st->kind == SEG__CLV_CLV ? 4 : 2;
    int nt = isnan(th) ? 0 : seg__clv_timing_count(st->f.kind);
    int nreq = nt < SEG__TIMING_NEXT_MEDIAN ? nt : SEG__TIMING_NEXT_MEDIAN;
    static const char *const what[4] = {"p_alive", "expected", "spend",
                                        "value"};
    for (size_t i = 0; i < n; i++) {
        if (isnan(in[0][i]) || isnan(in[1][i]) || isnan(in[2][i]))
            continue;
        for (int c = 0; c < nout + nreq; c++) {
            int col = c < nout ? c : 4 + c - nout;
            if (!isfinite(out[col][i]))
                return seg__model_error(
                    m, SEG_ERANGE, "%s: customer '%s': %s cannot be "
                    "computed with %s", prefix, seg_dataset_customer_id(ds, i),
                    c < nout ? what[c] : seg__clv_timing_names[c - nout],
                    seg__clv_params_text(&st->f, q ? q + i * SEG__NP : NULL));
        }
    }
    return SEG_OK;
}

/* Each customer's parameters, moved by the covariate effects, into *q
 * (SEG__NP per customer, allocated). */
static int customer_params(const clv_state *st, const seg_model *m,
                           const seg_dataset *ds, const double *const *in, size_t n,
                           double **q)
{
    const seg__clv_cov *cov = st->f.cov;
    size_t k = (size_t)cov->k;
    bool *has = seg__malloc((n ? n : 1) * sizeof *has);
    double *z = seg__malloc((n ? n : 1) * k * sizeof *z);
    *q = seg__malloc((n ? n : 1) * SEG__NP * sizeof **q);
    int rc = has && z && *q ? SEG_OK : seg__nomem(NULL);
    double gamma[SEG__COV_MAX];
    size_t e = 0;
    for (size_t c = 0; c < cov->n; c++)
        if (cov->e[c].proc != SEG__COV_REF)
            gamma[e++] = cov->e[c].gamma;
    for (size_t i = 0; i < n && !rc; i++)
        has[i] = !isnan(in[0][i]) && !isnan(in[1][i]) && !isnan(in[2][i]);
    if (!rc)
        rc = seg__clv_cov_values(m, cov, ds, has, z);
    for (size_t i = 0; i < n && !rc; i++) {
        double *qi = *q + i * SEG__NP;
        if (has[i])
            seg__clv_cov_apply(st->f.kind, cov, st->f.p, gamma, z + i * k,
                               qi);
        else
            memcpy(qi, st->f.p, SEG__NP * sizeof *qi);
    }
    seg__free(has);
    seg__free(z);
    return rc;
}

static int clv_score(void *state, const seg_model *m, seg_dataset *ds,
                     const char *prefix, void *ud)
{
    (void)ud;
    const clv_state *st = state;
    if (st->kind == SEG__CLV_PNBD && seg__clv_dyncov_on(m))
        return seg__clv_dyncov_score(m, &st->f, ds, prefix);
    size_t n = seg_dataset_customer_count(ds);
    int nc = st->kind == SEG__CLV_CLV ? 4 : seg__clv_spec_of(st->kind)->ncols;
    const char *cols[4];
    cols[0] = seg__param_str(m, "x_column");
    if (st->kind == SEG__CLV_GG) {
        cols[1] = seg__param_str(m, "m_column");
    } else {
        cols[1] = seg__param_str(m, "t_x_column");
        cols[2] = seg__param_str(m, st->kind == SEG__CLV_BGBB ? "n_column"
                                                              : "T_column");
        cols[3] = seg__param_str(m, "m_column");
    }
    const double *in[4] = {NULL};
    double *out[NOUT] = {NULL};
    hist *h = NULL;
    size_t nh = 0;
    int rc = SEG_OK;
    bool timing = st->kind != SEG__CLV_GG &&
                  strcmp(seg__param_str(m, "timing"), "on") == 0;
    for (int c = 0; c < (timing ? NOUT : 4) && !rc; c++) {
        if (!(out[c] = seg__malloc((n ? n : 1) * sizeof **out)))
            rc = seg__nomem(NULL);
        if (!rc && c < nc) /* read in place: nothing is written to ds
                              until every input has been read */
            rc = seg__clv_view_col(m, ds, cols[c], &in[c]);
    }
    double upm = st->upm;
    if (!rc && st->kind == SEG__CLV_CLV &&
        (rc = seg__clv_units(m, ds, &upm)) == 0 && upm != st->upm)
        rc = seg__model_error(m, SEG_EINVAL, "%s: fitted on durations in "
                              "%s, and '%s' is in %s", prefix,
                              st->upm > 10 ? "days" : "weeks",
                              seg__param_str(m, "T_column"),
                              upm > 10 ? "days" : "weeks");
    double horizon = st->kind == SEG__CLV_GG    ? 0
                     : st->kind == SEG__CLV_CLV ? seg__clv_horizon(m, upm)
                                                : seg__param_num(m, "horizon");
    double th = NAN, dpu = 0;
    if (!rc && timing)
        rc = seg__clv_timing_horizon(m, ds, st->kind, upm, &th, &dpu);
    if (!rc && st->kind == SEG__CLV_GG) {
        for (size_t i = 0; i < n; i++)
            out[0][i] = isnan(in[0][i])
                            ? NAN
                            : seg__clv_expected_spend(&st->f, in[0][i],
                                                      in[1][i]);
    }
    seg__clv_scored sc = {st->kind, &st->f, &st->gg, upm, horizon,
                          st->resampled, st->nresampled, {0, 0, 0, false}};
    if (st->kind == SEG__CLV_CLV)
        seg__clv_valuing_of(m, upm, &sc.val);
    double *q = NULL;
    if (!rc && st->kind != SEG__CLV_GG && st->f.cov)
        rc = customer_params(st, m, ds, in, n, &q);
    if (!rc && st->kind != SEG__CLV_GG)
        rc = score_histories(st, m, ds, prefix, in, out, n, &sc, th, q, &h,
                             &nh);
    seg__free(q);
    if (!rc) {
        /* the columns handed over, not copied; on a failure half-way
         * seg_model_score()'s mark takes back those written */
        seg__out main_out[4] = {
            {st->kind == SEG__CLV_GG ? "expected_spend" : "p_alive", NULL,
             &out[0], NULL},
            {"expected", NULL, &out[1], NULL},
            {"spend", NULL, &out[2], NULL},
            {"value", NULL, &out[3], NULL}};
        rc = seg__model_put_all(m, ds, prefix, main_out,
                                st->kind == SEG__CLV_GG    ? 1
                                : st->kind == SEG__CLV_CLV ? 4
                                                           : 2);
        if (!rc && st->kind != SEG__CLV_GG) {
            int nt = isnan(th) ? 0 : seg__clv_timing_count(st->f.kind);
            for (int c = 0; c < nt && !rc; c++)
                rc = seg__model_put(m, ds, prefix, seg__clv_timing_names[c],
                                    out[4 + c], NULL);
            if (!rc && nt > SEG__TIMING_NEXT_MEDIAN)
                rc = seg__clv_timing_date(m, ds, prefix,
                                          out[4 + SEG__TIMING_NEXT_MEDIAN],
                                          dpu);
            if (!rc)
                rc = seg__clv_intervals(m, &sc, ds, prefix, h, nh, n,
                                        st->kind == SEG__CLV_CLV ? 4 : 2);
        }
    }
    seg__free(h);
    for (int c = 0; c < NOUT; c++)
        seg__free(out[c]);
    return rc;
}

/* results: the purchase (or only) model's, then for clv the spend model's
 * as "spend.p" ... */
static const char *const stat_names[NSTAT] = {
    "loglik", "iterations", "grad_norm", "converged", "customers", "rows",
    "evaluations", "start_evaluations", "excluded"};

static const char *clv_result_name(void *state, size_t i, void *ud)
{
    (void)ud;
    clv_state *st = state;
    const seg__clv_fit *fits[2] = {&st->f, &st->gg};
    int nfits = st->kind == SEG__CLV_CLV ? 2 : 1;
    for (int k = 0; k < nfits; k++) {
        const seg__clv_spec *sp = seg__clv_spec_of(fits[k]->kind);
        size_t base = (size_t)sp->np * 2 + NSTAT;
        const seg__clv_cov *cov = fits[k]->cov;
        size_t per = base + (cov ? 2 * (size_t)cov->k : 0);
        if (i >= per) {
            i -= per;
            continue;
        }
        if (i >= base) {
            /* the effects, then their standard errors */
            size_t j = i - base, at = j % (size_t)cov->k, e = 0;
            for (size_t c = 0; c < cov->n; c++)
                if (cov->e[c].proc != SEG__COV_REF && e++ == at)
                    return j < (size_t)cov->k ? cov->e[c].name
                                              : cov->e[c].se_name;
            return NULL;
        }
        const char *pre = k ? "spend." : "";
        char *buf = st->names[k][i];
        if (i < (size_t)sp->np)
            snprintf(buf, 32, "%s%s", pre, sp->names[i]);
        else if (i < (size_t)sp->np * 2)
            snprintf(buf, 32, "%sse.%s", pre, sp->names[i - (size_t)sp->np]);
        else
            snprintf(buf, 32, "%s%s", pre, stat_names[i - (size_t)sp->np * 2]);
        return buf;
    }
    return NULL;
}

static int clv_result(void *state, const char *name, double *out, void *ud)
{
    (void)ud;
    const clv_state *st = state;
    const seg__clv_fit *f = &st->f;
    if (st->kind == SEG__CLV_CLV && strncmp(name, "spend.", 6) == 0) {
        f = &st->gg;
        name += 6;
    }
    const seg__clv_spec *sp = seg__clv_spec_of(f->kind);
    for (size_t c = 0; f->cov && c < f->cov->n; c++) {
        const seg__clv_effect *e = &f->cov->e[c];
        if (e->proc == SEG__COV_REF)
            continue;
        if (!strcmp(name, e->name) || !strcmp(name, e->se_name)) {
            *out = !strcmp(name, e->name) ? e->gamma : e->se;
            return SEG_OK;
        }
    }
    bool se = strncmp(name, "se.", 3) == 0;
    for (int i = 0; i < sp->np; i++) {
        if (strcmp(se ? name + 3 : name, sp->names[i]) == 0) {
            *out = se ? f->se[i] : f->p[i];
            return SEG_OK;
        }
    }
    const double vals[NSTAT] = {f->loglik,      f->iterations,
                                f->grad_norm,   f->converged,
                                f->customers,   f->rows,
                                f->evaluations, f->start_evaluations,
                                f->excluded};
    for (int i = 0; i < NSTAT; i++) {
        if (strcmp(name, stat_names[i]) == 0) {
            *out = vals[i];
            return SEG_OK;
        }
    }
    return SEG_ENOTFOUND;
}

static int want_args(const seg_model *m, const char *q, size_t n, size_t want)
{
    if (n != want)
        return seg__model_error(m, SEG_EINVAL, "'%s' takes %zu arguments, "
                                "%zu given", q, want, n);
    return SEG_OK;
}

/* A quantity of the purchase model f (the model's, or one customer's
 * parameters when covariates move them). */
static int eval_fit(const clv_state *st, const seg__clv_fit *f,
                    const seg_model *m, const char *q, const double *args,
                    size_t n, double *out)
{
    const seg__clv_spec *sp = seg__clv_spec_of(f->kind);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(args[i]))
            return seg__model_error(m, SEG_ERANGE, "'%s': argument %zu is "
                                    "not finite", q, i + 1);
    double v = NAN;
    int rc = seg__clv_timing_eval(m, f, q, args, n, &v);
    if (rc != SEG_ENOTFOUND) {
        if (!rc)
            *out = v;
        return rc;
    }
    if (st->kind == SEG__CLV_GG ||
        (st->kind == SEG__CLV_CLV && !strcmp(q, "expected_spend"))) {
        if (strcmp(q, "expected_spend") != 0)
            return SEG_ENOTFOUND;
        if ((rc = want_args(m, q, n, 2)))
            return rc;
        if (args[0] < 0)
            return seg__model_error(m, SEG_ERANGE, "'%s': needs x >= 0", q);
        v = seg__clv_expected_spend(st->kind == SEG__CLV_CLV ? &st->gg : f,
                                    args[0], args[1]);
    } else if (!strcmp(q, "p_alive") || !strcmp(q, "expected") ||
               (st->kind == SEG__CLV_CLV && !strcmp(q, "value"))) {
        size_t off = !strcmp(q, "expected") ? 1 : 0;
        size_t want = !strcmp(q, "value") ? 4 : 3 + off;
        if ((rc = want_args(m, q, n, want)))
            return rc;
        const char *why = seg__clv_bad_row(f->kind, args + off);
        if (!why && off && args[0] < 0)
            why = "a negative horizon";
        if (why)
            return seg__model_error(m, SEG_ERANGE, "'%s': %s", q, why);
        if (!strcmp(q, "p_alive"))
            v = p_alive(f, args[0], args[1], args[2]);
        else if (off)
            v = expected(f, args[0], args[1], args[2], args[3]);
        else
            v = seg__clv_value(m, f, st->upm, args[0], args[1], args[2],
                          seg__clv_expected_spend(&st->gg, args[0], args[3]));
    } else if (!strcmp(q, "expected_unconditional") &&
               sp->expected_unconditional) {
        if ((rc = want_args(m, q, n, 1)))
            return rc;
        if (args[0] < 0)
            return seg__model_error(m, SEG_ERANGE, "'%s': t < 0", q);
        v = sp->expected_unconditional(f->p, args[0]);
    } else if ((!strcmp(q, "pmf") || !strcmp(q, "pmf_conditional")) &&
               sp->pmf) {
        bool cond = !strcmp(q, "pmf_conditional");
        if ((rc = want_args(m, q, n, cond ? 5 : 2)))
            return rc;
        if (args[0] < 0 || args[1] < 0 || args[1] != floor(args[1]))
            return seg__model_error(m, SEG_ERANGE, "'%s': needs t >= 0 and a "
                                    "whole n >= 0", q);
        if (f->kind == SEG__CLV_BGBB &&
            (args[0] != floor(args[0]) || args[0] > 1e6))
            return seg__model_error(m, SEG_ERANGE, "'%s': t must be a whole "
                                    "number of opportunities up to 1e6", q);
        const char *why = cond ? seg__clv_bad_row(f->kind, args + 2) : NULL;
        if (why)
            return seg__model_error(m, SEG_ERANGE, "'%s': %s", q, why);
        v = cond ? sp->pmf(f->p, args[0], args[1], args[2], args[3], args[4])
                 : sp->pmf(f->p, args[0], args[1], 0, 0, 0);
    } else {
        return seg__model_error(m, SEG_ENOTFOUND, "model '%s' has no "
                                "quantity '%s'", seg_model_kind(m), q);
    }
    if (!isfinite(v))
        return seg__model_error(m, SEG_ERANGE, "'%s' cannot be computed for "
                                "these arguments with %s", q,
                                seg__clv_params_text(f, NULL));
    *out = v;
    return SEG_OK;
}

/* The arguments of each quantity of a purchase model, before the
 * covariate values. */
static const struct {
    const char *q;
    size_t n;
} base_args[] = {{"p_alive", 3},  {"expected", 4}, {"value", 4},
                 {"expected_unconditional", 1}, {"pmf", 2},
                 {"pmf_conditional", 5}};

/* With covariates, a quantity takes the customer's covariate values (in
 * the order of the effects) after its own arguments. */
static int clv_eval(void *state, const seg_model *m, const char *q,
                    const double *args, size_t n, double *out, void *ud)
{
    (void)ud;
    const clv_state *st = state;
    const seg__clv_cov *cov = st->f.cov;
    if (cov && seg__clv_dyncov_on(m))
        return seg__model_error(m, SEG_EINVAL, "'%s' is not available for a "
                                "model with time-varying covariates", q);
    size_t want = 0;
    for (size_t i = 0; cov && i < sizeof base_args / sizeof *base_args; i++)
        if (!strcmp(q, base_args[i].q))
            want = base_args[i].n;
    if (!want)
        return eval_fit(st, &st->f, m, q, args, n, out);
    size_t k = (size_t)cov->k;
    if (n != want + k)
        return seg__model_error(
            m, SEG_EINVAL, "'%s' of a model with covariates takes %zu "
            "arguments and then the %zu covariate values of its effects "
            "(%s%s), %zu given",
            q, want, k, cov->e[cov->e[0].proc ? 0 : 1].name,
            k > 1 ? ", ..." : "", n);
    double gamma[SEG__COV_MAX];
    size_t e = 0;
    for (size_t c = 0; c < cov->n; c++)
        if (cov->e[c].proc != SEG__COV_REF)
            gamma[e++] = cov->e[c].gamma;
    for (size_t i = want; i < n; i++)
        if (!isfinite(args[i]))
            return seg__model_error(m, SEG_ERANGE, "'%s': argument %zu is "
                                    "not finite", q, i + 1);
    seg__clv_fit f = st->f;
    f.cov = NULL;
    seg__clv_cov_apply(f.kind, cov, st->f.p, gamma, args + want, f.p);
    for (int i = 0; i < seg__clv_spec_of(f.kind)->np; i++)
        if (seg__clv_bad_param(f.kind, i, f.p[i]))
            return seg__model_error(m, SEG_ERANGE, "'%s': the covariates "
                                    "move %s to %g", q,
                                    seg__clv_spec_of(f.kind)->names[i],
                                    f.p[i]);
    return eval_fit(st, &f, m, q, args, want, out);
}

/* A fit as one state line: its kind, then the numbers; standard errors
 * may be NaN. */
static int put_fit(seg_write_fn w, void *wu, const char *tag,
                   const seg__clv_fit *f)
{
    const double vals[15] = {f->kind, f->p[0], f->p[1], f->p[2], f->p[3],
                             f->se[0], f->se[1], f->se[2], f->se[3],
                             f->loglik, f->grad_norm, f->customers, f->rows,
                             f->iterations, f->converged};
    int rc = seg__state_put(w, wu, tag, vals, 15);
    if (!rc && seg__clv_spec_of(f->kind)->np > 4) {
        const double more[2] = {f->p[4], f->se[4]};
        rc = seg__state_put(w, wu, "fit5", more, 2);
    }
    return rc;
}

/* The covariance of the log-parameters, np x np, on a line of its own
 * after its fit's: a file of 0.1 has none, and its model gives no
 * prediction intervals. */
static int put_cov(seg_write_fn w, void *wu, const char *tag,
                   const seg__clv_fit *f)
{
    int np = seg__clv_spec_of(f->kind)->np;
    if (np > SEG__NP)
        np = SEG__NP; /* never: it tells the compiler v is large enough */
    double v[SEG__NP * SEG__NP];
    for (int i = 0; i < np; i++)
        for (int j = 0; j < np; j++)
            v[i * np + j] = f->vcov[i * SEG__NP + j];
    return seg__state_put(w, wu, tag, v, np * np);
}

static int get_cov(const seg_model *m, const char **p, const char *end,
                   const char *tag, seg__clv_fit *f)
{
    for (int i = 0; i < SEG__NP * SEG__NP; i++)
        f->vcov[i] = NAN;
    size_t kl = strlen(tag);
    if ((size_t)(end - *p) <= kl || memcmp(*p, tag, kl) != 0 ||
        (*p)[kl] != ' ')
        return SEG_OK;
    int np = seg__clv_spec_of(f->kind)->np;
    if (np > SEG__NP)
        np = SEG__NP; /* never: it tells the compiler v is large enough */
    double v[SEG__NP * SEG__NP];
    int rc = seg__state_get(m, p, end, tag, v, np * np, true);
    for (int i = 0; i < np && !rc; i++)
        for (int j = 0; j < np; j++)
            f->vcov[i * SEG__NP + j] = v[i * np + j];
    return rc;
}

static int clv_save(void *state, const seg_model *m, seg_write_fn w, void *wu,
                    void *ud)
{
    (void)m;
    (void)ud;
    const clv_state *st = state;
    int rc = put_fit(w, wu, "fit", &st->f);
    if (!rc)
        rc = seg__clv_cov_save(st->f.cov, w, wu);
    if (!rc)
        rc = put_cov(w, wu, "fit_cov", &st->f);
    if (!rc && st->kind == SEG__CLV_CLV)
        rc = put_fit(w, wu, "spend", &st->gg);
    if (!rc && st->kind == SEG__CLV_CLV)
        rc = put_cov(w, wu, "spend_cov", &st->gg);
    /* the unit the inputs had, unless units_per_month says it (as every
     * model file of 0.1 does) */
    if (!rc && st->kind == SEG__CLV_CLV &&
        !(seg__param_num(m, "units_per_month") > 0))
        rc = seg__state_put(w, wu, "units_per_month", &st->upm, 1);
    return rc;
}

static int get_fit(const seg_model *m, const char **p, const char *end,
                   const char *tag, seg__clv_fit *f)
{
    double v[15];
    int rc = seg__state_get(m, p, end, tag, v, 15, true);
    if (rc)
        return rc;
    int kind = (int)v[0];
    if (v[0] != kind || !seg__clv_spec_of(kind))
        return seg__model_error(m, SEG_EPARSE, "'%s': bad line", tag);
    /* a fifth parameter and its error on a line of their own, so that the
     * line of the four-parameter kinds stays as 0.1 wrote it */
    double more[2] = {NAN, NAN};
    if (seg__clv_spec_of(kind)->np > 4 &&
        (rc = seg__state_get(m, p, end, "fit5", more, 2, true)))
        return rc;
    f->kind = kind;
    for (int i = 0; i < SEG__NP; i++) {
        f->p[i] = i < 4 ? v[1 + i] : more[0];
        f->se[i] = i < 4 ? v[5 + i] : more[1];
        if (i < seg__clv_spec_of(kind)->np &&
            !(f->p[i] > 0 && isfinite(f->p[i])))
            return seg__model_error(m, SEG_EPARSE, "'%s': parameter %d is "
                                    "not positive", tag, i + 1);
        const char *why = i < seg__clv_spec_of(kind)->np
                              ? seg__clv_bad_param(kind, i, f->p[i])
                              : NULL;
        if (why)
            return seg__model_error(m, SEG_ERANGE, "'%s': %s = %g: %s", tag,
                                    seg__clv_spec_of(kind)->names[i], f->p[i],
                                    why);
    }
    /* a state is held to what a fit would give: its predictions for a new
     * customer and a repeat buyer must be finite */
    const seg__clv_spec *sp = seg__clv_spec_of(kind);
    if (sp->p_alive) {
        static const double probe[2][3] = {{0, 0, 0}, {1, 1, 2}};
        for (int k = 0; k < 2; k++) {
            const double *h = probe[k];
            double pa = sp->p_alive(f->p, h[0], h[1], h[2]);
            double e = sp->expected(f->p, 1, h[0], h[1], h[2]);
            if (!(pa >= 0 && pa <= 1 && isfinite(e) && e >= 0))
                return seg__model_error(m, SEG_ERANGE, "'%s': the parameters "
                                        "give predictions that cannot be "
                                        "computed", tag);
        }
    }
    f->loglik = v[9];
    f->grad_norm = v[10];
    f->customers = v[11];
    f->rows = v[12];
    f->iterations = v[13];
    f->converged = v[14];
    return SEG_OK;
}

static int clv_load(void *state, seg_model *m, const char *text, size_t len,
                    void *ud)
{
    (void)ud;
    clv_state *st = state;
    const char *p = text, *end = text + len;
    seg__clv_cov_free(st->f.cov);
    st->f.cov = NULL;
    int rc = get_fit(m, &p, end, "fit", &st->f);
    if (!rc)
        rc = seg__clv_cov_load(m, &p, end, &st->f.cov);
    if (!rc && st->f.cov && st->f.kind != SEG__CLV_BGNBD &&
        st->f.kind != SEG__CLV_MBGNBD && st->f.kind != SEG__CLV_PNBD)
        rc = seg__model_error(m, SEG_EPARSE, "covariates in the state of a "
                              "kind without them");
    if (!rc)
        rc = get_cov(m, &p, end, "fit_cov", &st->f);
    if (!rc && st->kind == SEG__CLV_CLV)
        rc = get_fit(m, &p, end, "spend", &st->gg);
    if (!rc && st->kind == SEG__CLV_CLV)
        rc = get_cov(m, &p, end, "spend_cov", &st->gg);
    if (!rc && st->kind == SEG__CLV_CLV) {
        st->upm = seg__param_num(m, "units_per_month");
        static const char key[] = "units_per_month";
        if (!(st->upm > 0) &&
            ((size_t)(end - p) < sizeof key - 1 ||
             memcmp(p, key, sizeof key - 1) != 0))
            rc = seg__model_error(m, SEG_EPARSE, "the file says neither "
                                  "units_per_month nor the time unit the "
                                  "model was fitted in");
        if (!rc && !(st->upm > 0)) {
            rc = seg__state_get(m, &p, end, key, &st->upm, 1, false);
            if (!rc && !(st->upm > 0 && st->upm <= 1e6))
                rc = seg__model_error(m, SEG_ERANGE, "'units_per_month': %g "
                                      "is not a unit", st->upm);
        }
    }
    if (!rc && st->kind != SEG__CLV_CLV && st->f.kind != st->kind)
        rc = seg__model_error(m, SEG_EPARSE, "state of another model kind");
    if (!rc && st->kind == SEG__CLV_CLV &&
        (st->f.kind != seg__clv_purchase_kind(m) || st->gg.kind != SEG__CLV_GG))
        rc = seg__model_error(m, SEG_EPARSE, "state does not match "
                              "purchase_model");
    if (!rc && p != end)
        rc = seg__model_error(m, SEG_EPARSE, "unexpected text in the state");
    return rc;
}

int seg__clv_report_table(void *state, const seg_model *m,
                          const seg_dataset *ds, const char *report,
                          seg_table **out)
{
    (void)ds;
    const clv_state *st = state;
    if (strcmp(report, "ci") != 0)
        return SEG_ENOTFOUND;
    seg__clv_scored sc = {st->kind, &st->f, &st->gg, st->upm, 0, NULL, 0,
                          {0, 0, 0, false}};
    return seg__clv_ci_table(m, &sc, out);
}

#define CLASS(var, name, desc, params, create)                               \
    const seg_model_class var = {                                            \
        sizeof(seg_model_class), name, desc, params,                         \
        sizeof params / sizeof *params, sizeof(seg_param_def), create,       \
        clv_destroy, clv_fit, clv_score, clv_save, clv_load,                 \
        clv_result_name, clv_result, clv_eval, NULL}

CLASS(seg__bgnbd_class, "bgnbd",
      "BG/NBD purchase and dropout model (Fader, Hardie and Lee 2005)",
      cont_params, create_bgnbd);
CLASS(seg__mbgnbd_class, "mbgnbd",
      "MBG/NBD: BG/NBD where customers may drop out before any repeat "
      "purchase (Batislam et al. 2007)", cont_params, create_mbgnbd);
CLASS(seg__pnbd_class, "pareto_nbd",
      "Pareto/NBD purchase and dropout model (Schmittlein et al. 1987)",
      cont_params, create_pnbd);
CLASS(seg__bgbb_class, "bgbb",
      "BG/BB discrete-time model (Fader, Hardie and Shang 2010)",
      bgbb_params, create_bgbb);
CLASS(seg__gg_class, "gamma_gamma",
      "Gamma-Gamma spend per transaction (Fader, Hardie and Lee 2005)",
      gg_params, create_gg);
CLASS(seg__ggompertz_class, "ggompertz",
      "GGompertz/NBD: Poisson purchases and a gamma-Gompertz lifetime "
      "(Bemmaor and Glady 2012)", cont_params, create_ggompertz);
CLASS(seg__clv_class, "clv",
      "customer lifetime value: a purchase model and Gamma-Gamma, discounted",
      clv_params, create_clv);

/* For the holdout report (cov_holdout.c): the effects of a model of these
 * classes, or NULL. */
const seg__clv_cov *seg__clv_class_cov(const seg_model_class *cls,
                                       const void *state)
{
    if (cls->eval != clv_eval || !state)
        return NULL;
    return ((const clv_state *)state)->f.cov;
}
