/* What the customer-base kinds share: the table that describes a kind
 * (its parameters, data columns, log-likelihood and predictions), a fit,
 * and the maximum-likelihood driver. Not API. */
#ifndef SEG_MODELS_CLV_INTERNAL_H
#define SEG_MODELS_CLV_INTERNAL_H

#include <stdint.h>

#include "models/internal.h"
#include "models/clv/numeric.h"

/* The number of a kind is written into saved state: append, never
 * renumber. */
enum {
    SEG__CLV_BGNBD,
    SEG__CLV_MBGNBD,
    SEG__CLV_PNBD,
    SEG__CLV_BGBB,
    SEG__CLV_GG,
    SEG__CLV_CLV,
    SEG__CLV_GGOMPERTZ
};

/* One fitted kind. Predictions take its natural (positive) parameters p;
 * a NULL prediction is a quantity the kind does not have. */
typedef struct seg__clv_spec {
    const char *kind;
    int np;
    const char *names[SEG__NP];
    int ncols; /* data columns per row: (x, t_x, T) or (x, m) */
    /* log-likelihood of one row d, over dual numbers for the gradient */
    seg__dual (*row_ll)(const seg__dual *p, const double *d);
    double (*p_alive)(const double *p, double x, double tx, double T);
    /* expected purchases in (T, T + t] of a customer with (x, t_x, T) */
    double (*expected)(const double *p, double t, double x, double tx,
                       double T);
    /* expected purchases in (0, t] of a new customer */
    double (*expected_unconditional)(const double *p, double t);
    /* P(n purchases in (T, T + t]) of a customer with (x, t_x, T); at
     * x = t_x = T = 0, P(X(t) = n) of a new customer */
    double (*pmf)(const double *p, double t, double n, double x, double tx,
                  double T);
    /* Optional, for speed on large data: tables built once from the n
     * fitting rows (d, ncols values each; weights w, borrowed), and the
     * total log-likelihood at the natural parameters p with its gradient
     * and its np x np Hessian (either may be NULL); NaN outside the
     * domain. prepare returns NULL when out of memory. */
    void *(*prepare)(const double *d, const double *w, size_t n);
    double (*total)(void *prep, const double *p, double *grad, double *hess);
    void (*release)(void *prep);
    /* Optional: how many threads the evaluator may use (0: every
     * processor); its results do not depend on the number. */
    void (*threads)(void *prep, int threads);
} seg__clv_spec;

/* The threads a fit of m may use: the model's `threads` when set, else
 * the dataset's (seg_dataset_set_threads(); ds may be NULL). */
int seg__clv_fit_threads(const seg_model *m, const seg_dataset *ds);

/* The BG/NBD family's evaluator of many rows (bgnbd_total.c), the
 * specs' prepare (BG/NBD, MBG/NBD), total, release and threads. */
void *seg__fam_prepare_bgnbd(const double *d, const double *w, size_t n);
void *seg__fam_prepare_mbgnbd(const double *d, const double *w, size_t n);
double seg__fam_total(void *prep, const double *p, double *grad, double *hess);
void seg__fam_release(void *prep);
void seg__fam_threads(void *prep, int threads);
/* The Pareto/NBD evaluator of many rows (pnbd_total.c), the spec's
 * prepare, total and release. */
void *seg__pnbd_prepare(const double *d, const double *w, size_t n);
double seg__pnbd_total(void *prep, const double *p, double *grad,
                       double *hess);
void seg__pnbd_release(void *prep);
void seg__pnbd_threads(void *prep, int threads);
/* The Pareto/NBD P(alive) in pieces (pareto_nbd.c), as its p_alive
 * computes it: the term f of each time y (t_x or T) of a customer with x
 * repeat purchases, n at once (ok[k] false where its series fails);
 * what the pair (x, T) gives alone; the scaled form of the odds of
 * having left, under the reference R of x (seg__pnbd_reference()):
 * F = e^(f - R) of a term, and of the pair G = e^(a + b + c + R),
 * E2 = e^(a + b + c + f); and P(alive) from them. Where the scaled form
 * does not serve (a failed series, a factor out of the normal range,
 * t_x too close to T) it leaves NaN, and seg__pnbd_alive_of_terms()
 * gives P(alive) from the term of t_x and the pair's. */
typedef struct seg__pnbd_pair {
    bool ok;          /* the term of T; f is NaN where not */
    double f;
    double a, b, c;   /* log s - log(r+s+x), (r+x) log(alpha+T),
                         s log(beta+T) */
    double g, e2;     /* the scaled pieces, NaN out of range */
} seg__pnbd_pair;
void seg__pnbd_alive_terms(const double *p, double x, const double *y, int n,
                           bool *ok, double *f);
void seg__pnbd_alive_pair(const double *p, double x, double T,
                          seg__pnbd_pair *pp);
/* the same from the term of T (ok, f) computed already and from
 * a = seg__pnbd_x_log(p, x), which the pairs of one x share */
double seg__pnbd_x_log(const double *p, double x);
/* Where the quadrature of Pareto/NBD's A0 over (t_x, T) centres its rule
 * in the logit of (tau - t_x) / (T - t_x) under p = (r, alpha, s, beta),
 * and the spread of the rule (seg__quad_logit()'s m and s). */
double seg__pnbd_a0_centre(const double *p, double x, double tx, double T);
#define SEG__PNBD_A0_SPREAD 2.0
void seg__pnbd_pair_of_x(const double *p, double x, double T, double a,
                         bool ok, double f, seg__pnbd_pair *pp);
double seg__pnbd_reference(const double *p, double x);
double seg__pnbd_term_scale(double f, double R);
void seg__pnbd_pair_scale(seg__pnbd_pair *pp, double R);
/* n draws of one history: the terms f1[d] of its t_x, F1[d] scaled, and
 * its pair's pieces pp[d], into pa; false when some pa[d] is NaN. */
bool seg__pnbd_alive_scaled(const double *f1, const double *F1,
                            const seg__pnbd_pair *pp, size_t n, double *pa);
double seg__pnbd_alive_of_terms(const double *p, double x, double tx,
                                double T, bool ok1, double f1,
                                const seg__pnbd_pair *pp);
/* The BG/BB evaluator of many rows (bgbb_total.c): rows sharing (x, t_x)
 * share one recurrence over the opportunities. */
void *seg__bgbb_prepare(const double *d, const double *w, size_t n);
double seg__bgbb_total(void *prep, const double *p, double *grad,
                       double *hess);
void seg__bgbb_release(void *prep);
void seg__bgbb_threads(void *prep, int threads);

extern const seg__clv_spec seg__clv_bgnbd, seg__clv_mbgnbd, seg__clv_pnbd,
    seg__clv_bgbb, seg__clv_gg, seg__clv_ggompertz;
/* The starting points of the GGompertz/NBD fit: the family's give four
 * parameters. */
#define SEG__GGOMPERTZ_STARTS 4
extern const double seg__ggompertz_starts[SEG__GGOMPERTZ_STARTS][SEG__NP];

/* The spec of a fitted kind (SEG__CLV_BGNBD .. SEG__CLV_GG and
 * SEG__CLV_GGOMPERTZ); NULL for SEG__CLV_CLV and any other number. */
const seg__clv_spec *seg__clv_spec_of(int kind);

/* Covariates (static, CLVTools' form): a customer's effect on a process
 * is exp(eta) with eta the sum of gamma_k z_k over the effects of that
 * process. A numeric attribute is one effect; a label attribute one per
 * level but the first in sorted order, its indicator. */
enum { SEG__COV_REF = 0, SEG__COV_TRANS = 1, SEG__COV_LIFE = 2,
       SEG__COV_BOTH = 3 };
#define SEG__COV_MAX (SEG__OPT_MAXN - SEG__NP)

typedef struct seg__clv_effect {
    char *column; /* the attribute */
    char *level;  /* NULL: a numeric attribute; else the indicator of it */
    int proc;     /* SEG__COV_*; REF: the reference level, no effect */
    double gamma, se;
    char *name, *se_name; /* "trans.COL[=LEVEL]", "se.trans...." */
} seg__clv_effect;

typedef struct seg__clv_cov {
    size_t n; /* entries, references included */
    seg__clv_effect *e;
    int k; /* effects: the entries that are not references, in order */
    /* the covariance of theta = (log base parameters, effects), nvcov x
     * nvcov, the inverse Hessian at the fit that the parametric bootstrap
     * draws from; NULL when unknown (fixed effects, an older file) */
    double *vcov;
    int nvcov;
} seg__clv_cov;

void seg__clv_cov_free(seg__clv_cov *c);
/* The effects the model's parameters name, coded from the dataset's
 * attribute columns (levels of a label column among all customers);
 * *out is NULL when the model has no covariates. */
int seg__clv_cov_design(const seg_model *m, int kind, const seg_dataset *ds,
                        seg__clv_cov **out);
/* The covariate values z (k of them per customer, row-major) of every
 * customer with a history (has[i]; NULL: all); one without a value, or
 * with a level the effects do not know, is an error naming them. */
int seg__clv_cov_values(const seg_model *m, const seg__clv_cov *c,
                        const seg_dataset *ds, const bool *has, double *z);
/* A customer's parameters: the kind's base parameters p moved by the
 * effects gamma (c->k of them) at covariates z. */
void seg__clv_cov_apply(int kind, const seg__clv_cov *c, const double *p,
                        const double *gamma, const double *z, double *q);
/* The signs by which eta_trans and eta_life move the log of each base
 * parameter of a kind: dlogq[j][0] for trans, [1] for life. */
void seg__clv_cov_signs(int kind, double sign[SEG__NP][2]);
/* Save and load the effects as state lines "covariate ...". */
int seg__clv_cov_save(const seg__clv_cov *c, seg_write_fn w, void *wu);
int seg__clv_cov_load(const seg_model *m, const char **p, const char *end,
                      seg__clv_cov **out);

typedef struct seg__clv_fit {
    int kind;
    double p[SEG__NP], se[SEG__NP];
    double loglik, grad_norm, customers, rows, iterations, converged;
    /* not saved with a model: evaluations of the likelihood over all rows
     * and over the subsample that gave the start, and the customers left
     * out of it (Gamma-Gamma: a repeat buyer whose mean spend is not
     * positive) */
    double evaluations, start_evaluations, excluded;
    /* the covariate effects, fitted with the rest, or NULL; owned */
    seg__clv_cov *cov;
    /* the covariance of the log-parameters (np x np in rows of SEG__NP),
     * the inverse Hessian at the optimum: what the parametric bootstrap
     * draws from. NaN when unknown (a model file of 0.1). */
    double vcov[SEG__NP * SEG__NP];
} seg__clv_fit;

/* Fit a kind by maximum likelihood on the model's columns, or take the
 * parameters of `fixed` ("NAME=VALUE,..."), with standard errors. */
int seg__clv_fit_kind(const seg_model *m, int kind, const seg_dataset *ds,
                      const char *fixed, seg__clv_fit *f);
/* The range of every parameter, fitted, fixed or loaded: inside it the
 * formulas give finite values; a fit that runs out of it is not
 * identified by its data. */
#define SEG__CLV_PMIN 1e-10
#define SEG__CLV_PMAX 1e10
/* Why the i-th parameter of a kind cannot be v, or NULL. */
const char *seg__clv_bad_param(int kind, int i, double v);

/* Check one history (ncols values) of a kind; a static reason or NULL. */
const char *seg__clv_bad_row(int kind, const double *d);
/* "r=0.24, alpha=4.4, ..." of f's parameters, or of q (NULL: f's), for
 * messages; the calling thread's buffer, until its next call. */
const char *seg__clv_params_text(const seg__clv_fit *f, const double *q);
/* Fitting rows: ncols values each, their weights, and the total. */
typedef struct seg__clv_rows {
    double *d;
    double *w;
    size_t n;
    double total_w;
} seg__clv_rows;

/* One customer's history (unused columns 0) and weight. */
typedef struct seg__clv_key {
    double k[3];
    double w;
} seg__clv_key;

/* The n keys (n > 0) merged into out, identical histories into one row,
 * sorted by (k[0], k[1], k[2]); out->d and out->w are allocated (the
 * caller frees them, also on failure). SEG_OK or SEG_ENOMEM. */
int seg__clv_merge_keys(seg__clv_key *keys, size_t n, int nc,
                        seg__clv_rows *out);
/* The same from nc columns of n values (cols[c][i]) and their weights w
 * (NULL: all 1), the columns' ranks on up to `threads` threads (as
 * seg__threads() takes it; the result does not depend on it). */
int seg__clv_merge_cols(const double *const *cols, const double *w, size_t n,
                        int nc, seg__clv_rows *out, int threads);

/* The distinct values among v[0], v[stride], ... (n of them): the rank of
 * each value among them into rank[], their number into *nv and, when
 * sorted is not NULL, the sorted distinct values into *sorted (allocated).
 * SEG_ERANGE, with nothing allocated, when there are more than max;
 * SEG_ENOMEM. -0 and 0 are one value; no value may be NaN. */
int seg__clv_ranks(const double *v, size_t n, size_t stride, size_t max,
                   uint32_t *rank, double **sorted, size_t *nv);
/* seg__clv_ranks() of nc <= 3 columns v[c] (max n), a thread a column
 * where `threads` (as seg__threads() takes it) and n allow: the first
 * failure in column order, the columns before it done (sorted[c] to
 * free), sorted[] never NULL. */
int seg__clv_ranks_n(int nc, const double *const *v, size_t n,
                     size_t stride, uint32_t *const *rank, double **sorted,
                     size_t *nv, int threads);
/* The n histories (x, t_x, T) at d[i * stride], d[i * stride + 1] and
 * d[i * stride + 2] ordered by x, T, then t_x, equal ones in their order
 * in d: the ids in order[] (one a history, in the order of d) in that
 * order, and the histories into sorted[] (3 n values, x, t_x, T each).
 * SEG_ERANGE when their distinct values are too many for the ranks;
 * SEG_ENOMEM. No value may be NaN. */
int seg__clv_order_histories(const double *d, size_t n, size_t stride,
                             uint32_t *order, double *sorted, int threads);
/* Copy a numeric column of the dataset into v (n values). */
int seg__clv_read_col(const seg_model *m, const seg_dataset *ds,
                      const char *col, double *v, size_t n);
/* The same column in place: valid until ds changes. */
int seg__clv_view_col(const seg_model *m, seg_dataset *ds, const char *col,
                      const double **v);

/* Refine the fit f of a kind (its base parameters fitted without
 * covariates) with the effects of cov on the nk customers' histories
 * keys (cust[i]: the dataset row of key i): the effects and their
 * standard errors into cov, the rest into f. When fixed, nothing is
 * fitted: the log-likelihood and the standard errors at the parameters
 * of f and the effects of cov. */
int seg__clv_fit_cov(const seg_model *m, int kind, const seg_dataset *ds,
                     const seg__clv_key *keys, const size_t *cust, size_t nk,
                     seg__clv_cov *cov, bool fixed, seg__clv_fit *f);
/* The effects named in a fixed text ("r=...,trans.Gender=0.3,...") into
 * cov, every effect required; the other entries, for the kind, into
 * *base (allocated). */
int seg__clv_cov_fixed(const seg_model *m, seg__clv_cov *cov,
                       const char *fixed, char **base);

/* The fitting rows of a kind from the model's columns of ds, as a fit
 * reads them (*excluded: customers left out); free with
 * seg__clv_rows_free(), also on failure. */
int seg__clv_load_rows(const seg_model *m, int kind, const seg_dataset *ds,
                       seg__clv_rows *out, size_t *excluded);
void seg__clv_rows_free(seg__clv_rows *r);
/* seg__clv_fit_kind() on rows already loaded (borrowed). */
int seg__clv_fit_rows(const seg_model *m, int kind, const seg__clv_rows *rows,
                      size_t excluded, const char *fixed, seg__clv_fit *f);

/* One customer's history as a sort key (x, t_x, T, and for clv the mean
 * spend, -inf when missing), and the customer's row. */
typedef struct seg__clv_hist {
    double k[4 + SEG__NP]; /* then the customer's own parameters, or 0 */
    size_t i;
} seg__clv_hist;

/* How a clv model discounts its value, read from its parameters once:
 * horizon_months, discount_rate per month, upm time units in a month,
 * discounting continuous or monthly. */
typedef struct seg__clv_valuing {
    int months;
    double rate, upm;
    bool continuous;
} seg__clv_valuing;

void seg__clv_valuing_of(const seg_model *m, double upm, seg__clv_valuing *v);

/* The BG/NBD family's expected purchases in (T, T + t] of a customer
 * with x repeat purchases known to be alive at T (mod: MBG/NBD), which
 * has forgotten t_x: its expected() is its p_alive() times this. */
double seg__clv_family_expected_alive(const double *p, double t, double x,
                                      double T, bool mod);
/* The same at the n times t[] at once, each value to the last bit. */
void seg__clv_family_expected_alive_n(const double *p, const double *t, int n,
                                      double x, double T, bool mod,
                                      double *out);
/* The expected purchases in (T, T + t] of a customer with x repeat
 * purchases known to be alive at T, under the fit f: the kind's
 * own (the BG/NBD family's), or its expected() at t_x = T over its
 * p_alive() there.
 * Every conditional expectation of the kinds is P(alive | x, t_x, T)
 * times this. */
double seg__clv_expected_alive(const seg__clv_fit *f, double t, double x,
                               double T);
/* The discounted value per unit of spend of that customer over the
 * months of val: the value of a history is spend times P(alive) times
 * it. */
double seg__clv_value_alive(const seg__clv_valuing *val,
                            const seg__clv_fit *f, double x, double T);
/* Monthly discounting, as the value of a score: seg__clv_expected_alive()
 * at the end of each of the months of val into g (val->months values),
 * and the value of a history with P(alive) pa and the spend from it, the
 * months discounted by pw[i] = (1 + rate)^(i + 1) (NULL: computed). */
void seg__clv_month_curve(const seg__clv_valuing *val, const seg__clv_fit *f,
                          double x, double T, double *g);
double seg__clv_value_months(const seg__clv_valuing *val, const double *g,
                             double pa, double spend, const double *pw);

/* What the interval columns of a score need: the kind of the model
 * (SEG__CLV_BGNBD .. SEG__CLV_CLV), its purchase (or only) fit, for clv
 * the spend fit and the time units in a month, and the horizon of
 * .expected. */
typedef struct seg__clv_scored {
    int kind;
    const seg__clv_fit *f, *gg;
    double upm, horizon;
    /* the nonparametric bootstrap's refits (SEG__NP values each: the
     * purchase fit's nresampled, then for clv the spend fit's), or NULL */
    const double *resampled;
    size_t nresampled;
    /* for clv: how the value is discounted (months 0: not read yet) */
    seg__clv_valuing val;
} seg__clv_scored;

/* The outputs of one history k (as in seg__clv_hist, the mean spend NaN
 * when missing) under the fits f and gg: p_alive, expected, and for clv
 * spend and value, into o. */
void seg__clv_score_one(const seg_model *m, const seg__clv_scored *s,
                        const seg__clv_fit *f, const seg__clv_fit *gg,
                        const double *k, double *o);
/* What those outputs need of the pair (x, T) alone: e, the
 * seg__clv_expected_alive() at the horizon, and for clv the value of a
 * customer alive at T, as v per unit of spend or, when g is set (room for
 * s->val.months values) and the discounting is monthly, as the month
 * curve g, which gives the value of seg__clv_value() to the last digit
 * (pw: the discount factors of seg__clv_value_months(), or NULL). */
typedef struct seg__clv_pair {
    double e, v;
    double *g;
    const double *pw;
} seg__clv_pair;
void seg__clv_pair_factors(const seg__clv_scored *s, const seg__clv_fit *f,
                           double x, double T, seg__clv_pair *pf);
/* seg__clv_score_one() from the factors pf of the history's (x, T). */
void seg__clv_score_factored(const seg__clv_scored *s, const seg__clv_fit *f,
                             const seg__clv_fit *gg, const double *k,
                             const seg__clv_pair *pf, double *o);
/* Its spend and value, o[2] and o[3], for clv (else nothing) from the
 * P(alive) o[0] of the history's (x, t_x, T): what differs between the
 * customers who share them but not their mean spend k[3]. */
void seg__clv_score_spend(const seg__clv_scored *s, const seg__clv_fit *gg,
                          const double *k, const seg__clv_pair *pf, double *o);

/* Prediction intervals (bootstrap.c): when the model's `interval` is set,
 * the columns PREFIX.OUT_lo and PREFIX.OUT_hi of each of the nout outputs,
 * for the nh histories h (sorted, equal histories adjacent) of the n
 * customers of ds; customers without a history get NaN. Nothing is
 * written on failure. */
int seg__clv_intervals(const seg_model *m, const seg__clv_scored *s,
                       seg_dataset *ds, const char *prefix,
                       const seg__clv_hist *h, size_t nh, size_t n,
                       int nout);
/* The refits of bootstrap=nonparametric, made by the fit when the model's
 * interval is set (else *draws stays NULL): `draws` of them on customers
 * resampled from ds, for a kind (for clv: of its purchase_kind, then of
 * Gamma-Gamma) into *draws (allocated). */
int seg__clv_resample(const seg_model *m, const seg_dataset *ds, int kind,
                      int purchase_kind, double **draws);
/* The columns PREFIX.OUT_lo and _hi of the nout outputs: history i of
 * the nh in h gets lo[c][of[i]] and hi[c][of[i]], a customer without one
 * NaN. */
int seg__clv_put_intervals(const seg_model *m, seg_dataset *ds,
                           const char *prefix, const seg__clv_hist *h,
                           size_t nh, size_t n, int nout, const size_t *of,
                           double *const *lo, double *const *hi);
/* The intervals of the ng distinct histories h[group[g]] under the D
 * draws fd (and for clv ggd), into lo[c][g] and hi[c][g]. */
int seg__clv_evaluate(const seg_model *m, const seg__clv_scored *s,
                      const seg__clv_hist *h, const size_t *group, size_t ng,
                      const seg__clv_fit *fd, const seg__clv_fit *ggd,
                      size_t D, int nout, double **lo, double **hi);

/* The draws' generator (draws.c), for the intervals with covariates. */
typedef struct seg__clv_rng {
    uint64_t s[4];
} seg__clv_rng;
void seg__clv_rng_seed(seg__clv_rng *g, uint64_t seed);
double seg__clv_rng_unit(seg__clv_rng *g);  /* uniform in (0, 1) */
double seg__clv_rng_normal(seg__clv_rng *g); /* standard normal */
/* D draws of the parameters of fit f (no covariates) from their
 * asymptotic normal, SEG__NP values each, into out. */
int seg__clv_draw_normal(const seg_model *m, const seg__clv_fit *f,
                         seg__clv_rng *g, size_t D, double *out);
/* A resample of `customers` customers with replacement from n rows of
 * cumulative weights cum (n > 0): each row's count into cnt. */
void seg__clv_multinomial(seg__clv_rng *g, const double *cum, size_t n,
                          size_t customers, double *cnt);
/* D refits of a kind (no covariates) on customers of ds resampled with
 * replacement, SEG__NP values each, into out. */
int seg__clv_resample_kind(const seg_model *m, int kind,
                           const seg_dataset *ds, seg__clv_rng *g, size_t D,
                           double *out);

/* Prediction intervals of a model with covariates (cov_bootstrap.c): as
 * seg__clv_intervals(), each draw of the base parameters and the effects
 * moved to each customer's own parameters. */
int seg__clv_cov_intervals(const seg_model *m, const seg__clv_scored *s,
                           seg_dataset *ds, const char *prefix,
                           const seg__clv_hist *h, size_t nh, size_t n,
                           int nout);
/* The refits of bootstrap=nonparametric for the purchase fit f with
 * covariates (of a model of kind; for clv then Gamma-Gamma's): per draw
 * SEG__NP base parameters and the f->cov->k effects, then for clv
 * SEG__NP per draw; *draws stays NULL unless the model asks for them. */
int seg__clv_cov_resample(const seg_model *m, const seg_dataset *ds,
                          const seg__clv_fit *f, int kind, double **draws);
/* Keep C, the nt x nt inverse Hessian in theta (ok: it is one), as the
 * covariance of cov; false when out of memory. */
bool seg__clv_cov_keep_vcov(seg__clv_cov *cov, const double *C, int nt,
                            bool ok);

/* The effects of a model of the customer-base classes (cls, its state),
 * or NULL: another class, or no covariates. */
const seg__clv_cov *seg__clv_class_cov(const seg_model_class *cls,
                                       const void *state);
/* The covariate values (*k per customer, row-major, allocated into *z)
 * that the predictions of the customers has[i] of ds take, for the
 * holdout report; *z NULL and *k 0 for a model without covariates. */
int seg__clv_holdout_covariates(const seg_model *m, const seg_dataset *ds,
                                const bool *has, double **z, size_t *k);

/* The level of the intervals: the model's `interval`, or fallback when
 * it is 0. */
double seg__clv_level(const seg_model *m, double fallback);
/* The D (`draws`) parameter vectors behind the intervals, as fits into
 * *fd (and for clv the spend model's into *ggd; both allocated): drawn
 * from the asymptotic normal, or the fit's resamples. */
int seg__clv_make_draws(const seg_model *m, const seg__clv_scored *s,
                        size_t *D, seg__clv_fit **fd, seg__clv_fit **ggd);
/* The ql- and qh-quantiles of the n values of v (none NaN; v is
 * overwritten), exactly as seg__quantile_select() gives each (NaN for
 * n = 0), with scratch room for 2n values (quantiles.c). */
void seg__clv_two_quantiles(double *v, size_t n, double ql, double qh,
                            double *scratch, double *lo, double *hi);
/* The confidence intervals of the parameters as the table "ci". */
int seg__clv_ci_table(const seg_model *m, const seg__clv_scored *s,
                      seg_table **out);

/* Expected mean spend of a customer with x repeat purchases of mean m. */
double seg__clv_expected_spend(const seg__clv_fit *g, double x, double m);

/* The purchase model a clv model is set to. */
int seg__clv_purchase_kind(const seg_model *m);
/* The time units in a calendar month of a clv model's inputs: its
 * units_per_month when set (> 0), else from the kinds of its t_x and T
 * columns in ds (days or weeks); an unknown unit is SEG_EINVAL with the
 * model's message. */
int seg__clv_units(const seg_model *m, const seg_dataset *ds, double *upm);
/* How far ahead clv.expected counts, in the inputs' time units (upm of
 * them in a month): `horizon` when set (> 0, as in every model file of
 * 0.1), else `horizon_days` converted. */
double seg__clv_horizon(const seg_model *m, double upm);
/* Discounted lifetime value of a customer over the model's horizon, with
 * upm time units in a month. */
double seg__clv_value(const seg_model *m, const seg__clv_fit *purchase,
                      double upm, double x, double tx, double T, double spend);

/* Churn timing (timing.c): of one history, with a horizon t */
enum {
    SEG__TIMING_P_ALIVE_AT,  /* P(alive at T + t) */
    SEG__TIMING_P_NONE,      /* P(no purchase in (T, T + t]) */
    SEG__TIMING_P_NEVER,     /* P(no purchase ever after T) */
    SEG__TIMING_NEXT_MEDIAN, /* median time to the next purchase, given one */
    SEG__TIMING_NEXT_HALF,   /* time by which P(a next purchase) = 1/2 */
    SEG__TIMING_NEXT_MEAN,   /* mean time to the next purchase, given one */
    SEG__TIMING_N
};
/* The names of the columns and seg_model_eval() quantities, in that
 * order. */
extern const char *const seg__clv_timing_names[SEG__TIMING_N];
/* How many of them a kind has (the first ones): all for bgnbd, mbgnbd
 * and pareto_nbd, the two probabilities for bgbb, none for any other. */
int seg__clv_timing_count(int kind);
/* All of them into o[SEG__TIMING_N]; a time that does not exist (a
 * median with P(never) >= 1/2, an infinite mean) is NaN. False when a
 * probability cannot be computed. */
bool seg__clv_timing(const seg__clv_fit *f, double t, double x, double tx,
                     double T, double *o);
/* A timing quantity of seg_model_eval(): SEG_ENOTFOUND, with no message,
 * for any other quantity. */
int seg__clv_timing_eval(const seg_model *m, const seg__clv_fit *f,
                         const char *q, const double *args, size_t n,
                         double *out);
/* The horizon of the timing columns in the inputs' time units (a model of
 * `kind`, upm units in a month for clv), and the days in a unit (0 when
 * not known). SEG_EINVAL with the model's message when neither
 * timing_horizon nor the unit gives it. */
int seg__clv_timing_horizon(const seg_model *m, const seg_dataset *ds,
                            int kind, double upm, double *t, double *dpu);
/* PREFIX.next_date: the local day of the analysis date plus the median,
 * a timestamp; not written when the unit or the analysis date is not
 * known. */
int seg__clv_timing_date(const seg_model *m, seg_dataset *ds,
                         const char *prefix, const double *median, double dpu);

#endif /* SEG_MODELS_CLV_INTERNAL_H */
