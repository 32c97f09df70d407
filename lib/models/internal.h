/* What the built-in models share: errors, parameters, columns in and
 * out, the state lines of the model file, and the built-in classes.
 * Not API. */
#ifndef SEG_MODELS_INTERNAL_H
#define SEG_MODELS_INTERNAL_H

#include "dataset/internal.h"
#include "output/internal.h"

int seg__model_error(const seg_model *m, int code, const char *fmt, ...)
    SEG__PRINTF(3, 4);
/* A model's parameter by name (NaN or "" if it has none of that type). */
double seg__param_num(const seg_model *m, const char *name);
const char *seg__param_str(const seg_model *m, const char *name);
/* A copy of a numeric column (customer count values), or NULL with *rc set
 * and the model's message explaining. */
double *seg__model_column(const seg_model *m, const seg_dataset *ds,
                          const char *col, int *rc);
/* The same column read in place, for a score that only reads it: valid
 * until the dataset's columns change (a score's first put). */
const double *seg__model_column_view(const seg_model *m, seg_dataset *ds,
                                     const char *col, int *rc);
/* "prefix.what" in a new string (seg__free() it); NULL when out of memory.
 * Names have no fixed bound: a model's name is any length. */
char *seg__model_colname(const char *prefix, const char *what);
/* One output column of a score: numbers (num), numbers the dataset may
 * keep (*own, set to NULL once handed over), or labels. */
typedef struct seg__out {
    const char *what;
    const double *num;
    double **own;
    const char **labels;
} seg__out;
/* Write every output of a score: all names and types are checked first,
 * then each is written. A write that fails half-way (out of memory) is
 * undone whole, new columns and replaced ones, by the dataset mark that
 * seg_model_score() holds around the kind's score. */
int seg__model_put_all(const seg_model *m, seg_dataset *ds,
                       const char *prefix, const seg__out *outs, size_t n);
/* Write the column PREFIX.WHAT: numbers, or labels when labels != NULL. */
int seg__model_put(const seg_model *m, seg_dataset *ds, const char *prefix,
                   const char *what, const double *num, const char **labels);
/* The same for numbers the dataset may keep: on success *num (customer
 * count values) is the dataset's and set to NULL. */
int seg__model_put_owned(const seg_model *m, seg_dataset *ds,
                         const char *prefix, const char *what, double **num);
/* The state text of the built-in models: a line "KEY n1 n2 ...", written
 * with the shortest exact numbers; reading wants exactly n of them (and
 * "nan" only when allow_nan), then moves *p past the line. */
int seg__state_put(seg_write_fn write, void *write_user, const char *key,
                   const double *v, int n);
int seg__state_get(const seg_model *m, const char **p, const char *end,
                   const char *key, double *v, int n, bool allow_nan);
/* A built-in kind's reports as tables: SEG_ENOTFOUND (and no message)
 * for a report it does not have. What seg_model_report_table() returns;
 * the kind's report callback writes the same table as bytes. */
typedef int (*seg__report_table_fn)(void *state, const seg_model *m,
                                    const seg_dataset *ds,
                                    const char *report, seg_table **out);
int seg__km_report_table(void *state, const seg_model *m,
                         const seg_dataset *ds, const char *report,
                         seg_table **out);
/* The customer-base kinds' own reports: "ci", the confidence intervals
 * of the parameters. */
int seg__clv_report_table(void *state, const seg_model *m,
                          const seg_dataset *ds, const char *report,
                          seg_table **out);
/* The diagnostics of a purchase model (diagnostics.c): "tracking",
 * "period_transactions", "matrix_expected", "matrix_palive";
 * SEG_ENOTFOUND without a message for another name. */
int seg__diag_table(const seg_model *m, const seg_dataset *ds,
                    const char *report, seg_table **out);
/* Write the cells c0 .. c1-1 of a table's row as JSON members
 * "name":value, separated by commas. */
void seg__report_json_members(seg__writer *w, const seg_table *t,
                              size_t row, size_t c0, size_t c1);
/* v to that many significant digits: reports show shares and
 * silhouettes to 6, centroids and inertia to 10, and their tables hold
 * what they show. */
double seg__report_round(double v, int digits);
/* The model's message for a failed report writer (rc from
 * seg__w_finish()). */
int seg__report_write_error(const seg_model *m, const char *report, int rc);

/* Built-in model classes, registered at first use of the registry. */
extern const seg_model_class seg__rfm_class, seg__bgnbd_class,
    seg__mbgnbd_class, seg__pnbd_class, seg__bgbb_class, seg__gg_class,
    seg__clv_class, seg__engagement_class, seg__stage_class,
    seg__kmeans_class, seg__interest_class, seg__ggompertz_class;


#endif /* SEG_MODELS_INTERNAL_H */
