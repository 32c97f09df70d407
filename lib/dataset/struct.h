/* The dataset's own struct: for lib/dataset and the loaders of lib/ingest,
 * which append to its arrays on their fast paths. Everyone else reads a
 * dataset through the accessors of dataset/internal.h. Not API. */
#ifndef SEG_DATASET_STRUCT_H
#define SEG_DATASET_STRUCT_H

#include "dataset/internal.h"

/* A features-only dataset's totals (stream.c); NULL when the dataset
 * stores its records. */
typedef struct seg__stream seg__stream;

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
    /* per record its category's index + 1 (0: none), in cap_tx (cap_ev)
     * entries that are 0 past n_tx (n_ev); NULL while no record has one,
     * so that a dataset without categories pays nothing for them */
    uint32_t *tx_cat;
    /* seg_dataset_set_features_only(): the records above are then only
     * those not folded yet */
    seg__stream *stream;

    size_t n_ev, cap_ev;
    uint32_t *ev_cust;
    int64_t *ev_time;
    uint32_t *ev_kind;
    double *ev_value;
    uint32_t *ev_cat;
    seg__interner kinds;
    seg__interner cats;  /* product and page categories */

    seg__column **cols;
    size_t n_cols, cap_cols;
    int threads;         /* for loads and features: 0 = the processors */
    seg__tz *tz;         /* the business time zone; NULL = UTC */
    /* the end of the period the last features were computed for (rules
     * read it as as_of); SEG_TIME_NONE before any */
    int64_t features_end;
    seg_progress_fn progress_fn; /* seg_dataset_set_progress() */
    void *progress_user;

    /* transaction rollback ("mark") state */
    bool marked;
    size_t mark_cust, mark_tx, mark_ev, mark_kinds, mark_cols, mark_cats;
    bool mark_tx_cat, mark_ev_cat; /* whether the arrays existed */
    bool mark_grouped;
    int64_t mark_max_time;
    int64_t mark_features_end;
    seg__undo *undo;
    size_t n_undo, cap_undo;
    /* columns replaced inside a mark, kept until the commit so that a
     * rollback can put each back in its place */
    struct seg__parked {
        seg__column *col;
        size_t at;
    } *parked;
    size_t n_parked, cap_parked;
};

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
/* Shared by dataset.c and columns.c: remember a cell's value before it is
 * overwritten inside a mark; check a name is non-empty valid UTF-8. */
int seg__ds_save_cell(seg_dataset *ds, seg__column *c, uint32_t row);
int seg__ds_check_text(const seg__errbuf *e, const char *what, const char *s,
                       size_t n);
/* A numeric column that holds nothing yet takes vals (cap values, the
 * first n of them its rows 0..n-1, NaN for missing; from seg__malloc) as
 * its own: true when it took them, and then they are the column's. */
bool seg__ds_adopt_num(seg_dataset *ds, seg__column *c, double *vals,
                       size_t n, size_t cap);
/* Put fresh in old's place; inside a mark a column that was there at the
 * mark is kept aside for the rollback instead of freed (columns.c). */
int seg__ds_replace_column(seg_dataset *ds, seg__column *old,
                           seg__column *fresh);

/* Transactions by customer (groups.c), for features.c: a transaction
 * and the canonical order of one customer's (by time, then amount, so
 * that sums, and so features, do not depend on the order the records
 * arrived in); the stable counting sort of the transactions of a dataset
 * not grouped by customer, perm[start[c] .. start[c + 1]) being customer
 * c's; and the groups a snapshot run keeps, already in that order. */
typedef struct seg__txrec {
    int64_t t;
    double amount;
} seg__txrec;
int seg__cmp_tx(const void *a, const void *b);
int seg__ds_group_by_customer(const seg_dataset *ds, size_t **start_out,
                              uint32_t **perm_out);
struct seg__tx_groups {
    size_t n_tx;
    size_t *start;       /* customers + 1 offsets */
    int64_t *time;
    double *amount;
};

/* Features-only datasets (stream.c): the records held folded into their
 * customers' totals (SEG_OK, SEG_ENOMEM or SEG_EMISUSE with the message
 * set); room for more records held, folding those held when they would
 * not fit (*need: the capacity wanted); the records added so far, folded
 * or held; and the hooks of the dataset's mark. */
int seg__stream_flush(seg_dataset *ds);
int seg__stream_room(seg_dataset *ds, size_t more, size_t *need);
uint64_t seg__stream_count(const seg_dataset *ds);
void seg__stream_mark(seg_dataset *ds);
void seg__stream_commit(seg_dataset *ds);
void seg__stream_rollback(seg_dataset *ds);
void seg__stream_free(seg__stream *st);

#endif /* SEG_DATASET_STRUCT_H */
