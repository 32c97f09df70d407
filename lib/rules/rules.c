/* Tier-rule sets: lexer, parser, binder, evaluator, explanations and the
 * call list. The grammar is in docs/rules.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset/internal.h"

#define MAX_INPUT (16u << 20)
#define MAX_DEPTH 200
#define MAX_LITERAL 4096

/* ---- syntax tree ---- */

enum {
    N_NUM, N_STR, N_COL, N_STAT, N_NEG, N_ARITH, N_CMP, N_AND, N_OR, N_NOT,
    N_IN, N_BETWEEN, N_MISSING, N_BOOL
};
enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };
enum { ST_MEAN, ST_MEDIAN, ST_MIN, ST_MAX, ST_SUM, ST_PCT };
enum { VT_NUM, VT_STR, VT_BOOL };

typedef struct node {
    int type, op, line, col, id;
    bool neg;            /* not in / not between / is not missing */
    double num;          /* literal, or the percentile */
    char *str;           /* literal string or column name */
    struct node *a, *b, *c;
    struct node **list;
    size_t nlist;
} node;

enum { R_TIER, R_OTHERWISE, R_POINTS };

typedef struct rule {
    int kind, line;
    char *label;
    node *cond;
    double priority;     /* 0: none */
    double cadence;      /* days; 0: none */
    char **tags;
    size_t ntags;
    int group;           /* points: index into groups, -1 none */
    double points;
} rule;

typedef struct group {
    char *name;
    double cap;          /* INFINITY: none */
} group;

typedef struct grade {
    char *label;
    double min;
} grade;

struct seg_rules {
    seg__errbuf err;
    char *name;
    char *output;
    bool score;
    rule *rules;
    size_t nrules, caprules;
    group *groups;
    size_t ngroups, capgroups;
    grade *grades;
    size_t ngrades, capgrades;
    double total_cap;
    node **nodes;        /* every node, for freeing and binding */
    size_t nnodes, capnodes;
};

static void node_free(node *n)
{
    seg__free(n->str);
    seg__free(n->list);
    seg__free(n);
}

void seg_rules_free(seg_rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nnodes; i++)
        node_free(r->nodes[i]);
    seg__free(r->nodes);
    for (size_t i = 0; i < r->nrules; i++) {
        seg__free(r->rules[i].label);
        for (size_t t = 0; t < r->rules[i].ntags; t++)
            seg__free(r->rules[i].tags[t]);
        seg__free(r->rules[i].tags);
    }
    seg__free(r->rules);
    for (size_t i = 0; i < r->ngroups; i++)
        seg__free(r->groups[i].name);
    seg__free(r->groups);
    for (size_t i = 0; i < r->ngrades; i++)
        seg__free(r->grades[i].label);
    seg__free(r->grades);
    seg__free(r->name);
    seg__free(r->output);
    seg__errbuf_destroy(&r->err);
    seg__free(r);
}

const char *seg_rules_errmsg(const seg_rules *r)
{
    return r ? seg__errbuf_get(&r->err) : seg_errmsg();
}

const char *seg_rules_output(const seg_rules *r)
{
    return r && r->output ? r->output : "tier";
}

/* ---- lexer ---- */

enum { T_EOF, T_IDENT, T_NUM, T_STR, T_OP };

typedef struct token {
    int type;
    bool bol;            /* first token of its line */
    const char *p;       /* its text */
    size_t n;
    int line, col;
    double num;
    char *str;           /* unescaped string, owned by the parser */
} token;

typedef struct parser {
    seg_rules *r;
    const char *src, *p, *end;
    int line;
    const char *line_start;
    const char *cpos;    /* where the column count below was taken */
    int ccol;
    token tok;
    int depth;
    int rc;
} parser;

static int perr(parser *ps, int line, int col, const char *fmt, ...)
    SEG__PRINTF(4, 5);

static int perr(parser *ps, int line, int col, const char *fmt, ...)
{
    if (ps->rc)
        return ps->rc;
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    ps->rc = seg__error(NULL, SEG_EPARSE, "%s:%d:%d: %s", ps->r->name, line,
                        col, what);
    return ps->rc;
}

static bool is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c >= 0x80;
}

static bool is_ident_char(unsigned char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9') || c == '.';
}

/* Columns count characters, not bytes; counted on from the last token so
 * that a 1 MB line costs linear time. */
static int col_of(parser *ps, const char *p)
{
    if (!ps->cpos || ps->cpos < ps->line_start || ps->cpos > p) {
        ps->cpos = ps->line_start;
        ps->ccol = 1;
    }
    for (; ps->cpos < p; ps->cpos++)
        ps->ccol += ((unsigned char)*ps->cpos & 0xC0) != 0x80;
    return ps->ccol;
}

/* Advance to the next token. */
static void next(parser *ps)
{
    seg__free(ps->tok.str);
    ps->tok.str = NULL;
    for (;;) {
        while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
                                   *ps->p == '\r' || *ps->p == '\n')) {
            if (*ps->p == '\n') {
                ps->line++;
                ps->line_start = ps->p + 1;
            }
            ps->p++;
        }
        if (ps->p < ps->end && (*ps->p == '#' ||
                                (*ps->p == '-' && ps->p + 1 < ps->end &&
                                 ps->p[1] == '-'))) {
            while (ps->p < ps->end && *ps->p != '\n')
                ps->p++;
            continue;
        }
        break;
    }
    token *t = &ps->tok;
    const char *bl = ps->p;
    while (bl > ps->line_start && (bl[-1] == ' ' || bl[-1] == '\t'))
        bl--;
    t->bol = bl == ps->line_start;
    t->p = ps->p;
    t->line = ps->line;
    t->col = col_of(ps, ps->p);
    t->n = 0;
    if (ps->p >= ps->end) {
        t->type = T_EOF;
        return;
    }
    const char *s = ps->p;
    unsigned char c = (unsigned char)*s;
    if (is_ident_start(c)) {
        while (ps->p < ps->end && is_ident_char((unsigned char)*ps->p))
            ps->p++;
        t->type = T_IDENT;
        t->n = (size_t)(ps->p - s);
        return;
    }
    if (c == '`') { /* any column name */
        const char *e = memchr(s + 1, '`', (size_t)(ps->end - s - 1));
        if (!e || memchr(s + 1, '\n', (size_t)(e - s - 1))) {
            perr(ps, t->line, t->col, "a `quoted name` is not closed");
            t->type = T_EOF;
            return;
        }
        t->type = T_IDENT;
        t->p = s + 1;
        t->n = (size_t)(e - s - 1);
        ps->p = e + 1;
        if (t->n == 0)
            perr(ps, t->line, t->col, "an empty `quoted name`");
        return;
    }
    if (c >= '0' && c <= '9') {
        /* a date YYYY-MM-DD */
        if (ps->end - s >= 10 && s[4] == '-' && s[7] == '-' &&
            strspn(s, "0123456789") == 4 && (ps->end - s == 10 ||
                                             !is_ident_char((unsigned char)s[10]))) {
            int64_t tm;
            if (seg_time_parse(&tm, s, 10, SEG_TIME_ISO8601) != SEG_OK) {
                perr(ps, t->line, t->col, "'%.10s' is not a valid date", s);
                t->type = T_EOF;
                return;
            }
            t->type = T_NUM;
            t->num = (double)tm;
            t->n = 10;
            ps->p = s + 10;
            return;
        }
        const char *e = s;
        while (e < ps->end && ((*e >= '0' && *e <= '9') || *e == '.'))
            e++;
        if (e < ps->end && (*e == 'e' || *e == 'E') && e + 1 < ps->end &&
            ((e[1] >= '0' && e[1] <= '9') ||
             ((e[1] == '+' || e[1] == '-') && e + 2 < ps->end &&
              e[2] >= '0' && e[2] <= '9'))) {
            e += 2;
            while (e < ps->end && *e >= '0' && *e <= '9')
                e++;
        }
        t->type = T_NUM;
        t->n = (size_t)(e - s);
        ps->p = e;
        if (t->n > MAX_LITERAL) {
            perr(ps, t->line, t->col, "a number of more than %d characters",
                 MAX_LITERAL);
            t->type = T_EOF;
            return;
        }
        int rc = seg__parse_f64(s, t->n, &t->num);
        if (rc) {
            int shown = t->n < 40 ? (int)t->n : 40;
            perr(ps, t->line, t->col, rc == SEG_ERANGE
                                          ? "'%.*s' is out of range"
                                          : "'%.*s' is not a number",
                 shown, s);
            t->type = T_EOF;
            return;
        }
        /* durations: 30d, 12w, 6h; in days */
        if (ps->p < ps->end && (*ps->p == 'd' || *ps->p == 'w' ||
                                *ps->p == 'h') &&
            (ps->p + 1 == ps->end || !is_ident_char((unsigned char)ps->p[1]))) {
            t->num *= *ps->p == 'w' ? 7 : *ps->p == 'h' ? 1.0 / 24 : 1;
            ps->p++;
            t->n++;
        }
        if (ps->p < ps->end && is_ident_start((unsigned char)*ps->p))
            perr(ps, t->line, t->col, "'%.*s' is not a number or a duration "
                 "(30d, 12w, 6h)", (int)(ps->p - s + 1), s);
        return;
    }
    if (c == '"' || c == '\'') {
        seg__buf b = {NULL, 0, 0};
        const char *q = s + 1;
        for (;; q++) {
            if (q >= ps->end || *q == '\n') {
                seg__buf_free(&b);
                perr(ps, t->line, t->col, "a string is not closed");
                t->type = T_EOF;
                return;
            }
            if (*q == (char)c) {
                if (q + 1 < ps->end && q[1] == (char)c) { /* doubled quote */
                    q++;
                } else {
                    break;
                }
            }
            if (b.len >= MAX_LITERAL || seg__buf_append(&b, q, 1)) {
                seg__buf_free(&b);
                perr(ps, t->line, t->col, "a string of more than %d bytes",
                     MAX_LITERAL);
                t->type = T_EOF;
                return;
            }
        }
        if (!b.data && seg__buf_append(&b, "", 0)) {
            perr(ps, t->line, t->col, "out of memory");
            t->type = T_EOF;
            return;
        }
        t->type = T_STR;
        t->str = b.data;
        ps->p = q + 1;
        t->n = (size_t)(ps->p - s);
        return;
    }
    static const char *const ops[] = {"<=", ">=", "!=", "<>", "==", "=", "<",
                                      ">",  "(",  ")",  ",",  "+", "-", "*",
                                      "/",  ":"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        size_t l = strlen(ops[i]);
        if ((size_t)(ps->end - s) >= l && memcmp(s, ops[i], l) == 0) {
            t->type = T_OP;
            t->n = l;
            ps->p = s + l;
            return;
        }
    }
    perr(ps, t->line, t->col, "unexpected character '%.*s'",
         (int)(c >= 0x80 ? 1 : 1), s);
    t->type = T_EOF;
}

static bool is_word(const parser *ps, const char *w)
{
    return ps->tok.type == T_IDENT && ps->tok.n == strlen(w) &&
           memcmp(ps->tok.p, w, ps->tok.n) == 0;
}

static bool is_op(const parser *ps, const char *o)
{
    return ps->tok.type == T_OP && ps->tok.n == strlen(o) &&
           memcmp(ps->tok.p, o, ps->tok.n) == 0;
}

static const char *describe(const parser *ps, char *buf, size_t n)
{
    if (ps->tok.type == T_EOF)
        return "the end of the rules";
    snprintf(buf, n, "'%.*s'", (int)(ps->tok.n > 40 ? 40 : ps->tok.n),
             ps->tok.p);
    return buf;
}

static int expected(parser *ps, const char *what)
{
    char b[64];
    return perr(ps, ps->tok.line, ps->tok.col, "expected %s, found %s", what,
                describe(ps, b, sizeof b));
}

static node *mk(parser *ps, int type, int line, int col)
{
    if (ps->rc)
        return NULL;
    seg_rules *r = ps->r;
    if (seg__grow((void **)&r->nodes, &r->capnodes, r->nnodes + 1,
                  sizeof *r->nodes)) {
        ps->rc = seg__nomem(NULL);
        return NULL;
    }
    node *n = seg__calloc(1, sizeof *n);
    if (!n) {
        ps->rc = seg__nomem(NULL);
        return NULL;
    }
    n->type = type;
    n->line = line;
    n->col = col;
    n->id = (int)r->nnodes;
    r->nodes[r->nnodes++] = n;
    return n;
}

static node *expr(parser *ps);

static node *primary(parser *ps)
{
    token t = ps->tok;
    if (ps->rc)
        return NULL;
    if (t.type == T_NUM) {
        node *n = mk(ps, N_NUM, t.line, t.col);
        if (n)
            n->num = t.num;
        next(ps);
        return n;
    }
    if (t.type == T_STR) {
        node *n = mk(ps, N_STR, t.line, t.col);
        if (n) {
            n->str = ps->tok.str;
            ps->tok.str = NULL;
        }
        next(ps);
        return n;
    }
    if (is_op(ps, "(")) {
        next(ps);
        node *n = expr(ps);
        if (!ps->rc && !is_op(ps, ")"))
            expected(ps, "')'");
        next(ps);
        return n;
    }
    if (t.type == T_IDENT) {
        if (is_word(ps, "true") || is_word(ps, "false")) {
            node *n = mk(ps, N_BOOL, t.line, t.col);
            if (n)
                n->num = is_word(ps, "true");
            next(ps);
            return n;
        }
        char *name = seg__strndup(t.p, t.n);
        if (!name) {
            ps->rc = seg__nomem(NULL);
            return NULL;
        }
        next(ps);
        if (!is_op(ps, "(")) {
            node *n = mk(ps, N_COL, t.line, t.col);
            if (n)
                n->str = name;
            else
                seg__free(name);
            return n;
        }
        /* a population statistic of a column */
        int st = -1;
        double pct = 0;
        if (!strcmp(name, "mean") || !strcmp(name, "avg"))
            st = ST_MEAN;
        else if (!strcmp(name, "median"))
            st = ST_MEDIAN;
        else if (!strcmp(name, "min"))
            st = ST_MIN;
        else if (!strcmp(name, "max"))
            st = ST_MAX;
        else if (!strcmp(name, "sum"))
            st = ST_SUM;
        else if (name[0] == 'p' && name[1] && strspn(name + 1, "0123456789.") ==
                                                  strlen(name + 1)) {
            if (seg__parse_f64(name + 1, strlen(name + 1), &pct) == SEG_OK &&
                pct >= 0 && pct <= 100)
                st = ST_PCT;
        }
        if (st < 0) {
            perr(ps, t.line, t.col, "unknown function '%s' (mean, median, "
                 "min, max, sum, p0..p100)", name);
            seg__free(name);
            return NULL;
        }
        seg__free(name);
        next(ps);
        if (ps->tok.type != T_IDENT) {
            expected(ps, "a column name");
            return NULL;
        }
        node *n = mk(ps, N_STAT, t.line, t.col);
        node *c = mk(ps, N_COL, ps->tok.line, ps->tok.col);
        if (!n || !c)
            return NULL;
        n->op = st;
        n->num = pct;
        n->a = c;
        if (!(c->str = seg__strndup(ps->tok.p, ps->tok.n))) {
            ps->rc = seg__nomem(NULL);
            return NULL;
        }
        next(ps);
        if (!is_op(ps, ")"))
            expected(ps, "')'");
        next(ps);
        return n;
    }
    expected(ps, "a number, a string, a column or '('");
    return NULL;
}

/* One level deeper into the expression; false, with the error set, past
 * MAX_DEPTH (hostile input nests without end). */
static bool deeper(parser *ps)
{
    if (++ps->depth <= MAX_DEPTH)
        return true;
    if (!ps->rc)
        ps->rc = seg__error(NULL, SEG_ELIMIT, "%s:%d:%d: nested more than %d "
                            "deep", ps->r->name, ps->tok.line, ps->tok.col,
                            MAX_DEPTH);
    return false;
}

static node *unary(parser *ps)
{
    if (!deeper(ps))
        return NULL;
    node *n;
    if (is_op(ps, "-")) {
        token t = ps->tok;
        next(ps);
        n = mk(ps, N_NEG, t.line, t.col);
        node *a = unary(ps);
        if (n)
            n->a = a;
    } else {
        n = primary(ps);
    }
    ps->depth--;
    return ps->rc ? NULL : n;
}

/* A left-associative chain of o1/o2 operators over sub. With stop_at_bol, an
 * operator that begins a line ends the chain: a '+' or '-' there begins a
 * points rule, not a sum. */
static node *binary(parser *ps, node *(*sub)(parser *), const char *o1,
                    const char *o2, int type, bool stop_at_bol)
{
    node *a = sub(ps);
    while (!ps->rc && (is_op(ps, o1) || is_op(ps, o2)) &&
           !(stop_at_bol && ps->tok.bol)) {
        token t = ps->tok;
        next(ps);
        node *n = mk(ps, type, t.line, t.col);
        node *b = sub(ps);
        if (!n)
            return NULL;
        n->op = t.p[0];
        n->a = a;
        n->b = b;
        a = n;
    }
    return ps->rc ? NULL : a;
}

static node *product(parser *ps)
{
    return binary(ps, unary, "*", "/", N_ARITH, false);
}

static node *sum(parser *ps)
{
    return binary(ps, product, "+", "-", N_ARITH, true);
}

static node *comparison(parser *ps)
{
    node *a = sum(ps);
    if (ps->rc)
        return NULL;
    token t = ps->tok;
    static const struct { const char *s; int op; } cmps[] = {
        {"=", OP_EQ}, {"==", OP_EQ}, {"!=", OP_NE}, {"<>", OP_NE},
        {"<", OP_LT}, {"<=", OP_LE}, {">", OP_GT},  {">=", OP_GE}};
    for (size_t i = 0; i < sizeof cmps / sizeof *cmps; i++) {
        if (is_op(ps, cmps[i].s)) {
            next(ps);
            node *n = mk(ps, N_CMP, t.line, t.col);
            node *b = sum(ps);
            if (!n)
                return NULL;
            n->op = cmps[i].op;
            n->a = a;
            n->b = b;
            return ps->rc ? NULL : n;
        }
    }
    if (is_word(ps, "is")) {
        next(ps);
        node *n = mk(ps, N_MISSING, t.line, t.col);
        if (!n)
            return NULL;
        n->a = a;
        if (is_word(ps, "not")) {
            n->neg = true;
            next(ps);
        }
        if (!is_word(ps, "missing"))
            expected(ps, "'missing' after 'is'");
        next(ps);
        return ps->rc ? NULL : n;
    }
    bool neg = false;
    if (is_word(ps, "not")) {
        neg = true;
        next(ps);
        if (!is_word(ps, "in") && !is_word(ps, "between"))
            return expected(ps, "'in' or 'between' after 'not'"), NULL;
    }
    if (is_word(ps, "in")) {
        next(ps);
        node *n = mk(ps, N_IN, t.line, t.col);
        if (!n)
            return NULL;
        n->a = a;
        n->neg = neg;
        if (!is_op(ps, "("))
            return expected(ps, "'(' after 'in'"), NULL;
        size_t cap = 0;
        do {
            next(ps);
            node *v = sum(ps);
            if (ps->rc)
                return NULL;
            if (seg__grow((void **)&n->list, &cap, n->nlist + 1,
                          sizeof *n->list)) {
                ps->rc = seg__nomem(NULL);
                return NULL;
            }
            n->list[n->nlist++] = v;
        } while (is_op(ps, ","));
        if (!is_op(ps, ")"))
            return expected(ps, "',' or ')' in the list"), NULL;
        next(ps);
        return n;
    }
    if (is_word(ps, "between")) {
        next(ps);
        node *n = mk(ps, N_BETWEEN, t.line, t.col);
        if (!n)
            return NULL;
        n->a = a;
        n->neg = neg;
        n->b = sum(ps);
        if (!ps->rc && !is_word(ps, "and"))
            return expected(ps, "'and' in 'between ... and ...'"), NULL;
        next(ps);
        n->c = sum(ps);
        return ps->rc ? NULL : n;
    }
    return a;
}

static node *negation(parser *ps)
{
    if (is_word(ps, "not")) {
        token t = ps->tok;
        if (!deeper(ps))
            return NULL;
        next(ps);
        node *n = mk(ps, N_NOT, t.line, t.col);
        node *a = negation(ps);
        ps->depth--;
        if (!n)
            return NULL;
        n->a = a;
        return ps->rc ? NULL : n;
    }
    return comparison(ps);
}

static node *conjunction(parser *ps)
{
    node *a = negation(ps);
    while (!ps->rc && is_word(ps, "and")) {
        token t = ps->tok;
        next(ps);
        node *n = mk(ps, N_AND, t.line, t.col);
        node *b = negation(ps);
        if (!n)
            return NULL;
        n->a = a;
        n->b = b;
        a = n;
    }
    return ps->rc ? NULL : a;
}

static node *expr(parser *ps)
{
    if (!deeper(ps))
        return NULL;
    node *a = conjunction(ps);
    while (!ps->rc && is_word(ps, "or")) {
        token t = ps->tok;
        next(ps);
        node *n = mk(ps, N_OR, t.line, t.col);
        node *b = conjunction(ps);
        if (!n)
            break;
        n->a = a;
        n->b = b;
        a = n;
    }
    ps->depth--;
    return ps->rc ? NULL : a;
}

/* ---- statements ---- */

static rule *add_rule(parser *ps, int kind)
{
    seg_rules *r = ps->r;
    if (seg__grow((void **)&r->rules, &r->caprules, r->nrules + 1,
                  sizeof *r->rules)) {
        ps->rc = seg__nomem(NULL);
        return NULL;
    }
    rule *u = &r->rules[r->nrules++];
    memset(u, 0, sizeof *u);
    u->kind = kind;
    u->group = -1;
    u->line = ps->tok.line;
    return u;
}

static char *take_string(parser *ps, const char *what)
{
    if (ps->tok.type != T_STR) {
        expected(ps, what);
        return NULL;
    }
    char *s = ps->tok.str;
    ps->tok.str = NULL;
    if (!seg__utf8_valid(s, strlen(s))) {
        perr(ps, ps->tok.line, ps->tok.col, "the string is not valid UTF-8");
        seg__free(s);
        return NULL;
    }
    next(ps);
    return s;
}

static double take_number(parser *ps, const char *what)
{
    bool neg = false;
    if (is_op(ps, "-")) {
        neg = true;
        next(ps);
    }
    if (ps->tok.type != T_NUM) {
        expected(ps, what);
        return NAN;
    }
    double v = ps->tok.num;
    next(ps);
    return neg ? -v : v;
}

static void metadata(parser *ps, rule *u)
{
    for (;;) {
        if (ps->rc)
            return;
        if (is_word(ps, "priority")) {
            next(ps);
            u->priority = take_number(ps, "a priority (1 = first)");
            if (!ps->rc && !(u->priority >= 1 && u->priority <= 1e9))
                perr(ps, ps->tok.line, ps->tok.col, "a priority is a number "
                     "from 1 (first)");
        } else if (is_word(ps, "cadence")) {
            next(ps);
            u->cadence = take_number(ps, "a cadence such as 7d");
            if (!ps->rc && !(u->cadence >= 0 && u->cadence <= 1e6))
                perr(ps, ps->tok.line, ps->tok.col, "a cadence is a duration "
                     "of zero or more days");
        } else if (is_word(ps, "tags") || is_word(ps, "tag")) {
            do {
                next(ps);
                char *s = take_string(ps, "a tag in quotes");
                if (!s)
                    return;
                size_t cap = u->ntags;
                if (seg__grow((void **)&u->tags, &cap, u->ntags + 1,
                              sizeof *u->tags)) {
                    seg__free(s);
                    ps->rc = seg__nomem(NULL);
                    return;
                }
                u->tags[u->ntags++] = s;
            } while (is_op(ps, ","));
        } else {
            return;
        }
    }
}

static int statement(parser *ps)
{
    seg_rules *r = ps->r;
    token t = ps->tok;
    if (is_word(ps, "tier")) {
        if (r->score)
            return perr(ps, t.line, t.col, "'tier' in a score rule set");
        next(ps);
        rule *u = add_rule(ps, R_TIER);
        if (!u || !(u->label = take_string(ps, "the tier's label in quotes")))
            return ps->rc;
        if (!is_word(ps, "when"))
            return expected(ps, "'when' after the tier's label");
        next(ps);
        u->cond = expr(ps);
        metadata(ps, u);
    } else if (is_word(ps, "otherwise")) {
        if (r->score)
            return perr(ps, t.line, t.col,
                              "'otherwise' in a score rule set");
        next(ps);
        rule *u = add_rule(ps, R_OTHERWISE);
        if (!u || !(u->label = take_string(ps, "the default label in quotes")))
            return ps->rc;
        metadata(ps, u);
        if (!ps->rc && ps->tok.type != T_EOF)
            expected(ps, "nothing after 'otherwise' (it is the last rule)");
    } else if (is_word(ps, "score")) {
        if (r->nrules)
            return perr(ps, t.line, t.col, "'score' must come first");
        r->score = true;
        next(ps);
    } else if (is_word(ps, "output")) {
        next(ps);
        char *s = take_string(ps, "the output column's name in quotes");
        if (s) {
            seg__free(r->output);
            r->output = s;
        }
    } else if (is_word(ps, "group")) {
        if (!r->score)
            return perr(ps, t.line, t.col,
                              "'group' outside a score rule set (begin with "
                              "'score')");
        next(ps);
        if (ps->tok.type != T_IDENT && ps->tok.type != T_STR)
            return expected(ps, "a group name");
        char *name = ps->tok.type == T_STR ? ps->tok.str
                                           : seg__strndup(ps->tok.p, ps->tok.n);
        if (ps->tok.type == T_STR)
            ps->tok.str = NULL;
        if (!name || seg__grow((void **)&r->groups, &r->capgroups,
                               r->ngroups + 1, sizeof *r->groups)) {
            seg__free(name);
            ps->rc = seg__nomem(NULL);
            return ps->rc;
        }
        group *g = &r->groups[r->ngroups++];
        g->name = name;
        g->cap = INFINITY;
        next(ps);
        if (is_word(ps, "cap")) {
            next(ps);
            g->cap = take_number(ps, "the group's cap");
        }
        if (is_op(ps, ":"))
            next(ps);
    } else if (is_op(ps, "+") || is_op(ps, "-")) {
        if (!r->score)
            return perr(ps, t.line, t.col,
                              "points outside a score rule set (begin with "
                              "'score')");
        double sign = is_op(ps, "-") ? -1 : 1;
        next(ps);
        rule *u = add_rule(ps, R_POINTS);
        if (!u)
            return ps->rc;
        u->points = sign * take_number(ps, "a number of points");
        u->group = (int)r->ngroups - 1;
        if (!ps->rc && !is_word(ps, "when"))
            return expected(ps, "'when' after the points");
        next(ps);
        u->cond = expr(ps);
    } else if (is_word(ps, "cap")) {
        if (!r->score)
            return perr(ps, t.line, t.col, "'cap' outside a score rule "
                              "set");
        next(ps);
        r->total_cap = take_number(ps, "the total cap");
    } else if (is_word(ps, "grade")) {
        if (!r->score)
            return perr(ps, t.line, t.col, "'grade' outside a score "
                              "rule set");
        next(ps);
        char *label = take_string(ps, "the grade's label in quotes");
        if (!label)
            return ps->rc;
        if (!is_op(ps, ">=")) {
            seg__free(label);
            return expected(ps, "'>=' and the points of the grade");
        }
        next(ps);
        double min = take_number(ps, "the points of the grade");
        if (seg__grow((void **)&r->grades, &r->capgrades, r->ngrades + 1,
                      sizeof *r->grades)) {
            seg__free(label);
            ps->rc = seg__nomem(NULL);
            return ps->rc;
        }
        r->grades[r->ngrades].label = label;
        r->grades[r->ngrades++].min = min;
    } else {
        expected(ps, "a statement (tier, otherwise, score, group, +N, -N, "
                     "cap, grade, output)");
    }
    return ps->rc;
}

static const struct {
    const char *label;
    double min;
} default_grades[] = {{"A+", 90}, {"A", 80}, {"B", 65}, {"C", 50},
                      {"D", 30},  {"E", 15}, {"F", -INFINITY}};

int seg_rules_parse(seg_rules **out, const char *text, size_t len,
                    const char *name)
{
    if (!out || (!text && len))
        return seg__error(NULL, SEG_EINVAL, "seg_rules_parse: NULL argument");
    *out = NULL;
    if (!name)
        name = "<rules>";
    if (len > MAX_INPUT)
        return seg__error(NULL, SEG_ELIMIT, "%s: rules longer than %u bytes",
                          name, MAX_INPUT);
    if (!text)
        text = "";
    seg_rules *r = seg__calloc(1, sizeof *r);
    if (!r || seg__errbuf_init(&r->err)) {
        seg__free(r);
        return seg__nomem(NULL);
    }
    r->total_cap = INFINITY;
    if (!(r->name = seg__strndup(name, strlen(name)))) {
        seg__errbuf_destroy(&r->err);
        seg__free(r);
        return seg__nomem(NULL);
    }
    parser ps = {r, text, text, text + len, 1, text, NULL, 1, {0}, 0, SEG_OK};
    /* invalid UTF-8 anywhere is an error at its place */
    if (!seg__utf8_valid(text, len)) {
        const char *p = text;
        int line = 1;
        const char *ls = text;
        while (p < text + len) {
            size_t step = 1;
            unsigned char c = (unsigned char)*p;
            size_t need = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (!seg__utf8_valid(p, (size_t)(text + len - p) < need
                                        ? (size_t)(text + len - p)
                                        : need))
                break;
            step = need;
            if (c == '\n') {
                line++;
                ls = p + 1;
            }
            p += step;
        }
        ps.line_start = ls;
        perr(&ps, line, col_of(&ps, p), "invalid UTF-8 (or a NUL byte)");
    }
    if (!ps.rc)
        next(&ps);
    while (!ps.rc && ps.tok.type != T_EOF)
        statement(&ps);
    seg__free(ps.tok.str);
    if (!ps.rc && r->nrules == 0)
        perr(&ps, ps.tok.line, ps.tok.col, "no rules: write 'tier \"LABEL\" "
             "when CONDITION', or 'score' and points");
    if (!ps.rc && r->score && r->ngrades == 0) {
        for (size_t i = 0; i < sizeof default_grades / sizeof *default_grades;
             i++) {
            if (seg__grow((void **)&r->grades, &r->capgrades, r->ngrades + 1,
                          sizeof *r->grades) ||
                !(r->grades[r->ngrades].label = seg__strndup(
                      default_grades[i].label,
                      strlen(default_grades[i].label)))) {
                ps.rc = seg__nomem(NULL);
                break;
            }
            r->grades[r->ngrades++].min = default_grades[i].min;
        }
    }
    if (ps.rc) {
        seg_rules_free(r);
        return ps.rc;
    }
    *out = r;
    return SEG_OK;
}

/* ---- binding to a dataset ---- */

/* A condition compiled for one dataset: postfix instructions over a
 * stack of blocks of rows. Labels become their codes in the column, so a
 * comparison with a string is a comparison of numbers. */
enum {
    I_NUM, I_COL, I_LAB, I_NEG, I_ADD, I_SUB, I_MUL, I_DIV, I_EQ, I_NE,
    I_LT, I_LE, I_GT, I_GE, I_AND, I_OR, I_NOT, I_IN, I_BETWEEN, I_MISSING,
    I_LABCMP,
    I_CMPK,  /* a numeric column against a constant, fused: the common case */
    I_ANDK,  /* the top of the stack 'and' such a comparison */
    I_BETWEENK, /* between two constants (k, k2) */
    I_LABK,  /* a label column = or != a label (its code k) */
    I_LABIN  /* a label column in (one or two labels: codes k, k2) */
};

typedef struct ins {
    int op;
    int cmp;                     /* I_CMPK, I_ANDK: the comparison (I_EQ ...) */
    bool neg;
    double k, k2;                /* I_NUM; I_IN: the list length */
    const seg__column *c, *c2;   /* I_COL, I_LAB, I_LABCMP */
} ins;

typedef struct prog {
    ins *code;
    size_t n, cap;
    int depth;                   /* the deepest stack it needs */
} prog;

typedef struct binding {
    const seg__column *cache_col; /* the column last copied for statistics */
    double *cache_v;
    const seg__column *count_col; /* the column last counted, and its count */
    size_t count_k;
    const seg__column **col;  /* per node */
    double *stat;             /* per node */
    int *vt;                  /* per node: VT_* */
    prog *progs;              /* per rule */
    size_t nprogs;
} binding;

static void unbind(binding *b)
{
    seg__free(b->cache_v);
    seg__free(b->col);
    seg__free(b->stat);
    seg__free(b->vt);
    for (size_t i = 0; i < b->nprogs; i++)
        seg__free(b->progs[i].code);
    seg__free(b->progs);
}

/* A statistic of a column's values, missing ones left out. One pass gives
 * the count, sum and extremes; a quantile of a large column takes about
 * one more, or else a selection over a copy of the values, which the
 * quantiles of one column share (a selection only reorders them). */
static int statistic(const seg_rules *r, const seg_dataset *ds, binding *b,
                     node *n, const seg__column *c, double *out)
{
    size_t rows = seg__ds_n(ds), m = rows < c->n ? rows : c->n, k = 0;
    const double *col = c->num; /* rows past m are missing */
    double s = 0, lo = INFINITY, hi = -INFINITY;
    bool quantile = n->op != ST_MEAN && n->op != ST_SUM &&
                    n->op != ST_MIN && n->op != ST_MAX;
    if (quantile && b->count_col == c) {
        k = b->count_k;
    } else if (quantile) {
        for (size_t i = 0; i < m; i++)
            k += col[i] == col[i];
        b->count_col = c;
        b->count_k = k;
    } else {
        for (size_t i = 0; i < m; i++) {
            double x = col[i];
            bool f = x == x;
            k += f;
            s += f ? x : 0;
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
        }
    }
    *out = NAN;
    if (k == 0)
        return SEG_OK;
    switch (n->op) {
    case ST_MEAN: *out = s / (double)k; return SEG_OK;
    case ST_SUM: *out = s; return SEG_OK;
    case ST_MIN: *out = lo; return SEG_OK;
    case ST_MAX: *out = hi; return SEG_OK;
    default: break;
    }
    double p = (n->op == ST_MEDIAN ? 50 : n->num) / 100;
    if (seg__quantile_sampled(col, m, k, p, out))
        return SEG_OK;
    if (b->cache_col != c) {
        seg__free(b->cache_v);
        b->cache_col = NULL;
        if (!(b->cache_v = seg__malloc(k * sizeof *b->cache_v)))
            return seg__nomem(&r->err);
        size_t j = 0;
        for (size_t i = 0; i < m; i++)
            if (col[i] == col[i])
                b->cache_v[j++] = col[i];
        b->cache_col = c;
    }
    *out = seg__quantile_select(b->cache_v, k, p);
    return SEG_OK;
}

static int bind_node(const seg_rules *r, const seg_dataset *ds, binding *b,
                     node *n)
{
    if (!n)
        return SEG_OK;
    int rc = bind_node(r, ds, b, n->a);
    if (!rc)
        rc = bind_node(r, ds, b, n->b);
    if (!rc)
        rc = bind_node(r, ds, b, n->c);
    for (size_t i = 0; i < n->nlist && !rc; i++)
        rc = bind_node(r, ds, b, n->list[i]);
    if (rc)
        return rc;
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
    case N_COL: {
        const seg__column *c = seg__ds_find_column(ds, n->str);
        if (!c) {
            const char *cands[512];
            size_t nc = seg__ds_n_columns(ds) < 512 ? seg__ds_n_columns(ds) : 512;
            for (size_t i = 0; i < nc; i++)
                cands[i] = seg__ds_column_at(ds, i)->name;
            const char *near = seg__nearest(n->str, cands, nc);
            char ex[64];
            seg__excerpt(ex, sizeof ex, n->str, strlen(n->str));
            if (near)
                return seg__error(&r->err, SEG_ENOTFOUND, "%s:%d:%d: unknown "
                                  "column '%s' (did you mean '%s'?)", r->name,
                                  n->line, n->col, ex, near);
            return seg__error(&r->err, SEG_ENOTFOUND, "%s:%d:%d: unknown "
                              "column '%s'", r->name, n->line, n->col, ex);
        }
        b->col[n->id] = c;
        *vt = c->type == SEG_COLUMN_NUMERIC ? VT_NUM : VT_STR;
        break;
    }
    case N_STAT:
        if (b->vt[n->a->id] != VT_NUM)
            return seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: a statistic of "
                              "the label column '%s'", r->name, n->line,
                              n->col, n->a->str);
        rc = statistic(r, ds, b, n, b->col[n->a->id], &b->stat[n->id]);
        *vt = VT_NUM;
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
    return rc;
}

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

/* The column a label operand reads, or NULL for a string literal. */
static const seg__column *label_col(const binding *b, const node *n)
{
    return n->type == N_COL ? b->col[n->id] : NULL;
}

static int compile(const binding *b, const node *n, prog *p, int *d);

/* Whether n compares a numeric column with a constant. */
static bool col_vs_const(const binding *b, const node *n)
{
    return n->type == N_CMP && b->vt[n->a->id] == VT_NUM &&
           n->a->type == N_COL &&
           (n->b->type == N_NUM || n->b->type == N_STAT);
}

/* Such a comparison as one instruction; with and, it is 'and'-ed into the
 * top of the stack. */
static int emit_col_vs_const(const binding *b, const node *n, prog *p, int *d,
                             bool and)
{
    static const int ops[] = {I_EQ, I_NE, I_LT, I_LE, I_GT, I_GE};
    double k = n->b->type == N_NUM ? n->b->num : b->stat[n->b->id];
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

static int compile(const binding *b, const node *n, prog *p, int *d)
{
    int rc = SEG_OK;
    switch (n->type) {
    case N_NUM:
    case N_BOOL:
        return emit_ins(p, I_NUM, n->num, NULL, NULL, false, d, 1);
    case N_STAT:
        return emit_ins(p, I_NUM, b->stat[n->id], NULL, NULL, false, d, 1);
    case N_COL:
        return emit_ins(p, b->vt[n->id] == VT_NUM ? I_COL : I_LAB, 0,
                        b->col[n->id], NULL, false, d, 1);
    case N_STR: /* a label not compared with a column: never equal */
        return emit_ins(p, I_NUM, -1, NULL, NULL, false, d, 1);
    case N_NEG:
        rc = compile(b, n->a, p, d);
        return rc ? rc : emit_ins(p, I_NEG, 0, NULL, NULL, false, d, 0);
    case N_ARITH:
        rc = compile(b, n->a, p, d);
        if (!rc)
            rc = compile(b, n->b, p, d);
        return rc ? rc
                  : emit_ins(p, n->op == '+' ? I_ADD : n->op == '-' ? I_SUB
                               : n->op == '*' ? I_MUL : I_DIV,
                             0, NULL, NULL, false, d, -1);
    case N_CMP:
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
            rc = compile(b, n->a, p, d);
            if (!rc)
                rc = compile(b, n->b, p, d);
        }
        static const int cmp_op[] = {I_EQ, I_NE, I_LT, I_LE, I_GT, I_GE};
        return rc ? rc : emit_ins(p, cmp_op[n->op], 0, NULL, NULL, false, d, -1);
    case N_IN:
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
        rc = compile(b, n->a, p, d);
        for (size_t i = 0; i < n->nlist && !rc; i++)
            rc = b->vt[n->a->id] == VT_STR
                     ? compile_label(b, n->list[i], n->a, p, d)
                     : compile(b, n->list[i], p, d);
        return rc ? rc : emit_ins(p, I_IN, (double)n->nlist, NULL, NULL,
                                  n->neg, d, -(int)n->nlist);
    case N_BETWEEN:
        rc = compile(b, n->a, p, d);
        if (!rc && (n->b->type == N_NUM || n->b->type == N_STAT) &&
            (n->c->type == N_NUM || n->c->type == N_STAT)) {
            rc = emit_ins(p, I_BETWEENK,
                          n->b->type == N_NUM ? n->b->num : b->stat[n->b->id],
                          NULL, NULL, n->neg, d, 0);
            if (!rc)
                p->code[p->n - 1].k2 =
                    n->c->type == N_NUM ? n->c->num : b->stat[n->c->id];
            return rc;
        }
        if (!rc)
            rc = compile(b, n->b, p, d);
        if (!rc)
            rc = compile(b, n->c, p, d);
        return rc ? rc : emit_ins(p, I_BETWEEN, 0, NULL, NULL, n->neg, d, -2);
    case N_MISSING:
        rc = compile(b, n->a, p, d);
        return rc ? rc : emit_ins(p, I_MISSING, 0, NULL, NULL, n->neg, d, 0);
    case N_NOT:
        rc = compile(b, n->a, p, d);
        return rc ? rc : emit_ins(p, I_NOT, 0, NULL, NULL, false, d, 0);
    default: /* and, or */
        if (n->type == N_AND && (col_vs_const(b, n->a) || col_vs_const(b, n->b))) {
            /* both sides are always computed, so their order is free */
            const node *k = col_vs_const(b, n->b) ? n->b : n->a;
            rc = compile(b, k == n->b ? n->a : n->b, p, d);
            return rc ? rc : emit_col_vs_const(b, k, p, d, true);
        }
        rc = compile(b, n->a, p, d);
        if (!rc)
            rc = compile(b, n->b, p, d);
        return rc ? rc : emit_ins(p, n->type == N_AND ? I_AND : I_OR, 0, NULL,
                                  NULL, false, d, -1);
    }
}

static int compile_all(const seg_rules *r, binding *b)
{
    b->progs = seg__calloc(r->nrules ? r->nrules : 1, sizeof *b->progs);
    if (!b->progs) {
        unbind(b);
        return seg__nomem(&r->err);
    }
    b->nprogs = r->nrules;
    for (size_t i = 0; i < r->nrules; i++) {
        int d = 0;
        if (r->rules[i].cond &&
            compile(b, r->rules[i].cond, &b->progs[i], &d) != SEG_OK) {
            unbind(b);
            return seg__nomem(&r->err);
        }
    }
    return SEG_OK;
}

static int bind(const seg_rules *r, const seg_dataset *ds, binding *b)
{
    memset(b, 0, sizeof *b);
    size_t nn = r->nnodes ? r->nnodes : 1;
    b->col = seg__calloc(nn, sizeof *b->col);
    b->stat = seg__calloc(nn, sizeof *b->stat);
    b->vt = seg__calloc(nn, sizeof *b->vt);
    if (!b->col || !b->stat || !b->vt) {
        unbind(b);
        return seg__nomem(&r->err);
    }
    for (size_t i = 0; i < r->nrules; i++) {
        rule *u = &r->rules[i];
        int rc = bind_node(r, ds, b, u->cond);
        if (!rc && u->cond && b->vt[u->cond->id] != VT_BOOL)
            rc = seg__error(&r->err, SEG_ETYPE, "%s:%d:%d: the condition is "
                            "not true or false (compare it with something)",
                            r->name, u->cond->line, u->cond->col);
        if (rc) {
            unbind(b);
            return rc;
        }
    }
    return compile_all(r, b);
}

/* ---- evaluation: a block of rows at a time ---- */

#define BLOCK 256

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

/* v in (l[0], l[1] ...): l[0] counts the matches, then v becomes the
 * answer (missing v: false, whatever neg says). */
static void in_list(double *restrict v, double (*l)[BLOCK], int k, bool neg)
{
    double *restrict acc = l[0];
    EACH acc[i] = v[i] == acc[i];
    for (int j = 1; j < k; j++) {
        double *restrict e = l[j];
        EACH e[i] = v[i] == e[i];
        EACH acc[i] += e[i];
    }
    if (neg) {
        EACH acc[i] = acc[i] == 0;
        EACH v[i] = v[i] == v[i];
        EACH v[i] *= acc[i];
    } else {
        EACH v[i] = acc[i] != 0;
    }
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
static void run(const prog *p, size_t row0, double (*st)[BLOCK])
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
        case I_IN: {
            int k = (int)in->k;
            in_list(st[sp - k - 1], st + (sp - k), k, in->neg);
            sp -= k;
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
static double (*stack_for(const binding *b))[BLOCK]
{
    int depth = 1;
    for (size_t i = 0; i < b->nprogs; i++)
        if (b->progs[i].depth > depth)
            depth = b->progs[i].depth;
    return seg__malloc((size_t)depth * sizeof(double[BLOCK]));
}

/* Whether rule i holds for one row (explanations). */
static bool holds_row(const binding *b, size_t i, size_t row,
                      double (*st)[BLOCK])
{
    if (b->progs[i].n == 0)
        return true;
    run(&b->progs[i], row, st);
    return st[0][0] != 0;
}

/* The capped points of a customer; per-rule contributions when asked. */
static double score_of(const seg_rules *r, const binding *b, size_t row,
                       double *group_sum, double (*st)[BLOCK])
{
    for (size_t g = 0; g < r->ngroups; g++)
        group_sum[g] = 0;
    double loose = 0, total = 0;
    for (size_t i = 0; i < r->nrules; i++) {
        const rule *u = &r->rules[i];
        if (u->kind != R_POINTS || !holds_row(b, i, row, st))
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

static const char *grade_of(const seg_rules *r, double pts)
{
    uint32_t g = grade_index(r, pts);
    return g ? r->grades[g - 1].label : NULL;
}

int seg_rules_apply(const seg_rules *r, seg_dataset *ds, const char *column)
{
    if (!r || !ds)
        return seg__error(r ? &r->err : NULL, SEG_EINVAL,
                          "seg_rules_apply: NULL argument");
    if (!column)
        column = seg_rules_output(r);
    binding b;
    int rc = bind(r, ds, &b);
    if (rc)
        return rc;
    size_t n = seg__ds_n(ds);
    /* label codes: i + 1 for rule i's label, or for grade i */
    uint32_t *labels = seg__calloc(n ? n : 1, sizeof *labels);
    double *num = seg__malloc((n ? n : 1) * sizeof *num);
    double (*st)[BLOCK] = stack_for(&b);
    double *gs = seg__malloc((r->ngroups + 1) * BLOCK * sizeof *gs);
    if (!labels || !num || !gs || !st)
        rc = seg__nomem(&r->err);
    for (size_t row0 = 0; row0 < n && !rc; row0 += BLOCK) {
        size_t m = n - row0 < BLOCK ? n - row0 : BLOCK;
        if (r->score) {
            /* gs: per group (and a last one for points outside groups) */
            memset(gs, 0, (r->ngroups + 1) * BLOCK * sizeof *gs);
            for (size_t i = 0; i < r->nrules; i++) {
                const rule *u = &r->rules[i];
                if (u->kind != R_POINTS)
                    continue;
                run(&b.progs[i], row0, st);
                double *acc = gs + (size_t)(u->group >= 0 ? (size_t)u->group
                                                          : r->ngroups) * BLOCK;
                for (size_t j = 0; j < m; j++)
                    acc[j] += st[0][j] != 0 ? u->points : 0;
            }
            for (size_t j = 0; j < m; j++) {
                double total = gs[r->ngroups * BLOCK + j];
                for (size_t g = 0; g < r->ngroups; g++)
                    total += fmin(gs[g * BLOCK + j], r->groups[g].cap);
                num[row0 + j] = fmin(total, r->total_cap);
                labels[row0 + j] = grade_index(r, num[row0 + j]);
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
            run(&b.progs[i], row0, st);
            if (!take(lab, st[0], (double)(i + 1)))
                break;
        }
        for (size_t j = 0; j < m; j++) {
            labels[row0 + j] = (uint32_t)lab[j];
            num[row0 + j] = lab[j] != 0 ? lab[j] : NAN;
        }
    }
    char aux[512];
    snprintf(aux, sizeof aux, "%s.%s", column, r->score ? "points" : "rule");
    size_t nn = r->score ? r->ngrades : r->nrules;
    const char **names = seg__malloc((nn ? nn : 1) * sizeof *names);
    if (!rc && !names)
        rc = seg__nomem(&r->err);
    for (size_t i = 0; i < nn && !rc; i++)
        names[i] = r->score ? r->grades[i].label : r->rules[i].label;
    /* both columns can be put, or neither is */
    if (!rc && !(rc = seg__ds_check_put(ds, column, SEG_COLUMN_LABEL)) &&
        !(rc = seg__ds_check_put(ds, aux, SEG_COLUMN_NUMERIC)) &&
        !(rc = seg__ds_put_label_codes(ds, column, names, nn, labels))) {
        labels = NULL;
        if (!(rc = seg__ds_put_num_column(ds, aux, SEG__ORIGIN_USER, num)))
            num = NULL;
    }
    seg__free(names);
    if (rc && rc != SEG_ENOMEM)
        seg__error(&r->err, rc, "%s", seg_dataset_errmsg(ds));
    seg__free(labels);
    seg__free(num);
    seg__free(gs);
    seg__free(st);
    unbind(&b);
    return rc;
}

/* ---- explanations ---- */

typedef struct out {
    seg__buf b;
    bool json;
} out;

static int put(out *o, const char *fmt, ...) SEG__PRINTF(2, 3);
static int put(out *o, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SEG_EINVAL;
    if ((size_t)n >= sizeof line)
        n = sizeof line - 1;
    return seg__buf_append(&o->b, line, (size_t)n) ? SEG_ENOMEM : SEG_OK;
}

static int put_json_str(out *o, const char *s)
{
    int rc = seg__buf_append(&o->b, "\"", 1);
    for (; !rc && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            rc = put(o, "\\%c", c);
        else if (c < 0x20)
            rc = put(o, "\\u%04x", c);
        else
            rc = seg__buf_append(&o->b, s, 1);
    }
    return rc ? SEG_ENOMEM : seg__buf_append(&o->b, "\"", 1);
}

/* Every distinct column a condition reads, with its value. */
static int columns_read(out *o, const binding *b, const node *n, size_t row,
                        bool *first, const char ***seen, size_t *nseen,
                        size_t *cap)
{
    if (!n)
        return SEG_OK;
    int rc = SEG_OK;
    if (n->type == N_COL) {
        for (size_t i = 0; i < *nseen; i++)
            if (strcmp((*seen)[i], n->str) == 0)
                return SEG_OK;
        if (seg__grow((void **)seen, cap, *nseen + 1, sizeof **seen))
            return SEG_ENOMEM;
        (*seen)[(*nseen)++] = n->str;
        double vn = NAN;
        const char *vs = NULL;
        if (b->vt[n->id] == VT_NUM)
            vn = seg__column_num(b->col[n->id], row);
        else
            vs = seg__column_label(b->col[n->id], row);
        char num[40];
        const char *text;
        if (b->vt[n->id] == VT_NUM) {
            if (isnan(vn))
                text = NULL;
            else {
                seg__format_f64(num, vn);
                text = num;
            }
        } else {
            text = vs;
        }
        if (o->json) {
            rc = put(o, "%s", *first ? "" : ",");
            if (!rc)
                rc = put_json_str(o, n->str);
            if (!rc)
                rc = put(o, ":");
            if (!rc)
                rc = !text ? put(o, "null")
                     : b->vt[n->id] == VT_NUM ? put(o, "%s", text)
                                              : put_json_str(o, text);
        } else {
            rc = put(o, "%s%s = %s%s%s", *first ? "" : ", ", n->str,
                     text && b->vt[n->id] == VT_STR ? "\"" : "",
                     text ? text : "missing",
                     text && b->vt[n->id] == VT_STR ? "\"" : "");
        }
        *first = false;
        return rc;
    }
    rc = columns_read(o, b, n->a, row, first, seen, nseen, cap);
    if (!rc)
        rc = columns_read(o, b, n->b, row, first, seen, nseen, cap);
    if (!rc)
        rc = columns_read(o, b, n->c, row, first, seen, nseen, cap);
    for (size_t i = 0; i < n->nlist && !rc; i++)
        rc = columns_read(o, b, n->list[i], row, first, seen, nseen, cap);
    return rc;
}

static int explain_columns(out *o, const binding *b, const node *n, size_t row)
{
    bool first = true;
    const char **seen = NULL;
    size_t nseen = 0, cap = 0;
    int rc = columns_read(o, b, n, row, &first, &seen, &nseen, &cap);
    seg__free(seen);
    return rc;
}

int seg_rules_explain(const seg_rules *r, const seg_dataset *ds, size_t row,
                      int format, seg_write_fn write, void *user_data)
{
    if (!r || !ds || !write)
        return seg__error(r ? &r->err : NULL, SEG_EINVAL,
                          "seg_rules_explain: NULL argument");
    if (format != SEG_FORMAT_TEXT && format != SEG_FORMAT_JSON)
        return seg__error(&r->err, SEG_EINVAL, "explanations are text or "
                          "JSON");
    if (row >= seg__ds_n(ds))
        return seg__error(&r->err, SEG_ERANGE, "row %zu out of range", row);
    binding b;
    int rc = bind(r, ds, &b);
    if (rc)
        return rc;
    out o = {{NULL, 0, 0}, format == SEG_FORMAT_JSON};
    const char *id = seg__ds_id(ds, row);
    double *gs = seg__malloc((r->ngroups ? r->ngroups : 1) * sizeof *gs);
    double (*st)[BLOCK] = stack_for(&b);
    if (!gs || !st)
        rc = SEG_ENOMEM;
    if (!rc && o.json) {
        rc = put(&o, "{\"customer_id\":");
        if (!rc)
            rc = put_json_str(&o, id);
        if (!rc)
            rc = put(&o, ",\"rules\":%s,", r->score ? "\"score\"" : "\"tier\"");
    } else if (!rc) {
        rc = put(&o, "customer %s\n", id);
    }
    if (!rc && !r->score) {
        size_t hit = r->nrules;
        for (size_t i = 0; i < r->nrules && hit == r->nrules; i++)
            if (holds_row(&b, i, row, st))
                hit = i;
        if (hit == r->nrules) {
            rc = o.json ? put(&o, "\"tier\":null,\"rule\":null}\n")
                        : put(&o, "no rule matched: no tier\n");
        } else {
            const rule *u = &r->rules[hit];
            if (o.json) {
                rc = put(&o, "\"tier\":");
                if (!rc)
                    rc = put_json_str(&o, u->label);
                if (!rc)
                    rc = put(&o, ",\"rule\":%zu,\"line\":%d,\"values\":{",
                             hit + 1, u->line);
                if (!rc)
                    rc = explain_columns(&o, &b, u->cond, row);
                if (!rc)
                    rc = put(&o, "}}\n");
            } else {
                rc = put(&o, "tier \"%s\" by rule %zu (line %d)%s", u->label,
                         hit + 1, u->line,
                         u->kind == R_OTHERWISE ? ": no other tier matched\n"
                                                : ": ");
                if (!rc && u->cond)
                    rc = explain_columns(&o, &b, u->cond, row);
                if (!rc && u->cond)
                    rc = put(&o, "\n");
            }
        }
    } else if (!rc) {
        double pts = score_of(r, &b, row, gs, st);
        const char *g = grade_of(r, pts);
        rc = o.json ? put(&o, "\"contributions\":[") : SEG_OK;
        bool first = true;
        for (size_t i = 0; i < r->nrules && !rc; i++) {
            const rule *u = &r->rules[i];
            if (u->kind != R_POINTS)
                continue;
            bool on = holds_row(&b, i, row, st);
            const char *gname = u->group >= 0 ? r->groups[u->group].name : "";
            if (o.json) {
                rc = put(&o, "%s{\"line\":%d,\"group\":", first ? "" : ",",
                         u->line);
                if (!rc)
                    rc = put_json_str(&o, gname);
                if (!rc)
                    rc = put(&o, ",\"points\":%g,\"matched\":%s,\"values\":{",
                             on ? u->points : 0.0, on ? "true" : "false");
                if (!rc)
                    rc = explain_columns(&o, &b, u->cond, row);
                if (!rc)
                    rc = put(&o, "}}");
            } else {
                rc = put(&o, "  %+g %s (line %d%s%s): ", on ? u->points : 0.0,
                         on ? "matched" : "not matched", u->line,
                         *gname ? ", group " : "", gname);
                if (!rc)
                    rc = explain_columns(&o, &b, u->cond, row);
                if (!rc)
                    rc = put(&o, "\n");
            }
            first = false;
        }
        if (!rc && o.json) {
            rc = put(&o, "],\"groups\":{");
            for (size_t gi = 0; gi < r->ngroups && !rc; gi++) {
                rc = put(&o, "%s", gi ? "," : "");
                if (!rc)
                    rc = put_json_str(&o, r->groups[gi].name);
                if (!rc)
                    rc = put(&o, ":{\"points\":%g,\"cap\":", gs[gi]);
                if (!rc)
                    rc = isinf(r->groups[gi].cap)
                             ? put(&o, "null}")
                             : put(&o, "%g}", r->groups[gi].cap);
            }
            if (!rc)
                rc = put(&o, "},\"points\":%g,\"grade\":", pts);
            if (!rc)
                rc = g ? put_json_str(&o, g) : put(&o, "null");
            if (!rc)
                rc = put(&o, "}\n");
        } else if (!rc) {
            for (size_t gi = 0; gi < r->ngroups && !rc; gi++)
                if (gs[gi] > r->groups[gi].cap)
                    rc = put(&o, "  group %s: %g points, capped at %g\n",
                             r->groups[gi].name, gs[gi], r->groups[gi].cap);
            if (!rc)
                rc = put(&o, "total %g points%s: grade %s\n", pts,
                         isinf(r->total_cap) ? "" : " (after the total cap)",
                         g ? g : "none");
        }
    }
    if (rc == SEG_ENOMEM)
        rc = seg__nomem(&r->err);
    if (!rc && write(o.b.data, o.b.len, user_data) != 0)
        rc = seg__error(&r->err, SEG_EIO, "explain: the writer stopped");
    seg__buf_free(&o.b);
    seg__free(gs);
    seg__free(st);
    unbind(&b);
    return rc;
}

/* ---- the call list ---- */

void seg_call_list_options_init(seg_call_list_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->tier_column = "tier";
    o->contact_kind = "call";
    o->as_of = SEG_TIME_NONE;
}

typedef struct cand {
    size_t row;
    double priority, value, last;
    const char *tier;
} cand;

static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    bool xn = isnan(x->value), yn = isnan(y->value);
    if (xn != yn)
        return xn ? 1 : -1;
    if (!xn && x->value != y->value)
        return x->value > y->value ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

int seg_rules_call_list(const seg_rules *r, const seg_dataset *ds,
                        const seg_call_list_options *opts, seg_write_fn write,
                        void *user_data)
{
    if (!r || !ds || !write)
        return seg__error(r ? &r->err : NULL, SEG_EINVAL,
                          "seg_rules_call_list: NULL argument");
    if (r->score)
        return seg__error(&r->err, SEG_EMISUSE, "a call list needs a tier "
                          "rule set, not a score rule set");
    seg_call_list_options o;
    seg_call_list_options_init(&o);
    if (opts && seg__copy_opts(&o, sizeof o, opts))
        return seg__error(&r->err, SEG_EINVAL, "seg_call_list_options.size "
                          "is 0");
    const seg__column *tier = o.tier_column
                                  ? seg__ds_find_column(ds, o.tier_column)
                                  : NULL;
    const seg__column *value = o.value_column
                                   ? seg__ds_find_column(ds, o.value_column)
                                   : NULL;
    const seg__column *excl = o.exclude_column
                                  ? seg__ds_find_column(ds, o.exclude_column)
                                  : NULL;
    if (!tier || tier->type != SEG_COLUMN_LABEL)
        return seg__error(&r->err, SEG_ENOTFOUND, "no tier column '%s': "
                          "apply the rules first", o.tier_column ? o.tier_column : "");
    if (o.value_column && (!value || value->type != SEG_COLUMN_NUMERIC))
        return seg__error(&r->err, SEG_ENOTFOUND, "no numeric column '%s'",
                          o.value_column);
    if (o.exclude_column && !excl)
        return seg__error(&r->err, SEG_ENOTFOUND, "no column '%s'",
                          o.exclude_column);
    int64_t as_of = o.as_of == SEG_TIME_NONE
                        ? seg__ds_max_time(ds)
                        : o.as_of;
    size_t n = seg__ds_n(ds);
    double *last = seg__malloc((n ? n : 1) * sizeof *last);
    cand *c = seg__malloc((n ? n : 1) * sizeof *c);
    if (!last || !c) {
        seg__free(last);
        seg__free(c);
        return seg__nomem(&r->err);
    }
    for (size_t i = 0; i < n; i++)
        last[i] = NAN;
    uint32_t kind;
    if (o.contact_kind &&
        seg__ds_kind_find(ds, o.contact_kind, strlen(o.contact_kind),
                          &kind)) {
        seg__ev_view ev = seg__ds_ev(ds);
        for (size_t i = 0; i < ev.n; i++)
            if (ev.kind[i] == kind && ev.time[i] <= as_of &&
                !(ev.time[i] <= last[ev.cust[i]]))
                last[ev.cust[i]] = (double)ev.time[i];
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *t = seg__column_label(tier, i);
        if (!t)
            continue;
        const rule *u = NULL;
        for (size_t j = 0; j < r->nrules && !u; j++)
            if (strcmp(r->rules[j].label, t) == 0)
                u = &r->rules[j];
        if (!u || u->priority == 0)
            continue;
        if (excl) {
            bool excluded = excl->type == SEG_COLUMN_NUMERIC
                           ? seg__column_num(excl, i) != 0 &&
                                 !isnan(seg__column_num(excl, i))
                           : seg__column_label(excl, i) &&
                                 *seg__column_label(excl, i);
            if (excluded)
                continue;
        }
        if (u->cadence > 0 && !isnan(last[i]) &&
            ((double)as_of - last[i]) < u->cadence * 86400)
            continue;
        c[k].row = i;
        c[k].priority = u->priority;
        c[k].value = value ? seg__column_num(value, i) : NAN;
        c[k].last = last[i];
        c[k].tier = t;
        k++;
    }
    qsort(c, k, sizeof *c, cmp_cand);
    if (o.capacity && k > o.capacity)
        k = o.capacity;
    seg__buf b = {NULL, 0, 0};
    static const char header[] = "rank,customer_id,tier,priority,value,"
                                 "last_contact\n";
    int rc = seg__buf_append(&b, header, sizeof header - 1) ? SEG_ENOMEM
                                                            : SEG_OK;
    for (size_t i = 0; i < k && !rc; i++) {
        char head[64], tail[128], v[40] = "", when[32] = "";
        if (!isnan(c[i].value))
            seg__format_f64(v, c[i].value);
        if (!isnan(c[i].last))
            seg_time_format_iso(when, sizeof when, (int64_t)c[i].last);
        int hn = snprintf(head, sizeof head, "%zu,", i + 1);
        int tn = snprintf(tail, sizeof tail, ",%g,%s,%s\n", c[i].priority, v,
                          when);
        if (seg__buf_append(&b, head, (size_t)hn) ||
            seg__csv_field(&b, seg__ds_id(ds, c[i].row)) ||
            seg__buf_append(&b, ",", 1) || seg__csv_field(&b, c[i].tier) ||
            seg__buf_append(&b, tail, (size_t)tn))
            rc = SEG_ENOMEM;
    }
    if (rc)
        rc = seg__nomem(&r->err);
    else if (write(b.data, b.len, user_data) != 0)
        rc = seg__error(&r->err, SEG_EIO, "call list: the writer stopped");
    seg__buf_free(&b);
    seg__free(last);
    seg__free(c);
    return rc;
}
