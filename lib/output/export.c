/* Export of the column table to CSV and JSON. */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "output/internal.h"

/* A timestamp in the dataset's zone, as people and spreadsheets read
 * one; a number that is no time (a fraction, out of range) as a number. */
static void timestamp(seg__writer *w, const seg__tz *tz, double v)
{
    char iso[SEG__ISO_MAX];
    size_t n = 0;
    if (v == v && v >= -9e15 && v <= 9e15 && v == (double)(int64_t)v)
        n = seg__time_format_in(tz, iso, (int64_t)v);
    if (n)
        seg__w_textn(w, iso, n);
    else
        seg__w_num(w, v);
}

static void value(seg__writer *w, const seg__tz *tz, bool iso,
                  const seg__column *c, size_t row)
{
    if (c->type == SEG_COLUMN_NUMERIC) {
        double v = seg__column_num(c, row);
        if (iso && c->kind == SEG_KIND_TIMESTAMP && v == v)
            timestamp(w, tz, v);
        else
            seg__w_num(w, v);
    } else {
        seg__w_text(w, seg__column_label(c, row));
    }
}

int seg_dataset_export(const seg_dataset *ds, int format,
                       const char *const *columns, size_t n_columns,
                       seg_write_fn write, void *user_data)
{
    if (!ds || !write || (n_columns && !columns))
        return seg__error(ds ? seg__ds_err(ds) : NULL, SEG_EINVAL,
                          "seg_dataset_export: NULL argument");
    bool iso = !(format & SEG_EXPORT_EPOCH_TIMES);
    int flags = format;
    format &= ~SEG_EXPORT_EPOCH_TIMES;
    if (format != SEG_FORMAT_CSV && format != SEG_FORMAT_JSON)
        return seg__error(seg__ds_err(ds), SEG_EINVAL, "unknown export format %d",
                          flags);
    const seg__tz *tz = seg__ds_tz(ds);
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
    seg__writer w;
    seg__w_init(&w, format, write, user_data);
    bool json = format == SEG_FORMAT_JSON;
    if (json) {
        seg__w_raw(&w, "[", 1);
    } else {
        seg__w_str(&w, "customer_id");
        for (size_t i = 0; i < nc; i++) {
            seg__w_raw(&w, ",", 1);
            seg__w_text(&w, cols[i]->name);
        }
        seg__w_raw(&w, "\n", 1);
    }
    seg__progress prog;
    int crc = seg__ds_progress_begin(&prog, ds, NULL, SEG_STAGE_EXPORT,
                                     seg__ds_n(ds));
    for (size_t r = 0; r < seg__ds_n(ds) && !w.rc && !crc; r++) {
        if ((crc = seg__progress_at(&prog, r)) != SEG_OK)
            break;
        if (json)
            seg__w_str(&w, r ? ",\n{\"customer_id\":" : "\n{\"customer_id\":");
        seg__w_text(&w, seg__ds_id(ds, r));
        for (size_t i = 0; i < nc; i++) {
            seg__w_raw(&w, ",", 1);
            if (json) {
                seg__w_text(&w, cols[i]->name);
                seg__w_raw(&w, ":", 1);
            }
            value(&w, tz, iso, cols[i], r);
        }
        seg__w_raw(&w, json ? "}" : "\n", 1);
    }
    seg__progress_end(&prog);
    seg__free(cols);
    if (crc) { /* what is still buffered is never written */
        seg__buf_free(&w.buf);
        return crc;
    }
    if (json)
        seg__w_str(&w, "\n]\n");
    return seg__w_finish(&w, seg__ds_err(ds));
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
