/* Numerics for the customer-base models: dual numbers for exact gradients,
 * special functions, the Gauss hypergeometric function, and an optimiser.
 * Internal. */
#ifndef SEGMENT_NUMERIC_H
#define SEGMENT_NUMERIC_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#define SEG__NP 5 /* the most parameters a model has */
/* The partial derivatives a dual number carries: four, the parameters of
 * most kinds. A fit of more parameters takes the gradient in passes of
 * four (fit.c); a wider dual made every kind's likelihood twice as slow. */
#define SEG__ND 4
/* The most unknowns of the optimisers and the matrix routines: a model's
 * parameters and its covariate effects. */
#define SEG__OPT_MAXN 24

/* A value with its partial derivatives with respect to up to SEG__ND
 * parameters (forward-mode automatic differentiation): gradients are
 * exact, not finite differences. */
typedef struct seg__dual {
    double v;
    double d[SEG__ND];
} seg__dual;

static inline seg__dual dc(double v)
{
    seg__dual r = {v, {0}};
    return r;
}

static inline seg__dual dvar(double v, int i)
{
    seg__dual r = dc(v);
    r.d[i] = 1;
    return r;
}

static inline seg__dual dadd(seg__dual a, seg__dual b)
{
    for (int i = 0; i < SEG__ND; i++)
        a.d[i] += b.d[i];
    a.v += b.v;
    return a;
}

static inline seg__dual dsub(seg__dual a, seg__dual b)
{
    for (int i = 0; i < SEG__ND; i++)
        a.d[i] -= b.d[i];
    a.v -= b.v;
    return a;
}

static inline seg__dual dscale(seg__dual a, double k)
{
    for (int i = 0; i < SEG__ND; i++)
        a.d[i] *= k;
    a.v *= k;
    return a;
}

static inline seg__dual daddc(seg__dual a, double k)
{
    a.v += k;
    return a;
}

static inline seg__dual dmul(seg__dual a, seg__dual b)
{
    seg__dual r;
    r.v = a.v * b.v;
    for (int i = 0; i < SEG__ND; i++)
        r.d[i] = a.d[i] * b.v + a.v * b.d[i];
    return r;
}

static inline seg__dual ddiv(seg__dual a, seg__dual b)
{
    seg__dual r;
    r.v = a.v / b.v;
    for (int i = 0; i < SEG__ND; i++)
        r.d[i] = (a.d[i] - r.v * b.d[i]) / b.v;
    return r;
}

/* f(a) with f'(a) given */
static inline seg__dual dchain(seg__dual a, double fv, double fprime)
{
    seg__dual r;
    r.v = fv;
    for (int i = 0; i < SEG__ND; i++)
        r.d[i] = a.d[i] * fprime;
    return r;
}

static inline seg__dual dlog(seg__dual a) { return dchain(a, log(a.v), 1 / a.v); }

static inline seg__dual dexp(seg__dual a)
{
    double e = exp(a.v);
    return dchain(a, e, e);
}

double seg__digamma(double x);
double seg__trigamma(double x);

static inline seg__dual dlgamma(seg__dual a)
{
    return dchain(a, seg__lgamma(a.v), seg__digamma(a.v));
}

/* lgamma(x + k) - lgamma(x) without the cancellation of two large
 * lgammas: for x in the millions and more (a BG/BB delta of 1e10) the
 * difference of Stirling's series, else the plain difference. */
double seg__lgamma_diff(double x, double k);

static inline seg__dual dlgamma_diff(seg__dual x, double k)
{
    return dchain(x, seg__lgamma_diff(x.v, k),
                  k == 0 ? 0 : seg__digamma(x.v + k) - seg__digamma(x.v));
}

/* log B(a + ka, b + kb) - log B(a, b) */
static inline seg__dual dlbeta_shift(seg__dual a, seg__dual b, double ka,
                                     double kb)
{
    return dsub(dadd(dlgamma_diff(a, ka), dlgamma_diff(b, kb)),
                dlgamma_diff(dadd(a, b), ka + kb));
}

static inline double lbeta_shift(double a, double b, double ka, double kb)
{
    return seg__lgamma_diff(a, ka) + seg__lgamma_diff(b, kb) -
           seg__lgamma_diff(a + b, ka + kb);
}

/* log of the Beta function */
static inline seg__dual dlbeta(seg__dual a, seg__dual b)
{
    return dsub(dadd(dlgamma(a), dlgamma(b)), dlgamma(dadd(a, b)));
}

/* log(exp(a) + exp(b)) without overflow */
static inline seg__dual dlogsumexp(seg__dual a, seg__dual b)
{
    if (b.v > a.v) {
        seg__dual t = a;
        a = b;
        b = t;
    }
    if (b.v == -INFINITY)
        return a;
    double w = exp(b.v - a.v); /* weight of b */
    seg__dual r;
    r.v = a.v + log1p(w);
    for (int i = 0; i < SEG__ND; i++)
        r.d[i] = (a.d[i] + w * b.d[i]) / (1 + w);
    return r;
}

/* log(exp(a) - exp(b)) for a > b */
static inline seg__dual dlogdiffexp(seg__dual a, seg__dual b)
{
    double w = exp(b.v - a.v);
    seg__dual r;
    r.v = a.v + log1p(-w);
    for (int i = 0; i < SEG__ND; i++)
        r.d[i] = (a.d[i] - w * b.d[i]) / (1 - w);
    return r;
}

/* log of the Gauss hypergeometric function 2F1(a, b; c; z) for
 * 0 <= z < 1, choosing between the series and its Euler transform
 * (1-z)^(c-a-b) 2F1(c-a, c-b; c; z), whichever has the smaller terms, so
 * that large parameters (a customer with hundreds of purchases) neither
 * overflow nor lose the result. Returns false if it does not converge or
 * the result is not finite. */
bool seg__log_hyp2f1(seg__dual a, seg__dual b, seg__dual c, seg__dual z,
                     seg__dual *out);
/* The same without derivatives, for the predictions: equal to the value
 * of seg__log_hyp2f1() to the last bit, at a fraction of its cost. */
bool seg__log_hyp2f1_f64(double a, double b, double c, double z, double *out);

/* seg__log_hyp2f1_f64() at the n <= SEG__HYP2F1_BATCH arguments z with
 * the same a, b and c, at once (the terms' ratios are shared): ok[k] says
 * whether the call for z[k] would have succeeded, and out[k] is its value,
 * to the last bit. */
#define SEG__HYP2F1_BATCH 64
void seg__log_hyp2f1_f64_n(double a, double b, double c, const double *z,
                           int n, bool *ok, double *out);
/* The same with log1p(-z[k]) given in l1z[k] (NULL: computed), for a
 * caller that needs those logarithms itself. */
void seg__log_hyp2f1_f64_nl(double a, double b, double c, const double *z,
                            const double *l1z, int n, bool *ok, double *out);

/* The most terms seg__log_hyp2f1 sums before it gives up. */
#define SEG__HYP2F1_MAX_TERMS 20000

/* Whether the series of 2F1(A, B; c; z) as seg__log_hyp2f1() sums it
 * (A, B the parameters it takes, of the Euler transform or not) cannot
 * stop within SEG__HYP2F1_MAX_TERMS terms, decided after its iteration n
 * from that iteration's term and sum: a bound, true only where the
 * series would fail, so that a caller gives up early with the same
 * result (z near 1: thousands of terms a row on every evaluation). */
bool seg__hyp2f1_hopeless(double A, double B, double c, double z, int n,
                          double t, double sum);

/* The sums 2F1(a, b; c; z[k]) - 1 of the series seg__log_hyp2f1_f64()
 * sums (of the Euler transform 2F1(c-a, c-b; c; z) where *euler says it
 * takes that), at the n arguments 0 <= z[k] < 1 at once: the terms of
 * the largest argument, to where its single call stops, are every
 * argument's coefficients, summed by Horner's rule in z[k] / max z. Far
 * cheaper than n series (a month curve's twelve), within a few ulps of
 * each single call's sum but not its last bit. False, and nothing in s,
 * where an argument is out of range, or the largest one's series fails,
 * needs more than SEG__HYP2F1_SHARED_TERMS terms or has terms of both
 * signs (whose cancellation a different order of the sums would round
 * differently): the caller then takes seg__log_hyp2f1_f64_n(). */
#define SEG__HYP2F1_SHARED_TERMS 512
bool seg__hyp2f1_sums_shared(double a, double b, double c, const double *z,
                             int n, double *s, bool *euler);

/* The integral over the real line of exp(logf(y)), by the trapezoidal
 * rule on y = m + s sinh(t) (a double-exponential rule: the tails of a
 * density in the logit of a probability decay doubly exponentially in t).
 * logf also gets log p and log(1 - p) of p = 1 / (1 + e^-y). The nodes
 * depend only on m and s, plain numbers, so the derivatives carried by
 * logf come out as the quadrature of the derivatives. Returns the log of
 * the integral, -inf if it is zero. */
#define SEG__QUAD_STEP (1.0 / 32)
#define SEG__QUAD_HALF 208 /* t from -6.5 to 6.5 */
#define SEG__QUAD_NODES (2 * SEG__QUAD_HALF + 1)
/* Node i (0 .. SEG__QUAD_NODES - 1) of that rule: its y, log p and
 * log(1 - p) at y, and the log of its weight, for a caller that sums
 * other numbers than first-order duals over the same nodes. */
void seg__quad_logit_node(int i, double m, double s, double *y, double *lp,
                          double *lq, double *lw);
seg__dual seg__quad_logit(seg__dual (*logf)(double y, double lp, double lq,
                                            void *ctx),
                          void *ctx, double m, double s);

/* log of the regularized incomplete beta function I_x(a, b), given x and
 * y = 1 - x separately so that neither loses digits near 0. False if it
 * does not converge. */
bool seg__log_betainc(double a, double b, double x, double y, double *out);

/* Minimise f over x in R^n (n <= SEG__OPT_MAXN) by BFGS with a backtracking
 * line search. f returns the value and writes the gradient; a non-finite
 * value means "outside the domain". */
typedef double (*seg__objective)(const double *x, double *grad, void *ctx);

typedef struct seg__opt_result {
    int status;        /* 0 converged, 1 iteration limit, 2 line search failed,
                          3 canceled by the progress callback */
    int iterations;
    double value;
    double grad_norm;  /* max |gradient| at the end */
} seg__opt_result;

seg__opt_result seg__minimize(seg__objective f, void *ctx, double *x, int n,
                              int max_iter, double gtol);

/* Minimise f by Newton's method on its exact Hessian: f returns the
 * value and writes the gradient and the n x n Hessian (row-major); a
 * non-finite value means "outside the domain". Where the Hessian is not
 * positive definite a multiple of the identity is added (Levenberg), and
 * every step is backtracked until it decreases f. Converged when the
 * largest gradient component is below gtol, or after a full Newton step
 * from a positive definite Hessian whose predicted decrease of f (half
 * the squared Newton decrement) is below 1e-12 (1 + |f|): the value of a
 * sum over millions of rows cannot show a smaller change, so a test of
 * the gradient alone would stall there, while Newton's error after that
 * step is about the square of it. */
typedef double (*seg__objective2)(const double *x, double *grad,
                                  double *hess, void *ctx);

seg__opt_result seg__minimize_newton(seg__objective2 f, void *ctx, double *x,
                                     int n, int max_iter, double gtol);

/* Solve H s = g for s with the Cholesky factor of the symmetric n x n
 * matrix H plus mu on its diagonal; false if that is not positive
 * definite. */
bool seg__chol_solve(const double *H, double mu, const double *g, double *s,
                     int n);

/* Invert a symmetric positive definite n x n matrix (row-major) in place.
 * Returns false if it is not positive definite. */
bool seg__spd_inverse(double *m, int n);

#endif
