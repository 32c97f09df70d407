/**
 * @file segment/dataset.h
 * @brief The customer dataset: records, features and columns.
 */
#ifndef SEGMENT_DATASET_H
#define SEGMENT_DATASET_H

#include "segment/common.h"
#include "segment/time.h"

/**
 * @defgroup seg_dataset Dataset
 * @brief One row per customer, keyed by the host's own customer id.
 *
 * A dataset holds three kinds of record per customer: transactions (time,
 * amount), events (time, kind, optional value) and attributes (name ->
 * number or text). Everything known per customer is a named *column*:
 * attributes as loaded, features from seg_dataset_compute_features(), and
 * the outputs of models. A column is numeric (`double`, NaN when missing) or
 * a label (an interned UTF-8 string, NULL when missing).
 *
 * Rows are numbered 0..seg_dataset_customer_count()-1 in the order customers
 * were first seen; a row number never changes.
 *
 * Every call that changes a dataset either succeeds completely or leaves the
 * dataset exactly as it was.
 *
 * Thread-safety: a dataset may be read (the `const` functions) from several
 * threads at once; a call that changes it needs exclusive access.
 * @{
 */

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque customer dataset. @since 0.1.0 */
typedef struct seg_dataset seg_dataset;

/**
 * Create an empty dataset.
 * @param[out] out receives the new dataset, owned by the caller, to be
 *             released with seg_dataset_free(). Set to NULL on failure.
 * @return #SEG_OK; #SEG_EINVAL if @p out is NULL; #SEG_ENOMEM.
 * @note Thread-safe.
 * @since 0.1.0
 */
SEG_API int seg_dataset_new(seg_dataset **out);

/**
 * Release a dataset and everything it owns. Strings borrowed from it become
 * invalid.
 * @param ds the dataset; NULL is a no-op.
 * @since 0.1.0
 */
SEG_API void seg_dataset_free(seg_dataset *ds);

/**
 * Message of the last failure of a call on @p ds.
 * @param ds the dataset; NULL gives the calling thread's message.
 * @return a string owned by @p ds, never NULL ("no error" when no call has
 *         failed), valid until the next failing call on @p ds.
 * @note Thread-safe; prefer it to seg_errmsg() where callers move between
 *       threads.
 * @since 0.1.0
 */
SEG_API const char *seg_dataset_errmsg(const seg_dataset *ds);

/**
 * Set how many threads seg_dataset_load_csv() and
 * seg_dataset_compute_features() may use on @p ds. The calling thread is
 * one of them; the others are started for the call and joined before it
 * returns. The results do not depend on the number of threads.
 * @param ds the dataset.
 * @param threads 1 for the calling thread alone; 0 (the default) for as
 *        many as the machine has online processors, with fewer on small
 *        inputs; at most 64.
 * @return #SEG_OK; #SEG_EINVAL if @p ds is NULL or @p threads is out of
 *         range.
 * @note Not thread-safe on @p ds (it changes the handle).
 * @since 0.1.0
 */
SEG_API int seg_dataset_set_threads(seg_dataset *ds, int threads);

/** @name Customers
 * @{ */

/**
 * Number of customers (rows).
 * @param ds the dataset; NULL gives 0.
 * @return the number of rows.
 * @note Thread-safe for concurrent readers.
 * @since 0.1.0
 */
SEG_API size_t seg_dataset_customer_count(const seg_dataset *ds);

/**
 * Find or add a customer.
 * @param ds the dataset.
 * @param id the host's customer id: a non-empty NUL-terminated UTF-8 string.
 * @param[out] row receives the customer's row; may be NULL.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_EPARSE for an empty
 *         id or invalid UTF-8; #SEG_ELIMIT past 2^32-2 customers;
 *         #SEG_ENOMEM.
 * @since 0.1.0
 */
SEG_API int seg_dataset_add_customer(seg_dataset *ds, const char *id,
                                     size_t *row);

/**
 * Look up a customer's row by id in O(1).
 * @param ds the dataset.
 * @param id the customer id.
 * @param[out] row receives the row.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_ENOTFOUND.
 * @note Thread-safe for concurrent readers.
 * @since 0.1.0
 */
SEG_API int seg_dataset_customer_find(const seg_dataset *ds, const char *id,
                                      size_t *row);

/**
 * Id of the customer at a row.
 * @param ds the dataset.
 * @param row a row number.
 * @return the id, borrowed from @p ds and valid until @p ds is next changed
 *         or freed; NULL if @p ds is NULL or @p row is out of range.
 * @note Thread-safe for concurrent readers.
 * @since 0.1.0
 */
SEG_API const char *seg_dataset_customer_id(const seg_dataset *ds, size_t row);

/** @} */

/** @name Records
 * @{ */

/**
 * Add one transaction, adding the customer if new.
 * @param ds the dataset.
 * @param id customer id (see seg_dataset_add_customer()).
 * @param time the time of the purchase.
 * @param amount its value; any finite number (returns may be negative).
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_EPARSE for a bad id;
 *         #SEG_ERANGE for a non-finite amount; #SEG_ELIMIT; #SEG_ENOMEM.
 * @since 0.1.0
 */
SEG_API int seg_dataset_add_transaction(seg_dataset *ds, const char *id,
                                        int64_t time, double amount);

/**
 * Add one event (a visit, an e-mail click, a call ...).
 * @param ds the dataset.
 * @param id customer id.
 * @param time the time of the event.
 * @param kind the event kind: a non-empty UTF-8 string.
 * @param value an optional value; NaN for none. Infinities are rejected.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_EPARSE for a bad id
 *         or kind; #SEG_ERANGE for an infinite value; #SEG_ELIMIT;
 *         #SEG_ENOMEM.
 * @since 0.1.0
 */
SEG_API int seg_dataset_add_event(seg_dataset *ds, const char *id,
                                  int64_t time, const char *kind,
                                  double value);

/**
 * Set a numeric attribute (a column of the same name) for a customer.
 * @param ds the dataset.
 * @param id customer id (added if new).
 * @param name column name: non-empty UTF-8.
 * @param value the value; NaN marks it missing.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_EPARSE for a bad id
 *         or name; #SEG_ETYPE if @p name is a label column;
 *         #SEG_ENOMEM.
 * @since 0.1.0
 */
SEG_API int seg_dataset_set_attribute_f64(seg_dataset *ds, const char *id,
                                          const char *name, double value);

/**
 * Set a text attribute (a label column of the same name) for a customer.
 * @param ds the dataset.
 * @param id customer id (added if new).
 * @param name column name: non-empty UTF-8.
 * @param value the label: UTF-8; NULL marks it missing.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_EPARSE for invalid
 *         UTF-8; #SEG_ETYPE if @p name is a numeric column; #SEG_ENOMEM.
 * @since 0.1.0
 */
SEG_API int seg_dataset_set_attribute_str(seg_dataset *ds, const char *id,
                                          const char *name, const char *value);

/**
 * Add transactions in bulk from columnar arrays: one call for any number of
 * rows, so that an FFI caller pays no per-row call cost. All rows are
 * checked before any is added.
 * @param ds the dataset.
 * @param ids @p n customer ids.
 * @param times @p n times.
 * @param amounts @p n finite amounts.
 * @param n number of rows; 0 is a no-op.
 * @return as seg_dataset_add_transaction(); on failure the message names the
 *         first bad row (0-based) and nothing was added.
 * @since 0.1.0
 */
SEG_API int seg_dataset_add_transactions(seg_dataset *ds,
                                         const char *const *ids,
                                         const int64_t *times,
                                         const double *amounts, size_t n);

/**
 * Add events in bulk from columnar arrays. All rows are checked first.
 * @param ds the dataset.
 * @param ids @p n customer ids.
 * @param times @p n times.
 * @param kinds @p n event kinds.
 * @param values @p n values (NaN for none), or NULL for no values at all.
 * @param n number of rows.
 * @return as seg_dataset_add_event(); on failure nothing was added.
 * @since 0.1.0
 */
SEG_API int seg_dataset_add_events(seg_dataset *ds, const char *const *ids,
                                   const int64_t *times,
                                   const char *const *kinds,
                                   const double *values, size_t n);

/**
 * Number of transactions held.
 * @param ds the dataset; NULL gives 0.
 * @return the count.
 * @since 0.1.0
 */
SEG_API size_t seg_dataset_transaction_count(const seg_dataset *ds);

/**
 * Number of events held.
 * @param ds the dataset; NULL gives 0.
 * @return the count.
 * @since 0.1.0
 */
SEG_API size_t seg_dataset_event_count(const seg_dataset *ds);

/** @} */

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
 * With no column names given and a header present, the header is searched
 * for `customer_id`/`id`/`customer`, `time`/`date`/`timestamp`, `amount`,
 * `kind`/`event`, and `value`.
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
     *  "1", "2", ... (summary files such as donations.csv). Default 0. */
    int row_ids;
    /** 1: every column that has no role becomes an attribute column, named
     *  by the header (summary files: x, t_x, T, weights ...). Needs a
     *  header. Default 0. */
    int all_attributes;
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
 *         number); #SEG_ERANGE for a value out of range; #SEG_ENOTFOUND for
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

/** @} */

/** @name Features
 * @{ */

/**
 * Time units of duration features.
 * @since 0.1.0
 */
typedef enum seg_time_unit {
    SEG_UNIT_DAY = 1,  /**< Days. */
    SEG_UNIT_WEEK = 2  /**< Weeks of 7 days. */
} seg_time_unit;

/**
 * What seg_dataset_compute_features() computes. Initialise with
 * seg_features_options_init().
 * @since 0.1.0
 */
typedef struct seg_features_options {
    size_t size;          /**< sizeof(seg_features_options), set by init. */
    /** End of the observation period (inclusive). #SEG_TIME_NONE (default)
     *  uses the time of the latest transaction or event. */
    int64_t as_of;
    int time_unit;        /**< A #seg_time_unit; default #SEG_UNIT_DAY. */
    /** Start of a holdout period, or #SEG_TIME_NONE (default). When set, the
     *  calibration features use records before it, and the holdout columns
     *  count the records from it up to @c as_of. */
    int64_t holdout_from;
} seg_features_options;

/**
 * Initialise feature options to their defaults.
 * @param o the options; ignored when NULL.
 * @since 0.1.0
 */
SEG_API void seg_features_options_init(seg_features_options *o);

/**
 * Compute the per-customer feature columns.
 *
 * A *purchase* is a calendar day (UTC) with at least one transaction: the
 * transactions of one customer on one day count once, their amounts summed.
 * Durations are whole days between calendar days, in the chosen unit.
 * With E = the end of the calibration period (@c as_of, or the instant
 * before @c holdout_from), the columns are:
 * - `orders`: purchase days up to E; `frequency` = orders - 1 (repeat
 *   purchases);
 * - `t_x`: first to last purchase day; `T`: first purchase day to the day of
 *   E; `recency`: last purchase day to the day of E (= T - t_x);
 * - `monetary_total`: sum of amounts; `monetary_mean`: per purchase day;
 *   `monetary_repeat_mean`: mean of the repeat purchase days (0 when
 *   frequency is 0);
 * - `first_purchase`, `last_purchase`: times (epoch seconds) of the first
 *   transaction of the first and of the last purchase day;
 * - per event kind K: `events.K.count` and `events.K.last` (epoch seconds of
 *   the latest event), over events up to E;
 * - with a holdout: `holdout_orders` (purchase days in the holdout),
 *   `holdout_monetary` (their amounts) and `holdout_length` (the holdout's
 *   length in the unit, the same for every customer).
 *
 * A customer with no purchase up to E has orders = 0 and monetary_total = 0;
 * the other purchase features are missing (NaN). Computing again replaces
 * the earlier feature columns, so appending records and computing again
 * gives the same result as loading everything at once.
 * @param ds the dataset.
 * @param opts options, or NULL for the defaults.
 * @return #SEG_OK; #SEG_EINVAL for bad options (unknown unit, holdout after
 *         as_of); #SEG_EEXISTS if an attribute column has a feature's name;
 *         #SEG_ELIMIT past 2^32-1 transactions; #SEG_ENOMEM. On failure the
 *         columns are as they were.
 * @since 0.1.0
 */
SEG_API int seg_dataset_compute_features(seg_dataset *ds,
                                         const seg_features_options *opts);

/** @} */

/** @name Columns
 * @{ */

/**
 * Column types.
 * @since 0.1.0
 */
typedef enum seg_column_type {
    SEG_COLUMN_NUMERIC = 1, /**< `double`, NaN when missing. */
    SEG_COLUMN_LABEL = 2    /**< UTF-8 label, NULL when missing. */
} seg_column_type;

/**
 * Number of columns.
 * @param ds the dataset; NULL gives 0.
 * @return the count.
 * @note Thread-safe for concurrent readers.
 * @since 0.1.0
 */
SEG_API size_t seg_dataset_column_count(const seg_dataset *ds);

/**
 * Name of the i-th column, in order of creation.
 * @param ds the dataset.
 * @param i index, 0..seg_dataset_column_count()-1.
 * @return the name, borrowed from @p ds until it is next changed; NULL when
 *         out of range.
 * @note Thread-safe for concurrent readers.
 * @since 0.1.0
 */
SEG_API const char *seg_dataset_column_name(const seg_dataset *ds, size_t i);

/**
 * Type of a column.
 * @param ds the dataset.
 * @param name the column name.
 * @return #SEG_COLUMN_NUMERIC or #SEG_COLUMN_LABEL; #SEG_EINVAL for NULL
 *         arguments; #SEG_ENOTFOUND.
 * @note Thread-safe for concurrent readers.
 * @since 0.1.0
 */
SEG_API int seg_dataset_column_type(const seg_dataset *ds, const char *name);

/**
 * Read one numeric value.
 * @param ds the dataset.
 * @param column column name.
 * @param row the row.
 * @param[out] out the value (NaN when missing).
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_ENOTFOUND for an
 *         unknown column; #SEG_ERANGE for a bad row; #SEG_ETYPE for a label
 *         column.
 * @note Thread-safe for concurrent readers.
 * @since 0.1.0
 */
SEG_API int seg_dataset_get_f64(const seg_dataset *ds, const char *column,
                                size_t row, double *out);

/**
 * Read one label.
 * @param ds the dataset.
 * @param column column name.
 * @param row the row.
 * @param[out] out the label borrowed from @p ds until it is next changed, or
 *             NULL when missing.
 * @return as seg_dataset_get_f64(); #SEG_ETYPE for a numeric column.
 * @note Thread-safe for concurrent readers.
 * @since 0.1.0
 */
SEG_API int seg_dataset_get_label(const seg_dataset *ds, const char *column,
                                  size_t row, const char **out);

/**
 * Copy a numeric column into a host array.
 * @param ds the dataset.
 * @param column column name.
 * @param[out] dst receives seg_dataset_customer_count() values.
 * @param n capacity of @p dst.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_ERANGE if @p n is
 *         smaller than the customer count; #SEG_ENOTFOUND; #SEG_ETYPE.
 * @note Thread-safe for concurrent readers.
 * @since 0.1.0
 */
SEG_API int seg_dataset_copy_f64(const seg_dataset *ds, const char *column,
                                 double *dst, size_t n);

/**
 * Copy a label column into a host array of borrowed strings.
 * @param ds the dataset.
 * @param column column name.
 * @param[out] dst receives seg_dataset_customer_count() pointers, borrowed
 *             from @p ds until it is next changed (NULL when missing).
 * @param n capacity of @p dst.
 * @return as seg_dataset_copy_f64().
 * @note Thread-safe for concurrent readers.
 * @since 0.1.0
 */
SEG_API int seg_dataset_copy_labels(const seg_dataset *ds, const char *column,
                                    const char **dst, size_t n);

/**
 * Borrow a numeric column's values in place, without a copy: what bindings
 * need to show a column as, say, a numpy array.
 * @param ds the dataset (a column shorter than the customer count is first
 *        extended with missing values, hence not const).
 * @param column column name.
 * @param[out] out the values: seg_dataset_customer_count() doubles owned by
 *             @p ds, valid until @p ds is next changed or freed. Do not
 *             write through it.
 * @param[out] n receives the number of values; may be NULL.
 * @return #SEG_OK; #SEG_EINVAL; #SEG_ENOTFOUND; #SEG_ETYPE for a label
 *         column; #SEG_ENOMEM.
 * @since 0.1.0
 */
SEG_API int seg_dataset_column_data(seg_dataset *ds, const char *column,
                                    const double **out, size_t *n);

/**
 * Create or replace a numeric column from a host array (used by models and
 * plug-ins to write their outputs).
 * @param ds the dataset.
 * @param column column name: non-empty UTF-8.
 * @param src seg_dataset_customer_count() values (NaN for missing).
 * @param n number of values; must equal the customer count.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments or a wrong @p n;
 *         #SEG_EPARSE for a bad name; #SEG_ETYPE if a label column has that
 *         name; #SEG_ENOMEM.
 * @since 0.1.0
 */
SEG_API int seg_dataset_write_f64(seg_dataset *ds, const char *column,
                                  const double *src, size_t n);

/**
 * Create or replace a label column from a host array.
 * @param ds the dataset.
 * @param column column name.
 * @param src customer-count labels (UTF-8), NULL for missing.
 * @param n number of labels; must equal the customer count.
 * @return as seg_dataset_write_f64(); #SEG_EPARSE for invalid UTF-8;
 *         #SEG_ETYPE if a numeric column has that name.
 * @since 0.1.0
 */
SEG_API int seg_dataset_write_labels(seg_dataset *ds, const char *column,
                                     const char *const *src, size_t n);

/**
 * Remove a column.
 * @param ds the dataset.
 * @param column column name.
 * @return #SEG_OK; #SEG_EINVAL; #SEG_ENOTFOUND.
 * @since 0.1.0
 */
SEG_API int seg_dataset_drop_column(seg_dataset *ds, const char *column);

/** @} */

/** @name Export
 * @{ */

/**
 * Export formats.
 * @since 0.1.0
 */
typedef enum seg_format {
    /** CSV with a header; first column `customer_id`; missing values are
     *  empty fields; quoting by RFC 4180. */
    SEG_FORMAT_CSV = 1,
    /** A JSON array of objects, one per customer, with `customer_id` first;
     *  missing values are `null`. */
    SEG_FORMAT_JSON = 2,
    /** Plain text for people (explanations); not a table format. */
    SEG_FORMAT_TEXT = 3
} seg_format;

/**
 * Receives exported bytes.
 * @param data the bytes (not NUL-terminated).
 * @param len their number.
 * @param user_data the pointer given to seg_dataset_export().
 * @return 0 to go on, anything else to stop the export with #SEG_EIO.
 * @since 0.1.0
 */
typedef int (*seg_write_fn)(const char *data, size_t len, void *user_data);

/**
 * Export columns, one row per customer. Numbers are written in the C locale
 * with the fewest digits that read back to the same double.
 * @param ds the dataset.
 * @param format a #seg_format.
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
 * Export to a file, as seg_dataset_export(); the file is written to a
 * temporary name and renamed, so it is never left half-written.
 * @param ds the dataset.
 * @param format a #seg_format.
 * @param columns column names or NULL for all.
 * @param n_columns number of @p columns.
 * @param path the file to write.
 * @return as seg_dataset_export(); #SEG_EIO if the file cannot be written.
 * @since 0.1.0
 */
SEG_API int seg_dataset_export_file(const seg_dataset *ds, int format,
                                    const char *const *columns,
                                    size_t n_columns, const char *path);

/** @} */

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* SEGMENT_DATASET_H */
