/* Where a command's output goes: standard output, or a file (-o) that the
 * library writes whole or not at all (docs/files.md). Every command writes
 * through a cli_out, so both take the same path. */
#ifndef SEGMENT_CLI_OUTPUT_H
#define SEGMENT_CLI_OUTPUT_H

#include <stddef.h>

#include <segment.h>

/* A buffered writer onto standard output or a file. A failed write is
 * sticky: what follows is dropped, and cli_output reports the failure. */
typedef struct cli_out cli_out;

/* Writes the output to out; returns an exit code (0 for success) and
 * prints its own errors. */
typedef int (*cli_produce_fn)(cli_out *out, void *ctx);

/* Run produce on standard output (path NULL or "-") or on path through
 * seg_file_write(). Returns produce's exit code when it failed (it printed
 * why), else EXIT_INPUT with the library's message when the output could
 * not be written (a file is then left as it was), else 0. */
int cli_output(const char *path, cli_produce_fn produce, void *ctx);

/* A seg_write_fn onto the cli_out given as user data, for the library's
 * writers. */
int cli_out_write(const char *data, size_t len, void *out);

void cli_puts(cli_out *out, const char *s);
void cli_putc(cli_out *out, int c);
/* No limit on the length of what is printed. */
void cli_printf(cli_out *out, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* For a producer whose library call failed: prints "segment: msg" and
 * returns EXIT_INPUT; when the call failed because out's writes did,
 * prints nothing, since cli_output reports the write's own error. */
int cli_produce_error(const cli_out *out, const char *msg);

/* What an ops command prints: a table when t is set, else the columns
 * of ds (customer_id first; n 0 for every column) with the export
 * flags.
 * Returns an exit code, as a producer. */
int cli_produce_result(cli_out *out, const seg_table *t,
                       const seg_dataset *ds, int format, int flags,
                       const char *const *cols, size_t n);

/* The --format of a (or def when not given), one of the SEG_FORMAT_*
 * values whose bits are in allowed (1 << SEG_FORMAT_CSV ...). Returns 0 or
 * EXIT_USAGE. */
struct cli_args;
int cli_output_format(const struct cli_args *a, unsigned allowed, int def,
                      int *out);

/* Refuse (EXIT_USAGE, with the message) an -o or --save-model that names
 * a file the command reads: DATA (the operand data), --events,
 * --attributes, --rules or --load-model, also through a symbolic or hard
 * link. */
int cli_output_check_inputs(const struct cli_args *a, const char *data);

/* --timings: from cli_timings_start() on, each cli_phase() prints the
 * wall and processor time since the phase before on standard error, so
 * that a user sees where a job's time goes without a profiler. */
void cli_timings_start(void);
void cli_phase(const char *name);

#endif
