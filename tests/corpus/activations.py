"""The corpus: activations that are not built into actcli, with answers derived here.

Each entry gives our own formula for f (on corpus.jets, so f' and f'' come from the chain rule
with hand-written primitive derivatives, at 50+ digits), and the answers with a one-line
derivation each. An extremum that has no closed form is located with mpmath.findroot on the
derivative written out by hand next to it (the corpus self-test checks that derivative against
mpmath.diff). Nothing here was copied from actcli's output.

Notation: s = sigmoid, s' = s(1 - s), sech2 = sech**2, W = Lambert W (principal branch).
"""

from __future__ import annotations

from fractions import Fraction as F

from mpmath import mp, mpf

from corpus.jets import (
    NAN,
    abs_,
    atan,
    cos,
    cosh,
    erf,
    exp,
    heaviside,
    log,
    max_,
    min_,
    num,
    sigmoid,
    sign,
    sin,
    softplus,
    sqrt,
    tanh,
)
from corpus.model import Entry, at, interval, union

INF = "inf"


def _s(x):
    return 1 / (1 + mp.exp(-x))


def _root(df, guess):
    """A zero of a hand-derived derivative, at 50 digits."""
    return mp.findroot(df, mpf(guess))


def _value(f, x):
    return f(mpf(x))


def build() -> list[Entry]:
    with mp.workdps(50):
        return _build()


def _build() -> list[Entry]:  # noqa: C901 - one long list of data
    e = mp.e
    w1 = mp.lambertw(1 / e).real  # W(1/e) = 0.27846...: min of u*s(u) is -W(1/e) (see swish)
    entries: list[Entry] = []
    add = entries.append

    # -- from papers and the Wikipedia activation table -------------------------------------

    add(
        Entry(
            "squareplus",
            "Barron, J. T. (2021). Squareplus: A Softplus-Like Algebraic Rectifier. "
            "arXiv:2112.11687 (b = 4)",
            lambda x: (x + sqrt(x**2 + 4)) / 2,
            expr="(x + sqrt(x**2 + 4))/2",
            # analytic: x**2 + 4 > 0 everywhere
            smoothness="Cinf",
            # f = 2/(sqrt(x^2+4) - x) > 0; f -> 0 as x -> -oo, f >= x -> oo
            range=interval(0, None, False, False),
            # f' = (1 + x/sqrt(x^2+4))/2 > 0 since |x| < sqrt(x^2+4)
            monotonic="increasing",
            # f' < 1 and f' -> 1 as x -> oo (not attained)
            max_abs_derivative=mpf(1),
            moments="quad",
        )
    )
    add(
        Entry(
            "isru",
            "Carlile et al. (2017). Improving Deep Learning by Inverse Square Root Linear "
            "Units (ISRLUs). arXiv:1710.09967 (ISRU, alpha = 1)",
            lambda x: x / sqrt(1 + x**2),
            expr="x/sqrt(1 + x**2)",
            smoothness="Cinf",  # analytic, 1 + x^2 > 0
            # |x| < sqrt(1 + x^2): |f| < 1; f -> +-1 at +-oo, not attained
            range=interval(-1, 1, False, False),
            monotonic="increasing",  # f' = (1 + x^2)^(-3/2) > 0
            max_abs_derivative=mpf(1),  # f' = (1 + x^2)^(-3/2), largest at x = 0
            moments="quad",
        )
    )
    add(
        Entry(
            "isru_quarter",
            "ISRU with alpha = 1/4, written 2x/sqrt(4 + x^2) (Carlile et al. 2017)",
            lambda x: 2 * x / sqrt(4 + x**2),
            expr="2*x/sqrt(4 + x**2)",
            smoothness="Cinf",
            # = x/sqrt(1 + x^2/4): |f| < 2, -> +-2 at +-oo, not attained
            range=interval(-2, 2, False, False),
            monotonic="increasing",  # f' = 8/(4 + x^2)^(3/2) > 0
            max_abs_derivative=mpf(1),  # 8/4^(3/2) = 1 at x = 0
            moments="quad",
        )
    )
    add(
        Entry(
            "isrlu",
            "Carlile et al. (2017). ISRLU: x for x >= 0, x/sqrt(1 + alpha x^2) below "
            "(alpha = 1). arXiv:1710.09967",
            lambda x: x if val0(x) >= 0 else x / sqrt(1 + x**2),
            pieces=(("x >= 0", "x"), (None, "x/sqrt(1 + x**2)")),
            # left piece g = x(1+x^2)^(-1/2): g(0) = 0, g'(0) = 1, g''(0) = 0 (g' = (1+x^2)^(-3/2),
            # g'' = -3x(1+x^2)^(-5/2)), g'''(0) = -3 against 0 on the right: C2, not C3
            smoothness="C2",
            # x >= 0 gives [0, oo); x < 0 gives (-1, 0): g -> -1 at -oo
            range=interval(-1, None, False, False),
            monotonic="increasing",  # g' > 0 and 1 > 0
            breakpoints={0.0: at(0, 1, 0)},
            max_abs_derivative=mpf(1),  # 1 on x >= 0, g' < 1 on x < 0
            moments="quad",
        )
    )
    add(
        Entry(
            "bent_identity",
            "Bent identity, Wikipedia 'Activation function' table",
            lambda x: (sqrt(x**2 + 1) - 1) / 2 + x,
            expr="(sqrt(x**2 + 1) - 1)/2 + x",
            smoothness="Cinf",
            # f' = x/(2 sqrt(x^2+1)) + 1 in (1/2, 3/2): f -> -oo at -oo (slope >= 1/2), oo at oo
            range=interval(None, None, False, False),
            monotonic="increasing",
            max_abs_derivative=mpf(3) / 2,  # sup of f', approached as x -> oo
            moments="quad",
        )
    )
    add(
        Entry(
            "soft_clipping",
            "Klimek, M. D. & Perelstein, M. (2018). Neural Network-Based Approach to Phase "
            "Space Integration. arXiv:1810.11509 (soft clipping, a = 1)",
            lambda x: log((1 + exp(x)) / (1 + exp(x - 1))),
            expr="log((1 + exp(x))/(1 + exp(x - 1)))",
            smoothness="Cinf",
            # f = softplus(x) - softplus(x - 1): -> 0 at -oo, -> x - (x - 1) = 1 at oo
            range=interval(0, 1, False, False),
            # f' = s(x) - s(x - 1) > 0 (s increasing)
            monotonic="increasing",
            # f'' = s'(x) - s'(x - 1) = 0 at x = 1/2 (s' even): f'(1/2) = s(1/2) - s(-1/2)
            # = tanh(1/4)
            max_abs_derivative=mp.tanh(mpf(1) / 4),
            moments="quad",
        )
    )
    add(
        Entry(
            "sqnl",
            "Wuraola, A. & Patel, N. (2018). SQNL: A New Computationally Efficient Activation "
            "Function. IJCNN 2018",
            _sqnl,
            pieces=(
                ("x > 2", "1"),
                ("x >= 0", "x - x**2/4"),
                ("x >= -2", "x + x**2/4"),
                (None, "-1"),
            ),
            # f' = 0 | 1 - x/2 | 1 + x/2 | 0: continuous (0 at +-2, 1 at 0); f'' = 0 | -1/2 |
            # 1/2 | 0 jumps at -2, 0, 2: C1
            smoothness="C1",
            # f = -1 on x <= -2, 1 on x >= 2, monotone in between
            range=interval(-1, 1, True, True),
            monotonic="nondecreasing",  # f' >= 0, = 0 on |x| >= 2
            breakpoints={-2.0: at(-1, 0, None), 0.0: at(0, 1, None), 2.0: at(1, 0, None)},
            max_abs_derivative=mpf(1),  # f'(0) = 1
            moments="quad",
        )
    )
    sinc_t = _root(lambda t: t * mp.cos(t) - mp.sin(t), "4.49")  # sinc' = 0 <=> tan t = t
    sinc_min = mp.sin(sinc_t) / sinc_t  # the global min (|sinc| <= 1/|x| beyond)
    # sinc'' = -sin/x - 2cos/x^2 + 2sin/x^3 = 0 at the steepest point, near 2.08
    sinc_x2 = _root(lambda x: -mp.sin(x) / x - 2 * mp.cos(x) / x**2 + 2 * mp.sin(x) / x**3, "2.08")
    sinc_slope = abs((sinc_x2 * mp.cos(sinc_x2) - mp.sin(sinc_x2)) / sinc_x2**2)
    sinc_range = interval(sinc_min, 1, True, True)  # 1 = sinc(0) attained; |sin x| < |x|
    add(
        Entry(
            "sinc_spec",
            "sinc, Wikipedia 'Activation function' table (value 1 at 0 by definition)",
            lambda x: 1 if val0(x) == 0 else sin(x) / x,
            pieces=(("x == 0", "1"), (None, "sin(x)/x")),
            # sin(x)/x = 1 - x^2/6 + x^4/120 - ...: the value 1 at 0 is the limit; analytic
            smoothness="Cinf",
            range=sinc_range,
            monotonic="none",  # increases on (-t*, 0), decreases on (0, t*)
            breakpoints={0.0: at(1, 0, F(-1, 3))},  # Taylor: f''(0) = 2*(-1/6)
            max_abs_derivative=sinc_slope,
            moments="quad",
        )
    )
    add(
        Entry(
            "sinc_expr",
            "sin(x)/x as an expression: a removable singularity at 0 (filled by its limit)",
            lambda x: sin(x) / x,
            expr="sin(x)/x",
            smoothness="Cinf",  # the limit 1 fills the gap; the extension is analytic
            range=sinc_range,
            monotonic="none",
            breakpoints={0.0: at(1, 0, F(-1, 3))},
            max_abs_derivative=sinc_slope,
            moments="quad",
        )
    )
    add(
        Entry(
            "gaussian",
            "Gaussian, Wikipedia 'Activation function' table",
            lambda x: exp(-(x**2)),
            expr="exp(-x**2)",
            smoothness="Cinf",
            range=interval(0, 1, False, True),  # max 1 at x = 0; -> 0 at +-oo, never 0
            monotonic="none",  # f' = -2x exp(-x^2) changes sign at 0
            # f'' = (4x^2 - 2) exp(-x^2) = 0 at x^2 = 1/2: |f'| = sqrt(2) exp(-1/2)
            max_abs_derivative=mp.sqrt(2 / e),
            # E[exp(-z^2)] = 1/sqrt(3), E[exp(-2z^2)] = 1/sqrt(5) (E[exp(-a z^2)] = (1+2a)^-1/2)
            moments=(1 / mp.sqrt(3), 1 / mp.sqrt(5)),
        )
    )

    def swish(beta):
        # u = beta x: f = u s(u)/beta; (u s(u))' = s(u)(1 + u(1 - s(u))) = 0 at
        # e^u = -(u + 1), u* = -1 - W(1/e), where u s(u) = u + 1 = -W(1/e)
        return interval(-w1 / beta, None, True, False)

    add(
        Entry(
            "swish_1702",
            "x*sigmoid(1.702x), the sigmoid approximation of GELU (Hendrycks & Gimpel 2016, "
            "arXiv:1606.08415); Swish-beta of Ramachandran et al. (2017), arXiv:1710.05941",
            lambda x: x * sigmoid(num("1.702") * x),
            expr="x*sigmoid(1.702*x)",
            smoothness="Cinf",
            range=swish(num("1.702")),
            monotonic="none",
            moments="quad",
        )
    )
    add(
        Entry(
            "swish_beta",
            "Swish-beta x*sigmoid(beta*x), beta = 1.5 given with --param (Ramachandran et al. "
            "2017, arXiv:1710.05941)",
            lambda x: x * sigmoid(num("1.5") * x),
            expr="x*sigmoid(beta*x)",
            params=(("beta", "1.5"),),
            smoothness="Cinf",
            range=swish(num("1.5")),
            monotonic="none",
            moments="quad",
        )
    )
    add(
        Entry(
            "e_swish",
            "Alcaide, E. (2018). E-swish: Adjusting Activations to Different Network Depths. "
            "arXiv:1801.07145 (beta = 1.375)",
            lambda x: num("1.375") * x * sigmoid(x),
            expr="1.375*x*sigmoid(x)",
            smoothness="Cinf",
            # 1.375 times SiLU, whose min is -W(1/e) (see swish)
            range=interval(-num("1.375") * w1, None, True, False),
            monotonic="none",
            moments="quad",
        )
    )
    add(
        Entry(
            "arctan",
            "ArcTan, Wikipedia 'Activation function' table",
            lambda x: atan(x),
            expr="atan(x)",
            smoothness="Cinf",
            range=interval(-mp.pi / 2, mp.pi / 2, False, False, "-pi/2", "pi/2"),
            monotonic="increasing",  # 1/(1 + x^2) > 0
            max_abs_derivative=mpf(1),
            moments="quad",
        )
    )
    add(
        Entry(
            "softsign_squared",
            "x/(1 + |x|)^2, a softsign variant (course exercise: a bounded, non-monotone softsign)",
            lambda x: x / (1 + abs_(x)) ** 2,
            expr="x/(1 + abs(x))**2",
            # x > 0: f' = (1 - x)/(1 + x)^3 -> 1, f'' = -(1+x)^-3 - 3(1-x)(1+x)^-4 -> -4;
            # x < 0: f' = (1 + x)/(1 - x)^3 -> 1, f'' -> 4: C1
            smoothness="C1",
            # f' = 0 at |x| = 1: f(+-1) = +-1/4 attained; f -> 0 at +-oo
            range=interval(F(-1, 4), F(1, 4), True, True, "-1/4", "1/4"),
            monotonic="none",
            breakpoints={0.0: at(0, 1, None)},
            # |f'| = |1 - |x||/(1 + |x|)^3: 1 at 0; at most 1/27-ish for |x| > 1
            max_abs_derivative=mpf(1),
            moments="quad",
        )
    )
    lisht_x = _root(lambda x: x * mp.tanh(x) - 1, "1.2")
    add(
        Entry(
            "lisht",
            "Roy, S. K. et al. (2019). LiSHT: Non-Parametric Linearly Scaled Hyperbolic Tangent "
            "Activation Function. arXiv:1901.05894",
            lambda x: x * tanh(x),
            expr="x*tanh(x)",
            smoothness="Cinf",
            range=interval(0, None, True, False),  # x tanh x >= 0, = 0 only at 0
            monotonic="none",  # even, increasing on x > 0
            # f'' = 2 sech2(x)(1 - x tanh x) = 0 at x tanh x = 1, where
            # f' = tanh + x sech2 = tanh + x - x tanh^2 = x (using x tanh = 1); f' -> 1 at oo
            max_abs_derivative=lisht_x,
            moments="quad",
        )
    )

    def serf_d(x):  # d/dx x erf(sp(x)) = erf(sp) + x (2/sqrt(pi)) exp(-sp^2) s(x)
        sp = mp.log1p(mp.exp(x))
        return mp.erf(sp) + x * 2 / mp.sqrt(mp.pi) * mp.exp(-(sp**2)) * _s(x)

    serf_x = _root(serf_d, "-0.9")
    add(
        Entry(
            "serf",
            "Nag, S. & Bhattacharyya, M. (2021). SERF: Towards better training of deep neural "
            "networks using log-Softplus ERror activation Function. arXiv:2108.09598",
            lambda x: x * erf(softplus(x)),
            expr="x*erf(softplus(x))",
            smoothness="Cinf",
            # x -> -oo: erf(sp) ~ (2/sqrt(pi)) e^x, f -> 0-; the min at serf_d = 0
            range=interval(
                _value(lambda t: t * mp.erf(mp.log1p(mp.exp(t))), serf_x), None, True, False
            ),
            monotonic="none",
            moments="quad",
        )
    )

    def smish_d(x):  # L = log(1 + s): f' = tanh(L) + x sech2(L) s'/(1 + s)
        s = _s(x)
        L = mp.log1p(s)
        return mp.tanh(L) + x * mp.sech(L) ** 2 * s * (1 - s) / (1 + s)

    smish_x = _root(smish_d, "-1.3")
    add(
        Entry(
            "smish",
            "Wang, X., Ren, H. & Wang, A. (2022). Smish: A Novel Activation Function for Deep "
            "Learning Methods. Electronics 11(4), 540",
            lambda x: x * tanh(log(1 + sigmoid(x))),
            expr="x*tanh(log(1 + sigmoid(x)))",
            smoothness="Cinf",
            # x -> -oo: tanh(log(1 + s)) ~ s ~ e^x: f -> 0-; x -> oo: f ~ x tanh(log 2) -> oo
            range=interval(smish_x * mp.tanh(mp.log1p(_s(smish_x))), None, True, False),
            monotonic="none",
            moments="quad",
        )
    )

    def tanhexp_d(x):  # f' = tanh(e^x) + x e^x sech2(e^x)
        return mp.tanh(mp.exp(x)) + x * mp.exp(x) * mp.sech(mp.exp(x)) ** 2

    tanhexp_x = _root(tanhexp_d, "-1.1")
    add(
        Entry(
            "tanhexp",
            "Liu, X. & Di, X. (2020). TanhExp: A Smooth Activation Function with High "
            "Convergence Speed for Lightweight Neural Networks. arXiv:2003.09855",
            lambda x: x * tanh(exp(x)),
            expr="x*tanh(exp(x))",
            smoothness="Cinf",
            # x -> -oo: tanh(e^x) ~ e^x, f -> 0-; x -> oo: f ~ x
            range=interval(tanhexp_x * mp.tanh(mp.exp(tanhexp_x)), None, True, False),
            monotonic="none",
            moments="quad",
        )
    )

    def logish_d(x):  # f' = log(1 + s) + x s'/(1 + s)
        s = _s(x)
        return mp.log1p(s) + x * s * (1 - s) / (1 + s)

    logish_x = _root(logish_d, "-1.3")
    add(
        Entry(
            "logish",
            "Zhu, H. et al. (2021). Logish: A new nonlinear nonmonotonic activation function "
            "for convolutional neural network. Neurocomputing 458",
            lambda x: x * log(1 + sigmoid(x)),
            expr="x*log(1 + sigmoid(x))",
            smoothness="Cinf",
            # x -> -oo: log(1 + s) ~ e^x, f -> 0-; x -> oo: f ~ x log 2
            range=interval(logish_x * mp.log1p(_s(logish_x)), None, True, False),
            monotonic="none",
            moments="quad",
        )
    )

    def elish_d(x):  # g = (e^x - 1) s: g' = e^x s + (e^x - 1) s'
        s = _s(x)
        return mp.exp(x) * s + mp.expm1(x) * s * (1 - s)

    elish_x = _root(elish_d, "-1.2")
    add(
        Entry(
            "elish",
            "Basirat, M. & Roth, P. M. (2018). The Quest for the Golden Activation Function. "
            "arXiv:1808.00783 (ELiSH)",
            lambda x: x * sigmoid(x) if val0(x) >= 0 else (exp(x) - 1) * sigmoid(x),
            pieces=(("x >= 0", "x*sigmoid(x)"), (None, "(exp(x) - 1)*sigmoid(x)")),
            # at 0: f = 0 both sides; f' right s + x s' -> 1/2, left e^x s + (e^x - 1)s' -> 1/2;
            # f'' right 2s' + x s'' -> 1/2, left e^x s + 2e^x s' + (e^x - 1)s'' -> 1: C1
            smoothness="C1",
            # x >= 0: [0, oo); x < 0: g < 0, g -> 0 at -oo, min where elish_d = 0
            range=interval(mp.expm1(elish_x) * _s(elish_x), None, True, False),
            monotonic="none",
            breakpoints={0.0: at(0, F(1, 2), None)},
            moments="quad",
        )
    )
    # hard ELiSH: h = max(0, min(1, (x + 1)/2)); on [-1, 0): g = (e^x - 1)(x + 1)/2,
    # g' = (e^x (x + 2) - 1)/2 = 0 <=> (x + 2) e^(x + 2) = e^2 <=> x = W(e^2) - 2,
    # where g = -(x + 1)^2 / (2(x + 2)) (using e^x = 1/(x + 2))
    he_x = mp.lambertw(e**2).real - 2
    add(
        Entry(
            "hard_elish",
            "Basirat, M. & Roth, P. M. (2018). arXiv:1808.00783 (HardELiSH)",
            _hard_elish,
            pieces=(
                ("x >= 0", "x*max(0, min(1, (x + 1)/2))"),
                (None, "(exp(x) - 1)*max(0, min(1, (x + 1)/2))"),
            ),
            # f = 0 | (e^x - 1)(x+1)/2 | x(x+1)/2 | x on x < -1 | [-1, 0) | [0, 1) | x >= 1;
            # continuous (0, 0, 1 at -1, 0, 1); f' at -1: 0 vs (1/e - 1)/2, at 1: 3/2 vs 1
            smoothness="C0",
            range=interval(-((he_x + 1) ** 2) / (2 * (he_x + 2)), None, True, False),
            monotonic="none",
            breakpoints={
                -1.0: at(0, None, None),
                # f' at 0: (e^0 (0 + 2) - 1)/2 = 1/2 = (2*0 + 1)/2; f'': e^x(x + 3)/2 = 3/2 vs 1
                0.0: at(0, F(1, 2), None),
                1.0: at(1, None, None),
            },
            # |f'| < 3/2 on (0, 1) (f' = x + 1/2), 1 beyond, |g'| <= 1/2 on (-1, 0): sup 3/2
            max_abs_derivative=mpf(3) / 2,
            moments="quad",
        )
    )
    add(
        Entry(
            "reu",
            "Ying, Y. et al. (2019). Rectified Exponential Units for Convolutional Neural "
            "Networks. IEEE Access 7 (REU: x for x > 0, x e^x otherwise)",
            lambda x: x if val0(x) > 0 else x * exp(x),
            pieces=(("x > 0", "x"), (None, "x*exp(x)")),
            # (x e^x)' = (1 + x)e^x -> 1, (x e^x)'' = (2 + x)e^x -> 2 vs 0: C1
            smoothness="C1",
            range=interval(-1 / e, None, True, False, "-exp(-1)"),  # min of x e^x at x = -1
            monotonic="none",
            breakpoints={0.0: at(0, 1, None)},
            # |(1 + x) e^x| <= 1 on x < 0 (max 1 at 0-, min -e^-2 at -2), 1 on x > 0
            max_abs_derivative=mpf(1),
            moments="quad",
        )
    )

    def pflu_d(x):  # f = x(1 + x/r)/2, r = sqrt(1 + x^2): f' = (1 + x/r)/2 + x/(2 r^3)
        r = mp.sqrt(1 + x**2)
        return (1 + x / r) / 2 + x / (2 * r**3)

    pflu_x = _root(pflu_d, "-0.6")
    add(
        Entry(
            "pflu",
            "Zhu, M., Min, W. et al. (2021). PFLU and FPFLU: Two novel non-monotonic activation "
            "functions in convolutional neural networks. Neurocomputing 429",
            lambda x: x * (1 + x / sqrt(1 + x**2)) / 2,
            expr="x*(1 + x/sqrt(1 + x**2))/2",
            smoothness="Cinf",
            # x -> -oo: 1 + x/r ~ 1/(2x^2), f ~ 1/(4x) -> 0-; min where pflu_d = 0
            range=interval(
                _value(lambda t: t * (1 + t / mp.sqrt(1 + t**2)) / 2, pflu_x), None, True, False
            ),
            monotonic="none",
            moments="quad",
        )
    )
    add(
        Entry(
            "softplus_minus_relu",
            "log(1 + exp(x)) - max(0, x) = log(1 + exp(-|x|)) (the softplus/ReLU gap)",
            lambda x: log(1 + exp(x)) - max_(0, x),
            expr="log(1 + exp(x)) - max(0, x)",
            breakpoints={0.0: at(mp.log(2), None, None)},  # f' = s(x) - H(x): 1/2 vs -1/2
            smoothness="C0",
            # = log(1 + e^-|x|) in (0, log 2], max log 2 at 0, -> 0 at +-oo
            range=interval(0, mp.log(2), False, True, None, "log(2)"),
            monotonic="none",
            max_abs_derivative=mpf(1) / 2,  # |s(x) - H(x)| < 1/2, -> 1/2 at 0
            moments="quad",
        )
    )
    add(
        Entry(
            "gcu",
            "Noel, M. M. et al. (2021). Growing Cosine Unit. arXiv:2108.12943 (x cos x)",
            lambda x: x * cos(x),
            expr="x*cos(x)",
            smoothness="Cinf",
            # x cos x = x at x = 2 k pi: unbounded both ways
            range=interval(None, None, False, False),
            monotonic="none",
            max_abs_derivative=mpf("inf"),  # f' = cos x - x sin x
            # E[z cos z] = 0 (odd); E[z^2 cos^2 z] = 1/2 + E[z^2 cos 2z]/2 = 1/2 - (3/2)e^-2
            # (E[z^2 cos tz] = -(d/dt)^2 e^(-t^2/2) = (1 - t^2) e^(-t^2/2))
            moments=(mpf(0), mpf(1) / 2 - mpf(3) / 2 * mp.exp(-2)),
        )
    )
    add(
        Entry(
            "snake",
            "Ziyin, L., Hartwig, T. & Ueda, M. (2020). Neural Networks Fail to Learn Periodic "
            "Functions and How to Fix It. arXiv:2006.08195 (Snake, a = 1)",
            lambda x: x + sin(x) ** 2,
            expr="x + sin(x)**2",
            smoothness="Cinf",
            range=interval(None, None, False, False),  # x - 0 <= f <= x + 1
            # f' = 1 + sin 2x >= 0, zero only at isolated points: strictly increasing
            monotonic="increasing",
            max_abs_derivative=mpf(2),  # 1 + sin 2x <= 2, at x = pi/4
            moments="quad",
        )
    )
    add(
        Entry(
            "sine",
            "Sitzmann, V. et al. (2020). Implicit Neural Representations with Periodic "
            "Activation Functions (SIREN). arXiv:2006.09661",
            lambda x: sin(x),
            expr="sin(x)",
            smoothness="Cinf",
            range=interval(-1, 1, True, True),
            monotonic="none",
            max_abs_derivative=mpf(1),
            # E[sin z] = 0; E[sin^2 z] = (1 - E[cos 2z])/2 = (1 - e^-2)/2
            moments=(mpf(0), (1 - mp.exp(-2)) / 2),
        )
    )

    # -- course material: textbook forms written out -----------------------------------------

    add(
        Entry(
            "bipolar_sigmoid",
            "Bipolar sigmoid (1 - e^-x)/(1 + e^-x) = tanh(x/2), course material",
            lambda x: (1 - exp(-x)) / (1 + exp(-x)),
            expr="(1 - exp(-x))/(1 + exp(-x))",
            smoothness="Cinf",
            range=interval(-1, 1, False, False),  # tanh(x/2)
            monotonic="increasing",
            max_abs_derivative=mpf(1) / 2,  # sech2(x/2)/2 at 0
            moments="quad",
        )
    )
    add(
        Entry(
            "cloglog",
            "Complementary log-log 1 - exp(-exp(x)), the inverse link of GLMs (course material)",
            lambda x: 1 - exp(-exp(x)),
            expr="1 - exp(-exp(x))",
            smoothness="Cinf",
            range=interval(0, 1, False, False),
            monotonic="increasing",  # f' = e^x exp(-e^x) > 0
            max_abs_derivative=1 / e,  # u e^-u (u = e^x) is largest at u = 1
            moments="quad",
        )
    )
    add(
        Entry(
            "gumbel",
            "exp(-exp(-x)), the Gumbel CDF as a sigmoid (course material)",
            lambda x: exp(-exp(-x)),
            expr="exp(-exp(-x))",
            smoothness="Cinf",
            range=interval(0, 1, False, False),
            monotonic="increasing",
            max_abs_derivative=1 / e,  # u e^-u with u = e^-x
            moments="quad",
        )
    )
    add(
        Entry(
            "elliott",
            "Elliott, D. L. (1993). A better activation function for artificial neural "
            "networks. ISR TR 93-8 (x/(2(1 + |x|)) + 1/2)",
            lambda x: x / (2 * (1 + abs_(x))) + F(1, 2),
            expr="x/(2*(1 + abs(x))) + 1/2",
            # f' = 1/(2(1 + |x|)^2) -> 1/2 both sides; f'' = -sign(x)/(1 + |x|)^3: -1 vs 1
            smoothness="C1",
            range=interval(0, 1, False, False),
            monotonic="increasing",
            breakpoints={0.0: at(F(1, 2), F(1, 2), None)},
            max_abs_derivative=mpf(1) / 2,
            moments="quad",
        )
    )
    add(
        Entry(
            "clipped_relu3",
            "min(max(0, x), 3): a clipped ReLU with ceiling 3 (course material)",
            lambda x: min_(max_(0, x), 3),
            expr="min(max(0, x), 3)",
            smoothness="C0",  # slopes 0 | 1 | 0 meet at 0 and 3
            range=interval(0, 3, True, True),
            monotonic="nondecreasing",
            breakpoints={0.0: at(0, None, None), 3.0: at(3, None, None)},
            max_abs_derivative=mpf(1),
            moments="quad",
        )
    )
    add(
        Entry(
            "absolute",
            "|x|, the absolute-value rectifier (Jarrett et al. 2009)",
            lambda x: abs_(x),
            expr="abs(x)",
            smoothness="C0",
            range=interval(0, None, True, False),
            monotonic="none",
            breakpoints={0.0: at(0, None, None)},
            max_abs_derivative=mpf(1),
            moments=(mp.sqrt(2 / mp.pi), mpf(1)),  # E|z| = sqrt(2/pi), E z^2 = 1
        )
    )
    add(
        Entry(
            "erf",
            "erf(x) as an activation (course material)",
            lambda x: erf(x),
            expr="erf(x)",
            smoothness="Cinf",
            range=interval(-1, 1, False, False),
            monotonic="increasing",
            max_abs_derivative=2 / mp.sqrt(mp.pi),  # (2/sqrt(pi)) e^(-x^2) at 0
            # E[erf(z)^2] = (2/pi) asin(2/3) (Gaussian orthant formula)
            moments=(mpf(0), 2 / mp.pi * mp.asin(mpf(2) / 3)),
        )
    )
    add(
        Entry(
            "penalized_tanh",
            "Xu, B., Huang, R. & Li, M. (2016). Revise Saturated Activation Functions. "
            "arXiv:1602.05980 (a = 1/4)",
            lambda x: tanh(x) if val0(x) > 0 else tanh(x) / 4,
            pieces=(("x > 0", "tanh(x)"), (None, "0.25*tanh(x)")),
            smoothness="C0",  # f' -> 1/4 from the left, 1 from the right
            range=interval(F(-1, 4), 1, False, False, "-1/4"),
            monotonic="increasing",
            breakpoints={0.0: at(0, None, None)},
            max_abs_derivative=mpf(1),  # sech2 -> 1 as x -> 0+
            moments="quad",
        )
    )
    add(
        Entry(
            "shifted_softplus",
            "Schuett, K. T. et al. (2017). SchNet. arXiv:1706.08566 (softplus(x) - log 2)",
            lambda x: softplus(x) - log(2),
            expr="softplus(x) - log(2)",
            smoothness="Cinf",
            range=interval(-mp.log(2), None, False, False, "-log(2)"),
            monotonic="increasing",
            max_abs_derivative=mpf(1),  # s(x) -> 1
            moments="quad",
        )
    )
    add(
        Entry(
            "symlog",
            "sign(x) log(1 + |x|), a symmetric log activation (course material)",
            lambda x: sign(x) * log(1 + abs_(x)),
            expr="sign(x)*log(1 + abs(x))",
            # f' = 1/(1 + |x|) -> 1 both sides; f'' = -sign(x)/(1 + |x|)^2: 1 vs -1
            smoothness="C1",
            range=interval(None, None, False, False),
            monotonic="increasing",
            breakpoints={0.0: at(0, 1, None)},
            max_abs_derivative=mpf(1),
            moments="quad",
        )
    )
    add(
        Entry(
            "asinh_log",
            "asinh written log(x + sqrt(x^2 + 1)) (course material)",
            lambda x: log(x + sqrt(x**2 + 1)),
            expr="log(x + sqrt(x**2 + 1))",
            smoothness="Cinf",
            range=interval(None, None, False, False),
            monotonic="increasing",  # 1/sqrt(x^2 + 1) > 0
            max_abs_derivative=mpf(1),
            moments="quad",
        )
    )
    add(
        Entry(
            "naive_tanh",
            "(e^x - e^-x)/(e^x + e^-x), tanh as written in course notes",
            lambda x: (exp(x) - exp(-x)) / (exp(x) + exp(-x)),
            expr="(exp(x) - exp(-x))/(exp(x) + exp(-x))",
            smoothness="Cinf",
            range=interval(-1, 1, False, False),
            monotonic="increasing",
            max_abs_derivative=mpf(1),
            moments="quad",
        )
    )
    add(
        Entry(
            "naive_sigmoid",
            "e^x/(1 + e^x), the logistic function as written in course notes",
            lambda x: exp(x) / (1 + exp(x)),
            expr="exp(x)/(1 + exp(x))",
            smoothness="Cinf",
            range=interval(0, 1, False, False),
            monotonic="increasing",
            max_abs_derivative=mpf(1) / 4,
            moments="quad",
        )
    )
    add(
        Entry(
            "expm1_written",
            "exp(x) - 1, ELU's negative part written out",
            lambda x: exp(x) - 1,
            expr="exp(x) - 1",
            smoothness="Cinf",
            range=interval(-1, None, False, False),
            monotonic="increasing",
            extra=(-1e-12, 1e-12, -1e-8),
            max_abs_derivative=mpf("inf"),
            # E[e^z] = e^(1/2); E[(e^z - 1)^2] = e^2 - 2e^(1/2) + 1
            moments=(mp.exp(mpf(1) / 2) - 1, mp.exp(2) - 2 * mp.exp(mpf(1) / 2) + 1),
        )
    )
    add(
        Entry(
            "soft_root_sign",
            "Zhou, Y. et al. (2020). Soft-Root-Sign Activation Function. arXiv:2003.00547 "
            "(alpha = 2, beta = 3)",
            lambda x: x / (x / 2 + exp(-x / 3)),
            expr="x/(x/2 + exp(-x/3))",
            # D = x/2 + e^(-x/3) > 0: its min is (3/2)(1 - ln 1.5) at x = -3 ln 1.5
            smoothness="Cinf",
            # f' = e^(-x/3)(1 + x/3)/D^2: min at x = -3, f(-3) = -3/(e - 3/2); -> 2 at oo
            # (from below), -> 0 at -oo
            range=interval(-3 / (e - mpf(3) / 2), 2, True, False, "-3/(exp(1) - 3/2)"),
            monotonic="none",
            moments="quad",
        )
    )

    # -- pathological ones --------------------------------------------------------------------

    add(
        Entry(
            "cube_root",
            "sign(x)|x|^(1/3): continuous, infinite slope at 0",
            lambda x: sign(x) * abs_(x) ** F(1, 3),
            expr="sign(x)*abs(x)**(1/3)",
            smoothness="C0",  # f' = |x|^(-2/3)/3 -> oo at 0: not differentiable there
            range=interval(None, None, False, False),
            monotonic="increasing",
            breakpoints={0.0: at(0, None, None)},
            max_abs_derivative=mpf("inf"),
            moments="quad",
        )
    )
    add(
        Entry(
            "sqrt_abs",
            "sqrt(|x|): continuous, a cusp at 0",
            lambda x: sqrt(abs_(x)),
            expr="sqrt(abs(x))",
            smoothness="C0",
            range=interval(0, None, True, False),
            monotonic="none",
            breakpoints={0.0: at(0, None, None)},
            max_abs_derivative=mpf("inf"),
            # E|z|^(1/2) = 2^(1/4) Gamma(3/4)/sqrt(pi); E|z| = sqrt(2/pi)
            moments=(
                mpf(2) ** (mpf(1) / 4) * mp.gamma(mpf(3) / 4) / mp.sqrt(mp.pi),
                mp.sqrt(2 / mp.pi),
            ),
        )
    )
    add(
        Entry(
            "reciprocal",
            "1/x: a pole at 0",
            lambda x: 1 / x,
            expr="1/x",
            smoothness="C-1",  # no limit at 0 (-oo and oo): not continuous on the real line
            range=union((None, 0, False, False), (0, None, False, False)),  # 1/x never 0
            monotonic="none",  # f(-1) = -1 < f(1) = 1 but f(1) = 1 > f(2) = 1/2
            poles=(0.0,),
            max_abs_derivative=mpf("inf"),
            # E[1/z] has no value (|1/z| is not integrable at 0); E[1/z^2] = oo
            moments=("nan", "inf"),
        )
    )
    add(
        Entry(
            "x_sin_inv_x",
            "x sin(1/x), 0 at 0: continuous, not differentiable at 0",
            lambda x: x * sin(1 / x),
            expr="x*sin(1/x)",
            # |f| <= |x| -> 0 = f(0); f' = sin(1/x) - cos(1/x)/x has no limit at 0, and
            # (f(h) - f(0))/h = sin(1/h) has none either
            smoothness="C0",
            # f(x) = sinc(1/x): [min sinc, 1), 1 approached as |x| -> oo; 0 = f(0) = f(1/pi)
            range=interval(sinc_min, 1, True, False),
            monotonic="none",
            breakpoints={0.0: at(0, None, None)},
            # the points 1e-12 either side are left out: cond(f) = |x f'/f| ~ 1e12 there, so
            # no float evaluation can be held to 1e-13
            skip=(-1e-12, 1e-12),
            max_abs_derivative=mpf("inf"),
        )
    )
    add(
        Entry(
            "sin_inv_x",
            "sin(1/x): an essential discontinuity at 0",
            lambda x: sin(1 / x),
            expr="sin(1/x)",
            smoothness="C-1",  # no limit at 0: no value makes it continuous
            range=interval(-1, 1, True, True),  # +-1 at x = 2/((4k +- 1) pi)
            monotonic="none",
            max_abs_derivative=mpf("inf"),
        )
    )
    add(
        Entry(
            "sign_squared",
            "sign(x)^2: 0 at 0, 1 elsewhere",
            lambda x: sign(x) ** 2,
            expr="sign(x)**2",
            smoothness="C-1",  # f(0) = 0 but the limit is 1
            range=union((0, 0, True, True), (1, 1, True, True)),
            monotonic="none",  # f(-1) = 1 > f(0) = 0 < f(1) = 1
            breakpoints={0.0: at(0, None, None)},
            max_abs_derivative=mpf(0),
        )
    )
    add(
        Entry(
            "five_at_zero",
            "x, except f(0) = 5 (a value that differs from the limit)",
            lambda x: x,
            pieces=(("x == 0", "5"), (None, "x")),
            smoothness="C-1",  # f(0) = 5, the limit 0
            # x != 0 gives R \ {0}; f(0) = 5 is in it already: 0 is never a value
            range=union((None, 0, False, False), (0, None, False, False)),
            monotonic="none",  # f(0) = 5 > f(1) = 1
            breakpoints={0.0: at(5, None, None)},
            max_abs_derivative=mpf(1),
            moments=(mpf(0), mpf(1)),  # one point changes no integral
        )
    )
    add(
        Entry(
            "unit_jump",
            "x for x < 0, x + 1 from 0 on: a jump of 1",
            lambda x: x if val0(x) < 0 else x + 1,
            pieces=(("x < 0", "x"), (None, "x + 1")),
            smoothness="C-1",
            range=union((None, 0, False, False), (1, None, True, False)),
            monotonic="increasing",  # strictly: the jump is upwards
            breakpoints={0.0: at(1, None, None)},
            max_abs_derivative=mpf(1),
            # E[z + H(z)] = 1/2; E[z^2 + 2zH(z) + H(z)] = 1 + 2/sqrt(2 pi) + 1/2
            moments=(mpf(1) / 2, mpf(3) / 2 + mp.sqrt(2 / mp.pi)),
        )
    )
    add(
        Entry(
            "sigmoid_plus_step",
            "sigmoid(x) + heaviside(x): a jump of 1, value 1 at 0",
            lambda x: sigmoid(x) + heaviside(x),
            expr="sigmoid(x) + heaviside(x)",
            smoothness="C-1",
            # x < 0: s in (0, 1/2); x = 0: 1/2 + 1/2 = 1; x > 0: 1 + s in (3/2, 2)
            range=union(
                (0, mpf(1) / 2, False, False, None, "1/2"),
                (1, 1, True, True),
                (mpf(3) / 2, 2, False, False, "3/2"),
            ),
            monotonic="increasing",
            breakpoints={0.0: at(1, None, None)},
            max_abs_derivative=mpf(1) / 4,  # s' < 1/4 away from 0, -> 1/4
            moments="quad",
        )
    )
    add(
        Entry(
            "relu_one_at_zero",
            "ReLU with f(0) = 1",
            lambda x: x if val0(x) > 0 else 0 * x,
            pieces=(("x > 0", "x"), ("x == 0", "1"), (None, "0")),
            smoothness="C-1",
            # {0} U {1} U (0, oo) = [0, oo): an interval, yet f jumps
            range=interval(0, None, True, False),
            monotonic="none",  # f(0) = 1 > f(1/2)
            breakpoints={0.0: at(1, None, None)},
            max_abs_derivative=mpf(1),
            moments=(1 / mp.sqrt(2 * mp.pi), mpf(1) / 2),  # as ReLU: one point changes nothing
        )
    )
    add(
        Entry(
            "power_1000",
            "x^1000: a high power",
            lambda x: x**1000,
            expr="x**1000",
            smoothness="Cinf",
            range=interval(0, None, True, False),  # even power: >= 0, = 0 at 0
            monotonic="none",
            # f(+-30) overflows a float: inf is the float answer; 1.5^1000 ~ 1.2e176 is not
            extra=(0.0, -1e-12, 1e-12, 0.5, 1.5, -1.25),
            max_abs_derivative=mpf("inf"),
            # E[z^1000] = 999!! ~ 1e1284 and E[z^2000] = 1999!!: beyond the largest float
            moments=(INF, INF),
            may_refuse=True,
        )
    )
    add(
        Entry(
            "huge_slope",
            "10^300 x: a huge constant",
            lambda x: 10**300 * x,
            expr="10**300*x",
            smoothness="Cinf",
            range=interval(None, None, False, False),
            monotonic="increasing",
            max_abs_derivative=mpf(10) ** 300,
            moments=(None, INF),  # E[f^2] = 1e600 is beyond the largest float
            may_refuse=True,
        )
    )
    add(
        Entry(
            "exp_exp",
            "exp(exp(x)): overflows a float from x = 6.5 on",
            lambda x: exp(exp(x)),
            expr="exp(exp(x))",
            smoothness="Cinf",
            range=interval(1, None, False, False),  # e^(e^x) > e^0 = 1, -> 1 at -oo
            monotonic="increasing",
            max_abs_derivative=mpf("inf"),
            # e^(e^z) outgrows e^(z^2/2): both Gaussian moments diverge
            moments=(INF, INF),
            may_refuse=True,
        )
    )
    add(
        Entry(
            "sin_x_squared",
            "sin(x^2): oscillating faster and faster",
            lambda x: sin(x**2),
            expr="sin(x**2)",
            smoothness="Cinf",
            range=interval(-1, 1, True, True),
            monotonic="none",
            max_abs_derivative=mpf("inf"),  # 2x cos(x^2)
            # E[exp(i t z^2)] = (1 - 2it)^(-1/2): E[sin z^2] = Im (1 - 2i)^(-1/2),
            # E[sin^2 z^2] = (1 - Re (1 - 4i)^(-1/2))/2
            moments=(
                mp.im((1 - 2j) ** mpf(-0.5)),
                (1 - mp.re((1 - 4j) ** mpf(-0.5))) / 2,
            ),
        )
    )
    add(
        Entry(
            "x_plus_sin",
            "x + sin(x): increasing with f' = 0 at isolated points",
            lambda x: x + sin(x),
            expr="x + sin(x)",
            smoothness="Cinf",
            range=interval(None, None, False, False),
            monotonic="increasing",  # f' = 1 + cos x >= 0, zero only at odd multiples of pi
            max_abs_derivative=mpf(2),
            # E[z + sin z] = 0; E[z^2] + 2E[z sin z] + E[sin^2 z] = 1 + 2e^(-1/2) + (1 - e^-2)/2
            moments=(mpf(0), 1 + 2 * mp.exp(-mpf(1) / 2) + (1 - mp.exp(-2)) / 2),
        )
    )
    add(
        Entry(
            "log_cosh",
            "log(cosh(x)): cosh overflows a float at |x| > 710",
            lambda x: log(cosh(x)),
            expr="log(cosh(x))",
            smoothness="Cinf",
            range=interval(0, None, True, False),  # cosh >= 1, = 1 at 0
            monotonic="none",
            max_abs_derivative=mpf(1),  # |tanh| < 1, -> 1
            moments="quad",
        )
    )
    add(
        Entry(
            "cube",
            "x^3: increasing with f'(0) = 0",
            lambda x: x**3,
            expr="x**3",
            smoothness="Cinf",
            range=interval(None, None, False, False),
            monotonic="increasing",
            max_abs_derivative=mpf("inf"),
            moments=(mpf(0), mpf(15)),  # E z^6 = 15
        )
    )
    add(
        Entry(
            "signed_square",
            "x|x|",
            lambda x: x * abs_(x),
            expr="x*abs(x)",
            smoothness="C1",  # f' = 2|x|, f'' = 2 sign(x): -2 vs 2
            range=interval(None, None, False, False),
            monotonic="increasing",
            breakpoints={0.0: at(0, 0, None)},
            max_abs_derivative=mpf("inf"),
            moments=(mpf(0), mpf(3)),  # E z^4 = 3
        )
    )
    add(
        Entry(
            "x3_abs_x",
            "x^3 |x| = sign(x) x^4",
            lambda x: x**3 * abs_(x),
            expr="x**3*abs(x)",
            # f' = 4|x|^3, f'' = 12 x|x|, f''' = 24|x|, f'''' = 24 sign(x): C3, not C4
            smoothness="C3",
            max_order=5,
            range=interval(None, None, False, False),
            monotonic="increasing",
            breakpoints={0.0: at(0, 0, 0)},
            max_abs_derivative=mpf("inf"),
            moments=(mpf(0), mpf(105)),  # E z^8 = 105
        )
    )
    flat_slope = 2 * (mpf(3) / 2) ** (mpf(3) / 2) * mp.exp(-mpf(3) / 2)
    add(
        Entry(
            "flat_exp",
            "exp(-1/x^2), 0 at 0: smooth but not analytic",
            lambda x: exp(-1 / x**2),
            expr="exp(-1/x**2)",
            # every derivative is a polynomial in 1/x times exp(-1/x^2) -> 0: Cinf
            smoothness="Cinf",
            range=interval(0, 1, True, False),  # 0 at 0; < 1, -> 1 at +-oo
            monotonic="none",
            breakpoints={0.0: at(0, 0, 0)},
            # f' = 2x^-3 e^(-1/x^2); f'' = e^(-1/x^2)(4x^-6 - 6x^-4) = 0 at x^2 = 2/3
            max_abs_derivative=flat_slope,
            moments="quad",
        )
    )
    add(
        Entry(
            "cauchy",
            "1/(1 + x^2), the inverse quadratic",
            lambda x: 1 / (1 + x**2),
            expr="1/(1 + x**2)",
            smoothness="Cinf",
            range=interval(0, 1, False, True),
            monotonic="none",
            # f' = -2x/(1 + x^2)^2, extreme at x^2 = 1/3: 3 sqrt(3)/8
            max_abs_derivative=3 * mp.sqrt(3) / 8,
            moments="quad",
        )
    )
    add(
        Entry(
            "x_over_1px2",
            "x/(1 + x^2)",
            lambda x: x / (1 + x**2),
            expr="x/(1 + x**2)",
            smoothness="Cinf",
            range=interval(F(-1, 2), F(1, 2), True, True, "-1/2", "1/2"),  # at x = -+1
            monotonic="none",
            # f' = (1 - x^2)/(1 + x^2)^2: 1 at 0, and |f'| <= 1/8 for |x| > 1
            max_abs_derivative=mpf(1),
            moments="quad",
        )
    )
    add(
        Entry(
            "relu_squared",
            "max(0, x)^2 (So et al. 2021, Primer, arXiv:2109.08668)",
            lambda x: max_(0, x) ** 2,
            expr="max(0, x)**2",
            smoothness="C1",  # f' = 2 max(0, x), f'' = 0 vs 2
            range=interval(0, None, True, False),
            monotonic="nondecreasing",
            breakpoints={0.0: at(0, 0, None)},
            max_abs_derivative=mpf("inf"),
            moments=(mpf(1) / 2, mpf(3) / 2),  # E[z^2 H(z)] = 1/2, E[z^4 H(z)] = 3/2
        )
    )
    add(
        Entry(
            "relu_cubed",
            "max(0, x)^3",
            lambda x: max_(0, x) ** 3,
            expr="max(0, x)**3",
            smoothness="C2",  # f'' = 6 max(0, x), f''' = 0 vs 6
            range=interval(0, None, True, False),
            monotonic="nondecreasing",
            breakpoints={0.0: at(0, 0, 0)},
            max_abs_derivative=mpf("inf"),
            moments=(2 / mp.sqrt(2 * mp.pi), mpf(15) / 2),  # E z^3 H = 2/sqrt(2pi), E z^6 H = 15/2
        )
    )
    add(
        Entry(
            "max_x_tanh",
            "max(x, tanh(x)): x for x >= 0, tanh(x) below (the arguments cross at 0 only)",
            lambda x: max_(x, tanh(x)),
            expr="max(x, tanh(x))",
            # tanh = x - x^3/3 + ...: f, f', f'' agree at 0 (0, 1, 0), f''' = -2 vs 0: C2
            smoothness="C2",
            range=interval(-1, None, False, False),
            monotonic="increasing",
            breakpoints={0.0: at(0, 1, 0)},
            max_abs_derivative=mpf(1),
            moments="quad",
        )
    )
    return entries


def val0(x):
    """The value of a jet or a number, for choosing a branch."""
    return x.v if hasattr(x, "v") else mpf(x)


def _sqnl(x):
    v = val0(x)
    if v > 2:
        return 1 + 0 * x
    if v >= 0:
        return x - x**2 / 4
    if v >= -2:
        return x + x**2 / 4
    return -1 + 0 * x


def _hard_elish(x):
    v = val0(x)
    h = max_(0, min_(1, (x + 1) / 2))
    return x * h if v >= 0 else (exp(x) - 1) * h


ENTRIES = build()
BY_NAME = {entry.name: entry for entry in ENTRIES}
assert len(BY_NAME) == len(ENTRIES), "corpus names must be unique"
assert NAN != NAN  # nan is used for 'does not exist'
