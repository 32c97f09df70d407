/* What the behavioural models share. Not API. */
#ifndef SEG_MODELS_BEHAVIOUR_H
#define SEG_MODELS_BEHAVIOUR_H

#include "models/internal.h"

#define SEG__DAY 86400.0

/* The as_of parameter: a time, a date (meaning its end), or empty for the
 * latest record of the dataset. */
int seg__beh_as_of(const seg_model *m, const seg_dataset *ds, int64_t *out);

/* What a behavioural model reads: the records up to as_of. */
typedef struct seg__beh_records {
    int64_t as_of;
    size_t customers, kinds; /* customers and event kinds of the dataset */
    seg__tx_view tx;
    seg__ev_view ev;
} seg__beh_records;
int seg__beh_records_of(const seg_model *m, const seg_dataset *ds,
                        seg__beh_records *out);

/* "key=value,key=value" of a text parameter: calls f for each pair and
 * stops at its error, which becomes the model's message. */
typedef int (*seg__pair_fn)(const char *key, size_t klen, const char *val,
                            size_t vlen, void *ctx);
int seg__beh_each_pair(const seg_model *m, const char *param, seg__pair_fn f,
                       void *ctx);

/* The create and destroy callbacks of a kind without state. */
int seg__beh_create(void **state, void *ud);
void seg__beh_destroy(void *state, void *ud);

#endif /* SEG_MODELS_BEHAVIOUR_H */
