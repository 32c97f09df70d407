/* Conditions compiled to postfix programs over blocks of rows, with the
 * common comparisons fused into single instructions. */
#include <stdlib.h>
#include <string.h>

#include "rules/internal.h"

static int emit_ins(prog *p, int op, double k, const seg__column *c,
                    const seg__column *c2, bool neg, int *depth, int delta)
{
    if (seg__grow((void **)&p->code, &p->cap, p->n + 1, sizeof *p->code))
        return SEG_ENOMEM;
    ins *i = &p->code[p->n++];
    memset(i, 0, sizeof *i);
    i->op = op;
    i->k = k;
    i->c = c;
    i->c2 = c2;
    i->neg = neg;
    *depth += delta;
    if (*depth > p->depth)
        p->depth = *depth;
    return SEG_OK;
}

/* The code of a label in a column, +1; -1 when the column never has it (so
 * that it equals nothing). */
static double label_code(const seg__column *c, const char *s)
{
    uint32_t k;
    return seg__intern_find(&c->labels, s, strlen(s), &k) ? (double)k + 1 : -1;
}

bool seg__list_has(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list;;) {
        const char *e = strchr(p, LIST_SEP);
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && memcmp(p, item, n) == 0)
            return true;
        if (!e)
            return false;
        p = e + 1;
    }
}

static int compile(const binding *b, const node *n, prog *p, int *d,
                   seg__spine *s);

/* v, then whether it is one of set[0 .. nset-1] (sorted, owned by the
 * instruction from here on, freed here on failure). */
static int compile_set(const binding *b, const node *v, double *set,
                       size_t nset, prog *p, int *d, seg__spine *s)
{
    int rc = compile(b, v, p, d, s);
    if (!rc)
        rc = emit_ins(p, I_INSET, 0, NULL, NULL, false, d, 1);
    if (rc) {
        seg__free(set);
        return rc;
    }
    p->code[p->n - 1].set = set;
    p->code[p->n - 1].nset = nset;
    return SEG_OK;
}

/* "x" in a list-valued column: whether its code is one of the codes of
 * the labels that have x as an item. */
static int compile_member(const binding *b, const node *n, prog *p, int *d,
                          seg__spine *s)
{
    const seg__column *c = b->col[n->b->id];
    size_t nl = c->labels.n;
    double *set = seg__malloc((nl ? nl : 1) * sizeof *set);
    if (!set)
        return SEG_ENOMEM;
    size_t nset = 0;
    for (size_t i = 0; i < nl; i++)
        if (seg__list_has(seg__intern_str(&c->labels, (uint32_t)i), n->a->str))
            set[nset++] = (double)i + 1; /* ascending: already sorted */
    int rc = compile_set(b, n->b, set, nset, p, d, s);
    return rc ? rc : emit_ins(p, I_INEND, 0, NULL, NULL, n->neg, d, -1);
}

/* The column a label operand reads, or NULL for a string literal. */
static const seg__column *label_col(const binding *b, const node *n)
{
    return n->type == N_COL ? b->col[n->id] : NULL;
}

static int compile(const binding *b, const node *n, prog *p, int *d,
                   seg__spine *s);

/* Whether n is a constant once bound: a literal (its value in the unit
 * it met), a statistic or the analysis date; its value is b->stat. */
static bool is_const(const node *n)
{
    return n->type == N_NUM || n->type == N_STAT || n->type == N_ASOF;
}

/* Whether n compares a numeric column with a constant. */
static bool col_vs_const(const binding *b, const node *n)
{
    return n->type == N_CMP && b->vt[n->a->id] == VT_NUM &&
           n->a->type == N_COL && is_const(n->b);
}

/* Such a comparison as one instruction; with and, it is 'and'-ed into the
 * top of the stack. */
static int emit_col_vs_const(const binding *b, const node *n, prog *p, int *d,
                             bool and)
{
    static const int ops[] = {I_EQ, I_NE, I_LT, I_LE, I_GT, I_GE};
    double k = b->stat[n->b->id];
    int rc = emit_ins(p, and ? I_ANDK : I_CMPK, k, b->col[n->a->id], NULL,
                      false, d, and ? 0 : 1);
    if (!rc)
        p->code[p->n - 1].cmp = ops[n->op];
    return rc;
}

/* Compile a label operand of a comparison with the other operand: a string
 * literal becomes the code it has in the other side's column. */
static int compile_label(const binding *b, const node *n, const node *other,
                         prog *p, int *d)
{
    if (n->type == N_COL)
        return emit_ins(p, I_LAB, 0, b->col[n->id], NULL, false, d, 1);
    const seg__column *oc = label_col(b, other);
    double code = oc ? label_code(oc, n->str) : -1;
    return emit_ins(p, I_NUM, code, NULL, NULL, false, d, 1);
}

/* A comparison: of labels, by their codes or their texts; of numbers. */
static int compile_cmp(const binding *b, const node *n, prog *p, int *d,
                       seg__spine *s)
{
    int rc;
    if (b->vt[n->a->id] == VT_STR) {
        const seg__column *ca = label_col(b, n->a), *cb = label_col(b, n->b);
        if (ca && cb && ca != cb) /* two label columns: compare text */
            return emit_ins(p, I_LABCMP, 0, ca, cb, n->op == OP_NE, d, 1);
        if (!ca && !cb) { /* two literals */
            bool eq = strcmp(n->a->str, n->b->str) == 0;
            return emit_ins(p, I_NUM, (n->op == OP_EQ) == eq, NULL, NULL,
                            false, d, 1);
        }
        if (ca || cb) { /* a column and a label: one instruction */
            const seg__column *c = ca ? ca : cb;
            const node *lit = ca ? n->b : n->a;
            rc = emit_ins(p, I_LABK, label_code(c, lit->str), c, NULL,
                          false, d, 1);
            if (!rc)
                p->code[p->n - 1].cmp = n->op == OP_EQ ? I_EQ : I_NE;
            return rc;
        }
        rc = compile_label(b, n->a, n->b, p, d);
        if (!rc)
            rc = compile_label(b, n->b, n->a, p, d);
    } else {
        if (col_vs_const(b, n))
            return emit_col_vs_const(b, n, p, d, false);
        rc = compile(b, n->a, p, d, s);
        if (!rc)
            rc = compile(b, n->b, p, d, s);
    }
    static const int cmp_op[] = {I_EQ, I_NE, I_LT, I_LE, I_GT, I_GE};
    return rc ? rc : emit_ins(p, cmp_op[n->op], 0, NULL, NULL, false, d, -1);
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The value of a list item known when compiling, into *v: a number, a
 * statistic, or a label (its code in the column of other). */
static bool constant_item(const binding *b, const node *n, const node *other,
                          double *v)
{
    if (is_const(n)) {
        *v = b->stat[n->id];
        return true;
    }
    if (n->type == N_STR) {
        const seg__column *oc = label_col(b, other);
        *v = oc ? label_code(oc, n->str) : -1;
        return true;
    }
    return false;
}

/* v in (...): the constants of the list sorted once, so that a row costs
 * a binary search, not the length of the list (lists come from untrusted
 * text and may be long); the other items are compared one at a time, so
 * the list adds at most two blocks to the stack. */
static int compile_in(const binding *b, const node *n, prog *p, int *d,
                      seg__spine *s)
{
    bool labels = b->vt[n->a->id] == VT_STR;
    double *set = seg__malloc((n->nlist ? n->nlist : 1) * sizeof *set);
    if (!set)
        return SEG_ENOMEM;
    size_t nset = 0;
    for (size_t i = 0; i < n->nlist; i++) {
        double v;
        if (constant_item(b, n->list[i], n->a, &v) && v == v)
            set[nset++] = v;
    }
    qsort(set, nset, sizeof *set, cmp_double);
    size_t u = 0; /* duplicates out */
    for (size_t i = 0; i < nset; i++)
        if (!u || set[i] != set[u - 1])
            set[u++] = set[i];
    int rc = compile_set(b, n->a, set, u, p, d, s);
    for (size_t i = 0; i < n->nlist && !rc; i++) {
        double v;
        if (constant_item(b, n->list[i], n->a, &v))
            continue;
        rc = labels ? compile_label(b, n->list[i], n->a, p, d)
                    : compile(b, n->list[i], p, d, s);
        if (!rc)
            rc = emit_ins(p, I_INACC, 0, NULL, NULL, false, d, -1);
    }
    return rc ? rc : emit_ins(p, I_INEND, 0, NULL, NULL, n->neg, d, -1);
}

/* Whether n is compiled left operand first, then its right operand (or a
 * fused comparison) and one instruction: what continues a left spine. */
static bool left_first(const binding *b, const node *n)
{
    if (!seg__is_chain(n))
        return false;
    return n->type != N_AND || !col_vs_const(b, n->a) || col_vs_const(b, n->b);
}

/* What follows the left operand of a node that left_first() accepts. */
static int compile_right(const binding *b, const node *n, prog *p, int *d,
                         seg__spine *s)
{
    if (n->type == N_AND && col_vs_const(b, n->b))
        return emit_col_vs_const(b, n->b, p, d, true);
    int rc = compile(b, n->b, p, d, s);
    if (rc)
        return rc;
    int op = n->type == N_AND ? I_AND : n->type == N_OR ? I_OR
             : n->op == '+' ? I_ADD : n->op == '-' ? I_SUB
             : n->op == '*' ? I_MUL : I_DIV;
    return emit_ins(p, op, 0, NULL, NULL, false, d, -1);
}

static int compile_one(const binding *b, const node *n, prog *p, int *d,
                       seg__spine *s);

static int compile(const binding *b, const node *n, prog *p, int *d,
                   seg__spine *s)
{
    size_t base = s->n;
    int rc = SEG_OK;
    for (; left_first(b, n) && !rc; n = n->a)
        rc = seg__spine_push(s, n);
    if (!rc)
        rc = compile_one(b, n, p, d, s);
    while (s->n > base) {
        const node *c = s->v[--s->n];
        if (!rc)
            rc = compile_right(b, c, p, d, s);
    }
    return rc;
}

static int compile_one(const binding *b, const node *n, prog *p, int *d,
                       seg__spine *s)
{
    int rc = SEG_OK;
    switch (n->type) {
    case N_BOOL:
        return emit_ins(p, I_NUM, n->num, NULL, NULL, false, d, 1);
    case N_NUM:
    case N_STAT:
    case N_ASOF:
        return emit_ins(p, I_NUM, b->stat[n->id], NULL, NULL, false, d, 1);
    case N_WITHIN: /* from the bound the binder gave the literal to as_of */
        rc = compile(b, n->a, p, d, s);
        if (!rc)
            rc = emit_ins(p, I_BETWEENK, b->stat[n->b->id], NULL, NULL,
                          n->neg, d, 0);
        if (!rc)
            p->code[p->n - 1].k2 = (double)b->as_of;
        return rc;
    case N_COL:
        return emit_ins(p, b->vt[n->id] == VT_NUM ? I_COL : I_LAB, 0,
                        b->col[n->id], NULL, false, d, 1);
    case N_STR: /* a label not compared with a column: never equal */
        return emit_ins(p, I_NUM, -1, NULL, NULL, false, d, 1);
    case N_CALL:
        for (size_t i = 0; i < n->nlist && !rc; i++)
            rc = compile(b, n->list[i], p, d, s);
        if (!rc)
            rc = emit_ins(p, I_CALL, (double)n->nlist, NULL, NULL, false, d,
                          1 - (int)n->nlist);
        if (!rc)
            p->code[p->n - 1].fn = n->fn;
        return rc;
    case N_NEG:
        rc = compile(b, n->a, p, d, s);
        return rc ? rc : emit_ins(p, I_NEG, 0, NULL, NULL, false, d, 0);
    case N_CMP:
        return compile_cmp(b, n, p, d, s);
    case N_IN:
        if (n->b)
            return compile_member(b, n, p, d, s);
        if (b->vt[n->a->id] == VT_STR && n->a->type == N_COL &&
            n->nlist <= 2 && n->list[0]->type == N_STR &&
            n->list[n->nlist - 1]->type == N_STR) {
            const seg__column *c = b->col[n->a->id];
            rc = emit_ins(p, I_LABIN, label_code(c, n->list[0]->str), c, NULL,
                          n->neg, d, 1);
            if (!rc) /* one label: the same code twice */
                p->code[p->n - 1].k2 =
                    label_code(c, n->list[n->nlist - 1]->str);
            return rc;
        }
        return compile_in(b, n, p, d, s);
    case N_BETWEEN:
        rc = compile(b, n->a, p, d, s);
        if (!rc && is_const(n->b) && is_const(n->c)) {
            rc = emit_ins(p, I_BETWEENK, b->stat[n->b->id], NULL, NULL,
                          n->neg, d, 0);
            if (!rc)
                p->code[p->n - 1].k2 = b->stat[n->c->id];
            return rc;
        }
        if (!rc)
            rc = compile(b, n->b, p, d, s);
        if (!rc)
            rc = compile(b, n->c, p, d, s);
        return rc ? rc : emit_ins(p, I_BETWEEN, 0, NULL, NULL, n->neg, d, -2);
    case N_MISSING:
        rc = compile(b, n->a, p, d, s);
        return rc ? rc : emit_ins(p, I_MISSING, 0, NULL, NULL, n->neg, d, 0);
    case N_NOT:
        rc = compile(b, n->a, p, d, s);
        return rc ? rc : emit_ins(p, I_NOT, 0, NULL, NULL, false, d, 0);
    default: /* 'and' fused with its left operand (compile() takes the rest) */
        if (n->type == N_AND && (col_vs_const(b, n->a) || col_vs_const(b, n->b))) {
            /* both sides are always computed, so their order is free */
            const node *k = col_vs_const(b, n->b) ? n->b : n->a;
            rc = compile(b, k == n->b ? n->a : n->b, p, d, s);
            return rc ? rc : emit_col_vs_const(b, k, p, d, true);
        }
        rc = compile(b, n->a, p, d, s);
        if (!rc)
            rc = compile(b, n->b, p, d, s);
        return rc ? rc : emit_ins(p, n->type == N_AND ? I_AND : I_OR, 0, NULL,
                                  NULL, false, d, -1);
    }
}

int seg__compile_all(const seg_rules *r, binding *b)
{
    b->progs = seg__calloc(r->nrules ? r->nrules : 1, sizeof *b->progs);
    if (!b->progs) {
        seg__unbind(b);
        return seg__nomem(&r->err);
    }
    b->nprogs = r->nrules;
    seg__spine spine = {NULL, 0, 0};
    for (size_t i = 0; i < r->nrules; i++) {
        int d = 0;
        if (r->rules[i].cond &&
            compile(b, r->rules[i].cond, &b->progs[i], &d, &spine) != SEG_OK) {
            seg__free(spine.v);
            seg__unbind(b);
            return seg__nomem(&r->err);
        }
    }
    seg__free(spine.v);
    return SEG_OK;
}
