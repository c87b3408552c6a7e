"""What the code generator emits, as data that needs no NumPy: the syntax whitelist a cached
source must pass before it is run (`is_generated_source`), and the `Kink` record of a cut point.

`actcli.numeric` runs accepted source with NumPy; `actcli.scalars` runs it on a few Python
floats. A leaf module: it imports nothing of actcli's.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Kink:
    """A cut point of an activation (breakpoint, pole, end of the real domain), with what
    float evaluation needs there: f(x) as defined (nan where undefined) and the one-sided
    limits `left[k]`, `right[k]` of f^(k), k = 0..order (inf for an infinite limit, nan for
    none, and nan on a side where f is not real: `sides` says which sides count).
    """

    x: float
    x_exact: str
    left: tuple[float, ...]
    right: tuple[float, ...]
    value: float = math.nan
    sides: str = "both"  # "both", "left" or "right": where f is real next to x

    def _limits(self, order: int) -> list[float]:
        chosen = {"left": [self.left], "right": [self.right]}.get(self.sides)
        return [side[order] for side in (chosen or [self.left, self.right])]

    def first_jump(self) -> int | None:
        """The lowest order k at which f^(k) is not continuous at x: a one-sided limit that
        is infinite or missing, limits that differ, or (k = 0) f(x) different from them."""
        for order in range(len(self.left)):
            limits = self._limits(order)
            if order == 0:
                limits = [*limits, self.value]
            if not all(math.isfinite(v) for v in limits):
                return order
            if not all(_close(limits[0], v) for v in limits[1:]):
                return order
        return None

    def exists(self, order: int) -> bool:
        """f^(order)(x) exists: f is defined there, and for order >= 1, f..f^(order) are
        continuous at x (one-sided derivatives from finite, equal limits)."""
        if not math.isfinite(self.value):
            return False
        jump = self.first_jump()
        return order == 0 or jump is None or jump > order

    def value_of(self, order: int) -> float:
        """f^(order)(x) where it exists (f(x) for order 0, else the common limit)."""
        return self.value if order == 0 else self._limits(order)[0]


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


# -- what `actcli.compiler.scalar_source` emits (SymPy's lambdify, NumPy printer), as a whitelist
# of syntax and names: a cached source outside it is not run (see `is_generated_source`).

GENERATED_NAME = "_lambdifygenerated"
MAX_SOURCE_CHARS = 1_000_000
MAX_INTEGER_BITS = 4096  # wider integer literals and constant products are refused
SOURCE_FUNCTIONS = frozenset(
    {
        # the grammar's functions, as NumPy names, and actcli's kernels
        *("exp", "log", "log1p", "expm1", "sqrt", "abs", "absolute", "sign"),
        *("sin", "cos", "tan", "arctan", "arcsinh", "tanh", "sinh", "cosh", "erf", "erfc"),
        *("maximum", "minimum", "amax", "amin", "heaviside", "Heaviside", "DiracDelta"),
        *("sigmoid", "softplus", "erfc_scaled", "exp_scaled_square", "exp_times_erfc"),
        # Piecewise and its conditions
        *("select", "where", "equal", "not_equal", "greater", "greater_equal", "less"),
        *("less_equal", "logical_and", "logical_or", "logical_not"),
    }
)
SOURCE_CONSTANTS = frozenset({"x", "pi", "e", "nan", "inf"})
SOURCE_KEYWORDS = frozenset({"default", "axis"})
_REDUCERS = frozenset({"logical_and", "logical_or"})  # called as logical_or.reduce((a, b))
_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
CONSTANT_VALUES = {"pi": math.pi, "e": math.e, "nan": math.nan, "inf": math.inf}


def is_generated_source(source: object) -> bool:
    """Whether `source` is code the generator could have written: one function
    `_lambdifygenerated(x)` whose body is `return <expression>`, the expression built from
    numbers, `x`, NumPy's constants, + - * / ** and unary minus, and calls of whitelisted
    functions (`SOURCE_FUNCTIONS`) with lists and tuples as arguments. Nothing else (no
    attribute but `logical_or.reduce`, no strings, no subscripts, no lambdas, no statement but
    the return) is accepted, so running accepted source can do nothing but arithmetic on x.
    Integer literals are bounded and constant arithmetic is tried once here, so accepted source
    cannot raise or hang on Python integers or floats.
    """
    if not isinstance(source, str) or len(source) > MAX_SOURCE_CHARS:
        return False
    try:
        tree = ast.parse(source)
        return _is_generated_module(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def _is_generated_module(tree: ast.Module) -> bool:
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        return False
    function = tree.body[0]
    arguments = function.args
    if (
        function.name != GENERATED_NAME
        or function.decorator_list
        or function.returns is not None
        or getattr(function, "type_params", [])
        or arguments.posonlyargs
        or arguments.kwonlyargs
        or arguments.vararg is not None
        or arguments.kwarg is not None
        or arguments.defaults
        or [(a.arg, a.annotation) for a in arguments.args] != [("x", None)]
        or len(function.body) != 1
        or not isinstance(function.body[0], ast.Return)
        or function.body[0].value is None
    ):
        return False
    return _is_generated_expression(function.body[0].value)


def _is_generated_expression(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or isinstance(value, float):
            return True
        return isinstance(value, int) and value.bit_length() <= MAX_INTEGER_BITS
    if isinstance(node, ast.Name):
        return isinstance(node.ctx, ast.Load) and node.id in SOURCE_CONSTANTS
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.USub | ast.UAdd) and _operand(node.operand)
    if isinstance(node, ast.BinOp):
        if not isinstance(node.op, _OPERATORS):
            return False
        if not (_operand(node.left) and _operand(node.right)):
            return False
        return _constant_arithmetic_is_safe(node)
    if isinstance(node, ast.Call):
        return _is_generated_call(node)
    return False


def _operand(node: ast.expr) -> bool:
    """An operand of arithmetic: an expression, but not a list or tuple ([True]*10**9)."""
    return not isinstance(node, ast.List | ast.Tuple) and _is_generated_expression(node)


def _is_generated_call(node: ast.Call) -> bool:
    function = node.func
    if isinstance(function, ast.Name):
        if function.id not in SOURCE_FUNCTIONS:
            return False
    elif not (
        isinstance(function, ast.Attribute)
        and function.attr == "reduce"
        and isinstance(function.value, ast.Name)
        and function.value.id in _REDUCERS
    ):
        return False
    if len(node.args) > 8 or any(k.arg not in SOURCE_KEYWORDS for k in node.keywords):
        return False
    arguments = [*node.args, *(k.value for k in node.keywords)]
    return all(_is_generated_argument(a) for a in arguments)


def _is_generated_argument(node: ast.expr) -> bool:
    if isinstance(node, ast.List | ast.Tuple):
        return isinstance(node.ctx, ast.Load) and all(_operand(e) for e in node.elts)
    return _is_generated_expression(node)


def _constant_arithmetic_is_safe(node: ast.expr) -> bool:
    """Arithmetic on Python numbers alone (no x, no call: those are NumPy values, which do
    not raise) evaluated here once: it must neither raise (1/0, 10.0**400) nor build an
    integer wider than MAX_INTEGER_BITS (9**9**9 would hang the evaluation)."""
    try:
        _constant_value(node)
    except _NotConstant:
        return True
    except (ArithmeticError, ValueError, TypeError):
        return False
    return True


class _NotConstant(Exception):
    pass


def _constant_value(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in CONSTANT_VALUES:
        return CONSTANT_VALUES[node.id]
    if isinstance(node, ast.UnaryOp):
        value = _constant_value(node.operand)
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BinOp):
        left, right = _constant_value(node.left), _constant_value(node.right)
        if isinstance(node.op, ast.Pow) and isinstance(left, int) and isinstance(right, int):
            if right > 0 and max(left.bit_length(), 1) * right > MAX_INTEGER_BITS:
                raise ValueError("integer power too large")
        operations = {
            ast.Add: lambda a, b: a + b,
            ast.Sub: lambda a, b: a - b,
            ast.Mult: lambda a, b: a * b,
            ast.Div: lambda a, b: a / b,
            ast.Pow: lambda a, b: a**b,
        }
        value = operations[type(node.op)](left, right)
        if isinstance(value, complex):
            raise ValueError("complex constant")
        if isinstance(value, int) and value.bit_length() > MAX_INTEGER_BITS:
            raise ValueError("integer constant too large")
        return value
    raise _NotConstant
