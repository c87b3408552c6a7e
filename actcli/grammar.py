"""Names of the expression grammar, importable without SymPy (spec structure checks use them)."""

from __future__ import annotations

FUNCTION_NAMES = [
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "abs",
    "sign",
    "sin",
    "cos",
    "tanh",
    "sinh",
    "cosh",
    "atan",
    "asinh",
    "erf",
    "erfc",
    "max",
    "min",
    "heaviside",
    "sigmoid",
    "softplus",
]
REDUCTION_NAMES = ("sum", "max", "min", "logsumexp")
CONSTANT_NAMES = ("pi", "e")
VARIABLE_NAMES = ("x", "y", "i", "j", "n")
RESERVED = frozenset(
    {*FUNCTION_NAMES, *REDUCTION_NAMES, *CONSTANT_NAMES, *VARIABLE_NAMES, "delta", "oo"}
)
