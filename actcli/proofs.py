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
    elementary = _lambert_exponentials(to_elementary(expression))
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


def _lambert_exponentials(expression: Any) -> Any:
    """exp(c + W_k(z)) as exp(c)*z/W_k(z) (z = W*e**W defines W, on every branch), which SymPy
    does not apply: W(1)*exp(W(1)) - 1 and exp(-W(1)) - W(1), both 0, were not proven, and a
    breakpoint solved as a LambertW had the wrong value and a jump that is none."""

    def split(node: Any) -> Any:
        terms = sympy.Add.make_args(node.args[0])
        lamberts = [t for t in terms if isinstance(t, sympy.LambertW)]
        negated = [t for t in terms if isinstance(-t, sympy.LambertW)]
        if len(lamberts) + len(negated) != 1:
            return node
        w = (lamberts or [-negated[0]])[0]
        rest = sympy.exp(sympy.Add(*[t for t in terms if t is not w and t != -w]))
        ratio = w.args[0] / w  # exp(W(z)) = z/W(z)
        return rest * (ratio if lamberts else 1 / ratio)

    if not expression.has(sympy.LambertW):
        return expression
    return expression.replace(lambda n: isinstance(n, sympy.exp) and n.has(sympy.LambertW), split)


def numerically_zero(expression: Any) -> bool:
    """|expression| < 1e-40 at three fixed points, free symbols set to fixed positive values
    (parameters of the built-ins are positive or real; a point where a term is undefined
    defers to the symbolic proof)."""

    symbols = sorted(expression.free_symbols, key=str)
    elementary = to_elementary(expression).replace(  # mpmath has no name for a CRootOf
        lambda n: isinstance(n, sympy.CRootOf) and n.is_number, lambda n: n.evalf(70)
    )
    function = sympy.lambdify(symbols, elementary, modules="mpmath")
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
