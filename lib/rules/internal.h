/* The rule language inside lib/rules: tokens, the syntax tree, the rule
 * set, and a rule set bound and compiled for one dataset. Not API. */
#ifndef SEG_RULES_INTERNAL_H
#define SEG_RULES_INTERNAL_H

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

/* ---- lexer (lexer.c) ---- */
/* Record a parse error at line:col (the first one wins); returns its code. */
int seg__perr(parser *ps, int line, int col, const char *fmt, ...)
    SEG__PRINTF(4, 5);
/* The column, in characters, of p on the current line. */
int seg__col_of(parser *ps, const char *p);
/* Advance to the next token. */
void seg__next(parser *ps);
bool seg__is_word(const parser *ps, const char *w);
bool seg__is_op(const parser *ps, const char *o);
/* "expected WHAT, found ..." at the current token. */
int seg__expected(parser *ps, const char *what);

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

/* ---- binding (binder.c) and compiling (compiler.c) ---- */
int seg__bind(const seg_rules *r, const seg_dataset *ds, binding *b);
void seg__unbind(binding *b);
/* Compile every rule's condition; on failure the binding is released. */
int seg__compile_all(const seg_rules *r, binding *b);

/* ---- evaluation (eval.c) ---- */
#define BLOCK 256
void seg__run(const prog *p, size_t row0, double (*st)[BLOCK]);
/* A stack for the deepest program of a binding (seg__free() it). */
double (*seg__stack_for(const binding *b))[BLOCK];
/* Whether rule i holds for one row. */
bool seg__holds_row(const binding *b, size_t i, size_t row,
                    double (*st)[BLOCK]);
/* The capped points of a customer; group_sum receives each group's sum. */
double seg__score_of(const seg_rules *r, const binding *b, size_t row,
                     double *group_sum, double (*st)[BLOCK]);
/* The grade label of a total, or NULL. */
const char *seg__grade_of(const seg_rules *r, double pts);

#endif /* SEG_RULES_INTERNAL_H */
