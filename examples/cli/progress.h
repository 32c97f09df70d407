/* Progress on standard error while the library works, and Ctrl-C: the
 * library's progress callback shows how far a long call is, and stops it
 * once SIGINT has come. */
#ifndef SEGMENT_CLI_PROGRESS_H
#define SEGMENT_CLI_PROGRESS_H

#include <stdint.h>

/* --progress, --quiet, or neither: shown when standard error is a
 * terminal. */
enum { CLI_PROGRESS_AUTO = 0, CLI_PROGRESS_ON, CLI_PROGRESS_OFF };

/* The exit code after Ctrl-C: 128 + SIGINT, as shells report it. */
enum { EXIT_INTERRUPTED = 130 };

/* Decide whether to show progress, and catch SIGINT (a second one ends
 * the program at once). */
void cli_progress_start(int mode);

/* What the next library call works on (a file, a model), for the display;
 * it also starts the clock of "over about a second". Borrowed. */
void cli_progress_label(const char *what);

/* A seg_progress_fn: draws, and returns non-zero once SIGINT has come. */
int cli_progress(int stage, uint64_t done, uint64_t total, void *user);

/* Erase the progress line, before anything else is printed on stderr. */
void cli_progress_clear(void);

/* Whether SIGINT has come. */
int cli_interrupted(void);

#endif
