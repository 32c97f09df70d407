/* The transactions by customer: the counting sort that features.c uses
 * for a log not grouped by customer, and the groups a snapshot run builds
 * once, each customer's in time order, so that the features of each date
 * read them in order instead of grouping and sorting again. */
#include <stdlib.h>
#include <string.h>

#include "dataset/struct.h"

/* By time, then amount: a canonical order, so that sums (and so features)
 * do not depend on the order the records arrived in. */
int seg__cmp_tx(const void *a, const void *b)
{
    const seg__txrec *x = a, *y = b;
    if (x->t != y->t)
        return (x->t > y->t) - (x->t < y->t);
    return (x->amount > y->amount) - (x->amount < y->amount);
}

/* Group the transactions of a dataset whose transactions are not grouped
 * by customer: a stable counting sort, giving where each customer's
 * transactions start in perm (start has a last entry for the end). */
int seg__ds_group_by_customer(const seg_dataset *ds, size_t **start_out,
                              uint32_t **perm_out)
{
    size_t nc = ds->ids.n, nt = ds->n_tx;
    size_t *start = seg__calloc(nc + 1, sizeof *start);
    uint32_t *perm = seg__malloc((nt ? nt : 1) * sizeof *perm);
    if (!start || !perm) {
        seg__free(start);
        seg__free(perm);
        return SEG_ENOMEM;
    }
    /* start[c + 1] counts, then is where customer c's next record goes
     * (no array of its own for that: the features' peak of memory is
     * here), and ends as where customer c + 1's begin */
    for (size_t i = 0; i < nt; i++)
        start[ds->tx_cust[i] + 1]++;
    size_t at = 0;
    for (size_t c = 1; c <= nc; c++) {
        size_t n = start[c];
        start[c] = at;
        at += n;
    }
    for (size_t i = 0; i < nt; i++)
        perm[start[ds->tx_cust[i] + 1]++] = (uint32_t)i;
    *start_out = start;
    *perm_out = perm;
    return SEG_OK;
}

void seg__tx_groups_free(seg__tx_groups *g)
{
    if (!g)
        return;
    seg__free(g->start);
    seg__free(g->time);
    seg__free(g->amount);
    seg__free(g);
}

/* One customer's slice in the canonical order of seg__cmp_tx. */
static int sort_slice(int64_t *tt, double *am, size_t n, seg__txrec **scratch,
                      size_t *cap)
{
    bool sorted = true;
    for (size_t k = 1; k < n && sorted; k++)
        sorted = tt[k] > tt[k - 1] ||
                 (tt[k] == tt[k - 1] && am[k] >= am[k - 1]);
    if (sorted)
        return SEG_OK;
    if (seg__grow((void **)scratch, cap, n, sizeof **scratch))
        return SEG_ENOMEM;
    for (size_t k = 0; k < n; k++)
        (*scratch)[k] = (seg__txrec){tt[k], am[k]};
    qsort(*scratch, n, sizeof **scratch, seg__cmp_tx);
    for (size_t k = 0; k < n; k++) {
        tt[k] = (*scratch)[k].t;
        am[k] = (*scratch)[k].amount;
    }
    return SEG_OK;
}

int seg__ds_tx_groups(const seg_dataset *ds, seg__tx_groups **out)
{
    *out = NULL;
    if (seg__ds_need_records(ds, &ds->err, "grouping by customer"))
        return SEG_EMISUSE;
    if (ds->n_tx > UINT32_MAX)
        return seg__error(&ds->err, SEG_ELIMIT,
                          "features support at most 2^32-1 transactions");
    seg__tx_groups *g = seg__calloc(1, sizeof *g);
    size_t nt = ds->n_tx, nc = ds->ids.n;
    uint32_t *perm = NULL;
    int rc = g ? SEG_OK : SEG_ENOMEM;
    if (!rc && !ds->tx_grouped) {
        rc = seg__ds_group_by_customer(ds, &g->start, &perm);
    } else if (!rc && (g->start = seg__calloc(nc + 1, sizeof *g->start))) {
        for (size_t i = 0; i < nt; i++)
            g->start[ds->tx_cust[i] + 1]++;
        for (size_t c = 1; c <= nc; c++)
            g->start[c] += g->start[c - 1];
    } else if (!rc) {
        rc = SEG_ENOMEM;
    }
    if (!rc) {
        g->n_tx = nt;
        g->time = seg__malloc((nt ? nt : 1) * sizeof *g->time);
        g->amount = seg__malloc((nt ? nt : 1) * sizeof *g->amount);
        rc = g->time && g->amount ? SEG_OK : SEG_ENOMEM;
    }
    for (size_t i = 0; i < nt && !rc; i++) {
        size_t ix = perm ? perm[i] : i;
        g->time[i] = ds->tx_time[ix];
        g->amount[i] = ds->tx_amount[ix];
    }
    seg__free(perm);
    seg__txrec *scratch = NULL;
    size_t cap = 0;
    for (size_t c = 0; c < nc && !rc; c++)
        rc = sort_slice(g->time + g->start[c], g->amount + g->start[c],
                        g->start[c + 1] - g->start[c], &scratch, &cap);
    seg__free(scratch);
    if (rc) {
        seg__tx_groups_free(g);
        return seg__nomem(&ds->err);
    }
    *out = g;
    return SEG_OK;
}

