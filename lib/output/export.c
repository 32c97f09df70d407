/* Export of the column table to CSV and JSON. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "output/internal.h"

/* Rows are formatted in blocks straight into memory, each cell by a
 * writer chosen once for its column. On one thread a block is formatted,
 * then handed to the sink. On more, the blocks come in rounds: while the
 * caller's thread hands one round's blocks to the sink in order (for a
 * file, the system's copy into its cache takes as long as formatting),
 * the other threads format the next round's, and the caller joins them
 * once its round is out. */
#define BLOCK_ROWS 8192
#define ROUND_BLOCKS 4

enum { CELL_NUM, CELL_TIME, CELL_TEXT };

typedef struct ex_col {
    const seg__column *c;
    int how;
    char *key;       /* what comes before the value: "," or ,"name": */
    size_t key_len;
} ex_col;

typedef struct ex_ctx {
    const seg_dataset *ds;
    const seg__tz *tz;
    const ex_col *cols;
    size_t nc;
    bool json;
    size_t num_max;  /* the most bytes a row's keys and numbers take */
} ex_ctx;

/* Timestamps already written, by their value: the times of a customer
 * table repeat (a few thousand days for a million customers), and their
 * text depends only on the value and the dataset's zone. */
#define TIME_SLOTS 2048

typedef struct ex_time_slot {
    int64_t t;
    unsigned char len; /* 0: empty */
    char text[SEG__ISO_MAX];
} ex_time_slot;

typedef struct ex_block {
    const ex_ctx *x;
    size_t from, to; /* rows */
    seg__buf out;
    ex_time_slot *times; /* TIME_SLOTS of them, or NULL */
    int rc;
    seg__progress *prog; /* looked at for a cancellation */
} ex_block;

/* Room for n more bytes in b; p (a cursor into b) follows a move. */
static bool ex_room(seg__buf *b, char **p, size_t n)
{
    size_t len = (size_t)(*p - b->data);
    if (b->cap - len >= n)
        return true;
    if (len + n < len || seg__grow((void **)&b->data, &b->cap, len + n, 1))
        return false;
    *p = b->data + len;
    return true;
}

static char *ex_num(char *p, double v, bool json)
{
    if (v != v || (json && isinf(v))) {
        if (json)
            memcpy(p, "null", 4), p += 4;
        return p;
    }
    return p + seg__format_f64(p, v);
}

/* A timestamp in the dataset's zone, as people and spreadsheets read
 * one; a number that is no time (a fraction, out of range) as a number.
 * Its text needs neither quotes in CSV nor escapes in JSON. */
static char *ex_time(char *p, const seg__tz *tz, ex_time_slot *times,
                     double v, bool json)
{
    size_t n = 0;
    if (v == v && v >= -9e15 && v <= 9e15 && v == (double)(int64_t)v) {
        int64_t t = (int64_t)v;
        ex_time_slot *slot =
            times ? &times[((uint64_t)t * 0x9E3779B97F4A7C15ull) >> 53] : NULL;
        if (slot && slot->len && slot->t == t) {
            n = slot->len;
            memcpy(p + json, slot->text, sizeof slot->text);
        } else {
            n = seg__time_format_in(tz, p + json, (int64_t)v);
            if (slot && n && n < sizeof slot->text) {
                slot->t = t;
                slot->len = (unsigned char)n;
                memcpy(slot->text, p + json, n);
            }
        }
    }
    if (!n)
        return ex_num(p, v, json);
    if (json) {
        *p = '"';
        p[n + 1] = '"';
        n += 2;
    }
    return p + n;
}

static char *ex_text(char *p, const char *s, bool json)
{
    if (!s)
        return json ? (memcpy(p, "null", 4), p + 4) : p;
    size_t n = strlen(s);
    return p + (json ? seg__json_text_to(p, s, n) : seg__csv_text_to(p, s, n));
}

static bool ex_row(const ex_ctx *x, seg__buf *b, ex_time_slot *times,
                   char **pp, size_t r)
{
    const seg__interner *ids = seg__ds_ids(x->ds);
    size_t idn = ids->len[r];
    size_t need = x->num_max + SEG__TEXT_MAX(idn) + 24;
    if (!ex_room(b, pp, need))
        return false;
    char *p = *pp;
    if (x->json) {
        const char *open = r ? ",\n{\"customer_id\":" : "\n{\"customer_id\":";
        size_t on = r ? 17 : 16;
        memcpy(p, open, on);
        p += on;
        p += seg__json_text_to(p, seg__intern_str(ids, (uint32_t)r), idn);
    } else {
        p += seg__csv_text_to(p, seg__intern_str(ids, (uint32_t)r), idn);
    }
    for (size_t i = 0; i < x->nc; i++) {
        const ex_col *col = &x->cols[i];
        const seg__column *c = col->c;
        if (x->json) {
            memcpy(p, col->key, col->key_len);
            p += col->key_len;
        } else {
            *p++ = ',';
        }
        if (col->how == CELL_NUM) {
            p = ex_num(p, r < c->n ? c->num[r] : NAN, x->json);
        } else if (col->how == CELL_TIME) {
            p = ex_time(p, x->tz, times, r < c->n ? c->num[r] : NAN,
                        x->json);
        } else {
            const char *s = seg__column_label(c, r);
            size_t n = s ? strlen(s) : 0;
            if (n && !ex_room(b, &p, SEG__TEXT_MAX(n) + x->num_max))
                return false;
            p = ex_text(p, s, x->json);
        }
    }
    *p++ = x->json ? '}' : '\n';
    *pp = p;
    return true;
}

static void *ex_format(void *arg)
{
    ex_block *k = arg;
    k->out.len = 0;
    if ((k->rc = seg__progress_canceled(k->prog)) != SEG_OK)
        return NULL;
    if (!k->out.data &&
        seg__grow((void **)&k->out.data, &k->out.cap, 1 << 16, 1)) {
        k->rc = SEG_ENOMEM;
        return NULL;
    }
    /* without the cache (out of memory for it) every time is formatted */
    if (!k->times)
        k->times = seg__calloc(TIME_SLOTS, sizeof *k->times);
    char *p = k->out.data;
    for (size_t r = k->from; r < k->to; r++) {
        if (!ex_row(k->x, &k->out, k->times, &p, r)) {
            k->rc = SEG_ENOMEM;
            return NULL;
        }
    }
    k->out.len = (size_t)(p - k->out.data);
    return NULL;
}

/* The columns' cell writers and keys. */
static int ex_columns(ex_col *ec, const seg__column **cols, size_t nc,
                      bool iso, bool json, size_t *num_max)
{
    *num_max = 2;
    for (size_t i = 0; i < nc; i++) {
        const seg__column *c = cols[i];
        ec[i].c = c;
        ec[i].how = c->type != SEG_COLUMN_NUMERIC      ? CELL_TEXT
                    : iso && c->kind == SEG_KIND_TIMESTAMP ? CELL_TIME
                                                         : CELL_NUM;
        size_t n = strlen(c->name);
        if (!(ec[i].key = seg__malloc(SEG__TEXT_MAX(n) + 2)))
            return SEG_ENOMEM;
        ec[i].key[0] = ',';
        ec[i].key_len = 1;
        if (json) {
            ec[i].key_len += seg__json_text_to(ec[i].key + 1, c->name, n);
            ec[i].key[ec[i].key_len++] = ':';
        }
        *num_max += ec[i].key_len + SEG__ISO_MAX + 8;
    }
    return SEG_OK;
}

/* A round of blocks, each taken by the first thread free. */
typedef struct ex_round {
    ex_block blocks[ROUND_BLOCKS];
    int n;
    atomic_int next;
} ex_round;

static void *ex_take(void *arg)
{
    ex_round *rd = arg;
    for (int i = atomic_fetch_add(&rd->next, 1); i < rd->n;
         i = atomic_fetch_add(&rd->next, 1))
        ex_format(&rd->blocks[i]);
    return NULL;
}

/* The next round's rows from *from on. */
static void ex_deal(ex_round *rd, size_t *from, size_t n)
{
    rd->n = 0;
    atomic_store(&rd->next, 0);
    for (; rd->n < ROUND_BLOCKS && *from < n; rd->n++) {
        ex_block *k = &rd->blocks[rd->n];
        k->from = *from;
        k->to = n - *from < BLOCK_ROWS ? n : *from + BLOCK_ROWS;
        *from = k->to;
    }
}

/* A round's blocks to the sink, in order, each row reported done once
 * its block is out; the first failure. */
static int ex_out(seg__writer *w, const ex_round *rd, seg__progress *prog)
{
    for (int i = 0; i < rd->n; i++) {
        const ex_block *k = &rd->blocks[i];
        if (k->rc)
            return k->rc;
        seg__w_pass(w, k->out.data, k->out.len);
        if (w->rc)
            return SEG_OK; /* the writer's own */
        for (size_t r = k->from; r < k->to; r++) {
            int rc = seg__progress_at(prog, r + 1);
            if (rc)
                return rc;
        }
    }
    return SEG_OK;
}

/* The rows of x through w: a round formatted while the one before it is
 * written, from the second on. */
static int ex_rows(seg__writer *w, const ex_ctx *x, int threads)
{
    size_t n = seg__ds_n(x->ds), from = 0;
    ex_round *rd = seg__calloc(2, sizeof *rd);
    seg__progress prog;
    int rc = seg__ds_progress_begin(&prog, x->ds, NULL, SEG_STAGE_EXPORT, n);
    if (!rd) {
        seg__progress_end(&prog);
        return rc ? rc : SEG_ENOMEM;
    }
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < ROUND_BLOCKS; i++)
            rd[r].blocks[i] = (ex_block){x, 0, 0, {NULL, 0, 0}, NULL, SEG_OK,
                                         &prog};
    ex_round *cur = &rd[0], *nx = &rd[1];
    ex_deal(cur, &from, n);
    if (!rc)
        seg__run_jobs(ex_take, cur, 0, threads);
    while (!rc && !w->rc && cur->n) {
        ex_deal(nx, &from, n);
        seg__jobs jobs;
        bool helped = threads > 1 && nx->n;
        if (helped)
            seg__jobs_start(&jobs, ex_take, nx, 0, threads - 1);
        rc = ex_out(w, cur, &prog);
        if (!rc && !w->rc)
            ex_take(nx); /* what the others have not taken: on one
                            thread, all of it */
        if (helped)
            seg__jobs_wait(&jobs);
        ex_round *t = cur;
        cur = nx;
        nx = t;
    }
    seg__progress_end(&prog);
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < ROUND_BLOCKS; i++) {
            seg__buf_free(&rd[r].blocks[i].out);
            seg__free(rd[r].blocks[i].times);
        }
    seg__free(rd);
    return rc;
}

int seg_dataset_export(const seg_dataset *ds, int format,
                       const char *const *columns, size_t n_columns,
                       seg_write_fn write, void *user_data)
{
    if (!ds || !write || (n_columns && !columns))
        return seg__error(ds ? seg__ds_err(ds) : NULL, SEG_EINVAL,
                          "seg_dataset_export: NULL argument");
    bool iso = !(format & SEG_EXPORT_EPOCH_TIMES);
    int flags = format;
    format &= ~SEG_EXPORT_EPOCH_TIMES;
    if (format != SEG_FORMAT_CSV && format != SEG_FORMAT_JSON)
        return seg__error(seg__ds_err(ds), SEG_EINVAL, "unknown export format %d",
                          flags);
    size_t nc = columns ? n_columns : seg__ds_n_columns(ds);
    const seg__column **cols = seg__calloc(nc ? nc : 1, sizeof *cols);
    ex_col *ec = seg__calloc(nc ? nc : 1, sizeof *ec);
    int rc = cols && ec ? SEG_OK : SEG_ENOMEM;
    for (size_t i = 0; i < nc && !rc; i++) {
        if (!columns) {
            cols[i] = seg__ds_column_at(ds, i);
            continue;
        }
        cols[i] = columns[i] ? seg__ds_find_column(ds, columns[i]) : NULL;
        if (!cols[i]) {
            char ex[64];
            const char *nm = columns[i] ? columns[i] : "(null)";
            rc = seg__error(seg__ds_err(ds), SEG_ENOTFOUND, "no column '%s'",
                            seg__excerpt(ex, sizeof ex, nm, strlen(nm)));
        }
    }
    bool json = format == SEG_FORMAT_JSON;
    ex_ctx x = {ds, seg__ds_tz(ds), ec, nc, json, 0};
    if (!rc)
        rc = ex_columns(ec, cols, nc, iso, json, &x.num_max);
    seg__writer w;
    seg__w_init(&w, format, write, user_data);
    if (!rc && json) {
        seg__w_raw(&w, "[", 1);
    } else if (!rc) {
        seg__w_str(&w, "customer_id");
        for (size_t i = 0; i < nc; i++) {
            seg__w_raw(&w, ",", 1);
            seg__w_text(&w, cols[i]->name);
        }
        seg__w_raw(&w, "\n", 1);
    }
    if (!rc) {
        size_t n = seg__ds_n(ds);
        int threads = seg__threads(seg__ds_threads(ds), n / BLOCK_ROWS + 1,
                                   4);
        rc = ex_rows(&w, &x, threads);
    }
    for (size_t i = 0; ec && i < nc; i++)
        seg__free(ec[i].key);
    seg__free(ec);
    seg__free(cols);
    if (rc) { /* what is still buffered is never written */
        seg__buf_free(&w.buf);
        return rc == SEG_ENOMEM ? seg__nomem(seg__ds_err(ds)) : rc;
    }
    if (json)
        seg__w_str(&w, "\n]\n");
    return seg__w_finish(&w, seg__ds_err(ds));
}

typedef struct export_job {
    const seg_dataset *ds;
    int format;
    const char *const *columns;
    size_t n_columns;
} export_job;

static int produce_export(seg_write_fn write, void *write_user, void *ctx)
{
    const export_job *j = ctx;
    return seg_dataset_export(j->ds, j->format, j->columns, j->n_columns,
                              write, write_user);
}

int seg_dataset_export_file(const seg_dataset *ds, int format,
                            const char *const *columns, size_t n_columns,
                            const char *path)
{
    if (!ds || !path)
        return seg__error(ds ? seg__ds_err(ds) : NULL, SEG_EINVAL,
                          "seg_dataset_export_file: NULL argument");
    export_job j = {ds, format, columns, n_columns};
    return seg__write_atomic(seg__ds_err(ds), path, produce_export, &j);
}
