/* The BG/BB log-likelihood over many rows, with its exact gradient and
 * Hessian, for the Newton fit.
 *
 * A row (x, t_x, n) has the likelihood
 *   B(al+x, be+n-x) B(ga, de+n) + sum_{i<m} B(al+x, be+t_x-x+i) B(ga+1, de+t_x+i)
 * over B(al, be) B(ga, de), with m = n - t_x. Against the first term of the
 * sum, B0 = B(al+x, be+t_x-x) B(ga+1, de+t_x) / (B(al, be) B(ga, de)), the
 * i-th term is rho_i = pi_i c / (c + i) and the first one a = pi_m c / ga,
 * with c = ga + de + t_x and
 *   pi_i = prod_{k<i} (be+t_x-x+k)/(al+be+t_x+k) * (de+t_x+k)/(ga+de+t_x+k).
 * Both depend on (x, t_x) and the number of steps alone, so the rows that
 * share (x, t_x) share one recurrence up to their largest n, each row
 * reading its prefix at its own m: the cost is the number of distinct
 * pairs times their steps, not the rows times theirs. The derivatives of
 * log pi_i are running sums of the derivatives of the logs of the
 * factors; every rho_i <= 1 and rho_0 = 1, so nothing overflows and what
 * underflows is below the rounding of the sum. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "models/clv/hdual.h"
#include "models/clv/internal.h"

typedef struct bgbb_prep {
    size_t n, ngroups;
    const double *d, *w;
    size_t *order;          /* rows by (x, t_x, n) */
    size_t *gstart;         /* group g: order[gstart[g] .. gstart[g+1]) */
    /* per evaluation, for k = 0 .. nmax: 1/(al+be+k), 1/(be+k),
     * 1/(ga+de+k), 1/(de+k); the steps read them instead of dividing */
    size_t nmax;
    double *inv;
    /* the log-gamma differences of log B0 take x, t_x - x and t_x, whose
     * distinct values are few: per group the rank of each among its
     * values (gv), and per evaluation their terms with two derivatives,
     * 3 numbers a value: al at x; be at t_x - x; al+be, de at t_x and
     * ga+de at t_x + 1 */
    uint32_t *gr[3];
    double *gv[3], *tab;
    size_t nv[3];
    /* the sum of each chunk of groups; fixed chunks summed in order, so
     * that the result is the same on any number of threads */
    seg__hd *chunk;
    size_t nchunk;
    int threads; /* asked for; 0: every processor */
} bgbb_prep;

/* groups of one job step */
#define GROUPS 512

static const double *row_of(const bgbb_prep *q, size_t k)
{
    return q->d + 3 * q->order[k];
}

typedef struct sort_row {
    double k[3];
    size_t i;
} sort_row;

static int by_history(const void *a, const void *b)
{
    const sort_row *x = a, *y = b;
    for (int c = 0; c < 3; c++)
        if (x->k[c] != y->k[c])
            return x->k[c] < y->k[c] ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static bool sorted_rows(const double *d, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        const double *x = d + 3 * (i - 1), *y = d + 3 * i;
        int c = 0;
        while (c < 3 && x[c] == y[c])
            c++;
        if (c < 3 && x[c] > y[c])
            return false;
    }
    return true;
}

void seg__bgbb_release(void *vp)
{
    bgbb_prep *q = vp;
    if (!q)
        return;
    seg__free(q->order);
    seg__free(q->gstart);
    seg__free(q->inv);
    for (int c = 0; c < 3; c++) {
        seg__free(q->gr[c]);
        seg__free(q->gv[c]);
    }
    seg__free(q->tab);
    seg__free(q->chunk);
    seg__free(q);
}

void *seg__bgbb_prepare(const double *d, const double *w, size_t n)
{
    bgbb_prep *q = seg__calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->n = n;
    q->d = d;
    q->w = w;
    q->order = seg__malloc((n ? n : 1) * sizeof *q->order);
    q->gstart = seg__malloc((n + 1) * sizeof *q->gstart);
    if (!q->order || !q->gstart)
        return seg__bgbb_release(q), NULL;
    for (size_t i = 0; i < n; i++)
        q->order[i] = i;
    /* the fit's rows come merged and sorted; a caller's may not */
    if (!sorted_rows(d, n)) {
        sort_row *s = seg__malloc(n * sizeof *s);
        if (!s)
            return seg__bgbb_release(q), NULL;
        for (size_t i = 0; i < n; i++) {
            memcpy(s[i].k, d + 3 * i, sizeof s[i].k);
            s[i].i = i;
        }
        qsort(s, n, sizeof *s, by_history);
        for (size_t i = 0; i < n; i++)
            q->order[i] = s[i].i;
        seg__free(s);
    }
    for (size_t k = 0; k < n; k++) {
        const double *r = row_of(q, k);
        if (k == 0 || r[0] != row_of(q, k - 1)[0] ||
            r[1] != row_of(q, k - 1)[1])
            q->gstart[q->ngroups++] = k;
    }
    q->gstart[q->ngroups] = n;
    for (size_t i = 0; i < n; i++)
        if (d[3 * i + 2] > (double)q->nmax)
            q->nmax = (size_t)d[3 * i + 2];
    if (!(q->inv = seg__malloc(4 * (q->nmax + 2) * sizeof *q->inv)))
        return seg__bgbb_release(q), NULL;
    size_t ng = q->ngroups ? q->ngroups : 1;
    double *v = seg__malloc(ng * sizeof *v);
    bool ok = v != NULL;
    for (int c = 0; c < 3 && ok; c++) {
        for (size_t g = 0; g < q->ngroups; g++) {
            const double *r = row_of(q, q->gstart[g]);
            v[g] = c == 0 ? r[0] : c == 1 ? r[1] - r[0] : r[1];
        }
        ok = (q->gr[c] = seg__malloc(ng * sizeof *q->gr[c])) &&
             seg__clv_ranks(v, q->ngroups, 1, q->ngroups, q->gr[c], &q->gv[c],
                            &q->nv[c]) == SEG_OK;
    }
    seg__free(v);
    q->nchunk = (q->ngroups + GROUPS - 1) / GROUPS;
    if (ok)
        ok = (q->chunk = seg__malloc((q->nchunk ? q->nchunk : 1) *
                                     sizeof *q->chunk)) != NULL;
    if (ok)
        ok = (q->tab = seg__malloc(
                  3 * (q->nv[0] + q->nv[1] + 3 * q->nv[2] + 1) *
                  sizeof *q->tab)) != NULL;
    if (!ok)
        return seg__bgbb_release(q), NULL;
    return q;
}

/* lgamma(v + k) - lgamma(v) with its first and second derivatives in v */
static void lgd3(double v, double k, double out[3])
{
    out[0] = seg__lgamma_diff(v, k);
    out[1] = k == 0 ? 0 : seg__digamma(v + k) - seg__digamma(v);
    out[2] = k == 0 ? 0 : seg__trigamma(v + k) - seg__trigamma(v);
}

/* The terms of log B0 at every distinct value, into q->tab. */
static void b0_tables(bgbb_prep *q, const double *p)
{
    double al = p[0], be = p[1], ga = p[2], de = p[3], *t = q->tab;
    for (size_t k = 0; k < q->nv[0]; k++, t += 3)
        lgd3(al, q->gv[0][k], t);
    for (size_t k = 0; k < q->nv[1]; k++, t += 3)
        lgd3(be, q->gv[1][k], t);
    for (size_t k = 0; k < q->nv[2]; k++, t += 9) {
        lgd3(al + be, q->gv[2][k], t);
        lgd3(de, q->gv[2][k], t + 3);
        lgd3(ga + de, q->gv[2][k] + 1, t + 6);
    }
}

/* log B0 of group g with its gradient and Hessian */
static seg__hd log_b0(const bgbb_prep *q, const double *p, size_t g)
{
    double ga = p[2];
    const double *A = q->tab + 3 * q->gr[0][g];
    const double *B = q->tab + 3 * (q->nv[0] + q->gr[1][g]);
    const double *AB = q->tab + 3 * (q->nv[0] + q->nv[1]) + 9 * q->gr[2][g];
    const double *D = AB + 3, *GD = AB + 6;
    seg__hd r = hc(A[0] + B[0] - AB[0] + log(ga) + D[0] - GD[0]);
    r.g[0] = A[1] - AB[1];
    r.g[1] = B[1] - AB[1];
    r.g[2] = 1 / ga - GD[1];
    r.g[3] = D[1] - GD[1];
    r.h[HD_IJ(0, 0)] = A[2] - AB[2];
    r.h[HD_IJ(0, 1)] = -AB[2];
    r.h[HD_IJ(1, 1)] = B[2] - AB[2];
    r.h[HD_IJ(2, 2)] = -1 / (ga * ga) - GD[2];
    r.h[HD_IJ(2, 3)] = -GD[2];
    r.h[HD_IJ(3, 3)] = D[2] - GD[2];
    return r;
}

/* s += v (h + g g') for a term of value v whose log has gradient g and
 * Hessian h */
static inline void add_term(seg__hd *s, double v, const double *g,
                            const double *h)
{
    s->v += v;
    for (int i = 0; i < HD_N; i++)
        s->g[i] += v * g[i];
    for (int k = 0; k < HD_H; k++)
        s->h[k] += v * (h[k] + g[hd_i[k]] * g[hd_j[k]]);
}

/* The log of the row's likelihood over B0 from the sum R of the terms
 * before its m-th step and the state (pi, G, H) of the recurrence there:
 * log(a + R), with a = pi c / ga. */
static seg__hd row_rel(const seg__hd *R, double pi, const double *G,
                       const double *H, double c, double ga)
{
    double gla[HD_N], ha[HD_H]; /* of log a */
    memcpy(gla, G, sizeof gla);
    memcpy(ha, H, sizeof ha);
    gla[2] += 1 / c - 1 / ga;
    gla[3] += 1 / c;
    ha[HD_IJ(2, 2)] += 1 / (ga * ga) - 1 / (c * c);
    ha[HD_IJ(2, 3)] -= 1 / (c * c);
    ha[HD_IJ(3, 3)] -= 1 / (c * c);
    seg__hd V = *R;
    add_term(&V, pi * c / ga, gla, ha);
    seg__hd out = hc(log(V.v));
    for (int i = 0; i < HD_N; i++)
        out.g[i] = V.g[i] / V.v;
    for (int k = 0; k < HD_H; k++)
        out.h[k] = V.h[k] / V.v - out.g[hd_i[k]] * out.g[hd_j[k]];
    return out;
}

/* The rows of group g, with weights, into sum. */
static void group_total(const bgbb_prep *q, const double *p, size_t g,
                        seg__hd *sum)
{
    double be = p[1], ga = p[2], de = p[3];
    size_t k = q->gstart[g], end = q->gstart[g + 1];
    double x = row_of(q, k)[0], tx = row_of(q, k)[1];
    seg__hd b0 = log_b0(q, p, g);
    double c = ga + de + tx;
    /* the recurrence: pi_i and the gradient G and Hessian H of its log */
    double pi = 1, G[HD_N] = {0}, H[HD_H] = {0};
    seg__hd R = hc(0);
    size_t np2 = q->nmax + 2, t = (size_t)tx, j0 = (size_t)(tx - x);
    const double *inv_ab = q->inv, *inv_b = q->inv + np2;
    const double *inv_gd = q->inv + 2 * np2, *inv_d = q->inv + 3 * np2;
    for (size_t i = 0;; i++) {
        while (k < end && row_of(q, k)[2] - tx == (double)i) {
            seg__hd r = row_rel(&R, pi, G, H, c, ga);
            r = hadd(r, &b0);
            haxpy(sum, q->w[q->order[k]], &r);
            k++;
        }
        if (k == end)
            break;
        /* rho_i = pi_i c / (c + i), and c + i = ga + de + t_x + i */
        double e1 = inv_ab[t + i], b1 = inv_b[j0 + i];
        double e2 = inv_gd[t + i], d1 = inv_d[t + i];
        double q0 = 1 / c - e2, s0 = e2 * e2 - 1 / (c * c);
        double gr[HD_N] = {G[0], G[1], G[2] + q0, G[3] + q0}, hr[HD_H];
        memcpy(hr, H, sizeof hr);
        hr[HD_IJ(2, 2)] += s0;
        hr[HD_IJ(2, 3)] += s0;
        hr[HD_IJ(3, 3)] += s0;
        add_term(&R, pi * c * e2, gr, hr);
        /* to pi_{i+1} */
        pi *= e1 * (be + (double)(j0 + i)) * e2 * (de + (double)(t + i));
        G[0] -= e1;
        G[1] += b1 - e1;
        G[2] -= e2;
        G[3] += d1 - e2;
        H[HD_IJ(0, 0)] += e1 * e1;
        H[HD_IJ(0, 1)] += e1 * e1;
        H[HD_IJ(1, 1)] += e1 * e1 - b1 * b1;
        H[HD_IJ(2, 2)] += e2 * e2;
        H[HD_IJ(2, 3)] += e2 * e2;
        H[HD_IJ(3, 3)] += e2 * e2 - d1 * d1;
    }
}

typedef struct bgbb_job {
    bgbb_prep *q;
    const double *p;
    seg__progress *pr;
    int id, n;
    bool stopped;
} bgbb_job;

static void *bgbb_groups_job(void *vj)
{
    bgbb_job *j = vj;
    bgbb_prep *q = j->q;
    for (size_t c = (size_t)j->id; c < q->nchunk; c += (size_t)j->n) {
        if (seg__progress_canceled(j->pr)) {
            j->stopped = true;
            break;
        }
        seg__hd sum = hc(0);
        size_t end = (c + 1) * GROUPS < q->ngroups ? (c + 1) * GROUPS
                                                    : q->ngroups;
        for (size_t g = c * GROUPS; g < end; g++)
            group_total(q, j->p, g, &sum);
        q->chunk[c] = sum;
    }
    return NULL;
}

void seg__bgbb_threads(void *prep, int threads)
{
    ((bgbb_prep *)prep)->threads = threads;
}

double seg__bgbb_total(void *vp, const double *p, double *grad, double *hess)
{
    bgbb_prep *q = vp;
    seg__progress *pr = seg__progress_current();
    if (seg__progress_beat(pr))
        return NAN;
    size_t np2 = q->nmax + 2;
    for (size_t k = 0; k < np2; k++) {
        q->inv[k] = 1 / (p[0] + p[1] + (double)k);
        q->inv[np2 + k] = 1 / (p[1] + (double)k);
        q->inv[2 * np2 + k] = 1 / (p[2] + p[3] + (double)k);
        q->inv[3 * np2 + k] = 1 / (p[3] + (double)k);
    }
    b0_tables(q, p);
    int nt = seg__threads(q->threads, q->nchunk, 4);
    bgbb_job jobs[SEG__MAX_THREADS];
    for (int i = 0; i < nt; i++)
        jobs[i] = (bgbb_job){q, p, pr, i, nt, false};
    seg__run_jobs(bgbb_groups_job, jobs, sizeof *jobs, nt);
    for (int i = 0; i < nt; i++)
        if (jobs[i].stopped)
            return NAN;
    seg__hd sum = hc(0);
    for (size_t c = 0; c < q->nchunk; c++)
        sum = hadd(sum, &q->chunk[c]);
    if (!isfinite(sum.v))
        return NAN;
    hd_out(&sum, grad, hess);
    return sum.v;
}
