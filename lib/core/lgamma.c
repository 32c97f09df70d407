/* The log-gamma function for code that runs on threads. C's lgamma()
 * also stores the sign of the gamma function in the global signgam, so
 * two threads computing log-gammas at once race on it. lgamma_r (glibc,
 * the BSDs, macOS, POSIX.1-2024) hands the sign back instead; the value
 * is the same. Where it is missing, lgamma() serves. */
#define _DEFAULT_SOURCE
#include <math.h>

#include "core/internal.h"

double seg__lgamma(double x)
{
#ifdef SEG__HAVE_LGAMMA_R
    int sign;
    return lgamma_r(x, &sign);
#else
    return lgamma(x);
#endif
}
