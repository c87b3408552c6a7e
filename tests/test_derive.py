"""`actcli derive`: exact derivatives held to derivations written in this file.

Expected results are hand derivations (SymPy expressions typed in from the mathematics), or, for
the activations outside the core set, SymPy's differentiation of the pieces of f as written here
from the papers (never actcli's parsed spec). Every case is also checked numerically against
mpmath's differentiation of the independent references in tests/reference.py, at 50 digits.
Nothing is pasted from actcli's output.
"""

from __future__ import annotations

import functools
import json
import math
import shutil
import subprocess
from pathlib import Path

import mpmath
import pytest
import reference
import sympy
from sympy import Rational, erf, exp, log, oo, pi, sqrt, tanh

from actcli import api
from actcli.cli import main
from actcli.errors import UsageError
from actcli.functions import sigmoid

# -- symbols (matched to actcli's by name) ---------------------------------------------------

x = sympy.Symbol("x", real=True)
y = sympy.Symbol("y", real=True)
_POSITIVE = ("alpha", "beta", "scale", "negative_slope", "lower", "upper")
_NONNEGATIVE = ("lambd",)
_REAL = ("a", "min_val", "max_val", "threshold", "value")
SYM = {
    **{name: sympy.Symbol(name, positive=True) for name in _POSITIVE},
    **{name: sympy.Symbol(name, nonnegative=True) for name in _NONNEGATIVE},
    **{name: sympy.Symbol(name, real=True) for name in _REAL},
    "x": x,
    "y": y,
}
alpha, beta, scale, ns = SYM["alpha"], SYM["beta"], SYM["scale"], SYM["negative_slope"]
lambd, a_, lower, upper = SYM["lambd"], SYM["a"], SYM["lower"], SYM["upper"]
min_val, max_val, thr, value = SYM["min_val"], SYM["max_val"], SYM["threshold"], SYM["value"]

# PyTorch's defaults (actcli's for threshold), exact. SELU's constants as printed in the paper.
SELU_ALPHA = Rational("1.6732632423543772848170429916717")
SELU_SCALE = Rational("1.0507009873554804934193349852946")
DEFAULTS: dict[str, dict[str, sympy.Rational]] = {
    "elu": {"alpha": Rational(1)},
    "celu": {"alpha": Rational(1)},
    "selu": {"alpha": SELU_ALPHA, "scale": SELU_SCALE},
    "leaky_relu": {"negative_slope": Rational(1, 100)},
    "prelu": {"a": Rational(1, 4)},
    "rrelu": {"lower": Rational(1, 8), "upper": Rational(1, 3)},
    "softplus": {"beta": Rational(1), "threshold": Rational(20)},
    "softshrink": {"lambd": Rational(1, 2)},
    "hardshrink": {"lambd": Rational(1, 2)},
    "hardtanh": {"min_val": Rational(-1), "max_val": Rational(1)},
    "threshold": {"threshold": Rational(0), "value": Rational(0)},
}

SCALARS = [
    "binary_step", "celu", "elu", "gelu", "gelu_tanh", "hard_sigmoid", "hardshrink", "hardswish",
    "hardtanh", "identity", "leaky_relu", "logsigmoid", "mish", "prelu", "relu", "relu6",
    "rrelu", "selu", "sigmoid", "silu", "softplus", "softshrink", "softsign", "tanh",
    "tanhshrink", "threshold",
]  # fmt: skip


def _sigmoid(u):
    return 1 / (1 + exp(-u))


# -- f piece by piece, from the definitions in the papers / PyTorch docs ---------------------
# name -> [(lower, upper, f on (lower, upper))], left to right.

PIECES: dict[str, list[tuple]] = {
    "binary_step": [(-oo, 0, Rational(0)), (0, oo, Rational(1))],
    "hard_sigmoid": [(-oo, -3, Rational(0)), (-3, 3, x / 6 + Rational(1, 2)), (3, oo, Rational(1))],
    "hardshrink": [(-oo, -lambd, x), (-lambd, lambd, Rational(0)), (lambd, oo, x)],
    "hardtanh": [(-oo, min_val, min_val), (min_val, max_val, x), (max_val, oo, max_val)],
    "identity": [(-oo, oo, x)],
    "logsigmoid": [(-oo, oo, -log(1 + exp(-x)))],
    "mish": [(-oo, oo, x * tanh(log(1 + exp(x))))],
    "prelu": [(-oo, 0, a_ * x), (0, oo, x)],
    "relu6": [(-oo, 0, Rational(0)), (0, 6, x), (6, oo, Rational(6))],
    "rrelu": [(-oo, 0, (lower + upper) / 2 * x), (0, oo, x)],
    "softshrink": [(-oo, -lambd, x + lambd), (-lambd, lambd, Rational(0)), (lambd, oo, x - lambd)],
    "tanhshrink": [(-oo, oo, x - tanh(x))],
    "threshold": [(-oo, thr, value), (thr, oo, x)],
    "gelu_tanh": [(-oo, oo, x / 2 * (1 + tanh(sqrt(2 / pi) * (x + Rational("0.044715") * x**3))))],
    # the core set (their derivatives are written out by hand below)
    "relu": [(-oo, 0, Rational(0)), (0, oo, x)],
    "leaky_relu": [(-oo, 0, ns * x), (0, oo, x)],
    "elu": [(-oo, 0, alpha * (exp(x) - 1)), (0, oo, x)],
    "celu": [(-oo, 0, alpha * (exp(x / alpha) - 1)), (0, oo, x)],
    "selu": [(-oo, 0, scale * alpha * (exp(x) - 1)), (0, oo, scale * x)],
    "sigmoid": [(-oo, oo, 1 / (1 + exp(-x)))],
    "tanh": [(-oo, oo, tanh(x))],
    "softplus": [(-oo, oo, log(1 + exp(beta * x)) / beta)],
    "softsign": [(-oo, 0, x / (1 - x)), (0, oo, x / (1 + x))],
    "gelu": [(-oo, oo, x / 2 * (1 + erf(x / sqrt(2))))],
    "silu": [(-oo, oo, x / (1 + exp(-x)))],
    "hardswish": [(-oo, -3, Rational(0)), (-3, 3, x * (x + 3) / 6), (3, oo, x)],
}

# -- the core set: f', f'', f''' by hand -----------------------------------------------------
_s = _sigmoid(x)
_t = tanh(x)
_sb = _sigmoid(beta * x)
_Phi = (1 + erf(x / sqrt(2))) / 2
_phi = exp(-(x**2) / 2) / sqrt(2 * pi)
_0, _1 = Rational(0), Rational(1)

HAND: dict[str, list[tuple]] = {
    "relu": [(-oo, 0, (_0, _0, _0)), (0, oo, (_1, _0, _0))],
    "leaky_relu": [(-oo, 0, (ns, _0, _0)), (0, oo, (_1, _0, _0))],
    "elu": [(-oo, 0, (alpha * exp(x),) * 3), (0, oo, (_1, _0, _0))],
    "celu": [
        (-oo, 0, (exp(x / alpha), exp(x / alpha) / alpha, exp(x / alpha) / alpha**2)),
        (0, oo, (_1, _0, _0)),
    ],
    "selu": [(-oo, 0, (scale * alpha * exp(x),) * 3), (0, oo, (scale, _0, _0))],
    "sigmoid": [
        (
            -oo,
            oo,
            (
                _s * (1 - _s),
                _s * (1 - _s) * (1 - 2 * _s),
                _s * (1 - _s) * (1 - 6 * _s + 6 * _s**2),
            ),
        )
    ],
    "tanh": [(-oo, oo, (1 - _t**2, -2 * _t * (1 - _t**2), (6 * _t**2 - 2) * (1 - _t**2)))],
    "softplus": [
        (
            -oo,
            oo,
            (
                _sb,
                beta * _sb * (1 - _sb),
                beta**2 * _sb * (1 - _sb) * (1 - 2 * _sb),
            ),
        )
    ],
    "softsign": [
        (-oo, 0, (1 / (1 - x) ** 2, 2 / (1 - x) ** 3, 6 / (1 - x) ** 4)),
        (0, oo, (1 / (1 + x) ** 2, -2 / (1 + x) ** 3, 6 / (1 + x) ** 4)),
    ],
    "gelu": [(-oo, oo, (_Phi + x * _phi, (2 - x**2) * _phi, x * (x**2 - 4) * _phi))],
    "silu": [
        (
            -oo,
            oo,
            (
                _s + x * _s * (1 - _s),
                _s * (1 - _s) * (2 + x * (1 - 2 * _s)),
                _s * (1 - _s) * (3 * (1 - 2 * _s) + x * (1 - 6 * _s + 6 * _s**2)),
            ),
        )
    ],
    "hardswish": [
        (-oo, -3, (_0, _0, _0)),
        (-3, 3, ((2 * x + 3) / 6, Rational(1, 3), _0)),
        (3, oo, (_1, _0, _0)),
    ],
}


def expected_pieces(name: str, order: int) -> list[tuple]:
    """[(lower, upper, d^order f/dx^order)]: by hand for the core set, else sympy.diff of the
    pieces above."""
    if name in HAND:
        return [(lo, hi, derivatives[order - 1]) for lo, hi, derivatives in HAND[name]]
    return [(lo, hi, sympy.diff(f, x, order)) for lo, hi, f in PIECES[name]]


# -- helpers --------------------------------------------------------------------------------

_ELEMENTARY = {
    "sigmoid": lambda u: 1 / (1 + exp(-u)),
    "softplus": lambda u: log(1 + exp(u)),
    "log1p": lambda u: log(1 + u),
    "expm1": lambda u: exp(u) - 1,
    "erfc": lambda u: 1 - erf(u),
}


def mine(expression):
    """actcli's expression in this file's symbols, its own functions written out in exp/log."""
    expression = sympy.sympify(expression)
    expression = expression.xreplace(
        {s: SYM[s.name] for s in expression.free_symbols if s.name in SYM}
    )
    return expression.replace(
        lambda node: isinstance(node, sympy.Function) and type(node).__name__ in _ELEMENTARY,
        lambda node: _ELEMENTARY[type(node).__name__](*node.args),
    )


def same(got, expected) -> bool:
    """sympy.simplify(got - expected) == 0 (also tried on the exp-rewritten difference)."""
    difference = mine(got) - sympy.sympify(expected)
    if difference == 0 or sympy.simplify(difference) == 0:
        return True
    return sympy.simplify(difference.rewrite(sympy.exp)) == 0


def at_defaults(name: str, expression):
    values = {SYM[k]: v for k, v in DEFAULTS.get(name, {}).items()}
    return sympy.sympify(expression).xreplace(values)


def number(name: str, expression) -> float:
    """An interval end (possibly in parameters) at the default parameters, as a float."""
    expression = sympy.sympify(expression)
    if expression in (oo, -oo):
        return float(expression)
    return float(at_defaults(name, mine(expression)))


def probe(lo: float, hi: float) -> float:
    if lo == float("-inf") and hi == float("inf"):
        return 0.5
    if lo == float("-inf"):
        return hi - 1.0
    if hi == float("inf"):
        return lo + 1.0
    return (lo + hi) / 2


def containing(name: str, pieces: list[tuple], point: float):
    for lo, hi, expression in pieces:
        if number(name, lo) < point < number(name, hi):
            return lo, hi, expression
    raise AssertionError(f"{name}: no piece of the hand derivation contains x = {point}")


@functools.cache
def derived(name: str, order: int = 1, wrt: str = "x", params: tuple = ()):
    return api.derive(name, order=order, wrt=wrt, params=dict(params)).derivative


def no_convention_functions(text: str) -> None:
    for bad in ("Heaviside", "DiracDelta", "Max", "Min"):
        assert bad not in text, f"{bad} in {text}"


def cli_run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _plain(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("ACTCLI_SPEC_PATH", raising=False)


# -- every scalar built-in, orders 1-3, symbolically -----------------------------------------


def test_every_scalar_builtin_is_covered() -> None:
    listed = {a.name for a in api.list_activations().activations if a.kind == "scalar"}
    assert listed == set(SCALARS) == set(PIECES)
    assert set(reference.DERIVATIVES) == set(SCALARS)


@pytest.mark.parametrize("name", sorted(HAND))
@pytest.mark.parametrize("order", [1, 2, 3])
def test_hand_derivations_agree_with_the_pieces(name: str, order: int) -> None:
    """A check of this file's own hand work: f^(k) by hand = sympy.diff of f's piece."""
    for (lo, hi, f), (lo2, hi2, derivatives) in zip(PIECES[name], HAND[name], strict=True):
        assert (lo, hi) == (lo2, hi2)
        assert sympy.simplify(sympy.diff(f, x, order) - derivatives[order - 1]) == 0


@pytest.mark.parametrize("name", SCALARS)
@pytest.mark.parametrize("order", [1, 2, 3])
def test_derivative_cases_match_hand_derivation(name: str, order: int) -> None:
    result = derived(name, order)
    assert result.order == order and result.wrt == "x"
    cases = result.cases
    assert cases[0].lower == -oo and cases[-1].upper == oo
    for left, right in zip(cases, cases[1:], strict=False):
        assert left.upper == right.lower
    expected = expected_pieces(name, order)
    boundaries = [hi for _, hi, _ in expected[:-1]]
    for case in cases:
        for end in (case.lower, case.upper):
            if end not in (oo, -oo):
                assert any(sympy.simplify(mine(end) - b) == 0 for b in boundaries), (
                    f"{name}: case boundary {end} is not a breakpoint of f"
                )
        point = probe(number(name, case.lower), number(name, case.upper))
        _, _, hand = containing(name, expected, point)
        assert same(case.expression, hand), (
            f"{name} order {order} on {case.condition()}: got {case.expression}, expected {hand}"
        )
        no_convention_functions(sympy.sstr(case.expression))
    no_convention_functions(sympy.sstr(result.expression()))
    for p in result.points:
        no_convention_functions(sympy.sstr((p.x, p.left, p.right, p.condition)))


# -- the same cases, numerically against mpmath.diff of the references ------------------------


def _sample(lo: float, hi: float) -> list[sympy.Rational]:
    if lo == float("-inf") and hi == float("inf"):
        points = [-2.75, -0.625, 0.375, 1.5, 3.25]
    elif lo == float("-inf"):
        points = [hi - 0.375, hi - 1.25, hi - 3.5]
    elif hi == float("inf"):
        points = [lo + 0.375, lo + 1.25, lo + 3.5]
    else:
        points = [lo + (hi - lo) * t for t in (0.25, 0.5, 0.75)]
    return [Rational(str(p)) for p in points]


def _mp(value: sympy.Rational) -> mpmath.mpf:
    value = Rational(value)
    return mpmath.mpf(value.p) / value.q


@pytest.mark.parametrize("name", SCALARS)
@pytest.mark.parametrize("order", [1, 2, 3])
def test_derivative_cases_match_mpmath(name: str, order: int) -> None:
    result = derived(name, order)
    f = reference.REFERENCES[name]
    with mpmath.workdps(50):
        kwargs = {k: _mp(v) for k, v in DEFAULTS.get(name, {}).items()}
        for case in result.cases:
            expression = at_defaults(name, mine(case.expression))
            for point in _sample(number(name, case.lower), number(name, case.upper)):
                got = mpmath.mpf(str(sympy.N(expression.subs(x, point), 60)))
                true = mpmath.diff(lambda t: f(t, **kwargs), _mp(point), order)
                error = abs(got - true)
                assert error <= mpmath.mpf("1e-25") * max(abs(true), mpmath.mpf("1e-5")), (
                    f"{name} order {order} at x = {point}: {got} vs {true}"
                )


# -- breakpoints ------------------------------------------------------------------------------


def _point(result, at):
    found = [p for p in result.points if sympy.simplify(mine(p.x) - at) == 0]
    assert len(found) == 1, f"no single breakpoint at {at}: {result.points}"
    return found[0]


def test_relu_first_derivative_undefined_at_zero() -> None:
    result = derived("relu", 1)
    (p,) = result.undefined_at
    assert p.x == 0 and p.exists is False
    assert (p.left, p.right) == (0, 1)


def test_elu_first_derivative_at_zero_exists_only_for_alpha_one() -> None:
    p = _point(derived("elu", 1), 0)
    assert p.exists is None
    condition = mine(p.condition)
    assert sympy.simplify(condition) == sympy.Eq(alpha, 1)
    assert condition.subs(alpha, 1) == sympy.true
    assert condition.subs(alpha, 2) == sympy.false
    assert same(p.left, alpha) and same(p.right, 1)
    assert p in derived("elu", 1).undefined_at


def test_elu_first_derivative_at_alpha_one_exists_everywhere() -> None:
    result = derived("elu", 1, params=(("alpha", "1"),))
    assert result.undefined_at == ()


@pytest.mark.parametrize("params", [(), (("alpha", "1"),), (("alpha", "2"),)])
def test_elu_second_derivative_never_exists_at_zero(params) -> None:
    result = derived("elu", 2, params=params)
    p = _point(result, 0)
    assert p.exists is False and p.condition is None
    a = alpha if not params else Rational(params[0][1])
    assert same(p.left, a) and same(p.right, 0)


def test_celu_first_derivative_exists_at_zero_second_does_not() -> None:
    first = derived("celu", 1)
    assert first.undefined_at == ()
    assert all(p.exists is True for p in first.points)
    second = derived("celu", 2)
    p = _point(second, 0)
    assert p.exists is False
    # f'' jumps by -1/alpha: left 1/alpha, right 0
    assert same(p.left, 1 / alpha) and same(p.right, 0)
    assert same(p.right - p.left, -1 / alpha)


def test_selu_first_derivative_condition_is_alpha_one() -> None:
    p = _point(derived("selu", 1), 0)
    assert p.exists is None
    assert sympy.simplify(mine(p.condition)) == sympy.Eq(alpha, 1)
    assert same(p.left, scale * alpha) and same(p.right, scale)


def test_softsign_second_derivative_undefined_at_zero() -> None:
    assert derived("softsign", 1).undefined_at == ()
    p = _point(derived("softsign", 2), 0)
    assert p.exists is False
    assert (p.left, p.right) == (2, -2)


def test_hardswish_first_derivative_kinks() -> None:
    result = derived("hardswish", 1)
    left = _point(result, -3)
    right = _point(result, 3)
    assert left.exists is False and (left.left, left.right) == (0, Rational(-1, 2))
    assert right.exists is False and (right.left, right.right) == (Rational(3, 2), 1)


@pytest.mark.parametrize(
    ("name", "params", "at"),
    [
        ("binary_step", (), 0),
        ("threshold", (("threshold", "0"), ("value", "1")), 0),
        ("hardshrink", (("lambd", "0.5"),), Rational(1, 2)),
        ("hardshrink", (("lambd", "0.5"),), Rational(-1, 2)),
    ],
)
@pytest.mark.parametrize("order", [1, 2])
def test_function_itself_jumps(name: str, params, at, order: int) -> None:
    p = _point(derived(name, order, params=params), at)
    assert p.exists is False
    assert "f jumps" in p.reason


@pytest.mark.parametrize("name", ["binary_step", "threshold", "hardshrink"])
def test_discontinuous_builtins_never_differentiable_at_the_jump(name: str) -> None:
    result = derived(name, 1)
    assert result.undefined_at
    assert all(p.exists is False for p in result.undefined_at)


# -- --wrt -------------------------------------------------------------------------------------


def _check_cases(name: str, result, pieces: list[tuple]) -> None:
    for case in result.cases:
        point = probe(number(name, case.lower), number(name, case.upper))
        _, _, hand = containing(name, pieces, point)
        assert same(case.expression, hand), f"{name}: {case.expression} vs {hand}"
        no_convention_functions(sympy.sstr(case.expression))


def test_prelu_by_a() -> None:
    result = derived("prelu", 1, "a")
    assert result.wrt == "a"
    _check_cases("prelu", result, [(-oo, 0, x), (0, oo, _0)])


def test_elu_by_alpha() -> None:
    _check_cases("elu", derived("elu", 1, "alpha"), [(-oo, 0, exp(x) - 1), (0, oo, _0)])


def test_leaky_relu_by_negative_slope() -> None:
    result = derived("leaky_relu", 1, "negative_slope")
    _check_cases("leaky_relu", result, [(-oo, 0, x), (0, oo, _0)])


def test_softplus_by_beta() -> None:
    # d/dbeta log(1 + exp(beta x))/beta = x*sigmoid(beta x)/beta - log(1 + exp(beta x))/beta**2
    hand = x * _sigmoid(beta * x) / beta - log(1 + exp(beta * x)) / beta**2
    _check_cases("softplus", derived("softplus", 1, "beta"), [(-oo, oo, hand)])


def test_hardtanh_by_its_clamps() -> None:
    by_min = [(-oo, min_val, _1), (min_val, max_val, _0), (max_val, oo, _0)]
    by_max = [(-oo, min_val, _0), (min_val, max_val, _0), (max_val, oo, _1)]
    _check_cases("hardtanh", derived("hardtanh", 1, "min_val"), by_min)
    _check_cases("hardtanh", derived("hardtanh", 1, "max_val"), by_max)


@pytest.mark.parametrize(
    "name, wrt, value, pieces",
    [
        # d/dalpha alpha*(exp(x) - 1) = exp(x) - 1 for x < 0, 0 for x > 0 (by hand)
        ("elu", "alpha", "2", [(-oo, 0, exp(x) - 1), (0, oo, _0)]),
        ("prelu", "a", "1/10", [(-oo, 0, x), (0, oo, _0)]),
        # d/dbeta log(1 + exp(beta x))/beta at beta = 2: x*sigmoid(2x)/2 - log(1 + exp(2x))/4
        ("softplus", "beta", "2", [(-oo, oo, x * _sigmoid(2 * x) / 2 - log(1 + exp(2 * x)) / 4)]),
        # hardtanh's clamp at max_val = 3: f = max_val beyond it, so d/dmax_val is 1 there
        ("hardtanh", "max_val", "3", [(-oo, -1, _0), (-1, 3, _0), (3, oo, _1)]),
    ],
)
def test_a_derivative_by_a_parameter_given_a_value(name, wrt, value, pieces) -> None:
    """--wrt alpha with --param alpha=2 substituted alpha before differentiating: 0."""
    result = derived(name, 1, wrt, ((wrt, value),))
    for lo, hi, hand in pieces:  # each piece by hand, against the case that holds its middle
        point = probe(float(lo), float(hi))
        (case,) = [c for c in result.cases if float(c.lower) <= point <= float(c.upper)]
        assert same(case.expression, hand), f"{name}: {case.expression} vs {hand}"


def test_wrt_with_code_output_is_usage_error(capsys) -> None:
    """Code is of f and its x-derivatives: --wrt was ignored silently."""
    code, out, err = cli_run(capsys, "derive", "elu", "--wrt", "alpha", "--format", "python")
    assert code == 2 and out == "" and "--wrt alpha" in err


def test_unknown_wrt_is_usage_error(capsys) -> None:
    with pytest.raises(UsageError):
        api.derive("elu", wrt="beta")
    code, out, err = cli_run(capsys, "derive", "elu", "--wrt", "beta")
    assert code == 2 and out == ""
    assert "beta" in err


# -- --in-terms-of-output ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "pieces"),
    [
        ("sigmoid", [(-oo, oo, y * (1 - y))]),
        ("tanh", [(-oo, oo, 1 - y**2)]),
        ("elu", [(-oo, 0, y + alpha), (0, oo, _1)]),
        ("softplus", [(-oo, oo, 1 - exp(-beta * y))]),
        ("selu", [(-oo, 0, y + scale * alpha), (0, oo, scale)]),
        ("logsigmoid", [(-oo, oo, 1 - exp(y))]),
    ],
)
def test_in_terms_of_output(name: str, pieces: list[tuple]) -> None:
    result = api.derive(name, output=True)
    assert result.no_output_form == ""
    derivative = result.derivative
    assert derivative.in_terms_of_output
    for case in derivative.cases:
        assert x not in mine(case.expression).free_symbols
    _check_cases(name, derivative, pieces)


@pytest.mark.parametrize("name", ["gelu", "silu"])
def test_no_output_form_where_f_is_not_one_to_one(name: str, capsys) -> None:
    result = api.derive(name, output=True)
    assert result.derivative is None
    assert result.no_output_form and "one-to-one" in result.no_output_form
    code, _, _ = cli_run(capsys, "derive", name, "--in-terms-of-output")
    assert code == 1
    code, out, _ = cli_run(capsys, "derive", name, "--in-terms-of-output", "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["expression"] is None and "one-to-one" in data["reason"]


# -- --param ---------------------------------------------------------------------------------


def test_param_substitutes(capsys) -> None:
    result = api.derive("elu", params={"alpha": "2"}, order=1)
    derivative = result.derivative
    assert all(alpha.name not in map(str, c.expression.free_symbols) for c in derivative.cases)
    _check_cases("elu", derivative, [(-oo, 0, 2 * exp(x)), (0, oo, _1)])
    (p,) = derivative.undefined_at
    assert p.exists is False and (p.left, p.right) == (2, 1)
    assert float(result.params["alpha"]) == 2.0
    code, out, _ = cli_run(capsys, "derive", "elu", "--param", "alpha=2", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["params"] == {"alpha": 2.0}
    assert "alpha" not in data["expression"]


# -- vector kinds -----------------------------------------------------------------------------


def _at_indices(expression, r: int, c: int, ys):
    from actcli.expr import I, J

    value = sympy.sympify(expression).subs({I: r, J: c}).doit()
    return value.replace(
        lambda node: isinstance(node, sympy.Indexed) and str(node.base) == "y",
        lambda node: ys[int(node.indices[0])],
    )


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("softmax", lambda ys, r, c: ys[r] * (int(r == c) - ys[c])),
        ("log_softmax", lambda ys, r, c: int(r == c) - exp(ys[c])),
        ("softmin", lambda ys, r, c: -ys[r] * (int(r == c) - ys[c])),
    ],
)
def test_jacobian_in_outputs(name: str, entry) -> None:
    from actcli.expr import Y_VEC, I, J

    jac = api.derive(name).jacobian
    assert jac is not None and jac.in_y is not None
    delta = sympy.KroneckerDelta(I, J)
    symbolic = {
        "softmax": Y_VEC[I] * (delta - Y_VEC[J]),
        "log_softmax": delta - exp(Y_VEC[J]),
        "softmin": -Y_VEC[I] * (delta - Y_VEC[J]),
    }[name]
    assert sympy.simplify(jac.in_y - symbolic) == 0
    ys = sympy.symbols("y0:3", real=True)
    for r in range(3):
        for c in range(3):
            got = _at_indices(jac.in_y, r, c, ys)
            assert sympy.simplify(got - entry(ys, r, c)) == 0, (name, r, c, got)
    no_convention_functions(sympy.sstr(jac.in_y))


def _explicit(name: str, xs):
    total = sum(exp(v) for v in xs)
    if name == "softmax":
        return [exp(v) / total for v in xs]
    if name == "log_softmax":
        return [v - log(total) for v in xs]
    negative = sum(exp(-v) for v in xs)
    return [exp(-v) / negative for v in xs]


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_explicit_jacobian_matches_my_own_differentiation(name: str) -> None:
    xs = sympy.symbols("x0:3", real=True)
    matrix = api.derive(name, n=3).jacobian.matrix
    assert matrix.shape == (3, 3)
    by_name = {s.name: s for s in xs}
    outputs = _explicit(name, xs)
    for r in range(3):
        for c in range(3):
            got = matrix[r, c].xreplace({s: by_name[s.name] for s in matrix[r, c].free_symbols})
            assert sympy.simplify(got - sympy.diff(outputs[r], xs[c])) == 0, (name, r, c)
    no_convention_functions(sympy.sstr(matrix))


def test_maxout_jacobian(capsys) -> None:
    jac = api.derive("maxout").jacobian
    assert "tie" in jac.note
    assert jac.in_y is None
    matrix = api.derive("maxout", n=3).jacobian.matrix
    assert matrix.shape == (1, 3)
    text = sympy.sstr(matrix)
    assert "Heaviside" not in text and "DiracDelta" not in text
    xs = {s.name: s for s in matrix.free_symbols}

    def at(values):
        subs = {xs[f"x{m}"]: v for m, v in enumerate(values) if f"x{m}" in xs}
        return [matrix[0, c].subs(subs) for c in range(3)]

    assert at([3, 1, 2]) == [1, 0, 0]
    assert at([1, 3, 2]) == [0, 1, 0]
    assert at([-1, -2, 5]) == [0, 0, 1]
    tied = at([3, 3, 1])  # no derivative at a tie
    assert tied[0] is sympy.nan and tied[1] is sympy.nan and tied[2] == 0
    code, out, _ = cli_run(capsys, "derive", "maxout", "--format", "json")
    assert code == 0 and "tie" in json.loads(out)["note"]


def test_softmax_n_option_on_the_command_line(capsys) -> None:
    code, out, _ = cli_run(capsys, "derive", "softmax", "--n", "3", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert len(data["matrix"]) == 3 and all(len(row) == 3 for row in data["matrix"])
    xs = sympy.symbols("x0:3", real=True)
    names = {s.name: s for s in xs}
    outputs = _explicit("softmax", xs)
    for r in range(3):
        for c in range(3):
            got = sympy.sympify(data["matrix"][r][c], locals=names)
            assert sympy.simplify(got - sympy.diff(outputs[r], xs[c])) == 0


def test_scalar_with_n_and_vector_with_order_are_usage_errors(capsys) -> None:
    assert cli_run(capsys, "derive", "relu", "--n", "3")[0] == 2
    assert cli_run(capsys, "derive", "softmax", "--order", "2")[0] == 2


# -- JSON ------------------------------------------------------------------------------------


def test_json_keys_and_values(capsys) -> None:
    code, out, _ = cli_run(capsys, "derive", "relu", "--format", "json")
    assert code == 0
    data = json.loads(out)
    for key in ("activation", "params", "order", "wrt", "expression", "latex", "pieces"):
        assert key in data
    assert "undefined_at" in data
    assert data["activation"] == "relu" and data["params"] == {}
    assert data["order"] == 1 and data["wrt"] == "x"
    assert [sorted(p) for p in data["pieces"]] == [["expression", "when"]] * 2
    pieces = {p["when"]: sympy.sympify(p["expression"]) for p in data["pieces"]}
    assert pieces == {"x < 0": 0, "x > 0": 1}
    (point,) = data["undefined_at"]
    assert sympy.sympify(point["x"]) == 0
    assert (sympy.sympify(point["left"]), sympy.sympify(point["right"])) == (0, 1)
    no_convention_functions(out)


def test_json_order_two_elu(capsys) -> None:
    code, out, _ = cli_run(capsys, "derive", "elu", "--order", "2", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["order"] == 2 and data["params"] == {}
    names = {"x": x, "alpha": alpha}
    pieces = {p["when"]: sympy.sympify(p["expression"], locals=names) for p in data["pieces"]}
    assert set(pieces) == {"x < 0", "x > 0"}
    assert sympy.simplify(pieces["x < 0"] - alpha * exp(x)) == 0 and pieces["x > 0"] == 0
    (point,) = data["undefined_at"]
    assert point["exists_when"] is None
    no_convention_functions(out)


# -- code ------------------------------------------------------------------------------------


def test_python_code(capsys) -> None:
    code, out, _ = cli_run(
        capsys, "derive", "elu", "--param", "alpha=2", "--order", "2", "--format", "python"
    )
    assert code == 0
    namespace: dict = {}
    exec(compile(out, "<elu.py>", "exec"), namespace)
    for t in (-1.5, -0.25, 0.5, 2.0):
        assert namespace["elu"](t) == pytest.approx(t if t > 0 else 2 * math.expm1(t), rel=1e-14)
        d1 = 1.0 if t > 0 else 2 * math.exp(t)
        d2 = 0.0 if t > 0 else 2 * math.exp(t)
        assert namespace["elu_d1"](t) == pytest.approx(d1, rel=1e-14)
        assert namespace["elu_d2"](t) == pytest.approx(d2, rel=1e-14, abs=1e-300)
    assert math.isnan(namespace["elu_d1"](0.0))


C_MAIN = """
#include <stdio.h>
#include "{header}"
int main(void)
{{
    const double xs[] = {{-2.5, -0.5, 0.75, 3.0}};
    for (int k = 0; k < 4; k++) {{
        printf("%.17g %.17g\\n", {name}({x}), {name}_d1({x}));
    }}
    return 0;
}}
"""


@pytest.mark.parametrize(
    ("name", "f", "d1"),
    [
        ("relu", lambda t: max(t, 0.0), lambda t: 1.0 if t > 0 else 0.0),
        (
            "sigmoid",
            lambda t: float(reference.sigmoid(t)),
            lambda t: float(reference.sigmoid(t) * (1 - reference.sigmoid(t))),
        ),
        ("gelu", lambda t: float(reference.gelu(t)), lambda t: float(reference.d_gelu(t))),
        ("softsign", lambda t: t / (1 + abs(t)), lambda t: 1 / (1 + abs(t)) ** 2),
    ],
)
def test_c_code_compiles_and_runs(name: str, f, d1, capsys, tmp_path: Path) -> None:
    compiler = shutil.which("cc")
    if compiler is None:
        pytest.fail("no C compiler (cc) on PATH: the C output cannot be checked")
    code, out, _ = cli_run(capsys, "derive", name, "--format", "c")
    assert code == 0
    header = tmp_path / f"{name}.h"
    header.write_text(out)
    source = tmp_path / "main.c"
    source.write_text(C_MAIN.format(header=header.name, name=name, x="xs[k]"))
    compiled = subprocess.run(
        [compiler, "-std=c99", "-c", str(source), "-o", str(tmp_path / "main.o")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert compiled.returncode == 0, compiled.stderr
    linked = subprocess.run(
        [compiler, "-std=c99", str(tmp_path / "main.o"), "-o", str(tmp_path / "main"), "-lm"],
        capture_output=True,
        text=True,
    )
    assert linked.returncode == 0, linked.stderr
    run = subprocess.run([str(tmp_path / "main")], capture_output=True, text=True, check=True)
    rows = [list(map(float, line.split())) for line in run.stdout.splitlines()]
    with mpmath.workdps(50):
        for t, (value, slope) in zip((-2.5, -0.5, 0.75, 3.0), rows, strict=True):
            assert value == pytest.approx(f(t), rel=1e-14, abs=1e-300)
            assert slope == pytest.approx(d1(t), rel=1e-14, abs=1e-300)


# -- readable forms --------------------------------------------------------------------------


def test_sigmoid_derivatives_in_sigmoids() -> None:
    """The textbook forms: s' = s*(1 - s) = s(x)*s(-x), s'' = s(x)*s(-x)*(1 - 2*s(x))."""
    s, t = sigmoid(x), sigmoid(-x)
    assert derived("sigmoid", 1).cases[0].expression == s * t
    second = derived("sigmoid", 2).cases[0].expression
    assert sympy.expand(second - s * t * (1 - 2 * s)) == 0
    assert second.atoms(sympy.Function) == {s, t}


@pytest.mark.parametrize("order", [1, 2, 3])
def test_mish_derivatives_keep_its_functions(order: int) -> None:
    """No cosh, sinh, exp or log that mish's own form x*tanh(softplus(x)) does not have: the
    derivatives are polynomials in x, tanh(softplus(x)) and sigmoid(x) (d tanh(u) = 1 -
    tanh(u)**2, d softplus = sigmoid, d sigmoid(x) = sigmoid(x)*(1 - sigmoid(x)))."""
    (case,) = derived("mish", order).cases
    kinds = {type(f).__name__ for f in case.expression.atoms(sympy.Function)}
    assert kinds <= {"tanh", "softplus", "sigmoid"}, case.expression


# -- --expr ----------------------------------------------------------------------------------


def test_expr_mish(capsys) -> None:
    result = api.derive(None, expression="x*tanh(softplus(x))")
    (case,) = result.derivative.cases
    # by hand: tanh(sp) + x*sigmoid(x)*(1 - tanh(sp)**2), sp = log(1 + exp(x))
    sp = log(1 + exp(x))
    assert same(case.expression, tanh(sp) + x * _sigmoid(x) * (1 - tanh(sp) ** 2))
    with mpmath.workdps(50):
        for point in (Rational(-3), Rational(-1, 2), Rational(1, 4), Rational(5, 2)):
            got = mpmath.mpf(str(sympy.N(mine(case.expression).subs(x, point), 60)))
            true = mpmath.diff(reference.mish, _mp(point))
            assert abs(got - true) <= mpmath.mpf("1e-25") * abs(true)
    code, out, err = cli_run(capsys, "derive", "--expr", "x*tanh(softplus(x))")
    assert code == 0, err
    assert "tanh" in out
    no_convention_functions(out)


@pytest.mark.parametrize(
    ("expression", "order", "left", "right", "exists"),
    [
        ("abs(x)**1.5", 1, 0, 0, True),  # 1.5 |x|**0.5 sign(x) -> 0 from both sides
        ("abs(x)**2.5", 2, 0, 0, True),  # 3.75 |x|**0.5 -> 0
        ("abs(x)**2.5", 3, -oo, oo, False),  # 1.875 |x|**-0.5 sign(x) -> -oo, oo
    ],
)
def test_a_branch_that_is_0_over_0_at_a_breakpoint_has_its_limit_there(
    expression, order, left, right, exists
):
    """f' of |x|**1.5 from the left is 3*(-x)**(3/2)/(2*x), 0/0 at 0: it read as nan, so
    f' 'did not exist' at 0 and a false value claimed there passed as a convention. The
    one-sided limits (hand, in the comments) decide."""
    (point,) = api.derive(expression=expression, order=order).derivative.points
    assert (point.left, point.right, point.exists) == (left, right, exists)


@pytest.mark.parametrize(
    "expression, hand",
    [
        # y = x**3: x = sign(y)*|y|**(1/3), f' = 3x**2 = 3|y|**(2/3); SymPy's y**(2/3) is not
        # real for y < 0
        ("x**3", lambda y: 3 * abs(y) ** (mpmath.mpf(2) / 3)),
        ("x**5", lambda y: 5 * abs(y) ** (mpmath.mpf(4) / 5)),
    ],
)
def test_an_odd_power_in_terms_of_its_output_is_real_for_negative_y(expression, hand) -> None:
    from actcli.expr import Y

    (case,) = api.derive(expression=expression, output=True).derivative.cases
    for value in (-8, -0.5, 0.5, 27):
        got = complex(sympy.N(case.expression.subs(Y, value)))
        assert got.imag == 0 and got.real == pytest.approx(float(hand(mpmath.mpf(value))))


def test_the_jacobian_of_a_reduction_is_one_row(capsys) -> None:
    """maxout maps R^3 to R: its Jacobian is 1x3 (it was called a 1x1 matrix)."""
    code, out, _ = cli_run(capsys, "derive", "maxout", "--n", "3")
    assert code == 0 and "as a 1x3 matrix" in out


def _one_parameter_spec(
    tmp_path: Path, kind: str, name: str, definition: str, default: str = "1"
) -> Path:
    """A spec file of one positive parameter and the `definition:` text given."""
    path = tmp_path / "spec.yaml"
    path.write_text(
        f"name: spec\ntitle: t\nkind: {kind}\nreferences: [hand]\n"
        f"parameters:\n  {name}: {{default: {default}, domain: positive}}\n{definition}"
    )
    return path


def test_a_vector_jacobian_keeps_a_parameter_not_given_as_a_symbol(capsys, tmp_path) -> None:
    """softmax of x/t: d y_i/d x_j = y_i (delta_ij - y_j)/t (the chain rule through x/t, by
    hand). derive printed its t = 1 form without saying so."""
    path = _one_parameter_spec(
        tmp_path, "vector", "t", 'definition:\n  expression: "exp(x[i]/t)/sum(exp(x[j]/t), j)"\n'
    )
    code, out, _ = cli_run(capsys, "derive", str(path), "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["symbolic_params"] == ["t"]
    i, j, t = sympy.symbols("i j t")
    y = sympy.IndexedBase("y")
    hand = y[i] * (sympy.KroneckerDelta(i, j) - y[j]) / t
    got = sympy.sympify(data["expression"], locals={"t": t, "i": i, "j": j, "y": y})
    assert sympy.simplify(got - hand) == 0
    code, out, _ = cli_run(capsys, "derive", str(path), "--param", "t=2", "--format", "json")
    assert json.loads(out)["symbolic_params"] == []


def test_a_point_whose_limits_are_not_found_is_not_called_undefined(capsys, tmp_path) -> None:
    """|x|**p with p symbolic: SymPy finds no one-sided limit of p*(-x)**p/x at 0 (nan), and
    the derivative was said not to exist there; it does for every p > 1 (|x|**p/|x| -> 0)."""
    path = _one_parameter_spec(tmp_path, "scalar", "p", 'definition: "abs(x)**p"\n', "2")
    code, out, _ = cli_run(capsys, "derive", str(path), "--format", "json")
    (point,) = json.loads(out)["undefined_at"]
    assert code == 0 and point["decided"] is False
    code, out, _ = cli_run(capsys, "derive", str(path))
    assert "at x = 0: not decided" in out and "does not exist" not in out
