/* The report's section of a lead-pool reclaim (公海): the leads by
 * status, the reclaim list and the reminder list on the analysis date.
 * It is written only when the report is given a reclaim definition. */
#include <stdio.h>
#include <stdlib.h>

#include "report_sections.h"

typedef enum rc_word { R_TITLE, R_STATUS, R_RECLAIMED, R_REMINDERS,
                       R_NO_RECLAIM, R_NO_REMINDER, R_DATE, R_MORE,
                       R_N } rc_word;

static const char *const words[R_N][2] = {
    [R_TITLE] = {"Lead-pool reclaim", "公海回收"},
    [R_STATUS] = {"Leads by status", "线索状态"},
    [R_RECLAIMED] = {"Reclaim list", "回收名单"},
    [R_REMINDERS] = {"Reminder list", "提醒名单"},
    [R_NO_RECLAIM] = {"No lead goes back to the pool.",
                      "没有线索回到公海。"},
    [R_NO_REMINDER] = {"No reminder is due.", "没有到期的提醒。"},
    [R_DATE] = {"Analysis date: %s; records after it are not read.",
                "分析日期：%s；其后的记录不计入。"},
    [R_MORE] = {"The first %zu of %zu rows; the CLI's reclaim command "
                "gives them all.",
                "前 %zu 行，共 %zu 行；reclaim 命令给出全部。"},
};

static const char *w(const rep *r, rc_word k)
{
    return words[k][r->zh];
}

enum { MAX_ROWS = 200 };

/* A list, or a note when it is empty; a long list is cut to its head. */
static void list(const rep *r, const seg_table *t, rc_word title,
                 rc_word empty)
{
    cli_printf(r->f, "<h3>%s</h3>\n", w(r, title));
    size_t n = seg_table_row_count(t);
    if (n == 0) {
        cli_printf(r->f, "<p class=note>%s</p>\n", w(r, empty));
        return;
    }
    size_t m = n < MAX_ROWS ? n : MAX_ROWS;
    size_t *rows = malloc(m * sizeof *rows);
    if (!rows)
        return;
    for (size_t i = 0; i < m; i++)
        rows[i] = i;
    rep_layout lay = {rows, NULL, m, 0, false};
    rep_table(r, t, &lay);
    if (m < n) {
        cli_puts(r->f, "<p class=note>");
        cli_printf(r->f, w(r, R_MORE), m, n);
        cli_puts(r->f, "</p>\n");
    }
    free(rows);
}

void rep_reclaim_section(const rep *r, const seg_reclaim *rc, int64_t as_of)
{
    char col[300];
    snprintf(col, sizeof col, "%s.status", seg_reclaim_prefix(rc));
    seg_table *status = NULL, *rec = NULL, *rem = NULL;
    if (seg_dataset_summary_table(&status, r->ds, col, NULL, 0) == SEG_OK &&
        seg_reclaim_list_table(&rec, rc, r->ds, as_of) == SEG_OK &&
        seg_reclaim_reminder_table(&rem, rc, r->ds, as_of) == SEG_OK) {
        cli_printf(r->f, "<section class=\"reclaim\">\n<h2>%s</h2>\n",
                   w(r, R_TITLE));
        cli_puts(r->f, "<p class=period>");
        cli_printf(r->f, w(r, R_DATE), r->as_of);
        cli_puts(r->f, "</p>\n");
        cli_printf(r->f, "<h3>%s</h3>\n", w(r, R_STATUS));
        rep_table(r, status, NULL);
        list(r, rec, R_RECLAIMED, R_NO_RECLAIM);
        list(r, rem, R_REMINDERS, R_NO_REMINDER);
        cli_puts(r->f, "</section>\n");
    }
    seg_table_free(status);
    seg_table_free(rec);
    seg_table_free(rem);
}
