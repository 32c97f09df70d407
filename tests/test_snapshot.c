/* Snapshots, their hysteresis and the migration table, through the
 * public API, on a hand-built history worked out by hand below. */
#include <math.h>
#include <stdio.h>

#include "testutil.h"

#define T0 INT64_C(1704067200) /* 2024-01-01T00:00:00Z */
#define DAY INT64_C(86400)
#define AT(d) (T0 + (int64_t)(d) * DAY)
/* the analysis dates: the ends of days 30, 60, 90 and 120 */
#define END(d) (AT(d) + DAY - 1)

static const int64_t dates[4] = {END(30), END(60), END(90), END(120)};

static const char tiers[] =
    "output \"seg\"\n"
    "tier \"A\" when recency <= 10d\n"
    "tier \"B\" when recency <= 40d\n"
    "otherwise \"C\"\n";

static const char alerts[] =
    "output \"alert\"\n"
    "tier \"dropped\" when previous(seg) = \"A\" and seg != \"A\"\n"
    "otherwise \"none\"\n";

static void tx(seg_dataset *ds, const char *id, int day, double amount)
{
    assert_ok(seg_dataset_add_transaction(ds, id, AT(day), amount));
}

/* The customers, with recency (days) and tier at days 30, 60, 90, 120:
 * c1 buys 10 on days 25, 55, 85, 115: 5, 5, 5, 5: A A A A
 * c2 buys 10 on day 25: 5, 35, 65, 95: A B C C
 * c3 buys 30 on day 45, 50 on day 85: none (first record after day 30),
 *    15, 5, 35: - B A B
 * c4 buys 10 on day 0, 20 on day 58, 40 on day 100: 30, 2, 32, 20:
 *    B A B B
 * c5 has one event on day 70, no purchase: no recency, so "otherwise C"
 *    from day 90 on, none before: - - C C */
static seg_dataset *history(void)
{
    seg_dataset *ds = NULL;
    assert_ok(seg_dataset_new(&ds));
    for (int d = 25; d <= 115; d += 30)
        tx(ds, "c1", d, 10);
    tx(ds, "c2", 25, 10);
    tx(ds, "c3", 45, 30);
    tx(ds, "c3", 85, 50);
    tx(ds, "c4", 58, 20); /* out of time order: c4's first is day 0 */
    tx(ds, "c4", 0, 10);
    tx(ds, "c4", 100, 40);
    assert_ok(seg_dataset_add_event(ds, "c5", AT(70), "visit", NAN));
    return ds;
}

static seg_rules *rules(const char *text)
{
    seg_rules *r = NULL;
    assert_ok(seg_rules_parse(&r, text, strlen(text), "t.rules"));
    return r;
}

/* The labels of a column, "-" for missing, joined: "A A B -". */
static void labels_of(const seg_dataset *ds, const char *col, char *out)
{
    const char *v[5];
    assert_ok(seg_dataset_copy_labels(ds, col, v, 5));
    out[0] = '\0';
    for (int i = 0; i < 5; i++) {
        strcat(out, v[i] ? v[i] : "-");
        if (i < 4)
            strcat(out, " ");
    }
}

static void expect_labels(const seg_dataset *ds, const char *col,
                          const char *want)
{
    char got[256];
    labels_of(ds, col, got);
    if (strcmp(got, want) != 0)
        fail_msg("%s: got '%s', want '%s'", col, got, want);
}

static double num(const seg_dataset *ds, const char *col, size_t row)
{
    double v[5];
    assert_ok(seg_dataset_copy_f64(ds, col, v, 5));
    return v[row];
}

static void test_history(void **state)
{
    (void)state;
    seg_dataset *ds = history();
    seg_rules *r[2] = {rules(tiers), rules(alerts)};
    seg_snapshots *s = NULL;
    assert_ok(seg_snapshots_run(&s, ds, dates, 4, NULL, 0,
                                (const seg_rules *const *)r, 2, NULL));
    assert_int_equal(seg_snapshots_count(s), 4);
    assert_true(seg_snapshots_date(s, 2) == END(90));
    assert_string_equal(seg_snapshots_column(s, 0), "seg@2024-01-31");
    assert_null(seg_snapshots_column(s, 4));
    /* columns by date: the tiers of the comment above, customer by
     * customer (c1 .. c5) */
    expect_labels(ds, "seg@2024-01-31", "A A - B -");
    expect_labels(ds, "seg@2024-03-01", "A B B A -");
    expect_labels(ds, "seg@2024-03-31", "A C A B C");
    expect_labels(ds, "seg@2024-04-30", "A C B B C");
    expect_labels(ds, "seg", "A C B B C");
    expect_labels(ds, "seg.previous", "A C A B C");
    /* the last change: c1 has had A since day 30, c2 C since day 90, c3
     * B since day 120, c4 B since day 90, c5 C since day 90 */
    assert_true(num(ds, "seg.changed", 0) == (double)END(30));
    assert_true(num(ds, "seg.changed", 1) == (double)END(90));
    assert_true(num(ds, "seg.changed", 2) == (double)END(120));
    assert_true(num(ds, "seg.changed", 3) == (double)END(90));
    assert_true(num(ds, "seg.changed", 4) == (double)END(90));
    /* rules read the previous snapshot's tier: on day 120 only c3 left
     * A (A on day 90, B on day 120) */
    expect_labels(ds, "alert", "none none dropped none none");
    /* features are those of the last date */
    assert_true(num(ds, "recency", 3) == 20);

    /* day 90 to day 120, by hand: A->A c1 (10 on day 115), A->B c3
     * (nothing after day 90), B->B c4 (40 on day 100), C->C c2 and c5 */
    seg_table *t = NULL;
    assert_ok(seg_snapshots_transition_table(&t, s, ds, 2, 3));
    assert_int_equal(seg_table_row_count(t), 4);
    static const char *const from[] = {"A", "A", "B", "C"};
    static const char *const to[] = {"A", "B", "B", "C"};
    static const double n[] = {1, 1, 1, 2}, rev[] = {10, 0, 40, 0},
                        share[] = {0.5, 0.5, 1, 1};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(seg_table_text(t, i, 0), from[i]);
        assert_string_equal(seg_table_text(t, i, 1), to[i]);
        assert_true(seg_table_f64(t, i, 2) == n[i]);
        assert_true(seg_table_f64(t, i, 3) == rev[i]);
        assert_true(seg_table_f64(t, i, 4) == share[i]);
    }
    seg_table_free(t);
    /* day 30 to day 60: A->A c1 (10 on day 55), A->B c2, B->A c4 (20 on
     * day 58), then the new customers: none->B c3 (30 on day 45),
     * none->none c5 */
    assert_ok(seg_snapshots_transition_table(&t, s, ds, 0, 1));
    assert_int_equal(seg_table_row_count(t), 5);
    static const char *const from2[] = {"A", "A", "B", NULL, NULL};
    static const char *const to2[] = {"A", "B", "A", "B", NULL};
    static const double rev2[] = {10, 0, 20, 30, 0},
                        share2[] = {0.5, 0.5, 1, 0.5, 0.5};
    for (size_t i = 0; i < 5; i++) {
        const char *f = seg_table_text(t, i, 0), *g = seg_table_text(t, i, 1);
        assert_true(from2[i] ? f && strcmp(f, from2[i]) == 0 : !f);
        assert_true(to2[i] ? g && strcmp(g, to2[i]) == 0 : !g);
        assert_true(seg_table_f64(t, i, 2) == 1);
        assert_true(seg_table_f64(t, i, 3) == rev2[i]);
        assert_true(seg_table_f64(t, i, 4) == share2[i]);
    }
    seg_table_free(t);
    assert_int_equal(seg_snapshots_transition_table(&t, s, ds, 3, 2),
                     SEG_ERANGE);
    assert_null(t);
    assert_int_equal(seg_snapshots_transition_table(&t, s, ds, 0, 4),
                     SEG_ERANGE);
    seg_snapshots_free(s);
    seg_rules_free(r[0]);
    seg_rules_free(r[1]);
    seg_dataset_free(ds);
}

/* Entering A takes 2 consecutive snapshots of A; leaving B takes its
 * condition failing from a snapshot 31 days back at least, which with
 * snapshots 30 days apart is 3 snapshots. By hand, from the raw tiers:
 * c1 A A A A: takes A at once (no tier to keep): A A A A
 * c2 A B C C: A; B (no hold on B, none on leaving A); on day 90 C has
 *    failed B for 0 days, on day 120 for 30: B B: A B B B
 * c3 - B A B: B at once; on day 90 A for one snapshot only: B; B: - B B B
 * c4 B A B B: B; A once: B; B B: B B B B
 * c5 - - C C: unchanged. */
static void test_hysteresis(void **state)
{
    (void)state;
    seg_dataset *ds = history();
    seg_rules *r = rules(tiers);
    seg_snapshot_options o;
    seg_snapshot_options_init(&o);
    o.enter_hold = "A=2";
    o.leave_hold = "B=31d";
    assert_ok(seg_snapshots_run(NULL, ds, dates, 4, NULL, 0,
                                (const seg_rules *const *)&r, 1, &o));
    expect_labels(ds, "seg@2024-01-31", "A A - B -");
    expect_labels(ds, "seg@2024-03-01", "A B B B -");
    expect_labels(ds, "seg@2024-03-31", "A B B B C");
    expect_labels(ds, "seg@2024-04-30", "A B B B C");
    assert_true(num(ds, "seg.changed", 1) == (double)END(60));
    assert_true(num(ds, "seg.changed", 2) == (double)END(60));
    assert_true(num(ds, "seg.changed", 3) == (double)END(30));
    /* every tier at 4 snapshots: no one leaves its first tier but c5,
     * who has none before day 90 */
    o.enter_hold = NULL;
    o.leave_hold = "*=4";
    assert_ok(seg_snapshots_run(NULL, ds, dates, 4, NULL, 0,
                                (const seg_rules *const *)&r, 1, &o));
    expect_labels(ds, "seg", "A A B B C");
    seg_rules_free(r);
    seg_dataset_free(ds);
}

/* Before its first record a customer is not one yet: its features are
 * missing, and population statistics leave it out. On day 60 the totals
 * are c1 20, c2 10, c3 30, c4 30, and c5 (first record on day 70) none:
 * their mean is 22.5, so c1 is below it (with c5 counted as $0 the mean
 * would be 18, and c1 above). */
static void test_not_yet_a_customer(void **state)
{
    (void)state;
    seg_dataset *ds = history();
    seg_rules *r = rules("output \"m\"\n"
                         "tier \"above\" when monetary_total >= "
                         "mean(monetary_total)\n"
                         "otherwise \"below\"\n");
    assert_ok(seg_snapshots_run(NULL, ds, dates + 1, 1, NULL, 0,
                                (const seg_rules *const *)&r, 1, NULL));
    expect_labels(ds, "m", "below below above above -");
    assert_true(isnan(num(ds, "monetary_total", 4)));
    assert_true(isnan(num(ds, "orders", 4)));
    seg_rules_free(r);
    seg_dataset_free(ds);
}

/* The features of a snapshot, from records grouped once, are those of a
 * computation at that date alone, for the customers that have records
 * by then. */
static void test_features_as_at_one_date(void **state)
{
    (void)state;
    static const char *const cols[] = {
        "orders", "frequency", "t_x", "T", "recency", "monetary_total",
        "monetary_mean", "monetary_repeat_mean", "first_purchase",
        "last_purchase", "returns", "returned_amount"};
    seg_dataset *a = history(), *b = history();
    /* a return, and records no longer grouped by customer */
    for (int i = 0; i < 2; i++) {
        tx(i ? b : a, "c2", 59, -4);
        tx(i ? b : a, "c1", 50, 5);
    }
    seg_rules *r = rules(tiers);
    assert_ok(seg_snapshots_run(NULL, a, dates, 2, NULL, 0,
                                (const seg_rules *const *)&r, 1, NULL));
    seg_features_options o;
    seg_features_options_init(&o);
    o.as_of = dates[1];
    assert_ok(seg_dataset_compute_features(b, &o));
    for (size_t k = 0; k < sizeof cols / sizeof *cols; k++)
        for (size_t row = 0; row < 4; row++) {
            double x = num(a, cols[k], row), y = num(b, cols[k], row);
            if (!(x == y || (isnan(x) && isnan(y))))
                fail_msg("%s of row %zu: %g, alone %g", cols[k], row, x, y);
        }
    seg_rules_free(r);
    seg_dataset_free(a);
    seg_dataset_free(b);
}

/* Bad input is an error with a message, and the dataset is as it was:
 * its columns, and the features of the last computation. */
static void test_errors(void **state)
{
    (void)state;
    seg_dataset *ds = history();
    assert_ok(seg_dataset_compute_features(ds, NULL));
    size_t ncols = seg_dataset_column_count(ds);
    double rec = num(ds, "recency", 1);
    seg_rules *r[2] = {rules(tiers),
                       rules("tier \"x\" when no_such_column > 1\n")};
    const seg_rules *const *rr = (const seg_rules *const *)r;
    int64_t back[2] = {END(60), END(30)}, same[2] = {END(60), END(60) - 5};
    assert_int_equal(seg_snapshots_run(NULL, ds, back, 2, NULL, 0, rr, 1,
                                       NULL), SEG_EINVAL);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "must increase"));
    assert_int_equal(seg_snapshots_run(NULL, ds, same, 2, NULL, 0, rr, 1,
                                       NULL), SEG_EINVAL);
    assert_int_equal(seg_snapshots_run(NULL, ds, dates, 4, NULL, 0, rr, 0,
                                       NULL), SEG_EINVAL);
    seg_snapshot_options o;
    seg_snapshot_options_init(&o);
    o.enter_hold = "A=0";
    assert_int_equal(seg_snapshots_run(NULL, ds, dates, 4, NULL, 0, rr, 1,
                                       &o), SEG_EPARSE);
    o.enter_hold = "Z=2";
    assert_int_equal(seg_snapshots_run(NULL, ds, dates, 4, NULL, 0, rr, 1,
                                       &o), SEG_ENOTFOUND);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "no tier 'Z'"));
    o.enter_hold = NULL;
    o.tier_column = "nothing";
    assert_int_equal(seg_snapshots_run(NULL, ds, dates, 4, NULL, 0, rr, 1,
                                       &o), SEG_ENOTFOUND);
    /* the second rule set fails at the first date, after the features
     * and the first rule set were written: all of it is undone */
    seg_snapshots *s = NULL;
    assert_int_equal(seg_snapshots_run(&s, ds, dates, 4, NULL, 0, rr, 2,
                                       NULL), SEG_ENOTFOUND);
    assert_null(s);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "no_such_column"));
    assert_int_equal(seg_dataset_column_count(ds), ncols);
    assert_true(num(ds, "recency", 1) == rec);
    assert_int_equal(seg_dataset_column_type(ds, "seg"), SEG_ENOTFOUND);
    seg_rules_free(r[0]);
    seg_rules_free(r[1]);
    seg_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_history),
        cmocka_unit_test(test_hysteresis),
        cmocka_unit_test(test_not_yet_a_customer),
        cmocka_unit_test(test_features_as_at_one_date),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
