"""The registry of activations: built-in specs plus the user's, looked up by name or alias.

Names are case-insensitive and `-`/`_` are interchangeable. Two specs that claim the same name or
alias are an error naming both files; actcli never picks one silently.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from actcli import cache
from actcli import spec as spec_module
from actcli.errors import SpecError, UnknownActivationError, UsageError
from actcli.spec import Spec, variant_spec
from actcli.spec_file import load_spec

SPEC_PATH_VARIABLE = "ACTCLI_SPEC_PATH"
SPEC_SUFFIXES = (".yaml", ".yml")


def normalize(name: str) -> str:
    """The lookup key of a name: lowercase, `-` read as `_`."""
    return name.strip().lower().replace("-", "_")


def builtin_spec_dir() -> Path:
    """Where the built-in specs are: inside the installed package, or the source tree's specs/."""
    package = Path(__file__).resolve().parent
    installed = package / "specs"
    return installed if installed.is_dir() else package.parent / "specs"


def spec_files(directory: Path) -> list[Path]:
    """The spec files in a directory, sorted (deterministic clash messages)."""
    return sorted(p for p in directory.iterdir() if p.suffix in SPEC_SUFFIXES and p.is_file())


class Registry:
    """Specs by normalised name and alias.

    Raises:
        SpecError: two specs share a name or alias (both files are named).
    """

    def __init__(self, specs: list[Spec]) -> None:
        self._specs: list[Spec] = []
        self._by_key: dict[str, Spec] = {}
        problems: list[str] = []
        for spec in specs:
            for field, key in [("name", spec.name)] + [("aliases", a) for a in spec.aliases]:
                other = self._by_key.get(normalize(key))
                if other is not None and other is not spec:
                    problems.append(
                        f"{spec.source}: {field}: {key!r} is already defined by {other.source.path}"
                    )
                else:
                    self._by_key[normalize(key)] = spec
            self._specs.append(spec)
        if problems:
            raise SpecError(problems)

    @classmethod
    def default(cls, *, check: bool = False) -> Registry:
        """Built-ins plus every spec in the directories on ACTCLI_SPEC_PATH.

        Args:
            check: also parse every expression (slow: imports SymPy); structure is always checked.
        """
        directories = [(builtin_spec_dir(), True)]
        for entry in os.environ.get(SPEC_PATH_VARIABLE, "").split(os.pathsep):
            if entry.strip():
                directory = Path(entry).expanduser()
                if not directory.is_dir():
                    raise SpecError([f"{SPEC_PATH_VARIABLE}: {entry}: not a directory"])
                directories.append((directory, False))
        files = [(path, builtin) for d, builtin in directories for path in spec_files(d)]
        cached = None if check else _cached_specs(files)
        if cached is not None:
            return cls(cached)
        specs: list[Spec] = []
        problems: list[str] = []
        for path, builtin in files:
            try:
                specs.append(load_spec(path, builtin=builtin, check=check))
            except SpecError as exc:
                problems.extend(exc.problems)
        if problems:
            raise SpecError(problems)
        if not check:
            _store_specs(files, specs)
        return cls(specs)

    def __iter__(self) -> Iterator[Spec]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, name: str) -> bool:
        return normalize(name) in self._by_key

    def get(self, name: str) -> Spec:
        """The spec for a name or alias.

        Raises:
            UnknownActivationError: with the closest known names as suggestions.
        """
        spec = self._by_key.get(normalize(name))
        if spec is None:
            raise UnknownActivationError(unknown_message(name, list(self._by_key)))
        return spec


def unknown_message(name: str, known: list[str]) -> str:
    """`unknown activation 'gleu' (did you mean: gelu, elu?)`, or the hint to list them."""
    close = difflib.get_close_matches(normalize(name), known, n=3, cutoff=0.6)
    if close:
        return f"unknown activation {name!r} (did you mean: {', '.join(close)}?)"
    return f"unknown activation {name!r} (see `actcli list`, or give a .yaml spec file)"


def resolve_spec(argument: str, registry: Registry | None = None) -> Spec:
    """A name, alias or path to a spec file → its spec (a path wins when the file exists)."""
    path = Path(argument)
    if path.suffix in SPEC_SUFFIXES or os.sep in argument:
        if not path.is_file():
            raise UnknownActivationError(f"spec file {argument!r} not found")
        return load_spec(path)
    return (registry or Registry.default()).get(argument)


def load_spec_argument(
    argument: str | None = None,
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    variant: str | None = None,
) -> Spec:
    """The spec an activation argument names: a built-in name or alias, a spec file, or an
    inline `expression` (whose parameters `params` declares, domain real); `variant` (or
    `NAME:VARIANT` as the argument) picks an implementation variant such as softplus's `torch`.
    """
    if (argument is None) == (expression is None):
        raise UsageError("give an activation name or spec file, or --expr, but not both")
    if expression is not None:
        spec = _inline_spec(expression, params)
    else:
        if variant is None and ":" in argument and not Path(argument).exists():
            argument, variant = argument.rsplit(":", 1)
        spec = resolve_spec(argument, registry)
    return spec if variant is None else variant_spec(spec, variant)


def _inline_spec(expression: str, params: Mapping[str, str] | None) -> Spec:
    """Deferred import: an inline expression is parsed with SymPy (~0.3 s), which naming a
    built-in (`actcli eval relu 1`, answered from the cache) never needs."""
    from actcli.spec_expressions import inline_spec  # deferred: SymPy

    return inline_spec(expression, params)


def select_specs(
    arguments: Sequence[str],
    *,
    every: bool,
    expression: str | None,
    params: Mapping[str, str] | None,
) -> list[Spec]:
    """The specs a command runs on: `--all`, an inline `--expr`, or names and spec files."""
    registry = Registry.default()
    if every:
        if arguments or expression:
            raise UsageError("--all takes every registered activation: give no names with it")
        return sorted(registry, key=lambda spec: spec.name)
    if expression is not None:
        if arguments:
            raise UsageError("give an activation or --expr, not both")
        return [load_spec_argument(None, expression=expression, params=params)]
    if not arguments:
        raise UsageError("name activations or spec files, or use --all")
    return [resolve_spec(argument, registry) for argument in arguments]


# -- a cache of the structurally checked specs (what `actcli list` needs), keyed by the files'
# paths, sizes and modification times; see actcli.cache. Only actcli's own dataclasses can be
# rebuilt from it: nothing in it is executed.


def _cache_name(files: list[tuple[Path, bool]]) -> str:
    stats = [(str(p), b, p.stat().st_mtime_ns, p.stat().st_size) for p, b in files]
    code = Path(spec_module.__file__).stat()
    return "registry-" + cache.key(stats, code.st_mtime_ns, code.st_size)


def _cached_specs(files: list[tuple[Path, bool]]) -> list[Spec] | None:
    try:
        entry = cache.load(_cache_name(files))
        return None if entry is None else [_decode(item) for item in entry["specs"]]
    except (OSError, KeyError, TypeError, ValueError):
        return None


def _store_specs(files: list[tuple[Path, bool]], specs: list[Spec]) -> None:
    try:
        cache.store(_cache_name(files), {"specs": [_encode(s) for s in specs]})
    except (OSError, TypeError, ValueError):
        pass


def _encode(value: object) -> object:
    if dataclasses.is_dataclass(value):
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__type": type(value).__name__, **fields}
    if isinstance(value, tuple):
        return {"__tuple": [_encode(v) for v in value]}
    if isinstance(value, dict):
        return {"__dict": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot cache {type(value).__name__}")


def _decode(value: object) -> object:
    allowed = {
        "Spec", "Definition", "Piece", "Text", "Source", "Parameter", "Domain", "Variant", "Claim"
    }  # fmt: skip
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple" in value:
        return tuple(_decode(v) for v in value["__tuple"])
    if "__dict" in value:
        return {_decode(k): _decode(v) for k, v in value["__dict"]}
    name = value["__type"]
    if name not in allowed:
        raise ValueError(f"unexpected {name!r} in the registry cache")
    fields = {k: _decode(v) for k, v in value.items() if k != "__type"}
    return getattr(spec_module, name)(**fields)
