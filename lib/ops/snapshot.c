/* Models and rule sets at several analysis dates over one dataset: the
 * records are grouped once, and each date computes its features from
 * the groups, fits and scores the models and applies the rule sets; the
 * tier column's value at each date goes through the hysteresis and the
 * "no history yet" mask, and its history becomes columns. All inside one
 * mark of the dataset, so that a failure at any date changes nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/snapshot.h"
#include "rules/internal.h"

enum { MAX_DATES = 1000 };

void seg_snapshot_options_init(seg_snapshot_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

void seg_snapshots_free(seg_snapshots *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->columns && i < s->n_dates; i++)
        seg__free(s->columns[i]);
    seg__free(s->columns);
    seg__free(s->dates);
    seg__free(s->tier);
    seg__intern_free(&s->names);
    seg__free(s);
}

size_t seg_snapshots_count(const seg_snapshots *s)
{
    return s ? s->n_dates : 0;
}

int64_t seg_snapshots_date(const seg_snapshots *s, size_t i)
{
    return s && i < s->n_dates ? s->dates[i] : SEG_TIME_NONE;
}

const char *seg_snapshots_column(const seg_snapshots *s, size_t i)
{
    return s && i < s->n_dates ? s->columns[i] : NULL;
}

/* What one run works with. */
typedef struct snap_run {
    seg_dataset *ds;
    const seg__errbuf *err;
    seg_model *const *models;
    size_t n_models;
    bool *fixed;             /* per model: fitted before the call */
    const seg_rules *const *rules;
    size_t n_rules, tracked; /* the rule set that writes the tier column */
    const char *col;         /* the tier column */
    char *col_prev, *col_changed;
    seg_features_options fo;
    seg__tx_groups *groups;
    int64_t *first;          /* per customer: first record, or INT64_MAX */
    snap_holds enter, leave;
    seg_snapshots *s;
    uint32_t *raw;           /* n_dates x n, like s->tier */
    double *changed;         /* per customer: since when, NaN none */
} snap_run;

static char *joined(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = seg__malloc(na + nb + 1);
    if (s) {
        memcpy(s, a, na);
        memcpy(s + na, b, nb + 1);
    }
    return s;
}

static void run_free(snap_run *r)
{
    seg__free(r->fixed);
    seg__free(r->col_prev);
    seg__free(r->col_changed);
    seg__tx_groups_free(r->groups);
    seg__free(r->first);
    seg__snap_holds_free(&r->enter);
    seg__snap_holds_free(&r->leave);
    seg__free(r->raw);
    seg__free(r->changed);
    seg_snapshots_free(r->s);
}

/* The labels a tier rule set can write: its tiers, or a score rule set's
 * grades. */
static int rule_labels(const seg_rules *r, const char ***out, size_t *n)
{
    size_t m = r->score ? r->ngrades : r->nrules;
    const char **l = seg__malloc((m ? m : 1) * sizeof *l);
    if (!l)
        return SEG_ENOMEM;
    *n = 0;
    for (size_t i = 0; i < m; i++) {
        const char *s = r->score ? r->grades[i].label : r->rules[i].label;
        if (s)
            l[(*n)++] = s;
    }
    *out = l;
    return SEG_OK;
}

static int check_holds(snap_run *r, const seg_snapshot_options *o)
{
    int rc = seg__snap_holds_parse(&r->enter, o->enter_hold, "enter hold",
                                   r->err);
    if (!rc)
        rc = seg__snap_holds_parse(&r->leave, o->leave_hold, "leave hold",
                                   r->err);
    const char **labels = NULL;
    size_t nl = 0;
    if (!rc && rule_labels(r->rules[r->tracked], &labels, &nl))
        rc = seg__nomem(r->err);
    if (!rc)
        rc = seg__snap_holds_check(&r->enter, labels, nl, "enter hold",
                                   r->err);
    if (!rc)
        rc = seg__snap_holds_check(&r->leave, labels, nl, "leave hold",
                                   r->err);
    seg__free(labels);
    return rc;
}

/* The checks of everything the call was given, before any change. */
static int check_args(snap_run *r, size_t n_dates,
                      const seg_snapshot_options *o)
{
    const seg__errbuf *err = r->err;
    if (n_dates == 0 || n_dates > MAX_DATES)
        return seg__error(err, SEG_EINVAL, "snapshots: give 1 to %d dates",
                          MAX_DATES);
    if (r->n_rules == 0)
        return seg__error(err, SEG_EINVAL, "snapshots: give a rule set");
    for (size_t i = 0; i < r->n_models; i++)
        if (!r->models[i])
            return seg__error(err, SEG_EINVAL, "snapshots: model %zu is "
                              "NULL", i + 1);
    for (size_t i = 0; i < r->n_rules; i++)
        if (!r->rules[i])
            return seg__error(err, SEG_EINVAL, "snapshots: rule set %zu is "
                              "NULL", i + 1);
    seg_features_options_init(&r->fo);
    if (o->features && seg__copy_opts(&r->fo, sizeof r->fo, o->features))
        return seg__error(err, SEG_EINVAL, "seg_features_options.size is "
                          "0: call seg_features_options_init()");
    if (r->fo.holdout_from != SEG_TIME_NONE)
        return seg__error(err, SEG_EINVAL, "snapshots: a holdout is not "
                          "for snapshots (each date is its own analysis "
                          "date)");
    r->col = o->tier_column ? o->tier_column
                            : seg_rules_output(r->rules[0]);
    r->tracked = r->n_rules;
    for (size_t i = 0; i < r->n_rules && r->tracked == r->n_rules; i++)
        if (strcmp(seg_rules_output(r->rules[i]), r->col) == 0)
            r->tracked = i;
    if (r->tracked == r->n_rules)
        return seg__error(err, SEG_ENOTFOUND, "snapshots: no rule set "
                          "writes the tier column '%s'", r->col);
    return check_holds(r, o);
}

/* Dates in order, a day apart at least (the columns are named by day). */
static int make_history(snap_run *r, const int64_t *dates, size_t n_dates)
{
    size_t n = seg__ds_n(r->ds);
    seg_snapshots *s = r->s = seg__calloc(1, sizeof *s);
    if (!s)
        return seg__nomem(r->err);
    s->n = n;
    s->dates = seg__malloc(n_dates * sizeof *s->dates);
    s->columns = seg__calloc(n_dates, sizeof *s->columns);
    s->tier = seg__calloc(n_dates * (n ? n : 1), sizeof *s->tier);
    r->raw = seg__calloc(n_dates * (n ? n : 1), sizeof *r->raw);
    if (!s->dates || !s->columns || !s->tier || !r->raw)
        return seg__nomem(r->err);
    s->n_dates = n_dates;
    const seg__tz *tz = seg__ds_tz(r->ds);
    for (size_t i = 0; i < n_dates; i++) {
        char day[SEG__ISO_MAX];
        s->dates[i] = dates[i];
        if (dates[i] == SEG_TIME_NONE ||
            seg__time_format_in(tz, day, dates[i]) < 10)
            return seg__error(r->err, SEG_EINVAL, "snapshots: date %zu is "
                              "not a time of the years 0 to 9999", i + 1);
        day[10] = '\0';
        if (i > 0 && strncmp(s->columns[i - 1] + strlen(r->col) + 1, day,
                             10) >= 0)
            return seg__error(r->err, SEG_EINVAL, "snapshots: the dates "
                              "must increase, a day apart at least (date "
                              "%zu, %s, is not after the one before)",
                              i + 1, day);
        char at[SEG__ISO_MAX + 1] = "@";
        memcpy(at + 1, day, 11);
        if (!(s->columns[i] = joined(r->col, at)))
            return seg__nomem(r->err);
    }
    return SEG_OK;
}

/* The first transaction or event of each customer: before it, no tier. */
static int first_records(snap_run *r)
{
    size_t n = seg__ds_n(r->ds);
    if (!(r->first = seg__malloc((n ? n : 1) * sizeof *r->first)))
        return seg__nomem(r->err);
    for (size_t c = 0; c < n; c++)
        r->first[c] = INT64_MAX;
    seg__tx_view tx = seg__ds_tx(r->ds);
    seg__ev_view ev = seg__ds_ev(r->ds);
    for (size_t i = 0; i < tx.n; i++)
        if (tx.time[i] < r->first[tx.cust[i]])
            r->first[tx.cust[i]] = tx.time[i];
    for (size_t i = 0; i < ev.n; i++)
        if (ev.time[i] < r->first[ev.cust[i]])
            r->first[ev.cust[i]] = ev.time[i];
    return SEG_OK;
}

static int prepare(snap_run *r, const int64_t *dates, size_t n_dates)
{
    size_t n = seg__ds_n(r->ds);
    int rc = seg__ds_need_records(r->ds, r->err, "a snapshot run");
    if (!rc)
        rc = make_history(r, dates, n_dates);
    if (!rc)
        rc = first_records(r);
    if (!rc && !(r->fixed = seg__calloc(r->n_models + 1, sizeof *r->fixed)))
        rc = seg__nomem(r->err);
    for (size_t i = 0; i < r->n_models && !rc; i++)
        r->fixed[i] = seg_model_is_fitted(r->models[i]);
    if (!rc && (!(r->col_prev = joined(r->col, ".previous")) ||
                !(r->col_changed = joined(r->col, ".changed")) ||
                !(r->changed = seg__malloc((n ? n : 1) *
                                           sizeof *r->changed))))
        rc = seg__nomem(r->err);
    for (size_t c = 0; c < n && !rc; c++)
        r->changed[c] = NAN;
    if (!rc)
        rc = seg__ds_tx_groups(r->ds, &r->groups);
    return rc;
}

/* Label codes of the history's names as a column (codes are copied). */
static int put_tiers(snap_run *r, const char *name, const uint32_t *codes)
{
    size_t n = r->s->n, nn = r->s->names.n;
    uint32_t *c = seg__malloc((n ? n : 1) * sizeof *c);
    const char **names = seg__malloc((nn ? nn : 1) * sizeof *names);
    int rc = c && names ? SEG_OK : SEG_ENOMEM;
    if (!rc) {
        memcpy(c, codes, n * sizeof *c);
        for (size_t i = 0; i < nn; i++)
            names[i] = seg__intern_str(&r->s->names, (uint32_t)i);
        rc = seg__ds_put_label_codes(r->ds, name, names, nn, c);
        if (!rc)
            c = NULL;
    }
    seg__free(c);
    seg__free(names);
    return rc == SEG_ENOMEM ? seg__nomem(r->err) : rc;
}

static int put_changed(snap_run *r)
{
    size_t n = r->s->n;
    double *v = seg__malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return seg__nomem(r->err);
    memcpy(v, r->changed, n * sizeof *v);
    int rc = seg__ds_put_num_column(r->ds, r->col_changed, SEG__ORIGIN_USER,
                                    v);
    if (rc)
        seg__free(v);
    if (!rc)
        rc = seg_dataset_set_column_kind(r->ds, r->col_changed,
                                         SEG_KIND_TIMESTAMP);
    return rc;
}

/* The previous snapshot's tier and change date, for the rules of date k
 * and, after the last, the columns themselves. */
static int put_previous(snap_run *r, size_t k)
{
    size_t n = r->s->n;
    uint32_t *zero = NULL;
    const uint32_t *prev = k > 0 ? r->s->tier + (k - 1) * n : NULL;
    if (!prev) {
        zero = seg__calloc(n ? n : 1, sizeof *zero);
        if (!zero)
            return seg__nomem(r->err);
        prev = zero;
    }
    int rc = put_tiers(r, r->col_prev, prev);
    seg__free(zero);
    return rc ? rc : put_changed(r);
}

/* The rule set's tiers at date k into the history's codes, then the
 * hysteresis and the mask, and the settled tiers back into the column. */
static int settle(snap_run *r, size_t k)
{
    seg_snapshots *s = r->s;
    size_t n = s->n;
    const seg__column *c = seg__ds_find_column(r->ds, r->col);
    if (!c || c->type != SEG_COLUMN_LABEL)
        return seg__error(r->err, SEG_ETYPE, "snapshots: '%s' is not a "
                          "label column", r->col);
    size_t nl = c->labels.n;
    uint32_t *map = seg__malloc((nl ? nl : 1) * sizeof *map);
    if (!map)
        return seg__nomem(r->err);
    int rc = SEG_OK;
    for (size_t i = 0; i < nl && !rc; i++) {
        const char *name = seg__intern_str(&c->labels, (uint32_t)i);
        rc = seg__intern(&s->names, name, strlen(name), &map[i], NULL);
        map[i]++;
    }
    uint32_t *raw = r->raw + k * n, *eff = s->tier + k * n;
    const uint32_t *before = k > 0 ? s->tier + (k - 1) * n : NULL;
    for (size_t i = 0; i < n && !rc; i++) {
        uint32_t code = i < c->n ? c->lab[i] : 0;
        raw[i] = r->first[i] <= s->dates[k] && code ? map[code - 1] : 0;
        uint32_t cur = before ? before[i] : 0;
        eff[i] = r->first[i] <= s->dates[k]
                     ? seg__snap_settle(r->raw + i, n, k, cur, &s->names,
                                        s->dates, &r->enter, &r->leave)
                     : 0;
        if (eff[i] != cur)
            r->changed[i] = eff[i] ? (double)s->dates[k] : NAN;
    }
    seg__free(map);
    if (rc)
        return seg__nomem(r->err);
    return put_tiers(r, r->col, eff);
}

/* A customer whose first record comes after the date is not a customer
 * yet: its features there are missing (not 0 orders and $0), so that
 * fits and population statistics such as p80(monetary_total) leave it
 * out. The feature columns were made inside the run's mark, so they are
 * written in place: a rollback drops them whole. */
static void not_yet(snap_run *r, size_t k)
{
    size_t n = r->s->n, nc = seg__ds_n_columns(r->ds);
    int64_t at = r->s->dates[k];
    for (size_t i = 0; i < nc; i++) {
        seg__column *c = seg__ds_column_at(r->ds, i);
        if (c->origin != SEG__ORIGIN_FEATURE || c->type != SEG_COLUMN_NUMERIC)
            continue;
        for (size_t row = 0; row < n && row < c->n; row++)
            if (r->first[row] > at)
                c->num[row] = NAN;
    }
}

static int at_date(snap_run *r, size_t k)
{
    seg_features_options fo = r->fo;
    fo.as_of = r->s->dates[k];
    int rc = seg__ds_features_with(r->ds, &fo, r->groups);
    if (!rc)
        not_yet(r, k);
    for (size_t i = 0; i < r->n_models && !rc; i++) {
        seg_model *m = r->models[i];
        rc = r->fixed[i] ? SEG_OK : seg_model_fit(m, r->ds);
        if (!rc)
            rc = seg_model_score(m, r->ds);
        if (rc)
            seg__error(r->err, rc, "snapshots: at %s: %s",
                       r->s->columns[k] + strlen(r->col) + 1,
                       seg_model_errmsg(m));
    }
    if (!rc)
        rc = put_previous(r, k);
    for (size_t i = 0; i < r->n_rules && !rc; i++) {
        rc = seg_rules_apply(r->rules[i], r->ds, NULL);
        if (rc)
            seg__error(r->err, rc, "snapshots: at %s: %s",
                       r->s->columns[k] + strlen(r->col) + 1,
                       seg_rules_errmsg(r->rules[i]));
        else if (i == r->tracked)
            rc = settle(r, k);
    }
    return rc;
}

static int run_all(snap_run *r)
{
    int rc = SEG_OK;
    size_t nd = r->s->n_dates;
    for (size_t k = 0; k < nd && !rc; k++)
        rc = at_date(r, k);
    for (size_t k = 0; k < nd && !rc; k++)
        rc = put_tiers(r, r->s->columns[k], r->s->tier + k * r->s->n);
    if (!rc)
        rc = put_previous(r, nd - 1);
    return rc;
}

int seg_snapshots_run(seg_snapshots **out, seg_dataset *ds,
                      const int64_t *dates, size_t n_dates,
                      seg_model *const *models, size_t n_models,
                      const seg_rules *const *rules, size_t n_rules,
                      const seg_snapshot_options *opts)
{
    if (out)
        *out = NULL;
    if (!ds || !dates || (n_models && !models) || !rules)
        return seg__error(ds ? seg__ds_err(ds) : NULL, SEG_EINVAL,
                          "seg_snapshots_run: NULL argument");
    seg_snapshot_options o;
    seg_snapshot_options_init(&o);
    if (opts && seg__copy_opts(&o, sizeof o, opts))
        return seg__error(seg__ds_err(ds), SEG_EINVAL, "seg_snapshot_options"
                          ".size is 0: call seg_snapshot_options_init()");
    snap_run r = {0};
    r.ds = ds;
    r.err = seg__ds_err(ds);
    r.models = models;
    r.n_models = n_models;
    r.rules = rules;
    r.n_rules = n_rules;
    int rc = check_args(&r, n_dates, &o);
    if (!rc)
        rc = prepare(&r, dates, n_dates);
    if (!rc) {
        bool own = !seg__ds_is_marked(ds);
        if (own)
            seg__ds_mark(ds);
        rc = run_all(&r);
        if (own && rc)
            seg__ds_rollback(ds);
        else if (own)
            seg__ds_commit(ds);
    }
    if (!rc && out) {
        *out = r.s;
        r.s = NULL;
    }
    run_free(&r);
    return rc;
}
