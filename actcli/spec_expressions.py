"""A spec's expressions parsed with SymPy: every problem as `file:line: field: what`, and inline
`--expr` definitions turned into specs.

Structure is checked without SymPy by `actcli.spec_file`; this is the second, slower half of
validation that `actcli validate` and every analysis run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy

from actcli import expr
from actcli.errors import ExpressionError, quoted
from actcli.expr import parse_expression
from actcli.spec import INTERVAL, NAMED_DOMAINS, Definition, Parameter, Piece, Source, Spec, Text


def parameter_symbols(spec: Spec) -> dict[str, Any]:
    """SymPy symbols for the spec's parameters, with assumptions from their domains."""

    return {p.name: sympy.Symbol(p.name, **p.domain.assumptions()) for p in spec.parameters}


def expression_problems(spec: Spec) -> list[str]:
    """Parse every expression in the spec; return each problem as `file:line: field: what`."""

    symbols = parameter_symbols(spec)
    vector = spec.kind == "vector"
    make = expr.vector_namespace if vector else expr.scalar_namespace
    base = make(symbols)
    problems: list[str] = []

    def check(definition: Definition | None, namespace: Any, condition_space: Any = None) -> None:
        if definition is None:
            return
        for text, is_condition in definition.texts():
            space = condition_space if (is_condition and condition_space) else namespace
            try:
                expr.parse_expression(text.text, space, condition=is_condition)
            except ExpressionError as exc:
                problems.append(f"{text.source}: {text.field}: {exc}")

    check(spec.definition, base)
    check(spec.stable, base)
    for definition in spec.stable_derivatives.values():
        check(definition, base)
    for variant in spec.variants.values():
        check(variant.definition, base)
    for constraint in spec.constraints:
        try:
            expr.parse_expression(constraint.text, make(symbols, variables=()), condition=True)
        except ExpressionError as exc:
            problems.append(f"{constraint.source}: {constraint.field}: {exc}")
    for key, claim in spec.claims.items():
        if key in ("derivative",):
            check(claim.value, base)
        elif key == "derivative_in_terms_of_output":
            check(claim.value, make(symbols, variables=("y",)), base)
        elif key == "jacobian":
            check(claim.value, make(symbols, variables=("y",)))
        elif key in ("derivatives", "derivative_wrt"):
            for definition in claim.value.values():
                check(definition, base)
        elif key == "range":
            problems.extend(_range_problems(claim.value, make(symbols, variables=("oo",))))
    return problems


def _range_problems(text: Text, namespace: Any) -> list[str]:

    match = INTERVAL.match(text.text)
    assert match is not None
    problems = []
    for endpoint in match.group(2, 3):
        try:
            parse_expression(endpoint, namespace)
        except ExpressionError as exc:
            problems.append(f"{text.source}: {text.field}: endpoint {quoted(endpoint)}: {exc}")
    return problems


def inline_spec(text: str, parameters: Mapping[str, str] | None = None) -> Spec:
    """A spec for `--expr TEXT`: scalar, or vector if it subscripts x; --param names declare
    its parameters (domain real)."""
    source = Source("<expr>")
    declared = tuple(
        Parameter(name, str(value), NAMED_DOMAINS["real"], "", source)
        for name, value in (parameters or {}).items()
    )
    kind = "vector" if "[" in text else "scalar"
    definition = Definition((Piece(Text(text, source, "--expr")),), piecewise=False)
    spec = Spec("expr", text, kind, definition, (), source, parameters=declared)

    problems = expression_problems(spec)
    if problems:
        message = problems[0].split(": ", 2)[-1]
        raise ExpressionError(f"--expr {quoted(text)}: {message}")
    return spec
