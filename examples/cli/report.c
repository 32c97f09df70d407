/* segment report: one self-contained HTML file (inline SVG and CSS, no
 * script, no network) with what an analyst looks at first. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "report.h"

static void esc(cli_out *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': cli_puts(f, "&lt;"); break;
        case '>': cli_puts(f, "&gt;"); break;
        case '&': cli_puts(f, "&amp;"); break;
        case '"': cli_puts(f, "&quot;"); break;
        default: cli_putc(f, *s);
        }
    }
}

/* Counts and other whole numbers in full, the rest to four digits; a
 * missing cell stays empty. */
static void number_cell(cli_out *f, double v)
{
    if (isnan(v))
        return;
    if (v == floor(v) && fabs(v) < 1e15)
        cli_printf(f, "%.0f", v);
    else
        cli_printf(f, "%.4g", v);
}

/* A table of the library as an HTML table, its header a row of its own. */
static void html_table(cli_out *f, const seg_table *t)
{
    size_t nc = seg_table_column_count(t), nr = seg_table_row_count(t);
    cli_puts(f, "<table>\n<tr class=head>");
    for (size_t c = 0; c < nc; c++) {
        cli_puts(f, "<th>");
        esc(f, seg_table_column_name(t, c));
        cli_puts(f, "</th>");
    }
    cli_puts(f, "</tr>\n");
    for (size_t r = 0; r < nr; r++) {
        cli_puts(f, "<tr>");
        for (size_t c = 0; c < nc; c++) {
            cli_puts(f, "<td>");
            if (seg_table_column_type(t, c) == SEG_COLUMN_NUMERIC)
                number_cell(f, seg_table_f64(t, r, c));
            else
                esc(f, seg_table_text(t, r, c));
            cli_puts(f, "</td>");
        }
        cli_puts(f, "</tr>\n");
    }
    cli_puts(f, "</table>\n");
}

static const char *const palette[] = {"#3b6ea8", "#e0823d", "#4f9a5b",
                                      "#c4453c", "#8a6bb8", "#8c6a4f",
                                      "#d17ab5", "#7f7f7f", "#b5b33b",
                                      "#3bb5c4"};

/* Horizontal bars: share of customers and share of revenue per tier. */
static void tier_bars(cli_out *f, const seg_dataset *ds, const char *tier,
                      const char *value)
{
    size_t n = seg_dataset_customer_count(ds);
    const char **lab = calloc(n + 1, sizeof *lab);
    double *v = calloc(n + 1, sizeof *v);
    if (!lab || !v || seg_dataset_copy_labels(ds, tier, lab, n) ||
        (value && seg_dataset_copy_f64(ds, value, v, n))) {
        free(lab);
        free(v);
        return;
    }
    const char *names[64];
    double cnt[64] = {0}, rev[64] = {0}, total = 0;
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *l = lab[i] ? lab[i] : "(none)";
        int j = 0;
        while (j < k && strcmp(names[j], l) != 0)
            j++;
        if (j == k && k < 64)
            names[k++] = l;
        if (j < 64) {
            cnt[j]++;
            double x = value && !isnan(v[i]) ? v[i] : 0;
            rev[j] += x;
            total += x;
        }
    }
    int h = 34 * k + 40;
    cli_printf(f, "<svg width=\"760\" height=\"%d\" role=\"img\">\n", h);
    cli_printf(f, "<text x=\"200\" y=\"16\" class=axis>share of "
                  "customers</text><text x=\"480\" y=\"16\" class=axis>"
                  "share of %s</text>\n",
               value ? value : "value");
    for (int j = 0; j < k; j++) {
        double sc = cnt[j] / (double)n, sr = total > 0 ? rev[j] / total : 0;
        int y = 28 + 34 * j;
        cli_printf(f, "<text x=\"190\" y=\"%d\" text-anchor=\"end\">",
                   y + 16);
        esc(f, names[j]);
        cli_printf(f, "</text><rect x=\"200\" y=\"%d\" width=\"%.1f\" "
                      "height=\"22\" fill=\"%s\"/><text x=\"%.1f\" "
                      "y=\"%d\">%.1f%%</text>\n",
                   y, 240 * sc, palette[j % 10], 205 + 240 * sc, y + 16,
                   100 * sc);
        cli_printf(f, "<rect x=\"480\" y=\"%d\" width=\"%.1f\" height=\"22\" "
                      "fill=\"%s\" opacity=\"0.6\"/><text x=\"%.1f\" "
                      "y=\"%d\">%.1f%%</text>\n",
                   y, 240 * sr, palette[j % 10], 485 + 240 * sr, y + 16,
                   100 * sr);
    }
    cli_puts(f, "</svg>\n");
    free(lab);
    free(v);
}

/* The R x F heatmap: customers per pair of RFM scores. */
static void rfm_heatmap(cli_out *f, const seg_dataset *ds, const char *prefix)
{
    char rn[128], fn[128];
    snprintf(rn, sizeof rn, "%s.r", prefix);
    snprintf(fn, sizeof fn, "%s.f", prefix);
    size_t n = seg_dataset_customer_count(ds);
    double *r = calloc(n + 1, sizeof *r), *fr = calloc(n + 1, sizeof *fr);
    if (!r || !fr || seg_dataset_copy_f64(ds, rn, r, n) ||
        seg_dataset_copy_f64(ds, fn, fr, n)) {
        free(r);
        free(fr);
        return;
    }
    int kr = 1, kf = 1;
    for (size_t i = 0; i < n; i++) {
        if (r[i] > kr && r[i] <= 20)
            kr = (int)r[i];
        if (fr[i] > kf && fr[i] <= 20)
            kf = (int)fr[i];
    }
    double cell[21][21] = {{0}}, mx = 1;
    for (size_t i = 0; i < n; i++)
        if (r[i] >= 1 && r[i] <= 20 && fr[i] >= 1 && fr[i] <= 20)
            cell[(int)r[i]][(int)fr[i]]++;
    for (int a = 1; a <= kr; a++)
        for (int b = 1; b <= kf; b++)
            mx = fmax(mx, cell[a][b]);
    int s = 56;
    cli_printf(f, "<svg width=\"%d\" height=\"%d\" role=\"img\">\n",
               80 + s * kf, 60 + s * kr);
    for (int a = kr; a >= 1; a--) {
        int y = 10 + s * (kr - a);
        cli_printf(f, "<text x=\"60\" y=\"%d\" text-anchor=\"end\">R "
                      "%d</text>\n",
                   y + s / 2 + 5, a);
        for (int b = 1; b <= kf; b++) {
            double t = cell[a][b] / mx;
            int x = 70 + s * (b - 1);
            cli_printf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
                          "height=\"%d\" fill=\"rgb(%d,%d,%d)\"/><text "
                          "x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
                          "fill=\"%s\">%.0f</text>\n",
                       x, y, s - 2, s - 2, (int)(240 - 180 * t),
                       (int)(244 - 130 * t), (int)(250 - 60 * t), x + s / 2,
                       y + s / 2 + 5, t > 0.6 ? "#fff" : "#222", cell[a][b]);
        }
    }
    for (int b = 1; b <= kf; b++)
        cli_printf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">F "
                      "%d</text>\n",
                   70 + s * (b - 1) + s / 2, 30 + s * kr, b);
    cli_puts(f, "</svg>\n");
    free(r);
    free(fr);
}

/* A histogram of a numeric column on a log scale of value. */
static void histogram(cli_out *f, const seg_dataset *ds, const char *col)
{
    size_t n = seg_dataset_customer_count(ds);
    double *v = calloc(n + 1, sizeof *v);
    if (!v || seg_dataset_copy_f64(ds, col, v, n)) {
        free(v);
        return;
    }
    enum { B = 24 };
    double lo = INFINITY, hi = -INFINITY, cnt[B] = {0}, mx = 1;
    for (size_t i = 0; i < n; i++)
        if (v[i] > 0 && isfinite(v[i])) {
            lo = fmin(lo, log10(v[i]));
            hi = fmax(hi, log10(v[i]));
        }
    if (hi - lo > 4)
        lo = hi - 4; /* four decades: smaller values go to the first bar */
    if (!(hi > lo)) {
        free(v);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (v[i] > 0 && isfinite(v[i])) {
            int b = (int)((log10(v[i]) - lo) / (hi - lo) * B);
            cnt[b >= B ? B - 1 : b < 0 ? 0 : b]++;
        }
    for (int b = 0; b < B; b++)
        mx = fmax(mx, cnt[b]);
    cli_puts(f, "<svg width=\"760\" height=\"260\" role=\"img\">\n");
    for (int b = 0; b < B; b++) {
        double h = 200 * cnt[b] / mx;
        cli_printf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"26\" "
                      "height=\"%.1f\" fill=\"#3b6ea8\"/>\n",
                   40 + 28 * b, 220 - h, h);
    }
    for (int t = 0; t <= 4; t++) {
        double x = lo + (hi - lo) * t / 4;
        cli_printf(f, "<text x=\"%d\" y=\"240\" text-anchor=\"middle\" "
                      "class=axis>%.3g</text>\n",
                   40 + 28 * B * t / 4, pow(10, x));
    }
    cli_puts(f, "</svg>\n");
    free(v);
}

/* Predicted against actual holdout purchases by frequency (from the
 * model's holdout table, whose rows after the frequencies are the total
 * and the error). */
static void holdout_chart(cli_out *f, const seg_table *t)
{
    enum { MAX_BARS = 16 };
    size_t freq, pred, act;
    double p[MAX_BARS], a[MAX_BARS], mx = 0.1;
    const char *lab[MAX_BARS];
    int k = 0;
    if (seg_table_column_find(t, "frequency", &freq) != SEG_OK ||
        seg_table_column_find(t, "predicted", &pred) != SEG_OK ||
        seg_table_column_find(t, "actual", &act) != SEG_OK)
        return;
    for (size_t r = 0; r < seg_table_row_count(t) && k < MAX_BARS; r++) {
        const char *l = seg_table_text(t, r, freq);
        if (l && (strcmp(l, "total") == 0 || strcmp(l, "mae") == 0))
            break;
        p[k] = seg_table_f64(t, r, pred);
        a[k] = seg_table_f64(t, r, act);
        if (!l || isnan(p[k]) || isnan(a[k]))
            continue;
        lab[k] = l;
        mx = fmax(mx, fmax(p[k], a[k]));
        k++;
    }
    cli_puts(f, "<svg width=\"760\" height=\"280\" role=\"img\">\n");
    for (int j = 0; j < k; j++) {
        int x = 60 + 80 * j;
        double hp = 200 * p[j] / mx, ha = 200 * a[j] / mx;
        cli_printf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"30\" "
                      "height=\"%.1f\" fill=\"#e0823d\"/><rect x=\"%d\" "
                      "y=\"%.1f\" width=\"30\" height=\"%.1f\" "
                      "fill=\"#3b6ea8\"/><text x=\"%d\" y=\"240\" "
                      "text-anchor=\"middle\">",
                   x, 220 - hp, hp, x + 32, 220 - ha, ha, x + 31);
        esc(f, lab[j]);
        cli_puts(f, "</text>\n");
    }
    cli_puts(f, "<rect x=\"60\" y=\"256\" width=\"12\" height=\"12\" "
                "fill=\"#e0823d\"/><text x=\"78\" y=\"267\">predicted</text>"
                "<rect x=\"170\" y=\"256\" width=\"12\" height=\"12\" "
                "fill=\"#3b6ea8\"/><text x=\"188\" y=\"267\">actual (mean "
                "holdout purchases by calibration frequency)</text>\n"
                "</svg>\n");
}

static bool has_column(const seg_dataset *ds, const char *name)
{
    return seg_dataset_column_type(ds, name) > 0;
}

int seg_cli_report(cli_out *f, seg_dataset *ds, seg_model **models,
                   size_t n_models, const char *tier, const char *cross,
                   const char *title)
{
    cli_puts(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
                "charset=\"utf-8\"><title>");
    esc(f, title);
    cli_puts(f, "</title>\n<style>\nbody{font-family:sans-serif;margin:24px;"
                "color:#222;max-width:1000px}h1{font-size:22px}h2{font-size:"
                "17px;margin-top:28px;border-bottom:1px solid #ccc}table{"
                "border-collapse:collapse;font-size:13px}td,th{border:1px "
                "solid #ccc;padding:3px 8px;text-align:right}tr.head{"
                "background:#eef}svg text{font-size:12px}.axis{fill:#666}"
                ".note{color:#666;font-size:13px}\n</style></head>"
                "<body>\n<h1>");
    esc(f, title);
    cli_printf(f, "</h1>\n<p class=note>%zu customers, %zu transactions, %zu "
                  "events. libsegment %s.</p>\n",
               seg_dataset_customer_count(ds),
               seg_dataset_transaction_count(ds), seg_dataset_event_count(ds),
               seg_version_string());
    const char *value = has_column(ds, "clv.value") ? "clv.value"
                        : has_column(ds, "monetary_total") ? "monetary_total"
                                                            : NULL;
    seg_table *t = NULL;
    if (tier) {
        cli_puts(f, "<h2>Tier sizes and revenue shares: ");
        esc(f, tier);
        cli_puts(f, "</h2>\n");
        tier_bars(f, ds, tier, value);
        const char *vals[2] = {"monetary_total", "clv.value"};
        size_t nv = has_column(ds, "clv.value") ? 2 : 1;
        if (seg_dataset_summary_table(&t, ds, tier, vals, nv) == SEG_OK)
            html_table(f, t);
        seg_table_free(t);
    }
    for (size_t i = 0; i < n_models; i++) {
        const char *kind = seg_model_kind(models[i]);
        const char *name = seg_model_name(models[i]);
        if (!strcmp(kind, "rfm")) {
            cli_puts(f, "<h2>RFM: customers by recency and frequency "
                        "score</h2>\n");
            rfm_heatmap(f, ds, name);
        }
        char col[256];
        snprintf(col, sizeof col, "%s.value", name);
        if (!strcmp(kind, "clv") && has_column(ds, col)) {
            cli_puts(f, "<h2>Customer lifetime value (");
            esc(f, col);
            cli_puts(f, ", log scale)</h2>\n");
            histogram(f, ds, col);
        }
        /* a model without the table (or a plug-in's, which has none) has
         * no section */
        if (has_column(ds, "holdout_orders") &&
            seg_model_report_table(&t, models[i], ds, "holdout") == SEG_OK) {
            cli_puts(f, "<h2>Holdout: predicted against actual purchases (");
            esc(f, name);
            cli_puts(f, ")</h2>\n");
            holdout_chart(f, t);
            html_table(f, t);
            seg_table_free(t);
        }
        if (!strcmp(kind, "kmeans") &&
            seg_model_report_table(&t, models[i], ds, "profile") == SEG_OK) {
            cli_puts(f, "<h2>Cluster profiles (centroids in original "
                        "units)</h2>\n");
            html_table(f, t);
            seg_table_free(t);
        }
    }
    if (tier && cross &&
        seg_dataset_crosstab_table(&t, ds, tier, cross) == SEG_OK) {
        cli_puts(f, "<h2>");
        esc(f, tier);
        cli_puts(f, " by ");
        esc(f, cross);
        cli_puts(f, "</h2>\n");
        html_table(f, t);
        seg_table_free(t);
    }
    cli_puts(f, "</body></html>\n");
    return 0;
}
