/* The allocator hooks and the growable buffers built on them. */
#define _DEFAULT_SOURCE /* madvise */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "core/internal.h"

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
    void *p = g_alloc.malloc_fn(n ? n : 1, g_alloc.user_data);
    if (g_alloc.malloc_fn == default_malloc)
        seg__advise_random(p, n);
    return p;
}

void *seg__calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    size_t n = count * size;
    if (g_alloc.malloc_fn == default_malloc) {
        /* the C library's: fresh pages from the system are not written
         * again, nor touched before their first use */
        mark_used();
        void *p = calloc(n ? n : 1, 1);
        seg__advise_random(p, n);
        return p;
    }
    void *p = seg__malloc(n);
    if (p)
        memset(p, 0, n);
    return p;
}

void *seg__realloc(void *p, size_t n)
{
    mark_used();
    void *np = g_alloc.realloc_fn(p, n ? n : 1, g_alloc.user_data);
    if (g_alloc.realloc_fn == default_realloc)
        seg__advise_random(np, n);
    return np;
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

void seg__advise_random(void *p, size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    static atomic_size_t page_size;
    if (!p || bytes < (size_t)2 << 20)
        return;
    size_t ps = atomic_load_explicit(&page_size, memory_order_relaxed);
    if (!ps) {
        long v = sysconf(_SC_PAGESIZE);
        ps = v > 0 ? (size_t)v : 4096;
        atomic_store_explicit(&page_size, ps, memory_order_relaxed);
    }
    /* the pages that hold the block, all mapped since the block is: the
     * system backs with huge pages the aligned 2 MiB inside them */
    uintptr_t b = (uintptr_t)p & ~(uintptr_t)(ps - 1);
    uintptr_t e = ((uintptr_t)p + bytes + ps - 1) & ~(uintptr_t)(ps - 1);
    (void)madvise((void *)b, e - b, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
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
