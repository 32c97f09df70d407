/* Business time zones of a dataset: purchase days, dates, local input
 * times, through the public API as a host uses it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "testutil.h"

#define DAY 86400

static seg_dataset *zoned(const char *zone)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    if (zone)
        assert_ok(seg_dataset_set_timezone(ds, zone));
    return ds;
}

static void load(seg_dataset *ds, const char *csv, int threads)
{
    seg_csv_options o;
    seg_csv_options_init(&o);
    assert_ok(seg_dataset_set_threads(ds, threads));
    int rc = seg_dataset_load_csv_buffer(ds, csv, strlen(csv), "t.csv", &o);
    if (rc)
        fail_msg("%s", seg_dataset_errmsg(ds));
}

static double num(const seg_dataset *ds, const char *col, size_t row)
{
    double v;
    assert_ok(seg_dataset_get_f64(ds, col, row, &v));
    return v;
}

static int64_t parse(const seg_dataset *ds, const char *s, int format)
{
    int64_t t;
    assert_ok(seg_dataset_parse_time(ds, &t, s, strlen(s), format));
    return t;
}

static void features(seg_dataset *ds, const char *as_of)
{
    seg_features_options fo;
    seg_features_options_init(&fo);
    if (as_of)
        fo.as_of = parse(ds, as_of, SEG_TIME_AUTO | SEG_TIME_END_OF_DAY);
    assert_ok(seg_dataset_compute_features(ds, &fo));
}

static void test_default_is_utc(void **state)
{
    (void)state;
    seg_dataset *ds = zoned(NULL);
    assert_string_equal(seg_dataset_timezone(ds), "UTC");
    assert_string_equal(seg_dataset_timezone(NULL), "UTC");
    const char *in[] = {"2024-03-01", "2024-03-01T20:00", "20240301",
                        "1709287200", "2024-03-01T20:00:00+08:00"};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        for (int eod = 0; eod < 2; eod++) {
            int f = SEG_TIME_AUTO | (eod ? SEG_TIME_END_OF_DAY : 0);
            int64_t a, b;
            assert_ok(seg_time_parse(&a, in[i], strlen(in[i]), f));
            b = parse(ds, in[i], f);
            assert_int_equal(a, b);
        }
    }
    seg_dataset_free(ds);
}

/* Orders at 07:00 and 20:00 Beijing time on 2024-03-01: one purchase day
 * in Asia/Shanghai (and at +08:00); in UTC the 07:00 order is on
 * 2024-02-29 (23:00Z), so two. */
static void test_beijing_one_day(void **state)
{
    (void)state;
    const char *csv = "id,time,amount\n"
                      "A,2024-03-01T07:00:00+08:00,10\n"
                      "A,2024-03-01T20:00:00+08:00,5\n";
    const char *zones[] = {"Asia/Shanghai", "+08:00", NULL};
    for (size_t z = 0; z < 3; z++) {
        for (int threads = 1; threads <= 3; threads += 2) {
            seg_dataset *ds = zoned(zones[z]);
            load(ds, csv, threads);
            features(ds, "2024-03-10");
            if (zones[z]) {
                assert_near(num(ds, "orders", 0), 1, 0);
                assert_near(num(ds, "monetary_mean", 0), 15, 0);
                /* the as-of date ends at local midnight: 2024-03-10T16:00Z */
                assert_near(num(ds, "T", 0), 9, 0);
            } else {
                assert_near(num(ds, "orders", 0), 2, 0);
                assert_near(num(ds, "t_x", 0), 1, 0);
            }
            seg_dataset_free(ds);
        }
    }
}

/* Local times without an offset are local to the zone; with one, exact. */
static void test_local_input_times(void **state)
{
    (void)state;
    seg_dataset *ds = zoned("Asia/Shanghai");
    assert_string_equal(seg_dataset_timezone(ds), "Asia/Shanghai");
    load(ds, "id,time,amount\n"
             "A,2024-03-01 07:00,10\n"     /* 2024-02-29T23:00Z */
             "B,2024-03-01,1\n"             /* local midnight */
             "C,20240301,1\n"
             "D,2024-03-01T07:00:00Z,1\n"   /* exact */
             "E,1709251200,1\n",            /* epoch: exact */
         1);
    features(ds, NULL);
    int64_t mar1 = 1709251200; /* 2024-03-01T00:00Z */
    assert_near(num(ds, "first_purchase", 0), mar1 - 3600, 0);
    assert_near(num(ds, "first_purchase", 1), mar1 - 8 * 3600, 0);
    assert_near(num(ds, "first_purchase", 2), mar1 - 8 * 3600, 0);
    assert_near(num(ds, "first_purchase", 3), mar1 + 7 * 3600, 0);
    assert_near(num(ds, "first_purchase", 4), mar1, 0);
    /* dates parsed for the host: the start and the end of the local day */
    assert_int_equal(parse(ds, "2024-03-01", SEG_TIME_AUTO), mar1 - 8 * 3600);
    assert_int_equal(parse(ds, "2024-03-01",
                           SEG_TIME_AUTO | SEG_TIME_END_OF_DAY),
                     mar1 + 16 * 3600 - 1);
    assert_int_equal(parse(ds, "20240301",
                           SEG_TIME_YYYYMMDD | SEG_TIME_END_OF_DAY),
                     mar1 + 16 * 3600 - 1);
    /* a time of day is not moved to the end of the day */
    assert_int_equal(parse(ds, "2024-03-01T12:00",
                           SEG_TIME_AUTO | SEG_TIME_END_OF_DAY),
                     mar1 + 4 * 3600);
    int64_t t;
    assert_int_equal(seg_dataset_parse_time(ds, &t, "x", 1, SEG_TIME_AUTO),
                     SEG_EPARSE);
    assert_int_equal(seg_dataset_parse_time(ds, &t, "1", 1, 77), SEG_EINVAL);
    seg_dataset_free(ds);
}

/* America/New_York: 2024-03-10 has 23 hours (02:00 EST -> 03:00 EDT), and
 * 2024-11-03 25 (02:00 EDT -> 01:00 EST). Orders early and late on each
 * local day, on either side of the change, are one purchase each day. */
static void test_new_york_dst(void **state)
{
    (void)state;
    const char *csv = "id,time,amount\n"
                      "A,2024-03-10 00:30,1\n"  /* EST, 05:30Z */
                      "A,2024-03-10 23:30,2\n"  /* EDT, 03:30Z next day */
                      "B,2024-11-03 00:30,1\n"  /* EDT, 04:30Z */
                      "B,2024-11-03 23:30,2\n"; /* EST, 04:30Z next day */
    for (int threads = 1; threads <= 3; threads += 2) {
        seg_dataset *ds = zoned("America/New_York");
        load(ds, csv, threads);
        features(ds, "2024-11-30");
        assert_near(num(ds, "orders", 0), 1, 0);
        assert_near(num(ds, "orders", 1), 1, 0);
        assert_near(num(ds, "monetary_total", 0), 3, 0);
        assert_near(num(ds, "last_purchase", 0), 1710048600, 0);
        assert_near(num(ds, "last_purchase", 1), 1730608200, 0);
        /* the days' lengths as the zone has them */
        int64_t d0 = parse(ds, "2024-03-10", SEG_TIME_AUTO),
                d1 = parse(ds, "2024-03-11", SEG_TIME_AUTO),
                n0 = parse(ds, "2024-11-03", SEG_TIME_AUTO),
                n1 = parse(ds, "2024-11-04", SEG_TIME_AUTO);
        assert_int_equal(d1 - d0, 23 * 3600);
        assert_int_equal(n1 - n0, 25 * 3600);
        /* a skipped time is moved past the gap; a repeated one is the
         * first of the two */
        assert_int_equal(parse(ds, "2024-03-10T02:30", SEG_TIME_AUTO),
                         d0 + 2 * 3600 + 1800);
        assert_int_equal(parse(ds, "2024-11-03T01:30", SEG_TIME_AUTO),
                         n0 + 3600 + 1800);
        seg_dataset_free(ds);
        /* the same orders as instants in UTC: two days each */
        ds = zoned(NULL);
        load(ds, "id,time,amount\n"
                 "A,2024-03-10T05:30Z,1\nA,2024-03-11T03:30Z,2\n",
             threads);
        features(ds, "2024-11-30");
        assert_near(num(ds, "orders", 0), 2, 0);
        seg_dataset_free(ds);
    }
}

static void test_unknown_zone(void **state)
{
    (void)state;
    seg_dataset *ds = zoned("Europe/Paris");
    assert_int_equal(seg_dataset_set_timezone(ds, "Mars/Olympus_Mons"),
                     SEG_ENOTFOUND);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "Mars/Olympus_Mons"));
    assert_non_null(strstr(seg_dataset_errmsg(ds), "not found"));
    /* the zone is as it was */
    assert_string_equal(seg_dataset_timezone(ds), "Europe/Paris");
    assert_int_equal(seg_dataset_set_timezone(ds, "../../etc/passwd"),
                     SEG_EPARSE);
    assert_int_equal(seg_dataset_set_timezone(ds, "+25:00"), SEG_EPARSE);
    assert_int_equal(seg_dataset_set_timezone(NULL, "UTC"), SEG_EINVAL);
    assert_ok(seg_dataset_set_timezone(ds, NULL));
    assert_string_equal(seg_dataset_timezone(ds), "UTC");
    seg_dataset_free(ds);
}

/* The call list writes the last contact in the dataset's zone: a call at
 * 20:00 in Beijing is 12:00 UTC; a contact given as a date stays that
 * date. */
static void test_call_list_in_the_zone(void **state)
{
    (void)state;
    seg_dataset *ds = zoned("Asia/Shanghai");
    load(ds, "customer_id,time,kind\n"
             "a,2024-09-14T20:00:00,call\n"
             "b,2024-09-10,call\n", 1);
    load(ds, "customer_id,date,amount\n"
             "a,2024-09-01,50\nb,2024-09-02,30\n", 1);
    features(ds, "2024-09-30");
    const char *text = "tier \"all\" when orders >= 1 priority 1\n";
    seg_rules *r;
    assert_ok(seg_rules_parse(&r, text, strlen(text), NULL));
    assert_ok(seg_rules_apply(r, ds, NULL));
    char *s = NULL;
    assert_ok(seg_rules_call_list(r, ds, NULL, collect, &s));
    assert_non_null(strstr(s, ",2024-09-14T20:00:00+08:00\n"));
    assert_non_null(strstr(s, ",2024-09-10\n"));
    free(s);
    seg_rules_free(r);
    seg_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_is_utc),
        cmocka_unit_test(test_beijing_one_day),
        cmocka_unit_test(test_local_input_times),
        cmocka_unit_test(test_new_york_dst),
        cmocka_unit_test(test_unknown_zone),
        cmocka_unit_test(test_call_list_in_the_zone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
