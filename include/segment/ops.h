/**
 * @file segment/ops.h
 * @brief Operations on tiers: the day's call list, snapshots and
 *        migration, membership ladders, holdout groups, the evaluation
 *        of campaigns by tier and the reclaim of neglected leads to the
 *        pool.
 */
#ifndef SEGMENT_OPS_H
#define SEGMENT_OPS_H

#include "segment/common.h"
#include "segment/dataset.h"
#include "segment/features.h"
#include "segment/model.h"
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

/* ---- snapshots and migration ---- */

/**
 * Opaque result of seg_snapshots_run(): the analysis dates and every
 * customer's tier at each, for transition tables.
 * @since 0.2.0
 */
typedef struct seg_snapshots seg_snapshots;

/**
 * Options of seg_snapshots_run(); initialise with
 * seg_snapshot_options_init().
 * @since 0.2.0
 */
typedef struct seg_snapshot_options {
    size_t size;             /**< sizeof(seg_snapshot_options). */
    /** The features computed at each date: these options with `as_of`
     *  set to the date; NULL for the defaults. A holdout is refused. */
    const seg_features_options *features;
    /** The tier column whose history is kept: the output of one of the
     *  rule sets; NULL for the first rule set's. */
    const char *tier_column;
    /** Hysteresis on entering a tier: "TIER=N" (the tier's condition
     *  must hold at N consecutive snapshots, this one included) or
     *  "TIER=Nd" (it must have held from a snapshot at least N days
     *  before this one), comma-separated; `*` names every tier. NULL
     *  for none. */
    const char *enter_hold;
    /** Hysteresis on leaving, in the same spelling: a customer leaves
     *  the tier only when its condition has failed that long. NULL for
     *  none. */
    const char *leave_hold;
} seg_snapshot_options;

/**
 * Initialise snapshot options to their defaults.
 * @param o the options; ignored when NULL.
 * @since 0.2.0
 */
SEG_API void seg_snapshot_options_init(seg_snapshot_options *o);

/**
 * Run models and rule sets at several analysis dates over one dataset,
 * without reloading it. At each date, in order: the features at that
 * date, each model fitted there and scored (a model fitted before the
 * call is a fixed model: scored only), then the rule sets applied in
 * order. The tier column's value at each date goes through the
 * hysteresis of the options, and a customer whose first transaction or
 * event comes after a date has no tier there (missing), whatever the
 * rules say.
 *
 * With T the tier column, the columns written are `T@DATE` per date
 * (DATE the local day, YYYY-MM-DD), `T` (the tier at the last date),
 * `T.previous` (the tier at the snapshot before; missing at the first
 * date) and `T.changed` (timestamp: the snapshot since which the customer
 * has had its tier; missing without one). Before each date's rule sets
 * run, `T.previous` and `T.changed` hold the values of the snapshot
 * before, so that rules read them (`previous(T)` in a rule is
 * `T.previous`). The features, model outputs and other rule sets'
 * columns are those of the last date; `T.rule` is the rule that matched
 * there before the hysteresis.
 * @param[out] out receives the history (seg_snapshots_free()); NULL on
 *        failure. May be NULL when only the columns are wanted.
 * @param ds the dataset.
 * @param dates the analysis dates, increasing, each on a later local day
 *        than the one before.
 * @param n_dates how many (1 to 1000).
 * @param models the models (fitted at each date unless fitted before).
 * @param n_models how many; 0 for none.
 * @param rules the rule sets, applied in order at each date.
 * @param n_rules how many (at least 1).
 * @param opts options, or NULL for the defaults.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments, dates not increasing,
 *         no rule set or a holdout in the features; #SEG_EPARSE for bad
 *         hold text; #SEG_ENOTFOUND for a tier column no rule set writes
 *         or a hold tier the rule set does not have; #SEG_ELIMIT; an
 *         error of a feature computation, fit, score or rule set;
 *         #SEG_ENOMEM. On failure the dataset is unchanged (message on
 *         @p ds).
 * @note Not thread-safe on @p ds or the models; the rule sets may be
 *       shared.
 * @since 0.2.0
 */
SEG_API int seg_snapshots_run(seg_snapshots **out, seg_dataset *ds,
                              const int64_t *dates, size_t n_dates,
                              seg_model *const *models, size_t n_models,
                              const seg_rules *const *rules, size_t n_rules,
                              const seg_snapshot_options *opts);

/**
 * Release a history.
 * @param s the history; NULL is a no-op.
 * @since 0.2.0
 */
SEG_API void seg_snapshots_free(seg_snapshots *s);

/**
 * The number of analysis dates of a history.
 * @param s the history; NULL gives 0.
 * @return the count.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API size_t seg_snapshots_count(const seg_snapshots *s);

/**
 * An analysis date of a history.
 * @param s the history.
 * @param i 0 .. seg_snapshots_count() - 1.
 * @return the date, or #SEG_TIME_NONE for NULL or @p i out of range.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API int64_t seg_snapshots_date(const seg_snapshots *s, size_t i);

/**
 * The column of a date's tiers, `T@YYYY-MM-DD`.
 * @param s the history.
 * @param i 0 .. seg_snapshots_count() - 1.
 * @return the name, borrowed from @p s; NULL for NULL or @p i out of
 *         range.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API const char *seg_snapshots_column(const seg_snapshots *s, size_t i);

/**
 * The migration between two snapshots: one row per from-tier and
 * to-tier that some customer took, from-tiers in the order the rule set's
 * tiers first appeared, customers without a tier at the earlier date
 * (new customers) last. Columns: `from` and `to` (text; missing for no
 * tier), `customers`, `revenue` (the net amount of their transactions
 * after the earlier date up to the later one), and `share` (customers over
 * the from-tier's customers).
 * @param[out] out receives the table (seg_table_free()); NULL on failure.
 * @param s the history.
 * @param ds the dataset it was run on (for the revenue).
 * @param from the earlier date's index.
 * @param to the later date's index, above @p from.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments or a dataset whose
 *         customers are not those of the run; #SEG_ERANGE for indices out
 *         of range or not in order; #SEG_ENOMEM (message on @p ds, or the
 *         thread's when @p ds is NULL).
 * @note Thread-safe on a dataset that no thread changes.
 * @since 0.2.0
 */
SEG_API int seg_snapshots_transition_table(seg_table **out,
                                           const seg_snapshots *s,
                                           const seg_dataset *ds,
                                           size_t from, size_t to);

/* ---- membership ladders (会员等级) ---- */

/**
 * Opaque membership ladder: growth points (成长值) earned from purchases
 * and events, tiers by point thresholds, a validity period and the points
 * that keep a tier for another period (保级). docs/operations.md gives the
 * definition's text format and the replay's rules.
 * @since 0.2.0
 */
typedef struct seg_ladder seg_ladder;

/**
 * Read a ladder definition: lines of `name = PREFIX`, `period = 365d`
 * (days, `52w` weeks, or `none`), `points amount = N` (points per unit of
 * amount; a return's negative amount subtracts), `points event KIND = N`
 * (points per event of the kind), and `tier NAME = POINTS [keep POINTS]`
 * by rising threshold, the first at 0; `#` starts a comment.
 * @param[out] out receives the ladder (seg_ladder_free()); NULL on
 *        failure.
 * @param text the definition, UTF-8 (need not be NUL-terminated).
 * @param len bytes of @p text (at most 1 MiB).
 * @param name a name for messages, such as the file name; NULL for
 *        "<ladder>".
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_EPARSE with
 *         `name:line: what is wrong` in seg_errmsg(); #SEG_ELIMIT;
 *         #SEG_ENOMEM.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API int seg_ladder_parse(seg_ladder **out, const char *text, size_t len,
                             const char *name);

/**
 * A shipped ladder: "fitness", the 健身俱乐部 ladder (入门级 / 活跃级 /
 * 忠实级 / VIP级 by fees and participation: check-in, class and referral
 * events).
 * @param[out] out receives the ladder (seg_ladder_free()); NULL on
 *        failure.
 * @param name the preset's name.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_ENOTFOUND for an
 *         unknown name; #SEG_ENOMEM.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API int seg_ladder_preset(seg_ladder **out, const char *name);

/**
 * The definition text of a shipped ladder, to print or start from.
 * @param name the preset's name.
 * @return static text, or NULL for an unknown name or NULL.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API const char *seg_ladder_preset_text(const char *name);

/**
 * Release a ladder.
 * @param l the ladder; NULL is a no-op.
 * @since 0.2.0
 */
SEG_API void seg_ladder_free(seg_ladder *l);

/**
 * Message of the last failure of a call on @p l.
 * @param l the ladder; NULL gives the calling thread's message.
 * @return never NULL ("no error" if none): the calling thread's copy,
 *         valid until the same thread calls this again.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API const char *seg_ladder_errmsg(const seg_ladder *l);

/**
 * The prefix of the columns that seg_ladder_apply() writes.
 * @param l the ladder.
 * @return the `name` of the definition ("ladder" by default), borrowed
 *         from @p l; "ladder" when @p l is NULL.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API const char *seg_ladder_prefix(const seg_ladder *l);

/**
 * Replay each customer's history up to @p as_of and write the ladder's
 * columns, `P.tier` (label), `P.tier_start` and `P.tier_end` (timestamps;
 * the end is missing for the entry tier or without a period), `P.points`
 * (the growth points), `P.period_points` (points since the tier's period
 * began, what keeps the tier), `P.to_next` (points to the next tier;
 * missing at the top) and `P.to_keep` (points still needed this period to
 * keep the tier; missing for the entry tier), P being
 * seg_ladder_prefix(). The same data always gives the same columns.
 * @param l the ladder.
 * @param ds the dataset; its records after @p as_of are not read.
 * @param as_of the analysis time; #SEG_TIME_NONE for the latest record.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_ETYPE when a
 *         column of one of the names exists with another type;
 *         #SEG_ELIMIT; #SEG_ENOMEM. On failure no column was added
 *         (message on @p l).
 * @note Not thread-safe on @p ds; @p l may be shared.
 * @since 0.2.0
 */
SEG_API int seg_ladder_apply(const seg_ladder *l, seg_dataset *ds,
                             int64_t as_of);

/**
 * The points ledger: every earning record and every change of tier, in
 * the order of the replay. Columns: `customer_id`, `time` (text, ISO 8601
 * in the dataset's zone), `source` (`purchase`, `return`, an event kind,
 * `upgrade`, `renewal` or `downgrade`), `points` (earned; for a downgrade
 * the points cut from the balance), `balance`, `period_points`, `tier`,
 * `tier_end` (text; missing for no expiry).
 * @param[out] out receives the table (seg_table_free()); NULL on failure.
 * @param l the ladder.
 * @param ds the dataset.
 * @param as_of as for seg_ladder_apply().
 * @param customer_id one customer's ledger, or NULL for every customer's.
 * @return #SEG_OK; #SEG_EINVAL; #SEG_ENOTFOUND for an unknown customer;
 *         #SEG_ELIMIT; #SEG_ENOMEM (message on @p l).
 * @note Thread-safe on a dataset that no thread changes.
 * @since 0.2.0
 */
SEG_API int seg_ladder_ledger_table(seg_table **out, const seg_ladder *l,
                                    const seg_dataset *ds, int64_t as_of,
                                    const char *customer_id);

/* ---- control groups and campaign evaluation ---- */

/**
 * The holdout draw of a customer: a number in [0, 1) from the seed and the
 * id alone, so that any system can assign the same groups. It is the top
 * 53 bits of h over 2^53, where h is the 64-bit FNV-1a hash of the bytes
 * of the seed in decimal, ':' and the id, passed through MurmurHash3's
 * 64-bit finaliser (docs/operations.md spells it out).
 * @param seed the campaign's seed.
 * @param id the customer id (UTF-8 bytes).
 * @param len bytes of @p id.
 * @return the draw; a customer is held out when it is below the share.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API double seg_holdout_draw(uint64_t seed, const char *id, size_t len);

/**
 * Options of seg_dataset_assign_holdout(); initialise with
 * seg_holdout_options_init().
 * @since 0.2.0
 */
typedef struct seg_holdout_options {
    size_t size;             /**< sizeof(seg_holdout_options). */
    uint64_t seed;           /**< The campaign's seed; default 0. */
    double share;            /**< Share held out (0 to 1); default 0.1. */
    /** A label column (the tiers) for shares by tier; NULL for none. */
    const char *tier_column;
    /** Shares by tier, "TIER=SHARE,TIER=SHARE"; tiers not named, and
     *  customers without a tier, get @ref share. NULL for none. */
    const char *shares;
    /** The numeric column written: 1 treated, 0 held out; default
     *  "treatment". */
    const char *column;
} seg_holdout_options;

/**
 * Initialise holdout options to their defaults.
 * @param o the options; ignored when NULL.
 * @since 0.2.0
 */
SEG_API void seg_holdout_options_init(seg_holdout_options *o);

/**
 * Assign each customer to the campaign (1) or to the control group held
 * out of it (0): held out when seg_holdout_draw() of the seed and id is
 * below the share of the customer's tier.
 * @param ds the dataset.
 * @param opts options, or NULL for the defaults.
 * @return #SEG_OK; #SEG_EINVAL; #SEG_ERANGE for a share outside 0 to 1;
 *         #SEG_EPARSE for bad shares text; #SEG_ENOTFOUND for a missing
 *         tier column or a tier not in it; #SEG_ETYPE when the column
 *         exists as labels; #SEG_ENOMEM. On failure the dataset is
 *         unchanged (message on @p ds).
 * @note Not thread-safe on @p ds.
 * @since 0.2.0
 */
SEG_API int seg_dataset_assign_holdout(seg_dataset *ds,
                                       const seg_holdout_options *opts);

/**
 * Options of seg_campaign_table(); initialise with
 * seg_campaign_options_init().
 * @since 0.2.0
 */
typedef struct seg_campaign_options {
    size_t size;             /**< sizeof(seg_campaign_options). */
    /** Numeric column: 1 treated, 0 control, missing for neither; default
     *  "treatment". */
    const char *treatment_column;
    /** Label column of the tiers; NULL for the whole base only. */
    const char *tier_column;
    /** The campaign's time: the outcome window begins after it (a date
     *  read with #SEG_TIME_END_OF_DAY is the end of that day). Required. */
    int64_t campaign_date;
    /** Days of the outcome window; default 30. */
    double window_days;
    /** Level of the intervals, and 1 - it the level of the tests; default
     *  0.95. */
    double confidence;
} seg_campaign_options;

/**
 * Initialise campaign options to their defaults.
 * @param o the options; ignored when NULL.
 * @since 0.2.0
 */
SEG_API void seg_campaign_options_init(seg_campaign_options *o);

/**
 * Treated against control, per tier and for everyone (the last row,
 * tier `(all)`). With a tier column, `(all)` is stratified by tier: each
 * tier's rates, means and differences weighted by its share of the
 * customers (tiers with fewer than 2 customers in an arm left out), so
 * that shares held out that differ by tier do not bias it; its variances
 * add over the tiers, and the revenue's degrees of freedom are
 * Welch-Satterthwaite's over them. Without one, `(all)` is the plain
 * two-sample comparison. A customer's revenue is the net amount of the
 * transactions in (campaign_date, campaign_date + window]; a conversion is
 * a revenue above 0. Columns: `tier`, `treated`, `control` (counts),
 * `conv_treated`, `conv_control` (rates), `conv_uplift` (treated minus
 * control), `conv_low`, `conv_high` (the unpooled Wald interval),
 * `conv_p` (the pooled two-proportion z-test, two-sided),
 * `revenue_treated`, `revenue_control` (per customer), `revenue_uplift`,
 * `revenue_low`, `revenue_high`, `revenue_df` (Welch-Satterthwaite),
 * `revenue_p` (Welch's t-test, two-sided), and `verdict` (text:
 * "conversion higher", "revenue per customer lower", "no clear
 * difference", "too few customers to judge" ...). Numbers the data cannot
 * give (no variance, fewer than 2 customers in an arm) are missing.
 * @param[out] out receives the table (seg_table_free()); NULL on failure.
 * @param ds the dataset.
 * @param opts options; the campaign date is required.
 * @return #SEG_OK; #SEG_EINVAL (no date); #SEG_ENOTFOUND for a missing
 *         column; #SEG_ERANGE for a treatment other than 0, 1 or missing,
 *         or a window or confidence out of range; #SEG_ENOMEM (message on
 *         @p ds).
 * @note Thread-safe on a dataset that no thread changes.
 * @since 0.2.0
 */
SEG_API int seg_campaign_table(seg_table **out, const seg_dataset *ds,
                               const seg_campaign_options *opts);

/* ---- lead-pool reclaim (公海规则) ---- */

/**
 * Opaque lead-pool reclaim: who owns each lead, what counts as a follow-up
 * and as a deal, the rules that return a neglected lead to the shared pool
 * (公海), the reminder before they fire, the hold cap per owner and the
 * lock-out of the previous owner. docs/operations.md gives the
 * definition's text format and the order in which the rules apply.
 * @since 0.2.0
 */
typedef struct seg_reclaim seg_reclaim;

/**
 * Read a reclaim definition: lines of `name = PREFIX`, `owner = COLUMN`
 * (the owner's label column, default `owner`), `owner_since = COLUMN`
 * (the assignment date, or `none`), `assigned = KIND` (an event of an
 * assignment), `released = KIND` (events `KIND:OWNER` of earlier
 * reclaims), `followup = KIND ...`, `deal = transaction`, `deal = event
 * KIND ...`, `rule NAME = no followup in DAYS`, `rule NAME = no deal in
 * DAYS` (days as `15d` or weeks as `2w`), `reminder = DAYS`, `cap = N`
 * and `lockout = DAYS` (each also `none`); `#` starts a comment.
 * @param[out] out receives the definition (seg_reclaim_free()); NULL on
 *        failure.
 * @param text the definition, UTF-8 (need not be NUL-terminated).
 * @param len bytes of @p text (at most 1 MiB).
 * @param name a name for messages, such as the file name; NULL for
 *        "<reclaim>".
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_EPARSE with
 *         `name:line:column: what is wrong` in seg_errmsg(); #SEG_ELIMIT;
 *         #SEG_ENOMEM.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API int seg_reclaim_parse(seg_reclaim **out, const char *text,
                              size_t len, const char *name);

/**
 * A shipped definition: "standard", 15 days without a follow-up (call,
 * visit, email, meeting) or 60 days without a deal (a purchase or a
 * `deal` event) since assignment, a reminder 3 days before, a cap of 200
 * leads per owner and a lock-out of 30 days.
 * @param[out] out receives the definition (seg_reclaim_free()); NULL on
 *        failure.
 * @param name the preset's name.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_ENOTFOUND for an
 *         unknown name; #SEG_ENOMEM.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API int seg_reclaim_preset(seg_reclaim **out, const char *name);

/**
 * The definition text of a shipped reclaim, to print or start from.
 * @param name the preset's name.
 * @return static text, or NULL for an unknown name or NULL.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API const char *seg_reclaim_preset_text(const char *name);

/**
 * Release a reclaim definition.
 * @param r the definition; NULL is a no-op.
 * @since 0.2.0
 */
SEG_API void seg_reclaim_free(seg_reclaim *r);

/**
 * Message of the last failure of a call on @p r.
 * @param r the definition; NULL gives the calling thread's message.
 * @return never NULL ("no error" if none): the calling thread's copy,
 *         valid until the same thread calls this again.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API const char *seg_reclaim_errmsg(const seg_reclaim *r);

/**
 * The prefix of the columns that seg_reclaim_apply() writes.
 * @param r the definition.
 * @return the `name` of the definition ("reclaim" by default), borrowed
 *         from @p r; "reclaim" when @p r is NULL.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API const char *seg_reclaim_prefix(const seg_reclaim *r);

/**
 * Judge every lead on @p as_of and write the columns `P.status` (label:
 * `kept`, `reminder`, `reclaimed`, or `pool` for a customer without an
 * owner), `P.rule` (the rule that fired or fires next; `cap` or `lockout`
 * for those reclaims), `P.days_since_followup` (whole days since the later
 * of the assignment and the last follow-up), `P.fires` (timestamp: when
 * the rule fires or fired; the analysis time for `cap` and `lockout`),
 * `P.days_left` (days until it fires, 0 or less once it has),
 * `P.locked_owner` and `P.locked_until` (timestamp: who may not take the
 * lead until when), P being seg_reclaim_prefix(). The same data always
 * gives the same columns.
 * @param r the definition.
 * @param ds the dataset; its records after @p as_of are not read.
 * @param as_of the analysis time; #SEG_TIME_NONE for the latest record.
 * An owner column of numbers (employee numbers) names each owner by its
 * number's shortest text ("7", "12.5").
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_ENOTFOUND without
 *         the owner column; #SEG_ETYPE when a column of one of the names
 *         exists with another type;
 *         #SEG_EPARSE for an owner_since text that is not a date;
 *         #SEG_ERANGE; #SEG_ENOMEM. On failure the dataset is unchanged
 *         (message on @p r).
 * @note Not thread-safe on @p ds; @p r may be shared.
 * @since 0.2.0
 */
SEG_API int seg_reclaim_apply(const seg_reclaim *r, seg_dataset *ds,
                              int64_t as_of);

/**
 * The reclaim list: the leads that go back to the pool on @p as_of, by
 * owner, then customer id (bytes). Columns: `customer_id`, `owner`,
 * `rule`, `fired` (text, ISO 8601 in the dataset's zone),
 * `days_since_followup`, `locked_owner`, `locked_until` (text; missing
 * without a lock-out).
 * @param[out] out receives the table (seg_table_free()); NULL on failure.
 * @param r the definition.
 * @param ds the dataset; unchanged.
 * @param as_of as for seg_reclaim_apply().
 * @return as seg_reclaim_apply() (message on @p r).
 * @note Thread-safe on a dataset that no thread changes.
 * @since 0.2.0
 */
SEG_API int seg_reclaim_list_table(seg_table **out, const seg_reclaim *r,
                                   const seg_dataset *ds, int64_t as_of);

/**
 * The reminder list: the leads whose rule fires within the reminder's
 * days, soonest first, then by owner and customer id. Columns:
 * `customer_id`, `owner`, `rule`, `fires` (text, ISO 8601),
 * `days_left`, `days_since_followup`.
 * @param[out] out receives the table (seg_table_free()); NULL on failure.
 * @param r the definition.
 * @param ds the dataset; unchanged.
 * @param as_of as for seg_reclaim_apply().
 * @return as seg_reclaim_apply() (message on @p r).
 * @note Thread-safe on a dataset that no thread changes.
 * @since 0.2.0
 */
SEG_API int seg_reclaim_reminder_table(seg_table **out,
                                       const seg_reclaim *r,
                                       const seg_dataset *ds, int64_t as_of);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* SEGMENT_OPS_H */
