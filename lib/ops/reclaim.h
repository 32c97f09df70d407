/* Lead-pool reclaim (公海): the definition (reclaim_spec.c) and the
 * evaluation of every lead on an analysis date (reclaim.c). Private to
 * lib/ops. */
#ifndef SEG_OPS_RECLAIM_H
#define SEG_OPS_RECLAIM_H

#include "ops/spec.h"

typedef enum rcl_clock { RCL_FOLLOWUP, RCL_DEAL } rcl_clock;

typedef struct rcl_rule {
    char *name;
    rcl_clock clock;
    int64_t days; /* the rule fires after this many whole days */
} rcl_rule;

enum { RCL_MAX_RULES = 32 };

struct seg_reclaim {
    seg__errbuf err;
    char *prefix;       /* of the columns: "reclaim" unless named */
    char *owner;        /* the owner's label column */
    char *owner_since;  /* the assignment date's column, or NULL */
    char *assigned;     /* the event kind of an assignment, or NULL */
    char *released;     /* KIND of the "KIND:OWNER" events, or NULL */
    char **followup;    /* event kinds that are a follow-up */
    size_t n_followup;
    char **deal;        /* event kinds that are a deal */
    size_t n_deal;
    bool deal_tx;       /* a purchase (amount > 0) is a deal */
    rcl_rule *rules;    /* in the order written: ties go to the first */
    size_t n_rules;
    int64_t reminder;   /* days before a rule fires; 0: no reminders */
    size_t cap;         /* leads an owner may hold; 0: no cap */
    int64_t lockout;    /* days the previous owner waits; 0: none */
};

#endif
