"""The image of f (the range) and of f' (max |f'|): per piece, the limits at its ends, the values
at critical points (exact from `sympy.solve`, numeric from sign changes of the next derivative),
and a sampled sanity net; the pieces' images and the values at breakpoints are then merged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from actcli.budget import bounded
from actcli.deferred import scipy_optimize
from actcli.expr import X
from actcli.json_values import json_number
from actcli.properties.analysis import Analysis
from actcli.properties.values import (
    SIMPLIFY_SECONDS,
    Piece,
    Value,
    best_of,
    component_text,
    exact_text,
    interval_text,
    is_real_number,
    number_text,
    sstr,
    ties,
    to_float,
    tolerance,
    union,
)

SOLVE_OPS = 30  # count_ops above which sympy.solve is not tried (it can run for minutes)
SOLVE_SECONDS = 2.0


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


# -- extremes on a piece


def symbolic_critical(
    analysis: Analysis, piece: Piece, order: int
) -> list[tuple[Any, float]] | None:
    """Real roots of f^(order+1) = 0 inside the piece, exact; None when SymPy cannot say."""

    slope = piece.derivative(order + 1)
    if not slope.has(X):
        return []
    if sympy.count_ops(slope) > SOLVE_OPS:
        return None
    roots = bounded(lambda: sympy.solve(slope, X), SOLVE_SECONDS, analysis.budget)
    if not isinstance(roots, list):
        return None
    found = []
    for root in roots:
        if not is_real_number(root):
            continue
        x = to_float(root)
        if not (math.isfinite(x) and piece.contains(x)):
            continue
        residual = bounded(
            lambda r=root: complex(sympy.N(slope.subs(X, r), 30)), 1.0, analysis.budget
        )
        if residual is None or abs(residual) > 1e-20:
            continue
        found.append((root, x))
    return found


def numeric_critical(analysis: Analysis, piece: Piece, order: int) -> list[float]:
    """Sign changes of f^(order+1) between samples, refined by Brent's method."""

    x = piece.samples
    slope = piece.values[order + 1]
    keep = np.isfinite(slope) & (slope != 0)
    xs, ss = x[keep], np.sign(slope[keep])
    change = np.nonzero(ss[:-1] != ss[1:])[0]
    roots = []
    function = analysis.scalar(order + 1)
    for i in change:
        a, b = float(xs[i]), float(xs[i + 1])
        try:
            roots.append(
                scipy_optimize().brentq(function, a, b, xtol=1e-300, rtol=1e-15, maxiter=200)
            )
        except (ValueError, RuntimeError):
            roots.append(0.5 * (a + b))
    return roots


def exact_value(analysis: Analysis, piece: Piece, order: int, root: Any, x: float) -> Any:
    """f^(order) at an exact critical point, simplified where SymPy can within bounds."""

    value = piece.derivative(order).subs(X, root)
    simpler = bounded(lambda: _simplest(value), SIMPLIFY_SECONDS, analysis.budget)
    if simpler is not None:
        value = simpler
    if not is_real_number(value):
        return None
    numeric = analysis.scalar(order)(x)
    if not ties(to_float(value), numeric) and abs(to_float(value) - numeric) > 1e-9 * max(
        1.0, abs(numeric)
    ):
        return None  # SymPy's root or value disagrees with the numeric function
    return value


def image(analysis: Analysis, piece: Piece, order: int) -> tuple[Value, Value, bool]:
    """(inf, sup, symbolic) of f^(order) over the open piece."""

    g = piece.derivative(order)
    if not g.has(X):
        value = Value(to_float(g), g, True, piece.probe, None, rank=4)
        return value, value, True
    candidates = analysis.ends(piece, order)
    symbolic = symbolic_critical(analysis, piece, order)
    numeric = numeric_critical(analysis, piece, order)
    complete = symbolic is not None
    exact_points = symbolic or []
    for root, x in exact_points:
        value = exact_value(analysis, piece, order, root, x)
        number = to_float(value) if value is not None else analysis.scalar(order)(x)
        candidates.append(Value(number, value, True, x, root, rank=0))
    for x in numeric:
        if any(abs(x - e) <= 1e-6 * max(1.0, abs(e)) for _, e in exact_points):
            continue
        complete = False  # solve missed a critical point the search found
        candidates.append(Value(analysis.scalar(order)(x), None, True, x, None, rank=1))
    low, high = best_of(candidates, True), best_of(candidates, False)
    values = piece.values[order]
    finite = np.isfinite(values)
    if finite.any():  # a sanity net: a sampled value beyond every candidate
        i, j = (
            np.argmin(np.where(finite, values, np.inf)),
            np.argmax(np.where(finite, values, -np.inf)),
        )
        if values[i] < low.value - 1e-9 * max(1.0, abs(low.value)):
            low, complete = Value(float(values[i]), None, True, float(piece.samples[i])), False
        if values[j] > high.value + 1e-9 * max(1.0, abs(high.value)):
            high, complete = (
                Value(float(values[j]), None, True, float(piece.samples[j])),
                False,
            )
    complete = complete and low.exact is not None and high.exact is not None
    return low, high, complete


# -- range and max |f'|


def value_range(analysis: Analysis) -> tuple[Range, dict[str, str]]:
    """The range of f, and the methods of `bounded_below` / `bounded_above`."""
    items: list[tuple[Value, Value]] = []
    symbolic = True
    for piece in analysis.pieces:
        low, high, complete = image(analysis, piece, 0)
        symbolic = symbolic and complete
        items.append((low, high))
    for b, value in zip(analysis.breakpoints, analysis.point_values, strict=True):
        point = Value(to_float(value), value, True, to_float(b), b, rank=2)
        items.append((point, point))
    components = union(items)
    low = components[0][0]
    high = max((c[1] for c in components), key=lambda v: v.value)
    high = next(c[1] for c in components if ties(c[1].value, high.value))
    exact = symbolic and low.exact is not None and high.exact is not None
    method = "symbolic" if exact else "numeric"
    lower_closed = low.attained and math.isfinite(low.value)
    upper_closed = high.attained and math.isfinite(high.value)
    result = Range(
        lower=low.value,
        upper=high.value,
        lower_closed=lower_closed,
        upper_closed=upper_closed,
        exact=interval_text(exact_text(low), exact_text(high), lower_closed, upper_closed),
        interval=len(components) == 1,
        method=method,
        lower_exact=sstr(low.exact),
        upper_exact=sstr(high.exact),
        lower_at=low.at if lower_closed else None,
        upper_at=high.at if upper_closed else None,
        lower_at_exact=sstr(low.at_exact) if lower_closed else None,
        upper_at_exact=sstr(high.at_exact) if upper_closed else None,
        text=interval_text(
            number_text(low.value), number_text(high.value), lower_closed, upper_closed
        ),
        image=" U ".join(component_text(c) for c in components),
    )
    bound = {
        "bounded_below": "symbolic" if low.exact is not None else "numeric",
        "bounded_above": "symbolic" if high.exact is not None else "numeric",
    }
    return result, bound


def max_abs_derivative(analysis: Analysis) -> tuple[float, Any, bool]:
    """(max |f'|, its exact value or None, symbolic), from the image of f' on each piece."""
    best: Value | None = None
    symbolic = True
    for piece in analysis.pieces:
        low, high, complete = image(analysis, piece, 1)
        symbolic = symbolic and complete
        for value in (low, high):
            magnitude = abs(value.value)
            candidate = Value(
                magnitude,
                None if value.exact is None else (-value.exact if value.value < 0 else value.exact),
            )
            if best is None or magnitude > best.value + tolerance(best.value):
                best = candidate
            elif ties(magnitude, best.value) and best.exact is None:
                best = candidate
    assert best is not None
    return best.value, best.exact, symbolic and best.exact is not None


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
