/* Hysteresis of snapshot tiers: a tier may require its condition to hold
 * for N consecutive snapshots, or from a snapshot N days back, before a
 * customer enters it, and to fail as long before one leaves it; until
 * then the customer keeps the tier it had. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/snapshot.h"

void seg__snap_holds_free(snap_holds *h)
{
    for (size_t i = 0; i < h->n; i++)
        seg__free(h->tier[i]);
    seg__free(h->tier);
    seg__free(h->hold);
    memset(h, 0, sizeof *h);
}

/* "N" or "Nd", N a whole number from 1 (snapshots) or 0 (days). */
static bool read_hold(const char *s, size_t n, snap_hold *out)
{
    bool days = n > 0 && s[n - 1] == 'd';
    size_t m = n - days;
    if (m == 0 || m > 6)
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < m; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (!days && v == 0)
        return false;
    *out = days ? (snap_hold){1, (double)v} : (snap_hold){v, 0};
    return true;
}

static int add_hold(snap_holds *h, const char *name, size_t n, snap_hold v,
                    const seg__errbuf *err)
{
    char **t = seg__realloc(h->tier, (h->n + 1) * sizeof *t);
    if (t)
        h->tier = t;
    snap_hold *d = t ? seg__realloc(h->hold, (h->n + 1) * sizeof *d) : NULL;
    if (d)
        h->hold = d;
    char *s = d ? seg__strndup(name, n) : NULL;
    if (!s)
        return seg__nomem(err);
    h->tier[h->n] = s;
    h->hold[h->n++] = v;
    return SEG_OK;
}

int seg__snap_holds_parse(snap_holds *h, const char *text, const char *what,
                          const seg__errbuf *err)
{
    memset(h, 0, sizeof *h);
    h->all = (snap_hold){1, 0};
    for (const char *p = text; p && *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        snap_hold v;
        if (!eq || eq == p ||
            !read_hold(eq + 1, n - (size_t)(eq + 1 - p), &v)) {
            seg__snap_holds_free(h);
            return seg__error(err, SEG_EPARSE, "%s: '%.*s' is not TIER=N "
                              "(snapshots, 1 or more) or TIER=Nd (days)",
                              what, (int)n, p);
        }
        size_t tn = (size_t)(eq - p);
        int rc = SEG_OK;
        if (tn == 1 && *p == '*')
            h->all = v;
        else
            rc = add_hold(h, p, tn, v, err);
        if (rc) {
            seg__snap_holds_free(h);
            return rc;
        }
        p = end ? end + 1 : p + n;
    }
    return SEG_OK;
}

int seg__snap_holds_check(const snap_holds *h, const char *const *labels,
                          size_t n, const char *what,
                          const seg__errbuf *err)
{
    for (size_t i = 0; i < h->n; i++) {
        bool known = false;
        for (size_t k = 0; k < n && !known; k++)
            known = strcmp(h->tier[i], labels[k]) == 0;
        if (!known)
            return seg__error(err, SEG_ENOTFOUND, "%s: the rule set has no "
                              "tier '%s'", what, h->tier[i]);
    }
    return SEG_OK;
}

const snap_hold *seg__snap_hold_of(const snap_holds *h, const char *tier)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->tier[i], tier) == 0)
            return &h->hold[i];
    return &h->all;
}

/* Whether a run of snapshots j..k (raw tiers that are, or are not, the
 * tier) is long enough for the hold. */
static bool long_enough(const snap_hold *h, size_t j, size_t k,
                        const int64_t *dates)
{
    if (k - j + 1 < h->snapshots)
        return false;
    return h->days <= 0 || (double)(dates[k] - dates[j]) >= h->days * 86400;
}

uint32_t seg__snap_settle(const uint32_t *raw, size_t stride, size_t k,
                          uint32_t cur, const seg__interner *names,
                          const int64_t *dates, const snap_holds *enter,
                          const snap_holds *leave)
{
    uint32_t now = raw[k * stride];
    /* a customer without a tier takes the rule set's at once: there is
     * no tier to keep */
    if (now == cur || cur == 0)
        return now;
    if (now != 0) {
        size_t j = k;
        while (j > 0 && raw[(j - 1) * stride] == now)
            j--;
        const char *name = seg__intern_str(names, now - 1);
        if (!long_enough(seg__snap_hold_of(enter, name), j, k, dates))
            return cur;
    }
    size_t j = k;
    while (j > 0 && raw[(j - 1) * stride] != cur)
        j--;
    const char *name = seg__intern_str(names, cur - 1);
    return long_enough(seg__snap_hold_of(leave, name), j, k, dates) ? now
                                                                    : cur;
}
