/* The BG/NBD family's log-likelihood over many rows, with its exact
 * gradient and Hessian, for the Newton fit (docs/clv.md, "How the large
 * fits are fast").
 *
 * Per row the log-likelihood is A1(x) + A2(x) - (r+x) L(T) + [softplus(D)]
 * with L(t) = log(alpha + t) and D = log a - log(b+x+m-1) +
 * (r+x) (L(T) - L(t_x)), the bracket only where the customer may have
 * dropped out after the last purchase. A1 and A2 (the log-gamma terms)
 * depend on x alone and are computed once per distinct x; L once per
 * distinct time; the T term is a sum over distinct T of weights prepared
 * once. What is left per row is the softplus. The gradient and the
 * Hessian are the analytic derivatives of the same terms.
 *
 * e^D is a product of a factor of the pair (x, t_x) and one of the pair
 * (x, T), (a / (b+x+m-1)) e^(-(r+x) (L(t_x) - c_x)) times
 * e^((r+x) (L(T) - c_x)), c_x the middle of the logs of that x's times so
 * that neither overflows: a million rows have a hundred thousand such
 * pairs, each factor one exponential an evaluation, and a row one
 * product. The softplus log(1 + e^D) of a row of weight 1 is a factor of
 * a running product, whose exponent is taken out as it grows: the log of
 * a product of a chunk's rows instead of a log per row, and more
 * accurate than the sum of the logs, whose rounding is that of the
 * total. Where the pairs are too many for their tables, or an x's times
 * are too far apart for the factors, the rows take D itself, one exp and
 * one log1p. Rows are summed in fixed chunks, in order, over the threads:
 * the result does not depend on their number. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "models/clv/internal.h"

/* rows of one job step; fixed, so that the order of the sum, and the
 * result, is the same for any number of threads */
#define CHUNK 8192
/* the rows from which the pairs' tables are built: on fewer their
 * exponentials save little, and such fits keep the exact D of each row,
 * whose rounding the fits on flat likelihoods (a and b growing together)
 * follow to where they stop */
#define PAIR_ROWS (4 * CHUNK)
/* the largest (r+x) times the span of an x's logs of times for which
 * the pairs' factors and their product stay far from overflow */
#define SPAN_MAX 600.0

/* per pair (or, without pairs, per time) and evaluation: the factor of
 * e^D, L and 1 / (alpha + t) */
typedef struct fam_pair {
    double f, L, I;
} fam_pair;

/* the sums of one chunk: the softplus terms and the sums of the
 * gradient and Hessian terms of D */
typedef struct fam_chunk {
    double sp, S[14];
} fam_chunk;

typedef struct fam_prep {
    bool modified, pairs;
    size_t n, nx, ntx, nT;
    const double *w;
    double *xv, *wx;       /* distinct x, total weight of their rows */
    double *txv, *Tv;      /* distinct t_x and T */
    double *wT, *wxT;      /* per T: weight and weight x x of its rows */
    uint32_t *xi;          /* per row: its x */
    uint32_t *pa, *pb;     /* per row: its pair (x, t_x) and (x, T), or
                              without pairs its t_x and T */
    size_t na, nb;
    uint32_t *a_x, *a_t, *b_x, *b_t; /* per pair: its x and time */
    fam_pair *av, *bv;
    double *tlo, *thi;     /* per x: its smallest t_x and largest T */
    double *rx, *lbx, *ibx, *ref; /* per x: r + x, log and 1/ of
                                     b + x + m - 1, c_x (NaN: no pairs) */
    double *Ltx, *Itx, *LT, *IT;
    fam_chunk *chunk;
    size_t nchunk;
    int threads;
} fam_prep;

void seg__fam_release(void *vp)
{
    fam_prep *q = vp;
    if (!q)
        return;
    void *blocks[] = {q->xv,  q->wx,  q->txv, q->Tv,  q->wT,  q->wxT,
                      q->xi,  q->pa,  q->pb,  q->a_x, q->a_t, q->b_x,
                      q->b_t, q->av,  q->bv,  q->tlo, q->thi, q->rx,
                      q->lbx, q->ibx, q->ref, q->Ltx, q->Itx, q->LT,
                      q->IT,  q->chunk};
    for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++)
        seg__free(blocks[i]);
    seg__free(q);
}

/* The pairs of x and a time (ranks t[] of nt values) of the rows, ids in
 * the order first seen, into p[] and their x and time into *px, *pt;
 * false where a table of every x against every time would be too large
 * (the rows then take the time alone) or out of memory (*nomem). */
static bool build_pairs(const uint32_t *xi, const uint32_t *t, size_t n,
                        size_t nx, size_t nt, uint32_t *p, uint32_t **px,
                        uint32_t **pt, size_t *np, bool *nomem)
{
    if ((double)nx * (double)nt > 2.0 * (double)n + 65536)
        return false;
    size_t cells = nx * nt;
    uint32_t *id = seg__calloc(cells ? cells : 1, sizeof *id);
    size_t cap = 1024, k = 0;
    *px = seg__malloc(cap * sizeof **px);
    *pt = seg__malloc(cap * sizeof **pt);
    bool ok = id && *px && *pt;
    for (size_t i = 0; i < n && ok; i++) {
        uint32_t *slot = &id[(size_t)xi[i] * nt + t[i]];
        if (!*slot) {
            if (k == cap) {
                cap *= 2;
                uint32_t *a = seg__realloc(*px, cap * sizeof **px);
                if (a)
                    *px = a;
                uint32_t *b = a ? seg__realloc(*pt, cap * sizeof **pt) : NULL;
                if (b)
                    *pt = b;
                if (!(ok = a && b))
                    break;
            }
            (*px)[k] = xi[i];
            (*pt)[k] = t[i];
            *slot = (uint32_t)++k;
        }
        p[i] = *slot - 1;
    }
    seg__free(id);
    *np = k;
    *nomem = !ok;
    return ok;
}

static void *fam_prepare(const double *d, const double *w, size_t n,
                         bool modified)
{
    fam_prep *q = seg__calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->modified = modified;
    q->n = n;
    q->w = w;
    size_t nn = n ? n : 1;
    q->xi = seg__malloc(nn * sizeof *q->xi);
    q->pa = seg__malloc(nn * sizeof *q->pa);
    q->pb = seg__malloc(nn * sizeof *q->pb);
    uint32_t *txi = seg__malloc(nn * sizeof *txi);
    uint32_t *Ti = seg__malloc(nn * sizeof *Ti);
    const double *cols[3] = {d, d + 1, d + 2};
    uint32_t *const rk[3] = {q->xi, txi, Ti};
    double *vals[3] = {NULL, NULL, NULL};
    size_t nv[3] = {0, 0, 0};
    bool ok = q->xi && q->pa && q->pb && txi && Ti &&
              !seg__clv_ranks_n(3, cols, n, 3, rk, vals, nv, 0);
    q->xv = vals[0];
    q->txv = vals[1];
    q->Tv = vals[2];
    q->nx = nv[0];
    q->ntx = nv[1];
    q->nT = nv[2];
    bool nomem = false;
    if (ok && n >= PAIR_ROWS) {
        q->pairs = build_pairs(q->xi, txi, n, q->nx, q->ntx, q->pa, &q->a_x,
                               &q->a_t, &q->na, &nomem) &&
                   build_pairs(q->xi, Ti, n, q->nx, q->nT, q->pb, &q->b_x,
                               &q->b_t, &q->nb, &nomem);
        ok = !nomem;
    }
    if (ok && !q->pairs) {
        memcpy(q->pa, txi, n * sizeof *txi);
        memcpy(q->pb, Ti, n * sizeof *Ti);
    }
    size_t nx = q->nx ? q->nx : 1, ntx = q->ntx ? q->ntx : 1;
    size_t nT = q->nT ? q->nT : 1;
    size_t na = q->pairs ? q->na : q->ntx, nb = q->pairs ? q->nb : q->nT;
    q->nchunk = (n + CHUNK - 1) / CHUNK;
    if (ok) {
        q->wx = seg__calloc(nx, sizeof *q->wx);
        q->wT = seg__calloc(nT, sizeof *q->wT);
        q->wxT = seg__calloc(nT, sizeof *q->wxT);
        q->tlo = seg__malloc(nx * sizeof *q->tlo);
        q->thi = seg__malloc(nx * sizeof *q->thi);
        q->av = seg__malloc((na ? na : 1) * sizeof *q->av);
        q->bv = seg__malloc((nb ? nb : 1) * sizeof *q->bv);
        q->Ltx = seg__malloc(ntx * sizeof *q->Ltx);
        q->Itx = seg__malloc(ntx * sizeof *q->Itx);
        q->LT = seg__malloc(nT * sizeof *q->LT);
        q->IT = seg__malloc(nT * sizeof *q->IT);
        q->rx = seg__malloc(nx * sizeof *q->rx);
        q->lbx = seg__malloc(nx * sizeof *q->lbx);
        q->ibx = seg__malloc(nx * sizeof *q->ibx);
        q->ref = seg__malloc(nx * sizeof *q->ref);
        q->chunk = seg__malloc((q->nchunk ? q->nchunk : 1) * sizeof *q->chunk);
        ok = q->wx && q->wT && q->wxT && q->tlo && q->thi && q->av && q->bv &&
             q->Ltx && q->Itx && q->LT && q->IT && q->rx && q->lbx &&
             q->ibx && q->ref && q->chunk;
    }
    if (ok) {
        for (size_t k = 0; k < q->nx; k++) {
            q->tlo[k] = INFINITY;
            q->thi[k] = -INFINITY;
        }
        /* in row order, so that the sums do not depend on the hashing */
        for (size_t i = 0; i < n; i++) {
            uint32_t k = q->xi[i];
            q->wx[k] += w[i];
            q->wT[Ti[i]] += w[i];
            q->wxT[Ti[i]] += w[i] * d[3 * i];
            q->tlo[k] = fmin(q->tlo[k], d[3 * i + 1]);
            q->thi[k] = fmax(q->thi[k], d[3 * i + 2]);
        }
    }
    seg__free(txi);
    seg__free(Ti);
    if (!ok)
        return seg__fam_release(q), NULL;
    return q;
}

void *seg__fam_prepare_bgnbd(const double *d, const double *w, size_t n)
{
    return fam_prepare(d, w, n, false);
}

void *seg__fam_prepare_mbgnbd(const double *d, const double *w, size_t n)
{
    return fam_prepare(d, w, n, true);
}

void seg__fam_threads(void *prep, int threads)
{
    ((fam_prep *)prep)->threads = threads;
}

/* H[i][j] and H[j][i] += v */
static void sym_add(double *H, int i, int j, double v)
{
    H[i * 4 + j] += v;
    if (i != j)
        H[j * 4 + i] += v;
}

/* The terms of x alone and of the times: log-gamma differences per
 * distinct x, the T term per distinct time; and the factors of e^D per
 * pair. */
static double fam_tables(fam_prep *q, const double *p, double *g, double *H)
{
    double r = p[0], al = p[1], a = p[2], b = p[3], m = q->modified;
    double ll = 0, lal = log(al), la = log(a);
    for (size_t k = 0; k < q->nx; k++) {
        double x = q->xv[k], u = x + m, W = q->wx[k];
        ll += W * (seg__lgamma_diff(r, x) + r * lal +
                   seg__lgamma_diff(b, u) - seg__lgamma_diff(a + b, u));
        q->rx[k] = r + x;
        q->lbx[k] = log(b + u - 1);
        q->ibx[k] = 1 / (b + u - 1);
        double lo = log(al + q->tlo[k]), hi = log(al + q->thi[k]);
        q->ref[k] = q->pairs && q->rx[k] * (hi - lo) <= SPAN_MAX &&
                            fabs(la - q->lbx[k]) <= SPAN_MAX / 6
                        ? (lo + hi) / 2
                        : NAN;
        if (!g)
            continue;
        double dr = x ? seg__digamma(r + x) - seg__digamma(r) : 0;
        double dab = u ? seg__digamma(a + b + u) - seg__digamma(a + b) : 0;
        double db = u ? seg__digamma(b + u) - seg__digamma(b) : 0;
        g[0] += W * (dr + lal);
        g[1] += W * r / al;
        g[2] -= W * dab;
        g[3] += W * (db - dab);
        if (!H)
            continue;
        double tr = x ? seg__trigamma(r + x) - seg__trigamma(r) : 0;
        double tab = u ? seg__trigamma(a + b + u) - seg__trigamma(a + b) : 0;
        double tb = u ? seg__trigamma(b + u) - seg__trigamma(b) : 0;
        sym_add(H, 0, 0, W * tr);
        sym_add(H, 0, 1, W / al);
        sym_add(H, 1, 1, -W * r / (al * al));
        sym_add(H, 2, 2, -W * tab);
        sym_add(H, 2, 3, -W * tab);
        sym_add(H, 3, 3, W * (tb - tab));
    }
    for (size_t t = 0; t < q->ntx; t++) {
        q->Ltx[t] = log(al + q->txv[t]);
        q->Itx[t] = 1 / (al + q->txv[t]);
    }
    for (size_t t = 0; t < q->nT; t++) {
        double L = log(al + q->Tv[t]), I = 1 / (al + q->Tv[t]);
        double c = r * q->wT[t] + q->wxT[t];
        q->LT[t] = L;
        q->IT[t] = I;
        ll -= c * L;
        if (!g)
            continue;
        g[0] -= q->wT[t] * L;
        g[1] -= c * I;
        if (!H)
            continue;
        sym_add(H, 0, 1, -q->wT[t] * I);
        sym_add(H, 1, 1, c * I * I);
    }
    size_t na = q->pairs ? q->na : q->ntx, nb = q->pairs ? q->nb : q->nT;
    for (size_t j = 0; j < na; j++) {
        size_t t = q->pairs ? q->a_t[j] : j, k = q->pairs ? q->a_x[j] : 0;
        double L = q->Ltx[t], f = 0;
        if (q->pairs && !isnan(q->ref[k]))
            f = exp(la - q->lbx[k] - q->rx[k] * (L - q->ref[k]));
        q->av[j] = (fam_pair){f, L, q->Itx[t]};
    }
    for (size_t j = 0; j < nb; j++) {
        size_t t = q->pairs ? q->b_t[j] : j, k = q->pairs ? q->b_x[j] : 0;
        double L = q->LT[t], f = 0;
        if (q->pairs && !isnan(q->ref[k]))
            f = exp(q->rx[k] * (L - q->ref[k]));
        q->bv[j] = (fam_pair){f, L, q->IT[t]};
    }
    return ll;
}

typedef struct fam_job {
    fam_prep *q;
    double la, ia;
    bool grad, hess;
    int id, n;
} fam_job;

/* The rows of chunk c into its sums. */
static void fam_chunk_sums(const fam_job *j, size_t c)
{
    const fam_prep *q = j->q;
    double S[14] = {0}, s_sp = 0, prod = 1;
    int pexp = 0;
    bool dropout_at_zero = q->modified;
    size_t end = (c + 1) * CHUNK < q->n ? (c + 1) * CHUNK : q->n;
    for (size_t i = c * CHUNK; i < end; i++) {
        uint32_t k = q->xi[i];
        if (q->xv[k] == 0 && !dropout_at_zero)
            continue;
        const fam_pair *A = &q->av[q->pa[i]], *B = &q->bv[q->pb[i]];
        double delta = B->L - A->L, w = q->w[i], rx = q->rx[k];
        double sig, s1;
        if (!isnan(q->ref[k])) {
            double E = A->f * B->f, inv = 1 / (1 + E);
            if (w == 1 && E < 0x1p50) {
                prod *= 1 + E;
                if (prod > 0x1p512) {
                    int e;
                    prod = frexp(prod, &e);
                    pexp += e;
                }
            } else {
                s_sp += w * log1p(E);
            }
            sig = E * inv;
        } else {
            double D = j->la - q->lbx[k] + rx * delta;
            double e = exp(-fabs(D));
            s_sp += w * (fmax(D, 0) + log1p(e));
            sig = D >= 0 ? 1 / (1 + e) : e / (1 + e);
        }
        if (!j->grad)
            continue;
        s1 = w * sig;
        double di = B->I - A->I;
        double dD[4] = {delta, rx * di, j->ia, -q->ibx[k]};
        S[0] += s1 * dD[0];
        S[1] += s1 * dD[1];
        S[2] += s1;
        S[3] += s1 * dD[3];
        if (!j->hess)
            continue;
        double s2 = s1 * (1 - sig);
        S[4] += s2 * dD[0] * dD[0];
        S[5] += s2 * dD[0] * dD[1] + s1 * di;
        S[6] += s2 * dD[0];
        S[7] += s2 * dD[0] * dD[3];
        S[8] += s2 * dD[1] * dD[1] - s1 * rx * (B->I * B->I - A->I * A->I);
        S[9] += s2 * dD[1];
        S[10] += s2 * dD[1] * dD[3];
        S[11] += s2 - s1;
        S[12] += s2 * dD[3];
        S[13] += (s2 + s1) * dD[3] * dD[3];
    }
    fam_chunk *out = &q->chunk[c];
    out->sp = s_sp + (log(prod) + pexp * 0.69314718055994530942);
    memcpy(out->S, S, sizeof S);
}

static void *fam_rows_job(void *vj)
{
    const fam_job *j = vj;
    for (size_t c = (size_t)j->id; c < j->q->nchunk; c += (size_t)j->n)
        fam_chunk_sums(j, c);
    return NULL;
}

double seg__fam_total(void *vp, const double *p, double *grad, double *hess)
{
    fam_prep *q = vp;
    double g[4] = {0, 0, 0, 0}, H[16] = {0};
    double *gp = grad || hess ? g : NULL, *Hp = hess ? H : NULL;
    double ll = fam_tables(q, p, gp, Hp);
    double ia = 1 / p[2];
    int nt = seg__threads(q->threads, q->nchunk, 4);
    fam_job jobs[SEG__MAX_THREADS];
    for (int i = 0; i < nt; i++)
        jobs[i] = (fam_job){q, log(p[2]), ia, gp != NULL, Hp != NULL, i, nt};
    seg__run_jobs(fam_rows_job, jobs, sizeof *jobs, nt);
    /* the chunks' sums, in order */
    double S[14] = {0}, s_sp = 0;
    for (size_t c = 0; c < q->nchunk; c++) {
        s_sp += q->chunk[c].sp;
        for (int k = 0; k < 14; k++)
            S[k] += q->chunk[c].S[k];
    }
    ll += s_sp;
    if (!isfinite(ll))
        return NAN;
    if (grad) {
        grad[0] = g[0] + S[0];
        grad[1] = g[1] + S[1];
        grad[2] = g[2] + S[2] * ia;
        grad[3] = g[3] + S[3];
    }
    if (hess) {
        const double add[4][4] = {
            {S[4], S[5], S[6] * ia, S[7]},
            {S[5], S[8], S[9] * ia, S[10]},
            {S[6] * ia, S[9] * ia, S[11] * ia * ia, S[12] * ia},
            {S[7], S[10], S[12] * ia, S[13]}};
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                hess[i * 4 + j] = H[i * 4 + j] + add[i][j];
    }
    return ll;
}
