"""Claims about vector activations: the Jacobian (proven for n = 1..4) and bounds (numeric
evidence suggests, a symbolic limit along a ray refutes; a bound itself is at best
`unproven`)."""

from __future__ import annotations

import math
from typing import Any

import mpmath
import sympy

from actcli.activation import build_expression
from actcli.budget import Budget, bounded
from actcli.check.context import (
    DIGITS,
    CheckContext,
    as_float,
)
from actcli.check.result import ClaimResult
from actcli.expr import Y_VEC, I, J
from actcli.jacobian import explicit_outputs
from actcli.pieces import with_values
from actcli.proofs import is_zero
from actcli.properties import SCALES, vector_extremes


def vector_bound(ctx: CheckContext, key: str) -> ClaimResult:
    """Seeded random vectors at scales 1 to 1000 (`properties.vector_extremes`): an output
    that grows with the scale is evidence of no bound. Evidence is no proof either way, so
    agreement and disagreement are both `unproven` (the disagreement says which vector)."""
    if ctx.extremes is None:
        ctx.extremes = vector_extremes(ctx.activation)
    claimed = ctx.spec.claims[key].value
    found = getattr(ctx.extremes, key)
    values = ctx.extremes.lowest if key == "bounded_below" else ctx.extremes.highest
    side = "below" if key == "bounded_below" else "above"
    text = ", ".join(f"{v:.4g} at scale {s:g}" for s, (v, _) in zip(SCALES, values, strict=True))
    detail = f"numeric evidence only: the extreme output ({side}) is {text}"
    if found == claimed:
        return ClaimResult(ctx.spec.name, key, "unproven", detail)
    value, vector = values[-1]
    shown = ", ".join(f"{v:.4g}" for v in vector)
    ray = next(
        (d for d in ([1.0, 0.0], [-1.0, 0.0], vector) if claimed and _runs_off(ctx, d, side)), None
    )
    if ray is not None:
        shown = ", ".join(f"{v:.4g}" for v in ray)
        counterexample = {"direction": ray, "value": value, "claimed": claimed, "true": False}
        detail = (
            f"along x = t*[{shown}] an output tends to {'-' if side == 'below' else ''}oo "
            f"as t -> oo (a symbolic limit); {detail}"
        )
        return ClaimResult(ctx.spec.name, key, "refuted", detail, counterexample)
    detail += f"; that suggests {key} = {str(found).lower()} (at x = [{shown}]: {value:.6g})"
    return ClaimResult(ctx.spec.name, key, "unproven", detail)


def _runs_off(ctx: CheckContext, direction: list[float], side: str) -> bool:
    """Some output tends to -oo (side "below") or +oo along the ray t*direction: SymPy's
    limit, a proof that the activation is unbounded on that side."""
    t = sympy.Symbol("t", positive=True)
    outputs = explicit_outputs(ctx.activation, len(direction))
    inputs = sympy.symbols(f"x0:{len(direction)}", real=True)
    ray = {
        symbol: t * sympy.Rational(round(v, 3)) for symbol, v in zip(inputs, direction, strict=True)
    }
    target = -sympy.oo if side == "below" else sympy.oo
    for output in outputs:
        limit = bounded(
            lambda o=output: sympy.limit(o.xreplace(ray), t, sympy.oo), 5.0, Budget(5.0)
        )
        if limit == target:
            return True
    return False


def jacobian_claim(ctx: CheckContext) -> ClaimResult:
    """Proven for n = 1..4 with the parameters not given kept symbols over their domains (at
    the defaults only, softmax with a temperature t "held" y_i(delta_ij - y_j), off by 1/t)."""
    claim = ctx.spec.claims["jacobian"].value
    given = {
        symbol: ctx.activation.values[name]
        for name, symbol in ctx.activation.symbols.items()
        if name not in ctx.symbolic
    }
    expression = build_expression(claim, ctx.spec, ctx.activation.symbols, ("x", "y")).subs(given)
    definition = with_values(ctx.activation, ctx.symbolic)
    diagonal_only = True
    failure = None
    for n in (1, 2, 3, 4):
        outputs = explicit_outputs(ctx.activation, n, definition)
        inputs = sympy.symbols(f"x0:{n}", real=True)
        substitution = {Y_VEC[m]: outputs[m] for m in range(n)}
        for r in range(n):
            for c in range(n):
                claimed = expression.subs({I: r, J: c}).doit().xreplace(substitution)
                true = sympy.diff(outputs[r], inputs[c])
                if not is_zero(claimed - true):
                    failure = failure or (n, r, c, claimed, true, inputs)
                    if r == c:
                        diagonal_only = False
    name = ctx.spec.name
    if failure is None:
        agreement = _jacobian_numeric(ctx, ctx.activation.substitute(expression))
        return ClaimResult(
            name,
            "jacobian",
            "holds",
            f"proven symbolically for n = 1, 2, 3, 4; {agreement}",
        )
    n, r, c, claimed, true, inputs = failure
    params, claimed, true = _failing_parameters(ctx, claimed, true)
    point = [round(ctx.rng.uniform(-2, 2), 3) for _ in range(n)]
    values = dict(zip(inputs, point, strict=True))
    example = {
        "n": n,
        "row": r,
        "column": c,
        "x": point,
        "params": params,
        "claimed": as_float(claimed.subs(values)),
        "true": as_float(true.subs(values)),
    }
    if diagonal_only:
        return ClaimResult(
            name,
            "jacobian",
            "partial",
            "holds on the diagonal of the Jacobian only (d y_i/d x_i); off the diagonal the "
            f"claim gives {example['claimed']:.6g} where the Jacobian is {example['true']:.6g}",
            example,
        )
    return ClaimResult(name, "jacobian", "refuted", "differs from the Jacobian", example)


def _failing_parameters(ctx: CheckContext, claimed: Any, true: Any) -> tuple[dict, Any, Any]:
    """The parameter set checked (the defaults, then the random one) where an entry of the
    claim differs from the Jacobian's, with both entries there."""
    sets = ctx.parameter_sets
    for values in sets:
        symbols = {ctx.activation.symbols[k]: v for k, v in values.items()}
        at = claimed.subs(symbols), true.subs(symbols)
        if not is_zero(at[0] - at[1]) or values is sets[-1]:
            return {k: as_float(v) for k, v in values.items()}, *at
    raise AssertionError("no parameter sets")  # parameter_sets always holds the defaults


def _jacobian_numeric(ctx: CheckContext, expression: Any) -> str:
    worst, count = math.inf, 0
    n = 3
    outputs = explicit_outputs(ctx.activation, n)
    inputs = sympy.symbols(f"x0:{n}", real=True)
    components = [sympy.lambdify(inputs, o, modules="mpmath") for o in outputs]
    for _ in range(3):
        point = [mpmath.mpf(ctx.rng.uniform(-3, 3)) for _ in range(n)]
        with mpmath.workdps(DIGITS + 30):
            ys = [f(*point) for f in components]
            for r in range(n):
                for c in range(n):

                    def along(t: Any, r: int = r, c: int = c, at: list = point) -> Any:
                        return components[r](*[t if m == c else v for m, v in enumerate(at)])

                    true = mpmath.diff(along, point[c], h=mpmath.mpf(10) ** -25)
                    claimed = expression.subs({I: r, J: c}).doit()
                    got = sympy.N(claimed.xreplace({Y_VEC[m]: ys[m] for m in range(n)}), DIGITS)
                    error = abs(mpmath.mpf(str(got)) - true) / max(abs(true), mpmath.mpf(1e-30))
                    worst = min(worst, -math.log10(max(float(error), 1e-60)))
                    count += 1
    return f"confirmed numerically to {min(worst, DIGITS):.0f} digits at {count} entries"
