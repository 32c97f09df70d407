/* Categories of transactions and events, the interest model on a
 * hand-worked history, and "x" in a list-valued column of the rules. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "testutil.h"

#define DAY 86400
static const int64_t NOW = 20000 * (int64_t)DAY; /* 2024-10-04 */

static void view(seg_dataset *ds, const char *id, double days_ago,
                 const char *kind, const char *cat)
{
    assert_ok(seg_dataset_add_event_cat(ds, id,
                                        NOW - (int64_t)(days_ago * DAY), kind,
                                        NAN, cat));
}

static void buy(seg_dataset *ds, const char *id, double days_ago,
                double amount, const char *cat)
{
    assert_ok(seg_dataset_add_transaction_cat(
        ds, id, NOW - (int64_t)(days_ago * DAY), amount, cat));
}

/* The history the scores below are worked from, with as_of = NOW. */
static seg_dataset *shop(void)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    buy(ds, "ann", 10, 100, "electronics");
    view(ds, "ann", 0, "view", "home");
    view(ds, "ann", 0, "view", "home");
    view(ds, "ann", 20, "cart", "home");
    view(ds, "ann", 30, "view", "books");
    buy(ds, "ann", 2, -5, "toys");      /* a return: no purchase */
    view(ds, "ann", 1, "email", "toys"); /* a kind of weight 0 */
    /* two views of equal weight at one time: a tie */
    view(ds, "tie", 0, "view", "b_cat");
    view(ds, "tie", 0, "view", "a_cat");
    /* records without a category */
    assert_ok(seg_dataset_add_transaction(ds, "none", NOW - DAY, 7));
    assert_ok(seg_dataset_add_event(ds, "clock", NOW, "view", NAN));
    /* after the analysis date: not read */
    buy(ds, "ann", -5, 50, "books");
    return ds;
}

static seg_model *interest(const char *basis)
{
    seg_model *m;
    assert_ok(seg_model_new(&m, "interest"));
    assert_ok(seg_model_set_f64(m, "half_life_days", 10));
    assert_ok(seg_model_set_f64(m, "purchase_weight", 2));
    assert_ok(seg_model_set_str(m, "purchase_basis", basis));
    assert_ok(seg_model_set_str(m, "weights", "view=1,cart=3,email=0"));
    assert_ok(seg_model_set_f64(m, "browse_min", 2));
    assert_ok(seg_model_set_f64(m, "focus_share", 0.6));
    assert_ok(seg_model_set_str(m, "as_of", "2024-10-04T00:00:00Z"));
    return m;
}

/* With a half-life of 10 days a record d days before as_of weighs
 * w * 2^(-d/10). ann:
 *   electronics: a purchase 10 days ago, 2 * 0.5            = 1
 *   home: two views today, 1 + 1, and a cart 20 days ago,
 *         3 * 0.25                                          = 2.75 (3 events)
 *   books: a view 30 days ago, 1 * 0.125                    = 0.125
 *   (the return of toys and the e-mail of weight 0 count nothing; the
 *   purchase of books after as_of is not read)
 * total 3.875: shares 2.75 / 3.875 = 22/31, 1 / 3.875 = 8/31,
 * 0.125 / 3.875 = 1/31. home leads with 0.71 >= 0.6, so the label is
 * home; home has 3 >= 2 events and no purchase: browsed, not bought;
 * books has 1 event, too few. tie: a_cat and b_cat score 1 each; the name
 * first in byte order leads; 0.5 < 0.6: mixed. */
static void test_interest_scores(void **state)
{
    (void)state;
    seg_dataset *ds = shop();
    seg_model *m = interest("count");
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    assert_string_equal(id_label(ds, "interest.top", "ann"), "home");
    assert_string_equal(id_label(ds, "interest.top3", "ann"),
                        "home|electronics|books");
    assert_near(id_num(ds, "interest.score", "ann"), 3.875, 1e-12);
    assert_near(id_num(ds, "interest.share1", "ann"), 22.0 / 31, 1e-12);
    assert_near(id_num(ds, "interest.share2", "ann"), 8.0 / 31, 1e-12);
    assert_near(id_num(ds, "interest.share3", "ann"), 1.0 / 31, 1e-12);
    assert_string_equal(id_label(ds, "interest.label", "ann"), "home");
    assert_string_equal(id_label(ds, "interest.browsed_not_bought", "ann"),
                        "home");
    assert_near(id_num(ds, "interest.browsed_not_bought_count", "ann"), 1, 0);

    assert_string_equal(id_label(ds, "interest.top", "tie"), "a_cat");
    assert_string_equal(id_label(ds, "interest.top3", "tie"), "a_cat|b_cat");
    assert_near(id_num(ds, "interest.share1", "tie"), 0.5, 1e-15);
    assert_true(isnan(id_num(ds, "interest.share3", "tie")));
    assert_string_equal(id_label(ds, "interest.label", "tie"), "mixed");
    assert_null(id_label(ds, "interest.browsed_not_bought", "tie"));

    assert_null(id_label(ds, "interest.top", "none"));
    assert_null(id_label(ds, "interest.top3", "none"));
    assert_near(id_num(ds, "interest.score", "none"), 0, 0);
    assert_true(isnan(id_num(ds, "interest.share1", "none")));
    seg_model_free(m);

    /* per unit of amount: electronics 2 * 100 * 0.5 = 100 of 102.875 */
    m = interest("amount");
    assert_ok(seg_model_set_f64(m, "top", 2));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    assert_string_equal(id_label(ds, "interest.top2", "ann"), "electronics|home");
    assert_near(id_num(ds, "interest.share1", "ann"), 100 / 102.875, 1e-12);
    assert_near(id_num(ds, "interest.share2", "ann"), 2.75 / 102.875, 1e-12);
    assert_string_equal(id_label(ds, "interest.label", "ann"), "electronics");
    seg_model_free(m);
    seg_dataset_free(ds);
}

/* Records so old that their decayed weight is 0 in a double
 * (2^-(3650 / 0.001) underflows): a category seen again and again is
 * still one category, and a score of 0 puts it in no top list. */
static void test_interest_underflow(void **state)
{
    (void)state;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    for (int i = 0; i < 50; i++)
        view(ds, "old", 3650, "view", i % 2 ? "a" : "b");
    buy(ds, "old", 3650, 5, "a");
    view(ds, "new", 0, "view", "c");
    seg_model *m;
    assert_ok(seg_model_new(&m, "interest"));
    assert_ok(seg_model_set_f64(m, "half_life_days", 0.001));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    assert_null(id_label(ds, "interest.top", "old"));
    assert_near(id_num(ds, "interest.score", "old"), 0, 0);
    /* b: 25 views, never bought; a was bought */
    assert_string_equal(id_label(ds, "interest.browsed_not_bought", "old"),
                        "b");
    assert_near(id_num(ds, "interest.browsed_not_bought_count", "old"), 1, 0);
    assert_string_equal(id_label(ds, "interest.top", "new"), "c");
    seg_model_free(m);
    seg_dataset_free(ds);
}

static void test_interest_bad_input(void **state)
{
    (void)state;
    seg_dataset *ds = shop();
    seg_model *m = interest("count");
    /* a kind the data does not have is an error, not a silent default */
    assert_ok(seg_model_set_str(m, "weights", "viw=2"));
    assert_int_equal(seg_model_fit(m, ds), SEG_ENOTFOUND);
    assert_non_null(strstr(seg_model_errmsg(m), "no event kind 'viw'"));
    assert_non_null(strstr(seg_model_errmsg(m), "did you mean 'view'"));
    assert_ok(seg_model_set_str(m, "weights", "view=-1"));
    assert_int_equal(seg_model_fit(m, ds), SEG_ERANGE);
    assert_string_equal(seg_model_errmsg(m), "interest: weights: '-1' is not "
                        "a weight (a number from 0 to 1000000)");
    /* a half-life must be above 0 */
    assert_int_equal(seg_model_set_f64(m, "half_life_days", 0), SEG_ERANGE);
    assert_int_equal(seg_model_set_f64(m, "half_life_days", -3), SEG_ERANGE);
    assert_int_equal(seg_model_set_f64(m, "top", 11), SEG_ERANGE);
    seg_model_free(m);

    /* a dataset without categories */
    seg_dataset *plain;
    assert_ok(seg_dataset_new(&plain));
    assert_ok(seg_dataset_add_transaction(plain, "a", NOW, 5));
    assert_ok(seg_model_new(&m, "interest"));
    assert_int_equal(seg_model_fit(m, plain), SEG_EINVAL);
    assert_non_null(strstr(seg_model_errmsg(m), "--map category=COLUMN"));
    seg_model_free(m);
    seg_dataset_free(plain);

    /* '|' separates the items of a list: not in a category; all or
     * nothing */
    size_t ntx = seg_dataset_transaction_count(ds);
    const char *ids[] = {"x", "y"};
    const int64_t times[] = {NOW, NOW};
    const double amounts[] = {1, 2};
    const char *cats[] = {"ok", "tv|audio"};
    assert_int_equal(seg_dataset_add_transactions_cat(ds, ids, times, amounts,
                                                      cats, 2),
                     SEG_EPARSE);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "row 1: category "
                           "'tv|audio' has a '|'"));
    assert_int_equal(seg_dataset_transaction_count(ds), ntx);
    size_t row;
    assert_int_equal(seg_dataset_customer_find(ds, "x", &row), SEG_ENOTFOUND);
    seg_dataset_free(ds);
}

/* A CSV input as a host passes it: text, a name, the category column. */
static int load(seg_dataset *ds, const char *text, const char *name)
{
    seg_csv_options o;
    seg_csv_options_init(&o);
    return seg_dataset_load_csv_buffer_cat(ds, text, strlen(text), name, &o,
                                           "cat");
}

static void test_category_csv(void **state)
{
    (void)state;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_ok(load(ds,
                   "id,date,amount,cat\n"
                   "a,2024-01-01,10, books \n"
                   "a,2024-01-02,5,\n"
                   "b,2024-01-03,7,home\n",
                   "tx.csv"));
    assert_ok(load(ds, "id,date,kind,cat\nb,2024-01-03,view,books\n",
                   "ev.csv"));
    assert_ok(seg_dataset_compute_features(ds, NULL));
    seg_model *m;
    assert_ok(seg_model_new(&m, "interest"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    /* the blanks around " books " are dropped; the second order has none */
    assert_string_equal(id_label(ds, "interest.top3", "a"), "books");
    assert_string_equal(id_label(ds, "interest.top3", "b"), "home|books");
    seg_model_free(m);

    /* a category column of blanks only is surely the wrong column */
    assert_int_equal(load(ds, "id,date,amount,cat\nc,2024-01-04,1,\n",
                          "blank.csv"),
                     SEG_EINVAL);
    assert_string_equal(seg_dataset_errmsg(ds),
                        "blank.csv: category column 'cat' has no values: "
                        "every record's field is empty");
    /* a category needs records to belong to */
    assert_int_equal(load(ds, "id,cat\nc,x\n", "attrs.csv"), SEG_EINVAL);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "map amount or kind"));
    assert_int_equal(load(ds, "id,date,amount,cat\nc,2024-01-04,1,a|b\n",
                          "bad.csv"),
                     SEG_EPARSE);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "bad.csv:2:4: category "
                           "'a|b'"));
    assert_int_equal(seg_dataset_transaction_count(ds), 3);
    seg_dataset_free(ds);
}

static int apply(seg_dataset *ds, const char *text, seg_rules **out)
{
    assert_ok(seg_rules_parse(out, text, strlen(text), "i.rules"));
    return seg_rules_apply(*out, ds, NULL);
}

static void test_interest_rules(void **state)
{
    (void)state;
    seg_dataset *ds = shop();
    seg_model *m = interest("count");
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    seg_rules *r;
    assert_ok(apply(ds,
                    "output \"t\"\n"
                    "tier \"home fan\" when interest.top = \"home\" and\n"
                    "    interest.share1 < 0.7\n"
                    "tier \"has books\" when \"books\" in interest.top3\n"
                    "tier \"no b\" when \"b_cat\" not in interest.top3\n"
                    "otherwise \"rest\"\n",
                    &r));
    /* ann's top is home, but with 22/31 > 0.7, and the list has books
     * (third); tie's has b_cat; none has no list:
     * neither in nor not in holds for a missing value */
    assert_string_equal(id_label(ds, "t", "ann"), "has books");
    assert_string_equal(id_label(ds, "t", "tie"), "rest");
    assert_string_equal(id_label(ds, "t", "none"), "rest");
    assert_int_equal(seg_rules_warning_count(r), 0);
    seg_rules_free(r);

    /* a typo'd category: legal, but surely not meant */
    assert_ok(apply(ds, "tier \"h\" when \"hoem\" in interest.top3\n", &r));
    assert_int_equal(seg_rules_warning_count(r), 1);
    assert_non_null(strstr(seg_rules_warning(r, 0),
                           "i.rules:1:22: no customer has 'hoem' in "
                           "'interest.top3', so this test is always false"));
    seg_rules_free(r);
    /* an item is a whole item, not a part of one */
    assert_ok(apply(ds, "tier \"h\" when \"elec\" in interest.top3\n", &r));
    assert_int_equal(seg_rules_warning_count(r), 1);
    seg_rules_free(r);

    /* what 'in' a column takes */
    assert_int_equal(apply(ds, "tier \"x\" when \"a\" in interest.score\n",
                           &r),
                     SEG_ETYPE);
    assert_non_null(strstr(seg_rules_errmsg(r), "a label column on its "
                           "right"));
    seg_rules_free(r);
    assert_int_equal(apply(ds, "tier \"x\" when interest.top in "
                               "interest.top3\n", &r),
                     SEG_ETYPE);
    seg_rules_free(r);
    static const char bad[] = "tier \"x\" when \"a\" in 3\n";
    assert_int_equal(seg_rules_parse(&r, bad, sizeof bad - 1, "p.rules"),
                     SEG_EPARSE);
    assert_non_null(strstr(seg_errmsg(), "'(' or a column after 'in'"));
    seg_model_free(m);
    seg_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interest_scores),
        cmocka_unit_test(test_interest_underflow),
        cmocka_unit_test(test_interest_bad_input),
        cmocka_unit_test(test_category_csv),
        cmocka_unit_test(test_interest_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
