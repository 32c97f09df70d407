/* The report's sections: tiers, then one per model (RFM, CLV and the
 * purchase models, engagement, stages, k-means), then the crosstab. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_sections.h"

/* The labels of the library's presets in their natural order (the best
 * group first), English and Chinese, so that a preset's group keeps its
 * place and colour whatever the data. */
static const char *const known_orders[][2][11] = {
    {{"Champions", "Loyal Customers", "Potential Loyalist", "New Customers",
      "Promising", "Need Attention", "About To Sleep", "At Risk",
      "Can't Lose Them", "Hibernating", "Lost"},
     {"冠军客户", "忠诚客户", "潜在忠诚客户", "新客户", "有潜力客户",
      "需要关注客户", "即将沉睡客户", "有流失风险客户", "不能失去的客户",
      "休眠客户", "流失客户"}},
    {{"Important Value", "Important Development", "Important Retention",
      "Important Win-back", "General Value", "General Development",
      "General Retention", "General Win-back"},
     {"重要价值客户", "重要发展客户", "重要保持客户", "重要挽留客户",
      "一般价值客户", "一般发展客户", "一般保持客户", "一般挽留客户"}},
    {{"High Value", "Medium Value", "Low Value"}, {"高价值", "中价值", "低价值"}},
    {{"active", "silent", "potential", "lost"}, {"活跃", "沉默", "潜在", "流失"}},
};

static void rank_known(rep_groups *g)
{
    size_t nk = sizeof known_orders / sizeof *known_orders;
    for (size_t j = 0; j < g->n; j++) {
        /* a label outside the presets (no label) goes after them */
        g->g[j].key = 1e15 - g->g[j].count;
        for (size_t k = 0; k < nk; k++)
            for (int l = 0; l < 2; l++)
                for (int i = 0; i < 11 && known_orders[k][l][i]; i++)
                    if (!strcmp(g->g[j].label, known_orders[k][l][i])) {
                        g->g[j].key = i;
                        g->g[j].rank = i;
                    }
    }
    rep_groups_sort(g);
}

static void heading(const rep *r, rep_word w, const char *name,
                    const char *kind)
{
    cli_printf(r->f, "<section class=\"%s\">\n<h2>%s", kind, rep_w(r, w));
    if (name) {
        cli_puts(r->f, r->zh ? "：" : ": ");
        rep_esc(r->f, name);
    }
    cli_puts(r->f, "</h2>\n");
}

/* A summary table of the library, its rows in the groups' order. */
static void summary_in_order(const rep *r, const rep_groups *g,
                             const char *by, const char *const *values,
                             size_t nv)
{
    seg_table *t = NULL;
    size_t n = 0, *order = NULL;
    if (seg_dataset_summary_table(&t, r->ds, by, values, nv) == SEG_OK &&
        (order = rep_order_rows(t, g, &n))) {
        rep_layout lay = {order, NULL, n, 0, false};
        rep_table(r, t, &lay);
    }
    free(order);
    seg_table_free(t);
}

/* Bars of customers and of a value's sum, in counts or shares. */
static void group_bars(const rep *r, const rep_groups *g, const char *value,
                       bool shares, const char *cat_title)
{
    double *c = calloc(g->n + 1, sizeof *c), *v = calloc(g->n + 1, sizeof *v);
    char vt[300];
    if (c && v) {
        for (size_t j = 0; j < g->n; j++) {
            c[j] = shares ? g->g[j].count / g->total_count : g->g[j].count;
            v[j] = shares ? (g->total_value > 0
                                 ? g->g[j].value / g->total_value
                                 : NAN)
                          : g->g[j].value;
        }
        snprintf(vt, sizeof vt, rep_w(r, W_SHARE_VALUE), value ? value : "");
        rep_bars s[2] = {
            {shares ? rep_w(r, W_SHARE_CUST) : rep_w(r, W_COUNT), c,
             shares ? FMT_PCT : FMT_COUNT},
            {shares ? vt : value, v, shares ? FMT_PCT : FMT_AMOUNT}};
        chart_hbars(r, g, s, value ? 2 : 1, cat_title);
    }
    free(c);
    free(v);
}

void rep_tier_section(const rep *r, const char *tier, const char *value)
{
    rep_groups g;
    if (rep_groups_of(r, tier, value, &g) != 0)
        return;
    if (g.n && g.g[0].rank < 0)
        rank_known(&g);
    heading(r, W_TIERS, tier, "tiers");
    rep_period(r);
    group_bars(r, &g, value, true, tier);
    const char *vals[2] = {"monetary_total", "clv.value"};
    size_t nv = seg_dataset_column_type(r->ds, "clv.value") > 0 ? 2 : 1;
    summary_in_order(r, &g, tier, vals, nv);
    cli_puts(r->f, "</section>\n");
    rep_groups_free(&g);
}

/* Scores that no customer has, as a row or column of zeros in the R x F
 * grid: tied values put several cut points at one value. */
static void empty_scores_note(const rep *r, const double *cnt, int kr, int kf,
                              bool columns)
{
    char list[200] = "";
    size_t len = 0;
    for (int v = 0; v < (columns ? kf : kr) && len < sizeof list; v++) {
        double c = 0;
        for (int w = 0; w < (columns ? kr : kf); w++)
            c += columns ? cnt[w * kf + v] : cnt[v * kf + w];
        if (c == 0)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%d",
                                    len ? ", " : "", v + 1);
    }
    if (len == 0)
        return;
    cli_puts(r->f, "<p class=note>");
    cli_printf(r->f, rep_w(r, W_TIES), columns ? "F" : "R", list);
    cli_puts(r->f, "</p>\n");
}

/* R's rfm package: heatmaps of R against F, of the count and of the mean
 * monetary value. */
static void rfm_heatmaps(const rep *r, const seg_model *model,
                         const char *mcol)
{
    const char *p = seg_model_name(model);
    char rn[300], fn[300], title[400];
    snprintf(rn, sizeof rn, "%s.r", p);
    snprintf(fn, sizeof fn, "%s.f", p);
    size_t n = seg_dataset_customer_count(r->ds);
    double *rs = calloc(n + 1, sizeof *rs), *fs = calloc(n + 1, sizeof *fs);
    double *m = calloc(n + 1, sizeof *m);
    double cnt[400] = {0}, sum[400] = {0}, mean[400];
    if (!rs || !fs || !m || seg_dataset_copy_f64(r->ds, rn, rs, n) ||
        seg_dataset_copy_f64(r->ds, fn, fs, n) ||
        seg_dataset_copy_f64(r->ds, mcol, m, n))
        goto done;
    /* the model's numbers of scores, so that an empty top score shows */
    double k_r = 5, k_f = 5;
    seg_model_get_f64(model, "k_r", &k_r);
    seg_model_get_f64(model, "k_f", &k_f);
    int kr = k_r >= 1 && k_r <= 20 ? (int)k_r : 5;
    int kf = k_f >= 1 && k_f <= 20 ? (int)k_f : 5;
    for (size_t i = 0; i < n; i++) {
        if (!(rs[i] >= 1 && rs[i] <= kr && fs[i] >= 1 && fs[i] <= kf))
            continue;
        size_t c = (size_t)(rs[i] - 1) * (size_t)kf + (size_t)(fs[i] - 1);
        cnt[c]++;
        sum[c] += isfinite(m[i]) ? m[i] : 0;
    }
    const char *rl[20], *fl[20];
    char text[40][8];
    for (int i = 0; i < 20; i++) {
        snprintf(text[i], sizeof text[i], "%d", i + 1);
        rl[i] = fl[i] = text[i];
    }
    for (int i = 0; i < kr * kf; i++)
        mean[i] = cnt[i] > 0 ? sum[i] / cnt[i] : NAN;
    char rt[100], ft[100];
    double higher = 0;
    seg_model_get_f64(model, "r_higher_is_better", &higher);
    snprintf(rt, sizeof rt, rep_w(r, higher ? W_SCORE_R_HIGH : W_SCORE_R), kr);
    snprintf(ft, sizeof ft, rep_w(r, W_SCORE_F), kf);
    cli_printf(r->f, "<h3>%s</h3>\n", rep_w(r, W_HEAT_COUNT));
    chart_heatmap(r, cnt, (size_t)kr, (size_t)kf, rl, fl, ft, rt, FMT_COUNT);
    empty_scores_note(r, cnt, kr, kf, true);
    empty_scores_note(r, cnt, kr, kf, false);
    snprintf(title, sizeof title, rep_w(r, W_HEAT_MEAN), mcol);
    cli_puts(r->f, "<h3>");
    rep_esc(r->f, title);
    cli_puts(r->f, "</h3>\n");
    chart_heatmap(r, mean, (size_t)kr, (size_t)kf, rl, fl, ft, rt,
                  FMT_AMOUNT);
done:
    free(rs);
    free(fs);
    free(m);
}

static void histogram_of(const rep *r, const char *col, const char *what,
                         int fmt)
{
    size_t n = seg_dataset_customer_count(r->ds);
    double *v = calloc(n + 1, sizeof *v);
    char title[400];
    if (v && seg_dataset_copy_f64(r->ds, col, v, n) == SEG_OK) {
        if (strcmp(what, col))
            snprintf(title, sizeof title, "%s (%s)", what, col);
        else
            snprintf(title, sizeof title, "%s", col);
        chart_histogram(r, v, n, title, fmt);
    }
    free(v);
}

static void rfm_section(const rep *r, const seg_model *m)
{
    const char *p = seg_model_name(m), *rc = "recency", *fc = "orders",
               *mc = "monetary_total";
    char seg[300];
    seg_model_get_str(m, "r_column", &rc);
    seg_model_get_str(m, "f_column", &fc);
    seg_model_get_str(m, "m_column", &mc);
    heading(r, W_RFM, p, "rfm");
    rep_period(r);
    snprintf(seg, sizeof seg, "%s.segment", p);
    rep_groups g;
    if (rep_groups_of(r, seg, mc, &g) == 0) {
        rank_known(&g);
        cli_printf(r->f, "<h3>%s</h3>\n", rep_w(r, W_RFM_SEG));
        group_bars(r, &g, mc, false, seg);
        const char *vals[1] = {mc};
        summary_in_order(r, &g, seg, vals, 1);
        rep_groups_free(&g);
    }
    rfm_heatmaps(r, m, mc);
    cli_printf(r->f, "<h3>%s</h3>\n", rep_w(r, W_HIST));
    histogram_of(r, rc, rep_w(r, W_RECENCY), FMT_AUTO);
    histogram_of(r, fc, rep_w(r, W_ORDERS), FMT_AUTO);
    histogram_of(r, mc, rep_w(r, W_MONETARY), FMT_AMOUNT);
    cli_puts(r->f, "</section>\n");
}

/* The period of engagement and stages: their own as_of, else every record
 * up to the latest, whatever --as-of and --holdout-from say. */
static void behaviour_period(const rep *r, const seg_model *m)
{
    const char *as_of = "";
    seg_model_get_str(m, "as_of", &as_of);
    cli_puts(r->f, "<p class=period>");
    if (as_of && *as_of) {
        cli_printf(r->f, rep_w(r, W_PERIOD_MODEL), as_of);
    } else if (r->as_of_given) {
        cli_printf(r->f, rep_w(r, W_PERIOD_LATEST_ASOF), r->as_of);
    } else {
        cli_printf(r->f, rep_w(r, W_PERIOD_LATEST), r->as_of);
    }
    if (r->holdout && !(as_of && *as_of))
        cli_puts(r->f, rep_w(r, W_HOLD_INCLUDED));
    cli_puts(r->f, "</p>\n");
}

static void engagement_section(const rep *r, const seg_model *m)
{
    char col[300];
    snprintf(col, sizeof col, "%s.level", seg_model_name(m));
    rep_groups g;
    if (rep_groups_of(r, col, NULL, &g) != 0)
        return;
    rank_known(&g);
    heading(r, W_ENG, seg_model_name(m), "engagement");
    behaviour_period(r, m);
    group_bars(r, &g, NULL, true, col);
    const char *vals[1] = {"monetary_total"};
    summary_in_order(r, &g, col, vals, 1);
    cli_puts(r->f, "</section>\n");
    rep_groups_free(&g);
}

/* A funnel: customers at each stage, and at that stage or a later one. */
static void stage_section(const rep *r, const seg_model *m)
{
    char col[300];
    snprintf(col, sizeof col, "%s.name", seg_model_name(m));
    rep_groups g;
    if (rep_groups_of(r, col, NULL, &g) != 0)
        return;
    double *c = calloc(g.n + 1, sizeof *c), *reach = calloc(g.n + 1, sizeof *c);
    if (c && reach) {
        for (size_t j = 0; j < g.n; j++) {
            c[j] = g.g[j].count;
            /* lapsed (index 0) is off the funnel: it counts only itself */
            for (size_t k = j; k < g.n; k++)
                reach[j] += g.g[j].key > 0 || k == j ? g.g[k].count : 0;
        }
        heading(r, W_STAGE, seg_model_name(m), "stage");
        behaviour_period(r, m);
        rep_bars s[2] = {{rep_w(r, W_COUNT), c, FMT_COUNT},
                         {rep_w(r, W_REACHED), reach, FMT_COUNT}};
        chart_hbars(r, &g, s, 2, col);
        const char *vals[1] = {"monetary_total"};
        summary_in_order(r, &g, col, vals, 1);
        cli_puts(r->f, "</section>\n");
    }
    free(c);
    free(reach);
    rep_groups_free(&g);
}

static void kmeans_section(const rep *r, const seg_model *m)
{
    seg_table *t = NULL;
    size_t cc, sc;
    if (seg_model_report_table(&t, m, r->ds, "profile") != SEG_OK)
        return;
    size_t nr = seg_table_row_count(t);
    rep_groups g = {0};
    double *size = calloc(nr + 1, sizeof *size);
    char (*names)[24] = calloc(nr + 1, sizeof *names);
    g.g = calloc(nr + 1, sizeof *g.g);
    if (size && names && g.g &&
        seg_table_column_find(t, "cluster", &cc) == SEG_OK &&
        seg_table_column_find(t, "size", &sc) == SEG_OK) {
        for (size_t row = 0; row < nr; row++) {
            double k = seg_table_f64(t, row, cc);
            rep_fixed(names[row], sizeof names[row], k, 0);
            g.g[g.n++] = (rep_group){names[row], seg_table_f64(t, row, sc), 0,
                                     k, (int)k};
            size[row] = g.g[row].count;
        }
        heading(r, W_KM, seg_model_name(m), "kmeans");
        rep_period(r);
        cli_printf(r->f, "<h3>%s</h3>\n", rep_w(r, W_KM_SIZES));
        rep_bars s = {rep_w(r, W_COUNT), size, FMT_COUNT};
        chart_hbars(r, &g, &s, 1, rep_w(r, W_CLUSTER));
        cli_printf(r->f, "<h3>%s</h3>\n", rep_w(r, W_KM_PROFILE));
        rep_table(r, t, NULL);
        cli_puts(r->f, "</section>\n");
    }
    free(size);
    free(names);
    free(g.g);
    seg_table_free(t);
}

void rep_model_section(const rep *r, const seg_model *m)
{
    const char *kind = seg_model_kind(m);
    if (!strcmp(kind, "rfm")) {
        rfm_section(r, m);
    } else if (!strcmp(kind, "clv") || !strcmp(kind, "bgnbd") ||
               !strcmp(kind, "mbgnbd") || !strcmp(kind, "pareto_nbd") ||
               !strcmp(kind, "ggompertz")) {
        heading(r, W_CLV, seg_model_name(m), "clv");
        rep_period(r);
        rep_clv_parts(r, m);
        rep_diagnostics_parts(r, m);
        cli_puts(r->f, "</section>\n");
    } else if (!strcmp(kind, "engagement")) {
        engagement_section(r, m);
    } else if (!strcmp(kind, "stage")) {
        stage_section(r, m);
    } else if (!strcmp(kind, "kmeans")) {
        kmeans_section(r, m);
    }
}

/* The crosstab's row shares as one stacked bar per tier. */
static void cross_chart(const rep *r, const seg_table *t, const rep_groups *g,
                        const rep_groups *gc, const char *tier,
                        const char *cross)
{
    size_t nr = seg_table_row_count(t), nc = seg_table_column_count(t);
    double *share = calloc(g->n * gc->n + 1, sizeof *share);
    if (!share || nc < 2)
        goto done;
    for (size_t i = 0; i < g->n; i++) {
        size_t row = nr;
        for (size_t k = 0; k < nr && row == nr; k++) {
            const char *s = seg_table_text(t, k, 0);
            row = s && !strcmp(s, g->g[i].label) ? k : nr;
        }
        double whole = row < nr ? seg_table_f64(t, row, nc - 1) : NAN;
        for (size_t j = 0; j < gc->n; j++) {
            size_t col;
            share[i * gc->n + j] =
                row < nr && whole > 0 &&
                        seg_table_column_find(t, gc->g[j].label, &col) ==
                            SEG_OK
                    ? seg_table_f64(t, row, col) / whole
                    : NAN;
        }
    }
    char title[400];
    snprintf(title, sizeof title, rep_w(r, W_SHARE_VALUE), cross);
    chart_stacked(r, g, gc, share, tier, title);
done:
    free(share);
}

void rep_cross_section(const rep *r, const char *tier, const char *cross)
{
    seg_table *t = NULL;
    rep_groups g, gc;
    if (seg_dataset_crosstab_table(&t, r->ds, tier, cross) != SEG_OK)
        return;
    if (rep_groups_of(r, tier, NULL, &g) == 0) {
        if (rep_groups_of(r, cross, NULL, &gc) == 0) {
            if (gc.n && gc.g[0].rank < 0)
                rank_known(&gc);
            /* colours apart within the chart for what has no rank */
            for (size_t j = 0; j < gc.n; j++)
                gc.g[j].rank = gc.g[j].rank < 0 ? (int)j : gc.g[j].rank;
            if (g.n && g.g[0].rank < 0)
                rank_known(&g);
            rep_layout lay = {NULL, NULL, 0, 0, false};
            size_t *rows = rep_order_rows(t, &g, &lay.n_rows);
            size_t *cols = rep_order_cols(t, &gc, &lay.n_cols);
            lay.rows = rows;
            lay.cols = cols;
            char title[700];
            snprintf(title, sizeof title, rep_w(r, W_CROSS), tier, cross);
            cli_puts(r->f, "<section class=\"crosstab\">\n<h2>");
            rep_esc(r->f, title);
            cli_puts(r->f, "</h2>\n");
            rep_period(r);
            if (rows && cols) {
                rep_table(r, t, &lay);
                cli_printf(r->f, "<h3>%s</h3>\n", rep_w(r, W_CROSS_SHARES));
                cross_chart(r, t, &g, &gc, tier, cross);
                lay.share_of_row = true;
                rep_table(r, t, &lay);
            }
            cli_puts(r->f, "</section>\n");
            free(rows);
            free(cols);
            rep_groups_free(&gc);
        }
        rep_groups_free(&g);
    }
    seg_table_free(t);
}
