/* Text helpers: UTF-8 validation, hashing, reading numbers independent of
 * the locale (format.c writes them). */
#define _POSIX_C_SOURCE 200809L
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

bool seg__utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str, *e = s + n;
    while (s < e) {
        unsigned c = *s;
        if (c < 0x80) {
            if (c == 0)
                return false;
            s++;
            continue;
        }
        size_t need;
        unsigned min;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            min = 0x10000;
        } else {
            return false;
        }
        if ((size_t)(e - s) <= need)
            return false;
        unsigned cp = c & (0x3Fu >> need);
        for (size_t i = 1; i <= need; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        s += need + 1;
    }
    return true;
}

uint64_t seg__hash(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0x94d049bb133111ebull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

static locale_t g_c_locale;

static void c_locale_init(void)
{
    g_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* The "C" locale, so that numbers read and print with a '.' whatever locale
 * the host has set. */
static locale_t c_locale(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, c_locale_init);
    return g_c_locale ? g_c_locale : LC_GLOBAL_LOCALE;
}

static const double pow10_exact[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#if defined(__SIZEOF_INT128__)
/* The double nearest mant * 10^e10 for mant < 2^64 and |e10| <= 19,
 * rounded as strtod rounds (to nearest, a tie to even), computed exactly:
 * a product that fits in 128 bits, or a quotient of 128 by 64 bits carried
 * to at least 62 bits and the remainder kept as a sticky bit. The values
 * lie between 1e-19 and 2e38, normal doubles, so no subnormal rounding. */
static double nearest_scaled(uint64_t mant, int e10)
{
    __extension__ typedef unsigned __int128 w128;
    static const uint64_t p10[20] = {
        1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
        10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
        100000000000ull, 1000000000000ull, 10000000000000ull,
        100000000000000ull, 1000000000000000ull, 10000000000000000ull,
        100000000000000000ull, 1000000000000000000ull,
        10000000000000000000ull};
    w128 q;
    bool sticky = false;
    int s = 0; /* the value is q * 2^-s (plus the sticky part) */
    if (e10 >= 0) {
        q = (w128)mant * p10[e10];
    } else {
        s = 127 - (64 - __builtin_clzll(mant));
        w128 num = (w128)mant << s, d = p10[-e10];
        q = num / d;
        sticky = num - q * d != 0;
    }
    uint64_t hi = (uint64_t)(q >> 64);
    int bits = hi ? 128 - __builtin_clzll(hi)
                  : 64 - __builtin_clzll((uint64_t)q);
    int shift = bits - 53;
    if (shift <= 0) /* below 2^53: exact */
        return ldexp((double)(uint64_t)q, -s);
    uint64_t m = (uint64_t)(q >> shift);
    w128 rest = q & (((w128)1 << shift) - 1), half = (w128)1 << (shift - 1);
    if (rest > half || (rest == half && (sticky || (m & 1))))
        m++; /* 2^53 after a carry is still exact */
    return ldexp((double)m, shift - s);
}
#endif

int seg__parse_f64(const char *s, size_t n, double *out)
{
    /* the common case first: [-]digits[.digits] and nothing else, with a
     * mantissa below 2^53, which the general path below would compute the
     * same way (an exact mantissa divided by an exact power of ten) */
    if (n && n <= 17) {
        const char *q = s, *e = s + n;
        bool neg = *q == '-';
        q += neg;
        uint64_t m = 0;
        const char *dot = NULL;
        size_t digits = 0;
        for (; q < e; q++) {
            unsigned d = (unsigned)(unsigned char)*q - '0';
            if (d < 10) {
                m = m * 10 + d;
                digits++;
            } else if (*q == '.' && !dot) {
                dot = q;
            } else {
                break;
            }
        }
        if (q == e && digits && m < (1ull << 53)) {
            double v = (double)m;
            if (dot && e - dot > 1)
                v /= pow10_exact[e - dot - 1];
            *out = neg ? -v : v;
            return SEG_OK;
        }
    }
    const char *p = s, *e = s + n;
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    const char *start = p;
    bool neg = false;
    if (p < e && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    uint64_t mant = 0;
    size_t ni = seg__read_digits(p, e, 19, &mant), nf = 0;
    p += ni;
    bool slow = p < e && *p >= '0' && *p <= '9'; /* more than 19 digits */
    while (p < e && *p >= '0' && *p <= '9')
        p++;
    if (p < e && *p == '.') {
        p++;
        if (!slow) {
            nf = seg__read_digits(p, e, 19 - ni, &mant);
            p += nf;
        }
        slow = slow || (p < e && *p >= '0' && *p <= '9');
        const char *f = p;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
        nf += (size_t)(p - f);
    }
    if (ni + nf == 0)
        return SEG_EPARSE;
    int frac = (int)(nf < 400 ? nf : 400);
    long ex = 0;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = false;
        if (p < e && (*p == '+' || *p == '-'))
            eneg = *p++ == '-';
        if (p >= e || *p < '0' || *p > '9')
            return SEG_EPARSE;
        while (p < e && *p >= '0' && *p <= '9') {
            if (ex < 100000)
                ex = ex * 10 + (*p - '0');
            p++;
        }
        if (eneg)
            ex = -ex;
    }
    if (p != e)
        return SEG_EPARSE;
    long e10 = ex - frac;
    if (!slow && mant < (1ull << 53) && e10 >= -22 && e10 <= 22) {
        double v = (double)mant;
        v = e10 < 0 ? v / pow10_exact[-e10] : v * pow10_exact[e10];
        *out = neg ? -v : v;
        return SEG_OK;
    }
#if defined(__SIZEOF_INT128__)
    /* 16 to 19 significant digits (a mean, a ratio printed in full): exact
     * in integers rather than through strtod */
    if (!slow && mant && e10 >= -19 && e10 <= 19) {
        double v = nearest_scaled(mant, (int)e10);
        *out = neg ? -v : v;
        return SEG_OK;
    }
#endif
    /* Rare: long mantissas or big exponents. The syntax is checked above,
     * so strtod sees only a plain decimal number; read it in the C locale. */
    char tmp[512];
    size_t len = (size_t)(e - start);
    char *buf = len < sizeof tmp ? tmp : seg__malloc(len + 1);
    if (!buf)
        return SEG_ENOMEM;
    memcpy(buf, start, len);
    buf[len] = '\0';
    locale_t old = uselocale(c_locale());
    char *end;
    double v = strtod(buf, &end);
    uselocale(old);
    bool whole = *end == '\0';
    if (buf != tmp)
        seg__free(buf);
    if (!whole)
        return SEG_EPARSE;
    if (!isfinite(v))
        return SEG_ERANGE;
    *out = v;
    return SEG_OK;
}

const char *seg__excerpt(char *buf, size_t bufsz, const char *s, size_t n)
{
    size_t max = bufsz - 4;
    if (n <= max) {
        memcpy(buf, s, n);
        buf[n] = '\0';
        return buf;
    }
    size_t cut = max;
    /* do not cut a UTF-8 sequence in half */
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    memcpy(buf, s, cut);
    memcpy(buf + cut, "...", 4);
    return buf;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            if (up + 1 < best)
                best = up + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *seg__nearest(const char *name, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t bestd = SIZE_MAX;
    size_t len0 = strlen(name);
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(name, cands[i]);
        /* a typo of the start of a longer name: 'monetry' for
         * 'monetary_total' */
        size_t cl = strlen(cands[i]);
        for (size_t k = len0; k <= len0 + 2 && k < cl && k < 64; k++) {
            char pre[65];
            memcpy(pre, cands[i], k);
            pre[k] = '\0';
            size_t dp = edit_distance(name, pre) + 1;
            if (dp < d)
                d = dp;
        }
        if (d < bestd) {
            bestd = d;
            best = cands[i];
        }
    }
    /* a typo is a few edits, relative to the length of the word */
    size_t len = strlen(name);
    size_t limit = len < 4 ? 1 : len / 3 + 1;
    return bestd <= limit ? best : NULL;
}
