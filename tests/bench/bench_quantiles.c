/* The two quantiles of the bootstrap prediction intervals alone
 * (lib/models/clv/quantiles.c), on draws shaped like a P(alive): a
 * logistic of effects that the histories share, so that histories near
 * each other are similar, as those of one (x, T) pair are.
 *
 *   bench-quantiles [D [HISTORIES [ROUNDS]]]   (default 1000 20000 5)
 *
 * Prints the processor ns per history-column (the best round, less the
 * copy of the draws that the intervals make too). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/clv/internal.h"

static uint64_t state = 12345;

static double uniform(void)
{
    state = state * 6364136223846793005u + 1442695040888963407u;
    return ((double)(state >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
    return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform());
}

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    size_t D = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
    size_t H = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000;
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    double *z = malloc(2 * D * sizeof *z), *all = malloc(H * D * sizeof *all);
    double *v = malloc(D * sizeof *v), *scratch = malloc(2 * D * sizeof *v);
    if (!D || !z || !all || !v || !scratch)
        return 1;
    for (size_t h = 0; h < H; h++) {
        /* new shared effects every 200 histories, as new pairs */
        if (h % 200 == 0)
            for (size_t i = 0; i < 2 * D; i++)
                z[i] = gauss();
        double a = 0.3 * sin((double)h * 1e-3);
        double b = 1 + 0.5 * cos((double)h * 7e-4);
        for (size_t d = 0; d < D; d++) {
            double lin = a + b * z[d] + 0.3 * z[D + d] * (double)(h % 7) / 7 +
                         0.05 * gauss();
            all[h * D + d] = 1 / (1 + exp(-lin));
        }
    }
    double best = INFINITY, copy = INFINITY, sum = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = cpu_ns();
        for (size_t h = 0; h < H; h++) {
            double lo, hi;
            memcpy(v, all + h * D, D * sizeof *v);
            seg__clv_two_quantiles(v, D, 0.05, 0.95, scratch, &lo, &hi);
            sum += hi - lo;
        }
        double t1 = cpu_ns();
        for (size_t h = 0; h < H; h++) {
            memcpy(v, all + h * D, D * sizeof *v);
            sum += v[h % D];
        }
        double t2 = cpu_ns();
        best = t1 - t0 < best ? t1 - t0 : best;
        copy = t2 - t1 < copy ? t2 - t1 : copy;
    }
    printf("D %zu, %zu histories: %.0f ns per history-column (%.0f with the "
           "copy)%s\n", D, H, (best - copy) / (double)H, best / (double)H,
           sum > 0 ? "" : " ");
    free(z);
    free(all);
    free(v);
    free(scratch);
    return 0;
}
