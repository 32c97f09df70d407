/* The maximum-likelihood fit shared by the customer-base kinds: the
 * customers merged into weighted unique rows, the penalised objective
 * over the logs of the parameters, several starting points, fixed
 * parameters instead of a fit, and standard errors from the Hessian. */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models/clv/internal.h"

static const seg__clv_spec *const specs[] = {
    &seg__clv_bgnbd, &seg__clv_mbgnbd, &seg__clv_pnbd, &seg__clv_bgbb,
    &seg__clv_gg, NULL, &seg__clv_ggompertz};

const seg__clv_spec *seg__clv_spec_of(int kind)
{
    return kind >= 0 && kind < (int)(sizeof specs / sizeof *specs)
               ? specs[kind]
               : NULL;
}

typedef seg__clv_rows rows;

typedef struct objctx {
    int kind, np;
    const rows *data;
    double penalizer;
    /* evaluations so far and the budget of the whole fit, so that no
     * data set can keep the optimiser busy without end */
    long evals, max_evals;
    bool over_budget;
    /* the first parameter that left the bounds, and its value */
    int runaway;
    double runaway_value;
    /* the kind's tables for its own evaluator, or NULL */
    void *prep;
    /* its last evaluation: the optimum is usually the last point the
     * optimiser evaluated, and its log-likelihood and Hessian then serve
     * the result and the standard errors without another pass */
    bool have_last;
    double last_p[SEG__NP], last_ll, last_H[SEG__NP * SEG__NP];
    /* only a start for the fit with covariates: on large data the
     * subsample's fit is enough, and no log-likelihood is wanted */
    bool start_only;
    int threads; /* for the kind's evaluator */
    /* BFGS on the evaluator's gradient instead of Newton: BG/BB's
     * fallback where Newton found nothing */
    bool bfgs;
} objctx;

/* Whether the last evaluation was at p. */
static bool last_at(const objctx *c, const double *p)
{
    return c->have_last &&
           memcmp(c->last_p, p, (size_t)c->np * sizeof *p) == 0;
}

/* Total log-likelihood at natural parameters p, with its gradient: in
 * passes of SEG__ND parameters when a kind has more (GGompertz/NBD's
 * fifth takes a second pass), one pass without a gradient. */
static double total_ll(const objctx *c, const double *p, double *grad)
{
    if (c->prep)
        return specs[c->kind]->total(c->prep, p, grad, NULL);
    const seg__clv_spec *sp = specs[c->kind];
    /* one evaluation can take longer than the interval on large data: a
     * sign of life between rows, and a stop gives the evaluation up,
     * which makes the optimiser give up */
    seg__progress *pr = seg__progress_current();
    seg__dual sum = dc(0);
    for (int base = 0; base < c->np; base += SEG__ND) {
        seg__dual dp[SEG__NP];
        for (int i = 0; i < SEG__NP; i++)
            dp[i] = i >= c->np              ? dc(0)
                    : i >= base && i - base < SEG__ND ? dvar(p[i], i - base)
                                                      : dc(p[i]);
        sum = dc(0);
        for (size_t i = 0; i < c->data->n; i++) {
            if (seg__progress_beat(pr))
                return NAN;
            seg__dual l = sp->row_ll(dp, c->data->d + i * (size_t)sp->ncols);
            if (!isfinite(l.v))
                return NAN;
            sum = dadd(sum, dscale(l, c->data->w[i]));
        }
        if (!grad)
            break;
        for (int i = base; i < c->np && i - base < SEG__ND; i++)
            grad[i] = sum.d[i - base];
    }
    return sum.v;
}

/* The natural parameters of theta, counted as one evaluation; false when
 * the budget is spent or a parameter left its range. */
static bool enter(objctx *c, const double *theta, double *p)
{
    if (c->evals >= c->max_evals) {
        c->over_budget = true;
        return false;
    }
    c->evals++;
    for (int i = 0; i < c->np; i++) {
        p[i] = exp(theta[i]);
        if (!(p[i] >= SEG__CLV_PMIN && p[i] <= SEG__CLV_PMAX)) {
            /* the likelihood keeps improving as the parameter runs off:
             * the data do not identify it */
            if (c->runaway < 0) {
                c->runaway = i;
                c->runaway_value = p[i];
            }
            return false;
        }
    }
    return true;
}

/* Mean negative log-likelihood plus the L2 penalty, over log-parameters,
 * with its gradient and its Hessian from the kind's own evaluator. */
static double objective2(const double *theta, double *grad, double *hess,
                         void *ctx)
{
    objctx *c = ctx;
    double p[SEG__NP], g[SEG__NP], H[SEG__NP * SEG__NP];
    if (!enter(c, theta, p))
        return NAN;
    double ll = specs[c->kind]->total(c->prep, p, g, H);
    if (!isfinite(ll))
        return NAN;
    int np = c->np;
    c->have_last = true;
    memcpy(c->last_p, p, (size_t)np * sizeof *p);
    memcpy(c->last_H, H, (size_t)(np * np) * sizeof *H);
    c->last_ll = ll;
    double W = c->data->total_w, f = -ll / W, gn[SEG__NP];
    for (int i = 0; i < np; i++) {
        f += c->penalizer * p[i] * p[i];
        gn[i] = -g[i] / W + 2 * c->penalizer * p[i];
        grad[i] = gn[i] * p[i];
    }
    /* d2f/dtheta_i dtheta_j = H_ij p_i p_j + [i = j] df/dp_i p_i */
    for (int i = 0; i < np; i++)
        for (int j = 0; j < np; j++)
            hess[i * np + j] =
                (-H[i * np + j] / W + (i == j ? 2 * c->penalizer : 0)) * p[i] *
                    p[j] +
                (i == j ? gn[i] * p[i] : 0);
    return f;
}

/* Mean negative log-likelihood plus the L2 penalty, over log-parameters. */
static double objective(const double *theta, double *grad, void *ctx)
{
    objctx *c = ctx;
    double p[SEG__NP], g[SEG__NP];
    if (!enter(c, theta, p))
        return NAN;
    double ll = total_ll(c, p, g);
    if (!isfinite(ll))
        return NAN;
    double f = -ll / c->data->total_w;
    for (int i = 0; i < c->np; i++) {
        f += c->penalizer * p[i] * p[i];
        grad[i] = (-g[i] / c->data->total_w + 2 * c->penalizer * p[i]) * p[i];
    }
    return f;
}

typedef seg__clv_key key;

/* Straight into v, with the messages of seg__model_column(): a copy
 * through a column of its own costs the pages of another n values. */
/* The model's message for an input column it could not read. */
static void col_error(const seg_model *m, const seg_dataset *ds,
                      const char *col, int rc)
{
    if (rc == SEG_ENOTFOUND)
        seg__model_error(m, rc, "%s: no column '%s' (compute the features "
                         "first, or set the column parameter)",
                         seg_model_name(m), col);
    else
        seg__model_error(m, rc, "%s: column '%s': %s", seg_model_name(m), col,
                         seg_dataset_errmsg(ds));
}

int seg__clv_read_col(const seg_model *m, const seg_dataset *ds,
                      const char *col, double *v, size_t n)
{
    int rc = seg_dataset_copy_f64(ds, col, v, n);
    if (rc)
        col_error(m, ds, col, rc);
    return rc;
}

int seg__clv_view_col(const seg_model *m, seg_dataset *ds, const char *col,
                      const double **v)
{
    int rc = seg_dataset_column_data(ds, col, v, NULL);
    if (rc)
        col_error(m, ds, col, rc);
    return rc;
}

/* Check one history; returns a static reason or NULL. */
const char *seg__clv_bad_row(int kind, const double *d)
{
    for (int i = 0; i < specs[kind]->ncols; i++)
        if (!isfinite(d[i]))
            return "a value is not finite";
    if (d[0] < 0)
        return "a negative count";
    if (kind == SEG__CLV_GG)
        return d[0] > 0 && d[1] <= 0 ? "a non-positive mean spend" : NULL;
    if (d[1] < 0)
        return "a negative t_x";
    if (d[1] > d[2] * (1 + 1e-12))
        return kind == SEG__CLV_BGBB ? "t_x greater than n"
                                     : "t_x greater than T";
    if (kind == SEG__CLV_BGBB && (d[0] != floor(d[0]) || d[1] != floor(d[1]) ||
                           d[2] != floor(d[2]) || d[0] > d[1] ||
                           (d[0] > 0 && d[1] < 1)))
        return "x, t_x and n must be whole numbers with x <= t_x <= n";
    /* the BG/BB likelihood sums over the opportunities since the last
     * transaction: bounded so that every evaluation is */
    if (kind == SEG__CLV_BGBB && d[2] > 1e6)
        return "n above 1e6 opportunities";
    return NULL;
}

/* The fitting rows: identical histories merged into one weighted row. A
 * customer whose inputs are all missing (no purchase) is left out; so is a
 * Gamma-Gamma customer without repeat purchases, and one whose repeat
 * purchases have a mean that is not positive (a $0 order): Gamma-Gamma
 * has no density there, and one such customer must not sink the fit of
 * all the others; those are counted in *excluded. */
static int load_rows(const seg_model *m, int kind, const seg_dataset *ds,
                     rows *out, size_t *excluded, key **keep, size_t **cust,
                     size_t *nkeys)
{
    const char *cols[3];
    int nc = specs[kind]->ncols;
    cols[0] = seg__param_str(m, "x_column");
    if (kind == SEG__CLV_GG) {
        cols[1] = seg__param_str(m, "m_column");
    } else {
        cols[1] = seg__param_str(m, "t_x_column");
        cols[2] =
            seg__param_str(m, kind == SEG__CLV_BGBB ? "n_column" : "T_column");
    }
    const char *wcol = seg__param_str(m, "weight_column");
    size_t n = seg_dataset_customer_count(ds);
    /* the columns read in place (src), copied (v) only where they cannot
     * be; copies of those read in place are made at the first customer
     * left out, from there on compacted (rows before it are kept as
     * they are) */
    const double *src[4] = {NULL, NULL, NULL, NULL};
    double *v[4] = {NULL, NULL, NULL, NULL};
    bool whole = true; /* no customer left out so far */
    /* keys only for the covariate fit, which needs them in the
     * customers' order; else the columns are compacted */
    key *keys = keep ? seg__malloc((n ? n : 1) * sizeof *keys) : NULL;
    size_t *row = cust ? seg__malloc((n ? n : 1) * sizeof *row) : NULL;
    int rc = (keys || !keep) && (row || !cust) ? SEG_OK : seg__nomem(NULL);
    for (int c = 0; c < nc + 1 && !rc; c++) {
        if (c == nc && !*wcol)
            break;
        const char *name = c == nc ? wcol : cols[c];
        if ((src[c] = seg__ds_num_view(ds, name)) != NULL)
            continue;
        if (!(v[c] = seg__malloc((n ? n : 1) * sizeof **v)))
            rc = seg__nomem(NULL);
        else
            rc = seg__clv_read_col(m, ds, name, v[c], n);
        src[c] = v[c];
    }
    size_t k = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        key r = {{0, 0, 0}, src[nc] ? src[nc][i] : 1};
        bool all_missing = true;
        for (int c = 0; c < nc; c++) {
            r.k[c] = src[c][i];
            all_missing = all_missing && isnan(r.k[c]);
        }
        bool in = true;
        if (all_missing ||
            (kind == SEG__CLV_GG && (isnan(r.k[0]) || r.k[0] == 0))) {
            in = false;
        } else if (kind == SEG__CLV_GG && r.k[0] > 0 && r.k[1] <= 0) {
            (*excluded)++;
            in = false;
        } else {
            const char *why = seg__clv_bad_row(kind, r.k);
            if (!why && !(isfinite(r.w) && r.w >= 0))
                why = "a weight that is negative or not finite";
            if (why) {
                rc = seg__model_error(m, SEG_ERANGE, "%s: customer '%s' has %s",
                                      seg_model_name(m),
                                      seg_dataset_customer_id(ds, i), why);
                break;
            }
            in = r.w > 0;
        }
        if (!in) {
            for (int c = 0; c < nc + 1 && whole && !keys; c++) {
                if (!src[c] || v[c])
                    continue;
                if (!(v[c] = seg__malloc((n ? n : 1) * sizeof **v))) {
                    rc = seg__nomem(NULL);
                    break;
                }
                memcpy(v[c], src[c], k * sizeof **v);
            }
            whole = false;
            continue;
        }
        if (row)
            row[k] = i;
        if (keys)
            keys[k] = r;
        for (int c = 0; c < nc && !keys && !whole; c++)
            v[c][k] = r.k[c];
        if (!keys && !whole && v[nc])
            v[nc][k] = r.w;
        k++;
    }
    if (!rc && k == 0 && *excluded)
        rc = seg__model_error(m, SEG_ERANGE, "%s: no customer to fit on: "
                              "the %zu repeat buyers have a mean spend that "
                              "is not positive", seg_model_name(m), *excluded);
    else if (!rc && k == 0)
        rc = seg__model_error(m, SEG_ERANGE, "%s: no customer to fit on",
                              seg_model_name(m));
    /* the merge may reorder the keys: the covariate fit gets a copy */
    if (!rc && keep && !(*keep = seg__malloc(k * sizeof **keep)))
        rc = seg__nomem(NULL);
    if (!rc && keep) {
        memcpy(*keep, keys, k * sizeof *keys);
        *cust = row;
        *nkeys = k;
        row = NULL;
    }
    const double *const *fit = whole ? src : (const double *const *)v;
    if (!rc && (keys ? seg__clv_merge_keys(keys, k, nc, out)
                     : seg__clv_merge_cols(fit, fit[nc], k, nc, out,
                                           seg__clv_fit_threads(m, ds))) !=
                      SEG_OK)
        rc = seg__nomem(NULL);
    if (rc) {
        seg__free(out->d);
        seg__free(out->w);
        out->d = out->w = NULL;
    }
    for (int c = 0; c < 4; c++)
        seg__free(v[c]);
    seg__free(keys);
    seg__free(row);
    return rc;
}

static bool no_repeat_purchase(const rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->d[i * 3] > 0)
            return false;
    return true;
}

static void rows_free(rows *r)
{
    seg__free(r->d);
    seg__free(r->w);
}

/* The standard errors, and the covariance of the log-parameters that the
 * bootstrap draws from, from C, the inverse of the Hessian of the
 * negative log-likelihood (ok: it is one). */
static void keep_covariance(seg__clv_fit *f, const double *C, int np, bool ok)
{
    for (int i = 0; i < np; i++)
        f->se[i] = ok && C[i * np + i] > 0 ? sqrt(C[i * np + i]) : NAN;
    for (int i = 0; i < np; i++)
        for (int j = 0; j < np; j++)
            f->vcov[i * SEG__NP + j] =
                ok ? C[i * np + j] / (f->p[i] * f->p[j]) : NAN;
}

/* Standard errors from the inverse of the Hessian of the negative
 * log-likelihood: the kind's exact one, or central differences of the
 * exact gradient. False where the Hessian was had but is not positive
 * definite (an evaluation that fails, as a cancel makes it, leaves the
 * errors NaN and says true). */
static bool standard_errors(const objctx *c, seg__clv_fit *f)
{
    int np = c->np;
    double H[SEG__NP * SEG__NP];
    if (c->prep) {
        double g[SEG__NP];
        bool ok = true;
        if (last_at(c, f->p))
            memcpy(H, c->last_H, (size_t)(np * np) * sizeof *H);
        else
            ok = isfinite(specs[c->kind]->total(c->prep, f->p, g, H));
        for (int i = 0; i < np * np; i++)
            H[i] = -H[i];
        bool spd = ok && seg__spd_inverse(H, np);
        keep_covariance(f, H, np, spd);
        return spd || !ok;
    }
    for (int j = 0; j < np; j++) {
        double p1[SEG__NP], p2[SEG__NP], g1[SEG__NP], g2[SEG__NP];
        memcpy(p1, f->p, sizeof p1);
        memcpy(p2, f->p, sizeof p2);
        double h = 1e-5 * f->p[j];
        p1[j] += h;
        p2[j] -= h;
        if (!isfinite(total_ll(c, p1, g1)) || !isfinite(total_ll(c, p2, g2))) {
            keep_covariance(f, H, np, false);
            return true;
        }
        for (int i = 0; i < np; i++)
            H[i * np + j] = -(g1[i] - g2[i]) / (2 * h);
    }
    for (int i = 0; i < np; i++)
        for (int j = 0; j < i; j++)
            H[i * np + j] = H[j * np + i] = (H[i * np + j] + H[j * np + i]) / 2;
    bool ok = seg__spd_inverse(H, np);
    keep_covariance(f, H, np, ok);
    return ok;
}

const char *seg__clv_bad_param(int kind, int i, double v)
{
    if (!(v >= SEG__CLV_PMIN && v <= SEG__CLV_PMAX))
        return "outside [1e-10, 1e10], where the formulas hold";
    if (kind == SEG__CLV_GG && i == 1 && !(v > 1))
        return "q <= 1 makes the mean spend infinite";
    return NULL;
}

const char *seg__clv_params_text(const seg__clv_fit *f, const double *q)
{
    static _Thread_local char buf[256];
    const seg__clv_spec *sp = specs[f->kind];
    size_t k = 0;
    for (int i = 0; i < sp->np && k < sizeof buf; i++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s=%.6g",
                              i ? ", " : "", sp->names[i], q ? q[i] : f->p[i]);
    return buf;
}

/* A fit whose log-likelihood is flat along some direction at the point
 * it stopped (its Hessian not positive definite, so no standard error):
 * not a maximum the data identify but a point on a ridge, such as a
 * shape and a scale growing together. An error naming the point, never
 * a fit with standard errors of NaN. */
static int flat_maximum(const seg_model *m, const seg__clv_fit *f,
                        long evals)
{
    return seg__model_error(m, SEG_ECONVERGE, "%s: the fit stopped where "
                            "the log-likelihood is flat along a direction "
                            "(%s: its Hessian is not positive definite, so "
                            "there are no standard errors): the data do not "
                            "identify the parameters; a penalizer or fixed "
                            "values give a fit (%ld evaluations)",
                            seg_model_name(m), seg__clv_params_text(f, NULL),
                            evals);
}

/* "r=0.24,alpha=4.4,..." */
static int parse_fixed(const seg_model *m, int kind, const char *text,
                       double *p)
{
    const seg__clv_spec *sp = specs[kind];
    bool seen[SEG__NP] = {false};
    const char *s = text;
    while (*s) {
        const char *eq = strchr(s, '=');
        const char *comma = strchr(s, ',');
        if (!comma)
            comma = s + strlen(s);
        if (!eq || eq > comma)
            return seg__model_error(m, SEG_EPARSE, "fixed: expected "
                                    "NAME=VALUE, ...");
        int which = -1;
        for (int i = 0; i < sp->np; i++)
            if ((size_t)(eq - s) == strlen(sp->names[i]) &&
                memcmp(s, sp->names[i], (size_t)(eq - s)) == 0)
                which = i;
        double v;
        if (which < 0 ||
            seg__parse_f64(eq + 1, (size_t)(comma - eq - 1), &v) != SEG_OK ||
            !(v > 0))
            return seg__model_error(m, SEG_EPARSE, "fixed: '%.*s' is not a "
                                    "positive value of a parameter of %s",
                                    (int)(comma - s), s, sp->kind);
        const char *why = seg__clv_bad_param(kind, which, v);
        if (why)
            return seg__model_error(m, SEG_ERANGE, "fixed: %s = %g: %s",
                                    sp->names[which], v, why);
        p[which] = v;
        seen[which] = true;
        s = *comma ? comma + 1 : comma;
    }
    for (int i = 0; i < sp->np; i++)
        if (!seen[i])
            return seg__model_error(m, SEG_EPARSE, "fixed: '%s' is missing",
                                    sp->names[i]);
    return SEG_OK;
}

/* A Pareto/NBD shape (r, s) above this is the limit of customers without
 * heterogeneity (a gamma whose coefficient of variation is 0.1%), where
 * the likelihood is flat along the ridge r / alpha (s / beta) constant:
 * Newton's method stops on that ridge once the value cannot show a
 * decrease, where BFGS ran on to the bounds, and neither is a fit. */
#define SHAPE_MAX 1e6

/* The verdict on an optimisation: an error naming why it failed (a
 * parameter at the edge of its range or running away, the budget, no
 * descent), or the converged fit with its log-likelihood. */
static int judge(const seg_model *m, const objctx *c, seg__clv_fit *f,
                 double best, const seg__opt_result *lastp)
{
    int rc = SEG_OK;
    seg__opt_result last = *lastp;
    int kind = c->kind;
    int off = -1; /* a parameter at the edge of its range */
    for (int i = 0; i < c->np && isfinite(best); i++)
        if (f->p[i] > SEG__CLV_PMAX / 1e3 || f->p[i] < SEG__CLV_PMIN * 1e3 ||
            (kind == SEG__CLV_PNBD && i % 2 == 0 && f->p[i] > SHAPE_MAX))
            off = i;
    if (off >= 0) {
        rc = seg__model_error(
            m, SEG_ECONVERGE, "%s: the fit did not converge: %s went to "
            "%g, the data do not identify it (%ld evaluations)",
            seg_model_name(m), specs[kind]->names[off], f->p[off],
            c->evals);
    } else if (!isfinite(best) && c->runaway >= 0) {
        rc = seg__model_error(
            m, SEG_ECONVERGE, "%s: the fit did not converge: %s ran away "
            "to %g, the data do not identify it (%ld evaluations)",
            seg_model_name(m), specs[kind]->names[c->runaway],
            c->runaway_value, c->evals);
    } else if (!isfinite(best) && c->over_budget) {
        rc = seg__model_error(
            m, SEG_ECONVERGE, "%s: the fit did not converge: evaluation "
            "limit (%ld evaluations, 8 x max_iter)", seg_model_name(m),
            c->max_evals);
    } else if (!isfinite(best)) {
        rc = seg__model_error(
            m, SEG_ECONVERGE,
            "%s: the fit did not converge (%s after %d iterations, "
            "gradient norm %g, %ld evaluations): try a penalizer, or check "
            "the data",
            seg_model_name(m),
            last.status == 1 ? "iteration limit" : "no descent",
            last.iterations, last.grad_norm, c->evals);
    } else {
        f->converged = 1;
        f->loglik = c->start_only     ? NAN
                    : last_at(c, f->p) ? c->last_ll
                                       : total_ll(c, f->p, NULL);
    }
    return rc;
}

/* The starting points of a fit on all rows, tried in turn. */
static const double starts[][SEG__NP] = {
    {1, 1, 1, 1}, {0.5, 5, 0.5, 5}, {2, 20, 2, 20}, {0.1, 1, 3, 10}};

/* One run of the optimiser from theta: Newton on the exact Hessian where
 * the kind has its own evaluator, else BFGS on the exact gradient. */
static seg__opt_result run_from(objctx *c, double *theta, int max_iter)
{
    if (c->prep && !c->bfgs)
        return seg__minimize_newton(objective2, c, theta, c->np, max_iter,
                                    1e-9);
    return seg__minimize(objective, c, theta, c->np, max_iter, 1e-9);
}

/* The best converged run from the starting points into theta and *best
 * (its value, INFINITY if none converged); *last is the last run. */
static void multi_start(objctx *c, int max_iter, double *theta,
                        seg__opt_result *best, seg__opt_result *last)
{
    double t[SEG__NP];
    best->value = INFINITY;
    bool gg = c->kind == SEG__CLV_GGOMPERTZ;
    const double (*from)[SEG__NP] = gg ? seg__ggompertz_starts : starts;
    size_t nfrom = gg ? SEG__GGOMPERTZ_STARTS : sizeof starts / sizeof *starts;
    for (size_t s = 0; s < nfrom; s++) {
        for (int i = 0; i < c->np; i++)
            t[i] = log(from[s][i]);
        seg__opt_result res = run_from(c, t, max_iter);
        *last = res;
        if (res.status == 3) /* stopped by the progress callback */
            break;
        if (res.status == 0 && res.value < best->value - 1e-12) {
            *best = res;
            memcpy(theta, t, sizeof t);
        }
        if (res.status == 0 && s >= 1 && isfinite(best->value))
            break; /* two starts agree enough: a second is a check */
    }
}

/* Above this many distinct rows the starting points are tried on a
 * subsample of them, and the fit on all rows runs once, from the best. */
#define START_ROWS 20000

static int prepare(objctx *c)
{
    const seg__clv_spec *sp = specs[c->kind];
    if (!sp->prepare)
        return SEG_OK;
    c->prep = sp->prepare(c->data->d, c->data->w, c->data->n);
    if (!c->prep)
        return seg__nomem(NULL);
    if (sp->threads)
        sp->threads(c->prep, c->threads);
    return SEG_OK;
}

/* The start from every k-th distinct row: the rows are sorted by
 * history, so the stride takes every part of the data; a fit there is
 * close to the fit on all rows and costs a fraction. False if it found
 * nothing, and the caller then tries the starting points on all rows. */
static int subsample_start(const objctx *c, int max_iter, double *theta,
                           bool *found, double *evals)
{
    const rows *all = c->data;
    int nc = specs[c->kind]->ncols;
    size_t k = (all->n + START_ROWS / 2 - 1) / (START_ROWS / 2);
    rows sub = {seg__malloc(START_ROWS * (size_t)nc * sizeof *sub.d),
                seg__malloc(START_ROWS * sizeof *sub.w), 0, 0};
    objctx sc = *c;
    int rc = sub.d && sub.w ? SEG_OK : seg__nomem(NULL);
    for (size_t i = 0; i < all->n && !rc && sub.n < START_ROWS; i += k) {
        memcpy(sub.d + sub.n * (size_t)nc, all->d + i * (size_t)nc,
               (size_t)nc * sizeof *sub.d);
        sub.w[sub.n++] = all->w[i];
        sub.total_w += all->w[i];
    }
    sc.data = &sub;
    sc.evals = 0;
    sc.prep = NULL;
    sc.have_last = false;
    sc.runaway = -1;
    sc.over_budget = false;
    if (!rc)
        rc = prepare(&sc);
    *found = false;
    if (!rc) {
        seg__opt_result best, last;
        multi_start(&sc, max_iter, theta, &best, &last);
        *found = isfinite(best.value);
    }
    *evals = (double)sc.evals;
    if (sc.prep)
        specs[c->kind]->release(sc.prep);
    rows_free(&sub);
    return rc;
}

/* The optimisation: the best parameters into f, the value into *best
 * (INFINITY if no run converged), the last run into *last. */
static int optimise(objctx *c, int max_iter, seg__clv_fit *f, double *best,
                    seg__opt_result *last)
{
    double theta[SEG__NP];
    seg__opt_result res = {2, 0, INFINITY, NAN};
    bool found = false;
    int rc = SEG_OK;
    if (c->data->n > START_ROWS)
        rc = subsample_start(c, max_iter, theta, &found,
                             &f->start_evaluations);
    if (!rc && seg__progress_canceled(seg__progress_current()))
        rc = SEG_ECANCELED;
    if (rc)
        return rc;
    if (found && c->start_only) {
        res.status = 0;
        res.value = 0;
    } else if (found) {
        res = run_from(c, theta, max_iter);
        *last = res;
        if (res.status != 0)
            res.value = INFINITY;
    }
    if (!isfinite(res.value) && res.status != 3)
        multi_start(c, max_iter, theta, &res, last);
    /* BG/BB: BFGS where Newton converged from no start, with a budget of
     * its own (the failed Newton runs spent theirs) and without their
     * verdicts; a cancel ends the fit (its status is in *last) */
    if (!isfinite(res.value) && last->status != 3 && c->prep &&
        c->kind == SEG__CLV_BGBB &&
        !seg__progress_canceled(seg__progress_current())) {
        c->bfgs = true;
        c->max_evals = c->evals + 8L * max_iter;
        c->over_budget = false;
        c->runaway = -1;
        multi_start(c, max_iter, theta, &res, last);
    }
    if (seg__progress_canceled(seg__progress_current()))
        return SEG_ECANCELED;
    *best = res.value;
    if (isfinite(res.value)) {
        for (int i = 0; i < c->np; i++)
            f->p[i] = exp(theta[i]);
        f->iterations = res.iterations;
        f->grad_norm = res.grad_norm;
    }
    return SEG_OK;
}

int seg__clv_load_rows(const seg_model *m, int kind, const seg_dataset *ds,
                       seg__clv_rows *out, size_t *excluded)
{
    size_t nkeys = 0;
    *excluded = 0;
    return load_rows(m, kind, ds, out, excluded, NULL, NULL, &nkeys);
}

void seg__clv_rows_free(seg__clv_rows *r) { rows_free(r); }

static int fit_rows(const seg_model *m, int kind, const seg__clv_rows *rp,
                    size_t excluded, const char *fixed, bool with_cov,
                    int threads, seg__clv_fit *f);

int seg__clv_fit_kind(const seg_model *m, int kind, const seg_dataset *ds,
                      const char *fixed, seg__clv_fit *f)
{
    rows data = {NULL, NULL, 0, 0};
    size_t excluded = 0, nkeys = 0, *cust = NULL;
    key *keys = NULL;
    seg__clv_cov_free(f->cov);
    f->cov = NULL;
    seg__clv_cov *cov = NULL;
    int rc = SEG_OK;
    if (kind == SEG__CLV_BGNBD || kind == SEG__CLV_MBGNBD ||
        kind == SEG__CLV_PNBD)
        rc = seg__clv_cov_design(m, kind, ds, &cov);
    /* fixed effects are taken out of the text, the rest is the kind's */
    char *base_fixed = NULL;
    if (!rc && cov && fixed && *fixed)
        rc = seg__clv_cov_fixed(m, cov, fixed, &base_fixed);
    if (base_fixed)
        fixed = base_fixed;
    if (!rc)
        rc = load_rows(m, kind, ds, &data, &excluded, cov ? &keys : NULL,
                       cov ? &cust : NULL, &nkeys);
    if (rc) {
        seg__clv_cov_free(cov);
        seg__free(keys);
        seg__free(cust);
        seg__free(base_fixed);
        return rc;
    }
    rc = fit_rows(m, kind, &data, excluded, fixed, cov != NULL,
                  seg__clv_fit_threads(m, ds), f);
    rows_free(&data);
    /* with covariates, from the fit without them */
    if (!rc && cov)
        rc = seg__clv_fit_cov(m, kind, ds, keys, cust, nkeys, cov,
                              base_fixed != NULL, f);
    seg__free(base_fixed);
    for (int i = 0; i < specs[kind]->np && !rc && cov; i++) {
        const char *why = seg__clv_bad_param(kind, i, f->p[i]);
        if (why)
            rc = seg__model_error(m, SEG_ERANGE, "%s: %s = %g: %s",
                                  seg_model_name(m), specs[kind]->names[i],
                                  f->p[i], why);
    }
    if (!rc)
        f->cov = cov;
    else
        seg__clv_cov_free(cov);
    seg__free(keys);
    seg__free(cust);
    return rc;
}

int seg__clv_fit_rows(const seg_model *m, int kind, const seg__clv_rows *rp,
                      size_t excluded, const char *fixed, seg__clv_fit *f)
{
    return fit_rows(m, kind, rp, excluded, fixed, false,
                    seg__clv_fit_threads(m, NULL), f);
}

/* The threads of a fit: the model's "threads" when it has one above 0,
 * else the dataset's setting (0 without a dataset: every processor).
 * Models without the parameter (Gamma-Gamma) read as 0. */
int seg__clv_fit_threads(const seg_model *m, const seg_dataset *ds)
{
    double v = seg__param_num(m, "threads");
    int t = v >= 1 && v <= 64 ? (int)v : 0;
    return t > 0 || !ds ? t : seg__ds_threads(ds);
}

/* The fit of the base parameters on rows loaded; with_cov: covariates
 * follow (seg__clv_fit_cov()), which give the standard errors. */

static int fit_rows(const seg_model *m, int kind, const seg__clv_rows *rp,
                    size_t excluded, const char *fixed, bool with_cov,
                    int threads, seg__clv_fit *f)
{
    const rows data = *rp;
    int rc = SEG_OK;
    int max_iter = (int)seg__param_num(m, "max_iter");
    objctx c = {kind, specs[kind]->np, &data, seg__param_num(m, "penalizer"),
                0, 8L * max_iter, false, -1, 0, NULL, false, {0}, 0, {0},
                with_cov, threads, false};
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->customers = data.total_w;
    f->rows = (double)data.n;
    f->excluded = (double)excluded;
    double best = INFINITY;
    seg__opt_result last = {2, 0, NAN, NAN};
    if (fixed && *fixed) {
        rc = parse_fixed(m, kind, fixed, f->p);
        if (!rc) {
            f->loglik = total_ll(&c, f->p, NULL);
            f->converged = 1;
            if (!isfinite(f->loglik))
                rc = seg__model_error(m, SEG_ERANGE, "%s: the fixed "
                                      "parameters give a log-likelihood that "
                                      "is not finite", seg_model_name(m));
        }
    } else if (kind != SEG__CLV_GG && no_repeat_purchase(&data)) {
        rc = seg__model_error(m, SEG_ECONVERGE, "%s: no customer has a "
                              "repeat purchase: the data do not identify the "
                              "model's parameters", seg_model_name(m));
    } else if (!(rc = prepare(&c)) &&
               !(rc = optimise(&c, max_iter, f, &best, &last))) {
        rc = judge(m, &c, f, best, &last);
    }
    for (int i = 0; i < c.np && !rc; i++) {
        /* a fit is held to what a saved state must satisfy */
        const char *why = seg__clv_bad_param(kind, i, f->p[i]);
        if (why)
            rc = seg__model_error(m, SEG_ERANGE, "%s: %s = %g: %s",
                                  seg_model_name(m), specs[kind]->names[i],
                                  f->p[i], why);
    }
    /* with fixed values or a penalty the point is the caller's choice,
     * and its standard errors (of the likelihood alone) may be NaN */
    if (!rc && !with_cov && !standard_errors(&c, f) && !(fixed && *fixed) &&
        !(c.penalizer > 0))
        rc = flat_maximum(m, f, c.evals);
    f->evaluations = (double)c.evals;
    if (c.prep)
        specs[kind]->release(c.prep);
    return rc;
}
