/* The model file: a versioned, checksummed text of kind, name,
 * parameters and state, and the "KEY n1 n2 ..." state lines of the
 * built-in kinds. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/struct.h"

#define FORMAT_VERSION 1
#define MAX_MODEL_FILE (64u << 20)

/* The state as a kind's save writes it; a failed write there can only be
 * out of memory, which the kind reports as a failed write (SEG_EIO). */
typedef struct state_sink {
    seg__buf b;
    bool nomem;
} state_sink;

static int sink_write(const char *data, size_t len, void *user)
{
    state_sink *s = user;
    if (seg__buf_append(&s->b, data, len)) {
        s->nomem = true;
        return -1;
    }
    return 0;
}

static int put_quoted(seg__buf *b, const char *s)
{
    int rc = seg__buf_append(b, "\"", 1);
    for (; !rc && *s; s++) {
        const char *esc = *s == '"' ? "\\\"" : *s == '\\' ? "\\\\"
                        : *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : NULL;
        rc = esc ? seg__buf_append(b, esc, 2) : seg__buf_append(b, s, 1);
    }
    return rc ? rc : seg__buf_append(b, "\"", 1);
}

static int put_text(seg__buf *b, const char *s)
{
    return seg__buf_append(b, s, strlen(s));
}

static int produce_buf(seg_write_fn write, void *write_user, void *ctx)
{
    const seg__buf *b = ctx;
    return write(b->data, b->len, write_user) ? SEG_EIO : SEG_OK;
}

int seg_model_save(const seg_model *m, const char *path)
{
    if (!m || !path)
        return seg__model_error(m, SEG_EINVAL, "model or path is NULL");
    if (!m->fitted)
        return seg__model_error(m, SEG_EMISUSE, "model '%s' is not fitted",
                                m->name);
    seg__buf b = {NULL, 0, 0};
    state_sink sink = {{NULL, 0, 0}, false};
    seg__buf *const state = &sink.b;
    char line[128];
    snprintf(line, sizeof line, "# libsegment model\nformat %d\nkind %s\n",
             FORMAT_VERSION, m->k->cls.kind);
    int rc = put_text(&b, line) || put_text(&b, "name ") ||
             put_quoted(&b, m->name) || put_text(&b, "\n");
    for (size_t i = 0; i < m->k->n_params && !rc; i++) {
        const seg_param_def *d = &m->k->params[i];
        rc = put_text(&b, "param ") || put_text(&b, d->name) ||
             put_text(&b, " ");
        if (!rc && d->type == SEG_PARAM_STR) {
            rc = put_quoted(&b, m->str[i]);
        } else if (!rc) {
            char num[40];
            seg__format_f64(num, m->num[i]);
            rc = put_text(&b, num);
        }
        if (!rc)
            rc = put_text(&b, "\n");
    }
    if (rc) {
        seg__buf_free(&b);
        return seg__nomem(&m->err);
    }
    if (m->k->cls.save) {
        int src = m->k->cls.save(m->state, m, sink_write, &sink,
                                 m->k->user_data);
        if (src) {
            seg__buf_free(&b);
            seg__buf_free(state);
            if (sink.nomem || src == SEG_ENOMEM)
                return seg__nomem(&m->err);
            return seg__model_error(m, src, "model '%s': saving its state "
                                    "failed", m->name);
        }
    }
    snprintf(line, sizeof line, "state %zu\n", state->len);
    rc = put_text(&b, line) ||
         (state->len && seg__buf_append(&b, state->data, state->len)) ||
         put_text(&b, "\n");
    seg__buf_free(state);
    if (!rc) {
        snprintf(line, sizeof line, "end %016" PRIx64 "\n",
                 seg__hash(b.data, b.len));
        rc = put_text(&b, line);
    }
    if (rc) {
        seg__buf_free(&b);
        return seg__nomem(&m->err);
    }
    rc = seg__write_atomic(&m->err, path, produce_buf, &b);
    seg__buf_free(&b);
    return rc;
}

typedef struct lexer {
    const char *p, *end, *path;
    size_t line;
} lexer;

static int bad(const lexer *lx, const char *what)
{
    return seg__error(NULL, SEG_EPARSE, "%s:%zu: %s", lx->path, lx->line,
                      what);
}

/* Next line, without its '\n'. */
static bool next_line(lexer *lx, const char **s, size_t *n)
{
    if (lx->p >= lx->end)
        return false;
    const char *nl = memchr(lx->p, '\n', (size_t)(lx->end - lx->p));
    if (!nl)
        nl = lx->end;
    *s = lx->p;
    *n = (size_t)(nl - lx->p);
    lx->p = nl < lx->end ? nl + 1 : nl;
    lx->line++;
    return true;
}

static int unquote(const char *s, size_t n, char **out)
{
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return SEG_EPARSE;
    char *d = seg__malloc(n);
    if (!d)
        return SEG_ENOMEM;
    size_t w = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        char c = s[i];
        if (c == '\\') {
            if (i + 2 >= n) {
                seg__free(d);
                return SEG_EPARSE;
            }
            c = s[++i];
            c = c == 'n' ? '\n' : c == 'r' ? '\r' : c;
        } else if (c == '"') {
            seg__free(d);
            return SEG_EPARSE;
        }
        d[w++] = c;
    }
    d[w] = '\0';
    *out = d;
    return SEG_OK;
}

static bool starts(const char *s, size_t n, const char *word)
{
    size_t l = strlen(word);
    return n > l && memcmp(s, word, l) == 0 && s[l] == ' ';
}

static int read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return seg__error(NULL, SEG_EIO, "%s: cannot open: %s", path,
                          strerror(errno));
    seg__buf b = {NULL, 0, 0};
    char chunk[65536];
    size_t got;
    int rc = SEG_OK;
    while (!rc && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + got > MAX_MODEL_FILE)
            rc = seg__error(NULL, SEG_ELIMIT, "%s: larger than %u bytes",
                            path, MAX_MODEL_FILE);
        else if (seg__buf_append(&b, chunk, got))
            rc = seg__nomem(NULL);
    }
    if (!rc && ferror(f))
        rc = seg__error(NULL, SEG_EIO, "%s: read error", path);
    fclose(f);
    if (rc) {
        seg__buf_free(&b);
        return rc;
    }
    *data = b.data;
    *len = b.len;
    return SEG_OK;
}

/* Check what frames the lines: a format this library reads, and the last
 * line "end <checksum of everything before it>", which *body_end gets. */
static int check_frame(const char *path, const char *data, size_t len,
                       const char **body_end)
{
    lexer pre = {data, data + len, path, 0};
    const char *s = "";
    size_t n = 0;
    /* the version comes first: a newer format may end differently */
    bool got;
    while ((got = next_line(&pre, &s, &n)) && n > 0 && s[0] == '#')
        ;
    if (got && starts(s, n, "format")) {
        char num[16];
        size_t l = n - 7 < sizeof num - 1 ? n - 7 : sizeof num - 1;
        memcpy(num, s + 7, l);
        num[l] = '\0';
        char *e;
        long v = strtol(num, &e, 10);
        if (*e == '\0' && v > FORMAT_VERSION)
            return seg__error(NULL, SEG_EVERSION, "%s:%zu: format %ld is "
                              "newer than this library reads (%d): upgrade "
                              "libsegment", path, pre.line, v,
                              FORMAT_VERSION);
    }
    /* the last line is "end <checksum of everything before it>" */
    const char *tail = len ? data + len - 1 : data;
    if (len == 0 || *tail != '\n')
        return seg__error(NULL, SEG_EPARSE, "%s: truncated (no final 'end' "
                          "line)", path);
    const char *endline = tail;
    while (endline > data && endline[-1] != '\n')
        endline--;
    uint64_t sum;
    char hex[17];
    if ((size_t)(tail - endline) != 20 || memcmp(endline, "end ", 4) != 0)
        return seg__error(NULL, SEG_EPARSE, "%s: truncated (no final 'end' "
                          "line)", path);
    memcpy(hex, endline + 4, 16);
    hex[16] = '\0';
    char *hend;
    sum = strtoull(hex, &hend, 16);
    if (*hend || sum != seg__hash(data, (size_t)(endline - data)))
        return seg__error(NULL, SEG_EPARSE, "%s: checksum mismatch: the file "
                          "is corrupted", path);
    *body_end = endline;
    return SEG_OK;
}

/* A line "param NAME VALUE". */
static int load_param(const lexer *lx, seg_model *m, const char *s, size_t n)
{
    const char *nm = s + 6, *sp = memchr(nm, ' ', n - 6);
    if (!sp)
        return bad(lx, "expected 'param NAME VALUE'");
    char pname[128];
    size_t pl = (size_t)(sp - nm);
    if (pl >= sizeof pname)
        return bad(lx, "parameter name too long");
    memcpy(pname, nm, pl);
    pname[pl] = '\0';
    const char *val = sp + 1;
    size_t vl = (size_t)(s + n - val);
    size_t idx;
    if (seg__find_param(m, pname, &idx))
        return bad(lx, "unknown parameter");
    int rc;
    if (m->k->params[idx].type == SEG_PARAM_STR) {
        char *v;
        rc = unquote(val, vl, &v);
        if (!rc) {
            rc = seg_model_set_str(m, pname, v);
            seg__free(v);
        }
    } else {
        double v;
        rc = seg__parse_f64(val, vl, &v);
        if (!rc)
            rc = seg_model_set_f64(m, pname, v);
    }
    if (rc && rc != SEG_ENOMEM) {
        char msg[SEG__ERRMSG_MAX];
        snprintf(msg, sizeof msg, "parameter '%s': %s", pname,
                 seg_model_errmsg(m));
        rc = bad(lx, rc == SEG_EPARSE ? "bad parameter value" : msg);
    }
    return rc;
}

/* A line "state LENGTH", then the state text and a line end. */
static int load_state(lexer *lx, seg_model *m, const char *s, size_t n)
{
    char *e;
    unsigned long long sl = strtoull(s + 6, &e, 10);
    if (e != s + n || sl > (size_t)(lx->end - lx->p))
        return bad(lx, "bad state length (truncated?)");
    const char *st = lx->p;
    for (size_t i = 0; i < sl; i++)
        lx->line += st[i] == '\n';
    lx->p += sl;
    if (lx->p >= lx->end || *lx->p != '\n')
        return bad(lx, "state is not followed by a line end");
    lx->p++;
    lx->line++;
    int rc = SEG_OK;
    if (m->k->cls.load) {
        rc = m->k->cls.load(m->state, m, st, (size_t)sl, m->k->user_data);
        if (rc) {
            char msg[SEG__ERRMSG_MAX];
            snprintf(msg, sizeof msg, "%s", seg_model_errmsg(m));
            rc = seg__error(NULL, rc, "%s: state of model '%s': %s",
                            lx->path, m->name, msg);
        }
    }
    return rc;
}

/* The framework's check of a loaded state, on top of the kind's own:
 * every estimated parameter the model reports is a finite number, as a
 * fit would have left it. */
static int check_loaded(const char *path, seg_model *m)
{
    for (size_t i = 0;; i++) {
        const char *name = seg_model_result_name(m, i);
        if (!name)
            return SEG_OK;
        double v;
        if (seg_model_result_is_param(m, name) != 1 ||
            seg_model_result(m, name, &v) != SEG_OK)
            continue;
        if (!isfinite(v)) {
            char ex[64];
            return seg__error(NULL, SEG_EPARSE, "%s: state of model '%s': "
                              "parameter '%s' is not a finite number", path,
                              m->name,
                              seg__excerpt(ex, sizeof ex, name, strlen(name)));
        }
    }
}

static int load_text_(seg_model **out, const char *path, const char *data,
                      size_t len);

/* Out of memory anywhere in a load says so on the thread, as every
 * failure does, even where a helper returned the bare code. */
static int load_text(seg_model **out, const char *path, const char *data,
                     size_t len)
{
    unsigned long errors = seg__thread_error_count();
    int rc = load_text_(out, path, data, len);
    if (rc == SEG_ENOMEM && seg__thread_error_count() == errors)
        seg__nomem(NULL);
    return rc;
}

static int load_text_(seg_model **out, const char *path, const char *data,
                      size_t len)
{
    lexer lx = {data, data + len, path, 0};
    const char *endline = data + len;
    int rc = check_frame(path, data, len, &endline);
    if (rc)
        return rc;
    lx.end = endline;

    const char *s = "";
    size_t n = 0;
    seg_model *m = NULL;
    bool have_format = false, have_state = false;
    while (!rc && next_line(&lx, &s, &n)) {
        if (n == 0 || s[0] == '#')
            continue;
        if (starts(s, n, "format")) {
            char *e;
            long v = strtol(s + 7, &e, 10);
            if (e != s + n || v != FORMAT_VERSION)
                rc = bad(&lx, "bad format version");
            have_format = true;
        } else if (!have_format) {
            rc = bad(&lx, "expected 'format N' first");
        } else if (starts(s, n, "kind")) {
            if (m) {
                rc = bad(&lx, "a second 'kind' line");
                break;
            }
            char kindname[128];
            size_t kl = n - 5;
            if (kl >= sizeof kindname) {
                rc = bad(&lx, "kind name too long");
                break;
            }
            memcpy(kindname, s + 5, kl);
            kindname[kl] = '\0';
            rc = seg_model_new(&m, kindname);
            if (rc && rc != SEG_ENOMEM) {
                /* seg_errmsg() is the buffer the new message goes to */
                char msg[SEG__ERRMSG_MAX];
                snprintf(msg, sizeof msg, "%s", seg_errmsg());
                rc = seg__error(NULL, rc, "%s:%zu: %s", path, lx.line, msg);
            }
        } else if (!m) {
            rc = bad(&lx, "expected 'kind NAME'");
        } else if (starts(s, n, "name")) {
            char *v;
            rc = unquote(s + 5, n - 5, &v);
            if (rc) {
                rc = rc == SEG_ENOMEM ? seg__nomem(NULL)
                                      : bad(&lx, "bad model name");
                break;
            }
            rc = seg_model_set_name(m, v);
            seg__free(v);
            if (rc)
                rc = rc == SEG_ENOMEM ? seg__nomem(NULL)
                                      : bad(&lx, "bad model name");
        } else if (starts(s, n, "param")) {
            /* the state was read with the parameters before it: a later
             * one would leave the model fitted with a state that does not
             * match, which a save would then write */
            rc = have_state ? bad(&lx, "a 'param' line after 'state'")
                            : load_param(&lx, m, s, n);
        } else if (starts(s, n, "state")) {
            rc = load_state(&lx, m, s, n);
            have_state = !rc;
        } else {
            rc = bad(&lx, "unknown line");
        }
    }
    if (!rc && (!m || !have_state))
        rc = seg__error(NULL, SEG_EPARSE, "%s: incomplete model file (no "
                        "%s)", path, m ? "state" : "kind");
    if (!rc) {
        m->fitted = true;
        rc = check_loaded(path, m);
    }
    if (rc) {
        seg_model_free(m);
        return rc;
    }
    *out = m;
    return SEG_OK;
}

int seg_model_load(seg_model **out, const char *path)
{
    if (!out || !path)
        return seg__error(NULL, SEG_EINVAL, "seg_model_load: NULL argument");
    *out = NULL;
    char *data;
    size_t len;
    int rc = read_file(path, &data, &len);
    if (rc)
        return rc;
    if (len == 0)
        rc = seg__error(NULL, SEG_EPARSE, "%s: empty file", path);
    else
        rc = load_text(out, path, data, len);
    seg__free(data);
    return rc;
}

/* ---- the state text of the built-in models: lines "KEY n1 n2 ..." ---- */

int seg__state_put(seg_write_fn write, void *write_user, const char *key,
                   const double *v, int n)
{
    if (write(key, strlen(key), write_user))
        return SEG_EIO;
    char buf[48];
    for (int i = 0; i < n; i++) {
        buf[0] = ' ';
        size_t len = seg__format_f64(buf + 1, v[i]) + 1;
        if (write(buf, len, write_user))
            return SEG_EIO;
    }
    return write("\n", 1, write_user) ? SEG_EIO : SEG_OK;
}

int seg__state_get(const seg_model *m, const char **p, const char *end,
                   const char *key, double *v, int n, bool allow_nan)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *e = nl ? nl : end;
    size_t kl = strlen(key);
    if ((size_t)(e - *p) < kl || memcmp(*p, key, kl) != 0)
        return seg__model_error(m, SEG_EPARSE, "expected '%s'", key);
    const char *q = *p + kl;
    for (int i = 0; i < n; i++) {
        if (q >= e || *q != ' ')
            return seg__model_error(m, SEG_EPARSE, "'%s': expected %d "
                                    "numbers", key, n);
        q++;
        const char *sp = memchr(q, ' ', (size_t)(e - q));
        const char *ve = sp ? sp : e;
        bool nan = allow_nan && ve - q == 3 && memcmp(q, "nan", 3) == 0;
        if (nan)
            v[i] = NAN;
        else if (seg__parse_f64(q, (size_t)(ve - q), &v[i]) != SEG_OK)
            return seg__model_error(m, SEG_EPARSE, "'%s': bad number", key);
        q = ve;
    }
    if (q != e)
        return seg__model_error(m, SEG_EPARSE, "'%s': expected %d numbers",
                                key, n);
    *p = nl ? nl + 1 : end;
    return SEG_OK;
}
