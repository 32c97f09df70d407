/* The clustering behind k-means: runs of Lloyd's algorithm from k-means++
 * or given centres, n_init of them shared among threads, over the points
 * in a spatial order; each run filters over a tree of the points
 * (kmeans_filter.c) up to SEG__KM_FILTER_MAX_F features, and keeps
 * Hamerly's bounds beyond. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "models/kmeans.h"

/* The nearest of the k centres to x (a when none is nearer than
 * infinity), its squared distance in *b1 and the second's in *b2. */
SEG__INLINE int two_nearest(const double *x, const double *c, int k, int nf,
                            int a, double *b1, double *b2)
{
    double d1 = INFINITY, d2 = INFINITY;
    for (int j = 0; j < k; j++) {
        double d = seg__km_dist2(x, c + (size_t)j * (size_t)nf, nf);
        if (d < d1) {
            d2 = d1;
            d1 = d;
            a = j;
        } else if (d < d2) {
            d2 = d;
        }
    }
    *b1 = d1;
    *b2 = d2;
    return a;
}

/* The points whose bounds are tested before any is searched: a list of
 * their offsets on the stack, in the first-level cache with them. */
#define TEST_BLOCK 256

/* One run of Hamerly's algorithm from the centres in c. Returns the
 * inertia; *iters receives the iterations.
 *
 * A point's bounds follow its centre's moves: the upper grows by the
 * centre's move, the lower shrinks by the largest move of another centre.
 * Both sums depend only on the point's cluster, so they are kept per
 * cluster (grow[], shrink[]: totals since the run began) and a point keeps
 * its bounds relative to them. The pass that tests the bounds then only
 * reads its points, and writes the few whose bounds fail. */
SEG__INLINE double hamerly_nf(const double *X, size_t n, int nf, int k,
                              double *c, int *assign, int max_iter,
                              double tol, double *iters, double *size,
                              double (*ul)[2], double *work)
{
    double *sum = work, *cnt = sum + (size_t)k * (size_t)nf, *s = cnt + k;
    double *mv = s + k, *grow = s + 2 * k, *shrink = s + 3 * k;
    for (int j = 0; j < k; j++)
        grow[j] = shrink[j] = 0;
    for (size_t i = 0; i < n; i++) {
        double b1, b2;
        int a = two_nearest(X + i * (size_t)nf, c, k, nf, 0, &b1, &b2);
        assign[i] = a;
        ul[i][0] = sqrt(b1);
        ul[i][1] = sqrt(b2);
    }
    /* the sums and counts of the clusters, kept up to date as points move,
     * so a new centre costs k x nf, not a pass over the data */
    memset(sum, 0, (size_t)k * (size_t)nf * sizeof *sum);
    memset(cnt, 0, (size_t)k * sizeof *cnt);
    for (size_t i = 0; i < n; i++) {
        cnt[assign[i]]++;
        for (int f = 0; f < nf; f++)
            sum[(size_t)assign[i] * (size_t)nf + (size_t)f] +=
                X[i * (size_t)nf + (size_t)f];
    }
    /* only the caller's thread has a stage: its runs report an
     * iteration at a time, and a stop ends the run, which its job drops */
    seg__progress *prog = seg__progress_current();
    int it = 0;
    for (; it < max_iter; it++) {
        if (seg__progress_add(prog, 1))
            break;
        double maxmv = 0, maxmv2 = 0;
        double shift2 = seg__km_new_centres(sum, cnt, c, k, nf, mv);
        int argmax = -1;
        for (int j = 0; j < k; j++) {
            if (mv[j] > maxmv) {
                maxmv2 = maxmv;
                maxmv = mv[j];
                argmax = j;
            } else if (mv[j] > maxmv2) {
                maxmv2 = mv[j];
            }
        }
        for (int j = 0; j < k; j++) {
            grow[j] += mv[j];
            shrink[j] += j == argmax ? maxmv2 : maxmv;
            double best = INFINITY;
            for (int j2 = 0; j2 < k; j2++) {
                double dd = j2 == j ? INFINITY
                                    : seg__km_dist2(c + (size_t)j * (size_t)nf,
                                            c + (size_t)j2 * (size_t)nf, nf);
                best = dd < best ? dd : best;
            }
            s[j] = sqrt(best) / 2;
        }
        /* a block at a time: first the points whose bounds fail, listed
         * without a branch (whether a bound holds is hard to predict),
         * then those whose own distance breaks the bound too, then their
         * searches, in the order of the points, so that the clusters'
         * sums change in the same order as point by point */
        size_t changed = 0;
        for (size_t i0 = 0; i0 < n; i0 += TEST_BLOCK) {
            uint32_t fail[TEST_BLOCK];
            size_t end = n - i0 < TEST_BLOCK ? n : i0 + TEST_BLOCK, nfail = 0;
            for (size_t i = i0; i < end; i++) {
                int ai = assign[i];
                double up = ul[i][0] + grow[ai], lo = ul[i][1] - shrink[ai];
                double bound = s[ai] > lo ? s[ai] : lo;
                fail[nfail] = (uint32_t)(i - i0);
                nfail += up > bound;
            }
            size_t nsearch = 0;
            for (size_t q = 0; q < nfail; q++) {
                size_t i = i0 + fail[q];
                int ai = assign[i];
                double lo = ul[i][1] - shrink[ai];
                double bound = s[ai] > lo ? s[ai] : lo;
                /* squared (bound >= 0, as s is): no square root before
                 * the test */
                double own = seg__km_dist2(X + i * (size_t)nf,
                                           c + (size_t)ai * (size_t)nf, nf);
                bool holds = own <= bound * bound;
                double upper = sqrt(own) - grow[ai];
                ul[i][0] = holds ? upper : ul[i][0];
                fail[nsearch] = fail[q];
                nsearch += !holds;
            }
            for (size_t q = 0; q < nsearch; q++) {
                size_t i = i0 + fail[q];
                int ai = assign[i];
                const double *xi = X + i * (size_t)nf;
                double b1, b2;
                int a = two_nearest(xi, c, k, nf, ai, &b1, &b2);
                if (a != ai) {
                    changed++;
                    cnt[ai]--;
                    cnt[a]++;
                    for (int f = 0; f < nf; f++) {
                        sum[(size_t)ai * (size_t)nf + (size_t)f] -= xi[f];
                        sum[(size_t)a * (size_t)nf + (size_t)f] += xi[f];
                    }
                    assign[i] = a;
                }
                ul[i][0] = sqrt(b1) - grow[a];
                ul[i][1] = sqrt(b2) + shrink[a];
            }
        }
        /* stop when nothing moves, or (tol > 0) when the centres moved
         * less than tol, as scikit-learn measures it */
        if (changed == 0 || (tol > 0 && shift2 <= tol)) {
            it++;
            break;
        }
    }
    *iters = it;
    return seg__km_inertia(X, n, nf, k, c, assign, size);
}

/* The doubles of hamerly()'s work: the clusters' sums, counts,
 * half-distances, moves and totals of moves. */
#define HAMERLY_WORK(k, nf) ((size_t)(k) * ((size_t)(nf) + 5))

/* The same, compiled apart for the usual feature counts that do not
 * filter (fewer filter but for more than a billion points), whose distance
 * loops then unroll. ul (n bounds) and work (HAMERLY_WORK doubles) are the
 * caller's, allocated once for all its runs: a fresh block each run would
 * be fresh pages, zeroed by the system, on every thread at once. */
static double hamerly(const double *X, size_t n, int nf, int k, double *c,
                      int *assign, int max_iter, double tol, double *iters,
                      double *size, double (*ul)[2], double *work)
{
    switch (nf) {
    case 5:
        return hamerly_nf(X, n, 5, k, c, assign, max_iter, tol, iters, size,
                          ul, work);
    case 6:
        return hamerly_nf(X, n, 6, k, c, assign, max_iter, tol, iters, size,
                          ul, work);
    default:
        return hamerly_nf(X, n, nf, k, c, assign, max_iter, tol, iters, size,
                          ul, work);
    }
}

/* k-means++: each next centre drawn with probability proportional to the
 * squared distance to the nearest centre chosen so far. */
static void kmeanspp(const double *X, size_t n, int nf, int k, uint64_t *rng,
                     double *c, double *d2)
{
    size_t first = (size_t)(seg__km_next_unit(rng) * (double)n);
    memcpy(c, X + first * (size_t)nf, (size_t)nf * sizeof *c);
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += d2[i] = seg__km_dist2(X + i * (size_t)nf, c, nf);
    for (int j = 1; j < k; j++) {
        double r = seg__km_next_unit(rng) * total, acc = 0;
        size_t pick = n - 1;
        for (size_t i = 0; i < n; i++) {
            acc += d2[i];
            if (acc > r) {
                pick = i;
                break;
            }
        }
        double *cj = c + (size_t)j * (size_t)nf;
        memcpy(cj, X + pick * (size_t)nf, (size_t)nf * sizeof *c);
        if (j == k - 1)
            break; /* no draw follows the last centre */
        total = 0;
        for (size_t i = 0; i < n; i++) {
            /* not fmin, which is a call: no distance here is a NaN */
            double d = seg__km_dist2(X + i * (size_t)nf, cj, nf);
            d2[i] = d < d2[i] ? d : d2[i];
            total += d2[i];
        }
    }
}

static int parse_init(const seg_model *m, const char *s, int k, int nf,
                      double *c)
{
    int row = 0, col = 0;
    const char *p = s;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v) || row >= k || col >= nf)
            return seg__model_error(m, SEG_EPARSE, "init: expected %d rows "
                                    "of %d numbers, rows separated by ';'",
                                    k, nf);
        c[(size_t)row * (size_t)nf + (size_t)col++] = v;
        p = end;
        if (*p == ',') {
            p++;
        } else if (*p == ';' || *p == '\0') {
            if (col != nf)
                return seg__model_error(m, SEG_EPARSE, "init: row %d has %d "
                                        "numbers, %d expected", row + 1, col,
                                        nf);
            row++;
            col = 0;
            if (*p)
                p++;
        } else {
            return seg__model_error(m, SEG_EPARSE, "init: unexpected '%c'",
                                    *p);
        }
    }
    if (row != k)
        return seg__model_error(m, SEG_EPARSE, "init: %d rows given, k = %d",
                                row, k);
    return SEG_OK;
}

/* Runs first, first + step, ... of a clustering, keeping their best. */
typedef struct run_job {
    const double *X, *init;  /* init: given centres, or NULL for k-means++ */
    const seg__km_tree *tree; /* the filter's tree, or NULL for Hamerly's */
    size_t n;
    int nf, k, max_iter, runs;
    atomic_int *next;        /* the next run to take: threads share runs */
    double tol;
    uint64_t seed;
    bool want_assign;
    /* the best run of this job */
    double *best_c, *best_size;
    int *best_a;
    double inertia, iters;
    int best_run;
    int rc;
    seg__progress *progress; /* the caller's job reports, others look */
    bool lead;
} run_job;

static void *run_worker(void *arg)
{
    run_job *j = arg;
    if (j->rc)
        return NULL; /* its buffers could not be allocated */
    size_t ck = (size_t)j->k * (size_t)j->nf;
    double *c = seg__malloc(ck * sizeof *c);
    double *size = seg__malloc((size_t)j->k * sizeof *size);
    double *d2 = seg__malloc(j->n * sizeof *d2);
    int *a = seg__malloc(j->n * sizeof *a);
    /* Hamerly's bounds, or the filter's scratch of the tree's nodes */
    void *ul = seg__malloc(j->tree ? seg__km_filter_work(j->tree, j->k)
                                   : j->n * sizeof(double[2]));
    double *work = seg__malloc(HAMERLY_WORK(j->k, j->nf) * sizeof *work);
    j->inertia = INFINITY;
    j->best_run = -1;
    j->rc = c && size && d2 && a && ul && work ? SEG_OK : SEG_ENOMEM;
    for (int run = atomic_fetch_add(j->next, 1); run < j->runs && !j->rc;
         run = atomic_fetch_add(j->next, 1)) {
        if (j->init) {
            memcpy(c, j->init, ck * sizeof *c);
        } else {
            uint64_t rng = j->seed * 0x9E3779B97F4A7C15ull + (uint64_t)run;
            kmeanspp(j->X, j->n, j->nf, j->k, &rng, c, d2);
        }
        double iters;
        double inertia =
            j->tree ? seg__km_filter(j->tree, j->X, j->n, j->k, c, a,
                                     j->max_iter, j->tol, &iters, size, work,
                                     ul)
                    : hamerly(j->X, j->n, j->nf, j->k, c, a, j->max_iter,
                              j->tol, &iters, size, ul, work);
        /* the caller's runs counted their iterations */
        if ((j->rc = seg__progress_poll(j->progress, j->lead,
                                        j->progress ? j->progress->done
                                                    : 0)) != SEG_OK)
            break;
        if (inertia < j->inertia) {
            j->inertia = inertia;
            j->iters = iters;
            j->best_run = run;
            memcpy(j->best_c, c, ck * sizeof *c);
            memcpy(j->best_size, size, (size_t)j->k * sizeof *size);
            if (j->want_assign)
                memcpy(j->best_a, a, j->n * sizeof *a);
        }
    }
    seg__free(c);
    seg__free(size);
    seg__free(d2);
    seg__free(a);
    seg__free(ul);
    seg__free(work);
    return NULL;
}

/* The bits of x (21 of them) spread to every third, or every second,
 * position: the Morton codes of three and two features without a loop
 * over their bits. */
static uint64_t spread3(uint64_t x)
{
    x &= 0x1fffff;
    x = (x | x << 32) & 0x1f00000000ffffull;
    x = (x | x << 16) & 0x1f0000ff0000ffull;
    x = (x | x << 8) & 0x100f00f00f00f00full;
    x = (x | x << 4) & 0x10c30c30c30c30c3ull;
    x = (x | x << 2) & 0x1249249249249249ull;
    return x;
}

static uint64_t spread2(uint64_t x)
{
    x &= 0x1fffff;
    x = (x | x << 16) & 0x0000ffff0000ffffull;
    x = (x | x << 8) & 0x00ff00ff00ff00ffull;
    x = (x | x << 4) & 0x0f0f0f0f0f0f0f0full;
    x = (x | x << 2) & 0x3333333333333333ull;
    x = (x | x << 1) & 0x5555555555555555ull;
    return x;
}

/* The radix sort's digits: 11 bits, so that six passes cover a key and
 * a pass's counts (16 KiB) stay in the first-level cache. */
#define DIGIT_BITS 11
#define DIGIT_MASK ((1u << DIGIT_BITS) - 1)
#define DIGITS ((64 + DIGIT_BITS - 1) / DIGIT_BITS)

/* A spatial order of the points: by the Morton (Z-order) code of their
 * features on a grid, so that points next to each other in memory are near
 * in space. Hamerly's bounds then hold or fail in runs of points, which
 * branch prediction and the caches reward. order[i] is the row of the i-th
 * point; NULL when out of memory. The sort is stable, so the order is that
 * of (code, row) whatever the digits. With codes, *codes gets the sorted
 * codes (n of them, the caller's to free). */
static uint32_t *spatial_order(const double *X, size_t n, int nf,
                               uint64_t **codes)
{
    int dims = nf < 21 ? nf : 21, bits = 63 / dims > 21 ? 21 : 63 / dims;
    double lo[21], scale[21], top = (double)((1u << bits) - 1);
    for (int f = 0; f < dims; f++) {
        double a = INFINITY, b = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            double v = X[i * (size_t)nf + (size_t)f];
            a = v < a ? v : a;
            b = v > b ? v : b;
        }
        lo[f] = a;
        scale[f] = b > a ? top / (b - a) : 0;
    }
    uint64_t *key = seg__malloc(2 * n * sizeof *key);
    uint32_t *order = seg__malloc(2 * n * sizeof *order);
    /* the counts of every digit, taken in the pass that makes the keys */
    size_t(*count)[DIGIT_MASK + 2] = seg__calloc(DIGITS, sizeof *count);
    if (!key || !order || !count) {
        seg__free(key);
        seg__free(order);
        seg__free(count);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t q[21], code = 0;
        for (int f = 0; f < dims; f++) {
            double t = (X[i * (size_t)nf + (size_t)f] - lo[f]) * scale[f];
            q[f] = t > 0 ? (uint64_t)(t < top ? t : top) : 0;
        }
        if (dims == 3) {
            code = spread3(q[0]) << 2 | spread3(q[1]) << 1 | spread3(q[2]);
        } else if (dims == 2) {
            code = spread2(q[0]) << 1 | spread2(q[1]);
        } else {
            for (int bit = bits - 1; bit >= 0; bit--)
                for (int f = 0; f < dims; f++)
                    code = code << 1 | (q[f] >> bit & 1);
        }
        key[i] = code;
        order[i] = (uint32_t)i;
        for (int d = 0; d < DIGITS; d++)
            count[d][(code >> (d * DIGIT_BITS) & DIGIT_MASK) + 1]++;
    }
    /* least significant digit first, stable */
    uint64_t *k0 = key, *k1 = key + n;
    uint32_t *o0 = order, *o1 = order + n;
    for (int d = 0; d < DIGITS; d++) {
        int shift = d * DIGIT_BITS;
        size_t *at = count[d];
        if (at[(k0[0] >> shift & DIGIT_MASK) + 1] == n)
            continue; /* one digit everywhere: nothing to move */
        for (unsigned b = 0; b <= DIGIT_MASK; b++)
            at[b + 1] += at[b];
        for (size_t i = 0; i < n; i++) {
            size_t to = at[k0[i] >> shift & DIGIT_MASK]++;
            k1[to] = k0[i];
            o1[to] = o0[i];
        }
        uint64_t *tk = k0;
        k0 = k1, k1 = tk;
        uint32_t *to = o0;
        o0 = o1, o1 = to;
    }
    if (o0 != order)
        memcpy(order, o0, n * sizeof *order);
    seg__free(count);
    if (codes) {
        if (k0 != key)
            memcpy(key, k0, n * sizeof *key);
        *codes = key;
    } else {
        seg__free(key);
    }
    return order;
}

static int cluster_ordered(const seg_model *m, const double *X,
                           const seg__km_tree *tree, size_t n, int nf, int k,
                           double *best_c, double *best_size,
                           double *best_inertia, double *best_iters,
                           int *assign);

/* Best of n_init seeded runs (or one run from given centres), the runs
 * shared among threads. The best is the lowest inertia, ties going to the
 * earlier run, so the result does not depend on the number of threads.
 * The runs see the points in a spatial order (the seeds' picks are made
 * in it too), and the assignments come back in the rows' order. */
int seg__km_cluster(const seg_model *m, const double *X, size_t n, int nf,
                   int k, double *best_c, double *best_size,
                   double *best_inertia, double *best_iters, int *assign)
{
    if (n == 0)
        return cluster_ordered(m, X, NULL, n, nf, k, best_c, best_size,
                               best_inertia, best_iters, assign);
    /* the tree's nodes, at most 2n, are numbered by 32-bit integers */
    bool filter = nf <= SEG__KM_FILTER_MAX_F && n <= INT32_MAX / 2;
    uint64_t *codes = NULL;
    uint32_t *order = spatial_order(X, n, nf, filter ? &codes : NULL);
    double *Xs = order ? seg__malloc(n * (size_t)nf * sizeof *Xs) : NULL;
    int *as = order && assign ? seg__malloc(n * sizeof *as) : NULL;
    seg__km_tree *tree = NULL;
    if (Xs) {
        for (size_t i = 0; i < n; i++)
            memcpy(Xs + i * (size_t)nf, X + (size_t)order[i] * (size_t)nf,
                   (size_t)nf * sizeof *Xs);
        if (filter)
            tree = seg__km_tree_new(Xs, codes, n, nf);
    }
    seg__free(codes);
    int rc = !order || !Xs || (assign && !as) || (filter && !tree)
                 ? seg__nomem(NULL)
                 : cluster_ordered(m, Xs, tree, n, nf, k, best_c, best_size,
                                   best_inertia, best_iters, as);
    if (!rc && assign)
        for (size_t i = 0; i < n; i++)
            assign[order[i]] = as[i];
    seg__km_tree_free(tree);
    seg__free(order);
    seg__free(Xs);
    seg__free(as);
    return rc;
}

static int cluster_ordered(const seg_model *m, const double *X,
                           const seg__km_tree *tree, size_t n, int nf, int k,
                           double *best_c, double *best_size,
                           double *best_inertia, double *best_iters,
                           int *assign)
{
    int n_init = (int)seg__param_num(m, "n_init");
    /* tol is relative to the mean variance of the features */
    double tol = seg__param_num(m, "tol"), var = 0;
    if (tol > 0 && n > 0) {
        for (int f = 0; f < nf; f++) {
            double s1 = 0, s2 = 0;
            for (size_t i = 0; i < n; i++) {
                double v = X[i * (size_t)nf + (size_t)f];
                s1 += v;
                s2 += v * v;
            }
            double mu = s1 / (double)n;
            var += s2 / (double)n - mu * mu;
        }
        tol *= var / nf;
    }
    const char *init = seg__param_str(m, "init");
    size_t ck = (size_t)k * (size_t)nf;
    double *given = NULL;
    int runs = *init ? 1 : n_init, rc = SEG_OK;
    if (*init) {
        if (!(given = seg__malloc(ck * sizeof *given)))
            return seg__nomem(NULL);
        if ((rc = parse_init(m, init, k, nf, given)) != SEG_OK) {
            seg__free(given);
            return rc;
        }
    }
    int threads = seg__threads((int)seg__param_num(m, "threads"),
                               (size_t)runs, 1);
    run_job jobs[SEG__MAX_THREADS];
    atomic_int next = 0;
    for (int t = 0; t < threads; t++) {
        run_job *j = &jobs[t];
        *j = (run_job){X, given, tree, n, nf, k,
                       (int)seg__param_num(m, "max_iter"), runs, &next, tol,
                       (uint64_t)seg__param_num(m, "seed"), assign != NULL,
                       seg__malloc(ck * sizeof(double)),
                       seg__malloc((size_t)k * sizeof(double)),
                       assign ? seg__malloc(n * sizeof(int)) : NULL,
                       INFINITY, 0, -1, SEG_OK, seg__progress_current(),
                       t == 0};
        if (!j->best_c || !j->best_size || (assign && !j->best_a))
            j->rc = SEG_ENOMEM;
    }
    seg__run_jobs(run_worker, jobs, sizeof *jobs, threads);
    int best = -1;
    for (int t = 0; t < threads; t++) {
        if (jobs[t].rc && rc != SEG_ECANCELED)
            rc = jobs[t].rc;
        else if (jobs[t].best_run >= 0 &&
                 (best < 0 || jobs[t].inertia < jobs[best].inertia ||
                  (jobs[t].inertia == jobs[best].inertia &&
                   jobs[t].best_run < jobs[best].best_run)))
            best = t;
    }
    if (!rc && best >= 0) {
        *best_inertia = jobs[best].inertia;
        *best_iters = jobs[best].iters;
        memcpy(best_c, jobs[best].best_c, ck * sizeof *best_c);
        memcpy(best_size, jobs[best].best_size, (size_t)k * sizeof *best_size);
        if (assign)
            memcpy(assign, jobs[best].best_a, n * sizeof *assign);
    }
    for (int t = 0; t < threads; t++) {
        seg__free(jobs[t].best_c);
        seg__free(jobs[t].best_size);
        seg__free(jobs[t].best_a);
    }
    seg__free(given);
    return rc == SEG_ENOMEM ? seg__nomem(NULL) : rc;
}
