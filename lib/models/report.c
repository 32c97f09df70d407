/* Model reports: seg_model_report() writes a report as CSV or JSON,
 * seg_model_report_table() hands a built-in kind's report over as a
 * seg_table. A built-in report is built once, as a table, and written from
 * it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/struct.h"

/* The built-in tables that no kind writes itself: the kind's own
 * tables, then the diagnostics. */
static int table_of(const seg_model *m, const seg_dataset *ds,
                    const char *report, seg_table **out)
{
    unsigned long errors = seg__thread_error_count();
    int rc = SEG_ENOTFOUND;
    if (m->k->report_table)
        rc = m->k->report_table(m->state, m, ds, report, out);
    if (rc == SEG_ENOTFOUND && seg__thread_error_count() == errors)
        rc = seg__diag_table(m, ds, report, out);
    return rc;
}

/* Such a table as bytes: CSV is the table, JSON an array of its rows. */
static int write_table_report(const seg_model *m, const seg_dataset *ds,
                              const char *report, int format,
                              seg_write_fn write, void *user_data)
{
    seg_table *t;
    int rc = table_of(m, ds, report, &t);
    if (rc)
        return rc;
    seg__writer w;
    seg__w_init(&w, format, write, user_data);
    if (format == SEG_FORMAT_JSON) {
        size_t rows = seg_table_row_count(t), cols = seg_table_column_count(t);
        seg__w_str(&w, "[");
        for (size_t r = 0; r < rows; r++) {
            seg__w_str(&w, r ? ",\n{" : "\n{");
            seg__report_json_members(&w, t, r, 0, cols);
            seg__w_str(&w, "}");
        }
        seg__w_str(&w, "\n]\n");
    } else {
        seg__table_write(&w, t);
    }
    seg_table_free(t);
    rc = seg__w_finish(&w, NULL);
    return rc ? seg__report_write_error(m, report, rc) : SEG_OK;
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
    unsigned long errors = seg__thread_error_count();
    int rc = SEG_ENOTFOUND;
    if (m->k->cls.report)
        rc = m->k->cls.report(m->state, m, ds, report, format, write,
                              user_data, m->k->user_data);
    if (rc == SEG_ENOTFOUND && seg__thread_error_count() == errors &&
        strcmp(report, "holdout") == 0)
        return seg__holdout_report(m, ds, format, write, user_data);
    if (rc == SEG_ENOTFOUND && seg__thread_error_count() == errors &&
        m->k->builtin)
        rc = write_table_report(m, ds, report, format, write, user_data);
    if (rc && seg__thread_error_count() == errors)
        seg__model_error(m, rc, "model '%s' has no report '%s'", m->name,
                         report);
    return rc;
}

int seg_model_report_table(seg_table **out, const seg_model *m,
                           const seg_dataset *ds, const char *report)
{
    if (out)
        *out = NULL;
    if (!out || !m || !report)
        return seg__model_error(m, SEG_EINVAL, "NULL argument");
    if (!m->fitted)
        return seg__model_error(m, SEG_EMISUSE, "model '%s' is not fitted",
                                m->name);
    if (!m->k->builtin)
        return seg__model_error(m, SEG_ENOTFOUND, "model '%s' is of the "
                                "plug-in kind '%s': plug-in reports are "
                                "available as bytes through "
                                "seg_model_report()", m->name,
                                m->k->cls.kind);
    unsigned long errors = seg__thread_error_count();
    int rc = table_of(m, ds, report, out);
    if (rc == SEG_ENOTFOUND && seg__thread_error_count() == errors &&
        strcmp(report, "holdout") == 0)
        rc = seg__holdout_table(m, ds, out);
    if (rc && seg__thread_error_count() == errors)
        seg__model_error(m, rc, "model '%s' has no report '%s'", m->name,
                         report);
    return rc;
}

void seg__report_json_members(seg__writer *w, const seg_table *t,
                              size_t row, size_t c0, size_t c1)
{
    for (size_t c = c0; c < c1; c++) {
        if (c > c0)
            seg__w_raw(w, ",", 1);
        seg__w_text(w, seg_table_column_name(t, c));
        seg__w_raw(w, ":", 1);
        if (seg_table_column_type(t, c) == SEG_COLUMN_NUMERIC)
            seg__w_num(w, seg_table_f64(t, row, c));
        else
            seg__w_text(w, seg_table_text(t, row, c));
    }
}

int seg__report_write_error(const seg_model *m, const char *report, int rc)
{
    if (rc == SEG_ENOMEM)
        return seg__nomem(&m->err);
    return seg__model_error(m, rc, "%s: the writer stopped", report);
}

double seg__report_round(double v, int digits)
{
    if (!isfinite(v))
        return v;
    /* printf and strtod share the locale, so the text reads back */
    char buf[40];
    snprintf(buf, sizeof buf, "%.*g", digits, v);
    return strtod(buf, NULL);
}
