/* k-means over numeric columns: optional log1p and z-score per feature,
 * seeded k-means++ initialisation, n_init restarts, and Hamerly's exact
 * acceleration of Lloyd's algorithm. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>

#include "models/internal.h"

#define MAX_F 64

typedef struct km_state {
    int nf, k;
    char *names[MAX_F];
    bool logf[MAX_F];
    double mean[MAX_F], sd[MAX_F];
    double *cent;      /* k x nf, transformed space */
    double *size;      /* k */
    double inertia, iterations, fitted, missing;
} km_state;

static int km_create(void **state, void *ud)
{
    (void)ud;
    *state = seg__calloc(1, sizeof(km_state));
    return *state ? SEG_OK : SEG_ENOMEM;
}

static void km_clear(km_state *st)
{
    for (int f = 0; f < st->nf; f++)
        seg__free(st->names[f]);
    seg__free(st->cent);
    seg__free(st->size);
    memset(st, 0, sizeof *st);
}

static void km_destroy(void *state, void *ud)
{
    (void)ud;
    km_clear(state);
    seg__free(state);
}

/* ---- a small seeded generator (splitmix64) ---- */

static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double next_unit(uint64_t *s)
{
    return (double)(next_u64(s) >> 11) / 9007199254740992.0;
}

static inline double dist2(const double *a, const double *b, int nf)
{
    /* the usual feature counts, unrolled: this is the innermost loop */
    switch (nf) {
    case 1:
        return (a[0] - b[0]) * (a[0] - b[0]);
    case 2:
        return (a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]);
    case 3:
        return (a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
               (a[2] - b[2]) * (a[2] - b[2]);
    default:
        break;
    }
    double s = 0;
    for (int f = 0; f < nf; f++) {
        double d = a[f] - b[f];
        s += d * d;
    }
    return s;
}

/* Split "a,b,c" into names; returns the count or -1. */
static int split_names(const char *s, char **out, int max)
{
    int n = 0;
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        while (len && *s == ' ')
            s++, len--;
        while (len && s[len - 1] == ' ')
            len--;
        if (len == 0 || n == max)
            goto bad;
        if (!(out[n] = seg__strndup(s, len)))
            goto bad;
        n++;
        s = comma ? comma + 1 : s + len;
        if (!comma)
            break;
    }
    return n;
bad:
    for (int i = 0; i < n; i++)
        seg__free(out[i]);
    return -1;
}

static bool in_list(const char *list, const char *name)
{
    if (strcmp(list, "all") == 0)
        return true;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && memcmp(p, name, n) == 0)
            return true;
        p = comma ? comma + 1 : p + len;
    }
    return false;
}

/* The transformed feature matrix of the complete rows; row_of[i] is the
 * customer of matrix row i. */
static int matrix(const seg_model *m, const km_state *st, const seg_dataset *ds,
                  bool learn, km_state *learned, double **X, size_t **row_of,
                  size_t *nrows)
{
    size_t n = seg_dataset_customer_count(ds);
    double *cols[MAX_F] = {NULL};
    int rc = SEG_OK;
    for (int f = 0; f < st->nf && !rc; f++)
        cols[f] = seg__model_column(m, ds, st->names[f], &rc);
    double *x = NULL;
    size_t *rows = NULL, k = 0;
    if (!rc) {
        x = seg__malloc((n ? n : 1) * (size_t)st->nf * sizeof *x);
        rows = seg__malloc((n ? n : 1) * sizeof *rows);
        if (!x || !rows)
            rc = seg__nomem(NULL);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        bool complete = true;
        for (int f = 0; f < st->nf; f++)
            complete = complete && isfinite(cols[f][i]);
        if (!complete)
            continue;
        for (int f = 0; f < st->nf && !rc; f++) {
            double v = cols[f][i];
            if (st->logf[f]) {
                if (v <= -1)
                    rc = seg__model_error(m, SEG_ERANGE, "%s: log1p of "
                                          "'%s' = %g for customer '%s'",
                                          seg_model_name(m), st->names[f], v,
                                          seg_dataset_customer_id(ds, i));
                v = log1p(v);
            }
            x[k * (size_t)st->nf + (size_t)f] = v;
        }
        rows[k++] = i;
    }
    if (!rc && learn) {
        for (int f = 0; f < st->nf; f++) {
            double s = 0, ss = 0;
            for (size_t i = 0; i < k; i++)
                s += x[i * (size_t)st->nf + (size_t)f];
            double mu = k ? s / (double)k : 0;
            for (size_t i = 0; i < k; i++) {
                double d = x[i * (size_t)st->nf + (size_t)f] - mu;
                ss += d * d;
            }
            double sd = k ? sqrt(ss / (double)k) : 1;
            bool z = seg__param_num(m, "standardize") != 0;
            learned->mean[f] = z ? mu : 0;
            learned->sd[f] = z && sd > 0 ? sd : 1;
        }
    }
    if (!rc)
        for (size_t i = 0; i < k; i++)
            for (int f = 0; f < st->nf; f++) {
                double *v = &x[i * (size_t)st->nf + (size_t)f];
                *v = (*v - st->mean[f]) / st->sd[f];
            }
    for (int f = 0; f < st->nf; f++)
        seg__free(cols[f]);
    if (rc) {
        seg__free(x);
        seg__free(rows);
        return rc;
    }
    *X = x;
    *row_of = rows;
    *nrows = k;
    return SEG_OK;
}

/* The nearest of the k centres to x (a when none is nearer than
 * infinity), its squared distance in *b1 and the second's in *b2. */
SEG__INLINE int two_nearest(const double *x, const double *c, int k, int nf,
                            int a, double *b1, double *b2)
{
    double d1 = INFINITY, d2 = INFINITY;
    for (int j = 0; j < k; j++) {
        double d = dist2(x, c + (size_t)j * (size_t)nf, nf);
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

/* One run of Hamerly's algorithm from the centres in c. Returns the
 * inertia; *iters receives the iterations. */
SEG__INLINE double hamerly_nf(const double *X, size_t n, int nf, int k,
                              double *c, int *assign, int max_iter,
                              double tol, double *iters, double *size)
{
    /* the upper and lower bound of a point side by side: one stream */
    double (*ul)[2] = seg__malloc(n * sizeof *ul);
    double *sum = seg__malloc((size_t)k * (size_t)nf * sizeof *sum);
    double *cnt = seg__malloc((size_t)k * sizeof *cnt);
    double *s = seg__malloc((size_t)k * sizeof *s);
    double *mv = seg__malloc((size_t)k * sizeof *mv);
    if (!ul || !sum || !cnt || !s || !mv) {
        seg__free(ul), seg__free(sum), seg__free(cnt);
        seg__free(s), seg__free(mv);
        return NAN;
    }
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
    int it = 0;
    for (; it < max_iter; it++) {
        double maxmv = 0, maxmv2 = 0, shift2 = 0;
        int argmax = -1;
        for (int j = 0; j < k; j++) {
            double *cj = c + (size_t)j * (size_t)nf;
            double moved = 0;
            if (cnt[j] > 0) {
                for (int f = 0; f < nf; f++) {
                    double v = sum[(size_t)j * (size_t)nf + (size_t)f] / cnt[j];
                    moved += (v - cj[f]) * (v - cj[f]);
                    cj[f] = v;
                }
            }
            mv[j] = sqrt(moved);
            shift2 += moved;
            if (mv[j] > maxmv) {
                maxmv2 = maxmv;
                maxmv = mv[j];
                argmax = j;
            } else if (mv[j] > maxmv2) {
                maxmv2 = mv[j];
            }
        }
        for (int j = 0; j < k; j++) {
            double best = INFINITY;
            for (int j2 = 0; j2 < k; j2++) {
                double dd = j2 == j ? INFINITY
                                    : dist2(c + (size_t)j * (size_t)nf,
                                            c + (size_t)j2 * (size_t)nf, nf);
                best = dd < best ? dd : best;
            }
            s[j] = sqrt(best) / 2;
        }
        size_t changed = 0;
        for (size_t i = 0; i < n; i++) {
            const double *xi = X + i * (size_t)nf;
            /* the bounds follow the centres' moves, in the same pass */
            ul[i][0] += mv[assign[i]];
            ul[i][1] -= assign[i] == argmax ? maxmv2 : maxmv;
            double bound = s[assign[i]] > ul[i][1] ? s[assign[i]] : ul[i][1];
            if (ul[i][0] <= bound)
                continue;
            ul[i][0] = sqrt(dist2(xi, c + (size_t)assign[i] * (size_t)nf, nf));
            if (ul[i][0] <= bound)
                continue;
            double b1, b2;
            int a = two_nearest(xi, c, k, nf, assign[i], &b1, &b2);
            if (a != assign[i]) {
                changed++;
                cnt[assign[i]]--;
                cnt[a]++;
                for (int f = 0; f < nf; f++) {
                    sum[(size_t)assign[i] * (size_t)nf + (size_t)f] -= xi[f];
                    sum[(size_t)a * (size_t)nf + (size_t)f] += xi[f];
                }
                assign[i] = a;
            }
            ul[i][0] = sqrt(b1);
            ul[i][1] = sqrt(b2);
        }
        /* stop when nothing moves, or (tol > 0) when the centres moved
         * less than tol, as scikit-learn measures it */
        if (changed == 0 || (tol > 0 && shift2 <= tol)) {
            it++;
            break;
        }
    }
    double inertia = 0;
    for (int j = 0; j < k; j++)
        size[j] = 0;
    for (size_t i = 0; i < n; i++) {
        inertia += dist2(X + i * (size_t)nf, c + (size_t)assign[i] * (size_t)nf,
                         nf);
        size[assign[i]]++;
    }
    *iters = it;
    seg__free(ul), seg__free(sum), seg__free(cnt);
    seg__free(s), seg__free(mv);
    return inertia;
}

/* The same, compiled apart for the usual feature counts, whose distance
 * loops then unroll. */
static double hamerly(const double *X, size_t n, int nf, int k, double *c,
                      int *assign, int max_iter, double tol, double *iters,
                      double *size)
{
    switch (nf) {
    case 2:
        return hamerly_nf(X, n, 2, k, c, assign, max_iter, tol, iters, size);
    case 3:
        return hamerly_nf(X, n, 3, k, c, assign, max_iter, tol, iters, size);
    case 4:
        return hamerly_nf(X, n, 4, k, c, assign, max_iter, tol, iters, size);
    default:
        return hamerly_nf(X, n, nf, k, c, assign, max_iter, tol, iters, size);
    }
}

/* k-means++: each next centre drawn with probability proportional to the
 * squared distance to the nearest centre chosen so far. */
static void kmeanspp(const double *X, size_t n, int nf, int k, uint64_t *rng,
                     double *c, double *d2)
{
    size_t first = (size_t)(next_unit(rng) * (double)n);
    memcpy(c, X + first * (size_t)nf, (size_t)nf * sizeof *c);
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += d2[i] = dist2(X + i * (size_t)nf, c, nf);
    for (int j = 1; j < k; j++) {
        double r = next_unit(rng) * total, acc = 0;
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
        total = 0;
        for (size_t i = 0; i < n; i++) {
            d2[i] = fmin(d2[i], dist2(X + i * (size_t)nf, cj, nf));
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
            return seg__model_error(m, SEG_EPARSE, "init: unexpected '%c'", *p);
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
    j->inertia = INFINITY;
    j->best_run = -1;
    j->rc = c && size && d2 && a ? SEG_OK : SEG_ENOMEM;
    for (int run = atomic_fetch_add(j->next, 1); run < j->runs && !j->rc;
         run = atomic_fetch_add(j->next, 1)) {
        if (j->init) {
            memcpy(c, j->init, ck * sizeof *c);
        } else {
            uint64_t rng = j->seed * 0x9E3779B97F4A7C15ull + (uint64_t)run;
            kmeanspp(j->X, j->n, j->nf, j->k, &rng, c, d2);
        }
        double iters;
        double inertia = hamerly(j->X, j->n, j->nf, j->k, c, a, j->max_iter,
                                 j->tol, &iters, size);
        if (isnan(inertia)) {
            j->rc = SEG_ENOMEM;
            break;
        }
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
    return NULL;
}

/* A spatial order of the points: by the Morton (Z-order) code of their
 * features on a grid, so that points next to each other in memory are near
 * in space. Hamerly's bounds then hold or fail in runs of points, which
 * branch prediction and the caches reward. order[i] is the row of the i-th
 * point; NULL when out of memory. */
static uint32_t *spatial_order(const double *X, size_t n, int nf)
{
    int dims = nf < 21 ? nf : 21, bits = 63 / dims > 21 ? 21 : 63 / dims;
    double lo[21], scale[21];
    for (int f = 0; f < dims; f++) {
        double a = INFINITY, b = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            double v = X[i * (size_t)nf + (size_t)f];
            a = v < a ? v : a;
            b = v > b ? v : b;
        }
        lo[f] = a;
        scale[f] = b > a ? (double)((1u << bits) - 1) / (b - a) : 0;
    }
    uint64_t *key = seg__malloc(2 * n * sizeof *key);
    uint32_t *order = seg__malloc(2 * n * sizeof *order);
    if (!key || !order) {
        seg__free(key);
        seg__free(order);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t q[21], code = 0;
        for (int f = 0; f < dims; f++) {
            double t = (X[i * (size_t)nf + (size_t)f] - lo[f]) * scale[f];
            q[f] = t > 0 ? (uint64_t)fmin(t, (double)((1u << bits) - 1)) : 0;
        }
        for (int bit = bits - 1; bit >= 0; bit--)
            for (int f = 0; f < dims; f++)
                code = code << 1 | (q[f] >> bit & 1);
        key[i] = code;
        order[i] = (uint32_t)i;
    }
    /* least significant digit first radix sort, stable, 8 bits a pass */
    uint64_t *k0 = key, *k1 = key + n;
    uint32_t *o0 = order, *o1 = order + n;
    for (int shift = 0; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[(k0[i] >> shift & 0xff) + 1]++;
        if (count[(k0[0] >> shift & 0xff) + 1] == n)
            continue; /* one digit everywhere: nothing to move */
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++) {
            size_t at = count[k0[i] >> shift & 0xff]++;
            k1[at] = k0[i];
            o1[at] = o0[i];
        }
        uint64_t *tk = k0;
        k0 = k1, k1 = tk;
        uint32_t *to = o0;
        o0 = o1, o1 = to;
    }
    if (o0 != order)
        memcpy(order, o0, n * sizeof *order);
    seg__free(key);
    return order;
}

static int cluster_ordered(const seg_model *m, const double *X, size_t n,
                           int nf, int k, double *best_c, double *best_size,
                           double *best_inertia, double *best_iters,
                           int *assign);

/* Best of n_init seeded runs (or one run from given centres), the runs
 * shared among threads. The best is the lowest inertia, ties going to the
 * earlier run, so the result does not depend on the number of threads.
 * The runs see the points in a spatial order (the seeds' picks are made
 * in it too), and the assignments come back in the rows' order. */
static int cluster(const seg_model *m, const double *X, size_t n, int nf,
                   int k, double *best_c, double *best_size,
                   double *best_inertia, double *best_iters, int *assign)
{
    if (n == 0)
        return cluster_ordered(m, X, n, nf, k, best_c, best_size,
                               best_inertia, best_iters, assign);
    uint32_t *order = spatial_order(X, n, nf);
    double *Xs = order ? seg__malloc(n * (size_t)nf * sizeof *Xs) : NULL;
    int *as = order && assign ? seg__malloc(n * sizeof *as) : NULL;
    if (!order || !Xs || (assign && !as)) {
        seg__free(order);
        seg__free(Xs);
        seg__free(as);
        return seg__nomem(NULL);
    }
    for (size_t i = 0; i < n; i++)
        memcpy(Xs + i * (size_t)nf, X + (size_t)order[i] * (size_t)nf,
               (size_t)nf * sizeof *Xs);
    int rc = cluster_ordered(m, Xs, n, nf, k, best_c, best_size, best_inertia,
                             best_iters, as);
    if (!rc && assign)
        for (size_t i = 0; i < n; i++)
            assign[order[i]] = as[i];
    seg__free(order);
    seg__free(Xs);
    seg__free(as);
    return rc;
}

static int cluster_ordered(const seg_model *m, const double *X, size_t n,
                           int nf, int k, double *best_c, double *best_size,
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
        *j = (run_job){X, given, n, nf, k, (int)seg__param_num(m, "max_iter"),
                       runs, &next, tol,
                       (uint64_t)seg__param_num(m, "seed"), assign != NULL,
                       seg__malloc(ck * sizeof(double)),
                       seg__malloc((size_t)k * sizeof(double)),
                       assign ? seg__malloc(n * sizeof(int)) : NULL,
                       INFINITY, 0, -1, SEG_OK};
        if (!j->best_c || !j->best_size || (assign && !j->best_a))
            j->rc = SEG_ENOMEM;
    }
    seg__run_jobs(run_worker, jobs, sizeof *jobs, threads);
    int best = -1;
    for (int t = 0; t < threads; t++) {
        if (jobs[t].rc)
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

static int setup_features(const seg_model *m, km_state *st)
{
    int nf = split_names(seg__param_str(m, "features"), st->names, MAX_F);
    if (nf <= 0)
        return seg__model_error(m, SEG_EINVAL, "%s: features must name 1 to "
                                "%d columns, separated by commas",
                                seg_model_name(m), MAX_F);
    st->nf = nf;
    const char *logs = seg__param_str(m, "log1p");
    for (int f = 0; f < nf; f++) {
        st->logf[f] = in_list(logs, st->names[f]);
        st->mean[f] = 0;
        st->sd[f] = 1;
    }
    return SEG_OK;
}

static int km_fit(void *state, seg_model *m, const seg_dataset *ds, void *ud)
{
    (void)ud;
    km_state *st = state;
    int rc = setup_features(m, st);
    if (rc)
        return rc;
    st->k = (int)seg__param_num(m, "k");
    double *X = NULL;
    size_t *rows = NULL, n = 0;
    rc = matrix(m, st, ds, true, st, &X, &rows, &n);
    if (!rc && n < (size_t)st->k)
        rc = seg__model_error(m, SEG_ERANGE, "%s: %zu complete rows for k = "
                              "%d clusters", seg_model_name(m), n, st->k);
    if (!rc) {
        st->cent = seg__malloc((size_t)st->k * (size_t)st->nf * sizeof *st->cent);
        st->size = seg__malloc((size_t)st->k * sizeof *st->size);
        if (!st->cent || !st->size)
            rc = seg__nomem(NULL);
    }
    if (!rc)
        rc = cluster(m, X, n, st->nf, st->k, st->cent, st->size, &st->inertia,
                     &st->iterations, NULL);
    st->fitted = (double)n;
    st->missing = (double)(seg_dataset_customer_count(ds) - n);
    seg__free(X);
    seg__free(rows);
    return rc;
}

static int nearest(const km_state *st, const double *x, double *d)
{
    int best = 0;
    double bd = INFINITY;
    for (int j = 0; j < st->k; j++) {
        double v = dist2(x, st->cent + (size_t)j * (size_t)st->nf, st->nf);
        if (v < bd) {
            bd = v;
            best = j;
        }
    }
    *d = sqrt(bd);
    return best;
}

static int km_score(void *state, const seg_model *m, seg_dataset *ds,
                    const char *prefix, void *ud)
{
    (void)ud;
    const km_state *st = state;
    double *X = NULL;
    size_t *rows = NULL, nr = 0, n = seg_dataset_customer_count(ds);
    int rc = matrix(m, st, ds, false, NULL, &X, &rows, &nr);
    double *cl = NULL, *dist = NULL;
    if (!rc) {
        cl = seg__malloc((n ? n : 1) * sizeof *cl);
        dist = seg__malloc((n ? n : 1) * sizeof *dist);
        if (!cl || !dist)
            rc = seg__nomem(NULL);
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++)
            cl[i] = dist[i] = NAN;
        for (size_t i = 0; i < nr; i++)
            cl[rows[i]] = nearest(st, X + i * (size_t)st->nf, &dist[rows[i]]);
        rc = seg__model_put(m, ds, prefix, "cluster", cl, NULL);
        if (!rc)
            rc = seg__model_put(m, ds, prefix, "distance", dist, NULL);
    }
    seg__free(X);
    seg__free(rows);
    seg__free(cl);
    seg__free(dist);
    return rc;
}

/* ---- reports ---- */

static int emit(seg__buf *b, const char *fmt, ...) SEG__PRINTF(2, 3);
static int emit(seg__buf *b, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return n < 0 || seg__buf_append(b, line, (size_t)n) ? SEG_ENOMEM : SEG_OK;
}

static int profile(const km_state *st, int format, seg__buf *b)
{
    bool json = format == SEG_FORMAT_JSON;
    int rc = json ? emit(b, "{\"clusters\":[") : emit(b, "cluster,size,share");
    for (int f = 0; f < st->nf && !json && !rc; f++)
        rc = emit(b, ",%s", st->names[f]);
    if (!json && !rc)
        rc = emit(b, "\n");
    for (int j = 0; j < st->k && !rc; j++) {
        rc = json ? emit(b, "%s\n{\"cluster\":%d,\"size\":%.0f,\"share\":%.6g,"
                            "\"centroid\":{", j ? "," : "", j, st->size[j],
                         st->size[j] / st->fitted)
                  : emit(b, "%d,%.0f,%.6g", j, st->size[j],
                         st->size[j] / st->fitted);
        for (int f = 0; f < st->nf && !rc; f++) {
            double v = st->cent[(size_t)j * (size_t)st->nf + (size_t)f] *
                           st->sd[f] + st->mean[f];
            if (st->logf[f])
                v = expm1(v);
            rc = json ? emit(b, "%s\"%s\":%.10g", f ? "," : "", st->names[f], v)
                      : emit(b, ",%.10g", v);
        }
        if (!rc)
            rc = emit(b, json ? "}}" : "\n");
    }
    if (json && !rc)
        rc = emit(b, "\n]}\n");
    return rc;
}

static int silhouette(const seg_model *m, const km_state *st,
                      const seg_dataset *ds, int format, seg__buf *b)
{
    double *X = NULL;
    size_t *rows = NULL, n = 0;
    int rc = matrix(m, st, ds, false, NULL, &X, &rows, &n);
    if (rc)
        return rc;
    /* a seeded sample, the same on every call */
    size_t want = (size_t)seg__param_num(m, "sample");
    uint64_t rng = (uint64_t)seg__param_num(m, "seed") ^ 0x5EEDull;
    for (size_t i = 0; i < n && i < want; i++) {
        size_t j = i + (size_t)(next_unit(&rng) * (double)(n - i));
        for (int f = 0; f < st->nf; f++) {
            double t = X[i * (size_t)st->nf + (size_t)f];
            X[i * (size_t)st->nf + (size_t)f] = X[j * (size_t)st->nf + (size_t)f];
            X[j * (size_t)st->nf + (size_t)f] = t;
        }
    }
    if (n > want)
        n = want;
    int kmax = (int)seg__param_num(m, "k_max");
    bool json = format == SEG_FORMAT_JSON;
    rc = emit(b, json ? "{\"k\":[" : "k,silhouette,inertia\n");
    int best_k = 0;
    double best_s = -2;
    double *c = seg__malloc((size_t)kmax * (size_t)st->nf * sizeof *c);
    double *size = seg__malloc((size_t)kmax * sizeof *size);
    int *a = seg__malloc((n ? n : 1) * sizeof *a);
    double *sum = seg__malloc((size_t)kmax * sizeof *sum);
    if (!c || !size || !a || !sum)
        rc = seg__nomem(NULL);
    for (int k = 2; k <= kmax && (size_t)k < n && !rc; k++) {
        double inertia, iters;
        rc = cluster(m, X, n, st->nf, k, c, size, &inertia, &iters, a);
        double total = 0;
        for (size_t i = 0; i < n && !rc; i++) {
            memset(sum, 0, (size_t)k * sizeof *sum);
            for (size_t j = 0; j < n; j++)
                if (j != i)
                    sum[a[j]] += sqrt(dist2(X + i * (size_t)st->nf,
                                            X + j * (size_t)st->nf, st->nf));
            double own = size[a[i]] > 1 ? sum[a[i]] / (size[a[i]] - 1) : 0;
            double other = INFINITY;
            for (int j = 0; j < k; j++)
                if (j != a[i] && size[j] > 0)
                    other = fmin(other, sum[j] / size[j]);
            double mx = fmax(own, other);
            total += size[a[i]] > 1 && mx > 0 ? (other - own) / mx : 0;
        }
        double s = total / (double)n;
        if (s > best_s) {
            best_s = s;
            best_k = k;
        }
        if (!rc)
            rc = json ? emit(b, "%s{\"k\":%d,\"silhouette\":%.6g,\"inertia\":"
                                "%.10g}", k > 2 ? "," : "", k, s, inertia)
                      : emit(b, "%d,%.6g,%.10g\n", k, s, inertia);
    }
    if (!rc)
        rc = json ? emit(b, "],\"best_k\":%d,\"sample\":%zu}\n", best_k, n)
                  : emit(b, "best,%d,\n", best_k);
    seg__free(c);
    seg__free(size);
    seg__free(a);
    seg__free(sum);
    seg__free(X);
    seg__free(rows);
    return rc;
}

static int km_report(void *state, const seg_model *m, const seg_dataset *ds,
                     const char *report, int format, seg_write_fn write,
                     void *wud, void *ud)
{
    (void)ud;
    const km_state *st = state;
    seg__buf b = {NULL, 0, 0};
    int rc;
    if (strcmp(report, "profile") == 0)
        rc = profile(st, format, &b);
    else if (strcmp(report, "silhouette") == 0)
        rc = ds ? silhouette(m, st, ds, format, &b)
                : seg__model_error(m, SEG_EINVAL, "silhouette: dataset is "
                                   "NULL");
    else
        return SEG_ENOTFOUND;
    if (rc == SEG_ENOMEM)
        rc = seg__model_error(m, rc, "out of memory");
    if (!rc && write(b.data ? b.data : "", b.len, wud) != 0)
        rc = seg__model_error(m, SEG_EIO, "%s: the writer stopped", report);
    seg__buf_free(&b);
    return rc;
}

/* ---- results, save, load ---- */

static const char *const km_results[] = {"inertia", "iterations", "k",
                                         "customers", "missing"};

static const char *km_result_name(void *state, size_t i, void *ud)
{
    (void)state;
    (void)ud;
    return i < sizeof km_results / sizeof *km_results ? km_results[i] : NULL;
}

static int km_result(void *state, const char *name, double *out, void *ud)
{
    (void)ud;
    const km_state *st = state;
    const double v[] = {st->inertia, st->iterations, st->k, st->fitted,
                        st->missing};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        if (strcmp(name, km_results[i]) == 0) {
            *out = v[i];
            return SEG_OK;
        }
    return SEG_ENOTFOUND;
}

static int km_save(void *state, const seg_model *m, seg_write_fn w, void *wu,
                   void *ud)
{
    (void)m;
    (void)ud;
    const km_state *st = state;
    double head[6] = {st->nf, st->k, st->inertia, st->iterations, st->fitted,
                      st->missing};
    int rc = seg__state_put(w, wu, "shape", head, 6);
    for (int f = 0; f < st->nf && !rc; f++) {
        double t[3] = {st->logf[f], st->mean[f], st->sd[f]};
        rc = seg__state_put(w, wu, "transform", t, 3);
    }
    for (int j = 0; j < st->k && !rc; j++)
        rc = seg__state_put(w, wu, "centroid", st->cent + (size_t)j * (size_t)st->nf,
                      st->nf);
    if (!rc)
        rc = seg__state_put(w, wu, "sizes", st->size, st->k);
    return rc;
}

static int km_load(void *state, seg_model *m, const char *text, size_t len,
                   void *ud)
{
    (void)ud;
    km_state *st = state;
    km_clear(st);
    int rc = setup_features(m, st);
    if (rc)
        return rc;
    const char *p = text, *end = text + len;
    double head[6];
    rc = seg__state_get(m, &p, end, "shape", head, 6, false);
    if (!rc && (head[0] != st->nf || head[1] != seg__param_num(m, "k")))
        rc = seg__model_error(m, SEG_EPARSE, "the state does not match the "
                              "features and k");
    if (rc)
        return rc;
    st->k = (int)head[1];
    st->inertia = head[2];
    st->iterations = head[3];
    st->fitted = head[4];
    st->missing = head[5];
    for (int f = 0; f < st->nf && !rc; f++) {
        double t[3];
        rc = seg__state_get(m, &p, end, "transform", t, 3, false);
        if (!rc && !(t[2] > 0))
            rc = seg__model_error(m, SEG_EPARSE, "a scale is not positive");
        if (!rc) {
            st->logf[f] = t[0] != 0;
            st->mean[f] = t[1];
            st->sd[f] = t[2];
        }
    }
    st->cent = seg__malloc((size_t)st->k * (size_t)st->nf * sizeof *st->cent);
    st->size = seg__malloc((size_t)st->k * sizeof *st->size);
    if (!rc && (!st->cent || !st->size))
        rc = seg__nomem(NULL);
    for (int j = 0; j < st->k && !rc; j++)
        rc = seg__state_get(m, &p, end, "centroid",
                      st->cent + (size_t)j * (size_t)st->nf, st->nf, false);
    if (!rc)
        rc = seg__state_get(m, &p, end, "sizes", st->size, st->k, false);
    if (!rc && p != end)
        rc = seg__model_error(m, SEG_EPARSE, "unexpected text in the state");
    return rc;
}

#define STR(n, d, def, ch) {sizeof(seg_param_def), n, SEG_PARAM_STR, d, 0, 0, 0, def, ch}
#define NUM(n, t, d, lo, hi, def) {sizeof(seg_param_def), n, t, d, lo, hi, def, NULL, NULL}
static const seg_param_def km_params[] = {
    STR("features", "columns to cluster on, separated by commas",
        "recency,frequency,monetary_total", NULL),
    STR("log1p", "features to transform by log(1 + x): names, or 'all'", "",
        NULL),
    NUM("standardize", SEG_PARAM_INT, "1: z-score every feature (after "
        "log1p)", 0, 1, 1),
    NUM("k", SEG_PARAM_INT, "number of clusters", 1, 1000, 4),
    NUM("n_init", SEG_PARAM_INT, "k-means++ restarts; the lowest inertia "
        "wins", 1, 10000, 10),
    NUM("seed", SEG_PARAM_INT, "seed of the initialisation", 0,
        9007199254740991.0, 42),
    NUM("max_iter", SEG_PARAM_INT, "iteration limit of a run", 1, 1000000,
        300),
    NUM("threads", SEG_PARAM_INT, "threads sharing the n_init runs; 0: one "
        "per processor (the result is the same for any number)", 0, 64, 0),
    NUM("tol", SEG_PARAM_F64, "stop a run when the centres move less than "
        "this, relative to the features' variance (as scikit-learn); 0: "
        "only when no assignment changes", 0, 1, 1e-4),
    STR("init", "initial centroids in the transformed space: 'x,y;x,y' (one "
        "row per cluster); empty: k-means++", "", NULL),
    NUM("k_max", SEG_PARAM_INT, "silhouette report: the largest k tried", 2,
        100, 8),
    NUM("sample", SEG_PARAM_INT, "silhouette report: customers sampled", 10,
        100000, 2000),
};
#undef STR
#undef NUM

const seg_model_class seg__kmeans_class = {
    sizeof(seg_model_class), "kmeans",
    "k-means clusters over numeric columns (k-means++, Hamerly)", km_params,
    sizeof km_params / sizeof *km_params, sizeof(seg_param_def), km_create,
    km_destroy, km_fit, km_score, km_save, km_load, km_result_name, km_result,
    NULL, km_report};
