/* CSV ingest: dialects, quoting, errors with locations, atomic loads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static seg_dataset *load(const char *text, const seg_csv_options *o, int want)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    int rc = seg_dataset_load_csv_buffer(ds, text, strlen(text), "t.csv", o);
    if (rc != want)
        fail_msg("load returned %d (%s), expected %d", rc,
                 seg_dataset_errmsg(ds), want);
    return ds;
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

static void expect_error(const char *text, const seg_csv_options *o,
                         int code, const char *msg)
{
    seg_dataset *ds = load(text, o, code);
    if (!strstr(seg_dataset_errmsg(ds), msg))
        fail_msg("message '%s' lacks '%s'", seg_dataset_errmsg(ds), msg);
    seg_dataset_free(ds);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_auto_mapping),
        cmocka_unit_test(test_dialects),
        cmocka_unit_test(test_rfc4180_quoting),
        cmocka_unit_test(test_headerless_by_number),
        cmocka_unit_test(test_events_and_attributes),
        cmocka_unit_test(test_errors_name_the_place),
        cmocka_unit_test(test_failed_load_changes_nothing),
        cmocka_unit_test(test_long_line_and_file_blocks),
        cmocka_unit_test(test_older_options_struct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
