/* The parser of the rule language: expressions by precedence climbing,
 * statements, and seg_rules_parse(). The grammar is in docs/rules.md. */
#include <math.h>
#include <string.h>

#include "rules/internal.h"

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
static bool deeper(parser *ps);

/* One argument of a statistic: a column name. */
static node *column_arg(parser *ps)
{
    if (ps->tok.type != T_IDENT) {
        seg__expected(ps, "a column name");
        return NULL;
    }
    node *c = mk(ps, N_COL, ps->tok.line, ps->tok.col);
    if (c && !(c->str = seg__strndup(ps->tok.p, ps->tok.n)))
        ps->rc = seg__nomem(NULL);
    seg__next(ps);
    return ps->rc ? NULL : c;
}

/* A function call, at the '(' after its name t: a statistic takes column
 * names, a per-row function expressions. */
static node *call(parser *ps, token t, const char *name)
{
    double param;
    const seg__func *fn = seg__func_find(name, &param);
    if (!fn) {
        seg__func_unknown(ps, t.line, t.col, name);
        return NULL;
    }
    node *n = mk(ps, fn->kind == FN_STAT ? N_STAT : N_CALL, t.line, t.col);
    if (!n)
        return NULL;
    n->fn = fn;
    n->num = param;
    size_t cap = 0;
    if (!deeper(ps))
        return NULL;
    seg__next(ps);
    while (!seg__is_op(ps, ")")) {
        node *v = fn->kind != FN_ROW ? column_arg(ps) : expr(ps);
        if (ps->rc)
            return NULL;
        if (seg__grow((void **)&n->list, &cap, n->nlist + 1,
                      sizeof *n->list)) {
            ps->rc = seg__nomem(NULL);
            return NULL;
        }
        n->list[n->nlist++] = v;
        if (!seg__is_op(ps, ","))
            break;
        seg__next(ps);
    }
    ps->depth--;
    if (!seg__is_op(ps, ")"))
        return seg__expected(ps, n->nlist < (size_t)fn->max_args
                                     ? "',' or ')'" : "')'"), NULL;
    if (n->nlist < (size_t)fn->min_args || n->nlist > (size_t)fn->max_args) {
        if (fn->min_args == fn->max_args)
            seg__perr(ps, t.line, t.col, "%s() takes %d argument%s", name,
                      fn->min_args, fn->min_args == 1 ? "" : "s");
        else
            seg__perr(ps, t.line, t.col, "%s() takes %d to %d arguments",
                      name, fn->min_args, fn->max_args);
        return NULL;
    }
    seg__next(ps);
    if (fn->kind == FN_COLUMN && seg__func_as_column(n))
        ps->rc = seg__nomem(NULL);
    return ps->rc ? NULL : n;
}

static node *primary(parser *ps)
{
    token t = ps->tok;
    if (ps->rc)
        return NULL;
    if (t.type == T_NUM) {
        node *n = mk(ps, N_NUM, t.line, t.col);
        if (n) {
            n->num = t.num;
            n->lit = t.lit;
        }
        seg__next(ps);
        return n;
    }
    if (t.type == T_STR) {
        node *n = mk(ps, N_STR, t.line, t.col);
        if (n) {
            n->str = ps->tok.str;
            ps->tok.str = NULL;
        }
        seg__next(ps);
        return n;
    }
    if (seg__is_op(ps, "(")) {
        if (!deeper(ps))
            return NULL;
        seg__next(ps);
        node *n = expr(ps);
        ps->depth--;
        if (!ps->rc && !seg__is_op(ps, ")"))
            seg__expected(ps, "')'");
        seg__next(ps);
        return n;
    }
    if (t.type == T_IDENT) {
        if (seg__is_word(ps, "as_of") && !t.quoted) {
            seg__next(ps);
            return mk(ps, N_ASOF, t.line, t.col);
        }
        if (seg__is_word(ps, "true") || seg__is_word(ps, "false")) {
            node *n = mk(ps, N_BOOL, t.line, t.col);
            if (n)
                n->num = seg__is_word(ps, "true");
            seg__next(ps);
            return n;
        }
        char *name = seg__strndup(t.p, t.n);
        if (!name) {
            ps->rc = seg__nomem(NULL);
            return NULL;
        }
        seg__next(ps);
        if (!seg__is_op(ps, "(")) {
            node *n = mk(ps, N_COL, t.line, t.col);
            if (n)
                n->str = name;
            else
                seg__free(name);
            return n;
        }
        node *n = call(ps, t, name);
        seg__free(name);
        return n;
    }
    seg__expected(ps, "a number, a string, a column or '('");
    return NULL;
}

/* One level deeper into parentheses, a function's arguments, a unary
 * minus or a 'not'; false, with the error set, past MAX_DEPTH (hostile
 * input nests without end). Only these nest: the passes after the parser
 * recurse on them alone, and walk chains of operators with a heap stack. */
static bool deeper(parser *ps)
{
    if (++ps->depth <= MAX_DEPTH)
        return true;
    if (!ps->rc)
        ps->rc = seg__error(NULL, SEG_ELIMIT, "%s:%d:%d: nested more than %d "
                            "deep (parentheses, function calls, 'not' and "
                            "unary '-')", ps->r->name, ps->tok.line,
                            ps->tok.col, MAX_DEPTH);
    return false;
}

static node *unary(parser *ps)
{
    node *n;
    if (seg__is_op(ps, "-")) {
        token t = ps->tok;
        if (!deeper(ps))
            return NULL;
        seg__next(ps);
        n = mk(ps, N_NEG, t.line, t.col);
        node *a = unary(ps);
        ps->depth--;
        if (n)
            n->a = a;
    } else {
        n = primary(ps);
    }
    return ps->rc ? NULL : n;
}

/* A left-associative chain of o1/o2 operators over sub. With stop_at_bol, an
 * operator that begins a line ends the chain: a '+' or '-' there begins a
 * points rule, not a sum. */
static node *binary(parser *ps, node *(*sub)(parser *), const char *o1,
                    const char *o2, int type, bool stop_at_bol)
{
    node *a = sub(ps);
    while (!ps->rc && (seg__is_op(ps, o1) || seg__is_op(ps, o2)) &&
           !(stop_at_bol && ps->tok.bol)) {
        token t = ps->tok;
        seg__next(ps);
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
        if (seg__is_op(ps, cmps[i].s)) {
            seg__next(ps);
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
    if (seg__is_word(ps, "is")) {
        seg__next(ps);
        node *n = mk(ps, N_MISSING, t.line, t.col);
        if (!n)
            return NULL;
        n->a = a;
        if (seg__is_word(ps, "not")) {
            n->neg = true;
            seg__next(ps);
        }
        if (!seg__is_word(ps, "missing"))
            seg__expected(ps, "'missing' after 'is'");
        seg__next(ps);
        return ps->rc ? NULL : n;
    }
    bool neg = false;
    if (seg__is_word(ps, "not")) {
        neg = true;
        seg__next(ps);
        if (!seg__is_word(ps, "in") && !seg__is_word(ps, "between") &&
            !seg__is_word(ps, "within"))
            return seg__expected(ps, "'in', 'between' or 'within' after "
                                 "'not'"), NULL;
    }
    if (seg__is_word(ps, "within")) {
        seg__next(ps);
        node *n = mk(ps, N_WITHIN, t.line, t.col);
        if (!n)
            return NULL;
        n->a = a;
        n->neg = neg;
        if (ps->tok.type != T_NUM || ps->tok.lit != LIT_DUR)
            return seg__expected(ps, "a duration such as 7d after "
                                 "'within'"), NULL;
        n->b = primary(ps);
        return ps->rc ? NULL : n;
    }
    if (seg__is_word(ps, "in")) {
        seg__next(ps);
        node *n = mk(ps, N_IN, t.line, t.col);
        if (!n)
            return NULL;
        n->a = a;
        n->neg = neg;
        if (!seg__is_op(ps, "(")) { /* "x" in a list-valued column */
            if (ps->tok.type != T_IDENT)
                return seg__expected(ps, "'(' or a column after 'in'"), NULL;
            n->b = sum(ps);
            return ps->rc ? NULL : n;
        }
        size_t cap = 0;
        do {
            seg__next(ps);
            node *v = sum(ps);
            if (ps->rc)
                return NULL;
            if (seg__grow((void **)&n->list, &cap, n->nlist + 1,
                          sizeof *n->list)) {
                ps->rc = seg__nomem(NULL);
                return NULL;
            }
            n->list[n->nlist++] = v;
        } while (seg__is_op(ps, ","));
        if (!seg__is_op(ps, ")"))
            return seg__expected(ps, "',' or ')' in the list"), NULL;
        seg__next(ps);
        return n;
    }
    if (seg__is_word(ps, "between")) {
        seg__next(ps);
        node *n = mk(ps, N_BETWEEN, t.line, t.col);
        if (!n)
            return NULL;
        n->a = a;
        n->neg = neg;
        n->b = sum(ps);
        if (!ps->rc && !seg__is_word(ps, "and"))
            return seg__expected(ps, "'and' in 'between ... and ...'"), NULL;
        seg__next(ps);
        n->c = sum(ps);
        return ps->rc ? NULL : n;
    }
    return a;
}

static node *negation(parser *ps)
{
    if (seg__is_word(ps, "not")) {
        token t = ps->tok;
        if (!deeper(ps))
            return NULL;
        seg__next(ps);
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
    while (!ps->rc && seg__is_word(ps, "and")) {
        token t = ps->tok;
        seg__next(ps);
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
    node *a = conjunction(ps);
    while (!ps->rc && seg__is_word(ps, "or")) {
        token t = ps->tok;
        seg__next(ps);
        node *n = mk(ps, N_OR, t.line, t.col);
        node *b = conjunction(ps);
        if (!n)
            break;
        n->a = a;
        n->b = b;
        a = n;
    }
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
        seg__expected(ps, what);
        return NULL;
    }
    char *s = ps->tok.str;
    ps->tok.str = NULL;
    if (!seg__utf8_valid(s, strlen(s))) {
        seg__perr(ps, ps->tok.line, ps->tok.col, "the string is not valid UTF-8");
        seg__free(s);
        return NULL;
    }
    seg__next(ps);
    return s;
}

static double take_number(parser *ps, const char *what)
{
    bool neg = false;
    if (seg__is_op(ps, "-")) {
        neg = true;
        seg__next(ps);
    }
    if (ps->tok.type != T_NUM) {
        seg__expected(ps, what);
        return NAN;
    }
    double v = ps->tok.num;
    seg__next(ps);
    return neg ? -v : v;
}

static void metadata(parser *ps, rule *u)
{
    for (;;) {
        if (ps->rc)
            return;
        if (seg__is_word(ps, "priority")) {
            seg__next(ps);
            u->priority = take_number(ps, "a priority (1 = first)");
            if (!ps->rc && !(u->priority >= 1 && u->priority <= 1e9))
                seg__perr(ps, ps->tok.line, ps->tok.col, "a priority is a number "
                          "from 1 (first)");
        } else if (seg__is_word(ps, "cadence")) {
            seg__next(ps);
            u->cadence = take_number(ps, "a cadence such as 7d");
            if (!ps->rc && !(u->cadence >= 0 && u->cadence <= 1e6))
                seg__perr(ps, ps->tok.line, ps->tok.col, "a cadence is a duration "
                          "of zero or more days");
        } else if (seg__is_word(ps, "tags") || seg__is_word(ps, "tag")) {
            do {
                seg__next(ps);
                char *s = take_string(ps, "a tag in quotes");
                if (!s)
                    return;
                if (seg__grow((void **)&u->tags, &u->captags, u->ntags + 1,
                              sizeof *u->tags)) {
                    seg__free(s);
                    ps->rc = seg__nomem(NULL);
                    return;
                }
                u->tags[u->ntags++] = s;
            } while (seg__is_op(ps, ","));
        } else {
            return;
        }
    }
}

static int statement(parser *ps)
{
    seg_rules *r = ps->r;
    token t = ps->tok;
    if (seg__is_word(ps, "tier")) {
        if (r->score)
            return seg__perr(ps, t.line, t.col, "'tier' in a score rule set");
        seg__next(ps);
        rule *u = add_rule(ps, R_TIER);
        if (!u || !(u->label = take_string(ps, "the tier's label in quotes")))
            return ps->rc;
        if (!seg__is_word(ps, "when"))
            return seg__expected(ps, "'when' after the tier's label");
        seg__next(ps);
        u->cond = expr(ps);
        metadata(ps, u);
    } else if (seg__is_word(ps, "otherwise")) {
        if (r->score)
            return seg__perr(ps, t.line, t.col,
                              "'otherwise' in a score rule set");
        seg__next(ps);
        rule *u = add_rule(ps, R_OTHERWISE);
        if (!u || !(u->label = take_string(ps, "the default label in quotes")))
            return ps->rc;
        metadata(ps, u);
        if (!ps->rc && ps->tok.type != T_EOF)
            seg__expected(ps, "nothing after 'otherwise' (it is the last rule)");
    } else if (seg__is_word(ps, "score")) {
        if (r->nrules)
            return seg__perr(ps, t.line, t.col, "'score' must come first");
        r->score = true;
        seg__next(ps);
    } else if (seg__is_word(ps, "output")) {
        seg__next(ps);
        char *s = take_string(ps, "the output column's name in quotes");
        if (s) {
            seg__free(r->output);
            r->output = s;
        }
    } else if (seg__is_word(ps, "group")) {
        if (!r->score)
            return seg__perr(ps, t.line, t.col,
                              "'group' outside a score rule set (begin with "
                              "'score')");
        seg__next(ps);
        if (ps->tok.type != T_IDENT && ps->tok.type != T_STR)
            return seg__expected(ps, "a group name");
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
        seg__next(ps);
        if (seg__is_word(ps, "cap")) {
            seg__next(ps);
            g->cap = take_number(ps, "the group's cap");
        }
        if (seg__is_op(ps, ":"))
            seg__next(ps);
    } else if (seg__is_op(ps, "+") || seg__is_op(ps, "-")) {
        if (!r->score)
            return seg__perr(ps, t.line, t.col,
                              "points outside a score rule set (begin with "
                              "'score')");
        double sign = seg__is_op(ps, "-") ? -1 : 1;
        seg__next(ps);
        rule *u = add_rule(ps, R_POINTS);
        if (!u)
            return ps->rc;
        u->points = sign * take_number(ps, "a number of points");
        u->group = (int)r->ngroups - 1;
        if (!ps->rc && !seg__is_word(ps, "when"))
            return seg__expected(ps, "'when' after the points");
        seg__next(ps);
        u->cond = expr(ps);
    } else if (seg__is_word(ps, "cap")) {
        if (!r->score)
            return seg__perr(ps, t.line, t.col, "'cap' outside a score rule "
                              "set");
        seg__next(ps);
        r->total_cap = take_number(ps, "the total cap");
    } else if (seg__is_word(ps, "grade")) {
        if (!r->score)
            return seg__perr(ps, t.line, t.col, "'grade' outside a score "
                              "rule set");
        seg__next(ps);
        char *label = take_string(ps, "the grade's label in quotes");
        if (!label)
            return ps->rc;
        if (!seg__is_op(ps, ">=")) {
            seg__free(label);
            return seg__expected(ps, "'>=' and the points of the grade");
        }
        seg__next(ps);
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
        seg__expected(ps, "a statement (tier, otherwise, score, group, +N, -N, "
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
        seg__perr(&ps, line, seg__col_of(&ps, p), "invalid UTF-8 (or a NUL byte)");
    }
    if (!ps.rc)
        seg__next(&ps);
    while (!ps.rc && ps.tok.type != T_EOF)
        statement(&ps);
    seg__free(ps.tok.str);
    if (!ps.rc && r->nrules == 0)
        seg__perr(&ps, ps.tok.line, ps.tok.col, "no rules: write 'tier \"LABEL\" "
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
