/* Allocation failures, in the manner of SQLite's fault tests. Through the
 * allocator hooks, the N-th allocation of a call fails, for every N (or
 * every N up to a bound and then in strides), once alone ("transient") and
 * once with every later allocation failing too ("persistent"). Each time:
 * - the call returns SEG_ENOMEM;
 * - a call that changes a handle leaves it as it was;
 * - every block the library handed out is back once the handles are freed;
 * - the same call without failures then succeeds on the same handles and
 *   gives what a run that never failed gives.
 * The hooks must be in place before the library's first allocation, hence
 * a process of its own. Run under ASan and LSan in CI. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <segment.h>

#include "testutil.h"

/* ---- the failing allocator ---- */

static atomic_size_t g_calls;   /* allocations so far */
static atomic_size_t g_fail_at; /* the allocation that fails; 0 for none */
static atomic_bool g_persistent; /* and every one after it */
static atomic_size_t g_failed;  /* allocations refused since armed */
static atomic_long g_live;      /* blocks handed out and not yet freed */

static bool should_fail(void)
{
    size_t n = atomic_fetch_add(&g_calls, 1) + 1;
    size_t at = atomic_load(&g_fail_at);
    if (at && (n == at || (n > at && atomic_load(&g_persistent)))) {
        atomic_fetch_add(&g_failed, 1);
        return true;
    }
    return false;
}

static void *f_malloc(size_t n, void *u)
{
    (void)u;
    if (should_fail())
        return NULL;
    void *p = malloc(n);
    if (p)
        atomic_fetch_add(&g_live, 1);
    return p;
}

static void *f_realloc(void *p, size_t n, void *u)
{
    (void)u;
    if (should_fail())
        return NULL;
    void *q = realloc(p, n);
    if (!p && q)
        atomic_fetch_add(&g_live, 1);
    return q;
}

static void f_free(void *p, void *u)
{
    (void)u;
    if (p)
        atomic_fetch_sub(&g_live, 1);
    free(p);
}

static void arm(size_t nth, bool persistent)
{
    atomic_store(&g_failed, 0);
    atomic_store(&g_persistent, persistent);
    atomic_store(&g_fail_at, atomic_load(&g_calls) + nth);
}

static size_t disarm(void)
{
    atomic_store(&g_fail_at, 0);
    return atomic_load(&g_failed);
}

/* ---- text that the test itself owns (not through the hooks) ---- */

typedef struct text {
    char *p;
    size_t n;
} text;

static int keep(const char *d, size_t n, void *u)
{
    text *t = u;
    char *p = realloc(t->p, t->n + n + 1);
    if (!p)
        return -1;
    memcpy(p + t->n, d, n);
    t->n += n;
    p[t->n] = '\0';
    t->p = p;
    return 0;
}

static void keepf(text *t, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    keep(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1, t);
}

static void text_free(text *t)
{
    free(t->p);
    t->p = NULL;
    t->n = 0;
}

static bool text_eq(const text *a, const text *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* ---- fixtures, made once before any failure is injected ---- */

#define SLICE_LINES 600
static char *g_csv;       /* the first SLICE_LINES lines of the sample */
static size_t g_csv_len;
static char g_csv_path[4200], g_model_path[4200], g_export_path[4200];
static char g_dir[4096];

/* Calls and visits of some of the slice's customers, for the event
 * features, the behavioural models and the call list. */
static const char g_events[] =
    "customer_id,time,kind,category\n"
    "0001,1997-01-05,view,jazz\n"
    "0001,1997-02-10,cart,jazz\n"
    "0002,1997-03-01,call,\n"
    "0003,1997-06-30,email_click,rock\n"
    "0003,1997-07-02,call,\n"
    "0004,1997-08-15,compare,classical\n"
    "0005,1998-01-10,view,rock\n"
    "0007,1998-05-20,call,\n"
    "0010,1998-06-01,checkout,jazz\n"
    "lead1,1998-06-10,view,pop\n"
    "lead2,1998-06-12,demo,\n";

static const char g_score_rules[] =
    "score\n"
    "output \"grade\"\n"
    "group buying cap 30\n"
    "+20 when orders >= 3\n"
    "+10 when monetary_total > p50(monetary_total)\n"
    "group contact cap 15\n"
    "+10 when events.view.count >= 1\n"
    "-5 when recency is missing\n"
    "cap 40\n"
    "grade \"A\" >= 25\n"
    "grade \"B\" >= 10\n"
    "grade \"C\" >= -100\n";

static char *g_tier_rules; /* examples/rules/rfm_actions.rules */
static size_t g_tier_rules_len;

static char *slurp(const char *path, size_t max_lines, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    text t = {NULL, 0};
    char line[4096];
    size_t lines = 0;
    while ((!max_lines || lines < max_lines) && fgets(line, sizeof line, f)) {
        keep(line, strlen(line), &t);
        lines++;
    }
    fclose(f);
    *len = t.n;
    return t.p;
}

static void csv_options(seg_csv_options *o)
{
    seg_csv_options_init(o);
    o->has_header = 0;
    o->id_column = "2";
    o->time_column = "3";
    o->amount_column = "5";
}

static void feature_options(seg_features_options *fo)
{
    seg_features_options_init(fo);
    fo->time_unit = SEG_UNIT_WEEK;
    assert_ok(seg_time_parse(&fo->as_of, "1998-06-30", 10, SEG_TIME_ISO8601));
    fo->as_of += 86399;
    assert_ok(seg_time_parse(&fo->holdout_from, "1997-10-01", 10,
                             SEG_TIME_ISO8601));
}

/* The stages a dataset goes through, each made without failures. */
enum { DS_EMPTY, DS_LOADED, DS_FEATURES, DS_SCORED, DS_TIERED };

static void load_events(seg_dataset *ds)
{
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.id_column = "customer_id";
    o.time_column = "time";
    o.kind_column = "kind";
    assert_ok(seg_dataset_load_csv_buffer_cat(ds, g_events, strlen(g_events),
                                              "events.csv", &o, "category"));
}

static seg_rules *g_tiers, *g_scores;
static seg_model *g_rfm;

static seg_dataset *dataset(int stage)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    /* one thread: the N-th allocation is then the same one every run */
    assert_ok(seg_dataset_set_threads(ds, 1));
    if (stage >= DS_LOADED) {
        seg_csv_options o;
        csv_options(&o);
        assert_ok(seg_dataset_load_csv_buffer(ds, g_csv, g_csv_len,
                                              "slice.txt", &o));
        load_events(ds);
        assert_ok(seg_dataset_set_attribute_str(ds, "0002", "dnc", "yes"));
    }
    if (stage >= DS_FEATURES) {
        seg_features_options fo;
        feature_options(&fo);
        assert_ok(seg_dataset_compute_features(ds, &fo));
    }
    if (stage >= DS_SCORED)
        assert_ok(seg_model_score(g_rfm, ds));
    if (stage >= DS_TIERED) {
        assert_ok(seg_rules_apply(g_tiers, ds, NULL));
        assert_ok(seg_rules_apply(g_scores, ds, NULL));
    }
    return ds;
}

/* Everything a dataset holds that the public API shows. */
static void show_dataset(const seg_dataset *ds, text *t)
{
    keepf(t, "customers %zu transactions %zu events %zu columns %zu\n",
          seg_dataset_customer_count(ds), seg_dataset_transaction_count(ds),
          seg_dataset_event_count(ds), seg_dataset_column_count(ds));
    assert_ok(seg_dataset_export(ds, SEG_FORMAT_CSV, NULL, 0, keep, t));
}

static void show_table(const seg_table *tab, text *t)
{
    keepf(t, "table %s %zux%zu\n", seg_table_name(tab),
          seg_table_row_count(tab), seg_table_column_count(tab));
    assert_ok(seg_table_write(tab, SEG_FORMAT_JSON, keep, t));
}

/* A model's learned state and results, as its saved file and results. */
static void show_model(const seg_model *m, text *t)
{
    keepf(t, "fitted %d\n", seg_model_is_fitted(m));
    if (!seg_model_is_fitted(m))
        return;
    const char *rn;
    for (size_t i = 0; (rn = seg_model_result_name(m, i)) != NULL; i++) {
        double v;
        assert_ok(seg_model_result(m, rn, &v));
        keepf(t, "%s %.17g\n", rn, v);
    }
    assert_ok(seg_model_save(m, g_model_path));
    size_t n;
    char *file = slurp(g_model_path, 0, &n);
    keep(file, n, t);
    free(file);
}

/* ---- scenarios ---- */

typedef struct ctx {
    const struct scenario *sc;
    seg_dataset *ds;
    seg_model *m;
    seg_rules *r;
    seg_table *tab;
    text out; /* what a writing call wrote */
} ctx;

typedef struct scenario {
    const char *name;
    const char *kind; /* the model kind, for the model scenarios */
    int stage;        /* the dataset the call is given */
    void (*setup)(ctx *c);
    int (*call)(ctx *c);
    void (*observe)(ctx *c, text *t); /* after a success */
    /* what a failed call must leave as it was; NULL: nothing to check */
    void (*unchanged)(ctx *c, text *t);
    /* what the call does wrong today, accepted for now: each is a library
     * defect, named in `defect` */
    int other_rc; /* a status it returns instead of SEG_ENOMEM, or 0 */
    int known;    /* KNOWN_* */
    const char *defect;
} scenario;

enum {
    KNOWN_PARTIAL = 1, /* a failed call leaves part of its change behind */
    KNOWN_LEAK = 2,    /* a failed call leaks blocks */
    KNOWN_NOMSG = 4,   /* SEG_ENOMEM with no message for the thread */
    KNOWN_EINVAL = 8   /* SEG_EINVAL besides other_rc */
};

static void setup_dataset(ctx *c) { c->ds = dataset(c->sc->stage); }

/* Two threads: which allocation is the N-th then varies from run to run,
 * but every run must still fail cleanly or succeed. */
static void setup_threads(ctx *c)
{
    setup_dataset(c);
    assert_ok(seg_dataset_set_threads(c->ds, 2));
}

static void setup_model(ctx *c)
{
    c->ds = dataset(c->sc->stage);
    assert_ok(seg_model_new(&c->m, c->sc->kind));
    if (strcmp(c->sc->kind, "kmeans") == 0) {
        assert_ok(seg_model_set_str(c->m, "features",
                                    "recency,frequency,monetary_total"));
        assert_ok(seg_model_set_int(c->m, "threads", 1));
        assert_ok(seg_model_set_int(c->m, "n_init", 3));
    }
    if (strcmp(c->sc->kind, "engagement") == 0)
        assert_ok(seg_model_set_str(c->m, "weights", "cart=4,call=0.5"));
}

static void setup_fitted(ctx *c)
{
    setup_model(c);
    assert_ok(seg_model_fit(c->m, c->ds));
    /* scored on a dataset of its own, so that the columns are new */
    seg_dataset_free(c->ds);
    c->ds = dataset(DS_FEATURES);
}

/* with the churn timing's columns too, next_date among them */
static void setup_fitted_timing(ctx *c)
{
    setup_model(c);
    assert_ok(seg_model_set_str(c->m, "timing", "on"));
    assert_ok(seg_model_fit(c->m, c->ds));
    seg_dataset_free(c->ds);
    c->ds = dataset(DS_FEATURES);
}

/* scored on a dataset that has the model's columns already (g_rfm's) */
static void setup_fitted_scored(ctx *c)
{
    setup_fitted(c);
    seg_dataset_free(c->ds);
    c->ds = dataset(DS_SCORED);
    assert_int_equal(seg_dataset_column_type(c->ds, "rfm.segment"),
                     SEG_COLUMN_LABEL);
}

static void show_ds(ctx *c, text *t) { show_dataset(c->ds, t); }
static void show_tab(ctx *c, text *t) { show_table(c->tab, t); }
static void show_out(ctx *c, text *t) { keep(c->out.p ? c->out.p : "", c->out.n, t); }
static void show_m(ctx *c, text *t) { show_model(c->m, t); }

static void show_rules(ctx *c, text *t)
{
    keepf(t, "output %s\n", seg_rules_output(c->r));
    seg_dataset *ds = dataset(DS_SCORED);
    assert_ok(seg_rules_apply(c->r, ds, NULL));
    show_dataset(ds, t);
    seg_dataset_free(ds);
}

static int call_load_file(ctx *c)
{
    seg_csv_options o;
    csv_options(&o);
    return seg_dataset_load_csv(c->ds, g_csv_path, &o);
}

static int call_load_buffer(ctx *c)
{
    seg_csv_options o;
    csv_options(&o);
    return seg_dataset_load_csv_buffer(c->ds, g_csv, g_csv_len, "slice.txt",
                                       &o);
}

static int call_load_events(ctx *c)
{
    seg_csv_options o;
    seg_csv_options_init(&o);
    return seg_dataset_load_csv_buffer_cat(c->ds, g_events, strlen(g_events),
                                           "events.csv", &o, "category");
}

static int call_add_transactions(ctx *c)
{
    static const char *const ids[] = {"n1", "n2", "0001", "n3", "n1"};
    static const int64_t times[] = {852076800, 852163200, 852249600,
                                    852336000, 852422400};
    static const double amounts[] = {1, 2, 3, 4, 5};
    return seg_dataset_add_transactions(c->ds, ids, times, amounts, 5);
}

static int call_add_categorized(ctx *c)
{
    static const char *const ids[] = {"n1", "0001", "n3"};
    static const int64_t times[] = {852076800, 852163200, 852249600};
    static const double amounts[] = {1, 2, 3};
    static const char *const cats[] = {"jazz", NULL, "folk"};
    return seg_dataset_add_transactions_cat(c->ds, ids, times, amounts, cats,
                                            3);
}

static int call_features(ctx *c)
{
    seg_features_options fo;
    feature_options(&fo);
    return seg_dataset_compute_features(c->ds, &fo);
}

static int call_fit(ctx *c) { return seg_model_fit(c->m, c->ds); }
static int call_score(ctx *c) { return seg_model_score(c->m, c->ds); }

static int call_save(ctx *c) { return seg_model_save(c->m, g_model_path); }

static void show_saved(ctx *c, text *t)
{
    (void)c;
    size_t n;
    char *file = slurp(g_model_path, 0, &n);
    keep(file, n, t);
    free(file);
}

static void setup_saved(ctx *c)
{
    setup_fitted(c);
    assert_ok(seg_model_save(c->m, g_model_path));
    seg_model_free(c->m);
    c->m = NULL;
}

static int call_load_model(ctx *c)
{
    seg_model_free(c->m);
    c->m = NULL;
    return seg_model_load(&c->m, g_model_path);
}

static void show_loaded(ctx *c, text *t)
{
    show_model(c->m, t);
    assert_ok(seg_model_score(c->m, c->ds));
    show_dataset(c->ds, t);
}

static int call_report(ctx *c)
{
    seg_table_free(c->tab);
    c->tab = NULL;
    const char *report = strcmp(c->sc->kind, "kmeans") == 0 ? "profile"
                                                            : "holdout";
    return seg_model_report_table(&c->tab, c->m, c->ds, report);
}

static int call_parse_tiers(ctx *c)
{
    seg_rules_free(c->r);
    c->r = NULL;
    return seg_rules_parse(&c->r, g_tier_rules, g_tier_rules_len,
                           "rfm_actions.rules");
}

static int call_parse_scores(ctx *c)
{
    seg_rules_free(c->r);
    c->r = NULL;
    return seg_rules_parse(&c->r, g_score_rules, strlen(g_score_rules),
                           "score.rules");
}

static int call_apply_tiers(ctx *c) { return seg_rules_apply(g_tiers, c->ds, NULL); }
static int call_apply_scores(ctx *c) { return seg_rules_apply(g_scores, c->ds, NULL); }

static int call_explain(ctx *c)
{
    text_free(&c->out);
    int rc = SEG_OK;
    for (size_t row = 0; row < 3 && !rc; row++)
        rc = seg_rules_explain(g_tiers, c->ds, row, SEG_FORMAT_TEXT, keep,
                               &c->out);
    for (size_t row = 0; row < 3 && !rc; row++)
        rc = seg_rules_explain(g_scores, c->ds, row, SEG_FORMAT_JSON, keep,
                               &c->out);
    return rc;
}

static int call_explain_table(ctx *c)
{
    seg_table_free(c->tab);
    c->tab = NULL;
    return seg_rules_explain_table(&c->tab, g_scores, c->ds, 2);
}

static void call_list_options(seg_call_list_options *o)
{
    seg_call_list_options_init(o);
    o->tier_column = "action";
    o->value_column = "monetary_total";
    o->exclude_column = "dnc";
    o->capacity = 40;
}

static int call_call_list_table(ctx *c)
{
    seg_table_free(c->tab);
    c->tab = NULL;
    seg_call_list_options o;
    call_list_options(&o);
    return seg_call_list_table(&c->tab, g_tiers, c->ds, &o);
}

static int call_call_list(ctx *c)
{
    text_free(&c->out);
    seg_call_list_options o;
    call_list_options(&o);
    return seg_rules_call_list(g_tiers, c->ds, &o, keep, &c->out);
}

/* ---- operations: a ladder, a holdout, a campaign ---- */

static const char g_ladder[] =
    "period = 180d\npoints event view = 5\npoints event call = 10\n"
    "tier Base = 0\ntier Silver = 50 keep 20\ntier Gold = 200 keep 80\n";

static int call_ladder_apply(ctx *c)
{
    seg_ladder *l;
    int rc = seg_ladder_parse(&l, g_ladder, strlen(g_ladder), "faults");
    if (!rc)
        rc = seg_ladder_apply(l, c->ds, SEG_TIME_NONE);
    seg_ladder_free(l);
    return rc;
}

static int call_ladder_ledger(ctx *c)
{
    seg_table_free(c->tab);
    c->tab = NULL;
    seg_ladder *l;
    int rc = seg_ladder_parse(&l, g_ladder, strlen(g_ladder), "faults");
    if (!rc)
        rc = seg_ladder_ledger_table(&c->tab, l, c->ds, SEG_TIME_NONE, NULL);
    seg_ladder_free(l);
    return rc;
}

static int call_holdout(ctx *c)
{
    seg_holdout_options o;
    seg_holdout_options_init(&o);
    o.seed = 7;
    o.share = 0.3;
    o.tier_column = "action";
    o.shares = "VIP care=0.1";
    return seg_dataset_assign_holdout(c->ds, &o);
}

static void setup_campaign(ctx *c)
{
    setup_dataset(c);
    assert_ok(call_holdout(c));
}

static int call_campaign(ctx *c)
{
    seg_table_free(c->tab);
    c->tab = NULL;
    seg_campaign_options o;
    seg_campaign_options_init(&o);
    o.tier_column = "action";
    assert_ok(seg_dataset_parse_time(c->ds, &o.campaign_date, "1997-06-30",
                                     10, SEG_TIME_AUTO | SEG_TIME_END_OF_DAY));
    o.window_days = 90;
    return seg_campaign_table(&c->tab, c->ds, &o);
}

/* ---- a lead-pool reclaim ---- */

static const char g_reclaim[] =
    "owner_since = since\nreleased = released\nfollowup = call view\n"
    "deal = transaction\ndeal = event checkout\n"
    "rule quiet = no followup in 60d\nrule dry = no deal in 120d\n"
    "reminder = 59d\ncap = 2\nlockout = 90d\n";

/* Owners by turn (one in four without), assignment dates for half, and
 * two earlier reclaims: enough for every status, the cap and the lock. */
static void setup_leads(ctx *c)
{
    setup_dataset(c);
    static const char *const owners[] = {"ann", "bob", "", "ann"};
    size_t n = seg_dataset_customer_count(c->ds);
    for (size_t i = 0; i < n; i++) {
        const char *id = seg_dataset_customer_id(c->ds, i);
        assert_ok(seg_dataset_set_attribute_str(c->ds, id, "owner",
                                                owners[i % 4]));
        if (i % 2 == 0)
            assert_ok(seg_dataset_set_attribute_f64(
                c->ds, id, "since", 883612800.0 + 86400.0 * (double)i));
    }
    assert_ok(seg_dataset_add_event(c->ds, seg_dataset_customer_id(c->ds, 0),
                                    897000000, "released:ann", NAN));
    assert_ok(seg_dataset_add_event(c->ds, seg_dataset_customer_id(c->ds, 2),
                                    897000000, "released:cy", NAN));
}

static int call_reclaim_apply(ctx *c)
{
    seg_reclaim *r;
    int rc = seg_reclaim_parse(&r, g_reclaim, strlen(g_reclaim), "faults");
    if (!rc)
        rc = seg_reclaim_apply(r, c->ds, SEG_TIME_NONE);
    seg_reclaim_free(r);
    return rc;
}

/* the columns are there already: a failure must leave the old values */
static void setup_leads_applied(ctx *c)
{
    setup_leads(c);
    assert_ok(call_reclaim_apply(c));
}

static int call_reclaim_list(ctx *c, bool reminders)
{
    seg_table_free(c->tab);
    c->tab = NULL;
    seg_reclaim *r;
    int rc = seg_reclaim_parse(&r, g_reclaim, strlen(g_reclaim), "faults");
    if (!rc)
        rc = reminders
                 ? seg_reclaim_reminder_table(&c->tab, r, c->ds,
                                              SEG_TIME_NONE)
                 : seg_reclaim_list_table(&c->tab, r, c->ds, SEG_TIME_NONE);
    seg_reclaim_free(r);
    return rc;
}

static int call_reclaim_reclaimed(ctx *c)
{
    return call_reclaim_list(c, false);
}

static int call_reclaim_reminders(ctx *c)
{
    return call_reclaim_list(c, true);
}

static const char *const g_values[] = {"monetary_total", "orders"};

static int call_summary_table(ctx *c)
{
    seg_table_free(c->tab);
    c->tab = NULL;
    return seg_dataset_summary_table(&c->tab, c->ds, "action", g_values, 2);
}

static int call_summary(ctx *c)
{
    text_free(&c->out);
    return seg_dataset_summary(c->ds, "rfm.segment", g_values, 2,
                               SEG_FORMAT_JSON, keep, &c->out);
}

static int call_crosstab_table(ctx *c)
{
    seg_table_free(c->tab);
    c->tab = NULL;
    return seg_dataset_crosstab_table(&c->tab, c->ds, "action",
                                      "rfm.segment");
}

static int call_crosstab(ctx *c)
{
    text_free(&c->out);
    return seg_dataset_crosstab(c->ds, "grade", "action", SEG_FORMAT_CSV,
                                keep, &c->out);
}

static int call_export_csv(ctx *c)
{
    text_free(&c->out);
    return seg_dataset_export(c->ds, SEG_FORMAT_CSV, NULL, 0, keep, &c->out);
}

static int call_export_json(ctx *c)
{
    text_free(&c->out);
    static const char *const cols[] = {"rfm.segment", "orders", "action",
                                       "grade.points"};
    return seg_dataset_export(c->ds, SEG_FORMAT_JSON, cols, 4, keep, &c->out);
}

static int call_export_file(ctx *c)
{
    return seg_dataset_export_file(c->ds, SEG_FORMAT_CSV, NULL, 0,
                                   g_export_path);
}

static void show_export_file(ctx *c, text *t)
{
    (void)c;
    size_t n;
    char *file = slurp(g_export_path, 0, &n);
    keep(file, n, t);
    free(file);
}

static int call_table_write(ctx *c)
{
    text_free(&c->out);
    int rc = seg_table_write(c->tab, SEG_FORMAT_TEXT, keep, &c->out);
    return rc ? rc : seg_table_write(c->tab, SEG_FORMAT_CSV, keep, &c->out);
}

static void setup_table(ctx *c)
{
    setup_dataset(c);
    assert_ok(seg_dataset_crosstab_table(&c->tab, c->ds, "action",
                                         "rfm.segment"));
}

/* No scenario accepts a defect: every call that runs out of memory says
 * SEG_ENOMEM with a message on the thread, frees what it took, and leaves
 * its handles as they were (scores and rule sets write their columns
 * together or not at all). The fields for a tolerated status, a partial
 * change or a leak stay, for a defect found later to be recorded with the
 * reason until it is fixed. */

#define MODEL(k, fit_rc, fit_known, fit_defect, score_known, score_defect)  \
    {"fit " k, k, DS_FEATURES, setup_model, call_fit, show_m, show_m,       \
     fit_rc, fit_known, fit_defect},                                         \
    {"score " k, k, DS_FEATURES, setup_fitted, call_score, show_ds, show_ds, \
     0, score_known, score_defect}

static const scenario g_scenarios[] = {
    {"load CSV file", NULL, DS_EMPTY, setup_dataset, call_load_file, show_ds,
     show_ds, 0, 0, NULL},
    {"load CSV buffer", NULL, DS_EMPTY, setup_dataset, call_load_buffer,
     show_ds, show_ds, 0, 0, NULL},
    {"load CSV buffer into a dataset", NULL, DS_LOADED, setup_dataset,
     call_load_buffer, show_ds, show_ds, 0, 0, NULL},
    {"load events", NULL, DS_FEATURES, setup_dataset, call_load_events,
     show_ds, show_ds, 0, 0, NULL},
    {"add transactions", NULL, DS_EMPTY, setup_dataset,
     call_add_transactions, show_ds, show_ds, 0, 0, NULL},
    {"add categorized transactions", NULL, DS_FEATURES, setup_dataset,
     call_add_categorized, show_ds, show_ds, 0, 0, NULL},
    {"features", NULL, DS_LOADED, setup_dataset, call_features, show_ds,
     show_ds, 0, 0, NULL},
    {"load CSV buffer, two threads", NULL, DS_EMPTY, setup_threads,
     call_load_buffer, show_ds, show_ds, 0, 0, NULL},
    {"features, two threads", NULL, DS_LOADED, setup_threads, call_features,
     show_ds, show_ds, 0, 0, NULL},
    {"features again", NULL, DS_FEATURES, setup_dataset, call_features,
     show_ds, show_ds, 0, 0, NULL},
    MODEL("rfm", 0, 0, NULL, 0, NULL),
    MODEL("bgnbd", 0, 0, NULL, 0, NULL),
    MODEL("gamma_gamma", 0, 0, NULL, 0, NULL),
    MODEL("clv", 0, 0, NULL, 0, NULL),
    MODEL("engagement", 0, 0, NULL, 0, NULL),
    MODEL("stage", 0, 0, NULL, 0, NULL),
    MODEL("kmeans", 0, 0, NULL, 0, NULL),
    MODEL("interest", 0, 0, NULL, 0, NULL),
    {"score clv, timing", "clv", DS_FEATURES, setup_fitted_timing,
     call_score, show_ds, show_ds, 0, 0, NULL},
    {"save clv", "clv", DS_FEATURES, setup_fitted, call_save, show_saved,
     NULL, 0, 0, NULL},
    {"load clv", "clv", DS_FEATURES, setup_saved, call_load_model,
     show_loaded, NULL, 0, 0, NULL},
    {"load kmeans", "kmeans", DS_FEATURES, setup_saved, call_load_model,
     show_loaded, NULL, 0, 0, NULL},
    /* pareto_nbd: bgnbd fitted on the slice has a + b < 1, and its
     * 'expected' then fails for x = 0 (a defect of its own) */
    {"holdout report", "pareto_nbd", DS_FEATURES, setup_fitted, call_report,
     show_tab, NULL, 0, 0, NULL},
    {"profile report", "kmeans", DS_FEATURES, setup_fitted, call_report,
     show_tab, NULL, 0, 0, NULL},
    {"parse tier rules", NULL, DS_EMPTY, setup_dataset, call_parse_tiers,
     show_rules, NULL, 0, 0, NULL},
    {"parse score rules", NULL, DS_EMPTY, setup_dataset, call_parse_scores,
     show_rules, NULL, 0, 0, NULL},
    {"apply tier rules", NULL, DS_SCORED, setup_dataset, call_apply_tiers,
     show_ds, show_ds, 0, 0, NULL},
    /* the columns are there already: a failure must leave the old values */
    {"score rfm again", "rfm", DS_SCORED, setup_fitted_scored, call_score,
     show_ds, show_ds, 0, 0, NULL},
    {"apply tier rules again", NULL, DS_TIERED, setup_dataset,
     call_apply_tiers, show_ds, show_ds, 0, 0, NULL},
    {"apply score rules", NULL, DS_SCORED, setup_dataset, call_apply_scores,
     show_ds, show_ds, 0, 0, NULL},
    {"explain", NULL, DS_TIERED, setup_dataset, call_explain, show_out, NULL,
     0, 0, NULL},
    {"explain table", NULL, DS_TIERED, setup_dataset, call_explain_table,
     show_tab, NULL, 0, 0, NULL},
    {"call list table", NULL, DS_TIERED, setup_dataset, call_call_list_table,
     show_tab, NULL, 0, 0, NULL},
    {"call list", NULL, DS_TIERED, setup_dataset, call_call_list, show_out,
     NULL, 0, 0, NULL},
    {"ladder apply", NULL, DS_TIERED, setup_dataset, call_ladder_apply,
     show_ds, show_ds, 0, 0, NULL},
    {"ladder ledger", NULL, DS_TIERED, setup_dataset, call_ladder_ledger,
     show_tab, NULL, 0, 0, NULL},
    {"reclaim apply", NULL, DS_TIERED, setup_leads, call_reclaim_apply,
     show_ds, show_ds, 0, 0, NULL},
    {"reclaim apply again", NULL, DS_TIERED, setup_leads_applied,
     call_reclaim_apply, show_ds, show_ds, 0, 0, NULL},
    {"reclaim list", NULL, DS_TIERED, setup_leads, call_reclaim_reclaimed,
     show_tab, NULL, 0, 0, NULL},
    {"reclaim reminders", NULL, DS_TIERED, setup_leads,
     call_reclaim_reminders, show_tab, NULL, 0, 0, NULL},
    {"holdout", NULL, DS_TIERED, setup_dataset, call_holdout, show_ds,
     show_ds, 0, 0, NULL},
    {"campaign table", NULL, DS_TIERED, setup_campaign, call_campaign,
     show_tab, NULL, 0, 0, NULL},
    {"summary table", NULL, DS_TIERED, setup_dataset, call_summary_table,
     show_tab, NULL, 0, 0, NULL},
    {"summary", NULL, DS_TIERED, setup_dataset, call_summary, show_out, NULL,
     0, 0, NULL},
    {"crosstab table", NULL, DS_TIERED, setup_dataset, call_crosstab_table,
     show_tab, NULL, 0, 0, NULL},
    {"crosstab", NULL, DS_TIERED, setup_dataset, call_crosstab, show_out,
     NULL, 0, 0, NULL},
    {"table write", NULL, DS_TIERED, setup_table, call_table_write, show_out,
     NULL, 0, 0, NULL},
    {"export CSV", NULL, DS_TIERED, setup_dataset, call_export_csv, show_out,
     NULL, 0, 0, NULL},
    {"export JSON", NULL, DS_TIERED, setup_dataset, call_export_json,
     show_out, NULL, 0, 0, NULL},
    {"export file", NULL, DS_TIERED, setup_dataset, call_export_file,
     show_export_file, NULL, 0, 0, NULL},
};

static void teardown(ctx *c)
{
    seg_table_free(c->tab);
    seg_rules_free(c->r);
    seg_model_free(c->m);
    seg_dataset_free(c->ds);
    text_free(&c->out);
    *c = (ctx){c->sc, NULL, NULL, NULL, NULL, {NULL, 0}};
}

/* ---- the loop ---- */

/* Every N up to ALL_UP_TO; past it, about STRIDED more, evenly spread, and
 * the last one. Enough for every scenario of the slice, and a bound on the
 * time under ASan. */
enum { ALL_UP_TO = 400, STRIDED = 100 };

static size_t g_total_runs, g_defects;
/* the first failing run of a scenario that showed a known defect */
static size_t g_defect_n;
static bool g_defect_persistent;

static void defect_seen(size_t nth, bool persistent)
{
    if (!g_defect_n) {
        g_defect_n = nth;
        g_defect_persistent = persistent;
    }
    g_defects++;
}

/* One failing run: N-th allocation (and later ones when persistent). */
static void run_once(const scenario *sc, size_t nth, bool persistent,
                     const text *ref, long *live0)
{
    ctx c = {sc, NULL, NULL, NULL, NULL, {NULL, 0}};
    sc->setup(&c);
    text before = {NULL, 0};
    if (sc->unchanged)
        sc->unchanged(&c, &before);
    seg_error_clear();
    arm(nth, persistent);
    int rc = sc->call(&c);
    size_t failed = disarm();
    g_total_runs++;
    bool verbose = getenv("SEG_FAULT_N") != NULL;
    if (verbose)
        fprintf(stderr, "%s: %zu allocations refused; returned %d (%s): %s\n",
                sc->name, failed, rc, seg_strerror(rc), seg_errmsg());
    if (failed == 0) {
        /* past the call's last allocation */
        if (rc != SEG_OK)
            fail_msg("%s: no allocation failed at N = %zu, yet it returned "
                     "%d: %s", sc->name, nth, rc, seg_errmsg());
    } else if (rc == SEG_OK) {
        /* a failure the library worked around: only the result counts */
        text got = {NULL, 0};
        sc->observe(&c, &got);
        if (!text_eq(&got, ref))
            fail_msg("%s: allocation %zu%s failed, the call returned 0 but "
                     "its result differs", sc->name, nth,
                     persistent ? "+" : "");
        text_free(&got);
    } else if (rc != SEG_ENOMEM) {
        if (rc != sc->other_rc &&
            !(rc == SEG_EINVAL && (sc->known & KNOWN_EINVAL)))
            fail_msg("%s: allocation %zu%s failed: returned %d (%s), not "
                     "SEG_ENOMEM: %s", sc->name, nth, persistent ? "+" : "",
                     rc, seg_strerror(rc), seg_errmsg());
        defect_seen(nth, persistent);
    } else if (strcmp(seg_errmsg(), "no error") == 0) {
        if (sc->known & KNOWN_NOMSG)
            defect_seen(nth, persistent);
        else
            fail_msg("%s: allocation %zu%s failed: SEG_ENOMEM without a message",
                 sc->name, nth, persistent ? "+" : "");
    }
    if (rc != SEG_OK && sc->unchanged) {
        text after = {NULL, 0};
        sc->unchanged(&c, &after);
        if (text_eq(&before, &after))
            ;
        else if (verbose)
            fprintf(stderr, "%s: changed the handle; before:\n%s\nafter:\n%s\n",
                    sc->name, before.p, after.p);
        if (text_eq(&before, &after))
            ;
        else if (sc->known & KNOWN_PARTIAL)
            defect_seen(nth, persistent);
        else
            fail_msg("%s: allocation %zu%s failed and the call changed its "
                     "handle (%zu bytes shown before, %zu after)", sc->name,
                     nth, persistent ? "+" : "", before.n, after.n);
        text_free(&after);
    }
    text_free(&before);
    if (rc != SEG_OK) {
        /* the handles are still good: the same call now succeeds, with the
         * same result */
        int rc2 = sc->call(&c);
        if (rc2 != SEG_OK)
            fail_msg("%s: after allocation %zu%s failed, the call without "
                     "failures returned %d: %s", sc->name, nth,
                     persistent ? "+" : "", rc2, seg_errmsg());
        text got = {NULL, 0};
        sc->observe(&c, &got);
        if (!text_eq(&got, ref))
            fail_msg("%s: after allocation %zu%s failed, the call without "
                     "failures gives another result", sc->name, nth,
                     persistent ? "+" : "");
        text_free(&got);
    }
    teardown(&c);
    long live = atomic_load(&g_live);
    if (verbose)
        fprintf(stderr, "%s: %ld blocks not freed\n", sc->name, live - *live0);
    if (live != *live0 && (sc->known & KNOWN_LEAK))
        defect_seen(nth, persistent);
    else if (live != *live0)
        fail_msg("%s: allocation %zu%s failed: %ld blocks leaked", sc->name,
                 nth, persistent ? "+" : "", live - *live0);
    *live0 = live;
}

static void test_scenario(void **state)
{
    const scenario *sc = *state;
    /* SEG_FAULT_ONLY="fit bgnbd" SEG_FAULT_N=9: that run alone, to debug */
    const char *only = getenv("SEG_FAULT_ONLY"), *nth = getenv("SEG_FAULT_N");
    if (only && strcmp(only, sc->name) != 0)
        skip();
    /* a first run, so that what the library sets up once per process is
     * not counted as a leak */
    ctx c = {sc, NULL, NULL, NULL, NULL, {NULL, 0}};
    sc->setup(&c);
    assert_ok(sc->call(&c));
    teardown(&c);

    long live0 = atomic_load(&g_live);
    sc->setup(&c);
    size_t start = atomic_load(&g_calls);
    assert_ok(sc->call(&c));
    size_t count = atomic_load(&g_calls) - start;
    text ref = {NULL, 0};
    sc->observe(&c, &ref);
    teardown(&c);
    assert_int_equal(atomic_load(&g_live), live0);

    size_t stride = count > ALL_UP_TO ? (count - ALL_UP_TO) / STRIDED + 1 : 1;
    size_t runs0 = g_total_runs, defects0 = g_defects;
    g_defect_n = 0;
    if (nth) {
        run_once(sc, strtoul(nth, NULL, 10),
                 getenv("SEG_FAULT_PERSISTENT") != NULL,
                 &ref, &live0);
        text_free(&ref);
        return;
    }
    for (size_t n = 1; n <= count + 1; n = n < ALL_UP_TO ? n + 1 : n + stride) {
        run_once(sc, n, false, &ref, &live0);
        run_once(sc, n, true, &ref, &live0);
    }
    if (count > ALL_UP_TO)
        run_once(sc, count, false, &ref, &live0);
    printf("    %-32s %6zu allocations, %5zu runs", sc->name, count,
           g_total_runs - runs0);
    if (g_defects > defects0)
        printf(", known defect from SEG_FAULT_N=%zu%s: %s", g_defect_n,
               g_defect_persistent ? " SEG_FAULT_PERSISTENT=1" : "",
               sc->defect);
    printf("\n");
    text_free(&ref);
}

/* ---- main ---- */

int main(void)
{
    seg_allocator a;
    seg_allocator_init(&a);
    a.malloc_fn = f_malloc;
    a.realloc_fn = f_realloc;
    a.free_fn = f_free;
    if (seg_config_allocator(&a) != SEG_OK) {
        fprintf(stderr, "seg_config_allocator: %s\n", seg_errmsg());
        return 1;
    }

    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/test-faults-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(g_csv_path, sizeof g_csv_path, "%s/slice.txt", g_dir);
    snprintf(g_model_path, sizeof g_model_path, "%s/m.model", g_dir);
    snprintf(g_export_path, sizeof g_export_path, "%s/export.csv", g_dir);
    g_csv = slurp(SEG_TEST_DATA "/CDNOW_sample.txt", SLICE_LINES, &g_csv_len);
    FILE *f = fopen(g_csv_path, "wb");
    if (!f || fwrite(g_csv, 1, g_csv_len, f) != g_csv_len || fclose(f)) {
        perror(g_csv_path);
        return 1;
    }
    g_tier_rules = slurp(SEG_RULES_DIR "/rfm_actions.rules", 0,
                         &g_tier_rules_len);
    if (seg_rules_parse(&g_tiers, g_tier_rules, g_tier_rules_len,
                        "rfm_actions.rules") ||
        seg_rules_parse(&g_scores, g_score_rules, strlen(g_score_rules),
                        "score.rules") ||
        seg_model_new(&g_rfm, "rfm")) {
        fprintf(stderr, "fixtures: %s\n", seg_errmsg());
        return 1;
    }
    seg_dataset *fit_on = dataset(DS_FEATURES);
    if (seg_model_fit(g_rfm, fit_on)) {
        fprintf(stderr, "rfm fit: %s\n", seg_errmsg());
        return 1;
    }
    seg_dataset_free(fit_on);

    enum { N = sizeof g_scenarios / sizeof g_scenarios[0] };
    struct CMUnitTest tests[N];
    for (size_t i = 0; i < N; i++) {
        tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate(
            test_scenario, (void *)&g_scenarios[i]);
        tests[i].name = g_scenarios[i].name;
    }
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    printf("%zu failing runs, %zu with a known wrong status\n", g_total_runs,
           g_defects);

    seg_rules_free(g_tiers);
    seg_rules_free(g_scores);
    seg_model_free(g_rfm);
    free(g_csv);
    free(g_tier_rules);
    remove(g_csv_path);
    remove(g_model_path);
    remove(g_export_path);
    rmdir(g_dir);
    return failed ? 1 : 0;
}
