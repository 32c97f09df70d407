#!/usr/bin/python3
"""Reference values for tests/test_clv_numerics.c, computed with mpmath
from the definitions of the models (posterior integrals by quadrature,
Gauss hypergeometric function by mpmath), never with libsegment.

Run: /usr/bin/python3 tests/ref/clv_ref.py   (mpmath 1.2.1)
"""
import mpmath as mp

mp.mp.dps = 30
BG = (0.243, 4.414, 0.793, 2.426)
MBG = (0.525, 6.183, 0.891, 1.614)
PNBD = (0.553, 10.578, 0.606, 11.669)
BGBB = (1.204, 0.750, 0.657, 2.783)


def mpf(*v):
    return [x if isinstance(x, mp.mpf) else
            mp.mpf(x if isinstance(x, str) else repr(x)) for x in v]


def lam_moment(r, al, x, T, j, t):
    """integral of lambda^x e^(-lambda T) Pois(j; lambda t) over
    Gamma(r, al), lambda integrated in closed form"""
    return (al**r / mp.gamma(r) * t**j / mp.factorial(j) *
            mp.gamma(r + x + j) / (al + T + t)**(r + x + j))


def beta_pdf(p, a, b):
    return p**(a - 1) * (1 - p)**(b - 1) / mp.beta(a, b)


def beta_quad(h, a, b):
    """integral of h(p) over Beta(a, b), with p = u^(1/a) below 1/2 and
    1 - p = v^(1/b) above, which take away the endpoint singularities"""
    half = mp.mpf(1) / 2
    lo = mp.quad(lambda u: h(u**(1 / a)) * (1 - u**(1 / a))**(b - 1) / a,
                 [0, half**a])
    hi = mp.quad(lambda v: h(1 - v**(1 / b)) * (1 - v**(1 / b))**(a - 1) / b,
                 [0, half**b])
    return (lo + hi) / mp.beta(a, b)


def bg_weights(par, x, tx, T, mod):
    """alive and dead parts of the likelihood as functions of p, lambda
    integrated: (1-p)^(x+m) E[l^x e^-lT], p (1-p)^(x+m-1) E[l^x e^-l tx]"""
    r, al, a, b = mpf(*par)
    m = 1 if mod else 0
    la = lam_moment(r, al, x, T, 0, 0)
    ld = lam_moment(r, al, x, tx, 0, 0)
    alive = lambda p: (1 - p)**(x + m) * la
    if x == 0 and not mod:
        dead = lambda p: 0
    else:
        dead = lambda p: p * (1 - p)**(x + m - 1) * ld
    return alive, dead, a, b


def bg_expected(par, t, x, tx, T, mod):
    """E[purchases in (T, T+t]] = E[1{alive} (1/p)(1 - e^(-lambda p t))]
    over the posterior of (lambda, p), lambda in closed form"""
    r, al, a, b = mpf(*par)
    t, x, tx, T = mpf(t, x, tx, T)
    alive, dead, a, b = bg_weights(par, x, tx, T, mod)
    L = beta_quad(lambda p: alive(p) + dead(p), a, b)
    # E[l^x e^-lT (1 - e^-l p t)] / E[l^x e^-lT]
    # 1 - (1 + p t/A)^-(r+x) by expm1 and log1p: p can be far below the
    # working precision when a is small
    f = lambda p: alive(p) / p * -mp.expm1(-(r + x) *
                                           mp.log1p(p * t / (al + T)))
    return beta_quad(f, a, b) / L


def bg_expected_2d(par, t, x, tx, T, mod):
    """the same by a double integral over lambda and p"""
    r, al, a, b = mpf(*par)
    t, x, tx, T = mpf(t, x, tx, T)
    m = 1 if mod else 0
    g = lambda l: al**r * l**(r - 1) * mp.exp(-al * l) / mp.gamma(r)
    wa = lambda l, p: (1 - p)**(x + m) * l**x * mp.exp(-l * T)
    wd = lambda l, p: (0 if (x == 0 and not mod) else
                       p * (1 - p)**(x + m - 1) * l**x * mp.exp(-l * tx))
    # p = u^(1/a) takes away the singularity of the density at 0
    pd = lambda u: (1 - u**(1 / a))**(b - 1) / (a * mp.beta(a, b))
    num = mp.quad(lambda l, u: g(l) * pd(u) * wa(l, u**(1 / a)) /
                  u**(1 / a) * (1 - mp.exp(-l * u**(1 / a) * t)),
                  [0, 1, mp.inf], [0, 0.5, 1])
    den = mp.quad(lambda l, u: g(l) * pd(u) * (wa(l, u**(1 / a)) +
                                               wd(l, u**(1 / a))),
                  [0, 1, mp.inf], [0, 0.5, 1])
    return num / den


def bg_pmf(par, t, n, x, tx, T, mod):
    """P(n purchases in (T, T+t]): alive, (1-p)^n Pois(n) +
    p (1-p)^(n-1) P(Pois >= n); dead, none"""
    r, al, a, b = mpf(*par)
    t, x, tx, T = mpf(t, x, tx, T)
    alive, dead, a, b = bg_weights(par, x, tx, T, mod)
    la = lam_moment(r, al, x, T, 0, 0)
    L = beta_quad(lambda p: alive(p) + dead(p), a, b)
    pois = [lam_moment(r, al, x, T, j, t) / la for j in range(n + 1)]
    tail = 1 - mp.fsum(pois[:n])

    def f(p):
        v = (1 - p)**n * pois[n]
        if n > 0:
            v += p * (1 - p)**(n - 1) * tail
        return alive(p) * v
    v = beta_quad(f, a, b)
    if n == 0:
        v += beta_quad(dead, a, b)
    return v / L


def bg_pmf_tail(par, t, n, x, tx, T, mod):
    """bg_pmf far in the tail, where quadrature over p of a posterior
    concentrated near 0 is not to be trusted to 1e-9: every integral over
    p of (1-p)^k p^j against Beta(a, b) is a Beta function, and the
    negative binomial tail P(N >= n) is mpmath's regularized incomplete
    beta function instead of 1 - a sum, which would cancel"""
    r, al, a, b = mpf(*par)
    t, x, tx, T = mpf(t, x, tx, T)
    m = 1 if mod else 0
    la = lam_moment(r, al, x, T, 0, 0)
    ld = lam_moment(r, al, x, tx, 0, 0)
    B = mp.beta
    L = la * B(a, b + x + m)
    if x > 0 or mod:
        L += ld * B(a + 1, b + x + m - 1)
    nb = lam_moment(r, al, x, T, n, t) / la
    tail = mp.betainc(n, r + x, 0, t / (al + T + t), regularized=True)
    return la * (nb * B(a, b + x + m + n) +
                 tail * B(a + 1, b + x + m + n - 1)) / L


def bg_unconditional_hyp(par, t):
    """E[X(t)] of BG/NBD, Fader, Hardie and Lee (2005) eq. 9"""
    r, al, a, b = mpf(*par)
    t = mp.mpf(t)
    return ((a + b - 1) / (a - 1) *
            (1 - (al / (al + t))**r * mp.hyp2f1(r, b, a + b - 1, t / (al + t))))


def bg_conditional_hyp(par, t, x, tx, T):
    """BG/NBD conditional expectation, Fader, Hardie and Lee (2005) eq. 10"""
    r, al, a, b = mpf(*par)
    t, x, tx, T = mpf(t, x, tx, T)
    z = t / (al + T + t)
    num = ((a + b + x - 1) / (a - 1) *
           (1 - ((al + T) / (al + T + t))**(r + x) *
            mp.hyp2f1(r + x, b + x, a + b + x - 1, z)))
    d = 1 if x == 0 else 1 + a / (b + x - 1) * ((al + T) / (al + tx))**(r + x)
    return num / d


def pnbd_parts(par, x, tx, T):
    r, al, s, be = mpf(*par)
    x, tx, T = mpf(x, tx, T)
    head = mp.gamma(r + x) * al**r / mp.gamma(r) * be**s
    alive = head / ((al + T)**(r + x) * (be + T)**s)
    dead = head * s * mp.quad(lambda u: (al + u)**(-(r + x)) *
                              (be + u)**(-(s + 1)), [tx, T]) if T > tx else 0
    return alive, dead


def pnbd_p_alive(par, x, tx, T):
    a, d = pnbd_parts(par, x, tx, T)
    return a / (a + d)


PALIVE16 = ((0, 0, 1094), (0, 0, 1), (1, 0, 500), (2, 1093.9, 1094),
            (5, 1093, 1094), (50, 1000, 1094), (300, 1090, 1094),
            (300, 900, 1094), (381, 600, 1094), (10, 0, 1094),
            (1, 1e-3, 1094))


def pnbd_p_alive_steep(par, x, tx, T):
    """pnbd_p_alive with the dropout integrand scaled by its value at t_x
    (mp.quad's tolerance is absolute, and the integral of a large x is
    below 1e-150) and split at t_x + h 2^k / 8, h = (alpha + t_x) /
    (r + s + x + 1) the scale on which it falls by e; checked against
    the closed form with mpmath's hyp2f1 to 1e-25"""
    r, al, s, be = mpf(*par)
    x, tx, T = mpf(x, tx, T)
    if T <= tx:
        return mp.mpf(1)
    lf = lambda u: -(r + x) * mp.log(al + u) - (s + 1) * mp.log(be + u)
    h = (al + tx) / (r + x + s + 1)
    pts = [tx]
    while pts[-1] < T:
        pts.append(min(T, tx + h * 2**(len(pts) - 1) / 8))
    l0 = lf(tx)
    dead = mp.quad(lambda u: mp.exp(lf(u) - l0), pts)
    la = -(r + x) * mp.log(al + T) - s * mp.log(be + T)
    pa = 1 / (1 + s * dead * mp.exp(l0 - la))
    rsx = r + s + x
    big, small, b = (al, be, s + 1) if al >= be else (be, al, r + x)
    F = lambda y: (mp.hyp2f1(rsx, b, rsx + 1, (big - small) / (big + y)) /
                   (big + y)**rsx)
    odds = s / rsx * (F(tx) - F(T)) * (al + T)**(r + x) * (be + T)**s
    assert abs(1 / (1 + odds) / pa - 1) < mp.mpf("1e-25")
    return pa


def pnbd_pmf(par, t, n, x, tx, T):
    """alive now: lambda ~ Gamma(r+x, alpha+T), mu ~ Gamma(s, beta+T);
    stays through t with n purchases, or leaves at tau < t after n;
    a double integral over lambda and tau"""
    r, al, s, be = mpf(*par)
    t, x, tx, T = mpf(t, x, tx, T)
    pa = pnbd_p_alive(par, x, tx, T)
    R, A, B = r + x, al + T, be + T
    # lambda integrated in closed form: a negative binomial in u
    nb = lambda u: (mp.gamma(R + n) / (mp.gamma(R) * mp.factorial(n)) *
                    (A / (A + u))**R * (u / (A + u))**n)
    stay = (B / (B + t))**s * nb(t)
    leave = mp.quad(lambda u: s * B**s / (B + u)**(s + 1) * nb(u),
                    mp.linspace(0, t, 5))
    v = pa * (stay + leave)
    return v + (1 - pa) if n == 0 else v


def bgbb_pmf(par, t, k, x, tx, n):
    """double integral over p and theta of the path probabilities: alive
    through n, then alive for J of the t opportunities and buying at each
    with p"""
    al, be, ga, de = mpf(*par)

    def lik(p, th):
        v = p**x * (1 - p)**(n - x) * (1 - th)**n
        for i in range(n - tx):
            v += p**x * (1 - p)**(tx - x + i) * th * (1 - th)**(tx + i)
        return v

    def fut(p, th):
        v = 0
        for j in range(t + 1):
            pj = (1 - th)**j * th if j < t else (1 - th)**t
            if j >= k:
                v += pj * mp.binomial(j, k) * p**k * (1 - p)**(j - k)
        return p**x * (1 - p)**(n - x) * (1 - th)**n * v

    def dead(p, th):
        return lik(p, th) - p**x * (1 - p)**(n - x) * (1 - th)**n

    # p = 1 - v^(1/beta) and theta = u^(1/gamma) take away the
    # singularities of the two densities (beta < 1, gamma < 1)
    def q2(f):
        g = lambda v, u: (lambda p, th: f(p, th) * p**(al - 1) / be *
                          (1 - th)**(de - 1) / ga)(1 - v**(1 / be), u**(1 / ga))
        return (mp.quad(g, [0, 0.5, 1], [0, 0.5, 1]) /
                (mp.beta(al, be) * mp.beta(ga, de)))
    L = q2(lik)
    num = q2(fut)
    if k == 0:
        num += q2(dead)
    return num / L


def dert(par, x, tx, T, d, upm=4.345, months=12):
    """integral of e^(-k u) dE(u) over (0, H], by parts, E from mpmath's
    hyp2f1 (eq. 10), the integral by mpmath's quadrature"""
    k = mp.log(1 + mp.mpf(d)) / mp.mpf(upm)
    H = months * mp.mpf(upm)
    E = lambda u: bg_conditional_hyp(par, u, x, tx, T)
    pts = [H * i / months for i in range(months + 1)]
    # and geometric points from the scale of E near 0 (alpha + T)
    g = mp.mpf(par[1]) + T
    while g < H:
        pts.append(g)
        g *= 2
    pts = sorted(set(pts))
    return mp.exp(-k * H) * E(H) + k * mp.quad(lambda u: mp.exp(-k * u) *
                                               E(u), pts)


def bgbb_expected(par, t, x, tx, n):
    """Fader, Hardie and Shang (2010) eq. 13, in mpmath"""
    al, be, ga, de = mpf(*par)
    L = mp.beta(al + x, be + n - x) / mp.beta(al, be) * mp.beta(ga, de + n) / mp.beta(ga, de)
    for i in range(n - tx):
        L += (mp.beta(al + x, be + tx - x + i) / mp.beta(al, be) *
              mp.beta(ga + 1, de + tx + i) / mp.beta(ga, de))
    f = lambda g: (mp.gamma(g + de) / mp.gamma(1 + de) *
                   (mp.gamma(1 + de + n) / mp.gamma(g + de + n) -
                    mp.gamma(1 + de + n + t) / mp.gamma(g + de + n + t)) / (g - 1))
    v = f(ga) if ga != 1 else mp.limit(f, ga)
    return (mp.beta(al + x + 1, be + n - x) / mp.beta(al, be) * de / L * v)


# Gamma-Gamma on hand-built repeat buyers (x, mean spend): the maximum of
# the likelihood by Nelder-Mead in floats, then the root of its gradient
# (numerical derivatives at 30 digits) by mpmath's findroot
GG_X = [1, 1, 2, 2, 3, 3, 4, 5, 1, 6, 2, 3, 1, 2, 4, 7]
GG_M = [5, 80, 15, 40, 25, 8, 30, 120, 50, 28, 12, 60, 9, 33, 200, 26]


def gg_ll(p, q, v):
    s = 0
    for x, m in zip(GG_X, GG_M):
        x, m = mpf(x, m)
        s += (mp.loggamma(p * x + q) - mp.loggamma(p * x) - mp.loggamma(q) +
              q * mp.log(v) + (p * x - 1) * mp.log(m) + p * x * mp.log(x) -
              (p * x + q) * mp.log(v + m * x))
    return s


def gg_fit():
    from scipy.optimize import minimize
    import numpy as np
    f = lambda a, b, c: gg_ll(mp.exp(a), mp.exp(b), mp.exp(c))
    start = minimize(lambda t: -float(f(*t)), np.log([2, 3, 20]),
                     method="Nelder-Mead",
                     options=dict(xatol=1e-10, fatol=1e-14, maxiter=20000)).x
    grad = lambda *t: [mp.diff(f, t, tuple(int(i == j) for i in range(3)))
                       for j in range(3)]
    t = mp.findroot(grad, [mp.mpf(v) for v in start])
    return [mp.exp(v) for v in t], f(*t)


def show(name, v):
    print("%-44s %s" % (name, mp.nstr(v, 17)))


if __name__ == "__main__":
    # the integrals over p converge to 1e-16 at 30 digits (at 20, for
    # a < 1/2, only to about 1e-8)
    mp.mp.dps = 30
    # item 1: MBG/NBD
    show("mbg E(39|0,0,0)", bg_expected(MBG, 39, 0, 0, 0, True))
    show("mbg E(39|2,30.43,38.86)", bg_expected(MBG, 39, 2, 30.43, 38.86, True))
    mp.mp.dps = 20
    show("mbg E(39|2,30.43,38.86) 2d", bg_expected_2d(MBG, 39, 2, 30.43, 38.86, True))
    mp.mp.dps = 30
    show("mbg E(10|7,35,38.86)", bg_expected(MBG, 10, 7, 35, 38.86, True))
    # item 2: a + b < 1
    P2 = (0.11, 2.24, 0.31, 0.5)
    show("bg2 E(30|0,0,38.86)", bg_expected(P2, 30, 0, 0, 38.86, False))
    show("bg2 E(30|3,20,38.86)", bg_expected(P2, 30, 3, 20, 38.86, False))
    mp.mp.dps = 40
    show("bg2 E(30|3,20,38.86) hyp", bg_conditional_hyp(P2, 30, 3, 20, 38.86))
    mp.mp.dps = 30
    # item 3: a near 1
    mp.mp.dps = 50
    for a in ("1", "1.000000001", "0.999999999", "1.000001", "0.999999"):
        P = (0.243, 4.414, a, 2.426)
        if a == "1":
            mp.mp.dps = 30
            u = bg_expected(P, 39, 0, 0, 0, False)
            c = bg_expected(P, 39, 2, 30.43, 38.86, False)
            mp.mp.dps = 50
        else:
            u = bg_unconditional_hyp((0.243, 4.414, mp.mpf(a), 2.426), 39)
            c = bg_conditional_hyp((0.243, 4.414, mp.mpf(a), 2.426), 39, 2,
                                   30.43, 38.86)
        show("a=%s E(39)" % a, u)
        show("a=%s E(39|2,30.43,38.86)" % a, c)
    # extreme a and b
    for a, b in (("1e-5", "2.426"), ("1e-10", "2.426"), ("0.793", "1e-10"),
                 ("0.793", "1e10"), ("0.793", "0.01"), ("0.01", "0.01"),
                 ("0.001", "0.2")):
        P = (0.243, 4.414, a, b)
        show("a=%s b=%s E(52|2,30.43,38.86) hyp" % (a, b),
             bg_conditional_hyp(P, 52, 2, 30.43, 38.86))
        show("a=%s b=%s E(52|0,0,38.86)" % (a, b),
             bg_expected(P, 52, 0, 0, 38.86, False))
    # item 6: large t
    for t in (1e5, 3e5, 1e7, 1e9):
        show("bg E(%g)" % t, bg_unconditional_hyp(BG, t))
    mp.mp.dps = 30
    # item 5: conditional pmf
    for (t, n, x, tx, T) in ((39, 0, 2, 30.43, 38.86), (39, 1, 2, 30.43, 38.86),
                             (39, 5, 2, 30.43, 38.86), (10, 3, 0, 0, 20),
                             (100, 40, 10, 35, 38)):
        show("bg pmf(%g,%d|%g,%g,%g)" % (t, n, x, tx, T),
             bg_pmf(BG, t, n, x, tx, T, False))
        show("mbg pmf(%g,%d|%g,%g,%g)" % (t, n, x, tx, T),
             bg_pmf(MBG, t, n, x, tx, T, True))
    for (t, n, x, tx, T) in ((39, 300, 0, 0, 0), (39, 150, 2, 30.43, 38.86),
                             (500, 2000, 10, 35, 38)):
        show("bg pmf tail(%g,%d|%g,%g,%g)" % (t, n, x, tx, T),
             bg_pmf_tail(BG, t, n, x, tx, T, False))
        show("mbg pmf tail(%g,%d|%g,%g,%g)" % (t, n, x, tx, T),
             bg_pmf_tail(MBG, t, n, x, tx, T, True))
    for (t, n, x, tx, T) in ((39, 0, 2, 30.43, 38.86), (39, 1, 2, 30.43, 38.86),
                             (39, 5, 2, 30.43, 38.86), (10, 3, 0, 0, 20)):
        show("pnbd pmf(%g,%d|%g,%g,%g)" % (t, n, x, tx, T),
             pnbd_pmf(PNBD, t, n, x, tx, T))
    mp.mp.dps = 15
    for (t, k, x, tx, n) in ((5, 0, 3, 5, 6), (5, 2, 3, 5, 6), (5, 5, 6, 6, 6),
                             (3, 1, 0, 0, 6)):
        show("bgbb pmf(%d,%d|%d,%d,%d)" % (t, k, x, tx, n),
             bgbb_pmf(BGBB, t, k, x, tx, n))
    mp.mp.dps = 20
    mp.mp.dps = 50
    for g in ("1", "1.000000001", "0.999999", "100000"):
        show("bgbb gamma=%s E(5|3,5,6)" % g,
             bgbb_expected((1.204, 0.750, g, 2.783), 5, 3, 5, 6))
    mp.mp.dps = 20
    # item 7: Pareto/NBD with a tiny beta
    P7 = (0.553, 10.578, 0.606, 1e-9)
    for (x, tx, T) in ((0, 0, 38.86), (2, 30.43, 38.86), (1, 0.5, 30)):
        show("pnbd7 p_alive(%g,%g,%g)" % (x, tx, T), pnbd_p_alive(P7, x, tx, T))
    # issue 16: Pareto/NBD P(alive) over t_x = 0, t_x near T, large x,
    # alpha < beta (the 1M bench's fit) and alpha > beta
    mp.mp.dps = 30
    for par in ((1.161831503, 34.7979112, 0.6901860487, 195.2357393),
                (0.553, 110.578, 0.606, 11.669)):
        for (x, tx, T) in PALIVE16:
            show("pnbd16 %s p_alive(%g,%g,%g)" % (par[1], x, tx, T),
                 pnbd_p_alive_steep(par, x, tx, T))
    # item 8: DERT at small, middle and maximal rates
    for d in (0.01, 1, 10):
        show("dert d=%g (2,30.43,38.86)" % d, dert(BG, 2, 30.43, 38.86, d))
    mp.mp.dps = 25
    for upm, d in ((30, 1), (1e6, 0.01), (1e6, 10), (1e-6, 10)):
        show("dert upm=%g d=%g (2,30.43,38.86)" % (upm, d),
             dert(BG, 2, 30.43, 38.86, d, upm=upm))
    # issue 12: Gamma-Gamma without the repeat buyers whose mean spend is
    # not positive
    (gp, gq, gv), gl = gg_fit()
    show("gg hand-built p", gp)
    show("gg hand-built q", gq)
    show("gg hand-built gamma", gv)
    show("gg hand-built loglik", gl)
    show("gg hand-built population mean", gp * gv / (gq - 1))
