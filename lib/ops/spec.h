/* What the definitions of lib/ops (ladders, reclaims) and their outputs
 * share: the words of a line, the names of the columns, times in table
 * cells and the thread's copy of a handle's message. Private to
 * lib/ops. */
#ifndef SEG_OPS_SPEC_H
#define SEG_OPS_SPEC_H

#include "output/internal.h"

typedef struct seg__word {
    const char *s;
    size_t n;
} seg__word;

/* Split a line into at most max words: runs of characters other than
 * spaces and '=', a "quoted" run (without its quotes), or '=' alone.
 * Returns the count; max + 1 when there are more, max + 2 when a quote is
 * not closed. */
size_t seg__split_words(const char *s, size_t n, seg__word *w, size_t max);
bool seg__word_is(const seg__word *w, const char *s);

/* "PREFIX.what", or NULL out of memory. */
char *seg__ops_column_name(const char *prefix, const char *what);

/* A time as ISO 8601 text in the zone; SEG_TIME_NONE leaves the cell
 * missing. */
int seg__ops_set_time(seg_table *t, size_t row, size_t col,
                      const seg__tz *tz, int64_t v);

/* A shipped definition, and the text of the one called name among the
 * n of p (NULL for none). */
typedef struct seg__ops_preset {
    const char *name, *text;
} seg__ops_preset;
const char *seg__ops_preset_text(const seg__ops_preset *p, size_t n,
                                 const char *name);

/* A handle's last message copied into the calling thread's buf (of
 * SEG__ERRMSG_MAX bytes) under the handle's lock, since threads that
 * share a definition may fail at once; "no error" if none. */
const char *seg__ops_errmsg(const seg__errbuf *e, char *buf);

#endif
