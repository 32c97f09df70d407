/* Behavioural models on hand-built histories, k-means on synthetic blobs,
 * and an acquisition channel used as a plain label column. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "testutil.h"

#define DAY 86400
static const int64_t NOW = 20000 * (int64_t)DAY; /* 2024-10-04 */

static void ev(seg_dataset *ds, const char *id, double days_ago,
               const char *kind)
{
    assert_ok(seg_dataset_add_event(ds, id, NOW - (int64_t)(days_ago * DAY),
                                    kind, NAN));
}

static void buy(seg_dataset *ds, const char *id, double days_ago)
{
    assert_ok(seg_dataset_add_transaction(ds, id,
                                          NOW - (int64_t)(days_ago * DAY), 10));
}

static seg_dataset *histories(void)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    /* active: bought, and many recent interactions */
    buy(ds, "active", 3);
    ev(ds, "active", 1, "visit");
    ev(ds, "active", 2, "email_click");
    /* silent: bought, last seen 90 days ago */
    buy(ds, "silent", 90);
    ev(ds, "silent", 95, "visit");
    /* potential: interested, never bought */
    ev(ds, "potential", 2, "pricing_view");
    ev(ds, "potential", 1, "cart");
    /* lost: bought long ago */
    buy(ds, "lost", 400);
    buy(ds, "lost", 300);
    /* repeat buyer, recent */
    buy(ds, "repeat", 50);
    buy(ds, "repeat", 10);
    /* a visitor only */
    ev(ds, "looker", 5, "visit");
    /* an event at NOW marks the end of the data */
    ev(ds, "clock", 0, "visit");
    /* only an attribute: no level, no stage */
    assert_ok(seg_dataset_set_attribute_str(ds, "ghost", "channel", "ads"));
    return ds;
}

static void test_engagement_levels(void **state)
{
    (void)state;
    seg_dataset *ds = histories();
    seg_model *m;
    assert_ok(seg_model_new(&m, "engagement"));
    assert_ok(seg_model_set_str(m, "weights", "email_click=2,cart=4"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    assert_string_equal(id_label(ds, "engagement.level", "active"), "active");
    assert_string_equal(id_label(ds, "engagement.level", "silent"), "silent");
    assert_string_equal(id_label(ds, "engagement.level", "potential"), "potential");
    assert_string_equal(id_label(ds, "engagement.level", "lost"), "lost");
    assert_string_equal(id_label(ds, "engagement.level", "looker"), "potential");
    assert_null(id_label(ds, "engagement.level", "ghost"));
    /* the score by hand: weights x 2^(-days / 30) */
    double want = 3 * exp2(-3 / 30.0) + 1 * exp2(-1 / 30.0) +
                  2 * exp2(-2 / 30.0);
    assert_near(id_num(ds, "engagement.score", "active"), want, 1e-9);
    assert_near(id_num(ds, "engagement.days_since_last", "silent"), 90, 1e-9);
    /* Chinese labels, and a different as_of moves everyone in time */
    assert_ok(seg_model_set_str(m, "language", "zh"));
    assert_ok(seg_model_set_str(m, "as_of", "2025-10-04"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    assert_string_equal(id_label(ds, "engagement.level", "active"), "流失");
    assert_string_equal(id_label(ds, "engagement.level", "potential"), "流失");
    /* bad parameters */
    assert_ok(seg_model_set_str(m, "weights", "visit"));
    assert_int_equal(seg_model_fit(m, ds), SEG_EPARSE);
    assert_ok(seg_model_set_str(m, "weights", "visit=abc"));
    assert_int_equal(seg_model_fit(m, ds), SEG_ERANGE);
    assert_ok(seg_model_set_str(m, "weights", ""));
    assert_ok(seg_model_set_str(m, "as_of", "yesterday"));
    assert_int_equal(seg_model_fit(m, ds), SEG_EPARSE);
    seg_model_free(m);
    seg_dataset_free(ds);
}

static void test_stages(void **state)
{
    (void)state;
    seg_dataset *ds = histories();
    ev(ds, "comparer", 20, "visit");
    ev(ds, "comparer", 10, "demo");
    ev(ds, "decider", 30, "quote");
    ev(ds, "decider", 5, "visit");
    ev(ds, "old", 200, "cart");
    seg_model *m;
    assert_ok(seg_model_new(&m, "stage"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    assert_string_equal(id_label(ds, "stage.name", "looker"), "awareness");
    assert_string_equal(id_label(ds, "stage.name", "comparer"), "comparison");
    assert_string_equal(id_label(ds, "stage.name", "decider"), "decision");
    assert_string_equal(id_label(ds, "stage.name", "potential"), "decision");
    assert_string_equal(id_label(ds, "stage.name", "active"), "customer");
    assert_string_equal(id_label(ds, "stage.name", "repeat"), "repeat");
    assert_string_equal(id_label(ds, "stage.name", "lost"), "lapsed");
    assert_string_equal(id_label(ds, "stage.name", "old"), "lapsed");
    assert_null(id_label(ds, "stage.name", "ghost"));
    assert_near(id_num(ds, "stage.index", "comparer"), 2, 0);
    assert_near(id_num(ds, "stage.index", "repeat"), 5, 0);
    assert_near(id_num(ds, "stage.index", "lost"), 0, 0);
    assert_near(id_num(ds, "stage.days_in_stage", "comparer"), 10, 0);
    assert_near(id_num(ds, "stage.days_in_stage", "decider"), 30, 0);
    assert_near(id_num(ds, "stage.days_in_stage", "repeat"), 10, 0);
    assert_near(id_num(ds, "stage.days_in_stage", "lost"), 300, 0);
    /* the mapping and the window are parameters */
    assert_ok(seg_model_set_str(m, "mapping", "visit=decision"));
    assert_ok(seg_model_set_f64(m, "window_days", 7));
    assert_ok(seg_model_set_str(m, "language", "zh"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    assert_string_equal(id_label(ds, "stage.name", "looker"), "决策");
    /* lapsed is 沉睡, apart from engagement's lost (流失) */
    assert_string_equal(id_label(ds, "stage.name", "comparer"), "沉睡");
    assert_ok(seg_model_set_str(m, "mapping", "visit=buying"));
    assert_int_equal(seg_model_fit(m, ds), SEG_ERANGE);
    seg_model_free(m);
    seg_dataset_free(ds);
}

/* ---- k-means ---- */

static uint64_t g_rng = 12345;
static double unif(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (double)(g_rng >> 11) / 9007199254740992.0;
}

/* 4 well separated blobs in 3 dimensions; the blob is in column "truth" */
static seg_dataset *blobs(size_t per)
{
    static const double centre[4][3] = {
        {0, 0, 0}, {100, 0, 0}, {0, 100, 50}, {100, 100, 100}};
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    size_t n = 4 * per;
    double *c[4];
    for (int f = 0; f < 4; f++)
        c[f] = malloc(n * sizeof **c);
    for (size_t i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "p%zu", i);
        assert_ok(seg_dataset_add_customer(ds, id, NULL));
        size_t b = i % 4;
        for (int f = 0; f < 3; f++)
            c[f][i] = centre[b][f] + 10 * (unif() - 0.5);
        c[3][i] = (double)b;
    }
    assert_ok(seg_dataset_write_f64(ds, "x", c[0], n));
    assert_ok(seg_dataset_write_f64(ds, "y", c[1], n));
    assert_ok(seg_dataset_write_f64(ds, "z", c[2], n));
    assert_ok(seg_dataset_write_f64(ds, "truth", c[3], n));
    for (int f = 0; f < 4; f++)
        free(c[f]);
    return ds;
}

/* The kinds the project's examples use are in the default mapping:
 * demo_request and cart_add are decisions, pricing_view a comparison
 * (examples/data/lead_events.csv, docs/rules.md) */
static void test_stage_default_kinds(void **state)
{
    (void)state;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    ev(ds, "demo", 5, "pricing_view");
    ev(ds, "demo", 3, "demo_request");
    ev(ds, "cart", 2, "cart_add");
    ev(ds, "price", 1, "pricing_view");
    ev(ds, "clock", 0, "visit");
    seg_model *m;
    assert_ok(seg_model_new(&m, "stage"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    assert_string_equal(id_label(ds, "stage.name", "demo"), "decision");
    assert_near(id_num(ds, "stage.days_in_stage", "demo"), 3, 0);
    assert_string_equal(id_label(ds, "stage.name", "cart"), "decision");
    assert_string_equal(id_label(ds, "stage.name", "price"), "comparison");
    assert_string_equal(id_label(ds, "stage.name", "clock"), "awareness");
    seg_model_free(m);
    seg_dataset_free(ds);
}

static void test_kmeans_recovers_blobs(void **state)
{
    (void)state;
    seg_dataset *ds = blobs(250);
    seg_model *m;
    assert_ok(seg_model_new(&m, "kmeans"));
    assert_ok(seg_model_set_str(m, "features", "x,y,z"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    size_t n = seg_dataset_customer_count(ds);
    double *cl = malloc(n * sizeof *cl), *truth = malloc(n * sizeof *truth);
    assert_ok(seg_dataset_copy_f64(ds, "kmeans.cluster", cl, n));
    assert_ok(seg_dataset_copy_f64(ds, "truth", truth, n));
    /* the same partition: one cluster per blob, and every point with it */
    int map[4] = {-1, -1, -1, -1};
    for (size_t i = 0; i < n; i++) {
        int b = (int)truth[i];
        if (map[b] < 0)
            map[b] = (int)cl[i];
        assert_int_equal(map[b], (int)cl[i]);
    }
    for (int a = 0; a < 4; a++)
        for (int b = a + 1; b < 4; b++)
            assert_int_not_equal(map[a], map[b]);
    double v;
    assert_ok(seg_model_result(m, "customers", &v));
    assert_near(v, 1000, 0);

    /* the profile table: sizes and centroids in original units */
    char *s = NULL;
    assert_ok(seg_model_report(m, NULL, "profile", SEG_FORMAT_CSV, collect,
                               &s));
    assert_non_null(strstr(s, "cluster,size,share,x,y,z\n"));
    assert_non_null(strstr(s, ",250,0.25,"));
    free(s);

    /* the same seed gives the same result; a saved model scores the same */
    seg_model *again;
    assert_ok(seg_model_new(&again, "kmeans"));
    assert_ok(seg_model_set_str(again, "features", "x,y,z"));
    assert_ok(seg_model_set_name(again, "k2"));
    assert_ok(seg_model_fit(again, ds));
    double i1, i2;
    assert_ok(seg_model_result(m, "inertia", &i1));
    assert_ok(seg_model_result(again, "inertia", &i2));
    assert_true(i1 == i2);
    /* and the same whatever the number of threads sharing the runs */
    for (int t = 1; t <= 3; t++) {
        assert_ok(seg_model_set_int(again, "threads", t));
        assert_ok(seg_model_fit(again, ds));
        assert_ok(seg_model_result(again, "inertia", &i2));
        assert_true(i1 == i2);
    }
    char path[] = "/tmp/seg-km-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_ok(seg_model_save(m, path));
    seg_model *loaded;
    assert_ok(seg_model_load(&loaded, path));
    assert_ok(seg_model_set_name(loaded, "k3"));
    assert_ok(seg_model_score(loaded, ds));
    double *cl3 = malloc(n * sizeof *cl3);
    assert_ok(seg_dataset_copy_f64(ds, "k3.cluster", cl3, n));
    assert_memory_equal(cl, cl3, n * sizeof *cl);
    remove(path);
    free(cl3);

    /* silhouette: k = 4 is best on four blobs */
    s = NULL;
    assert_ok(seg_model_set_int(again, "k_max", 6));
    assert_ok(seg_model_fit(again, ds));
    assert_ok(seg_model_report(again, ds, "silhouette", SEG_FORMAT_CSV,
                               collect, &s));
    assert_non_null(strstr(s, "best,4,"));
    free(s);
    seg_model_free(loaded);
    seg_model_free(again);
    seg_model_free(m);
    free(cl);
    free(truth);
    seg_dataset_free(ds);
}

static void test_kmeans_missing_and_transforms(void **state)
{
    (void)state;
    seg_dataset *ds = blobs(10);
    double x;
    size_t n = seg_dataset_customer_count(ds);
    double *v = malloc(n * sizeof *v);
    assert_ok(seg_dataset_copy_f64(ds, "y", v, n));
    for (size_t i = 0; i < n; i++)
        v[i] = fabs(v[i]); /* log1p needs values above -1 */
    assert_ok(seg_dataset_write_f64(ds, "y", v, n));
    assert_ok(seg_dataset_copy_f64(ds, "x", v, n));
    v[3] = NAN; /* a customer with a missing feature */
    assert_ok(seg_dataset_write_f64(ds, "x", v, n));
    seg_model *m;
    assert_ok(seg_model_new(&m, "kmeans"));
    assert_ok(seg_model_set_str(m, "features", "x,y,z"));
    assert_ok(seg_model_set_str(m, "log1p", "y"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_result(m, "missing", &x));
    assert_near(x, 1, 0);
    assert_ok(seg_model_score(m, ds));
    assert_ok(seg_dataset_get_f64(ds, "kmeans.cluster", 3, &x));
    assert_true(isnan(x));
    assert_ok(seg_dataset_get_f64(ds, "kmeans.cluster", 4, &x));
    assert_false(isnan(x));
    /* log1p of a value <= -1 is an error naming the customer */
    assert_ok(seg_dataset_copy_f64(ds, "y", v, n));
    v[5] = -3;
    assert_ok(seg_dataset_write_f64(ds, "y", v, n));
    assert_int_equal(seg_model_fit(m, ds), SEG_ERANGE);
    assert_non_null(strstr(seg_model_errmsg(m), "p5"));
    /* unknown feature; k larger than the rows */
    assert_ok(seg_model_set_str(m, "features", "x,nope"));
    assert_int_equal(seg_model_fit(m, ds), SEG_ENOTFOUND);
    assert_ok(seg_model_set_str(m, "features", "z"));
    assert_ok(seg_model_set_str(m, "log1p", ""));
    assert_ok(seg_model_set_int(m, "k", 1000));
    assert_int_equal(seg_model_fit(m, ds), SEG_ERANGE);
    /* explicit initial centroids */
    assert_ok(seg_model_set_int(m, "k", 2));
    assert_ok(seg_model_set_str(m, "init", "-1;1"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_set_str(m, "init", "1,2;3"));
    assert_int_equal(seg_model_fit(m, ds), SEG_EPARSE);
    free(v);
    seg_model_free(m);
    seg_dataset_free(ds);
}

/* ---- an acquisition channel is just a label column ---- */

/* ---- a small JSON checker: whether a text is one valid JSON value ---- */

static const char *json_value(const char *p);

static const char *json_ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    return p;
}

static const char *json_string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    for (; *p != '"'; p++) {
        if ((unsigned char)*p < 0x20)
            return NULL;
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
                        return NULL;
                p += 4;
            } else if (!*p || !strchr("\"\\/bfnrt", *p)) {
                return NULL;
            }
        }
    }
    return p + 1;
}

static const char *json_list(const char *p, char close, bool members)
{
    p = json_ws(p + 1);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (members) {
            p = json_string(json_ws(p));
            if (!p || *(p = json_ws(p)) != ':')
                return NULL;
            p++;
        }
        p = json_value(p);
        if (!p)
            return NULL;
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

static const char *json_value(const char *p)
{
    p = json_ws(p);
    const char *e = NULL;
    if (*p == '{')
        e = json_list(p, '}', true);
    else if (*p == '[')
        e = json_list(p, ']', false);
    else if (*p == '"')
        e = json_string(p);
    else if (!strncmp(p, "null", 4) || !strncmp(p, "true", 4))
        e = p + 4;
    else if (!strncmp(p, "false", 5))
        e = p + 5;
    else if (*p == '-' || (*p >= '0' && *p <= '9')) {
        char *end;
        strtod(p, &end);
        e = end;
    }
    return e ? json_ws(e) : NULL;
}

static bool json_valid(const char *s)
{
    const char *e = json_value(s);
    return e && *e == '\0';
}

/* The model's report through seg_model_report(), as text. */
static char *report(const seg_model *m, const seg_dataset *ds,
                    const char *name, int format)
{
    char *s = NULL;
    assert_ok(seg_model_report(m, ds, name, format, collect, &s));
    assert_non_null(s);
    return s;
}

static void test_kmeans_report_tables(void **state)
{
    (void)state;
    seg_dataset *ds = blobs(50);
    seg_model *m;
    assert_ok(seg_model_new(&m, "kmeans"));
    assert_ok(seg_model_set_str(m, "features", "x,y,z"));
    assert_ok(seg_model_set_int(m, "k_max", 5));
    seg_table *t = (seg_table *)1;
    assert_int_equal(seg_model_report_table(&t, m, ds, "profile"),
                     SEG_EMISUSE);
    assert_null(t);
    assert_ok(seg_model_fit(m, ds));

    /* the table is what the report writes */
    assert_ok(seg_model_report_table(&t, m, NULL, "profile"));
    assert_string_equal(seg_table_name(t), "profile");
    assert_int_equal(seg_table_row_count(t), 4);
    assert_int_equal(seg_table_column_count(t), 6);
    assert_string_equal(seg_table_column_name(t, 3), "x");
    double total = 0;
    for (size_t r = 0; r < 4; r++)
        total += seg_table_f64(t, r, 1);
    assert_near(total, 200, 0);
    char *s = NULL;
    assert_ok(seg_table_write(t, SEG_FORMAT_CSV, collect, &s));
    char *r = report(m, NULL, "profile", SEG_FORMAT_CSV);
    assert_string_equal(s, r);
    free(s);
    free(r);
    seg_table_free(t);
    r = report(m, NULL, "profile", SEG_FORMAT_JSON);
    assert_true(json_valid(r));
    free(r);

    assert_int_equal(seg_model_report_table(&t, m, NULL, "silhouette"),
                     SEG_EINVAL);
    assert_ok(seg_model_report_table(&t, m, ds, "silhouette"));
    assert_int_equal(seg_table_row_count(t), 4); /* k = 2 .. 5 */
    assert_near(seg_table_f64(t, 0, 0), 2, 0);
    size_t best = 0;
    for (size_t i = 1; i < 4; i++)
        if (seg_table_f64(t, i, 1) > seg_table_f64(t, best, 1))
            best = i;
    assert_near(seg_table_f64(t, best, 0), 4, 0);
    s = NULL;
    assert_ok(seg_table_write(t, SEG_FORMAT_CSV, collect, &s));
    r = report(m, ds, "silhouette", SEG_FORMAT_CSV);
    assert_true(strncmp(s, r, strlen(s)) == 0);
    assert_string_equal(r + strlen(s), "best,4,\n");
    free(s);
    free(r);
    seg_table_free(t);
    r = report(m, ds, "silhouette", SEG_FORMAT_JSON);
    assert_true(json_valid(r));
    assert_non_null(strstr(r, "\"best_k\":4,\"sample\":200}"));
    free(r);

    assert_int_equal(seg_model_report_table(&t, m, ds, "nope"),
                     SEG_ENOTFOUND);
    assert_null(t);
    assert_non_null(strstr(seg_model_errmsg(m), "no report 'nope'"));
    assert_int_equal(seg_model_report_table(NULL, m, ds, "profile"),
                     SEG_EINVAL);
    seg_model_free(m);
    seg_dataset_free(ds);
}

/* Profile a k-means model on the blobs' x and y, under other names. */
static void profile_named(const char *nx, const char *ny, char **csv,
                          char **json)
{
    seg_dataset *ds = blobs(10);
    size_t n = seg_dataset_customer_count(ds);
    double *v = malloc(n * sizeof *v);
    assert_ok(seg_dataset_copy_f64(ds, "x", v, n));
    assert_ok(seg_dataset_write_f64(ds, nx, v, n));
    assert_ok(seg_dataset_copy_f64(ds, "y", v, n));
    assert_ok(seg_dataset_write_f64(ds, ny, v, n));
    free(v);
    size_t len = strlen(nx) + strlen(ny) + 2;
    char *features = malloc(len);
    snprintf(features, len, "%s,%s", nx, ny);
    seg_model *m;
    assert_ok(seg_model_new(&m, "kmeans"));
    assert_ok(seg_model_set_str(m, "features", features));
    assert_ok(seg_model_set_int(m, "k", 2));
    assert_ok(seg_model_fit(m, ds));
    *csv = report(m, ds, "profile", SEG_FORMAT_CSV);
    *json = report(m, ds, "profile", SEG_FORMAT_JSON);
    free(features);
    seg_model_free(m);
    seg_dataset_free(ds);
}

static void test_kmeans_report_names(void **state)
{
    (void)state;
    /* a comma always splits the features: a quote and spaces instead */
    char *csv, *json;
    profile_named("a\"b c", "d e", &csv, &json);
    assert_true(strncmp(csv, "cluster,size,share,\"a\"\"b c\",d e\n",
                        strlen("cluster,size,share,\"a\"\"b c\",d e\n")) ==
                0);
    assert_true(json_valid(json));
    assert_non_null(strstr(json, "\"centroid\":{\"a\\\"b c\":"));
    free(csv);
    free(json);

    /* names longer than any line buffer come back whole */
    static const size_t lens[2] = {1100, 100000};
    for (int i = 0; i < 2; i++) {
        char *name = malloc(lens[i] + 1);
        for (size_t j = 0; j < lens[i]; j++)
            name[j] = (char)('a' + j % 26);
        name[lens[i] - 1] = 'Z'; /* the end is there too */
        name[lens[i]] = '\0';
        profile_named(name, "y2", &csv, &json);
        char *head = malloc(lens[i] + 64);
        snprintf(head, lens[i] + 64, "cluster,size,share,%s,y2\n", name);
        assert_true(strncmp(csv, head, strlen(head)) == 0);
        snprintf(head, lens[i] + 64, "\"centroid\":{\"%s\":", name);
        assert_non_null(strstr(json, head));
        assert_true(json_valid(json));
        free(head);
        free(csv);
        free(json);
        free(name);
    }
}

static void test_channel_is_a_label_column(void **state)
{
    (void)state;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    const char *csv = "customer_id,channel\n"
                      "a,organic search\nb,social\nc,paid ads\n";
    seg_csv_options o;
    seg_csv_options_init(&o);
    const char *attrs[] = {"channel"};
    o.attribute_columns = attrs;
    o.n_attribute_columns = 1;
    assert_ok(seg_dataset_load_csv_buffer(ds, csv, strlen(csv), NULL, &o));
    assert_ok(seg_dataset_add_transaction(ds, "a", NOW, 5));
    assert_ok(seg_dataset_compute_features(ds, NULL));
    assert_int_equal(seg_dataset_column_type(ds, "channel"), SEG_COLUMN_LABEL);
    char *s = NULL;
    const char *cols[] = {"channel", "orders"};
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_CSV, cols, 2, collect, &s));
    assert_string_equal(s, "customer_id,channel,orders\n"
                           "a,organic search,1\nb,social,0\nc,paid ads,0\n");
    free(s);
    s = NULL;
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_JSON, cols, 1, collect, &s));
    assert_non_null(strstr(s, "\"channel\":\"paid ads\""));
    free(s);
    seg_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engagement_levels),
        cmocka_unit_test(test_stages),
        cmocka_unit_test(test_stage_default_kinds),
        cmocka_unit_test(test_kmeans_recovers_blobs),
        cmocka_unit_test(test_kmeans_missing_and_transforms),
        cmocka_unit_test(test_kmeans_report_tables),
        cmocka_unit_test(test_kmeans_report_names),
        cmocka_unit_test(test_channel_is_a_label_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
