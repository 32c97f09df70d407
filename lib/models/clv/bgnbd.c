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

/* The exponents log[(1 - z)^R 2F1(R, b; c; z)] of e_alive()'s closed
 * form at the ns arguments zs (l1z their log1p(-z)), ok[] false where
 * there is none: from the shared series where it serves, with the
 * Euler transform's powers of 1 - z gathered into (c - b) log(1 - z),
 * c - b = a - 1: R log(1 - z) and (c - R - b) log(1 - z) apart are
 * large and of opposite signs when x is, and their sum lost digits. */
static void alive_exponents(double R, double a, double b, double c,
                            const double *zs, const double *l1z, int ns,
                            bool *ok, double *w)
{
    double s[SEG__HYP2F1_BATCH];
    bool euler;
    if (!seg__hyp2f1_sums_shared(R, b, c, zs, ns, s, &euler)) {
        seg__log_hyp2f1_f64_nl(R, b, c, zs, l1z, ns, ok, w);
        for (int j = 0; j < ns; j++)
            w[j] = ok[j] ? R * l1z[j] + w[j] : NAN;
        return;
    }
    double k = euler ? a - 1 : R;
    for (int j = 0; j < ns; j++) {
        ok[j] = s[j] > -1;
        w[j] = ok[j] ? k * l1z[j] + log1p(s[j]) : NAN;
    }
}

void seg__clv_family_expected_alive_n(const double *p, const double *t, int n,
                                      double x, double T, bool mod,
                                      double *out)
{
    double R = p[0] + x, A = p[1] + T, a = p[2], b = p[3] + x + (mod ? 1 : 0);
    double c = a + b - 1, scale = c / (a - 1);
    bool form = c / fabs(a - 1) < 1e4 && c > 0.5 && R < 1e4;
    for (int i0 = 0; i0 < n; i0 += SEG__HYP2F1_BATCH) {
        int m = n - i0 < SEG__HYP2F1_BATCH ? n - i0 : SEG__HYP2F1_BATCH;
        double zs[SEG__HYP2F1_BATCH], l1z[SEG__HYP2F1_BATCH];
        double w[SEG__HYP2F1_BATCH];
        int at[SEG__HYP2F1_BATCH], ns = 0;
        bool ok[SEG__HYP2F1_BATCH];
        /* the arguments e_alive() takes the closed form at */
        for (int k = 0; k < m; k++) {
            double tk = t[i0 + k], z = tk / (A + tk);
            at[k] = -1;
            if (form && tk != 0 && z < 0.95) {
                at[k] = ns;
                l1z[ns] = log1p(-z);
                zs[ns++] = z;
            }
        }
        if (ns)
            alive_exponents(R, a, b, c, zs, l1z, ns, ok, w);
        for (int k = 0; k < m; k++) {
            double tk = t[i0 + k];
            int j = at[k];
            if (tk == 0) {
                out[i0 + k] = 0;
                continue;
            }
            if (j >= 0 && ok[j]) {
                double v = scale * -expm1(w[j]);
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
    seg__fam_prepare_bgnbd, seg__fam_total, seg__fam_release, seg__fam_threads};

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
    seg__fam_prepare_mbgnbd, seg__fam_total, seg__fam_release, seg__fam_threads};
