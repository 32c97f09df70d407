/* Text helpers: UTF-8 validation, hashing, reading numbers independent of
 * the locale (format.c writes them). */
#define _POSIX_C_SOURCE 200809L
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

/* Whether the 8 bytes of w are ASCII other than NUL. */
static inline bool ascii_word(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, highs = ones << 7;
    return !(w & highs) && !((w - ones) & ~w & highs);
}

bool seg__utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str, *e = s + n;
    /* ASCII, most ids and labels, eight bytes at a time */
    while (e - s >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        if (!ascii_word(w))
            break;
        s += 8;
    }
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

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The 1 to 8 bytes s[0 .. n) as a little-endian word, zeros above: two
 * loads of 4 that overlap, or three of a byte, without a loop. */
static inline uint64_t short_word(const char *s, size_t n)
{
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        return a | (uint64_t)b << (8 * (n - 4));
    }
    return (uint64_t)(unsigned char)s[0] |
           (uint64_t)(unsigned char)s[n / 2] << (8 * (n / 2)) |
           (uint64_t)(unsigned char)s[n - 1] << (8 * (n - 1));
}
#endif

/* The last n < 8 bytes of a string, s[0 .. n), as a little-endian word
 * (what a copy of them into a zeroed word gives), read in a few loads
 * rather than byte by byte; `before`: the 8 bytes before s + n are the
 * string's. */
static inline uint64_t tail_word(const char *s, size_t n, bool before)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n == 0)
        return 0;
    if (before) {
        uint64_t w;
        memcpy(&w, s + n - 8, 8);
        return w >> (8 * (8 - n));
    }
    return short_word(s, n);
#else
    (void)before;
    uint64_t w = 0;
    memcpy(&w, s, n);
    return w;
#endif
}

uint64_t seg__hash(const char *s, size_t n)
{
    const size_t len = n;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        s += 8;
        n -= 8;
    }
    h = (h ^ tail_word(s, n, len >= 8)) * 0x94d049bb133111ebull;
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

/* Out of the way of the common case, whose call then needs no large
 * frame. */
#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#define COLD __attribute__((noinline, cold))
#else
#define NOINLINE
#define COLD
#endif

#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 seg__w128;

/* m * 2^x for 2^52 <= m <= 2^53, a normal double, built from its bits. */
static double from_parts(uint64_t m, int x)
{
    if (m >> 53) { /* a carry out of the rounding */
        m >>= 1;
        x++;
    }
    uint64_t bits = (uint64_t)(x + 52 + 1023) << 52 | (m & ((1ull << 52) - 1));
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* For k = 1..19, R = ceil(2^E / 10^k) with 2^127 <= R < 2^128, as its high
 * and low words and E: 10^-k is R * 2^-E, a little too large. */
static const struct {
    uint64_t hi, lo;
    int e;
} inv_pow10[19] = {
    {0xccccccccccccccccull, 0xcccccccccccccccdull, 131},
    {0xa3d70a3d70a3d70aull, 0x3d70a3d70a3d70a4ull, 134},
    {0x83126e978d4fdf3bull, 0x645a1cac083126eaull, 137},
    {0xd1b71758e219652bull, 0xd3c36113404ea4a9ull, 141},
    {0xa7c5ac471b478423ull, 0x0fcf80dc33721d54ull, 144},
    {0x8637bd05af6c69b5ull, 0xa63f9a49c2c1b110ull, 147},
    {0xd6bf94d5e57a42bcull, 0x3d32907604691b4dull, 151},
    {0xabcc77118461cefcull, 0xfdc20d2b36ba7c3eull, 154},
    {0x89705f4136b4a597ull, 0x31680a88f8953031ull, 157},
    {0xdbe6fecebdedd5beull, 0xb573440e5a884d1cull, 161},
    {0xafebff0bcb24aafeull, 0xf78f69a51539d749ull, 164},
    {0x8cbccc096f5088cbull, 0xf93f87b7442e45d4ull, 167},
    {0xe12e13424bb40e13ull, 0x2865a5f206b06fbaull, 171},
    {0xb424dc35095cd80full, 0x538484c19ef38c95ull, 174},
    {0x901d7cf73ab0acd9ull, 0x0f9d37014bf60a11ull, 177},
    {0xe69594bec44de15bull, 0x4c2ebe687989a9b4ull, 181},
    {0xb877aa3236a4b449ull, 0x09befeb9fad487c3ull, 184},
    {0x9392ee8e921d5d07ull, 0x3aff322e62439fd0ull, 187},
    {0xec1e4a7db69561a5ull, 0x2b31e9e3d06c32e6ull, 191},
};

/* The double nearest mant * 10^-k (mant != 0, 1 <= k <= 19) by one
 * multiplication, or false when the product lies too near a tie to tell.
 * With w = mant shifted up to 64 bits, P = floor(w * R / 2^64) and the
 * exact w * 10^-k * 2^(E-64) lie less than 1 apart (R errs by less than
 * 1, w < 2^64, and the floor drops less than 1), so when the bits that
 * rounding drops from P are not within 1 of half, P rounds as the exact
 * value does; otherwise (ties among them) the caller divides exactly. */
static bool scaled_down_fast(uint64_t mant, int k, double *out)
{
    int lz = __builtin_clzll(mant);
    uint64_t w = mant << lz;
    seg__w128 hi = (seg__w128)w * inv_pow10[k - 1].hi,
              lo = (seg__w128)w * inv_pow10[k - 1].lo;
    seg__w128 p = hi + (lo >> 64); /* below 2^128: w * R < 2^192 */
    int shift = 74 + (int)(p >> 127); /* keep the top 53 of 127 or 128 bits */
    seg__w128 rest = p & (((seg__w128)1 << shift) - 1),
              half = (seg__w128)1 << (shift - 1);
    if (rest - (half - 1) <= 2)
        return false;
    uint64_t m = (uint64_t)(p >> shift) + (rest > half);
    *out = from_parts(m, shift + 64 - lz - inv_pow10[k - 1].e);
    return true;
}

/* The double nearest mant * 10^e10 for mant < 2^64 and |e10| <= 19,
 * rounded as strtod rounds (to nearest, a tie to even), computed exactly:
 * a product that fits in 128 bits, or a quotient of 128 by 64 bits carried
 * to at least 62 bits and the remainder kept as a sticky bit. The values
 * lie between 1e-19 and 2e38, normal doubles, so no subnormal rounding. */
COLD static double nearest_scaled_exact(uint64_t mant, int e10)
{
    static const uint64_t p10[20] = {
        1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
        10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
        100000000000ull, 1000000000000ull, 10000000000000ull,
        100000000000000ull, 1000000000000000ull, 10000000000000000ull,
        100000000000000000ull, 1000000000000000000ull,
        10000000000000000000ull};
    seg__w128 q;
    bool sticky = false;
    int s = 0; /* the value is q * 2^-s (plus the sticky part) */
    if (e10 >= 0) {
        q = (seg__w128)mant * p10[e10];
    } else {
        s = 127 - (64 - __builtin_clzll(mant));
        seg__w128 num = (seg__w128)mant << s, d = p10[-e10];
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
    seg__w128 rest = q & (((seg__w128)1 << shift) - 1),
              half = (seg__w128)1 << (shift - 1);
    if (rest > half || (rest == half && (sticky || (m & 1))))
        m++;
    return from_parts(m, shift - s);
}

/* mant * 10^e10 (mant != 0, |e10| <= 19) correctly rounded: by one
 * multiplication where that decides, else exactly. */
static double nearest_scaled(uint64_t mant, int e10)
{
    double v;
    if (e10 < 0 && scaled_down_fast(mant, -e10, &v))
        return v;
    return nearest_scaled_exact(mant, e10);
}
#endif

/* The double nearest mant * 10^e10, when that is quick to compute: a
 * mantissa below 2^53 times or over an exact power of ten (one rounding,
 * so the nearest double), or 16 to 19 significant digits (a mean, a ratio
 * printed in full) scaled by nearest_scaled(); false for the rest, which
 * strtod reads. */
static inline bool decimal(uint64_t mant, long e10, double *v)
{
    if (mant < (1ull << 53) && e10 >= -22 && e10 <= 22) {
        double x = (double)mant;
        *v = e10 < 0 ? x / pow10_exact[-e10] : x * pow10_exact[e10];
        return true;
    }
#if defined(__SIZEOF_INT128__)
    if (e10 >= -19 && e10 <= 19) { /* mant >= 2^53 here */
        *v = nearest_scaled(mant, (int)e10);
        return true;
    }
#endif
    return false;
}

/* Rare: long mantissas or big exponents. The syntax is checked, so strtod
 * sees only a plain decimal number; read it in the C locale. */
COLD static int parse_by_strtod(const char *start, size_t len, double *out)
{
    char tmp[512];
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

/* Blanks around, a sign, an exponent, long mantissas. */
NOINLINE static int parse_general(const char *s, size_t n, double *out)
{
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
    double v;
    if (!slow && decimal(mant, ex - frac, &v)) {
        *out = neg ? -v : v;
        return SEG_OK;
    }
    return parse_by_strtod(start, (size_t)(e - start), out);
}

/* [-]digits[.digits] and nothing else, with at most 19 digits, else the
 * general path. */
NOINLINE static int parse_plain(const char *s, size_t n, double *out)
{
    if (n && n <= 21) {
        const char *q = s, *e = s + n;
        bool neg = *q == '-';
        q += neg;
        uint64_t m = 0;
        size_t ni = seg__read_digits(q, e, 19, &m), nf = 0;
        q += ni;
        if (q < e && *q == '.') {
            q++;
            nf = seg__read_digits(q, e, 19 - ni, &m);
            q += nf;
        }
        double v;
        if (q == e && ni + nf && decimal(m, -(long)nf, &v)) {
            *out = neg ? -v : v;
            return SEG_OK;
        }
        /* digits, then a byte that no number has after them (a date's
         * '-', a letter): a label, told without the general path */
        if (q < e && ni + nf && !(*q >= '0' && *q <= '9') && *q != '.' &&
            *q != 'e' && *q != 'E' && *q != ' ' && *q != '\t')
            return SEG_EPARSE;
    }
    return parse_general(s, n, out);
}

int seg__parse_f64(const char *s, size_t n, double *out)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* the commonest: a whole number of at most 8 digits (a count, a number
     * of days), read without a loop, zeros put in front to make 8 */
    if (n - 1 < 8) {
        uint64_t w = short_word(s, n), v;
        w = w << (8 * (8 - n)) |
            (n == 8 ? 0 : 0x3030303030303030ull >> (8 * n));
        if (seg__digits8(w, &v)) {
            *out = (double)v;
            return SEG_OK;
        }
        /* or with a point (an amount): the digits before it moved up into
         * its place; v < 10^8, so one division rounds it */
        uint64_t x = w ^ 0x2E2E2E2E2E2E2E2Eull,
                 dots = (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
        if (n >= 2 && dots) {
            int at = __builtin_ctzll(dots) / 8; /* the first point */
            uint64_t below = (1ull << (8 * at)) - 1, above = ~below << 8;
            if (seg__digits8((w & below) << 8 | (w & above) | 0x30, &v)) {
                *out = (double)v / pow10_exact[7 - at];
                return SEG_OK;
            }
        }
    }
#endif
    return parse_plain(s, n, out);
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
