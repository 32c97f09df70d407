/* Model parameters: their definitions, typed setters and getters, and
 * the bounds every value is checked against. */
#include <math.h>
#include <string.h>

#include "models/struct.h"

void seg_param_def_init(seg_param_def *d)
{
    if (!d)
        return;
    memset(d, 0, sizeof *d);
    d->size = sizeof *d;
}

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

int seg__find_param(const seg_model *m, const char *name, size_t *idx)
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
    int rc = seg__find_param(m, name, &i);
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
    int rc = seg__find_param(m, name, &i);
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
    int rc = seg__find_param(m, name, &i);
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
    int rc = seg__find_param(m, name, &i);
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
    int rc = seg__find_param(m, name, &i);
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
