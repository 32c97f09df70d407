/* Snapshots: the run at several dates (snapshot.c), the hysteresis
 * (snapshot_hold.c) and the migration table (snapshot_migration.c).
 * Private to lib/ops. */
#ifndef SEG_OPS_SNAPSHOT_H
#define SEG_OPS_SNAPSHOT_H

#include "output/internal.h"

/* The tiers of a history: index + 1 into names, 0 for none. */
struct seg_snapshots {
    size_t n_dates, n;       /* dates, customers */
    int64_t *dates;
    char **columns;          /* T@YYYY-MM-DD per date */
    seg__interner names;     /* the tiers, in the order first seen */
    uint32_t *tier;          /* n_dates x n: date-major */
};

/* How long a tier's condition must hold (to enter) or fail (to leave):
 * snapshots, or days between snapshot dates. */
typedef struct snap_hold {
    uint32_t snapshots;      /* 1: no hysteresis */
    double days;             /* 0: none */
} snap_hold;

typedef struct snap_holds {
    snap_hold all;           /* "*" */
    char **tier;             /* the tiers named */
    snap_hold *hold;
    size_t n;
} snap_holds;

/* Read "TIER=N,TIER=Nd,*=N"; NULL text is no hysteresis. what names the
 * option in messages. */
int seg__snap_holds_parse(snap_holds *h, const char *text, const char *what,
                          const seg__errbuf *err);
void seg__snap_holds_free(snap_holds *h);
/* Whether every tier a hold names is one of the n labels. */
int seg__snap_holds_check(const snap_holds *h, const char *const *labels,
                          size_t n, const char *what,
                          const seg__errbuf *err);
const snap_hold *seg__snap_hold_of(const snap_holds *h, const char *tier);

/* The tier after hysteresis at snapshot k of one customer: raw[j] the
 * rule set's tiers (codes, 0 none) at snapshots 0..k, cur its tier at
 * k - 1 (0 none), names the codes' texts (code - 1), dates the times. */
uint32_t seg__snap_settle(const uint32_t *raw, size_t stride, size_t k,
                          uint32_t cur, const seg__interner *names,
                          const int64_t *dates, const snap_holds *enter,
                          const snap_holds *leave);

#endif
