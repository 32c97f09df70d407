/* The holdout report of a purchase model with static covariates: the
 * covariate values each customer's prediction takes, after the history,
 * in the order of the effects (seg_model_eval()'s arguments). */
#include <stdlib.h>

#include "models/clv/dyncov.h"
#include "models/clv/internal.h"
#include "models/struct.h"

int seg__clv_holdout_covariates(const seg_model *m, const seg_dataset *ds,
                                const bool *has, double **z, size_t *k)
{
    *z = NULL;
    *k = 0;
    if (seg__clv_dyncov_on(m))
        return seg__model_error(m, SEG_EINVAL, "%s: the holdout report is "
                                "not available with time-varying "
                                "covariates", seg_model_name(m));
    const seg__clv_cov *cov = seg__clv_class_cov(&m->k->cls, m->state);
    if (!cov)
        return SEG_OK;
    size_t n = seg_dataset_customer_count(ds);
    double *v = seg__malloc((n ? n : 1) * (size_t)cov->k * sizeof *v);
    if (!v)
        return seg__nomem(&m->err);
    int rc = seg__clv_cov_values(m, cov, ds, has, v);
    if (rc) {
        seg__free(v);
        return rc;
    }
    *z = v;
    *k = (size_t)cov->k;
    return SEG_OK;
}
