"""A finished table: its error budget per order, and what a consumer reads back from it.

Kept apart so that the JSON shape and the reconstruction (the Python twin of the generated C)
change here only, not with the mathematics that fills them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from actcli.formats import column_name
from actcli.json_values import json_number


def label(order: int) -> str:
    """f, f', f'': how messages, notes and C comments name order k."""
    return "f" + "'" * order


@dataclass(frozen=True)
class ErrorBudget:
    """Where one order's error comes from; certified_error bounds the consumer's error."""

    order: int
    interpolation_bound: float
    quantisation_error: float
    evaluation_error: float
    measured_error: float = math.nan

    @property
    def certified_error(self) -> float:
        return self.interpolation_bound + self.quantisation_error + self.evaluation_error

    def to_json(self) -> dict[str, Any]:

        return {
            "order": self.order,
            "column": column_name(self.order),
            "interpolation_bound": json_number(self.interpolation_bound),
            "quantisation_error": json_number(self.quantisation_error),
            "evaluation_error": json_number(self.evaluation_error),
            "certified_error": json_number(self.certified_error),
            "measured_error": json_number(self.measured_error),
        }


@dataclass(frozen=True, eq=False)
class TableResult:
    """A finished table: grid, exact and stored values per order, and the error budget.

    `lo`/`hi` are the requested range; the nodes `x` start at `start` (0 when folded).
    `stored[j]` holds order `orders[j]` as stored (ints for fixed point, `storage` dtype);
    `reflect[j]` = (s, C): the consumer returns s*v + C for x < 0 when folded.
    """

    activation: str
    params: dict[str, float]
    lo: float
    hi: float
    step: float
    points: int
    interp: str
    orders: tuple[int, ...]
    number_format: str
    storage: str
    scale: int | None
    fold: str | None
    x: np.ndarray
    exact: tuple[np.ndarray, ...]
    stored: tuple[np.ndarray, ...]
    budgets: tuple[ErrorBudget, ...]
    notes: tuple[str, ...] = ()
    reflect: tuple[tuple[float, float], ...] = ()
    max_error: float | None = None
    sampled: int = field(default=0)

    @property
    def start(self) -> float:
        return float(self.x[0])

    @property
    def certified_error(self) -> float:
        return max(b.certified_error for b in self.budgets)

    @property
    def measured_error(self) -> float:
        return max(b.measured_error for b in self.budgets)

    def dequantised(self, index: int) -> np.ndarray:
        """Stored values of orders[index] as float64 numbers (stored/scale for fixed point)."""
        values = self.stored[index].astype(np.float64)
        return values / self.scale if self.scale else values

    def evaluate(self, x: Any, order: int | None = None) -> np.ndarray:
        """What a consumer reads back at x (float64, the same arithmetic as the generated C)."""
        index = self.orders.index(self.orders[0] if order is None else order)
        return _reconstruct(self, index, np.asarray(x, dtype=np.float64))

    def to_json(self) -> dict[str, Any]:

        def number(value: Any) -> Any:
            return int(value) if self.scale else json_number(value)

        return {
            "activation": self.activation,
            "params": {k: json_number(v) for k, v in self.params.items()},
            "range": [json_number(self.lo), json_number(self.hi)],
            "start": json_number(self.start),
            "step": json_number(self.step),
            "points": self.points,
            "interpolation": self.interp,
            "number_format": self.number_format,
            "storage": self.storage,
            "scale": self.scale,
            "fold": self.fold,
            "orders": list(self.orders),
            "columns": ["x", *(column_name(k) for k in self.orders)],
            "max_error": None if self.max_error is None else json_number(self.max_error),
            "certified_max_error": json_number(self.certified_error),
            "measured_max_error": json_number(self.measured_error),
            "measured_points": self.sampled,
            "error_budget": [b.to_json() for b in self.budgets],
            "notes": list(self.notes),
            "x": [json_number(v) for v in self.x],
            "values": {
                column_name(k): [number(v) for v in values]
                for k, values in zip(self.orders, self._plain(), strict=True)
            },
        }

    def _plain(self) -> list[np.ndarray]:
        return [s.astype(np.int64) if self.scale else s.astype(np.float64) for s in self.stored]


def _reconstruct(result: TableResult, index: int, x: np.ndarray) -> np.ndarray:
    values = result.dequantised(index)
    size, start, step = result.points, result.start, result.step
    negative = x < 0 if result.fold else np.zeros(x.shape, dtype=bool)
    u = np.where(negative, -x, x)
    u = np.clip(u, start, result.hi)
    with np.errstate(invalid="ignore"):
        t = (u - start) / step
        if result.interp == "linear":
            i = np.clip(np.floor(np.nan_to_num(t)), 0, size - 2).astype(np.int64)
            frac = t - i
            v = values[i] + frac * (values[i + 1] - values[i])
        else:
            shifted = t + 0.5 if result.interp == "nearest" else t
            i = np.clip(np.floor(np.nan_to_num(shifted)), 0, size - 1).astype(np.int64)
            v = values[i]
    if result.fold:
        sign, offset = result.reflect[index]
        v = np.where(negative, sign * v + offset, v)
    return np.where(np.isnan(x), np.nan, v)
