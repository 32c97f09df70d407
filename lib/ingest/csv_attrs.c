/* The values of an attribute file (a summary, features) by column, as the
 * threaded loader reads them: one number a value, parsed once on the
 * thread that split its line, and no copy of any text. A column whose
 * values are all numbers becomes, in the usual case of a fresh dataset,
 * the very array they were parsed into; the text of a label, or of a
 * value an error quotes, is found again in its line, which stays in
 * memory until the load ends. */
#include <string.h>

#include "ingest/csv_scan.h"
#include "ingest/internal.h"

#define NOWHERE ((size_t)-1)

int seg__attr_rows_init(seg__attr_rows *d, const seg__sink *s,
                        const size_t *col, char delim, const char *base,
                        const char *end, size_t base_line)
{
    memset(d, 0, sizeof *d);
    d->n_attr = s->n_attrs;
    d->col = col;
    d->delim = delim;
    d->base = base;
    d->end = end;
    d->base_line = base_line;
    d->ordered = s->ds->ids.n == 0;
    d->val = seg__calloc(d->n_attr ? d->n_attr : 1, sizeof *d->val);
    d->mixed = seg__calloc(d->n_attr ? d->n_attr : 1, sizeof *d->mixed);
    return d->val && d->mixed ? SEG_OK : SEG_ENOMEM;
}

int seg__attr_rows_reserve(seg__attr_rows *d, size_t n)
{
    if (n <= d->cap)
        return SEG_OK;
    /* every array by the same steps, so that one capacity fits them all */
    size_t want = n, c;
    for (size_t k = 0; k < d->n_attr; k++) {
        c = d->cap;
        if (seg__grow((void **)&d->val[k], &c, want, sizeof *d->val[k]))
            return SEG_ENOMEM;
        want = c;
    }
    c = d->cap;
    if (!d->ordered &&
        seg__grow((void **)&d->row, &c, want, sizeof *d->row))
        return SEG_ENOMEM;
    d->cap = want;
    return SEG_OK;
}

int seg__attr_rows_set_row(seg__attr_rows *d, size_t i, uint32_t row)
{
    if (d->ordered) {
        if (row == i)
            return SEG_OK;
        /* the first customer out of order: the rows so far are 0 .. i-1 */
        size_t c = 0;
        if (seg__grow((void **)&d->row, &c, d->cap, sizeof *d->row))
            return SEG_ENOMEM;
        for (size_t r = 0; r < i; r++)
            d->row[r] = (uint32_t)r;
        d->ordered = false;
    }
    d->row[i] = row;
    return SEG_OK;
}

void seg__attr_rows_free(seg__attr_rows *d)
{
    for (size_t k = 0; d->val && k < d->n_attr; k++)
        seg__free(d->val[k]);
    seg__free(d->val);
    seg__free(d->mixed);
    seg__free(d->row);
    memset(d, 0, sizeof *d);
}

static uint32_t row_of(const seg__attr_rows *d, size_t i)
{
    return d->ordered ? (uint32_t)i : d->row[i];
}

/* The records again, in order, as the loader found them: every line but
 * the empty ones ("" or a lone CR). */
typedef struct walk {
    const char *p;      /* the next line */
    size_t line;        /* its number */
    const char *start;  /* the record's line, and where it ends */
    const char *stop;
    size_t rec_line;
} walk;

static void walk_start(const seg__attr_rows *d, walk *w)
{
    w->p = d->base;
    w->line = d->base_line;
}

static void walk_next(const seg__attr_rows *d, walk *w)
{
    for (;;) {
        const char *q = memchr(w->p, '\n', (size_t)(d->end - w->p));
        q = q ? q : d->end;
        size_t n = (size_t)(q - w->p);
        const char *p = w->p;
        size_t line = w->line++;
        w->p = q < d->end ? q + 1 : q;
        if (n == 0 || (n == 1 && *p == '\r'))
            continue;
        w->start = p;
        w->stop = q;
        w->rec_line = line;
        return;
    }
}

/* The record i's place, walking from the first (for a message). */
static void walk_to(const seg__attr_rows *d, walk *w, size_t i)
{
    walk_start(d, w);
    for (size_t r = 0; r <= i; r++)
        walk_next(d, w);
}

/* The text of attribute k of the record at w, split again as the loader
 * split it (a line's last field without its CR). */
static seg__text field_of(const seg__attr_rows *d, const walk *w, size_t k)
{
    const char *p = w->start, *e = w->stop;
    for (size_t skip = d->col[k]; skip; p++)
        if (*p == d->delim)
            skip--;
    const char *q = memchr(p, d->delim, (size_t)(e - p));
    size_t n = (size_t)((q ? q : e) - p);
    if (!q && n && p[n - 1] == '\r')
        n--;
    return (seg__text){p, n};
}

static int apply_numbers(seg__sink *s, seg__attr_rows *d, size_t k,
                         seg__column *c)
{
    const seg__attr_stage *a = &s->attrs[k];
    const double *v = d->val[k];
    if (!d->mixed[k] && d->ordered &&
        seg__ds_adopt_num(s->ds, c, d->val[k], d->n, d->cap)) {
        d->val[k] = NULL;
        return SEG_OK;
    }
    walk w;
    for (size_t i = 0; i < d->n; i++) {
        if (seg__attr_is(v[i], SEG__ATTR_ABSENT))
            continue;
        if (seg__attr_is(v[i], SEG__ATTR_TEXT)) {
            walk_to(d, &w, i);
            seg__text f = field_of(d, &w, k);
            return seg__sink_attr_not_number(s, a, w.rec_line, f.p, f.n);
        }
        int rc = seg__ds_set_num(s->ds, c, row_of(d, i), v[i]);
        if (rc) {
            walk_to(d, &w, i);
            return seg__sink_wrap(s, rc, w.rec_line, a->col + 1);
        }
    }
    return SEG_OK;
}

/* A column of labels, and its first error: at line `line`, SEG_EPARSE
 * for text that is not UTF-8, else the code of seg__ds_set_label(). */
typedef struct label_col {
    size_t k;
    seg__column *c;
    int rc;
    size_t line;
} label_col;

/* A walk over the lines for the label columns lc[0 .. active): the
 * records are counted (rec) as the loader counted them. */
typedef struct label_walk {
    seg__sink *s;
    const seg__attr_rows *d;
    label_col *lc;
    size_t active, need, rec, line;
    seg__text *f;
} label_walk;

static bool label_line(void *ctx, size_t nf)
{
    label_walk *lw = ctx;
    size_t line = lw->line++;
    seg__text *f = lw->f;
    if (!seg__rd_record(f, nf, lw->need))
        return true;
    const seg__attr_rows *d = lw->d;
    size_t i = lw->rec++;
    if (i >= d->n)
        return false; /* not met: the loader found these records */
    for (size_t j = 0; j < lw->active; j++) {
        label_col *l = &lw->lc[j];
        if (seg__attr_is(d->val[l->k][i], SEG__ATTR_ABSENT))
            continue;
        const seg__text *v = &f[d->col[l->k]];
        l->rc = !seg__utf8_valid(v->p, v->n)
                    ? SEG_EPARSE
                    : seg__ds_set_label(lw->s->ds, l->c, row_of(d, i), v->p,
                                        v->n);
        if (l->rc) {
            /* this column's error, or one of a column before it, is the
             * one reported: the columns after it need not go on */
            l->line = line;
            lw->active = j;
        }
    }
    return lw->active > 0;
}

/* The label columns lc[0 .. n) (in column order) in one walk over the
 * lines, each line split again as the loader split it. The error is the
 * first of the first column that has one. */
static int apply_labels(seg__sink *s, const seg__attr_rows *d, label_col *lc,
                        size_t n)
{
    if (!n)
        return SEG_OK;
    label_walk lw = {s, d, lc, n, 0, 0, d->base_line, NULL};
    for (size_t j = 0; j < n; j++) {
        lc[j].rc = SEG_OK;
        if (d->col[lc[j].k] + 1 > lw.need)
            lw.need = d->col[lc[j].k] + 1;
    }
    if (!(lw.f = seg__malloc(lw.need * sizeof *lw.f)))
        return seg__nomem(&s->ds->err);
    /* no quote: the loader split every line of d on its threads */
    (void)seg__rd_split(d->base, (size_t)(d->end - d->base), d->delim, lw.need,
                        lw.f, label_line, &lw);
    seg__free(lw.f);
    for (size_t j = 0; j < n; j++) {
        const seg__attr_stage *a = &s->attrs[lc[j].k];
        if (lc[j].rc == SEG_EPARSE)
            return seg__sink_attr_bad_text(s, a, lc[j].line);
        if (lc[j].rc)
            return seg__sink_wrap(s, lc[j].rc, lc[j].line, a->col + 1);
    }
    return SEG_OK;
}

/* The type attribute k's column takes: that of the column of its name,
 * else numeric unless a value is not a number. */
static int type_of(const seg__sink *s, const seg__attr_rows *d, size_t k)
{
    const seg__column *existing = seg__ds_find_column(s->ds, s->attrs[k].name);
    return existing ? existing->type
           : d->mixed[k] ? SEG_COLUMN_LABEL : SEG_COLUMN_NUMERIC;
}

static int column_for(seg__sink *s, size_t k, int type, seg__column **c)
{
    const char *name = s->attrs[k].name;
    int rc = seg__ds_column(s->ds, name, strlen(name), type, SEG__ORIGIN_USER,
                            c);
    return rc ? seg__sink_wrap(s, rc, NOWHERE, 0) : SEG_OK;
}

/* The columns made in column order, as column by column makes them;
 * then the numbers, column by column, and the labels of every label
 * column in one walk. The error is that of the first column that has
 * one, as column by column: the columns after it need not be applied. */
int seg__attr_rows_apply(seg__sink *s, seg__attr_rows *d)
{
    size_t na = d->n_attr ? d->n_attr : 1;
    seg__column **col = seg__malloc(na * sizeof *col);
    label_col *lc = seg__malloc(na * sizeof *lc);
    int *type = seg__malloc(na * sizeof *type);
    if (!col || !lc || !type) {
        seg__free(col);
        seg__free(lc);
        seg__free(type);
        return seg__nomem(&s->ds->err);
    }
    size_t made = 0, stop, n = 0;
    int crc = SEG_OK, rc = SEG_OK;
    for (; made < d->n_attr; made++) {
        type[made] = type_of(s, d, made);
        if ((crc = column_for(s, made, type[made], &col[made])) != SEG_OK)
            break;
    }
    for (stop = 0; stop < made; stop++)
        if (type[stop] == SEG_COLUMN_NUMERIC &&
            (rc = apply_numbers(s, d, stop, col[stop])) != SEG_OK)
            break;
    bool shared = false; /* two attributes of one name, one column */
    for (size_t k = 0; k < stop; k++)
        if (type[k] == SEG_COLUMN_LABEL) {
            for (size_t j = 0; j < n; j++)
                shared |= lc[j].c == col[k];
            lc[n++] = (label_col){k, col[k], SEG_OK, 0};
        }
    int lrc = SEG_OK;
    if (!shared)
        lrc = apply_labels(s, d, lc, n);
    else /* each whole before the next, as column by column */
        for (size_t j = 0; j < n && !lrc; j++)
            lrc = apply_labels(s, d, &lc[j], 1);
    rc = lrc ? lrc : rc ? rc : crc;
    seg__free(col);
    seg__free(lc);
    seg__free(type);
    return rc;
}

int seg__attr_rows_restage(seg__sink *s, seg__attr_rows *d)
{
    walk w;
    walk_start(d, &w);
    for (size_t i = 0; i < d->n; i++) {
        walk_next(d, &w);
        for (size_t k = 0; k < d->n_attr; k++) {
            double v = d->val[k][i];
            if (seg__attr_is(v, SEG__ATTR_ABSENT))
                continue;
            seg__text f = field_of(d, &w, k);
            int rc = seg__sink_attr_stage(
                s, k, row_of(d, i), w.rec_line, f.p, f.n,
                seg__attr_is(v, SEG__ATTR_TEXT) ? NULL : &v);
            if (rc)
                return rc;
        }
    }
    return SEG_OK;
}
