/* The lexer of the rule language: tokens, their places (line, column in
 * characters), and the error at a place. */
#include <stdio.h>
#include <string.h>

#include "rules/internal.h"

int seg__perr(parser *ps, int line, int col, const char *fmt, ...)
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
int seg__col_of(parser *ps, const char *p)
{
    if (!ps->cpos || ps->cpos < ps->line_start || ps->cpos > p) {
        ps->cpos = ps->line_start;
        ps->ccol = 1;
    }
    for (; ps->cpos < p; ps->cpos++)
        ps->ccol += ((unsigned char)*ps->cpos & 0xC0) != 0x80;
    return ps->ccol;
}

/* The length of the duration unit at p (h, d, w, mo, y) and its days,
 * or 0. A month and a year are the Gregorian calendar's means. */
static size_t duration_unit(const parser *ps, const char *p, double *days)
{
    static const struct { const char *s; double days; } units[] = {
        {"mo", 365.2425 / 12}, {"h", 1.0 / 24}, {"d", 1}, {"w", 7},
        {"y", 365.2425}};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        size_t l = strlen(units[i].s);
        if ((size_t)(ps->end - p) >= l && memcmp(p, units[i].s, l) == 0 &&
            (p + l == ps->end || !is_ident_char((unsigned char)p[l]))) {
            *days = units[i].days;
            return l;
        }
    }
    return 0;
}

/* A number at s: a date YYYY-MM-DD, a decimal, or a duration (30d, 12w,
 * 6mo, 1y, 6h) in days. */
static void lex_number(parser *ps, token *t, const char *s)
{
    /* a date YYYY-MM-DD */
    if (ps->end - s >= 10 && s[4] == '-' && s[7] == '-' &&
        strspn(s, "0123456789") == 4 && (ps->end - s == 10 ||
                                         !is_ident_char((unsigned char)s[10]))) {
        int64_t tm;
        if (seg_time_parse(&tm, s, 10, SEG_TIME_ISO8601) != SEG_OK) {
            seg__perr(ps, t->line, t->col, "'%.10s' is not a valid date", s);
            t->type = T_EOF;
            return;
        }
        t->type = T_NUM;
        t->num = (double)tm;
        t->lit = LIT_DATE;
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
        seg__perr(ps, t->line, t->col, "a number of more than %d characters",
                  MAX_LITERAL);
        t->type = T_EOF;
        return;
    }
    int rc = seg__parse_f64(s, t->n, &t->num);
    if (rc) {
        int shown = t->n < 40 ? (int)t->n : 40;
        seg__perr(ps, t->line, t->col, rc == SEG_ERANGE
                                      ? "'%.*s' is out of range"
                                      : "'%.*s' is not a number",
             shown, s);
        t->type = T_EOF;
        return;
    }
    double days;
    size_t ul = duration_unit(ps, ps->p, &days);
    if (ul) {
        t->num *= days;
        t->lit = LIT_DUR;
        ps->p += ul;
        t->n += ul;
    }
    if (ps->p < ps->end && is_ident_start((unsigned char)*ps->p))
        seg__perr(ps, t->line, t->col, "'%.*s' is not a number or a duration "
                  "(30d, 12w, 6mo, 1y, 6h)", (int)(ps->p - s + 1), s);
}

/* A string at s in quotes q, a doubled quote standing for one. */
static void lex_string(parser *ps, token *t, const char *s, char quote)
{
    seg__buf b = {NULL, 0, 0};
    const char *q = s + 1;
    for (;; q++) {
        if (q >= ps->end || *q == '\n') {
            seg__buf_free(&b);
            seg__perr(ps, t->line, t->col, "a string is not closed");
            t->type = T_EOF;
            return;
        }
        if (*q == quote) {
            if (q + 1 < ps->end && q[1] == quote) { /* doubled quote */
                q++;
            } else {
                break;
            }
        }
        bool too_long = b.len >= MAX_LITERAL;
        if (too_long || seg__buf_append(&b, q, 1)) {
            seg__buf_free(&b);
            if (too_long)
                seg__perr(ps, t->line, t->col, "a string of more than %d "
                          "bytes", MAX_LITERAL);
            else if (!ps->rc)
                ps->rc = seg__nomem(NULL);
            t->type = T_EOF;
            return;
        }
    }
    if (!b.data && seg__buf_append(&b, "", 0)) {
        if (!ps->rc)
            ps->rc = seg__nomem(NULL);
        t->type = T_EOF;
        return;
    }
    t->type = T_STR;
    t->str = b.data;
    ps->p = q + 1;
    t->n = (size_t)(ps->p - s);
}

void seg__next(parser *ps)
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
    t->col = seg__col_of(ps, ps->p);
    t->n = 0;
    t->lit = LIT_PLAIN;
    t->quoted = false;
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
            seg__perr(ps, t->line, t->col, "a `quoted name` is not closed");
            t->type = T_EOF;
            return;
        }
        t->type = T_IDENT;
        t->quoted = true;
        t->p = s + 1;
        t->n = (size_t)(e - s - 1);
        ps->p = e + 1;
        if (t->n == 0)
            seg__perr(ps, t->line, t->col, "an empty `quoted name`");
        return;
    }
    if (c >= '0' && c <= '9') {
        lex_number(ps, t, s);
        return;
    }
    if (c == '"' || c == '\'') {
        lex_string(ps, t, s, (char)c);
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
    seg__perr(ps, t->line, t->col, "unexpected character '%.*s'",
              (int)(c >= 0x80 ? 1 : 1), s);
    t->type = T_EOF;
}

bool seg__is_word(const parser *ps, const char *w)
{
    return ps->tok.type == T_IDENT && ps->tok.n == strlen(w) &&
           memcmp(ps->tok.p, w, ps->tok.n) == 0;
}

bool seg__is_op(const parser *ps, const char *o)
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

int seg__expected(parser *ps, const char *what)
{
    char b[64];
    return seg__perr(ps, ps->tok.line, ps->tok.col, "expected %s, found %s", what,
                     describe(ps, b, sizeof b));
}
