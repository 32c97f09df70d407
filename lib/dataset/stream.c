/* Features-only datasets: each transaction is folded into its customer's
 * totals as it is added, instead of being stored (20 bytes a record). The
 * totals are those the walk of features.c keeps, fed the same days in the
 * same order, so that the features come out with the same bits. A day is
 * folded when a record of a later day arrives; until then its records are
 * kept, in any order (a file sorted by date only has same-day orders in any
 * order of amounts), and sorted by time and amount when it closes, as the
 * stored path sorts them. A record of a day before the customer's open one
 * cannot be folded in order: the customer is marked and the features are
 * refused, with the customer named (the caller loads again with the
 * records kept). */
#include <stdlib.h>
#include <string.h>

#include "dataset/days.h"

/* Customers a block: 2^18 slots of 96 bytes (64 that every record of a
 * customer reaches, then 32 that few do), 24 MiB, each block its own
 * mapping, so that the features give each back to the system as soon as
 * its customers are written. */
#define BLOCK_SHIFT 18
#define BLOCK ((size_t)1 << BLOCK_SHIFT)
/* Parts of the customers a flush sorts its records by, in each lane. */
#define PARTS 256
/* Records held before they are folded, in the dataset's record arrays. */
#define BUFFER ((size_t)1 << 16)
/* Customers are dealt to lanes in runs of 2^12 rows, alternately: a lane
 * has its own nodes and scratch, so that a flush folds the lanes on
 * threads of their own, each reaching only its own customers. A
 * customer's lane depends on its row alone, never on the threads. */
#define LANES 2
#define LANE_SHIFT 12

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

enum { S_NONE, S_OPEN, S_DISORDER };

/* A customer's totals are those of seg__cacc (days.h), in three places.
 * Its slot, one cache line, is what each of its records reads and each
 * day folded writes: a record of another day than the open one closes
 * that day, and only the first purchase day and days of returns reach
 * further. */
typedef struct sacc {
    ksum repeat;             /* the later purchase days' nets */
    int64_t last_t;          /* the first time of the last purchase day */
    int64_t open_t, open_end; /* the open day: a record's time, the day's
                                 last second */
    double open_amt;
    uint32_t orders;         /* purchase days folded */
    uint32_t more;           /* the open day's other records: a pool index
                                + 1, 0 for none */
    uint32_t n_more;         /* the length of the list at more */
    uint32_t state;
} sacc;
_Static_assert(sizeof(sacc) == 64, "a slot is a cache line");

/* Written once, by the first purchase day, or by few records: after the
 * block's slots, at the same index. */
typedef struct scold {
    ksum first;              /* the first purchase day's net */
    int64_t first_t;         /* its first time */
    uint32_t rare;           /* the customer's returns: an index + 1 into
                                its lane's list, 0 for none */
    uint32_t batch;          /* records of the batch folded, while a flush
                                counts them */
} scold;
_Static_assert(sizeof(scold) == 32, "two cold parts a cache line");

/* The sums of days with a return or of returns only, for the customers
 * with a record below zero (or not a number): few, or none at all. */
typedef struct srare {
    ksum other, returned;
    uint32_t returns;        /* days with a return */
} srare;

#define BLOCK_BYTES (BLOCK * (sizeof(sacc) + sizeof(scold)))

/* A record held, copied next to the others of its lane and block of
 * customers for a flush, with its place among the records held. */
typedef struct hrec {
    uint32_t row, i;
    int64_t t;
    double amount;
} hrec;

typedef struct pnode {
    int64_t t;
    double amount;
    uint32_t next;           /* index + 1; 0 ends the list */
} pnode;

/* A lane: the nodes of its customers' open days, a day's records to sort,
 * and what a flush found, merged once the lanes are done. */
typedef struct lane {
    pnode *pool;
    size_t n_pool, cap_pool;
    uint32_t free_node;      /* index + 1 of a free node; 0: none */
    srare *rare;             /* the lane's customers' returns */
    size_t n_rare, cap_rare;
    seg__txrec *scratch;     /* one day's records, to sort */
    int64_t *scratch_t;      /* and sorted, for the walk */
    double *scratch_a;
    size_t cap_scratch;
    size_t most;
    int64_t kept_max, dropped_min;
    bool disorder;
    uint32_t disorder_row;
    uint64_t disorder_at;    /* its place in the order of the fold */
    /* a flush's records of the lane: order[begin .. end) when folded by
     * block, else those of cust[0 .. n) whose lane it is */
    size_t begin, end, count;
    const seg_dataset *ds;
    struct seg__stream *st;
} lane;

struct seg__stream {
    int64_t through;         /* records after it are left out */
    int64_t kept_max;        /* the latest time folded; INT64_MIN: none */
    int64_t dropped_min;     /* the earliest left out; INT64_MAX: none */
    uint64_t count;          /* records folded or left out */
    sacc **blocks;
    size_t n_blocks;
    lane lanes[LANES];
    size_t most;             /* no open day's list is longer */
    bool disorder;
    uint32_t disorder_row;
    bool done;               /* folded into features and given back */
    hrec *order;             /* the records held, by lane and block */
    size_t cap_order;
    bool by_block;           /* the flush folds in that order */
    unsigned order_shift;    /* a row's block of that order */
    size_t cursor[LANES * PARTS]; /* where each lane's part goes next */
    /* all-or-nothing: the state at the mark, saved at the first fold
     * after it unless there was nothing to keep; a block of totals is
     * copied only before a fold first reaches it (saved->blocks[b] NULL:
     * not reached, as it was) */
    bool mark_empty, mark_saved;
    struct seg__stream *saved;
    size_t saved_n;          /* the records held at the mark */
    uint32_t *saved_cust;
    int64_t *saved_time;
    double *saved_amount;
    uint32_t *saved_cat;
};

/* Free *pp and clear it. */
static void drop(void *pp)
{
    void **p = pp;
    seg__free(*p);
    *p = NULL;
}

static void drop_scratch(lane *l)
{
    drop(&l->scratch);
    drop(&l->scratch_t);
    drop(&l->scratch_a);
    l->cap_scratch = 0;
}

static void stream_clear(seg__stream *st)
{
    for (size_t b = 0; b < st->n_blocks; b++)
        seg__free(st->blocks[b]);
    drop(&st->blocks);
    for (int k = 0; k < LANES; k++) {
        lane *l = &st->lanes[k];
        drop(&l->pool);
        drop(&l->rare);
        drop_scratch(l);
        l->n_pool = l->cap_pool = 0;
        l->n_rare = l->cap_rare = 0;
        l->free_node = 0;
    }
    drop(&st->order);
    st->cap_order = 0;
    st->n_blocks = 0;
    st->most = 0;
    st->kept_max = INT64_MIN;
    st->dropped_min = INT64_MAX;
    st->count = 0;
    st->disorder = false;
    st->disorder_row = 0;
}

static void drop_saved(seg__stream *st)
{
    if (st->saved) {
        stream_clear(st->saved);
        drop(&st->saved);
    }
    drop(&st->saved_cust);
    drop(&st->saved_time);
    drop(&st->saved_amount);
    drop(&st->saved_cat);
    st->saved_n = 0;
}

void seg__stream_free(seg__stream *st)
{
    if (!st)
        return;
    drop_saved(st);
    stream_clear(st);
    seg__free(st);
}

int seg_dataset_set_features_only(seg_dataset *ds, int64_t as_of)
{
    if (!ds)
        return seg__error(NULL, SEG_EINVAL,
                          "seg_dataset_set_features_only: dataset is NULL");
    if (ds->n_tx || ds->stream || ds->marked)
        return seg__error(&ds->err, SEG_EMISUSE,
                          "seg_dataset_set_features_only: the dataset has "
                          "transactions already; call it before the first "
                          "is added");
    seg__stream *st = seg__calloc(1, sizeof *st);
    if (!st)
        return seg__nomem(&ds->err);
    stream_clear(st);
    st->through = as_of == SEG_TIME_NONE ? INT64_MAX : as_of;
    ds->stream = st;
    return SEG_OK;
}

uint64_t seg__stream_count(const seg_dataset *ds)
{
    return ds->stream ? ds->stream->count : 0;
}

/* ---- all-or-nothing ---- */

void seg__stream_mark(seg_dataset *ds)
{
    seg__stream *st = ds->stream;
    drop_saved(st);
    st->mark_empty = st->count == 0 && ds->n_tx == 0;
    st->mark_saved = st->mark_empty;
}

void seg__stream_commit(seg_dataset *ds) { drop_saved(ds->stream); }

static int copy_of(void **dst, const void *src, size_t bytes)
{
    *dst = NULL;
    if (!bytes)
        return SEG_OK;
    if (!(*dst = seg__malloc(bytes)))
        return SEG_ENOMEM;
    memcpy(*dst, src, bytes);
    return SEG_OK;
}

/* The state at the mark, before the first fold after it changes it: the
 * pool and the records held then; the blocks of totals are copied as the
 * folds reach them (keep_blocks()). */
static int save_at_mark(seg_dataset *ds)
{
    seg__stream *st = ds->stream, *cp = seg__calloc(1, sizeof *cp);
    if (!cp)
        return SEG_ENOMEM;
    *cp = *st;
    cp->saved = NULL;
    cp->blocks = NULL;
    cp->order = NULL;
    cp->cap_order = 0;
    cp->n_blocks = 0;
    for (int k = 0; k < LANES; k++) {
        cp->lanes[k].pool = NULL;
        cp->lanes[k].rare = NULL;
        cp->lanes[k].scratch = NULL;
        cp->lanes[k].scratch_t = NULL;
        cp->lanes[k].scratch_a = NULL;
        cp->lanes[k].cap_scratch = 0;
    }
    st->saved = cp;
    int rc = SEG_OK;
    if (st->n_blocks) {
        cp->blocks = seg__calloc(st->n_blocks, sizeof *cp->blocks);
        if (!cp->blocks)
            rc = SEG_ENOMEM;
        else
            cp->n_blocks = st->n_blocks;
    }
    size_t n = ds->mark_tx;
    for (int k = 0; k < LANES; k++) {
        const lane *l = &st->lanes[k];
        if (!rc)
            rc = copy_of((void **)&cp->lanes[k].pool, l->pool,
                         l->n_pool * sizeof *l->pool);
        cp->lanes[k].cap_pool = l->n_pool;
        if (!rc)
            rc = copy_of((void **)&cp->lanes[k].rare, l->rare,
                         l->n_rare * sizeof *l->rare);
        cp->lanes[k].cap_rare = l->n_rare;
    }
    if (!rc)
        rc = copy_of((void **)&st->saved_cust, ds->tx_cust, n * sizeof *ds->tx_cust);
    if (!rc)
        rc = copy_of((void **)&st->saved_time, ds->tx_time, n * sizeof *ds->tx_time);
    if (!rc)
        rc = copy_of((void **)&st->saved_amount, ds->tx_amount,
                     n * sizeof *ds->tx_amount);
    if (!rc && ds->tx_cat)
        rc = copy_of((void **)&st->saved_cat, ds->tx_cat, n * sizeof *ds->tx_cat);
    if (rc) {
        drop_saved(st);
        return rc;
    }
    st->saved_n = n;
    st->mark_saved = true;
    return SEG_OK;
}

/* A copy of each block of the mark that the n records held reach, before
 * the fold changes it. */
static int keep_blocks(seg__stream *st, const uint32_t *cust, size_t n)
{
    seg__stream *cp = st->saved;
    if (!cp)
        return SEG_OK;
    for (size_t i = 0; i < n; i++) {
        size_t b = cust[i] >> BLOCK_SHIFT;
        if (b >= cp->n_blocks || cp->blocks[b])
            continue;
        if (copy_of((void **)&cp->blocks[b], st->blocks[b], BLOCK_BYTES))
            return SEG_ENOMEM;
    }
    return SEG_OK;
}

/* Before the dataset's own rollback, which sets the records held back to
 * the mark's count. */
void seg__stream_rollback(seg_dataset *ds)
{
    seg__stream *st = ds->stream;
    if (st->saved) {
        seg__stream *cp = st->saved;
        st->saved = NULL;
        /* the blocks reached since the mark back, those made since gone */
        for (size_t b = 0; b < st->n_blocks; b++) {
            if (b < cp->n_blocks && !cp->blocks[b])
                continue;
            seg__free(st->blocks[b]);
            st->blocks[b] = b < cp->n_blocks ? cp->blocks[b] : NULL;
        }
        st->n_blocks = cp->n_blocks;
        drop(&cp->blocks);
        cp->n_blocks = 0;
        /* and the room the folds made since, given back */
        drop(&st->order);
        st->cap_order = 0;
        for (int k = 0; k < LANES; k++) {
            lane *l = &st->lanes[k];
            const lane *c = &cp->lanes[k];
            drop_scratch(l);
            seg__free(l->pool);
            l->pool = c->pool;
            l->n_pool = c->n_pool;
            l->cap_pool = c->cap_pool;
            l->free_node = c->free_node;
            seg__free(l->rare);
            l->rare = c->rare;
            l->n_rare = c->n_rare;
            l->cap_rare = c->cap_rare;
        }
        st->most = cp->most;
        st->kept_max = cp->kept_max;
        st->dropped_min = cp->dropped_min;
        st->count = cp->count;
        st->disorder = cp->disorder;
        st->disorder_row = cp->disorder_row;
        seg__free(cp);
        size_t n = st->saved_n;
        if (n) {
            memcpy(ds->tx_cust, st->saved_cust, n * sizeof *ds->tx_cust);
            memcpy(ds->tx_time, st->saved_time, n * sizeof *ds->tx_time);
            memcpy(ds->tx_amount, st->saved_amount,
                   n * sizeof *ds->tx_amount);
            if (ds->tx_cat && st->saved_cat)
                memcpy(ds->tx_cat, st->saved_cat, n * sizeof *ds->tx_cat);
        }
    } else if (st->mark_empty) {
        /* also after a first fold that failed partway: its slots hold
         * records of rows that the dataset's rollback drops */
        stream_clear(st);
    }
    drop_saved(st);
}

/* ---- folding ---- */

static sacc *slot(seg__stream *st, uint32_t row)
{
    return &st->blocks[row >> BLOCK_SHIFT][row & (BLOCK - 1)];
}

static scold *cold(seg__stream *st, uint32_t row)
{
    return (scold *)(st->blocks[row >> BLOCK_SHIFT] + BLOCK) +
           (row & (BLOCK - 1));
}

static unsigned lane_of(uint32_t row)
{
    return row >> LANE_SHIFT & (LANES - 1);
}

/* Slots for every customer so far. */
static int cover(seg__stream *st, size_t customers)
{
    size_t need = (customers + BLOCK - 1) >> BLOCK_SHIFT;
    if (need <= st->n_blocks)
        return SEG_OK;
    sacc **nb = seg__realloc(st->blocks, need * sizeof *nb);
    if (!nb)
        return SEG_ENOMEM;
    st->blocks = nb;
    while (st->n_blocks < need) {
        sacc *b = seg__calloc(1, BLOCK_BYTES);
        if (!b)
            return SEG_ENOMEM;
        st->blocks[st->n_blocks++] = b;
    }
    return SEG_OK;
}

static void open_day(const calendar *cal, sacc *s, int64_t t, double a)
{
    s->open_t = t;
    s->open_amt = a;
    s->open_end = day_last(cal, t, day_of(cal, t));
    s->more = 0;
    s->n_more = 0;
    s->state = S_OPEN;
}

static int push_node(lane *st, sacc *s, int64_t t, double a)
{
    uint32_t at = st->free_node;
    if (at) {
        st->free_node = st->pool[at - 1].next;
    } else {
        if (st->n_pool >= UINT32_MAX - 1 ||
            seg__grow((void **)&st->pool, &st->cap_pool, st->n_pool + 1,
                      sizeof *st->pool))
            return SEG_ENOMEM;
        at = (uint32_t)++st->n_pool;
    }
    st->pool[at - 1] = (pnode){t, a, s->more};
    s->more = at;
    if (++s->n_more > st->most)
        st->most = s->n_more;
    return SEG_OK;
}

static bool before(const seg__txrec *x, const seg__txrec *y)
{
    return x->t < y->t || (x->t == y->t && x->amount < y->amount);
}

/* Room to sort a day of n records. */
static int scratch_for(lane *st, size_t n)
{
    if (n <= st->cap_scratch)
        return SEG_OK;
    size_t c1 = st->cap_scratch, c2 = c1, c3 = c1;
    if (seg__grow((void **)&st->scratch, &c1, n, sizeof *st->scratch) ||
        seg__grow((void **)&st->scratch_t, &c2, n, sizeof *st->scratch_t) ||
        seg__grow((void **)&st->scratch_a, &c3, n, sizeof *st->scratch_a))
        return SEG_ENOMEM;
    st->cap_scratch = c1 < c2 ? (c1 < c3 ? c1 : c3) : (c2 < c3 ? c2 : c3);
    return SEG_OK;
}

/* The open day of s as features.c walks it: its records in time order,
 * then amount (records equal in both add up the same in any order), into
 * *day. With `release`, its nodes go back to the pool. */
static int close_open(lane *st, const calendar *cal, sacc *s, cday *day,
                      bool release)
{
    memset(day, 0, sizeof *day); /* returned is set only with a return */
    if (!s->more) {
        next_day(cal, &s->open_t, &s->open_amt, 0, 1, INT64_MAX, day);
        return SEG_OK;
    }
    size_t n = 1;
    for (uint32_t k = s->more; k; k = st->pool[k - 1].next)
        n++;
    if (scratch_for(st, n))
        return SEG_ENOMEM;
    seg__txrec *r = st->scratch;
    r[0] = (seg__txrec){s->open_t, s->open_amt};
    size_t i = 1;
    for (uint32_t k = s->more; k; k = st->pool[k - 1].next) {
        seg__txrec x = {st->pool[k - 1].t, st->pool[k - 1].amount};
        size_t j = i++;
        if (n <= 16)
            for (; j > 0 && before(&x, &r[j - 1]); j--)
                r[j] = r[j - 1];
        r[j] = x;
    }
    if (n > 16) /* a day of many orders (the walk above is for a few) */
        qsort(r, n, sizeof *r, seg__cmp_tx);
    int64_t *pt = st->scratch_t;
    double *pa = st->scratch_a;
    for (size_t k = 0; k < n; k++) {
        pt[k] = r[k].t;
        pa[k] = r[k].amount;
    }
    next_day(cal, pt, pa, 0, n, INT64_MAX, day);
    if (release) {
        uint32_t k = s->more;
        while (st->pool[k - 1].next)
            k = st->pool[k - 1].next;
        st->pool[k - 1].next = st->free_node;
        st->free_node = s->more;
        s->more = 0;
        s->n_more = 0;
    }
    return SEG_OK;
}

/* acc_day() on the totals of slot s, cold part c, in lane l: the same
 * sums in the same order, each where it is kept. A day with a return, or
 * of returns only, holds a record below zero or not a number, which gave
 * the customer its entry of l->rare (note_rare()). */
static void add_day(lane *l, sacc *s, scold *c, const cday *day)
{
    if (day_has_returns(day)) {
        srare *r = &l->rare[c->rare - 1];
        if (!acc_returns(&r->other, &r->returned, &r->returns, day))
            return;
    }
    acc_purchase(&c->first, &c->first_t, &s->repeat, &s->last_t, &s->orders,
                 day);
}

/* An entry of returns for the customer of c, from the room that
 * room_to_fold() made, for a record of amount a that can make a day of
 * returns. */
static void note_rare(lane *l, scold *c, double a)
{
    if (a >= 0 || c->rare)
        return;
    l->rare[l->n_rare] = (srare){{0, 0}, {0, 0}, 0};
    c->rare = (uint32_t)++l->n_rare;
}

/* Record `at` of the fold's order, of customer row, into its lane l. */
static int fold(seg__stream *st, lane *l, const calendar *cal, uint32_t row,
                size_t at, int64_t t, double a)
{
    if (t > st->through) {
        if (t < l->dropped_min)
            l->dropped_min = t;
        return SEG_OK;
    }
    if (t > l->kept_max)
        l->kept_max = t;
    sacc *s = slot(st, row);
    if (s->state == S_NONE) {
        open_day(cal, s, t, a);
        note_rare(l, cold(st, row), a);
        return SEG_OK;
    }
    if (s->state != S_OPEN)
        return SEG_OK;
    if (t > s->open_end) {
        cday day;
        int rc = close_open(l, cal, s, &day, true);
        if (rc)
            return rc;
        add_day(l, s, cold(st, row), &day);
        open_day(cal, s, t, a);
        note_rare(l, cold(st, row), a);
        return SEG_OK;
    }
    if (t < s->open_t && day_of(cal, t) != day_of(cal, s->open_t)) {
        /* an earlier day than one walked: not foldable in order */
        s->state = S_DISORDER;
        if (!l->disorder) {
            l->disorder = true;
            l->disorder_row = row;
            l->disorder_at = at;
        }
        return SEG_OK;
    }
    int rc = push_node(l, s, t, a);
    if (!rc)
        note_rare(l, cold(st, row), a);
    return rc;
}

/* The records held, by lane and then by block of customers (a stable
 * counting sort of their records into st->order), each lane's at
 * order[begin .. end): folded a block at a time, the slots each record
 * reaches lie within a few megabytes, where records in file order would
 * reach across the whole array at random, each a walk of the page tables
 * once the array is far larger than the cache; and each record is read in
 * turn, where their places alone would send the fold to three arrays at
 * random. Here the parts are counted; each lane copies its own records
 * (sort_lane()). *largest: the most records of one part. SEG_ENOMEM (or a
 * small dataset): fold in file order. */
static int by_block(seg__stream *st, const seg_dataset *ds, size_t n,
                    size_t customers, size_t *largest)
{
    if (customers <= (size_t)1 << 17 || n > UINT32_MAX)
        return SEG_ENOMEM;
    unsigned shift = 0;
    while (((customers - 1) >> shift) >= PARTS)
        shift++;
    if (seg__grow((void **)&st->order, &st->cap_order, n, sizeof *st->order))
        return SEG_ENOMEM;
    const uint32_t *cust = ds->tx_cust;
    size_t at[LANES * PARTS + 1] = {0};
    for (size_t i = 0; i < n; i++)
        at[lane_of(cust[i]) * PARTS + (cust[i] >> shift) + 1]++;
    /* all of a customer's records are in its part: no customer has more
     * than the largest part, a bound that costs no look at the slots */
    size_t most = 0;
    for (int p = 0; p < LANES * PARTS; p++) {
        most = at[p + 1] > most ? at[p + 1] : most;
        at[p + 1] += at[p];
    }
    *largest = most;
    for (int k = 0; k < LANES; k++) {
        st->lanes[k].begin = at[k * PARTS];
        st->lanes[k].end = at[(k + 1) * PARTS];
        st->lanes[k].count = st->lanes[k].end - st->lanes[k].begin;
    }
    memcpy(st->cursor, at, sizeof st->cursor);
    st->order_shift = shift;
    return SEG_OK;
}

/* Lane me's records held, copied into its parts of st->order. */
static void sort_lane(seg__stream *st, const seg_dataset *ds, unsigned me)
{
    const uint32_t *cust = ds->tx_cust;
    const int64_t *tt = ds->tx_time;
    const double *am = ds->tx_amount;
    size_t *at = st->cursor + me * PARTS;
    unsigned shift = st->order_shift;
    for (size_t i = 0, n = ds->n_tx; i < n; i++) {
        uint32_t row = cust[i];
        if (lane_of(row) == me)
            st->order[at[row >> shift]++] =
                (hrec){row, (uint32_t)i, tt[i], am[i]};
    }
}

/* The most records of one customer among the n held. */
static size_t most_of_one(seg__stream *st, const uint32_t *cust, size_t n)
{
    size_t most = 0;
    for (size_t i = 0; i < n; i++) {
        scold *c = cold(st, cust[i]);
        if (++c->batch > most)
            most = c->batch;
    }
    for (size_t i = 0; i < n; i++)
        cold(st, cust[i])->batch = 0;
    return most;
}

/* Room for every node and every sort that folding the n records held can
 * need, in each lane, so that the fold cannot fail once it starts (a fold
 * outside a load has no mark to go back to). Fails with nothing folded. */
static int room_to_fold(seg__stream *st, const uint32_t *cust,
                        const double *am, size_t n, size_t one)
{
    /* an entry of returns at most for each record below zero */
    size_t below[LANES] = {0};
    for (size_t i = 0; i < n; i++)
        below[lane_of(cust[i])] += !(am[i] >= 0);
    size_t cap = SIZE_MAX;
    for (int k = 0; k < LANES; k++) {
        lane *l = &st->lanes[k];
        if (l->count > UINT32_MAX - 1 - l->n_pool ||
            below[k] > UINT32_MAX - 1 - l->n_rare)
            return SEG_ENOMEM;
        if (seg__grow((void **)&l->pool, &l->cap_pool, l->n_pool + l->count,
                      sizeof *l->pool) ||
            seg__grow((void **)&l->rare, &l->cap_rare, l->n_rare + below[k],
                      sizeof *l->rare))
            return SEG_ENOMEM;
        cap = l->cap_scratch < cap ? l->cap_scratch : cap;
    }
    /* a day folded holds at most the longest list, the batch's records of
     * its customer (at most `one`) and its first record; a batch larger
     * than the buffer, without a bound, counts its customers' records
     * rather than reserve for all */
    if (st->most + one + 1 > cap && one > BUFFER)
        one = most_of_one(st, cust, n);
    for (int k = 0; k < LANES; k++)
        if (scratch_for(&st->lanes[k], st->most + one + 1))
            return SEG_ENOMEM;
    return SEG_OK;
}

/* Fold one lane's records held: by block when st->order is set for the
 * flush, else in file order, skipping the other lanes' records. */
static void *fold_lane(void *arg)
{
    lane *l = arg;
    seg__stream *st = l->st;
    const seg_dataset *ds = l->ds;
    calendar cal = calendar_of(ds);
    unsigned me = (unsigned)(l - st->lanes);
    if (st->by_block) {
        sort_lane(st, ds, me);
        const hrec *order = st->order;
        for (size_t k = l->begin, e = l->end; k < e; k++) {
            if (k + 16 < e) /* the slot */
                PREFETCH(slot(st, order[k + 16].row));
            const hrec *r = &order[k];
            /* where the record comes in the order of a fold of all lanes
             * at once, so that the customer named for a disorder is the
             * same */
            uint64_t at = (uint64_t)(r->row >> st->order_shift) << 32 | r->i;
            /* cannot fail: room_to_fold() made the room */
            (void)fold(st, l, &cal, r->row, at, r->t, r->amount);
        }
        return NULL;
    }
    const uint32_t *cust = ds->tx_cust;
    const int64_t *tt = ds->tx_time;
    const double *am = ds->tx_amount;
    for (size_t i = 0, e = ds->n_tx; i < e; i++) {
        if (i + 16 < e)
            PREFETCH(slot(st, cust[i + 16]));
        uint32_t row = cust[i];
        if (lane_of(row) == me)
            (void)fold(st, l, &cal, row, i, tt[i], am[i]);
    }
    return NULL;
}

/* The lanes' findings of a flush, merged. */
static void merge_lanes(seg__stream *st)
{
    const lane *first = NULL;
    for (int k = 0; k < LANES; k++) {
        const lane *l = &st->lanes[k];
        st->most = l->most > st->most ? l->most : st->most;
        st->kept_max = l->kept_max > st->kept_max ? l->kept_max : st->kept_max;
        st->dropped_min = l->dropped_min < st->dropped_min ? l->dropped_min
                                                           : st->dropped_min;
        if (l->disorder && (!first || l->disorder_at < first->disorder_at))
            first = l;
    }
    if (first && !st->disorder) {
        st->disorder = true;
        st->disorder_row = first->disorder_row;
    }
}

int seg__stream_flush(seg_dataset *ds)
{
    seg__stream *st = ds->stream;
    size_t n = ds->n_tx;
    if (!n)
        return SEG_OK;
    if (st->done)
        return seg__error(&ds->err, SEG_EMISUSE, "the transactions of this "
                          "features-only dataset were folded into its "
                          "features already: no more can be added");
    int rc = SEG_OK;
    if (ds->marked && !st->mark_saved)
        rc = save_at_mark(ds);
    if (!rc)
        rc = cover(st, ds->ids.n);
    if (!rc)
        rc = keep_blocks(st, ds->tx_cust, n);
    const uint32_t *cust = ds->tx_cust;
    size_t one = n;
    st->by_block = !rc && by_block(st, ds, n, ds->ids.n, &one) == SEG_OK;
    if (!rc && !st->by_block) {
        for (int k = 0; k < LANES; k++)
            st->lanes[k].count = 0;
        for (size_t i = 0; i < n; i++)
            st->lanes[lane_of(cust[i])].count++;
    }
    if (!rc)
        rc = room_to_fold(st, cust, ds->tx_amount, n, one);
    if (rc)
        return seg__nomem(&ds->err);
    for (int k = 0; k < LANES; k++) {
        lane *l = &st->lanes[k];
        l->st = st;
        l->ds = ds;
        l->most = st->most;
        l->kept_max = st->kept_max;
        l->dropped_min = st->dropped_min;
        l->disorder = false;
    }
    /* a lane a thread when the batch is worth it; the same folds either
     * way, since each customer's lane is fixed */
    int nth = st->by_block && n >= BUFFER
                  ? seg__threads(ds->threads, n, BUFFER / 2)
                  : 1;
    if (nth >= LANES) {
        seg__run_jobs(fold_lane, st->lanes, sizeof *st->lanes, LANES);
    } else {
        for (int k = 0; k < LANES; k++)
            fold_lane(&st->lanes[k]);
    }
    merge_lanes(st);
    st->count += n;
    ds->n_tx = 0;
    if (ds->tx_cat)
        memset(ds->tx_cat, 0, n * sizeof *ds->tx_cat);
    return SEG_OK;
}

/* Room for `more` records held: those held are folded first when they
 * and `more` would not fit; *need is then the capacity wanted. */
int seg__stream_room(seg_dataset *ds, size_t more, size_t *need)
{
    if (ds->stream->done)
        return seg__error(&ds->err, SEG_EMISUSE, "the transactions of this "
                          "features-only dataset were folded into its "
                          "features already: no more can be added");
    if (ds->n_tx + more <= ds->cap_tx) {
        *need = ds->n_tx + more;
        return SEG_OK;
    }
    int rc = seg__stream_flush(ds);
    *need = more > BUFFER ? more : BUFFER;
    return rc;
}

/* ---- the features ---- */

int seg__stream_check(seg_dataset *ds, int64_t cal_end, bool holdout,
                      int windows)
{
    seg__stream *st = ds->stream;
    if (st->done)
        return seg__error(&ds->err, SEG_EMISUSE, "the features of this "
                          "features-only dataset were computed once, and "
                          "its transactions are gone: load them again, "
                          "with the records kept, for other features");
    if (holdout || windows)
        return seg__error(&ds->err, SEG_EMISUSE, "a features-only dataset "
                          "keeps no records for %s: load with the records "
                          "kept", holdout ? "a holdout period" : "windows");
    int rc = seg__stream_flush(ds);
    /* the flush's copy of the records, not needed before another flush:
     * given back before the features take their room */
    drop(&st->order);
    st->cap_order = 0;
    if (rc)
        return rc;
    if (st->disorder) {
        char ex[64];
        const char *id = seg__intern_str(&ds->ids, st->disorder_row);
        return seg__error(&ds->err, SEG_EMISUSE, "customer '%s': a "
                          "transaction of an earlier day came after a later "
                          "one, and a features-only dataset folds each "
                          "customer's days in order: load with the records "
                          "kept", seg__excerpt(ex, sizeof ex, id, strlen(id)));
    }
    if (st->count > UINT32_MAX)
        return seg__error(&ds->err, SEG_ELIMIT,
                          "features support at most 2^32-1 transactions");
    if (st->kept_max > cal_end || st->dropped_min <= cal_end)
        return seg__error(&ds->err, SEG_EMISUSE, "a features-only dataset "
                          "has the features of the as_of it was set for: "
                          "compute them for that time, or load with the "
                          "records kept");
    return SEG_OK;
}

/* The final totals of customer c. */
static int totals_of(seg__stream *st, const calendar *cal, size_t c,
                     seg__cacc *out)
{
    memset(out, 0, sizeof *out);
    if ((c >> BLOCK_SHIFT) >= st->n_blocks)
        return SEG_OK;
    sacc *s = slot(st, (uint32_t)c);
    if (s->state == S_NONE)
        return SEG_OK;
    const scold *k = cold(st, (uint32_t)c);
    lane *l = &st->lanes[lane_of((uint32_t)c)];
    out->first = k->first;
    out->repeat = s->repeat;
    out->first_t = k->first_t;
    out->last_t = s->last_t;
    out->orders = s->orders;
    if (k->rare) {
        const srare *r = &l->rare[k->rare - 1];
        out->other = r->other;
        out->returned = r->returned;
        out->returns = r->returns;
    }
    cday day;
    int rc = close_open(l, cal, s, &day, false);
    if (!rc)
        acc_day(out, &day);
    return rc;
}

/* The customers of one lane in [from, to), on a thread of their own: a
 * lane's customers reach only its own nodes and scratch. Checked (the
 * first that fails into rc and bad, lane 0 polling the progress) or
 * written. */
typedef struct lane_job {
    seg__stream *st;
    calendar cal;
    size_t from, to;
    unsigned lane;
    fcol *out; /* NULL: check */
    int64_t cal_day;
    double unit;
    seg__progress *p;
    int rc;
    size_t bad;
} lane_job;

static void *lane_customers(void *vj)
{
    lane_job *j = vj;
    size_t run = (size_t)1 << LANE_SHIFT;
    for (size_t c = j->from; c < j->to; c++) {
        if (lane_of((uint32_t)c) != j->lane) {
            c = (c | (run - 1)); /* to the end of the other lane's run */
            continue;
        }
        seg__cacc a;
        int rc = j->p ? seg__progress_at(j->p, c) : SEG_OK;
        if (!rc)
            rc = totals_of(j->st, &j->cal, c, &a);
        if (!rc && !j->out && !acc_finite(&a))
            rc = SEG_ERANGE;
        if (rc) {
            j->rc = rc;
            j->bad = c;
            return NULL;
        }
        if (j->out)
            acc_write(&a, &j->cal, j->cal_day, j->unit, c, j->out);
    }
    return NULL;
}

/* Customers [from, to) on a thread a lane (one thread: the lanes in
 * turn); the failure of the customer first in order, as one pass would
 * find it. */
static int lanes_over(seg_dataset *ds, size_t from, size_t to, fcol *out,
                      int64_t cal_day, double unit, seg__progress *p,
                      size_t *bad)
{
    lane_job jobs[LANES];
    for (unsigned k = 0; k < LANES; k++)
        jobs[k] = (lane_job){ds->stream, calendar_of(ds), from, to, k, out,
                             cal_day, unit, k ? NULL : p, SEG_OK, 0};
    if (seg__threads(seg__ds_threads(ds), to - from, 65536) >= LANES)
        seg__run_jobs(lane_customers, jobs, sizeof *jobs, LANES);
    else
        for (unsigned k = 0; k < LANES; k++)
            lane_customers(&jobs[k]);
    int rc = SEG_OK;
    for (unsigned k = 0; k < LANES; k++)
        if (jobs[k].rc && (!rc || jobs[k].bad < *bad)) {
            rc = jobs[k].rc;
            *bad = jobs[k].bad;
        }
    return rc;
}

int seg__stream_precheck(seg_dataset *ds, seg__progress *p, size_t *bad)
{
    return lanes_over(ds, 0, ds->ids.n, NULL, 0, 0, p, bad);
}

/* After seg__stream_precheck(): cannot fail (each lane's scratch is as
 * large as any of its days needs), and gives each block back once its
 * customers are written, so that the features take the totals' place. */
void seg__stream_write(seg_dataset *ds, int64_t cal_day, double unit,
                       fcol *out)
{
    seg__stream *st = ds->stream;
    size_t bad = 0;
    for (size_t from = 0; from < ds->ids.n; from += BLOCK) {
        size_t to = ds->ids.n - from < BLOCK ? ds->ids.n : from + BLOCK;
        (void)lanes_over(ds, from, to, out, cal_day, unit, NULL, &bad);
        if ((from >> BLOCK_SHIFT) < st->n_blocks) {
            seg__free(st->blocks[from >> BLOCK_SHIFT]);
            st->blocks[from >> BLOCK_SHIFT] = NULL;
        }
    }
    uint64_t added = st->count;
    drop_saved(st);
    stream_clear(st);
    st->count = added;
    st->done = true;
    /* and the batch held last: no transaction can come any more */
    drop(&ds->tx_cust);
    drop(&ds->tx_time);
    drop(&ds->tx_amount);
    drop(&ds->tx_cat);
    ds->cap_tx = 0;
}
