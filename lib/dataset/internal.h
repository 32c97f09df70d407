/* The dataset as the other areas see it: columns, the record API used
 * by loaders inside a mark, and narrow accessors. The struct itself is
 * private to lib/dataset and lib/ingest (dataset/struct.h). Not API. */
#ifndef SEG_DATASET_INTERNAL_H
#define SEG_DATASET_INTERNAL_H

#include "core/internal.h"
enum seg__origin { SEG__ORIGIN_USER = 0, SEG__ORIGIN_FEATURE = 1 };

typedef struct seg__column {
    char *name;
    int type;            /* seg_column_type */
    int origin;          /* seg__origin */
    size_t n, cap;       /* rows stored; rows >= n read as missing */
    double *num;         /* SEG_COLUMN_NUMERIC */
    uint32_t *lab;       /* SEG_COLUMN_LABEL: label index + 1, 0 = missing */
    seg__interner labels;
    int kind;            /* seg_column_kind: what a number means */
    /* rollback state, valid while a mark is active */
    size_t mark_n;
    size_t mark_labels;
} seg__column;

/* Begin a change that must be all-or-nothing; end it with commit or
 * rollback. Never fails. */
void seg__ds_mark(seg_dataset *ds);
void seg__ds_commit(seg_dataset *ds);
void seg__ds_rollback(seg_dataset *ds);
/* Whether a change is under way (a mark not yet committed or rolled back):
 * a call that marks for itself leaves an outer mark to its owner. */
bool seg__ds_is_marked(const seg_dataset *ds);

/* Internal record API: no validation of arguments beyond what the callers
 * cannot check; usable only inside a mark. */
int seg__ds_customer(seg_dataset *ds, const char *id, size_t n, uint32_t *row);
/* The same with the id's seg__hash() (low 32 bits) known. */
int seg__ds_customer_h(seg_dataset *ds, const char *id, size_t n, uint32_t h,
                       uint32_t *row);
/* Customers n at a time, their rows in rows (which may be hash), as
 * seg__intern_many() finds or adds them; on an error, *done of them are
 * there. */
int seg__ds_customers_h(seg_dataset *ds, const char *base, const uint32_t *off,
                        const uint32_t *len, const uint32_t *hash, size_t n,
                        uint32_t *rows, size_t *done);
int seg__ds_reserve_tx(seg_dataset *ds, size_t more);
/* The same as a hint: room for `more` if memory allows, else nothing
 * (and no error). */
void seg__ds_reserve_tx_hint(seg_dataset *ds, size_t more);
int seg__ds_reserve_ev(seg_dataset *ds, size_t more);
int seg__ds_push_ev(seg_dataset *ds, uint32_t row, int64_t t,
                    const char *kind, size_t kind_len, double value);
/* The category of the last transaction (event) pushed: interned, and the
 * record's entry set, the array made at the first category. */
int seg__ds_tx_category(seg_dataset *ds, const char *cat, size_t n);
int seg__ds_ev_category(seg_dataset *ds, const char *cat, size_t n);
/* Find (or create) a column of a given type; *col receives it. Returns
 * SEG_ETYPE if it exists with another type. */
int seg__ds_column(seg_dataset *ds, const char *name, size_t name_len,
                   int type, int origin, seg__column **col);
seg__column *seg__ds_find_column(const seg_dataset *ds, const char *name);
int seg__ds_set_num(seg_dataset *ds, seg__column *c, uint32_t row, double v);
int seg__ds_set_label(seg_dataset *ds, seg__column *c, uint32_t row,
                      const char *s, size_t n);
/* Replace (or add) a whole column, taking ownership of `data` (customer
 * count doubles) on success. */
int seg__ds_put_num_column(seg_dataset *ds, const char *name, int origin,
                           double *data);
/* Replace (or add) a label column from codes (customer count of them):
 * codes[row] is 0 (missing) or i + 1 for names[i]. Takes ownership of
 * codes on success (they may be rewritten in place). */
int seg__ds_put_label_codes(seg_dataset *ds, const char *name,
                            const char *const *names, size_t n_names,
                            uint32_t *codes);
/* Whether a column of this name and type may be put: the name is valid
 * text and no column of another type has it. Changes nothing. */
int seg__ds_check_put(seg_dataset *ds, const char *name, int type);
void seg__column_free(seg__column *c);
double seg__column_num(const seg__column *c, size_t row);
const char *seg__column_label(const seg__column *c, size_t row);


/* ---- narrow accessors: how the other areas read a dataset ---- */
/* A numeric column's values, one for every customer, to read in place;
 * NULL when there is no such column with every row stored (a copy with
 * seg_dataset_copy_f64() then gives the values, or the message). */
const double *seg__ds_num_view(const seg_dataset *ds, const char *name);
const seg__errbuf *seg__ds_err(const seg_dataset *ds);
/* Begin a stage with the dataset's progress callback; a cancellation's
 * message goes to err (NULL: the dataset's). End it with
 * seg__progress_end() whatever this returns. */
int seg__ds_progress_begin(seg__progress *p, const seg_dataset *ds,
                           const seg__errbuf *err, int stage, uint64_t total);
/* Customers (rows) and their ids. */
size_t seg__ds_n(const seg_dataset *ds);
const char *seg__ds_id(const seg_dataset *ds, size_t row);
/* The customer ids as an interner (for lookups by id). */
const seg__interner *seg__ds_ids(const seg_dataset *ds);
/* The latest transaction or event time; 0 when there are none. */
int64_t seg__ds_max_time(const seg_dataset *ds);
/* Transactions and events, in the order they were added. */
typedef struct seg__tx_view {
    size_t n;
    const uint32_t *cust;
    const int64_t *time;
    const double *amount;
    bool grouped;        /* cust never decreases */
    /* the category index + 1 of each (0: none); NULL when none has one */
    const uint32_t *category;
} seg__tx_view;
typedef struct seg__ev_view {
    size_t n;
    const uint32_t *cust;
    const int64_t *time;
    const uint32_t *kind; /* index into the event kinds */
    const double *value;
    const uint32_t *category; /* as in seg__tx_view */
} seg__ev_view;
seg__tx_view seg__ds_tx(const seg_dataset *ds);
/* SEG_OK when the dataset keeps its transactions; else SEG_EMISUSE, with
 * a message on err naming `what`: a features-only dataset
 * (seg_dataset_set_features_only) has folded them, and every reader of
 * seg__ds_tx() checks this first. */
int seg__ds_need_records(const seg_dataset *ds, const seg__errbuf *err,
                         const char *what);
seg__ev_view seg__ds_ev(const seg_dataset *ds);
/* Event kinds: how many, the i-th, and the index of a kind by name. */
size_t seg__ds_kind_count(const seg_dataset *ds);
const char *seg__ds_kind_name(const seg_dataset *ds, size_t i);
bool seg__ds_kind_find(const seg_dataset *ds, const char *s, size_t n,
                       uint32_t *idx);
/* Categories of transactions and events: how many, the i-th, and the
 * index of one by name (the views hold index + 1). */
size_t seg__ds_category_count(const seg_dataset *ds);
const char *seg__ds_category_name(const seg_dataset *ds, size_t i);
bool seg__ds_category_find(const seg_dataset *ds, const char *s, size_t n,
                           uint32_t *idx);
/* Columns in the order they were made. */
size_t seg__ds_n_columns(const seg_dataset *ds);
seg__column *seg__ds_column_at(const seg_dataset *ds, size_t i);
/* The dataset's thread count for loads and features (0: the processors). */
int seg__ds_threads(const seg_dataset *ds);
/* The business time zone: NULL for UTC, so that UTC stays the fast path. */
const seg__tz *seg__ds_tz(const seg_dataset *ds);
/* The end of the (calibration) period of the last features computed: the
 * analysis date that recency and T count to; SEG_TIME_NONE before any. */
int64_t seg__ds_features_end(const seg_dataset *ds);
/* The local days (days since 1970-01-01 in the business time zone) of
 * every customer's purchase days, as the features count them: customer
 * c's are days[start[c] .. start[c + 1]), in order; both allocated.
 * SEG_OK or SEG_ENOMEM. */
int seg__ds_purchase_days(const seg_dataset *ds, int64_t **days,
                          size_t **start);

/* The transactions grouped by customer, each customer's in time order,
 * built once for features at several dates (lib/ops/snapshot.c), so that
 * each computation reads them in order instead of grouping again. */
typedef struct seg__tx_groups seg__tx_groups;
int seg__ds_tx_groups(const seg_dataset *ds, seg__tx_groups **out);
void seg__tx_groups_free(seg__tx_groups *g);
/* seg_dataset_compute_features() over groups of the same transactions
 * (NULL: none). */
int seg__ds_features_with(seg_dataset *ds, const seg_features_options *opts,
                          const seg__tx_groups *g);

#endif /* SEG_DATASET_INTERNAL_H */
