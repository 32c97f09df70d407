/* The purchase models' diagnostics in the report: the tracking of repeat
 * transactions week by week, through the holdout when there is one, and
 * the period-transactions check, both from the library's tables. */
#include <stdlib.h>
#include <string.h>

#include "report_sections.h"

static void tracking_part(const rep *r, const seg_model *m)
{
    seg_table *t = NULL;
    if (seg_model_report_table(&t, m, r->ds, "tracking") != SEG_OK)
        return;
    size_t sc, hc, ac, ec, n = seg_table_row_count(t), mark = n;
    const char **cat = calloc(n + 1, sizeof *cat);
    double *a = calloc(n + 1, sizeof *a), *e = calloc(n + 1, sizeof *e);
    if (n && cat && a && e &&
        seg_table_column_find(t, "start", &sc) == SEG_OK &&
        seg_table_column_find(t, "holdout", &hc) == SEG_OK &&
        seg_table_column_find(t, "actual", &ac) == SEG_OK &&
        seg_table_column_find(t, "expected", &ec) == SEG_OK) {
        for (size_t row = 0; row < n; row++) {
            cat[row] = seg_table_text(t, row, sc);
            a[row] = seg_table_f64(t, row, ac);
            e[row] = seg_table_f64(t, row, ec);
            if (mark == n && seg_table_f64(t, row, hc) > 0)
                mark = row;
        }
        cli_printf(r->f, "<h3>%s</h3>\n", rep_w(r, W_TRACKING));
        if (mark < n)
            cli_printf(r->f, "<p class=period>%s</p>\n",
                       rep_w(r, W_HOLD_LINE));
        chart_lines(r, cat, a, e, n, mark, rep_w(r, W_ACTUAL),
                    rep_w(r, W_MODEL), rep_w(r, W_TRACK_AXIS),
                    rep_w(r, W_TRACK_VALUE));
    }
    free(cat);
    free(a);
    free(e);
    seg_table_free(t);
}

static void period_part(const rep *r, const seg_model *m)
{
    seg_table *t = NULL;
    if (seg_model_report_table(&t, m, r->ds, "period_transactions") !=
        SEG_OK)
        return;
    size_t fc, ac, ec, n = seg_table_row_count(t);
    const char **cat = calloc(n + 1, sizeof *cat);
    double *a = calloc(n + 1, sizeof *a), *e = calloc(n + 1, sizeof *e);
    if (cat && a && e &&
        seg_table_column_find(t, "frequency", &fc) == SEG_OK &&
        seg_table_column_find(t, "actual", &ac) == SEG_OK &&
        seg_table_column_find(t, "expected", &ec) == SEG_OK) {
        for (size_t row = 0; row < n; row++) {
            cat[row] = seg_table_text(t, row, fc);
            a[row] = seg_table_f64(t, row, ac);
            e[row] = seg_table_f64(t, row, ec);
        }
        cli_printf(r->f, "<h3>%s</h3>\n", rep_w(r, W_PERIOD_TX));
        chart_pairs(r, cat, a, e, n, rep_w(r, W_ACTUAL), rep_w(r, W_MODEL),
                    rep_w(r, W_PT_AXIS), rep_w(r, W_PT_VALUE));
        rep_table(r, t, NULL);
    }
    free(cat);
    free(a);
    free(e);
    seg_table_free(t);
}

void rep_diagnostics_parts(const rep *r, const seg_model *m)
{
    /* a summary file has no transactions to follow over time */
    if (seg_dataset_transaction_count(r->ds) > 0)
        tracking_part(r, m);
    period_part(r, m);
}
