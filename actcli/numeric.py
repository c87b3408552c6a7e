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
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from actcli.deferred import scipy_special

ScalarFunction = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Kink:
    """A cut point of an activation (breakpoint, pole, end of the real domain), with what
    float evaluation needs there: f(x) as defined (nan where undefined) and the one-sided
    limits `left[k]`, `right[k]` of f^(k), k = 0..order (inf for an infinite limit, nan for
    none, and nan on a side where f is not real: `sides` says which sides count).
    """

    x: float
    x_exact: str
    left: tuple[float, ...]
    right: tuple[float, ...]
    value: float = math.nan
    sides: str = "both"  # "both", "left" or "right": where f is real next to x

    def _limits(self, order: int) -> list[float]:
        chosen = {"left": [self.left], "right": [self.right]}.get(self.sides)
        return [side[order] for side in (chosen or [self.left, self.right])]

    def first_jump(self) -> int | None:
        """The lowest order k at which f^(k) is not continuous at x: a one-sided limit that
        is infinite or missing, limits that differ, or (k = 0) f(x) different from them."""
        for order in range(len(self.left)):
            limits = self._limits(order)
            if order == 0:
                limits = [*limits, self.value]
            if not all(math.isfinite(v) for v in limits):
                return order
            if not all(_close(limits[0], v) for v in limits[1:]):
                return order
        return None

    def exists(self, order: int) -> bool:
        """f^(order)(x) exists: f is defined there, and for order >= 1, f..f^(order) are
        continuous at x (one-sided derivatives from finite, equal limits)."""
        if not math.isfinite(self.value):
            return False
        jump = self.first_jump()
        return order == 0 or jump is None or jump > order

    def value_of(self, order: int) -> float:
        """f^(order)(x) where it exists (f(x) for order 0, else the common limit)."""
        return self.value if order == 0 else self._limits(order)[0]


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


def sigmoid(u: np.ndarray) -> np.ndarray:
    # exp of minus |u| only, so nothing overflows; both branches are accurate to ~1 ulp
    e = np.exp(-np.abs(u))
    return np.where(u >= 0, 1 / (1 + e), e / (1 + e))


def softplus(u: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, u)


def heaviside(u: np.ndarray, h0: float = 0.5) -> np.ndarray:
    return np.heaviside(u, h0)


def select(conditions: list[Any], choices: list[Any], default: Any = 0) -> np.ndarray:
    """`numpy.select` (the first true condition picks its choice) as a chain of `numpy.where`:
    the same values, ~10x faster on a few numbers (numpy.select broadcasts every argument
    first), which is what a loop of small `actcli.evaluate` calls pays per Piecewise."""
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
    if b is a:
        b_hi, b_lo = a_hi, a_lo
    else:
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
    and the `where`s that would select them cost more than the points)."""
    special = scipy_special()
    z = np.asarray(z, dtype=np.float64)
    result = np.asarray(special.erfc(z))
    tail = np.isfinite(z) & (z > 1)
    if tail.any():
        t = z[tail]
        square = t * t
        result[tail] = special.erfcx(t) * exp_accurate(-square, -two_product_error(t, t, square))
    return result


def erfc_scaled(x: np.ndarray, c_hi: float, c_lo: float) -> np.ndarray:
    """erfc(c*x) for a constant c = c_hi + c_lo given to twice float precision.

    Rounding c*x costs a relative error of about 2*(c*x)**2 ulp in erfc (its log-derivative is
    -2z): 900 ulp for GELU at x = -32. The rounding error e of the product is recovered exactly
    and corrected to first order, erfc(z + e) = erfc(z) - e*2/sqrt(pi)*exp(-z**2).
    """
    x = np.asarray(x, dtype=np.float64)
    z = c_hi * x
    safe = np.abs(x) < 1e150  # the splitting overflows beyond; erfc is 0 or 2 there anyway
    if safe.all():
        error = two_product_error(x, c_hi, z) + c_lo * x
    else:
        error = np.where(safe, two_product_error(np.where(safe, x, 0.0), c_hi, z) + c_lo * x, 0.0)
    return erfc(z) - error * TWO_OVER_SQRT_PI * np.exp(-z * z)


TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def exp_scaled_square(x: np.ndarray, k_hi: float, k_lo: float) -> np.ndarray:
    """exp(k*x**2) with x**2 and the product carried to twice precision: rounding x**2 alone
    costs |k|*x**2 ulp (300 ulp in GELU's derivative at x = -33)."""
    x = np.asarray(x, dtype=np.float64)
    safe = np.abs(x) < 1e150
    square = x * x
    exponent = k_hi * square
    if safe.all():  # the `where`s below change nothing: skipped (~5 us on a few numbers)
        square_error = two_product_error(x, x, square)
        error = two_product_error(square, k_hi, exponent) + k_hi * square_error + k_lo * square
        return exp_accurate(exponent, error)
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
        names.update({"erf": scipy_special().erf, "erfc": erfc, "erfc_scaled": erfc_scaled})
    return names


# -- what `actcli.compiler.scalar_source` emits (SymPy's lambdify, NumPy printer), as a whitelist
# of syntax and names: a cached source outside it is not run (see `is_generated_source`).

GENERATED_NAME = "_lambdifygenerated"
MAX_SOURCE_CHARS = 1_000_000
MAX_INTEGER_BITS = 4096  # wider integer literals and constant products are refused
SOURCE_FUNCTIONS = frozenset(
    {
        # the grammar's functions, as NumPy names, and actcli's kernels
        *("exp", "log", "log1p", "expm1", "sqrt", "abs", "absolute", "sign"),
        *("sin", "cos", "tan", "arctan", "tanh", "sinh", "cosh", "erf", "erfc"),
        *("maximum", "minimum", "amax", "amin", "heaviside", "Heaviside"),
        *("sigmoid", "softplus", "erfc_scaled", "exp_scaled_square"),
        # Piecewise and its conditions
        *("select", "where", "equal", "not_equal", "greater", "greater_equal", "less"),
        *("less_equal", "logical_and", "logical_or", "logical_not"),
    }
)
SOURCE_CONSTANTS = frozenset({"x", "pi", "e", "nan", "inf"})
SOURCE_KEYWORDS = frozenset({"default", "axis"})
_REDUCERS = frozenset({"logical_and", "logical_or"})  # called as logical_or.reduce((a, b))
_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_CONSTANT_VALUES = {"pi": math.pi, "e": math.e, "nan": math.nan, "inf": math.inf}
# What each name of SOURCE_FUNCTIONS and SOURCE_CONSTANTS means, as lambdify's NumPy printer
# writes it: an explicit table, not `from numpy import *` (that star import cost more than
# importing NumPy itself: it loads numpy.testing, f2py, ma, random, ...). erf and erfc come
# from SciPy, bound by `namespace` only for source that uses them.
_SCIPY_NAMES = frozenset({"erf", "erfc", "erfc_scaled"})
_KERNELS: dict[str, Any] = {
    "select": select,
    "sigmoid": sigmoid,
    "softplus": softplus,
    "Heaviside": heaviside,
    "exp_scaled_square": exp_scaled_square,
}
_SOURCE_NAMES: dict[str, Any] = {
    **{name: getattr(np, name) for name in SOURCE_FUNCTIONS - _SCIPY_NAMES - _KERNELS.keys()},
    **_KERNELS,
    **_CONSTANT_VALUES,
}


def is_generated_source(source: object) -> bool:
    """Whether `source` is code the generator could have written: one function
    `_lambdifygenerated(x)` whose body is `return <expression>`, the expression built from
    numbers, `x`, NumPy's constants, + - * / ** and unary minus, and calls of whitelisted
    functions (`SOURCE_FUNCTIONS`) with lists and tuples as arguments. Nothing else (no
    attribute but `logical_or.reduce`, no strings, no subscripts, no lambdas, no statement but
    the return) is accepted, so running accepted source can do nothing but arithmetic on x.
    Integer literals are bounded and constant arithmetic is tried once here, so accepted source
    cannot raise or hang on Python integers or floats.
    """
    if not isinstance(source, str) or len(source) > MAX_SOURCE_CHARS:
        return False
    try:
        tree = ast.parse(source)
        return _is_generated_module(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def _is_generated_module(tree: ast.Module) -> bool:
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        return False
    function = tree.body[0]
    arguments = function.args
    if (
        function.name != GENERATED_NAME
        or function.decorator_list
        or function.returns is not None
        or getattr(function, "type_params", [])
        or arguments.posonlyargs
        or arguments.kwonlyargs
        or arguments.vararg is not None
        or arguments.kwarg is not None
        or arguments.defaults
        or [(a.arg, a.annotation) for a in arguments.args] != [("x", None)]
        or len(function.body) != 1
        or not isinstance(function.body[0], ast.Return)
        or function.body[0].value is None
    ):
        return False
    return _is_generated_expression(function.body[0].value)


def _is_generated_expression(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or isinstance(value, float):
            return True
        return isinstance(value, int) and value.bit_length() <= MAX_INTEGER_BITS
    if isinstance(node, ast.Name):
        return isinstance(node.ctx, ast.Load) and node.id in SOURCE_CONSTANTS
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.USub | ast.UAdd) and _operand(node.operand)
    if isinstance(node, ast.BinOp):
        if not isinstance(node.op, _OPERATORS):
            return False
        if not (_operand(node.left) and _operand(node.right)):
            return False
        return _constant_arithmetic_is_safe(node)
    if isinstance(node, ast.Call):
        return _is_generated_call(node)
    return False


def _operand(node: ast.expr) -> bool:
    """An operand of arithmetic: an expression, but not a list or tuple ([True]*10**9)."""
    return not isinstance(node, ast.List | ast.Tuple) and _is_generated_expression(node)


def _is_generated_call(node: ast.Call) -> bool:
    function = node.func
    if isinstance(function, ast.Name):
        if function.id not in SOURCE_FUNCTIONS:
            return False
    elif not (
        isinstance(function, ast.Attribute)
        and function.attr == "reduce"
        and isinstance(function.value, ast.Name)
        and function.value.id in _REDUCERS
    ):
        return False
    if len(node.args) > 8 or any(k.arg not in SOURCE_KEYWORDS for k in node.keywords):
        return False
    arguments = [*node.args, *(k.value for k in node.keywords)]
    return all(_is_generated_argument(a) for a in arguments)


def _is_generated_argument(node: ast.expr) -> bool:
    if isinstance(node, ast.List | ast.Tuple):
        return isinstance(node.ctx, ast.Load) and all(_operand(e) for e in node.elts)
    return _is_generated_expression(node)


def _constant_arithmetic_is_safe(node: ast.expr) -> bool:
    """Arithmetic on Python numbers alone (no x, no call: those are NumPy values, which do
    not raise) evaluated here once: it must neither raise (1/0, 10.0**400) nor build an
    integer wider than MAX_INTEGER_BITS (9**9**9 would hang the evaluation)."""
    try:
        _constant_value(node)
    except _NotConstant:
        return True
    except (ArithmeticError, ValueError, TypeError):
        return False
    return True


class _NotConstant(Exception):
    pass


def _constant_value(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in _CONSTANT_VALUES:
        return _CONSTANT_VALUES[node.id]
    if isinstance(node, ast.UnaryOp):
        value = _constant_value(node.operand)
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BinOp):
        left, right = _constant_value(node.left), _constant_value(node.right)
        if isinstance(node.op, ast.Pow) and isinstance(left, int) and isinstance(right, int):
            if right > 0 and max(left.bit_length(), 1) * right > MAX_INTEGER_BITS:
                raise ValueError("integer power too large")
        operations = {
            ast.Add: lambda a, b: a + b,
            ast.Sub: lambda a, b: a - b,
            ast.Mult: lambda a, b: a * b,
            ast.Div: lambda a, b: a / b,
            ast.Pow: lambda a, b: a**b,
        }
        value = operations[type(node.op)](left, right)
        if isinstance(value, complex):
            raise ValueError("complex constant")
        if isinstance(value, int) and value.bit_length() > MAX_INTEGER_BITS:
            raise ValueError("integer constant too large")
        return value
    raise _NotConstant


def function_from_source(source: str) -> ScalarFunction:
    """The float64 function defined by `scalar_source` output (no SymPy needed).

    `dtype=numpy.float32` evaluates in single precision instead (several times faster where
    float32 results suffice, as in Monte Carlo networks): NumPy keeps float32 through ufuncs with
    Python-float constants, and the compensated erfc/exp helpers still work in float64.
    """
    names = namespace(source)
    exec(source, names)
    compiled = names["_lambdifygenerated"]

    def evaluate(x: np.ndarray, dtype: DTypeLike = np.float64) -> np.ndarray:
        x = np.asarray(x, dtype=dtype)
        with np.errstate(all="ignore"):
            result = compiled(x)
        if np.iscomplexobj(result):  # a constant such as I: real only where the imaginary part is 0
            result = np.where(np.imag(result) == 0, np.real(result), np.nan)
        if isinstance(result, np.ndarray) and result.shape == x.shape:
            result = result.astype(dtype)  # a copy: the function may return x itself
        else:
            result = np.broadcast_to(np.asarray(result, dtype=dtype), x.shape).copy()
        result[np.isnan(x)] = np.nan  # a Piecewise would send nan to its `otherwise` branch
        return result

    return evaluate
