/* segment: the command-line front end of libsegment.
 *
 * Exit codes: 0 success, 1 usage error, 2 bad input (the library's message
 * is printed on stderr), 130 interrupted by Ctrl-C (SIGINT). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <segment.h>

#include "commands.h"
#include "progress.h"

static const cli_command *const commands[] = {
    &cli_cmd_features, &cli_cmd_score,   &cli_cmd_fit,     &cli_cmd_holdout,
    &cli_cmd_table,    &cli_cmd_tier,    &cli_cmd_summary, &cli_cmd_calls,
    &cli_cmd_snapshots, &cli_cmd_migrate, &cli_cmd_ladder, &cli_cmd_control,
    &cli_cmd_campaign, &cli_cmd_reclaim, &cli_cmd_report,  &cli_cmd_compare,
    &cli_cmd_simulate, &cli_cmd_models,
};

static void usage(FILE *f)
{
    fputs("usage: segment COMMAND [OPTIONS]\n"
          "       segment COMMAND --help\n\ncommands:\n", f);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        cli_help_line(f, 12, commands[i]->name, commands[i]->summary);
    fputs("\n"
          "  -h, --help  show this help\n"
          "  --version   show the version\n\n"
          "'segment COMMAND --help' lists the options of a command; the\n"
          "segment(1) manual page describes them all.\n\n"
          "exit codes: 0 success, 1 usage error, 2 bad input, 130\n"
          "interrupted (Ctrl-C)\n", f);
}

static int run(const cli_command *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    rc = cmd->run(&a);
    cli_args_free(&a);
    cli_progress_clear();
    if (cli_interrupted()) {
        fputs("segment: interrupted\n", stderr);
        return EXIT_INTERRUPTED;
    }
    return rc;
}

/* glibc's allocator set for a job of a few large phases: every block of
 * 128 KiB or more a mapping of its own, given back when freed (glibc's
 * moving threshold would keep them in its heaps, freed but held at the
 * peak), and one heap for all threads (no 64 MiB of address space
 * reserved per thread). Left alone when the environment sets glibc's
 * own (docs/guide-c.md, "Peak memory"). */
static void tune_allocator(void)
{
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD) && defined(M_ARENA_MAX)
    if (getenv("GLIBC_TUNABLES") || getenv("MALLOC_MMAP_THRESHOLD_") ||
        getenv("MALLOC_ARENA_MAX"))
        return;
    (void)mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    (void)mallopt(M_ARENA_MAX, 1);
#endif
}

int main(int argc, char **argv)
{
    tune_allocator();
    if (argc < 2) {
        fputs("segment: no command given\n\n", stderr);
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        usage(stdout);
        return fflush(stdout) == 0 ? 0 : EXIT_INPUT;
    }
    if (strcmp(name, "--version") == 0) {
        printf("segment %s (library %s)\n", SEG_VERSION_STRING,
               seg_version_string());
        return fflush(stdout) == 0 ? 0 : EXIT_INPUT;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(name, commands[i]->name) == 0)
            return run(commands[i], argc - 2, argv + 2);
    return cli_usage_error(NULL, "unknown command '%s'", name);
}
