/* The report's sections of a membership ladder (the members by tier,
 * with their points) and of a campaign's evaluation (treated against
 * control by tier). Each is written only when the report is given a
 * ladder or a campaign date. */
#include <stdio.h>
#include <stdlib.h>

#include "report_sections.h"

typedef enum ops_word { O_LADDER, O_LADDER_TIERS, O_CAMPAIGN, O_DATE,
                        O_CAMPAIGN_DATE, O_N } ops_word;

static const char *const words[O_N][2] = {
    [O_LADDER] = {"Membership ladder", "会员等级"},
    [O_LADDER_TIERS] = {"Members by tier: growth points and the points to "
                        "the next tier",
                        "各等级会员：成长值与距下一等级所需成长值"},
    [O_CAMPAIGN] = {"Campaign evaluation by tier", "分层活动效果评估"},
    [O_DATE] = {"Analysis date: %s; records after it are not read.",
                "分析日期：%s；其后的记录不计入。"},
    [O_CAMPAIGN_DATE] = {"Campaign on %s; outcome window %g days after it; "
                         "treated against control at %g%% confidence.",
                         "活动日期 %s；其后 %g 天为效果窗口；处理组与"
                         "对照组比较，置信水平 %g%%。"},
};

static const char *w(const rep *r, ops_word k)
{
    return words[k][r->zh];
}

/* The tiers come in the ladder's order, the order of the labels the
 * ladder wrote. A mean of to_keep would count the entry tier's missing
 * values as nothing kept, so the section shows the points and to_next. */
void rep_ladder_section(const rep *r, const seg_ladder *l)
{
    const char *p = seg_ladder_prefix(l);
    char tier[300], points[300], next[300], total[300], mean[300],
        next_mean[300];
    snprintf(tier, sizeof tier, "%s.tier", p);
    snprintf(points, sizeof points, "%s.points", p);
    snprintf(next, sizeof next, "%s.to_next", p);
    snprintf(total, sizeof total, "%s.points_total", p);
    snprintf(mean, sizeof mean, "%s.points_mean", p);
    snprintf(next_mean, sizeof next_mean, "%s.to_next_mean", p);
    const char *values[] = {points, next};
    const char *shown[] = {tier, "count", "share", total, mean,
                           next_mean};
    seg_table *t = NULL;
    if (seg_dataset_summary_table(&t, r->ds, tier, values, 2) != SEG_OK)
        return;
    size_t cols[6], n = 0;
    for (size_t i = 0; i < 6; i++)
        if (seg_table_column_find(t, shown[i], &cols[n]) == SEG_OK)
            n++;
    cli_printf(r->f, "<section class=\"ladder\">\n<h2>%s</h2>\n",
               w(r, O_LADDER));
    cli_puts(r->f, "<p class=period>");
    cli_printf(r->f, w(r, O_DATE), r->as_of);
    cli_printf(r->f, "</p>\n<h3>%s</h3>\n", w(r, O_LADDER_TIERS));
    rep_layout lay = {NULL, cols, 0, n, false};
    rep_table(r, t, &lay);
    cli_puts(r->f, "</section>\n");
    seg_table_free(t);
}

/* The columns a reader weighs, in the order of the table; the CLI's
 * campaign command gives the intervals and degrees of freedom too. */
static const char *const shown[] = {
    "tier", "treated", "control", "conv_treated", "conv_control",
    "conv_uplift", "conv_p", "revenue_treated", "revenue_control",
    "revenue_uplift", "revenue_p", "verdict"};
enum { N_SHOWN = sizeof shown / sizeof *shown };

void rep_campaign_section(const rep *r, const seg_campaign_options *o,
                          const char *campaign_day)
{
    seg_table *t = NULL;
    if (seg_campaign_table(&t, r->ds, o) != SEG_OK)
        return;
    size_t cols[N_SHOWN], n = 0;
    for (size_t i = 0; i < N_SHOWN; i++)
        if (seg_table_column_find(t, shown[i], &cols[n]) == SEG_OK)
            n++;
    cli_printf(r->f, "<section class=\"campaign\">\n<h2>%s</h2>\n",
               w(r, O_CAMPAIGN));
    cli_puts(r->f, "<p class=period>");
    cli_printf(r->f, w(r, O_CAMPAIGN_DATE), campaign_day, o->window_days,
               o->confidence * 100);
    cli_puts(r->f, "</p>\n");
    rep_layout lay = {NULL, cols, 0, n, false};
    rep_table(r, t, &lay);
    cli_puts(r->f, "</section>\n");
    seg_table_free(t);
}
