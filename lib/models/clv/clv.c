/* The CLV combiner: a purchase model (BG/NBD, MBG/NBD or Pareto/NBD) and
 * Gamma-Gamma, their expected purchases and spend discounted to a value. */
#include <math.h>
#include <string.h>

#include "models/clv/internal.h"

int seg__clv_purchase_kind(const seg_model *m)
{
    const char *k = seg__param_str(m, "purchase_model");
    return strcmp(k, "mbgnbd") == 0      ? SEG__CLV_MBGNBD
           : strcmp(k, "pareto_nbd") == 0 ? SEG__CLV_PNBD
                                         : SEG__CLV_BGNBD;
}

/* Lifetime value over `months` months of a customer, in money. */
double seg__clv_value(const seg_model *m, const seg__clv_fit *purchase,
                      double x, double tx, double T, double spend)
{
    const seg__clv_spec *sp = seg__clv_spec_of(purchase->kind);
    const double *p = purchase->p;
    double months = seg__param_num(m, "horizon_months");
    double upm = seg__param_num(m, "units_per_month");
    double d = seg__param_num(m, "discount_rate");
    bool continuous =
        strcmp(seg__param_str(m, "discounting"), "continuous") == 0;
    double v = 0;
    if (!continuous) {
        /* month by month, discounted at the end of each month */
        double prev = 0;
        for (int i = 1; i <= (int)months; i++) {
            double e = sp->expected(p, i * upm, x, tx, T);
            v += spend * (e - prev) / pow(1 + d, i);
            prev = e;
        }
        return v;
    }
    /* continuously at the same yearly rate: the integral of e^(-k u) over
     * the expected purchase curve, by the midpoint rule on 32 steps a month */
    double k = log1p(d) / upm, steps = 32 * months, h = months * upm / steps;
    double prev = 0;
    for (double i = 1; i <= steps; i++) {
        double e = sp->expected(p, i * h, x, tx, T);
        v += spend * (e - prev) * exp(-k * (i - 0.5) * h);
        prev = e;
    }
    return v;
}
