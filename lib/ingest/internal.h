/* Ingest: records on their way into a dataset. The sink (sink.c) is the
 * format-independent part, the one place where the rules of a load live:
 * which column plays which role, the checks of ids, times, amounts, kinds
 * and values with their messages, attribute typing, and all-or-nothing.
 * Inputs feed it: the CSV reader and loaders (csv_reader.c, csv_load.c,
 * csv_parallel.c with csv_attrs.c, the separator search inline in
 * csv_scan.h) and the record API of a host (records.c). Not API. */
#ifndef SEG_INGEST_INTERNAL_H
#define SEG_INGEST_INTERNAL_H

#include <stdio.h>
#include <sys/types.h>

#include "dataset/struct.h"

/* A value as text: n bytes at p, not NUL-terminated. */
typedef struct seg__text {
    const char *p;
    size_t n;
} seg__text;

/* ---- the sink (sink.c) ---- */

enum { SEG__R_ID, SEG__R_TIME, SEG__R_AMOUNT, SEG__R_KIND, SEG__R_VALUE,
       SEG__R_CATEGORY, SEG__R_N };

/* What the caller says about the columns of an input: per role a column
 * name or a 1-based number, NULL to look for it in the header. */
typedef struct seg__roles_spec {
    const char *col[SEG__R_N];
    const char *const *attrs;   /* attribute columns */
    size_t n_attrs;
    bool row_ids;               /* no id column: customers are the records */
    bool all_attributes;        /* every column without a role */
    bool row_ids_unless_id;     /* row_ids unless the header has an id */
} seg__roles_spec;

/* An attribute column's values as text, kept until the input has been
 * read whole: only then is its type known. */
typedef struct seg__attr_stage {
    const char *name;
    size_t col;
    uint32_t *rows;
    size_t *lines;
    size_t *offs;       /* value i is text.data[offs[i] .. offs[i+1]) */
    size_t n, cap_rows, cap_lines, cap_offs;
    seg__buf text;
    /* the values read as numbers as they come, while all of them are:
     * once one is not (mixed), the column is labels unless it exists as
     * numbers, and then that value is the error */
    double *vals;
    size_t cap_vals;
    bool mixed;
} seg__attr_stage;

typedef struct seg__sink {
    seg_dataset *ds;
    /* Messages start "name:line:column: " for an input with a name; for a
     * call (name NULL) "row I: " when it passed several values, else
     * nothing. */
    const char *name;
    bool indexed;
    int time_format;    /* a seg_time_format, for times given as text */
    bool no_returns;    /* a negative amount is an error */
    /* the roles, set by seg__sink_map() */
    bool has[SEG__R_N];
    size_t col[SEG__R_N];
    bool txs, events, row_ids;
    size_t need;        /* fields a record must have */
    seg__attr_stage *attrs;
    size_t n_attrs;
    char **header;      /* the header's names, trimmed */
    size_t n_header;
    /* the customer of the last record: runs of one id are looked up once */
    bool have_last;
    uint32_t last_row;
    size_t records;     /* records fed so far */
    size_t categorized; /* of them, records with a category */
} seg__sink;

/* Start a change of ds that is all-or-nothing. Never fails. */
void seg__sink_begin(seg__sink *s, seg_dataset *ds, const char *name);
/* End it: when rc is SEG_OK, the staged attributes are applied, and the
 * change is kept if that succeeds; otherwise everything since
 * seg__sink_begin() is undone. Returns the final code. */
int seg__sink_end(seg__sink *s, int rc);

/* Stage the value p[0..n) (n > 0) of attribute i for a row, from a line:
 * v is its number when the loader read it as one, NULL when it is not a
 * number. SEG_OK or SEG_ENOMEM (reported). */
int seg__sink_attr_stage(seg__sink *s, size_t i, uint32_t row, size_t line,
                         const char *p, size_t n, const double *v);

/* The input so far is about 1/scale of the whole: room for the rest of
 * its customers (when each record has brought one) and staged attributes
 * now, rather than by doubling as they come. A hint: nothing changes that
 * a load can see, and a failure to reserve is no error. */
void seg__sink_expect(seg__sink *s, double scale);

/* The errors of an attribute's value at line `at` as it is applied: not
 * a number for a numeric column (SEG_ETYPE), not UTF-8 for a label
 * (SEG_EPARSE); and an error the dataset reported, given the place. */
int seg__sink_attr_not_number(const seg__sink *s, const seg__attr_stage *a,
                              size_t at, const char *p, size_t n);
int seg__sink_attr_bad_text(const seg__sink *s, const seg__attr_stage *a,
                            size_t at);
int seg__sink_wrap(const seg__sink *s, int rc, size_t at, size_t col);

/* Report an error about the value at `at` (the line of an input, the index
 * in a call) and column `col` (1-based; 0 = none), as the messages above
 * say. Returns code. */
int seg__sink_fail(const seg__sink *s, int code, size_t at, size_t col,
                   const char *fmt, ...) SEG__PRINTF(5, 6);
int seg__sink_vfail(const seg__sink *s, int code, size_t at, size_t col,
                    const char *fmt, va_list ap);

/* The header of an input, names as they are (copied, blanks trimmed). */
int seg__sink_header(seg__sink *s, const seg__text *names, size_t n);
/* Map columns to roles: the columns named in spec, and for each role not
 * named, the header's usual name for it among the columns not named for
 * something else. */
int seg__sink_map(seg__sink *s, const seg__roles_spec *spec);

/* One record of an input, its fields in column order: a transaction, an
 * event, or neither, as mapped; and its attributes. */
int seg__sink_record(seg__sink *s, size_t at, const seg__text *f, size_t nf);

/* Typed values, as a host passes them. */
int seg__sink_customer(seg__sink *s, size_t at, const char *id, size_t n,
                       uint32_t *row);
int seg__sink_tx(seg__sink *s, size_t at, uint32_t row, int64_t t,
                 double amount);
int seg__sink_event(seg__sink *s, size_t at, uint32_t row, int64_t t,
                    const char *kind, size_t kind_len, double value);
/* The category of the record just added by seg__sink_tx() (tx true) or
 * seg__sink_event(): checked (UTF-8, no '|', which separates the items
 * of a list), and kept. n == 0: the record has none. */
int seg__sink_category(seg__sink *s, size_t at, bool tx, const char *cat,
                       size_t n);
/* An attribute column of a given type: its name checked, a type clash an
 * error; created (when create) inside the change. */
int seg__sink_attr_column(seg__sink *s, const char *name, int type,
                          bool create, seg__column **col);
int seg__sink_attr_num(seg__sink *s, seg__column *c, uint32_t row, double v);
/* A label value; NULL = missing. */
int seg__sink_attr_label(seg__sink *s, size_t at, seg__column *c,
                         uint32_t row, const char *v);

/* The checks of single fields, for loaders that run them on several
 * threads: SEG_OK, or an error code with the message (without the
 * place) in msg. */
#define SEG__MSG_MAX 512
int seg__check_fields(size_t nf, size_t need, char *msg, size_t msz);
int seg__check_id(const char *p, size_t n, char *msg, size_t msz);
/* A time in the zone tz (NULL: UTC): see seg__time_parse_in(). */
int seg__read_time(const seg__tz *tz, const char *p, size_t n, int format,
                   int64_t *t, char *msg, size_t msz);
int seg__read_amount(const char *p, size_t n, double *v, char *msg,
                     size_t msz);
/* The error of a negative amount where returns are not allowed. */
int seg__negative_amount(const char *p, size_t n, char *msg, size_t msz);

/* ---- the CSV reader (csv_reader.c) ---- */

typedef struct seg__reader {
    seg__sink *sink;    /* where errors go; its name is the input's */
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
    seg__text *fields;  /* the current record's */
    size_t nfields, capfields;
    /* quoted fields are unescaped into scratch: for the fields whose p is
     * NULL until the record is whole, where in scratch they are */
    size_t *scratch_at;
    size_t cap_scratch_at, nquoted;
    seg__buf scratch;
    /* an attribute file mapped whole by the threaded loader: its batches
     * are slices, and values are read back from it until the load ends */
    void *whole_map;
    size_t whole_map_len;
    const char *whole;  /* the bytes from file offset whole_off on */
    size_t whole_len;
    off_t whole_off;
} seg__reader;

enum { SEG__REC_OK = 1, SEG__REC_MORE = 2, SEG__REC_EOF = 3 };

/* Ready to read: after a byte-order mark, with the given delimiter (0: the
 * one of the first line). Reads the first block of a file. */
int seg__rd_start(seg__reader *rd, char delimiter);
/* Next non-empty record, reading more of the file as needed: SEG__REC_OK,
 * SEG__REC_EOF or an error. */
int seg__rd_next_record(seg__reader *rd);
void seg__rd_free(seg__reader *rd);

/* ---- the records of an attribute file, by column (csv_attrs.c) ---- */

/* The values of an attribute file whose bytes stay in place until the load
 * ends (a buffer, or a file mapped whole): per column one number a record,
 * parsed once, and per record its customer unless the records are the
 * customers 0, 1, ... in order (ordered, row NULL). A value's text is
 * found again by walking the lines, in order, only where it is needed (a
 * column of labels, an error), so none is copied. */
typedef struct seg__attr_rows {
    size_t n, cap, n_attr;
    bool ordered;
    uint32_t *row;
    double **val;       /* val[k][i]: column k of record i, or a mark */
    bool *mixed;        /* column k has a value that is not a number */
    const size_t *col;  /* the input column of attribute k */
    const char *base, *end; /* the bytes; base starts line base_line */
    size_t base_line;
    char delim;
} seg__attr_rows;

/* The marks among the numbers: an empty field (no value: the cell is left
 * as it was) and a value that is not a number. Both are NaNs, which the
 * number parser never gives; the first is the plain one, which reads as
 * missing where a column takes the array over. */
#define SEG__ATTR_ABSENT 0x7ff8000000000000ull
#define SEG__ATTR_TEXT 0x7ff8000000000001ull
static inline double seg__attr_mark(uint64_t bits)
{
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}
static inline bool seg__attr_is(double v, uint64_t bits)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b == bits;
}

int seg__attr_rows_init(seg__attr_rows *d, const seg__sink *s,
                        const size_t *col, char delim, const char *base,
                        const char *end, size_t base_line);
/* Room for n records in all; SEG_OK or SEG_ENOMEM. */
int seg__attr_rows_reserve(seg__attr_rows *d, size_t n);
/* Record i is customer row (in order: i < n once room is made). */
int seg__attr_rows_set_row(seg__attr_rows *d, size_t i, uint32_t row);
void seg__attr_rows_free(seg__attr_rows *d);
/* The values into their columns, typed as the sink types staged ones,
 * with its messages: after the whole input has been read. */
int seg__attr_rows_apply(seg__sink *s, seg__attr_rows *d);
/* The values staged in the sink instead (with their text), for the
 * sequential loader to go on from: the bytes must still be there. */
int seg__attr_rows_restage(seg__sink *s, seg__attr_rows *d);

/* ---- transactions on several threads (csv_parallel.c) ---- */

/* Load the rest of the input as transactions: SEG_OK, an error, or
 * SEG__REC_MORE when a quote lies ahead, from where the sequential loader
 * must go on. */
int seg__load_tx_parallel(seg__sink *s, seg__reader *rd, int threads);

#endif /* SEG_INGEST_INTERNAL_H */
