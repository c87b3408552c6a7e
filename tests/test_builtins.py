"""Every built-in against independent references: the definitions and PyTorch defaults against
tests/reference.py (mpmath, written from the papers), and every stated derivative claim against
mpmath's numerical differentiation of that reference (section 4 of the foundation issue)."""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest
import reference
import sympy

from actcli.activation import bind, build_expression
from actcli.expr import Y_VEC, I, J, X, Y
from actcli.registry import Registry

REGISTRY = Registry.default()
SPECS = sorted(REGISTRY, key=lambda spec: spec.name)
SCALARS = [spec for spec in SPECS if spec.kind == "scalar"]
VECTORS = [spec for spec in SPECS if spec.kind == "vector"]
POINTS = [-30.0, -7.5, -2.0, -0.9, -0.3, 0.2, 0.7, 1.3, 2.9, 8.0, 25.0]


@pytest.fixture(autouse=True)
def fifty_digits():
    with mpmath.workdps(50):
        yield


def parameter_sets(spec):
    """The defaults, and a second set away from them (to catch a default baked into a formula)."""
    defaults = {p.name: p.default for p in spec.parameters}
    yield defaults
    moved = {}
    for p in spec.parameters:
        value = float(sympy.Rational(p.default))
        candidate = value * 1.7 if value else 0.3
        moved[p.name] = repr(candidate if p.domain.contains(candidate) else value)
    if moved != defaults:
        yield moved


def exact_params(activation):
    """The bound (exact, rational) parameter values at 50 digits, not their float roundings."""
    return {k: mpmath.mpf(str(sympy.N(v, 60))) for k, v in activation.values.items()}


def away_from_breakpoints(activation, points=POINTS):
    breaks = [b for b, _ in activation.breakpoints()]
    return [x for x in points if all(abs(x - b) > 1e-3 for b in breaks)]


def close(got, true, rel=1e-13, abs_tol=1e-300):
    return abs(got - true) <= max(rel * abs(true), abs_tol)


def test_every_mission_builtin_has_a_reference_and_pytorch_defaults():
    assert {spec.name for spec in SPECS} == set(reference.REFERENCES)
    for spec in SPECS:
        stated = {p.name: float(sympy.Rational(p.default)) for p in spec.parameters}
        assert stated == pytest.approx(reference.DEFAULT_PARAMS[spec.name], rel=1e-15), spec.name
    for alias, name in reference.ALIASES.items():
        assert REGISTRY.get(alias).name == name


def test_selu_constants_to_sixteen_digits():
    """Klambauer et al. (2017), eq. 14: alpha01 ~ 1.6732632423543772848170429916717 and
    lambda01 ~ 1.0507009873554804934193349852946."""
    selu = bind(REGISTRY.get("selu"))
    assert float(selu.values["alpha"]) == 1.6732632423543772
    assert float(selu.values["scale"]) == 1.0507009873554805


@pytest.mark.parametrize("spec", SCALARS, ids=lambda spec: spec.name)
def test_definition_matches_reference(spec):
    for params in parameter_sets(spec):
        activation = bind(spec, params)
        numbers = exact_params(activation)
        xs = np.array(POINTS)
        got = activation.function(0)(xs)
        for x, value in zip(POINTS, got, strict=True):
            true = reference.REFERENCES[spec.name](mpmath.mpf(x), **numbers)
            assert close(value, true), f"{spec.name}{params} at {x}: {value} vs {true}"


def claim_expression(activation, definition, variables=("x",)):
    symbolic = build_expression(definition, activation.spec, activation.symbols, variables)
    return activation.substitute(symbolic)


def exact(value):
    """A number for SymPy without rounding it to 15 digits (as a Python float in subs would)."""
    return sympy.Float(mpmath.nstr(mpmath.mpf(value), 60), 60)


def numeric(expression, substitutions):
    exact_values = {k: exact(v) for k, v in substitutions.items()}
    return mpmath.mpf(sympy.N(expression.subs(exact_values), 40))


@pytest.mark.parametrize("spec", SCALARS, ids=lambda spec: spec.name)
def test_stated_derivatives_match_numerical_differentiation(spec):
    claims = spec.claims
    assert "derivative" in claims, "every built-in states its first derivative"
    for params in parameter_sets(spec):
        activation = bind(spec, params)
        numbers = exact_params(activation)
        f = reference.REFERENCES[spec.name]
        orders = {1: claims["derivative"].value}
        if "derivatives" in claims:
            orders.update(claims["derivatives"].value)
        for order, definition in orders.items():
            expression = claim_expression(activation, definition)
            for x in away_from_breakpoints(activation):
                true = mpmath.diff(lambda t, f=f, p=numbers: f(t, **p), mpmath.mpf(x), order)
                got = numeric(expression, {X: x})
                assert close(got, true, rel=1e-20, abs_tol=1e-25), (spec.name, order, x)
        if "derivative_in_terms_of_output" in claims:
            definition = claims["derivative_in_terms_of_output"].value
            expression = claim_expression(activation, definition, ("x", "y"))
            for x in away_from_breakpoints(activation):
                y = f(mpmath.mpf(x), **numbers)
                true = mpmath.diff(lambda t, f=f, p=numbers: f(t, **p), mpmath.mpf(x))
                got = numeric(expression, {X: x, Y: y})
                assert close(got, true, rel=1e-20, abs_tol=1e-25), (spec.name, "y", x)
        for name, definition in (
            claims.get("derivative_wrt", None).value.items() if ("derivative_wrt" in claims) else ()
        ):
            expression = claim_expression(activation, definition)
            for x in away_from_breakpoints(activation):

                def in_parameter(p, x=x, name=name, f=f, numbers=numbers):
                    return f(mpmath.mpf(x), **{**numbers, name: p})

                true = mpmath.diff(in_parameter, numbers[name])
                got = numeric(expression, {X: x})
                assert close(got, true, rel=1e-20, abs_tol=1e-25), (spec.name, name, x)


VECTORS_IN = [[1.0, 2.0, 3.0], [-0.5, 0.0, 0.25, 4.0], [1000.0, 0.0, -1000.0], [7.0]]


@pytest.mark.parametrize("spec", VECTORS, ids=lambda spec: spec.name)
def test_vector_definition_matches_reference(spec):
    activation = bind(spec)
    for row in VECTORS_IN:
        got = activation.function(0)(np.array([row]))[0]
        true = reference.REFERENCES[spec.name]([mpmath.mpf(v) for v in row])
        true = true if isinstance(true, list) else [true]
        for g, t in zip(np.atleast_1d(got), true, strict=True):
            assert close(g, t, rel=1e-13), (spec.name, row)


@pytest.mark.parametrize(
    "spec", [s for s in VECTORS if "jacobian" in s.claims], ids=lambda spec: spec.name
)
def test_jacobian_claim_matches_numerical_differentiation(spec):
    activation = bind(spec)
    expression = claim_expression(activation, spec.claims["jacobian"].value, ("x", "y"))
    f = reference.REFERENCES[spec.name]
    xs = [mpmath.mpf(v) for v in (0.3, -1.2, 2.0)]
    ys = f(xs)
    n = len(xs)
    for i, j in itertools.product(range(n), repeat=2):

        def component(t, i=i, j=j):
            return f([t if k == j else v for k, v in enumerate(xs)])[i]

        true = mpmath.diff(component, xs[j])
        substitutions = {Y_VEC[k]: ys[k] for k in range(n)}
        got = numeric(expression.subs({I: i, J: j}).doit(), substitutions)
        assert close(got, true, rel=1e-20, abs_tol=1e-25), (spec.name, i, j)
