/* The evaluation of a lead-pool reclaim on an analysis date: each lead's
 * clocks (days since the later of its assignment and its last follow-up
 * or deal), the rules that fire or soon will, the lock-out of an owner
 * who took a lead back too soon, the hold cap per owner, and the columns
 * and the two lists that come of it. docs/operations.md states the rules
 * this file follows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/reclaim.h"

#define DAY 86400
/* About 35 million years each way: the times a clock subtracts and adds
 * stay far from overflow. */
#define TIME_LIMIT (INT64_C(1) << 50)

enum { K_FOLLOWUP = 1, K_DEAL = 2, K_ASSIGNED = 4, K_RELEASED = 8 };

/* The status labels, in the order of their codes. */
enum { S_KEPT = 1, S_REMINDER, S_RECLAIMED, S_POOL };
static const char *const status_name[] = {"kept", "reminder", "reclaimed",
                                          "pool"};

/* What the records say of one lead up to the analysis date. */
typedef struct rcl_facts {
    int64_t assigned, followup, deal, first;
    int64_t rel_any, rel_own; /* the latest release; the owner's latest */
    uint32_t rel_any_kind;
} rcl_facts;

/* The outcome for one lead. */
typedef struct rcl_lead {
    uint32_t owner;   /* label code in the owner column; 0: none */
    uint8_t status;
    uint32_t rule;    /* 0: none; i + 1: rule i; then cap, lockout */
    int64_t fstart;   /* the follow-up clock's start; NONE: unknown */
    int64_t fires;
    double since, left;
    uint32_t lock;    /* code in the lock names; 0: none */
    int64_t until;
} rcl_lead;

typedef struct rcl_eval {
    const seg_reclaim *r;
    const seg_dataset *ds;
    int64_t as_of;
    size_t n;
    uint32_t *owner;             /* per customer: 1 + index in owners; 0 */
    const seg__interner *owners; /* the owners' names */
    seg__interner numbered;      /* them, for an owner column of numbers */
    rcl_lead *lead;
    seg__interner locks; /* the names of locked-out owners */
} rcl_eval;

static void eval_free(rcl_eval *e)
{
    seg__free(e->owner);
    seg__free(e->lead);
    seg__intern_free(&e->numbered);
    seg__intern_free(&e->locks);
}

static const char *owner_name(const rcl_eval *e, size_t c)
{
    return seg__intern_str(e->owners, e->owner[c] - 1);
}

static bool in_list(char *const *l, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i], s) == 0)
            return true;
    return false;
}

/* The role of each of the dataset's event kinds, and for a release
 * ("released:alice") the owner's code in the owner column (0: an owner
 * who holds no lead now). */
static int kind_roles(const rcl_eval *e, uint8_t **role, uint32_t **owner)
{
    const seg_reclaim *r = e->r;
    size_t nk = seg__ds_kind_count(e->ds);
    size_t nr = r->released ? strlen(r->released) : 0;
    *role = seg__calloc(nk ? nk : 1, 1);
    *owner = seg__calloc(nk ? nk : 1, sizeof **owner);
    if (!*role || !*owner)
        return SEG_ENOMEM;
    for (size_t k = 0; k < nk; k++) {
        const char *s = seg__ds_kind_name(e->ds, k);
        uint8_t f = 0;
        if (in_list(r->followup, r->n_followup, s))
            f |= K_FOLLOWUP;
        if (in_list(r->deal, r->n_deal, s))
            f |= K_DEAL;
        if (r->assigned && strcmp(s, r->assigned) == 0)
            f |= K_ASSIGNED;
        if (nr && strncmp(s, r->released, nr) == 0 && s[nr] == ':' &&
            s[nr + 1]) {
            f |= K_RELEASED;
            uint32_t lab;
            if (seg__intern_find(e->owners, s + nr + 1, strlen(s + nr + 1),
                                 &lab))
                (*owner)[k] = lab + 1;
        }
        (*role)[k] = f;
    }
    return SEG_OK;
}

static void later(int64_t *slot, int64_t t)
{
    if (*slot == SEG_TIME_NONE || t > *slot)
        *slot = t;
}

static void earlier(int64_t *slot, int64_t t)
{
    if (*slot == SEG_TIME_NONE || t < *slot)
        *slot = t;
}

/* One pass over the records up to the analysis date; ties of releases go
 * to the one added last. */
static int gather(const rcl_eval *e, rcl_facts *f)
{
    uint8_t *role;
    uint32_t *rel_owner;
    if (kind_roles(e, &role, &rel_owner)) {
        seg__free(role);
        seg__free(rel_owner);
        return SEG_ENOMEM;
    }
    for (size_t c = 0; c < e->n; c++)
        f[c] = (rcl_facts){SEG_TIME_NONE, SEG_TIME_NONE, SEG_TIME_NONE,
                           SEG_TIME_NONE, SEG_TIME_NONE, SEG_TIME_NONE, 0};
    seg__tx_view tx = seg__ds_tx(e->ds);
    for (size_t i = 0; i < tx.n; i++) {
        if (tx.time[i] > e->as_of)
            continue;
        rcl_facts *x = &f[tx.cust[i]];
        earlier(&x->first, tx.time[i]);
        if (e->r->deal_tx && tx.amount[i] > 0)
            later(&x->deal, tx.time[i]);
    }
    seg__ev_view ev = seg__ds_ev(e->ds);
    for (size_t i = 0; i < ev.n; i++) {
        int64_t t = ev.time[i];
        if (t > e->as_of)
            continue;
        rcl_facts *x = &f[ev.cust[i]];
        uint8_t k = role[ev.kind[i]];
        earlier(&x->first, t);
        if (k & K_FOLLOWUP)
            later(&x->followup, t);
        if (k & K_DEAL)
            later(&x->deal, t);
        if (k & K_ASSIGNED)
            later(&x->assigned, t);
        if ((k & K_RELEASED) && (x->rel_any == SEG_TIME_NONE ||
                                 t >= x->rel_any)) {
            x->rel_any = t;
            x->rel_any_kind = ev.kind[i];
        }
        uint32_t o = e->owner[ev.cust[i]];
        if ((k & K_RELEASED) && o && rel_owner[ev.kind[i]] == o)
            later(&x->rel_own, t);
    }
    seg__free(role);
    seg__free(rel_owner);
    return SEG_OK;
}

/* The owner_since column, where the definition names one the dataset
 * has: a timestamp or number of epoch seconds, or a date as text. */
static int assignment_dates(const rcl_eval *e, rcl_facts *f)
{
    const seg_reclaim *r = e->r;
    const seg__column *col =
        r->owner_since ? seg__ds_find_column(e->ds, r->owner_since) : NULL;
    for (size_t c = 0; col && c < e->n && c < col->n; c++) {
        int64_t t;
        if (col->type == SEG_COLUMN_NUMERIC) {
            double v = col->num[c];
            if (isnan(v))
                continue;
            if (!(fabs(v) < (double)TIME_LIMIT))
                return seg__error(&r->err, SEG_ERANGE, "reclaim: %s of '%s' "
                                  "is not a time", r->owner_since,
                                  seg__ds_id(e->ds, c));
            t = (int64_t)floor(v);
        } else {
            const char *s = seg__column_label(col, c);
            if (!s || !*s)
                continue;
            if (seg_dataset_parse_time(e->ds, &t, s, strlen(s),
                                       SEG_TIME_AUTO))
                return seg__error(&r->err, SEG_EPARSE, "reclaim: %s '%s' of "
                                  "'%s' is not a date or a time",
                                  r->owner_since, s, seg__ds_id(e->ds, c));
        }
        f[c].assigned = t; /* the attribute wins over assigned events */
    }
    return SEG_OK;
}

/* ---- the rules of one lead ---- */

static int64_t floor_days(int64_t secs)
{
    return secs >= 0 ? secs / DAY : -((-secs + DAY - 1) / DAY);
}

/* A clock starts at the later of the assignment and the last record that
 * resets it; with neither, at the lead's first record. */
static int64_t clock_start(const rcl_facts *f, int64_t last)
{
    int64_t s = f->assigned;
    if (last != SEG_TIME_NONE)
        later(&s, last);
    return s != SEG_TIME_NONE ? s : f->first;
}

/* An owner released from the lead who holds it again within the
 * lock-out: assigned in [release, release + lockout), or, when the
 * assignment date is not known, while the lock-out still runs. */
static bool locked_out(const seg_reclaim *r, const rcl_facts *f,
                       int64_t as_of)
{
    if (!r->lockout || f->rel_own == SEG_TIME_NONE)
        return false;
    int64_t end = f->rel_own + r->lockout * DAY;
    if (f->assigned != SEG_TIME_NONE)
        return f->assigned >= f->rel_own && f->assigned < end;
    return as_of < end;
}

static void judge(const rcl_eval *e, const rcl_facts *f, rcl_lead *l)
{
    const seg_reclaim *r = e->r;
    l->fstart = clock_start(f, f->followup);
    l->since = l->fstart != SEG_TIME_NONE
                   ? (double)floor_days(e->as_of - l->fstart)
                   : NAN;
    l->status = S_KEPT;
    if (locked_out(r, f, e->as_of)) {
        l->status = S_RECLAIMED;
        l->rule = (uint32_t)r->n_rules + 2;
        l->fires = e->as_of;
        return;
    }
    int64_t dstart = clock_start(f, f->deal);
    size_t best = r->n_rules;
    for (size_t i = 0; i < r->n_rules; i++) {
        int64_t s = r->rules[i].clock == RCL_DEAL ? dstart : l->fstart;
        if (s == SEG_TIME_NONE)
            continue;
        int64_t at = s + r->rules[i].days * DAY;
        if (best == r->n_rules || at < l->fires) {
            best = i;
            l->fires = at;
            l->left = (double)(r->rules[i].days - floor_days(e->as_of - s));
        }
    }
    if (best == r->n_rules)
        return;
    l->rule = (uint32_t)best + 1;
    if (l->fires <= e->as_of)
        l->status = S_RECLAIMED;
    else if (r->reminder && l->left <= (double)r->reminder)
        l->status = S_REMINDER;
}

/* ---- the cap ---- */

typedef struct held {
    uint32_t owner;
    int64_t fstart;
    const char *id;
    size_t c;
} held;

/* By owner; within one, the longest without a follow-up first (an unknown
 * clock before any), then by id. */
static int cmp_held(const void *a, const void *b)
{
    const held *x = a, *y = b;
    if (x->owner != y->owner)
        return x->owner < y->owner ? -1 : 1;
    if (x->fstart != y->fstart)
        return x->fstart < y->fstart ? -1 : 1;
    return strcmp(x->id, y->id);
}

static int apply_cap(rcl_eval *e)
{
    size_t m = 0;
    for (size_t c = 0; c < e->n; c++)
        m += e->lead[c].status == S_KEPT || e->lead[c].status == S_REMINDER;
    if (!e->r->cap || m <= e->r->cap)
        return SEG_OK;
    held *h = seg__malloc(m * sizeof *h);
    if (!h)
        return SEG_ENOMEM;
    m = 0;
    for (size_t c = 0; c < e->n; c++) {
        const rcl_lead *l = &e->lead[c];
        if (l->status == S_KEPT || l->status == S_REMINDER)
            h[m++] = (held){l->owner, l->fstart == SEG_TIME_NONE
                                          ? INT64_MIN : l->fstart,
                            seg__ds_id(e->ds, c), c};
    }
    qsort(h, m, sizeof *h, cmp_held);
    for (size_t a = 0, b; a < m; a = b) {
        for (b = a; b < m && h[b].owner == h[a].owner; b++)
            ;
        for (size_t i = a; b - a > e->r->cap && i < b - e->r->cap; i++) {
            rcl_lead *l = &e->lead[h[i].c];
            l->status = S_RECLAIMED;
            l->rule = (uint32_t)e->r->n_rules + 1;
            l->fires = e->as_of;
            l->left = NAN;
        }
    }
    seg__free(h);
    return SEG_OK;
}

/* ---- the lock-out ---- */

static int lock_name(rcl_eval *e, const char *s, uint32_t *code)
{
    uint32_t i;
    int rc = seg__intern(&e->locks, s, strlen(s), &i, NULL);
    *code = i + 1;
    return rc;
}

/* Who may not take the lead until when: the owner it is reclaimed from
 * now, else the owner of the latest release whose lock-out still runs. */
static int set_lock(rcl_eval *e, const rcl_facts *f, size_t c)
{
    rcl_lead *l = &e->lead[c];
    int64_t m = e->r->lockout * DAY;
    if (!m)
        return SEG_OK;
    if (l->status == S_RECLAIMED) {
        l->until = e->as_of + m;
        return lock_name(e, owner_name(e, c), &l->lock);
    }
    if (f->rel_any == SEG_TIME_NONE || f->rel_any + m <= e->as_of)
        return SEG_OK;
    const char *k = seg__ds_kind_name(e->ds, f->rel_any_kind);
    l->until = f->rel_any + m;
    return lock_name(e, k + strlen(e->r->released) + 1, &l->lock);
}

/* ---- the evaluation ---- */

/* Each customer's owner: a label, or for a column of numbers (employee
 * numbers) the number as text; missing and empty are no owner. */
static int load_owners(rcl_eval *e)
{
    const seg_reclaim *r = e->r;
    const seg__column *col = seg__ds_find_column(e->ds, r->owner);
    if (!col)
        return seg__error(&r->err, SEG_ENOTFOUND, "reclaim: no column '%s' "
                          "(the owner of each lead; 'owner =' names it)",
                          r->owner);
    if (!(e->owner = seg__calloc(e->n ? e->n : 1, sizeof *e->owner)))
        return seg__nomem(&r->err);
    bool numbers = col->type == SEG_COLUMN_NUMERIC;
    e->owners = numbers ? &e->numbered : &col->labels;
    for (size_t c = 0; c < e->n && c < col->n; c++) {
        if (!numbers) {
            uint32_t k = col->lab[c];
            e->owner[c] = k && *seg__intern_str(&col->labels, k - 1) ? k : 0;
            continue;
        }
        if (isnan(col->num[c]))
            continue;
        char buf[40];
        uint32_t k;
        if (seg__intern(&e->numbered, buf, seg__format_f64(buf, col->num[c]),
                        &k, NULL))
            return seg__nomem(&r->err);
        e->owner[c] = k + 1;
    }
    return SEG_OK;
}

static int evaluate(const seg_reclaim *r, const seg_dataset *ds,
                    int64_t as_of, rcl_eval *e)
{
    *e = (rcl_eval){.r = r, .ds = ds, .n = seg__ds_n(ds),
                    .as_of = as_of == SEG_TIME_NONE ? seg__ds_max_time(ds)
                                                    : as_of};
    int rc = seg__ds_need_records(ds, &r->err, "reclaim");
    if (!rc)
        rc = load_owners(e);
    if (rc)
        return rc;
    if (e->as_of < -TIME_LIMIT || e->as_of > TIME_LIMIT)
        return seg__error(&r->err, SEG_ERANGE, "reclaim: the analysis date "
                          "is out of range");
    size_t m = e->n ? e->n : 1;
    rcl_facts *f = seg__malloc(m * sizeof *f);
    e->lead = seg__malloc(m * sizeof *e->lead);
    rc = f && e->lead ? gather(e, f) : SEG_ENOMEM;
    if (rc) {
        seg__free(f);
        return seg__nomem(&r->err);
    }
    rc = assignment_dates(e, f);
    for (size_t c = 0; c < e->n && !rc; c++)
        if (f[c].first != SEG_TIME_NONE && f[c].first < -TIME_LIMIT)
            rc = seg__error(&r->err, SEG_ERANGE, "reclaim: a record of '%s' "
                            "is out of range", seg__ds_id(ds, c));
    for (size_t c = 0; c < e->n && !rc; c++) {
        rcl_lead *l = &e->lead[c];
        *l = (rcl_lead){e->owner[c], S_POOL, 0, SEG_TIME_NONE,
                        SEG_TIME_NONE, NAN, NAN, 0, SEG_TIME_NONE};
        if (l->owner)
            judge(e, &f[c], l);
    }
    if (!rc && apply_cap(e))
        rc = seg__nomem(&r->err);
    for (size_t c = 0; c < e->n && !rc; c++)
        if (set_lock(e, &f[c], c))
            rc = seg__nomem(&r->err);
    seg__free(f);
    return rc;
}

/* ---- the columns ---- */

enum { C_STATUS, C_RULE, C_SINCE, C_FIRES, C_LEFT, C_LOCKED, C_UNTIL, C_N };
static const char *const col_what[C_N] = {
    "status", "rule", "days_since_followup", "fires", "days_left",
    "locked_owner", "locked_until"};
static const bool col_label[C_N] = {true, true, false, false, false, true,
                                    false};

static char *col_name(const seg_reclaim *r, int k)
{
    return seg__ops_column_name(r->prefix, col_what[k]);
}

static double when(int64_t t)
{
    return t == SEG_TIME_NONE ? NAN : (double)t;
}

typedef struct rcl_cols {
    char *name[C_N];
    uint32_t *codes[C_N];
    double *num[C_N];
} rcl_cols;

static void cols_free(rcl_cols *c)
{
    for (int k = 0; k < C_N; k++) {
        seg__free(c->name[k]);
        seg__free(c->codes[k]);
        seg__free(c->num[k]);
    }
}

static int cols_fill(const rcl_eval *e, seg_dataset *ds, rcl_cols *c)
{
    const seg_reclaim *r = e->r;
    for (int k = 0; k < C_N; k++) {
        if (!(c->name[k] = col_name(r, k)))
            return seg__nomem(&r->err);
        int rc = seg__ds_check_put(ds, c->name[k], col_label[k]
                                                       ? SEG_COLUMN_LABEL
                                                       : SEG_COLUMN_NUMERIC);
        if (rc)
            return seg__error(&r->err, rc, "reclaim: cannot write column "
                              "'%s': %s", c->name[k], seg_dataset_errmsg(ds));
        size_t sz = col_label[k] ? sizeof *c->codes[k] : sizeof *c->num[k];
        void *p = seg__malloc((e->n ? e->n : 1) * sz);
        if (!p)
            return seg__nomem(&r->err);
        if (col_label[k])
            c->codes[k] = p;
        else
            c->num[k] = p;
    }
    for (size_t i = 0; i < e->n; i++) {
        const rcl_lead *l = &e->lead[i];
        c->codes[C_STATUS][i] = l->status;
        c->codes[C_RULE][i] = l->rule;
        c->codes[C_LOCKED][i] = l->lock;
        c->num[C_SINCE][i] = l->since;
        c->num[C_FIRES][i] = when(l->fires);
        c->num[C_LEFT][i] = l->left;
        c->num[C_UNTIL][i] = when(l->until);
    }
    return SEG_OK;
}

static int cols_put(const rcl_eval *e, seg_dataset *ds, rcl_cols *c)
{
    const seg_reclaim *r = e->r;
    size_t nr = r->n_rules + 2, nl = e->locks.n;
    const char **names = seg__malloc((nr + nl + 1) * sizeof *names);
    if (!names)
        return SEG_ENOMEM;
    int rc = seg__ds_put_label_codes(ds, c->name[C_STATUS], status_name, 4,
                                     c->codes[C_STATUS]);
    if (!rc) {
        c->codes[C_STATUS] = NULL;
        for (size_t i = 0; i < r->n_rules; i++)
            names[i] = r->rules[i].name;
        names[r->n_rules] = "cap";
        names[r->n_rules + 1] = "lockout";
        rc = seg__ds_put_label_codes(ds, c->name[C_RULE], names, nr,
                                     c->codes[C_RULE]);
    }
    if (!rc) {
        c->codes[C_RULE] = NULL;
        for (size_t i = 0; i < nl; i++)
            names[i] = seg__intern_str(&e->locks, (uint32_t)i);
        rc = seg__ds_put_label_codes(ds, c->name[C_LOCKED], names, nl,
                                     c->codes[C_LOCKED]);
    }
    seg__free(names);
    if (!rc)
        c->codes[C_LOCKED] = NULL;
    for (int k = 0; k < C_N && !rc; k++) {
        if (col_label[k])
            continue;
        rc = seg__ds_put_num_column(ds, c->name[k], SEG__ORIGIN_USER,
                                    c->num[k]);
        if (!rc)
            c->num[k] = NULL;
    }
    if (!rc)
        rc = seg_dataset_set_column_kind(ds, c->name[C_FIRES],
                                         SEG_KIND_TIMESTAMP);
    if (!rc)
        rc = seg_dataset_set_column_kind(ds, c->name[C_UNTIL],
                                         SEG_KIND_TIMESTAMP);
    return rc;
}

static int apply(const seg_reclaim *r, seg_dataset *ds, int64_t as_of)
{
    rcl_eval e;
    rcl_cols c = {0};
    int rc = evaluate(r, ds, as_of, &e);
    if (!rc)
        rc = cols_fill(&e, ds, &c);
    if (!rc && (rc = cols_put(&e, ds, &c)) != SEG_OK)
        rc = rc == SEG_ENOMEM ? seg__nomem(&r->err)
                              : seg__error(&r->err, rc, "reclaim: %s",
                                           seg_dataset_errmsg(ds));
    cols_free(&c);
    eval_free(&e);
    return rc;
}

/* The columns are written together or not at all: the dataset's mark
 * undoes a failure after the first. */
int seg_reclaim_apply(const seg_reclaim *r, seg_dataset *ds, int64_t as_of)
{
    if (!r || !ds)
        return seg__error(r ? &r->err : NULL, SEG_EINVAL,
                          "seg_reclaim_apply: NULL argument");
    bool own = !seg__ds_is_marked(ds);
    if (own)
        seg__ds_mark(ds);
    int rc = apply(r, ds, as_of);
    if (own && rc)
        seg__ds_rollback(ds);
    else if (own)
        seg__ds_commit(ds);
    return rc;
}

/* ---- the two lists ---- */

typedef struct row_key {
    const rcl_lead *l;
    const char *owner, *id;
    size_t c;
} row_key;

static int cmp_reclaimed(const void *a, const void *b)
{
    const row_key *x = a, *y = b;
    int o = strcmp(x->owner, y->owner);
    return o ? o : strcmp(x->id, y->id);
}

static int cmp_reminder(const void *a, const void *b)
{
    const row_key *x = a, *y = b;
    if (x->l->left != y->l->left)
        return x->l->left < y->l->left ? -1 : 1;
    return cmp_reclaimed(a, b);
}

static const char *rule_name(const seg_reclaim *r, uint32_t rule)
{
    if (!rule)
        return NULL;
    if (rule <= r->n_rules)
        return r->rules[rule - 1].name;
    return rule == r->n_rules + 1 ? "cap" : "lockout";
}

/* One row: customer_id, owner, rule, the date, then the list's own. */
static int list_row(const rcl_eval *e, seg_table *t, const row_key *k,
                    bool reminder)
{
    const seg__tz *tz = seg__ds_tz(e->ds);
    const rcl_lead *l = k->l;
    size_t row;
    int rc = seg__table_add_row(t, &row);
    if (!rc)
        rc = seg__table_set_text(t, row, 0, k->id);
    if (!rc)
        rc = seg__table_set_text(t, row, 1, k->owner);
    if (!rc)
        rc = seg__table_set_text(t, row, 2, rule_name(e->r, l->rule));
    if (!rc)
        rc = seg__ops_set_time(t, row, 3, tz, l->fires);
    if (!rc && reminder)
        rc = seg__table_set_num(t, row, 4, l->left);
    if (!rc)
        rc = seg__table_set_num(t, row, reminder ? 5 : 4, l->since);
    if (!rc && !reminder && l->lock)
        rc = seg__table_set_text(t, row, 5,
                                 seg__intern_str(&e->locks, l->lock - 1));
    if (!rc && !reminder)
        rc = seg__ops_set_time(t, row, 6, tz, l->until);
    return rc;
}

static int build_list(const rcl_eval *e, bool reminder, seg_table **out)
{
    static const char *const rec_names[] = {
        "customer_id", "owner", "rule", "fired", "days_since_followup",
        "locked_owner", "locked_until"};
    static const char *const rem_names[] = {
        "customer_id", "owner", "rule", "fires", "days_left",
        "days_since_followup"};
    static const int rec_types[] = {
        SEG_COLUMN_LABEL, SEG_COLUMN_LABEL, SEG_COLUMN_LABEL,
        SEG_COLUMN_LABEL, SEG_COLUMN_NUMERIC, SEG_COLUMN_LABEL,
        SEG_COLUMN_LABEL};
    static const int rem_types[] = {
        SEG_COLUMN_LABEL, SEG_COLUMN_LABEL, SEG_COLUMN_LABEL,
        SEG_COLUMN_LABEL, SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC};
    uint8_t want = reminder ? S_REMINDER : S_RECLAIMED;
    size_t m = 0;
    for (size_t c = 0; c < e->n; c++)
        m += e->lead[c].status == want;
    row_key *k = seg__malloc((m ? m : 1) * sizeof *k);
    if (!k)
        return SEG_ENOMEM;
    m = 0;
    for (size_t c = 0; c < e->n; c++)
        if (e->lead[c].status == want)
            k[m++] = (row_key){&e->lead[c], owner_name(e, c),
                               seg__ds_id(e->ds, c), c};
    qsort(k, m, sizeof *k, reminder ? cmp_reminder : cmp_reclaimed);
    seg_table *t = NULL;
    int rc = reminder ? seg__table_new(&t, "reminder_list", 6, rem_names,
                                       rem_types)
                      : seg__table_new(&t, "reclaim_list", 7, rec_names,
                                       rec_types);
    for (size_t i = 0; i < m && !rc; i++)
        rc = list_row(e, t, &k[i], reminder);
    seg__free(k);
    if (rc) {
        seg_table_free(t);
        return rc;
    }
    *out = t;
    return SEG_OK;
}

static int list_table(seg_table **out, const seg_reclaim *r,
                      const seg_dataset *ds, int64_t as_of, bool reminder,
                      const char *fn)
{
    if (out)
        *out = NULL;
    if (!out || !r || !ds)
        return seg__error(r ? &r->err : NULL, SEG_EINVAL, "%s: NULL "
                          "argument", fn);
    rcl_eval e;
    int rc = evaluate(r, ds, as_of, &e);
    if (!rc && build_list(&e, reminder, out))
        rc = seg__nomem(&r->err);
    eval_free(&e);
    return rc;
}

int seg_reclaim_list_table(seg_table **out, const seg_reclaim *r,
                           const seg_dataset *ds, int64_t as_of)
{
    return list_table(out, r, ds, as_of, false, "seg_reclaim_list_table");
}

int seg_reclaim_reminder_table(seg_table **out, const seg_reclaim *r,
                               const seg_dataset *ds, int64_t as_of)
{
    return list_table(out, r, ds, as_of, true, "seg_reclaim_reminder_table");
}
