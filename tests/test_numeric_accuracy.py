"""Section 7 of the foundation issue: every built-in scalar activation and its first two
derivatives, evaluated in float64, agree with a 50-digit mpmath evaluation of the *definition*
(not the stable form the numeric path compiles) within 1e-13 relative or 1e-300 absolute."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from actcli.activation import bind
from actcli.compiler import reference_function
from actcli.expr import X
from actcli.pieces import to_piecewise
from actcli.registry import Registry

RELATIVE = 1e-13
ABSOLUTE = 1e-300
GRID = [0.0] + [s * v for v in (1e-8, 1e-3, 0.5, 1, 3, 10, 20, 40, 100, 750, 1000) for s in (1, -1)]
SCALARS = [spec for spec in Registry.default() if spec.kind == "scalar"]


def points_for(activation) -> list[float]:
    near = [b + d for b, _ in activation.breakpoints() for d in (-1e-9, 1e-9)]
    return sorted(set(GRID + near))


@pytest.mark.parametrize("order", [0, 1, 2])
@pytest.mark.parametrize("spec", SCALARS, ids=lambda spec: spec.name)
def test_float64_agrees_with_mpmath(spec, order):
    activation = bind(spec)
    xs = points_for(activation)
    kink_points = {k.x for k in activation.kinks(order) if k.first_jump() is not None}
    got = activation.function(order)(np.array(xs))
    exact = sympy.diff(to_piecewise(activation.expression), X, order)
    reference = reference_function(exact, digits=50)
    failures = []
    for x, value in zip(xs, got, strict=True):
        if order and x in kink_points:
            continue  # no derivative there; `eval` reports nan (tested in test_cli)
        true = reference(x)
        true_float = float(true)
        if math.isfinite(true_float):
            ok = math.isfinite(value) and (
                abs(value - true) <= RELATIVE * abs(true) or abs(value - true) <= ABSOLUTE
            )
        else:
            ok = value == true_float or (math.isnan(value) and math.isnan(true_float))
        if not ok:
            failures.append(f"x={x!r}: got {value!r}, mpmath {sympy.Float(true, 20)}")
    assert not failures, f"{spec.name} order {order}:\n" + "\n".join(failures)


def test_twice_precision_helpers_give_the_same_values_on_their_fast_paths():
    """`numeric.erfc_scaled` and `exp_scaled_square` skip their `where`s when every |x| <
    1e150 and `erfc` computes its tail points by themselves (a loop of `actcli.evaluate` on
    a few numbers): each value is the one the guarded path gives (an extra 1e200 forces it),
    bit for bit, and Dekker's error of a square is exact."""
    from fractions import Fraction

    from actcli import numeric

    x = np.concatenate(
        [np.linspace(-40, 40, 801), np.random.default_rng(2).standard_normal(200) * 3]
    )
    x = np.concatenate([x, [0.0, -0.0, 5e-324, -5e-324, 1e-300, np.nan]])
    guarded = np.append(x, 1e200)
    c_hi, c_lo = -0.70710678118654757, 4.8336466567264567e-17
    with np.errstate(all="ignore"):  # the guard's 1e200 overflows where it is discarded
        pairs = [
            (numeric.erfc_scaled(x, c_hi, c_lo), numeric.erfc_scaled(guarded, c_hi, c_lo)),
            (numeric.exp_scaled_square(x, -0.5, 0.0), numeric.exp_scaled_square(guarded, -0.5, 0)),
            (numeric.erfc(x), np.array([numeric.erfc(np.array([v]))[0] for v in x])),
        ]
    for fast, slow in pairs:
        assert fast.tobytes() == slow[: x.size].tobytes()
    normal = x[(np.abs(x) > 1e-100) & (np.abs(x) < 1e100)]  # no underflow in the square
    square = normal * normal
    error = numeric.two_product_error(normal, normal, square)
    for a, s, e in zip(normal, square, error, strict=True):
        assert Fraction(float(e)) == Fraction(float(a)) ** 2 - Fraction(float(s))


def test_a_breakpoint_joined_to_its_region_is_one_comparison_with_the_same_values():
    """Eq(x, a) | (x < a), as the pieces of a Piecewise come, prints as x <= a (and with x > a
    as x >= a): one comparison, not logical_or.reduce over two. The values are the
    definition's by hand, at the breakpoints, at -0.0, +-inf and nan (nan satisfies no
    comparison, so the `otherwise` piece, then the nan check). An `otherwise` piece that is a
    Python int beyond int64 (2**70) stays a float, as it was beside select's nan default."""
    from actcli.compiler import compile_scalar, scalar_source

    below = sympy.Or(sympy.Eq(X, 0), X < 0)
    above = sympy.Or(sympy.Eq(1, X), X > 1)  # the equality's sides the other way round
    expression = sympy.Piecewise((-X, below), (X**2, above), (2**70, True))
    source = scalar_source(expression)
    assert "logical_or" not in source
    assert "less_equal(x, 0)" in source and "greater_equal(x, 1)" in source
    x = np.array([-np.inf, -2.0, -0.0, 0.0, 0.5, 1.0, 3.0, np.inf, np.nan])
    by_hand = [np.inf, 2.0, 0.0, -0.0, 2.0**70, 1.0, 9.0, np.inf, np.nan]
    got = compile_scalar(expression)(x)
    assert got.tolist()[:-1] == by_hand[:-1] and np.isnan(got[-1])
    assert [math.copysign(1, v) for v in got[2:4]] == [1, -1]  # -(-0.0) and -(0.0)
