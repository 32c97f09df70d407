/* Behavioural models read the raw records: "engagement" (a decayed,
 * weighted count of interactions and its level: active, silent, potential,
 * lost) and "stage" (the furthest purchase-funnel stage reached). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/internal.h"

#define DAY 86400.0

/* ---- shared ---- */

/* The as_of parameter: a time, a date (meaning its end), or empty for the
 * latest record of the dataset. */
static int as_of_time(const seg_model *m, const seg_dataset *ds, int64_t *out)
{
    const char *s = seg__param_str(m, "as_of");
    size_t n = strlen(s);
    if (n == 0) {
        *out = seg__ds_max_time(ds);
        return SEG_OK;
    }
    if (seg_time_parse(out, s, n, SEG_TIME_AUTO | SEG_TIME_END_OF_DAY) !=
        SEG_OK)
        return seg__model_error(m, SEG_EPARSE, "%s: as_of '%s' is not a date "
                                "or time", seg_model_name(m), s);
    return SEG_OK;
}

/* "key=value,key=value": calls f for each pair; stops at its error. */
typedef int (*pair_fn)(const char *key, size_t klen, const char *val,
                       size_t vlen, void *ctx);

static int each_pair(const seg_model *m, const char *param, pair_fn f,
                     void *ctx)
{
    const char *s = seg__param_str(m, param);
    while (*s) {
        const char *comma = strchr(s, ',');
        const char *end = comma ? comma : s + strlen(s);
        const char *eq = memchr(s, '=', (size_t)(end - s));
        if (!eq || eq == s || eq + 1 == end)
            return seg__model_error(m, SEG_EPARSE, "%s: '%.*s' is not "
                                    "KIND=VALUE", param, (int)(end - s), s);
        int rc = f(s, (size_t)(eq - s), eq + 1, (size_t)(end - eq - 1), ctx);
        if (rc)
            return seg__model_error(m, rc, "%s: bad value in '%.*s'", param,
                                    (int)(end - s), s);
        s = comma ? comma + 1 : end;
    }
    return SEG_OK;
}

static int check_pairs(void *state, seg_model *m, const seg_dataset *ds,
                       void *ud);

static int beh_create(void **state, void *ud)
{
    (void)ud;
    *state = seg__calloc(1, 1);
    return *state ? SEG_OK : SEG_ENOMEM;
}

static void beh_destroy(void *state, void *ud)
{
    (void)ud;
    seg__free(state);
}

/* ---- engagement ---- */

typedef struct weights_ctx {
    const seg_dataset *ds;
    double *w; /* per event kind of ds, or NULL to only check */
} weights_ctx;

static int weight_pair(const char *k, size_t kl, const char *v, size_t vl,
                       void *ctx)
{
    weights_ctx *c = ctx;
    double w;
    if (seg__parse_f64(v, vl, &w) != SEG_OK || !(w >= -1e6 && w <= 1e6))
        return SEG_ERANGE;
    uint32_t idx;
    if (c->w && seg__ds_kind_find(c->ds, k, kl, &idx))
        c->w[idx] = w;
    return SEG_OK;
}

static const char *const level_en[4] = {"active", "silent", "potential",
                                        "lost"};
static const char *const level_zh[4] = {"活跃", "沉默", "潜在", "流失"};

static int engagement_score(void *state, const seg_model *m, seg_dataset *ds,
                            const char *prefix, void *ud)
{
    (void)state;
    (void)ud;
    int64_t as_of;
    int rc = as_of_time(m, ds, &as_of);
    if (rc)
        return rc;
    size_t n = seg__ds_n(ds), nk = seg__ds_kind_count(ds);
    seg__tx_view tx = seg__ds_tx(ds);
    seg__ev_view ev = seg__ds_ev(ds);
    double half = seg__param_num(m, "half_life_days") * DAY;
    double wdef = seg__param_num(m, "default_weight");
    double wbuy = seg__param_num(m, "purchase_weight");
    double *score = seg__calloc(n ? n : 1, sizeof *score);
    double *last = seg__malloc((n ? n : 1) * sizeof *last);
    double *since = seg__malloc((n ? n : 1) * sizeof *since);
    bool *bought = seg__calloc(n ? n : 1, sizeof *bought);
    double *w = seg__malloc((nk ? nk : 1) * sizeof *w);
    const char **level = seg__calloc(n ? n : 1, sizeof *level);
    if (!score || !last || !since || !bought || !w || !level)
        rc = seg__nomem(NULL);
    if (!rc) {
        for (size_t k = 0; k < nk; k++)
            w[k] = wdef;
        weights_ctx c = {ds, w};
        rc = each_pair(m, "weights", weight_pair, &c);
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++)
            last[i] = -INFINITY;
        for (size_t i = 0; i < ev.n; i++) {
            int64_t t = ev.time[i];
            if (t > as_of)
                continue;
            uint32_t c = ev.cust[i];
            score[c] += w[ev.kind[i]] * exp2(-(double)(as_of - t) / half);
            last[c] = fmax(last[c], (double)t);
        }
        for (size_t i = 0; i < tx.n; i++) {
            int64_t t = tx.time[i];
            if (t > as_of)
                continue;
            uint32_t c = tx.cust[i];
            score[c] += wbuy * exp2(-(double)(as_of - t) / half);
            last[c] = fmax(last[c], (double)t);
            bought[c] = true;
        }
        bool zh = strcmp(seg__param_str(m, "language"), "zh") == 0;
        double active_days = seg__param_num(m, "active_days");
        double active_score = seg__param_num(m, "active_score");
        double lost_days = seg__param_num(m, "lost_days");
        for (size_t i = 0; i < n; i++) {
            if (last[i] == -INFINITY) { /* nothing up to as_of */
                score[i] = 0;
                since[i] = NAN;
                continue;
            }
            since[i] = ((double)as_of - last[i]) / DAY;
            int lv = since[i] > lost_days                          ? 3
                     : !bought[i]                                   ? 2
                     : since[i] <= active_days && score[i] >= active_score
                         ? 0
                         : 1;
            level[i] = zh ? level_zh[lv] : level_en[lv];
        }
        rc = seg__model_put(m, ds, prefix, "score", score, NULL);
        if (!rc)
            rc = seg__model_put(m, ds, prefix, "days_since_last", since, NULL);
        if (!rc)
            rc = seg__model_put(m, ds, prefix, "level", NULL, level);
    }
    seg__free(score);
    seg__free(last);
    seg__free(since);
    seg__free(bought);
    seg__free(w);
    seg__free(level);
    return rc;
}

static int check_pairs(void *state, seg_model *m, const seg_dataset *ds,
                       void *ud)
{
    (void)state;
    (void)ud;
    int64_t t;
    int rc = as_of_time(m, ds, &t);
    if (!rc && seg__param_num(m, "lost_days") <= seg__param_num(m, "active_days"))
        rc = seg__model_error(m, SEG_ERANGE, "%s: lost_days must be more "
                              "than active_days", seg_model_name(m));
    if (!rc) {
        weights_ctx c = {ds, NULL};
        rc = each_pair(m, "weights", weight_pair, &c);
    }
    return rc;
}

#define STR(n, d, def, ch) {sizeof(seg_param_def), n, SEG_PARAM_STR, d, 0, 0, 0, def, ch}
#define NUM(n, t, d, lo, hi, def) {sizeof(seg_param_def), n, t, d, lo, hi, def, NULL, NULL}

static const seg_param_def engagement_params[] = {
    STR("weights", "weight per event kind: KIND=W,KIND=W", "", NULL),
    NUM("default_weight", SEG_PARAM_F64, "weight of event kinds not named",
        -1e6, 1e6, 1),
    NUM("purchase_weight", SEG_PARAM_F64, "weight of a purchase", -1e6, 1e6,
        3),
    NUM("half_life_days", SEG_PARAM_F64, "days after which an interaction "
        "counts half", 0.001, 1e6, 30),
    NUM("active_days", SEG_PARAM_F64, "active: last interaction at most this "
        "many days ago ...", 0, 1e6, 30),
    NUM("active_score", SEG_PARAM_F64, "... and a score of at least this",
        -1e6, 1e6, 3),
    NUM("lost_days", SEG_PARAM_F64, "lost: no interaction for more days "
        "than this", 0, 1e6, 180),
    STR("as_of", "the time scores are taken at; empty: the latest record", "",
        NULL),
    STR("language", "language of the level labels", "en", "en|zh"),
};

const seg_model_class seg__engagement_class = {
    sizeof(seg_model_class), "engagement",
    "decayed, weighted interactions; levels active, silent, potential, lost",
    engagement_params, sizeof engagement_params / sizeof *engagement_params,
    sizeof(seg_param_def), beh_create, beh_destroy, check_pairs,
    engagement_score, NULL, NULL, NULL, NULL, NULL, NULL};

/* ---- stage ---- */

enum { S_LAPSED, S_AWARENESS, S_COMPARISON, S_DECISION, S_CUSTOMER,
       S_REPEAT, S_N };
static const char *const stage_en[S_N] = {"lapsed", "awareness", "comparison",
                                          "decision", "customer", "repeat"};
static const char *const stage_zh[S_N] = {"流失", "认知", "比较",
                                          "决策", "客户", "复购"};

typedef struct map_ctx {
    const seg_dataset *ds;
    int *stage; /* per event kind, or NULL to only check */
} map_ctx;

static int map_pair(const char *k, size_t kl, const char *v, size_t vl,
                    void *ctx)
{
    map_ctx *c = ctx;
    int st = -1;
    for (int i = S_AWARENESS; i <= S_DECISION; i++)
        if (strlen(stage_en[i]) == vl && memcmp(stage_en[i], v, vl) == 0)
            st = i;
    if (st < 0)
        return SEG_ERANGE;
    uint32_t idx;
    if (c->stage && seg__ds_kind_find(c->ds, k, kl, &idx))
        c->stage[idx] = st;
    return SEG_OK;
}

static int stage_check(void *state, seg_model *m, const seg_dataset *ds,
                       void *ud)
{
    (void)state;
    (void)ud;
    int64_t t;
    int rc = as_of_time(m, ds, &t);
    if (!rc) {
        map_ctx c = {ds, NULL};
        rc = each_pair(m, "mapping", map_pair, &c);
    }
    return rc;
}

static int64_t day_of(int64_t t)
{
    int64_t d = t / 86400;
    return t % 86400 < 0 ? d - 1 : d;
}

static int stage_score(void *state, const seg_model *m, seg_dataset *ds,
                       const char *prefix, void *ud)
{
    (void)state;
    (void)ud;
    int64_t as_of;
    int rc = as_of_time(m, ds, &as_of);
    if (rc)
        return rc;
    size_t n = seg__ds_n(ds), nk = seg__ds_kind_count(ds);
    seg__tx_view tx = seg__ds_tx(ds);
    seg__ev_view ev = seg__ds_ev(ds);
    int64_t from = as_of - (int64_t)(seg__param_num(m, "window_days") * DAY);
    int *kst = seg__malloc((nk ? nk : 1) * sizeof *kst);
    /* per customer: furthest event stage in the window and when it was
     * first reached there; purchase days (first two distinct); activity */
    int *best = seg__calloc(n ? n : 1, sizeof *best);
    int64_t *best_t = seg__malloc((n ? n : 1) * sizeof *best_t);
    int64_t *d1 = seg__malloc((n ? n : 1) * sizeof *d1);
    int64_t *d2 = seg__malloc((n ? n : 1) * sizeof *d2);
    int64_t *last = seg__malloc((n ? n : 1) * sizeof *last);
    bool *recent = seg__calloc(n ? n : 1, sizeof *recent);
    double *index = seg__malloc((n ? n : 1) * sizeof *index);
    double *days = seg__malloc((n ? n : 1) * sizeof *days);
    const char **name = seg__calloc(n ? n : 1, sizeof *name);
    if (!kst || !best || !best_t || !d1 || !d2 || !last || !recent ||
        !index || !days || !name)
        rc = seg__nomem(NULL);
    if (!rc) {
        for (size_t k = 0; k < nk; k++)
            kst[k] = S_AWARENESS; /* any interaction is at least awareness */
        map_ctx c = {ds, kst};
        rc = each_pair(m, "mapping", map_pair, &c);
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++) {
            best_t[i] = INT64_MAX;
            d1[i] = d2[i] = last[i] = INT64_MAX;
        }
        for (size_t i = 0; i < ev.n; i++) {
            int64_t t = ev.time[i];
            if (t > as_of)
                continue;
            uint32_t c = ev.cust[i];
            last[c] = last[c] == INT64_MAX || t > last[c] ? t : last[c];
            if (t <= from)
                continue;
            recent[c] = true;
            int st = kst[ev.kind[i]];
            if (st > best[c] || (st == best[c] && t < best_t[c])) {
                best[c] = st;
                best_t[c] = t;
            }
        }
        for (size_t i = 0; i < tx.n; i++) {
            int64_t t = tx.time[i];
            if (t > as_of)
                continue;
            uint32_t c = tx.cust[i];
            last[c] = last[c] == INT64_MAX || t > last[c] ? t : last[c];
            recent[c] = recent[c] || t > from;
            int64_t d = day_of(t);
            if (d1[c] == INT64_MAX || d < day_of(d1[c])) {
                if (d1[c] != INT64_MAX)
                    d2[c] = d1[c];
                d1[c] = t;
            } else if (d != day_of(d1[c]) &&
                       (d2[c] == INT64_MAX || d < day_of(d2[c]))) {
                d2[c] = t;
            }
        }
        bool zh = strcmp(seg__param_str(m, "language"), "zh") == 0;
        int64_t today = day_of(as_of);
        for (size_t i = 0; i < n; i++) {
            int st;
            int64_t since;
            if (last[i] == INT64_MAX) { /* no record up to as_of */
                index[i] = days[i] = NAN;
                continue;
            }
            if (!recent[i]) {
                st = S_LAPSED;
                since = last[i];
            } else if (d2[i] != INT64_MAX) {
                st = S_REPEAT;
                since = d2[i];
            } else if (d1[i] != INT64_MAX) {
                st = S_CUSTOMER;
                since = d1[i];
            } else {
                st = best[i];
                since = best_t[i];
            }
            index[i] = st;
            days[i] = (double)(today - day_of(since));
            name[i] = zh ? stage_zh[st] : stage_en[st];
        }
        rc = seg__model_put(m, ds, prefix, "name", NULL, name);
        if (!rc)
            rc = seg__model_put(m, ds, prefix, "index", index, NULL);
        if (!rc)
            rc = seg__model_put(m, ds, prefix, "days_in_stage", days, NULL);
    }
    seg__free(kst);
    seg__free(best);
    seg__free(best_t);
    seg__free(d1);
    seg__free(d2);
    seg__free(last);
    seg__free(recent);
    seg__free(index);
    seg__free(days);
    seg__free(name);
    return rc;
}

static const seg_param_def stage_params[] = {
    STR("mapping", "event kind to stage: KIND=awareness|comparison|decision, "
        "...; kinds not named count as awareness",
        "view=awareness,visit=awareness,page_view=awareness,"
        "ad_click=awareness,email_open=awareness,email_click=awareness,"
        "compare=comparison,trial=comparison,demo=comparison,"
        "pricing_view=comparison,review_read=comparison,"
        "cart=decision,add_to_cart=decision,quote=decision,"
        "coupon=decision,coupon_claim=decision,checkout=decision",
        NULL),
    NUM("window_days", SEG_PARAM_F64, "the stage is the furthest reached in "
        "this many days up to as_of", 0.001, 1e6, 90),
    STR("as_of", "the time stages are taken at; empty: the latest record", "",
        NULL),
    STR("language", "language of the stage names", "en", "en|zh"),
};
#undef STR
#undef NUM

const seg_model_class seg__stage_class = {
    sizeof(seg_model_class), "stage",
    "purchase stage: awareness, comparison, decision, customer, repeat, "
    "lapsed",
    stage_params, sizeof stage_params / sizeof *stage_params,
    sizeof(seg_param_def), beh_create, beh_destroy, stage_check, stage_score,
    NULL, NULL, NULL, NULL, NULL, NULL};
