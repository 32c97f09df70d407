/* Times: ISO 8601, YYYYMMDD and epoch seconds, without the C library's
 * time zone machinery: UTC, or local times of a business zone (tz.c). */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (any year). */
int64_t seg__days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void seg__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
    static const unsigned char md[12] = {31, 28, 31, 30, 31, 30,
                                         31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : md[m - 1];
}

/* Read exactly n digits at *p. */
static bool digits(const char **p, const char *e, int n, unsigned *out)
{
    unsigned v = 0;
    if (e - *p < n)
        return false;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (unsigned)(c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static int date_to_time(unsigned y, unsigned m, unsigned d, int64_t *days)
{
    if (m < 1 || m > 12 || d < 1 || d > month_days(y, m))
        return SEG_EPARSE;
    *days = seg__days_from_civil(y, m, d);
    return SEG_OK;
}

static int parse_yyyymmdd(const char *p, const char *e, int64_t *out)
{
    unsigned y, m, d;
    if (!digits(&p, e, 4, &y) || !digits(&p, e, 2, &m) ||
        !digits(&p, e, 2, &d) || p != e)
        return SEG_EPARSE;
    int64_t days;
    if (date_to_time(y, m, d, &days))
        return SEG_EPARSE;
    *out = days * 86400;
    return SEG_OK;
}

static int parse_iso(const char *p, const char *e, int64_t *out,
                     bool *exact)
{
    unsigned y, mo, d, h = 0, mi = 0, s = 0;
    if (!digits(&p, e, 4, &y) || p >= e || *p++ != '-' ||
        !digits(&p, e, 2, &mo) || p >= e || *p++ != '-' ||
        !digits(&p, e, 2, &d))
        return SEG_EPARSE;
    int64_t days;
    if (date_to_time(y, mo, d, &days))
        return SEG_EPARSE;
    int64_t offset = 0;
    bool has_offset = false;
    if (p < e) {
        if (*p != 'T' && *p != 't' && *p != ' ')
            return SEG_EPARSE;
        p++;
        if (!digits(&p, e, 2, &h) || p >= e || *p++ != ':' ||
            !digits(&p, e, 2, &mi))
            return SEG_EPARSE;
        if (p < e && *p == ':') {
            p++;
            if (!digits(&p, e, 2, &s))
                return SEG_EPARSE;
            if (p < e && (*p == '.' || *p == ',')) {
                p++;
                const char *f = p;
                while (p < e && *p >= '0' && *p <= '9')
                    p++;
                if (p == f)
                    return SEG_EPARSE;
            }
        }
        if (h > 23 || mi > 59 || s > 60)
            return SEG_EPARSE;
        if (p < e) {
            has_offset = true;
            if (*p == 'Z' || *p == 'z') {
                p++;
            } else if (*p == '+' || *p == '-') {
                int sign = *p++ == '-' ? -1 : 1;
                unsigned oh, om = 0;
                if (!digits(&p, e, 2, &oh))
                    return SEG_EPARSE;
                if (p < e && *p == ':')
                    p++;
                if (p < e && !digits(&p, e, 2, &om))
                    return SEG_EPARSE;
                if (oh > 23 || om > 59)
                    return SEG_EPARSE;
                offset = sign * (int64_t)(oh * 3600 + om * 60);
            } else {
                return SEG_EPARSE;
            }
        }
        if (p != e)
            return SEG_EPARSE;
    }
    *out = days * 86400 + h * 3600 + mi * 60 + s - offset;
    *exact = has_offset;
    return SEG_OK;
}

static int parse_epoch(const char *p, const char *e, int64_t *out)
{
    bool neg = false;
    if (p < e && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    if (p >= e)
        return SEG_EPARSE;
    uint64_t v = 0;
    p += seg__read_digits(p, e, 18, &v); /* 18 digits cannot overflow */
    for (; p < e; p++) {
        if (*p < '0' || *p > '9')
            return SEG_EPARSE;
        unsigned dgt = (unsigned)(*p - '0');
        if (v > (UINT64_C(9223372036854775807) - dgt) / 10)
            return SEG_ERANGE;
        v = v * 10 + dgt;
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return SEG_OK;
}

static int parse_time(int64_t *out, const char *s, size_t len, int format,
                      bool *exact);

/* Surrounding ASCII spaces and tabs are not part of a time. */
static void trim(const char **p, const char **e)
{
    while (*p < *e && (**p == ' ' || **p == '\t'))
        (*p)++;
    while (*e > *p && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
        (*e)--;
}

static bool is_date_only(const char *s, size_t len)
{
    const char *p = s, *e = s + len;
    trim(&p, &e);
    return (e - p == 10 && p[4] == '-') ||
           (e - p == 8 && strspn(p, "0123456789") >= 8);
}

int seg_time_parse(int64_t *out, const char *s, size_t len, int format)
{
    if (!out || (!s && len))
        return SEG_EINVAL;
    bool exact;
    if (!(format & SEG_TIME_END_OF_DAY))
        return parse_time(out, s, len, format, &exact);
    int64_t t;
    int rc = parse_time(&t, s, len, format & ~SEG_TIME_END_OF_DAY, &exact);
    if (rc)
        return rc;
    if (is_date_only(s, len))
        t += 86399;
    *out = t;
    return SEG_OK;
}

/* Local wall-clock seconds (as if the zone were UTC) to an instant: the
 * offset in force just before and just after, whichever reads back; the
 * earlier of two where a change back makes the time occur twice, and the
 * offset from before a change forward for a time it skips (so 02:30 on
 * the night clocks go to 03:00 is 03:30). */
int64_t seg__tz_from_local(const seg__tz *tz, int64_t local)
{
    int32_t oa = seg__tz_offset(tz, local - 86400),
            ob = seg__tz_offset(tz, local + 86400);
    int64_t ta = local - oa, tb = local - ob;
    bool va = seg__tz_offset(tz, ta) == oa, vb = seg__tz_offset(tz, tb) == ob;
    if (va && vb)
        return ta < tb ? ta : tb;
    if (vb && !va)
        return tb;
    return ta;
}

int seg__time_parse_in(const seg__tz *tz, int64_t *out, const char *s,
                       size_t len, int format)
{
    int32_t fixed;
    if (!tz || (seg__tz_fixed(tz, &fixed) && fixed == 0))
        return seg_time_parse(out, s, len, format);
    if (!out || (!s && len))
        return SEG_EINVAL;
    bool end_of_day = format & SEG_TIME_END_OF_DAY, exact = false;
    int64_t t;
    int rc = parse_time(&t, s, len, format & ~SEG_TIME_END_OF_DAY, &exact);
    if (rc)
        return rc;
    if (!exact) {
        if (is_date_only(s, len)) {
            /* a date is a local day: it starts (or, as an end, ends) where
             * the zone says, which need not be at midnight */
            int64_t d = t / 86400 - (t % 86400 < 0);
            t = end_of_day ? seg__tz_day_start(tz, d + 1) - 1
                           : seg__tz_day_start(tz, d);
        } else if (seg__tz_fixed(tz, &fixed)) {
            t -= fixed;
        } else {
            t = seg__tz_from_local(tz, t);
        }
    }
    *out = t;
    return SEG_OK;
}

static int parse_time(int64_t *out, const char *s, size_t len, int format,
                      bool *exact)
{
    /* the commonest case first: a plain YYYY-MM-DD, read in place (what
     * is not a valid date of that shape goes the general way, for the
     * same result or error) */
    if (len == 10 && (format == SEG_TIME_AUTO || format == SEG_TIME_ISO8601)) {
        const unsigned char *u = (const unsigned char *)s;
        unsigned c[8] = {u[0] - 48u, u[1] - 48u, u[2] - 48u, u[3] - 48u,
                         u[5] - 48u, u[6] - 48u, u[8] - 48u, u[9] - 48u};
        bool ok = u[4] == '-' && u[7] == '-';
        for (int i = 0; i < 8; i++)
            ok &= c[i] < 10;
        unsigned y = c[0] * 1000 + c[1] * 100 + c[2] * 10 + c[3],
                 m = c[4] * 10 + c[5], d = c[6] * 10 + c[7];
        if (ok && m >= 1 && m <= 12 && d >= 1 && d <= month_days(y, m)) {
            *out = seg__days_from_civil(y, m, d) * 86400;
            *exact = false;
            return SEG_OK;
        }
    }
    *exact = true; /* epoch seconds are instants */
    /* the common case first: epoch seconds, digits only (eight digits are
     * YYYYMMDD to SEG_TIME_AUTO) */
    if ((format == SEG_TIME_EPOCH || (format == SEG_TIME_AUTO && len != 8)) &&
        len && len <= 18) {
        uint64_t v = 0;
        if (seg__read_digits(s, s + len, 18, &v) == len) {
            *out = (int64_t)v;
            return SEG_OK;
        }
    }
    const char *p = s, *e = s + len;
    trim(&p, &e);
    if (p == e)
        return SEG_EPARSE;
    switch (format) {
    case SEG_TIME_AUTO: {
        bool dash = false; /* a dash after the first character: ISO 8601 */
        for (const char *q = p + 1; q < e; q++)
            dash |= *q == '-';
        if (dash && p[0] != '-')
            return parse_iso(p, e, out, exact);
        if (e - p == 8 && p[0] >= '0' && p[0] <= '9') {
            *exact = false;
            return parse_yyyymmdd(p, e, out);
        }
        return parse_epoch(p, e, out);
    }
    case SEG_TIME_ISO8601:
        return parse_iso(p, e, out, exact);
    case SEG_TIME_YYYYMMDD:
        *exact = false;
        return parse_yyyymmdd(p, e, out);
    case SEG_TIME_EPOCH:
        return parse_epoch(p, e, out);
    default:
        return SEG_EINVAL;
    }
}

/* The date and the seconds into the day of t (seconds since the epoch, on
 * the clock of the zone it is given in); false outside the years 0..9999
 * that ISO 8601 writes with four digits. */
static bool civil_time(int64_t t, int64_t *y, unsigned *m, unsigned *d,
                       int64_t *rem)
{
    int64_t days = t / 86400;
    *rem = t % 86400;
    if (*rem < 0) {
        *rem += 86400;
        days--;
    }
    seg__civil_from_days(days, y, m, d);
    return *y >= 0 && *y <= 9999;
}

int seg_time_format_iso(char *buf, size_t n, int64_t t)
{
    if (!buf)
        return SEG_EINVAL;
    if (n)
        buf[0] = '\0';
    int64_t y, rem;
    unsigned m, d;
    if (!civil_time(t, &y, &m, &d, &rem))
        return SEG_ERANGE;
    int len;
    if (rem == 0)
        len = snprintf(buf, n, "%04d-%02u-%02u", (int)y, m, d);
    else
        len = snprintf(buf, n, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m, d,
                       (int)(rem / 3600), (int)(rem / 60 % 60),
                       (int)(rem % 60));
    if (len < 0 || (size_t)len >= n) {
        if (n)
            buf[0] = '\0';
        return SEG_ERANGE;
    }
    return SEG_OK;
}

size_t seg__time_format_in(const seg__tz *tz, char *buf, int64_t t)
{
    int32_t off = tz ? seg__tz_offset(tz, t) : 0;
    if (t > INT64_MAX - 86400 * 2 || t < INT64_MIN + 86400 * 2)
        return 0;
    int64_t y, rem;
    unsigned m, d;
    if (!civil_time(t + off, &y, &m, &d, &rem))
        return 0;
    /* by hand, not snprintf: exports write two of these per customer */
    unsigned yy = (unsigned)y, hh = (unsigned)(rem / 3600),
             mi = (unsigned)(rem / 60 % 60), ss = (unsigned)(rem % 60);
    char *p = buf;
    *p++ = (char)('0' + yy / 1000);
    *p++ = (char)('0' + yy / 100 % 10);
    *p++ = (char)('0' + yy / 10 % 10);
    *p++ = (char)('0' + yy % 10);
    const unsigned two[5] = {m, d, hh, mi, ss};
    const char sep[5] = {'-', '-', 'T', ':', ':'};
    for (int i = 0; i < 5; i++) {
        *p++ = sep[i];
        *p++ = (char)('0' + two[i] / 10);
        *p++ = (char)('0' + two[i] % 10);
    }
    *p = '\0';
    int len = (int)(p - buf);
    if (off == 0) {
        buf[len++] = 'Z';
        buf[len] = '\0';
    } else {
        int32_t a = off < 0 ? -off : off;
        len += snprintf(buf + len, SEG__ISO_MAX - (size_t)len, "%c%02d:%02d",
                        off < 0 ? '-' : '+', (int)(a / 3600),
                        (int)(a / 60 % 60));
        if (a % 60) /* offsets of the 19th century had seconds */
            len += snprintf(buf + len, SEG__ISO_MAX - (size_t)len, ":%02d",
                            (int)(a % 60));
    }
    return (size_t)len;
}
