/* Uncertainty of the customer-base models, the prediction intervals:
 * every distinct history's predictions under every parameter draw
 * (draws.c), and their quantiles. Threads split the histories only, so
 * the intervals are the same whatever the number of threads. */
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models/clv/internal.h"

/* ---- the prediction intervals ----
 *
 * Every kind of the family predicts E[X(T, T+t) | x, t_x, T] as P(alive)
 * times the expected purchases of a customer alive at T, and the second
 * depends on x and T alone: the posterior of a customer known to be alive
 * at T has forgotten t_x. So is the discounted value, which is linear in
 * the expected purchases. Each draw evaluates that second factor once for
 * each distinct (x, T), as the expectation at t_x = T divided by P(alive)
 * there (where P(alive) is largest), and P(alive) for each distinct
 * history. The histories are visited by (x, T), so that the factor of a
 * pair is needed only while its histories are, D values at a time. The
 * Pareto/NBD P(alive) is two series, one of (x, T) and one of (x, t_x):
 * each is taken once per pair, or per distinct (x, t_x) of a chunk. */

/* P(alive) of the BG/NBD family from tables made once per draw:
 * log(alpha + t) for each distinct time, log(b + x + m - 1) for each
 * distinct x, in rows of D values (one per draw), so that one history
 * reads them in order. What p_alive of bgnbd.c computes, without its
 * logarithms. */
typedef struct fam_tables {
    bool on, modified;
    size_t D, nt, nx;
    double *tv, *xv;   /* the distinct times and counts, sorted */
    double *L, *lb;    /* nt x D, nx x D */
    double *la, *r;    /* per draw: log a, r */
} fam_tables;

static void fam_tables_free(fam_tables *t)
{
    seg__free(t->tv);
    seg__free(t->xv);
    seg__free(t->L);
    seg__free(t->lb);
    seg__free(t->la);
    seg__free(t->r);
}

static size_t find(const double *v, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* A distinct history (x, t_x, T, mean spend) and its number among them. */
typedef struct pkey {
    double k[4];
    size_t g;
} pkey;

/* The tables stay off for other kinds, and where they would be large
 * (times that are seldom equal): the kind's p_alive serves then. */
static int fam_tables_make(const seg__clv_fit *fd, size_t D,
                           const pkey *pk, size_t ng, fam_tables *t)
{
    memset(t, 0, sizeof *t);
    int kind = fd[0].kind;
    if (kind != SEG__CLV_BGNBD && kind != SEG__CLV_MBGNBD)
        return SEG_OK;
    double *tt = seg__malloc((2 * ng + 1) * sizeof *tt);
    double *xx = seg__malloc((ng + 1) * sizeof *xx);
    uint32_t *rank = seg__malloc((2 * ng + 1) * sizeof *rank);
    int rc = tt && xx && rank ? SEG_OK : SEG_ENOMEM;
    for (size_t g = 0; g < ng && !rc; g++) {
        tt[2 * g] = pk[g].k[1];
        tt[2 * g + 1] = pk[g].k[2];
        xx[g] = pk[g].k[0];
    }
    if (!rc)
        rc = seg__clv_ranks(tt, 2 * ng, 1, 2 * ng, rank, &t->tv, &t->nt);
    if (!rc)
        rc = seg__clv_ranks(xx, ng, 1, ng, rank, &t->xv, &t->nx);
    seg__free(tt);
    seg__free(xx);
    seg__free(rank);
    /* 16M values, 128 MB, at most */
    if (rc || (double)(t->nt + t->nx) * (double)D > 16e6) {
        fam_tables_free(t);
        memset(t, 0, sizeof *t);
        return rc == SEG_ERANGE ? SEG_OK : rc;
    }
    t->D = D;
    t->modified = kind == SEG__CLV_MBGNBD;
    t->L = seg__malloc(t->nt * D * sizeof *t->L);
    t->lb = seg__malloc(t->nx * D * sizeof *t->lb);
    t->la = seg__malloc(D * sizeof *t->la);
    t->r = seg__malloc(D * sizeof *t->r);
    if (!t->L || !t->lb || !t->la || !t->r) {
        fam_tables_free(t);
        return SEG_ENOMEM;
    }
    double m = t->modified ? 1 : 0;
    for (size_t d = 0; d < D; d++) {
        const double *p = fd[d].p;
        t->la[d] = log(p[2]);
        t->r[d] = p[0];
        for (size_t i = 0; i < t->nt; i++)
            t->L[i * D + d] = log(p[1] + t->tv[i]);
        for (size_t i = 0; i < t->nx; i++)
            t->lb[i * D + d] = log(p[3] + t->xv[i] + m - 1);
    }
    t->on = true;
    return SEG_OK;
}

/* P(alive) of history k under every draw, into pa (D values). */
static void p_alive_all(const fam_tables *t, const seg__clv_fit *fd,
                        size_t D, const double *k, double *pa)
{
    if (!t->on) {
        const seg__clv_spec *sp = seg__clv_spec_of(fd[0].kind);
        for (size_t d = 0; d < D; d++)
            pa[d] = sp->p_alive(fd[d].p, k[0], k[1], k[2]);
        return;
    }
    if (k[0] == 0 && !t->modified) {
        for (size_t d = 0; d < D; d++)
            pa[d] = 1;
        return;
    }
    const double *LT = t->L + find(t->tv, t->nt, k[2]) * D;
    const double *Lx = t->L + find(t->tv, t->nt, k[1]) * D;
    const double *lb = t->lb + find(t->xv, t->nx, k[0]) * D;
    for (size_t d = 0; d < D; d++)
        pa[d] = 1 / (1 + exp(t->la[d] - lb[d] +
                             (t->r[d] + k[0]) * (LT[d] - Lx[d])));
}

/* The Pareto/NBD pieces of P(alive) (seg__pnbd_alive_terms()) of the
 * histories of one x in a chunk: every distinct time, t_x or T, is one
 * series under each draw, where each history took two. */
typedef struct pnbd_terms {
    size_t ny, cap, capy; /* cap: room in y; capy: rows of f, F, ok, fy */
    double *y;  /* the distinct t_x and T, sorted */
    double *f;  /* ny x D, the term of y[i] under draw d at i * D + d,
                   NaN where its series failed */
    double *F;  /* likewise, scaled: seg__pnbd_term_scale() by R[d] */
    bool *ok;   /* likewise: the term's series converged */
    double *R;  /* D, the reference of each draw */
    double *A;  /* D, seg__pnbd_x_log() of each draw */
    double *fy; /* ny, the terms of one draw */
    bool *oky;
    seg__pnbd_pair *pp; /* D, the pieces of the current pair */
} pnbd_terms;

static void pnbd_terms_free(pnbd_terms *t)
{
    seg__free(t->y);
    seg__free(t->f);
    seg__free(t->F);
    seg__free(t->ok);
    seg__free(t->R);
    seg__free(t->A);
    seg__free(t->fy);
    seg__free(t->oky);
    seg__free(t->pp);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct job {
    const seg_model *m;
    const seg__clv_scored *s;
    const pkey *pk;      /* the distinct histories by (x, T, t_x, spend) */
    const size_t *pair;  /* the first in pk of each distinct (x, T) */
    const size_t *chunk; /* the first pair of each chunk, nchunk + 1 */
    size_t nchunk;
    atomic_size_t *next; /* the next chunk to take: threads share them */
    atomic_size_t *done; /* histories done by all threads */
    const seg__clv_fit *fd, *ggd; /* the D draws as fits */
    const fam_tables *tab;
    size_t D;
    int nout;
    double qlo, qhi;
    double *lo[4], *hi[4]; /* per distinct history, by its number */
    double *buf;           /* (nout + 5) x D */
    pnbd_terms pt;         /* Pareto/NBD: the terms of one x */
    seg__progress *prog; /* the caller's job reports, the others look */
    bool lead;
    int rc;
} job;

/* The second factor of the expectation and of the value for the pair
 * (x, T) under every draw, into e and v (D values each): what the score
 * computes of the pair, seg__clv_pair_factors(). */
static void pair_factors(const job *j, const double *k, double *e, double *v)
{
    for (size_t d = 0; d < j->D; d++) {
        seg__clv_pair pf = {NAN, NAN, NULL, NULL};
        seg__clv_pair_factors(j->s, &j->fd[d], k[0], k[2], &pf);
        e[d] = pf.e;
        if (v)
            v[d] = pf.v;
    }
}

/* The terms of every distinct t_x and T of the histories of pairs
 * q0..q1 (all of one x) under every draw, into j->pt. */
static int pnbd_terms_make(job *j, size_t q0, size_t q1)
{
    pnbd_terms *t = &j->pt;
    size_t D = j->D, need = j->pair[q1] - j->pair[q0] + (q1 - q0);
    if (!t->pp && !(t->pp = seg__malloc(D * sizeof *t->pp)))
        return seg__nomem(NULL);
    if (!t->R && !(t->R = seg__malloc(D * sizeof *t->R)))
        return seg__nomem(NULL);
    if (!t->A && !(t->A = seg__malloc(D * sizeof *t->A)))
        return seg__nomem(NULL);
    if (need > t->cap) {
        seg__free(t->y);
        t->cap = 0;
        if (!(t->y = seg__malloc(need * sizeof *t->y)))
            return seg__nomem(NULL);
        t->cap = need;
    }
    size_t n = 0;
    for (size_t q = q0; q < q1; q++) {
        t->y[n++] = j->pk[j->pair[q]].k[2];
        for (size_t g = j->pair[q]; g < j->pair[q + 1]; g++)
            t->y[n++] = j->pk[g].k[1];
    }
    qsort(t->y, n, sizeof *t->y, cmp_double);
    size_t ny = 0;
    for (size_t i = 0; i < n; i++)
        if (!ny || t->y[i] != t->y[ny - 1])
            t->y[ny++] = t->y[i];
    t->ny = ny;
    /* the tables by distinct time, not by history: a pair of many
     * histories (one cohort, one T) has few times */
    if (ny > t->capy) {
        seg__free(t->f);
        seg__free(t->F);
        seg__free(t->ok);
        seg__free(t->fy);
        seg__free(t->oky);
        t->capy = 0;
        t->f = seg__malloc(ny * D * sizeof *t->f);
        t->F = seg__malloc(ny * D * sizeof *t->F);
        t->ok = seg__malloc(ny * D * sizeof *t->ok);
        t->fy = seg__malloc(ny * sizeof *t->fy);
        t->oky = seg__malloc(ny * sizeof *t->oky);
        if (!t->f || !t->F || !t->ok || !t->fy || !t->oky)
            return seg__nomem(NULL);
        t->capy = ny;
    }
    double x = j->pk[j->pair[q0]].k[0];
    for (size_t d = 0; d < D; d++) {
        seg__pnbd_alive_terms(j->fd[d].p, x, t->y, (int)ny, t->oky, t->fy);
        t->R[d] = seg__pnbd_reference(j->fd[d].p, x);
        t->A[d] = seg__pnbd_x_log(j->fd[d].p, x);
        for (size_t i = 0; i < ny; i++) {
            if (!t->oky[i])
                t->fy[i] = NAN;
            t->f[i * D + d] = t->fy[i];
            t->F[i * D + d] = seg__pnbd_term_scale(t->fy[i], t->R[d]);
            t->ok[i * D + d] = t->oky[i];
        }
    }
    return SEG_OK;
}

/* The pieces of the pair (x, T) under every draw, into j->pt, from
 * the terms of its T. */
static void pnbd_pair_make(job *j, const double *k)
{
    pnbd_terms *t = &j->pt;
    size_t D = j->D, a = find(t->y, t->ny, k[2]) * D;
    for (size_t d = 0; d < D; d++) {
        seg__pnbd_pair_of_x(j->fd[d].p, k[0], k[2], t->A[d], t->ok[a + d],
                            t->f[a + d], &t->pp[d]);
        seg__pnbd_pair_scale(&t->pp[d], t->R[d]);
    }
}

/* P(alive) of history k under every draw from the terms of its t_x and
 * the pieces of its pair. */
static void pnbd_alive_all(const job *j, const double *k, double *pa)
{
    const pnbd_terms *t = &j->pt;
    size_t D = j->D, a = find(t->y, t->ny, k[1]) * D;
    if (seg__pnbd_alive_scaled(t->f + a, t->F + a, t->pp, D, pa))
        return;
    for (size_t d = 0; d < D; d++)
        if (isnan(pa[d]))
            pa[d] = seg__pnbd_alive_of_terms(j->fd[d].p, k[0], k[1], k[2],
                                             t->ok[a + d], t->f[a + d],
                                             &t->pp[d]);
}

/* The histories of pairs p0..p1 under every draw. */
static int run_pairs(job *j, size_t p0, size_t p1)
{
    size_t D = j->D;
    bool clv = j->s->kind == SEG__CLV_CLV;
    double *o[4], *e = j->buf + (size_t)j->nout * D, *v = e + D, *pa = v + D;
    double *scratch = pa + D;
    for (int c = 0; c < j->nout; c++)
        o[c] = j->buf + (size_t)c * D;
    bool pnbd = j->fd[0].kind == SEG__CLV_PNBD;
    for (size_t q = p0, xend = p0; q < p1; q++) {
        const double *k0 = j->pk[j->pair[q]].k;
        if (pnbd && q == xend) {
            while (xend < p1 && j->pk[j->pair[xend]].k[0] == k0[0])
                xend++;
            int rc = pnbd_terms_make(j, q, xend);
            if (rc)
                return rc;
        }
        if (pnbd)
            pnbd_pair_make(j, k0);
        pair_factors(j, k0, e, clv ? v : NULL);
        for (size_t g = j->pair[q]; g < j->pair[q + 1]; g++) {
            const double *hk = j->pk[g].k;
            size_t at = j->pk[g].g;
            double mean = hk[3] == -INFINITY ? NAN : hk[3];
            if (pnbd)
                pnbd_alive_all(j, hk, pa);
            else
                p_alive_all(j->tab, j->fd, D, hk, pa);
            for (size_t d = 0; d < D; d++) {
                o[0][d] = pa[d];
                o[1][d] = pa[d] * e[d];
            }
            for (size_t d = 0; d < D && clv; d++) {
                o[2][d] = seg__clv_expected_spend(&j->ggd[d], hk[0], mean);
                o[3][d] = o[2][d] * pa[d] * v[d];
            }
            for (int c = 0; c < j->nout; c++) {
                /* a draw where a value cannot be computed is left out;
                 * one where none can is no interval */
                size_t nf = 0;
                for (size_t d = 0; d < D; d++)
                    if (isfinite(o[c][d]))
                        o[c][nf++] = o[c][d];
                j->lo[c][at] = j->hi[c][at] = NAN;
                if (nf)
                    seg__clv_two_quantiles(o[c], nf, j->qlo, j->qhi, scratch,
                                           &j->lo[c][at], &j->hi[c][at]);
            }
        }
    }
    size_t all = atomic_fetch_add(j->done, j->pair[p1] - j->pair[p0]);
    return seg__progress_poll(j->prog, j->lead, all);
}

/* Chunks of pairs, taken in turn: the cost of a pair grows with x (its
 * series are longer) and the pairs of large x have few histories each,
 * so a fixed split by histories left one thread with most of the work. */
static void *run_job(void *arg)
{
    job *j = arg;
    for (size_t c = atomic_fetch_add(j->next, 1); c < j->nchunk && !j->rc;
         c = atomic_fetch_add(j->next, 1))
        j->rc = run_pairs(j, j->chunk[c], j->chunk[c + 1]);
    return NULL;
}

/* by (x, T, t_x, mean spend) */
static int cmp_by_pair(const void *a, const void *b)
{
    const double *x = ((const pkey *)a)->k, *y = ((const pkey *)b)->k;
    static const int order[4] = {0, 2, 1, 3};
    for (int c = 0; c < 4; c++)
        if (x[order[c]] != y[order[c]])
            return x[order[c]] < y[order[c]] ? -1 : 1;
    return 0;
}

/* The evaluation of every distinct history under every draw (lo and
 * hi: per distinct history, in the order of group[]): the histories by
 * (x, T), split into contiguous ranges of pairs with about as many
 * histories each, one a thread. */
int seg__clv_evaluate(const seg_model *m, const seg__clv_scored *s,
                      const seg__clv_hist *h, const size_t *group, size_t ng,
                      const seg__clv_fit *fd, const seg__clv_fit *ggd,
                      size_t D, int nout, double **lo, double **hi)
{
    size_t *pair = seg__malloc((ng + 1) * sizeof *pair), np = 0;
    pkey *pk = seg__malloc((ng ? ng : 1) * sizeof *pk);
    fam_tables tab;
    memset(&tab, 0, sizeof tab);
    int rc = pair && pk ? SEG_OK : SEG_ENOMEM;
    for (size_t g = 0; g < ng && !rc; g++) {
        memcpy(pk[g].k, h[group[g]].k, sizeof pk[g].k);
        pk[g].g = g;
    }
    if (!rc) {
        /* the score sorts its histories so already: a check is cheaper */
        size_t g = 1;
        while (g < ng && cmp_by_pair(&pk[g - 1], &pk[g]) <= 0)
            g++;
        if (g < ng)
            qsort(pk, ng, sizeof *pk, cmp_by_pair);
        rc = fam_tables_make(fd, D, pk, ng, &tab);
    }
    if (rc) {
        seg__free(pair);
        seg__free(pk);
        return seg__nomem(NULL);
    }
    for (size_t g = 0; g < ng; g++) {
        const double *k = pk[g].k, *k1 = g ? pk[g - 1].k : NULL;
        if (!g || k[0] != k1[0] || k[2] != k1[2])
            pair[np++] = g;
    }
    pair[np] = ng;
    /* chunks of about CHUNK histories or CHUNK / 8 pairs, whichever
     * comes first: small against the whole, large against a pair, and
     * large enough that the Pareto/NBD terms of an x are seldom made
     * again by the next chunk */
    enum { CHUNK = 8192 };
    size_t *chunk = seg__malloc((np + 1) * sizeof *chunk), nchunk = 0;
    if (!chunk) {
        fam_tables_free(&tab);
        seg__free(pair);
        seg__free(pk);
        return seg__nomem(NULL);
    }
    for (size_t q = 0; q < np;) {
        size_t q0 = q;
        chunk[nchunk++] = q;
        while (q < np && pair[q] - pair[q0] < CHUNK && q - q0 < CHUNK / 8)
            q++;
        if (q == q0)
            q++;
    }
    chunk[nchunk] = np;
    atomic_size_t next = 0, done = 0;
    double level = seg__clv_level(m, 0);
    int nt = seg__threads((int)seg__param_num(m, "threads"), ng, 16);
    job jobs[SEG__MAX_THREADS];
    for (int t = 0; t < nt; t++) {
        job *j = &jobs[t];
        *j = (job){m, s, pk, pair, chunk, nchunk, &next, &done, fd, ggd,
                   &tab, D, nout, (1 - level) / 2, (1 + level) / 2, {NULL},
                   {NULL}, NULL, {0}, seg__progress_current(), t == 0,
                   SEG_OK};
        for (int c = 0; c < nout; c++) {
            j->lo[c] = lo[c];
            j->hi[c] = hi[c];
        }
        if (!(j->buf = seg__malloc(D * (size_t)(nout + 5) * sizeof *j->buf)))
            rc = seg__nomem(NULL);
    }
    if (!rc)
        seg__run_jobs(run_job, jobs, sizeof *jobs, nt);
    for (int t = 0; t < nt; t++) {
        if (!rc)
            rc = jobs[t].rc;
        seg__free(jobs[t].buf);
        pnbd_terms_free(&jobs[t].pt);
    }
    fam_tables_free(&tab);
    seg__free(chunk);
    seg__free(pair);
    seg__free(pk);
    return rc;
}

static const char *const out_names[4][2] = {{"p_alive_lo", "p_alive_hi"},
                                            {"expected_lo", "expected_hi"},
                                            {"spend_lo", "spend_hi"},
                                            {"value_lo", "value_hi"}};

int seg__clv_put_intervals(const seg_model *m, seg_dataset *ds,
                           const char *prefix, const seg__clv_hist *h,
                           size_t nh, size_t n, int nout, const size_t *of,
                           double *const *lo, double *const *hi)
{
    int rc = SEG_OK;
    double *col = NULL;
    for (int c = 0; c < nout && !rc; c++) {
        for (int side = 0; side < 2 && !rc; side++) {
            if (!(col = seg__malloc((n ? n : 1) * sizeof *col)))
                return seg__nomem(NULL);
            for (size_t i = 0; i < n; i++)
                col[i] = NAN;
            for (size_t i = 0; i < nh; i++)
                col[h[i].i] = (side ? hi : lo)[c][of[i]];
            rc = seg__model_put_owned(m, ds, prefix, out_names[c][side], &col);
            seg__free(col);
            col = NULL;
        }
    }
    return rc;
}

int seg__clv_intervals(const seg_model *m, const seg__clv_scored *s,
                       seg_dataset *ds, const char *prefix,
                       const seg__clv_hist *h, size_t nh, size_t n, int nout)
{
    if (!(seg__param_num(m, "interval") > 0))
        return SEG_OK;
    if (s->f->cov)
        return seg__clv_cov_intervals(m, s, ds, prefix, h, nh, n, nout);
    size_t D = 0, ng = 0;
    seg__clv_fit *fd = NULL, *ggd = NULL;
    int rc = seg__clv_make_draws(m, s, &D, &fd, &ggd);
    size_t *group = rc ? NULL : seg__malloc((nh ? nh : 1) * sizeof *group);
    size_t *of = rc ? NULL : seg__malloc((nh ? nh : 1) * sizeof *of);
    double *lo[4] = {NULL}, *hi[4] = {NULL};
    if (!rc && (!group || !of))
        rc = seg__nomem(NULL);
    /* the histories arrive sorted: equal ones are adjacent */
    for (size_t i = 0; i < nh && !rc; i++) {
        if (i == 0 || memcmp(h[i].k, h[i - 1].k, sizeof h[i].k) != 0)
            group[ng++] = i;
        of[i] = ng - 1;
    }
    for (int c = 0; c < nout && !rc; c++) {
        lo[c] = seg__malloc((ng ? ng : 1) * sizeof **lo);
        hi[c] = seg__malloc((ng ? ng : 1) * sizeof **hi);
        if (!lo[c] || !hi[c])
            rc = seg__nomem(NULL);
    }
    if (!rc)
        rc = seg__clv_evaluate(m, s, h, group, ng, fd, ggd, D, nout, lo, hi);
    if (!rc)
        rc = seg__clv_put_intervals(m, ds, prefix, h, nh, n, nout, of, lo, hi);
    for (int c = 0; c < 4; c++) {
        seg__free(lo[c]);
        seg__free(hi[c]);
    }
    seg__free(group);
    seg__free(of);
    seg__free(fd);
    seg__free(ggd);
    return rc;
}
