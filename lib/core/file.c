/* Files written whole or not at all, as a careful tool writes them:
 * - a symbolic link is followed: its target is replaced, the link stays;
 * - what is not a regular file (a device, a FIFO) is written through, since
 *   renaming over /dev/null would replace it;
 * - an existing file keeps its mode (and owner, where allowed); a new one
 *   gets 0666 less the umask, as open(2) gives;
 * - a file with several hard links is rewritten in place once the new
 *   content is complete on disk beside it, so that every name sees it;
 * - the content is first written to an unnamed file (O_TMPFILE) where the
 *   file system allows, so a process killed while writing leaves nothing
 *   behind; elsewhere to PATH.tmpXXXXXX, removed on every failure. */
#define _GNU_SOURCE /* O_TMPFILE, linkat's AT_SYMLINK_FOLLOW */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"

typedef struct fd_sink {
    int fd;
    int err;             /* errno of the first failed write */
} fd_sink;

static int fd_write(const char *data, size_t len, void *user)
{
    fd_sink *s = user;
    while (len && !s->err) {
        ssize_t w = write(s->fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            s->err = w < 0 ? errno : EIO;
            break;
        }
        data += w;
        len -= (size_t)w;
    }
    return s->err ? -1 : 0;
}

/* The file a path names after following symbolic links: a copy the caller
 * frees, or NULL with errno set. A path that does not exist yet is its
 * own target, and so is a dangling link's last component (the link's
 * target is created). */
static char *resolve(const char *path)
{
    char *p = seg__strndup(path, strlen(path));
    for (int hops = 0; p && hops < 40; hops++) {
        struct stat st;
        if (lstat(p, &st) != 0 || !S_ISLNK(st.st_mode))
            return p;
        char buf[PATH_MAX];
        ssize_t n = readlink(p, buf, sizeof buf - 1);
        if (n < 0) {
            seg__free(p);
            return NULL;
        }
        buf[n] = '\0';
        char *next;
        const char *slash = strrchr(p, '/');
        if (buf[0] == '/' || !slash) {
            next = seg__strndup(buf, (size_t)n);
        } else {
            size_t dl = (size_t)(slash - p + 1);
            next = seg__malloc(dl + (size_t)n + 1);
            if (next) {
                memcpy(next, p, dl);
                memcpy(next + dl, buf, (size_t)n + 1);
            }
        }
        seg__free(p);
        p = next;
    }
    if (p) {
        seg__free(p);
        errno = ELOOP;
    } else {
        errno = ENOMEM;
    }
    return NULL;
}

/* The directory part of a path, for O_TMPFILE: "." when it has none. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return seg__strndup(".", 1);
    return seg__strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* A fresh name beside path, PATH.tmpXXXXXX, or NULL (out of memory). */
static char *temp_name(const char *path, unsigned long *seed)
{
    static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    size_t n = strlen(path) + 11;
    char *tmp = seg__malloc(n);
    if (!tmp)
        return NULL;
    char sfx[7];
    for (int i = 0; i < 6; i++) {
        *seed = *seed * 6364136223846793005ul + 1442695040888963407ul;
        sfx[i] = digits[(*seed >> 33) % 36];
    }
    sfx[6] = '\0';
    snprintf(tmp, n, "%s.tmp%s", path, sfx);
    return tmp;
}

/* Give the file at fd (when fd >= 0: link it there) or a new empty file a
 * fresh name beside path; a new file gets 0666 less the umask, as open(2)
 * gives (mkstemp would give 0600). Returns the name, or NULL with errno. */
static char *make_named(const char *path, int fd, int *fd_out)
{
    unsigned long seed = (unsigned long)time(NULL) ^
                         ((unsigned long)getpid() << 16) ^
                         (unsigned long)(uintptr_t)&seed;
    char proc[64];
    if (fd >= 0)
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    for (int tries = 0; tries < 100; tries++) {
        char *name = temp_name(path, &seed);
        if (!name) {
            errno = ENOMEM;
            return NULL;
        }
        if (fd >= 0 &&
            linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0)
            return name;
        if (fd < 0) {
            *fd_out = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
                           0666);
            if (*fd_out >= 0)
                return name;
        }
        int e = errno;
        seg__free(name);
        if (e != EEXIST) {
            errno = e;
            return NULL;
        }
    }
    errno = EEXIST;
    return NULL;
}

/* Copy what fd holds (from its start) into out. */
static int copy_into(int fd, int out)
{
    if (lseek(fd, 0, SEEK_SET) != 0)
        return -1;
    char buf[65536];
    fd_sink s = {out, 0};
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            return 0;
        if (fd_write(buf, (size_t)r, &s) != 0) {
            errno = s.err;
            return -1;
        }
    }
}

/* Write straight into what path names: a device, a FIFO, or (with data
 * from fd_from when it is >= 0) a regular file rewritten in place. */
static int write_through(const seg__errbuf *err, const char *path,
                         seg__producer produce, void *ctx, int fd_from,
                         bool regular)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC | (regular ? O_TRUNC : 0));
    if (fd < 0)
        return seg__error(err, SEG_EIO, "%s: cannot open: %s", path,
                          strerror(errno));
    int rc = SEG_OK, e = 0;
    if (fd_from >= 0) {
        if (copy_into(fd_from, fd) != 0)
            e = errno;
    } else {
        fd_sink s = {fd, 0};
        rc = produce(fd_write, &s, ctx);
        e = s.err;
    }
    if (!rc && !e && regular && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e && !rc)
        e = errno;
    if (!rc && e)
        rc = seg__error(err, SEG_EIO, "%s: write failed: %s", path,
                        strerror(e));
    return rc;
}

/* Give the new file what the old one had: its mode, and its owner where
 * this process may. */
static void keep_attributes(int fd, const struct stat *old)
{
    (void)fchmod(fd, old->st_mode & 07777);
    if (fchown(fd, old->st_uid, old->st_gid) != 0)
        (void)fchmod(fd, old->st_mode & 0777);
}

int seg__write_atomic(const seg__errbuf *err, const char *path,
                      seg__producer produce, void *ctx)
{
    struct stat old;
    bool exists = stat(path, &old) == 0;
    if (exists && S_ISDIR(old.st_mode))
        return seg__error(err, SEG_EIO, "%s: is a directory", path);
    /* opened by its own name: /dev/stdout on a pipe resolves to no path */
    if (exists && !S_ISREG(old.st_mode))
        return write_through(err, path, produce, ctx, -1, false);
    char *target = resolve(path);
    if (!target)
        return errno == ENOMEM ? seg__nomem(err)
                               : seg__error(err, SEG_EIO, "%s: %s", path,
                                            strerror(errno));
    /* the content goes to a file of its own first */
    char *tmp = NULL;
    int fd = -1;
#ifdef O_TMPFILE
    char *dir = dir_of(target);
    if (!dir) {
        seg__free(target);
        return seg__nomem(err);
    }
    fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
    seg__free(dir);
#endif
    if (fd < 0)
        tmp = make_named(target, -1, &fd);
    if (fd < 0) {
        int e = errno;
        seg__free(target);
        return e == ENOMEM ? seg__nomem(err)
                           : seg__error(err, SEG_EIO, "%s: cannot create: %s",
                                        path, strerror(e));
    }
    if (exists)
        keep_attributes(fd, &old);
    fd_sink s = {fd, 0};
    int rc = produce(fd_write, &s, ctx);
    int e = s.err;
    if (!rc && !e && fsync(fd) != 0)
        e = errno;
    if (!rc && e)
        rc = seg__error(err, SEG_EIO, "%s: write failed: %s", path,
                        strerror(e));
    if (!rc && exists && old.st_nlink > 1) {
        /* every name of the file must see the new content */
        rc = write_through(err, target, produce, ctx, fd, true);
    } else if (!rc && !tmp) {
        /* name the unnamed file, then move it over the target */
        tmp = make_named(target, fd, NULL);
        if (!tmp)
            rc = errno == ENOMEM ? seg__nomem(err)
                                 : seg__error(err, SEG_EIO,
                                              "%s: cannot create: %s", path,
                                              strerror(errno));
    }
    if (!rc && tmp && !(exists && old.st_nlink > 1) &&
        rename(tmp, target) != 0)
        rc = seg__error(err, SEG_EIO, "%s: cannot rename into place: %s",
                        path, strerror(errno));
    if (close(fd) != 0 && !rc)
        rc = seg__error(err, SEG_EIO, "%s: write failed: %s", path,
                        strerror(errno));
    if (tmp && (rc || (exists && old.st_nlink > 1)))
        unlink(tmp);
    seg__free(tmp);
    seg__free(target);
    return rc;
}

typedef struct host_job {
    seg_produce_fn produce;
    void *user;
} host_job;

static int host_produce(seg_write_fn write, void *write_user, void *ctx)
{
    const host_job *j = ctx;
    int rc = j->produce(write, write_user, j->user);
    if (rc > 0)
        return seg__error(NULL, SEG_EIO, "the producer stopped (%d)", rc);
    if (rc < 0 && !seg__thread_has_error())
        return seg__error(NULL, rc, "the producer failed: %s",
                          seg_strerror(rc));
    return rc;
}

int seg_file_write(const char *path, seg_produce_fn produce, void *user_data)
{
    if (!path || !produce)
        return seg__error(NULL, SEG_EINVAL, "seg_file_write: NULL argument");
    seg_error_clear();
    host_job j = {produce, user_data};
    return seg__write_atomic(NULL, path, host_produce, &j);
}
