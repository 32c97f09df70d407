/* The kind and instance structs, shared by the files that make up a
 * model (registry, parameters, instances, the model file, reports). The
 * kinds themselves see a model only through models/internal.h. Not API. */
#ifndef SEG_MODELS_STRUCT_H
#define SEG_MODELS_STRUCT_H

#include "models/internal.h"

typedef struct seg__kind {
    seg_model_class cls;     /* strings point into owned copies for plug-ins */
    seg_param_def *params;
    size_t n_params;
    void *user_data;
    void (*destroy)(void *user_data);
    bool builtin;
    seg__report_table_fn report_table; /* built-in kinds with reports */
    bool columns_only;       /* fit and score read only columns: built-in
                                kinds that say so (a plug-in never does) */
    bool registered;
    size_t refs;             /* instances, plus one while registered */
    char *owned[3];          /* kind, description for plug-ins */
} seg__kind;

struct seg_model {
    seg__errbuf err;
    seg__kind *k;
    char *name;
    void *state;
    bool fitted;
    double *num;
    char **str;
    struct seg__dyncov *dyncov; /* seg_model_set_covariate_table(), or NULL */
};

/* The registered kind of that name with one more reference, or
 * SEG_ENOTFOUND with a message listing the known kinds. */
int seg__kind_acquire(const char *name, seg__kind **out);
void seg__kind_release(seg__kind *k);
/* The index of a parameter, or SEG_ENOTFOUND with a "did you mean". */
int seg__find_param(const seg_model *m, const char *name, size_t *idx);
/* The calibration/holdout report of any kind that predicts purchases. */
int seg__holdout_table(const seg_model *m, const seg_dataset *ds,
                       seg_table **out);
int seg__holdout_report(const seg_model *m, const seg_dataset *ds,
                        int format, seg_write_fn write, void *user_data);

#endif /* SEG_MODELS_STRUCT_H */
