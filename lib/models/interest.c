/* The interest model (按兴趣分类): per customer, the categories of its
 * purchases and events by a decayed, weighted score; the top ones and
 * their shares, a label, and the category browsed often but never bought
 * (high interest held back, by price or by what the product lacks). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/behaviour.h"

#define MAX_TOP 10

typedef struct weights_ctx {
    const seg_dataset *ds;
    double *w;           /* per event kind of ds, or NULL to only check */
    char unknown[64];    /* a kind the dataset does not have */
    char bad[64];        /* a weight that is no number from 0 to 1e6 */
} weights_ctx;

static int weight_pair(const char *k, size_t kl, const char *v, size_t vl,
                       void *ctx)
{
    weights_ctx *c = ctx;
    double w;
    if (seg__parse_f64(v, vl, &w) != SEG_OK || !(w >= 0 && w <= 1e6)) {
        seg__excerpt(c->bad, sizeof c->bad, v, vl);
        return SEG_ERANGE;
    }
    uint32_t idx;
    if (!seg__ds_kind_find(c->ds, k, kl, &idx)) {
        seg__excerpt(c->unknown, sizeof c->unknown, k, kl);
        return SEG_ENOTFOUND;
    }
    if (c->w)
        c->w[idx] = w;
    return SEG_OK;
}

/* The weights per event kind: a kind the dataset has not is an error,
 * since a typo would otherwise weigh that kind by the default. */
static int read_weights(const seg_model *m, weights_ctx *c)
{
    c->unknown[0] = c->bad[0] = '\0';
    int rc = seg__beh_each_pair(m, "weights", weight_pair, c);
    if (rc == SEG_ERANGE && c->bad[0])
        return seg__model_error(m, rc, "%s: weights: '%s' is not a weight "
                                "(a number from 0 to 1000000)",
                                seg_model_name(m), c->bad);
    if (rc != SEG_ENOTFOUND || !c->unknown[0])
        return rc;
    size_t nk = seg__ds_kind_count(c->ds);
    const char **names = seg__malloc((nk ? nk : 1) * sizeof *names);
    if (!names)
        return seg__model_error(m, SEG_ENOMEM, "out of memory");
    for (size_t i = 0; i < nk; i++)
        names[i] = seg__ds_kind_name(c->ds, i);
    const char *near = seg__nearest(c->unknown, names, nk);
    if (near)
        rc = seg__model_error(m, SEG_ENOTFOUND, "%s: weights: no event kind "
                              "'%s' in the dataset (did you mean '%s'?)",
                              seg_model_name(m), c->unknown, near);
    else
        rc = seg__model_error(m, SEG_ENOTFOUND, "%s: weights: no event kind "
                              "'%s' in the dataset", seg_model_name(m),
                              c->unknown);
    seg__free(names);
    return rc;
}

/* The records of each customer up to as_of that have a category, as
 * index lists: customer c's are ix[start[c] .. start[c + 1]). */
typedef struct by_customer {
    size_t *start;
    uint32_t *ix;
} by_customer;

static int group(by_customer *g, size_t customers, size_t n,
                 const uint32_t *cust, const int64_t *time,
                 const uint32_t *cat, int64_t as_of)
{
    g->start = seg__calloc(customers + 2, sizeof *g->start);
    g->ix = seg__malloc((n ? n : 1) * sizeof *g->ix);
    if (!g->start || !g->ix)
        return SEG_ENOMEM;
    for (size_t i = 0; cat && i < n; i++)
        if (cat[i] && time[i] <= as_of)
            g->start[cust[i] + 2]++;
    for (size_t c = 2; c < customers + 2; c++)
        g->start[c] += g->start[c - 1];
    for (size_t i = 0; cat && i < n; i++)
        if (cat[i] && time[i] <= as_of)
            g->ix[g->start[cust[i] + 1]++] = (uint32_t)i;
    return SEG_OK;
}

static void group_free(by_customer *g)
{
    seg__free(g->start);
    seg__free(g->ix);
}

/* What the score of one customer works in: per category of the dataset,
 * reset through the list of those the customer touched. */
typedef struct work {
    size_t ncat;
    double *score;       /* purchases and events, decayed and weighted */
    double *browse;      /* events alone, decayed and weighted */
    uint32_t *views;     /* events of a kind with a weight above 0 */
    bool *bought;
    uint32_t *touched;
    size_t ntouched;
    uint32_t *rank;      /* the category's place in byte order of names */
} work;

typedef struct named {
    const char *name;
    uint32_t k;
} named;

static int by_name(const void *a, const void *b)
{
    return strcmp(((const named *)a)->name, ((const named *)b)->name);
}

/* The rank of each category's name, for ties: computed once per score. */
static int name_ranks(const seg_dataset *ds, work *w)
{
    named *v = seg__malloc((w->ncat ? w->ncat : 1) * sizeof *v);
    if (!v)
        return SEG_ENOMEM;
    for (size_t k = 0; k < w->ncat; k++)
        v[k] = (named){seg__ds_category_name(ds, k), (uint32_t)k};
    qsort(v, w->ncat, sizeof *v, by_name);
    for (size_t i = 0; i < w->ncat; i++)
        w->rank[v[i].k] = (uint32_t)i;
    seg__free(v);
    return SEG_OK;
}

/* Whether category a comes before b: the higher score, then the name
 * first in byte order. */
static bool before(const work *w, const double *s, uint32_t a, uint32_t b)
{
    return s[a] > s[b] || (s[a] == s[b] && w->rank[a] < w->rank[b]);
}

typedef struct params {
    int64_t as_of;
    double half;         /* seconds */
    double wbuy;
    bool by_amount;
    const double *wkind;
    int top;
    double browse_min, focus;
} params;

/* Note category k as the customer's: every record that touches one
 * leaves it bought or with a view more (a decayed weight may be 0). */
static void touch(work *w, uint32_t k)
{
    if (w->views[k] == 0 && !w->bought[k])
        w->touched[w->ntouched++] = k;
}

/* Accumulate one customer's records into w. */
static void accumulate(work *w, const params *p, const seg__beh_records *r,
                       const by_customer *gt, const by_customer *ge,
                       size_t c)
{
    for (size_t j = gt->start[c]; j < gt->start[c + 1]; j++) {
        uint32_t i = gt->ix[j];
        double a = r->tx.amount[i];
        if (!(a > 0))
            continue; /* a return is no purchase */
        uint32_t k = r->tx.category[i] - 1;
        touch(w, k);
        double d = exp2(-(double)(p->as_of - r->tx.time[i]) / p->half);
        w->score[k] += p->wbuy * (p->by_amount ? a : 1) * d;
        w->bought[k] = true;
    }
    for (size_t j = ge->start[c]; j < ge->start[c + 1]; j++) {
        uint32_t i = ge->ix[j];
        double wk = p->wkind[r->ev.kind[i]];
        if (!(wk > 0))
            continue;
        uint32_t k = r->ev.category[i] - 1;
        touch(w, k);
        double d = wk * exp2(-(double)(p->as_of - r->ev.time[i]) / p->half);
        w->score[k] += d;
        w->browse[k] += d;
        w->views[k]++;
    }
}

/* The outputs of a score, per customer. */
typedef struct outputs {
    double *total, *share[MAX_TOP], *nbnb;
    const char **top, **label, **bnb, **topn;
    size_t *topn_at;     /* where customer c's list is in text, or SIZE_MAX */
    seg__buf text;
} outputs;

/* Customer c's outputs from w, which is then reset. */
static int conclude(const seg_dataset *ds, work *w, const params *p,
                    outputs *o, size_t c, const char *mixed)
{
    double total = 0;
    for (size_t i = 0; i < w->ntouched; i++)
        total += w->score[w->touched[i]];
    o->total[c] = total;
    /* the top categories by selection: top is at most MAX_TOP */
    uint32_t pick[MAX_TOP];
    int np = 0;
    for (; np < p->top; np++) {
        bool any = false;
        uint32_t best = 0;
        for (size_t i = 0; i < w->ntouched; i++) {
            uint32_t k = w->touched[i];
            bool taken = false;
            for (int q = 0; q < np && !taken; q++)
                taken = pick[q] == k;
            if (taken || !(w->score[k] > 0))
                continue;
            if (!any || before(w, w->score, k, best))
                best = k, any = true;
        }
        if (!any)
            break;
        pick[np] = best;
    }
    for (int q = 0; q < p->top; q++)
        o->share[q][c] = q < np ? w->score[pick[q]] / total : NAN;
    if (np) {
        o->top[c] = seg__ds_category_name(ds, pick[0]);
        o->label[c] = o->share[0][c] >= p->focus ? o->top[c] : mixed;
        o->topn_at[c] = o->text.len;
        for (int q = 0; q < np; q++) {
            const char *nm = seg__ds_category_name(ds, pick[q]);
            if ((q && seg__buf_append(&o->text, "|", 1)) ||
                seg__buf_append(&o->text, nm, strlen(nm)))
                return SEG_ENOMEM;
        }
        if (seg__buf_append(&o->text, "", 1))
            return SEG_ENOMEM;
    }
    bool any = false;
    uint32_t best = 0;
    double n = 0;
    for (size_t i = 0; i < w->ntouched; i++) {
        uint32_t k = w->touched[i];
        if (w->bought[k] || w->views[k] < p->browse_min)
            continue;
        n++;
        if (!any || before(w, w->browse, k, best))
            best = k, any = true;
    }
    o->nbnb[c] = n;
    if (any)
        o->bnb[c] = seg__ds_category_name(ds, best);
    for (size_t i = 0; i < w->ntouched; i++) {
        uint32_t k = w->touched[i];
        w->score[k] = w->browse[k] = 0;
        w->views[k] = 0;
        w->bought[k] = false;
    }
    w->ntouched = 0;
    return SEG_OK;
}

static void outputs_free(outputs *o, int top)
{
    seg__free(o->total);
    seg__free(o->nbnb);
    for (int q = 0; q < top; q++)
        seg__free(o->share[q]);
    seg__free(o->top);
    seg__free(o->label);
    seg__free(o->bnb);
    seg__free(o->topn);
    seg__free(o->topn_at);
    seg__buf_free(&o->text);
}

static int outputs_alloc(outputs *o, size_t n, int top)
{
    memset(o, 0, sizeof *o);
    size_t m = n ? n : 1;
    bool ok = (o->total = seg__malloc(m * sizeof *o->total)) &&
              (o->nbnb = seg__malloc(m * sizeof *o->nbnb)) &&
              (o->top = seg__calloc(m, sizeof *o->top)) &&
              (o->label = seg__calloc(m, sizeof *o->label)) &&
              (o->bnb = seg__calloc(m, sizeof *o->bnb)) &&
              (o->topn = seg__calloc(m, sizeof *o->topn)) &&
              (o->topn_at = seg__malloc(m * sizeof *o->topn_at));
    for (int q = 0; ok && q < top; q++)
        ok = (o->share[q] = seg__malloc(m * sizeof *o->share[q])) != NULL;
    for (size_t c = 0; ok && c < n; c++)
        o->topn_at[c] = SIZE_MAX;
    return ok ? SEG_OK : SEG_ENOMEM;
}

/* The analysis date: the as_of parameter, else the one of the dataset's
 * features, else its latest record. */
static int interest_as_of(const seg_model *m, const seg_dataset *ds,
                          int64_t *out)
{
    if (*seg__param_str(m, "as_of") == '\0' &&
        seg__ds_features_end(ds) != SEG_TIME_NONE) {
        *out = seg__ds_features_end(ds);
        return SEG_OK;
    }
    return seg__beh_as_of(m, ds, out);
}

static int write_outputs(const seg_model *m, seg_dataset *ds,
                         const char *prefix, outputs *o, size_t n, int top)
{
    for (size_t c = 0; c < n; c++)
        o->topn[c] = o->topn_at[c] == SIZE_MAX ? NULL
                                                : o->text.data + o->topn_at[c];
    char names[MAX_TOP + 1][16];
    seg__out outs[MAX_TOP + 7];
    size_t k = 0;
    outs[k++] = (seg__out){"top", NULL, NULL, o->top};
    snprintf(names[0], sizeof names[0], "top%d", top);
    outs[k++] = (seg__out){names[0], NULL, NULL, o->topn};
    for (int q = 0; q < top; q++) {
        snprintf(names[q + 1], sizeof names[q + 1], "share%d", q + 1);
        outs[k++] = (seg__out){names[q + 1], o->share[q], NULL, NULL};
    }
    outs[k++] = (seg__out){"score", o->total, NULL, NULL};
    outs[k++] = (seg__out){"label", NULL, NULL, o->label};
    outs[k++] = (seg__out){"browsed_not_bought", NULL, NULL, o->bnb};
    outs[k++] = (seg__out){"browsed_not_bought_count", o->nbnb, NULL, NULL};
    return seg__model_put_all(m, ds, prefix, outs, k);
}

static int interest_score(void *state, const seg_model *m, seg_dataset *ds,
                          const char *prefix, void *ud)
{
    (void)state;
    (void)ud;
    seg__beh_records r;
    int rc = seg__beh_records_of(m, ds, &r);
    if (!rc)
        rc = interest_as_of(m, ds, &r.as_of);
    if (rc)
        return rc;
    size_t n = r.customers, nk = r.kinds;
    params p = {r.as_of, seg__param_num(m, "half_life_days") * SEG__DAY,
                seg__param_num(m, "purchase_weight"),
                strcmp(seg__param_str(m, "purchase_basis"), "amount") == 0,
                NULL, (int)seg__param_num(m, "top"),
                seg__param_num(m, "browse_min"),
                seg__param_num(m, "focus_share")};
    work w = {seg__ds_category_count(ds), NULL, NULL, NULL, NULL, NULL, 0,
              NULL};
    size_t nc = w.ncat ? w.ncat : 1;
    double *wk = seg__malloc((nk ? nk : 1) * sizeof *wk);
    by_customer gt = {NULL, NULL}, ge = {NULL, NULL};
    outputs o;
    rc = outputs_alloc(&o, n, p.top);
    w.score = seg__calloc(nc, sizeof *w.score);
    w.browse = seg__calloc(nc, sizeof *w.browse);
    w.views = seg__calloc(nc, sizeof *w.views);
    w.bought = seg__calloc(nc, sizeof *w.bought);
    w.touched = seg__malloc(nc * sizeof *w.touched);
    w.rank = seg__malloc(nc * sizeof *w.rank);
    if (rc || !wk || !w.score || !w.browse || !w.views || !w.bought ||
        !w.touched || !w.rank ||
        group(&gt, n, r.tx.n, r.tx.cust, r.tx.time, r.tx.category, r.as_of) ||
        group(&ge, n, r.ev.n, r.ev.cust, r.ev.time, r.ev.category, r.as_of) ||
        name_ranks(ds, &w))
        rc = seg__model_error(m, SEG_ENOMEM, "out of memory");
    if (!rc) {
        double wdef = seg__param_num(m, "default_weight");
        for (size_t k = 0; k < nk; k++)
            wk[k] = wdef;
        weights_ctx c = {ds, wk, "", ""};
        rc = read_weights(m, &c);
        p.wkind = wk;
    }
    const char *mixed = seg__param_str(m, "mixed_label");
    seg__progress *prog = seg__progress_current();
    for (size_t c = 0; c < n && !rc; c++) {
        if ((rc = seg__progress_at(prog, c)) != SEG_OK)
            break;
        accumulate(&w, &p, &r, &gt, &ge, c);
        if (conclude(ds, &w, &p, &o, c, mixed))
            rc = seg__model_error(m, SEG_ENOMEM, "out of memory");
    }
    if (!rc)
        rc = write_outputs(m, ds, prefix, &o, n, p.top);
    outputs_free(&o, p.top);
    group_free(&gt);
    group_free(&ge);
    seg__free(wk);
    seg__free(w.score);
    seg__free(w.browse);
    seg__free(w.views);
    seg__free(w.bought);
    seg__free(w.touched);
    seg__free(w.rank);
    return rc;
}

static int interest_check(void *state, seg_model *m, const seg_dataset *ds,
                          void *ud)
{
    (void)state;
    (void)ud;
    int64_t t;
    int rc = interest_as_of(m, ds, &t);
    if (!rc && seg__ds_category_count(ds) == 0)
        rc = seg__model_error(m, SEG_EINVAL, "%s: no transaction or event "
                              "has a category (load them with a category "
                              "column: --map category=COLUMN)",
                              seg_model_name(m));
    if (!rc && !*seg__param_str(m, "mixed_label"))
        rc = seg__model_error(m, SEG_EINVAL, "%s: mixed_label is empty",
                              seg_model_name(m));
    if (!rc) {
        weights_ctx c = {ds, NULL, "", ""};
        rc = read_weights(m, &c);
    }
    return rc;
}

#define STR(n, d, def, ch) {sizeof(seg_param_def), n, SEG_PARAM_STR, d, 0, 0, 0, def, ch}
#define NUM(n, t, d, lo, hi, def) {sizeof(seg_param_def), n, t, d, lo, hi, def, NULL, NULL}

static const seg_param_def interest_params[] = {
    NUM("purchase_weight", SEG_PARAM_F64, "weight of a purchase (per "
        "purchase, or per unit of amount: purchase_basis)", 0, 1e6, 3),
    STR("purchase_basis", "a purchase weighs per purchase (count) or per "
        "unit of its amount", "count", "count|amount"),
    STR("weights", "weight per event kind: KIND=W,KIND=W (kinds of the "
        "dataset)", "", NULL),
    NUM("default_weight", SEG_PARAM_F64, "weight of event kinds not named",
        0, 1e6, 1),
    NUM("half_life_days", SEG_PARAM_F64, "days after which a record counts "
        "half", 0.001, 1e6, 30),
    NUM("top", SEG_PARAM_INT, "how many top categories (columns topN, "
        "share1 .. shareN)", 1, MAX_TOP, 3),
    NUM("browse_min", SEG_PARAM_INT, "browsed often: at least this many "
        "weighted events of a category never bought", 1, 1e6, 3),
    NUM("focus_share", SEG_PARAM_F64, "label: the top category when its "
        "share is at least this, else mixed_label", 0, 1, 0.5),
    STR("mixed_label", "the label of a customer without a dominant "
        "category", "mixed", NULL),
    STR("as_of", "the time scores are taken at; empty: the features' "
        "analysis date, else the latest record", "", NULL),
};

#undef STR
#undef NUM

const seg_model_class seg__interest_class = {
    sizeof(seg_model_class), "interest",
    "top categories by decayed, weighted purchases and events; browsed "
    "but not bought",
    interest_params, sizeof interest_params / sizeof *interest_params,
    sizeof(seg_param_def), seg__beh_create, seg__beh_destroy, interest_check,
    interest_score, NULL, NULL, NULL, NULL, NULL, NULL};
