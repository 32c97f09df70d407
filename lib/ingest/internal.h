/* Ingest: the CSV reader (csv_reader.c), the format-independent part of a
 * load (sink.c), and the sequential and threaded CSV loaders (csv_load.c,
 * csv_parallel.c). Not API. */
#ifndef SEG_INGEST_INTERNAL_H
#define SEG_INGEST_INTERNAL_H

#include <stdio.h>
#include <sys/types.h>

#include "dataset/struct.h"

/* ---- the CSV reader (csv_reader.c) ---- */

typedef struct seg__field {
    const char *p;
    size_t n;
    size_t scratch_off; /* where an unescaped quoted field lives */
    bool in_scratch;
} seg__field;

typedef struct seg__reader {
    const char *name;
    FILE *f;
    char *buf;          /* file mode: a window of the file */
    size_t cap;
    const char *data;   /* the bytes being parsed */
    size_t len, pos;
    bool eof;           /* no more bytes beyond len */
    size_t size;        /* the input's size, when known (else 0) */
    int map_fd;         /* >= 0: batches are mapped from this file */
    off_t map_off;      /* the offset of the next batch */
    size_t line;        /* line of the next record */
    size_t rec_line;    /* first line of the current record */
    char delim;
    bool ws;            /* runs of whitespace separate fields */
    unsigned char cls[256]; /* byte classes of the delimited-mode scanner */
    seg__field *fields;
    size_t nfields, capfields;
    seg__buf scratch;
    seg__errbuf *err;
} seg__reader;

enum { SEG__REC_OK = 1, SEG__REC_MORE = 2, SEG__REC_EOF = 3 };
/* Byte classes of the delimited-mode scanner. */
enum { SEG__C_DATA = 0, SEG__C_DELIM = 1, SEG__C_EOL = 2, SEG__C_QUOTE = 3 };

int seg__rd_error(seg__reader *rd, int code, size_t line, size_t col,
                  const char *fmt, ...) SEG__PRINTF(5, 6);
/* Read more of the file, keeping the unparsed tail. */
int seg__rd_refill(seg__reader *rd);
/* Next non-empty record, reading more of the file as needed: SEG__REC_OK,
 * SEG__REC_EOF or an error. */
int seg__rd_next_record(seg__reader *rd);
/* The delimiter of the first line: tab, else comma, else semicolon, else
 * whitespace. */
void seg__rd_detect_delimiter(seg__reader *rd);
/* Bit i of *sep is set when p[i] (i < 64) is the delimiter or a line
 * feed, bit i of *nl when it is a line feed; the result is whether any of
 * the 64 bytes is a quote. */
bool seg__rd_scan64(const char *p, char delim, uint64_t *sep, uint64_t *nl);

/* ---- mapping columns to roles, staging, checks (sink.c) ---- */

enum { SEG__R_ID, SEG__R_TIME, SEG__R_AMOUNT, SEG__R_KIND, SEG__R_VALUE,
       SEG__R_N };
extern const char *const seg__role_names[SEG__R_N];

typedef struct seg__attr_stage {
    const char *name;
    size_t col;
    uint32_t *rows;
    size_t *lines;
    size_t *offs;       /* value i is text.data[offs[i] .. offs[i+1]) */
    size_t n, cap_rows, cap_lines, cap_offs;
    seg__buf text;
} seg__attr_stage;

typedef struct seg__header {
    char **names;
    size_t n;
} seg__header;

void seg__header_free(seg__header *h);
int seg__resolve(seg__reader *rd, const seg__header *h, const char *what,
                 const char *spec, size_t *col);
const char *seg__guess(const seg__header *h, const char *const *cands);
int seg__stage_attr(seg__reader *rd, seg__attr_stage *a, uint32_t row,
                    size_t line, const seg__field *f);
/* Apply staged attribute values: numeric if the column is numeric or every
 * value is a number, else labels. */
int seg__apply_attr(seg_dataset *ds, seg__reader *rd, seg__attr_stage *a);
void seg__attr_free(seg__attr_stage *a);
/* The checks of a record's fields, shared by the sequential and the
 * parallel loader: 0, or an error code with the message (without the
 * file:line:column prefix) in msg. */
int seg__check_id(const seg__field *f, char *msg, size_t msz);
int seg__time_value(const seg__field *f, int format, int64_t *t, char *msg,
                    size_t msz);
int seg__amount_value(const seg__field *f, double *v, char *msg, size_t msz);
const char *seg__field_excerpt(char *buf, size_t sz, const seg__field *f);

/* ---- transactions on several threads (csv_parallel.c) ---- */

/* Load the rest of the input as transactions: SEG_OK, an error, or
 * SEG__REC_MORE when a quote lies ahead, from where the sequential loader
 * must go on. */
int seg__load_tx_parallel(seg_dataset *ds, seg__reader *rd,
                          const seg_csv_options *o, const size_t *col,
                          size_t need, int threads);

#endif /* SEG_INGEST_INTERNAL_H */
