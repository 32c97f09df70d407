/**
 * @file segment/sys/model.h
 * @brief Plug-in models: the class table a host fills to add a model kind.
 */
#ifndef SEGMENT_SYS_MODEL_H
#define SEGMENT_SYS_MODEL_H

#include "segment/common.h"
#include "segment/dataset.h"
#include "segment/model.h"

/**
 * @defgroup seg_sys_model Plug-in models
 * @brief For plug-in authors, apart from the user API (as libgit2 keeps git2/sys/).
 * @{
 */

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A host-written model: a versioned table of callbacks, in the manner of
 * sqlite3_module. Every callback receives the registration's @c user_data
 * last; @c state is the per-instance pointer that @c create made.
 * Callbacks read and write columns through the public dataset API and
 * return a #seg_status (or any negative code); they may explain a failure
 * with seg_model_set_error().
 * @since 0.1.0
 */
typedef struct seg_model_class {
    size_t size;              /**< sizeof(seg_model_class). */
    const char *kind;         /**< Kind name: [A-Za-z0-9_]+, unique. */
    const char *description;  /**< One line. */
    const seg_param_def *params; /**< Parameters, or NULL. */
    size_t n_params;          /**< Number of @c params. */
    size_t param_def_size;    /**< sizeof(seg_param_def) as compiled. */
    /** Make an instance's state (may set *state to NULL). */
    int (*create)(void **state, void *user_data);
    /** Release an instance's state. */
    void (*destroy)(void *state, void *user_data);
    /** Learn from @p ds; parameters are read with seg_model_get_f64() etc. */
    int (*fit)(void *state, seg_model *m, const seg_dataset *ds,
               void *user_data);
    /** Write columns named `prefix.X` into @p ds. */
    int (*score)(void *state, const seg_model *m, seg_dataset *ds,
                 const char *prefix, void *user_data);
    /** Optional: write the fitted state as text through @p write. */
    int (*save)(void *state, const seg_model *m, seg_write_fn write,
                void *write_user_data, void *user_data);
    /** Optional: restore the state from what @c save wrote. */
    int (*load)(void *state, seg_model *m, const char *text, size_t len,
                void *user_data);
    /** Optional: the name of the i-th fit result, NULL past the last. */
    const char *(*result_name)(void *state, size_t i, void *user_data);
    /** Optional: the value of a fit result. */
    int (*result)(void *state, const char *name, double *out,
                  void *user_data);
    /** Optional: evaluate a named quantity of the fitted model. */
    int (*eval)(void *state, const seg_model *m, const char *quantity,
                const double *args, size_t n_args, double *out,
                void *user_data);
    /** Optional: write a named report (return #SEG_ENOTFOUND for names it
     *  does not know). */
    int (*report)(void *state, const seg_model *m, const seg_dataset *ds,
                  const char *report, int format, seg_write_fn write,
                  void *write_user_data, void *user_data);
} seg_model_class;

/**
 * Register a model kind.
 * @param cls the class; copied (its strings too), so it may be temporary.
 * @param user_data passed to every callback.
 * @param destroy called with @p user_data when the kind is unregistered and
 *        its last instance is freed; may be NULL.
 * @return #SEG_OK; #SEG_EINVAL for a NULL or too small @p cls, a missing
 *         callback (create, destroy, fit and score are required) or a bad
 *         name or parameter; #SEG_EEXISTS if the kind exists; #SEG_ENOMEM.
 *         On failure @p destroy is not called.
 * @note Thread-safe.
 * @since 0.1.0
 */
SEG_API int seg_model_register(const seg_model_class *cls, void *user_data,
                               void (*destroy)(void *user_data));

/**
 * Unregister a plug-in kind. Existing instances keep working; the
 * registration's destructor runs when the last of them is freed.
 * @param kind the kind.
 * @return #SEG_OK; #SEG_EINVAL; #SEG_ENOTFOUND; #SEG_EMISUSE for a built-in
 *         kind.
 * @note Thread-safe.
 * @since 0.1.0
 */
SEG_API int seg_model_unregister(const char *kind);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* SEGMENT_SYS_MODEL_H */
