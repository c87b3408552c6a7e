"""Numeric evaluation: SymPy expressions compiled to NumPy, and a high-precision mpmath reference.

Special functions go to overflow-free implementations: sigmoid to exp(-|u|) on each side of 0,
softplus to `numpy.logaddexp(0, u)`, erf/erfc to `scipy.special` (SymPy's own numpy printer
would send erf to `math.erf`, which fails on arrays). Accuracy comes from the spec's stable
forms; this module adds no rewriting of its own. Compiled code is plain Python source, so it can
be cached and reused without importing SymPy (see `actcli.cache`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from actcli.errors import AnalysisError

ScalarFunction = Callable[[np.ndarray], np.ndarray]
MAX_REFERENCE_DPS = 4000


def _sigmoid(u: np.ndarray) -> np.ndarray:
    # exp of minus |u| only, so nothing overflows; both branches are accurate to ~1 ulp
    e = np.exp(-np.abs(u))
    return np.where(u >= 0, 1 / (1 + e), e / (1 + e))


def _softplus(u: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, u)


def _heaviside(u: np.ndarray, h0: float = 0.5) -> np.ndarray:
    return np.heaviside(u, h0)


def _two_product_error(a: np.ndarray, b: float, product: np.ndarray) -> np.ndarray:
    """a*b - fl(a*b), exactly (Dekker's product, splitting each factor in two 26-bit halves)."""
    split = 134217729.0  # 2**27 + 1
    a_big = split * a
    a_hi = a_big - (a_big - a)
    a_lo = a - a_hi
    b_big = split * b
    b_hi = b_big - (b_big - b)
    b_lo = b - b_hi
    return ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def _exp_accurate(u_hi: np.ndarray, u_lo: np.ndarray) -> np.ndarray:
    """exp(u_hi + u_lo) for a double-double exponent (|u_lo| << ulp(u_hi))."""
    return np.exp(u_hi) * (1 + u_lo)


def _erfc(z: np.ndarray) -> np.ndarray:
    """erfc accurate in the far right tail: SciPy's erfc loses ~140 ulp near z = 23.6 (it
    rounds z**2), so there it is erfcx(z)*exp(-z**2) with z**2 carried to twice precision."""
    from scipy.special import erfc, erfcx

    z = np.asarray(z, dtype=np.float64)
    tail = np.isfinite(z) & (z > 1)
    square = z * z
    square_error = _two_product_error(np.where(tail, z, 0.0), np.where(tail, z, 0.0), square)
    accurate = erfcx(z) * _exp_accurate(-square, -square_error)
    return np.where(tail, accurate, erfc(z))


def _erfc_scaled(x: np.ndarray, c_hi: float, c_lo: float) -> np.ndarray:
    """erfc(c*x) for a constant c = c_hi + c_lo given to twice float precision.

    Rounding c*x costs a relative error of about 2*(c*x)**2 ulp in erfc (its log-derivative is
    -2z): 900 ulp for GELU at x = -32. The rounding error e of the product is recovered exactly
    and corrected to first order, erfc(z + e) = erfc(z) - e*2/sqrt(pi)*exp(-z**2).
    """
    x = np.asarray(x, dtype=np.float64)
    z = c_hi * x
    safe = np.abs(x) < 1e150  # the splitting overflows beyond; erfc is 0 or 2 there anyway
    error = np.where(safe, _two_product_error(np.where(safe, x, 0.0), c_hi, z) + c_lo * x, 0.0)
    return _erfc(z) - error * (2 / np.sqrt(np.pi)) * np.exp(-z * z)


def _exp_scaled_square(x: np.ndarray, k_hi: float, k_lo: float) -> np.ndarray:
    """exp(k*x**2) with x**2 and the product carried to twice precision: rounding x**2 alone
    costs |k|*x**2 ulp (300 ulp in GELU's derivative at x = -33)."""
    x = np.asarray(x, dtype=np.float64)
    safe = np.abs(x) < 1e150
    xs = np.where(safe, x, 0.0)
    square = x * x
    square_error = _two_product_error(xs, xs, square)
    exponent = k_hi * square
    exponent_error = np.where(
        safe,
        _two_product_error(np.where(safe, square, 0.0), k_hi, exponent)
        + k_hi * square_error
        + k_lo * square,
        0.0,
    )
    return _exp_accurate(exponent, exponent_error)


def _namespace(source: str = "") -> dict[str, Any]:
    """What generated code may call: NumPy, and actcli's functions; SciPy (slow to import) only
    when the code uses erf or erfc."""
    namespace: dict[str, Any] = {}
    exec("from numpy import *", namespace)  # what lambdify's numpy printer assumes
    namespace.update(
        {
            "numpy": np,
            "sigmoid": _sigmoid,
            "softplus": _softplus,
            "Heaviside": _heaviside,
            "log1p": np.log1p,
            "expm1": np.expm1,
            "exp_scaled_square": _exp_scaled_square,
        }
    )
    if "erf" in source:
        from scipy import special

        namespace.update({"erf": special.erf, "erfc": _erfc, "erfc_scaled": _erfc_scaled})
    return namespace


def scalar_source(expression: Any) -> str:
    """Python source of a NumPy function `_lambdifygenerated(x)` computing the expression."""
    import inspect

    import sympy

    from actcli.expr import X

    extra = expression.free_symbols - {X}
    if extra:
        names = ", ".join(sorted(map(str, extra)))
        raise AnalysisError(f"cannot evaluate numerically: symbols without values: {names}")
    names = ("erf", "erfc", "erfc_scaled", "exp_scaled_square", "sigmoid", "softplus")
    compensated = _compensate_exp_square(_compensate_erfc(expression))
    function = sympy.lambdify(X, compensated, modules=[dict.fromkeys(names), "numpy"])
    return inspect.getsource(function)


def _split(constant: Any) -> tuple[Any, Any]:
    """A real constant as two floats, high + low, for twice-precision arithmetic."""
    import sympy

    high = float(constant)
    low = float(sympy.N(constant - sympy.Rational(high), 30))
    return sympy.Float(high, 17), sympy.Float(low, 17)


def _compensate_exp_square(expression: Any) -> Any:
    """exp(k*x**2), k a constant (the Gaussian in GELU's derivatives) -> exp_scaled_square."""
    import sympy

    from actcli.expr import X

    def matches(node: Any) -> bool:
        if not isinstance(node, sympy.exp):
            return False
        factor = node.args[0] / X**2
        return bool(factor.is_number and factor.is_real)

    def scaled(node: Any) -> Any:
        return sympy.Function("exp_scaled_square")(X, *_split(node.args[0] / X**2))

    return expression.replace(matches, scaled)


def _compensate_erfc(expression: Any) -> Any:
    """erfc(c*x), c an irrational constant (GELU's -1/sqrt(2)) -> erfc_scaled(x, c_hi, c_lo)."""
    import sympy

    from actcli.expr import X

    def is_scaled(node: Any) -> bool:
        if not isinstance(node, sympy.erfc):
            return False
        factor = node.args[0] / X
        return bool(factor.is_number and factor.is_real and not factor.is_Rational)

    def scaled(node: Any) -> Any:
        return sympy.Function("erfc_scaled")(X, *_split(node.args[0] / X))

    return expression.replace(is_scaled, scaled)


def function_from_source(source: str) -> ScalarFunction:
    """The float64 function defined by `scalar_source` output (no SymPy needed).

    `dtype=numpy.float32` evaluates in single precision instead (several times faster where
    float32 results suffice, as in Monte Carlo networks): NumPy keeps float32 through ufuncs with
    Python-float constants, and the compensated erfc/exp helpers still work in float64.
    """
    namespace = _namespace(source)
    exec(source, namespace)
    compiled = namespace["_lambdifygenerated"]

    def evaluate(x: np.ndarray, dtype: DTypeLike = np.float64) -> np.ndarray:
        x = np.asarray(x, dtype=dtype)
        with np.errstate(all="ignore"):
            result = compiled(x)
        result = np.broadcast_to(np.asarray(result, dtype=dtype), x.shape).copy()
        result[np.isnan(x)] = np.nan  # a Piecewise would send nan to its `otherwise` branch
        return result

    return evaluate


def compile_scalar(expression: Any) -> ScalarFunction:
    """f(x) for a SymPy expression in `x`; overflow in discarded Piecewise branches is silent."""
    return function_from_source(scalar_source(expression))


def compile_vector(expression: Any) -> Callable[[np.ndarray], np.ndarray]:
    """y = f(x) for a vector kind, x of shape (batch, n).

    The index expression is interpreted directly with NumPy broadcasting: the output index i
    runs along axis 1 and a reduction's index j along axis 2, so nothing is expanded per n.
    Returns shape (batch, n) when the expression has a free i, else (batch,).
    """
    from actcli.expr import I

    has_output_index = I in expression.free_symbols

    def evaluate(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2:
            raise AnalysisError("a vector activation takes rows of numbers")
        with np.errstate(all="ignore"):
            value = _VectorEvaluator(x).visit(expression)
        value = np.broadcast_to(value, (x.shape[0], x.shape[1] if has_output_index else 1, 1))
        return value[:, :, 0] if has_output_index else value[:, 0, 0].copy()

    return evaluate


class _VectorEvaluator:
    """Evaluates a vector-kind SymPy tree on a (batch, n) array; shapes are (batch, i, j)."""

    def __init__(self, x: np.ndarray) -> None:
        self.x = x

    def visit(self, node: Any) -> np.ndarray:
        import sympy
        from scipy import special

        from actcli.expr import I, J, N
        from actcli.functions import (
            logsumexp,
            reduce_max,
            reduce_min,
            sigmoid,
            softplus,
        )

        if node.is_Number or node in (sympy.pi, sympy.E):
            return np.asarray(float(node))
        if node == N:
            return np.asarray(float(self.x.shape[1]))
        if isinstance(node, sympy.Indexed):
            index = node.indices[0]
            if index == I:
                return self.x[:, :, None]
            if index == J:
                return self.x[:, None, :]
        if isinstance(node, sympy.Add):
            return sum((self.visit(arg) for arg in node.args), np.asarray(0.0))
        if isinstance(node, sympy.Mul):
            result = np.asarray(1.0)
            for arg in node.args:
                result = result * self.visit(arg)
            return result
        if isinstance(node, sympy.Pow):
            return np.power(self.visit(node.base), self.visit(node.exp))
        reductions = {
            sympy.Sum: np.sum,
            reduce_max: np.max,
            reduce_min: np.min,
            logsumexp: special.logsumexp,
        }
        for kind, reduce in reductions.items():
            if isinstance(node, kind):
                return reduce(self.visit(node.args[0]), axis=2, keepdims=True)
        elementwise = {
            sympy.exp: np.exp,
            sympy.log: np.log,
            sympy.tanh: np.tanh,
            sympy.Abs: np.abs,
            sigmoid: _sigmoid,
            softplus: _softplus,
        }
        for kind, function in elementwise.items():
            if isinstance(node, kind):
                return function(self.visit(node.args[0]))
        if isinstance(node, sympy.Max | sympy.Min):
            combine = np.maximum if isinstance(node, sympy.Max) else np.minimum
            result = self.visit(node.args[0])
            for arg in node.args[1:]:
                result = combine(result, self.visit(arg))
            return result
        if isinstance(node, sympy.Function) and len(node.args) == 1:
            name = type(node).__name__
            function = _namespace(name).get(name)
            if function is not None:
                return function(self.visit(node.args[0]))
        raise AnalysisError(f"cannot evaluate {node} numerically for a vector activation")


def reference_function(
    expression: Any, digits: int = 50, absolute: float = 0.0
) -> Callable[[Any], Any]:
    """A high-precision mpmath evaluator of a scalar expression in `x` (for checks and tests).

    The working precision is doubled until two evaluations agree to `digits` significant digits
    and it exceeds what the size of x and of the result call for, so cancellation in the
    definition (1 + erf(x/sqrt(2)) at x = -20, log(1 + exp(x)) at x = -424) cannot fool it. A
    value still below 1e-400 in magnitude at the precision cap is returned as it is (far below
    the smallest float64). actcli's own functions are
    rewritten to exp/log first, so this shares no code path with `compile_scalar` beyond SymPy.

    With `absolute` > 0 a value is only wanted to that absolute accuracy (measuring absolute
    errors): results smaller than it are not refined (gelu at x = -100 is 1e-2174; resolving
    it relatively takes thousands of digits and seconds per point).
    """
    import mpmath
    import sympy

    from actcli.expr import X
    from actcli.functions import to_elementary

    compiled = sympy.lambdify(X, to_elementary(expression), modules="mpmath")
    tiny = mpmath.mpf("1e-400")

    def evaluate(x: Any) -> Any:
        x = mpmath.mpf(x)
        # Enough digits for exp(|x|) beside 1 from the start; a tiny result needs as many more
        # as it is small, or 1 + exp(-424) = 1 at two precisions would "agree" on a wrong value.
        base = digits + 10 + int(abs(x) / math.log(10))
        dps, previous = base, None
        while dps <= MAX_REFERENCE_DPS:
            with mpmath.workdps(dps):
                value = compiled(x)
            below = abs(value) < absolute
            needed = base + (max(0, -int(mpmath.log10(abs(value)))) if value and not below else 0)
            if previous is not None and dps >= needed:
                if _agree(mpmath, value, previous, digits):
                    return value
                if below and abs(value - previous) <= absolute:
                    return value
            previous, dps = value, 2 * dps
        if abs(previous) < tiny:
            return previous
        raise AnalysisError(f"no {digits}-digit reference value at x = {x} (ill-conditioned)")

    return evaluate


def _agree(mpmath: Any, a: Any, b: Any, digits: int) -> bool:
    if not (mpmath.isfinite(a) and mpmath.isfinite(b)):
        return a == b or (mpmath.isnan(a) and mpmath.isnan(b))
    if a == 0 or b == 0:
        return False  # zero may be total cancellation: look again at higher precision
    return abs(a - b) <= mpmath.mpf(10) ** (-digits) * max(abs(a), abs(b))
