/* Units in rules: duration literals take the unit of what they meet,
 * timestamps compare with dates and with times before the analysis date,
 * and what has no unit of time meeting a duration is an error with its
 * place. Every expected tier is worked out by hand from the dates below. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "testutil.h"

#define DAY 86400

/* 2024-06-30, the analysis date (its end: 23:59:59 local) */
static int64_t t_of(const char *iso)
{
    int64_t t;
    assert_ok(seg_time_parse(&t, iso, strlen(iso), SEG_TIME_ISO8601));
    return t;
}

/* five customers whose last purchases are 0, 6, 29, 30, 100 and 400
 * days before 2024-06-30; b also visited the cart 7 and 8 days before */
static seg_dataset *shop(int unit, const char *zone)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    if (zone)
        assert_ok(seg_dataset_set_timezone(ds, zone));
    static const char *ids[] = {"a", "b", "c", "d", "e", "f"};
    static const int back[] = {0, 6, 29, 30, 100, 400};
    int64_t end = t_of("2024-06-30T12:00:00Z");
    for (int i = 0; i < 6; i++) {
        assert_ok(seg_dataset_add_customer(ds, ids[i], NULL));
        assert_ok(seg_dataset_add_transaction(ds, ids[i],
                                              end - 500 * (int64_t)DAY, 10));
        assert_ok(seg_dataset_add_transaction(
            ds, ids[i], end - back[i] * (int64_t)DAY, 10));
    }
    assert_ok(seg_dataset_add_event(ds, "b", end - 7 * (int64_t)DAY,
                                    "cart_add", NAN));
    assert_ok(seg_dataset_add_event(ds, "c", end - 8 * (int64_t)DAY,
                                    "cart_add", NAN));
    seg_features_options o;
    seg_features_options_init(&o);
    o.time_unit = unit;
    int64_t as_of;
    assert_ok(seg_dataset_parse_time(ds, &as_of, "2024-06-30", 10,
                                     SEG_TIME_ISO8601 | SEG_TIME_END_OF_DAY));
    o.as_of = as_of;
    assert_ok(seg_dataset_compute_features(ds, &o));
    return ds;
}

/* The tiers of the six customers as one string, "-" for none. */
static void tiers_are(seg_dataset *ds, const char *text, const char *want)
{
    seg_rules *r;
    if (seg_rules_parse(&r, text, strlen(text), "u.rules"))
        fail_msg("parse [%s]: %s", text, seg_errmsg());
    if (seg_rules_apply(r, ds, "t"))
        fail_msg("apply [%s]: %s", text, seg_rules_errmsg(r));
    char got[64] = "";
    for (size_t i = 0; i < 6; i++) {
        const char *v;
        assert_ok(seg_dataset_get_label(ds, "t", i, &v));
        strcat(got, v ? v : "-");
    }
    if (strcmp(got, want) != 0)
        fail_msg("[%s]: %s, expected %s", text, got, want);
    seg_rules_free(r);
}

static void bind_error(seg_dataset *ds, const char *text, const char *msg)
{
    seg_rules *r;
    if (seg_rules_parse(&r, text, strlen(text), "u.rules"))
        fail_msg("parse [%s]: %s", text, seg_errmsg());
    int rc = seg_rules_apply(r, ds, "t");
    if (rc != SEG_ETYPE || !strstr(seg_rules_errmsg(r), msg))
        fail_msg("[%s]: %d '%s', expected '%s'", text, rc,
                 seg_rules_errmsg(r), msg);
    seg_rules_free(r);
}

/* The same literals give the same tiers whatever the unit of recency:
 * recency is 0, 6, 29, 30, 100, 400 days (0 .. 57.14 weeks). */
static void test_durations_in_either_unit(void **state)
{
    (void)state;
    const int units[] = {SEG_UNIT_DAY, SEG_UNIT_WEEK};
    for (int u = 0; u < 2; u++) {
        seg_dataset *ds = shop(units[u], NULL);
        /* 90d: 90 days, not 90 weeks */
        tiers_are(ds, "tier \"R\" when recency <= 90d\notherwise \"o\"",
                  "RRRRoo");
        /* 1w = 7 days: 0 and 6 */
        tiers_are(ds, "tier \"R\" when recency < 1w\notherwise \"o\"",
                  "RRoooo");
        /* 1mo = 30.436875 days: 0, 6, 29, 30 */
        tiers_are(ds, "tier \"R\" when recency <= 1mo\notherwise \"o\"",
                  "RRRRoo");
        /* 1y = 365.2425 days: all but 400 */
        tiers_are(ds, "tier \"R\" when recency < 1y\notherwise \"o\"",
                  "RRRRRo");
        /* arithmetic of durations: 4w + 2d = 30 days */
        tiers_are(ds, "tier \"R\" when recency >= 4w + 2d\notherwise \"o\"",
                  "oooRRR");
        tiers_are(ds, "tier \"R\" when recency between 2 * 3d and 30d\n"
                      "otherwise \"o\"", "oRRRoo");
        /* 72h = 3 days */
        tiers_are(ds, "tier \"R\" when recency > 72h\notherwise \"o\"",
                  "oRRRRR");
        /* T (500 days for everyone) minus 1y */
        tiers_are(ds, "tier \"R\" when T - 1y > 134d\notherwise \"o\"",
                  "RRRRRR");
        seg_dataset_free(ds);
    }
}

/* Timestamps against dates (the local day's first or last second, as the
 * comparison needs), against as_of - D and within D. */
static void test_timestamps(void **state)
{
    (void)state;
    const char *zones[] = {NULL, "Asia/Shanghai"};
    for (int z = 0; z < 2; z++) {
        seg_dataset *ds = shop(SEG_UNIT_DAY, zones[z]);
        /* last purchases: 06-30, 06-24, 06-01, 05-31, 03-22, 2023-05-27 */
        tiers_are(ds, "tier \"J\" when last_purchase >= 2024-06-01\n"
                      "otherwise \"o\"", "JJJooo");
        tiers_are(ds, "tier \"J\" when last_purchase <= 2024-06-01\n"
                      "otherwise \"o\"", "ooJJJJ");
        tiers_are(ds, "tier \"J\" when last_purchase > 2024-06-01\n"
                      "otherwise \"o\"", "JJoooo");
        tiers_are(ds, "tier \"J\" when 2024-06-01 > last_purchase\n"
                      "otherwise \"o\"", "oooJJJ");
        tiers_are(ds, "tier \"J\" when last_purchase between 2024-05-31 "
                      "and 2024-06-01\notherwise \"o\"", "ooJJoo");
        /* as_of is 2024-06-30 23:59:59 local: as_of - 30d is the end of
         * 05-31, so '>' keeps the 30 days 06-01 .. 06-30 */
        tiers_are(ds, "tier \"M\" when last_purchase > as_of - 30d\n"
                      "otherwise \"o\"", "MMMooo");
        /* within 30d: the 30 local days ending with the analysis day */
        tiers_are(ds, "tier \"M\" when last_purchase within 30d\n"
                      "otherwise \"o\"", "MMMooo");
        tiers_are(ds, "tier \"M\" when last_purchase not within 7d\n"
                      "otherwise \"o\"", "ooMMMM");
        /* carts on 06-23 (b) and 06-22 (c): the 8 days 06-23 .. 06-30
         * hold b's, the 9 days from 06-22 both, the 7 from 06-24 none */
        tiers_are(ds, "tier \"C\" when events.cart_add.last within 7d\n"
                      "otherwise \"o\"", "oooooo");
        tiers_are(ds, "tier \"C\" when events.cart_add.last within 8d\n"
                      "otherwise \"o\"", "oCoooo");
        tiers_are(ds, "tier \"C\" when events.cart_add.last within 9d\n"
                      "otherwise \"o\"", "oCCooo");
        /* a date in arithmetic is the end of its day: first purchases
         * on 2023-02-16, before the end of 02-15 + 1d but not of
         * 02-14 + 1d */
        tiers_are(ds, "tier \"J\" when first_purchase < 2023-02-15 + 1d\n"
                      "otherwise \"o\"", "JJJJJJ");
        tiers_are(ds, "tier \"J\" when first_purchase < 2023-02-14 + 1d\n"
                      "otherwise \"o\"", "oooooo");
        seg_dataset_free(ds);
    }
}

/* What cannot meet a duration is an error at the place, before anything
 * is written. */
static void test_unit_errors(void **state)
{
    (void)state;
    seg_dataset *ds = shop(SEG_UNIT_WEEK, NULL);
    bind_error(ds, "tier \"x\" when frequency >= 30d",
               "u.rules:1:25: compares a duration with 'frequency' (count)");
    bind_error(ds, "tier \"x\" when monetary_total + 1d > 0",
               "u.rules:1:30: combines a duration with 'monetary_total' "
               "(amount)");
    bind_error(ds, "tier \"x\" when last_purchase >= 30d",
               "u.rules:1:29: compares 'last_purchase' (timestamp) with a "
               "duration; a time relative to the analysis date is as_of - "
               "30d");
    bind_error(ds, "tier \"x\" when recency < 2024-01-01",
               "u.rules:1:23: compares 'recency' (weeks) with a date");
    bind_error(ds, "tier \"x\" when last_purchase = 2024-01-01",
               "a time equals a date only for one second");
    bind_error(ds, "tier \"x\" when recency within 7d",
               "u.rules:1:23: 'within' needs a timestamp");
    bind_error(ds, "tier \"x\" when last_purchase - first_purchase > 30d",
               "subtracts two timestamps");
    bind_error(ds, "tier \"x\" when recency > 30d + 5",
               "adds or subtracts a duration with a number");
    bind_error(ds, "tier \"x\" when last_purchase < as_of - recency",
               "adds or subtracts a timestamp with 'recency' (weeks)");
    /* a failed apply writes nothing */
    assert_int_equal(seg_dataset_column_type(ds, "t"), SEG_ENOTFOUND);
    seg_dataset_free(ds);
    /* before features, there is no analysis date */
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_add_customer(ds, "a", NULL));
    assert_ok(seg_dataset_set_attribute_f64(ds, "a", "x", 1));
    bind_error(ds, "tier \"x\" when x > as_of - 1d",
               "the dataset has no analysis date yet");
    /* a column whose unit nothing says takes a duration in days, as in
     * 0.1 */
    seg_rules *r;
    const char *text = "tier \"x\" when x <= 1d and x > 23h";
    assert_ok(seg_rules_parse(&r, text, strlen(text), "u.rules"));
    assert_ok(seg_rules_apply(r, ds, "t"));
    const char *v;
    assert_ok(seg_dataset_get_label(ds, "t", 0, &v));
    assert_string_equal(v, "x");
    seg_rules_free(r);
    seg_dataset_free(ds);
}

/* A label that never occurs in the column compared with is a warning with
 * its place; each application replaces the list. */
static void test_warnings(void **state)
{
    (void)state;
    seg_dataset *ds = shop(SEG_UNIT_DAY, NULL);
    const char *seg[] = {"Champions", "Loyal", "Champions", NULL, "Lost",
                         "Loyal"};
    assert_ok(seg_dataset_write_labels(ds, "segment", seg, 6));
    const char *text = "tier \"a\" when segment = \"冠军\"\n"
                       "tier \"b\" when segment in (\"Loyal\", \"忠诚\")\n"
                       "tier \"c\" when \"Lost\" != segment\n"
                       "tier \"d\" when segment not in (\"x\")\n"
                       "otherwise \"o\"";
    seg_rules *r;
    assert_ok(seg_rules_parse(&r, text, strlen(text), "w.rules"));
    assert_int_equal(seg_rules_warning_count(r), 0);
    assert_null(seg_rules_warning(r, 0));
    assert_ok(seg_rules_apply(r, ds, "t"));
    assert_int_equal(seg_rules_warning_count(r), 3);
    assert_string_equal(seg_rules_warning(r, 0),
                        "w.rules:1:23: no customer has 'segment' = '冠军', "
                        "so this comparison is always false (its labels: "
                        "'Champions', 'Loyal', 'Lost')");
    assert_non_null(strstr(seg_rules_warning(r, 1),
                           "w.rules:2:36: no customer has 'segment' = '忠诚', "
                           "so this comparison is always false"));
    assert_non_null(strstr(seg_rules_warning(r, 2),
                           "w.rules:4:31: no customer has 'segment' = 'x', "
                           "so this comparison is always true"));
    assert_null(seg_rules_warning(r, 3));
    /* the tiers are as the rules say all the same */
    const char *v;
    assert_ok(seg_dataset_get_label(ds, "t", 1, &v));
    assert_string_equal(v, "b");
    assert_ok(seg_dataset_get_label(ds, "t", 0, &v));
    assert_string_equal(v, "c");
    /* labels that occur: no warnings */
    const char *seg2[] = {"冠军", "忠诚", "x", "x", "x", "x"};
    assert_ok(seg_dataset_write_labels(ds, "segment", seg2, 6));
    assert_ok(seg_rules_apply(r, ds, "t"));
    assert_int_equal(seg_rules_warning_count(r), 2); /* Loyal, Lost */
    seg_rules_free(r);
    seg_dataset_free(ds);
}

/* --exclude with a label column: yes/no, true/false, 是/否, 1/0 (ASCII in
 * any case); anything else is an error naming the column. */
static void test_exclude_labels(void **state)
{
    (void)state;
    seg_dataset *ds = shop(SEG_UNIT_DAY, NULL);
    const char *dnc[] = {"yes", "NO", "是", "否", "True", "0"};
    assert_ok(seg_dataset_write_labels(ds, "dnc", dnc, 6));
    const char *text = "tier \"x\" when orders >= 1 priority 1";
    seg_rules *r;
    assert_ok(seg_rules_parse(&r, text, strlen(text), "x.rules"));
    assert_ok(seg_rules_apply(r, ds, NULL));
    seg_call_list_options o;
    seg_call_list_options_init(&o);
    o.exclude_column = "dnc";
    seg_table *t;
    assert_ok(seg_call_list_table(&t, r, ds, &o));
    /* b (NO), d (否) and f (0) stay; a, c, e are excluded */
    assert_int_equal(seg_table_row_count(t), 3);
    size_t id = 0;
    assert_ok(seg_table_column_find(t, "customer_id", &id));
    char got[8] = "";
    for (size_t i = 0; i < 3; i++)
        strcat(got, seg_table_text(t, i, id));
    assert_string_equal(got, "bdf");
    seg_table_free(t);
    /* a missing or empty label is no */
    const char *dnc2[] = {"", NULL, "FALSE", "1", "yes", "No"};
    assert_ok(seg_dataset_write_labels(ds, "dnc", dnc2, 6));
    assert_ok(seg_call_list_table(&t, r, ds, &o));
    assert_int_equal(seg_table_row_count(t), 4);
    seg_table_free(t);
    /* anything else names the column and the label */
    const char *dnc3[] = {"yes", "maybe", "no", "no", "no", "no"};
    assert_ok(seg_dataset_write_labels(ds, "dnc", dnc3, 6));
    t = NULL;
    assert_int_equal(seg_call_list_table(&t, r, ds, &o), SEG_ETYPE);
    assert_null(t);
    assert_non_null(strstr(seg_rules_errmsg(r), "the exclude column 'dnc' "
                                                "has the label 'maybe'"));
    seg_rules_free(r);
    seg_dataset_free(ds);
}

/* A sum of 100,000 durations takes the unit of recency without recursing
 * on its length: 100,000 x 1h = 4166.67 days, more than every recency;
 * the same chain minus 4166d leaves 16 hours, less than all but a's 0 */
static void test_long_duration_chains(void **state)
{
    (void)state;
    seg_dataset *ds = shop(SEG_UNIT_WEEK, NULL);
    const size_t terms = 100000;
    size_t cap = 64 + terms * 5;
    char *text = malloc(cap);
    assert_non_null(text);
    strcpy(text, "tier \"x\" when recency <= 1h");
    size_t len = strlen(text);
    for (size_t i = 1; i < terms; i++) {
        memcpy(text + len, " + 1h", 5);
        len += 5;
    }
    strcpy(text + len, "\notherwise \"o\"");
    tiers_are(ds, text, "xxxxxx");
    strcpy(text + len, " - 4166d\notherwise \"o\"");
    tiers_are(ds, text, "xooooo");
    free(text);
    seg_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations_in_either_unit),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_unit_errors),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_exclude_labels),
        cmocka_unit_test(test_long_duration_chains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
