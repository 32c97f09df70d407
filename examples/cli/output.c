/* Output files written under a temporary name and renamed into place, so
 * that a reader (or a cron job's next step) never sees half a table and a
 * failed run leaves the old file as it was. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <segment.h>

#include "options.h"
#include "output.h"

int cli_write(const char *data, size_t len, void *file)
{
    return fwrite(data, 1, len, (FILE *)file) == len ? 0 : -1;
}

static int to_stdout(cli_produce_fn produce, void *ctx)
{
    int rc = produce(stdout, ctx);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (rc == 0)
            rc = cli_input_error("standard output: %s", strerror(errno));
    }
    return rc;
}

/* mkstemp gives 0600; an output replaces a file with that file's mode, or
 * gets what the umask allows, as a file made by fopen would. */
static void set_mode(int fd, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        (void)fchmod(fd, st.st_mode & 07777);
        return;
    }
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
}

int cli_output(const char *path, cli_produce_fn produce, void *ctx)
{
    if (!path || strcmp(path, "-") == 0)
        return to_stdout(produce, ctx);
    size_t n = strlen(path) + sizeof ".tmpXXXXXX";
    char *tmp = malloc(n);
    if (!tmp)
        return cli_input_error("out of memory");
    snprintf(tmp, n, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        free(tmp);
        return cli_input_error("%s: cannot create: %s", path, strerror(e));
    }
    set_mode(fd, path);
    int rc = produce(f, ctx);
    int bad = fflush(f) != 0 || ferror(f) || fsync(fd) != 0;
    int e = errno;
    bad = fclose(f) != 0 || bad;
    if (rc == 0 && bad)
        rc = cli_input_error("%s: write failed: %s", path, strerror(e));
    if (rc == 0 && rename(tmp, path) != 0)
        rc = cli_input_error("%s: cannot rename into place: %s", path,
                             strerror(errno));
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
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
