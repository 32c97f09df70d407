/* Explanations: why a customer got its tier or its score. The facts are
 * gathered once, in a table (seg_rules_explain_table()); the text and JSON
 * explanations are written from that table through the one writer. */
#include <math.h>
#include <string.h>

#include "output/internal.h"
#include "rules/internal.h"

/* The columns of an explanation table (documented in segment/rules.h). */
enum {
    X_RULE, X_LINE, X_KIND, X_LABEL, X_GROUP, X_MATCHED, X_POINTS, X_CAP,
    X_COLUMN, X_VALUE, X_TEXT, X_NCOLS
};

static const char *const x_names[X_NCOLS] = {
    "rule", "line", "kind", "label", "group", "matched", "points", "cap",
    "column", "value", "text"};

static const int x_types[X_NCOLS] = {
    SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC, SEG_COLUMN_LABEL,
    SEG_COLUMN_LABEL,   SEG_COLUMN_LABEL,   SEG_COLUMN_NUMERIC,
    SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC, SEG_COLUMN_LABEL,
    SEG_COLUMN_NUMERIC, SEG_COLUMN_LABEL};

/* ---- gathering: the table ---- */

typedef struct gather {
    seg_table *t;
    const binding *b;
    size_t row;                  /* the customer */
    const char **seen;           /* columns already listed for this rule */
    size_t nseen, capseen;
    seg__spine todo;             /* nodes still to visit */
} gather;

/* One row with the fields every row of a rule shares. */
static int rule_row(gather *g, const seg_rules *r, size_t i, bool matched,
                    size_t *out)
{
    const rule *u = &r->rules[i];
    seg_table *t = g->t;
    static const char *const kinds[] = {"tier", "otherwise", "points"};
    int rc = seg__table_add_row(t, out);
    if (!rc)
        rc = seg__table_set_num(t, *out, X_RULE, (double)(i + 1));
    if (!rc)
        rc = seg__table_set_num(t, *out, X_LINE, u->line);
    if (!rc)
        rc = seg__table_set_text(t, *out, X_KIND, kinds[u->kind]);
    if (!rc && u->kind != R_POINTS)
        rc = seg__table_set_text(t, *out, X_LABEL, u->label);
    if (!rc && u->kind == R_POINTS && u->group >= 0)
        rc = seg__table_set_text(t, *out, X_GROUP, r->groups[u->group].name);
    if (!rc)
        rc = seg__table_set_num(t, *out, X_MATCHED, matched);
    if (!rc && u->kind == R_POINTS)
        rc = seg__table_set_num(t, *out, X_POINTS, matched ? u->points : 0.0);
    return rc;
}

/* A row for column n of rule i, unless the rule has listed it already. */
static int column_row(gather *g, const seg_rules *r, size_t i, bool matched,
                      const node *n)
{
    for (size_t k = 0; k < g->nseen; k++)
        if (strcmp(g->seen[k], n->str) == 0)
            return SEG_OK;
    if (seg__grow((void **)&g->seen, &g->capseen, g->nseen + 1,
                  sizeof *g->seen))
        return SEG_ENOMEM;
    g->seen[g->nseen++] = n->str;
    size_t at;
    const seg__column *c = g->b->col[n->id];
    int rc = rule_row(g, r, i, matched, &at);
    if (!rc)
        rc = seg__table_set_text(g->t, at, X_COLUMN, n->str);
    if (!rc && g->b->vt[n->id] == VT_NUM)
        rc = seg__table_set_num(g->t, at, X_VALUE,
                                seg__column_num(c, g->row));
    else if (!rc)
        rc = seg__table_set_text(g->t, at, X_TEXT,
                                 seg__column_label(c, g->row));
    return rc;
}

/* A row per distinct column the condition n reads, in the order they
 * appear. The walk keeps its own stack: a condition may be a chain of
 * any length. */
static int columns_read(gather *g, const seg_rules *r, size_t i,
                        bool matched, const node *n)
{
    g->todo.n = 0;
    int rc = n ? seg__spine_push(&g->todo, n) : SEG_OK;
    while (!rc && g->todo.n) {
        n = g->todo.v[--g->todo.n];
        if (n->type == N_COL) {
            rc = column_row(g, r, i, matched, n);
            continue;
        }
        for (size_t k = n->nlist; k-- > 0 && !rc;)
            rc = seg__spine_push(&g->todo, n->list[k]);
        if (!rc && n->c)
            rc = seg__spine_push(&g->todo, n->c);
        if (!rc && n->b)
            rc = seg__spine_push(&g->todo, n->b);
        if (!rc && n->a)
            rc = seg__spine_push(&g->todo, n->a);
    }
    return rc;
}

/* The rows of rule i: one per column it reads, or one alone. */
static int rule_rows(gather *g, const seg_rules *r, size_t i, bool matched)
{
    g->nseen = 0;
    size_t before = seg_table_row_count(g->t), at;
    int rc = columns_read(g, r, i, matched, r->rules[i].cond);
    if (!rc && seg_table_row_count(g->t) == before)
        rc = rule_row(g, r, i, matched, &at);
    return rc;
}

/* A group or total row of a score: its name or grade, points and cap. */
static int sum_row(seg_table *t, const char *kind, const char *label,
                   double points, double cap)
{
    size_t at;
    int rc = seg__table_add_row(t, &at);
    if (!rc)
        rc = seg__table_set_text(t, at, X_KIND, kind);
    if (!rc && label)
        rc = seg__table_set_text(t, at, X_LABEL, label);
    if (!rc)
        rc = seg__table_set_num(t, at, X_POINTS, points);
    if (!rc && !isinf(cap))
        rc = seg__table_set_num(t, at, X_CAP, cap);
    return rc;
}

static int gather_rows(gather *g, const seg_rules *r, double (*st)[BLOCK],
                       double *gs)
{
    int rc = SEG_OK;
    if (!r->score) {
        bool hit = false; /* first match wins: later rules are not tried */
        for (size_t i = 0; i < r->nrules && !hit && !rc; i++) {
            hit = seg__holds_row(g->b, i, g->row, st);
            rc = rule_rows(g, r, i, hit);
        }
        return rc;
    }
    double pts = seg__score_of(r, g->b, g->row, gs, st);
    for (size_t i = 0; i < r->nrules && !rc; i++)
        if (r->rules[i].kind == R_POINTS)
            rc = rule_rows(g, r, i, seg__holds_row(g->b, i, g->row, st));
    for (size_t k = 0; k < r->ngroups && !rc; k++)
        rc = sum_row(g->t, "group", r->groups[k].name, gs[k],
                     r->groups[k].cap);
    if (!rc)
        rc = sum_row(g->t, "total", seg__grade_of(r, pts), pts, r->total_cap);
    return rc;
}

int seg_rules_explain_table(seg_table **out, const seg_rules *r,
                            const seg_dataset *ds, size_t row)
{
    if (out)
        *out = NULL;
    if (!out || !r || !ds)
        return seg__error(r ? &r->err : NULL, SEG_EINVAL,
                          "seg_rules_explain_table: NULL argument");
    if (row >= seg__ds_n(ds))
        return seg__error(&r->err, SEG_ERANGE, "row %zu out of range", row);
    binding b;
    int rc = seg__bind(r, ds, &b);
    if (rc)
        return rc;
    gather g = {NULL, &b, row, NULL, 0, 0, {NULL, 0, 0}};
    double *gs = seg__malloc((r->ngroups ? r->ngroups : 1) * sizeof *gs);
    double (*st)[BLOCK] = seg__stack_for(&b);
    rc = !gs || !st ? SEG_ENOMEM
                    : seg__table_new(&g.t, "explanation", X_NCOLS, x_names,
                                     x_types);
    if (!rc)
        rc = gather_rows(&g, r, st, gs);
    seg__free(g.seen);
    seg__free(g.todo.v);
    seg__free(gs);
    seg__free(st);
    seg__unbind(&b);
    if (rc) {
        seg_table_free(g.t);
        return seg__nomem(&r->err);
    }
    *out = g.t;
    return SEG_OK;
}

/* ---- writing: text and JSON from the table ---- */

static double num_at(const seg_table *t, size_t i, int col)
{
    return seg_table_f64(t, i, (size_t)col);
}

static const char *text_at(const seg_table *t, size_t i, int col)
{
    return seg_table_text(t, i, (size_t)col);
}

/* Past the last row of the rule whose first row is i. */
static size_t rule_end(const seg_table *t, size_t i)
{
    size_t n = seg_table_row_count(t), e = i + 1;
    while (e < n && num_at(t, e, X_RULE) == num_at(t, i, X_RULE))
        e++;
    return e;
}

/* The values of rows i .. e-1: `a = 1, b = "x"` or `"a":1,"b":"x"`. */
static void write_values(seg__writer *w, const seg_table *t, size_t i,
                         size_t e)
{
    bool json = w->format == SEG_FORMAT_JSON, first = true;
    for (; i < e; i++) {
        const char *col = text_at(t, i, X_COLUMN);
        if (!col)
            continue;
        const char *s = text_at(t, i, X_TEXT);
        double v = num_at(t, i, X_VALUE);
        seg__w_str(w, first ? "" : json ? "," : ", ");
        first = false;
        seg__w_text(w, col);
        seg__w_str(w, json ? ":" : " = ");
        if (s && !json) {
            seg__w_raw(w, "\"", 1);
            seg__w_text(w, s);
            seg__w_raw(w, "\"", 1);
        } else if (s) {
            seg__w_text(w, s);
        } else if (!isnan(v)) {
            seg__w_num(w, v);
        } else {
            seg__w_str(w, json ? "null" : "missing");
        }
    }
}

static void write_tier(seg__writer *w, const seg_table *t)
{
    bool json = w->format == SEG_FORMAT_JSON;
    size_t n = seg_table_row_count(t), i = 0;
    while (i < n && num_at(t, i, X_MATCHED) != 1)
        i++;
    if (i == n) {
        seg__w_str(w, json ? "\"tier\":null,\"rule\":null}\n"
                           : "no rule matched: no tier\n");
        return;
    }
    size_t e = rule_end(t, i);
    bool otherwise = strcmp(text_at(t, i, X_KIND), "otherwise") == 0;
    if (json) {
        seg__w_str(w, "\"tier\":");
        seg__w_text(w, text_at(t, i, X_LABEL));
        seg__w_str(w, ",\"rule\":");
        seg__w_num(w, num_at(t, i, X_RULE));
        seg__w_str(w, ",\"line\":");
        seg__w_num(w, num_at(t, i, X_LINE));
        seg__w_str(w, ",\"values\":{");
        write_values(w, t, i, e);
        seg__w_str(w, "}}\n");
        return;
    }
    seg__w_str(w, "tier \"");
    seg__w_text(w, text_at(t, i, X_LABEL));
    seg__w_str(w, "\" by rule ");
    seg__w_num(w, num_at(t, i, X_RULE));
    seg__w_str(w, " (line ");
    seg__w_num(w, num_at(t, i, X_LINE));
    if (otherwise) {
        seg__w_str(w, "): no other tier matched\n");
        return;
    }
    seg__w_str(w, "): ");
    write_values(w, t, i, e);
    seg__w_str(w, "\n");
}

/* A points rule: `  +25 matched (line 9, group g): a = 1` or its object. */
static void write_points(seg__writer *w, const seg_table *t, size_t i,
                         size_t e, bool first)
{
    bool on = num_at(t, i, X_MATCHED) == 1;
    double pts = num_at(t, i, X_POINTS);
    const char *gname = text_at(t, i, X_GROUP);
    if (w->format == SEG_FORMAT_JSON) {
        seg__w_str(w, first ? "{\"line\":" : ",{\"line\":");
        seg__w_num(w, num_at(t, i, X_LINE));
        seg__w_str(w, ",\"group\":");
        seg__w_text(w, gname ? gname : "");
        seg__w_str(w, ",\"points\":");
        seg__w_num(w, pts);
        seg__w_str(w, on ? ",\"matched\":true,\"values\":{"
                         : ",\"matched\":false,\"values\":{");
        write_values(w, t, i, e);
        seg__w_str(w, "}}");
        return;
    }
    seg__w_str(w, signbit(pts) ? "  " : "  +");
    seg__w_num(w, pts);
    seg__w_str(w, on ? " matched (line " : " not matched (line ");
    seg__w_num(w, num_at(t, i, X_LINE));
    if (gname && *gname) {
        seg__w_str(w, ", group ");
        seg__w_text(w, gname);
    }
    seg__w_str(w, "): ");
    write_values(w, t, i, e);
    seg__w_str(w, "\n");
}

/* A group row: in JSON always, in text only when its cap bit. */
static void write_group(seg__writer *w, const seg_table *t, size_t i,
                        bool first)
{
    double pts = num_at(t, i, X_POINTS), cap = num_at(t, i, X_CAP);
    if (w->format == SEG_FORMAT_JSON) {
        seg__w_str(w, first ? "" : ",");
        seg__w_text(w, text_at(t, i, X_LABEL));
        seg__w_str(w, ":{\"points\":");
        seg__w_num(w, pts);
        seg__w_str(w, ",\"cap\":");
        seg__w_num(w, cap); /* missing: null */
        seg__w_str(w, "}");
    } else if (pts > cap) {
        seg__w_str(w, "  group ");
        seg__w_text(w, text_at(t, i, X_LABEL));
        seg__w_str(w, ": ");
        seg__w_num(w, pts);
        seg__w_str(w, " points, capped at ");
        seg__w_num(w, cap);
        seg__w_str(w, "\n");
    }
}

static void write_score(seg__writer *w, const seg_table *t)
{
    bool json = w->format == SEG_FORMAT_JSON, first = true;
    size_t n = seg_table_row_count(t), i = 0;
    if (json)
        seg__w_str(w, "\"contributions\":[");
    while (i < n && strcmp(text_at(t, i, X_KIND), "points") == 0) {
        size_t e = rule_end(t, i);
        write_points(w, t, i, e, first);
        first = false;
        i = e;
    }
    if (json)
        seg__w_str(w, "],\"groups\":{");
    for (first = true; i < n && strcmp(text_at(t, i, X_KIND), "group") == 0;
         i++, first = false)
        write_group(w, t, i, first);
    if (i >= n) /* a table of this file always ends with its total */
        return;
    const char *g = text_at(t, i, X_LABEL);
    double pts = num_at(t, i, X_POINTS);
    if (json) {
        seg__w_str(w, "},\"points\":");
        seg__w_num(w, pts);
        seg__w_str(w, ",\"grade\":");
        seg__w_text(w, g);
        seg__w_str(w, "}\n");
        return;
    }
    seg__w_str(w, "total ");
    seg__w_num(w, pts);
    seg__w_str(w, isnan(num_at(t, i, X_CAP)) ? " points: grade "
                                             : " points (after the total "
                                               "cap): grade ");
    seg__w_str(w, g ? g : "none");
    seg__w_str(w, "\n");
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
    seg_table *t;
    int rc = seg_rules_explain_table(&t, r, ds, row);
    if (rc)
        return rc;
    seg__writer w;
    seg__w_init(&w, format, write, user_data);
    const char *id = seg__ds_id(ds, row);
    if (format == SEG_FORMAT_JSON) {
        seg__w_str(&w, "{\"customer_id\":");
        seg__w_text(&w, id);
        seg__w_str(&w, r->score ? ",\"rules\":\"score\","
                                : ",\"rules\":\"tier\",");
    } else {
        seg__w_str(&w, "customer ");
        seg__w_text(&w, id);
        seg__w_str(&w, "\n");
    }
    if (r->score)
        write_score(&w, t);
    else
        write_tier(&w, t);
    seg_table_free(t);
    return seg__w_finish(&w, &r->err);
}
