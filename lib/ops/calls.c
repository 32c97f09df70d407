/* The call list: today's telemarketing queue from a tier rule set. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output/internal.h"
#include "rules/internal.h"

void seg_call_list_options_init(seg_call_list_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->tier_column = "tier";
    o->contact_kind = "call";
    o->as_of = SEG_TIME_NONE;
}

typedef struct cand {
    size_t row;
    double priority, value, last;
    const char *tier;
} cand;

static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    bool xn = isnan(x->value), yn = isnan(y->value);
    if (xn != yn)
        return xn ? 1 : -1;
    if (!xn && x->value != y->value)
        return x->value > y->value ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* The feature column of the contact kind's last event, NULL when the
 * dataset has no such events (no one was contacted). Reading the column
 * that seg_dataset_compute_features() writes keeps one definition of "up
 * to the end of observation" and spares a scan of every event. */
static int last_contacts(const seg_rules *r, const seg_dataset *ds,
                         const char *kind, const seg__column **out)
{
    *out = NULL;
    uint32_t k;
    if (!kind || !seg__ds_kind_find(ds, kind, strlen(kind), &k))
        return SEG_OK;
    seg__buf name = {NULL, 0, 0};
    if (seg__buf_append(&name, "events.", 7) ||
        seg__buf_append(&name, kind, strlen(kind)) ||
        seg__buf_append(&name, ".last", 6)) { /* with the NUL */
        seg__buf_free(&name);
        return seg__nomem(&r->err);
    }
    const seg__column *c = seg__ds_find_column(ds, name.data);
    int rc = SEG_OK;
    if (!c || c->type != SEG_COLUMN_NUMERIC)
        rc = seg__error(&r->err, SEG_ENOTFOUND, "the dataset has '%s' events "
                        "but no numeric column '%s' of their last times: "
                        "compute features first "
                        "(seg_dataset_compute_features())", kind, name.data);
    seg__buf_free(&name);
    *out = c;
    return rc;
}

/* The columns a call list reads, checked. */
typedef struct inputs {
    const seg__column *tier, *value, *excl, *contacts;
    int64_t as_of;
} inputs;

/* Whether a and b are equal with ASCII letters in either case (strcasecmp
 * follows the locale). */
static int ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int x = (unsigned char)*a, y = (unsigned char)*b;
        x += x >= 'A' && x <= 'Z' ? 32 : 0;
        y += y >= 'A' && y <= 'Z' ? 32 : 0;
        if (x != y || !x)
            return x - y;
    }
}

/* What a do-not-call label says: 1 yes, 0 no, -1 neither. ASCII words
 * in any case; an empty label says no. */
static int yes_no(const char *s)
{
    static const char *const yes[] = {"yes", "true", "1", "是"};
    static const char *const no[] = {"no", "false", "0", "否", ""};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (ascii_casecmp(s, yes[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (ascii_casecmp(s, no[i]) == 0)
            return 0;
    return -1;
}

/* Every label of a label exclude column must say yes or no. */
static int check_exclude(const seg_rules *r, const seg__column *c)
{
    if (c->type != SEG_COLUMN_LABEL)
        return SEG_OK;
    for (size_t i = 0; i < c->labels.n; i++) {
        const char *s = seg__intern_str(&c->labels, (uint32_t)i);
        if (yes_no(s) < 0) {
            char ex[64], col[64];
            seg__excerpt(ex, sizeof ex, s, strlen(s));
            seg__excerpt(col, sizeof col, c->name, strlen(c->name));
            return seg__error(&r->err, SEG_ETYPE, "the exclude column '%s' "
                              "has the label '%s': a label there is yes/no, "
                              "true/false, 是/否 or 1/0 (or a number, 0 for "
                              "no)", col, ex);
        }
    }
    return SEG_OK;
}

static int check_inputs(const seg_rules *r, const seg_dataset *ds,
                        const seg_call_list_options *o, inputs *in)
{
    if (r->score)
        return seg__error(&r->err, SEG_EMISUSE, "a call list needs a tier "
                          "rule set, not a score rule set");
    in->tier = o->tier_column ? seg__ds_find_column(ds, o->tier_column) : NULL;
    in->value = o->value_column ? seg__ds_find_column(ds, o->value_column)
                                : NULL;
    in->excl = o->exclude_column ? seg__ds_find_column(ds, o->exclude_column)
                                 : NULL;
    if (!in->tier || in->tier->type != SEG_COLUMN_LABEL)
        return seg__error(&r->err, SEG_ENOTFOUND, "no tier column '%s': "
                          "apply the rules first",
                          o->tier_column ? o->tier_column : "");
    if (o->value_column &&
        (!in->value || in->value->type != SEG_COLUMN_NUMERIC))
        return seg__error(&r->err, SEG_ENOTFOUND, "no numeric column '%s'",
                          o->value_column);
    if (o->exclude_column && !in->excl)
        return seg__error(&r->err, SEG_ENOTFOUND, "no column '%s'",
                          o->exclude_column);
    int rc = in->excl ? check_exclude(r, in->excl) : SEG_OK;
    if (rc)
        return rc;
    in->as_of = o->as_of == SEG_TIME_NONE ? seg__ds_max_time(ds) : o->as_of;
    return last_contacts(r, ds, o->contact_kind, &in->contacts);
}

static bool excluded(const seg__column *excl, size_t i)
{
    if (!excl)
        return false;
    if (excl->type == SEG_COLUMN_NUMERIC) {
        double v = seg__column_num(excl, i);
        return v != 0 && !isnan(v);
    }
    const char *s = seg__column_label(excl, i);
    return s && yes_no(s) == 1;
}

/* The customers due a call, unsorted; returns how many. */
static size_t candidates(const seg_rules *r, const seg_dataset *ds,
                         const inputs *in, cand *c)
{
    size_t n = seg__ds_n(ds), k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *t = seg__column_label(in->tier, i);
        if (!t)
            continue;
        const rule *u = NULL;
        for (size_t j = 0; j < r->nrules && !u; j++)
            if (strcmp(r->rules[j].label, t) == 0)
                u = &r->rules[j];
        if (!u || u->priority == 0 || excluded(in->excl, i))
            continue;
        /* a contact after the list's day is not known on that day */
        double last = in->contacts ? seg__column_num(in->contacts, i) : NAN;
        if (!(last <= (double)in->as_of))
            last = NAN;
        if (u->cadence > 0 && !isnan(last) &&
            ((double)in->as_of - last) < u->cadence * 86400)
            continue;
        c[k].row = i;
        c[k].priority = u->priority;
        c[k].value = in->value ? seg__column_num(in->value, i) : NAN;
        c[k].last = last;
        c[k].tier = t;
        k++;
    }
    return k;
}

enum { C_RANK, C_ID, C_TIER, C_PRIORITY, C_VALUE, C_LAST, C_NCOLS };

static int fill(seg_table *t, const seg_dataset *ds, const cand *c, size_t k)
{
    int rc = SEG_OK;
    for (size_t i = 0; i < k && !rc; i++) {
        size_t at;
        char when[SEG__ISO_MAX] = "";
        /* in the dataset's zone, as the input's times were; a contact at
         * local midnight (a date in the input) as that date */
        if (!isnan(c[i].last) &&
            seg__time_format_in(seg__ds_tz(ds), when, (int64_t)c[i].last) &&
            strncmp(when + 10, "T00:00:00", 9) == 0 &&
            (when[19] == 'Z' || when[19] == '+' || when[19] == '-'))
            when[10] = '\0';
        rc = seg__table_add_row(t, &at);
        if (!rc)
            rc = seg__table_set_num(t, at, C_RANK, (double)(i + 1));
        if (!rc)
            rc = seg__table_set_text(t, at, C_ID, seg__ds_id(ds, c[i].row));
        if (!rc)
            rc = seg__table_set_text(t, at, C_TIER, c[i].tier);
        if (!rc)
            rc = seg__table_set_num(t, at, C_PRIORITY, c[i].priority);
        if (!rc)
            rc = seg__table_set_num(t, at, C_VALUE, c[i].value);
        if (!rc && *when)
            rc = seg__table_set_text(t, at, C_LAST, when);
    }
    return rc;
}

int seg_call_list_table(seg_table **out, const seg_rules *r,
                        const seg_dataset *ds,
                        const seg_call_list_options *opts)
{
    if (out)
        *out = NULL;
    if (!out || !r || !ds)
        return seg__error(r ? &r->err : NULL, SEG_EINVAL,
                          "seg_call_list_table: NULL argument");
    seg_call_list_options o;
    seg_call_list_options_init(&o);
    if (opts && seg__copy_opts(&o, sizeof o, opts))
        return seg__error(&r->err, SEG_EINVAL, "seg_call_list_options.size "
                          "is 0");
    inputs in = {NULL, NULL, NULL, NULL, 0};
    int rc = check_inputs(r, ds, &o, &in);
    if (rc)
        return rc;
    size_t n = seg__ds_n(ds);
    cand *c = seg__malloc((n ? n : 1) * sizeof *c);
    if (!c)
        return seg__nomem(&r->err);
    size_t k = candidates(r, ds, &in, c);
    qsort(c, k, sizeof *c, cmp_cand);
    if (o.capacity && k > o.capacity)
        k = o.capacity;
    static const char *const names[C_NCOLS] = {
        "rank", "customer_id", "tier", "priority", "value", "last_contact"};
    static const int types[C_NCOLS] = {
        SEG_COLUMN_NUMERIC, SEG_COLUMN_LABEL,   SEG_COLUMN_LABEL,
        SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC, SEG_COLUMN_LABEL};
    seg_table *t = NULL;
    rc = seg__table_new(&t, "call_list", C_NCOLS, names, types);
    if (!rc)
        rc = fill(t, ds, c, k);
    seg__free(c);
    if (rc) {
        seg_table_free(t);
        return seg__nomem(&r->err);
    }
    *out = t;
    return SEG_OK;
}

int seg_rules_call_list(const seg_rules *r, const seg_dataset *ds,
                        const seg_call_list_options *opts, seg_write_fn write,
                        void *user_data)
{
    if (!r || !ds || !write)
        return seg__error(r ? &r->err : NULL, SEG_EINVAL,
                          "seg_rules_call_list: NULL argument");
    seg_table *t;
    int rc = seg_call_list_table(&t, r, ds, opts);
    if (rc)
        return rc;
    seg__writer w;
    seg__w_init(&w, SEG_FORMAT_CSV, write, user_data);
    seg__table_write(&w, t);
    seg_table_free(t);
    return seg__w_finish(&w, &r->err);
}
