/* Status codes, error messages, versions and allocator hooks. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

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
    default: return "unknown error";
    }
}

/* ---- allocator ---- */

static void *default_malloc(size_t n, void *u) { (void)u; return malloc(n); }
static void *default_realloc(void *p, size_t n, void *u)
{
    (void)u;
    return realloc(p, n);
}
static void default_free(void *p, void *u) { (void)u; free(p); }

static seg_allocator g_alloc = {sizeof(seg_allocator), default_malloc,
                                default_realloc, default_free, NULL};
static atomic_bool g_alloc_used;

void seg_allocator_init(seg_allocator *a)
{
    if (!a)
        return;
    memset(a, 0, sizeof *a);
    a->size = sizeof *a;
}

int seg_config_allocator(const seg_allocator *a)
{
    if (atomic_load(&g_alloc_used))
        return seg__error(NULL, SEG_EMISUSE,
                          "allocator hooks must be set before the library "
                          "allocates anything");
    if (!a) {
        g_alloc = (seg_allocator){sizeof(seg_allocator), default_malloc,
                                  default_realloc, default_free, NULL};
        return SEG_OK;
    }
    if (a->size < sizeof(seg_allocator))
        return seg__error(NULL, SEG_EINVAL, "seg_allocator.size is %zu, "
                          "expected %zu", a->size, sizeof(seg_allocator));
    if (!a->malloc_fn || !a->realloc_fn || !a->free_fn)
        return seg__error(NULL, SEG_EINVAL,
                          "seg_allocator needs malloc_fn, realloc_fn and "
                          "free_fn");
    g_alloc = *a;
    return SEG_OK;
}

static inline void mark_used(void)
{
    if (!atomic_load_explicit(&g_alloc_used, memory_order_relaxed))
        atomic_store(&g_alloc_used, true);
}

void *seg__malloc(size_t n)
{
    mark_used();
    return g_alloc.malloc_fn(n ? n : 1, g_alloc.user_data);
}

void *seg__calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = seg__malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *seg__realloc(void *p, size_t n)
{
    mark_used();
    return g_alloc.realloc_fn(p, n ? n : 1, g_alloc.user_data);
}

void seg__free(void *p)
{
    if (p)
        g_alloc.free_fn(p, g_alloc.user_data);
}

int seg__grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return SEG_OK;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return SEG_ENOMEM;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elem)
        return SEG_ENOMEM;
    void *np = seg__realloc(*p, ncap * elem);
    if (!np)
        return SEG_ENOMEM;
    *p = np;
    *cap = ncap;
    return SEG_OK;
}

char *seg__strndup(const char *s, size_t n)
{
    char *d = seg__malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

int seg__buf_append(seg__buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 < b->len)
        return SEG_ENOMEM;
    if (seg__grow((void **)&b->data, &b->cap, b->len + n + 1, 1))
        return SEG_ENOMEM;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return SEG_OK;
}

int seg__csv_field(seg__buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n"))
        return seg__buf_append(b, s, strlen(s));
    int rc = seg__buf_append(b, "\"", 1);
    for (const char *q; !rc && (q = strchr(s, '"')); s = q + 1)
        rc = seg__buf_append(b, s, (size_t)(q - s + 1)) ||
             seg__buf_append(b, "\"", 1);
    if (!rc)
        rc = seg__buf_append(b, s, strlen(s));
    return rc ? rc : seg__buf_append(b, "\"", 1);
}

void seg__buf_free(seg__buf *b)
{
    seg__free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int seg__copy_opts(void *dst, size_t dst_size, const void *src)
{
    size_t n;
    memcpy(&n, src, sizeof n);
    if (n < sizeof(size_t))
        return SEG_EINVAL;
    memcpy((char *)dst + sizeof(size_t), (const char *)src + sizeof(size_t),
           (n < dst_size ? n : dst_size) - sizeof(size_t));
    return SEG_OK;
}

/* ---- errors ---- */

static _Thread_local char t_msg[SEG__ERRMSG_MAX];
static _Thread_local bool t_has;

const char *seg_errmsg(void) { return t_has ? t_msg : "no error"; }

void seg_error_clear(void) { t_has = false; }

int seg__errbuf_init(seg__errbuf *e)
{
    e->has = false;
    e->msg[0] = '\0';
    return pthread_mutex_init(&e->lock, NULL) == 0 ? SEG_OK : SEG_ENOMEM;
}

void seg__errbuf_destroy(seg__errbuf *e) { pthread_mutex_destroy(&e->lock); }

const char *seg__errbuf_get(const seg__errbuf *e)
{
    return e->has ? e->msg : "no error";
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

int seg__threads(int requested, size_t work, size_t min_work)
{
    long t = requested;
    if (t > 0) {
        if ((size_t)t > work)
            t = (long)work;
    } else {
        t = sysconf(_SC_NPROCESSORS_ONLN);
        if (min_work && t > 0 && (size_t)t > work / min_work)
            t = (long)(work / min_work);
    }
    return t < 1 ? 1 : t > SEG__MAX_THREADS ? SEG__MAX_THREADS : (int)t;
}

void seg__jobs_start(seg__jobs *j, void *(*fn)(void *), void *jobs,
                     size_t size, int n)
{
    j->fn = fn;
    j->jobs = jobs;
    j->size = size;
    j->n = n;
    for (int i = 0; i < n; i++)
        j->started[i] = pthread_create(&j->tid[i], NULL, fn,
                                       j->jobs + (size_t)i * size) == 0;
}

void seg__jobs_wait(seg__jobs *j)
{
    for (int i = 0; i < j->n; i++) {
        if (j->started[i])
            pthread_join(j->tid[i], NULL);
        else
            j->fn(j->jobs + (size_t)i * j->size);
    }
}

void seg__run_jobs(void *(*fn)(void *), void *jobs, size_t size, int n)
{
    seg__jobs j;
    seg__jobs_start(&j, fn, (char *)jobs + size, size, n - 1);
    fn(jobs);
    seg__jobs_wait(&j);
}
