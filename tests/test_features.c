/* Features: the CDNOW reference summary, holdout, append equivalence. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "testutil.h"

#define DAY 86400

static seg_dataset *load_cdnow(void)
{
    return cdnow_sample(NULL, SEG_UNIT_DAY, NULL);
}

static int64_t end_of(const char *date)
{
    int64_t t;
    assert_ok(seg_time_parse(&t, date, strlen(date), SEG_TIME_AUTO));
    return t + DAY - 1;
}

static double num(seg_dataset *ds, const char *col, size_t row)
{
    double v;
    assert_ok(seg_dataset_get_f64(ds, col, row, &v));
    return v;
}

static size_t row_of(seg_dataset *ds, int id)
{
    char key[16];
    size_t row;
    snprintf(key, sizeof key, "%04d", id);
    assert_ok(seg_dataset_customer_find(ds, key, &row));
    return row;
}

/* frequency, t_x and T of all 2,357 customers against the published summary
 * (39-week calibration ending 1997-09-30, weeks), and zbar to the cent. */
static void test_cdnow_reference_summary(void **state)
{
    (void)state;
    seg_dataset *ds = load_cdnow();
    assert_int_equal(seg_dataset_customer_count(ds), 2357);
    assert_int_equal(seg_dataset_transaction_count(ds), 6919);
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.as_of = end_of("1997-09-30");
    fo.time_unit = SEG_UNIT_WEEK;
    assert_ok(seg_dataset_compute_features(ds, &fo));

    FILE *f = fopen(SEG_TEST_DATA "/cdnow_customers_summary.csv", "r");
    FILE *g = fopen(SEG_TEST_DATA
                    "/cdnow_customers_summary_with_transactions.csv", "r");
    assert_non_null(f);
    assert_non_null(g);
    char line[256], line2[256];
    assert_non_null(fgets(line, sizeof line, f)); /* headers */
    assert_non_null(fgets(line2, sizeof line2, g));
    int checked = 0;
    while (fgets(line, sizeof line, f) && fgets(line2, sizeof line2, g)) {
        int id, id2, x;
        double tx, T, x2, tx2, T2, zbar;
        assert_int_equal(sscanf(line, "%d,%d,%lf,%lf", &id, &x, &tx, &T), 4);
        assert_int_equal(sscanf(line2, "%d,%lf,%lf,%lf,%lf", &id2, &x2, &tx2,
                                &T2, &zbar), 5);
        assert_int_equal(id, id2);
        size_t r = row_of(ds, id);
        assert_near(num(ds, "frequency", r), x, 0);
        assert_near(num(ds, "t_x", r), tx, 0.005 + 1e-9);
        assert_near(num(ds, "T", r), T, 0.005 + 1e-9);
        assert_near(num(ds, "recency", r), num(ds, "T", r) - num(ds, "t_x", r),
                    1e-9);
        assert_near(num(ds, "orders", r), x + 1, 0);
        assert_near(num(ds, "monetary_repeat_mean", r), zbar, 0.005 + 1e-9);
        checked++;
    }
    fclose(f);
    fclose(g);
    assert_int_equal(checked, 2357);
    seg_dataset_free(ds);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static double count_holdout_days(void)
{
    FILE *f = fopen(SEG_TEST_DATA "/CDNOW_sample.txt", "r");
    assert_non_null(f);
    static char keys[8000][24];
    size_t n = 0;
    char line[128], id[8], date[12];
    while (fgets(line, sizeof line, f)) {
        assert_int_equal(sscanf(line, "%*s %7s %11s", id, date), 2);
        if (strcmp(date, "19971001") >= 0 && strcmp(date, "19980630") <= 0)
            snprintf(keys[n++], sizeof keys[0], "%s %s", id, date);
    }
    fclose(f);
    qsort(keys, n, sizeof keys[0], cmp_str);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++)
        distinct += i == 0 || strcmp(keys[i], keys[i - 1]) != 0;
    assert_true(distinct > 1000);
    return (double)distinct;
}

static void test_cdnow_holdout(void **state)
{
    (void)state;
    seg_dataset *ds = load_cdnow();
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.time_unit = SEG_UNIT_WEEK;
    fo.as_of = end_of("1998-06-30");
    assert_ok(seg_time_parse(&fo.holdout_from, "1997-10-01", 10,
                             SEG_TIME_AUTO));
    assert_ok(seg_dataset_compute_features(ds, &fo));
    size_t r = row_of(ds, 1);
    /* sample customer 1: purchases 1997-01-01, -01-18, -08-02, -12-12 */
    assert_near(num(ds, "frequency", r), 2, 0);
    assert_near(num(ds, "T", r), 272.0 / 7, 1e-12);
    assert_near(num(ds, "holdout_orders", r), 1, 0);
    assert_near(num(ds, "holdout_monetary", r), 26.48, 1e-9);
    assert_near(num(ds, "holdout_length", r), 39, 1e-12);
    /* the total against a count made here from the raw file: distinct
     * (customer, day) pairs in the holdout */
    double total = 0;
    for (size_t i = 0; i < seg_dataset_customer_count(ds); i++)
        total += num(ds, "holdout_orders", i);
    assert_near(total, count_holdout_days(), 0);

    /* computing again without a holdout removes the holdout columns */
    seg_features_options_init(&fo);
    assert_ok(seg_dataset_compute_features(ds, &fo));
    assert_int_equal(seg_dataset_column_type(ds, "holdout_orders"),
                     SEG_ENOTFOUND);
    seg_dataset_free(ds);
}

static void test_purchase_days(void **state)
{
    (void)state;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    int64_t d0 = 19000 * (int64_t)DAY;
    /* two orders on day 0 are one purchase; out-of-order input */
    assert_ok(seg_dataset_add_transaction(ds, "a", d0 + 10 * DAY, 5));
    assert_ok(seg_dataset_add_transaction(ds, "a", d0 + 3600, 1));
    assert_ok(seg_dataset_add_transaction(ds, "a", d0 + 7200, 2));
    assert_ok(seg_dataset_add_transaction(ds, "b", d0 + 20 * DAY, 4));
    assert_ok(seg_dataset_add_transaction(ds, "a", d0 + 40 * DAY, 100));
    assert_ok(seg_dataset_set_attribute_str(ds, "c", "channel", "ads"));
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.as_of = d0 + 30 * DAY + 5;
    assert_ok(seg_dataset_compute_features(ds, &fo));
    assert_near(num(ds, "orders", 0), 2, 0);
    assert_near(num(ds, "frequency", 0), 1, 0);
    assert_near(num(ds, "t_x", 0), 10, 0);
    assert_near(num(ds, "T", 0), 30, 0);
    assert_near(num(ds, "recency", 0), 20, 0);
    assert_near(num(ds, "monetary_total", 0), 8, 1e-12);
    assert_near(num(ds, "monetary_mean", 0), 4, 1e-12);
    assert_near(num(ds, "monetary_repeat_mean", 0), 5, 1e-12);
    assert_near(num(ds, "first_purchase", 0), (double)(d0 + 3600), 0);
    assert_near(num(ds, "last_purchase", 0), (double)(d0 + 10 * DAY), 0);
    assert_near(num(ds, "monetary_repeat_mean", 1), 0, 0);
    /* a customer without purchases */
    assert_near(num(ds, "orders", 2), 0, 0);
    assert_near(num(ds, "monetary_total", 2), 0, 0);
    assert_true(isnan(num(ds, "frequency", 2)));
    assert_true(isnan(num(ds, "recency", 2)));

    /* a feature name taken by an attribute is an error that changes nothing */
    size_t ncols = seg_dataset_column_count(ds);
    assert_ok(seg_dataset_drop_column(ds, "orders"));
    assert_ok(seg_dataset_set_attribute_f64(ds, "a", "orders", 1));
    assert_int_equal(seg_dataset_compute_features(ds, &fo), SEG_EEXISTS);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "orders"));
    assert_int_equal(seg_dataset_column_count(ds), ncols);
    fo.time_unit = 3;
    assert_int_equal(seg_dataset_compute_features(ds, &fo), SEG_EINVAL);
    seg_dataset_free(ds);
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The CSV export with its rows sorted: row order follows the order in which
 * customers were first seen, which appending changes. */
static char *export_all(seg_dataset *ds)
{
    char *s = NULL;
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_CSV, NULL, 0, collect, &s));
    size_t total = strlen(s), n = 0, cap = 16;
    char **lines = malloc(cap * sizeof *lines);
    for (char *tok = strtok(s, "\n"); tok; tok = strtok(NULL, "\n")) {
        if (n == cap)
            lines = realloc(lines, (cap *= 2) * sizeof *lines);
        lines[n++] = tok;
    }
    qsort(lines + 1, n - 1, sizeof *lines, cmp_line);
    char *out = malloc(total + 2), *w = out;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(lines[i]);
        memcpy(w, lines[i], len);
        w[len] = '\n';
        w += len + 1;
    }
    *w = '\0';
    free(lines);
    free(s);
    return out;
}

/* Features computed with 1 to 64 threads are the same, to the bit. */
static void same_for_all_threads(seg_dataset *ds,
                                 const seg_features_options *fo)
{
    assert_ok(seg_dataset_set_threads(ds, 1));
    assert_ok(seg_dataset_compute_features(ds, fo));
    char *one = export_all(ds);
    static const int counts[] = {2, 3, 5, 64, 0};
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        assert_ok(seg_dataset_set_threads(ds, counts[i]));
        assert_ok(seg_dataset_compute_features(ds, fo));
        char *many = export_all(ds);
        assert_string_equal(one, many);
        free(many);
    }
    free(one);
}

static void test_threads(void **state)
{
    (void)state;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_int_equal(seg_dataset_set_threads(ds, -1), SEG_EINVAL);
    assert_int_equal(seg_dataset_set_threads(ds, 65), SEG_EINVAL);
    assert_int_equal(seg_dataset_set_threads(NULL, 1), SEG_EINVAL);
    /* customers without transactions first, in between and last */
    assert_ok(seg_dataset_add_customer(ds, "none-0", NULL));
    assert_ok(seg_dataset_add_transaction(ds, "a", 86400 * 10, 5));
    assert_ok(seg_dataset_add_transaction(ds, "a", 86400 * 12, 7));
    for (int i = 1; i < 6; i++) {
        char id[16];
        snprintf(id, sizeof id, "none-%d", i);
        assert_ok(seg_dataset_add_customer(ds, id, NULL));
    }
    for (int i = 0; i < 9; i++)
        assert_ok(seg_dataset_add_transaction(ds, "b", 86400 * (20 + i), i));
    assert_ok(seg_dataset_add_transaction(ds, "c", 86400 * 30, 1));
    assert_ok(seg_dataset_add_customer(ds, "none-last", NULL));
    seg_features_options fo;
    seg_features_options_init(&fo);
    same_for_all_threads(ds, &fo);
    /* and once not grouped by customer */
    assert_ok(seg_dataset_add_transaction(ds, "a", 86400 * 40, 3));
    same_for_all_threads(ds, &fo);
    seg_dataset_free(ds);
}

/* Appending transactions after features were computed, then computing
 * again, gives what loading everything at once gives. */
static void test_append_equals_load_at_once(void **state)
{
    (void)state;
    seg_dataset *whole = load_cdnow();
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.as_of = end_of("1998-06-30");
    fo.time_unit = SEG_UNIT_WEEK;
    assert_ok(seg_dataset_compute_features(whole, &fo));

    /* the same transactions: the first half in one call, features, then the
     * rest in reverse order, one by one */
    FILE *f = fopen(SEG_TEST_DATA "/CDNOW_sample.txt", "r");
    assert_non_null(f);
    enum { N = 6919 };
    static char ids[N][8];
    static int64_t times[N];
    static double amounts[N];
    static const char *idp[N];
    int n = 0;
    char line[128];
    while (fgets(line, sizeof line, f) && n < N) {
        char date[16];
        int cds;
        assert_int_equal(sscanf(line, "%*s %7s %15s %d %lf", ids[n], date,
                                &cds, &amounts[n]), 4);
        assert_ok(seg_time_parse(&times[n], date, 8, SEG_TIME_YYYYMMDD));
        idp[n] = ids[n];
        n++;
    }
    fclose(f);
    assert_int_equal(n, N);
    seg_dataset *parts;
    assert_ok(seg_dataset_new(&parts));
    assert_ok(seg_dataset_add_transactions(parts, idp, times, amounts, N / 2));
    assert_ok(seg_dataset_compute_features(parts, &fo));
    for (int i = N - 1; i >= N / 2; i--)
        assert_ok(seg_dataset_add_transaction(parts, idp[i], times[i],
                                              amounts[i]));
    assert_ok(seg_dataset_compute_features(parts, &fo));
    char *a = export_all(whole), *b = export_all(parts);
    assert_string_equal(a, b);
    same_for_all_threads(whole, &fo); /* grouped by customer */
    same_for_all_threads(parts, &fo); /* not grouped */
    free(a);
    free(b);
    seg_dataset_free(whole);
    seg_dataset_free(parts);
}


/* A dataset from CSV text (id,time,amount), features up to the end of
 * as_of. */
static seg_dataset *from_csv(const char *text, const char *as_of)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    int rc = seg_dataset_load_csv_buffer(ds, text, strlen(text), "t.csv",
                                         NULL);
    if (rc)
        fail_msg("%s", seg_dataset_errmsg(ds));
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.as_of = end_of(as_of);
    assert_ok(seg_dataset_compute_features(ds, &fo));
    return ds;
}

/* A negative amount is a return: amounts are netted per customer-day, and
 * a day whose net is not positive is no purchase (unless it is a day of
 * $0 orders). */
static void test_returns(void **state)
{
    (void)state;
    seg_dataset *ds = from_csv("id,time,amount\n"
                               "A,2024-01-01,100\n"
                               "A,2024-02-01,-40\n"     /* a return alone */
                               "B,2024-01-01,50\n"
                               "B,2024-01-01,-20\n"     /* netted: 30 */
                               "B,2024-01-05,40\n"
                               "B,2024-01-05,-40\n"     /* net 0: no purchase */
                               "C,2024-01-01,0\n"       /* a $0 purchase */
                               "C,2024-01-03,0\n"
                               "D,2024-01-02,-15\n"     /* only a return */
                               "E,2024-01-01,20\n"
                               "E,2024-01-02,30\n",
                               "2024-03-01");
    size_t a = 0, b = 1, c = 2, d = 3, e = 4;
    /* A: no longer a repeat purchase with monetary_repeat_mean -40 */
    assert_near(num(ds, "orders", a), 1, 0);
    assert_near(num(ds, "frequency", a), 0, 0);
    assert_near(num(ds, "monetary_repeat_mean", a), 0, 0);
    assert_near(num(ds, "t_x", a), 0, 0);
    assert_near(num(ds, "monetary_total", a), 60, 0);
    assert_near(num(ds, "monetary_mean", a), 60, 0);
    assert_near(num(ds, "returns", a), 1, 0);
    assert_near(num(ds, "returned_amount", a), 40, 0);
    assert_near(num(ds, "return_rate", a), 0.4, 1e-12);
    /* B: one purchase of 30; the day of 40 - 40 is none */
    assert_near(num(ds, "orders", b), 1, 0);
    assert_near(num(ds, "monetary_total", b), 30, 0);
    assert_near(num(ds, "returns", b), 2, 0);
    assert_near(num(ds, "returned_amount", b), 60, 0);
    assert_near(num(ds, "return_rate", b), 60.0 / 90.0, 1e-12);
    /* C: two $0 purchases, as the literature counts them */
    assert_near(num(ds, "orders", c), 2, 0);
    assert_near(num(ds, "frequency", c), 1, 0);
    assert_near(num(ds, "monetary_repeat_mean", c), 0, 0);
    assert_near(num(ds, "returns", c), 0, 0);
    assert_true(isnan(num(ds, "return_rate", c))); /* nothing bought */
    /* D: no purchase; its total is net */
    assert_near(num(ds, "orders", d), 0, 0);
    assert_true(isnan(num(ds, "frequency", d)));
    assert_near(num(ds, "monetary_total", d), -15, 0);
    assert_near(num(ds, "returns", d), 1, 0);
    assert_near(num(ds, "returned_amount", d), 15, 0);
    assert_true(isnan(num(ds, "return_rate", d)));
    /* E: as before */
    assert_near(num(ds, "orders", e), 2, 0);
    assert_near(num(ds, "monetary_repeat_mean", e), 30, 0);
    assert_near(num(ds, "returns", e), 0, 0);
    assert_near(num(ds, "returned_amount", e), 0, 0);
    assert_near(num(ds, "return_rate", e), 0, 0);
    assert_int_equal(seg_dataset_column_kind(ds, "returns"), SEG_KIND_COUNT);
    assert_int_equal(seg_dataset_column_kind(ds, "returned_amount"),
                     SEG_KIND_AMOUNT);
    seg_dataset_free(ds);
}

static void test_returns_in_the_holdout(void **state)
{
    (void)state;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    const char *text = "id,time,amount\n"
                       "A,2024-01-01,100\n"
                       "A,2024-02-01,-40\n"
                       "A,2024-02-02,25\n";
    assert_ok(seg_dataset_load_csv_buffer(ds, text, strlen(text), NULL,
                                          NULL));
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.as_of = end_of("2024-03-01");
    assert_ok(seg_time_parse(&fo.holdout_from, "2024-01-15", 10,
                             SEG_TIME_AUTO));
    assert_ok(seg_dataset_compute_features(ds, &fo));
    assert_near(num(ds, "holdout_orders", 0), 1, 0);
    assert_near(num(ds, "holdout_monetary", 0), -15, 0);
    assert_near(num(ds, "returns", 0), 0, 0); /* calibration only */
    seg_dataset_free(ds);
}

/* The purchase features, in the order of the documentation. */
static const char *const purchase_features[] = {
    "orders", "frequency", "t_x", "T", "recency", "monetary_total",
    "monetary_mean", "monetary_repeat_mean", "first_purchase",
    "last_purchase", "returns", "returned_amount", "return_rate"};
#define N_PURCHASE (sizeof purchase_features / sizeof *purchase_features)

/* Whether name is one of the n names. */
static bool named(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* ds has, of the purchase features, exactly those named, each with the
 * bits of full's column (NaN included). */
static void has_only(seg_dataset *ds, seg_dataset *full,
                     const char *const *names, size_t n)
{
    size_t rows = seg_dataset_customer_count(full);
    assert_int_equal(seg_dataset_customer_count(ds), rows);
    for (size_t k = 0; k < N_PURCHASE; k++) {
        const char *f = purchase_features[k];
        if (!named(names, n, f)) {
            assert_int_equal(seg_dataset_column_type(ds, f), SEG_ENOTFOUND);
            continue;
        }
        assert_int_equal(seg_dataset_column_type(ds, f), SEG_COLUMN_NUMERIC);
        assert_int_equal(seg_dataset_column_kind(ds, f),
                         seg_dataset_column_kind(full, f));
        for (size_t r = 0; r < rows; r++) {
            double a = num(ds, f, r), b = num(full, f, r);
            assert_memory_equal(&a, &b, sizeof a);
        }
    }
}

/* seg_features_options.columns: only the purchase features it names are
 * computed, with the bits of a computation of all, records kept or
 * folded; the names that are no purchase feature change nothing. A
 * computation of fewer drops the earlier ones it does not give, and a
 * NULL entry (or no list with a count) is refused with the columns as
 * they were. */
static void test_columns_named(void **state)
{
    (void)state;
    const char *text = "id,time,amount\n"
                       "A,2024-01-01,100\n"
                       "A,2024-02-01,-40\n"
                       "B,2024-01-01,50\n"
                       "B,2024-01-01,-20\n"
                       "B,2024-01-05,40\n"
                       "B,2024-01-05,-40\n"
                       "C,2024-01-01,0\n"
                       "C,2024-01-03,0\n"
                       "D,2024-01-02,-15\n"
                       "E,2024-01-01,20\n"
                       "E,2024-01-02,30\n"
                       "E,2024-02-02,12.5\n";
    seg_dataset *full = from_csv(text, "2024-03-01");
    const char *want[] = {"recency", "monetary_repeat_mean", "rfm.score",
                          "return_rate", "first_purchase", "recency"};
    const size_t n_want = sizeof want / sizeof *want;
    for (int folded = 0; folded < 2; folded++) {
        seg_dataset *ds;
        assert_ok(seg_dataset_new(&ds));
        if (folded)
            assert_ok(seg_dataset_set_features_only(ds, end_of("2024-03-01")));
        assert_ok(seg_dataset_load_csv_buffer(ds, text, strlen(text), "t.csv",
                                              NULL));
        seg_features_options o;
        seg_features_options_init(&o);
        assert_null(o.columns);
        assert_int_equal(o.n_columns, 0);
        o.as_of = end_of("2024-03-01");
        o.columns = want;
        o.n_columns = n_want;
        assert_ok(seg_dataset_compute_features(ds, &o));
        has_only(ds, full, want, n_want);
        assert_int_equal(seg_dataset_column_type(ds, "rfm.score"),
                         SEG_ENOTFOUND);
        if (folded) { /* a features-only dataset computes them once */
            seg_dataset_free(ds);
            continue;
        }
        /* fewer: the others are dropped, not left from before */
        const char *one[] = {"orders"};
        o.columns = one;
        o.n_columns = 1;
        assert_ok(seg_dataset_compute_features(ds, &o));
        has_only(ds, full, one, 1);
        /* refused, the columns as they were */
        const char *bad[] = {"recency", NULL};
        o.columns = bad;
        o.n_columns = 2;
        assert_int_equal(seg_dataset_compute_features(ds, &o), SEG_EINVAL);
        assert_non_null(strstr(seg_dataset_errmsg(ds), "columns[1]"));
        o.columns = NULL;
        assert_int_equal(seg_dataset_compute_features(ds, &o), SEG_EINVAL);
        has_only(ds, full, one, 1);
        /* none of them, then all again */
        o.columns = want + 2; /* rfm.score: no purchase feature */
        o.n_columns = 1;
        assert_ok(seg_dataset_compute_features(ds, &o));
        has_only(ds, full, NULL, 0);
        o.columns = NULL;
        o.n_columns = 0;
        assert_ok(seg_dataset_compute_features(ds, &o));
        has_only(ds, full, purchase_features, N_PURCHASE);
        seg_dataset_free(ds);
    }
    seg_dataset_free(full);
}

/* Sums beyond a double are an error that names the customer, not an
 * empty monetary_total. */
static void test_amount_overflow(void **state)
{
    (void)state;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    const char *text = "id,time,amount\nok,2024-01-01,1\n"
                       "big,2024-01-01,1e308\nbig,2024-01-02,1e308\n";
    assert_ok(seg_dataset_load_csv_buffer(ds, text, strlen(text), NULL,
                                          NULL));
    assert_int_equal(seg_dataset_compute_features(ds, NULL), SEG_ERANGE);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "customer 'big'"));
    assert_int_equal(seg_dataset_column_count(ds), 0); /* nothing half done */
    seg_dataset_free(ds);
}


/* Windows against a direct count: purchase days, net amounts and events
 * of each customer in the last N local days up to as_of, in UTC and at
 * +08:00; records after as_of left out. */
static void test_windows(void **state)
{
    (void)state;
    enum { NC = 40, NT = 3000, NE = 800 };
    static const int lens[] = {30, 90, 365};
    for (int zone = 0; zone < 2; zone++) {
        int64_t off = zone ? 8 * 3600 : 0;
        seg_dataset *ds;
        assert_ok(seg_dataset_new(&ds));
        if (zone)
            assert_ok(seg_dataset_set_timezone(ds, "+08:00"));
        static char idbuf[NC][8];
        const char *ids[NT], *eids[NE], *kinds[NE];
        static int64_t times[NT], etimes[NE];
        static double amounts[NT];
        uint64_t x = 12345;
        int64_t t0 = 1672531200; /* 2023-01-01T00:00Z */
        for (int c = 0; c < NC; c++)
            snprintf(idbuf[c], sizeof idbuf[c], "c%02d", c);
        for (int i = 0; i < NT; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            ids[i] = idbuf[(x >> 33) % NC];
            times[i] = t0 + (int64_t)((x >> 11) % (500 * 86400ull));
            amounts[i] = (double)((int)((x >> 40) % 200) - 20);
        }
        for (int i = 0; i < NE; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            eids[i] = idbuf[(x >> 33) % NC];
            etimes[i] = t0 + (int64_t)((x >> 11) % (500 * 86400ull));
            kinds[i] = (x >> 60) & 1 ? "visit" : "call";
        }
        assert_ok(seg_dataset_add_transactions(ds, ids, times, amounts, NT));
        assert_ok(seg_dataset_add_events(ds, eids, etimes, kinds, NULL, NE));
        seg_features_options fo;
        seg_features_options_init(&fo);
        assert_ok(seg_dataset_parse_time(ds, &fo.as_of, "2024-02-10", 10,
                                         SEG_TIME_AUTO | SEG_TIME_END_OF_DAY));
        for (int w = 0; w < 3; w++)
            fo.windows[w] = lens[w];
        assert_ok(seg_dataset_compute_features(ds, &fo));
        int64_t end_day = (fo.as_of + off) / DAY;
        for (int w = 0; w < 3; w++) {
            char on[32], mn[32], en[40];
            snprintf(on, sizeof on, "orders_%dd", lens[w]);
            snprintf(mn, sizeof mn, "monetary_%dd", lens[w]);
            snprintf(en, sizeof en, "events.visit.count_%dd", lens[w]);
            assert_int_equal(seg_dataset_column_kind(ds, on), SEG_KIND_COUNT);
            assert_int_equal(seg_dataset_column_kind(ds, mn),
                             SEG_KIND_AMOUNT);
            int64_t from = end_day - lens[w] + 1;
            for (int c = 0; c < NC; c++) {
                size_t row;
                assert_ok(seg_dataset_customer_find(ds, idbuf[c], &row));
                /* net per local day of this customer in the window */
                static double net[600];
                static int any[600];
                memset(net, 0, sizeof net);
                memset(any, 0, sizeof any);
                double total = 0, visits = 0;
                for (int i = 0; i < NT; i++) {
                    int64_t d = (times[i] + off) / DAY;
                    if (ids[i] != idbuf[c] || times[i] > fo.as_of || d < from)
                        continue;
                    net[d - from] += amounts[i];
                    any[d - from] |= amounts[i] < 0 ? 2 : 1;
                    total += amounts[i];
                }
                double orders = 0;
                for (int d = 0; d < lens[w]; d++)
                    orders += any[d] && (net[d] > 0 ||
                                         (net[d] == 0 && !(any[d] & 2)));
                for (int i = 0; i < NE; i++)
                    visits += eids[i] == idbuf[c] &&
                              etimes[i] <= fo.as_of &&
                              (etimes[i] + off) / DAY >= from &&
                              strcmp(kinds[i], "visit") == 0;
                assert_near(num(ds, on, row), orders, 0);
                assert_near(num(ds, mn, row), total, 1e-9);
                assert_near(num(ds, en, row), visits, 0);
            }
        }
        /* bad windows */
        fo.windows[3] = 30;
        assert_int_equal(seg_dataset_compute_features(ds, &fo), SEG_EINVAL);
        fo.windows[3] = -1;
        assert_int_equal(seg_dataset_compute_features(ds, &fo), SEG_EINVAL);
        fo.windows[3] = 0;
        /* no windows: their columns go */
        seg_features_options_init(&fo);
        assert_ok(seg_dataset_compute_features(ds, &fo));
        assert_int_equal(seg_dataset_column_kind(ds, "orders_30d"),
                         SEG_ENOTFOUND);
        seg_dataset_free(ds);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cdnow_reference_summary),
        cmocka_unit_test(test_cdnow_holdout),
        cmocka_unit_test(test_purchase_days),
        cmocka_unit_test(test_append_equals_load_at_once),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_returns),
        cmocka_unit_test(test_returns_in_the_holdout),
        cmocka_unit_test(test_columns_named),
        cmocka_unit_test(test_amount_overflow),
        cmocka_unit_test(test_windows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
