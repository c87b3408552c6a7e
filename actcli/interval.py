"""Interval evaluation of SymPy expressions in `x` over many intervals at once (NumPy arrays).

`bound(expression, lo, hi)` returns arrays (low, high) with low[i] <= e(x) <= high[i] for every
x in [lo[i], hi[i]]: the enclosure the lookup-table error bounds of `actcli.lut` rest on.

Every operation works on whole arrays of intervals (one per table segment), so certifying a
table of thousands of segments costs a few dozen NumPy calls per expression node.

Rounding. NumPy/SciPy arithmetic and elementary functions are not correctly rounded, so after
every operation each endpoint is widened outward by 4 ulp of its magnitude plus the smallest
subnormal. The enclosures are therefore certified modulo the accuracy of the platform's libm
and of SciPy's erf/erfc: at most 4 ulp per operation is assumed (erfc uses actcli.numeric's
compensated tail, since SciPy's own loses ~140 ulp near 23.6). Monotone functions are evaluated
at the endpoints; even powers, |u|, cosh, sin and cos look for interior extrema.

Anything undefined or unbounded (log of an interval reaching 0, 1/[a, b] with a <= 0 <= b,
0*inf, overflow) comes back as an infinite endpoint: callers treat a non-finite enclosure as
"not bounded here" and try a stable form or refuse, never as a number.

Piecewise expressions are enclosed by the hull of all their branches (valid whatever the
conditions; callers wanting tight bounds pick the active branch themselves).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy

from actcli.deferred import scipy_special
from actcli.errors import AnalysisError
from actcli.expr import X
from actcli.numeric import erfc, sigmoid, softplus

Pair = tuple[np.ndarray, np.ndarray]

_ULPS = 4 * np.finfo(np.float64).eps
_TINY = np.finfo(np.float64).smallest_subnormal


def bound(expression: Any, lo: np.ndarray, hi: np.ndarray) -> Pair:
    """An enclosure of expression(x) for all x in [lo[i], hi[i]], elementwise.

    Raises:
        AnalysisError: the expression holds a function this module cannot enclose (named), or
            a symbol other than x.
    """
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    with np.errstate(all="ignore"):
        low, high = _Evaluator(lo, hi).visit(expression)
    return np.broadcast_to(low, lo.shape).copy(), np.broadcast_to(high, lo.shape).copy()


def _widen(low: np.ndarray, high: np.ndarray) -> Pair:
    """Outward rounding; nan (0*inf, inf - inf, log of a negative) becomes an infinite bound."""
    low = np.where(np.isnan(low), -np.inf, low - (_ULPS * np.abs(low) + _TINY))
    high = np.where(np.isnan(high), np.inf, high + (_ULPS * np.abs(high) + _TINY))
    return low, high


def _monotone(function: Callable[[np.ndarray], np.ndarray], pair: Pair, increasing: bool) -> Pair:
    a, b = function(pair[0]), function(pair[1])
    return _widen(a, b) if increasing else _widen(b, a)


def _constant(value: Any) -> Pair:
    """A real constant (pi, sqrt(2)/2, 0.044715) enclosed from 30 digits."""

    if value.is_Rational or value.is_Float:
        v = np.asarray(float(value))
        if sympy.Rational(float(value)) == sympy.Rational(value):
            return v, v
        return _widen(v, v)
    number = sympy.N(value, 30)
    if not number.is_real:
        raise AnalysisError(f"cannot bound the non-real constant {value}")
    v = np.asarray(float(number))
    return _widen(v, v)


def _product(p: Pair, q: Pair) -> Pair:
    candidates = np.stack(np.broadcast_arrays(p[0] * q[0], p[0] * q[1], p[1] * q[0], p[1] * q[1]))
    if np.isnan(candidates).any():
        low = np.where(np.isnan(candidates).any(axis=0), -np.inf, candidates.min(axis=0))
        high = np.where(np.isnan(candidates).any(axis=0), np.inf, candidates.max(axis=0))
        return _widen(low, high)
    return _widen(candidates.min(axis=0), candidates.max(axis=0))


def _reciprocal(p: Pair) -> Pair:
    straddles = (p[0] <= 0) & (p[1] >= 0)
    low = np.where(straddles, -np.inf, 1 / p[1])
    high = np.where(straddles, np.inf, 1 / p[0])
    return _widen(low, high)


def _integer_power(p: Pair, n: int) -> Pair:
    if n == 0:
        return np.asarray(1.0), np.asarray(1.0)
    if n < 0:
        return _reciprocal(_integer_power(p, -n))
    a, b = p[0] ** n, p[1] ** n
    if n % 2:
        return _widen(a, b)
    straddles = (p[0] < 0) & (p[1] > 0)
    low = np.where(straddles, 0.0, np.minimum(a, b))
    return _widen(low, np.maximum(a, b))


def _real_power(p: Pair, exponent: float) -> Pair:
    """u**e for a non-integer constant e: defined for u >= 0 only (else an infinite bound)."""
    negative = p[0] < 0
    a, b = np.power(np.maximum(p[0], 0.0), exponent), np.power(p[1], exponent)
    low, high = (a, b) if exponent > 0 else (b, a)
    return _widen(np.where(negative, -np.inf, low), np.where(negative, np.inf, high))


def _abs(p: Pair) -> Pair:
    a, b = np.abs(p[0]), np.abs(p[1])
    straddles = (p[0] < 0) & (p[1] > 0)
    return np.where(straddles, 0.0, np.minimum(a, b)), np.maximum(a, b)


def _cosh(p: Pair) -> Pair:
    low, high = _abs(p)
    return _widen(np.cosh(low), np.cosh(high))


def _sin(p: Pair, shift: float = 0.0) -> Pair:
    """sin(u + shift); cos is sin shifted by pi/2. Extrema inside are found by their index."""
    a, b = p[0] + shift, p[1] + shift
    sa, sb = np.sin(a), np.sin(b)
    low, high = np.minimum(sa, sb), np.maximum(sa, sb)
    # maxima at pi/2 + 2k*pi, minima at -pi/2 + 2k*pi; a little slack for the inexact pi
    slack = 1e-12 * (1 + np.abs(a) + np.abs(b))
    two_pi = 2 * math.pi
    has_max = np.floor((b + slack - math.pi / 2) / two_pi) >= np.ceil(
        (a - slack - math.pi / 2) / two_pi
    )
    has_min = np.floor((b + slack + math.pi / 2) / two_pi) >= np.ceil(
        (a - slack + math.pi / 2) / two_pi
    )
    wide = ~np.isfinite(a) | ~np.isfinite(b) | (b - a >= two_pi)
    low = np.where(has_min | wide, -1.0, low)
    high = np.where(has_max | wide, 1.0, high)
    low, high = _widen(low, high)
    return np.maximum(low, -1.0), np.minimum(high, 1.0)


def _sign(p: Pair) -> Pair:
    return np.sign(p[0]), np.sign(p[1])


def _heaviside(p: Pair) -> Pair:
    """Non-decreasing; its value at 0 (a convention) lies in [0, 1] whatever it is."""
    return np.where(p[0] > 0, 1.0, 0.0), np.where(p[1] >= 0, 1.0, 0.0)


def _functions() -> dict[str, Callable[[Pair], Pair]]:
    """Unary functions by SymPy class name."""

    increasing = {
        "exp": np.exp,
        "log": np.log,
        "log1p": np.log1p,
        "expm1": np.expm1,
        "tanh": np.tanh,
        "sinh": np.sinh,
        "atan": np.arctan,
        "asinh": np.arcsinh,
        "erf": scipy_special().erf,
        "sigmoid": sigmoid,
        "softplus": softplus,
    }
    table: dict[str, Callable[[Pair], Pair]] = {
        name: (lambda p, f=f: _monotone(f, p, True)) for name, f in increasing.items()
    }
    table.update(
        {
            "erfc": lambda p: _monotone(erfc, p, False),
            "cosh": _cosh,
            "sin": _sin,
            "cos": lambda p: _sin(p, math.pi / 2),
            "Abs": _abs,
            "sign": _sign,
            "Heaviside": _heaviside,
        }
    )
    return table


class _Evaluator:
    """Walks a SymPy tree bottom-up, every node an interval array pair."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray) -> None:
        self.x = (lo, hi)
        self.functions = _functions()

    def visit(self, node: Any) -> Pair:

        if node == X:
            return self.x
        if node.is_number:
            return _constant(node)
        if isinstance(node, sympy.Symbol):
            raise AnalysisError(f"cannot bound an expression holding the symbol {node}")
        if isinstance(node, sympy.Add):
            low, high = self.visit(node.args[0])
            for arg in node.args[1:]:
                a, b = self.visit(arg)
                low, high = _widen(low + a, high + b)
            return low, high
        if isinstance(node, sympy.Mul):
            result = self.visit(node.args[0])
            for arg in node.args[1:]:
                result = _product(result, self.visit(arg))
            return result
        if isinstance(node, sympy.Pow):
            return self._power(node)
        if isinstance(node, sympy.Max | sympy.Min):
            pairs = [self.visit(arg) for arg in node.args]
            combine = np.maximum if isinstance(node, sympy.Max) else np.minimum
            low, high = pairs[0]
            for a, b in pairs[1:]:
                low, high = combine(low, a), combine(high, b)
            return low, high
        if isinstance(node, sympy.Piecewise):
            pairs = [self.visit(value) for value, _ in node.args]
            low = np.minimum.reduce([np.broadcast_to(p[0], self.x[0].shape) for p in pairs])
            high = np.maximum.reduce([np.broadcast_to(p[1], self.x[0].shape) for p in pairs])
            return low, high
        name = type(node).__name__
        if name in self.functions and len(node.args) == 1:
            return self.functions[name](self.visit(node.args[0]))
        raise AnalysisError(f"interval bounds do not support the function {name} (in {node})")

    def _power(self, node: Any) -> Pair:

        base, exponent = node.args
        if not exponent.is_number:
            if base == sympy.E:
                return self.functions["exp"](self.visit(exponent))
            raise AnalysisError(f"interval bounds need a constant exponent (in {node})")
        if exponent.is_Integer:
            return _integer_power(self.visit(base), int(exponent))
        if base.is_number:
            return _constant(node)
        return _real_power(self.visit(base), float(exponent))
