/* Quick start: load transactions, compute features, read a column.
 *
 *   cc quickstart.c $(pkg-config --cflags --libs segment)
 *   ./a.out cdnow_sample.txt
 */
#include <stdio.h>

#include <segment.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s TRANSACTIONS.txt\n", argv[0]);
        return 1;
    }
    if (seg_version_number() != SEG_VERSION_NUMBER)
        fprintf(stderr, "note: built with %s, running %s\n",
                SEG_VERSION_STRING, seg_version_string());

    seg_dataset *ds;
    if (seg_dataset_new(&ds) != SEG_OK) {
        fprintf(stderr, "%s\n", seg_errmsg());
        return 1;
    }
    /* The CDNOW sample: no header; columns customer, sample id, date
     * (YYYYMMDD), number of CDs, dollar value; separated by spaces. */
    seg_csv_options csv;
    seg_csv_options_init(&csv);
    csv.has_header = 0;
    csv.id_column = "1";
    csv.time_column = "3";
    csv.amount_column = "5";

    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.time_unit = SEG_UNIT_WEEK;
    seg_time_parse(&fo.as_of, "1997-09-30T23:59:59Z", 20, SEG_TIME_ISO8601);

    if (seg_dataset_load_csv(ds, argv[1], &csv) != SEG_OK ||
        seg_dataset_compute_features(ds, &fo) != SEG_OK) {
        fprintf(stderr, "%s\n", seg_dataset_errmsg(ds));
        seg_dataset_free(ds);
        return 1;
    }

    size_t n = seg_dataset_customer_count(ds), repeat = 0;
    double total = 0;
    for (size_t row = 0; row < n; row++) {
        double freq, money;
        seg_dataset_get_f64(ds, "frequency", row, &freq);
        seg_dataset_get_f64(ds, "monetary_total", row, &money);
        repeat += freq > 0;
        total += money;
    }
    printf("%zu customers, %zu transactions, %zu repeat buyers, $%.2f spent "
           "by 1997-09-30\n",
           n, seg_dataset_transaction_count(ds), repeat, total);
    seg_dataset_free(ds);
    return 0;
}
