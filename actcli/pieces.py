"""Piecewise structure: where a definition switches branches, and which branch holds where.

Everything that reasons piece by piece (derivatives, smoothness, properties, checks, tables,
plots) starts here: max/min/abs/sign/heaviside rewritten as Piecewise, the breakpoints (exact,
possibly in terms of parameters, ordered at the parameters' values), the open intervals between
them with a probe point inside each, and the branch active at a probe. The functions take any
bound activation (an object with `name`, `symbols` and `values`, see `Bound`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any, Protocol

import numpy as np
import sympy

from actcli.compiler import compile_scalar
from actcli.deferred import scipy_optimize
from actcli.errors import AnalysisError
from actcli.expr import X


class Bound(Protocol):
    """What the piecewise machinery needs of an activation: its parameters' symbols and values."""

    name: str
    symbols: Mapping[str, Any]
    values: Mapping[str, Any]

    def symbolic(self) -> Any: ...


def to_piecewise(expression: sympy.Expr) -> sympy.Expr:
    """Rewrite max/min/abs/sign/heaviside as Piecewise and fold nested Piecewise.

    Differentiating the folded form never produces DiracDelta or a Heaviside(0) convention, and
    its conditions are where the breakpoints are.
    """
    kinds = (sympy.Max, sympy.Min, sympy.Abs, sympy.sign, sympy.Heaviside)
    if not expression.has(*kinds):
        return expression
    rewritten = expression.replace(
        lambda node: isinstance(node, kinds), lambda node: node.rewrite(sympy.Piecewise)
    )
    return sympy.piecewise_fold(rewritten)


def with_values(activation: Bound, symbolic: Collection[str] = ()) -> sympy.Expr:
    """The definition with every parameter but those in `symbolic` given its value."""
    values = {activation.symbols[k]: v for k, v in activation.values.items() if k not in symbolic}
    return activation.symbolic().subs(values)


def default_values(activation: Bound) -> dict[Any, Any]:
    """Parameter symbol -> value used to order breakpoints and pick probe points."""
    return {activation.symbols[name]: v for name, v in activation.values.items()}


def intervals(definition: sympy.Expr, activation: Bound) -> list[tuple[Any, Any, float]]:
    """(lower, upper, probe) for each interval between breakpoints, left to right."""
    points = symbolic_breakpoints(definition, activation)
    edges = [-sympy.oo, *points, sympy.oo]
    return [
        (lower, upper, probe_between(lower, upper, activation))
        for lower, upper in zip(edges, edges[1:], strict=False)
    ]


def symbolic_breakpoints(definition: sympy.Expr, activation: Bound) -> list[Any]:
    """x where a Piecewise condition switches, possibly in terms of parameters, sorted by value
    at the parameters' values."""
    found: dict[float, Any] = {}
    values = default_values(activation)
    for piecewise in definition.atoms(sympy.Piecewise):
        for _, condition in piecewise.args:
            for relation in condition.atoms(sympy.core.relational.Relational):
                boundary = relation.lhs - relation.rhs
                if X not in boundary.free_symbols:
                    continue
                try:
                    solutions = sympy.solve(boundary, X)
                except NotImplementedError:
                    solutions = numeric_roots(boundary.subs(values))
                for solution in solutions:
                    number = complex(sympy.N(solution.subs(values)))
                    if abs(number.imag) < 1e-12:
                        found.setdefault(round(number.real, 12), sympy.simplify(solution))
    return [found[key] for key in sorted(found)]


def numeric_roots(expression: Any, low: float = -100.0, high: float = 100.0) -> list[Any]:
    """Real roots of an expression in x where SymPy's solve gives up: sign changes on a grid,
    refined by bisection (Brent). They come back as SymPy Floats, which marks them numeric."""
    function = compile_scalar(expression)
    brentq = scipy_optimize().brentq
    grid = np.linspace(low, high, 200001)
    values = function(grid)
    roots = []
    for a, b, fa, fb in zip(grid, grid[1:], values, values[1:], strict=False):
        if fa == 0:
            roots.append(sympy.Float(float(a), 17))
        elif np.isfinite(fa) and np.isfinite(fb) and fa * fb < 0:
            root = brentq(lambda t: float(function(np.array([t]))[0]), a, b, xtol=1e-15)
            roots.append(sympy.Float(root, 17))
    return roots


def probe_between(lower: Any, upper: Any, activation: Bound) -> float:
    values = default_values(activation)
    low = -math.inf if lower == -sympy.oo else float(sympy.N(sympy.sympify(lower).subs(values)))
    high = math.inf if upper == sympy.oo else float(sympy.N(sympy.sympify(upper).subs(values)))
    if math.isinf(low) and math.isinf(high):
        return 0.5
    if math.isinf(low):
        return high - 1.0
    if math.isinf(high):
        return low + 1.0
    return (low + high) / 2


def active_branch_at(expression: sympy.Expr, activation: Bound, probe: float) -> sympy.Expr:
    """Every Piecewise replaced by its branch that holds at x = probe (parameters at their
    values for deciding, kept symbolic in the result)."""
    values = default_values(activation)
    point = sympy.Float(probe, 30)

    def choose(piecewise: sympy.Piecewise) -> sympy.Expr:
        for value, condition in piecewise.args:
            if bool(condition.subs(values).subs(X, point)):
                return value
        raise AnalysisError(f"no piece of {activation.name} covers x = {probe}")

    return expression.replace(lambda node: isinstance(node, sympy.Piecewise), choose)
