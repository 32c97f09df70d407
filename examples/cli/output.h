/* Where a command's output goes: standard output, or a file (-o) that is
 * replaced whole or not at all. */
#ifndef SEGMENT_CLI_OUTPUT_H
#define SEGMENT_CLI_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

/* Writes the output to f; returns an exit code (0 for success) and prints
 * its own errors. */
typedef int (*cli_produce_fn)(FILE *f, void *ctx);

/* Run produce on standard output (path NULL or "-") or on a temporary file in
 * path's directory that is synced and renamed to path when produce
 * succeeded, else removed. Returns produce's exit code, or EXIT_INPUT when
 * the output cannot be written. */
int cli_output(const char *path, cli_produce_fn produce, void *ctx);

/* The --format of a (or def when not given), one of the SEG_FORMAT_*
 * values whose bits are in allowed (1 << SEG_FORMAT_CSV ...). Returns 0 or
 * EXIT_USAGE. */
struct cli_args;
int cli_output_format(const struct cli_args *a, unsigned allowed, int def,
                      int *out);

/* A seg_write_fn into the FILE * given as user data. */
int cli_write(const char *data, size_t len, void *file);

#endif
