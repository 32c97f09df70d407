/**
 * @file segment/model.h
 * @brief Scoring models: creation by name, parameters, fit, score, save,
 *        load, and plug-ins.
 */
#ifndef SEGMENT_MODEL_H
#define SEGMENT_MODEL_H

#include "segment/common.h"
#include "segment/dataset.h"
#include "segment/table.h"
#include "segment/time.h"

/**
 * @defgroup seg_model Models
 * @brief Built-in and host-written models that fit on a dataset and write
 *        score columns.
 *
 * A model is created by kind name from one registry (`"rfm"`, and the kinds
 * that hosts register). It is tuned by typed name/value parameters, learns
 * what it needs in seg_model_fit() (cut points, parameters, centroids), and
 * writes its output columns in seg_model_score() under its *prefix*: the
 * instance name, which defaults to the kind (`rfm.score`). Scoring a dataset
 * other than the one fitted on uses what was learned at fit time.
 *
 * Thread-safety: seg_model_score() and the getters may run from several
 * threads at once on one fitted model (each thread with its own dataset);
 * setters, seg_model_fit() and seg_model_free() need exclusive access.
 * @{
 */

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque model instance. @since 0.1.0 */
typedef struct seg_model seg_model;

/**
 * Parameter types.
 * @since 0.1.0
 */
typedef enum seg_param_type {
    SEG_PARAM_F64 = 1, /**< A finite double within [min, max]. */
    SEG_PARAM_INT = 2, /**< An integer within [min, max]. */
    SEG_PARAM_STR = 3  /**< Text; one of @c choices when those are given. */
} seg_param_type;

/**
 * Description of one parameter: what seg_model_param_info() reports, and
 * what a plug-in declares in #seg_model_class.
 * @since 0.1.0
 */
typedef struct seg_param_def {
    size_t size;             /**< sizeof(seg_param_def); see seg_param_def_init(). */
    const char *name;        /**< Name, e.g. "k_r". */
    int type;                /**< A #seg_param_type. */
    const char *description; /**< One line for help texts. */
    double min;              /**< Smallest value (F64, INT). */
    double max;              /**< Largest value (F64, INT). */
    double default_num;      /**< Default (F64, INT). */
    const char *default_str; /**< Default (STR); NULL means "". */
    /** STR: the allowed values separated by '|' ("en|zh"), or NULL for any
     *  text. */
    const char *choices;
} seg_param_def;

/**
 * Initialise a parameter description: sets @c size, clears the rest.
 * @param d the description; ignored when NULL.
 * @since 0.1.0
 */
SEG_API void seg_param_def_init(seg_param_def *d);

/** @name Instances
 * @{ */

/**
 * Create a model of a registered kind.
 * @param[out] out receives the model, owned by the caller (seg_model_free());
 *             NULL on failure.
 * @param kind a kind name: "rfm", or one registered by the host.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_ENOTFOUND for an
 *         unknown kind (the message lists the known ones); #SEG_ENOMEM; or
 *         what a plug-in's create callback returned.
 * @note Thread-safe.
 * @since 0.1.0
 */
SEG_API int seg_model_new(seg_model **out, const char *kind);

/**
 * Release a model. Datasets it scored keep their columns.
 * @param m the model; NULL is a no-op.
 * @since 0.1.0
 */
SEG_API void seg_model_free(seg_model *m);

/**
 * Message of the last failure of a call on @p m.
 * @param m the model; NULL gives the calling thread's message.
 * @return never NULL ("no error" if none): the calling thread's copy of the
 *         message, taken when called. It stays valid and unchanged until
 *         the same thread calls seg_model_errmsg() again or exits, whatever
 *         other threads do with @p m meanwhile; copy it to keep it longer.
 * @note Thread-safe: threads failing on a shared @p m while others read
 *       its message do not race (each reader has its own copy).
 * @since 0.1.0
 */
SEG_API const char *seg_model_errmsg(const seg_model *m);

/**
 * Record a failure message on a model: for plug-in callbacks, so that the
 * host sees why a fit or score failed.
 * @param m the model.
 * @param code the status the callback is about to return.
 * @param message the text (copied).
 * @return @p code, so a callback can `return seg_model_set_error(...)`.
 * @note Thread-safe.
 * @since 0.1.0
 */
SEG_API int seg_model_set_error(const seg_model *m, int code,
                                const char *message);

/**
 * The kind of a model.
 * @param m the model.
 * @return the kind name, borrowed from @p m; NULL if @p m is NULL.
 * @since 0.1.0
 */
SEG_API const char *seg_model_kind(const seg_model *m);

/**
 * The instance name, the prefix of its output columns.
 * @param m the model.
 * @return the name, borrowed from @p m until it is renamed or freed; NULL if
 *         @p m is NULL.
 * @since 0.1.0
 */
SEG_API const char *seg_model_name(const seg_model *m);

/**
 * Rename a model, and so the prefix of its output columns, so that two
 * models of one kind can score one dataset.
 * @param m the model.
 * @param name non-empty UTF-8 without '.' or control characters.
 * @return #SEG_OK; #SEG_EINVAL for NULL or an invalid name; #SEG_ENOMEM.
 * @since 0.1.0
 */
SEG_API int seg_model_set_name(seg_model *m, const char *name);

/**
 * Whether the model has been fitted (or loaded).
 * @param m the model.
 * @return 1 if fitted, 0 if not or if @p m is NULL.
 * @since 0.1.0
 */
SEG_API int seg_model_is_fitted(const seg_model *m);

/**
 * Whether fitting or scoring this model reads the dataset's transactions
 * or events, rather than only its columns (features, attributes, columns
 * of other models): what a host asks before it folds the transactions
 * into their features as they load (seg_dataset_set_features_only()).
 *
 * Reads only columns: `rfm`, `kmeans`, and the purchase and spend models
 * (`bgnbd`, `mbgnbd`, `pareto_nbd`, `bgbb`, `gamma_gamma`, `clv`,
 * `ggompertz`) without a time-varying covariate table. Reads the
 * transactions or events: `engagement`, `stage`, `interest`, a model
 * given a covariate table (seg_model_set_covariate_table(), whose periods
 * are counted from the purchase days), and every plug-in kind, since the
 * library cannot tell what its callbacks read. The answer follows the
 * model's current state: setting a covariate table changes it.
 *
 * Reports (seg_model_report()) are not covered: the tracking and period
 * reports of the purchase models read the transactions.
 * @param m the model.
 * @return 0 if fitting and scoring read only columns; 1 if they read the
 *         transactions or events, and 1 if @p m is NULL (the answer under
 *         which no host folds what a model needs).
 * @note Thread-safe against other readers of @p m.
 * @since 0.2.0
 */
SEG_API int seg_model_reads_transactions(const seg_model *m);

/** @} */

/** @name Parameters
 * @{ */

/**
 * Number of parameters of a model.
 * @param m the model.
 * @return the count; 0 if @p m is NULL.
 * @since 0.1.0
 */
SEG_API size_t seg_model_param_count(const seg_model *m);

/**
 * Describe the i-th parameter.
 * @param m the model.
 * @param i 0..seg_model_param_count()-1.
 * @param[out] info initialised by seg_param_def_init(); filled up to its
 *             @c size. Its strings are borrowed from @p m.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments or a too small
 *         @c info->size; #SEG_ERANGE for a bad index.
 * @since 0.1.0
 */
SEG_API int seg_model_param_info(const seg_model *m, size_t i,
                                 seg_param_def *info);

/**
 * Set a numeric parameter (F64, or INT with an integral value).
 * Changing a parameter makes a fitted model unfitted.
 * @param m the model.
 * @param name the parameter.
 * @param value the value.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_ENOTFOUND for an
 *         unknown name (the message suggests the nearest); #SEG_ETYPE for a
 *         text parameter; #SEG_ERANGE for a value out of bounds, not finite,
 *         or not integral for INT.
 * @since 0.1.0
 */
SEG_API int seg_model_set_f64(seg_model *m, const char *name, double value);

/**
 * Set an integer parameter; as seg_model_set_f64().
 * @param m the model.
 * @param name the parameter.
 * @param value the value.
 * @return as seg_model_set_f64().
 * @since 0.1.0
 */
SEG_API int seg_model_set_int(seg_model *m, const char *name, int64_t value);

/**
 * Set a text parameter.
 * @param m the model.
 * @param name the parameter.
 * @param value UTF-8 text (copied); for parameters with choices, one of them.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_ENOTFOUND;
 *         #SEG_ETYPE for a numeric parameter; #SEG_ERANGE for a value not
 *         among the choices; #SEG_EPARSE for invalid UTF-8; #SEG_ENOMEM.
 * @since 0.1.0
 */
SEG_API int seg_model_set_str(seg_model *m, const char *name,
                              const char *value);

/**
 * Set any parameter from text, converted by the parameter's type: what a
 * command line's `--set KEY=VALUE` or a binding without types needs.
 * @param m the model.
 * @param name the parameter.
 * @param value the text.
 * @return as the typed setters; #SEG_EPARSE if a number does not parse.
 * @since 0.1.0
 */
SEG_API int seg_model_set(seg_model *m, const char *name, const char *value);

/**
 * Set a parameter from `KEY=VALUE` text (split at the first `=`), as
 * seg_model_set() does with KEY and VALUE: what a command line's
 * `--set KEY=VALUE` or a configuration file gives.
 * @param m the model.
 * @param assignment the text.
 * @return as seg_model_set(); #SEG_EINVAL when there is no `=` or no key.
 * @since 0.2.0
 */
SEG_API int seg_model_set_pair(seg_model *m, const char *assignment);

/**
 * Attach a table of time-varying covariates to a model, in long form: row
 * i says that customer @p ids[i] has the value @p values[i] of covariate
 * @p names[i] in the period that starts at @p period_start[i]. A
 * `pareto_nbd` model with `dynamic_covariates=on` reads the covariates its
 * `trans_covariates` and `life_covariates` name from this table
 * (docs/clv.md, "Time-varying covariates").
 *
 * Each customer's periods must be consecutive and of one length (the
 * smallest gap between two of a customer's period starts, in whole days),
 * every period must start on the same grid for all customers, and every
 * period must have one finite value of every covariate named anywhere in
 * the table. A period starts on the UTC day of its time. The table
 * replaces any the model held; it is not part of a saved model.
 * @param m the model.
 * @param n the number of rows.
 * @param ids customer ids (n of them, copied).
 * @param period_start the start of each row's period, epoch seconds.
 * @param names covariate names (copied).
 * @param values the values.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments, no rows, a missing or
 *         duplicate value, periods that are not consecutive or not aligned
 *         (the message names the customer and the period); #SEG_ENOMEM.
 *         On failure the model keeps the table it had.
 * @note Not thread-safe on the same model; distinct models are independent.
 * @since 0.2.0
 */
SEG_API int seg_model_set_covariate_table(seg_model *m, size_t n,
                                          const char *const *ids,
                                          const int64_t *period_start,
                                          const char *const *names,
                                          const double *values);

/**
 * Attach a table of time-varying covariates read from a wide CSV file, the
 * layout of CLVTools' covariate data: a customer column, a column of
 * period starts (ISO 8601 dates) and one numeric column per covariate
 * (`Id,Cov.Date,High.Season,Gender,Channel`). Fields are separated by
 * commas and may not hold one. The rules of seg_model_set_covariate_table()
 * apply.
 * @param m the model.
 * @param path the file.
 * @param id_column the customer column's name; NULL: the first column.
 * @param date_column the period-start column's name; NULL: the second.
 * @return as seg_model_set_covariate_table(); #SEG_EIO when the file cannot
 *         be read; #SEG_EPARSE for a field that is not a date or a number
 *         (the message gives the file and line).
 * @note Not thread-safe on the same model.
 * @since 0.2.0
 */
SEG_API int seg_model_load_covariate_table(seg_model *m, const char *path,
                                           const char *id_column,
                                           const char *date_column);

/**
 * Read a numeric parameter.
 * @param m the model.
 * @param name the parameter.
 * @param[out] out its value.
 * @return #SEG_OK; #SEG_EINVAL; #SEG_ENOTFOUND; #SEG_ETYPE for text.
 * @note Thread-safe for concurrent readers.
 * @since 0.1.0
 */
SEG_API int seg_model_get_f64(const seg_model *m, const char *name,
                              double *out);

/**
 * Read a text parameter.
 * @param m the model.
 * @param name the parameter.
 * @param[out] out its value, borrowed from @p m until the parameter is set
 *             again.
 * @return #SEG_OK; #SEG_EINVAL; #SEG_ENOTFOUND; #SEG_ETYPE for a number.
 * @note Thread-safe for concurrent readers.
 * @since 0.1.0
 */
SEG_API int seg_model_get_str(const seg_model *m, const char *name,
                              const char **out);

/** @} */

/** @name Fit, score, save, load
 * @{ */

/**
 * Learn from a dataset what the model needs.
 * @param m the model.
 * @param ds the dataset; only read.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_ENOTFOUND for a
 *         column the model needs that @p ds lacks; #SEG_ERANGE when the data
 *         cannot support a fit (for example no customer with a value);
 *         #SEG_ENOMEM; or a plug-in's status. On failure the model keeps
 *         its earlier fit, if any.
 * @since 0.1.0
 */
SEG_API int seg_model_fit(seg_model *m, const seg_dataset *ds);

/**
 * Write the model's output columns into a dataset, named `PREFIX.column`.
 * @param m a fitted model.
 * @param ds the dataset to score (any dataset with the input columns).
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments; #SEG_EMISUSE if @p m is
 *         not fitted; #SEG_ENOTFOUND for a missing input column;
 *         #SEG_ENOMEM; or a plug-in's status.
 * @note Thread-safe for concurrent calls on one model with distinct
 *       datasets.
 * @since 0.1.0
 */
SEG_API int seg_model_score(const seg_model *m, seg_dataset *ds);

/**
 * Save a fitted model (kind, name, parameters and learned state) as text,
 * in the format described in docs/models.md. The file is written whole or
 * not at all, so a crash never leaves a broken file at @p path
 * (docs/files.md).
 * @param m a fitted model.
 * @param path the file.
 * @return #SEG_OK; #SEG_EINVAL; #SEG_EMISUSE if not fitted; #SEG_EIO;
 *         #SEG_ENOMEM.
 * @since 0.1.0
 */
SEG_API int seg_model_save(const seg_model *m, const char *path);

/**
 * Load a model saved by seg_model_save(), ready to score.
 * @param[out] out receives the model (seg_model_free()); NULL on failure.
 * @param path the file.
 * @return #SEG_OK; #SEG_EINVAL; #SEG_EIO if unreadable; #SEG_EVERSION for
 *         a file of a newer format version; #SEG_EPARSE for a corrupted or
 *         truncated file (with the line); #SEG_ENOTFOUND for a kind that is
 *         not registered; #SEG_ENOMEM.
 * @since 0.1.0
 */
SEG_API int seg_model_load(seg_model **out, const char *path);

/**
 * Name of the i-th result of a fit: for the customer-base models the
 * parameters (`r`, `alpha` ...), their standard errors (`se.r` ...),
 * `loglik`, `iterations`, `grad_norm`, `converged`, `customers` and
 * `rows` (distinct histories fitted).
 * @param m a fitted model.
 * @param i index from 0.
 * @return the name, borrowed from @p m; NULL past the last, or if the model
 *         is not fitted or has no results.
 * @since 0.1.0
 */
SEG_API const char *seg_model_result_name(const seg_model *m, size_t i);

/**
 * Whether a fit result is an estimated parameter (one with a standard
 * error `se.NAME` among the results) rather than a statistic of the fit
 * (log-likelihood, iterations, `se.` values themselves).
 * @param m a fitted model.
 * @param name a name from seg_model_result_name().
 * @return 1 for a parameter, 0 for anything else; #SEG_EINVAL;
 *         #SEG_EMISUSE if not fitted.
 * @note Thread-safe for concurrent readers.
 * @since 0.2.0
 */
SEG_API int seg_model_result_is_param(const seg_model *m, const char *name);

/**
 * Value of a fit result.
 * @param m a fitted model.
 * @param name a name from seg_model_result_name().
 * @param[out] out the value.
 * @return #SEG_OK; #SEG_EINVAL; #SEG_EMISUSE if not fitted;
 *         #SEG_ENOTFOUND for an unknown name.
 * @note Thread-safe for concurrent readers.
 * @since 0.1.0
 */
SEG_API int seg_model_result(const seg_model *m, const char *name,
                             double *out);

/**
 * Evaluate a named quantity of a fitted model for given arguments, for
 * example the customer-base models' `"p_alive"` (x, t_x, T),
 * `"expected"` (t, x, t_x, T), `"expected_unconditional"` (t) and `"pmf"`
 * (t, n), and since 0.2.0 their churn timing: `"p_alive_at"` and
 * `"p_none"` (t, x, t_x, T), `"p_never"`, `"next_median"`, `"next_half"`
 * and `"next_mean"` (x, t_x, T), as listed in docs/clv.md.
 * @param m a fitted model.
 * @param quantity the quantity's name.
 * @param args its arguments.
 * @param n_args their number.
 * @param[out] out the value.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments or a wrong number of
 *         arguments; #SEG_EMISUSE if not fitted; #SEG_ENOTFOUND for a
 *         quantity the model does not have; #SEG_ERANGE for arguments out
 *         of their domain (t_x > T, negative counts, non-finite values),
 *         and for counts that the quantity loops over (n of `"pmf"`; x,
 *         t_x and n of bgbb) when they are not whole or exceed 1,000,000;
 *         the message names the argument; #SEG_ERANGE also for a time that
 *         does not exist (`"next_half"` when P(no purchase ever) >= 1/2,
 *         `"next_mean"` when the mean is infinite), with the reason.
 * @note Thread-safe for concurrent readers.
 * @since 0.1.0
 */
SEG_API int seg_model_eval(const seg_model *m, const char *quantity,
                           const double *args, size_t n_args, double *out);

/**
 * Write a named report of a fitted model as a table:
 * - `"holdout"` (purchase models: bgnbd, mbgnbd, pareto_nbd, clv):
 *   predictions for a holdout period against what happened. For every
 *   customer with calibration features (the model's x, t_x and T columns)
 *   and holdout columns (`holdout_orders`, `holdout_length`, from
 *   seg_dataset_compute_features() with a holdout), the model predicts the
 *   purchases in the holdout; the table groups customers by calibration
 *   frequency (0..6 and "7+") with the count, the mean predicted and mean
 *   actual purchases, then a total row, then the mean absolute error per
 *   customer.
 * - `"profile"` (kmeans): per cluster its size and centroid in the
 *   features' original units; @p ds is not used and may be NULL.
 * - `"silhouette"` (kmeans): for k from 2 to the model's k_max, the mean
 *   silhouette of a seeded sample of @p ds, to choose k.
 * - `"ci"`, `"tracking"`, `"period_transactions"`, `"matrix_expected"`,
 *   `"matrix_palive"`: the tables of seg_model_report_table(); JSON is an
 *   array of their rows as objects.
 * @param m a fitted model.
 * @param ds the dataset the report reads, where it reads one.
 * @param report the report's name.
 * @param format #SEG_FORMAT_CSV or #SEG_FORMAT_JSON.
 * @param write receives the table.
 * @param user_data passed to @p write.
 * @return #SEG_OK; #SEG_EINVAL; #SEG_EMISUSE if not fitted;
 *         #SEG_ENOTFOUND for a report the model does not have or a column
 *         @p ds lacks; #SEG_EIO if @p write stopped; #SEG_ENOMEM.
 * @since 0.1.0
 */
SEG_API int seg_model_report(const seg_model *m, const seg_dataset *ds,
                             const char *report, int format,
                             seg_write_fn write, void *user_data);

/**
 * A built-in model's report as a table: the same rows and columns that
 * seg_model_report() writes, as exact numbers.
 *
 * - `"holdout"`: columns `frequency` (text: "0" .. "6", "7+", "total",
 *   "mae"), `customers`, `predicted`, `actual` (means per customer). The
 *   last row, "mae", holds the mean absolute error per customer in
 *   `predicted`; its `actual` is missing.
 * - `"profile"` (kmeans): columns `cluster`, `size`, `share`, then one a
 *   feature (the centroid in the feature's original units), a row a
 *   cluster; @p ds is not used and may be NULL.
 * - `"silhouette"` (kmeans): columns `k`, `silhouette`, `inertia`, a row
 *   for each k tried; the best k is the row of the largest silhouette.
 * - `"ci"` (bgnbd, mbgnbd, pareto_nbd, bgbb, gamma_gamma, clv): a row per
 *   parameter (for clv the spend model's as `spend.p` ...): `parameter`,
 *   `estimate`, `se`, `lo`, `hi`, `level`. The interval is
 *   exp(log p -+ z se / p), on the log scale of the positive parameters,
 *   at the model's `interval` level (0.95 when it is 0); @p ds is not
 *   used and may be NULL.
 * - `"tracking"` (purchase models; needs the transactions and features
 *   of @p ds): a row per calendar week from the first customer's first
 *   purchase to the end of the holdout (or of the calibration):
 *   `period` (1, 2, ...), `start` (its first day, text "YYYY-MM-DD"),
 *   `holdout` (1 for a week after the calibration), `actual` and
 *   `expected` repeat transactions in the week, `actual_cumulative`,
 *   `expected_cumulative`, and `customers` acquired by the week's end.
 *   The expectation sums each calibration customer's unconditional
 *   expected repeat purchases since the first purchase.
 * - `"period_transactions"` (purchase models): rows "0" .. "6", "7+" of
 *   `frequency` (repeat purchases in the calibration), `actual`
 *   (customers) and `expected` (the sum over customers of the
 *   probability of that many repeat purchases in their own T).
 * - `"matrix_expected"` and `"matrix_palive"` (purchase models): a row a
 *   cell of a grid of `frequency` (0 to the largest x, at most 41
 *   values) and `recency` t_x (0 to T in at most 41 steps) at `T`, the
 *   longest observation: `horizon` (the expected purchases' horizon,
 *   that of the model's .expected column; missing for P(alive)) and
 *   `value`.
 *
 * A plug-in kind writes its reports only as bytes, through its `report`
 * callback: for it this returns #SEG_ENOTFOUND, with a message saying
 * so; use seg_model_report().
 *
 * @param[out] out receives the table, owned by the caller (free it with
 *             seg_table_free()); set to NULL on error.
 * @param m a fitted model.
 * @param ds the dataset the report reads, where it reads one.
 * @param report the report's name.
 * @return #SEG_OK; #SEG_EINVAL for a NULL argument (or a NULL @p ds
 *         where the report reads one); #SEG_EMISUSE if not fitted;
 *         #SEG_ENOTFOUND for a report the model does not have, a plug-in
 *         kind, or a column @p ds lacks; #SEG_ENOMEM.
 * @note Thread-safe for concurrent readers. The table does not refer to
 *       @p m or @p ds afterwards.
 * @since 0.2.0
 */
SEG_API int seg_model_report_table(seg_table **out, const seg_model *m,
                                   const seg_dataset *ds,
                                   const char *report);

/** @} */

/** @name Simulation and model comparison
 * @{ */

/**
 * What seg_simulate_table() and seg_simulate_dataset() draw; initialise
 * with seg_sim_spec_init().
 *
 * Each customer makes a first purchase at a time drawn uniformly from
 * [@c start, @c join_end], then repeat purchases by the purchase
 * model's story until @c end: a Poisson rate lambda ~ Gamma(r, alpha),
 * and a dropout after a coin of p ~ Beta(a, b) after each purchase
 * (bgnbd; mbgnbd also at the first), an exponential lifetime of rate
 * mu ~ Gamma(s, beta) (pareto_nbd), or a Gompertz lifetime of hazard
 * eta b e^(b t), eta ~ Gamma(s, beta) (ggompertz). Amounts are
 * Gamma(p, nu) with nu ~ Gamma(q, gamma) per customer (Gamma-Gamma).
 * Rates and scales are in the model's time unit, @c unit_days days.
 * @since 0.2.0
 */
typedef struct seg_sim_spec {
    size_t size;           /**< sizeof(seg_sim_spec). */
    /** The purchase model: "bgnbd", "mbgnbd", "pareto_nbd" or
     *  "ggompertz"; not read when a fitted model is given. */
    const char *model;
    /** Its parameters, "NAME=VALUE,..." with every parameter of the kind
     *  (`r=0.24,alpha=4.4,a=0.79,b=2.4`); not read when a fitted model is
     *  given. */
    const char *params;
    /** Gamma-Gamma parameters "p=...,q=...,gamma=..." (q > 1), or NULL:
     *  every amount is 1 (a clv model gives its own unless this is set). */
    const char *spend;
    size_t customers;      /**< Customers, 1 to 100,000,000; default 1000. */
    uint64_t seed;         /**< The seed; default 0. */
    int64_t start;         /**< First possible first purchase; default 0. */
    /** Last possible first purchase; #SEG_TIME_NONE (the default): every
     *  customer starts at @c start, one cohort. */
    int64_t join_end;
    int64_t end;           /**< End of the history; default 104 weeks. */
    double unit_days;      /**< Days in the model's time unit; default 7. */
    /** Customer ids are this prefix and the customer's number, from 1,
     *  zero-padded to the width of @c customers; default "c". */
    const char *id_prefix;
    /** Nonzero: seg_simulate_table() gives one row per customer instead,
     *  `customer_id`, `frequency` (repeat purchases), `t_x`, `T` (in the
     *  model's unit, to the second, not to the day as
     *  seg_dataset_compute_features() counts them) and
     *  `monetary_repeat_mean` (0 without repeat purchases), which the
     *  models fit on as they are; default 0. seg_simulate_dataset() does
     *  not read it. */
    int summary;
} seg_sim_spec;

/**
 * Initialise a simulation spec to its defaults.
 * @param spec the spec; ignored when NULL.
 * @since 0.2.0
 */
SEG_API void seg_sim_spec_init(seg_sim_spec *spec);

/**
 * Draw customers and their transactions as a table: `customer_id`,
 * `time` (ISO 8601, UTC) and `amount`, by customer and time, which
 * seg_table_write_file() writes as a CSV that the loaders read. Every
 * customer has its own generator seeded from seg_sim_spec.seed and
 * its number, so the same spec gives the same table on every run and
 * platform with IEEE doubles, whatever the threads.
 * @param[out] out the table, owned by the caller (seg_table_free()); NULL
 *             on failure.
 * @param spec what to draw.
 * @param from a fitted model (bgnbd, mbgnbd, pareto_nbd, ggompertz, or
 *             clv for both its purchase and spend models) whose parameters
 *             replace the spec's @c model and @c params, or NULL.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments, a spec not initialised
 *         or an unknown model; #SEG_EPARSE for parameter text that is not
 *         every parameter once; #SEG_ERANGE for a parameter out of its
 *         range, a Gamma-Gamma q <= 1, customers out of range, times out
 *         of order, or a customer who would buy more than 1,000,000 times;
 *         #SEG_EMISUSE for a model not fitted; #SEG_ENOMEM. The message is
 *         the thread's (seg_errmsg()).
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API int seg_simulate_table(seg_table **out, const seg_sim_spec *spec,
                               const seg_model *from);

/**
 * Draw as seg_simulate_table() does and add the transactions to a
 * dataset, all or nothing.
 * @param ds the dataset.
 * @param spec what to draw.
 * @param from a fitted model, or NULL (as for seg_simulate_table()).
 * @return as seg_simulate_table(), and as seg_dataset_add_transactions()
 *         (an id already in @p ds simply gains transactions).
 * @note Needs exclusive access to @p ds.
 * @since 0.2.0
 */
SEG_API int seg_simulate_dataset(seg_dataset *ds, const seg_sim_spec *spec,
                                 const seg_model *from);

/**
 * Compare models fitted on one dataset: a table with a row per model,
 * `model` (its name), `kind`, `parameters` (k, the estimated ones: 0 for
 * fixed parameters), `loglik`, `customers` (n), `aic` (2k - 2 loglik),
 * `bic` (k ln n - 2 loglik), `delta_aic` and `delta_bic` (from the
 * smallest), then the likelihood-ratio test of the model against the
 * first earlier one nested in it: `nested` (that model's name), `lr`
 * (2 (loglik - loglik of the nested)), `df` and `p_value` (upper tail of
 * chi-square with df degrees of freedom; for Pareto/NBD within GGompertz/
 * NBD, the boundary b = 0, half of it, Self and Liang 1987), missing when
 * no earlier model is nested. Nested are: a model of one kind with fixed
 * parameters in the same kind fitted; a model whose estimated parameters
 * are a subset of another's of the same kind (fewer covariates);
 * pareto_nbd in ggompertz. bgnbd and mbgnbd are not nested (neither is a
 * special case of the other), nor are bgnbd and pareto_nbd.
 * @param[out] out the table, owned by the caller; NULL on failure.
 * @param models @p n fitted models of the customer-base kinds.
 * @param n their number, 1 to 64.
 * @return #SEG_OK; #SEG_EINVAL for NULL arguments or a model of another
 *         family; #SEG_EMISUSE for a model not fitted; #SEG_ERANGE when
 *         the models were fitted on different numbers of customers;
 *         #SEG_ENOMEM. The message is the thread's (seg_errmsg()).
 * @note Thread-safe for concurrent readers of the models.
 * @since 0.2.0
 */
SEG_API int seg_model_compare(seg_table **out, const seg_model *const *models,
                              size_t n);

/**
 * The upper tail of the chi-square distribution, P(X > x) for X with
 * @p df degrees of freedom: the regularized upper incomplete gamma
 * function Q(df/2, x/2), by its series below df/2 + 1 and its continued
 * fraction above.
 * @param x the statistic; 1 for x <= 0.
 * @param df degrees of freedom, > 0.
 * @return the probability; NaN for df <= 0 or a NaN argument.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API double seg_chi2_sf(double x, double df);

/** @} */

/** @name Registry (plug-ins: segment/sys/model.h)
 * @{ */

/**
 * Number of registered model kinds (built-in and plug-in).
 * @return the count.
 * @note Thread-safe.
 * @since 0.1.0
 */
SEG_API size_t seg_model_kind_count(void);

/**
 * Name of the i-th registered kind.
 * @param i index.
 * @return the name (valid while the kind stays registered); NULL when out of
 *         range.
 * @note Thread-safe.
 * @since 0.1.0
 */
SEG_API const char *seg_model_kind_name(size_t i);

/** @} */

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* SEGMENT_MODEL_H */
