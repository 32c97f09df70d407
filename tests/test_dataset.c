/* The dataset: customers, records, bulk adds, attributes and columns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "testutil.h"

static int setup(void **state)
{
    seg_dataset *ds;
    if (seg_dataset_new(&ds))
        return -1;
    *state = ds;
    return 0;
}

static int teardown(void **state)
{
    seg_dataset_free(*state);
    return 0;
}

static void test_customers_utf8(void **state)
{
    seg_dataset *ds = *state;
    size_t r1, r2, r3, found;
    assert_ok(seg_dataset_add_customer(ds, "张三", &r1));
    assert_ok(seg_dataset_add_customer(ds, "alice", &r2));
    assert_ok(seg_dataset_add_customer(ds, "张三", &r3));
    assert_int_equal(r1, 0);
    assert_int_equal(r2, 1);
    assert_int_equal(r3, 0);
    assert_int_equal(seg_dataset_customer_count(ds), 2);
    assert_ok(seg_dataset_customer_find(ds, "张三", &found));
    assert_int_equal(found, 0);
    assert_string_equal(seg_dataset_customer_id(ds, 0), "张三");
    assert_null(seg_dataset_customer_id(ds, 2));
    assert_int_equal(seg_dataset_customer_find(ds, "bob", &found),
                     SEG_ENOTFOUND);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "bob"));
    assert_int_equal(seg_dataset_add_customer(ds, "", NULL), SEG_EPARSE);
    assert_int_equal(seg_dataset_add_customer(ds, "\xff\xfe", NULL),
                     SEG_EPARSE);
    assert_int_equal(seg_dataset_add_customer(ds, "\xed\xa0\x80", NULL),
                     SEG_EPARSE); /* a UTF-16 surrogate */
    assert_int_equal(seg_dataset_add_customer(ds, "\xc0\xaf", NULL),
                     SEG_EPARSE); /* overlong */
    assert_int_equal(seg_dataset_add_customer(NULL, "x", NULL), SEG_EINVAL);
    assert_int_equal(seg_dataset_customer_count(ds), 2);
}

static void test_many_customers_lookup(void **state)
{
    seg_dataset *ds = *state;
    char id[32];
    for (int i = 0; i < 50000; i++) {
        snprintf(id, sizeof id, "cust-%d", i);
        assert_ok(seg_dataset_add_customer(ds, id, NULL));
    }
    for (int i = 0; i < 50000; i += 7) {
        size_t row;
        snprintf(id, sizeof id, "cust-%d", i);
        assert_ok(seg_dataset_customer_find(ds, id, &row));
        assert_int_equal(row, (size_t)i);
        assert_string_equal(seg_dataset_customer_id(ds, row), id);
    }
}

static void test_records_and_validation(void **state)
{
    seg_dataset *ds = *state;
    assert_ok(seg_dataset_add_transaction(ds, "a", 100, 9.5));
    assert_ok(seg_dataset_add_transaction(ds, "a", 200, -2.0)); /* a return */
    assert_ok(seg_dataset_add_event(ds, "b", 150, "visit", NAN));
    assert_ok(seg_dataset_add_event(ds, "b", 160, "email_click", 1.0));
    assert_int_equal(seg_dataset_transaction_count(ds), 2);
    assert_int_equal(seg_dataset_event_count(ds), 2);
    assert_int_equal(seg_dataset_add_transaction(ds, "c", 1, NAN), SEG_ERANGE);
    assert_int_equal(seg_dataset_add_transaction(ds, "c", 1, INFINITY),
                     SEG_ERANGE);
    assert_int_equal(seg_dataset_add_event(ds, "c", 1, "", 0), SEG_EPARSE);
    assert_int_equal(seg_dataset_add_event(ds, "c", 1, "x", INFINITY),
                     SEG_ERANGE);
    assert_int_equal(seg_dataset_add_transaction(ds, NULL, 1, 1), SEG_EINVAL);
    /* failed calls added nobody */
    assert_int_equal(seg_dataset_customer_count(ds), 2);
    assert_int_equal(seg_dataset_transaction_count(ds), 2);
    assert_int_equal(seg_dataset_event_count(ds), 2);
}

static void test_bulk_all_or_nothing(void **state)
{
    seg_dataset *ds = *state;
    const char *ids[] = {"x", "y", "x", "z"};
    int64_t times[] = {1, 2, 3, 4};
    double amounts[] = {1, 2, 3, NAN};
    assert_int_equal(seg_dataset_add_transactions(ds, ids, times, amounts, 4),
                     SEG_ERANGE);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "row 3"));
    assert_int_equal(seg_dataset_customer_count(ds), 0);
    assert_int_equal(seg_dataset_transaction_count(ds), 0);
    amounts[3] = 4;
    assert_ok(seg_dataset_add_transactions(ds, ids, times, amounts, 4));
    assert_int_equal(seg_dataset_customer_count(ds), 3);
    assert_int_equal(seg_dataset_transaction_count(ds), 4);

    const char *kinds[] = {"view", "cart", "buy\xff"};
    assert_int_equal(seg_dataset_add_events(ds, ids, times, kinds, NULL, 3),
                     SEG_EPARSE);
    assert_int_equal(seg_dataset_event_count(ds), 0);
    kinds[2] = "view";
    assert_ok(seg_dataset_add_events(ds, ids, times, kinds, NULL, 3));
    assert_int_equal(seg_dataset_event_count(ds), 3);
    assert_ok(seg_dataset_add_transactions(ds, NULL, NULL, NULL, 0));
}

static void test_attributes_and_columns(void **state)
{
    seg_dataset *ds = *state;
    assert_ok(seg_dataset_set_attribute_str(ds, "a", "channel", "organic"));
    assert_ok(seg_dataset_set_attribute_str(ds, "b", "channel", "社交"));
    assert_ok(seg_dataset_set_attribute_f64(ds, "b", "age", 31));
    assert_ok(seg_dataset_set_attribute_str(ds, "c", "channel", NULL));
    assert_int_equal(seg_dataset_column_count(ds), 2);
    assert_string_equal(seg_dataset_column_name(ds, 0), "channel");
    assert_null(seg_dataset_column_name(ds, 2));
    assert_int_equal(seg_dataset_column_type(ds, "channel"), SEG_COLUMN_LABEL);
    assert_int_equal(seg_dataset_column_type(ds, "age"), SEG_COLUMN_NUMERIC);
    assert_int_equal(seg_dataset_column_type(ds, "nope"), SEG_ENOTFOUND);

    /* a type clash is an error and changes nothing, not even the customer */
    assert_int_equal(seg_dataset_set_attribute_f64(ds, "new", "channel", 1),
                     SEG_ETYPE);
    assert_int_equal(seg_dataset_customer_count(ds), 3);

    const char *lab;
    double v;
    assert_ok(seg_dataset_get_label(ds, "channel", 1, &lab));
    assert_string_equal(lab, "社交");
    assert_ok(seg_dataset_get_label(ds, "channel", 2, &lab));
    assert_null(lab);
    assert_ok(seg_dataset_get_f64(ds, "age", 0, &v));
    assert_true(isnan(v)); /* never set: missing */
    assert_ok(seg_dataset_get_f64(ds, "age", 1, &v));
    assert_near(v, 31, 0);
    assert_int_equal(seg_dataset_get_f64(ds, "age", 3, &v), SEG_ERANGE);
    assert_int_equal(seg_dataset_get_f64(ds, "channel", 0, &v), SEG_ETYPE);
    assert_int_equal(seg_dataset_get_label(ds, "age", 0, &lab), SEG_ETYPE);

    double ages[3];
    const char *chans[3];
    assert_int_equal(seg_dataset_copy_f64(ds, "age", ages, 2), SEG_ERANGE);
    assert_ok(seg_dataset_copy_f64(ds, "age", ages, 3));
    assert_true(isnan(ages[0]) && ages[1] == 31 && isnan(ages[2]));
    assert_ok(seg_dataset_copy_labels(ds, "channel", chans, 3));
    assert_string_equal(chans[0], "organic");
    assert_null(chans[2]);

    /* zero-copy access: a short column is extended with missing values */
    const double *data;
    size_t nd;
    assert_ok(seg_dataset_column_data(ds, "age", &data, &nd));
    assert_int_equal(nd, 3);
    assert_true(isnan(data[0]) && data[1] == 31 && isnan(data[2]));
    assert_int_equal(seg_dataset_column_data(ds, "channel", &data, &nd),
                     SEG_ETYPE);

    /* columns written by a host (as a model does) */
    double score[3] = {1, 2, 3};
    const char *tier[3] = {"gold", NULL, "silver"};
    assert_ok(seg_dataset_write_f64(ds, "my.score", score, 3));
    assert_ok(seg_dataset_write_labels(ds, "my.tier", tier, 3));
    assert_int_equal(seg_dataset_write_f64(ds, "my.score", score, 2),
                     SEG_EINVAL);
    assert_int_equal(seg_dataset_write_f64(ds, "my.tier", score, 3), SEG_ETYPE);
    score[0] = 10;
    assert_ok(seg_dataset_write_f64(ds, "my.score", score, 3)); /* replace */
    assert_ok(seg_dataset_get_f64(ds, "my.score", 0, &v));
    assert_near(v, 10, 0);
    assert_ok(seg_dataset_get_label(ds, "my.tier", 2, &lab));
    assert_string_equal(lab, "silver");
    assert_int_equal(seg_dataset_column_count(ds), 4);
    assert_ok(seg_dataset_drop_column(ds, "my.score"));
    assert_int_equal(seg_dataset_drop_column(ds, "my.score"), SEG_ENOTFOUND);
    assert_int_equal(seg_dataset_column_count(ds), 3);
    assert_string_equal(seg_dataset_column_name(ds, 2), "my.tier");
}

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
    for (size_t i = 0; i < seg_dataset_column_count(ds); i++) {
        const char *c = seg_dataset_column_name(ds, i);
        snprintf(head, sizeof head, "%s:%d\n", c,
                 seg_dataset_column_type(ds, c));
        collect(head, strlen(head), &s);
    }
    if (seg_dataset_export(ds, SEG_FORMAT_CSV, NULL, 0, collect, &s))
        fail_msg("export: %s", seg_dataset_errmsg(ds));
    return s;
}

static void test_bulk_attributes_as_single_calls(void **state)
{
    seg_dataset *one = *state, *bulk;
    assert_ok(seg_dataset_new(&bulk));
    /* customers there before, in both */
    assert_ok(seg_dataset_set_attribute_f64(one, "b", "age", 40));
    assert_ok(seg_dataset_set_attribute_f64(bulk, "b", "age", 40));
    assert_ok(seg_dataset_add_transaction(one, "c", 1, 2));
    assert_ok(seg_dataset_add_transaction(bulk, "c", 1, 2));

    const char *ids[] = {"a", "b", "张三", "a", "d"};
    double ages[] = {31, NAN, 22, 33, 44}; /* "a" twice: the last stays */
    const char *tiers[] = {"gold", NULL, "银", "silver", "gold"};
    for (size_t i = 0; i < 5; i++) {
        assert_ok(seg_dataset_set_attribute_f64(one, ids[i], "age", ages[i]));
        assert_ok(seg_dataset_set_attribute_str(one, ids[i], "tier",
                                                tiers[i]));
    }
    assert_ok(seg_dataset_set_attributes_f64(bulk, "age", ids, ages, 5));
    assert_ok(seg_dataset_set_attributes_str(bulk, "tier", ids, tiers, 5));
    char *a = snapshot(one), *b = snapshot(bulk);
    assert_string_equal(a, b);
    free(a);
    free(b);
    double v;
    size_t row;
    assert_ok(seg_dataset_customer_find(bulk, "a", &row));
    assert_ok(seg_dataset_get_f64(bulk, "age", row, &v));
    assert_near(v, 33, 0);
    assert_ok(seg_dataset_customer_find(bulk, "b", &row));
    assert_ok(seg_dataset_get_f64(bulk, "age", row, &v));
    assert_true(isnan(v)); /* NaN: now missing */

    /* nothing to set: no column is made */
    assert_ok(seg_dataset_set_attributes_f64(bulk, "empty", NULL, NULL, 0));
    assert_int_equal(seg_dataset_column_type(bulk, "empty"), SEG_ENOTFOUND);
    seg_dataset_free(bulk);
}

static void test_bulk_attributes_all_or_nothing(void **state)
{
    seg_dataset *ds = *state;
    const char *ids[] = {"a", "b"};
    double ages[] = {30, 40};
    const char *tiers[] = {"gold", "silver"};
    assert_ok(seg_dataset_set_attributes_f64(ds, "age", ids, ages, 2));
    assert_ok(seg_dataset_set_attributes_str(ds, "tier", ids, tiers, 2));
    char *before = snapshot(ds);

    /* new customers, overwritten values and a new column, then a bad id in
     * the middle */
    const char *bad_ids[] = {"a", "new", "", "b"};
    double new_ages[] = {1, 2, 3, 4};
    assert_int_equal(seg_dataset_set_attributes_f64(ds, "age", bad_ids,
                                                    new_ages, 4),
                     SEG_EPARSE);
    assert_non_null(strstr(seg_dataset_errmsg(ds),
                           "row 2: customer id is empty"));
    assert_int_equal(seg_dataset_set_attributes_f64(ds, "score", bad_ids,
                                                    new_ages, 4),
                     SEG_EPARSE);
    const char *bad_tiers[] = {"bronze", "x\xff", "gold"};
    const char *more_ids[] = {"a", "new", "b"};
    assert_int_equal(seg_dataset_set_attributes_str(ds, "tier", more_ids,
                                                    bad_tiers, 3),
                     SEG_EPARSE);
    assert_non_null(strstr(seg_dataset_errmsg(ds),
                           "row 1: attribute 'tier' is not valid UTF-8"));
    const char *null_ids[] = {"a", NULL};
    assert_int_equal(seg_dataset_set_attributes_str(ds, "tier", null_ids,
                                                    bad_tiers, 2),
                     SEG_EINVAL);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "row 1"));
    char *after = snapshot(ds);
    assert_string_equal(before, after);
    free(after);
    free(before);
}

static void test_bulk_attributes_type_conflict(void **state)
{
    seg_dataset *ds = *state;
    assert_ok(seg_dataset_set_attribute_str(ds, "a", "tier", "gold"));
    assert_ok(seg_dataset_set_attribute_f64(ds, "a", "age", 30));
    char *before = snapshot(ds);
    const char *ids[] = {"b", "c"};
    double nums[] = {1, 2};
    const char *strs[] = {"x", "y"};
    assert_int_equal(seg_dataset_set_attributes_f64(ds, "tier", ids, nums, 2),
                     SEG_ETYPE);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "tier"));
    assert_int_equal(seg_dataset_set_attributes_str(ds, "age", ids, strs, 2),
                     SEG_ETYPE);
    assert_int_equal(seg_dataset_set_attributes_str(ds, "age", ids, strs, 0),
                     SEG_ETYPE);
    assert_int_equal(seg_dataset_set_attributes_str(ds, "", ids, strs, 2),
                     SEG_EPARSE);
    assert_int_equal(seg_dataset_set_attributes_str(ds, NULL, ids, strs, 2),
                     SEG_EINVAL);
    assert_int_equal(seg_dataset_set_attributes_f64(ds, "age", ids, NULL, 2),
                     SEG_EINVAL);
    assert_int_equal(seg_dataset_set_attributes_f64(NULL, "age", ids, nums, 2),
                     SEG_EINVAL);
    char *after = snapshot(ds); /* not even the customers were added */
    assert_string_equal(before, after);
    free(after);
    free(before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_customers_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_customers_lookup, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_records_and_validation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bulk_all_or_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_attributes_and_columns, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bulk_attributes_as_single_calls,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_bulk_attributes_all_or_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_bulk_attributes_type_conflict,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
