/* Rule sets: their lifetime and getters. The language is split by phase:
 * lexer.c, parser.c, binder.c (units.c, warnings.c), compiler.c, eval.c,
 * explain.c. */
#include <string.h>

#include "rules/internal.h"

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
    seg__warn_free(r->warnings, r->nwarnings);
    seg__errbuf_destroy(&r->err);
    seg__free(r);
}

/* The calling thread's copy of a rule set's message, taken under its
 * lock: threads applying one rule set may fail at the same time, and a
 * pointer into the slot could change under the reader. */
static _Thread_local char t_rules_msg[SEG__ERRMSG_MAX];

const char *seg_rules_errmsg(const seg_rules *r)
{
    if (!r)
        return seg_errmsg();
    return seg__errbuf_copy(&r->err, t_rules_msg);
}

const char *seg_rules_output(const seg_rules *r)
{
    return r && r->output ? r->output : "tier";
}
