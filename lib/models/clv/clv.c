/* Customer-base models fitted by maximum likelihood: BG/NBD, MBG/NBD,
 * Pareto/NBD, BG/BB and Gamma-Gamma, and CLV combining a purchase model
 * with Gamma-Gamma. Log-likelihoods are written once over dual numbers, so
 * gradients are exact; the fit runs BFGS on the logs of the parameters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/internal.h"
#include "models/clv/numeric.h"

enum { K_BGNBD, K_MBGNBD, K_PNBD, K_BGBB, K_GG, K_CLV };

typedef struct spec {
    const char *kind;
    int np;
    const char *names[SEG__NP];
    int ncols;                 /* data columns per row */
} spec;

static const spec specs[] = {
    {"bgnbd", 4, {"r", "alpha", "a", "b"}, 3},
    {"mbgnbd", 4, {"r", "alpha", "a", "b"}, 3},
    {"pareto_nbd", 4, {"r", "alpha", "s", "beta"}, 3},
    {"bgbb", 4, {"alpha", "beta", "gamma", "delta"}, 3},
    {"gamma_gamma", 3, {"p", "q", "gamma"}, 2},
};

typedef struct fit {
    int kind;
    double p[SEG__NP], se[SEG__NP];
    double loglik, grad_norm, customers, rows, iterations, converged;
} fit;

#define NSTAT 6

typedef struct clv_state {
    int kind;
    fit f;   /* the model, or for clv the purchase model */
    fit gg;  /* clv: the spend model */
    char names[2][SEG__NP * 2 + NSTAT][32]; /* result names, made on demand */
} clv_state;

/* ---- log-likelihoods of one row ---- */

static seg__dual lbeta(seg__dual a, seg__dual b)
{
    return dsub(dadd(dlgamma(a), dlgamma(b)), dlgamma(dadd(a, b)));
}

static seg__dual ll_bgnbd(const seg__dual *p, const double *d, bool modified)
{
    double x = d[0], tx = d[1], T = d[2];
    seg__dual r = p[0], al = p[1], a = p[2], b = p[3];
    seg__dual rx = daddc(r, x);
    seg__dual A1 = dadd(dsub(dlgamma(rx), dlgamma(r)), dmul(r, dlog(al)));
    double m = modified ? 1 : 0;
    seg__dual A2 = dsub(dsub(dadd(dlgamma(dadd(a, b)), dlgamma(daddc(b, x + m))),
                             dlgamma(b)),
                        dlgamma(daddc(dadd(a, b), x + m)));
    seg__dual A3 = dscale(dmul(rx, dlog(daddc(al, T))), -1);
    if (!modified && x == 0)
        return dadd(dadd(A1, A2), A3);
    /* the customer may have dropped out right after the last purchase */
    seg__dual A4 = dsub(dsub(dlog(a), dlog(daddc(b, x + m - 1))),
                        dmul(rx, dlog(daddc(al, tx))));
    return dadd(dadd(A1, A2), dlogsumexp(A3, A4));
}

/* log A0 of the Pareto/NBD likelihood (Fader and Hardie 2005, note 008),
 * or -inf when t_x = T. */
static bool pnbd_log_a0(const seg__dual *p, double x, double tx, double T,
                        seg__dual *out)
{
    seg__dual r = p[0], al = p[1], s = p[2], be = p[3];
    if (tx >= T) {
        *out = dc(-INFINITY);
        return true;
    }
    seg__dual rsx = daddc(dadd(r, s), x);
    bool a_ge_b = al.v >= be.v;
    seg__dual big = a_ge_b ? al : be, small = a_ge_b ? be : al;
    seg__dual bparam = a_ge_b ? daddc(s, 1) : daddc(r, x);
    seg__dual f1, f2;
    seg__dual z1 = ddiv(dsub(big, small), daddc(big, tx));
    seg__dual z2 = ddiv(dsub(big, small), daddc(big, T));
    if (!seg__log_hyp2f1(rsx, bparam, daddc(rsx, 1), z1, &f1) ||
        !seg__log_hyp2f1(rsx, bparam, daddc(rsx, 1), z2, &f2))
        return false;
    f1 = dsub(f1, dmul(rsx, dlog(daddc(big, tx))));
    f2 = dsub(f2, dmul(rsx, dlog(daddc(big, T))));
    if (!(f1.v > f2.v)) {
        *out = dc(-INFINITY);
        return true;
    }
    *out = dlogdiffexp(f1, f2);
    return true;
}

static seg__dual ll_pnbd(const seg__dual *p, const double *d)
{
    double x = d[0], tx = d[1], T = d[2];
    seg__dual r = p[0], al = p[1], s = p[2], be = p[3];
    seg__dual rx = daddc(r, x);
    seg__dual head = dadd(dadd(dsub(dlgamma(rx), dlgamma(r)),
                               dmul(r, dlog(al))),
                          dmul(s, dlog(be)));
    seg__dual t1 = dscale(dadd(dmul(rx, dlog(daddc(al, T))),
                               dmul(s, dlog(daddc(be, T)))), -1);
    seg__dual la0;
    if (!pnbd_log_a0(p, x, tx, T, &la0))
        return dc(NAN);
    if (la0.v == -INFINITY)
        return dadd(head, t1);
    seg__dual t2 = dadd(dsub(dlog(s), dlog(daddc(dadd(r, s), x))), la0);
    return dadd(head, dlogsumexp(t1, t2));
}

static seg__dual ll_bgbb(const seg__dual *p, const double *d)
{
    double x = d[0], tx = d[1], n = d[2];
    seg__dual al = p[0], be = p[1], ga = p[2], de = p[3];
    seg__dual base = dadd(lbeta(al, be), lbeta(ga, de));
    seg__dual acc = dsub(dadd(lbeta(daddc(al, x), daddc(be, n - x)),
                              lbeta(ga, daddc(de, n))), base);
    for (double i = 0; i <= n - tx - 1; i++) {
        seg__dual t = dsub(dadd(lbeta(daddc(al, x), daddc(be, tx - x + i)),
                                lbeta(daddc(ga, 1), daddc(de, tx + i))),
                           base);
        acc = dlogsumexp(acc, t);
    }
    return acc;
}

static seg__dual ll_gg(const seg__dual *p, const double *d)
{
    double x = d[0], m = d[1];
    seg__dual pp = p[0], q = p[1], v = p[2];
    seg__dual px = dscale(pp, x);
    seg__dual pxq = dadd(px, q);
    seg__dual r = dsub(dsub(dlgamma(pxq), dlgamma(px)), dlgamma(q));
    r = dadd(r, dmul(q, dlog(v)));
    r = dadd(r, dscale(daddc(px, -1), log(m)));
    r = dadd(r, dscale(px, log(x)));
    r = dsub(r, dmul(pxq, dlog(daddc(v, m * x))));
    return r;
}

static seg__dual row_ll(int kind, const seg__dual *p, const double *d)
{
    switch (kind) {
    case K_BGNBD: return ll_bgnbd(p, d, false);
    case K_MBGNBD: return ll_bgnbd(p, d, true);
    case K_PNBD: return ll_pnbd(p, d);
    case K_BGBB: return ll_bgbb(p, d);
    default: return ll_gg(p, d);
    }
}

/* ---- data ---- */

typedef struct rows {
    double *d;   /* ncols per row */
    double *w;
    size_t n;
    double total_w;
} rows;

typedef struct objctx {
    int kind, np;
    const rows *data;
    double penalizer;
} objctx;

/* Total log-likelihood at natural parameters p, with its gradient. */
static double total_ll(const objctx *c, const double *p, double *grad)
{
    seg__dual dp[SEG__NP];
    for (int i = 0; i < SEG__NP; i++)
        dp[i] = i < c->np ? dvar(p[i], i) : dc(0);
    seg__dual sum = dc(0);
    int nc = specs[c->kind].ncols;
    for (size_t i = 0; i < c->data->n; i++) {
        seg__dual l = row_ll(c->kind, dp, c->data->d + i * (size_t)nc);
        if (!isfinite(l.v))
            return NAN;
        sum = dadd(sum, dscale(l, c->data->w[i]));
    }
    for (int i = 0; i < c->np && grad; i++)
        grad[i] = sum.d[i];
    return sum.v;
}

/* Mean negative log-likelihood plus the L2 penalty, over log-parameters. */
static double objective(const double *theta, double *grad, void *ctx)
{
    const objctx *c = ctx;
    double p[SEG__NP], g[SEG__NP];
    for (int i = 0; i < c->np; i++) {
        p[i] = exp(theta[i]);
        if (!(p[i] > 0) || !isfinite(p[i]))
            return NAN;
    }
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

typedef struct key {
    double k[3];
    double w;
} key;

static int cmp_key(const void *a, const void *b)
{
    const key *x = a, *y = b;
    for (int i = 0; i < 3; i++)
        if (x->k[i] != y->k[i])
            return x->k[i] < y->k[i] ? -1 : 1;
    return 0;
}

#define str_param seg__param_str
#define num_param seg__param_num

static int read_col(const seg_model *m, const seg_dataset *ds,
                    const char *col, double *v, size_t n)
{
    int rc;
    double *c = seg__model_column(m, ds, col, &rc);
    if (c) {
        memcpy(v, c, n * sizeof *v);
        seg__free(c);
    }
    return rc;
}

/* Check one history; returns a static reason or NULL. */
static const char *bad_row(int kind, const double *d)
{
    for (int i = 0; i < specs[kind].ncols; i++)
        if (!isfinite(d[i]))
            return "a value is not finite";
    if (d[0] < 0)
        return "a negative count";
    if (kind == K_GG)
        return d[0] > 0 && d[1] <= 0 ? "a non-positive mean spend" : NULL;
    if (d[1] < 0)
        return "a negative t_x";
    if (d[1] > d[2] * (1 + 1e-12))
        return kind == K_BGBB ? "t_x greater than n" : "t_x greater than T";
    if (kind == K_BGBB && (d[0] != floor(d[0]) || d[1] != floor(d[1]) ||
                           d[2] != floor(d[2]) || d[0] > d[1] ||
                           (d[0] > 0 && d[1] < 1)))
        return "x, t_x and n must be whole numbers with x <= t_x <= n";
    return NULL;
}

/* The fitting rows: identical histories merged into one weighted row. A
 * customer whose inputs are all missing (no purchase) is left out; so is a
 * Gamma-Gamma customer without repeat purchases. */
static int load_rows(const seg_model *m, int kind, const seg_dataset *ds,
                     rows *out)
{
    const char *cols[3];
    int nc = specs[kind].ncols;
    cols[0] = str_param(m, "x_column");
    if (kind == K_GG) {
        cols[1] = str_param(m, "m_column");
    } else {
        cols[1] = str_param(m, "t_x_column");
        cols[2] = str_param(m, kind == K_BGBB ? "n_column" : "T_column");
    }
    const char *wcol = str_param(m, "weight_column");
    size_t n = seg_dataset_customer_count(ds);
    double *v[4] = {NULL, NULL, NULL, NULL};
    key *keys = seg__malloc((n ? n : 1) * sizeof *keys);
    int rc = keys ? SEG_OK : seg__nomem(NULL);
    for (int c = 0; c < nc + 1 && !rc; c++) {
        if (c == nc && !*wcol)
            break;
        if (!(v[c] = seg__malloc((n ? n : 1) * sizeof **v)))
            rc = seg__nomem(NULL);
        else
            rc = read_col(m, ds, c == nc ? wcol : cols[c], v[c], n);
    }
    size_t k = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        key r = {{0, 0, 0}, v[nc] ? v[nc][i] : 1};
        bool all_missing = true;
        for (int c = 0; c < nc; c++) {
            r.k[c] = v[c][i];
            all_missing = all_missing && isnan(r.k[c]);
        }
        if (all_missing || (kind == K_GG && (isnan(r.k[0]) || r.k[0] == 0)))
            continue;
        const char *why = bad_row(kind, r.k);
        if (!why && !(isfinite(r.w) && r.w >= 0))
            why = "a weight that is negative or not finite";
        if (why) {
            rc = seg__model_error(m, SEG_ERANGE, "%s: customer '%s' has %s",
                                  seg_model_name(m),
                                  seg_dataset_customer_id(ds, i), why);
            break;
        }
        if (r.w > 0)
            keys[k++] = r;
    }
    if (!rc && k == 0)
        rc = seg__model_error(m, SEG_ERANGE, "%s: no customer to fit on",
                              seg_model_name(m));
    if (!rc) {
        qsort(keys, k, sizeof *keys, cmp_key);
        out->d = seg__malloc(k * (size_t)nc * sizeof *out->d);
        out->w = seg__malloc(k * sizeof *out->w);
        out->n = 0;
        out->total_w = 0;
        if (!out->d || !out->w) {
            rc = seg__nomem(NULL);
        } else {
            for (size_t i = 0; i < k; i++) {
                if (out->n && cmp_key(&keys[i], &keys[i - 1]) == 0) {
                    out->w[out->n - 1] += keys[i].w;
                } else {
                    memcpy(out->d + out->n * (size_t)nc, keys[i].k,
                           (size_t)nc * sizeof *out->d);
                    out->w[out->n++] = keys[i].w;
                }
                out->total_w += keys[i].w;
            }
        }
    }
    for (int c = 0; c < 4; c++)
        seg__free(v[c]);
    seg__free(keys);
    return rc;
}

static void rows_free(rows *r)
{
    seg__free(r->d);
    seg__free(r->w);
}

/* Standard errors from the inverse of the Hessian of the negative
 * log-likelihood, by central differences of the exact gradient. */
static void standard_errors(const objctx *c, fit *f)
{
    int np = c->np;
    double H[SEG__NP * SEG__NP];
    for (int j = 0; j < np; j++) {
        double p1[SEG__NP], p2[SEG__NP], g1[SEG__NP], g2[SEG__NP];
        memcpy(p1, f->p, sizeof p1);
        memcpy(p2, f->p, sizeof p2);
        double h = 1e-5 * f->p[j];
        p1[j] += h;
        p2[j] -= h;
        if (!isfinite(total_ll(c, p1, g1)) || !isfinite(total_ll(c, p2, g2))) {
            for (int i = 0; i < np; i++)
                f->se[i] = NAN;
            return;
        }
        for (int i = 0; i < np; i++)
            H[i * np + j] = -(g1[i] - g2[i]) / (2 * h);
    }
    for (int i = 0; i < np; i++)
        for (int j = 0; j < i; j++)
            H[i * np + j] = H[j * np + i] = (H[i * np + j] + H[j * np + i]) / 2;
    bool ok = seg__spd_inverse(H, np);
    for (int i = 0; i < np; i++)
        f->se[i] = ok && H[i * np + i] > 0 ? sqrt(H[i * np + i]) : NAN;
}

/* "r=0.24,alpha=4.4,..." */
static int parse_fixed(const seg_model *m, int kind, const char *text,
                       double *p)
{
    const spec *sp = &specs[kind];
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

static int fit_kind(const seg_model *m, int kind, const seg_dataset *ds,
                    const char *fixed, fit *f)
{
    rows data = {NULL, NULL, 0, 0};
    int rc = load_rows(m, kind, ds, &data);
    if (rc)
        return rc;
    objctx c = {kind, specs[kind].np, &data, num_param(m, "penalizer")};
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->customers = data.total_w;
    f->rows = (double)data.n;
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
    } else {
        /* a few starting points; the best converged fit wins */
        static const double starts[][SEG__NP] = {
            {1, 1, 1, 1}, {0.5, 5, 0.5, 5}, {2, 20, 2, 20}, {0.1, 1, 3, 10}};
        int max_iter = (int)num_param(m, "max_iter");
        double best = INFINITY, theta[SEG__NP];
        seg__opt_result last = {2, 0, NAN, NAN};
        for (size_t s = 0; s < sizeof starts / sizeof *starts; s++) {
            for (int i = 0; i < c.np; i++)
                theta[i] = log(starts[s][i]);
            seg__opt_result res = seg__minimize(objective, &c, theta, c.np,
                                                max_iter, 1e-9);
            last = res;
            if (res.status == 0 && res.value < best - 1e-12) {
                best = res.value;
                for (int i = 0; i < c.np; i++)
                    f->p[i] = exp(theta[i]);
                f->iterations = res.iterations;
                f->grad_norm = res.grad_norm;
            }
            if (res.status == 0 && s >= 1 && isfinite(best))
                break; /* two starts agree enough: a second is a check */
        }
        if (!isfinite(best)) {
            rc = seg__model_error(
                m, SEG_ECONVERGE,
                "%s: the fit did not converge (%s after %d iterations, "
                "gradient norm %g): try a penalizer, or check the data",
                seg_model_name(m),
                last.status == 1 ? "iteration limit" : "no descent",
                last.iterations, last.grad_norm);
        } else {
            f->converged = 1;
            f->loglik = total_ll(&c, f->p, NULL);
        }
    }
    if (!rc)
        standard_errors(&c, f);
    rows_free(&data);
    return rc;
}

/* ---- predictions (plain doubles through the dual code) ---- */

static seg__dual P(double v) { return dc(v); }

static bool log_hyp(double a, double b, double c, double z, double *out)
{
    seg__dual r;
    if (!seg__log_hyp2f1(P(a), P(b), P(c), P(z), &r))
        return false;
    *out = r.v;
    return true;
}

static double p_alive(const fit *f, double x, double tx, double T)
{
    const double *p = f->p;
    switch (f->kind) {
    case K_BGNBD:
        if (x == 0)
            return 1;
        return 1 / (1 + exp(log(p[2]) - log(p[3] + x - 1) +
                            (p[0] + x) * (log(p[1] + T) - log(p[1] + tx))));
    case K_MBGNBD:
        return 1 / (1 + exp(log(p[2]) - log(p[3] + x) +
                            (p[0] + x) * (log(p[1] + T) - log(p[1] + tx))));
    case K_PNBD: {
        seg__dual dp[SEG__NP] = {P(p[0]), P(p[1]), P(p[2]), P(p[3])}, la0;
        if (!pnbd_log_a0(dp, x, tx, T, &la0))
            return NAN;
        if (la0.v == -INFINITY)
            return 1;
        double l = log(p[2]) - log(p[0] + p[2] + x) + la0.v +
                   (p[0] + x) * log(p[1] + T) + p[2] * log(p[3] + T);
        return 1 / (1 + exp(l));
    }
    case K_BGBB: {
        seg__dual dp[SEG__NP] = {P(p[0]), P(p[1]), P(p[2]), P(p[3])};
        double d[3] = {x, tx, T};
        double ll = ll_bgbb(dp, d).v;
        double alive = lbeta(P(p[0] + x), P(p[1] + T - x)).v -
                       lbeta(P(p[0]), P(p[1])).v +
                       lbeta(P(p[2]), P(p[3] + T + 1)).v -
                       lbeta(P(p[2]), P(p[3])).v;
        return exp(alive - ll);
    }
    default:
        return NAN;
    }
}

/* Expected purchases in (T, T + t] for a customer with (x, t_x, T). */
static double expected(const fit *f, double t, double x, double tx, double T)
{
    const double *p = f->p;
    double r = p[0], al = p[1];
    switch (f->kind) {
    case K_BGNBD:
    case K_MBGNBD: {
        bool mod = f->kind == K_MBGNBD;
        double a = p[2], b = p[3], z = t / (al + T + t), lf;
        double A = r + x, B = mod ? b + x + 1 : b + x,
               C = mod ? a + b + x : a + b + x - 1;
        if (!log_hyp(A, B, C, z, &lf))
            return NAN;
        double inner = -expm1((r + x) * log1p(-z) + lf);
        double lead = (mod ? b + x : a + b + x - 1) / (a - 1);
        double odds = (!mod && x == 0)
                          ? 0
                          : exp(log(a) - log(mod ? b + x : b + x - 1) +
                                (r + x) * (log(al + T) - log(al + tx)));
        return lead * inner / (1 + odds);
    }
    case K_PNBD: {
        double s = p[2], be = p[3];
        double pa = p_alive(f, x, tx, T);
        double g = fabs(s - 1) < 1e-10
                       ? log((be + T + t) / (be + T))
                       : -expm1((s - 1) * log((be + T) / (be + T + t))) /
                             (s - 1);
        return (r + x) * (be + T) / (al + T) * g * pa;
    }
    case K_BGBB: {
        /* Fader, Hardie and Shang (2010), eq. 13: t future opportunities */
        double a = p[0], b = p[1], ga = p[2], de = p[3], n = T;
        seg__dual dp[SEG__NP] = {P(a), P(b), P(ga), P(de)};
        double d[3] = {x, tx, n};
        double ll = ll_bgbb(dp, d).v;
        double lead = lbeta(P(a + x + 1), P(b + n - x)).v - lbeta(P(a), P(b)).v -
                      ll + log(de) - log(fabs(ga - 1)) + lgamma(ga + de) -
                      lgamma(1 + de);
        double d1 = lgamma(1 + de + n) - lgamma(ga + de + n);
        double d2 = lgamma(1 + de + n + t) - lgamma(ga + de + n + t);
        double diff = ga > 1 ? exp(d1) - exp(d2) : exp(d2) - exp(d1);
        return exp(lead) * diff;
    }
    default:
        return NAN;
    }
}

/* Expected purchases in (0, t] of a new customer. */
static double expected_unconditional(const fit *f, double t)
{
    const double *p = f->p;
    double r = p[0], al = p[1], lf;
    switch (f->kind) {
    case K_BGNBD:
    case K_MBGNBD: {
        bool mod = f->kind == K_MBGNBD;
        double a = p[2], b = p[3], z = t / (al + t);
        if (!log_hyp(r, mod ? b + 1 : b, mod ? a + b : a + b - 1, z, &lf))
            return NAN;
        return (mod ? b : a + b - 1) / (a - 1) *
               -expm1(r * log(al / (al + t)) + lf);
    }
    case K_PNBD: {
        double s = p[2], be = p[3];
        if (fabs(s - 1) < 1e-10)
            return r * be / al * log((be + t) / be);
        return r * be / (al * (s - 1)) * -expm1((s - 1) * log(be / (be + t)));
    }
    default:
        return NAN;
    }
}

/* P(X(t) = n) for a new BG/NBD customer (Fader, Hardie and Lee 2005,
 * eq. 8); for MBG/NBD, where a customer may drop out right after the first
 * purchase, the dropout term counts from n = 0:
 * B(a, b+n+1)/B(a,b) NBD(n) + B(a+1, b+n)/B(a,b) (1 - sum_{j<n} NBD(j)). */
static double pmf_bgnbd(const fit *f, double t, double n)
{
    double r = f->p[0], al = f->p[1], a = f->p[2], b = f->p[3];
    bool mod = f->kind == K_MBGNBD;
    double lq = log(al / (al + t)), lz = log(t / (al + t));
    double lb0 = lbeta(P(a), P(b)).v;
    double first = exp(lbeta(P(a), P(b + n + (mod ? 1 : 0))).v - lb0 +
                       lgamma(r + n) - lgamma(r) - lgamma(n + 1) + r * lq +
                       n * lz);
    if (n == 0 && !mod)
        return first;
    double sum = 0;
    for (double j = 0; j < n; j++)
        sum += exp(lgamma(r + j) - lgamma(r) - lgamma(j + 1) + r * lq + j * lz);
    double drop = lbeta(P(a + 1), P(b + n - (mod ? 0 : 1))).v - lb0;
    return first + exp(drop) * (1 - sum);
}

static double expected_spend(const fit *g, double x, double m)
{
    double p = g->p[0], q = g->p[1], v = g->p[2];
    if (x == 0 || isnan(m))
        return q > 1 ? p * v / (q - 1) : NAN;
    return (v + m * x) * p / (p * x + q - 1);
}

/* Lifetime value over `months` months of a customer, in money. */
static double clv_value(const seg_model *m, const clv_state *st, double x,
                        double tx, double T, double spend)
{
    double months = num_param(m, "horizon_months");
    double upm = num_param(m, "units_per_month");
    double d = num_param(m, "discount_rate");
    bool continuous = strcmp(str_param(m, "discounting"), "continuous") == 0;
    double v = 0;
    if (!continuous) {
        /* month by month, discounted at the end of each month */
        double prev = 0;
        for (int i = 1; i <= (int)months; i++) {
            double e = expected(&st->f, i * upm, x, tx, T);
            v += spend * (e - prev) / pow(1 + d, i);
            prev = e;
        }
        return v;
    }
    /* continuously at the same yearly rate: the integral of e^(-k u) over
     * the expected purchase curve, by the midpoint rule on 32 steps a month */
    double k = log1p(d) / upm, steps = 32 * months, h = months * upm / steps;
    double prev = 0;
    for (double i = 1; i <= steps; i++) {
        double e = expected(&st->f, i * h, x, tx, T);
        v += spend * (e - prev) * exp(-k * (i - 0.5) * h);
        prev = e;
    }
    return v;
}

/* ---- the classes ---- */

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

static const seg_param_def cont_params[] = {
    STR("x_column", "repeat purchases x", "frequency", NULL),
    STR("t_x_column", "time of the last purchase, from the first", "t_x", NULL),
    STR("T_column", "time from the first purchase to the end", "T", NULL),
    NUM("horizon", SEG_PARAM_F64, "time units ahead for .expected", 0, 1e6,
        52),
    COMMON,
};

static const seg_param_def bgbb_params[] = {
    STR("x_column", "transactions x", "frequency", NULL),
    STR("t_x_column", "opportunity of the last transaction", "recency", NULL),
    STR("n_column", "opportunities n", "periods", NULL),
    NUM("horizon", SEG_PARAM_F64, "future opportunities for .expected", 0,
        1e6, 5),
    COMMON,
};

static const seg_param_def gg_params[] = {
    STR("x_column", "repeat purchases x", "frequency", NULL),
    STR("m_column", "mean value of the repeat purchases", "monetary_repeat_mean",
        NULL),
    COMMON,
};

static const seg_param_def clv_params[] = {
    STR("purchase_model", "the purchase model", "bgnbd", "bgnbd|mbgnbd|pareto_nbd"),
    STR("x_column", "repeat purchases x", "frequency", NULL),
    STR("t_x_column", "time of the last purchase, from the first", "t_x", NULL),
    STR("T_column", "time from the first purchase to the end", "T", NULL),
    STR("m_column", "mean value of the repeat purchases", "monetary_repeat_mean",
        NULL),
    NUM("horizon_months", SEG_PARAM_INT, "months of lifetime value", 1, 1200,
        12),
    NUM("units_per_month", SEG_PARAM_F64,
        "time units in a month: 4.345 for weeks, 30 for days", 1e-6, 1e6,
        4.345),
    NUM("discount_rate", SEG_PARAM_F64, "discount rate per month", 0, 10,
        0.01),
    STR("discounting", "discrete (monthly, as lifetimes) or continuous",
        "discrete", "discrete|continuous"),
    NUM("horizon", SEG_PARAM_F64, "time units ahead for .expected", 0, 1e6,
        52),
    COMMON,
    STR("fixed_spend", "Gamma-Gamma parameters instead of fitting: "
        "p=...,q=...,gamma=...", "", NULL),
};
#undef STR
#undef NUM
#undef COMMON

static int clv_create_kind(void **state, int kind)
{
    clv_state *st = seg__calloc(1, sizeof *st);
    if (!st)
        return SEG_ENOMEM;
    st->kind = kind;
    st->f.kind = kind == K_CLV ? K_BGNBD : kind;
    st->gg.kind = K_GG;
    *state = st;
    return SEG_OK;
}

#define CREATE(fn, k)                                                        \
    static int fn(void **state, void *ud)                                    \
    {                                                                        \
        (void)ud;                                                            \
        return clv_create_kind(state, k);                                    \
    }
CREATE(create_bgnbd, K_BGNBD)
CREATE(create_mbgnbd, K_MBGNBD)
CREATE(create_pnbd, K_PNBD)
CREATE(create_bgbb, K_BGBB)
CREATE(create_gg, K_GG)
CREATE(create_clv, K_CLV)
#undef CREATE

static void clv_destroy(void *state, void *ud)
{
    (void)ud;
    seg__free(state);
}

static int purchase_kind(const seg_model *m)
{
    const char *k = str_param(m, "purchase_model");
    return strcmp(k, "mbgnbd") == 0      ? K_MBGNBD
           : strcmp(k, "pareto_nbd") == 0 ? K_PNBD
                                         : K_BGNBD;
}

static int clv_fit(void *state, seg_model *m, const seg_dataset *ds, void *ud)
{
    (void)ud;
    clv_state *st = state;
    if (st->kind != K_CLV)
        return fit_kind(m, st->kind, ds, str_param(m, "fixed"), &st->f);
    int rc = fit_kind(m, purchase_kind(m), ds, str_param(m, "fixed"), &st->f);
    if (!rc)
        rc = fit_kind(m, K_GG, ds, str_param(m, "fixed_spend"), &st->gg);
    if (!rc && !(st->gg.p[1] > 1))
        rc = seg__model_error(m, SEG_ERANGE, "%s: Gamma-Gamma q = %g <= 1: "
                              "the mean spend is infinite", seg_model_name(m),
                              st->gg.p[1]);
    return rc;
}

static int clv_score(void *state, const seg_model *m, seg_dataset *ds,
                     const char *prefix, void *ud)
{
    (void)ud;
    const clv_state *st = state;
    size_t n = seg_dataset_customer_count(ds);
    int nc = st->kind == K_CLV ? 4 : specs[st->kind].ncols;
    const char *cols[4];
    cols[0] = str_param(m, "x_column");
    if (st->kind == K_GG) {
        cols[1] = str_param(m, "m_column");
    } else {
        cols[1] = str_param(m, "t_x_column");
        cols[2] = str_param(m, st->kind == K_BGBB ? "n_column" : "T_column");
        cols[3] = str_param(m, "m_column");
    }
    double *in[4] = {NULL}, *out[4] = {NULL};
    int rc = SEG_OK;
    for (int c = 0; c < 4 && !rc; c++) {
        if (!(out[c] = seg__malloc((n ? n : 1) * sizeof **out)))
            rc = seg__nomem(NULL);
        if (!rc && c < nc) {
            if (!(in[c] = seg__malloc((n ? n : 1) * sizeof **in)))
                rc = seg__nomem(NULL);
            else
                rc = read_col(m, ds, cols[c], in[c], n);
        }
    }
    double horizon = st->kind == K_GG ? 0 : num_param(m, "horizon");
    for (size_t i = 0; i < n && !rc; i++) {
        double x = in[0][i], a1 = in[1][i], a2 = nc > 2 ? in[2][i] : NAN;
        if (st->kind == K_GG) {
            out[0][i] = isnan(x) ? NAN : expected_spend(&st->f, x, a1);
            continue;
        }
        double d[3] = {x, a1, a2};
        bool missing = isnan(x) || isnan(a1) || isnan(a2);
        const char *why = missing ? NULL : bad_row(st->f.kind, d);
        if (why) {
            rc = seg__model_error(m, SEG_ERANGE, "%s: customer '%s' has %s",
                                  prefix, seg_dataset_customer_id(ds, i), why);
            break;
        }
        out[0][i] = missing ? NAN : p_alive(&st->f, x, a1, a2);
        out[1][i] = missing ? NAN : expected(&st->f, horizon, x, a1, a2);
        if (st->kind == K_CLV) {
            out[2][i] = missing ? NAN : expected_spend(&st->gg, x, in[3][i]);
            out[3][i] = missing ? NAN
                                : clv_value(m, st, x, a1, a2, out[2][i]);
        }
    }
    if (!rc) {
        if (st->kind == K_GG) {
            rc = seg__model_put(m, ds, prefix, "expected_spend", out[0], NULL);
        } else {
            rc = seg__model_put(m, ds, prefix, "p_alive", out[0], NULL);
            if (!rc)
                rc = seg__model_put(m, ds, prefix, "expected", out[1], NULL);
            if (!rc && st->kind == K_CLV)
                rc = seg__model_put(m, ds, prefix, "spend", out[2], NULL);
            if (!rc && st->kind == K_CLV)
                rc = seg__model_put(m, ds, prefix, "value", out[3], NULL);
        }
    }
    for (int c = 0; c < 4; c++) {
        seg__free(in[c]);
        seg__free(out[c]);
    }
    return rc;
}

/* results: the purchase (or only) model's, then for clv the spend model's
 * as "spend.p" ... */
static const char *const stat_names[NSTAT] = {
    "loglik", "iterations", "grad_norm", "converged", "customers", "rows"};

static const char *clv_result_name(void *state, size_t i, void *ud)
{
    (void)ud;
    clv_state *st = state;
    const fit *fits[2] = {&st->f, &st->gg};
    int nfits = st->kind == K_CLV ? 2 : 1;
    for (int k = 0; k < nfits; k++) {
        const spec *sp = &specs[fits[k]->kind];
        size_t per = (size_t)sp->np * 2 + NSTAT;
        if (i >= per) {
            i -= per;
            continue;
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
    const fit *f = &st->f;
    if (st->kind == K_CLV && strncmp(name, "spend.", 6) == 0) {
        f = &st->gg;
        name += 6;
    }
    const spec *sp = &specs[f->kind];
    bool se = strncmp(name, "se.", 3) == 0;
    for (int i = 0; i < sp->np; i++) {
        if (strcmp(se ? name + 3 : name, sp->names[i]) == 0) {
            *out = se ? f->se[i] : f->p[i];
            return SEG_OK;
        }
    }
    const double vals[NSTAT] = {f->loglik, f->iterations, f->grad_norm,
                                f->converged, f->customers, f->rows};
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

static int clv_eval(void *state, const seg_model *m, const char *q,
                    const double *args, size_t n, double *out, void *ud)
{
    (void)ud;
    const clv_state *st = state;
    const fit *f = &st->f;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(args[i]))
            return seg__model_error(m, SEG_ERANGE, "'%s': argument %zu is "
                                    "not finite", q, i + 1);
    int rc;
    double v = NAN;
    if (st->kind == K_GG || (st->kind == K_CLV && !strcmp(q, "expected_spend"))) {
        if (strcmp(q, "expected_spend") != 0)
            return SEG_ENOTFOUND;
        if ((rc = want_args(m, q, n, 2)))
            return rc;
        if (args[0] < 0 || (args[0] > 0 && args[1] <= 0))
            return seg__model_error(m, SEG_ERANGE, "'%s': needs x >= 0 and a "
                                    "positive mean spend", q);
        v = expected_spend(st->kind == K_CLV ? &st->gg : f, args[0], args[1]);
    } else if (!strcmp(q, "p_alive") || !strcmp(q, "expected") ||
               (st->kind == K_CLV && !strcmp(q, "value"))) {
        size_t off = !strcmp(q, "expected") ? 1 : 0;
        size_t want = !strcmp(q, "value") ? 4 : 3 + off;
        if ((rc = want_args(m, q, n, want)))
            return rc;
        const char *why = bad_row(f->kind, args + off);
        if (!why && off && args[0] < 0)
            why = "a negative horizon";
        if (why)
            return seg__model_error(m, SEG_ERANGE, "'%s': %s", q, why);
        if (!strcmp(q, "p_alive"))
            v = p_alive(f, args[0], args[1], args[2]);
        else if (off)
            v = expected(f, args[0], args[1], args[2], args[3]);
        else
            v = clv_value(m, st, args[0], args[1], args[2],
                          expected_spend(&st->gg, args[0], args[3]));
    } else if (!strcmp(q, "expected_unconditional") && f->kind != K_BGBB) {
        if ((rc = want_args(m, q, n, 1)))
            return rc;
        if (args[0] < 0)
            return seg__model_error(m, SEG_ERANGE, "'%s': t < 0", q);
        v = expected_unconditional(f, args[0]);
    } else if (!strcmp(q, "pmf") &&
               (f->kind == K_BGNBD || f->kind == K_MBGNBD)) {
        if ((rc = want_args(m, q, n, 2)))
            return rc;
        if (args[0] < 0 || args[1] < 0 || args[1] != floor(args[1]))
            return seg__model_error(m, SEG_ERANGE, "'%s': needs t >= 0 and a "
                                    "whole n >= 0", q);
        v = pmf_bgnbd(f, args[0], args[1]);
    } else {
        return seg__model_error(m, SEG_ENOTFOUND, "model '%s' has no "
                                "quantity '%s'", seg_model_kind(m), q);
    }
    if (!isfinite(v))
        return seg__model_error(m, SEG_ERANGE, "'%s' is not finite for these "
                                "arguments", q);
    *out = v;
    return SEG_OK;
}

/* A fit as one state line: its kind, then the numbers; standard errors
 * may be NaN. */
static int put_fit(seg_write_fn w, void *wu, const char *tag, const fit *f)
{
    const double vals[15] = {f->kind, f->p[0], f->p[1], f->p[2], f->p[3],
                             f->se[0], f->se[1], f->se[2], f->se[3],
                             f->loglik, f->grad_norm, f->customers, f->rows,
                             f->iterations, f->converged};
    return seg__state_put(w, wu, tag, vals, 15);
}

static int clv_save(void *state, const seg_model *m, seg_write_fn w, void *wu,
                    void *ud)
{
    (void)m;
    (void)ud;
    const clv_state *st = state;
    int rc = put_fit(w, wu, "fit", &st->f);
    if (!rc && st->kind == K_CLV)
        rc = put_fit(w, wu, "spend", &st->gg);
    return rc;
}

static int get_fit(const seg_model *m, const char **p, const char *end,
                   const char *tag, fit *f)
{
    double v[15];
    int rc = seg__state_get(m, p, end, tag, v, 15, true);
    if (rc)
        return rc;
    int kind = (int)v[0];
    if (v[0] != kind || kind < K_BGNBD || kind > K_GG)
        return seg__model_error(m, SEG_EPARSE, "'%s': bad line", tag);
    f->kind = kind;
    for (int i = 0; i < SEG__NP; i++) {
        f->p[i] = v[1 + i];
        f->se[i] = v[5 + i];
        if (i < specs[kind].np && !(f->p[i] > 0 && isfinite(f->p[i])))
            return seg__model_error(m, SEG_EPARSE, "'%s': parameter %d is "
                                    "not positive", tag, i + 1);
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
    int rc = get_fit(m, &p, end, "fit", &st->f);
    if (!rc && st->kind == K_CLV)
        rc = get_fit(m, &p, end, "spend", &st->gg);
    if (!rc && st->kind != K_CLV && st->f.kind != st->kind)
        rc = seg__model_error(m, SEG_EPARSE, "state of another model kind");
    if (!rc && st->kind == K_CLV &&
        (st->f.kind != purchase_kind(m) || st->gg.kind != K_GG))
        rc = seg__model_error(m, SEG_EPARSE, "state does not match "
                              "purchase_model");
    if (!rc && p != end)
        rc = seg__model_error(m, SEG_EPARSE, "unexpected text in the state");
    return rc;
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
CLASS(seg__clv_class, "clv",
      "customer lifetime value: a purchase model and Gamma-Gamma, discounted",
      clv_params, create_clv);
