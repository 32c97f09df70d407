/* The values of an attribute file (a summary, features) by column, as the
 * threaded loader reads them: one number a value, parsed once on the
 * thread that split its line, and no copy of any text. A column whose
 * values are all numbers becomes, in the usual case of a fresh dataset,
 * the very array they were parsed into; the text of a label, or of a
 * value an error quotes, is found again in its line, which stays in
 * memory until the load ends. */
#include <string.h>

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

static int apply_labels(seg__sink *s, const seg__attr_rows *d, size_t k,
                        seg__column *c)
{
    const seg__attr_stage *a = &s->attrs[k];
    walk w;
    walk_start(d, &w);
    for (size_t i = 0; i < d->n; i++) {
        walk_next(d, &w);
        if (seg__attr_is(d->val[k][i], SEG__ATTR_ABSENT))
            continue;
        seg__text f = field_of(d, &w, k);
        if (!seg__utf8_valid(f.p, f.n))
            return seg__sink_attr_bad_text(s, a, w.rec_line);
        int rc = seg__ds_set_label(s->ds, c, row_of(d, i), f.p, f.n);
        if (rc)
            return seg__sink_wrap(s, rc, w.rec_line, a->col + 1);
    }
    return SEG_OK;
}

int seg__attr_rows_apply(seg__sink *s, seg__attr_rows *d)
{
    seg_dataset *ds = s->ds;
    for (size_t k = 0; k < d->n_attr; k++) {
        const char *name = s->attrs[k].name;
        const seg__column *existing = seg__ds_find_column(ds, name);
        int type = existing ? existing->type
                   : d->mixed[k] ? SEG_COLUMN_LABEL : SEG_COLUMN_NUMERIC;
        seg__column *c;
        int rc = seg__ds_column(ds, name, strlen(name), type,
                                SEG__ORIGIN_USER, &c);
        if (rc)
            return seg__sink_wrap(s, rc, NOWHERE, 0);
        rc = type == SEG_COLUMN_NUMERIC ? apply_numbers(s, d, k, c)
                                        : apply_labels(s, d, k, c);
        if (rc)
            return rc;
    }
    return SEG_OK;
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
