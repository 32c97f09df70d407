/* The prediction intervals on the synthetic bench set: a purchase model
 * (or clv) fitted on the summary CSV that jobs.py caches (columns
 * customer_id, frequency, recency = t_x, T, monetary_value, in days), then
 * scored without and with bootstrap intervals, timed apart.
 *
 *   bench-intervals SUMMARY.csv [KIND [DRAWS [THREADS]]]
 *                                   (default clv 1000 0: the processors)
 *
 * Prints the wall and CPU seconds of the fit, of the plain score and of
 * the score with intervals, and the distinct histories. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <segment.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static int fail(const char *what, const char *msg)
{
    fprintf(stderr, "%s: %s\n", what, msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return fail("usage", "bench-intervals SUMMARY.csv [KIND [DRAWS "
                    "[THREADS]]]");
    const char *kind = argc > 2 ? argv[2] : "clv";
    const char *draws = argc > 3 ? argv[3] : "1000";
    const char *threads = argc > 4 ? argv[4] : "0";
    seg_dataset *ds;
    seg_dataset_new(&ds);
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.all_attributes = 1;
    if (seg_dataset_load_csv(ds, argv[1], &o))
        return fail("load", seg_dataset_errmsg(ds));
    seg_dataset_set_column_kind(ds, "recency", SEG_KIND_DAYS);
    seg_dataset_set_column_kind(ds, "T", SEG_KIND_DAYS);
    seg_model *m;
    if (seg_model_new(&m, kind) || seg_model_set(m, "t_x_column", "recency"))
        return fail("model", seg_errmsg());
    if (!strcmp(kind, "clv") &&
        seg_model_set(m, "m_column", "monetary_value"))
        return fail("model", seg_model_errmsg(m));
    double w0 = now(), c0 = cpu();
    if (seg_model_fit(m, ds))
        return fail("fit", seg_model_errmsg(m));
    double w1 = now(), c1 = cpu();
    if (seg_model_score(m, ds))
        return fail("score", seg_model_errmsg(m));
    double w2 = now(), c2 = cpu();
    if (seg_model_set(m, "interval", "0.9") ||
        seg_model_set(m, "draws", draws) ||
        seg_model_set(m, "threads", threads) || seg_model_fit(m, ds))
        return fail("refit", seg_model_errmsg(m));
    double w3 = now(), c3 = cpu();
    if (seg_model_score(m, ds))
        return fail("score with intervals", seg_model_errmsg(m));
    double w4 = now(), c4 = cpu();
    double rows = 0;
    seg_model_result(m, "rows", &rows);
    printf("customers %zu, distinct histories %.0f, %s draws, model %s\n",
           seg_dataset_customer_count(ds), rows, draws, kind);
    printf("fit                 wall %8.3f s  cpu %8.3f s\n", w1 - w0, c1 - c0);
    printf("score               wall %8.3f s  cpu %8.3f s\n", w2 - w1, c2 - c1);
    printf("score + intervals   wall %8.3f s  cpu %8.3f s\n", w4 - w3, c4 - c3);
    seg_model_free(m);
    seg_dataset_free(ds);
    return 0;
}
