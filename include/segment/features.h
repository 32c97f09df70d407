/**
 * @file segment/features.h
 * @brief Features: recency, frequency, monetary value and more, per customer.
 */
#ifndef SEGMENT_FEATURES_H
#define SEGMENT_FEATURES_H

#include "segment/common.h"
#include "segment/time.h"
#include "segment/dataset.h"

/**
 * @defgroup seg_features Features
 * @brief What seg_dataset_compute_features() derives from the records (docs/features.md).
 * @{
 */

#ifdef __cplusplus
extern "C" {
#endif

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
    /** Windows that end at the end of the calibration period E: lengths in
     *  days (1 to 36,500), the first #SEG_FEATURES_MAX_WINDOWS entries
     *  that are not 0, each at most once. For a window of N days, the
     *  local days from N-1 days before the day of E to it: `orders_Nd`
     *  (purchase days), `monetary_Nd` (net amount) and per event kind K
     *  `events.K.count_Nd`. Default: none (all 0). @since 0.2.0 */
    int windows[8];
    /** The columns the caller will read, or NULL (default) for all: of
     *  the purchase features (`orders` to `return_rate` below), only those
     *  named here are computed, each one a column of doubles less (8 bytes
     *  a customer) and its time. Other names (attributes, the windows',
     *  event kinds' or holdout columns, a model's outputs) are allowed and
     *  change nothing: windows, event kinds and the holdout have their
     *  own options. Read during the call only. @since 0.2.0 */
    const char *const *columns;
    size_t n_columns; /**< Number of @c columns. @since 0.2.0 */
} seg_features_options;

/** How many windows seg_features_options.windows holds. @since 0.2.0 */
#define SEG_FEATURES_MAX_WINDOWS 8

/**
 * Initialise feature options to their defaults.
 * @param o the options; ignored when NULL.
 * @since 0.1.0
 */
SEG_API void seg_features_options_init(seg_features_options *o);

/**
 * Compute the per-customer feature columns.
 *
 * A *purchase* is a calendar day of the dataset's time zone
 * (seg_dataset_set_timezone(); UTC by default) with at least one
 * transaction: the transactions of one customer on one day count once,
 * their amounts summed. A negative amount is a return: a day whose net
 * amount is negative, or zero because of returns, is no purchase (a day
 * of $0 orders is one); monetary columns are net (docs/features.md).
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
 * - `first_purchase`, `last_purchase`: times (epoch seconds, of kind
 *   #SEG_KIND_TIMESTAMP, which exports write as ISO 8601) of the first
 *   transaction of the first and of the last purchase day;
 * - `returns`: days up to E with a negative amount (a return);
 *   `returned_amount`: the negative amounts' sum, positive; `return_rate`:
 *   returned_amount over the gross (non-negative) amounts, NaN without
 *   any;
 * - per event kind K: `events.K.count` and `events.K.last` (epoch seconds of
 *   the latest event), over events up to E;
 * - per window of N days (seg_features_options.windows): `orders_Nd`,
 *   `monetary_Nd` and `events.K.count_Nd`, over the N local days that end
 *   with the day of E;
 * - with a holdout: `holdout_orders` (purchase days in the holdout),
 *   `holdout_monetary` (their amounts) and `holdout_length` (the holdout's
 *   length in the unit, the same for every customer).
 *
 * A customer with no purchase up to E has orders = 0 and monetary_total the
 * net of its returns (0 without any);
 * the other purchase features are missing (NaN). Computing again replaces
 * the earlier feature columns, so appending records and computing again
 * gives the same result as loading everything at once; an earlier feature
 * column that this computation does not give (seg_features_options.columns
 * leaves it out, or there is no holdout this time) is dropped, never left
 * as it was.
 * @param ds the dataset.
 * @param opts options, or NULL for the defaults.
 * @return #SEG_OK; #SEG_EINVAL for bad options (unknown unit, holdout after
 *         as_of, a window out of range or given twice, a NULL entry of
 *         @c columns, or NULL @c columns with @c n_columns set); #SEG_ERANGE when a customer's sum of amounts is beyond a
 *         double (the message names the customer); #SEG_EEXISTS if an attribute column has a feature's name;
 *         #SEG_ELIMIT past 2^32-1 transactions; #SEG_EMISUSE on a
 *         features-only dataset (seg_dataset_set_features_only()) asked for
 *         what it cannot give; #SEG_ENOMEM. On failure the columns are as
 *         they were.
 * @since 0.1.0
 */
SEG_API int seg_dataset_compute_features(seg_dataset *ds,
                                         const seg_features_options *opts);

/**
 * Make @p ds a features-only dataset: every transaction added from now on
 * is folded into its customer's totals (purchase days, sums, first and
 * last purchase) instead of being stored, so that a job that needs only
 * the features keeps about 128 bytes a customer instead of 20 bytes a
 * transaction. seg_dataset_compute_features() then gives the same columns,
 * bit for bit, as it would with the records stored, for the transactions
 * in any order within each customer's day; it can be called once, for
 * the calibration end @p as_of (or, with #SEG_TIME_NONE, the latest time
 * added), without windows or a holdout, and the totals are given back as
 * the features are written. Transactions after @p as_of are left out.
 *
 * What such a dataset cannot do, it refuses with #SEG_EMISUSE and a
 * message, never a wrong answer: features for another end, with windows
 * or a holdout, or a second time; features when some customer had a
 * transaction of an earlier day added after one of a later day (the
 * message names the customer: load again, keeping the records); and every
 * call that reads the transactions themselves (snapshots, ladders,
 * campaigns, reclaim, the engagement and stage models, the purchase
 * models' diagnostics). Events and attributes are stored as usual.
 * seg_dataset_transaction_count() counts the transactions added.
 * @param ds the dataset, with no transactions yet.
 * @param as_of the end of the calibration period the features will be
 *        computed for (epoch seconds), or #SEG_TIME_NONE for all.
 * @return #SEG_OK; #SEG_EINVAL if @p ds is NULL; #SEG_EMISUSE if @p ds has
 *         transactions, is features-only already or is inside a load;
 *         #SEG_ENOMEM.
 * @note Not thread-safe on @p ds (it changes the handle).
 * @since 0.2.0
 */
SEG_API int seg_dataset_set_features_only(seg_dataset *ds, int64_t as_of);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* SEGMENT_FEATURES_H */
