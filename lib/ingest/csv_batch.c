/* Where the batches of the threaded CSV loader come from: a regular file
 * mapped (a batch at a time, or whole for an attribute file, whose values
 * are read back from it), a buffer sliced, or a stream read in blocks;
 * and a batch given back to the sequential reader. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest/csv_batch.h"

#define NOWHERE ((size_t)-1)

void seg__batch_unmap(tx_batch *bt)
{
    if (bt->map)
        munmap(bt->map, bt->map_len);
    bt->map = NULL;
}

/* A regular file is mapped a batch at a time rather than copied: from the
 * offset of the reader's next byte on. */
void seg__batch_start_mapping(seg__reader *rd)
{
    rd->map_fd = -1;
    struct stat st;
    long at = rd->f ? ftell(rd->f) : -1;
    if (at < 0 || fstat(fileno(rd->f), &st) || !S_ISREG(st.st_mode))
        return;
    rd->map_fd = fileno(rd->f);
    rd->map_off = (off_t)at - (off_t)(rd->len - rd->pos);
    rd->size = (size_t)st.st_size;
}

/* A mapping of want bytes from the reader's next byte on (from the page
 * it lies in: *lead bytes before it), or MAP_FAILED; populated (read in
 * at once) when asked, as a batch is, which its parser reads next. */
static void *map_from(const seg__reader *rd, size_t want, size_t *lead,
                      bool populate)
{
    long page = sysconf(_SC_PAGESIZE);
    off_t start = rd->map_off / page * page;
    *lead = (size_t)(rd->map_off - start);
    int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
    if (populate)
        flags |= MAP_POPULATE;
#else
    (void)populate;
#endif
    return mmap(NULL, *lead + want, PROT_READ, flags, rd->map_fd, start);
}

/* b .. *e cut back to whole lines unless it ends the input: false when no
 * line ends in it (a line longer than a batch). */
static bool whole_lines(const char *b, const char **e, bool last)
{
    if (last)
        return true;
    while (*e > b && (*e)[-1] != '\n')
        (*e)--;
    return *e != b;
}

static int next_batch_mapped(seg__reader *rd, tx_batch *bt)
{
    seg__batch_unmap(bt);
    bt->b = bt->e = NULL;
    if ((size_t)rd->map_off >= rd->size)
        return SEG_OK; /* the end */
    size_t want = rd->size - (size_t)rd->map_off, lead;
    want = want > bt->size ? bt->size : want;
    void *m = map_from(rd, want, &lead, true);
    if (m == MAP_FAILED) /* ENOMEM: no address space left, as malloc's */
        return seg__sink_fail(rd->sink, errno == ENOMEM ? SEG_ENOMEM : SEG_EIO,
                              NOWHERE, 0, "cannot map: %s", strerror(errno));
    bt->map = m;
    bt->map_len = lead + want;
    bt->off = rd->map_off;
    const char *b = (const char *)m + lead, *e = b + want;
    if (!whole_lines(b, &e, (size_t)rd->map_off + want >= rd->size))
        return SEG__REC_MORE;
    bt->b = b;
    bt->e = e;
    rd->map_off += e - b;
    return SEG_OK;
}

/* An attribute file is mapped whole, once: its values are read back from
 * it until the load ends, and no mapping goes away while the other
 * threads run (which would make every core drop its translations). A
 * failure leaves the file to be mapped a batch at a time. */
void seg__batch_map_whole(seg__reader *rd)
{
    if (rd->map_fd < 0 || (size_t)rd->map_off >= rd->size)
        return;
    size_t want = rd->size - (size_t)rd->map_off, lead;
    /* not populated: a file larger than memory would be read in before
     * its first batch is parsed and lose its first pages before their
     * turn; the kernel reads ahead of the parser instead */
    void *m = map_from(rd, want, &lead, false);
    if (m == MAP_FAILED)
        return;
#ifdef POSIX_MADV_SEQUENTIAL
    (void)posix_madvise(m, lead + want, POSIX_MADV_SEQUENTIAL);
#endif
    rd->whole_map = m;
    rd->whole_map_len = lead + want;
    rd->whole = (const char *)m + lead;
    rd->whole_len = want;
    rd->whole_off = rd->map_off;
}

void seg__batch_unmap_whole(seg__reader *rd)
{
    if (rd->whole_map)
        munmap(rd->whole_map, rd->whole_map_len);
    rd->whole_map = NULL;
    rd->whole = NULL;
}

/* The next batch of a file mapped whole: a slice of it. */
static int next_batch_whole(seg__reader *rd, tx_batch *bt)
{
    size_t at = (size_t)(rd->map_off - rd->whole_off);
    bt->off = rd->map_off;
    if (at >= rd->whole_len)
        return SEG_OK; /* the end */
    const char *b = rd->whole + at, *end = rd->whole + rd->whole_len;
    const char *e = (size_t)(end - b) > bt->size ? b + bt->size : end;
    if (!whole_lines(b, &e, e == end))
        return SEG__REC_MORE;
    bt->b = b;
    bt->e = e;
    rd->map_off += e - b;
    return SEG_OK;
}

int seg__batch_next(seg__reader *rd, tx_batch *bt)
{
    const char *b, *e;
    bt->b = bt->e = NULL; /* until there is one */
    if (rd->whole)
        return next_batch_whole(rd, bt);
    if (rd->map_fd >= 0)
        return next_batch_mapped(rd, bt);
    if (!rd->f) { /* buffer mode: a slice of the buffer */
        b = rd->data + rd->pos;
        e = rd->data + (rd->len - rd->pos > bt->size ? rd->pos + bt->size
                                                     : rd->len);
        if (e < rd->data + rd->len) {
            while (e > b && e[-1] != '\n')
                e--;
            if (e == b)
                return SEG__REC_MORE;
        }
        rd->pos = (size_t)(e - rd->data);
    } else {
        /* what the reader holds (part of a line), then a batch's worth */
        size_t carry = rd->len - rd->pos;
        if (bt->cap < carry + bt->size &&
            seg__grow((void **)&bt->mem, &bt->cap, carry + bt->size, 1))
            return seg__nomem(&rd->sink->ds->err);
        if (carry)
            memcpy(bt->mem, rd->data + rd->pos, carry);
        size_t got = rd->eof ? 0 : fread(bt->mem + carry, 1, bt->size, rd->f);
        if (got < bt->size && !rd->eof) {
            if (ferror(rd->f))
                return seg__sink_fail(rd->sink, SEG_EIO, NOWHERE, 0,
                                      "read error: %s", strerror(errno));
            rd->eof = true;
        }
        b = bt->mem;
        e = bt->mem + carry + got;
        const char *cut = e;
        if (!rd->eof) {
            while (cut > b && cut[-1] != '\n')
                cut--;
        }
        /* the rest goes back to the reader */
        size_t rest = (size_t)(e - cut);
        if (rd->cap < rest + 1 &&
            seg__grow((void **)&rd->buf, &rd->cap, rest + 1, 1))
            return seg__nomem(&rd->sink->ds->err);
        memcpy(rd->buf, cut, rest);
        rd->data = rd->buf;
        rd->pos = 0;
        rd->len = rest;
        e = cut;
        if (e == b && rest)
            return SEG__REC_MORE; /* a line longer than a batch */
    }
    bt->b = b;
    bt->e = e;
    return SEG_OK;
}

/* Give the reader back a batch it has not parsed, in front of what it
 * holds, for the sequential loader. */
int seg__batch_unread(seg__reader *rd, const tx_batch *bt)
{
    if (rd->map_fd >= 0) { /* read on from the batch's offset */
        if (fseeko(rd->f, bt->off, SEEK_SET))
            return seg__sink_fail(rd->sink, SEG_EIO, NOWHERE, 0,
                                  "cannot seek: %s", strerror(errno));
        rd->pos = rd->len = 0;
        rd->eof = false;
        return SEG_OK;
    }
    if (!bt->b) /* nothing taken */
        return SEG_OK;
    size_t n = (size_t)(bt->e - bt->b);
    if (!rd->f) {
        rd->pos = (size_t)(bt->b - rd->data);
        return SEG_OK;
    }
    size_t carry = rd->len - rd->pos;
    if (rd->cap < n + carry + 1 &&
        seg__grow((void **)&rd->buf, &rd->cap, n + carry + 1, 1))
        return seg__nomem(&rd->sink->ds->err);
    memmove(rd->buf + n, rd->buf + rd->pos, carry);
    memcpy(rd->buf, bt->b, n);
    rd->data = rd->buf;
    rd->pos = 0;
    rd->len = n + carry;
    return SEG_OK;
}

/* Cut a batch into parts at line ends. */
void seg__batch_split(tx_batch *bt)
{
    const char *at = bt->b, *e = bt->e;
    for (int i = 0; i < bt->nparts; i++) {
        const char *end = e;
        if (i < bt->nparts - 1) {
            end = at + (size_t)(e - at) / (size_t)(bt->nparts - i);
            const char *nl = end < e ? memchr(end, '\n', (size_t)(e - end))
                                     : NULL;
            end = nl ? nl + 1 : e;
        }
        bt->parts[i].p = at;
        bt->parts[i].e = end;
        at = end;
    }
}

