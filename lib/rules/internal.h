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
    N_IN,                /* a in (list), or with b: a label in b's list */
    N_BETWEEN, N_MISSING, N_BOOL,
    N_CALL,              /* a per-row function of its arguments (list) */
    N_ASOF,              /* the analysis date: a timestamp */
    N_WITHIN             /* a within b: b a duration literal before as_of */
};
/* What a number literal is: a plain number, a duration (num in days) or a
 * date (num: its midnight UTC in epoch seconds, a day to place in the
 * dataset's zone when bound). */
enum { LIT_PLAIN, LIT_DUR, LIT_DATE };
enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };
enum { VT_NUM, VT_STR, VT_BOOL };

struct seg__func;

typedef struct node {
    int type, op, line, col, id;
    int lit;             /* N_NUM: LIT_* */
    bool neg;            /* not in / not between / is not missing */
    double num;          /* literal, or a function's parameter (p80: 80) */
    char *str;           /* literal string or column name */
    struct node *a, *b, *c;
    struct node **list;  /* in-list; the arguments of N_STAT and N_CALL */
    size_t nlist;
    const struct seg__func *fn; /* N_STAT, N_CALL */
} node;

enum { R_TIER, R_OTHERWISE, R_POINTS };

typedef struct rule {
    int kind, line;
    char *label;
    node *cond;
    double priority;     /* 0: none */
    double cadence;      /* days; 0: none */
    char **tags;
    size_t ntags, captags;
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
    /* the warnings of the last binding (warnings.c), under err.lock */
    char **warnings;
    size_t nwarnings;
};

enum { T_EOF, T_IDENT, T_NUM, T_STR, T_OP };

typedef struct token {
    int type;
    bool bol;            /* first token of its line */
    const char *p;       /* its text */
    size_t n;
    int line, col;
    double num;
    int lit;             /* T_NUM: LIT_* */
    bool quoted;         /* T_IDENT: a `quoted name` */
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
    I_LT, I_LE, I_GT, I_GE, I_AND, I_OR, I_NOT, I_BETWEEN, I_MISSING,
    I_LABCMP,
    I_CMPK,  /* a numeric column against a constant, fused: the common case */
    I_ANDK,  /* the top of the stack 'and' such a comparison */
    I_BETWEENK, /* between two constants (k, k2) */
    I_LABK,  /* a label column = or != a label (its code k) */
    I_LABIN, /* a label column in (one or two labels: codes k, k2) */
    I_CALL,  /* a per-row function of the top k blocks */
    /* v in (...): I_INSET pushes whether v (on top) is in the sorted
     * constants set[0 .. nset-1]; each I_INACC ors v = (the top) into it;
     * I_INEND leaves the answer in v's place */
    I_INSET, I_INACC, I_INEND
};

typedef struct ins {
    int op;
    int cmp;                     /* I_CMPK, I_ANDK: the comparison (I_EQ ...) */
    bool neg;
    double k, k2;                /* I_NUM; I_CALL: the argument count */
    const seg__column *c, *c2;   /* I_COL, I_LAB, I_LABCMP */
    const struct seg__func *fn;  /* I_CALL */
    double *set;                 /* I_INSET, owned */
    size_t nset;
} ins;

typedef struct prog {
    ins *code;
    size_t n, cap;
    int depth;                   /* the deepest stack it needs */
} prog;

typedef struct binding {
    const seg__column *cache_col; /* the column last copied for statistics */
    double *cache_v;
    const seg__column *sum_col;   /* the column last summarised, and that */
    size_t sum_k;
    double sum_s, sum_lo, sum_hi;
    const seg__column **col;  /* per node */
    double *stat;             /* per node */
    int *vt;                  /* per node: VT_* */
    int *uk;                  /* per node: its unit (units.c) */
    char **warn;              /* the warnings found (warnings.c) */
    size_t nwarn;
    int64_t as_of;            /* the dataset's analysis date, or NONE */
    const seg__tz *tz;        /* the dataset's zone (NULL: UTC) */
    prog *progs;              /* per rule */
    size_t nprogs;
} binding;

/* The separator of the items of a list-valued label ("a|b|c"), and
 * whether such a label has the item (compiler.c). */
#define LIST_SEP '|'
bool seg__list_has(const char *list, const char *item);

/* ---- binding (binder.c) and compiling (compiler.c) ----
 * A chain of left-associative operators (a + b + c ..., and, or) is a
 * left spine of any length: the passes walk it with a stack on the heap
 * and recurse only into right operands and nested constructs, whose depth
 * the parser bounds (MAX_DEPTH). */
typedef struct seg__spine {
    const node **v;
    size_t n, cap;
} seg__spine;
/* Whether n continues a left spine: a binary arithmetic, 'and' or 'or'. */
bool seg__is_chain(const node *n);
/* Push n onto s; SEG_ENOMEM when out of memory. */
int seg__spine_push(seg__spine *s, const node *n);

int seg__bind(const seg_rules *r, const seg_dataset *ds, binding *b);
/* The unit of the bound numeric node n, whose operands have theirs; a
 * duration literal takes the unit of what it meets, and a date the bound
 * of its day a comparison needs (the values go to b->stat). An error is
 * SEG_ETYPE with the place (units.c). */
int seg__units_check(const seg_rules *r, binding *b, const node *n);
/* The warnings of the binding b (labels that never occur in the column
 * compared with), into b; SEG_ENOMEM. */
int seg__warn_collect(const seg_rules *r, binding *b);
/* Move b's warnings to the rule set, replacing its list: at the end of a
 * successful apply, so that a failed one changes nothing. */
void seg__warn_install(const seg_rules *r, binding *b);
void seg__warn_free(char **v, size_t n);
void seg__unbind(binding *b);
/* Compile every rule's condition; on failure the binding is released. */
int seg__compile_all(const seg_rules *r, binding *b);

#define BLOCK 256

/* ---- functions (functions.c) ----
 * Every function of the language is one row of the table in functions.c:
 * the parser finds it there by name, the binder checks its arguments with
 * its bind routine, and its eval routine computes it, per block of rows
 * (FN_ROW) or once over a column of the whole dataset (FN_STAT). A
 * column function (FN_COLUMN) names a column after its argument's:
 * previous(T) is T.previous, the column of seg_snapshots_run(). */
enum { FN_ROW, FN_STAT, FN_COLUMN };

/* A numeric column summarised for its statistics: the values of rows
 * 0 .. m-1 (NaN: missing), of which k > 0 are not missing, their sum
 * and extremes. */
typedef struct seg__stat_in {
    const seg_rules *r;
    binding *b;
    const seg__column *c;
    const double *v;
    size_t m, k;
    double sum, lo, hi;
} seg__stat_in;

typedef struct seg__func {
    const char *name;    /* the name, or with match the family's */
    const char *shown;   /* in the list of functions of a message */
    int kind;            /* FN_ROW, FN_STAT */
    int min_args, max_args;
    /* a family of names with a parameter (p0..p100); NULL: name alone */
    bool (*match)(const char *name, double *param);
    /* check the argument types (b->vt of n->list) and give the result's;
     * an error is SEG_ETYPE with the place */
    int (*bind)(const seg_rules *r, const binding *b, const node *n,
                int *vt);
    /* FN_ROW: arg[0 .. nargs-1] to the result in arg[0], missing in,
     * missing out */
    void (*row)(double (*arg)[BLOCK], size_t nargs);
    /* FN_STAT: the statistic, with n->num as param */
    int (*stat)(const seg__stat_in *in, double param, double *out);
} seg__func;

/* An FN_COLUMN call n made the column it names; SEG_OK or SEG_ENOMEM. */
int seg__func_as_column(node *n);
/* The function of a name, with its parameter; NULL when there is none. */
const seg__func *seg__func_find(const char *name, double *param);
/* A parse error for an unknown function: the nearest name, or the list. */
int seg__func_unknown(parser *ps, int line, int col, const char *name);
/* The non-missing values of in's column, in a copy that the statistics of
 * one column share and may reorder (binder.c); NULL when out of memory. */
double *seg__stat_values(const seg__stat_in *in);

/* ---- evaluation (eval.c) ---- */
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
