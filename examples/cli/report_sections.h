/* The sections of the HTML report: the models of the run (report_models.c)
 * and one section per rule set, model and crosstab (report_sections.c). */
#ifndef SEGMENT_CLI_REPORT_SECTIONS_H
#define SEGMENT_CLI_REPORT_SECTIONS_H

#include "report_int.h"

/* "Period: ..." of a section computed on the features. */
void rep_period(const rep *r);

/* The header's table of models: settings that differ from the defaults,
 * fitted parameters with standard errors, log-likelihood, convergence. */
void rep_models_table(const rep *r, seg_model *const *models, size_t n);

void rep_tier_section(const rep *r, const char *tier, const char *value);
void rep_model_section(const rep *r, const seg_model *m);
void rep_cross_section(const rep *r, const char *tier, const char *cross);
/* The leads by status and the two lists of a reclaim that the report's
 * command applied (report_reclaim.c). */
void rep_reclaim_section(const rep *r, const seg_reclaim *rc, int64_t as_of);
/* The members by tier of a ladder that the report's command applied, and
 * a campaign's evaluation by tier (report_ops.c). */
void rep_ladder_section(const rep *r, const seg_ladder *l);
void rep_campaign_section(const rep *r, const seg_campaign_options *o,
                          const char *campaign_day);
/* The transition table of s between snapshots from and to, as a matrix
 * of shares and a table (report_migration.c); nothing when s is NULL. */
void rep_migration_section(const rep *r, const seg_snapshots *s, size_t from,
                           size_t to);

/* The purchase models' parts: the CLV distribution, the matrices of
 * P(alive) and expected purchases, the calibration/holdout comparison. */
void rep_clv_parts(const rep *r, const seg_model *m);
/* Their diagnostics (report_diagnostics.c): the tracking of repeat
 * transactions by week and the period-transactions check. */
void rep_diagnostics_parts(const rep *r, const seg_model *m);

#endif
