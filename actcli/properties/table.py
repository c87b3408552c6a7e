"""The rows of `actcli properties`: one `Properties` per scalar activation, assembled from the
analyses, labelled per entry, and the table of rows with their smoothness class.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import sympy

from actcli.activation import Activation, bind
from actcli.errors import UsageError
from actcli.json_values import json_number, json_optional
from actcli.properties.analysis import Analysis
from actcli.properties.extrema import Range, boundedness, max_abs_derivative, value_range
from actcli.properties.moments import moments
from actcli.properties.monotonic import monotonicity
from actcli.properties.regions import (
    gaussian_mass,
    origin,
    region_text,
    regions_method,
    saturation,
    zero_gradient,
)
from actcli.properties.values import interval_text, sstr
from actcli.properties.vector import VectorProperties, vector_properties
from actcli.smoothness import smoothness
from actcli.spec import Spec
from actcli.supervisor import progress, step
from actcli.sweep import run_jobs, worker_count


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
    mean: float | None
    second_moment: float | None
    derivative_mean: float | None
    derivative_second_moment: float | None
    dead_probability: float
    methods: dict[str, str] = field(default_factory=dict)
    domain: str = "(-oo, oo)"
    notes: tuple[str, ...] = ()

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
            "mean": json_optional(self.mean),
            "second_moment": json_optional(self.second_moment),
            "derivative_mean": json_optional(self.derivative_mean),
            "derivative_second_moment": json_optional(self.derivative_second_moment),
            "dead_probability": json_number(self.dead_probability),
            "methods": dict(self.methods),
            "domain": self.domain,
            "notes": list(self.notes),
        }


class Shape:
    """The entries of `Properties` that `actcli check`'s range, bounded_* and monotonic claims
    are compared with, each found when first asked for, as `properties` finds it: a claim of
    bounded_below needs the limits at the ends, not the range (GELU's range is a global search
    of its own)."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.name = analysis.activation.name

    @cached_property
    def range(self) -> Range:
        with step(f"finding the range of {self.name}"):
            return value_range(self.analysis)

    @cached_property
    def _bounds(self) -> tuple[bool, bool, str]:
        """(bounded below, bounded above, method): from the limits at the ends when they are
        all known (a proof), else from the range's ends, by the range's method."""
        below, above, method = boundedness(self.analysis)
        if method == "symbolic":
            return below, above, method
        chosen = self.range.method
        if chosen == "symbolic":
            return below, above, chosen
        return math.isfinite(self.range.lower), math.isfinite(self.range.upper), chosen

    @property
    def bounded_below(self) -> bool:
        return self._bounds[0]

    @property
    def bounded_above(self) -> bool:
        return self._bounds[1]

    @cached_property
    def _monotonicity(self) -> tuple[str, tuple[float, ...] | None, str]:
        with step(f"deciding whether {self.name} is monotonic"):
            return monotonicity(self.analysis, 0)

    @property
    def monotonic(self) -> str:
        return self._monotonicity[0]

    @property
    def monotonic_witness(self) -> tuple[float, ...] | None:
        return self._monotonicity[1]

    def method(self, key: str) -> str:
        """How the entry `key` (range, bounded_below, bounded_above, monotonic) was found."""
        if key == "range":
            return self.range.method
        if key == "monotonic":
            return self._monotonicity[2]
        return self._bounds[2]


def shape(activation: Activation) -> Shape:
    """Range, bounds and monotonicity of a scalar activation, as `properties` finds them,
    each computed when first read.

    Raises:
        UsageError: a vector activation.
    """
    return Shape(_analysis(activation))


def _analysis(activation: Activation) -> Analysis:
    if activation.kind != "scalar":
        raise UsageError(
            f"{activation.name} is a vector activation: properties are for scalar ones"
        )
    with step(f"cutting the domain of {activation.name} into parts"):
        return Analysis(activation)


def properties(activation: Activation) -> Properties:
    """Range, bounds, monotonicity, saturation, zero-gradient regions, max |f'| and Gaussian
    moments of a scalar activation on its real domain (parameters at their values), each entry
    labelled in `methods`: "symbolic" (SymPy proofs), "interval" (proven with interval
    arithmetic) or "numeric" (sampled; never enough for a verdict).

    Raises:
        UsageError: a vector activation (softmax, maxout, ...): its properties are not scalar.
    """
    analysis = _analysis(activation)
    name = activation.name
    found = Shape(analysis)
    range_ = found.range  # first, as the budget of the analysis is spent in this order
    monotonic = found.monotonic
    with step(f"deciding whether the derivative of {name} is monotonic"):
        d_monotonic, d_witness, d_method = monotonicity(analysis, 1)
    zero_at_origin, identity = origin(analysis)
    left, right, saturation_method = saturation(analysis)
    regions = zero_gradient(analysis)
    with step(f"bounding |f'| of {name}"):
        max_slope, max_slope_exact, max_method = max_abs_derivative(analysis)
    with step(f"computing the Gaussian moments of {name}"):
        (mean, second, d_mean, d_second), notes = moments(analysis)
    methods = {
        "range": range_.method,
        **{key: found.method(key) for key in ("bounded_below", "bounded_above", "monotonic")},
        "derivative_monotonic": d_method,
        "zero_at_origin": "symbolic",
        "identity_near_origin": "symbolic",
        "saturates_left": saturation_method,
        "saturates_right": saturation_method,
        "zero_gradient": regions_method(regions),
        "max_abs_derivative": max_method,
        "mean": "numeric",
        "second_moment": "numeric",
        "derivative_mean": "numeric",
        "derivative_second_moment": "numeric",
        "dead_probability": regions_method(regions),
    }
    excluded = [cut for cut in analysis.cuts if cut.value is None]
    if excluded:
        shown = ", ".join(sympy.sstr(cut.x) for cut in excluded[:5])
        notes.insert(0, f"f is undefined at x = {shown}")
    for cut in analysis.cuts:
        if cut.removable:
            notes.insert(
                0,
                f"f is undefined at x = {sympy.sstr(cut.x)} as written: its continuous "
                f"extension, the limit {sympy.sstr(cut.value)}, is used there",
            )
    return Properties(
        activation=activation.name,
        params=activation.params,
        range=range_,
        bounded_below=found.bounded_below,
        bounded_above=found.bounded_above,
        monotonic=monotonic,
        monotonic_witness=found.monotonic_witness,
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
        domain=domain_text(analysis),
        notes=tuple(notes),
    )


def domain_text(analysis: Analysis) -> str:
    """The real domain as a union of intervals and points ('(-oo, 0) U (0, oo)')."""
    pieces: list[list[Any]] = []
    for index, part in enumerate(analysis.parts):
        if index > 0:
            cut = analysis.cuts[index - 1]
            if cut.value is not None:
                if pieces and pieces[-1][3] is None:
                    pieces[-1][3] = "closed"
                else:
                    pieces.append([cut.x, cut.x, "closed", "closed"])
        if part.defined:
            if pieces and pieces[-1][3] == "closed" and pieces[-1][1] == part.lower:
                pieces[-1][1] = part.upper
                pieces[-1][3] = None
            else:
                closed = "open"
                pieces.append([part.lower, part.upper, closed, None])
    texts = []
    for lower, upper, left, right in pieces:
        if lower == upper:
            texts.append("{" + sympy.sstr(lower) + "}")
            continue
        texts.append(
            interval_text(sympy.sstr(lower), sympy.sstr(upper), left == "closed", right == "closed")
        )
    return " U ".join(texts) or "empty"


@dataclass(frozen=True)
class PropertiesResult:
    """One row per activation (`actcli properties`): its properties and smoothness class."""

    rows: tuple[tuple[Any, str], ...]

    def to_json(self) -> dict[str, Any]:
        return {"activations": self.legacy_json()}

    def legacy_json(self) -> list[dict[str, Any]]:
        """actcli 0.1's document: the rows as a bare array (ACTCLI_LEGACY_OUTPUT=1)."""
        rows = []
        for row, smoothness_class in self.rows:
            data = row.to_json()
            data["smoothness"] = smoothness_class
            data["methods"].setdefault("smoothness", "symbolic")
            rows.append(data)
        return rows


def property_table(
    specs: Sequence[Spec], params: Mapping[str, str] | None = None, *, workers: int | None = None
) -> PropertiesResult:
    """`properties` of each scalar spec and `vector_properties` of each vector one, with its
    smoothness class (`params` apply to the specs that have them). The specs are independent
    jobs (`actcli.sweep.run_jobs`): on `workers` local processes, by default the cores where
    there are enough specs to repay starting them (`--all`), else in this process; the rows
    come in the specs' order either way.

    Raises:
        UsageError: `workers` is not a positive count.
    """
    jobs = [
        (spec, {k: v for k, v in (params or {}).items() if k in spec.parameter_names})
        for spec in specs
    ]

    def report(done: int, total: int) -> None:
        progress(done, total, "properties")

    count = worker_count(workers, SPEC_SECONDS * len(jobs), len(jobs))
    rows = run_jobs(property_row, jobs, workers=count, progress=report if len(jobs) > 1 else None)
    return PropertiesResult(tuple(rows))


SPEC_SECONDS = 0.5  # one built-in's row: 17.5 s for the 31 of `properties --all` on 2 GHz


def property_row(
    job: tuple[Spec, Mapping[str, str]], tick: object = None
) -> tuple[Properties | VectorProperties, str]:
    """One spec's row and smoothness class (`property_table` runs it, here or in a worker);
    a class from points found numerically is labelled so in the row's methods."""
    spec, params = job
    with step(f"finding the properties of {spec.name}"):
        found = smoothness(spec, params)
        activation = bind(spec, params)
        if spec.kind == "vector":
            return vector_properties(activation), found.smoothness_class
        row = properties(activation)
        return replace(
            row, methods={**row.methods, "smoothness": found.found}
        ), found.smoothness_class
