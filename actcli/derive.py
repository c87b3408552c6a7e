"""`actcli derive`: an exact derivative, a Jacobian, f' in terms of the output, or code.

The command gathers what `actcli.calculus` (scalar kinds), `actcli.jacobian` (vector kinds) and
`actcli.codegen` (`--format python|c`) compute into one result that `render` prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy

from actcli.activation import bind
from actcli.calculus import Derivative, derivative, in_terms_of_output
from actcli.codegen import generate_code
from actcli.errors import AnalysisError, ResourceLimitError, UsageError
from actcli.expr import X
from actcli.jacobian import jacobian
from actcli.json_values import json_number
from actcli.options import check_order
from actcli.pieces import with_values
from actcli.spec import Spec
from actcli.supervisor import step

PRINTABLE_OPERATIONS = 20_000  # a derivative larger than this helps no reader, and tidying it
# (simplify, sigmoid recognition) would take hours: refused, with eval as the way to values


@dataclass(frozen=True)
class DeriveResult:
    """What `actcli derive` prints: a derivative, a Jacobian, or why no g(y) exists."""

    activation: str
    params: dict[str, Any]
    order: int
    wrt: str
    derivative: Derivative | None = None
    jacobian: Any = None  # actcli.jacobian.Jacobian for vector kinds
    no_output_form: str = ""  # why f' is not a function of y, when asked for one
    code: str = ""  # --format python / c
    symbolic: tuple[str, ...] = ()  # a Jacobian's parameters kept as symbols

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "activation": self.activation,
            "params": {k: json_number(float(v)) for k, v in self.params.items()},
            "order": self.order,
            "wrt": self.wrt,
        }
        if self.jacobian is not None:
            jac = self.jacobian
            data.update(
                {
                    "expression": sympy.sstr(jac.in_y if jac.in_y is not None else jac.in_x),
                    "jacobian": sympy.sstr(jac.in_x),
                    "jacobian_in_outputs": None if jac.in_y is None else sympy.sstr(jac.in_y),
                    "latex": sympy.latex(jac.in_y if jac.in_y is not None else jac.in_x),
                    "note": jac.note,
                    "matrix": None
                    if jac.matrix is None
                    else [[sympy.sstr(e) for e in row] for row in jac.matrix.tolist()],
                    "symbolic_params": sorted(
                        {s.name for s in jac.in_x.free_symbols} & set(self.symbolic)
                    ),
                }
            )
            return data
        result = self.derivative
        data["in_terms_of_output"] = bool(result and result.in_terms_of_output) or bool(
            self.no_output_form
        )
        if result is None:
            data.update({"expression": None, "reason": self.no_output_form})
            return data
        data.update(
            {
                "expression": sympy.sstr(result.expression()),
                "latex": sympy.latex(result.expression()),
                "pieces": [
                    {"when": c.condition(), "expression": sympy.sstr(c.expression)}
                    for c in result.cases
                ],
                "symbolic_params": sorted(
                    {str(s) for c in result.cases for s in c.expression.free_symbols} - {"x", "y"}
                ),
                "undefined_at": [
                    {
                        "x": sympy.sstr(p.x),
                        "left": sympy.sstr(p.left),
                        "right": sympy.sstr(p.right),
                        "exists_when": None if p.condition is None else p.condition_text(),
                        "decided": p.exists is not None or p.condition is not None,
                        "reason": p.reason,
                    }
                    for p in result.undefined_at
                ],
            }
        )
        return data


def derive(
    spec: Spec,
    params: Mapping[str, str] | None = None,
    *,
    order: int = 1,
    wrt: str = "x",
    output: bool = False,
    n: int | None = None,
    language: str | None = None,
) -> DeriveResult:
    """`actcli derive`: parameters given in `params` are substituted, the others stay symbolic.

    `language` ("python" or "c") asks for code of f and its derivatives up to `order` instead
    (all parameters at their values).
    """
    check_order(order, 0 if language is not None else 1)
    with step(f"deriving {spec.name} (order {order})"):
        return _derive(spec, params, order, wrt, output, n, language)


def _derive(
    spec: Spec,
    params: Mapping[str, str] | None,
    order: int,
    wrt: str,
    output: bool,
    n: int | None,
    language: str | None,
) -> DeriveResult:
    activation = bind(spec, params)
    symbolic = [name for name in spec.parameter_names if name not in (params or {})]
    bound = {k: v for k, v in activation.values.items() if k not in symbolic}
    if language is not None:
        if wrt != "x":  # the code is of f and its x-derivatives: --wrt would be ignored
            raise UsageError(f"--wrt {wrt}: code (--format {language}) is for x-derivatives only")
        code = generate_code(activation, list(range(order + 1)), language)
        return DeriveResult(spec.name, dict(activation.values), order, wrt, code=code)
    if spec.kind == "vector":
        if order != 1 or wrt != "x" or output:
            raise UsageError("vector activations: derive gives the first-order Jacobian only")
        held = with_values(activation, symbolic)  # the parameters not given stay symbols
        found = jacobian(activation, n, held)
        return DeriveResult(spec.name, bound, 1, "x", jacobian=found, symbolic=tuple(symbolic))
    if n is not None:
        raise UsageError("--n is for vector activations")
    if output:
        if order != 1 or wrt != "x":
            raise UsageError("--in-terms-of-output is for the first derivative by x")
        try:
            result = in_terms_of_output(activation, symbolic=symbolic)
        except AnalysisError as exc:
            return DeriveResult(spec.name, bound, 1, "x", no_output_form=str(exc))
        return DeriveResult(spec.name, bound, 1, "x", derivative=result)
    if wrt == "x":
        _check_size(activation.expression, order, spec.name)
    result = derivative(activation, order, wrt, symbolic=symbolic)
    return DeriveResult(spec.name, bound, order, wrt, derivative=result)


def _check_size(expression: Any, order: int, name: str) -> None:
    """Refuse, before any tidying, a derivative too large to print (55 nested sin: f'' has
    89,156 operations); each order is differentiated once, so this costs what derive would."""
    current = expression
    for k in range(1, order + 1):
        current = sympy.diff(current, X)
        size = sympy.count_ops(current)
        if size > PRINTABLE_OPERATIONS:
            raise ResourceLimitError(
                f"derive: the order-{k} derivative of {name} has {size:,} operations; derive "
                f"prints at most {PRINTABLE_OPERATIONS:,} (actcli eval --order {order} gives "
                "its values)"
            )
