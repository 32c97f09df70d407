/* The separator search of the threaded CSV loader: 64 bytes at a time,
 * with SSE2 where there is SSE2. Inline, as it runs for every 64 bytes of
 * the input and a call would cost as much as the search. Not API. */
#ifndef SEG_INGEST_CSV_SCAN_H
#define SEG_INGEST_CSV_SCAN_H

#include <stdbool.h>
#include <stdint.h>
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

#endif /* SEG_INGEST_CSV_SCAN_H */
