/* Warnings of a binding: what is legal but cannot be what the writer
 * meant. Today one kind: a label compared with a column that never has
 * it (a preset in one language applied to labels of another gives every
 * customer the default, silently). Kept on the rule set, replaced by
 * each successful apply, read through seg_rules_warning(). */
#include <stdio.h>
#include <string.h>

#include "rules/internal.h"

#define MAX_WARNINGS 100
#define LABELS_SHOWN 5

/* "'Champions', 'Loyal', ... (9 labels)" or "no labels at all" */
static void some_labels(const seg__column *c, char *buf, size_t len)
{
    size_t k = 0, n = c->labels.n;
    if (n == 0) {
        snprintf(buf, len, "it has no labels at all");
        return;
    }
    k += (size_t)snprintf(buf, len, "its labels: ");
    for (size_t i = 0; i < n && i < LABELS_SHOWN && k < len; i++) {
        char ex[64];
        const char *s = seg__intern_str(&c->labels, (uint32_t)i);
        seg__excerpt(ex, sizeof ex, s, strlen(s));
        k += (size_t)snprintf(buf + k, len - k, "%s'%s'", i ? ", " : "", ex);
    }
    if (n > LABELS_SHOWN && k < len)
        snprintf(buf + k, len - k, " ... (%zu labels)", n);
}

typedef struct wlist {
    char **v;
    size_t n, cap, more;
} wlist;

static void wlist_free(wlist *w)
{
    for (size_t i = 0; i < w->n; i++)
        seg__free(w->v[i]);
    seg__free(w->v);
}

/* Whether a label of c has lit as an item of its list. */
static bool some_list_has(const seg__column *c, const char *lit)
{
    for (size_t i = 0; i < c->labels.n; i++)
        if (seg__list_has(seg__intern_str(&c->labels, (uint32_t)i), lit))
            return true;
    return false;
}

/* member: lit in c's lists rather than c = lit */
static int add(const seg_rules *r, wlist *w, const node *at,
               const seg__column *c, const node *lit, bool eq, bool member)
{
    uint32_t k;
    if (member ? some_list_has(c, lit->str)
               : seg__intern_find(&c->labels, lit->str, strlen(lit->str), &k))
        return SEG_OK;
    if (w->n == MAX_WARNINGS) {
        w->more++;
        return SEG_OK;
    }
    char col[64], lab[64], labels[512], msg[SEG__ERRMSG_MAX];
    seg__excerpt(col, sizeof col, c->name, strlen(c->name));
    seg__excerpt(lab, sizeof lab, lit->str, strlen(lit->str));
    some_labels(c, labels, sizeof labels);
    if (member)
        snprintf(msg, sizeof msg, "%s:%d:%d: no customer has '%s' in '%s', "
                 "so this test is always %s (%s)", r->name, at->line, at->col,
                 lab, col, eq ? "false" : "true", labels);
    else
        snprintf(msg, sizeof msg, "%s:%d:%d: no customer has '%s' = '%s', so "
                 "this comparison is always %s (%s)", r->name, at->line,
                 at->col, col, lab, eq ? "false" : "true", labels);
    char *s = seg__strndup(msg, strlen(msg));
    if (!s || seg__grow((void **)&w->v, &w->cap, w->n + 1, sizeof *w->v)) {
        seg__free(s);
        return SEG_ENOMEM;
    }
    w->v[w->n++] = s;
    return SEG_OK;
}

/* A label operand that is a column, or NULL. */
static const seg__column *label_col(const binding *b, const node *n)
{
    return n->type == N_COL ? b->col[n->id] : NULL;
}

int seg__warn_collect(const seg_rules *r, binding *b)
{
    wlist w = {NULL, 0, 0, 0};
    int rc = SEG_OK;
    /* every node once, in the order written: no walk of the tree */
    for (size_t i = 0; i < r->nnodes && !rc; i++) {
        const node *n = r->nodes[i];
        if (n->type == N_CMP && b->vt[n->a->id] == VT_STR) {
            const seg__column *ca = label_col(b, n->a), *cb = label_col(b, n->b);
            if (ca && n->b->type == N_STR)
                rc = add(r, &w, n, ca, n->b, n->op == OP_EQ, false);
            else if (cb && n->a->type == N_STR)
                rc = add(r, &w, n, cb, n->a, n->op == OP_EQ, false);
        } else if (n->type == N_IN && n->b) {
            rc = add(r, &w, n, b->col[n->b->id], n->a, !n->neg, true);
        } else if (n->type == N_IN && b->vt[n->a->id] == VT_STR &&
                   label_col(b, n->a)) {
            for (size_t k = 0; k < n->nlist && !rc; k++)
                if (n->list[k]->type == N_STR)
                    rc = add(r, &w, n->list[k], b->col[n->a->id], n->list[k],
                             !n->neg, false);
        }
    }
    if (!rc && w.more) {
        char msg[96];
        snprintf(msg, sizeof msg, "%s: %zu more warnings like these",
                 r->name, w.more);
        char *s = seg__strndup(msg, strlen(msg));
        if (!s || seg__grow((void **)&w.v, &w.cap, w.n + 1, sizeof *w.v)) {
            seg__free(s);
            rc = SEG_ENOMEM;
        } else {
            w.v[w.n++] = s;
        }
    }
    if (rc) {
        wlist_free(&w);
        return seg__nomem(&r->err);
    }
    b->warn = w.v;
    b->nwarn = w.n;
    return SEG_OK;
}

void seg__warn_install(const seg_rules *r, binding *b)
{
    seg_rules *rw = (seg_rules *)r; /* the warnings are the handle's state */
    pthread_mutex_lock(&rw->err.lock);
    char **old = rw->warnings;
    size_t nold = rw->nwarnings;
    rw->warnings = b->warn;
    rw->nwarnings = b->nwarn;
    pthread_mutex_unlock(&rw->err.lock);
    b->warn = old;
    b->nwarn = nold; /* freed with the binding */
}

void seg__warn_free(char **v, size_t n)
{
    wlist w = {v, n, 0, 0};
    wlist_free(&w);
}

size_t seg_rules_warning_count(const seg_rules *r)
{
    if (!r)
        return 0;
    seg__errbuf *e = (seg__errbuf *)&r->err;
    pthread_mutex_lock(&e->lock);
    size_t n = r->nwarnings;
    pthread_mutex_unlock(&e->lock);
    return n;
}

static _Thread_local char t_warning[SEG__ERRMSG_MAX];

const char *seg_rules_warning(const seg_rules *r, size_t i)
{
    if (!r)
        return NULL;
    seg__errbuf *e = (seg__errbuf *)&r->err;
    const char *out = NULL;
    pthread_mutex_lock(&e->lock);
    if (i < r->nwarnings) {
        snprintf(t_warning, sizeof t_warning, "%s", r->warnings[i]);
        out = t_warning;
    }
    pthread_mutex_unlock(&e->lock);
    return out;
}
