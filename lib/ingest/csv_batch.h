/* The batches of the threaded CSV loader: a batch of whole lines and the
 * parts it is cut into (csv_parallel.c parses and adds them), and where
 * their bytes come from: a file mapped a batch at a time or whole, a
 * buffer, or blocks read from a stream (csv_batch.c). Not API. */
#ifndef SEG_INGEST_CSV_BATCH_H
#define SEG_INGEST_CSV_BATCH_H

#include <stdatomic.h>

#include "ingest/internal.h"

/* Three batches are in memory at once (parsed, added, read ahead), each
 * mapped and with its parsed parts, about 2.2 times its bytes: 8 MiB
 * keeps that near 50 MiB and costs no time against 16 MiB. */
#define BATCH (8u << 20)
/* An attribute file's parts keep each value's number, about twice the
 * bytes of its text: small batches keep that memory down (1 MiB against
 * 4: 14 MiB less at the peak of a 1M-customer summary, and its first
 * batch, parsed before any is added, a quarter as long). */
#define ATTR_BATCH (1u << 20)
#define NOWHERE ((size_t)-1)

typedef struct tx_part {
    const char *p, *e;          /* its lines */
    char delim;
    size_t need, col_id, col_time, col_amount;
    int time_format;
    const seg__tz *tz;          /* NULL: UTC */
    bool no_returns;            /* a negative amount is an error */
    seg__text *f;               /* need fields of the current line */
    /* runs of records of one customer: id p[off .. off + len), its hash
     * (its row once the batch is added), and how many records; then the
     * records' times and amounts */
    uint32_t *off, *len, *hash, *count;
    size_t runs, cap_runs;
    int64_t *t;
    double *a;
    size_t n, cap;
    const char *t_text;         /* the time field of record n - 1, whose */
    size_t t_len;               /* time t[n - 1] is; NULL: none */
    /* an attribute file (n_attr columns, no times or amounts): per record
     * its line in the part, and per record and column (record * n_attr +
     * column) its number or a mark (SEG__ATTR_ABSENT, SEG__ATTR_TEXT)
     * and, unless the input stays in place (dense), where its text is;
     * num[k] stays true while every value of column k in the part is a
     * number */
    size_t n_attr;
    const size_t *attr_col;
    bool dense;
    uint32_t *rec_line, *voff, *vlen;
    double *vval;
    bool *num;
    size_t lines;               /* lines it holds (up to the error) */
    int64_t max_t;              /* its latest time */
    size_t dst;                 /* where its records go in the dataset */
    int rc;                     /* the first error: at line `lines` */
    size_t err_col;
    char msg[SEG__MSG_MAX];
} tx_part;

/* A batch of whole lines and its parts. In file mode its bytes are its
 * own (mem), so that the reader can go on while it is being added. */
typedef struct tx_batch {
    char *mem;
    size_t cap;
    size_t size;                /* the bytes of a batch, BATCH or less */
    void *map;                  /* or a mapping of the file */
    size_t map_len;
    off_t off;                  /* its offset in the file (mapped) */
    const char *b, *e;
    size_t line;                /* the line it starts at */
    int nparts;                 /* a few a thread, taken in turn */
    atomic_int next;            /* the next part to take */
    struct tx_batch *copy;      /* a batch whose records to copy first */
    atomic_int next_copy;       /* and the next of its parts to copy */
    seg_dataset *ds;            /* where they go: transactions, or */
    struct seg__attr_rows *rows; /* an attribute file's columns */
    tx_part parts[SEG__MAX_THREADS];
    seg__jobs jobs;
} tx_batch;

/* A regular file is mapped a batch at a time from the reader's next byte,
 * or (an attribute file) whole, once; what is mapped whole is unmapped at
 * the end of the load. */
void seg__batch_start_mapping(seg__reader *rd);
void seg__batch_map_whole(seg__reader *rd);
void seg__batch_unmap_whole(seg__reader *rd);
void seg__batch_unmap(tx_batch *bt);
/* The next batch from the reader: SEG_OK (b == e at the end),
 * SEG__REC_MORE when a line is longer than a batch, or an error. */
int seg__batch_next(seg__reader *rd, tx_batch *bt);
/* Give the reader back a batch it has not parsed, in front of what it
 * holds, for the sequential loader. */
int seg__batch_unread(seg__reader *rd, const tx_batch *bt);
/* Cut a batch into parts at line ends. */
void seg__batch_split(tx_batch *bt);

#endif /* SEG_INGEST_CSV_BATCH_H */
