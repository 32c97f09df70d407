/* What the k-means files share: the fitted state, the feature matrix,
 * the clustering runs, and the seeded generator. Not API. */
#ifndef SEG_MODELS_KMEANS_H
#define SEG_MODELS_KMEANS_H

#include <math.h>

#include "models/internal.h"

#define SEG__KM_MAX_F 64

typedef struct seg__km_state {
    int nf, k;
    char *names[SEG__KM_MAX_F];
    bool logf[SEG__KM_MAX_F];
    double mean[SEG__KM_MAX_F], sd[SEG__KM_MAX_F];
    double *cent;      /* k x nf, transformed space */
    double *size;      /* k */
    double inertia, iterations, fitted, missing;
} seg__km_state;

/* ---- a small seeded generator (splitmix64) ---- */

static inline uint64_t seg__km_next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline double seg__km_next_unit(uint64_t *s)
{
    return (double)(seg__km_next_u64(s) >> 11) / 9007199254740992.0;
}

static inline double seg__km_dist2(const double *a, const double *b, int nf)
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

/* The new centres of clusters with the sums and counts given (a cluster
 * with no point keeps its centre); mv[j] gets centre j's move. Returns the
 * sum of the squared moves. */
static inline double seg__km_new_centres(const double *sum, const double *cnt,
                                         double *c, int k, int nf, double *mv)
{
    double shift2 = 0;
    for (int j = 0; j < k; j++) {
        double *cj = c + (size_t)j * (size_t)nf, moved = 0;
        if (cnt[j] > 0) {
            for (int f = 0; f < nf; f++) {
                double v = sum[(size_t)j * (size_t)nf + (size_t)f] / cnt[j];
                moved += (v - cj[f]) * (v - cj[f]);
                cj[f] = v;
            }
        }
        mv[j] = sqrt(moved);
        shift2 += moved;
    }
    return shift2;
}

/* The inertia of the labels given, and each cluster's size. */
static inline double seg__km_inertia(const double *X, size_t n, int nf, int k,
                                     const double *c, const int *assign,
                                     double *size)
{
    double inertia = 0;
    for (int j = 0; j < k; j++)
        size[j] = 0;
    for (size_t i = 0; i < n; i++) {
        inertia += seg__km_dist2(X + i * (size_t)nf,
                                 c + (size_t)assign[i] * (size_t)nf, nf);
        size[assign[i]]++;
    }
    return inertia;
}

/* ---- the filtering algorithm, for few features (kmeans_filter.c) ---- */

/* Up to this many features the runs filter over a tree of boxes; beyond,
 * the boxes rarely set a centre aside and Hamerly's bounds do better. */
#define SEG__KM_FILTER_MAX_F 4

typedef struct seg__km_tree seg__km_tree;

/* The tree of the n points of X, in the spatial order whose codes (sorted)
 * are given; NULL when out of memory. */
seg__km_tree *seg__km_tree_new(const double *X, const uint64_t *code,
                               size_t n, int nf);
void seg__km_tree_free(seg__km_tree *t);

/* The bytes of the nodes' scratch a run needs. */
size_t seg__km_filter_work(const seg__km_tree *t, int k);

/* One run of Lloyd's algorithm by filtering, from the centres in c, over
 * the tree's points X: the labels in assign, the inertia returned, the
 * iterations in *iters and the sizes in size. work holds k x (nf + 2)
 * doubles, nodes seg__km_filter_work() bytes. Stops as hamerly() does:
 * when no label changes, or the centres moved less than tol. */
double seg__km_filter(const seg__km_tree *t, const double *X, size_t n,
                      int k, double *c, int *assign, int max_iter,
                      double tol, double *iters, double *size, double *work,
                      void *nodes);

/* The transformed feature matrix of the complete rows; row_of[i] is the
 * customer of matrix row i. With learn, the transform is learnt into
 * *learned. */
int seg__km_matrix(const seg_model *m, const seg__km_state *st,
                   const seg_dataset *ds, bool learn, seg__km_state *learned,
                   double **X, size_t **row_of, size_t *nrows);
/* Best of n_init seeded runs of k clusters over X (n x nf); assign, when
 * not NULL, gets each row's cluster. */
int seg__km_cluster(const seg_model *m, const double *X, size_t n, int nf,
                    int k, double *best_c, double *best_size,
                    double *best_inertia, double *best_iters, int *assign);

/* The class's report callback: "profile" and "silhouette". */
int seg__km_report(void *state, const seg_model *m, const seg_dataset *ds,
                   const char *report, int format, seg_write_fn write,
                   void *wud, void *ud);

#endif /* SEG_MODELS_KMEANS_H */
