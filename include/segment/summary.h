/**
 * @file segment/summary.h
 * @brief Summaries of a dataset by tier: counts, shares, totals, crosstabs.
 */
#ifndef SEGMENT_SUMMARY_H
#define SEGMENT_SUMMARY_H

#include "segment/common.h"
#include "segment/dataset.h"

/**
 * @defgroup seg_summary Summaries
 * @brief Per-tier totals and crosstabs of label columns.
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

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* SEGMENT_SUMMARY_H */
