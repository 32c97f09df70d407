/* libFuzzer target for the CSV loader. The first byte picks the options;
 * the rest is the file. A load must either succeed, or fail and leave the
 * dataset exactly as it was; and a load on three threads must give what a
 * load on one gives, to the byte, error messages included. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct text {
    char *p;
    size_t n;
} text;

static int keep(const char *d, size_t n, void *u)
{
    text *t = u;
    char *p = realloc(t->p, t->n + n + 1);
    if (!p)
        abort();
    memcpy(p + t->n, d, n);
    t->n += n;
    t->p = p;
    return 0;
}

/* Load on `threads` threads into a dataset holding one customer already:
 * what came of it, as text. */
static text load(const char *data, size_t len, const seg_csv_options *o,
                 int threads, uint8_t sel)
{
    seg_dataset *ds;
    if (seg_dataset_new(&ds) || seg_dataset_set_threads(ds, threads))
        abort();
    /* something already there, which a failed load must not touch */
    if (seg_dataset_add_transaction(ds, "seed", 86400, 1.0) ||
        seg_dataset_set_attribute_str(ds, "seed", "attr", "x"))
        abort();
    text t = {NULL, 0};
    char head[32];
    int rc = seg_dataset_load_csv_buffer(ds, data, len, "fuzz.csv", o);
    snprintf(head, sizeof head, "rc %d\n", rc);
    keep(head, strlen(head), &t);
    if (rc != SEG_OK) {
        if (seg_dataset_customer_count(ds) != 1 ||
            seg_dataset_transaction_count(ds) != 1 ||
            seg_dataset_event_count(ds) != 0 ||
            seg_dataset_column_count(ds) != 1 ||
            strlen(seg_dataset_errmsg(ds)) == 0)
            abort();
        keep(seg_dataset_errmsg(ds), strlen(seg_dataset_errmsg(ds)), &t);
    } else {
        seg_features_options fo;
        seg_features_options_init(&fo);
        fo.time_unit = (sel & 1) ? SEG_UNIT_WEEK : SEG_UNIT_DAY;
        if (seg_dataset_compute_features(ds, &fo) == SEG_OK)
            seg_dataset_export(ds, (sel & 2) ? SEG_FORMAT_JSON : SEG_FORMAT_CSV,
                               NULL, 0, keep, &t);
    }
    seg_dataset_free(ds);
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    const char *csv = (const char *)data + 1;
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
    } else if (sel & 0x40) { /* transactions alone: the threaded path */
        o.id_column = "1";
        o.time_column = "2";
        o.amount_column = "3";
    }
    text one = load(csv, len, &o, 1, sel), three = load(csv, len, &o, 3, sel);
    if (one.n != three.n || memcmp(one.p, three.p, one.n) != 0)
        abort();
    free(one.p);
    free(three.p);
    return 0;
}
