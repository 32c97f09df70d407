/* CSV ingest: dialects, quoting, errors with locations, atomic loads. */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <segment.h>

#include "testutil.h"

/* Everything observable about a dataset, as text. */
static char *snapshot(seg_dataset *ds)
{
    char *s = NULL;
    char head[128];
    snprintf(head, sizeof head, "customers=%zu tx=%zu ev=%zu cols=%zu\n",
             seg_dataset_customer_count(ds),
             seg_dataset_transaction_count(ds), seg_dataset_event_count(ds),
             seg_dataset_column_count(ds));
    collect(head, strlen(head), &s);
    if (seg_dataset_export(ds, SEG_FORMAT_CSV, NULL, 0, collect, &s))
        fail_msg("export: %s", seg_dataset_errmsg(ds));
    return s;
}

static seg_dataset *load_threads(const char *text, const seg_csv_options *o,
                                 int want, int threads)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_set_threads(ds, threads));
    int rc = seg_dataset_load_csv_buffer(ds, text, strlen(text), "t.csv", o);
    if (rc != want)
        fail_msg("load returned %d (%s), expected %d", rc,
                 seg_dataset_errmsg(ds), want);
    return ds;
}

static seg_dataset *load(const char *text, const seg_csv_options *o, int want)
{
    return load_threads(text, o, want, 0);
}

static double num(seg_dataset *ds, const char *col, size_t row)
{
    double v;
    assert_ok(seg_dataset_get_f64(ds, col, row, &v));
    return v;
}

static void test_header_auto_mapping(void **state)
{
    (void)state;
    seg_dataset *ds = load("customer_id,date,amount\n"
                           "a,2024-01-01,10.5\n"
                           "b,2024-01-02,3\n"
                           "a,2024-01-03,1e1\n", NULL, SEG_OK);
    assert_int_equal(seg_dataset_customer_count(ds), 2);
    assert_int_equal(seg_dataset_transaction_count(ds), 3);
    assert_ok(seg_dataset_compute_features(ds, NULL));
    assert_near(num(ds, "monetary_total", 0), 20.5, 1e-12);
    seg_dataset_free(ds);
}

static void test_dialects(void **state)
{
    (void)state;
    const char *variants[] = {
        "id,time,amount\r\nx,20240101,1\r\ny,20240102,2\r\n",
        "\xEF\xBB\xBFid,time,amount\nx,20240101,1\ny,20240102,2",
        "id\ttime\tamount\nx\t20240101\t1\n\ny\t20240102\t2\n",
        "id;time;amount\nx;20240101;1\ny;20240102;2\n",
        "  id   time amount\n  x 20240101   1\n\t y 20240102 2   \n",
        "\"id\",\"time\",\"amount\"\n\"x\",\"20240101\",\"1\"\n\"y\",20240102,\"2\"\n",
    };
    for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
        seg_dataset *ds = load(variants[i], NULL, SEG_OK);
        assert_int_equal(seg_dataset_customer_count(ds), 2);
        assert_int_equal(seg_dataset_transaction_count(ds), 2);
        assert_string_equal(seg_dataset_customer_id(ds, 0), "x");
        assert_string_equal(seg_dataset_customer_id(ds, 1), "y");
        assert_ok(seg_dataset_compute_features(ds, NULL));
        assert_near(num(ds, "monetary_total", 1), 2, 0);
        seg_dataset_free(ds);
    }
}

static void test_rfc4180_quoting(void **state)
{
    (void)state;
    seg_csv_options o;
    seg_csv_options_init(&o);
    const char *attrs[] = {"note"};
    o.attribute_columns = attrs;
    o.n_attribute_columns = 1;
    seg_dataset *ds = load("id,note\n"
                           "\"a,b\",\"say \"\"hi\"\"\"\n"
                           "c,\"two\r\nlines\"\n"
                           "\"张三\",\"\"\n", &o, SEG_OK);
    const char *lab;
    assert_string_equal(seg_dataset_customer_id(ds, 0), "a,b");
    assert_ok(seg_dataset_get_label(ds, "note", 0, &lab));
    assert_string_equal(lab, "say \"hi\"");
    assert_ok(seg_dataset_get_label(ds, "note", 1, &lab));
    assert_string_equal(lab, "two\r\nlines");
    assert_string_equal(seg_dataset_customer_id(ds, 2), "张三");
    assert_ok(seg_dataset_get_label(ds, "note", 2, &lab));
    assert_null(lab); /* empty: not set */
    seg_dataset_free(ds);
}

static void test_headerless_by_number(void **state)
{
    (void)state;
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.has_header = 0;
    o.id_column = "1";
    o.time_column = "3";
    o.amount_column = "5";
    seg_dataset *ds = load(" 00004 0001 19970101  2   29.33\n"
                           " 00004 0001 19970118  2   29.73\n", &o, SEG_OK);
    assert_int_equal(seg_dataset_transaction_count(ds), 2);
    assert_string_equal(seg_dataset_customer_id(ds, 0), "00004");
    seg_dataset_free(ds);
    o.amount_column = "amount";
    ds = load("1 19970101 2 3\n", &o, SEG_ENOTFOUND);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "no header"));
    seg_dataset_free(ds);
}

static void test_events_and_attributes(void **state)
{
    (void)state;
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.id_column = "user";
    o.time_column = "ts";
    o.kind_column = "what";
    o.value_column = "v";
    const char *attrs[] = {"channel", "age"};
    o.attribute_columns = attrs;
    o.n_attribute_columns = 2;
    seg_dataset *ds = load("user,ts,what,v,channel,age\n"
                           "u1,2024-03-01T10:00:00Z,view,,organic,30\n"
                           "u1,2024-03-02T10:00:00+08:00,cart,2.5,,31\n"
                           "u2,1709287200,view,1,paid,\n", &o, SEG_OK);
    assert_int_equal(seg_dataset_event_count(ds), 3);
    assert_int_equal(seg_dataset_transaction_count(ds), 0);
    assert_int_equal(seg_dataset_column_type(ds, "channel"), SEG_COLUMN_LABEL);
    assert_int_equal(seg_dataset_column_type(ds, "age"), SEG_COLUMN_NUMERIC);
    assert_near(num(ds, "age", 0), 31, 0); /* the last value wins */
    assert_true(isnan(num(ds, "age", 1)));
    const char *lab;
    assert_ok(seg_dataset_get_label(ds, "channel", 0, &lab));
    assert_string_equal(lab, "organic"); /* empty field left it alone */
    seg_features_options fo;
    seg_features_options_init(&fo);
    assert_ok(seg_dataset_compute_features(ds, &fo));
    assert_near(num(ds, "events.view.count", 0), 1, 0);
    assert_near(num(ds, "events.cart.count", 0), 1, 0);
    assert_near(num(ds, "events.cart.count", 1), 0, 0);
    assert_near(num(ds, "events.cart.last", 0), 1709287200 + 86400 - 8 * 3600,
                0);
    assert_near(num(ds, "orders", 0), 0, 0);
    seg_dataset_free(ds);
}

/* The error, the same from one thread and from several. */
static void expect_error(const char *text, const seg_csv_options *o,
                         int code, const char *msg)
{
    for (int threads = 1; threads <= 3; threads += 2) {
        seg_dataset *ds = load_threads(text, o, code, threads);
        if (!strstr(seg_dataset_errmsg(ds), msg))
            fail_msg("%d threads: message '%s' lacks '%s'", threads,
                     seg_dataset_errmsg(ds), msg);
        seg_dataset_free(ds);
    }
}

static void test_errors_name_the_place(void **state)
{
    (void)state;
    expect_error("id,time,amount\na,20240101,1\nb,20240101,abc\n", NULL,
                 SEG_EPARSE, "t.csv:3:3: amount 'abc' is not a number");
    expect_error("id,time,amount\na,20240101,1\n\nb,2024-13-01,1\n", NULL,
                 SEG_EPARSE, "t.csv:4:2: time '2024-13-01' is not a valid time");
    expect_error("id,time,amount\na,20240101\n", NULL, SEG_EPARSE,
                 "t.csv:2:3: expected at least 3 fields, found 2");
    expect_error("id,time,amount\n\"a,20240101,1\n", NULL, SEG_EPARSE,
                 "t.csv:2:1: quoted field is not closed");
    expect_error("id,time,amount\n\"a\"x,20240101,1\n", NULL, SEG_EPARSE,
                 "t.csv:2:1: expected a delimiter after the closing quote");
    expect_error("id,time,amount\n,20240101,1\n", NULL, SEG_EPARSE,
                 "t.csv:2:1: customer id is empty");
    expect_error("id,time,amount\n\xff,20240101,1\n", NULL, SEG_EPARSE,
                 "customer id is not valid UTF-8");
    expect_error("id,time,amount\na,20240101,1e999\n", NULL, SEG_ERANGE,
                 "amount '1e999' is out of range");
    expect_error("id,time,amount\na,20240101,nan\n", NULL, SEG_EPARSE,
                 "not a number");
    expect_error("foo,bar\n1,2\n", NULL, SEG_EINVAL, "no customer id column");
    {
        seg_csv_options no;
        seg_csv_options_init(&no);
        no.reject_negative_amounts = 1;
        expect_error("id,time,amount\nA,2024-01-01,100\nA,2024-02-01,-40\n",
                     &no, SEG_ERANGE, "t.csv:3:3: amount '-40' is negative");
        /* returns by default */
        seg_dataset_free(load("id,time,amount\nA,2024-02-01,-40\n", NULL,
                              SEG_OK));
    }
    expect_error("id,amount\na,1\n", NULL, SEG_EINVAL, "need a time column");
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.id_column = "id";
    o.amount_column = "amt";
    o.time_column = "time";
    expect_error("id,time,amount\n", &o, SEG_ENOTFOUND,
                 "amount column 'amt' is not in the header");
    seg_csv_options_init(&o);
    o.size = 0;
    expect_error("id\n", &o, SEG_EINVAL, "size");
    seg_csv_options_init(&o);
    o.delimiter = '|';
    expect_error("id\n", &o, SEG_EINVAL, "delimiter");

    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_int_equal(seg_dataset_load_csv(ds, "/nonexistent/x.csv", NULL),
                     SEG_EIO);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "/nonexistent/x.csv"));
    seg_dataset_free(ds);
}

static void test_failed_load_changes_nothing(void **state)
{
    (void)state;
    seg_csv_options o;
    seg_csv_options_init(&o);
    const char *attrs[] = {"tier", "score"};
    o.attribute_columns = attrs;
    o.n_attribute_columns = 2;
    seg_dataset *ds = load("id,time,amount,tier,score\n"
                           "a,20240101,1,gold,5\n"
                           "b,20240102,2,silver,6\n", &o, SEG_OK);
    assert_ok(seg_dataset_add_event(ds, "a", 100, "visit", NAN));
    assert_ok(seg_dataset_compute_features(ds, NULL));
    char *before = snapshot(ds);

    /* New customers, new event kinds, overwritten attributes, a new
     * attribute column and new labels, then an error on the last line. */
    const char *bad_tx = "id,time,amount,tier,score\n"
                         "a,20240105,7,bronze,1\n"
                         "c,20240106,8,platinum,2\n"
                         "d,20240107,oops,gold,3\n";
    assert_int_equal(seg_dataset_load_csv_buffer(ds, bad_tx, strlen(bad_tx),
                                                 "bad.csv", &o),
                     SEG_EPARSE);
    char *after = snapshot(ds);
    assert_string_equal(before, after);
    free(after);

    /* an attribute type clash found only at the end of the file */
    const char *clash = "id,time,amount,tier,score\n"
                        "e,20240105,7,bronze,1\n"
                        "a,20240106,8,platinum,high\n";
    assert_int_equal(seg_dataset_load_csv_buffer(ds, clash, strlen(clash),
                                                 "clash.csv", &o),
                     SEG_ETYPE);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "clash.csv:3:5"));
    after = snapshot(ds);
    assert_string_equal(before, after);
    free(after);

    seg_csv_options eo;
    seg_csv_options_init(&eo);
    eo.kind_column = "kind";
    eo.id_column = "id";
    eo.time_column = "time";
    const char *bad_ev = "id,time,kind\nz,20240101,newkind\nz,xx,visit\n";
    assert_int_equal(seg_dataset_load_csv_buffer(ds, bad_ev, strlen(bad_ev),
                                                 "ev.csv", &eo),
                     SEG_EPARSE);
    after = snapshot(ds);
    assert_string_equal(before, after);
    free(after);

    /* the lookups still work after the rollbacks */
    size_t row;
    assert_int_equal(seg_dataset_customer_find(ds, "c", &row), SEG_ENOTFOUND);
    assert_ok(seg_dataset_customer_find(ds, "b", &row));
    assert_int_equal(row, 1);
    assert_ok(seg_dataset_add_customer(ds, "c", &row));
    assert_int_equal(row, 2);
    free(before);
    seg_dataset_free(ds);
}

static void test_long_line_and_file_blocks(void **state)
{
    (void)state;
    /* A 1 MB field and a file larger than the reader's block, with a quoted
     * field across every block boundary. */
    char path[] = "/tmp/seg-csv-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("id,time,amount,note\n", f);
    size_t big = 1u << 20;
    char *note = malloc(big + 1);
    memset(note, 'x', big);
    note[big] = '\0';
    fprintf(f, "long,20240101,1,\"%s\"\n", note);
    for (int i = 0; i < 60000; i++)
        fprintf(f, "c%d,2024-01-%02d,%d.25,\"n,%d\r\n\"\"q\"\"\"\n", i % 977,
                i % 28 + 1, i % 100, i);
    fclose(f);
    free(note);
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    seg_csv_options o;
    seg_csv_options_init(&o);
    const char *attrs[] = {"note"};
    o.attribute_columns = attrs;
    o.n_attribute_columns = 1;
    assert_ok(seg_dataset_load_csv(ds, path, &o));
    assert_int_equal(seg_dataset_transaction_count(ds), 60001);
    assert_int_equal(seg_dataset_customer_count(ds), 978);
    const char *lab;
    assert_ok(seg_dataset_get_label(ds, "note", 0, &lab));
    assert_int_equal(strlen(lab), big);
    assert_ok(seg_dataset_get_label(ds, "note", 1, &lab));
    assert_string_equal(lab, "n,59597\r\n\"q\"");
    seg_dataset_free(ds);

    /* an error far into the file names the right line */
    f = fopen(path, "a");
    fputs("bad,20240101,zz,\"\"\n", f);
    fclose(f);
    assert_ok(seg_dataset_new(&ds));
    assert_int_equal(seg_dataset_load_csv(ds, path, &o), SEG_EPARSE);
    char want[64];
    snprintf(want, sizeof want, ":%d:3: amount 'zz'", 2 + 1 + 60000 * 2);
    if (!strstr(seg_dataset_errmsg(ds), want))
        fail_msg("'%s' lacks '%s'", seg_dataset_errmsg(ds), want);
    assert_int_equal(seg_dataset_customer_count(ds), 0);
    seg_dataset_free(ds);
    remove(path);
}

/* Features and customers of a dataset, as text (snapshot() after the
 * features). */
static char *with_features(seg_dataset *ds)
{
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.as_of = 1700000000;
    assert_ok(seg_dataset_compute_features(ds, &fo));
    return snapshot(ds);
}

/* Loading on several threads gives what one thread gives: CRLF and empty
 * lines, extra columns, mixed time formats, each a few lines in a row
 * and the last two of one length, UTF-8 ids, no newline at the end. */
static void test_threads_load_the_same(void **state)
{
    (void)state;
    size_t cap = 1 << 20, len = 0;
    char *text = malloc(cap);
    len += (size_t)sprintf(text, "id,time,amount,note\r\n");
    static const char *const times[] = {"2021-03-04", "20210305",
                                        "1614988800", "2021-03-07T10:00:00Z",
                                        "2021-03-08T10:00:00Z"};
    for (int i = 0; i < 3000; i++) {
        const char *id = i % 7 == 0 ? "张三" : NULL;
        char buf[32];
        if (!id) {
            snprintf(buf, sizeof buf, "c%d", (i / 3) % 500);
            id = buf;
        }
        len += (size_t)sprintf(text + len, "%s,%s,%d.%02d,x%s\n", id,
                               times[i / 3 % 5], i % 300, i % 100,
                               i % 5 ? "\r" : "");
        if (i % 97 == 0)
            len += (size_t)sprintf(text + len, "\n");
    }
    len += (size_t)sprintf(text + len, "last,20210101,1.5");
    seg_dataset *one = load_threads(text, NULL, SEG_OK, 1);
    char *want = with_features(one);
    for (int threads = 2; threads <= 8; threads *= 2) {
        seg_dataset *ds = load_threads(text, NULL, SEG_OK, threads);
        char *got = with_features(ds);
        assert_string_equal(want, got);
        free(got);
        seg_dataset_free(ds);
    }
    free(want);
    seg_dataset_free(one);
    free(text);
}

/* An attribute file of 10 MB (a summary's layout) in a variant: 0 all
 * numbers (blanks, repeated ids, long mantissas, exponents, CRLF and empty
 * lines), 1 a word in column d, 2 a short line, 3 a word of bad UTF-8 in
 * d. With the first id quoted the reader meets a quote at once and reads
 * the whole file record by record: the reference for the threaded path,
 * which meets its first quote near the end. */
static char *attr_file(int variant, bool quote_first, size_t *len)
{
    size_t lines = 250000, cap = lines * 64 + 64, n = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    n += (size_t)snprintf(t, cap, "id,a,b,c,d\n");
    for (size_t i = 0; i < lines; i++) {
        char d[32];
        if (variant == 1 && i == 150000)
            snprintf(d, sizeof d, "many");
        else if (variant == 3 && i == 170000)
            snprintf(d, sizeof d, "bad\xff");
        else if (variant == 3 && i == 150000)
            snprintf(d, sizeof d, "word");
        else
            snprintf(d, sizeof d, "%zu.5e%d", i % 1000, (int)(i % 7) - 3);
        /* a quoted id late in the file too: the threaded path hands the
         * rest of the file to the record-by-record reader there */
        const char *q = (quote_first && i == 0) || i == 230000 ? "\"" : "";
        if (variant == 2 && i == 200000) {
            n += (size_t)snprintf(t + n, cap - n, "c%zu,1\n", i);
            continue;
        }
        n += (size_t)snprintf(t + n, cap - n,
                              "%sc%zu%s,%zu,%zu.%016llu,%s,%s%s\n", q,
                              i % 180000, q, i % 97, i % 50,
                              (unsigned long long)(i * 2654435761u) %
                                  10000000000000000ull,
                              i % 11 ? "7" : "", d, i % 5 ? "" : "\r");
        if (i % 1001 == 0)
            n += (size_t)snprintf(t + n, cap - n, "\n");
    }
    *len = n;
    return t;
}

/* The threaded path of an attribute file gives what record by record
 * gives: the same customers in the same order, values, column types, and
 * the same errors at the same places, on one thread and on three. */
static void test_threads_attribute_files(void **state)
{
    (void)state;
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.all_attributes = 1;
    for (int variant = 0; variant <= 3; variant++) {
        size_t la, lb;
        char *a = attr_file(variant, false, &la), *b = attr_file(variant, true,
                                                                 &lb);
        for (int threads = 1; threads <= 3; threads += 2) {
            seg_dataset *da, *db;
            assert_ok(seg_dataset_new(&da));
            assert_ok(seg_dataset_new(&db));
            assert_ok(seg_dataset_set_threads(da, threads));
            assert_ok(seg_dataset_set_threads(db, threads));
            int ra = seg_dataset_load_csv_buffer(da, a, la, "s.csv", &o);
            int rb = seg_dataset_load_csv_buffer(db, b, lb, "s.csv", &o);
            assert_int_equal(ra, rb);
            assert_string_equal(seg_dataset_errmsg(da), seg_dataset_errmsg(db));
            if (variant == 2)
                assert_non_null(strstr(seg_dataset_errmsg(da),
                                       "s.csv:200202:3: expected at least 5"));
            if (variant == 3)
                assert_non_null(strstr(seg_dataset_errmsg(da),
                                       "s.csv:170172:5: attribute 'd' is not "
                                       "valid UTF-8"));
            char *sa = snapshot(da), *sb = snapshot(db);
            assert_string_equal(sa, sb);
            if (variant == 0) { /* then a word in d, now a numeric column */
                size_t l1;
                char *w = attr_file(1, threads == 3, &l1);
                assert_int_equal(seg_dataset_load_csv_buffer(da, w, l1,
                                                             "w.csv", &o),
                                 SEG_ETYPE);
                assert_non_null(strstr(seg_dataset_errmsg(da),
                                       "w.csv:150152:5: attribute 'd' value "
                                       "'many' is not a number"));
                char *again = snapshot(da);
                assert_string_equal(sa, again); /* all or nothing */
                free(again);
                free(w);
            }
            if (variant == 1)
                assert_int_equal(seg_dataset_column_type(da, "d"),
                                 SEG_COLUMN_LABEL);
            free(sa);
            free(sb);
            seg_dataset_free(da);
            seg_dataset_free(db);
        }
        free(a);
        free(b);
    }
}

/* An attribute file of two label columns, k and z, about 3 MB: labels,
 * numbers among them (which become labels as their text), empty values,
 * repeated ids (the later value wins), CRLF line ends on z, the last
 * column, and empty lines. Flaws: 1 bad UTF-8 in z on line 40043, 2 bad
 * UTF-8 in k on line 70073, 4 a word in b (numeric) on line 50053. */
static char *label_file(int flaws, bool quote_first, size_t *len)
{
    size_t lines = 120000, cap = lines * 48 + 64, n = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    n += (size_t)snprintf(t, cap, "id,a,k,b,z\n");
    static const char *const ks[] = {"web", "7", "", "app", "1e3", "店"};
    for (size_t i = 0; i < lines; i++) {
        const char *k = ks[i % 6], *z = i % 4 == 0 ? "" : i % 3 ? "b" : "3.5";
        char b[32];
        snprintf(b, sizeof b, "%zu.25", i % 7);
        if (flaws & 1 && i == 40000)
            z = "z\xc3";
        if (flaws & 2 && i == 70000)
            k = "k\xff";
        if (flaws & 4 && i == 50000)
            snprintf(b, sizeof b, "word");
        const char *q = quote_first && i == 0 ? "\"" : "";
        n += (size_t)snprintf(t + n, cap - n, "%sc%zu%s,%zu,%s,%s,%s%s\n", q,
                              i % 90000, q, i % 13, k, b, z,
                              i % 5 ? "" : "\r");
        if (i % 997 == 0)
            n += (size_t)snprintf(t + n, cap - n, i % 2 ? "\n" : "\r\n");
    }
    *len = n;
    return t;
}

/* Label columns on the threaded path, walked once for all of them, give
 * what record by record gives: the same labels, and the error of the
 * first column that has one, not the first in the file, numeric columns
 * among them (b, numeric already where the flaw is 4). */
static void test_threads_label_columns(void **state)
{
    (void)state;
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.all_attributes = 1;
    static const struct {
        int flaws, rc;
        const char *msg;
    } cases[] = {
        {0, SEG_OK, NULL},
        {1 | 2, SEG_EPARSE, "s.csv:70073:3: attribute 'k' is not valid UTF-8"},
        {1, SEG_EPARSE, "s.csv:40043:5: attribute 'z' is not valid UTF-8"},
        {2, SEG_EPARSE, "s.csv:70073:3: attribute 'k' is not valid UTF-8"},
        {4 | 1, SEG_ETYPE, "s.csv:50053:4: attribute 'b' value 'word' is not "
                           "a number (the column is numeric)"},
        {4 | 2, SEG_EPARSE, "s.csv:70073:3: attribute 'k' is not valid UTF-8"},
    };
    for (size_t v = 0; v < sizeof cases / sizeof *cases; v++) {
        size_t la, lb;
        char *a = label_file(cases[v].flaws, false, &la),
             *b = label_file(cases[v].flaws, true, &lb);
        seg_dataset *da, *db;
        assert_ok(seg_dataset_new(&da));
        assert_ok(seg_dataset_new(&db));
        assert_ok(seg_dataset_set_threads(da, 3));
        if (cases[v].flaws & 4) { /* b numeric before the file */
            static const char pre[] = "id,b\nc1,1\n";
            assert_ok(seg_dataset_load_csv_buffer(da, pre, strlen(pre), "p",
                                                  &o));
            assert_ok(seg_dataset_load_csv_buffer(db, pre, strlen(pre), "p",
                                                  &o));
        }
        int ra = seg_dataset_load_csv_buffer(da, a, la, "s.csv", &o);
        int rb = seg_dataset_load_csv_buffer(db, b, lb, "s.csv", &o);
        assert_int_equal(ra, cases[v].rc);
        assert_int_equal(ra, rb);
        assert_string_equal(seg_dataset_errmsg(da), seg_dataset_errmsg(db));
        if (cases[v].msg)
            assert_non_null(strstr(seg_dataset_errmsg(da), cases[v].msg));
        char *sa = snapshot(da), *sb = snapshot(db);
        assert_string_equal(sa, sb);
        if (cases[v].flaws == 0) {
            /* c5 is on the lines of i = 5 and 90005: the later wins; z of
             * i = 90005 is "b" with its CR gone, k "店" */
            size_t row;
            const char *lab;
            assert_int_equal(seg_dataset_customer_count(da), 90000);
            assert_ok(seg_dataset_customer_find(da, "c5", &row));
            assert_ok(seg_dataset_get_label(da, "k", row, &lab));
            assert_string_equal(lab, "店");
            assert_ok(seg_dataset_get_label(da, "z", row, &lab));
            assert_string_equal(lab, "b");
            assert_ok(seg_dataset_customer_find(da, "c1", &row));
            assert_ok(seg_dataset_get_label(da, "k", row, &lab));
            assert_string_equal(lab, "7"); /* a number, kept as its text */
            assert_ok(seg_dataset_customer_find(da, "c4", &row));
            assert_ok(seg_dataset_get_label(da, "k", row, &lab));
            assert_string_equal(lab, "1e3");
            assert_ok(seg_dataset_customer_find(da, "c3", &row));
            assert_ok(seg_dataset_get_label(da, "z", row, &lab));
            assert_string_equal(lab, "3.5"); /* i = 90003 */
            assert_ok(seg_dataset_customer_find(da, "c2", &row));
            assert_ok(seg_dataset_get_label(da, "k", row, &lab));
            assert_null(lab); /* empty at i = 2 and 90002 */
            assert_int_equal(seg_dataset_column_type(da, "k"),
                             SEG_COLUMN_LABEL);
            assert_int_equal(seg_dataset_column_type(da, "z"),
                             SEG_COLUMN_LABEL);
            assert_int_equal(seg_dataset_column_type(da, "b"),
                             SEG_COLUMN_NUMERIC);
        }
        free(sa);
        free(sb);
        seg_dataset_free(da);
        seg_dataset_free(db);
        free(a);
        free(b);
    }
}

/* Two attributes of one name are one column, the second applied after
 * the first whole, as record by record: a's tier is the second column's
 * Y (line 2), not the first column's Z of a later line. */
static void test_threads_labels_of_one_name(void **state)
{
    (void)state;
    static const char text[] = "id,tier,tier\na,X,Y\nb,P,\na,Z,\nb,Q,R\n",
                      quoted[] = "id,tier,tier\n\"a\",X,Y\nb,P,\na,Z,\nb,Q,R\n";
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.all_attributes = 1;
    seg_dataset *da = load_threads(text, &o, SEG_OK, 3),
                *db = load_threads(quoted, &o, SEG_OK, 1);
    const char *v;
    assert_ok(seg_dataset_get_label(da, "tier", 0, &v));
    assert_string_equal(v, "Y");
    assert_ok(seg_dataset_get_label(da, "tier", 1, &v));
    assert_string_equal(v, "R");
    char *sa = snapshot(da), *sb = snapshot(db);
    assert_string_equal(sa, sb);
    free(sa);
    free(sb);
    seg_dataset_free(da);
    seg_dataset_free(db);
}

/* The text loaded from a buffer, a regular file (mapped) and a pipe (read
 * in blocks), on `threads` threads: what each gives, with features. */
typedef struct pipe_job {
    const char *path, *text;
    size_t len;
} pipe_job;

static void *write_pipe(void *arg)
{
    pipe_job *j = arg;
    FILE *f = fopen(j->path, "w");
    if (f) {
        fwrite(j->text, 1, j->len, f);
        fclose(f);
    }
    return NULL;
}

/* A digest of a dataset with features: its counts, then a hash of every
 * customer's id and feature values, in row order (quicker than the whole
 * export for a hundred thousand customers). */
static char *digest(seg_dataset *ds)
{
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.as_of = 1700000000;
    assert_ok(seg_dataset_compute_features(ds, &fo));
    size_t n = seg_dataset_customer_count(ds);
    uint64_t h = 1469598103934665603ull;
    static const char *const cols[] = {"orders", "monetary_total", "T",
                                       "recency", "first_purchase"};
    double *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t c = 0; c < sizeof cols / sizeof *cols; c++) {
        assert_ok(seg_dataset_copy_f64(ds, cols[c], v, n));
        const unsigned char *p = (const unsigned char *)v;
        for (size_t i = 0; i < n * sizeof *v; i++)
            h = (h ^ p[i]) * 1099511628211ull;
    }
    for (size_t r = 0; r < n; r++)
        for (const char *p = seg_dataset_customer_id(ds, r); *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
    free(v);
    char *out = malloc(96);
    snprintf(out, 96, "customers=%zu tx=%zu hash=%016llx", n,
             seg_dataset_transaction_count(ds), (unsigned long long)h);
    return out;
}

static char *load_three_ways(const char *text, size_t len, int threads,
                             int want_rc, char *msg, size_t msz)
{
    char *out[3];
    char dir[] = "/tmp/seg-csv-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char file[64], fifo[64];
    snprintf(file, sizeof file, "%s/t.csv", dir);
    snprintf(fifo, sizeof fifo, "%s/fifo.csv", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    for (int way = 0; way < 3; way++) {
        seg_dataset *ds;
        assert_ok(seg_dataset_new(&ds));
        assert_ok(seg_dataset_set_threads(ds, threads));
        pthread_t writer;
        pipe_job job = {fifo, text, len};
        if (way == 2)
            assert_int_equal(pthread_create(&writer, NULL, write_pipe, &job),
                             0);
        int rc = way == 0 ? seg_dataset_load_csv_buffer(ds, text, len,
                                                          "t.csv", NULL)
                          : seg_dataset_load_csv(ds, way == 1 ? file : fifo,
                                                 NULL);
        if (way == 2)
            pthread_join(writer, NULL);
        if (rc != want_rc)
            fail_msg("way %d, %d threads: %d (%s)", way, threads, rc,
                     seg_dataset_errmsg(ds));
        if (rc) { /* the message, without the file's name */
            const char *m = strstr(seg_dataset_errmsg(ds), ".csv:");
            assert_non_null(m);
            if (way == 0)
                snprintf(msg, msz, "%s", m);
            else
                assert_string_equal(msg, m);
            assert_int_equal(seg_dataset_transaction_count(ds), 0);
            out[way] = strdup("");
        } else {
            out[way] = digest(ds);
        }
        seg_dataset_free(ds);
    }
    remove(file);
    remove(fifo);
    rmdir(dir);
    assert_string_equal(out[0], out[1]);
    assert_string_equal(out[0], out[2]);
    free(out[1]);
    free(out[2]);
    return out[0];
}

/* A value of the attribute file of attr_file(0, ...), as C reads it. */
static double attr_cell(const seg_dataset *ds, const char *id,
                        const char *col)
{
    size_t n = seg_dataset_customer_count(ds);
    for (size_t r = 0; r < n; r++) {
        if (strcmp(seg_dataset_customer_id(ds, r), id) == 0) {
            double v;
            assert_ok(seg_dataset_get_f64(ds, col, r, &v));
            return v;
        }
    }
    fail_msg("no customer %s", id);
    return 0;
}

/* The numbers of attr_file(0, ...) against strtod (correctly rounded): a
 * record of its own (c100001, whose c is blank), and a repeated id, whose
 * later line wins (c12345, lines of i = 12345 and 192345). */
static void check_attr_cells(const seg_dataset *ds)
{
    static const size_t lines[] = {100001, 192345};
    static const char *const ids[] = {"c100001", "c12345"};
    for (int j = 0; j < 2; j++) {
        size_t i = lines[j];
        char b[64], d[32];
        snprintf(b, sizeof b, "%zu.%016llu", i % 50,
                 (unsigned long long)(i * 2654435761u) %
                     10000000000000000ull);
        snprintf(d, sizeof d, "%zu.5e%d", i % 1000, (int)(i % 7) - 3);
        assert_true(attr_cell(ds, ids[j], "a") == (double)(i % 97));
        assert_true(attr_cell(ds, ids[j], "b") == strtod(b, NULL));
        assert_true(attr_cell(ds, ids[j], "d") == strtod(d, NULL));
        double c = attr_cell(ds, ids[j], "c");
        assert_true(i % 11 ? c == 7 : c != c);
    }
}

/* An attribute file from a buffer, a regular file (mapped whole) and a
 * pipe (read in blocks, its values copied as they come) on two threads:
 * the same customers, values, types and messages; the cells of the
 * mapped file's load checked when `cells`. */
static void load_attrs_three_ways(const char *text, size_t len, int want_rc,
                                  bool cells)
{
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.all_attributes = 1;
    char dir[] = "/tmp/seg-csv-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char file[64], fifo[64], msg[512];
    snprintf(file, sizeof file, "%s/t.csv", dir);
    snprintf(fifo, sizeof fifo, "%s/fifo.csv", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    char *out[3];
    for (int way = 0; way < 3; way++) {
        seg_dataset *ds;
        assert_ok(seg_dataset_new(&ds));
        assert_ok(seg_dataset_set_threads(ds, 2));
        pthread_t writer;
        pipe_job job = {fifo, text, len};
        if (way == 2)
            assert_int_equal(pthread_create(&writer, NULL, write_pipe, &job),
                             0);
        int rc = way == 0 ? seg_dataset_load_csv_buffer(ds, text, len,
                                                          "t.csv", &o)
                          : seg_dataset_load_csv(ds, way == 1 ? file : fifo,
                                                 &o);
        if (way == 2)
            pthread_join(writer, NULL);
        assert_int_equal(rc, want_rc);
        const char *m = rc ? strstr(seg_dataset_errmsg(ds), ".csv:") : "";
        assert_non_null(m);
        if (way == 0)
            snprintf(msg, sizeof msg, "%s", m);
        else
            assert_string_equal(msg, m);
        if (way == 1 && cells)
            check_attr_cells(ds);
        out[way] = snapshot(ds);
        seg_dataset_free(ds);
    }
    remove(file);
    remove(fifo);
    rmdir(dir);
    assert_string_equal(out[0], out[1]);
    assert_string_equal(out[0], out[2]);
    for (int way = 0; way < 3; way++)
        free(out[way]);
}

/* Variant 0 (numbers, blanks, repeated ids, CRLF, a late quote) and 3 (a
 * word, then bad UTF-8 in d); one thread against several, and the other
 * variants, are test_threads_attribute_files'. */
static void test_threads_attribute_sources(void **state)
{
    (void)state;
    /* a load that fails stops reading the pipe before its writer is done */
    signal(SIGPIPE, SIG_IGN);
    for (int variant = 0; variant <= 3; variant += 3) {
        size_t len;
        char *text = attr_file(variant, false, &len);
        load_attrs_three_ways(text, len, variant ? SEG_EPARSE : SEG_OK,
                              variant == 0);
        free(text);
    }
}

/* An input of several batches (8 MiB each, about 35 MB in all): the same
 * on several threads as on one, from a buffer, a file and a pipe; an error
 * in the last batch is placed as one thread places it; a quote in a middle
 * batch, found while the one after it is already being read, hands over
 * to the sequential loader, which must go on from the right place. */
static void test_threads_across_batches(void **state)
{
    (void)state;
    enum { LINES = 1300000 };
    size_t cap = (size_t)LINES * 40, len = 0;
    char *text = malloc(cap);
    len += (size_t)sprintf(text, "customer_id,date,amount\n");
    size_t quote_at = 0, error_at = 0;
    for (long i = 0; i < LINES; i++) {
        if (i == 700000)
            quote_at = len; /* about 19 MB in: the third batch */
        if (i == LINES - 1000)
            error_at = len;
        len += (size_t)sprintf(text + len, "C%07ld,%ld,%ld.%02ld\n",
                               (i * 7919) % 100003, 1600000000 + i * 37,
                               i % 1000, i % 100);
    }
    char msg[2][256];
    char *want = load_three_ways(text, len, 1, SEG_OK, msg[0], sizeof msg[0]);
    char *got = load_three_ways(text, len, 3, SEG_OK, msg[0], sizeof msg[0]);
    assert_string_equal(want, got);
    free(got);
    free(want);

    /* an error late on: the same place from one thread and from two */
    char *amount = strchr(strchr(text + error_at, ',') + 1, ',') + 1;
    char saved = amount[0];
    amount[0] = 'x';
    free(load_three_ways(text, len, 1, SEG_EPARSE, msg[0], sizeof msg[0]));
    free(load_three_ways(text, len, 2, SEG_EPARSE, msg[1], sizeof msg[1]));
    assert_string_equal(msg[0], msg[1]);
    char line[64];
    snprintf(line, sizeof line, ".csv:%d:3: amount 'x", LINES - 1000 + 2);
    assert_non_null(strstr(msg[0], line));
    amount[0] = saved;

    /* a quoted id in the middle: the same as one thread */
    text[quote_at] = '"';
    memmove(text + quote_at + 2, text + quote_at + 1, len - quote_at);
    len++;
    text[quote_at + 1] = 'C'; /* "C... */
    char *q = strchr(text + quote_at, ',');
    memmove(q + 1, q, strlen(q) + 1);
    *q = '"';
    len++;
    want = load_three_ways(text, len, 1, SEG_OK, msg[0], sizeof msg[0]);
    got = load_three_ways(text, len, 2, SEG_OK, msg[0], sizeof msg[0]);
    assert_string_equal(want, got);
    free(got);
    free(want);
    free(text);
}

/* A log of `lines` records whose customers keep arriving: line i's
 * customer is drawn from the first i / 4 + 1 ids of `base` on, so every
 * batch has new customers, repeats of its own new ones and old ones. The
 * numbering is worked out here, apart from the loader: first[c] is the
 * row of id c (-1 until seen, rows from *rows on), orders[c] its
 * records (each on a day of its own); the error line, when err_at, has a
 * word for its amount. */
static char *arriving_log(long lines, long base, long err_at, long *first,
                          long *orders, long *rows, size_t *len)
{
    size_t cap = (size_t)lines * 32 + 64;
    char *text = malloc(cap);
    assert_non_null(text);
    *len = (size_t)sprintf(text, "customer_id,time,amount\n");
    unsigned long x = 12345 + (unsigned long)base;
    for (long i = 0; i < lines; i++) {
        x = x * 6364136223846793005ul + 1442695040888963407ul;
        long c = base + (long)((x >> 33) % (unsigned long)(i / 4 + 1));
        if (first[c] < 0)
            first[c] = (*rows)++;
        orders[c]++;
        if (i == err_at)
            *len += (size_t)sprintf(text + *len, "N%07ld,%ld,x\n", c,
                                    1600000000 + i * 86400);
        else
            *len += (size_t)sprintf(text + *len, "N%07ld,%ld,%ld.%02ld\n",
                                    c, 1600000000 + i * 86400,
                                    i % 1000 + 1, i % 100);
    }
    return text;
}

/* Each row is the customer that the numbering above gives it, with its
 * records. */
static void check_rows(seg_dataset *ds, const long *first,
                       const long *orders, long ids, long rows)
{
    assert_int_equal(seg_dataset_customer_count(ds), (size_t)rows);
    assert_ok(seg_dataset_compute_features(ds, NULL));
    char id[16];
    for (long c = 0; c < ids; c++) {
        if (first[c] < 0)
            continue;
        snprintf(id, sizeof id, "N%07ld", c);
        assert_string_equal(seg_dataset_customer_id(ds, (size_t)first[c]),
                            id);
        assert_near(num(ds, "orders", (size_t)first[c]), (double)orders[c],
                    0);
    }
}

/* Customers that keep arriving over several batches, on one thread and on
 * several: the rows are numbered in order of first appearance (checked
 * against the count kept by the generator), each record on its row; a
 * second load into the same dataset finds the customers it has and adds
 * the new ones after them, and a load that fails in its last batch
 * leaves the customers as they were. */
static void test_threads_new_customers_every_batch(void **state)
{
    (void)state;
    enum { LINES = 1800000, IDS = 2 * (LINES / 4 + 1) };
    long *first = malloc(IDS * sizeof *first);
    long *orders = malloc(IDS * sizeof *orders);
    long *first2 = malloc(IDS * sizeof *first2);
    long *orders2 = malloc(IDS * sizeof *orders2);
    assert_non_null(first);
    assert_non_null(orders);
    assert_non_null(first2);
    assert_non_null(orders2);
    for (long c = 0; c < IDS; c++) {
        first[c] = -1;
        orders[c] = 0;
    }
    long rows = 0;
    size_t len, len2, len3;
    char *text = arriving_log(LINES, 0, -1, first, orders, &rows, &len);
    assert_true(len > (32u << 20)); /* four batches and more */
    memcpy(first2, first, IDS * sizeof *first);
    memcpy(orders2, orders, IDS * sizeof *orders);
    long rows2 = rows;
    /* the second log's ids start half way into the first's */
    char *text2 = arriving_log(LINES, LINES / 8, -1, first2, orders2, &rows2,
                               &len2);
    long *none = calloc(IDS, sizeof *none);
    long *nfirst = malloc(IDS * sizeof *nfirst), nrows = 0;
    assert_non_null(none);
    assert_non_null(nfirst);
    for (long c = 0; c < IDS; c++)
        nfirst[c] = -1;
    char *bad = arriving_log(LINES, LINES / 4, LINES - 100, nfirst, none,
                             &nrows, &len3);
    for (int threads = 1; threads <= 3; threads++) {
        seg_dataset *ds;
        assert_ok(seg_dataset_new(&ds));
        assert_ok(seg_dataset_set_threads(ds, threads));
        assert_ok(seg_dataset_load_csv_buffer(ds, text, len, "t.csv", NULL));
        check_rows(ds, first, orders, IDS, rows);
        seg_dataset_free(ds);

        assert_ok(seg_dataset_new(&ds));
        assert_ok(seg_dataset_set_threads(ds, threads));
        assert_ok(seg_dataset_load_csv_buffer(ds, text, len, "t.csv", NULL));
        assert_int_equal(seg_dataset_load_csv_buffer(ds, bad, len3, "b.csv",
                                                     NULL),
                         SEG_EPARSE);
        assert_non_null(strstr(seg_dataset_errmsg(ds), "amount 'x'"));
        assert_ok(seg_dataset_load_csv_buffer(ds, text2, len2, "u.csv",
                                              NULL));
        check_rows(ds, first2, orders2, IDS, rows2);
        seg_dataset_free(ds);
    }
    free(bad);
    free(nfirst);
    free(none);
    free(text2);
    free(text);
    free(orders2);
    free(first2);
    free(orders);
    free(first);
}

/* Naming one column keeps the header's names for the other roles. */
static void test_one_column_named(void **state)
{
    (void)state;
    const char *text = "customer,order_date,amount\n"
                       "a,2024-01-01,10\n"
                       "b,2024-01-02,3\n"
                       "a,2024-02-01,5\n";
    const char *times[] = {"order_date", "2"};
    for (int threads = 1; threads <= 3; threads += 2) {
        for (size_t k = 0; k < 2; k++) {
            seg_csv_options o;
            seg_csv_options_init(&o);
            o.time_column = times[k];
            seg_dataset *ds = load_threads(text, &o, SEG_OK, threads);
            assert_int_equal(seg_dataset_customer_count(ds), 2);
            assert_int_equal(seg_dataset_transaction_count(ds), 3);
            seg_dataset_free(ds);

            o.id_column = "customer";
            ds = load_threads(text, &o, SEG_OK, threads);
            assert_int_equal(seg_dataset_transaction_count(ds), 3);
            assert_ok(seg_dataset_compute_features(ds, NULL));
            assert_near(num(ds, "orders", 0), 2, 0);
            assert_near(num(ds, "orders", 1), 1, 0);
            assert_near(num(ds, "monetary_total", 0), 15, 1e-12);
            seg_dataset_free(ds);
        }
    }

    /* a named amount says the records are transactions: an "event" column
     * is then not taken for their kind */
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.amount_column = "amount";
    seg_dataset *ds = load("id,time,amount,event\na,20240101,1,x\n", &o,
                           SEG_OK);
    assert_int_equal(seg_dataset_transaction_count(ds), 1);
    assert_int_equal(seg_dataset_event_count(ds), 0);
    seg_dataset_free(ds);

    /* a column named as an attribute is not guessed for a role */
    seg_csv_options_init(&o);
    const char *attrs[] = {"amount"};
    o.id_column = "customer_id";
    o.attribute_columns = attrs;
    o.n_attribute_columns = 1;
    ds = load("customer_id,amount\na,12.5\n", &o, SEG_OK);
    assert_int_equal(seg_dataset_transaction_count(ds), 0);
    assert_near(num(ds, "amount", 0), 12.5, 0);
    seg_dataset_free(ds);
}

/* An error names the file, whatever the file holds. */
static void expect_file_error(const char *text, const seg_csv_options *o,
                              int code, const char *where, const char *what)
{
    char path[] = "/tmp/seg-csv-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_int_equal(seg_dataset_load_csv(ds, path, o), code);
    char want[512];
    snprintf(want, sizeof want, "%s%s%s", path, where, what);
    if (!strstr(seg_dataset_errmsg(ds), want))
        fail_msg("'%s' lacks '%s'", seg_dataset_errmsg(ds), want);
    assert_int_equal(seg_dataset_customer_count(ds), 0);
    seg_dataset_free(ds);
    unlink(path);
}

static void test_errors_name_the_file(void **state)
{
    (void)state;
    expect_file_error("id,time,kind,value\na,20240101,view,1\nb,20240102,,\n",
                      NULL, SEG_EPARSE, ":3:3: ", "event kind is empty");
    expect_file_error("id,time,kind,value\na,20240101,view,x\n", NULL,
                      SEG_EPARSE, ":2:4: ", "event value 'x' is not a number");
    seg_csv_options o;
    seg_csv_options_init(&o);
    const char *attrs[] = {"tier"};
    o.attribute_columns = attrs;
    o.n_attribute_columns = 1;
    expect_file_error("id,tier\na,gold\nb,\xff\n", &o, SEG_EPARSE, ":3:2: ",
                      "attribute 'tier' is not valid UTF-8");
    const char *unnamed[] = {""};
    o.attribute_columns = unnamed;
    expect_file_error("id,tier\na,gold\n", &o, SEG_EINVAL, ": ",
                      "attribute column 0 has no valid name");
    seg_csv_options_init(&o);
    o.all_attributes = 1;
    expect_file_error("id,age\na,1\nb,\"x\"\"\n", &o, SEG_EPARSE, ":3:2: ",
                      "quoted field is not closed");
}

/* One bad value, one message: from a file and from the arrays of a host. */
static seg_dataset *load_any(const char *text)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_true(seg_dataset_load_csv_buffer(ds, text, strlen(text), "t.csv",
                                            NULL) != SEG_OK);
    return ds;
}

static void test_same_messages_as_the_api(void **state)
{
    (void)state;
    struct {
        const char *csv;
        const char *id, *kind;
        double amount;
    } cases[] = {
        {"id,time,amount\n,1,1\n", "", NULL, 1},
        {"id,time,amount\nx\xff,1,1\n", "x\xff", NULL, 1},
        {"id,time,amount\na,1,nan\n", "a", NULL, NAN},
        {"id,time,amount\na,1,inf\n", "a", NULL, INFINITY},
        {"id,time,amount\na,1,-inf\n", "a", NULL, -INFINITY},
        {"id,time,kind,value\na,1,,1\n", "a", "", 1},
        {"id,time,kind,value\na,1,x,inf\n", "a", "x", INFINITY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        seg_dataset *ds;
        assert_ok(seg_dataset_new(&ds));
        const char *ids[] = {"ok", cases[i].id};
        int64_t times[] = {1, 1};
        double vals[] = {1, cases[i].amount};
        const char *kinds[] = {"ok", cases[i].kind};
        int rc = cases[i].kind
                     ? seg_dataset_add_events(ds, ids, times, kinds, vals, 2)
                     : seg_dataset_add_transactions(ds, ids, times, vals, 2);
        assert_true(rc != SEG_OK);
        const char *m = seg_dataset_errmsg(ds);
        assert_true(strncmp(m, "row 1: ", 7) == 0);
        seg_dataset *file = load_any(cases[i].csv);
        const char *fm = seg_dataset_errmsg(file);
        size_t fl = strlen(fm), al = strlen(m + 7);
        if (fl < al || strcmp(fm + fl - al, m + 7) != 0)
            fail_msg("file: '%s', host: '%s'", fm, m);
        seg_dataset_free(file);
        seg_dataset_free(ds);
    }

    /* a label that is not UTF-8, from a file and from a host */
    seg_csv_options o;
    seg_csv_options_init(&o);
    const char *attrs[] = {"tier"};
    o.attribute_columns = attrs;
    o.n_attribute_columns = 1;
    seg_dataset *file = load("id,tier\na,gold\nb,x\xff\n", &o, SEG_EPARSE);
    assert_non_null(strstr(seg_dataset_errmsg(file),
                           "t.csv:3:2: attribute 'tier' is not valid UTF-8"));
    seg_dataset_free(file);
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    const char *ids[] = {"a", "b"}, *tiers[] = {"gold", "x\xff"};
    assert_int_equal(seg_dataset_set_attributes_str(ds, "tier", ids, tiers, 2),
                     SEG_EPARSE);
    assert_string_equal(seg_dataset_errmsg(ds),
                        "row 1: attribute 'tier' is not valid UTF-8");
    seg_dataset_free(ds);
}

static void test_older_options_struct(void **state)
{
    (void)state;
    /* A host compiled against a smaller struct: later fields default. */
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.id_column = "id";
    o.time_column = "time";
    o.amount_column = "amount";
    o.attribute_columns = (const char *const *)0x1; /* beyond its size */
    o.n_attribute_columns = 5;
    o.size = offsetof(seg_csv_options, attribute_columns);
    seg_dataset *ds = load("id,time,amount\na,1,2\n", &o, SEG_OK);
    assert_int_equal(seg_dataset_column_count(ds), 0);
    seg_dataset_free(ds);
}


/* A large file, loaded on several threads: the negative amount is found
 * at its line, as on one thread, when returns are not allowed; and a
 * local time means the same on every thread. */
static void test_threads_negative_amounts_and_zones(void **state)
{
    (void)state;
    size_t lines = 450000, cap = lines * 32 + 64, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text, cap, "id,time,amount\n");
    for (size_t i = 0; i < lines; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                "c%zu,2024-01-%02zu 23:30,%s\n", i % 5000,
                                1 + i % 28, i == 300000 ? "-4" : "10");
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.reject_negative_amounts = 1;
    for (int threads = 1; threads <= 4; threads += 3) {
        seg_dataset *ds;
        assert_ok(seg_dataset_new(&ds));
        assert_ok(seg_dataset_set_threads(ds, threads));
        assert_int_equal(seg_dataset_load_csv_buffer(ds, text, len, "big.csv",
                                                     &o),
                         SEG_ERANGE);
        assert_non_null(strstr(seg_dataset_errmsg(ds),
                               "big.csv:300002:3: amount '-4' is negative"));
        assert_int_equal(seg_dataset_transaction_count(ds), 0);
        assert_ok(seg_dataset_set_timezone(ds, "+08:00"));
        assert_ok(seg_dataset_load_csv_buffer(ds, text, len, "big.csv", NULL));
        double t;
        assert_ok(seg_dataset_compute_features(ds, NULL));
        assert_ok(seg_dataset_get_f64(ds, "first_purchase", 0, &t));
        /* c0's first order: 2024-01-01 23:30 at +08:00 */
        assert_near(t, 1704123000, 0);
        seg_dataset_free(ds);
    }
    free(text);
}


/* Line ends of CR alone are an error that says so (they made the whole
 * file a header, and a load of no customers that succeeded). */
static void test_cr_line_ends(void **state)
{
    (void)state;
    expect_error("id,time,amount\rA,2024-01-01,1\rB,2024-01-02,2\r", NULL,
                 SEG_EPARSE, "t.csv:1: line ends are carriage returns alone");
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.has_header = 0;
    o.id_column = "1";
    o.time_column = "2";
    o.amount_column = "3";
    expect_error("A,2024-01-01,1\rB,2024-01-02,2\r", &o, SEG_EPARSE,
                 "carriage returns alone");
    /* CRLF is fine, and so is a CR at the very end */
    seg_dataset *ds = load("id,time,amount\r\nA,2024-01-01,1\r\n", NULL,
                           SEG_OK);
    assert_int_equal(seg_dataset_customer_count(ds), 1);
    seg_dataset_free(ds);
    ds = load("id,time,amount\r", NULL, SEG_OK);
    seg_dataset_free(ds);
}

/* A record longer than the documented 256 MiB is SEG_ELIMIT, from a
 * buffer as from a file. */
static void test_record_limit(void **state)
{
    (void)state;
    size_t big = (256u << 20) + 16;
    const char head[] = "id,time,label\nA,2024-01-01,";
    char *text = malloc(sizeof head + big + 2);
    assert_non_null(text);
    memcpy(text, head, sizeof head - 1);
    memset(text + sizeof head - 1, 'x', big);
    size_t len = sizeof head - 1 + big;
    text[len++] = '\n';
    seg_csv_options o;
    seg_csv_options_init(&o);
    const char *attrs[] = {"label"};
    o.attribute_columns = attrs;
    o.n_attribute_columns = 1;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_int_equal(seg_dataset_load_csv_buffer(ds, text, len, "big.csv", &o),
                     SEG_ELIMIT);
    assert_non_null(strstr(seg_dataset_errmsg(ds),
                           "big.csv:2: a record is longer than"));
    assert_int_equal(seg_dataset_customer_count(ds), 0);
    seg_dataset_free(ds);
    free(text);
}

/* A summary's own id column (row_ids = 2) gives the customer ids as text;
 * without one the rows are numbered. */
static void test_summary_ids(void **state)
{
    (void)state;
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.row_ids = 2;
    o.all_attributes = 1;
    seg_dataset *ds = load("customer_id,x,T\n00001,2,30\n00007,0,12\n", &o,
                           SEG_OK);
    assert_int_equal(seg_dataset_customer_count(ds), 2);
    assert_string_equal(seg_dataset_customer_id(ds, 0), "00001");
    assert_string_equal(seg_dataset_customer_id(ds, 1), "00007");
    assert_int_equal(seg_dataset_column_type(ds, "customer_id"),
                     SEG_ENOTFOUND);
    assert_near(num(ds, "x", 0), 2, 0);
    seg_dataset_free(ds);
    ds = load("x,T\n2,30\n0,12\n", &o, SEG_OK);
    assert_string_equal(seg_dataset_customer_id(ds, 1), "2");
    seg_dataset_free(ds);
    o.row_ids = 3;
    seg_dataset_free(load("x,T\n2,30\n", &o, SEG_EINVAL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_auto_mapping),
        cmocka_unit_test(test_dialects),
        cmocka_unit_test(test_rfc4180_quoting),
        cmocka_unit_test(test_headerless_by_number),
        cmocka_unit_test(test_events_and_attributes),
        cmocka_unit_test(test_errors_name_the_place),
        cmocka_unit_test(test_threads_negative_amounts_and_zones),
        cmocka_unit_test(test_cr_line_ends),
        cmocka_unit_test(test_record_limit),
        cmocka_unit_test(test_summary_ids),
        cmocka_unit_test(test_failed_load_changes_nothing),
        cmocka_unit_test(test_long_line_and_file_blocks),
        cmocka_unit_test(test_threads_load_the_same),
        cmocka_unit_test(test_threads_attribute_files),
        cmocka_unit_test(test_threads_attribute_sources),
        cmocka_unit_test(test_threads_label_columns),
        cmocka_unit_test(test_threads_labels_of_one_name),
        cmocka_unit_test(test_threads_across_batches),
        cmocka_unit_test(test_threads_new_customers_every_batch),
        cmocka_unit_test(test_older_options_struct),
        cmocka_unit_test(test_one_column_named),
        cmocka_unit_test(test_errors_name_the_file),
        cmocka_unit_test(test_same_messages_as_the_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
