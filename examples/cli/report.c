/* segment report: one self-contained HTML file (inline SVG and CSS, no
 * script, no network) with what an analyst looks at first: the header of
 * the run, then a section per rule set and model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_int.h"
#include "report_sections.h"

enum { DAY = 86400 };

static bool has_column(const seg_dataset *ds, const char *name)
{
    return seg_dataset_column_type(ds, name) > 0;
}

/* The calendar date of t in the dataset's zone. The library parses local
 * times but formats in UTC: the offset at t is what parsing t's UTC text as
 * a local time takes away. */
static void local_date(const seg_dataset *ds, int64_t t, char *buf,
                       size_t n)
{
    char utc[32];
    int64_t back = t;
    if (seg_time_format_iso(utc, sizeof utc, t) == SEG_OK) {
        char full[64];
        if (!strchr(utc, 'T'))
            snprintf(full, sizeof full, "%sT00:00:00", utc);
        else
            snprintf(full, sizeof full, "%.19s", utc);
        seg_dataset_parse_time(ds, &back, full, strlen(full), SEG_TIME_AUTO);
    }
    if (seg_time_format_iso(utc, sizeof utc, t + (t - back)) != SEG_OK)
        snprintf(utc, sizeof utc, "?");
    snprintf(buf, n, "%.10s", utc);
}

static double column_extreme(const seg_dataset *ds, const char *col,
                             bool largest)
{
    size_t n = seg_dataset_customer_count(ds);
    double *v = calloc(n + 1, sizeof *v), best = NAN;
    if (v && seg_dataset_copy_f64(ds, col, v, n) == SEG_OK)
        for (size_t i = 0; i < n; i++)
            if (isfinite(v[i]) && (isnan(best) || (largest ? v[i] > best
                                                           : v[i] < best)))
                best = v[i];
    free(v);
    return best;
}

/* The periods every section names: the first purchase, the end of the
 * calibration period, the holdout and the analysis date. */
static void find_periods(rep *r, const cli_input *in)
{
    const seg_dataset *ds = r->ds;
    double first = column_extreme(ds, "first_purchase", false);
    int64_t unit_s = r->unit == SEG_UNIT_WEEK ? 7 * DAY : DAY, as_of = 0;
    snprintf(r->cal_from, sizeof r->cal_from, "?");
    if (isfinite(first))
        local_date(ds, (int64_t)first, r->cal_from, sizeof r->cal_from);
    int64_t hold = 0;
    r->holdout = in->holdout_from &&
                 seg_dataset_parse_time(ds, &hold, in->holdout_from,
                                        strlen(in->holdout_from),
                                        SEG_TIME_AUTO) == SEG_OK;
    r->as_of_given = in->as_of;
    if (in->as_of) {
        seg_dataset_parse_time(ds, &as_of, in->as_of, strlen(in->as_of),
                               SEG_TIME_AUTO | SEG_TIME_END_OF_DAY);
    } else if (r->holdout) {
        /* the holdout runs to the latest record: holdout_length units of
         * whole local days from its first day, counted on the calendar so
         * that a change of offset on the way does not move the date */
        double len = column_extreme(ds, "holdout_length", true);
        char day0[32];
        int64_t d0 = 0;
        local_date(ds, hold, day0, sizeof day0);
        seg_time_parse(&d0, day0, strlen(day0), SEG_TIME_ISO8601);
        double days = (isfinite(len) ? len : 1) * (double)(unit_s / DAY);
        as_of = d0 + ((int64_t)llround(days) - 1) * DAY;
        char utc[32];
        if (seg_time_format_iso(utc, sizeof utc, as_of) != SEG_OK)
            snprintf(utc, sizeof utc, "?");
        snprintf(r->as_of, sizeof r->as_of, "%.10s", utc);
    } else {
        double last = column_extreme(ds, "last_purchase", true);
        for (size_t c = 0; c < seg_dataset_column_count(ds); c++) {
            const char *name = seg_dataset_column_name(ds, c);
            size_t l = strlen(name);
            if (!strncmp(name, "events.", 7) && l > 5 &&
                !strcmp(name + l - 5, ".last"))
                last = fmax(last, column_extreme(ds, name, true));
        }
        as_of = isfinite(last) ? (int64_t)last : 0;
    }
    if (in->as_of || !r->holdout)
        local_date(ds, as_of, r->as_of, sizeof r->as_of);
    if (r->holdout) {
        local_date(ds, hold, r->hold_from, sizeof r->hold_from);
        local_date(ds, hold - 1, r->cal_to, sizeof r->cal_to);
    } else {
        snprintf(r->cal_to, sizeof r->cal_to, "%s", r->as_of);
    }
}

void rep_period(const rep *r)
{
    cli_puts(r->f, "<p class=period>");
    if (r->holdout)
        cli_printf(r->f, rep_w(r, W_PERIOD_CAL), r->cal_from, r->cal_to,
                   r->cal_to);
    else
        cli_printf(r->f, rep_w(r, W_PERIOD_ALL), r->cal_from, r->as_of,
                   r->as_of);
    cli_puts(r->f, "</p>\n");
}

static const char *css =
    "body{font-family:\"Noto Sans CJK SC\",\"Noto Sans SC\",\"PingFang SC\","
    "\"Microsoft YaHei\",\"Source Han Sans SC\",sans-serif;margin:24px auto;"
    "padding:0 12px;color:#222;max-width:1000px;line-height:1.4}\n"
    "h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;"
    "border-bottom:2px solid #0072b2}h3{font-size:15px;margin:18px 0 6px}\n"
    "table{border-collapse:collapse;font-size:13px;margin:6px 0}td,th{"
    "border:1px solid #ccc;padding:3px 8px;text-align:right;"
    "font-variant-numeric:tabular-nums}th{font-weight:600}td.text,"
    "table.facts th,table.facts td{text-align:left}tr.head{background:"
    "#eef3fa}\n.scroll{overflow-x:auto;max-width:100%}svg.chart{"
    "max-width:100%;height:auto;display:block;margin:6px 0}svg text{"
    "font-size:12px;fill:#222}svg text.cell{font-size:11px}.axis line{"
    "stroke:#555}.axis text{fill:#444}.axis text.title{fill:#222;"
    "font-weight:600}\n.note,.period{color:#555;font-size:13px}.period{"
    "font-style:italic}\n.chartbox{overflow-x:auto}.nw,tr.head th{"
    "white-space:nowrap}"
    "\n@media (max-width:600px){body{margin:8px}"
    "td,th{padding:2px 4px}svg.chart{max-width:none;width:560px}}\n"
    "@media print{body{max-width:none;margin:0}"
    "section{break-inside:avoid-page}h2{break-after:avoid}.scroll,"
    ".chartbox{overflow:visible}svg.chart{max-width:100%}a{color:inherit}}"
    "\n";

static void fact(const rep *r, rep_word w, const char *value)
{
    cli_printf(r->f, "<tr><th>%s</th><td>", rep_w(r, w));
    rep_esc(r->f, value);
    cli_puts(r->f, "</td></tr>\n");
}

static void header(const rep *r, const cli_report *job)
{
    char buf[128], span[96];
    fact(r, W_DATA, job->title);
    fact(r, W_AS_OF, r->as_of);
    snprintf(span, sizeof span, "%s – %s", r->cal_from, r->cal_to);
    fact(r, W_CAL, span);
    snprintf(span, sizeof span, "%s – %s", r->hold_from, r->as_of);
    fact(r, W_HOLD, r->holdout ? span : rep_w(r, W_NONE));
    fact(r, W_TZ, seg_dataset_timezone(r->ds));
    fact(r, W_UNIT, rep_w(r, r->unit == SEG_UNIT_WEEK ? W_WEEKS : W_DAYS));
    fact(r, W_CUSTOMERS,
         rep_num(buf, sizeof buf,
                 (double)seg_dataset_customer_count(r->ds), FMT_COUNT));
    fact(r, W_TX, rep_num(buf, sizeof buf,
                          (double)seg_dataset_transaction_count(r->ds),
                          FMT_COUNT));
    fact(r, W_EVENTS, rep_num(buf, sizeof buf,
                              (double)seg_dataset_event_count(r->ds),
                              FMT_COUNT));
    cli_printf(r->f, "<tr><th>%s</th><td>", rep_w(r, W_RULES));
    if (job->n_rules == 0)
        cli_puts(r->f, rep_w(r, W_NONE));
    for (size_t i = 0; i < job->n_rules; i++) {
        cli_puts(r->f, i ? "<br>" : "");
        rep_esc(r->f, job->rule_files[i]);
        cli_puts(r->f, " → ");
        rep_esc(r->f, seg_rules_output(job->rules[i]));
    }
    cli_puts(r->f, "</td></tr>\n");
}

/* The language: as asked, else Chinese when a model writes Chinese
 * labels. */
static bool chinese(const cli_report *job)
{
    if (job->language)
        return strcmp(job->language, "zh") == 0;
    for (size_t i = 0; i < job->n_models; i++) {
        const char *lang = NULL;
        if (seg_model_get_str(job->models[i], "language", &lang) == SEG_OK &&
            lang && !strcmp(lang, "zh"))
            return true;
    }
    return false;
}

int seg_cli_report(cli_out *f, const cli_report *job)
{
    rep r = {0};
    r.f = f;
    r.ds = job->ds;
    r.zh = chinese(job);
    r.unit = job->in->fo.time_unit == SEG_UNIT_WEEK ? SEG_UNIT_WEEK
                                                     : SEG_UNIT_DAY;
    find_periods(&r, job->in);
    cli_printf(f, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta "
                  "charset=\"utf-8\"><meta name=\"viewport\" "
                  "content=\"width=device-width,initial-scale=1\"><title>",
               r.zh ? "zh-CN" : "en");
    rep_esc(f, rep_w(&r, W_TITLE));
    cli_puts(f, ": ");
    rep_esc(f, job->title);
    cli_printf(f, "</title>\n<style>\n%s</style></head><body>\n<h1>", css);
    rep_esc(f, rep_w(&r, W_TITLE));
    cli_puts(f, "</h1>\n<section id=header><div class=scroll><table "
                "class=facts>\n");
    header(&r, job);
    cli_puts(f, "</table></div>\n");
    rep_models_table(&r, job->models, job->n_models);
    cli_puts(f, "</section>\n");
    const char *value = has_column(r.ds, "clv.value") ? "clv.value"
                        : has_column(r.ds, "monetary_total") ? "monetary_total"
                                                            : NULL;
    if (job->tier)
        rep_tier_section(&r, job->tier, value);
    for (size_t i = 0; i < job->n_models; i++)
        rep_model_section(&r, job->models[i]);
    if (job->tier && job->cross)
        rep_cross_section(&r, job->tier, job->cross);
    if (job->ladder)
        rep_ladder_section(&r, job->ladder);
    if (job->campaign)
        rep_campaign_section(&r, job->campaign, job->campaign_day);
    if (job->reclaim)
        rep_reclaim_section(&r, job->reclaim, job->reclaim_as_of);
    rep_migration_section(&r, job->snapshots, job->from, job->to);
    cli_printf(f, "<p class=note>");
    cli_printf(f, rep_w(&r, W_GENERATED), seg_version_string());
    cli_puts(f, "</p>\n</body></html>\n");
    return 0;
}
