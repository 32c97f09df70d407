/* The vendored library in use. */
#include <stdio.h>

#include <segment.h>

int main(void)
{
    seg_dataset *ds;
    if (seg_dataset_new(&ds) != SEG_OK)
        return 1;
    seg_dataset_add_transaction(ds, "c1", 1700000000, 12.5);
    seg_dataset_compute_features(ds, NULL);
    double orders;
    seg_dataset_get_f64(ds, "orders", 0, &orders);
    printf("libsegment %s vendored: %g order\n", seg_version_string(), orders);
    seg_dataset_free(ds);
    return 0;
}
