"""Jacobians of vector activations, in index form and as explicit n x n matrices.

The definition is a formula for component i in `x[i]` and reductions over j (sum, max, min,
logsumexp). By the chain rule, with each reduction R treated as a variable,

    d y_i / d x_k = dF/dx[i] * delta(i, k) + sum over R of dF/dR * dR/dx_k,

where dR/dx_k is the reduction's body differentiated at x[k] (for logsumexp, softmax_k times
it; for max and min, 1 at the arg-max or arg-min input and 0 elsewhere, undefined at ties).
Where y_i = F(x[i], R) can be solved for x[i], the result is also written in the outputs y.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from actcli.activation import Activation
from actcli.errors import AnalysisError, UsageError
from actcli.expr import X_VEC, Y_VEC, I, J, N
from actcli.functions import logsumexp, reduce_max, reduce_min, simplify
from actcli.tidy import tidy

MAX_EXPLICIT_N = 8


@dataclass(frozen=True)
class Jacobian:
    """d y_i / d x_j: `in_x` in the inputs, `in_y` in the outputs where that form exists."""

    in_x: Any
    in_y: Any
    note: str
    matrix: Any = None  # explicit n x n SymPy Matrix, when asked for


def jacobian(activation: Activation, n: int | None = None, definition: Any = None) -> Jacobian:
    """The Jacobian of a vector activation, optionally for length n: of `definition` (by
    default the activation's, parameters substituted; derive keeps those not given as
    symbols, as for scalars: softmax of x/t was shown at t = 1 without saying so)."""

    if n is not None and not 1 <= n <= MAX_EXPLICIT_N:
        raise UsageError(f"--n {n}: give 1 to {MAX_EXPLICIT_N}")
    expression = activation.expression if definition is None else definition
    k = sympy.Symbol("k", integer=True, nonnegative=True)
    reductions = sorted(expression.atoms(sympy.Sum, reduce_max, reduce_min, logsumexp), key=str)
    placeholders = [sympy.Dummy(f"R{m}") for m in range(len(reductions))]
    outer = expression.xreplace(dict(zip(reductions, placeholders, strict=True)))
    if outer.has(X_VEC[J]):
        raise AnalysisError("x[j] appears outside a reduction")
    result = sympy.diff(outer, X_VEC[I]) * sympy.KroneckerDelta(I, k)
    note = ""
    for reduction, placeholder in zip(reductions, placeholders, strict=True):
        partial = sympy.diff(outer, placeholder)
        if partial == 0:
            continue
        result += partial * _reduction_derivative(reduction, placeholder, k)
        if isinstance(reduction, reduce_max | reduce_min):
            which = "max" if isinstance(reduction, reduce_max) else "min"
            note = (
                f"is_arg{which}(k) is 1 for the arg-{which} input, 0 for the others, "
                "and undefined at ties"
            )
    in_x = tidy(result.xreplace(dict(zip(placeholders, reductions, strict=True))), thorough=True)
    in_y = _in_outputs(outer, result, placeholders, k)
    rename = {k: J} if not reductions or in_y is not None else {}
    matrix = _explicit(activation, n, expression) if n is not None else None
    return Jacobian(
        in_x.xreplace(rename) if not in_x.has(sympy.Sum) else in_x,
        None if in_y is None else in_y.xreplace({k: J}),
        note,
        matrix,
    )


def _reduction_derivative(reduction: Any, placeholder: Any, k: Any) -> Any:
    """d R / d x_k for one reduction R over j (its body's x[j] read at x[k])."""

    body, index = (
        reduction.args[0],
        reduction.args[1] if not isinstance(reduction, sympy.Sum) else reduction.limits[0][0],
    )
    at_k = body.xreplace({X_VEC[index]: X_VEC[k]}) if index == J else body
    slope = sympy.diff(at_k, X_VEC[k])
    if isinstance(reduction, sympy.Sum):
        return slope
    if isinstance(reduction, logsumexp):
        return sympy.exp(at_k - placeholder) * slope
    if isinstance(reduction, reduce_max | reduce_min):
        which = "argmax" if isinstance(reduction, reduce_max) else "argmin"
        return sympy.Function(f"is_{which}")(k) * slope
    raise AnalysisError(f"cannot differentiate {reduction}")


def _in_outputs(outer: Any, result: Any, placeholders: list[Any], k: Any) -> Any:
    """The Jacobian in y[i], y[k], if y_i = F(x[i], R) can be solved for x[i]."""

    if not outer.has(X_VEC[I]):
        return None
    try:
        solutions = sympy.solve(sympy.Eq(Y_VEC[I], outer), X_VEC[I])
    except (NotImplementedError, ValueError):
        return None
    if len(solutions) != 1:
        return None
    inverse_i = solutions[0]
    inverse_k = inverse_i.xreplace({Y_VEC[I]: Y_VEC[k]})
    replaced = result.xreplace({X_VEC[I]: inverse_i}).xreplace({X_VEC[k]: inverse_k})
    simplified = simplify(replaced)
    if simplified.has(*placeholders) or simplified.has(X_VEC):
        return None
    return tidy(simplified, thorough=True)


def _explicit(activation: Activation, n: int, definition: Any) -> Any:
    """The n x n matrix d y_r / d x_c of the definition with n fixed (symbols x0, x1, ...)."""

    outputs = explicit_outputs(activation, n, definition)
    inputs = sympy.symbols(f"x0:{n}", real=True)
    matrix = sympy.Matrix([[simplify(sympy.diff(out, var)) for var in inputs] for out in outputs])
    # d max/dx is Heaviside(x_c - max(others)): its value at 0 (a tie) is a convention, not a
    # derivative; a tie has none.
    return matrix.replace(
        lambda node: isinstance(node, sympy.Heaviside),
        lambda node: sympy.Piecewise(
            (0, node.args[0] < 0), (1, node.args[0] > 0), (sympy.nan, True)
        ),
    )


def explicit_outputs(activation: Activation, n: int, definition: Any = None) -> list[Any]:
    """The components y_0..y_{n-1} (one for R^n -> R) as expressions in symbols x0..x{n-1},
    of `definition` (by default the activation's, its parameters at their values)."""

    inputs = sympy.symbols(f"x0:{n}", real=True)
    expression = (activation.expression if definition is None else definition).subs(N, n)

    def expand(node: Any) -> Any:
        body, index = node.args[0], node.args[1]
        terms = [body.xreplace({index: m}) for m in range(n)]
        if isinstance(node, reduce_max):
            return sympy.Max(*terms)
        if isinstance(node, reduce_min):
            return sympy.Min(*terms)
        return sympy.log(sum(sympy.exp(t) for t in terms))

    expression = expression.replace(
        lambda node: isinstance(node, reduce_max | reduce_min | logsumexp), expand
    ).doit()
    components = (
        [expression.xreplace({I: r}) for r in range(n)] if expression.has(I) else [expression]
    )
    replace = {X_VEC[m]: inputs[m] for m in range(n)}
    return [c.xreplace(replace) for c in components]
