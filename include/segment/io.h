/**
 * @file segment/io.h
 * @brief Input and output of datasets: CSV loading and export.
 */
#ifndef SEGMENT_IO_H
#define SEGMENT_IO_H

#include "segment/common.h"
#include "segment/time.h"
#include "segment/dataset.h"

/**
 * @defgroup seg_io Input and output
 * @brief Loading records from CSV (docs/csv.md) and exporting columns as CSV or JSON.
 * @{
 */

#ifdef __cplusplus
extern "C" {
#endif

/** @name CSV ingest
 * @{ */

/**
 * How seg_dataset_load_csv() reads a file. Initialise with
 * seg_csv_options_init(), then set fields.
 *
 * Columns are named by their header text or, when no header column has that
 * name, by a 1-based number ("3"). Each row is:
 * - an event, when @c kind_column is set (time required, value optional);
 * - else a transaction, when @c amount_column is set (time required);
 * - and in both cases, and when neither is set, the row sets the
 *   @c attribute_columns of its customer (an empty field leaves the value
 *   as it was). An attribute column is numeric when every value in the file
 *   is a number or empty, else a label column.
 *
 * A role whose column is not given is looked for in the header (when there
 * is one): `customer_id`/`id`/`customer`, `time`/`date`/`timestamp`,
 * `amount`, `kind`/`event`, and `value` (with a kind), case-insensitively,
 * among the columns not given for another role or as an attribute. Giving
 * @c amount_column or @c kind_column says what the rows are, so the other
 * is then not looked for. (Before 0.2.0 the header was searched only when
 * no column was given at all.)
 * @since 0.1.0
 */
typedef struct seg_csv_options {
    size_t size;      /**< sizeof(seg_csv_options), set by init. */
    /** ',', '\\t', ';', or ' ' for runs of spaces and tabs (leading ones
     *  ignored); 0 (default) detects it from the first line: tab, else
     *  comma, else semicolon, else whitespace. */
    char delimiter;
    int has_header;   /**< 1 (default) if the first line names the columns. */
    int time_format;  /**< A #seg_time_format; default #SEG_TIME_AUTO. */
    const char *id_column;     /**< Customer id column. */
    const char *time_column;   /**< Time column. */
    const char *amount_column; /**< Transaction amount column. */
    const char *kind_column;   /**< Event kind column. */
    const char *value_column;  /**< Event value column (optional). */
    const char *const *attribute_columns; /**< Attribute columns, or NULL. */
    size_t n_attribute_columns; /**< Number of @c attribute_columns. */
    /** 1: there is no id column; customers are the data rows, numbered
     *  "1", "2", ... (summary files such as donations.csv). 2 (since 0.2.0):
     *  the same unless there is an id column, named by @c id_column or
     *  found in the header (`customer_id`, `id`, `customer`), whose text is
     *  then the customer id. Default 0. */
    int row_ids;
    /** 1: every column that has no role becomes an attribute column, named
     *  by the header (summary files: x, t_x, T, weights ...). Needs a
     *  header. Default 0. */
    int all_attributes;
    /** 1: a negative amount is an input error (#SEG_ERANGE naming the line)
     *  rather than a return (docs/features.md, "Returns"). Default 0.
     *  @since 0.2.0 */
    int reject_negative_amounts;
} seg_csv_options;

/**
 * Initialise CSV options to their defaults.
 * @param o the options; ignored when NULL.
 * @since 0.1.0
 */
SEG_API void seg_csv_options_init(seg_csv_options *o);

/**
 * Load a CSV file into the dataset.
 *
 * Quoting follows RFC 4180; UTF-8 with or without a byte-order mark; LF or
 * CRLF line ends; empty lines are skipped. Several orders of one customer on
 * one day are kept as they are (features merge them into a purchase day).
 * @param ds the dataset.
 * @param path the file.
 * @param opts options, or NULL for the defaults. An older, smaller struct is
 *             accepted: fields past its @c size keep their defaults.
 * @return #SEG_OK; #SEG_EINVAL for bad arguments or options; #SEG_EIO if the
 *         file cannot be read; #SEG_EPARSE for malformed data, with a
 *         message `path:line:column: what was expected` (column = field
 *         number); #SEG_ERANGE for a value out of range (an infinity
 *         included); #SEG_ENOTFOUND for
 *         a column that the header does not have; #SEG_ETYPE for an attribute
 *         whose type differs from an existing column; #SEG_ELIMIT;
 *         #SEG_ENOMEM. On failure the dataset is exactly as it was.
 * @since 0.1.0
 */
SEG_API int seg_dataset_load_csv(seg_dataset *ds, const char *path,
                                 const seg_csv_options *opts);

/**
 * Load CSV data from memory; as seg_dataset_load_csv().
 * @param ds the dataset.
 * @param data the bytes (need not be NUL-terminated; may contain NULs,
 *             which are an error).
 * @param len number of bytes.
 * @param name name used in error messages, or NULL for "<buffer>".
 * @param opts options, or NULL.
 * @return as seg_dataset_load_csv(), without #SEG_EIO.
 * @since 0.1.0
 */
SEG_API int seg_dataset_load_csv_buffer(seg_dataset *ds, const char *data,
                                        size_t len, const char *name,
                                        const seg_csv_options *opts);

/**
 * Load a CSV file whose transactions or events carry a category (a product
 * or page category: docs/csv.md, "Categories"); as seg_dataset_load_csv()
 * otherwise. The category column is a role of its own, never looked for in
 * the header. A blank field is a record without a category (blanks around
 * a value are dropped); a value may not contain '|', which separates the
 * items of a list (the interest model's `top3`).
 * @param ds the dataset.
 * @param path the file.
 * @param opts options, or NULL for the defaults; they say whether the rows
 *             are transactions or events (a category needs one of them).
 * @param category_column the category column: a header name or a 1-based
 *                        number; NULL loads as seg_dataset_load_csv().
 * @return as seg_dataset_load_csv(); also #SEG_EINVAL when the rows are
 *         neither transactions nor events, or when every record's
 *         category is blank (surely the wrong column), and #SEG_EPARSE for
 *         a category that is not UTF-8 or has a '|'. On failure the
 *         dataset is exactly as it was.
 * @note Not thread-safe on @p ds (it changes the dataset).
 * @since 0.2.0
 */
SEG_API int seg_dataset_load_csv_cat(seg_dataset *ds, const char *path,
                                     const seg_csv_options *opts,
                                     const char *category_column);

/**
 * Load CSV data from memory with a category column; as
 * seg_dataset_load_csv_cat() and seg_dataset_load_csv_buffer().
 * @param ds the dataset.
 * @param data the bytes.
 * @param len number of bytes.
 * @param name name used in error messages, or NULL for "<buffer>".
 * @param opts options, or NULL.
 * @param category_column the category column, or NULL for none.
 * @return as seg_dataset_load_csv_cat(), without #SEG_EIO.
 * @note Not thread-safe on @p ds (it changes the dataset).
 * @since 0.2.0
 */
SEG_API int seg_dataset_load_csv_buffer_cat(seg_dataset *ds,
                                            const char *data, size_t len,
                                            const char *name,
                                            const seg_csv_options *opts,
                                            const char *category_column);

/** @} */


/** @name Export
 * @{ */

/**
 * Flag of seg_dataset_export(): timestamp columns (#SEG_KIND_TIMESTAMP)
 * are written as epoch seconds, numbers like any other, rather than as
 * ISO 8601 text. Or it into the format.
 * @since 0.2.0
 */
#define SEG_EXPORT_EPOCH_TIMES 0x100

/**
 * Export columns, one row per customer. Numbers are written in the C locale
 * with the fewest digits that read back to the same double. Timestamp
 * columns (seg_dataset_column_kind() gives #SEG_KIND_TIMESTAMP:
 * `first_purchase`, `last_purchase`, `events.K.last`) are written as
 * ISO 8601 local time of the dataset's time zone with its offset,
 * `2024-03-01T20:00:00+08:00` (`Z` for an offset of 0), a string in JSON;
 * with #SEG_EXPORT_EPOCH_TIMES as epoch seconds (as before 0.2.0).
 * Rows are formatted in blocks on the threads seg_dataset_set_threads()
 * allows (since 0.2.0); @p write is called on the calling thread only,
 * with the blocks in order, and the bytes do not depend on the number of
 * threads.
 * @param ds the dataset.
 * @param format a #seg_format (#SEG_FORMAT_CSV or #SEG_FORMAT_JSON),
 *        optionally with #SEG_EXPORT_EPOCH_TIMES or-ed in.
 * @param columns names of the columns to write, or NULL for all in order.
 * @param n_columns number of @p columns.
 * @param write receives the output in pieces.
 * @param user_data passed to @p write.
 * @return #SEG_OK; #SEG_EINVAL for bad arguments; #SEG_ENOTFOUND for an
 *         unknown column; #SEG_EIO if @p write stopped; #SEG_ENOMEM.
 * @note Thread-safe for concurrent readers.
 * @since 0.1.0
 */
SEG_API int seg_dataset_export(const seg_dataset *ds, int format,
                               const char *const *columns, size_t n_columns,
                               seg_write_fn write, void *user_data);

/**
 * Export to a file, as seg_dataset_export(); the file is written whole or
 * not at all, through symbolic links, keeping an existing file's mode
 * (docs/files.md).
 * @param ds the dataset.
 * @param format as for seg_dataset_export().
 * @param columns column names or NULL for all.
 * @param n_columns number of @p columns.
 * @param path the file to write.
 * @return as seg_dataset_export(); #SEG_EIO if the file cannot be written.
 * @since 0.1.0
 */
SEG_API int seg_dataset_export_file(const seg_dataset *ds, int format,
                                    const char *const *columns,
                                    size_t n_columns, const char *path);

/**
 * Produces the content of a file for seg_file_write(): it writes every
 * byte through @p write and returns #SEG_OK, or an error code (then the
 * file is left as it was).
 * @param write where the bytes go; a non-zero return means stop.
 * @param write_user_data passed to @p write.
 * @param user_data the pointer given to seg_file_write().
 * @return #SEG_OK, or a negative #seg_status.
 * @since 0.2.0
 */
typedef int (*seg_produce_fn)(seg_write_fn write, void *write_user_data,
                              void *user_data);

/**
 * Write a file whole or not at all, as the library writes its own
 * (docs/files.md): through symbolic links, writing devices and FIFOs
 * through, keeping an existing file's mode and hard links, a new file
 * getting 0666 less the umask. For hosts that write their own outputs (a
 * report, a log of calls) with the same guarantees.
 * @param path the file.
 * @param produce writes the content.
 * @param user_data passed to @p produce.
 * @return #SEG_OK; #SEG_EINVAL for a NULL argument; #SEG_EIO if the file
 *         cannot be written (the message in seg_errmsg() says why);
 *         #SEG_ENOMEM; or the error @p produce returned (a positive
 *         return is taken as #SEG_EIO).
 * @note Thread-safe (for distinct paths).
 * @since 0.2.0
 */
SEG_API int seg_file_write(const char *path, seg_produce_fn produce,
                           void *user_data);

/** @} */

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* SEGMENT_IO_H */
