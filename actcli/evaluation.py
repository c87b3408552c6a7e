"""`actcli eval`: f or a derivative at numbers, in float64, with `nan` where it does not exist.

A compiled evaluation is a `NumericPlan` (`actcli.plans`: generated NumPy source, parameter values
and kinks) that `actcli.cache` keeps as JSON, so a repeated `eval` runs without SymPy (and, on
a few numbers from the command line, often without NumPy: `actcli.scalars`). Compiling on a
cache miss is the one step here that needs SymPy; it is imported there and only there.

`actcli.evaluate` also keeps compiled plans in memory (an LRU of `MEMORY_PLANS` entries),
keyed by everything that determines them: the spec's name, kind, parameters, constraints,
definition and stable forms (so a spec file that changed, read again, is a new key), the
parameter values or texts, and the order. A loop of small `actcli.evaluate` calls then costs
microseconds, not a compilation each (float32 or float64: the compiled function takes either).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from actcli import cache
from actcli.budget import Timeout, alarm
from actcli.errors import ActcliError, UsageError
from actcli.json_values import json_array, json_number
from actcli.numeric import ScalarFunction, function_from_source
from actcli.options import check_order
from actcli.plans import KinkNote, NumericPlan, cache_name, kink_value, spec_key
from actcli.spec import Spec

if TYPE_CHECKING:
    from actcli.activation import Activation

AT_KINK_CONVENTIONS = ("left", "right", "mean")


# -- eval ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvalResult:
    activation: str
    params: dict[str, float]
    order: int
    x: np.ndarray
    y: np.ndarray
    kinks: tuple[KinkNote, ...] = ()

    @property
    def vector(self) -> bool:
        return self.x.ndim == 2

    def to_json(self) -> dict[str, Any]:
        return {
            "activation": self.activation,
            "params": {k: json_number(v) for k, v in self.params.items()},
            "order": self.order,
            "x": json_array(self.x),
            "y": json_array(self.y),
            "undefined_at": [json_number(k.x) for k in self.kinks],
        }


def _plan(activation: Activation, order: int) -> NumericPlan:
    """The numeric plan of f^(order) of a bound activation (compiling it needs SymPy)."""
    kinks = tuple(activation.kinks(order))
    return NumericPlan(activation.name, activation.params, activation.numeric_code(order), kinks)


def evaluate(
    activation: Activation, x: np.ndarray, order: int = 0, at_kink: str | None = None
) -> EvalResult:
    """f^(order) at each x (rows of x for vector kinds), in float64.

    Where the derivative does not exist (one-sided limits of f^(k), k <= order, differ) the
    value is nan, or with `at_kink` the left or right limit of f^(order), or their mean.
    """
    _check_eval_options(order, at_kink)
    x = np.asarray(x, dtype=np.float64)
    if activation.kind == "vector":
        y = activation.function(order)(x)
        return EvalResult(activation.name, activation.params, order, x, y)
    values = tuple((k, type(v).__name__, v) for k, v in sorted(activation.values.items()))
    key = (_memory_key(activation.spec), "values", values, order)
    compiled = _remembered(key)
    if compiled is None:
        plan = _plan(activation, order)
        compiled = _remember(key, Compiled(plan, function_from_source(plan.source)))
    return _repaired(_run(compiled, x, order, at_kink), compiled.plan, lambda: activation)


def evaluate_spec(
    spec: Spec,
    params: Mapping[str, str],
    x: np.ndarray,
    order: int = 0,
    at_kink: str | None = None,
    *,
    remember: bool = False,
) -> EvalResult:
    """`evaluate` for a spec and --param texts, reusing a cached compilation when there is one
    (a cache hit imports no SymPy: `actcli eval` on a large stdin starts fast). With
    `remember`, the compiled plan is also kept in memory for later calls in this process
    (`actcli.evaluate`: a loop of calls then costs microseconds each)."""
    _check_eval_options(order, at_kink)
    if spec.kind == "vector":
        return evaluate(_bind(spec, params), x, order, at_kink)
    x = np.asarray(x, dtype=np.float64)
    key = (_memory_key(spec), "texts", tuple(sorted(params.items())), order)
    compiled = _remembered(key) if remember else None
    if compiled is not None:
        result = _run(compiled, x, order, at_kink)
    else:
        name = cache_name(spec, params, order)
        found = _cached_run(name, x, order, at_kink)
        if found is None:  # a miss, or an entry that failed its checks: compiled afresh
            plan = _plan(_bind(spec, params), order)
            cache.store(name, plan.to_json())
            compiled = Compiled(plan, function_from_source(plan.source))
            found = (_run(compiled, x, order, at_kink), compiled)
        result, compiled = found
        if remember:
            _remember(key, compiled)
    return _repaired(result, compiled.plan, lambda: _bind(spec, params))


@dataclass(frozen=True)
class Compiled:
    """A plan and the function compiled from its source."""

    plan: NumericPlan
    function: ScalarFunction


MEMORY_PLANS = 512  # compiled plans kept in memory per process (least recently used dropped)
_memory: OrderedDict[Hashable, Compiled] = OrderedDict()
_memory_lock = threading.Lock()  # evaluate may be called from several threads


class _HashedKey:
    """A spec's key with its hash computed once: hashing the spec's dataclasses field by field
    cost a few us of each `actcli.evaluate` on a few numbers."""

    __slots__ = ("hash", "parts")

    def __init__(self, parts: tuple[Any, ...]) -> None:
        self.parts = parts
        self.hash = hash(parts)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _HashedKey) and self.parts == other.parts


_memory_keys: dict[int, tuple[Spec, _HashedKey]] = {}  # id(spec) -> (spec, its key)


def _memory_key(spec: Spec) -> _HashedKey:
    """`plans.spec_key(spec)`, hashed once per spec object."""
    entry = _memory_keys.get(id(spec))
    if entry is None or entry[0] is not spec:
        if len(_memory_keys) > MEMORY_PLANS:
            _memory_keys.clear()
        entry = _memory_keys[id(spec)] = (spec, _HashedKey(spec_key(spec)))
    return entry[1]


def forget_compiled() -> None:
    """Empty the in-memory plans (the disk cache is untouched): the next evaluation of each
    reads the disk cache or compiles again."""
    with _memory_lock:
        _memory.clear()


def _remembered(key: Hashable) -> Compiled | None:
    with _memory_lock:
        compiled = _memory.get(key)
        if compiled is not None:
            _memory.move_to_end(key)
        return compiled


def _remember(key: Hashable, compiled: Compiled) -> Compiled:
    with _memory_lock:
        _memory[key] = compiled
        _memory.move_to_end(key)
        while len(_memory) > MEMORY_PLANS:
            _memory.popitem(last=False)
    return compiled


def _cached_run(
    name: str, x: np.ndarray, order: int, at_kink: str | None
) -> tuple[EvalResult, Compiled] | None:
    """The result from the cached plan `name`, or None where there is none usable: absent,
    malformed, outside the generator's syntax (never run), or raising when run (a checked
    source can still call a function with the wrong arguments)."""
    entry = cache.load(name)
    if entry is None:
        return None
    try:
        plan = NumericPlan.from_json(entry, order)
        compiled = Compiled(plan, function_from_source(plan.source))
        return _run(compiled, x, order, at_kink), compiled
    except (ArithmeticError, ValueError, TypeError, LookupError, AttributeError, SyntaxError):
        return None
    except (RecursionError, MemoryError):
        return None


REPAIR_SECONDS = 0.5  # per point: a value mpmath cannot reach in that time stays as it was
# infinite results re-checked per call (0.2-4 ms each): an overflow is most often the true
# value's, and a pipe of a million of them would take minutes
INFINITIES_CHECKED = 256


def _repaired(
    result: EvalResult, plan: NumericPlan, activation_of: Callable[[], Activation]
) -> EvalResult:
    """Where float64 evaluation gave nan at a real x that is no cut point (inf*0 far out,
    as in x*exp(x)*(1 - tanh(exp(x))**2) at x = 1000), the value recomputed with mpmath
    and rounded to float64: nan only where f^(order) is really undefined. The first
    `INFINITIES_CHECKED` infinite results are recomputed too: an overflow inside the float
    form can give +inf where f^(order) is finite or -inf (f'' of (cosh(x) + x)/(x + expm1(x))
    at x = -1000)."""
    finite = np.isfinite(result.y)
    if np.count_nonzero(finite) == finite.size:  # two direct NumPy calls on the common path
        return result
    bad = ~finite
    bad &= np.isfinite(result.x)
    bad &= ~np.isin(result.x, [k.x for k in plan.kinks])
    infinite = np.flatnonzero(bad & np.isinf(result.y))
    bad.reshape(-1)[infinite[INFINITIES_CHECKED:]] = False  # a view: bad is new
    if not bad.any():
        return result
    activation = activation_of()
    reference = activation.reference(result.order)
    y = result.y.copy()
    flat_x, flat_y = result.x.reshape(-1), y.reshape(-1)  # a single x is a 0-d array
    timed_out = False  # after one infinity mpmath could not reach, the rest are float64's
    limits: dict[float, float | None] = {}  # at 0/0 points, by x
    for index in np.flatnonzero(bad):
        if timed_out and np.isinf(flat_y[index]):
            continue
        x = float(flat_x[index])
        try:
            with alarm(REPAIR_SECONDS):
                value = reference(x)
        except Timeout:
            timed_out = timed_out or bool(np.isinf(flat_y[index]))
            continue
        except ZeroDivisionError:  # 0/0 at any precision: a removable singularity, or a pole
            value = _limit_value(activation, result.order, x, limits)
        except (ActcliError, ArithmeticError, ValueError, TypeError):
            continue
        if value is not None:
            flat_y[index] = value
    return dataclasses.replace(result, y=y)


REPAIR_LIMIT_SECONDS = 5.0  # for the two one-sided limits at one 0/0 point
LIMITS_TAKEN = 8  # distinct points per call where limits are taken (each may take seconds)


def _limit_value(
    activation: Activation, order: int, x: float, limits: dict[float, float | None]
) -> float | None:
    """f^(order) at a point where it evaluates to 0/0, from its limit there (the first
    `LIMITS_TAKEN` distinct points; a point repeated is looked up)."""
    if x not in limits and len(limits) < LIMITS_TAKEN:
        try:
            with alarm(REPAIR_LIMIT_SECONDS):
                limits[x] = activation.limit_value(order, x, REPAIR_LIMIT_SECONDS)
        except (Timeout, ActcliError, ArithmeticError, ValueError, TypeError):
            limits[x] = None
    return limits.get(x)


def _bind(spec: Spec, params: Mapping[str, str]) -> Activation:
    """The spec bound to its parameters. Deferred import: binding parses expressions with SymPy
    (~0.3 s), which a cache hit never needs."""
    from actcli.activation import bind  # deferred: SymPy

    return bind(spec, params)


def _check_eval_options(order: int, at_kink: str | None) -> None:
    check_order(order)
    if at_kink is not None and at_kink not in AT_KINK_CONVENTIONS:
        raise UsageError(f"--at-kink {at_kink!r}: use one of {', '.join(AT_KINK_CONVENTIONS)}")


def _run(compiled: Compiled, x: np.ndarray, order: int, at_kink: str | None) -> EvalResult:
    plan = compiled.plan
    y = compiled.function(x)
    notes = []
    for kink in plan.kinks:
        hit = x == kink.x
        if not np.count_nonzero(hit):  # a direct C call; .any() goes through Python first
            continue
        value, note = kink_value(kink, order, at_kink)
        y[hit] = value
        if note is not None:
            notes.append(note)
    return EvalResult(plan.name, plan.params, order, x, y, tuple(notes))
