/* The input of a command: the data file, the events and attributes files,
 * and the features computed from them. */
#ifndef SEGMENT_CLI_INPUT_H
#define SEGMENT_CLI_INPUT_H

#include <segment.h>

#include "options.h"

typedef struct cli_file {
    const char *path; /* "-" for standard input; NULL when not given */
    seg_csv_options csv;
    const char **attrs; /* backs csv.attribute_columns */
    const char *category; /* the category column, or NULL */
} cli_file;

typedef struct cli_input {
    cli_file data, events, attributes;
    seg_features_options fo;
    int summary; /* the data file is a summary: no features */
    int no_features; /* the command computes them itself */
    /* the job reads nothing of the transactions but their features: they
     * are folded as they load, not kept (seg_dataset_set_features_only) */
    int features_only;
    int threads;
    int progress; /* a CLI_PROGRESS_* mode */
    const char *timezone; /* NULL: UTC */
    /* --as-of and --holdout-from as given: a date is a day of the zone,
     * so they are read once the dataset has it */
    const char *as_of, *holdout_from;
} cli_input;

/* Read the input options of a; data is the DATA operand. Returns 0 or
 * EXIT_USAGE (with the message printed). */
int cli_input_options(const cli_args *a, const char *data, cli_input *in);

/* A dataset with every file loaded and, unless the data is a summary, the
 * features computed. Returns 0 or EXIT_INPUT (with the message printed). */
int cli_input_load(const cli_input *in, seg_dataset **out);

void cli_input_free(cli_input *in);

/* The whole of a file, or of standard input for "-"; NULL with errno set
 * when it cannot be read. */
char *cli_read_all(const char *path, size_t *len);

#endif
