/* The CLV combiner: a purchase model (BG/NBD, MBG/NBD or Pareto/NBD) and
 * Gamma-Gamma, their expected purchases and spend discounted to a value;
 * and the score's outputs of a history from the factors of its (x, T). */
#include <math.h>
#include <string.h>

#include "models/clv/internal.h"

int seg__clv_purchase_kind(const seg_model *m)
{
    const char *k = seg__param_str(m, "purchase_model");
    return strcmp(k, "mbgnbd") == 0      ? SEG__CLV_MBGNBD
           : strcmp(k, "pareto_nbd") == 0 ? SEG__CLV_PNBD
           : strcmp(k, "ggompertz") == 0  ? SEG__CLV_GGOMPERTZ
                                         : SEG__CLV_BGNBD;
}

/* A month is a twelfth of the Gregorian calendar's mean year, in days;
 * the rule language's `1mo` is the same. */
#define DAYS_PER_MONTH (365.2425 / 12)

/* The unit of a duration column as its time units in a month; 0 when its
 * kind is not a duration. */
static double column_upm(const seg_dataset *ds, const char *name)
{
    int k = seg_dataset_column_kind(ds, name);
    return k == SEG_KIND_DAYS ? DAYS_PER_MONTH
           : k == SEG_KIND_WEEKS ? DAYS_PER_MONTH / 7 : 0;
}

int seg__clv_units(const seg_model *m, const seg_dataset *ds, double *upm)
{
    double set = seg__param_num(m, "units_per_month");
    if (set > 0) {
        *upm = set;
        return SEG_OK;
    }
    const char *T = seg__param_str(m, "T_column");
    const char *tx = seg__param_str(m, "t_x_column");
    double uT = column_upm(ds, T), ux = column_upm(ds, tx);
    const char *unknown = uT == 0 ? T : ux == 0 ? tx : NULL;
    if (unknown) {
        int k = seg_dataset_column_kind(ds, unknown);
        const char *kn = k >= 0 ? seg_column_kind_name(k) : NULL;
        return seg__model_error(m, SEG_EINVAL, "%s: the time unit of '%s' is "
                                "not known (its kind is %s): compute the "
                                "features, set the column's kind to days or "
                                "weeks, or set units_per_month",
                                seg_model_name(m), unknown, kn ? kn : "none");
    }
    if (uT != ux)
        return seg__model_error(m, SEG_EINVAL, "%s: '%s' is in %s and '%s' "
                                "in %s", seg_model_name(m), tx,
                                ux == DAYS_PER_MONTH ? "days" : "weeks", T,
                                uT == DAYS_PER_MONTH ? "days" : "weeks");
    *upm = uT;
    return SEG_OK;
}

double seg__clv_horizon(const seg_model *m, double upm)
{
    double h = seg__param_num(m, "horizon");
    return h > 0 ? h : seg__param_num(m, "horizon_days") * upm / DAYS_PER_MONTH;
}

void seg__clv_valuing_of(const seg_model *m, double upm, seg__clv_valuing *v)
{
    v->months = (int)seg__param_num(m, "horizon_months");
    v->rate = seg__param_num(m, "discount_rate");
    v->upm = upm;
    v->continuous =
        strcmp(seg__param_str(m, "discounting"), "continuous") == 0;
}

double seg__clv_expected_alive(const seg__clv_fit *f, double t, double x,
                               double T)
{
    if (f->kind == SEG__CLV_BGNBD || f->kind == SEG__CLV_MBGNBD)
        return seg__clv_family_expected_alive(f->p, t, x, T,
                                              f->kind == SEG__CLV_MBGNBD);
    const seg__clv_spec *sp = seg__clv_spec_of(f->kind);
    /* at t_x = T the customer is as likely alive as the history allows,
     * and the quotient loses no digits to a small P(alive) */
    return sp->expected(f->p, t, x, T, T) / sp->p_alive(f->p, x, T, T);
}

void seg__clv_month_curve(const seg__clv_valuing *val, const seg__clv_fit *f,
                          double x, double T, double *g)
{
    if (f->kind == SEG__CLV_BGNBD || f->kind == SEG__CLV_MBGNBD) {
        double t[1200]; /* horizon_months is at most 1200 */
        for (int i = 1; i <= val->months; i++)
            t[i - 1] = i * val->upm;
        seg__clv_family_expected_alive_n(f->p, t, val->months, x, T,
                                         f->kind == SEG__CLV_MBGNBD, g);
        return;
    }
    for (int i = 1; i <= val->months; i++)
        g[i - 1] = seg__clv_expected_alive(f, i * val->upm, x, T);
}

double seg__clv_value_months(const seg__clv_valuing *val, const double *g,
                             double pa, double spend, const double *pw)
{
    /* month by month, discounted at the end of each month, on the
     * expected purchases pa g[i] of the kinds' expected() */
    double v = 0, prev = 0;
    for (int i = 1; i <= val->months; i++) {
        double e = pa * g[i - 1];
        v += spend * (e - prev) / (pw ? pw[i - 1] : pow(1 + val->rate, i));
        prev = e;
    }
    return v;
}

/* The discounted value over the months of v, per unit of spend, of a
 * customer alive at T with x repeat purchases: a function of (x, T)
 * alone, which the value of every history with them multiplies by its
 * P(alive). */
double seg__clv_value_alive(const seg__clv_valuing *val,
                            const seg__clv_fit *f, double x, double T)
{
    const double *p = f->p;
    double upm = val->upm, d = val->rate, v = 0;
    if (!val->continuous) {
        /* the discount as a running product: within months x 1e-16 of
         * pow(1 + d, i), at a fraction of its cost per draw */
        double g[1200], prev = 0, pw = 1;
        seg__clv_month_curve(val, f, x, T, g);
        for (int i = 1; i <= val->months; i++) {
            pw *= 1 + d;
            v += (g[i - 1] - prev) / pw;
            prev = g[i - 1];
        }
        return v;
    }
    /* continuously at the same yearly rate: the integral of e^(-k u) over
     * the expected purchase curve E(u), by parts
     *   e^(-k H) E(H) + k * integral of e^(-k u) E(u) du over (0, H),
     * by 10-point Gauss-Legendre on pieces that grow geometrically: E(u)
     * is analytic but for a branch point at u = -(alpha + T) (and
     * -(beta + T) for Pareto/NBD), so a piece [u, u + w] with w <= u +
     * (that distance) converges fast, and so does one with k w <= 2 for
     * the exponential. */
    static const double gl[5][2] = {
        {0.97390652851717172008, 0.066671344308688137594},
        {0.86506336668898451073, 0.14945134915058059315},
        {0.67940956829902440623, 0.219086362515982044},
        {0.4333953941292471908, 0.26926671930999635509},
        {0.14887433898163121088, 0.29552422471475287017}};
    double k = log1p(d) / upm, H = val->months * upm;
    double reach = p[1] + T;
    if (f->kind == SEG__CLV_PNBD)
        reach = fmin(reach, p[3] + T);
    for (double u = 0; u < H;) {
        double w = fmin(u + reach, H - u);
        if (k > 0)
            w = fmin(w, 2 / k);
        double mid = u + w / 2, half = w / 2;
        for (int j = 0; j < 5; j++) {
            for (int sgn = -1; sgn <= 1; sgn += 2) {
                double s = mid + sgn * half * gl[j][0];
                v += half * gl[j][1] * exp(-k * s) *
                     seg__clv_expected_alive(f, s, x, T);
            }
        }
        u = w >= H - u ? H : u + w;
    }
    return exp(-k * H) * seg__clv_expected_alive(f, H, x, T) + k * v;
}

void seg__clv_pair_factors(const seg__clv_scored *s, const seg__clv_fit *f,
                           double x, double T, seg__clv_pair *pf)
{
    pf->e = seg__clv_expected_alive(f, s->horizon, x, T);
    pf->v = NAN;
    if (s->kind != SEG__CLV_CLV)
        return;
    if (pf->g && !s->val.continuous)
        seg__clv_month_curve(&s->val, f, x, T, pf->g);
    else
        pf->v = seg__clv_value_alive(&s->val, f, x, T);
}

void seg__clv_score_factored(const seg__clv_scored *s, const seg__clv_fit *f,
                             const seg__clv_fit *gg, const double *k,
                             const seg__clv_pair *pf, double *o)
{
    const seg__clv_spec *sp = seg__clv_spec_of(f->kind);
    double pa = sp->p_alive ? sp->p_alive(f->p, k[0], k[1], k[2]) : NAN;
    o[0] = pa;
    /* the BG/NBD family's expected() is this product; for the other kinds
     * the quotient of seg__clv_expected_alive() would move it by an ulp */
    if (f->kind == SEG__CLV_BGNBD || f->kind == SEG__CLV_MBGNBD)
        o[1] = pa * pf->e;
    else
        o[1] = sp->expected ? sp->expected(f->p, s->horizon, k[0], k[1], k[2])
                            : NAN;
    seg__clv_score_spend(s, gg, k, pf, o);
}

void seg__clv_score_spend(const seg__clv_scored *s, const seg__clv_fit *gg,
                          const double *k, const seg__clv_pair *pf, double *o)
{
    if (s->kind != SEG__CLV_CLV)
        return;
    double pa = o[0];
    o[2] = seg__clv_expected_spend(gg, k[0], k[3]);
    o[3] = pf->g && !s->val.continuous
               ? seg__clv_value_months(&s->val, pf->g, pa, o[2], pf->pw)
               : o[2] * pa * pf->v;
}

void seg__clv_score_one(const seg_model *m, const seg__clv_scored *s,
                        const seg__clv_fit *f, const seg__clv_fit *gg,
                        const double *k, double *o)
{
    seg__clv_scored read = *s;
    if (s->kind == SEG__CLV_CLV && read.val.months == 0)
        seg__clv_valuing_of(m, s->upm, &read.val);
    double g[1200]; /* horizon_months is at most 1200 */
    seg__clv_pair pf = {NAN, NAN, g, NULL};
    seg__clv_pair_factors(&read, f, k[0], k[2], &pf);
    seg__clv_score_factored(&read, f, gg, k, &pf, o);
}

/* Lifetime value over the model's months of a customer, in money: by
 * months as the score computes it, or continuously as spend times
 * P(alive) times the value of a customer alive at T. */
double seg__clv_value(const seg_model *m, const seg__clv_fit *purchase,
                      double upm, double x, double tx, double T, double spend)
{
    seg__clv_valuing val;
    seg__clv_valuing_of(m, upm, &val);
    const seg__clv_spec *sp = seg__clv_spec_of(purchase->kind);
    double pa = sp->p_alive(purchase->p, x, tx, T);
    if (val.continuous)
        return spend * pa * seg__clv_value_alive(&val, purchase, x, T);
    double g[1200]; /* horizon_months is at most 1200 */
    seg__clv_month_curve(&val, purchase, x, T, g);
    return seg__clv_value_months(&val, g, pa, spend, NULL);
}
