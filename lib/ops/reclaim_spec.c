/* The definition of a lead-pool reclaim (公海规则): the text an analyst
 * writes, and the shipped presets. */
#include <math.h>
#include <string.h>

#include "ops/reclaim.h"

/* The rules most Chinese CRMs ship for their 公海: a lead without a
 * follow-up for 15 days or without a deal for 60 days since it was
 * assigned goes back to the pool; owners are warned 3 days ahead, hold at
 * most 200 leads, and may not take a lead back for 30 days. */
static const char standard_preset[] =
    "# 公海 standard: 15 days without follow-up, 60 days without a deal\n"
    "name = reclaim\n"
    "owner = owner\n"
    "owner_since = owner_since\n"
    "assigned = assigned\n"
    "released = released\n"
    "followup = call visit email meeting\n"
    "deal = transaction\n"
    "deal = event deal\n"
    "rule no_followup = no followup in 15d\n"
    "rule no_deal = no deal in 60d\n"
    "reminder = 3d\n"
    "cap = 200\n"
    "lockout = 30d\n";

static const seg__ops_preset presets[] = {{"standard", standard_preset}};

typedef seg__word word;

enum { MAX_WORDS = 24 };

static bool is(const word *w, const char *s)
{
    return seg__word_is(w, s);
}

typedef struct spec_ctx {
    seg_reclaim *r;
    const char *name;
    const char *line_start;
    size_t line;
    size_t rule_line[RCL_MAX_RULES];
    size_t rule_col[RCL_MAX_RULES];
} spec_ctx;

/* The column of a place on the line, in characters from 1. */
static size_t column_of(const spec_ctx *c, const char *at)
{
    size_t col = 1;
    for (const char *p = c->line_start; p < at; p++)
        col += ((unsigned char)*p & 0xC0) != 0x80;
    return col;
}

static int bad_at(const spec_ctx *c, const char *at, const char *what,
                  const word *w)
{
    size_t col = column_of(c, at);
    if (w)
        return seg__error(&c->r->err, SEG_EPARSE, "%s:%zu:%zu: %s '%.*s'",
                          c->name, c->line, col, what,
                          (int)(w->n > 60 ? 60 : w->n), w->s);
    return seg__error(&c->r->err, SEG_EPARSE, "%s:%zu:%zu: %s", c->name,
                      c->line, col, what);
}

static int bad(const spec_ctx *c, const char *what, const word *w)
{
    return bad_at(c, w->s, what, w);
}

/* "15d", "2w", "15" (days) or, where none is allowed, "none" (0). */
static int days(const spec_ctx *c, const word *w, bool none_ok,
                int64_t *out)
{
    if (none_ok && is(w, "none")) {
        *out = 0;
        return SEG_OK;
    }
    double unit = 1, v;
    size_t n = w->n;
    if (n && (w->s[n - 1] == 'd' || w->s[n - 1] == 'w')) {
        unit = w->s[n - 1] == 'w' ? 7 : 1;
        n--;
    }
    if (seg__parse_f64(w->s, n, &v) || !(v >= (none_ok ? 0 : 1)) ||
        v > 36500 || v != floor(v))
        return bad(c, none_ok ? "expected whole days (15d), weeks (2w) or "
                   "'none', not" : "expected whole days (15d) or weeks "
                   "(2w), at least one day, not", w);
    *out = (int64_t)(v * unit);
    return SEG_OK;
}

static int text_word(const spec_ctx *c, const word *w, const char *what,
                     char **out)
{
    if (w->n == 0 || w->n > 200 || !seg__utf8_valid(w->s, w->n))
        return bad(c, what, w);
    char *p = seg__strndup(w->s, w->n);
    if (!p)
        return seg__nomem(&c->r->err);
    seg__free(*out);
    *out = p;
    return SEG_OK;
}

/* KIND, or "none" for no such events. */
static int kind_word(const spec_ctx *c, const word *w, char **out)
{
    if (is(w, "none")) {
        seg__free(*out);
        *out = NULL;
        return SEG_OK;
    }
    return text_word(c, w, "an event kind of valid UTF-8, not", out);
}

static int add_kinds(const spec_ctx *c, const word *w, size_t k,
                     char ***list, size_t *n)
{
    char **l = seg__realloc(*list, (*n + k) * sizeof *l);
    if (!l)
        return seg__nomem(&c->r->err);
    *list = l;
    for (size_t i = 0; i < k; i++) {
        for (size_t j = 0; j < *n; j++)
            if (is(&w[i], l[j]))
                return bad(c, "an event kind named twice:", &w[i]);
        l[*n] = NULL;
        int rc = text_word(c, &w[i], "an event kind of valid UTF-8, not",
                           &l[*n]);
        if (rc)
            return rc;
        (*n)++;
    }
    return SEG_OK;
}

/* deal = transaction | deal = event KIND [KIND ...] */
static int deal_line(const spec_ctx *c, const word *w, size_t k)
{
    if (k == 3 && is(&w[2], "transaction")) {
        c->r->deal_tx = true;
        return SEG_OK;
    }
    if (k >= 4 && is(&w[2], "event"))
        return add_kinds(c, w + 3, k - 3, &c->r->deal, &c->r->n_deal);
    return bad(c, "expected 'deal = transaction' or 'deal = event KIND "
               "...', not", k > 2 ? &w[2] : &w[1]);
}

/* rule NAME = no followup in 15d | rule NAME = no deal in 60d */
static int rule_line(spec_ctx *c, const word *w, size_t k)
{
    seg_reclaim *r = c->r;
    /* the first word out of place */
    size_t at = 3;
    if (k > 3 && is(&w[3], "no"))
        at = 4;
    if (at == 4 && k > 4 && (is(&w[4], "followup") || is(&w[4], "deal")))
        at = 5;
    if (at == 5 && k > 5 && is(&w[5], "in"))
        at = k == 7 ? 0 : 7;
    if (at)
        return at < k ? bad(c, "expected 'rule NAME = no followup in DAYS' "
                            "or 'rule NAME = no deal in DAYS', not", &w[at])
                      : bad_at(c, w[k - 1].s + w[k - 1].n, "the rule ends "
                               "early: expected 'no followup|deal in DAYS'",
                               NULL);
    if (is(&w[1], "cap") || is(&w[1], "lockout"))
        return bad(c, "'cap' and 'lockout' name the reclaims of the cap and "
                   "the lock-out; a rule cannot be called", &w[1]);
    for (size_t i = 0; i < r->n_rules; i++)
        if (is(&w[1], r->rules[i].name))
            return bad(c, "a second rule named", &w[1]);
    if (r->n_rules == RCL_MAX_RULES)
        return bad(c, "at most 32 rules; one too many:", &w[1]);
    int64_t d;
    int rc = days(c, &w[6], false, &d);
    if (rc)
        return rc;
    rcl_rule *rr = seg__realloc(r->rules, (r->n_rules + 1) * sizeof *rr);
    if (!rr)
        return seg__nomem(&r->err);
    r->rules = rr;
    rr += r->n_rules;
    rr->name = NULL;
    rc = text_word(c, &w[1], "a rule needs a name of valid UTF-8, not",
                   &rr->name);
    if (rc)
        return rc;
    rr->clock = is(&w[4], "deal") ? RCL_DEAL : RCL_FOLLOWUP;
    rr->days = d;
    c->rule_line[r->n_rules] = c->line;
    c->rule_col[r->n_rules] = column_of(c, w[4].s);
    r->n_rules++;
    return SEG_OK;
}

static int cap_value(const spec_ctx *c, const word *w)
{
    double v;
    if (is(w, "none")) {
        c->r->cap = 0;
        return SEG_OK;
    }
    if (seg__parse_f64(w->s, w->n, &v) || !(v >= 1) || v > 1e9 ||
        v != floor(v))
        return bad(c, "a cap is a whole number of leads (1 or more) or "
                   "'none', not", w);
    c->r->cap = (size_t)v;
    return SEG_OK;
}

/* One line of words. */
static int statement(spec_ctx *c, const word *w, size_t k)
{
    seg_reclaim *r = c->r;
    if (is(&w[0], "rule"))
        return k >= 3 && is(&w[2], "=") ? rule_line(c, w, k)
                                        : bad(c, "expected 'rule NAME = "
                                              "...', not", k > 2 ? &w[2]
                                                                 : &w[0]);
    if (k < 2 || !is(&w[1], "="))
        return bad(c, "expected 'KEY = VALUE' (name, owner, owner_since, "
                   "assigned, released, followup, deal, rule, reminder, "
                   "cap, lockout), not", &w[0]);
    if (k == 2)
        return bad_at(c, w[1].s + 1, "a value is missing after", &w[1]);
    if (is(&w[0], "followup"))
        return add_kinds(c, w + 2, k - 2, &r->followup, &r->n_followup);
    if (is(&w[0], "deal"))
        return deal_line(c, w, k);
    if (k > 3)
        return bad(c, "one value is expected; this is one too many:", &w[3]);
    if (is(&w[0], "name"))
        return text_word(c, &w[2], "name: a column prefix of valid UTF-8, "
                         "not", &r->prefix);
    if (is(&w[0], "owner"))
        return text_word(c, &w[2], "owner: a column name of valid UTF-8, "
                         "not", &r->owner);
    if (is(&w[0], "owner_since")) {
        if (is(&w[2], "none")) {
            seg__free(r->owner_since);
            r->owner_since = NULL;
            return SEG_OK;
        }
        return text_word(c, &w[2], "owner_since: a column name of valid "
                         "UTF-8, not", &r->owner_since);
    }
    if (is(&w[0], "assigned"))
        return kind_word(c, &w[2], &r->assigned);
    if (is(&w[0], "released"))
        return kind_word(c, &w[2], &r->released);
    if (is(&w[0], "reminder"))
        return days(c, &w[2], true, &r->reminder);
    if (is(&w[0], "lockout"))
        return days(c, &w[2], true, &r->lockout);
    if (is(&w[0], "cap"))
        return cap_value(c, &w[2]);
    return bad(c, "unknown key (name, owner, owner_since, assigned, "
               "released, followup, deal, rule, reminder, cap, lockout):",
               &w[0]);
}

/* What only the whole text shows: a rule whose clock nothing resets. */
static int check_whole(const spec_ctx *c)
{
    const seg_reclaim *r = c->r;
    if (r->n_rules == 0)
        return seg__error(&r->err, SEG_EPARSE, "%s: a reclaim needs at least "
                          "one rule ('rule NAME = no followup in 15d')",
                          c->name);
    for (size_t i = 0; i < r->n_rules; i++) {
        bool deal = r->rules[i].clock == RCL_DEAL;
        if (deal ? r->n_deal || r->deal_tx : r->n_followup > 0)
            continue;
        return seg__error(&r->err, SEG_EPARSE, "%s:%zu:%zu: rule '%s' counts "
                          "days without a %s, but no '%s' line says what "
                          "one is", c->name, c->rule_line[i], c->rule_col[i],
                          r->rules[i].name, deal ? "deal" : "follow-up",
                          deal ? "deal =" : "followup =");
    }
    return SEG_OK;
}

static int parse_text(seg_reclaim *r, const char *text, size_t len,
                      const char *name)
{
    spec_ctx c = {.r = r, .name = name};
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        c.line++;
        c.line_start = text + i;
        size_t end = i;
        while (end < j && text[end] != '#')
            end++;
        word w[MAX_WORDS];
        size_t k = seg__split_words(text + i, end - i, w, MAX_WORDS);
        if (k == MAX_WORDS + 1)
            return bad_at(&c, text + i, "more than 24 words on a line", NULL);
        if (k == MAX_WORDS + 2)
            return bad_at(&c, memchr(text + i, '"', end - i),
                          "a quote that is not closed", NULL);
        int rc = k ? statement(&c, w, k) : SEG_OK;
        if (rc)
            return rc;
        i = j + 1;
    }
    return check_whole(&c);
}

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        seg__free(l[i]);
    seg__free(l);
}

void seg_reclaim_free(seg_reclaim *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_rules; i++)
        seg__free(r->rules[i].name);
    seg__free(r->rules);
    free_list(r->followup, r->n_followup);
    free_list(r->deal, r->n_deal);
    seg__free(r->prefix);
    seg__free(r->owner);
    seg__free(r->owner_since);
    seg__free(r->assigned);
    seg__free(r->released);
    seg__errbuf_destroy(&r->err);
    seg__free(r);
}

int seg_reclaim_parse(seg_reclaim **out, const char *text, size_t len,
                      const char *name)
{
    if (out)
        *out = NULL;
    if (!out || (!text && len))
        return seg__error(NULL, SEG_EINVAL, "seg_reclaim_parse: NULL "
                          "argument");
    if (len > (size_t)1 << 20)
        return seg__error(NULL, SEG_ELIMIT, "a reclaim definition is at most "
                          "1 MiB");
    if (len && !seg__utf8_valid(text, len))
        return seg__error(NULL, SEG_EPARSE, "%s: not valid UTF-8",
                          name ? name : "<reclaim>");
    seg_reclaim *r = seg__calloc(1, sizeof *r);
    if (!r || seg__errbuf_init(&r->err)) {
        seg__free(r);
        return seg__nomem(NULL);
    }
    r->prefix = seg__strndup("reclaim", 7);
    r->owner = seg__strndup("owner", 5);
    int rc = r->prefix && r->owner
                 ? parse_text(r, text, len, name ? name : "<reclaim>")
                 : seg__nomem(&r->err);
    if (rc) {
        seg_reclaim_free(r);
        return rc;
    }
    *out = r;
    return SEG_OK;
}

int seg_reclaim_preset(seg_reclaim **out, const char *name)
{
    if (out)
        *out = NULL;
    if (!out || !name)
        return seg__error(NULL, SEG_EINVAL, "seg_reclaim_preset: NULL "
                          "argument");
    const char *text = seg_reclaim_preset_text(name);
    if (text)
        return seg_reclaim_parse(out, text, strlen(text), name);
    return seg__error(NULL, SEG_ENOTFOUND, "no reclaim preset '%s' (there "
                      "is 'standard')", name);
}

const char *seg_reclaim_preset_text(const char *name)
{
    return seg__ops_preset_text(presets, sizeof presets / sizeof *presets,
                                name);
}

/* The calling thread's copy, as seg_ladder_errmsg() gives. */
static _Thread_local char t_reclaim_msg[SEG__ERRMSG_MAX];

const char *seg_reclaim_errmsg(const seg_reclaim *r)
{
    return r ? seg__ops_errmsg(&r->err, t_reclaim_msg) : seg_errmsg();
}

const char *seg_reclaim_prefix(const seg_reclaim *r)
{
    return r ? r->prefix : "reclaim";
}
