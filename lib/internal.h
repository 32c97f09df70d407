/* Internal declarations shared by the library's source files. Not API. */
#ifndef SEGMENT_INTERNAL_H
#define SEGMENT_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>

#include "segment.h"

#define SEG__ERRMSG_MAX 1024

#if defined(__GNUC__)
#define SEG__PRINTF(f, a) __attribute__((format(printf, f, a)))
/* inlined at every call, so that a constant argument specialises it */
#define SEG__INLINE static inline __attribute__((always_inline))
#else
#define SEG__PRINTF(f, a)
#define SEG__INLINE static inline
#endif

/* ---- memory (alloc.c) ---- */
void *seg__malloc(size_t n);
void *seg__calloc(size_t count, size_t size);
void *seg__realloc(void *p, size_t n);
void seg__free(void *p);
/* Grow *p (an array of elem-sized items of capacity *cap) to hold at least
 * need items. Returns SEG_OK or SEG_ENOMEM, leaving *p intact on failure. */
int seg__grow(void **p, size_t *cap, size_t need, size_t elem);
char *seg__strndup(const char *s, size_t n);

/* ---- errors (error.c) ---- */
/* A message slot that belongs to a handle; safe to write from a const
 * method called by several threads at once. */
typedef struct seg__errbuf {
    pthread_mutex_t lock;
    bool has;
    char msg[SEG__ERRMSG_MAX];
} seg__errbuf;

int seg__errbuf_init(seg__errbuf *e);
void seg__errbuf_destroy(seg__errbuf *e);
const char *seg__errbuf_get(const seg__errbuf *e);
void seg__errbuf_clear(const seg__errbuf *e);
bool seg__errbuf_has(const seg__errbuf *e);
/* Record an error in the thread's slot and, when h is not NULL, in the
 * handle's slot. Returns code so that callers can `return seg__error(...)`. */
int seg__error(const seg__errbuf *h, int code, const char *fmt, ...)
    SEG__PRINTF(3, 4);
int seg__verror(const seg__errbuf *h, int code, const char *fmt, va_list ap);
/* Out-of-memory needs no formatting that could itself allocate. */
int seg__nomem(const seg__errbuf *h);

/* ---- text (text.c) ---- */
bool seg__utf8_valid(const char *s, size_t n);
uint64_t seg__hash(const char *s, size_t n);
/* Parse a decimal number (optional sign, digits, fraction, exponent), with
 * surrounding ASCII spaces allowed, independent of the locale. Rejects
 * nan/inf/hex. Returns SEG_OK, SEG_EPARSE, or SEG_ERANGE (overflow). */
int seg__parse_f64(const char *s, size_t n, double *out);
/* Shortest text that reads back to the same double, in the C locale. Writes
 * at most 32 bytes plus NUL; returns the length. */
size_t seg__format_f64(char *buf, double v);
/* Quote a value for error messages: copies at most ~40 bytes of s. */
const char *seg__excerpt(char *buf, size_t bufsz, const char *s, size_t n);

/* Read decimal digits at p (up to e), at most `max` of them (max <= 19),
 * into *v (which it multiplies up). Returns how many digits were read.
 * Eight digits at a time where the machine is little-endian. */
static inline size_t seg__read_digits(const char *p, const char *e,
                                      size_t max, uint64_t *v)
{
    size_t n = 0;
    uint64_t acc = *v;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (max - n >= 8 && e - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        if ((w & 0xF0F0F0F0F0F0F0F0ull) != 0x3030303030303030ull ||
            ((w + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) !=
                0x3030303030303030ull)
            break;
        w -= 0x3030303030303030ull;
        w = (w * 10) + (w >> 8);
        w = (((w & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
             (((w >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >>
            32;
        acc = acc * 100000000ull + (w & 0xFFFFFFFFull);
        p += 8;
        n += 8;
    }
#endif
    while (n < max && p < e && *p >= '0' && *p <= '9') {
        acc = acc * 10 + (uint64_t)(*p++ - '0');
        n++;
    }
    *v = acc;
    return n;
}

/* The candidate nearest to `name` by edit distance, or NULL when none is
 * close enough to be a plausible typo. */
const char *seg__nearest(const char *name, const char *const *cands,
                         size_t n);

/* Compensated (Neumaier) summation: sums of amounts in cents come out as
 * the double nearest the exact decimal sum, not 552.1800000000001. */
typedef struct ksum {
    double s, c;
} ksum;

static inline void ksum_add(ksum *k, double v)
{
    /* the exact rounding error of s + v, without a branch (Knuth's
     * TwoSum): the same error Neumaier's comparison picks, and no
     * unpredictable branch in the loops that sum amounts */
    double t = k->s + v, bv = t - k->s;
    k->c += (k->s - (t - bv)) + (v - bv);
    k->s = t;
}

static inline double ksum_value(const ksum *k) { return k->s + k->c; }

/* ---- a growable byte buffer ---- */
typedef struct seg__buf {
    char *data;
    size_t len, cap;
} seg__buf;
int seg__buf_append(seg__buf *b, const char *s, size_t n);
/* Append a CSV field, quoted by RFC 4180 when it needs to be. */
int seg__csv_field(seg__buf *b, const char *s);
void seg__buf_free(seg__buf *b);

/* ---- interned strings: customer ids, event kinds, labels (intern.c) ----
 * Each distinct string gets the next index (0, 1, 2 ...); lookup is O(1). */
typedef struct seg__interner {
    char *pool;          /* NUL-terminated strings back to back */
    size_t pool_len, pool_cap;
    size_t *off;         /* offset of string i in pool */
    uint32_t *len;       /* its length */
    uint32_t *hash;      /* its hash (low 32 bits) */
    size_t n, cap;
    uint32_t *slots;     /* open addressing: index + 1, 0 = empty */
    size_t nslots;       /* power of two */
} seg__interner;

#define SEG__INTERN_MAX 0xFFFFFFFEu

/* Find or add. *idx receives the index; *added (may be NULL) whether it is
 * new. Returns SEG_OK, SEG_ENOMEM or SEG_ELIMIT. */
int seg__intern(seg__interner *in, const char *s, size_t n, uint32_t *idx,
                bool *added);
/* The same, for a string whose seg__hash() h the caller has. */
int seg__intern_h(seg__interner *in, const char *s, size_t n, uint32_t h,
                  uint32_t *idx, bool *added);
bool seg__intern_find(const seg__interner *in, const char *s, size_t n,
                      uint32_t *idx);
static inline const char *seg__intern_str(const seg__interner *in, uint32_t i)
{
    return in->pool + in->off[i];
}
/* Reserve room for `more` strings of `bytes` bytes in total. */
int seg__intern_reserve(seg__interner *in, size_t more, size_t bytes);
/* Forget strings with index >= n (for rollback). Never allocates. */
void seg__intern_truncate(seg__interner *in, size_t n);
void seg__intern_free(seg__interner *in);

/* ---- the dataset (dataset.c) ---- */
enum seg__origin { SEG__ORIGIN_USER = 0, SEG__ORIGIN_FEATURE = 1 };

typedef struct seg__column {
    char *name;
    int type;            /* seg_column_type */
    int origin;          /* seg__origin */
    size_t n, cap;       /* rows stored; rows >= n read as missing */
    double *num;         /* SEG_COLUMN_NUMERIC */
    uint32_t *lab;       /* SEG_COLUMN_LABEL: label index + 1, 0 = missing */
    seg__interner labels;
    /* rollback state, valid while a mark is active */
    size_t mark_n;
    size_t mark_labels;
} seg__column;

typedef struct seg__undo {
    uint32_t col;
    uint32_t row;
    double num;
    uint32_t lab;
} seg__undo;

struct seg_dataset {
    seg__errbuf err;
    seg__interner ids;

    size_t n_tx, cap_tx;
    bool tx_grouped;     /* tx_cust never decreases: no regrouping needed */
    int64_t max_time;    /* latest transaction or event time */
    uint32_t *tx_cust;
    int64_t *tx_time;
    double *tx_amount;

    size_t n_ev, cap_ev;
    uint32_t *ev_cust;
    int64_t *ev_time;
    uint32_t *ev_kind;
    double *ev_value;
    seg__interner kinds;

    seg__column **cols;
    size_t n_cols, cap_cols;
    int threads;         /* for loads and features: 0 = the processors */

    /* transaction rollback ("mark") state */
    bool marked;
    size_t mark_cust, mark_tx, mark_ev, mark_kinds, mark_cols;
    bool mark_grouped;
    int64_t mark_max_time;
    seg__undo *undo;
    size_t n_undo, cap_undo;
};

/* Begin a change that must be all-or-nothing; end it with commit or
 * rollback. Never fails. */
void seg__ds_mark(seg_dataset *ds);
void seg__ds_commit(seg_dataset *ds);
void seg__ds_rollback(seg_dataset *ds);

/* Internal record API: no validation of arguments beyond what the callers
 * cannot check; usable only inside a mark. */
int seg__ds_customer(seg_dataset *ds, const char *id, size_t n, uint32_t *row);
/* The same with the id's seg__hash() (low 32 bits) known. */
int seg__ds_customer_h(seg_dataset *ds, const char *id, size_t n, uint32_t h,
                       uint32_t *row);
int seg__ds_reserve_tx(seg_dataset *ds, size_t more);
/* The same as a hint: room for `more` if memory allows, else nothing
 * (and no error). */
void seg__ds_reserve_tx_hint(seg_dataset *ds, size_t more);
int seg__ds_reserve_ev(seg_dataset *ds, size_t more);
static inline void seg__ds_push_tx(seg_dataset *ds, uint32_t row, int64_t t,
                                   double amount)
{
    if (ds->n_tx && row < ds->tx_cust[ds->n_tx - 1])
        ds->tx_grouped = false;
    if (t > ds->max_time)
        ds->max_time = t;
    ds->tx_cust[ds->n_tx] = row;
    ds->tx_time[ds->n_tx] = t;
    ds->tx_amount[ds->n_tx] = amount;
    ds->n_tx++;
}
int seg__ds_push_ev(seg_dataset *ds, uint32_t row, int64_t t,
                    const char *kind, size_t kind_len, double value);
/* Find (or create) a column of a given type; *col receives it. Returns
 * SEG_ETYPE if it exists with another type. */
int seg__ds_column(seg_dataset *ds, const char *name, size_t name_len,
                   int type, int origin, seg__column **col);
seg__column *seg__ds_find_column(const seg_dataset *ds, const char *name);
int seg__ds_set_num(seg_dataset *ds, seg__column *c, uint32_t row, double v);
int seg__ds_set_label(seg_dataset *ds, seg__column *c, uint32_t row,
                      const char *s, size_t n);
/* Replace (or add) a whole column, taking ownership of `data` (customer
 * count doubles) on success. */
int seg__ds_put_num_column(seg_dataset *ds, const char *name, int origin,
                           double *data);
/* Replace (or add) a label column from codes (customer count of them):
 * codes[row] is 0 (missing) or i + 1 for names[i]. Takes ownership of
 * codes on success (they may be rewritten in place). */
int seg__ds_put_label_codes(seg_dataset *ds, const char *name,
                            const char *const *names, size_t n_names,
                            uint32_t *codes);
/* Whether a column of this name and type may be put: the name is valid
 * text and no column of another type has it. Changes nothing. */
int seg__ds_check_put(seg_dataset *ds, const char *name, int type);
void seg__column_free(seg__column *c);
double seg__column_num(const seg__column *c, size_t row);
const char *seg__column_label(const seg__column *c, size_t row);

/* Write a file under a temporary name, flush it, then rename it into place,
 * so that a crash never leaves a half-written file at path. */
typedef int (*seg__producer)(seg_write_fn write, void *write_user, void *ctx);
int seg__write_atomic(const seg__errbuf *err, const char *path,
                      seg__producer produce, void *ctx);

/* ---- models (model.c) ---- */
int seg__model_error(const seg_model *m, int code, const char *fmt, ...)
    SEG__PRINTF(3, 4);
/* A model's parameter by name (NaN or "" if it has none of that type). */
double seg__param_num(const seg_model *m, const char *name);
const char *seg__param_str(const seg_model *m, const char *name);
/* A copy of a numeric column (customer count values), or NULL with *rc set
 * and the model's message explaining. */
double *seg__model_column(const seg_model *m, const seg_dataset *ds,
                          const char *col, int *rc);
/* Write the column PREFIX.WHAT: numbers, or labels when labels != NULL. */
int seg__model_put(const seg_model *m, seg_dataset *ds, const char *prefix,
                   const char *what, const double *num, const char **labels);
/* The same for numbers the dataset may keep: on success *num (customer
 * count values) is the dataset's and set to NULL. */
int seg__model_put_owned(const seg_model *m, seg_dataset *ds,
                         const char *prefix, const char *what, double **num);
/* The state text of the built-in models: a line "KEY n1 n2 ...", written
 * with the shortest exact numbers; reading wants exactly n of them (and
 * "nan" only when allow_nan), then moves *p past the line. */
int seg__state_put(seg_write_fn write, void *write_user, const char *key,
                   const double *v, int n);
int seg__state_get(const seg_model *m, const char **p, const char *end,
                   const char *key, double *v, int n, bool allow_nan);
/* Built-in model classes, registered at first use of the registry. */
extern const seg_model_class seg__rfm_class, seg__bgnbd_class,
    seg__mbgnbd_class, seg__pnbd_class, seg__bgbb_class, seg__gg_class,
    seg__clv_class, seg__engagement_class, seg__stage_class,
    seg__kmeans_class;

/* ---- threads (common.c) ---- */
#define SEG__MAX_THREADS 64
/* How many threads to use for `work` units of work: `requested` (at most
 * one a unit), or when it is 0 the online processors, at most one per
 * min_work units (min_work 0: no such limit); between 1 and
 * SEG__MAX_THREADS. */
int seg__threads(int requested, size_t work, size_t min_work);
/* Run fn on each of n jobs (job i at (char *)jobs + i * size, n at most
 * SEG__MAX_THREADS): job 0 on the calling thread, the others on threads
 * of their own; a job whose thread cannot start runs on the caller. Returns
 * when all are done. */
void seg__run_jobs(void *(*fn)(void *), void *jobs, size_t size, int n);
/* The same in two steps, for a caller that works meanwhile: start puts
 * every job on a thread of its own; wait joins them, running on the caller
 * any whose thread could not start. */
typedef struct seg__jobs {
    void *(*fn)(void *);
    char *jobs;
    size_t size;
    int n;
    pthread_t tid[SEG__MAX_THREADS];
    bool started[SEG__MAX_THREADS];
} seg__jobs;
void seg__jobs_start(seg__jobs *j, void *(*fn)(void *), void *jobs,
                     size_t size, int n);
void seg__jobs_wait(seg__jobs *j);

/* Copy a public options struct that starts with a size field: fields beyond
 * the caller's size keep the defaults already in *dst. */
int seg__copy_opts(void *dst, size_t dst_size, const void *src);

#endif /* SEGMENT_INTERNAL_H */
