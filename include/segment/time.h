/**
 * @file segment/time.h
 * @brief Times: parsing and formatting of the formats the CSV loader reads.
 */
#ifndef SEGMENT_TIME_H
#define SEGMENT_TIME_H

#include "segment/common.h"

/**
 * @defgroup seg_time Times
 * @brief Times are `int64_t` seconds since 1970-01-01T00:00:00Z (UTC).
 *
 * The library never reads the wall clock: every analysis takes an explicit
 * time.
 * @{
 */

#ifdef __cplusplus
extern "C" {
#endif

/** A time that is not set (for example "no holdout"). @since 0.1.0 */
#define SEG_TIME_NONE INT64_MIN

/**
 * Formats accepted by seg_time_parse() and the CSV loader.
 * @since 0.1.0
 */
typedef enum seg_time_format {
    /** Detect per value: a value with '-' is ISO 8601; exactly 8 digits is
     *  YYYYMMDD; any other integer is epoch seconds. */
    SEG_TIME_AUTO = 0,
    /** ISO 8601: `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM[:SS[.frac]]` (a space may
     *  replace the `T`) with an optional `Z`, `+HH`, `+HHMM` or `+HH:MM`
     *  offset; no offset means UTC. Fractions of a second are dropped. */
    SEG_TIME_ISO8601 = 1,
    /** Eight digits `YYYYMMDD`, midnight UTC. */
    SEG_TIME_YYYYMMDD = 2,
    /** An integer number of seconds since the epoch, optionally signed. */
    SEG_TIME_EPOCH = 3
} seg_time_format;

/**
 * Flag for seg_time_parse(): a date without a time of day (`YYYY-MM-DD` or
 * `YYYYMMDD`) means the end of that day, 23:59:59, as an inclusive
 * "as of" date does.
 * @since 0.2.0
 */
#define SEG_TIME_END_OF_DAY 0x100

/**
 * Parse a time.
 * @param[out] out the time in epoch seconds; unchanged on failure.
 * @param s the text; it need not be NUL-terminated.
 * @param len number of bytes of @p s to read; surrounding ASCII spaces are
 *            ignored.
 * @param format a #seg_time_format, optionally with #SEG_TIME_END_OF_DAY
 *        or-ed in.
 * @return #SEG_OK; #SEG_EINVAL for a NULL pointer or unknown format;
 *         #SEG_EPARSE if the text is not a valid time of that format
 *         (including impossible dates such as 1997-02-30);
 *         #SEG_ERANGE if the time does not fit in 64 bits.
 * @note Thread-safe.
 * @since 0.1.0
 */
SEG_API int seg_time_parse(int64_t *out, const char *s, size_t len, int format);

/**
 * Format a time as ISO 8601 in UTC: `YYYY-MM-DD` when the time is midnight,
 * else `YYYY-MM-DDTHH:MM:SSZ`.
 * @param buf where to write; always NUL-terminated when @p n > 0.
 * @param n size of @p buf; 21 bytes are always enough for years 0..9999.
 * @param t the time.
 * @return #SEG_OK; #SEG_EINVAL if @p buf is NULL; #SEG_ERANGE if @p buf is
 *         too small or the year is outside 0..9999.
 * @note Thread-safe.
 * @since 0.1.0
 */
SEG_API int seg_time_format_iso(char *buf, size_t n, int64_t t);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* SEGMENT_TIME_H */
