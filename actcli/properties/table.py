"""The rows of `actcli properties`: one `Properties` per scalar activation, assembled from the
analyses, labelled per entry, and the table of rows with their smoothness class.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from actcli.activation import Activation, bind
from actcli.errors import UsageError
from actcli.json_values import json_number
from actcli.properties.analysis import Analysis
from actcli.properties.extrema import Range, max_abs_derivative, value_range
from actcli.properties.moments import moments
from actcli.properties.monotonic import monotonicity
from actcli.properties.regions import (
    gaussian_mass,
    origin,
    region_text,
    saturation,
    zero_gradient,
)
from actcli.properties.values import sstr
from actcli.properties.vector import vector_properties
from actcli.smoothness import smoothness
from actcli.spec import Spec


@dataclass(frozen=True)
class Properties:
    """One row of `actcli properties`; `methods` says per entry "symbolic" or "numeric"."""

    activation: str
    params: dict[str, float]
    range: Range
    bounded_below: bool
    bounded_above: bool
    monotonic: str
    monotonic_witness: tuple[float, ...] | None
    derivative_monotonic: str
    derivative_monotonic_witness: tuple[float, ...] | None
    zero_at_origin: bool
    identity_near_origin: bool
    saturates_left: bool
    saturates_right: bool
    zero_gradient: tuple[str, ...]
    max_abs_derivative: float
    max_abs_derivative_exact: str | None
    mean: float
    second_moment: float
    derivative_mean: float
    derivative_second_moment: float
    dead_probability: float
    methods: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:

        def witness(points: tuple[float, ...] | None) -> list[Any] | None:
            return None if points is None else [json_number(x) for x in points]

        return {
            "activation": self.activation,
            "params": {k: json_number(v) for k, v in self.params.items()},
            "range": self.range.to_json(),
            "bounded_below": self.bounded_below,
            "bounded_above": self.bounded_above,
            "monotonic": self.monotonic,
            "monotonic_witness": witness(self.monotonic_witness),
            "derivative_monotonic": self.derivative_monotonic,
            "derivative_monotonic_witness": witness(self.derivative_monotonic_witness),
            "zero_at_origin": self.zero_at_origin,
            "identity_near_origin": self.identity_near_origin,
            "saturates_left": self.saturates_left,
            "saturates_right": self.saturates_right,
            "zero_gradient": list(self.zero_gradient),
            "max_abs_derivative": json_number(self.max_abs_derivative),
            "max_abs_derivative_exact": self.max_abs_derivative_exact,
            "mean": json_number(self.mean),
            "second_moment": json_number(self.second_moment),
            "derivative_mean": json_number(self.derivative_mean),
            "derivative_second_moment": json_number(self.derivative_second_moment),
            "dead_probability": json_number(self.dead_probability),
            "methods": dict(self.methods),
        }


def properties(activation: Activation) -> Properties:
    """Range, bounds, monotonicity, saturation, zero-gradient regions, max |f'| and Gaussian
    moments of a scalar activation (parameters at their values), each entry labelled
    "symbolic" or "numeric" in `methods`.

    Raises:
        UsageError: a vector activation (softmax, maxout, ...): its properties are not scalar.
    """
    if activation.kind != "scalar":
        raise UsageError(
            f"{activation.name} is a vector activation: properties are for scalar ones"
        )
    analysis = Analysis(activation)
    range_, bound_methods = value_range(analysis)
    monotonic, witness, monotonic_symbolic = monotonicity(analysis, 0)
    d_monotonic, d_witness, d_symbolic = monotonicity(analysis, 1)
    zero_at_origin, identity = origin(analysis)
    left, right, saturation_symbolic = saturation(analysis)
    regions = zero_gradient(analysis)
    max_slope, max_slope_exact, max_symbolic = max_abs_derivative(analysis)
    mean, second, d_mean, d_second = moments(analysis)

    def label(symbolic: bool) -> str:
        return "symbolic" if symbolic else "numeric"

    methods = {
        "range": range_.method,
        **bound_methods,
        "monotonic": label(monotonic_symbolic),
        "derivative_monotonic": label(d_symbolic),
        "zero_at_origin": "symbolic",
        "identity_near_origin": "symbolic",
        "saturates_left": label(saturation_symbolic),
        "saturates_right": label(saturation_symbolic),
        "zero_gradient": "symbolic",
        "max_abs_derivative": label(max_symbolic),
        "mean": "numeric",
        "second_moment": "numeric",
        "derivative_mean": "numeric",
        "derivative_second_moment": "numeric",
        "dead_probability": "symbolic",
    }
    return Properties(
        activation=activation.name,
        params=activation.params,
        range=range_,
        bounded_below=math.isfinite(range_.lower),
        bounded_above=math.isfinite(range_.upper),
        monotonic=monotonic,
        monotonic_witness=witness,
        derivative_monotonic=d_monotonic,
        derivative_monotonic_witness=d_witness,
        zero_at_origin=zero_at_origin,
        identity_near_origin=identity,
        saturates_left=left,
        saturates_right=right,
        zero_gradient=tuple(region_text(r) for r in regions),
        max_abs_derivative=max_slope,
        max_abs_derivative_exact=sstr(max_slope_exact),
        mean=mean,
        second_moment=second,
        derivative_mean=d_mean,
        derivative_second_moment=d_second,
        dead_probability=gaussian_mass(regions),
        methods=methods,
    )


@dataclass(frozen=True)
class PropertiesResult:
    """One row per activation (`actcli properties`): its properties and smoothness class."""

    rows: tuple[tuple[Any, str], ...]

    def to_json(self) -> list[dict[str, Any]]:
        rows = []
        for row, smoothness_class in self.rows:
            data = row.to_json()
            data["smoothness"] = smoothness_class
            data["methods"]["smoothness"] = "symbolic"
            rows.append(data)
        return rows


def property_table(
    specs: Sequence[Spec], params: Mapping[str, str] | None = None
) -> PropertiesResult:
    """`properties` of each scalar spec and `vector_properties` of each vector one, with its
    smoothness class (`params` apply to the specs that have them)."""
    rows = []
    for spec in specs:
        own = {k: v for k, v in (params or {}).items() if k in spec.parameter_names}
        klass = smoothness(spec, own).smoothness_class
        activation = bind(spec, own)
        row = vector_properties(activation) if spec.kind == "vector" else properties(activation)
        rows.append((row, klass))
    return PropertiesResult(tuple(rows))
