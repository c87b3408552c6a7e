"""Derivatives as a person would write them: factored within a budget, sigmoid and softplus
recognised where they make a result shorter, no functions the input did not have.

The expression is read as a rational function of symbols: sigmoid(u) and sigmoid(-u) become s
and 1 - s, exp(k*u) becomes (s/(1 - s))**k where some sigmoid(u) is there (and is tried as such,
s = sigmoid(u), where none is), and every other function application becomes a symbol of its
own. SymPy's polynomial factorisation of that is quick, and the symbols go back, a factor 1 - s
as sigmoid(-u) where that is shorter: sigmoid's derivative comes out as sigmoid(x)*sigmoid(-x),
mish'' in tanh(softplus(x)) and sigmoid(x). `sympy.simplify`, whose trigsimp over a whole
expression cost seconds (`derive mish --order 3` took 4.7 s), runs only when asked
(`thorough`, for the one-off forms in y and Jacobians) and on small expressions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import sympy
from sympy.core.mul import _keep_coeff
from sympy.polys.polyerrors import PolynomialError

from actcli.functions import sigmoid, simplify, softplus, to_elementary

SIMPLIFY_BUDGET = 40  # count_ops above which `thorough` does not run sympy.simplify
FACTOR_BUDGET = 150  # count_ops above which results are left as differentiated
EXPAND_TERMS = 40  # a factored form whose powers of sums would expand to more is not expanded
MAX_POWER = 6  # exp(k*u) is read as exp(u)**k for integers |k| up to this


@lru_cache(maxsize=1024)
def tidy(expression: Any, thorough: bool = False) -> Any:
    """A form a person would write: factored, sigmoid(u) recognised where it makes the result
    shorter, and no hyperbolic or other functions the input did not have (memoised: the same
    derivative is tidied once per process)."""
    expression = sympy.sympify(expression)
    if not expression.free_symbols:
        return sympy.nsimplify(expression) if expression.is_Float else simplify(expression)
    allowed = _function_kinds(expression) | {"sigmoid", "softplus"}
    recognised = _with_softplus(expression)
    candidates = [expression, recognised]
    if sympy.count_ops(recognised) <= FACTOR_BUDGET:
        sources = (recognised, to_elementary(expression)) if thorough else (recognised,)
        for source in dict.fromkeys(sources):
            candidates += _factored_forms(source)
    if thorough and sympy.count_ops(expression) <= SIMPLIFY_BUDGET:
        try:
            for source in (expression, to_elementary(expression), expression.rewrite(sympy.exp)):
                candidates.append(simplify(source))
        except (TypeError, ValueError, RecursionError, NotImplementedError):
            pass

    def cost(candidate: Any) -> tuple[float, int, int, int]:
        foreign = len(_function_kinds(candidate) - allowed)
        sums = sum(1 for node in sympy.preorder_traversal(candidate) if node.is_Add)
        terms = len(sympy.Add.make_args(candidate))
        return (_reading_cost(candidate) + 4 * foreign, sums, terms, len(str(candidate)))

    return min(dict.fromkeys(_absorb_sign(c) for c in candidates), key=cost)


def _reading_cost(expression: Any) -> float:
    """Operations, a minus sign free, plus a quarter per digit of a long number beyond three
    (719795241*x**5 reads worse than 8943*x**3/200000 inside a tanh)."""
    operations = sympy.count_ops(expression, visual=True)
    weights = {name: 0 if name.name == "NEG" else 1 for name in operations.free_symbols}
    digits = 0
    for number in expression.atoms(sympy.Rational):
        written = len(str(abs(number.p))) + (len(str(number.q)) if number.q != 1 else 0)
        digits += max(0, written - 3)
    return int(operations.subs(weights)) + digits / 4


def _absorb_sign(expression: Any) -> Any:
    """Sums with a negative constant term turned round where no minus sign is left over:
    -(s - 1)*s -> s*(1 - s), (t**2 - 1)*(x*s - 2) -> (1 - t**2)*(2 - x*s), and any such
    factor squared, (x - 1)**(-2) -> (1 - x)**(-2); x*(x**2 - 4) stays."""
    if not (expression.is_Mul or expression.is_Pow):
        return expression
    coefficient, rest = expression.as_coeff_Mul()
    factors = list(sympy.Mul.make_args(rest))

    def negative(factor: Any) -> bool:
        base, power = factor.as_base_exp()
        return base.is_Add and power.is_Integer and base.as_coeff_Add()[0] < 0

    def minus_signs(terms: Any) -> int:
        return sum(1 for term in sympy.Add.make_args(terms) if term.could_extract_minus_sign())

    def takes_minus(factor: Any) -> bool:
        base, power = factor.as_base_exp()
        return base.is_Add and power.is_Integer and minus_signs(-base) <= minus_signs(base)

    odd = [i for i, f in enumerate(factors) if negative(f) and f.as_base_exp()[1] % 2]
    flip = {i for i, f in enumerate(factors) if negative(f) and not f.as_base_exp()[1] % 2}
    if coefficient < 0:
        odd_takers = [i for i, f in enumerate(factors) if takes_minus(f) and f.as_base_exp()[1] % 2]
        taker = odd[0] if odd else (odd_takers[0] if odd_takers else None)
        if taker is not None:
            flip.add(taker)
            odd = [i for i in odd if i != taker]
            coefficient = -coefficient  # the minus taken up by that factor
    flip |= set(odd[: len(odd) // 2 * 2])
    if not flip:
        return expression
    for i in flip:
        base, power = factors[i].as_base_exp()
        factors[i] = sympy.Pow(-base, power)
    if coefficient != 1:
        factors.insert(0, coefficient)
    return sympy.Mul(*factors, evaluate=False)


def _function_kinds(expression: Any) -> set[str]:
    return {type(f).__name__ for f in expression.atoms(sympy.Function)}


def _with_softplus(expression: Any) -> Any:
    """log(1 + exp(u)) -> softplus(u); exp(u)/(1 + exp(u)), 1/(1 + exp(-u)) and
    exp(u)*sigmoid(-u)... -> sigmoid(u), matched on the structure (SymPy's Wild patterns also
    matched sigmoid(x)**2 as exp(u)*sigmoid(-u) with u = 2x)."""

    def one_plus_exp(node: Any) -> Any:
        """u when node is 1 + exp(u), else None."""
        if node.is_Add and len(node.args) == 2 and sympy.S.One in node.args:
            (other,) = (a for a in node.args if a is not sympy.S.One)
            if isinstance(other, sympy.exp):
                return other.args[0]
        return None

    def rewrite(node: Any) -> Any:
        if isinstance(node, sympy.log) and one_plus_exp(node.args[0]) is not None:
            return softplus(one_plus_exp(node.args[0]))
        if node.is_Pow and node.exp == -1 and one_plus_exp(node.base) is not None:
            return sigmoid(-one_plus_exp(node.base))
        if node.is_Mul:
            factors = list(node.args)
            for f in factors:
                if isinstance(f, sympy.exp) and sigmoid(-f.args[0]) in factors:
                    rest = [g for g in factors if g is not f and g != sigmoid(-f.args[0])]
                    return sympy.Mul(sigmoid(f.args[0]), *rest)
        return node

    return expression.replace(lambda node: not node.is_Atom, rewrite)


# -- factored forms: the expression as a rational function of symbols -----------------------


def _factored_forms(expression: Any) -> list[Any]:
    """The expression factored (and expanded) with its sigmoids as s, 1 - s; once more for
    each exponential exp(u) without a sigmoid(u), read as s/(1 - s) with s = sigmoid(u)."""
    groups = _sigmoid_groups(expression)
    variants = [groups]
    for atom in expression.atoms(sympy.exp):
        u, _ = _split(atom.args[0])
        if u.free_symbols and all(u not in g for g in variants):
            variants.append({**groups, u: sympy.Dummy("s")})
    forms = []
    for sigmoids in variants:
        others: dict[Any, Any] = {}
        rational = _abstract(expression, sigmoids, others)
        try:
            shapes = [sympy.factor(rational)]
        except (PolynomialError, TypeError, ValueError, RecursionError, NotImplementedError):
            continue
        if _expanded_terms(shapes[0]) <= EXPAND_TERMS:
            shapes.append(sympy.expand(shapes[0]))
        back = {symbol: node for node, symbol in others.items()}
        for shape in shapes:
            forms.append(_concrete(shape, sigmoids, back, lambda factor: factor))
            if sigmoids:
                forms.append(_concrete(shape, sigmoids, back, _shorter_in_minus))
    return forms


def _expanded_terms(expression: Any) -> int:
    """An estimate of the terms `expand` would write: the largest multinomial count of a power
    of a sum ((a + b + c + d)**11 has 364 terms: expanding it took seconds, then minutes)."""
    largest = 1
    for power in expression.atoms(sympy.Pow):
        if power.base.is_Add and power.exp.is_Integer and power.exp > 1:
            n, k = int(power.exp), len(power.base.args)
            largest = max(largest, math.comb(n + k - 1, k - 1))
    return largest


def _sigmoid_groups(expression: Any) -> dict[Any, Any]:
    """{u: symbol} for each sigmoid(u) or sigmoid(-u), u the argument without a leading minus."""
    groups: dict[Any, Any] = {}
    for atom in expression.atoms(sigmoid):
        u = atom.args[0]
        groups.setdefault(-u if u.could_extract_minus_sign() else u, sympy.Dummy("s"))
    return groups


def _split(a: Any) -> tuple[Any, int]:
    """exp(a) = exp(u)**k: (u, k) with a small integer k and u without a leading minus."""
    coefficient, u = a.as_coeff_Mul()
    k = 1
    if coefficient.is_Integer and 0 < abs(coefficient) <= MAX_POWER:
        k = int(coefficient)
    else:
        u = a
    return (-u, -k) if u.could_extract_minus_sign() else (u, k)


def _abstract(node: Any, sigmoids: dict[Any, Any], others: dict[Any, Any]) -> Any:
    """The expression over symbols: sigmoid(+-u) -> s or 1 - s, exp(k*u) -> (s/(1 - s))**k
    or e**k, any other non-arithmetic node with free symbols -> a symbol of its own (in
    `others`), so that factor never sees exp(8943*x**3/200000) as a power 8943."""
    if isinstance(node, sigmoid):
        u = node.args[0]
        return sigmoids[u] if u in sigmoids else 1 - sigmoids[-u]
    if isinstance(node, sympy.exp) and node.free_symbols:
        u, k = _split(node.args[0])
        if u in sigmoids:
            return (sigmoids[u] / (1 - sigmoids[u])) ** k
        return others.setdefault(sympy.exp(u), sympy.Dummy("e")) ** k
    if node.is_Add or node.is_Mul or (node.is_Pow and not isinstance(node, sympy.exp)):
        return node.func(*(_abstract(arg, sigmoids, others) for arg in node.args))
    if node.is_Atom or not node.free_symbols:
        return node
    return others.setdefault(node, sympy.Dummy("f"))


def _concrete(
    shape: Any, sigmoids: dict[Any, Any], back: dict[Any, Any], choose: Callable[[Any], Any]
) -> Any:
    """The symbols replaced back, factor by factor (`choose` picks a factor's writing), with a
    difference of squares kept whole: (t - 1)*(t + 1) -> t**2 - 1."""
    coefficient, rest = shape.as_coeff_Mul()
    plus = {s: sigmoid(u) for u, s in sigmoids.items()}
    factors = []
    for factor in _join_conjugates(list(sympy.Mul.make_args(rest))):
        base, power = factor.as_base_exp()
        base = choose(base.xreplace(plus)) if sigmoids else base
        factors.append(base.xreplace(back) ** power)
    more, product = sympy.Mul(*factors).as_coeff_Mul()
    return _keep_coeff(coefficient * more, product)


def _shorter_in_minus(factor: Any) -> Any:
    """A factor in sigmoid(u), or in sigmoid(-u) = 1 - sigmoid(u), whichever has fewer terms
    (sigmoid(x) - 1 -> -sigmoid(-x))."""
    minus = sympy.expand(
        factor.replace(
            lambda n: isinstance(n, sigmoid) and not n.args[0].could_extract_minus_sign(),
            lambda n: 1 - sigmoid(-n.args[0]),
        )
    )
    return min((factor, minus), key=lambda f: (len(sympy.Add.make_args(f)), sympy.count_ops(f)))


def _join_conjugates(factors: list[Any]) -> list[Any]:
    """(a + c)**k and (a - c)**k, a and c single terms, joined into (a**2 - c**2)**k."""
    for i, first in enumerate(factors):
        base, power = first.as_base_exp()
        if not (base.is_Add and len(base.args) == 2):
            continue
        for j in range(i + 1, len(factors)):
            other, other_power = factors[j].as_base_exp()
            if other_power != power or not (other.is_Add and len(other.args) == 2):
                continue
            a, c = (base + other) / 2, (base - other) / 2
            if a != 0 and c != 0 and not a.is_Add and not c.is_Add:
                joined = sympy.expand(a**2 - c**2) ** power
                rest = [f for k, f in enumerate(factors) if k not in (i, j)]
                return _join_conjugates([joined, *rest])
    return factors
