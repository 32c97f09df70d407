/* The format-independent part of a load: the roles of the columns, the
 * checks of every value with their messages, attribute typing, and the
 * all-or-nothing change. A CSV file and a host's arrays meet here, so that
 * one bad value gets one message whichever way it came. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ingest/internal.h"

/* No place: an error about the whole input or call. */
#define NOWHERE ((size_t)-1)

static const char *const role_names[SEG__R_N] = {"id", "time", "amount",
                                                 "kind", "value", "category"};

/* ---- the change and its messages ---- */

void seg__sink_begin(seg__sink *s, seg_dataset *ds, const char *name)
{
    memset(s, 0, sizeof *s);
    s->ds = ds;
    s->name = name;
    s->time_format = SEG_TIME_AUTO;
    seg__ds_mark(ds);
}

static void attr_free(seg__attr_stage *a)
{
    seg__free(a->rows);
    seg__free(a->lines);
    seg__free(a->offs);
    seg__free(a->vals);
    seg__buf_free(&a->text);
}

static int apply_attr(seg__sink *s, seg__attr_stage *a);

int seg__sink_end(seg__sink *s, int rc)
{
    for (size_t i = 0; i < s->n_attrs && !rc; i++)
        rc = apply_attr(s, &s->attrs[i]);
    for (size_t i = 0; i < s->n_attrs; i++)
        attr_free(&s->attrs[i]);
    seg__free(s->attrs);
    for (size_t i = 0; i < s->n_header; i++)
        seg__free(s->header[i]);
    seg__free(s->header);
    s->attrs = NULL;
    s->header = NULL;
    s->n_attrs = s->n_header = 0;
    if (rc) {
        seg__ds_rollback(s->ds);
        if (rc == SEG_ENOMEM)
            seg__nomem(&s->ds->err);
    } else {
        seg__ds_commit(s->ds);
    }
    return rc;
}

int seg__sink_vfail(const seg__sink *s, int code, size_t at, size_t col,
                    const char *fmt, va_list ap)
{
    const seg__errbuf *e = &s->ds->err;
    if (code == SEG_ENOMEM)
        return seg__nomem(e);
    char what[768];
    vsnprintf(what, sizeof what, fmt, ap);
    if (s->name) {
        if (at == NOWHERE)
            return seg__error(e, code, "%s: %s", s->name, what);
        if (col)
            return seg__error(e, code, "%s:%zu:%zu: %s", s->name, at, col,
                              what);
        return seg__error(e, code, "%s:%zu: %s", s->name, at, what);
    }
    if (s->indexed && at != NOWHERE)
        return seg__error(e, code, "row %zu: %s", at, what);
    return seg__error(e, code, "%s", what);
}

int seg__sink_fail(const seg__sink *s, int code, size_t at, size_t col,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = seg__sink_vfail(s, code, at, col, fmt, ap);
    va_end(ap);
    return rc;
}

/* An error the dataset reported (a limit, out of memory), given the place. */
#define wrap seg__sink_wrap
int seg__sink_wrap(const seg__sink *s, int rc, size_t at, size_t col)
{
    if (rc == SEG_ENOMEM)
        return seg__nomem(&s->ds->err);
    char what[SEG__ERRMSG_MAX];
    return seg__sink_fail(s, rc, at, col, "%s",
                          seg__errbuf_copy(&s->ds->err, what));
}

/* The 1-based column of a role, for messages; 0 when there is none. */
static size_t col_of(const seg__sink *s, int role)
{
    return s->has[role] ? s->col[role] + 1 : 0;
}

/* ---- the checks of single values ---- */

/* Whether a number was written as an infinity (which the number parser
 * rejects): to say "out of range", as for an infinite double. */
static bool spells_infinity(const char *p, size_t n)
{
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n && (*p == '+' || *p == '-'))
        p++, n--;
    static const char inf[] = "infinity";
    if (n != 3 && n != 8)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((p[i] | 0x20) != inf[i])
            return false;
    return true;
}

static int number_error(const char *what, const char *p, size_t n, int rc,
                        char *msg, size_t msz)
{
    char ex[64];
    seg__excerpt(ex, sizeof ex, p, n);
    if (rc == SEG_ERANGE || spells_infinity(p, n)) {
        snprintf(msg, msz, "%s '%s' is out of range", what, ex);
        return SEG_ERANGE;
    }
    snprintf(msg, msz, "%s '%s' is not a number", what, ex);
    return rc;
}

/* A double that is not finite, in the words used for its text. */
static int nonfinite_error(const char *what, double v, char *msg, size_t msz)
{
    if (isnan(v))
        snprintf(msg, msz, "%s 'nan' is not a number", what);
    else
        snprintf(msg, msz, "%s '%s' is out of range", what,
                 v < 0 ? "-inf" : "inf");
    return SEG_ERANGE;
}

static int check_text(const char *what, const char *p, size_t n, char *msg,
                      size_t msz)
{
    if (n && seg__utf8_valid(p, n))
        return SEG_OK;
    snprintf(msg, msz, n ? "%s is not valid UTF-8" : "%s is empty", what);
    return SEG_EPARSE;
}

int seg__check_fields(size_t nf, size_t need, char *msg, size_t msz)
{
    if (nf >= need)
        return SEG_OK;
    snprintf(msg, msz, "expected at least %zu fields, found %zu", need, nf);
    return SEG_EPARSE;
}

int seg__check_id(const char *p, size_t n, char *msg, size_t msz)
{
    return check_text("customer id", p, n, msg, msz);
}

int seg__read_time(const seg__tz *tz, const char *p, size_t n, int format,
                   int64_t *t, char *msg, size_t msz)
{
    int rc = seg__time_parse_in(tz, t, p, n, format);
    if (!rc)
        return SEG_OK;
    char ex[64];
    snprintf(msg, msz, "time '%s' is not a valid time (expected an ISO 8601 "
             "date or date-time, YYYYMMDD or epoch seconds)",
             seg__excerpt(ex, sizeof ex, p, n));
    return rc == SEG_EINVAL ? SEG_EINVAL : SEG_EPARSE;
}

int seg__read_amount(const char *p, size_t n, double *v, char *msg,
                     size_t msz)
{
    int rc = seg__parse_f64(p, n, v);
    return rc ? number_error("amount", p, n, rc, msg, msz) : SEG_OK;
}

int seg__negative_amount(const char *p, size_t n, char *msg, size_t msz)
{
    char ex[64];
    snprintf(msg, msz, "amount '%s' is negative, and returns are not "
             "allowed (reject_negative_amounts)",
             seg__excerpt(ex, sizeof ex, p, n));
    return SEG_ERANGE;
}

/* An event value: blank is none (NaN). */
static int read_value(const char *p, size_t n, double *v, char *msg,
                      size_t msz)
{
    bool blank = true;
    for (size_t k = 0; k < n && blank; k++)
        blank = p[k] == ' ' || p[k] == '\t';
    if (blank) {
        *v = NAN;
        return SEG_OK;
    }
    int rc = seg__parse_f64(p, n, v);
    return rc ? number_error("event value", p, n, rc, msg, msz) : SEG_OK;
}

/* ---- customers and records ---- */

/* The customer of a record; inlined into seg__sink_record(), which calls
 * it for every record. */
SEG__INLINE int customer(seg__sink *s, size_t at, const char *id, size_t n,
                         uint32_t *row)
{
    const seg__interner *ids = &s->ds->ids;
    if (s->have_last && ids->len[s->last_row] == n &&
        memcmp(seg__intern_str(ids, s->last_row), id, n) == 0) {
        *row = s->last_row;
        return SEG_OK;
    }
    char msg[SEG__MSG_MAX];
    int rc = seg__check_id(id, n, msg, sizeof msg);
    if (rc)
        return seg__sink_fail(s, rc, at, col_of(s, SEG__R_ID), "%s", msg);
    if ((rc = seg__ds_customer(s->ds, id, n, row)) != SEG_OK)
        return wrap(s, rc, at, col_of(s, SEG__R_ID));
    s->have_last = true;
    s->last_row = *row;
    return SEG_OK;
}

int seg__sink_customer(seg__sink *s, size_t at, const char *id, size_t n,
                       uint32_t *row)
{
    return customer(s, at, id, n, row);
}

SEG__INLINE int push_tx(seg__sink *s, size_t at, uint32_t row, int64_t t,
                        double amount)
{
    seg_dataset *ds = s->ds;
    if (!isfinite(amount)) {
        char msg[SEG__MSG_MAX];
        int rc = nonfinite_error("amount", amount, msg, sizeof msg);
        return seg__sink_fail(s, rc, at, col_of(s, SEG__R_AMOUNT), "%s", msg);
    }
    if (ds->n_tx == ds->cap_tx && seg__ds_reserve_tx(ds, 1))
        return seg__nomem(&ds->err);
    seg__ds_push_tx(ds, row, t, amount);
    return SEG_OK;
}

int seg__sink_tx(seg__sink *s, size_t at, uint32_t row, int64_t t,
                 double amount)
{
    return push_tx(s, at, row, t, amount);
}

static int check_kind(const seg__sink *s, size_t at, const char *kind,
                      size_t n)
{
    char msg[SEG__MSG_MAX];
    int rc = check_text("event kind", kind, n, msg, sizeof msg);
    return rc ? seg__sink_fail(s, rc, at, col_of(s, SEG__R_KIND), "%s", msg)
              : SEG_OK;
}

static int push_event(seg__sink *s, size_t at, uint32_t row, int64_t t,
                      const char *kind, size_t kind_len, double value)
{
    int rc = seg__ds_push_ev(s->ds, row, t, kind, kind_len, value);
    return rc ? wrap(s, rc, at, col_of(s, SEG__R_KIND)) : SEG_OK;
}

int seg__sink_event(seg__sink *s, size_t at, uint32_t row, int64_t t,
                    const char *kind, size_t kind_len, double value)
{
    int rc = check_kind(s, at, kind, kind_len);
    if (rc)
        return rc;
    if (isinf(value)) { /* NaN is no value */
        char msg[SEG__MSG_MAX];
        rc = nonfinite_error("event value", value, msg, sizeof msg);
        return seg__sink_fail(s, rc, at, col_of(s, SEG__R_VALUE), "%s", msg);
    }
    return push_event(s, at, row, t, kind, kind_len, value);
}

int seg__sink_category(seg__sink *s, size_t at, bool tx, const char *cat,
                       size_t n)
{
    while (n && (*cat == ' ' || *cat == '\t'))
        cat++, n--;
    while (n && (cat[n - 1] == ' ' || cat[n - 1] == '\t'))
        n--;
    if (n == 0)
        return SEG_OK; /* a blank is no category */
    if (!seg__utf8_valid(cat, n))
        return seg__sink_fail(s, SEG_EPARSE, at, col_of(s, SEG__R_CATEGORY),
                              "category is not valid UTF-8");
    if (memchr(cat, '|', n)) {
        char ex[64];
        return seg__sink_fail(s, SEG_EPARSE, at, col_of(s, SEG__R_CATEGORY),
                              "category '%s' has a '|', which separates "
                              "the categories of a list",
                              seg__excerpt(ex, sizeof ex, cat, n));
    }
    int rc = tx ? seg__ds_tx_category(s->ds, cat, n)
                : seg__ds_ev_category(s->ds, cat, n);
    if (rc)
        return wrap(s, rc, at, col_of(s, SEG__R_CATEGORY));
    s->categorized++;
    return SEG_OK;
}

static int stage_attr(seg__sink *s, seg__attr_stage *a, uint32_t row,
                      size_t line, const seg__text *f);

int seg__sink_record(seg__sink *s, size_t at, const seg__text *f, size_t nf)
{
    char msg[SEG__MSG_MAX];
    int rc = seg__check_fields(nf, s->need, msg, sizeof msg);
    if (rc)
        return seg__sink_fail(s, rc, at, nf + 1, "%s", msg);
    uint32_t row;
    s->records++;
    if (s->row_ids) {
        char id[24];
        int n = snprintf(id, sizeof id, "%zu", s->records);
        rc = customer(s, at, id, (size_t)n, &row);
    } else {
        const seg__text *fid = &f[s->col[SEG__R_ID]];
        rc = customer(s, at, fid->p, fid->n, &row);
    }
    if (rc)
        return rc;
    if (s->txs || s->events) {
        int64_t t;
        const seg__text *ft = &f[s->col[SEG__R_TIME]];
        rc = seg__read_time(s->ds->tz, ft->p, ft->n, s->time_format, &t, msg,
                            sizeof msg);
        if (rc)
            return seg__sink_fail(s, rc, at, col_of(s, SEG__R_TIME), "%s",
                                  msg);
        if (s->txs) {
            const seg__text *fa = &f[s->col[SEG__R_AMOUNT]];
            double amount;
            rc = seg__read_amount(fa->p, fa->n, &amount, msg, sizeof msg);
            if (!rc && amount < 0 && s->no_returns)
                rc = seg__negative_amount(fa->p, fa->n, msg, sizeof msg);
            rc = rc ? seg__sink_fail(s, rc, at, col_of(s, SEG__R_AMOUNT),
                                     "%s", msg)
                    : push_tx(s, at, row, t, amount);
        } else {
            const seg__text *fk = &f[s->col[SEG__R_KIND]];
            double value = NAN;
            if ((rc = check_kind(s, at, fk->p, fk->n)) != SEG_OK)
                return rc;
            if (s->has[SEG__R_VALUE]) {
                const seg__text *fv = &f[s->col[SEG__R_VALUE]];
                rc = read_value(fv->p, fv->n, &value, msg, sizeof msg);
                if (rc)
                    return seg__sink_fail(s, rc, at,
                                          col_of(s, SEG__R_VALUE), "%s", msg);
            }
            /* text never reads as an infinity: no check of the value */
            rc = push_event(s, at, row, t, fk->p, fk->n, value);
        }
        if (!rc && s->has[SEG__R_CATEGORY]) {
            const seg__text *fc = &f[s->col[SEG__R_CATEGORY]];
            rc = seg__sink_category(s, at, s->txs, fc->p, fc->n);
        }
        if (rc)
            return rc;
    }
    seg__attr_stage *attrs = s->attrs;
    for (size_t i = 0, na = s->n_attrs; i < na && !rc; i++) {
        const seg__text *fa = &f[attrs[i].col];
        if (fa->n)
            rc = stage_attr(s, &attrs[i], row, at, fa);
    }
    return rc;
}

void seg__sink_expect(seg__sink *s, double scale)
{
    seg_dataset *ds = s->ds;
    if (!(scale > 1) || !s->records || scale * (double)s->records > 4e9)
        return;
    /* failures here only leave the arrays to grow as they go */
    size_t added = ds->ids.n - ds->mark_cust;
    if (added * 2 >= s->records) /* one record a customer, near enough */
        (void)seg__intern_reserve(
            &ds->ids, (size_t)((double)added * (scale - 1)),
            (size_t)((double)(ds->ids.pool_len - ds->ids.off[ds->mark_cust]) *
                     (scale - 1)));
    for (size_t i = 0; i < s->n_attrs; i++) {
        seg__attr_stage *a = &s->attrs[i];
        size_t n = (size_t)((double)a->n * scale) + 2;
        size_t bytes = (size_t)((double)a->text.len * scale) + 1;
        if (!a->n)
            continue;
        (void)(seg__grow((void **)&a->rows, &a->cap_rows, n, sizeof *a->rows) ||
               (!a->mixed && seg__grow((void **)&a->vals, &a->cap_vals, n,
                                       sizeof *a->vals)) ||
               seg__grow((void **)&a->lines, &a->cap_lines, n,
                         sizeof *a->lines) ||
               seg__grow((void **)&a->offs, &a->cap_offs, n, sizeof *a->offs) ||
               seg__grow((void **)&a->text.data, &a->text.cap, bytes, 1));
    }
}

/* ---- attributes ---- */

static int stage_attr(seg__sink *s, seg__attr_stage *a, uint32_t row,
                      size_t line, const seg__text *f)
{
    double v;
    bool num = !a->mixed && seg__parse_f64(f->p, f->n, &v) == SEG_OK;
    return seg__sink_attr_stage(s, (size_t)(a - s->attrs), row, line, f->p,
                                f->n, num ? &v : NULL);
}

int seg__sink_attr_stage(seg__sink *s, size_t i, uint32_t row, size_t line,
                         const char *p, size_t n, const double *v)
{
    seg__attr_stage *a = &s->attrs[i];
    if (!v)
        a->mixed = true;
    else if (!a->mixed && a->n + 1 > a->cap_vals &&
             seg__grow((void **)&a->vals, &a->cap_vals, a->n + 1,
                       sizeof *a->vals))
        return seg__nomem(&s->ds->err);
    if ((a->n + 1 > a->cap_rows &&
         seg__grow((void **)&a->rows, &a->cap_rows, a->n + 1,
                   sizeof *a->rows)) ||
        (a->n + 1 > a->cap_lines &&
         seg__grow((void **)&a->lines, &a->cap_lines, a->n + 1,
                   sizeof *a->lines)) ||
        (a->n + 2 > a->cap_offs &&
         seg__grow((void **)&a->offs, &a->cap_offs, a->n + 2,
                   sizeof *a->offs)))
        return seg__nomem(&s->ds->err);
    if (a->n == 0)
        a->offs[0] = 0;
    if (seg__buf_append(&a->text, p, n))
        return seg__nomem(&s->ds->err);
    if (!a->mixed)
        a->vals[a->n] = *v;
    a->rows[a->n] = row;
    a->lines[a->n] = line;
    a->offs[a->n + 1] = a->text.len;
    a->n++;
    return SEG_OK;
}

static int apply_values(seg__sink *s, seg__attr_stage *a, int type,
                        const double *vals);

int seg__sink_attr_not_number(const seg__sink *s, const seg__attr_stage *a,
                              size_t at, const char *p, size_t n)
{
    char ex[64];
    return seg__sink_fail(s, SEG_ETYPE, at, a->col + 1,
                          "attribute '%s' value '%s' is not a number (the "
                          "column is numeric)",
                          a->name, seg__excerpt(ex, sizeof ex, p, n));
}

int seg__sink_attr_bad_text(const seg__sink *s, const seg__attr_stage *a,
                            size_t at)
{
    return seg__sink_fail(s, SEG_EPARSE, at, a->col + 1,
                          "attribute '%s' is not valid UTF-8", a->name);
}

/* Staged values into their column: numeric if the column is numeric or
 * every value is a number, else labels. */
static int apply_attr(seg__sink *s, seg__attr_stage *a)
{
    seg_dataset *ds = s->ds;
    seg__column *existing = seg__ds_find_column(ds, a->name);
    int type = existing ? existing->type
                        : a->mixed ? SEG_COLUMN_LABEL : SEG_COLUMN_NUMERIC;
    return apply_values(s, a, type, a->mixed ? NULL : a->vals);
}

/* The values of a staged column of that type into it: vals holds them
 * already parsed, or is NULL (then they are parsed here, the first that
 * is not a number an error). */
static int apply_values(seg__sink *s, seg__attr_stage *a, int type,
                        const double *vals)
{
    seg_dataset *ds = s->ds;
    seg__column *c;
    int rc = seg__ds_column(ds, a->name, strlen(a->name), type,
                            SEG__ORIGIN_USER, &c);
    if (rc)
        return wrap(s, rc, NOWHERE, 0);
    for (size_t i = 0; i < a->n; i++) {
        const char *v = a->text.data + a->offs[i];
        size_t n = a->offs[i + 1] - a->offs[i];
        if (type == SEG_COLUMN_NUMERIC && vals) {
            rc = seg__ds_set_num(ds, c, a->rows[i], vals[i]);
        } else if (type == SEG_COLUMN_NUMERIC) {
            double x;
            if (seg__parse_f64(v, n, &x))
                return seg__sink_attr_not_number(s, a, a->lines[i], v, n);
            rc = seg__ds_set_num(ds, c, a->rows[i], x);
        } else {
            if (!seg__utf8_valid(v, n))
                return seg__sink_attr_bad_text(s, a, a->lines[i]);
            rc = seg__ds_set_label(ds, c, a->rows[i], v, n);
        }
        if (rc)
            return wrap(s, rc, a->lines[i], a->col + 1);
    }
    return SEG_OK;
}

int seg__sink_attr_column(seg__sink *s, const char *name, int type,
                          bool create, seg__column **col)
{
    int rc = seg__ds_check_put(s->ds, name, type);
    if (!rc && create)
        rc = seg__ds_column(s->ds, name, strlen(name), type,
                            SEG__ORIGIN_USER, col);
    return rc ? wrap(s, rc, NOWHERE, 0) : SEG_OK;
}

int seg__sink_attr_num(seg__sink *s, seg__column *c, uint32_t row, double v)
{
    int rc = seg__ds_set_num(s->ds, c, row, v);
    return rc ? seg__nomem(&s->ds->err) : SEG_OK;
}

int seg__sink_attr_label(seg__sink *s, size_t at, seg__column *c,
                         uint32_t row, const char *v)
{
    size_t n = v ? strlen(v) : 0;
    if (v && !seg__utf8_valid(v, n))
        return seg__sink_fail(s, SEG_EPARSE, at, 0,
                              "attribute '%s' is not valid UTF-8", c->name);
    int rc = seg__ds_set_label(s->ds, c, row, v, n);
    return rc ? wrap(s, rc, at, 0) : SEG_OK;
}

/* ---- mapping columns to roles ---- */

int seg__sink_header(seg__sink *s, const seg__text *names, size_t n)
{
    s->header = seg__calloc(n ? n : 1, sizeof *s->header);
    if (!s->header)
        return seg__nomem(&s->ds->err);
    for (; s->n_header < n; s->n_header++) {
        const seg__text *f = &names[s->n_header];
        size_t a = 0, b = f->n;
        while (a < b && f->p[a] == ' ')
            a++;
        while (b > a && f->p[b - 1] == ' ')
            b--;
        if (!(s->header[s->n_header] = seg__strndup(f->p + a, b - a)))
            return seg__nomem(&s->ds->err);
    }
    return SEG_OK;
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

/* A column named by its header text, else by a 1-based number. */
static bool find_column(const seg__sink *s, const char *spec, size_t *col)
{
    for (size_t i = 0; i < s->n_header; i++) {
        if (strcmp(s->header[i], spec) == 0) {
            *col = i;
            return true;
        }
    }
    size_t v = 0;
    const char *p = spec;
    for (; *p >= '0' && *p <= '9' && v < 1000000; p++)
        v = v * 10 + (size_t)(*p - '0');
    if (*p == '\0' && p != spec && v >= 1) {
        *col = v - 1;
        return true;
    }
    return false;
}

static int resolve(const seg__sink *s, const char *what, const char *spec,
                   size_t *col)
{
    if (find_column(s, spec, col))
        return SEG_OK;
    char ex[64];
    seg__excerpt(ex, sizeof ex, spec, strlen(spec));
    if (s->n_header)
        return seg__sink_fail(s, SEG_ENOTFOUND, NOWHERE, 0,
                              "%s column '%s' is not in the header", what, ex);
    return seg__sink_fail(s, SEG_ENOTFOUND, NOWHERE, 0,
                          "%s column '%s': the file has no header, so name "
                          "columns by number (1 = first)", what, ex);
}

/* Whether the options name column i, for a role or as an attribute. */
static bool named(const seg__sink *s, const seg__roles_spec *spec, size_t i)
{
    size_t c;
    for (int r = 0; r < SEG__R_N; r++)
        if (spec->col[r] && find_column(s, spec->col[r], &c) && c == i)
            return true;
    for (size_t k = 0; k < spec->n_attrs; k++)
        if (spec->attrs[k] && find_column(s, spec->attrs[k], &c) && c == i)
            return true;
    return false;
}

/* The first header column, not named otherwise, with one of the names. */
static const char *guess(const seg__sink *s, const seg__roles_spec *spec,
                         const char *const *cands)
{
    for (size_t i = 0; i < s->n_header; i++)
        for (const char *const *c = cands; *c; c++)
            if (ieq(s->header[i], *c) && !named(s, spec, i))
                return s->header[i];
    return NULL;
}

/* Roles the options leave open, looked for in the header. Naming an amount
 * or a kind says what the records are, so the other is not looked for. */
static void guess_roles(const seg__sink *s, const seg__roles_spec *spec,
                        const char **col)
{
    static const char *const c_id[] = {"customer_id", "id", "customer", NULL};
    static const char *const c_time[] = {"time", "date", "timestamp", NULL};
    static const char *const c_amount[] = {"amount", NULL};
    static const char *const c_kind[] = {"kind", "event", NULL};
    static const char *const c_value[] = {"value", NULL};
    bool what_named = spec->col[SEG__R_AMOUNT] || spec->col[SEG__R_KIND];
    if (!col[SEG__R_ID])
        col[SEG__R_ID] = guess(s, spec, c_id);
    if (!col[SEG__R_TIME])
        col[SEG__R_TIME] = guess(s, spec, c_time);
    if (!what_named) {
        col[SEG__R_AMOUNT] = guess(s, spec, c_amount);
        col[SEG__R_KIND] = guess(s, spec, c_kind);
    }
    if (!col[SEG__R_VALUE] && col[SEG__R_KIND])
        col[SEG__R_VALUE] = guess(s, spec, c_value);
}

static bool has_role(const seg__sink *s, size_t i)
{
    for (int r = 0; r < SEG__R_N; r++)
        if (s->has[r] && s->col[r] == i)
            return true;
    return false;
}

static int map_attrs(seg__sink *s, const seg__roles_spec *spec)
{
    if (spec->all_attributes) {
        if (!s->n_header)
            return seg__sink_fail(s, SEG_EINVAL, NOWHERE, 0,
                                  "all_attributes needs a header");
        for (size_t i = 0; i < s->n_header; i++)
            s->n_attrs += !has_role(s, i);
    } else {
        s->n_attrs = spec->n_attrs;
    }
    if (!s->n_attrs)
        return SEG_OK;
    if (!(s->attrs = seg__calloc(s->n_attrs, sizeof *s->attrs))) {
        s->n_attrs = 0;
        return seg__nomem(&s->ds->err);
    }
    if (spec->all_attributes) {
        size_t k = 0;
        for (size_t i = 0; i < s->n_header; i++) {
            const char *nm = s->header[i];
            if (has_role(s, i))
                continue;
            if (!*nm || !seg__utf8_valid(nm, strlen(nm)))
                return seg__sink_fail(s, SEG_EPARSE, 1, i + 1,
                                      "a column without a valid name");
            s->attrs[k].name = nm;
            s->attrs[k++].col = i;
        }
        return SEG_OK;
    }
    for (size_t i = 0; i < s->n_attrs; i++) {
        const char *nm = spec->attrs[i];
        if (!nm || !*nm || !seg__utf8_valid(nm, strlen(nm)))
            return seg__sink_fail(s, SEG_EINVAL, NOWHERE, 0,
                                  "attribute column %zu has no valid name", i);
        s->attrs[i].name = nm;
        int rc = resolve(s, "attribute", nm, &s->attrs[i].col);
        if (rc)
            return rc;
        /* a numbered column is named by its header text when there is one */
        if (s->attrs[i].col < s->n_header)
            s->attrs[i].name = s->header[s->attrs[i].col];
    }
    return SEG_OK;
}

int seg__sink_map(seg__sink *s, const seg__roles_spec *spec)
{
    const char *col[SEG__R_N];
    memcpy(col, spec->col, sizeof col);
    guess_roles(s, spec, col);
    s->row_ids = spec->row_ids;
    /* a summary's own id column is its customers' ids, kept as text */
    if (spec->row_ids_unless_id && col[SEG__R_ID])
        s->row_ids = false;
    if (s->row_ids)
        col[SEG__R_ID] = NULL;
    else if (!col[SEG__R_ID])
        return seg__sink_fail(s, SEG_EINVAL, NOWHERE, 0,
                              "no customer id column: set id_column (--map "
                              "id=COLUMN)");
    for (int r = 0; r < SEG__R_N; r++) {
        if (col[r]) {
            int rc = resolve(s, role_names[r], col[r], &s->col[r]);
            if (rc)
                return rc;
            s->has[r] = true;
        }
    }
    s->events = s->has[SEG__R_KIND];
    s->txs = !s->events && s->has[SEG__R_AMOUNT];
    if ((s->events || s->txs) && !s->has[SEG__R_TIME])
        return seg__sink_fail(s, SEG_EINVAL, NOWHERE, 0,
                              "%s need a time column: set time_column (--map "
                              "time=COLUMN)",
                              s->events ? "events" : "transactions");
    if (s->has[SEG__R_CATEGORY] && !s->events && !s->txs)
        return seg__sink_fail(s, SEG_EINVAL, NOWHERE, 0,
                              "a category belongs to transactions or "
                              "events: map amount or kind too");
    int rc = map_attrs(s, spec);
    if (rc)
        return rc;
    for (int r = 0; r < SEG__R_N; r++)
        if (s->has[r] && s->col[r] + 1 > s->need)
            s->need = s->col[r] + 1;
    for (size_t i = 0; i < s->n_attrs; i++)
        if (s->attrs[i].col + 1 > s->need)
            s->need = s->attrs[i].col + 1;
    return SEG_OK;
}
