"""How accurate an activation's float64 evaluation is: f, f', f'' measured against mpmath.

`measure(activation)` compiles what `actcli eval` compiles (`Activation.function(k)`: the spec's
hand-written stable form, or for a user's expression the rewritten one of `actcli.stabilize`)
and compares it with a 20-digit mpmath reference of the *definition*'s exact derivative on
`actcli.stabilize.grid` (0; 1e-300, 1e-100, 1e-30 and 1e-12 to 1e8 geometrically, both signs;
dense near 0 and around every breakpoint; about 136 points per order, vectorised on the float
side). The error at a point is relative, with an absolute floor: a difference below 1e-300
counts as none.

A measurement is evidence, not a proof: it says how the points measured came out. Points where
the derivative does not exist (kinks), where the definition is not real, or where mpmath gives
no reference are left out and counted. Where the error exceeds the 1e-13 target, the point's
condition number kappa = |x*f^(k+1)(x)/f^(k)(x)| is computed: when the error is within
8*kappa*2**-53 (plus the target) the maths itself is ill-conditioned there (sin(1e8*x): the
rounding of x alone moves the result that much) and the point is reported apart, not as a
failure of the evaluation. `suggestion` offers a more accurate stable form, as spec text, when
one of the exact rewrites measures better than what the spec evaluates through now.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy
from sympy.printing.str import StrPrinter

from actcli.activation import Activation, bind
from actcli.compiler import compile_scalar, reference_function
from actcli.errors import ActcliError, ExpressionError
from actcli.expr import X, parse_expression, scalar_namespace
from actcli.pieces import to_piecewise
from actcli.spec import Spec
from actcli.stabilize import (
    MAX_DPS,
    SERIES_TOLERANCE,
    TARGET,
    Reference,
    breakpoints,
    grid,
    reference_at,
    rewritten_variants,
    stable_form,
    worst,
)

ORDERS = (0, 1, 2)
UNIT = 2.0**-53  # float64's unit roundoff
CONDITIONED = 8.0  # an error within CONDITIONED*kappa*UNIT is the maths' own
MAX_SPEC_TEXT = 2000  # characters of one suggested expression


@dataclass(frozen=True)
class OrderAccuracy:
    """One derivative order's measurement. `worst` and `x` are over the well-conditioned
    points; `ill_conditioned` counts the others, `ill_worst` and `condition` their largest error
    and condition number."""

    order: int
    worst: float
    x: float | None
    points: int
    skipped: int
    outside: int
    missing: int
    ill_conditioned: int = 0
    ill_worst: float = 0.0
    ill_x: float | None = None
    condition: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "order": self.order,
            "worst_relative_error": _number(self.worst),
            "x": self.x,
            "points": self.points,
            "skipped_kinks": self.skipped,
            "outside_domain": self.outside,
            "no_reference": self.missing,
            "ill_conditioned_points": self.ill_conditioned,
            "ill_conditioned_worst_error": _number(self.ill_worst),
            "ill_conditioned_x": self.ill_x,
            "max_condition_number": _number(self.condition),
        }


@dataclass(frozen=True)
class Suggestion:
    """A stable form that measured better than the current one, and the spec text for it."""

    key: str  # "stable" or "stable_derivatives.K"
    worst: float
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "worst_relative_error": _number(self.worst), "text": self.text}


@dataclass(frozen=True)
class AccuracyReport:
    """f, f', f'' of one activation at its bound parameter values, measured."""

    activation: str
    params: dict[str, float]
    source: str  # what is compiled: "hand-written stable form" or "rewritten definition"
    orders: tuple[OrderAccuracy, ...]
    target: float = TARGET
    suggestions: tuple[Suggestion, ...] = ()
    note: str = ""  # why a suggestion could not be made, when the target is missed

    @property
    def worst(self) -> float:
        return max((o.worst for o in self.orders), default=0.0)

    @property
    def worst_order(self) -> OrderAccuracy | None:
        return max(self.orders, key=lambda o: o.worst, default=None)

    @property
    def measured(self) -> bool:
        return bool(self.orders)

    @property
    def within_target(self) -> bool:
        return self.measured and self.worst <= self.target

    @property
    def points(self) -> int:
        return sum(o.points for o in self.orders)

    def summary(self) -> str:
        """One line: `float64 accuracy: worst relative error 3.1e-16 (f', x = -1e8)`."""
        if not self.measured:
            return f"float64 accuracy: not measured ({self.note})"
        at = self.worst_order
        where = f" ({_name(at.order)}, x = {short(at.x)})" if at and self.worst > 0 else ""
        text = f"float64 accuracy: worst relative error {self.worst:.2g}{where}"
        if not self.within_target:
            text += f", above the {self.target:g} target"
        ill = [o for o in self.orders if o.ill_conditioned]
        if ill:
            count = sum(o.ill_conditioned for o in ill)
            bad = max(ill, key=lambda o: o.ill_worst)
            kappa = max(o.condition for o in ill)
            text += (
                f"; ill-conditioned at {count} point{'s' if count > 1 else ''} (condition number "
                f"up to {kappa:.2g}: error up to {bad.ill_worst:.2g} at x = {short(bad.ill_x)} in "
                f"{_name(bad.order)}, which float64 cannot avoid)"
            )
        left = sum(o.outside for o in self.orders)
        missing = sum(o.missing for o in self.orders)
        if left:
            text += f"; {left} points outside the real domain"
        if missing:
            text += f"; no mpmath reference at {missing} points"
        return text

    def suggestion_lines(self) -> list[str]:
        """What to put in the spec, as YAML lines, when the target is missed."""
        if self.within_target or not self.measured:
            return []
        lines = []
        for suggestion in self.suggestions:
            lines.append(
                f"a more accurate {suggestion.key} form (measured: worst relative error "
                f"{suggestion.worst:.2g}), as spec text:"
            )
            body = suggestion.text.splitlines()
            if suggestion.key == "stable":
                lines += ["  stable:", *(f"    {line}" for line in body)]
            else:
                order = suggestion.key.split(".")[1]
                lines += ["  stable_derivatives:", f"    {order}:", *(f"      {b}" for b in body)]
        if self.note:
            lines.append(f"no suggestion: {self.note}")
        return lines

    def to_json(self) -> dict[str, Any]:
        at = self.worst_order
        return {
            "activation": self.activation,
            "params": {k: _number(v) for k, v in self.params.items()},
            "evaluated_through": self.source,
            "target": self.target,
            "worst_relative_error": _number(self.worst),
            "order": at.order if at else None,
            "x": at.x if at else None,
            "points": self.points,
            "measured": self.measured,
            "within_target": self.within_target,
            "evidence": "measured at the points listed, not proven",
            "orders": [o.to_json() for o in self.orders],
            "suggestions": [s.to_json() for s in self.suggestions],
            "note": self.note,
        }


def _number(value: float) -> float | str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def _name(order: int) -> str:
    return "f" + "'" * order


def short(x: float | None) -> str:
    """A point as a person writes it: -1e8, 3.16e-12, 0.25."""
    if x is None:
        return "-"
    text = f"{x:.3g}"
    mantissa, _, exponent = text.partition("e")
    return f"{mantissa}e{int(exponent)}" if exponent else text


# -- measuring ---------------------------------------------------------------------------------


def measure_spec(spec: Spec) -> AccuracyReport | None:
    """`measure` at the spec's default parameters; None for vector kinds (not measured)."""
    if spec.kind != "scalar":
        return None
    return measure(bind(spec))


def measure(activation: Activation, orders: tuple[int, ...] = ORDERS) -> AccuracyReport:
    """f^(k) for each order, as `actcli eval` computes it, against mpmath (see the module); a
    report without orders, saying why, when it cannot be compiled or measured."""
    handwritten = bool(activation.spec.stable or activation.spec.stable_derivatives)
    source = "hand-written stable form" if handwritten else "rewritten definition"
    try:
        results = tuple(_measure_order(activation, order) for order in orders)
    except ActcliError as exc:
        return AccuracyReport(activation.name, activation.params, source, (), note=str(exc))
    report = AccuracyReport(activation.name, activation.params, source, results)
    if report.within_target:
        return report
    suggestions, note = _suggestions(activation, report)
    return AccuracyReport(
        activation.name, activation.params, source, results, TARGET, suggestions, note
    )


def _measure_order(activation: Activation, order: int) -> OrderAccuracy:
    definition = to_piecewise(activation.expression)
    exact = sympy.diff(definition, X, order) if order else definition
    x = grid(breakpoints(exact))
    reference = reference_at(exact, x)
    errors = reference.errors(activation.function(order)(x))
    kinks = _kinks(activation, order)
    at_kink = np.isin(x, list(kinks)) if kinks else np.zeros(x.shape, dtype=bool)
    errors[at_kink] = math.nan  # no derivative there: `eval` answers nan and says why
    return _classify(order, exact, reference, errors, int(at_kink.sum()))


def _kinks(activation: Activation, order: int) -> set[float]:
    if not order:
        return set()
    try:
        return {kink.x for kink in activation.kinks(order)}
    except ActcliError:
        return set()


def _classify(
    order: int, exact: Any, reference: Reference, errors: np.ndarray, skipped: int
) -> OrderAccuracy:
    """Split the points above the target into ill-conditioned ones (the error is what the
    condition number allows) and real failures."""
    x = reference.x
    ill = np.zeros(x.shape, dtype=bool)
    kappa = np.zeros(x.shape)
    above = np.flatnonzero(errors > TARGET)
    if above.size:
        slope = reference_function(sympy.diff(exact, X), digits=10, max_dps=MAX_DPS)
        for index in above:
            kappa[index] = _condition(x[index], slope, reference.values[index])
            allowed = TARGET + CONDITIONED * kappa[index] * UNIT
            ill[index] = CONDITIONED * kappa[index] * UNIT > TARGET and errors[index] <= allowed
    good = ~ill & ~np.isnan(errors)
    measured = int((~np.isnan(errors)).sum())
    worst_here, at = _worst_at(errors, good, x)
    ill_worst, ill_x = _worst_at(errors, ill, x)
    return OrderAccuracy(
        order,
        worst_here,
        at,
        measured,
        skipped,
        reference.outside,
        reference.missing,
        int(ill.sum()),
        ill_worst,
        ill_x,
        float(kappa[ill].max()) if ill.any() else 0.0,
    )


def _condition(x: float, slope: Any, value: Any) -> float:
    """|x*f'(x)/f(x)|: how much a relative change of x moves f, relatively."""
    if x == 0:
        return 0.0
    try:
        derivative = slope(x)
    except (ActcliError, ArithmeticError, ValueError, TypeError):
        return 0.0
    if isinstance(derivative, mpmath.mpc):
        derivative = derivative.real
    if value == 0:
        return math.inf
    return float(abs(mpmath.mpf(x) * derivative / value))


def _worst_at(errors: np.ndarray, where: np.ndarray, x: np.ndarray) -> tuple[float, float | None]:
    if not where.any():
        return 0.0, None
    chosen = np.flatnonzero(where)
    index = chosen[np.argmax(errors[chosen])]
    return float(errors[index]), float(x[index])


# -- suggesting --------------------------------------------------------------------------------


def _suggestions(
    activation: Activation, report: AccuracyReport
) -> tuple[tuple[Suggestion, ...], str]:
    """For each order above the target, a rewritten form that measures better, as spec text."""
    found = []
    notes = []
    for result in report.orders:
        if result.worst <= TARGET:
            continue
        form, measured, approximate = _better_form(activation, result.order)
        if form is None or not measured < result.worst:
            notes.append(f"no exact rewrite of {_name(result.order)} measures better")
            continue
        text = spec_text(form)
        if text is None:
            notes.append(f"the better form of {_name(result.order)} has no spec text")
            continue
        if approximate:  # a truncated series: `check` verifies the stable form within this
            text += f"\ntolerance: {SERIES_TOLERANCE:.2g}"
        key = "stable" if result.order == 0 else f"stable_derivatives.{result.order}"
        found.append(Suggestion(key, measured, text))
    return tuple(found), "; ".join(notes)


def _better_form(activation: Activation, order: int) -> tuple[Any, float, bool]:
    """The most accurate rewritten form of f^(order) and its measured worst error. With
    parameters, the rewrites keep them as symbols (a stable form must hold for every value) and
    are measured at the bound values; without, it is `actcli.stabilize`'s measured choice."""
    definition = to_piecewise(activation.symbolic())
    exact = sympy.diff(definition, X, order) if order else definition
    if not activation.spec.parameters:
        chosen = stable_form(definition, order)
        return chosen.expression, chosen.worst, chosen.approximate
    truth = to_piecewise(activation.substitute(exact))
    x = grid(breakpoints(truth))
    reference = reference_at(truth, x)
    best: tuple[Any, float, bool] = (None, math.inf, False)
    for form in rewritten_variants(exact, order):
        try:
            got = compile_scalar(activation.substitute(form))(x)
        except (ActcliError, TypeError, ValueError, NameError, KeyError):
            continue
        measured = worst(reference.errors(got))
        if measured < best[1]:
            best = (form, measured, False)
    return best


class _SpecPrinter(StrPrinter):
    """SymPy as the expression grammar writes it (abs, ==, e)."""

    def _print_Abs(self, expr: Any) -> str:
        return f"abs({self._print(expr.args[0])})"

    def _print_Exp1(self, expr: Any) -> str:
        return "e"

    def _print_Equality(self, expr: Any) -> str:
        return f"{self._print(expr.lhs)} == {self._print(expr.rhs)}"

    def _print_Unequality(self, expr: Any) -> str:
        return f"{self._print(expr.lhs)} != {self._print(expr.rhs)}"


def spec_text(expression: Any, symbols: dict[str, Any] | None = None) -> str | None:
    """A stable form as YAML spec text (`expression:` or `piecewise:`), every expression
    parsed back with actcli's grammar to make sure it reads as the same thing; None when the
    form cannot be written in the grammar (a Piecewise left inside a product, too long)."""
    printer = _SpecPrinter()
    folded = sympy.piecewise_fold(expression)
    pieces = folded.args if isinstance(folded, sympy.Piecewise) else ((folded, sympy.true),)
    namespace = scalar_namespace(symbols or _symbols(expression))
    lines = []
    covered = sympy.S.EmptySet
    for value, condition in pieces:
        condition, covered = _simpler(condition, covered)
        if condition is None:
            continue  # no x left for it (folding nested Piecewise makes such pieces)
        if value.has(sympy.Piecewise) or condition.has(sympy.Piecewise):
            return None
        value_text = printer.doprint(value)
        if not _reads_back(value_text, value, namespace, False):
            return None
        if condition == sympy.true:
            lines.append(f'{{otherwise: "{value_text}"}}')
            break
        condition_text = printer.doprint(condition)
        if not _reads_back(condition_text, condition, namespace, True):
            return None
        lines.append(f'{{when: "{condition_text}", value: "{value_text}"}}')
    if len(lines) == 1 and lines[0].startswith("{otherwise"):
        return f'expression: "{printer.doprint(pieces[0][0])}"'
    return "piecewise:\n" + "\n".join(f"  - {line}" for line in lines)


def _simpler(condition: Any, covered: Any) -> tuple[Any, Any]:
    """A piece's condition on x alone as the interval(s) it adds to those of the pieces before
    it (`covered`): None when it adds none; conditions on parameters too as given."""
    if condition == sympy.true or condition.free_symbols != {X}:
        return condition, covered
    try:
        region = condition.as_set()
        added = region - covered
    except (NotImplementedError, TypeError, ValueError):
        return condition, covered
    if added.is_empty:
        return None, covered
    covered = covered | region
    if covered == sympy.Reals:
        return sympy.true, covered
    return _x_first(added.as_relational(X)), covered


def _x_first(condition: Any) -> Any:
    """`0 < x` written `x > 0` (as_relational puts the number first)."""
    if (
        isinstance(condition, sympy.core.relational.Relational)
        and X not in condition.lhs.free_symbols
    ):
        return condition.reversed
    if isinstance(condition, sympy.And | sympy.Or):
        return condition.func(*(_x_first(arg) for arg in condition.args))
    return condition


def _symbols(expression: Any) -> dict[str, Any]:
    return {str(s): s for s in expression.free_symbols if s != X}


def _reads_back(text: str, original: Any, namespace: Any, condition: bool) -> bool:
    if len(text) > MAX_SPEC_TEXT:
        return False
    try:
        parsed = parse_expression(text, namespace, condition=condition)
    except ExpressionError:
        return False
    if parsed == original or condition:
        return bool(parsed == original)
    return _numerically_equal(parsed, original)


def _numerically_equal(a: Any, b: Any) -> bool:
    """a == b at a few points (x and every parameter set to them), to 1e-12 relative."""
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    for value in (sympy.Rational(7, 3), sympy.Rational(-5, 4), sympy.Rational(1, 9)):
        values = dict.fromkeys(symbols, value)
        try:
            left, right = complex(a.subs(values).evalf(30)), complex(b.subs(values).evalf(30))
        except (TypeError, ValueError, ZeroDivisionError):
            return False
        if not abs(left - right) <= 1e-12 * max(1.0, abs(left), abs(right)):
            return False
    return True
