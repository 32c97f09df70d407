/* The definition of a membership ladder: the text an analyst writes, and
 * the shipped presets. */
#include <math.h>
#include <string.h>

#include "ops/ladder.h"

/* The 健身俱乐部 (fitness club) ladder: fees earn a point a yuan, and
 * participation earns points per check-in and per class, so that a member
 * who trains often climbs as well as one who buys a long membership. */
static const char fitness_preset[] =
    "# 健身俱乐部: 入门级 / 活跃级 / 忠实级 / VIP级 by fee and participation\n"
    "name = ladder\n"
    "period = 365d\n"
    "points amount = 1\n"
    "points event checkin = 10\n"
    "points event class = 20\n"
    "points event referral = 200\n"
    "tier 入门级 = 0\n"
    "tier 活跃级 = 1000 keep 600\n"
    "tier 忠实级 = 3000 keep 2000\n"
    "tier VIP级 = 8000 keep 5000\n";

static const seg__ops_preset presets[] = {{"fitness", fitness_preset}};

typedef seg__word word;

enum { MAX_WORDS = 8 };

static bool is(const word *w, const char *s)
{
    return seg__word_is(w, s);
}

typedef struct spec_ctx {
    seg_ladder *l;
    const char *name;
    size_t line;
} spec_ctx;

static int bad(const spec_ctx *c, const char *what, const word *w)
{
    if (w)
        return seg__error(&c->l->err, SEG_EPARSE, "%s:%zu: %s '%.*s'",
                          c->name, c->line, what, (int)(w->n > 60 ? 60 : w->n),
                          w->s);
    return seg__error(&c->l->err, SEG_EPARSE, "%s:%zu: %s", c->name, c->line,
                      what);
}

static int number(const spec_ctx *c, const word *w, double *out)
{
    if (seg__parse_f64(w->s, w->n, out) || !isfinite(*out))
        return bad(c, "expected a number, not", w);
    return SEG_OK;
}

/* "365d", "52w", "365" (days) or "none". */
static int period(const spec_ctx *c, const word *w, int64_t *out)
{
    if (is(w, "none")) {
        *out = 0;
        return SEG_OK;
    }
    double unit = 86400, v;
    size_t n = w->n;
    if (n && (w->s[n - 1] == 'd' || w->s[n - 1] == 'w')) {
        unit = w->s[n - 1] == 'w' ? 7 * 86400 : 86400;
        n--;
    }
    if (seg__parse_f64(w->s, n, &v) || !(v > 0) || v > 36500 ||
        v != floor(v))
        return bad(c, "a period is a whole number of days (365d), weeks "
                   "(52w) or 'none', not", w);
    *out = (int64_t)(v * unit);
    return SEG_OK;
}

static int add_event(const spec_ctx *c, const word *kind, double points)
{
    seg_ladder *l = c->l;
    for (size_t i = 0; i < l->n_events; i++)
        if (is(kind, l->events[i].kind))
            return bad(c, "points given twice for event kind", kind);
    lad_event *e = seg__realloc(l->events, (l->n_events + 1) * sizeof *e);
    if (!e)
        return seg__nomem(&l->err);
    l->events = e;
    if (!(e[l->n_events].kind = seg__strndup(kind->s, kind->n)))
        return seg__nomem(&l->err);
    e[l->n_events++].points = points;
    return SEG_OK;
}

static int add_tier(const spec_ctx *c, const word *name, double threshold,
                    double keep)
{
    seg_ladder *l = c->l;
    if (!seg__utf8_valid(name->s, name->n) || name->n == 0)
        return bad(c, "a tier needs a name of valid UTF-8", NULL);
    for (size_t i = 0; i < l->n_tiers; i++)
        if (is(name, l->tiers[i].name))
            return bad(c, "a second tier named", name);
    if (l->n_tiers == 0 && threshold != 0)
        return bad(c, "the first tier is the entry tier: its threshold is 0",
                   NULL);
    if (l->n_tiers && !(threshold > l->tiers[l->n_tiers - 1].threshold))
        return bad(c, "tiers come by rising threshold; not above the tier "
                   "before:", name);
    if (isnan(keep))
        keep = threshold;
    if (keep < 0 || keep > threshold)
        return bad(c, "keep is between 0 and the tier's threshold, for",
                   name);
    lad_tier *t = seg__realloc(l->tiers, (l->n_tiers + 1) * sizeof *t);
    if (!t)
        return seg__nomem(&l->err);
    l->tiers = t;
    if (!(t[l->n_tiers].name = seg__strndup(name->s, name->n)))
        return seg__nomem(&l->err);
    t[l->n_tiers].threshold = threshold;
    t[l->n_tiers++].keep = keep;
    return SEG_OK;
}

static int set_name(const spec_ctx *c, const word *w)
{
    if (!seg__utf8_valid(w->s, w->n) || w->n == 0 || w->n > 200)
        return bad(c, "name: a column prefix of valid UTF-8", NULL);
    char *p = seg__strndup(w->s, w->n);
    if (!p)
        return seg__nomem(&c->l->err);
    seg__free(c->l->prefix);
    c->l->prefix = p;
    return SEG_OK;
}

/* One line of words. */
static int statement(const spec_ctx *c, const word *w, size_t k)
{
    double v, keep = NAN;
    if (k == 3 && is(&w[0], "name") && is(&w[1], "="))
        return set_name(c, &w[2]);
    if (k == 3 && is(&w[0], "period") && is(&w[1], "="))
        return period(c, &w[2], &c->l->period);
    if (k == 4 && is(&w[0], "points") && is(&w[1], "amount") &&
        is(&w[2], "="))
        return number(c, &w[3], &c->l->per_amount);
    if (k == 5 && is(&w[0], "points") && is(&w[1], "event") &&
        is(&w[3], "=")) {
        int rc = number(c, &w[4], &v);
        return rc ? rc : add_event(c, &w[2], v);
    }
    if ((k == 4 || k == 6) && is(&w[0], "tier") && is(&w[2], "=")) {
        if (k == 6 && !is(&w[4], "keep"))
            return bad(c, "expected 'keep POINTS' after the threshold, not",
                       &w[4]);
        int rc = number(c, &w[3], &v);
        if (!rc && k == 6)
            rc = number(c, &w[5], &keep);
        return rc ? rc : add_tier(c, &w[1], v, keep);
    }
    return bad(c, "expected 'name = P', 'period = 365d', 'points amount = "
               "N', 'points event KIND = N' or 'tier NAME = POINTS [keep "
               "POINTS]', not", &w[0]);
}

static int parse_text(seg_ladder *l, const char *text, size_t len,
                      const char *name)
{
    spec_ctx c = {l, name, 0};
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        c.line++;
        size_t end = i;
        while (end < j && text[end] != '#')
            end++;
        word w[MAX_WORDS];
        size_t k = seg__split_words(text + i, end - i, w, MAX_WORDS);
        if (k > MAX_WORDS)
            return bad(&c, "too many words or an unclosed quote", NULL);
        int rc = k ? statement(&c, w, k) : SEG_OK;
        if (rc)
            return rc;
        i = j + 1;
    }
    c.line = 0;
    if (l->n_tiers == 0)
        return seg__error(&l->err, SEG_EPARSE, "%s: a ladder needs at least "
                          "one tier ('tier NAME = 0')", name);
    return SEG_OK;
}

void seg_ladder_free(seg_ladder *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n_events; i++)
        seg__free(l->events[i].kind);
    for (size_t i = 0; i < l->n_tiers; i++)
        seg__free(l->tiers[i].name);
    seg__free(l->events);
    seg__free(l->tiers);
    seg__free(l->prefix);
    seg__errbuf_destroy(&l->err);
    seg__free(l);
}

int seg_ladder_parse(seg_ladder **out, const char *text, size_t len,
                     const char *name)
{
    if (out)
        *out = NULL;
    if (!out || (!text && len))
        return seg__error(NULL, SEG_EINVAL, "seg_ladder_parse: NULL "
                          "argument");
    if (len > (size_t)1 << 20)
        return seg__error(NULL, SEG_ELIMIT, "a ladder definition is at most "
                          "1 MiB");
    if (len && !seg__utf8_valid(text, len))
        return seg__error(NULL, SEG_EPARSE, "%s: not valid UTF-8",
                          name ? name : "<ladder>");
    seg_ladder *l = seg__calloc(1, sizeof *l);
    if (!l || seg__errbuf_init(&l->err)) {
        seg__free(l);
        return seg__nomem(NULL);
    }
    l->per_amount = 1;
    l->prefix = seg__strndup("ladder", 6);
    int rc = l->prefix ? parse_text(l, text, len, name ? name : "<ladder>")
                       : seg__nomem(&l->err);
    if (rc) {
        seg_ladder_free(l);
        return rc;
    }
    *out = l;
    return SEG_OK;
}

int seg_ladder_preset(seg_ladder **out, const char *name)
{
    if (out)
        *out = NULL;
    if (!out || !name)
        return seg__error(NULL, SEG_EINVAL, "seg_ladder_preset: NULL "
                          "argument");
    const char *text = seg_ladder_preset_text(name);
    if (text)
        return seg_ladder_parse(out, text, strlen(text), name);
    return seg__error(NULL, SEG_ENOTFOUND, "no ladder preset '%s' (there is "
                      "'fitness')", name);
}

const char *seg_ladder_preset_text(const char *name)
{
    return seg__ops_preset_text(presets, sizeof presets / sizeof *presets,
                                name);
}

/* The calling thread's copy, as seg_rules_errmsg() gives. */
static _Thread_local char t_ladder_msg[SEG__ERRMSG_MAX];

const char *seg_ladder_errmsg(const seg_ladder *l)
{
    return l ? seg__ops_errmsg(&l->err, t_ladder_msg) : seg_errmsg();
}

const char *seg_ladder_prefix(const seg_ladder *l)
{
    return l ? l->prefix : "ladder";
}
