/* The engagement model: a decayed, weighted count of a customer's
 * interactions and purchases, and its level: active, silent, potential,
 * lost. */
#include <math.h>
#include <string.h>

#include "models/behaviour.h"

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
    seg__beh_records r;
    int rc = seg__beh_records_of(m, ds, &r);
    if (rc)
        return rc;
    size_t n = r.customers, nk = r.kinds;
    double half = seg__param_num(m, "half_life_days") * SEG__DAY;
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
        rc = seg__beh_each_pair(m, "weights", weight_pair, &c);
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++)
            last[i] = -INFINITY;
        for (size_t i = 0; i < r.ev.n; i++) {
            int64_t t = r.ev.time[i];
            if (t > r.as_of)
                continue;
            uint32_t c = r.ev.cust[i];
            score[c] += w[r.ev.kind[i]] * exp2(-(double)(r.as_of - t) / half);
            last[c] = fmax(last[c], (double)t);
        }
        for (size_t i = 0; i < r.tx.n; i++) {
            int64_t t = r.tx.time[i];
            if (t > r.as_of)
                continue;
            uint32_t c = r.tx.cust[i];
            score[c] += wbuy * exp2(-(double)(r.as_of - t) / half);
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
            since[i] = ((double)r.as_of - last[i]) / SEG__DAY;
            int lv = since[i] > lost_days                          ? 3
                     : !bought[i]                                   ? 2
                     : since[i] <= active_days && score[i] >= active_score
                         ? 0
                         : 1;
            level[i] = zh ? level_zh[lv] : level_en[lv];
        }
        const seg__out outs[] = {{"score", score, NULL, NULL},
                                 {"days_since_last", since, NULL, NULL},
                                 {"level", NULL, NULL, level}};
        rc = seg__model_put_all(m, ds, prefix, outs, 3);
    }
    seg__free(score);
    seg__free(last);
    seg__free(since);
    seg__free(bought);
    seg__free(w);
    seg__free(level);
    return rc;
}

static int engagement_check(void *state, seg_model *m,
                            const seg_dataset *ds, void *ud)
{
    (void)state;
    (void)ud;
    int64_t t;
    int rc = seg__beh_as_of(m, ds, &t);
    if (!rc &&
        seg__param_num(m, "lost_days") <= seg__param_num(m, "active_days"))
        rc = seg__model_error(m, SEG_ERANGE, "%s: lost_days must be more "
                              "than active_days", seg_model_name(m));
    if (!rc) {
        weights_ctx c = {ds, NULL};
        rc = seg__beh_each_pair(m, "weights", weight_pair, &c);
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

#undef STR
#undef NUM

const seg_model_class seg__engagement_class = {
    sizeof(seg_model_class), "engagement",
    "decayed, weighted interactions; levels active, silent, potential, lost",
    engagement_params, sizeof engagement_params / sizeof *engagement_params,
    sizeof(seg_param_def), seg__beh_create, seg__beh_destroy, engagement_check,
    engagement_score, NULL, NULL, NULL, NULL, NULL, NULL};
