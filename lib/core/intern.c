/* Interned strings with O(1) lookup: customer ids, event kinds, labels. */
#include <string.h>

#include "core/internal.h"

static uint64_t slot_of(uint32_t h, uint32_t i)
{
    return (uint64_t)h << 32 | (i + 1u);
}

/* Whether n bytes at a and b are equal: ids of 4 to 16 bytes in two
 * overlapping words each, without a call (a lookup's compare is mostly
 * the wait for the pool's line, and the call only adds to it). */
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
    if (n >= 4 && n < 8) {
        uint32_t x, y, u, v;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        memcpy(&u, a + n - 4, 4);
        memcpy(&v, b + n - 4, 4);
        return x == y && u == v;
    }
    return memcmp(a, b, n) == 0;
}

static bool find_h(const seg__interner *in, const char *s, size_t n,
                   uint32_t h, uint32_t *idx)
{
    if (!in->nslots)
        return false;
    size_t mask = in->nslots - 1;
    for (size_t k = h & mask;; k = (k + 1) & mask) {
        uint64_t v = in->slots[k];
        if (!v)
            return false;
        uint32_t i = (uint32_t)v - 1;
        if ((uint32_t)(v >> 32) == h && in->len[i] == n &&
            same_bytes(in->pool + in->off[i], s, n)) {
            *idx = i;
            return true;
        }
    }
}

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

void seg__intern_prefetch_slot(const seg__interner *in, uint32_t h)
{
    if (in->nslots)
        PREFETCH(&in->slots[h & (in->nslots - 1)]);
}

/* The string of the first slot a lookup of h looks at, if its hash is h. */
static bool first_probe(const seg__interner *in, uint32_t h, uint32_t *i)
{
    if (!in->nslots)
        return false;
    uint64_t v = in->slots[h & (in->nslots - 1)];
    *i = (uint32_t)v - 1;
    return v && (uint32_t)(v >> 32) == h;
}

void seg__intern_prefetch_entry(const seg__interner *in, uint32_t h)
{
    uint32_t i;
    if (first_probe(in, h, &i)) {
        PREFETCH(&in->off[i]);
        PREFETCH(&in->len[i]);
    }
}

void seg__intern_prefetch_text(const seg__interner *in, uint32_t h)
{
    uint32_t i;
    if (first_probe(in, h, &i))
        PREFETCH(in->pool + in->off[i]);
}

bool seg__intern_find(const seg__interner *in, const char *s, size_t n,
                      uint32_t *idx)
{
    return find_h(in, s, n, (uint32_t)seg__hash(s, n), idx);
}

static void place(seg__interner *in, uint32_t i)
{
    size_t mask = in->nslots - 1;
    size_t k = in->hash[i] & mask;
    while (in->slots[k])
        k = (k + 1) & mask;
    in->slots[k] = slot_of(in->hash[i], i);
}

static void rebuild_slots(seg__interner *in)
{
    memset(in->slots, 0, in->nslots * sizeof *in->slots);
    for (size_t i = 0; i < in->n; i++)
        place(in, (uint32_t)i);
}

int seg__intern_reserve(seg__interner *in, size_t more, size_t bytes)
{
    if (more > SEG__INTERN_MAX - in->n)
        return SEG_ELIMIT;
    size_t need = in->n + more;
    if (bytes + more < bytes || in->pool_len + bytes + more < in->pool_len)
        return SEG_ENOMEM;
    if (seg__grow((void **)&in->pool, &in->pool_cap,
                  in->pool_len + bytes + more, 1))
        return SEG_ENOMEM;
    if (need > in->cap) {
        size_t c1 = in->cap, c2 = in->cap, c3 = in->cap;
        if (seg__grow((void **)&in->off, &c1, need, sizeof *in->off) ||
            seg__grow((void **)&in->len, &c2, need, sizeof *in->len) ||
            seg__grow((void **)&in->hash, &c3, need, sizeof *in->hash))
            return SEG_ENOMEM; /* arrays that grew stay grown: harmless */
        in->cap = c1 < c2 ? (c1 < c3 ? c1 : c3) : (c2 < c3 ? c2 : c3);
    }
    /* keep the load factor at or below 1/2 */
    if (need * 2 > in->nslots) {
        size_t ns = in->nslots ? in->nslots : 16;
        while (ns < need * 2)
            ns *= 2;
        uint64_t *slots = seg__malloc(ns * sizeof *slots);
        if (!slots)
            return SEG_ENOMEM;
        seg__advise_random(slots, ns * sizeof *slots);
        seg__free(in->slots);
        in->slots = slots;
        in->nslots = ns;
        rebuild_slots(in);
    }
    return SEG_OK;
}

int seg__intern(seg__interner *in, const char *s, size_t n, uint32_t *idx,
                bool *added)
{
    return seg__intern_h(in, s, n, (uint32_t)seg__hash(s, n), idx, added);
}

int seg__intern_h(seg__interner *in, const char *s, size_t n, uint32_t h,
                  uint32_t *idx, bool *added)
{
    if (find_h(in, s, n, h, idx)) {
        if (added)
            *added = false;
        return SEG_OK;
    }
    if (n > UINT32_MAX)
        return SEG_ELIMIT;
    int rc = seg__intern_reserve(in, 1, n);
    if (rc)
        return rc;
    uint32_t i = (uint32_t)in->n;
    in->off[i] = in->pool_len;
    in->len[i] = (uint32_t)n;
    in->hash[i] = h;
    memcpy(in->pool + in->pool_len, s, n);
    in->pool[in->pool_len + n] = '\0';
    in->pool_len += n + 1;
    in->n++;
    place(in, i);
    *idx = i;
    if (added)
        *added = true;
    return SEG_OK;
}

void seg__intern_truncate(seg__interner *in, size_t n)
{
    if (n >= in->n)
        return;
    in->pool_len = in->off[n];
    in->n = n;
    rebuild_slots(in);
}

void seg__intern_free(seg__interner *in)
{
    seg__free(in->pool);
    seg__free(in->off);
    seg__free(in->len);
    seg__free(in->hash);
    seg__free(in->slots);
    memset(in, 0, sizeof *in);
}
