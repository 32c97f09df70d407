/* The block evaluator: programs run over BLOCK rows at a time, and
 * seg_rules_apply(). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/internal.h"

/* Every operation works on a whole block of BLOCK rows, with restrict
 * pointers and a constant trip count, so that the loops vectorise at -O2.
 * Rows past the end of a column read as missing. Booleans are 0 or 1;
 * arithmetic that overflows, or divides by zero, gives missing (r - r is 0
 * only for finite r). */
#define EACH for (size_t i = 0; i < BLOCK; i++)

/* The rows of c at row0 .. row0+BLOCK-1 that exist. */
static size_t rows_in(const seg__column *c, size_t row0)
{
    return row0 >= c->n ? 0 : c->n - row0 < BLOCK ? c->n - row0 : BLOCK;
}

static void load_num(double *restrict o, const seg__column *c, size_t row0)
{
    size_t m = rows_in(c, row0);
    if (m)
        memcpy(o, c->num + row0, m * sizeof *o);
    for (size_t i = m; i < BLOCK; i++)
        o[i] = NAN;
}

static void load_lab(double *restrict o, const seg__column *c, size_t row0)
{
    size_t m = rows_in(c, row0);
    const uint32_t *restrict lab = c->lab + row0;
    if (m == BLOCK) {
        EACH o[i] = (double)lab[i];
        EACH o[i] = o[i] != 0 ? o[i] : NAN;
        return;
    }
    for (size_t i = 0; i < m; i++)
        o[i] = lab[i] ? (double)lab[i] : NAN;
    for (size_t i = m; i < BLOCK; i++)
        o[i] = NAN;
}

/* o = c op k for a constant k (NaN on either side of op: false). The
 * loops below are written as selections (c ? a : b), which gcc's -O2
 * vectoriser takes, and products of comparisons, which it does not. */
static void cmp_const(int op, double *restrict o, const double *restrict c,
                      double k)
{
    switch (op) {
    case I_EQ: EACH o[i] = c[i] == k ? 1.0 : 0.0; break;
    case I_NE: EACH o[i] = c[i] < k || c[i] > k ? 1.0 : 0.0; break;
    case I_LT: EACH o[i] = c[i] < k ? 1.0 : 0.0; break;
    case I_LE: EACH o[i] = c[i] <= k ? 1.0 : 0.0; break;
    case I_GT: EACH o[i] = c[i] > k ? 1.0 : 0.0; break;
    default:   EACH o[i] = c[i] >= k ? 1.0 : 0.0;
    }
}

/* x = x and (c op k), in one pass. */
static void and_cmp_const(int op, double *restrict x, const double *restrict c,
                          double k)
{
    switch (op) {
    case I_EQ: EACH x[i] = c[i] == k ? x[i] : 0.0; break;
    case I_NE: EACH x[i] = c[i] < k || c[i] > k ? x[i] : 0.0; break;
    case I_LT: EACH x[i] = c[i] < k ? x[i] : 0.0; break;
    case I_LE: EACH x[i] = c[i] <= k ? x[i] : 0.0; break;
    case I_GT: EACH x[i] = c[i] > k ? x[i] : 0.0; break;
    default:   EACH x[i] = c[i] >= k ? x[i] : 0.0;
    }
}

/* y = y op x. */
static void arith(int op, double *restrict y, const double *restrict x)
{
    switch (op) {
    case I_ADD: EACH { double r = y[i] + x[i]; y[i] = r - r == 0 ? r : NAN; } break;
    case I_SUB: EACH { double r = y[i] - x[i]; y[i] = r - r == 0 ? r : NAN; } break;
    case I_MUL: EACH { double r = y[i] * x[i]; y[i] = r - r == 0 ? r : NAN; } break;
    case I_DIV: EACH { double r = y[i] / x[i]; y[i] = r - r == 0 ? r : NAN; } break;
    case I_EQ: EACH y[i] = y[i] == x[i] ? 1.0 : 0.0; break;
    case I_NE: EACH y[i] = y[i] < x[i] || y[i] > x[i] ? 1.0 : 0.0; break;
    case I_LT: EACH y[i] = y[i] < x[i] ? 1.0 : 0.0; break;
    case I_LE: EACH y[i] = y[i] <= x[i] ? 1.0 : 0.0; break;
    case I_GT: EACH y[i] = y[i] > x[i] ? 1.0 : 0.0; break;
    case I_GE: EACH y[i] = y[i] >= x[i] ? 1.0 : 0.0; break;
    case I_AND: EACH y[i] = x[i] != 0 ? y[i] : 0.0; break;
    default: /* I_OR */
        EACH y[i] = x[i] != 0 ? 1.0 : y[i];
    }
}

/* Whether v is in the sorted set[0 .. n-1] (NaN is in no set). */
static double in_set(double v, const double *set, size_t n)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (set[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && set[lo] == v;
}

/* v between lo and hi (outside, with neg); false when any is missing. */
static void between(double *restrict v, const double *restrict lo,
                    const double *restrict hi, bool neg)
{
    if (!neg)
        EACH v[i] = v[i] >= lo[i] && v[i] <= hi[i] ? 1.0 : 0.0;
    else
        EACH v[i] = (v[i] < lo[i] || v[i] > hi[i]) && lo[i] == lo[i] &&
                            hi[i] == hi[i]
                        ? 1.0
                        : 0.0;
}

/* v between the constants lo and hi, in place. */
static void between_const(double *restrict v, double lo, double hi, bool neg)
{
    if (!neg)
        EACH v[i] = v[i] >= lo && v[i] <= hi ? 1.0 : 0.0;
    else if (lo != lo || hi != hi) /* a missing bound: false */
        EACH v[i] = 0;
    else
        EACH v[i] = v[i] < lo || v[i] > hi ? 1.0 : 0.0;
}

/* v (label codes, NaN when missing) in {k, k2}, in place. Missing:
 * false, whatever neg says. */
static void label_in(double *restrict v, double k, double k2, bool neg)
{
    if (!neg)
        EACH v[i] = v[i] == k || v[i] == k2 ? 1.0 : 0.0;
    else
        EACH v[i] = v[i] == v[i] && v[i] != k && v[i] != k2 ? 1.0 : 0.0;
}

/* Run a compiled condition for rows row0 .. row0+BLOCK-1; the result (1 or
 * 0) is left in st[0]. st has room for the program's depth. */
void seg__run(const prog *p, size_t row0, double (*st)[BLOCK])
{
    double tmp[BLOCK];
    int sp = 0;
    for (size_t pc = 0; pc < p->n; pc++) {
        const ins *in = &p->code[pc];
        double *x = sp ? st[sp - 1] : NULL;
        switch (in->op) {
        case I_NUM: {
            double *o = st[sp++];
            const double k = in->k;
            EACH o[i] = k;
            break;
        }
        case I_COL:
            load_num(st[sp++], in->c, row0);
            break;
        case I_LAB:
            load_lab(st[sp++], in->c, row0);
            break;
        case I_LABK: /* missing labels are NaN: never equal, never unequal */
            load_lab(tmp, in->c, row0);
            cmp_const(in->cmp, st[sp++], tmp, in->k);
            break;
        case I_LABIN:
            load_lab(st[sp], in->c, row0);
            label_in(st[sp++], in->k, in->k2, in->neg);
            break;
        case I_LABCMP: {
            double *o = st[sp++];
            EACH {
                const char *a = seg__column_label(in->c, row0 + i);
                const char *b = seg__column_label(in->c2, row0 + i);
                o[i] = a && b ? (strcmp(a, b) == 0) != in->neg : 0;
            }
            break;
        }
        case I_CMPK:
        case I_ANDK: {
            const double *c = in->c->num + row0;
            if (rows_in(in->c, row0) < BLOCK) {
                load_num(tmp, in->c, row0);
                c = tmp;
            }
            if (in->op == I_CMPK) {
                cmp_const(in->cmp, st[sp++], c, in->k);
                break;
            }
            and_cmp_const(in->cmp, x, c, in->k);
            break;
        }
        case I_NEG:
            EACH x[i] = -x[i];
            break;
        case I_NOT:
            EACH x[i] = x[i] == 0;
            break;
        case I_MISSING:
            if (in->neg)
                EACH x[i] = x[i] == x[i];
            else
                EACH x[i] = x[i] != x[i];
            break;
        case I_INSET: {
            double *o = st[sp++];
            if (in->nset <= 8) { /* short lists: a comparison each, in step */
                EACH o[i] = 0;
                for (size_t j = 0; j < in->nset; j++) {
                    const double k = in->set[j];
                    EACH o[i] = x[i] == k ? 1.0 : o[i];
                }
            } else {
                EACH o[i] = in_set(x[i], in->set, in->nset);
            }
            break;
        }
        case I_INACC: {
            double *acc = st[sp - 2];
            const double *v = st[sp - 3];
            EACH acc[i] = v[i] == x[i] ? 1.0 : acc[i];
            sp--;
            break;
        }
        case I_INEND: {
            double *v = st[sp - 2];
            if (in->neg)
                EACH v[i] = v[i] == v[i] && x[i] == 0;
            else
                EACH v[i] = x[i] != 0;
            sp--;
            break;
        }
        case I_CALL: {
            size_t k = (size_t)in->k;
            in->fn->row(st + (sp - (int)k), k);
            sp -= (int)k - 1;
            break;
        }
        case I_BETWEENK:
            between_const(x, in->k, in->k2, in->neg);
            break;
        case I_BETWEEN:
            between(st[sp - 3], st[sp - 2], st[sp - 1], in->neg);
            sp -= 2;
            break;
        default: /* binary operators: y op x into y */
            arith(in->op, st[sp - 2], x);
            sp--;
        }
    }
}

/* The rows of a block without a tier yet (0) take code where hit is 1
 * (everywhere when hit is NULL). Whether some row is still open. */
static bool take(double *restrict lab, const double *restrict hit, double code)
{
    if (hit)
        EACH lab[i] = hit[i] != 0 && lab[i] == 0 ? code : lab[i];
    else
        EACH lab[i] = lab[i] != 0 ? lab[i] : code;
    for (size_t i = 0; i < BLOCK; i++)
        if (lab[i] == 0)
            return true;
    return false;
}
#undef EACH

/* A stack for the deepest program of a binding. */
double (*seg__stack_for(const binding *b))[BLOCK]
{
    int depth = 1;
    for (size_t i = 0; i < b->nprogs; i++)
        if (b->progs[i].depth > depth)
            depth = b->progs[i].depth;
    return seg__malloc((size_t)depth * sizeof(double[BLOCK]));
}

/* Whether rule i holds for one row (explanations). */
bool seg__holds_row(const binding *b, size_t i, size_t row,
                      double (*st)[BLOCK])
{
    if (b->progs[i].n == 0)
        return true;
    seg__run(&b->progs[i], row, st);
    return st[0][0] != 0;
}

/* The capped points of a customer; per-rule contributions when asked. */
double seg__score_of(const seg_rules *r, const binding *b, size_t row,
                       double *group_sum, double (*st)[BLOCK])
{
    for (size_t g = 0; g < r->ngroups; g++)
        group_sum[g] = 0;
    double loose = 0, total = 0;
    for (size_t i = 0; i < r->nrules; i++) {
        const rule *u = &r->rules[i];
        if (u->kind != R_POINTS || !seg__holds_row(b, i, row, st))
            continue;
        if (u->group >= 0)
            group_sum[u->group] += u->points;
        else
            loose += u->points;
    }
    for (size_t g = 0; g < r->ngroups; g++)
        total += fmin(group_sum[g], r->groups[g].cap);
    total += loose;
    return fmin(total, r->total_cap);
}

/* The grade of a total: i + 1 for grades[i], 0 for none. */
static uint32_t grade_index(const seg_rules *r, double pts)
{
    uint32_t best = 0;
    for (size_t i = 0; i < r->ngrades; i++)
        if (pts >= r->grades[i].min &&
            (!best || r->grades[i].min > r->grades[best - 1].min))
            best = (uint32_t)(i + 1);
    return best;
}

/* The grades sorted by their minimum, ties latest index first, so that
 * the grade of a total is a binary search (a rule set may have many). */
typedef struct grade_key {
    double min;
    uint32_t index;
} grade_key;

static int cmp_grade_key(const void *x, const void *y)
{
    const grade_key *a = x, *b = y;
    if (a->min != b->min)
        return a->min < b->min ? -1 : 1;
    return (a->index < b->index) - (a->index > b->index);
}

static grade_key *grade_keys(const seg_rules *r, size_t *n)
{
    grade_key *k = seg__malloc((r->ngrades ? r->ngrades : 1) * sizeof *k);
    if (!k)
        return NULL;
    *n = 0;
    for (size_t i = 0; i < r->ngrades; i++)
        if (r->grades[i].min == r->grades[i].min) /* NaN: never reached */
            k[(*n)++] = (grade_key){r->grades[i].min, (uint32_t)i};
    qsort(k, *n, sizeof *k, cmp_grade_key);
    return k;
}

/* grade_index() over the sorted keys. */
static uint32_t grade_search(const grade_key *k, size_t n, double pts)
{
    size_t lo = 0, hi = n; /* the first key above pts */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pts >= k[mid].min)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo && pts >= k[lo - 1].min ? k[lo - 1].index + 1 : 0;
}

const char *seg__grade_of(const seg_rules *r, double pts)
{
    uint32_t g = grade_index(r, pts);
    return g ? r->grades[g - 1].label : NULL;
}

/* The tier (or grade) column and its .rule (or .points) column: both can
 * be put, or neither is; out of memory between the two takes the first
 * back when it is new. On success the dataset owns *labels and *num. */
static int put_outputs(const seg_rules *r, seg_dataset *ds,
                       const char *column, uint32_t **labels, double **num)
{
    int rc = SEG_OK;
    size_t ncol = strlen(column);
    char *aux = seg__malloc(ncol + sizeof ".points");
    if (aux) {
        memcpy(aux, column, ncol);
        strcpy(aux + ncol, r->score ? ".points" : ".rule");
    } else {
        rc = seg__nomem(&r->err);
    }
    size_t nn = r->score ? r->ngrades : r->nrules;
    const char **names = seg__malloc((nn ? nn : 1) * sizeof *names);
    if (!rc && !names)
        rc = seg__nomem(&r->err);
    for (size_t i = 0; i < nn && !rc; i++)
        names[i] = r->score ? r->grades[i].label : r->rules[i].label;
    /* a failure between the two writes is undone by seg_rules_apply()'s
     * dataset mark */
    if (!rc && !(rc = seg__ds_check_put(ds, column, SEG_COLUMN_LABEL)) &&
        !(rc = seg__ds_check_put(ds, aux, SEG_COLUMN_NUMERIC)) &&
        !(rc = seg__ds_put_label_codes(ds, column, names, nn, *labels))) {
        *labels = NULL;
        if (!(rc = seg__ds_put_num_column(ds, aux, SEG__ORIGIN_USER, *num)))
            *num = NULL;
    }
    seg__free(names);
    seg__free(aux);
    if (rc && rc != SEG_ENOMEM)
        seg__error(&r->err, rc, "%s", seg_dataset_errmsg(ds));
    return rc;
}

static int apply(const seg_rules *r, seg_dataset *ds, const char *column);

/* The tier and rule columns (and the score and grade columns) are written
 * together or not at all: a failure after the first leaves none. */
int seg_rules_apply(const seg_rules *r, seg_dataset *ds, const char *column)
{
    if (!r || !ds)
        return seg__error(r ? &r->err : NULL, SEG_EINVAL,
                          "seg_rules_apply: NULL argument");
    bool own = !seg__ds_is_marked(ds);
    if (own)
        seg__ds_mark(ds);
    int rc = apply(r, ds, column);
    if (own && rc)
        seg__ds_rollback(ds);
    else if (own)
        seg__ds_commit(ds);
    return rc;
}

static int apply(const seg_rules *r, seg_dataset *ds, const char *column)
{
    if (!column)
        column = seg_rules_output(r);
    binding b;
    int rc = seg__bind(r, ds, &b);
    if (rc)
        return rc;
    size_t n = seg__ds_n(ds);
    /* label codes: i + 1 for rule i's label, or for grade i */
    uint32_t *labels = seg__calloc(n ? n : 1, sizeof *labels);
    double *num = seg__malloc((n ? n : 1) * sizeof *num);
    double (*st)[BLOCK] = seg__stack_for(&b);
    /* Only groups that can add to a total are summed: those with points
     * rules (a slot each), and empty ones with a negative cap (which add
     * their cap), in the order of the groups, so that a rule set with
     * many groups costs its rules, not groups x customers. */
    const size_t ng = r->ngroups ? r->ngroups : 1;
    size_t *slot = seg__malloc(ng * sizeof *slot);
    size_t *active = seg__malloc(ng * sizeof *active);
    size_t nslots = 0, nactive = 0, ngk = 0;
    grade_key *gk = grade_keys(r, &ngk);
    if (slot && active) {
        for (size_t g = 0; g < r->ngroups; g++)
            slot[g] = SIZE_MAX;
        for (size_t i = 0; i < r->nrules; i++)
            if (r->rules[i].kind == R_POINTS && r->rules[i].group >= 0 &&
                slot[r->rules[i].group] == SIZE_MAX)
                slot[r->rules[i].group] = nslots++;
        for (size_t g = 0; g < r->ngroups; g++)
            if (slot[g] != SIZE_MAX || fmin(0, r->groups[g].cap) != 0)
                active[nactive++] = g;
    }
    double *gs = seg__malloc((nslots + 1) * BLOCK * sizeof *gs);
    if (!labels || !num || !gs || !st || !slot || !active || !gk)
        rc = seg__nomem(&r->err);
    seg__progress pr;
    if (!rc)
        rc = seg__ds_progress_begin(&pr, ds, &r->err, SEG_STAGE_RULES, n);
    for (size_t row0 = 0; row0 < n && !rc; row0 += BLOCK) {
        size_t m = n - row0 < BLOCK ? n - row0 : BLOCK;
        if ((rc = seg__progress_at(&pr, row0)) != SEG_OK)
            break;
        if (r->score) {
            /* gs: per slot (and a last one for points outside groups) */
            memset(gs, 0, (nslots + 1) * BLOCK * sizeof *gs);
            for (size_t i = 0; i < r->nrules; i++) {
                const rule *u = &r->rules[i];
                if (u->kind != R_POINTS)
                    continue;
                seg__run(&b.progs[i], row0, st);
                double *acc = gs + (u->group >= 0 ? slot[u->group] : nslots) *
                                       BLOCK;
                for (size_t j = 0; j < m; j++)
                    acc[j] += st[0][j] != 0 ? u->points : 0;
            }
            for (size_t j = 0; j < m; j++) {
                double total = gs[nslots * BLOCK + j];
                for (size_t a = 0; a < nactive; a++) {
                    const size_t g = active[a];
                    total += fmin(slot[g] != SIZE_MAX ? gs[slot[g] * BLOCK + j]
                                                      : 0.0,
                                  r->groups[g].cap);
                }
                num[row0 + j] = fmin(total, r->total_cap);
                labels[row0 + j] = grade_search(gk, ngk, num[row0 + j]);
            }
            continue;
        }
        /* first match wins: a row keeps the first rule that holds */
        double lab[BLOCK] = {0};
        for (size_t i = 0; i < r->nrules; i++) {
            if (b.progs[i].n == 0) { /* otherwise */
                take(lab, NULL, (double)(i + 1));
                break;
            }
            seg__run(&b.progs[i], row0, st);
            if (!take(lab, st[0], (double)(i + 1)))
                break;
        }
        for (size_t j = 0; j < m; j++) {
            labels[row0 + j] = (uint32_t)lab[j];
            num[row0 + j] = lab[j] != 0 ? lab[j] : NAN;
        }
    }
    seg__progress_end(&pr);
    if (!rc)
        rc = put_outputs(r, ds, column, &labels, &num);
    if (!rc)
        seg__warn_install(r, &b);
    seg__free(labels);
    seg__free(num);
    seg__free(gs);
    seg__free(gk);
    seg__free(slot);
    seg__free(active);
    seg__free(st);
    seg__unbind(&b);
    return rc;
}
