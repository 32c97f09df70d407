/* The model interface: registry, parameters, plug-ins, save and load. */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "testutil.h"

static seg_dataset *small_dataset(void)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    const char *ids[] = {"a", "b", "c", "d", "a", "b"};
    int64_t t[] = {0, 86400, 2 * 86400, 3 * 86400, 5 * 86400, 9 * 86400};
    double am[] = {10, 20, 30, 40, 50, 60};
    assert_ok(seg_dataset_add_transactions(ds, ids, t, am, 6));
    assert_ok(seg_dataset_compute_features(ds, NULL));
    return ds;
}

static void test_registry(void **state)
{
    (void)state;
    bool found = false;
    for (size_t i = 0; i < seg_model_kind_count(); i++)
        found = found || strcmp(seg_model_kind_name(i), "rfm") == 0;
    assert_true(found);
    assert_null(seg_model_kind_name(1000));
    seg_model *m = (seg_model *)0x1;
    assert_int_equal(seg_model_new(&m, "nope"), SEG_ENOTFOUND);
    assert_null(m);
    assert_non_null(strstr(seg_errmsg(), "known: "));
    assert_non_null(strstr(seg_errmsg(), "rfm"));
    assert_int_equal(seg_model_new(NULL, "rfm"), SEG_EINVAL);
    seg_model_free(NULL);
}

static void test_parameters(void **state)
{
    (void)state;
    seg_model *m;
    assert_ok(seg_model_new(&m, "rfm"));
    assert_string_equal(seg_model_kind(m), "rfm");
    assert_string_equal(seg_model_name(m), "rfm");
    assert_true(seg_model_param_count(m) >= 10);
    for (size_t i = 0; i < seg_model_param_count(m); i++) {
        seg_param_def d;
        seg_param_def_init(&d);
        assert_ok(seg_model_param_info(m, i, &d));
        assert_non_null(d.name);
        assert_non_null(d.description);
        assert_true(d.type >= SEG_PARAM_F64 && d.type <= SEG_PARAM_STR);
    }
    seg_param_def d;
    seg_param_def_init(&d);
    assert_int_equal(seg_model_param_info(m, 999, &d), SEG_ERANGE);

    assert_int_equal(seg_model_set_int(m, "k_rr", 4), SEG_ENOTFOUND);
    assert_non_null(strstr(seg_model_errmsg(m), "did you mean 'k_r'"));
    assert_int_equal(seg_model_set_int(m, "zzzzzzzz", 4), SEG_ENOTFOUND);
    assert_null(strstr(seg_model_errmsg(m), "did you mean"));
    assert_int_equal(seg_model_set_int(m, "k_r", 1), SEG_ERANGE);
    assert_non_null(strstr(seg_model_errmsg(m), "from 2 to 20"));
    assert_int_equal(seg_model_set_f64(m, "k_r", 4.5), SEG_ERANGE);
    assert_int_equal(seg_model_set_f64(m, "w_r", NAN), SEG_ERANGE);
    assert_int_equal(seg_model_set_f64(m, "language", 1), SEG_ETYPE);
    assert_int_equal(seg_model_set_str(m, "k_r", "4"), SEG_ETYPE);
    assert_int_equal(seg_model_set_str(m, "language", "fr"), SEG_ERANGE);
    assert_non_null(strstr(seg_model_errmsg(m), "en|zh"));
    assert_int_equal(seg_model_set(m, "k_r", "four"), SEG_EPARSE);
    assert_ok(seg_model_set(m, "k_r", "4"));
    assert_ok(seg_model_set(m, "language", "zh"));
    double v;
    const char *s;
    assert_ok(seg_model_get_f64(m, "k_r", &v));
    assert_near(v, 4, 0);
    assert_ok(seg_model_get_str(m, "language", &s));
    assert_string_equal(s, "zh");
    assert_int_equal(seg_model_get_str(m, "k_r", &s), SEG_ETYPE);

    assert_int_equal(seg_model_set_name(m, "a.b"), SEG_EINVAL);
    assert_int_equal(seg_model_set_name(m, ""), SEG_EINVAL);
    assert_ok(seg_model_set_name(m, "价值"));
    assert_string_equal(seg_model_name(m), "价值");
    seg_model_free(m);
}

static void test_fit_and_score_contract(void **state)
{
    (void)state;
    seg_dataset *ds = small_dataset();
    seg_model *m;
    assert_ok(seg_model_new(&m, "rfm"));
    assert_int_equal(seg_model_score(m, ds), SEG_EMISUSE);
    assert_non_null(strstr(seg_model_errmsg(m), "not fitted"));
    assert_int_equal(seg_model_save(m, "/tmp/never.model"), SEG_EMISUSE);
    assert_ok(seg_model_set_str(m, "m_column", "monetry_total"));
    assert_int_equal(seg_model_fit(m, ds), SEG_ENOTFOUND);
    assert_non_null(strstr(seg_model_errmsg(m), "monetry_total"));
    assert_false(seg_model_is_fitted(m));
    assert_ok(seg_model_set_str(m, "m_column", "monetary_total"));
    assert_ok(seg_model_fit(m, ds));
    assert_true(seg_model_is_fitted(m));
    assert_ok(seg_model_set_name(m, "v1"));
    assert_ok(seg_model_score(m, ds));
    assert_int_equal(seg_dataset_column_type(ds, "v1.score"),
                     SEG_COLUMN_NUMERIC);
    assert_int_equal(seg_dataset_column_type(ds, "v1.segment"),
                     SEG_COLUMN_LABEL);
    /* changing a parameter unfits the model */
    assert_ok(seg_model_set_int(m, "k_f", 3));
    assert_false(seg_model_is_fitted(m));
    seg_model_free(m);
    seg_dataset_free(ds);
}

/* ---- a plug-in written by a host ---- */

typedef struct counters {
    int creates, destroys, fits, scores, user_destroyed;
} counters;

static int p_create(void **st, void *u)
{
    ((counters *)u)->creates++;
    *st = calloc(1, sizeof(double));
    return *st ? SEG_OK : SEG_ENOMEM;
}
static void p_destroy(void *st, void *u)
{
    ((counters *)u)->destroys++;
    free(st);
}
static int p_fit(void *st, seg_model *m, const seg_dataset *ds, void *u)
{
    ((counters *)u)->fits++;
    double offset;
    seg_model_get_f64(m, "offset", &offset);
    if (offset < 0)
        return seg_model_set_error(m, SEG_ERANGE, "offset must not be "
                                   "negative for fitting");
    *(double *)st = (double)seg_dataset_customer_count(ds) + offset;
    return SEG_OK;
}
static int p_score(void *st, const seg_model *m, seg_dataset *ds,
                   const char *prefix, void *u)
{
    (void)m;
    ((counters *)u)->scores++;
    size_t n = seg_dataset_customer_count(ds);
    double *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = *(double *)st + (double)i;
    char name[128];
    snprintf(name, sizeof name, "%s.value", prefix);
    int rc = seg_dataset_write_f64(ds, name, v, n);
    free(v);
    return rc;
}
static int p_save(void *st, const seg_model *m, seg_write_fn w, void *wu,
                  void *u)
{
    (void)m;
    (void)u;
    char buf[64];
    int n = snprintf(buf, sizeof buf, "fitted %.17g\nsecond line",
                     *(double *)st);
    return w(buf, (size_t)n, wu) ? SEG_EIO : SEG_OK;
}
static int p_load(void *st, seg_model *m, const char *text, size_t len,
                  void *u)
{
    (void)u;
    if (len < 7 || memcmp(text, "fitted ", 7) != 0)
        return seg_model_set_error(m, SEG_EPARSE, "bad plug-in state");
    *(double *)st = strtod(text + 7, NULL);
    return SEG_OK;
}
static void user_destroy(void *u) { ((counters *)u)->user_destroyed++; }

static seg_model_class plugin_class(seg_param_def *p)
{
    seg_param_def_init(p);
    p->name = "offset";
    p->type = SEG_PARAM_F64;
    p->description = "added to the customer count";
    p->min = -10;
    p->max = 10;
    p->default_num = 1;
    seg_model_class c;
    memset(&c, 0, sizeof c);
    c.size = sizeof c;
    c.kind = "counter";
    c.description = "test plug-in";
    c.params = p;
    c.n_params = 1;
    c.param_def_size = sizeof *p;
    c.create = p_create;
    c.destroy = p_destroy;
    c.fit = p_fit;
    c.score = p_score;
    c.save = p_save;
    c.load = p_load;
    return c;
}

static void test_plugin_end_to_end(void **state)
{
    (void)state;
    counters cnt = {0};
    seg_param_def p;
    seg_model_class c = plugin_class(&p);

    seg_model_class broken = c;
    broken.fit = NULL;
    assert_int_equal(seg_model_register(&broken, &cnt, user_destroy),
                     SEG_EINVAL);
    broken = c;
    broken.kind = "bad name";
    assert_int_equal(seg_model_register(&broken, &cnt, user_destroy),
                     SEG_EINVAL);
    assert_int_equal(cnt.user_destroyed, 0);

    char kind[16];
    strcpy(kind, "counter");
    c.kind = kind; /* the library copies the class and its strings */
    assert_ok(seg_model_register(&c, &cnt, user_destroy));
    memset(kind, 'x', 7);
    seg_param_def p2;
    seg_model_class again = plugin_class(&p2);
    assert_int_equal(seg_model_register(&again, &cnt, NULL), SEG_EEXISTS);
    assert_int_equal(seg_model_unregister("rfm"), SEG_EMISUSE);

    seg_dataset *ds = small_dataset();
    seg_model *m;
    assert_ok(seg_model_new(&m, "counter"));
    assert_int_equal(cnt.creates, 1);
    assert_ok(seg_model_set_f64(m, "offset", -1));
    assert_int_equal(seg_model_fit(m, ds), SEG_ERANGE);
    assert_non_null(strstr(seg_model_errmsg(m), "must not be negative"));
    assert_ok(seg_model_set_f64(m, "offset", 2));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    double v;
    assert_ok(seg_dataset_get_f64(ds, "counter.value", 1, &v));
    assert_near(v, 4 + 2 + 1, 0);
    /* a plug-in writes its reports only as bytes: no table */
    seg_table *t = (seg_table *)1;
    assert_int_equal(seg_model_report_table(&t, m, ds, "holdout"),
                     SEG_ENOTFOUND);
    assert_null(t);
    assert_non_null(strstr(seg_model_errmsg(m), "seg_model_report()"));

    /* save and load through the plug-in's own state text */
    char path[] = "/tmp/seg-plugin-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_ok(seg_model_save(m, path));
    seg_model *back;
    assert_ok(seg_model_load(&back, path));
    assert_string_equal(seg_model_kind(back), "counter");
    assert_ok(seg_model_get_f64(back, "offset", &v));
    assert_near(v, 2, 0);
    assert_ok(seg_model_set_name(back, "again"));
    assert_ok(seg_model_score(back, ds));
    assert_ok(seg_dataset_get_f64(ds, "again.value", 1, &v));
    assert_near(v, 7, 0);
    remove(path);

    /* unregistering keeps instances alive; the user data goes last */
    assert_ok(seg_model_unregister("counter"));
    assert_int_equal(seg_model_unregister("counter"), SEG_ENOTFOUND);
    seg_model *none;
    assert_int_equal(seg_model_new(&none, "counter"), SEG_ENOTFOUND);
    assert_ok(seg_model_score(m, ds));
    assert_int_equal(cnt.user_destroyed, 0);
    seg_model_free(m);
    assert_int_equal(cnt.user_destroyed, 0);
    seg_model_free(back);
    assert_int_equal(cnt.user_destroyed, 1);
    assert_int_equal(cnt.creates, cnt.destroys);
    seg_dataset_free(ds);
}

/* ---- saved files ---- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 16);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

static void spit(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(data, 1, len, f);
    fclose(f);
}

static void expect_load_error(const char *path, int code, const char *msg)
{
    seg_model *m = (seg_model *)0x1;
    int rc = seg_model_load(&m, path);
    if (rc != code || !strstr(seg_errmsg(), msg))
        fail_msg("load: %d '%s', expected %d '%s'", rc, seg_errmsg(), code,
                 msg);
    assert_null(m);
}

static void test_saved_file_errors(void **state)
{
    (void)state;
    seg_dataset *ds = small_dataset();
    seg_model *m;
    assert_ok(seg_model_new(&m, "rfm"));
    assert_ok(seg_model_fit(m, ds));
    char path[] = "/tmp/seg-model-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_ok(seg_model_save(m, path));
    assert_int_equal(seg_model_save(m, "/nonexistent/dir/m.model"), SEG_EIO);
    size_t len;
    char *good = slurp(path, &len);
    char bad[1 << 16];

    /* truncated anywhere */
    for (size_t cut = 0; cut < len; cut += 7) {
        spit(path, good, cut);
        seg_model *x;
        assert_int_equal(seg_model_load(&x, path), SEG_EPARSE);
    }
    expect_load_error(path, SEG_EPARSE, "truncated");

    /* a changed byte */
    memcpy(bad, good, len);
    char *digit = strstr(bad, "cuts_m ") + 7;
    *digit = *digit == '9' ? '8' : '9';
    spit(path, bad, len);
    expect_load_error(path, SEG_EPARSE, "checksum");

    /* a newer format is named as such, whatever the rest holds */
    const char *newer = "# libsegment model\nformat 2\nkind rfm\n"
                        "something new\nend 0\n";
    spit(path, newer, strlen(newer));
    expect_load_error(path, SEG_EVERSION, "format 2 is newer");

    expect_load_error("/nonexistent.model", SEG_EIO, "cannot open");
    free(good);
    remove(path);
    seg_model_free(m);
    seg_dataset_free(ds);
}

/* ---- loaded states are checked as fitted ones are ---- */

/* s with the first `from` replaced by `to` (a new string). */
static char *replaced(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    if (!at)
        fail_msg("'%s' is not in the file", from);
    size_t n = strlen(s) + strlen(to) + 1;
    char *d = malloc(n);
    snprintf(d, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    return d;
}

/* Save m, change its state text (from -> to) and the header (hfrom ->
 * hto), append `extra` after the state, and write the file again with the
 * right state length and checksum. */
static void edited_file(const seg_model *m, const char *path,
                        const char *from, const char *to, const char *hfrom,
                        const char *hto, const char *extra)
{
    assert_ok(seg_model_save(m, path));
    size_t len;
    char *good = slurp(path, &len);
    good[len] = '\0';
    char *st = strstr(good, "\nstate ");
    assert_non_null(st);
    size_t sl = strtoul(st + 7, NULL, 10);
    char *body = strchr(st + 1, '\n') + 1;
    char *head = strndup(good, (size_t)(st + 1 - good));
    char *state = strndup(body, sl);
    char *h2 = hfrom ? replaced(head, hfrom, hto) : strdup(head);
    char *s2 = from ? replaced(state, from, to) : strdup(state);
    size_t cap = strlen(h2) + strlen(s2) + strlen(extra) + 64;
    char *out = malloc(cap);
    int n = snprintf(out, cap, "%sstate %zu\n%s\n%s", h2, strlen(s2), s2,
                     extra);
    n += snprintf(out + n, cap - (size_t)n, "end %016llx\n",
                  (unsigned long long)model_file_hash(out, (size_t)n));
    spit(path, out, (size_t)n);
    free(out);
    free(h2);
    free(s2);
    free(head);
    free(state);
    free(good);
}

static void test_loaded_state_checked(void **state)
{
    (void)state;
    seg_dataset *ds = small_dataset();
    char path[] = "/tmp/seg-model-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    seg_model *km, *rfm, *back;
    assert_ok(seg_model_new(&km, "kmeans"));
    assert_ok(seg_model_set_str(km, "features", "frequency"));
    assert_ok(seg_model_set_int(km, "k", 2));
    assert_ok(seg_model_fit(km, ds));
    /* the file as saved, rewritten by edited_file(), loads */
    edited_file(km, path, NULL, NULL, NULL, NULL, "");
    assert_ok(seg_model_load(&back, path));
    seg_model_free(back);
    /* a centroid of 1e308: every distance would be inf, everyone in
     * cluster 0 */
    edited_file(km, path, "centroid -1\n", "centroid -1e308\n", NULL, NULL, "");
    expect_load_error(path, SEG_EPARSE, "centroid 1 has a coordinate");
    /* a scale of 1e-308: every transformed value inf */
    edited_file(km, path, "transform 0 0.5 0.5", "transform 0 0.5 1e-308",
                NULL, NULL, "");
    expect_load_error(path, SEG_EPARSE, "the scale of feature 'frequency'");
    edited_file(km, path, "transform 0 0.5 0.5", "transform 0 1e308 0.5",
                NULL, NULL, "");
    expect_load_error(path, SEG_EPARSE, "the centre of feature");
    /* a parameter after the state would leave a fitted model whose state
     * does not match it (and whose save does not load) */
    edited_file(km, path, NULL, NULL, NULL, NULL, "param k 1000\n");
    expect_load_error(path, SEG_EPARSE, ":24: a 'param' line after 'state'");
    /* an unknown kind: the message keeps its start */
    edited_file(km, path, NULL, NULL, "kind kmeans", "kind nosuch", "");
    seg_model *x = (seg_model *)0x1;
    assert_int_equal(seg_model_load(&x, path), SEG_ENOTFOUND);
    char want[128];
    snprintf(want, sizeof want, "%s:3: no model kind 'nosuch'", path);
    if (strncmp(seg_errmsg(), want, strlen(want)) != 0)
        fail_msg("'%s', expected it to begin '%s'", seg_errmsg(), want);
    assert_null(x);
    seg_model_free(km);

    assert_ok(seg_model_new(&rfm, "rfm"));
    assert_ok(seg_model_fit(rfm, ds));
    edited_file(rfm, path, "cuts_r 2.4000000000000004 4.4",
                "cuts_r 4.5 4.4", NULL, NULL, "");
    expect_load_error(path, SEG_EPARSE, "'cuts_r' is not ascending");
    edited_file(rfm, path, "cuts_m 36 ", "cuts_m inf ", NULL, NULL, "");
    expect_load_error(path, SEG_EPARSE, "'cuts_m': bad number");
    edited_file(rfm, path, "cuts_m 36 ", "cuts_m nan ", NULL, NULL, "");
    expect_load_error(path, SEG_EPARSE, "'cuts_m': bad number");
    edited_file(rfm, path, NULL, NULL, NULL, NULL, "param k_r 3\n");
    expect_load_error(path, SEG_EPARSE, "a 'param' line after 'state'");
    seg_model_free(rfm);
    remove(path);
    seg_dataset_free(ds);
}

static void expect_eval_error(seg_model *m, const char *q, const double *a,
                              size_t n, const char *msg)
{
    double v = 12345;
    int rc = seg_model_eval(m, q, a, n, &v);
    if (rc != SEG_ERANGE || !strstr(seg_model_errmsg(m), msg))
        fail_msg("%s: %d '%s', expected SEG_ERANGE '%s'", q, rc,
                 seg_model_errmsg(m), msg);
    assert_near(v, 12345, 0);
}

/* Counts that a quantity loops over are bounded at the entry point, and
 * every argument is finite, each named in the message. */
static void test_eval_arguments(void **state)
{
    (void)state;
    seg_dataset *ds = cdnow_sample("1997-09-30", SEG_UNIT_WEEK, NULL);
    seg_model *m;
    assert_ok(seg_model_new(&m, "bgnbd"));
    assert_ok(seg_model_fit(m, ds));
    double v;
    const double ok[2] = {10, 1000000};
    assert_ok(seg_model_eval(m, "pmf", ok, 2, &v));
    const double big[2] = {10, 1e9}, huge[2] = {10, 9007199254740993.0},
                 half[2] = {10, 2.5}, nan_t[2] = {NAN, 1},
                 inf_n[2] = {1, INFINITY};
    expect_eval_error(m, "pmf", big, 2, "n = 1e+09 is above the largest "
                      "count, 1e+06");
    expect_eval_error(m, "pmf", huge, 2, "is above the largest count");
    expect_eval_error(m, "pmf", half, 2, "n = 2.5 is not a whole number");
    expect_eval_error(m, "pmf", nan_t, 2, "pmf: t is not a finite number");
    expect_eval_error(m, "pmf", inf_n, 2, "pmf: n is not a finite number");
    const double pa[3] = {1, INFINITY, 40};
    expect_eval_error(m, "p_alive", pa, 3, "t_x is not a finite number");
    const double ex[4] = {NAN, 1, 2, 40};
    expect_eval_error(m, "expected", ex, 4, "expected: t is not a finite");

    /* a loaded state whose first parameter (r) is nan: the framework
     * checks every estimated parameter is finite, whatever the kind does */
    char path[] = "/tmp/seg-model-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_ok(seg_model_save(m, path));
    size_t len;
    char *text = slurp(path, &len);
    text[len] = '\0';
    char *fit = strstr(text, "\nfit ");
    assert_non_null(fit);
    /* "fit KIND R ...": from "fit KIND R " to "fit KIND nan " */
    char *r = strchr(fit + 5, ' ') + 1, *r_end = strchr(r, ' ');
    char from[128], to[128];
    snprintf(from, sizeof from, "%.*s", (int)(r_end + 1 - (fit + 1)), fit + 1);
    snprintf(to, sizeof to, "%.*snan ", (int)(r - (fit + 1)), fit + 1);
    free(text);
    edited_file(m, path, from, to, NULL, NULL, "");
    seg_model *back = (seg_model *)0x1;
    int rc = seg_model_load(&back, path);
    assert_int_equal(rc, SEG_EPARSE);
    assert_null(back);
    remove(path);
    seg_model_free(m);
    seg_dataset_free(ds);
}

/* ---- one model, threads failing on it and reading its message ---- */

typedef struct msg_job {
    const seg_model *m;
    int id, rounds, torn;
} msg_job;

static void *fail_on_model(void *arg)
{
    msg_job *j = arg;
    char name[32];
    for (int i = 0; i < j->rounds; i++) {
        double v;
        snprintf(name, sizeof name, "nothing_%d", j->id);
        if (seg_model_result(j->m, name, &v) != SEG_ENOTFOUND)
            j->torn++;
    }
    return NULL;
}

static void *read_message(void *arg)
{
    msg_job *j = arg;
    for (int i = 0; i < j->rounds; i++) {
        const char *msg = seg_model_errmsg(j->m);
        char copy[256];
        snprintf(copy, sizeof copy, "%s", msg);
        int id;
        char tail[8];
        /* whole, as some thread wrote it */
        if (strcmp(copy, "no error") != 0 &&
            (sscanf(copy, "model 'rfm' has no result 'nothing_%d%7s", &id,
                    tail) != 2 || strcmp(tail, "'") != 0))
            j->torn++;
        /* and it does not change while this thread holds it */
        if (strcmp(copy, msg) != 0)
            j->torn++;
    }
    return NULL;
}

static void test_errmsg_shared_by_threads(void **state)
{
    (void)state;
    seg_dataset *ds = small_dataset();
    seg_model *m;
    assert_ok(seg_model_new(&m, "rfm"));
    assert_ok(seg_model_fit(m, ds));
    enum { T = 8 };
    pthread_t th[T];
    msg_job jobs[T];
    for (int i = 0; i < T; i++) {
        jobs[i] = (msg_job){m, i, 2000, 0};
        assert_int_equal(pthread_create(&th[i], NULL,
                                        i % 2 ? read_message : fail_on_model,
                                        &jobs[i]),
                         0);
    }
    for (int i = 0; i < T; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(jobs[i].torn, 0);
    }
    seg_model_free(m);
    seg_dataset_free(ds);
}

/* A plug-in whose load takes any number: the framework still refuses a
 * state whose estimated parameter is not finite. */
static const char *q_result_name(void *st, size_t i, void *u)
{
    (void)st;
    (void)u;
    return i == 0 ? "level" : i == 1 ? "se.level" : NULL;
}
static int q_result(void *st, const char *name, double *out, void *u)
{
    (void)u;
    if (strcmp(name, "level") && strcmp(name, "se.level"))
        return SEG_ENOTFOUND;
    *out = strcmp(name, "level") ? NAN : *(double *)st;
    return SEG_OK;
}

static void test_plugin_state_checked(void **state)
{
    (void)state;
    counters cnt = {0};
    seg_param_def p;
    seg_model_class c = plugin_class(&p);
    c.kind = "leveled";
    c.result_name = q_result_name;
    c.result = q_result;
    assert_ok(seg_model_register(&c, &cnt, NULL));
    seg_dataset *ds = small_dataset();
    seg_model *m, *back;
    assert_ok(seg_model_new(&m, "leveled"));
    assert_ok(seg_model_fit(m, ds));
    char path[] = "/tmp/seg-model-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    /* a NaN standard error is fine; the parameter is not */
    edited_file(m, path, NULL, NULL, NULL, NULL, "");
    assert_ok(seg_model_load(&back, path));
    seg_model_free(back);
    edited_file(m, path, "fitted 5", "fitted nan", NULL, NULL, "");
    expect_load_error(path, SEG_EPARSE, "parameter 'level' is not a finite");
    edited_file(m, path, "fitted 5", "fitted -inf", NULL, NULL, "");
    expect_load_error(path, SEG_EPARSE, "parameter 'level' is not a finite");
    remove(path);
    seg_model_free(m);
    seg_dataset_free(ds);
    assert_ok(seg_model_unregister("leveled"));
}

/* A log of 300 customers, each customer's purchases in time order, of
 * BG/NBD's kind (a rate and a dropout chance of their own, spend around a
 * mean of their own), so that every purchase and spend model has an
 * optimum; in three categories, for the interest model. */
static void add_histories(seg_dataset *ds)
{
    uint64_t st = 12345;
    for (int c = 0; c < 300; c++) {
        char id[16];
        snprintf(id, sizeof id, "c%d", c);
        double lam = 0.01 + 0.003 * (c % 37), drop = 0.05 + 0.04 * (c % 13);
        double mean = 20 + 7.0 * (c % 17);
        double day = (double)(c * 7919 % 300);
        for (;;) {
            double u[3];
            for (int k = 0; k < 3; k++) {
                st = st * 6364136223846793005ull + 1442695040888963407ull;
                u[k] = ((double)(st >> 11) + 0.5) / 9007199254740992.0;
            }
            if (day >= 365)
                break;
            int64_t t = 1672531200 + (int64_t)(day * 86400);
            static const char *const cats[] = {"books", "shoes", "toys"};
            assert_ok(seg_dataset_add_transaction_cat(
                ds, id, t, floor(mean * (0.5 + u[0]) * 100) / 100,
                cats[(c + (int)day) % 3]));
            if (u[1] < drop)
                break;
            day += -log(u[2]) / lam;
        }
    }
}

static char *fit_and_export(const char *kind, bool fold)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    int64_t as_of = 1672531200 + 365 * 86400 - 1;
    if (fold)
        assert_ok(seg_dataset_set_features_only(ds, as_of));
    add_histories(ds);
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.as_of = as_of;
    assert_ok(seg_dataset_compute_features(ds, &fo));
    seg_model *m;
    assert_ok(seg_model_new(&m, kind));
    if (seg_model_fit(m, ds) != SEG_OK || seg_model_score(m, ds) != SEG_OK)
        fail_msg("%s%s: %s", kind, fold ? ", folded" : "",
                 seg_model_errmsg(m));
    char *s = NULL;
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_CSV, NULL, 0, collect, &s));
    seg_model_free(m);
    seg_dataset_free(ds);
    return s;
}

/* Which models a host may give a features-only dataset. A kind that says
 * it reads only columns fits and scores a dataset that folded its
 * transactions into the same bytes as one that kept them; a kind that
 * says it reads them is refused by the folded one (in its fit or
 * its score). A plug-in always
 * reads them (the library cannot tell), as does a Pareto/NBD with a
 * covariate table (its periods are counted from the purchase days). */
static void test_reads_transactions(void **state)
{
    (void)state;
    assert_int_equal(seg_model_reads_transactions(NULL), 1);
    size_t n_reads = 0, n_columns = 0;
    for (size_t i = 0; i < seg_model_kind_count(); i++) {
        const char *kind = seg_model_kind_name(i);
        seg_model *m;
        assert_ok(seg_model_new(&m, kind));
        int reads = seg_model_reads_transactions(m);
        seg_model_free(m);
        if (reads) {
            seg_dataset *ds;
            assert_ok(seg_dataset_new(&ds));
            assert_ok(seg_dataset_set_features_only(ds, INT64_MAX - 1));
            add_histories(ds);
            assert_ok(seg_dataset_compute_features(ds, NULL));
            assert_ok(seg_model_new(&m, kind));
            int rc = seg_model_fit(m, ds);
            if (rc == SEG_OK)
                rc = seg_model_score(m, ds);
            if (rc != SEG_EMISUSE)
                fail_msg("%s says it reads the transactions, yet a "
                         "features-only dataset gives %d (%s)", kind, rc,
                         seg_model_errmsg(m));
            seg_model_free(m);
            seg_dataset_free(ds);
            n_reads++;
            continue;
        }
        /* BG/BB reads the discrete columns a host gives it, GGompertz/NBD
         * fits slowly by BFGS: both read only columns by their code */
        if (!strcmp(kind, "bgbb") || !strcmp(kind, "ggompertz"))
            continue;
        char *kept = fit_and_export(kind, false);
        char *folded = fit_and_export(kind, true);
        if (strcmp(kept, folded) != 0)
            fail_msg("%s: the folded dataset scores other bytes", kind);
        free(kept);
        free(folded);
        n_columns++;
    }
    assert_int_equal(n_reads, 3);   /* engagement, stage, interest */
    assert_true(n_columns >= 7);    /* rfm, kmeans and the CLV family */

    seg_model *m;
    assert_ok(seg_model_new(&m, "pareto_nbd"));
    const char *ids[] = {"a", "a"};
    const char *names[] = {"z", "z"};
    int64_t start[] = {0, 7 * 86400};
    double v[] = {0, 1};
    assert_ok(seg_model_set_covariate_table(m, 2, ids, start, names, v));
    assert_int_equal(seg_model_reads_transactions(m), 1);
    seg_model_free(m);

    counters cnt = {0};
    seg_param_def p;
    seg_model_class c = plugin_class(&p);
    c.kind = "columns_reader";
    assert_ok(seg_model_register(&c, &cnt, NULL));
    assert_ok(seg_model_new(&m, "columns_reader"));
    assert_int_equal(seg_model_reads_transactions(m), 1);
    seg_model_free(m);
    assert_ok(seg_model_unregister("columns_reader"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_parameters),
        cmocka_unit_test(test_fit_and_score_contract),
        cmocka_unit_test(test_plugin_end_to_end),
        cmocka_unit_test(test_saved_file_errors),
        cmocka_unit_test(test_loaded_state_checked),
        cmocka_unit_test(test_eval_arguments),
        cmocka_unit_test(test_plugin_state_checked),
        cmocka_unit_test(test_reads_transactions),
        cmocka_unit_test(test_errmsg_shared_by_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
