/* The fitting rows of the customer-base fits: customers with identical
 * histories merged into one weighted row, sorted, through the ranks of
 * their distinct values. */
#include <math.h>
#include <stdbool.h>
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
 * distinct values of its column and the histories are sorted by the
 * combined rank with passes of a radix sort instead of a comparison sort
 * of the doubles, which cost more than the fit. Counts and days, the
 * usual values, are whole numbers in a short range: their ranks come
 * from a table indexed by the value, without hashing or sorting. Other
 * values (a mean spend) are hashed, and their distinct values sorted by
 * the bits of the doubles, as a comparison sort of hundreds of thousands
 * of them costs more than the rest of the merge. */

static size_t hash_slot(double x, int bits)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return (size_t)((u * 0x9E3779B97F4A7C15u) >> (64 - bits));
}

/* An unsigned number in the order of the doubles (not NaN, not -0). */
static uint64_t order_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u >> 63 ? ~u : u | (uint64_t)1 << 63;
}

/* The n distinct doubles v sorted, and the place of each of them (by its
 * index) into place[]; tmp holds 2 n numbers of scratch. A stable radix
 * sort of their ordered bits, 16 a pass (8 for fewer values, whose
 * counts would cost more than the sort), the passes where all share the
 * digit skipped. */
static void sort_distinct(const double *v, size_t n, uint32_t *place,
                          double *out, uint64_t *tmp, uint32_t *ids,
                          uint32_t *ids2, size_t *count)
{
    uint64_t *k1 = tmp, *k2 = tmp + n;
    int digit = n > 65536 ? 16 : 8;
    size_t nb = (size_t)1 << digit, mask = nb - 1;
    for (size_t j = 0; j < n; j++) {
        k1[j] = order_bits(v[j]);
        ids[j] = (uint32_t)j;
    }
    for (int shift = 0; shift < 64; shift += digit) {
        memset(count, 0, (nb + 1) * sizeof *count);
        for (size_t j = 0; j < n; j++)
            count[((k1[j] >> shift) & mask) + 1]++;
        if (count[((k1[0] >> shift) & mask) + 1] == n)
            continue;
        for (size_t b = 0; b < nb; b++)
            count[b + 1] += count[b];
        for (size_t j = 0; j < n; j++) {
            size_t at = count[(k1[j] >> shift) & mask]++;
            k2[at] = k1[j];
            ids2[at] = ids[j];
        }
        uint64_t *tk = k1;
        k1 = k2;
        k2 = tk;
        uint32_t *ti = ids;
        ids = ids2;
        ids2 = ti;
    }
    for (size_t j = 0; j < n; j++) {
        out[j] = v[ids[j]];
        place[ids[j]] = (uint32_t)j;
    }
}

/* Whole numbers in a range of at most this many values past the row
 * count take the table; beyond, its pages would cost more than hashing. */
#define RANGE_SLACK 65536

/* The ranks of whole numbers in a short range, by a table indexed by the
 * value; SEG_EINVAL (rank[] scratch, nothing else done) where the values
 * are not such. The first pass keeps each value in rank[], so that the
 * others read 4 bytes a value instead of the doubles. */
static int ranks_by_table(const double *v, size_t n, size_t stride,
                          size_t max, uint32_t *rank, double **sorted,
                          size_t *nv)
{
    const double lim = 2147483647.0;
    int32_t lo = 0, hi = 0;
    size_t limit = n + RANGE_SLACK;
    for (size_t i = 0; i < n; i++) {
        double x = v[i * stride];
        if (!(x >= -lim && x <= lim) || (double)(int32_t)x != x)
            return SEG_EINVAL;
        int32_t k = (int32_t)x;
        if (i == 0 || k < lo)
            lo = k;
        if (i == 0 || k > hi)
            hi = k;
        if ((int64_t)hi - lo >= (int64_t)limit)
            return SEG_EINVAL;
        rank[i] = (uint32_t)k;
    }
    int64_t base = lo;
    size_t range = n ? (size_t)((int64_t)hi - base) + 1 : 1;
    uint32_t *tab = seg__calloc(range, sizeof *tab);
    if (!tab)
        return SEG_ENOMEM;
    for (size_t i = 0; i < n; i++)
        tab[(int64_t)(int32_t)rank[i] - base] = 1;
    size_t nd = 0;
    for (size_t j = 0; j < range; j++)
        if (tab[j])
            tab[j] = (uint32_t)++nd;
    int rc = nd > max ? SEG_ERANGE : SEG_OK;
    double *vals = NULL;
    if (!rc && sorted && !(vals = seg__malloc((nd ? nd : 1) * sizeof *vals)))
        rc = SEG_ENOMEM;
    if (!rc) {
        for (size_t j = 0; j < range && vals; j++)
            if (tab[j])
                vals[tab[j] - 1] = (double)(base + (int64_t)j);
        for (size_t i = 0; i < n; i++)
            rank[i] = tab[(int64_t)(int32_t)rank[i] - base] - 1;
        *nv = nd;
        if (sorted)
            *sorted = vals;
    }
    seg__free(tab);
    return rc;
}

/* The distinct values renumbered in their order: first[] (nd of them,
 * in the order first seen) sorted, and remap[] the rank of each. */
static int order_distinct(const double *first, size_t nd, uint32_t *remap,
                          double **vals)
{
    size_t nn = nd ? nd : 1;
    *vals = seg__malloc(nn * sizeof **vals);
    uint64_t *tmp = seg__malloc(2 * nn * sizeof *tmp);
    uint32_t *ids = seg__malloc(2 * nn * sizeof *ids);
    size_t *count = seg__malloc(65537 * sizeof *count);
    int rc = *vals && tmp && ids && count ? SEG_OK : SEG_ENOMEM;
    if (!rc && nd)
        sort_distinct(first, nd, remap, *vals, tmp, ids, ids + nn, count);
    seg__free(tmp);
    seg__free(ids);
    seg__free(count);
    if (rc) {
        seg__free(*vals);
        *vals = NULL;
    }
    return rc;
}

int seg__clv_ranks(const double *v, size_t n, size_t stride, size_t max,
                   uint32_t *rank, double **sorted, size_t *nv)
{
    if (max > n)
        max = n;
    if (max > UINT32_MAX / 4)
        return SEG_ERANGE;
    int rc = ranks_by_table(v, n, stride, max, rank, sorted, nv);
    if (rc != SEG_EINVAL)
        return rc;
    /* the table grows with the distinct values, which are usually few:
     * one sized for every value would cost its pages on every call */
    int bits = 6;
    size_t cap = (size_t)1 << bits, nd = 0;
    uint32_t *slot = seg__calloc(cap, sizeof *slot); /* id + 1, 0 empty */
    double *first = seg__malloc((max ? max : 1) * sizeof *first);
    uint32_t *remap = seg__malloc((max ? max : 1) * sizeof *remap);
    rc = slot && first && remap ? SEG_OK : SEG_ENOMEM;
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
    seg__free(slot);
    double *vals = NULL;
    if (!rc)
        rc = order_distinct(first, nd, remap, &vals);
    if (!rc) {
        for (size_t i = 0; i < n; i++)
            rank[i] = remap[rank[i]];
        *nv = nd;
        if (sorted)
            *sorted = vals;
        else
            seg__free(vals);
    }
    seg__free(first);
    seg__free(remap);
    return rc;
}

/* seg__clv_ranks() of one column, as a job. */
typedef struct rank_job {
    const double *v;
    size_t n, stride;
    uint32_t *rank;
    double **sorted;
    size_t *nv;
    int rc;
} rank_job;

static void *rank_column(void *vj)
{
    rank_job *j = vj;
    j->rc = seg__clv_ranks(j->v, j->n, j->stride, j->n, j->rank, j->sorted,
                           j->nv);
    return NULL;
}

/* Columns of this many values and more take a thread each (a thread
 * costs about what the ranks of 5,000 values do). */
#define RANKS_PAR 16384

int seg__clv_ranks_n(int nc, const double *const *v, size_t n,
                     size_t stride, uint32_t *const *rank, double **sorted,
                     size_t *nv, int threads)
{
    rank_job jobs[3];
    if (nc < 1 || nc > 3)
        return SEG_EINVAL;
    for (int c = 0; c < nc; c++)
        jobs[c] = (rank_job){v[c], n, stride, rank[c], &sorted[c], &nv[c],
                             SEG_OK};
    int nt = seg__threads(threads, n, RANKS_PAR);
    if (nt >= 2 && nc > 1) {
        /* a column a thread, the last ones on this thread when fewer */
        seg__jobs side;
        int more = nt - 1 < nc - 1 ? nt - 1 : nc - 1;
        seg__jobs_start(&side, rank_column, jobs + 1, sizeof *jobs, more);
        rank_column(&jobs[0]);
        for (int c = 1 + more; c < nc; c++)
            rank_column(&jobs[c]);
        seg__jobs_wait(&side);
    } else {
        for (int c = 0; c < nc; c++)
            rank_column(&jobs[c]);
    }
    for (int c = 0; c < nc; c++)
        if (jobs[c].rc)
            return jobs[c].rc;
    return SEG_OK;
}

typedef struct columns {
    const double *col[3]; /* value i of column c: col[c][i * stride] */
    size_t stride;
    const double *w; /* weight i: w[i * stride]; NULL: all 1 */
    int threads;     /* for the ranks of the columns, as seg__threads() */
} columns;

/* The bits that hold the numbers 0 .. n - 1. */
static int bits_for(size_t n)
{
    int b = 0;
    while (b < 32 && ((uint64_t)1 << b) < n)
        b++;
    return b;
}

/* comp sorted with its weights w or its ids (NULL: none), a stable LSD
 * radix sort of `bits` bits, 11 a pass; the counts of every pass are
 * taken in one read, and a pass whose digit all share is skipped. The
 * sorted arrays come back in *comp and *w or *id; comp2, w2 and id2 are
 * scratch. */
static void radix_sort(uint32_t **comp, uint32_t **comp2, double **w,
                       double **w2, uint32_t **id, uint32_t **id2, size_t n,
                       int bits, size_t *count)
{
    int passes = n ? (bits + 10) / 11 : 0;
    memset(count, 0, 3 * 2049 * sizeof *count);
    for (size_t i = 0; i < n; i++)
        for (int p = 0; p < passes; p++)
            count[p * 2049 + (((*comp)[i] >> (11 * p)) & 2047) + 1]++;
    for (int p = 0; p < passes; p++) {
        size_t *c = count + p * 2049;
        int shift = 11 * p;
        if (c[((*comp)[0] >> shift & 2047) + 1] == n)
            continue;
        for (size_t b = 0; b < 2048; b++)
            c[b + 1] += c[b];
        uint32_t *from = *comp, *to = *comp2;
        if (*w) {
            double *wf = *w, *wt = *w2;
            for (size_t i = 0; i < n; i++) {
                size_t at = c[(from[i] >> shift) & 2047]++;
                to[at] = from[i];
                wt[at] = wf[i];
            }
            *w2 = wf;
            *w = wt;
        } else if (*id) {
            uint32_t *idf = *id, *idt = *id2;
            for (size_t i = 0; i < n; i++) {
                size_t at = c[(from[i] >> shift) & 2047]++;
                to[at] = from[i];
                idt[at] = idf[i];
            }
            *id2 = idf;
            *id = idt;
        } else {
            for (size_t i = 0; i < n; i++)
                to[c[(from[i] >> shift) & 2047]++] = from[i];
        }
        *comp2 = from;
        *comp = to;
    }
}

/* The ranks of the nc columns of in packed into one 32-bit number a key,
 * comp[i], in the order of cmp_key: bit fields of fb[c] bits, column by
 * column as each column's ranks come, or, mixed, when the fields rounded
 * up to powers of two do not fit but the product of the counts of values
 * does, the number with the ranks as digits (the same order). The sorted
 * distinct values of each column into vals[c] (allocated, also on
 * failure), their counts into nv[c], the bits of the keys into *bits.
 * SEG_ERANGE when the keys do not fit in 32 bits. */
typedef struct packed {
    double *vals[3];
    size_t nv[3];
    int fb[3], bits;
    bool mixed;
} packed;

static int pack_ranks(const columns *in, size_t n, int nc, uint32_t *comp,
                      packed *pk)
{
    *pk = (packed){{NULL, NULL, NULL}, {1, 1, 1}, {0, 0, 0}, 0, false};
    /* the columns' ranks at once, on threads, then packed in order */
    uint32_t *ranks = seg__malloc((n ? n : 1) * (size_t)nc * sizeof *ranks);
    uint32_t *rk[3] = {ranks, NULL, NULL};
    for (int c = 1; c < nc && ranks; c++)
        rk[c] = ranks + (size_t)c * n;
    uint64_t prod = 1;
    int rc = ranks ? SEG_OK : SEG_ENOMEM, bits = 0;
    if (!rc)
        rc = seg__clv_ranks_n(nc, in->col, n, in->stride, rk, pk->vals,
                              pk->nv, in->threads);
    for (int c = 0; c < nc && !rc; c++) {
        const uint32_t *rank = rk[c];
        pk->fb[c] = bits_for(pk->nv[c]);
        prod *= pk->nv[c];
        if (prod > (uint64_t)UINT32_MAX + 1) {
            rc = SEG_ERANGE;
            break;
        }
        if (!pk->mixed && bits + pk->fb[c] > 32) {
            pk->mixed = true;
            /* the fields so far as digits: at most two columns */
            uint32_t m1 = (uint32_t)(((uint64_t)1 << pk->fb[1]) - 1);
            for (size_t i = 0; i < n && c == 2; i++)
                comp[i] = (comp[i] >> pk->fb[1]) * (uint32_t)pk->nv[1] +
                          (comp[i] & m1);
        }
        bits += pk->fb[c];
        for (size_t i = 0; i < n; i++)
            comp[i] = !c         ? rank[i]
                      : pk->mixed ? comp[i] * (uint32_t)pk->nv[c] + rank[i]
                                  : comp[i] << pk->fb[c] | rank[i];
    }
    pk->bits = pk->mixed ? bits_for((size_t)prod) : bits;
    seg__free(ranks);
    return rc;
}

/* The values v[0 .. nc - 1] of the key r of pack_ranks(). */
static void unpack(const packed *pk, int nc, uint32_t r, double *v)
{
    for (int c = nc - 1; c >= 0; c--) {
        if (pk->mixed) {
            v[c] = pk->vals[c][r % (uint32_t)pk->nv[c]];
            r /= (uint32_t)pk->nv[c];
        } else {
            v[c] = pk->vals[c][r & (uint32_t)(((uint64_t)1 << pk->fb[c]) - 1)];
            r = pk->fb[c] < 32 ? r >> pk->fb[c] : 0;
        }
    }
}

/* The keys (the columns of in) merged into out in the order of cmp_key,
 * through the ranks of their values packed by pack_ranks(), sorted with
 * a stable radix sort together with its weight, or alone when every
 * weight is 1 and a row's weight is its count, so that neither the keys
 * nor their order are touched again (a gather of millions of keys in
 * sorted order costs more than the sort); the values come back from the
 * ranks. SEG_ERANGE when the keys do not fit in 32 bits. */
static int merge_by_ranks(const columns *in, size_t n, int nc, rows *out)
{
    uint32_t *comp = seg__malloc(n * sizeof *comp), *comp2 = NULL;
    uint32_t *noid = NULL, *noid2 = NULL;
    double *w = NULL, *w2 = NULL;
    size_t *count = NULL;
    packed pk = {{NULL, NULL, NULL}, {1, 1, 1}, {0, 0, 0}, 0, false};
    int rc = comp ? pack_ranks(in, n, nc, comp, &pk) : SEG_ENOMEM;
    if (!rc) {
        comp2 = seg__malloc(n * sizeof *comp2);
        if (in->w) {
            w = seg__malloc(n * sizeof *w);
            w2 = seg__malloc(n * sizeof *w2);
        }
        count = seg__malloc(3 * 2049 * sizeof *count);
        if (!comp2 || (in->w && (!w || !w2)) || !count)
            rc = SEG_ENOMEM;
    }
    if (!rc) {
        for (size_t i = 0; i < n && w; i++)
            w[i] = in->w[i * in->stride];
        radix_sort(&comp, &comp2, &w, &w2, &noid, &noid2, n, pk.bits, count);
        for (size_t i = 0; i < n; i++) {
            double wi = w ? w[i] : 1;
            if (out->n && comp[i] == comp[i - 1]) {
                out->w[out->n - 1] += wi;
            } else {
                unpack(&pk, nc, comp[i], out->d + out->n * (size_t)nc);
                out->w[out->n++] = wi;
            }
            out->total_w += wi;
        }
    }
    for (int c = 0; c < 3; c++)
        seg__free(pk.vals[c]);
    seg__free(comp);
    seg__free(comp2);
    seg__free(w);
    seg__free(w2);
    seg__free(count);
    return rc;
}

int seg__clv_order_histories(const double *d, size_t n, size_t stride,
                             uint32_t *order, double *sorted, int threads)
{
    if (n > UINT32_MAX)
        return SEG_ERANGE;
    columns in = {{d, d + 2, d + 1}, stride, NULL, threads};
    uint32_t *comp = seg__malloc((n ? n : 1) * sizeof *comp);
    uint32_t *comp2 = seg__malloc((n ? n : 1) * sizeof *comp2);
    uint32_t *id = order, *id2 = seg__malloc((n ? n : 1) * sizeof *id2);
    size_t *count = seg__malloc(3 * 2049 * sizeof *count);
    double *now = NULL, *now2 = NULL;
    packed pk = {{NULL, NULL, NULL}, {1, 1, 1}, {0, 0, 0}, 0, false};
    int rc = comp && comp2 && id2 && count ? pack_ranks(&in, n, 3, comp, &pk)
                                           : SEG_ENOMEM;
    if (!rc) {
        radix_sort(&comp, &comp2, &now, &now2, &id, &id2, n, pk.bits, count);
        if (id != order)
            memcpy(order, id, n * sizeof *order);
        /* the values back from the ranks: columns x, T, t_x of the key
         * into x, t_x, T */
        for (size_t i = 0; i < n; i++) {
            double v[3], *h = sorted + 3 * i;
            unpack(&pk, 3, comp[i], v);
            h[0] = v[0];
            h[1] = v[2];
            h[2] = v[1];
        }
    }
    for (int c = 0; c < 3; c++)
        seg__free(pk.vals[c]);
    seg__free(comp);
    seg__free(comp2);
    seg__free(id == order ? id2 : id);
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
                  sizeof *keys / sizeof(double), &keys[0].w, 1};
    int rc = merge_by_ranks(&in, n, nc, out);
    if (rc != SEG_ERANGE)
        return rc;
    merge_sorted_keys(keys, n, nc, out);
    return SEG_OK;
}

int seg__clv_merge_cols(const double *const *cols, const double *w, size_t n,
                        int nc, rows *out, int threads)
{
    if (alloc_rows(n, nc, out))
        return SEG_ENOMEM;
    columns in = {{cols[0], nc > 1 ? cols[1] : cols[0],
                   nc > 2 ? cols[2] : cols[0]}, 1, w, threads};
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
