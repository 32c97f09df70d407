/* Allocator hooks: used for every allocation, settable only before use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "testutil.h"

typedef struct counts {
    size_t calls;
    long live; /* blocks handed out and not yet freed */
} counts;

static void *my_malloc(size_t n, void *u)
{
    void *p = malloc(n);
    ((counts *)u)->calls++;
    ((counts *)u)->live += p != NULL;
    return p;
}
static void *my_realloc(void *p, size_t n, void *u)
{
    void *q = realloc(p, n);
    ((counts *)u)->calls++;
    ((counts *)u)->live += !p && q;
    return q;
}
static void my_free(void *p, void *u)
{
    ((counts *)u)->live -= p != NULL;
    free(p);
}

static counts g_counts;

static void test_hooks(void **state)
{
    (void)state;
    seg_allocator a;
    seg_allocator_init(&a);
    assert_int_equal(a.size, sizeof a);
    /* incomplete hooks are refused */
    assert_int_equal(seg_config_allocator(&a), SEG_EINVAL);
    a.malloc_fn = my_malloc;
    a.realloc_fn = my_realloc;
    a.free_fn = my_free;
    a.user_data = &g_counts;
    seg_allocator small = a;
    small.size = sizeof(size_t);
    assert_int_equal(seg_config_allocator(&small), SEG_EINVAL);
    assert_ok(seg_config_allocator(&a));

    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    for (int i = 0; i < 100; i++) {
        char id[16];
        snprintf(id, sizeof id, "c%d", i);
        assert_ok(seg_dataset_add_transaction(ds, id, i * 86400, 1.0));
    }
    assert_true(g_counts.calls > 0);
    assert_true(g_counts.live > 0);
    seg_dataset_free(ds);
    /* everything allocated through the hooks went back through them */
    assert_int_equal(g_counts.live, 0);

    /* too late now */
    assert_int_equal(seg_config_allocator(&a), SEG_EMISUSE);
    assert_int_equal(seg_config_allocator(NULL), SEG_EMISUSE);
    assert_non_null(strstr(seg_errmsg(), "before"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_hooks)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
