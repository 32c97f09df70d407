/* The filtering algorithm of k-means (Kanungo et al., 2002) for few
 * features: a tree of boxes over the points in their spatial order, each
 * box with its points' count and sum. A step takes the boxes from the
 * root down with the centres that may be nearest to some point of the box;
 * a box left with one such centre gives it all its points at once, by its
 * sum, and only the points of boxes that stay shared are searched one by
 * one. The labels are those of the plain Lloyd step: a centre is set aside
 * only where it is farther from every point of the box by a margin well
 * above the rounding of a distance, and the points are searched among the
 * others in the order of the centres, as a search over all of them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/kmeans.h"

/* A node of this many points or fewer is a leaf. */
#define LEAF_POINTS 16

/* The relative margin by which a centre must be farther from a box than
 * the candidate nearest the box's middle to be set aside: far above the
 * rounding of a squared distance over up to SEG__KM_FILTER_MAX_F features
 * (about 1e-15), far below what would keep centres that cannot win. */
#define PRUNE_MARGIN 1e-9

/* A node covers the points [begin, end) of the ordered matrix; its
 * children are left and right, -1 at a leaf. */
typedef struct km_node {
    uint32_t begin, end;
    int32_t left, right;
} km_node;

/* The tree: its nodes, and geo[3 nf i ...], node i's box (low corner, high
 * corner) and the sum of its points. */
struct seg__km_tree {
    size_t n, cap, geo_cap;
    int nf, depth;
    km_node *node;
    double *geo;
};

static int top_bit(uint64_t x)
{
    int b = 0;
    for (int s = 32; s > 0; s /= 2)
        if (x >> s) {
            x >>= s;
            b += s;
        }
    return b;
}

/* The node of points [b, e), whose codes share their bits above the
 * highest one in which the first and last differ: a split there is a
 * split of the grid cell at its middle, so the tree is the cells' tree
 * and its depth is at most the code's 64 bits. Returns the node, or -1
 * when out of memory. */
static int32_t build(seg__km_tree *t, const uint64_t *code, const double *X,
                     uint32_t b, uint32_t e, int depth)
{
    int32_t nf = t->nf;
    if (seg__grow((void **)&t->node, &t->cap, t->n + 1, sizeof *t->node) ||
        seg__grow((void **)&t->geo, &t->geo_cap,
                  3 * (size_t)nf * (t->n + 1), sizeof *t->geo))
        return -1;
    int32_t id = (int32_t)t->n++;
    t->depth = depth > t->depth ? depth : t->depth;
    int32_t l = -1, r = -1;
    if (e - b > LEAF_POINTS && code[b] != code[e - 1]) {
        uint64_t bit = 1ull << top_bit(code[b] ^ code[e - 1]);
        uint32_t lo = b + 1, hi = e - 1; /* the first code with the bit */
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (code[mid] & bit)
                hi = mid;
            else
                lo = mid + 1;
        }
        if ((l = build(t, code, X, b, lo, depth + 1)) < 0 ||
            (r = build(t, code, X, lo, e, depth + 1)) < 0)
            return -1;
    }
    t->node[id] = (km_node){b, e, l, r};
    double *g = t->geo + 3 * (size_t)nf * (size_t)id;
    if (l < 0) {
        for (int f = 0; f < nf; f++) {
            g[f] = INFINITY;
            g[nf + f] = -INFINITY;
            g[2 * nf + f] = 0;
        }
        for (uint32_t i = b; i < e; i++)
            for (int f = 0; f < nf; f++) {
                double v = X[(size_t)i * (size_t)nf + (size_t)f];
                g[f] = v < g[f] ? v : g[f];
                g[nf + f] = v > g[nf + f] ? v : g[nf + f];
                g[2 * nf + f] += v;
            }
    } else {
        const double *gl = t->geo + 3 * (size_t)nf * (size_t)l;
        const double *gr = t->geo + 3 * (size_t)nf * (size_t)r;
        for (int f = 0; f < nf; f++) {
            g[f] = gl[f] < gr[f] ? gl[f] : gr[f];
            g[nf + f] = gl[nf + f] > gr[nf + f] ? gl[nf + f] : gr[nf + f];
            g[2 * nf + f] = gl[2 * nf + f] + gr[2 * nf + f];
        }
    }
    return id;
}

void seg__km_tree_free(seg__km_tree *t)
{
    if (!t)
        return;
    seg__free(t->node);
    seg__free(t->geo);
    seg__free(t);
}

seg__km_tree *seg__km_tree_new(const double *X, const uint64_t *code,
                               size_t n, int nf)
{
    seg__km_tree *t = seg__calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->nf = nf;
    if (n > 0 && build(t, code, X, 0, (uint32_t)n, 0) < 0) {
        seg__km_tree_free(t);
        return NULL;
    }
    return t;
}

/* A run's state for its steps. A node's owner is the centre that took
 * all its points at step stamp; a node met again with the same owner at
 * the next step has labels that cannot have changed. */
typedef struct filter {
    const seg__km_tree *t;
    const double *X, *c;
    int nf, k;
    double *sum, *cnt;
    int *assign, *cand; /* cand: the candidates of each depth, k each */
    uint32_t *stamp;
    int32_t *owner;
    uint32_t step;
    size_t changed;
} filter;

SEG__INLINE void take_whole(filter *s, int32_t node, int j)
{
    const seg__km_tree *t = s->t;
    int nf = s->nf;
    uint32_t b = t->node[node].begin, e = t->node[node].end;
    if (!(s->stamp[node] + 1 == s->step && s->owner[node] == j))
        for (uint32_t i = b; i < e; i++) {
            s->changed += s->assign[i] != j;
            s->assign[i] = j;
        }
    s->stamp[node] = s->step;
    s->owner[node] = j;
    const double *sum = t->geo + 3 * (size_t)nf * (size_t)node + 2 * nf;
    for (int f = 0; f < nf; f++)
        s->sum[(size_t)j * (size_t)nf + (size_t)f] += sum[f];
    s->cnt[j] += (double)(e - b);
}

/* The nearest to x of the nc centres listed in cand, the first of them on
 * a tie, as a search over all the centres in their order. */
SEG__INLINE int nearest_of(const double *x, const double *c, const int *cand,
                           int nc, int nf)
{
    int a = cand[0];
    double da = seg__km_dist2(x, c + (size_t)a * (size_t)nf, nf);
    for (int q = 1; q < nc; q++) {
        double d = seg__km_dist2(x, c + (size_t)cand[q] * (size_t)nf, nf);
        if (d < da) {
            da = d;
            a = cand[q];
        }
    }
    return a;
}

/* The nodes still to visit: a node, its depth and its candidates (nc of
 * them at cand), children before siblings. A node's candidates are the
 * list of its depth, which only its parent writes; the tree is at most 64
 * splits deep, so the stack holds at most one sibling a depth. */
typedef struct pending {
    int32_t node, nc, depth;
} pending;

#define STACK (2 * 64 + 4)

SEG__INLINE void walk_nf(filter *s, int nf)
{
    const seg__km_tree *t = s->t;
    const double *c = s->c;
    pending stack[STACK];
    int top = 0;
    stack[top++] = (pending){0, s->k, 0};
    while (top > 0) {
        pending p = stack[--top];
        int32_t node = p.node;
        const int *cand = s->cand + (size_t)p.depth * (size_t)s->k;
        int nc = p.nc;
        const double *g = t->geo + 3 * (size_t)nf * (size_t)node;
        const double *lo = g, *hi = g + nf;
        if (nc == 1) {
            take_whole(s, node, cand[0]);
            continue;
        }
        /* the candidate nearest to the box's middle, then those that may
         * be nearer than it to some point of the box, in the centres'
         * order */
        double mid[SEG__KM_FILTER_MAX_F], v[SEG__KM_FILTER_MAX_F];
        for (int f = 0; f < nf; f++)
            mid[f] = lo[f] / 2 + hi[f] / 2;
        int best = nearest_of(mid, c, cand, nc, nf);
        const double *cb = c + (size_t)best * (size_t)nf;
        /* the margin counts the box's size too: a point of the box is
         * farther from both centres than the corner is by up to its span */
        double span = 0;
        for (int f = 0; f < nf; f++)
            span += (hi[f] - lo[f]) * (hi[f] - lo[f]);
        int *out = s->cand + (size_t)(p.depth + 1) * (size_t)s->k, no = 0;
        for (int q = 0; q < nc; q++) {
            int z = cand[q];
            const double *cz = c + (size_t)z * (size_t)nf;
            if (z != best) {
                /* the box's corner most in z's direction: where z comes
                 * nearest to beating the best */
                for (int f = 0; f < nf; f++)
                    v[f] = cz[f] > cb[f] ? hi[f] : lo[f];
                double dz = seg__km_dist2(v, cz, nf);
                double db = seg__km_dist2(v, cb, nf);
                if (dz - db > PRUNE_MARGIN * (dz + db + 2 * span))
                    continue;
            }
            out[no++] = z;
        }
        if (no == 1) {
            take_whole(s, node, best);
            continue;
        }
        s->stamp[node] = s->step;
        s->owner[node] = -1;
        int32_t l = t->node[node].left, r = t->node[node].right;
        if (l >= 0) {
            stack[top++] = (pending){r, no, p.depth + 1};
            stack[top++] = (pending){l, no, p.depth + 1};
            continue;
        }
        for (uint32_t i = t->node[node].begin; i < t->node[node].end; i++) {
            const double *xi = s->X + (size_t)i * (size_t)nf;
            int a = nearest_of(xi, c, out, no, nf);
            s->changed += s->assign[i] != a;
            s->assign[i] = a;
            for (int f = 0; f < nf; f++)
                s->sum[(size_t)a * (size_t)nf + (size_t)f] += xi[f];
            s->cnt[a]++;
        }
    }
}

/* One step: every point's nearest centre, the clusters' sums and counts
 * of the new labels; returns how many labels changed. */
static size_t step(filter *s)
{
    memset(s->sum, 0, (size_t)s->k * (size_t)s->nf * sizeof *s->sum);
    memset(s->cnt, 0, (size_t)s->k * sizeof *s->cnt);
    for (int j = 0; j < s->k; j++)
        s->cand[j] = j;
    s->step++;
    s->changed = 0;
    if (s->t->n == 0)
        return 0;
    switch (s->nf) {
    case 2:
        walk_nf(s, 2);
        break;
    case 3:
        walk_nf(s, 3);
        break;
    default:
        walk_nf(s, s->nf);
        break;
    }
    return s->changed;
}

size_t seg__km_filter_work(const seg__km_tree *t, int k)
{
    /* the nodes' stamps and owners, then the candidates of each depth */
    return t->n * (sizeof(uint32_t) + sizeof(int32_t)) +
           (size_t)(t->depth + 2) * (size_t)k * sizeof(int);
}

double seg__km_filter(const seg__km_tree *t, const double *X, size_t n,
                      int k, double *c, int *assign, int max_iter,
                      double tol, double *iters, double *size, double *work,
                      void *nodes)
{
    int nf = t->nf;
    double *sum = work, *cnt = sum + (size_t)k * (size_t)nf, *mv = cnt + k;
    uint32_t *stamp = nodes;
    int32_t *owner = (int32_t *)(stamp + t->n);
    /* stamps start at 0 and the first step is 2: no node has an owner */
    filter s = {t, X, c, nf, k, sum, cnt, assign, (int *)(owner + t->n),
                stamp, owner, 1, 0};
    memset(stamp, 0, t->n * sizeof *stamp);
    for (size_t i = 0; i < n; i++)
        assign[i] = -1;
    step(&s);
    seg__progress *prog = seg__progress_current();
    int it = 0;
    for (; it < max_iter; it++) {
        if (seg__progress_add(prog, 1))
            break;
        double shift2 = seg__km_new_centres(sum, cnt, c, k, nf, mv);
        if (step(&s) == 0 || (tol > 0 && shift2 <= tol)) {
            it++;
            break;
        }
    }
    *iters = it;
    return seg__km_inertia(X, n, nf, k, c, assign, size);
}
