/* libFuzzer target for the rule language: compile, and when that works,
 * apply and explain on a small dataset. Any input must end in a result or
 * an error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int discard(const char *d, size_t n, void *u)
{
    (void)d;
    (void)n;
    (void)u;
    return 0;
}

static seg_dataset *g_ds;

static seg_dataset *dataset(void)
{
    if (g_ds)
        return g_ds;
    if (seg_dataset_new(&g_ds))
        abort();
    const char *ids[] = {"a", "b", "c"};
    double spend[] = {100, 0, 5}, orders[] = {3, 0, 1}, rec[] = {5, 400, 0};
    const char *ch[] = {"organic", NULL, "ads"};
    for (int i = 0; i < 3; i++)
        seg_dataset_add_customer(g_ds, ids[i], NULL);
    /* features first, for columns with kinds (timestamps, days, counts)
     * and an analysis date; the columns written after have none */
    seg_dataset_add_transaction(g_ds, "a", 1700000000, 40);
    seg_dataset_add_transaction(g_ds, "a", 1709000000, 60);
    seg_dataset_add_transaction(g_ds, "c", 1710000000, 5);
    seg_dataset_add_event(g_ds, "b", 1705000000, "cart_add", 1);
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.as_of = 1710100000;
    if (seg_dataset_compute_features(g_ds, &fo))
        abort();
    seg_dataset_write_f64(g_ds, "monetary_total", spend, 3);
    seg_dataset_write_f64(g_ds, "orders", orders, 3);
    seg_dataset_write_f64(g_ds, "recency", rec, 3);
    seg_dataset_write_labels(g_ds, "channel", ch, 3);
    return g_ds;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    seg_rules *r;
    if (seg_rules_parse(&r, (const char *)data, size, "fuzz.rules") != SEG_OK) {
        if (strlen(seg_errmsg()) == 0)
            abort();
        return 0;
    }
    seg_dataset *ds = dataset();
    if (seg_rules_apply(r, ds, "fz") == SEG_OK) {
        for (size_t row = 0; row < 3; row++) {
            seg_rules_explain(r, ds, row, SEG_FORMAT_TEXT, discard, NULL);
            seg_rules_explain(r, ds, row, SEG_FORMAT_JSON, discard, NULL);
        }
        seg_call_list_options o;
        seg_call_list_options_init(&o);
        o.tier_column = "fz";
        seg_rules_call_list(r, ds, &o, discard, NULL);
    }
    seg_rules_free(r);
    return 0;
}
