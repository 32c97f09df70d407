/* Small functions for hosts: KEY=VALUE parameters, which fit results are
 * parameters, and the column a rule set writes. */
#include <math.h>
#include <string.h>

#include <segment.h>

#include "testutil.h"

static void test_set_pair(void **state)
{
    (void)state;
    seg_model *m;
    assert_ok(seg_model_new(&m, "rfm"));
    assert_ok(seg_model_set_pair(m, "k_r=7"));
    double k;
    assert_ok(seg_model_get_f64(m, "k_r", &k));
    assert_true(k == 7);
    /* split at the first '=': the value may hold one */
    assert_ok(seg_model_set_pair(m, "r_cuts=1,2=3"));
    const char *cuts;
    assert_ok(seg_model_get_str(m, "r_cuts", &cuts));
    assert_string_equal(cuts, "1,2=3");
    assert_int_equal(seg_model_set_pair(m, "k_r"), SEG_EINVAL);
    assert_non_null(strstr(seg_model_errmsg(m), "KEY=VALUE"));
    assert_int_equal(seg_model_set_pair(m, "=5"), SEG_EINVAL);
    assert_int_equal(seg_model_set_pair(m, "nope=5"), SEG_ENOTFOUND);
    assert_int_equal(seg_model_set_pair(m, "k_r=abc"), SEG_EPARSE);
    assert_ok(seg_model_get_f64(m, "k_r", &k));
    assert_true(k == 7); /* a failed set changes nothing */
    assert_int_equal(seg_model_set_pair(m, NULL), SEG_EINVAL);
    assert_int_equal(seg_model_set_pair(NULL, "k_r=1"), SEG_EINVAL);
    seg_model_free(m);
}

static void test_result_is_param(void **state)
{
    (void)state;
    seg_dataset *ds = cdnow_sample("1997-09-30", SEG_UNIT_WEEK, NULL);
    seg_model *m;
    assert_ok(seg_model_new(&m, "bgnbd"));
    assert_int_equal(seg_model_result_is_param(m, "r"), SEG_EMISUSE);
    assert_ok(seg_model_fit(m, ds));
    const char *params[] = {"r", "alpha", "a", "b"};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(seg_model_result_is_param(m, params[i]), 1);
    assert_int_equal(seg_model_result_is_param(m, "se.r"), 0);
    assert_int_equal(seg_model_result_is_param(m, "nope"), 0);
    size_t n_params = 0;
    for (size_t i = 0; seg_model_result_name(m, i); i++)
        n_params += seg_model_result_is_param(m, seg_model_result_name(m, i))
                    == 1;
    assert_int_equal(n_params, 4);
    assert_int_equal(seg_model_result_is_param(m, NULL), SEG_EINVAL);
    seg_model_free(m);
    seg_dataset_free(ds);
}

static void test_rules_output(void **state)
{
    (void)state;
    const char *named = "output \"value_tier\"\ntier \"A\" when orders > 1\n";
    const char *plain = "tier \"A\" when orders > 1\n";
    seg_rules *a, *b;
    assert_ok(seg_rules_parse(&a, named, strlen(named), NULL));
    assert_ok(seg_rules_parse(&b, plain, strlen(plain), NULL));
    assert_string_equal(seg_rules_output(a), "value_tier");
    assert_string_equal(seg_rules_output(b), "tier");
    assert_string_equal(seg_rules_output(NULL), "tier");
    /* it is the column apply writes when the caller names none */
    seg_dataset *ds = cdnow_sample(NULL, SEG_UNIT_WEEK, NULL);
    assert_ok(seg_rules_apply(a, ds, NULL));
    assert_int_equal(seg_dataset_column_type(ds, "value_tier"),
                     SEG_COLUMN_LABEL);
    seg_rules_free(a);
    seg_rules_free(b);
    seg_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_pair),
        cmocka_unit_test(test_result_is_param),
        cmocka_unit_test(test_rules_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
