/* Progress and cancellation: a host's callback, called from the thread
 * that made the call, at the start of a stage and then about every
 * SEG__PROGRESS_NS of work. Loops report at their natural boundary (a
 * record, a customer, a block, an iteration); the clock is read only every
 * `every` reports, a number that adapts so that a read comes about every
 * millisecond whatever one unit of work costs, up to SEG__PROGRESS_EVERY. */
#include <stdatomic.h>
#include <time.h>

#include "core/internal.h"

/* Internal tests set it to 0: then every report calls the callback. */
uint64_t seg__progress_interval_ns = SEG__PROGRESS_NS;

static _Thread_local seg__progress *t_current;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *seg_stage_name(int stage)
{
    switch (stage) {
    case SEG_STAGE_LOAD: return "load";
    case SEG_STAGE_RECORDS: return "records";
    case SEG_STAGE_FEATURES: return "features";
    case SEG_STAGE_FIT: return "fit";
    case SEG_STAGE_SCORE: return "score";
    case SEG_STAGE_RULES: return "rules";
    case SEG_STAGE_EXPORT: return "export";
    default: return "unknown";
    }
}

static int call(seg__progress *p)
{
    if (p->fn(p->stage, p->done, p->total, p->user) == 0)
        return SEG_OK;
    atomic_store(&p->canceled, 1);
    p->left = 1;
    return seg__error(p->err, SEG_ECANCELED,
                      "%s canceled by the progress callback (at %llu of "
                      "%llu)", seg_stage_name(p->stage),
                      (unsigned long long)p->done,
                      (unsigned long long)p->total);
}

int seg__progress_begin(seg__progress *p, seg_progress_fn fn, void *user,
                        const seg__errbuf *err, int stage, uint64_t total)
{
    p->fn = fn;
    p->user = user;
    p->err = err;
    p->stage = stage;
    p->done = 0;
    p->total = total;
    p->every = p->left = 1;
    atomic_init(&p->canceled, 0);
    p->outer = t_current;
    t_current = p;
    if (!fn)
        return SEG_OK;
    p->last_call = p->last_check = now_ns();
    return call(p);
}

void seg__progress_end(seg__progress *p)
{
    if (t_current == p)
        t_current = p->outer;
}

seg__progress *seg__progress_current(void) { return t_current; }

int seg__progress_check(seg__progress *p)
{
    if (atomic_load_explicit(&p->canceled, memory_order_relaxed)) {
        p->left = 1; /* every later report says so at once */
        return SEG_ECANCELED;
    }
    uint64_t t = now_ns(), since = t - p->last_check;
    p->last_check = t;
    /* about a read a millisecond: cheap, and well inside the interval.
     * The cap keeps a loop whose units turn costly (a likelihood row after
     * cheap ones) from going long without a read: at most SEG__PROGRESS_EVERY
     * units between reads, and after a slow stretch fewer at once. */
    if (since < 500000u && p->every < SEG__PROGRESS_EVERY)
        p->every *= 2;
    else if (since > 2000000u) {
        uint64_t e = (uint64_t)p->every * 1000000u / since;
        p->every = e ? (uint32_t)e : 1;
    }
    if (seg__progress_interval_ns == 0)
        p->every = 1;
    p->left = p->every;
    if (t - p->last_call < seg__progress_interval_ns)
        return SEG_OK;
    p->last_call = t;
    if (p->total && p->done > p->total)
        p->done = p->total;
    return call(p);
}
