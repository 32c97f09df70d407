/* Versions, status codes and error messages. */
#include <string.h>
#include <pthread.h>

#include <segment.h>

#include "testutil.h"

static void test_version(void **state)
{
    (void)state;
    assert_int_equal(seg_version_number(), SEG_VERSION_NUMBER);
    assert_string_equal(seg_version_string(), SEG_VERSION_STRING);
    assert_int_equal(SEG_VERSION_NUMBER, SEG_VERSION_MAJOR * 10000 +
                                             SEG_VERSION_MINOR * 100 +
                                             SEG_VERSION_PATCH);
}

static void test_status_codes_are_stable(void **state)
{
    (void)state;
    /* Published values: a change here breaks every compiled host. */
    assert_int_equal(SEG_OK, 0);
    assert_int_equal(SEG_EINVAL, -1);
    assert_int_equal(SEG_ENOMEM, -2);
    assert_int_equal(SEG_EIO, -3);
    assert_int_equal(SEG_EPARSE, -4);
    assert_int_equal(SEG_ENOTFOUND, -5);
    assert_int_equal(SEG_ETYPE, -6);
    assert_int_equal(SEG_ERANGE, -7);
    assert_int_equal(SEG_EMISUSE, -8);
    assert_int_equal(SEG_EEXISTS, -9);
    assert_int_equal(SEG_ELIMIT, -10);
    assert_int_equal(SEG_EVERSION, -11);
    assert_int_equal(SEG_ECONVERGE, -12);
    for (int c = SEG_ECONVERGE; c <= 0; c++)
        assert_string_not_equal(seg_strerror(c), "unknown error");
    assert_string_equal(seg_strerror(-9999), "unknown error");
    assert_string_equal(seg_strerror(42), "unknown error");
}

static void test_errmsg_never_null(void **state)
{
    (void)state;
    seg_error_clear();
    assert_string_equal(seg_errmsg(), "no error");
    assert_int_equal(seg_dataset_new(NULL), SEG_EINVAL);
    assert_non_null(strstr(seg_errmsg(), "NULL"));
    assert_string_equal(seg_dataset_errmsg(NULL), seg_errmsg());
}

static void *other_thread(void *arg)
{
    seg_dataset *ds = arg;
    size_t row;
    int rc = seg_dataset_customer_find(ds, "nobody-here", &row);
    static int ok;
    ok = rc == SEG_ENOTFOUND && strstr(seg_errmsg(), "nobody-here");
    return &ok;
}

static void test_messages_per_thread_and_handle(void **state)
{
    (void)state;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_string_equal(seg_dataset_errmsg(ds), "no error");
    seg_error_clear();
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread, ds), 0);
    void *res = NULL;
    pthread_join(t, &res);
    assert_true(res && *(int *)res);
    /* the other thread's failure is not this thread's ... */
    assert_string_equal(seg_errmsg(), "no error");
    /* ... but the handle remembers it */
    assert_non_null(strstr(seg_dataset_errmsg(ds), "nobody-here"));
    seg_dataset_free(ds);
    seg_dataset_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_status_codes_are_stable),
        cmocka_unit_test(test_errmsg_never_null),
        cmocka_unit_test(test_messages_per_thread_and_handle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
