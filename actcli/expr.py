"""A safe expression language: Python's `ast`, a whitelist, and a SymPy tree built by hand.

User text is never passed to `eval`, `sympify` or `parse_expr` (all three execute code). The
parser walks a whitelist of node types and function names and bounds every size that could make
parsing or SymPy's automatic evaluation hang: text length, node count, nesting depth, literal
digits and the size of integer powers. The grammar is documented in README.md.
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sympy
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

from actcli.errors import ExpressionError
from actcli.functions import (
    erfc,
    expm1,
    log1p,
    logsumexp,
    reduce_max,
    reduce_min,
    sigmoid,
    softplus,
)
from actcli.grammar import CONSTANT_NAMES, FUNCTION_NAMES, REDUCTION_NAMES

MAX_LENGTH = 4000
MAX_NODES = 1000
MAX_DEPTH = 60  # brackets
MAX_TREE_DEPTH = 200  # a flat sum of n terms is n deep
MAX_LITERAL_DIGITS = 60
MAX_DECIMAL_EXPONENT = 400
MAX_POWER_DIGITS = 400
MAX_NUMBER_BITS = int(MAX_POWER_DIGITS * 3.33)
MAX_INTEGER_EXPONENT = 1000

X = sympy.Symbol("x", real=True)
Y = sympy.Symbol("y", real=True)
X_VEC = sympy.IndexedBase("x", real=True)
Y_VEC = sympy.IndexedBase("y", real=True)
I = sympy.Symbol("i", integer=True, nonnegative=True)  # noqa: E741 - the grammar's index i
J = sympy.Symbol("j", integer=True, nonnegative=True)
N = sympy.Symbol("n", integer=True, positive=True)

CONSTANTS: dict[str, sympy.Basic] = {"pi": sympy.pi, "e": sympy.E}


HALF = sympy.Rational(1, 2)


def _heaviside(u: sympy.Expr, h0: sympy.Expr = HALF) -> sympy.Expr:
    return sympy.Heaviside(u, h0)


# name -> (SymPy constructor, allowed argument counts; None means any number >= 2)
FUNCTIONS: dict[str, tuple[Callable[..., sympy.Basic], tuple[int, ...] | None]] = {
    "exp": (sympy.exp, (1,)),
    "log": (sympy.log, (1,)),
    "log1p": (log1p, (1,)),
    "expm1": (expm1, (1,)),
    "sqrt": (sympy.sqrt, (1,)),
    "abs": (sympy.Abs, (1,)),
    "sign": (sympy.sign, (1,)),
    "sin": (sympy.sin, (1,)),
    "cos": (sympy.cos, (1,)),
    "tanh": (sympy.tanh, (1,)),
    "sinh": (sympy.sinh, (1,)),
    "cosh": (sympy.cosh, (1,)),
    "atan": (sympy.atan, (1,)),
    "asinh": (sympy.asinh, (1,)),
    "erf": (sympy.erf, (1,)),
    "erfc": (erfc, (1,)),
    "max": (sympy.Max, None),
    "min": (sympy.Min, None),
    "heaviside": (_heaviside, (1, 2)),
    "sigmoid": (sigmoid, (1,)),
    "softplus": (softplus, (1,)),
}
# Vector kinds only: reductions over an index, and Kronecker's delta.
REDUCTIONS: dict[str, Callable[..., sympy.Basic]] = {
    "sum": lambda body, j, n: sympy.Sum(body, (j, 0, n - 1)),
    "max": reduce_max,
    "min": reduce_min,
    "logsumexp": logsumexp,
}
if (set(FUNCTIONS), set(REDUCTIONS), set(CONSTANTS)) != (
    set(FUNCTION_NAMES),
    set(REDUCTION_NAMES),
    set(CONSTANT_NAMES),
):  # pragma: no cover - a developer error, caught by any test run
    raise RuntimeError("actcli.grammar and actcli.expr disagree on the grammar")


@dataclass(frozen=True)
class Namespace:
    """The names an expression may use.

    `symbols` maps a name to its SymPy object; an `IndexedBase` (vector kinds' `x`, `y`) must be
    subscripted with one of `indices`; `free_indices` may appear anywhere, the others only inside
    a reduction that binds them.
    """

    symbols: Mapping[str, sympy.Basic]
    indices: frozenset[str] = field(default_factory=frozenset)
    free_indices: frozenset[str] = field(default_factory=frozenset)
    length: sympy.Symbol | None = None

    @property
    def vector(self) -> bool:
        return bool(self.indices)


def scalar_namespace(
    parameters: Mapping[str, sympy.Symbol], *, variables: tuple[str, ...] = ("x",)
) -> Namespace:
    """Names for a scalar kind: the parameters and `x` (and `y` where the output is allowed)."""
    fixed = {"x": X, "y": Y, "oo": sympy.oo}
    return Namespace({**parameters, **{name: fixed[name] for name in variables}})


def vector_namespace(
    parameters: Mapping[str, sympy.Symbol], *, variables: tuple[str, ...] = ("x",)
) -> Namespace:
    """Names for a vector kind: `x[i]`, `x[j]`, `n`, the parameters (and `y[...]`, `delta`)."""
    fixed = {"x": X_VEC, "y": Y_VEC, "oo": sympy.oo}
    symbols = {**parameters, "n": N, "i": I, "j": J}
    symbols.update({name: fixed[name] for name in variables})
    free = {"i"}
    if "y" in variables:  # a Jacobian d y_i / d x_j: both indices free
        symbols["delta"] = sympy.KroneckerDelta
        free.add("j")
    return Namespace(symbols, frozenset({"i", "j"}), frozenset(free), N)


def parse_expression(text: str, namespace: Namespace, *, condition: bool = False) -> sympy.Basic:
    """Parse `text` into a SymPy expression (or a boolean when `condition` is true).

    Raises:
        ExpressionError: the text is outside the grammar or its limits; the message names the
            problem and, where there is one, its 1-based column.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expected an expression string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(text)} characters long (limit {MAX_LENGTH})")
    for column, char in enumerate(text, start=1):
        if not (char.isascii() and (char.isprintable() or char in " \t")):
            raise ExpressionError(f"character {char!r} is not allowed", column)
    if not text.strip():
        raise ExpressionError("expression is empty")
    _check_bracket_depth(text)
    offset = len(text) - len(text.lstrip())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "invalid decimal literal" in `x>1and x<3`
            tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        column = min(max(exc.offset or 1, 1) + offset, len(text) + 1)
        raise ExpressionError(f"syntax error: {exc.msg}", column) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("expression is too deeply nested") from None
    _check_tree_size(tree)
    result = _Builder(text, namespace, offset).build(tree.body)
    if condition:
        if not _is_boolean(result):
            raise ExpressionError("a `when` condition must be a comparison such as x > 0")
    elif _is_boolean(result):
        raise ExpressionError("a comparison is only allowed in a `when` condition")
    elif result.has(sympy.zoo, sympy.nan):
        raise ExpressionError("expression is undefined (a division by zero?)")
    elif result.has(sympy.I):
        raise ExpressionError("expression is not real (sqrt or log of a negative number?)")
    return result


def _check_bracket_depth(text: str) -> None:
    depth = 0
    for column, char in enumerate(text, start=1):
        if char in "([":
            depth += 1
            if depth > MAX_DEPTH:
                raise ExpressionError(f"brackets nested deeper than {MAX_DEPTH}", column)
        elif char in ")]":
            depth -= 1


def _check_tree_size(tree: ast.AST) -> None:
    count = 0
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(f"expression has more than {MAX_NODES} elements")
        if depth > MAX_TREE_DEPTH:
            raise ExpressionError(f"expression is nested deeper than {MAX_TREE_DEPTH}")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
_COMPARE = {
    ast.Lt: sympy.Lt,
    ast.LtE: sympy.Le,
    ast.Gt: sympy.Gt,
    ast.GtE: sympy.Ge,
    ast.Eq: sympy.Eq,
    ast.NotEq: sympy.Ne,
}
_OPERATOR_NAMES = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitXor: "^ (use ** for powers)",
}


class _Builder:
    """Turns a whitelisted `ast` tree into SymPy, one node type at a time."""

    def __init__(self, text: str, namespace: Namespace, offset: int) -> None:
        self.text = text
        self.namespace = namespace
        self.offset = offset
        self.bound: set[str] = set()

    def fail(self, message: str, node: ast.AST | None = None) -> ExpressionError:
        column = None if node is None else getattr(node, "col_offset", -1) + 1 + self.offset
        return ExpressionError(message, column)

    def build(self, node: ast.AST) -> sympy.Basic:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            raise self.fail(f"{_describe(node)} is not allowed", node)
        try:
            result = method(node)
        except ExpressionError:
            raise
        except (TypeError, ValueError, ArithmeticError) as exc:
            # SymPy refusing, e.g. max(sqrt(-1), 1) or log(0) > 1
            raise self.fail(f"cannot be evaluated ({exc})", node) from None
        if result.is_Rational and max(abs(result.p), result.q).bit_length() > MAX_NUMBER_BITS:
            raise self.fail(f"number has more than {MAX_POWER_DIGITS} digits", node)
        return result

    def visit_Constant(self, node: ast.Constant) -> sympy.Basic:
        value = node.value
        if isinstance(value, bool):
            return sympy.true if value else sympy.false
        if not isinstance(value, int | float):
            raise self.fail(f"{type(value).__name__} literal is not allowed", node)
        literal = ast.get_source_segment(self.text.strip(), node) or repr(value)
        if any(char in literal.lower() for char in "xobj"):
            raise self.fail(f"number {literal!r} must be written in decimal", node)
        mantissa, _, exponent = literal.lower().replace("_", "").partition("e")
        if len(mantissa.replace(".", "").lstrip("0")) > MAX_LITERAL_DIGITS:
            raise self.fail(f"number has more than {MAX_LITERAL_DIGITS} digits", node)
        if exponent and abs(int(exponent)) > MAX_DECIMAL_EXPONENT:
            raise self.fail(f"number's exponent is beyond ±{MAX_DECIMAL_EXPONENT}", node)
        return sympy.Rational(literal.replace("_", ""))

    def visit_Name(self, node: ast.Name) -> sympy.Basic:
        name = node.id
        if name in self.namespace.symbols:
            value = self.namespace.symbols[name]
            if isinstance(value, sympy.IndexedBase):
                raise self.fail(f"'{name}' is a vector: write {name}[i] or {name}[j]", node)
            if name in self.namespace.indices and not self._in_scope(name):
                raise self.fail(f"index '{name}' is used outside a reduction over it", node)
            if not isinstance(value, sympy.Basic):
                raise self.fail(f"'{name}' is a function: call it", node)
            return value
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS or name in REDUCTIONS:
            raise self.fail(f"'{name}' is a function: call it as {name}(...)", node)
        known = ", ".join(sorted({*self.namespace.symbols, *CONSTANTS} - {"delta"}))
        raise self.fail(f"unknown symbol '{name}' (known: {known})", node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> sympy.Basic:
        operand = self.build(node.operand)
        if isinstance(node.op, ast.USub):
            return -self._numeric(operand, node.operand)
        if isinstance(node.op, ast.UAdd):
            return self._numeric(operand, node.operand)
        if isinstance(node.op, ast.Not | ast.Invert):
            return sympy.Not(self._boolean(operand, node.operand))
        raise self.fail(f"{_describe(node)} is not allowed", node)

    def visit_BinOp(self, node: ast.BinOp) -> sympy.Basic:
        op = type(node.op)
        left, right = self.build(node.left), self.build(node.right)
        if op in (ast.BitAnd, ast.BitOr):
            combine = sympy.And if op is ast.BitAnd else sympy.Or
            return combine(self._boolean(left, node.left), self._boolean(right, node.right))
        if op in _OPERATOR_NAMES:
            raise self.fail(f"operator {_OPERATOR_NAMES[op]} is not allowed", node)
        left, right = self._numeric(left, node.left), self._numeric(right, node.right)
        if op is ast.Pow:
            return self._power(left, right, node)
        if op is ast.Div and right.is_zero:
            raise self.fail("division by zero", node)
        return _BINARY[op](left, right)

    def _power(self, base: sympy.Expr, exponent: sympy.Expr, node: ast.AST) -> sympy.Expr:
        if exponent.is_Integer and abs(int(exponent)) > MAX_INTEGER_EXPONENT:
            raise self.fail(f"integer exponent beyond ±{MAX_INTEGER_EXPONENT}", node)
        if base.is_Number and exponent.is_Number:
            if base.is_zero and exponent.is_negative:
                raise self.fail("division by zero", node)
            magnitude = abs(float(exponent)) * abs(_log10(base))
            if magnitude > MAX_POWER_DIGITS:
                raise self.fail(f"power has more than {MAX_POWER_DIGITS} digits", node)
        elif (
            exponent.is_Number and not exponent.is_Integer and abs(exponent) > MAX_INTEGER_EXPONENT
        ):
            raise self.fail(f"exponent beyond ±{MAX_INTEGER_EXPONENT}", node)
        return sympy.Pow(base, exponent)

    def visit_BoolOp(self, node: ast.BoolOp) -> sympy.Basic:
        combine = sympy.And if isinstance(node.op, ast.And) else sympy.Or
        return combine(*(self._boolean(self.build(value), value) for value in node.values))

    def visit_Compare(self, node: ast.Compare) -> sympy.Basic:
        terms = [self.build(node.left), *(self.build(c) for c in node.comparators)]
        nodes = [node.left, *node.comparators]
        for term, term_node in zip(terms, nodes, strict=True):
            self._numeric(term, term_node)
        relations = []
        for op, left, right in zip(node.ops, terms, terms[1:], strict=False):
            if type(op) not in _COMPARE:
                raise self.fail(f"comparison {_describe(op)} is not allowed", node)
            relations.append(_COMPARE[type(op)](left, right))
        return sympy.And(*relations)

    def visit_Subscript(self, node: ast.Subscript) -> sympy.Basic:
        if not (isinstance(node.value, ast.Name) and node.value.id in self.namespace.symbols):
            raise self.fail("only x[i] and x[j] may be subscripted", node)
        base = self.namespace.symbols[node.value.id]
        if not isinstance(base, sympy.IndexedBase):
            raise self.fail(f"'{node.value.id}' is a scalar and cannot be subscripted", node)
        index = node.slice
        if not (isinstance(index, ast.Name) and index.id in self.namespace.indices):
            allowed = " or ".join(sorted(self.namespace.indices))
            raise self.fail(f"index must be {allowed}", index)
        if not self._in_scope(index.id):
            raise self.fail(f"index '{index.id}' is used outside a reduction over it", index)
        return base[self.namespace.symbols[index.id]]

    def visit_Call(self, node: ast.Call) -> sympy.Basic:
        if not isinstance(node.func, ast.Name):
            raise self.fail("only named functions may be called", node)
        if node.keywords:
            raise self.fail("keyword arguments are not allowed", node.keywords[0].value)
        name = node.func.id
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise self.fail("starred arguments are not allowed", node)
        if self.namespace.vector and self._is_reduction(name, node):
            return self._reduction(name, node)
        if name == "delta" and "delta" in self.namespace.symbols:
            return self._delta(node)
        if name not in FUNCTIONS:
            if self.namespace.vector and name in REDUCTIONS:  # known, but not so called
                free = self.namespace.free_indices
                bound = " or ".join(sorted(self.namespace.indices - free))
                if not bound:  # a Jacobian's i and j are both free
                    shown = ", ".join(sorted(free))
                    message = f"{name}() has no index to reduce over here ({shown} are free)"
                else:
                    message = f"{name}(EXPR, INDEX) reduces over an index ({bound})"
                raise self.fail(message, node)
            known = ", ".join(sorted(self._function_names()))
            raise self.fail(f"unknown function '{name}' (known: {known})", node.func)
        constructor, arities = FUNCTIONS[name]
        count = len(node.args)
        if arities is None and count < 2:
            raise self.fail(f"{name}() takes at least 2 arguments, got {count}", node)
        if arities is not None and count not in arities:
            expected = " or ".join(map(str, arities))
            raise self.fail(f"{name}() takes {expected} argument(s), got {count}", node)
        args = [self._numeric(self.build(arg), arg) for arg in node.args]
        return constructor(*args)

    def _in_scope(self, index: str) -> bool:
        return index in self.namespace.free_indices or index in self.bound

    def _function_names(self) -> set[str]:
        names = set(FUNCTIONS)
        if self.namespace.vector:
            names |= set(REDUCTIONS)
        if "delta" in self.namespace.symbols:
            names.add("delta")
        return names

    def _is_reduction(self, name: str, node: ast.Call) -> bool:
        if name not in REDUCTIONS:
            return False
        last = node.args[-1] if node.args else None
        return (name not in FUNCTIONS or len(node.args) == 2) and (
            isinstance(last, ast.Name) and last.id in self.namespace.indices
        )

    def _reduction(self, name: str, node: ast.Call) -> sympy.Basic:
        if len(node.args) != 2:
            raise self.fail(f"{name}(EXPR, j) takes 2 arguments, got {len(node.args)}", node)
        body_node, index_node = node.args
        index = index_node.id
        if index in self.namespace.free_indices:
            raise self.fail(f"cannot reduce over the free index '{index}'", index_node)
        if index in self.bound:
            raise self.fail(f"index '{index}' is already bound by an outer reduction", index_node)
        self.bound.add(index)
        try:
            body = self._numeric(self.build(body_node), body_node)
        finally:
            self.bound.discard(index)
        return REDUCTIONS[name](body, self.namespace.symbols[index], self.namespace.length)

    def _delta(self, node: ast.Call) -> sympy.Basic:
        args = node.args
        if len(args) != 2 or not all(
            isinstance(a, ast.Name) and a.id in self.namespace.indices for a in args
        ):
            raise self.fail("delta takes two indices, as in delta(i, j)", node)
        return sympy.KroneckerDelta(*(self.namespace.symbols[a.id] for a in args))

    def _numeric(self, value: sympy.Basic, node: ast.AST) -> sympy.Expr:
        if _is_boolean(value):
            raise self.fail("a comparison cannot be used as a number", node)
        return value

    def _boolean(self, value: sympy.Basic, node: ast.AST) -> sympy.Basic:
        if not _is_boolean(value):
            raise self.fail(
                "expected a comparison; with & and | wrap each comparison in parentheses, "
                "as in (x > -3) & (x < 3)",
                node,
            )
        return value


def _is_boolean(value: sympy.Basic) -> bool:
    # Not `isinstance(value, Boolean)`: SymPy's Symbol is a Boolean too.
    return isinstance(value, sympy.core.relational.Relational | BooleanFunction | BooleanAtom)


def _log10(number: sympy.Number) -> float:
    """log10 of |number| without forming it as a float (it may be far beyond 1e308)."""
    if number.is_zero:
        return 0.0
    if number.is_Rational:
        return _log10_integer(abs(int(number.p))) - _log10_integer(int(number.q))
    return math.log10(abs(float(number)))


def _log10_integer(value: int) -> float:
    bits = value.bit_length()
    if bits < 1000:
        return math.log10(value)
    return math.log10(value >> (bits - 60)) + (bits - 60) * math.log10(2)


def _describe(node: ast.AST) -> str:
    names = {
        "Attribute": "attribute access",
        "Lambda": "lambda",
        "ListComp": "a list comprehension",
        "GeneratorExp": "a generator expression",
        "SetComp": "a set comprehension",
        "DictComp": "a dict comprehension",
        "List": "a list",
        "Tuple": "a tuple",
        "Dict": "a dict",
        "Set": "a set",
        "IfExp": "a conditional expression (use piecewise:)",
        "NamedExpr": "assignment",
        "JoinedStr": "an f-string",
        "Starred": "a starred expression",
        "Slice": "a slice",
        "Await": "await",
        "Yield": "yield",
        "Is": "'is'",
        "IsNot": "'is not'",
        "In": "'in'",
        "NotIn": "'not in'",
    }
    return names.get(type(node).__name__, type(node).__name__)
