"""The scalar chain of Nielsen, "Neural Networks and Deep Learning", chapter 5.

One neuron per layer: z_1 = w_1 x + b_1, a_j = phi(z_j), z_j = w_j a_(j-1) + b_j, and with
dC/da_L = 1, dC/db_l = phi'(z_l) * prod_{j=l+1..L} w_j phi'(z_j). Reported: the factor
|dC/db_l| / |dC/db_L| per layer (its log10, mean and standard deviation over seeds), the local
factors |w_j phi'(z_j)| (j = 2..L) and |dC/db_1| itself, all in log10 so that 25^999 is not an
overflow. Chains with phi'(z_L) = 0 (a ReLU whose last pre-activation is negative) have no
finite factor and are left out of the factor statistics ("seeds_defined" counts the others).

Weights and biases: "normal" (N(0, 1), Nielsen's choice for both, the default) or
"constant:VALUE"; biases may also be "zero-preactivation": b_j = -w_j a_(j-1), so every z_j = 0,
the classic exploding chain (w = 100 with sigmoid: w phi'(0) = 25 per layer).

Seeding: chain s = 0..S-1 draws from `default_rng(SeedSequence(seed, spawn_key=(1, s)))`, in
this order and always all three (so changing one choice leaves the others' draws alone): the
input x (standard normal times sqrt(q0)), L weights, L biases (float64).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from actcli.activation import Activation
from actcli.errors import UsageError
from actcli.json_values import json_number
from actcli.propagation.verdicts import power10, verdict

ZERO_PREACTIVATION = "zero-preactivation"


@dataclass(frozen=True)
class Choice:
    """A parsed --weights / --biases value."""

    kind: str
    value: float = 0.0

    @property
    def text(self) -> str:
        return f"constant:{self.value:g}" if self.kind == "constant" else self.kind


def parse_choice(text: str, option: str, allow_zero_preactivation: bool) -> Choice:
    """ "normal", "constant:VALUE" or (biases) "zero-preactivation"."""
    cleaned = text.strip().lower()
    if cleaned == "normal" or (allow_zero_preactivation and cleaned == ZERO_PREACTIVATION):
        return Choice(cleaned)
    if cleaned.startswith("constant:"):
        try:
            value = float(cleaned.split(":", 1)[1])
        except ValueError:
            value = math.nan
        if math.isfinite(value):
            return Choice("constant", value)
    choices = "normal, constant:VALUE" + (
        f", {ZERO_PREACTIVATION}" if allow_zero_preactivation else ""
    )
    raise UsageError(f"{option} {text!r}: use one of {choices}")


@dataclass(frozen=True)
class Chain:
    """The chain's measurements; arrays are indexed by layer - 1."""

    weights: Choice
    biases: Choice
    log10_factor_mean: np.ndarray
    log10_factor_std: np.ndarray | None
    log10_local_factor_mean: np.ndarray
    log10_gradient_b1: float
    seeds_defined: int

    @property
    def log10_total_factor(self) -> float:
        return float(self.log10_factor_mean[0])

    def to_json(self, vanish_below: float, explode_above: float) -> dict[str, Any]:

        depth = len(self.log10_factor_mean)
        total = self.log10_total_factor
        with np.errstate(over="ignore", invalid="ignore"):
            per_layer = total / (depth - 1)
        layers = []
        for index in range(depth):
            std = None if self.log10_factor_std is None else self.log10_factor_std[index]
            layers.append(
                {
                    "layer": index + 1,
                    "log10_factor_mean": json_number(self.log10_factor_mean[index]),
                    "log10_factor_std": None if std is None else json_number(std),
                    "log10_local_factor_mean": (
                        None if index == 0 else json_number(self.log10_local_factor_mean[index])
                    ),
                }
            )
        return {
            "weights": self.weights.text,
            "biases": self.biases.text,
            "total_factor": json_number(power10(total)),
            "log10_total_factor": json_number(total),
            "per_layer_factor": json_number(power10(per_layer)),
            "gradient_b1": json_number(power10(self.log10_gradient_b1)),
            "log10_gradient_b1": json_number(self.log10_gradient_b1),
            "verdict": verdict(power10(total), vanish_below, explode_above),
            "seeds_defined": self.seeds_defined,
            "layers": layers,
        }


def simulate_chain(
    activation: Activation,
    *,
    depth: int,
    seed: int,
    seeds: int,
    weights: Choice,
    biases: Choice,
    input_variance: float,
) -> Chain:
    """Run `seeds` chains of `depth` neurons (see the module docstring)."""
    phi, dphi = activation.function(0), activation.function(1)
    log_factor = np.empty((seeds, depth))
    log_local = np.empty((seeds, depth))
    log_gradient = np.empty(seeds)
    with np.errstate(all="ignore"):
        for network in range(seeds):
            generator = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, network)))
            x = generator.standard_normal() * math.sqrt(input_variance)
            w = generator.standard_normal(depth)
            b = generator.standard_normal(depth)
            if weights.kind == "constant":
                w = np.full(depth, weights.value)
            if biases.kind == "constant":
                b = np.full(depth, biases.value)
            slopes = np.empty(depth)
            previous = np.array([x])
            for j in range(depth):
                product = w[j] * previous
                z = product - product if biases.kind == ZERO_PREACTIVATION else product + b[j]
                slopes[j] = dphi(z)[0]
                previous = phi(z)
            log_slopes = np.log10(np.abs(slopes))
            local = np.log10(np.abs(w)) + log_slopes
            # log10 |dC/db_l| = log10 |phi'(z_l)| + sum_{j>l} log10 |w_j phi'(z_j)|
            above = np.concatenate([np.cumsum(local[::-1])[::-1][1:], [0.0]])
            log_db = log_slopes + above
            log_factor[network] = log_db - log_db[-1]
            log_local[network] = local
            log_gradient[network] = log_db[0]
        # a chain whose last neuron has phi'(z_L) = 0 has no finite factor (0/0): left out
        defined = np.isfinite(log_factor[:, -1]) & ~np.isnan(log_factor).any(axis=1)
        kept = log_factor[defined]
        mean = np.mean(kept, axis=0) if len(kept) else np.full(depth, math.nan)
        std = np.std(kept, axis=0, ddof=1) if len(kept) > 1 else None
        return Chain(
            weights,
            biases,
            mean,
            std,
            np.mean(log_local, axis=0),
            float(np.mean(log_gradient)),
            int(np.count_nonzero(defined)),
        )
