/* Internal helpers: number parsing against strtod, UTF-8, the interner. */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset/struct.h"
#include "models/clv/internal.h"
#include "models/clv/numeric.h"
#include "testutil.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_parse_f64_matches_strtod(void **state)
{
    (void)state;
    char buf[64];
    for (int i = 0; i < 200000; i++) {
        double v;
        switch (i % 5) {
        case 4: /* signed plain decimals, up to 16 digits: the fast path */
        {
            int frac = (int)(next() % 9);
            const char *sign = next() % 2 ? "-" : "";
            unsigned long long whole = next() % 10000000;
            if (frac == 0) /* "12" or "12." */
                snprintf(buf, sizeof buf, "%s%llu%s", sign, whole,
                         next() % 2 ? "." : "");
            else
                snprintf(buf, sizeof buf, "%s%llu.%0*llu", sign, whole, frac,
                         (unsigned long long)(next() % 100000000) %
                             (unsigned long long)pow(10, frac));
            break;
        }
        case 0: /* money */
            snprintf(buf, sizeof buf, "%llu.%02llu",
                     (unsigned long long)(next() % 100000),
                     (unsigned long long)(next() % 100));
            break;
        case 1: /* any double, printed in full */
        {
            uint64_t bits = next();
            memcpy(&v, &bits, sizeof v);
            if (!isfinite(v))
                v = 1.5;
            snprintf(buf, sizeof buf, "%.17g", v);
            break;
        }
        case 2: /* short decimals with exponents */
            snprintf(buf, sizeof buf, "%lld.%llde%d",
                     (long long)(next() % 1000000) - 500000,
                     (unsigned long long)(next() % 1000),
                     (int)(next() % 60) - 30);
            break;
        default: /* long mantissas */
            snprintf(buf, sizeof buf, "%llu%llu.%llu",
                     (unsigned long long)next(), (unsigned long long)next(),
                     (unsigned long long)(next() % 1000));
            break;
        }
        double want = strtod(buf, NULL), got;
        if (seg__parse_f64(buf, strlen(buf), &got) != SEG_OK || got != want)
            fail_msg("'%s': got %.17g, strtod %.17g", buf, got, want);
        char out[40];
        size_t n = seg__format_f64(out, want);
        double back;
        assert_int_equal(seg__parse_f64(out, n, &back), SEG_OK);
        if (back != want)
            fail_msg("format %.17g gave '%s'", want, out);
    }
}

/* That the parser reads buf as strtod does: its bits, or out of range
 * where strtod overflows. */
static void assert_reads_as_strtod(const char *buf)
{
    double want = strtod(buf, NULL), got;
    int rc = seg__parse_f64(buf, strlen(buf), &got);
    if (!isfinite(want)) {
        if (rc != SEG_ERANGE)
            fail_msg("'%s': %d, not out of range", buf, rc);
    } else if (rc != SEG_OK || memcmp(&got, &want, sizeof got) != 0) {
        fail_msg("'%s': %d, got %.17g, strtod %.17g", buf, rc, got, want);
    }
}

/* 16 to 19 significant digits with exponents within 19, which the parser
 * rounds exactly in integers: strtod's double for each of two million,
 * among them halfway cases (odd integers above 2^53, so ties to even) and
 * decimals with the point anywhere, up to 19 digits and leading zeros. */
static void test_parse_f64_long_mantissas(void **state)
{
    (void)state;
    char buf[80], dig[24];
    for (int i = 0; i < 2000000; i++) {
        unsigned long long m;
        switch (i % 4) {
        case 0: /* any 64-bit mantissa of up to 19 digits */
            m = next() % 10000000000000000000ull;
            break;
        case 1: /* between 2^53 and 2^64, odd: many exact ties */
            m = (next() | 1) % 10000000000000000000ull;
            m = m < (1ull << 53) ? m + (1ull << 53) : m;
            break;
        case 2: /* 16 or 17 digits, as a mean written by %.17g */
            m = 1000000000000000ull + next() % 99000000000000000ull;
            break;
        default: /* a tie shifted by a power of ten */
            m = ((1ull << 53) + 2 * (next() % (1ull << 40)) + 1) *
                (next() % 2 ? 1 : 10);
            break;
        }
        int nd = snprintf(dig, sizeof dig, "%llu", m);
        int ex = (int)(next() % 39) - 19, form = (int)(next() % 3);
        const char *sign = next() % 2 ? "-" : "";
        if (form == 0) { /* digits and an exponent */
            snprintf(buf, sizeof buf, "%s%se%d", sign, dig, ex);
        } else { /* a point inside (or before, with zeros) the digits */
            int point = (int)(next() % (unsigned)(nd + 3)) - 2;
            if (point <= 0)
                snprintf(buf, sizeof buf, "%s0.%0*d%s", sign, -point + 1, 0,
                         dig);
            else if (point >= nd)
                snprintf(buf, sizeof buf, "%s%s.", sign, dig);
            else
                snprintf(buf, sizeof buf, "%s%.*s.%s", sign, point, dig,
                         dig + point);
            if (form == 2 && strlen(buf) + 6 < sizeof buf)
                snprintf(buf + strlen(buf), 6, "E%+d", ex);
        }
        assert_reads_as_strtod(buf);
    }
}

/* Every YYYY-MM-DD of the years 1 to 9999, and the impossible days and
 * months around them: the in-place date reader gives the day a running
 * count of the calendar gives (from 0001-01-01, 719162 days before the
 * epoch), and what the general ISO 8601 reader gives for the same day at
 * midnight; what it does not take errs as that reader errs. */
static void test_plain_dates_as_the_calendar(void **state)
{
    (void)state;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    int64_t day = -719162;
    char buf[32], slow[40];
    for (int y = 1; y <= 9999; y++) {
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        for (int m = 0; m <= 13; m++) {
            int last = m >= 1 && m <= 12 ? mdays[m - 1] + (m == 2 && leap)
                                         : 0;
            for (int d = 0; d <= 32; d++) {
                snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
                snprintf(slow, sizeof slow, "%sT00:00", buf);
                int64_t t = 0, u = 0;
                int rc = seg_time_parse(&t, buf, 10, SEG_TIME_AUTO);
                int rs = seg_time_parse(&u, slow, strlen(slow),
                                        SEG_TIME_ISO8601);
                assert_int_equal(rc, rs);
                if (d >= 1 && d <= last) {
                    assert_int_equal(rc, SEG_OK);
                    if (t != day * 86400 || t != u)
                        fail_msg("%s: %lld, calendar %lld", buf,
                                 (long long)t, (long long)(day * 86400));
                    assert_int_equal(seg_time_parse(&u, buf, 10,
                                                    SEG_TIME_ISO8601),
                                     SEG_OK);
                    assert_true(u == t);
                    day++;
                } else {
                    assert_int_not_equal(rc, SEG_OK);
                }
            }
        }
    }
    int64_t t;
    assert_int_equal(seg_time_parse(&t, "2023-12-31", 10, SEG_TIME_AUTO),
                     SEG_OK);
    assert_true(t == 1703980800);
    /* the shape alone is not enough: these go the general way */
    static const char *const odd[] = {"2023/12/31", "2023-1-031", "+023-12-31",
                                      "2023-12-3x", " 023-12-31",
                                      "2023-12-31"};
    for (size_t i = 0; i + 1 < sizeof odd / sizeof *odd; i++)
        assert_int_not_equal(seg_time_parse(&t, odd[i], 10, SEG_TIME_AUTO),
                             SEG_OK);
}

/* The formatter's quick paths write what printf writes: "%lld" for
 * integers, the shortest of "%.15g" .. "%.17g" that reads back otherwise. */
static size_t format_by_printf(char *buf, double v)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        return (size_t)snprintf(buf, 33, "%lld", (long long)v);
    int len = 0;
    for (int prec = 15; prec <= 17; prec++) {
        len = snprintf(buf, 33, "%.*g", prec, v);
        if (prec == 17 || strtod(buf, NULL) == v)
            break;
    }
    return (size_t)len;
}

/* A double near the edges: subnormals, powers of two (whose lower
 * neighbour is nearer), the ends of the exact integer path, 15-17 digit
 * decimals that sit on a rounding tie. */
static double edge_case(unsigned kind)
{
    uint64_t bits;
    double v;
    switch (kind % 6) {
    case 0: /* subnormal */
        bits = next() & ((1ull << 52) - 1);
        break;
    case 1: /* a power of two, or a few ulps around it */
        bits = ((next() % 2046 + 1) << 52) + (next() % 5) - 2;
        break;
    case 2: /* near the ends of the range formatted in integers */
    {
        static const double ends[] = {1e-5, 1e-4, 1e-3, 0.1, 1, 1e14, 1e15,
                                      9007199254740992.0, 1e16, 1e17};
        v = ends[next() % 10];
        int64_t step = (int64_t)(next() % 2001) - 1000;
        memcpy(&bits, &v, sizeof bits);
        bits += (uint64_t)step;
        break;
    }
    case 3: /* the largest and smallest */
    {
        static const double big[] = {DBL_MAX, DBL_MIN, DBL_EPSILON, 5e-324,
                                     1.7976931348623155e308};
        v = big[next() % 5];
        memcpy(&bits, &v, sizeof bits);
        bits -= next() % 3;
        break;
    }
    case 4: /* a decimal of 15 to 17 significant digits */
    {
        char buf[48];
        int digits = 15 + (int)(next() % 3);
        snprintf(buf, sizeof buf, "%.*fe%d", digits - 1,
                 1 + (double)(next() % 8999999) / 1e6,
                 (int)(next() % 30) - 10);
        v = strtod(buf, NULL);
        memcpy(&bits, &v, sizeof bits);
        break;
    }
    default: /* a dyadic fraction: its decimal expansion ends, ties happen */
        v = (double)(next() % (1ull << 53)) / (double)(1ull << (next() % 60));
        memcpy(&bits, &v, sizeof bits);
        break;
    }
    memcpy(&v, &bits, sizeof v);
    return isfinite(v) ? v : 1.5;
}

static void test_format_f64_as_printf(void **state)
{
    (void)state;
    char got[40], want[40];
    for (int i = 0; i < 2000000; i++) {
        double v;
        switch (i % 8) {
        case 0: /* money */
            v = (double)(int64_t)(next() % 20000000 - 10000000) / 100;
            break;
        case 1: /* up to six places */
            v = (double)(int64_t)(next() % 2000000000) /
                pow(10, (double)(next() % 7));
            break;
        case 2: /* ratios */
            v = (double)(next() % 100000) / (double)(1 + next() % 997);
            break;
        case 3: /* small and large */
            v = (double)(next() % 1000) * pow(10, (double)(next() % 40) - 20);
            break;
        case 4: /* integers, signed */
            v = (double)((int64_t)(next() % 2000000001) - 1000000000);
            break;
        case 5: /* edges, either sign */
            v = edge_case((unsigned)(next() % 6));
            v = next() % 2 ? -v : v;
            break;
        case 6: /* means of money: long expansions */
            v = (double)(next() % 10000000) / 100 / (double)(1 + next() % 60);
            break;
        default: { /* any double */
            uint64_t bits = next();
            memcpy(&v, &bits, sizeof v);
            if (!isfinite(v))
                v = -0.0;
        }
        }
        size_t n = seg__format_f64(got, v), m = format_by_printf(want, v);
        if (n != m || strcmp(got, want) != 0)
            fail_msg("%a (%.17g): '%s', printf '%s'", v, v, got, want);
        if (strtod(got, NULL) != v && v == v)
            fail_msg("%a: '%s' does not read back", v, got);
    }
}

/* The significant digits of a number's text: those of the part before
 * any exponent, less leading and trailing zeros. */
static int significant_digits(const char *s)
{
    int first = -1, last = -1, i = 0;
    for (; s[i] && s[i] != 'e'; i++) {
        if (s[i] >= '1' && s[i] <= '9') {
            if (first < 0)
                first = i;
            last = i;
        }
    }
    if (first < 0)
        return 1; /* zero */
    int n = 0;
    for (i = first; i <= last; i++)
        n += s[i] >= '0' && s[i] <= '9';
    return n;
}

/* Doubles of every exponent, subnormals, powers of two and dyadic
 * fractions (whose decimals end on rounding ties): the text reads back to
 * the same bits and carries no more significant digits than the fewest
 * with which printf's "%.<p>g" reads back, found by trying p = 1..17
 * (15 for a subnormal). */
static void test_format_f64_shortest(void **state)
{
    (void)state;
    char got[40], tried[40];
    for (int i = 0; i < 150000; i++) {
        double v;
        uint64_t bits;
        switch (i % 4) {
        case 0: /* any exponent, any mantissa */
            bits = (next() % 2047) << 52 | (next() & ((1ull << 52) - 1));
            memcpy(&v, &bits, sizeof v);
            break;
        case 1: /* subnormal */
            bits = next() & ((1ull << 52) - 1);
            memcpy(&v, &bits, sizeof v);
            break;
        case 2: /* a dyadic fraction */
            v = (double)(next() % (1ull << 53)) /
                ldexp(1, (int)(next() % 80));
            break;
        default:
            v = edge_case((unsigned)(next() % 6));
        }
        if (next() % 2)
            v = -v;
        seg__format_f64(got, v);
        double back = strtod(got, NULL);
        /* the same bits, but for -0, which is written "0" */
        if (memcmp(&back, &v, sizeof v) != 0 && !(v == 0 && back == 0))
            fail_msg("%a: '%s' reads back as %a", v, got, back);
        int p = 1;
        for (; p < 17; p++) {
            snprintf(tried, sizeof tried, "%.*g", p, v);
            if (strtod(tried, NULL) == v)
                break;
        }
        /* a subnormal has fewer bits than 15 digits need, and the
         * formatter starts at 15 digits, as it always has: there it may
         * write more than the fewest */
        if (fabs(v) < DBL_MIN && p < 15)
            p = 15;
        if (significant_digits(got) > p)
            fail_msg("%a: '%s' has more than the %d digits of '%.*g'", v,
                     got, p, p, v);
    }
}

/* Where the trials of 15 and 16 digits are decided in integers (a
 * non-integer between 1e-15 and 1e15): random doubles of each binary
 * exponent there, doubles a few ulps from 15- and 16-digit decimals
 * (where the trials change their answer), from powers of two (whose lower
 * midpoint is nearer) and means of cents, against printf's search. */
static void test_format_f64_trials(void **state)
{
    (void)state;
    char got[40], want[40], dec[40];
    for (int i = 0; i < 360000; i++) {
        double v;
        uint64_t bits;
        int e2 = -51 + (int)(next() % 101); /* 2^-51 .. 2^49 */
        switch (i % 4) {
        case 0:
            bits = (uint64_t)(e2 + 1023) << 52 | (next() & ((1ull << 52) - 1));
            memcpy(&v, &bits, sizeof v);
            break;
        case 1: { /* a 15- or 16-digit decimal, then a few ulps off it */
            int p = 15 + (int)(next() % 2);
            snprintf(dec, sizeof dec, "%.*e", p - 1,
                     ldexp(1.0 + (double)(next() >> 12) / 4503599627370496.0,
                           e2));
            v = strtod(dec, NULL);
            memcpy(&bits, &v, sizeof bits);
            bits += (uint64_t)((int64_t)(next() % 7) - 3);
            memcpy(&v, &bits, sizeof v);
            break;
        }
        case 2: /* a power of two, or a few ulps around it */
            bits = ((uint64_t)(e2 + 1023) << 52) + (next() % 5) - 2;
            memcpy(&v, &bits, sizeof v);
            break;
        default: /* a mean of cents */
            v = (double)(next() % 100000000) / 100 / (double)(1 + next() % 97);
        }
        if (next() % 2)
            v = -v;
        size_t n = seg__format_f64(got, v), m = format_by_printf(want, v);
        if (n != m || strcmp(got, want) != 0)
            fail_msg("%a (%.17g): '%s', printf '%s'", v, v, got, want);
    }
}

/* Every cent from 0 to 20000.00, and runs of consecutive doubles from
 * points in every decade of the integer path: each digit count, carry
 * into a new decade and rounding tie of the formatter's paths, against
 * printf. */
static void test_format_f64_walks(void **state)
{
    (void)state;
    char got[40], want[40];
    for (int64_t c = 0; c <= 2000000; c++) {
        double v = (double)c / 100;
        size_t n = seg__format_f64(got, v), m = format_by_printf(want, v);
        if (n != m || strcmp(got, want) != 0)
            fail_msg("%.17g: '%s', printf '%s'", v, got, want);
    }
    for (int e = -16; e <= 16; e++) {
        static const double lead[] = {1, 1.5, 2, 3.3, 5, 7.77, 9.999, 9.9999999};
        for (size_t l = 0; l < sizeof lead / sizeof *lead; l++) {
            double v = lead[l] * pow(10, e);
            uint64_t bits;
            memcpy(&bits, &v, sizeof bits);
            bits -= 3000;
            for (int i = 0; i < 6000; i++, bits++) {
                double x;
                memcpy(&x, &bits, sizeof x);
                size_t n = seg__format_f64(got, x),
                       m = format_by_printf(want, x);
                if (n != m || strcmp(got, want) != 0)
                    fail_msg("%a (%.17g): '%s', printf '%s'", x, x, got,
                             want);
            }
        }
    }
}

/* The decimals nearest a tie between two doubles, where a product by an
 * approximate power of ten cannot decide and the parser must divide
 * exactly: each tie (computed exactly in long double) written to 16 to 19
 * significant digits, one unit either side of that, and ties that are
 * exact in few digits (x.5 above 2^52, x.25, x.125 ...); each read as
 * strtod reads it. */
static void test_parse_f64_near_ties(void **state)
{
    (void)state;
    char buf[80];
    for (int i = 0; i < 600000; i++) {
        double d;
        if (i % 3 == 2) { /* an exact tie: d + ulp/2 in 17 to 19 digits */
            int lo = 53 - (int)(next() % 4); /* 2^49 .. 2^53 */
            d = ldexp(1.0, lo - 1) * (1.0 + (double)(next() >> 12) * 0x1p-52);
            long double mid = (long double)d +
                              (long double)(nextafter(d, INFINITY) - d) / 2;
            snprintf(buf, sizeof buf, "%s%.*Lf", next() % 2 ? "-" : "",
                     54 - lo, mid);
        } else {
            /* a double between 1e-3 and 1e16, and the tie above it */
            d = pow(10.0, (double)(next() % 19000) / 1000.0 - 3.0) *
                (1.0 + (double)(next() % 1000) / 1e6);
            long double mid = (long double)d +
                              (long double)(nextafter(d, INFINITY) - d) / 2;
            int sig = 16 + (int)(next() % 4);
            int x = (int)floorl(log10l(mid));
            int frac = sig - 1 - x;
            if (frac < 1)
                frac = 1;
            snprintf(buf, sizeof buf, "%.*Lf", frac, mid);
            if (i % 3 == 1) { /* one unit of the last digit off */
                size_t k = strlen(buf) - 1;
                if (next() % 2 && buf[k] < '9')
                    buf[k]++;
                else if (buf[k] > '0')
                    buf[k]--;
            }
        }
        assert_reads_as_strtod(buf);
    }
}

/* Every kind of decimal against strtod: short, 15 to 20 digits, long
 * mantissas, exponents near the limits (subnormals, underflow to zero,
 * overflow, which is out of range), signs, leading zeros. */
static void test_parse_f64_every_form(void **state)
{
    (void)state;
    char buf[200], dig[120];
    for (int i = 0; i < 1000000; i++) {
        int nd;
        switch (i % 4) {
        case 0: nd = 1 + (int)(next() % 8); break;
        case 1: nd = 15 + (int)(next() % 6); break;
        case 2: nd = 21 + (int)(next() % 80); break;
        default: nd = 1 + (int)(next() % 20); break;
        }
        for (int k = 0; k < nd; k++)
            dig[k] = (char)('0' + next() % 10);
        dig[nd] = '\0';
        int lead = next() % 4 == 0 ? (int)(next() % 5) : 0;
        int point = (int)(next() % (unsigned)(nd + 2)) - 1;
        const char *sign = (const char *[]){"", "-", "+"}[next() % 3];
        int len = snprintf(buf, sizeof buf, "%s%.*s", sign, lead,
                           "00000");
        if (point < 0 || point >= nd)
            len += snprintf(buf + len, sizeof buf - (size_t)len, "%s", dig);
        else
            len += snprintf(buf + len, sizeof buf - (size_t)len, "%.*s.%s",
                            point, dig, dig + point);
        if (i % 4 == 3 || next() % 3 == 0) {
            /* exponents near the limits, or anywhere */
            int ex = next() % 2 ? (int)(next() % 700) - 350
                                : (next() % 2 ? 1 : -1) *
                                      (290 + (int)(next() % 60));
            snprintf(buf + len, sizeof buf - (size_t)len, "%se%d",
                     next() % 2 ? "" : "E", ex);
            if (buf[len] == 'E')
                memmove(buf + len, buf + len + 1, strlen(buf + len));
        }
        assert_reads_as_strtod(buf);
    }
}

/* Short fields, where whole numbers and amounts of up to 8 characters are
 * read a word at a time: every string of up to 4 characters, and random
 * ones of 5 to 12, over digits, point, signs and 'e'. Over these
 * characters the grammar is strtod's, so a field is accepted exactly when
 * strtod reads all of it, and then with its bits (or is out of range when
 * strtod overflows). */
static void test_parse_f64_short_fields(void **state)
{
    (void)state;
    static const char abc[] = "0123456789.-+e";
    const unsigned na = sizeof abc - 1;
    char buf[16];
    for (long i = 0; i < 1200000; i++) {
        size_t n;
        if (i < 41370) { /* 14 + 14^2 + 14^3 + 14^4: all of them */
            long k = i;
            n = 1;
            for (long c = na; k >= c; c *= na) {
                k -= c;
                n++;
            }
            for (size_t j = 0; j < n; j++, k /= na)
                buf[j] = abc[k % na];
        } else {
            n = 5 + (size_t)(next() % 8);
            for (size_t j = 0; j < n; j++) /* mostly digits */
                buf[j] = next() % 4 ? (char)('0' + next() % 10)
                                    : abc[next() % na];
        }
        buf[n] = '\0';
        char *end;
        double got;
        (void)strtod(buf, &end);
        if (*end == '\0' && end != buf)
            assert_reads_as_strtod(buf);
        else if (seg__parse_f64(buf, n, &got) != SEG_EPARSE)
            fail_msg("'%s' accepted", buf);
    }
}

static void test_parse_f64_rejects(void **state)
{
    (void)state;
    const char *bad[] = {"", " ", "abc", "1.2.3", "1e", "--1", "nan", "inf",
                         "0x10", "1,5", "1 2", ".", "+", "e5",
                         "2021-01-01T00:00:00Z", "12:30", "1x", "-7kg",
                         "3.25e", "3.25 x", "4.5-", "12345678901234567890a"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        double v;
        if (seg__parse_f64(bad[i], strlen(bad[i]), &v) != SEG_EPARSE)
            fail_msg("'%s' accepted", bad[i]);
    }
    double v;
    assert_int_equal(seg__parse_f64("1e400", 5, &v), SEG_ERANGE);
    assert_int_equal(seg__parse_f64(" -2.5 ", 6, &v), SEG_OK);
    assert_true(v == -2.5);
    assert_int_equal(seg__parse_f64(".5", 2, &v), SEG_OK);
    assert_true(v == 0.5);
    assert_int_equal(seg__parse_f64("5.", 2, &v), SEG_OK);
    assert_true(v == 5.0);
}

static uint64_t next_random(uint64_t x)
{
    x ^= x << 13;
    x ^= x >> 7;
    return x ^ x << 17;
}

static void test_utf8(void **state)
{
    (void)state;
    assert_true(seg__utf8_valid("abc", 3));
    assert_true(seg__utf8_valid("张三", strlen("张三")));
    assert_true(seg__utf8_valid("\xf0\x9f\x98\x80", 4)); /* emoji */
    assert_false(seg__utf8_valid("\xe5\xbc", 2));        /* truncated */
    assert_false(seg__utf8_valid("\xc0\x80", 2));        /* overlong NUL */
    assert_false(seg__utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(seg__utf8_valid("a\0b", 3));
    /* past a run of ASCII words: a NUL or a byte above 0x7F in any place
     * of a word or of the tail, and a sequence that starts in one word and
     * ends in the next */
    char buf[40];
    for (size_t n = 1; n <= sizeof buf; n++) {
        memset(buf, 'x', n);
        assert_true(seg__utf8_valid(buf, n));
        for (size_t i = 0; i < n; i++) {
            buf[i] = '\0';
            assert_false(seg__utf8_valid(buf, n));
            buf[i] = (char)0x80;
            assert_false(seg__utf8_valid(buf, n));
            buf[i] = (char)0xff;
            assert_false(seg__utf8_valid(buf, n));
            if (i + 1 < n) {
                memcpy(buf + i, "\xc3\xa9", 2); /* e acute */
                assert_true(seg__utf8_valid(buf, n));
                buf[i + 1] = 'x';
                assert_false(seg__utf8_valid(buf, n));
            }
            if (i + 2 < n) {
                memcpy(buf + i, "\xe5\xbc\xa0", 3);
                assert_true(seg__utf8_valid(buf, n));
                buf[i + 2] = 'x';
            }
            memset(buf, 'x', n);
        }
    }
}

/* The hash's value is that of its definition, a byte at a time: the
 * checksum of every model file written depends on it. */
static uint64_t hash_by_bytes(const unsigned char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = 0;
        for (int k = 0; k < 8; k++)
            w |= (uint64_t)s[i + k] << (8 * k);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    uint64_t w = 0;
    for (int k = 0; i + k < n; k++)
        w |= (uint64_t)s[i + k] << (8 * k);
    h = (h ^ w) * 0x94d049bb133111ebull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

/* The word compare of two strings against memcmp: every length up to 40,
 * equal, and unequal at each place in turn, at 8 alignments. */
static void test_same_bytes(void **state)
{
    (void)state;
    char a[64], b[64];
    uint64_t x = 0x2545F4914F6CDD1Dull;
    for (size_t i = 0; i < sizeof a; i++) {
        x = next_random(x);
        a[i] = b[i] = (char)x;
    }
    for (size_t at = 0; at < 8; at++)
        for (size_t n = 0; n <= 40; n++) {
            assert_true(seg__same_bytes(a + at, b + at, n));
            for (size_t k = 0; k < n; k++) {
                b[at + k] ^= (char)(1 << (k % 8));
                assert_false(seg__same_bytes(a + at, b + at, n));
                assert_int_equal(seg__same_bytes(a + at, b + at, k), 1);
                b[at + k] = a[at + k];
            }
        }
}

static void test_hash_by_bytes(void **state)
{
    (void)state;
    unsigned char buf[64];
    uint64_t x = 88172645463325252ull;
    for (int round = 0; round < 50; round++) {
        for (size_t i = 0; i < sizeof buf; i++) {
            x = next_random(x);
            buf[i] = (unsigned char)x;
        }
        for (size_t at = 0; at < 8; at++)
            for (size_t n = 0; at + n <= sizeof buf; n++)
                if (seg__hash((const char *)buf + at, n) !=
                    hash_by_bytes(buf + at, n))
                    fail_msg("length %zu at %zu", n, at);
    }
    /* values written down, of the definition computed elsewhere */
    assert_true(seg__hash("728642876", 9) == 0x4e3d12e2a26f803bull);
    assert_true(seg__hash("c1", 2) == 0x18520e2b87993367ull);
    assert_true(seg__hash("", 0) == 0x0a3f46e79293b578ull);
}

/* Blocks of every size, small to past the huge-page hint's 2 MiB: a
 * zeroed block is zero when it reuses dirty memory, a grown block keeps
 * its bytes, and a count that overflows is refused. */
static void test_blocks_zeroed_and_kept(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 100, 5000, 300000, (size_t)3 << 20,
                                   (size_t)9 << 20 | 123};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        unsigned char *dirty = seg__malloc(n);
        assert_non_null(dirty);
        memset(dirty, 0xa5, n);
        seg__free(dirty);
        unsigned char *z = seg__calloc(n / 4 ? n / 4 : 1, n / 4 ? 4 : n);
        assert_non_null(z);
        size_t zn = n / 4 ? n / 4 * 4 : n, nonzero = 0;
        for (size_t i = 0; i < zn; i++)
            nonzero += z[i] != 0;
        assert_int_equal(nonzero, 0);
        for (size_t i = 0; i < zn; i++)
            z[i] = (unsigned char)(i * 7);
        void *g = z;
        size_t cap = zn;
        assert_int_equal(seg__grow(&g, &cap, zn * 3, 1), SEG_OK);
        z = g;
        size_t changed = 0;
        for (size_t i = 0; i < zn; i++)
            changed += z[i] != (unsigned char)(i * 7);
        assert_int_equal(changed, 0);
        seg__free(z);
    }
    assert_null(seg__calloc(SIZE_MAX / 2, 3));
}

static void test_interner_truncate(void **state)
{
    (void)state;
    seg__interner in;
    memset(&in, 0, sizeof in);
    char key[32];
    for (uint32_t i = 0; i < 10000; i++) {
        uint32_t idx;
        bool added;
        snprintf(key, sizeof key, "k%u", i);
        assert_int_equal(seg__intern(&in, key, strlen(key), &idx, &added), 0);
        assert_true(added);
        assert_int_equal(idx, i);
    }
    seg__intern_truncate(&in, 5000);
    for (uint32_t i = 0; i < 10000; i++) {
        uint32_t idx;
        snprintf(key, sizeof key, "k%u", i);
        bool found = seg__intern_find(&in, key, strlen(key), &idx);
        assert_int_equal(found, i < 5000);
        if (found)
            assert_string_equal(seg__intern_str(&in, idx), key);
    }
    uint32_t idx;
    assert_int_equal(seg__intern(&in, "k9999", 5, &idx, NULL), 0);
    assert_int_equal(idx, 5000);
    seg__intern_free(&in);
}

/* Short strings, which the table keeps in their slots (digits as half
 * bytes, other bytes with their count), next to longer ones kept in the
 * pool, all of one hash in the second pass: each must be told from every
 * other, the leading zeros, the trailing NUL and the bytes next to the
 * digits included, also once the slots are built again. */
static void test_interner_forms(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n;
    } k[] = {
        {"", 0}, {"0", 1}, {"00", 2}, {"000", 3}, {"7", 1}, {"07", 2},
        {"007", 3}, {"70", 2}, {"123456789", 9}, {"0123456789", 10},
        {"123456789012345", 15}, {"1234567890123456", 16},
        {"12345678901234a", 15}, {"012345678901234", 15},
        {"999999999999999", 15}, {"9999999999999999", 16}, {"a", 1},
        {"a\0", 2}, {"\0", 1}, {"\0\0", 2}, {"\xff\xfe", 2},
        {"abcdefg", 7}, {"abcdefgh", 8}, {"abcdef", 6}, {"1a", 2},
        {"a1", 2}, {"-1", 2}, {"1.5", 3}, {"9", 1}, {":", 1}, {"/", 1},
        {"9:", 2}, {"/0", 2}, {"\x80", 1}, {"12345678\0", 9},
        /* the most of each form, which only their kind tells apart, and
         * one byte past the bytes' form */
        {"aaaaaaa", 7}, {"050505050505056", 15}, {"abcdefg0", 8},
        {"abcdefg8", 8},
    };
    enum { N = sizeof k / sizeof k[0] };
    for (int pass = 0; pass < 2; pass++) {
        seg__interner in;
        memset(&in, 0, sizeof in);
        for (int round = 0; round < 3; round++) {
            size_t have = round == 0 ? 0 : round == 1 ? N : N / 2;
            for (size_t i = 0; i < N; i++) {
                uint32_t h = pass ? 7u : (uint32_t)seg__hash(k[i].s, k[i].n);
                uint32_t idx = 99;
                bool added = i < have;
                assert_int_equal(seg__intern_h(&in, k[i].s, k[i].n, h, &idx,
                                               &added), 0);
                assert_int_equal(added, i >= have);
                assert_int_equal(idx, i);
                assert_memory_equal(seg__intern_str(&in, idx), k[i].s,
                                    k[i].n);
                assert_int_equal(in.len[idx], k[i].n);
            }
            /* the slots built again: the first half found, the rest new */
            seg__intern_truncate(&in, round == 1 ? N / 2 : N);
            if (round == 1)
                for (size_t i = 0; i < N; i++) {
                    uint32_t idx = 99;
                    bool found = pass ? false
                                      : seg__intern_find(&in, k[i].s, k[i].n,
                                                         &idx);
                    if (pass) {
                        bool added;
                        assert_int_equal(seg__intern_h(&in, k[i].s, k[i].n,
                                                       7u, &idx, &added), 0);
                        found = !added;
                        if (added)
                            seg__intern_truncate(&in, N / 2);
                    }
                    assert_int_equal(found, i < N / 2);
                    if (found)
                        assert_int_equal(idx, i);
                }
        }
        seg__intern_free(&in);
    }
}

/* Random short strings over digits and the bytes around them, of one
 * hash, so that every lookup compares with every string before it: each
 * is found exactly when a string of the same bytes was added, as a plain
 * search of those added says. */
static void test_interner_random_forms(void **state)
{
    (void)state;
    static const char alpha[] = "0123456789/:a\x80\xff";
    enum { N = 3000, LEN = 18 };
    char (*keys)[LEN] = malloc((size_t)N * LEN);
    size_t *lens = malloc(N * sizeof *lens);
    uint32_t *ids = malloc(N * sizeof *ids);
    assert_non_null(keys);
    assert_non_null(lens);
    assert_non_null(ids);
    seg__interner in;
    memset(&in, 0, sizeof in);
    uint64_t x = 88172645463325252ull;
    size_t distinct = 0;
    for (size_t i = 0; i < N; i++) {
        x = next_random(x);
        /* mostly digits, a few others; lengths 0 to 17; half of them an
         * earlier one with one byte changed, added or taken away */
        size_t n = (size_t)(x % LEN);
        for (size_t j = 0; j < n; j++) {
            x = next_random(x);
            unsigned r = (unsigned)(x % 64);
            keys[i][j] = r < 56 ? (char)('0' + r % 3) /* few digits: repeats */
                                : alpha[r % (sizeof alpha - 1)];
        }
        if (i && x >> 63) {
            size_t from = (size_t)(x >> 20) % i, m = lens[from];
            memcpy(keys[i], keys[from], m);
            unsigned how = (unsigned)(x >> 40) % 3;
            if (how == 0 && m) /* one byte other */
                keys[i][(x >> 8) % m] = alpha[(x >> 50) % (sizeof alpha - 1)];
            else if (how == 1 && m + 1 < LEN) /* one more */
                keys[i][m++] = alpha[(x >> 50) % 10];
            else if (m) /* one less */
                m--;
            n = m;
        }
        lens[i] = n;
        size_t want = SIZE_MAX;
        for (size_t k = 0; k < i && want == SIZE_MAX; k++)
            if (lens[k] == n && memcmp(keys[k], keys[i], n) == 0)
                want = k;
        uint32_t idx;
        bool added;
        assert_int_equal(seg__intern_h(&in, keys[i], n, 7u, &idx, &added), 0);
        assert_int_equal(added, want == SIZE_MAX);
        if (want == SIZE_MAX) {
            assert_int_equal(idx, distinct);
            ids[i] = (uint32_t)distinct++;
        } else {
            assert_int_equal(idx, ids[want]);
            ids[i] = idx;
        }
        assert_int_equal(in.len[idx], n);
        assert_memory_equal(seg__intern_str(&in, idx), keys[i], n);
    }
    assert_int_equal(in.n, distinct);
    assert_true(distinct > 100 && distinct < N - 100);
    seg__intern_free(&in);
    free(keys);
    free(lens);
    free(ids);
}

/* Lookups many at a time (the threaded loader's): ids of every form
 * (digits, short bytes, long ones in the pool, empty), half of them
 * repeats, taken in runs of 1 to 300 so that runs shorter than the steps
 * the lookups look ahead are among them; with their own hashes, and all
 * with one hash so that only the forms and bytes tell them apart; the
 * indices written over the hashes, and to an array of their own. Each
 * index is checked against the first place its id appears. */
static void test_interner_many(void **state)
{
    (void)state;
    static const char alpha[] = "0123456789/:a\x80\xff";
    enum { N = 4000, LEN = 24 };
    char *text = malloc((size_t)N * LEN);
    uint32_t *off = malloc(N * sizeof *off), *len = malloc(N * sizeof *len);
    uint32_t *want = malloc(N * sizeof *want), *hash = malloc(N * sizeof *hash);
    uint32_t *idx = malloc(N * sizeof *idx);
    assert_non_null(text);
    assert_non_null(off);
    assert_non_null(len);
    assert_non_null(want);
    assert_non_null(hash);
    assert_non_null(idx);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    size_t at = 0, distinct = 0;
    for (size_t i = 0; i < N; i++) {
        x = next_random(x);
        off[i] = (uint32_t)at;
        if (i && x >> 63) { /* an earlier one again */
            size_t from = (size_t)(x >> 20) % i;
            memcpy(text + at, text + off[from], len[from]);
            len[i] = len[from];
        } else {
            size_t n = (size_t)(x % LEN);
            for (size_t j = 0; j < n; j++) {
                x = next_random(x);
                unsigned r = (unsigned)(x % 64);
                text[at + j] = r < 48 ? (char)('0' + r % 10)
                                      : alpha[r % (sizeof alpha - 1)];
            }
            len[i] = (uint32_t)n;
        }
        at += len[i];
        want[i] = UINT32_MAX;
        for (size_t k = 0; k < i && want[i] == UINT32_MAX; k++)
            if (len[k] == len[i] &&
                memcmp(text + off[k], text + off[i], len[i]) == 0)
                want[i] = want[k];
        if (want[i] == UINT32_MAX)
            want[i] = (uint32_t)distinct++;
    }
    for (int pass = 0; pass < 4; pass++) {
        bool one_hash = pass & 1, in_place = pass & 2;
        for (size_t i = 0; i < N; i++)
            hash[i] = one_hash ? 7u
                               : (uint32_t)seg__hash(text + off[i], len[i]);
        seg__interner in;
        memset(&in, 0, sizeof in);
        uint32_t *out = in_place ? hash : idx;
        size_t from = 0, step = 1;
        while (from < N) {
            size_t n = N - from < step ? N - from : step, done = 0;
            assert_int_equal(seg__intern_many(&in, text, off + from,
                                              len + from, hash + from, n,
                                              out + from, &done), SEG_OK);
            assert_int_equal(done, n);
            from += n;
            step = step * 7 % 301 + 1;
        }
        assert_int_equal(in.n, distinct);
        for (size_t i = 0; i < N; i++) {
            assert_int_equal(out[i], want[i]);
            assert_int_equal(in.len[out[i]], len[i]);
            assert_memory_equal(seg__intern_str(&in, out[i]), text + off[i],
                                len[i]);
        }
        seg__intern_free(&in);
    }
    assert_true(distinct > 1000 && distinct < N - 1000);
    free(text);
    free(off);
    free(len);
    free(want);
    free(hash);
    free(idx);
}

/* The table doubled in place, with clusters that wrap around its end at
 * every size (hashes whose low bits are all ones, less a few), clusters
 * whose strings split between the halves at each doubling (hashes that
 * differ only above the mask), long ids in the pool and short ones in
 * their slots: after each string is added, every string added before is
 * found with its index, and one never added is not. Checked against the
 * index itself, not the table's own answers. */
static void test_interner_grows_in_place(void **state)
{
    (void)state;
    enum { N = 6000 };
    seg__interner in;
    memset(&in, 0, sizeof in);
    char key[64];
    for (uint32_t i = 0; i < N; i++) {
        uint32_t h = i % 3 == 0   ? 0xFFFFFFFFu - (i % 7)
                     : i % 3 == 1 ? (i * 2654435761u) | 0xFu
                                  : (i % 11) << 20 | 0x3u;
        int len = i % 2 ? snprintf(key, sizeof key, "%u", i)
                        : snprintf(key, sizeof key, "customer-%u-long", i);
        uint32_t idx;
        bool added;
        assert_int_equal(seg__intern_h(&in, key, (size_t)len, h, &idx,
                                       &added), 0);
        assert_true(added);
        assert_int_equal(idx, i);
        if (i % 97 && i != N - 1)
            continue;
        for (uint32_t j = 0; j <= i; j++) {
            uint32_t hj = j % 3 == 0   ? 0xFFFFFFFFu - (j % 7)
                          : j % 3 == 1 ? (j * 2654435761u) | 0xFu
                                       : (j % 11) << 20 | 0x3u;
            int lj = j % 2 ? snprintf(key, sizeof key, "%u", j)
                           : snprintf(key, sizeof key, "customer-%u-long", j);
            uint32_t got = UINT32_MAX;
            added = true;
            assert_int_equal(seg__intern_h(&in, key, (size_t)lj, hj, &got,
                                           &added), 0);
            assert_false(added);
            assert_int_equal(got, j);
        }
        int lx = snprintf(key, sizeof key, "never-%u", i);
        uint32_t got;
        assert_false(seg__intern_find(&in, key, (size_t)lx, &got));
    }
    assert_true(in.nslots >= 8192); /* it doubled, ten times */
    seg__intern_free(&in);
}

/* Strings that differ only in their length or their last byte, long
 * ones beyond the 0xFFFF bytes a slot holds the length of, and all of
 * one hash (seg__intern_h takes the caller's), so that every lookup walks
 * one chain of slots and must tell them apart by length and bytes. */
static void test_interner_lengths(void **state)
{
    (void)state;
    static const size_t lens[] = {0,      1,      7,       8,      9,
                                  16,     17,     0xFFFE,  0xFFFF, 0x10000,
                                  0x10001, 200000};
    enum { N = sizeof lens / sizeof lens[0] };
    char *text = malloc(200001);
    assert_non_null(text);
    memset(text, 'a', 200001);
    for (int pass = 0; pass < 2; pass++) {
        seg__interner in;
        memset(&in, 0, sizeof in);
        uint32_t h = pass ? 7u : 0; /* one hash, or each its own */
        for (size_t i = 0; i < N; i++) {
            uint32_t idx;
            bool added;
            uint32_t hi = pass ? h : (uint32_t)seg__hash(text, lens[i]);
            assert_int_equal(seg__intern_h(&in, text, lens[i], hi, &idx,
                                           &added), 0);
            assert_true(added);
            assert_int_equal(idx, i);
        }
        for (int round = 0; round < 2; round++) {
            for (size_t i = 0; i < N; i++) {
                uint32_t idx = 99;
                uint32_t hi = pass ? h : (uint32_t)seg__hash(text, lens[i]);
                bool added = true;
                assert_int_equal(seg__intern_h(&in, text, lens[i], hi, &idx,
                                               &added), 0);
                assert_false(added);
                assert_int_equal(idx, i);
                assert_int_equal(strlen(seg__intern_str(&in, idx)), lens[i]);
                /* one byte other at the end: not there */
                if (lens[i]) {
                    text[lens[i] - 1] = 'b';
                    hi = pass ? h : (uint32_t)seg__hash(text, lens[i]);
                    if (pass)
                        assert_false(seg__intern_h(&in, text, lens[i], hi,
                                                   &idx, &added) ||
                                     !added || idx != N);
                    else
                        assert_false(seg__intern_find(&in, text, lens[i],
                                                      &idx));
                    text[lens[i] - 1] = 'a';
                    if (pass)
                        seg__intern_truncate(&in, N);
                }
            }
            /* the slots built again from the arrays find the same */
            seg__intern_truncate(&in, N - 1);
            uint32_t idx;
            assert_int_equal(seg__intern_h(&in, text, lens[N - 1],
                                           pass ? h : (uint32_t)seg__hash(
                                                          text, lens[N - 1]),
                                           &idx, NULL), 0);
            assert_int_equal(idx, N - 1);
        }
        seg__intern_free(&in);
    }
    free(text);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Categories cost nothing until a record has one; a load that fails
 * takes back the array it made, and one that succeeds keeps the entries
 * of the records without a category at 0. */
static void test_categories_pay_as_used(void **state)
{
    (void)state;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    for (int i = 0; i < 100; i++)
        assert_ok(seg_dataset_add_transaction(ds, "a", i, 1));
    assert_ok(seg_dataset_add_event(ds, "a", 5, "view", NAN));
    assert_null(seg__ds_tx(ds).category);
    assert_null(seg__ds_ev(ds).category);
    const char *ids[] = {"b", "c"};
    const int64_t t[] = {7, 8};
    const double am[] = {1, 1};
    const char *bad[] = {"shoes", "a|b"};
    assert_int_equal(seg_dataset_add_transactions_cat(ds, ids, t, am, bad, 2),
                     SEG_EPARSE);
    assert_null(seg__ds_tx(ds).category);
    assert_int_equal(seg__ds_category_count(ds), 0);
    const char *good[] = {NULL, "shoes"};
    assert_ok(seg_dataset_add_transactions_cat(ds, ids, t, am, good, 2));
    seg__tx_view v = seg__ds_tx(ds);
    assert_non_null(v.category);
    for (size_t i = 0; i < 101; i++)
        assert_int_equal(v.category[i], 0);
    assert_int_equal(v.category[101], 1);
    assert_string_equal(seg__ds_category_name(ds, 0), "shoes");
    assert_null(seg__ds_ev(ds).category);
    /* more records after: the array grows with them, the new entries 0 */
    for (int i = 0; i < 1000; i++)
        assert_ok(seg_dataset_add_transaction(ds, "d", i, 1));
    v = seg__ds_tx(ds);
    for (size_t i = 102; i < v.n; i++)
        assert_int_equal(v.category[i], 0);
    seg_dataset_free(ds);
}

static void test_quantile_select_matches_sorting(void **state)
{
    (void)state;
    for (int trial = 0; trial < 200; trial++) {
        size_t n = 1 + next() % 500;
        double *v = malloc(n * sizeof *v), *s = malloc(n * sizeof *s);
        for (size_t i = 0; i < n; i++) /* with many ties */
            v[i] = (double)(next() % (trial % 2 ? 7 : 100000)) - 3;
        memcpy(s, v, n * sizeof *v);
        qsort(s, n, sizeof *s, cmp_d);
        for (int q = 0; q <= 20; q++) {
            double p = q / 20.0, h = (double)(n - 1) * p;
            size_t lo = (size_t)floor(h);
            double want = lo + 1 < n ? s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo])
                                     : s[n - 1];
            assert_near(seg__quantile_select(v, n, p), want, 1e-9);
        }
        free(v);
        free(s);
    }
    assert_true(isnan(seg__quantile_select(NULL, 0, 0.5)));
}

/* Large inputs take the sampled path; orders that fool a strided sample
 * (sorted, reversed, a sawtooth with the sample's stride, few values) must
 * still give the exact answer. */
static void test_quantile_select_large(void **state)
{
    (void)state;
    const size_t sizes[] = {65536, 200003};
    for (size_t si = 0; si < 2; si++) {
        size_t n = sizes[si];
        double *v = malloc(n * sizeof *v), *s = malloc(n * sizeof *s),
               *w = malloc(n * sizeof *w);
        for (int pattern = 0; pattern < 6; pattern++) {
            for (size_t i = 0; i < n; i++) {
                switch (pattern) {
                case 0: v[i] = (double)(next() % 1000003) * 0.25; break;
                case 1: v[i] = (double)i; break;
                case 2: v[i] = (double)(n - i); break;
                case 3: v[i] = (double)(i % (n / 4096)); break;
                case 4: v[i] = 7; break;
                default: v[i] = (double)(next() % 3);
                }
            }
            memcpy(s, v, n * sizeof *v);
            qsort(s, n, sizeof *s, cmp_d);
            const double ps[] = {0, 0.001, 0.2, 0.5, 0.8, 0.95, 0.999, 1};
            for (size_t q = 0; q < sizeof ps / sizeof *ps; q++) {
                double h = (double)(n - 1) * ps[q];
                size_t lo = (size_t)floor(h);
                double want = lo + 1 < n
                                  ? s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo])
                                  : s[n - 1];
                memcpy(w, v, n * sizeof *v);
                assert_near(seg__quantile_select(w, n, ps[q]), want, 1e-9);
            }
        }
        free(v);
        free(s);
        free(w);
    }
}

/* The one-pass quantile of a large column with missing values, which it
 * leaves out, and leaves where they are. */
static void test_quantile_sampled_skips_nan(void **state)
{
    (void)state;
    size_t n = 300000, k = 0;
    double *v = malloc(n * sizeof *v), *s = malloc(n * sizeof *s);
    for (size_t i = 0; i < n; i++) {
        v[i] = next() % 10 == 0 ? NAN : (double)(next() % 100000) / 7;
        if (!isnan(v[i]))
            s[k++] = v[i];
    }
    qsort(s, k, sizeof *s, cmp_d);
    const double ps[] = {0.05, 0.5, 0.8, 0.95};
    for (size_t q = 0; q < sizeof ps / sizeof *ps; q++) {
        double h = (double)(k - 1) * ps[q], got;
        size_t lo = (size_t)floor(h);
        double want = s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
        assert_true(seg__quantile_sampled(v, n, k, ps[q], &got));
        assert_near(got, want, 1e-9);
    }
    /* few distinct values (counts of orders, say): one pass still does,
     * the ties counted rather than gathered */
    k = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t u = next() % 100;
        v[i] = u < 26 ? 1 : u < 46 ? 2 : u < 60 ? 3 : u < 95 ? 4 + (double)(u % 3) : 9;
        s[k++] = v[i];
    }
    qsort(s, k, sizeof *s, cmp_d);
    for (int q = 1; q < 20; q++) {
        double p = q / 20.0, h = (double)(k - 1) * p, got;
        size_t lo = (size_t)floor(h);
        double want = s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
        assert_true(seg__quantile_sampled(v, n, k, p, &got));
        assert_near(got, want, 1e-12);
    }
    /* too small for one pass: the caller selects */
    double small[3] = {1, NAN, 2}, out;
    assert_false(seg__quantile_sampled(small, 3, 2, 0.5, &out));
    free(v);
    free(s);
}

/* The hypergeometric function without derivatives is the value of the
 * one with them, to the last bit, where either gives one. */
static void test_hyp2f1_f64_is_the_dual_value(void **state)
{
    (void)state;
    static const double as[] = {0.1, 0.5, 2.7, 40, 310};
    static const double cs[] = {0.3, 1.7, 9, 120};
    static const double zs[] = {0, 1e-8, 0.2, 0.7, 0.95, 0.999};
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 5; j++)
            for (size_t k = 0; k < 4; k++)
                for (size_t l = 0; l < 6; l++) {
                    seg__dual r;
                    double v = NAN;
                    bool a = seg__log_hyp2f1(dc(as[i]), dc(as[j] + 0.25),
                                             dc(cs[k]), dc(zs[l]), &r);
                    bool b = seg__log_hyp2f1_f64(as[i], as[j] + 0.25, cs[k],
                                                 zs[l], &v);
                    assert_int_equal(a, b);
                    if (a)
                        assert_true(memcmp(&r.v, &v, sizeof v) == 0);
                }
}

/* The series of seg__log_hyp2f1_f64() summed here without giving up
 * early: the reference for seg__hyp2f1_hopeless(). */
static bool plain_hyp2f1(double a, double b, double c, double z,
                         double *out, double *t255, double *s255)
{
    double ca = c - a, cb = c - b;
    bool euler = fabs(ca * cb) < fabs(a * b);
    double A = euler ? ca : a, B = euler ? cb : b, term = 1, sum = 0;
    for (int n = 0; n < SEG__HYP2F1_MAX_TERMS; n++) {
        term = term * (((A + n) * (B + n)) / ((c + n) * (n + 1))) * z;
        sum += term;
        if (n == 255) {
            *t255 = term;
            *s255 = sum;
        }
        if ((fabs(term) <= DBL_EPSILON * 1e-2 * fabs(sum) &&
             fabs((A + n) * (B + n) * z) < fabs((c + n) * (n + 1))) ||
            term == 0) {
            double r = log1p(sum);
            if (euler)
                r += (ca - b) * log1p(-z);
            *out = r;
            return sum > -1 && isfinite(r);
        }
    }
    return false;
}

/* The series gives up early only where it would fail at its last term:
 * near z = 1, the Pareto/NBD argument when one of alpha and beta is
 * thousands of times the other, the parameters of its A0 (a = r+s+x,
 * b = s+1 or r+x, c = a+1) and others. Where the plain series converges,
 * the same bits; where it fails, a failure. */
static void test_hyp2f1_gives_up_only_where_it_fails(void **state)
{
    (void)state;
    static const double rs[] = {0.05, 0.56, 2, 30};
    static const double ss[] = {0.02, 0.41, 3};
    static const double xs[] = {0, 1, 2, 5, 12, 60};
    int gave_up = 0, converged = 0, failed = 0;
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 3; j++)
            for (size_t k = 0; k < 6; k++)
                for (int e = 1; e <= 9; e++)
                    for (int which = 0; which < 3; which++) {
                        double r = rs[i], s = ss[j], x = xs[k];
                        double a = r + s + x, c = a + 1;
                        double b = which == 0   ? s + 1
                                   : which == 1 ? r + x
                                                : 0.5 + x / 3;
                        if (which == 2)
                            c = b + 0.75; /* c - a - b of either sign */
                        double z = 1 - pow(10, -e / 1.5);
                        double want = NAN, got = NAN, t = 0, sum = 0;
                        bool plain = plain_hyp2f1(a, b, c, z, &want, &t, &sum);
                        bool ours = seg__log_hyp2f1_f64(a, b, c, z, &got);
                        assert_int_equal(plain, ours);
                        seg__dual d;
                        assert_int_equal(seg__log_hyp2f1(dc(a), dc(b), dc(c),
                                                         dc(z), &d),
                                         plain);
                        if (plain) {
                            assert_true(memcmp(&want, &got, sizeof got) == 0);
                            converged++;
                        } else {
                            failed++;
                        }
                        double ca = c - a, cb = c - b;
                        bool euler = fabs(ca * cb) < fabs(a * b);
                        if (t > 0 &&
                            seg__hyp2f1_hopeless(euler ? ca : a,
                                                 euler ? cb : b, c, z, 255, t,
                                                 sum)) {
                            assert_false(plain);
                            gave_up++;
                        }
                    }
    /* the grid holds all three cases, and most failures are found early */
    assert_true(converged > 100);
    assert_true(failed > 20);
    assert_true(gave_up > failed / 2);
}

/* The hypergeometric function at many arguments at once is each single
 * call's value to the last bit, and fails where it fails; the BG/NBD
 * family's expectation of a customer alive at T at many times (the
 * shared series, the powers of 1 - z gathered) is each single call's
 * within the single call's own error, which grows with x (1.5e-12 at
 * x = 900 against mpmath; test_month_curve_against_mpmath). */
static void test_hyp2f1_batch_is_the_single_value(void **state)
{
    (void)state;
    static const double as[] = {0.1, 0.5, 2.7, 40, 310};
    static const double cs[] = {0.3, 1.7, 9, 120};
    static const double zs[] = {0,   1e-8, 0.2,   0.7,  0.95, 0.999,
                                -0.1, 1,   0.5, 0.33, 0.9};
    enum { NZ = sizeof zs / sizeof *zs };
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 5; j++)
            for (size_t k = 0; k < 4; k++) {
                double a = as[i], b = as[j] + 0.25, c = cs[k], out[NZ];
                bool ok[NZ];
                seg__log_hyp2f1_f64_n(a, b, c, zs, NZ, ok, out);
                for (size_t l = 0; l < NZ; l++) {
                    double v = NAN;
                    bool one = seg__log_hyp2f1_f64(a, b, c, zs[l], &v);
                    assert_int_equal(one, ok[l]);
                    if (one)
                        assert_true(memcmp(&out[l], &v, sizeof v) == 0);
                }
            }
    static const double ps[][4] = {{0.243, 4.414, 0.793, 2.426},
                                   {0.525, 6.183, 0.891, 1.614},
                                   {0.9, 23.4, 1.0000001, 3.9},
                                   {50, 0.01, 0.2, 0.05}};
    double t[70];
    for (int i = 0; i < 70; i++)
        t[i] = i * 4.35;
    for (size_t q = 0; q < sizeof ps / sizeof *ps; q++)
        for (int mod = 0; mod < 2; mod++)
            for (double x = 0; x < 300; x = x * 3 + 1) {
                double T = 5 + x, got[70];
                seg__clv_family_expected_alive_n(ps[q], t, 70, x, T, mod, got);
                for (int i = 0; i < 70; i++) {
                    double one = seg__clv_family_expected_alive(ps[q], t[i], x,
                                                                T, mod);
                    assert_true(fabs(got[i] - one) <= 1e-12 * fabs(one));
                }
            }
}

/* The month curve's factor g(x, T, t) of the BG/NBD family against
 * mpmath's hyp2f1 (tests/ref/clv_month_curve_ref.py) at month ends: to
 * 1e-14 relative, at large x, with the largest month's z near 0.94, and
 * without the Euler transform. */
static void test_month_curve_against_mpmath(void **state)
{
    (void)state;
    static const double sets[][4] = {
        {0.91510588586836283, 23.455003143764333, 0.60225166138568376,
         3.9025908628952393},
        {0.525, 6.183, 0.891, 1.614},
        {0.5, 10.0, 6.0, 8.0}};
    static const int months[5] = {1, 2, 6, 11, 12};
    static const struct {
        int set, mod, x;
        double T, g[5];
    } cases[] = {
        {0, 0, 0, 1094.0, {0.024839107627429681, 0.049508313933459694, 0.14655937235834309, 0.26446208272740012, 0.28761749143512034}},
        {0, 0, 12, 100.0, {3.0045047050273093, 5.7120389538208989, 14.64335375338408, 23.337447957387699, 24.868178000516288}},
        {0, 0, 150, 1094.0, {4.0778928397357522, 8.0922204003326263, 23.562892410785166, 41.73638623885773, 45.233320933749239}},
        {0, 0, 381, 1094.0, {10.318934932195951, 20.475432420502895, 59.603442027823656, 105.54232211586249, 114.37906745272155}},
        {0, 0, 900, 200.0, {118.0297978841796, 227.83364830884028, 607.71937095040823, 995.74527760391678, 1065.3890841013275}},
        {0, 0, 0, 0.5, {1.0200196565244293, 1.8562148728682875, 4.3734620443087879, 6.6694672959516311, 7.0659462590993901}},
        {1, 1, 40, 400.0, {2.9440884289337977, 5.7180289141546203, 15.459746907128599, 25.440302872892246, 27.219690485920059}},
        {1, 1, 900, 1094.0, {24.612126313865382, 48.642054727008818, 139.47931215164669, 242.80782226735724, 262.29550408332249}},
        {2, 0, 0, 30.0, {0.30818204413154193, 0.5229007783084985, 1.0052211666756021, 1.2998574943491881, 1.3411969698672106}},
        {2, 0, 2, 300.0, {0.23054788855903308, 0.4345061332856985, 1.0557740654730398, 1.5558312890215089, 1.6322134979358891}},
    };
    double t[12], g[12];
    for (int i = 0; i < 12; i++)
        t[i] = (i + 1) * (365.2425 / 12);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        seg__clv_family_expected_alive_n(sets[cases[c].set], t, 12,
                                         cases[c].x, cases[c].T,
                                         cases[c].mod, g);
        for (int i = 0; i < 5; i++) {
            double want = cases[c].g[i], got = g[months[i] - 1];
            assert_true(fabs(got - want) <= 1e-14 * want);
        }
    }
}

/* The shared series at many arguments: the sum of each single call's
 * series within a few ulps, where it serves (terms of one sign), and no
 * value where an argument is out of range. */
static void test_hyp2f1_shared_is_near_the_single_sums(void **state)
{
    (void)state;
    static const double as[] = {0.1, 0.5, 2.7, 40, 310};
    static const double cs[] = {0.3, 1.7, 9, 120};
    static const double zs[] = {0, 1e-8, 0.2, 0.33, 0.5, 0.7, 0.9, 0.95};
    enum { NZ = sizeof zs / sizeof *zs };
    int served = 0;
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 5; j++)
            for (size_t k = 0; k < 4; k++) {
                double a = as[i], b = as[j] + 0.25, c = cs[k], s[NZ];
                bool euler;
                if (!seg__hyp2f1_sums_shared(a, b, c, zs, NZ, s, &euler))
                    continue;
                served++;
                for (size_t l = 0; l < NZ; l++) {
                    double v = NAN, e = euler ? (c - a - b) * log1p(-zs[l])
                                              : 0;
                    assert_true(seg__log_hyp2f1_f64(a, b, c, zs[l], &v));
                    /* the single call's log, less its power of 1 - z:
                     * both to a few ulps of the larger */
                    assert_true(fabs(log1p(s[l]) - (v - e)) <=
                                1e-14 * (1 + fabs(v) + fabs(e)));
                }
            }
    assert_true(served > 30);
    double bad[2] = {0.5, 1}, s[2];
    bool euler;
    assert_false(seg__hyp2f1_sums_shared(0.5, 0.75, 1.7, bad, 2, s, &euler));
}

/* The Pareto/NBD evaluator of many rows (pnbd_total.c: tails per
 * (x, time) pair, second-order derivatives of the 2F1 series) against
 * the per-row likelihood, which sums its own 2F1 series on first-order
 * duals or integrates: the value and the gradient summed row by row, and
 * the Hessian by central differences of that gradient. */
static double spec_rows_ll(const seg__clv_spec *sp, const seg__clv_rows *r,
                           const double *p, double *g)
{
    seg__dual dp[SEG__NP], sum = dc(0);
    for (int i = 0; i < SEG__NP; i++)
        dp[i] = i < 4 ? dvar(p[i], i) : dc(0);
    for (size_t i = 0; i < r->n; i++)
        sum = dadd(sum, dscale(sp->row_ll(dp, r->d + i * 3), r->w[i]));
    memcpy(g, sum.d, 4 * sizeof *g);
    return sum.v;
}

static void check_pnbd_total(const seg__clv_rows *r, const double *p)
{
    void *prep = seg__clv_pnbd.prepare(r->d, r->w, r->n);
    assert_non_null(prep);
    double g[4], H[16], gref[4];
    double ll = seg__clv_pnbd.total(prep, p, g, H);
    /* the same bits on one thread and on three as on every processor */
    for (int t = 1; t <= 3; t += 2) {
        double gt[4], Ht[16];
        seg__clv_pnbd.threads(prep, t);
        double llt = seg__clv_pnbd.total(prep, p, gt, Ht);
        assert_memory_equal(&llt, &ll, sizeof ll);
        assert_memory_equal(gt, g, sizeof g);
        assert_memory_equal(Ht, H, sizeof H);
    }
    seg__clv_pnbd.threads(prep, 0);
    double ref = spec_rows_ll(&seg__clv_pnbd, r, p, gref);
    assert_near(ll, ref, 1e-11 * fabs(ref));
    for (int i = 0; i < 4; i++) {
        /* the gradient of the mean log-likelihood, to 1e-9 of its scale */
        double scale = r->total_w / p[i];
        assert_near(g[i], gref[i], 1e-9 * scale);
    }
    for (int j = 0; j < 4; j++) {
        double p1[4], p2[4], g1[4], g2[4], h = 1e-5 * p[j];
        memcpy(p1, p, sizeof p1);
        memcpy(p2, p, sizeof p2);
        p1[j] += h;
        p2[j] -= h;
        double f1[4], f2[4];
        spec_rows_ll(&seg__clv_pnbd, r, p1, g1);
        spec_rows_ll(&seg__clv_pnbd, r, p2, g2);
        seg__clv_pnbd.total(prep, p1, f1, NULL);
        seg__clv_pnbd.total(prep, p2, f2, NULL);
        for (int i = 0; i < 4; i++) {
            double scale = r->total_w / (p[i] * p[j]);
            /* the rows whose t_x is near T take a quadrature in the
             * per-row likelihood, whose error the differences amplify:
             * to 5e-6 of the scale against those, 1e-8 against the
             * differences of the evaluator's own gradient, which agrees
             * with theirs to 1e-9 (above) */
            double fd = (g1[i] - g2[i]) / (2 * h);
            assert_near(H[i * 4 + j], fd, 5e-6 * scale);
            fd = (f1[i] - f2[i]) / (2 * h);
            assert_near(H[i * 4 + j], fd, 1e-8 * scale);
            assert_true(H[i * 4 + j] == H[j * 4 + i]);
        }
    }
    seg__clv_pnbd.release(prep);
}

static void test_pnbd_total_matches_rows(void **state)
{
    (void)state;
    /* CDNOW's fit; alpha < beta (the bench's); alpha = beta, where the
     * series has only its derivatives; Euler's transform at large x. No r
     * is a whole number: there the digamma's recurrence changes its
     * number of steps within the differences' step, and they are 2e-7
     * off. */
    static const double ps[][4] = {{0.55, 10.58, 0.61, 11.67},
                                   {1.16, 34.8, 0.69, 195.4},
                                   {2.2, 5, 0.3, 5},
                                   {0.8, 3, 2.5, 0.4}};
    /* one chunk; several (8192 rows a chunk), on threads; and a few rows
     * for the quadrature below, which is slow */
    size_t sizes[3] = {300, 20000, 40};
    for (int k = 0; k < 3; k++) {
        size_t n = sizes[k];
        seg__clv_key *keys = malloc(n * sizeof *keys);
        assert_non_null(keys);
        for (size_t i = 0; i < n; i++) {
            double x = (double)(next() % 40);
            if (i % 50 == 0)
                x = 100 + (double)(next() % 200);
            double T = 1 + (double)(next() % 100000) / 1000;
            double tx = x == 0 ? 0 : T * (double)(next() % 1001) / 1000;
            keys[i] = (seg__clv_key){{x, tx, T}, 1 + (double)(next() % 3)};
        }
        seg__clv_rows r = {NULL, NULL, 0, 0};
        assert_int_equal(seg__clv_merge_keys(keys, n, 3, &r), SEG_OK);
        for (size_t i = 0; i < sizeof ps / sizeof *ps && k < 2; i++)
            check_pnbd_total(&r, ps[i]);
        if (k == 2) {
            /* alpha far above beta: z within 1e-9 of 1, where the tails
             * do not converge and the rows take the quadrature */
            static const double far[4] = {0.3, 1e8, 0.8, 0.01};
            check_pnbd_total(&r, far);
        }
        free(keys);
        free(r.d);
        free(r.w);
    }
}

/* The BG/NBD family's evaluator of many rows (bgnbd_total.c: the terms
 * of x and of the times once each, e^D from factors of the pairs (x,
 * t_x) and (x, T), the softplus of weight-1 rows as a running product)
 * against the kind's per-row likelihood on first-order duals: the value
 * and the gradient summed row by row, the Hessian against central
 * differences of the evaluator's own gradient, and the same bits on any
 * number of threads. */
static void check_fam_total(const seg__clv_spec *sp, const seg__clv_rows *r,
                            const double *p)
{
    void *prep = sp->prepare(r->d, r->w, r->n);
    assert_non_null(prep);
    double g[4], H[16], gref[4];
    double ll = sp->total(prep, p, g, H);
    for (int t = 1; t <= 3; t += 2) {
        double gt[4], Ht[16];
        sp->threads(prep, t);
        double llt = sp->total(prep, p, gt, Ht);
        assert_memory_equal(&llt, &ll, sizeof ll);
        assert_memory_equal(gt, g, sizeof g);
        assert_memory_equal(Ht, H, sizeof H);
    }
    sp->threads(prep, 0);
    double ref = spec_rows_ll(sp, r, p, gref);
    assert_near(ll, ref, 1e-12 * fabs(ref));
    for (int i = 0; i < 4; i++)
        assert_near(g[i], gref[i], 1e-10 * r->total_w / p[i]);
    for (int j = 0; j < 4; j++) {
        double p1[4], p2[4], g1[4], g2[4], h = 1e-5 * p[j];
        memcpy(p1, p, sizeof p1);
        memcpy(p2, p, sizeof p2);
        p1[j] += h;
        p2[j] -= h;
        sp->total(prep, p1, g1, NULL);
        sp->total(prep, p2, g2, NULL);
        for (int i = 0; i < 4; i++) {
            double fd = (g1[i] - g2[i]) / (2 * h);
            assert_near(H[i * 4 + j], fd, 1e-7 * r->total_w / (p[i] * p[j]));
            assert_true(H[i * 4 + j] == H[j * 4 + i]);
        }
    }
    sp->release(prep);
}

static void test_fam_total_matches_rows(void **state)
{
    (void)state;
    /* the bench's BG/NBD and MBG/NBD fits; small a and b; large ones */
    static const double ps[][4] = {{0.915, 23.455, 0.602, 3.903},
                                   {1.134, 27.99, 0.901, 8.007},
                                   {0.3, 5, 0.05, 0.4},
                                   {2.5, 80, 40, 300}};
    /* rows that keep each row's D; and enough for the pairs' factors (in
     * days, as the bench), with x large enough that some x's times are
     * too far apart for them */
    size_t sizes[2] = {300, 60000};
    for (int k = 0; k < 2; k++) {
        size_t n = sizes[k];
        seg__clv_key *keys = malloc(n * sizeof *keys);
        assert_non_null(keys);
        for (size_t i = 0; i < n; i++) {
            double x = (double)(next() % 40);
            if (i % 50 == 0)
                x = 100 + (double)(next() % 60);
            double T = 1 + (double)(next() % 1095);
            double tx = x == 0 ? 0 : (double)(next() % ((uint64_t)T + 1));
            double w = i % 3 ? 1 : 1 + (double)(next() % 3);
            keys[i] = (seg__clv_key){{x, tx, T}, w};
        }
        seg__clv_rows r = {NULL, NULL, 0, 0};
        assert_int_equal(seg__clv_merge_keys(keys, n, 3, &r), SEG_OK);
        for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
            check_fam_total(&seg__clv_bgnbd, &r, ps[i]);
            check_fam_total(&seg__clv_mbgnbd, &r, ps[i]);
        }
        free(keys);
        free(r.d);
        free(r.w);
    }
}

/* The ranks of the fitting rows (rows.c), whose hash table grows with
 * the distinct values, against a sort: every value's rank is its place
 * among the sorted distinct values; -0 and 0 are one; more distinct
 * values than the maximum is SEG_ERANGE. And the rows merged from
 * columns against a merge of sorted keys written here. */
static int cmp_f64(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmp_key3(const void *a, const void *b)
{
    const seg__clv_key *x = a, *y = b;
    for (int i = 0; i < 3; i++)
        if (x->k[i] != y->k[i])
            return x->k[i] < y->k[i] ? -1 : 1;
    return 0;
}

static void test_ranks_and_merge_cols(void **state)
{
    (void)state;
    enum { N = 50000 };
    double *v = malloc(N * sizeof *v), *s = malloc(N * sizeof *s);
    uint32_t *rank = malloc(N * sizeof *rank);
    assert_non_null(v);
    assert_non_null(s);
    assert_non_null(rank);
    for (size_t i = 0; i < N; i++)
        v[i] = (double)(next() % 20000) / 8 - 100;
    v[3] = 0.0;
    v[4] = -0.0;
    memcpy(s, v, N * sizeof *s);
    qsort(s, N, sizeof *s, cmp_f64);
    size_t nd = 0;
    for (size_t i = 0; i < N; i++)
        if (nd == 0 || s[i] != s[nd - 1])
            s[nd++] = s[i];
    double *sorted = NULL;
    size_t nv = 0;
    assert_int_equal(seg__clv_ranks(v, N, 1, N, rank, &sorted, &nv), SEG_OK);
    assert_int_equal(nv, nd);
    for (size_t i = 0; i < nd; i++)
        assert_true(sorted[i] == s[i]);
    for (size_t i = 0; i < N; i++)
        assert_true(sorted[rank[i]] == v[i]);
    assert_int_equal(rank[3], rank[4]);
    free(sorted);
    assert_int_equal(seg__clv_ranks(v, N, 1, nd - 1, rank, NULL, &nv),
                     SEG_ERANGE);
    /* whole numbers, which take a table indexed by the value, read with a
     * stride; then one far off, which leaves the table for the hash */
    for (int far = 0; far < 2; far++) {
        double *iv = malloc(2 * N * sizeof *iv);
        assert_non_null(iv);
        for (size_t i = 0; i < 2 * N; i++)
            iv[i] = (double)(next() % 5000) - 2500;
        iv[6] = 0.0;
        iv[8] = -0.0;
        if (far)
            iv[10] = 3e9;
        for (size_t i = 0; i < N; i++)
            s[i] = iv[2 * i];
        qsort(s, N, sizeof *s, cmp_f64);
        nd = 0;
        for (size_t i = 0; i < N; i++)
            if (nd == 0 || s[i] != s[nd - 1])
                s[nd++] = s[i];
        assert_int_equal(seg__clv_ranks(iv, N, 2, N, rank, &sorted, &nv),
                         SEG_OK);
        assert_int_equal(nv, nd);
        for (size_t i = 0; i < nd; i++)
            assert_true(sorted[i] == s[i]);
        for (size_t i = 0; i < N; i++)
            assert_true(sorted[rank[i]] == iv[2 * i]);
        assert_int_equal(rank[3], rank[4]);
        free(sorted);
        assert_int_equal(seg__clv_ranks(iv, N, 2, nd - 1, rank, NULL, &nv),
                         SEG_ERANGE);
        free(iv);
    }

    /* rows from columns: x, t_x, T with weights */
    double *col[3], *w = malloc(N * sizeof *w);
    seg__clv_key *keys = malloc(N * sizeof *keys);
    assert_non_null(w);
    assert_non_null(keys);
    for (int c = 0; c < 3; c++) {
        col[c] = malloc(N * sizeof **col);
        assert_non_null(col[c]);
    }
    /* with weights; all 1 (none given), where a row's weight is its
     * count; many distinct values */
    for (int run = 0; run < 6; run++) {
        int big = run / 2 == 1, mixed = run / 2 == 2, ones = run % 2;
        for (size_t i = 0; i < N; i++) {
            /* few distinct values; then too many for 32 bits of ranks,
             * which the merge sorts as keys; then 257 x 2049 x 2049,
             * 33 bits of fields but a product under 2^32 */
            col[0][i] = (double)(next() % (big ? 3000 : mixed ? 257 : 30));
            col[1][i] = big     ? (double)(next() % 60000) / 7
                        : mixed ? (double)(next() % 2049) / 4
                                : (double)(next() % 40);
            col[2][i] =
                40 + (double)(next() % (big ? 60000 : mixed ? 2049 : 20));
            if (big && i % 3 == 0) /* some repeats */
                for (int c = 0; c < 3; c++)
                    col[c][i] = col[c][i / 2];
            w[i] = ones ? 1 : 1 + (double)(next() % 4);
            keys[i] =
                (seg__clv_key){{col[0][i], col[1][i], col[2][i]}, w[i]};
        }
        qsort(keys, N, sizeof *keys, cmp_key3);
        seg__clv_rows r = {NULL, NULL, 0, 0};
        const double *const *cc = (const double *const *)col;
        assert_int_equal(seg__clv_merge_cols(cc, ones ? NULL : w, N, 3, &r, 1),
                         SEG_OK);
        /* the columns' ranks on three threads: the same rows */
        seg__clv_rows r3 = {NULL, NULL, 0, 0};
        assert_int_equal(
            seg__clv_merge_cols(cc, ones ? NULL : w, N, 3, &r3, 3), SEG_OK);
        assert_int_equal(r3.n, r.n);
        assert_memory_equal(r3.d, r.d, 3 * r.n * sizeof *r.d);
        assert_memory_equal(r3.w, r.w, r.n * sizeof *r.w);
        free(r3.d);
        free(r3.w);
        size_t at = 0;
        double total = 0;
        for (size_t i = 0; i < N; i++) {
            if (i > 0 && cmp_key3(&keys[i], &keys[i - 1]) == 0)
                continue;
            double wsum = 0;
            for (size_t j = i; j < N && cmp_key3(&keys[j], &keys[i]) == 0;
                 j++)
                wsum += keys[j].w;
            assert_true(at < r.n);
            for (int c = 0; c < 3; c++)
                assert_true(r.d[3 * at + c] == keys[i].k[c]);
            assert_true(r.w[at] == wsum);
            total += wsum;
            at++;
        }
        assert_int_equal(at, r.n);
        assert_true(r.total_w == total);
        free(r.d);
        free(r.w);
    }
    for (int c = 0; c < 3; c++)
        free(col[c]);
    free(keys);
    free(w);
    free(v);
    free(s);
    free(rank);
}

/* The BG/BB evaluator of many rows (bgbb_total.c: one recurrence per
 * (x, t_x) read at each row's n) against the per-row likelihood, a
 * log-sum of Beta functions on first-order duals: the value and the
 * gradient summed row by row, and the Hessian by central differences of
 * that gradient. The rows come unsorted and with repeats, as a caller
 * other than the fit may give them. */
static double bgbb_rows_ll(const double *d, const double *w, size_t n,
                           const double *p, double *g)
{
    seg__dual dp[SEG__NP], sum = dc(0);
    for (int i = 0; i < SEG__NP; i++)
        dp[i] = i < 4 ? dvar(p[i], i) : dc(0);
    for (size_t i = 0; i < n; i++)
        sum = dadd(sum, dscale(seg__clv_bgbb.row_ll(dp, d + i * 3), w[i]));
    memcpy(g, sum.d, 4 * sizeof *g);
    return sum.v;
}

static void test_bgbb_total_matches_rows(void **state)
{
    (void)state;
    /* the donations' fit; small shapes; large ones, where the
     * recurrence's products are near 1 for many steps */
    static const double ps[][4] = {{1.204, 0.750, 0.657, 2.783},
                                   {0.05, 0.3, 0.02, 0.4},
                                   {40, 90, 25, 300}};
    enum { N = 600 };
    double *d = malloc(3 * N * sizeof *d), *w = malloc(N * sizeof *w);
    assert_non_null(d);
    assert_non_null(w);
    for (size_t i = 0; i < N; i++) {
        double n = (double)(next() % 60), tx, x;
        if (i % 40 == 0)
            n = 400 + (double)(next() % 400);
        tx = (double)(next() % ((uint64_t)n + 1));
        x = (double)(next() % ((uint64_t)tx + 1));
        if (i % 7 == 0 && i > 0) /* a repeat of an earlier row */
            memcpy(&d[3 * i], &d[3 * (i - 7)], 3 * sizeof *d);
        else {
            d[3 * i] = x;
            d[3 * i + 1] = tx;
            d[3 * i + 2] = n;
        }
        w[i] = 1 + (double)(next() % 5);
    }
    void *prep = seg__clv_bgbb.prepare(d, w, N);
    assert_non_null(prep);
    for (size_t q = 0; q < sizeof ps / sizeof *ps; q++) {
        const double *p = ps[q];
        double g[4], H[16], gref[4];
        double ll = seg__clv_bgbb.total(prep, p, g, H);
        double ref = bgbb_rows_ll(d, w, N, p, gref);
        assert_near(ll, ref, 1e-12 * fabs(ref));
        for (int i = 0; i < 4; i++)
            assert_near(g[i], gref[i], 1e-10 * (fabs(gref[i]) + 1e3 / p[i]));
        for (int j = 0; j < 4; j++) {
            double p1[4], p2[4], g1[4], g2[4], h = 1e-5 * p[j];
            memcpy(p1, p, sizeof p1);
            memcpy(p2, p, sizeof p2);
            p1[j] += h;
            p2[j] -= h;
            bgbb_rows_ll(d, w, N, p1, g1);
            bgbb_rows_ll(d, w, N, p2, g2);
            for (int i = 0; i < 4; i++) {
                double fd = (g1[i] - g2[i]) / (2 * h);
                assert_near(H[i * 4 + j], fd, 1e-6 * (fabs(fd) + 1e3 / (p[i] * p[j])));
                assert_true(H[i * 4 + j] == H[j * 4 + i]);
            }
        }
    }
    seg__clv_bgbb.release(prep);
    free(d);
    free(w);

    /* enough pairs (x, t_x) for chunks of groups on several threads: the
     * same bits on one, two and three as on every processor */
    enum { NB = 60000 };
    d = malloc(3 * NB * sizeof *d);
    w = malloc(NB * sizeof *w);
    assert_non_null(d);
    assert_non_null(w);
    for (size_t i = 0; i < NB; i++) {
        double n = (double)(next() % 200);
        d[3 * i + 1] = (double)(next() % ((uint64_t)n + 1));
        d[3 * i] = (double)(next() % ((uint64_t)d[3 * i + 1] + 1));
        d[3 * i + 2] = n;
        w[i] = 1 + (double)(next() % 3);
    }
    prep = seg__clv_bgbb.prepare(d, w, NB);
    assert_non_null(prep);
    double g[4], H[16];
    double ll = seg__clv_bgbb.total(prep, ps[0], g, H);
    assert_true(isfinite(ll));
    for (int t = 1; t <= 3; t++) {
        double gt[4], Ht[16];
        seg__clv_bgbb.threads(prep, t);
        double llt = seg__clv_bgbb.total(prep, ps[0], gt, Ht);
        assert_memory_equal(&llt, &ll, sizeof ll);
        assert_memory_equal(gt, g, sizeof g);
        assert_memory_equal(Ht, H, sizeof H);
    }
    seg__clv_bgbb.release(prep);
    free(d);
    free(w);
}

/* The bootstrap's two quantiles at once against two selections, on
 * values with and without ties, at sizes on both sides of its sample. */
static void test_two_quantiles_match_selection(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 50, 247, 248, 1000, 4001};
    static const double qs[][2] = {{0.05, 0.95}, {0, 1}, {0.25, 0.5},
                                   {0.001, 0.999}};
    uint64_t s = 7;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        double *v = malloc(n * sizeof *v), *w = malloc(n * sizeof *w);
        double *scratch = malloc(2 * n * sizeof *scratch);
        for (int ties = 0; ties < 3; ties++) {
            for (size_t q = 0; q < sizeof qs / sizeof *qs; q++) {
                for (size_t i = 0; i < n; i++) {
                    s = s * 6364136223846793005u + 1442695040888963407u;
                    double u = (double)(s >> 11) / 9007199254740992.0;
                    v[i] = ties == 0 ? u : ties == 1 ? floor(u * 5) : 1;
                }
                memcpy(w, v, n * sizeof *v);
                double lo, hi;
                seg__clv_two_quantiles(v, n, qs[q][0], qs[q][1], scratch,
                                       &lo, &hi);
                double want_lo = seg__quantile_select(w, n, qs[q][0]);
                double want_hi = seg__quantile_select(w, n, qs[q][1]);
                assert_true(lo == want_lo);
                assert_true(hi == want_hi);
            }
        }
        free(v);
        free(w);
        free(scratch);
    }
}

/* The type-7 quantile from a sorted copy: the definition itself. */
static double sorted_quantile(const double *v, size_t n, double q)
{
    double *w = malloc(n * sizeof *w);
    memcpy(w, v, n * sizeof *w);
    qsort(w, n, sizeof *w, cmp_f64);
    double h = (double)(n - 1) * q;
    size_t k = (size_t)floor(h), k1 = k + 1 < n ? k + 1 : k;
    double r = w[k] + (h - (double)k) * (w[k1] - w[k]);
    free(w);
    return r;
}

static bool same_f64(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* One input pattern of the adversarial test: n values by kind. The
 * bootstrap samples v[i (n - 1) / 30]: kinds 9 and 10 put the smallest
 * or the largest values there, so that a bracket misses on one side once
 * and again, and kind 11 the smallest in its first half and the largest
 * in the second, so that both brackets miss twice. */
static void fill_pattern(double *v, size_t n, int kind)
{
    for (size_t i = 0; i < n; i++) {
        double u = (double)(next() >> 11) / 9007199254740992.0;
        switch (kind) {
        case 0: v[i] = u; break;                        /* distinct */
        case 1: v[i] = 7; break;                        /* all equal */
        case 2: v[i] = floor(u * 3); break;             /* three values */
        case 3: v[i] = u < 0.9 ? 1 : u; break;          /* one value 90% */
        case 4: v[i] = (double)i; break;                /* ascending */
        case 5: v[i] = -(double)i; break;               /* descending */
        case 6: v[i] = (double)(i < n / 2 ? i : n - i); break; /* pipe */
        case 7: /* infinities at both ends */
            v[i] = u < 0.1 ? -INFINITY : u > 0.85 ? INFINITY : u;
            break;
        case 8: v[i] = u < 0.5 ? -0.0 : 0.0; break;    /* signed zeros */
        default: v[i] = 1 + u; break;                   /* traps */
        }
    }
    if (kind >= 9 && n > 1)
        for (size_t i = 0; i < 31; i++)
            v[i * (n - 1) / 30] =
                kind == 9 || (kind == 11 && i < 15) ? -(double)(31 - i)
                                                    : 10 + (double)i;
}

/* The bootstrap's two quantiles against a sort, on inputs chosen to break
 * its sample and its selections: ties, runs, infinities, signed zeros,
 * sizes around the sample's threshold, and samples that lie. */
static void test_two_quantiles_adversarial(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 3, 5, 12, 13, 31, 123, 124, 125,
                                   997, 1000, 1001, 2048};
    static const double qs[][2] = {{0.05, 0.95}, {0, 1}, {0.5, 0.5},
                                   {0.001, 0.999}, {0.3, 0.7},
                                   {0.025, 0.975}};
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
        size_t n = sizes[z];
        double *v = malloc(n * sizeof *v), *w = malloc(n * sizeof *w);
        double *scratch = malloc(2 * n * sizeof *scratch);
        for (int kind = 0; kind < 12; kind++) {
            for (size_t q = 0; q < sizeof qs / sizeof *qs; q++) {
                fill_pattern(v, n, kind);
                memcpy(w, v, n * sizeof *v);
                double lo, hi;
                seg__clv_two_quantiles(v, n, qs[q][0], qs[q][1], scratch,
                                       &lo, &hi);
                double want_lo = sorted_quantile(w, n, qs[q][0]);
                double want_hi = sorted_quantile(w, n, qs[q][1]);
                if (!same_f64(lo, want_lo) || !same_f64(hi, want_hi))
                    fail_msg("n %zu kind %d q %g %g: %.17g %.17g, want "
                             "%.17g %.17g", n, kind, qs[q][0], qs[q][1],
                             lo, hi, want_lo, want_hi);
            }
        }
        free(v);
        free(w);
        free(scratch);
    }
    double lo = 0, hi = 0;
    seg__clv_two_quantiles(NULL, 0, 0.05, 0.95, NULL, &lo, &hi);
    assert_true(isnan(lo) && isnan(hi));
}

/* Many draws of realistic shape at D = 1000 and around it, where the
 * sample's brackets miss now and then: each against a sort. */
static void test_two_quantiles_many(void **state)
{
    (void)state;
    enum { N = 1200 };
    double v[N], w[N], scratch[2 * N];
    for (int rep = 0; rep < 3000; rep++) {
        size_t n = 900 + next() % 300;
        double skew = 1 + (double)(next() % 5);
        for (size_t i = 0; i < n; i++) {
            double u = ((double)(next() >> 11) + 0.5) / 9007199254740992.0;
            v[i] = pow(u, skew);
        }
        memcpy(w, v, n * sizeof *v);
        double lo, hi, ql = (double)(next() % 100) / 1000, qh = 1 - ql;
        seg__clv_two_quantiles(v, n, ql, qh, scratch, &lo, &hi);
        assert_true(same_f64(lo, sorted_quantile(w, n, ql)));
        assert_true(same_f64(hi, sorted_quantile(w, n, qh)));
    }
}

/* The Pareto/NBD intervals take each series of P(alive) once per
 * distinct (x, t_x) and (x, T): they must be, to the last bit, the
 * quantiles of the kind's own p_alive() evaluated history by history.
 * The draws cover alpha >= beta, alpha < beta and a beta so small that
 * the series fail and the quadrature serves; the histories repeat t_x
 * across pairs and include t_x = T. */
static void test_pnbd_intervals_are_per_history(void **state)
{
    (void)state;
    enum { D = 41, NH = 64, NOUT = 2 };
    seg__clv_fit fd[D];
    memset(fd, 0, sizeof fd);
    for (int d = 0; d < D; d++) {
        double u = (double)(next() % 1000) / 1000;
        fd[d].kind = SEG__CLV_PNBD;
        fd[d].p[0] = 0.4 + 0.5 * u;
        fd[d].p[1] = d % 2 ? 3 + u : 9 + 2 * u;
        fd[d].p[2] = 0.5 + 0.3 * u;
        fd[d].p[3] = d % 2 ? 11 - u : 4 + u;
    }
    fd[D - 1].p[3] = 1e-12;
    seg_model *m = NULL;
    assert_int_equal(seg_model_new(&m, "pareto_nbd"), SEG_OK);
    assert_int_equal(seg_model_set(m, "interval", "0.8"), SEG_OK);
    assert_int_equal(seg_model_set(m, "threads", "2"), SEG_OK);
    seg__clv_scored sc;
    memset(&sc, 0, sizeof sc);
    sc.kind = SEG__CLV_PNBD;
    sc.f = &fd[0];
    sc.horizon = 10;
    static const double Ts[4] = {20, 30, 40, 52};
    static const double txs[5] = {2.5, 7, 15, 20, 30};
    seg__clv_hist h[NH];
    size_t group[NH], nh = 0;
    for (int x = 0; x < 4; x++)
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 5; b++) {
                double T = Ts[a], tx = x ? txs[b] : 0;
                if (tx > T || (!x && b) || nh == NH)
                    continue;
                memset(&h[nh], 0, sizeof h[nh]);
                h[nh].k[0] = x;
                h[nh].k[1] = tx;
                h[nh].k[2] = T;
                h[nh].k[3] = -INFINITY;
                h[nh].i = nh;
                group[nh] = nh;
                nh++;
            }
    double lo[NOUT][NH], hi[NOUT][NH];
    double *plo[NOUT] = {lo[0], lo[1]}, *phi[NOUT] = {hi[0], hi[1]};
    assert_int_equal(seg__clv_evaluate(m, &sc, h, group, nh, fd, NULL, D,
                                       NOUT, plo, phi),
                     SEG_OK);
    double level = seg__clv_level(m, 0), ql = (1 - level) / 2;
    double qh = (1 + level) / 2;
    /* the last draw's series fail at t_x = 0: its x = 0 take the
     * quadrature */
    bool ok;
    double f0, y0 = 0;
    seg__pnbd_alive_terms(fd[D - 1].p, 0, &y0, 1, &ok, &f0);
    assert_false(ok);
    for (size_t g = 0; g < nh; g++) {
        const double *k = h[g].k;
        double o[NOUT][D];
        size_t nf[NOUT] = {0, 0};
        for (int d = 0; d < D; d++) {
            double pa = seg__clv_pnbd.p_alive(fd[d].p, k[0], k[1], k[2]);
            seg__clv_pair pf = {NAN, NAN, NULL, NULL};
            seg__clv_pair_factors(&sc, &fd[d], k[0], k[2], &pf);
            double v[NOUT] = {pa, pa * pf.e};
            for (int c = 0; c < NOUT; c++)
                if (isfinite(v[c]))
                    o[c][nf[c]++] = v[c];
        }
        for (int c = 0; c < NOUT; c++) {
            assert_true(nf[c] > 0);
            double wl = seg__quantile_select(o[c], nf[c], ql);
            double wh = seg__quantile_select(o[c], nf[c], qh);
            assert_memory_equal(&wl, &lo[c][g], sizeof wl);
            assert_memory_equal(&wh, &hi[c][g], sizeof wh);
        }
    }
    seg_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_f64_matches_strtod),
        cmocka_unit_test(test_parse_f64_long_mantissas),
        cmocka_unit_test(test_parse_f64_near_ties),
        cmocka_unit_test(test_parse_f64_every_form),
        cmocka_unit_test(test_parse_f64_short_fields),
        cmocka_unit_test(test_plain_dates_as_the_calendar),
        cmocka_unit_test(test_format_f64_as_printf),
        cmocka_unit_test(test_format_f64_walks),
        cmocka_unit_test(test_format_f64_shortest),
        cmocka_unit_test(test_format_f64_trials),
        cmocka_unit_test(test_parse_f64_rejects),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_hash_by_bytes),
        cmocka_unit_test(test_same_bytes),
        cmocka_unit_test(test_blocks_zeroed_and_kept),
        cmocka_unit_test(test_interner_truncate),
        cmocka_unit_test(test_interner_lengths),
        cmocka_unit_test(test_interner_grows_in_place),
        cmocka_unit_test(test_interner_forms),
        cmocka_unit_test(test_interner_random_forms),
        cmocka_unit_test(test_interner_many),
        cmocka_unit_test(test_categories_pay_as_used),
        cmocka_unit_test(test_quantile_select_matches_sorting),
        cmocka_unit_test(test_hyp2f1_batch_is_the_single_value),
        cmocka_unit_test(test_month_curve_against_mpmath),
        cmocka_unit_test(test_hyp2f1_shared_is_near_the_single_sums),
        cmocka_unit_test(test_two_quantiles_match_selection),
        cmocka_unit_test(test_two_quantiles_adversarial),
        cmocka_unit_test(test_two_quantiles_many),
        cmocka_unit_test(test_hyp2f1_f64_is_the_dual_value),
        cmocka_unit_test(test_hyp2f1_gives_up_only_where_it_fails),
        cmocka_unit_test(test_pnbd_total_matches_rows),
        cmocka_unit_test(test_pnbd_intervals_are_per_history),
        cmocka_unit_test(test_bgbb_total_matches_rows),
        cmocka_unit_test(test_ranks_and_merge_cols),
        cmocka_unit_test(test_fam_total_matches_rows),
        cmocka_unit_test(test_quantile_select_large),
        cmocka_unit_test(test_quantile_sampled_skips_nan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
