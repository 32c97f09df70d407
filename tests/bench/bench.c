/* Ingest and feature benchmark on a synthetic transaction file.
 *
 *   bench [CUSTOMERS [ROWS [DIR]]]     (default 1000000 10000000 /tmp)
 *   bench gen CUSTOMERS ROWS FILE      only write the file
 *   bench rfm FILE                     CSV to RFM scores, timed
 *   bench rules CUSTOMERS              a 10-rule tier set, timed
 *   bench kmeans FILE K N_INIT         k-means fit on a summary CSV, timed
 *   bench attrs FILE                   an attribute file's load, timed, and
 *                                      a hash of its ids and values
 *
 * The file is generated with a fixed seed: every customer buys over three
 * years, the number of orders and the spend are heavy-tailed. Reported:
 * ingest MB/s, feature time, and peak memory per transaction. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <segment.h>

static uint64_t s = 0x243F6A8885A308D3ull;
static uint64_t rnd(void)
{
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}
static double unif(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long peak_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int generate(long customers, long rows, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    /* Orders per customer: 1 + a geometric-like heavy tail, rescaled so the
     * total is `rows`; spend: log-normal. Customers are written one after
     * another, their orders in time order, as exports from a shop are. */
    fputs("customer_id,date,amount\n", f);
    const int64_t start = 1609459200; /* 2021-01-01 */
    const int64_t span = 3 * 365 * 86400LL;
    long written = 0;
    for (long c = 0; c < customers; c++) {
        long left = rows - written, cust_left = customers - c;
        long mean = left / cust_left;
        long k = 1 + (long)((double)(2 * mean - 2) * unif() * unif() * 2);
        if (k > left - (cust_left - 1))
            k = left - (cust_left - 1);
        if (c == customers - 1)
            k = left;
        if (k < 1)
            k = 1;
        int64_t t = start + (int64_t)(unif() * span * 0.5);
        for (long j = 0; j < k; j++) {
            double z = sqrt(-2 * log(unif() + 1e-300)) * cos(6.283185307 * unif());
            double amount = exp(3.0 + 0.9 * z);
            fprintf(f, "C%08ld,%lld,%.2f\n", c, (long long)t, amount);
            t += 3600 + (int64_t)(unif() * (double)(span / (2 * k)));
        }
        written += k;
    }
    if (fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

/* CSV to RFM scores, as a host would run it. */
static int rfm(const char *path)
{
    double t0 = now();
    seg_dataset *ds;
    seg_model *m;
    seg_dataset_new(&ds);
    seg_features_options fo;
    seg_features_options_init(&fo);
    if (seg_dataset_load_csv(ds, path, NULL) ||
        seg_dataset_compute_features(ds, &fo) || seg_model_new(&m, "rfm") ||
        seg_model_fit(m, ds) || seg_model_score(m, ds)) {
        fprintf(stderr, "%s\n", seg_errmsg());
        return 1;
    }
    printf("libsegment rfm: %.3f s, %zu customers\n", now() - t0,
           seg_dataset_customer_count(ds));
    seg_model_free(m);
    seg_dataset_free(ds);
    return 0;
}

/* A 10-rule tier set over synthetic columns of n customers. */
static int rules(long n)
{
    seg_dataset *ds;
    seg_dataset_new(&ds);
    double *v[4];
    const char **ch = malloc((size_t)n * sizeof *ch);
    static const char *const chans[] = {"organic", "social", "ads", "email"};
    for (int c = 0; c < 4; c++)
        v[c] = malloc((size_t)n * sizeof **v);
    char id[32];
    for (long i = 0; i < n; i++) {
        snprintf(id, sizeof id, "C%08ld", i);
        seg_dataset_add_customer(ds, id, NULL);
        v[0][i] = exp(3 + 1.2 * sqrt(-2 * log(unif() + 1e-300)) *
                              cos(6.283185307 * unif()));
        v[1][i] = 1 + floor(-log(unif() + 1e-300) * 3);
        v[2][i] = floor(unif() * 720);
        v[3][i] = unif() < 0.05 ? NAN : unif();
        ch[i] = chans[rnd() % 4];
    }
    seg_dataset_write_f64(ds, "monetary_total", v[0], (size_t)n);
    seg_dataset_write_f64(ds, "orders", v[1], (size_t)n);
    seg_dataset_write_f64(ds, "recency", v[2], (size_t)n);
    seg_dataset_write_f64(ds, "clv.p_alive", v[3], (size_t)n);
    seg_dataset_write_labels(ds, "channel", ch, (size_t)n);
    const char *text =
        "tier \"VIP\" when monetary_total >= p95(monetary_total) and orders >= 5\n"
        "tier \"Loyal\" when orders >= 6 and recency <= 60d\n"
        "tier \"Big spender\" when monetary_total >= p80(monetary_total)\n"
        "tier \"At risk\" when orders >= 3 and recency between 120d and 365d\n"
        "tier \"Social new\" when channel = \"social\" and orders = 1 and recency < 30d\n"
        "tier \"Ads\" when channel in (\"ads\", \"email\") and clv.p_alive > 0.8\n"
        "tier \"Unknown\" when clv.p_alive is missing\n"
        "tier \"Promising\" when monetary_total / orders > mean(monetary_total) and recency < 90d\n"
        "tier \"Sleeping\" when recency > 365d and not orders > 2\n"
        "otherwise \"Other\"\n";
    seg_rules *r;
    if (seg_rules_parse(&r, text, strlen(text), "bench.rules")) {
        fprintf(stderr, "%s\n", seg_errmsg());
        return 1;
    }
    double best = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        double a = now();
        if (seg_rules_apply(r, ds, "tier")) {
            fprintf(stderr, "%s\n", seg_rules_errmsg(r));
            return 1;
        }
        double t = now() - a;
        best = t < best ? t : best;
    }
    printf("rules           %.1f ms for %ld customers through 10 tier rules "
           "(best of 5; target 50)\n", best * 1e3, n);
    seg_rules_free(r);
    seg_dataset_free(ds);
    for (int c = 0; c < 4; c++)
        free(v[c]);
    free(ch);
    return 0;
}

/* k-means fit on a summary CSV (columns id,r,f,m), timed apart from the
 * load. */
static int kmeans(const char *path, const char *k, const char *n_init)
{
    seg_dataset *ds;
    seg_dataset_new(&ds);
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.all_attributes = 1;
    seg_model *m;
    if (seg_dataset_load_csv(ds, path, &o) || seg_model_new(&m, "kmeans") ||
        seg_model_set(m, "features", "r,f,m") || seg_model_set(m, "k", k) ||
        seg_model_set(m, "n_init", n_init) ||
        seg_model_set(m, "standardize", "0")) {
        fprintf(stderr, "%s\n", seg_errmsg());
        return 1;
    }
    double a = now();
    if (seg_model_fit(m, ds)) {
        fprintf(stderr, "%s\n", seg_model_errmsg(m));
        return 1;
    }
    double t = now() - a, inertia;
    seg_model_result(m, "inertia", &inertia);
    printf("%.6f %.10g\n", t, inertia);
    seg_model_free(m);
    seg_dataset_free(ds);
    return 0;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ull;
    return h;
}

/* The processor seconds of this process so far. */
static double cpu_now(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

/* An attribute file (a summary, features: id column customer_id) loaded
 * once: wall and processor seconds of the load, MB per each, and a hash
 * of the ids, column names and every value (a number's bits, a label's
 * text), to compare two builds. */
static int attrs(const char *path)
{
    seg_dataset *ds;
    seg_dataset_new(&ds);
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.all_attributes = 1;
    o.id_column = "customer_id";
    double w = now(), c = cpu_now();
    if (seg_dataset_load_csv(ds, path, &o)) {
        fprintf(stderr, "%s\n", seg_dataset_errmsg(ds));
        return 1;
    }
    w = now() - w;
    c = cpu_now() - c;
    size_t n = seg_dataset_customer_count(ds);
    uint64_t h = 1469598103934665603ull;
    for (size_t r = 0; r < n; r++) {
        const char *id = seg_dataset_customer_id(ds, r);
        h = fnv(h, id, strlen(id) + 1);
    }
    double *v = malloc((n ? n : 1) * sizeof *v);
    const char **l = malloc((n ? n : 1) * sizeof *l);
    for (size_t k = 0; k < seg_dataset_column_count(ds); k++) {
        const char *name = seg_dataset_column_name(ds, k);
        h = fnv(h, name, strlen(name) + 1);
        if (seg_dataset_column_type(ds, name) == SEG_COLUMN_NUMERIC) {
            seg_dataset_copy_f64(ds, name, v, n);
            h = fnv(h, v, n * sizeof *v);
            continue;
        }
        seg_dataset_copy_labels(ds, name, l, n);
        for (size_t r = 0; r < n; r++)
            h = l[r] ? fnv(h, l[r], strlen(l[r]) + 1) : fnv(h, "\1", 1);
    }
    FILE *f = fopen(path, "rb");
    long size = f && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : 0;
    if (f)
        fclose(f);
    printf("customers %zu columns %zu hash %016llx load %.3f s wall %.3f s "
           "cpu, %.0f MB/s wall, %.0f MB/s cpu\n",
           n, seg_dataset_column_count(ds), (unsigned long long)h, w, c,
           (double)size / 1e6 / w, (double)size / 1e6 / c);
    free(v);
    free(l);
    seg_dataset_free(ds);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "attrs") == 0)
        return attrs(argv[2]);
    if (argc == 3 && strcmp(argv[1], "rules") == 0)
        return rules(atol(argv[2]));
    if (argc == 5 && strcmp(argv[1], "kmeans") == 0)
        return kmeans(argv[2], argv[3], argv[4]);
    if (argc == 5 && strcmp(argv[1], "gen") == 0)
        return generate(atol(argv[2]), atol(argv[3]), argv[4]);
    if (argc == 3 && strcmp(argv[1], "rfm") == 0)
        return rfm(argv[2]);
    long customers = argc > 1 ? atol(argv[1]) : 1000000;
    long rows = argc > 2 ? atol(argv[2]) : 10000000;
    const char *dir = argc > 3 ? argv[3] : "/tmp";
    if (customers <= 0 || rows < customers) {
        fprintf(stderr, "usage: bench [CUSTOMERS [ROWS [DIR]]]\n");
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/seg-bench-%ld-%ld.csv", dir, customers,
             rows);
    if (generate(customers, rows, path))
        return 1;
    FILE *g = fopen(path, "r");
    fseek(g, 0, SEEK_END);
    double mb = (double)ftell(g) / 1e6;
    fclose(g);

    long base_kib = peak_kib();
    seg_dataset *ds = NULL;
    double load[3];
    for (int rep = 0; rep < 3; rep++) { /* the last one is kept */
        seg_dataset_free(ds);
        seg_dataset_new(&ds);
        double t0 = now();
        if (seg_dataset_load_csv(ds, path, NULL) != SEG_OK) {
            fprintf(stderr, "%s\n", seg_dataset_errmsg(ds));
            return 1;
        }
        load[rep] = now() - t0;
    }
    double lbest = load[0], lmed;
    for (int i = 1; i < 3; i++)
        lbest = load[i] < lbest ? load[i] : lbest;
    lmed = load[0] + load[1] + load[2] - lbest -
           (load[0] > load[1] ? (load[0] > load[2] ? load[0] : load[2])
                              : (load[1] > load[2] ? load[1] : load[2]));
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.time_unit = SEG_UNIT_WEEK;
    double best = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        double a = now();
        if (seg_dataset_compute_features(ds, &fo) != SEG_OK) {
            fprintf(stderr, "%s\n", seg_dataset_errmsg(ds));
            return 1;
        }
        double b = now() - a;
        best = b < best ? b : best;
    }
    long peak = peak_kib();
    size_t ntx = seg_dataset_transaction_count(ds);
    size_t nc = seg_dataset_customer_count(ds);
    printf("file            %.1f MB, %zu customers, %zu transactions\n", mb,
           nc, ntx);
    printf("ingest          %.3f s, %.0f MB/s (best of 3; median %.0f MB/s; "
           "target 500)\n", lbest, mb / lbest, mb / lmed);
    printf("features        %.1f ms for %zu customers (best of 3; target 100)\n",
           best * 1e3, nc);
    printf("peak memory     %.1f bytes per transaction, ids included "
           "(target 64 + ids)\n",
           (double)(peak - base_kib) * 1024.0 / (double)ntx);
    seg_dataset_free(ds);
    unlink(path);
    return 0;
}
