"""Numeric kernels: the overflow-free NumPy functions that compiled code calls, and the step that
turns generated source into a float64 (or float32) function.

Special functions go to overflow-free implementations: sigmoid to exp(-|u|) on each side of 0,
softplus to `numpy.logaddexp(0, u)`, erf/erfc to `scipy.special` (SymPy's own numpy printer
would send erf to `math.erf`, which fails on arrays). Nothing here imports SymPy: a cached
compilation (see `actcli.cache`) runs through this module alone. `actcli.compiler` writes the
source from SymPy expressions.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from actcli.deferred import scipy_special
from actcli.generated import CONSTANT_VALUES, SOURCE_FUNCTIONS

ScalarFunction = Callable[[np.ndarray], np.ndarray]


def sigmoid(u: np.ndarray) -> np.ndarray:
    # exp of minus |u| only, so nothing overflows; both branches are accurate to ~1 ulp.
    # 1/(1 + e) or e/(1 + e) as one division of the chosen numerator: seven NumPy calls, not
    # nine (on a few numbers each call, not the arithmetic, is the cost)
    e = np.exp(-np.abs(u))
    return np.divide(np.where(u >= 0, 1.0, e), 1.0 + e)


def softplus(u: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, u)


def heaviside(u: np.ndarray, h0: float = 0.5) -> np.ndarray:
    return np.heaviside(u, h0)


def dirac_delta(u: np.ndarray) -> np.ndarray:
    """The derivative of Heaviside(u) (and of |u| twice): 0 where u != 0, undefined (nan) at
    u = 0 and where u is nan. SymPy's diff writes it where a kink sits inside a piece."""
    u = np.asarray(u)
    return np.where(np.isnan(u) | (u == 0), np.nan, 0.0)


def select(conditions: list[Any], choices: list[Any], default: Any = 0) -> np.ndarray:
    """`numpy.select` (the first true condition picks its choice) as a chain of `numpy.where`:
    the same values, ~10x faster on a few numbers (numpy.select broadcasts every argument
    first), which is what a loop of small `actcli.evaluate` calls pays per Piecewise. A last
    condition `True` (the `otherwise` piece) starts the chain with its choice, a Python int as
    a float (as NumPy converts it beside the float default)."""
    if conditions and conditions[-1] is True:
        *conditions, _ = conditions
        *choices, result = choices
        result = float(result) if type(result) is int else result
    else:
        result = default
    for condition, choice in zip(reversed(conditions), reversed(choices), strict=True):
        result = np.where(condition, choice, result)
    return np.asarray(result)


def two_product_error(a: np.ndarray, b: Any, product: np.ndarray) -> np.ndarray:
    """a*b - fl(a*b), exactly (Dekker's product, splitting each factor in two 26-bit halves;
    a square, b is a, splits once)."""
    split = 134217729.0  # 2**27 + 1
    a_big = split * a
    a_hi = a_big - (a_big - a)
    a_lo = a - a_hi
    if b is a:  # a_hi*a_lo + a_lo*a_hi is 2*(a_hi*a_lo) exactly: one pass fewer
        return ((a_hi * a_hi - product) + 2 * (a_hi * a_lo)) + a_lo * a_lo
    b_big = split * b
    b_hi = b_big - (b_big - b)
    b_lo = b - b_hi
    return ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def exp_accurate(u_hi: np.ndarray, u_lo: np.ndarray) -> np.ndarray:
    """exp(u_hi + u_lo) for a double-double exponent (|u_lo| << ulp(u_hi))."""
    return np.exp(u_hi) * (1 + u_lo)


def erfc(z: np.ndarray) -> np.ndarray:
    """erfc accurate in the far right tail: SciPy's erfc loses ~140 ulp near z = 23.6 (it
    rounds z**2), so there it is erfcx(z)*exp(-z**2) with z**2 carried to twice precision.
    The tail's points are computed by themselves (on 10 numbers each NumPy call costs ~1 us,
    and the `where`s that would select them cost more than the points). Beyond z = 30 erfc
    is below the smallest subnormal: SciPy's 0 stands (z**2 would overflow the split)."""
    special = scipy_special()
    z = np.asarray(z, dtype=np.float64)
    result = np.asarray(special.erfc(z))
    tail = (z > 1) & (z < ERFC_ZERO_BEYOND)
    if tail.any():
        t = z[tail]
        square = t * t
        result[tail] = special.erfcx(t) * exp_accurate(-square, -two_product_error(t, t, square))
    return result


def exp_times_erfc(v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """exp(v)*erfc(u) where erfc(u) alone would underflow: erfc is subnormal beyond u = 26.5
    and 0 beyond 27.3, while the product need not be (exp(x)*erfc(x) is 2.79e-307 at x = 27,
    where the product of a subnormal erfc was 5e-7 off). Where u > 1 it is
    erfcx(u)*exp(v - u**2), the exponent carried to twice precision (rounding u**2 alone
    would cost u**2 ulp: 700 at 27); elsewhere the product as written."""
    special = scipy_special()
    v, u = np.broadcast_arrays(np.asarray(v, dtype=np.float64), np.asarray(u, dtype=np.float64))
    result = np.exp(v) * erfc(u)
    tail = (u > 1) & (u < SPLIT_BELOW)  # a nan or an inf u stays as the product gives it
    if tail.any():
        t, w = u[tail], v[tail]
        square = t * t
        high = w - square  # its rounding error (Knuth's two-sum) and the square's: low
        part = high - w
        low = ((w - (high - part)) + (-square - part)) - two_product_error(t, t, square)
        result[tail] = special.erfcx(t) * exp_accurate(high, low)
    return result


def erfc_scaled(x: np.ndarray, c_hi: float, c_lo: float) -> np.ndarray:
    """erfc(c*x) for a constant c = c_hi + c_lo given to twice float precision.

    Rounding c*x costs a relative error of about 2*(c*x)**2 ulp in erfc (its log-derivative is
    -2z): 900 ulp for GELU at x = -32. The rounding error e of the product is recovered exactly
    and corrected to first order, erfc(z + e) = erfc(z) - e*2/sqrt(pi)*exp(-z**2).
    """
    x = np.asarray(x, dtype=np.float64)
    z = c_hi * x
    magnitude = np.abs(x)
    if magnitude.max(initial=0.0) < SPLIT_BELOW:  # false at a nan, as for any x beyond
        error = two_product_error(x, c_hi, z) + c_lo * x
    else:
        safe = magnitude < SPLIT_BELOW  # the splitting overflows beyond; erfc is 0 or 2 there
        error = np.where(safe, two_product_error(np.where(safe, x, 0.0), c_hi, z) + c_lo * x, 0.0)
    return erfc(z) - error * TWO_OVER_SQRT_PI * np.exp(-z * z)


TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
ERFC_ZERO_BEYOND = 30.0  # erfc(27.3) is the smallest subnormal; erfc(30) = 2.6e-393
SPLIT_BELOW = 1e150  # Dekker's splitting of x (times 2**27 + 1) overflows beyond


def exp_scaled_square(x: np.ndarray, k_hi: float, k_lo: float) -> np.ndarray:
    """exp(k*x**2) with x**2 and the product carried to twice precision: rounding x**2 alone
    costs |k|*x**2 ulp (300 ulp in GELU's derivative at x = -33)."""
    x = np.asarray(x, dtype=np.float64)
    magnitude = np.abs(x)
    square = x * x
    exponent = k_hi * square
    if magnitude.max(initial=0.0) < SPLIT_BELOW:  # the `where`s below change nothing: skipped
        square_error = two_product_error(x, x, square)
        # times a power of two (GELU's -1/2) the product is exact: its error is 0
        exact = k_lo == 0 and abs(math.frexp(k_hi)[0]) == 0.5
        product_error = 0.0 if exact else two_product_error(square, k_hi, exponent)
        return exp_accurate(exponent, product_error + k_hi * square_error + k_lo * square)
    safe = magnitude < SPLIT_BELOW
    xs = np.where(safe, x, 0.0)
    square_error = two_product_error(xs, xs, square)
    exponent_error = np.where(
        safe,
        two_product_error(np.where(safe, square, 0.0), k_hi, exponent)
        + k_hi * square_error
        + k_lo * square,
        0.0,
    )
    return exp_accurate(exponent, exponent_error)


def namespace(source: str = "") -> dict[str, Any]:
    """What generated code may call: exactly the names of `SOURCE_FUNCTIONS` and
    `SOURCE_CONSTANTS` (NumPy's ufuncs and actcli's kernels), nothing else of NumPy's; SciPy
    (slow to import) only when the code uses erf or erfc. A fresh dict per call: running
    source may rebind names in it."""
    names = dict(_SOURCE_NAMES)
    if "erf" in source:
        names.update(
            {
                "erf": scipy_special().erf,
                "erfc": erfc,
                "erfc_scaled": erfc_scaled,
                "exp_times_erfc": exp_times_erfc,
            }
        )
    return names


# What each name of SOURCE_FUNCTIONS and SOURCE_CONSTANTS means, as lambdify's NumPy printer
# writes it: an explicit table, not `from numpy import *` (that star import cost more than
# importing NumPy itself: it loads numpy.testing, f2py, ma, random, ...). erf and erfc come
# from SciPy, bound by `namespace` only for source that uses them.
_SCIPY_NAMES = frozenset({"erf", "erfc", "erfc_scaled", "exp_times_erfc"})
_KERNELS: dict[str, Any] = {
    "select": select,
    "sigmoid": sigmoid,
    "softplus": softplus,
    "Heaviside": heaviside,
    "DiracDelta": dirac_delta,
    "exp_scaled_square": exp_scaled_square,
}
_SOURCE_NAMES: dict[str, Any] = {
    **{name: getattr(np, name) for name in SOURCE_FUNCTIONS - _SCIPY_NAMES - _KERNELS.keys()},
    **_KERNELS,
    **CONSTANT_VALUES,
}


def function_from_source(source: str) -> ScalarFunction:
    """The float64 function defined by `scalar_source` output (no SymPy needed).

    `dtype=numpy.float32` evaluates in single precision instead (several times faster where
    float32 results suffice, as in Monte Carlo networks): NumPy keeps float32 through ufuncs with
    Python-float constants, and the compensated erfc/exp helpers still work in float64.
    """
    names = namespace(source)
    exec(source, names)
    compiled = names["_lambdifygenerated"]
    propagates_nan = _called_names(source) <= NAN_PROPAGATING

    def evaluate(x: np.ndarray, dtype: DTypeLike = np.float64) -> np.ndarray:
        x = np.asarray(x, dtype=dtype)
        with np.errstate(all="ignore"):
            result = compiled(x)
        if np.iscomplexobj(result):  # a constant such as I: real only where the imaginary part is 0
            result = np.where(np.imag(result) == 0, np.real(result), np.nan)
        if isinstance(result, np.ndarray) and result.shape == x.shape:
            if result.dtype != dtype or result.base is not None or result is x:
                result = result.astype(dtype)  # a copy: the function may return x or a view
            if propagates_nan:
                return result
        else:  # a constant
            result = np.broadcast_to(np.asarray(result, dtype=dtype), x.shape).copy()
        result[np.isnan(x)] = np.nan  # a Piecewise would send nan to its `otherwise` branch
        return result

    return evaluate


# the functions of generated source that give nan at nan (each is tested so): source calling
# only these needs no pass that puts nan back where x is nan (two passes over the array and a
# tenth of a small call); a Piecewise's `select` would send nan to its `otherwise` branch
NAN_PROPAGATING = frozenset(
    {
        *("exp", "log", "log1p", "expm1", "sqrt", "abs", "absolute", "sign", "sin", "cos"),
        *("tan", "arctan", "arcsinh", "tanh", "sinh", "cosh", "maximum", "minimum"),
        *("heaviside", "Heaviside", "DiracDelta", "sigmoid", "softplus"),
    }
)


def _called_names(source: str) -> frozenset[str]:
    """The names the source calls ("." for a call of an attribute: logical_or.reduce)."""
    calls = [node.func for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]
    return frozenset(f.id if isinstance(f, ast.Name) else "." for f in calls)
