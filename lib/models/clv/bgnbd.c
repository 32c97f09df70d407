/* The BG/NBD family: BG/NBD (Fader, Hardie and Lee 2005) and MBG/NBD
 * (Batislam et al. 2007), where a customer may also drop out before any
 * repeat purchase. The two differ by a shift of one in the dropout terms,
 * so one piece of code with `modified` serves both. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/internal.h"
#include "models/clv/internal.h"

static seg__dual ll_family(const seg__dual *p, const double *d,
                           bool modified)
{
    double x = d[0], tx = d[1], T = d[2];
    seg__dual r = p[0], al = p[1], a = p[2], b = p[3];
    seg__dual rx = daddc(r, x);
    seg__dual A1 = dadd(dlgamma_diff(r, x), dmul(r, dlog(al)));
    double m = modified ? 1 : 0;
    seg__dual A2 = dlbeta_shift(a, b, 0, x + m);
    seg__dual A3 = dscale(dmul(rx, dlog(daddc(al, T))), -1);
    if (!modified && x == 0)
        return dadd(dadd(A1, A2), A3);
    /* the customer may have dropped out right after the last purchase */
    seg__dual A4 = dsub(dsub(dlog(a), dlog(daddc(b, x + m - 1))),
                        dmul(rx, dlog(daddc(al, tx))));
    return dadd(dadd(A1, A2), dlogsumexp(A3, A4));
}

static bool log_hyp(double a, double b, double c, double z, double *out)
{
    return seg__log_hyp2f1_f64(a, b, c, z, out);
}

/* P(alive) after x repeat purchases, the last at t_x, observed to T. The
 * customer was alive after the last purchase with the weight of
 * (1-p)^(x+m) (m = 1 for MBG/NBD, which also counts the first purchase),
 * and dropped out then with the weight of p (1-p)^(x+m-1). */
static double p_alive_family(const double *p, double x, double tx, double T,
                             bool mod)
{
    if (x == 0 && !mod)
        return 1;
    double bb = p[3] + x + (mod ? 1 : 0) - 1;
    return 1 / (1 + exp(log(p[2]) - log(bb) +
                        (p[0] + x) * (log(p[1] + T) - log(p[1] + tx))));
}

typedef struct alive_ctx {
    double R, A, a, b, t, lb;
} alive_ctx;

/* the Beta(a, b) density of p in y = logit p, times
 * E[purchases in t | p, alive] averaged over lambda ~ Gamma(R, A):
 * (1 - (1 + p t / A)^-R) / p */
static seg__dual alive_integrand(double y, double lp, double lq, void *vc)
{
    (void)y;
    const alive_ctx *c = vc;
    double p = exp(lp), u = p * c->t / c->A;
    /* where p underflows (a density in p^a with a tiny a has its mass
     * there), the limit R t / A and its first correction */
    double h = (c->R + 1) * u < 1e-8
                   ? c->R * c->t / c->A * (1 - (c->R + 1) * u / 2)
                   : -expm1(-c->R * log1p(u)) / p;
    return dc(c->a * lp + c->b * lq - c->lb + log(h));
}

/* e_alive's integral when a or b is small: in y = logit p the density
 * then has a tail like e^(a y) or e^(-b y), far longer than the scale of
 * its bulk, which no single map of the line resolves. Beyond
 * [y_lo, y_hi], 40 past the bulk and past the bend of the integrand at
 * p = A/(R t), p (or 1 - p) is below e^-40 and the tails are integrated
 * in closed form; in between, 10-point Gauss-Legendre on unit pieces. */
static double e_alive_heavy_tails(const alive_ctx *c, double m)
{
    static const double gl[5][2] = {
        {0.97390652851717172008, 0.066671344308688137594},
        {0.86506336668898451073, 0.14945134915058059315},
        {0.67940956829902440623, 0.219086362515982044},
        {0.4333953941292471908, 0.26926671930999635509},
        {0.14887433898163121088, 0.29552422471475287017}};
    double bend = log(c->A) - log(c->R * c->t + c->A);
    double lo = floor(fmin(fmin(m, bend), 0) - 40);
    double hi = ceil(fmax(m, 0) + 40);
    /* the tails: p^a over y < lo times h(0) = R t/A; (1-p)^b over
     * y > hi times h(1) */
    double h0 = c->R * c->t / c->A;
    double h1 = -expm1(-c->R * log1p(c->t / c->A));
    double l_lo = log(h0) + c->a * lo - log(c->a);
    double l_hi = log(h1) - c->b * hi - log(c->b);
    double big = fmax(l_lo, l_hi), sum = 0;
    enum { PIECES = 400 };
    double v[10 * PIECES], w = fmax(1, (hi - lo) / PIECES);
    int nv = 0;
    for (int k = 0; k < PIECES && lo + k * w < hi; k++) {
        double mid = lo + (k + 0.5) * w;
        for (int j = 0; j < 5; j++)
            for (int sgn = -1; sgn <= 1; sgn += 2) {
                double y = mid + sgn * 0.5 * w * gl[j][0];
                double lp = y > 0 ? -log1p(exp(-y)) : y - log1p(exp(y));
                double lq = y > 0 ? -y - log1p(exp(-y)) : -log1p(exp(y));
                double l = alive_integrand(y, lp, lq, (void *)c).v + c->lb +
                           log(0.5 * w * gl[j][1]);
                v[nv++] = l;
                big = fmax(big, l);
            }
    }
    if (!isfinite(big))
        return NAN;
    for (int i = 0; i < nv; i++)
        sum += exp(v[i] - big);
    sum += exp(l_lo - big) + exp(l_hi - big);
    return exp(big + log(sum) - c->lb);
}

/* Expected purchases in the next t of a customer alive now, with
 * lambda ~ Gamma(R, A) and p ~ Beta(a, b): for the BG/NBD family every
 * conditional expectation is this with the posterior's R, A and b.
 * Closed form: (a+b-1)/(a-1) [1 - (A/(A+t))^R 2F1(R, b; a+b-1; t/(A+t))];
 * where that is ill-conditioned (a near 1, a + b - 1 near or below 0,
 * or large against a - 1), slow (t/(A+t) near 1) or overflows (large R),
 * the integral over p. */
static double e_alive(double R, double A, double a, double b, double t)
{
    if (t == 0)
        return 0;
    double z = t / (A + t), c = a + b - 1, lf;
    /* the closed form's relative error grows as c / |a - 1| times the
     * rounding error (a difference of two numbers near 1 scaled up) */
    if (c / fabs(a - 1) < 1e4 && c > 0.5 && z < 0.95 && R < 1e4 &&
        log_hyp(R, b, c, z, &lf)) {
        double v = c / (a - 1) * -expm1(R * log1p(-z) + lf);
        if (isfinite(v) && v > 0)
            return v;
    }
    /* log B(a, b) as lgamma(min) - (lgamma(min + max) - lgamma(max)): the
     * plain sum loses its digits for b = 1e10 */
    double lb = seg__lgamma(fmin(a, b)) -
                seg__lgamma_diff(fmax(a, b), fmin(a, b));
    alive_ctx ctx = {R, A, a, b, t, lb};
    double m = log(a) - log(b);
    double s = sqrt(seg__trigamma(a) + seg__trigamma(b));
    if (s > 20)
        return e_alive_heavy_tails(&ctx, m);
    double l = seg__quad_logit(alive_integrand, &ctx, m, s).v;
    return isfinite(l) ? exp(l) : NAN;
}

/* A customer alive at T has lambda ~ Gamma(r + x, alpha + T) and p ~
 * Beta(a, b + x) (MBG/NBD: b + x + 1), whatever t_x was. */
double seg__clv_family_expected_alive(const double *p, double t, double x,
                                      double T, bool mod)
{
    return e_alive(p[0] + x, p[1] + T, p[2], p[3] + x + (mod ? 1 : 0), t);
}

void seg__clv_family_expected_alive_n(const double *p, const double *t, int n,
                                      double x, double T, bool mod,
                                      double *out)
{
    double R = p[0] + x, A = p[1] + T, a = p[2], b = p[3] + x + (mod ? 1 : 0);
    double c = a + b - 1;
    bool form = c / fabs(a - 1) < 1e4 && c > 0.5 && R < 1e4;
    for (int i0 = 0; i0 < n; i0 += SEG__HYP2F1_BATCH) {
        int m = n - i0 < SEG__HYP2F1_BATCH ? n - i0 : SEG__HYP2F1_BATCH;
        double z[SEG__HYP2F1_BATCH], zs[SEG__HYP2F1_BATCH];
        double lf[SEG__HYP2F1_BATCH];
        int at[SEG__HYP2F1_BATCH], ns = 0;
        bool ok[SEG__HYP2F1_BATCH];
        /* the arguments e_alive() takes the closed form at */
        for (int k = 0; k < m; k++) {
            double tk = t[i0 + k];
            z[k] = tk / (A + tk);
            at[k] = -1;
            if (form && tk != 0 && z[k] < 0.95) {
                at[k] = ns;
                zs[ns++] = z[k];
            }
        }
        seg__log_hyp2f1_f64_n(R, b, c, zs, ns, ok, lf);
        for (int k = 0; k < m; k++) {
            double tk = t[i0 + k];
            if (tk == 0) {
                out[i0 + k] = 0;
                continue;
            }
            if (at[k] >= 0 && ok[at[k]]) {
                double v = c / (a - 1) * -expm1(R * log1p(-z[k]) + lf[at[k]]);
                if (isfinite(v) && v > 0) {
                    out[i0 + k] = v;
                    continue;
                }
            }
            out[i0 + k] = e_alive(R, A, a, b, tk);
        }
    }
}

static double expected_family(const double *p, double t, double x, double tx,
                              double T, bool mod)
{
    double pa = p_alive_family(p, x, tx, T, mod);
    return pa * seg__clv_family_expected_alive(p, t, x, T, mod);
}

static double expected_unconditional_family(const double *p, double t,
                                            bool mod)
{
    return expected_family(p, t, 0, 0, 0, mod);
}

/* P(X(T, T+t) = n | x, t_x, T). Alive now, the customer has
 * lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b') with b' = b+x (+1 for
 * MBG/NBD) and then buys n times and stays, or buys n >= 1 times and
 * drops out after the n-th (Fader, Hardie and Lee 2005, eq. 8, with the
 * posterior's parameters):
 *   B(a, b'+n)/B(a, b') NB(n) + B(a+1, b'+n-1)/B(a, b') P(N(t) >= n),
 * N(t) negative binomial; a customer no longer alive makes no purchase.
 * Summed in logs, the tail P(N >= n) as an incomplete beta function, so
 * that the tail keeps its relative accuracy and nothing goes negative. */
static double pmf_family(const double *p, double t, double n, double x,
                         double tx, double T, bool mod)
{
    double pa = p_alive_family(p, x, tx, T, mod);
    if (t == 0)
        return n == 0 ? 1 : 0;
    double R = p[0] + x, A = p[1] + T, a = p[2], b = p[3] + x + (mod ? 1 : 0);
    double l1z = log(A) - log(A + t), lz = log(t) - log(A + t);
    double lstay = lbeta_shift(a, b, 0, n) + seg__lgamma_diff(R, n) -
                   seg__lgamma(n + 1) + R * l1z + n * lz;
    double l = lstay;
    if (n > 0) {
        double ltail;
        if (!seg__log_betainc(n, R, t / (A + t), A / (A + t), &ltail))
            return NAN;
        /* B(a+1, b+n-1) = B(a, b+n-1) a / (a+b+n-1) */
        double ldrop = log(a) - log(a + b + n - 1) +
                       lbeta_shift(a, b, 0, n - 1) + ltail;
        l = dlogsumexp(dc(l), dc(ldrop)).v;
    }
    l += log(pa);
    if (n == 0 && pa < 1)
        l = dlogsumexp(dc(l), dc(log1p(-pa))).v;
    return exp(l);
}

/* ---- the total log-likelihood over many rows ----
 *
 * Per row the log-likelihood is A1(x) + A2(x) - (r+x) L(T) + [softplus(D)]
 * with L(t) = log(alpha + t) and D = log a - log(b+x+m-1) +
 * (r+x) (L(T) - L(t_x)), the bracket only where the customer may have
 * dropped out after the last purchase. A1 and A2 (the log-gamma terms)
 * depend on x alone and are computed once per distinct x; L once per
 * distinct time; the T term is a sum over distinct T of weights prepared
 * once. What is left per row is D, one exp and one log1p. The gradient and
 * the Hessian are the analytic derivatives of the same terms. */

typedef struct fam_prep {
    bool modified;
    size_t n, nx, ntx, nT;
    const double *w;
    double *xv, *wx;       /* distinct x, total weight of their rows */
    double *txv, *Tv;      /* distinct t_x and T */
    double *wT, *wxT;      /* per T: weight and weight x x of its rows */
    uint32_t *xi, *txi, *Ti; /* per row: its x, t_x and T */
    double *Ltx, *Itx, *LT, *IT; /* log(alpha + t), 1 / (alpha + t) */
    double *rx, *lbx, *ibx; /* per x: r + x, log and 1/ of b + x + m - 1 */
} fam_prep;

static void fam_release(void *vp)
{
    fam_prep *q = vp;
    if (!q)
        return;
    void *blocks[] = {q->xv,  q->wx,  q->txv, q->Tv, q->wT,  q->wxT,
                      q->xi,  q->txi, q->Ti,  q->Ltx, q->Itx, q->LT,
                      q->IT,  q->rx,  q->lbx, q->ibx};
    for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++)
        seg__free(blocks[i]);
    seg__free(q);
}

static void *fam_prepare(const double *d, const double *w, size_t n,
                         bool modified)
{
    fam_prep *q = seg__calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->modified = modified;
    q->n = n;
    q->w = w;
    size_t nn = n ? n : 1;
    q->xi = seg__malloc(nn * sizeof *q->xi);
    q->txi = seg__malloc(nn * sizeof *q->txi);
    q->Ti = seg__malloc(nn * sizeof *q->Ti);
    if (!q->xi || !q->txi || !q->Ti ||
        seg__clv_ranks(d, n, 3, n, q->xi, &q->xv, &q->nx) ||
        seg__clv_ranks(d + 1, n, 3, n, q->txi, &q->txv, &q->ntx) ||
        seg__clv_ranks(d + 2, n, 3, n, q->Ti, &q->Tv, &q->nT))
        return fam_release(q), NULL;
    size_t nx = q->nx ? q->nx : 1, ntx = q->ntx ? q->ntx : 1;
    size_t nT = q->nT ? q->nT : 1;
    q->wx = seg__calloc(nx, sizeof *q->wx);
    q->wT = seg__calloc(nT, sizeof *q->wT);
    q->wxT = seg__calloc(nT, sizeof *q->wxT);
    q->Ltx = seg__malloc(ntx * sizeof *q->Ltx);
    q->Itx = seg__malloc(ntx * sizeof *q->Itx);
    q->LT = seg__malloc(nT * sizeof *q->LT);
    q->IT = seg__malloc(nT * sizeof *q->IT);
    q->rx = seg__malloc(nx * sizeof *q->rx);
    q->lbx = seg__malloc(nx * sizeof *q->lbx);
    q->ibx = seg__malloc(nx * sizeof *q->ibx);
    if (!q->wx || !q->wT || !q->wxT || !q->Ltx || !q->Itx || !q->LT ||
        !q->IT || !q->rx || !q->lbx || !q->ibx)
        return fam_release(q), NULL;
    /* in row order, so that the sums do not depend on the hashing */
    for (size_t i = 0; i < n; i++) {
        q->wx[q->xi[i]] += w[i];
        q->wT[q->Ti[i]] += w[i];
        q->wxT[q->Ti[i]] += w[i] * d[3 * i];
    }
    return q;
}

static void *fam_prepare_bgnbd(const double *d, const double *w, size_t n)
{
    return fam_prepare(d, w, n, false);
}

static void *fam_prepare_mbgnbd(const double *d, const double *w, size_t n)
{
    return fam_prepare(d, w, n, true);
}

/* H[i][j] and H[j][i] += v */
static void sym_add(double *H, int i, int j, double v)
{
    H[i * 4 + j] += v;
    if (i != j)
        H[j * 4 + i] += v;
}

/* The terms of x alone and of the times: log-gamma differences per
 * distinct x, the T term per distinct time. */
static double fam_tables(fam_prep *q, const double *p, double *g, double *H)
{
    double r = p[0], al = p[1], a = p[2], b = p[3], m = q->modified;
    double ll = 0, lal = log(al);
    for (size_t k = 0; k < q->nx; k++) {
        double x = q->xv[k], u = x + m, W = q->wx[k];
        ll += W * (seg__lgamma_diff(r, x) + r * lal +
                   seg__lgamma_diff(b, u) - seg__lgamma_diff(a + b, u));
        q->rx[k] = r + x;
        q->lbx[k] = log(b + u - 1);
        q->ibx[k] = 1 / (b + u - 1);
        if (!g)
            continue;
        double dr = x ? seg__digamma(r + x) - seg__digamma(r) : 0;
        double dab = u ? seg__digamma(a + b + u) - seg__digamma(a + b) : 0;
        double db = u ? seg__digamma(b + u) - seg__digamma(b) : 0;
        g[0] += W * (dr + lal);
        g[1] += W * r / al;
        g[2] -= W * dab;
        g[3] += W * (db - dab);
        if (!H)
            continue;
        double tr = x ? seg__trigamma(r + x) - seg__trigamma(r) : 0;
        double tab = u ? seg__trigamma(a + b + u) - seg__trigamma(a + b) : 0;
        double tb = u ? seg__trigamma(b + u) - seg__trigamma(b) : 0;
        sym_add(H, 0, 0, W * tr);
        sym_add(H, 0, 1, W / al);
        sym_add(H, 1, 1, -W * r / (al * al));
        sym_add(H, 2, 2, -W * tab);
        sym_add(H, 2, 3, -W * tab);
        sym_add(H, 3, 3, W * (tb - tab));
    }
    for (size_t t = 0; t < q->ntx; t++) {
        q->Ltx[t] = log(al + q->txv[t]);
        q->Itx[t] = 1 / (al + q->txv[t]);
    }
    for (size_t t = 0; t < q->nT; t++) {
        double L = log(al + q->Tv[t]), I = 1 / (al + q->Tv[t]);
        double c = r * q->wT[t] + q->wxT[t];
        q->LT[t] = L;
        q->IT[t] = I;
        ll -= c * L;
        if (!g)
            continue;
        g[0] -= q->wT[t] * L;
        g[1] -= c * I;
        if (!H)
            continue;
        sym_add(H, 0, 1, -q->wT[t] * I);
        sym_add(H, 1, 1, c * I * I);
    }
    return ll;
}

static double fam_total(void *vp, const double *p, double *grad, double *hess)
{
    fam_prep *q = vp;
    double g[4] = {0, 0, 0, 0}, H[16] = {0};
    double *gp = grad || hess ? g : NULL, *Hp = hess ? H : NULL;
    double ll = fam_tables(q, p, gp, Hp);
    double la = log(p[2]), ia = 1 / p[2];
    /* sums over the rows: s1 = w sigma(D), s2 = w sigma (1 - sigma),
     * times the derivatives of D */
    double S[16] = {0}, s_sp = 0;
    bool dropout_at_zero = q->modified;
    for (size_t i = 0; i < q->n; i++) {
        uint32_t k = q->xi[i];
        if (q->xv[k] == 0 && !dropout_at_zero)
            continue;
        uint32_t iT = q->Ti[i], it = q->txi[i];
        double delta = q->LT[iT] - q->Ltx[it];
        double D = la - q->lbx[k] + q->rx[k] * delta;
        double e = exp(-fabs(D)), w = q->w[i];
        s_sp += w * (fmax(D, 0) + log1p(e));
        if (!gp)
            continue;
        double sig = D >= 0 ? 1 / (1 + e) : e / (1 + e);
        double s1 = w * sig;
        double di = q->IT[iT] - q->Itx[it];
        double dD[4] = {delta, q->rx[k] * di, ia, -q->ibx[k]};
        S[0] += s1 * dD[0];
        S[1] += s1 * dD[1];
        S[2] += s1;
        S[3] += s1 * dD[3];
        if (!Hp)
            continue;
        double s2 = s1 * (1 - sig);
        S[4] += s2 * dD[0] * dD[0];
        S[5] += s2 * dD[0] * dD[1] + s1 * di;
        S[6] += s2 * dD[0];
        S[7] += s2 * dD[0] * dD[3];
        S[8] += s2 * dD[1] * dD[1] -
                s1 * q->rx[k] * (q->IT[iT] * q->IT[iT] - q->Itx[it] * q->Itx[it]);
        S[9] += s2 * dD[1];
        S[10] += s2 * dD[1] * dD[3];
        S[11] += s2 - s1;
        S[12] += s2 * dD[3];
        S[13] += (s2 + s1) * dD[3] * dD[3];
    }
    ll += s_sp;
    if (!isfinite(ll))
        return NAN;
    if (grad) {
        grad[0] = g[0] + S[0];
        grad[1] = g[1] + S[1];
        grad[2] = g[2] + S[2] * ia;
        grad[3] = g[3] + S[3];
    }
    if (hess) {
        const double add[4][4] = {
            {S[4], S[5], S[6] * ia, S[7]},
            {S[5], S[8], S[9] * ia, S[10]},
            {S[6] * ia, S[9] * ia, S[11] * ia * ia, S[12] * ia},
            {S[7], S[10], S[12] * ia, S[13]}};
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                hess[i * 4 + j] = H[i * 4 + j] + add[i][j];
    }
    return ll;
}

/* ---- BG/NBD ---- */

static seg__dual ll_bgnbd(const seg__dual *p, const double *d)
{
    return ll_family(p, d, false);
}

static double p_alive_bgnbd(const double *p, double x, double tx, double T)
{
    return p_alive_family(p, x, tx, T, false);
}

static double expected_bgnbd(const double *p, double t, double x, double tx,
                             double T)
{
    return expected_family(p, t, x, tx, T, false);
}

static double expected_unconditional_bgnbd(const double *p, double t)
{
    return expected_unconditional_family(p, t, false);
}

static double pmf_bgnbd(const double *p, double t, double n, double x,
                        double tx, double T)
{
    return pmf_family(p, t, n, x, tx, T, false);
}

const seg__clv_spec seg__clv_bgnbd = {
    "bgnbd", 4, {"r", "alpha", "a", "b"}, 3, ll_bgnbd, p_alive_bgnbd,
    expected_bgnbd, expected_unconditional_bgnbd, pmf_bgnbd,
    fam_prepare_bgnbd, fam_total, fam_release, NULL};

/* ---- MBG/NBD ---- */

static seg__dual ll_mbgnbd(const seg__dual *p, const double *d)
{
    return ll_family(p, d, true);
}

static double p_alive_mbgnbd(const double *p, double x, double tx, double T)
{
    return p_alive_family(p, x, tx, T, true);
}

static double expected_mbgnbd(const double *p, double t, double x, double tx,
                              double T)
{
    return expected_family(p, t, x, tx, T, true);
}

static double expected_unconditional_mbgnbd(const double *p, double t)
{
    return expected_unconditional_family(p, t, true);
}

static double pmf_mbgnbd(const double *p, double t, double n, double x,
                        double tx, double T)
{
    return pmf_family(p, t, n, x, tx, T, true);
}

const seg__clv_spec seg__clv_mbgnbd = {
    "mbgnbd", 4, {"r", "alpha", "a", "b"}, 3, ll_mbgnbd, p_alive_mbgnbd,
    expected_mbgnbd, expected_unconditional_mbgnbd, pmf_mbgnbd,
    fam_prepare_mbgnbd, fam_total, fam_release, NULL};
