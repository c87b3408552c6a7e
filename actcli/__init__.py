"""actcli: exact answers about neural-network activation functions.

The library under the `actcli` command. Start with `load_activation`, `evaluate`,
`list_activations`, `show` and `validate` (all in `actcli.api`).

Architecture (docs/architecture.md has the picture): modules import each other at module top,
downward only, in these layers (a layer may import any layer below it, never one above; an
import-linter contract in CI enforces it):

    cli                      the command line (typer): parse options, call api, hand to render
    render                   the one place that prints: table / json / csv / tsv / text / latex
    api                      the facade: one function per command
    check                    claims proven or refuted
    properties               range, bounds, monotonicity, saturation, Gaussian moments
    smoothness | derive | plot | lut | propagation | evaluation   the other commands
    calculus | jacobian | codegen                                 derivatives and code
    activation               the model: a spec bound to parameter values
    catalog | specs          list/show/validate; the registry, spec files, spec expressions
    pieces | interval | compiler | tidy | proofs | expr | functions | numeric   the maths kit
    errors | grammar | version | json_values | resources | files | cache | formats | options
                             | deferred   the foundation, importing nothing of actcli's

Heavy third-party libraries (SymPy, SciPy, matplotlib) load only with the modules that use them;
the few places that import lazily to keep start-up fast are marked `# deferred`.
"""

from __future__ import annotations

from typing import Any

from actcli.version import __version__

_API = ("evaluate", "list_activations", "load_activation", "show", "validate")


def __getattr__(name: str) -> Any:
    # Lazy, so that `import actcli` (and `actcli --help`) stays light.
    if name in _API:
        from actcli import api  # deferred

        return getattr(api, name)
    raise AttributeError(f"module 'actcli' has no attribute {name!r}")


__all__ = ["__version__", *_API]
