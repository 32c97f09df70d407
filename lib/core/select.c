/* Quantiles by selection: linear time, and about one pass for large columns. */
#include <math.h>
#include <string.h>

#include "core/internal.h"

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
