/* Units in the rule language. A duration literal (30d, 12w, 6mo) is
 * written in days by the lexer and takes the unit of what it meets: days
 * or weeks for a duration column of that kind, seconds for a timestamp;
 * a date takes the first or the last second of its local day, whichever
 * bound of the day the comparison needs. What cannot have a unit of time
 * (a count, an amount) meeting one is an error at its place. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rules/internal.h"

/* The unit of a node. U_NONE is a column whose unit nothing says (a
 * host's column, an attribute, a model's output): a duration meets it in
 * days and a date as epoch seconds, as in 0.1. */
enum { U_NUM, U_NONE, U_PLAIN, U_DAYS, U_WEEKS, U_TS, U_DUR, U_DATE };

static const char *unit_name(int u)
{
    static const char *const names[] = {
        "a number", "a number", "a number without a unit of time",
        "a duration in days", "a duration in weeks", "a timestamp",
        "a duration", "a date"};
    return names[u];
}

static int column_unit(const seg__column *c)
{
    switch (c->kind) {
    case SEG_KIND_TIMESTAMP: return U_TS;
    case SEG_KIND_DAYS: return U_DAYS;
    case SEG_KIND_WEEKS: return U_WEEKS;
    case SEG_KIND_COUNT:
    case SEG_KIND_AMOUNT: return U_PLAIN;
    default: return U_NONE;
    }
}

/* What an operand is, for a message: a column by name and kind. */
static const char *what(const binding *b, const node *n, char *buf,
                        size_t len)
{
    if (n->type == N_COL) {
        const seg__column *c = b->col[n->id];
        snprintf(buf, len, "'%.60s' (%s)", n->str,
                 seg_column_kind_name(c->kind) ? seg_column_kind_name(c->kind)
                                               : "none");
        return buf;
    }
    return unit_name(b->uk[n->id]);
}

static int unit_error(const seg_rules *r, const node *at, const char *msg,
                      const char *x, const char *y)
{
    return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: %s %s with %s",
                      r->name, at->line, at->col, msg, x, y);
}

/* The first or last second of the local day of a date literal. */
static double day_bound(const binding *b, const node *n, bool end)
{
    int64_t d = (int64_t)floor(n->num / 86400);
    if (end)
        d++;
    int64_t t = b->tz ? seg__tz_day_start(b->tz, d) : d * 86400;
    return (double)(end ? t - 1 : t);
}

/* Give every duration literal under n the unit of which `per_day` make a
 * day (a week: 1/7, divided by 7 as features divide, so that 90d equals
 * a recency of 90 days in weeks exactly). The walk keeps its own stack:
 * a sum of literals may be long. */
static int scale(const seg_rules *r, binding *b, const node *n,
                 double per_day)
{
    seg__spine s = {NULL, 0, 0};
    int rc = seg__spine_push(&s, n);
    while (!rc && s.n) {
        n = s.v[--s.n];
        if (n->type == N_NUM && n->lit == LIT_DUR)
            b->stat[n->id] = per_day < 1 ? n->num / (1 / per_day)
                                         : n->num * per_day;
        if (b->uk[n->id] != U_DUR)
            continue;   /* a column or a number: nothing to give */
        for (size_t k = 0; k < n->nlist && !rc; k++)
            rc = seg__spine_push(&s, n->list[k]);
        if (!rc && n->a)
            rc = seg__spine_push(&s, n->a);
        if (!rc && n->b)
            rc = seg__spine_push(&s, n->b);
    }
    seg__free(s.v);
    return rc ? seg__nomem(&r->err) : SEG_OK;
}

/* How many of the unit `u` make a day, for a duration meeting it; 0 when
 * a duration cannot meet it. */
static double per_day(int u)
{
    switch (u) {
    case U_DAYS: case U_NONE: case U_DUR: return 1;
    case U_WEEKS: return 1.0 / 7;
    case U_TS: return 86400;
    default: return 0;
    }
}

/* A duration d meeting o (in a sum or a comparison at `at`). */
static int meet_duration(const seg_rules *r, binding *b, const node *at,
                         const node *d, const node *o, bool cmp)
{
    char x[96], y[96];
    int uo = b->uk[o->id];
    if (uo == U_TS && cmp)
        return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: compares %s with "
                          "a duration; a time relative to the analysis "
                          "date is as_of - 30d, or write 'within 30d'",
                          r->name, at->line, at->col, what(b, o, x, sizeof x));
    double f = per_day(uo);
    if (f == 0)
        return unit_error(r, at, cmp ? "compares" : "combines",
                          what(b, d, x, sizeof x), what(b, o, y, sizeof y));
    return f == 1 && uo == U_DUR ? SEG_OK : scale(r, b, d, f);
}

/* The unit of a + b or a - b (op), or of a * b, a / b. */
static int arith(const seg_rules *r, binding *b, const node *n, int *out)
{
    const node *x = n->a, *y = n->b;
    int ux = b->uk[x->id], uy = b->uk[y->id];
    char s1[96], s2[96];
    if (n->op == '*' || n->op == '/') {
        if (ux == U_DATE || uy == U_DATE)
            return unit_error(r, n, "multiplies or divides", unit_name(ux),
                              unit_name(uy));
        if (uy == U_NUM && ux != U_TS) {
            *out = ux;          /* 2 * 30d, recency / 2 */
        } else if (ux == U_NUM && n->op == '*' && uy != U_TS) {
            *out = uy;
        } else if (n->op == '/' && ux == uy) {
            *out = U_NUM;       /* a ratio: recency / T, 30d / 1w */
        } else if (ux == U_DUR || uy == U_DUR) {
            return unit_error(r, n, "multiplies or divides",
                              what(b, x, s1, sizeof s1),
                              what(b, y, s2, sizeof s2));
        } else {
            *out = U_NONE;
        }
        return SEG_OK;
    }
    if (ux == U_DATE || uy == U_DATE) {
        const node *dt = ux == U_DATE ? x : y, *o = dt == x ? y : x;
        if (b->uk[o->id] != U_DUR || dt == y)
            return unit_error(r, n, "adds or subtracts",
                              what(b, x, s1, sizeof s1),
                              what(b, y, s2, sizeof s2));
        /* a date as a point in time is the end of its day */
        b->stat[dt->id] = day_bound(b, dt, true);
        *out = U_TS;
        return scale(r, b, o, 86400);
    }
    if (ux == U_DUR && uy == U_DUR) {
        *out = U_DUR;
        return SEG_OK;
    }
    if (ux == U_DUR || uy == U_DUR) {
        const node *d = ux == U_DUR ? x : y, *o = d == x ? y : x;
        if (b->uk[o->id] == U_NUM ||
            (b->uk[o->id] == U_TS && d == x && n->op == '-'))
            return unit_error(r, n, "adds or subtracts",
                              what(b, x, s1, sizeof s1),
                              what(b, y, s2, sizeof s2));
        *out = b->uk[o->id];
        return meet_duration(r, b, n, d, o, false);
    }
    if (ux == U_TS && uy == U_TS)
        return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: %s two timestamps; "
                          "compare one with the other plus a duration "
                          "(first_purchase + 30d)", r->name, n->line, n->col,
                          n->op == '-' ? "subtracts" : "adds");
    if ((ux == U_TS && (uy == U_DAYS || uy == U_WEEKS)) ||
        (uy == U_TS && (ux == U_DAYS || ux == U_WEEKS)) ||
        (ux == U_DAYS && uy == U_WEEKS) || (ux == U_WEEKS && uy == U_DAYS))
        return unit_error(r, n, "adds or subtracts",
                          what(b, x, s1, sizeof s1),
                          what(b, y, s2, sizeof s2));
    *out = ux == U_NUM ? uy : uy == U_NUM ? ux : ux == uy ? ux : U_NONE;
    return SEG_OK;
}

/* x op y, a comparison at `at`: a duration takes the other side's unit, a
 * date the bound of its day that op needs (x >= D: its first second;
 * x <= D: its last). */
static int compare(const seg_rules *r, binding *b, const node *at,
                   const node *x, const node *y, int op)
{
    int ux = b->uk[x->id], uy = b->uk[y->id];
    char s1[96], s2[96];
    if (ux == U_DUR && uy == U_DUR)
        return SEG_OK;
    if (ux == U_DUR || uy == U_DUR) {
        const node *d = ux == U_DUR ? x : y, *o = d == x ? y : x;
        if (b->uk[o->id] == U_NUM || b->uk[o->id] == U_DATE)
            return unit_error(r, at, "compares", what(b, x, s1, sizeof s1),
                              what(b, y, s2, sizeof s2));
        return meet_duration(r, b, at, d, o, true);
    }
    if (ux == U_DATE || uy == U_DATE) {
        const node *dt = ux == U_DATE ? x : y, *o = dt == x ? y : x;
        int uo = b->uk[o->id];
        if (uo != U_TS && uo != U_NONE && uo != U_DATE)
            return unit_error(r, at, "compares", what(b, x, s1, sizeof s1),
                              what(b, y, s2, sizeof s2));
        if (op == OP_EQ || op == OP_NE)
            return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: a time equals a "
                              "date only for one second: write <, <=, >, >= "
                              "or 'between D1 and D2'", r->name, at->line,
                              at->col);
        /* with the date on the left, the comparison is seen from it */
        bool after = op == OP_GT || op == OP_LE;
        if (dt == x)
            after = op == OP_LT || op == OP_GE;
        b->stat[dt->id] = day_bound(b, dt, after);
        if (uo == U_DATE)
            b->stat[o->id] = day_bound(b, o, !after);
        return SEG_OK;
    }
    bool days_weeks = (ux == U_DAYS && uy == U_WEEKS) ||
                      (ux == U_WEEKS && uy == U_DAYS);
    bool ts_dur = (ux == U_TS && (uy == U_DAYS || uy == U_WEEKS)) ||
                  (uy == U_TS && (ux == U_DAYS || ux == U_WEEKS));
    if (days_weeks || ts_dur)
        return unit_error(r, at, "compares", what(b, x, s1, sizeof s1),
                          what(b, y, s2, sizeof s2));
    return SEG_OK;
}

/* t within D: from the analysis date back by D. A whole number of days
 * is that many local days, ending with the analysis date's (the days of
 * the windows of features); any other duration is that many seconds. */
static int within(const seg_rules *r, binding *b, const node *n)
{
    int ua = b->uk[n->a->id];
    char s1[96];
    if (ua != U_TS && ua != U_NONE)
        return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: 'within' needs a "
                          "timestamp (last_purchase, events.KIND.last), not "
                          "%s", r->name, n->line, n->col,
                          what(b, n->a, s1, sizeof s1));
    double days = n->b->num;
    if (!(days > 0 && days <= 1e6))
        return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: 'within' needs a "
                          "duration of more than 0 and at most 1e6 days",
                          r->name, n->b->line, n->b->col);
    if (days == floor(days)) {
        int64_t last = b->tz ? seg__tz_day(b->tz, b->as_of)
                             : (int64_t)floor((double)b->as_of / 86400);
        int64_t first = last - (int64_t)days + 1;
        b->stat[n->b->id] = b->tz ? (double)seg__tz_day_start(b->tz, first)
                                  : (double)first * 86400;
    } else {
        b->stat[n->b->id] = (double)b->as_of - floor(days * 86400);
    }
    return SEG_OK;
}

int seg__units_check(const seg_rules *r, binding *b, const node *n)
{
    int *u = &b->uk[n->id];
    int rc = SEG_OK;
    *u = U_NUM;
    switch (n->type) {
    case N_NUM:
        *u = n->lit == LIT_DUR ? U_DUR : n->lit == LIT_DATE ? U_DATE : U_NUM;
        b->stat[n->id] = n->lit == LIT_DATE ? day_bound(b, n, false) : n->num;
        break;
    case N_COL:
        if (b->vt[n->id] == VT_NUM)
            *u = column_unit(b->col[n->id]);
        break;
    case N_STAT:
        *u = column_unit(b->col[n->list[0]->id]);
        break;
    case N_CALL:
        if (n->nlist)
            *u = b->uk[n->list[0]->id] == U_DATE ? U_TS
                                                  : b->uk[n->list[0]->id];
        break;
    case N_ASOF:
        if (b->as_of == SEG_TIME_NONE)
            return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: as_of: the "
                              "dataset has no analysis date yet (compute "
                              "its features first)", r->name, n->line,
                              n->col);
        *u = U_TS;
        b->stat[n->id] = (double)b->as_of;
        break;
    case N_NEG:
        *u = b->uk[n->a->id] == U_DATE || b->uk[n->a->id] == U_TS
                 ? U_NONE : b->uk[n->a->id];
        break;
    case N_ARITH:
        rc = arith(r, b, n, u);
        break;
    case N_CMP:
        if (b->vt[n->a->id] == VT_NUM)
            rc = compare(r, b, n, n->a, n->b, n->op);
        break;
    case N_BETWEEN:
        rc = compare(r, b, n, n->a, n->b, OP_GE);
        if (!rc)
            rc = compare(r, b, n, n->a, n->c, OP_LE);
        break;
    case N_IN:
        for (size_t i = 0; i < n->nlist && !rc; i++)
            if (b->vt[n->a->id] == VT_NUM)
                rc = compare(r, b, n, n->a, n->list[i], OP_EQ);
        break;
    case N_WITHIN:
        if (b->as_of == SEG_TIME_NONE)
            return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: 'within' counts "
                              "back from the analysis date, and the dataset "
                              "has none yet (compute its features first)",
                              r->name, n->line, n->col);
        rc = within(r, b, n);
        break;
    default:
        break;
    }
    return rc;
}
