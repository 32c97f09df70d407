/* Export of the column table to CSV and JSON. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/internal.h"

typedef struct out {
    seg__buf buf;
    seg_write_fn write;
    void *user;
    bool failed;
} out;

static int flush(out *o)
{
    if (o->buf.len && !o->failed &&
        o->write(o->buf.data, o->buf.len, o->user) != 0)
        o->failed = true;
    o->buf.len = 0;
    return o->failed ? SEG_EIO : SEG_OK;
}

static int put(out *o, const char *s, size_t n)
{
    if (seg__buf_append(&o->buf, s, n))
        return SEG_ENOMEM;
    return o->buf.len >= 65536 ? flush(o) : SEG_OK;
}

static int puts_(out *o, const char *s) { return put(o, s, strlen(s)); }

static int csv_text(out *o, const char *s)
{
    if (!strpbrk(s, ",\"\r\n"))
        return puts_(o, s);
    int rc = put(o, "\"", 1);
    for (const char *q; !rc && (q = strchr(s, '"')); s = q + 1)
        rc = put(o, s, (size_t)(q - s + 1)) || put(o, "\"", 1);
    if (!rc)
        rc = puts_(o, s);
    return rc ? rc : put(o, "\"", 1);
}

static int json_text(out *o, const char *s)
{
    int rc = put(o, "\"", 1);
    const char *run = s;
    for (; !rc && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc = put(o, run, (size_t)(s - run));
        char esc[8];
        switch (c) {
        case '"': strcpy(esc, "\\\""); break;
        case '\\': strcpy(esc, "\\\\"); break;
        case '\n': strcpy(esc, "\\n"); break;
        case '\r': strcpy(esc, "\\r"); break;
        case '\t': strcpy(esc, "\\t"); break;
        default: snprintf(esc, sizeof esc, "\\u%04x", c); break;
        }
        if (!rc)
            rc = puts_(o, esc);
        run = s + 1;
    }
    if (!rc)
        rc = put(o, run, (size_t)(s - run));
    return rc ? rc : put(o, "\"", 1);
}

static int value(out *o, int format, const seg__column *c, size_t row)
{
    if (c->type == SEG_COLUMN_NUMERIC) {
        double v = seg__column_num(c, row);
        if (isnan(v))
            return format == SEG_FORMAT_JSON ? puts_(o, "null") : SEG_OK;
        char num[40];
        size_t n = seg__format_f64(num, v);
        if (isinf(v) && format == SEG_FORMAT_JSON)
            return puts_(o, "null");
        return put(o, num, n);
    }
    const char *s = seg__column_label(c, row);
    if (!s)
        return format == SEG_FORMAT_JSON ? puts_(o, "null") : SEG_OK;
    return format == SEG_FORMAT_JSON ? json_text(o, s) : csv_text(o, s);
}

int seg_dataset_export(const seg_dataset *ds, int format,
                       const char *const *columns, size_t n_columns,
                       seg_write_fn write, void *user_data)
{
    if (!ds || !write || (n_columns && !columns))
        return seg__error(ds ? seg__ds_err(ds) : NULL, SEG_EINVAL,
                          "seg_dataset_export: NULL argument");
    if (format != SEG_FORMAT_CSV && format != SEG_FORMAT_JSON)
        return seg__error(seg__ds_err(ds), SEG_EINVAL, "unknown export format %d",
                          format);
    size_t nc = columns ? n_columns : seg__ds_n_columns(ds);
    const seg__column **cols = seg__calloc(nc ? nc : 1, sizeof *cols);
    if (!cols)
        return seg__nomem(seg__ds_err(ds));
    for (size_t i = 0; i < nc; i++) {
        if (!columns) {
            cols[i] = seg__ds_column_at(ds, i);
            continue;
        }
        cols[i] = columns[i] ? seg__ds_find_column(ds, columns[i]) : NULL;
        if (!cols[i]) {
            char ex[64];
            const char *nm = columns[i] ? columns[i] : "(null)";
            seg__free(cols);
            return seg__error(seg__ds_err(ds), SEG_ENOTFOUND, "no column '%s'",
                              seg__excerpt(ex, sizeof ex, nm, strlen(nm)));
        }
    }
    out o = {{NULL, 0, 0}, write, user_data, false};
    int rc = SEG_OK;
    bool json = format == SEG_FORMAT_JSON;
    if (json) {
        rc = puts_(&o, "[");
    } else {
        rc = puts_(&o, "customer_id");
        for (size_t i = 0; i < nc && !rc; i++)
            rc = put(&o, ",", 1) || csv_text(&o, cols[i]->name);
        if (!rc)
            rc = put(&o, "\n", 1);
    }
    for (size_t r = 0; r < seg__ds_n(ds) && !rc; r++) {
        const char *id = seg__ds_id(ds, r);
        if (json) {
            rc = puts_(&o, r ? ",\n{\"customer_id\":" : "\n{\"customer_id\":");
            if (!rc)
                rc = json_text(&o, id);
        } else {
            rc = csv_text(&o, id);
        }
        for (size_t i = 0; i < nc && !rc; i++) {
            if (json) {
                rc = put(&o, ",", 1);
                if (!rc)
                    rc = json_text(&o, cols[i]->name);
                if (!rc)
                    rc = put(&o, ":", 1);
            } else {
                rc = put(&o, ",", 1);
            }
            if (!rc)
                rc = value(&o, format, cols[i], r);
        }
        if (!rc)
            rc = json ? put(&o, "}", 1) : put(&o, "\n", 1);
    }
    if (!rc && json)
        rc = puts_(&o, "\n]\n");
    if (!rc)
        rc = flush(&o);
    seg__buf_free(&o.buf);
    seg__free(cols);
    if (rc == SEG_ENOMEM || (rc && !o.failed))
        return seg__nomem(seg__ds_err(ds));
    if (rc)
        return seg__error(seg__ds_err(ds), SEG_EIO, "export stopped by the writer");
    return SEG_OK;
}

typedef struct export_job {
    const seg_dataset *ds;
    int format;
    const char *const *columns;
    size_t n_columns;
} export_job;

static int produce_export(seg_write_fn write, void *write_user, void *ctx)
{
    const export_job *j = ctx;
    return seg_dataset_export(j->ds, j->format, j->columns, j->n_columns,
                              write, write_user);
}

int seg_dataset_export_file(const seg_dataset *ds, int format,
                            const char *const *columns, size_t n_columns,
                            const char *path)
{
    if (!ds || !path)
        return seg__error(ds ? seg__ds_err(ds) : NULL, SEG_EINVAL,
                          "seg_dataset_export_file: NULL argument");
    export_job j = {ds, format, columns, n_columns};
    return seg__write_atomic(seg__ds_err(ds), path, produce_export, &j);
}
