"""SymPy functions that actcli adds to SymPy's own: sigmoid, softplus and index reductions.

sigmoid and softplus are kept as functions (not expanded to exp/log) so that derivatives stay in
the stable forms (softplus' = sigmoid, sigmoid' = sigmoid(u)*sigmoid(-u)) and numeric code can map
them to overflow-free implementations. `to_elementary` rewrites them, and log1p/expm1, into
exp/log for symbolic analysis (limits, solveset, simplify).
"""

from __future__ import annotations

import math

import mpmath
import sympy
from sympy.codegen.cfunctions import expm1, log1p
from sympy.functions.elementary.hyperbolic import HyperbolicFunction
from sympy.functions.elementary.trigonometric import TrigonometricFunction


class _PositiveOnTheReals(sympy.Function):
    """A function > 0 at every real argument, also where exp(u) underflows: left to SymPy, a
    low-precision evaluation found softplus(-800) = 0 (log(softplus(-800)) was zoo)."""

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return self.args[0].is_real or None

    _eval_is_extended_positive = _eval_is_positive

    def _eval_is_zero(self):
        return False if self.args[0].is_real else None


class sigmoid(_PositiveOnTheReals):
    """Logistic function 1/(1 + exp(-u))."""

    nargs = 1

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sympy.Rational(1, 2)
        if u is sympy.oo:
            return sympy.S.One
        if u is sympy.S.NegativeInfinity:
            return sympy.S.Zero

    def fdiff(self, argindex=1):
        u = self.args[0]
        return sigmoid(u) * sigmoid(-u)

    def _eval_rewrite_as_exp(self, u, **kwargs):
        return 1 / (1 + sympy.exp(-u))

    def _eval_evalf(self, prec):
        return self.rewrite(sympy.exp)._eval_evalf(prec)


class softplus(_PositiveOnTheReals):
    """Softplus log(1 + exp(u))."""

    nargs = 1

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sympy.log(2)
        if u is sympy.oo:
            return sympy.oo
        if u is sympy.S.NegativeInfinity:
            return sympy.S.Zero

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, u, **kwargs):
        return sympy.log(1 + sympy.exp(u))

    _eval_rewrite_as_log = _eval_rewrite_as_exp

    def _eval_evalf(self, prec):
        """log1p(exp(u)), or u + log1p(exp(-u)) for u > 0, in mpmath: SymPy's evalf of
        log(1 + exp(u)) rounds 1 + exp(u) to 1 (0 for u = -100000, not 3.6e-43430)."""
        u = self.args[0]._eval_evalf(prec)
        if u is None or not u.is_Float:  # symbolic or complex: SymPy's own evaluation
            return self.rewrite(sympy.exp)._eval_evalf(prec)
        with mpmath.workprec(prec + 10):
            v = u._to_mpmath(prec + 10)
            value = v + mpmath.log1p(mpmath.exp(-v)) if v > 0 else mpmath.log1p(mpmath.exp(v))
        return sympy.Float._new(value._mpf_, prec)


class erfc(sympy.erfc):
    """SymPy's erfc, but erfc(-u) is kept as written.

    SymPy rewrites erfc(-u) as 2 - erfc(u), which turns the stable form x/2*erfc(-x/sqrt(2)) of
    GELU back into the cancelling 1 + erf(...) form (0 instead of -7.6e-23 at x = -10).
    """

    @classmethod
    def eval(cls, arg):
        if arg.could_extract_minus_sign():
            return None
        return super().eval(arg)


class _Reduction(sympy.Function):
    """A reduction of an expression over the index `j` = 0..n-1 (args: expr, j, n)."""

    nargs = 3

    @property
    def free_symbols(self):
        body, index, length = self.args
        return (body.free_symbols - {index}) | length.free_symbols


class reduce_max(_Reduction):
    """max over j of the body: `max(EXPR, j)` in the grammar."""


class reduce_min(_Reduction):
    """min over j of the body: `min(EXPR, j)` in the grammar."""


class logsumexp(_Reduction):
    """log(sum over j of exp(body)): `logsumexp(EXPR, j)` in the grammar."""

    def _eval_rewrite_as_log(self, body, index, length, **kwargs):
        return sympy.log(sympy.Sum(sympy.exp(body), (index, 0, length - 1)))

    _eval_rewrite_as_exp = _eval_rewrite_as_log


def to_elementary(expr: sympy.Basic) -> sympy.Basic:
    """Rewrite actcli's own functions and log1p/expm1 into exp and log."""
    replacements = {
        sigmoid: lambda u: 1 / (1 + sympy.exp(-u)),
        softplus: lambda u: sympy.log(1 + sympy.exp(u)),
        log1p: lambda u: sympy.log(1 + u),
        expm1: lambda u: sympy.exp(u) - 1,
        logsumexp: lambda body, j, n: sympy.log(sympy.Sum(sympy.exp(body), (j, 0, n - 1))),
    }
    return expr.replace(
        lambda node: node.func in replacements,
        lambda node: replacements[node.func](*node.args),
    )


__all__ = [
    "beyond_solvers",
    "erfc",
    "expm1",
    "log1p",
    "logsumexp",
    "reduce_max",
    "reduce_min",
    "sigmoid",
    "softplus",
    "to_elementary",
]


LARGE_MULTIPLE = 1000  # in a trig/hyperbolic argument, above this SymPy's simplify explodes


def simplify(expression: sympy.Basic) -> sympy.Basic:
    """`sympy.simplify`, except on sin/cos/sinh/cosh/... of a large multiple (sin(10**8*x)),
    where its trig rewriting expands multinomially and takes gigabytes: unchanged there."""
    if _has_large_trig_multiple(expression):
        return expression
    return sympy.simplify(expression)


def _has_large_trig_multiple(expression: sympy.Basic) -> bool:
    kinds = (TrigonometricFunction, HyperbolicFunction)
    for function in sympy.sympify(expression).atoms(*kinds):
        for number in function.args[0].atoms(sympy.Rational):
            if max(abs(number.p), number.q) > LARGE_MULTIPLE:
                return True
    return False


MAX_SOLVE_DEGREE = 24  # above this, SymPy's solvers factor for seconds to minutes


def beyond_solvers(expression: sympy.Basic, symbol: sympy.Symbol) -> bool:
    """Whether SymPy's solve/solveset would factor a polynomial of degree > MAX_SOLVE_DEGREE.
    They rewrite exp(c*x) (c rational) as t**(L*c) with t = exp(x/L), L the common denominator,
    and x**q likewise with t = x**(1/L): swish's f' with beta = 1.702 holds exp(+-851*x/500),
    degree 1702 in exp(x/500), where solveset runs 42 s to give a ConditionSet, and
    x**(851/500) + x - 3 more than 100 s. One such term alone in x (exp(1.702*x) = 2) is
    inverted directly, in milliseconds."""
    exponents: list[sympy.Rational] = []
    powers: list[sympy.Rational] = []
    terms = set()
    for node in sympy.preorder_traversal(expression):
        if isinstance(node, sympy.exp) and node.has(symbol):
            terms.add(node)
            slope = node.args[0].diff(symbol)  # rational where the exponent is linear in x
            if slope.is_Rational:
                exponents.append(slope)
        elif isinstance(node, sympy.Pow) and node.exp.is_Rational and node.base.has(symbol):
            terms.add(node)
            powers.append(node.exp)
    if len(terms) == 1 and not expression.subs(terms.pop(), sympy.Dummy()).has(symbol):
        return False
    return max(_substitution_degree(exponents), _substitution_degree(powers)) > MAX_SOLVE_DEGREE


def _substitution_degree(rationals: list[sympy.Rational]) -> int:
    """max |r|*L over the rationals, L their common denominator (0 for none)."""
    common = math.lcm(*(r.q for r in rationals)) if rationals else 1
    return max((abs(r.p) * (common // r.q) for r in rationals), default=0)
