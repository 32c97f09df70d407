/* Membership ladders, holdout groups and campaign evaluation, through the
 * public API, on hand-built histories worked out by hand below. */
#include <stdio.h>

#include "testutil.h"

#define T0 INT64_C(1704067200) /* 2024-01-01T00:00:00Z */
#define DAY INT64_C(86400)
#define AT(d) (T0 + (int64_t)(d) * DAY)

static const char spec[] =
    "# a small ladder for the tests\n"
    "name = lv\n"
    "period = 100d\n"
    "points amount = 1\n"
    "points event review = 20   # a review earns 20\n"
    "tier Bronze = 0\n"
    "tier Silver = 100 keep 50\n"
    "tier Gold = 300 keep 150\n";

static seg_ladder *parse(const char *text)
{
    seg_ladder *l = NULL;
    assert_ok(seg_ladder_parse(&l, text, strlen(text), "t.ladder"));
    return l;
}

static void tx(seg_dataset *ds, const char *id, int day, double amount)
{
    assert_ok(seg_dataset_add_transaction(ds, id, AT(day), amount));
}

/* The histories, by customer:
 * A (upgrade, then renewal; records added out of time order):
 *   day 0 buy 60 -> 60 points, Bronze since day 0
 *   day 10 review +20 -> 80
 *   day 20 buy 30 -> 110 >= 100: Silver from day 20 to day 120, the
 *          period's points start at 0
 *   day 50 buy 60 -> 170, period points 60
 *   day 120 end: 60 >= keep 50, renewed to day 220, period points 0
 *   on day 130: Silver, 120..220, 170 points, 130 to Gold, 50 to keep.
 * B (straight to Gold, then 保级 fails into Silver):
 *   day 0 buy 320 -> Gold from day 0 to day 100
 *   day 30 buy 100 -> 420, period points 100
 *   day 100 end: 100 < keep 150; Silver's keep 50 <= 100: Silver from
 *          day 100 to 200, balance cut to Silver's 100
 *   on day 130: Silver, 100..200, 100 points, 200 to Gold, 50 to keep.
 * C (a return, then expiry to the entry tier):
 *   day 0 buy 150 -> Silver 0..100; day 5 return -40 -> 110, period -40
 *   day 100 end: -40 < 50 -> Bronze from day 100, no end, balance 0
 *   on day 130: Bronze, 0 points, 100 to Silver, no keep.
 * D (a purchase at the very end of the period belongs to the next one;
 *    a purchase after the analysis date is not read):
 *   day 0 buy 100 -> Silver 0..100, period points 0
 *   day 100 buy 60: first the end (0 < 50 -> Bronze, balance 0), then
 *          60 points; day 200 buy 500 is after day 130
 *   on day 130: Bronze since 100, 60 points, period 60, 40 to Silver.
 * E (no records): Bronze, no start, 0 points, 100 to Silver. */
static seg_dataset *histories(void)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    tx(ds, "A", 20, 30);
    tx(ds, "A", 0, 60);
    tx(ds, "A", 50, 60);
    assert_ok(seg_dataset_add_event(ds, "A", AT(10), "review", NAN));
    assert_ok(seg_dataset_add_event(ds, "A", AT(11), "visit", NAN));
    tx(ds, "B", 0, 320);
    tx(ds, "B", 30, 100);
    tx(ds, "C", 0, 150);
    tx(ds, "C", 5, -40);
    tx(ds, "D", 0, 100);
    tx(ds, "D", 100, 60);
    tx(ds, "D", 200, 500);
    assert_ok(seg_dataset_add_customer(ds, "E", NULL));
    return ds;
}

static double num(const seg_dataset *ds, const char *col, const char *id)
{
    size_t row;
    double v;
    assert_ok(seg_dataset_customer_find(ds, id, &row));
    assert_ok(seg_dataset_get_f64(ds, col, row, &v));
    return v;
}

static void expect(const seg_dataset *ds, const char *id, const char *tier,
                   double start, double end, double points, double period,
                   double to_next, double to_keep)
{
    size_t row;
    const char *t;
    assert_ok(seg_dataset_customer_find(ds, id, &row));
    assert_ok(seg_dataset_get_label(ds, "lv.tier", row, &t));
    assert_string_equal(t, tier);
    double got[6] = {num(ds, "lv.tier_start", id), num(ds, "lv.tier_end", id),
                     num(ds, "lv.points", id), num(ds, "lv.period_points", id),
                     num(ds, "lv.to_next", id), num(ds, "lv.to_keep", id)};
    double want[6] = {start, end, points, period, to_next, to_keep};
    for (int k = 0; k < 6; k++) {
        if (isnan(want[k]))
            assert_true(isnan(got[k]));
        else
            assert_near(got[k], want[k], 1e-9);
    }
}

static void test_ladder_replay(void **state)
{
    (void)state;
    seg_ladder *l = parse(spec);
    assert_string_equal(seg_ladder_prefix(l), "lv");
    seg_dataset *ds = histories();
    assert_ok(seg_ladder_apply(l, ds, AT(130)));
    expect(ds, "A", "Silver", AT(120), AT(220), 170, 0, 130, 50);
    expect(ds, "B", "Silver", AT(100), AT(200), 100, 0, 200, 50);
    expect(ds, "C", "Bronze", AT(100), NAN, 0, 0, 100, NAN);
    expect(ds, "D", "Bronze", AT(100), NAN, 60, 60, 40, NAN);
    expect(ds, "E", "Bronze", NAN, NAN, 0, 0, 100, NAN);
    assert_int_equal(seg_dataset_column_kind(ds, "lv.tier_end"),
                     SEG_KIND_TIMESTAMP);
    /* the same data gives the same ladder */
    assert_ok(seg_ladder_apply(l, ds, AT(130)));
    expect(ds, "A", "Silver", AT(120), AT(220), 170, 0, 130, 50);
    /* on day 60, before any period ended: A Silver 20..120 with 60
     * period points; B Gold 0..100 with 100 of keep 150 */
    assert_ok(seg_ladder_apply(l, ds, AT(60)));
    expect(ds, "A", "Silver", AT(20), AT(120), 170, 60, 130, 0);
    expect(ds, "B", "Gold", AT(0), AT(100), 420, 100, NAN, 50);
    seg_dataset_free(ds);
    seg_ladder_free(l);
}

/* A's ledger to day 130, from the history above. */
static void test_ladder_ledger(void **state)
{
    (void)state;
    seg_ladder *l = parse(spec);
    seg_dataset *ds = histories();
    seg_table *t;
    assert_ok(seg_ladder_ledger_table(&t, l, ds, AT(130), "A"));
    static const char *const src[] = {"purchase", "review", "purchase",
                                      "upgrade", "purchase", "renewal"};
    static const double pts[] = {60, 20, 30, 0, 60, 0};
    static const double bal[] = {60, 80, 110, 110, 170, 170};
    static const double per[] = {60, 80, 110, 0, 60, 0};
    static const char *const tier[] = {"Bronze", "Bronze", "Bronze",
                                       "Silver", "Silver", "Silver"};
    static const char *const when[] = {
        "2024-01-01T00:00:00Z", "2024-01-11T00:00:00Z",
        "2024-01-21T00:00:00Z", "2024-01-21T00:00:00Z",
        "2024-02-20T00:00:00Z", "2024-04-30T00:00:00Z"};
    assert_int_equal(seg_table_row_count(t), 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(seg_table_text(t, i, 0), "A");
        assert_string_equal(seg_table_text(t, i, 1), when[i]);
        assert_string_equal(seg_table_text(t, i, 2), src[i]);
        assert_near(seg_table_f64(t, i, 3), pts[i], 0);
        assert_near(seg_table_f64(t, i, 4), bal[i], 0);
        assert_near(seg_table_f64(t, i, 5), per[i], 0);
        assert_string_equal(seg_table_text(t, i, 6), tier[i]);
    }
    assert_string_equal(seg_table_text(t, 5, 7), "2024-08-08T00:00:00Z");
    seg_table_free(t);
    /* B: two purchases, the upgrade, the downgrade cutting 420 to 100 */
    assert_ok(seg_ladder_ledger_table(&t, l, ds, AT(130), "B"));
    assert_int_equal(seg_table_row_count(t), 4);
    assert_string_equal(seg_table_text(t, 3, 2), "downgrade");
    assert_near(seg_table_f64(t, 3, 3), -320, 0);
    assert_near(seg_table_f64(t, 3, 4), 100, 0);
    seg_table_free(t);
    /* everyone: A 6, B 4, C 4 (buy, upgrade, return, downgrade), D 4 */
    assert_ok(seg_ladder_ledger_table(&t, l, ds, AT(130), NULL));
    assert_int_equal(seg_table_row_count(t), 18);
    seg_table_free(t);
    assert_int_equal(seg_ladder_ledger_table(&t, l, ds, AT(130), "Z"),
                     SEG_ENOTFOUND);
    assert_null(t);
    seg_dataset_free(ds);
    seg_ladder_free(l);
}

/* A tier kept at 0 points renews through idle periods: on day 1000 the
 * tier from day 0 is in its period 900..1000+; the entry is day 900. */
static void test_ladder_idle(void **state)
{
    (void)state;
    seg_ladder *l = parse("period = 100d\ntier Base = 0\n"
                          "tier Club = 10 keep 0\n");
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    tx(ds, "X", 0, 10);
    assert_ok(seg_ladder_apply(l, ds, AT(1000)));
    size_t row;
    const char *t;
    assert_ok(seg_dataset_customer_find(ds, "X", &row));
    assert_ok(seg_dataset_get_label(ds, "ladder.tier", row, &t));
    assert_string_equal(t, "Club");
    assert_near(num(ds, "ladder.tier_start", "X"), (double)AT(1000), 0);
    assert_near(num(ds, "ladder.tier_end", "X"), (double)AT(1100), 0);
    seg_dataset_free(ds);
    seg_ladder_free(l);
}

static void bad_spec(const char *text, const char *msg)
{
    seg_ladder *l = (seg_ladder *)1;
    assert_int_equal(seg_ladder_parse(&l, text, strlen(text), "t.ladder"),
                     SEG_EPARSE);
    assert_null(l);
    if (!strstr(seg_errmsg(), msg))
        fail_msg("'%s' lacks '%s'", seg_errmsg(), msg);
}

static void test_ladder_errors(void **state)
{
    (void)state;
    bad_spec("", "at least one tier");
    bad_spec("tier A = 5\n", "t.ladder:1: the first tier");
    bad_spec("tier A = 0\ntier B = 0\n", "t.ladder:2: tiers come by rising");
    bad_spec("tier A = 0\ntier B = 10 keep 20\n", "keep is between");
    bad_spec("tier A = 0\nperiod = 3m\n", "t.ladder:2: a period");
    bad_spec("tier A = 0\ncolour = red\n", "t.ladder:2: expected");
    bad_spec("tier A = 0\ntier A = 9\n", "a second tier");
    bad_spec("points amount = x\ntier A = 0\n", "expected a number");
    bad_spec("points event a = 1\npoints event a = 2\ntier A = 0\n",
             "points given twice");
    seg_ladder *l;
    assert_int_equal(seg_ladder_preset(&l, "nope"), SEG_ENOTFOUND);
    assert_ok(seg_ladder_preset(&l, "fitness"));
    assert_non_null(strstr(seg_ladder_preset_text("fitness"), "VIP级"));
    /* all or nothing: lv.points taken by labels, so nothing is written */
    seg_ladder_free(l);
    l = parse(spec);
    seg_dataset *ds = histories();
    assert_ok(seg_dataset_set_attribute_str(ds, "A", "lv.points", "x"));
    size_t cols = seg_dataset_column_count(ds);
    assert_int_equal(seg_ladder_apply(l, ds, AT(130)), SEG_ETYPE);
    assert_int_equal(seg_dataset_column_count(ds), cols);
    assert_int_equal(seg_dataset_column_type(ds, "lv.tier"), SEG_ENOTFOUND);
    assert_non_null(strstr(seg_ladder_errmsg(l), "lv.points"));
    seg_dataset_free(ds);
    seg_ladder_free(l);
}

/* The fitness preset: fees and participation. M1 pays 600 on day 0 and
 * checks in daily from day 1: the 40th check-in, on day 40, brings 600 +
 * 400 = 1000, 活跃级 from then; 45 check-ins (450) and 2 classes (40)
 * make 1090 by day 60. M2's 300 stays 入门级. */
static void test_ladder_fitness(void **state)
{
    (void)state;
    seg_ladder *l;
    assert_ok(seg_ladder_preset(&l, "fitness"));
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    tx(ds, "M1", 0, 600);
    for (int i = 0; i < 45; i++)
        assert_ok(seg_dataset_add_event(ds, "M1", AT(1 + i), "checkin", NAN));
    for (int i = 0; i < 2; i++)
        assert_ok(seg_dataset_add_event(ds, "M1", AT(50 + i), "class", NAN));
    tx(ds, "M2", 0, 300);
    assert_ok(seg_ladder_apply(l, ds, AT(60)));
    size_t row;
    const char *t;
    assert_ok(seg_dataset_customer_find(ds, "M1", &row));
    assert_ok(seg_dataset_get_label(ds, "ladder.tier", row, &t));
    assert_string_equal(t, "活跃级");
    assert_near(num(ds, "ladder.points", "M1"), 1090, 1e-9);
    assert_near(num(ds, "ladder.to_next", "M1"), 3000 - 1090, 1e-9);
    assert_near(num(ds, "ladder.tier_start", "M1"), (double)AT(40), 0);
    assert_ok(seg_dataset_customer_find(ds, "M2", &row));
    assert_ok(seg_dataset_get_label(ds, "ladder.tier", row, &t));
    assert_string_equal(t, "入门级");
    seg_dataset_free(ds);
    seg_ladder_free(l);
}

/* ---- holdout ---- */

static void test_holdout(void **state)
{
    (void)state;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    char id[16];
    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof id, "c%d", i);
        assert_ok(seg_dataset_set_attribute_str(ds, id, "tier",
                                                i % 2 ? "hi" : "lo"));
    }
    seg_holdout_options o;
    seg_holdout_options_init(&o);
    o.seed = 42;
    o.share = 0.2;
    o.tier_column = "tier";
    o.shares = "hi=0.5";
    assert_ok(seg_dataset_assign_holdout(ds, &o));
    double held[2] = {0, 0};
    for (size_t i = 0; i < 20000; i++) {
        double v;
        const char *cid = seg_dataset_customer_id(ds, i);
        assert_ok(seg_dataset_get_f64(ds, "treatment", i, &v));
        double share = i % 2 ? 0.5 : 0.2;
        assert_true(v == (seg_holdout_draw(42, cid, strlen(cid)) < share
                              ? 0 : 1));
        held[i % 2] += v == 0;
    }
    /* binomial: 10000 draws, 4 standard deviations */
    assert_near(held[0] / 10000, 0.2, 4 * sqrt(0.2 * 0.8 / 10000));
    assert_near(held[1] / 10000, 0.5, 4 * sqrt(0.25 / 10000));
    /* another seed, other groups; the draw is in [0, 1) */
    double u = seg_holdout_draw(7, "c1", 2);
    assert_true(u >= 0 && u < 1);
    assert_true(u != seg_holdout_draw(42, "c1", 2));
    /* errors leave the dataset as it was */
    size_t cols = seg_dataset_column_count(ds);
    o.shares = "mid=0.3";
    assert_int_equal(seg_dataset_assign_holdout(ds, &o), SEG_ENOTFOUND);
    o.shares = "hi=1.5";
    assert_int_equal(seg_dataset_assign_holdout(ds, &o), SEG_EPARSE);
    o.shares = NULL;
    o.share = -1;
    assert_int_equal(seg_dataset_assign_holdout(ds, &o), SEG_ERANGE);
    o.share = 0.1;
    o.column = "tier";
    assert_int_equal(seg_dataset_assign_holdout(ds, &o), SEG_ETYPE);
    assert_int_equal(seg_dataset_column_count(ds), cols);
    seg_dataset_free(ds);
}

/* ---- evaluation ---- */

static void arm(seg_dataset *ds, const char *id, const char *tier,
                double treated, double revenue)
{
    assert_ok(seg_dataset_set_attribute_str(ds, id, "tier", tier));
    assert_ok(seg_dataset_set_attribute_f64(ds, id, "treatment", treated));
    /* on the campaign day itself and after the window: not counted */
    tx(ds, id, 10, 999);
    tx(ds, id, 41, 999);
    if (revenue != 0)
        tx(ds, id, 12, revenue);
}

static double cell(const seg_table *t, size_t row, const char *col)
{
    size_t c;
    assert_ok(seg_table_column_find(t, col, &c));
    return seg_table_f64(t, row, c);
}

/* Tier A: treated revenues 10, 30 and control 0, 20.
 *   conversion 2/2 against 1/2: pooled 3/4, se sqrt(3/4 * 1/4 * (1/2 +
 *   1/2)) = 0.4330127, z = 0.5 / se = 1.1547005, p = erfc(z / sqrt 2) =
 *   erfc(sqrt(2/3)) = 0.2482130790; Wald se sqrt(0 + 1/8) = 0.3535534,
 *   interval 0.5 -+ 1.959963985 * 0.3535534.
 *   revenue 20 against 10, both variances 200: se = sqrt(100 + 100), t =
 *   1/sqrt 2, df = 200^2 / (100^2 + 100^2) = 2; for 2 degrees of freedom
 *   P(|T| > t) = 1 - t / sqrt(2 + t^2) = 1 - 1/sqrt 5 = 0.5527864045, and
 *   the 97.5% point solves t / sqrt(2 + t^2) = 0.95: t^2 = 1.805 / 0.0975,
 *   t = 4.3026527297; interval 10 -+ 4.3026527297 * sqrt 200.
 * Tier B: treated 10, 0, 20, 30 and control 0, 0, 10, 0.
 *   conversion 3/4 against 1/4: pooled 1/2, z = 0.5 / sqrt(1/8) = sqrt 2,
 *   p = erfc(1) = 0.1572992071.
 *   revenue 15 against 2.5, variances 500/3 and 25: a = 125/3, b = 6.25,
 *   t = 12.5 / sqrt(a + b), df = (a + b)^2 / (a^2 / 3 + b^2 / 3).
 * Tier C: one customer an arm: too few to judge. */
static void test_campaign(void **state)
{
    (void)state;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    arm(ds, "a1", "A", 1, 10);
    arm(ds, "a2", "A", 1, 30);
    arm(ds, "a3", "A", 0, 0);
    arm(ds, "a4", "A", 0, 20);
    const double bt[] = {10, 0, 20, 30}, bc[] = {0, 0, 10, 0};
    char id[8];
    for (int i = 0; i < 4; i++) {
        snprintf(id, sizeof id, "bt%d", i);
        arm(ds, id, "B", 1, bt[i]);
        snprintf(id, sizeof id, "bc%d", i);
        arm(ds, id, "B", 0, bc[i]);
    }
    arm(ds, "c1", "C", 1, 5);
    arm(ds, "c2", "C", 0, 0);
    assert_ok(seg_dataset_add_customer(ds, "nobody", NULL));
    seg_campaign_options o;
    seg_campaign_options_init(&o);
    o.tier_column = "tier";
    o.campaign_date = AT(10);
    o.window_days = 30;
    seg_table *t;
    assert_ok(seg_campaign_table(&t, ds, &o));
    assert_int_equal(seg_table_row_count(t), 4);
    assert_string_equal(seg_table_text(t, 0, 0), "A");
    assert_string_equal(seg_table_text(t, 3, 0), "(all)");
    assert_near(cell(t, 0, "treated"), 2, 0);
    assert_near(cell(t, 0, "conv_treated"), 1, 1e-15);
    assert_near(cell(t, 0, "conv_control"), 0.5, 1e-15);
    assert_near(cell(t, 0, "conv_p"), 0.2482130789899236, 1e-12);
    double wald = 1.959963984540054 * sqrt(0.125);
    assert_near(cell(t, 0, "conv_low"), 0.5 - wald, 1e-9);
    assert_near(cell(t, 0, "conv_high"), 0.5 + wald, 1e-9);
    assert_near(cell(t, 0, "revenue_uplift"), 10, 1e-12);
    assert_near(cell(t, 0, "revenue_df"), 2, 1e-12);
    assert_near(cell(t, 0, "revenue_p"), 1 - 1 / sqrt(5), 1e-12);
    double half = 4.302652729749464 * sqrt(200);
    assert_near(cell(t, 0, "revenue_low"), 10 - half, 1e-8);
    assert_near(cell(t, 0, "revenue_high"), 10 + half, 1e-8);
    assert_string_equal(seg_table_text(t, 0, 16), "no clear difference");
    assert_near(cell(t, 1, "conv_p"), 0.15729920705028513, 1e-12);
    double a = 500.0 / 3 / 4, b = 25.0 / 4;
    assert_near(cell(t, 1, "revenue_df"),
                (a + b) * (a + b) / (a * a / 3 + b * b / 3), 1e-9);
    assert_near(cell(t, 1, "revenue_uplift"), 12.5, 1e-12);
    assert_string_equal(seg_table_text(t, 2, 16),
                        "too few customers to judge");
    assert_true(isnan(cell(t, 2, "revenue_p")));
    /* everyone, by tier: A and B weighted 4/12 and 8/12 (C has one
     * customer an arm and stays out). Conversion 1/3 * 1 + 2/3 * 3/4 =
     * 5/6 against 1/3 * 1/2 + 2/3 * 1/4 = 1/3; se^2 = 1/9 * (0 + 1/8) +
     * 4/9 * (3/64 + 3/64) = 1/18, z = (1/2) / sqrt(1/18) = 3 / sqrt 2, p =
     * erfc(z / sqrt 2) = erfc(1.5). Revenue 1/3 * 20 + 2/3 * 15 = 50/3
     * against 1/3 * 10 + 2/3 * 2.5 = 5; the variance and the
     * Welch-Satterthwaite degrees of freedom over the four strata: */
    assert_near(cell(t, 3, "treated"), 6, 0);
    assert_near(cell(t, 3, "control"), 6, 0);
    assert_near(cell(t, 3, "conv_treated"), 5.0 / 6, 1e-15);
    assert_near(cell(t, 3, "conv_control"), 1.0 / 3, 1e-15);
    assert_near(cell(t, 3, "conv_p"), erfc(1.5), 1e-12);
    assert_near(cell(t, 3, "conv_high"), 0.5 + 1.959963984540054 *
                                                  sqrt(1.0 / 18), 1e-9);
    assert_near(cell(t, 3, "revenue_uplift"), 50.0 / 3 - 5, 1e-12);
    double s[4] = {100.0 / 9, 100.0 / 9, 4.0 / 9 * a, 4.0 / 9 * b};
    double se2 = s[0] + s[1] + s[2] + s[3];
    assert_near(cell(t, 3, "revenue_df"),
                se2 * se2 / (s[0] * s[0] + s[1] * s[1] + s[2] * s[2] / 3 +
                             s[3] * s[3] / 3), 1e-9);
    seg_table_free(t);
    /* a treatment that is not 0/1, no date, a missing column */
    assert_ok(seg_dataset_set_attribute_f64(ds, "a1", "treatment", 2));
    assert_int_equal(seg_campaign_table(&t, ds, &o), SEG_ERANGE);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "'a1'"));
    o.campaign_date = SEG_TIME_NONE;
    assert_int_equal(seg_campaign_table(&t, ds, &o), SEG_EINVAL);
    o.campaign_date = AT(10);
    o.treatment_column = "nope";
    assert_int_equal(seg_campaign_table(&t, ds, &o), SEG_ENOTFOUND);
    assert_null(t);
    seg_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ladder_replay),
        cmocka_unit_test(test_ladder_ledger),
        cmocka_unit_test(test_ladder_idle),
        cmocka_unit_test(test_ladder_errors),
        cmocka_unit_test(test_ladder_fitness),
        cmocka_unit_test(test_holdout),
        cmocka_unit_test(test_campaign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
