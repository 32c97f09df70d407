/* Interned strings with O(1) lookup: customer ids, event kinds, labels. */
#include <string.h>

#include "core/internal.h"

/* A slot's offset and length; a length of 0xFFFF or more is len[]'s. */
#define SHORT_LEN 0xFFFFu
#define MAX_POOL ((size_t)1 << 47)

/* A short string is kept in its slot itself, in place of its offset and
 * length (whose top bit, for a pool below 2^47 bytes, is clear), so that a
 * lookup that finds it reads its slot alone: up to 15 digits as half-bytes
 * (a digit + 1 each, the first lowest, 0 past the end), or else up to 7
 * bytes with their count. Each string has one form, so two forms are equal
 * exactly when their strings are. */
#define INLINE ((uint64_t)1 << 63)
#define INLINE_BYTES ((uint64_t)1 << 62)

static uint64_t inline_form(const char *s, size_t n)
{
    if (n == 0 || n > 15)
        return 0;
    uint64_t w = 0;
    size_t i = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            break;
        w |= (uint64_t)(d + 1) << (4 * i);
    }
    if (i == n)
        return w | INLINE;
    if (n > 7)
        return 0;
    w = 0;
    for (i = 0; i < n; i++)
        w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    return w | (uint64_t)n << 56 | INLINE_BYTES | INLINE;
}

static struct seg__intern_slot slot_of(const seg__interner *in, uint32_t i)
{
    uint32_t n = in->len[i] < SHORT_LEN ? in->len[i] : SHORT_LEN;
    uint64_t at = inline_form(in->pool + in->off[i], in->len[i]);
    return (struct seg__intern_slot){(uint64_t)in->hash[i] << 32 | (i + 1u),
                                     at ? at : (uint64_t)in->off[i] << 16 | n};
}

static size_t slot_len(const seg__interner *in,
                       const struct seg__intern_slot *sl)
{
    size_t n = sl->at & SHORT_LEN;
    return n < SHORT_LEN ? n : in->len[(uint32_t)sl->key - 1];
}

/* Whether slot sl holds s (n bytes), whose inline form is form (0: none;
 * formed false: not known yet, worked out here when needed). A string in
 * its slot is another than s unless s has that form; one in the pool,
 * unless s has none. */
static inline bool slot_holds(const seg__interner *in,
                              const struct seg__intern_slot *sl, const char *s,
                              size_t n, uint64_t *form, bool *formed)
{
    if (sl->at & INLINE) {
        if (!*formed) {
            *form = inline_form(s, n);
            *formed = true;
        }
        return sl->at == *form;
    }
    if (*formed && *form)
        return false;
    return slot_len(in, sl) == n &&
           seg__same_bytes(in->pool + (sl->at >> 16), s, n);
}

static inline bool find_form(const seg__interner *in, const char *s, size_t n,
                             uint32_t h, uint64_t form, bool formed,
                             uint32_t *idx)
{
    if (!in->nslots)
        return false;
    size_t mask = in->nslots - 1;
    for (size_t k = h & mask;; k = (k + 1) & mask) {
        const struct seg__intern_slot *sl = &in->slots[k];
        uint64_t v = sl->key;
        if (!v)
            return false;
        if ((uint32_t)(v >> 32) == h &&
            slot_holds(in, sl, s, n, &form, &formed)) {
            *idx = (uint32_t)v - 1;
            return true;
        }
    }
}

static bool find_h(const seg__interner *in, const char *s, size_t n,
                   uint32_t h, uint32_t *idx)
{
    return find_form(in, s, n, h, 0, false, idx);
}

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

static void prefetch_slot(const seg__interner *in, uint32_t h)
{
    if (in->nslots)
        PREFETCH(&in->slots[h & (in->nslots - 1)]);
}

/* The text of the first slot a lookup of h looks at, if its hash is h. */
static void prefetch_text(const seg__interner *in, uint32_t h)
{
    if (!in->nslots)
        return;
    const struct seg__intern_slot *sl = &in->slots[h & (in->nslots - 1)];
    if (sl->key && (uint32_t)(sl->key >> 32) == h && !(sl->at & INLINE))
        PREFETCH(in->pool + (sl->at >> 16));
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
    while (in->slots[k].key)
        k = (k + 1) & mask;
    in->slots[k] = slot_of(in, i);
}

static void rebuild_slots(seg__interner *in)
{
    memset(in->slots, 0, in->nslots * sizeof *in->slots);
    for (size_t i = 0; i < in->n; i++)
        place(in, (uint32_t)i);
}

/* The slots into a larger table of ns, zeroed: in the order of the old
 * table, as they are, so that both are walked nearly in order (a slot's
 * place in the new table is its place in the old or ns/2 beyond), where
 * placing the strings by index writes the new table at random and reads
 * their texts. Any order of placing gives a table that finds them all. */
static void move_slots(seg__interner *in, struct seg__intern_slot *slots,
                       size_t ns)
{
    size_t mask = ns - 1;
    for (size_t j = 0; j < in->nslots; j++) {
        const struct seg__intern_slot *sl = &in->slots[j];
        if (!sl->key)
            continue;
        size_t k = (size_t)(sl->key >> 32) & mask;
        while (slots[k].key)
            k = (k + 1) & mask;
        slots[k] = *sl;
    }
    seg__free(in->slots);
    in->slots = slots;
    in->nslots = ns;
}

/* The table twice as large in its own memory, its slots placed again in
 * it (the larger one's new half zeroed): the old half's pages are used
 * again rather than a new table's, and the two are never held at once.
 * A slot's place in the larger table is its home (hash & mask) or the
 * first free one after it. The old table's clusters (runs of full slots
 * between empty ones) are taken in turn, from just after an empty slot,
 * and each slot of a cluster in order is taken out and placed again:
 * one whose home is in the new half lands in the new half's copy of its
 * cluster; one in the old half lands at or before where it was, at the
 * first free slot from its home, and since the set of slots a cluster's
 * strings fill does not depend on their order, a subset of them fits in
 * the cluster's own span. No slot already placed has a free one between
 * its home and it, and none waits on one not yet placed, so every
 * string is found once all are placed. */
static int double_slots(seg__interner *in)
{
    size_t n = in->nslots, ns = 2 * n;
    if (ns > SIZE_MAX / sizeof *in->slots)
        return SEG_ENOMEM;
    struct seg__intern_slot *sl = seg__realloc(in->slots, ns * sizeof *sl);
    if (!sl)
        return SEG_ENOMEM; /* the table is as it was */
    memset(sl + n, 0, n * sizeof *sl);
    size_t mask = ns - 1, start = 0;
    while (sl[start].key) /* the load factor leaves a free slot */
        start++;
    for (size_t step = 1; step <= n; step++) {
        size_t j = (start + step) & (n - 1);
        uint64_t key = sl[j].key;
        if (!key)
            continue;
        size_t k = (size_t)(key >> 32) & mask;
        if (k == j)
            continue; /* at its home: it stays */
        struct seg__intern_slot moved = sl[j];
        sl[j].key = 0;
        while (sl[k].key)
            k = (k + 1) & mask;
        sl[k] = moved;
    }
    in->slots = sl;
    in->nslots = ns;
    return SEG_OK;
}

int seg__intern_reserve(seg__interner *in, size_t more, size_t bytes)
{
    if (more > SEG__INTERN_MAX - in->n)
        return SEG_ELIMIT;
    size_t need = in->n + more;
    if (bytes + more < bytes || in->pool_len + bytes + more < in->pool_len ||
        in->pool_len + bytes + more > MAX_POOL)
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
    /* keep the load factor at or below 2/3: a probe past the first slot
     * is mostly in the same line, and a table for an estimate a little
     * over a power of two is not twice the size it needs */
    if ((uint64_t)need * 3 > (uint64_t)in->nslots * 2) {
        size_t ns = in->nslots ? in->nslots : 16;
        while ((uint64_t)ns * 2 < (uint64_t)need * 3)
            ns *= 2;
        if (in->nslots && ns == 2 * in->nslots)
            return double_slots(in); /* one step, the common one */
        struct seg__intern_slot *slots = seg__calloc(ns, sizeof *slots);
        if (!slots)
            return SEG_ENOMEM;
        move_slots(in, slots, ns);
    }
    return SEG_OK;
}

int seg__intern(seg__interner *in, const char *s, size_t n, uint32_t *idx,
                bool *added)
{
    return seg__intern_h(in, s, n, (uint32_t)seg__hash(s, n), idx, added);
}

/* s, known not to be there, as the next string. */
static int add_new(seg__interner *in, const char *s, size_t n, uint32_t h,
                   uint32_t *idx)
{
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
    return SEG_OK;
}

int seg__intern_h(seg__interner *in, const char *s, size_t n, uint32_t h,
                  uint32_t *idx, bool *added)
{
    bool found = find_h(in, s, n, h, idx);
    if (added)
        *added = !found;
    return found ? SEG_OK : add_new(in, s, n, h, idx);
}

/* Steps ahead that the lookups of seg__intern_many() ask for a slot, and
 * for the text a slot points to (by then the slot has mostly arrived);
 * the inline forms of the strings between are kept in a ring. */
#define AHEAD_SLOT 16
#define AHEAD_TEXT 8
#define RING 16

int seg__intern_many(seg__interner *in, const char *base, const uint32_t *off,
                     const uint32_t *len, const uint32_t *hash, size_t n,
                     uint32_t *idx, size_t *done)
{
    uint64_t form[RING];
    for (size_t j = 0; j < n && j < AHEAD_TEXT; j++)
        form[j % RING] = inline_form(base + off[j], len[j]);
    for (size_t i = 0; i < n; i++) {
        if (i + AHEAD_SLOT < n)
            prefetch_slot(in, hash[i + AHEAD_SLOT]);
        if (i + AHEAD_TEXT < n) {
            size_t j = i + AHEAD_TEXT;
            form[j % RING] = inline_form(base + off[j], len[j]);
            if (!form[j % RING]) /* a string in the pool: its bytes */
                prefetch_text(in, hash[j]);
        }
        /* read before idx[i] is written: idx may be hash */
        uint32_t h = hash[i], at;
        const char *s = base + off[i];
        if (!find_form(in, s, len[i], h, form[i % RING], true, &at)) {
            int rc = add_new(in, s, len[i], h, &at);
            if (rc) {
                *done = i;
                return rc;
            }
        }
        idx[i] = at;
    }
    *done = n;
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
