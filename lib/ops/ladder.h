/* Membership ladders: the definition (ladder_spec.c) and its replay
 * (ladder.c). Private to lib/ops. */
#ifndef SEG_OPS_LADDER_H
#define SEG_OPS_LADDER_H

#include "ops/spec.h"

typedef struct lad_tier {
    char *name;
    double threshold; /* growth points that reach the tier */
    double keep;      /* points of a period that keep it (保级) */
} lad_tier;

typedef struct lad_event {
    char *kind;
    double points; /* per event of the kind */
} lad_event;

struct seg_ladder {
    seg__errbuf err;
    char *prefix;      /* of the columns: "ladder" unless named */
    double per_amount; /* points per unit of amount; returns subtract */
    lad_event *events;
    size_t n_events;
    int64_t period;    /* seconds a tier is valid; 0: no expiry */
    lad_tier *tiers;   /* by rising threshold, the first at 0 */
    size_t n_tiers;
};

#endif
