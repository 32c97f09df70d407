/* Tier-rule sets: the language, errors with places, hostile input,
 * evaluation, explanations, summaries, crosstabs, call lists, presets. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "testutil.h"

#define DAY 86400

/* customers with numbers, labels and a missing value */
static seg_dataset *people(void)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    const char *ids[] = {"ann", "bob", "cat", "dan", "eve"};
    double spend[] = {500, 120, 40, 0, 900};
    double orders[] = {12, 3, 1, 0, 8};
    double recency[] = {3, 40, 200, NAN, 10};
    const char *channel[] = {"organic", "social", "ads", NULL, "organic"};
    for (int i = 0; i < 5; i++)
        assert_ok(seg_dataset_add_customer(ds, ids[i], NULL));
    assert_ok(seg_dataset_write_f64(ds, "monetary_total", spend, 5));
    assert_ok(seg_dataset_write_f64(ds, "orders", orders, 5));
    assert_ok(seg_dataset_write_f64(ds, "recency", recency, 5));
    assert_ok(seg_dataset_write_labels(ds, "channel", channel, 5));
    return ds;
}

static seg_rules *compile(const char *text)
{
    seg_rules *r;
    if (seg_rules_parse(&r, text, strlen(text), "t.rules"))
        fail_msg("parse: %s", seg_errmsg());
    return r;
}

static void expect_parse_error(const char *text, int code, const char *msg)
{
    seg_rules *r = (seg_rules *)0x1;
    int rc = seg_rules_parse(&r, text, strlen(text), "t.rules");
    if (rc != code || !strstr(seg_errmsg(), msg))
        fail_msg("parse of [%s]: %d '%s', expected %d '%s'", text, rc,
                 seg_errmsg(), code, msg);
    assert_null(r);
}

static const char *lab(seg_dataset *ds, const char *col, size_t row)
{
    const char *v;
    assert_ok(seg_dataset_get_label(ds, col, row, &v));
    return v;
}

static void tiers_are(seg_dataset *ds, const char *text, const char *want[5])
{
    seg_rules *r = compile(text);
    if (seg_rules_apply(r, ds, "t"))
        fail_msg("apply: %s", seg_rules_errmsg(r));
    for (size_t i = 0; i < 5; i++) {
        const char *got = lab(ds, "t", i);
        if (!want[i] ? got != NULL : !got || strcmp(got, want[i]) != 0)
            fail_msg("[%s] row %zu: '%s', expected '%s'", text, i,
                     got ? got : "(none)", want[i] ? want[i] : "(none)");
    }
    seg_rules_free(r);
}

static void test_language(void **state)
{
    (void)state;
    seg_dataset *ds = people();
    /* first match wins; otherwise is the default */
    tiers_are(ds, "tier \"VIP\" when monetary_total >= 500\n"
                  "tier \"mid\" when monetary_total >= 100\n"
                  "otherwise \"low\"",
              (const char *[]){"VIP", "mid", "low", "low", "VIP"});
    /* no otherwise: no tier */
    tiers_are(ds, "tier \"x\" when orders > 5",
              (const char *[]){"x", NULL, NULL, NULL, "x"});
    /* in, not in, between, is missing, strings, arithmetic, not/or/and */
    tiers_are(ds, "# comment\ntier \"a\" when channel in ('organic', 'ads')"
                  " and not orders between 2 and 10 -- trailing\n"
                  "otherwise \"b\"",
              (const char *[]){"a", "b", "a", "b", "b"});
    tiers_are(ds, "tier \"m\" when recency is missing or channel is missing\n"
                  "tier \"n\" when channel not in ('social')\notherwise \"o\"",
              (const char *[]){"n", "o", "n", "m", "n"});
    tiers_are(ds, "tier \"q\" when monetary_total / orders > 40 and "
                  "(orders * 2 - 1 >= 5 or channel = \"ads\")",
              (const char *[]){"q", NULL, NULL, NULL, "q"});
    /* time literals: 30d, 12w (days) and dates (epoch seconds) */
    tiers_are(ds, "tier \"recent\" when recency <= 30d\n"
                  "tier \"quarter\" when recency < 12w\notherwise \"old\"",
              (const char *[]){"recent", "quarter", "old", "old", "recent"});
    /* a comparison with a missing value is false; 'is missing' sees it */
    tiers_are(ds, "tier \"y\" when recency >= 0 or recency < 0",
              (const char *[]){"y", "y", "y", NULL, "y"});
    /* population statistics over the dataset */
    tiers_are(ds, "tier \"top\" when monetary_total >= p80(monetary_total)\n"
                  "tier \"above\" when monetary_total > mean(monetary_total)\n"
                  "tier \"med\" when monetary_total >= median(monetary_total)",
              (const char *[]){"above", "med", NULL, NULL, "top"});
    /* division by zero is missing, never a crash */
    tiers_are(ds, "tier \"z\" when monetary_total / orders >= 0\n"
                  "otherwise \"nan\"",
              (const char *[]){"z", "z", "z", "nan", "z"});
    /* Chinese labels and a column named in backquotes */
    assert_ok(seg_dataset_write_labels(ds, "渠道 名", (const char *[]){
        "线上", "线下", "线上", NULL, "线下"}, 5));
    tiers_are(ds, "tier \"线上客户\" when `渠道 名` = \"线上\"",
              (const char *[]){"线上客户", NULL, "线上客户", NULL, NULL});
    seg_dataset_free(ds);
}

/* The sample standard deviation (n - 1) of the values that are not NaN,
 * by two passes: the mean, then the squared deviations from it. */
static double sample_stddev(const double *v, size_t n)
{
    double s = 0, ss = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i])) {
            s += v[i];
            k++;
        }
    double mean = s / (double)k;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            ss += (v[i] - mean) * (v[i] - mean);
    return sqrt(ss / (double)(k - 1));
}

/* Whether the statistic `stat` of the dataset equals want to 1e-12
 * relative, by a rule that brackets it. */
static bool stat_is(seg_dataset *ds, const char *stat, double want)
{
    char text[256];
    snprintf(text, sizeof text, "tier \"y\" when %s between %.17g and %.17g",
             stat, want - fabs(want) * 1e-12, want + fabs(want) * 1e-12);
    seg_rules *r = compile(text);
    assert_ok(seg_rules_apply(r, ds, "t"));
    seg_rules_free(r);
    return lab(ds, "t", 0) != NULL;
}

static void test_functions(void **state)
{
    (void)state;
    seg_dataset *ds = people();
    /* abs() per row; missing stays missing */
    tiers_are(ds, "tier \"near\" when abs(recency - 30) <= 10\n"
                  "tier \"unknown\" when abs(recency - 30) is missing",
              (const char *[]){NULL, "near", NULL, "unknown", NULL});
    tiers_are(ds, "tier \"y\" when abs(0 - monetary_total) = monetary_total "
                  "and abs(-(orders)) >= 0",
              (const char *[]){"y", "y", "y", "y", "y"});
    /* stddev(): the sample standard deviation, missing values left out */
    double spend[] = {500, 120, 40, 0, 900};
    double recency[] = {3, 40, 200, NAN, 10};
    assert_true(stat_is(ds, "stddev(monetary_total)",
                        sample_stddev(spend, 5)));
    assert_true(stat_is(ds, "stddev(recency)", sample_stddev(recency, 5)));
    assert_false(stat_is(ds, "stddev(recency)",
                         sample_stddev(recency, 5) * 1.001));
    /* a large common offset costs no precision */
    double off[] = {1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4, NAN};
    assert_ok(seg_dataset_write_f64(ds, "offset", off, 5));
    assert_true(stat_is(ds, "stddev(offset)", sample_stddev(off, 5)));
    assert_true(stat_is(ds, "stddev(offset)", 1.2909944487358056));
    /* one value has no sample deviation */
    double one[] = {7, NAN, NAN, NAN, NAN};
    assert_ok(seg_dataset_write_f64(ds, "one", one, 5));
    tiers_are(ds, "tier \"y\" when stddev(one) is missing",
              (const char *[]){"y", "y", "y", "y", "y"});
    /* errors: arity and unknown names at compile time, types at apply */
    expect_parse_error("tier \"x\" when abs(a, b) > 1", SEG_EPARSE,
                       "1:15: abs() takes 1 argument");
    expect_parse_error("tier \"x\" when p90() > 1", SEG_EPARSE,
                       "p90() takes 1 argument");
    expect_parse_error("tier \"x\" when stddev(a + 1) > 1", SEG_EPARSE,
                       "expected ')'");
    expect_parse_error("tier \"x\" when meen(a) > 1", SEG_EPARSE,
                       "unknown function 'meen' (did you mean 'mean'?)");
    expect_parse_error("tier \"x\" when foo(a) > 1", SEG_EPARSE,
                       "(abs, mean, avg, median, min, max, sum, stddev, "
                       "p0..p100)");
    seg_rules *r = compile("tier \"x\" when abs(channel) > 1");
    assert_int_equal(seg_rules_apply(r, ds, "t"), SEG_ETYPE);
    assert_non_null(strstr(seg_rules_errmsg(r), "abs() needs numbers"));
    seg_rules_free(r);
    r = compile("tier \"x\" when stddev(channel) > 1");
    assert_int_equal(seg_rules_apply(r, ds, "t"), SEG_ETYPE);
    seg_rules_free(r);
    seg_dataset_free(ds);
}

/* Missing values, overflow and inverted bounds, on a dataset of several
 * evaluation blocks with a partial last one, against the rules' meaning
 * computed here row by row. */
static void test_semantics_across_blocks(void **state)
{
    (void)state;
    enum { N = 1037 };
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    static double a[N], b[N];
    static const char *ch[N];
    static const char *const chans[] = {"x", "y", "z", NULL};
    uint64_t s = 88172645463325252ull;
    char id[16];
    for (size_t i = 0; i < N; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        a[i] = (s % 11 == 0) ? NAN : (double)(s % 100);
        b[i] = (s % 13 == 0) ? NAN : (s % 17 == 0) ? 0 : (double)(s % 7) - 3;
        ch[i] = chans[(s >> 20) % 4];
    }
    /* b is written before the last five customers come: past its end,
     * rows are missing */
    for (size_t i = 0; i < N; i++) {
        if (i == N - 5)
            assert_ok(seg_dataset_write_f64(ds, "b", b, N - 5));
        snprintf(id, sizeof id, "c%zu", i);
        assert_ok(seg_dataset_add_customer(ds, id, NULL));
    }
    assert_ok(seg_dataset_write_f64(ds, "a", a, N));
    assert_ok(seg_dataset_write_labels(ds, "ch", ch, N));
    seg_rules *r = compile(
        "tier \"ne\" when a != 50 and b != 1\n"
        "tier \"nb\" when a not between 20 and 90 and b is not missing\n"
        "tier \"inv\" when a between 60 and 40\n"
        "tier \"div\" when a / b > 30\n"
        "tier \"ovf\" when a * 1e308 * 1e308 > 0 or a - 1e308 * 10 < 0\n"
        "tier \"nin\" when ch not in ('x', 'y') and a < 10\n"
        "tier \"in\" when ch in ('y', 'z') or not b >= 0\n"
        "otherwise \"rest\"");
    assert_ok(seg_rules_apply(r, ds, "t"));
    for (size_t i = 0; i < N; i++) {
        double x = a[i], y = i < N - 5 ? b[i] : NAN;
        bool xm = isnan(x), ym = isnan(y);
        const char *c = ch[i], *want = "rest";
        double q = ym || y == 0 || xm ? NAN : x / y;
        if (!xm && x != 50 && !ym && y != 1)
            want = "ne";
        else if (!xm && (x < 20 || x > 90) && !ym)
            want = "nb";
        else if (!isnan(q) && q > 30)
            want = "div";
        else if (c && strcmp(c, "x") && strcmp(c, "y") && !xm && x < 10)
            want = "nin";
        else if ((c && (!strcmp(c, "y") || !strcmp(c, "z"))) ||
                 !(y >= 0)) /* false when missing; not makes it true */
            want = "in";
        const char *got = lab(ds, "t", i);
        if (!got || strcmp(got, want) != 0)
            fail_msg("row %zu (a %g, b %g, ch %s): '%s', expected '%s'", i,
                     x, y, c ? c : "-", got ? got : "(none)", want);
    }
    seg_rules_free(r);
    seg_dataset_free(ds);
}

/* A failed apply changes nothing: here the second column it writes
 * exists with another type. */
static void test_apply_all_or_nothing(void **state)
{
    (void)state;
    seg_dataset *ds = people();
    seg_rules *r = compile("tier \"big\" when orders > 5\notherwise \"small\"");
    assert_ok(seg_rules_apply(r, ds, "t"));
    assert_ok(seg_dataset_write_labels(ds, "u.rule", (const char *[]){
        "a", "b", "c", "d", "e"}, 5));
    seg_rules *r2 = compile("tier \"x\" when orders > 0");
    assert_int_equal(seg_rules_apply(r2, ds, "u"), SEG_ETYPE);
    assert_non_null(strstr(seg_rules_errmsg(r2), "'u.rule' is a label column"));
    assert_int_equal(seg_dataset_column_type(ds, "u"), SEG_ENOTFOUND);
    assert_int_equal(seg_rules_apply(r2, ds, "t.rule"), SEG_ETYPE);
    assert_string_equal(lab(ds, "t", 0), "big");
    assert_string_equal(lab(ds, "t", 1), "small");
    seg_rules_free(r);
    seg_rules_free(r2);
    seg_dataset_free(ds);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_parse_error("tier \"x\" monetary_total > 1", SEG_EPARSE,
                       "t.rules:1:10: expected 'when' after the tier's label");
    expect_parse_error("tier \"x\" when\n  orders > ", SEG_EPARSE,
                       "t.rules:2:12: expected a number, a string, a column");
    expect_parse_error("tier x when a > 1", SEG_EPARSE,
                       "t.rules:1:6: expected the tier's label in quotes");
    expect_parse_error("tier \"x\" when (a > 1", SEG_EPARSE, "expected ')'");
    expect_parse_error("tier \"x\" when a > 1 priority", SEG_EPARSE,
                       "expected a priority");
    expect_parse_error("tier \"x\" when a in (1, 2", SEG_EPARSE,
                       "expected ',' or ')' in the list");
    expect_parse_error("tier \"x\" when a @ 1", SEG_EPARSE,
                       "1:17: unexpected character '@'");
    expect_parse_error("tier \"x\" when a > 1\notherwise \"y\"\ntier \"z\" when "
                       "b > 1", SEG_EPARSE, "nothing after 'otherwise'");
    expect_parse_error("tier \"unclosed when a > 1", SEG_EPARSE,
                       "a string is not closed");
    expect_parse_error("tier \"x\" when foo(a) > 1", SEG_EPARSE,
                       "unknown function 'foo'");
    expect_parse_error("tier \"x\" when a > 30x", SEG_EPARSE,
                       "is not a number or a duration");
    expect_parse_error("tier \"x\" when a > 2024-02-30", SEG_EPARSE,
                       "'2024-02-30' is not a valid date");
    expect_parse_error("", SEG_EPARSE, "no rules");
    expect_parse_error("# only a comment\n", SEG_EPARSE, "no rules");
    expect_parse_error("+5 when a > 1", SEG_EPARSE, "outside a score rule set");
    expect_parse_error("score\ntier \"x\" when a > 1", SEG_EPARSE,
                       "'tier' in a score rule set");
    /* hostile input */
    expect_parse_error("tier \"x\" when a > 1e999", SEG_EPARSE,
                       "'1e999' is out of range");
    expect_parse_error("tier \"\xff\" when a > 1", SEG_EPARSE,
                       "1:7: invalid UTF-8");
    char *deep = malloc(200000);
    strcpy(deep, "tier \"x\" when ");
    size_t k = strlen(deep);
    for (int i = 0; i < 50000; i++)
        deep[k++] = '(';
    strcpy(deep + k, "a");
    expect_parse_error(deep, SEG_ELIMIT, "nested more than");
    /* 40000 nested 'not' */
    k = strlen("tier \"x\" when ");
    for (int i = 0; i < 40000; i++)
        memcpy(deep + k + 4 * (size_t)i, "not ", 4);
    strcpy(deep + k + 4 * 40000, "a");
    expect_parse_error(deep, SEG_ELIMIT, "nested more than");
    free(deep);
    /* a 1 MB line of conditions is fine */
    size_t big = 1 << 20;
    char *line = malloc(big + 100);
    strcpy(line, "tier \"x\" when a > 0");
    size_t l = strlen(line);
    while (l + 10 < big) {
        memcpy(line + l, " or a > 0", 9);
        l += 9;
    }
    line[l] = '\0';
    seg_rules *r;
    assert_ok(seg_rules_parse(&r, line, l, "big.rules"));
    seg_rules_free(r);
    /* a string literal of more than 4096 bytes is refused */
    memset(line, 'a', big);
    memcpy(line, "tier \"", 6);
    memcpy(line + big - 12, "\" when a>1", 10);
    line[big - 2] = '\0';
    expect_parse_error(line, SEG_EPARSE, "a string of more than");
    free(line);
    assert_int_equal(seg_rules_parse(NULL, "x", 1, NULL), SEG_EINVAL);
}

static void test_bind_errors(void **state)
{
    (void)state;
    seg_dataset *ds = people();
    seg_rules *r = compile("tier \"VIP\" when monetry >= 100");
    assert_int_equal(seg_rules_apply(r, ds, "t"), SEG_ENOTFOUND);
    assert_string_equal(seg_rules_errmsg(r),
                        "t.rules:1:17: unknown column 'monetry' (did you "
                        "mean 'monetary_total'?)");
    /* nothing was written */
    assert_int_equal(seg_dataset_column_type(ds, "t"), SEG_ENOTFOUND);
    seg_rules_free(r);
    r = compile("tier \"x\" when channel > 3");
    assert_int_equal(seg_rules_apply(r, ds, "t"), SEG_ETYPE);
    assert_non_null(strstr(seg_rules_errmsg(r), "compares a label with a number"));
    seg_rules_free(r);
    r = compile("tier \"x\" when orders + 1");
    assert_int_equal(seg_rules_apply(r, ds, "t"), SEG_ETYPE);
    seg_rules_free(r);
    r = compile("tier \"x\" when p90(channel) > 1");
    assert_int_equal(seg_rules_apply(r, ds, "t"), SEG_ETYPE);
    seg_rules_free(r);
    seg_dataset_free(ds);
}

static void test_scores_caps_grades(void **state)
{
    (void)state;
    seg_dataset *ds = people();
    const char *text = "score\noutput \"lead\"\n"
                       "group value cap 30\n"
                       "+20 when monetary_total >= 100\n"
                       "+15 when orders >= 3\n"
                       "group risk\n"
                       "-10 when recency > 90d\n"
                       "+5 when channel = 'organic'\n"
                       "cap 32\n";
    seg_rules *r = compile(text);
    assert_ok(seg_rules_apply(r, ds, NULL));
    double pts[5];
    assert_ok(seg_dataset_copy_f64(ds, "lead.points", pts, 5));
    /* ann: 35 capped to 30, +5 = 35, total cap 32; bob 35 -> 30;
     * cat: -10 + 0; dan: 0; eve: 30 + 5 -> 32 */
    assert_near(pts[0], 32, 0);
    assert_near(pts[1], 30, 0);
    assert_near(pts[2], -10, 0);
    assert_near(pts[3], 0, 0);
    assert_near(pts[4], 32, 0);
    /* default grades A+ .. F */
    assert_string_equal(lab(ds, "lead", 0), "D");
    assert_string_equal(lab(ds, "lead", 2), "F");
    char *s = NULL;
    assert_ok(seg_rules_explain(r, ds, 0, SEG_FORMAT_TEXT, collect, &s));
    assert_non_null(strstr(s, "+20 matched (line 4, group value): "
                              "monetary_total = 500"));
    assert_non_null(strstr(s, "group value: 35 points, capped at 30"));
    assert_non_null(strstr(s, "total 32 points (after the total cap): grade D"));
    free(s);
    s = NULL;
    assert_ok(seg_rules_explain(r, ds, 2, SEG_FORMAT_JSON, collect, &s));
    assert_non_null(strstr(s, "\"points\":-10,\"grade\":\"F\""));
    assert_non_null(strstr(s, "{\"line\":7,\"group\":\"risk\",\"points\":-10,"
                              "\"matched\":true,\"values\":{\"recency\":200}}"));
    free(s);
    seg_rules_free(r);
    /* custom grades */
    r = compile("score\n+50 when orders > 5\n+1 when orders > 0\n"
                "grade \"hot\" >= 50\ngrade \"warm\" >= 1\ngrade \"cold\" >= 0");
    assert_ok(seg_rules_apply(r, ds, "g"));
    assert_string_equal(lab(ds, "g", 0), "hot");
    assert_string_equal(lab(ds, "g", 1), "warm");
    assert_string_equal(lab(ds, "g", 3), "cold");
    seg_rules_free(r);
    seg_dataset_free(ds);
}

static void test_explain_tiers_and_chaining(void **state)
{
    (void)state;
    seg_dataset *ds = people();
    seg_rules *value = compile("output \"value\"\n"
                               "tier \"high\" when monetary_total >= 200\n"
                               "otherwise \"low\"");
    seg_rules *mix = compile("output \"plan\"\n"
                             "tier \"keep\" when value = \"high\" and "
                             "channel = \"organic\"\n"
                             "tier \"grow\" when value = \"low\" and orders "
                             ">= 1\notherwise \"watch\"");
    assert_ok(seg_rules_apply(value, ds, NULL));
    assert_ok(seg_rules_apply(mix, ds, NULL)); /* reads the first's column */
    assert_string_equal(lab(ds, "plan", 0), "keep");
    assert_string_equal(lab(ds, "plan", 1), "grow");
    assert_string_equal(lab(ds, "plan", 3), "watch");
    double rule;
    assert_ok(seg_dataset_get_f64(ds, "plan.rule", 1, &rule));
    assert_near(rule, 2, 0);
    char *s = NULL;
    assert_ok(seg_rules_explain(mix, ds, 0, SEG_FORMAT_TEXT, collect, &s));
    assert_string_equal(s, "customer ann\ntier \"keep\" by rule 1 (line 2): "
                           "value = \"high\", channel = \"organic\"\n");
    free(s);
    s = NULL;
    assert_ok(seg_rules_explain(mix, ds, 3, SEG_FORMAT_JSON, collect, &s));
    assert_string_equal(s, "{\"customer_id\":\"dan\",\"rules\":\"tier\","
                           "\"tier\":\"watch\",\"rule\":3,\"line\":4,"
                           "\"values\":{}}\n");
    free(s);
    assert_int_equal(seg_rules_explain(mix, ds, 99, SEG_FORMAT_TEXT, collect,
                                       &s), SEG_ERANGE);

    /* summary and crosstab */
    s = NULL;
    const char *vals[] = {"monetary_total"};
    assert_ok(seg_dataset_summary(ds, "value", vals, 1, SEG_FORMAT_CSV,
                                  collect, &s));
    assert_string_equal(s, "value,count,share,monetary_total_total,"
                           "monetary_total_mean,monetary_total_share\n"
                           "high,2,0.4,1400,700,0.8974358974358975\n"
                           "low,3,0.6,160,53.333333333333336,"
                           "0.10256410256410256\n");
    free(s);
    s = NULL;
    assert_ok(seg_dataset_crosstab(ds, "value", "channel", SEG_FORMAT_CSV,
                                   collect, &s));
    assert_string_equal(s, "value,organic,social,ads,,total\n"
                           "high,2,0,0,0,2\nlow,0,1,1,1,3\n"
                           "total,2,1,1,1,5\n");
    free(s);
    s = NULL;
    assert_ok(seg_dataset_crosstab(ds, "value", "channel", SEG_FORMAT_JSON,
                                   collect, &s));
    assert_non_null(strstr(s, "\"high\":{\"organic\":2,\"social\":0,"));
    free(s);
    assert_int_equal(seg_dataset_summary(ds, "orders", NULL, 0,
                                         SEG_FORMAT_CSV, collect, &s),
                     SEG_ETYPE);
    seg_rules_free(value);
    seg_rules_free(mix);
    seg_dataset_free(ds);
}

static void test_call_list(void **state)
{
    (void)state;
    seg_dataset *ds = people();
    const int64_t now = 20000 * (int64_t)DAY;
    /* bob was called 3 days ago, cat 20 days ago; eve is do-not-call */
    assert_ok(seg_dataset_add_event(ds, "bob", now - 3 * DAY, "call", NAN));
    assert_ok(seg_dataset_add_event(ds, "cat", now - 20 * DAY, "call", NAN));
    assert_ok(seg_dataset_set_attribute_f64(ds, "eve", "dnc", 1));
    seg_rules *r = compile(
        "tier \"vip\" when monetary_total >= 400 priority 1 cadence 7d\n"
        "tier \"warm\" when orders >= 1 priority 2 cadence 14d\n"
        "otherwise \"none\"");
    assert_ok(seg_rules_apply(r, ds, NULL));
    seg_call_list_options o;
    seg_call_list_options_init(&o);
    o.value_column = "monetary_total";
    o.exclude_column = "dnc";
    o.as_of = now;
    char *s = NULL;
    /* the last contacts are the feature column of the call events */
    assert_int_equal(seg_rules_call_list(r, ds, &o, collect, &s),
                     SEG_ENOTFOUND);
    assert_non_null(strstr(seg_rules_errmsg(r), "'events.call.last'"));
    assert_non_null(strstr(seg_rules_errmsg(r), "compute features"));
    assert_null(s);
    double last[] = {NAN, (double)(now - 3 * DAY), (double)(now - 20 * DAY),
                     NAN, NAN};
    assert_ok(seg_dataset_write_f64(ds, "events.call.last", last, 5));
    assert_ok(seg_rules_call_list(r, ds, &o, collect, &s));
    /* ann (vip); bob warm but called 3 days ago (cadence 14d): skipped;
     * cat warm, called 20 days ago: due; eve excluded; dan has no
     * priority */
    assert_string_equal(s, "rank,customer_id,tier,priority,value,"
                           "last_contact\n"
                           "1,ann,vip,1,500,\n"
                           "2,cat,warm,2,40,2024-09-14\n");
    free(s);
    s = NULL;
    o.capacity = 1;
    assert_ok(seg_rules_call_list(r, ds, &o, collect, &s));
    assert_string_equal(s, "rank,customer_id,tier,priority,value,"
                           "last_contact\n1,ann,vip,1,500,\n");
    free(s);
    o.value_column = "nope";
    assert_int_equal(seg_rules_call_list(r, ds, &o, collect, &s),
                     SEG_ENOTFOUND);
    seg_rules_free(r);
    seg_dataset_free(ds);
}

/* The call list reads the last contacts that features computed; without
 * contact events, no one was contacted. */
static void test_call_list_features(void **state)
{
    (void)state;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    const int64_t now = 20000 * (int64_t)DAY;
    const char *ids[] = {"ann", "bob", "cat"};
    double amount[] = {500, 120, 40};
    for (int i = 0; i < 3; i++)
        assert_ok(seg_dataset_add_transaction(ds, ids[i], now - 30 * DAY,
                                              amount[i]));
    seg_rules *r = compile(
        "tier \"vip\" when monetary_total >= 400 priority 1 cadence 7d\n"
        "tier \"warm\" when orders >= 1 priority 2 cadence 14d");
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.as_of = now;
    assert_ok(seg_dataset_compute_features(ds, &fo));
    assert_ok(seg_rules_apply(r, ds, NULL));
    seg_call_list_options o;
    seg_call_list_options_init(&o);
    o.value_column = "monetary_total";
    o.as_of = now;
    char *s = NULL;
    assert_ok(seg_rules_call_list(r, ds, &o, collect, &s));
    assert_string_equal(s, "rank,customer_id,tier,priority,value,"
                           "last_contact\n1,ann,vip,1,500,\n"
                           "2,bob,warm,2,120,\n3,cat,warm,2,40,\n");
    free(s);
    s = NULL;
    /* calls added after the features: compute them again */
    assert_ok(seg_dataset_add_event(ds, "bob", now - 3 * DAY, "call", NAN));
    assert_ok(seg_dataset_add_event(ds, "cat", now - 20 * DAY, "call", NAN));
    assert_int_equal(seg_rules_call_list(r, ds, &o, collect, &s),
                     SEG_ENOTFOUND);
    assert_ok(seg_dataset_compute_features(ds, &fo));
    assert_ok(seg_rules_call_list(r, ds, &o, collect, &s));
    assert_string_equal(s, "rank,customer_id,tier,priority,value,"
                           "last_contact\n1,ann,vip,1,500,\n"
                           "2,cat,warm,2,40,2024-09-14\n");
    free(s);
    seg_rules_free(r);
    seg_dataset_free(ds);
}

/* Explanations are whole however many rules and however long the labels;
 * the table holds the same facts. */
static void test_explain_large(void **state)
{
    (void)state;
    seg_dataset *ds = people();
    /* 10,000 points rules, each read and listed */
    enum { N = 10000 };
    size_t cap = (size_t)N * 64 + 64, len = 0;
    char *text = malloc(cap);
    len += (size_t)snprintf(text + len, cap - len, "score\ngroup g cap 50\n");
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                "+1 when orders >= %d\n", i % 20);
    seg_rules *r;
    assert_ok(seg_rules_parse(&r, text, len, "big.rules"));
    free(text);
    char *s = NULL;
    assert_ok(seg_rules_explain(r, ds, 0, SEG_FORMAT_TEXT, collect, &s));
    size_t lines = 0;
    for (const char *p = s; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 1 + N + 2); /* customer, rules, cap, total */
    assert_non_null(strstr(s, "(line 10001, group g): orders = 12\n"));
    assert_non_null(strstr(s, "  group g: 6500 points, capped at 50\n"
                              "total 50 points: grade C\n"));
    free(s);
    s = NULL;
    assert_ok(seg_rules_explain(r, ds, 0, SEG_FORMAT_JSON, collect, &s));
    assert_true(strlen(s) > (size_t)N * 60);
    assert_non_null(strstr(s, "],\"groups\":{\"g\":{\"points\":6500,"
                              "\"cap\":50}},\"points\":50,\"grade\":\"C\"}\n"));
    free(s);
    s = NULL;
    seg_table *t;
    assert_ok(seg_rules_explain_table(&t, r, ds, 0));
    assert_string_equal(seg_table_name(t), "explanation");
    assert_int_equal(seg_table_row_count(t), N + 2);
    size_t col;
    assert_ok(seg_table_column_find(t, "kind", &col));
    assert_string_equal(seg_table_text(t, N, col), "group");
    assert_string_equal(seg_table_text(t, N + 1, col), "total");
    assert_ok(seg_table_column_find(t, "points", &col));
    assert_near(seg_table_f64(t, N, col), 6500, 0);
    assert_near(seg_table_f64(t, N + 1, col), 50, 0);
    seg_table_free(t);
    seg_rules_free(r);

    /* a label of 4,000 bytes, with a quote and a newline in JSON */
    cap = 8192;
    text = malloc(cap);
    memcpy(text, "tier \"", 6);
    len = 6;
    memset(text + len, 'x', 4000);
    len += 4000;
    len += (size_t)snprintf(text + len, cap - len, "\"\" \\n\" when channel = "
                            "\"organic\" and `monetary_total` > 1");
    assert_ok(seg_rules_parse(&r, text, len, "long.rules"));
    free(text);
    assert_ok(seg_rules_explain(r, ds, 0, SEG_FORMAT_TEXT, collect, &s));
    assert_int_equal(strlen(s), strlen("customer ann\ntier \"") + 4000 +
                                    strlen("\" \\n\" by rule 1 (line 1): "
                                           "channel = \"organic\", "
                                           "monetary_total = 500\n"));
    assert_non_null(strstr(s, "xx\" \\n\" by rule 1 (line 1): channel = "
                              "\"organic\", monetary_total = 500\n"));
    free(s);
    s = NULL;
    assert_ok(seg_rules_explain(r, ds, 0, SEG_FORMAT_JSON, collect, &s));
    assert_non_null(strstr(s, "xx\\\" \\\\n\",\"rule\":1,\"line\":1,"
                              "\"values\":{\"channel\":\"organic\","
                              "\"monetary_total\":500}}\n"));
    free(s);
    /* the tier's rows: the rule that matched, one row per column read */
    assert_ok(seg_rules_explain_table(&t, r, ds, 0));
    assert_int_equal(seg_table_row_count(t), 2);
    assert_ok(seg_table_column_find(t, "column", &col));
    assert_string_equal(seg_table_text(t, 0, col), "channel");
    assert_string_equal(seg_table_text(t, 1, col), "monetary_total");
    assert_ok(seg_table_column_find(t, "text", &col));
    assert_string_equal(seg_table_text(t, 0, col), "organic");
    assert_null(seg_table_text(t, 1, col));
    assert_ok(seg_table_column_find(t, "value", &col));
    assert_near(seg_table_f64(t, 1, col), 500, 0);
    seg_table_free(t);
    /* bob matches no rule: the one rule tried, not matched */
    assert_ok(seg_rules_explain_table(&t, r, ds, 1));
    assert_int_equal(seg_table_row_count(t), 2);
    assert_ok(seg_table_column_find(t, "matched", &col));
    assert_near(seg_table_f64(t, 0, col), 0, 0);
    seg_table_free(t);
    assert_int_equal(seg_rules_explain_table(&t, r, ds, 5), SEG_ERANGE);
    assert_null(t);
    assert_int_equal(seg_rules_explain_table(NULL, r, ds, 0), SEG_EINVAL);
    seg_rules_free(r);
    seg_dataset_free(ds);
}

/* Labels and ids with quotes, commas and newlines are quoted in the call
 * list; the table has the same rows. */
static void test_call_list_quoting(void **state)
{
    (void)state;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    const char *ids[] = {"a,1", "b\"2", "c\n3", "d"};
    double spend[] = {10, 20, 30, 40};
    for (int i = 0; i < 4; i++)
        assert_ok(seg_dataset_add_customer(ds, ids[i], NULL));
    assert_ok(seg_dataset_write_f64(ds, "spend", spend, 4));
    seg_rules *r = compile("tier \"say \"\"hi\"\", then\" when spend >= 30 "
                           "priority 1\n"
                           "tier \"plain\" when spend >= 10 priority 2");
    assert_ok(seg_rules_apply(r, ds, NULL));
    seg_call_list_options o;
    seg_call_list_options_init(&o);
    o.value_column = "spend";
    char *s = NULL;
    assert_ok(seg_rules_call_list(r, ds, &o, collect, &s));
    assert_string_equal(s, "rank,customer_id,tier,priority,value,"
                           "last_contact\n"
                           "1,d,\"say \"\"hi\"\", then\",1,40,\n"
                           "2,\"c\n3\",\"say \"\"hi\"\", then\",1,30,\n"
                           "3,\"b\"\"2\",plain,2,20,\n"
                           "4,\"a,1\",plain,2,10,\n");
    free(s);
    seg_table *t;
    o.capacity = 3;
    assert_ok(seg_call_list_table(&t, r, ds, &o));
    assert_string_equal(seg_table_name(t), "call_list");
    assert_int_equal(seg_table_row_count(t), 3);
    assert_int_equal(seg_table_column_count(t), 6);
    assert_string_equal(seg_table_text(t, 1, 1), "c\n3");
    assert_string_equal(seg_table_text(t, 0, 2), "say \"hi\", then");
    assert_near(seg_table_f64(t, 2, 0), 3, 0);
    assert_near(seg_table_f64(t, 2, 3), 2, 0);
    assert_null(seg_table_text(t, 2, 5));
    seg_table_free(t);
    assert_int_equal(seg_call_list_table(NULL, r, ds, &o), SEG_EINVAL);
    o.tier_column = "nope";
    assert_int_equal(seg_call_list_table(&t, r, ds, &o), SEG_ENOTFOUND);
    assert_null(t);
    seg_rules_free(r);
    seg_dataset_free(ds);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 16);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

static seg_rules *preset(const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SEG_RULES_DIR, file);
    size_t len;
    char *text = slurp(path, &len);
    seg_rules *r;
    if (seg_rules_parse(&r, text, len, file))
        fail_msg("%s: %s", file, seg_errmsg());
    free(text);
    return r;
}

static void test_presets(void **state)
{
    (void)state;
    seg_dataset *ds = cdnow_sample("1997-09-30", SEG_UNIT_DAY, NULL);
    seg_csv_options o;
    seg_model *m;
    assert_ok(seg_model_new(&m, "rfm"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    seg_model_free(m);
    const char *files[] = {"value_tiers.rules", "behaviour_tiers.rules",
                           "rfm_actions.rules"};
    const char *cols[] = {"value_tier", "behaviour_tier", "action"};
    size_t n = seg_dataset_customer_count(ds);
    for (int f = 0; f < 3; f++) {
        seg_rules *r = preset(files[f]);
        if (seg_rules_apply(r, ds, NULL))
            fail_msg("%s: %s", files[f], seg_rules_errmsg(r));
        for (size_t i = 0; i < n; i++)
            assert_non_null(lab(ds, cols[f], i)); /* every customer tiered */
        seg_rules_free(r);
    }
    /* value tiers: about 20 % high, 30 % medium, by spend */
    size_t high = 0, mid = 0;
    for (size_t i = 0; i < n; i++) {
        high += strcmp(lab(ds, "value_tier", i), "高价值") == 0;
        mid += strcmp(lab(ds, "value_tier", i), "中价值") == 0;
    }
    assert_true(high >= n / 5 && high < n / 5 + 20);
    assert_true(mid > n / 4 && mid < n / 3);
    /* a Champion gets VIP care; a customer of a single purchase 39 weeks
     * ago is 沉默 */
    for (size_t i = 0; i < n; i++) {
        const char *seg;
        assert_ok(seg_dataset_get_label(ds, "rfm.segment", i, &seg));
        if (strcmp(seg, "Champions") == 0)
            assert_string_equal(lab(ds, "action", i), "VIP care");
        if (strcmp(seg, "At Risk") == 0)
            assert_string_equal(lab(ds, "action", i), "Win back: call");
    }
    size_t row;
    assert_ok(seg_dataset_customer_find(ds, "0003", &row));
    assert_string_equal(lab(ds, "behaviour_tier", row), "沉默");
    seg_dataset_free(ds);

    /* lead grading on the sample leads: points worked out by hand */
    assert_ok(seg_dataset_new(&ds));
    seg_csv_options_init(&o);
    assert_ok(seg_dataset_load_csv(ds, SEG_RULES_DIR "/../data/lead_events.csv",
                                   &o));
    seg_csv_options_init(&o);
    o.all_attributes = 1;
    assert_ok(seg_dataset_load_csv(ds, SEG_RULES_DIR "/../data/leads.csv", &o));
    assert_ok(seg_dataset_compute_features(ds, NULL));
    seg_rules *r = preset("lead_grading.rules");
    assert_ok(seg_rules_apply(r, ds, NULL));
    static const struct {
        const char *id, *grade;
        double points;
    } want[] = {{"L001", "A+", 85}, {"L002", "D", 10}, {"L003", "B", 60},
                {"L004", "F", 0},   {"L005", "B", 50}, {"L006", "F", 5}};
    for (size_t i = 0; i < 6; i++) {
        double p;
        assert_ok(seg_dataset_customer_find(ds, want[i].id, &row));
        assert_ok(seg_dataset_get_f64(ds, "lead_grade.points", row, &p));
        assert_near(p, want[i].points, 0);
        assert_string_equal(lab(ds, "lead_grade", row), want[i].grade);
    }
    seg_rules_free(r);
    seg_dataset_free(ds);
}

/* ---- hostile depth: chains and nesting on a small stack ---- */

typedef struct chain_job {
    const char *text;
    seg_dataset *ds;
    int parse_rc, apply_rc, explain_rc, table_rc;
    char msg[256];
    char tier0[16], tier3[16];
} chain_job;

/* Parse, apply and explain job->text; no cmocka call here, since a failed
 * assertion jumps out of the thread. */
static void *chain_thread(void *arg)
{
    chain_job *job = arg;
    seg_rules *r;
    job->parse_rc = seg_rules_parse(&r, job->text, strlen(job->text), "t.rules");
    snprintf(job->msg, sizeof job->msg, "%s", seg_errmsg());
    if (job->parse_rc)
        return NULL;
    job->apply_rc = seg_rules_apply(r, job->ds, "t");
    if (!job->apply_rc) {
        const char *v;
        if (!seg_dataset_get_label(job->ds, "t", 0, &v))
            snprintf(job->tier0, sizeof job->tier0, "%s", v ? v : "-");
        if (!seg_dataset_get_label(job->ds, "t", 3, &v))
            snprintf(job->tier3, sizeof job->tier3, "%s", v ? v : "-");
    }
    char *s = NULL;
    job->explain_rc = seg_rules_explain(r, job->ds, 0, SEG_FORMAT_JSON,
                                        collect, &s);
    free(s);
    seg_table *t = NULL;
    job->table_rc = seg_rules_explain_table(&t, r, job->ds, 0);
    seg_table_free(t);
    seg_rules_free(r);
    return NULL;
}

/* A host thread's small stack: 256 kB. AddressSanitizer's frames are
 * several times larger than a plain build's, so under it the same depth
 * gets a proportionally larger stack. */
#if defined(__SANITIZE_ADDRESS__)
#define SMALL_STACK (2048 * 1024)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SMALL_STACK (2048 * 1024)
#endif
#endif
#ifndef SMALL_STACK
#define SMALL_STACK (256 * 1024)
#endif

static void run_small_stack(chain_job *job)
{
    pthread_attr_t a;
    pthread_t th;
    assert_int_equal(pthread_attr_init(&a), 0);
    assert_int_equal(pthread_attr_setstacksize(&a, SMALL_STACK), 0);
    assert_int_equal(pthread_create(&th, &a, chain_thread, job), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_attr_destroy(&a);
}

/* "tier "A" when HEAD TERM TERM ... TAIL" with n terms */
static char *chain_text(const char *head, const char *term, size_t n,
                        const char *tail)
{
    size_t cap = strlen(head) + strlen(term) * n + strlen(tail) + 64;
    char *s = malloc(cap), *p = s;
    p += sprintf(p, "tier \"A\" when %s", head);
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s", term);
    sprintf(p, "%s\notherwise \"B\"", tail);
    return s;
}

/* A left-associative chain of any length binds, compiles, runs and is
 * explained without recursing on its length, on a 256 kB stack too. */
static void test_hostile_chains(void **state)
{
    (void)state;
    static const struct {
        const char *head, *term, *tail, *tier0, *tier3;
    } ops[] = {
        {"orders", " + 0", " > 5", "A", "B"},
        {"orders", " - 0", " > 5", "A", "B"},
        {"orders", " * 1", " > 5", "A", "B"},
        {"orders", " / 1", " > 5", "A", "B"},
        {"orders > 5", " and orders > 1", "", "A", "B"},
        {"orders > 5", " and channel != \"ads\"", "", "A", "B"},
        {"orders > 5", " or orders > 100", "", "A", "B"},
        {"channel = \"organic\"", " or channel = \"x\"", "", "A", "B"},
    };
    static const size_t sizes[] = {3000, 100000};
    seg_dataset *ds = people();
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        for (size_t k = 0; k < 2; k++) {
            char *text = chain_text(ops[i].head, ops[i].term, sizes[k],
                                    ops[i].tail);
            chain_job job = {text, ds, -1, -1, -1, -1, "", "", ""};
            run_small_stack(&job);
            if (job.parse_rc || job.apply_rc || job.explain_rc ||
                job.table_rc)
                fail_msg("%s ... %s x %zu: parse %d apply %d explain %d "
                         "table %d: %s", ops[i].head, ops[i].term, sizes[k],
                         job.parse_rc, job.apply_rc, job.explain_rc,
                         job.table_rc, job.msg);
            if (strcmp(job.tier0, ops[i].tier0) ||
                strcmp(job.tier3, ops[i].tier3))
                fail_msg("%s ... %s x %zu: tiers %s %s", ops[i].head,
                         ops[i].term, sizes[k], job.tier0, job.tier3);
            free(text);
        }
    }
    /* nesting is bounded at 200 levels, counted as written */
    static const char *const opens[] = {"(", "not ", "- ", "abs("};
    static const char *const closes[] = {")", "", "", ")"};
    for (size_t i = 0; i < 4; i++) {
        for (int depth = 199; depth <= 201; depth++) {
            size_t cap = (size_t)depth * 8 + 64;
            char *text = malloc(cap), *p = text;
            p += sprintf(p, "tier \"A\" when ");
            for (int d = 0; d < depth; d++)
                p += sprintf(p, "%s", opens[i]);
            p += sprintf(p, i == 1 ? "orders > 5" : "orders");
            for (int d = 0; d < depth; d++)
                p += sprintf(p, "%s", closes[i]);
            sprintf(p, "%s", i == 1 ? "" : " != 12345");
            chain_job job = {text, ds, -1, -1, -1, -1, "", "", ""};
            run_small_stack(&job);
            if (depth <= 200) {
                if (job.parse_rc || job.apply_rc || job.explain_rc)
                    fail_msg("%d x '%s': %d %d %d: %s", depth, opens[i],
                             job.parse_rc, job.apply_rc, job.explain_rc,
                             job.msg);
            } else {
                assert_int_equal(job.parse_rc, SEG_ELIMIT);
                if (!strstr(job.msg, "nested more than 200 deep"))
                    fail_msg("%s", job.msg);
            }
            free(text);
        }
    }
    seg_dataset_free(ds);
}

/* n customers with orders = i % 1000 and a label channel c<i % 7> */
static seg_dataset *crowd(size_t n)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    double *orders = malloc(n * sizeof *orders);
    const char **channel = malloc(n * sizeof *channel);
    static const char *const names[] = {"c0", "c1", "c2", "c3", "c4", "c5",
                                        "c6"};
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "u%zu", i);
        assert_ok(seg_dataset_add_customer(ds, id, NULL));
        orders[i] = (double)(i % 1000);
        channel[i] = names[i % 7];
    }
    assert_ok(seg_dataset_write_f64(ds, "orders", orders, n));
    assert_ok(seg_dataset_write_labels(ds, "channel", channel, n));
    free(orders);
    free(channel);
    return ds;
}

/* Rule text grows as the sizes below; were anything quadratic in them
 * (a list scanned per customer, a group or grade visited per customer, a
 * tag list grown one at a time), the test would take hours, not seconds. */
static void test_hostile_sizes(void **state)
{
    (void)state;
    enum { CUSTOMERS = 20000, LIST = 300000, GROUPS = 200000 };
    seg_dataset *ds = crowd(CUSTOMERS);
    size_t cap = (size_t)LIST * 16 + 256;
    char *text = malloc(cap), *p;
    /* 'in' with 300,000 numbers (the odd ones from 1001), an expression
     * and labels: orders 7 and 998 are in, 4 is not */
    p = text + sprintf(text, "tier \"in\" when orders in (7");
    for (int i = 0; i < LIST; i++)
        p += sprintf(p, ", %d", 1001 + 2 * i);
    p += sprintf(p, ", orders * 0 + 998) and channel not in (\"c6\"");
    for (int i = 0; i < LIST / 10; i++)
        p += sprintf(p, ", \"x%d\"", i);
    sprintf(p, ")\notherwise \"out\"");
    seg_rules *r = compile(text);
    assert_ok(seg_rules_apply(r, ds, "t"));
    assert_string_equal(lab(ds, "t", 7), "in");
    assert_string_equal(lab(ds, "t", 998), "in");
    assert_string_equal(lab(ds, "t", 4), "out");
    assert_string_equal(lab(ds, "t", 1007), "out"); /* orders 7, but c6 */
    seg_rules_free(r);
    /* 200,000 groups, few with rules; 200,000 grades; one rule with
     * 200,000 tags */
    free(text);
    cap = (size_t)GROUPS * 64 + 256;
    text = malloc(cap);
    p = text + sprintf(text, "score\n");
    for (int i = 0; i < GROUPS; i++) {
        p += sprintf(p, "group g%d cap %d\n", i, i == 1 ? -1 : 10);
        if (i % 50000 == 0)
            p += sprintf(p, "+5 when orders >= 500\n");
    }
    p += sprintf(p, "+3 when orders < 10\n");
    for (int i = 0; i < GROUPS; i++)
        p += sprintf(p, "grade \"G%d\" >= %d\n", i, i - 100);
    r = compile(text);
    assert_ok(seg_rules_apply(r, ds, "s"));
    /* orders 999 (row 999): 4 groups of 5, the group of cap -1: 19 */
    double v;
    assert_ok(seg_dataset_get_f64(ds, "s.points", 999, &v));
    assert_near(v, 19, 0);
    assert_string_equal(lab(ds, "s", 999), "G119");
    /* orders 3: -1 + 3 in the last group (cap 10) */
    assert_ok(seg_dataset_get_f64(ds, "s.points", 3, &v));
    assert_near(v, 2, 0);
    assert_string_equal(lab(ds, "s", 3), "G102");
    seg_rules_free(r);
    p = text + sprintf(text, "tier \"t\" when orders > 1 tags \"a\"");
    for (int i = 0; i < GROUPS; i++)
        p += sprintf(p, ", \"t%d\"", i);
    r = compile(text);
    seg_rules_free(r);
    free(text);
    seg_dataset_free(ds);
}

/* Output names of any length keep their suffix; a name in the rules is a
 * string, at most 4096 bytes. */
static void test_long_output_names(void **state)
{
    (void)state;
    seg_dataset *ds = people();
    char *name = malloc(100001);
    memset(name, 'o', 100000);
    name[600] = '\0';
    char *text = malloc(8000), *col = malloc(100016);
    snprintf(text, 8000, "output \"%s\"\ntier \"A\" when orders > 5\n"
             "otherwise \"B\"", name);
    seg_rules *r = compile(text);
    assert_ok(seg_rules_apply(r, ds, NULL));
    assert_string_equal(lab(ds, name, 0), "A");
    snprintf(col, 100016, "%s.rule", name);
    assert_int_equal(seg_dataset_column_type(ds, col), SEG_COLUMN_NUMERIC);
    /* 100 kB, given to seg_rules_apply() */
    name[600] = 'o';
    name[100000] = '\0';
    assert_ok(seg_rules_apply(r, ds, name));
    assert_string_equal(lab(ds, name, 3), "B");
    snprintf(col, 100016, "%s.rule", name);
    assert_int_equal(seg_dataset_column_type(ds, col), SEG_COLUMN_NUMERIC);
    seg_rules_free(r);
    free(text);
    text = malloc(100100);
    snprintf(text, 100100, "output \"%s\"\ntier \"A\" when orders > 5", name);
    expect_parse_error(text, SEG_EPARSE, "a string of more than 4096 bytes");
    free(text);
    free(col);
    free(name);
    seg_dataset_free(ds);
}

/* 'in' with numbers, expressions and labels, short and long, missing
 * values never in and never 'not in'. */
static void test_in_lists(void **state)
{
    (void)state;
    seg_dataset *ds = people();
    /* recency: 3, 40, 200, missing, 10 */
    const char *a[5] = {"in", "in", "out", "out", "out"};
    tiers_are(ds, "tier \"in\" when recency in (3, 40)\notherwise \"out\"", a);
    const char *b[5] = {"out", "out", "in", "out", "in"};
    tiers_are(ds, "tier \"in\" when recency not in (3, 40)\notherwise \"out\"",
              b);
    const char *c[5] = {"in", "out", "out", "out", "in"};
    tiers_are(ds, "tier \"in\" when recency in (1, 2, 3, 4, 5, 6, 7, 8, 9, "
                  "10, 11)\notherwise \"out\"", c);
    const char *d[5] = {"out", "in", "in", "out", "out"};
    tiers_are(ds, "tier \"in\" when recency not in (1, 2, 3, 4, 5, 6, 7, 8, "
                  "9, 10, 11, 12)\notherwise \"out\"", d);
    /* an expression among the constants: orders * 120 + 80 is 200 for cat */
    const char *e[5] = {"in", "out", "in", "out", "out"};
    tiers_are(ds, "tier \"in\" when recency in (3, orders * 120 + 80, 99)\n"
                  "otherwise \"out\"", e);
    const char *f[5] = {"in", "in", "in", "out", "in"};
    tiers_are(ds, "tier \"in\" when channel in ('organic', 'social', 'ads', "
                  "'none')\notherwise \"out\"", f);
    const char *g[5] = {"out", "out", "out", "out", "out"};
    tiers_are(ds, "tier \"in\" when channel not in ('organic', 'social', "
                  "'ads', 'none')\notherwise \"out\"", g);
    seg_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_language),
        cmocka_unit_test(test_semantics_across_blocks),
        cmocka_unit_test(test_functions),
        cmocka_unit_test(test_apply_all_or_nothing),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_bind_errors),
        cmocka_unit_test(test_scores_caps_grades),
        cmocka_unit_test(test_explain_tiers_and_chaining),
        cmocka_unit_test(test_call_list),
        cmocka_unit_test(test_call_list_features),
        cmocka_unit_test(test_explain_large),
        cmocka_unit_test(test_call_list_quoting),
        cmocka_unit_test(test_presets),
        cmocka_unit_test(test_hostile_chains),
        cmocka_unit_test(test_hostile_sizes),
        cmocka_unit_test(test_long_output_names),
        cmocka_unit_test(test_in_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
