/**
 * @file segment/summary.h
 * @brief Summaries of a dataset by tier: counts, shares, totals, crosstabs.
 */
#ifndef SEGMENT_SUMMARY_H
#define SEGMENT_SUMMARY_H

#include "segment/common.h"
#include "segment/dataset.h"
#include "segment/table.h"

/**
 * @defgroup seg_summary Summaries
 * @brief Per-tier totals and crosstabs of label columns.
 *
 * Each is a table (seg_dataset_summary_table(),
 * seg_dataset_crosstab_table()) that a host reads cell by cell, or writes;
 * seg_dataset_summary() and seg_dataset_crosstab() write it at once.
 * @{
 */

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A tier summary: per label of @p label_column, the count of customers,
 * their share, and for each value column its total, its mean and its share
 * of the column's total (the share of revenue, for a monetary column).
 * Customers without a label are grouped under an empty label.
 * @param ds the dataset.
 * @param label_column the grouping column (a label column).
 * @param value_columns numeric columns to total, or NULL.
 * @param n_values number of @p value_columns.
 * @param format #SEG_FORMAT_CSV or #SEG_FORMAT_JSON.
 * @param write receives the table.
 * @param user_data passed to @p write.
 * @return #SEG_OK; #SEG_EINVAL; #SEG_ENOTFOUND; #SEG_ETYPE; #SEG_EIO;
 *         #SEG_ENOMEM.
 * @note Thread-safe for concurrent readers.
 * @since 0.1.0
 */
SEG_API int seg_dataset_summary(const seg_dataset *ds,
                                const char *label_column,
                                const char *const *value_columns,
                                size_t n_values, int format,
                                seg_write_fn write, void *user_data);

/**
 * The tier summary as a table, named "summary".
 *
 * The columns: @p label_column (text; missing for the customers without a
 * label), `count`, `share` (of all customers), then for each value column
 * `V` the numbers `V_total`, `V_mean` and `V_share` (of the column's
 * total; missing when that total is 0). One row per label that has
 * customers, in the order the labels first appeared, the customers without
 * a label last. Written as CSV it is what seg_dataset_summary() writes.
 * @param[out] out receives the table, freed with seg_table_free(); NULL on
 *             failure.
 * @param ds the dataset.
 * @param label_column the grouping column (a label column).
 * @param value_columns numeric columns to total, or NULL.
 * @param n_values number of @p value_columns.
 * @return #SEG_OK; #SEG_EINVAL; #SEG_ENOTFOUND; #SEG_ETYPE; #SEG_ENOMEM.
 * @note Thread-safe for concurrent readers.
 * @since 0.2.0
 */
SEG_API int seg_dataset_summary_table(seg_table **out, const seg_dataset *ds,
                                      const char *label_column,
                                      const char *const *value_columns,
                                      size_t n_values);

/**
 * A crosstab of two label columns: counts of customers per pair of labels,
 * rows for @p row_column, columns for @p col_column, with totals.
 * @param ds the dataset.
 * @param row_column a label column.
 * @param col_column a label column.
 * @param format #SEG_FORMAT_CSV or #SEG_FORMAT_JSON.
 * @param write receives the table.
 * @param user_data passed to @p write.
 * @return as seg_dataset_summary().
 * @note Thread-safe for concurrent readers.
 * @since 0.1.0
 */
SEG_API int seg_dataset_crosstab(const seg_dataset *ds,
                                 const char *row_column,
                                 const char *col_column, int format,
                                 seg_write_fn write, void *user_data);

/**
 * The crosstab as a table, named "crosstab".
 *
 * The first column, named @p row_column, holds the labels of
 * @p row_column (text; missing for the customers without one); then one
 * numeric column per label of @p col_column that has customers, named by
 * the label ("" for the customers without one), and `total`, the row's
 * total. One row per label of @p row_column that has customers, in the
 * order the labels first appeared, the missing one last; the last row,
 * labelled `total`, holds the column totals and the number of customers.
 * Written as CSV it is what seg_dataset_crosstab() writes.
 * @param[out] out receives the table, freed with seg_table_free(); NULL on
 *             failure.
 * @param ds the dataset.
 * @param row_column a label column.
 * @param col_column a label column.
 * @return #SEG_OK; #SEG_EINVAL; #SEG_ENOTFOUND; #SEG_ETYPE; #SEG_ELIMIT
 *         (more than about 100000 cells); #SEG_ENOMEM.
 * @note Thread-safe for concurrent readers.
 * @since 0.2.0
 */
SEG_API int seg_dataset_crosstab_table(seg_table **out, const seg_dataset *ds,
                                       const char *row_column,
                                       const char *col_column);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* SEGMENT_SUMMARY_H */
