/* What programs built against an older release are given. Options structs
 * grow at their end from release to release; a program built against 0.1
 * passes the smaller struct of its headers, so the init functions it is
 * linked to (seg_..._init@SEG_0.1) fill no more than that struct. Programs
 * built now get the current ones (@@SEG_0.2). The library reads any size
 * it is given (seg__copy_opts). */
#include <stddef.h>
#include <string.h>

#include "core/internal.h"

/* The size a struct had before the member `first_new` was added: where
 * that member starts, rounded up to the struct's alignment. */
#define SIZE_BEFORE(T, first_new)                                             \
    ((offsetof(T, first_new) + _Alignof(T) - 1) / _Alignof(T) * _Alignof(T))

#ifdef SEG__VERSIONED
#define COMPAT(impl, name_at_version)                                         \
    SEG__VERSIONED(impl, name_at_version);                                    \
    SEG__VERSIONED_API
#else
#define COMPAT(impl, name_at_version)
#endif

void seg__csv_options_init_0_1(seg_csv_options *o);
COMPAT(seg__csv_options_init_0_1, "seg_csv_options_init@SEG_0.1")
void seg__csv_options_init_0_1(seg_csv_options *o)
{
    if (!o)
        return;
    size_t n = SIZE_BEFORE(seg_csv_options, reject_negative_amounts);
    seg_csv_options cur;
    seg_csv_options_init(&cur);
    cur.size = n;
    memcpy(o, &cur, n);
}

void seg__features_options_init_0_1(seg_features_options *o);
COMPAT(seg__features_options_init_0_1, "seg_features_options_init@SEG_0.1")
void seg__features_options_init_0_1(seg_features_options *o)
{
    if (!o)
        return;
    size_t n = SIZE_BEFORE(seg_features_options, windows);
    seg_features_options cur;
    seg_features_options_init(&cur);
    cur.size = n;
    memcpy(o, &cur, n);
}
