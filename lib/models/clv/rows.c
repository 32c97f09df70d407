/* The fitting rows of the customer-base fits: customers with identical
 * histories merged into one weighted row, sorted, through the ranks of
 * their distinct values. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models/clv/internal.h"

typedef seg__clv_rows rows;
typedef seg__clv_key key;

static int cmp_key(const void *a, const void *b)
{
    const key *x = a, *y = b;
    for (int i = 0; i < 3; i++)
        if (x->k[i] != y->k[i])
            return x->k[i] < y->k[i] ? -1 : 1;
    return 0;
}

/* ---- sorting histories ----
 *
 * A million customers have few distinct values of each of x, t_x and T
 * (hundreds to thousands): each value is replaced by its rank among the
 * distinct values of its column, found by hashing, and the histories are
 * sorted by the combined rank with two passes of a radix sort instead of
 * a comparison sort of the doubles, which cost more than the fit. */

typedef struct valued {
    double v;
    uint32_t id;
} valued;

static int cmp_valued(const void *a, const void *b)
{
    double x = ((const valued *)a)->v, y = ((const valued *)b)->v;
    return x < y ? -1 : x > y;
}

static size_t hash_slot(double x, int bits)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return (size_t)((u * 0x9E3779B97F4A7C15u) >> (64 - bits));
}

int seg__clv_ranks(const double *v, size_t n, size_t stride, size_t max,
                   uint32_t *rank, double **sorted, size_t *nv)
{
    if (max > n)
        max = n;
    if (max > UINT32_MAX / 4)
        return SEG_ERANGE;
    /* the table grows with the distinct values, which are usually few:
     * one sized for every value would cost its pages on every call */
    int bits = 6;
    size_t cap = (size_t)1 << bits, nd = 0;
    uint32_t *slot = seg__calloc(cap, sizeof *slot); /* id + 1, 0 empty */
    double *first = seg__malloc((max ? max : 1) * sizeof *first);
    uint32_t *remap = seg__malloc((max ? max : 1) * sizeof *remap);
    int rc = slot && first && remap ? SEG_OK : SEG_ENOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        double x = v[i * stride] + 0.0; /* -0 and 0 are one value */
        size_t h = hash_slot(x, bits);
        while (slot[h] && first[slot[h] - 1] != x)
            h = (h + 1) & (cap - 1);
        uint32_t id = slot[h] - 1;
        if (!slot[h]) {
            if (nd == max) {
                rc = SEG_ERANGE;
                break;
            }
            first[nd] = x;
            id = (uint32_t)nd;
            slot[h] = (uint32_t)++nd;
            if (2 * nd + 2 > cap) {
                uint32_t *bigger = seg__calloc(2 * cap, sizeof *bigger);
                if (!bigger) {
                    rc = SEG_ENOMEM;
                    break;
                }
                seg__free(slot);
                slot = bigger;
                cap *= 2;
                bits++;
                for (size_t j = 0; j < nd; j++) {
                    size_t g = hash_slot(first[j], bits);
                    while (slot[g])
                        g = (g + 1) & (cap - 1);
                    slot[g] = (uint32_t)(j + 1);
                }
            }
        }
        rank[i] = id;
    }
    if (!rc) {
        /* the first-seen ids, renumbered in the order of the values */
        double *vals = seg__malloc((nd ? nd : 1) * sizeof *vals);
        valued *order = seg__malloc((nd ? nd : 1) * sizeof *order);
        if (!vals || !order) {
            seg__free(vals);
            rc = SEG_ENOMEM;
        } else {
            for (size_t j = 0; j < nd; j++)
                order[j] = (valued){first[j], (uint32_t)j};
            qsort(order, nd, sizeof *order, cmp_valued);
            for (size_t j = 0; j < nd; j++) {
                vals[j] = order[j].v;
                remap[order[j].id] = (uint32_t)j;
            }
            for (size_t i = 0; i < n; i++)
                rank[i] = remap[rank[i]];
            *nv = nd;
            if (sorted)
                *sorted = vals;
            else
                seg__free(vals);
        }
        seg__free(order);
    }
    seg__free(slot);
    seg__free(first);
    seg__free(remap);
    return rc;
}

typedef struct columns {
    const double *col[3]; /* value i of column c: col[c][i * stride] */
    size_t stride;
    const double *w; /* weight i: w[i * stride]; NULL: all 1 */
} columns;

/* The keys (the columns of in) merged into out in the order of cmp_key,
 * through the ranks of their values: each key becomes one 32-bit number,
 * the ranks combined, sorted with a stable radix sort together with its
 * weight, so that neither the keys nor their order are touched again
 * (a gather of millions of keys in sorted order costs more than the
 * sort); the values come back from the ranks. SEG_ERANGE when the
 * combined ranks do not fit in 32 bits. */
static int merge_by_ranks(const columns *in, size_t n, int nc, rows *out)
{
    uint32_t *rank[3] = {NULL, NULL, NULL}, *comp = NULL, *comp2 = NULL;
    double *vals[3] = {NULL, NULL, NULL}, *w = NULL, *w2 = NULL;
    size_t nv[3] = {1, 1, 1}, *count = NULL;
    int rc = SEG_OK;
    for (int c = 0; c < nc && !rc; c++) {
        if (!(rank[c] = seg__malloc(n * sizeof **rank)))
            rc = SEG_ENOMEM;
        else
            rc = seg__clv_ranks(in->col[c], n, in->stride, n, rank[c],
                                &vals[c], &nv[c]);
    }
    double combined = (double)nv[0] * (double)nv[1] * (double)nv[2];
    if (!rc && combined > UINT32_MAX)
        rc = SEG_ERANGE;
    if (!rc) {
        comp = seg__malloc(n * sizeof *comp);
        comp2 = seg__malloc(n * sizeof *comp2);
        w = seg__malloc(n * sizeof *w);
        w2 = seg__malloc(n * sizeof *w2);
        count = seg__malloc(2049 * sizeof *count);
        if (!comp || !comp2 || !w || !w2 || !count)
            rc = SEG_ENOMEM;
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++) {
            comp[i] = (uint32_t)((rank[0][i] * nv[1] +
                                  (nc > 1 ? rank[1][i] : 0)) * nv[2] +
                                 (nc > 2 ? rank[2][i] : 0));
            w[i] = in->w ? in->w[i * in->stride] : 1;
        }
        int bits = 0;
        while (bits < 32 && ((double)((uint64_t)1 << bits)) < combined)
            bits++;
        /* stable LSD radix sort, 11 bits a pass */
        for (int shift = 0; shift < bits; shift += 11) {
            memset(count, 0, 2049 * sizeof *count);
            for (size_t i = 0; i < n; i++)
                count[((comp[i] >> shift) & 2047) + 1]++;
            for (size_t b = 0; b < 2048; b++)
                count[b + 1] += count[b];
            for (size_t i = 0; i < n; i++) {
                size_t at = count[(comp[i] >> shift) & 2047]++;
                comp2[at] = comp[i];
                w2[at] = w[i];
            }
            uint32_t *tc = comp;
            comp = comp2;
            comp2 = tc;
            double *tw = w;
            w = w2;
            w2 = tw;
        }
        for (size_t i = 0; i < n; i++) {
            if (out->n && comp[i] == comp[i - 1]) {
                out->w[out->n - 1] += w[i];
            } else {
                size_t r = comp[i];
                double *d = out->d + out->n * (size_t)nc;
                for (int c = nc - 1; c >= 0; c--) {
                    d[c] = vals[c][r % nv[c]];
                    r /= nv[c];
                }
                out->w[out->n++] = w[i];
            }
            out->total_w += w[i];
        }
    }
    for (int c = 0; c < 3; c++) {
        seg__free(rank[c]);
        seg__free(vals[c]);
    }
    seg__free(comp);
    seg__free(comp2);
    seg__free(w);
    seg__free(w2);
    seg__free(count);
    return rc;
}

static int alloc_rows(size_t n, int nc, rows *out)
{
    out->d = seg__malloc(n * (size_t)nc * sizeof *out->d);
    out->w = seg__malloc(n * sizeof *out->w);
    out->n = 0;
    out->total_w = 0;
    return out->d && out->w ? SEG_OK : SEG_ENOMEM;
}

static void merge_sorted_keys(key *keys, size_t n, int nc, rows *out)
{
    qsort(keys, n, sizeof *keys, cmp_key);
    for (size_t i = 0; i < n; i++) {
        if (out->n && cmp_key(&keys[i], &keys[i - 1]) == 0) {
            out->w[out->n - 1] += keys[i].w;
        } else {
            memcpy(out->d + out->n * (size_t)nc, keys[i].k,
                   (size_t)nc * sizeof *out->d);
            out->w[out->n++] = keys[i].w;
        }
        out->total_w += keys[i].w;
    }
}

/* The n keys (n > 0) merged into rows sorted as cmp_key sorts them: by
 * ranks, or where there are too many distinct values for that, by qsort. */
int seg__clv_merge_keys(key *keys, size_t n, int nc, rows *out)
{
    if (alloc_rows(n, nc, out))
        return SEG_ENOMEM;
    columns in = {{&keys[0].k[0], &keys[0].k[1], &keys[0].k[2]},
                  sizeof *keys / sizeof(double), &keys[0].w};
    int rc = merge_by_ranks(&in, n, nc, out);
    if (rc != SEG_ERANGE)
        return rc;
    merge_sorted_keys(keys, n, nc, out);
    return SEG_OK;
}

int seg__clv_merge_cols(double *const *cols, const double *w, size_t n,
                        int nc, rows *out)
{
    if (alloc_rows(n, nc, out))
        return SEG_ENOMEM;
    columns in = {{cols[0], nc > 1 ? cols[1] : cols[0],
                   nc > 2 ? cols[2] : cols[0]}, 1, w};
    int rc = merge_by_ranks(&in, n, nc, out);
    if (rc != SEG_ERANGE)
        return rc;
    /* too many distinct values for the ranks: as keys, by qsort */
    key *keys = seg__malloc(n * sizeof *keys);
    if (!keys)
        return SEG_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        key k = {{0, 0, 0}, w ? w[i] : 1};
        for (int c = 0; c < nc; c++)
            k.k[c] = cols[c][i];
        keys[i] = k;
    }
    merge_sorted_keys(keys, n, nc, out);
    seg__free(keys);
    return SEG_OK;
}
