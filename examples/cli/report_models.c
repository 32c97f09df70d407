/* The report's parts about fitted models: the header's table of models
 * and the purchase models' matrices and holdout comparison. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_sections.h"

/* Settings shown even at their defaults: what a reader needs to read the
 * numbers (the purchase model, horizons and units, the number of groups). */
static bool key_setting(const char *name)
{
    static const char *const keys[] = {
        "purchase_model", "horizon_months", "horizon_days",
        "discount_rate", "segments", "k", "features",
        "active_days", "lost_days", "window_days"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (!strcmp(name, keys[i]))
            return true;
    return false;
}

static void settings_cell(const rep *r, const seg_model *m)
{
    char buf[64];
    int shown = 0;
    for (size_t i = 0; i < seg_model_param_count(m); i++) {
        seg_param_def d;
        seg_param_def_init(&d);
        if (seg_model_param_info(m, i, &d) != SEG_OK)
            continue;
        const char *s = NULL;
        double v = NAN;
        if (d.type == SEG_PARAM_STR) {
            if (seg_model_get_str(m, d.name, &s) != SEG_OK ||
                (!key_setting(d.name) &&
                 !strcmp(s, d.default_str ? d.default_str : "")))
                continue;
        } else if (seg_model_get_f64(m, d.name, &v) != SEG_OK ||
                   (!key_setting(d.name) && v == d.default_num)) {
            continue;
        }
        cli_puts(r->f, shown++ ? ", " : "");
        rep_esc(r->f, d.name);
        cli_puts(r->f, "=");
        rep_esc(r->f, s ? s : rep_num(buf, sizeof buf, v, FMT_AUTO));
    }
    if (!shown)
        cli_puts(r->f, "–");
}

/* One result of a fit, or nothing for those the reader does not need
 * (standard errors go with their parameter, the rest stay in `segment
 * fit`). */
static void result_item(const rep *r, const seg_model *m, const char *name,
                        int *shown)
{
    char buf[64], se_name[256], sebuf[64];
    double v, se;
    if (seg_model_result(m, name, &v) != SEG_OK)
        return;
    const char *dot = strrchr(name, '.');
    const char *base = dot ? dot + 1 : name;
    int is_param = seg_model_result_is_param(m, name) == 1;
    if (!is_param && strcmp(base, "loglik") && strcmp(base, "converged") &&
        strcmp(base, "iterations") && strcmp(base, "inertia"))
        return;
    cli_puts(r->f, (*shown)++ ? "</span><br><span class=nw>"
                              : "<span class=nw>");
    /* a part's results (clv's spend.*) under the part's name */
    if (dot) {
        snprintf(se_name, sizeof se_name, "%.*s", (int)(dot - name), name);
        cli_puts(r->f, "<i>");
        rep_esc(r->f, se_name);
        cli_puts(r->f, "</i>: ");
    }
    if (!strcmp(base, "converged")) {
        cli_puts(r->f, rep_w(r, v == 1 ? W_CONVERGED : W_NOT_CONVERGED));
        return;
    }
    rep_esc(r->f, !strcmp(base, "loglik")       ? rep_w(r, W_LOGLIK)
                  : !strcmp(base, "iterations") ? rep_w(r, W_ITER)
                                                : base);
    cli_printf(r->f, " = %s", rep_num(buf, sizeof buf, v, FMT_AUTO));
    if (!is_param)
        return;
    if (dot)
        snprintf(se_name, sizeof se_name, "%.*s.se.%s", (int)(dot - name),
                 name, base);
    else
        snprintf(se_name, sizeof se_name, "se.%s", name);
    if (seg_model_result(m, se_name, &se) == SEG_OK)
        cli_printf(r->f, " (± %s)", isfinite(se)
                                        ? rep_num(sebuf, sizeof sebuf, se,
                                                  FMT_AUTO)
                                        : rep_w(r, W_BAD_FIT));
}

void rep_models_table(const rep *r, seg_model *const *models, size_t n)
{
    if (n == 0)
        return;
    cli_printf(r->f, "<h3>%s</h3>\n<div class=scroll><table class=facts>"
                     "<tr class=head><th>%s</th><th>%s</th><th>%s</th>"
                     "<th>%s</th></tr>\n",
               rep_w(r, W_MODELS), rep_w(r, W_NAME), rep_w(r, W_KIND),
               rep_w(r, W_PARAMS), rep_w(r, W_FIT));
    for (size_t i = 0; i < n; i++) {
        const seg_model *m = models[i];
        cli_puts(r->f, "<tr><th>");
        rep_esc(r->f, seg_model_name(m));
        cli_puts(r->f, "</th><td>");
        rep_esc(r->f, seg_model_kind(m));
        cli_puts(r->f, "</td><td>");
        settings_cell(r, m);
        cli_puts(r->f, "</td><td>");
        int shown = 0;
        for (size_t k = 0; seg_model_result_name(m, k); k++)
            result_item(r, m, seg_model_result_name(m, k), &shown);
        cli_puts(r->f, shown ? "</span>" : "–");
        cli_puts(r->f, "</td></tr>\n");
    }
    cli_puts(r->f, "</table></div>\n");
}

typedef struct history_grid {
    double T, horizon;
    size_t nr, nc;
    double *x, *t_x;
    const char **row_lab, **col_lab;
    char (*text)[24];
} history_grid;

/* The grid of lifetimes' matrices: frequency 0 .. its 99th percentile (at
 * most 20) down the side, recency t_x from 0 to the longest T across, every
 * cell at the longest T. */
static int grid_of(const rep *r, const seg_model *m, history_grid *g)
{
    const char *xc = "frequency", *tc = "T";
    seg_model_get_str(m, "x_column", &xc);
    seg_model_get_str(m, "T_column", &tc);
    size_t n = seg_dataset_customer_count(r->ds);
    double *x = calloc(n + 1, sizeof *x), *T = calloc(n + 1, sizeof *T);
    int rc = -1;
    memset(g, 0, sizeof *g);
    if (x && T && seg_dataset_copy_f64(r->ds, xc, x, n) == SEG_OK &&
        seg_dataset_copy_f64(r->ds, tc, T, n) == SEG_OK) {
        size_t seen = 0, below[21] = {0};
        for (size_t i = 0; i < n; i++) {
            if (!isfinite(x[i]) || !isfinite(T[i]))
                continue;
            seen++;
            g->T = fmax(g->T, T[i]);
            for (int k = 0; k <= 20; k++)
                below[k] += x[i] <= k;
        }
        size_t top = 0;
        while (top < 20 && (double)below[top] < 0.99 * (double)seen)
            top++;
        g->nr = top < 2 ? 3 : top + 1;
        g->nc = 10;
        rc = seen && g->T > 0 ? 0 : -1;
    }
    free(x);
    free(T);
    if (rc)
        return rc;
    g->x = calloc(g->nr, sizeof *g->x);
    g->t_x = calloc(g->nc, sizeof *g->t_x);
    g->row_lab = calloc(g->nr, sizeof *g->row_lab);
    g->col_lab = calloc(g->nc, sizeof *g->col_lab);
    g->text = calloc(g->nr + g->nc, sizeof *g->text);
    if (!g->x || !g->t_x || !g->row_lab || !g->col_lab || !g->text)
        return -1;
    for (size_t i = 0; i < g->nr; i++) {
        g->x[i] = (double)i;
        g->row_lab[i] = rep_fixed(g->text[i], sizeof g->text[i], (double)i, 0);
    }
    for (size_t j = 0; j < g->nc; j++) {
        g->t_x[j] = g->T * (double)j / (double)(g->nc - 1);
        g->col_lab[j] = rep_fixed(g->text[g->nr + j], sizeof g->text[0],
                                  g->t_x[j], g->T >= 20 ? 0 : 1);
    }
    return 0;
}

static void grid_free(history_grid *g)
{
    free(g->x);
    free(g->t_x);
    free(g->row_lab);
    free(g->col_lab);
    free(g->text);
}

/* One matrix: P(alive), or expected purchases in the next horizon. */
static void history_matrix(const rep *r, const seg_model *m,
                           const history_grid *g, bool expected)
{
    double *cell = calloc(g->nr * g->nc, sizeof *cell);
    if (!cell)
        return;
    for (size_t i = 0; i < g->nr; i++)
        for (size_t j = 0; j < g->nc; j++) {
            double a[4] = {g->horizon, g->x[i], g->t_x[j], g->T}, v = NAN;
            /* no history has repeat purchases without a time for them */
            bool possible = g->x[i] > 0 || j == 0;
            if (!possible ||
                seg_model_eval(m, expected ? "expected" : "p_alive",
                               expected ? a : a + 1, expected ? 4 : 3,
                               &v) != SEG_OK)
                v = NAN;
            cell[i * g->nc + j] = v;
        }
    char t[32], h[32], title[300];
    const char *unit = rep_w(r, r->unit == SEG_UNIT_WEEK ? W_WEEKS : W_DAYS);
    rep_num(t, sizeof t, g->T, FMT_AUTO);
    rep_num(h, sizeof h, g->horizon, FMT_AUTO);
    if (expected)
        snprintf(title, sizeof title, rep_w(r, W_EXPECTED), h, unit, t, unit);
    else
        snprintf(title, sizeof title, rep_w(r, W_PALIVE), t, unit);
    cli_printf(r->f, "<h3>%s</h3>\n", title);
    snprintf(title, sizeof title, rep_w(r, W_TX_AXIS), unit);
    chart_heatmap(r, cell, g->nr, g->nc, g->row_lab, g->col_lab, title,
                  rep_w(r, W_FREQ), expected ? FMT_FIXED2 : FMT_PCT);
    /* BG/NBD's customers without a repeat purchase are alive for sure
     * (the x = 0 cell is exactly 1): say so where a reader would otherwise
     * rank them by it */
    if (!expected && g->nr > 0 && g->nc > 0 && cell[0] == 1.0)
        cli_printf(r->f, "<p class=note>%s</p>\n", rep_w(r, W_ALIVE_ONE));
    free(cell);
}

static void holdout_part(const rep *r, const seg_model *m)
{
    seg_table *t = NULL;
    if (seg_dataset_column_type(r->ds, "holdout_orders") <= 0 ||
        seg_model_report_table(&t, m, r->ds, "holdout") != SEG_OK)
        return;
    size_t fc, pc, ac, k = 0, nr = seg_table_row_count(t);
    const char **cat = calloc(nr + 1, sizeof *cat);
    double *p = calloc(nr + 1, sizeof *p), *a = calloc(nr + 1, sizeof *a);
    if (cat && p && a && seg_table_column_find(t, "frequency", &fc) == SEG_OK &&
        seg_table_column_find(t, "predicted", &pc) == SEG_OK &&
        seg_table_column_find(t, "actual", &ac) == SEG_OK) {
        for (size_t row = 0; row < nr; row++) {
            const char *l = seg_table_text(t, row, fc);
            if (!l || !strcmp(l, "total") || !strcmp(l, "mae"))
                break;
            cat[k] = l;
            p[k] = seg_table_f64(t, row, pc);
            a[k++] = seg_table_f64(t, row, ac);
        }
        cli_printf(r->f, "<h3>%s</h3>\n<p class=period>", rep_w(r, W_HOLDOUT));
        cli_printf(r->f, rep_w(r, W_PERIOD_HOLD), r->cal_from, r->cal_to,
                   r->hold_from, r->as_of);
        cli_puts(r->f, "</p>\n");
        chart_pairs(r, cat, p, a, k, rep_w(r, W_PRED), rep_w(r, W_ACTUAL),
                    rep_w(r, W_CAL_FREQ), rep_w(r, W_MEAN_PURCH));
        rep_table(r, t, NULL);
    }
    free(cat);
    free(p);
    free(a);
    seg_table_free(t);
}

void rep_clv_parts(const rep *r, const seg_model *m)
{
    char col[300], title[400];
    snprintf(col, sizeof col, "%s.value", seg_model_name(m));
    if (seg_dataset_column_type(r->ds, col) > 0) {
        size_t n = seg_dataset_customer_count(r->ds);
        double *v = calloc(n + 1, sizeof *v);
        if (v && seg_dataset_copy_f64(r->ds, col, v, n) == SEG_OK) {
            snprintf(title, sizeof title, rep_w(r, W_CLV_DIST), col);
            cli_printf(r->f, "<h3>");
            rep_esc(r->f, title);
            cli_puts(r->f, "</h3>\n");
            chart_histogram(r, v, n, col, FMT_AMOUNT);
        }
        free(v);
    }
    history_grid g;
    if (grid_of(r, m, &g) == 0) {
        /* .expected's horizon: `horizon` in the time unit when set, else
         * horizon_days (364 for clv, as for the other purchase models) */
        double days = 364;
        g.horizon = 0;
        seg_model_get_f64(m, "horizon", &g.horizon);
        seg_model_get_f64(m, "horizon_days", &days);
        if (!(g.horizon > 0))
            g.horizon = r->unit == SEG_UNIT_WEEK ? days / 7 : days;
        history_matrix(r, m, &g, false);
        history_matrix(r, m, &g, true);
    }
    grid_free(&g);
    holdout_part(r, m);
}
