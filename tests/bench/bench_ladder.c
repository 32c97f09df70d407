/* The ladder replay on an order log (docs/bench.md): load the file, then
 * time seg_ladder_apply() alone, in wall time and in the process's CPU
 * time, which is the time of the one thread that replays. Prints the
 * best of the runs. Usage: bench-ladder ORDERS.csv [RUNS] */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <segment.h>

static double clock_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const char spec[] =
    "period = 365d\n"
    "points amount = 1\n"
    "tier Member = 0\n"
    "tier Silver = 200 keep 100\n"
    "tier Gold = 600 keep 300\n"
    "tier Platinum = 1500 keep 800\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("usage: bench-ladder ORDERS.csv [RUNS]\n", stderr);
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    seg_dataset *ds;
    seg_ladder *l;
    if (seg_dataset_new(&ds) || seg_dataset_load_csv(ds, argv[1], NULL) ||
        seg_ladder_parse(&l, spec, strlen(spec), "bench")) {
        fprintf(stderr, "%s\n", seg_errmsg());
        return 1;
    }
    double best_wall = 1e30, best_cpu = 1e30;
    for (int i = 0; i < runs; i++) {
        double w = clock_s(CLOCK_MONOTONIC);
        double c = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        if (seg_ladder_apply(l, ds, SEG_TIME_NONE)) {
            fprintf(stderr, "%s\n", seg_ladder_errmsg(l));
            return 1;
        }
        c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c;
        w = clock_s(CLOCK_MONOTONIC) - w;
        if (w < best_wall)
            best_wall = w;
        if (c < best_cpu)
            best_cpu = c;
    }
    printf("ladder replay: %zu customers, %zu transactions: %.3f s wall, "
           "%.3f s CPU (best of %d)\n", seg_dataset_customer_count(ds),
           seg_dataset_transaction_count(ds), best_wall, best_cpu, runs);
    seg_ladder_free(l);
    seg_dataset_free(ds);
    return 0;
}
