"""Candidate values of an activation and the pieces it is cut into: how two candidates compare
(ties within 1e-12 relative), which one wins, how intervals merge, and how they are written.

Every other module of `actcli.properties` builds on these, so they import nothing from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import sympy
from sympy.core.evalf import PrecisionExhausted

from actcli.domain import to_float

FLAT_OPS = 12  # count_ops above which 'f^(k+1) == 0' is only decided structurally
SIMPLIFY_SECONDS = 1.0
EXACT_TEXT_CHARS = 40  # longer exact endpoints are shown as floats in Range.exact


@dataclass
class Value:
    """A candidate endpoint: a value, exact or not, attained at `at` or only approached."""

    value: float
    exact: Any = None  # SymPy expression or None
    attained: bool = False
    at: float | None = None
    at_exact: Any = None
    rank: int = 9  # preference among ties: lower is better


def tolerance(value: float) -> float:
    """How far apart two values may be and still tie (1e-12 relative; 0 for inf and nan)."""
    return 1e-12 * max(1.0, abs(value)) if math.isfinite(value) else 0.0


def ties(a: float, b: float) -> bool:
    """a and b are the same value up to rounding (infinities only equal themselves)."""
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= max(tolerance(a), tolerance(b))


def best_of(candidates: list[Value], lowest: bool) -> Value:
    """The lowest (or highest) candidate; among ties: attained if any is, exact if any is."""
    finite = [c for c in candidates if not math.isnan(c.value)]
    if not finite:
        return Value(math.nan)
    pick = min if lowest else max
    extreme = pick(c.value for c in finite)
    tied = [c for c in finite if ties(c.value, extreme)]
    tied.sort(
        key=lambda c: (not c.attained, c.exact is None, c.rank, c.value if lowest else -c.value)
    )
    chosen = tied[0]
    exact = (
        chosen.exact
        if chosen.exact is not None
        else next((c.exact for c in tied if c.exact is not None), None)
    )
    if exact is not None:  # a float that rounds onto an exact limit attains nothing
        attained = any(c.attained for c in tied if c.exact is not None and c.exact == exact)
        witness = next((c for c in tied if c.exact == exact and c.attained), chosen)
    else:
        attained = any(c.attained for c in tied)
        witness = chosen
    return Value(
        chosen.value if chosen.exact is not None or exact is None else to_float(exact),
        exact,
        attained,
        witness.at,
        witness.at_exact,
        chosen.rank,
    )


def is_real_number(expression: Any) -> bool:
    """A SymPy expression that is a real number or +-oo (so usable as an exact value)."""
    if expression is None or not isinstance(expression, sympy.Basic):
        return False
    if expression in (sympy.oo, -sympy.oo):
        return True
    if not expression.is_number or expression.has(sympy.zoo, sympy.nan, sympy.AccumBounds):
        return False
    try:
        return not math.isnan(to_float(expression))
    except (TypeError, ValueError):
        return False


def is_zero(expression: Any) -> bool:
    """0 exactly, or a real number SymPy's evaluation cannot tell from 0 at up to 1000 digits
    (an identity it cannot simplify: log(2) + log(3) - log(6)). exp(-900) is told apart
    (1.4e-391): a cut-off at 1e-40 took it, and f(0) of exp(-(x - 30)**2), for 0."""
    if expression == 0:
        return True
    if not is_real_number(expression):
        return False
    try:
        sympy.N(expression, 50, strict=True, maxn=1000)
    except PrecisionExhausted:
        return True
    return False


def union(items: list[tuple[Value, Value]]) -> list[tuple[Value, Value]]:
    """Merge intervals (lower, upper: closed where attained) into disjoint components."""
    ordered = sorted(items, key=lambda item: (item[0].value, not item[0].attained))
    components: list[list[Value]] = []
    for low, high in ordered:
        if components:
            current = components[-1]
            top = current[1]
            overlaps = low.value < top.value - tolerance(top.value)
            touches = ties(low.value, top.value) and (top.attained or low.attained)
            if ties(low.value, current[0].value):
                current[0] = best_of([current[0], low], lowest=True)
            if overlaps or touches:
                if high.value > top.value + tolerance(top.value):
                    current[1] = high
                elif ties(high.value, top.value):
                    current[1] = best_of([top, high], lowest=False)
                continue
        components.append([low, high])
    return [(c[0], c[1]) for c in components]


# -- text ----------------------------------------------------------------------------------


def interval_text(lower: Any, upper: Any, lower_closed: bool, upper_closed: bool) -> str:
    """'[a, b)' and the like, from the endpoints' text."""
    return f"{'[' if lower_closed else '('}{lower}, {upper}{']' if upper_closed else ')'}"


def number_text(value: float) -> str:
    """15 significant digits, 'oo' / '-oo' / 'nan', and never '-0'."""
    if math.isinf(value):
        return "oo" if value > 0 else "-oo"
    if math.isnan(value):
        return "nan"
    text = f"{value:.15g}"
    return "0" if text == "-0" else text


def exact_text(value: Value) -> str:
    """The exact value when known and short, else its number text."""
    if value.exact is not None:
        text = sympy.sstr(value.exact)
        if len(text) <= EXACT_TEXT_CHARS:
            return text
    return number_text(value.value)


def component_text(component: tuple[Value, Value]) -> str:
    """One component of an image: '{a}' for a point, else its interval."""
    low, high = component
    if ties(low.value, high.value) and low.attained and high.attained:
        return "{" + exact_text(low) + "}"
    lower_closed = low.attained and math.isfinite(low.value)
    upper_closed = high.attained and math.isfinite(high.value)
    return interval_text(exact_text(low), exact_text(high), lower_closed, upper_closed)


def sstr(expression: Any) -> str | None:
    """`sympy.sstr` of an optional expression (None stays None)."""
    return None if expression is None else sympy.sstr(expression)
