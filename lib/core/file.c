/* Files written whole or not at all. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"

static int file_write(const char *data, size_t len, void *user)
{
    return fwrite(data, 1, len, (FILE *)user) == len ? 0 : -1;
}

int seg__write_atomic(const seg__errbuf *err, const char *path,
                      seg__producer produce, void *ctx)
{
    size_t n = strlen(path) + 16;
    char *tmp = seg__malloc(n);
    if (!tmp)
        return seg__nomem(err);
    snprintf(tmp, n, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd >= 0)
        (void)fchmod(fd, 0644); /* mkstemp makes 0600; outputs are shared */
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        seg__free(tmp);
        return seg__error(err, SEG_EIO, "%s: cannot create: %s", path,
                          strerror(e));
    }
    int rc = produce(file_write, f, ctx);
    bool bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
    bad = (fclose(f) != 0) || bad;
    if (!rc && bad)
        rc = seg__error(err, SEG_EIO, "%s: write failed: %s", path,
                        strerror(errno));
    if (!rc && rename(tmp, path) != 0)
        rc = seg__error(err, SEG_EIO, "%s: cannot rename into place: %s",
                        path, strerror(errno));
    if (rc)
        unlink(tmp);
    seg__free(tmp);
    return rc;
}
