/* The fit of a purchase model with static covariates. Customers with the
 * same covariate values form a group with one set of parameters q (the
 * base parameters moved by the effects); within a group the fitting rows
 * are the weighted unique (x, t_x, T) as without covariates, and the
 * kind's own evaluator gives the group's log-likelihood with its exact
 * gradient and Hessian in q. Since log q is linear in the unknowns
 * theta = (log r, log alpha, log s|a, log beta|b, gamma), the chain rule
 * gives the exact gradient and Hessian in theta: J' G and J' H J, with G
 * and H those of the group in log q. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models/clv/internal.h"

typedef struct group {
    seg__clv_rows data;
    void *prep;
    const double *z; /* its covariate values, k of them */
} group;

typedef struct covctx {
    int kind, np, k, nt;
    const seg__clv_spec *sp;
    const seg__clv_cov *cov;
    group *g;
    size_t ng;
    double total_w, penalizer, lambda;
    double sign[SEG__NP][2];
    /* per effect: 1 on the processes it acts on (trans, life) */
    double on[SEG__COV_MAX][2];
    long evals, max_evals;
    int runaway;
    double runaway_value;
    int threads; /* for the kind's evaluator */
} covctx;

#define GAMMA_MAX 50

/* The log-likelihood of one group at q, with its gradient and Hessian in
 * q (either may be NULL; the Hessian only from the kind's evaluator). */
static double group_ll(const covctx *c, const group *gr, const double *q,
                       double *gq, double *Hq)
{
    if (gr->prep)
        return c->sp->total(gr->prep, q, gq, Hq);
    /* the kinds with covariates have at most SEG__ND parameters */
    seg__dual dp[SEG__NP];
    for (int i = 0; i < SEG__NP; i++)
        dp[i] = i < c->np && i < SEG__ND ? dvar(q[i], i) : dc(0);
    seg__dual sum = dc(0);
    seg__progress *pr = seg__progress_current();
    for (size_t i = 0; i < gr->data.n; i++) {
        if (seg__progress_beat(pr))
            return NAN;
        seg__dual l = c->sp->row_ll(dp, gr->data.d + i * 3);
        if (!isfinite(l.v))
            return NAN;
        sum = dadd(sum, dscale(l, gr->data.w[i]));
    }
    for (int i = 0; i < c->np && i < SEG__ND && gq; i++)
        gq[i] = sum.d[i];
    return sum.v;
}

/* The Hessian of a group's log-likelihood in q, for a kind without its
 * own: central differences of the exact gradient, in steps of q_j e^(+-h)
 * (2 np passes over the group's rows, whatever the number of effects). */
static bool group_hess_fd(const covctx *c, const group *gr, const double *q,
                          double *Hq)
{
    const double h = 1e-5;
    for (int j = 0; j < c->np; j++) {
        double q1[SEG__NP], q2[SEG__NP], g1[SEG__NP], g2[SEG__NP];
        memcpy(q1, q, sizeof q1);
        memcpy(q2, q, sizeof q2);
        q1[j] *= exp(h);
        q2[j] *= exp(-h);
        if (!isfinite(group_ll(c, gr, q1, g1, NULL)) ||
            !isfinite(group_ll(c, gr, q2, g2, NULL)))
            return false;
        for (int i = 0; i < c->np; i++)
            Hq[i * c->np + j] = (g1[i] - g2[i]) / (q1[j] - q2[j]);
    }
    for (int i = 0; i < c->np; i++)
        for (int j = 0; j < i; j++)
            Hq[i * c->np + j] = Hq[j * c->np + i] =
                (Hq[i * c->np + j] + Hq[j * c->np + i]) / 2;
    return true;
}

/* The total log-likelihood at v = (p, gamma), with its gradient and
 * Hessian in theta (either may be NULL). */
static double total(const covctx *c, const double *v, double *grad,
                    double *hess)
{
    int nt = c->nt, np = c->np;
    if (grad)
        memset(grad, 0, (size_t)nt * sizeof *grad);
    if (hess)
        memset(hess, 0, (size_t)(nt * nt) * sizeof *hess);
    double ll = 0;
    for (size_t gi = 0; gi < c->ng; gi++) {
        const group *gr = &c->g[gi];
        double q[SEG__NP], gq[SEG__NP], Hq[SEG__NP * SEG__NP];
        seg__clv_cov_apply(c->kind, c->cov, v, v + np, gr->z, q);
        for (int j = 0; j < np; j++)
            if (!(q[j] >= SEG__CLV_PMIN && q[j] <= SEG__CLV_PMAX))
                return NAN;
        double l = group_ll(c, gr, q, grad ? gq : NULL, hess ? Hq : NULL);
        if (!isfinite(l) ||
            (hess && !gr->prep && !group_hess_fd(c, gr, q, Hq)))
            return NAN;
        ll += l;
        if (!grad)
            continue;
        /* J: d log q_j / d theta_t */
        double J[SEG__NP][SEG__OPT_MAXN], G[SEG__NP];
        memset(J, 0, sizeof J);
        for (int j = 0; j < np; j++) {
            J[j][j] = 1;
            for (int e = 0; e < c->k; e++)
                J[j][np + e] = (c->sign[j][0] * c->on[e][0] +
                                c->sign[j][1] * c->on[e][1]) * gr->z[e];
            G[j] = q[j] * gq[j];
        }
        for (int j = 0; j < np; j++)
            for (int t = 0; t < nt; t++)
                grad[t] += J[j][t] * G[j];
        if (!hess)
            continue;
        double Hl[SEG__NP][SEG__NP], HJ[SEG__NP][SEG__OPT_MAXN];
        for (int i = 0; i < np; i++)
            for (int j = 0; j < np; j++)
                Hl[i][j] = q[i] * q[j] * Hq[i * c->np + j] +
                           (i == j ? G[i] : 0);
        for (int i = 0; i < np; i++)
            for (int t = 0; t < nt; t++) {
                double s = 0;
                for (int j = 0; j < np; j++)
                    s += Hl[i][j] * J[j][t];
                HJ[i][t] = s;
            }
        for (int s = 0; s < nt; s++)
            for (int t = 0; t < nt; t++) {
                double a = 0;
                for (int i = 0; i < np; i++)
                    a += J[i][s] * HJ[i][t];
                hess[s * nt + t] += a;
            }
    }
    return ll;
}

/* The natural values of theta, counted as one evaluation; false when the
 * budget is spent or a value left its range. */
static bool enter(covctx *c, const double *theta, double *v)
{
    if (c->evals >= c->max_evals)
        return false;
    c->evals++;
    for (int i = 0; i < c->nt; i++) {
        v[i] = i < c->np ? exp(theta[i]) : theta[i];
        bool ok = i < c->np
                      ? v[i] >= SEG__CLV_PMIN && v[i] <= SEG__CLV_PMAX
                      : fabs(v[i]) <= GAMMA_MAX;
        if (!ok) {
            if (c->runaway < 0) {
                c->runaway = i;
                c->runaway_value = v[i];
            }
            return false;
        }
    }
    return true;
}

/* Mean negative log-likelihood, the penalizer on the base parameters as
 * without covariates, and lambda times the sum of the squared effects
 * (CLVTools' reg.lambdas, on the mean), over theta. */
static double objective2(const double *theta, double *grad, double *hess,
                         void *ctx)
{
    covctx *c = ctx;
    double v[SEG__OPT_MAXN] = {0}, g[SEG__OPT_MAXN];
    if (!enter(c, theta, v))
        return NAN;
    int nt = c->nt;
    double ll = total(c, v, g, hess);
    if (!isfinite(ll))
        return NAN;
    double W = c->total_w, f = -ll / W;
    for (int i = 0; i < nt; i++) {
        bool base = i < c->np;
        f += base ? c->penalizer * v[i] * v[i] : c->lambda * v[i] * v[i];
        grad[i] = -g[i] / W + (base ? 2 * c->penalizer * v[i] * v[i]
                                    : 2 * c->lambda * v[i]);
    }
    if (hess) {
        for (int i = 0; i < nt * nt; i++)
            hess[i] = -hess[i] / W;
        for (int i = 0; i < nt; i++)
            hess[i * nt + i] += i < c->np ? 4 * c->penalizer * v[i] * v[i]
                                          : 2 * c->lambda;
    }
    return f;
}

static double objective(const double *theta, double *grad, void *ctx)
{
    return objective2(theta, grad, NULL, ctx);
}

/* The groups: customers with the same covariate values, found by
 * hashing their values; gid[i] the group of key i. */
static int find_groups(covctx *c, const double *z, const size_t *cust,
                       size_t nk, uint32_t *gid, size_t **first)
{
    size_t k = (size_t)c->k, cap = 64;
    while (cap < 2 * nk + 2)
        cap *= 2;
    uint32_t *slot = seg__calloc(cap, sizeof *slot);
    size_t *rep = seg__malloc((nk ? nk : 1) * sizeof *rep);
    if (!slot || !rep) {
        seg__free(slot);
        seg__free(rep);
        return SEG_ENOMEM;
    }
    size_t ng = 0;
    for (size_t i = 0; i < nk; i++) {
        const double *zi = z + cust[i] * k;
        uint64_t h = 1469598103934665603u;
        for (size_t e = 0; e < k; e++) {
            double x = zi[e] + 0.0;
            uint64_t u;
            memcpy(&u, &x, sizeof u);
            h = (h ^ u) * 0x9E3779B97F4A7C15u;
        }
        size_t s = (size_t)(h >> 20) & (cap - 1);
        while (slot[s] &&
               memcmp(z + cust[rep[slot[s] - 1]] * k, zi, k * sizeof *zi))
            s = (s + 1) & (cap - 1);
        if (!slot[s]) {
            rep[ng] = i;
            slot[s] = (uint32_t)++ng;
        }
        gid[i] = slot[s] - 1;
    }
    seg__free(slot);
    c->ng = ng;
    *first = rep;
    return SEG_OK;
}

/* The fitting rows and the kind's tables of every group. */
static int build_groups(covctx *c, const seg__clv_key *keys,
                        const size_t *cust, size_t nk, const double *z)
{
    uint32_t *gid = seg__malloc((nk ? nk : 1) * sizeof *gid);
    size_t *rep = NULL, *start = NULL;
    seg__clv_key *sorted = seg__malloc((nk ? nk : 1) * sizeof *sorted);
    int rc = gid && sorted ? find_groups(c, z, cust, nk, gid, &rep)
                           : SEG_ENOMEM;
    if (!rc) {
        c->g = seg__calloc(c->ng, sizeof *c->g);
        start = seg__calloc(c->ng + 1, sizeof *start);
        rc = c->g && start ? SEG_OK : SEG_ENOMEM;
    }
    if (!rc) {
        for (size_t i = 0; i < nk; i++)
            start[gid[i] + 1]++;
        for (size_t g = 0; g < c->ng; g++)
            start[g + 1] += start[g];
        for (size_t i = 0; i < nk; i++)
            sorted[start[gid[i]]++] = keys[i];
        for (size_t g = c->ng; g > 0; g--)
            start[g] = start[g - 1];
        start[0] = 0;
    }
    for (size_t g = 0; g < c->ng && !rc; g++) {
        group *gr = &c->g[g];
        gr->z = z + cust[rep[g]] * (size_t)c->k;
        rc = seg__clv_merge_keys(sorted + start[g], start[g + 1] - start[g],
                                 3, &gr->data);
        if (!rc && c->sp->prepare) {
            gr->prep = c->sp->prepare(gr->data.d, gr->data.w, gr->data.n);
            if (!gr->prep)
                rc = SEG_ENOMEM;
            else if (c->sp->threads)
                c->sp->threads(gr->prep, c->threads);
        }
    }
    seg__free(gid);
    seg__free(rep);
    seg__free(start);
    seg__free(sorted);
    return rc;
}

static void free_groups(covctx *c)
{
    for (size_t g = 0; g < c->ng && c->g; g++) {
        if (c->g[g].prep)
            c->sp->release(c->g[g].prep);
        seg__free(c->g[g].data.d);
        seg__free(c->g[g].data.w);
    }
    seg__free(c->g);
}

/* The name of the i-th unknown. */
static const char *unknown_name(const covctx *c, int i)
{
    if (i < c->np)
        return c->sp->names[i];
    int k = 0;
    for (size_t j = 0; j < c->cov->n; j++)
        if (c->cov->e[j].proc != SEG__COV_REF && k++ == i - c->np)
            return c->cov->e[j].name;
    return "?";
}

/* Standard errors from the inverse of the negative Hessian of the
 * log-likelihood in theta (for a kind without its own Hessian, from the
 * groups' Hessians by differences of the exact gradient); a base
 * parameter's is p times that of log p. */
static int standard_errors(covctx *c, const double *v, double *se,
                           seg__clv_cov *keep)
{
    int nt = c->nt, np = c->np;
    double H[SEG__OPT_MAXN * SEG__OPT_MAXN], g[SEG__OPT_MAXN];
    bool ok = isfinite(total(c, v, g, H));
    for (int i = 0; i < nt * nt; i++)
        H[i] = -H[i];
    ok = ok && seg__spd_inverse(H, nt);
    for (int i = 0; i < nt; i++) {
        double s = ok && H[i * nt + i] > 0 ? sqrt(H[i * nt + i]) : NAN;
        se[i] = i < np ? v[i] * s : s;
    }
    /* what the parametric bootstrap draws from */
    return seg__clv_cov_keep_vcov(keep, H, nt, ok) ? SEG_OK
                                                   : seg__nomem(NULL);
}

/* Run the optimiser from theta and judge the result. */
static int optimise(const seg_model *m, covctx *c, double *theta,
                    int max_iter, seg__opt_result *res)
{
    *res = c->sp->prepare
               ? seg__minimize_newton(objective2, c, theta, c->nt, max_iter,
                                      1e-9)
               : seg__minimize(objective, c, theta, c->nt, max_iter, 1e-9);
    if (res->status == 3 || seg__progress_canceled(seg__progress_current()))
        return SEG_ECANCELED;
    if (res->status == 0)
        for (int i = 0; i < c->nt; i++) {
            double v = i < c->np ? exp(theta[i]) : theta[i];
            if (i < c->np ? v > SEG__CLV_PMAX / 1e3 || v < SEG__CLV_PMIN * 1e3
                          : fabs(v) > GAMMA_MAX / 2)
                return seg__model_error(
                    m, SEG_ECONVERGE, "%s: the fit did not converge: %s "
                    "went to %g, the data do not identify it",
                    seg_model_name(m), unknown_name(c, i), v);
        }
    if (res->status != 0 && c->runaway >= 0)
        return seg__model_error(m, SEG_ECONVERGE, "%s: the fit did not "
                                "converge: %s ran away to %g, the data do "
                                "not identify it", seg_model_name(m),
                                unknown_name(c, c->runaway),
                                c->runaway_value);
    if (res->status != 0)
        return seg__model_error(
            m, SEG_ECONVERGE, "%s: the fit with covariates did not converge "
            "(%s after %d iterations, gradient norm %g): try "
            "covariate_penalty, or check the covariates", seg_model_name(m),
            res->status == 1 ? "iteration limit" : "no descent",
            res->iterations, res->grad_norm);
    return SEG_OK;
}

/* An effect whose covariate is the same for every customer fitted (a
 * level that only customers without a purchase have, a constant column)
 * is not identified: an error naming it, rather than a fit that runs off
 * or standard errors that are NaN. Fixed effects need no such check. */
static int check_varies(const seg_model *m, const covctx *c, const double *z,
                        const size_t *cust, size_t nk)
{
    size_t k = (size_t)c->k;
    for (size_t e = 0; e < k; e++) {
        double first = z[cust[0] * k + e];
        bool varies = false;
        for (size_t i = 1; i < nk && !varies; i++)
            varies = z[cust[i] * k + e] != first;
        if (!varies)
            return seg__model_error(m, SEG_ERANGE, "%s: %s is %g for every "
                                    "customer fitted: the data do not "
                                    "identify its effect", seg_model_name(m),
                                    unknown_name(c, c->np + (int)e), first);
    }
    return SEG_OK;
}

/* Above twice this many customers the effects are first fitted on every
 * k-th customer, about this many, from the fit without covariates; the
 * fit on all then starts there. */
#define START_KEYS 20000

static int subsample_start(const seg_model *m, const covctx *c,
                           const seg__clv_key *keys, const size_t *cust,
                           size_t nk, const double *z, double *theta,
                           int max_iter)
{
    size_t k = nk / START_KEYS, ns = 0;
    seg__clv_key *sk = seg__malloc((nk / k + 1) * sizeof *sk);
    size_t *sc = seg__malloc((nk / k + 1) * sizeof *sc);
    covctx s = *c;
    s.g = NULL;
    s.ng = 0;
    s.total_w = 0;
    s.evals = 0;
    s.runaway = -1;
    int rc = sk && sc ? SEG_OK : seg__nomem(NULL);
    for (size_t i = 0; i < nk && !rc; i += k) {
        sk[ns] = keys[i];
        sc[ns++] = cust[i];
    }
    if (!rc && build_groups(&s, sk, sc, ns, z) != SEG_OK)
        rc = seg__nomem(NULL);
    for (size_t g = 0; g < s.ng && !rc; g++)
        s.total_w += s.g[g].data.total_w;
    double t[SEG__OPT_MAXN];
    memcpy(t, theta, (size_t)c->nt * sizeof *t);
    seg__opt_result res;
    /* a failure here only loses the better start */
    if (!rc && optimise(m, &s, t, max_iter, &res) == SEG_OK)
        memcpy(theta, t, (size_t)c->nt * sizeof *t);
    else if (!rc && seg__progress_canceled(seg__progress_current()))
        rc = SEG_ECANCELED;
    free_groups(&s);
    seg__free(sk);
    seg__free(sc);
    return rc;
}

int seg__clv_fit_cov(const seg_model *m, int kind, const seg_dataset *ds,
                     const seg__clv_key *keys, const size_t *cust, size_t nk,
                     seg__clv_cov *cov, bool fixed, seg__clv_fit *f)
{
    size_t n = seg__ds_n(ds), k = (size_t)cov->k;
    covctx c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.sp = seg__clv_spec_of(kind);
    c.np = c.sp->np;
    c.k = cov->k;
    c.nt = c.np + c.k;
    c.cov = cov;
    c.penalizer = seg__param_num(m, "penalizer");
    c.lambda = seg__param_num(m, "covariate_penalty");
    c.runaway = -1;
    int max_iter = (int)seg__param_num(m, "max_iter");
    c.max_evals = 8L * max_iter;
    c.threads = seg__clv_fit_threads(m, ds);
    seg__clv_cov_signs(kind, c.sign);
    int e = 0;
    for (size_t j = 0; j < cov->n; j++) {
        int proc = cov->e[j].proc;
        if (proc == SEG__COV_REF)
            continue;
        c.on[e][0] = proc & SEG__COV_TRANS ? 1 : 0;
        c.on[e][1] = proc & SEG__COV_LIFE ? 1 : 0;
        e++;
    }
    bool *has = seg__calloc(n ? n : 1, sizeof *has);
    double *z = seg__malloc((n ? n : 1) * (k ? k : 1) * sizeof *z);
    int rc = has && z ? SEG_OK : seg__nomem(NULL);
    for (size_t i = 0; i < nk && !rc; i++)
        has[cust[i]] = true;
    if (!rc)
        rc = seg__clv_cov_values(m, cov, ds, has, z);
    if (!rc && !fixed)
        rc = check_varies(m, &c, z, cust, nk);
    if (!rc && build_groups(&c, keys, cust, nk, z) != SEG_OK)
        rc = seg__nomem(NULL);
    for (size_t g = 0; g < c.ng && !rc; g++)
        c.total_w += c.g[g].data.total_w;
    double theta[SEG__OPT_MAXN], v[SEG__OPT_MAXN], se[SEG__OPT_MAXN];
    e = 0;
    for (size_t j = 0; j < cov->n; j++)
        if (cov->e[j].proc != SEG__COV_REF)
            theta[c.np + e++] = fixed ? cov->e[j].gamma : 0;
    for (int i = 0; i < c.np; i++)
        theta[i] = log(f->p[i]);
    seg__opt_result res = {0, 0, NAN, NAN};
    if (!rc && !fixed && nk > 2 * START_KEYS)
        rc = subsample_start(m, &c, keys, cust, nk, z, theta, max_iter);
    if (!rc && !fixed)
        rc = optimise(m, &c, theta, max_iter, &res);
    if (!rc) {
        for (int i = 0; i < c.nt; i++)
            v[i] = i < c.np ? exp(theta[i]) : theta[i];
        f->loglik = total(&c, v, NULL, NULL);
        if (!isfinite(f->loglik))
            rc = seg__model_error(m, SEG_ERANGE, "%s: the log-likelihood "
                                  "at the fit is not finite",
                                  seg_model_name(m));
    }
    if (!rc) {
        rc = standard_errors(&c, v, se, cov);
    }
    if (!rc) {
        for (int i = 0; i < c.np; i++) {
            f->p[i] = v[i];
            f->se[i] = se[i];
        }
        e = 0;
        for (size_t j = 0; j < cov->n; j++) {
            if (cov->e[j].proc == SEG__COV_REF)
                continue;
            cov->e[j].gamma = v[c.np + e];
            cov->e[j].se = se[c.np + e];
            e++;
        }
        f->iterations += res.iterations;
        if (!fixed)
            f->grad_norm = res.grad_norm;
        f->rows = 0;
        for (size_t g = 0; g < c.ng; g++)
            f->rows += (double)c.g[g].data.n;
    }
    f->evaluations += (double)c.evals;
    free_groups(&c);
    seg__free(has);
    seg__free(z);
    return rc;
}
