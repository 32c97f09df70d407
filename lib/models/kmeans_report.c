/* The reports of a k-means model: "profile" (each cluster's size, share
 * and centre in the features' units) and "silhouette" (the mean
 * silhouette of a seeded sample for k = 2 .. k_max). Each is built as a
 * table; the report callback writes that table. */
#include <math.h>
#include <string.h>

#include "models/kmeans.h"

/* Columns cluster, size, share, then one a feature. */
static int profile_table(const seg__km_state *st, seg_table **out)
{
    size_t nc = 3 + (size_t)st->nf;
    const char *names[3 + MAX_F] = {"cluster", "size", "share"};
    int types[3 + MAX_F];
    for (size_t c = 0; c < nc; c++)
        types[c] = SEG_COLUMN_NUMERIC;
    for (int f = 0; f < st->nf; f++)
        names[3 + f] = st->names[f];
    seg_table *t = NULL;
    int rc = seg__table_new(&t, "profile", nc, names, types);
    for (int j = 0; j < st->k && !rc; j++) {
        size_t r;
        rc = seg__table_add_row(t, &r);
        if (!rc)
            rc = seg__table_set_num(t, r, 0, j);
        if (!rc)
            rc = seg__table_set_num(t, r, 1, st->size[j]);
        if (!rc)
            rc = seg__table_set_num(
                t, r, 2, seg__report_round(st->size[j] / st->fitted, 6));
        for (int f = 0; f < st->nf && !rc; f++) {
            double v = st->cent[(size_t)j * (size_t)st->nf + (size_t)f] *
                           st->sd[f] + st->mean[f];
            if (st->logf[f])
                v = expm1(v);
            rc = seg__table_set_num(t, r, 3 + (size_t)f,
                                    seg__report_round(v, 10));
        }
    }
    if (rc) {
        seg_table_free(t);
        return rc;
    }
    *out = t;
    return SEG_OK;
}

/* The mean silhouette of the n points of X in the k clusters a. */
static double mean_silhouette(const double *X, size_t n, int nf, int k,
                              const int *a, const double *size, double *sum)
{
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        memset(sum, 0, (size_t)k * sizeof *sum);
        for (size_t j = 0; j < n; j++)
            if (j != i)
                sum[a[j]] += sqrt(seg__km_dist2(X + i * (size_t)nf,
                                                X + j * (size_t)nf, nf));
        double own = size[a[i]] > 1 ? sum[a[i]] / (size[a[i]] - 1) : 0;
        double other = INFINITY;
        for (int j = 0; j < k; j++)
            if (j != a[i] && size[j] > 0)
                other = fmin(other, sum[j] / size[j]);
        double mx = fmax(own, other);
        total += size[a[i]] > 1 && mx > 0 ? (other - own) / mx : 0;
    }
    return total / (double)n;
}

/* A seeded sample of the matrix rows, the same on every call: its size. */
static size_t sample(const seg_model *m, int nf, double *X, size_t n)
{
    size_t want = (size_t)seg__param_num(m, "sample");
    uint64_t rng = (uint64_t)seg__param_num(m, "seed") ^ 0x5EEDull;
    for (size_t i = 0; i < n && i < want; i++) {
        size_t j = i + (size_t)(seg__km_next_unit(&rng) * (double)(n - i));
        for (int f = 0; f < nf; f++) {
            double t = X[i * (size_t)nf + (size_t)f];
            X[i * (size_t)nf + (size_t)f] = X[j * (size_t)nf + (size_t)f];
            X[j * (size_t)nf + (size_t)f] = t;
        }
    }
    return n > want ? want : n;
}

/* Columns k, silhouette, inertia; *sampled is the sample's size. */
static int silhouette_table(const seg_model *m, const seg__km_state *st,
                            const seg_dataset *ds, seg_table **out,
                            size_t *sampled)
{
    if (!ds)
        return seg__model_error(m, SEG_EINVAL, "silhouette: dataset is "
                                "NULL");
    double *X = NULL;
    size_t *rows = NULL, n = 0;
    int rc = seg__km_matrix(m, st, ds, false, NULL, &X, &rows, &n);
    if (rc)
        return rc;
    n = sample(m, st->nf, X, n);
    int kmax = (int)seg__param_num(m, "k_max");
    static const char *const names[3] = {"k", "silhouette", "inertia"};
    static const int types[3] = {SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC,
                                 SEG_COLUMN_NUMERIC};
    seg_table *t = NULL;
    double *c = seg__malloc((size_t)kmax * (size_t)st->nf * sizeof *c);
    double *size = seg__malloc((size_t)kmax * sizeof *size);
    int *a = seg__malloc((n ? n : 1) * sizeof *a);
    double *sum = seg__malloc((size_t)kmax * sizeof *sum);
    if (!c || !size || !a || !sum)
        rc = SEG_ENOMEM;
    if (!rc)
        rc = seg__table_new(&t, "silhouette", 3, names, types);
    for (int k = 2; k <= kmax && (size_t)k < n && !rc; k++) {
        double inertia, iters;
        rc = seg__km_cluster(m, X, n, st->nf, k, c, size, &inertia, &iters,
                             a);
        size_t r;
        if (!rc)
            rc = seg__table_add_row(t, &r);
        if (!rc)
            rc = seg__table_set_num(t, r, 0, k);
        if (!rc)
            rc = seg__table_set_num(
                t, r, 1,
                seg__report_round(
                    mean_silhouette(X, n, st->nf, k, a, size, sum), 6));
        if (!rc)
            rc = seg__table_set_num(t, r, 2, seg__report_round(inertia, 10));
    }
    seg__free(c);
    seg__free(size);
    seg__free(a);
    seg__free(sum);
    seg__free(X);
    seg__free(rows);
    if (rc) {
        seg_table_free(t);
        return rc;
    }
    *out = t;
    *sampled = n;
    return SEG_OK;
}

static int build(const seg__km_state *st, const seg_model *m,
                 const seg_dataset *ds, const char *report, seg_table **out,
                 size_t *sampled)
{
    int rc;
    if (strcmp(report, "profile") == 0)
        rc = profile_table(st, out);
    else if (strcmp(report, "silhouette") == 0)
        rc = silhouette_table(m, st, ds, out, sampled);
    else
        return SEG_ENOTFOUND;
    if (rc == SEG_ENOMEM)
        rc = seg__model_error(m, rc, "out of memory");
    return rc;
}

int seg__km_report_table(void *state, const seg_model *m,
                         const seg_dataset *ds, const char *report,
                         seg_table **out)
{
    size_t sampled;
    return build(state, m, ds, report, out, &sampled);
}

/* {"clusters":[{"cluster":J,"size":N,"share":S,"centroid":{...}},...]} */
static void write_profile_json(seg__writer *w, const seg_table *t)
{
    size_t nc = seg_table_column_count(t);
    seg__w_str(w, "{\"clusters\":[");
    for (size_t r = 0; r < seg_table_row_count(t); r++) {
        seg__w_str(w, r ? ",\n{" : "\n{");
        seg__report_json_members(w, t, r, 0, 3);
        seg__w_str(w, ",\"centroid\":{");
        seg__report_json_members(w, t, r, 3, nc);
        seg__w_str(w, "}}");
    }
    seg__w_str(w, "\n]}\n");
}

/* The k of the best mean silhouette (the first of equals), 0 for none. */
static int best_k(const seg_table *t)
{
    int best = 0;
    double best_s = -2;
    for (size_t r = 0; r < seg_table_row_count(t); r++) {
        double s = seg_table_f64(t, r, 1);
        if (s > best_s) {
            best_s = s;
            best = (int)seg_table_f64(t, r, 0);
        }
    }
    return best;
}

/* CSV: the table, then "best,K,"; JSON: {"k":[...],"best_k":K,
 * "sample":N}. */
static void write_silhouette(seg__writer *w, const seg_table *t,
                             size_t sampled)
{
    if (w->format != SEG_FORMAT_JSON) {
        seg__table_write(w, t);
        seg__w_printf(w, "best,%d,\n", best_k(t));
        return;
    }
    seg__w_str(w, "{\"k\":[");
    for (size_t r = 0; r < seg_table_row_count(t); r++) {
        seg__w_str(w, r ? ",{" : "{");
        seg__report_json_members(w, t, r, 0, 3);
        seg__w_str(w, "}");
    }
    seg__w_printf(w, "],\"best_k\":%d,\"sample\":%zu}\n", best_k(t),
                  sampled);
}

int seg__km_report(void *state, const seg_model *m, const seg_dataset *ds,
                   const char *report, int format, seg_write_fn write,
                   void *wud, void *ud)
{
    (void)ud;
    seg_table *t = NULL;
    size_t sampled = 0;
    int rc = build(state, m, ds, report, &t, &sampled);
    if (rc)
        return rc;
    seg__writer w;
    seg__w_init(&w, format, write, wud);
    if (strcmp(report, "silhouette") == 0)
        write_silhouette(&w, t, sampled);
    else if (format == SEG_FORMAT_JSON)
        write_profile_json(&w, t);
    else
        seg__table_write(&w, t);
    seg_table_free(t);
    rc = seg__w_finish(&w, NULL);
    return rc ? seg__report_write_error(m, report, rc) : SEG_OK;
}
