/* The diagnostics of a purchase model, the ones of lifetimes' plotting
 * module and of CLVTools: the tracking of repeat transactions over
 * calendar time, the period-transactions check, and the frequency x
 * recency matrices. Every number comes through seg_model_eval(), so any
 * kind that predicts purchases has them. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/struct.h"

static const char *col_param(const seg_model *m, const char *param,
                             const char *def)
{
    const char *v;
    return seg_model_get_str(m, param, &v) == SEG_OK && *v ? v : def;
}

/* The column of the observation length: T, or BG/BB's opportunities n. */
static const char *T_col(const seg_model *m)
{
    return col_param(m, "T_column", col_param(m, "n_column", "T"));
}

/* The model's x, t_x and T columns of ds (and more when given): copies,
 * NULL when a column is not asked for. */
static int read_cols(const seg_model *m, const seg_dataset *ds,
                     const char *report, const char *const *cols, int nc,
                     double **v)
{
    size_t n = seg_dataset_customer_count(ds);
    for (int c = 0; c < nc; c++)
        v[c] = NULL;
    for (int c = 0; c < nc; c++) {
        if (!(v[c] = seg__malloc((n ? n : 1) * sizeof **v)))
            return seg__nomem(&m->err);
        int rc = seg_dataset_copy_f64(ds, cols[c], v[c], n);
        if (rc)
            return seg__model_error(m, rc, "%s: %s", report,
                                    seg_dataset_errmsg(ds));
    }
    return SEG_OK;
}

static void free_cols(double **v, int nc)
{
    for (int c = 0; c < nc; c++)
        seg__free(v[c]);
}

static int eval(const seg_model *m, const char *report, const char *q,
                const double *args, size_t n, double *out)
{
    int rc = seg_model_eval(m, q, args, n, out);
    if (rc == SEG_ENOTFOUND)
        return seg__model_error(m, rc, "model '%s' has no %s report: it "
                                "predicts no purchases", m->name, report);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The distinct values of v (n of them, NaN left out) into *dv (sorted,
 * allocated) with the total weight of each into *cnt (w NULL: 1 each). */
static int distinct(const double *v, const double *w, size_t n, double **dv,
                    double **cnt, size_t *nd)
{
    double *s = seg__malloc((n ? n : 1) * 2 * sizeof *s);
    double *c = seg__malloc((n ? n : 1) * sizeof *c);
    if (!s || !c) {
        seg__free(s);
        seg__free(c);
        return SEG_ENOMEM;
    }
    size_t k = 0, d = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(v[i])) {
            s[2 * k] = v[i];
            s[2 * k++ + 1] = w ? w[i] : 1;
        }
    }
    /* pairs (value, weight) sorted by value, then weight */
    qsort(s, k, 2 * sizeof *s, cmp_double);
    for (size_t i = 0; i < k; i++) {
        if (d && s[2 * i] == s[d - 1]) {
            c[d - 1] += s[2 * i + 1];
        } else {
            s[d] = s[2 * i];
            c[d++] = s[2 * i + 1];
        }
    }
    *dv = s;
    *cnt = c;
    *nd = d;
    return SEG_OK;
}

static int new_table(seg_table **t, const char *name, size_t nc,
                     const char *const *names, const int *types)
{
    return seg__table_new(t, name, nc, names, types);
}

/* The cells c0 .. c0 + nv - 1 of row r. */
static int add_cells(seg_table *t, size_t r, size_t c0, const double *v,
                     size_t nv)
{
    int rc = SEG_OK;
    for (size_t c = 0; c < nv && !rc; c++)
        rc = seg__table_set_num(t, r, c0 + c, v[c]);
    return rc;
}

/* One row of numbers, the first cell text when label is not NULL. */
static int add_row(seg_table *t, const char *label, const double *v,
                   size_t nv)
{
    size_t r, c0 = label ? 1 : 0;
    int rc = seg__table_add_row(t, &r);
    if (!rc && label)
        rc = seg__table_set_text(t, r, 0, label);
    return rc ? rc : add_cells(t, r, c0, v, nv);
}

/* ---- period transactions ---- */

enum { PT_MAX = 7 }; /* repeat purchases 0 .. 6 and 7+, as the holdout */

/* Customers by their number of repeat purchases in the calibration
 * period, against the model: the customers of each T times the
 * probability of n repeat purchases in (0, T], summed (BTYD's
 * PlotFrequencyInCalibration). */
static int period_transactions(const seg_model *m, const seg_dataset *ds,
                               seg_table **out)
{
    /* a weight column counts customers per row, as in the fit */
    const char *wcol = col_param(m, "weight_column", NULL);
    const char *cols[3] = {col_param(m, "x_column", "frequency"), T_col(m),
                           wcol};
    double *v[3], act[PT_MAX + 1] = {0}, exp_[PT_MAX + 1] = {0};
    double *Tv = NULL, *Tc = NULL;
    size_t n = seg_dataset_customer_count(ds), nT = 0;
    int rc = read_cols(m, ds, "period_transactions", cols, wcol ? 3 : 2, v);
    for (size_t i = 0; i < n && !rc; i++) {
        if (isnan(v[0][i]))
            v[1][i] = NAN; /* no calibration purchase: not counted */
        else
            act[v[0][i] >= PT_MAX ? PT_MAX : (int)v[0][i]] +=
                wcol ? v[2][i] : 1;
    }
    if (!rc && distinct(v[1], wcol ? v[2] : NULL, n, &Tv, &Tc, &nT))
        rc = seg__nomem(&m->err);
    for (size_t k = 0; k < nT && !rc; k++) {
        double left = 1;
        for (int x = 0; x < PT_MAX && !rc; x++) {
            double args[2] = {Tv[k], x}, p;
            rc = eval(m, "period_transactions", "pmf", args, 2, &p);
            exp_[x] += Tc[k] * p;
            left -= p;
        }
        exp_[PT_MAX] += Tc[k] * fmax(0, left);
    }
    static const char *const names[3] = {"frequency", "actual", "expected"};
    static const int types[3] = {SEG_COLUMN_LABEL, SEG_COLUMN_NUMERIC,
                                 SEG_COLUMN_NUMERIC};
    seg_table *t = NULL;
    if (!rc && new_table(&t, "period_transactions", 3, names, types))
        rc = seg__nomem(&m->err);
    for (int x = 0; x <= PT_MAX && !rc; x++) {
        char label[8];
        snprintf(label, sizeof label, x == PT_MAX ? "%d+" : "%d", x);
        double row[2] = {act[x], exp_[x]};
        if (add_row(t, label, row, 2))
            rc = seg__nomem(&m->err);
    }
    seg__free(Tv);
    seg__free(Tc);
    free_cols(v, wcol ? 3 : 2);
    if (rc)
        seg_table_free(t);
    else
        *out = t;
    return rc;
}

/* ---- the frequency x recency matrices ---- */

enum { GRID = 40 }; /* at most this many steps of recency and frequency */

#define DAYS_PER_MONTH (365.2425 / 12)

/* The horizon of the model's .expected column, in its time units (unit:
 * days in one): `horizon`, or for clv horizon_days converted. */
static double horizon_of(const seg_model *m, double unit)
{
    double h, days, upm;
    if (seg_model_get_f64(m, "horizon", &h) == SEG_OK && h > 0)
        return h;
    if (seg_model_get_f64(m, "horizon_days", &days) != SEG_OK)
        return 1;
    if (seg_model_get_f64(m, "units_per_month", &upm) == SEG_OK && upm > 0)
        return days * upm / DAYS_PER_MONTH;
    return days / unit;
}

/* The days in one time unit of the model's inputs, from the kind of its
 * T column: 1 for days, 7 for weeks, 0 for anything else. */
static double unit_days(const seg_model *m, const seg_dataset *ds)
{
    int k = seg_dataset_column_kind(ds, T_col(m));
    return k == SEG_KIND_DAYS ? 1 : k == SEG_KIND_WEEKS ? 7 : 0;
}

/* P(alive) or the expected purchases over the model's horizon on a grid
 * of frequency (0 .. the largest, at most GRID + 1 values) and recency
 * t_x (GRID + 1 steps from 0 to T), at T the longest observation of the
 * customers (lifetimes' plot_frequency_recency_matrix). */
static int matrix(const seg_model *m, const seg_dataset *ds, bool palive,
                  seg_table **out)
{
    const char *name = palive ? "matrix_palive" : "matrix_expected";
    const char *cols[2] = {col_param(m, "x_column", "frequency"),
                           T_col(m)};
    double *v[2];
    size_t n = seg_dataset_customer_count(ds);
    int rc = read_cols(m, ds, name, cols, 2, v);
    double xmax = 0, T = 0;
    bool any = false;
    for (size_t i = 0; i < n && !rc; i++) {
        if (isnan(v[0][i]) || isnan(v[1][i]))
            continue;
        any = true;
        xmax = fmax(xmax, v[0][i]);
        T = fmax(T, v[1][i]);
    }
    if (!rc && !any)
        rc = seg__model_error(m, SEG_ERANGE, "%s: no customer has a "
                              "calibration purchase", name);
    double unit = rc ? 0 : unit_days(m, ds);
    double t = horizon_of(m, unit ? unit : 1);
    static const char *const names[5] = {"frequency", "recency", "T",
                                         "horizon", "value"};
    static const int types[5] = {SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC,
                                 SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC,
                                 SEG_COLUMN_NUMERIC};
    seg_table *tb = NULL;
    if (!rc && new_table(&tb, name, 5, names, types))
        rc = seg__nomem(&m->err);
    int fsteps = xmax < GRID ? (int)xmax : GRID;
    int rsteps = T < GRID ? (int)ceil(T) : GRID;
    /* BG/BB counts opportunities: whole recencies, and no more
     * transactions than the opportunity of the last one */
    const char *nc;
    bool whole = seg_model_get_str(m, "n_column", &nc) == SEG_OK;
    for (int f = 0; f <= fsteps && !rc; f++) {
        double x = fsteps ? round(xmax * f / fsteps) : 0;
        for (int r = 0; r <= rsteps && !rc; r++) {
            double tx = rsteps ? T * r / rsteps : 0, val;
            if (whole && (tx = round(tx), x > tx || (x > 0 && tx < 1) ||
                          (x == 0 && tx > 0)))
                continue;
            double args[4] = {t, x, tx, T};
            rc = palive ? eval(m, name, "p_alive", args + 1, 3, &val)
                        : eval(m, name, "expected", args, 4, &val);
            double row[5] = {x, tx, T, palive ? NAN : t, val};
            if (!rc && add_row(tb, NULL, row, 5))
                rc = seg__nomem(&m->err);
        }
    }
    free_cols(v, 2);
    if (rc)
        seg_table_free(tb);
    else
        *out = tb;
    return rc;
}

/* ---- tracking ---- */

enum { PERIOD_DAYS = 7 };

/* "YYYY-MM-DD" of a local day */
static void day_text(int64_t d, char *buf, size_t size)
{
    int64_t y;
    unsigned mo, da;
    seg__civil_from_days(d, &y, &mo, &da);
    snprintf(buf, size, "%04lld-%02u-%02u", (long long)y, mo, da);
}

typedef struct cohort {
    int64_t *first;   /* distinct first purchase days, sorted */
    double *count;    /* customers of each */
    size_t n;
    int64_t day0, cal_day, end_day;
    double *actual;   /* repeat purchase days per day from day0 */
} cohort;

static void cohort_free(cohort *c)
{
    seg__free(c->first);
    seg__free(c->count);
    seg__free(c->actual);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The customers with a calibration history, by the day of their first
 * purchase, and their repeat purchase days per calendar day through the
 * holdout: the calibration's last day is each one's first day plus T. */
static int build_cohort(const seg_model *m, const seg_dataset *ds,
                        double unit, cohort *co)
{
    const char *cols[3] = {col_param(m, "x_column", "frequency"),
                           T_col(m), "holdout_length"};
    double *v[3] = {NULL, NULL, NULL};
    size_t n = seg_dataset_customer_count(ds), *start = NULL, k = 0;
    int64_t *days = NULL, *firsts = NULL;
    bool holdout = seg_dataset_column_kind(ds, cols[2]) >= 0;
    int rc = read_cols(m, ds, "tracking", cols, holdout ? 3 : 2, v);
    if (!rc && (rc = seg__ds_purchase_days(ds, &days, &start)) != SEG_OK)
        rc = rc == SEG_ENOMEM ? seg__nomem(&m->err)
                              : seg__model_error(m, rc, "%s",
                                                 seg_dataset_errmsg(ds));
    if (!rc && !(firsts = seg__malloc((n ? n : 1) * sizeof *firsts)))
        rc = seg__nomem(&m->err);
    co->cal_day = INT64_MIN;
    for (size_t i = 0; i < n && !rc; i++) {
        if (isnan(v[0][i]) || start[i] == start[i + 1])
            continue;
        int64_t s = days[start[i]], c = s + llround(v[1][i] * unit);
        if (co->cal_day != INT64_MIN && c != co->cal_day)
            rc = seg__model_error(m, SEG_EINVAL, "tracking: the features "
                                  "of customer '%s' are not those of the "
                                  "dataset's transactions: compute them "
                                  "again", seg_dataset_customer_id(ds, i));
        co->cal_day = c;
        firsts[k++] = s;
    }
    if (!rc && k == 0)
        rc = seg__model_error(m, SEG_ERANGE, "tracking: no customer has a "
                              "calibration purchase");
    if (!rc) {
        qsort(firsts, k, sizeof *firsts, cmp_i64);
        co->day0 = firsts[0];
        co->end_day = co->cal_day;
        if (holdout) {
            for (size_t i = 0; i < n; i++)
                if (!isnan(v[2][i])) {
                    co->end_day = co->cal_day + llround(v[2][i] * unit);
                    break;
                }
        }
        size_t ndays = (size_t)(co->end_day - co->day0 + 1);
        co->first = seg__malloc(k * sizeof *co->first);
        co->count = seg__malloc(k * sizeof *co->count);
        co->actual = seg__calloc(ndays, sizeof *co->actual);
        if (!co->first || !co->count || !co->actual)
            rc = seg__nomem(&m->err);
    }
    for (size_t i = 0; i < k && !rc; i++) {
        if (co->n && firsts[i] == co->first[co->n - 1]) {
            co->count[co->n - 1]++;
        } else {
            co->first[co->n] = firsts[i];
            co->count[co->n++] = 1;
        }
    }
    for (size_t i = 0; i < n && !rc; i++) {
        if (isnan(v[0][i]))
            continue;
        for (size_t j = start[i] + 1; j < start[i + 1]; j++)
            if (days[j] <= co->end_day)
                co->actual[days[j] - co->day0]++;
    }
    seg__free(days);
    seg__free(start);
    seg__free(firsts);
    free_cols(v, 3);
    return rc;
}

/* Expected against actual repeat transactions per calendar week, from
 * the first customer's first purchase through the holdout when there is
 * one (lifetimes' plot_incremental_transactions, CLVTools' tracking
 * plot): the expectation sums, over the customers, the unconditional
 * expected repeat purchases of a new customer since that customer's
 * first purchase. */
static int tracking(const seg_model *m, const seg_dataset *ds,
                    seg_table **out)
{
    if (seg_dataset_transaction_count(ds) == 0)
        return seg__model_error(m, SEG_EINVAL, "tracking: needs the "
                                "transactions, and the dataset has none (a "
                                "summary of customers cannot be followed "
                                "over calendar time)");
    double unit = unit_days(m, ds);
    if (unit == 0)
        return seg__model_error(m, SEG_EINVAL, "tracking: the time unit of "
                                "'%s' is not known: compute the features",
                                T_col(m));
    cohort co = {NULL, NULL, 0, 0, 0, 0, NULL};
    int rc = build_cohort(m, ds, unit, &co);
    static const char *const names[8] = {
        "period", "start", "holdout", "actual", "expected",
        "actual_cumulative", "expected_cumulative", "customers"};
    static const int types[8] = {
        SEG_COLUMN_NUMERIC, SEG_COLUMN_LABEL, SEG_COLUMN_NUMERIC,
        SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC,
        SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC};
    seg_table *t = NULL;
    if (!rc && new_table(&t, "tracking", 8, names, types))
        rc = seg__nomem(&m->err);
    double act_cum = 0, exp_prev = 0;
    for (int64_t p0 = co.day0, k = 1; p0 <= co.end_day && !rc;
         p0 += PERIOD_DAYS, k++) {
        int64_t p1 = p0 + PERIOD_DAYS - 1;
        if (p1 > co.end_day)
            p1 = co.end_day;
        double act = 0, exp_cum = 0, customers = 0;
        for (int64_t d = p0; d <= p1; d++)
            act += co.actual[d - co.day0];
        for (size_t g = 0; g < co.n && !rc && co.first[g] <= p1; g++) {
            double args[1] = {(double)(p1 - co.first[g]) / unit}, e;
            rc = eval(m, "tracking", "expected_unconditional", args, 1, &e);
            exp_cum += co.count[g] * e;
            customers += co.count[g];
        }
        act_cum += act;
        char date[24];
        day_text(p0, date, sizeof date);
        double row[7] = {(double)k, 0, p0 > co.cal_day, act,
                         exp_cum - exp_prev, act_cum, exp_cum};
        size_t r;
        if (!rc && (seg__table_add_row(t, &r) ||
                    seg__table_set_num(t, r, 0, row[0]) ||
                    seg__table_set_text(t, r, 1, date) ||
                    add_cells(t, r, 2, row + 2, 5) ||
                    seg__table_set_num(t, r, 7, customers)))
            rc = seg__nomem(&m->err);
        exp_prev = exp_cum;
    }
    cohort_free(&co);
    if (rc)
        seg_table_free(t);
    else
        *out = t;
    return rc;
}

int seg__diag_table(const seg_model *m, const seg_dataset *ds,
                    const char *report, seg_table **out)
{
    bool known = !strcmp(report, "tracking") ||
                 !strcmp(report, "period_transactions") ||
                 !strcmp(report, "matrix_expected") ||
                 !strcmp(report, "matrix_palive");
    if (!known)
        return SEG_ENOTFOUND;
    if (!ds)
        return seg__model_error(m, SEG_EINVAL, "%s: dataset is NULL",
                                report);
    if (!strcmp(report, "tracking"))
        return tracking(m, ds, out);
    if (!strcmp(report, "period_transactions"))
        return period_transactions(m, ds, out);
    return matrix(m, ds, !strcmp(report, "matrix_palive"), out);
}
