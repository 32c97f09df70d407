/* Helpers shared by the cmocka tests. */
#ifndef SEG_TESTUTIL_H
#define SEG_TESTUTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <segment.h>

/* |a - b| <= tol, with both values printed on failure */
#define assert_near(a, b, tol)                                              \
    do {                                                                    \
        double a_ = (a), b_ = (b);                                          \
        if (!(fabs(a_ - b_) <= (tol)))                                      \
            fail_msg("%s = %.10g, expected %.10g (tolerance %g)", #a, a_,   \
                     b_, (double)(tol));                                    \
    } while (0)

#define assert_ok(expr)                                                     \
    do {                                                                    \
        int rc_ = (expr);                                                   \
        if (rc_ != 0)                                                       \
            fail_msg("%s returned %d: %s", #expr, rc_, seg_errmsg());       \
    } while (0)

/* A customer's cell, by id: a label (NULL for missing) or a number. */
static inline const char *id_label(seg_dataset *ds, const char *col,
                                   const char *id)
{
    size_t row;
    const char *v;
    assert_ok(seg_dataset_customer_find(ds, id, &row));
    assert_ok(seg_dataset_get_label(ds, col, row, &v));
    return v;
}

static inline double id_num(seg_dataset *ds, const char *col, const char *id)
{
    size_t row;
    double v;
    assert_ok(seg_dataset_customer_find(ds, id, &row));
    assert_ok(seg_dataset_get_f64(ds, col, row, &v));
    return v;
}

/* A seg_write_fn that appends to a NUL-terminated string at *(char **)user
 * (start it at NULL; free it after). */
static inline int collect(const char *data, size_t len, void *user)
{
    char **s = user;
    size_t old = *s ? strlen(*s) : 0;
    char *n = realloc(*s, old + len + 1);
    if (!n)
        return -1;
    memcpy(n + old, data, len);
    n[old + len] = '\0';
    *s = n;
    return 0;
}

/* The CDNOW sample keyed by its sample ids (the IDs of the reference
 * summaries), with features in the unit, up to the end of the date as_of
 * (NULL: the latest purchase), with a holdout from holdout_from (or none). */
static inline seg_dataset *cdnow_sample(const char *as_of, int unit,
                                        const char *holdout_from)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.has_header = 0;
    o.id_column = "2";
    o.time_column = "3";
    o.amount_column = "5";
    assert_ok(seg_dataset_load_csv(ds, SEG_TEST_DATA "/CDNOW_sample.txt", &o));
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.time_unit = unit;
    if (as_of) {
        assert_ok(seg_time_parse(&fo.as_of, as_of, strlen(as_of),
                                 SEG_TIME_ISO8601));
        fo.as_of += 86399;
    }
    if (holdout_from)
        assert_ok(seg_time_parse(&fo.holdout_from, holdout_from,
                                 strlen(holdout_from), SEG_TIME_ISO8601));
    assert_ok(seg_dataset_compute_features(ds, &fo));
    return ds;
}


/* A fitted model's result, failing the test with its message when it has
 * none. */
static inline double result_of(const seg_model *m, const char *name)
{
    double v;
    if (seg_model_result(m, name, &v))
        fail_msg("%s: %s", name, seg_model_errmsg(m));
    return v;
}

/* CLVTools' apparel data (tests/data/apparel) in weeks, estimation to
 * 2006-12-31 as its vignette has it; customer attributes from the file
 * attr_path and the CSV text attr_csv, each when not NULL. */
static inline seg_dataset *apparel_weeks(const char *attr_path,
                                         const char *attr_csv)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.id_column = "Id";
    o.time_column = "Date";
    o.amount_column = "Price";
    assert_ok(seg_dataset_load_csv(
        ds, SEG_TEST_DATA "/apparel/apparel_transactions.csv", &o));
    seg_csv_options a;
    seg_csv_options_init(&a);
    a.id_column = "Id";
    a.all_attributes = 1;
    if (attr_path)
        assert_ok(seg_dataset_load_csv(ds, attr_path, &a));
    if (attr_csv)
        assert_ok(seg_dataset_load_csv_buffer(ds, attr_csv, strlen(attr_csv),
                                              "attributes", &a));
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.time_unit = SEG_UNIT_WEEK;
    assert_ok(seg_time_parse(&fo.as_of, "2006-12-31", 10, SEG_TIME_ISO8601));
    fo.as_of += 86399;
    assert_ok(seg_dataset_compute_features(ds, &fo));
    return ds;
}


/* The checksum of a model file, written here again (not taken from the
 * library) so that tests can write saved states by hand: the last line of
 * a model file is this hash of every byte before it. */
static inline uint64_t model_file_hash(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0x94d049bb133111ebull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

/* Load a model file whose text before its checksum line is `body`: the
 * line is added here, so that a test can write a file by hand. */
static inline int load_model_body(seg_model **out, const char *body)
{
    char path[] = "/tmp/seg-model-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "%send %016llx\n", body,
            (unsigned long long)model_file_hash(body, strlen(body)));
    fclose(f);
    int rc = seg_model_load(out, path);
    remove(path);
    return rc;
}

#endif
