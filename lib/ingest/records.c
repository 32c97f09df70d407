/* Records and attributes a host passes in arrays (or one at a time): the
 * same checks and messages as a loaded file, through the sink, and the
 * same all-or-nothing. */
#include <math.h>
#include <string.h>

#include "ingest/internal.h"

/* A call of n values: messages name the index when there are several,
 * and progress is reported for several. */
typedef struct call {
    seg__sink s;
    seg__progress p;
} call;

static int begin_call(call *c, seg_dataset *ds, size_t n)
{
    seg__sink_begin(&c->s, ds, NULL);
    c->s.indexed = n > 1;
    if (n > 1)
        return seg__ds_progress_begin(&c->p, ds, NULL, SEG_STAGE_RECORDS, n);
    return seg__progress_begin(&c->p, NULL, NULL, NULL, 0, 0);
}

static int end_call(call *c, int rc)
{
    seg__progress_end(&c->p);
    return seg__sink_end(&c->s, rc);
}

/* the customer of value i: where a call reports its progress */
static int customer(call *c, size_t i, const char *id, uint32_t *row)
{
    int rc = seg__progress_at(&c->p, i);
    if (rc)
        return rc;
    if (!id)
        return seg__sink_fail(&c->s, SEG_EINVAL, i, 0, "customer id is NULL");
    return seg__sink_customer(&c->s, i, id, strlen(id), row);
}

int seg_dataset_add_customer(seg_dataset *ds, const char *id, size_t *row)
{
    if (!ds || !id)
        return seg__error(ds ? &ds->err : NULL, SEG_EINVAL,
                          "seg_dataset_add_customer: NULL argument");
    call c;
    begin_call(&c, ds, 1);
    uint32_t r;
    int rc = end_call(&c, customer(&c, 0, id, &r));
    if (rc == SEG_OK && row)
        *row = r;
    return rc;
}

/* The category of value i, when the call passed categories. */
static int category(call *c, size_t i, bool tx, const char *const *cats)
{
    if (!cats || !cats[i])
        return SEG_OK;
    return seg__sink_category(&c->s, i, tx, cats[i], strlen(cats[i]));
}

static int add_transactions(seg_dataset *ds, const char *fn,
                            const char *const *ids, const int64_t *times,
                            const double *amounts, const char *const *cats,
                            size_t n)
{
    if (!ds || (n && (!ids || !times || !amounts)))
        return seg__error(ds ? &ds->err : NULL, SEG_EINVAL,
                          "%s: NULL argument", fn);
    call c;
    int rc = begin_call(&c, ds, n);
    if (!rc && n)
        rc = seg__ds_reserve_tx(ds, n);
    for (size_t i = 0; i < n && !rc; i++) {
        uint32_t row;
        rc = customer(&c, i, ids[i], &row);
        if (!rc)
            rc = seg__sink_tx(&c.s, i, row, times[i], amounts[i]);
        if (!rc)
            rc = category(&c, i, true, cats);
    }
    return end_call(&c, rc);
}

int seg_dataset_add_transaction(seg_dataset *ds, const char *id,
                                int64_t time, double amount)
{
    return seg_dataset_add_transactions(ds, &id, &time, &amount, 1);
}

int seg_dataset_add_transactions(seg_dataset *ds, const char *const *ids,
                                 const int64_t *times, const double *amounts,
                                 size_t n)
{
    return add_transactions(ds, "seg_dataset_add_transactions", ids, times,
                            amounts, NULL, n);
}

int seg_dataset_add_transaction_cat(seg_dataset *ds, const char *id,
                                    int64_t time, double amount,
                                    const char *category)
{
    return add_transactions(ds, "seg_dataset_add_transaction_cat", &id,
                            &time, &amount, &category, 1);
}

int seg_dataset_add_transactions_cat(seg_dataset *ds, const char *const *ids,
                                     const int64_t *times,
                                     const double *amounts,
                                     const char *const *categories, size_t n)
{
    return add_transactions(ds, "seg_dataset_add_transactions_cat", ids,
                            times, amounts, categories, n);
}

static int add_events(seg_dataset *ds, const char *fn, const char *const *ids,
                      const int64_t *times, const char *const *kinds,
                      const double *values, const char *const *cats, size_t n)
{
    if (!ds || (n && (!ids || !times || !kinds)))
        return seg__error(ds ? &ds->err : NULL, SEG_EINVAL,
                          "%s: NULL argument", fn);
    call c;
    int rc = begin_call(&c, ds, n);
    if (!rc && n)
        rc = seg__ds_reserve_ev(ds, n);
    for (size_t i = 0; i < n && !rc; i++) {
        uint32_t row;
        if (!ids[i] || !kinds[i])
            rc = seg__sink_fail(&c.s, SEG_EINVAL, i, 0,
                                "customer id or kind is NULL");
        else
            rc = customer(&c, i, ids[i], &row);
        if (!rc)
            rc = seg__sink_event(&c.s, i, row, times[i], kinds[i],
                                 strlen(kinds[i]), values ? values[i] : NAN);
        if (!rc)
            rc = category(&c, i, false, cats);
    }
    return end_call(&c, rc);
}

int seg_dataset_add_event(seg_dataset *ds, const char *id, int64_t time,
                          const char *kind, double value)
{
    return seg_dataset_add_events(ds, &id, &time, &kind, &value, 1);
}

int seg_dataset_add_events(seg_dataset *ds, const char *const *ids,
                           const int64_t *times, const char *const *kinds,
                           const double *values, size_t n)
{
    return add_events(ds, "seg_dataset_add_events", ids, times, kinds, values,
                      NULL, n);
}

int seg_dataset_add_event_cat(seg_dataset *ds, const char *id, int64_t time,
                              const char *kind, double value,
                              const char *category)
{
    return add_events(ds, "seg_dataset_add_event_cat", &id, &time, &kind,
                      &value, &category, 1);
}

int seg_dataset_add_events_cat(seg_dataset *ds, const char *const *ids,
                               const int64_t *times, const char *const *kinds,
                               const double *values,
                               const char *const *categories, size_t n)
{
    return add_events(ds, "seg_dataset_add_events_cat", ids, times, kinds,
                      values, categories, n);
}

/* One column's values for customers by id: nums or strs (NULL = missing). */
static int set_attributes(seg_dataset *ds, const char *fn, const char *name,
                          const char *const *ids, int type, const double *nums,
                          const char *const *strs, size_t n)
{
    const void *values = type == SEG_COLUMN_NUMERIC ? (const void *)nums
                                                    : (const void *)strs;
    if (!ds || !name || (n && (!ids || !values)))
        return seg__error(ds ? &ds->err : NULL, SEG_EINVAL,
                          "%s: NULL argument", fn);
    call k;
    int rc = begin_call(&k, ds, n);
    seg__column *c = NULL;
    if (!rc)
        rc = seg__sink_attr_column(&k.s, name, type, n > 0, &c);
    for (size_t i = 0; i < n && !rc; i++) {
        uint32_t row;
        rc = customer(&k, i, ids[i], &row);
        if (!rc && type == SEG_COLUMN_NUMERIC)
            rc = seg__sink_attr_num(&k.s, c, row, nums[i]);
        else if (!rc)
            rc = seg__sink_attr_label(&k.s, i, c, row, strs[i]);
    }
    return end_call(&k, rc);
}

int seg_dataset_set_attribute_f64(seg_dataset *ds, const char *id,
                                  const char *name, double value)
{
    if (!id)
        return seg__error(ds ? &ds->err : NULL, SEG_EINVAL,
                          "seg_dataset_set_attribute: NULL argument");
    return set_attributes(ds, "seg_dataset_set_attribute", name, &id,
                          SEG_COLUMN_NUMERIC, &value, NULL, 1);
}

int seg_dataset_set_attribute_str(seg_dataset *ds, const char *id,
                                  const char *name, const char *value)
{
    if (!id)
        return seg__error(ds ? &ds->err : NULL, SEG_EINVAL,
                          "seg_dataset_set_attribute: NULL argument");
    return set_attributes(ds, "seg_dataset_set_attribute", name, &id,
                          SEG_COLUMN_LABEL, NULL, &value, 1);
}

int seg_dataset_set_attributes_f64(seg_dataset *ds, const char *name,
                                   const char *const *ids,
                                   const double *values, size_t n)
{
    return set_attributes(ds, "seg_dataset_set_attributes_f64", name, ids,
                          SEG_COLUMN_NUMERIC, values, NULL, n);
}

int seg_dataset_set_attributes_str(seg_dataset *ds, const char *name,
                                   const char *const *ids,
                                   const char *const *values, size_t n)
{
    return set_attributes(ds, "seg_dataset_set_attributes_str", name, ids,
                          SEG_COLUMN_LABEL, NULL, values, n);
}
