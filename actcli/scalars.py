"""`actcli eval ACT X ...` on numbers from the command line without NumPy, where Python floats
give the very floats NumPy gives: importing NumPy was half the time of `actcli eval relu 1`.

A cached plan (`actcli.plans`) whose source uses only exactly rounded operations (+ - * /,
comparisons, `select`, `where`, `abs`, and/or/not) computes the same float64 on a Python float
as on a NumPy array: IEEE 754 rounds each such operation exactly. Anything else returns None and
the command takes the NumPy path of `actcli.evaluation`, whose output and errors are the
reference: a power or a function such as exp or tanh (NumPy's own implementations need not
round as the C library does), a division by zero (NumPy's inf, Python's exception), nan at a
number that is no kink (NumPy's path recomputes it with mpmath), a token that is not a plain
number, a vector activation, or no cache entry yet.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from actcli import cache
from actcli.generated import CONSTANT_VALUES, GENERATED_NAME
from actcli.json_values import json_number, json_numbers
from actcli.plans import KinkNote, NumericPlan, cache_name, kink_value
from actcli.spec import Spec

MAX_EXACT_INTEGER = 2**53  # a wider literal may convert to float differently in NumPy


@dataclass(frozen=True)
class ScalarResult:
    """`evaluation.EvalResult` of scalar numbers, as Python floats (rendered alike)."""

    activation: str
    params: dict[str, float]
    order: int
    x: tuple[float, ...]
    y: tuple[float, ...]
    kinks: tuple[KinkNote, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "activation": self.activation,
            "params": {k: json_number(v) for k, v in self.params.items()},
            "order": self.order,
            "x": json_numbers(self.x),
            "y": json_numbers(self.y),
            "undefined_at": [json_number(k.x) for k in self.kinks],
        }


def evaluate_numbers(
    spec: Spec,
    params: Mapping[str, str],
    words: Sequence[str],
    order: int = 0,
    at_kink: str | None = None,
) -> ScalarResult | None:
    """f^(order) at the numbers in `words` from the cached plan, as `evaluation.evaluate_spec`
    gives them; None where this path cannot promise that (see the module's docstring)."""
    text = "\n".join(words)
    if spec.kind == "vector" or any(c in text for c in "_#,"):  # the NumPy path's own rules
        return None
    try:
        x = [float(token) for token in text.split()]  # as NumPy reads a string as float64
        entry = cache.load(cache_name(spec, params, order))
        if not x or entry is None:
            return None
        plan = NumericPlan.from_json(entry, order)
        if not _exact(ast.parse(plan.source)):
            return None
        names: dict[str, Any] = {**_FUNCTIONS, **CONSTANT_VALUES}
        exec(plan.source, names)  # checked by from_json: arithmetic on x, nothing else
        y = [_value(names[GENERATED_NAME], value) for value in x]
    except (ArithmeticError, ValueError, TypeError, LookupError, RecursionError):
        return None
    notes = []
    for kink in plan.kinks:
        hits = [i for i, value in enumerate(x) if value == kink.x]
        if not hits:
            continue
        value, note = kink_value(kink, order, at_kink)
        for i in hits:
            y[i] = value
        if note is not None:
            notes.append(note)
    cuts = [kink.x for kink in plan.kinks]
    if any(math.isnan(b) and math.isfinite(a) and a not in cuts for a, b in zip(x, y, strict=True)):
        return None  # the NumPy path recomputes these with mpmath
    return ScalarResult(plan.name, plan.params, order, tuple(x), tuple(y), tuple(notes))


def _value(function: Callable[[float], object], x: float) -> float:
    """f(x) as a float (nan at nan, as the NumPy path sets it)."""
    if math.isnan(x):
        return math.nan
    y = function(x)
    if type(y) not in (float, int, bool):
        raise TypeError("not a real number")
    return float(y)


def _exact(tree: ast.AST) -> bool:
    """Whether generated source uses only the exactly rounded operations of `_FUNCTIONS`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            return False
        if isinstance(node, ast.Call):
            function = node.func
            name = function.value if isinstance(function, ast.Attribute) else function
            if not (isinstance(name, ast.Name) and name.id in _FUNCTIONS):
                return False
        if isinstance(node, ast.Constant) and type(node.value) is int:
            if abs(node.value) > MAX_EXACT_INTEGER:
                return False
    return True


def _select(conditions: Sequence[object], choices: Sequence[object], default: object = 0) -> object:
    for condition, choice in zip(conditions, choices, strict=True):
        if condition:
            return choice
    return default


def _where(condition: object, chosen: object, otherwise: object) -> object:
    return chosen if condition else otherwise


class _Logical:
    """`logical_or` / `logical_and`: called on two values, or `.reduce` on a tuple of them."""

    def __init__(self, combine: Callable[[Iterable[object]], bool]) -> None:
        self._combine = combine

    def __call__(self, *values: object) -> bool:
        return self._combine(values)

    def reduce(self, values: Iterable[object]) -> bool:
        return self._combine(values)


# NumPy's names in generated source, for one float: only operations IEEE 754 rounds exactly.
_FUNCTIONS: dict[str, Any] = {
    "select": _select,
    "where": _where,
    "equal": operator.eq,
    "not_equal": operator.ne,
    "greater": operator.gt,
    "greater_equal": operator.ge,
    "less": operator.lt,
    "less_equal": operator.le,
    "logical_and": _Logical(all),
    "logical_or": _Logical(any),
    "logical_not": operator.not_,
    "abs": abs,
    "absolute": abs,
}
