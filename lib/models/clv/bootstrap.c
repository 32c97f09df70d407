/* Uncertainty of the customer-base models: confidence intervals of the
 * parameters, and prediction intervals per customer by a seeded
 * bootstrap. The parameter vectors are drawn in one place, in one order,
 * before any thread starts; threads only split the distinct histories,
 * so the intervals are the same whatever the number of threads. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/clv/internal.h"

#define PI 3.14159265358979323846
#define SQRT2 1.41421356237309504880

/* ---- random numbers: xoshiro256** seeded through splitmix64 ---- */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static void rng_seed(rng *g, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        g->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *g)
{
    uint64_t *s = g->s, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

/* uniform in (0, 1) */
static double rng_unit(rng *g)
{
    return ((double)(rng_next(g) >> 11) + 0.5) * 0x1p-53;
}

/* standard normal, by Box and Muller: one value a call, so that the
 * stream of values does not depend on an odd count */
static double rng_normal(rng *g)
{
    double u = rng_unit(g), v = rng_unit(g);
    return sqrt(-2 * log(u)) * cos(2 * PI * v);
}

/* The quantile of the standard normal at p in (0.5, 1), by bisection of
 * Phi(z) = p with erfc (exact to the last bits after 200 halvings of
 * [0, 40]). */
static double normal_quantile(double p)
{
    double lo = 0, hi = 40;
    for (int i = 0; i < 200 && hi - lo > 1e-15; i++) {
        double mid = (lo + hi) / 2;
        if (0.5 * erfc(-mid / SQRT2) < p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

/* The level of the intervals: the model's `interval`, or for the
 * parameters' table 0.95 when no interval is set. */
static double level_of(const seg_model *m, double fallback)
{
    double l = seg__param_num(m, "interval");
    return l > 0 ? l : fallback;
}

/* ---- confidence intervals of the parameters ---- */

/* One row a parameter: on the log scale, exp(log p +- z se(log p)),
 * se(log p) = se(p) / p by the delta method. Every parameter is
 * positive, and the likelihood is much closer to normal in the log of a
 * shape or scale (the scale the optimiser works in) than in the
 * parameter itself, where a symmetric interval would reach below zero
 * for the poorly identified ones. */
int seg__clv_ci_table(const seg_model *m, const seg__clv_scored *s,
                      seg_table **out)
{
    static const char *const names[6] = {"parameter", "estimate", "se",
                                         "lo", "hi", "level"};
    static const int types[6] = {SEG_COLUMN_LABEL,   SEG_COLUMN_NUMERIC,
                                 SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC,
                                 SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC};
    double level = level_of(m, 0.95), z = normal_quantile((1 + level) / 2);
    seg_table *t = NULL;
    int rc = seg__table_new(&t, "ci", 6, names, types);
    const seg__clv_fit *fits[2] = {s->f, s->kind == SEG__CLV_CLV ? s->gg : NULL};
    for (int k = 0; k < 2 && fits[k] && !rc; k++) {
        const seg__clv_spec *sp = seg__clv_spec_of(fits[k]->kind);
        for (int i = 0; i < sp->np && !rc; i++) {
            double p = fits[k]->p[i], se = fits[k]->se[i];
            double hw = z * se / p;
            char name[40];
            snprintf(name, sizeof name, "%s%s", k ? "spend." : "",
                     sp->names[i]);
            size_t r;
            rc = seg__table_add_row(t, &r);
            if (!rc)
                rc = seg__table_set_text(t, r, 0, name);
            if (!rc)
                rc = seg__table_set_num(t, r, 1, p);
            if (!rc)
                rc = seg__table_set_num(t, r, 2, se);
            if (!rc)
                rc = seg__table_set_num(t, r, 3, isfinite(hw) ? p * exp(-hw)
                                                              : NAN);
            if (!rc)
                rc = seg__table_set_num(t, r, 4, isfinite(hw) ? p * exp(hw)
                                                              : NAN);
            if (!rc)
                rc = seg__table_set_num(t, r, 5, level);
        }
    }
    if (rc) {
        seg_table_free(t);
        return seg__nomem(NULL);
    }
    *out = t;
    return SEG_OK;
}

/* ---- the parameter draws ---- */

/* The lower Cholesky factor of the np x np covariance in f (rows of
 * SEG__NP); false when the fit has none or it is not positive definite. */
static bool chol(const seg__clv_fit *f, int np, double *L)
{
    memset(L, 0, SEG__NP * SEG__NP * sizeof *L);
    for (int j = 0; j < np; j++) {
        double d = f->cov[j * SEG__NP + j];
        for (int k = 0; k < j; k++)
            d -= L[j * SEG__NP + k] * L[j * SEG__NP + k];
        if (!(d > 0) || !isfinite(d))
            return false;
        L[j * SEG__NP + j] = sqrt(d);
        for (int i = j + 1; i < np; i++) {
            double v = f->cov[i * SEG__NP + j];
            for (int k = 0; k < j; k++)
                v -= L[i * SEG__NP + k] * L[j * SEG__NP + k];
            L[i * SEG__NP + j] = v / L[j * SEG__NP + j];
            if (!isfinite(L[i * SEG__NP + j]))
                return false;
        }
    }
    return true;
}

/* Whether the parameters p of a kind are ones a fit could give. */
static bool usable(int kind, const double *p)
{
    int np = seg__clv_spec_of(kind)->np;
    for (int i = 0; i < np; i++)
        if (seg__clv_bad_param(kind, i, p[i]))
            return false;
    return true;
}

/* D parameter vectors of fit f into out (SEG__NP each): the log-parameters
 * drawn from their asymptotic normal N(log p, cov). A draw outside the
 * parameters' range (or a Gamma-Gamma q <= 1, an infinite mean spend) is
 * drawn again: those are far in the tails, and the predictions have no
 * value there. */
static int draw_normal(const seg_model *m, const seg__clv_fit *f, rng *g,
                       size_t D, double *out)
{
    const seg__clv_spec *sp = seg__clv_spec_of(f->kind);
    int np = sp->np;
    double L[SEG__NP * SEG__NP];
    if (!chol(f, np, L))
        return seg__model_error(
            m, SEG_EINVAL, "%s: no covariance of the %s parameters to draw "
            "from (a model file without one, or a Hessian that is not "
            "positive definite at the fit): refit, or use "
            "bootstrap=nonparametric", seg_model_name(m), sp->kind);
    size_t rejected = 0;
    for (size_t d = 0; d < D;) {
        double z[SEG__NP], *p = out + d * SEG__NP;
        for (int i = 0; i < np; i++)
            z[i] = rng_normal(g);
        for (int i = 0; i < SEG__NP; i++) {
            double t = i < np ? log(f->p[i]) : 0;
            for (int k = 0; k <= i && i < np; k++)
                t += L[i * SEG__NP + k] * z[k];
            p[i] = i < np ? exp(t) : 0;
        }
        if (usable(f->kind, p)) {
            d++;
        } else if (++rejected > 10 * D) {
            return seg__model_error(m, SEG_ERANGE, "%s: the %s parameters "
                                    "are too uncertain to draw from: most "
                                    "draws leave their range",
                                    seg_model_name(m), sp->kind);
        }
    }
    return SEG_OK;
}

/* ---- the nonparametric bootstrap: refits on customers resampled ---- */

/* Index of the row whose cumulative weight first exceeds u. */
static size_t pick(const double *cum, size_t n, double u)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* D refits of a kind into out (SEG__NP each), each on as many customers
 * as the fit had, drawn with replacement: a multinomial count of each
 * distinct history, drawn one customer at a time. */
static int resample_kind(const seg_model *m, int kind, const seg_dataset *ds,
                         rng *g, size_t D, double *out)
{
    seg__clv_rows all = {NULL, NULL, 0, 0};
    size_t excluded;
    int rc = seg__clv_load_rows(m, kind, ds, &all, &excluded);
    int nc = seg__clv_spec_of(kind)->ncols;
    size_t n = all.n;
    double *cum = rc ? NULL : seg__malloc(n * sizeof *cum);
    double *cnt = rc ? NULL : seg__malloc(n * sizeof *cnt);
    seg__clv_rows b = {rc ? NULL : seg__malloc(n * (size_t)nc * sizeof *b.d),
                       rc ? NULL : seg__malloc(n * sizeof *b.w), 0, 0};
    if (!rc && (!cum || !cnt || !b.d || !b.w))
        rc = seg__nomem(NULL);
    double total = 0;
    for (size_t i = 0; i < n && !rc; i++)
        cum[i] = total += all.w[i];
    size_t customers = (size_t)llround(total);
    for (size_t d = 0; d < D && !rc; d++) {
        memset(cnt, 0, n * sizeof *cnt);
        for (size_t k = 0; k < customers; k++)
            cnt[pick(cum, n, rng_unit(g) * total)]++;
        b.n = 0;
        b.total_w = 0;
        for (size_t i = 0; i < n; i++) {
            if (cnt[i] == 0)
                continue;
            memcpy(b.d + b.n * (size_t)nc, all.d + i * (size_t)nc,
                   (size_t)nc * sizeof *b.d);
            b.w[b.n++] = cnt[i];
            b.total_w += cnt[i];
        }
        seg__clv_fit f;
        rc = seg__clv_fit_rows(m, kind, &b, 0, NULL, &f);
        if (rc && rc != SEG_ENOMEM && rc != SEG_ECANCELED)
            rc = seg__model_error(m, rc, "%s: resample %zu of %zu: %s",
                                  seg_model_name(m), d + 1, D,
                                  seg_model_errmsg(m));
        if (!rc)
            memcpy(out + d * SEG__NP, f.p, sizeof f.p);
        if (!rc)
            rc = seg__progress_at(seg__progress_current(), d);
    }
    seg__free(cum);
    seg__free(cnt);
    seg__free(b.d);
    seg__free(b.w);
    seg__clv_rows_free(&all);
    return rc;
}

int seg__clv_resample(const seg_model *m, const seg_dataset *ds, int kind,
                      int purchase_kind, double **draws)
{
    *draws = NULL;
    if (!(seg__param_num(m, "interval") > 0) ||
        strcmp(seg__param_str(m, "bootstrap"), "nonparametric") != 0)
        return SEG_OK;
    if (*seg__param_str(m, "fixed") ||
        (kind == SEG__CLV_CLV && *seg__param_str(m, "fixed_spend")))
        return seg__model_error(m, SEG_EINVAL, "%s: bootstrap=nonparametric "
                                "refits the model, and its parameters are "
                                "fixed", seg_model_name(m));
    size_t D = (size_t)seg__param_num(m, "draws");
    int nfits = kind == SEG__CLV_CLV ? 2 : 1;
    double *v = seg__malloc(D * (size_t)nfits * SEG__NP * sizeof *v);
    if (!v)
        return seg__nomem(NULL);
    rng g;
    rng_seed(&g, (uint64_t)seg__param_num(m, "seed"));
    int rc = resample_kind(m, purchase_kind, ds, &g, D, v);
    if (!rc && nfits == 2)
        rc = resample_kind(m, SEG__CLV_GG, ds, &g, D, v + D * SEG__NP);
    for (size_t d = 0; d < D && !rc && nfits == 2; d++)
        if (!(v[(D + d) * SEG__NP + 1] > 1))
            rc = seg__model_error(m, SEG_ERANGE, "%s: resample %zu gives a "
                                  "Gamma-Gamma q <= 1: the mean spend is "
                                  "infinite", seg_model_name(m), d + 1);
    if (rc)
        seg__free(v);
    else
        *draws = v;
    return rc;
}

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
 * pair is needed only while its histories are, D values at a time. */

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

/* ---- two quantiles of one set of draws ----
 *
 * The quantile of numpy's default (linear between the order statistics
 * k = floor(h) and k + 1, h = (n - 1) q), as seg__quantile_select()
 * gives it, for a low and a high q at once: a sample of the values
 * brackets each order statistic wanted, one pass keeps the values inside
 * each bracket and counts those below it, and a selection within the
 * bracket finishes. Half the work of two selections over all n; where a
 * bracket misses (rare), the selections over all n serve. */

enum { SAMPLE = 31, MARGIN = 3 };

typedef struct bracket {
    double a, b;  /* the values kept: a <= v <= b */
    size_t below; /* values < a */
    size_t kept;
    double *v;
} bracket;

static void insertion_sort(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* The k-th smallest of v (n values; v is reordered so that no value
 * before k is larger and none after it smaller), by Hoare's selection
 * with the median of three as pivot. */
static double kth(double *v, size_t n, size_t k)
{
    size_t l = 0, r = n - 1;
    while (l < r) {
        size_t m = l + (r - l) / 2;
        double a = v[l], b = v[m], c = v[r];
        double piv = a < b ? (b < c ? b : a < c ? c : a)
                           : (a < c ? a : b < c ? c : b);
        size_t i = l, j = r;
        while (i <= j) {
            while (v[i] < piv)
                i++;
            while (v[j] > piv)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            r = j;
        else if (k >= i)
            l = i;
        else
            break;
    }
    return v[k];
}

/* The q-quantile from the bracket, or false when it misses. */
static bool from_bracket(bracket *b, size_t n, double q, double *out)
{
    double h = (double)(n - 1) * q;
    size_t k = (size_t)floor(h), k1 = k + 1 < n ? k + 1 : k;
    if (k < b->below || k1 >= b->below + b->kept)
        return false;
    size_t at = k - b->below;
    double lo = kth(b->v, b->kept, at), hi = lo;
    if (k1 > k) {
        /* the selection left every value above position `at` no smaller */
        hi = INFINITY;
        for (size_t i = at + 1; i < b->kept; i++)
            hi = b->v[i] < hi ? b->v[i] : hi;
    }
    *out = lo + (h - (double)k) * (hi - lo);
    return true;
}

/* The ql- and qh-quantiles of v (n finite values; v is reordered), with
 * scratch room for 2n values. */
void seg__clv_two_quantiles(double *v, size_t n, double ql, double qh,
                            double *scratch, double *lo, double *hi)
{
    if (n >= 8 * SAMPLE) {
        double s[SAMPLE];
        for (size_t i = 0; i < SAMPLE; i++)
            s[i] = v[i * (n - 1) / (SAMPLE - 1)];
        insertion_sort(s, SAMPLE);
        bracket br[2];
        const double q[2] = {ql, qh};
        for (int t = 0; t < 2; t++) {
            double c = q[t] * (SAMPLE - 1);
            long ia = (long)floor(c) - MARGIN, ib = (long)ceil(c) + MARGIN;
            br[t] = (bracket){ia < 0 ? -INFINITY : s[ia],
                              ib >= SAMPLE ? INFINITY : s[ib], 0, 0,
                              scratch + (size_t)t * n};
        }
        for (size_t i = 0; i < n; i++) {
            double x = v[i];
            for (int t = 0; t < 2; t++) {
                if (x < br[t].a)
                    br[t].below++;
                else if (x <= br[t].b)
                    br[t].v[br[t].kept++] = x;
            }
        }
        if (from_bracket(&br[0], n, ql, lo) && from_bracket(&br[1], n, qh, hi))
            return;
    }
    *lo = seg__quantile_select(v, n, ql);
    *hi = seg__quantile_select(v, n, qh);
}

typedef struct job {
    const seg_model *m;
    const seg__clv_scored *s;
    const pkey *pk;      /* the distinct histories by (x, T, t_x, spend) */
    const size_t *pair;  /* the first in pk of each distinct (x, T) */
    size_t p0, p1;       /* the pairs of this job */
    const seg__clv_fit *fd, *ggd; /* the D draws as fits */
    const fam_tables *tab;
    size_t D;
    int nout;
    double qlo, qhi;
    double *lo[4], *hi[4]; /* per distinct history, by its number */
    double *buf;           /* (nout + 5) x D */
    seg__progress *prog; /* the caller's job reports, the others look */
    bool lead;
    int rc;
} job;

/* The second factor of the expectation and of the value for the pair
 * (x, T) under every draw, into e and v (D values each). */
static void pair_factors(const job *j, const double *k, double *e, double *v)
{
    const seg__clv_spec *sp = seg__clv_spec_of(j->fd[0].kind);
    for (size_t d = 0; d < j->D; d++) {
        const seg__clv_fit *f = &j->fd[d];
        double pa = sp->p_alive(f->p, k[0], k[2], k[2]);
        e[d] = sp->expected(f->p, j->s->horizon, k[0], k[2], k[2]) / pa;
        if (v)
            v[d] = seg__clv_value(j->m, f, j->s->upm, k[0], k[2], k[2], 1) /
                   pa;
    }
}

static void *run_job(void *arg)
{
    job *j = arg;
    size_t D = j->D, done = 0;
    bool clv = j->s->kind == SEG__CLV_CLV;
    double *o[4], *e = j->buf + (size_t)j->nout * D, *v = e + D, *pa = v + D;
    double *scratch = pa + D;
    for (int c = 0; c < j->nout; c++)
        o[c] = j->buf + (size_t)c * D;
    for (size_t q = j->p0; q < j->p1; q++) {
        const double *k0 = j->pk[j->pair[q]].k;
        pair_factors(j, k0, e, clv ? v : NULL);
        for (size_t g = j->pair[q]; g < j->pair[q + 1]; g++, done++) {
            if (done % 64 == 0 &&
                (j->rc = seg__progress_poll(j->prog, j->lead, done)) != 0)
                return NULL;
            const double *hk = j->pk[g].k;
            size_t at = j->pk[g].g;
            double mean = hk[3] == -INFINITY ? NAN : hk[3];
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
    return NULL;
}

/* The draws as fits: the natural parameters v (SEG__NP each) of kind. */
static seg__clv_fit *as_fits(const seg__clv_fit *f, const double *v, size_t D)
{
    seg__clv_fit *out = seg__malloc(D * sizeof *out);
    for (size_t d = 0; out && d < D; d++) {
        out[d] = *f;
        memcpy(out[d].p, v + d * SEG__NP, sizeof out[d].p);
    }
    return out;
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
static int evaluate(const seg_model *m, const seg__clv_scored *s,
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
    double level = level_of(m, 0);
    int nt = seg__threads((int)seg__param_num(m, "threads"), ng, 16);
    job jobs[SEG__MAX_THREADS];
    size_t q = 0;
    for (int t = 0; t < nt; t++) {
        job *j = &jobs[t];
        size_t q0 = q, want = ng * (size_t)(t + 1) / (size_t)nt;
        while (q < np && (t == nt - 1 || pair[q] < want))
            q++;
        *j = (job){m, s, pk, pair, q0, q, fd, ggd, &tab, D, nout,
                   (1 - level) / 2, (1 + level) / 2, {NULL}, {NULL}, NULL,
                   seg__progress_current(), t == 0, SEG_OK};
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
    }
    fam_tables_free(&tab);
    seg__free(pair);
    seg__free(pk);
    return rc;
}

static const char *const out_names[4][2] = {{"p_alive_lo", "p_alive_hi"},
                                            {"expected_lo", "expected_hi"},
                                            {"spend_lo", "spend_hi"},
                                            {"value_lo", "value_hi"}};

/* The draws behind the intervals, as fits: made here, in one stream, for
 * the parametric bootstrap; the fit's resamples for the nonparametric. */
static int make_draws(const seg_model *m, const seg__clv_scored *s,
                      size_t *D, seg__clv_fit **fd, seg__clv_fit **ggd)
{
    bool clv = s->kind == SEG__CLV_CLV;
    *D = (size_t)seg__param_num(m, "draws");
    double *v = NULL;
    int rc = SEG_OK;
    if (strcmp(seg__param_str(m, "bootstrap"), "nonparametric") == 0) {
        if (!s->resampled || s->nresampled != *D)
            return seg__model_error(m, SEG_EINVAL, "%s: the resamples of "
                                    "bootstrap=nonparametric are made by the "
                                    "fit and not saved with the model: fit "
                                    "it again", seg_model_name(m));
    } else {
        v = seg__malloc(*D * (clv ? 2 : 1) * SEG__NP * sizeof *v);
        if (!v)
            return seg__nomem(NULL);
        rng g;
        rng_seed(&g, (uint64_t)seg__param_num(m, "seed"));
        rc = draw_normal(m, s->f, &g, *D, v);
        if (!rc && clv)
            rc = draw_normal(m, s->gg, &g, *D, v + *D * SEG__NP);
    }
    const double *src = v ? v : s->resampled;
    if (!rc) {
        *fd = as_fits(s->f, src, *D);
        *ggd = clv ? as_fits(s->gg, src + *D * SEG__NP, *D) : NULL;
        if (!*fd || (clv && !*ggd))
            rc = seg__nomem(NULL);
    }
    seg__free(v);
    return rc;
}

int seg__clv_intervals(const seg_model *m, const seg__clv_scored *s,
                       seg_dataset *ds, const char *prefix,
                       const seg__clv_hist *h, size_t nh, size_t n, int nout)
{
    if (!(seg__param_num(m, "interval") > 0))
        return SEG_OK;
    size_t D = 0, ng = 0;
    seg__clv_fit *fd = NULL, *ggd = NULL;
    int rc = make_draws(m, s, &D, &fd, &ggd);
    size_t *group = rc ? NULL : seg__malloc((nh ? nh : 1) * sizeof *group);
    size_t *of = rc ? NULL : seg__malloc((nh ? nh : 1) * sizeof *of);
    double *lo[4] = {NULL}, *hi[4] = {NULL}, *col[2] = {NULL, NULL};
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
        rc = evaluate(m, s, h, group, ng, fd, ggd, D, nout, lo, hi);
    for (int c = 0; c < nout && !rc; c++) {
        for (int side = 0; side < 2 && !rc; side++) {
            if (!(col[side] = seg__malloc((n ? n : 1) * sizeof **col))) {
                rc = seg__nomem(NULL);
                break;
            }
            for (size_t i = 0; i < n; i++)
                col[side][i] = NAN;
            for (size_t i = 0; i < nh; i++)
                col[side][h[i].i] = (side ? hi : lo)[c][of[i]];
            rc = seg__model_put_owned(m, ds, prefix, out_names[c][side],
                                      &col[side]);
            seg__free(col[side]);
            col[side] = NULL;
        }
    }
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
