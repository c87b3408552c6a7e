"""Claims about vector activations: the Jacobian (proven for n = 1..4) and bounds (numeric
evidence only, so at best `unproven`)."""

from __future__ import annotations

import math
from typing import Any

import mpmath
import sympy

from actcli.activation import build_expression
from actcli.check.context import (
    DIGITS,
    CheckContext,
    as_float,
)
from actcli.check.result import ClaimResult
from actcli.expr import Y_VEC, I, J
from actcli.jacobian import explicit_outputs
from actcli.proofs import is_zero
from actcli.properties import SCALES, vector_extremes


def vector_bound(ctx: CheckContext, key: str) -> ClaimResult:
    """Seeded random vectors at scales 1 to 1000 (`properties.vector_extremes`): an output
    that grows with the scale is evidence of no bound. Evidence is no proof, so agreement
    is `unproven` and disagreement `refuted` with the input vector."""
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
    counterexample = {"x": vector, "value": value, "claimed": claimed, "true": found}
    return ClaimResult(ctx.spec.name, key, "refuted", detail, counterexample)


def jacobian_claim(ctx: CheckContext) -> ClaimResult:
    claim = ctx.spec.claims["jacobian"].value
    expression = ctx.activation.substitute(
        build_expression(claim, ctx.spec, ctx.activation.symbols, ("x", "y"))
    )
    diagonal_only = True
    failure = None
    for n in (1, 2, 3, 4):
        outputs = explicit_outputs(ctx.activation, n)
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
        agreement = _jacobian_numeric(ctx, expression)
        return ClaimResult(
            name,
            "jacobian",
            "holds",
            f"proven symbolically for n = 1, 2, 3, 4; {agreement}",
        )
    n, r, c, claimed, true, inputs = failure
    point = [round(ctx.rng.uniform(-2, 2), 3) for _ in range(n)]
    values = dict(zip(inputs, point, strict=True))
    example = {
        "n": n,
        "row": r,
        "column": c,
        "x": point,
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
