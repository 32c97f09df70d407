/* Business time zones: fixed offsets and IANA zones read from TZif files
 * (RFC 8536) by the library itself, so that calendar days do not depend
 * on the process's TZ or on the C library's time zone state, which is
 * global and not thread-safe. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

/* A POSIX TZ rule date: Jn (1..365, no Feb 29), n (0..365), Mm.w.d. */
typedef struct rule_date {
    char kind;           /* 'J', 'N' or 'M' */
    int m, w, d;         /* for 'M'; d alone for 'J' and 'N' */
    int32_t time;        /* seconds after local midnight (may be < 0) */
} rule_date;

typedef struct posix_rule {
    int32_t std_off, dst_off; /* UTC offsets (east positive) */
    bool has_dst;
    rule_date start, end;     /* start in standard time, end in DST */
} posix_rule;

struct seg__tz {
    char *name;
    size_t n;            /* transitions */
    int64_t *at;         /* their instants, ascending */
    int32_t *off;        /* the offset from each transition on */
    int32_t before;      /* the offset before the first */
    bool has_rule;       /* past the last transition (or always, if n = 0) */
    posix_rule rule;
};

void seg__tz_free(seg__tz *tz)
{
    if (!tz)
        return;
    seg__free(tz->name);
    seg__free(tz->at);
    seg__free(tz->off);
    seg__free(tz);
}

const char *seg__tz_name(const seg__tz *tz) { return tz->name; }

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ---- POSIX TZ strings (the TZif footer) ---- */

static bool tz_num(const char **p, int lo, int hi, int *out)
{
    int v = 0, k = 0;
    while (**p >= '0' && **p <= '9' && k < 3) {
        v = v * 10 + (*(*p)++ - '0');
        k++;
    }
    if (!k || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* [+-]hh[:mm[:ss]], hours up to 167 (as RFC 8536 allows for times) */
static bool tz_hms(const char **p, int32_t *out)
{
    int sign = 1, h, m = 0, s = 0;
    if (**p == '+' || **p == '-')
        sign = *(*p)++ == '-' ? -1 : 1;
    if (!tz_num(p, 0, 167, &h))
        return false;
    if (**p == ':') {
        (*p)++;
        if (!tz_num(p, 0, 59, &m))
            return false;
        if (**p == ':') {
            (*p)++;
            if (!tz_num(p, 0, 59, &s))
                return false;
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return true;
}

static bool tz_abbr(const char **p)
{
    const char *q = *p;
    if (*q == '<') {
        while (*q && *q != '>')
            q++;
        if (*q != '>')
            return false;
        *p = q + 1;
        return true;
    }
    while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z'))
        q++;
    if (q - *p < 3)
        return false;
    *p = q;
    return true;
}

static bool tz_date(const char **p, rule_date *r)
{
    r->time = 7200;
    if (**p == 'M') {
        (*p)++;
        r->kind = 'M';
        if (!tz_num(p, 1, 12, &r->m) || *(*p)++ != '.' ||
            !tz_num(p, 1, 5, &r->w) || *(*p)++ != '.' ||
            !tz_num(p, 0, 6, &r->d))
            return false;
    } else if (**p == 'J') {
        (*p)++;
        r->kind = 'J';
        if (!tz_num(p, 1, 365, &r->d))
            return false;
    } else {
        r->kind = 'N';
        if (!tz_num(p, 0, 365, &r->d))
            return false;
    }
    if (**p == '/') {
        (*p)++;
        return tz_hms(p, &r->time);
    }
    return true;
}

static bool parse_posix(const char *s, posix_rule *r)
{
    const char *p = s;
    int32_t o;
    if (!tz_abbr(&p) || !tz_hms(&p, &o))
        return false;
    r->std_off = -o; /* POSIX counts west positive */
    r->has_dst = false;
    if (!*p)
        return true;
    if (!tz_abbr(&p))
        return false;
    r->dst_off = r->std_off + 3600;
    if (*p && *p != ',') {
        if (!tz_hms(&p, &o))
            return false;
        r->dst_off = -o;
    }
    if (*p++ != ',' || !tz_date(&p, &r->start) || *p++ != ',' ||
        !tz_date(&p, &r->end) || *p)
        return false;
    r->has_dst = true;
    return true;
}

/* The day (since the epoch) a rule date falls on in year y. */
static int64_t rule_day(const rule_date *r, int64_t y)
{
    int64_t jan1 = seg__days_from_civil(y, 1, 1);
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    switch (r->kind) {
    case 'J': /* Feb 29 is never counted */
        return jan1 + r->d - 1 + (leap && r->d >= 60);
    case 'N':
        return jan1 + r->d;
    default: {
        int64_t first = seg__days_from_civil(y, (unsigned)r->m, 1);
        /* 1970-01-01 was a Thursday (4) */
        int wd = (int)(((first % 7) + 7 + 4) % 7);
        int64_t day = first + (r->d - wd + 7) % 7 + (r->w - 1) * 7;
        static const int md[12] = {31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};
        int len = md[r->m - 1] + (r->m == 2 && leap);
        while (day >= first + len)
            day -= 7;
        return day;
    }
    }
}

static int32_t rule_offset(const posix_rule *r, int64_t t)
{
    if (!r->has_dst)
        return r->std_off;
    int64_t y;
    unsigned m, d;
    seg__civil_from_days(floor_div(t + r->std_off, 86400), &y, &m, &d);
    /* the year's two changes as instants: start in standard time, end in
     * daylight time */
    int64_t start = rule_day(&r->start, y) * 86400 + r->start.time -
                    r->std_off;
    int64_t end = rule_day(&r->end, y) * 86400 + r->end.time - r->dst_off;
    bool dst = start < end ? (t >= start && t < end)
                           : !(t >= end && t < start); /* southern */
    return dst ? r->dst_off : r->std_off;
}

/* ---- TZif files ---- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Read the version-2 (64-bit) data of a TZif file (or the version-1 data
 * of an old one) and its footer. */
static int parse_tzif(seg__tz *tz, const unsigned char *b, size_t len)
{
    if (len < 44 || memcmp(b, "TZif", 4) != 0)
        return SEG_EPARSE;
    int version = b[4];
    const unsigned char *h = b;
    size_t tsize = 4;
    for (int pass = 0; pass < 2; pass++) {
        if ((size_t)(h - b) + 44 > len)
            return SEG_EPARSE;
        uint32_t isutc = be32(h + 20), isstd = be32(h + 24),
                 leap = be32(h + 28), timecnt = be32(h + 32),
                 typecnt = be32(h + 36), charcnt = be32(h + 40);
        if (typecnt == 0 || typecnt > 256 || timecnt > 1000000 ||
            charcnt > 100000 || leap > 100000 || isutc > 256 || isstd > 256)
            return SEG_EPARSE;
        size_t body = timecnt * tsize + timecnt + typecnt * 6 + charcnt +
                      leap * (tsize + 4) + isstd + isutc;
        if ((size_t)(h - b) + 44 + body > len)
            return SEG_EPARSE;
        if (pass == 0 && version >= '2') {
            h += 44 + body; /* the 32-bit data; the 64-bit data follows */
            tsize = 8;
            continue;
        }
        const unsigned char *t = h + 44, *ix = t + timecnt * tsize,
                            *ty = ix + timecnt;
        tz->at = seg__malloc((timecnt ? timecnt : 1) * sizeof *tz->at);
        tz->off = seg__malloc((timecnt ? timecnt : 1) * sizeof *tz->off);
        if (!tz->at || !tz->off)
            return SEG_ENOMEM;
        for (uint32_t i = 0; i < timecnt; i++) {
            tz->at[i] = tsize == 8 ? be64(t + 8 * i)
                                   : (int32_t)be32(t + 4 * i);
            if (ix[i] >= typecnt || (i && tz->at[i] <= tz->at[i - 1]))
                return SEG_EPARSE;
            tz->off[i] = (int32_t)be32(ty + 6 * ix[i]);
        }
        tz->n = timecnt;
        /* before the first transition: time type 0 (RFC 8536) */
        tz->before = (int32_t)be32(ty);
        for (size_t i = 0; i < tz->n; i++)
            if (tz->off[i] < -26 * 3600 || tz->off[i] > 26 * 3600)
                return SEG_EPARSE;
        if (tz->before < -26 * 3600 || tz->before > 26 * 3600)
            return SEG_EPARSE;
        if (version >= '2') {
            const unsigned char *f = h + 44 + body, *e = b + len;
            if (f < e && *f == '\n') {
                const unsigned char *nl = memchr(f + 1, '\n', (size_t)(e - f - 1));
                if (!nl)
                    return SEG_EPARSE;
                char rule[128];
                size_t rl = (size_t)(nl - f - 1);
                if (rl >= sizeof rule)
                    return SEG_EPARSE;
                memcpy(rule, f + 1, rl);
                rule[rl] = '\0';
                if (rl) {
                    if (!parse_posix(rule, &tz->rule))
                        return SEG_EPARSE;
                    tz->has_rule = true;
                }
            }
        }
        return SEG_OK;
    }
    return SEG_EPARSE;
}

/* An IANA name: letters, digits, '_', '-', '+' and '/' between parts, no
 * empty part and no "." or "..": it must stay inside the tz database. */
static bool zone_name_ok(const char *s)
{
    if (!*s || *s == '/' || strlen(s) > 200)
        return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                  c == '+' || c == '/';
        if (!ok || (c == '/' && (p[1] == '/' || p[1] == '\0')))
            return false;
    }
    return true;
}

/* "+08:00", "+0800", "+08", "-05:30"; "UTC" and "Z" are 0. */
static bool fixed_offset(const char *s, int32_t *off)
{
    if (!strcmp(s, "UTC") || !strcmp(s, "Z") || !strcmp(s, "Etc/UTC")) {
        *off = 0;
        return true;
    }
    if (*s != '+' && *s != '-')
        return false;
    int sign = *s == '-' ? -1 : 1;
    const char *p = s + 1;
    int h, m = 0;
    size_t n = strlen(p);
    if (n != 2 && n != 4 && n != 5)
        return false;
    if (!(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9'))
        return false;
    h = (p[0] - '0') * 10 + (p[1] - '0');
    if (n > 2) {
        const char *q = p + 2 + (n == 5);
        if ((n == 5 && p[2] != ':') || !(q[0] >= '0' && q[0] <= '9') ||
            !(q[1] >= '0' && q[1] <= '9'))
            return false;
        m = (q[0] - '0') * 10 + (q[1] - '0');
    }
    if (h > 18 || m > 59)
        return false;
    *off = sign * (h * 3600 + m * 60);
    return true;
}

static int read_zone_file(seg__tz *tz, const char *zone,
                          const seg__errbuf *err)
{
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    size_t pl = strlen(dir) + strlen(zone) + 2;
    char *path = seg__malloc(pl);
    if (!path)
        return seg__nomem(err);
    snprintf(path, pl, "%s/%s", dir, zone);
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        int rc = seg__error(err, SEG_ENOTFOUND, "time zone '%s' not found "
                            "in %s (%s)", zone, dir, strerror(e));
        seg__free(path);
        return rc;
    }
    seg__buf b = {0};
    char chunk[4096];
    size_t r;
    int rc = SEG_OK;
    while (!rc && (r = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = b.len + r > (1u << 20) ? SEG_EPARSE
                                    : seg__buf_append(&b, chunk, r);
    fclose(f);
    if (!rc)
        rc = parse_tzif(tz, (const unsigned char *)b.data, b.len);
    seg__buf_free(&b);
    if (rc == SEG_ENOMEM)
        seg__nomem(err);
    else if (rc)
        seg__error(err, rc, "%s: not a valid time zone file", path);
    seg__free(path);
    return rc;
}

int seg__tz_open(seg__tz **out, const char *zone, const seg__errbuf *err)
{
    *out = NULL;
    seg__tz *tz = seg__calloc(1, sizeof *tz);
    if (!tz || !(tz->name = seg__strndup(zone, strlen(zone)))) {
        seg__free(tz);
        return seg__nomem(err);
    }
    int32_t off;
    int rc = SEG_OK;
    if (fixed_offset(zone, &off)) {
        tz->has_rule = true;
        tz->rule.std_off = off;
    } else if (!zone_name_ok(zone)) {
        char ex[64];
        rc = seg__error(err, SEG_EPARSE, "'%s' is not a time zone (an IANA "
                        "name such as Asia/Shanghai, or an offset such as "
                        "+08:00)", seg__excerpt(ex, sizeof ex, zone,
                                                strlen(zone)));
    } else {
        rc = read_zone_file(tz, zone, err);
    }
    if (rc) {
        seg__tz_free(tz);
        return rc;
    }
    *out = tz;
    return SEG_OK;
}

int32_t seg__tz_offset(const seg__tz *tz, int64_t t)
{
    if (tz->n && t < tz->at[0])
        return tz->before;
    if (tz->n == 0 || t >= tz->at[tz->n - 1]) {
        if (tz->has_rule)
            return rule_offset(&tz->rule, t);
        return tz->n ? tz->off[tz->n - 1] : tz->before;
    }
    size_t lo = 0, hi = tz->n - 1; /* at[lo] <= t < at[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->at[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return tz->off[lo];
}

int64_t seg__tz_day(const seg__tz *tz, int64_t t)
{
    return floor_div(t + seg__tz_offset(tz, t), 86400);
}

int64_t seg__tz_day_start(const seg__tz *tz, int64_t d)
{
    /* the first instant whose local day is d or later: offsets lie within
     * +-26 hours, so it is in this window */
    int64_t lo = d * 86400 - 27 * 3600, hi = d * 86400 + 27 * 3600;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (seg__tz_day(tz, mid) >= d)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

bool seg__tz_fixed(const seg__tz *tz, int32_t *offset)
{
    if (tz->n || !tz->has_rule || tz->rule.has_dst)
        return false;
    *offset = tz->rule.std_off;
    return true;
}
