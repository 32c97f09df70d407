/* Pareto/NBD with time-varying covariates (Bachmann, Meierer and Naef
 * 2021, "The Role of Time-Varying Contextual Factors in Latent Attrition
 * Models for Customer Base Analysis", Marketing Science 40(4)), the model
 * of CLVTools' pnbd dynamic covariates: in each period of the covariate
 * table a customer buys at the rate lambda exp(gamma_t' z_t) and leaves at
 * the rate mu exp(gamma_l' z_l), lambda ~ Gamma(r, alpha) and
 * mu ~ Gamma(s, beta). With the exposures B(t) and D(t), the integrals of
 * those multipliers from the first purchase, the likelihood of
 * (x, t_x, T) with its repeat purchases at t_1 .. t_x is
 *
 *   G(r+x)/G(r) alpha^r beta^s prod_j exp(gamma_t' z(t_j))
 *   [ (alpha+B(T))^-(r+x) (beta+D(T))^-s
 *     + s int_{t_x}^T exp(gamma_l' z(tau)) (alpha+B(tau))^-(r+x)
 *                     (beta+D(tau))^-(s+1) dtau ].
 *
 * B and D are linear in each period, and the integral is summed period by
 * period by Gauss-Legendre quadrature; its gradient is taken at the same
 * nodes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/clv/dyncov.h"

/* Gauss-Legendre rules of 4, 8 and 16 nodes */
#define GLN 16
#define MAXK (SEG__COV_MAX / 2)

typedef struct cust {
    double x, tx, T;
    size_t p0, np, nf; /* pieces: np to T, then nf to T + horizon */
    size_t row;
} cust;

typedef struct dctx {
    size_t nc;
    cust *c;
    size_t npc, capp;
    double *u0, *h; /* per piece: start and length in time units */
    double *zt, *zl; /* kt and kl values per piece */
    double *zsum;   /* per customer: the kt values summed over purchases */
    int kt, kl, nt;
    size_t ti[MAXK], li[MAXK]; /* the names' columns in the table */
    double glx[3][GLN], glw[3][GLN]; /* nodes, log weights */
    bool base_only;  /* fit r, alpha, s, beta with the effects held */
    double held[SEG__OPT_MAXN];
    long evals;
} dctx;

/* The nodes and weights of the n-point Gauss-Legendre rule on [-1, 1], by
 * Newton's method on the Legendre polynomial. */
static void gauss_legendre(int n, double *x, double *w)
{
    for (int i = 0; i < n; i++) {
        double z = cos(3.14159265358979323846 * (i + 0.75) / (n + 0.5));
        double dp = 0;
        for (int it = 0; it < 100; it++) {
            double p0 = 1, p1 = z;
            for (int k = 2; k <= n; k++) {
                double p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
                p0 = p1;
                p1 = p2;
            }
            dp = n * (z * p1 - p0) / (z * z - 1);
            double dz = p1 / dp;
            z -= dz;
            if (fabs(dz) < 1e-16)
                break;
        }
        x[i] = z;
        w[i] = log(2 / ((1 - z * z) * dp * dp)); /* its log */
    }
}

static double dot(const double *a, const double *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* Running log-sum-exp of weighted terms w e^g with the sums of w e^g dg:
 * one scale for all, moved up when a larger term comes. */
typedef struct acc {
    double m, s, sg[SEG__OPT_MAXN];
} acc;

static void acc_add(acc *a, double lw, double g, const double *dg, int n)
{
    double l = lw + g;
    if (l > a->m) {
        double k = a->m == -INFINITY ? 0 : exp(a->m - l);
        a->s *= k;
        for (int i = 0; i < n; i++)
            a->sg[i] *= k;
        a->m = l;
    }
    double e = exp(l - a->m);
    a->s += e;
    for (int i = 0; i < n; i++)
        a->sg[i] += e * dg[i];
}

/* The integral's nodes over [a, b] of one piece, where the exposures are
 * B, D (and their derivatives Bm, Dm) at a and grow at et, el. */
static void piece_nodes(const dctx *c, const double *p, double xr, double a,
                        double b, double B, double D, const double *Bm,
                        const double *Dm, double et, double el, double eta,
                        const double *zt, const double *zl, acc *I)
{
    double r1 = p[0] + xr, s1 = p[2] + 1;
    double A0 = p[1] + B, C0 = p[3] + D, len = b - a;
    /* The integrand is analytic but for poles at a distance A0 / et and
     * C0 / el before the piece; the error of an n-point rule falls as
     * rho^-2n with rho about 4 d + 2, d that distance in piece lengths.
     * Below 1e-17: 4 nodes from d = 33, 8 from d = 2.4, else 16 on
     * pieces split to d >= 2. */
    double far = fmax(et * len / A0, el * len / C0);
    int nsub = far <= 0.5 ? 1 : (int)fmin(64, ceil(2 * far));
    int rule = far <= 1.0 / 33 ? 0 : far <= 1 / 2.4 ? 1 : 2, nn = 4 << rule;
    const double *gx = c->glx[rule], *gw = c->glw[rule];
    double hs = len / nsub, lhs = log(hs / 2), dg[SEG__OPT_MAXN];
    int kt = c->kt, kl = c->kl;
    for (int q = 0; q < nsub; q++) {
        for (int k = 0; k < nn; k++) {
            double v = hs * (q + (1 + gx[k]) / 2);
            double A = A0 + et * v, C = C0 + el * v;
            double lA = log(A), lC = log(C);
            double g = eta - r1 * lA - s1 * lC;
            dg[0] = -lA;
            dg[1] = -r1 / A;
            dg[2] = -lC;
            dg[3] = -s1 / C;
            for (int m = 0; m < kt; m++)
                dg[4 + m] = -r1 * (Bm[m] + zt[m] * et * v) / A;
            for (int m = 0; m < kl; m++)
                dg[4 + kt + m] = zl[m] - s1 * (Dm[m] + zl[m] * el * v) / C;
            acc_add(I, lhs + gw[k], g, dg, c->nt);
        }
    }
}

/* One customer's log-likelihood at the natural parameters p (r, alpha,
 * s, beta, then the effects), its gradient into g (nt values; NULL: none)
 * and P(alive at T) into *pa (NULL: none); B_T, D_T into bd[0..1]. */
static double cust_ll(const dctx *c, const cust *u, const double *p,
                      double *g, double *pa, double *bd)
{
    int kt = c->kt, kl = c->kl, nt = c->nt;
    const double *gt = p + 4, *gl = p + 4 + kt;
    double r = p[0], al = p[1], s = p[2], be = p[3], x = u->x, xr = r + x;
    double B = 0, D = 0, Bm[MAXK] = {0}, Dm[MAXK] = {0};
    acc I = {-INFINITY, 0, {0}};
    for (size_t j = u->p0; j < u->p0 + u->np; j++) {
        const double *zt = c->zt + j * (size_t)kt, *zl = c->zl + j * (size_t)kl;
        double eta = dot(gl, zl, kl);
        double et = exp(dot(gt, zt, kt)), el = exp(eta);
        double u0 = c->u0[j], h = c->h[j], end = u0 + h;
        if (end > u->tx) {
            double a = fmax(u0, u->tx), d = a - u0;
            double Ba[MAXK], Da[MAXK];
            for (int m = 0; m < kt; m++)
                Ba[m] = Bm[m] + zt[m] * et * d;
            for (int m = 0; m < kl; m++)
                Da[m] = Dm[m] + zl[m] * el * d;
            piece_nodes(c, p, x, a, end, B + et * d, D + el * d, Ba, Da, et,
                        el, eta, zt, zl, &I);
        }
        B += et * h;
        D += el * h;
        for (int m = 0; m < kt; m++)
            Bm[m] += zt[m] * et * h;
        for (int m = 0; m < kl; m++)
            Dm[m] += zl[m] * el * h;
    }
    double lAT = log(al + B), lCT = log(be + D);
    double l1 = -xr * lAT - s * lCT;
    double lI = I.m == -INFINITY ? -INFINITY : log(s) + I.m + log(I.s);
    double top = fmax(l1, lI);
    double lS = top + log(exp(l1 - top) + exp(lI - top));
    double wT = exp(l1 - lS), wI = lI == -INFINITY ? 0 : exp(lI - lS);
    if (pa)
        *pa = wT;
    if (bd) {
        bd[0] = B;
        bd[1] = D;
    }
    double head = seg__lgamma_diff(r, x) + r * log(al) + s * log(be) +
                  dot(gt, c->zsum + (size_t)(u - c->c) * (size_t)kt, kt);
    if (g) {
        const double *zs = c->zsum + (size_t)(u - c->c) * (size_t)kt;
        double d1[SEG__OPT_MAXN];
        d1[0] = -lAT;
        d1[1] = -xr / (al + B);
        d1[2] = -lCT;
        d1[3] = -s / (be + D);
        for (int m = 0; m < kt; m++)
            d1[4 + m] = -xr * Bm[m] / (al + B);
        for (int m = 0; m < kl; m++)
            d1[4 + kt + m] = -s * Dm[m] / (be + D);
        for (int i = 0; i < nt; i++)
            g[i] = wT * d1[i] + (wI > 0 ? wI * I.sg[i] / I.s : 0);
        g[2] += wI / s;
        g[0] += (x > 0 ? seg__digamma(xr) - seg__digamma(r) : 0) + log(al);
        g[1] += r / al;
        g[2] += log(be);
        g[3] += s / be;
        for (int m = 0; m < kt; m++)
            g[4 + m] += zs[m];
    }
    return head + lS;
}

/* The mean negative log-likelihood over customers at theta (log r,
 * log alpha, log s, log beta, effects) and its gradient. */
static double objective(const double *theta, double *grad, void *vc)
{
    dctx *c = vc;
    double p[SEG__OPT_MAXN], g[SEG__OPT_MAXN], tot = 0,
           sum[SEG__OPT_MAXN] = {0};
    int n = c->base_only ? 4 : c->nt;
    for (int i = 0; i < c->nt; i++)
        p[i] = i < n ? (i < 4 ? exp(theta[i]) : theta[i]) : c->held[i];
    for (int i = 0; i < 4; i++)
        if (!(p[i] > SEG__CLV_PMIN && p[i] < SEG__CLV_PMAX))
            return NAN;
    for (int i = 4; i < n; i++)
        if (!(fabs(p[i]) < 50))
            return NAN;
    c->evals++;
    for (size_t k = 0; k < c->nc; k++) {
        tot += cust_ll(c, &c->c[k], p, g, NULL, NULL);
        for (int i = 0; i < n; i++)
            sum[i] += g[i];
    }
    double N = (double)c->nc;
    for (int i = 0; i < n && grad; i++)
        grad[i] = -sum[i] * (i < 4 ? p[i] : 1) / N;
    return isfinite(tot) ? -tot / N : NAN;
}

/* ---- the customers' periods ---- */

static int add_piece(dctx *c, double u0, double h, const double *row)
{
    if (c->npc == c->capp) {
        size_t cap = c->capp ? 2 * c->capp : 4096;
        double *a = seg__realloc(c->u0, cap * sizeof *a);
        if (a)
            c->u0 = a;
        double *b = seg__realloc(c->h, cap * sizeof *b);
        if (b)
            c->h = b;
        double *zt = seg__realloc(c->zt, cap * (size_t)(c->kt ? c->kt : 1) *
                                             sizeof *zt);
        if (zt)
            c->zt = zt;
        double *zl = seg__realloc(c->zl, cap * (size_t)(c->kl ? c->kl : 1) *
                                             sizeof *zl);
        if (zl)
            c->zl = zl;
        if (!a || !b || !zt || !zl)
            return SEG_ENOMEM;
        c->capp = cap;
    }
    size_t j = c->npc++;
    c->u0[j] = u0;
    c->h[j] = h;
    for (int m = 0; m < c->kt; m++)
        c->zt[j * (size_t)c->kt + (size_t)m] = row[c->ti[m]];
    for (int m = 0; m < c->kl; m++)
        c->zl[j * (size_t)c->kl + (size_t)m] = row[c->li[m]];
    return SEG_OK;
}

/* The pieces of (from, to] in time units after the first purchase on day
 * d0 (dpu days a unit), one per period of the table's customer k; the
 * count into *np. SEG_ERANGE when the table does not cover it (for an
 * empty span: the period of its start). */
static int add_pieces(dctx *c, const seg__dyncov *t, size_t k, int64_t d0,
                      double dpu, double from, double to, size_t *np)
{
    *np = 0;
    double day_from = (double)d0 + from * dpu, day_to = (double)d0 + to * dpu;
    double step = (double)t->step, first = (double)t->first[k];
    double last = first + (double)t->nper[k] * step;
    if (day_from < first || day_from >= last || day_to > last)
        return SEG_ERANGE;
    for (size_t p = (size_t)floor((day_from - first) / step);
         p < t->nper[k]; p++) {
        double ps = first + (double)p * step;
        double a = fmax(day_from, ps), b = fmin(day_to, ps + step);
        if (b <= a)
            break;
        if (add_piece(c, (a - (double)d0) / dpu, (b - a) / dpu,
                      t->v + (t->off[k] + p) * t->nnames))
            return SEG_ENOMEM;
        (*np)++;
    }
    return SEG_OK;
}

static void ctx_free(dctx *c)
{
    seg__free(c->c);
    seg__free(c->u0);
    seg__free(c->h);
    seg__free(c->zt);
    seg__free(c->zl);
    seg__free(c->zsum);
}

/* The names of a comma-separated list in the table, into idx[]. */
static int names_of(const seg_model *m, const seg__dyncov *t,
                    const char *param, size_t *idx, int *k)
{
    const char *s = seg__param_str(m, param);
    *k = 0;
    while (s && *s) {
        const char *comma = strchr(s, ',');
        const char *e = comma ? comma : s + strlen(s);
        while (s < e && *s == ' ')
            s++;
        size_t len = (size_t)(e - s);
        while (len && s[len - 1] == ' ')
            len--;
        size_t j = t->nnames;
        for (size_t i = 0; i < t->nnames; i++)
            if (strlen(t->names[i]) == len && !memcmp(t->names[i], s, len))
                j = i;
        if (!len)
            return seg__model_error(m, SEG_EPARSE, "%s: an empty name",
                                    param);
        if (j == t->nnames)
            return seg__model_error(m, SEG_ENOTFOUND, "%s: '%.*s' is not a "
                                    "column of the covariate table", param,
                                    (int)len, s);
        for (int i = 0; i < *k; i++)
            if (idx[i] == j)
                return seg__model_error(m, SEG_EINVAL, "%s: '%.*s' is named "
                                        "twice", param, (int)len, s);
        if (*k == MAXK)
            return seg__model_error(m, SEG_ELIMIT, "%s: more than %d "
                                    "covariates", param, MAXK);
        idx[(*k)++] = j;
        s = comma ? comma + 1 : e;
    }
    return SEG_OK;
}

static int check_params(const seg_model *m, const seg__dyncov *t, dctx *c)
{
    if (!t)
        return seg__model_error(m, SEG_EINVAL, "%s: dynamic_covariates=on "
                                "and no covariate table: attach one with "
                                "seg_model_set_covariate_table() (segment: "
                                "--dynamic-covariates FILE)",
                                seg_model_name(m));
    const char *w = seg__param_str(m, "weight_column");
    const char *cc = seg__param_str(m, "covariates_constrained");
    if ((w && *w) || (cc && *cc))
        return seg__model_error(m, SEG_EINVAL, "%s: dynamic covariates take "
                                "neither %s", seg_model_name(m),
                                w && *w ? "weight_column" :
                                "covariates_constrained");
    int rc = names_of(m, t, "trans_covariates", c->ti, &c->kt);
    if (!rc)
        rc = names_of(m, t, "life_covariates", c->li, &c->kl);
    if (!rc && c->kt + c->kl == 0)
        rc = seg__model_error(m, SEG_EINVAL, "%s: dynamic_covariates=on "
                              "names no covariate in trans_covariates or "
                              "life_covariates", seg_model_name(m));
    c->nt = 4 + c->kt + c->kl;
    return rc;
}

/* The days a unit of the T column is. */
static int days_per_unit(const seg_model *m, const seg_dataset *ds,
                         double *dpu)
{
    const char *col = seg__param_str(m, "T_column");
    int k = seg_dataset_column_kind(ds, col);
    *dpu = k == SEG_KIND_DAYS ? 1 : k == SEG_KIND_WEEKS ? 7 : 0;
    if (*dpu == 0)
        return seg__model_error(m, SEG_EINVAL, "%s: dynamic covariates need "
                                "'%s' in days or weeks, as features give it",
                                seg_model_name(m), col);
    return SEG_OK;
}

/* One customer's pieces and purchase sums, checked against the
 * transactions the features counted. */
static int one_customer(const seg_model *m, const seg_dataset *ds,
                        const seg__dyncov *t, dctx *c, cust *u,
                        const int64_t *days, size_t nd, double dpu,
                        double horizon)
{
    const char *id = seg__ds_id(ds, u->row);
    size_t k = seg__dyncov_find(t, id);
    if (k == t->ncust)
        return seg__model_error(m, SEG_ERANGE, "%s: customer '%s' has no "
                                "rows in the covariate table",
                                seg_model_name(m), id);
    if (!nd)
        return seg__model_error(m, SEG_ERANGE, "%s: customer '%s' has a "
                                "history but no purchases in the dataset",
                                seg_model_name(m), id);
    int64_t d0 = days[0];
    double end = (double)d0 + u->T * dpu;
    size_t x = 0;
    double *zs = c->zsum + (size_t)(u - c->c) * (size_t)c->kt;
    for (int m2 = 0; m2 < c->kt; m2++)
        zs[m2] = 0;
    int64_t last = d0;
    for (size_t i = 1; i < nd && (double)days[i] <= end; i++) {
        x++;
        last = days[i];
        double pos = floor((double)(days[i] - t->first[k]) / (double)t->step);
        if (pos < 0 || pos >= (double)t->nper[k])
            return seg__model_error(m, SEG_ERANGE, "%s: customer '%s': the "
                                    "covariate table has no period for the "
                                    "purchase of day %lld", seg_model_name(m),
                                    id, (long long)days[i]);
        const double *row = t->v + (t->off[k] + (size_t)pos) * t->nnames;
        for (int m2 = 0; m2 < c->kt; m2++)
            zs[m2] += row[c->ti[m2]];
    }
    if ((double)x != u->x || fabs((double)(last - d0) / dpu - u->tx) > 1e-9)
        return seg__model_error(m, SEG_EINVAL, "%s: customer '%s': x = %g, "
                                "t_x = %g, and the dataset's purchases give "
                                "%zu and %g: dynamic covariates need the "
                                "features of this dataset's transactions",
                                seg_model_name(m), id, u->x, u->tx, x,
                                (double)(last - d0) / dpu);
    u->p0 = c->npc;
    int rc = add_pieces(c, t, k, d0, dpu, 0, u->T, &u->np);
    if (!rc && horizon > 0)
        rc = add_pieces(c, t, k, d0, dpu, u->T, u->T + horizon, &u->nf);
    if (rc == SEG_ERANGE) {
        char b1[32], b2[32];
        seg_time_format_iso(b1, sizeof b1, d0 * 86400);
        seg_time_format_iso(b2, sizeof b2,
                            (int64_t)llround(end + horizon * dpu) * 86400);
        return seg__model_error(m, SEG_ERANGE, "%s: customer '%s': the "
                                "covariate table does not cover %s to %s%s",
                                seg_model_name(m), id, b1, b2,
                                horizon > 0 ? " (the end of the estimation "
                                "period plus the horizon)" : "");
    }
    return rc ? seg__nomem(NULL) : SEG_OK;
}

/* Every customer with a history: their pieces to T, and to T + horizon
 * when horizon > 0. */
static int build(const seg_model *m, const seg_dataset *ds,
                 const seg__dyncov *t, dctx *c, double horizon)
{
    size_t n = seg__ds_n(ds);
    double dpu;
    int rc = days_per_unit(m, ds, &dpu);
    double *col[3] = {NULL, NULL, NULL};
    static const char *const names[3] = {"x_column", "t_x_column",
                                         "T_column"};
    for (int i = 0; i < 3 && !rc; i++)
        if (!(col[i] = seg__model_column(m, ds, seg__param_str(m, names[i]),
                                         &rc)))
            break;
    int64_t *days = NULL;
    size_t *start = NULL;
    if (!rc)
        rc = seg__ds_purchase_days(ds, &days, &start);
    c->c = seg__malloc((n ? n : 1) * sizeof *c->c);
    c->zsum = seg__malloc((n ? n : 1) * (size_t)(c->kt ? c->kt : 1) *
                          sizeof *c->zsum);
    if (!rc && (!c->c || !c->zsum))
        rc = seg__nomem(NULL);
    for (int i = 0; i < 3; i++)
        gauss_legendre(4 << i, c->glx[i], c->glw[i]);
    seg__progress *prog = seg__progress_current();
    for (size_t i = 0; i < n && !rc; i++) {
        if (isnan(col[0][i]) || isnan(col[1][i]) || isnan(col[2][i]))
            continue;
        cust *u = &c->c[c->nc++];
        memset(u, 0, sizeof *u);
        u->x = col[0][i];
        u->tx = col[1][i];
        u->T = col[2][i];
        u->row = i;
        rc = seg__progress_at(prog, i);
        if (!rc)
            rc = one_customer(m, ds, t, c, u, days + start[i],
                              start[i + 1] - start[i], dpu, horizon);
    }
    if (!rc && !c->nc)
        rc = seg__model_error(m, SEG_ERANGE, "%s: no customer has a history",
                              seg_model_name(m));
    for (int i = 0; i < 3; i++)
        seg__free(col[i]);
    seg__free(days);
    seg__free(start);
    return rc;
}

/* ---- the fit ---- */

bool seg__clv_dyncov_on(const seg_model *m)
{
    const char *s = seg__param_str(m, "dynamic_covariates");
    return s && !strcmp(s, "on");
}

static int make_cov(const dctx *c, const seg__dyncov *t, seg__clv_cov **out)
{
    seg__clv_cov *cov = seg__calloc(1, sizeof *cov);
    if (!cov)
        return seg__nomem(NULL);
    int ne = c->kt + c->kl;
    cov->e = seg__calloc((size_t)ne, sizeof *cov->e);
    int rc = cov->e ? SEG_OK : SEG_ENOMEM;
    for (int i = 0; i < ne && !rc; i++) {
        seg__clv_effect *e = &cov->e[i];
        bool tr = i < c->kt;
        const char *name = t->names[tr ? c->ti[i] : c->li[i - c->kt]];
        size_t len = strlen(name) + 8;
        e->proc = tr ? SEG__COV_TRANS : SEG__COV_LIFE;
        e->se = NAN;
        e->column = seg__strndup(name, strlen(name));
        e->name = seg__malloc(len);
        e->se_name = seg__malloc(len + 3);
        cov->n++;
        cov->k++;
        if (!e->column || !e->name || !e->se_name) {
            rc = SEG_ENOMEM;
            break;
        }
        snprintf(e->name, len, "%s.%s", tr ? "trans" : "life", name);
        snprintf(e->se_name, len + 3, "se.%s", e->name);
    }
    if (rc) {
        seg__clv_cov_free(cov);
        return seg__nomem(NULL);
    }
    *out = cov;
    return SEG_OK;
}

/* The parameters of `fixed`: r, alpha, s, beta and every effect. */
static int parse_fixed(const seg_model *m, const seg__clv_cov *cov,
                       const char *fixed, double *p, int nt)
{
    static const char *const base[4] = {"r", "alpha", "s", "beta"};
    bool seen[SEG__OPT_MAXN] = {false};
    const char *s = fixed;
    while (*s) {
        const char *comma = strchr(s, ',');
        const char *e = comma ? comma : s + strlen(s);
        const char *eq = NULL;
        for (const char *q = e; q > s && !eq; q--)
            if (q[-1] == '=')
                eq = q - 1;
        int which = -1;
        for (int i = 0; eq && i < nt && which < 0; i++) {
            const char *nm = i < 4 ? base[i] : cov->e[i - 4].name;
            if (strlen(nm) == (size_t)(eq - s) &&
                !memcmp(nm, s, (size_t)(eq - s)))
                which = i;
        }
        double v;
        if (which < 0 || seg__parse_f64(eq + 1, (size_t)(e - eq - 1), &v) ||
            !isfinite(v) || (which < 4 && !(v > 0)))
            return seg__model_error(m, SEG_EPARSE, "fixed: '%.*s' is not a "
                                    "parameter or effect with a valid value",
                                    (int)(e - s), s);
        p[which] = v;
        seen[which] = true;
        s = comma ? comma + 1 : e;
    }
    for (int i = 0; i < nt; i++)
        if (!seen[i])
            return seg__model_error(m, SEG_EPARSE, "fixed: '%s' is missing",
                                    i < 4 ? base[i] : cov->e[i - 4].name);
    return SEG_OK;
}

/* The standard errors from the Hessian of the objective in theta, by
 * central differences of the exact gradient; the covariance of the
 * log-parameters into vcov. */
static void standard_errors(dctx *c, const double *theta, double *se,
                            double *vcov)
{
    int n = c->nt;
    double H[SEG__OPT_MAXN * SEG__OPT_MAXN], gp[SEG__OPT_MAXN],
        gm[SEG__OPT_MAXN], t[SEG__OPT_MAXN];
    double N = (double)c->nc;
    bool ok = true;
    for (int j = 0; j < n && ok; j++) {
        double hstep = 1e-5 * fmax(1, fabs(theta[j]));
        memcpy(t, theta, (size_t)n * sizeof *t);
        t[j] = theta[j] + hstep;
        ok = isfinite(objective(t, gp, c));
        t[j] = theta[j] - hstep;
        ok = ok && isfinite(objective(t, gm, c));
        for (int i = 0; i < n; i++)
            H[i * n + j] = (gp[i] - gm[i]) / (2 * hstep) * N;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            H[i * n + j] = H[j * n + i] = (H[i * n + j] + H[j * n + i]) / 2;
    ok = ok && seg__spd_inverse(H, n);
    for (int i = 0; i < n; i++) {
        double v = ok && H[i * n + i] > 0 ? sqrt(H[i * n + i]) : NAN;
        se[i] = i < 4 ? exp(theta[i]) * v : v;
    }
    for (int i = 0; i < SEG__NP * SEG__NP; i++)
        vcov[i] = NAN;
    for (int i = 0; i < 4 && ok; i++)
        for (int j = 0; j < 4; j++)
            vcov[i * SEG__NP + j] = H[i * n + j];
}

static int optimise(const seg_model *m, dctx *c, double *theta, int n,
                    seg__opt_result *res)
{
    int max_iter = (int)seg__param_num(m, "max_iter");
    *res = seg__minimize(objective, c, theta, n, max_iter, 1e-9);
    if (res->status == 3 || seg__progress_canceled(seg__progress_current()))
        return SEG_ECANCELED;
    if (res->status != 0)
        return seg__model_error(m, SEG_ECONVERGE, "%s: the fit with dynamic "
                                "covariates did not converge (%s after %d "
                                "iterations, gradient norm %g)",
                                seg_model_name(m), res->status == 1
                                    ? "iteration limit" : "no descent",
                                res->iterations, res->grad_norm);
    return SEG_OK;
}

int seg__clv_dyncov_fit(const seg_model *m, const seg_dataset *ds,
                        seg__clv_fit *f)
{
    const seg__dyncov *t = seg__model_dyncov(m);
    dctx c;
    memset(&c, 0, sizeof c);
    seg__clv_cov *cov = NULL;
    int rc = check_params(m, t, &c);
    if (!rc)
        rc = make_cov(&c, t, &cov);
    if (!rc)
        rc = build(m, ds, t, &c, 0);
    double theta[SEG__OPT_MAXN] = {0}, p[SEG__OPT_MAXN] = {0};
    const char *fixed = seg__param_str(m, "fixed");
    seg__opt_result res = {0, 0, NAN, 0};
    if (!rc && fixed && *fixed) {
        rc = parse_fixed(m, cov, fixed, p, c.nt);
        for (int i = 0; i < c.nt; i++)
            theta[i] = i < 4 ? log(p[i]) : p[i];
    } else if (!rc) {
        /* the base parameters first, the effects at 0, then all */
        double mt = 0;
        for (size_t i = 0; i < c.nc; i++)
            mt += c.c[i].T / (double)c.nc;
        theta[0] = 0;
        theta[1] = log(fmax(mt, 1e-3));
        theta[2] = 0;
        theta[3] = log(fmax(mt, 1e-3));
        c.base_only = true;
        rc = optimise(m, &c, theta, 4, &res);
        c.base_only = false;
        int it = res.iterations;
        if (!rc)
            rc = optimise(m, &c, theta, c.nt, &res);
        res.iterations += it;
    }
    if (!rc) {
        for (int i = 0; i < c.nt; i++)
            p[i] = i < 4 ? exp(theta[i]) : theta[i];
        double ll = -objective(theta, NULL, &c) * (double)c.nc;
        if (!isfinite(ll))
            rc = seg__model_error(m, SEG_ERANGE, "%s: the log-likelihood is "
                                  "not finite at %s", seg_model_name(m),
                                  fixed && *fixed ? "the fixed parameters"
                                                  : "the fit");
        double se[SEG__OPT_MAXN];
        if (!rc) {
            standard_errors(&c, theta, se, f->vcov);
            f->kind = SEG__CLV_PNBD;
            for (int i = 0; i < SEG__NP; i++) {
                f->p[i] = i < 4 ? p[i] : 0;
                f->se[i] = i < 4 ? se[i] : NAN;
            }
            for (int i = 0; i < cov->k; i++) {
                cov->e[i].gamma = p[4 + i];
                cov->e[i].se = se[4 + i];
            }
            f->loglik = ll;
            f->grad_norm = res.grad_norm;
            f->customers = f->rows = (double)c.nc;
            f->iterations = res.iterations;
            f->converged = 1;
            f->evaluations = (double)c.evals;
            f->start_evaluations = 0;
            f->excluded = 0;
            seg__clv_cov_free(f->cov);
            f->cov = cov;
            cov = NULL;
        }
    }
    seg__clv_cov_free(cov);
    ctx_free(&c);
    return rc;
}

/* ---- predictions ---- */

/* Expected purchases in (T, T + horizon] of a customer alive at T with
 * exposures B_T, D_T: (r+x)/(alpha+B_T) times the sum over the future
 * periods of exp(gamma_t'z) int ((beta+D_T)/(beta+D(v)))^s dv, in closed
 * form per period. */
static double expected_alive(const dctx *c, const cust *u, const double *p,
                             const double *bd)
{
    int kt = c->kt, kl = c->kl;
    double s = p[2], C0 = p[3] + bd[1], C = C0, sum = 0;
    for (size_t j = u->p0 + u->np; j < u->p0 + u->np + u->nf; j++) {
        double et = exp(dot(p + 4, c->zt + j * (size_t)kt, kt));
        double el = exp(dot(p + 4 + kt, c->zl + j * (size_t)kl, kl));
        double h = c->h[j], q = el * h / C, lr = log(C0 / C);
        /* int_0^h (C / C0 + el v / C0)^-s dv */
        double piece = fabs(s - 1) < 1e-12
                           ? C / el * log1p(q)
                           : C / (el * (s - 1)) * -expm1((1 - s) * log1p(q));
        sum += et * piece * exp(s * lr);
        C += el * h;
    }
    return (p[0] + u->x) / (p[1] + bd[0]) * sum;
}

int seg__clv_dyncov_score(const seg_model *m, const seg__clv_fit *f,
                          seg_dataset *ds, const char *prefix)
{
    const seg__dyncov *t = seg__model_dyncov(m);
    double horizon = seg__param_num(m, "horizon");
    dctx c;
    memset(&c, 0, sizeof c);
    int rc = check_params(m, t, &c);
    if (!rc && (!f->cov || f->cov->k != c.kt + c.kl))
        rc = seg__model_error(m, SEG_EINVAL, "%s: the fitted effects are not "
                              "those the covariate parameters name", prefix);
    if (!rc && strcmp(seg__param_str(m, "timing"), "on") == 0)
        rc = seg__model_error(m, SEG_EINVAL, "%s: timing=on is not "
                              "available with dynamic covariates", prefix);
    if (!rc && seg__param_num(m, "interval") > 0)
        rc = seg__model_error(m, SEG_EINVAL, "%s: prediction intervals "
                              "(interval) are not available with dynamic "
                              "covariates", prefix);
    if (!rc)
        rc = build(m, ds, t, &c, horizon);
    size_t n = seg__ds_n(ds);
    double *pa = seg__malloc((n ? n : 1) * sizeof *pa);
    double *ex = seg__malloc((n ? n : 1) * sizeof *ex);
    if (!rc && (!pa || !ex))
        rc = seg__nomem(NULL);
    double p[SEG__OPT_MAXN];
    for (int i = 0; i < 4; i++)
        p[i] = f->p[i];
    for (int i = 0; !rc && i < f->cov->k; i++)
        p[4 + i] = f->cov->e[i].gamma;
    for (size_t i = 0; i < n && !rc; i++)
        pa[i] = ex[i] = NAN;
    for (size_t k = 0; k < c.nc && !rc; k++) {
        const cust *u = &c.c[k];
        double a, bd[2];
        cust_ll(&c, u, p, NULL, &a, bd);
        pa[u->row] = a;
        ex[u->row] = horizon > 0 ? a * expected_alive(&c, u, p, bd) : 0;
        if (!isfinite(pa[u->row]) || !isfinite(ex[u->row]))
            rc = seg__model_error(m, SEG_ERANGE, "%s: customer '%s': "
                                  "P(alive) or the expected purchases cannot "
                                  "be computed", prefix,
                                  seg__ds_id(ds, u->row));
    }
    if (!rc)
        rc = seg__model_put(m, ds, prefix, "p_alive", pa, NULL);
    if (!rc)
        rc = seg__model_put(m, ds, prefix, "expected", ex, NULL);
    seg__free(pa);
    seg__free(ex);
    ctx_free(&c);
    return rc;
}
