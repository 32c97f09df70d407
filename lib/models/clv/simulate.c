/* Customers and their transactions drawn from a purchase model and the
 * Gamma-Gamma spend model, by the models' own stories: each customer's
 * rates from the mixing distributions, then purchases and a dropout from
 * them. Every customer has a generator of its own, seeded from the seed
 * and the customer's number, so that the draws of one customer depend on
 * nothing else. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "models/clv/internal.h"
#include "models/kmeans.h"
#include "output/internal.h"

/* A number in (0, 1). */
static double unit(uint64_t *s)
{
    double u;
    do
        u = seg__km_next_unit(s);
    while (u == 0);
    return u;
}

static double rexp(uint64_t *s) { return -log(unit(s)); }

static double rnorm(uint64_t *s)
{
    double u = unit(s), v = unit(s);
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

/* Gamma(shape, 1) (Marsaglia and Tsang 2000); below shape 1 by their
 * boost G(a) = G(a + 1) U^(1/a). */
static double rgamma(uint64_t *s, double a)
{
    if (a < 1)
        return rgamma(s, a + 1) * pow(unit(s), 1 / a);
    double d = a - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x = rnorm(s), v = 1 + c * x;
        if (v <= 0)
            continue;
        v = v * v * v;
        if (log(unit(s)) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v;
    }
}

static double rbeta(uint64_t *s, double a, double b)
{
    double x = rgamma(s, a), y = rgamma(s, b);
    /* both underflowed (shapes near 0): the limit is a coin of a/(a+b) */
    if (!(x + y > 0))
        return unit(s) < a / (a + b) ? 1 : 0;
    return x / (x + y);
}

/* The most purchases one customer may have: parameters that give more are
 * an error rather than a file without end. */
#define MAX_PER_CUSTOMER 1000000

typedef struct sim_out {
    char **ids;
    int64_t *times;
    double *amounts;
    size_t n, cap;
} sim_out;

static void out_free(sim_out *o)
{
    for (size_t i = 0; o->ids && i < o->n; i++)
        if (i == 0 || o->ids[i] != o->ids[i - 1])
            seg__free(o->ids[i]);
    seg__free(o->ids);
    seg__free(o->times);
    seg__free(o->amounts);
    memset(o, 0, sizeof *o);
}

static int out_push(sim_out *o, char *id, int64_t t, double amount)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 1024;
        char **ids = seg__realloc(o->ids, cap * sizeof *ids);
        if (ids)
            o->ids = ids;
        int64_t *times = ids ? seg__realloc(o->times, cap * sizeof *times)
                             : NULL;
        if (times)
            o->times = times;
        double *am = times ? seg__realloc(o->amounts, cap * sizeof *am)
                           : NULL;
        if (!am)
            return seg__nomem(NULL);
        o->amounts = am;
        o->cap = cap;
    }
    o->ids[o->n] = id;
    o->times[o->n] = t;
    o->amounts[o->n++] = amount;
    return SEG_OK;
}

/* "r=0.24,alpha=4.4,..." into p, every parameter of the kind once. */
static int parse_params(int kind, const char *what, const char *text,
                        double *p)
{
    const seg__clv_spec *sp = seg__clv_spec_of(kind);
    bool seen[SEG__NP] = {false};
    const char *s = text ? text : "";
    while (*s) {
        const char *comma = strchr(s, ',');
        if (!comma)
            comma = s + strlen(s);
        const char *eq = memchr(s, '=', (size_t)(comma - s));
        int which = -1;
        for (int i = 0; eq && i < sp->np; i++)
            if ((size_t)(eq - s) == strlen(sp->names[i]) &&
                !memcmp(s, sp->names[i], (size_t)(eq - s)))
                which = i;
        double v = NAN;
        if (which < 0 ||
            seg__parse_f64(eq + 1, (size_t)(comma - eq - 1), &v) != SEG_OK)
            return seg__error(NULL, SEG_EPARSE, "simulate: %s: '%.*s' is "
                              "not NAME=VALUE of a parameter of %s", what,
                              (int)(comma - s), s, sp->kind);
        const char *why = seg__clv_bad_param(kind, which, v);
        if (why)
            return seg__error(NULL, SEG_ERANGE, "simulate: %s = %g: %s",
                              sp->names[which], v, why);
        p[which] = v;
        seen[which] = true;
        s = *comma ? comma + 1 : comma;
    }
    for (int i = 0; i < sp->np; i++)
        if (!seen[i])
            return seg__error(NULL, SEG_EPARSE, "simulate: %s: '%s' is "
                              "missing", what, sp->names[i]);
    return SEG_OK;
}

typedef struct sim {
    int kind;
    double p[SEG__NP];
    bool spend;
    double gg[3]; /* p, q, gamma */
    int64_t start, join_end, end;
    double unit_seconds;
    const char *prefix;
} sim;

/* The purchase times of one customer after the first, in model time units
 * from it, up to the horizon H, into t (at most MAX_PER_CUSTOMER); their
 * number, or -1 past the limit. */
static long purchases(const sim *m, uint64_t *s, double H, double *t)
{
    const double *p = m->p;
    double lambda = rgamma(s, p[0]) / p[1], life = INFINITY, drop = 0;
    switch (m->kind) {
    case SEG__CLV_PNBD:
        life = rexp(s) / (rgamma(s, p[2]) / p[3]);
        break;
    case SEG__CLV_GGOMPERTZ:
        /* survival exp(-eta (e^(b tau) - 1)) inverted at an Exp(1) draw */
        life = log1p(rexp(s) / (rgamma(s, p[3]) / p[4])) / p[2];
        break;
    default: /* BG/NBD and MBG/NBD: a coin of p after every purchase */
        drop = rbeta(s, p[2], p[3]);
        if (m->kind == SEG__CLV_MBGNBD && unit(s) < drop)
            return 0;
        break;
    }
    double end = fmin(life, H), at = 0;
    long n = 0;
    for (;;) {
        at += rexp(s) / lambda;
        if (!(at < end))
            return n;
        if (n == MAX_PER_CUSTOMER)
            return -1;
        t[n++] = at;
        if (drop > 0 && unit(s) < drop)
            return n;
    }
}

/* One customer's transactions: the first at the customer's start, the
 * purchases after it, each with an amount. */
static int customer(const sim *m, uint64_t seed, size_t i, int width,
                    double *t, sim_out *o)
{
    uint64_t s = seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(i + 1));
    seg__km_next_u64(&s);
    double span = (double)(m->join_end - m->start);
    int64_t t0 = m->start + (int64_t)floor(unit(&s) * span);
    if (span == 0)
        t0 = m->start;
    double H = (double)(m->end - t0) / m->unit_seconds;
    double nu = m->spend ? rgamma(&s, m->gg[1]) / m->gg[2] : 1;
    long n = purchases(m, &s, H, t);
    if (n < 0)
        return seg__error(NULL, SEG_ERANGE, "simulate: customer %zu would "
                          "buy more than %d times: the parameters give "
                          "rates beyond any data", i + 1, MAX_PER_CUSTOMER);
    size_t len = strlen(m->prefix) + (size_t)width + 1;
    char *id = seg__malloc(len);
    if (!id)
        return seg__nomem(NULL);
    snprintf(id, len, "%s%0*zu", m->prefix, width, i + 1);
    int rc = SEG_OK;
    for (long k = 0; k <= n && !rc; k++) {
        int64_t at = k == 0 ? t0
                            : t0 + (int64_t)floor(t[k - 1] * m->unit_seconds);
        double amount = m->spend ? rgamma(&s, m->gg[0]) / nu : 1;
        rc = out_push(o, id, at > m->end ? m->end : at, amount);
    }
    if (rc && (o->n == 0 || o->ids[o->n - 1] != id))
        seg__free(id);
    return rc;
}

static int spec_check(const seg_sim_spec *spec, sim *m)
{
    if (!spec || spec->size < sizeof(seg_sim_spec))
        return seg__error(NULL, SEG_EINVAL, "simulate: the spec is NULL or "
                          "was not made with seg_sim_spec_init()");
    if (spec->customers == 0 || spec->customers > 100000000)
        return seg__error(NULL, SEG_ERANGE, "simulate: customers must be 1 "
                          "to 100,000,000, not %zu", spec->customers);
    if (!(spec->unit_days > 0 && spec->unit_days <= 366))
        return seg__error(NULL, SEG_ERANGE, "simulate: unit_days %g is not "
                          "in (0, 366]", spec->unit_days);
    int64_t join_end = spec->join_end == SEG_TIME_NONE ? spec->start
                                                        : spec->join_end;
    if (!(spec->start <= join_end && join_end < spec->end))
        return seg__error(NULL, SEG_ERANGE, "simulate: needs start <= "
                          "join_end < end");
    m->start = spec->start;
    m->join_end = join_end;
    m->end = spec->end;
    m->unit_seconds = spec->unit_days * 86400;
    m->prefix = spec->id_prefix ? spec->id_prefix : "";
    if (strlen(m->prefix) > 200)
        return seg__error(NULL, SEG_ERANGE, "simulate: id_prefix is longer "
                          "than 200 bytes");
    return SEG_OK;
}

static int kind_of(const char *name, int *kind)
{
    static const int kinds[] = {SEG__CLV_BGNBD, SEG__CLV_MBGNBD,
                                SEG__CLV_PNBD, SEG__CLV_GGOMPERTZ};
    for (size_t i = 0; name && i < sizeof kinds / sizeof *kinds; i++)
        if (!strcmp(name, seg__clv_spec_of(kinds[i])->kind)) {
            *kind = kinds[i];
            return SEG_OK;
        }
    return seg__error(NULL, SEG_EINVAL, "simulate: the purchase model must "
                      "be bgnbd, mbgnbd, pareto_nbd or ggompertz, not '%s'",
                      name ? name : "(none)");
}

/* The parameters of a fitted model, by their names. */
static int params_of(const seg_model *from, int kind, const char *pre,
                     double *p)
{
    const seg__clv_spec *sp = seg__clv_spec_of(kind);
    for (int i = 0; i < sp->np; i++) {
        char name[40];
        snprintf(name, sizeof name, "%s%s", pre, sp->names[i]);
        if (seg_model_result(from, name, &p[i]) != SEG_OK)
            return seg__error(NULL, SEG_EINVAL, "simulate: model '%s' has no "
                              "parameter '%s'", seg_model_name(from), name);
    }
    return SEG_OK;
}

/* The models and their parameters: from a fitted model, or from the
 * spec's texts. */
static int sim_models(const seg_sim_spec *spec, const seg_model *from,
                      sim *m)
{
    const char *spend = spec->spend;
    m->spend = spend && *spend;
    if (from) {
        if (!seg_model_is_fitted(from))
            return seg__error(NULL, SEG_EMISUSE, "simulate: model '%s' is "
                              "not fitted", seg_model_name(from));
        const char *k = seg_model_kind(from);
        bool clv = !strcmp(k, "clv");
        const char *pk = k;
        if (clv && seg_model_get_str(from, "purchase_model", &pk) != SEG_OK)
            return seg__error(NULL, SEG_EINVAL, "simulate: no purchase model");
        int rc = kind_of(pk, &m->kind);
        if (!rc)
            rc = params_of(from, m->kind, "", m->p);
        if (!rc && clv && !m->spend) {
            m->spend = true;
            rc = params_of(from, SEG__CLV_GG, "spend.", m->gg);
        } else if (!rc && m->spend) {
            rc = parse_params(SEG__CLV_GG, "spend", spend, m->gg);
        }
        return rc;
    }
    int rc = kind_of(spec->model, &m->kind);
    if (!rc)
        rc = parse_params(m->kind, "params", spec->params, m->p);
    if (!rc && m->spend)
        rc = parse_params(SEG__CLV_GG, "spend", spend, m->gg);
    return rc;
}

/* Every customer's transactions into o, in order of customer and time. */
static int simulate(const seg_sim_spec *spec, const seg_model *from,
                    sim_out *o)
{
    sim m;
    memset(&m, 0, sizeof m);
    memset(o, 0, sizeof *o);
    int rc = spec_check(spec, &m);
    if (!rc)
        rc = sim_models(spec, from, &m);
    if (rc)
        return rc;
    if (m.spend && !(m.gg[1] > 1))
        return seg__error(NULL, SEG_ERANGE, "simulate: Gamma-Gamma q = %g "
                          "<= 1: the mean spend is infinite", m.gg[1]);
    int width = snprintf(NULL, 0, "%zu", spec->customers);
    double *t = seg__malloc(MAX_PER_CUSTOMER * sizeof *t);
    if (!t)
        return seg__nomem(NULL);
    for (size_t i = 0; i < spec->customers && !rc; i++)
        rc = customer(&m, spec->seed, i, width, t, o);
    seg__free(t);
    if (rc)
        out_free(o);
    return rc;
}

void seg_sim_spec_init(seg_sim_spec *spec)
{
    if (!spec)
        return;
    memset(spec, 0, sizeof *spec);
    spec->size = sizeof *spec;
    spec->customers = 1000;
    spec->unit_days = 7;
    spec->start = 0;
    spec->join_end = SEG_TIME_NONE;
    spec->end = 2 * 52 * 7 * 86400;
    spec->id_prefix = "c";
}

int seg_simulate_dataset(seg_dataset *ds, const seg_sim_spec *spec,
                         const seg_model *from)
{
    if (!ds)
        return seg__error(NULL, SEG_EINVAL, "simulate: dataset is NULL");
    sim_out o;
    int rc = simulate(spec, from, &o);
    if (rc)
        return rc;
    rc = seg_dataset_add_transactions(ds, (const char *const *)o.ids, o.times,
                                      o.amounts, o.n);
    out_free(&o);
    return rc;
}

/* One row per customer: the history as the models read it. */
static int summary_rows(seg_table *t, const sim_out *o, double end,
                        double unit_seconds)
{
    int rc = SEG_OK;
    for (size_t i = 0; i < o->n && !rc;) {
        size_t k = i + 1;
        double spent = 0;
        while (k < o->n && o->ids[k] == o->ids[i])
            spent += o->amounts[k++];
        double x = (double)(k - i - 1);
        const double v[4] = {
            x, (double)(o->times[k - 1] - o->times[i]) / unit_seconds,
            (end - (double)o->times[i]) / unit_seconds, x > 0 ? spent / x : 0};
        size_t row;
        rc = seg__table_add_row(t, &row);
        if (!rc)
            rc = seg__table_set_text(t, row, 0, o->ids[i]);
        for (int c = 0; c < 4 && !rc; c++)
            rc = seg__table_set_num(t, row, 1 + (size_t)c, v[c]);
        i = k;
    }
    return rc;
}

static int transaction_rows(seg_table *t, const sim_out *o)
{
    int rc = SEG_OK;
    for (size_t i = 0; i < o->n && !rc; i++) {
        char when[40];
        size_t row;
        seg_time_format_iso(when, sizeof when, o->times[i]);
        rc = seg__table_add_row(t, &row);
        if (!rc)
            rc = seg__table_set_text(t, row, 0, o->ids[i]);
        if (!rc)
            rc = seg__table_set_text(t, row, 1, when);
        if (!rc)
            rc = seg__table_set_num(t, row, 2, o->amounts[i]);
    }
    return rc;
}

int seg_simulate_table(seg_table **out, const seg_sim_spec *spec,
                       const seg_model *from)
{
    if (!out)
        return seg__error(NULL, SEG_EINVAL, "simulate: out is NULL");
    *out = NULL;
    sim_out o;
    int rc = simulate(spec, from, &o);
    if (rc)
        return rc;
    static const char *const tnames[3] = {"customer_id", "time", "amount"};
    static const int ttypes[3] = {SEG_COLUMN_LABEL, SEG_COLUMN_LABEL,
                                  SEG_COLUMN_NUMERIC};
    static const char *const snames[5] = {"customer_id", "frequency", "t_x",
                                          "T", "monetary_repeat_mean"};
    static const int stypes[5] = {SEG_COLUMN_LABEL, SEG_COLUMN_NUMERIC,
                                  SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC,
                                  SEG_COLUMN_NUMERIC};
    seg_table *t = NULL;
    if (spec->summary) {
        rc = seg__table_new(&t, "simulated", 5, snames, stypes);
        if (!rc)
            rc = summary_rows(t, &o, (double)spec->end,
                              spec->unit_days * 86400);
    } else {
        rc = seg__table_new(&t, "simulated", 3, tnames, ttypes);
        if (!rc)
            rc = transaction_rows(t, &o);
    }
    out_free(&o);
    if (rc) {
        seg_table_free(t);
        return seg__nomem(NULL);
    }
    *out = t;
    return SEG_OK;
}
