/* A program built against 0.1 calls the init functions of 0.1's smaller
 * options structs: it is given the versions of SEG_0.1, which write no
 * further than those structs. The structs below are 0.1's, as its headers
 * had them (a copy: this test must not see today's). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

typedef struct csv_options_0_1 {
    size_t size;
    char delimiter;
    int has_header;
    int time_format;
    const char *id_column, *time_column, *amount_column, *kind_column,
        *value_column;
    const char *const *attribute_columns;
    size_t n_attribute_columns;
    int row_ids;
    int all_attributes;
} csv_options_0_1;

typedef struct features_options_0_1 {
    size_t size;
    int64_t as_of;
    int time_unit;
    int64_t holdout_from;
} features_options_0_1;

void csv_init_0_1(csv_options_0_1 *o);
void features_init_0_1(features_options_0_1 *o);
__asm__(".symver csv_init_0_1, seg_csv_options_init@SEG_0.1");
__asm__(".symver features_init_0_1, seg_features_options_init@SEG_0.1");

/* The struct at the end of a buffer of its own size and a guard after
 * it: AddressSanitizer reports a write past it, and so does the guard. */
static void test_old_inits_stay_in_old_structs(void **state)
{
    (void)state;
    unsigned char *b = malloc(sizeof(csv_options_0_1) + 64);
    memset(b, 0xA5, sizeof(csv_options_0_1) + 64);
    csv_options_0_1 *c = (csv_options_0_1 *)b;
    csv_init_0_1(c);
    assert_int_equal(c->size, sizeof(csv_options_0_1));
    assert_int_equal(c->has_header, 1);
    for (size_t i = sizeof *c; i < sizeof *c + 64; i++)
        assert_int_equal(b[i], 0xA5);
    free(b);
    unsigned char *f = malloc(sizeof(features_options_0_1) + 64);
    memset(f, 0xA5, sizeof(features_options_0_1) + 64);
    features_options_0_1 *o = (features_options_0_1 *)f;
    features_init_0_1(o);
    assert_int_equal(o->size, sizeof(features_options_0_1));
    assert_true(o->as_of == INT64_MIN && o->holdout_from == INT64_MIN);
    assert_int_equal(o->time_unit, 1);
    for (size_t i = sizeof *o; i < sizeof *o + 64; i++)
        assert_int_equal(f[i], 0xA5);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_old_inits_stay_in_old_structs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
