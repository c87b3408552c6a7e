"""Properties of vector activations (softmax, maxout, ...): only the range and bounds have a
meaning for R^n -> R^n (or R), and they come from seeded random inputs (evidence, not proof).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from actcli.activation import Activation
from actcli.json_values import json_number
from actcli.properties.values import number_text

SCALES = (1.0, 10.0, 100.0, 1000.0)


@dataclass(frozen=True)
class Extremes:
    """Smallest and largest output over seeded random vectors (n = 1..6) at each scale."""

    lowest: tuple[tuple[float, list[float]], ...]  # per scale: (value, the input vector)
    highest: tuple[tuple[float, list[float]], ...]

    @property
    def bounded_below(self) -> bool:
        """The minimum does not run away as the inputs grow (evidence, not proof)."""
        return not _runs_away(self.lowest)

    @property
    def bounded_above(self) -> bool:
        return not _runs_away(self.highest)


def _runs_away(values: tuple[tuple[float, list[float]], ...]) -> bool:
    first, last = values[0][0], values[-1][0]
    return not math.isfinite(last) or abs(last) > 10 * max(1.0, abs(first))


def vector_extremes(activation: Activation) -> Extremes:
    """Numeric evidence about a vector activation's outputs (seeded, reproducible)."""
    function = activation.function(0)
    rng = np.random.default_rng(20261123)
    lowest, highest = [], []
    for scale in SCALES:
        low, high = (math.inf, []), (-math.inf, [])
        for n in range(1, 7):
            x = rng.normal(scale=scale, size=(2000, n))
            y = np.asarray(function(x)).reshape(len(x), -1)
            mins, maxs = y.min(axis=1), y.max(axis=1)
            i, j = int(np.argmin(mins)), int(np.argmax(maxs))
            if mins[i] < low[0]:
                low = (float(mins[i]), x[i].tolist())
            if maxs[j] > high[0]:
                high = (float(maxs[j]), x[j].tolist())
        lowest.append(low)
        highest.append(high)
    return Extremes(tuple(lowest), tuple(highest))


@dataclass(frozen=True)
class VectorProperties:
    """The property row of a vector activation: what has meaning for R^n -> R^n (or R):
    the range and bounds, from numeric evidence; the scalar-only entries are None."""

    activation: str
    params: dict[str, float]
    extremes: Extremes

    def to_json(self) -> dict[str, Any]:

        low, high = self.extremes.lowest[-1][0], self.extremes.highest[-1][0]
        lower = low if self.extremes.bounded_below else -math.inf
        upper = high if self.extremes.bounded_above else math.inf
        text = f"within [{number_text(lower)}, {number_text(upper)}] (sampled)"
        scalar_only = (
            "monotonic monotonic_witness derivative_monotonic derivative_monotonic_witness "
            "zero_at_origin identity_near_origin saturates_left saturates_right zero_gradient "
            "max_abs_derivative max_abs_derivative_exact mean second_moment derivative_mean "
            "derivative_second_moment dead_probability"
        ).split()
        data: dict[str, Any] = {
            "activation": self.activation,
            "params": {k: json_number(v) for k, v in self.params.items()},
            "range": {
                "lower": json_number(lower),
                "upper": json_number(upper),
                "lower_closed": None,
                "upper_closed": None,
                "exact": text,
                "interval": True,
                "text": text,
                "image": text,
                "method": "numeric",
            },
            "bounded_below": self.extremes.bounded_below,
            "bounded_above": self.extremes.bounded_above,
        }
        data.update(dict.fromkeys(scalar_only))
        data["zero_gradient"] = []
        data["methods"] = {
            "range": "numeric",
            "bounded_below": "numeric",
            "bounded_above": "numeric",
        }
        return data


def vector_properties(activation: Activation) -> VectorProperties:
    """A vector activation's row: range and bounds from seeded random inputs (evidence)."""
    return VectorProperties(activation.name, activation.params, vector_extremes(activation))
