/**
 * @file segment/dataset.h
 * @brief The customer dataset: customers, records and columns.
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
 * @return never NULL ("no error" when no call has failed): the calling
 *         thread's copy of the message, taken when called. It stays valid
 *         and unchanged until the same thread calls seg_dataset_errmsg()
 *         again or exits, whatever other threads do with @p ds meanwhile;
 *         copy it to keep it longer.
 * @note Thread-safe: threads failing on a shared @p ds while others read
 *       its message do not race (each reader has its own copy). Prefer it
 *       to seg_errmsg() where callers move between threads.
 * @since 0.1.0
 */
SEG_API const char *seg_dataset_errmsg(const seg_dataset *ds);

/**
 * Set how many threads seg_dataset_load_csv(),
 * seg_dataset_compute_features() and seg_dataset_export() may use on
 * @p ds. The calling thread is
 * one of them; the others are started for the call and joined before it
 * returns. The results do not depend on the number of threads.
 * @param ds the dataset.
 * @param threads 1 for the calling thread alone; 0 (the default) for as
 *        many as the machine has online processors, with fewer on small
 *        inputs; at most 64. Under an address-space limit (RLIMIT_AS,
 *        `ulimit -v`) fewer are used where each would not have room, and
 *        a load that runs out of memory on several threads is tried once
 *        more on the calling thread alone.
 * @return #SEG_OK; #SEG_EINVAL if @p ds is NULL or @p threads is out of
 *         range.
 * @note Not thread-safe on @p ds (it changes the handle).
 * @since 0.1.0
 */
SEG_API int seg_dataset_set_threads(seg_dataset *ds, int threads);

/**
 * Report the progress of long calls on @p ds, and let them be stopped.
 *
 * Every call that loads into @p ds, computes its features, fits or scores
 * a model on it, applies rules to it or exports it calls @p fn as
 * #seg_progress_fn says; when @p fn returns non-zero the call stops with
 * #SEG_ECANCELED and leaves @p ds, the model and the rules exactly as they
 * were: a load adds nothing, features and scores write no column, a fit
 * keeps the model's earlier state (unfitted, or the earlier fit), an export
 * to a file leaves no file (one to a #seg_write_fn may have written part).
 * A dataset holds the callback (rather than an options struct per call) so
 * that models and rule sets, whose calls take no options, report through
 * the one the host installed where the data are.
 * @param ds the dataset.
 * @param fn the callback, or NULL to stop reporting (the default).
 * @param user_data passed to @p fn; the library does not own it.
 * @return #SEG_OK; #SEG_EINVAL if @p ds is NULL.
 * @note Not thread-safe on @p ds (it changes the handle). @p fn is called
 *       on the thread that made each call; when several threads read @p ds
 *       at once (fits, exports), it may be called from each of them at the
 *       same time, and must then be thread-safe itself.
 * @since 0.2.0
 */
SEG_API int seg_dataset_set_progress(seg_dataset *ds, seg_progress_fn fn,
                                     void *user_data);

/**
 * Set the dataset's business time zone: the zone whose calendar days are
 * purchase days, in which a date means that local day ("a date means the
 * end of that day" for seg_dataset_parse_time() with
 * #SEG_TIME_END_OF_DAY), in which loaded times without an offset are local
 * times, and in which exports write timestamps. The default is UTC.
 *
 * Set it before loading: times already loaded stay the instants they were
 * read as; features computed after the change use the new zone.
 * @param ds the dataset.
 * @param zone a fixed offset ("+08:00", "+0800", "-05", "UTC", "Z"), or an
 *        IANA name ("Asia/Shanghai") read from the system's tz database
 *        ($TZDIR, else /usr/share/zoneinfo); NULL for UTC. Copied.
 * @return #SEG_OK; #SEG_EINVAL if @p ds is NULL; #SEG_ENOTFOUND for a zone
 *         the tz database does not have; #SEG_EPARSE for a name that is not
 *         a zone or an unreadable zone file; #SEG_ENOMEM. On failure the
 *         zone is as it was.
 * @note Not thread-safe on @p ds (it changes the handle).
 * @since 0.2.0
 */
SEG_API int seg_dataset_set_timezone(seg_dataset *ds, const char *zone);

/**
 * The dataset's business time zone, as it was given to
 * seg_dataset_set_timezone().
 * @param ds the dataset; NULL gives "UTC".
 * @return the zone's name, borrowed from @p ds until its zone is next set
 *         or it is freed; "UTC" by default. Never NULL.
 * @note Thread-safe for concurrent readers.
 * @since 0.2.0
 */
SEG_API const char *seg_dataset_timezone(const seg_dataset *ds);

/**
 * Parse a time as seg_time_parse() does, in the dataset's time zone: a date
 * or date-time without an offset is local time there (a date alone is the
 * start of that local day, or its last second with #SEG_TIME_END_OF_DAY);
 * a time with an offset (`Z`, `+08:00`) and epoch seconds are instants as
 * they are. Where a change of offset skips a local time, it is taken as
 * the time the same distance past the change (02:30 on a night the clocks
 * go from 02:00 to 03:00 is 03:30); where it repeats one, the earlier.
 * In UTC the result is that of seg_time_parse().
 * @param ds the dataset.
 * @param[out] out the time in epoch seconds; unchanged on failure.
 * @param s the text; it need not be NUL-terminated.
 * @param len number of bytes of @p s.
 * @param format a #seg_time_format, optionally with #SEG_TIME_END_OF_DAY.
 * @return #SEG_OK; #SEG_EINVAL for a NULL pointer or an unknown format;
 *         #SEG_EPARSE for text that is not a time; #SEG_ERANGE.
 * @note Thread-safe for concurrent readers.
 * @since 0.2.0
 */
SEG_API int seg_dataset_parse_time(const seg_dataset *ds, int64_t *out,
                                   const char *s, size_t len, int format);

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
 * Set a numeric attribute for many customers at once: as many calls of
 * seg_dataset_set_attribute_f64(), one per element, would, but all or
 * nothing. Customers not yet in the dataset are added; when an id appears
 * twice, its last value stays.
 * @param ds the dataset.
 * @param name column name: non-empty UTF-8. A column of that name that
 *             exists must be numeric; otherwise one is added.
 * @param ids @p n customer ids (see seg_dataset_add_customer()); they are
 *            read during the call only.
 * @param values @p n values; NaN marks a value missing.
 * @param n number of elements; 0 checks @p name and changes nothing.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments (an id included);
 *         #SEG_EPARSE for a bad id or name; #SEG_ETYPE if @p name is a
 *         label column; #SEG_ELIMIT; #SEG_ENOMEM. On failure the dataset is
 *         exactly as it was, and the message of an element names its
 *         0-based index ("row 3: customer id is empty").
 * @note Not thread-safe on @p ds (it changes the dataset).
 * @since 0.2.0
 */
SEG_API int seg_dataset_set_attributes_f64(seg_dataset *ds, const char *name,
                                           const char *const *ids,
                                           const double *values, size_t n);

/**
 * Set a text attribute for many customers at once: as many calls of
 * seg_dataset_set_attribute_str() would, but all or nothing; as
 * seg_dataset_set_attributes_f64().
 * @param ds the dataset.
 * @param name column name: non-empty UTF-8. A column of that name that
 *             exists must be a label column; otherwise one is added.
 * @param ids @p n customer ids, read during the call only.
 * @param values @p n labels (UTF-8), each NULL for a missing value; copied.
 * @param n number of elements; 0 checks @p name and changes nothing.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments (an id included);
 *         #SEG_EPARSE for a bad id or name or a label that is not UTF-8;
 *         #SEG_ETYPE if @p name is a numeric column; #SEG_ELIMIT;
 *         #SEG_ENOMEM. On failure the dataset is exactly as it was, and the
 *         message of an element names its 0-based index.
 * @note Not thread-safe on @p ds (it changes the dataset).
 * @since 0.2.0
 */
SEG_API int seg_dataset_set_attributes_str(seg_dataset *ds, const char *name,
                                           const char *const *ids,
                                           const char *const *values,
                                           size_t n);

/**
 * Add transactions in bulk from columnar arrays: one call for any number of
 * rows, so that an FFI caller pays no per-row call cost. All or nothing:
 * when one row is bad, none is added. The checks and messages are those of
 * a loaded file's values (seg_dataset_load_csv()).
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
 * Add events in bulk from columnar arrays. All or nothing, with the checks
 * of seg_dataset_add_transactions().
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
 * Add one transaction with a category (a product category: docs/csv.md,
 * "Categories"); as seg_dataset_add_transaction() otherwise.
 * @param ds the dataset.
 * @param id customer id.
 * @param time the time of the purchase.
 * @param amount its value; any finite number.
 * @param category the category: UTF-8 without '|' (which separates the
 *                 items of a list); blanks around it are dropped; NULL or
 *                 blank for none. Copied (interned).
 * @return as seg_dataset_add_transaction(); #SEG_EPARSE also for a bad
 *         category. On failure nothing was added.
 * @note Not thread-safe on @p ds (it changes the dataset).
 * @since 0.2.0
 */
SEG_API int seg_dataset_add_transaction_cat(seg_dataset *ds, const char *id,
                                            int64_t time, double amount,
                                            const char *category);

/**
 * Add transactions with their categories in bulk: as
 * seg_dataset_add_transactions(), all or nothing, with a category per row.
 * A dataset that never gets a category keeps no memory for them.
 * @param ds the dataset.
 * @param ids @p n customer ids.
 * @param times @p n times.
 * @param amounts @p n finite amounts.
 * @param categories @p n categories (each NULL or blank for none, see
 *                   seg_dataset_add_transaction_cat()), or NULL for none
 *                   at all; read during the call only.
 * @param n number of rows; 0 is a no-op.
 * @return as seg_dataset_add_transaction_cat(); on failure the message
 *         names the first bad row (0-based) and nothing was added.
 * @note Not thread-safe on @p ds (it changes the dataset).
 * @since 0.2.0
 */
SEG_API int seg_dataset_add_transactions_cat(seg_dataset *ds,
                                             const char *const *ids,
                                             const int64_t *times,
                                             const double *amounts,
                                             const char *const *categories,
                                             size_t n);

/**
 * Add one event with a category (a page or product category); as
 * seg_dataset_add_event() otherwise.
 * @param ds the dataset.
 * @param id customer id.
 * @param time the time of the event.
 * @param kind the event kind: a non-empty UTF-8 string.
 * @param value an optional value; NaN for none.
 * @param category as for seg_dataset_add_transaction_cat(); NULL for none.
 * @return as seg_dataset_add_event(); #SEG_EPARSE also for a bad category.
 *         On failure nothing was added.
 * @note Not thread-safe on @p ds (it changes the dataset).
 * @since 0.2.0
 */
SEG_API int seg_dataset_add_event_cat(seg_dataset *ds, const char *id,
                                      int64_t time, const char *kind,
                                      double value, const char *category);

/**
 * Add events with their categories in bulk: as seg_dataset_add_events(),
 * all or nothing, with a category per row.
 * @param ds the dataset.
 * @param ids @p n customer ids.
 * @param times @p n times.
 * @param kinds @p n event kinds.
 * @param values @p n values (NaN for none), or NULL for no values at all.
 * @param categories @p n categories (each NULL or blank for none), or NULL
 *                   for none at all; read during the call only.
 * @param n number of rows.
 * @return as seg_dataset_add_event_cat(); on failure the message names the
 *         first bad row (0-based) and nothing was added.
 * @note Not thread-safe on @p ds (it changes the dataset).
 * @since 0.2.0
 */
SEG_API int seg_dataset_add_events_cat(seg_dataset *ds,
                                       const char *const *ids,
                                       const int64_t *times,
                                       const char *const *kinds,
                                       const double *values,
                                       const char *const *categories,
                                       size_t n);

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
 * What the numbers of a numeric column mean: a point in time, a duration
 * in a unit, a count or an amount of money. The column's type stays
 * #SEG_COLUMN_NUMERIC whatever its kind; the kind tells exports how to
 * write it (a timestamp as ISO 8601) and hosts how to show it.
 * @since 0.2.0
 */
typedef enum seg_column_kind {
    SEG_KIND_NONE = 0,      /**< Nothing known: a plain number, or a label. */
    SEG_KIND_TIMESTAMP = 1, /**< Epoch seconds: `first_purchase` ... */
    SEG_KIND_DAYS = 2,      /**< A duration in days: `recency` ... */
    SEG_KIND_WEEKS = 3,     /**< A duration in weeks of 7 days. */
    SEG_KIND_COUNT = 4,     /**< A count: `orders`, `frequency` ... */
    SEG_KIND_AMOUNT = 5     /**< Money, in the input's currency. */
} seg_column_kind;

/**
 * The kind of a column (see docs/features.md for the features' kinds).
 * @param ds the dataset.
 * @param name the column name.
 * @return a #seg_column_kind (#SEG_KIND_NONE for label columns and for
 *         columns nobody marked); #SEG_EINVAL for NULL arguments;
 *         #SEG_ENOTFOUND.
 * @note Thread-safe for concurrent readers.
 * @since 0.2.0
 */
SEG_API int seg_dataset_column_kind(const seg_dataset *ds, const char *name);

/**
 * Mark what a numeric column's numbers mean, for a column a host or a
 * plug-in writes (a timestamp it computed, say). Writing the column again
 * with seg_dataset_write_f64() makes it #SEG_KIND_NONE again.
 * @param ds the dataset.
 * @param name the column name.
 * @param kind a #seg_column_kind.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments or an unknown kind;
 *         #SEG_ENOTFOUND; #SEG_ETYPE for a label column (other than
 *         #SEG_KIND_NONE).
 * @note Not thread-safe on @p ds.
 * @since 0.2.0
 */
SEG_API int seg_dataset_set_column_kind(seg_dataset *ds, const char *name,
                                        int kind);

/**
 * The name of a column kind: "none", "timestamp", "days", "weeks",
 * "count" or "amount".
 * @param kind a #seg_column_kind.
 * @return a static string; NULL for an unknown kind.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API const char *seg_column_kind_name(int kind);

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

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* SEGMENT_DATASET_H */
