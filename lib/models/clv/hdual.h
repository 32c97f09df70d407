/* Second-order dual numbers: a value with its gradient and Hessian in
 * four variables, for the kinds whose Newton fit needs the exact Hessian
 * of terms too tangled to differentiate by hand. The Hessian is kept as
 * its upper triangle, ten entries, in the order of HD_IJ. Internal. */
#ifndef SEG_MODELS_CLV_HDUAL_H
#define SEG_MODELS_CLV_HDUAL_H

#include <math.h>

#define HD_N 4
#define HD_H 10

typedef struct seg__hd {
    double v;
    double g[HD_N];
    double h[HD_H];
} seg__hd;

/* the row and the column of each entry of the upper triangle */
static const int hd_i[HD_H] = {0, 0, 0, 0, 1, 1, 1, 2, 2, 3};
static const int hd_j[HD_H] = {0, 1, 2, 3, 1, 2, 3, 2, 3, 3};
/* the entry of (i, j), i <= j */
#define HD_IJ(i, j) ((i) * HD_N - (i) * ((i) + 1) / 2 + (j))

static inline seg__hd hc(double v)
{
    seg__hd r = {v, {0}, {0}};
    return r;
}

static inline seg__hd hvar(double v, int i)
{
    seg__hd r = hc(v);
    r.g[i] = 1;
    return r;
}

static inline seg__hd hadd(seg__hd a, const seg__hd *b)
{
    a.v += b->v;
    for (int i = 0; i < HD_N; i++)
        a.g[i] += b->g[i];
    for (int k = 0; k < HD_H; k++)
        a.h[k] += b->h[k];
    return a;
}

static inline seg__hd hsub(seg__hd a, const seg__hd *b)
{
    a.v -= b->v;
    for (int i = 0; i < HD_N; i++)
        a.g[i] -= b->g[i];
    for (int k = 0; k < HD_H; k++)
        a.h[k] -= b->h[k];
    return a;
}

static inline seg__hd hscale(seg__hd a, double s)
{
    a.v *= s;
    for (int i = 0; i < HD_N; i++)
        a.g[i] *= s;
    for (int k = 0; k < HD_H; k++)
        a.h[k] *= s;
    return a;
}

/* acc + s a, in place */
static inline void haxpy(seg__hd *acc, double s, const seg__hd *a)
{
    acc->v += s * a->v;
    for (int i = 0; i < HD_N; i++)
        acc->g[i] += s * a->g[i];
    for (int k = 0; k < HD_H; k++)
        acc->h[k] += s * a->h[k];
}

static inline seg__hd haddc(seg__hd a, double c)
{
    a.v += c;
    return a;
}

static inline seg__hd hmul(const seg__hd *a, const seg__hd *b)
{
    seg__hd r;
    r.v = a->v * b->v;
    for (int i = 0; i < HD_N; i++)
        r.g[i] = a->v * b->g[i] + b->v * a->g[i];
    for (int k = 0; k < HD_H; k++) {
        int i = hd_i[k], j = hd_j[k];
        r.h[k] = a->v * b->h[k] + b->v * a->h[k] + a->g[i] * b->g[j] +
                 a->g[j] * b->g[i];
    }
    return r;
}

/* f(a) from f, f' and f'' at a.v */
static inline seg__hd hchain(const seg__hd *a, double f, double f1, double f2)
{
    seg__hd r;
    r.v = f;
    for (int i = 0; i < HD_N; i++)
        r.g[i] = f1 * a->g[i];
    for (int k = 0; k < HD_H; k++)
        r.h[k] = f1 * a->h[k] + f2 * a->g[hd_i[k]] * a->g[hd_j[k]];
    return r;
}

static inline seg__hd hlog(const seg__hd *a)
{
    double u = 1 / a->v;
    return hchain(a, log(a->v), u, -u * u);
}

/* log(1 + a) */
static inline seg__hd hlog1p(const seg__hd *a)
{
    double u = 1 / (1 + a->v);
    return hchain(a, log1p(a->v), u, -u * u);
}

/* log(1 - a) */
static inline seg__hd hlog1m(const seg__hd *a)
{
    double u = 1 / (1 - a->v);
    return hchain(a, log1p(-a->v), -u, -u * u);
}

/* log(exp(a) + exp(b)) without overflow */
static inline seg__hd hlogsumexp(const seg__hd *a, const seg__hd *b)
{
    if (b->v > a->v) {
        const seg__hd *t = a;
        a = b;
        b = t;
    }
    if (b->v == -INFINITY)
        return *a;
    double e = exp(b->v - a->v), wb = e / (1 + e), wa = 1 - wb;
    seg__hd r;
    r.v = a->v + log1p(e);
    double d[HD_N];
    for (int i = 0; i < HD_N; i++) {
        r.g[i] = wa * a->g[i] + wb * b->g[i];
        d[i] = a->g[i] - b->g[i];
    }
    for (int k = 0; k < HD_H; k++)
        r.h[k] = wa * a->h[k] + wb * b->h[k] +
                 wa * wb * d[hd_i[k]] * d[hd_j[k]];
    return r;
}

/* log(exp(a) - exp(b)) for a > b: a + log(1 - e^(b - a)) */
static inline seg__hd hlogdiffexp(const seg__hd *a, const seg__hd *b)
{
    seg__hd t = hsub(*b, a);
    double e = exp(t.v), u = 1 / (1 - e);
    seg__hd l = hchain(&t, log1p(-e), -e * u, -e * u * u);
    return hadd(l, a);
}

/* The gradient of s into grad and its Hessian, in full, row-major, into
 * hess; either may be NULL. */
static inline void hd_out(const seg__hd *s, double *grad, double *hess)
{
    if (grad)
        for (int i = 0; i < HD_N; i++)
            grad[i] = s->g[i];
    if (hess)
        for (int i = 0; i < HD_N; i++)
            for (int j = 0; j < HD_N; j++)
                hess[i * HD_N + j] = s->h[HD_IJ(i < j ? i : j, i < j ? j : i)];
}

#endif /* SEG_MODELS_CLV_HDUAL_H */
