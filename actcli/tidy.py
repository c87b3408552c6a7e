"""Derivatives as a person would write them: simplified within a budget, sigmoid and softplus
recognised where they make a result shorter, no functions the input did not have."""

from __future__ import annotations

from typing import Any

import sympy

from actcli.functions import sigmoid, simplify, softplus, to_elementary

SIMPLIFY_BUDGET = 40  # count_ops above which results are left as differentiated


def tidy(expression: Any) -> Any:
    """A form a person would write: simplified, sigmoid(u) recognised where it makes the result
    shorter, and no hyperbolic or other functions the input did not have."""
    expression = sympy.sympify(expression)
    if not expression.free_symbols:
        return sympy.nsimplify(expression) if expression.is_Float else simplify(expression)
    allowed = _function_kinds(expression) | {"sigmoid", "softplus"}
    recognised = _with_softplus(expression)
    candidates = [expression, recognised]
    if sympy.count_ops(expression) <= SIMPLIFY_BUDGET:  # simplify is slow on big expressions
        try:
            simple = simplify(expression)
            elementary = simplify(to_elementary(expression))
            exponential = simplify(expression.rewrite(sympy.exp))
            candidates += [simple, elementary, exponential, sympy.factor(simple)]
            candidates += [_with_sigmoid(c) for c in (recognised, elementary, exponential)]
        except (TypeError, ValueError, RecursionError, NotImplementedError):
            pass

    def cost(candidate: Any) -> tuple[int, int]:
        foreign = len(_function_kinds(candidate) - allowed)
        return (sympy.count_ops(candidate) + 4 * foreign, len(str(candidate)))

    return _absorb_sign(min(candidates, key=cost))


def _absorb_sign(expression: Any) -> Any:
    """-(s - 1)*s -> s*(1 - s): move a leading minus into a two-term factor."""
    if not (expression.is_Mul and expression.could_extract_minus_sign()):
        return expression
    for factor in expression.args:
        if factor.is_Add and len(factor.args) == 2:
            rest = sympy.Mul(*(a for a in expression.args if a is not factor))
            return sympy.Mul(-rest, -factor, evaluate=False)
    return expression


def _function_kinds(expression: Any) -> set[str]:
    return {type(f).__name__ for f in expression.atoms(sympy.Function)}


def _with_softplus(expression: Any) -> Any:
    """log(1 + exp(u)) -> softplus(u), exp(u)/(exp(u) + 1) and 1/(1 + exp(-u)) -> sigmoid(u)."""
    u = sympy.Wild("u")
    expression = expression.replace(sympy.log(1 + sympy.exp(u)), softplus(u))
    expression = expression.replace(sympy.exp(u) / (sympy.exp(u) + 1), sigmoid(u))
    expression = expression.replace(1 / (1 + sympy.exp(u)), sigmoid(-u))
    rest = sympy.Wild("rest")
    return expression.replace(rest * sympy.exp(u) * sigmoid(-u), rest * sigmoid(u))


def _with_sigmoid(expression: Any) -> Any:
    """exp(a) written through s = sigmoid(a) (exp(a) = s/(1 - s)) or s = sigmoid(-a), when one
    of them makes the expression shorter."""
    best = expression
    for atom in expression.atoms(sympy.exp):
        a = atom.args[0]
        s = sympy.Dummy("s", positive=True)
        for u, replacement in ((a, s / (1 - s)), (-a, (1 - s) / s)):
            replaced = expression.subs(atom, replacement)
            if replaced.has(sympy.exp) or sympy.count_ops(replaced) > SIMPLIFY_BUDGET:
                continue
            candidate = sympy.factor(simplify(replaced)).subs(s, sigmoid(u))
            if sympy.count_ops(candidate) < sympy.count_ops(best):
                best = candidate
    return best
