/* Time-varying covariates of Pareto/NBD (Bachmann, Meierer and Naef 2021):
 * the table of values per customer and period, and the fit and the
 * predictions that use it. Internal. */
#ifndef SEG_MODELS_CLV_DYNCOV_H
#define SEG_MODELS_CLV_DYNCOV_H

#include "models/clv/internal.h"

/* Covariate values per customer per period. Every customer's periods are
 * consecutive, each `step` days long, starting on days origin + k step;
 * every period has a value of every name. */
typedef struct seg__dyncov {
    size_t nnames;
    char **names;
    size_t ncust;
    char **ids;      /* sorted by strcmp */
    int64_t *first;  /* the day the customer's first period starts */
    size_t *nper;    /* the customer's periods */
    size_t *off;     /* the first period's row in v */
    double *v;       /* nnames values per period */
    int64_t step, origin;
} seg__dyncov;

/* Build a table from n long rows (customer, period start in epoch
 * seconds, covariate name, value): SEG_OK, or an error with its message
 * in *err (allocated) and nothing built. */
int seg__dyncov_build(size_t n, const char *const *ids, const int64_t *start,
                      const char *const *names, const double *values,
                      seg__dyncov **out, char **err);
/* Read a wide CSV file: a customer column, a period-start column (ISO
 * dates) and one numeric column per covariate. */
int seg__dyncov_load_csv(const char *path, const char *id_column,
                         const char *date_column, seg__dyncov **out,
                         char **err);
void seg__dyncov_free(seg__dyncov *t);
/* The customer's index in the table, or t->ncust when it has none. */
size_t seg__dyncov_find(const seg__dyncov *t, const char *id);
/* The index of a covariate name, or t->nnames. */
size_t seg__dyncov_name(const seg__dyncov *t, const char *name);

/* The table attached to a model with seg_model_set_covariate_table(), or
 * NULL (models/model.c). */
const seg__dyncov *seg__model_dyncov(const seg_model *m);

/* Whether the model's parameters ask for time-varying covariates. */
bool seg__clv_dyncov_on(const seg_model *m);
/* Fit Pareto/NBD with the time-varying covariates the model names, or
 * evaluate at its `fixed` parameters: parameters, effects (into f->cov),
 * standard errors and log-likelihood into f. */
int seg__clv_dyncov_fit(const seg_model *m, const seg_dataset *ds,
                        seg__clv_fit *f);
/* PREFIX.p_alive and PREFIX.expected (over `horizon` units after T, with
 * the covariates' values there) of every customer with a history. */
int seg__clv_dyncov_score(const seg_model *m, const seg__clv_fit *f,
                          seg_dataset *ds, const char *prefix);

#endif
