/**
 * @file segment/ops.h
 * @brief Operations on tiers: the day's call list.
 */
#ifndef SEGMENT_OPS_H
#define SEGMENT_OPS_H

#include "segment/common.h"
#include "segment/dataset.h"
#include "segment/rules.h"
#include "segment/table.h"

/**
 * @defgroup seg_ops Operations
 * @brief What a CRM does with tiers day to day.
 * @{
 */

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Options of seg_rules_call_list(); initialise with
 * seg_call_list_options_init().
 * @since 0.1.0
 */
typedef struct seg_call_list_options {
    size_t size;             /**< sizeof(seg_call_list_options). */
    /** The tier column that seg_rules_apply() wrote; default "tier". */
    const char *tier_column;
    /** Ranks customers within a priority, highest first (for example
     *  CLV x p_alive); NULL for none. */
    const char *value_column;
    size_t capacity;         /**< Calls a day; 0 means no limit. */
    /** Event kind of a contact (a call); a customer is skipped while the
     *  last contact is more recent than the tier's cadence. Default
     *  "call". */
    const char *contact_kind;
    /** A column that excludes a customer when it says yes (do-not-call):
     *  a non-zero number, or a label "yes", "true", "1" or "是" (ASCII
     *  letters in any case); "no", "false", "0", "否", empty and missing
     *  say no, and any other label is #SEG_ETYPE. NULL for none. */
    const char *exclude_column;
    /** The day of the list; #SEG_TIME_NONE for the latest record. */
    int64_t as_of;
} seg_call_list_options;

/**
 * Initialise call-list options to their defaults.
 * @param o the options; ignored when NULL.
 * @since 0.1.0
 */
SEG_API void seg_call_list_options_init(seg_call_list_options *o);

/**
 * Write today's call list as CSV (rank, customer_id, tier, priority,
 * value, last_contact; texts quoted by RFC 4180 when needed): customers of tiers that have a priority, ranked by
 * priority (1 first), then by the value column, then by customer id; tiers
 * without a priority and excluded customers are left out, and so is a
 * customer contacted within the tier's cadence. The last contact is the
 * feature column `events.KIND.last` (KIND the contact kind) that
 * seg_dataset_compute_features() writes; a dataset without events of that
 * kind has no one contacted.
 * @param r the tier rule set that was applied.
 * @param ds the dataset.
 * @param opts options, or NULL for the defaults.
 * @param write receives the CSV.
 * @param user_data passed to @p write.
 * @return #SEG_OK; #SEG_EINVAL; #SEG_ENOTFOUND for a missing column,
 *         including `events.KIND.last` when the dataset has events of the
 *         contact kind but features were not computed; #SEG_ETYPE for a
 *         label of the exclusion column that says neither yes nor no;
 *         #SEG_EMISUSE for a score rule set; #SEG_EIO; #SEG_ENOMEM.
 * @since 0.1.0
 */
SEG_API int seg_rules_call_list(const seg_rules *r, const seg_dataset *ds,
                                const seg_call_list_options *opts,
                                seg_write_fn write, void *user_data);

/**
 * Today's call list as a table, the rows that seg_rules_call_list()
 * writes, in the same order and with the same rules. Columns: `rank`
 * (number, 1 first), `customer_id` (text), `tier` (text), `priority`
 * (number), `value` (number; missing without a value column or value),
 * `last_contact` (text: the day, or the time, of the last contact as
 * seg_time_format_iso() writes it; missing when none is known).
 * @param[out] out receives the table (seg_table_free()); NULL on failure.
 * @param r the tier rule set that was applied.
 * @param ds the dataset.
 * @param opts options, or NULL for the defaults.
 * @return as seg_rules_call_list(), without #SEG_EIO.
 * @note Thread-safe on a dataset that no thread changes. The table does
 *       not depend on @p r or @p ds afterwards.
 * @since 0.2.0
 */
SEG_API int seg_call_list_table(seg_table **out, const seg_rules *r,
                                const seg_dataset *ds,
                                const seg_call_list_options *opts);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* SEGMENT_OPS_H */
