/* CSV ingest: RFC 4180 quoting, comma/tab/semicolon/whitespace delimiters,
 * BOM, CRLF; read in blocks so that memory does not grow with file size. */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dataset/struct.h"

#define BLOCK (1u << 20)
#define MAX_RECORD (256u << 20)

typedef struct field {
    const char *p;
    size_t n;
    size_t scratch_off; /* where an unescaped quoted field lives */
    bool in_scratch;
} field;

typedef struct reader {
    const char *name;
    FILE *f;
    char *buf;          /* file mode: a window of the file */
    size_t cap;
    const char *data;   /* the bytes being parsed */
    size_t len, pos;
    bool eof;           /* no more bytes beyond len */
    size_t size;        /* the input's size, when known (else 0) */
    int map_fd;         /* >= 0: batches are mapped from this file */
    off_t map_off;      /* the offset of the next batch */
    size_t line;        /* line of the next record */
    size_t rec_line;    /* first line of the current record */
    char delim;
    bool ws;            /* runs of whitespace separate fields */
    unsigned char cls[256]; /* byte classes of the delimited-mode scanner */
    field *fields;
    size_t nfields, capfields;
    seg__buf scratch;
    seg__errbuf *err;
} reader;

static int rd_error(reader *rd, int code, size_t line, size_t col,
                    const char *fmt, ...) SEG__PRINTF(5, 6);

static int rd_error(reader *rd, int code, size_t line, size_t col,
                    const char *fmt, ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (col)
        return seg__error(rd->err, code, "%s:%zu:%zu: %s", rd->name, line,
                          col, what);
    return seg__error(rd->err, code, "%s:%zu: %s", rd->name, line, what);
}

/* Read more of the file, keeping the unparsed tail. */
static int refill(reader *rd)
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
            return seg__nomem(rd->err);
    }
    size_t got = fread(rd->buf + rd->len, 1, rd->cap - rd->len, rd->f);
    if (got == 0) {
        if (ferror(rd->f))
            return seg__error(rd->err, SEG_EIO, "%s: read error: %s",
                              rd->name, strerror(errno));
        rd->eof = true;
    }
    rd->len += got;
    rd->data = rd->buf;
    return SEG_OK;
}

static inline int add_field(reader *rd, const char *p, size_t n,
                            bool in_scratch, size_t off)
{
    if (rd->nfields == rd->capfields &&
        seg__grow((void **)&rd->fields, &rd->capfields, rd->nfields + 1,
                  sizeof *rd->fields))
        return seg__nomem(rd->err);
    field *f = &rd->fields[rd->nfields++];
    f->p = p;
    f->n = n;
    f->in_scratch = in_scratch;
    f->scratch_off = off;
    return SEG_OK;
}

static inline bool is_sep(const reader *rd, char c)
{
    return rd->ws ? (c == ' ' || c == '\t') : c == rd->delim;
}

enum { REC_OK = 1, REC_MORE = 2, REC_EOF = 3 };

/* Parse one record starting at rd->pos. Returns REC_OK (fields set, pos and
 * line advanced), REC_MORE (the record may continue past the data read so
 * far), REC_EOF, or an error code. */
/* The common case: a whole line without quotes, split at the delimiter in
 * one pass. Returns REC_OK, 0 when the general parser must decide (a quote,
 * or the end of the data read so far), or an error. */
enum { C_DATA = 0, C_DELIM = 1, C_EOL = 2, C_QUOTE = 3 };

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
static inline const char *skip_data(const reader *rd, const char *p,
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

static int parse_plain_line(reader *rd)
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
        int rc = add_field(rd, s, n, false, 0);
        if (rc)
            return rc;
        if (eol)
            break;
    }
    rd->pos = (size_t)(p - rd->data);
    rd->line++;
    return REC_OK;
}

static int parse_record(reader *rd)
{
    const char *p = rd->data + rd->pos, *end = rd->data + rd->len;
    size_t lines = 0;
    rd->nfields = 0;
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
                return REC_MORE;
            if (rd->nfields == 0)
                return REC_EOF;
            if (!rd->ws) {
                int rc = add_field(rd, p, 0, false, 0);
                if (rc)
                    return rc;
            }
            break;
        }
        if (rd->ws && (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))) {
            p += *p == '\r' ? 2 : 1;
            lines++;
            break;
        }
        if (*p == '"') {
            size_t off = rd->scratch.len;
            const char *q = ++p;
            for (;;) {
                const char *close = memchr(q, '"', (size_t)(end - q));
                if (!close) {
                    if (!rd->eof)
                        return REC_MORE;
                    return rd_error(rd, SEG_EPARSE, rd->line,
                                    rd->nfields + 1,
                                    "quoted field is not closed");
                }
                for (const char *c = q; c < close; c++)
                    lines += *c == '\n';
                if (seg__buf_append(&rd->scratch, q, (size_t)(close - q)))
                    return seg__nomem(rd->err);
                if (close + 1 == end && !rd->eof)
                    return REC_MORE;
                if (close + 1 < end && close[1] == '"') {
                    if (seg__buf_append(&rd->scratch, "\"", 1))
                        return seg__nomem(rd->err);
                    q = close + 2;
                    continue;
                }
                p = close + 1;
                break;
            }
            int rc = add_field(rd, NULL, rd->scratch.len - off, true, off);
            if (rc)
                return rc;
            if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n') {
                p += 2;
                lines++;
                break;
            }
            if (p < end && *p == '\r' && p + 1 == end && !rd->eof)
                return REC_MORE;
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
            return REC_MORE;
        size_t n = (size_t)(p - s);
        bool eol = p == end || *p == '\n';
        if (eol && n && s[n - 1] == '\r')
            n--;
        int rc = add_field(rd, s, n, false, 0);
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
    for (size_t i = 0; i < rd->nfields; i++)
        if (rd->fields[i].in_scratch)
            rd->fields[i].p = rd->scratch.data
                                  ? rd->scratch.data + rd->fields[i].scratch_off
                                  : "";
    rd->pos = (size_t)(p - rd->data);
    rd->line += lines ? lines : 1;
    return REC_OK;
}

/* Next non-empty record, reading more of the file as needed. */
static int next_record(reader *rd)
{
    for (;;) {
        size_t line0 = rd->line;
        int rc = parse_record(rd);
        if (rc == REC_MORE) {
            rd->line = line0;
            rc = refill(rd);
            if (rc)
                return rc;
            continue;
        }
        if (rc != REC_OK)
            return rc;
        rd->rec_line = line0;
        if (rd->nfields == 1 && rd->fields[0].n == 0 &&
            !rd->fields[0].in_scratch)
            continue; /* empty line */
        return REC_OK;
    }
}

/* ---- mapping columns to roles ---- */

enum { R_ID, R_TIME, R_AMOUNT, R_KIND, R_VALUE, R_N };
static const char *const role_names[R_N] = {"id", "time", "amount", "kind",
                                            "value"};

typedef struct attr_stage {
    const char *name;
    size_t col;
    uint32_t *rows;
    size_t *lines;
    size_t *offs;       /* value i is text.data[offs[i] .. offs[i+1]) */
    size_t n, cap_rows, cap_lines, cap_offs;
    seg__buf text;
} attr_stage;

typedef struct header {
    char **names;
    size_t n;
} header;

static void header_free(header *h)
{
    for (size_t i = 0; i < h->n; i++)
        seg__free(h->names[i]);
    seg__free(h->names);
}

static bool ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return *a == *b;
}

static int resolve(reader *rd, const header *h, const char *what,
                   const char *spec, size_t *col)
{
    for (size_t i = 0; i < h->n; i++) {
        if (strcmp(h->names[i], spec) == 0) {
            *col = i;
            return SEG_OK;
        }
    }
    size_t v = 0;
    const char *s = spec;
    for (; *s >= '0' && *s <= '9' && v < 1000000; s++)
        v = v * 10 + (size_t)(*s - '0');
    if (*s == '\0' && s != spec && v >= 1) {
        *col = v - 1;
        return SEG_OK;
    }
    char ex[64];
    if (h->n)
        return seg__error(rd->err, SEG_ENOTFOUND,
                          "%s: %s column '%s' is not in the header", rd->name,
                          what, seg__excerpt(ex, sizeof ex, spec, strlen(spec)));
    return seg__error(rd->err, SEG_ENOTFOUND,
                      "%s: %s column '%s': the file has no header, so name "
                      "columns by number (1 = first)",
                      rd->name, what,
                      seg__excerpt(ex, sizeof ex, spec, strlen(spec)));
}

static const char *guess(const header *h, const char *const *cands)
{
    for (size_t i = 0; i < h->n; i++)
        for (const char *const *c = cands; *c; c++)
            if (ieq(h->names[i], *c))
                return h->names[i];
    return NULL;
}

static void detect_delimiter(reader *rd)
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

static const char *field_excerpt(char *buf, size_t sz, const field *f)
{
    return seg__excerpt(buf, sz, f->p, f->n);
}

static int stage_attr(reader *rd, attr_stage *a, uint32_t row, size_t line,
                      const field *f)
{
    if (seg__grow((void **)&a->rows, &a->cap_rows, a->n + 1, sizeof *a->rows) ||
        seg__grow((void **)&a->lines, &a->cap_lines, a->n + 1,
                  sizeof *a->lines) ||
        seg__grow((void **)&a->offs, &a->cap_offs, a->n + 2, sizeof *a->offs))
        return seg__nomem(rd->err);
    if (a->n == 0)
        a->offs[0] = 0;
    if (seg__buf_append(&a->text, f->p, f->n))
        return seg__nomem(rd->err);
    a->rows[a->n] = row;
    a->lines[a->n] = line;
    a->offs[a->n + 1] = a->text.len;
    a->n++;
    return SEG_OK;
}

/* Apply staged attribute values: numeric if the column is numeric or every
 * value is a number, else labels. */
static int apply_attr(seg_dataset *ds, reader *rd, attr_stage *a)
{
    seg__column *existing = seg__ds_find_column(ds, a->name);
    int type = existing ? existing->type : SEG_COLUMN_NUMERIC;
    if (!existing) {
        for (size_t i = 0; i < a->n && type == SEG_COLUMN_NUMERIC; i++) {
            double v;
            if (seg__parse_f64(a->text.data + a->offs[i],
                               a->offs[i + 1] - a->offs[i], &v))
                type = SEG_COLUMN_LABEL;
        }
    }
    seg__column *c;
    int rc = seg__ds_column(ds, a->name, strlen(a->name), type,
                            SEG__ORIGIN_USER, &c);
    if (rc)
        return rc;
    for (size_t i = 0; i < a->n; i++) {
        const char *s = a->text.data + a->offs[i];
        size_t n = a->offs[i + 1] - a->offs[i];
        if (type == SEG_COLUMN_NUMERIC) {
            double v;
            rc = seg__parse_f64(s, n, &v);
            if (rc) {
                char ex[64];
                return rd_error(rd, rc == SEG_ENOMEM ? rc : SEG_ETYPE,
                                a->lines[i], a->col + 1,
                                "attribute '%s' value '%s' is not a number "
                                "(the column is numeric)",
                                a->name, seg__excerpt(ex, sizeof ex, s, n));
            }
            rc = seg__ds_set_num(ds, c, a->rows[i], v);
        } else {
            if (!seg__utf8_valid(s, n))
                return rd_error(rd, SEG_EPARSE, a->lines[i], a->col + 1,
                                "attribute '%s' is not valid UTF-8", a->name);
            rc = seg__ds_set_label(ds, c, a->rows[i], s, n);
        }
        if (rc)
            return rc;
    }
    return SEG_OK;
}

static void attr_free(attr_stage *a)
{
    seg__free(a->rows);
    seg__free(a->lines);
    seg__free(a->offs);
    seg__buf_free(&a->text);
}

/* The checks of a record's fields, shared by the sequential and the
 * parallel loader: 0, or an error code with the message (without the
 * file:line:column prefix) in msg. */
static int check_id(const field *f, char *msg, size_t msz)
{
    if (f->n && seg__utf8_valid(f->p, f->n))
        return SEG_OK;
    snprintf(msg, msz, "%s", f->n ? "customer id is not valid UTF-8"
                                  : "customer id is empty");
    return SEG_EPARSE;
}

static int time_value(const field *f, int format, int64_t *t, char *msg,
                      size_t msz)
{
    int rc = seg_time_parse(t, f->p, f->n, format);
    if (!rc)
        return SEG_OK;
    char ex[64];
    snprintf(msg, msz, "time '%s' is not a valid time (expected an ISO 8601 "
             "date or date-time, YYYYMMDD or epoch seconds)",
             field_excerpt(ex, sizeof ex, f));
    return rc == SEG_EINVAL ? SEG_EINVAL : SEG_EPARSE;
}

static int amount_value(const field *f, double *v, char *msg, size_t msz)
{
    int rc = seg__parse_f64(f->p, f->n, v);
    if (!rc)
        return SEG_OK;
    char ex[64];
    snprintf(msg, msz, rc == SEG_ERANGE ? "amount '%s' is out of range"
                                        : "amount '%s' is not a number",
             field_excerpt(ex, sizeof ex, f));
    return rc;
}

static int load_tx_parallel(seg_dataset *ds, reader *rd,
                            const seg_csv_options *o, const size_t *col,
                            size_t need, int threads);

static int load(seg_dataset *ds, reader *rd, const seg_csv_options *o)
{
    header h = {NULL, 0};
    attr_stage *attrs = NULL;
    size_t n_attrs = o->n_attribute_columns;
    size_t col[R_N];
    bool has[R_N] = {false};
    int rc = refill(rd);
    if (rc)
        return rc;
    if (rd->len - rd->pos >= 3 && memcmp(rd->data + rd->pos, "\xEF\xBB\xBF", 3) == 0)
        rd->pos += 3;
    if (o->delimiter == 0)
        detect_delimiter(rd);
    else
        rd->delim = o->delimiter;
    rd->ws = rd->delim == ' ';
    rd->cls[(unsigned char)rd->delim] = C_DELIM;
    rd->cls['\n'] = C_EOL;
    rd->cls['"'] = C_QUOTE;
    if (o->has_header) {
        rc = next_record(rd);
        if (rc == REC_EOF)
            return SEG_OK; /* an empty file adds nothing */
        if (rc != REC_OK)
            return rc;
        h.names = seg__calloc(rd->nfields, sizeof *h.names);
        if (!h.names)
            return seg__nomem(rd->err);
        for (size_t i = 0; i < rd->nfields; i++, h.n++) {
            const field *f = &rd->fields[i];
            size_t a = 0, b = f->n;
            while (a < b && f->p[a] == ' ')
                a++;
            while (b > a && f->p[b - 1] == ' ')
                b--;
            if (!(h.names[i] = seg__strndup(f->p + a, b - a))) {
                rc = seg__nomem(rd->err);
                goto out;
            }
        }
    }
    const char *spec[R_N] = {o->id_column, o->time_column, o->amount_column,
                             o->kind_column, o->value_column};
    if (!spec[R_ID] && !spec[R_TIME] && !spec[R_AMOUNT] && !spec[R_KIND] &&
        !spec[R_VALUE]) {
        static const char *const c_id[] = {"customer_id", "id", "customer",
                                           NULL};
        static const char *const c_time[] = {"time", "date", "timestamp",
                                             NULL};
        static const char *const c_amount[] = {"amount", NULL};
        static const char *const c_kind[] = {"kind", "event", NULL};
        static const char *const c_value[] = {"value", NULL};
        spec[R_ID] = guess(&h, c_id);
        spec[R_TIME] = guess(&h, c_time);
        spec[R_AMOUNT] = guess(&h, c_amount);
        spec[R_KIND] = guess(&h, c_kind);
        spec[R_VALUE] = spec[R_KIND] ? guess(&h, c_value) : NULL;
    }
    if (o->row_ids)
        spec[R_ID] = NULL;
    else if (!spec[R_ID]) {
        rc = seg__error(rd->err, SEG_EINVAL,
                        "%s: no customer id column: set id_column (--map "
                        "id=COLUMN)", rd->name);
        goto out;
    }
    for (int r = 0; r < R_N; r++) {
        if (spec[r]) {
            rc = resolve(rd, &h, role_names[r], spec[r], &col[r]);
            if (rc)
                goto out;
            has[r] = true;
        }
    }
    bool events = has[R_KIND], txs = !events && has[R_AMOUNT];
    if ((events || txs) && !has[R_TIME]) {
        rc = seg__error(rd->err, SEG_EINVAL,
                        "%s: %s need a time column: set time_column (--map "
                        "time=COLUMN)", rd->name,
                        events ? "events" : "transactions");
        goto out;
    }
    if (o->all_attributes) {
        if (!o->has_header) {
            rc = seg__error(rd->err, SEG_EINVAL, "%s: all_attributes needs "
                            "a header", rd->name);
            goto out;
        }
        n_attrs = 0;
        for (size_t i = 0; i < h.n; i++) {
            bool role = false;
            for (int r = 0; r < R_N; r++)
                role = role || (has[r] && col[r] == i);
            n_attrs += !role;
        }
        attrs = seg__calloc(n_attrs ? n_attrs : 1, sizeof *attrs);
        if (!attrs) {
            rc = seg__nomem(rd->err);
            goto out;
        }
        size_t k = 0;
        for (size_t i = 0; i < h.n; i++) {
            bool role = false;
            for (int r = 0; r < R_N; r++)
                role = role || (has[r] && col[r] == i);
            if (role)
                continue;
            if (!*h.names[i] || !seg__utf8_valid(h.names[i],
                                                 strlen(h.names[i]))) {
                rc = seg__error(rd->err, SEG_EPARSE, "%s:1:%zu: a column "
                                "without a valid name", rd->name, i + 1);
                goto out;
            }
            attrs[k].name = h.names[i];
            attrs[k++].col = i;
        }
    } else if (n_attrs) {
        attrs = seg__calloc(n_attrs, sizeof *attrs);
        if (!attrs) {
            rc = seg__nomem(rd->err);
            goto out;
        }
        for (size_t i = 0; i < n_attrs; i++) {
            const char *nm = o->attribute_columns[i];
            if (!nm || !*nm || !seg__utf8_valid(nm, strlen(nm))) {
                rc = seg__error(rd->err, SEG_EINVAL,
                                "attribute column %zu has no valid name", i);
                goto out;
            }
            attrs[i].name = nm;
            rc = resolve(rd, &h, "attribute", nm, &attrs[i].col);
            if (rc)
                goto out;
            /* a numbered column is named by its header text when there is one */
            if (attrs[i].col < h.n)
                attrs[i].name = h.names[attrs[i].col];
        }
    }
    size_t need = 0;
    for (int r = 0; r < R_N; r++)
        if (has[r] && col[r] + 1 > need)
            need = col[r] + 1;
    for (size_t i = 0; i < n_attrs; i++)
        if (attrs[i].col + 1 > need)
            need = attrs[i].col + 1;

    const char *last_id = NULL;
    size_t last_id_n = 0;
    seg__buf last_id_buf = {NULL, 0, 0};
    uint32_t last_row = 0;
    size_t record_no = 0;
    char ex[64], msg[512];
    if (txs && !n_attrs && !o->row_ids && !rd->ws) {
        size_t size = rd->size > rd->len ? rd->size : rd->len;
        int threads = seg__threads(ds->threads, size, 4u << 20);
        if (threads > 1) {
            rc = load_tx_parallel(ds, rd, o, col, need, threads);
            if (rc != REC_MORE) /* REC_MORE: quotes ahead, go on below */
                goto out;
        }
    }
    for (;;) {
        rc = next_record(rd);
        if (rc == REC_EOF) {
            rc = SEG_OK;
            break;
        }
        if (rc != REC_OK)
            break;
        rc = SEG_OK;
        size_t ln = rd->rec_line;
        record_no++;
        if (rd->nfields < need) {
            rc = rd_error(rd, SEG_EPARSE, ln, rd->nfields + 1,
                          "expected at least %zu fields, found %zu", need,
                          rd->nfields);
            break;
        }
        field rowid;
        char rowbuf[24];
        if (o->row_ids) {
            rowid.p = rowbuf;
            rowid.n = (size_t)snprintf(rowbuf, sizeof rowbuf, "%zu",
                                       record_no);
            rowid.in_scratch = false;
        }
        const field *fid = o->row_ids ? &rowid : &rd->fields[col[R_ID]];
        uint32_t row;
        if (last_id && fid->n == last_id_n &&
            memcmp(fid->p, last_id, last_id_n) == 0) {
            row = last_row;
        } else {
            if ((rc = check_id(fid, msg, sizeof msg)) != SEG_OK) {
                rc = rd_error(rd, rc, ln, col[R_ID] + 1, "%s", msg);
                break;
            }
            rc = seg__ds_customer(ds, fid->p, fid->n, &row);
            if (rc)
                break;
            last_id_buf.len = 0;
            if (seg__buf_append(&last_id_buf, fid->p, fid->n)) {
                rc = seg__nomem(rd->err);
                break;
            }
            last_id = last_id_buf.data;
            last_id_n = fid->n;
            last_row = row;
        }
        if (events || txs) {
            int64_t t;
            if ((rc = time_value(&rd->fields[col[R_TIME]], o->time_format,
                                 &t, msg, sizeof msg)) != SEG_OK) {
                rc = rd_error(rd, rc, ln, col[R_TIME] + 1, "%s", msg);
                break;
            }
            if (txs) {
                double amount;
                if ((rc = amount_value(&rd->fields[col[R_AMOUNT]], &amount,
                                       msg, sizeof msg)) != SEG_OK) {
                    rc = rd_error(rd, rc, ln, col[R_AMOUNT] + 1, "%s", msg);
                    break;
                }
                if (ds->n_tx == ds->cap_tx && (rc = seg__ds_reserve_tx(ds, 1)))
                    break;
                seg__ds_push_tx(ds, row, t, amount);
            } else {
                const field *fk = &rd->fields[col[R_KIND]];
                if (fk->n == 0 || !seg__utf8_valid(fk->p, fk->n)) {
                    rc = rd_error(rd, SEG_EPARSE, ln, col[R_KIND] + 1,
                                  fk->n ? "event kind is not valid UTF-8"
                                        : "event kind is empty");
                    break;
                }
                double value = NAN;
                if (has[R_VALUE]) {
                    const field *fv = &rd->fields[col[R_VALUE]];
                    bool blank = true;
                    for (size_t k = 0; k < fv->n; k++)
                        blank = blank && (fv->p[k] == ' ' || fv->p[k] == '\t');
                    int vrc = blank ? SEG_OK
                                    : seg__parse_f64(fv->p, fv->n, &value);
                    if (vrc) {
                        rc = rd_error(rd, vrc, ln, col[R_VALUE] + 1,
                                      "event value '%s' is not a number",
                                      field_excerpt(ex, sizeof ex, fv));
                        break;
                    }
                }
                if ((rc = seg__ds_push_ev(ds, row, t, fk->p, fk->n, value)))
                    break;
            }
        }
        for (size_t i = 0; i < n_attrs && !rc; i++) {
            const field *fa = &rd->fields[attrs[i].col];
            if (fa->n)
                rc = stage_attr(rd, &attrs[i], row, ln, fa);
        }
        if (rc)
            break;
    }
    seg__buf_free(&last_id_buf);
    for (size_t i = 0; i < n_attrs && !rc; i++)
        rc = apply_attr(ds, rd, &attrs[i]);
out:
    if (attrs)
        for (size_t i = 0; i < n_attrs; i++)
            attr_free(&attrs[i]);
    seg__free(attrs);
    header_free(&h);
    return rc;
}

/* ---- transactions on several threads ----
 *
 * The input goes in batches of whole lines (mapped from a regular file,
 * else read or sliced). A batch is cut into a few parts a thread at line
 * ends; the threads take parts in turn, split their lines into fields and
 * parse them. This thread then adds the batch's customers in file order
 * (rows are numbered in order of appearance, so that part stays serial)
 * while the others copy its times and amounts into place and parse the
 * next batch, and the batch after that is read. The first error in file
 * order is reported, with the message the sequential loader gives. A
 * quote in a batch could hide a line break inside a field, so the
 * sequential loader takes over from that batch on. */

#define BATCH (16u << 20)

typedef struct tx_part {
    const char *p, *e;          /* its lines */
    char delim;
    size_t need, col_id, col_time, col_amount;
    int time_format;
    field *f;                   /* need fields of the current line */
    /* runs of records of one customer: id p[off .. off + len), its hash,
     * and how many records; then the records' times and amounts */
    uint32_t *off, *len, *hash, *count;
    size_t runs, cap_runs;
    int64_t *t;
    double *a;
    size_t n, cap;
    size_t lines;               /* lines it holds (up to the error) */
    int64_t max_t;              /* its latest time */
    size_t dst;                 /* where its records go in the dataset */
    int rc;                     /* the first error: at line `lines` */
    size_t err_col;
    char msg[512];
} tx_part;

/* Room for one more record, and one more run. */
static bool part_reserve(tx_part *w)
{
    if (w->n == w->cap) {
        size_t c1 = w->cap, c2 = w->cap;
        if (seg__grow((void **)&w->t, &c1, w->n + 1, sizeof *w->t) ||
            seg__grow((void **)&w->a, &c2, w->n + 1, sizeof *w->a))
            return false;
        w->cap = c1 < c2 ? c1 : c2;
    }
    if (w->runs == w->cap_runs) {
        size_t c1 = w->cap_runs, c2 = c1, c3 = c1, c4 = c1;
        if (seg__grow((void **)&w->off, &c1, w->runs + 1, sizeof *w->off) ||
            seg__grow((void **)&w->len, &c2, w->runs + 1, sizeof *w->len) ||
            seg__grow((void **)&w->hash, &c3, w->runs + 1, sizeof *w->hash) ||
            seg__grow((void **)&w->count, &c4, w->runs + 1, sizeof *w->count))
            return false;
        w->cap_runs = c1 < c2 ? c1 : c2;
        w->cap_runs = w->cap_runs < c3 ? w->cap_runs : c3;
        w->cap_runs = w->cap_runs < c4 ? w->cap_runs : c4;
    }
    return true;
}

/* Whether n bytes at a and b are equal: short ids compared in words. */
static inline bool same_bytes(const char *a, const char *b, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t x, y, u, v;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        memcpy(&u, a + n - 8, 8);
        memcpy(&v, b + n - 8, 8);
        return x == y && u == v;
    }
    return memcmp(a, b, n) == 0;
}

/* Bit i of *sep is set when p[i] (i < 64) is the delimiter or a line
 * feed, bit i of *nl when it is a line feed; the result is whether any of
 * the 64 bytes is a quote. */
static inline bool separators64(const char *p, char delim, uint64_t *sep,
                                uint64_t *nl)
{
#if defined(__SSE2__)
    const __m128i d = _mm_set1_epi8(delim), n = _mm_set1_epi8('\n'),
                  q = _mm_set1_epi8('"');
    uint64_t ms = 0, mn = 0;
    int quote = 0;
    for (int i = 0; i < 4; i++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
        uint64_t a = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, n));
        uint64_t b = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, d));
        quote |= _mm_movemask_epi8(_mm_cmpeq_epi8(x, q));
        mn |= a << (16 * i);
        ms |= (a | b) << (16 * i);
    }
    *sep = ms;
    *nl = mn;
    return quote != 0;
#else
    uint64_t ms = 0, mn = 0;
    bool quote = false;
    for (int i = 0; i < 64; i++) {
        uint64_t bit = (uint64_t)1 << i;
        mn |= p[i] == '\n' ? bit : 0;
        ms |= p[i] == '\n' || p[i] == delim ? bit : 0;
        quote |= p[i] == '"';
    }
    *sep = ms;
    *nl = mn;
    return quote;
#endif
}

/* One line's fields are in w->f (the first `need` of nf): parse the
 * record. false (w->rc set) on an error. */
static bool part_record(tx_part *w, size_t nf, const char **last_id,
                        size_t *last_n)
{
    if (nf <= w->need && w->f[nf - 1].n &&
        w->f[nf - 1].p[w->f[nf - 1].n - 1] == '\r')
        w->f[nf - 1].n--; /* a CRLF line end */
    if (nf == 1 && w->f[0].n == 0)
        return true; /* an empty line */
    if (nf < w->need) {
        w->rc = SEG_EPARSE;
        w->err_col = nf + 1;
        snprintf(w->msg, sizeof w->msg,
                 "expected at least %zu fields, found %zu", w->need, nf);
        return false;
    }
    if (!part_reserve(w)) {
        w->rc = SEG_ENOMEM;
        return false;
    }
    const field *fid = &w->f[w->col_id];
    if (!(*last_id && fid->n == *last_n &&
          same_bytes(fid->p, *last_id, *last_n))) {
        if ((w->rc = check_id(fid, w->msg, sizeof w->msg)) != SEG_OK) {
            w->err_col = w->col_id + 1;
            return false;
        }
        *last_id = fid->p;
        *last_n = fid->n;
        w->off[w->runs] = (uint32_t)(fid->p - w->p);
        w->len[w->runs] = (uint32_t)fid->n;
        w->hash[w->runs] = (uint32_t)seg__hash(fid->p, fid->n);
        w->count[w->runs++] = 0;
    }
    /* straight to the parsers; on a failure, again for the message */
    const field *ft = &w->f[w->col_time], *fa = &w->f[w->col_amount];
    if (seg_time_parse(&w->t[w->n], ft->p, ft->n, w->time_format) &&
        (w->rc = time_value(ft, w->time_format, &w->t[w->n], w->msg,
                            sizeof w->msg))) {
        w->err_col = w->col_time + 1;
        return false;
    }
    if (seg__parse_f64(fa->p, fa->n, &w->a[w->n]) &&
        (w->rc = amount_value(fa, &w->a[w->n], w->msg, sizeof w->msg))) {
        w->err_col = w->col_amount + 1;
        return false;
    }
    w->max_t = w->t[w->n] > w->max_t ? w->t[w->n] : w->max_t;
    w->count[w->runs - 1]++;
    w->n++;
    return true;
}

/* Split a part's lines into fields, 64 bytes at a time: a bit mask of the
 * separators, walked bit by bit. */
static void *parse_part(void *arg)
{
    tx_part *w = arg;
    const char *base = w->p, *last_id = NULL;
    size_t len = (size_t)(w->e - w->p), last_n = 0, s = 0, nf = 0;
    w->runs = 0;
    w->n = 0;
    w->lines = 0;
    w->max_t = INT64_MIN;
    w->rc = SEG_OK;
    for (size_t blk = 0; blk < len; blk += 64) {
        uint64_t sep, nl;
        bool quote;
        if (len - blk >= 64) {
            quote = separators64(base + blk, w->delim, &sep, &nl);
        } else {
            char tail[64] = {0}; /* NUL is neither separator */
            memcpy(tail, base + blk, len - blk);
            quote = separators64(tail, w->delim, &sep, &nl);
        }
        if (quote) { /* a field could hold a line feed: not for us */
            w->rc = REC_MORE;
            return NULL;
        }
        while (sep) {
            unsigned k = (unsigned)__builtin_ctzll(sep);
            sep &= sep - 1;
            size_t at = blk + k;
            if (nf < w->need) {
                w->f[nf].p = base + s;
                w->f[nf].n = at - s;
            }
            nf++;
            s = at + 1;
            if (nl >> k & 1) {
                if (!part_record(w, nf, &last_id, &last_n))
                    return NULL;
                w->lines++;
                nf = 0;
            }
        }
    }
    if (s < len || nf) { /* a last line without a line feed */
        if (nf < w->need) {
            w->f[nf].p = base + s;
            w->f[nf].n = len - s;
        }
        if (!part_record(w, nf + 1, &last_id, &last_n))
            return NULL;
        w->lines++;
    }
    return NULL;
}

/* Add one batch's parsed records, in file order: their customers (which
 * takes this thread, since rows are numbered in order of appearance);
 * their times and amounts are copied by copy_part(), which other threads
 * may do meanwhile, to the places set here. */
/* Room for a batch's records, and each part's place: before any copy
 * starts, since making room may move the arrays. */
static int place_parts(seg_dataset *ds, tx_part *parts, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        parts[i].dst = ds->n_tx + total;
        total += parts[i].n;
    }
    if (ds->cap_tx - ds->n_tx < total && seg__ds_reserve_tx(ds, total))
        return SEG_ENOMEM;
    return SEG_OK;
}

static int add_parts(seg_dataset *ds, tx_part *parts, int n)
{
    for (int i = 0; i < n; i++) {
        tx_part *w = &parts[i];
        size_t at = w->dst;
        for (size_t r = 0; r < w->runs; r++) {
#if defined(__GNUC__)
            /* the hash slot of a customer a few runs ahead: new customers
             * miss the cache, so ask for it early */
            if (r + 8 < w->runs && ds->ids.nslots)
                __builtin_prefetch(&ds->ids.slots[w->hash[r + 8] &
                                                  (ds->ids.nslots - 1)]);
#endif
            uint32_t row;
            int rc = seg__ds_customer_h(ds, w->p + w->off[r], w->len[r],
                                        w->hash[r], &row);
            if (rc)
                return rc;
            if (at && row < ds->tx_cust[at - 1])
                ds->tx_grouped = false;
            for (size_t end = at + w->count[r]; at < end; at++)
                ds->tx_cust[at] = row;
        }
        if (w->n && w->max_t > ds->max_time)
            ds->max_time = w->max_t;
        ds->n_tx = at;
    }
    return SEG_OK;
}

static void copy_part(seg_dataset *ds, const tx_part *w)
{
    if (!w->n)
        return;
    memcpy(ds->tx_time + w->dst, w->t, w->n * sizeof *w->t);
    memcpy(ds->tx_amount + w->dst, w->a, w->n * sizeof *w->a);
}

/* A batch of whole lines and its parts. In file mode its bytes are its
 * own (mem), so that the reader can go on while it is being added. */
typedef struct tx_batch {
    char *mem;
    size_t cap;
    void *map;                  /* or a mapping of the file */
    size_t map_len;
    off_t off;                  /* its offset in the file (mapped) */
    const char *b, *e;
    size_t line;                /* the line it starts at */
    int nparts;                 /* a few a thread, taken in turn */
    atomic_int next;            /* the next part to take */
    struct tx_batch *copy;      /* a batch whose records to copy first */
    atomic_int next_copy;       /* and the next of its parts to copy */
    seg_dataset *ds;
    tx_part parts[SEG__MAX_THREADS];
    seg__jobs jobs;
} tx_batch;

/* Parse parts of a batch until none is left. */
static void *parse_parts(void *arg)
{
    tx_batch *bt = arg;
    if (bt->copy) /* the batch before, once added: its copies come first */
        for (int i = atomic_fetch_add(&bt->next_copy, 1); i < bt->nparts;
             i = atomic_fetch_add(&bt->next_copy, 1))
            copy_part(bt->ds, &bt->copy->parts[i]);
    for (int i = atomic_fetch_add(&bt->next, 1); i < bt->nparts;
         i = atomic_fetch_add(&bt->next, 1))
        parse_part(&bt->parts[i]);
    return NULL;
}

/* Parse a batch on `helpers` threads, and on this one when it calls
 * parse_parts() itself. */
static void start_batch(tx_batch *bt, int helpers)
{
    atomic_store(&bt->next, 0);
    seg__jobs_start(&bt->jobs, parse_parts, bt, 0, helpers);
}

/* Take the next batch from the reader: SEG_OK (b == e at the end),
 * REC_MORE when a line is longer than a batch, or an error. (A quote is
 * found while the batch is parsed.) */
static void unmap_batch(tx_batch *bt)
{
    if (bt->map)
        munmap(bt->map, bt->map_len);
    bt->map = NULL;
}

/* A regular file is mapped a batch at a time rather than copied: from the
 * offset of the reader's next byte on. */
static void start_mapping(reader *rd)
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

static int next_batch_mapped(reader *rd, tx_batch *bt)
{
    unmap_batch(bt);
    bt->b = bt->e = NULL;
    if ((size_t)rd->map_off >= rd->size)
        return SEG_OK; /* the end */
    long page = sysconf(_SC_PAGESIZE);
    off_t start = rd->map_off / page * page;
    size_t lead = (size_t)(rd->map_off - start);
    size_t want = rd->size - (size_t)rd->map_off;
    want = want > BATCH ? BATCH : want;
    int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
    flags |= MAP_POPULATE;
#endif
    void *m = mmap(NULL, lead + want, PROT_READ, flags, rd->map_fd, start);
    if (m == MAP_FAILED)
        return seg__error(rd->err, SEG_EIO, "%s: cannot map: %s", rd->name,
                          strerror(errno));
    bt->map = m;
    bt->map_len = lead + want;
    bt->off = rd->map_off;
    const char *b = (const char *)m + lead, *e = b + want;
    if ((size_t)rd->map_off + want < rd->size) { /* whole lines only */
        while (e > b && e[-1] != '\n')
            e--;
        if (e == b)
            return REC_MORE; /* a line longer than a batch */
    }
    bt->b = b;
    bt->e = e;
    rd->map_off += e - b;
    return SEG_OK;
}

static int next_batch(reader *rd, tx_batch *bt)
{
    const char *b, *e;
    bt->b = bt->e = NULL; /* until there is one */
    if (rd->map_fd >= 0)
        return next_batch_mapped(rd, bt);
    if (!rd->f) { /* buffer mode: a slice of the buffer */
        b = rd->data + rd->pos;
        e = rd->data + (rd->len - rd->pos > BATCH ? rd->pos + BATCH : rd->len);
        if (e < rd->data + rd->len) {
            while (e > b && e[-1] != '\n')
                e--;
            if (e == b)
                return REC_MORE;
        }
        rd->pos = (size_t)(e - rd->data);
    } else {
        /* what the reader holds (part of a line), then a batch's worth */
        size_t carry = rd->len - rd->pos;
        if (bt->cap < carry + BATCH &&
            seg__grow((void **)&bt->mem, &bt->cap, carry + BATCH, 1))
            return seg__nomem(rd->err);
        if (carry)
            memcpy(bt->mem, rd->data + rd->pos, carry);
        size_t got = rd->eof ? 0 : fread(bt->mem + carry, 1, BATCH, rd->f);
        if (got < BATCH && !rd->eof) {
            if (ferror(rd->f))
                return seg__error(rd->err, SEG_EIO, "%s: read error: %s",
                                  rd->name, strerror(errno));
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
            return seg__nomem(rd->err);
        memcpy(rd->buf, cut, rest);
        rd->data = rd->buf;
        rd->pos = 0;
        rd->len = rest;
        e = cut;
        if (e == b && rest)
            return REC_MORE; /* a line longer than a batch */
    }
    bt->b = b;
    bt->e = e;
    return SEG_OK;
}

/* Give the reader back a batch it has not parsed, in front of what it
 * holds, for the sequential loader. */
static int unread_batch(reader *rd, const tx_batch *bt)
{
    if (rd->map_fd >= 0) { /* read on from the batch's offset */
        if (fseeko(rd->f, bt->off, SEEK_SET))
            return seg__error(rd->err, SEG_EIO, "%s: cannot seek: %s",
                              rd->name, strerror(errno));
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
        return seg__nomem(rd->err);
    memmove(rd->buf + n, rd->buf + rd->pos, carry);
    memcpy(rd->buf, bt->b, n);
    rd->data = rd->buf;
    rd->pos = 0;
    rd->len = n + carry;
    return SEG_OK;
}

/* Cut a batch into parts at line ends. */
static void split_batch(tx_batch *bt)
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

/* The first error of a parsed batch, in file order, reported; else the
 * line after it. REC_MORE when a part met a quote: then the batch is the
 * sequential loader's, errors and all. */
static int batch_result(reader *rd, const tx_batch *bt, size_t *next_line)
{
    size_t line = bt->line;
    for (int i = 0; i < bt->nparts; i++)
        if (bt->parts[i].rc == REC_MORE)
            return REC_MORE;
    for (int i = 0; i < bt->nparts; i++) {
        const tx_part *w = &bt->parts[i];
        if (w->rc == SEG_ENOMEM)
            return seg__nomem(rd->err);
        if (w->rc)
            return rd_error(rd, w->rc, line + w->lines, w->err_col, "%s",
                            w->msg);
        line += w->lines;
    }
    *next_line = line;
    return SEG_OK;
}

static int load_tx_parallel(seg_dataset *ds, reader *rd,
                            const seg_csv_options *o, const size_t *col,
                            size_t need, int threads)
{
    tx_batch *bt = seg__calloc(3, sizeof *bt);
    if (!bt)
        return seg__nomem(rd->err);
    int rc = SEG_OK, nparts = threads * 4 < SEG__MAX_THREADS ? threads * 4
                                                            : SEG__MAX_THREADS;
    for (int k = 0; k < 3; k++) {
        bt[k].nparts = nparts;
        for (int i = 0; i < nparts && !rc; i++) {
            tx_part *w = &bt[k].parts[i];
            w->delim = rd->delim;
            w->need = need;
            w->col_id = col[R_ID];
            w->col_time = col[R_TIME];
            w->col_amount = col[R_AMOUNT];
            w->time_format = o->time_format;
            if (!(w->f = seg__malloc(need * sizeof *w->f)))
                rc = seg__nomem(rd->err);
        }
    }
    /* the first batch alone; then each batch is parsed while the one
     * before it is added and the one after it is read */
    tx_batch *cur = &bt[0], *nx = &bt[1], *nn = &bt[2];
    size_t line = rd->line;
    start_mapping(rd);
    if (!rc) {
        cur->line = line;
        rc = next_batch(rd, cur);
        if (rc == REC_MORE) {
            int u = unread_batch(rd, cur);
            rc = u ? u : REC_MORE;
        }
    }
    if (!rc && cur->b < cur->e) {
        split_batch(cur);
        start_batch(cur, threads - 1);
        parse_parts(cur);
        seg__jobs_wait(&cur->jobs);
        rc = batch_result(rd, cur, &line);
        if (rc == REC_MORE) {
            int u = unread_batch(rd, cur);
            rc = u ? u : REC_MORE;
        }
        /* room for all the transactions, as many as the first batch
         * promises for the whole input: growing by doubling would copy
         * them, and pages never written take no memory */
        size_t bytes = (size_t)(cur->e - cur->b), recs = 0, runs = 0;
        size_t id_bytes = 0;
        for (int i = 0; i < nparts; i++) {
            recs += cur->parts[i].n;
            runs += cur->parts[i].runs;
            for (size_t r = 0; r < cur->parts[i].runs; r++)
                id_bytes += cur->parts[i].len[r];
        }
        if (!rc && rd->size > bytes && bytes) {
            double scale = (double)rd->size / (double)bytes * 1.05;
            if ((double)recs * scale < 1e10)
                seg__ds_reserve_tx_hint(ds, (size_t)((double)recs * scale));
            /* and for the customers, when they come grouped (then runs of
             * records are customers): no rehashing as they arrive */
            if (runs * 2 <= recs && (double)runs * scale < 1e9)
                seg__intern_reserve(&ds->ids, (size_t)((double)runs * scale),
                                    (size_t)((double)id_bytes * scale));
        }
    }
    int nrc = SEG_OK;
    if (!rc && cur->b < cur->e) {
        nx->line = line;
        nrc = next_batch(rd, nx);
    }
    while (!rc && cur->b < cur->e) {
        bool parsing = !nrc && nx->b < nx->e, ahead = false;
        int nnrc = SEG_OK;
        if ((rc = place_parts(ds, cur->parts, nparts)) != SEG_OK)
            break;
        if (parsing) { /* the helpers copy this batch, then parse the next */
            split_batch(nx);
            nx->copy = cur;
            nx->ds = ds;
            atomic_store(&nx->next_copy, 0);
            start_batch(nx, threads - 1);
            nnrc = next_batch(rd, nn); /* meanwhile, the one after */
            ahead = true;
        }
        rc = add_parts(ds, cur->parts, nparts);
        if (parsing) {
            parse_parts(nx); /* what the helpers have not taken yet */
            seg__jobs_wait(&nx->jobs);
        } else {
            for (int i = 0; i < nparts; i++)
                copy_part(ds, &cur->parts[i]);
        }
        cur->b = cur->e = NULL;
        if (!rc && parsing) {
            rc = batch_result(rd, nx, &line);
        } else if (!rc) {
            rc = nrc;
        }
        if (rc == REC_MORE) { /* the reader goes on from nx alone */
            rd->line = nx->line;
            /* what was read after nx goes back first, then nx */
            int u = ahead ? unread_batch(rd, nn) : SEG_OK;
            if (!u)
                u = unread_batch(rd, nx);
            rc = u ? u : REC_MORE;
            line = rd->line;
        }
        if (!rc && ahead)
            nn->line = line;
        tx_batch *t = cur;
        cur = nx;
        nx = nn;
        nn = t;
        nrc = nnrc;
        if (!rc && !ahead)
            break; /* nothing was read ahead: cur is the end */
    }
    if (rc != REC_MORE)
        rd->line = line;
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < nparts; i++) {
            tx_part *w = &bt[k].parts[i];
            seg__free(w->f);
            seg__free(w->off);
            seg__free(w->len);
            seg__free(w->hash);
            seg__free(w->count);
            seg__free(w->t);
            seg__free(w->a);
        }
        seg__free(bt[k].mem);
        unmap_batch(&bt[k]);
    }
    seg__free(bt);
    return rc == SEG_ENOMEM ? seg__nomem(rd->err) : rc;
}

void seg_csv_options_init(seg_csv_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->has_header = 1;
    o->time_format = SEG_TIME_AUTO;
}

static int load_common(seg_dataset *ds, reader *rd,
                       const seg_csv_options *opts)
{
    seg_csv_options o;
    seg_csv_options_init(&o);
    if (opts && seg__copy_opts(&o, sizeof o, opts))
        return seg__error(&ds->err, SEG_EINVAL, "seg_csv_options.size is 0: "
                          "call seg_csv_options_init()");
    if (o.delimiter != 0 && o.delimiter != ',' && o.delimiter != '\t' &&
        o.delimiter != ';' && o.delimiter != ' ')
        return seg__error(&ds->err, SEG_EINVAL,
                          "unsupported delimiter (use ',', tab, ';' or ' ')");
    if (o.time_format < SEG_TIME_AUTO || o.time_format > SEG_TIME_EPOCH)
        return seg__error(&ds->err, SEG_EINVAL, "unknown time format %d",
                          o.time_format);
    if (o.n_attribute_columns && !o.attribute_columns)
        return seg__error(&ds->err, SEG_EINVAL,
                          "attribute_columns is NULL but n_attribute_columns "
                          "is %zu", o.n_attribute_columns);
    rd->line = 1;
    rd->err = &ds->err;
    seg__ds_mark(ds);
    int rc = load(ds, rd, &o);
    if (rc) {
        seg__ds_rollback(ds);
        if (rc == SEG_ENOMEM)
            seg__nomem(&ds->err);
    } else {
        seg__ds_commit(ds);
    }
    seg__free(rd->fields);
    seg__buf_free(&rd->scratch);
    return rc;
}

int seg_dataset_load_csv(seg_dataset *ds, const char *path,
                         const seg_csv_options *opts)
{
    if (!ds || !path)
        return seg__error(ds ? &ds->err : NULL, SEG_EINVAL,
                          "seg_dataset_load_csv: NULL argument");
    reader rd;
    memset(&rd, 0, sizeof rd);
    rd.name = path;
    rd.f = fopen(path, "rb");
    if (!rd.f)
        return seg__error(&ds->err, SEG_EIO, "%s: cannot open: %s", path,
                          strerror(errno));
    struct stat st;
    if (fstat(fileno(rd.f), &st) == 0 && st.st_size > 0)
        rd.size = (size_t)st.st_size;
    int rc = load_common(ds, &rd, opts);
    fclose(rd.f);
    seg__free(rd.buf);
    return rc;
}

int seg_dataset_load_csv_buffer(seg_dataset *ds, const char *data, size_t len,
                                const char *name, const seg_csv_options *opts)
{
    if (!ds || (!data && len))
        return seg__error(ds ? &ds->err : NULL, SEG_EINVAL,
                          "seg_dataset_load_csv_buffer: NULL argument");
    reader rd;
    memset(&rd, 0, sizeof rd);
    rd.name = name ? name : "<buffer>";
    rd.data = data ? data : "";
    rd.len = len;
    rd.eof = true;
    return load_common(ds, &rd, opts);
}
