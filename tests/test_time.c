/* Time parsing and formatting. */
#include <string.h>

#include <segment.h>

#include "testutil.h"

static int64_t parse(const char *s, int fmt, int *rc)
{
    int64_t t = 12345;
    *rc = seg_time_parse(&t, s, strlen(s), fmt);
    return t;
}

static void expect(const char *s, int fmt, int64_t want)
{
    int rc;
    int64_t t = parse(s, fmt, &rc);
    if (rc != SEG_OK || t != want)
        fail_msg("'%s': rc %d, got %lld, want %lld", s, rc, (long long)t,
                 (long long)want);
}

static void expect_fail(const char *s, int fmt, int code)
{
    int rc;
    int64_t t = parse(s, fmt, &rc);
    if (rc != code)
        fail_msg("'%s': rc %d, want %d", s, rc, code);
    assert_int_equal(t, 12345); /* untouched on failure */
}

static void test_formats(void **state)
{
    (void)state;
    /* 1997-01-01 = 9862 days after the epoch */
    expect("19970101", SEG_TIME_AUTO, 852076800);
    expect("19970101", SEG_TIME_YYYYMMDD, 852076800);
    expect("1997-01-01", SEG_TIME_AUTO, 852076800);
    expect("1997-01-01T00:00:00Z", SEG_TIME_AUTO, 852076800);
    expect("1997-01-01 10:30", SEG_TIME_AUTO, 852076800 + 37800);
    expect("1997-01-01T10:30:15.999", SEG_TIME_ISO8601, 852076800 + 37815);
    expect("1997-01-01T10:30:00+02:00", SEG_TIME_AUTO, 852076800 + 30600);
    expect("1997-01-01T10:30:00+0200", SEG_TIME_AUTO, 852076800 + 30600);
    expect("1997-01-01T10:30:00-05", SEG_TIME_AUTO, 852076800 + 55800);
    expect("1997-01-01T00:30:00+01:00", SEG_TIME_AUTO, 852076800 - 1800);
    expect("852076800", SEG_TIME_AUTO, 852076800);
    expect("852076800", SEG_TIME_EPOCH, 852076800);
    expect("-86400", SEG_TIME_AUTO, -86400);
    expect("  2000-02-29  ", SEG_TIME_AUTO, 951782400);
    expect("1969-12-31", SEG_TIME_AUTO, -86400);
    expect("1600-03-01", SEG_TIME_AUTO, -11670912000LL);
    expect("0", SEG_TIME_AUTO, 0);
    /* digits only: eight of them are a date to AUTO, seconds to EPOCH */
    expect("20240101", SEG_TIME_EPOCH, 20240101);
    expect("1612345678", SEG_TIME_AUTO, 1612345678);
    expect("000000000000000042", SEG_TIME_AUTO, 42);
    expect("123456789012345678", SEG_TIME_EPOCH, 123456789012345678LL);
    expect("1234567890123456789", SEG_TIME_EPOCH, 1234567890123456789LL);
    expect(" 1612345678", SEG_TIME_AUTO, 1612345678);
}

static void test_invalid(void **state)
{
    (void)state;
    expect_fail("", SEG_TIME_AUTO, SEG_EPARSE);
    expect_fail("99999999999999999999", SEG_TIME_EPOCH, SEG_ERANGE);
    expect_fail("16123x5678", SEG_TIME_AUTO, SEG_EPARSE);
    expect_fail("   ", SEG_TIME_AUTO, SEG_EPARSE);
    expect_fail("1997-02-29", SEG_TIME_AUTO, SEG_EPARSE); /* not a leap year */
    expect_fail("1900-02-29", SEG_TIME_AUTO, SEG_EPARSE);
    expect_fail("19971301", SEG_TIME_AUTO, SEG_EPARSE);
    expect_fail("1997-04-31", SEG_TIME_ISO8601, SEG_EPARSE);
    expect_fail("1997-01-01T24:00", SEG_TIME_AUTO, SEG_EPARSE);
    expect_fail("1997-01-01T10:30:00+25:00", SEG_TIME_AUTO, SEG_EPARSE);
    expect_fail("1997-01-01X", SEG_TIME_AUTO, SEG_EPARSE);
    expect_fail("1997/01/01", SEG_TIME_AUTO, SEG_EPARSE);
    expect_fail("abc", SEG_TIME_AUTO, SEG_EPARSE);
    expect_fail("12.5", SEG_TIME_EPOCH, SEG_EPARSE);
    expect_fail("19970101", SEG_TIME_ISO8601, SEG_EPARSE);
    expect_fail("1997-01-01", SEG_TIME_YYYYMMDD, SEG_EPARSE);
    expect_fail("99999999999999999999", SEG_TIME_EPOCH, SEG_ERANGE);
    expect_fail("1997-01-01", 99, SEG_EINVAL);
    assert_int_equal(seg_time_parse(NULL, "1", 1, 0), SEG_EINVAL);
}

/* 1997-09-30 00:00 UTC is 875577600 (Python's datetime agrees); its end
 * is 86399 seconds later. */
static void test_end_of_day(void **state)
{
    (void)state;
    const int eod = SEG_TIME_END_OF_DAY;
    expect("1997-09-30", SEG_TIME_AUTO | eod, 875577600LL + 86399);
    expect(" 19970930 ", SEG_TIME_AUTO | eod, 875577600LL + 86399);
    expect("1997-09-30", SEG_TIME_ISO8601 | eod, 875577600LL + 86399);
    expect("19970930", SEG_TIME_YYYYMMDD | eod, 875577600LL + 86399);
    /* a time of day, or epoch seconds, stays as it is */
    expect("1997-09-30T10:00:00Z", SEG_TIME_AUTO | eod, 875577600LL + 36000);
    expect("875577600", SEG_TIME_AUTO | eod, 875577600LL);
    expect("875577600", SEG_TIME_EPOCH | eod, 875577600LL);
    expect("1997-09-30", SEG_TIME_AUTO, 875577600LL);
    expect_fail("1997-02-30", SEG_TIME_AUTO | eod, SEG_EPARSE);
    expect_fail("1997-09-30", 0x7f | eod, SEG_EINVAL);
}

static void test_format_roundtrip(void **state)
{
    (void)state;
    char buf[32];
    assert_ok(seg_time_format_iso(buf, sizeof buf, 852076800));
    assert_string_equal(buf, "1997-01-01");
    assert_ok(seg_time_format_iso(buf, sizeof buf, 852076800 + 37815));
    assert_string_equal(buf, "1997-01-01T10:30:15Z");
    assert_ok(seg_time_format_iso(buf, sizeof buf, -1));
    assert_string_equal(buf, "1969-12-31T23:59:59Z");
    assert_int_equal(seg_time_format_iso(buf, 5, 0), SEG_ERANGE);
    assert_string_equal(buf, "");
    assert_int_equal(seg_time_format_iso(buf, sizeof buf, INT64_MAX),
                     SEG_ERANGE);
    /* every day over four centuries reads back */
    for (int64_t d = -80000; d < 80000; d += 7) {
        int64_t t = d * 86400, back;
        assert_ok(seg_time_format_iso(buf, sizeof buf, t));
        assert_ok(seg_time_parse(&back, buf, strlen(buf), SEG_TIME_AUTO));
        assert_int_equal(back, t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_end_of_day),
        cmocka_unit_test(test_format_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
