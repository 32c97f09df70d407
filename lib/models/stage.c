/* The stage model: the furthest purchase-funnel stage a customer reached
 * in a window (awareness, comparison, decision), or customer, repeat and
 * lapsed from the purchases. */
#include <math.h>
#include <string.h>

#include "models/behaviour.h"

enum { S_LAPSED, S_AWARENESS, S_COMPARISON, S_DECISION, S_CUSTOMER,
       S_REPEAT, S_N };
static const char *const stage_en[S_N] = {"lapsed", "awareness", "comparison",
                                          "decision", "customer", "repeat"};
/* lapsed is 沉睡 (dormant), not 流失: engagement's "lost" is 流失, and one
 * word for both would merge two different columns in a crosstab */
static const char *const stage_zh[S_N] = {"沉睡", "认知", "比较",
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
    int rc = seg__beh_as_of(m, ds, &t);
    if (!rc) {
        map_ctx c = {ds, NULL};
        rc = seg__beh_each_pair(m, "mapping", map_pair, &c);
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
    seg__beh_records r;
    int rc = seg__beh_records_of(m, ds, &r);
    if (rc)
        return rc;
    size_t n = r.customers, nk = r.kinds;
    int64_t from =
        r.as_of - (int64_t)(seg__param_num(m, "window_days") * SEG__DAY);
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
        rc = seg__beh_each_pair(m, "mapping", map_pair, &c);
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++) {
            best_t[i] = INT64_MAX;
            d1[i] = d2[i] = last[i] = INT64_MAX;
        }
        for (size_t i = 0; i < r.ev.n; i++) {
            int64_t t = r.ev.time[i];
            if (t > r.as_of)
                continue;
            uint32_t c = r.ev.cust[i];
            last[c] = last[c] == INT64_MAX || t > last[c] ? t : last[c];
            if (t <= from)
                continue;
            recent[c] = true;
            int st = kst[r.ev.kind[i]];
            if (st > best[c] || (st == best[c] && t < best_t[c])) {
                best[c] = st;
                best_t[c] = t;
            }
        }
        for (size_t i = 0; i < r.tx.n; i++) {
            int64_t t = r.tx.time[i];
            if (t > r.as_of)
                continue;
            uint32_t c = r.tx.cust[i];
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
        int64_t today = day_of(r.as_of);
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
        const seg__out outs[] = {{"name", NULL, NULL, name},
                                 {"index", index, NULL, NULL},
                                 {"days_in_stage", days, NULL, NULL}};
        rc = seg__model_put_all(m, ds, prefix, outs, 3);
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

#define STR(n, d, def, ch) {sizeof(seg_param_def), n, SEG_PARAM_STR, d, 0, 0, 0, def, ch}
#define NUM(n, t, d, lo, hi, def) {sizeof(seg_param_def), n, t, d, lo, hi, def, NULL, NULL}

static const seg_param_def stage_params[] = {
    STR("mapping", "event kind to stage: KIND=awareness|comparison|decision, "
        "...; kinds not named count as awareness",
        "view=awareness,visit=awareness,page_view=awareness,"
        "ad_click=awareness,email_open=awareness,email_click=awareness,"
        "compare=comparison,trial=comparison,demo=comparison,"
        "pricing_view=comparison,review_read=comparison,"
        "cart=decision,add_to_cart=decision,cart_add=decision,"
        "quote=decision,demo_request=decision,"
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
    sizeof(seg_param_def), seg__beh_create, seg__beh_destroy, stage_check, stage_score,
    NULL, NULL, NULL, NULL, NULL, NULL};
