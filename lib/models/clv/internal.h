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
} seg__clv_spec;

extern const seg__clv_spec seg__clv_bgnbd, seg__clv_mbgnbd, seg__clv_pnbd,
    seg__clv_bgbb, seg__clv_gg, seg__clv_ggompertz;
/* The starting points of the GGompertz/NBD fit: the family's give four
 * parameters. */
#define SEG__GGOMPERTZ_STARTS 4
extern const double seg__ggompertz_starts[SEG__GGOMPERTZ_STARTS][SEG__NP];

/* The spec of a fitted kind (SEG__CLV_BGNBD .. SEG__CLV_GG and
 * SEG__CLV_GGOMPERTZ); NULL for SEG__CLV_CLV and any other number. */
const seg__clv_spec *seg__clv_spec_of(int kind);

typedef struct seg__clv_fit {
    int kind;
    double p[SEG__NP], se[SEG__NP];
    double loglik, grad_norm, customers, rows, iterations, converged;
    /* not saved with a model: evaluations of the likelihood over all rows
     * and over the subsample that gave the start, and the customers left
     * out of it (Gamma-Gamma: a repeat buyer whose mean spend is not
     * positive) */
    double evaluations, start_evaluations, excluded;
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

/* The distinct values among v[0], v[stride], ... (n of them): the rank of
 * each value among them into rank[], their number into *nv and, when
 * sorted is not NULL, the sorted distinct values into *sorted (allocated).
 * SEG_ERANGE, with nothing allocated, when there are more than max;
 * SEG_ENOMEM. -0 and 0 are one value; no value may be NaN. */
int seg__clv_ranks(const double *v, size_t n, size_t stride, size_t max,
                   uint32_t *rank, double **sorted, size_t *nv);
/* Copy a numeric column of the dataset into v (n values). */
int seg__clv_read_col(const seg_model *m, const seg_dataset *ds,
                      const char *col, double *v, size_t n);

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

#endif /* SEG_MODELS_CLV_INTERNAL_H */
