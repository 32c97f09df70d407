/* Threads: how many to use, and jobs run on them. */
#include <limits.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/internal.h"

/* What a thread costs in address space: its stack (8 MiB), its share of a
 * batch's buffers and, in glibc, a heap arena of 64 MiB reserved at its
 * first allocation (twice that while it is aligned) and kept until the
 * process ends. */
#define THREAD_ADDRESS_SPACE ((size_t)160 << 20)

/* How many threads beside the calling one the address-space limit
 * (ulimit -v) leaves room for; LONG_MAX without a limit. The space in use
 * is read from /proc where there is one, else taken as none. */
static long room_for_threads(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return LONG_MAX;
    size_t used = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        unsigned long pages = 0;
        if (fscanf(f, "%lu", &pages) == 1)
            used = (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
        fclose(f);
    }
    size_t limit = (size_t)rl.rlim_cur;
    return limit > used ? (long)((limit - used) / THREAD_ADDRESS_SPACE) : 0;
}

int seg__threads(int requested, size_t work, size_t min_work)
{
    long t = requested;
    if (t > 0) {
        if ((size_t)t > work)
            t = (long)work;
    } else {
        t = sysconf(_SC_NPROCESSORS_ONLN);
        if (min_work && t > 0 && (size_t)t > work / min_work)
            t = (long)(work / min_work);
    }
    if (t > 1) {
        long room = room_for_threads();
        if (t - 1 > room)
            t = room + 1;
    }
    return t < 1 ? 1 : t > SEG__MAX_THREADS ? SEG__MAX_THREADS : (int)t;
}

void seg__jobs_start(seg__jobs *j, void *(*fn)(void *), void *jobs,
                     size_t size, int n)
{
    j->fn = fn;
    j->jobs = jobs;
    j->size = size;
    j->n = n;
    for (int i = 0; i < n; i++)
        j->started[i] = pthread_create(&j->tid[i], NULL, fn,
                                       j->jobs + (size_t)i * size) == 0;
}

void seg__jobs_wait(seg__jobs *j)
{
    for (int i = 0; i < j->n; i++) {
        if (j->started[i])
            pthread_join(j->tid[i], NULL);
        else
            j->fn(j->jobs + (size_t)i * j->size);
    }
}

void seg__run_jobs(void *(*fn)(void *), void *jobs, size_t size, int n)
{
    seg__jobs j;
    seg__jobs_start(&j, fn, (char *)jobs + size, size, n - 1);
    fn(jobs);
    seg__jobs_wait(&j);
}
