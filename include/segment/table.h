/**
 * @file segment/table.h
 * @brief Read-only tables: what every tabular result of the library is.
 */
#ifndef SEGMENT_TABLE_H
#define SEGMENT_TABLE_H

#include "segment/common.h"
#include "segment/dataset.h"

/**
 * @defgroup seg_table Tables
 * @brief Summaries, crosstabs, model reports, explanations and call lists
 *        as tables a host reads cell by cell.
 *
 * A table has named, typed columns (#SEG_COLUMN_NUMERIC or
 * #SEG_COLUMN_LABEL, the latter holding text) and rows; a cell is a number,
 * a text or missing. Hosts, bindings and the command-line tool read results
 * through this handle and never parse the library's CSV. A table is
 * immutable once made: it may be read and written from several threads at
 * once. It owns its cells; it does not depend on the dataset, model or rule
 * set it came from, which may be freed first.
 *
 * Written as CSV, a table is a header line and one line per row, with
 * RFC 4180 quoting; as JSON, an array of objects, one per row, keys in
 * column order, missing cells `null`; as text, aligned columns for people.
 * @{
 */

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque read-only table. @since 0.2.0 */
typedef struct seg_table seg_table;

/**
 * Free a table.
 * @param t the table; NULL is a no-op.
 * @since 0.2.0
 */
SEG_API void seg_table_free(seg_table *t);

/**
 * What the table is, such as "summary", "crosstab", "holdout".
 * @param t the table.
 * @return the name, borrowed from @p t; "" when @p t is NULL.
 * @since 0.2.0
 */
SEG_API const char *seg_table_name(const seg_table *t);

/**
 * Number of rows.
 * @param t the table.
 * @return the count; 0 when @p t is NULL.
 * @since 0.2.0
 */
SEG_API size_t seg_table_row_count(const seg_table *t);

/**
 * Number of columns.
 * @param t the table.
 * @return the count; 0 when @p t is NULL.
 * @since 0.2.0
 */
SEG_API size_t seg_table_column_count(const seg_table *t);

/**
 * Name of a column.
 * @param t the table.
 * @param col its index.
 * @return the name, borrowed from @p t; NULL when out of range.
 * @since 0.2.0
 */
SEG_API const char *seg_table_column_name(const seg_table *t, size_t col);

/**
 * Type of a column.
 * @param t the table.
 * @param col its index.
 * @return #SEG_COLUMN_NUMERIC or #SEG_COLUMN_LABEL (text); #SEG_EINVAL
 *         when @p t is NULL or @p col out of range.
 * @since 0.2.0
 */
SEG_API int seg_table_column_type(const seg_table *t, size_t col);

/**
 * Index of a column by name.
 * @param t the table.
 * @param name the column's name.
 * @param[out] col receives the index of the first column of that name.
 * @return #SEG_OK; #SEG_EINVAL; #SEG_ENOTFOUND.
 * @since 0.2.0
 */
SEG_API int seg_table_column_find(const seg_table *t, const char *name,
                                  size_t *col);

/**
 * A numeric cell.
 * @param t the table.
 * @param row the row.
 * @param col the column.
 * @return the number; NaN when the cell is missing, the column is not
 *         numeric, or @p row or @p col is out of range.
 * @since 0.2.0
 */
SEG_API double seg_table_f64(const seg_table *t, size_t row, size_t col);

/**
 * A text cell.
 * @param t the table.
 * @param row the row.
 * @param col the column.
 * @return the text (UTF-8, NUL-terminated), borrowed from @p t; NULL when
 *         the cell is missing, the column is numeric, or @p row or @p col
 *         is out of range.
 * @since 0.2.0
 */
SEG_API const char *seg_table_text(const seg_table *t, size_t row,
                                   size_t col);

/**
 * Write a table.
 * @param t the table.
 * @param format #SEG_FORMAT_CSV, #SEG_FORMAT_JSON or #SEG_FORMAT_TEXT.
 * @param write receives the bytes.
 * @param user_data passed to @p write.
 * @return #SEG_OK; #SEG_EINVAL; #SEG_EIO if @p write stopped;
 *         #SEG_ENOMEM.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API int seg_table_write(const seg_table *t, int format,
                            seg_write_fn write, void *user_data);

/**
 * Write a table to a file, atomically: the file appears whole or not at
 * all.
 * @param t the table.
 * @param format as seg_table_write().
 * @param path the file.
 * @return as seg_table_write().
 * @since 0.2.0
 */
SEG_API int seg_table_write_file(const seg_table *t, int format,
                                 const char *path);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* SEGMENT_TABLE_H */
