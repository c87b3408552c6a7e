"""SymPy expressions compiled to NumPy source, and a high-precision mpmath reference.

The source is what `actcli.numeric.function_from_source` runs: plain Python, so a compilation
can be cached and reused without SymPy. Two rewrites keep GELU-like forms accurate in float64:
erfc(c*x) and exp(k*x**2) with irrational constants are carried to twice precision. Accuracy
otherwise comes from what it is given: a spec's hand-written stable forms, or for a user's
expression the rewritten form that `actcli.stabilize` chose (it measures its candidates with
this module's compiler and reference).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy

from actcli.deferred import scipy_special
from actcli.errors import AnalysisError
from actcli.expr import I, J, N, X
from actcli.functions import logsumexp, reduce_max, reduce_min, sigmoid, softplus, to_elementary
from actcli.generated import SOURCE_FUNCTIONS
from actcli.numeric import ScalarFunction, function_from_source, namespace
from actcli.numeric import sigmoid as numeric_sigmoid
from actcli.numeric import softplus as numeric_softplus

MAX_REFERENCE_DPS = 4000
LARGE_X_DPS = MAX_REFERENCE_DPS // 4


def scalar_source(expression: Any) -> str:
    """Python source of a NumPy function `_lambdifygenerated(x)` computing the expression."""
    extra = expression.free_symbols - {X}
    if extra:
        names = ", ".join(sorted(map(str, extra)))
        raise AnalysisError(f"cannot evaluate numerically: symbols without values: {names}")
    compensated = compensate_exp_square(compensate_erfc(compensate_exp_erfc(expression)))
    printed = _merged_comparisons(_zoo_as_nan(float_constants(_unnamed_constants(compensated))))
    function = sympy.lambdify(X, printed, modules=[dict.fromkeys(_KERNEL_NAMES), "numpy"])
    return inspect.getsource(function)


# printed by name, bound by `numeric.namespace` (not NumPy's erf, nor SymPy's own printing)
_KERNEL_NAMES = (
    "erf",
    "erfc",
    "erfc_scaled",
    "exp_scaled_square",
    "exp_times_erfc",
    "sigmoid",
    "softplus",
)


def _merged_comparisons(expression: Any) -> Any:
    """Eq(a, b) | (a < b) as a <= b (and with a > b as a >= b): a region and its breakpoint,
    as the pieces of a Piecewise come, in one comparison. NumPy printed the Or as
    logical_or.reduce((equal(x, 0), less(x, 0))), three passes and a stacked copy; on a few
    numbers, 8 us of relu's f' (a loop of small `actcli.evaluate` calls)."""

    def merged(node: Any) -> Any:
        args = list(node.args)
        for equality in [a for a in args if isinstance(a, sympy.Eq)]:
            for strict, wide in (
                (sympy.StrictLessThan, sympy.Le),
                (sympy.StrictGreaterThan, sympy.Ge),
            ):
                partner = next(
                    (a for a in args if isinstance(a, strict) and _same_sides(a, equality)), None
                )
                if partner is not None:
                    args.remove(partner)
                    args[args.index(equality)] = wide(*partner.args, evaluate=False)
                    break
        return sympy.Or(*args) if len(args) > 1 else args[0]

    return expression.replace(lambda node: isinstance(node, sympy.Or), merged)


def _same_sides(comparison: Any, equality: Any) -> bool:
    return set(comparison.args) == set(equality.args) and len(set(equality.args)) == 2


def _zoo_as_nan(expression: Any) -> Any:
    """zoo, a division by 0 that folding made explicit (x/heaviside(x) for x < 0), as nan:
    undefined there, and a name the NumPy and mpmath printers have."""
    return expression.xreplace({sympy.zoo: sympy.nan})


FLOAT_INTEGER_LIMIT = 2**1000  # beyond it, an exact integer is written as a float literal


def float_constants(expression: Any) -> Any:
    """Rational constants too large for float64's exponent (10**400, or 10**400/3) as float
    literals, which Python reads as inf (float64's own overflow) instead of raising
    OverflowError where NumPy meets a Python int it cannot convert."""

    def huge(node: Any) -> bool:
        return isinstance(node, sympy.Rational) and (
            abs(node.p) > FLOAT_INTEGER_LIMIT or node.q > FLOAT_INTEGER_LIMIT
        )

    return expression.replace(huge, lambda node: sympy.Float(node, 17))


def _unnamed_constants(expression: Any) -> Any:
    """Constant applications of functions the generated source has no name for, as float
    literals (nan where not real): a breakpoint that SymPy solved with LambertW, as in
    exp(x) - x - 2 > 0, or a root of a quintic (CRootOf), was a NameError at run time."""

    def unnamed(node: Any) -> bool:
        return (
            isinstance(node, (sympy.Function, sympy.CRootOf))
            and type(node).__name__ not in SOURCE_FUNCTIONS
            and bool(node.is_number)
        )

    def value(node: Any) -> Any:
        number = complex(sympy.N(node, 30))
        return sympy.Float(number.real, 17) if number.imag == 0 else sympy.nan

    return expression.replace(unnamed, value)


def _split(constant: Any) -> tuple[Any, Any]:
    """A real constant as two floats, high + low, for twice-precision arithmetic."""
    high = float(constant)
    low = float(sympy.N(constant - sympy.Rational(high), 30))
    return sympy.Float(high, 17), sympy.Float(low, 17)


def compensate_exp_square(expression: Any) -> Any:
    """exp(k*x**2), k a constant (the Gaussian in GELU's derivatives) -> exp_scaled_square."""

    def matches(node: Any) -> bool:
        if not isinstance(node, sympy.exp):
            return False
        factor = node.args[0] / X**2
        return bool(factor.is_number and factor.is_real)

    def scaled(node: Any) -> Any:
        return sympy.Function("exp_scaled_square")(X, *_split(node.args[0] / X**2))

    return expression.replace(matches, scaled)


def compensate_exp_erfc(expression: Any) -> Any:
    """exp(v)*erfc(u) (one erfc, any exponentials, in one product) -> exp_times_erfc(v, u):
    erfc underflows beyond u = 26.5 where the product need not (`numeric.exp_times_erfc`);
    exp(v)/erfc(u) -> 1/exp_times_erfc(-v, u) likewise (log(erfc(x))' at 27 is
    -2*exp(-x**2)/(sqrt(pi)*erfc(x)), two underflows: 2e-6 off)."""

    def is_error(f: Any, power: int) -> bool:
        if power == -1:
            f = f.base if f.is_Pow and f.exp == -1 else None
        return isinstance(f, sympy.erfc) and f.args[0].has(X)

    def parts(node: Any) -> tuple[list[Any], int, list[Any], list[Any]]:
        factors = node.args if node.is_Mul else ()
        for power in (1, -1):
            errors = [f for f in factors if is_error(f, power)]
            if errors:
                break
        exponentials = [f for f in factors if isinstance(f, sympy.exp) and f.args[0].has(X)]
        rest = [f for f in factors if f not in errors and f not in exponentials]
        return errors, power, exponentials, rest

    def matches(node: Any) -> bool:
        errors, _, exponentials, _ = parts(node)
        return len(errors) == 1 and bool(exponentials)

    def combined(node: Any) -> Any:
        (error,), power, exponentials, rest = parts(node)
        exponent = sympy.Add(*(f.args[0] for f in exponentials))
        if power == -1:
            product = sympy.Function("exp_times_erfc")(-exponent, error.base.args[0])
            return sympy.Mul(*rest) / product
        return sympy.Mul(*rest) * sympy.Function("exp_times_erfc")(exponent, error.args[0])

    return expression.replace(matches, combined)


def compensate_erfc(expression: Any) -> Any:
    """erfc(c*x), c an irrational constant (GELU's -1/sqrt(2)) -> erfc_scaled(x, c_hi, c_lo)."""

    def is_scaled(node: Any) -> bool:
        if not isinstance(node, sympy.erfc):
            return False
        factor = node.args[0] / X
        return bool(factor.is_number and factor.is_real and not factor.is_Rational)

    def scaled(node: Any) -> Any:
        return sympy.Function("erfc_scaled")(X, *_split(node.args[0] / X))

    return expression.replace(is_scaled, scaled)


def compile_scalar(expression: Any) -> ScalarFunction:
    """f(x) for a SymPy expression in `x`; overflow in discarded Piecewise branches is silent."""
    return function_from_source(scalar_source(expression))


def compile_vector(expression: Any) -> Callable[[np.ndarray], np.ndarray]:
    """y = f(x) for a vector kind, x of shape (batch, n).

    The index expression is interpreted directly with NumPy broadcasting: the output index i
    runs along axis 1 and a reduction's index j along axis 2, so nothing is expanded per n.
    Returns shape (batch, n) when the expression has a free i, else (batch,).
    """
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
            subtracted = [a for a in node.args if isinstance(-a, logsumexp)]
            if len(subtracted) == 1:
                rest = sympy.Add(*(a for a in node.args if a is not subtracted[0]))
                return self._minus_logsumexp(rest, -subtracted[0])
            return sum((self.visit(arg) for arg in node.args), np.asarray(0.0))
        if isinstance(node, sympy.Mul) and (quotient := self._shifted_quotient(node)) is not None:
            return quotient
        if isinstance(node, sympy.log) and _sum_of_exponentials(node.args[0]):
            _, _, shift, terms = self._shifted_terms(node.args[0].args[0].args[0])
            return shift + np.log(np.sum(terms, axis=2, keepdims=True))
        if isinstance(node, sympy.Mul):
            result = np.asarray(1.0)
            for arg in node.args:
                result = result * self.visit(arg)
            return result
        if isinstance(node, sympy.Pow) and _sum_of_squares(node.base) and node.exp.is_number:
            return self._scaled_power(node.base, float(node.exp))
        if isinstance(node, sympy.Pow):
            return np.power(self.visit(node.base), self.visit(node.exp))
        reductions = {
            sympy.Sum: np.sum,
            reduce_max: np.max,
            reduce_min: np.min,
            logsumexp: scipy_special().logsumexp,
        }
        for kind, reduce in reductions.items():
            if isinstance(node, kind):
                return reduce(self.visit(node.args[0]), axis=2, keepdims=True)
        elementwise = {
            sympy.exp: np.exp,
            sympy.log: np.log,
            sympy.tanh: np.tanh,
            sympy.Abs: np.abs,
            sigmoid: numeric_sigmoid,
            softplus: numeric_softplus,
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
            function = namespace(name).get(name)
            if function is not None:
                return function(self.visit(node.args[0]))
        raise AnalysisError(f"cannot evaluate {node} numerically for a vector activation")

    def _scaled_power(self, total: Any, exponent: float) -> np.ndarray:
        """(sum of b_j**2)**e as m**(2e) * (sum of (b_j/m)**2)**e, m the largest |b_j|: the
        norm in x[i]/sqrt(sum(x[j]**2, j)) was 0 at [1e200, 1e200] (the squares overflow)
        and inf at [1e-200, 1e-200] (they underflow)."""
        body = self._over_j(total.args[0].base)
        largest = np.max(np.abs(body), axis=2, keepdims=True)
        # scaled only where the squares could leave float64's range: elsewhere as written
        # (3/sqrt(9 + 16) is 0.6 exactly, 0.6000000000000001 through the scale)
        scale = np.where((largest > SQUARES_SAFE[0]) & (largest < SQUARES_SAFE[1]), 1.0, largest)
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            squares = np.sum((body / scale) ** 2, axis=2, keepdims=True)
            return scale ** (2 * exponent) * squares**exponent

    def _over_j(self, expression: Any) -> np.ndarray:
        """A reduction's body, (batch, rows, n) whatever shape it broadcasts from."""
        body = self.visit(expression)
        return np.broadcast_to(body, (*body.shape[:2], self.x.shape[1]))

    def _shifted_terms(self, exponent: Any) -> tuple[np.ndarray, ...]:
        """(b, its largest entry m, the shift, exp(b - shift)) for the exponents b over j; the
        shift is m, or 0 where m is not finite: a sum of exp(b) is exp(m) times the terms'
        sum, which cannot overflow."""
        body = self._over_j(exponent)
        largest = np.max(body, axis=2, keepdims=True)
        shift = np.where(np.isfinite(largest), largest, 0.0)
        with np.errstate(invalid="ignore", over="ignore"):
            return body, largest, shift, np.exp(body - shift)

    def _shifted_quotient(self, node: Any) -> np.ndarray | None:
        """exp(a)/sum(exp(body), j) (times other factors) as exp(a - m)/sum(exp(body - m), j):
        a softmax written as its definition was nan at [1000, 1000] (inf/inf), and with a
        temperature of 1e-300 at [1, 2, 3]. None where the product has no such quotient."""
        sums = [a for a in node.args if a.is_Pow and a.exp == -1 and _sum_of_exponentials(a.base)]
        powers = [a for a in node.args if isinstance(a, sympy.exp)]
        if len(sums) != 1 or len(powers) != 1:
            return None
        _, _, shift, terms = self._shifted_terms(sums[0].base.args[0].args[0])
        with np.errstate(invalid="ignore", over="ignore"):
            result = np.exp(self.visit(powers[0].args[0]) - shift)
        result = result / np.sum(terms, axis=2, keepdims=True)
        for factor in node.args:
            if factor is not sums[0] and factor is not powers[0]:
                result = result * self.visit(factor)
        return result

    def _minus_logsumexp(self, rest: Any, reduction: Any) -> np.ndarray:
        """rest - logsumexp(body) as (rest - m) - log1p(sum of exp(body - m) but the largest),
        m the largest body: softmax's x_i - logsumexp(x) was x_i - (m + log n), log n lost
        beside m = 1e16 (softmax of [1e16, 1e16] was [1, 1]), and log_softmax's largest entry
        lost its digits (-log1p(exp(-40)) was 0)."""
        body, largest, shift, terms = self._shifted_terms(reduction.args[0])
        first = np.argmax(body, axis=2)[..., None]  # one largest term, which is exp(0) = 1
        np.put_along_axis(terms, first, 0.0, axis=2)
        others = np.sum(terms, axis=2, keepdims=True)
        kept = self.visit(rest)
        result = (kept - shift) - np.log1p(others)
        unshifted = ~np.isfinite(largest)  # an infinite or nan largest: as SciPy has it
        if unshifted.any():
            with np.errstate(invalid="ignore"):
                plain = kept - scipy_special().logsumexp(body, axis=2, keepdims=True)
            result = np.where(unshifted, plain, result)
        return result


SQUARES_SAFE = (1e-140, 1e140)  # |b| within these: a sum of squares stays normal and finite


def _sum_of_squares(node: Any) -> bool:
    return isinstance(node, sympy.Sum) and node.args[0].is_Pow and node.args[0].exp == 2


def _sum_of_exponentials(node: Any) -> bool:
    return isinstance(node, sympy.Sum) and isinstance(node.args[0], sympy.exp)


def reference_function(
    expression: Any, digits: int = 50, absolute: float = 0.0, max_dps: int = MAX_REFERENCE_DPS
) -> Callable[[Any], Any]:
    """A high-precision mpmath evaluator of a scalar expression in `x` (for checks and tests).

    The working precision is doubled until two evaluations agree to `digits` significant digits
    and it exceeds what the size of x and of the result call for, so cancellation in the
    definition (1 + erf(x/sqrt(2)) at x = -20, log(1 + exp(x)) at x = -424) cannot fool it. A
    value still below 1e-400 in magnitude at the precision cap (`max_dps` digits) is returned
    as it is (far below the smallest float64). actcli's own functions are
    rewritten to exp/log first, so this shares no code path with `compile_scalar` beyond SymPy.

    Far out (|x| > ~2000, where exp(-|x|) beside 1 would need more than a quarter of the cap)
    the doubling starts from what an algebraic cancellation at x costs (8 digits per decade of
    |x|); beyond |x| = max_dps*ln(10), where exp(-|x|) beside 1 is out of reach at any allowed
    precision, a result that stays 0 is taken as underflow and two agreeing values suffice.

    With `absolute` > 0 a value is only wanted to that absolute accuracy (measuring absolute
    errors): results smaller than it are not refined (gelu at x = -100 is 1e-2174; resolving
    it relatively takes thousands of digits and seconds per point).
    """
    compiled = sympy.lambdify(X, _zoo_as_nan(to_elementary(expression)), modules="mpmath")
    tiny = mpmath.mpf("1e-400")

    def evaluate(x: Any) -> Any:
        x = mpmath.mpf(x)
        # Enough digits for exp(|x|) beside 1 from the start; a tiny result needs as many more
        # as it is small, or 1 + exp(-424) = 1 at two precisions would "agree" on a wrong value.
        scale = int(abs(x) / math.log(10))
        if scale > min(LARGE_X_DPS, max_dps // 2) - digits - 10:
            scale = 8 * (int(mpmath.log10(abs(x))) + 1)
        base = digits + 10 + scale
        unreachable = abs(x) > max_dps * math.log(10)
        dps, previous = base, None
        while dps <= max_dps:
            with mpmath.workdps(dps):
                value = compiled(x)
            if unreachable and value == 0 and previous == 0:
                return value
            below = abs(value) < absolute
            needed = base + (max(0, -int(mpmath.log10(abs(value)))) if value and not below else 0)
            if previous is not None and (dps >= needed or unreachable):
                if _agree(mpmath, value, previous, digits):
                    return value
                if below and abs(value - previous) <= absolute:
                    return value
            previous, dps = value, 2 * dps
        if previous is not None and abs(previous) < tiny:
            return previous
        raise AnalysisError(f"no {digits}-digit reference value at x = {x} (ill-conditioned)")

    return evaluate


def _agree(mpmath: Any, a: Any, b: Any, digits: int) -> bool:
    if not (mpmath.isfinite(a) and mpmath.isfinite(b)):
        return a == b or (mpmath.isnan(a) and mpmath.isnan(b))
    if a == 0 or b == 0:
        return False  # zero may be total cancellation: look again at higher precision
    return abs(a - b) <= mpmath.mpf(10) ** (-digits) * max(abs(a), abs(b))
