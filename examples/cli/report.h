/* The HTML report of the segment command-line tool. */
#ifndef SEGMENT_CLI_REPORT_H
#define SEGMENT_CLI_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include <segment.h>

#include "input.h"
#include "output.h"

typedef struct cli_report {
    const seg_dataset *ds;
    seg_model *const *models;
    size_t n_models;
    seg_rules *const *rules;
    const char *const *rule_files; /* as given, one per rule set */
    size_t n_rules;
    const char *tier, *cross; /* either may be NULL */
    const char *title;        /* the data file */
    const cli_input *in;      /* the dates, the unit */
    const char *language;     /* "en", "zh", or NULL: from the models */
    const seg_reclaim *reclaim; /* applied to ds, or NULL: no section */
    int64_t reclaim_as_of;
    const seg_ladder *ladder;   /* applied to ds, or NULL: no section */
    const seg_campaign_options *campaign; /* or NULL: no section */
    const char *campaign_day;   /* as given */
    const seg_snapshots *snapshots; /* with --dates, else NULL */
    size_t from, to;          /* the snapshots of the migration */
} cli_report;

/* Write the report to f (cli_output checks that it was written). Returns
 * an exit code. */
int seg_cli_report(cli_out *f, const cli_report *job);

#endif
