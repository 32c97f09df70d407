/* The functions of the rule language, one table row each: per-row
 * functions of their arguments, and population statistics of a column
 * over the whole dataset. A new function is a row here (with its
 * routines), a line in docs/rules.md and a test. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rules/internal.h"

/* ---- bind routines ---- */

static int bind_numbers(const seg_rules *r, const binding *b, const node *n,
                        int *vt)
{
    for (size_t i = 0; i < n->nlist; i++)
        if (b->vt[n->list[i]->id] != VT_NUM)
            return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: %s() needs "
                              "numbers", r->name, n->line, n->col,
                              n->fn->name);
    *vt = VT_NUM;
    return SEG_OK;
}

static int bind_numeric_column(const seg_rules *r, const binding *b,
                               const node *n, int *vt)
{
    if (b->vt[n->list[0]->id] != VT_NUM)
        return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: a statistic of "
                          "the label column '%s'", r->name, n->line,
                          n->col, n->list[0]->str);
    *vt = VT_NUM;
    return SEG_OK;
}

/* ---- per-row functions ---- */

#define EACH for (size_t i = 0; i < BLOCK; i++)

static void row_abs(double (*arg)[BLOCK], size_t nargs)
{
    (void)nargs;
    double *restrict x = arg[0];
    EACH x[i] = fabs(x[i]);
}

#undef EACH

/* ---- population statistics (missing values left out) ---- */

static int stat_mean(const seg__stat_in *in, double param, double *out)
{
    (void)param;
    *out = in->sum / (double)in->k;
    return SEG_OK;
}

static int stat_sum(const seg__stat_in *in, double param, double *out)
{
    (void)param;
    *out = in->sum;
    return SEG_OK;
}

static int stat_min(const seg__stat_in *in, double param, double *out)
{
    (void)param;
    *out = in->lo;
    return SEG_OK;
}

static int stat_max(const seg__stat_in *in, double param, double *out)
{
    (void)param;
    *out = in->hi;
    return SEG_OK;
}

/* The sample standard deviation (n - 1), pandas' default: missing for
 * fewer than two values. Two passes, the second over deviations from the
 * mean, so that a large common offset costs no precision. */
static int stat_stddev(const seg__stat_in *in, double param, double *out)
{
    (void)param;
    if (in->k < 2) {
        *out = NAN;
        return SEG_OK;
    }
    double mean = in->sum / (double)in->k, ss = 0;
    for (size_t i = 0; i < in->m; i++) {
        double d = in->v[i] - mean;
        ss += in->v[i] == in->v[i] ? d * d : 0;
    }
    *out = sqrt(ss / (double)(in->k - 1));
    return SEG_OK;
}

/* The quantile at param percent: about one more pass over a large column,
 * or else a selection over a copy of its values. */
static int stat_percentile(const seg__stat_in *in, double param, double *out)
{
    double p = param / 100;
    if (seg__quantile_sampled(in->v, in->m, in->k, p, out))
        return SEG_OK;
    double *v = seg__stat_values(in);
    if (!v)
        return seg__nomem(&in->r->err);
    *out = seg__quantile_select(v, in->k, p);
    return SEG_OK;
}

static int stat_median(const seg__stat_in *in, double param, double *out)
{
    (void)param;
    return stat_percentile(in, 50, out);
}

/* p0 .. p100, with a decimal point allowed (p99.9). */
static bool match_percentile(const char *name, double *param)
{
    const char *d = name + 1;
    return name[0] == 'p' && *d && strspn(d, "0123456789.") == strlen(d) &&
           seg__parse_f64(d, strlen(d), param) == SEG_OK && *param >= 0 &&
           *param <= 100;
}

static const seg__func table[] = {
    {"abs", "abs", FN_ROW, 1, 1, NULL, bind_numbers, row_abs, NULL},
    {"mean", "mean", FN_STAT, 1, 1, NULL, bind_numeric_column, NULL,
     stat_mean},
    {"avg", "avg", FN_STAT, 1, 1, NULL, bind_numeric_column, NULL, stat_mean},
    {"median", "median", FN_STAT, 1, 1, NULL, bind_numeric_column, NULL,
     stat_median},
    {"min", "min", FN_STAT, 1, 1, NULL, bind_numeric_column, NULL, stat_min},
    {"max", "max", FN_STAT, 1, 1, NULL, bind_numeric_column, NULL, stat_max},
    {"sum", "sum", FN_STAT, 1, 1, NULL, bind_numeric_column, NULL, stat_sum},
    {"stddev", "stddev", FN_STAT, 1, 1, NULL, bind_numeric_column, NULL,
     stat_stddev},
    {"previous", "previous", FN_COLUMN, 1, 1, NULL, NULL, NULL, NULL},
    {"p", "p0..p100", FN_STAT, 1, 1, match_percentile, bind_numeric_column,
     NULL, stat_percentile},
};

#define N_FUNCS (sizeof table / sizeof *table)

int seg__func_as_column(node *n)
{
    const node *arg = n->list[0];
    size_t na = strlen(arg->str), nf = strlen(n->fn->name);
    char *s = seg__malloc(na + nf + 2);
    if (!s)
        return SEG_ENOMEM;
    memcpy(s, arg->str, na);
    s[na] = '.';
    memcpy(s + na + 1, n->fn->name, nf + 1);
    n->type = N_COL;
    n->str = s;
    n->fn = NULL;
    n->nlist = 0; /* the argument is left unbound; the list is freed */
    return SEG_OK;
}

const seg__func *seg__func_find(const char *name, double *param)
{
    *param = 0;
    for (size_t i = 0; i < N_FUNCS; i++) {
        const seg__func *f = &table[i];
        if (f->match ? f->match(name, param) : strcmp(name, f->name) == 0)
            return f;
    }
    return NULL;
}

int seg__func_unknown(parser *ps, int line, int col, const char *name)
{
    const char *cands[N_FUNCS];
    size_t n = 0;
    char list[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < N_FUNCS; i++) {
        if (!table[i].match) /* a family has no one name to suggest */
            cands[n++] = table[i].name;
        if (table[i].kind == FN_COLUMN) /* the list is of computations */
            continue;
        int w = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                         table[i].shown);
        if (w > 0 && (size_t)w < sizeof list - len)
            len += (size_t)w;
    }
    char ex[64];
    seg__excerpt(ex, sizeof ex, name, strlen(name));
    const char *near = seg__nearest(name, cands, n);
    if (near)
        return seg__perr(ps, line, col, "unknown function '%s' (did you mean "
                         "'%s'?)", ex, near);
    return seg__perr(ps, line, col, "unknown function '%s' (%s)", ex, list);
}
