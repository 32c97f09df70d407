/* Gamma-Gamma spend per transaction (Fader, Hardie and Lee 2005): a row
 * is (x, m), the repeat purchases and their mean value. */
#include <math.h>
#include <stdint.h>

#include "core/internal.h"
#include "models/clv/internal.h"

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
/* ---- the total over many rows ----
 *
 * Per row: lgamma(px+q) - lgamma(px) - lgamma(q) + q log gamma +
 * (px-1) log m + px log x - (px+q) log(gamma + m x). All but the last term
 * depend on x alone (with the sum of w log m of the rows of each x) and
 * are computed once per distinct x; the last is one log per row, and its
 * derivatives are sums of w, w x times 1/(gamma + m x) and its square. */

typedef struct gg_prep {
    size_t n, nx;
    const double *d, *w;
    double *xv, *wx, *wlm; /* distinct x; weight, sum of w log m */
} gg_prep;

static void gg_release(void *vp)
{
    gg_prep *q = vp;
    if (!q)
        return;
    seg__free(q->xv);
    seg__free(q->wx);
    seg__free(q->wlm);
    seg__free(q);
}

static void *gg_prepare(const double *d, const double *w, size_t n)
{
    gg_prep *q = seg__calloc(1, sizeof *q);
    size_t nn = n ? n : 1;
    if (!q || !(q->xv = seg__malloc(nn * sizeof *q->xv)) ||
        !(q->wx = seg__calloc(nn, sizeof *q->wx)) ||
        !(q->wlm = seg__calloc(nn, sizeof *q->wlm)))
        return gg_release(q), NULL;
    q->n = n;
    q->d = d;
    q->w = w;
    /* the rows come sorted by x */
    for (size_t i = 0; i < n; i++) {
        if (q->nx == 0 || d[2 * i] != q->xv[q->nx - 1])
            q->xv[q->nx++] = d[2 * i];
        q->wx[q->nx - 1] += w[i];
        q->wlm[q->nx - 1] += w[i] * log(d[2 * i + 1]);
    }
    return q;
}

static double gg_total(void *vp, const double *par, double *grad,
                       double *hess)
{
    const gg_prep *q = vp;
    double p = par[0], qq = par[1], v = par[2], lv = log(v);
    double ll = 0, g[3] = {0, 0, 0}, H[9] = {0};
    bool want = grad || hess;
    for (size_t k = 0; k < q->nx; k++) {
        double x = q->xv[k], W = q->wx[k], px = p * x, lx = log(x);
        ll += W * (seg__lgamma(px + qq) - seg__lgamma(px) - seg__lgamma(qq) +
                   qq * lv + px * lx) +
              (px - 1) * q->wlm[k];
        if (!want)
            continue;
        double dpq = seg__digamma(px + qq), tpq = seg__trigamma(px + qq);
        g[0] += W * x * (dpq - seg__digamma(px) + lx) + x * q->wlm[k];
        g[1] += W * (dpq - seg__digamma(qq) + lv);
        g[2] += W * qq / v;
        H[0] += W * x * x * (tpq - seg__trigamma(px));
        H[1] += W * x * tpq;
        H[4] += W * (tpq - seg__trigamma(qq));
        H[5] += W / v;
        H[8] -= W * qq / (v * v);
    }
    double SL = 0, SxL = 0, SJ = 0, SxJ = 0, SJ2 = 0, SxJ2 = 0;
    for (size_t i = 0; i < q->n; i++) {
        double x = q->d[2 * i], m = q->d[2 * i + 1], w = q->w[i];
        double u = v + m * x, L = log(u);
        SL += w * L;
        SxL += w * x * L;
        if (!want)
            continue;
        double J = 1 / u;
        SJ += w * J;
        SxJ += w * x * J;
        SJ2 += w * J * J;
        SxJ2 += w * x * J * J;
    }
    ll -= p * SxL + qq * SL;
    if (!isfinite(ll))
        return NAN;
    if (grad) {
        grad[0] = g[0] - SxL;
        grad[1] = g[1] - SL;
        grad[2] = g[2] - (p * SxJ + qq * SJ);
    }
    if (hess) {
        H[2] -= SxJ;
        H[5] -= SJ;
        H[8] += p * SxJ2 + qq * SJ2;
        H[3] = H[1];
        H[6] = H[2];
        H[7] = H[5];
        for (int i = 0; i < 9; i++)
            hess[i] = H[i];
    }
    return ll;
}

/* A repeat buyer whose mean spend is not positive was left out of the
 * fit (Gamma-Gamma has no density there) and, like a customer without
 * repeat purchases, gets the population mean. */
double seg__clv_expected_spend(const seg__clv_fit *g, double x, double m)
{
    double p = g->p[0], q = g->p[1], v = g->p[2];
    if (x == 0 || isnan(m) || m <= 0)
        return q > 1 ? p * v / (q - 1) : NAN;
    return (v + m * x) * p / (p * x + q - 1);
}

const seg__clv_spec seg__clv_gg = {
    "gamma_gamma", 3, {"p", "q", "gamma"}, 2, ll_gg, NULL, NULL, NULL, NULL,
    gg_prepare, gg_total, gg_release, NULL};
