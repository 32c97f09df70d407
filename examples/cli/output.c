/* The one output path of the commands: a buffered writer that ends in
 * standard output or in seg_file_write(), so that an -o file is written
 * as the library writes its own (whole or not at all, links and modes
 * kept, devices written through). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <segment.h>

#include "options.h"
#include "output.h"
#include "progress.h"

typedef enum out_state {
    OUT_OK,
    OUT_SINK_FAILED, /* the sink refused a write: it knows why */
    OUT_NO_MEMORY    /* a cli_printf could not format */
} out_state;

struct cli_out {
    seg_write_fn write;
    void *user;
    out_state state;
    size_t n;
    /* the library's writers hand over 64 KiB at a time; this is for the
     * small pieces of the CLI's own producers (the report's characters) */
    char buf[8192];
};

static void out_init(cli_out *o, seg_write_fn write, void *user)
{
    o->write = write;
    o->user = user;
    o->state = OUT_OK;
    o->n = 0;
}

static void sink(cli_out *o, const char *data, size_t len)
{
    if (o->state == OUT_OK && len && o->write(data, len, o->user) != 0)
        o->state = OUT_SINK_FAILED;
}

static void out_flush(cli_out *o)
{
    sink(o, o->buf, o->n);
    o->n = 0;
}

int cli_out_write(const char *data, size_t len, void *out)
{
    cli_out *o = out;
    if (o->state != OUT_OK)
        return -1;
    if (len > sizeof o->buf - o->n) {
        out_flush(o);
        if (len >= sizeof o->buf) {
            sink(o, data, len);
            return o->state == OUT_OK ? 0 : -1;
        }
    }
    memcpy(o->buf + o->n, data, len);
    o->n += len;
    return o->state == OUT_OK ? 0 : -1;
}

void cli_puts(cli_out *out, const char *s)
{
    (void)cli_out_write(s, strlen(s), out);
}

void cli_putc(cli_out *out, int c)
{
    char ch = (char)c;
    (void)cli_out_write(&ch, 1, out);
}

void cli_printf(cli_out *out, const char *fmt, ...)
{
    char small[512];
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        out->state = out->state == OUT_OK ? OUT_NO_MEMORY : out->state;
    } else if ((size_t)n < sizeof small) {
        (void)cli_out_write(small, (size_t)n, out);
    } else {
        char *big = malloc((size_t)n + 1);
        if (big && vsnprintf(big, (size_t)n + 1, fmt, again) == n)
            (void)cli_out_write(big, (size_t)n, out);
        else if (out->state == OUT_OK)
            out->state = OUT_NO_MEMORY;
        free(big);
    }
    va_end(again);
}

int cli_produce_error(const cli_out *out, const char *msg)
{
    if (out->state == OUT_SINK_FAILED)
        return EXIT_INPUT;
    return cli_input_error("%s", out->state == OUT_NO_MEMORY
                                     ? "out of memory" : msg);
}

int cli_produce_result(cli_out *out, const seg_table *t,
                       const seg_dataset *ds, int format, int flags,
                       const char *const *cols, size_t n)
{
    int rc = t ? seg_table_write(t, format, cli_out_write, out)
               : seg_dataset_export(ds, format | flags, cols, n,
                                    cli_out_write, out);
    if (rc != SEG_OK)
        return cli_produce_error(out, t ? seg_errmsg()
                                        : seg_dataset_errmsg(ds));
    return 0;
}

typedef struct output_job {
    cli_produce_fn produce;
    void *ctx;
    int rc;          /* what produce returned */
    out_state state; /* of the writer once flushed */
} output_job;

static void run_producer(output_job *j, seg_write_fn write, void *user)
{
    cli_out o;
    out_init(&o, write, user);
    j->rc = j->produce(&o, j->ctx);
    out_flush(&o);
    j->state = o.state;
    if (j->state == OUT_NO_MEMORY && j->rc == 0)
        j->rc = cli_input_error("out of memory");
}

static int file_produce(seg_write_fn write, void *write_user, void *ctx)
{
    output_job *j = ctx;
    run_producer(j, write, write_user);
    if (cli_interrupted()) /* the old file stays */
        return SEG_ECANCELED;
    /* When the file refused a write, returning SEG_OK lets seg_file_write
     * see its own failed write and say why (the errno), where an error
     * from here would only say that the producer stopped. Either way the
     * old file stays. */
    if (j->state == OUT_SINK_FAILED)
        return SEG_OK;
    return j->rc;
}

static int stdout_write(const char *data, size_t len, void *err)
{
    errno = 0;
    if (fwrite(data, 1, len, stdout) == len)
        return 0;
    *(int *)err = errno ? errno : EIO;
    return -1;
}

static struct {
    int on;
    double wall0, cpu0, wall, cpu; /* at the start, at the last phase */
} timings;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    return clock_gettime(id, &ts) ? 0 : (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void cli_timings_start(void)
{
    timings.on = 1;
    timings.wall0 = timings.wall = clock_s(CLOCK_MONOTONIC);
    timings.cpu0 = timings.cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

/* The process's peak resident memory so far, in MiB; -1 unknown. */
static double peak_mib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru))
        return -1;
#if defined(__APPLE__)
    return (double)ru.ru_maxrss / (1024.0 * 1024.0); /* bytes there */
#else
    return (double)ru.ru_maxrss / 1024.0; /* KiB */
#endif
}

static void print_phase(const char *name, double wall, double cpu)
{
    fprintf(stderr, "segment: timing: %-9s %8.3f s wall %8.3f s cpu "
            "%7.1f MiB peak\n", name, wall, cpu, peak_mib());
}

void cli_phase(const char *name)
{
    if (!timings.on)
        return;
    double wall = clock_s(CLOCK_MONOTONIC);
    double cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    print_phase(name, wall - timings.wall, cpu - timings.cpu);
    timings.wall = wall;
    timings.cpu = cpu;
}

static void phase_total(void)
{
    if (!timings.on)
        return;
    print_phase("total", clock_s(CLOCK_MONOTONIC) - timings.wall0,
                clock_s(CLOCK_PROCESS_CPUTIME_ID) - timings.cpu0);
}

static int output_to(const char *path, cli_produce_fn produce, void *ctx);

int cli_output(const char *path, cli_produce_fn produce, void *ctx)
{
    int rc = output_to(path, produce, ctx);
    cli_phase("write");
    phase_total();
    return rc;
}

static int output_to(const char *path, cli_produce_fn produce, void *ctx)
{
    output_job j = {produce, ctx, 0, OUT_OK};
    if (cli_interrupted())
        return EXIT_INPUT;
    if (path && strcmp(path, "-") != 0) {
        int rc = seg_file_write(path, file_produce, &j);
        if (j.rc != 0 && j.state != OUT_SINK_FAILED)
            return j.rc;
        if (rc != SEG_OK)
            return cli_input_error("%s", seg_errmsg());
        return 0;
    }
    int err = 0;
    run_producer(&j, stdout_write, &err);
    errno = 0;
    if (fflush(stdout) != 0 && !err)
        err = errno ? errno : EIO;
    if (j.rc != 0 && j.state != OUT_SINK_FAILED)
        return j.rc;
    if (err)
        return cli_input_error("standard output: %s", strerror(err));
    return 0;
}

int cli_output_format(const cli_args *a, unsigned allowed, int def, int *out)
{
    static const char *const names[] = {"", "csv", "json", "text"};
    const char *v = cli_get(a, OPT_FORMAT);
    if (!v) {
        *out = def;
        return 0;
    }
    for (int f = SEG_FORMAT_CSV; f <= SEG_FORMAT_TEXT; f++)
        if (strcmp(v, names[f]) == 0 && (allowed & (1u << f))) {
            *out = f;
            return 0;
        }
    char choices[32] = "";
    for (int f = SEG_FORMAT_CSV; f <= SEG_FORMAT_TEXT; f++)
        if (allowed & (1u << f))
            snprintf(choices + strlen(choices), sizeof choices - strlen(choices),
                     "%s%s", choices[0] ? " or " : "", names[f]);
    return cli_usage_error(a->cmd, "%s: '%s' is not %s here",
                           cli_spelling(a, OPT_FORMAT), v, choices);
}

/* Whether the input at path ("-": standard input) is the file out. */
static int is_file(const char *path, const struct stat *out)
{
    struct stat in;
    int ok = strcmp(path, "-") == 0 ? fstat(STDIN_FILENO, &in) == 0
                                    : stat(path, &in) == 0;
    return ok && in.st_dev == out->st_dev && in.st_ino == out->st_ino;
}

static const char *input_name(cli_opt o)
{
    switch (o) {
    case OPT_EVENTS: return "the --events file";
    case OPT_ATTRIBUTES: return "the --attributes file";
    case OPT_RULES: return "the --rules file";
    case OPT_LOAD_MODEL: return "the --load-model file";
    default: return NULL;
    }
}

/* Everything is read before anything is written, so replacing an input
 * would not garble the output: it would lose the user's data, which is
 * what this check is for. */
static int check_one(const cli_args *a, const cli_arg *o, const char *data)
{
    struct stat out;
    /* a device or a FIFO is written through, never replaced, and a path
     * that does not exist yet is no input */
    if (strcmp(o->value, "-") == 0 || stat(o->value, &out) != 0 ||
        !S_ISREG(out.st_mode))
        return 0;
    const char *what = NULL, *path = NULL;
    if (data && is_file(data, &out)) {
        what = "the data file";
        path = data;
    }
    for (size_t i = 0; !what && i < a->n; i++)
        if (input_name(a->v[i].opt) && is_file(a->v[i].value, &out)) {
            what = input_name(a->v[i].opt);
            path = a->v[i].value;
        }
    if (!what)
        return 0;
    return cli_usage_error(a->cmd, "%s %s would replace %s %s: give "
                           "another file", o->spelling, o->value, what,
                           strcmp(path, "-") == 0 ? "<stdin>" : path);
}

int cli_output_check_inputs(const cli_args *a, const char *data)
{
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i].opt != OPT_OUTPUT && a->v[i].opt != OPT_SAVE_MODEL)
            continue;
        int rc = check_one(a, &a->v[i], data);
        if (rc)
            return rc;
    }
    return 0;
}
