"""actcli: exact answers about neural-network activation functions.

The library under the `actcli` command. Start with `load_activation`, `evaluate`,
`list_activations`, `show` and `validate` (all in `actcli.api`).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = ("evaluate", "list_activations", "load_activation", "show", "validate")


def __getattr__(name: str) -> Any:
    # Lazy, so that `import actcli` (and `actcli --help`) stays light.
    if name in _API:
        from actcli import api

        return getattr(api, name)
    raise AttributeError(f"module 'actcli' has no attribute {name!r}")


__all__ = ["__version__", *_API]
