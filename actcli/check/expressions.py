"""Claims that are expressions: derivatives (of any order, by a parameter, in terms of the
output) and stable forms. Each is compared with the truth piece by piece, symbolically and at
50 digits with mpmath's numerical differentiation of the definition."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import mpmath
import numpy as np
import sympy

from actcli.budget import Timeout, alarm, clock
from actcli.calculus import point_value
from actcli.check.context import (
    DIGITS,
    FAR_SECONDS,
    POINT_SECONDS,
    CheckContext,
    Piece,
    as_float,
    ball_values,
    cut_texts,
    cuts_may_cross,
    derivative_name,
    float64_form,
    numeric_diff,
    numeric_diff_parameter,
    parameter_condition,
    scan_candidates,
    settled,
    values_at_cut,
    working_digits,
)
from actcli.check.result import ClaimResult
from actcli.expr import X, Y
from actcli.interval import constant_value
from actcli.options import check_order
from actcli.pieces import active_branch_at
from actcli.proofs import is_zero
from actcli.spec import Definition

AGREE = 1e-20  # relative (or absolute below 1e-25) agreement that counts as equal at 50 digits


@dataclass
class _Comparison:
    """Outcome of comparing a claim with the truth, before it becomes a verdict."""

    proven: list[bool] = field(default_factory=list)
    worst_digits: float = math.inf
    points: int = 0
    worst: dict[str, Any] | None = None
    worst_error: float = 0.0
    exceptions: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    skipped: int = 0  # sample points not evaluated within POINT_SECONDS
    far_skipped: int = 0  # ... of the far points (`CheckContext.far_points`)
    farthest: float = 0.0  # the largest |x| compared
    shown: str = ""  # the witness's values where floats cannot hold them (`_beyond_floats`)


def _conclude(
    activation: str,
    name: str,
    comparison: _Comparison,
    tolerance: float | None,
    notes: list[str],
) -> ClaimResult:
    if comparison.skipped:
        notes = [
            *notes,
            f"{comparison.skipped} sample points not evaluated (over {POINT_SECONDS:g} s each "
            "in mpmath) or unsettled",
        ]
    if comparison.far_skipped:
        notes = [
            *notes,
            f"{comparison.far_skipped} far points left out (over {POINT_SECONDS:g} s each or "
            f"{FAR_SECONDS:g} s in all in mpmath, or unsettled)",
        ]
    extra = ("; " + "; ".join(notes)) if notes else ""
    digits = min(comparison.worst_digits, DIGITS)
    reach = f" out to |x| = {comparison.farthest:.3g}" if comparison.farthest > 1e3 else ""
    numbers = f"{comparison.points} points{reach}, worst agreement {digits:.0f} digits"
    if comparison.worst is not None:
        status = "refuted"
        if tolerance is not None and not comparison.failures:
            detail = f"differs by up to {comparison.worst_error:.3g} (tolerance {tolerance:g})"
        else:
            detail = "differs from the truth" + comparison.shown
        return ClaimResult(activation, name, status, detail + extra, comparison.worst)
    if all(comparison.proven):
        return ClaimResult(
            activation,
            name,
            "holds",
            f"proven symbolically on every piece; confirmed at {numbers}{extra}",
        )
    if tolerance is not None and not comparison.skipped:
        return ClaimResult(
            activation,
            name,
            "holds_approximately",
            f"largest difference {comparison.worst_error:.3g} (tolerance {tolerance:g}) at "
            f"{numbers}"
            f"{extra}",
        )
    failed = comparison.proven.count(False)
    return ClaimResult(
        activation,
        name,
        "unproven",
        f"no symbolic proof on {failed} of {len(comparison.proven)} pieces; numeric agreement "
        f"at {numbers}{extra}",
    )


def derivative(ctx: CheckContext, name: str, order: int) -> ClaimResult:
    check_order(order, 1, f"{name} (an order)")  # a spec's derivatives.1000000: unproven
    claim = ctx.claim_definition(name)
    claimed = ctx.build(claim)
    return _verdict(
        ctx,
        name,
        claim,
        claimed,
        truth=lambda branch: sympy.diff(branch, X, order),
        numeric_truth=lambda f, x, values: numeric_diff(f, x, order, values),
        order=order,
        what=derivative_name(order),
    )


def derivative_wrt(ctx: CheckContext, parameter: str) -> ClaimResult:
    name = f"derivative_wrt.{parameter}"
    claim = ctx.spec.claims["derivative_wrt"].value[parameter]
    symbol = ctx.activation.symbols[parameter]
    bound = {
        ctx.activation.symbols[k]: v
        for k, v in ctx.activation.values.items()
        if k not in ctx.symbolic
    }
    return _verdict(
        ctx,
        name,
        claim,
        ctx.build(claim),
        # differentiate before putting in values: the parameter may be one of them
        truth=lambda branch: sympy.diff(branch, symbol).subs(bound),
        definition=ctx.numeric_definition,
        numeric_truth=lambda f, x, values: numeric_diff_parameter(f, x, parameter, values),
        order=0,
        what=f"df/d{parameter}",
    )


def output_form(ctx: CheckContext) -> ClaimResult:
    name = "derivative_in_terms_of_output"
    claim = ctx.spec.claims[name].value
    in_y = ctx.build(claim, variables=("x", "y"))
    if any(Y in c.free_symbols for p in in_y.atoms(sympy.Piecewise) for _, c in p.args):
        in_y = in_y.subs(Y, ctx.definition)  # abs(y), max(y, 0): its pieces are cut in x

    def claimed_at(branch_of_f: Any) -> Any:
        return in_y.subs(Y, branch_of_f)

    return _verdict(
        ctx,
        name,
        claim,
        in_y,
        truth=lambda branch: sympy.diff(branch, X),
        numeric_truth=lambda f, x, values: numeric_diff(f, x, 1, values),
        order=1,
        what="f'",
        output_form=claimed_at,
    )


def stable(ctx: CheckContext, name: str, definition: Definition, order: int) -> ClaimResult:
    return _verdict(
        ctx,
        name,
        definition,
        ctx.build(definition),
        truth=lambda branch: sympy.diff(branch, X, order) if order else branch,
        numeric_truth=lambda f, x, values: (
            numeric_diff(f, x, order, values) if order else f(x, values)
        ),
        order=order,
        what="the definition" if not order else derivative_name(order),
    )


def _verdict(
    ctx: CheckContext,
    name: str,
    claim: Definition,
    claimed: Any,
    *,
    truth: Callable[[Any], Any],
    numeric_truth: Callable[..., Any],
    order: int,
    what: str,
    output_form: Callable[[Any], Any] | None = None,
    definition: Any = None,
) -> ClaimResult:
    spec_name = ctx.spec.name
    definition = ctx.definition if definition is None else definition
    comparison = _Comparison()
    tolerance = claim.tolerance

    def structure(values: dict[str, Any] | None) -> Structure:
        """The pieces at these parameter values, and (claimed, true) on each, symbolic."""
        pieces = ctx.pieces(claimed, values)
        forms = []
        for piece in pieces:
            branch = ctx.branch(definition, piece, values)
            claimed_branch = ctx.branch(claimed, piece, values)
            if output_form is not None:
                claimed_branch = claimed_branch.subs(Y, branch)
            forms.append((claimed_branch, truth(branch)))
        return pieces, forms

    structures = [structure(None)] + [structure(v) for v in ctx.parameter_sets[1:]]
    pieces, forms = structures[0]
    comparison.proven = [is_zero(got - true) for got, true in forms]
    notes = []
    if any(cut_texts(other) != cut_texts(pieces) for other, _ in structures[1:]) or (
        cuts_may_cross(ctx, pieces)
    ):
        comparison.proven = [False] * len(forms)  # proven where the pieces are these only
        notes.append(
            "the breakpoints move with the free parameters, so a proof on the defaults' "
            "pieces is no proof for every value"
        )
    elif decided := parameter_condition(ctx, claimed, definition):
        comparison.proven = [False] * len(forms)  # its branches were chosen at the defaults
        notes.append(
            f"a condition on the parameters alone ({decided}) was decided at the defaults, so "
            "a proof there is no proof for every value"
        )
    if not order and what == "the definition":  # a stable form: its value at each cut too
        for piece in pieces[1:]:
            _value_at_cut(ctx, piece.lower, claimed, definition, comparison, tolerance)
    if order:
        for left, right in zip(pieces, pieces[1:], strict=False):
            point = left.upper
            left_branch = active_branch_at(ctx.definition, ctx.activation, left.probe)
            right_branch = active_branch_at(ctx.definition, ctx.activation, right.probe)
            value = point_value(point, left_branch, right_branch, order, ctx.activation)
            note = _at_point(ctx, value, claimed, what, output_form, comparison, tolerance)
            if note:
                notes.append(note)
    _numeric(ctx, claimed, numeric_truth, structures, tolerance, comparison, output_form)
    return _conclude(spec_name, name, comparison, tolerance, notes)


Structure = tuple[list[Piece], list[tuple[Any, Any]]]


def _value_at_cut(
    ctx: CheckContext,
    point: Any,
    claimed: Any,
    definition: Any,
    comparison: _Comparison,
    tolerance: float | None,
) -> None:
    """A form claimed equal to the definition must equal it at the cut points too: ReLU's
    stable form with 5 at x = 0 "held" (the sample points avoid the cuts)."""
    found = values_at_cut(ctx, point, claimed, definition)
    if found is None or _within(*found, tolerance):
        return
    at, exact = found
    comparison.failures.append(sympy.sstr(point))
    comparison.worst = {
        "x": float(sympy.N(ctx.at_values(point))),
        "params": ctx.float_values(),
        "claimed": as_float(at),
        "true": as_float(exact),
    }


def _at_point(
    ctx: CheckContext,
    value: Any,
    claimed: Any,
    what: str,
    output_form: Any,
    comparison: _Comparison,
    tolerance: float | None,
) -> str:
    """The claim at a breakpoint: a convention where the derivative does not exist, else
    it must give the derivative's value (within the claim's tolerance, if it has one: a
    truncated series meets the exact form at its radius within it, not exactly)."""
    point = sympy.sstr(value.x)
    sides = f"one-sided limits {sympy.sstr(value.left)} and {sympy.sstr(value.right)}"
    if value.exists is False:
        return (
            f"except at x = {point}, where {what} does not exist ({sides}; the claim's "
            "value there is a convention)"
        )
    if value.exists is None and value.condition is None:
        return f"except at x = {point}, where whether {what} exists is not decided ({sides})"
    if value.exists is None:
        return (
            f"except at x = {point} unless {value.condition_text()}: {what} exists there "
            f"only then ({sides}; elsewhere the claim's value there is a convention)"
        )
    # x first, then the parameters: a breakpoint x = c put c back into the claim after its
    # values (x > 1/2 at x = c left undecided: an internal error); at the defaults, then at
    # the other parameter sets checked (f'(0) = alpha against a claimed 1 agreed at alpha =
    # 1 only)
    for values in ctx.parameter_sets:
        symbols = {ctx.activation.symbols[k]: v for k, v in values.items()}
        try:
            at = sympy.sympify(claimed).subs(X, value.x).subs(symbols)
            if output_form is not None:
                at = at.subs(Y, ctx.definition.subs(X, value.x).subs(symbols))
            exact = sympy.sympify(value.left).subs(symbols)
        except TypeError:  # SymPy cannot order the claim's own conditions (zoo, y >= 0)
            return f"the claim's value at x = {point} is not decided (its conditions there are not)"
        if at.free_symbols or exact.free_symbols:
            continue
        if not (is_zero(at - exact) or _within(at, exact, tolerance)):
            comparison.failures.append(point)
            comparison.worst = {
                "x": float(sympy.N(sympy.sympify(value.x).subs(symbols))),
                "params": {k: as_float(v) for k, v in values.items()},
                "claimed": as_float(at),
                "true": as_float(exact),
            }
            break
    return ""


def _within(claimed: Any, exact: Any, tolerance: float | None) -> bool:
    """|claimed - exact| <= tolerance*max(1, |exact|), as `_numeric` measures (the values read
    as `constant_value` reads them: SymPy's N can round a difference to 0)."""
    if tolerance is None or not (claimed - exact).is_number or not exact.is_number:
        return False
    difference, size = constant_value(claimed - exact, 50), constant_value(exact, 50)
    return abs(difference) <= tolerance * max(abs(size), 1)


def _numeric(
    ctx: CheckContext,
    claimed: Any,
    numeric_truth: Callable[..., Any],
    structures: list[Structure],
    tolerance: float | None,
    comparison: _Comparison,
    output_form: Any,
) -> None:
    """The claim against numbers at each parameter set, on that set's pieces
    (`structures`, in the order of `ctx.parameter_sets`)."""
    definition_mp = ctx.mp_function(ctx.numeric_definition)
    claim_mp = ctx.mp_function(claimed, with_y=output_form is not None)

    def compare(point: float, digits: int, numbers: Any) -> tuple[Any, Any]:
        """(claimed, true) at x = point."""
        with alarm(POINT_SECONDS), mpmath.workdps(digits):
            x = mpmath.mpf(point)
            true = numeric_truth(definition_mp, x, numbers)
            if output_form is not None:
                return claim_mp(x, numbers, definition_mp(x, numbers)), true
            return claim_mp(x, numbers), true

    # the float64 scan's points, then the far points, only where numbers decide and nothing
    # before found a witness (one in the sampling window is the easier to read); a claim
    # proven on every piece holds within any tolerance
    for stage in ("samples", "scan", "far"):
        if stage != "samples" and (comparison.worst is not None or all(comparison.proven)):
            break
        far = stage == "far"
        deadline = clock() + FAR_SECONDS if far else math.inf
        for values, (pieces, forms) in zip(ctx.parameter_sets, structures, strict=True):
            numbers = {k: mpmath.mpf(str(as_float(v))) for k, v in values.items()}
            if stage == "samples":
                points = ctx.sample_points(pieces, values)
            elif stage == "scan":
                points = _scanned(ctx, pieces, forms, values, tolerance)
            else:
                points = ctx.far_points(pieces, values)
            reverify = _reverifier(ctx, pieces, forms, values, compare, numbers)
            _compare_points(
                points, far, numbers, compare, reverify, tolerance, comparison, deadline
            )
    if comparison.worst is not None:
        comparison.worst.pop("_e", None)
        comparison.shown = comparison.worst.pop("_shown", "")


SCAN_FLOOR = 1e-8  # float64's disagreement that is worth an exact look, at the least


def _scanned(
    ctx: CheckContext,
    pieces: list[Piece],
    forms: list[tuple[Any, Any]],
    values: dict[str, Any],
    tolerance: float | None,
) -> list[float]:
    """Points of each piece where float64 finds the claim apart from the truth by more than
    the tolerance (or SCAN_FLOOR) between the sample points (`scan_candidates`)."""
    symbols = {ctx.activation.symbols[k]: v for k, v in values.items()}
    edges = [-math.inf, *ctx.edges(pieces, values), math.inf]
    found: list[float] = []
    for (claimed, true), lower, upper in zip(forms, edges, edges[1:], strict=False):
        claimed64 = float64_form(claimed.subs(symbols))
        true64 = float64_form(true.subs(symbols))
        if claimed64 is None or true64 is None:
            continue

        def size(x: np.ndarray, claimed64: Any = claimed64, true64: Any = true64) -> np.ndarray:
            truth = true64(x)
            scale = np.maximum(np.abs(truth), 1.0) if tolerance else np.abs(truth)
            return np.abs(claimed64(x) - truth) / scale

        found += scan_candidates(size, lower, upper, max(tolerance or 0.0, SCAN_FLOOR))
    return found


def _reverifier(
    ctx: CheckContext,
    pieces: list[Piece],
    forms: list[tuple[Any, Any]],
    values: dict[str, Any],
    compare: Callable[[float, int, Any], tuple[Any, Any]],
    numbers: dict[str, Any],
) -> Callable[[float, bool, tuple[Any, Any]], Reverified | None]:
    """(point, far, (claimed, true) as first computed) -> the witness's two values again, or
    None where they are not settled: from Arb balls of the point's piece's symbolic forms
    (rigorous; a fixed precision can lose a cancellation whole, alike at any multiple of
    it: cosh(x)**2 - sinh(x)**2 is 0 at x = -3000 at 900 digits and at 1800, 1 in truth),
    None where no ball is tight; where the forms take no balls (Piecewise, |u|), a far point
    re-computed at twice the digits and another finite-difference step (None unless both
    agree), a point in the window as first computed."""
    edges = ctx.edges(pieces, values)
    symbols = {ctx.activation.symbols[k]: v for k, v in values.items()}
    balls: dict[int, Callable[[float], tuple[Any, ...] | None] | None] = {}

    def reverify(point: float, far: bool, first: tuple[Any, Any]) -> Reverified | None:
        piece = bisect.bisect(edges, point)
        if piece not in balls:
            balls[piece] = ball_values([form.subs(symbols) for form in forms[piece]])
        if balls[piece] is not None:
            found = balls[piece](point)
            return None if found is None else Reverified(*found, rigorous=True)
        if not far:
            return Reverified(*first, rigorous=False)
        again = compare(point, 2 * working_digits(point), numbers)
        return Reverified(*again, rigorous=False) if all(map(settled, first, again)) else None

    return reverify


def _beyond_floats(got: Any, true: Any) -> str:
    """' (claimed 5.1e-435, true -1.3e-1303)' where a float reads either value as 0 or inf
    (the counterexample's floats would show two equal numbers), else ''."""
    values = (got, true)
    if all(v == 0 or math.isfinite(float(v)) and float(v) != 0 for v in values):
        return ""
    claimed, true_text = (mpmath.nstr(v, 3) for v in values)
    return f" (claimed {claimed}, true {true_text})"


class Reverified(NamedTuple):
    """A witness's claimed and true values computed again; `rigorous` where from Arb balls
    (then even a difference below 1e-25, beyond what 50-digit finite differences resolve,
    is one: -sigmoid(-x) + exp(-1000) is not f' of log(1 + exp(x)) - x at x = 3000)."""

    got: Any
    true: Any
    rigorous: bool


def _difference(got: Any, true: Any, tolerance: float | None) -> tuple[float, float]:
    """|claimed - true|, and relative to the scale: |true|, at least 1 with a tolerance."""
    error = abs(got - true)
    scale = max(abs(true), 1) if tolerance else abs(true)
    return float(error), float(error / scale) if scale else float(error)


def _compare_points(
    points: list[float],
    far: bool,
    numbers: dict[str, Any],
    compare: Callable[[float, int, Any], tuple[Any, Any]],
    reverify: Callable[[float, bool, tuple[Any, Any]], Reverified | None],
    tolerance: float | None,
    comparison: _Comparison,
    deadline: float,
) -> None:
    """Compare at each point (`compare(x, digits, numbers)`), keeping the worst witness. A
    witness counts only once `reverify` confirms its values: exp(exp(x)) at 3000 needs more
    digits than x has, and no step resolves its derivative. A far point over POINT_SECONDS
    ends its side (farther out takes longer still), and none starts after the `deadline`
    (CPU time, `clock`)."""
    beyond_reach: set[bool] = set()  # the sides where a far point took too long
    for point in points:
        if far and ((point > 0) in beyond_reach or clock() >= deadline):
            comparison.far_skipped += 1
            continue
        try:
            got, true = compare(point, working_digits(point), numbers)
            error, relative = _difference(got, true, tolerance)
            rigorous = False
            # a true value of 0 may be one lost whole (log1p(exp(-3000)) beside 3000)
            zero = not tolerance and true == 0 and got != 0
            if relative > (tolerance or AGREE) or zero:
                again = reverify(point, far, (got, true))
                if again is None:
                    if far:
                        comparison.far_skipped += 1
                    else:
                        comparison.skipped += 1
                    continue
                got, true, rigorous = again
                error, relative = _difference(got, true, tolerance)
        except (Timeout, OverflowError, MemoryError, ZeroDivisionError):
            # x**x**x**x: mpmath makes 3**(3**27) an integer of 1e13 bits (one allocation
            # that fails) and has no number for 30**(30**(30**30)); 0**x at x < 0 divides
            # by zero: no value there
            if far:
                comparison.far_skipped += 1
                beyond_reach.add(point > 0)
            else:
                comparison.skipped += 1
            continue
        comparison.points += 1
        comparison.farthest = max(comparison.farthest, abs(point))
        digits = -math.log10(max(relative, 1e-60))
        comparison.worst_digits = min(comparison.worst_digits, digits)
        bad = relative > (tolerance or AGREE) and (rigorous or error > 1e-25)
        if relative > comparison.worst_error:
            comparison.worst_error = relative
        if bad and (comparison.worst is None or relative > comparison.worst.get("_e", 0)):
            comparison.worst = {
                "x": float(point),
                "params": {k: float(v) for k, v in numbers.items()},
                "claimed": float(got),
                "true": float(true),
                "_e": relative,
                "_shown": _beyond_floats(got, true),
            }
