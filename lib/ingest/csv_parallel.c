/* A large CSV file of transactions on several threads: the same records,
 * rows, checks and messages as record by record, faster. */
#include <string.h>

#include "ingest/csv_batch.h"
#include "ingest/csv_scan.h"

/* The input goes in batches of whole lines (mapped from a regular file,
 * else read or sliced). A batch is cut into a few parts a thread at line
 * ends; the threads take parts in turn, split their lines into fields and
 * parse them. This thread then adds the batch's customers in file order
 * (rows are numbered in order of appearance, so that part stays serial)
 * while the others copy its times and amounts into place and parse the
 * next batch, and the batch after that is read. The first error in file
 * order is reported, with the message the sequential loader gives. A
 * quote in a batch could hide a line break inside a field, so the
 * sequential loader takes over from that batch on. */

/* Room for one more record of an attribute file. */
static bool part_reserve_attrs(tx_part *w)
{
    size_t c1 = w->cap, c2 = w->cap * w->n_attr, c3 = c2, c4 = c2;
    size_t want = (w->n + 1) * w->n_attr;
    if (seg__grow((void **)&w->rec_line, &c1, w->n + 1, sizeof *w->rec_line) ||
        (!w->dense &&
         (seg__grow((void **)&w->voff, &c2, want, sizeof *w->voff) ||
          seg__grow((void **)&w->vlen, &c3, want, sizeof *w->vlen))) ||
        seg__grow((void **)&w->vval, &c4, want, sizeof *w->vval))
        return false;
    if (w->dense)
        c2 = c3 = c4;
    c2 = c2 < c3 ? c2 : c3;
    c2 = c2 < c4 ? c2 : c4;
    w->cap = c1 < c2 / w->n_attr ? c1 : c2 / w->n_attr;
    return true;
}

/* Room for one more record, and one more run. */
static bool part_reserve(tx_part *w)
{
    if (w->n == w->cap && w->n_attr) {
        if (!part_reserve_attrs(w))
            return false;
    } else if (w->n == w->cap) {
        size_t c1 = w->cap, c2 = w->cap;
        if (seg__grow((void **)&w->t, &c1, w->n + 1, sizeof *w->t) ||
            seg__grow((void **)&w->a, &c2, w->n + 1, sizeof *w->a))
            return false;
        w->cap = c1 < c2 ? c1 : c2;
    }
    if (w->runs == w->cap_runs) {
        size_t c1 = w->cap_runs, c2 = c1, c3 = c1, c4 = c1;
        if (seg__grow((void **)&w->off, &c1, w->runs + 1, sizeof *w->off) ||
            seg__grow((void **)&w->len, &c2, w->runs + 1, sizeof *w->len) ||
            seg__grow((void **)&w->hash, &c3, w->runs + 1, sizeof *w->hash) ||
            seg__grow((void **)&w->count, &c4, w->runs + 1, sizeof *w->count))
            return false;
        w->cap_runs = c1 < c2 ? c1 : c2;
        w->cap_runs = w->cap_runs < c3 ? w->cap_runs : c3;
        w->cap_runs = w->cap_runs < c4 ? w->cap_runs : c4;
    }
    return true;
}

/* One line's fields are in w->f (the first `need` of nf): parse the
 * record. false (w->rc set) on an error. */
static bool part_record(tx_part *w, size_t nf, const char **last_id,
                        size_t *last_n)
{
    if (!seg__rd_record(w->f, nf, w->need))
        return true; /* an empty line */
    if (nf < w->need &&
        (w->rc = seg__check_fields(nf, w->need, w->msg, sizeof w->msg))) {
        w->err_col = nf + 1;
        return false;
    }
    if (!part_reserve(w)) {
        w->rc = SEG_ENOMEM;
        return false;
    }
    const seg__text *fid = &w->f[w->col_id];
    if (!(*last_id && fid->n == *last_n &&
          seg__same_bytes(fid->p, *last_id, *last_n))) {
        if ((w->rc = seg__check_id(fid->p, fid->n, w->msg, sizeof w->msg))) {
            w->err_col = w->col_id + 1;
            return false;
        }
        *last_id = fid->p;
        *last_n = fid->n;
        w->off[w->runs] = (uint32_t)(fid->p - w->p);
        w->len[w->runs] = (uint32_t)fid->n;
        w->hash[w->runs] = (uint32_t)seg__hash(fid->p, fid->n);
        w->count[w->runs++] = 0;
    }
    if (w->n_attr) { /* an attribute file: its values, and their numbers */
        w->rec_line[w->n] = (uint32_t)w->lines;
        for (size_t k = 0, at = w->n * w->n_attr; k < w->n_attr; k++, at++) {
            const seg__text *fv = &w->f[w->attr_col[k]];
            if (!w->dense) {
                w->voff[at] = (uint32_t)(fv->p - w->p);
                w->vlen[at] = (uint32_t)fv->n;
            }
            if (!fv->n) {
                w->vval[at] = seg__attr_mark(SEG__ATTR_ABSENT);
            } else if (seg__parse_f64(fv->p, fv->n, &w->vval[at]) != SEG_OK) {
                w->vval[at] = seg__attr_mark(SEG__ATTR_TEXT);
                w->num[k] = false;
            }
        }
        w->count[w->runs - 1]++;
        w->n++;
        return true;
    }
    /* straight to the parsers; on a failure, again for the message */
    const seg__text *ft = &w->f[w->col_time], *fa = &w->f[w->col_amount];
    if (w->t_text && ft->n == w->t_len &&
        seg__same_bytes(ft->p, w->t_text, ft->n)) {
        /* the time of the line before, as a file sorted by date repeats
         * it line after line */
        w->t[w->n] = w->t[w->n - 1];
    } else {
        if ((w->tz ? seg__time_parse_in(w->tz, &w->t[w->n], ft->p, ft->n,
                                        w->time_format)
                   : seg_time_parse(&w->t[w->n], ft->p, ft->n,
                                    w->time_format)) &&
            (w->rc = seg__read_time(w->tz, ft->p, ft->n, w->time_format,
                                    &w->t[w->n], w->msg, sizeof w->msg))) {
            w->err_col = w->col_time + 1;
            return false;
        }
        w->t_text = ft->p;
        w->t_len = ft->n;
    }
    if (seg__parse_f64(fa->p, fa->n, &w->a[w->n]) &&
        (w->rc = seg__read_amount(fa->p, fa->n, &w->a[w->n], w->msg,
                                  sizeof w->msg))) {
        w->err_col = w->col_amount + 1;
        return false;
    }
    if (w->no_returns && w->a[w->n] < 0) {
        w->rc = seg__negative_amount(fa->p, fa->n, w->msg, sizeof w->msg);
        w->err_col = w->col_amount + 1;
        return false;
    }
    w->max_t = w->t[w->n] > w->max_t ? w->t[w->n] : w->max_t;
    w->count[w->runs - 1]++;
    w->n++;
    return true;
}

/* One line of a part, split: its record parsed, the line counted. */
typedef struct part_walk {
    tx_part *w;
    const char *last_id;
    size_t last_n;
} part_walk;

static bool part_line(void *ctx, size_t nf)
{
    part_walk *pw = ctx;
    if (!part_record(pw->w, nf, &pw->last_id, &pw->last_n))
        return false;
    pw->w->lines++;
    return true;
}

/* Split a part's lines into fields and parse their records. */
static void *parse_part(void *arg)
{
    tx_part *w = arg;
    w->runs = 0;
    w->n = 0;
    w->t_text = NULL;
    w->lines = 0;
    w->max_t = INT64_MIN;
    w->rc = SEG_OK;
    for (size_t k = 0; k < w->n_attr; k++)
        w->num[k] = true;
    part_walk pw = {w, NULL, 0};
    if (seg__rd_split(w->p, (size_t)(w->e - w->p), w->delim, w->need, w->f,
                      part_line, &pw) < 0)
        w->rc = SEG__REC_MORE; /* a field could hold a line feed */
    return NULL;
}

/* Add one batch's parsed records, in file order: their customers (which
 * takes this thread, since rows are numbered in order of appearance);
 * their times and amounts are copied by copy_part(), which other threads
 * may do meanwhile, to the places set here. */
/* Room for a batch's records, and each part's place: before any copy
 * starts, since making room may move the arrays. An attribute file kept
 * by column (d) has its values copied into d's columns as transactions
 * are; staged (no d), they are copied by their customers. */
static int place_parts(seg_dataset *ds, seg__attr_rows *d, tx_part *parts,
                       int n)
{
    if (parts[0].n_attr && !d)
        return SEG_OK;
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += parts[i].n;
    size_t at;
    if (d) {
        if (seg__attr_rows_reserve(d, d->n + total))
            return SEG_ENOMEM;
        at = d->n;
    } else {
        /* making room may also fold the records held (a features-only
         * dataset), which moves where this batch goes */
        if (ds->cap_tx - ds->n_tx < total && seg__ds_reserve_tx(ds, total))
            return SEG_ENOMEM;
        at = ds->n_tx;
    }
    for (int i = 0; i < n; i++) {
        parts[i].dst = at;
        at += parts[i].n;
    }
    return SEG_OK;
}

/* A part's records of an attribute file, their customers known: their
 * values staged in file order, as the sink stages a record's. */
static int stage_part(seg__sink *s, const tx_part *w, size_t r, size_t rec,
                      uint32_t row, size_t line)
{
    for (size_t end = rec + w->count[r]; rec < end; rec++) {
        for (size_t k = 0, at = rec * w->n_attr; k < w->n_attr; k++, at++) {
            if (!w->vlen[at])
                continue;
            bool text = seg__attr_is(w->vval[at], SEG__ATTR_TEXT);
            int rc = seg__sink_attr_stage(s, k, row, line + w->rec_line[rec],
                                          w->p + w->voff[at], w->vlen[at],
                                          text ? NULL : &w->vval[at]);
            if (rc)
                return rc;
        }
    }
    return SEG_OK;
}

/* A part's records of an attribute file counted into d, their customers
 * in d->row already and their values copied by copy_part(). */
static void keep_part(seg__attr_rows *d, const tx_part *w)
{
    for (size_t k = 0; k < w->n_attr; k++)
        d->mixed[k] |= !w->num[k];
    d->n += w->n;
}

static int add_parts(seg__sink *s, tx_part *parts, int n, size_t line,
                     seg__attr_rows *d)
{
    seg_dataset *ds = s->ds;
    for (int i = 0; i < n; i++) {
        tx_part *w = &parts[i];
        size_t at = w->dst, rec = 0, found;
        /* a date-sorted file has a new customer on every line, each
         * lookup a few misses of the cache, which the lookups of the
         * part in one go ask for early: the runs' rows take the place of
         * their hashes, the rows of those before an error among them */
        int lrc = seg__ds_customers_h(ds, w->p, w->off, w->len, w->hash,
                                      w->runs, w->hash, &found);
        const uint32_t *rows = w->hash;
        for (size_t r = 0; r < found; r++) {
            uint32_t row = rows[r];
            int rc = SEG_OK;
            if (w->n_attr && !d)
                rc = stage_part(s, w, r, rec, row, line);
            if (rc)
                return rc;
            for (size_t end = rec + w->count[r]; d && !rc && rec < end; rec++)
                rc = seg__attr_rows_set_row(d, d->n + rec, row);
            if (rc)
                return rc;
            if (d)
                continue;
            if (w->n_attr) {
                rec += w->count[r];
                continue;
            }
            if (at && row < ds->tx_cust[at - 1])
                ds->tx_grouped = false;
            for (size_t end = at + w->count[r]; at < end; at++)
                ds->tx_cust[at] = row;
        }
        if (lrc)
            return lrc;
        line += w->lines;
        s->records += w->n;
        if (d)
            keep_part(d, w);
        if (w->n_attr)
            continue;
        if (w->n && w->max_t > ds->max_time)
            ds->max_time = w->max_t;
        ds->n_tx = at;
        /* the customers of a batch take a while: the load's rollback
         * undoes a part added before a stop */
        int prc = seg__progress_beat(seg__progress_current());
        if (prc)
            return prc;
    }
    return SEG_OK;
}

/* A part's times and amounts into their place, or the values of an
 * attribute file kept by column (d) into its columns, which have room. */
static void copy_part(seg_dataset *ds, seg__attr_rows *d, const tx_part *w)
{
    if (!w->n || (w->n_attr && !d))
        return;
    if (!w->n_attr) {
        memcpy(ds->tx_time + w->dst, w->t, w->n * sizeof *w->t);
        memcpy(ds->tx_amount + w->dst, w->a, w->n * sizeof *w->a);
        return;
    }
    for (size_t k = 0; k < w->n_attr; k++) {
        double *dst = d->val[k] + w->dst;
        const double *src = w->vval + k;
        for (size_t r = 0; r < w->n; r++, src += w->n_attr)
            dst[r] = *src;
    }
}


/* The parts of the batch to parse next given the arrays of one whose
 * records are all added and copied (done), which is only read into
 * next: the arrays of two batches serve the three, and the third set is
 * never grown (about 10 MB less for batches of transactions). */
static void trade_parts(tx_batch *next, tx_batch *done)
{
    for (int i = 0; i < next->nparts; i++) {
        tx_part t = next->parts[i];
        next->parts[i] = done->parts[i];
        done->parts[i] = t;
    }
}

/* Parse parts of a batch until none is left. */
static void *parse_parts(void *arg)
{
    tx_batch *bt = arg;
    if (bt->copy) /* the batch before, once added: its copies come first */
        for (int i = atomic_fetch_add(&bt->next_copy, 1); i < bt->nparts;
             i = atomic_fetch_add(&bt->next_copy, 1))
            copy_part(bt->ds, bt->rows, &bt->copy->parts[i]);
    /* only the caller's thread has a stage: it says it is alive between
     * parts (the bytes are counted a batch at a time), and a cancellation
     * stops the load at the end of the batch */
    seg__progress *p = seg__progress_current();
    for (int i = atomic_fetch_add(&bt->next, 1); i < bt->nparts;
         i = atomic_fetch_add(&bt->next, 1)) {
        parse_part(&bt->parts[i]);
        (void)seg__progress_beat(p);
    }
    return NULL;
}

/* Parse a batch on `helpers` threads, and on this one when it calls
 * parse_parts() itself. */
static void start_batch(tx_batch *bt, int helpers)
{
    atomic_store(&bt->next, 0);
    seg__jobs_start(&bt->jobs, parse_parts, bt, 0, helpers);
}

/* The first error of a parsed batch, in file order, reported; else the
 * line after it. SEG__REC_MORE when a part met a quote: then the batch is the
 * sequential loader's, errors and all. */
static int batch_result(seg__reader *rd, const tx_batch *bt,
                        size_t *next_line)
{
    size_t line = bt->line;
    for (int i = 0; i < bt->nparts; i++)
        if (bt->parts[i].rc == SEG__REC_MORE)
            return SEG__REC_MORE;
    for (int i = 0; i < bt->nparts; i++) {
        const tx_part *w = &bt->parts[i];
        if (w->rc)
            return seg__sink_fail(rd->sink, w->rc, line + w->lines,
                                  w->err_col, "%s", w->msg);
        line += w->lines;
    }
    *next_line = line;
    return SEG_OK;
}

/* Three batches (parsed, added, read ahead), their parts set up for the
 * sink's columns; NULL when out of memory. */
static tx_batch *batches_new(const seg__sink *s, const seg__reader *rd,
                             int nparts, const size_t *attr_col)
{
    tx_batch *bt = seg__calloc(3, sizeof *bt);
    for (int k = 0; bt && k < 3; k++) {
        bt[k].nparts = nparts;
        bt[k].size = s->txs ? BATCH : ATTR_BATCH;
        for (int i = 0; i < nparts; i++) {
            tx_part *w = &bt[k].parts[i];
            w->delim = rd->delim;
            w->need = s->need;
            w->col_id = s->col[SEG__R_ID];
            w->col_time = s->col[SEG__R_TIME];
            w->col_amount = s->col[SEG__R_AMOUNT];
            w->time_format = s->time_format;
            w->tz = s->ds->tz;
            w->no_returns = s->no_returns;
            w->n_attr = s->txs ? 0 : s->n_attrs;
            w->attr_col = attr_col;
            if (!(w->f = seg__malloc(s->need * sizeof *w->f)) ||
                (w->n_attr && !(w->num = seg__malloc(w->n_attr))))
                return bt; /* batches_free() takes what there is */
        }
    }
    return bt;
}

static void batches_free(tx_batch *bt)
{
    for (int k = 0; bt && k < 3; k++) {
        for (int i = 0; i < bt[k].nparts; i++) {
            tx_part *w = &bt[k].parts[i];
            seg__free(w->f);
            seg__free(w->off);
            seg__free(w->len);
            seg__free(w->hash);
            seg__free(w->count);
            seg__free(w->t);
            seg__free(w->a);
            seg__free(w->rec_line);
            seg__free(w->voff);
            seg__free(w->vlen);
            seg__free(w->vval);
            seg__free(w->num);
        }
        seg__free(bt[k].mem);
        seg__batch_unmap(&bt[k]);
    }
    seg__free(bt);
}

static bool batches_ready(const tx_batch *bt)
{
    for (int k = 0; bt && k < 3; k++)
        for (int i = 0; i < bt[k].nparts; i++)
            if (!bt[k].parts[i].f ||
                (bt[k].parts[i].n_attr && !bt[k].parts[i].num))
                return false;
    return bt != NULL;
}

/* The records, runs of one customer and bytes of their ids in the
 * first batch: what the sizes of the whole input are guessed from. */
static void first_counts(const tx_batch *first, size_t *recs, size_t *runs,
                         size_t *id_bytes)
{
    *recs = *runs = *id_bytes = 0;
    for (int i = 0; i < first->nparts; i++) {
        *recs += first->parts[i].n;
        *runs += first->parts[i].runs;
        for (size_t r = 0; r < first->parts[i].runs; r++)
            *id_bytes += first->parts[i].len[r];
    }
}

/* Room for all the transactions, as many as the first batch promises for
 * the whole input: growing by doubling would copy them, and pages never
 * written take no memory. */
static void reserve_for_input(seg_dataset *ds, const seg__reader *rd,
                              const tx_batch *first)
{
    if (first->parts[0].n_attr)
        return; /* seg__sink_expect(), once the batch is added */
    size_t bytes = (size_t)(first->e - first->b), recs, runs, id_bytes;
    first_counts(first, &recs, &runs, &id_bytes);
    if (rd->size <= bytes || !bytes)
        return;
    double scale = (double)rd->size / (double)bytes * 1.05;
    if ((double)recs * scale < 1e10)
        seg__ds_reserve_tx_hint(ds, (size_t)((double)recs * scale));
    /* and for the customers, when they come grouped (then runs of records
     * are customers): no rehashing as they arrive */
    if (runs * 2 <= recs && (double)runs * scale < 1e9)
        seg__intern_reserve(&ds->ids, (size_t)((double)runs * scale),
                            (size_t)((double)id_bytes * scale));
}

/* The first batch, parsed alone: SEG_OK, an error, or SEG__REC_MORE with
 * the batch given back to the reader. */
static int first_batch(seg__sink *s, seg__reader *rd, tx_batch *cur,
                       int threads, size_t *line)
{
    cur->line = *line;
    int rc = seg__batch_next(rd, cur);
    if (!rc && cur->b < cur->e) {
        seg__batch_split(cur);
        start_batch(cur, threads - 1);
        parse_parts(cur);
        seg__jobs_wait(&cur->jobs);
        rc = batch_result(rd, cur, line);
        if (!rc)
            reserve_for_input(s->ds, rd, cur);
    }
    if (rc == SEG__REC_MORE) {
        int u = seg__batch_unread(rd, cur);
        rc = u ? u : SEG__REC_MORE;
    }
    return rc;
}

/* An attribute file whose bytes stay in place while it loads (a buffer,
 * or a file mapped whole) is kept by column in d, its text left where it
 * is: true then. */
static bool start_dense(const seg__sink *s, seg__reader *rd, tx_batch *bt,
                        const size_t *attr_col, seg__attr_rows *d)
{
    if (s->txs)
        return false;
    seg__batch_map_whole(rd);
    if (rd->f && !rd->whole)
        return false;
    const char *b = rd->whole ? rd->whole : rd->data + rd->pos;
    const char *e = rd->whole ? rd->whole + rd->whole_len : rd->data + rd->len;
    if (seg__attr_rows_init(d, s, attr_col, rd->delim, b, e, rd->line)) {
        seg__attr_rows_free(d);
        return false; /* staged as they come instead */
    }
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < bt[k].nparts; i++)
            bt[k].parts[i].dense = true;
    return true;
}

/* Room in d for all the records, as many as the first batch promises,
 * and for their customers before the first is added: no rehashing of
 * the ids as they come. Hints: a failure leaves the arrays to grow. */
static void reserve_dense(seg_dataset *ds, seg__attr_rows *d,
                          const tx_batch *first)
{
    size_t bytes = (size_t)(first->e - first->b), recs, runs, id_bytes;
    first_counts(first, &recs, &runs, &id_bytes);
    double scale = bytes ? (double)(d->end - d->base) / (double)bytes * 1.02
                         : 0;
    if (!bytes || (double)recs * scale >= 4e9)
        return;
    (void)seg__attr_rows_reserve(d, (size_t)((double)recs * scale) + 64);
    if (runs * 2 >= recs)
        (void)seg__intern_reserve(&ds->ids, (size_t)((double)runs * scale),
                                  (size_t)((double)id_bytes * scale));
}

/* The end of a load kept by column: the values into their columns, or
 * staged in the sink for the sequential loader to go on. */
static int end_dense(seg__sink *s, seg__attr_rows *d, int rc)
{
    if (rc == SEG_OK)
        rc = seg__attr_rows_apply(s, d);
    else if (rc == SEG__REC_MORE) {
        int r = seg__attr_rows_restage(s, d);
        rc = r ? r : SEG__REC_MORE;
    }
    seg__attr_rows_free(d);
    return rc;
}

int seg__load_tx_parallel(seg__sink *s, seg__reader *rd, int threads)
{
    seg_dataset *ds = s->ds;
    int nparts = threads * 4 < SEG__MAX_THREADS ? threads * 4
                                                : SEG__MAX_THREADS;
    size_t *attr_col = seg__malloc((s->n_attrs ? s->n_attrs : 1) *
                                   sizeof *attr_col);
    for (size_t k = 0; attr_col && k < s->n_attrs; k++)
        attr_col[k] = s->attrs[k].col;
    tx_batch *bt = attr_col ? batches_new(s, rd, nparts, attr_col) : NULL;
    if (!batches_ready(bt)) {
        batches_free(bt);
        seg__free(attr_col);
        return seg__nomem(&ds->err);
    }
    /* the first batch alone; then each batch is parsed while the one
     * before it is added and the one after it is read */
    tx_batch *cur = &bt[0], *nx = &bt[1], *nn = &bt[2];
    size_t line = rd->line;
    seg__batch_start_mapping(rd);
    seg__attr_rows d;
    bool dense = start_dense(s, rd, bt, attr_col, &d);
    int rc = first_batch(s, rd, cur, threads, &line), nrc = SEG_OK;
    if (!rc && cur->b < cur->e) {
        nx->line = line;
        nrc = seg__batch_next(rd, nx);
    }
    bool first = true;
    while (!rc && cur->b < cur->e) {
        bool parsing = !nrc && nx->b < nx->e, ahead = false;
        int nnrc = SEG_OK;
        if (dense && first) /* room for all, before any copy */
            reserve_dense(ds, &d, cur);
        if ((rc = place_parts(ds, dense ? &d : NULL, cur->parts, nparts)) !=
            SEG_OK)
            break;
        if (parsing) { /* the helpers copy this batch, then parse the next */
            seg__batch_split(nx);
            nx->copy = cur;
            nx->ds = ds;
            nx->rows = dense ? &d : NULL;
            atomic_store(&nx->next_copy, 0);
            start_batch(nx, threads - 1);
            nnrc = seg__batch_next(rd, nn); /* meanwhile, the one after */
            ahead = true;
        }
        rc = add_parts(s, cur->parts, nparts, cur->line, dense ? &d : NULL);
        if (!rc && first && !s->txs &&
            rd->size > (size_t)(cur->e - cur->b))
            /* the first batch's share of the file: room for the rest of
             * an attribute file's customers and values at once */
            seg__sink_expect(s, (double)rd->size /
                                    (double)(cur->e - cur->b) * 1.02);
        first = false;
        if (parsing) {
            parse_parts(nx); /* what the helpers have not taken yet */
            seg__jobs_wait(&nx->jobs);
        } else {
            for (int i = 0; i < nparts; i++)
                copy_part(ds, dense ? &d : NULL, &cur->parts[i]);
        }
        if (!rc) /* the caller's thread, between batches */
            rc = seg__progress_add(seg__progress_current(),
                                   (uint64_t)(cur->e - cur->b));
        cur->b = cur->e = NULL;
        if (!rc)
            rc = parsing ? batch_result(rd, nx, &line) : nrc;
        if (rc == SEG__REC_MORE) { /* the reader goes on from nx alone */
            rd->line = nx->line;
            /* what was read after nx goes back first, then nx */
            int u = ahead ? seg__batch_unread(rd, nn) : SEG_OK;
            if (!u)
                u = seg__batch_unread(rd, nx);
            rc = u ? u : SEG__REC_MORE;
            line = rd->line;
        }
        if (!rc && ahead)
            nn->line = line;
        tx_batch *t = cur;
        cur = nx;
        nx = nn;
        nn = t;
        trade_parts(nx, nn);
        nrc = nnrc;
        if (!rc && !ahead)
            break; /* nothing was read ahead: cur is the end */
    }
    if (rc != SEG__REC_MORE)
        rd->line = line;
    batches_free(bt);
    if (dense)
        rc = end_dense(s, &d, rc);
    seg__batch_unmap_whole(rd);
    seg__free(attr_col);
    return rc == SEG_ENOMEM ? seg__nomem(&ds->err) : rc;
}
