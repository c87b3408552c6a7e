"""`actcli properties`: range, bounds, monotonicity, saturation and Gaussian moments of a scalar
activation, each labelled with how it was found ("symbolic" or "numeric").

How each entry is found:

- The definition is rewritten as a Piecewise (max/min/abs/... included) and cut at its
  breakpoints into pieces; on each piece one analytic branch is active. Nothing here takes a
  limit of a whole Piecewise (SymPy ignores the direction there): values at breakpoints are the
  values of the branch active on each side, and limits at -oo/+oo are those of the branch active
  on that far side.
- Range: per piece, the candidates are the limits at its ends (approached, not attained), the
  values at the real roots of f' = 0 that `sympy.solve` finds inside the piece (attained, exact),
  and a numeric global search (a dense grid on [-60, 60] plus geometric tails out to 1e6, sign
  changes of f' refined by Brent's method). The value f(b) at each breakpoint is added as a
  point. The image is the union of these; when it is not one interval (a function with a jump,
  like hardshrink or binary_step) `Range.interval` is False, the endpoints are those of the hull,
  and `Range.image` spells out the union. The range is "symbolic" when both endpoints are exact
  and every piece's critical points came from `sympy.solve` (and agree with the numeric search).
  Extrema beyond |x| = 1e6, or between grid points 0.01 apart, can be missed by the numeric
  search.
- Monotonicity of f (and of f'): the sign of the next derivative on each piece (exact where
  SymPy decides it, sampled otherwise) and the direction of each jump at a breakpoint. "constant"
  is reported for a constant function (f' of the identity). The witness is None for a strictly
  monotonic function; two x with equal values for a non-strict one (x1 < x2, g(x1) = g(x2)); and
  three x for "none": x1 < x2 < x3 with g(x2) below both g(x1) and g(x3), or above both, which
  shows that g is neither nondecreasing nor nonincreasing.
- Saturation: the limit of the far branch's f' at -oo / +oo is 0. Zero-gradient regions: pieces
  on which f' is identically 0 (merged across a breakpoint where f' exists and is 0).
  dead_probability is their Gaussian mass, P(f'(z) = 0) for z ~ N(0, 1).
- identity_near_origin: f(0) = 0 and f'(0) exists and equals 1 (at a breakpoint, both one-sided
  derivatives and f continuous, via `calculus.point_value`).
- Gaussian moments E[f(z)], E[f(z)^2], E[f'(z)], E[f'(z)^2]: Gauss-Legendre quadrature on
  [-40, 40] split at every breakpoint (the integrand is analytic on each sub-interval, so the rule
  converges geometrically; plain Gauss-Hermite is biased on kinked functions), checked against a
  second rule and refined with adaptive quadrature where the two disagree. Accurate to about
  1e-12; the mass beyond |z| = 40 is below 1e-340.

Every SymPy call (limit, solve, simplify) is bounded by an operation count and, in the main
thread, by a time limit (SIGALRM, nested correctly inside any alarm already set); when a bound is
hit the entry falls back to the numeric method and is labelled so. So an entry's label can depend
on the machine's speed, never its value beyond rounding.
"""

from __future__ import annotations

import gc
import math
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy

from actcli.activation import Activation, bind
from actcli.calculus import point_value
from actcli.deferred import scipy_integrate, scipy_optimize
from actcli.errors import UsageError
from actcli.expr import X
from actcli.functions import to_elementary
from actcli.json_values import json_number
from actcli.pieces import active_branch_at, intervals, to_piecewise
from actcli.smoothness import smoothness
from actcli.spec import Spec

WINDOW = 60.0  # dense numeric search on [-WINDOW, WINDOW]
TAIL = 1e6  # geometric samples out to +-TAIL
GRID_STEP = 0.01
SOLVE_OPS = 30  # count_ops above which sympy.solve is not tried (it can run for minutes)
LIMIT_OPS = 40
FLAT_OPS = 12  # count_ops above which 'f^(k+1) == 0' is only decided structurally
SOLVE_SECONDS = 2.0
LIMIT_SECONDS = 0.6
SIMPLIFY_SECONDS = 1.0
SIGN_SECONDS = 0.5
BUDGET_SECONDS = 6.0  # all SymPy work for one activation
QUAD_CUT = 40.0
QUAD_EDGES = (-40, -20, -12, -8, -5, -3, -2, -1, 0, 1, 2, 3, 5, 8, 12, 20, 40)
EXACT_TEXT_CHARS = 40  # longer exact endpoints are shown as floats in Range.exact
MONOTONIC_KINDS = ("increasing", "nondecreasing", "decreasing", "nonincreasing", "none")


# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """The image of f: [lower, upper] with open or closed ends (the hull when not an interval).

    `exact` is the interval written with exact endpoints where they are known and short (15
    significant digits otherwise); `text` always with 15 significant digits. `lower_exact` /
    `upper_exact` are SymPy expressions (as text) of the endpoints, or None. `lower_at` /
    `upper_at` are where a closed end is attained. `image` is the image as a union of intervals
    and points (equal to `exact` when `interval`).
    """

    lower: float
    upper: float
    lower_closed: bool
    upper_closed: bool
    exact: str
    interval: bool
    method: str
    lower_exact: str | None = None
    upper_exact: str | None = None
    lower_at: float | None = None
    upper_at: float | None = None
    lower_at_exact: str | None = None
    upper_at_exact: str | None = None
    text: str = ""
    image: str = ""

    def to_json(self) -> dict[str, Any]:

        def optional(value: float | None) -> float | str | None:
            return None if value is None else json_number(value)

        return {
            "lower": json_number(self.lower),
            "upper": json_number(self.upper),
            "lower_closed": self.lower_closed,
            "upper_closed": self.upper_closed,
            "exact": self.exact,
            "interval": self.interval,
            "text": self.text,
            "image": self.image,
            "lower_exact": self.lower_exact,
            "upper_exact": self.upper_exact,
            "lower_at": optional(self.lower_at),
            "upper_at": optional(self.upper_at),
            "lower_at_exact": self.lower_at_exact,
            "upper_at_exact": self.upper_at_exact,
            "method": self.method,
        }


@dataclass(frozen=True)
class Properties:
    """One row of `actcli properties`; `methods` says per entry "symbolic" or "numeric"."""

    activation: str
    params: dict[str, float]
    range: Range
    bounded_below: bool
    bounded_above: bool
    monotonic: str
    monotonic_witness: tuple[float, ...] | None
    derivative_monotonic: str
    derivative_monotonic_witness: tuple[float, ...] | None
    zero_at_origin: bool
    identity_near_origin: bool
    saturates_left: bool
    saturates_right: bool
    zero_gradient: tuple[str, ...]
    max_abs_derivative: float
    max_abs_derivative_exact: str | None
    mean: float
    second_moment: float
    derivative_mean: float
    derivative_second_moment: float
    dead_probability: float
    methods: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:

        def witness(points: tuple[float, ...] | None) -> list[Any] | None:
            return None if points is None else [json_number(x) for x in points]

        return {
            "activation": self.activation,
            "params": {k: json_number(v) for k, v in self.params.items()},
            "range": self.range.to_json(),
            "bounded_below": self.bounded_below,
            "bounded_above": self.bounded_above,
            "monotonic": self.monotonic,
            "monotonic_witness": witness(self.monotonic_witness),
            "derivative_monotonic": self.derivative_monotonic,
            "derivative_monotonic_witness": witness(self.derivative_monotonic_witness),
            "zero_at_origin": self.zero_at_origin,
            "identity_near_origin": self.identity_near_origin,
            "saturates_left": self.saturates_left,
            "saturates_right": self.saturates_right,
            "zero_gradient": list(self.zero_gradient),
            "max_abs_derivative": json_number(self.max_abs_derivative),
            "max_abs_derivative_exact": self.max_abs_derivative_exact,
            "mean": json_number(self.mean),
            "second_moment": json_number(self.second_moment),
            "derivative_mean": json_number(self.derivative_mean),
            "derivative_second_moment": json_number(self.derivative_second_moment),
            "dead_probability": json_number(self.dead_probability),
            "methods": dict(self.methods),
        }


# -- bounded SymPy calls -------------------------------------------------------------------


class _Timeout(BaseException):
    """Raised by the alarm inside a bounded SymPy call (BaseException: SymPy's `except
    Exception` clauses must not swallow it)."""


class _Budget:
    """The SymPy time left for one activation."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Raise _Timeout after `seconds` (main thread only; a no-op elsewhere), restoring any
    alarm and handler that were there before, with the time they had left."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise _Timeout

    start = time.monotonic()
    previous_handler = signal.signal(signal.SIGALRM, expire)
    if previous_handler is None:  # installed outside Python: the default is the closest
        previous_handler = signal.SIG_DFL
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, 0)
    if previous_delay:
        seconds = min(seconds, previous_delay)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:
            remaining = previous_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(remaining, 1e-3), previous_interval)


def _bounded(call: Callable[[], Any], seconds: float, budget: _Budget) -> Any:
    """call() within min(seconds, budget left), or None when it fails or runs out of time.
    Off the main thread there is no timer: the operation-count bounds must do."""
    seconds = min(seconds, budget.left())
    if seconds <= 0.01:
        return None
    collecting = gc.isenabled()
    gc.disable()  # the alarm must not fire inside a gc callback, where nothing can catch it
    try:
        with _alarm(seconds):
            return call()
    except _Timeout:
        return None
    except (NotImplementedError, ValueError, TypeError, ArithmeticError, RecursionError):
        return None
    except Exception:  # SymPy raises many kinds; none of them may end the analysis
        return None
    finally:
        if collecting:
            gc.enable()


# -- internal values -----------------------------------------------------------------------


@dataclass
class _Value:
    """A candidate endpoint: a value, exact or not, attained at `at` or only approached."""

    value: float
    exact: Any = None  # SymPy expression or None
    attained: bool = False
    at: float | None = None
    at_exact: Any = None
    rank: int = 9  # preference among ties: lower is better


def _tolerance(value: float) -> float:
    return 1e-12 * max(1.0, abs(value)) if math.isfinite(value) else 0.0


def _ties(a: float, b: float) -> bool:
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= max(_tolerance(a), _tolerance(b))


def _best(candidates: list[_Value], lowest: bool) -> _Value:
    """The lowest (or highest) candidate; among ties: attained if any is, exact if any is."""
    finite = [c for c in candidates if not math.isnan(c.value)]
    if not finite:
        return _Value(math.nan)
    pick = min if lowest else max
    extreme = pick(c.value for c in finite)
    tied = [c for c in finite if _ties(c.value, extreme)]
    tied.sort(key=lambda c: (not c.attained, c.exact is None, c.rank))
    chosen = tied[0]
    exact = (
        chosen.exact
        if chosen.exact is not None
        else next((c.exact for c in tied if c.exact is not None), None)
    )
    return _Value(
        chosen.value if chosen.exact is not None or exact is None else _float(exact),
        exact,
        any(c.attained for c in tied),
        chosen.at,
        chosen.at_exact,
        chosen.rank,
    )


def _float(expression: Any) -> float:

    if expression is sympy.oo:
        return math.inf
    if expression is -sympy.oo or expression == -sympy.oo:
        return -math.inf
    number = complex(sympy.N(expression, 30))
    return number.real if abs(number.imag) <= 1e-20 * max(1.0, abs(number.real)) else math.nan


def _is_real_number(expression: Any) -> bool:

    if expression is None or not isinstance(expression, sympy.Basic):
        return False
    if expression in (sympy.oo, -sympy.oo):
        return True
    if not expression.is_number or expression.has(sympy.zoo, sympy.nan, sympy.AccumBounds):
        return False
    try:
        return not math.isnan(_float(expression))
    except (TypeError, ValueError):
        return False


def _is_zero(expression: Any) -> bool:

    if expression == 0:
        return True
    if not _is_real_number(expression):
        return False
    return abs(complex(sympy.N(expression, 50))) < 1e-40


@dataclass
class _Piece:
    """One interval between breakpoints and the branch of f active on it."""

    lower: Any  # SymPy, -oo for none
    upper: Any
    lo: float
    hi: float
    probe: float
    branch: Any  # the branch as written (actcli functions kept)
    elementary: Any  # the branch in exp/log terms, for limits and solve
    derivatives: list[Any] = field(default_factory=list)  # elementary f, f', f'', f'''
    samples: np.ndarray | None = None
    values: list[np.ndarray] = field(default_factory=list)  # F_k(samples), k = 0..2
    _flat: dict[int, bool] = field(default_factory=dict)

    def derivative(self, order: int) -> Any:

        if not self.derivatives:
            self.derivatives.append(self.elementary)
        while len(self.derivatives) <= order:
            self.derivatives.append(sympy.diff(self.derivatives[-1], X))
        return self.derivatives[order]

    def flat(self, order: int) -> bool:
        """f^(order) is constant on this piece (its derivative is identically 0): structurally,
        or by a bounded simplify of a small expression."""

        if self._flat.get(order) is None:
            g = self.derivative(order)
            slope = self.derivative(order + 1)
            if not g.has(X) or slope == 0:
                self._flat[order] = True
            else:
                small = sympy.count_ops(slope) <= FLAT_OPS
                zero = small and _bounded(
                    lambda: sympy.simplify(slope) == 0, SIMPLIFY_SECONDS, _Budget(1.0)
                )
                self._flat[order] = bool(zero)
        return self._flat[order]

    def contains(self, x: float) -> bool:
        return self.lo < x < self.hi


def _interval_text(lower: Any, upper: Any, lower_closed: bool, upper_closed: bool) -> str:
    return f"{'[' if lower_closed else '('}{lower}, {upper}{']' if upper_closed else ')'}"


def _number_text(value: float) -> str:
    if math.isinf(value):
        return "oo" if value > 0 else "-oo"
    if math.isnan(value):
        return "nan"
    text = f"{value:.15g}"
    return "0" if text == "-0" else text


def _exact_text(value: _Value) -> str:

    if value.exact is not None:
        text = sympy.sstr(value.exact)
        if len(text) <= EXACT_TEXT_CHARS:
            return text
    return _number_text(value.value)


def _sstr(expression: Any) -> str | None:

    return None if expression is None else sympy.sstr(expression)


# -- the analysis --------------------------------------------------------------------------


class _Analysis:
    """Everything `properties` computes, sharing pieces, samples and numeric functions."""

    def __init__(self, activation: Activation) -> None:

        self.activation = activation
        self.budget = _Budget(BUDGET_SECONDS)
        self.definition = to_piecewise(activation.expression)
        self.functions = [activation.function(k) for k in range(3)]
        self.pieces: list[_Piece] = []
        for lower, upper, probe in intervals(self.definition, activation):
            branch = active_branch_at(self.definition, activation, probe)
            self.pieces.append(
                _Piece(
                    lower,
                    upper,
                    _float(lower),
                    _float(upper),
                    probe,
                    branch,
                    to_elementary(branch),
                )
            )
        self.breakpoints = [p.upper for p in self.pieces[:-1]]
        self.point_values = [self.definition.subs(X, b) for b in self.breakpoints]
        for piece in self.pieces:
            piece.samples = _samples(piece.lo, piece.hi)
            piece.values = [self._evaluate(k, piece.samples) for k in range(3)]
        self._limits: dict[tuple[int, int, int], _Value] = {}

    def _evaluate(self, order: int, x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(self.functions[order](np.asarray(x, dtype=float)), dtype=float)

    def scalar(self, order: int) -> Callable[[float], float]:
        return lambda x: float(self._evaluate(order, np.array([x]))[0])

    # -- limits and one-sided values

    def far_limit(self, piece: _Piece, order: int, direction: int) -> _Value:
        """lim f^(order) as x -> direction*oo, of the branch active on that side: SymPy's value
        of the branch at +-oo when that is a number (extended-real arithmetic gives nan for
        every indeterminate form), else `sympy.limit`, else values out to 1e300."""
        key = (id(piece), order, direction)
        if key not in self._limits:
            self._limits[key] = self._far_limit(piece, order, direction)
        return self._limits[key]

    def _far_limit(self, piece: _Piece, order: int, direction: int) -> _Value:

        g = piece.derivative(order)
        side = sympy.oo if direction > 0 else -sympy.oo
        if not g.has(X):
            return _Value(_float(g), g, False, rank=3)
        numeric = self._numeric_limit(order, direction)
        substituted = _bounded(lambda: g.subs(X, side), LIMIT_SECONDS, self.budget)
        if _is_real_number(substituted) and _consistent_limit(_float(substituted), numeric):
            return _Value(_float(substituted), substituted, False, rank=3)
        if sympy.count_ops(g) <= LIMIT_OPS:
            limit = _bounded(lambda: sympy.limit(g, X, side), LIMIT_SECONDS, self.budget)
            if _is_real_number(limit) and _consistent_limit(_float(limit), numeric):
                return _Value(_float(limit), limit, False, rank=3)
        return _Value(numeric, None, False, rank=3)

    def _numeric_limit(self, order: int, direction: int) -> float:
        """f^(order)(x) for x -> direction*oo, from values at 10, 100, ..., 1e300 (up to the
        largest x where the numeric function gives a number): the value they settle on, +-inf
        for steady growth, nan when they oscillate or creep (no numeric verdict)."""
        x = direction * 10.0 ** np.arange(1, 301)
        values = self._evaluate(order, x)
        defined = values[~np.isnan(values)]
        if defined.size == 0:
            return math.nan
        last = float(defined[-1])
        if math.isinf(last) or abs(last) > 1e12:
            return math.copysign(math.inf, last)
        tail = defined[-6:]
        if np.all(np.abs(tail - last) <= 1e-9 * max(1.0, abs(last))):
            return last
        steps = np.diff(tail)
        steady = abs(steps[-1]) >= 0.5 * abs(steps[0]) if steps.size else False
        if steady and (np.all(steps > 0) or np.all(steps < 0)):
            return math.copysign(math.inf, float(steps[-1]))  # growing like log(x)
        return math.nan

    def end_value(self, piece: _Piece, order: int, at_lower: bool) -> _Value:
        """The one-sided limit of f^(order) at a piece's finite end (the branch's value)."""

        point = piece.lower if at_lower else piece.upper
        g = piece.derivative(order)
        value = g.subs(X, point)
        if not _is_real_number(value) or value in (sympy.oo, -sympy.oo):
            direction = "+" if at_lower else "-"
            value = _bounded(lambda: sympy.limit(g, X, point, direction), 1.0, self.budget)
        if _is_real_number(value):
            return _Value(_float(value), value, False, rank=2)
        x = _float(point)
        inside = x + (1 if at_lower else -1) * 1e-9 * max(1.0, abs(x))
        return _Value(self.scalar(order)(inside), None, False, rank=2)

    def ends(self, piece: _Piece, order: int) -> list[_Value]:
        left = (
            self.far_limit(piece, order, -1)
            if math.isinf(piece.lo)
            else self.end_value(piece, order, True)
        )
        right = (
            self.far_limit(piece, order, 1)
            if math.isinf(piece.hi)
            else self.end_value(piece, order, False)
        )
        return [left, right]

    # -- extremes on a piece

    def symbolic_critical(self, piece: _Piece, order: int) -> list[tuple[Any, float]] | None:
        """Real roots of f^(order+1) = 0 inside the piece, exact; None when SymPy cannot say."""

        slope = piece.derivative(order + 1)
        if not slope.has(X):
            return []
        if sympy.count_ops(slope) > SOLVE_OPS:
            return None
        roots = _bounded(lambda: sympy.solve(slope, X), SOLVE_SECONDS, self.budget)
        if not isinstance(roots, list):
            return None
        found = []
        for root in roots:
            if not _is_real_number(root):
                continue
            x = _float(root)
            if not (math.isfinite(x) and piece.contains(x)):
                continue
            residual = _bounded(
                lambda r=root: complex(sympy.N(slope.subs(X, r), 30)), 1.0, self.budget
            )
            if residual is None or abs(residual) > 1e-20:
                continue
            found.append((root, x))
        return found

    def numeric_critical(self, piece: _Piece, order: int) -> list[float]:
        """Sign changes of f^(order+1) between samples, refined by Brent's method."""

        x = piece.samples
        slope = piece.values[order + 1]
        keep = np.isfinite(slope) & (slope != 0)
        xs, ss = x[keep], np.sign(slope[keep])
        change = np.nonzero(ss[:-1] != ss[1:])[0]
        roots = []
        function = self.scalar(order + 1)
        for i in change:
            a, b = float(xs[i]), float(xs[i + 1])
            try:
                roots.append(
                    scipy_optimize().brentq(function, a, b, xtol=1e-300, rtol=1e-15, maxiter=200)
                )
            except (ValueError, RuntimeError):
                roots.append(0.5 * (a + b))
        return roots

    def exact_value(self, piece: _Piece, order: int, root: Any, x: float) -> Any:
        """f^(order) at an exact critical point, simplified where SymPy can within bounds."""

        value = piece.derivative(order).subs(X, root)
        simpler = _bounded(lambda: _simplest(value), SIMPLIFY_SECONDS, self.budget)
        if simpler is not None:
            value = simpler
        if not _is_real_number(value):
            return None
        numeric = self.scalar(order)(x)
        if not _ties(_float(value), numeric) and abs(_float(value) - numeric) > 1e-9 * max(
            1.0, abs(numeric)
        ):
            return None  # SymPy's root or value disagrees with the numeric function
        return value

    def image(self, piece: _Piece, order: int) -> tuple[_Value, _Value, bool]:
        """(inf, sup, symbolic) of f^(order) over the open piece."""

        g = piece.derivative(order)
        if not g.has(X):
            value = _Value(_float(g), g, True, piece.probe, None, rank=4)
            return value, value, True
        candidates = self.ends(piece, order)
        symbolic = self.symbolic_critical(piece, order)
        numeric = self.numeric_critical(piece, order)
        complete = symbolic is not None
        exact_points = symbolic or []
        for root, x in exact_points:
            value = self.exact_value(piece, order, root, x)
            number = _float(value) if value is not None else self.scalar(order)(x)
            candidates.append(_Value(number, value, True, x, root, rank=0))
        for x in numeric:
            if any(abs(x - e) <= 1e-6 * max(1.0, abs(e)) for _, e in exact_points):
                continue
            complete = False  # solve missed a critical point the search found
            candidates.append(_Value(self.scalar(order)(x), None, True, x, None, rank=1))
        low, high = _best(candidates, True), _best(candidates, False)
        values = piece.values[order]
        finite = np.isfinite(values)
        if finite.any():  # a sanity net: a sampled value beyond every candidate
            i, j = (
                np.argmin(np.where(finite, values, np.inf)),
                np.argmax(np.where(finite, values, -np.inf)),
            )
            if values[i] < low.value - 1e-9 * max(1.0, abs(low.value)):
                low, complete = _Value(float(values[i]), None, True, float(piece.samples[i])), False
            if values[j] > high.value + 1e-9 * max(1.0, abs(high.value)):
                high, complete = (
                    _Value(float(values[j]), None, True, float(piece.samples[j])),
                    False,
                )
        complete = complete and low.exact is not None and high.exact is not None
        return low, high, complete

    # -- range

    def range(self) -> tuple[Range, dict[str, str]]:
        items: list[tuple[_Value, _Value]] = []
        symbolic = True
        for piece in self.pieces:
            low, high, complete = self.image(piece, 0)
            symbolic = symbolic and complete
            items.append((low, high))
        for b, value in zip(self.breakpoints, self.point_values, strict=True):
            point = _Value(_float(value), value, True, _float(b), b, rank=2)
            items.append((point, point))
        components = _union(items)
        low = components[0][0]
        high = max((c[1] for c in components), key=lambda v: v.value)
        high = next(c[1] for c in components if _ties(c[1].value, high.value))
        exact = symbolic and low.exact is not None and high.exact is not None
        method = "symbolic" if exact else "numeric"
        lower_closed = low.attained and math.isfinite(low.value)
        upper_closed = high.attained and math.isfinite(high.value)
        result = Range(
            lower=low.value,
            upper=high.value,
            lower_closed=lower_closed,
            upper_closed=upper_closed,
            exact=_interval_text(_exact_text(low), _exact_text(high), lower_closed, upper_closed),
            interval=len(components) == 1,
            method=method,
            lower_exact=_sstr(low.exact),
            upper_exact=_sstr(high.exact),
            lower_at=low.at if lower_closed else None,
            upper_at=high.at if upper_closed else None,
            lower_at_exact=_sstr(low.at_exact) if lower_closed else None,
            upper_at_exact=_sstr(high.at_exact) if upper_closed else None,
            text=_interval_text(
                _number_text(low.value), _number_text(high.value), lower_closed, upper_closed
            ),
            image=" U ".join(_component_text(c) for c in components),
        )
        bound = {
            "bounded_below": "symbolic" if low.exact is not None else "numeric",
            "bounded_above": "symbolic" if high.exact is not None else "numeric",
        }
        return result, bound

    # -- monotonicity

    def slope_signs(self, piece: _Piece, order: int) -> tuple[set[int], bool]:
        """Signs that f^(order+1) takes on the piece (0 only when identically 0), and whether
        SymPy decided them."""

        if piece.flat(order):
            return {0}, True
        slope = piece.derivative(order + 1)
        if not slope.has(X):
            value = _float(slope)
            return ({1} if value > 0 else {-1}), True
        decided = self._symbolic_sign(piece, slope)
        if decided is not None:
            return {decided}, True
        sampled = piece.values[order + 1]
        signs = {int(s) for s in np.sign(sampled[np.isfinite(sampled) & (sampled != 0)])}
        return (signs or {0}), False

    def _symbolic_sign(self, piece: _Piece, slope: Any) -> int | None:
        """+1 or -1 when SymPy proves the slope's sign on the piece (half-lines and the line)."""

        if sympy.count_ops(slope) > LIMIT_OPS:
            return None
        t = sympy.Dummy("t", positive=True)
        if math.isinf(piece.lo) and math.isinf(piece.hi):
            expression = slope
        elif math.isinf(piece.hi):
            expression = slope.subs(X, piece.lower + t)
        elif math.isinf(piece.lo):
            expression = slope.subs(X, piece.upper - t)
        else:
            return None

        def decide() -> int | None:
            if expression.is_positive:
                return 1
            if expression.is_negative:
                return -1
            return None

        return _bounded(decide, SIGN_SECONDS, self.budget)

    def monotonic(self, order: int) -> tuple[str, tuple[float, ...] | None, bool]:
        """(kind, witness, symbolic) for f^(order)."""
        ups = downs = flat = False
        symbolic = True
        for piece in self.pieces:
            signs, decided = self.slope_signs(piece, order)
            symbolic = symbolic and decided
            ups = ups or 1 in signs
            downs = downs or -1 in signs
            flat = flat or signs == {0}
        for index in range(len(self.breakpoints)):
            left = self.end_value(self.pieces[index], order, False)
            right = self.end_value(self.pieces[index + 1], order, True)
            sequence = [left]
            if order == 0:
                value = self.point_values[index]
                sequence.append(_Value(_float(value), value))
            sequence.append(right)
            for a, b in zip(sequence, sequence[1:], strict=False):
                symbolic = symbolic and a.exact is not None and b.exact is not None
                if _ties(a.value, b.value):
                    continue
                ups = ups or b.value > a.value
                downs = downs or b.value < a.value
        if ups and downs:
            return "none", self._non_monotone_witness(order), symbolic
        if not ups and not downs:
            return "constant", None, symbolic
        if flat:
            witness = self._flat_witness(order)
            return ("nondecreasing" if ups else "nonincreasing"), witness, symbolic
        return ("increasing" if ups else "decreasing"), None, symbolic

    def _flat_witness(self, order: int) -> tuple[float, float] | None:
        """Two points of a piece where f^(order) is constant, rounded where that keeps them
        inside it."""
        for piece in self.pieces:
            if not piece.flat(order):
                continue
            if math.isinf(piece.lo) and math.isinf(piece.hi):
                return (-1.0, 1.0)
            if math.isinf(piece.lo):
                return (math.floor(piece.hi) - 2.0, math.floor(piece.hi) - 1.0)
            if math.isinf(piece.hi):
                return (math.ceil(piece.lo) + 1.0, math.ceil(piece.lo) + 2.0)
            width = piece.hi - piece.lo
            points = (piece.lo + width / 3, piece.lo + 2 * width / 3)
            for digits in range(17):
                a, b = (round(x, digits) + 0.0 for x in points)
                if piece.lo < a < b < piece.hi:
                    return (a, b)
            return points
        return None

    def _non_monotone_witness(self, order: int) -> tuple[float, float, float] | None:
        """x1 < x2 < x3 with f^(order)(x2) strictly below (or above) both others."""
        xs = [piece.samples for piece in self.pieces]
        ys = [piece.values[order] for piece in self.pieces]
        if order == 0:
            for index, point in enumerate(self.breakpoints):
                xs.append(np.array([_float(point)]))
                ys.append(np.array([_float(self.point_values[index])]))
        x = np.concatenate(xs)
        y = np.concatenate(ys)
        keep = np.isfinite(y)
        order_index = np.argsort(x[keep], kind="stable")
        x, y = x[keep][order_index], y[keep][order_index]
        if x.size < 3:
            return None
        best: tuple[float, tuple[float, float, float]] | None = None
        for sign in (1.0, -1.0):  # valleys of y, then valleys of -y (hills)
            v = sign * y
            prefix = np.maximum.accumulate(v)
            suffix = np.maximum.accumulate(v[::-1])[::-1]
            depth = np.minimum(prefix[:-2], suffix[2:]) - v[1:-1]
            deepest = float(np.max(depth))
            plateau = np.nonzero(depth >= deepest - 1e-12 * max(1.0, abs(deepest)))[0]
            j = int(plateau[len(plateau) // 2]) + 1  # the middle of a flat stretch of depth
            margin = float(depth[j - 1])
            if margin <= 1e-12 * max(1.0, abs(v[j])):
                continue
            # the nearest points on each side clearly higher: a witness in the region of interest
            high = v >= v[j] + min(margin / 2, 0.1 * max(1.0, abs(v[j])))
            i = int(np.nonzero(high[:j])[0][-1])
            k = j + 1 + int(np.nonzero(high[j + 1 :])[0][0])
            if best is None or margin > best[0]:
                best = (margin, (float(x[i]), float(x[j]), float(x[k])))
        return None if best is None else self._readable(order, best[1])

    def _readable(
        self, order: int, witness: tuple[float, float, float]
    ) -> tuple[float, float, float]:
        """The witness with the fewest decimals that still shows the violation: the outer points
        move outwards, the middle one rounds; for f' no point may be a breakpoint."""
        evaluate = self.scalar(order)
        kinks = {_float(b) for b in self.breakpoints} if order else set()

        def shows(points: tuple[float, float, float]) -> bool:
            if not (points[0] < points[1] < points[2]) or kinks.intersection(points):
                return False
            a, b, c = (evaluate(x) for x in points)
            if not all(map(math.isfinite, (a, b, c))):
                return False
            margin = 1e-9 * max(1.0, abs(b))
            return b < min(a, c) - margin or b > max(a, c) + margin

        first, middle, last = witness
        for digits in range(13):
            scale = 10.0**digits
            outer = (math.floor(first * scale) / scale, math.ceil(last * scale) / scale)
            for centre in (
                round(middle, digits),
                math.floor(middle * scale) / scale,
                math.ceil(middle * scale) / scale,
            ):
                points = (outer[0] + 0.0, centre + 0.0, outer[1] + 0.0)
                if shows(points):
                    return points
        return witness

    # -- origin

    def origin(self) -> tuple[bool, bool]:

        value_at_zero = self.definition.subs(X, 0)
        zero = _is_zero(value_at_zero)
        if not zero:
            return False, False
        for index, point in enumerate(self.breakpoints):
            if _is_zero(point):
                left, right = self.pieces[index].branch, self.pieces[index + 1].branch
                pv = point_value(point, left, right, 1, self.activation)
                return True, pv.exists is True and _is_zero(pv.left - 1)
        piece = next(p for p in self.pieces if p.contains(0.0))
        slope = piece.derivative(1).subs(X, 0)
        return True, _is_zero(slope - 1)

    # -- gradients

    def saturation(self) -> tuple[bool, bool, bool]:
        left = self.far_limit(self.pieces[0], 1, -1)
        right = self.far_limit(self.pieces[-1], 1, 1)

        def vanishes(value: _Value) -> bool:
            if value.exact is not None:
                return _is_zero(value.exact)
            return abs(value.value) <= 1e-12

        symbolic = left.exact is not None and right.exact is not None
        return vanishes(left), vanishes(right), symbolic

    def zero_gradient(self) -> list[tuple[Any, Any, bool, bool]]:
        """Maximal intervals where f' = 0: (lower, upper, lower_closed, upper_closed)."""
        regions: list[list[Any]] = []
        previous_flat = False
        for index, piece in enumerate(self.pieces):
            flat = piece.flat(0)  # f' is identically 0 here
            if flat:
                joins = previous_flat and self._smooth_zero_at(index - 1)
                if joins:
                    regions[-1][1] = piece.upper
                else:
                    closed = index > 0 and self._smooth_zero_at(index - 1)
                    regions.append([piece.lower, piece.upper, closed, False])
            elif previous_flat and self._smooth_zero_at(index - 1):
                regions[-1][3] = True
            previous_flat = flat
        return [tuple(r) for r in regions]

    def _smooth_zero_at(self, index: int) -> bool:
        """f' exists and is 0 at breakpoint `index` (f continuous, both one-sided f' = 0)."""

        left, right = self.pieces[index], self.pieces[index + 1]
        point = self.breakpoints[index]
        values = [
            left.elementary.subs(X, point),
            self.point_values[index],
            right.elementary.subs(X, point),
        ]
        slopes = [left.derivative(1).subs(X, point), right.derivative(1).subs(X, point)]
        continuous = _is_zero(values[0] - values[1]) and _is_zero(values[2] - values[1])
        return continuous and all(_is_zero(s) for s in slopes)

    def max_abs_derivative(self) -> tuple[float, Any, bool]:
        best: _Value | None = None
        symbolic = True
        for piece in self.pieces:
            low, high, complete = self.image(piece, 1)
            symbolic = symbolic and complete
            for value in (low, high):
                magnitude = abs(value.value)
                candidate = _Value(
                    magnitude,
                    None
                    if value.exact is None
                    else (-value.exact if value.value < 0 else value.exact),
                )
                if best is None or magnitude > best.value + _tolerance(best.value):
                    best = candidate
                elif _ties(magnitude, best.value) and best.exact is None:
                    best = candidate
        assert best is not None
        return best.value, best.exact, symbolic and best.exact is not None

    # -- Gaussian moments

    def moments(self) -> tuple[float, float, float, float]:
        """E[f(z)], E[f(z)^2], E[f'(z)], E[f'(z)^2] for z ~ N(0, 1)."""
        cuts = {float(e) for e in QUAD_EDGES}
        cuts.update(_float(b) for b in self.breakpoints if -QUAD_CUT < _float(b) < QUAD_CUT)
        edges = sorted(cuts)
        coarse = self._legendre(edges, 96)
        fine = self._legendre(edges, 160)
        if all(_ties(a, b) or abs(a - b) <= 1e-13 for a, b in zip(coarse, fine, strict=True)):
            return fine
        return self._adaptive(edges)

    def _legendre(self, edges: list[float], n: int) -> tuple[float, float, float, float]:
        nodes, weights = np.polynomial.legendre.leggauss(n)
        xs, ws = [], []
        for a, b in zip(edges, edges[1:], strict=False):
            half = 0.5 * (b - a)
            xs.append(half * nodes + 0.5 * (a + b))
            ws.append(half * weights)
        x, w = np.concatenate(xs), np.concatenate(ws)
        w = w * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        f, d = self._evaluate(0, x), self._evaluate(1, x)
        with np.errstate(all="ignore"):
            return (
                float(np.sum(w * f)),
                float(np.sum(w * f * f)),
                float(np.sum(w * d)),
                float(np.sum(w * d * d)),
            )

    def _adaptive(self, edges: list[float]) -> tuple[float, float, float, float]:

        f, d = self.scalar(0), self.scalar(1)

        def phi(z: float) -> float:
            return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)

        integrands = [
            lambda z: f(z) * phi(z),
            lambda z: f(z) ** 2 * phi(z),
            lambda z: d(z) * phi(z),
            lambda z: d(z) ** 2 * phi(z),
        ]
        totals = []
        integrate = scipy_integrate()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            for integrand in integrands:
                total = 0.0
                for a, b in zip(edges, edges[1:], strict=False):
                    total += integrate.quad(integrand, a, b, epsabs=1e-15, epsrel=1e-13, limit=200)[
                        0
                    ]
                totals.append(total)
        return totals[0], totals[1], totals[2], totals[3]


def _consistent_limit(symbolic: float, numeric: float) -> bool:
    """A loose cross-check of SymPy's limit against values out to 1e300."""
    if math.isnan(numeric):
        return True
    if math.isinf(symbolic) or math.isinf(numeric):
        return symbolic == numeric or (math.isinf(symbolic) and abs(numeric) > 1e6)
    return abs(symbolic - numeric) <= 1e-3 * max(1.0, abs(symbolic))


def _simplest(value: Any) -> Any:
    """The shortest of a value, its simplified form, and that form with exp(W(z)) = z/W(z)."""

    candidates = [value]
    if value.has(sympy.LambertW):

        def unwrap(node: Any) -> Any:
            terms = sympy.Add.make_args(sympy.expand(node.args[0]))
            factors = [
                t.args[0] / t if isinstance(t, sympy.LambertW) else sympy.exp(t) for t in terms
            ]
            return sympy.Mul(*factors)

        rewritten = value.replace(
            lambda node: isinstance(node, sympy.exp) and node.has(sympy.LambertW), unwrap
        )
        candidates.append(sympy.simplify(rewritten))
    candidates.append(sympy.simplify(value))
    return min(candidates, key=lambda c: (sympy.count_ops(c), len(str(c))))


def _samples(lo: float, hi: float) -> np.ndarray:
    """Points strictly inside (lo, hi): a dense grid on [-WINDOW, WINDOW], geometric tails to
    +-TAIL, and clusters approaching each finite end."""
    steps_per_unit = round(1 / GRID_STEP)
    count = round(WINDOW * steps_per_unit)
    core = np.arange(-count, count + 1) / steps_per_unit  # 0.0, 0.01, ... exactly as written
    tail = np.geomspace(WINDOW, TAIL, 400)
    parts = [-tail[::-1], core, tail]
    steps = np.geomspace(1e-9, 1e3, 100)
    for end in (lo, hi):
        if math.isfinite(end):
            scale = max(1.0, abs(end))
            parts += [end + steps * scale, end - steps * scale]
    if math.isfinite(lo) and math.isfinite(hi):
        parts.append(np.linspace(lo, hi, 2001))
    elif math.isfinite(lo) and lo >= TAIL:
        parts.append(lo + np.geomspace(1.0, 1e6, 200) * max(1.0, lo))
    elif math.isfinite(hi) and hi <= -TAIL:
        parts.append(hi - np.geomspace(1.0, 1e6, 200) * max(1.0, -hi))
    x = np.unique(np.concatenate(parts))
    margin_lo = lo + 5e-10 * max(1.0, abs(lo)) if math.isfinite(lo) else -math.inf
    margin_hi = hi - 5e-10 * max(1.0, abs(hi)) if math.isfinite(hi) else math.inf
    return x[(x > margin_lo) & (x < margin_hi)]


def _union(items: list[tuple[_Value, _Value]]) -> list[tuple[_Value, _Value]]:
    """Merge intervals (lower, upper: closed where attained) into disjoint components."""
    ordered = sorted(items, key=lambda item: (item[0].value, not item[0].attained))
    components: list[list[_Value]] = []
    for low, high in ordered:
        if components:
            current = components[-1]
            top = current[1]
            overlaps = low.value < top.value - _tolerance(top.value)
            touches = _ties(low.value, top.value) and (top.attained or low.attained)
            if _ties(low.value, current[0].value):
                current[0] = _best([current[0], low], lowest=True)
            if overlaps or touches:
                if high.value > top.value + _tolerance(top.value):
                    current[1] = high
                elif _ties(high.value, top.value):
                    current[1] = _best([top, high], lowest=False)
                continue
        components.append([low, high])
    return [(c[0], c[1]) for c in components]


def _component_text(component: tuple[_Value, _Value]) -> str:
    low, high = component
    if _ties(low.value, high.value) and low.attained and high.attained:
        return "{" + _exact_text(low) + "}"
    lower_closed = low.attained and math.isfinite(low.value)
    upper_closed = high.attained and math.isfinite(high.value)
    return _interval_text(_exact_text(low), _exact_text(high), lower_closed, upper_closed)


def _region_text(region: tuple[Any, Any, bool, bool]) -> str:

    lower, upper, lower_closed, upper_closed = region
    return _interval_text(sympy.sstr(lower), sympy.sstr(upper), lower_closed, upper_closed)


def _gaussian_mass(regions: list[tuple[Any, Any, bool, bool]]) -> float:

    total = mpmath.mpf(0)
    with mpmath.workdps(30):
        for lower, upper, _, _ in regions:
            a, b = _float(lower), _float(upper)
            total += mpmath.ncdf(b) - mpmath.ncdf(a)
    return float(total)


# -- the command ---------------------------------------------------------------------------


def properties(activation: Activation) -> Properties:
    """Range, bounds, monotonicity, saturation, zero-gradient regions, max |f'| and Gaussian
    moments of a scalar activation (parameters at their values), each entry labelled
    "symbolic" or "numeric" in `methods`.

    Raises:
        UsageError: a vector activation (softmax, maxout, ...): its properties are not scalar.
    """
    if activation.kind != "scalar":
        raise UsageError(
            f"{activation.name} is a vector activation: properties are for scalar ones"
        )
    analysis = _Analysis(activation)
    value_range, bound_methods = analysis.range()
    monotonic, witness, monotonic_symbolic = analysis.monotonic(0)
    d_monotonic, d_witness, d_symbolic = analysis.monotonic(1)
    zero_at_origin, identity = analysis.origin()
    left, right, saturation_symbolic = analysis.saturation()
    regions = analysis.zero_gradient()
    max_slope, max_slope_exact, max_symbolic = analysis.max_abs_derivative()
    mean, second, d_mean, d_second = analysis.moments()

    def label(symbolic: bool) -> str:
        return "symbolic" if symbolic else "numeric"

    methods = {
        "range": value_range.method,
        **bound_methods,
        "monotonic": label(monotonic_symbolic),
        "derivative_monotonic": label(d_symbolic),
        "zero_at_origin": "symbolic",
        "identity_near_origin": "symbolic",
        "saturates_left": label(saturation_symbolic),
        "saturates_right": label(saturation_symbolic),
        "zero_gradient": "symbolic",
        "max_abs_derivative": label(max_symbolic),
        "mean": "numeric",
        "second_moment": "numeric",
        "derivative_mean": "numeric",
        "derivative_second_moment": "numeric",
        "dead_probability": "symbolic",
    }
    return Properties(
        activation=activation.name,
        params=activation.params,
        range=value_range,
        bounded_below=math.isfinite(value_range.lower),
        bounded_above=math.isfinite(value_range.upper),
        monotonic=monotonic,
        monotonic_witness=witness,
        derivative_monotonic=d_monotonic,
        derivative_monotonic_witness=d_witness,
        zero_at_origin=zero_at_origin,
        identity_near_origin=identity,
        saturates_left=left,
        saturates_right=right,
        zero_gradient=tuple(_region_text(r) for r in regions),
        max_abs_derivative=max_slope,
        max_abs_derivative_exact=_sstr(max_slope_exact),
        mean=mean,
        second_moment=second,
        derivative_mean=d_mean,
        derivative_second_moment=d_second,
        dead_probability=_gaussian_mass(regions),
        methods=methods,
    )


# -- vector kinds ------------------------------------------------------------------------------

SCALES = (1.0, 10.0, 100.0, 1000.0)


@dataclass(frozen=True)
class Extremes:
    """Smallest and largest output over seeded random vectors (n = 1..6) at each scale."""

    lowest: tuple[tuple[float, list[float]], ...]  # per scale: (value, the input vector)
    highest: tuple[tuple[float, list[float]], ...]

    @property
    def bounded_below(self) -> bool:
        """The minimum does not run away as the inputs grow (evidence, not proof)."""
        return not _runs_away(self.lowest)

    @property
    def bounded_above(self) -> bool:
        return not _runs_away(self.highest)


def _runs_away(values: tuple[tuple[float, list[float]], ...]) -> bool:
    first, last = values[0][0], values[-1][0]
    return not math.isfinite(last) or abs(last) > 10 * max(1.0, abs(first))


def vector_extremes(activation: Activation) -> Extremes:
    """Numeric evidence about a vector activation's outputs (seeded, reproducible)."""
    function = activation.function(0)
    rng = np.random.default_rng(20261123)
    lowest, highest = [], []
    for scale in SCALES:
        low, high = (math.inf, []), (-math.inf, [])
        for n in range(1, 7):
            x = rng.normal(scale=scale, size=(2000, n))
            y = np.asarray(function(x)).reshape(len(x), -1)
            mins, maxs = y.min(axis=1), y.max(axis=1)
            i, j = int(np.argmin(mins)), int(np.argmax(maxs))
            if mins[i] < low[0]:
                low = (float(mins[i]), x[i].tolist())
            if maxs[j] > high[0]:
                high = (float(maxs[j]), x[j].tolist())
        lowest.append(low)
        highest.append(high)
    return Extremes(tuple(lowest), tuple(highest))


@dataclass(frozen=True)
class VectorProperties:
    """The property row of a vector activation: what has meaning for R^n -> R^n (or R):
    the range and bounds, from numeric evidence; the scalar-only entries are None."""

    activation: str
    params: dict[str, float]
    extremes: Extremes

    def to_json(self) -> dict[str, Any]:

        low, high = self.extremes.lowest[-1][0], self.extremes.highest[-1][0]
        lower = low if self.extremes.bounded_below else -math.inf
        upper = high if self.extremes.bounded_above else math.inf
        text = f"within [{_number_text(lower)}, {_number_text(upper)}] (sampled)"
        scalar_only = (
            "monotonic monotonic_witness derivative_monotonic derivative_monotonic_witness "
            "zero_at_origin identity_near_origin saturates_left saturates_right zero_gradient "
            "max_abs_derivative max_abs_derivative_exact mean second_moment derivative_mean "
            "derivative_second_moment dead_probability"
        ).split()
        data: dict[str, Any] = {
            "activation": self.activation,
            "params": {k: json_number(v) for k, v in self.params.items()},
            "range": {
                "lower": json_number(lower),
                "upper": json_number(upper),
                "lower_closed": None,
                "upper_closed": None,
                "exact": text,
                "interval": True,
                "text": text,
                "image": text,
                "method": "numeric",
            },
            "bounded_below": self.extremes.bounded_below,
            "bounded_above": self.extremes.bounded_above,
        }
        data.update(dict.fromkeys(scalar_only))
        data["zero_gradient"] = []
        data["methods"] = {
            "range": "numeric",
            "bounded_below": "numeric",
            "bounded_above": "numeric",
        }
        return data


def vector_properties(activation: Activation) -> VectorProperties:
    """A vector activation's row: range and bounds from seeded random inputs (evidence)."""
    return VectorProperties(activation.name, activation.params, vector_extremes(activation))


# -- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PropertiesResult:
    """One row per activation (`actcli properties`): its properties and smoothness class."""

    rows: tuple[tuple[Any, str], ...]

    def to_json(self) -> list[dict[str, Any]]:
        rows = []
        for row, smoothness_class in self.rows:
            data = row.to_json()
            data["smoothness"] = smoothness_class
            data["methods"]["smoothness"] = "symbolic"
            rows.append(data)
        return rows


def property_table(
    specs: Sequence[Spec], params: Mapping[str, str] | None = None
) -> PropertiesResult:
    """`properties` of each scalar spec and `vector_properties` of each vector one, with its
    smoothness class (`params` apply to the specs that have them)."""
    rows = []
    for spec in specs:
        own = {k: v for k, v in (params or {}).items() if k in spec.parameter_names}
        klass = smoothness(spec, own).smoothness_class
        activation = bind(spec, own)
        row = vector_properties(activation) if spec.kind == "vector" else properties(activation)
        rows.append((row, klass))
    return PropertiesResult(tuple(rows))
