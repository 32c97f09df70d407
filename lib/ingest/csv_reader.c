/* The CSV tokenizer: RFC 4180 quoting, comma/tab/semicolon/whitespace
 * delimiters, CRLF; read in blocks so that memory does not grow with file
 * size. Splits records into fields; what the fields mean is the loaders'. */
#include <errno.h>
#include <string.h>

#include "ingest/internal.h"

#define BLOCK (1u << 20)
#define MAX_RECORD (256u << 20)

/* Byte classes of the delimited-mode scanner. */
enum { C_DATA = 0, C_DELIM = 1, C_EOL = 2, C_QUOTE = 3 };

static int rd_error(seg__reader *rd, int code, size_t line, size_t col,
                    const char *fmt, ...) SEG__PRINTF(5, 6);

static int rd_error(seg__reader *rd, int code, size_t line, size_t col,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = seg__sink_vfail(rd->sink, code, line, col, fmt, ap);
    va_end(ap);
    return rc;
}

static int nomem(const seg__reader *rd)
{
    return seg__nomem(&rd->sink->ds->err);
}

/* Read more of the file, keeping the unparsed tail. */
static int refill(seg__reader *rd)
{
    if (!rd->f) {
        rd->eof = true;
        return SEG_OK;
    }
    size_t keep = rd->len - rd->pos;
    if (keep && rd->pos)
        memmove(rd->buf, rd->buf + rd->pos, keep);
    rd->pos = 0;
    rd->len = keep;
    if (rd->cap - keep < BLOCK / 2) {
        if (rd->cap >= MAX_RECORD + BLOCK)
            return rd_error(rd, SEG_ELIMIT, rd->line, 0,
                            "a record is longer than %u bytes", MAX_RECORD);
        if (seg__grow((void **)&rd->buf, &rd->cap, rd->cap + BLOCK, 1))
            return nomem(rd);
    }
    size_t got = fread(rd->buf + rd->len, 1, rd->cap - rd->len, rd->f);
    if (got == 0) {
        if (ferror(rd->f))
            return seg__sink_fail(rd->sink, SEG_EIO, (size_t)-1, 0,
                                  "read error: %s", strerror(errno));
        rd->eof = true;
    }
    rd->len += got;
    rd->data = rd->buf;
    return SEG_OK;
}

static inline int add_field(seg__reader *rd, const char *p, size_t n)
{
    if (rd->nfields == rd->capfields &&
        seg__grow((void **)&rd->fields, &rd->capfields, rd->nfields + 1,
                  sizeof *rd->fields))
        return nomem(rd);
    seg__text *f = &rd->fields[rd->nfields++];
    f->p = p;
    f->n = n;
    return SEG_OK;
}

/* A quoted field, unescaped at scratch[off ..]: its place is known once
 * the record is whole, since scratch may move as it grows. */
static int add_quoted(seg__reader *rd, size_t off, size_t n)
{
    if (seg__grow((void **)&rd->scratch_at, &rd->cap_scratch_at,
                  rd->nfields + 1, sizeof *rd->scratch_at))
        return nomem(rd);
    rd->scratch_at[rd->nfields] = off;
    rd->nquoted++;
    return add_field(rd, NULL, n);
}

static inline bool is_sep(const seg__reader *rd, char c)
{
    return rd->ws ? (c == ' ' || c == '\t') : c == rd->delim;
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR_SCAN 1
static inline uint64_t bytes_equal(uint64_t w, uint64_t pattern)
{
    uint64_t x = w ^ pattern;
    return (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
}
#endif

/* Skip bytes of class C_DATA, eight at a time where possible. */
static inline const char *skip_data(const seg__reader *rd, const char *p,
                                    const char *e)
{
#ifdef SWAR_SCAN
    const uint64_t d = 0x0101010101010101ull * (unsigned char)rd->delim;
    const uint64_t nl = 0x0101010101010101ull * '\n';
    const uint64_t q = 0x0101010101010101ull * '"';
    while (e - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t m = bytes_equal(w, d) | bytes_equal(w, nl) | bytes_equal(w, q);
        if (m)
            return p + (__builtin_ctzll(m) >> 3);
        p += 8;
    }
#endif
    while (p < e && rd->cls[(unsigned char)*p] == C_DATA)
        p++;
    return p;
}

/* The common case: a whole line without quotes, split at the delimiter in
 * one pass. Returns SEG__REC_OK, 0 when the general parser must decide (a
 * quote, or the end of the data read so far), or an error. */
static int parse_plain_line(seg__reader *rd)
{
    const char *p = rd->data + rd->pos, *e = rd->data + rd->len;
    const unsigned char *cls = rd->cls;
    for (;;) {
        const char *s = p;
        p = skip_data(rd, p, e);
        if (p == e || cls[(unsigned char)*p] == C_QUOTE) {
            rd->nfields = 0;
            return 0;
        }
        size_t n = (size_t)(p - s);
        bool eol = *p++ == '\n';
        if (eol && n && s[n - 1] == '\r')
            n--;
        int rc = add_field(rd, s, n);
        if (rc)
            return rc;
        if (eol)
            break;
    }
    rd->pos = (size_t)(p - rd->data);
    rd->line++;
    return SEG__REC_OK;
}

/* A quoted field from the quote at *pp: unescaped into scratch, *pp past
 * the closing quote, the line feeds inside counted into *lines. SEG_OK,
 * SEG__REC_MORE (the field may go on past the data read so far), or an
 * error. */
static int parse_quoted(seg__reader *rd, const char **pp, const char *end,
                        size_t *lines)
{
    size_t off = rd->scratch.len;
    const char *q = *pp + 1;
    for (;;) {
        const char *close = memchr(q, '"', (size_t)(end - q));
        if (!close) {
            if (!rd->eof)
                return SEG__REC_MORE;
            return rd_error(rd, SEG_EPARSE, rd->line, rd->nfields + 1,
                            "quoted field is not closed");
        }
        for (const char *c = q; c < close; c++)
            *lines += *c == '\n';
        if (seg__buf_append(&rd->scratch, q, (size_t)(close - q)))
            return nomem(rd);
        if (close + 1 == end && !rd->eof)
            return SEG__REC_MORE;
        if (close + 1 < end && close[1] == '"') {
            if (seg__buf_append(&rd->scratch, "\"", 1))
                return nomem(rd);
            q = close + 2;
            continue;
        }
        *pp = close + 1;
        return add_quoted(rd, off, rd->scratch.len - off);
    }
}

/* Parse one record starting at rd->pos. Returns SEG__REC_OK (fields set,
 * pos and line advanced), SEG__REC_MORE (the record may continue past the
 * data read so far), SEG__REC_EOF, or an error code. */
static int parse_record(seg__reader *rd)
{
    const char *p = rd->data + rd->pos, *end = rd->data + rd->len;
    size_t lines = 0;
    rd->nfields = 0;
    rd->nquoted = 0;
    rd->scratch.len = 0;
    if (!rd->ws) {
        int rc = parse_plain_line(rd);
        if (rc)
            return rc;
    }
    for (;;) {
        if (rd->ws)
            while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        if (p == end) {
            if (!rd->eof)
                return SEG__REC_MORE;
            if (rd->nfields == 0)
                return SEG__REC_EOF;
            if (!rd->ws) {
                int rc = add_field(rd, p, 0);
                if (rc)
                    return rc;
            }
            break;
        }
        if (rd->ws &&
            (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))) {
            p += *p == '\r' ? 2 : 1;
            lines++;
            break;
        }
        if (*p == '"') {
            int rc = parse_quoted(rd, &p, end, &lines);
            if (rc)
                return rc;
            if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n') {
                p += 2;
                lines++;
                break;
            }
            if (p < end && *p == '\r' && p + 1 == end && !rd->eof)
                return SEG__REC_MORE;
            if (p == end || *p == '\n') {
                if (p < end) {
                    p++;
                    lines++;
                }
                break;
            }
            if (!is_sep(rd, *p))
                return rd_error(rd, SEG_EPARSE, rd->line + lines,
                                rd->nfields,
                                "expected a delimiter after the closing quote");
            if (!rd->ws)
                p++;
            continue;
        }
        const char *s = p;
        if (rd->ws) {
            while (p < end && *p != ' ' && *p != '\t' && *p != '\n')
                p++;
        } else {
            const char d = rd->delim;
            while (p < end && *p != d && *p != '\n')
                p++;
        }
        if (p == end && !rd->eof)
            return SEG__REC_MORE;
        size_t n = (size_t)(p - s);
        bool eol = p == end || *p == '\n';
        if (eol && n && s[n - 1] == '\r')
            n--;
        int rc = add_field(rd, s, n);
        if (rc)
            return rc;
        if (eol) {
            if (p < end) {
                p++;
                lines++;
            }
            break;
        }
        if (!rd->ws)
            p++; /* past the delimiter */
    }
    for (size_t i = 0; rd->nquoted && i < rd->nfields; i++)
        if (!rd->fields[i].p)
            rd->fields[i].p = rd->scratch.data
                                  ? rd->scratch.data + rd->scratch_at[i]
                                  : "";
    rd->pos = (size_t)(p - rd->data);
    rd->line += lines ? lines : 1;
    return SEG__REC_OK;
}

int seg__rd_next_record(seg__reader *rd)
{
    for (;;) {
        size_t line0 = rd->line, pos0 = rd->pos;
        int rc = parse_record(rd);
        /* a file read in blocks stops growing its window at the limit; a
         * buffer is there whole, so the limit is checked here */
        if (rc == SEG__REC_OK && rd->pos - pos0 > MAX_RECORD)
            return rd_error(rd, SEG_ELIMIT, line0, 0,
                            "a record is longer than %u bytes (256 MiB)",
                            MAX_RECORD);
        if (rc == SEG__REC_MORE) {
            rd->line = line0;
            rc = refill(rd);
            if (rc)
                return rc;
            continue;
        }
        if (rc != SEG__REC_OK)
            return rc;
        rd->rec_line = line0;
        if (rd->nfields == 1 && rd->fields[0].n == 0 && !rd->nquoted)
            continue; /* empty line */
        return SEG__REC_OK;
    }
}

static void detect_delimiter(seg__reader *rd)
{
    const char *p = rd->data + rd->pos, *e = rd->data + rd->len;
    const char *nl = memchr(p, '\n', (size_t)(e - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(e - p);
    if (memchr(p, '\t', n))
        rd->delim = '\t';
    else if (memchr(p, ',', n))
        rd->delim = ',';
    else if (memchr(p, ';', n))
        rd->delim = ';';
    else
        rd->delim = ' ';
}

int seg__rd_start(seg__reader *rd, char delimiter)
{
    rd->line = 1;
    int rc = refill(rd);
    if (rc)
        return rc;
    if (rd->len - rd->pos >= 3 &&
        memcmp(rd->data + rd->pos, "\xEF\xBB\xBF", 3) == 0)
        rd->pos += 3;
    /* Line ends of a carriage return alone (old Mac files) would make the
     * whole file one line: the header, and no records. */
    const char *p = rd->data + rd->pos, *e = rd->data + rd->len;
    const char *nl = memchr(p, '\n', (size_t)(e - p));
    const char *cr = memchr(p, '\r', (size_t)((nl ? nl : e) - p));
    if (cr && cr + 1 < e && cr[1] != '\n')
        return rd_error(rd, SEG_EPARSE, 1, 0,
                        "line ends are carriage returns alone (CR, an old "
                        "Mac format): convert them to LF or CRLF");
    if (delimiter == 0)
        detect_delimiter(rd);
    else
        rd->delim = delimiter;
    rd->ws = rd->delim == ' ';
    rd->cls[(unsigned char)rd->delim] = C_DELIM;
    rd->cls['\n'] = C_EOL;
    rd->cls['"'] = C_QUOTE;
    return SEG_OK;
}

void seg__rd_free(seg__reader *rd)
{
    seg__free(rd->fields);
    seg__free(rd->scratch_at);
    seg__buf_free(&rd->scratch);
    seg__free(rd->buf);
}

