"""Exact rewrites that make a user's expression evaluate accurately in float64.

An expression typed as the maths is written (`exp(x) - 1`, `log(1 + exp(x))`,
`(x + sqrt(x**2 + 4))/2`) loses digits to cancellation or overflows when compiled as it stands.
`rewrite` replaces such patterns, bottom-up, by equal expressions without the problem. Every rule
is an identity of real functions (the tests prove each with SymPy); a rule that gives a
Piecewise gives equal pieces, chosen so that each is used where it does not cancel or overflow:

- `c*exp(u) - c` -> `c*expm1(u)`, and back, `c*expm1(u) + c` -> `c*exp(u)` (the sum cancels as
  u -> -oo: `together(x + x/expm1(x))`); `c*exp(u) - c*exp(v)` -> `-c*exp(u)*expm1(v - u)`
  where u >= v, else `c*exp(v)*expm1(u - v)`
- `c + c*erf(u)` -> `c*erfc(-u)`, `c - c*erf(u)` -> `c*erfc(u)`
- `c - c*tanh(u)**2` -> `4*c*sigmoid(2u)*sigmoid(-2u)`, `c + c*tanh(u)` -> `2*c*sigmoid(2u)`,
  `c - c*tanh(u)` -> `2*c*sigmoid(-2u)`, `c - c*sigmoid(u)` -> `c*sigmoid(-u)`,
  `c - c*cos(u)` -> `2*c*sin(u/2)**2`, `c*cosh(u) - c` -> `2*c*sinh(u/2)**2`
- `log(1 + u)` -> `log1p(u)`; `log1p(a*exp(u))` (a > 0) -> `softplus(u + log(a))`;
  `log(sigmoid(u))` -> `-softplus(-u)`; `c*log(A) - q*c*log(B)` -> `c*log1p((A - B**q)/B**q)`
  where A - B**q cancels (`log(1 + x**2) - 2*log(|x|)` is `log1p(1/x**2)`);
  `c*softplus(u) - c*u` -> `c*softplus(-u)`;
  `log(cosh(u))` -> `|u| + softplus(-2|u|) - log(2)` (one piece per sign of u);
  `log(tanh(u))` -> `log1p(-2*sigmoid(-2u))` where u >= 1; `c*sigmoid(u) - c*sigmoid(v)` ->
  `c*(sigmoid(-v) - sigmoid(-u))` where u + v > 0 (tanh as 2*sigmoid(2u) - 1 likewise)
- `log(S)`, `S**e` (e not an integer) and `N/S**n` for a sum S = c*exp(u) + R with one
  exponential (expm1(u) counts as exp(u) - 1; R in x for a quotient): exp(u) taken out where
  u > 0, `u + log(c + R*exp(-u))`, `exp(e*u)*(c + R*exp(-u))**e` and
  `N*exp(-n*u)/(c + R*exp(-u))**n` (`log(expm1(x))`, `sqrt(exp(x) + x)`,
  `exp(x)/(1 + x**2 + exp(x))` are finite at x = 1000)
- `(a + b*exp(u))**-n` (a, b > 0) -> `sigmoid(-u - log(b/a))**n/a**n`;
  `exp(-k*u)*sigmoid(u)**n` -> `sigmoid(-u)**k*sigmoid(u)**(n - k)` (1 <= k <= n);
  `exp(v)*sigmoid(-w)**n` -> `exp(v - n*w)*sigmoid(w)**n` where w > 0 is proven
- a quotient, logarithm or non-integer power of a sum of two or more exponentials (sinh and
  cosh among them): divided through by the largest exponential, one piece per term that can
  be largest (`(exp(x) - exp(-x))/(exp(x) + exp(-x))` -> `-expm1(-2x)*sigmoid(2x)` where
  x >= 0; `log(exp(x) + exp(-x))` -> `x + softplus(-2x)`; `log(sinh(x))` -> `x +
  log(-expm1(-2x)/2)` where x >= 0)
- `A + B*sqrt(P)` where A and B*sqrt(P) have opposite signs -> `(A**2 - B**2*P)/(A - B*sqrt(P))`
  when A**2 - B**2*P cancels to something shorter (squareplus: `(x + sqrt(x**2 + 4))/2` is
  `2/(sqrt(x**2 + 4) - x)` for x < 0)
- `(c*w**2 + b)**e` (e not an integer) -> `(+-w)**(2e)*(1 + b/(c*w**2))**e` where |w| > 1, so
  w**2 never overflows there (the hypot idea: `sqrt(x**2 + 4)` is finite at x = 1e200)

Only these SymPy-level forms are produced (sigmoid, softplus, expm1, log1p, erfc, Piecewise), so
the result compiles (`actcli.compiler`), prints as C or NumPy (`actcli.codegen`) and as spec text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import sympy

from actcli.expr import X
from actcli.functions import erfc, expm1, log1p, sigmoid, softplus

MAX_OPS = 400  # count_ops above which an expression is compiled as it is (rules are quadratic)
MAX_PIVOT_TERMS = 4  # sums of more exponentials are not divided through (pieces multiply)

Rule = Callable[[Any], Any]


def rewrite(expression: Any) -> Any:
    """The expression with every unstable pattern above replaced; the square-root scaling last
    (it hides the sqrt(P) that the rationalisation looks for)."""
    expression = sympy.sympify(expression)
    if sympy.count_ops(expression) > MAX_OPS:
        return expression
    expression = _bottom_up(expression, _RULES, _DIVIDING_RULES)
    return _bottom_up(expression, (_scale_square_root,))


def local_rewrite(expression: Any) -> Any:
    """`rewrite`'s rules but for dividing sums of exponentials through (for the pieces that
    division made: dividing their sums again would never end)."""
    return _bottom_up(sympy.sympify(expression), _RULES)


def _bottom_up(node: Any, rules: tuple[Rule, ...], top_down: tuple[Rule, ...] = ()) -> Any:
    """Rules applied children first, except `top_down` ones, tried on a node before its children
    (a quotient must be divided through before its numerator is rewritten on its own)."""
    if node.is_Atom or not isinstance(node, sympy.Expr):
        return node
    for rule in top_down:
        new = rule(node)
        if new is not None:
            return new  # its pieces are rewritten already
    if isinstance(node, sympy.Piecewise):
        pieces = [(_bottom_up(value, rules, top_down), cond) for value, cond in node.args]
        return sympy.Piecewise(*pieces)
    args = [_bottom_up(arg, rules, top_down) for arg in node.args]
    if args != list(node.args):
        node = node.func(*args)
    for _ in range(8):  # each rule removes a pattern; the bound only guards against surprises
        for rule in rules:
            new = rule(node)
            if new is not None and new != node:
                node = new
                break
        else:
            return node
        if node.is_Atom:
            return node
    return node


def _free(expression: Any) -> bool:
    return X not in expression.free_symbols


# -- sums: a term and a partner that cancel against it ---------------------------------------


def _factors(term: Any) -> Iterator[tuple[Any, Any]]:
    """(factor, cofactor) for each factor of a product (a single term is its own factor)."""
    factors = term.args if term.is_Mul else (term,)
    for index, factor in enumerate(factors):
        yield factor, sympy.Mul(*(f for i, f in enumerate(factors) if i != index))


def _partner_rule(node: Any) -> Any:
    """c*F(u) + s*c, s = +-1, rewritten where F's value beside 1 cancels (see the docstring)."""
    if not node.is_Add:
        return None
    terms = list(node.args)
    for i, term in enumerate(terms):
        for factor, c in _factors(term):
            for j, other in enumerate(terms):
                if j == i:
                    continue
                replaced = None
                if other == -c:
                    replaced = _against_minus(factor, c)
                elif other == c:
                    replaced = _against_plus(factor, c)
                elif other == -2 * c and isinstance(factor, sympy.erfc):  # erfc(u) - 2
                    replaced = -c * erfc(-factor.args[0])
                if replaced is None and isinstance(factor, sympy.exp):
                    replaced = _exp_difference(factor, c, other)
                if replaced is None and isinstance(factor, sympy.erf | sympy.erfc):
                    replaced = _erf_difference(factor, c, other)
                if replaced is not None:
                    rest = [t for k, t in enumerate(terms) if k not in (i, j)]
                    return sympy.Add(replaced, *rest)
    return None


def _against_minus(factor: Any, c: Any) -> Any:
    """c*F - c."""
    if isinstance(factor, sympy.exp):
        return c * expm1(factor.args[0])
    if isinstance(factor, sympy.erf):
        return -c * erfc(factor.args[0])
    if isinstance(factor, sympy.tanh):
        return -2 * c * sigmoid(-2 * factor.args[0])
    if factor.is_Pow and factor.exp == 2 and isinstance(factor.base, sympy.tanh):
        u = factor.base.args[0]
        return -4 * c * sigmoid(2 * u) * sigmoid(-2 * u)
    if isinstance(factor, sigmoid):
        return -c * sigmoid(-factor.args[0])
    if isinstance(factor, sympy.cos):
        return -2 * c * sympy.sin(factor.args[0] / 2) ** 2
    if isinstance(factor, sympy.cosh):
        return 2 * c * sympy.sinh(factor.args[0] / 2) ** 2
    return None


def _against_plus(factor: Any, c: Any) -> Any:
    """c*F + c."""
    if isinstance(factor, expm1):
        return c * sympy.exp(factor.args[0])
    if isinstance(factor, sympy.erf):
        return c * erfc(-factor.args[0])
    if isinstance(factor, sympy.tanh):
        return 2 * c * sigmoid(2 * factor.args[0])
    return None


def _exp_difference(factor: Any, c: Any, other: Any) -> Any:
    """c*exp(u) - c*exp(v), factored by the larger exponential (no cancellation, no overflow
    that the difference itself does not have)."""
    u = factor.args[0]
    for second, cofactor in _factors(other):
        if isinstance(second, sympy.exp) and cofactor == -c:
            v = second.args[0]
            if X not in (u - v).free_symbols:
                return None  # a constant ratio: c*exp(u)*(1 - exp(v - u)) has no cancellation
            return sympy.Piecewise(
                (-c * sympy.exp(u) * expm1(sympy.expand(v - u)), sympy.Ge(u - v, 0)),
                (c * sympy.exp(v) * expm1(sympy.expand(u - v)), True),
            )
    return None


def _erf_difference(factor: Any, c: Any, other: Any) -> Any:
    """c*erf(a) - c*erf(b) as c*(erfc(b) - erfc(a)) where a + b >= 0, else as
    c*(erfc(-a) - erfc(-b)); c*erfc(a) - c*erfc(b) as c*(erfc(-b) - erfc(-a)) where
    a + b < 0: the two tails, not two values beside +-1 (erf(x) - erf(x - 1) was 0 at 7,
    for 2.2e-17, and 1e-6 off at -5)."""
    a = factor.args[0]
    for second, cofactor in _factors(other):
        if type(second) is type(factor) and cofactor == -c:
            b = second.args[0]
            if isinstance(factor, sympy.erf):
                return c * sympy.Piecewise(
                    (erfc(b) - erfc(a), sympy.Ge(a + b, 0)), (erfc(-a) - erfc(-b), True)
                )
            return c * sympy.Piecewise(
                (erfc(a) - erfc(b), sympy.Ge(a + b, 0)), (erfc(-b) - erfc(-a), True)
            )
    return None


# -- logarithms ------------------------------------------------------------------------------


def _log_rule(node: Any) -> Any:
    if isinstance(node, sympy.log):
        (argument,) = node.args
        if isinstance(argument, sigmoid):
            return -softplus(-argument.args[0])
        if argument.is_Add and sympy.S.One in argument.args:
            return log1p(argument - 1)
        if isinstance(argument, sympy.tanh):  # tanh u = 1 - 2 sigmoid(-2u): no 1 - tiny
            u = argument.args[0]
            return sympy.Piecewise(
                (log1p(-2 * sigmoid(-2 * u)), u >= 1), (sympy.log(argument), True)
            )
        if isinstance(argument, sympy.erfc):  # erfc(u) underflows beyond 26.5, e**(u**2)*erfc(u)
            u = argument.args[0]  # does not: the compiler's exp_times_erfc keeps it
            return sympy.Piecewise(
                (sympy.log(sympy.exp(u**2) * argument) - u**2, u >= 1),
                (sympy.log(argument), True),
            )
        if isinstance(argument, sympy.cosh):  # log cosh u = |u| + softplus(-2|u|) - log 2
            u = argument.args[0]
            return sympy.Piecewise(
                (u + softplus(-2 * u) - sympy.log(2), u >= 0),
                (-u + softplus(2 * u) - sympy.log(2), True),
            )
    if isinstance(node, log1p):
        (argument,) = node.args
        for factor, c in _factors(argument):
            if isinstance(factor, sympy.exp) and _free(c) and c.is_positive:
                shift = 0 if c == 1 else sympy.log(c)
                return softplus(factor.args[0] + shift)
    return None


def _log_difference_rule(node: Any) -> Any:
    """c*log(A) - q*c*log(B) (q > 0 rational) -> c*log1p((A - B**q)/B**q) where A - B**q
    cancels to something shorter: log(1 + x**2) - 2*log(|x|) is log1p(1/x**2), which the
    difference loses to rounding at x = 1000 (1e-10). Where the weights are not in a rational
    ratio but their sum c + d is shorter than each, c*log(A) + d*log(B) -> (c + d)*log(B) +
    c*log1p((A - B)/B): the numerator of the derivative of log(1 + x**2)/log(2 + x**2),
    (x**2 + 2)*log(x**2 + 2) - (x**2 + 1)*log(x**2 + 1), is log(x**2 + 1) + (x**2 + 2)*
    log1p(1/(x**2 + 1)), terms of one sign (the difference lost 6 digits at x = 1e5)."""
    if not node.is_Add:
        return None
    logs = [(index, c, f, _log_argument(f)) for index, term in enumerate(node.args)
            for f, c in _factors(term) if _log_argument(f) is not None]  # fmt: skip
    for i, c, _, a in logs:
        for j, d, log_b, b in logs:
            replaced = None if i == j else _log_pair(c, a, d, log_b, b)
            if replaced is not None:
                rest = [t for k, t in enumerate(node.args) if k not in (i, j)]
                return sympy.Add(replaced, *rest)
    return None


def _log_pair(c: Any, a: Any, d: Any, log_b: Any, b: Any) -> Any:
    """c*log(A) + d*log(B) without the cancellation of its terms, or None (see above)."""
    q = -d / c
    if q.is_Rational and q.is_positive:
        power = b**q
        difference = sympy.expand(a - power)
        if _shorter(difference, a):
            return c * log1p(difference / power)
    weight = sympy.expand(c + d)
    if sympy.count_ops(weight) >= max(sympy.count_ops(c), sympy.count_ops(d)):
        return None
    difference = sympy.expand(a - b)
    return weight * log_b + c * log1p(difference / b) if _shorter(difference, a) else None


def _shorter(difference: Any, argument: Any) -> bool:
    return difference != 0 and sympy.count_ops(difference) < sympy.count_ops(argument)


def _log_argument(factor: Any) -> Any:
    """A for log(A) and 1 + u for log1p(u) in x; None for anything else."""
    if isinstance(factor, sympy.log) and factor.has(X):
        return factor.args[0]
    if isinstance(factor, log1p) and factor.has(X):
        return 1 + factor.args[0]
    return None


# -- products: sigmoid recognised ------------------------------------------------------------


def _sigmoid_rule(node: Any) -> Any:
    """(a + b*exp(u))**-n -> sigmoid(-u - log(b/a))**n/a**n, as a factor or alone."""
    factors = node.args if node.is_Mul else (node,)
    for index, factor in enumerate(factors):
        if not (factor.is_Pow and factor.exp.is_Integer and factor.exp < 0):
            continue
        base = factor.base
        if not (base.is_Add and len(base.args) == 2):
            continue
        a, rest = base.as_independent(X, as_Add=True)
        found = [(f, b) for f, b in _factors(rest) if isinstance(f, sympy.exp)]
        if not (a.is_positive and found and found[0][1].is_positive and _free(found[0][1])):
            continue
        (exponential, b), n = found[0], -factor.exp
        shift = 0 if b == a else sympy.log(b / a)
        replaced = sigmoid(-exponential.args[0] - shift) ** n / a**n
        return sympy.Mul(replaced, *(f for i, f in enumerate(factors) if i != index))
    return None


def _exp_sigmoid_rule(node: Any) -> Any:
    """exp(-k*u)*sigmoid(u)**n -> sigmoid(-u)**k*sigmoid(u)**(n - k), 1 <= k <= n (the
    exponential overflows where the sigmoid underflows; the product does neither)."""
    for exponential, power, others in _exp_sigmoid_pairs(node):
        u, n = _base(power).args[0], _exponent(power)
        k = sympy.cancel(-exponential.args[0] / u)
        if k.is_Integer and n.is_Integer and 1 <= k <= n:
            return sympy.Mul(sigmoid(-u) ** k * sigmoid(u) ** (n - k), *others)
    return None


def _exp_complement_rule(node: Any) -> Any:
    """exp(v)*sigmoid(-w)**n -> exp(v - n*w)*sigmoid(w)**n where SymPy proves w > 0 (sigmoid(-w)
    is e**-w*sigmoid(w)): the exponential overflows where the sigmoid underflows, and their
    product is exp of one exponent (TanhExp's f', 4*x*exp(x)*sigmoid(-2*exp(x))*... after
    1 - tanh(u)**2 is rewritten, was inf*0 = nan from x = 710)."""
    for exponential, power, others in _exp_sigmoid_pairs(node):
        w, n = -_base(power).args[0], _exponent(power)
        if w.is_positive and n.is_Integer and n > 0:
            moved = sympy.exp(exponential.args[0] - n * w) * sigmoid(w) ** n
            return sympy.Mul(moved, *others)
    return None


def _exp_sigmoid_pairs(node: Any) -> Iterator[tuple[Any, Any, list[Any]]]:
    """Each exponential factor of a product with each sigmoid (power) factor, and the rest."""
    if not node.is_Mul:
        return
    exponentials = [f for f in node.args if isinstance(f, sympy.exp)]
    sigmoids = [f for f in node.args if isinstance(_base(f), sigmoid)]
    for exponential in exponentials:
        for power in sigmoids:
            others = [f for f in node.args if f is not exponential and f is not power]
            yield exponential, power, others


def _base(factor: Any) -> Any:
    return factor.base if factor.is_Pow else factor


def _exponent(factor: Any) -> Any:
    return factor.exp if factor.is_Pow else sympy.S.One


# -- sums of exponentials divided through by the largest -------------------------------------


def _exponentials(total: Any) -> list[tuple[Any, Any]] | None:
    """A sum as [(coefficient, exponent)] when every term is coefficient*exp(exponent) with an
    x-free coefficient (a constant term has exponent 0); None otherwise."""
    found = []
    for term in sympy.Add.make_args(total):
        if _free(term):
            found.append((term, sympy.S.Zero))
            continue
        matches = [(f, c) for f, c in _factors(term) if isinstance(f, sympy.exp) and _free(c)]
        if not matches:
            return None
        factor, c = matches[0]
        found.append((c, factor.args[0]))
    return found


def _pivots(terms: list[tuple[Any, Any]]) -> list[Any] | None:
    """The distinct exponents, when two or more of them depend on x (else nothing to divide)."""
    exponents = list(dict.fromkeys(u for _, u in terms))
    varying = [u for u in exponents if not _free(u)]
    if len(varying) < 2 or len(exponents) > MAX_PIVOT_TERMS:
        return None
    return exponents


def _where_largest(u: Any, exponents: list[Any]) -> Any:
    return sympy.And(*(sympy.Ge(sympy.expand(u - v), 0) for v in exponents if v != u))


def _divide(total: Any, u: Any) -> Any:
    """total*exp(-u), each exponential's exponent combined."""
    return sympy.Add(*(sympy.powsimp(t * sympy.exp(-u)) for t in sympy.Add.make_args(total)))


def _ratio_rule(node: Any) -> Any:
    """N/D**n with D a sum of exponentials: numerator and denominator divided by the largest."""
    factors = node.args if node.is_Mul else (node,)
    for index, factor in enumerate(factors):
        if not (factor.is_Pow and factor.exp.is_Integer and factor.exp < 0):
            continue
        terms = _exponentials(factor.base)
        exponents = _pivots(terms) if terms else None
        if exponents is None:
            continue
        n = -factor.exp
        rest = [f for i, f in enumerate(factors) if i != index]
        pieces = []
        for u in exponents:
            numerator = _absorb(rest, u, n)
            value = numerator / _divide(factor.base, u) ** n
            pieces.append((local_rewrite(value), _where_largest(u, exponents)))
        pieces[-1] = (pieces[-1][0], True)
        return sympy.Piecewise(*pieces)
    return None


def _absorb(factors: list[Any], u: Any, n: int) -> Any:
    """prod(factors)*exp(-n*u), the exponential spread over the factors that are sums (so that
    (exp(x) - exp(-x))**2*exp(-2x) becomes (1 - exp(-2x))**2, not its cancelling expansion)."""
    out = []
    left = n
    for factor in factors:
        base, power = _base(factor), _exponent(factor)
        if left and base.is_Add and power.is_Integer and 0 < power <= left:
            out.append(_divide(base, u) ** power)
            left -= int(power)
        else:
            out.append(factor)
    if left:
        out = [sympy.powsimp(sympy.Mul(*out) * sympy.exp(-left * u))]
    return sympy.Mul(*out)


def _largest_out_rule(node: Any) -> Any:
    """log(S) -> u + log(S*exp(-u)) and S**e -> exp(e*u)*(S*exp(-u))**e (e not an integer)
    for a sum S of exponentials, u the largest exponent (one piece per exponent that can be):
    log(exp(x) + exp(-x)), log(sinh(x)) and sqrt(cosh(x)) written in exponentials. Equal
    wherever S > 0, where both sides are real (a piece where S < 0 is nan either way)."""
    outer = _log_or_root(node)
    if outer is None:
        return None
    total, power = outer
    if isinstance(total, sympy.sinh) or power is not None and isinstance(total, sympy.cosh):
        total = sympy.expand(total.rewrite(sympy.exp))  # (exp(u) +- exp(-u))/2; log(cosh(u)):
        # the log rule's |u| + softplus(-2|u|) - log(2)
    terms = _exponentials(total)
    exponents = _pivots(terms) if terms else None
    if exponents is None:
        return None
    pieces = []
    for u in exponents:
        value = _out_of(_divide(total, u), u, power)
        pieces.append((_inner_rewrite(value), _where_largest(u, exponents)))
    pieces[-1] = (pieces[-1][0], True)
    return sympy.Piecewise(*pieces)


def _log_or_root(node: Any) -> tuple[Any, Any] | None:
    """(S, None) for log(S), (S, e) for S**e with e a constant that is not an integer."""
    if isinstance(node, sympy.log):
        return node.args[0], None
    if node.is_Pow and not node.exp.is_Integer and _free(node.exp):
        return node.base, node.exp
    return None


def _out_of(inner: Any, u: Any, power: Any) -> Any:
    """log(S) or S**power for S = exp(u)*inner, exp(u) taken out: u + log(inner) or
    exp(power*u)*inner**power."""
    return u + sympy.log(inner) if power is None else sympy.exp(power * u) * inner**power


# -- square roots ----------------------------------------------------------------------------


def _square_root_term(total: Any) -> tuple[Any, Any, Any] | None:
    """total = A + B*sqrt(P) as (A, B, P), with A and B free of sqrt(P); P**(k/2) for odd k
    counts as sqrt(P)*P**((k-1)/2)."""
    radicands = [
        p.base
        for p in total.atoms(sympy.Pow)
        if p.exp.is_Rational and p.exp.q == 2 and not _free(p.base)
    ]
    for radicand in dict.fromkeys(radicands):
        root = sympy.Dummy("root")

        def swap(power: Any, radicand: Any = radicand, root: Any = root) -> Any:
            if power.is_Pow and power.base == radicand and power.exp.q == 2:
                return root * radicand ** (power.exp - sympy.Rational(1, 2))
            return power

        a, b = sympy.S.Zero, sympy.S.Zero
        for term in sympy.Add.make_args(total):
            swapped = term.replace(lambda p: p.is_Pow, swap)
            coefficient, rooted = swapped.as_independent(root, as_Add=False)
            if rooted == 1:
                a += term
            elif rooted == root:
                b += coefficient
            else:
                break
        else:
            if b != 0 and a != 0:
                return a, b, radicand
    return None


def _has_half_power(term: Any) -> bool:
    factors = term.args if term.is_Mul else (term,)
    return any(f.is_Pow and f.exp.is_Rational and f.exp.q == 2 for f in factors)


def _rationalise_rule(node: Any) -> Any:
    """A + B*sqrt(P) -> (A**2 - B**2*P)/(A - B*sqrt(P)) where the two terms have opposite signs
    (the sum cancels, the difference does not), when A**2 - B**2*P cancels symbolically."""
    if not node.is_Add or not any(_has_half_power(term) for term in node.args):
        return None
    found = _square_root_term(node)
    if found is None:
        return None
    a, b, radicand = found
    numerator = sympy.cancel(sympy.together(a**2 - b**2 * radicand))
    if _terms(numerator) >= _terms(a**2) + _terms(b**2 * radicand):
        return None  # nothing cancelled: the rationalised form would cancel as much
    root = sympy.sqrt(radicand)
    return sympy.Piecewise(
        (a + b * root, sympy.Ge(a * b, 0)),
        (numerator / (a - b * root), True),
    )


def _terms(expression: Any) -> int:
    """How many terms the expanded numerator of an expression has."""
    return len(sympy.Add.make_args(sympy.expand(sympy.numer(sympy.together(expression)))))


def _scale_square_root(node: Any) -> Any:
    """(c*w**2 + b)**e, e not an integer: w**2 scaled out where |w| > 1 (no overflow)."""
    if not (node.is_Pow and node.exp.is_Rational and not node.exp.is_Integer):
        return None
    base = node.base
    if not (base.is_Add and len(base.args) == 2):
        return None
    b, square = base.as_independent(X, as_Add=True)
    if b == 0 or not _free(b):
        return None
    c, w2 = square.as_independent(X, as_Add=False)
    if not (c.is_positive and w2.is_Pow and w2.exp == 2):
        return None
    w, e = w2.base, node.exp
    scaled = (1 + b / (c * w**2)) ** e * c**e
    return sympy.Piecewise(
        (w ** (2 * e) * scaled, sympy.Gt(w, 1)),
        ((-w) ** (2 * e) * scaled, sympy.Lt(w, -1)),
        (node, True),
    )


def _growth_rule(node: Any) -> Any:
    """log(S), log1p(S - 1), S**e (e not an integer) and N/S**n for a sum S = c*exp(u) + R
    with one exponential (c > 0; expm1(u) is exp(u) - 1; R in x for a quotient, else the
    sigmoid rule's): exp(u) taken out where u > 0, u + log(c + R*exp(-u)), exp(e*u)*(c +
    R*exp(-u))**e and N*exp(-n*u)/(c + R*exp(-u))**n, which do not overflow with exp(u)
    (log(expm1(x)), sqrt(exp(x) + x) and exp(x)/(1 + x**2 + exp(x)) were inf or nan at
    x = 1000). Equal wherever S > 0 (a quotient: S != 0), where both are real. Quotients
    are taken top-down (`_growth_ratio_rule`): N must be divided with its divisor."""
    return _taken_out(node, quotient=False)


def _growth_ratio_rule(node: Any) -> Any:
    """`_growth_rule`'s N/S**n, tried before the children (N and S divided together)."""
    return _taken_out(node, quotient=True)


def _taken_out(node: Any, quotient: bool) -> Any:
    divisor = None
    if quotient:
        divisor = _growing_divisor(node)
        if divisor is None:
            return None
        total, power = divisor[0].base, divisor[0].exp
    elif isinstance(node, log1p):
        total, power = 1 + node.args[0], None
    elif (outer := _log_or_root(node)) is not None:
        total, power = outer
    else:
        return None
    if isinstance(total, expm1):
        total = sympy.Add(sympy.exp(total.args[0]), -1, evaluate=False)
    split = _one_exponential(total)
    if split is None or divisor is not None and _free(split[2]):
        return None
    u, c, rest = split
    inner = c + sympy.powsimp(rest * sympy.exp(-u))
    if divisor is not None:
        n = int(-power)
        taken_out = _absorb(divisor[1], u, n) / inner**n
    else:
        taken_out = _out_of(inner, u, power)
    kept = _bottom_up(node, _RULES) if quotient else node  # top-down: the rest not yet
    return sympy.Piecewise((_inner_rewrite(taken_out), u > 0), (kept, True))


def _inner_rewrite(value: Any) -> Any:
    """`local_rewrite` of what an exponential was taken out of, without taking one out again
    ((1 + exp(-x))**e would have exp(-x) taken out where x < 0, and so on)."""
    return _bottom_up(value, tuple(rule for rule in _RULES if rule is not _growth_rule))


def _growing_divisor(node: Any) -> tuple[Any, list[Any]] | None:
    """(S**-n, the other factors) for a product or power with a factor S**-n (n a positive
    integer, S a sum in x); None otherwise."""
    factors = list(node.args) if node.is_Mul else [node]
    for index, factor in enumerate(factors):
        if factor.is_Pow and factor.exp.is_Integer and factor.exp < 0 and factor.base.is_Add:
            return factor, [f for i, f in enumerate(factors) if i != index]
    return None


def _one_exponential(total: Any) -> tuple[Any, Any, Any] | None:
    """(u, c, R) for a sum total = c*exp(u) + R with c > 0, u in x and R free of exp."""
    if not total.is_Add:
        return None
    growing = [(t, f, c) for t in total.args for f, c in _factors(t)
               if isinstance(f, sympy.exp) and _free(c) and c.is_positive and f.has(X)]  # fmt: skip
    if len(growing) != 1 or any(t is not growing[0][0] and t.has(sympy.exp) for t in total.args):
        return None
    term, factor, c = growing[0]
    return factor.args[0], c, sympy.Add(*(t for t in total.args if t is not term))


def _saturated_difference_rule(node: Any) -> Any:
    """c*sigmoid(u) - c*sigmoid(v) -> c*(sigmoid(-v) - sigmoid(-u)) where u + v > 0, and
    c*tanh(a) - c*tanh(b) -> 2c*(sigmoid(2a) - sigmoid(2b)), the same way: both near 1, the
    difference of the complements keeps its digits (sigmoid(x) - sigmoid(x - 1) at x = 30 was
    1e-3 off, tanh(x + 1) - tanh(x) 0 instead of 1.5e-26)."""
    if not node.is_Add:
        return None
    found = []
    for index, term in enumerate(node.args):
        for factor, c in _factors(term):
            if isinstance(factor, (sigmoid, sympy.tanh)) and _free(c) and factor.has(X):
                found.append((index, factor, c))
    for i, first, c in found:
        for j, second, d in found:
            if i == j or first.func is not second.func or sympy.expand(c + d) != 0:
                continue
            u, v = first.args[0], second.args[0]
            if first.func is sympy.tanh:
                u, v, c = 2 * u, 2 * v, 2 * c
            saturated = c * (sigmoid(-v) - sigmoid(-u))
            kept = c * (sigmoid(u) - sigmoid(v))
            rest = [t for k, t in enumerate(node.args) if k not in (i, j)]
            pieces = sympy.Piecewise((saturated, sympy.expand(u + v) > 0), (kept, True))
            return sympy.Add(pieces, *rest)
    return None


def _softplus_rule(node: Any) -> Any:
    """c*softplus(u) - c*u -> c*softplus(-u) (log(1 + exp(x)) - x at x = 30 keeps its digits)."""
    if not node.is_Add:
        return None
    terms = list(node.args)
    for term in terms:
        c, factor = term.as_coeff_Mul()
        if isinstance(factor, softplus):
            u = factor.args[0]
            partner = sympy.expand(-c * u)
            rest = sympy.Add(*(t for t in terms if t is not term))
            remainder = sympy.expand(rest - partner)
            if sympy.count_ops(remainder) < sympy.count_ops(rest):
                return c * softplus(-u) + remainder
    return None


_RULES: tuple[Rule, ...] = (
    _partner_rule,
    _softplus_rule,
    _log_rule,
    _log_difference_rule,
    _growth_rule,
    _saturated_difference_rule,
    _sigmoid_rule,
    _exp_sigmoid_rule,
    _exp_complement_rule,
    _rationalise_rule,
)
_DIVIDING_RULES: tuple[Rule, ...] = (_largest_out_rule, _ratio_rule, _growth_ratio_rule)
