/* Binding a rule set to a dataset: columns resolved, types checked,
 * population statistics computed; then the conditions are compiled. */
#include <math.h>
#include <string.h>

#include "rules/internal.h"

void seg__unbind(binding *b)
{
    seg__free(b->cache_v);
    seg__free(b->col);
    seg__free(b->stat);
    seg__free(b->vt);
    seg__free(b->uk);
    seg__warn_free(b->warn, b->nwarn);
    for (size_t i = 0; i < b->nprogs; i++) {
        for (size_t k = 0; k < b->progs[i].n; k++)
            seg__free(b->progs[i].code[k].set);
        seg__free(b->progs[i].code);
    }
    seg__free(b->progs);
}

/* A statistic of a column's values, missing ones left out. One pass
 * gives the count, sum and extremes, which the statistics of one column
 * share; a quantile takes about one more, or else a selection over a copy
 * of the values, which the quantiles of one column share too (a selection
 * only reorders them). */
static int statistic(const seg_rules *r, const seg_dataset *ds, binding *b,
                     const node *n, double *out)
{
    const seg__column *c = b->col[n->list[0]->id];
    size_t rows = seg__ds_n(ds), m = rows < c->n ? rows : c->n;
    const double *col = c->num; /* rows past m are missing */
    if (b->sum_col != c) {
        size_t k = 0;
        double s = 0, lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < m; i++) {
            double x = col[i];
            bool f = x == x;
            k += f;
            s += f ? x : 0;
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
        }
        b->sum_col = c;
        b->sum_k = k;
        b->sum_s = s;
        b->sum_lo = lo;
        b->sum_hi = hi;
    }
    *out = NAN;
    if (b->sum_k == 0)
        return SEG_OK;
    seg__stat_in in = {r, b, c, col, m, b->sum_k, b->sum_s, b->sum_lo,
                       b->sum_hi};
    return n->fn->stat(&in, n->num, out);
}

double *seg__stat_values(const seg__stat_in *in)
{
    binding *b = in->b;
    if (b->cache_col == in->c)
        return b->cache_v;
    seg__free(b->cache_v);
    b->cache_col = NULL;
    if (!(b->cache_v = seg__malloc(in->k * sizeof *b->cache_v)))
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < in->m; i++)
        if (in->v[i] == in->v[i])
            b->cache_v[j++] = in->v[i];
    b->cache_col = in->c;
    return b->cache_v;
}

bool seg__is_chain(const node *n)
{
    return n && (n->type == N_ARITH || n->type == N_AND || n->type == N_OR);
}

int seg__spine_push(seg__spine *s, const node *n)
{
    if (seg__grow((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v))
        return SEG_ENOMEM;
    s->v[s->n++] = n;
    return SEG_OK;
}

/* An unknown column, with the nearest known name. Apart from check_node,
 * so that the list of candidates is on the heap, not on every level of
 * the walk. */
static int unknown_column(const seg_rules *r, const seg_dataset *ds,
                          const node *n)
{
    size_t nc = seg__ds_n_columns(ds);
    const char **cands = seg__malloc((nc ? nc : 1) * sizeof *cands);
    if (!cands)
        return seg__nomem(&r->err);
    for (size_t i = 0; i < nc; i++)
        cands[i] = seg__ds_column_at(ds, i)->name;
    const char *near = seg__nearest(n->str, cands, nc);
    char ex[64];
    seg__excerpt(ex, sizeof ex, n->str, strlen(n->str));
    int rc;
    if (near)
        rc = seg__error(&r->err, SEG_ENOTFOUND, "%s:%d:%d: unknown column "
                        "'%s' (did you mean '%s'?)", r->name, n->line, n->col,
                        ex, near);
    else
        rc = seg__error(&r->err, SEG_ENOTFOUND, "%s:%d:%d: unknown column "
                        "'%s'", r->name, n->line, n->col, ex);
    seg__free(cands);
    return rc;
}

/* Type-check n, whose operands are bound. */
static int check_node(const seg_rules *r, const seg_dataset *ds, binding *b,
                      const node *n)
{
    int rc = SEG_OK;
    int *vt = &b->vt[n->id];
    switch (n->type) {
    case N_NUM:
        *vt = VT_NUM;
        break;
    case N_STR:
        *vt = VT_STR;
        break;
    case N_BOOL:
        *vt = VT_BOOL;
        break;
    case N_ASOF:
        *vt = VT_NUM;
        break;
    case N_WITHIN:
        if (b->vt[n->a->id] != VT_NUM)
            return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: 'within' needs "
                              "a timestamp, not a label", r->name, n->line,
                              n->col);
        *vt = VT_BOOL;
        break;
    case N_COL: {
        const seg__column *c = seg__ds_find_column(ds, n->str);
        if (!c)
            return unknown_column(r, ds, n);
        b->col[n->id] = c;
        *vt = c->type == SEG_COLUMN_NUMERIC ? VT_NUM : VT_STR;
        break;
    }
    case N_STAT:
    case N_CALL:
        rc = n->fn->bind(r, b, n, vt);
        if (!rc && n->type == N_STAT)
            rc = statistic(r, ds, b, n, &b->stat[n->id]);
        break;
    case N_NEG:
    case N_ARITH:
        if (b->vt[n->a->id] != VT_NUM || (n->b && b->vt[n->b->id] != VT_NUM))
            return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: arithmetic needs "
                              "numbers", r->name, n->line, n->col);
        *vt = VT_NUM;
        break;
    case N_CMP: {
        int ta = b->vt[n->a->id], tb = b->vt[n->b->id];
        if (ta != tb || ta == VT_BOOL)
            return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: compares %s with "
                              "%s", r->name, n->line, n->col,
                              ta == VT_STR ? "a label" : ta == VT_NUM ? "a number" : "a condition",
                              tb == VT_STR ? "a label" : tb == VT_NUM ? "a number" : "a condition");
        if (ta == VT_STR && n->op != OP_EQ && n->op != OP_NE)
            return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: labels compare "
                              "only with = and !=", r->name, n->line, n->col);
        *vt = VT_BOOL;
        break;
    }
    case N_IN:
        if (n->b && (n->a->type != N_STR || n->b->type != N_COL ||
                     b->vt[n->b->id] != VT_STR))
            return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: 'in' a column "
                              "needs a quoted label on its left and a label "
                              "column on its right (\"home\" in "
                              "interest.top3)", r->name, n->line, n->col);
        for (size_t i = 0; i < n->nlist; i++)
            if (b->vt[n->list[i]->id] != b->vt[n->a->id])
                return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: the list "
                                  "mixes labels and numbers", r->name,
                                  n->line, n->col);
        *vt = VT_BOOL;
        break;
    case N_BETWEEN:
        if (b->vt[n->a->id] != VT_NUM || b->vt[n->b->id] != VT_NUM ||
            b->vt[n->c->id] != VT_NUM)
            return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: between needs "
                              "numbers", r->name, n->line, n->col);
        *vt = VT_BOOL;
        break;
    case N_MISSING:
        *vt = VT_BOOL;
        break;
    default: /* and, or, not */
        if (b->vt[n->a->id] != VT_BOOL || (n->b && b->vt[n->b->id] != VT_BOOL))
            return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: 'and', 'or' and "
                              "'not' need conditions", r->name, n->line,
                              n->col);
        *vt = VT_BOOL;
    }
    return rc ? rc : seg__units_check(r, b, n);
}

/* Bind the tree at n, operands first, in the order they are written. */
static int bind_node(const seg_rules *r, const seg_dataset *ds, binding *b,
                     seg__spine *s, const node *n)
{
    if (!n)
        return SEG_OK;
    size_t base = s->n;
    int rc = SEG_OK;
    for (; seg__is_chain(n) && !rc; n = n->a)
        rc = seg__spine_push(s, n);
    if (rc) {
        s->n = base;
        return seg__nomem(&r->err);
    }
    rc = bind_node(r, ds, b, s, n->a);
    if (!rc)
        rc = bind_node(r, ds, b, s, n->b);
    if (!rc)
        rc = bind_node(r, ds, b, s, n->c);
    for (size_t i = 0; i < n->nlist && !rc; i++)
        rc = bind_node(r, ds, b, s, n->list[i]);
    if (!rc)
        rc = check_node(r, ds, b, n);
    while (s->n > base) {
        const node *c = s->v[--s->n];
        if (!rc)
            rc = bind_node(r, ds, b, s, c->b);
        if (!rc)
            rc = check_node(r, ds, b, c);
    }
    return rc;
}

int seg__bind(const seg_rules *r, const seg_dataset *ds, binding *b)
{
    memset(b, 0, sizeof *b);
    size_t nn = r->nnodes ? r->nnodes : 1;
    b->col = seg__calloc(nn, sizeof *b->col);
    b->stat = seg__calloc(nn, sizeof *b->stat);
    b->vt = seg__calloc(nn, sizeof *b->vt);
    b->uk = seg__calloc(nn, sizeof *b->uk);
    b->as_of = seg__ds_features_end(ds);
    b->tz = seg__ds_tz(ds);
    if (!b->col || !b->stat || !b->vt || !b->uk) {
        seg__unbind(b);
        return seg__nomem(&r->err);
    }
    seg__spine spine = {NULL, 0, 0};
    for (size_t i = 0; i < r->nrules; i++) {
        rule *u = &r->rules[i];
        int rc = bind_node(r, ds, b, &spine, u->cond);
        if (!rc && u->cond && b->vt[u->cond->id] != VT_BOOL)
            rc = seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: the condition is "
                            "not true or false (compare it with something)",
                            r->name, u->cond->line, u->cond->col);
        if (rc) {
            seg__free(spine.v);
            seg__unbind(b);
            return rc;
        }
    }
    seg__free(spine.v);
    int rc = seg__warn_collect(r, b);
    if (rc) {
        seg__unbind(b);
        return rc;
    }
    return seg__compile_all(r, b);
}
