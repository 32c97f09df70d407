/* Output: the one writer every output of the library goes through (CSV
 * quoting, JSON escaping, number formatting, no fixed-size buffers), and
 * the builder of seg_table. Not API. */
#ifndef SEG_OUTPUT_INTERNAL_H
#define SEG_OUTPUT_INTERNAL_H

#include "dataset/internal.h"

/* A writer buffers bytes and hands them to a seg_write_fn. Its error is
 * sticky: after the first failure (out of memory, the sink stopped) every
 * call does nothing, so callers write a whole table and check once, at
 * seg__w_finish(). */
typedef struct seg__writer {
    seg__buf buf;
    seg_write_fn write;
    void *user;
    int format;          /* SEG_FORMAT_CSV, _JSON or _TEXT */
    int rc;              /* SEG_OK, SEG_ENOMEM or SEG_EIO */
} seg__writer;

void seg__w_init(seg__writer *w, int format, seg_write_fn write, void *user);
/* Bytes as they are (separators, brackets, keys already escaped). */
void seg__w_raw(seg__writer *w, const char *s, size_t n);
void seg__w_str(seg__writer *w, const char *s);
/* printf-style text as it is, of any length. */
void seg__w_printf(seg__writer *w, const char *fmt, ...) SEG__PRINTF(2, 3);
/* A text value in the writer's format: a CSV field quoted by RFC 4180 when
 * it needs to be, a JSON string with every control character escaped, or
 * the text itself. NULL is missing: an empty field, or null. */
void seg__w_text(seg__writer *w, const char *s);
void seg__w_textn(seg__writer *w, const char *s, size_t n);
/* A number: the shortest text that reads back to the same double; NaN is
 * missing (an empty field, null); infinities are null in JSON. */
void seg__w_num(seg__writer *w, double v);
/* Flush what is buffered, then hand s to the sink as it is: a block
 * formatted elsewhere goes out without a copy. */
void seg__w_pass(seg__writer *w, const char *s, size_t n);

/* The most bytes a text of n bytes takes quoted or escaped. */
#define SEG__TEXT_MAX(n) (6 * (n) + 2)
/* A text value as seg__w_textn() writes it in CSV and in JSON, into dst,
 * which has room for SEG__TEXT_MAX(n) bytes; the bytes written. */
size_t seg__csv_text_to(char *dst, const char *s, size_t n);
size_t seg__json_text_to(char *dst, const char *s, size_t n);

/* Flush and report: SEG_OK, or the first error, recorded in err's slot
 * with a message ("the writer stopped", "out of memory"). Frees the
 * buffer. */
int seg__w_finish(seg__writer *w, const seg__errbuf *err);

/* ---- building a table (table.c) ----
 * A table is made with its columns, then filled row by row; cells start
 * missing. Every function returns SEG_OK or SEG_ENOMEM (SEG_EINVAL for an
 * index out of range), and a table that failed to fill is freed by the
 * caller with seg_table_free(). */
int seg__table_new(seg_table **out, const char *name, size_t n_cols,
                   const char *const *names, const int *types);
/* Append a row of missing cells; *row (may be NULL) receives its index. */
int seg__table_add_row(seg_table *t, size_t *row);
int seg__table_set_num(seg_table *t, size_t row, size_t col, double v);
int seg__table_set_text(seg_table *t, size_t row, size_t col, const char *s);
/* Write t as seg_table_write() does, through an existing writer. */
void seg__table_write(seg__writer *w, const seg_table *t);

#endif /* SEG_OUTPUT_INTERNAL_H */
