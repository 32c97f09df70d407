/* Lead-pool reclaim (公海规则) through the public API, on hand-built lead
 * histories whose outcomes are worked out by hand below. */
#include <stdio.h>

#include "testutil.h"

#define T0 INT64_C(1704067200) /* 2024-01-01T00:00:00Z */
#define DAY INT64_C(86400)
#define AT(d) (T0 + (int64_t)(d) * DAY)

static const char spec[] =
    "# a small reclaim for the tests\n"
    "name = rc\n"
    "owner_since = since\n"
    "assigned = assigned\n"
    "released = released\n"
    "followup = call visit\n"
    "deal = transaction\n"
    "deal = event won      # a won opportunity is a deal too\n"
    "rule silent = no followup in 10d\n"
    "rule nodeal = no deal in 30d\n"
    "reminder = 2d\n"
    "cap = 2\n"
    "lockout = 20d\n";

static seg_reclaim *parse(const char *text)
{
    seg_reclaim *r = NULL;
    assert_ok(seg_reclaim_parse(&r, text, strlen(text), "t.reclaim"));
    return r;
}

static void lead(seg_dataset *ds, const char *id, const char *owner,
                 double since_day)
{
    assert_ok(seg_dataset_add_customer(ds, id, NULL));
    assert_ok(seg_dataset_set_attribute_str(ds, id, "owner", owner));
    if (!isnan(since_day))
        assert_ok(seg_dataset_set_attribute_f64(
            ds, id, "since", (double)AT(0) + since_day * (double)DAY));
}

static void ev(seg_dataset *ds, const char *id, int day, const char *kind)
{
    assert_ok(seg_dataset_add_event(ds, id, AT(day), kind, NAN));
}

/* The analysis date is day 100 (midnight). A clock starts at the later of
 * the assignment and the last record that resets it (with neither, at the
 * lead's first record); a rule of D days fires D days after its clock
 * starts; the days are whole days elapsed, and days left = D - elapsed.
 * A  bea, since 90, call 92 (and a call on day 101, after the date):
 *    follow-up clock 92, 8 days, silent fires 102 with 2 left; the deal
 *    clock (90) fires 120. 2 <= reminder 2: a reminder on the exact day.
 * B  bea, since 93: 7 days, fires 103, 3 left: kept, a day before the
 *    reminder. bea holds 2 = the cap.
 * C, D  ann, since 95: 5 days, fires 105; E ann since 97: fires 107.
 *    ann holds 3 > cap 2: the one longest without a follow-up goes; C and
 *    D tie on day 95, and C comes first by id: C reclaimed by the cap on
 *    day 100, ann locked out until day 120.
 * F  no owner ("" ), a call on day 99: in the pool, nothing else.
 * G  cid, no since; assigned event 60, won 65, call 88: follow-up clock
 *    88 (12 days, fires 98); deal clock 65, fires 95, first: reclaimed by
 *    nodeal on day 95, 30 - 35 = -5 days left; cid locked until 120.
 * H  dan, since 85, released:dan on day 70: taken back within the 20
 *    days' lock-out (70 <= 85 < 90): reclaimed by lockout on day 100,
 *    15 days since assignment, dan locked until 120.
 * I  dan, since 95, released:dan on 60 (80 <= 95: allowed) and
 *    released:eve on 85: kept (fires 105); the latest release's lock-out
 *    runs to 105: eve locked out until day 105.
 * J  cid, no dates: a purchase of 10 on day 50 (a deal) and a return on
 *    day 70 (not a deal): both clocks from records: follow-up from the
 *    first record, 50 (fires 60), deal from 50 (fires 80): silent on day
 *    60, -40 left, 50 days.
 * K  cid, no records, no dates: nothing to count from: kept, no rule.
 *    cid holds K only (G and J were reclaimed): within the cap.
 * L  no owner, released:bea on day 95: in the pool, bea locked out to 115.
 * M  fay, since 60, visit 80: silent fires 90 and nodeal fires 90: a tie,
 *    the rule written first wins: silent on day 90, -10 left, 20 days.
 * N  gus, since 91: 9 days, fires 101, 1 left: a reminder. */
static seg_dataset *histories(void)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    lead(ds, "A", "bea", 90);
    ev(ds, "A", 92, "call");
    ev(ds, "A", 101, "call");
    lead(ds, "B", "bea", 93);
    lead(ds, "D", "ann", 95); /* added before C: the tie goes by id */
    lead(ds, "C", "ann", 95);
    lead(ds, "E", "ann", 97);
    lead(ds, "F", "", NAN);
    ev(ds, "F", 99, "call");
    lead(ds, "G", "cid", NAN);
    ev(ds, "G", 88, "call");
    ev(ds, "G", 65, "won");
    ev(ds, "G", 60, "assigned");
    lead(ds, "H", "dan", 85);
    ev(ds, "H", 70, "released:dan");
    lead(ds, "I", "dan", 95);
    ev(ds, "I", 60, "released:dan");
    ev(ds, "I", 85, "released:eve");
    lead(ds, "J", "cid", NAN);
    assert_ok(seg_dataset_add_transaction(ds, "J", AT(50), 10));
    assert_ok(seg_dataset_add_transaction(ds, "J", AT(70), -10));
    lead(ds, "K", "cid", NAN);
    lead(ds, "L", "", NAN);
    ev(ds, "L", 95, "released:bea");
    lead(ds, "M", "fay", 60);
    ev(ds, "M", 80, "visit");
    lead(ds, "N", "gus", 91);
    return ds;
}

static const char *label(const seg_dataset *ds, const char *col,
                         const char *id)
{
    size_t row;
    const char *s = NULL;
    assert_ok(seg_dataset_customer_find(ds, id, &row));
    int rc = seg_dataset_get_label(ds, col, row, &s);
    assert_true(rc == SEG_OK || rc == SEG_ENOTFOUND);
    return rc == SEG_OK ? s : NULL;
}

static double num(const seg_dataset *ds, const char *col, const char *id)
{
    size_t row;
    double v;
    assert_ok(seg_dataset_customer_find(ds, id, &row));
    assert_ok(seg_dataset_get_f64(ds, col, row, &v));
    return v;
}

static void same_text(const char *got, const char *want, const char *what)
{
    if (!want && (!got || !*got))
        return;
    if (!got || !want || strcmp(got, want))
        fail_msg("%s: got '%s', want '%s'", what, got ? got : "(none)",
                 want ? want : "(none)");
}

static void same_num(double got, double want, const char *what)
{
    if (isnan(want) ? !isnan(got) : got != want)
        fail_msg("%s: got %g, want %g", what, got, want);
}

#define NONE NAN

/* fires and until are days (NONE: missing) */
static void expect(const seg_dataset *ds, const char *id, const char *status,
                   const char *rule, double since, double fires, double left,
                   const char *locked, double until)
{
    char what[64];
    snprintf(what, sizeof what, "%s status", id);
    same_text(label(ds, "rc.status", id), status, what);
    snprintf(what, sizeof what, "%s rule", id);
    same_text(label(ds, "rc.rule", id), rule, what);
    snprintf(what, sizeof what, "%s locked_owner", id);
    same_text(label(ds, "rc.locked_owner", id), locked, what);
    snprintf(what, sizeof what, "%s days_since_followup", id);
    same_num(num(ds, "rc.days_since_followup", id), since, what);
    snprintf(what, sizeof what, "%s days_left", id);
    same_num(num(ds, "rc.days_left", id), left, what);
    snprintf(what, sizeof what, "%s fires", id);
    same_num(num(ds, "rc.fires", id), isnan(fires) ? NAN : (double)AT(fires),
             what);
    snprintf(what, sizeof what, "%s locked_until", id);
    same_num(num(ds, "rc.locked_until", id),
             isnan(until) ? NAN : (double)AT(until), what);
}

static void test_reclaim_columns(void **state)
{
    (void)state;
    seg_reclaim *r = parse(spec);
    assert_string_equal(seg_reclaim_prefix(r), "rc");
    seg_dataset *ds = histories();
    assert_ok(seg_reclaim_apply(r, ds, AT(100)));
    expect(ds, "A", "reminder", "silent", 8, 102, 2, NULL, NONE);
    expect(ds, "B", "kept", "silent", 7, 103, 3, NULL, NONE);
    expect(ds, "C", "reclaimed", "cap", 5, 100, NONE, "ann", 120);
    expect(ds, "D", "kept", "silent", 5, 105, 5, NULL, NONE);
    expect(ds, "E", "kept", "silent", 3, 107, 7, NULL, NONE);
    expect(ds, "F", "pool", NULL, NONE, NONE, NONE, NULL, NONE);
    expect(ds, "G", "reclaimed", "nodeal", 12, 95, -5, "cid", 120);
    expect(ds, "H", "reclaimed", "lockout", 15, 100, NONE, "dan", 120);
    expect(ds, "I", "kept", "silent", 5, 105, 5, "eve", 105);
    expect(ds, "J", "reclaimed", "silent", 50, 60, -40, "cid", 120);
    expect(ds, "K", "kept", NULL, NONE, NONE, NONE, NULL, NONE);
    expect(ds, "L", "pool", NULL, NONE, NONE, NONE, "bea", 115);
    expect(ds, "M", "reclaimed", "silent", 20, 90, -10, "fay", 120);
    expect(ds, "N", "reminder", "silent", 9, 101, 1, NULL, NONE);
    assert_int_equal(seg_dataset_column_kind(ds, "rc.fires"),
                     SEG_KIND_TIMESTAMP);
    assert_int_equal(seg_dataset_column_kind(ds, "rc.locked_until"),
                     SEG_KIND_TIMESTAMP);
    /* again on the same dataset: the columns are replaced, the same */
    assert_ok(seg_reclaim_apply(r, ds, AT(100)));
    expect(ds, "C", "reclaimed", "cap", 5, 100, NONE, "ann", 120);
    /* a day earlier (day 99): A has 3 days left, no reminder; B 4 */
    assert_ok(seg_reclaim_apply(r, ds, AT(99)));
    expect(ds, "A", "kept", "silent", 7, 102, 3, NULL, NONE);
    seg_dataset_free(ds);
    seg_reclaim_free(r);
}

static const char *cell_text(const seg_table *t, size_t row, const char *col)
{
    size_t c;
    assert_ok(seg_table_column_find(t, col, &c));
    return seg_table_text(t, row, c);
}

static double cell(const seg_table *t, size_t row, const char *col)
{
    size_t c;
    assert_ok(seg_table_column_find(t, col, &c));
    return seg_table_f64(t, row, c);
}

/* The reclaim list by owner, then id: ann C, cid G, cid J, dan H, fay M;
 * the reminder list soonest first: N (1 day), A (2 days). */
static void test_reclaim_lists(void **state)
{
    (void)state;
    seg_reclaim *r = parse(spec);
    seg_dataset *ds = histories();
    size_t cols = seg_dataset_column_count(ds);
    seg_table *t;
    assert_ok(seg_reclaim_list_table(&t, r, ds, AT(100)));
    assert_string_equal(seg_table_name(t), "reclaim_list");
    static const char *const ids[] = {"C", "G", "J", "H", "M"};
    static const char *const owners[] = {"ann", "cid", "cid", "dan", "fay"};
    static const char *const rules[] = {"cap", "nodeal", "silent", "lockout",
                                        "silent"};
    assert_int_equal(seg_table_row_count(t), 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(cell_text(t, i, "customer_id"), ids[i]);
        assert_string_equal(cell_text(t, i, "owner"), owners[i]);
        assert_string_equal(cell_text(t, i, "rule"), rules[i]);
        assert_string_equal(cell_text(t, i, "locked_owner"), owners[i]);
        assert_string_equal(cell_text(t, i, "locked_until"),
                            "2024-04-30T00:00:00Z"); /* day 120 */
    }
    assert_string_equal(cell_text(t, 1, "fired"), "2024-04-05T00:00:00Z");
    same_num(cell(t, 1, "days_since_followup"), 12, "G days");
    seg_table_free(t);
    assert_ok(seg_reclaim_reminder_table(&t, r, ds, AT(100)));
    assert_string_equal(seg_table_name(t), "reminder_list");
    assert_int_equal(seg_table_row_count(t), 2);
    assert_string_equal(cell_text(t, 0, "customer_id"), "N");
    assert_string_equal(cell_text(t, 0, "owner"), "gus");
    assert_string_equal(cell_text(t, 0, "fires"), "2024-04-11T00:00:00Z");
    same_num(cell(t, 0, "days_left"), 1, "N left");
    assert_string_equal(cell_text(t, 1, "customer_id"), "A");
    assert_string_equal(cell_text(t, 1, "rule"), "silent");
    same_num(cell(t, 1, "days_left"), 2, "A left");
    same_num(cell(t, 1, "days_since_followup"), 8, "A days");
    seg_table_free(t);
    /* the lists change nothing */
    assert_int_equal(seg_dataset_column_count(ds), cols);
    seg_dataset_free(ds);
    seg_reclaim_free(r);
}

/* No cap, no lock-out, no reminder: C is kept, nobody is locked out, A
 * is kept, H (since 85) is reclaimed by silent on day 95. The times of
 * day count: a call at 12:00 on day 90 makes 10 days at 12:00 on day 100,
 * not at midnight. */
static void test_reclaim_nones(void **state)
{
    (void)state;
    static const char text[] =
        "name = rc\nowner_since = since\nreleased = released\n"
        "followup = call\nrule silent = no followup in 10d\n"
        "reminder = none\ncap = none\nlockout = none\n";
    seg_reclaim *r = parse(text);
    seg_dataset *ds = histories();
    lead(ds, "P", "pat", 80);
    assert_ok(seg_dataset_add_event(ds, "P", AT(90) + DAY / 2, "call", NAN));
    assert_ok(seg_reclaim_apply(r, ds, AT(100)));
    expect(ds, "A", "kept", "silent", 8, 102, 2, NULL, NONE);
    expect(ds, "C", "kept", "silent", 5, 105, 5, NULL, NONE);
    /* without the lock-out H goes by its own rule, with no one locked */
    expect(ds, "H", "reclaimed", "silent", 15, 95, -5, NULL, NONE);
    same_num(num(ds, "rc.fires", "P"), (double)(AT(100) + DAY / 2), "P");
    same_num(num(ds, "rc.days_left", "P"), 1, "P left");
    assert_ok(seg_reclaim_apply(r, ds, AT(100) + DAY / 2));
    same_text(label(ds, "rc.status", "P"), "reclaimed", "P at noon");
    seg_dataset_free(ds);
    seg_reclaim_free(r);
}

static void bad_spec(const char *text, const char *msg)
{
    seg_reclaim *r = (seg_reclaim *)1;
    assert_int_equal(seg_reclaim_parse(&r, text, strlen(text), "t.reclaim"),
                     SEG_EPARSE);
    assert_null(r);
    if (!strstr(seg_errmsg(), msg))
        fail_msg("'%s' lacks '%s'", seg_errmsg(), msg);
}

static void test_reclaim_errors(void **state)
{
    (void)state;
    bad_spec("", "t.reclaim: a reclaim needs at least one rule");
    bad_spec("rule a = no followup in 10d\n",
             "t.reclaim:1:13: rule 'a' counts days without a follow-up");
    bad_spec("followup = call\nrule a = no followup in 10x\n",
             "t.reclaim:2:25: expected whole days");
    bad_spec("followup = call\ncolour = red\n",
             "t.reclaim:2:1: unknown key");
    bad_spec("followup = call\nrule a = no followup in 10d\n"
             "rule a = no followup in 5d\n",
             "t.reclaim:3:6: a second rule named 'a'");
    /* columns count characters, not bytes */
    bad_spec("followup = call\nrule 跟进 = no calls in 10d\n",
             "t.reclaim:2:14: expected 'rule NAME = no followup in DAYS' "
             "or 'rule NAME = no deal in DAYS', not 'calls'");
    bad_spec("followup = call\nrule a = no followup in\n",
             "t.reclaim:2:24: the rule ends early");
    bad_spec("followup = call\nrule cap = no followup in 3d\n",
             "t.reclaim:2:6: 'cap' and 'lockout'");
    bad_spec("followup = call\ncap = -1\n", "t.reclaim:2:7: a cap is");
    bad_spec("followup = \"call\n", "t.reclaim:1:12: a quote that is not");
    bad_spec("followup = call\nreminder =\n",
             "t.reclaim:2:11: a value is missing");
    bad_spec("followup = call call\n", "t.reclaim:1:17: an event kind named "
             "twice");
    bad_spec("deal = purchases\n", "t.reclaim:1:8: expected 'deal = "
             "transaction'");
    bad_spec("owner = a b\n", "t.reclaim:1:11: one value is expected");
    bad_spec("followup = call\nrule a = no followup in 0d\n",
             "t.reclaim:2:25: expected whole days (15d) or weeks (2w), at "
             "least one day");
    seg_reclaim *r;
    assert_int_equal(seg_reclaim_preset(&r, "nope"), SEG_ENOTFOUND);
    assert_null(seg_reclaim_preset_text("nope"));
    assert_ok(seg_reclaim_preset(&r, "standard"));
    assert_non_null(strstr(seg_reclaim_preset_text("standard"),
                           "rule no_followup = no followup in 15d"));
    seg_reclaim_free(r);
}

/* A failed apply leaves the dataset as it was. */
static void test_reclaim_unchanged(void **state)
{
    (void)state;
    seg_reclaim *r = parse(spec);
    seg_dataset *ds = histories();
    /* rc.days_left taken by labels: nothing is written */
    assert_ok(seg_dataset_set_attribute_str(ds, "A", "rc.days_left", "x"));
    size_t cols = seg_dataset_column_count(ds);
    assert_int_equal(seg_reclaim_apply(r, ds, AT(100)), SEG_ETYPE);
    assert_int_equal(seg_dataset_column_count(ds), cols);
    assert_int_equal(seg_dataset_column_type(ds, "rc.status"), SEG_ENOTFOUND);
    assert_non_null(strstr(seg_reclaim_errmsg(r), "rc.days_left"));
    seg_dataset_free(ds);
    /* no owner column */
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_add_customer(ds, "A", NULL));
    seg_table *t = (seg_table *)1;
    assert_int_equal(seg_reclaim_list_table(&t, r, ds, AT(100)),
                     SEG_ENOTFOUND);
    assert_null(t);
    assert_non_null(strstr(seg_reclaim_errmsg(r), "no column 'owner'"));
    assert_int_equal(seg_dataset_column_count(ds), 0);
    /* owners by number (employee 7, employee 12.5), written as text: A
     * since day 60 is silent on day 70; B was released from 7 on day 95
     * and is held by 12.5 since 96 (kept, 7 locked out to 115) */
    assert_ok(seg_dataset_set_attribute_f64(ds, "A", "owner", 7));
    assert_ok(seg_dataset_set_attribute_f64(ds, "A", "since",
                                            (double)AT(60)));
    assert_ok(seg_dataset_add_customer(ds, "B", NULL));
    assert_ok(seg_dataset_set_attribute_f64(ds, "B", "owner", 12.5));
    assert_ok(seg_dataset_set_attribute_f64(ds, "B", "since",
                                            (double)AT(96)));
    ev(ds, "B", 95, "released:7");
    assert_ok(seg_reclaim_list_table(&t, r, ds, AT(100)));
    assert_int_equal(seg_table_row_count(t), 1);
    assert_string_equal(cell_text(t, 0, "owner"), "7");
    assert_string_equal(cell_text(t, 0, "rule"), "silent");
    assert_string_equal(cell_text(t, 0, "locked_owner"), "7");
    seg_table_free(t);
    assert_ok(seg_reclaim_apply(r, ds, AT(100)));
    expect(ds, "B", "kept", "silent", 4, 106, 6, "7", 115);
    seg_dataset_free(ds);
    /* an assignment date in text that is not a date */
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_add_customer(ds, "A", NULL));
    assert_ok(seg_dataset_set_attribute_str(ds, "A", "owner", "ann"));
    assert_ok(seg_dataset_set_attribute_str(ds, "A", "since", "soon"));
    assert_int_equal(seg_reclaim_apply(r, ds, AT(100)), SEG_EPARSE);
    assert_non_null(strstr(seg_reclaim_errmsg(r), "since 'soon' of 'A'"));
    assert_int_equal(seg_dataset_column_count(ds), 2);
    /* and one that is: day 95 as text */
    assert_ok(seg_dataset_set_attribute_str(ds, "A", "since", "2024-04-05"));
    assert_ok(seg_reclaim_apply(r, ds, AT(100)));
    same_num(num(ds, "rc.days_since_followup", "A"), 5, "text date");
    /* times so far away that a clock could overflow */
    assert_int_equal(seg_reclaim_apply(r, ds, INT64_MAX - 1), SEG_ERANGE);
    assert_ok(seg_dataset_add_event(ds, "A", INT64_MIN / 2, "call", NAN));
    assert_int_equal(seg_reclaim_apply(r, ds, AT(100)), SEG_ERANGE);
    assert_non_null(strstr(seg_reclaim_errmsg(r), "a record of 'A'"));
    seg_dataset_free(ds);
    assert_int_equal(seg_reclaim_apply(NULL, NULL, 0), SEG_EINVAL);
    seg_reclaim_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reclaim_columns),
        cmocka_unit_test(test_reclaim_lists),
        cmocka_unit_test(test_reclaim_nones),
        cmocka_unit_test(test_reclaim_errors),
        cmocka_unit_test(test_reclaim_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
