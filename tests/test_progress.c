/* Progress and cancellation: a callback that stops each stage of each long
 * call at its start, in its middle and at its last report, and the handles
 * checked to be as they were. Linked with the library's objects so that
 * the interval between calls can be set to nothing: then every report
 * calls the callback, and a small input has many of them. */
#include <stdio.h>
#include <unistd.h>

#include "testutil.h"
#include "core/internal.h"

extern uint64_t seg__progress_interval_ns;

typedef struct watch {
    int stage;       /* the stage to count and stop; 0 = any */
    int calls;       /* calls of that stage so far */
    int cancel_at;   /* stop at this call (1 = the first); 0 = never */
    int other;       /* calls of other stages */
    uint64_t last_done, total;
    int backwards;   /* done went down within the stage */
    int over;        /* done beyond a known total */
} watch;

static int on_progress(int stage, uint64_t done, uint64_t total, void *user)
{
    watch *w = user;
    if (w->stage && stage != w->stage) {
        w->other++;
        return 0;
    }
    if (w->calls && done < w->last_done)
        w->backwards++;
    if (total && done > total)
        w->over++;
    w->calls++;
    w->last_done = done;
    w->total = total;
    return w->cancel_at && w->calls == w->cancel_at;
}

/* Everything a caller can see of a dataset, as text: counts, and every
 * column of every customer. */
static char *snapshot(seg_dataset *ds)
{
    char *s = NULL, head[128];
    snprintf(head, sizeof head, "%zu customers, %zu tx, %zu ev, %zu cols\n",
             seg_dataset_customer_count(ds), seg_dataset_transaction_count(ds),
             seg_dataset_event_count(ds), seg_dataset_column_count(ds));
    collect(head, strlen(head), &s);
    assert_ok(seg_dataset_set_progress(ds, NULL, NULL));
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_CSV, NULL, 0, collect, &s));
    return s;
}

/* An operation on a dataset (and on what it works with), run under a
 * callback; returns its status. */
typedef int (*operation)(seg_dataset *ds, void *ctx);

/* Run op once to count the reports of `stage`, then again on fresh
 * copies stopping at the first, a middle and the last of them: each time
 * SEG_ECANCELED, a message, and the dataset as it was. min_calls < 0:
 * at least -min_calls, a number that varies from run to run. */
static void cancel_everywhere(seg_dataset *(*make)(void *), operation op,
                              void *ctx, int stage, int min_calls)
{
    seg__progress_interval_ns = 0;
    seg_dataset *ds = make(ctx);
    watch w = {stage, 0, 0, 0, 0, 0, 0, 0};
    assert_ok(seg_dataset_set_progress(ds, on_progress, &w));
    assert_ok(op(ds, ctx));
    int n = w.calls;
    if (n < abs(min_calls))
        fail_msg("stage %s: %d calls, expected at least %d",
                 seg_stage_name(stage), n, min_calls);
    assert_int_equal(w.backwards, 0);
    assert_int_equal(w.over, 0);
    seg_dataset_free(ds);
    int at[3] = {1, (n + 1) / 2, n};
    if (min_calls < 0) /* threads share the work: n varies, 2 is sure */
        at[1] = at[2] = 2;
    for (int k = 0; k < 3; k++) {
        ds = make(ctx);
        char *before = snapshot(ds);
        watch c = {stage, 0, at[k], 0, 0, 0, 0, 0};
        assert_ok(seg_dataset_set_progress(ds, on_progress, &c));
        int rc = op(ds, ctx);
        if (min_calls < 0 && rc == SEG_OK && c.calls < at[k]) {
            /* this time the other threads did the work */
            free(before);
            seg_dataset_free(ds);
            continue;
        }
        if (rc != SEG_ECANCELED)
            fail_msg("stage %s stopped at call %d of %d: %d (%s)",
                     seg_stage_name(stage), at[k], n, rc, seg_errmsg());
        assert_int_equal(c.calls, at[k]);
        assert_non_null(strstr(seg_errmsg(), "canceled"));
        char *after = snapshot(ds);
        assert_string_equal(before, after);
        free(before);
        free(after);
        seg_dataset_free(ds);
    }
    seg__progress_interval_ns = SEG__PROGRESS_NS;
}

/* ---- loads ---- */

typedef struct load_ctx {
    int threads;
    const char *path; /* NULL: from a buffer */
    char *buf;
    size_t len;
} load_ctx;

static seg_dataset *make_small(void *ctx)
{
    const load_ctx *l = ctx;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_set_threads(ds, l->threads));
    const char *pre = "id,time,amount\nzz,2020-01-01,5\n";
    assert_ok(seg_dataset_load_csv_buffer(ds, pre, strlen(pre), "pre", NULL));
    return ds;
}

static int load_op(seg_dataset *ds, void *ctx)
{
    const load_ctx *l = ctx;
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.has_header = 0;
    o.id_column = "2";
    o.time_column = "3";
    o.amount_column = "5";
    if (l->path)
        return seg_dataset_load_csv(ds, l->path, &o);
    return seg_dataset_load_csv_buffer(ds, l->buf, l->len, "buf", &o);
}

/* The CDNOW sample: its transactions alone, or with its features. */
static seg_dataset *sample(int threads, int features)
{
    if (features)
        return cdnow_sample(NULL, SEG_UNIT_WEEK, NULL);
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_set_threads(ds, threads));
    load_ctx l = {threads, SEG_TEST_DATA "/CDNOW_sample.txt", NULL, 0};
    assert_ok(load_op(ds, &l));
    return ds;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *b = malloc(1 << 20);
    assert_non_null(b);
    *len = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

static void test_load_file(void **state)
{
    (void)state;
    load_ctx l = {1, SEG_TEST_DATA "/CDNOW_sample.txt", NULL, 0};
    cancel_everywhere(make_small, load_op, &l, SEG_STAGE_LOAD, 100);
}

static void test_load_file_threads(void **state)
{
    (void)state;
    /* two threads: the batches of the parallel loader report */
    load_ctx l = {2, SEG_TEST_DATA "/CDNOW_sample.txt", NULL, 0};
    cancel_everywhere(make_small, load_op, &l, SEG_STAGE_LOAD, 2);
}

static void test_load_buffer(void **state)
{
    (void)state;
    load_ctx l = {1, NULL, NULL, 0};
    l.buf = read_all(SEG_TEST_DATA "/CDNOW_sample.txt", &l.len);
    cancel_everywhere(make_small, load_op, &l, SEG_STAGE_LOAD, 100);
    free(l.buf);
}

typedef struct calls {
    int n;
    int stage[16];
    uint64_t done[16], total[16];
} calls;

static int record_call(int stage, uint64_t done, uint64_t total, void *user)
{
    calls *c = user;
    if (c->n < 16) {
        c->stage[c->n] = stage;
        c->done[c->n] = done;
        c->total[c->n] = total;
    }
    c->n++;
    return 0;
}

/* The bytes reported, worked out by hand: the start, then the offset after
 * each record; the total is the buffer's length. */
static void test_load_bytes(void **state)
{
    (void)state;
    seg__progress_interval_ns = 0;
    const char *csv = "id,time,amount\n"       /* 15 */
                      "a,2020-01-01,1\n"       /* 15: 30 */
                      "bb,2020-01-02,22.5\n"   /* 19: 49 */
                      "a,2020-01-03,3\n";      /* 15: 64 */
    calls c = {0, {0}, {0}, {0}};
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_set_threads(ds, 1));
    assert_ok(seg_dataset_set_progress(ds, record_call, &c));
    assert_ok(seg_dataset_load_csv_buffer(ds, csv, strlen(csv), "t", NULL));
    static const uint64_t want[] = {0, 30, 49, 64};
    assert_int_equal(c.n, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(c.stage[i], SEG_STAGE_LOAD);
        assert_int_equal(c.done[i], want[i]);
        assert_int_equal(c.total[i], 64);
    }
    /* features: the start, then before each customer (a, bb) the number
     * of customers done */
    c.n = 0;
    assert_ok(seg_dataset_compute_features(ds, NULL));
    assert_int_equal(c.n, 3);
    static const uint64_t fwant[] = {0, 0, 1};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(c.stage[i], SEG_STAGE_FEATURES);
        assert_int_equal(c.done[i], fwant[i]);
        assert_int_equal(c.total[i], 2);
    }
    seg_dataset_free(ds);
    seg__progress_interval_ns = SEG__PROGRESS_NS;
}

static int stop_after_first(int stage, uint64_t done, uint64_t total,
                            void *user)
{
    (void)stage;
    (void)done;
    (void)total;
    return ++*(int *)user > 1;
}

/* Once stopped, a stage says so at every later report, however many
 * reports the clock was being read after (a loop must not run on). */
static void test_cancel_is_sticky(void **state)
{
    (void)state;
    int n_calls = 0;
    seg__progress p;
    assert_ok(seg__progress_begin(&p, stop_after_first, &n_calls, NULL,
                                  SEG_STAGE_FIT, 0));
    int rc = SEG_OK;
    for (long i = 0; i < 2000000000L && rc == SEG_OK; i++)
        rc = seg__progress_add(&p, 1);
    assert_int_equal(rc, SEG_ECANCELED);
    assert_int_equal(n_calls, 2);
    for (int i = 0; i < 100000; i++)
        if (seg__progress_add(&p, 1) != SEG_ECANCELED)
            fail_msg("report %d after the stop went on", i);
    assert_int_equal(seg__progress_canceled(&p), SEG_ECANCELED);
    assert_int_equal(n_calls, 2);
    seg__progress_end(&p);
    assert_null(seg__progress_current());
}

/* At the normal interval a quick call is reported once, at its start. */
static void test_interval(void **state)
{
    (void)state;
    calls c = {0, {0}, {0}, {0}};
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_set_progress(ds, record_call, &c));
    const char *csv = "id,time,amount\na,2020-01-01,1\n";
    assert_ok(seg_dataset_load_csv_buffer(ds, csv, strlen(csv), "t", NULL));
    assert_int_equal(c.n, 1);
    assert_int_equal(c.done[0], 0);
    /* and a call of one value is not reported at all */
    assert_ok(seg_dataset_add_transaction(ds, "b", 0, 1));
    assert_int_equal(c.n, 1);
    assert_ok(seg_dataset_set_progress(ds, NULL, NULL));
    assert_ok(seg_dataset_add_transaction(ds, "c", 0, 1));
    assert_int_equal(seg_dataset_set_progress(NULL, NULL, NULL), SEG_EINVAL);
    assert_string_equal(seg_strerror(SEG_ECANCELED), "canceled");
    assert_string_equal(seg_stage_name(SEG_STAGE_FIT), "fit");
    assert_string_equal(seg_stage_name(99), "unknown");
    seg_dataset_free(ds);
}

/* ---- records given in arrays ---- */

enum { NREC = 500 };

static seg_dataset *make_pre(void *ctx)
{
    (void)ctx;
    load_ctx l = {1, NULL, NULL, 0};
    return make_small(&l);
}

static int records_op(seg_dataset *ds, void *ctx)
{
    int which = *(const int *)ctx;
    static char idbuf[NREC][12];
    const char *ids[NREC], *kinds[NREC], *labels[NREC];
    int64_t times[NREC];
    double amounts[NREC];
    for (int i = 0; i < NREC; i++) {
        snprintf(idbuf[i], sizeof idbuf[i], "c%d", i % 97);
        ids[i] = idbuf[i];
        kinds[i] = i % 2 ? "visit" : "click";
        labels[i] = i % 3 ? "north" : "south";
        times[i] = 1577836800 + 3600 * (int64_t)i;
        amounts[i] = 1 + i % 7;
    }
    switch (which) {
    case 0: return seg_dataset_add_transactions(ds, ids, times, amounts, NREC);
    case 1: return seg_dataset_add_events(ds, ids, times, kinds, amounts, NREC);
    case 2: return seg_dataset_set_attributes_f64(ds, "score", ids, amounts,
                                                  NREC);
    default: return seg_dataset_set_attributes_str(ds, "region", ids, labels,
                                                   NREC);
    }
}

static void test_records(void **state)
{
    (void)state;
    for (int which = 0; which < 4; which++)
        cancel_everywhere(make_pre, records_op, &which, SEG_STAGE_RECORDS,
                          NREC);
}

/* ---- features ---- */

static seg_dataset *make_raw(void *ctx)
{
    return sample(*(const int *)ctx, 0);
}

static int features_op(seg_dataset *ds, void *ctx)
{
    (void)ctx;
    return seg_dataset_compute_features(ds, NULL);
}

static void test_features(void **state)
{
    (void)state;
    for (int threads = 1; threads <= 2; threads++) {
        /* some features there already: they must stay as they were */
        cancel_everywhere(make_raw, features_op, &threads, SEG_STAGE_FEATURES,
                          threads == 1 ? 2000 : 1000);
    }
}

/* ---- fits and scores ---- */

typedef struct model_ctx {
    const char *kind;
    const char *params;  /* "name=value" pairs separated by ';', or NULL */
    int prefit;          /* fitted before the call under test */
    int score;           /* the call under test is a score (else a fit) */
    seg_model *m;
    int was_fitted;
    size_t nres;
    double res[64];
} model_ctx;

static void model_results(const seg_model *m, double *out, size_t *n)
{
    *n = 0;
    if (!seg_model_is_fitted(m))
        return;
    for (size_t i = 0; i < 64; i++) {
        const char *name = seg_model_result_name(m, i);
        if (!name)
            break;
        assert_ok(seg_model_result(m, name, &out[i]));
        *n = i + 1;
    }
}

static seg_dataset *make_model(void *ctx)
{
    model_ctx *c = ctx;
    seg_dataset *ds = sample(1, 1);
    seg_model_free(c->m);
    assert_ok(seg_model_new(&c->m, c->kind));
    if (c->params) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", c->params);
        for (char *t = strtok(buf, ";"); t; t = strtok(NULL, ";"))
            assert_ok(seg_model_set_pair(c->m, t));
    }
    if (c->prefit || c->score) {
        /* fitted on a part of the data: a refit would change it */
        seg_dataset *part = sample(1, 1);
        assert_ok(seg_model_fit(c->m, part));
        seg_dataset_free(part);
    }
    c->was_fitted = seg_model_is_fitted(c->m);
    model_results(c->m, c->res, &c->nres);
    return ds;
}

static int model_op(seg_dataset *ds, void *ctx)
{
    model_ctx *c = ctx;
    int rc = c->score ? seg_model_score(c->m, ds) : seg_model_fit(c->m, ds);
    if (rc == SEG_ECANCELED) {
        /* the model as it was: unfitted, or with the same results */
        assert_int_equal(seg_model_is_fitted(c->m), c->was_fitted);
        double now[64];
        size_t n;
        model_results(c->m, now, &n);
        assert_int_equal(n, c->nres);
        for (size_t i = 0; i < n; i++)
            if (!(now[i] == c->res[i] || (isnan(now[i]) && isnan(c->res[i]))))
                fail_msg("result %zu changed: %g, was %g", i, now[i],
                         c->res[i]);
        assert_non_null(strstr(seg_model_errmsg(c->m), "canceled"));
        /* and the model still works */
        seg_dataset_set_progress(ds, NULL, NULL);
        seg_dataset *other = sample(1, 1);
        assert_ok(seg_model_fit(c->m, other));
        seg_dataset_free(other);
    }
    return rc;
}

static void run_model(const char *kind, const char *params, int score,
                      int min_calls)
{
    for (int prefit = 0; prefit <= (score ? 0 : 1); prefit++) {
        model_ctx c = {kind, params, prefit, score, NULL, 0, 0, {0}};
        cancel_everywhere(make_model, model_op, &c,
                          score ? SEG_STAGE_SCORE : SEG_STAGE_FIT, min_calls);
        seg_model_free(c.m);
    }
}

static void test_fit_clv(void **state)
{
    (void)state;
    run_model("bgnbd", NULL, 0, 10);
    run_model("pareto_nbd", NULL, 0, 10);
}

static void test_fit_kmeans(void **state)
{
    (void)state;
    /* runs on two threads: the caller's reports, the other stops */
    run_model("kmeans", "features=frequency,recency;k=3;n_init=6;threads=2",
              0, -1);
}

static void test_fit_rfm(void **state)
{
    (void)state;
    run_model("rfm", NULL, 0, 1);
}

static void test_score(void **state)
{
    (void)state;
    run_model("bgnbd", NULL, 1, 2000);
    run_model("rfm", NULL, 1, 1);
    run_model("kmeans", "features=frequency;k=2", 1, 1);
}

/* ---- rules ---- */

static int rules_op(seg_dataset *ds, void *ctx)
{
    const seg_rules *r = ctx;
    return seg_rules_apply(r, ds, NULL);
}

static seg_dataset *make_features(void *ctx)
{
    (void)ctx;
    return sample(1, 1);
}

static void test_rules(void **state)
{
    (void)state;
    const char *text = "output \"tier\"\n"
                       "tier \"many\" when frequency >= 2\n"
                       "otherwise \"few\"\n";
    seg_rules *r;
    assert_ok(seg_rules_parse(&r, text, strlen(text), "t.rules"));
    cancel_everywhere(make_features, rules_op, r, SEG_STAGE_RULES, 9);
    seg_rules_free(r);
}

/* ---- exports ---- */

static char export_path[64];

static int export_op(seg_dataset *ds, void *ctx)
{
    (void)ctx;
    FILE *f = fopen(export_path, "w");
    assert_non_null(f);
    fputs("old\n", f);
    fclose(f);
    int rc = seg_dataset_export_file(ds, SEG_FORMAT_CSV, NULL, 0,
                                     export_path);
    if (rc == SEG_ECANCELED) { /* the file as it was */
        size_t len;
        char *b = read_all(export_path, &len);
        assert_int_equal(len, 4);
        assert_memory_equal(b, "old\n", 4);
        free(b);
    }
    return rc;
}

static int export_mem_op(seg_dataset *ds, void *ctx)
{
    (void)ctx;
    char *s = NULL;
    int rc = seg_dataset_export(ds, SEG_FORMAT_JSON, NULL, 0, collect, &s);
    free(s);
    return rc;
}

/* Enough rows for rounds of blocks formatted on a second thread while
 * the caller writes the round before: every row reported, in order, on
 * the caller's thread, and a stop at any of them leaves the helpers'
 * round unwritten. */
enum { EXPORT_ROWS = 70000 };

static seg_dataset *make_many(void *ctx)
{
    (void)ctx;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_set_threads(ds, 2));
    char id[16];
    for (int i = 0; i < EXPORT_ROWS; i++) {
        snprintf(id, sizeof id, "m%d", i);
        assert_ok(seg_dataset_set_attribute_f64(ds, id, "x", i * 0.25));
    }
    return ds;
}

static void test_export(void **state)
{
    (void)state;
    snprintf(export_path, sizeof export_path, "/tmp/seg-progress-%ld.csv",
             (long)getpid());
    cancel_everywhere(make_features, export_op, NULL, SEG_STAGE_EXPORT, 2000);
    cancel_everywhere(make_features, export_mem_op, NULL, SEG_STAGE_EXPORT,
                      2000);
    cancel_everywhere(make_many, export_op, NULL, SEG_STAGE_EXPORT,
                      EXPORT_ROWS);
    unlink(export_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interval),
        cmocka_unit_test(test_cancel_is_sticky),
        cmocka_unit_test(test_load_bytes),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_load_file_threads),
        cmocka_unit_test(test_load_buffer),
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_features),
        cmocka_unit_test(test_fit_clv),
        cmocka_unit_test(test_fit_kmeans),
        cmocka_unit_test(test_fit_rfm),
        cmocka_unit_test(test_score),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_export),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
