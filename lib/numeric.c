/* Special functions, the hypergeometric function and the optimiser. */
#include <float.h>
#include <string.h>

#include "internal.h"
#include "numeric.h"

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

static seg__dual dlog1m(seg__dual z) /* log(1 - z) */
{
    return dchain(z, log1p(-z.v), -1 / (1 - z.v));
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
    seg__dual term = dc(1), sum = dc(1);
    bool done = false;
    for (int n = 0; n < 1000000; n++) {
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
    }
    if (!done || !(sum.v > 0))
        return false;
    seg__dual r = dlog(sum);
    if (euler)
        r = dadd(r, dmul(dsub(ca, b), dlog1m(z)));
    *out = r;
    return isfinite(r.v);
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
    double g[SEG__NP], H[SEG__NP * SEG__NP], xn[SEG__NP], gn[SEG__NP];
    double p[SEG__NP], s[SEG__NP], y[SEG__NP];
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
            double rho = 1 / sy, Hy[SEG__NP], yHy;
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

bool seg__spd_inverse(double *m, int n)
{
    double L[SEG__NP * SEG__NP] = {0}, inv[SEG__NP * SEG__NP] = {0};
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
        double yv[SEG__NP];
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

/* The k-th smallest of v[0..n-1] (0-based), moving elements about:
 * quickselect with a median-of-three pivot, linear on average. */
static double select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        double a = v[lo], b = v[mid], c = v[hi];
        double pivot = a < b ? (b < c ? b : (a < c ? c : a))
                             : (a < c ? a : (b < c ? c : b));
        size_t i = lo, j = hi;
        for (;;) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i >= j)
                break;
            double t = v[i];
            v[i] = v[j];
            v[j] = t;
            i++;
            j--;
        }
        /* v[lo..j] <= pivot <= v[j+1..hi] */
        if (k <= j)
            hi = j;
        else
            lo = j + 1;
    }
    return v[k];
}

/* The k-th and (k+1)-th smallest of the `finite` non-NaN values of a large
 * v (k + 1 < finite) in about one pass, v untouched: a sorted sample
 * brackets them, one pass counts the values below the bracket and gathers
 * those inside it, and a selection over the few gathered finds them. False
 * when the sample misjudged (the caller then selects over all of v), so
 * the answer never depends on the sample. */
#define SAMPLE 4096
static bool select_pair_sampled(const double *v, size_t n, size_t finite,
                                size_t k, double *a, double *b)
{
    double *smp = seg__malloc(SAMPLE * sizeof *smp);
    size_t cap = finite / 8 + 1;
    double *band = seg__malloc((cap + 1) * sizeof *band);
    bool ok = false;
    if (!smp || !band)
        goto out;
    size_t s = 0;
    for (size_t i = 0; i < SAMPLE; i++) {
        double x = v[(size_t)((double)i * (double)n / SAMPLE)];
        smp[s] = x;
        s += x == x;
    }
    if (s < SAMPLE / 2)
        goto out;
    /* k's rank in the sample, give or take five standard deviations */
    double r = (double)k / (double)finite * (double)s;
    long r0 = (long)r - 160, r1 = (long)r + 161;
    double lo = r0 < 0 ? -INFINITY : select_kth(smp, s, (size_t)r0);
    size_t done = r0 < 0 ? 0 : (size_t)r0 + 1; /* smp[done..] >= lo */
    double hi = r1 >= (long)s ? INFINITY
                              : select_kth(smp + done, s - done,
                                           (size_t)r1 - done);
    /* In order, the values are: `below` of them, then the copies of lo,
     * those strictly between lo and hi (gathered), the copies of hi, and
     * the rest. Counting the copies apart keeps a column of few distinct
     * values (many ties) from filling the band. */
    size_t below = 0, at_lo = 0, at_hi = 0, m = 0;
    const double hi_copy = hi != lo ? hi : NAN; /* equal to nothing */
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        below += x < lo; /* NaN is none of these */
        at_lo += x == lo;
        at_hi += x == hi_copy;
        band[m] = x;
        m += (x > lo) & (x < hi);
        if (m == cap)
            goto out;
    }
    if (below > k || below + at_lo + m + at_hi < k + 2)
        goto out;
    size_t t = k - below; /* a's place from lo on; b's is the next */
    if (t + 1 < at_lo) {
        *a = *b = lo;
    } else if (t < at_lo) {
        *a = lo;
        *b = m ? band[0] : hi;
        for (size_t i = 1; i < m; i++)
            *b = band[i] < *b ? band[i] : *b;
    } else if (t - at_lo < m) {
        *a = select_kth(band, m, t - at_lo);
        *b = hi; /* the next, or the first copy of hi */
        for (size_t i = t - at_lo + 1; i < m; i++) /* all are >= a */
            *b = band[i] < *b ? band[i] : *b;
    } else {
        *a = *b = hi;
    }
    ok = true;
out:
    seg__free(smp);
    seg__free(band);
    return ok;
}

bool seg__quantile_sampled(const double *v, size_t n, size_t finite, double p,
                           double *out)
{
    if (finite < 16 * SAMPLE)
        return false;
    double h = (double)(finite - 1) * p, a, b;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= finite || !select_pair_sampled(v, n, finite, lo, &a, &b))
        return false;
    *out = a + (h - (double)lo) * (b - a);
    return true;
}

double seg__quantile_select(double *v, size_t n, double p)
{
    if (n == 0)
        return NAN;
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1)
        return select_kth(v, n, n - 1);
    double a, b;
    if (seg__quantile_sampled(v, n, n, p, &a))
        return a;
    a = select_kth(v, n, lo);
    b = INFINITY;
    for (size_t i = lo + 1; i < n; i++) /* all above lo are >= a */
        b = v[i] < b ? v[i] : b;
    return a + (h - (double)lo) * (b - a);
}
