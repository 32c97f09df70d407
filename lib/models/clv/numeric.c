/* Special functions, the hypergeometric function and the optimiser. */
#include <float.h>
#include <string.h>

#include "core/internal.h"
#include "models/clv/numeric.h"

static const double PI = 3.14159265358979323846;

double seg__digamma(double x)
{
    double r = 0;
    if (x <= 0 && x == floor(x))
        return NAN;
    if (x < 0) /* reflection */
        return seg__digamma(1 - x) - PI / tan(PI * x);
    while (x < 6) {
        r -= 1 / x;
        x += 1;
    }
    double f = 1 / (x * x);
    return r + log(x) - 0.5 / x -
           f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 -
                f * (1.0 / 132)))));
}

double seg__trigamma(double x)
{
    double r = 0;
    while (x < 6) {
        r += 1 / (x * x);
        x += 1;
    }
    double f = 1 / (x * x);
    return r + 1 / x + f / 2 +
           f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (1.0 / 30))));
}

double seg__lgamma_diff(double x, double k)
{
    if (k == 0)
        return 0;
    if (x < 1e4 || x + k < 1e4)
        return seg__lgamma(x + k) - seg__lgamma(x);
    /* (z - 1/2) log z - z + 1/(12 z) - 1/(360 z^3), differenced: the
     * terms left out are below 1e-20 here */
    double y = x + k;
    return k * log(x) + (y - 0.5) * log1p(k / x) - k +
           (1 / y - 1 / x) / 12 - (1 / (y * y * y) - 1 / (x * x * x)) / 360;
}

static seg__dual dlog1m(seg__dual z) /* log(1 - z) */
{
    return dchain(z, log1p(-z.v), -1 / (1 - z.v));
}

/* Whether the series of 2F1(A, B; c; z), summed as seg__log_hyp2f1()
 * sums it, cannot stop within SEG__HYP2F1_MAX_TERMS terms, decided after
 * the iteration n from its term t (of index n + 1) and the sum so far.
 * Only for A, B, c > 0 and 0 < z < 1, where every term is positive. The
 * ratio of a term to the one before is z g(k), g(k) = (A+k)(B+k) /
 * ((c+k)(k+1)), which tends to 1; where g is shown monotone from k = n+1
 * on (the sign of its derivative is that of a quadratic in k), every
 * later ratio is below 1, the later terms fall, the last of them is
 * known exactly (the product of the g(k) as four lgamma differences),
 * and the sum is at most the sum so far plus a geometric tail. When that
 * last term still stays above the stop's share of the largest sum (with
 * a margin of 4 for the rounding), no term can stop the series: the
 * caller gives up with the false the series would give at its end. */
bool seg__hyp2f1_hopeless(double A, double B, double c, double z, int n,
                          double t, double sum)
{
    if (!(A > 0 && B > 0 && c > 0 && z > 0 && z < 1 && t > 0 && sum > 0))
        return false;
    double k0 = n + 1.0, K = SEG__HYP2F1_MAX_TERMS;
    if (!(k0 < K))
        return false;
    double al = A + B - c - 1, be = A * B - c;
    double q = -al * k0 * k0 - 2 * be * k0 + al * c - be * (c + 1);
    double dq = -2 * al * k0 - 2 * be;
    bool rising = al < 0 ? q >= 0 && dq >= 0 : al == 0 && be <= 0;
    bool falling = al > 0 ? q <= 0 && dq <= 0 : al == 0 && be >= 0;
    double g0 = (A + k0) * (B + k0) / ((c + k0) * (k0 + 1));
    /* the largest later ratio */
    double h = rising ? z : falling ? z * g0 : 1;
    if (!(h < 1))
        return false;
    double left = K - k0;
    double last = log(t) + left * log(z) + seg__lgamma_diff(A + k0, left) +
                  seg__lgamma_diff(B + k0, left) -
                  seg__lgamma_diff(c + k0, left) -
                  seg__lgamma_diff(k0 + 1, left);
    double most = log(sum + t * h / (1 - h));
    return last > log(4 * DBL_EPSILON * 1e-2) + most;
}

bool seg__log_hyp2f1(seg__dual a, seg__dual b, seg__dual c, seg__dual z,
                     seg__dual *out)
{
    if (!(z.v >= 0 && z.v < 1) || !isfinite(a.v) || !isfinite(b.v) ||
        !isfinite(c.v) || c.v <= 0)
        return false;
    seg__dual ca = dsub(c, a), cb = dsub(c, b);
    bool euler = fabs(ca.v * cb.v) < fabs(a.v * b.v);
    seg__dual A = euler ? ca : a, B = euler ? cb : b;
    /* the sum without its leading 1, so that log1p keeps the relative
     * accuracy of a small result (t near 0) */
    seg__dual term = dc(1), sum = dc(0);
    bool done = false;
    /* past this many terms the series is too slow to be worth summing:
     * the callers then take another route (a quadrature) or report an
     * error, so every call is bounded in time */
    for (int n = 0; n < SEG__HYP2F1_MAX_TERMS; n++) {
        seg__dual num = dmul(daddc(A, n), daddc(B, n));
        seg__dual den = dscale(daddc(c, n), n + 1);
        term = dmul(dmul(term, ddiv(num, den)), z);
        sum = dadd(sum, term);
        if (!isfinite(sum.v))
            return false;
        /* stop once the terms are negligible and shrinking */
        if (fabs(term.v) <= DBL_EPSILON * 1e-2 * fabs(sum.v) &&
            fabs((A.v + n) * (B.v + n) * z.v) < fabs((c.v + n) * (n + 1))) {
            done = true;
            break;
        }
        if (term.v == 0) {
            done = true;
            break;
        }
        if ((n & 255) == 255 &&
            seg__hyp2f1_hopeless(A.v, B.v, c.v, z.v, n, term.v, sum.v))
            return false;
    }
    if (!done || !(sum.v > -1))
        return false;
    seg__dual r = dchain(sum, log1p(sum.v), 1 / (1 + sum.v));
    if (euler)
        r = dadd(r, dmul(dsub(ca, b), dlog1m(z)));
    *out = r;
    return isfinite(r.v);
}

bool seg__log_hyp2f1_f64(double a, double b, double c, double z, double *out)
{
    if (!(z >= 0 && z < 1) || !isfinite(a) || !isfinite(b) || !isfinite(c) ||
        c <= 0)
        return false;
    /* seg__log_hyp2f1() step by step, in the same order of operations,
     * so that the two agree to the last bit */
    double ca = c - a, cb = c - b;
    bool euler = fabs(ca * cb) < fabs(a * b);
    double A = euler ? ca : a, B = euler ? cb : b, term = 1, sum = 0;
    bool done = false;
    for (int n = 0; n < SEG__HYP2F1_MAX_TERMS; n++) {
        double num = (A + n) * (B + n), den = (c + n) * (n + 1);
        term = term * (num / den) * z;
        sum += term;
        if (!isfinite(sum))
            return false;
        if ((fabs(term) <= DBL_EPSILON * 1e-2 * fabs(sum) &&
             fabs((A + n) * (B + n) * z) < fabs((c + n) * (n + 1))) ||
            term == 0) {
            done = true;
            break;
        }
        if ((n & 255) == 255 &&
            seg__hyp2f1_hopeless(A, B, c, z, n, term, sum))
            return false;
    }
    if (!done || !(sum > -1))
        return false;
    double r = log1p(sum);
    if (euler)
        r += (ca - b) * log1p(-z);
    *out = r;
    return isfinite(r);
}

/* The steps the batched series takes between looks at which arguments
 * are done. */
#define HYP2F1_BLOCK 4

/* Whether seg__log_hyp2f1_f64()'s loop stops after the term t with the
 * sum s, num and den the step's numerator and denominator: the sum not
 * finite (a failure), or the terms negligible and shrinking, or zero. */
static bool hyp2f1_stop(double t, double s, double num, double fden,
                        double z)
{
    return (!(fabs(s) <= DBL_MAX)) |
           ((fabs(t) <= DBL_EPSILON * 1e-2 * fabs(s)) &
            (fabs(num * z) < fden)) |
           (t == 0);
}

/* One step of the series at the arguments lo..hi-1, counting in maybe[]
 * the arguments whose loop may stop there: a term not above 1e-2 ulp of
 * its sum (which a zero term, or a sum that is not finite, also fails
 * to be) is needed for every stop. No branch, so that the compiler
 * vectorizes it. */
static void hyp2f1_step(double *restrict term, double *restrict sum,
                        double *restrict maybe, const double *restrict z,
                        int lo, int hi, double q)
{
    for (int k = lo; k < hi; k++) {
        double t = term[k] * q * z[k], s = sum[k] + t;
        term[k] = t;
        sum[k] = s;
        maybe[k] += fabs(t) > DBL_EPSILON * 1e-2 * fabs(s) ? 0.0 : 1.0;
    }
}

/* The sums of seg__log_hyp2f1_f64()'s series (without the leading 1) at
 * z[0..n-1] for the A, B, c it chose, to the last bit. All arguments
 * take a block of steps together, each with the chain of products a
 * single call makes, in the same order, the ratio of the step shared.
 * An argument that may have stopped within the block is replayed from
 * the block's start with the single call's test at each step; where it
 * stops, its sum is kept and its term set to 0 (which keeps it from
 * running down into subnormal numbers while the others go on); where
 * it does not, the block's state stands. The arguments still running
 * are in [lo, hi), which narrows from both ends as they finish: sorted
 * arguments (a month curve, a series of times) finish in order. */
static void hyp2f1_sums(double A, double B, double c, const double *z, int n,
                        bool *ok, double *out)
{
    double term[SEG__HYP2F1_BATCH], sum[SEG__HYP2F1_BATCH];
    double term0[SEG__HYP2F1_BATCH], sum0[SEG__HYP2F1_BATCH];
    double maybe[SEG__HYP2F1_BATCH];
    bool run[SEG__HYP2F1_BATCH];
    for (int k = 0; k < n; k++) {
        term[k] = 1;
        sum[k] = 0;
        run[k] = true;
        ok[k] = false;
    }
    int lo = 0, hi = n;
    for (int i0 = 0; i0 < SEG__HYP2F1_MAX_TERMS && lo < hi;
         i0 += HYP2F1_BLOCK) {
        int nb = SEG__HYP2F1_MAX_TERMS - i0 < HYP2F1_BLOCK
                     ? SEG__HYP2F1_MAX_TERMS - i0
                     : HYP2F1_BLOCK;
        double q[HYP2F1_BLOCK], num[HYP2F1_BLOCK], fden[HYP2F1_BLOCK];
        for (int j = 0; j < nb; j++) {
            int i = i0 + j;
            double den = (c + i) * (i + 1);
            num[j] = (A + i) * (B + i);
            q[j] = num[j] / den;
            fden[j] = fabs(den);
        }
        for (int k = lo; k < hi; k++) {
            term0[k] = term[k];
            sum0[k] = sum[k];
            maybe[k] = 0;
        }
        for (int j = 0; j < nb; j++)
            hyp2f1_step(term, sum, maybe, z, lo, hi, q[j]);
        for (int k = lo; k < hi; k++) {
            if (maybe[k] == 0 || !run[k])
                continue;
            double t = term0[k], s = sum0[k];
            bool stop = false;
            for (int j = 0; j < nb && !stop; j++) {
                t = t * q[j] * z[k];
                s += t;
                stop = hyp2f1_stop(t, s, num[j], fden[j], z[k]);
            }
            if (!stop)
                continue;
            out[k] = s;
            ok[k] = fabs(s) <= DBL_MAX;
            run[k] = false;
            term[k] = 0;
        }
        while (lo < hi && !run[lo])
            lo++;
        while (hi > lo && !run[hi - 1])
            hi--;
    }
}

/* The parameters of the series seg__log_hyp2f1_f64() sums, and whether
 * it takes the Euler transform; false where it has no value. */
static bool hyp2f1_series_of(double a, double b, double c, double *A,
                             double *B, bool *euler)
{
    if (!isfinite(a) || !isfinite(b) || !isfinite(c) || !(c > 0))
        return false;
    double ca = c - a, cb = c - b;
    *euler = fabs(ca * cb) < fabs(a * b);
    *A = *euler ? ca : a;
    *B = *euler ? cb : b;
    return true;
}

void seg__log_hyp2f1_f64_nl(double a, double b, double c, const double *z,
                            const double *l1z, int n, bool *ok, double *out)
{
    double A, B, zs[SEG__HYP2F1_BATCH], sum[SEG__HYP2F1_BATCH];
    bool euler, sok[SEG__HYP2F1_BATCH];
    int at[SEG__HYP2F1_BATCH], ns = 0;
    bool args = hyp2f1_series_of(a, b, c, &A, &B, &euler);
    /* only the arguments the scalar call takes, in their order */
    for (int k = 0; k < n; k++) {
        ok[k] = false;
        at[k] = -1;
        if (args && z[k] >= 0 && z[k] < 1) {
            at[k] = ns;
            zs[ns++] = z[k];
        }
    }
    if (!ns)
        return;
    hyp2f1_sums(A, B, c, zs, ns, sok, sum);
    for (int k = 0; k < n; k++) {
        int j = at[k];
        if (j < 0 || !sok[j] || !(sum[j] > -1))
            continue;
        double r = log1p(sum[j]);
        if (euler)
            r += (c - a - b) * (l1z ? l1z[k] : log1p(-z[k]));
        out[k] = r;
        ok[k] = isfinite(r);
    }
}

void seg__log_hyp2f1_f64_n(double a, double b, double c, const double *z,
                           int n, bool *ok, double *out)
{
    seg__log_hyp2f1_f64_nl(a, b, c, z, NULL, n, ok, out);
}

bool seg__hyp2f1_sums_shared(double a, double b, double c, const double *z,
                             int n, double *s, bool *euler)
{
    double A, B;
    if (n < 1 || !hyp2f1_series_of(a, b, c, &A, &B, euler))
        return false;
    int km = 0;
    for (int k = 0; k < n; k++) {
        if (!(z[k] >= 0 && z[k] < 1))
            return false;
        if (z[k] > z[km])
            km = k;
    }
    double zm = z[km];
    if (zm == 0) {
        for (int k = 0; k < n; k++)
            s[k] = 0;
        return true;
    }
    /* the terms of the largest argument, as its single call takes them
     * and to where it stops: every other argument's terms are these
     * times (z / zm)^n, smaller, and its tail past there smaller still.
     * Terms of one sign only: then every sum below adds numbers of one
     * sign, and its relative error is a few ulps whatever the terms; a
     * series whose terms cancel is left to the single calls. */
    double cf[SEG__HYP2F1_SHARED_TERMS], term = 1, sum = 0;
    int nt = 0, sign = 0;
    for (int i = 0; i < SEG__HYP2F1_SHARED_TERMS; i++) {
        double num = (A + i) * (B + i), den = (c + i) * (i + 1);
        term = term * (num / den) * zm;
        sum += term;
        cf[i] = term;
        if (!(fabs(sum) <= DBL_MAX))
            return false;
        int si = (term > 0) - (term < 0);
        if (si && sign && si != sign)
            return false;
        sign = sign ? sign : si;
        if (hyp2f1_stop(term, sum, num, fabs(den), zm)) {
            nt = i + 1;
            break;
        }
    }
    if (!nt)
        return false;
    /* then Horner's rule in z / zm for every argument at once */
    double r[SEG__HYP2F1_BATCH];
    for (int k0 = 0; k0 < n; k0 += SEG__HYP2F1_BATCH) {
        int m = n - k0 < SEG__HYP2F1_BATCH ? n - k0 : SEG__HYP2F1_BATCH;
        for (int k = 0; k < m; k++) {
            r[k] = z[k0 + k] / zm;
            s[k0 + k] = 0;
        }
        for (int i = nt - 1; i >= 0; i--) {
            double ci = cf[i];
            for (int k = 0; k < m; k++)
                s[k0 + k] = (s[k0 + k] + ci) * r[k];
        }
    }
    return true;
}

/* log(1 + e^y) without overflow */
static double log1pexp(double y)
{
    return y > 0 ? y + log1p(exp(-y)) : log1p(exp(y));
}

void seg__quad_logit_node(int i, double m, double s, double *y, double *lp,
                          double *lq, double *lw)
{
    double t = (i - SEG__QUAD_HALF) * SEG__QUAD_STEP;
    *y = m + s * sinh(t);
    /* log p and log(1 - p) straight from y, so that the tails keep
     * their relative accuracy */
    *lp = -log1pexp(-*y);
    *lq = -log1pexp(*y);
    *lw = log(s * cosh(t) * SEG__QUAD_STEP);
}

seg__dual seg__quad_logit(seg__dual (*logf)(double y, double lp, double lq,
                                            void *ctx),
                          void *ctx, double m, double s)
{
    enum { N = SEG__QUAD_NODES };
    seg__dual v[N];
    double best = -INFINITY;
    for (int i = 0; i < N; i++) {
        double y, lp, lq, lw;
        seg__quad_logit_node(i, m, s, &y, &lp, &lq, &lw);
        v[i] = logf(y, lp, lq, ctx);
        v[i] = daddc(v[i], lw);
        if (v[i].v > best)
            best = v[i].v;
    }
    if (!isfinite(best))
        return dc(best);
    double sw = 0, d[SEG__ND] = {0};
    for (int i = 0; i < N; i++) {
        if (!(v[i].v > -INFINITY))
            continue;
        double w = exp(v[i].v - best);
        sw += w;
        for (int k = 0; k < SEG__ND; k++)
            d[k] += w * v[i].d[k];
    }
    seg__dual r = dc(best + log(sw));
    for (int k = 0; k < SEG__ND; k++)
        r.d[k] = d[k] / sw;
    return r;
}

/* The continued fraction of the incomplete beta function (Lentz), for
 * x < (a + 1) / (a + b + 2), where it converges in O(sqrt(max(a, b)))
 * steps. */
static bool betacf(double a, double b, double x, double *out)
{
    const double tiny = 1e-300;
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 100000; m++) {
        double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-16) {
            *out = h;
            return true;
        }
    }
    return false;
}

bool seg__log_betainc(double a, double b, double x, double y, double *out)
{
    if (!(a > 0 && b > 0 && x >= 0 && y >= 0))
        return false;
    if (x == 0) {
        *out = -INFINITY;
        return true;
    }
    if (y == 0) {
        *out = 0;
        return true;
    }
    double lfront = a * log(x) + b * log(y) - (seg__lgamma(a) + seg__lgamma(b) -
                                                seg__lgamma(a + b));
    double cf;
    if (x < (a + 1) / (a + b + 2)) {
        if (!betacf(a, b, x, &cf))
            return false;
        *out = lfront + log(cf) - log(a);
    } else {
        if (!betacf(b, a, y, &cf))
            return false;
        double c = exp(lfront + log(cf) - log(b)); /* 1 - I, not small */
        *out = log1p(-c);
    }
    return isfinite(*out) || *out == -INFINITY;
}

static double dot(const double *a, const double *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static double max_abs(const double *a, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++)
        m = fmax(m, fabs(a[i]));
    return m;
}

seg__opt_result seg__minimize(seg__objective f, void *ctx, double *x, int n,
                              int max_iter, double gtol)
{
    double g[SEG__OPT_MAXN], H[SEG__OPT_MAXN * SEG__OPT_MAXN];
    double xn[SEG__OPT_MAXN], gn[SEG__OPT_MAXN];
    double p[SEG__OPT_MAXN], s[SEG__OPT_MAXN], y[SEG__OPT_MAXN];
    seg__opt_result res = {1, 0, NAN, NAN};
    double fx = f(x, g, ctx);
    if (!isfinite(fx)) {
        res.status = 2;
        return res;
    }
    memset(H, 0, sizeof H);
    for (int i = 0; i < n; i++)
        H[i * n + i] = 1;
    bool scaled = false;
    int stalls = 0;
    for (int it = 0; it < max_iter; it++) {
        res.iterations = it;
        if (seg__progress_add(seg__progress_current(), 1)) {
            res.status = 3;
            break;
        }
        if (max_abs(g, n) < gtol) {
            res.status = 0;
            break;
        }
        for (int i = 0; i < n; i++) {
            p[i] = 0;
            for (int j = 0; j < n; j++)
                p[i] -= H[i * n + j] * g[j];
        }
        double slope = dot(g, p, n);
        if (!(slope < 0)) { /* not a descent direction: restart */
            memset(H, 0, sizeof H);
            for (int i = 0; i < n; i++) {
                H[i * n + i] = 1;
                p[i] = -g[i];
            }
            slope = dot(g, p, n);
        }
        /* in log-parameters a step of e^3 is already bold */
        double big = max_abs(p, n), step = big > 3 ? 3 / big : 1;
        double fn = NAN;
        for (int k = 0; k < 60; k++) {
            for (int i = 0; i < n; i++)
                xn[i] = x[i] + step * p[i];
            fn = f(xn, gn, ctx);
            if (isfinite(fn) && fn <= fx + 1e-4 * step * slope)
                break;
            step *= 0.5;
            fn = NAN;
        }
        if (!isfinite(fn)) {
            /* no decrease possible along p: at a minimum to the precision
             * of the arithmetic, or stuck */
            res.status = max_abs(g, n) < sqrt(gtol) ? 0 : 2;
            break;
        }
        for (int i = 0; i < n; i++) {
            s[i] = xn[i] - x[i];
            y[i] = gn[i] - g[i];
        }
        double sy = dot(s, y, n);
        if (sy > 1e-300) {
            if (!scaled) {
                double yy = dot(y, y, n), k = sy / yy;
                for (int i = 0; i < n * n; i++)
                    H[i] *= k;
                scaled = true;
            }
            double rho = 1 / sy, Hy[SEG__OPT_MAXN], yHy;
            for (int i = 0; i < n; i++) {
                Hy[i] = 0;
                for (int j = 0; j < n; j++)
                    Hy[i] += H[i * n + j] * y[j];
            }
            yHy = dot(y, Hy, n);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    H[i * n + j] += (1 + rho * yHy) * rho * s[i] * s[j] -
                                    rho * (Hy[i] * s[j] + s[i] * Hy[j]);
        }
        stalls = fabs(fx - fn) <= 1e-16 * (1 + fabs(fx)) ? stalls + 1 : 0;
        memcpy(x, xn, (size_t)n * sizeof *x);
        memcpy(g, gn, (size_t)n * sizeof *g);
        fx = fn;
        if (stalls >= 5 && max_abs(g, n) < sqrt(gtol)) {
            res.status = 0;
            break;
        }
        res.iterations = it + 1;
    }
    res.value = fx;
    res.grad_norm = max_abs(g, n);
    return res;
}

bool seg__chol_solve(const double *H, double mu, const double *g, double *s,
                     int n)
{
    double L[SEG__OPT_MAXN * SEG__OPT_MAXN] = {0}, y[SEG__OPT_MAXN];
    for (int j = 0; j < n; j++) {
        double d = H[j * n + j] + mu;
        for (int k = 0; k < j; k++)
            d -= L[j * n + k] * L[j * n + k];
        if (!(d > 0) || !isfinite(d))
            return false;
        L[j * n + j] = sqrt(d);
        for (int i = j + 1; i < n; i++) {
            double v = H[i * n + j];
            for (int k = 0; k < j; k++)
                v -= L[i * n + k] * L[j * n + k];
            L[i * n + j] = v / L[j * n + j];
        }
    }
    for (int i = 0; i < n; i++) {
        double v = g[i];
        for (int k = 0; k < i; k++)
            v -= L[i * n + k] * y[k];
        y[i] = v / L[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) {
        double v = y[i];
        for (int k = i + 1; k < n; k++)
            v -= L[k * n + i] * s[k];
        s[i] = v / L[i * n + i];
    }
    return true;
}

/* The Newton direction p = -(H + mu I)^-1 g, with the smallest mu of a
 * geometric sequence that makes the matrix positive definite and gives a
 * descent direction; *pd tells whether mu = 0 served. */
static bool newton_direction(const double *H, const double *g, double *p,
                             int n, bool *pd)
{
    double scale = 0;
    for (int i = 0; i < n; i++)
        scale = fmax(scale, fabs(H[i * n + i]));
    scale = scale > 0 && isfinite(scale) ? scale : 1;
    double mu = 0;
    for (int k = 0; k < 40; k++) {
        if (seg__chol_solve(H, mu, g, p, n) && dot(g, p, n) > 0) {
            for (int i = 0; i < n; i++)
                p[i] = -p[i];
            *pd = mu == 0;
            return true;
        }
        mu = mu == 0 ? 1e-8 * scale : mu * 10;
    }
    return false;
}

seg__opt_result seg__minimize_newton(seg__objective2 f, void *ctx, double *x,
                                     int n, int max_iter, double gtol)
{
    double g[SEG__OPT_MAXN], H[SEG__OPT_MAXN * SEG__OPT_MAXN];
    double xn[SEG__OPT_MAXN], gn[SEG__OPT_MAXN];
    double Hn[SEG__OPT_MAXN * SEG__OPT_MAXN], p[SEG__OPT_MAXN];
    seg__opt_result res = {1, 0, NAN, NAN};
    double fx = f(x, g, H, ctx);
    if (!isfinite(fx)) {
        res.status = 2;
        return res;
    }
    for (int it = 0; it < max_iter; it++) {
        res.iterations = it;
        if (seg__progress_add(seg__progress_current(), 1)) {
            res.status = 3;
            break;
        }
        if (max_abs(g, n) < gtol) {
            res.status = 0;
            break;
        }
        bool pd = false;
        if (!newton_direction(H, g, p, n, &pd)) {
            for (int i = 0; i < n; i++)
                p[i] = -g[i];
        }
        double slope = dot(g, p, n);
        /* the decrease the quadratic model predicts, half the squared
         * Newton decrement: once it is below what the value can resolve,
         * the step is trusted without a line search, and the fit ends
         * after it (Newton's error is then about the square of the step) */
        bool last = pd && -slope / 2 <= 1e-12 * (1 + fabs(fx));
        /* in log-parameters a step of e^3 is already bold */
        double big = max_abs(p, n), step = big > 3 ? 3 / big : 1;
        double fn = NAN;
        for (int k = 0; k < 50; k++) {
            for (int i = 0; i < n; i++)
                xn[i] = x[i] + step * p[i];
            fn = f(xn, gn, Hn, ctx);
            if (isfinite(fn) &&
                (last || fn <= fx + 1e-4 * step * slope))
                break;
            last = false;
            step *= 0.5;
            fn = NAN;
        }
        /* no decrease along p, or none the value can show */
        if (!isfinite(fn) || (!last && !(fn < fx))) {
            res.status = max_abs(g, n) < sqrt(gtol) ? 0 : 2;
            break;
        }
        memcpy(x, xn, (size_t)n * sizeof *x);
        memcpy(g, gn, (size_t)n * sizeof *g);
        memcpy(H, Hn, (size_t)(n * n) * sizeof *H);
        fx = fn;
        res.iterations = it + 1;
        if (last) {
            res.status = 0;
            break;
        }
    }
    res.value = fx;
    res.grad_norm = max_abs(g, n);
    return res;
}

bool seg__spd_inverse(double *m, int n)
{
    double L[SEG__OPT_MAXN * SEG__OPT_MAXN] = {0};
    double inv[SEG__OPT_MAXN * SEG__OPT_MAXN] = {0};
    for (int j = 0; j < n; j++) {
        double d = m[j * n + j];
        for (int k = 0; k < j; k++)
            d -= L[j * n + k] * L[j * n + k];
        if (!(d > 0))
            return false;
        L[j * n + j] = sqrt(d);
        for (int i = j + 1; i < n; i++) {
            double v = m[i * n + j];
            for (int k = 0; k < j; k++)
                v -= L[i * n + k] * L[j * n + k];
            L[i * n + j] = v / L[j * n + j];
        }
    }
    /* solve L L^T X = I column by column */
    for (int c = 0; c < n; c++) {
        double yv[SEG__OPT_MAXN];
        for (int i = 0; i < n; i++) {
            double v = i == c;
            for (int k = 0; k < i; k++)
                v -= L[i * n + k] * yv[k];
            yv[i] = v / L[i * n + i];
        }
        for (int i = n - 1; i >= 0; i--) {
            double v = yv[i];
            for (int k = i + 1; k < n; k++)
                v -= L[k * n + i] * inv[k * n + c];
            inv[i * n + c] = v / L[i * n + i];
        }
    }
    memcpy(m, inv, (size_t)(n * n) * sizeof *m);
    return true;
}

