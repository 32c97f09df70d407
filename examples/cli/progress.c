/* The progress line of segment, and what Ctrl-C does. A line is drawn
 * only for a stage that has run about a second, so quick commands print
 * nothing, and only where it is wanted (a terminal, or --progress). */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <segment.h>

#include "progress.h"

static volatile sig_atomic_t interrupted;
static int shown;          /* draw at all */
static int drawn;          /* a line is on the screen */
static const char *label;
static int last_stage;
static double stage_start; /* seconds, monotonic */
static double delay = 1.0;  /* seconds of a stage before it is shown */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

void cli_progress_start(int mode)
{
    shown = mode == CLI_PROGRESS_ON ||
            (mode == CLI_PROGRESS_AUTO && isatty(STDERR_FILENO));
    /* tests make a second of work shorter */
    const char *d = getenv("SEGMENT_PROGRESS_DELAY");
    if (d && *d)
        delay = atof(d);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART: a read of standard input stops too; a second Ctrl-C
     * is the default one */
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
}

void cli_progress_label(const char *what)
{
    label = what;
    last_stage = 0;
}

int cli_interrupted(void) { return interrupted != 0; }

void cli_progress_clear(void)
{
    if (drawn)
        fputs("\r\033[K", stderr);
    drawn = 0;
}

static const char *verb(int stage)
{
    switch (stage) {
    case SEG_STAGE_LOAD: return "loading";
    case SEG_STAGE_RECORDS: return "adding records";
    case SEG_STAGE_FEATURES: return "computing features";
    case SEG_STAGE_FIT: return "fitting";
    case SEG_STAGE_SCORE: return "scoring";
    case SEG_STAGE_RULES: return "applying rules";
    case SEG_STAGE_EXPORT: return "writing";
    default: return seg_stage_name(stage);
    }
}

static void draw(int stage, uint64_t done, uint64_t total, double secs)
{
    char what[96] = "";
    if (label && (stage == SEG_STAGE_LOAD || stage == SEG_STAGE_FIT ||
                  stage == SEG_STAGE_SCORE))
        snprintf(what, sizeof what, " %s", label);
    fprintf(stderr, "\r\033[Ksegment: %s%s: ", verb(stage), what);
    double share = total ? 100.0 * (double)done / (double)total : 0;
    if (stage == SEG_STAGE_LOAD) {
        double mb = (double)done / 1e6;
        if (total)
            fprintf(stderr, "%.1f of %.1f MB (%.0f%%)", mb,
                    (double)total / 1e6, share);
        else
            fprintf(stderr, "%.1f MB", mb);
        fprintf(stderr, ", %.1f MB/s", secs > 0 ? mb / secs : 0.0);
    } else if (stage == SEG_STAGE_FIT) {
        fprintf(stderr, "%llu iterations", (unsigned long long)done);
    } else {
        const char *unit =
            stage == SEG_STAGE_RECORDS ? "records" : "customers";
        if (total)
            fprintf(stderr, "%llu of %llu %s (%.0f%%)",
                    (unsigned long long)done, (unsigned long long)total, unit,
                    share);
        else
            fprintf(stderr, "%llu %s", (unsigned long long)done, unit);
    }
    fflush(stderr);
    drawn = 1;
}

int cli_progress(int stage, uint64_t done, uint64_t total, void *user)
{
    (void)user;
    if (interrupted)
        return 1;
    if (!shown)
        return 0;
    double t = now();
    if (stage != last_stage) {
        cli_progress_clear();
        last_stage = stage;
        stage_start = t;
    }
    if (t - stage_start >= delay)
        draw(stage, done, total, t - stage_start);
    return 0;
}
