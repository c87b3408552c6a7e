"""A compiled evaluation as data, free of NumPy: the `NumericPlan` that `actcli.cache` keeps as
JSON (generated source, parameter values, kinks), the name it is cached under, and what an
evaluation prints at a kink.

`actcli.evaluation` runs a plan with NumPy; `actcli.scalars` runs one on a few numbers from the
command line without importing NumPy. Both read and key the cache here, so they find the same
entries and treat kinks alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from actcli import cache
from actcli.generated import Kink, is_generated_source
from actcli.spec import Spec


@dataclass(frozen=True)
class KinkNote:
    """A point where the requested derivative does not exist, and what was printed there."""

    x: float
    order: int
    left: float
    right: float
    jump_order: int
    printed: str

    def message(self, name: str) -> str:
        derivative = _derivative_name(self.order)
        if self.order == 0:
            return f"{name}: f is undefined at x = {self.x!r}; printed nan"
        if self.jump_order == self.order:
            why = f"one-sided limits {self.left!r} and {self.right!r}"
        else:
            why = f"{_derivative_name(self.jump_order)} already jumps there"
        hint = "" if self.printed != "nan" else " (pick one with --at-kink left|right|mean)"
        return (
            f"{name}: {derivative} does not exist at x = {self.x!r} ({why}); "
            f"printed {self.printed}{hint}"
        )


def _derivative_name(order: int) -> str:
    return "f" + ("'" * order if order <= 3 else f"^({order})")


def kink_value(kink: Kink, order: int, convention: str | None) -> tuple[float, KinkNote | None]:
    """The value f^(order) takes at a kink's x, and the note to print where it does not exist
    (there: nan, or with `convention` the left or right limit, or their mean)."""
    if kink.exists(order):  # exact there, whatever branch a compiled Piecewise picks
        return kink.value_of(order), None
    left, right = kink.left[order], kink.right[order]
    conventions = {"left": left, "right": right, "mean": (left + right) / 2}
    value = conventions.get(convention, math.nan) if order else math.nan
    printed = f"the {convention} value {value!r}" if convention and order else "nan"
    jump = kink.first_jump()
    return value, KinkNote(kink.x, order, left, right, order if jump is None else jump, printed)


@dataclass(frozen=True)
class NumericPlan:
    """What evaluating f^(order) of a bound scalar activation needs, free of SymPy: the
    generated NumPy source, the parameter values and the kinks (cacheable as JSON)."""

    name: str
    params: dict[str, float]
    source: str
    kinks: tuple[Kink, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "params": self.params,
            "source": self.source,
            "kinks": [
                [k.x, k.x_exact, list(k.left), list(k.right), k.value, k.sides] for k in self.kinks
            ],
        }

    @classmethod
    def from_json(cls, data: object, order: int) -> NumericPlan:
        """A plan read back from the cache, checked field by field.

        Raises:
            ValueError: anything but what `to_json` writes for f^(order): a wrong type or
                shape, or a source outside what the code generator emits
                (`generated.is_generated_source`), which is therefore never run.
        """
        if not isinstance(data, dict) or set(data) != {"name", "params", "source", "kinks"}:
            raise ValueError("not a numeric plan")
        name, params, source, kinks = data["name"], data["params"], data["source"], data["kinks"]
        if not isinstance(name, str) or not isinstance(params, dict) or not isinstance(kinks, list):
            raise ValueError("not a numeric plan")
        if not all(isinstance(k, str) and _is_number(v) for k, v in params.items()):
            raise ValueError("bad parameters")
        if not is_generated_source(source):
            raise ValueError("source is not generated code")
        return cls(name, params, source, tuple(_kink_from_json(k, order) for k in kinks))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kink_from_json(item: object, order: int) -> Kink:
    if not isinstance(item, list) or len(item) != 6:
        raise ValueError("bad kink")
    x, exact, left, right, value, sides = item
    limits_ok = all(
        isinstance(side, list) and len(side) == order + 1 and all(map(_is_number, side))
        for side in (left, right)
    )
    if not (
        _is_number(x)
        and isinstance(exact, str)
        and limits_ok
        and _is_number(value)
        and sides in ("both", "left", "right")
    ):
        raise ValueError("bad kink")
    return Kink(float(x), exact, tuple(map(float, left)), tuple(map(float, right)), value, sides)


def spec_key(spec: Spec) -> tuple[Any, ...]:
    """What of a spec decides its numeric plans (its file's other fields do not)."""
    stable = tuple(sorted(spec.stable_derivatives.items()))
    return (
        spec.name,
        spec.kind,
        spec.parameters,
        spec.constraints,
        spec.definition,
        spec.stable,
        stable,
    )


def cache_name(spec: Spec, params: Mapping[str, str], order: int) -> str:
    """The cache entry of f^(order) of `spec` bound to the parameter texts `params`."""
    return "numeric-" + cache.key(*spec_key(spec), sorted(params.items()), order)
