"""Monte Carlo networks in float32 evaluate phi and phi' in float32 (`dtype=numpy.float32`):
every built-in scalar activation and its first derivative must agree there with the float64
evaluation at the same (float32) points, and stay finite wherever float64 is finite in range."""

from __future__ import annotations

import numpy as np
import pytest

from actcli.api import load_activation
from actcli.registry import Registry

RELATIVE = 1e-5
ABSOLUTE = 1e-30
EPSILON = float(np.finfo(np.float32).eps)
SCALARS = [spec.name for spec in Registry.default() if spec.kind == "scalar"]


def grid(activation) -> np.ndarray:
    dense = np.linspace(-60, 60, 48001)
    tiny = np.logspace(-30, 3, 331)
    near = [b + d for b, _ in activation.breakpoints() for d in (0.0, -1e-6, 1e-6, -1e-3, 1e-3)]
    points = np.concatenate([dense, tiny, -tiny, [0.0, 100, -100, 1000, -1000], near])
    return np.unique(points.astype(np.float32))


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("name", SCALARS)
def test_float32_evaluation_agrees_with_float64(name: str, order: int) -> None:
    activation = load_activation(name)
    function = activation.function(order)
    x = grid(activation)
    single = function(x, dtype=np.float32)
    double = function(x.astype(np.float64))
    assert single.dtype == np.float32
    representable = np.isfinite(double) & (np.abs(double) <= np.finfo(np.float32).max)
    assert np.isfinite(single[representable]).all()
    error = np.abs(single.astype(np.float64) - double)
    # at a root of f (silu', mish', ...) the O(1) terms cancel: there float32 gets within eps
    crossing = np.flatnonzero(np.diff(np.sign(double)) != 0)
    near_root = np.zeros_like(representable)
    for i in crossing:
        near_root |= np.abs(x - x[i]) < 0.1
    allowed = RELATIVE * np.abs(double) + ABSOLUTE + np.where(near_root, EPSILON, 0.0)
    bad = representable & (error > allowed)
    assert not bad.any(), (x[bad][:5], single[bad][:5], double[bad][:5])
