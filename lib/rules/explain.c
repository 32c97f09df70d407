/* Explanations: why a customer got its tier or its score. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rules/internal.h"

typedef struct out {
    seg__buf b;
    bool json;
} out;

static int put(out *o, const char *fmt, ...) SEG__PRINTF(2, 3);
static int put(out *o, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SEG_EINVAL;
    if ((size_t)n >= sizeof line)
        n = sizeof line - 1;
    return seg__buf_append(&o->b, line, (size_t)n) ? SEG_ENOMEM : SEG_OK;
}

static int put_json_str(out *o, const char *s)
{
    int rc = seg__buf_append(&o->b, "\"", 1);
    for (; !rc && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            rc = put(o, "\\%c", c);
        else if (c < 0x20)
            rc = put(o, "\\u%04x", c);
        else
            rc = seg__buf_append(&o->b, s, 1);
    }
    return rc ? SEG_ENOMEM : seg__buf_append(&o->b, "\"", 1);
}

/* Every distinct column a condition reads, with its value. */
static int columns_read(out *o, const binding *b, const node *n, size_t row,
                        bool *first, const char ***seen, size_t *nseen,
                        size_t *cap)
{
    if (!n)
        return SEG_OK;
    int rc = SEG_OK;
    if (n->type == N_COL) {
        for (size_t i = 0; i < *nseen; i++)
            if (strcmp((*seen)[i], n->str) == 0)
                return SEG_OK;
        if (seg__grow((void **)seen, cap, *nseen + 1, sizeof **seen))
            return SEG_ENOMEM;
        (*seen)[(*nseen)++] = n->str;
        double vn = NAN;
        const char *vs = NULL;
        if (b->vt[n->id] == VT_NUM)
            vn = seg__column_num(b->col[n->id], row);
        else
            vs = seg__column_label(b->col[n->id], row);
        char num[40];
        const char *text;
        if (b->vt[n->id] == VT_NUM) {
            if (isnan(vn))
                text = NULL;
            else {
                seg__format_f64(num, vn);
                text = num;
            }
        } else {
            text = vs;
        }
        if (o->json) {
            rc = put(o, "%s", *first ? "" : ",");
            if (!rc)
                rc = put_json_str(o, n->str);
            if (!rc)
                rc = put(o, ":");
            if (!rc)
                rc = !text ? put(o, "null")
                     : b->vt[n->id] == VT_NUM ? put(o, "%s", text)
                                              : put_json_str(o, text);
        } else {
            rc = put(o, "%s%s = %s%s%s", *first ? "" : ", ", n->str,
                     text && b->vt[n->id] == VT_STR ? "\"" : "",
                     text ? text : "missing",
                     text && b->vt[n->id] == VT_STR ? "\"" : "");
        }
        *first = false;
        return rc;
    }
    rc = columns_read(o, b, n->a, row, first, seen, nseen, cap);
    if (!rc)
        rc = columns_read(o, b, n->b, row, first, seen, nseen, cap);
    if (!rc)
        rc = columns_read(o, b, n->c, row, first, seen, nseen, cap);
    for (size_t i = 0; i < n->nlist && !rc; i++)
        rc = columns_read(o, b, n->list[i], row, first, seen, nseen, cap);
    return rc;
}

static int explain_columns(out *o, const binding *b, const node *n, size_t row)
{
    bool first = true;
    const char **seen = NULL;
    size_t nseen = 0, cap = 0;
    int rc = columns_read(o, b, n, row, &first, &seen, &nseen, &cap);
    seg__free(seen);
    return rc;
}

int seg_rules_explain(const seg_rules *r, const seg_dataset *ds, size_t row,
                      int format, seg_write_fn write, void *user_data)
{
    if (!r || !ds || !write)
        return seg__error(r ? &r->err : NULL, SEG_EINVAL,
                          "seg_rules_explain: NULL argument");
    if (format != SEG_FORMAT_TEXT && format != SEG_FORMAT_JSON)
        return seg__error(&r->err, SEG_EINVAL, "explanations are text or "
                          "JSON");
    if (row >= seg__ds_n(ds))
        return seg__error(&r->err, SEG_ERANGE, "row %zu out of range", row);
    binding b;
    int rc = seg__bind(r, ds, &b);
    if (rc)
        return rc;
    out o = {{NULL, 0, 0}, format == SEG_FORMAT_JSON};
    const char *id = seg__ds_id(ds, row);
    double *gs = seg__malloc((r->ngroups ? r->ngroups : 1) * sizeof *gs);
    double (*st)[BLOCK] = seg__stack_for(&b);
    if (!gs || !st)
        rc = SEG_ENOMEM;
    if (!rc && o.json) {
        rc = put(&o, "{\"customer_id\":");
        if (!rc)
            rc = put_json_str(&o, id);
        if (!rc)
            rc = put(&o, ",\"rules\":%s,", r->score ? "\"score\"" : "\"tier\"");
    } else if (!rc) {
        rc = put(&o, "customer %s\n", id);
    }
    if (!rc && !r->score) {
        size_t hit = r->nrules;
        for (size_t i = 0; i < r->nrules && hit == r->nrules; i++)
            if (seg__holds_row(&b, i, row, st))
                hit = i;
        if (hit == r->nrules) {
            rc = o.json ? put(&o, "\"tier\":null,\"rule\":null}\n")
                        : put(&o, "no rule matched: no tier\n");
        } else {
            const rule *u = &r->rules[hit];
            if (o.json) {
                rc = put(&o, "\"tier\":");
                if (!rc)
                    rc = put_json_str(&o, u->label);
                if (!rc)
                    rc = put(&o, ",\"rule\":%zu,\"line\":%d,\"values\":{",
                             hit + 1, u->line);
                if (!rc)
                    rc = explain_columns(&o, &b, u->cond, row);
                if (!rc)
                    rc = put(&o, "}}\n");
            } else {
                rc = put(&o, "tier \"%s\" by rule %zu (line %d)%s", u->label,
                         hit + 1, u->line,
                         u->kind == R_OTHERWISE ? ": no other tier matched\n"
                                                : ": ");
                if (!rc && u->cond)
                    rc = explain_columns(&o, &b, u->cond, row);
                if (!rc && u->cond)
                    rc = put(&o, "\n");
            }
        }
    } else if (!rc) {
        double pts = seg__score_of(r, &b, row, gs, st);
        const char *g = seg__grade_of(r, pts);
        rc = o.json ? put(&o, "\"contributions\":[") : SEG_OK;
        bool first = true;
        for (size_t i = 0; i < r->nrules && !rc; i++) {
            const rule *u = &r->rules[i];
            if (u->kind != R_POINTS)
                continue;
            bool on = seg__holds_row(&b, i, row, st);
            const char *gname = u->group >= 0 ? r->groups[u->group].name : "";
            if (o.json) {
                rc = put(&o, "%s{\"line\":%d,\"group\":", first ? "" : ",",
                         u->line);
                if (!rc)
                    rc = put_json_str(&o, gname);
                if (!rc)
                    rc = put(&o, ",\"points\":%g,\"matched\":%s,\"values\":{",
                             on ? u->points : 0.0, on ? "true" : "false");
                if (!rc)
                    rc = explain_columns(&o, &b, u->cond, row);
                if (!rc)
                    rc = put(&o, "}}");
            } else {
                rc = put(&o, "  %+g %s (line %d%s%s): ", on ? u->points : 0.0,
                         on ? "matched" : "not matched", u->line,
                         *gname ? ", group " : "", gname);
                if (!rc)
                    rc = explain_columns(&o, &b, u->cond, row);
                if (!rc)
                    rc = put(&o, "\n");
            }
            first = false;
        }
        if (!rc && o.json) {
            rc = put(&o, "],\"groups\":{");
            for (size_t gi = 0; gi < r->ngroups && !rc; gi++) {
                rc = put(&o, "%s", gi ? "," : "");
                if (!rc)
                    rc = put_json_str(&o, r->groups[gi].name);
                if (!rc)
                    rc = put(&o, ":{\"points\":%g,\"cap\":", gs[gi]);
                if (!rc)
                    rc = isinf(r->groups[gi].cap)
                             ? put(&o, "null}")
                             : put(&o, "%g}", r->groups[gi].cap);
            }
            if (!rc)
                rc = put(&o, "},\"points\":%g,\"grade\":", pts);
            if (!rc)
                rc = g ? put_json_str(&o, g) : put(&o, "null");
            if (!rc)
                rc = put(&o, "}\n");
        } else if (!rc) {
            for (size_t gi = 0; gi < r->ngroups && !rc; gi++)
                if (gs[gi] > r->groups[gi].cap)
                    rc = put(&o, "  group %s: %g points, capped at %g\n",
                             r->groups[gi].name, gs[gi], r->groups[gi].cap);
            if (!rc)
                rc = put(&o, "total %g points%s: grade %s\n", pts,
                         isinf(r->total_cap) ? "" : " (after the total cap)",
                         g ? g : "none");
        }
    }
    if (rc == SEG_ENOMEM)
        rc = seg__nomem(&r->err);
    if (!rc && write(o.b.data, o.b.len, user_data) != 0)
        rc = seg__error(&r->err, SEG_EIO, "explain: the writer stopped");
    seg__buf_free(&o.b);
    seg__free(gs);
    seg__free(st);
    seg__unbind(&b);
    return rc;
}
