/* The migration between two snapshots: from-tier x to-tier, with the
 * customers, their revenue between the two dates and the share of the
 * from-tier. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/snapshot.h"

enum { M_FROM, M_TO, M_CUSTOMERS, M_REVENUE, M_SHARE, M_N };

/* Cells by (from, to) code, the last code (names.n + 1, "none" first
 * moved to the end) for no tier. */
typedef struct cell {
    size_t customers;
    ksum revenue;
} cell;

static int fill(seg_table *t, const seg_snapshots *s, const cell *cells,
                size_t nt)
{
    /* code 0 (no tier) is listed last */
    for (size_t a = 0; a < nt; a++) {
        size_t fa = (a + 1) % nt;
        size_t total = 0;
        for (size_t b = 0; b < nt; b++)
            total += cells[fa * nt + b].customers;
        for (size_t b = 0; b < nt; b++) {
            size_t fb = (b + 1) % nt;
            const cell *c = &cells[fa * nt + fb];
            if (!c->customers)
                continue;
            size_t row;
            int rc = seg__table_add_row(t, &row);
            if (!rc && fa)
                rc = seg__table_set_text(t, row, M_FROM,
                                         seg__intern_str(&s->names,
                                                         (uint32_t)fa - 1));
            if (!rc && fb)
                rc = seg__table_set_text(t, row, M_TO,
                                         seg__intern_str(&s->names,
                                                         (uint32_t)fb - 1));
            if (!rc)
                rc = seg__table_set_num(t, row, M_CUSTOMERS,
                                        (double)c->customers);
            if (!rc)
                rc = seg__table_set_num(t, row, M_REVENUE,
                                        ksum_value(&c->revenue));
            if (!rc)
                rc = seg__table_set_num(t, row, M_SHARE,
                                        (double)c->customers / (double)total);
            if (rc)
                return rc;
        }
    }
    return SEG_OK;
}

int seg_snapshots_transition_table(seg_table **out, const seg_snapshots *s,
                                   const seg_dataset *ds, size_t from,
                                   size_t to)
{
    if (out)
        *out = NULL;
    const seg__errbuf *err = ds ? seg__ds_err(ds) : NULL;
    if (!out || !s || !ds)
        return seg__error(err, SEG_EINVAL,
                          "seg_snapshots_transition_table: NULL argument");
    if (seg__ds_n(ds) != s->n)
        return seg__error(err, SEG_EINVAL, "migration: the dataset has "
                          "%zu customers, the snapshots %zu", seg__ds_n(ds),
                          s->n);
    if (from >= to || to >= s->n_dates)
        return seg__error(err, SEG_ERANGE, "migration: snapshots %zu to "
                          "%zu of %zu: give an earlier then a later one",
                          from + 1, to + 1, s->n_dates);
    if (seg__ds_need_records(ds, err, "migration"))
        return SEG_EMISUSE;
    size_t n = s->n, nt = s->names.n + 1;
    cell *cells = seg__calloc(nt * nt, sizeof *cells);
    ksum *rev = seg__calloc(n ? n : 1, sizeof *rev);
    if (!cells || !rev) {
        seg__free(cells);
        seg__free(rev);
        return seg__nomem(err);
    }
    seg__tx_view tx = seg__ds_tx(ds);
    int64_t t0 = s->dates[from], t1 = s->dates[to];
    for (size_t i = 0; i < tx.n; i++)
        if (tx.time[i] > t0 && tx.time[i] <= t1)
            ksum_add(&rev[tx.cust[i]], tx.amount[i]);
    const uint32_t *a = s->tier + from * n, *b = s->tier + to * n;
    for (size_t c = 0; c < n; c++) {
        cell *x = &cells[(size_t)a[c] * nt + b[c]];
        x->customers++;
        ksum_add(&x->revenue, ksum_value(&rev[c]));
    }
    seg__free(rev);
    static const char *const names[M_N] = {"from", "to", "customers",
                                           "revenue", "share"};
    static const int types[M_N] = {SEG_COLUMN_LABEL, SEG_COLUMN_LABEL,
                                   SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC,
                                   SEG_COLUMN_NUMERIC};
    seg_table *t = NULL;
    int rc = seg__table_new(&t, "migration", M_N, names, types);
    if (!rc)
        rc = fill(t, s, cells, nt);
    seg__free(cells);
    if (rc) {
        seg_table_free(t);
        return seg__nomem(err);
    }
    *out = t;
    return SEG_OK;
}
