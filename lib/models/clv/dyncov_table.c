/* The table of time-varying covariates: values per customer and period,
 * from long rows (customer, period start, name, value) or a wide CSV file
 * as CLVTools lays it out (Id, Cov.Date, one column per covariate). Every
 * check is made before anything is kept, so a bad table changes nothing. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "models/clv/dyncov.h"

#define DAY 86400

static int fail(char **err, int code, const char *fmt, ...)
    SEG__PRINTF(3, 4);

static int fail(char **err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    *err = len >= 0 ? seg__malloc((size_t)len + 1) : NULL;
    if (*err) {
        va_start(ap, fmt);
        vsnprintf(*err, (size_t)len + 1, fmt, ap);
        va_end(ap);
    }
    return code;
}

void seg__dyncov_free(seg__dyncov *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nnames; i++)
        seg__free(t->names[i]);
    for (size_t i = 0; i < t->ncust; i++)
        seg__free(t->ids[i]);
    seg__free(t->names);
    seg__free(t->ids);
    seg__free(t->first);
    seg__free(t->nper);
    seg__free(t->off);
    seg__free(t->v);
    seg__free(t);
}

size_t seg__dyncov_find(const seg__dyncov *t, const char *id)
{
    size_t lo = 0, hi = t->ncust;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->ids[mid], id);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return t->ncust;
}

size_t seg__dyncov_name(const seg__dyncov *t, const char *name)
{
    for (size_t i = 0; i < t->nnames; i++)
        if (!strcmp(t->names[i], name))
            return i;
    return t->nnames;
}

typedef struct row {
    const char *id;
    int64_t day;
    size_t name, i;
} row;

static int cmp_row(const void *a, const void *b)
{
    const row *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c)
        return c;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    if (x->name != y->name)
        return x->name < y->name ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static char *day_text(int64_t day, char *buf)
{
    seg_time_format_iso(buf, 32, day * DAY);
    return buf;
}

/* The distinct names in order of first appearance, and each row's. */
static int collect_names(seg__dyncov *t, size_t n, const char *const *names,
                         row *r, char **err)
{
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || !*names[i])
            return fail(err, SEG_EINVAL, "covariate table: row %zu has no "
                        "covariate name", i + 1);
        size_t j = seg__dyncov_name(t, names[i]);
        if (j == t->nnames) {
            char **nn = seg__realloc(t->names, (t->nnames + 1) * sizeof *nn);
            if (!nn)
                return SEG_ENOMEM;
            t->names = nn;
            if (!(nn[t->nnames] = seg__strndup(names[i], strlen(names[i]))))
                return SEG_ENOMEM;
            t->nnames++;
        }
        r[i].name = j;
    }
    return SEG_OK;
}

/* Customers, periods and values of the sorted rows, with the checks: one
 * value of every name in every period, consecutive periods of one length
 * on one grid. */
static int fill(seg__dyncov *t, row *r, size_t n, const double *values,
                char **err)
{
    char b1[32], b2[32];
    size_t nn = t->nnames, np = 0;
    t->step = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && !strcmp(r[i].id, r[i - 1].id) && r[i].day == r[i - 1].day) {
            if (r[i].name == r[i - 1].name)
                return fail(err, SEG_EINVAL, "covariate table: customer "
                            "'%s' has two values of '%s' for the period of "
                            "%s", r[i].id, t->names[r[i].name],
                            day_text(r[i].day, b1));
            continue;
        }
        np++;
        if (i && !strcmp(r[i].id, r[i - 1].id)) {
            int64_t gap = r[i].day - r[i - 1].day;
            if (!t->step || gap < t->step)
                t->step = gap;
        }
    }
    if (!t->step)
        t->step = 7; /* one period each: a week, as CLVTools' default */
    t->v = seg__malloc(np * nn * sizeof *t->v);
    size_t nc = 0;
    for (size_t i = 0; i < n; i++)
        nc += !i || strcmp(r[i].id, r[i - 1].id);
    t->ids = seg__calloc(nc ? nc : 1, sizeof *t->ids);
    t->first = seg__malloc((nc ? nc : 1) * sizeof *t->first);
    t->nper = seg__calloc(nc ? nc : 1, sizeof *t->nper);
    t->off = seg__malloc((nc ? nc : 1) * sizeof *t->off);
    if (!t->v || !t->ids || !t->first || !t->nper || !t->off)
        return SEG_ENOMEM;
    t->origin = r[0].day;
    size_t p = 0, c = 0;
    for (size_t i = 0; i < n;) {
        bool new_cust = !i || strcmp(r[i].id, r[i - 1].id);
        if (new_cust) {
            if (!(t->ids[c] = seg__strndup(r[i].id, strlen(r[i].id))))
                return SEG_ENOMEM;
            t->ncust = ++c;
            t->first[c - 1] = r[i].day;
            t->off[c - 1] = p;
        } else if (r[i].day - r[i - 1].day != t->step) {
            return fail(err, SEG_EINVAL, "covariate table: customer '%s' "
                        "has periods of %s and %s, not consecutive periods "
                        "of %lld days", r[i].id, day_text(r[i - 1].day, b1),
                        day_text(r[i].day, b2), (long long)t->step);
        }
        if ((r[i].day - t->origin) % t->step != 0)
            return fail(err, SEG_EINVAL, "covariate table: the period of %s "
                        "(customer '%s') is not aligned with the period of "
                        "%s: periods of %lld days start on the same grid",
                        day_text(r[i].day, b1), r[i].id,
                        day_text(t->origin, b2), (long long)t->step);
        size_t j = i;
        for (size_t k = 0; k < nn; k++, j++) {
            if (j >= n || strcmp(r[j].id, r[i].id) || r[j].day != r[i].day ||
                r[j].name != k)
                return fail(err, SEG_EINVAL, "covariate table: customer "
                            "'%s' has no value of '%s' for the period of %s",
                            r[i].id, t->names[k], day_text(r[i].day, b1));
            double v = values[r[j].i];
            if (!isfinite(v))
                return fail(err, SEG_EINVAL, "covariate table: customer "
                            "'%s' has no finite value of '%s' for the period "
                            "of %s", r[i].id, t->names[k],
                            day_text(r[i].day, b1));
            t->v[p * nn + k] = v;
        }
        t->nper[c - 1]++;
        p++;
        i = j;
    }
    return SEG_OK;
}

int seg__dyncov_build(size_t n, const char *const *ids, const int64_t *start,
                      const char *const *names, const double *values,
                      seg__dyncov **out, char **err)
{
    *out = NULL;
    *err = NULL;
    if (!n)
        return fail(err, SEG_EINVAL, "covariate table: no rows");
    seg__dyncov *t = seg__calloc(1, sizeof *t);
    row *r = seg__malloc(n * sizeof *r);
    int rc = t && r ? SEG_OK : SEG_ENOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!ids[i] || !*ids[i])
            rc = fail(err, SEG_EINVAL, "covariate table: row %zu has no "
                      "customer", i + 1);
        r[i].id = ids[i];
        r[i].day = floor_div(start[i], DAY);
        r[i].i = i;
    }
    if (!rc)
        rc = collect_names(t, n, names, r, err);
    if (!rc) {
        qsort(r, n, sizeof *r, cmp_row);
        rc = fill(t, r, n, values, err);
    }
    seg__free(r);
    if (rc == SEG_ENOMEM && !*err)
        rc = fail(err, SEG_ENOMEM, "out of memory");
    if (rc)
        seg__dyncov_free(t);
    else
        *out = t;
    return rc;
}

/* ---- the wide CSV file ---- */

typedef struct wide {
    char **ids, **names;
    int64_t *start;
    double *v;
    size_t n, cap;
} wide;

static int push(wide *w, const char *id, size_t idlen, int64_t start,
                char *name, double v)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 1024;
        char **ids = seg__realloc(w->ids, cap * sizeof *ids);
        if (ids)
            w->ids = ids;
        char **names = seg__realloc(w->names, cap * sizeof *names);
        if (names)
            w->names = names;
        int64_t *s = seg__realloc(w->start, cap * sizeof *s);
        if (s)
            w->start = s;
        double *vv = seg__realloc(w->v, cap * sizeof *vv);
        if (vv)
            w->v = vv;
        if (!ids || !names || !s || !vv)
            return SEG_ENOMEM;
        w->cap = cap;
    }
    if (!(w->ids[w->n] = seg__strndup(id, idlen)))
        return SEG_ENOMEM;
    w->names[w->n] = name;
    w->start[w->n] = start;
    w->v[w->n] = v;
    w->n++;
    return SEG_OK;
}

/* The fields of a line split at commas, trimmed of spaces, CR and a pair
 * of double quotes; a field may not hold a comma. */
static size_t split(char *line, char **f, size_t *len, size_t max)
{
    size_t n = 0;
    char *s = line;
    for (;;) {
        char *e = strchr(s, ',');
        char *end = e ? e : s + strlen(s);
        while (end > s && (end[-1] == '\n' || end[-1] == '\r' ||
                           end[-1] == ' '))
            end--;
        while (s < end && *s == ' ')
            s++;
        if (end - s >= 2 && *s == '"' && end[-1] == '"') {
            s++;
            end--;
        }
        if (n < max) {
            f[n] = s;
            len[n] = (size_t)(end - s);
        }
        n++;
        if (!e)
            return n;
        s = e + 1;
    }
}

static void wide_free(wide *w)
{
    for (size_t i = 0; i < w->n; i++)
        seg__free(w->ids[i]);
    seg__free(w->ids);
    seg__free(w->names);
    seg__free(w->start);
    seg__free(w->v);
}

/* The header: the two named columns (or the first two) and the others,
 * the covariates, into cols[] (allocated names). */
static int read_header(char *line, const char *path, const char *id_col,
                       const char *date_col, size_t *nf, size_t *idc,
                       size_t *datec, char ***cols, char **err)
{
    size_t n = split(line, NULL, NULL, 0);
    char **f = seg__malloc(n * sizeof *f);
    size_t *len = seg__malloc(n * sizeof *len);
    *cols = seg__calloc(n, sizeof **cols);
    int rc = f && len && *cols ? SEG_OK : SEG_ENOMEM;
    if (!rc)
        split(line, f, len, n);
    *idc = *datec = n;
    for (size_t i = 0; i < n && !rc; i++) {
        if (id_col ? strlen(id_col) == len[i] && !memcmp(f[i], id_col, len[i])
                   : i == 0)
            *idc = i;
        else if (date_col ? strlen(date_col) == len[i] &&
                                !memcmp(f[i], date_col, len[i])
                          : i == 1)
            *datec = i;
        else if (!((*cols)[i] = seg__strndup(f[i], len[i])))
            rc = SEG_ENOMEM;
    }
    if (!rc && (*idc == n || *datec == n))
        rc = fail(err, SEG_EINVAL, "%s: no column '%s'", path,
                  *idc == n ? (id_col ? id_col : "(customer)")
                            : (date_col ? date_col : "(period start)"));
    if (!rc && n < 3)
        rc = fail(err, SEG_EINVAL, "%s: no covariate columns", path);
    seg__free(f);
    seg__free(len);
    *nf = n;
    return rc;
}

static int read_rows(FILE *fp, const char *path, size_t nf, size_t idc,
                     size_t datec, char **cols, wide *w, char **err)
{
    char *line = NULL;
    size_t cap = 0, lineno = 1;
    char **f = seg__malloc(nf * sizeof *f);
    size_t *len = seg__malloc(nf * sizeof *len);
    int rc = f && len ? SEG_OK : SEG_ENOMEM;
    ssize_t got;
    while (!rc && (got = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        size_t k = split(line, f, len, nf);
        if (k == 1 && len[0] == 0)
            continue;
        if (k != nf) {
            rc = fail(err, SEG_EPARSE, "%s:%zu: %zu fields, the header has "
                      "%zu", path, lineno, k, nf);
            break;
        }
        int64_t t;
        if (seg_time_parse(&t, f[datec], len[datec], SEG_TIME_ISO8601)) {
            rc = fail(err, SEG_EPARSE, "%s:%zu: '%.*s' is not a date", path,
                      lineno, (int)len[datec], f[datec]);
            break;
        }
        for (size_t i = 0; i < nf && !rc; i++) {
            if (i == idc || i == datec)
                continue;
            double v;
            if (!len[i] || seg__parse_f64(f[i], len[i], &v) != SEG_OK)
                rc = fail(err, SEG_EPARSE, "%s:%zu: %s: '%.*s' is not a "
                          "number", path, lineno, cols[i], (int)len[i], f[i]);
            else
                rc = push(w, f[idc], len[idc], t, cols[i], v);
        }
    }
    free(line);
    seg__free(f);
    seg__free(len);
    return rc;
}

int seg__dyncov_load_csv(const char *path, const char *id_column,
                         const char *date_column, seg__dyncov **out,
                         char **err)
{
    *out = NULL;
    *err = NULL;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return fail(err, SEG_EIO, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, nf = 0, idc = 0, datec = 0;
    char **cols = NULL;
    wide w = {0};
    int rc;
    if (getline(&line, &cap, fp) < 0)
        rc = fail(err, SEG_EPARSE, "%s: empty", path);
    else
        rc = read_header(line, path, id_column, date_column, &nf, &idc,
                         &datec, &cols, err);
    free(line);
    if (!rc)
        rc = read_rows(fp, path, nf, idc, datec, cols, &w, err);
    if (!rc && ferror(fp))
        rc = fail(err, SEG_EIO, "%s: read error", path);
    fclose(fp);
    if (!rc)
        rc = seg__dyncov_build(w.n, (const char *const *)w.ids, w.start,
                               (const char *const *)w.names, w.v, out, err);
    wide_free(&w);
    for (size_t i = 0; cols && i < nf; i++)
        seg__free(cols[i]);
    seg__free(cols);
    if (rc == SEG_ENOMEM && !*err)
        rc = fail(err, SEG_ENOMEM, "out of memory");
    return rc;
}
