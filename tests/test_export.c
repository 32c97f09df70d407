/* Export to CSV and JSON. */
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <segment.h>

#include "testutil.h"

static int refuse(const char *data, size_t len, void *user)
{
    (void)data;
    (void)len;
    (void)user;
    return 1;
}

static seg_dataset *sample(void)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_set_attribute_f64(ds, "a", "x", 0.1));
    assert_ok(seg_dataset_set_attribute_str(ds, "a", "tag", "say \"hi\", 你好"));
    assert_ok(seg_dataset_set_attribute_f64(ds, "b,c", "x", 1e21));
    assert_ok(seg_dataset_set_attribute_str(ds, "b,c", "tag", "tab\there"));
    assert_ok(seg_dataset_set_attribute_f64(ds, "d", "x", -3));
    return ds;
}

static void test_csv(void **state)
{
    (void)state;
    seg_dataset *ds = sample();
    char *s = NULL;
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_CSV, NULL, 0, collect, &s));
    assert_string_equal(s, "customer_id,x,tag\n"
                           "a,0.1,\"say \"\"hi\"\", 你好\"\n"
                           "\"b,c\",1e+21,tab\there\n"
                           "d,-3,\n");
    free(s);
    s = NULL;
    const char *cols[] = {"tag"};
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_CSV, cols, 1, collect, &s));
    assert_string_equal(s, "customer_id,tag\na,\"say \"\"hi\"\", 你好\"\n"
                           "\"b,c\",tab\there\nd,\n");
    free(s);
    seg_dataset_free(ds);
}

static void test_json(void **state)
{
    (void)state;
    seg_dataset *ds = sample();
    char *s = NULL;
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_JSON, NULL, 0, collect, &s));
    assert_string_equal(
        s, "[\n"
           "{\"customer_id\":\"a\",\"x\":0.1,\"tag\":\"say \\\"hi\\\", 你好\"},\n"
           "{\"customer_id\":\"b,c\",\"x\":1e+21,\"tag\":\"tab\\there\"},\n"
           "{\"customer_id\":\"d\",\"x\":-3,\"tag\":null}\n"
           "]\n");
    free(s);
    seg_dataset_free(ds);
}

static void test_numbers_round_trip_in_any_locale(void **state)
{
    (void)state;
    /* A host in a comma-decimal locale still gets '.' (if the locale exists
     * on this machine; the check is meaningful either way). */
    setlocale(LC_ALL, "de_DE.UTF-8");
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    double vals[] = {0.1, 1.0 / 3, 2.5e-300, 123456789.125, -0.0, 1e15 + 0.5};
    size_t n = sizeof vals / sizeof *vals;
    for (size_t i = 0; i < n; i++) {
        char id[8];
        snprintf(id, sizeof id, "c%zu", i);
        assert_ok(seg_dataset_set_attribute_f64(ds, id, "v", vals[i]));
    }
    char *s = NULL;
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_CSV, NULL, 0, collect, &s));
    seg_dataset *back;
    assert_ok(seg_dataset_new(&back));
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.id_column = "customer_id";
    const char *attrs[] = {"v"};
    o.attribute_columns = attrs;
    o.n_attribute_columns = 1;
    assert_ok(seg_dataset_load_csv_buffer(back, s, strlen(s), NULL, &o));
    for (size_t i = 0; i < n; i++) {
        double v;
        assert_ok(seg_dataset_get_f64(back, "v", i, &v));
        assert_true(v == vals[i]);
    }
    setlocale(LC_ALL, "C");
    free(s);
    seg_dataset_free(ds);
    seg_dataset_free(back);
}

static void test_errors(void **state)
{
    (void)state;
    seg_dataset *ds = sample();
    char *s = NULL;
    const char *cols[] = {"nope"};
    assert_int_equal(seg_dataset_export(ds, SEG_FORMAT_CSV, cols, 1, collect,
                                        &s), SEG_ENOTFOUND);
    assert_null(s);
    assert_int_equal(seg_dataset_export(ds, 7, NULL, 0, collect, &s),
                     SEG_EINVAL);
    assert_int_equal(seg_dataset_export(ds, SEG_FORMAT_CSV, NULL, 0, refuse,
                                        NULL), SEG_EIO);
    assert_int_equal(seg_dataset_export_file(ds, SEG_FORMAT_CSV, NULL, 0,
                                             "/nonexistent/dir/out.csv"),
                     SEG_EIO);
    char path[] = "/tmp/seg-export-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_ok(seg_dataset_export_file(ds, SEG_FORMAT_JSON, NULL, 0, path));
    FILE *f = fopen(path, "r");
    char buf[16] = {0};
    assert_non_null(fgets(buf, sizeof buf, f));
    assert_string_equal(buf, "[\n");
    fclose(f);
    remove(path);
    seg_dataset_free(ds);
}


/* Features with a purchase at 2024-03-01T20:00:00+08:00 and one a day
 * later, and an event: in the zone given. */
static seg_dataset *timed(const char *zone, int unit)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    if (zone)
        assert_ok(seg_dataset_set_timezone(ds, zone));
    const char *ids[] = {"a", "a", "b"};
    int64_t t0 = 1709294400; /* 2024-03-01T12:00:00Z */
    int64_t times[] = {t0, t0 + 86400, t0};
    double amounts[] = {10, 5, 1};
    assert_ok(seg_dataset_add_transactions(ds, ids, times, amounts, 3));
    assert_ok(seg_dataset_add_event(ds, "b", t0 - 12 * 3600, "visit", NAN));
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.time_unit = unit;
    assert_ok(seg_dataset_compute_features(ds, &fo));
    return ds;
}

static void test_column_kinds(void **state)
{
    (void)state;
    static const struct {
        const char *col;
        int kind;
    } want[] = {
        {"orders", SEG_KIND_COUNT}, {"frequency", SEG_KIND_COUNT},
        {"t_x", SEG_KIND_DAYS}, {"T", SEG_KIND_DAYS},
        {"recency", SEG_KIND_DAYS}, {"monetary_total", SEG_KIND_AMOUNT},
        {"monetary_mean", SEG_KIND_AMOUNT},
        {"monetary_repeat_mean", SEG_KIND_AMOUNT},
        {"first_purchase", SEG_KIND_TIMESTAMP},
        {"last_purchase", SEG_KIND_TIMESTAMP},
        {"events.visit.count", SEG_KIND_COUNT},
        {"events.visit.last", SEG_KIND_TIMESTAMP},
    };
    seg_dataset *ds = timed(NULL, SEG_UNIT_DAY);
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        assert_int_equal(seg_dataset_column_kind(ds, want[i].col),
                         want[i].kind);
        /* the type stays what callers read */
        assert_int_equal(seg_dataset_column_type(ds, want[i].col),
                         SEG_COLUMN_NUMERIC);
    }
    seg_dataset_free(ds);
    ds = timed(NULL, SEG_UNIT_WEEK);
    assert_int_equal(seg_dataset_column_kind(ds, "T"), SEG_KIND_WEEKS);
    assert_int_equal(seg_dataset_column_kind(ds, "recency"), SEG_KIND_WEEKS);
    assert_string_equal(seg_column_kind_name(SEG_KIND_WEEKS), "weeks");
    assert_string_equal(seg_column_kind_name(SEG_KIND_TIMESTAMP),
                        "timestamp");
    assert_string_equal(seg_column_kind_name(SEG_KIND_NONE), "none");
    assert_null(seg_column_kind_name(99));
    /* a host's own column: none until marked */
    double v[2] = {1709294400, NAN};
    assert_ok(seg_dataset_write_f64(ds, "signup", v, 2));
    assert_int_equal(seg_dataset_column_kind(ds, "signup"), SEG_KIND_NONE);
    assert_ok(seg_dataset_set_column_kind(ds, "signup", SEG_KIND_TIMESTAMP));
    assert_int_equal(seg_dataset_column_kind(ds, "signup"),
                     SEG_KIND_TIMESTAMP);
    assert_int_equal(seg_dataset_set_column_kind(ds, "signup", 42),
                     SEG_EINVAL);
    assert_int_equal(seg_dataset_column_kind(ds, "nope"), SEG_ENOTFOUND);
    assert_int_equal(seg_dataset_column_kind(NULL, "T"), SEG_EINVAL);
    assert_ok(seg_dataset_set_attribute_str(ds, "a", "tag", "x"));
    assert_int_equal(seg_dataset_set_column_kind(ds, "tag", SEG_KIND_COUNT),
                     SEG_ETYPE);
    char *s = NULL;
    const char *cols[] = {"signup"};
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_CSV, cols, 1, collect, &s));
    assert_string_equal(s, "customer_id,signup\na,2024-03-01T12:00:00Z\nb,\n");
    free(s);
    seg_dataset_free(ds);
}

static void test_timestamps_in_exports(void **state)
{
    (void)state;
    const char *cols[] = {"first_purchase", "last_purchase", "orders",
                          "events.visit.last"};
    seg_dataset *ds = timed("Asia/Shanghai", SEG_UNIT_DAY);
    char *s = NULL;
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_CSV, cols, 4, collect, &s));
    assert_string_equal(s, "customer_id,first_purchase,last_purchase,orders,"
                           "events.visit.last\n"
                           "a,2024-03-01T20:00:00+08:00,"
                           "2024-03-02T20:00:00+08:00,2,\n"
                           "b,2024-03-01T20:00:00+08:00,"
                           "2024-03-01T20:00:00+08:00,1,"
                           "2024-03-01T08:00:00+08:00\n");
    free(s);
    s = NULL;
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_JSON, cols, 2, collect, &s));
    assert_string_equal(s, "[\n"
                           "{\"customer_id\":\"a\","
                           "\"first_purchase\":\"2024-03-01T20:00:00+08:00\","
                           "\"last_purchase\":\"2024-03-02T20:00:00+08:00\"},\n"
                           "{\"customer_id\":\"b\","
                           "\"first_purchase\":\"2024-03-01T20:00:00+08:00\","
                           "\"last_purchase\":\"2024-03-01T20:00:00+08:00\"}"
                           "\n]\n");
    free(s);
    s = NULL;
    /* epoch seconds on request, as before 0.2.0 */
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_JSON | SEG_EXPORT_EPOCH_TIMES,
                                 cols, 1, collect, &s));
    assert_string_equal(s, "[\n"
                           "{\"customer_id\":\"a\","
                           "\"first_purchase\":1709294400},\n"
                           "{\"customer_id\":\"b\","
                           "\"first_purchase\":1709294400}\n]\n");
    free(s);
    s = NULL;
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_CSV | SEG_EXPORT_EPOCH_TIMES,
                                 cols + 3, 1, collect, &s));
    assert_string_equal(s, "customer_id,events.visit.last\na,\n"
                           "b,1709251200\n");
    free(s);
    assert_int_equal(seg_dataset_export(ds, SEG_FORMAT_TEXT |
                                                SEG_EXPORT_EPOCH_TIMES,
                                        NULL, 0, collect, &s),
                     SEG_EINVAL);
    seg_dataset_free(ds);
    /* UTC, and a zone west of it */
    ds = timed(NULL, SEG_UNIT_DAY);
    s = NULL;
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_CSV, cols, 1, collect, &s));
    assert_string_equal(s, "customer_id,first_purchase\n"
                           "a,2024-03-01T12:00:00Z\nb,2024-03-01T12:00:00Z\n");
    free(s);
    seg_dataset_free(ds);
    ds = timed("America/New_York", SEG_UNIT_DAY);
    s = NULL;
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_CSV, cols, 1, collect, &s));
    assert_string_equal(s, "customer_id,first_purchase\n"
                           "a,2024-03-01T07:00:00-05:00\n"
                           "b,2024-03-01T07:00:00-05:00\n");
    free(s);
    seg_dataset_free(ds);
}

/* ---- many rows: the blocks and threads of an export ----
 * The expected text is written here by printf and by hand: numbers as
 * "%lld" or the shortest of "%.15g".."%.17g" that reads back, texts quoted
 * and escaped by the rules of RFC 4180 and JSON, times by gmtime. */

static void append(char **s, size_t *len, size_t *cap, const char *t, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *s = realloc(*s, *cap);
        assert_non_null(*s);
    }
    memcpy(*s + *len, t, n);
    *len += n;
    (*s)[*len] = '\0';
}

static void append_num(char **s, size_t *len, size_t *cap, double v, bool json)
{
    char buf[48];
    int n = 0;
    if (isnan(v) || (json && isinf(v))) {
        if (json)
            append(s, len, cap, "null", 4);
        return;
    }
    if (isinf(v)) {
        n = snprintf(buf, sizeof buf, v < 0 ? "-inf" : "inf");
    } else if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        n = snprintf(buf, sizeof buf, "%lld", (long long)v);
    } else {
        for (int prec = 15; prec <= 17; prec++) {
            n = snprintf(buf, sizeof buf, "%.*g", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
    }
    append(s, len, cap, buf, (size_t)n);
}

static void append_text(char **s, size_t *len, size_t *cap, const char *t,
                        bool json)
{
    if (!t) {
        if (json)
            append(s, len, cap, "null", 4);
        return;
    }
    if (json) {
        append(s, len, cap, "\"", 1);
        for (const char *p = t; *p; p++) {
            char e[8];
            if (*p == '"' || *p == '\\') {
                e[0] = '\\', e[1] = *p;
                append(s, len, cap, e, 2);
            } else if (*p == '\n' || *p == '\r' || *p == '\t') {
                append(s, len, cap, *p == '\n' ? "\\n" : *p == '\r' ? "\\r"
                                                         : "\\t", 2);
            } else if ((unsigned char)*p < 0x20) {
                snprintf(e, sizeof e, "\\u%04x", (unsigned char)*p);
                append(s, len, cap, e, 6);
            } else {
                append(s, len, cap, p, 1);
            }
        }
        append(s, len, cap, "\"", 1);
        return;
    }
    if (!strpbrk(t, ",\"\r\n")) {
        append(s, len, cap, t, strlen(t));
        return;
    }
    append(s, len, cap, "\"", 1);
    for (const char *p = t; *p; p++) {
        append(s, len, cap, p, 1);
        if (*p == '"')
            append(s, len, cap, "\"", 1);
    }
    append(s, len, cap, "\"", 1);
}

#define MANY 100000

static double many_x(int i)
{
    switch (i % 7) {
    case 0: return i;                               /* integers */
    case 1: return (double)(i * 37 % 100000) / 100; /* money */
    case 2: return (double)i / 7;                   /* long expansions */
    case 3: return i % 2 ? NAN : -1.5e-7 * i;       /* missing, tiny */
    case 4: return i % 3 ? 1e22 + i : INFINITY;     /* huge */
    case 5: return -(double)i / 1024;               /* dyadic */
    default: return 0.1 * i;
    }
}

static const char *many_tag(int i, char *buf)
{
    static const char *const tags[] = {"plain", "a,b", "say \"hi\"",
                                       "two\nlines", "tab\there", "你好"};
    if (i % 11 == 10)
        return NULL;
    snprintf(buf, 64, "%s %d", tags[i % 6], i);
    return buf;
}

/* Times that repeat, more distinct ones than an export keeps written, some
 * before 1970 and some of the same hash slot, so that the text of a time
 * written before is reused, replaced and written again. */
static double many_u(int i)
{
    int k = i % 3001;
    if (k % 10 == 9)
        return -86400.0 * k - 1;
    return 1600000000.0 + (double)k * 86400 + (i % 2 ? 0 : 2048.0 * 3600);
}

static char *many_expected(bool json)
{
    char *s = NULL, buf[64], id[32];
    size_t len = 0, cap = 0;
    append(&s, &len, &cap, json ? "[" : "customer_id,x,tag,t,u\n",
           json ? 1 : 22);
    for (int i = 0; i < MANY; i++) {
        snprintf(id, sizeof id, i % 5 ? "c%d" : "c,%d", i);
        if (json)
            append(&s, &len, &cap, i ? ",\n{\"customer_id\":" :
                   "\n{\"customer_id\":", i ? 17 : 16);
        append_text(&s, &len, &cap, id, json);
        append(&s, &len, &cap, json ? ",\"x\":" : ",", json ? 5 : 1);
        append_num(&s, &len, &cap, many_x(i), json);
        append(&s, &len, &cap, json ? ",\"tag\":" : ",", json ? 7 : 1);
        append_text(&s, &len, &cap, many_tag(i, buf), json);
        append(&s, &len, &cap, json ? ",\"t\":" : ",", json ? 5 : 1);
        for (int c = 0; c < 2; c++) {
            if (c)
                append(&s, &len, &cap, json ? ",\"u\":" : ",", json ? 5 : 1);
            time_t t = (time_t)(c ? many_u(i) : 1700000000.0 + i * 3607.0);
            struct tm tm;
            gmtime_r(&t, &tm);
            char iso[40];
            size_t n = strftime(iso, sizeof iso,
                                json ? "\"%Y-%m-%dT%H:%M:%SZ\""
                                     : "%Y-%m-%dT%H:%M:%SZ", &tm);
            append(&s, &len, &cap, iso, n);
        }
        append(&s, &len, &cap, json ? "}" : "\n", 1);
    }
    if (json)
        append(&s, &len, &cap, "\n]\n", 3);
    return s;
}

static void test_many_rows_on_threads(void **state)
{
    (void)state;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    char buf[64], id[32];
    for (int i = 0; i < MANY; i++) {
        snprintf(id, sizeof id, i % 5 ? "c%d" : "c,%d", i);
        assert_ok(seg_dataset_set_attribute_f64(ds, id, "x", many_x(i)));
        const char *tag = many_tag(i, buf);
        if (tag)
            assert_ok(seg_dataset_set_attribute_str(ds, id, "tag", tag));
        else
            assert_ok(seg_dataset_add_customer(ds, id, NULL));
        assert_ok(seg_dataset_set_attribute_f64(
            ds, id, "t", 1700000000.0 + (double)i * 3607));
        assert_ok(seg_dataset_set_attribute_f64(ds, id, "u", many_u(i)));
    }
    assert_ok(seg_dataset_set_column_kind(ds, "t", SEG_KIND_TIMESTAMP));
    assert_ok(seg_dataset_set_column_kind(ds, "u", SEG_KIND_TIMESTAMP));
    for (int json = 0; json < 2; json++) {
        char *want = many_expected(json);
        for (int threads = 1; threads <= 3; threads++) {
            assert_ok(seg_dataset_set_threads(ds, threads));
            char *s = NULL;
            assert_ok(seg_dataset_export(ds, json ? SEG_FORMAT_JSON
                                                  : SEG_FORMAT_CSV,
                                         NULL, 0, collect, &s));
            if (strcmp(s, want) != 0) {
                size_t at = 0;
                while (s[at] && s[at] == want[at])
                    at++;
                fail_msg("%s, %d threads: differs at byte %zu: '%.40s' "
                         "instead of '%.40s'", json ? "json" : "csv",
                         threads, at, s + at, want + at);
            }
            free(s);
        }
        free(want);
    }
    seg_dataset_free(ds);
}

/* The same instants again and again in a zone with summer time, on any
 * number of threads: each is written with the offset of its own date
 * (America/New_York: -05:00 in winter, -04:00 from the second Sunday of
 * March at 2:00 to the first Sunday of November at 2:00, whose hour from
 * 1:00 comes twice; written here by hand). */
static void test_repeated_times_in_a_zone(void **state)
{
    (void)state;
    static const struct {
        double t;
        const char *text;
    } when[] = {
        {1710050400, "2024-03-10T01:00:00-05:00"},
        {1710053999, "2024-03-10T01:59:59-05:00"},
        {1710054000, "2024-03-10T03:00:00-04:00"},
        /* the hour of November that comes twice */
        {1730613599, "2024-11-03T01:59:59-04:00"},
        {1730613600, "2024-11-03T01:00:00-05:00"},
        {1730609999, "2024-11-03T00:59:59-04:00"},
        {-1, "1969-12-31T18:59:59-05:00"},
    };
    enum { N = 9000, W = sizeof when / sizeof *when };
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_set_timezone(ds, "America/New_York"));
    char id[32];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "c%d", i);
        assert_ok(seg_dataset_set_attribute_f64(ds, id, "t", when[i % W].t));
    }
    assert_ok(seg_dataset_set_column_kind(ds, "t", SEG_KIND_TIMESTAMP));
    for (int threads = 1; threads <= 2; threads++) {
        assert_ok(seg_dataset_set_threads(ds, threads));
        char *s = NULL;
        assert_ok(seg_dataset_export(ds, SEG_FORMAT_CSV, NULL, 0, collect,
                                     &s));
        const char *p = strchr(s, '\n') + 1;
        for (int i = 0; i < N; i++) {
            const char *comma = strchr(p, ',');
            const char *end = strchr(p, '\n');
            assert_non_null(comma);
            assert_non_null(end);
            size_t n = (size_t)(end - comma - 1);
            if (n != strlen(when[i % W].text) ||
                memcmp(comma + 1, when[i % W].text, n) != 0)
                fail_msg("%d threads, row %d: '%.*s' instead of '%s'",
                         threads, i, (int)n, comma + 1, when[i % W].text);
            p = end + 1;
        }
        assert_int_equal(*p, '\0');
        free(s);
    }
    seg_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_numbers_round_trip_in_any_locale),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_column_kinds),
        cmocka_unit_test(test_timestamps_in_exports),
        cmocka_unit_test(test_many_rows_on_threads),
        cmocka_unit_test(test_repeated_times_in_a_zone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
