/* The call list: today's telemarketing queue from a tier rule set. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int seg_rules_call_list(const seg_rules *r, const seg_dataset *ds,
                        const seg_call_list_options *opts, seg_write_fn write,
                        void *user_data)
{
    if (!r || !ds || !write)
        return seg__error(r ? &r->err : NULL, SEG_EINVAL,
                          "seg_rules_call_list: NULL argument");
    if (r->score)
        return seg__error(&r->err, SEG_EMISUSE, "a call list needs a tier "
                          "rule set, not a score rule set");
    seg_call_list_options o;
    seg_call_list_options_init(&o);
    if (opts && seg__copy_opts(&o, sizeof o, opts))
        return seg__error(&r->err, SEG_EINVAL, "seg_call_list_options.size "
                          "is 0");
    const seg__column *tier = o.tier_column
                                  ? seg__ds_find_column(ds, o.tier_column)
                                  : NULL;
    const seg__column *value = o.value_column
                                   ? seg__ds_find_column(ds, o.value_column)
                                   : NULL;
    const seg__column *excl = o.exclude_column
                                  ? seg__ds_find_column(ds, o.exclude_column)
                                  : NULL;
    if (!tier || tier->type != SEG_COLUMN_LABEL)
        return seg__error(&r->err, SEG_ENOTFOUND, "no tier column '%s': "
                          "apply the rules first", o.tier_column ? o.tier_column : "");
    if (o.value_column && (!value || value->type != SEG_COLUMN_NUMERIC))
        return seg__error(&r->err, SEG_ENOTFOUND, "no numeric column '%s'",
                          o.value_column);
    if (o.exclude_column && !excl)
        return seg__error(&r->err, SEG_ENOTFOUND, "no column '%s'",
                          o.exclude_column);
    const seg__column *contacts = NULL;
    int rc = last_contacts(r, ds, o.contact_kind, &contacts);
    if (rc)
        return rc;
    int64_t as_of = o.as_of == SEG_TIME_NONE
                        ? seg__ds_max_time(ds)
                        : o.as_of;
    size_t n = seg__ds_n(ds);
    double *last = seg__malloc((n ? n : 1) * sizeof *last);
    cand *c = seg__malloc((n ? n : 1) * sizeof *c);
    if (!last || !c) {
        seg__free(last);
        seg__free(c);
        return seg__nomem(&r->err);
    }
    for (size_t i = 0; i < n; i++)
        last[i] = NAN;
    for (size_t i = 0; i < n && contacts; i++) {
        double t = seg__column_num(contacts, i);
        last[i] = t <= (double)as_of ? t : NAN;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *t = seg__column_label(tier, i);
        if (!t)
            continue;
        const rule *u = NULL;
        for (size_t j = 0; j < r->nrules && !u; j++)
            if (strcmp(r->rules[j].label, t) == 0)
                u = &r->rules[j];
        if (!u || u->priority == 0)
            continue;
        if (excl) {
            bool excluded = excl->type == SEG_COLUMN_NUMERIC
                           ? seg__column_num(excl, i) != 0 &&
                                 !isnan(seg__column_num(excl, i))
                           : seg__column_label(excl, i) &&
                                 *seg__column_label(excl, i);
            if (excluded)
                continue;
        }
        if (u->cadence > 0 && !isnan(last[i]) &&
            ((double)as_of - last[i]) < u->cadence * 86400)
            continue;
        c[k].row = i;
        c[k].priority = u->priority;
        c[k].value = value ? seg__column_num(value, i) : NAN;
        c[k].last = last[i];
        c[k].tier = t;
        k++;
    }
    qsort(c, k, sizeof *c, cmp_cand);
    if (o.capacity && k > o.capacity)
        k = o.capacity;
    seg__buf b = {NULL, 0, 0};
    static const char header[] = "rank,customer_id,tier,priority,value,"
                                 "last_contact\n";
    rc = seg__buf_append(&b, header, sizeof header - 1) ? SEG_ENOMEM
                                                            : SEG_OK;
    for (size_t i = 0; i < k && !rc; i++) {
        char head[64], tail[128], v[40] = "", when[32] = "";
        if (!isnan(c[i].value))
            seg__format_f64(v, c[i].value);
        if (!isnan(c[i].last))
            seg_time_format_iso(when, sizeof when, (int64_t)c[i].last);
        int hn = snprintf(head, sizeof head, "%zu,", i + 1);
        int tn = snprintf(tail, sizeof tail, ",%g,%s,%s\n", c[i].priority, v,
                          when);
        if (seg__buf_append(&b, head, (size_t)hn) ||
            seg__csv_field(&b, seg__ds_id(ds, c[i].row)) ||
            seg__buf_append(&b, ",", 1) || seg__csv_field(&b, c[i].tier) ||
            seg__buf_append(&b, tail, (size_t)tn))
            rc = SEG_ENOMEM;
    }
    if (rc)
        rc = seg__nomem(&r->err);
    else if (write(b.data, b.len, user_data) != 0)
        rc = seg__error(&r->err, SEG_EIO, "call list: the writer stopped");
    seg__buf_free(&b);
    seg__free(last);
    seg__free(c);
    return rc;
}
