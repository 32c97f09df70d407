/* The report's charts: inline SVG, every one with both axes, ticks and
 * axis titles, so that a printed page reads without the data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

enum { WIDTH = 760 };

/* A step of 1, 2 or 5 times a power of ten giving about want ticks. */
static double nice_step(double span, int want)
{
    if (!(span > 0))
        return 1;
    double raw = span / want, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* A tick's label: as many decimals as the step needs. */
static const char *tick_label(char *buf, size_t n, double v, double step,
                              int fmt)
{
    if (fmt == FMT_PCT) {
        int d = (int)fmax(0, -floor(log10(step * 100) + 1e-9));
        char t[64];
        snprintf(buf, n, "%s%%", rep_fixed(t, sizeof t, 100 * v, d));
        return buf;
    }
    int d = (int)fmax(0, -floor(log10(step) + 1e-9));
    return rep_fixed(buf, n, fabs(v) < step * 1e-9 ? 0 : v, d);
}

static void svg_open(const rep *r, int h, const char *label)
{
    /* in a box of its own, so that a phone scrolls a chart still large
     * enough to read rather than shrinking it */
    cli_printf(r->f, "<div class=chartbox><svg class=chart viewBox=\"0 0 %d %d\" width=\"%d\" "
                     "height=\"%d\" role=\"img\" aria-label=\"",
               WIDTH, h, WIDTH, h);
    rep_esc(r->f, label);
    cli_puts(r->f, "\">\n");
}

/* A step whose tick labels fit side by side in span pixels. */
static double fitting_step(double max, double span, int fmt)
{
    char buf[64];
    int want = 5;
    double step = nice_step(max, want);
    while (want > 1) {
        double w = 7.0 * (double)strlen(tick_label(buf, sizeof buf, max,
                                                   step, fmt)) + 12;
        if (w * (max / step + 1) <= span)
            break;
        step = nice_step(max, --want);
    }
    return step;
}

/* A value axis along x from x0 to x1 at height y, for values 0..max. */
static void x_value_axis(const rep *r, double x0, double x1, double y,
                         double max, int fmt, const char *title)
{
    char buf[64];
    double step = fitting_step(max, x1 - x0, fmt);
    cli_printf(r->f, "<g class=\"axis x\"><line x1=\"%.1f\" y1=\"%.1f\" "
                     "x2=\"%.1f\" y2=\"%.1f\"/>\n",
               x0, y, x1, y);
    for (double t = 0; t <= max * (1 + 1e-9); t += step) {
        double x = x0 + (x1 - x0) * t / max;
        cli_printf(r->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                         "y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
                         "text-anchor=\"middle\">%s</text>\n",
                   x, y, x, y + 4, x, y + 16,
                   tick_label(buf, sizeof buf, t, step, fmt));
    }
    cli_printf(r->f, "<text class=title x=\"%.1f\" y=\"%.1f\" "
                     "text-anchor=\"middle\">",
               (x0 + x1) / 2, y + 32);
    rep_esc(r->f, title);
    cli_puts(r->f, "</text></g>\n");
}

/* A value axis along y from y0 (value 0) up to y1 (value max) at x. */
static void y_value_axis(const rep *r, double x, double y0, double y1,
                         double max, int fmt, const char *title)
{
    char buf[64];
    double step = nice_step(max, 4);
    cli_printf(r->f, "<g class=\"axis y\"><line x1=\"%.1f\" y1=\"%.1f\" "
                     "x2=\"%.1f\" y2=\"%.1f\"/>\n",
               x, y0, x, y1);
    for (double t = 0; t <= max * (1 + 1e-9); t += step) {
        double y = y0 - (y0 - y1) * t / max;
        cli_printf(r->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                         "y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
                         "text-anchor=\"end\">%s</text>\n",
                   x - 4, y, x, y, x - 6, y + 4,
                   tick_label(buf, sizeof buf, t, step, fmt));
    }
    cli_printf(r->f, "<text class=title transform=\"translate(14,%.1f) "
                     "rotate(-90)\" text-anchor=\"middle\">",
               (y0 + y1) / 2);
    rep_esc(r->f, title);
    cli_puts(r->f, "</text></g>\n");
}

/* The top of a value axis: a round value at or above max. */
static double axis_max(double max)
{
    if (!(max > 0) || !isfinite(max))
        return 1;
    double step = nice_step(max, 5);
    return ceil(max / step * (1 - 1e-12)) * step;
}

void chart_hbars(const rep *r, const rep_groups *g, const rep_bars *s,
                 size_t n_series, const char *cat_title)
{
    enum { LEFT = 190, ROW = 26, TOP = 24, GAP = 30 };
    int h = TOP + ROW * (int)g->n + 50;
    double pw = (WIDTH - LEFT - GAP * (double)n_series) / (double)n_series;
    char buf[64];
    svg_open(r, h, cat_title);
    cli_printf(r->f, "<g class=\"axis y\"><line x1=\"%d\" y1=\"%d\" "
                     "x2=\"%d\" y2=\"%d\"/><text class=title x=\"%d\" "
                     "y=\"14\" text-anchor=\"end\">",
               LEFT, TOP, LEFT, TOP + ROW * (int)g->n, LEFT - 8);
    rep_esc(r->f, cat_title);
    cli_puts(r->f, "</text>\n");
    for (size_t j = 0; j < g->n; j++) {
        cli_printf(r->f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
                   LEFT - 8, TOP + ROW * (int)j + 17);
        rep_esc(r->f, g->g[j].label);
        cli_puts(r->f, "</text>\n");
    }
    cli_puts(r->f, "</g>\n");
    for (size_t k = 0; k < n_series; k++) {
        double x0 = LEFT + k * (pw + GAP), max = 0;
        for (size_t j = 0; j < g->n; j++)
            max = fmax(max, s[k].v[j]);
        max = axis_max(max);
        for (size_t j = 0; j < g->n; j++) {
            double v = isfinite(s[k].v[j]) ? s[k].v[j] : 0;
            double w = pw * 0.82 * v / max;
            cli_printf(r->f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
                             "height=\"%d\" fill=\"%s\"/><text x=\"%.1f\" "
                             "y=\"%d\">%s</text>\n",
                       x0 + 1, TOP + ROW * (int)j + 3, w, ROW - 6,
                       rep_colour(g->g[j].label, g->g[j].rank), x0 + w + 4,
                       TOP + ROW * (int)j + 17,
                       rep_num(buf, sizeof buf, s[k].v[j], s[k].fmt));
        }
        x_value_axis(r, x0, x0 + pw * 0.82, TOP + ROW * (double)g->n,
                     max, s[k].fmt, s[k].title);
    }
    cli_puts(r->f, "</svg></div>\n");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The bins of a histogram: whole numbers get a bin each when there are
 * few, others 20 bins up to the 99th percentile. */
static size_t bins_of(const double *s, size_t m, double *lo, double *hi,
                      double *over, bool *whole_bins)
{
    *lo = s[0];
    *hi = s[(size_t)floor(0.99 * (double)(m - 1))];
    *over = s[m - 1] > *hi ? *hi : NAN;
    bool whole = true;
    for (size_t i = 0; i < m && whole; i++)
        whole = s[i] == floor(s[i]);
    *whole_bins = whole && *hi - *lo <= 40;
    if (*whole_bins) {
        *hi += 1;
        return (size_t)(*hi - *lo);
    }
    if (!(*hi > *lo)) {
        *hi = *lo + 1;
        *over = NAN;
    }
    return 20;
}

void chart_histogram(const rep *r, const double *v, size_t n,
                     const char *x_title, int fmt)
{
    enum { LEFT = 70, TOP = 12, PLOT_H = 180, B_MAX = 41 };
    double *s = malloc((n ? n : 1) * sizeof *s), lo, hi, over;
    size_t m = 0;
    for (size_t i = 0; s && i < n; i++)
        if (isfinite(v[i]))
            s[m++] = v[i];
    if (!s || m == 0) {
        cli_printf(r->f, "<p class=note>%s</p>\n", rep_w(r, W_NO_DATA));
        free(s);
        return;
    }
    qsort(s, m, sizeof *s, cmp_double);
    bool whole;
    size_t nb = bins_of(s, m, &lo, &hi, &over, &whole);
    double cnt[B_MAX] = {0}, mx = 0, pw = WIDTH - LEFT - 20;
    for (size_t i = 0; i < m; i++) {
        double b = floor((s[i] - lo) / (hi - lo) * (double)nb);
        cnt[b >= (double)nb ? nb - 1 : b < 0 ? 0 : (size_t)b]++;
    }
    for (size_t b = 0; b < nb; b++)
        mx = fmax(mx, cnt[b]);
    mx = axis_max(mx);
    svg_open(r, TOP + PLOT_H + 50, x_title);
    for (size_t b = 0; b < nb; b++) {
        double hgt = PLOT_H * cnt[b] / mx;
        cli_printf(r->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                         "height=\"%.1f\" fill=\"#0072b2\"/>\n",
                   LEFT + pw * (double)b / (double)nb + 1,
                   TOP + PLOT_H - hgt, pw / (double)nb - 2, hgt);
    }
    y_value_axis(r, LEFT, TOP + PLOT_H, TOP, mx, FMT_COUNT,
                 rep_w(r, W_COUNT));
    /* the x axis in the values' own units */
    char buf[64];
    double step = whole ? fmax(1, nice_step(hi - lo, 10))
                        : nice_step(hi - lo, 6),
           y = TOP + PLOT_H, first = whole ? lo : ceil(lo / step) * step;
    cli_printf(r->f, "<g class=\"axis x\"><line x1=\"%d\" y1=\"%.1f\" "
                     "x2=\"%.1f\" y2=\"%.1f\"/>\n",
               LEFT, y, LEFT + pw, y);
    /* a whole number's tick is at the middle of its bin */
    for (double t = first; whole ? t < hi : t <= hi + step * 1e-9;
         t += step) {
        double x = LEFT + pw * (t - lo + (whole ? 0.5 : 0)) / (hi - lo);
        cli_printf(r->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                         "y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
                         "text-anchor=\"middle\">%s</text>\n",
                   x, y, x, y + 4, x, y + 16,
                   fmt == FMT_AMOUNT && step >= 1
                       ? rep_fixed(buf, sizeof buf, t, 0)
                       : tick_label(buf, sizeof buf, t, step, fmt));
    }
    cli_printf(r->f, "<text class=title x=\"%.1f\" y=\"%.1f\" "
                     "text-anchor=\"middle\">",
               LEFT + pw / 2, y + 32);
    rep_esc(r->f, x_title);
    cli_puts(r->f, "</text></g>\n</svg></div>\n");
    if (!isnan(over)) {
        cli_puts(r->f, "<p class=note>");
        cli_printf(r->f, rep_w(r, W_OVERFLOW),
                   rep_num(buf, sizeof buf, over, fmt));
        cli_puts(r->f, "</p>\n");
    }
    free(s);
}

/* Sequential blues: light for small values, dark for large. */
static void heat_fill(cli_out *f, double t)
{
    cli_printf(f, "rgb(%d,%d,%d)", (int)(239 - 200 * t),
               (int)(243 - 150 * t), (int)(255 - 90 * t));
}

void chart_heatmap(const rep *r, const double *cell, size_t nr, size_t nc,
                   const char *const *row_lab, const char *const *col_lab,
                   const char *x_title, const char *y_title, int fmt)
{
    enum { LEFT = 80, TOP = 8 };
    double cw = fmin(72, (WIDTH - LEFT - 10) / (double)nc), ch = 30, mx = 0;
    char buf[64];
    for (size_t i = 0; i < nr * nc; i++)
        if (isfinite(cell[i]))
            mx = fmax(mx, cell[i]);
    int h = TOP + (int)(ch * (double)nr) + 50;
    svg_open(r, h, x_title);
    for (size_t i = 0; i < nr; i++)
        for (size_t j = 0; j < nc; j++) {
            double v = cell[i * nc + j];
            double x = LEFT + cw * (double)j, y = TOP + ch * (double)(nr - 1 - i);
            if (isnan(v))
                continue;
            double t = mx > 0 ? v / mx : 0;
            cli_printf(r->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                             "height=\"%.1f\" fill=\"",
                       x + 1, y + 1, cw - 2, ch - 2);
            heat_fill(r->f, t);
            cli_printf(r->f, "\"/><text class=cell x=\"%.1f\" y=\"%.1f\" "
                             "text-anchor=\"middle\" style=\"fill:%s\" "
                             "data-row=\"",
                       x + cw / 2, y + ch / 2 + 4, t > 0.55 ? "#fff" : "#222");
            rep_esc(r->f, row_lab[i]);
            cli_puts(r->f, "\" data-col=\"");
            rep_esc(r->f, col_lab[j]);
            cli_printf(r->f, "\">%s</text>\n", rep_num(buf, sizeof buf, v, fmt));
        }
    double bottom = TOP + ch * (double)nr;
    cli_printf(r->f, "<g class=\"axis y\"><line x1=\"%d\" y1=\"%d\" "
                     "x2=\"%d\" y2=\"%.1f\"/>\n",
               LEFT, TOP, LEFT, bottom);
    for (size_t i = 0; i < nr; i++) {
        cli_printf(r->f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
                   LEFT - 6, TOP + ch * (double)(nr - 1 - i) + ch / 2 + 4);
        rep_esc(r->f, row_lab[i]);
        cli_puts(r->f, "</text>\n");
    }
    cli_printf(r->f, "<text class=title transform=\"translate(14,%.1f) "
                     "rotate(-90)\" text-anchor=\"middle\">",
               (TOP + bottom) / 2);
    rep_esc(r->f, y_title);
    cli_printf(r->f, "</text></g>\n<g class=\"axis x\"><line x1=\"%d\" "
                     "y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
               LEFT, bottom, LEFT + cw * (double)nc, bottom);
    for (size_t j = 0; j < nc; j++) {
        cli_printf(r->f, "<text x=\"%.1f\" y=\"%.1f\" "
                         "text-anchor=\"middle\">",
                   LEFT + cw * (double)j + cw / 2, bottom + 16);
        rep_esc(r->f, col_lab[j]);
        cli_puts(r->f, "</text>\n");
    }
    cli_printf(r->f, "<text class=title x=\"%.1f\" y=\"%.1f\" "
                     "text-anchor=\"middle\">",
               LEFT + cw * (double)nc / 2, bottom + 34);
    rep_esc(r->f, x_title);
    cli_puts(r->f, "</text></g>\n</svg></div>\n");
}

/* The larger of two series (missing values as 0), the legend of their
 * two colours (gap px apart) and the end of their chart: the x title, the
 * y axis, the closing tags. */
static const char *const pair_colour[2] = {"#e69f00", "#0072b2"};

static double pair_max(const double *a, const double *b, size_t n)
{
    double mx = 0;
    for (size_t j = 0; j < n; j++)
        mx = fmax(mx, fmax(isfinite(a[j]) ? a[j] : 0,
                           isfinite(b[j]) ? b[j] : 0));
    return axis_max(mx);
}

static void pair_legend(const rep *r, int left, int gap, const char *a_name,
                        const char *b_name)
{
    const char *names[2] = {a_name, b_name};
    for (int s = 0; s < 2; s++) {
        cli_printf(r->f, "<rect x=\"%d\" y=\"6\" width=\"12\" "
                         "height=\"12\" fill=\"%s\"/><text x=\"%d\" "
                         "y=\"16\">",
                   left + 10 + gap * s, pair_colour[s], left + 28 + gap * s);
        rep_esc(r->f, names[s]);
        cli_puts(r->f, "</text>\n");
    }
}

static void pair_close(const rep *r, int left, int top, double pw,
                       double base, double mx, const char *x_title,
                       const char *y_title)
{
    cli_printf(r->f, "<text class=title x=\"%.1f\" y=\"%.1f\" "
                     "text-anchor=\"middle\">",
               left + pw / 2, base + 34);
    rep_esc(r->f, x_title);
    cli_puts(r->f, "</text></g>\n");
    y_value_axis(r, left, base, top, mx, FMT_AUTO, y_title);
    cli_puts(r->f, "</svg></div>\n");
}

void chart_lines(const rep *r, const char *const *cat, const double *a,
                 const double *b, size_t n, size_t mark, const char *a_name,
                 const char *b_name, const char *x_title,
                 const char *y_title)
{
    enum { LEFT = 70, TOP = 30, PLOT_H = 190 };
    const double *series[2] = {a, b};
    double pw = WIDTH - LEFT - 20;
    double step = n > 1 ? pw / (double)(n - 1) : pw;
    double mx = pair_max(a, b, n);
    svg_open(r, TOP + PLOT_H + 50, x_title);
    pair_legend(r, LEFT, 120, a_name, b_name);
    double base = TOP + PLOT_H;
    for (int s = 0; s < 2; s++) {
        cli_printf(r->f, "<polyline fill=\"none\" stroke=\"%s\" "
                         "stroke-width=\"2\" points=\"", pair_colour[s]);
        for (size_t j = 0; j < n; j++) {
            double v = isfinite(series[s][j]) ? series[s][j] : 0;
            cli_printf(r->f, "%s%.1f,%.1f", j ? " " : "",
                       LEFT + step * (double)j, base - PLOT_H * v / mx);
        }
        cli_puts(r->f, "\"/>\n");
    }
    if (mark > 0 && mark < n) {
        double x = LEFT + step * ((double)mark - 0.5);
        cli_printf(r->f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
                         "y2=\"%.1f\" stroke=\"#555\" "
                         "stroke-dasharray=\"4 3\"/>\n",
                   x, TOP, x, base);
    }
    cli_printf(r->f, "<g class=\"axis x\"><line x1=\"%d\" y1=\"%.1f\" "
                     "x2=\"%.1f\" y2=\"%.1f\"/>\n",
               LEFT, base, LEFT + pw, base);
    /* a label about every 110 px: dates are about 70 wide */
    size_t every = (size_t)ceil(110 / fmax(step, 1));
    for (size_t j = 0; j < n; j += every ? every : 1) {
        double x = LEFT + step * (double)j;
        cli_printf(r->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                         "y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
                         "text-anchor=\"middle\">",
                   x, base, x, base + 4, x, base + 16);
        rep_esc(r->f, cat[j]);
        cli_puts(r->f, "</text>\n");
    }
    pair_close(r, LEFT, TOP, pw, base, mx, x_title, y_title);
}

void chart_pairs(const rep *r, const char *const *cat, const double *a,
                 const double *b, size_t n, const char *a_name,
                 const char *b_name, const char *x_title,
                 const char *y_title)
{
    enum { LEFT = 70, TOP = 30, PLOT_H = 190 };
    double pw = WIDTH - LEFT - 20, cw = pw / (double)(n ? n : 1);
    double mx = pair_max(a, b, n);
    svg_open(r, TOP + PLOT_H + 50, x_title);
    pair_legend(r, LEFT, 120, a_name, b_name);
    double base = TOP + PLOT_H, bw = fmin(30, cw * 0.38);
    cli_printf(r->f, "<g class=\"axis x\"><line x1=\"%d\" y1=\"%.1f\" "
                     "x2=\"%.1f\" y2=\"%.1f\"/>\n",
               LEFT, base, LEFT + pw, base);
    for (size_t j = 0; j < n; j++) {
        double x = LEFT + cw * (double)j + cw / 2;
        double ha = isfinite(a[j]) ? PLOT_H * a[j] / mx : 0;
        double hb = isfinite(b[j]) ? PLOT_H * b[j] / mx : 0;
        cli_printf(r->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                         "height=\"%.1f\" fill=\"#e69f00\"/><rect "
                         "x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                         "height=\"%.1f\" fill=\"#0072b2\"/><text x=\"%.1f\" "
                         "y=\"%.1f\" text-anchor=\"middle\">",
                   x - bw - 1, base - ha, bw, ha, x + 1, base - hb, bw, hb,
                   x, base + 16);
        rep_esc(r->f, cat[j]);
        cli_puts(r->f, "</text>\n");
    }
    pair_close(r, LEFT, TOP, pw, base, mx, x_title, y_title);
}

/* About how wide a label is drawn at 12 px: CJK characters take a full
 * em, Latin ones a little over half. */
static double text_width(const char *s)
{
    double w = 0;
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
        if (*p < 0x80)
            w += 7;
        else if (*p >= 0xe0)
            w += 12;
    return w;
}

void chart_stacked(const rep *r, const rep_groups *rows,
                   const rep_groups *cols, const double *share,
                   const char *cat_title, const char *x_title)
{
    enum { LEFT = 190, ROW = 26 };
    double pw = WIDTH - LEFT - 20, lx = LEFT, ly = 14;
    /* the legend first, in the columns' order, wrapped to the width */
    for (size_t j = 0; j < cols->n; j++) {
        double w = 18 + text_width(cols->g[j].label) + 14;
        if (lx + w > WIDTH && lx > LEFT) {
            lx = LEFT;
            ly += 18;
        }
        lx += w;
    }
    double top = ly + 14;
    int h = (int)(top + ROW * (double)rows->n + 50);
    svg_open(r, h, cat_title);
    lx = LEFT;
    ly = 14;
    for (size_t j = 0; j < cols->n; j++) {
        double w = 18 + text_width(cols->g[j].label) + 14;
        if (lx + w > WIDTH && lx > LEFT) {
            lx = LEFT;
            ly += 18;
        }
        cli_printf(r->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" "
                         "height=\"12\" fill=\"%s\"/><text x=\"%.1f\" "
                         "y=\"%.1f\">",
                   lx, ly - 10, rep_colour(cols->g[j].label, cols->g[j].rank),
                   lx + 16, ly);
        rep_esc(r->f, cols->g[j].label);
        cli_puts(r->f, "</text>\n");
        lx += w;
    }
    char buf[32];
    for (size_t i = 0; i < rows->n; i++) {
        double x = LEFT, y = top + ROW * (double)i;
        for (size_t j = 0; j < cols->n; j++) {
            double s = share[i * cols->n + j], w = isfinite(s) ? pw * s : 0;
            cli_printf(r->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                             "height=\"%d\" fill=\"%s\"/>",
                       x, y + 3, w, ROW - 6,
                       rep_colour(cols->g[j].label, cols->g[j].rank));
            if (w > 34)
                cli_printf(r->f, "<text class=cell x=\"%.1f\" y=\"%.1f\" "
                                 "text-anchor=\"middle\" "
                                 "style=\"fill:#fff\">%s</text>",
                           x + w / 2, y + 17,
                           rep_num(buf, sizeof buf, s, FMT_PCT));
            x += w;
        }
        cli_puts(r->f, "\n");
    }
    cli_printf(r->f, "<g class=\"axis y\"><line x1=\"%d\" y1=\"%.1f\" "
                     "x2=\"%d\" y2=\"%.1f\"/><text class=title x=\"%d\" "
                     "y=\"%.1f\" text-anchor=\"end\">",
               LEFT, top, LEFT, top + ROW * (double)rows->n, LEFT - 8,
               top - 4);
    rep_esc(r->f, cat_title);
    cli_puts(r->f, "</text>\n");
    for (size_t i = 0; i < rows->n; i++) {
        cli_printf(r->f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
                   LEFT - 8, top + ROW * (double)i + 17);
        rep_esc(r->f, rows->g[i].label);
        cli_puts(r->f, "</text>\n");
    }
    cli_puts(r->f, "</g>\n");
    x_value_axis(r, LEFT, LEFT + pw, top + ROW * (double)rows->n, 1, FMT_PCT,
                 x_title);
    cli_puts(r->f, "</svg></div>\n");
}
