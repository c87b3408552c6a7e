"""`interval.reference_ball`, the Arb fast path of the 20-digit references that choose and
measure stable forms (`stabilize.Reference`), against mpmath at 60+ digits of formulas
written here, and against the mpmath path it stands in for."""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy

from actcli import stabilize
from actcli.expr import X
from actcli.functions import sigmoid, softplus
from actcli.interval import reference_ball

SQRT2 = sympy.sqrt(2)


@pytest.mark.parametrize(
    ("expression", "x", "truth"),
    [
        # 1 + erf(x/sqrt(2)) at -20 cancels 89 digits: erfc(20/sqrt(2)), 5.5e-89
        (1 + sympy.erf(X / SQRT2), -20.0, lambda t: mpmath.erfc(-t / mpmath.sqrt(2))),
        # log(1 + exp(x)) at -1000: 1 + 1e-434 needs ~1450 bits; the value is exp(-1000)
        (sympy.log(1 + sympy.exp(X)), -1000.0, lambda t: mpmath.log1p(mpmath.exp(t))),
        # mish far left: x*tanh(softplus(x)) ~ x*exp(x), 1e-43429440, beyond mpmath's cap
        (X * sympy.tanh(softplus(X)), -1e8, lambda t: t * mpmath.tanh(mpmath.log1p(mpmath.exp(t)))),
        (
            sympy.diff(sigmoid(X), X, 2),
            1e-9,
            lambda t: -mpmath.tanh(t / 2) / (4 * mpmath.cosh(t / 2) ** 2),
        ),
    ],
)
def test_a_tight_ball_gives_the_value_to_20_digits(expression, x, truth):
    """The truths are closed forms evaluated by mpmath at 5000 digits (sigmoid'' =
    -tanh(x/2)/(4 cosh(x/2)**2): sigmoid' = 1/(4 cosh(x/2)**2), differentiated by hand)."""
    value = reference_ball(expression, 20)(x)
    with mpmath.workdps(5000):
        want = truth(mpmath.mpf(x))
        assert value is not None and abs(value - want) <= mpmath.mpf(10) ** -20 * abs(want)


def test_no_value_where_the_ball_holds_zero_or_the_expression_is_not_ball_friendly():
    """sin(pi*x) at 1 is 0 exactly: no relative digits to give (mpmath decides); a
    Piecewise or |x| is left to mpmath altogether; sqrt(x) at -1 is not real."""
    assert reference_ball(sympy.sin(sympy.pi * X), 20)(1.0) is None
    assert reference_ball(sympy.Abs(X), 20) is None
    assert reference_ball(sympy.Piecewise((X, X > 0), (0, True)), 20) is None
    assert reference_ball(sympy.sqrt(X), 20)(-1.0) is None


def test_a_ball_beyond_floats_gives_a_value_that_rounds_the_same():
    """exp(-exp(1e8)) < 2**-1100 (as exp(1e8) > 1100*ln 2): its ball [+- 1e-(4e158)] is not
    tight, but every value in it rounds to 0. exp(1e4)*(2 + sin(x*10**2000)) lies in
    [exp(1e4), 3*exp(1e4)] (> 2**14000), where 10**2000*x is wider than a period at 4096 bits,
    so its ball is not tight either, but every value in it overflows a float."""
    tiny = reference_ball(sympy.exp(-sympy.exp(-X)), 20)(-1e8)
    assert tiny is not None and abs(tiny) < mpmath.mpf(2) ** -1100 and float(tiny) == 0
    wide = sympy.exp(X) * (2 + sympy.sin(X * sympy.Integer(10) ** 2000))
    huge = reference_ball(wide, 20)(1e4)
    assert huge is not None and huge >= mpmath.exp(10**4) and float(huge) == math.inf
    # within floats, a wide ball still gives no value (mpmath decides)
    assert reference_ball(wide, 20)(1.0) is None


def test_relative_balls_give_only_values_known_to_their_digits():
    """With `relative`, the balls beyond float64's range give nothing (a witness compares two
    such values: a loose ball says nothing of their difference), a tight one its value
    (exp(1e4) to 20 digits, mpmath) and an exact ball its number, 0 included."""
    tiny = reference_ball(sympy.exp(-sympy.exp(-X)), 20, relative=True)(-1e8)
    wide = sympy.exp(X) * (2 + sympy.sin(X * sympy.Integer(10) ** 2000))
    assert tiny is None and reference_ball(wide, 20, relative=True)(1e4) is None
    value = reference_ball(sympy.exp(X), 20, relative=True)(1e4)
    assert abs(value / mpmath.exp(10**4) - 1) < mpmath.mpf(10) ** -20
    assert reference_ball(X - X, 20, relative=True)(3.0) == 0
    assert reference_ball(X * 0 + 5, 20, relative=True)(3.0) == 5


def test_farther_points_are_not_asked_once_the_tail_runs_out_of_time(monkeypatch):
    """Beyond FAR, a point farther out on the same side as one whose mpmath reference ran out
    of time is left out unasked (counted missing); nearer points, the other side, and a
    timeout nearer than FAR stop nothing."""
    asked = []

    def fake(expression, digits, max_dps):
        def evaluate(x):
            asked.append(x)
            if x in (1e3, 0.5):
                raise stabilize.Timeout
            return mpmath.mpf(x)

        return evaluate

    monkeypatch.setattr(stabilize, "reference_function", fake)
    monkeypatch.setattr(stabilize, "reference_ball", lambda expression, digits: None)
    x = stabilize.grid([])
    reference = stabilize.Reference.of(X, x)
    beyond = [p for p in x.tolist() if p > 1e3]
    assert beyond and not set(beyond) & set(asked)
    assert set(asked) == set(x.tolist()) - set(beyond)
    assert reference.missing == len(beyond) + 2
    for point, value in zip(x.tolist(), reference.values, strict=True):
        assert (value is None) == (point in (1e3, 0.5) or point > 1e3), point


@pytest.mark.parametrize(
    "expression",
    [
        sympy.diff(X * sigmoid(sympy.Rational(1702, 1000) * X), X, 2),
        X * sympy.erfc(-X / SQRT2) / 2,
        sympy.sqrt(X**2 + 4) - X,
        sympy.log(X) * sympy.exp(-X),
    ],
)
def test_references_agree_with_the_mpmath_path(expression, monkeypatch):
    """stabilize.Reference with the balls and without them (mpmath's doubling precision, the
    path before): the same points outside the domain or missing, the same values to 1e-20
    where both are nonzero, and an exact 0 only where the other is below 1e-300."""
    x = stabilize.grid([0.0, 1.0])
    fast = stabilize.Reference.of(expression, x)
    monkeypatch.setattr(stabilize, "reference_ball", lambda expression, digits: None)
    slow = stabilize.Reference.of(expression, x)
    assert (fast.outside, fast.missing) == (slow.outside, slow.missing)
    for point, a, b in zip(x, fast.values, slow.values, strict=True):
        assert (a is None) == (b is None), point
        if a is None:
            continue
        if a == 0 or b == 0:
            assert abs(a - b) <= 1e-300, point
        else:
            assert abs(a - b) <= mpmath.mpf(10) ** -20 * abs(b), (point, a, b)


@pytest.mark.parametrize(
    "expression",
    [
        pytest.param(sympy.diff(sigmoid(X), X, 2), marks=pytest.mark.slow),  # SymPy: ~3 s
        X - sympy.tanh(X),
        sympy.exp(X) / (1 + X),
        sympy.sqrt(X**2 + 4) - 2,
    ],
)
def test_taylor_polynomial_from_arb_is_sympys(expression):
    """Arb's power series with each coefficient recovered as a rational: the very polynomial
    SymPy's series gives (a second method, exact rationals compared)."""
    from actcli.functions import to_elementary

    ours = stabilize._taylor_polynomial(expression)
    theirs = sympy.series(to_elementary(expression), X, 0, stabilize.SERIES_ORDER + 1)
    assert ours == sympy.Poly(theirs.removeO(), X)


def test_irrational_taylor_coefficients_are_30_digit_floats_and_a_pole_has_none():
    """x*erf(x/sqrt(2)) has sqrt(2/pi) in its coefficients: no rational recovers them, so
    each is a Float of 30 digits, equal to SymPy's exact series coefficient (a second
    method) to 1e-28; erf(x)/x's f' lost every digit near 0 for want of one. 1/x and log(x)
    have no series about 0."""
    from flint import arb

    from actcli.interval import rational_in, taylor_coefficients

    expression = X * sympy.erf(X / SQRT2)
    ours = stabilize._taylor_polynomial(expression)
    exact = sympy.Poly(sympy.series(expression, X, 0, stabilize.SERIES_ORDER + 1).removeO(), X)
    assert ours.degree() == exact.degree()
    for power in range(exact.degree() + 1):
        want = sympy.N(exact.coeff_monomial(X**power), 40)
        got = sympy.N(ours.coeff_monomial(X**power), 40)
        assert abs(got - want) <= sympy.Float("1e-28", 40) * abs(want), (power, got, want)
    assert taylor_coefficients(1 / X, 8) is None
    assert taylor_coefficients(sympy.log(X), 8) is None
    assert rational_in(arb(2).sqrt()) is None  # 53 bits: too wide a ball


@pytest.mark.parametrize(
    ("expression", "coefficients"),
    [
        # x/sin(x) = 1 + x^2/6 + 7x^4/360 + 31x^6/15120 (Abramowitz & Stegun 4.3.68, x*csc x)
        (X / sympy.sin(X), [1, 0, sympy.Rational(1, 6), 0, sympy.Rational(7, 360), 0,
                            sympy.Rational(31, 15120)]),
        # (1 - cos x)/x^2 = sum (-1)^k x^(2k)/(2k + 2)!: 1/2, -1/24, 1/720
        ((1 - sympy.cos(X)) / X**2, [sympy.Rational(1, 2), 0, sympy.Rational(-1, 24), 0,
                                     sympy.Rational(1, 720), 0, sympy.Rational(-1, 40320)]),
        # x^2/sin(x)^2 = (x csc x)^2 = 1 + x^2/3 + x^4/15 + 2x^6/189
        (X**2 / sympy.sin(X) ** 2, [1, 0, sympy.Rational(1, 3), 0, sympy.Rational(1, 15), 0,
                                    sympy.Rational(2, 189)]),
    ],
)  # fmt: skip
def test_a_removable_quotient_has_its_taylor_series(expression, coefficients):
    """A quotient whose numerator and denominator both vanish at 0 to order k: each divided by
    x**k (their series' leading coefficients are exact zeros), then Arb's series division.
    The balls hold the published coefficients; expm1(x/sin(x)) had none, so its derivatives
    near 0 (f' at 1e-10: 3.8e-6 for 9.06e-11) were lost to cancellation."""
    from flint import arb, ctx

    from actcli.interval import taylor_coefficients

    balls = taylor_coefficients(expression, len(coefficients))
    assert balls is not None
    saved, ctx.prec = ctx.prec, 640  # the rational as a ball as narrow as the coefficients'
    try:
        for ball, want in zip(balls, coefficients, strict=True):
            p, q = sympy.fraction(want)
            assert ball.contains(arb(int(p)) / int(q)) and ball.rad() < 1e-150, (ball, want)
    finally:
        ctx.prec = saved


def test_a_pole_inside_a_quotient_has_no_series():
    """1/sin(x), x/(1 - cos(x)) and sin(x)/x**2: the denominator vanishes to a higher order
    than the numerator, a pole at 0."""
    from actcli.interval import taylor_coefficients

    for expression in (1 / sympy.sin(X), X / (1 - sympy.cos(X)), sympy.sin(X) / X**2):
        assert taylor_coefficients(expression, 8) is None, expression
