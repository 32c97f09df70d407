/**
 * @file segment/rules.h
 * @brief Tier-rule sets: a small language for tiers and lead scores,
 *        explanations.
 */
#ifndef SEGMENT_RULES_H
#define SEGMENT_RULES_H

#include "segment/common.h"
#include "segment/dataset.h"
#include "segment/table.h"

/**
 * @defgroup seg_rules Rules
 * @brief Rules that a business writes: who is a VIP, who gets a call.
 *
 * A rule set is compiled from text (the language is specified in
 * docs/rules.md), then applied to a dataset: it reads any columns and
 * writes a label column. A *tier* rule set assigns the label of the first
 * tier whose condition holds; a *score* rule set adds points and maps the
 * total to a grade. Rule sets are safe to compile from untrusted text:
 * every input ends in a result or an error, never a crash or a hang.
 *
 * Thread-safety: a compiled rule set is immutable; it may be applied,
 * explained and used from several threads at once (on distinct datasets,
 * or on one dataset that no thread changes).
 * @{
 */

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque compiled rule set. @since 0.1.0 */
typedef struct seg_rules seg_rules;

/**
 * Compile a rule set.
 * @param[out] out receives the rule set (seg_rules_free()); NULL on failure.
 * @param text the rules, UTF-8 (need not be NUL-terminated).
 * @param len bytes of @p text (at most 16 MiB).
 * @param name a name for messages, such as the file name; NULL for
 *        "<rules>".
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_EPARSE for a
 *         syntax error, with `name:line:column: what was expected` in
 *         seg_errmsg(); #SEG_ELIMIT for input past the limits (size,
 *         nesting depth); #SEG_ENOMEM.
 * @note Thread-safe.
 * @since 0.1.0
 */
SEG_API int seg_rules_parse(seg_rules **out, const char *text, size_t len,
                            const char *name);

/**
 * Release a rule set.
 * @param r the rule set; NULL is a no-op.
 * @since 0.1.0
 */
SEG_API void seg_rules_free(seg_rules *r);

/**
 * Message of the last failure of a call on @p r.
 * @param r the rule set; NULL gives the calling thread's message.
 * @return never NULL ("no error" if none): the calling thread's copy of the
 *         message, taken when called. It stays valid and unchanged until
 *         the same thread calls seg_rules_errmsg() again or exits, whatever
 *         other threads do with @p r meanwhile; copy it to keep it longer.
 * @note Thread-safe: threads failing on a shared @p r while others read
 *       its message do not race (each reader has its own copy).
 * @since 0.1.0
 */
SEG_API const char *seg_rules_errmsg(const seg_rules *r);

/**
 * The label column that seg_rules_apply() writes: the rule set's
 * `output` declaration, or "tier" when it has none (score rule sets write
 * the grade there and the points beside it).
 * @param r the rule set.
 * @return the name, borrowed from @p r; "tier" when @p r is NULL.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API const char *seg_rules_output(const seg_rules *r);

/**
 * How many warnings the last successful seg_rules_apply() of @p r left:
 * each is something legal that cannot be what the rules meant, found when
 * the rules were bound to the dataset, before any customer is evaluated. Today: a label compared with a label column that no customer
 * has (`rfm.segment = "冠军"` where the segments are in English), which
 * makes that comparison always false (or, with `!=` and `not in`, always
 * true). At most 100 are kept; a last one then says how many more there
 * were. Each successful apply replaces the list; one that fails leaves
 * the previous list.
 * @param r the rule set; NULL gives 0.
 * @return the number of warnings.
 * @note Thread-safe; with threads applying one rule set at once, the list
 *       is that of one of them.
 * @since 0.2.0
 */
SEG_API size_t seg_rules_warning_count(const seg_rules *r);

/**
 * A warning of the last application of @p r, with its place:
 * `value.rules:3:28: no customer has 'rfm.segment' = '冠军', so this
 * comparison is always false (its labels: 'Champions', ...)`.
 * @param r the rule set.
 * @param i 0 .. seg_rules_warning_count() - 1.
 * @return the calling thread's copy of the warning, valid until the same
 *         thread calls seg_rules_warning() again; NULL when @p r is NULL
 *         or @p i is out of range.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API const char *seg_rules_warning(const seg_rules *r, size_t i);

/**
 * Apply a rule set to a dataset. Columns are resolved first, for the whole
 * dataset: an unknown column is an error naming the nearest known one, and
 * nothing is written. Population statistics such as `p80(monetary_total)`
 * are computed over this dataset.
 *
 * A tier rule set writes the label column @p column and the numeric column
 * `column.rule` (the 1-based number of the tier rule that matched). A
 * score rule set writes `column.points` (the capped total) and the grade
 * label in @p column.
 * @param r the rule set.
 * @param ds the dataset.
 * @param column the output column's name; NULL for the name in the rules'
 *        `output` statement, or "tier".
 * @return #SEG_OK; #SEG_EINVAL; #SEG_ENOTFOUND for an unknown column (with
 *         line:column and a suggestion); #SEG_ETYPE for a comparison of a
 *         label with a number; #SEG_ENOMEM.
 * @since 0.1.0
 */
SEG_API int seg_rules_apply(const seg_rules *r, seg_dataset *ds,
                            const char *column);

/**
 * Explain the outcome for one customer: for a tier rule set, which rule
 * matched and the values of the columns it read; for a score rule set,
 * every rule's contribution, the caps applied and the grade. It is
 * written from seg_rules_explain_table(), whole, however many rules and
 * however long the labels.
 * @param r the rule set.
 * @param ds the dataset (as applied; only read).
 * @param row the customer's row.
 * @param format #SEG_FORMAT_TEXT or #SEG_FORMAT_JSON.
 * @param write receives the explanation.
 * @param user_data passed to @p write.
 * @return as seg_rules_apply(); #SEG_ERANGE for a bad row; #SEG_EIO if
 *         @p write stopped.
 * @since 0.1.0
 */
SEG_API int seg_rules_explain(const seg_rules *r, const seg_dataset *ds,
                              size_t row, int format, seg_write_fn write,
                              void *user_data);

/**
 * The facts behind an explanation, as a table that a host reads cell by
 * cell: one row per rule evaluated for the customer and column that rule
 * reads (a rule that reads no column has one row), then, for a score rule
 * set, one row per group and a last row with the total. A tier rule set
 * lists its rules in order up to the one that matched (later rules are not
 * tried); a score rule set lists every points rule.
 *
 * The columns, in this order (missing cells are NaN or NULL):
 * - `rule` (number): the rule's 1-based number, as in `COLUMN.rule`;
 *   missing on group and total rows.
 * - `line` (number): the line of the rule in the rules' text.
 * - `kind` (text): "tier", "otherwise", "points", "group" or "total".
 * - `label` (text): a tier's label; a group's name; the grade on the total
 *   row (missing when no grade applies).
 * - `group` (text): the group of a points rule; missing outside groups.
 * - `matched` (number): 1 when the rule's condition holds, else 0.
 * - `points` (number): the points a points rule adds (0 when it did not
 *   match); a group's points before its cap; the total after every cap.
 * - `cap` (number): a group's cap, or the total cap; missing for none.
 * - `column` (text): a column the rule's condition reads.
 * - `value` (number): its value for the customer, for a numeric column.
 * - `text` (text): its value, for a label column.
 *
 * @param[out] out receives the table (seg_table_free()); NULL on failure.
 * @param r the rule set.
 * @param ds the dataset (as applied; only read).
 * @param row the customer's row.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_ERANGE for a bad
 *         row; #SEG_ENOTFOUND or #SEG_ETYPE as seg_rules_apply();
 *         #SEG_ENOMEM.
 * @note Thread-safe, as seg_rules_explain(). The table does not depend on
 *       @p r or @p ds afterwards.
 * @since 0.2.0
 */
SEG_API int seg_rules_explain_table(seg_table **out, const seg_rules *r,
                                    const seg_dataset *ds, size_t row);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* SEGMENT_RULES_H */
