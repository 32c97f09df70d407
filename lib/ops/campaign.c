/* Campaigns by tier: the holdout (control group) drawn from a hash of the
 * seed and the customer id, and the evaluation of treated against control
 * in an outcome window: a two-proportion z-test for conversion and
 * Welch's t-test for revenue per customer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/internal.h"
#include "ops/stats.h"

/* ---- the holdout ---- */

/* FNV-1a of "SEED:ID" with MurmurHash3's 64-bit finaliser over it, so that
 * ids that differ in one character land far apart. docs/operations.md
 * gives the formula for other systems. */
double seg_holdout_draw(uint64_t seed, const char *id, size_t len)
{
    char digits[24];
    size_t nd = 0;
    do {
        digits[nd++] = (char)('0' + seed % 10);
        seed /= 10;
    } while (seed);
    uint64_t h = 0xcbf29ce484222325u;
    const uint64_t prime = 0x100000001b3u;
    while (nd)
        h = (h ^ (unsigned char)digits[--nd]) * prime;
    h = (h ^ (unsigned char)':') * prime;
    for (size_t i = 0; id && i < len; i++)
        h = (h ^ (unsigned char)id[i]) * prime;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return (double)(h >> 11) * 0x1p-53;
}

void seg_holdout_options_init(seg_holdout_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->share = 0.1;
    o->column = "treatment";
}

static bool valid_share(double s)
{
    return s >= 0 && s <= 1;
}

/* "TIER=SHARE,TIER=SHARE": the share of each tier named, matched against
 * the tier column's labels; shares[label] stays the default otherwise. */
static int tier_shares(const seg__errbuf *err, const char *spec,
                       const seg__column *tier, double *shares)
{
    const char *p = spec;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        double v;
        if (!eq || eq == p ||
            seg__parse_f64(eq + 1, n - (size_t)(eq + 1 - p), &v) ||
            !valid_share(v))
            return seg__error(err, SEG_EPARSE, "holdout shares: expected "
                              "TIER=SHARE with a share from 0 to 1, not "
                              "'%.*s'", (int)n, p);
        uint32_t lab;
        if (!seg__intern_find(&tier->labels, p, (size_t)(eq - p), &lab))
            return seg__error(err, SEG_ENOTFOUND, "holdout shares: no tier "
                              "'%.*s' in the tier column", (int)(eq - p), p);
        shares[lab] = v;
        p += n + (comma ? 1 : 0);
    }
    return SEG_OK;
}

int seg_dataset_assign_holdout(seg_dataset *ds, const seg_holdout_options *opts)
{
    if (!ds)
        return seg__error(NULL, SEG_EINVAL, "seg_dataset_assign_holdout: "
                          "NULL dataset");
    const seg__errbuf *err = seg__ds_err(ds);
    seg_holdout_options o;
    seg_holdout_options_init(&o);
    if (opts && seg__copy_opts(&o, sizeof o, opts))
        return seg__error(err, SEG_EINVAL, "seg_holdout_options.size is 0");
    if (!valid_share(o.share))
        return seg__error(err, SEG_ERANGE, "holdout share %g is not between "
                          "0 and 1", o.share);
    if (!o.column || !*o.column)
        return seg__error(err, SEG_EINVAL, "holdout: no column to write");
    const seg__column *tier = NULL;
    if (o.tier_column) {
        tier = seg__ds_find_column(ds, o.tier_column);
        if (!tier || tier->type != SEG_COLUMN_LABEL)
            return seg__error(err, SEG_ENOTFOUND, "holdout: no label column "
                              "'%s'", o.tier_column);
    } else if (o.shares && *o.shares)
        return seg__error(err, SEG_EINVAL, "holdout: shares by tier need a "
                          "tier column");
    int rc = seg__ds_check_put(ds, o.column, SEG_COLUMN_NUMERIC);
    if (rc)
        return seg__error(err, rc, "holdout: cannot write '%s'", o.column);
    size_t n = seg__ds_n(ds), nl = tier ? tier->labels.n : 0;
    double *shares = seg__malloc((nl + 1) * sizeof *shares);
    double *v = seg__malloc((n ? n : 1) * sizeof *v);
    if (!shares || !v)
        rc = seg__nomem(err);
    for (size_t i = 0; !rc && i <= nl; i++)
        shares[i] = o.share;
    if (!rc && tier && o.shares)
        rc = tier_shares(err, o.shares, tier, shares);
    for (size_t i = 0; !rc && i < n; i++) {
        uint32_t code = tier && i < tier->n ? tier->lab[i] : 0;
        double s = code ? shares[code - 1] : o.share;
        const char *id = seg__ds_id(ds, i);
        v[i] = seg_holdout_draw(o.seed, id, strlen(id)) < s ? 0 : 1;
    }
    if (!rc && (rc = seg__ds_put_num_column(ds, o.column, SEG__ORIGIN_USER,
                                            v)) == SEG_OK)
        v = NULL;
    else if (rc == SEG_ENOMEM)
        seg__nomem(err);
    seg__free(shares);
    seg__free(v);
    return rc;
}

/* ---- the evaluation ---- */

void seg_campaign_options_init(seg_campaign_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->treatment_column = "treatment";
    o->campaign_date = SEG_TIME_NONE;
    o->window_days = 30;
    o->confidence = 0.95;
}

/* Running sums of one arm: conversions, and the mean and the sum of
 * squared deviations of revenue (Welford), so that large revenues do not
 * cancel. */
typedef struct arm {
    double n, conv, mean, m2;
} arm;

static void arm_add(arm *a, double revenue)
{
    a->n++;
    a->conv += revenue > 0;
    double d = revenue - a->mean;
    a->mean += d / a->n;
    a->m2 += d * (revenue - a->mean);
}

enum { E_TIER, E_NT, E_NC, E_CT, E_CC, E_CU, E_CL, E_CH, E_CP, E_RT, E_RC,
       E_RU, E_RL, E_RH, E_RDF, E_RP, E_VERDICT, E_N };

static const char *const eval_names[E_N] = {
    "tier",           "treated",         "control",
    "conv_treated",   "conv_control",    "conv_uplift",
    "conv_low",       "conv_high",       "conv_p",
    "revenue_treated", "revenue_control", "revenue_uplift",
    "revenue_low",    "revenue_high",    "revenue_df",
    "revenue_p",      "verdict"};

static void verdict(char *buf, size_t cap, const arm *t, const arm *c,
                    const seg__two_sample *conv, const seg__two_sample *rev,
                    double alpha)
{
    if (t->n < 2 || c->n < 2) {
        snprintf(buf, cap, "too few customers to judge");
        return;
    }
    const char *cw = NULL, *rw = NULL;
    if (conv->p < alpha)
        cw = conv->diff > 0 ? "conversion higher" : "conversion lower";
    if (rev->p < alpha)
        rw = rev->diff > 0 ? "revenue per customer higher"
                           : "revenue per customer lower";
    if (cw && rw)
        snprintf(buf, cap, "%s, %s", cw, rw);
    else if (cw || rw)
        snprintf(buf, cap, "%s", cw ? cw : rw);
    else
        snprintf(buf, cap, "no clear difference");
}

#define NO_TEST {NAN, NAN, NAN, NAN, NAN}

/* What a row shows of each arm, and the two tests. */
typedef struct eval_line {
    double n_t, n_c, conv_t, conv_c, rev_t, rev_c;
    seg__two_sample conv, rev;
} eval_line;

static int put_row(seg_table *tab, const char *name, const eval_line *e,
                   double conf)
{
    char v[96];
    arm t = {e->n_t, 0, 0, 0}, c = {e->n_c, 0, 0, 0};
    verdict(v, sizeof v, &t, &c, &e->conv, &e->rev, 1 - conf);
    const double nums[E_N] = {
        0, e->n_t, e->n_c, e->conv_t, e->conv_c,
        e->conv.diff, e->conv.low, e->conv.high, e->conv.p,
        e->rev_t, e->rev_c, e->rev.diff, e->rev.low, e->rev.high,
        e->rev.df, e->rev.p, 0};
    size_t row;
    int rc = seg__table_add_row(tab, &row);
    if (!rc)
        rc = seg__table_set_text(tab, row, E_TIER, name);
    for (int k = E_NT; k < E_VERDICT && !rc; k++)
        rc = seg__table_set_num(tab, row, (size_t)k, nums[k]);
    if (!rc)
        rc = seg__table_set_text(tab, row, E_VERDICT, v);
    return rc;
}

static double variance(const arm *a)
{
    return a->n > 1 ? a->m2 / (a->n - 1) : NAN;
}

static int eval_row(seg_table *tab, const char *name, const arm *t,
                    const arm *c, double conf)
{
    eval_line e = {t->n, c->n, t->n ? t->conv / t->n : NAN,
                   c->n ? c->conv / c->n : NAN, t->n ? t->mean : NAN,
                   c->n ? c->mean : NAN, NO_TEST, NO_TEST};
    seg__two_proportions(t->conv, t->n, c->conv, c->n, conf, &e.conv);
    seg__welch(t->mean, variance(t), t->n, c->mean, variance(c), c->n, conf,
               &e.rev);
    return put_row(tab, name, &e, conf);
}

/* Everyone, by tier: each tier's difference weighted by its share of the
 * customers, so that tiers held out in different shares do not pass the
 * difference between tiers off as the campaign's (Simpson's paradox). Only
 * tiers with two customers in each arm take part. The revenue's degrees
 * of freedom are Welch-Satterthwaite's over every stratum's variances. */
static int stratified_row(seg_table *tab, const arm *arms, size_t nl,
                          double conf)
{
    eval_line e = {0, 0, 0, 0, 0, 0, NO_TEST, NO_TEST};
    double total = 0, se_c = 0, se_r = 0, df_den = 0;
    for (size_t g = 0; g < nl; g++)
        if (arms[2 * g + 1].n >= 2 && arms[2 * g].n >= 2)
            total += arms[2 * g + 1].n + arms[2 * g].n;
    for (size_t g = 0; g < nl && total > 0; g++) {
        const arm *t = &arms[2 * g + 1], *c = &arms[2 * g];
        if (t->n < 2 || c->n < 2)
            continue;
        double w = (t->n + c->n) / total, pt = t->conv / t->n,
               pc = c->conv / c->n;
        e.n_t += t->n;
        e.n_c += c->n;
        e.conv_t += w * pt;
        e.conv_c += w * pc;
        e.rev_t += w * t->mean;
        e.rev_c += w * c->mean;
        se_c += w * w * (pt * (1 - pt) / t->n + pc * (1 - pc) / c->n);
        double at = w * w * variance(t) / t->n, ac = w * w * variance(c) / c->n;
        se_r += at + ac;
        df_den += at * at / (t->n - 1) + ac * ac / (c->n - 1);
    }
    if (total > 0) {
        e.conv.diff = e.conv_t - e.conv_c;
        e.rev.diff = e.rev_t - e.rev_c;
    } else {
        e.conv_t = e.conv_c = e.rev_t = e.rev_c = NAN;
    }
    if (se_c > 0) {
        double z = seg__z_two_sided(1 - conf), se = sqrt(se_c);
        e.conv.p = erfc(fabs(e.conv.diff) / se / 1.41421356237309504880);
        e.conv.low = e.conv.diff - z * se;
        e.conv.high = e.conv.diff + z * se;
    }
    if (se_r > 0 && df_den > 0) {
        double se = sqrt(se_r);
        e.rev.df = se_r * se_r / df_den;
        e.rev.p = seg__t_p2(e.rev.diff / se, e.rev.df);
        double q = seg__t_two_sided(1 - conf, e.rev.df);
        e.rev.low = e.rev.diff - q * se;
        e.rev.high = e.rev.diff + q * se;
    }
    return put_row(tab, "(all)", &e, conf);
}

typedef struct eval_in {
    const seg__column *treat, *tier;
    int64_t from, to;
    double conf;
} eval_in;

static int eval_check(const seg_dataset *ds, const seg_campaign_options *o,
                      eval_in *in)
{
    const seg__errbuf *err = seg__ds_err(ds);
    if (o->campaign_date == SEG_TIME_NONE)
        return seg__error(err, SEG_EINVAL, "campaign: no campaign date");
    if (!(o->window_days > 0) || o->window_days > 36500)
        return seg__error(err, SEG_ERANGE, "campaign: the window is from 0 "
                          "to 36500 days, not %g", o->window_days);
    if (!(o->confidence > 0 && o->confidence < 1))
        return seg__error(err, SEG_ERANGE, "campaign: the confidence is "
                          "between 0 and 1, not %g", o->confidence);
    in->conf = o->confidence;
    in->from = o->campaign_date;
    in->to = o->campaign_date + (int64_t)llround(o->window_days * 86400);
    in->treat = o->treatment_column
                    ? seg__ds_find_column(ds, o->treatment_column) : NULL;
    if (!in->treat || in->treat->type != SEG_COLUMN_NUMERIC)
        return seg__error(err, SEG_ENOTFOUND, "campaign: no numeric "
                          "treatment column '%s'",
                          o->treatment_column ? o->treatment_column : "");
    for (size_t i = 0; i < seg__ds_n(ds); i++) {
        double v = seg__column_num(in->treat, i);
        if (!isnan(v) && v != 0 && v != 1)
            return seg__error(err, SEG_ERANGE, "campaign: treatment column "
                              "'%s' is %g for customer '%s'; it is 1 "
                              "(treated), 0 (control) or missing",
                              o->treatment_column, v, seg__ds_id(ds, i));
    }
    in->tier = NULL;
    if (o->tier_column) {
        in->tier = seg__ds_find_column(ds, o->tier_column);
        if (!in->tier || in->tier->type != SEG_COLUMN_LABEL)
            return seg__error(err, SEG_ENOTFOUND, "campaign: no label "
                              "column '%s'", o->tier_column);
    }
    return SEG_OK;
}

/* Each customer's net revenue in the window after the campaign day. */
static double *window_revenue(const seg_dataset *ds, const eval_in *in)
{
    size_t n = seg__ds_n(ds);
    double *rev = seg__calloc(n ? n : 1, sizeof *rev);
    if (!rev)
        return NULL;
    seg__tx_view tx = seg__ds_tx(ds);
    for (size_t i = 0; i < tx.n; i++)
        if (tx.time[i] > in->from && tx.time[i] <= in->to)
            rev[tx.cust[i]] += tx.amount[i];
    return rev;
}

static int eval_fill(seg_table *tab, const seg_dataset *ds,
                     const eval_in *in, const double *rev)
{
    size_t n = seg__ds_n(ds);
    size_t nl = in->tier ? in->tier->labels.n : 0;
    /* arms[2 * g + treated], the last group being everyone */
    arm *arms = seg__calloc(2 * (nl + 1), sizeof *arms);
    if (!arms)
        return SEG_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        double v = seg__column_num(in->treat, i);
        if (isnan(v))
            continue;
        size_t treated = v == 1;
        uint32_t code = in->tier && i < in->tier->n ? in->tier->lab[i] : 0;
        if (code)
            arm_add(&arms[2 * (code - 1) + treated], rev[i]);
        arm_add(&arms[2 * nl + treated], rev[i]);
    }
    int rc = SEG_OK;
    for (size_t g = 0; g < nl && !rc; g++)
        if (arms[2 * g].n + arms[2 * g + 1].n > 0)
            rc = eval_row(tab, seg__intern_str(&in->tier->labels, (uint32_t)g),
                          &arms[2 * g + 1], &arms[2 * g], in->conf);
    if (!rc && in->tier)
        rc = stratified_row(tab, arms, nl, in->conf);
    else if (!rc)
        rc = eval_row(tab, "(all)", &arms[2 * nl + 1], &arms[2 * nl],
                      in->conf);
    seg__free(arms);
    return rc;
}

int seg_campaign_table(seg_table **out, const seg_dataset *ds,
                       const seg_campaign_options *opts)
{
    if (out)
        *out = NULL;
    if (!out || !ds)
        return seg__error(ds ? seg__ds_err(ds) : NULL, SEG_EINVAL,
                          "seg_campaign_table: NULL argument");
    const seg__errbuf *err = seg__ds_err(ds);
    seg_campaign_options o;
    seg_campaign_options_init(&o);
    if (opts && seg__copy_opts(&o, sizeof o, opts))
        return seg__error(err, SEG_EINVAL, "seg_campaign_options.size is 0");
    eval_in in = {NULL, NULL, 0, 0, 0};
    int rc = seg__ds_need_records(ds, err, "a campaign's evaluation");
    if (!rc)
        rc = eval_check(ds, &o, &in);
    if (rc)
        return rc;
    int types[E_N];
    for (int k = 0; k < E_N; k++)
        types[k] = k == E_TIER || k == E_VERDICT ? SEG_COLUMN_LABEL
                                                 : SEG_COLUMN_NUMERIC;
    double *rev = window_revenue(ds, &in);
    seg_table *t = NULL;
    rc = rev ? seg__table_new(&t, "campaign", E_N, eval_names, types)
             : SEG_ENOMEM;
    if (!rc)
        rc = eval_fill(t, ds, &in, rev);
    seg__free(rev);
    if (rc) {
        seg_table_free(t);
        return seg__nomem(err);
    }
    *out = t;
    return SEG_OK;
}
