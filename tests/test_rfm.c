/* The RFM model: hand-computed cases with ties, presets, cut points, save
 * and load, and the CDNOW sample against a computation made here. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "testutil.h"

/* ten customers; recency lower is better; ties in orders and monetary */
static const double REC[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
static const double ORD[10] = {1, 1, 1, 1, 1, 2, 2, 3, 5, 8};
static const double MON[10] = {10, 20, 20, 20, 30, 40, 50, 60, 70, 1000};

static seg_dataset *ten(void)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    for (int i = 0; i < 10; i++) {
        char id[8];
        snprintf(id, sizeof id, "c%d", i);
        assert_ok(seg_dataset_add_customer(ds, id, NULL));
    }
    assert_ok(seg_dataset_write_f64(ds, "recency", REC, 10));
    assert_ok(seg_dataset_write_f64(ds, "orders", ORD, 10));
    assert_ok(seg_dataset_write_f64(ds, "monetary_total", MON, 10));
    return ds;
}

static double num(seg_dataset *ds, const char *col, size_t row)
{
    double v;
    assert_ok(seg_dataset_get_f64(ds, col, row, &v));
    return v;
}

static const char *lab(seg_dataset *ds, const char *col, size_t row)
{
    const char *v;
    assert_ok(seg_dataset_get_label(ds, col, row, &v));
    return v;
}

static void test_hand_computed_with_ties(void **state)
{
    (void)state;
    /* Quantile cut points (linear interpolation) at .2 .4 .6 .8:
     *   recency 2.8 4.6 6.4 8.2; orders 1 1 2 3.4; monetary 20 26 44 62.
     * A score is 1 + the number of cut points the value is strictly better
     * than, so equal values share a score. */
    static const double R[10] = {5, 5, 4, 4, 3, 3, 2, 2, 1, 1};
    static const double F[10] = {1, 1, 1, 1, 1, 3, 3, 4, 5, 5};
    static const double M[10] = {1, 1, 1, 1, 3, 3, 4, 4, 5, 5};
    static const char *const SEG[10] = {
        "New Customers", "New Customers", "Promising", "Promising",
        "About To Sleep", "Need Attention", "At Risk", "At Risk",
        "Can't Lose Them", "Can't Lose Them"};
    seg_dataset *ds = ten();
    seg_model *m;
    assert_ok(seg_model_new(&m, "rfm"));
    assert_ok(seg_model_set_f64(m, "w_m", 2));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    for (size_t i = 0; i < 10; i++) {
        assert_near(num(ds, "rfm.r", i), R[i], 0);
        assert_near(num(ds, "rfm.f", i), F[i], 0);
        assert_near(num(ds, "rfm.m", i), M[i], 0);
        assert_near(num(ds, "rfm.score", i), R[i] * 100 + F[i] * 10 + M[i], 0);
        assert_near(num(ds, "rfm.total", i), R[i] + F[i] + 2 * M[i], 0);
        assert_string_equal(lab(ds, "rfm.segment", i), SEG[i]);
    }
    seg_model_free(m);
    seg_dataset_free(ds);
}

static void test_negative_values(void **state)
{
    (void)state;
    /* refunds make monetary values negative; quantiles at .2 .4 .6 .8 of
     * -4..5 are -2.2 -0.4 1.4 3.2 */
    seg_dataset *ds = ten();
    const double mon[10] = {-3, -1, 0, 2, 5, -2, 4, 1, 3, -4};
    const double want[10] = {1, 2, 3, 4, 5, 2, 5, 3, 4, 1};
    assert_ok(seg_dataset_write_f64(ds, "monetary_total", mon, 10));
    seg_model *m;
    assert_ok(seg_model_new(&m, "rfm"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    for (size_t i = 0; i < 10; i++)
        assert_near(num(ds, "rfm.m", i), want[i], 0);
    seg_model_free(m);
    seg_dataset_free(ds);
}

static void test_marketing_grid_covers_every_cell(void **state)
{
    (void)state;
    /* 25 customers, one per (R, F) cell, scored with given cut points */
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    double rec[25], ord[25], mon[25];
    for (int i = 0; i < 25; i++) {
        char id[8];
        snprintf(id, sizeof id, "x%d", i);
        assert_ok(seg_dataset_add_customer(ds, id, NULL));
        rec[i] = 5 - i / 5; /* R = 1 + i/5 */
        ord[i] = 1 + i % 5; /* F = 1 + i%5 */
        mon[i] = 1;
    }
    assert_ok(seg_dataset_write_f64(ds, "recency", rec, 25));
    assert_ok(seg_dataset_write_f64(ds, "orders", ord, 25));
    assert_ok(seg_dataset_write_f64(ds, "monetary_total", mon, 25));
    seg_model *m;
    assert_ok(seg_model_new(&m, "rfm"));
    assert_ok(seg_model_set_str(m, "r_cuts", "1.5,2.5,3.5,4.5"));
    assert_ok(seg_model_set_str(m, "f_cuts", "1.5,2.5,3.5,4.5"));
    assert_ok(seg_model_set_str(m, "m_cuts", "1,2,3,4"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    /* rows: R 1..5; columns: F 1..5 */
    static const char *const grid[5][5] = {
        {"Lost", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"},
        {"Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"},
        {"About To Sleep", "About To Sleep", "Need Attention",
         "Loyal Customers", "Loyal Customers"},
        {"Promising", "Potential Loyalist", "Potential Loyalist",
         "Loyal Customers", "Loyal Customers"},
        {"New Customers", "Potential Loyalist", "Potential Loyalist",
         "Champions", "Champions"}};
    for (int i = 0; i < 25; i++) {
        assert_near(num(ds, "rfm.r", (size_t)i), 1 + i / 5, 0);
        assert_near(num(ds, "rfm.f", (size_t)i), 1 + i % 5, 0);
        assert_string_equal(lab(ds, "rfm.segment", (size_t)i),
                            grid[i / 5][i % 5]);
    }
    assert_ok(seg_model_set_str(m, "language", "zh"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    assert_string_equal(lab(ds, "rfm.segment", 24), "冠军客户");
    assert_string_equal(lab(ds, "rfm.segment", 0), "流失客户");
    /* bad cut points */
    assert_ok(seg_model_set_str(m, "r_cuts", "1,2,3"));
    assert_int_equal(seg_model_fit(m, ds), SEG_ERANGE);
    assert_non_null(strstr(seg_model_errmsg(m), "expected 4"));
    assert_ok(seg_model_set_str(m, "r_cuts", "4,3,2,1"));
    assert_int_equal(seg_model_fit(m, ds), SEG_ERANGE);
    assert_non_null(strstr(seg_model_errmsg(m), "ascending"));
    seg_model_free(m);
    seg_dataset_free(ds);
}

static void test_cn8_and_value_presets(void **state)
{
    (void)state;
    seg_dataset *ds = ten();
    seg_model *m;
    assert_ok(seg_model_new(&m, "rfm"));
    assert_ok(seg_model_set_str(m, "segments", "cn8"));
    assert_ok(seg_model_set_str(m, "language", "zh"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    /* means: recency 5.5 (lower is better), orders 2.5, monetary 132 */
    assert_string_equal(lab(ds, "rfm.segment", 0), "一般发展客户");
    assert_string_equal(lab(ds, "rfm.segment", 7), "一般保持客户");
    assert_string_equal(lab(ds, "rfm.segment", 9), "重要保持客户");
    assert_string_equal(lab(ds, "rfm.segment", 6), "一般挽留客户");
    /* medians: recency 5.5, orders 1.5, monetary 35 */
    assert_ok(seg_model_set_str(m, "center", "median"));
    assert_ok(seg_model_set_str(m, "language", "en"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    assert_string_equal(lab(ds, "rfm.segment", 4), "General Development");
    assert_string_equal(lab(ds, "rfm.segment", 5), "Important Retention");
    assert_string_equal(lab(ds, "rfm.segment", 8), "Important Retention");

    /* value tiers: quantiles .5 and .8 of monetary are 35 and 62 */
    assert_ok(seg_model_set_str(m, "segments", "value"));
    assert_ok(seg_model_set_str(m, "language", "zh"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    static const char *const tier[10] = {"低价值", "低价值", "低价值",
                                         "低价值", "低价值", "中价值",
                                         "中价值", "中价值", "高价值",
                                         "高价值"};
    for (size_t i = 0; i < 10; i++)
        assert_string_equal(lab(ds, "rfm.segment", i), tier[i]);
    assert_ok(seg_model_set_f64(m, "value_low_q", 0.9));
    assert_int_equal(seg_model_fit(m, ds), SEG_ERANGE);

    assert_ok(seg_model_set_f64(m, "value_low_q", 0.5));
    assert_ok(seg_model_set_str(m, "segments", "none"));
    assert_ok(seg_model_set_name(m, "plain"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    assert_int_equal(seg_dataset_column_type(ds, "plain.segment"),
                     SEG_ENOTFOUND);
    seg_model_free(m);
    seg_dataset_free(ds);
}

static void test_fit_once_score_elsewhere(void **state)
{
    (void)state;
    seg_dataset *train = ten();
    seg_model *m;
    assert_ok(seg_model_new(&m, "rfm"));
    assert_ok(seg_model_set_int(m, "k_f", 3));
    assert_ok(seg_model_fit(m, train));
    /* another dataset: scored with the cut points learned on train,
     * missing values give missing scores */
    seg_dataset *other;
    assert_ok(seg_dataset_new(&other));
    assert_ok(seg_dataset_add_customer(other, "new", NULL));
    assert_ok(seg_dataset_add_customer(other, "gone", NULL));
    double rec[2] = {0.5, NAN}, ord[2] = {100, 1}, mon[2] = {25, 5};
    assert_ok(seg_dataset_write_f64(other, "recency", rec, 2));
    assert_ok(seg_dataset_write_f64(other, "orders", ord, 2));
    assert_ok(seg_dataset_write_f64(other, "monetary_total", mon, 2));
    assert_ok(seg_model_score(m, other));
    assert_near(num(other, "rfm.r", 0), 5, 0);
    assert_near(num(other, "rfm.f", 0), 3, 0); /* k_f = 3 */
    assert_near(num(other, "rfm.m", 0), 2, 0); /* 20 < 25 <= 26 */
    assert_true(isnan(num(other, "rfm.r", 1)));
    assert_true(isnan(num(other, "rfm.score", 1)));
    assert_null(lab(other, "rfm.segment", 1));
    seg_model_free(m);
    seg_dataset_free(other);
    seg_dataset_free(train);
}

static seg_dataset *cdnow(void)
{
    return cdnow_sample("1997-09-30", SEG_UNIT_WEEK, NULL);
}

static void test_save_load_score_identical(void **state)
{
    (void)state;
    seg_dataset *a = cdnow(), *b = cdnow();
    seg_model *m;
    assert_ok(seg_model_new(&m, "rfm"));
    assert_ok(seg_model_set_str(m, "segments", "cn8"));
    assert_ok(seg_model_set_int(m, "k_m", 7));
    assert_ok(seg_model_set_f64(m, "w_r", 0.1));
    assert_ok(seg_model_fit(m, a));
    assert_ok(seg_model_score(m, a));
    char path[] = "/tmp/seg-rfm-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_ok(seg_model_save(m, path));
    seg_model *loaded;
    assert_ok(seg_model_load(&loaded, path));
    assert_ok(seg_model_score(loaded, b));
    char *x = NULL, *y = NULL;
    assert_ok(seg_dataset_export(a, SEG_FORMAT_CSV, NULL, 0, collect, &x));
    assert_ok(seg_dataset_export(b, SEG_FORMAT_CSV, NULL, 0, collect, &y));
    assert_string_equal(x, y);
    free(x);
    free(y);
    remove(path);
    seg_model_free(m);
    seg_model_free(loaded);
    seg_dataset_free(a);
    seg_dataset_free(b);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The scores recomputed here from the definition: rank of the value among
 * the customers' values, by counting, against interpolated quantiles. */
static void test_cdnow_against_definition(void **state)
{
    (void)state;
    seg_dataset *ds = cdnow();
    seg_model *m;
    assert_ok(seg_model_new(&m, "rfm"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    size_t n = seg_dataset_customer_count(ds);
    const char *cols[3] = {"recency", "orders", "monetary_total"};
    const char *out[3] = {"rfm.r", "rfm.f", "rfm.m"};
    double *v = malloc(n * sizeof *v), *s = malloc(n * sizeof *s);
    for (int d = 0; d < 3; d++) {
        assert_ok(seg_dataset_copy_f64(ds, cols[d], v, n));
        memcpy(s, v, n * sizeof *v);
        qsort(s, n, sizeof *s, cmp);
        double cut[4];
        for (int j = 1; j <= 4; j++) {
            double pos = (double)(n - 1) * j / 5.0;
            size_t lo = (size_t)pos;
            cut[j - 1] = s[lo] + (pos - (double)lo) * (s[lo + 1] - s[lo]);
        }
        int hist[6] = {0};
        for (size_t i = 0; i < n; i++) {
            int want = 1;
            for (int j = 0; j < 4; j++)
                want += d == 0 ? v[i] < cut[j] : v[i] > cut[j];
            assert_near(num(ds, out[d], i), want, 0);
            hist[want]++;
        }
        /* every score level is used on this data but F, whose quantiles
         * tie at 1 order */
        for (int k = 1; k <= 5; k++)
            if (d != 1)
                assert_true(hist[k] > 0);
    }
    free(v);
    free(s);
    seg_model_free(m);
    seg_dataset_free(ds);
}

/* Every column of a dataset, for comparing before and after. */
typedef struct snapshot {
    size_t ncols, n;
    char **names;
    int *types;
    double **num;
    char ***lab;
} snapshot;

static snapshot take(seg_dataset *ds)
{
    snapshot s;
    s.ncols = seg_dataset_column_count(ds);
    s.n = seg_dataset_customer_count(ds);
    s.names = calloc(s.ncols, sizeof *s.names);
    s.types = calloc(s.ncols, sizeof *s.types);
    s.num = calloc(s.ncols, sizeof *s.num);
    s.lab = calloc(s.ncols, sizeof *s.lab);
    for (size_t c = 0; c < s.ncols; c++) {
        s.names[c] = strdup(seg_dataset_column_name(ds, c));
        s.types[c] = seg_dataset_column_type(ds, s.names[c]);
        if (s.types[c] == SEG_COLUMN_NUMERIC) {
            s.num[c] = malloc(s.n * sizeof **s.num);
            assert_ok(seg_dataset_copy_f64(ds, s.names[c], s.num[c], s.n));
        } else {
            s.lab[c] = calloc(s.n, sizeof **s.lab);
            for (size_t i = 0; i < s.n; i++) {
                const char *v = lab(ds, s.names[c], i);
                s.lab[c][i] = v ? strdup(v) : NULL;
            }
        }
    }
    return s;
}

static void same_as(const snapshot *a, seg_dataset *ds)
{
    snapshot b = take(ds);
    assert_int_equal(a->ncols, b.ncols);
    for (size_t c = 0; c < a->ncols; c++) {
        assert_string_equal(a->names[c], b.names[c]);
        assert_int_equal(a->types[c], b.types[c]);
        for (size_t i = 0; i < a->n; i++) {
            if (a->num[c]) {
                double x = a->num[c][i], y = b.num[c][i];
                if (!(x == y || (x != x && y != y)))
                    fail_msg("%s[%zu]: %g became %g", a->names[c], i, x, y);
            } else if (a->lab[c][i] ? !b.lab[c][i] ||
                                          strcmp(a->lab[c][i], b.lab[c][i])
                                    : b.lab[c][i] != NULL) {
                fail_msg("%s[%zu] changed", a->names[c], i);
            }
        }
    }
    for (size_t c = 0; c < b.ncols; c++) {
        free(b.names[c]);
        free(b.num[c]);
        for (size_t i = 0; b.lab[c] && i < b.n; i++)
            free(b.lab[c][i]);
        free(b.lab[c]);
    }
    free(b.names);
    free(b.types);
    free(b.num);
    free(b.lab);
}

static void drop(snapshot *s)
{
    for (size_t c = 0; c < s->ncols; c++) {
        free(s->names[c]);
        free(s->num[c]);
        for (size_t i = 0; s->lab[c] && i < s->n; i++)
            free(s->lab[c][i]);
        free(s->lab[c]);
    }
    free(s->names);
    free(s->types);
    free(s->num);
    free(s->lab);
}

/* A score that cannot write one of its outputs writes none. */
static void test_score_all_or_nothing(void **state)
{
    (void)state;
    seg_dataset *ds = ten();
    seg_model *m;
    assert_ok(seg_model_new(&m, "rfm"));
    assert_ok(seg_model_fit(m, ds));
    /* a first score, so that the outputs exist with values to keep */
    assert_ok(seg_model_set_f64(m, "w_m", 2));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    double seg_num[10] = {0};
    assert_ok(seg_dataset_drop_column(ds, "rfm.segment"));
    assert_ok(seg_dataset_write_f64(ds, "rfm.segment", seg_num, 10));
    double orders2[10];
    for (int i = 0; i < 10; i++)
        orders2[i] = ORD[9 - i];
    assert_ok(seg_dataset_write_f64(ds, "orders", orders2, 10));
    snapshot before = take(ds);
    assert_int_equal(seg_model_score(m, ds), SEG_ETYPE);
    assert_non_null(strstr(seg_model_errmsg(m), "rfm.segment"));
    same_as(&before, ds);
    drop(&before);
    /* and so do the other kinds with several outputs */
    seg_model *km;
    assert_ok(seg_model_new(&km, "kmeans"));
    assert_ok(seg_model_set_str(km, "features", "recency,orders"));
    assert_ok(seg_model_set_int(km, "k", 2));
    assert_ok(seg_model_fit(km, ds));
    const char *lab1[10] = {"x", "x", "x", "x", "x", "x", "x", "x", "x", "x"};
    assert_ok(seg_dataset_write_labels(ds, "kmeans.distance", lab1, 10));
    before = take(ds);
    assert_int_equal(seg_model_score(km, ds), SEG_ETYPE);
    same_as(&before, ds);
    drop(&before);
    seg_model_free(km);
    seg_model_free(m);
    seg_dataset_free(ds);
}

/* rfm.score is one number per (R, F, M) for every k allowed; the familiar
 * R*100 + F*10 + M while every k is 9 or less. */
static void test_score_unique_for_every_k(void **state)
{
    (void)state;
    enum { MAXK = 20, N = MAXK * MAXK * MAXK };
    /* every (R, F, M) of 1..20 as customers: value = score wanted */
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    double *r = malloc(N * sizeof *r), *f = malloc(N * sizeof *f),
           *mo = malloc(N * sizeof *mo);
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof id, "c%d", i);
        assert_ok(seg_dataset_add_customer(ds, id, NULL));
        r[i] = i / (MAXK * MAXK) + 1;
        f[i] = i / MAXK % MAXK + 1;
        mo[i] = i % MAXK + 1;
    }
    assert_ok(seg_dataset_write_f64(ds, "recency", r, N));
    assert_ok(seg_dataset_write_f64(ds, "orders", f, N));
    assert_ok(seg_dataset_write_f64(ds, "monetary_total", mo, N));
    static const int ks[][3] = {{5, 5, 5}, {9, 9, 9}, {2, 9, 3},
                                {10, 5, 5}, {5, 5, 10}, {20, 20, 20},
                                {20, 2, 11}};
    for (size_t t = 0; t < sizeof ks / sizeof *ks; t++) {
        seg_model *m;
        assert_ok(seg_model_new(&m, "rfm"));
        assert_ok(seg_model_set_int(m, "r_higher_is_better", 1));
        assert_ok(seg_model_set_str(m, "segments", "none"));
        static const char *const kp[] = {"k_r", "k_f", "k_m"};
        static const char *const cp[] = {"r_cuts", "f_cuts", "m_cuts"};
        for (int d = 0; d < 3; d++) {
            /* cut points at 1.5, 2.5 ...: score = min(value, k) */
            char cuts[256] = "";
            size_t l = 0;
            for (int j = 1; j < ks[t][d]; j++)
                l += (size_t)snprintf(cuts + l, sizeof cuts - l, "%s%g",
                                      j > 1 ? "," : "", j + 0.5);
            assert_ok(seg_model_set_int(m, kp[d], ks[t][d]));
            assert_ok(seg_model_set_str(m, cp[d], cuts));
        }
        assert_ok(seg_model_fit(m, ds));
        assert_ok(seg_model_score(m, ds));
        bool small = ks[t][0] <= 9 && ks[t][1] <= 9 && ks[t][2] <= 9;
        /* seen[score] = 1 + the first customer with it */
        size_t cap = 30000000;
        int *seen = calloc(cap, sizeof *seen);
        for (int i = 0; i < N; i++) {
            double R = num(ds, "rfm.r", (size_t)i), F = num(ds, "rfm.f", (size_t)i),
                   M = num(ds, "rfm.m", (size_t)i);
            assert_near(R, r[i] < ks[t][0] ? r[i] : ks[t][0], 0);
            double sc = num(ds, "rfm.score", (size_t)i);
            if (small)
                assert_near(sc, R * 100 + F * 10 + M, 0);
            else
                assert_near(sc, R * 10000 + F * 100 + M, 0);
            size_t at = (size_t)sc;
            assert_true(at < cap);
            /* customers with the same (R, F, M) share it; no others do */
            if (seen[at]) {
                int j = seen[at] - 1;
                assert_near(num(ds, "rfm.r", (size_t)j), R, 0);
                assert_near(num(ds, "rfm.f", (size_t)j), F, 0);
                assert_near(num(ds, "rfm.m", (size_t)j), M, 0);
            } else {
                seen[at] = i + 1;
            }
        }
        free(seen);
        seg_model_free(m);
    }
    free(r);
    free(f);
    free(mo);
    seg_dataset_free(ds);
}

/* Output names are the model's name and the output, however long. */
static void test_long_model_names(void **state)
{
    (void)state;
    static const size_t lens[] = {600, 100000};
    for (size_t t = 0; t < 2; t++) {
        seg_dataset *ds = ten();
        seg_model *m;
        assert_ok(seg_model_new(&m, "rfm"));
        char *name = malloc(lens[t] + 1);
        memset(name, 'n', lens[t]);
        name[lens[t]] = '\0';
        assert_ok(seg_model_set_name(m, name));
        assert_ok(seg_model_fit(m, ds));
        assert_ok(seg_model_score(m, ds));
        assert_int_equal(seg_dataset_column_count(ds), 3 + 6);
        static const char *const outs[] = {"r", "f", "m", "score", "total",
                                           "segment"};
        char *col = malloc(lens[t] + 16);
        for (size_t i = 0; i < 6; i++) {
            snprintf(col, lens[t] + 16, "%s.%s", name, outs[i]);
            assert_int_equal(seg_dataset_column_type(ds, col),
                             i == 5 ? SEG_COLUMN_LABEL : SEG_COLUMN_NUMERIC);
        }
        snprintf(col, lens[t] + 16, "%s.score", name);
        assert_near(num(ds, col, 9), 155, 0);
        free(col);
        free(name);
        seg_model_free(m);
        seg_dataset_free(ds);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed_with_ties),
        cmocka_unit_test(test_negative_values),
        cmocka_unit_test(test_marketing_grid_covers_every_cell),
        cmocka_unit_test(test_cn8_and_value_presets),
        cmocka_unit_test(test_fit_once_score_elsewhere),
        cmocka_unit_test(test_save_load_score_identical),
        cmocka_unit_test(test_cdnow_against_definition),
        cmocka_unit_test(test_score_all_or_nothing),
        cmocka_unit_test(test_score_unique_for_every_k),
        cmocka_unit_test(test_long_model_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
