"""actcli smoothness against hand derivations (the expected classes and jumps of the issue)."""

from __future__ import annotations

import json
import math

import mpmath
import pytest
import sympy

from actcli.budget import Budget
from actcli.cli import main
from actcli.domain import Limit, side_limit
from actcli.expr import X
from actcli.functions import expm1, log1p, sigmoid, softplus, to_elementary
from actcli.registry import Registry
from actcli.smoothness import smoothness
from actcli.spec import class_rank
from actcli.spec_expressions import inline_spec

REGISTRY = Registry.default()
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def analyse(name, params=None, **options):
    return smoothness(REGISTRY.get(name), params, **options)


def only_point(result):
    (point,) = result.points
    return point


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("relu", "C0"),
        ("leaky_relu", "C0"),
        ("prelu", "C0"),
        ("celu", "C1"),
        ("selu", "C0"),
        ("softsign", "C1"),
        ("hardswish", "C0"),
        ("hardtanh", "C0"),
        ("binary_step", "C-1"),
        ("hardshrink", "C-1"),
        ("sigmoid", "Cinf"),
        ("gelu", "Cinf"),
        ("softplus", "Cinf"),
        ("mish", "Cinf"),
    ],
)
def test_class_at_defaults(name, expected):
    assert analyse(name).smoothness_class == expected


def test_elu_conditions():
    """f' jumps by 1 - alpha at 0 (alpha*e^0 on the left, 1 on the right); f'' by -alpha."""
    alpha = sympy.Symbol("alpha", positive=True)
    result = analyse("elu", symbolic_params=True)
    point = only_point(result)
    assert sympy.simplify(point.jumps[1] - (1 - alpha)) == 0
    assert sympy.simplify(point.jumps[2] - (-alpha)) == 0
    conditions = dict(result.conditions)
    assert conditions["C0"] == "True"
    assert conditions["C1"] == "alpha = 1"
    assert conditions["C2"] == "False"
    assert analyse("elu", {"alpha": "0.5"}).smoothness_class == "C0"
    assert analyse("elu", {"alpha": "1"}).smoothness_class == "C1"


def test_celu_c1_for_every_alpha_with_f2_jump():
    """f'' is e^(x/alpha)/alpha -> 1/alpha on the left and 0 on the right: jump -1/alpha."""
    alpha = sympy.Symbol("alpha", positive=True)
    result = analyse("celu", symbolic_params=True)
    conditions = dict(result.conditions)
    assert (conditions["C1"], conditions["C2"]) == ("True", "False")
    assert sympy.simplify(only_point(result).jumps[2] + 1 / alpha) == 0


def test_selu_at_its_constants():
    """f' jumps from lambda*alpha (~1.7581) to lambda (~1.0507); C1 iff alpha = 1."""
    point = only_point(analyse("selu"))
    assert math.isclose(float(point.left[1]), SELU_SCALE * SELU_ALPHA, rel_tol=1e-15)
    assert math.isclose(float(point.right[1]), SELU_SCALE, rel_tol=1e-15)
    assert dict(analyse("selu", symbolic_params=True).conditions)["C1"] == "alpha = 1"


@pytest.mark.parametrize(("name", "slope"), [("leaky_relu", "negative_slope"), ("prelu", "a")])
def test_leaky_is_cinf_iff_slope_one(name, slope):
    conditions = dict(analyse(name, symbolic_params=True).conditions)
    assert conditions["Cinf"] == f"{slope} = 1"
    assert analyse(name, {slope: "1"}).smoothness_class == "Cinf"


def test_softsign_second_derivative_jumps_from_2_to_minus_2():
    point = only_point(analyse("softsign"))
    assert (point.left[2], point.right[2]) == (2, -2)


def test_hardswish_kinks_at_plus_minus_3():
    """hardswish = x(x+3)/6 on [-3, 3]: f' = (2x+3)/6 is -1/2 at -3 and 3/2 at 3."""
    low, high = analyse("hardswish").points
    assert (low.x, low.left[1], low.right[1]) == (-3, 0, sympy.Rational(-1, 2))
    assert (high.x, high.left[1], high.right[1]) == (3, sympy.Rational(3, 2), 1)


def test_jump_sizes_of_discontinuous_ones():
    assert only_point(analyse("binary_step")).jumps[0] == 1
    low, high = analyse("hardshrink").points  # hardshrink(x) = x for |x| > 1/2, else 0
    assert (low.jumps[0], high.jumps[0]) == (sympy.Rational(1, 2), sympy.Rational(1, 2))
    threshold = analyse("threshold", {"threshold": "1", "value": "-2"})
    assert threshold.smoothness_class == "C-1"
    assert only_point(threshold).jumps[0] == 3  # from value -2 to x = 1


@pytest.mark.parametrize(("beta", "threshold"), [(1.0, 20.0), (10.0, 0.4)])
def test_pytorch_softplus_variant_jump(beta, threshold):
    """Returning x when beta*x > threshold jumps by log1p(exp(-threshold))/beta."""
    result = analyse("softplus", {"beta": repr(beta), "threshold": repr(threshold)})
    assert result.smoothness_class == "Cinf"
    ((name, variant),) = result.variants
    assert (name, variant.smoothness_class) == ("torch", "C-1")
    jump = float(only_point(variant).jumps[0])
    assert math.isclose(abs(jump), math.log1p(math.exp(-threshold)) / beta, rel_tol=1e-12)


def test_singularity_and_domain_end():
    assert smoothness(inline_spec("1/x")).points[0].kind == "singularity"
    assert smoothness(inline_spec("log(1 + x)")).points[0].kind == "domain"
    assert smoothness(inline_spec("x*abs(x)")).smoothness_class == "C1"


def test_a_class_from_breakpoints_found_numerically_says_so(capsys):
    """max(x - sin(x), 5) switches where x - sin(x) = 5, which SymPy cannot solve: the cut is
    located on a float64 grid, which can miss a piece narrower than its step, so the class
    (C0 here: f' jumps from 0 to 1 - cos(x) there, by hand) is labelled numeric."""
    assert main(["smoothness", "--expr", "max(x - sin(x), 5)", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["class"], data["class_found"]) == ("C0", "numeric")
    (point,) = data["points"]
    root = mpmath.findroot(lambda t: t - mpmath.sin(t) - 5, 4.15)
    assert point["x"] == pytest.approx(float(root), abs=1e-14)
    assert main(["smoothness", "--expr", "max(x - sin(x), 5)"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "expr: C0 (from points found numerically)"


def test_class_order():
    ranks = [class_rank(c) for c in ("C-1", "C0", "C1", "C>=3", "Cinf")]
    assert ranks == sorted(ranks)


def test_cli_require_and_json(capsys):
    assert main(["smoothness", "celu", "--require", "C1"]) == 0
    assert main(["smoothness", "elu", "--param", "alpha=0.5", "--require", "C1"]) == 1
    capsys.readouterr()
    assert main(["smoothness", "elu", "--symbolic-params", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["class"] == "C1" and data["max_order_checked"] == 3
    assert data["class_found"] == "symbolic"
    (point,) = data["points"]
    assert point["kind"] == "breakpoint" and point["x"] == 0.0
    assert point["jumps_exact"][:2] == ["0", "1 - alpha"]
    assert {"class": "C1", "condition": "Eq(alpha, 1)", "text": "alpha = 1"} in data["conditions"]
    assert main(["smoothness", "--expr", "log(x[i])"]) == 2  # log of a possibly negative input


@pytest.mark.parametrize(
    ("name", "expected"),
    [("softmax", "Cinf"), ("log_softmax", "Cinf"), ("softmin", "Cinf"), ("maxout", "C0")],
)
def test_vector_kinds(name, expected):
    """exp and the log of a sum of exps are analytic; max over the inputs has a gradient jump
    where two inputs tie (for x = (t, 0): d max/d t is 0 for t < 0 and 1 for t > 0)."""
    assert analyse(name).smoothness_class == expected


def test_breakpoint_sympy_cannot_solve_is_found_numerically_and_said_so():
    """max(0, g) kinks where g = x**5 + x + 1 + tanh(x) = 0, a root SymPy's solve cannot give."""
    import mpmath

    root = float(mpmath.findroot(lambda t: t**5 + t + 1 + mpmath.tanh(t), -0.5))
    result = smoothness(inline_spec("max(0, x**5 + x + 1 + tanh(x))"), max_order=1)
    assert result.smoothness_class == "C0"
    (point,) = result.points
    data = point.to_json()
    assert data["found"] == "numeric"
    assert math.isclose(data["x"], root, rel_tol=1e-13)


@pytest.mark.slow  # ~1.5 s
def test_a_condition_outside_the_real_domain_is_no_crash():
    """min(x, log(x)) is log(x) on (0, oo) (x - log(x) >= 1 there) and undefined for x <= 0,
    where its condition x <= log(x) compares a non-real number: the piece there is undefined.
    In max(x, 8) + max(log1p(x), x**2) the half-line left of 0 is probed at -1, log1p's pole,
    where the condition is not real: it is decided beside the pole, and at -0.25 f is
    8 + 1/16 (log1p(-1/4) = -0.29 < 1/16) and f' = 2x = -1/2. (Both found by generated
    expressions: internal errors, exit 70, before.)"""
    from actcli.api import evaluate, load_activation

    activation = load_activation(expression="min(x, log(x))")
    y = evaluate(activation, [-1.0, 0.5, 2.0]).y
    assert math.isnan(y[0]) and y[1] == math.log(0.5) and y[2] == math.log(2.0)
    assert smoothness(inline_spec("min(x, log(x))"), max_order=1).smoothness_class == "Cinf"
    activation = load_activation(expression="max(x, 8) + max(log1p(x), x**2)")
    assert evaluate(activation, [-0.25]).y[0] == 8.0625
    assert evaluate(activation, [-0.25], order=1).y[0] == -0.5


@pytest.mark.slow  # ~3 s: dozens of numerically found breakpoints
def test_a_kink_inside_a_piece_is_no_crash():
    """abs(max(1/x, cos(x))) at x = -1 is |cos(-1)| (1/x = -1 < cos(-1) = 0.54), so
    f'' = -cos(x)*sign(cos(x)) = -cos(1) there; SymPy's diff writes DiracDelta(cos(x)) for
    the kinks of |cos| inside the piece, which the compiled code reads as 0 away from them
    and nan on them (it was a NameError: exit 70 in properties)."""
    import numpy as np

    from actcli.api import evaluate, load_activation
    from actcli.generated import is_generated_source
    from actcli.numeric import dirac_delta

    activation = load_activation(expression="abs(max(1/x, cos(x)))")
    assert evaluate(activation, [-1.0], order=2).y[0] == pytest.approx(-math.cos(1.0), rel=1e-15)
    assert np.array_equal(
        dirac_delta(np.array([0.0, -0.0, 1e-300, -2.0, math.inf, math.nan])),
        [math.nan, math.nan, 0.0, 0.0, 0.0, math.nan],
        equal_nan=True,
    )
    assert is_generated_source("def _lambdifygenerated(x):\n    return DiracDelta(cos(x))\n")


def test_numeric_roots_are_found_where_the_values_underflow_or_vanish_on_the_grid():
    """exp(-x) - x is 0 at the omega constant W(1) = 0.567143290409783872999968...;
    exp(-700)*(x - 1/3) takes values near 1e-305, whose products underflow to 0 (the sign
    change must still count); x - tanh(x) is 0 at a grid point itself, 0, and u - tanh(u)
    at u = x - 3/7 has a triple root, which bisection finds only to ~1e-5: both are exact
    rationals where the expression is exactly 0 (as 1/3 is), omega stays a Float (numeric)."""
    import mpmath
    import sympy

    from actcli.expr import X
    from actcli.pieces import numeric_roots

    (omega,) = numeric_roots(sympy.exp(-X) - X)
    assert math.isclose(float(omega), float(mpmath.lambertw(1).real), rel_tol=1e-15)
    assert isinstance(omega, sympy.Float)
    assert numeric_roots(sympy.exp(-700) * (X - sympy.Rational(1, 3))) == [sympy.Rational(1, 3)]
    assert numeric_roots(X - sympy.tanh(X)) == [0]
    u = X - sympy.Rational(3, 7)
    assert numeric_roots(u - sympy.tanh(u)) == [sympy.Rational(3, 7)]


@pytest.mark.parametrize(
    ("expression", "where"),
    [
        ("1/cos(1/x)", "near x = 0"),  # poles at 1/(pi/2 + k pi), accumulating at 0
        ("x/cos(1/(x - 3))", "near x = 3"),
        ("1/cos(x/1000)", "as x -> oo"),  # poles at 1000 (pi/2 + k pi), none in [-1e3, 1e3]
    ],
)
def test_infinitely_many_poles_are_refused_not_missed(run_actcli, expression, where):
    """Poles that accumulate at a point, or lie too far apart for the numeric search window,
    are infinitely many: no finite list of cut points describes the function, so smoothness and
    properties refuse it (exit 2) instead of reporting Cinf and a bounded range, as they did
    from the poles they found. eval still works: 1/cos(1/x) at 0.5 is 1/cos(2)."""
    for command in ("smoothness", "properties"):
        code, out, err = run_actcli(command, "--expr", expression)
        assert code == 2 and out == "", err
        assert f"vanishes infinitely often {where}" in err
    code, out, err = run_actcli("eval", "--expr", "1/cos(1/x)", "--", "0.5")
    assert code == 0 and float(out) == pytest.approx(1 / math.cos(2.0), rel=1e-15)


def test_poles_that_accumulate_outside_a_piece_are_no_refusal(run_actcli):
    """heaviside(x - 1)/cos(1/x) uses 1/cos(1/x) only for x > 1, where 1/x lies in (0, 1) and
    cos(1/x) in (cos 1, 1): no pole there; f is 0 left of 1 and jumps to 1/cos(1) at 1 (C-1),
    derived by hand."""
    expression = "heaviside(x - 1)/cos(1/x)"
    code, out, err = run_actcli("smoothness", "--expr", expression, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["class"] == "C-1"
    (point,) = data["points"]
    assert point["x"] == 1.0 and point["jumps"][0] == pytest.approx(1 / math.cos(1.0), rel=1e-15)


DOTTIE = 0.7390851332151606416553120876738734040134117589  # x = cos(x), published constant


def test_a_numerically_located_pole_is_a_pole(run_actcli):
    """x - cos(x) vanishes only at the Dottie number, which SymPy cannot solve for: the cut is
    found numerically, and its float is no exact zero. 1/(x - cos(x)) has a pole there (-oo on
    the left, x - cos(x) < 0, +oo on the right): C-1, not Cinf from both sides evaluated at the
    same float (2e16 each, jump 0), as it was."""
    code, out, err = run_actcli("smoothness", "--expr", "1/(x - cos(x))", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    (point,) = data["points"]
    assert data["class"] == "C-1" and point["found"] == "numeric"
    assert point["x"] == pytest.approx(DOTTIE, rel=1e-15)
    assert float(point["left"][0]) == -math.inf and float(point["right"][0]) == math.inf


@pytest.mark.parametrize(
    ("expression", "klass", "right"),
    [
        ("sqrt(x - cos(x))", "C0", 0.0),  # sqrt(u) -> 0, f' = (1 + sin x)/(2 sqrt u) -> oo
        ("log(x - cos(x))", "Cinf", -math.inf),  # real on (Dottie, oo) only
    ],
)
def test_a_numerically_located_domain_end_has_its_limits(run_actcli, expression, klass, right):
    """Where the real domain ends at the Dottie number, f's limit from inside is the limit at
    the true zero (0 for sqrt, -oo for log), not the value at the float next to it (7e-9 and
    -37.5 before), and f' is unbounded there (its float value was 1.2e8 and 3.3e16)."""
    code, out, err = run_actcli("smoothness", "--expr", expression, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    (point,) = data["points"]
    assert data["class"] == klass and point["kind"] == "domain"
    assert math.isnan(float(point["left"][0])) and float(point["right"][0]) == right
    assert float(point["right"][1]) == math.inf


@pytest.mark.slow  # sympy.limit takes 0.3-2 s for each derivative at log(e - 1)
def test_a_domain_end_through_softplus_is_exact(run_actcli):
    """log1p(-softplus(x)) is real where softplus(x) < 1, i.e. e^x < e - 1: x < log(e - 1),
    where f -> -oo; as x -> -oo, softplus -> 0+ and f -> 0-. So the range is (-oo, 0) and the
    end is exact once softplus is written out for the solver (it was a float, and the value at
    it, -36.58, was reported as the attained minimum)."""
    code, out, err = run_actcli("smoothness", "--expr", "log1p(-softplus(x))", "--format", "json")
    assert code == 0, err
    (point,) = json.loads(out)["points"]
    assert point["found"] == "symbolic" and sympy.sympify(point["x_exact"]) == sympy.log(
        sympy.E - 1
    )
    # with s = softplus(x) -> 1-, sigma = s' > 0: f' = -sigma/(1 - s) -> -oo and
    # f'' = -sigma'/(1 - s) - sigma**2/(1 - s)**2 -> -oo (two terms of one sign); beyond the
    # end f is not real, so the right side has no limits
    assert [float(v) for v in point["left"][:3]] == [-math.inf] * 3
    assert all(math.isnan(float(v)) for v in point["right"])
    code, out, err = run_actcli("properties", "--expr", "log1p(-softplus(x))", "--format", "json")
    assert code == 0, err
    (row,) = json.loads(out)["activations"]
    assert row["range"]["exact"] == "(-oo, 0)" and row["max_abs_derivative"] == "inf"


@pytest.mark.slow  # ~2 s
def test_a_multiple_root_found_numerically_is_refined(run_actcli):
    """tanh(u) - u ~ -u^3/3 has a triple root at u = 0; with u = x - 1/pi, SymPy cannot solve
    it and bisection finds it only to 3e-6 (its floats are rounding noise for |u| < 1e-5).
    Modified Newton at 120 digits puts the cut at 1/pi to the last digit, for a breakpoint and
    for a pole, whose sides go to +oo (u < 0: tanh(u) - u > 0) and -oo; it was Cinf, both sides
    evaluated at one float (-8e16, jump 0)."""
    pole = "1/(tanh(x - 1/pi) - x + 1/pi)"
    code, out, err = run_actcli("smoothness", "--expr", pole, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    (point,) = data["points"]
    assert data["class"] == "C-1" and point["x"] == pytest.approx(1 / math.pi, rel=1e-15)
    assert float(point["left"][0]) == math.inf and float(point["right"][0]) == -math.inf
    step = "heaviside(tanh(x - 1/pi) - x + 1/pi)"
    code, out, err = run_actcli("smoothness", "--expr", step, "--format", "json")
    assert code == 0, err
    (point,) = json.loads(out)["points"]
    assert point["x"] == pytest.approx(1 / math.pi, rel=1e-15) and point["jumps"][0] == -1.0


@pytest.mark.slow  # ~2 s
def test_a_reciprocal_sign_inside_a_max_is_no_crash(run_actcli):
    """max(min(cos(0.1), x^2), x/sign(x)) is |x| (x/sign(x) = |x| off 0, and |x| >= x^2 for
    |x| <= 1 while min(...) <= cos(0.1) < |x| beyond), with its kink at 0: C0. The zoo of
    1/sign(0) ended up in conditions SymPy's folding could not compare: exit 70 (a generated
    expression found it)."""
    expression = "max(min(cos(0.1), x*x), x/sign(x))"
    points = (-1000.0, -0.5, 0.1, 0.999, 3.0)
    code, out, err = run_actcli("eval", "--expr", expression, "--", *map(repr, points))
    assert code == 0, err
    assert [float(v) for v in out.split()] == [abs(x) for x in points]
    code, out, err = run_actcli("smoothness", "--expr", expression, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["class"] == "C0"


@pytest.mark.parametrize(
    ("expression", "at_zero", "class_"),
    [
        ("x/abs(x)", None, "C-1"),  # 0/0, one-sided limits -1 and 1
        ("abs(x)/x", None, "C-1"),
        ("1/sign(x)", None, "C-1"),  # 1/0, one-sided limits -1 and 1
        ("x/sign(x)", 0.0, "C0"),  # 0/0, both limits 0: |x| extended continuously
        ("heaviside(x)", 0.5, "C-1"),  # defined at 0 as written (1/2), nothing cancelled
    ],
)
def test_a_division_that_folding_cancels_stays_undefined_at_its_point(
    run_actcli, expression, at_zero, class_
):
    """Folding x/abs(x) into one Piecewise cancels x/x: the fold reads 1 on x >= 0, and eval
    printed 1 at 0, where the expression as written is 0/0 (1/sign(x) printed 0, for 1/0).
    The value at a cut point is now undefined wherever the expression as written is 0/0 or
    c/0 there; the one-sided limits (hand: -1 and 1 for x/|x| and 1/sign(x), 0 and 0 for
    x/sign(x) = |x|) decide between nan and the continuous extension."""
    code, out, err = run_actcli("eval", "--expr", expression, "--", "0", "-2", "3")
    assert code == 0, err
    values = [float(v) for v in out.split()]
    if at_zero is None:
        assert math.isnan(values[0]) and "f is undefined at x = 0.0" in err
    else:
        assert values[0] == at_zero and "undefined" not in err
    assert values[1:] == [float(sympy.sympify(expression.replace("heaviside", "Heaviside"))
                           .subs("x", v)) for v in (-2, 3)]  # fmt: skip
    code, out, _ = run_actcli("smoothness", "--expr", expression, "--format", "json")
    assert json.loads(out)["class"] == class_


@pytest.mark.parametrize(
    ("expression", "kink", "order", "left", "right", "class_"),
    [
        ("sign(log(x))", 1.0, 0, -1.0, 1.0, "C-1"),  # log(x) < 0 left of 1, > 0 right
        ("abs(sqrt(x) - 1)", 1.0, 1, -0.5, 0.5, "C0"),  # (sqrt x)' = 1/(2 sqrt x) = 1/2 at 1
        ("abs(log(x))", 1.0, 1, -1.0, 1.0, "C0"),  # (log x)' = 1/x = 1 at 1
        ("abs(x*sqrt(x + 1))", 0.0, 1, -1.0, 1.0, "C0"),  # (x sqrt(x+1))' = sqrt(1) at 0
    ],
)
def test_abs_and_sign_of_an_argument_real_only_on_the_domain_have_their_kinks(
    run_actcli, expression, kink, order, left, right, class_
):
    """SymPy rewrites abs(u) and sign(u) as a Piecewise only where it knows u real, which it
    does not for log(x) or sqrt(x) - 1: their kinks went unseen (sign(log(x)) was Cinf) and
    `eval --order 1` crashed (exit 70: an unevaluated Derivative, a complex-valued abs'). The
    one-sided limits at the kink, by hand beside each case, and eval's nan there."""
    code, out, err = run_actcli("smoothness", "--expr", expression, "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert result["class"] == class_
    (point,) = [p for p in result["points"] if p["x"] == kink]
    assert point["left"][order] == pytest.approx(left, rel=1e-12)
    assert point["right"][order] == pytest.approx(right, rel=1e-12)
    code, out, err = run_actcli("eval", "--expr", expression, "--order", "1", "--", "0.5", "1", "2")
    assert code == 0, err
    assert math.isnan(float(out.split()[1])) and "does not exist at x = 1.0" in err or kink != 1


def test_the_derivative_of_sign_of_a_real_power_is_zero_not_a_crash(run_actcli):
    """sign(x**(3/2)) is 1 for x > 0 (and undefined for x < 0): its derivative there is 0;
    `eval --order 1` exited 70 (SymPy's unevaluated Derivative reached the printer)."""
    code, out, err = run_actcli(
        "eval", "--expr", "sign(sqrt(x)*x)", "--order", "1", "--", "0.5", "2"
    )
    assert code == 0, err
    assert [float(v) for v in out.split()] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("expression", "f", "f_prime"),
    [
        # heaviside is 0 left of its step: x/0 and 1/0 there (undefined), 1/2 at it, 1 right
        ("x/heaviside(x)", ["nan", "0.0", "1.0", "2.0"], ["nan", "1.0", "1.0", "1.0"]),
        ("1/heaviside(x - 1)", ["nan", "nan", "2.0", "1.0"], ["nan", "nan", "nan", "0.0"]),
    ],
)
def test_a_division_by_a_step_is_undefined_where_the_step_is_0(run_actcli, expression, f, f_prime):
    """Folding x/heaviside(x) gives a zoo*x branch for x < 0, which no printer could name
    (eval exited 70: KeyError 'ComplexInfinity'); 1/heaviside(x - 1)'s zoo branch has the
    derivative 0, which eval printed where f is undefined. Points -1, 0, 1, 2 (hand values
    beside each case); f' at 1 in the second case is nan: f jumps from undefined to 2 to 1."""
    for order, want in ((0, f), (1, f_prime)):
        code, out, err = run_actcli(
            "eval", "--expr", expression, "--order", str(order), "--", "-1", "0", "1", "2"
        )
        assert code == 0, err
        assert out.split() == want


@pytest.mark.parametrize(
    ("expression", "point", "direction", "expected"),
    [
        # -1 * x**-2 * (2 + cos x): a negative constant, +oo and 3: -oo
        ("-(2 + cos(x))/x**2", "0", "+", "-oo"),
        # the sum of two terms that go to -oo from below log(e - 1) (see above): -oo
        (
            "-1/((1 + exp(-x))*(1 - log(1 + exp(x)))) - 1/((1 + exp(-x))*(1 - log(1 + exp(x))))**2",
            "log(E - 1)",
            "-",
            "-oo",
        ),
        # 0*oo and oo - oo are left to SymPy's limit of the whole: x*log(x) -> 0, and
        # 1/x - 1/sin(x) = -x/6 + O(x**3) -> 0, its derivative -> -1/6 (hand series)
        ("x*log(x)", "0", "+", "0"),
        ("1/x - 1/sin(x)", "0", "-", "0"),
        ("-1/x**2 + cos(x)/sin(x)**2", "0", "+", "-1/6"),
    ],
)
def test_one_sided_limits_by_the_algebra_of_limits(expression, point, direction, expected):
    """A sum or product's limit comes from its parts' where that is determinate (fast), and
    from SymPy's limit of the whole where it is not (no verdict from an indeterminate form)."""
    parsed = sympy.sympify(expression, locals={"x": X})
    limit = side_limit(parsed, sympy.sympify(point), direction, Budget(30))
    if expected in ("oo", "-oo"):
        assert limit.kind == expected
    else:
        assert limit.kind == "value" and sympy.simplify(limit.value - sympy.Rational(expected)) == 0


@pytest.mark.parametrize(
    ("expression", "point", "direction", "expected"),
    [
        # softplus rises to 1 as x -> log(e - 1)-, so -softplus -> -1 from above: log1p -> -oo
        ("log1p(-softplus(x))", "log(E - 1)", "-", "-oo"),
        # sin(x) -> 0+ as x -> pi- (sin > 0 on (0, pi); its slope there is cos(pi) = -1)
        ("log(sin(x))", "pi", "-", "-oo"),
        # 1 - e**x -> 0- as x -> 0+: an odd negative power -> -oo, an even one +oo
        ("(1 - exp(x))**(-3)", "0", "+", "-oo"),
        ("(1 - exp(x))**(-2)", "0", "+", "oo"),
        ("1/(1 - exp(x))", "0", "-", "oo"),
        # the slope of x**2 vanishes at 0: no sign from it, SymPy's limit decides
        ("log(x**2)", "0", "+", "-oo"),
        # an exponent that is negative but tends to 0 is no negative power: x**(-e**(-1/x**2))
        # = exp(-e**(-1/x**2)*log(x)) -> exp(0) = 1 (e**(-1/x**2) beats log(x))
        ("x**(-exp(-1/x**2))", "0", "+", "1"),
    ],
)
def test_one_sided_limits_at_the_end_of_a_domain(expression, point, direction, expected):
    """log(u), log1p(u) and u**p (p < 0) where u tends to 0 (log1p: -1) at the point: the sign
    of u'(point) says from which side, which decides the limit without SymPy's (1.5 s for
    the first, and it ran out of time on a loaded machine)."""
    parsed = sympy.sympify(expression, locals={"x": X, "log1p": log1p, "softplus": softplus})
    limit = side_limit(parsed, sympy.sympify(point), direction, Budget(30))
    if expected in ("oo", "-oo"):
        assert limit.kind == expected
    else:
        assert limit.kind == "value" and limit.value == sympy.Integer(expected)


@pytest.mark.parametrize(
    ("expression", "order", "expected"),
    [
        # x/(e**x - 1) = sum B_n x**n/n!, so its n-th derivative at 0 is B_n: 1/6, 0, -1/30
        ("x/expm1(x)", 2, "1/6"),
        ("x/expm1(x)", 3, "0"),
        ("x/expm1(x)", 4, "-1/30"),
        # sin(x)/x = 1 - x**2/6 + x**4/120 - ...: f''(0) = -1/3, f''''(0) = 24/120 = 1/5
        ("sin(x)/x", 2, "-1/3"),
        ("sin(x)/x", 4, "1/5"),
        # sin(pi*x)/(x - 1) at 1: the numerator's slope pi*cos(pi) = -pi over 1
        ("sin(pi*x)/(x - 1)", 0, "-pi"),
        # a removable 0/0 inside a function: x/sin(x) = 1 + x**2/6 + 7x**4/360 + ..., so
        # expm1(x/sin(x)) = e*exp(x**2/6 + 7x**4/360 + ...) - 1 = (e - 1) + e*x**2/6 +
        # e*(7/360 + 1/72)*x**4 + ...: f = e - 1, f' = 0, f'' = e/3, f''' = 0 (f'''' = 4e/5:
        # test_user_accuracy, from the definition's series; its terms have poles apart)
        ("expm1(x/sin(x))", 0, "E - 1"),
        ("expm1(x/sin(x))", 1, "0"),
        ("expm1(x/sin(x))", 2, "E/3"),
        ("expm1(x/sin(x))", 3, "0"),
    ],
)
def test_a_removable_singularity_has_its_taylor_coefficient_as_limit(expression, order, expected):
    """At a 0/0 of N/D with N and D analytic, the limit is N^(k)/D^(k) at the point for the
    first k where D^(k) is not 0 (l'Hopital's rule; hand values from the Taylor series in
    the comments). SymPy's limit of f''' of x/expm1(x) took 2 s, beyond its time: the class
    of x/expm1(x) came out C>=2, not Cinf."""
    parsed = sympy.sympify(expression, locals={"x": X, "expm1": expm1})
    point = sympy.Integer(1 if "x - 1" in expression else 0)
    derivative = sympy.diff(parsed, X, order)
    for direction in "+-":
        limit = side_limit(derivative, point, direction, Budget(30))
        assert limit.kind == "value", (direction, limit)
        assert sympy.simplify(limit.value - sympy.sympify(expected)) == 0, (direction, limit)


def test_x_over_expm1_is_smooth_at_its_removable_point(run_actcli):
    code, out, err = run_actcli("smoothness", "--expr", "x/expm1(x)", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["class"] == "Cinf"
    (point,) = data["points"]
    assert point["left_exact"] == point["right_exact"] == ["1", "-1/2", "1/6", "0"]


def test_a_derivatives_limit_comes_from_the_definitions_series_where_its_terms_blow_up():
    """f'''' of expm1(x/sin(x)) is a sum of terms with poles at 0 that only the sum cancels:
    no rule of side_limit takes it apart, and SymPy's limit ran out of time. Told that it is
    the 4th derivative of f, side_limit reads it off f's Taylor series (Arb's, the 0/0 of
    x/sin(x) divided through): 4! * e/30 = 4e/5 by hand (x/sin(x) = 1 + x**2/6 + 7x**4/360,
    so expm1 of it has x**4 coefficient e*(7/360 + 1/72) = e/30), from both sides."""
    f = expm1(X / sympy.sin(X))
    derivative = sympy.diff(f, X, 4)
    for direction in "+-":
        limit = side_limit(derivative, sympy.Integer(0), direction, Budget(0), derivative_of=(f, 4))
        assert limit.kind == "value", limit
        assert abs(limit.value - 4 * sympy.E / 5) < sympy.Float("1e-28", 40)


def test_a_settled_factor_keeps_its_sign_when_the_rest_diverges():
    """-3*sin(x)/x**2 at 0: the factors' limits -3, 0 and oo are 0*oo, so -3 (finite, nonzero)
    is taken out and sin(x)/x**2 judged whole: +oo from the right and -oo from the left (sin(x)
    ~ x), so the product is -oo and +oo (by hand)."""
    expression = -3 * sympy.sin(X) / X**2
    assert side_limit(expression, sympy.Integer(0), "+", Budget(30)).kind == "-oo"
    assert side_limit(expression, sympy.Integer(0), "-", Budget(30)).kind == "oo"


def test_pieces_that_differ_by_an_unsimplified_zero_are_joined_smoothly(tmp_path):
    """Left x - 1 + (tanh(log 2) - 3/5), right x - 1 + (erf(1) + erfc(1) - 1)*x: both are
    x - 1 by hand (tanh(log 2) = 3/5, erf + erfc = 1), so f is Cinf at 1 with every jump 0.
    SymPy's N reads such zeros as one-bit Floats; the jumps printed -0.0."""
    from actcli.spec_file import load_spec

    path = tmp_path / "zero_jump.yaml"
    path.write_text(
        "name: zero_jump\ntitle: t\nkind: scalar\nreferences: [hand]\n"
        "definition:\n  piecewise:\n"
        '    - {when: "x <= 1", value: "tanh(log(2)) - 3/5 + (x - 1)"}\n'
        '    - {otherwise: "x - 1 + (erf(1) + erfc(1) - 1)*x"}\n'
    )
    result = smoothness(load_spec(path)).to_json()
    assert result["class"] == "Cinf"
    (point,) = result["points"]
    assert point["left"][:2] == point["right"][:2] == [0.0, 1.0]
    assert all(str(jump) == "0.0" for jump in point["jumps"])


def test_a_breakpoint_solved_numerically_beyond_100_is_found(tmp_path):
    """The piece x - sin(x) > 150 starts at the root of x - sin(x) = 150, 149.0208903
    (mpmath's findroot, below), past the [-100, 100] where numeric roots were looked for:
    the piece was dropped, so eval gave 200**2 at x = 200 where f is 0, and f was Cinf."""
    from actcli.api import evaluate, load_activation
    from actcli.spec_file import load_spec

    path = tmp_path / "late_cut.yaml"
    path.write_text(
        """name: late_cut
title: x**2 cut to 0 where x - sin(x) > 150
kind: scalar
definition:
  piecewise:
    - {when: "x - sin(x) > 150", value: "0"}
    - {otherwise: "x**2"}
references: ["hand"]
"""
    )
    root = float(mpmath.findroot(lambda x: x - mpmath.sin(x) - 150, 149))
    assert list(evaluate(load_activation(str(path)), [100.0, 148.0, 150.0, 200.0]).y) == [
        1e4,
        148.0**2,
        0.0,
        0.0,
    ]
    result = smoothness(load_spec(path), {})
    assert result.smoothness_class == "C-1"
    assert [float(p.x) for p in result.points] == pytest.approx([root], abs=1e-12)


def test_a_piece_narrower_than_the_root_grid_is_found(tmp_path):
    """(x - sin(x) - 10)**2 < 1e-6 holds between the roots of x - sin(x) = 10 -+ 1e-3
    (mpmath's findroot, below), 1.02e-3 apart: no sign change on the 1e-3 grid shows them,
    and SymPy's solve returns no solution at all (solveset: a ConditionSet). The piece was
    lost: eval gave 94.37 at 9.7144 where f is 0, and f was proven Cinf."""
    from actcli.api import evaluate, load_activation
    from actcli.spec_file import load_spec

    path = tmp_path / "narrow.yaml"
    path.write_text(
        "name: narrow\ntitle: t\nkind: scalar\nreferences: [hand]\n"
        "definition:\n  piecewise:\n"
        '    - {when: "(x - sin(x) - 10)**2 < 1e-6", value: "0"}\n'
        '    - {otherwise: "x**2"}\n'
    )
    with mpmath.workdps(30):
        roots = [
            float(mpmath.findroot(lambda x, c=c: x - mpmath.sin(x) - 10 - c, 9.714))
            for c in (mpmath.mpf("-0.001"), mpmath.mpf("0.001"))
        ]
    inside = (roots[0] + roots[1]) / 2
    outside = [roots[0] - 1e-4, roots[1] + 1e-4]
    y = evaluate(load_activation(str(path)), [inside, *outside]).y
    assert list(y) == [0.0, outside[0] ** 2, outside[1] ** 2]
    result = smoothness(load_spec(path), {})
    assert result.smoothness_class == "C-1"
    assert [float(p.x) for p in result.points] == pytest.approx(roots, abs=1e-13)


def test_a_root_solve_leaves_out_is_added(tmp_path):
    """exp(x) - x - 2 = 0 at x = -2 - W0(-e**-2) = -1.8414 and -2 - W-1(-e**-2) = 1.1462
    (the two real branches of Lambert's W, by hand from (x + 2)e**-(x + 2) = e**-2); SymPy's
    solve lists the first only. eval stopped with a NameError (LambertW in the generated
    source) and the second cut was missing."""
    from actcli.api import evaluate, load_activation
    from actcli.spec_file import load_spec

    path = tmp_path / "lambert_cut.yaml"
    path.write_text(
        "name: lambert_cut\ntitle: t\nkind: scalar\nreferences: [hand]\n"
        "definition:\n  piecewise:\n"
        '    - {when: "exp(x) - x - 2 > 0", value: "x"}\n'
        '    - {otherwise: "0"}\n'
    )
    w = -mpmath.exp(-2)
    roots = [float(-2 - mpmath.lambertw(w, k)) for k in (0, -1)]
    points = [roots[0] - 1e-9, roots[0] + 1e-9, 0.0, roots[1] - 1e-9, roots[1] + 1e-9]
    y = evaluate(load_activation(str(path)), points).y
    assert list(y) == [points[0], 0.0, 0.0, 0.0, points[4]]
    result = smoothness(load_spec(path), {})
    assert [float(p.x) for p in result.points] == pytest.approx(roots, abs=1e-13)


@pytest.mark.parametrize(
    "expression, order, left, right",
    [
        # f' = 1/(1 + x**2) - 1/(1 + x**2) = 0 for x != 0, so every f^(k), k >= 1, is 0 on
        # both sides; SymPy's limit of f'' (three terms, each +-oo) did not end in time
        ("atan(x) + atan(1/x)", 2, 0, 0),
        # sqrt(1 - exp(-x**2)) = |x|*sqrt(1 - x**2/2 + ...) = |x| - |x|**3/4 + ..., so f''' is
        # 3!/4 = 3/2 from the left and -3/2 from the right (by hand, from exp's series)
        ("sqrt(1 - exp(-x**2))", 3, sympy.Rational(3, 2), sympy.Rational(-3, 2)),
        # sqrt(x**2 + x**3) = |x|*(1 + x/2 - x**2/8 + ...) (x >= -1): f'' is -1 from the left
        # and 1 from the right
        ("sqrt(x**2 + x**3)", 2, -1, 1),
    ],
)
def test_one_sided_limits_that_only_the_series_settles(expression, order, left, right):
    """The one-sided limits of f^(k) at 0 from f's series on each side (x = -+h, h > 0): the
    first two printed nan (the class still right)."""
    from actcli.api import smoothness as smoothness_of

    (point,) = [p for p in smoothness_of(expression=expression).points if p.x == 0]
    assert (point.left[order], point.right[order]) == (left, right)


def _spec_file(
    tmp_path, name: str, when: str, value: str, otherwise: str, domain: str = '"(0, oo)"'
) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"name: {name}\ntitle: t\nkind: scalar\nreferences: [hand]\n"
        f"parameters:\n  a: {{default: 2, domain: {domain}}}\n"
        "definition:\n  piecewise:\n"
        f'    - {{when: "{when}", value: "{value}"}}\n'
        f'    - {{otherwise: "{otherwise}"}}\n'
    )
    return str(path)


def _conditions(path: str) -> dict[str, str]:
    from actcli.api import smoothness as smoothness_of

    return dict(smoothness_of(path, symbolic_params=True).conditions)


def test_a_power_with_a_symbolic_exponent_has_its_classes_by_the_exponent(tmp_path):
    """x**a for x > 0, 0 else (a > 0): f^(k) = a(a-1)...(a-k+1) x**(a-k) tends to 0 from the
    right when a > k, to k! when a = k and to +-oo below (by hand), against 0 on the left:
    C_k iff a > k (Cinf for no a, which the orders checked cannot show: unknown).
    Substitution gave 0**(a - 1) = nan: the conditions were False."""
    path = _spec_file(tmp_path, "power_a", "x > 0", "x**a", "0")
    conditions = _conditions(path)
    assert conditions == {
        "C0": "True",
        "C1": "a > 1",
        "C2": "a > 2",
        "C3": "a > 3",
        "Cinf": "unknown",
    }


def test_a_domain_end_of_an_inactive_branch_is_no_point(tmp_path):
    """sqrt(x/a) is active only for x > a > 0; at x = 0 the other branch (1 + x/a)/2 holds,
    which contains x/a but no root of it. The spurious domain point at 0 made every condition
    False; at x = a both pieces are 1 with slope 1/(2a), and f'' jumps by -1/(4a**2) (by hand):
    C1 for every a, not C2."""
    from actcli.api import smoothness as smoothness_of

    path = _spec_file(tmp_path, "root_a", "x > a", "sqrt(x/a)", "(1 + x/a)/2")
    result = smoothness_of(path, symbolic_params=True)
    assert [str(p.x) for p in result.points] == ["a"]
    assert dict(result.conditions) == {
        "C0": "True",
        "C1": "True",
        "C2": "False",
        "C3": "False",
        "Cinf": "False",
    }


def test_pieces_that_become_one_function_are_cinf_only_there(tmp_path):
    """a*x for x > 0, x else: one analytic function exactly when a = 1 (by hand)."""
    path = _spec_file(tmp_path, "slope_a", "x > 0", "a*x", "x")
    assert set(_conditions(path).values()) == {"True", "a = 1"}
    assert _conditions(path)["Cinf"] == "a = 1"


def test_a_long_jump_that_is_not_a_number_renders_as_text():
    """The table form printed a jump longer than 24 characters by its number, with a format
    that fails on "nan" (an internal error)."""
    from actcli.render import _smoothness_lines

    data = {
        "activation": "t",
        "params": {},
        "params_exact": {},
        "class": "C0",
        "class_found": "symbolic",
        "points": [
            {
                "x_exact": "0",
                "kind": "breakpoint",
                "found": "symbolic",
                "left_exact": ["0"],
                "right_exact": ["0"],
                "jumps_exact": ["Piecewise((0, a > 1), (nan, True))"],
                "left": [0.0],
                "right": [0.0],
                "jumps": ["nan"],
            }
        ],
        "note": "",
        "conditions": [],
    }
    lines = _smoothness_lines(data, "")
    assert lines[-1].endswith("jump nan")


@pytest.mark.parametrize(
    ("expression", "point", "vanishes"),
    [
        # a polynomial times what decays like e**(c*x**n): 0 (gelu_tanh and gelu at -oo)
        ("x*(tanh(sqrt(2)*(8943*x**3/200000 + x)/sqrt(pi)) + 1)/2", "-oo", True),
        ("x*(erf(sqrt(2)*x/2) + 1)/2", "-oo", True),
        ("x**5*exp(x) + x**2*sigmoid(3*x - 1)", "-oo", True),
        ("(x**3 + 1)/(x - 2)*erfc(x)**2", "oo", True),
        ("x*(1 - tanh(x))", "oo", True),
        # exponents that grow at that end, an odd power's sign, a factor of other growth
        ("x*exp(-x)", "-oo", False),
        ("exp(x + x**2)", "-oo", False),
        ("x*exp(-x**3)", "-oo", False),
        ("exp(exp(x))*exp(-x)", "oo", False),
        ("exp(x)*(x**2 + 1)", "oo", False),
        # bounded factors beside the decay (f' of gelu_tanh and of mish at -oo, by terms)
        ("x*(1 - tanh(x**3 + x)**2)*(3*x**2 + 1)", "-oo", True),
        ("x*(1 - tanh(log(exp(x) + 1))**2)*exp(x)/(exp(x) + 1)", "-oo", True),
        ("x*(1 - tanh(x**3 + x)**2)*(3*x**2 + 1)", "oo", True),
        ("sqrt(x)*atan(x)*exp(-x)", "oo", True),
        ("x*log(x)*exp(-x)", "oo", False),
    ],
)
def test_an_exponential_decay_beats_a_polynomial_at_infinity(expression, point, vanishes):
    """The rule that decides these without SymPy's limit (1-3 s for gelu_tanh) says 0 exactly
    where SymPy's limit (gruntz, the second method) says 0, and nothing elsewhere."""
    from actcli.domain import _without_vanishing_terms

    parsed = sympy.sympify(expression, locals={"x": X, "sigmoid": sigmoid})
    at = sympy.sympify(point)
    assert (_without_vanishing_terms(parsed, at) == 0) is vanishes
    if vanishes:  # SymPy's limit for the truth (gruntz), and side_limit takes the term out
        assert sympy.limit(to_elementary(parsed), X, at) == 0
        assert side_limit(parsed, at, "+", Budget(30)) == Limit("value", 0)


@pytest.mark.parametrize(
    ("value", "otherwise", "domain", "expected"),
    [
        # x**a against 0 with a of any sign: 0**a is 0 for a > 0, 1 at a = 0, oo below (the
        # value 0**a was taken as a number: every condition False)
        ("x**a", "0", "real", {"C0": "a > 0", "C1": "a > 1", "C2": "a > 2"}),
        # |x|**a written by sides: f' = a|x|**(a - 1) -> +-oo on both sides for a < 1, which
        # is no jump but no f' either (C1 iff True was printed); f'' finite from a = 2 (x**2
        # at a = 2); Cinf only for even integers, which no list of solutions gives
        ("x**a", "(-x)**a", '"(0, oo)"', {"C1": "a > 1", "C2": "a >= 2", "Cinf": "unknown"}),
        ("x**a", "-(-x)**a", '"(0, oo)"', {"C1": "a >= 1"}),
        # identities at a = 1 that the jumps alone do not show (by hand: sinh, tanh written out)
        ("a*sinh(x)", "(exp(x) - exp(-x))/2", "real", {"C1": "a = 1", "Cinf": "a = 1"}),
        ("a*tanh(x)", "(exp(2*x) - 1)/(exp(2*x) + 1)", "real", {"Cinf": "a = 1"}),
        # a log beside the power: SymPy's limit raised "not sure of sign of a - 2" (exit 70);
        # no rule takes these limits, so the conditions are unknown
        ("x**a*log(x)", "0", '"(0, oo)"', {"C1": "unknown", "C2": "unknown"}),
    ],
)
def test_symbolic_conditions_by_hand(tmp_path, value, otherwise, domain, expected):
    path = _spec_file(tmp_path, "family", "x > 0", value, otherwise, domain)
    conditions = _conditions(path)
    assert {k: conditions[k] for k in expected} == expected


def test_a_condition_true_everywhere_is_no_plateau_of_roots(tmp_path):
    """sigmoid(x) < 1 holds for every real x (by hand: sigmoid(x) = 1/(1 + e**-x) < 1); in
    float64 sigmoid(x) - 1 is exactly 0 beyond x = 37, and each of those grid points was
    taken for a root and refined with mpmath: eval ran for minutes. f is x everywhere."""
    from actcli.api import evaluate, load_activation
    from actcli.spec_file import load_spec

    path = tmp_path / "plateau.yaml"
    path.write_text(
        "name: plateau\ntitle: t\nkind: scalar\nreferences: [hand]\n"
        "definition:\n  piecewise:\n"
        '    - {when: "sigmoid(x) < 1", value: "x"}\n'
        '    - {otherwise: "0"}\n'
    )
    assert list(evaluate(load_activation(str(path)), [-5.0, 30.0, 50.0]).y) == [-5.0, 30.0, 50.0]
    assert smoothness(load_spec(path), {}).smoothness_class == "Cinf"


@pytest.mark.parametrize(
    ("when", "value", "otherwise", "expected"),
    [
        # W(1)*e**W(1) = 1 defines W(1) = 0.567...: f is 0 there, beside limits W(1): C-1
        ("x*exp(x) != 1", "x", "0", "C-1"),
        # e**-W(1) = W(1) (the same identity): both pieces meet at W(1), slopes -W(1) and 1
        ("x*exp(x) > 1", "x", "exp(-x)", "C0"),
    ],
)
def test_a_breakpoint_solved_by_lambert_w_has_its_exact_value(
    tmp_path, when, value, otherwise, expected
):
    """SymPy left x*exp(x) != 1 undecided at x = LambertW(1), numbers took it for true, and
    it could not prove exp(-LambertW(1)) = LambertW(1): f was said to be Cinf, and C-1."""
    from actcli.spec_file import load_spec

    path = tmp_path / "lambert.yaml"
    path.write_text(
        "name: lambert\ntitle: t\nkind: scalar\nreferences: [hand]\n"
        "definition:\n  piecewise:\n"
        f'    - {{when: "{when}", value: "{value}"}}\n'
        f'    - {{otherwise: "{otherwise}"}}\n'
    )
    assert smoothness(load_spec(path), {}).smoothness_class == expected


def test_cuts_real_only_for_some_parameters_leave_the_conditions_unknown(tmp_path):
    """exp(x) - x = a has two real roots, -a - W0(-e**-a) and -a - W-1(-e**-a), for a > 1
    (by hand from (x + a)e**-(x + a) = e**-a; mpmath's lambertw for their values at a = 2)
    and none for a < 1, where f is 1 everywhere: no condition holds for every a, so with
    --symbolic-params they are unknown (C0 iff False was printed); at a = 2 both cuts."""
    from actcli.api import smoothness as smoothness_of

    path = _spec_file(tmp_path, "lambert_a", "exp(x) - x > a", "1", "0")
    conditions = _conditions(path)
    assert set(conditions.values()) == {"unknown"}
    result = smoothness_of(path, params={"a": "2"})
    w = -mpmath.exp(-2)
    assert sorted(float(p.x) for p in result.points) == pytest.approx(
        [float(-2 - mpmath.lambertw(w, k)) for k in (0, -1)]
    )
    assert result.smoothness_class == "C-1"


@pytest.mark.parametrize("default", ["1/2", "2"])
def test_cuts_that_exist_for_some_parameters_only_leave_the_conditions_unknown(tmp_path, default):
    """exp(x) - x >= 1 (its minimum, at 0), so for a < 1 the condition exp(x) - x > a always
    holds and f = exp(x) - x is Cinf, while for a > 1 there are two cuts where f' jumps
    (f = a beyond them): C0 and not C1 (by hand). At the default a = 1/2 SymPy's solution
    -a - W(-exp(-a)) is not real, no cut was seen, and "C1 iff True" was printed."""
    path = tmp_path / "some_a.yaml"
    path.write_text(
        "name: some_a\ntitle: t\nkind: scalar\nreferences: [hand]\n"
        f"parameters:\n  a: {{default: {default}, domain: real}}\n"
        "definition:\n  piecewise:\n"
        '    - {when: "exp(x) - x > a", value: "exp(x) - x"}\n'
        '    - {otherwise: "a"}\n'
    )
    assert set(_conditions(str(path)).values()) == {"unknown"}


def test_a_cut_solve_cannot_express_in_the_parameters_leaves_the_conditions_unknown(tmp_path):
    """x**5 + x = a has one real root (x**5 + x increases), which SymPy's solve cannot write in
    a: it returned no solution, and with no breakpoint every condition was True, though f
    jumps there for every a > 0 but one (a*r against r**2 at the root r: equal iff r = a,
    i.e. a**5 = 0). At a = 3/2 the cut is where mpmath's findroot puts it; the class is
    C-1. Both crashed (CRootOf had no name in the mpmath screen of proofs)."""
    from actcli.api import smoothness as smoothness_of

    path = _spec_file(tmp_path, "quintic", "x**5 + x > a", "x**2", "a*x")
    assert set(_conditions(path).values()) == {"unknown"}
    result = smoothness_of(path, params={"a": "3/2"})
    root = float(mpmath.findroot(lambda t: t**5 + t - mpmath.mpf(3) / 2, 0.9))
    assert [float(p.x) for p in result.points] == pytest.approx([root], abs=1e-13)
    assert result.smoothness_class == "C-1"


def test_a_bounded_function_of_a_complex_argument_is_not_bounded():
    """cos(x*sqrt(x)) is cosh(|x|**1.5) for x < 0 (sqrt(x) = i*sqrt(|x|)): times exp(x) it
    grows without bound (mpmath: 1.2e9 at -10), and was dropped as a vanishing term."""
    from actcli.domain import _without_vanishing_terms

    expression = sympy.cos(X * sympy.sqrt(X)) * sympy.exp(X)
    assert _without_vanishing_terms(expression, -sympy.oo) is None
    with mpmath.workdps(30):
        value = mpmath.cos(mpmath.mpf(-10) * mpmath.sqrt(mpmath.mpf(-10))) * mpmath.exp(-10)
    assert abs(value) > 1e9
