/* Threads: how many to use, and jobs run on them. */
#include <unistd.h>

#include "core/internal.h"


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
