"""Heavy third-party modules, imported on first use.

SciPy's submodules cost 0.1-0.3 s each to import, and most runs need none of them: `actcli eval`
of an activation without erf, the symbolic analyses, a mean-field run that finds its fixed point
without root finding; PyYAML, only when a spec file is read. This module is the one place where
actcli imports a third-party library inside a function; everything else imports at module top
(SymPy, NumPy, mpmath and matplotlib in the modules that need them, which the CLI loads only for
the commands that use them).
"""

from __future__ import annotations

from types import ModuleType


def pyyaml() -> ModuleType:
    """PyYAML (~12 ms to import): needed when a spec file is read, not when the registry's
    cache answers (`actcli list`, a built-in's `eval`)."""
    import yaml  # deferred

    return yaml


def scipy_special() -> ModuleType:
    """`scipy.special` (erf, erfc, erfcx, logsumexp)."""
    from scipy import special  # deferred

    return special


def scipy_optimize() -> ModuleType:
    """`scipy.optimize` (brentq)."""
    from scipy import optimize  # deferred

    return optimize


def scipy_integrate() -> ModuleType:
    """`scipy.integrate` (quad)."""
    from scipy import integrate  # deferred

    return integrate
