/* The report's migration section: the transition table between two
 * snapshots as a matrix of shares (from-tier rows, to-tier columns) that
 * reads at a glance, then the table itself with counts and revenue. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_sections.h"

/* The tiers of one side of the table, in the table's order (the rule
 * set's; no tier last). */
typedef struct side {
    const char **lab;
    size_t n;
} side;

static size_t find_or_add(side *s, const char *lab)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->lab[i], lab) == 0)
            return i;
    s->lab[s->n] = lab;
    return s->n++;
}

/* The day of a snapshot column, T@YYYY-MM-DD. */
static const char *day_of(const char *column)
{
    const char *at = strrchr(column, '@');
    return at ? at + 1 : column;
}

static void matrix(const rep *r, const seg_table *t, const char *d0,
                   const char *d1)
{
    size_t nr = seg_table_row_count(t);
    side from = {calloc(nr + 1, sizeof(char *)), 0};
    side to = {calloc(nr + 1, sizeof(char *)), 0};
    double *cell = NULL;
    if (!from.lab || !to.lab)
        goto done;
    const char *none = rep_w(r, W_NO_TIER);
    for (size_t i = 0; i < nr; i++) {
        const char *a = seg_table_text(t, i, 0), *b = seg_table_text(t, i, 1);
        find_or_add(&from, a ? a : none);
        find_or_add(&to, b ? b : none);
    }
    /* every tier of either date on both axes, so the diagonal is the
     * customers who stayed */
    for (size_t i = 0; i < from.n; i++)
        if (strcmp(from.lab[i], none) != 0 && to.n < nr + 1)
            find_or_add(&to, from.lab[i]);
    if (!(cell = malloc((from.n * to.n + 1) * sizeof *cell)))
        goto done;
    for (size_t i = 0; i < from.n * to.n; i++)
        cell[i] = NAN;
    /* the heatmap draws row 0 at the bottom: the first tier goes on top */
    const char **rows = calloc(from.n + 1, sizeof *rows);
    if (!rows)
        goto done;
    for (size_t i = 0; i < from.n; i++)
        rows[i] = from.lab[from.n - 1 - i];
    for (size_t k = 0; k < nr; k++) {
        const char *a = seg_table_text(t, k, 0), *b = seg_table_text(t, k, 1);
        size_t i = from.n - 1 - find_or_add(&from, a ? a : none);
        size_t j = find_or_add(&to, b ? b : none);
        cell[i * to.n + j] = seg_table_f64(t, k, 4);
    }
    char xt[300], yt[300];
    snprintf(xt, sizeof xt, rep_w(r, W_MIG_TO), d1);
    snprintf(yt, sizeof yt, rep_w(r, W_MIG_FROM), d0);
    cli_printf(r->f, "<h3>%s</h3>\n", rep_w(r, W_MIG_SHARE));
    chart_heatmap(r, cell, from.n, to.n, rows, to.lab, xt, yt, FMT_PCT);
    free(rows);
done:
    free(cell);
    free(from.lab);
    free(to.lab);
}

void rep_migration_section(const rep *r, const seg_snapshots *s, size_t from,
                           size_t to)
{
    seg_table *t = NULL;
    if (!s || seg_snapshots_transition_table(&t, s, r->ds, from, to) !=
                  SEG_OK)
        return;
    const char *c0 = seg_snapshots_column(s, from);
    const char *d0 = day_of(c0), *d1 = day_of(seg_snapshots_column(s, to));
    cli_printf(r->f, "<section class=\"migration\">\n<h2>%s%s",
               rep_w(r, W_MIGRATION), r->zh ? "：" : ": ");
    size_t tl = (size_t)(d0 - 1 - c0);
    char *tier = malloc(tl + 1);
    if (tier) {
        memcpy(tier, c0, tl);
        tier[tl] = '\0';
        rep_esc(r->f, tier);
        free(tier);
    }
    cli_printf(r->f, ", %s → %s</h2>\n<p class=note>", d0, d1);
    rep_esc(r->f, rep_w(r, W_MIG_NOTE));
    cli_puts(r->f, "</p>\n");
    matrix(r, t, d0, d1);
    rep_table(r, t, NULL);
    cli_puts(r->f, "</section>\n");
    seg_table_free(t);
}
