/* The RFM model: recency, frequency and monetary scores 1..k from quantile
 * (or given) cut points, their combinations, and segment presets. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/internal.h"

#define MAX_K 20

enum { D_R, D_F, D_M, D_N };

typedef struct rfm_state {
    int k[D_N];
    double cuts[D_N][MAX_K - 1];
    double center[D_N];      /* mean or median of each input, for cn8 */
    double value_cuts[2];    /* low/medium and medium/high boundaries */
} rfm_state;

static const seg_param_def rfm_params[] = {
#define STR(n, d, def, ch) {sizeof(seg_param_def), n, SEG_PARAM_STR, d, 0, 0, 0, def, ch}
#define NUM(n, t, d, lo, hi, def) {sizeof(seg_param_def), n, t, d, lo, hi, def, NULL, NULL}
    STR("r_column", "column giving recency (R)", "recency", NULL),
    STR("f_column", "column giving frequency (F)", "orders", NULL),
    STR("m_column", "column giving monetary value (M)", "monetary_total", NULL),
    NUM("r_higher_is_better", SEG_PARAM_INT,
        "1 if a higher R value is better (0: lower is better, as recency)",
        0, 1, 0),
    NUM("k_r", SEG_PARAM_INT, "number of R scores", 2, MAX_K, 5),
    NUM("k_f", SEG_PARAM_INT, "number of F scores", 2, MAX_K, 5),
    NUM("k_m", SEG_PARAM_INT, "number of M scores", 2, MAX_K, 5),
    STR("r_cuts", "R cut points, ascending, comma-separated (k_r-1 of them); "
        "empty: quantiles learned at fit", "", NULL),
    STR("f_cuts", "F cut points (k_f-1); empty: quantiles", "", NULL),
    STR("m_cuts", "M cut points (k_m-1); empty: quantiles", "", NULL),
    NUM("w_r", SEG_PARAM_F64, "weight of R in rfm.total", 0, 1e6, 1),
    NUM("w_f", SEG_PARAM_F64, "weight of F in rfm.total", 0, 1e6, 1),
    NUM("w_m", SEG_PARAM_F64, "weight of M in rfm.total", 0, 1e6, 1),
    STR("segments", "segment preset written to .segment", "marketing",
        "marketing|cn8|value|none"),
    STR("language", "language of the segment labels", "en", "en|zh"),
    STR("center", "cn8: compare R, F, M with their mean or median", "mean",
        "mean|median"),
    STR("value_column", "value preset: the column ranked", "monetary_total",
        NULL),
    NUM("value_low_q", SEG_PARAM_F64,
        "value preset: quantile above which a customer is medium value", 0, 1,
        0.5),
    NUM("value_high_q", SEG_PARAM_F64,
        "value preset: quantile above which a customer is high value", 0, 1,
        0.8),
#undef STR
#undef NUM
};

static int rfm_create(void **state, void *user_data)
{
    (void)user_data;
    *state = seg__calloc(1, sizeof(rfm_state));
    return *state ? SEG_OK : SEG_ENOMEM;
}

static void rfm_destroy(void *state, void *user_data)
{
    (void)user_data;
    seg__free(state);
}

#define num_param seg__param_num
#define str_param seg__param_str

/* Read a numeric column into a new array (customer count values). */
static int read_column(const seg_model *m, const seg_dataset *ds,
                       const char *col, double **out)
{
    int rc;
    *out = seg__model_column(m, ds, col, &rc);
    return rc;
}

/* Quantiles of the finite values of v (n of them) at ps[0..np-1], by
 * linear interpolation between order statistics (the default of numpy and
 * pandas, type 7 in R), into qs; their mean into *mean and their number
 * into *cnt. v, the caller's copy, is compacted to its finite values and
 * may be reordered. Selection, not sorting: about one pass a quantile. */
static void learn(double *v, size_t n, const double *ps, int np, double *qs,
                  double *mean, size_t *cnt)
{
    size_t c = 0;
    ksum sum = {0, 0};
    for (size_t i = 0; i < n; i++) {
        if (isfinite(v[i])) {
            ksum_add(&sum, v[i]);
            v[c++] = v[i] == 0 ? 0.0 : v[i]; /* -0 counts as 0 */
        }
    }
    *cnt = c;
    *mean = c ? ksum_value(&sum) / (double)c : NAN;
    for (int j = 0; j < np && c; j++)
        if (!seg__quantile_sampled(v, c, c, ps[j], &qs[j]))
            qs[j] = seg__quantile_select(v, c, ps[j]);
}

static int parse_cuts(const seg_model *m, const char *param, const char *text,
                      int k, double *cuts)
{
    int n = 0;
    const char *p = text;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        double v;
        if (n >= k - 1 || seg__parse_f64(p, len, &v) != SEG_OK)
            break;
        if (n > 0 && v < cuts[n - 1])
            return seg__model_error(m, SEG_ERANGE, "%s: cut points must be "
                                    "ascending", param);
        cuts[n++] = v;
        p = comma ? comma + 1 : p + len;
        if (!comma)
            break;
    }
    if (n != k - 1 || *p)
        return seg__model_error(m, SEG_ERANGE, "%s: expected %d ascending "
                                "numbers separated by commas", param, k - 1);
    return SEG_OK;
}

static int rfm_fit(void *state, seg_model *m, const seg_dataset *ds,
                   void *user_data)
{
    (void)user_data;
    rfm_state *st = state;
    static const char *const colp[D_N] = {"r_column", "f_column", "m_column"};
    static const char *const kp[D_N] = {"k_r", "k_f", "k_m"};
    static const char *const cutp[D_N] = {"r_cuts", "f_cuts", "m_cuts"};
    size_t n = seg_dataset_customer_count(ds);
    int rc = SEG_OK;
    const char *center = str_param(m, "center");
    for (int d = 0; d < D_N && !rc; d++) {
        st->k[d] = (int)num_param(m, kp[d]);
        double *v = NULL, q[MAX_K], ps[MAX_K], mean = NAN;
        size_t cnt = 0;
        int np = 0;
        bool median = strcmp(center, "median") == 0;
        for (int j = 1; j < st->k[d]; j++)
            ps[np++] = (double)j / st->k[d];
        if (median)
            ps[np++] = 0.5; /* last */
        rc = read_column(m, ds, str_param(m, colp[d]), &v);
        if (!rc)
            learn(v, n, ps, np, q, &mean, &cnt);
        if (!rc && cnt == 0)
            rc = seg__model_error(m, SEG_ERANGE, "%s: column '%s' has no "
                                  "values to learn from", seg_model_name(m),
                                  str_param(m, colp[d]));
        if (!rc) {
            const char *given = str_param(m, cutp[d]);
            if (*given)
                rc = parse_cuts(m, cutp[d], given, st->k[d], st->cuts[d]);
            else
                memcpy(st->cuts[d], q, (size_t)(st->k[d] - 1) * sizeof *q);
            st->center[d] = median ? q[np - 1] : mean;
        }
        seg__free(v);
    }
    if (rc || strcmp(str_param(m, "segments"), "value") != 0)
        return rc;
    double lo = num_param(m, "value_low_q"), hi = num_param(m, "value_high_q");
    if (!(lo < hi))
        return seg__model_error(m, SEG_ERANGE, "value_low_q (%g) must be below "
                                "value_high_q (%g)", lo, hi);
    double *v = NULL, ps[2] = {lo, hi}, mean;
    size_t cnt = 0;
    rc = read_column(m, ds, str_param(m, "value_column"), &v);
    if (!rc)
        learn(v, n, ps, 2, st->value_cuts, &mean, &cnt);
    if (!rc && cnt == 0)
        rc = seg__model_error(m, SEG_ERANGE, "%s: value column has no values",
                              seg_model_name(m));
    seg__free(v);
    return rc;
}

/* 1 + the number of cut points the value is strictly better than, so equal
 * values always get equal scores, and a value on a cut point goes down. */
static double score_of(double v, const double *cuts, int k, bool higher)
{
    if (!isfinite(v))
        return NAN;
    int s = 1;
    for (int j = 0; j < k - 1; j++)
        s += higher ? v > cuts[j] : v < cuts[j];
    return s;
}

/* The eleven marketing groups, on the R x F grid of scores 1..5. */
static const char *const grid_en[11] = {
    "Champions",       "Loyal Customers", "Potential Loyalist",
    "New Customers",   "Promising",       "Need Attention",
    "About To Sleep",  "At Risk",         "Can't Lose Them",
    "Hibernating",     "Lost"};
static const char *const grid_zh[11] = {
    "冠军客户", "忠诚客户",   "潜在忠诚客户", "新客户",   "有潜力客户", "需要关注客户",
    "即将沉睡客户", "有流失风险客户", "不能失去的客户", "休眠客户", "流失客户"};

static int grid_group(int r, int f)
{
    if (r <= 2) {
        if (f == 5)
            return 8;               /* Can't Lose Them */
        if (f >= 3)
            return 7;               /* At Risk */
        return r == 1 && f == 1 ? 10 /* Lost */ : 9 /* Hibernating */;
    }
    if (r == 3) {
        if (f <= 2)
            return 6;               /* About To Sleep */
        return f == 3 ? 5 /* Need Attention */ : 1 /* Loyal Customers */;
    }
    if (f >= 4)
        return r == 5 ? 0 /* Champions */ : 1 /* Loyal Customers */;
    if (f >= 2)
        return 2;                   /* Potential Loyalist */
    return r == 5 ? 3 /* New Customers */ : 4 /* Promising */;
}

static int to5(double s, int k)
{
    return (int)lround(1.0 + (s - 1.0) * 4.0 / (double)(k - 1));
}

static const char *const cn8_en[8] = {
    "Important Value", "Important Development", "Important Retention",
    "Important Win-back", "General Value", "General Development",
    "General Retention", "General Win-back"};
static const char *const cn8_zh[8] = {
    "重要价值客户", "重要发展客户", "重要保持客户", "重要挽留客户",
    "一般价值客户", "一般发展客户", "一般保持客户", "一般挽留客户"};
static const char *const value_en[3] = {"Low Value", "Medium Value",
                                        "High Value"};
static const char *const value_zh[3] = {"低价值", "中价值", "高价值"};

static int rfm_score(void *state, const seg_model *m, seg_dataset *ds,
                     const char *prefix, void *user_data)
{
    (void)user_data;
    const rfm_state *st = state;
    static const char *const colp[D_N] = {"r_column", "f_column", "m_column"};
    size_t n = seg_dataset_customer_count(ds);
    /* the inputs read in place: nothing reads them after the first put */
    const double *in[D_N] = {NULL, NULL, NULL}, *value = NULL;
    double *sc[D_N] = {NULL, NULL, NULL}, *score = NULL, *total = NULL;
    const char **labels = NULL;
    const char *preset = str_param(m, "segments");
    bool zh = strcmp(str_param(m, "language"), "zh") == 0;
    int rc = SEG_OK;
    for (int d = 0; d < D_N && !rc; d++) {
        in[d] = seg__model_column_view(m, ds, str_param(m, colp[d]), &rc);
        if (!rc && !(sc[d] = seg__malloc((n ? n : 1) * sizeof **sc)))
            rc = seg__nomem(NULL);
    }
    if (!rc && strcmp(preset, "value") == 0)
        value = seg__model_column_view(m, ds, str_param(m, "value_column"),
                                       &rc);
    if (!rc && (!(score = seg__malloc((n ? n : 1) * sizeof *score)) ||
                !(total = seg__malloc((n ? n : 1) * sizeof *total)) ||
                !(labels = seg__calloc(n ? n : 1, sizeof *labels))))
        rc = seg__nomem(NULL);
    if (!rc) {
        bool r_higher = num_param(m, "r_higher_is_better") != 0;
        enum { P_NONE, P_MARKETING, P_CN8, P_VALUE } kind =
            strcmp(preset, "marketing") == 0 ? P_MARKETING
            : strcmp(preset, "cn8") == 0     ? P_CN8
            : strcmp(preset, "value") == 0   ? P_VALUE
                                             : P_NONE;
        double w[D_N] = {num_param(m, "w_r"), num_param(m, "w_f"),
                         num_param(m, "w_m")};
        /* rfm.score writes R, F and M as digits: one each while every k is
         * 9 or less (R*100 + F*10 + M, as always), two each once one is
         * larger, so that no two (R, F, M) share a score */
        const double digit = st->k[D_R] <= 9 && st->k[D_F] <= 9 &&
                                     st->k[D_M] <= 9
                                 ? 10
                                 : 100;
        for (size_t i = 0; i < n; i++) {
            for (int d = 0; d < D_N; d++)
                sc[d][i] = score_of(in[d][i], st->cuts[d], st->k[d],
                                    d != D_R || r_higher);
            double r = sc[D_R][i], f = sc[D_F][i], mm = sc[D_M][i];
            bool ok = !isnan(r) && !isnan(f) && !isnan(mm);
            score[i] = ok ? (r * digit + f) * digit + mm : NAN;
            total[i] = ok ? w[D_R] * r + w[D_F] * f + w[D_M] * mm : NAN;
            if (!ok)
                continue;
            if (kind == P_MARKETING) {
                int g = grid_group(to5(r, st->k[D_R]), to5(f, st->k[D_F]));
                labels[i] = zh ? grid_zh[g] : grid_en[g];
            } else if (kind == P_CN8) {
                double rv = in[D_R][i];
                bool rh = r_higher ? rv > st->center[D_R]
                                   : rv < st->center[D_R];
                bool fh = in[D_F][i] > st->center[D_F];
                bool mh = in[D_M][i] > st->center[D_M];
                /* important (M+) or general (M-); then value (R+ F+),
                 * development (R+ F-), retention (R- F+), win-back (R- F-) */
                int g = (mh ? 0 : 4) + (rh ? 0 : 2) + (fh ? 0 : 1);
                labels[i] = zh ? cn8_zh[g] : cn8_en[g];
            } else if (kind == P_VALUE && isfinite(value[i])) {
                int t = value[i] > st->value_cuts[1]   ? 2
                        : value[i] > st->value_cuts[0] ? 1
                                                       : 0;
                labels[i] = zh ? value_zh[t] : value_en[t];
            }
        }
        const seg__out outs[] = {{"r", NULL, &sc[0], NULL},
                                 {"f", NULL, &sc[1], NULL},
                                 {"m", NULL, &sc[2], NULL},
                                 {"score", NULL, &score, NULL},
                                 {"total", NULL, &total, NULL},
                                 {"segment", NULL, NULL, labels}};
        rc = seg__model_put_all(m, ds, prefix, outs,
                                strcmp(preset, "none") != 0 ? 6 : 5);
    }
    for (int d = 0; d < D_N; d++)
        seg__free(sc[d]);
    seg__free(score);
    seg__free(total);
    seg__free(labels);
    return rc;
}

static int rfm_save(void *state, const seg_model *m, seg_write_fn write,
                    void *write_user, void *user_data)
{
    (void)m;
    (void)user_data;
    const rfm_state *st = state;
    static const char *const keys[D_N] = {"cuts_r", "cuts_f", "cuts_m"};
    int rc = SEG_OK;
    for (int d = 0; d < D_N && !rc; d++)
        rc = seg__state_put(write, write_user, keys[d], st->cuts[d], st->k[d] - 1);
    if (!rc)
        rc = seg__state_put(write, write_user, "center", st->center, D_N);
    if (!rc)
        rc = seg__state_put(write, write_user, "value_cuts", st->value_cuts, 2);
    return rc;
}

static int rfm_load(void *state, seg_model *m, const char *text, size_t len,
                    void *user_data)
{
    (void)user_data;
    rfm_state *st = state;
    static const char *const keys[D_N] = {"cuts_r", "cuts_f", "cuts_m"};
    static const char *const kp[D_N] = {"k_r", "k_f", "k_m"};
    const char *p = text, *end = text + len;
    int rc = SEG_OK;
    for (int d = 0; d < D_N && !rc; d++) {
        st->k[d] = (int)num_param(m, kp[d]);
        rc = seg__state_get(m, &p, end, keys[d], st->cuts[d], st->k[d] - 1,
                            false);
        for (int j = 1; j < st->k[d] - 1 && !rc; j++)
            if (!(st->cuts[d][j] >= st->cuts[d][j - 1]))
                rc = seg__model_error(m, SEG_EPARSE, "'%s' is not ascending",
                                      keys[d]);
    }
    if (!rc)
        rc = seg__state_get(m, &p, end, "center", st->center, D_N, false);
    if (!rc)
        rc = seg__state_get(m, &p, end, "value_cuts", st->value_cuts, 2,
                            false);
    if (!rc && p != end)
        rc = seg__model_error(m, SEG_EPARSE, "unexpected text after "
                              "'value_cuts'");
    return rc;
}

const seg_model_class seg__rfm_class = {
    sizeof(seg_model_class),
    "rfm",
    "recency, frequency and monetary scores 1..k, with segment presets",
    rfm_params,
    sizeof rfm_params / sizeof *rfm_params,
    sizeof(seg_param_def),
    rfm_create,
    rfm_destroy,
    rfm_fit,
    rfm_score,
    rfm_save,
    rfm_load,
    NULL,
    NULL,
    NULL,
    NULL,
};
