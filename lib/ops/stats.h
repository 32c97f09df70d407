/* Tests of two samples for the campaign evaluation (stats.c). Private to
 * lib/ops. */
#ifndef SEG_OPS_STATS_H
#define SEG_OPS_STATS_H

/* A difference of two samples (first minus second), its confidence
 * interval, the two-sided p-value and, for Welch's test, the degrees of
 * freedom; NaN where the data cannot give them. */
typedef struct seg__two_sample {
    double diff, low, high, p, df;
} seg__two_sample;

/* Regularised incomplete beta I_x(a, b), for a, b > 0 and 0 <= x <= 1. */
double seg__beta_inc(double a, double b, double x);
/* P(T <= t) for Student's t with df > 0 degrees of freedom. */
double seg__t_cdf(double t, double df);
/* P(|T| > |t|), the two-sided p-value of t. */
double seg__t_p2(double t, double df);
/* The q with P(|T| > q) = alpha, and the same for the standard normal. */
double seg__t_two_sided(double alpha, double df);
double seg__z_two_sided(double alpha);

/* Conversions x1 of n1 against x2 of n2: the pooled z-test's p-value and
 * the unpooled (Wald) interval of p1 - p2. */
void seg__two_proportions(double x1, double n1, double x2, double n2,
                          double conf, seg__two_sample *out);
/* Means m, sample variances v (n - 1 in the denominator) and sizes n:
 * Welch's t-test with the Welch-Satterthwaite degrees of freedom. */
void seg__welch(double m1, double v1, double n1, double m2, double v2,
                double n2, double conf, seg__two_sample *out);

#endif
