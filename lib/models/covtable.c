/* The table of time-varying covariates a model holds: the public calls
 * that attach it (the table itself is models/clv/dyncov_table.c). */
#include <stdio.h>

#include "models/struct.h"
#include "models/clv/dyncov.h"

static int attach(seg_model *m, int rc, seg__dyncov *t, char *err)
{
    if (rc) {
        rc = rc == SEG_ENOMEM && !err
                 ? seg__nomem(&m->err)
                 : seg__model_error(m, rc, "%s: %s", seg_model_name(m),
                                    err ? err : "out of memory");
        seg__free(err);
        return rc;
    }
    seg__dyncov_free(m->dyncov);
    m->dyncov = t;
    return SEG_OK;
}

int seg_model_set_covariate_table(seg_model *m, size_t n,
                                  const char *const *ids,
                                  const int64_t *period_start,
                                  const char *const *names,
                                  const double *values)
{
    if (!m)
        return seg__error(NULL, SEG_EINVAL, "model is NULL");
    if (n && (!ids || !period_start || !names || !values))
        return seg__model_error(m, SEG_EINVAL, "%s: a NULL array for the "
                                "covariate table", seg_model_name(m));
    seg__dyncov *t = NULL;
    char *err = NULL;
    int rc = seg__dyncov_build(n, ids, period_start, names, values, &t, &err);
    return attach(m, rc, t, err);
}

int seg_model_load_covariate_table(seg_model *m, const char *path,
                                   const char *id_column,
                                   const char *date_column)
{
    if (!m)
        return seg__error(NULL, SEG_EINVAL, "model is NULL");
    if (!path)
        return seg__model_error(m, SEG_EINVAL, "%s: no path for the "
                                "covariate table", seg_model_name(m));
    seg__dyncov *t = NULL;
    char *err = NULL;
    int rc = seg__dyncov_load_csv(path, id_column, date_column, &t, &err);
    return attach(m, rc, t, err);
}

const seg__dyncov *seg__model_dyncov(const seg_model *m)
{
    return m->dyncov;
}
