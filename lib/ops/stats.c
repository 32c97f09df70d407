/* Two-sample tests: the normal and Student's t distributions from the
 * regularised incomplete beta function, evaluated by its continued
 * fraction (modified Lentz), and quantiles by bisection, which needs no
 * starting guess and cannot leave the bracket. */
#include <math.h>
#include <stdbool.h>

#include "core/internal.h"
#include "ops/stats.h"

static const double sqrt2 = 1.41421356237309504880;

/* The continued fraction of I_x(a, b), good for x < (a + 1) / (a + b + 2). */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double f = d;
    for (int m = 1; m <= 10000; m++) {
        double m2 = 2.0 * m;
        double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
        for (int half = 0; half < 2; half++) {
            d = 1 + num * d;
            c = 1 + num / c;
            if (fabs(d) < tiny)
                d = tiny;
            if (fabs(c) < tiny)
                c = tiny;
            d = 1 / d;
            double step = c * d;
            f *= step;
            if (half == 1 && fabs(step - 1) < 4e-16)
                return f;
            num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
        }
    }
    return f;
}

double seg__beta_inc(double a, double b, double x)
{
    if (!(a > 0 && b > 0) || !(x >= 0 && x <= 1))
        return NAN;
    if (x == 0 || x == 1)
        return x;
    double lfront = seg__lgamma(a + b) - seg__lgamma(a) - seg__lgamma(b) +
                    a * log(x) + b * log1p(-x);
    if (x < (a + 1) / (a + b + 2))
        return exp(lfront) * beta_cf(a, b, x) / a;
    return 1 - exp(lfront) * beta_cf(b, a, 1 - x) / b;
}

/* P(|T| > t) for t >= 0: I_{df / (df + t^2)}(df / 2, 1 / 2). */
static double t_tail2(double t, double df)
{
    if (isinf(t))
        return 0;
    double x = df / (df + t * t);
    if (x > 0.9) /* near t = 0 the complement is the accurate side */
        return 1 - seg__beta_inc(0.5, df / 2, t * t / (df + t * t));
    return seg__beta_inc(df / 2, 0.5, x);
}

double seg__t_p2(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    return t_tail2(fabs(t), df);
}

double seg__t_cdf(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    double tail = t_tail2(fabs(t), df) / 2;
    return t < 0 ? tail : 1 - tail;
}

/* The q >= 0 where the decreasing two-sided tail falls to alpha. */
static double bisect(double alpha, double df, bool normal)
{
    double lo = 0, hi = 1;
    for (;;) {
        double p = normal ? erfc(hi / sqrt2) : t_tail2(hi, df);
        if (p < alpha || hi > 1e300)
            break;
        lo = hi;
        hi *= 2;
    }
    for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
        double mid = lo + (hi - lo) / 2;
        double p = normal ? erfc(mid / sqrt2) : t_tail2(mid, df);
        if (p > alpha)
            lo = mid;
        else
            hi = mid;
    }
    return lo + (hi - lo) / 2;
}

double seg__t_two_sided(double alpha, double df)
{
    if (!(alpha > 0 && alpha < 1) || !(df > 0))
        return NAN;
    return bisect(alpha, df, false);
}

double seg__z_two_sided(double alpha)
{
    if (!(alpha > 0 && alpha < 1))
        return NAN;
    return bisect(alpha, 0, true);
}

static const seg__two_sample none = {NAN, NAN, NAN, NAN, NAN};

void seg__two_proportions(double x1, double n1, double x2, double n2,
                          double conf, seg__two_sample *out)
{
    *out = none;
    if (!(n1 > 0 && n2 > 0))
        return;
    double p1 = x1 / n1, p2 = x2 / n2, pool = (x1 + x2) / (n1 + n2);
    out->diff = p1 - p2;
    double se_test = sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2));
    if (se_test > 0)
        out->p = erfc(fabs(out->diff) / se_test / sqrt2);
    double se = sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2);
    double z = seg__z_two_sided(1 - conf);
    out->low = out->diff - z * se;
    out->high = out->diff + z * se;
}

void seg__welch(double m1, double v1, double n1, double m2, double v2,
                double n2, double conf, seg__two_sample *out)
{
    *out = none;
    if (!(n1 > 0 && n2 > 0))
        return;
    out->diff = m1 - m2;
    if (!(n1 > 1 && n2 > 1))
        return;
    double a = v1 / n1, b = v2 / n2, se2 = a + b;
    if (!(se2 > 0))
        return;
    double se = sqrt(se2);
    out->df = se2 * se2 / (a * a / (n1 - 1) + b * b / (n2 - 1));
    double t = out->diff / se;
    out->p = t_tail2(fabs(t), out->df);
    double q = seg__t_two_sided(1 - conf, out->df);
    out->low = out->diff - q * se;
    out->high = out->diff + q * se;
}
