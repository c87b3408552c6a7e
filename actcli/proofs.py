"""Symbolic proof that an expression is identically zero, within a budget.

The workhorse of every "holds": a claim minus the truth, two pieces meeting at a breakpoint,
a jump. A numeric screen at 60 digits comes first, so a difference that is plainly non-zero
costs no simplification (which on large expressions takes minutes).
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy

from actcli.functions import simplify, to_elementary

PROOF_BUDGET = 400  # count_ops beyond which no symbolic proof is attempted


def is_zero(expression: Any) -> bool:
    """Symbolic proof that an expression is 0 (False when SymPy cannot show it in budget).

    A numeric screen at three points (and parameter values) comes first: a difference that is
    plainly non-zero costs no simplification, which on large expressions takes minutes.
    """

    expression = sympy.sympify(expression)
    if expression == 0:
        return True
    if not numerically_zero(expression):
        return False
    elementary = to_elementary(expression)
    attempts = (
        lambda: sympy.expand(elementary),
        lambda: sympy.cancel(sympy.together(elementary.rewrite(sympy.exp))),
        lambda: simplify(elementary.rewrite(sympy.erf)),
        lambda: simplify(elementary),
        lambda: simplify(elementary.rewrite(sympy.exp)),
    )
    for attempt in attempts:
        if sympy.count_ops(elementary) > PROOF_BUDGET:
            return False
        try:
            if attempt() == 0:
                return True
        except (TypeError, ValueError, RecursionError, NotImplementedError):
            continue
    return False


def numerically_zero(expression: Any) -> bool:
    """|expression| < 1e-40 at three fixed points, free symbols set to fixed positive values
    (parameters of the built-ins are positive or real; a point where a term is undefined
    defers to the symbolic proof)."""

    symbols = sorted(expression.free_symbols, key=str)
    function = sympy.lambdify(symbols, to_elementary(expression), modules="mpmath")
    for seed in (0.3141, 0.7071, 1.4142):
        values = [mpmath.mpf(seed) * (k + 1) ** 0.5 for k in range(len(symbols))]
        try:
            with mpmath.workdps(60):
                value = function(*values)
                if abs(value) > mpmath.mpf(10) ** -40 * (1 + abs(mpmath.mpf(seed))):
                    return False
        except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
            return True
    return True
