/* The k-means model: its features (optional log1p and z-score each),
 * fit, score, results, state and parameters. The clustering itself is in
 * kmeans_cluster.c, the reports in kmeans_report.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/kmeans.h"

static int km_create(void **state, void *ud)
{
    (void)ud;
    *state = seg__calloc(1, sizeof(seg__km_state));
    return *state ? SEG_OK : SEG_ENOMEM;
}

static void km_clear(seg__km_state *st)
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

/* Split "a,b,c" into names; returns the count, -1 for a bad list, or
 * SEG_ENOMEM. */
static int split_names(const char *s, char **out, int max)
{
    int fail = -1;
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
        if (!(out[n] = seg__strndup(s, len))) {
            fail = SEG_ENOMEM;
            goto bad;
        }
        n++;
        s = comma ? comma + 1 : s + len;
        if (!comma)
            break;
    }
    return n;
bad:
    for (int i = 0; i < n; i++)
        seg__free(out[i]);
    return fail;
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
int seg__km_matrix(const seg_model *m, const seg__km_state *st,
                   const seg_dataset *ds, bool learn, seg__km_state *learned,
                   double **X, size_t **row_of, size_t *nrows)
{
    size_t n = seg_dataset_customer_count(ds);
    double *cols[SEG__KM_MAX_F] = {NULL};
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

static int setup_features(const seg_model *m, seg__km_state *st)
{
    int nf = split_names(seg__param_str(m, "features"), st->names,
                         SEG__KM_MAX_F);
    if (nf == SEG_ENOMEM)
        return seg__model_error(m, SEG_ENOMEM, "out of memory");
    if (nf <= 0)
        return seg__model_error(m, SEG_EINVAL, "%s: features must name 1 to "
                                "%d columns, separated by commas",
                                seg_model_name(m), SEG__KM_MAX_F);
    st->nf = nf;
    const char *logs = seg__param_str(m, "log1p");
    for (int f = 0; f < nf; f++) {
        st->logf[f] = in_list(logs, st->names[f]);
        st->mean[f] = 0;
        st->sd[f] = 1;
    }
    return SEG_OK;
}

/* The bounds of a state, fitted or loaded: every number finite, scales
 * neither tiny nor huge, and centroids small enough that the squared
 * distance between two of them, over up to SEG__KM_MAX_F features, is
 * finite; otherwise every customer would be at distance inf from every
 * centroid and land in cluster 0. */
#define KM_MAX_COORD 1e150
#define KM_MIN_SCALE 1e-150

static int check_state(const seg_model *m, const seg__km_state *st, int code)
{
    for (int f = 0; f < st->nf; f++) {
        if (!isfinite(st->mean[f]) || !(fabs(st->mean[f]) <= 1e300))
            return seg__model_error(m, code, "%s: the centre of feature '%s' "
                                    "is not a finite number",
                                    seg_model_name(m), st->names[f]);
        if (!(st->sd[f] >= KM_MIN_SCALE && st->sd[f] <= 1 / KM_MIN_SCALE))
            return seg__model_error(m, code, "%s: the scale of feature '%s' "
                                    "(%g) is outside [%g, %g]",
                                    seg_model_name(m), st->names[f],
                                    st->sd[f], KM_MIN_SCALE,
                                    1 / KM_MIN_SCALE);
    }
    for (size_t i = 0; i < (size_t)st->k * (size_t)st->nf; i++)
        if (!(fabs(st->cent[i]) <= KM_MAX_COORD))
            return seg__model_error(m, code, "%s: centroid %zu has a "
                                    "coordinate (%g) outside +-%g: the "
                                    "features are too large to cluster "
                                    "(use log1p or standardize)",
                                    seg_model_name(m),
                                    i / (size_t)st->nf + 1, st->cent[i],
                                    KM_MAX_COORD);
    for (int j = 0; j < st->k; j++)
        if (!(st->size[j] >= 0 && st->size[j] <= 9007199254740992.0))
            return seg__model_error(m, code, "%s: cluster %d has a bad size",
                                    seg_model_name(m), j + 1);
    return SEG_OK;
}

static int km_fit(void *state, seg_model *m, const seg_dataset *ds, void *ud)
{
    (void)ud;
    seg__km_state *st = state;
    int rc = setup_features(m, st);
    if (rc)
        return rc;
    st->k = (int)seg__param_num(m, "k");
    double *X = NULL;
    size_t *rows = NULL, n = 0;
    rc = seg__km_matrix(m, st, ds, true, st, &X, &rows, &n);
    if (!rc && n < (size_t)st->k)
        rc = seg__model_error(m, SEG_ERANGE, "%s: %zu complete rows for k = "
                              "%d clusters", seg_model_name(m), n, st->k);
    if (!rc) {
        st->cent =
            seg__malloc((size_t)st->k * (size_t)st->nf * sizeof *st->cent);
        st->size = seg__malloc((size_t)st->k * sizeof *st->size);
        if (!st->cent || !st->size)
            rc = seg__nomem(NULL);
    }
    if (!rc)
        rc = seg__km_cluster(m, X, n, st->nf, st->k, st->cent, st->size,
                             &st->inertia, &st->iterations, NULL);
    if (!rc)
        rc = check_state(m, st, SEG_ERANGE);
    st->fitted = (double)n;
    st->missing = (double)(seg_dataset_customer_count(ds) - n);
    seg__free(X);
    seg__free(rows);
    return rc;
}

static int nearest(const seg__km_state *st, const double *x, double *d)
{
    int best = 0;
    double bd = INFINITY;
    for (int j = 0; j < st->k; j++) {
        double v =
            seg__km_dist2(x, st->cent + (size_t)j * (size_t)st->nf, st->nf);
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
    const seg__km_state *st = state;
    double *X = NULL;
    size_t *rows = NULL, nr = 0, n = seg_dataset_customer_count(ds);
    int rc = seg__km_matrix(m, st, ds, false, NULL, &X, &rows, &nr);
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
        const seg__out outs[] = {{"cluster", cl, NULL, NULL},
                                 {"distance", dist, NULL, NULL}};
        rc = seg__model_put_all(m, ds, prefix, outs, 2);
    }
    seg__free(X);
    seg__free(rows);
    seg__free(cl);
    seg__free(dist);
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
    const seg__km_state *st = state;
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
    const seg__km_state *st = state;
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
    seg__km_state *st = state;
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
    if (!rc)
        rc = check_state(m, st, SEG_EPARSE);
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
    "k-means clusters over numeric columns (k-means++, filtering or "
    "Hamerly)",
    km_params,
    sizeof km_params / sizeof *km_params, sizeof(seg_param_def), km_create,
    km_destroy, km_fit, km_score, km_save, km_load, km_result_name, km_result,
    NULL, seg__km_report};
