"""Independent mpmath reference implementations of actcli's built-in activations.

Written from the papers and the PyTorch documentation, not from `specs/*.yaml` and without
importing actcli or SymPy, so that tests can hold the specs and the evaluation code to an outside
standard. Every function works at the caller's `mp.dps` (tests use 50) and raises the working
precision by `_GUARD` digits internally, so that forms which cancel (x - tanh(x) near 0) still
come back correct to the caller's precision. Where a form would cancel at *any* fixed precision
(1 + tanh(u) for u -> -oo, 1 + erf(z) for z -> -oo, 1 - tanh(x)**2 for large |x|) an exact
identity is used instead and named in a comment.

Exports:
    REFERENCES: spec name -> f(x, **params) for scalar kinds, f(xs, **params) for vector kinds
        (softmax, log_softmax and softmin return a list, maxout a single number).
    DERIVATIVES: spec name -> f'(x, **params), derived by hand, for every scalar kind. At a kink
        (where f' does not exist) they return the one-sided value named in the comment.
    JACOBIANS: vector spec name -> J(xs, **params) with J[i][j] = d y_i / d x_j (not maxout).
    DEFAULT_PARAMS: spec name -> PyTorch's defaults (empty where the function has none).
    ALIASES: alias -> spec name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import mpmath
from mpmath import mp, mpf

__all__ = ["ALIASES", "DEFAULT_PARAMS", "DERIVATIVES", "JACOBIANS", "REFERENCES"]

_GUARD = 30


def _precise(fn: Callable) -> Callable:
    """Evaluate `fn` with `_GUARD` extra digits and round the result to the caller's precision."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with mp.workdps(mp.dps + _GUARD):
            result = fn(*args, **kwargs)
        return _round(result)

    return wrapper


def _round(value):
    """Round an mpf, or a (nested) list of them, to the current precision."""
    if isinstance(value, list):
        return [_round(v) for v in value]
    return +value


def _sigmoid(u):
    """1/(1 + exp(-u)); mpmath has an unbounded exponent range, so this never overflows."""
    return 1 / (1 + mp.exp(-u))


def _sech2(u):
    """sech(u)**2 = 1/cosh(u)**2, exact for every u (1 - tanh(u)**2 cancels for large |u|)."""
    return 1 / mp.cosh(u) ** 2


def _softplus(u):
    """log(1 + exp(u)); log1p keeps full relative accuracy when exp(u) is tiny."""
    return mp.log1p(mp.exp(u))


# --- SELU's constants -----------------------------------------------------------------------
# Klambauer, Unterthiner, Mayr & Hochreiter (2017), "Self-Normalizing Neural Networks",
# NeurIPS 2017, arXiv:1706.02515, section 3 / eq. (14): the (alpha, lambda) for which the map of
# (mean, variance) = (0, 1) -> (0, 1) has a fixed point under LeCun-normal weights (omega = 0,
# tau = 1), i.e. E[selu(z)] = 0 and E[selu(z)**2] = 1 for z ~ N(0, 1). Closed forms (paper):
#   alpha_01  = -sqrt(2/pi) / (erfc(1/sqrt(2))*exp(1/2) - 1)
#   lambda_01 = (1 - erfc(1/sqrt(2))*sqrt(e)) * sqrt(2*pi)
#               / sqrt(2*erfc(sqrt(2))*e**2 + pi*erfc(1/sqrt(2))**2*e
#                      - 2*(2 + pi)*erfc(1/sqrt(2))*sqrt(e) + pi + 2)
# The paper's printed values are alpha ~ 1.6732632423543772848170429916717 and
# lambda ~ 1.0507009873554804934193349852946 (also PyTorch's SELU constants).
def _selu_constants(dps: int = 60) -> tuple[mpf, mpf]:
    with mp.workdps(dps):
        c = mp.erfc(1 / mp.sqrt(2))
        alpha = -mp.sqrt(2 / mp.pi) / (c * mp.exp(mpf(1) / 2) - 1)
        numerator = (1 - c * mp.sqrt(mp.e)) * mp.sqrt(2 * mp.pi)
        denominator = mp.sqrt(
            2 * mp.erfc(mp.sqrt(2)) * mp.e**2
            + mp.pi * c**2 * mp.e
            - 2 * (2 + mp.pi) * c * mp.sqrt(mp.e)
            + mp.pi
            + 2
        )
        return alpha, numerator / denominator


SELU_ALPHA, SELU_SCALE = _selu_constants()

# GELU's tanh approximation: Hendrycks & Gimpel (2016), arXiv:1606.08415, section 2.
# Kept as a string and converted where used, so it is exact at the working precision.
_GELU_C = "0.044715"


# --- scalar activations ----------------------------------------------------------------------
# Each takes x (an mpf, or anything mpf() accepts) and keyword parameters with PyTorch's names.


@_precise
def identity(x):
    return mpf(x)


@_precise
def binary_step(x):
    # Convention: 1 for x >= 0, 0 for x < 0 (torch.heaviside(x, values=1)).
    return mpf(1) if mpf(x) >= 0 else mpf(0)


@_precise
def sigmoid(x):
    return _sigmoid(mpf(x))


@_precise
def hard_sigmoid(x):
    # torch.nn.Hardsigmoid: 0 for x <= -3, 1 for x >= 3, x/6 + 1/2 between (= relu6(x + 3)/6).
    return min(max(mpf(x) / 6 + mpf(1) / 2, mpf(0)), mpf(1))


@_precise
def tanh(x):
    return mp.tanh(mpf(x))


@_precise
def hardtanh(x, min_val=-1.0, max_val=1.0):
    x, lo, hi = mpf(x), mpf(min_val), mpf(max_val)
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


@_precise
def softsign(x):
    x = mpf(x)
    return x / (1 + abs(x))


@_precise
def relu(x):
    return max(mpf(0), mpf(x))


@_precise
def relu6(x):
    return min(max(mpf(0), mpf(x)), mpf(6))


@_precise
def leaky_relu(x, negative_slope=0.01):
    x = mpf(x)
    return x if x >= 0 else mpf(negative_slope) * x


@_precise
def prelu(x, a=0.25):
    # torch.nn.PReLU: max(0, x) + a*min(0, x), with a the learnable `weight` (init=0.25).
    x = mpf(x)
    return x if x >= 0 else mpf(a) * x


@_precise
def rrelu(x, lower=1 / 8, upper=1 / 3):
    # Evaluation mode of torch.nn.RReLU: the negative slope is fixed at (lower + upper)/2.
    x = mpf(x)
    return x if x >= 0 else (mpf(lower) + mpf(upper)) / 2 * x


@_precise
def threshold(x, threshold=0.0, value=0.0):
    # torch.nn.Threshold: y = x if x > threshold else value.
    x = mpf(x)
    return x if x > mpf(threshold) else mpf(value)


@_precise
def elu(x, alpha=1.0):
    x = mpf(x)
    return x if x > 0 else mpf(alpha) * mp.expm1(x)


@_precise
def celu(x, alpha=1.0):
    x, alpha = mpf(x), mpf(alpha)
    return x if x > 0 else alpha * mp.expm1(x / alpha)


@_precise
def selu(x, alpha=SELU_ALPHA, scale=SELU_SCALE):
    x, alpha, scale = mpf(x), mpf(alpha), mpf(scale)
    return scale * x if x > 0 else scale * alpha * mp.expm1(x)


@_precise
def gelu(x):
    # x*Phi(x) with Phi(x) = (1 + erf(x/sqrt(2)))/2 = erfc(-x/sqrt(2))/2 (exact identity; the erfc
    # form keeps the left tail, where 1 + erf cancels completely).
    x = mpf(x)
    return x * mp.erfc(-x / mp.sqrt(2)) / 2


def _gelu_tanh_u(x):
    return mp.sqrt(2 / mp.pi) * (x + mpf(_GELU_C) * x**3)


@_precise
def gelu_tanh(x):
    # 0.5*x*(1 + tanh(u)) = x*sigmoid(2u) exactly, since 1 + tanh(u) = 2/(1 + exp(-2u)); the
    # sigmoid form avoids 1 + tanh(u) cancelling for u -> -oo (u ~ -3.6e4 at x = -100).
    x = mpf(x)
    return x * _sigmoid(2 * _gelu_tanh_u(x))


@_precise
def silu(x):
    x = mpf(x)
    return x * _sigmoid(x)


@_precise
def mish(x):
    x = mpf(x)
    return x * mp.tanh(_softplus(x))


@_precise
def softplus(x, beta=1.0, threshold=20.0):
    # The mathematical softplus; PyTorch's `threshold` (revert to x when beta*x > threshold) is an
    # implementation shortcut and deliberately ignored here.
    x, beta = mpf(x), mpf(beta)
    return _softplus(beta * x) / beta


@_precise
def logsigmoid(x):
    # log(1/(1 + exp(-x))) = -log(1 + exp(-x))
    return -_softplus(-mpf(x))


@_precise
def tanhshrink(x):
    # Cancels near 0: x - tanh(x) ~ x**3/3 loses about 2*log10(1/|x|) digits, so add that many.
    x = mpf(x)
    if x == 0:
        return mpf(0)
    lost = max(0, int(-2 * mp.log10(abs(x)))) + 5
    with mp.workdps(mp.dps + lost):
        return x - mp.tanh(x)


@_precise
def softshrink(x, lambd=0.5):
    x, lambd = mpf(x), mpf(lambd)
    if x > lambd:
        return x - lambd
    if x < -lambd:
        return x + lambd
    return mpf(0)


@_precise
def hardshrink(x, lambd=0.5):
    x, lambd = mpf(x), mpf(lambd)
    return x if abs(x) > lambd else mpf(0)


@_precise
def hardswish(x):
    # Howard et al. (2019): x*relu6(x + 3)/6.
    x = mpf(x)
    return x * min(max(x + 3, mpf(0)), mpf(6)) / 6


# --- vector activations ----------------------------------------------------------------------


def _vector(xs) -> list:
    xs = [mpf(v) for v in xs]
    if not xs:
        raise ValueError("a vector activation needs at least one component")
    return xs


@_precise
def softmax(xs):
    xs = _vector(xs)
    m = max(xs)  # shift by the max: mathematically a no-op, keeps exp() arguments small
    weights = [mp.exp(v - m) for v in xs]
    total = mp.fsum(weights)
    return [w / total for w in weights]


@_precise
def log_softmax(xs):
    xs = _vector(xs)
    m = max(xs)
    log_total = m + mp.log(mp.fsum(mp.exp(v - m) for v in xs))
    return [v - log_total for v in xs]


@_precise
def softmin(xs):
    # softmin(x) = softmax(-x)
    return softmax([-mpf(v) for v in xs])


@_precise
def maxout(xs):
    # The activation part of a maxout unit: the max over its n inputs (the k affine pieces
    # z_j = w_j.x + b_j that feed it belong to the layer, not to the activation).
    return max(_vector(xs))


# --- hand-derived first derivatives (scalar kinds) ---------------------------------------------


@_precise
def d_identity(x):
    # d/dx x = 1
    return mpf(1)


@_precise
def d_binary_step(x):
    # Constant on each side of 0, so 0 for x != 0; at x = 0 the step has no derivative (a Dirac
    # delta in the distributional sense) and 0 is returned as the conventional subgradient value.
    return mpf(0)


@_precise
def d_sigmoid(x):
    # s = 1/(1 + e^-x);  s' = e^-x/(1 + e^-x)^2 = s * e^-x/(1 + e^-x) = s(x)*s(-x)   [= s(1 - s)]
    x = mpf(x)
    return _sigmoid(x) * _sigmoid(-x)


@_precise
def d_hard_sigmoid(x):
    # Slope 1/6 on (-3, 3), 0 outside; at the kinks +-3 the value of the outer (flat) piece, 0.
    x = mpf(x)
    return mpf(1) / 6 if -3 < x < 3 else mpf(0)


@_precise
def d_tanh(x):
    # tanh' = 1 - tanh^2 = sech^2 (the sech^2 form is exact in the tails)
    return _sech2(mpf(x))


@_precise
def d_hardtanh(x, min_val=-1.0, max_val=1.0):
    # 1 strictly between the clamps, 0 outside; at the kinks the inner value 1.
    x = mpf(x)
    return mpf(1) if mpf(min_val) <= x <= mpf(max_val) else mpf(0)


@_precise
def d_softsign(x):
    # x/(1 + |x|): for x > 0, d/dx x/(1 + x) = ((1 + x) - x)/(1 + x)^2 = 1/(1 + x)^2;
    # for x < 0, d/dx x/(1 - x) = ((1 - x) + x)/(1 - x)^2 = 1/(1 - x)^2. Together 1/(1 + |x|)^2.
    x = mpf(x)
    return 1 / (1 + abs(x)) ** 2


@_precise
def d_relu(x):
    # 1 for x > 0, 0 for x < 0; at 0 the value 0 (PyTorch's choice).
    return mpf(1) if mpf(x) > 0 else mpf(0)


@_precise
def d_relu6(x):
    # 1 on (0, 6), 0 outside; at the kinks 0 and 6 the value 0 (PyTorch's choice).
    x = mpf(x)
    return mpf(1) if 0 < x < 6 else mpf(0)


@_precise
def d_leaky_relu(x, negative_slope=0.01):
    # 1 for x > 0, negative_slope for x < 0; at 0 negative_slope (PyTorch's choice).
    return mpf(1) if mpf(x) > 0 else mpf(negative_slope)


@_precise
def d_prelu(x, a=0.25):
    # 1 for x > 0, a for x < 0; at 0 the value a.
    return mpf(1) if mpf(x) > 0 else mpf(a)


@_precise
def d_rrelu(x, lower=1 / 8, upper=1 / 3):
    # 1 for x > 0, (lower + upper)/2 for x < 0; at 0 the negative-side slope.
    return mpf(1) if mpf(x) > 0 else (mpf(lower) + mpf(upper)) / 2


@_precise
def d_threshold(x, threshold=0.0, value=0.0):
    # 1 where y = x (x > threshold), 0 where y = value; at x = threshold the value 0.
    return mpf(1) if mpf(x) > mpf(threshold) else mpf(0)


@_precise
def d_elu(x, alpha=1.0):
    # x > 0: 1;  x <= 0: d/dx alpha*(e^x - 1) = alpha*e^x  (jump 1 - alpha at 0 unless alpha = 1).
    x = mpf(x)
    return mpf(1) if x > 0 else mpf(alpha) * mp.exp(x)


@_precise
def d_celu(x, alpha=1.0):
    # x > 0: 1;  x <= 0: d/dx alpha*(e^(x/alpha) - 1) = e^(x/alpha)  (-> 1 at 0: C1).
    x, alpha = mpf(x), mpf(alpha)
    return mpf(1) if x > 0 else mp.exp(x / alpha)


@_precise
def d_selu(x, alpha=SELU_ALPHA, scale=SELU_SCALE):
    # x > 0: scale;  x <= 0: d/dx scale*alpha*(e^x - 1) = scale*alpha*e^x.
    x, alpha, scale = mpf(x), mpf(alpha), mpf(scale)
    return scale if x > 0 else scale * alpha * mp.exp(x)


@_precise
def d_gelu(x):
    # f = x*Phi(x), Phi' = phi = e^(-x^2/2)/sqrt(2 pi):  f' = Phi(x) + x*phi(x),
    # with Phi(x) = erfc(-x/sqrt(2))/2.
    x = mpf(x)
    return mp.erfc(-x / mp.sqrt(2)) / 2 + x * mp.exp(-(x**2) / 2) / mp.sqrt(2 * mp.pi)


@_precise
def d_gelu_tanh(x):
    # f = x*s(v) with v = 2u = 2*sqrt(2/pi)*(x + c x^3), s the logistic function, s' = s(v)s(-v):
    # f' = s(v) + x*s(v)*s(-v)*v',  v' = 2*sqrt(2/pi)*(1 + 3c x^2).
    x = mpf(x)
    v = 2 * _gelu_tanh_u(x)
    dv = 2 * mp.sqrt(2 / mp.pi) * (1 + 3 * mpf(_GELU_C) * x**2)
    return _sigmoid(v) + x * _sigmoid(v) * _sigmoid(-v) * dv


@_precise
def d_silu(x):
    # f = x*s(x): f' = s(x) + x*s(x)*s(-x) = s(x)*(1 + x*s(-x)).
    x = mpf(x)
    return _sigmoid(x) * (1 + x * _sigmoid(-x))


@_precise
def d_mish(x):
    # f = x*tanh(sp(x)), sp = log(1 + e^x), sp' = s(x):
    # f' = tanh(sp(x)) + x*sech^2(sp(x))*s(x).
    x = mpf(x)
    sp = _softplus(x)
    return mp.tanh(sp) + x * _sech2(sp) * _sigmoid(x)


@_precise
def d_softplus(x, beta=1.0, threshold=20.0):
    # d/dx log(1 + e^(beta x))/beta = e^(beta x)/(1 + e^(beta x)) = s(beta x).
    return _sigmoid(mpf(beta) * mpf(x))


@_precise
def d_logsigmoid(x):
    # d/dx -log(1 + e^-x) = e^-x/(1 + e^-x) = s(-x).
    return _sigmoid(-mpf(x))


@_precise
def d_tanhshrink(x):
    # d/dx (x - tanh x) = 1 - sech^2 x = tanh^2 x.
    return mp.tanh(mpf(x)) ** 2


@_precise
def d_softshrink(x, lambd=0.5):
    # 1 where |x| > lambd (y = x -+ lambd), 0 inside; at |x| = lambd the value 0.
    return mpf(1) if abs(mpf(x)) > mpf(lambd) else mpf(0)


@_precise
def d_hardshrink(x, lambd=0.5):
    # 1 where |x| > lambd (y = x), 0 inside; f jumps at |x| = lambd, where 0 is returned.
    return mpf(1) if abs(mpf(x)) > mpf(lambd) else mpf(0)


@_precise
def d_hardswish(x):
    # x <= -3: 0;  -3 < x < 3: d/dx x(x + 3)/6 = (2x + 3)/6;  x >= 3: 1.
    # At -3 the left value 0 (the right limit is -1/2); at 3 the value 1 (the left limit is 3/2).
    x = mpf(x)
    if x <= -3:
        return mpf(0)
    if x < 3:
        return (2 * x + 3) / 6
    return mpf(1)


# --- Jacobians (vector kinds) -----------------------------------------------------------------


@_precise
def jacobian_softmax(xs):
    # y_i = e^(x_i)/S:  dy_i/dx_j = delta_ij e^(x_i)/S - e^(x_i) e^(x_j)/S^2 = y_i (delta_ij - y_j)
    y = softmax(xs)
    n = len(y)
    return [[y[i] * ((1 if i == j else 0) - y[j]) for j in range(n)] for i in range(n)]


@_precise
def jacobian_log_softmax(xs):
    # y_i = x_i - log S:  dy_i/dx_j = delta_ij - e^(x_j)/S = delta_ij - softmax_j
    #                               = delta_ij - e^(y_j)
    p = softmax(xs)
    n = len(p)
    return [[(1 if i == j else 0) - p[j] for j in range(n)] for i in range(n)]


@_precise
def jacobian_softmin(xs):
    # y = softmax(-x): chain rule gives -(softmax Jacobian at -x) = -y_i (delta_ij - y_j)
    y = softmin(xs)
    n = len(y)
    return [[-y[i] * ((1 if i == j else 0) - y[j]) for j in range(n)] for i in range(n)]


REFERENCES: dict[str, Callable] = {
    "identity": identity,
    "binary_step": binary_step,
    "sigmoid": sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "tanh": tanh,
    "hardtanh": hardtanh,
    "softsign": softsign,
    "relu": relu,
    "relu6": relu6,
    "leaky_relu": leaky_relu,
    "prelu": prelu,
    "rrelu": rrelu,
    "threshold": threshold,
    "elu": elu,
    "celu": celu,
    "selu": selu,
    "gelu": gelu,
    "gelu_tanh": gelu_tanh,
    "silu": silu,
    "mish": mish,
    "softplus": softplus,
    "logsigmoid": logsigmoid,
    "tanhshrink": tanhshrink,
    "softshrink": softshrink,
    "hardshrink": hardshrink,
    "hardswish": hardswish,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "softmin": softmin,
    "maxout": maxout,
}

VECTOR_KINDS = frozenset({"softmax", "log_softmax", "softmin", "maxout"})

DERIVATIVES: dict[str, Callable] = {
    name: globals()[f"d_{name}"] for name in REFERENCES if name not in VECTOR_KINDS
}

JACOBIANS: dict[str, Callable] = {
    "softmax": jacobian_softmax,
    "log_softmax": jacobian_log_softmax,
    "softmin": jacobian_softmin,
}

# PyTorch's defaults (torch.nn classes of the same name). Threshold has no defaults in PyTorch
# (both arguments are required); 0.0 and 0.0 are actcli's choice, which makes it ReLU. PReLU's
# parameter is the learnable `weight`, initialised by `init=0.25`. GELU's `approximate` and
# Softmax's `dim` are not numeric and have no counterpart here.
DEFAULT_PARAMS: dict[str, dict[str, float]] = {name: {} for name in REFERENCES}
DEFAULT_PARAMS.update(
    {
        "hardtanh": {"min_val": -1.0, "max_val": 1.0},
        "leaky_relu": {"negative_slope": 0.01},
        "prelu": {"a": 0.25},
        "rrelu": {"lower": 1.0 / 8, "upper": 1.0 / 3},
        "threshold": {"threshold": 0.0, "value": 0.0},
        "elu": {"alpha": 1.0},
        "celu": {"alpha": 1.0},
        "selu": {"alpha": float(SELU_ALPHA), "scale": float(SELU_SCALE)},
        "softplus": {"beta": 1.0, "threshold": 20.0},
        "softshrink": {"lambd": 0.5},
        "hardshrink": {"lambd": 0.5},
    }
)

ALIASES: dict[str, str] = {
    "linear": "identity",
    "heaviside": "binary_step",
    "step": "binary_step",
    "logistic": "sigmoid",
    "swish": "silu",
}


def gaussian_mean(function, cuts=()) -> mpf:
    """E[function(z)] for z ~ N(0, 1), by mpmath quadrature split at 0 and at `cuts` (the
    kinks of `function`, in z)."""
    density = 1 / mpmath.sqrt(2 * mpmath.pi)
    points = [-mpmath.inf, *sorted({mpf(0), *cuts}), mpmath.inf]
    return mpmath.quad(lambda z: function(z) * mpmath.exp(-z * z / 2) * density, points)


def tanh_edge_of_chaos(sigma_b2: str) -> tuple[mpf, mpf]:
    """(sigma_w2, q*) where tanh's variance map has a fixed point with chi_1 = 1, solved by
    mpmath (25 digits) from the two mean-field equations q = sigma_w2 E[tanh(sqrt(q) z)^2] +
    sigma_b2 and sigma_w2 E[sech(sqrt(q) z)^4] = 1, started near Schoenholz et al.'s 1.76."""
    with mpmath.workdps(25):
        b = mpf(sigma_b2)

        def equations(w, q):
            root = mpmath.sqrt(q)
            second = gaussian_mean(lambda z: mpmath.tanh(root * z) ** 2)
            slope = gaussian_mean(lambda z: mpmath.sech(root * z) ** 4)
            return [w * second + b - q, w * slope - 1]

        sigma_w2, q_star = mpmath.findroot(equations, (mpf("1.76"), mpf("0.57")))
    return +sigma_w2, +q_star
