/* The reports of a k-means model: "profile" (each cluster's size, share
 * and centre in the features' units) and "silhouette" (the mean
 * silhouette of a seeded sample for k = 2 .. k_max). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/kmeans.h"

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

static int profile(const seg__km_state *st, int format, seg__buf *b)
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

static int silhouette(const seg_model *m, const seg__km_state *st,
                      const seg_dataset *ds, int format, seg__buf *b)
{
    double *X = NULL;
    size_t *rows = NULL, n = 0;
    int rc = seg__km_matrix(m, st, ds, false, NULL, &X, &rows, &n);
    if (rc)
        return rc;
    /* a seeded sample, the same on every call */
    size_t want = (size_t)seg__param_num(m, "sample");
    uint64_t rng = (uint64_t)seg__param_num(m, "seed") ^ 0x5EEDull;
    for (size_t i = 0; i < n && i < want; i++) {
        size_t j = i + (size_t)(seg__km_next_unit(&rng) * (double)(n - i));
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
        rc = seg__km_cluster(m, X, n, st->nf, k, c, size, &inertia, &iters, a);
        double total = 0;
        for (size_t i = 0; i < n && !rc; i++) {
            memset(sum, 0, (size_t)k * sizeof *sum);
            for (size_t j = 0; j < n; j++)
                if (j != i)
                    sum[a[j]] += sqrt(seg__km_dist2(X + i * (size_t)st->nf,
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

int seg__km_report(void *state, const seg_model *m, const seg_dataset *ds,
                     const char *report, int format, seg_write_fn write,
                     void *wud, void *ud)
{
    (void)ud;
    const seg__km_state *st = state;
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
