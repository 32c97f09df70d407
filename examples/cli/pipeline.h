/* What every data command does: load the input, fit (or load) the models
 * and score them, then apply the rule sets in order. */
#ifndef SEGMENT_CLI_PIPELINE_H
#define SEGMENT_CLI_PIPELINE_H

#include <segment.h>

#include "input.h"
#include "options.h"

typedef struct cli_model {
    seg_model *model;
    int loaded;       /* from --load-model: fitted already */
    const char *save; /* --save-model after it, or NULL */
    double fit_seconds; /* wall time of seg_model_fit(), 0 if loaded */
    double fit_cpu_seconds; /* its processor time, all threads */
} cli_model;

/* The columns a table writes after customer_id: names NULL for every
 * column. */
typedef struct cli_columns {
    const char **names;
    size_t n;
    char *text; /* backs names */
} cli_columns;

typedef struct cli_run {
    cli_input in;
    cli_model *models;
    size_t n_models;
    seg_rules **rules;
    size_t n_rules;
    seg_dataset *ds;
    cli_columns reads; /* what the job reads of the features, when known */
} cli_run;

/* Read the options of a, refuse an output that would replace an input,
 * make the models and compile the rule sets, so that a mistake in them
 * shows before any data is read or written. Returns 0,
 * EXIT_USAGE or EXIT_INPUT, with the message printed. */
int cli_run_prepare(const cli_args *a, const char *data, cli_run *r);

/* Load the data, fit (and save) the models, score them when score is set,
 * and apply the rule sets. Returns 0 or an exit code. */
int cli_run_execute(cli_run *r, int score);

/* For the jobs that read only the features of the transactions (score and
 * tier): load them folded into their features when the models and
 * options allow it, for a fraction of the memory; the results are the
 * same. */
void cli_run_fold_records(cli_run *r);

/* Before the load of a job that writes a table: when what it reads is
 * known, only those of the features are computed. That is when no rule
 * set runs (a rule may read any column), the data is no summary, and
 * either every model is of kind rfm (score_rfm set: score, whose table
 * then has their inputs and outputs; or --columns spec, with their inputs)
 * or there is no model and spec names the columns. Returns 0 or
 * EXIT_INPUT (with the message printed). */
int cli_run_reads(cli_run *r, const char *spec, int score_rfm);

/* The column the last rule set wrote, or NULL without rule sets. */
const char *cli_run_tier_column(const cli_run *r);

void cli_run_free(cli_run *r);

/* The columns of --columns spec (NULL when not given) once r has run.
 * Without it every column, except that score (score_rfm set) of a file of
 * transactions with models that are all of kind rfm and no rule set writes what a user of RFM
 * scores reads: each model's R, F and M input columns and its own output
 * columns. Returns 0 or EXIT_INPUT (with the message printed). */
int cli_run_columns(const cli_run *r, const char *spec, int score_rfm,
                    cli_columns *out);
void cli_columns_free(cli_columns *c);

#endif
