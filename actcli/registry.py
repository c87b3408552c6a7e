"""The registry of activations: built-in specs plus the user's, looked up by name or alias.

Names are case-insensitive and `-`/`_` are interchangeable. Two specs that claim the same name or
alias are an error naming both files; actcli never picks one silently. A user spec on
ACTCLI_SPEC_PATH that cannot be read is skipped with a `SpecPathWarning` (one line per file), so
one broken file does not break `actcli eval relu 1`; naming it (by its file's stem) is an error
that lists its problems.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import difflib
import functools
import hashlib
import os
import threading
import time
import types
import typing
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from actcli import cache
from actcli import spec as spec_module
from actcli.errors import (
    SpecError,
    SpecPathWarning,
    UnknownActivationError,
    UsageError,
    quoted,
)
from actcli.spec import Spec, variant_spec
from actcli.spec_file import load_spec, read_spec_bytes

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
    """The spec files in a directory, sorted (deterministic clash messages); entries that are
    not regular files (FIFOs, devices, directories, dangling links) are skipped."""
    return sorted(p for p in directory.iterdir() if p.suffix in SPEC_SUFFIXES and p.is_file())


def _spec_path_directory(entry: str) -> Path:
    """An ACTCLI_SPEC_PATH entry as a directory (`~` and `~user` expanded).

    Raises:
        SpecError: it is not a directory, or names a user that does not exist (`~nouser`).
    """
    try:
        directory = Path(entry).expanduser()
    except RuntimeError:  # ~nouser (pathlib cannot expand it), or no home directory at all
        message = f"{quoted(entry)}: cannot expand '~' (no such user, or no home directory)"
        raise SpecError([f"{SPEC_PATH_VARIABLE}: {message}"]) from None
    if not directory.is_dir():
        raise SpecError([f"{SPEC_PATH_VARIABLE}: {quoted(entry)}: not a directory"])
    return directory


def _listed(directory: Path) -> list[Path]:
    try:
        return spec_files(directory)
    except OSError as exc:
        reason = exc.strerror or exc
        raise SpecError([f"{SPEC_PATH_VARIABLE}: {quoted(str(directory))}: {reason}"]) from None


class Registry:
    """Specs by normalised name and alias.

    Raises:
        SpecError: two specs share a name or alias (both files are named).
    """

    def __init__(self, specs: list[Spec], skipped: Mapping[str, list[str]] | None = None) -> None:
        self.skipped: dict[str, list[str]] = dict(skipped or {})  # user files left out: problems
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
        """Built-ins plus every spec in the directories on ACTCLI_SPEC_PATH; a user spec that
        cannot be read is left out, with a `SpecPathWarning` (and kept in `skipped`).

        Args:
            check: also parse every expression (slow: imports SymPy); structure is always checked.

        Raises:
            SpecError: a built-in spec is broken, an entry of ACTCLI_SPEC_PATH is no directory,
                or two specs claim one name.
        """
        directories = [(builtin_spec_dir(), True)]
        for entry in os.environ.get(SPEC_PATH_VARIABLE, "").split(os.pathsep):
            if entry.strip():
                directories.append((_spec_path_directory(entry), False))
        files = [(path, builtin) for d, builtin in directories for path in _listed(d)]
        cached = None if check else _cached_specs(files)
        if cached is not None:
            return cls(cached)
        specs: list[Spec] = []
        problems: list[str] = []
        skipped: dict[str, list[str]] = {}
        for path, builtin in files:
            try:
                specs.append(load_spec(path, builtin=builtin, check=check))
            except SpecError as exc:
                if builtin:
                    problems.extend(exc.problems)
                else:
                    skipped[str(path)] = exc.problems or [f"{path}: cannot be read"]
        if problems:
            raise SpecError(problems)
        if not check and not skipped:  # with a broken file, every run reads them (~20 ms)
            _store_specs(files, specs)
        for found in skipped.values():  # shown once per command (the `default` filter)
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            warnings.warn(f"{found[0]}{more}; skipped", SpecPathWarning, stacklevel=1)
        return cls(specs, skipped)

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
            SpecError: the name is that of a skipped user spec file (its problems).
        """
        spec = self._by_key.get(normalize(name))
        if spec is None:
            for path, problems in self.skipped.items():  # the broken file it likely names
                if normalize(Path(path).stem) == normalize(name):
                    raise SpecError(problems)
            raise UnknownActivationError(unknown_message(name, list(self._by_key)))
        return spec


def unknown_message(name: str, known: list[str]) -> str:
    """`unknown activation 'gleu' (did you mean: gelu, elu?)`, or the hint to list them."""
    close = difflib.get_close_matches(normalize(name), known, n=3, cutoff=0.6)
    if close:
        return f"unknown activation {quoted(name)} (did you mean: {', '.join(close)}?)"
    return f"unknown activation {quoted(name)} (see `actcli list`, or give a .yaml spec file)"


def resolve_spec(argument: str, registry: Registry | None = None) -> Spec:
    """A name, alias or path to a spec file → its spec (a path wins when the file exists)."""
    path = Path(argument)
    if path.suffix in SPEC_SUFFIXES or os.sep in argument:
        if not os.path.exists(path):  # False also for a name too long to be a path
            raise UnknownActivationError(f"spec file {quoted(argument)} not found")
        return load_spec(path)  # a FIFO, device or directory: "not a regular file"
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
        if variant is None and ":" in argument and not os.path.exists(argument):
            argument, variant = argument.rsplit(":", 1)
        spec = resolve_spec(argument, registry)
    return spec if variant is None else variant_spec(spec, variant)


# -- names resolved once per process, while the files they came from are unchanged: what makes
# a loop of `actcli.evaluate("gelu", x)` cost microseconds (Registry.default() reads every
# spec's cache entry, ~5 ms).

REMEMBERED_SPECS = 256
RACY_NANOSECONDS = 2_000_000_000  # a file changed this recently may change again unseen
_remembered: collections.OrderedDict[tuple[str, str, str], tuple[Spec, tuple[int, ...]]] = (
    collections.OrderedDict()
)  # oldest first: names are dropped in the order they were resolved
_remembered_lock = threading.Lock()


def remembered_spec(argument: str) -> Spec:
    """`load_spec_argument(argument)` (a name, alias, `NAME:VARIANT` or spec file), remembered
    while the spec's file is unchanged (its size, modification and status-change times and
    inode; any write changes the status-change time, which no one can set back): an edited
    file is read again. A file changed in the last two seconds is never trusted (its next
    change could keep the same times on a coarse clock). Another file that comes to claim the
    same name is not looked for: the clash is reported once the file itself changes, or in a
    new process."""
    key = (argument, os.environ.get(SPEC_PATH_VARIABLE, ""), os.getcwd())
    found = _remembered.get(key)
    if found is not None and _signature(found[0]) == found[1]:
        return found[0]
    spec = load_spec_argument(argument)
    signature = _signature(spec)
    if signature is not None:
        with _remembered_lock:  # evaluate may be called from several threads
            _remembered[key] = (spec, signature)
            while len(_remembered) > REMEMBERED_SPECS:
                _remembered.popitem(last=False)
    return spec


def _signature(spec: Spec) -> tuple[int, ...] | None:
    """The stat fingerprint of a spec's file; None where it is missing or changed too recently
    to be trusted."""
    try:
        info = os.stat(spec.source.path)
    except (OSError, ValueError):
        return None
    if max(info.st_mtime_ns, info.st_ctime_ns) > time.time_ns() - RACY_NANOSECONDS:
        return None
    return (info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino, info.st_dev)


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
# paths, sizes and modification times; see actcli.cache. An entry also records each file's
# SHA-256, compared with the files' bytes when it is read, and every field it holds is checked
# against the dataclasses' annotations: only actcli's own dataclasses, with values of their
# declared types, can be rebuilt from it, and nothing in it is executed. An entry that fails
# any check is ignored (the specs are read from their files and the entry rewritten).

_CACHED_TYPES = (
    "Spec", "Definition", "Piece", "Text", "Source", "Parameter", "Domain", "Variant", "Claim"
)  # fmt: skip


def _cache_name(files: list[tuple[Path, bool]]) -> str:
    stats = [(str(p), b, p.stat().st_mtime_ns, p.stat().st_size) for p, b in files]
    code = Path(spec_module.__file__).stat()
    return "registry-" + cache.key(stats, code.st_mtime_ns, code.st_size)


def _file_bytes(files: list[tuple[Path, bool]]) -> list[bytes]:
    """Each file's bytes, read as `load_spec` reads them.

    Raises:
        SpecError: a file cannot be read as a spec (too big, not a regular file, ...).
    """
    return [read_spec_bytes(path) for path, _ in files]


def _fingerprints(files: list[tuple[Path, bool]], contents: list[bytes]) -> list[list[object]]:
    """[path, builtin, SHA-256 of the bytes] per file."""
    return [
        [str(path), builtin, hashlib.sha256(raw).hexdigest()]
        for (path, builtin), raw in zip(files, contents, strict=True)
    ]


def _cached_specs(files: list[tuple[Path, bool]]) -> list[Spec] | None:
    """The specs from the cache entry for these files, or None where there is none that
    passes every check: the entry's file hashes equal the files' now, every field has its
    declared type, spec i comes from file i, and every text a spec holds (name, aliases,
    expressions) occurs in its file (a cheap re-validation: a hand-edited entry cannot give
    relu a definition its file does not contain)."""
    try:
        entry = cache.load(_cache_name(files))
        if entry is None or set(entry) != {"files", "specs"}:
            return None
        contents = _file_bytes(files)
        if entry["files"] != _fingerprints(files, contents):
            return None
        specs = [_decode_as(item, Spec) for item in _list(entry["specs"])]
        if len(specs) != len(files):
            return None
        for spec, (path, builtin), raw in zip(specs, files, contents, strict=True):
            text = raw.decode("utf-8")
            if (spec.source.path, spec.builtin) != (str(path), builtin):
                return None
            if not all(piece in text for piece in _texts(spec)):
                return None
    except (OSError, LookupError, TypeError, ValueError, RecursionError):  # SpecError included
        return None
    return specs


def _texts(value: object, found: list[str] | None = None) -> list[str]:
    """The name, aliases and every expression text in a spec (what its file must contain).
    Types compared exactly: the values come from `_decode_as`, which builds no subclasses, and
    a spec holds ~100 of them (half of `actcli list`'s time here went to isinstance)."""
    found = [] if found is None else found
    kind = type(value)
    if kind in _LEAVES:
        return found
    if kind is Spec:
        found += [value.name, *value.aliases]  # type: ignore[attr-defined]
    if kind is spec_module.Text:
        found.append(value.text)  # type: ignore[attr-defined]
    elif kind is tuple or kind is list:
        for item in value:  # type: ignore[attr-defined]
            _texts(item, found)
    elif kind is dict:
        for item in value.values():  # type: ignore[attr-defined]
            _texts(item, found)
    elif dataclasses.is_dataclass(value):
        for name in _field_names(kind):
            _texts(getattr(value, name), found)
    return found


_LEAVES = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(kind))


def _store_specs(files: list[tuple[Path, bool]], specs: list[Spec]) -> None:
    try:
        contents = _file_bytes(files)
        data = {"files": _fingerprints(files, contents), "specs": [_encode(s) for s in specs]}
        cache.store(_cache_name(files), data)
    except (OSError, TypeError, ValueError):  # SpecError included
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


def _decode_as(value: object, hint: Any) -> Any:
    """`value` (as `_encode` wrote it) rebuilt as type `hint`, checked all the way down.

    Raises:
        ValueError: anything that is not exactly a `hint`.
    """
    return _decoder(hint)(value)


Decoder = Callable[[object], Any]


@functools.cache
def _decoder(hint: Any) -> Decoder:
    """The function that rebuilds and checks a value of type `hint`, worked out once per type
    (reading the typing annotations for every value cost ~10 ms on each `actcli list`)."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return _decode_any
    if hint is bool or hint is str:
        return functools.partial(_exactly, hint)
    if hint is int or hint is float:
        return functools.partial(_number, hint, (int,) if hint is int else (int, float))
    if hint is type(None):
        return _null
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(hint)
        (chosen,) = [option for option in options if option is not type(None)]
        return functools.partial(_optional, _decoder(chosen), type(None) in options)
    if origin is tuple:
        (item, ellipsis) = typing.get_args(hint)
        if ellipsis is not Ellipsis:
            raise ValueError(f"cannot read {hint!r} from the cache")
        return functools.partial(_tuple, _decoder(item))
    if origin in (dict, Mapping, collections.abc.Mapping):
        key_type, value_type = typing.get_args(hint)
        return functools.partial(_mapping, _decoder(key_type), _decoder(value_type))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and hint.__name__ in _CACHED_TYPES:
        hints = typing.get_type_hints(hint)
        fields = tuple((f.name, _decoder(hints[f.name])) for f in dataclasses.fields(hint))
        return functools.partial(_dataclass, hint, fields, {"__type", *(f for f, _ in fields)})
    raise ValueError(f"cannot read {hint!r} from the cache")


def _exactly(kind: type, value: object) -> object:
    if type(value) is not kind:
        raise ValueError(f"expected {kind.__name__}")
    return value


def _number(kind: type, allowed: tuple[type, ...], value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, allowed):
        raise ValueError(f"expected {kind.__name__}")
    return kind(value)


def _null(value: object) -> None:
    if value is not None:
        raise ValueError("expected null")


def _optional(decode: Decoder, nullable: bool, value: object) -> Any:
    return None if value is None and nullable else decode(value)


def _tuple(decode: Decoder, value: object) -> tuple[Any, ...]:
    if not isinstance(value, dict) or value.keys() != {"__tuple"}:
        raise ValueError("expected a tuple")
    return tuple(map(decode, _list(value["__tuple"])))


def _mapping(decode_key: Decoder, decode_value: Decoder, value: object) -> dict[Any, Any]:
    if not isinstance(value, dict) or value.keys() != {"__dict"}:
        raise ValueError("expected a mapping")
    return {decode_key(k): decode_value(v) for k, v in _pairs(value["__dict"])}


def _dataclass(
    kind: type, fields: tuple[tuple[str, Decoder], ...], keys: set[str], value: object
) -> object:
    if not isinstance(value, dict) or value.get("__type") != kind.__name__ or value.keys() != keys:
        raise ValueError(f"expected {kind.__name__} with its fields")
    return kind(**{name: decode(value[name]) for name, decode in fields})


def _pairs(value: object) -> list[list[Any]]:
    pairs = [_list(pair) for pair in _list(value)]
    if any(len(pair) != 2 for pair in pairs):
        raise ValueError("expected key-value pairs")
    return pairs


def _decode_any(value: object) -> object:
    """A claim's value: JSON scalars, lists, tuples, mappings, or actcli's dataclasses."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list):
        return [_decode_any(v) for v in value]
    if isinstance(value, dict) and value.keys() == {"__tuple"}:
        return tuple(_decode_any(v) for v in _list(value["__tuple"]))
    if isinstance(value, dict) and value.keys() == {"__dict"}:
        return {_hashable(_decode_any(k)): _decode_any(v) for k, v in _pairs(value["__dict"])}
    if isinstance(value, dict) and value.get("__type") in _CACHED_TYPES:
        return _decode_as(value, getattr(spec_module, value["__type"]))
    raise ValueError("unexpected value in the registry cache")


def _list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value


def _hashable(key: object) -> object:
    if not isinstance(key, str | int | float | bool | tuple) and key is not None:
        raise ValueError("unhashable key")
    hash(key)  # a tuple holding a list raises TypeError
    return key
