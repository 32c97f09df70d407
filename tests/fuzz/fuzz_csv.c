/* libFuzzer target for the CSV loader. The first byte picks the options;
 * the rest is the file. A load must either succeed, or fail and leave the
 * dataset exactly as it was. */
#include <stdint.h>
#include <stdio.h>
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    seg_csv_options o;
    seg_csv_options_init(&o);
    static const char delims[] = {0, ',', '\t', ' '};
    o.delimiter = delims[sel & 3];
    o.has_header = (sel >> 2) & 1;
    o.time_format = (sel >> 3) & 3;
    static const char *const attrs[] = {"4", "attr"};
    if (sel & 0x20) {
        o.id_column = "1";
        o.time_column = "2";
        if (sel & 0x40)
            o.kind_column = "3";
        else
            o.amount_column = "3";
        o.value_column = (sel & 0x40) ? "4" : NULL;
        o.attribute_columns = attrs;
        o.n_attribute_columns = (sel & 0x80) ? 2 : 1;
    }

    seg_dataset *ds;
    if (seg_dataset_new(&ds))
        abort();
    /* something already there, which a failed load must not touch */
    if (seg_dataset_add_transaction(ds, "seed", 86400, 1.0) ||
        seg_dataset_set_attribute_str(ds, "seed", "attr", "x"))
        abort();
    int rc = seg_dataset_load_csv_buffer(ds, text, len, "fuzz.csv", &o);
    if (rc != SEG_OK) {
        if (seg_dataset_customer_count(ds) != 1 ||
            seg_dataset_transaction_count(ds) != 1 ||
            seg_dataset_event_count(ds) != 0 ||
            seg_dataset_column_count(ds) != 1 ||
            strlen(seg_dataset_errmsg(ds)) == 0)
            abort();
    } else {
        seg_features_options fo;
        seg_features_options_init(&fo);
        fo.time_unit = (sel & 1) ? SEG_UNIT_WEEK : SEG_UNIT_DAY;
        if (seg_dataset_compute_features(ds, &fo) == SEG_OK)
            seg_dataset_export(ds, (sel & 2) ? SEG_FORMAT_JSON : SEG_FORMAT_CSV,
                               NULL, 0, discard, NULL);
    }
    seg_dataset_free(ds);
    return 0;
}
