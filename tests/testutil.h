/* Helpers shared by the cmocka tests. */
#ifndef SEG_TESTUTIL_H
#define SEG_TESTUTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* |a - b| <= tol, with both values printed on failure */
#define assert_near(a, b, tol)                                              \
    do {                                                                    \
        double a_ = (a), b_ = (b);                                          \
        if (!(fabs(a_ - b_) <= (tol)))                                      \
            fail_msg("%s = %.10g, expected %.10g (tolerance %g)", #a, a_,   \
                     b_, (double)(tol));                                    \
    } while (0)

#define assert_ok(expr)                                                     \
    do {                                                                    \
        int rc_ = (expr);                                                   \
        if (rc_ != 0)                                                       \
            fail_msg("%s returned %d: %s", #expr, rc_, seg_errmsg());       \
    } while (0)

#endif
