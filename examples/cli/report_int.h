/* What the files of the HTML report share: the words in each language,
 * number formats, colours, tables (report_fmt.c) and charts
 * (report_charts.c). */
#ifndef SEGMENT_CLI_REPORT_INT_H
#define SEGMENT_CLI_REPORT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <segment.h>

#include "output.h"

typedef enum rep_word {
    W_TITLE, W_DATA, W_AS_OF, W_CAL, W_HOLD, W_TZ, W_CUSTOMERS, W_TX,
    W_EVENTS, W_MODELS, W_RULES, W_NONE, W_UNIT, W_DAYS, W_WEEKS,
    W_PARAMS, W_FIT, W_LOGLIK, W_CONVERGED, W_NOT_CONVERGED, W_ITER,
    W_KIND, W_NAME, W_TIERS, W_SHARE_CUST, W_SHARE_VALUE, W_COUNT,
    W_REVENUE, W_MEAN, W_SHARE, W_RFM, W_RFM_SEG, W_HEAT_COUNT, W_HEAT_MEAN,
    W_SCORE_R, W_SCORE_R_HIGH, W_SCORE_F, W_RECENCY, W_ORDERS, W_MONETARY, W_HIST,
    W_TIES, W_CLV, W_CLV_DIST, W_PALIVE, W_EXPECTED, W_FREQ, W_FREQ_SHORT, W_TX_AXIS,
    W_HOLDOUT, W_PRED, W_ACTUAL, W_MEAN_PURCH, W_CAL_FREQ, W_ENG, W_STAGE,
    W_REACHED, W_KM, W_KM_SIZES, W_KM_PROFILE, W_CLUSTER, W_CROSS,
    W_CROSS_SHARES, W_PERIOD_CAL, W_PERIOD_ALL, W_PERIOD_HOLD,
    W_PERIOD_LATEST, W_HOLD_INCLUDED, W_PERIOD_LATEST_ASOF, W_PERIOD_MODEL, W_OVERFLOW,
    W_ALIVE_ONE, W_NO_TIER, W_GENERATED, W_TOTAL, W_MAE, W_VALUE, W_NO_DATA, W_BAD_FIT,
    W_MIGRATION, W_MIG_FROM, W_MIG_TO, W_MIG_SHARE, W_MIG_NOTE,
    W_TRACKING, W_TRACK_AXIS, W_TRACK_VALUE, W_MODEL, W_PERIOD_TX, W_PT_AXIS,
    W_PT_VALUE, W_HOLD_LINE, W_EXPECTED_SHORT,
    W_COUNT_
} rep_word;

typedef struct rep {
    cli_out *f;
    const seg_dataset *ds;
    bool zh;
    int unit;                     /* SEG_UNIT_DAY or SEG_UNIT_WEEK */
    bool holdout;
    char cal_from[32], cal_to[32]; /* local dates */
    char hold_from[32], as_of[32];
    const char *as_of_given;      /* --as-of as written, or NULL */
} rep;

/* The word in the report's language. */
const char *rep_w(const rep *r, rep_word w);

void rep_esc(cli_out *f, const char *s);

/* Numbers as people read them, never in scientific notation: counts with
 * thousands separators, amounts to two decimals, shares as percentages,
 * other values to about four significant digits; FMT_FIXED2 is two
 * decimals for a grid whose cells are read side by side. NaN gives "–". */
enum { FMT_AUTO, FMT_COUNT, FMT_AMOUNT, FMT_PCT, FMT_FIXED2 };
const char *rep_num(char *buf, size_t n, double v, int fmt);
/* v with d decimals and thousands separators. */
const char *rep_fixed(char *buf, size_t n, double v, int d);
/* The format of a table column from its name. */
int rep_column_format(const char *name);

/* A stable colour for a group: by its rank when the group has one (the
 * rule that gives a tier, the stage index), else from its name. */
const char *rep_colour(const char *name, int rank);

/* Which rows and columns of a table to write, in order (NULL: all, as
 * they are); share_of_row writes every numeric cell but the last column's
 * as a share of that last column (a crosstab's total). */
typedef struct rep_layout {
    const size_t *rows, *cols;
    size_t n_rows, n_cols;
    bool share_of_row;
} rep_layout;
/* A library table as HTML; lay may be NULL. */
void rep_table(const rep *r, const seg_table *t, const rep_layout *lay);

/* The groups of a label column, in the report's one order. */
typedef struct rep_group {
    const char *label;
    double count, value; /* value: sum of the value column, if any */
    double key;          /* ordering key */
    int rank;            /* colour rank, or -1 */
} rep_group;
typedef struct rep_groups {
    rep_group *g;
    size_t n;
    double total_count, total_value;
    const char **labels; /* backs g[].label */
} rep_groups;
/* Group the customers by column, summing value (NULL: none). Returns 0, or
 * -1 when the column cannot be read or memory runs out. */
int rep_groups_of(const rep *r, const char *column, const char *value,
                  rep_groups *out);
void rep_groups_free(rep_groups *g);
/* Sort the groups by their keys again (after a caller set them). */
void rep_groups_sort(rep_groups *g);
/* The rows of t (first column the group's label) in the order of g, then
 * those not in g (totals) as they were; *n gets the count. */
size_t *rep_order_rows(const seg_table *t, const rep_groups *g, size_t *n);
/* The columns of t: the first, then those named after groups of g in
 * their order, then the rest. */
size_t *rep_order_cols(const seg_table *t, const rep_groups *g, size_t *n);

/* Charts: inline SVG, each with an x and a y axis (ticks and titles). */
typedef struct rep_bars {
    const char *title;  /* axis title of the values */
    const double *v;
    int fmt;            /* FMT_PCT for shares (0..1) */
} rep_bars;
/* Horizontal bars, one panel per series, one row per group. */
void chart_hbars(const rep *r, const rep_groups *g, const rep_bars *s,
                 size_t n_series, const char *cat_title);
/* A histogram of the finite values of v (n of them), bins over the
 * values up to their 99th percentile, the rest in the last bin. */
void chart_histogram(const rep *r, const double *v, size_t n,
                     const char *x_title, int fmt);
/* A heatmap: cell[i * nc + j], row i drawn from the bottom, with the row
 * and column labels on the axes; NaN cells are left blank. */
void chart_heatmap(const rep *r, const double *cell, size_t nr, size_t nc,
                   const char *const *row_lab, const char *const *col_lab,
                   const char *x_title, const char *y_title, int fmt);
/* One bar per row group split into the column groups' shares
 * (share[i * cols->n + j], each row summing to 1), with a legend. */
void chart_stacked(const rep *r, const rep_groups *rows,
                   const rep_groups *cols, const double *share,
                   const char *cat_title, const char *x_title);
/* Two series of vertical bars per category, with a legend. */
/* Two series over n points, lines through them, a dashed vertical line
 * before point mark (none when mark is n); x labels every few points. */
void chart_lines(const rep *r, const char *const *cat, const double *a,
                 const double *b, size_t n, size_t mark, const char *a_name,
                 const char *b_name, const char *x_title,
                 const char *y_title);
void chart_pairs(const rep *r, const char *const *cat, const double *a,
                 const double *b, size_t n, const char *a_name,
                 const char *b_name, const char *x_title,
                 const char *y_title);

#endif
