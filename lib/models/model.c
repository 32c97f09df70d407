/* Models: the registry of kinds, instances, parameters, save and load. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/internal.h"

#define FORMAT_VERSION 1
#define MAX_MODEL_FILE (64u << 20)

/* ---- kinds ---- */

typedef struct kind {
    seg_model_class cls;     /* strings point into owned copies for plug-ins */
    seg_param_def *params;
    size_t n_params;
    void *user_data;
    void (*destroy)(void *user_data);
    bool builtin;
    bool registered;
    size_t refs;             /* instances, plus one while registered */
    char *owned[3];          /* kind, description for plug-ins */
} kind;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static kind **g_kinds;
static size_t g_nkinds, g_capkinds;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static const seg_model_class *const builtins[] = {
    &seg__rfm_class,   &seg__bgnbd_class, &seg__mbgnbd_class, &seg__pnbd_class,
    &seg__bgbb_class,  &seg__gg_class,    &seg__clv_class,
    &seg__engagement_class, &seg__stage_class, &seg__kmeans_class};

static void kind_free(kind *k)
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

static void kind_release(kind *k)
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
                     void (*destroy)(void *), bool builtin, kind **out)
{
    if (!cls || cls->size < sizeof(size_t))
        return seg__error(NULL, SEG_EINVAL, "model class is NULL or its size "
                          "is not set");
    kind *k = seg__calloc(1, sizeof *k);
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

static int add_kind(kind *k)
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

static void registry_init(void)
{
    for (size_t i = 0; i < sizeof builtins / sizeof *builtins; i++) {
        kind *k;
        if (make_kind(builtins[i], NULL, NULL, true, &k) == SEG_OK &&
            add_kind(k) != SEG_OK)
            kind_free(k);
    }
}

static void registry(void) { pthread_once(&g_once, registry_init); }

int seg_model_register(const seg_model_class *cls, void *user_data,
                       void (*destroy)(void *user_data))
{
    registry();
    kind *k;
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
    kind *k = NULL;
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

/* ---- instances ---- */

struct seg_model {
    seg__errbuf err;
    kind *k;
    char *name;
    void *state;
    bool fitted;
    double *num;
    char **str;
};

void seg_param_def_init(seg_param_def *d)
{
    if (!d)
        return;
    memset(d, 0, sizeof *d);
    d->size = sizeof *d;
}

int seg__model_error(const seg_model *m, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    seg__verror(m ? &m->err : NULL, code, fmt, ap);
    va_end(ap);
    return code;
}

int seg_model_set_error(const seg_model *m, int code, const char *message)
{
    return seg__model_error(m, code, "%s", message ? message : "error");
}

const char *seg_model_errmsg(const seg_model *m)
{
    return m ? seg__errbuf_get(&m->err) : seg_errmsg();
}

static void free_values(kind *k, double *num, char **str)
{
    if (str)
        for (size_t i = 0; i < k->n_params; i++)
            seg__free(str[i]);
    seg__free(str);
    seg__free(num);
}

int seg_model_new(seg_model **out, const char *kind_name)
{
    if (!out || !kind_name)
        return seg__error(NULL, SEG_EINVAL, "seg_model_new: NULL argument");
    *out = NULL;
    registry();
    pthread_mutex_lock(&g_lock);
    kind *k = NULL;
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
    pthread_mutex_unlock(&g_lock);
    if (!k) {
        char ex[64];
        return seg__error(NULL, SEG_ENOTFOUND,
                          "no model kind '%s' (known: %s)",
                          seg__excerpt(ex, sizeof ex, kind_name,
                                       strlen(kind_name)),
                          known);
    }
    seg_model *m = seg__calloc(1, sizeof *m);
    int rc = m ? seg__errbuf_init(&m->err) : SEG_ENOMEM;
    if (rc) {
        seg__free(m);
        kind_release(k);
        return seg__nomem(NULL);
    }
    m->k = k;
    m->name = seg__strndup(k->cls.kind, strlen(k->cls.kind));
    m->num = seg__calloc(k->n_params ? k->n_params : 1, sizeof *m->num);
    m->str = seg__calloc(k->n_params ? k->n_params : 1, sizeof *m->str);
    bool fail = !m->name || !m->num || !m->str;
    for (size_t i = 0; i < k->n_params && !fail; i++) {
        const seg_param_def *d = &k->params[i];
        if (d->type == SEG_PARAM_STR) {
            const char *def = d->default_str ? d->default_str : "";
            fail = !(m->str[i] = seg__strndup(def, strlen(def)));
        } else {
            m->num[i] = d->default_num;
        }
    }
    if (fail) {
        seg_model_free(m);
        return seg__nomem(NULL);
    }
    rc = k->cls.create(&m->state, k->user_data);
    if (rc) {
        m->state = NULL;
        char msg[SEG__ERRMSG_MAX];
        snprintf(msg, sizeof msg, "%s", seg_errmsg());
        seg_model_free(m);
        return seg__error(NULL, rc, "model '%s': create failed: %s",
                          kind_name, msg);
    }
    *out = m;
    return SEG_OK;
}

void seg_model_free(seg_model *m)
{
    if (!m)
        return;
    if (m->state)
        m->k->cls.destroy(m->state, m->k->user_data);
    free_values(m->k, m->num, m->str);
    seg__free(m->name);
    seg__errbuf_destroy(&m->err);
    kind *k = m->k;
    seg__free(m);
    kind_release(k);
}

const char *seg_model_kind(const seg_model *m)
{
    return m ? m->k->cls.kind : NULL;
}

const char *seg_model_name(const seg_model *m) { return m ? m->name : NULL; }

int seg_model_is_fitted(const seg_model *m) { return m && m->fitted; }

int seg_model_set_name(seg_model *m, const char *name)
{
    if (!m || !name)
        return seg__model_error(m, SEG_EINVAL, "model or name is NULL");
    size_t n = strlen(name);
    bool ok = n > 0 && seg__utf8_valid(name, n);
    for (size_t i = 0; i < n && ok; i++)
        ok = name[i] != '.' && (unsigned char)name[i] >= 0x20 &&
             name[i] != 0x7f;
    if (!ok)
        return seg__model_error(m, SEG_EINVAL,
                                "model name must be non-empty UTF-8 without "
                                "'.' or control characters");
    char *d = seg__strndup(name, n);
    if (!d)
        return seg__nomem(&m->err);
    seg__free(m->name);
    m->name = d;
    return SEG_OK;
}

/* ---- parameters ---- */

size_t seg_model_param_count(const seg_model *m)
{
    return m ? m->k->n_params : 0;
}

int seg_model_param_info(const seg_model *m, size_t i, seg_param_def *info)
{
    if (!m || !info || info->size < sizeof(size_t))
        return seg__model_error(m, SEG_EINVAL, "model or info is NULL, or "
                                "info->size is not set");
    if (i >= m->k->n_params)
        return seg__model_error(m, SEG_ERANGE, "parameter %zu out of range "
                                "(%zu parameters)", i, m->k->n_params);
    size_t sz = info->size < sizeof *info ? info->size : sizeof *info;
    memcpy(info, &m->k->params[i], sz);
    info->size = sz;
    return SEG_OK;
}

static int find_param(const seg_model *m, const char *name, size_t *idx)
{
    if (!m || !name)
        return seg__model_error(m, SEG_EINVAL, "model or parameter name is "
                                "NULL");
    const kind *k = m->k;
    for (size_t i = 0; i < k->n_params; i++) {
        if (strcmp(k->params[i].name, name) == 0) {
            *idx = i;
            return SEG_OK;
        }
    }
    const char *cands[64];
    size_t nc = k->n_params < 64 ? k->n_params : 64;
    for (size_t i = 0; i < nc; i++)
        cands[i] = k->params[i].name;
    const char *near = seg__nearest(name, cands, nc);
    char ex[64];
    seg__excerpt(ex, sizeof ex, name, strlen(name));
    if (near)
        return seg__model_error(m, SEG_ENOTFOUND, "model '%s' has no "
                                "parameter '%s' (did you mean '%s'?)",
                                k->cls.kind, ex, near);
    return seg__model_error(m, SEG_ENOTFOUND,
                            "model '%s' has no parameter '%s'", k->cls.kind,
                            ex);
}

int seg_model_set_f64(seg_model *m, const char *name, double value)
{
    size_t i;
    int rc = find_param(m, name, &i);
    if (rc)
        return rc;
    const seg_param_def *d = &m->k->params[i];
    if (d->type == SEG_PARAM_STR)
        return seg__model_error(m, SEG_ETYPE, "parameter '%s' is text",
                                name);
    if (!isfinite(value) || value < d->min || value > d->max ||
        (d->type == SEG_PARAM_INT && value != floor(value))) {
        char lo[40], hi[40], v[40];
        seg__format_f64(lo, d->min);
        seg__format_f64(hi, d->max);
        seg__format_f64(v, value);
        return seg__model_error(m, SEG_ERANGE, "parameter '%s' must be %s "
                                "from %s to %s; %s given", name,
                                d->type == SEG_PARAM_INT ? "an integer"
                                                         : "a number",
                                lo, hi, v);
    }
    m->num[i] = value;
    m->fitted = false;
    return SEG_OK;
}

int seg_model_set_int(seg_model *m, const char *name, int64_t value)
{
    return seg_model_set_f64(m, name, (double)value);
}

static bool among_choices(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && memcmp(p, v, n) == 0)
            return true;
        p = bar ? bar + 1 : NULL;
    }
    return false;
}

int seg_model_set_str(seg_model *m, const char *name, const char *value)
{
    size_t i;
    int rc = find_param(m, name, &i);
    if (rc)
        return rc;
    const seg_param_def *d = &m->k->params[i];
    if (!value)
        return seg__model_error(m, SEG_EINVAL, "value is NULL");
    if (d->type != SEG_PARAM_STR)
        return seg__model_error(m, SEG_ETYPE, "parameter '%s' is a number",
                                name);
    if (!seg__utf8_valid(value, strlen(value)))
        return seg__model_error(m, SEG_EPARSE, "value of '%s' is not valid "
                                "UTF-8", name);
    if (d->choices && !among_choices(d->choices, value)) {
        char ex[64];
        return seg__model_error(m, SEG_ERANGE, "parameter '%s' must be one "
                                "of %s; '%s' given", name, d->choices,
                                seg__excerpt(ex, sizeof ex, value,
                                             strlen(value)));
    }
    char *c = seg__strndup(value, strlen(value));
    if (!c)
        return seg__nomem(&m->err);
    seg__free(m->str[i]);
    m->str[i] = c;
    m->fitted = false;
    return SEG_OK;
}

int seg_model_set(seg_model *m, const char *name, const char *value)
{
    size_t i;
    int rc = find_param(m, name, &i);
    if (rc)
        return rc;
    if (!value)
        return seg__model_error(m, SEG_EINVAL, "value is NULL");
    if (m->k->params[i].type == SEG_PARAM_STR)
        return seg_model_set_str(m, name, value);
    double v;
    if (seg__parse_f64(value, strlen(value), &v) != SEG_OK) {
        char ex[64];
        return seg__model_error(m, SEG_EPARSE, "parameter '%s' needs a "
                                "number; '%s' given", name,
                                seg__excerpt(ex, sizeof ex, value,
                                             strlen(value)));
    }
    return seg_model_set_f64(m, name, v);
}

int seg_model_set_pair(seg_model *m, const char *assignment)
{
    if (!m || !assignment)
        return seg__model_error(m, SEG_EINVAL, "NULL argument");
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment) {
        char ex[64];
        return seg__model_error(m, SEG_EINVAL, "'%s' is not KEY=VALUE",
                                seg__excerpt(ex, sizeof ex, assignment,
                                             strlen(assignment)));
    }
    size_t kl = (size_t)(eq - assignment);
    char *key = seg__strndup(assignment, kl);
    if (!key)
        return seg__nomem(&m->err);
    int rc = seg_model_set(m, key, eq + 1);
    seg__free(key);
    return rc;
}

int seg_model_get_f64(const seg_model *m, const char *name, double *out)
{
    size_t i;
    int rc = find_param(m, name, &i);
    if (rc)
        return rc;
    if (m->k->params[i].type == SEG_PARAM_STR)
        return seg__model_error(m, SEG_ETYPE, "parameter '%s' is text", name);
    if (!out)
        return seg__model_error(m, SEG_EINVAL, "out is NULL");
    *out = m->num[i];
    return SEG_OK;
}

int seg_model_get_str(const seg_model *m, const char *name, const char **out)
{
    size_t i;
    int rc = find_param(m, name, &i);
    if (rc)
        return rc;
    if (m->k->params[i].type != SEG_PARAM_STR)
        return seg__model_error(m, SEG_ETYPE, "parameter '%s' is a number",
                                name);
    if (!out)
        return seg__model_error(m, SEG_EINVAL, "out is NULL");
    *out = m->str[i];
    return SEG_OK;
}

/* ---- fit and score ---- */

int seg_model_fit(seg_model *m, const seg_dataset *ds)
{
    if (!m || !ds)
        return seg__model_error(m, SEG_EINVAL, "model or dataset is NULL");
    /* Fit into a fresh state, so a failure keeps the earlier fit. */
    void *fresh = NULL;
    int rc = m->k->cls.create(&fresh, m->k->user_data);
    if (rc)
        return seg__model_error(m, rc, "model '%s': create failed",
                                m->name);
    seg__errbuf_clear(&m->err);
    rc = m->k->cls.fit(fresh, m, ds, m->k->user_data);
    if (rc) {
        m->k->cls.destroy(fresh, m->k->user_data);
        if (!seg__errbuf_has(&m->err))
            seg__model_error(m, rc, "model '%s': fit failed: %s", m->name,
                             seg_strerror(rc));
        return rc;
    }
    if (m->state)
        m->k->cls.destroy(m->state, m->k->user_data);
    m->state = fresh;
    m->fitted = true;
    return SEG_OK;
}

int seg_model_score(const seg_model *m, seg_dataset *ds)
{
    if (!m || !ds)
        return seg__model_error(m, SEG_EINVAL, "model or dataset is NULL");
    if (!m->fitted)
        return seg__model_error(m, SEG_EMISUSE, "model '%s' is not fitted: "
                                "call seg_model_fit() or load a saved model",
                                m->name);
    seg__errbuf_clear(&m->err);
    int rc = m->k->cls.score(m->state, m, ds, m->name, m->k->user_data);
    if (rc && !seg__errbuf_has(&m->err))
        seg__model_error(m, rc, "model '%s': score failed: %s", m->name,
                         seg_strerror(rc));
    return rc;
}

/* ---- save and load ---- */

static int buf_write(const char *data, size_t len, void *user)
{
    return seg__buf_append(user, data, len) ? -1 : 0;
}

static int put_quoted(seg__buf *b, const char *s)
{
    int rc = seg__buf_append(b, "\"", 1);
    for (; !rc && *s; s++) {
        const char *esc = *s == '"' ? "\\\"" : *s == '\\' ? "\\\\"
                        : *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : NULL;
        rc = esc ? seg__buf_append(b, esc, 2) : seg__buf_append(b, s, 1);
    }
    return rc ? rc : seg__buf_append(b, "\"", 1);
}

static int put_text(seg__buf *b, const char *s)
{
    return seg__buf_append(b, s, strlen(s));
}

static int produce_buf(seg_write_fn write, void *write_user, void *ctx)
{
    const seg__buf *b = ctx;
    return write(b->data, b->len, write_user) ? SEG_EIO : SEG_OK;
}

int seg_model_save(const seg_model *m, const char *path)
{
    if (!m || !path)
        return seg__model_error(m, SEG_EINVAL, "model or path is NULL");
    if (!m->fitted)
        return seg__model_error(m, SEG_EMISUSE, "model '%s' is not fitted",
                                m->name);
    seg__buf b = {NULL, 0, 0}, state = {NULL, 0, 0};
    char line[128];
    snprintf(line, sizeof line, "# libsegment model\nformat %d\nkind %s\n",
             FORMAT_VERSION, m->k->cls.kind);
    int rc = put_text(&b, line) || put_text(&b, "name ") ||
             put_quoted(&b, m->name) || put_text(&b, "\n");
    for (size_t i = 0; i < m->k->n_params && !rc; i++) {
        const seg_param_def *d = &m->k->params[i];
        rc = put_text(&b, "param ") || put_text(&b, d->name) ||
             put_text(&b, " ");
        if (!rc && d->type == SEG_PARAM_STR) {
            rc = put_quoted(&b, m->str[i]);
        } else if (!rc) {
            char num[40];
            seg__format_f64(num, m->num[i]);
            rc = put_text(&b, num);
        }
        if (!rc)
            rc = put_text(&b, "\n");
    }
    if (rc) {
        seg__buf_free(&b);
        return seg__nomem(&m->err);
    }
    if (m->k->cls.save) {
        int src = m->k->cls.save(m->state, m, buf_write, &state,
                                 m->k->user_data);
        if (src) {
            seg__buf_free(&b);
            seg__buf_free(&state);
            return seg__model_error(m, src, "model '%s': saving its state "
                                    "failed", m->name);
        }
    }
    snprintf(line, sizeof line, "state %zu\n", state.len);
    rc = put_text(&b, line) ||
         (state.len && seg__buf_append(&b, state.data, state.len)) ||
         put_text(&b, "\n");
    seg__buf_free(&state);
    if (!rc) {
        snprintf(line, sizeof line, "end %016" PRIx64 "\n",
                 seg__hash(b.data, b.len));
        rc = put_text(&b, line);
    }
    if (rc) {
        seg__buf_free(&b);
        return seg__nomem(&m->err);
    }
    rc = seg__write_atomic(&m->err, path, produce_buf, &b);
    seg__buf_free(&b);
    return rc;
}

typedef struct lexer {
    const char *p, *end, *path;
    size_t line;
} lexer;

static int bad(const lexer *lx, const char *what)
{
    return seg__error(NULL, SEG_EPARSE, "%s:%zu: %s", lx->path, lx->line,
                      what);
}

/* Next line, without its '\n'. */
static bool next_line(lexer *lx, const char **s, size_t *n)
{
    if (lx->p >= lx->end)
        return false;
    const char *nl = memchr(lx->p, '\n', (size_t)(lx->end - lx->p));
    if (!nl)
        nl = lx->end;
    *s = lx->p;
    *n = (size_t)(nl - lx->p);
    lx->p = nl < lx->end ? nl + 1 : nl;
    lx->line++;
    return true;
}

static int unquote(const char *s, size_t n, char **out)
{
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return SEG_EPARSE;
    char *d = seg__malloc(n);
    if (!d)
        return SEG_ENOMEM;
    size_t w = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        char c = s[i];
        if (c == '\\') {
            if (i + 2 >= n) {
                seg__free(d);
                return SEG_EPARSE;
            }
            c = s[++i];
            c = c == 'n' ? '\n' : c == 'r' ? '\r' : c;
        } else if (c == '"') {
            seg__free(d);
            return SEG_EPARSE;
        }
        d[w++] = c;
    }
    d[w] = '\0';
    *out = d;
    return SEG_OK;
}

static bool starts(const char *s, size_t n, const char *word)
{
    size_t l = strlen(word);
    return n > l && memcmp(s, word, l) == 0 && s[l] == ' ';
}

static int read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return seg__error(NULL, SEG_EIO, "%s: cannot open: %s", path,
                          strerror(errno));
    seg__buf b = {NULL, 0, 0};
    char chunk[65536];
    size_t got;
    int rc = SEG_OK;
    while (!rc && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + got > MAX_MODEL_FILE)
            rc = seg__error(NULL, SEG_ELIMIT, "%s: larger than %u bytes",
                            path, MAX_MODEL_FILE);
        else if (seg__buf_append(&b, chunk, got))
            rc = seg__nomem(NULL);
    }
    if (!rc && ferror(f))
        rc = seg__error(NULL, SEG_EIO, "%s: read error", path);
    fclose(f);
    if (rc) {
        seg__buf_free(&b);
        return rc;
    }
    *data = b.data;
    *len = b.len;
    return SEG_OK;
}

static int load_text(seg_model **out, const char *path, const char *data,
                     size_t len)
{
    lexer lx = {data, data + len, path, 0};
    /* The version comes first: a newer format may end differently. */
    const char *s = "";
    size_t n = 0;
    lexer pre = lx;
    bool got;
    while ((got = next_line(&pre, &s, &n)) && n > 0 && s[0] == '#')
        ;
    if (got && starts(s, n, "format")) {
        char num[16];
        size_t l = n - 7 < sizeof num - 1 ? n - 7 : sizeof num - 1;
        memcpy(num, s + 7, l);
        num[l] = '\0';
        char *e;
        long v = strtol(num, &e, 10);
        if (*e == '\0' && v > FORMAT_VERSION)
            return seg__error(NULL, SEG_EVERSION, "%s:%zu: format %ld is "
                              "newer than this library reads (%d): upgrade "
                              "libsegment", path, pre.line, v,
                              FORMAT_VERSION);
    }
    /* the last line is "end <checksum of everything before it>" */
    const char *tail = len ? data + len - 1 : data;
    if (len == 0 || *tail != '\n')
        return seg__error(NULL, SEG_EPARSE, "%s: truncated (no final 'end' "
                          "line)", path);
    const char *endline = tail;
    while (endline > data && endline[-1] != '\n')
        endline--;
    uint64_t sum;
    char hex[17];
    if ((size_t)(tail - endline) != 20 || memcmp(endline, "end ", 4) != 0)
        return seg__error(NULL, SEG_EPARSE, "%s: truncated (no final 'end' "
                          "line)", path);
    memcpy(hex, endline + 4, 16);
    hex[16] = '\0';
    char *hend;
    sum = strtoull(hex, &hend, 16);
    if (*hend || sum != seg__hash(data, (size_t)(endline - data)))
        return seg__error(NULL, SEG_EPARSE, "%s: checksum mismatch: the file "
                          "is corrupted", path);
    lx.end = endline;

    seg_model *m = NULL;
    int rc = SEG_OK;
    bool have_format = false, have_state = false;
    while (!rc && next_line(&lx, &s, &n)) {
        if (n == 0 || s[0] == '#')
            continue;
        if (starts(s, n, "format")) {
            char *e;
            long v = strtol(s + 7, &e, 10);
            if (e != s + n || v != FORMAT_VERSION)
                rc = bad(&lx, "bad format version");
            have_format = true;
        } else if (!have_format) {
            rc = bad(&lx, "expected 'format N' first");
        } else if (starts(s, n, "kind")) {
            if (m) {
                rc = bad(&lx, "a second 'kind' line");
                break;
            }
            char kindname[128];
            size_t kl = n - 5;
            if (kl >= sizeof kindname) {
                rc = bad(&lx, "kind name too long");
                break;
            }
            memcpy(kindname, s + 5, kl);
            kindname[kl] = '\0';
            rc = seg_model_new(&m, kindname);
            if (rc)
                rc = seg__error(NULL, rc, "%s:%zu: %s", path, lx.line,
                                seg_errmsg());
        } else if (!m) {
            rc = bad(&lx, "expected 'kind NAME'");
        } else if (starts(s, n, "name")) {
            char *v;
            rc = unquote(s + 5, n - 5, &v);
            if (rc) {
                rc = rc == SEG_ENOMEM ? seg__nomem(NULL)
                                      : bad(&lx, "bad model name");
                break;
            }
            rc = seg_model_set_name(m, v);
            seg__free(v);
            if (rc)
                rc = bad(&lx, "bad model name");
        } else if (starts(s, n, "param")) {
            const char *nm = s + 6, *sp = memchr(nm, ' ', n - 6);
            if (!sp) {
                rc = bad(&lx, "expected 'param NAME VALUE'");
                break;
            }
            char pname[128];
            size_t pl = (size_t)(sp - nm);
            if (pl >= sizeof pname) {
                rc = bad(&lx, "parameter name too long");
                break;
            }
            memcpy(pname, nm, pl);
            pname[pl] = '\0';
            const char *val = sp + 1;
            size_t vl = (size_t)(s + n - val);
            size_t idx;
            if (find_param(m, pname, &idx)) {
                rc = bad(&lx, "unknown parameter");
                break;
            }
            if (m->k->params[idx].type == SEG_PARAM_STR) {
                char *v;
                rc = unquote(val, vl, &v);
                if (!rc) {
                    rc = seg_model_set_str(m, pname, v);
                    seg__free(v);
                }
            } else {
                double v;
                rc = seg__parse_f64(val, vl, &v);
                if (!rc)
                    rc = seg_model_set_f64(m, pname, v);
            }
            if (rc && rc != SEG_ENOMEM) {
                char msg[SEG__ERRMSG_MAX];
                snprintf(msg, sizeof msg, "parameter '%s': %s", pname,
                         seg_model_errmsg(m));
                rc = bad(&lx, rc == SEG_EPARSE ? "bad parameter value" : msg);
            }
        } else if (starts(s, n, "state")) {
            char *e;
            unsigned long long sl = strtoull(s + 6, &e, 10);
            if (e != s + n || sl > (size_t)(lx.end - lx.p)) {
                rc = bad(&lx, "bad state length (truncated?)");
                break;
            }
            const char *st = lx.p;
            for (size_t i = 0; i < sl; i++)
                lx.line += st[i] == '\n';
            lx.p += sl;
            if (lx.p >= lx.end || *lx.p != '\n') {
                rc = bad(&lx, "state is not followed by a line end");
                break;
            }
            lx.p++;
            lx.line++;
            if (m->k->cls.load) {
                rc = m->k->cls.load(m->state, m, st, (size_t)sl,
                                    m->k->user_data);
                if (rc) {
                    char msg[SEG__ERRMSG_MAX];
                    snprintf(msg, sizeof msg, "%s", seg_model_errmsg(m));
                    rc = seg__error(NULL, rc, "%s: state of model '%s': %s",
                                    path, m->name, msg);
                }
            }
            have_state = true;
        } else {
            rc = bad(&lx, "unknown line");
        }
    }
    if (!rc && (!m || !have_state))
        rc = seg__error(NULL, SEG_EPARSE, "%s: incomplete model file (no "
                        "%s)", path, m ? "state" : "kind");
    if (rc) {
        seg_model_free(m);
        return rc;
    }
    m->fitted = true;
    *out = m;
    return SEG_OK;
}

int seg_model_load(seg_model **out, const char *path)
{
    if (!out || !path)
        return seg__error(NULL, SEG_EINVAL, "seg_model_load: NULL argument");
    *out = NULL;
    char *data;
    size_t len;
    int rc = read_file(path, &data, &len);
    if (rc)
        return rc;
    if (len == 0)
        rc = seg__error(NULL, SEG_EPARSE, "%s: empty file", path);
    else
        rc = load_text(out, path, data, len);
    seg__free(data);
    return rc;
}

/* ---- results and evaluation ---- */

const char *seg_model_result_name(const seg_model *m, size_t i)
{
    if (!m || !m->fitted || !m->k->cls.result_name)
        return NULL;
    return m->k->cls.result_name(m->state, i, m->k->user_data);
}

int seg_model_result_is_param(const seg_model *m, const char *name)
{
    if (!m || !name)
        return seg__model_error(m, SEG_EINVAL, "NULL argument");
    if (!m->fitted)
        return seg__model_error(m, SEG_EMISUSE, "model '%s' is not fitted",
                                m->name);
    if (strncmp(name, "se.", 3) == 0)
        return 0;
    /* a parameter is what has a standard error */
    for (size_t i = 0;; i++) {
        const char *r = seg_model_result_name(m, i);
        if (!r)
            return 0;
        if (strncmp(r, "se.", 3) == 0 && strcmp(r + 3, name) == 0)
            return 1;
    }
}

int seg_model_result(const seg_model *m, const char *name, double *out)
{
    if (!m || !name || !out)
        return seg__model_error(m, SEG_EINVAL, "NULL argument");
    if (!m->fitted)
        return seg__model_error(m, SEG_EMISUSE, "model '%s' is not fitted",
                                m->name);
    int rc = m->k->cls.result ? m->k->cls.result(m->state, name, out,
                                                  m->k->user_data)
                              : SEG_ENOTFOUND;
    if (rc == SEG_ENOTFOUND)
        return seg__model_error(m, rc, "model '%s' has no result '%s'",
                                m->name, name);
    return rc;
}

int seg_model_eval(const seg_model *m, const char *quantity,
                   const double *args, size_t n_args, double *out)
{
    if (!m || !quantity || !out || (n_args && !args))
        return seg__model_error(m, SEG_EINVAL, "NULL argument");
    if (!m->fitted)
        return seg__model_error(m, SEG_EMISUSE, "model '%s' is not fitted",
                                m->name);
    if (!m->k->cls.eval)
        return seg__model_error(m, SEG_ENOTFOUND, "model '%s' evaluates no "
                                "quantities", m->name);
    seg__errbuf_clear(&m->err);
    int rc = m->k->cls.eval(m->state, m, quantity, args, n_args, out,
                            m->k->user_data);
    if (rc && !seg__errbuf_has(&m->err))
        seg__model_error(m, rc, "model '%s': %s: %s", m->name, quantity,
                         seg_strerror(rc));
    return rc;
}

static const char *col_param(const seg_model *m, const char *param,
                             const char *def)
{
    const char *v;
    return seg_model_get_str(m, param, &v) == SEG_OK && *v ? v : def;
}

static int holdout_report(const seg_model *m, const seg_dataset *ds,
                          int format, seg_write_fn write, void *user_data)
{
    if (!ds)
        return seg__model_error(m, SEG_EINVAL, "holdout: dataset is NULL");
    const char *cols[5] = {col_param(m, "x_column", "frequency"),
                           col_param(m, "t_x_column", "t_x"),
                           col_param(m, "T_column", "T"), "holdout_orders",
                           "holdout_length"};
    size_t n = seg_dataset_customer_count(ds);
    double *v[5] = {NULL};
    int rc = SEG_OK;
    for (int c = 0; c < 5 && !rc; c++) {
        v[c] = seg__malloc((n ? n : 1) * sizeof **v);
        if (!v[c])
            rc = seg__nomem(&m->err);
        else if ((rc = seg_dataset_copy_f64(ds, cols[c], v[c], n)) != SEG_OK)
            seg__model_error(m, rc, "holdout: %s", seg_dataset_errmsg(ds));
    }
    enum { B = 8 };
    double cnt[B + 1] = {0}, pred[B + 1] = {0}, act[B + 1] = {0}, mae = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (isnan(v[0][i]) || isnan(v[3][i]))
            continue; /* no calibration purchase: not predicted */
        double args[4] = {v[4][i], v[0][i], v[1][i], v[2][i]}, e;
        rc = seg_model_eval(m, "expected", args, 4, &e);
        if (rc == SEG_ENOTFOUND)
            rc = seg__model_error(m, rc, "model '%s' has no holdout report: "
                                  "it predicts no purchases", m->name);
        if (rc)
            break;
        int b = v[0][i] >= 7 ? 7 : (int)v[0][i];
        cnt[b]++, pred[b] += e, act[b] += v[3][i];
        cnt[B]++, pred[B] += e, act[B] += v[3][i];
        mae += fabs(e - v[3][i]);
    }
    seg__buf out = {NULL, 0, 0};
    bool json = format == SEG_FORMAT_JSON;
    if (!rc)
        rc = seg__buf_append(&out, json ? "{\"rows\":[\n" :
                             "frequency,customers,predicted,actual\n",
                             json ? 10 : 37) ? SEG_ENOMEM : SEG_OK;
    for (int b = 0; b <= B && !rc; b++) {
        if (b < B && cnt[b] == 0)
            continue;
        char label[8], line[256], p[40], a[40];
        snprintf(label, sizeof label, "%s", b == B ? "total" : b == 7 ? "7+" : "");
        if (b < 7)
            snprintf(label, sizeof label, "%d", b);
        seg__format_f64(p, cnt[b] ? pred[b] / cnt[b] : 0);
        seg__format_f64(a, cnt[b] ? act[b] / cnt[b] : 0);
        int len = json ? snprintf(line, sizeof line,
                                  "%s{\"frequency\":\"%s\",\"customers\":%.0f,"
                                  "\"predicted\":%s,\"actual\":%s}",
                                  out.len > 10 ? ",\n" : "", label, cnt[b], p, a)
                       : snprintf(line, sizeof line, "%s,%.0f,%s,%s\n", label,
                                  cnt[b], p, a);
        if (seg__buf_append(&out, line, (size_t)len))
            rc = SEG_ENOMEM;
    }
    if (!rc) {
        char line[128], e[40];
        seg__format_f64(e, cnt[B] ? mae / cnt[B] : 0);
        int len = json ? snprintf(line, sizeof line, "\n],\"mae\":%s}\n", e)
                       : snprintf(line, sizeof line, "mae,%.0f,%s,\n", cnt[B], e);
        if (seg__buf_append(&out, line, (size_t)len))
            rc = SEG_ENOMEM;
    }
    if (rc == SEG_ENOMEM)
        seg__nomem(&m->err);
    if (!rc && write(out.data, out.len, user_data) != 0)
        rc = seg__model_error(m, SEG_EIO, "holdout: the writer stopped");
    seg__buf_free(&out);
    for (int c = 0; c < 5; c++)
        seg__free(v[c]);
    return rc;
}

int seg_model_report(const seg_model *m, const seg_dataset *ds,
                     const char *report, int format, seg_write_fn write,
                     void *user_data)
{
    if (!m || !report || !write)
        return seg__model_error(m, SEG_EINVAL, "NULL argument");
    if (format != SEG_FORMAT_CSV && format != SEG_FORMAT_JSON)
        return seg__model_error(m, SEG_EINVAL, "unknown format %d", format);
    if (!m->fitted)
        return seg__model_error(m, SEG_EMISUSE, "model '%s' is not fitted",
                                m->name);
    seg__errbuf_clear(&m->err);
    int rc = SEG_ENOTFOUND;
    if (m->k->cls.report)
        rc = m->k->cls.report(m->state, m, ds, report, format, write,
                              user_data, m->k->user_data);
    if (rc == SEG_ENOTFOUND && !seg__errbuf_has(&m->err) &&
        strcmp(report, "holdout") == 0)
        return holdout_report(m, ds, format, write, user_data);
    if (rc && !seg__errbuf_has(&m->err))
        seg__model_error(m, rc, "model '%s' has no report '%s'", m->name,
                         report);
    return rc;
}

/* ---- helpers for the built-in models ---- */

double seg__param_num(const seg_model *m, const char *name)
{
    size_t i;
    for (i = 0; i < m->k->n_params; i++)
        if (strcmp(m->k->params[i].name, name) == 0)
            return m->k->params[i].type == SEG_PARAM_STR ? NAN : m->num[i];
    return NAN;
}

const char *seg__param_str(const seg_model *m, const char *name)
{
    for (size_t i = 0; i < m->k->n_params; i++)
        if (strcmp(m->k->params[i].name, name) == 0)
            return m->k->params[i].type == SEG_PARAM_STR ? m->str[i] : "";
    return "";
}

double *seg__model_column(const seg_model *m, const seg_dataset *ds,
                          const char *col, int *rc)
{
    size_t n = seg_dataset_customer_count(ds);
    double *v = seg__malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        *rc = seg__nomem(&m->err);
        return NULL;
    }
    *rc = seg_dataset_copy_f64(ds, col, v, n);
    if (*rc == SEG_OK)
        return v;
    seg__free(v);
    if (*rc == SEG_ENOTFOUND)
        seg__model_error(m, *rc, "%s: no column '%s' (compute the features "
                         "first, or set the column parameter)", m->name, col);
    else
        seg__model_error(m, *rc, "%s: column '%s': %s", m->name, col,
                         seg_dataset_errmsg(ds));
    return NULL;
}

int seg__model_put_owned(const seg_model *m, seg_dataset *ds,
                         const char *prefix, const char *what, double **num)
{
    char name[512];
    snprintf(name, sizeof name, "%s.%s", prefix, what);
    int rc = seg__ds_check_put(ds, name, SEG_COLUMN_NUMERIC);
    if (!rc && (rc = seg__ds_put_num_column(ds, name, SEG__ORIGIN_USER,
                                            *num)) == SEG_OK)
        *num = NULL;
    if (rc)
        return seg__model_error(m, rc, "%s: writing '%s': %s", prefix, name,
                                seg_dataset_errmsg(ds));
    return SEG_OK;
}

int seg__model_put(const seg_model *m, seg_dataset *ds, const char *prefix,
                   const char *what, const double *num, const char **labels)
{
    char name[512];
    size_t n = seg_dataset_customer_count(ds);
    snprintf(name, sizeof name, "%s.%s", prefix, what);
    int rc = labels ? seg_dataset_write_labels(ds, name, labels, n)
                    : seg_dataset_write_f64(ds, name, num, n);
    if (rc)
        return seg__model_error(m, rc, "%s: writing '%s': %s", prefix, name,
                                seg_dataset_errmsg(ds));
    return SEG_OK;
}

/* ---- the state text of the built-in models: lines "KEY n1 n2 ..." ---- */

int seg__state_put(seg_write_fn write, void *write_user, const char *key,
                   const double *v, int n)
{
    if (write(key, strlen(key), write_user))
        return SEG_EIO;
    char buf[48];
    for (int i = 0; i < n; i++) {
        buf[0] = ' ';
        size_t len = seg__format_f64(buf + 1, v[i]) + 1;
        if (write(buf, len, write_user))
            return SEG_EIO;
    }
    return write("\n", 1, write_user) ? SEG_EIO : SEG_OK;
}

int seg__state_get(const seg_model *m, const char **p, const char *end,
                   const char *key, double *v, int n, bool allow_nan)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *e = nl ? nl : end;
    size_t kl = strlen(key);
    if ((size_t)(e - *p) < kl || memcmp(*p, key, kl) != 0)
        return seg__model_error(m, SEG_EPARSE, "expected '%s'", key);
    const char *q = *p + kl;
    for (int i = 0; i < n; i++) {
        if (q >= e || *q != ' ')
            return seg__model_error(m, SEG_EPARSE, "'%s': expected %d "
                                    "numbers", key, n);
        q++;
        const char *sp = memchr(q, ' ', (size_t)(e - q));
        const char *ve = sp ? sp : e;
        bool nan = allow_nan && ve - q == 3 && memcmp(q, "nan", 3) == 0;
        if (nan)
            v[i] = NAN;
        else if (seg__parse_f64(q, (size_t)(ve - q), &v[i]) != SEG_OK)
            return seg__model_error(m, SEG_EPARSE, "'%s': bad number", key);
        q = ve;
    }
    if (q != e)
        return seg__model_error(m, SEG_EPARSE, "'%s': expected %d numbers",
                                key, n);
    *p = nl ? nl + 1 : end;
    return SEG_OK;
}
