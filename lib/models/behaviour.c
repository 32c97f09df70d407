/* What the behavioural models (engagement, stage) share: they read the
 * raw records up to the as_of parameter, take "key=value,key=value"
 * parameters, and keep no state. */
#include <stdio.h>
#include <string.h>

#include "models/behaviour.h"

int seg__beh_as_of(const seg_model *m, const seg_dataset *ds, int64_t *out)
{
    const char *s = seg__param_str(m, "as_of");
    size_t n = strlen(s);
    if (n == 0) {
        *out = seg__ds_max_time(ds);
        return SEG_OK;
    }
    if (seg_time_parse(out, s, n, SEG_TIME_AUTO | SEG_TIME_END_OF_DAY) !=
        SEG_OK)
        return seg__model_error(m, SEG_EPARSE, "%s: as_of '%s' is not a date "
                                "or time", seg_model_name(m), s);
    return SEG_OK;
}

int seg__beh_records_of(const seg_model *m, const seg_dataset *ds,
                        seg__beh_records *out)
{
    int rc = seg__beh_as_of(m, ds, &out->as_of);
    if (!rc && seg__ds_need_records(ds, NULL, seg_model_name(m))) {
        char msg[SEG__ERRMSG_MAX]; /* seg_errmsg() is rewritten below */
        snprintf(msg, sizeof msg, "%s", seg_errmsg());
        rc = seg__model_error(m, SEG_EMISUSE, "%s", msg);
    }
    if (rc)
        return rc;
    out->customers = seg__ds_n(ds);
    out->kinds = seg__ds_kind_count(ds);
    out->tx = seg__ds_tx(ds);
    out->ev = seg__ds_ev(ds);
    return SEG_OK;
}

int seg__beh_each_pair(const seg_model *m, const char *param, seg__pair_fn f,
                     void *ctx)
{
    const char *s = seg__param_str(m, param);
    while (*s) {
        const char *comma = strchr(s, ',');
        const char *end = comma ? comma : s + strlen(s);
        const char *eq = memchr(s, '=', (size_t)(end - s));
        if (!eq || eq == s || eq + 1 == end)
            return seg__model_error(m, SEG_EPARSE, "%s: '%.*s' is not "
                                    "KIND=VALUE", param, (int)(end - s), s);
        int rc = f(s, (size_t)(eq - s), eq + 1, (size_t)(end - eq - 1), ctx);
        if (rc)
            return seg__model_error(m, rc, "%s: bad value in '%.*s'", param,
                                    (int)(end - s), s);
        s = comma ? comma + 1 : end;
    }
    return SEG_OK;
}

int seg__beh_create(void **state, void *ud)
{
    (void)ud;
    *state = seg__calloc(1, 1);
    return *state ? SEG_OK : SEG_ENOMEM;
}

void seg__beh_destroy(void *state, void *ud)
{
    (void)ud;
    seg__free(state);
}
