/* Export to CSV and JSON. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_numbers_round_trip_in_any_locale),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
