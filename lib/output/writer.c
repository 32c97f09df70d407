/* The one writer: every output of the library goes through it. Bytes are
 * gathered in a growable buffer and handed to the seg_write_fn about every
 * 64 KiB; the first error sticks. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "output/internal.h"

#define SEG__W_FLUSH 65536

void seg__w_init(seg__writer *w, int format, seg_write_fn write, void *user)
{
    w->buf.data = NULL;
    w->buf.len = w->buf.cap = 0;
    w->write = write;
    w->user = user;
    w->format = format;
    w->rc = SEG_OK;
}

static void flush(seg__writer *w)
{
    if (!w->rc && w->buf.len && w->write(w->buf.data, w->buf.len, w->user) != 0)
        w->rc = SEG_EIO;
    w->buf.len = 0;
}

/* Room for n more bytes at the end of the buffer; false (w->rc set) when
 * out of memory. The buffer is flushed at 64 KiB, so it grows only for a
 * piece longer than that. */
static bool room(seg__writer *w, size_t n)
{
    if (w->buf.cap - w->buf.len > n)
        return true;
    if (w->buf.len + n + 1 < w->buf.len ||
        seg__grow((void **)&w->buf.data, &w->buf.cap, w->buf.len + n + 1,
                  1)) {
        w->rc = SEG_ENOMEM;
        return false;
    }
    return true;
}

void seg__w_raw(seg__writer *w, const char *s, size_t n)
{
    if (w->rc || !n || !room(w, n))
        return;
    memcpy(w->buf.data + w->buf.len, s, n);
    w->buf.len += n;
    if (w->buf.len >= SEG__W_FLUSH)
        flush(w);
}

void seg__w_str(seg__writer *w, const char *s) { seg__w_raw(w, s, strlen(s)); }

void seg__w_printf(seg__writer *w, const char *fmt, ...)
{
    if (w->rc)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        w->rc = SEG_ENOMEM;
        return;
    }
    size_t need = w->buf.len + (size_t)n + 1;
    if (need > w->buf.cap &&
        seg__grow((void **)&w->buf.data, &w->buf.cap, need, 1)) {
        w->rc = SEG_ENOMEM;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(w->buf.data + w->buf.len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    w->buf.len += (size_t)n;
    if (w->buf.len >= SEG__W_FLUSH)
        flush(w);
}

size_t seg__csv_text_to(char *dst, const char *s, size_t n)
{
    bool quote = false;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        memcpy(dst, s, n);
        return n;
    }
    char *p = dst;
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        *p++ = s[i];
        if (s[i] == '"')
            *p++ = '"';
    }
    *p++ = '"';
    return (size_t)(p - dst);
}

size_t seg__json_text_to(char *dst, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char *p = dst;
    *p++ = '"';
    const char *run = s, *e = s + n;
    for (; s < e; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        memcpy(p, run, (size_t)(s - run));
        p += s - run;
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        size_t len = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default: len = 6; break;
        }
        memcpy(p, esc, len);
        p += len;
        run = s + 1;
    }
    memcpy(p, run, (size_t)(e - run));
    p += e - run;
    *p++ = '"';
    return (size_t)(p - dst);
}

void seg__w_pass(seg__writer *w, const char *s, size_t n)
{
    flush(w);
    if (!w->rc && n && w->write(s, n, w->user) != 0)
        w->rc = SEG_EIO;
}

void seg__w_textn(seg__writer *w, const char *s, size_t n)
{
    if (w->rc)
        return;
    if (!s) {
        if (w->format == SEG_FORMAT_JSON)
            seg__w_raw(w, "null", 4);
        return;
    }
    if (w->format != SEG_FORMAT_JSON && w->format != SEG_FORMAT_CSV) {
        seg__w_raw(w, s, n);
        return;
    }
    if (n > (SIZE_MAX - 2) / 6 || !room(w, SEG__TEXT_MAX(n)))
        return;
    w->buf.len += w->format == SEG_FORMAT_JSON
                      ? seg__json_text_to(w->buf.data + w->buf.len, s, n)
                      : seg__csv_text_to(w->buf.data + w->buf.len, s, n);
    if (w->buf.len >= SEG__W_FLUSH)
        flush(w);
}

void seg__w_text(seg__writer *w, const char *s)
{
    seg__w_textn(w, s, s ? strlen(s) : 0);
}

void seg__w_num(seg__writer *w, double v)
{
    if (w->rc)
        return;
    bool json = w->format == SEG_FORMAT_JSON;
    if (isnan(v) || (json && isinf(v))) {
        if (json)
            seg__w_raw(w, "null", 4);
        return;
    }
    /* formatted in place: the longest text is 24 bytes and a NUL */
    if (!room(w, 40))
        return;
    w->buf.len += seg__format_f64(w->buf.data + w->buf.len, v);
    if (w->buf.len >= SEG__W_FLUSH)
        flush(w);
}

int seg__w_finish(seg__writer *w, const seg__errbuf *err)
{
    flush(w);
    seg__buf_free(&w->buf);
    if (w->rc == SEG_ENOMEM)
        return seg__nomem(err);
    if (w->rc)
        return seg__error(err, w->rc, "the writer stopped");
    return SEG_OK;
}
