"""--fold: the proof that f(-x) = s*f(x) + C, which lets a table cover [0, hi] only.

Kept apart so that what counts as a proven symmetry changes here only (see "With ``fold``" in
the package docstring for how the consumer reflects).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from actcli.activation import Activation
from actcli.errors import UsageError
from actcli.expr import X
from actcli.functions import simplify, to_elementary
from actcli.pieces import active_branch_at, intervals, to_piecewise


@dataclass(frozen=True)
class Symmetry:
    """f(-x) = sign*f(x) + offset, proven."""

    sign: float
    offset: float
    description: str

    def for_order(self, order: int) -> tuple[float, float]:
        return (-1.0) ** order * self.sign, self.offset if order == 0 else 0.0


def symmetry(activation: Activation) -> Symmetry:
    """Prove f odd, even or point-symmetric about (0, c), branch by branch; else refuse."""

    refusal = f"--fold: {activation.name} has no symmetry f(-x) = ±f(x) + c"
    f = activation.function(0)
    probe = np.array([0.3, 0.7, 1.3, 2.9, 5.1, 11.0])
    plus, minus = f(probe), f(-probe)
    tolerance = 1e-12 * (1 + np.abs(plus))
    if np.all(np.abs(minus - plus) <= tolerance):
        even = True
    elif np.ptp(plus + minus) <= 2e-12 * (1 + np.max(np.abs(plus))):
        even = False
    else:
        raise UsageError(refusal)
    definition = to_piecewise(activation.expression)
    constant = None
    for _, _, point in intervals(definition, activation):
        mine = active_branch_at(definition, activation, point)
        mirror = active_branch_at(definition, activation, -point).subs(X, -X)
        difference = mine - mirror if even else mine + mirror
        value = simplify(to_elementary(difference))
        if X in value.free_symbols or (even and value != 0):
            raise UsageError(f"{refusal} (not provable branch by branch)")
        if constant is not None and simplify(value - constant) != 0:
            raise UsageError(refusal)
        constant = value
    offset = 0.0 if even else float(constant)
    sign = 1.0 if even else -1.0
    for c, _ in activation.breakpoints():
        if abs(f(np.array([-c]))[0] - (sign * f(np.array([c]))[0] + offset)) > 1e-12 * (
            1 + abs(offset)
        ):
            raise UsageError(f"{refusal} (not at its breakpoint {c:g})")
    if even:
        return Symmetry(1.0, 0.0, "even: f(-x) = f(x)")
    if offset == 0:
        return Symmetry(-1.0, 0.0, "odd: f(-x) = -f(x)")
    return Symmetry(-1.0, offset, f"f(-x) = {sympy.nsimplify(constant)} - f(x)")
