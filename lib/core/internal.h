/* The core: allocation, errors, text and numbers, a byte buffer, interned
 * strings, threads, quantiles. Every other area builds on it. Not API. */
#ifndef SEG_CORE_INTERNAL_H
#define SEG_CORE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>

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
/* Ask the system to back a large block with huge pages: a look at random
 * into it (hash slots, a dataset's records) costs no walk of the page
 * tables, and its first touch one fault for 2 MiB instead of one for each
 * 4 KiB. A hint: nothing changes if it is not taken. seg__malloc() and
 * seg__realloc() give it for every block of 2 MiB or more that the system's
 * allocator makes (a host's allocator decides for its own memory). */
void seg__advise_random(void *p, size_t bytes);
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
/* A copy of the handle's message taken under its lock, into out (of
 * SEG__ERRMSG_MAX bytes): threads failing on a shared handle rewrite the
 * slot, so a pointer into it could change under a reader. Returns out. */
char *seg__errbuf_copy(const seg__errbuf *e, char *out);
void seg__errbuf_clear(const seg__errbuf *e);
bool seg__errbuf_has(const seg__errbuf *e);
/* Record an error in the thread's slot and, when h is not NULL, in the
 * handle's slot. Returns code so that callers can `return seg__error(...)`. */
int seg__error(const seg__errbuf *h, int code, const char *fmt, ...)
    SEG__PRINTF(3, 4);
int seg__verror(const seg__errbuf *h, int code, const char *fmt, va_list ap);
/* Whether this thread's slot holds a message (since seg_error_clear()). */
bool seg__thread_has_error(void);
/* How many errors this thread has recorded: a call on a handle that other
 * threads share tells whether it recorded a message of its own by the
 * count before and after, since the handle's slot may hold another
 * thread's message meanwhile. */
unsigned long seg__thread_error_count(void);
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

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The value of eight ASCII digits loaded as a little-endian word (the
 * first byte the most significant digit), or false if a byte is not a
 * digit. */
static inline bool seg__digits8(uint64_t w, uint64_t *v)
{
    if ((w & 0xF0F0F0F0F0F0F0F0ull) != 0x3030303030303030ull ||
        ((w + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) !=
            0x3030303030303030ull)
        return false;
    w -= 0x3030303030303030ull;
    w = (w * 10) + (w >> 8);
    w = (((w & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
         (((w >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >>
        32;
    *v = w & 0xFFFFFFFFull;
    return true;
}
#endif

/* Whether n bytes at a and b are equal: strings of 4 to 32 bytes (ids,
 * dates, labels) in overlapping words, without a call, where a call to
 * memcmp would cost as much as the compare. */
static inline bool seg__same_bytes(const char *a, const char *b, size_t n)
{
    if (n >= 8 && n <= 32) {
        uint64_t x, y, u, v;
        if (n > 16) {
            uint64_t p, q, r, t;
            memcpy(&p, a + 8, 8);
            memcpy(&q, b + 8, 8);
            memcpy(&r, a + n - 16, 8);
            memcpy(&t, b + n - 16, 8);
            if (p != q || r != t)
                return false;
        }
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        memcpy(&u, a + n - 8, 8);
        memcpy(&v, b + n - 8, 8);
        return x == y && u == v;
    }
    if (n >= 4 && n < 8) {
        uint32_t x, y, u, v;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        memcpy(&u, a + n - 4, 4);
        memcpy(&v, b + n - 4, 4);
        return x == y && u == v;
    }
    return memcmp(a, b, n) == 0;
}

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
        uint64_t w, d8;
        memcpy(&w, p, 8);
        if (!seg__digits8(w, &d8))
            break;
        acc = acc * 100000000ull + d8;
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
    /* open addressing, two words a slot: the hash in the high half of
     * key, so that a probe of another string costs no look into the
     * arrays above, and index + 1 in its low half (0 = empty); and the
     * string's offset in pool << 16 | its length (0xFFFF: len[] has it),
     * so that a lookup that finds it reads the slot and the text, no
     * line of off[] and len[]; or a short string itself (intern.c), so
     * that it reads the slot alone */
    struct seg__intern_slot {
        uint64_t key, at;
    } *slots;
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
/* Find or add n strings in turn, string i at base + off[i], len[i] bytes,
 * with seg__hash() hash[i]: idx[i] its index (idx may be hash itself,
 * each hash read before its index is written). A loader's lookups of
 * strings it has the hashes of ahead: the slots a few steps ahead and
 * then the texts they point to are asked for early. Returns SEG_OK, or
 * the error of string *done, those before it found or added. */
int seg__intern_many(seg__interner *in, const char *base, const uint32_t *off,
                     const uint32_t *len, const uint32_t *hash, size_t n,
                     uint32_t *idx, size_t *done);
/* Reserve room for `more` strings of `bytes` bytes in total. */
int seg__intern_reserve(seg__interner *in, size_t more, size_t bytes);
/* Forget strings with index >= n (for rollback). Never allocates. */
void seg__intern_truncate(seg__interner *in, size_t n);
void seg__intern_free(seg__interner *in);

/* ---- numbers ----
 * lgamma() without its global sign (lgamma.c): the library computes
 * log-gammas on threads. */
double seg__lgamma(double x);

/* ---- threads (threads.c) ---- */
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

/* ---- calendar (time.c) and time zones (tz.c) ---- */
/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t seg__days_from_civil(int64_t y, unsigned m, unsigned d);
void seg__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* A business time zone: a fixed offset, or the rules of an IANA zone read
 * from the system's tz database (TZif files under $TZDIR or
 * /usr/share/zoneinfo), with the POSIX rule of the file's footer for
 * times past its table. Immutable once opened. */
typedef struct seg__tz seg__tz;
/* "UTC", "Z", "+08:00", "+0800", "-05", or an IANA name such as
 * "Asia/Shanghai". SEG_ENOTFOUND for an unknown zone, SEG_EPARSE for a
 * malformed name or file, SEG_ENOMEM; the message goes to err. */
int seg__tz_open(seg__tz **out, const char *zone, const seg__errbuf *err);
void seg__tz_free(seg__tz *tz);
const char *seg__tz_name(const seg__tz *tz);
/* The offset from UTC, in seconds, in force at the instant t. */
int32_t seg__tz_offset(const seg__tz *tz, int64_t t);
/* The local calendar day of the instant t, in days since 1970-01-01. */
int64_t seg__tz_day(const seg__tz *tz, int64_t t);
/* The first instant of local day d (the first valid one, where a change
 * of offset skips midnight). */
int64_t seg__tz_day_start(const seg__tz *tz, int64_t d);
/* Whether the zone has one offset for all time (UTC, "+08:00", Etc/GMT-8),
 * and which: then a day is a division, with no lookup per time. */
bool seg__tz_fixed(const seg__tz *tz, int32_t *offset);
/* The instant of a local wall-clock time given as seconds since
 * 1970-01-01T00:00 local: the earlier where it occurs twice, shifted
 * forward by the gap where a change skips it. */
int64_t seg__tz_from_local(const seg__tz *tz, int64_t local);
/* seg_time_parse() in a zone (NULL: UTC): a time without an offset is a
 * local time of the zone, a date its local day (start, or with
 * SEG_TIME_END_OF_DAY its last second); times with an offset, and epoch
 * seconds, are instants as they are. */
int seg__time_parse_in(const seg__tz *tz, int64_t *out, const char *s,
                       size_t len, int format);
/* An instant as ISO 8601 local time with its offset in the zone (NULL:
 * UTC): "2024-03-01T20:00:00+08:00", "...Z" where the offset is 0.
 * Returns the length, or 0 when the year is outside 0..9999; buf holds
 * at least SEG__ISO_MAX bytes. */
#define SEG__ISO_MAX 32
size_t seg__time_format_in(const seg__tz *tz, char *buf, int64_t t);

/* ---- versions of symbols (compat.c) ----
 * An init function whose options struct grew keeps its old version for
 * programs built against the old headers (lib/core/compat.c); the current
 * one, defined as IMPL, is the default version of NAME. */
#if defined(__ELF__) && defined(__GNUC__)
#define SEG__VERSIONED(impl, name_at_version)                                 \
    __asm__(".symver " #impl ", " name_at_version)
#define SEG__VERSIONED_API __attribute__((visibility("default")))
#endif

/* ---- files (file.c) ---- */
/* Write a file under a temporary name, flush it, then rename it into place,
 * so that a crash never leaves a half-written file at path. */
typedef int (*seg__producer)(seg_write_fn write, void *write_user, void *ctx);
int seg__write_atomic(const seg__errbuf *err, const char *path,
                      seg__producer produce, void *ctx);


/* ---- progress and cancellation (progress.c) ----
 * An operation that reports progress begins a stage (which calls the
 * host's callback with done 0), reports at the boundaries of its loops,
 * and ends the stage whatever happens. Only the thread that made the call
 * calls the callback: the stage is that thread's current one, and worker
 * threads, given the stage, only look whether it was canceled. A
 * cancellation is sticky: every later report says SEG_ECANCELED, and the
 * message is in err. */
#define SEG__PROGRESS_NS 50000000u
#define SEG__PROGRESS_EVERY 256u
typedef struct seg__progress {
    seg_progress_fn fn;       /* NULL: nothing to report, nothing stops */
    void *user;
    const seg__errbuf *err;
    int stage;
    uint64_t done, total;
    uint32_t every, left;     /* reports between reads of the clock */
    uint64_t last_call, last_check;
    _Atomic int canceled;
    struct seg__progress *outer;
} seg__progress;

int seg__progress_begin(seg__progress *p, seg_progress_fn fn, void *user,
                        const seg__errbuf *err, int stage, uint64_t total);
void seg__progress_end(seg__progress *p);
/* The calling thread's stage, or NULL: for loops deep inside an
 * operation (an optimiser) that have no other way to reach it. */
seg__progress *seg__progress_current(void);
int seg__progress_check(seg__progress *p);

/* `done` units of the stage are done: SEG_OK, or SEG_ECANCELED. */
SEG__INLINE int seg__progress_at(seg__progress *p, uint64_t done)
{
    if (!p || !p->fn)
        return SEG_OK;
    p->done = done;
    return --p->left ? SEG_OK : seg__progress_check(p);
}

/* Whether a report is due now, for a loop whose count of done units
 * costs something: then set p->done and call seg__progress_check(). */
SEG__INLINE bool seg__progress_due(seg__progress *p)
{
    return p && p->fn && !--p->left;
}

/* A report with no more units done: a sign of life from a loop whose
 * units are counted elsewhere. */
SEG__INLINE int seg__progress_beat(seg__progress *p)
{
    return p ? seg__progress_at(p, p->done) : SEG_OK;
}

/* n more units done. */
SEG__INLINE int seg__progress_add(seg__progress *p, uint64_t n)
{
    return p && p->fn ? seg__progress_at(p, p->done + n) : SEG_OK;
}

/* For a worker thread, or a thread that may not be the caller's: whether
 * the stage was canceled, never calling the callback. */
SEG__INLINE int seg__progress_canceled(seg__progress *p)
{
    return p && atomic_load_explicit(&p->canceled, memory_order_relaxed)
               ? SEG_ECANCELED
               : SEG_OK;
}

/* lead: the calling thread's share of a threaded loop reports, the others
 * look for a cancellation. */
SEG__INLINE int seg__progress_poll(seg__progress *p, bool lead,
                                   uint64_t done)
{
    return lead ? seg__progress_at(p, done) : seg__progress_canceled(p);
}

/* ---- quantiles (select.c) ---- */
/* The p-quantile (0..1) of v by linear interpolation between order
 * statistics (numpy's default), in linear time; may reorder v. NaN if
 * n = 0. */
double seg__quantile_select(double *v, size_t n, double p);

/* The same p-quantile of the `finite` values of v[0..n-1] that are not NaN,
 * leaving v as it is, in about one pass when v is large. False when that
 * cannot be done (v is small, or mostly NaN, or the one pass misjudged):
 * then use seg__quantile_select() on a copy. */
bool seg__quantile_sampled(const double *v, size_t n, size_t finite, double p,
                           double *out);


#endif /* SEG_CORE_INTERNAL_H */
