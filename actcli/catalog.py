"""What activations exist and what their specs state: `actcli list`, `show` and `validate`.

Each returns a frozen result that `render` prints and `to_json()` serialises. Light: listing
reads specs without SymPy (`show` receives an activation already bound by the caller).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from actcli.errors import ActcliError, SpecError, SpecPathWarning, UsageError
from actcli.json_values import json_number
from actcli.registry import Registry, normalize
from actcli.spec import Definition, Spec, default_value
from actcli.spec_file import load_spec

if TYPE_CHECKING:
    from actcli.accuracy import AccuracyReport
    from actcli.activation import Activation


# -- list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParameterInfo:
    name: str
    default: str
    domain: str
    doc: str

    def to_json(self) -> dict[str, Any]:
        default = default_value(self.default)
        return {
            "name": self.name,
            "default": json_number(default) if default is not None else self.default,
            "default_exact": self.default,
            "domain": self.domain,
            "doc": self.doc,
        }


@dataclass(frozen=True)
class ActivationInfo:
    """What `actcli list` shows of one spec."""

    name: str
    title: str
    kind: str
    aliases: tuple[str, ...]
    tags: tuple[str, ...]
    parameters: tuple[ParameterInfo, ...]
    source: str
    builtin: bool

    @classmethod
    def of(cls, spec: Spec) -> ActivationInfo:
        parameters = tuple(
            ParameterInfo(p.name, p.default, p.domain.text, p.doc) for p in spec.parameters
        )
        return cls(
            spec.name,
            spec.title,
            spec.kind,
            spec.aliases,
            spec.tags,
            parameters,
            spec.source.path,
            spec.builtin,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "kind": self.kind,
            "aliases": list(self.aliases),
            "tags": list(self.tags),
            "parameters": [p.to_json() for p in self.parameters],
            "source": self.source,
            "builtin": self.builtin,
        }


@dataclass(frozen=True)
class ListResult:
    activations: tuple[ActivationInfo, ...]

    def to_json(self) -> dict[str, Any]:
        return {"activations": [a.to_json() for a in self.activations]}


def list_activations(tag: str | None = None, registry: Registry | None = None) -> ListResult:
    """Every registered activation (built-in and ACTCLI_SPEC_PATH), optionally one family."""
    registry = registry or Registry.default()
    specs = sorted(registry, key=lambda spec: spec.name)
    if tag is not None:  # relu_like, Relu-Like and relu-like are one tag, as names are
        known = sorted({t for spec in specs for t in spec.tags})
        if normalize(tag) not in {normalize(t) for t in known}:
            raise UsageError(f"--tag {tag!r}: no activation has it (tags: {', '.join(known)})")
        specs = [spec for spec in specs if normalize(tag) in {normalize(t) for t in spec.tags}]
    return ListResult(tuple(ActivationInfo.of(spec) for spec in specs))


# -- show ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShowResult:
    """A spec as written, with the bound parameter values and the parsed definition."""

    info: ActivationInfo
    params: dict[str, float]
    doc: str
    definition: tuple[tuple[str, str | None], ...]
    expression: str
    latex: str
    stable: tuple[tuple[str, str | None], ...] | None
    variants: tuple[tuple[str, str, tuple[tuple[str, str | None], ...]], ...]
    claims: tuple[tuple[str, str], ...]
    references: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        def pieces(rows: Iterable[tuple[str, str | None]]) -> list[dict[str, Any]]:
            return [{"when": when, "value": value} for value, when in rows]

        return {
            **self.info.to_json(),
            "params": {k: json_number(v) for k, v in self.params.items()},
            "doc": self.doc,
            "definition": pieces(self.definition),
            "expression": self.expression,
            "latex": self.latex,
            "stable": None if self.stable is None else pieces(self.stable),
            "variants": [
                {"name": name, "doc": doc, "definition": pieces(rows)}
                for name, doc, rows in self.variants
            ],
            "claims": dict(self.claims),
            "references": list(self.references),
        }


def show(activation: Activation) -> ShowResult:
    """Everything a spec states, and the definition as SymPy and LaTeX with params applied."""
    spec = activation.spec
    return ShowResult(
        info=ActivationInfo.of(spec),
        params=activation.params,
        doc=spec.doc.strip(),
        definition=_rows(spec.definition),
        expression=activation.expression_text(),
        latex=activation.latex(),
        stable=_rows(spec.stable) if spec.stable else None,
        variants=tuple((v.name, v.doc, _rows(v.definition)) for v in spec.variants.values()),
        claims=tuple((key, _claim_text(claim.value)) for key, claim in spec.claims.items()),
        references=spec.references,
    )


def _rows(definition: Definition) -> tuple[tuple[str, str | None], ...]:
    return tuple(
        (piece.value.text, None if piece.when is None else piece.when.text)
        for piece in definition.pieces
    )


def pieces_text(rows: Iterable[tuple[str, str | None]], piecewise: bool) -> str:
    """`1 if x > 0; exp(x/alpha) otherwise` (a plain expression stays as it is)."""
    if not piecewise:
        return next(iter(rows))[0]
    return "; ".join(f"{v} otherwise" if w is None else f"{v} if {w}" for v, w in rows)


def _claim_text(value: Any) -> str:
    if isinstance(value, Definition):
        text = pieces_text(_rows(value), value.piecewise)
        return text + (f" (within {value.tolerance:g} relative)" if value.tolerance else "")
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_claim_text(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "true" if value else "false"
    return getattr(value, "text", str(value))


# -- validate ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileReport:
    """One file's problems, and for a valid scalar spec its measured float64 accuracy (or why it
    was not measured)."""

    path: str
    name: str | None
    problems: tuple[str, ...]
    accuracy: AccuracyReport | None = None
    accuracy_note: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ValidateResult:
    files: tuple[FileReport, ...]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.ok,
            "files": [
                {
                    "path": f.path,
                    "name": f.name,
                    "valid": f.ok,
                    "problems": list(f.problems),
                    "accuracy": f.accuracy.to_json() if f.accuracy else None,
                    "accuracy_note": f.accuracy_note,
                }
                for f in self.files
            ],
        }


Measure = Callable[[Spec], "AccuracyReport | None"]


def validate(
    paths: Sequence[str], registry: Registry | None = None, measure: Measure | None = None
) -> ValidateResult:
    """Check spec files in full (structure and every expression), and that their names do not
    clash with each other or with the registry's; with `measure` (`actcli.accuracy.measure_spec`,
    passed in because it loads SymPy and NumPy), also how accurate each valid scalar spec
    evaluates in float64 at its default parameters."""
    reports: list[tuple[FileReport, Spec | None]] = []
    seen: set[Path | str] = set()
    for path in paths:
        file = _real_path(path)
        if file in seen:  # the same file named twice (`a.yaml ./a.yaml`): no clash with itself
            continue
        seen.add(file)
        try:
            spec = load_spec(path)
        except SpecError as exc:
            reports.append((FileReport(path, None, tuple(exc.problems)), None))
            continue
        reports.append((FileReport(path, spec.name, ()), spec))
    clashes = _clashes([spec for _, spec in reports if spec is not None], registry)
    final = []
    for r, spec in reports:
        problems = r.problems + tuple(p for p in clashes if p.startswith(r.path))
        accuracy, note = None, ""
        if measure is not None and not problems and spec is not None:
            accuracy, note = _measured(measure, spec)
        final.append(FileReport(r.path, r.name, problems, accuracy, note))
    return ValidateResult(tuple(final))


def _real_path(path: str) -> Path | str:
    """The file `path` names, links resolved; the text itself where it is no path at all (a
    NUL byte), which `load_spec` reports."""
    try:
        return Path(path).resolve()
    except (OSError, ValueError):
        return path


def _measured(measure: Measure, spec: Spec) -> tuple[AccuracyReport | None, str]:
    try:
        report = measure(spec)
    except ActcliError as exc:
        return None, f"not measured: {exc}"
    return report, "" if report is not None else "not measured: a vector activation"


def _clashes(specs: list[Spec], registry: Registry | None) -> list[str]:
    try:
        with warnings.catch_warnings():  # the files given are reported in full, not warned of
            warnings.simplefilter("ignore", SpecPathWarning)
            base = list(registry or Registry.default())
    except SpecError:
        base = []
    paths = {Path(spec.source.path).resolve() for spec in specs}
    others = [spec for spec in base if Path(spec.source.path).resolve() not in paths]
    try:
        Registry(others + specs)
    except SpecError as exc:
        return exc.problems
    return []
