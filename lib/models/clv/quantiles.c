/* The quantiles of the prediction intervals: for each history and
 * each output, a low and a high quantile of its values under the D
 * parameter draws (bootstrap.c). */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "models/clv/internal.h"

/* ---- two quantiles of one set of draws ----
 *
 * The quantile of numpy's default (linear between the order statistics
 * k = floor(h) and k + 1, h = (n - 1) q), as seg__quantile_select()
 * gives it, for a low and a high q at once: a sorted sample of the
 * values brackets the two order statistics of each q, one pass per
 * bracket keeps the values inside it and counts those below it, and a
 * selection within the bracket finishes.
 *
 * Neither the passes nor the selections branch on a value: whether a draw
 * falls in a bracket, or below a pivot, is a coin toss that the branch
 * predictor loses, about 15 cycles each time. Every value is stored at
 * the end of its bracket (or part) and the end advances by the
 * comparison. The counts are exact, so a sample that misjudged costs
 * time, never exactness: a bracket that misses is moved past the side it
 * missed for one more pass, and after that a selection over all n
 * serves.
 *
 * The sample's size and margins were measured at D = 1000 (docs/bench.md):
 * 31 values, sorted in a few hundred ns, leave about 170 values in each
 * bracket and miss about once in 100; 63 values leave about 120 but cost
 * more to sort than the smaller selections save, and narrower margins
 * miss more often than they save. */

enum { SAMPLE = 31, MIN_N = 4 * SAMPLE, SMALL = 12 };

typedef struct bracket {
    long ia, ib;  /* the sample's ranks of a and b; -1 and SAMPLE: none */
    double a, b;  /* the values kept: a <= v <= b */
    size_t below; /* values < a */
    size_t kept;
    double *v; /* room for n values */
} bracket;

static void insertion_sort(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* The t-th smallest of the m values of v into *a and, when b is not
 * NULL, the next into *b (t + 1 < m then); v and tmp (room for m) are
 * overwritten. Quickselect with a three-way partition: the values below
 * the pivot are packed in v behind the reading, those above it in tmp,
 * and those equal to it are only counted; the pivot is one of them, so
 * each round takes at least one value away. */
static void pair_select(double *v, double *tmp, size_t m, size_t t,
                        double *a, double *b)
{
    for (;;) {
        if (m <= SMALL) {
            insertion_sort(v, m);
            *a = v[t];
            if (b)
                *b = v[t + 1];
            return;
        }
        double x0 = v[0], x1 = v[m / 2], x2 = v[m - 1];
        double piv = x0 < x1 ? (x1 < x2 ? x1 : x0 < x2 ? x2 : x0)
                             : (x0 < x2 ? x0 : x1 < x2 ? x2 : x1);
        size_t nl = 0, ng = 0;
        for (size_t i = 0; i < m; i++) {
            double x = v[i];
            v[nl] = x;
            nl += x < piv;
            tmp[ng] = x;
            ng += x > piv;
        }
        size_t eq = m - nl - ng;
        if (t < nl) {
            if (b && t + 1 == nl) {
                *b = piv;
                b = NULL;
            }
            m = nl;
        } else if (t < nl + eq) {
            *a = piv;
            if (b && t + 1 < nl + eq) {
                *b = piv;
            } else if (b) {
                double next = INFINITY;
                for (size_t i = 0; i < ng; i++)
                    next = tmp[i] < next ? tmp[i] : next;
                *b = next;
            }
            return;
        } else {
            t -= nl + eq;
            double *w = v;
            v = tmp;
            tmp = w;
            m = ng;
        }
    }
}

/* The order statistics k = floor(h) and k1 (k + 1, or k at the top) of
 * the q-quantile of n values, and h - k. */
static double order_stats(size_t n, double q, size_t *k, size_t *k1)
{
    double h = (double)(n - 1) * q;
    *k = (size_t)floor(h);
    *k1 = *k + 1 < n ? *k + 1 : *k;
    return h - (double)*k;
}

/* The q-quantile of n values from m of them in v that hold its two
 * order statistics, with `below` of the n under them (v and tmp, room
 * for m, are overwritten). */
static double quantile_in(double *v, size_t m, size_t below, size_t n,
                          double q, double *tmp)
{
    size_t k, k1;
    double f = order_stats(n, q, &k, &k1), lo, hi;
    pair_select(v, tmp, m, k - below, &lo, k1 > k ? &hi : NULL);
    if (k1 == k)
        hi = lo;
    return lo + f * (hi - lo);
}

/* The bracket's values from the sorted sample s by their ranks there. */
static void bracket_ends(bracket *b, const double *s)
{
    b->a = b->ia < 0 ? -INFINITY : s[b->ia];
    b->b = b->ib >= SAMPLE ? INFINITY : s[b->ib];
}

/* The ranks in the sorted sample s (SAMPLE of the n values) that bracket
 * the order statistics k and k + 1 of all n: the sample's rank of k's
 * quantile, give or take two standard deviations of the sample's count
 * below it, and one more above for k + 1. */
static bracket bracket_for(const double *s, size_t n, size_t k, double *room)
{
    double p = (double)(k + 1) / (double)(n + 1);
    double c = p * (SAMPLE + 1) - 1, w = 2 * sqrt(SAMPLE * p * (1 - p));
    bracket b = {(long)floor(c - w), (long)ceil(c + w) + 1, 0, 0, 0, 0, room};
    if (b.ia < -1)
        b.ia = -1;
    if (b.ib > SAMPLE)
        b.ib = SAMPLE;
    bracket_ends(&b, s);
    return b;
}

/* One pass over v keeping the values of the bracket. A bracket open on
 * one side (the usual one of a tail quantile) takes one comparison per
 * value, and its count below comes for nothing. */
static void keep(const double *v, size_t n, bracket *br)
{
    double a = br->a, b = br->b, *w = br->v;
    size_t below = 0, kept = 0;
    if (a == -INFINITY) {
        for (size_t i = 0; i < n; i++) {
            w[kept] = v[i];
            kept += v[i] <= b;
        }
    } else if (b == INFINITY) {
        for (size_t i = 0; i < n; i++) {
            w[kept] = v[i];
            kept += v[i] >= a;
        }
        below = n - kept;
    } else {
        for (size_t i = 0; i < n; i++) {
            double x = v[i];
            w[kept] = x;
            kept += (x >= a) & (x <= b);
            below += x < a;
        }
    }
    br->below = below;
    br->kept = kept;
}

/* Whether the bracket holds the order statistics k and k1; if not, it is
 * moved past the side it missed, as wide again. */
static bool holds(bracket *b, const double *s, size_t k, size_t k1)
{
    long w = b->ib - b->ia;
    if (k < b->below) {
        b->ib = b->ia;
        b->ia = b->ia - w < -1 ? -1 : b->ia - w;
    } else if (k1 >= b->below + b->kept) {
        b->ia = b->ib;
        b->ib = b->ib + w > SAMPLE ? SAMPLE : b->ib + w;
    } else {
        return true;
    }
    bracket_ends(b, s);
    return false;
}

void seg__clv_two_quantiles(double *v, size_t n, double ql, double qh,
                            double *scratch, double *lo, double *hi)
{
    if (n == 0) {
        *lo = *hi = NAN;
        return;
    }
    if (n < MIN_N) {
        memcpy(scratch, v, n * sizeof *v);
        *lo = quantile_in(scratch, n, 0, n, ql, scratch + n);
        *hi = quantile_in(v, n, 0, n, qh, scratch);
        return;
    }
    double s[SAMPLE];
    for (size_t i = 0; i < SAMPLE; i++)
        s[i] = v[i * (n - 1) / (SAMPLE - 1)];
    insertion_sort(s, SAMPLE);
    const double q[2] = {ql, qh};
    double *out[2] = {lo, hi};
    bool ok[2];
    bracket br[2];
    for (int t = 0; t < 2; t++) {
        size_t k, k1;
        order_stats(n, q[t], &k, &k1);
        br[t] = bracket_for(s, n, k, scratch + (size_t)t * n);
        keep(v, n, &br[t]);
        ok[t] = holds(&br[t], s, k, k1);
        if (!ok[t]) {
            keep(v, n, &br[t]);
            ok[t] = holds(&br[t], s, k, k1);
        }
    }
    /* A selection over all of v overwrites it, and the selections in the
     * brackets take v for room: the first go first. */
    if (!ok[0] && !ok[1]) {
        memcpy(scratch, v, n * sizeof *v);
        *lo = quantile_in(scratch, n, 0, n, ql, scratch + n);
        *hi = quantile_in(v, n, 0, n, qh, scratch);
        return;
    }
    for (int t = 0; t < 2; t++)
        if (!ok[t])
            *out[t] = quantile_in(v, n, 0, n, q[t], br[t].v);
    for (int t = 0; t < 2; t++)
        if (ok[t])
            *out[t] = quantile_in(br[t].v, br[t].kept, br[t].below, n,
                                  q[t], v);
}
