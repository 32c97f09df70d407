/* Time zones read from the tz database, checked against the C library's
 * own reading of the same files (localtime_r under TZ), an independent
 * implementation. */
#define _DEFAULT_SOURCE /* tm_gmtoff */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"

#include "testutil.h"

static seg__tz *open_zone(const char *name)
{
    seg__tz *tz = NULL;
    int rc = seg__tz_open(&tz, name, NULL);
    if (rc)
        fail_msg("%s: %d %s", name, rc, seg_errmsg());
    return tz;
}

/* The C library's offset at t for the zone, or a failure. */
static long libc_offset(const char *zone, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!localtime_r(&tt, &tm))
        fail_msg("%s: localtime_r failed at %lld", zone, (long long)t);
    return tm.tm_gmtoff;
}

static void compare_zone(const char *zone, int64_t from, int64_t to,
                         int64_t step)
{
    char env[256];
    snprintf(env, sizeof env, ":%s", zone);
    setenv("TZ", env, 1);
    tzset();
    seg__tz *tz = open_zone(zone);
    size_t n = 0;
    for (int64_t t = from; t < to; t += step, n++) {
        long want = libc_offset(zone, t);
        int32_t got = seg__tz_offset(tz, t);
        if (got != want)
            fail_msg("%s at %lld: offset %d, the C library says %ld", zone,
                     (long long)t, got, want);
        int64_t day = seg__tz_day(tz, t);
        int64_t start = seg__tz_day_start(tz, day);
        if (start > t || seg__tz_day(tz, start) != day ||
            seg__tz_day(tz, start - 1) >= day)
            fail_msg("%s: day %lld starts at %lld, not before %lld", zone,
                     (long long)day, (long long)start, (long long)t);
    }
    assert_true(n > 100);
    seg__tz_free(tz);
}

static void test_against_libc(void **state)
{
    (void)state;
    /* 1900 to 2150, every 2 days, 1 hour and 7 seconds: every kind of
     * change, the table of the file and the rule of its footer past it */
    const int64_t from = -2208988800LL, to = 5680281600LL, step = 176407;
    const char *zones[] = {"Asia/Shanghai",      "America/New_York",
                           "Europe/London",      "Australia/Sydney",
                           "America/Sao_Paulo",  "Asia/Kolkata",
                           "Pacific/Chatham",    "America/Santiago",
                           "Europe/Dublin",      "Asia/Tehran",
                           "Pacific/Apia",       "America/St_Johns"};
    for (size_t i = 0; i < sizeof zones / sizeof *zones; i++)
        compare_zone(zones[i], from, to, step);
    unsetenv("TZ");
    tzset();
}

static void test_beijing_day(void **state)
{
    (void)state;
    seg__tz *tz = open_zone("Asia/Shanghai");
    /* 2024-03-01 07:00 and 20:00 in Beijing are one local day; in UTC
     * the second is 12:00 the same day, the first 23:00 the day before */
    int64_t d = seg__days_from_civil(2024, 3, 1);
    int64_t morning = d * 86400 + 7 * 3600 - 8 * 3600;
    int64_t evening = d * 86400 + 20 * 3600 - 8 * 3600;
    assert_int_equal(seg__tz_day(tz, morning), d);
    assert_int_equal(seg__tz_day(tz, evening), d);
    assert_int_equal(seg__tz_day_start(tz, d), d * 86400 - 8 * 3600);
    seg__tz_free(tz);
}

static void test_new_york_dst(void **state)
{
    (void)state;
    seg__tz *tz = open_zone("America/New_York");
    /* 2024-03-10: clocks go from 02:00 EST to 03:00 EDT, at 07:00 UTC */
    int64_t d = seg__days_from_civil(2024, 3, 10);
    int64_t change = d * 86400 + 7 * 3600;
    assert_int_equal(seg__tz_offset(tz, change - 1), -5 * 3600);
    assert_int_equal(seg__tz_offset(tz, change), -4 * 3600);
    /* the day is 23 hours long */
    assert_int_equal(seg__tz_day_start(tz, d + 1) - seg__tz_day_start(tz, d),
                     23 * 3600);
    /* 2024-11-03 is 25 hours long */
    int64_t n = seg__days_from_civil(2024, 11, 3);
    assert_int_equal(seg__tz_day_start(tz, n + 1) - seg__tz_day_start(tz, n),
                     25 * 3600);
    seg__tz_free(tz);
}

static void test_fixed_and_bad(void **state)
{
    (void)state;
    struct {
        const char *name;
        int32_t off;
    } fixed[] = {{"UTC", 0},          {"Z", 0},
                 {"+08:00", 8 * 3600}, {"+0800", 8 * 3600},
                 {"-05", -5 * 3600},   {"+05:30", 5 * 3600 + 1800}};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        seg__tz *tz = open_zone(fixed[i].name);
        assert_int_equal(seg__tz_offset(tz, 0), fixed[i].off);
        assert_int_equal(seg__tz_offset(tz, 4000000000LL), fixed[i].off);
        assert_string_equal(seg__tz_name(tz), fixed[i].name);
        seg__tz_free(tz);
    }
    seg__tz *tz = (seg__tz *)0x1;
    assert_int_equal(seg__tz_open(&tz, "Mars/Olympus_Mons", NULL),
                     SEG_ENOTFOUND);
    assert_null(tz);
    assert_non_null(strstr(seg_errmsg(), "Mars/Olympus_Mons"));
    const char *bad[] = {"../../etc/passwd", "/etc/localtime", "Asia//x",
                         "Asia/", "", "+25:00", "+08:60", "08:00",
                         "Asia/Shang hai"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = seg__tz_open(&tz, bad[i], NULL);
        if (rc != SEG_EPARSE && rc != SEG_ENOTFOUND)
            fail_msg("'%s': rc %d", bad[i], rc);
        assert_null(tz);
    }
}

static void test_corrupt_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/seg-tz-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/Bad", dir);
    /* every truncation of a real file is an error, never a crash */
    FILE *f = fopen("/usr/share/zoneinfo/Europe/Paris", "rb");
    assert_non_null(f);
    static unsigned char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 100);
    setenv("TZDIR", dir, 1);
    for (size_t cut = 0; cut < n; cut += 7) {
        FILE *o = fopen(path, "wb");
        fwrite(buf, 1, cut, o);
        fclose(o);
        seg__tz *tz = NULL;
        int rc = seg__tz_open(&tz, "Bad", NULL);
        if (rc == SEG_OK) /* a cut inside the footer may still read */
            seg__tz_free(tz);
        else
            assert_int_equal(rc, SEG_EPARSE);
    }
    /* and the whole file reads */
    FILE *o = fopen(path, "wb");
    fwrite(buf, 1, n, o);
    fclose(o);
    seg__tz *tz = NULL;
    assert_ok(seg__tz_open(&tz, "Bad", NULL));
    assert_int_equal(seg__tz_offset(tz, 0), 3600);
    seg__tz_free(tz);
    unsetenv("TZDIR");
    unlink(path);
    rmdir(dir);
}


/* Local wall-clock times back to instants: every instant of a few years
 * (every 7 minutes) comes back from its local time, but for the hour a
 * change back repeats, which gives the earlier instant of the two. */
static void test_from_local_round_trip(void **state)
{
    (void)state;
    const char *zones[] = {"America/New_York", "Europe/London",
                           "Australia/Sydney", "Asia/Shanghai", "+05:30"};
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        seg__tz *tz = open_zone(zones[z]);
        int32_t fixed;
        assert_int_equal(seg__tz_fixed(tz, &fixed),
                         strcmp(zones[z], "+05:30") == 0);
        for (int64_t t = 1672531200; t < 1767225600; t += 7 * 60) {
            int64_t local = t + seg__tz_offset(tz, t);
            int64_t back = seg__tz_from_local(tz, local);
            if (back != t) {
                /* the repeated hour: the earlier reading, same wall time */
                assert_true(back < t && t - back <= 3 * 3600);
                assert_int_equal(back + seg__tz_offset(tz, back), local);
            }
        }
        seg__tz_free(tz);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_libc),
        cmocka_unit_test(test_beijing_day),
        cmocka_unit_test(test_new_york_dst),
        cmocka_unit_test(test_fixed_and_bad),
        cmocka_unit_test(test_corrupt_files),
        cmocka_unit_test(test_from_local_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
