"""actcli.interval: enclosures hold every mpmath value of the expression at sample points
(endpoints included) of random sub-intervals, and tighten as the intervals shrink."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from actcli.errors import AnalysisError
from actcli.expr import X
from actcli.functions import sigmoid, softplus, to_elementary
from actcli.interval import bound

# (expression, where x may range): the node kinds the built-ins' derivatives contain
EXPRESSIONS = [
    (X**2 - 3 * X, (-5, 5)),
    (X**3, (-3, 3)),
    (X**4 - X**2, (-2, 2)),
    (1 / (1 + X**2), (-4, 4)),
    ((X + 1) ** -3, (0.5, 6)),
    (sympy.sqrt(X), (0, 9)),
    (X ** sympy.Rational(3, 2), (0, 4)),
    (sympy.exp(-(X**2) / 2) * X / sympy.sqrt(2 * sympy.pi), (-6, 6)),
    (sympy.log(X), (0.1, 10)),
    (sympy.log(1 + sympy.exp(X)), (-20, 20)),
    (sympy.codegen.cfunctions.log1p(X), (-0.5, 3)),
    (sympy.codegen.cfunctions.expm1(X), (-3, 3)),
    (sympy.tanh(X) ** 2 - 1, (-5, 5)),
    (sympy.atan(X), (-5, 5)),
    (sympy.sin(3 * X) + sympy.cos(X), (-7, 7)),
    (sympy.erf(X / sympy.sqrt(2)), (-5, 5)),
    (sympy.erfc(-X / sympy.sqrt(2)) * X / 2, (-8, 8)),
    (sigmoid(X) * sigmoid(-X), (-30, 30)),
    (softplus(2 * X) / 2, (-30, 30)),
    (sympy.Abs(X - sympy.Rational(1, 3)), (-2, 2)),
    (sympy.sign(X), (-2, 2)),
    (sympy.Max(0, X) + sympy.Min(X, 1), (-2, 2)),
    (X * sympy.tanh(softplus(X)), (-6, 6)),
    (sympy.cosh(X) - sympy.sinh(X) * sympy.E + sympy.pi, (-3, 3)),
]


def mpmath_function(expression):
    return sympy.lambdify(X, to_elementary(expression), modules="mpmath")


@pytest.mark.parametrize("expression, domain", EXPRESSIONS, ids=lambda v: str(v)[:40])
def test_enclosure_contains_mpmath_values(expression, domain):
    rng = np.random.default_rng(1234)
    a, b = domain
    ends = np.sort(rng.uniform(a, b, size=(40, 2)), axis=1)
    ends[:5, 1] = ends[:5, 0]  # degenerate intervals
    ends[5] = (a, b)
    low, high = bound(expression, ends[:, 0], ends[:, 1])
    f = mpmath_function(expression)
    mpmath.mp.dps = 40
    for (lo, hi), enclosure_low, enclosure_high in zip(ends, low, high, strict=True):
        for t in np.linspace(lo, hi, 9):
            value = f(mpmath.mpf(float(t)))
            assert enclosure_low <= value <= enclosure_high, (expression, lo, hi, t, value)


@pytest.mark.parametrize("expression, domain", EXPRESSIONS[:19], ids=lambda v: str(v)[:40])
def test_enclosures_tighten(expression, domain):
    a, b = domain
    centre = np.array([a + 0.37 * (b - a)])
    widths = [np.ptp(bound(expression, centre - d, centre + d)) for d in (1e-1, 1e-3, 1e-5)]
    assert widths[2] <= widths[1] <= widths[0]
    assert widths[2] < 1e-3 * max(1.0, abs(float(mpmath_function(expression)(centre[0]))))


def test_undefined_and_overflow_give_infinite_bounds():
    low, high = bound(1 / X, np.array([-1.0, 1.0]), np.array([1.0, 2.0]))
    assert low[0] == -np.inf and high[0] == np.inf
    assert low[1] <= 0.5 and high[1] >= 1.0
    # exp(1000) overflows; inf - inf and 0*inf must not come back as nan
    low, high = bound(X * sympy.exp(X) - sympy.exp(X), np.array([0.0]), np.array([1000.0]))
    assert not np.isnan(low).any() and not np.isnan(high).any()
    assert high[0] == np.inf
    low, high = bound((X - 1) * sympy.exp(X), np.array([0.0]), np.array([1000.0]))
    assert not np.isnan(low).any() and low[0] == -np.inf
    low, high = bound(sympy.sqrt(X), np.array([-1.0]), np.array([1.0]))
    assert not np.isfinite(low[0])


def test_unknown_function_is_named():
    with pytest.raises(AnalysisError, match="gamma"):
        bound(sympy.gamma(X), np.array([1.0]), np.array([2.0]))


def test_outward_rounding_of_constants():
    low, high = bound(sympy.pi + 0 * X, np.array([0.0]), np.array([0.0]))
    assert low[0] < mpmath.pi < high[0]
    low, high = bound(sympy.Rational(1, 2) * X, np.array([2.0]), np.array([2.0]))
    assert low[0] <= 1.0 <= high[0] and high[0] - low[0] < 1e-14


finite = st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False)
ends = st.tuples(finite, finite).map(sorted)


@settings(max_examples=400, deadline=None)
@given(ends, ends, st.sampled_from([-3, 0, 3]))
def test_products_and_sums_enclose_the_exact_ones_tightly(p, q, zero_ends):
    """[a, b]*[c, d] and [a, b] + [c, d] against exact rational arithmetic (Fraction): the
    lower end at most, and within 2**-118 relative of, the least exact product (sum), likewise
    the upper end; with 0 as an end now and then (the sign cases)."""
    from fractions import Fraction

    from actcli.interval import PRECISION, Interval, _add, _multiply, _precision

    if zero_ends == 0:
        p = (0.0, p[1]) if p[1] >= 0 else (p[0], 0.0)
    elif zero_ends == 3:
        q = (q[0], 0.0) if q[0] <= 0 else (0.0, q[1])
    with _precision():  # PRECISION bits, as every enclosure runs
        got = {
            "product": _multiply(Interval.of(*p), Interval.of(*q)),
            "sum": _add(Interval.of(*p), Interval.of(*q)),
        }
    exact = {
        "product": [Fraction(u) * Fraction(v) for u in p for v in q],
        "sum": [Fraction(p[0]) + Fraction(q[0]), Fraction(p[1]) + Fraction(q[1])],
    }
    for kind, interval in got.items():
        low, high = min(exact[kind]), max(exact[kind])
        lo, hi = _fraction(interval.lo), _fraction(interval.hi)
        slack = Fraction(1, 2 ** (PRECISION - 2))
        assert low - abs(low) * slack <= lo <= low, kind
        assert high <= hi <= high + abs(high) * slack, kind


def _fraction(point):
    """An exact Arb point as a Fraction."""
    from fractions import Fraction

    assert point.is_exact()
    mantissa, exponent = (int(n) for n in point.man_exp())
    return Fraction(mantissa) * Fraction(2) ** exponent


def test_a_compound_constant_is_enclosed_by_arb_not_by_sympys_rounding():
    """SymPy's N rounds 1 + exp(-700) to 1, so it makes log(1 + exp(-700)) 0 and
    log(1 + exp(-700))*exp(700) 0, where the truth is 1 (log1p(t)/t -> 1): the ball built
    from N excluded the true value. Arb's ball of the tree holds it (mpmath's log1p at 50
    digits), and a value read off such a constant is the truth, not 0."""
    from actcli.domain import to_float
    from actcli.interval import constant_enclosure, constant_value

    t = sympy.exp(-700)
    with mpmath.workdps(50):
        small = mpmath.log1p(mpmath.exp(-700))
        ratio = small * mpmath.exp(700)

    def exact(point):  # an Arb endpoint (radius 0) as an mpmath number
        mantissa, exponent = point.man_exp()
        return mpmath.mpf((int(mantissa), int(exponent)))

    for value, truth in ((sympy.log(1 + t), small), (sympy.log(1 + t) / t, ratio)):
        ball = constant_enclosure(value)
        low, high = exact(ball.lo.lower()), exact(ball.hi.upper())
        assert low <= truth <= high and high - low <= 1e-15 * truth
        assert abs(to_float(value) - truth) <= 1e-15 * truth
        assert abs(constant_value(value).real - truth) <= 1e-15 * truth


@pytest.mark.parametrize(
    "text",
    [
        "log(6) - log(2) - log(3)",
        "log1p(exp(20)) - log(1 + exp(20))",
        "tanh(log(2)) - 3/5",
        "erf(1) + erfc(1) - 1",
    ],
)
def test_a_true_zero_sympy_cannot_prove_reads_zero_not_a_one_bit_float(text):
    """SymPy's N gives these `0.e-164`, a Float of one bit whose value is 1.7e-164: the range
    of a piecewise difference reported that as its supremum. Each is 0 by a hand identity:
    log 6 = log 2 + log 3; log1p(u) = log(1 + u); tanh(log 2) = (4 - 1)/(4 + 1); erf + erfc = 1."""
    from actcli.domain import to_float
    from actcli.expr import Namespace, parse_expression
    from actcli.interval import constant_value

    value = parse_expression(text, Namespace({}))
    assert value != 0  # not simplified away: the case at hand
    assert constant_value(value) == 0
    assert to_float(value) == 0.0
    assert str(to_float(value)) == "0.0"  # not -0.0 (a jump printed as -0.0)
    assert to_float(sympy.Abs(value)) == 0.0  # no ball for |u|: SymPy at 1400 digits


def test_a_tiny_constant_beside_a_true_zero_keeps_its_value():
    """1e-200 + (log 6 - log 2 - log 3) is 1e-200, which N gives exactly; exp(-800)*(1 +
    that zero) is exp(-700), 9.9e-305 (mpmath): a tiny true value is no zero."""
    from actcli.domain import to_float

    zero = sympy.log(6) - sympy.log(2) - sympy.log(3)
    assert to_float(sympy.Rational(1, 10**200) + zero) == 1e-200
    truth = float(mpmath.exp(-700))
    assert abs(to_float(sympy.exp(-700) * (1 + zero)) - truth) <= 1e-15 * truth
