"""Verdicts on a gradient factor (vanishing, stable, exploding) and factors kept as log10.

Shared by the Monte Carlo, mean-field and chain modes, so it sits below all three.
"""

from __future__ import annotations

import math

import numpy as np


def power10(log10_value: float) -> float:
    """10**log10_value as a float; inf beyond the float range (a factor too large to hold)."""
    with np.errstate(over="ignore"):
        return float(np.power(10.0, log10_value))


def verdict(factor: float, vanish_below: float, explode_above: float) -> str | None:
    """vanishing / exploding / stable for a total factor; None for nan."""
    if math.isnan(factor):
        return None
    if factor < vanish_below:
        return "vanishing"
    return "exploding" if factor > explode_above else "stable"
