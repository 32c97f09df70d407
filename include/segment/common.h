/**
 * @file segment/common.h
 * @brief Status codes, error messages, versions and allocator hooks.
 */
#ifndef SEGMENT_COMMON_H
#define SEGMENT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "segment/version.h"

/**
 * @defgroup seg_common Common: status codes, errors, versions, memory
 * @brief What every other part of the API relies on.
 *
 * Every function that can fail returns an `int` status: #SEG_OK (0) on
 * success, or a negative value of #seg_status. A detailed message for the
 * last failure is kept for the calling thread (seg_errmsg()) and on the
 * handle involved (for example seg_dataset_errmsg()); the per-handle message
 * is what bindings whose callers move between threads (Go) should read.
 * @{
 */

#ifndef SEG_API
#if defined(_WIN32) && defined(SEG_BUILDING_DLL)
#define SEG_API __declspec(dllexport)
#elif defined(__GNUC__) && __GNUC__ >= 4
#define SEG_API __attribute__((visibility("default")))
#else
/** Marks a public symbol. Define it as empty before including segment.h to
 *  vendor the library with every symbol hidden. @since 0.1.0 */
#define SEG_API
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Status codes. Values are never renumbered or reused; new codes are only
 * appended.
 * @since 0.1.0
 */
typedef enum seg_status {
    SEG_OK = 0,           /**< Success. */
    SEG_EINVAL = -1,      /**< An argument is invalid (NULL, out of range). */
    SEG_ENOMEM = -2,      /**< Out of memory. */
    SEG_EIO = -3,         /**< A file could not be read or written. */
    SEG_EPARSE = -4,      /**< Input data is malformed (CSV, times, numbers). */
    SEG_ENOTFOUND = -5,   /**< A named customer, column or item does not exist. */
    SEG_ETYPE = -6,       /**< A value or column has the wrong type. */
    SEG_ERANGE = -7,      /**< A value is out of its valid range. */
    SEG_EMISUSE = -8,     /**< A call made in the wrong state or order. */
    SEG_EEXISTS = -9,     /**< A name is already taken. */
    SEG_ELIMIT = -10,     /**< A size limit of the library was exceeded. */
    SEG_EVERSION = -11,   /**< A file of a newer format version. */
    SEG_ECONVERGE = -12,  /**< A fit did not converge; the message says why. */
    /** The progress callback asked to stop; every handle is as it was
     *  before the call. @since 0.2.0 */
    SEG_ECANCELED = -13
} seg_status;

/**
 * Static English description of a status code.
 * @param code a #seg_status value (any int is accepted).
 * @return a static string, never NULL; "unknown error" for unknown codes.
 * @note Thread-safe.
 * @since 0.1.0
 */
SEG_API const char *seg_strerror(int code);

/**
 * Detailed message of the last failure in the calling thread.
 *
 * Example: `orders.csv:1204:3: amount 'abc' is not a number`.
 * @return a thread-local string, never NULL ("no error" when no call in this
 *         thread has failed since seg_error_clear()). It is valid until the
 *         next libsegment call in the same thread.
 * @note Thread-safe: each thread has its own message.
 * @since 0.1.0
 */
SEG_API const char *seg_errmsg(void);

/**
 * Forget the calling thread's last error message.
 * @note Thread-safe.
 * @since 0.1.0
 */
SEG_API void seg_error_clear(void);

/**
 * Version of the library at run time.
 * @return #SEG_VERSION_NUMBER of the library that is linked.
 * @note Thread-safe.
 * @since 0.1.0
 */
SEG_API unsigned seg_version_number(void);

/**
 * Version string of the library at run time.
 * @return a static string such as "0.1.0", never NULL.
 * @note Thread-safe.
 * @since 0.1.0
 */
SEG_API const char *seg_version_string(void);

/**
 * Memory allocator hooks, installed with seg_config_allocator().
 *
 * Every function gets @c user_data as its last argument. @c realloc_fn must
 * behave like realloc(3) (a NULL pointer allocates); @c free_fn must accept
 * NULL.
 * @since 0.1.0
 */
typedef struct seg_allocator {
    size_t size; /**< sizeof(seg_allocator), set by seg_allocator_init(). */
    /** Allocate @p n bytes; return NULL on failure. */
    void *(*malloc_fn)(size_t n, void *user_data);
    /** Resize @p p to @p n bytes; return NULL on failure, leaving @p p intact. */
    void *(*realloc_fn)(void *p, size_t n, void *user_data);
    /** Release @p p (may be NULL). */
    void (*free_fn)(void *p, void *user_data);
    void *user_data; /**< Passed to every hook. */
} seg_allocator;

/**
 * Initialise @p a: sets @c size and clears every hook.
 * @param a the structure to initialise; ignored when NULL.
 * @note Thread-safe.
 * @since 0.1.0
 */
SEG_API void seg_allocator_init(seg_allocator *a);

/**
 * Install allocator hooks for all later allocations of the library.
 *
 * Allowed only before the library's first allocation (before any handle is
 * created); the hooks then stay in place for the life of the process.
 *
 * With the C library's allocator, the library asks Linux to back each block
 * of 2 MiB or more with transparent huge pages (madvise(2) with
 * MADV_HUGEPAGE, a hint the system may ignore). It gives no such hint for
 * memory from the hooks: their allocator decides for its own memory.
 * @param a hooks to copy (the caller keeps ownership of @p a), or NULL to
 *          restore the C library's malloc, realloc and free.
 * @return #SEG_OK; #SEG_EINVAL if @p a is too small or a hook is missing;
 *         #SEG_EMISUSE if the library has already allocated memory.
 * @note Not thread-safe: call it once at start-up, before other threads use
 *       the library.
 * @since 0.1.0
 */
SEG_API int seg_config_allocator(const seg_allocator *a);

/** @name Progress and cancellation
 * @{ */

/**
 * What a long call is doing, passed to a #seg_progress_fn with how far it
 * is, in the stage's own unit.
 * @since 0.2.0
 */
typedef enum seg_stage {
    /** Loading CSV (seg_dataset_load_csv(), seg_dataset_load_csv_buffer()):
     *  bytes of the input read; total is the input's size (0 when unknown,
     *  as for a pipe). */
    SEG_STAGE_LOAD = 1,
    /** Adding records or attributes given in arrays
     *  (seg_dataset_add_transactions(), seg_dataset_add_events(),
     *  seg_dataset_set_attributes_f64(), seg_dataset_set_attributes_str()):
     *  values taken; total is their number. */
    SEG_STAGE_RECORDS = 2,
    /** seg_dataset_compute_features(): customers; total is their number. */
    SEG_STAGE_FEATURES = 3,
    /** seg_model_fit(): iterations of the optimiser over all its starting
     *  points (k-means: iterations of its runs on the calling thread);
     *  total is 0, as the number a fit needs is not known in advance. */
    SEG_STAGE_FIT = 4,
    /** seg_model_score(): customers; total is their number. */
    SEG_STAGE_SCORE = 5,
    /** seg_rules_apply(): customers; total is their number. */
    SEG_STAGE_RULES = 6,
    /** seg_dataset_export(), seg_dataset_export_file(): customers
     *  written; total is their number. */
    SEG_STAGE_EXPORT = 7
} seg_stage;

/**
 * Receives the progress of a long call, and may stop it.
 *
 * Installed on a dataset with seg_dataset_set_progress(); the calls that
 * read or change that dataset report through it. It is called once when a
 * stage starts (with @p done 0), then about every 50 ms while the work goes
 * on, and not when the work is over. Calls are normally well under 100 ms
 * apart; a step with no report inside it (grouping the customers'
 * histories before a fit, mapping a 16 MB block of a file) can leave a
 * longer gap on large data or a busy machine. It is always called on the thread that
 * made the library call, never on a worker thread of the library, and it
 * must not call the library on the same handles.
 * @param stage a #seg_stage value.
 * @param done how far the stage is, in its unit (see #seg_stage).
 * @param total how much there is in all, or 0 when that is not known.
 * @param user_data the pointer given with the callback.
 * @return 0 to go on; anything else stops the call, which returns
 *         #SEG_ECANCELED and leaves every handle as it was before it.
 * @since 0.2.0
 */
typedef int (*seg_progress_fn)(int stage, uint64_t done, uint64_t total,
                               void *user_data);

/**
 * Short English name of a stage, for progress displays.
 * @param stage a #seg_stage value (any int is accepted).
 * @return a static string such as "load" or "fit", never NULL; "unknown"
 *         for an unknown value.
 * @note Thread-safe.
 * @since 0.2.0
 */
SEG_API const char *seg_stage_name(int stage);

/** @} */

/** @name Output
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

/** @} */

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* SEGMENT_COMMON_H */
