/* The Pareto/NBD log-likelihood over many rows, with its exact gradient
 * and Hessian, for Newton's method (docs/clv.md, "How the large fits are
 * fast"). A row's likelihood is
 *   head(x) + log(e^t1 + s / (r+s+x) (e^f(x, t_x) - e^f(x, T)))
 * with head(x) = log Gamma(r+x) - log Gamma(r) + r log alpha + s log beta,
 * t1 = -(r+x) log(alpha+T) - s log(beta+T), and
 *   f(x, u) = log 2F1(r+s+x, b; r+s+x+1; z_u) - (r+s+x) log(max + u),
 * the tail from u to infinity of the dropout integral (Fader and Hardie
 * 2005, note 008). f depends on the pair (x, u) alone: a million rows have
 * tens of thousands of such pairs, each computed once per evaluation, and
 * what is left per row is a difference and a sum of exponentials. The
 * difference of the two tails loses digits when t_x is near T, but then
 * s e^f(x, T) <= e^t1, so the row's likelihood keeps its relative
 * accuracy; the predictions, which need the difference itself, keep their
 * quadrature (pareto_nbd.c). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "models/clv/hdual.h"
#include "models/clv/internal.h"

/* rows summed by one job step; fixed, so that the order of the sum, and
 * the result, is the same for any number of threads */
#define CHUNK 8192

typedef struct pnbd_prep {
    const double *d, *w;
    size_t n;
    size_t nx;
    double *xv, *wx;      /* distinct x, total weight of their rows */
    uint32_t *xi;         /* per row: its x */
    size_t npair;
    uint32_t *pair_x;     /* per pair: its x */
    double *pair_u;       /* per pair: its time */
    uint32_t *ptx, *pT;   /* per row: the pairs of (x, t_x) and (x, T) */
    seg__hd *f, *t1;      /* per pair, per evaluation */
    seg__hd *x_c;         /* per x: log s - log(r+s+x) */
    seg__hd *chunk;       /* per chunk of rows: its sum */
    size_t nchunk;
    int threads;          /* asked for; 0: every processor */
} pnbd_prep;

static void pnbd_release(void *vp)
{
    pnbd_prep *p = vp;
    if (!p)
        return;
    seg__free(p->xv);
    seg__free(p->wx);
    seg__free(p->xi);
    seg__free(p->pair_x);
    seg__free(p->pair_u);
    seg__free(p->ptx);
    seg__free(p->pT);
    seg__free(p->f);
    seg__free(p->t1);
    seg__free(p->x_c);
    seg__free(p->chunk);
    seg__free(p);
}

/* The union of the sorted distinct times of t_x and of T, and the rank
 * of each of them in it. */
static double *merge_times(const double *a, size_t na, const double *b,
                           size_t nb, uint32_t *ra, uint32_t *rb, size_t *nu)
{
    double *u = seg__malloc((na + nb ? na + nb : 1) * sizeof *u);
    if (!u)
        return NULL;
    size_t i = 0, j = 0, k = 0;
    while (i < na || j < nb) {
        double v = j >= nb || (i < na && a[i] <= b[j]) ? a[i] : b[j];
        u[k] = v;
        if (i < na && a[i] == v)
            ra[i++] = (uint32_t)k;
        if (j < nb && b[j] == v)
            rb[j++] = (uint32_t)k;
        k++;
    }
    *nu = k;
    return u;
}

/* The pairs (x, u) of the rows: rows are sorted by x, so a pair is new
 * within its x's block when the stamp of its time is not that block's. */
static int build_pairs(pnbd_prep *p, const uint32_t *rtx, const uint32_t *rT,
                       const uint32_t *utx, const uint32_t *uT,
                       const double *times, size_t nu)
{
    uint32_t *stamp = seg__calloc(nu ? nu : 1, sizeof *stamp);
    uint32_t *slot = seg__malloc((nu ? nu : 1) * sizeof *slot);
    size_t cap = 1024;
    p->pair_x = seg__malloc(cap * sizeof *p->pair_x);
    p->pair_u = seg__malloc(cap * sizeof *p->pair_u);
    int rc = stamp && slot && p->pair_x && p->pair_u ? SEG_OK : SEG_ENOMEM;
    for (size_t i = 0; i < p->n && !rc; i++) {
        uint32_t bx = p->xi[i] + 1;
        uint32_t us[2] = {utx[rtx[i]], uT[rT[i]]};
        uint32_t *out[2] = {&p->ptx[i], &p->pT[i]};
        for (int k = 0; k < 2 && !rc; k++) {
            uint32_t u = us[k];
            if (stamp[u] != bx) {
                if (p->npair == cap) {
                    cap *= 2;
                    uint32_t *nx =
                        seg__realloc(p->pair_x, cap * sizeof *p->pair_x);
                    if (nx)
                        p->pair_x = nx;
                    double *nuu =
                        nx ? seg__realloc(p->pair_u, cap * sizeof *p->pair_u)
                           : NULL;
                    if (!nuu) {
                        rc = SEG_ENOMEM;
                        break;
                    }
                    p->pair_u = nuu;
                }
                stamp[u] = bx;
                slot[u] = (uint32_t)p->npair;
                p->pair_x[p->npair] = p->xi[i];
                p->pair_u[p->npair++] = times[u];
            }
            *out[k] = slot[u];
        }
    }
    seg__free(stamp);
    seg__free(slot);
    return rc;
}

static void *pnbd_prepare(const double *d, const double *w, size_t n)
{
    pnbd_prep *p = seg__calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->d = d;
    p->w = w;
    p->n = n;
    uint32_t *rtx = seg__malloc((n ? n : 1) * sizeof *rtx);
    uint32_t *rT = seg__malloc((n ? n : 1) * sizeof *rT);
    double *stx = NULL, *sT = NULL, *times = NULL;
    uint32_t *utx = NULL, *uT = NULL;
    size_t ntx = 0, nT = 0, nu = 0;
    p->xi = seg__malloc((n ? n : 1) * sizeof *p->xi);
    p->ptx = seg__malloc((n ? n : 1) * sizeof *p->ptx);
    p->pT = seg__malloc((n ? n : 1) * sizeof *p->pT);
    int rc = rtx && rT && p->xi && p->ptx && p->pT ? SEG_OK : SEG_ENOMEM;
    if (!rc)
        rc = seg__clv_ranks(d + 1, n, 3, n, rtx, &stx, &ntx);
    if (!rc)
        rc = seg__clv_ranks(d + 2, n, 3, n, rT, &sT, &nT);
    if (!rc) {
        utx = seg__malloc((ntx ? ntx : 1) * sizeof *utx);
        uT = seg__malloc((nT ? nT : 1) * sizeof *uT);
        rc = utx && uT ? SEG_OK : SEG_ENOMEM;
    }
    if (!rc && !(times = merge_times(stx, ntx, sT, nT, utx, uT, &nu)))
        rc = SEG_ENOMEM;
    /* the rows come sorted by x: its distinct values in order */
    for (size_t i = 0; i < n && !rc; i++)
        if (i == 0 || d[i * 3] != d[(i - 1) * 3])
            p->nx++;
    if (!rc) {
        p->xv = seg__malloc((p->nx ? p->nx : 1) * sizeof *p->xv);
        p->wx = seg__calloc(p->nx ? p->nx : 1, sizeof *p->wx);
        p->x_c = seg__malloc((p->nx ? p->nx : 1) * sizeof *p->x_c);
        rc = p->xv && p->wx && p->x_c ? SEG_OK : SEG_ENOMEM;
    }
    for (size_t i = 0, k = 0; i < n && !rc; i++) {
        if (i > 0 && d[i * 3] != d[(i - 1) * 3])
            k++;
        p->xv[k] = d[i * 3];
        p->wx[k] += w[i];
        p->xi[i] = (uint32_t)k;
    }
    if (!rc)
        rc = build_pairs(p, rtx, rT, utx, uT, times, nu);
    p->nchunk = (n + CHUNK - 1) / CHUNK;
    if (!rc) {
        p->f = seg__malloc((p->npair ? p->npair : 1) * sizeof *p->f);
        p->t1 = seg__malloc((p->npair ? p->npair : 1) * sizeof *p->t1);
        p->chunk = seg__malloc((p->nchunk ? p->nchunk : 1) * sizeof *p->chunk);
        rc = p->f && p->t1 && p->chunk ? SEG_OK : SEG_ENOMEM;
    }
    seg__free(rtx);
    seg__free(rT);
    seg__free(stx);
    seg__free(sT);
    seg__free(times);
    seg__free(utx);
    seg__free(uT);
    if (rc) {
        pnbd_release(p);
        return NULL;
    }
    return p;
}

/* r, alpha, s, beta as the variables 0 to 3 */
typedef struct params {
    double r, al, s, be;
} params;

/* The sum of the terms after the first of 2F1(A, B; c; z), 0 < z < 1,
 * with its gradient and Hessian: gA, gB and gc the gradients of A, B and
 * c, num / den = z. */
static bool series(double A, double B, double c, double z, const double *gA,
                   const double *gB, const double *ga, const seg__hd *num,
                   const seg__hd *den, seg__hd *out)
{
    seg__hd l1 = hlog(num), l2 = hlog(den);
    seg__hd lz = hsub(l1, &l2);
    /* per term: t, and t times q, q q' and the squared reciprocals, with
     * q = (sum 1/(A+k), sum 1/(B+k), -sum 1/(c+k), n) */
    double term = 1, s0 = 0, s1[4] = {0}, s2[10] = {0}, pa = 0, pb = 0, pc = 0;
    double q1[4] = {0}, a2 = 0, b2 = 0, c2 = 0;
    bool done = false;
    for (int n = 0; n < SEG__HYP2F1_MAX_TERMS; n++) {
        double An = A + n, Bn = B + n, cn = c + n;
        term = term * ((An * Bn) / (cn * (n + 1))) * z;
        double ia = 1 / An, ib = 1 / Bn, ic = 1 / cn;
        q1[0] += ia;
        q1[1] += ib;
        q1[2] -= ic;
        q1[3] = n + 1;
        a2 += ia * ia;
        b2 += ib * ib;
        c2 += ic * ic;
        s0 += term;
        if (!isfinite(s0))
            return false;
        for (int m = 0; m < 4; m++)
            s1[m] += term * q1[m];
        for (int k = 0; k < HD_H; k++)
            s2[k] += term * q1[hd_i[k]] * q1[hd_j[k]];
        pa += term * a2;
        pb += term * b2;
        pc += term * c2;
        if ((fabs(term) <= DBL_EPSILON * 1e-2 * fabs(s0) &&
             fabs(An * Bn * z) < fabs(cn * (n + 1))) ||
            term == 0) {
            done = true;
            break;
        }
        if ((n & 255) == 255 && seg__hyp2f1_hopeless(A, B, c, z, n, term, s0))
            return false;
    }
    if (!done || !(s0 > -1))
        return false;
    /* the sum S as a second-order dual: M = [gA gB gc glz] maps q */
    const double *M[4] = {gA, gB, ga, lz.g};
    seg__hd S = hc(s0);
    for (int i = 0; i < HD_N; i++)
        for (int m = 0; m < 4; m++)
            S.g[i] += M[m][i] * s1[m];
    for (int k = 0; k < HD_H; k++) {
        int i = hd_i[k], j = hd_j[k];
        double h = 0;
        for (int m = 0; m < 4; m++)
            for (int l = 0; l < 4; l++)
                h += M[m][i] * M[l][j] * s2[HD_IJ(m < l ? m : l, m < l ? l : m)];
        h += -gA[i] * gA[j] * pa - gB[i] * gB[j] * pb + ga[i] * ga[j] * pc;
        h += lz.h[k] * s1[3];
        S.h[k] = h;
    }
    *out = S;
    return true;
}

/* log 2F1(a, b; a + 1; z) - a log(big + u) for a = r+s+x, as
 * seg__log_hyp2f1() sums it (the same terms, the same stop), with the
 * exact gradient and Hessian. The terms t_n of the series are positive
 * products of ratios whose logs are sums of log(A+k) + log(B+k) -
 * log(c+k) + log z with A, B and c affine in r and s: the derivatives of
 * log t_n are those sums' running reciprocals times four fixed vectors,
 * so the series carries sixteen numbers a term instead of the fifteen
 * products of a second-order dual. False where the series does not
 * converge (z near 1). */
static bool tail(const params *q, double x, double u, seg__hd *out)
{
    bool a_ge_b = q->al >= q->be;
    double a = q->r + q->s + x, c = a + 1;
    double b = a_ge_b ? q->s + 1 : q->r + x;
    /* d/d(r, alpha, s, beta) of a, of b, of c */
    const double ga[HD_N] = {1, 0, 1, 0};
    const double gbs[HD_N] = {0, 0, 1, 0}, gbr[HD_N] = {1, 0, 0, 0};
    const double *gb = a_ge_b ? gbs : gbr;
    seg__hd big = hvar(a_ge_b ? q->al : q->be, a_ge_b ? 1 : 3);
    seg__hd small = hvar(a_ge_b ? q->be : q->al, a_ge_b ? 3 : 1);
    seg__hd num = hsub(big, &small), den = haddc(big, u);
    double z = num.v / den.v;
    if (!(z >= 0 && z < 1))
        return false;
    double ca = 1, cb = c - b;
    bool euler = fabs(ca * cb) < fabs(a * b);
    double A = euler ? ca : a, B = euler ? cb : b;
    /* the gradients of A and B: Euler's c - b is r + x or s + 1 */
    double gA[HD_N], gB[HD_N];
    for (int i = 0; i < HD_N; i++) {
        gA[i] = euler ? 0 : ga[i];
        gB[i] = euler ? ga[i] - gb[i] : gb[i];
    }
    seg__hd S;
    if (z == 0) {
        /* alpha = beta: the value is 0, but the first terms, in z and
         * z^2, still have derivatives */
        seg__hd inv = hchain(&den, 1 / den.v, -1 / (den.v * den.v),
                             2 / (den.v * den.v * den.v));
        seg__hd zh = hmul(&num, &inv), t = hc(1);
        S = hc(0);
        for (int n = 0; n < 2; n++) {
            seg__hd An = hc(A + n), Bn = hc(B + n), cn = hc(c + n);
            memcpy(An.g, gA, sizeof An.g);
            memcpy(Bn.g, gB, sizeof Bn.g);
            memcpy(cn.g, ga, sizeof cn.g);
            seg__hd ic = hchain(&cn, 1 / cn.v, -1 / (cn.v * cn.v),
                                2 / (cn.v * cn.v * cn.v));
            seg__hd m = hmul(&An, &Bn);
            m = hmul(&m, &ic);
            m = hmul(&m, &zh);
            t = hscale(hmul(&t, &m), 1.0 / (n + 1));
            S = hadd(S, &t);
        }
    } else if (!series(A, B, c, z, gA, gB, ga, &num, &den, &S)) {
        return false;
    }
    seg__hd f = hlog1p(&S);
    if (euler) {
        /* + (c - a - b) log(1 - z) */
        seg__hd inv = hchain(&den, 1 / den.v, -1 / (den.v * den.v),
                             2 / (den.v * den.v * den.v));
        seg__hd zz = hmul(&num, &inv), zl = hlog1m(&zz);
        seg__hd k = hc(1 - b);
        for (int i = 0; i < HD_N; i++)
            k.g[i] = -gb[i];
        seg__hd e = hmul(&k, &zl);
        f = hadd(f, &e);
    }
    /* - a log(big + u) */
    seg__hd ld = hlog(&den), av = hc(a);
    for (int i = 0; i < HD_N; i++)
        av.g[i] = ga[i];
    seg__hd e = hmul(&av, &ld);
    *out = hsub(f, &e);
    return isfinite(out->v);
}

/* -(r+x) log(alpha+u) - s log(beta+u) */
static seg__hd t1_of(const params *q, double x, double u)
{
    seg__hd a = hvar(q->al + u, 1), b = hvar(q->be + u, 3);
    seg__hd la = hlog(&a), lb = hlog(&b);
    seg__hd rx = hvar(q->r + x, 0), s = hvar(q->s, 2);
    seg__hd m1 = hmul(&rx, &la), m2 = hmul(&s, &lb);
    return hscale(hadd(m1, &m2), -1);
}

/* log Gamma(r+x) - log Gamma(r) + r log alpha + s log beta */
static seg__hd head_of(const params *q, double x)
{
    seg__hd r = hvar(q->r, 0), al = hvar(q->al, 1), s = hvar(q->s, 2),
            be = hvar(q->be, 3);
    seg__hd la = hlog(&al), lb = hlog(&be);
    seg__hd m1 = hmul(&r, &la), m2 = hmul(&s, &lb);
    seg__hd h = hadd(m1, &m2);
    if (x == 0)
        return h;
    seg__hd lg = hchain(&r, seg__lgamma_diff(q->r, x),
                        seg__digamma(q->r + x) - seg__digamma(q->r),
                        seg__trigamma(q->r + x) - seg__trigamma(q->r));
    return hadd(h, &lg);
}

/* The part of a row's log-likelihood after its head where the series of
 * its A0 do not converge (z near 1): log(e^t1 + e^t2) with t2 = log s -
 * log(r+s+x) + log A0 and A0 by the quadrature of the per-row likelihood
 * (pareto_nbd.c: the same rule, centre and integrand), summed here in
 * second-order duals, so that the Hessian is the quadrature's own rather
 * than differences of its gradients, which its rounding makes noisy. */
static seg__hd row_quad(const pnbd_prep *p, const params *q, size_t i)
{
    const double *d = p->d + i * 3;
    double x = d[0], tx = d[1], T = d[2], w = T - tx;
    const double pv[HD_N] = {q->r, q->al, q->s, q->be};
    double m = seg__pnbd_a0_centre(pv, x, tx, T);
    seg__hd rx = haddc(hvar(q->r, 0), x), s1 = haddc(hvar(q->s, 2), 1);
    seg__hd al = hvar(q->al, 1), be = hvar(q->be, 3);
    /* log of the sum of e^l over the nodes, with its derivatives: the
     * weights e^(l - best) of the values, gradients and Hessians, summed
     * as the nodes come, rescaled when a larger l comes (no array of
     * the nodes: the caller's stack may be small) */
    double best = -INFINITY, sw = 0, g[HD_N] = {0}, h[HD_H] = {0};
    for (int k = 0; k < SEG__QUAD_NODES; k++) {
        double y, lp, lq, lw;
        seg__quad_logit_node(k, m, SEG__PNBD_A0_SPREAD, &y, &lp, &lq, &lw);
        (void)y;
        double tau = tx + w * exp(lp);
        seg__hd la = haddc(al, tau), lb = haddc(be, tau);
        la = hlog(&la);
        lb = hlog(&lb);
        la = hmul(&rx, &la);
        lb = hmul(&s1, &lb);
        seg__hd v = hadd(la, &lb);
        seg__hd l = haddc(hscale(v, -1), log(w) + lp + lq + lw);
        if (!(l.v > -INFINITY))
            continue;
        if (!isfinite(l.v))
            return hc(NAN);
        if (l.v > best) {
            double r = exp(best - l.v);
            sw *= r;
            for (int a = 0; a < HD_N; a++)
                g[a] *= r;
            for (int c = 0; c < HD_H; c++)
                h[c] *= r;
            best = l.v;
        }
        double e = exp(l.v - best);
        sw += e;
        for (int a = 0; a < HD_N; a++)
            g[a] += e * l.g[a];
        for (int c = 0; c < HD_H; c++)
            h[c] += e * (l.h[c] + l.g[hd_i[c]] * l.g[hd_j[c]]);
    }
    if (!(sw > 0))
        return hc(NAN);
    seg__hd la0 = hc(best + log(sw));
    for (int a = 0; a < HD_N; a++)
        la0.g[a] = g[a] / sw;
    for (int c = 0; c < HD_H; c++)
        la0.h[c] = h[c] / sw - la0.g[hd_i[c]] * la0.g[hd_j[c]];
    /* A0 is r+s+x times the integral */
    seg__hd sv = hvar(q->s, 2), rsx = hadd(haddc(hvar(q->r, 0), x), &sv);
    rsx = hlog(&rsx);
    la0 = hadd(la0, &rsx);
    seg__hd t2 = hadd(la0, &p->x_c[p->xi[i]]);
    return hlogsumexp(&p->t1[p->pT[i]], &t2);
}

/* the jobs of one evaluation: pairs first, then chunks of rows */
typedef struct job {
    pnbd_prep *p;
    const params *q;
    seg__progress *pr;
    int id, n;
    bool bad;
} job;

static void *pairs_job(void *vj)
{
    job *j = vj;
    pnbd_prep *p = j->p;
    size_t lo = p->npair * (size_t)j->id / (size_t)j->n,
           hi = p->npair * (size_t)(j->id + 1) / (size_t)j->n;
    for (size_t i = lo; i < hi; i++) {
        if ((i & 1023) == 0 && seg__progress_canceled(j->pr)) {
            j->bad = true;
            break;
        }
        double x = p->xv[p->pair_x[i]], u = p->pair_u[i];
        if (!tail(j->q, x, u, &p->f[i]))
            p->f[i].v = NAN; /* the rows take the slow path */
        p->t1[i] = t1_of(j->q, x, u);
    }
    return NULL;
}

static void *rows_job(void *vj)
{
    job *j = vj;
    pnbd_prep *p = j->p;
    for (size_t c = (size_t)j->id; c < p->nchunk; c += (size_t)j->n) {
        if (seg__progress_canceled(j->pr)) {
            j->bad = true;
            break;
        }
        seg__hd sum = hc(0);
        size_t end = (c + 1) * CHUNK < p->n ? (c + 1) * CHUNK : p->n;
        for (size_t i = c * CHUNK; i < end; i++) {
            const double *d = p->d + i * 3;
            const seg__hd *t1 = &p->t1[p->pT[i]];
            const seg__hd *f1 = &p->f[p->ptx[i]], *f2 = &p->f[p->pT[i]];
            seg__hd v;
            if (d[1] >= d[2]) {
                v = *t1;
            } else if (isnan(f1->v) || isnan(f2->v)) {
                v = row_quad(p, j->q, i);
            } else if (!(f1->v > f2->v)) {
                v = *t1;
            } else {
                seg__hd t2 = hlogdiffexp(f1, f2);
                t2 = hadd(t2, &p->x_c[p->xi[i]]);
                v = hlogsumexp(t1, &t2);
            }
            if (!isfinite(v.v)) {
                j->bad = true;
                return NULL;
            }
            haxpy(&sum, p->w[i], &v);
        }
        p->chunk[c] = sum;
    }
    return NULL;
}

/* Run fn as n jobs over p at q; false if one failed or was stopped. */
static bool run(void *(*fn)(void *), pnbd_prep *p, const params *q,
                seg__progress *pr, int n)
{
    job jobs[SEG__MAX_THREADS];
    for (int i = 0; i < n; i++)
        jobs[i] = (job){p, q, pr, i, n, false};
    seg__run_jobs(fn, jobs, sizeof *jobs, n);
    for (int i = 0; i < n; i++)
        if (jobs[i].bad)
            return false;
    return true;
}

/* The per-x terms: the head summed over the rows of each x, and
 * log s - log(r+s+x) for the rows. */
static seg__hd heads(pnbd_prep *p, const params *q)
{
    seg__hd sum = hc(0);
    seg__hd r = hvar(q->r, 0), s = hvar(q->s, 2);
    seg__hd ls = hlog(&s);
    for (size_t k = 0; k < p->nx; k++) {
        double x = p->xv[k];
        seg__hd h = head_of(q, x);
        haxpy(&sum, p->wx[k], &h);
        seg__hd rsx = haddc(hadd(r, &s), x);
        seg__hd l = hlog(&rsx);
        p->x_c[k] = hsub(ls, &l);
    }
    return sum;
}

static double pnbd_total(void *vp, const double *pv, double *grad,
                         double *hess)
{
    pnbd_prep *p = vp;
    params q = {pv[0], pv[1], pv[2], pv[3]};
    seg__progress *pr = seg__progress_current();
    if (seg__progress_beat(pr))
        return NAN;
    int nt = seg__threads(p->threads, p->nchunk, 4);
    seg__hd sum = heads(p, &q);
    if (!run(pairs_job, p, &q, pr, nt) || !run(rows_job, p, &q, pr, nt))
        return NAN;
    for (size_t c = 0; c < p->nchunk; c++)
        sum = hadd(sum, &p->chunk[c]);
    if (!isfinite(sum.v))
        return NAN;
    hd_out(&sum, grad, hess);
    return sum.v;
}

void *seg__pnbd_prepare(const double *d, const double *w, size_t n)
{
    return pnbd_prepare(d, w, n);
}

double seg__pnbd_total(void *prep, const double *p, double *grad,
                       double *hess)
{
    return pnbd_total(prep, p, grad, hess);
}

void seg__pnbd_release(void *prep) { pnbd_release(prep); }

void seg__pnbd_threads(void *prep, int threads)
{
    ((pnbd_prep *)prep)->threads = threads;
}
