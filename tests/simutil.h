/* Seeded draws for simulated customers in the tests: xorshift64
 * uniforms, Box-Muller normals, Marsaglia and Tsang gammas, betas from
 * two gammas. One stream per test program, the same every run. */
#ifndef SEG_SIMUTIL_H
#define SEG_SIMUTIL_H

#include <math.h>
#include <stdint.h>

static uint64_t g_rng = 0x2545F4914F6CDD1Dull;
static double unif(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return ((double)(g_rng >> 11) + 0.5) / 9007199254740992.0;
}
static double normal(void)
{
    return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif());
}
/* Marsaglia and Tsang */
static double gamma_rv(double shape)
{
    if (shape < 1)
        return gamma_rv(shape + 1) * pow(unif(), 1 / shape);
    double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x = normal(), v = 1 + c * x;
        if (v <= 0)
            continue;
        v = v * v * v;
        double u = unif();
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v;
    }
}
static double beta_rv(double a, double b)
{
    double x = gamma_rv(a);
    return x / (x + gamma_rv(b));
}

/* A BG/NBD customer's repeat purchases in (0, T]: at rate lambda, each
 * followed by a dropout with probability drop. */
static void bgnbd_history(double lambda, double drop, double T, double *x,
                          double *tx)
{
    double t = 0;
    *x = *tx = 0;
    for (;;) {
        t += -log(unif()) / lambda;
        if (t > T)
            break;
        ++*x;
        *tx = t;
        if (unif() < drop)
            break;
    }
}

#endif /* SEG_SIMUTIL_H */
