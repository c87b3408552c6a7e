"""actcli: exact answers about neural-network activation functions.

The library under the `actcli` command, one function per command (from `actcli.api`), each
taking a name (built-in, alias, spec file, `NAME:VARIANT`) or an `Activation` from
`load_activation`, and returning the frozen result the command prints (`to_json()` gives the
document `--format json` prints):

    load_activation  a spec bound to parameter values (`Activation`)
    evaluate         f or f^(k) in float64 at an array of x (`actcli eval`)
    derive           exact derivatives by cases (`actcli derive`)
    check            claims proven or refuted (`actcli check`)
    smoothness       the class C^k and one-sided limits (`actcli smoothness`)
    properties       range, monotonicity, moments, ... (`actcli properties`)
    table            lookup tables with a certified error (`actcli table`; `table_bytes`)
    plot             figures as PNG/SVG/PDF bytes (`actcli plot`)
    simulate_depth   gradient growth through deep networks (`actcli simulate-depth`)
    init             variance preserving and critical weight variances (`actcli init`)
    phase            the mean-field phase diagram on a sigma_w2 x sigma_b2 grid (`actcli phase`)
    list_activations, show, validate

    >>> import actcli
    >>> actcli.derive("softplus").derivative.cases[0].expression
    sigmoid(beta*x)

`import actcli` stays light: the names load on first use.

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

import sys
import types
from typing import Any

from actcli.version import __version__

_API = (
    "check",
    "derive",
    "evaluate",
    "init",
    "list_activations",
    "load_activation",
    "phase",
    "plot",
    "properties",
    "show",
    "simulate_depth",
    "smoothness",
    "table",
    "table_bytes",
    "validate",
)


def __getattr__(name: str) -> Any:
    # Lazy, so that `import actcli` (and `actcli --help`) stays light. Kept in the module once
    # found: `actcli.evaluate(...)` in a loop then costs a dict lookup, not this call (~5 us).
    if name in _API:
        from actcli import api  # deferred

        value = globals()[name] = getattr(api, name)
        return value
    raise AttributeError(f"module 'actcli' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*(name for name in globals() if name.startswith("__")), *__all__})


class _Facade:
    """`actcli.NAME` for a public name that is also a submodule's (`check`, `derive`, `plot`,
    `properties`, `smoothness`): the api function, also once the submodule is imported (the
    import system then sets the attribute to the module, which this ignores: the module stays
    in `sys.modules` and `from actcli.derive import ...` finds it there)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, module: object, owner: type | None = None) -> Any:
        return __getattr__(self.name)

    def __set__(self, module: object, value: Any) -> None:
        pass


class _Package(types.ModuleType):
    check = _Facade()
    derive = _Facade()
    plot = _Facade()
    properties = _Facade()
    smoothness = _Facade()


sys.modules[__name__].__class__ = _Package

__all__ = ["__version__", *_API]
