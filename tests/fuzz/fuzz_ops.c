/* libFuzzer target for the definitions of lib/ops: the input is read as a
 * reclaim definition and as a ladder definition, and each that parses is
 * applied to a small dataset of leads and members, with its tables. Any
 * input must end in a result or an error with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Owners, an empty owner and none, assignment dates as numbers, records
 * of every role (follow-ups, deals, assignments, releases, purchases and a
 * return) at times that make reminders, reclaims and lock-outs. A new one
 * for each input, so that the columns of the prefixes tried do not pile
 * up. */
static seg_dataset *dataset(void)
{
    seg_dataset *ds;
    if (seg_dataset_new(&ds))
        abort();
    static const char *const ids[] = {"a", "b", "c", "d", "e"};
    static const char *const owners[] = {"ann", "ann", "", "bo", "ann"};
    const int64_t t0 = 1700000000, day = 86400;
    for (int i = 0; i < 5; i++) {
        seg_dataset_add_customer(ds, ids[i], NULL);
        seg_dataset_set_attribute_str(ds, ids[i], "owner", owners[i]);
        seg_dataset_set_attribute_f64(ds, ids[i], "owner_since",
                                      (double)(t0 + i * 7 * day));
    }
    seg_dataset_add_transaction(ds, "a", t0 + 3 * day, 40);
    seg_dataset_add_transaction(ds, "a", t0 + 9 * day, -10);
    seg_dataset_add_event(ds, "a", t0 + 20 * day, "call", 1);
    seg_dataset_add_event(ds, "b", t0 + 25 * day, "deal", 1);
    seg_dataset_add_event(ds, "c", t0 + 26 * day, "released:ann", 1);
    seg_dataset_add_event(ds, "d", t0 + 2 * day, "released:bo", 1);
    seg_dataset_add_event(ds, "e", t0 + 27 * day, "assigned", 1);
    seg_dataset_add_event(ds, "e", t0 + 28 * day, "checkin", 1);
    return ds;
}

static void tables(seg_table **t, int rc)
{
    if (rc == SEG_OK)
        seg_table_free(*t);
    else if (strlen(seg_errmsg()) == 0)
        abort();
    *t = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    seg_dataset *ds = dataset();
    const int64_t as_of = 1700000000 + 30 * 86400;
    seg_table *t = NULL;
    seg_reclaim *r;
    if (seg_reclaim_parse(&r, text, size, "fuzz.reclaim") == SEG_OK) {
        if (seg_reclaim_apply(r, ds, as_of) != SEG_OK &&
            strlen(seg_reclaim_errmsg(r)) == 0)
            abort();
        tables(&t, seg_reclaim_list_table(&t, r, ds, as_of));
        tables(&t, seg_reclaim_reminder_table(&t, r, ds, SEG_TIME_NONE));
        seg_reclaim_free(r);
    } else if (strlen(seg_errmsg()) == 0) {
        abort();
    }
    seg_ladder *l;
    if (seg_ladder_parse(&l, text, size, "fuzz.ladder") == SEG_OK) {
        if (seg_ladder_apply(l, ds, as_of) != SEG_OK &&
            strlen(seg_ladder_errmsg(l)) == 0)
            abort();
        tables(&t, seg_ladder_ledger_table(&t, l, ds, as_of, NULL));
        seg_ladder_free(l);
    } else if (strlen(seg_errmsg()) == 0) {
        abort();
    }
    seg_dataset_free(ds);
    return 0;
}
