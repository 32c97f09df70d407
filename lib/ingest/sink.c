/* The format-independent part of a load: columns mapped to roles, staged
 * attributes and their type, the checks of ids, times and amounts. */
#include <stdio.h>
#include <string.h>

#include "ingest/internal.h"

/* ---- mapping columns to roles ---- */

const char *const seg__role_names[SEG__R_N] = {"id", "time", "amount",
                                               "kind", "value"};

void seg__header_free(seg__header *h)
{
    for (size_t i = 0; i < h->n; i++)
        seg__free(h->names[i]);
    seg__free(h->names);
}

static bool ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return *a == *b;
}

int seg__resolve(seg__reader *rd, const seg__header *h, const char *what,
                   const char *spec, size_t *col)
{
    for (size_t i = 0; i < h->n; i++) {
        if (strcmp(h->names[i], spec) == 0) {
            *col = i;
            return SEG_OK;
        }
    }
    size_t v = 0;
    const char *s = spec;
    for (; *s >= '0' && *s <= '9' && v < 1000000; s++)
        v = v * 10 + (size_t)(*s - '0');
    if (*s == '\0' && s != spec && v >= 1) {
        *col = v - 1;
        return SEG_OK;
    }
    char ex[64];
    if (h->n)
        return seg__error(rd->err, SEG_ENOTFOUND,
                          "%s: %s column '%s' is not in the header", rd->name,
                          what, seg__excerpt(ex, sizeof ex, spec, strlen(spec)));
    return seg__error(rd->err, SEG_ENOTFOUND,
                      "%s: %s column '%s': the file has no header, so name "
                      "columns by number (1 = first)",
                      rd->name, what,
                      seg__excerpt(ex, sizeof ex, spec, strlen(spec)));
}

const char *seg__guess(const seg__header *h, const char *const *cands)
{
    for (size_t i = 0; i < h->n; i++)
        for (const char *const *c = cands; *c; c++)
            if (ieq(h->names[i], *c))
                return h->names[i];
    return NULL;
}

const char *seg__field_excerpt(char *buf, size_t sz, const seg__field *f)
{
    return seg__excerpt(buf, sz, f->p, f->n);
}

int seg__stage_attr(seg__reader *rd, seg__attr_stage *a, uint32_t row, size_t line,
                      const seg__field *f)
{
    if (seg__grow((void **)&a->rows, &a->cap_rows, a->n + 1, sizeof *a->rows) ||
        seg__grow((void **)&a->lines, &a->cap_lines, a->n + 1,
                  sizeof *a->lines) ||
        seg__grow((void **)&a->offs, &a->cap_offs, a->n + 2, sizeof *a->offs))
        return seg__nomem(rd->err);
    if (a->n == 0)
        a->offs[0] = 0;
    if (seg__buf_append(&a->text, f->p, f->n))
        return seg__nomem(rd->err);
    a->rows[a->n] = row;
    a->lines[a->n] = line;
    a->offs[a->n + 1] = a->text.len;
    a->n++;
    return SEG_OK;
}

/* Apply staged attribute values: numeric if the column is numeric or every
 * value is a number, else labels. */
int seg__apply_attr(seg_dataset *ds, seg__reader *rd, seg__attr_stage *a)
{
    seg__column *existing = seg__ds_find_column(ds, a->name);
    int type = existing ? existing->type : SEG_COLUMN_NUMERIC;
    if (!existing) {
        for (size_t i = 0; i < a->n && type == SEG_COLUMN_NUMERIC; i++) {
            double v;
            if (seg__parse_f64(a->text.data + a->offs[i],
                               a->offs[i + 1] - a->offs[i], &v))
                type = SEG_COLUMN_LABEL;
        }
    }
    seg__column *c;
    int rc = seg__ds_column(ds, a->name, strlen(a->name), type,
                            SEG__ORIGIN_USER, &c);
    if (rc)
        return rc;
    for (size_t i = 0; i < a->n; i++) {
        const char *s = a->text.data + a->offs[i];
        size_t n = a->offs[i + 1] - a->offs[i];
        if (type == SEG_COLUMN_NUMERIC) {
            double v;
            rc = seg__parse_f64(s, n, &v);
            if (rc) {
                char ex[64];
                return seg__rd_error(rd, rc == SEG_ENOMEM ? rc : SEG_ETYPE,
                                a->lines[i], a->col + 1,
                                "attribute '%s' value '%s' is not a number "
                                "(the column is numeric)",
                                a->name, seg__excerpt(ex, sizeof ex, s, n));
            }
            rc = seg__ds_set_num(ds, c, a->rows[i], v);
        } else {
            if (!seg__utf8_valid(s, n))
                return seg__rd_error(rd, SEG_EPARSE, a->lines[i], a->col + 1,
                                "attribute '%s' is not valid UTF-8", a->name);
            rc = seg__ds_set_label(ds, c, a->rows[i], s, n);
        }
        if (rc)
            return rc;
    }
    return SEG_OK;
}

void seg__attr_free(seg__attr_stage *a)
{
    seg__free(a->rows);
    seg__free(a->lines);
    seg__free(a->offs);
    seg__buf_free(&a->text);
}

/* The checks of a record's fields, shared by the sequential and the
 * parallel loader: 0, or an error code with the message (without the
 * file:line:column prefix) in msg. */
int seg__check_id(const seg__field *f, char *msg, size_t msz)
{
    if (f->n && seg__utf8_valid(f->p, f->n))
        return SEG_OK;
    snprintf(msg, msz, "%s", f->n ? "customer id is not valid UTF-8"
                                  : "customer id is empty");
    return SEG_EPARSE;
}

int seg__time_value(const seg__field *f, int format, int64_t *t, char *msg,
                      size_t msz)
{
    int rc = seg_time_parse(t, f->p, f->n, format);
    if (!rc)
        return SEG_OK;
    char ex[64];
    snprintf(msg, msz, "time '%s' is not a valid time (expected an ISO 8601 "
             "date or date-time, YYYYMMDD or epoch seconds)",
             seg__field_excerpt(ex, sizeof ex, f));
    return rc == SEG_EINVAL ? SEG_EINVAL : SEG_EPARSE;
}

int seg__amount_value(const seg__field *f, double *v, char *msg, size_t msz)
{
    int rc = seg__parse_f64(f->p, f->n, v);
    if (!rc)
        return SEG_OK;
    char ex[64];
    snprintf(msg, msz, rc == SEG_ERANGE ? "amount '%s' is out of range"
                                        : "amount '%s' is not a number",
             seg__field_excerpt(ex, sizeof ex, f));
    return rc;
}
