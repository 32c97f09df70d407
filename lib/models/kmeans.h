/* What the k-means files share: the fitted state, the feature matrix,
 * the clustering runs, and the seeded generator. Not API. */
#ifndef SEG_MODELS_KMEANS_H
#define SEG_MODELS_KMEANS_H

#include "models/internal.h"

#define MAX_F 64

typedef struct seg__km_state {
    int nf, k;
    char *names[MAX_F];
    bool logf[MAX_F];
    double mean[MAX_F], sd[MAX_F];
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
