/* The separator search of the threaded CSV loader: 64 bytes at a time,
 * with SSE2 where there is SSE2, and the splitting of lines into fields
 * on it. Inline, as it runs for every 64 bytes of the input and a call
 * would cost as much as the search. Not API. */
#ifndef SEG_INGEST_CSV_SCAN_H
#define SEG_INGEST_CSV_SCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ingest/internal.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Bit i of *sep is set when p[i] (i < 64) is the delimiter or a line
 * feed, bit i of *nl when it is a line feed; the result is whether any of
 * the 64 bytes is a quote. */
static inline bool seg__rd_scan64(const char *p, char delim, uint64_t *sep,
                                  uint64_t *nl)
{
#if defined(__SSE2__)
    const __m128i d = _mm_set1_epi8(delim), n = _mm_set1_epi8('\n'),
                  q = _mm_set1_epi8('"');
    uint64_t ms = 0, mn = 0;
    int quote = 0;
    for (int i = 0; i < 4; i++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
        uint64_t a = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, n));
        uint64_t b = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, d));
        quote |= _mm_movemask_epi8(_mm_cmpeq_epi8(x, q));
        mn |= a << (16 * i);
        ms |= (a | b) << (16 * i);
    }
    *sep = ms;
    *nl = mn;
    return quote != 0;
#else
    uint64_t ms = 0, mn = 0;
    bool quote = false;
    for (int i = 0; i < 64; i++) {
        uint64_t bit = (uint64_t)1 << i;
        mn |= p[i] == '\n' ? bit : 0;
        ms |= p[i] == '\n' || p[i] == delim ? bit : 0;
        quote |= p[i] == '"';
    }
    *sep = ms;
    *nl = mn;
    return quote;
#endif
}

/* The end of a line of nf fields split by seg__rd_split() into f (the
 * first need of them): the CR of a CRLF line end taken off its last field
 * when that field is kept; false for an empty line, which is no record. */
static inline bool seg__rd_record(seg__text *f, size_t nf, size_t need)
{
    if (nf <= need && f[nf - 1].n && f[nf - 1].p[f[nf - 1].n - 1] == '\r')
        f[nf - 1].n--;
    return !(nf == 1 && f[0].n == 0);
}

/* Split the lines of base[0 .. len) into fields: the first `need` fields
 * of a line go to f, and at the end of each line (a last one without a
 * line feed too) line(ctx, nf) is called with its count of fields, which
 * may be more than need. The line feed is not part of the last field; a
 * CR before it is. Returns 0 at the end, 1 when line() returned false,
 * -1 at a quote (a field could hold a line feed: the lines from the 64
 * bytes that hold it on are not split). A caller whose line() is a
 * static function it names gets the call inlined. */
static inline int seg__rd_split(const char *base, size_t len, char delim,
                                size_t need, seg__text *f,
                                bool (*line)(void *ctx, size_t nf),
                                void *ctx)
{
    size_t s = 0, nf = 0;
    for (size_t blk = 0; blk < len; blk += 64) {
        uint64_t sep, nl;
        bool quote;
        if (len - blk >= 64) {
            quote = seg__rd_scan64(base + blk, delim, &sep, &nl);
        } else {
            char tail[64] = {0}; /* NUL is neither separator */
            memcpy(tail, base + blk, len - blk);
            quote = seg__rd_scan64(tail, delim, &sep, &nl);
        }
        if (quote)
            return -1;
        while (sep) {
            unsigned k = (unsigned)__builtin_ctzll(sep);
            sep &= sep - 1;
            size_t at = blk + k;
            if (nf < need) {
                f[nf].p = base + s;
                f[nf].n = at - s;
            }
            nf++;
            s = at + 1;
            if (nl >> k & 1) {
                if (!line(ctx, nf))
                    return 1;
                nf = 0;
            }
        }
    }
    if (s < len || nf) { /* a last line without a line feed */
        if (nf < need) {
            f[nf].p = base + s;
            f[nf].n = len - s;
        }
        if (!line(ctx, nf + 1))
            return 1;
    }
    return 0;
}

#endif /* SEG_INGEST_CSV_SCAN_H */
