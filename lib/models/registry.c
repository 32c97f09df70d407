/* Model kinds: the built-in classes and the plug-ins registered at run
 * time, each kept alive by its instances. */
#include <stdio.h>
#include <string.h>

#include "models/struct.h"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static seg__kind **g_kinds;
static size_t g_nkinds, g_capkinds;

/* The built-in classes, with the tables of their own reports (a plug-in
 * writes its reports only as bytes), and whether their fit and score read
 * only columns (seg_model_reads_transactions). */
static const struct {
    const seg_model_class *cls;
    seg__report_table_fn report_table;
    bool columns_only;
} builtins[] = {
    {&seg__rfm_class, NULL, true},
    {&seg__bgnbd_class, seg__clv_report_table, true},
    {&seg__mbgnbd_class, seg__clv_report_table, true},
    {&seg__pnbd_class, seg__clv_report_table, true},
    {&seg__bgbb_class, seg__clv_report_table, true},
    {&seg__gg_class, seg__clv_report_table, true},
    {&seg__clv_class, seg__clv_report_table, true},
    {&seg__engagement_class, NULL, false},
    {&seg__stage_class, NULL, false},
    {&seg__kmeans_class, seg__km_report_table, true},
    {&seg__interest_class, NULL, false},
    {&seg__ggompertz_class, NULL, true},
};

static void kind_free(seg__kind *k)
{
    if (!k->builtin) {
        for (size_t i = 0; i < k->n_params; i++) {
            seg__free((char *)k->params[i].name);
            seg__free((char *)k->params[i].description);
            seg__free((char *)k->params[i].default_str);
            seg__free((char *)k->params[i].choices);
        }
        seg__free(k->params);
        for (size_t i = 0; i < 3; i++)
            seg__free(k->owned[i]);
    }
    if (k->destroy)
        k->destroy(k->user_data);
    seg__free(k);
}

static void kind_release(seg__kind *k)
{
    pthread_mutex_lock(&g_lock);
    bool last = --k->refs == 0;
    pthread_mutex_unlock(&g_lock);
    if (last)
        kind_free(k);
}

static bool valid_ident(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static char *dup_or_null(const char *s, bool *fail)
{
    if (!s)
        return NULL;
    char *d = seg__strndup(s, strlen(s));
    if (!d)
        *fail = true;
    return d;
}

/* Check and copy a class. Built-in classes keep their static strings. */
static int make_kind(const seg_model_class *cls, void *user_data,
                     void (*destroy)(void *), bool builtin,
                     seg__kind **out)
{
    if (!cls || cls->size < sizeof(size_t))
        return seg__error(NULL, SEG_EINVAL, "model class is NULL or its size "
                          "is not set");
    seg__kind *k = seg__calloc(1, sizeof *k);
    if (!k)
        return seg__nomem(NULL);
    size_t n = cls->size < sizeof k->cls ? cls->size : sizeof k->cls;
    memcpy(&k->cls, cls, n);
    k->cls.size = sizeof k->cls;
    int rc = SEG_OK;
    if (!valid_ident(k->cls.kind))
        rc = seg__error(NULL, SEG_EINVAL, "model kind name must be letters, "
                        "digits and '_'");
    else if (!k->cls.create || !k->cls.destroy || !k->cls.fit ||
             !k->cls.score)
        rc = seg__error(NULL, SEG_EINVAL, "model class '%s' lacks a create, "
                        "destroy, fit or score callback", k->cls.kind);
    else if (k->cls.n_params &&
             (!k->cls.params || k->cls.param_def_size < sizeof(size_t) +
                                    sizeof(const char *) + sizeof(int)))
        rc = seg__error(NULL, SEG_EINVAL, "model class '%s': params or "
                        "param_def_size not set", k->cls.kind);
    if (rc) {
        seg__free(k);
        return rc;
    }
    k->n_params = k->cls.n_params;
    k->params = seg__calloc(k->n_params ? k->n_params : 1, sizeof *k->params);
    if (!k->params) {
        seg__free(k);
        return seg__nomem(NULL);
    }
    bool fail = false;
    for (size_t i = 0; i < k->n_params; i++) {
        seg_param_def *d = &k->params[i];
        seg_param_def_init(d);
        size_t sz = k->cls.param_def_size;
        const char *src = (const char *)k->cls.params + i * sz;
        memcpy(d, src, sz < sizeof *d ? sz : sizeof *d);
        d->size = sizeof *d;
        if (!valid_ident(d->name) || d->type < SEG_PARAM_F64 ||
            d->type > SEG_PARAM_STR ||
            (d->type != SEG_PARAM_STR &&
             !(d->min <= d->default_num && d->default_num <= d->max))) {
            rc = seg__error(NULL, SEG_EINVAL, "model class '%s': parameter "
                            "%zu is invalid (name, type or default out of "
                            "bounds)", k->cls.kind, i);
            break;
        }
    }
    if (!rc && !builtin) {
        for (size_t i = 0; i < k->n_params; i++) {
            seg_param_def *d = &k->params[i];
            d->name = dup_or_null(d->name, &fail);
            d->description = dup_or_null(d->description, &fail);
            d->default_str = dup_or_null(d->default_str, &fail);
            d->choices = dup_or_null(d->choices, &fail);
        }
        k->owned[0] = dup_or_null(k->cls.kind, &fail);
        k->owned[1] = dup_or_null(k->cls.description, &fail);
        k->cls.kind = k->owned[0];
        k->cls.description = k->owned[1];
        k->cls.params = NULL;
        if (fail)
            rc = seg__nomem(NULL);
    }
    if (rc) {
        if (builtin) {
            seg__free(k->params);
            seg__free(k);
        } else {
            k->destroy = NULL; /* the caller keeps its user data */
            kind_free(k);
        }
        return rc;
    }
    k->user_data = user_data;
    k->destroy = destroy;
    k->builtin = builtin;
    k->registered = true;
    k->refs = 1;
    *out = k;
    return SEG_OK;
}

static int add_kind(seg__kind *k)
{
    for (size_t i = 0; i < g_nkinds; i++)
        if (strcmp(g_kinds[i]->cls.kind, k->cls.kind) == 0)
            return seg__error(NULL, SEG_EEXISTS,
                              "model kind '%s' is already registered",
                              k->cls.kind);
    if (seg__grow((void **)&g_kinds, &g_capkinds, g_nkinds + 1,
                  sizeof *g_kinds))
        return seg__nomem(NULL);
    g_kinds[g_nkinds++] = k;
    return SEG_OK;
}

/* Which built-ins are in the registry. One that could not be added (out
 * of memory) is tried again at the next call, rather than missing for the
 * life of the process. */
#define N_BUILTINS (sizeof builtins / sizeof *builtins)
static bool g_have[N_BUILTINS];
static bool g_complete;

static void registry(void)
{
    pthread_mutex_lock(&g_lock);
    if (!g_complete) {
        bool all = true;
        for (size_t i = 0; i < N_BUILTINS; i++) {
            seg__kind *k;
            if (g_have[i])
                continue;
            if (make_kind(builtins[i].cls, NULL, NULL, true, &k) != SEG_OK) {
                all = false;
                continue;
            }
            k->report_table = builtins[i].report_table;
            k->columns_only = builtins[i].columns_only;
            if (add_kind(k) != SEG_OK) {
                kind_free(k);
                all = false;
                continue;
            }
            g_have[i] = true;
        }
        g_complete = all;
    }
    pthread_mutex_unlock(&g_lock);
}

int seg_model_register(const seg_model_class *cls, void *user_data,
                       void (*destroy)(void *user_data))
{
    registry();
    seg__kind *k;
    int rc = make_kind(cls, user_data, destroy, false, &k);
    if (rc)
        return rc;
    pthread_mutex_lock(&g_lock);
    rc = add_kind(k);
    pthread_mutex_unlock(&g_lock);
    if (rc) {
        k->destroy = NULL;
        kind_free(k);
    }
    return rc;
}

int seg_model_unregister(const char *name)
{
    if (!name)
        return seg__error(NULL, SEG_EINVAL, "kind is NULL");
    registry();
    pthread_mutex_lock(&g_lock);
    seg__kind *k = NULL;
    int rc = SEG_OK;
    for (size_t i = 0; i < g_nkinds; i++) {
        if (strcmp(g_kinds[i]->cls.kind, name) == 0) {
            if (g_kinds[i]->builtin) {
                rc = SEG_EMISUSE;
                break;
            }
            k = g_kinds[i];
            memmove(g_kinds + i, g_kinds + i + 1,
                    (g_nkinds - i - 1) * sizeof *g_kinds);
            g_nkinds--;
            break;
        }
    }
    pthread_mutex_unlock(&g_lock);
    if (rc)
        return seg__error(NULL, rc, "'%s' is a built-in model kind", name);
    if (!k)
        return seg__error(NULL, SEG_ENOTFOUND, "no model kind '%s'", name);
    k->registered = false;
    kind_release(k);
    return SEG_OK;
}

size_t seg_model_kind_count(void)
{
    registry();
    pthread_mutex_lock(&g_lock);
    size_t n = g_nkinds;
    pthread_mutex_unlock(&g_lock);
    return n;
}

const char *seg_model_kind_name(size_t i)
{
    registry();
    pthread_mutex_lock(&g_lock);
    const char *s = i < g_nkinds ? g_kinds[i]->cls.kind : NULL;
    pthread_mutex_unlock(&g_lock);
    return s;
}

int seg__kind_acquire(const char *kind_name, seg__kind **out)
{
    registry();
    pthread_mutex_lock(&g_lock);
    seg__kind *k = NULL;
    for (size_t i = 0; i < g_nkinds && !k; i++)
        if (strcmp(g_kinds[i]->cls.kind, kind_name) == 0)
            k = g_kinds[i];
    if (k)
        k->refs++;
    char known[512] = "";
    if (!k)
        for (size_t i = 0; i < g_nkinds; i++) {
            size_t l = strlen(known);
            snprintf(known + l, sizeof known - l, "%s%s", i ? ", " : "",
                     g_kinds[i]->cls.kind);
        }
    bool complete = g_complete;
    pthread_mutex_unlock(&g_lock);
    if (!k && !complete)
        return seg__nomem(NULL); /* it may be a built-in not yet added */
    if (!k) {
        char ex[64];
        return seg__error(NULL, SEG_ENOTFOUND,
                          "no model kind '%s' (known: %s)",
                          seg__excerpt(ex, sizeof ex, kind_name,
                                       strlen(kind_name)),
                          known);
    }
    *out = k;
    return SEG_OK;
}

void seg__kind_release(seg__kind *k) { kind_release(k); }
