/* Numbers to text: the shortest of "%.15g", "%.16g", "%.17g" that reads
 * back, worked out in integers. Writers call this for every numeric cell,
 * so the common cases (integers, money, means) take one 128-bit product
 * and write their digits two at a time. */
#define _POSIX_C_SOURCE 200809L
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536"
    "37383940414243444546474849505152535455565758596061626364656667686970717273"
    "74757677787980818283848586878889909192939495969798990";

/* The digits of v written backwards, ending just before end; their count.
 * Two digits a division: half the divisions of one digit at a time. */
static size_t digits_before(char *end, uint64_t v)
{
    char *p = end;
    if (v >= 100000000) {
        /* the low eight digits apart: two short chains of divisions
         * instead of one long one, for the 16- and 17-digit values that
         * means and ratios have */
        uint32_t lo = (uint32_t)(v % 100000000);
        v /= 100000000;
        for (int i = 0; i < 4; i++, lo /= 100) {
            p -= 2;
            memcpy(p, digit_pairs + 2 * (lo % 100), 2);
        }
    }
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, digit_pairs + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, digit_pairs + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    return (size_t)(end - p);
}

/* Digits of m into buf, most significant first: their count. Counted
 * first, so that they are written in place; small numbers, the most
 * common in customer data, take a comparison or two. */
static size_t put_digits(char *buf, uint64_t m)
{
    if (m < 100) {
        if (m < 10) {
            buf[0] = (char)('0' + m);
            return 1;
        }
        memcpy(buf, digit_pairs + 2 * m, 2);
        return 2;
    }
    if (m < 10000) { /* days and counts: a pair or two, no loop */
        unsigned hi = (unsigned)m / 100, lo = (unsigned)m % 100;
        size_t n = 2;
        if (hi < 10) {
            buf[0] = (char)('0' + hi);
            n = 1;
        } else {
            memcpy(buf, digit_pairs + 2 * hi, 2);
        }
        memcpy(buf + n, digit_pairs + 2 * lo, 2);
        return n + 2;
    }
    size_t n = 5;
    for (uint64_t t = m / 100000; t; t /= 10)
        n++;
    digits_before(buf + n, m);
    return n;
}

static locale_t g_c_locale;

static void c_locale_init(void)
{
    g_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* The "C" locale, so that the rare printf path writes a '.' whatever
 * locale the host has set. */
static locale_t c_locale(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, c_locale_init);
    return g_c_locale ? g_c_locale : LC_GLOBAL_LOCALE;
}

#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

static const uint64_t pow10_u64[20] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
    10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
    100000000000ull, 1000000000000ull, 10000000000000ull,
    100000000000000ull, 1000000000000000ull, 10000000000000000ull,
    100000000000000000ull, 1000000000000000000ull,
    10000000000000000000ull};

static const uint64_t pow5_u64[28] = {
    1ull, 5ull, 25ull, 125ull, 625ull, 3125ull, 15625ull, 78125ull,
    390625ull, 1953125ull, 9765625ull, 48828125ull, 244140625ull,
    1220703125ull, 6103515625ull, 30517578125ull, 152587890625ull,
    762939453125ull, 3814697265625ull, 19073486328125ull,
    95367431640625ull, 476837158203125ull, 2384185791015625ull,
    11920928955078125ull, 59604644775390625ull, 298023223876953125ull,
    1490116119384765625ull, 7450580596923828125ull};

/* 5^k for k <= 54, exactly: one product above 5^27 */
static u128 pow5_wide(int k)
{
    return k < 28 ? (u128)pow5_u64[k] : (u128)pow5_u64[27] * pow5_u64[k - 27];
}

/* Where the part that a shift by sh cut off lies, in halves of the last digit
 * kept: nothing, below a half, exactly a half, above a half. */
enum { CUT_NONE, CUT_LOW, CUT_HALF, CUT_HIGH };

static int cut_of(u128 x, int sh)
{
    u128 rem = x & (((u128)1 << sh) - 1), half = (u128)1 << (sh - 1);
    return rem == 0 ? CUT_NONE
           : rem < half ? CUT_LOW
           : rem == half ? CUT_HALF
                         : CUT_HIGH;
}

/* D (the value's digits, truncated, the rest described by cut) rounded to
 * q fewer digits, ties to even. The divisors are constants, so the
 * divisions become multiplications. */
static uint64_t round_off(uint64_t D, int q, int cut)
{
    uint64_t d, r, half;
    switch (q) {
    case 0:
        return D + (cut == CUT_HIGH || (cut == CUT_HALF && (D & 1)));
    case 1: d = D / 10, r = D % 10, half = 5; break;
    case 2: d = D / 100, r = D % 100, half = 50; break;
    default: d = D / 1000, r = D % 1000, half = 500; break;
    }
    if (r > half || (r == half && (cut != CUT_NONE || (d & 1))))
        d++;
    return d;
}

/* Whether the candidate D + step, in units of the last of the value's
 * digits D, reads back: the value is D + frac / 2^sh in those units and
 * its neighbours' midpoints lie ten / 2^(sh+1) above and below it (a
 * quarter ulp below a power of two, edge), ten being the power of five
 * that scaled the value; a midpoint itself counts when the mantissa is
 * even (strtod rounds a tie to even). Exact, with no division: the
 * candidate is within 10^3 units of D and sh <= 70, so the distance in
 * units of 2^-sh fits 128 bits. */
static bool reads_back(uint64_t step, int sh, u128 frac, u128 ten, bool even,
                       bool edge)
{
    i128 off = (i128)(((u128)(i128)(int64_t)step << sh) - frac);
    bool below = off < 0;
    u128 dist = (u128)(below ? -off : off) << (below && edge ? 2 : 1);
    return dist < ten || (dist == ten && even);
}

/* The eight digits of v < 10^8, leading zeros and all: two independent
 * halves of two pairs each, with no loop to mispredict. */
static void eight_digits(char *out, uint32_t v)
{
    uint32_t a = v / 10000, b = v % 10000;
    memcpy(out, digit_pairs + 2 * (a / 100), 2);
    memcpy(out + 2, digit_pairs + 2 * (a % 100), 2);
    memcpy(out + 4, digit_pairs + 2 * (b / 100), 2);
    memcpy(out + 6, digit_pairs + 2 * (b % 100), 2);
}

/* Digits and exponent as "%.<p>g" writes them: the p-digit value d
 * (10^(p-1) <= d < 10^p, p <= 17) with decimal exponent x, trailing zeros
 * dropped. */
static size_t put_g(char *buf, uint64_t d, int p, int x)
{
    /* all 17 places written, the p digits at their end; the copies below
     * are of fixed lengths, done in a few moves and no call: what they
     * take past the digits lands past the text, inside its 33 bytes, and
     * is written over by what comes next */
    char tmp[48] = {0};
    uint64_t hi = d / 100000000;
    tmp[0] = (char)('0' + hi / 100000000);
    eight_digits(tmp + 1, (uint32_t)(hi % 100000000));
    eight_digits(tmp + 9, (uint32_t)(d % 100000000));
    const char *dig = tmp + 17 - p;
    int nd = p;
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    size_t n = 0;
    if (x < -4 || x >= p) {
        buf[n++] = dig[0];
        if (nd > 1) {
            buf[n++] = '.';
            memcpy(buf + n, dig + 1, (size_t)nd - 1);
            n += (size_t)nd - 1;
        }
        buf[n++] = 'e';
        buf[n++] = x < 0 ? '-' : '+';
        unsigned ax = (unsigned)(x < 0 ? -x : x);
        if (ax < 10)
            buf[n++] = '0';
        n += put_digits(buf + n, ax);
    } else if (x < 0) { /* x >= -4: at most 6 + 17 bytes */
        memcpy(buf, "0.000000", 8);
        n = (size_t)(1 - x);
        memcpy(buf + n, dig, 24);
        n += (size_t)nd;
    } else {
        size_t whole = (size_t)x + 1, nds = (size_t)nd;
        if (nds <= whole) {
            memcpy(buf, dig, nds);
            memset(buf + nds, '0', whole - nds);
            n = whole;
        } else { /* whole < nds <= 17: at most 17 + 16 bytes */
            memcpy(buf, dig, 16);
            buf[whole] = '.';
            memcpy(buf + whole + 1, dig + whole, 16);
            n = nds + 1;
        }
    }
    buf[n] = '\0';
    return n;
}

/* The text of the printf loop of seg__format_f64 (the first of "%.15g",
 * "%.16g", "%.17g" that reads back), computed exactly in integers for a
 * non-integer 1e-15 <= |v| < 1e15 (the small probabilities of the
 * customer-base models among them); 0 outside that range. */
static size_t format_exact(char *buf, double v)
{
    double a = fabs(v);
    if (!(a >= 1e-15 && a < 1e15))
        return 0;
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    uint64_t m = (bits & ((1ull << 52) - 1)) | (1ull << 52);
    int sh = 1075 - (int)(bits >> 52); /* a = m / 2^sh, 0 < sh < 128 */
    /* x = floor(log10 a) is floor(e2 log10 2) or one more, where
     * 2^e2 <= a < 2^(e2+1); 78913 / 2^18 is log10 2 to 6 digits, enough
     * for |e2| < 2^10 */
    int e2 = (int)(bits >> 52) - 1023, t = e2 * 78913;
    int x = t >= 0 ? t >> 18 : -((-t + (1 << 18) - 1) >> 18);
    /* 17 digits (18 when x was one short), truncated: every precision
     * below is rounded from these. a 10^k = m 5^k / 2^(sh - k), k = 16 -
     * x <= 32 and sh - k > 0 in the range: the product fits 128 bits,
     * and in units of 2^-(sh - k) the neighbours' midpoints lie 5^k / 2
     * away, as 10^k / 2 in units of 2^-sh */
    int k = 16 - x;
    u128 ten = pow5_wide(k), prod = (u128)m * ten;
    sh -= k;
    uint64_t D = (uint64_t)(prod >> sh);
    int cut = cut_of(prod, sh);
    int extra = 0;
    if (D >= pow10_u64[17]) {
        x++;
        extra = 1;
    }
    size_t n = 0;
    if (v < 0)
        buf[n++] = '-';
    u128 frac = prod & (((u128)1 << sh) - 1);
    bool even = !(m & 1), edge = m == (1ull << 52);
    /* the two trials at once, with no branch on which reads back: for
     * much of the data that is as good as random */
    uint64_t d15 = round_off(D, 2 + extra, cut),
             d16 = round_off(D, 1 + extra, cut);
    bool ok15 = reads_back(d15 * pow10_u64[2 + extra] - D, sh, frac, ten,
                           even, edge),
         ok16 = reads_back(d16 * pow10_u64[1 + extra] - D, sh, frac, ten,
                           even, edge);
    int p = ok15 ? 15 : ok16 ? 16 : 17;
    uint64_t d = ok15 ? d15 : ok16 ? d16 : round_off(D, extra, cut);
    int xr = x;
    if (d == pow10_u64[p]) { /* 9.99.. rounded up to 10.0.. */
        d /= 10;
        xr++;
    }
    return n + put_g(buf + n, d, p, xr);
}
#else
static size_t format_exact(char *buf, double v)
{
    (void)buf;
    (void)v;
    return 0;
}
#endif

/* A number of cents, the commonest non-integer of customer data: when
 * round(|v| * 100) / 100 reads back as |v|, that decimal has at most 15
 * digits, and a decimal of at most 15 digits that reads back is what
 * "%.15g" writes (a double's neighbours are closer than half a unit of
 * the 15th digit). 0 when v is no such number. */
static size_t format_cents(char *buf, double v)
{
    double a = fabs(v);
    if (!(a < 1e12))
        return 0;
    double y = a * 100;
    uint64_t d = (uint64_t)(y + 0.5);
    /* a number of cents has y within 0.02 of d (half an ulp of a times
     * 100, half an ulp of y, for a < 1e12): the far ones, most of the
     * means and ratios, are turned away before the division */
    if (fabs(y - (double)d) > 0.05 || (double)d / 100 != a)
        return 0;
    size_t n = 0;
    if (v < 0)
        buf[n++] = '-';
    n += put_digits(buf + n, d / 100);
    unsigned c = (unsigned)(d % 100);
    buf[n] = '.';
    if (c % 10) {
        memcpy(buf + n + 1, digit_pairs + 2 * c, 2);
        n += 3;
    } else {
        buf[n + 1] = (char)('0' + c / 10);
        n += 2;
    }
    buf[n] = '\0';
    return n;
}

size_t seg__format_f64(char *buf, double v)
{
    if (fabs(v) < 9007199254740992.0 && v == (double)(int64_t)v) {
        size_t n = 0;
        if (v < 0)
            buf[n++] = '-';
        n += put_digits(buf + n, (uint64_t)fabs(v));
        buf[n] = '\0';
        return n;
    }
    if (isnan(v))
        return (size_t)snprintf(buf, 33, "nan");
    if (isinf(v))
        return (size_t)snprintf(buf, 33, v < 0 ? "-inf" : "inf");
    size_t quick = format_cents(buf, v);
    if (!quick)
        quick = format_exact(buf, v);
    if (quick)
        return quick;
    /* tiny and huge values: rare in customer data */
    locale_t old = uselocale(c_locale());
    int len = 0;
    for (int prec = 15; prec <= 17; prec++) {
        len = snprintf(buf, 33, "%.*g", prec, v);
        if (prec == 17 || strtod(buf, NULL) == v)
            break;
    }
    uselocale(old);
    return (size_t)len;
}
