"""`actcli init`: the weight variance an activation asks for, from mean-field theory.

For each activation and bias variance sigma_b2 (conventions of `actcli.propagation.meanfield`:
`sigma_w2` is the weight variance times fan-in, the pre-activation variance follows
q -> sigma_w2 E[phi(sqrt(q) z)^2] + sigma_b2 with z ~ N(0, 1)):

- variance preserving: the sigma_w2 that maps q = 1 to itself, (1 - sigma_b2) / E[phi(z)^2].
  The map uses the second moment E[phi^2], not the variance: a non-zero mean E[phi(z)] counts
  as signal (it is what the next layer's weights multiply). E[phi(z)] is reported beside it
  (0 when below 1e-14 sqrt(E[phi(z)^2]), the quadrature's tolerance).
  chi_1 = sigma_w2 E[phi'(z)^2] there (q* = 1 by construction), and the depth scale
  -1/ln chi_1 (inf at chi_1 = 1; when chi_1 > 1 the explosion scale 1/ln chi_1 instead).
- critical: the edge of chaos, chi_1 = 1 at the fixed point q* (`meanfield.critical_sigma_w2`,
  the search `simulate-depth --critical` runs, verified to |chi_1 - 1| <= 1e-9), or None and
  the reason.
- PyTorch's `torch.nn.init.calculate_gain` where PyTorch defines one for the activation (the
  table below, from PyTorch's documentation; torch is not imported), and actcli's variance
  preserving gain divided by it.

Gains are sqrt(sigma_w2): the factor std = gain / sqrt(fan_in) of PyTorch's Kaiming/LeCun-style
initialisers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from actcli.activation import Activation
from actcli.errors import UsageError
from actcli.json_values import json_number, json_optional
from actcli.propagation.meanfield import (
    CRITICAL_TOLERANCE,
    GaussianMoments,
    _depth_scales,
    critical_sigma_w2,
    variance_preserving_sigma_w2,
)

_MEAN_NOISE = 1e-14  # |E[f(z)]| / sqrt(E[f(z)^2]) below the quadrature's tolerance: 0


def _leaky_relu_gain(params: Mapping[str, float]) -> float:
    slope = params.get("negative_slope", 0.01)
    return math.sqrt(2.0 / (1.0 + slope * slope))


# torch.nn.init.calculate_gain (PyTorch documentation), keyed by actcli's built-in names. Only
# built-ins get one: a spec file or --expr named "relu" may define something else.
TORCH_GAINS: dict[str, Callable[[Mapping[str, float]], float]] = {
    "identity": lambda params: 1.0,
    "sigmoid": lambda params: 1.0,
    "tanh": lambda params: 5.0 / 3.0,
    "relu": lambda params: math.sqrt(2.0),
    "leaky_relu": _leaky_relu_gain,
    "selu": lambda params: 0.75,
}


@dataclass(frozen=True)
class InitPoint:
    """One sigma_w2 of an activation: its gain sqrt(sigma_w2), q* and chi_1 there."""

    sigma_w2: float
    q_star: float
    chi_1: float

    @property
    def gain(self) -> float:
        return math.sqrt(self.sigma_w2)

    def to_json(self) -> dict[str, Any]:
        return {
            "sigma_w2": json_number(self.sigma_w2),
            "gain": json_number(self.gain),
            "q_star": json_number(self.q_star),
            "chi_1": json_number(self.chi_1),
        }


@dataclass(frozen=True)
class InitRow:
    """`actcli init` for one activation at one sigma_b2."""

    activation: str
    params: dict[str, float]
    sigma_b2: float
    mean: float  # E[phi(z)]
    second_moment: float  # E[phi(z)^2]
    variance_preserving: InitPoint | None
    variance_preserving_note: str
    depth_scale: float | None
    explosion_scale: float | None
    critical: InitPoint | None
    critical_note: str
    torch_gain: float | None

    @property
    def torch_ratio(self) -> float | None:
        """actcli's variance preserving gain / PyTorch's calculate_gain."""
        if self.torch_gain is None or self.variance_preserving is None:
            return None
        return self.variance_preserving.gain / self.torch_gain

    def to_json(self) -> dict[str, Any]:
        preserving = None
        if self.variance_preserving is not None:
            preserving = {
                **self.variance_preserving.to_json(),
                "depth_scale": json_optional(self.depth_scale),
                "explosion_scale": json_optional(self.explosion_scale),
            }
        return {
            "activation": self.activation,
            "params": {name: json_number(value) for name, value in self.params.items()},
            "sigma_b2": json_number(self.sigma_b2),
            "mean": json_number(self.mean),
            "second_moment": json_number(self.second_moment),
            "variance_preserving": preserving,
            "variance_preserving_note": self.variance_preserving_note,
            "critical": None if self.critical is None else self.critical.to_json(),
            "critical_note": self.critical_note,
            "critical_tolerance": CRITICAL_TOLERANCE,
            "torch_gain": json_optional(self.torch_gain),
            "torch_ratio": json_optional(self.torch_ratio),
        }


@dataclass(frozen=True)
class InitResult:
    """`actcli init`: one row per activation."""

    rows: tuple[InitRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {"activations": [row.to_json() for row in self.rows]}


def torch_gain(activation: Activation) -> float | None:
    """PyTorch's `calculate_gain` for a built-in it names, with the activation's own parameter
    (leaky_relu's negative_slope); None for everything else."""
    gain = TORCH_GAINS.get(activation.name) if activation.spec.builtin else None
    return None if gain is None else gain(activation.params)


def initialise(activations: Sequence[Activation], sigma_b2: float = 0.0) -> InitResult:
    """The variance preserving and critical sigma_w2 of each activation at `sigma_b2`.

    Raises:
        UsageError: no activation, a vector activation, or sigma_b2 negative or not finite.
    """
    if not activations:
        raise UsageError("init: name at least one activation")
    if not (math.isfinite(sigma_b2) and sigma_b2 >= 0):
        raise UsageError(f"--sigma-b2 {sigma_b2:g}: must be zero or positive")
    for activation in activations:
        if activation.kind != "scalar":
            raise UsageError(
                f"init: {activation.name} is a {activation.kind} activation; "
                "mean-field initialisation needs a scalar (elementwise) one"
            )
    return InitResult(tuple(_row(activation, sigma_b2) for activation in activations))


def _row(activation: Activation, sigma_b2: float) -> InitRow:
    moments = GaussianMoments(activation)
    second = moments.expect(1.0)
    mean = moments.expect(1.0, power=1)
    if abs(mean) <= _MEAN_NOISE * math.sqrt(abs(second)):
        mean = 0.0  # an odd activation's mean: quadrature noise (1e-18 for tanh), not a signal
    sigma_w2 = variance_preserving_sigma_w2(moments, sigma_b2)
    preserving = None
    depth_scale = explosion_scale = None
    diverging = moments.divergence(0) or moments.divergence(1)
    why_infinite = "" if diverging is None else f" ({diverging.reason()})"
    if sigma_w2 is None:
        why = "sigma_b^2 >= 1" if sigma_b2 >= 1 else f"E[f(z)^2] = {second:.6g}{why_infinite}"
        note = f"no variance preserving sigma_w^2: {why}"
    else:
        chi_1 = moments.chi(sigma_w2, 1.0)
        preserving = InitPoint(sigma_w2, 1.0, chi_1)
        depth_scale, explosion_scale = _depth_scales(chi_1)
        note = (
            f"sigma_w^2 E[f(z)^2] + sigma_b^2 = 1 with E[f(z)^2] = {second:.10g} (the second "
            f"moment: the mean E[f(z)] = {mean:.6g} counts as signal); chi_1 = {chi_1:.6g}"
            f"{why_infinite}"
        )
    found = critical_sigma_w2(moments, sigma_b2)
    critical = None
    if found.sigma_w2 is not None:
        assert found.q_star is not None and found.chi_1 is not None
        critical = InitPoint(found.sigma_w2, found.q_star, found.chi_1)
    return InitRow(
        activation.name,
        activation.params,
        sigma_b2,
        mean,
        second,
        preserving,
        note,
        depth_scale,
        explosion_scale,
        critical,
        found.reason,
        torch_gain(activation),
    )
