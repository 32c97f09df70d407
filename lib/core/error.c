/* Versions, status codes, and error messages per thread and per handle. */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"

/* ---- versions ---- */

unsigned seg_version_number(void) { return SEG_VERSION_NUMBER; }

const char *seg_version_string(void) { return SEG_VERSION_STRING; }

const char *seg_strerror(int code)
{
    switch (code) {
    case SEG_OK: return "success";
    case SEG_EINVAL: return "invalid argument";
    case SEG_ENOMEM: return "out of memory";
    case SEG_EIO: return "input/output error";
    case SEG_EPARSE: return "malformed input";
    case SEG_ENOTFOUND: return "not found";
    case SEG_ETYPE: return "wrong type";
    case SEG_ERANGE: return "value out of range";
    case SEG_EMISUSE: return "call made in the wrong state";
    case SEG_EEXISTS: return "name already exists";
    case SEG_ELIMIT: return "size limit exceeded";
    case SEG_EVERSION: return "unsupported format version";
    case SEG_ECONVERGE: return "fit did not converge";
    case SEG_ECANCELED: return "canceled";
    default: return "unknown error";
    }
}


/* ---- errors ---- */

static _Thread_local char t_msg[SEG__ERRMSG_MAX];
static _Thread_local bool t_has;
static _Thread_local unsigned long t_count;

const char *seg_errmsg(void) { return t_has ? t_msg : "no error"; }

void seg_error_clear(void) { t_has = false; }

bool seg__thread_has_error(void) { return t_has; }

unsigned long seg__thread_error_count(void) { return t_count; }

int seg__errbuf_init(seg__errbuf *e)
{
    e->has = false;
    e->msg[0] = '\0';
    return pthread_mutex_init(&e->lock, NULL) == 0 ? SEG_OK : SEG_ENOMEM;
}

void seg__errbuf_destroy(seg__errbuf *e) { pthread_mutex_destroy(&e->lock); }

char *seg__errbuf_copy(const seg__errbuf *h, char *out)
{
    seg__errbuf *m = (seg__errbuf *)h;
    pthread_mutex_lock(&m->lock);
    if (m->has)
        memcpy(out, m->msg, sizeof m->msg);
    else
        strcpy(out, "no error");
    pthread_mutex_unlock(&m->lock);
    return out;
}

void seg__errbuf_clear(const seg__errbuf *h)
{
    seg__errbuf *m = (seg__errbuf *)h;
    pthread_mutex_lock(&m->lock);
    m->has = false;
    pthread_mutex_unlock(&m->lock);
}

bool seg__errbuf_has(const seg__errbuf *h)
{
    seg__errbuf *m = (seg__errbuf *)h;
    pthread_mutex_lock(&m->lock);
    bool has = m->has;
    pthread_mutex_unlock(&m->lock);
    return has;
}

int seg__verror(const seg__errbuf *h, int code, const char *fmt, va_list ap)
{
    vsnprintf(t_msg, sizeof t_msg, fmt, ap);
    t_has = true;
    t_count++;
    if (h) {
        /* The handle's slot is logically mutable state of a const handle. */
        seg__errbuf *m = (seg__errbuf *)h;
        pthread_mutex_lock(&m->lock);
        memcpy(m->msg, t_msg, sizeof t_msg);
        m->has = true;
        pthread_mutex_unlock(&m->lock);
    }
    return code;
}

int seg__error(const seg__errbuf *h, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    seg__verror(h, code, fmt, ap);
    va_end(ap);
    return code;
}

int seg__nomem(const seg__errbuf *h)
{
    return seg__error(h, SEG_ENOMEM, "out of memory");
}

/* ---- threads ---- */
