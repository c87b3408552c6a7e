"""The library functions behind the commands: each returns a frozen result that `render` prints.

`actcli list` is `list_activations()`, `show` is `show()`, `validate` is `validate()`, `eval` is
`evaluate()`. Results serialise to JSON through `to_json()`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from actcli.errors import InputError, SpecError, UsageError
from actcli.registry import Registry, resolve_spec
from actcli.spec import Definition, Spec, exact_default, load_spec

if TYPE_CHECKING:
    import numpy as np

    from actcli.activation import Activation, Kink

AT_KINK_CONVENTIONS = ("left", "right", "mean")


def json_number(value: float) -> float | str:
    """A float for JSON: non-finite values as the strings "inf", "-inf", "nan"."""
    value = float(value)
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


# -- list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParameterInfo:
    name: str
    default: str
    domain: str
    doc: str

    def to_json(self) -> dict[str, Any]:
        default = exact_default(self.default)
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
    if tag is not None:
        known = sorted({t for spec in specs for t in spec.tags})
        if tag not in known:
            raise UsageError(f"--tag {tag!r}: no activation has it (tags: {', '.join(known)})")
        specs = [spec for spec in specs if tag in spec.tags]
    return ListResult(tuple(ActivationInfo.of(spec) for spec in specs))


# -- activation arguments ------------------------------------------------------------------


def load_activation(
    argument: str | None = None,
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    variant: str | None = None,
) -> Activation:
    """A built-in name or alias, a spec file path, or an inline `expression`, bound to params.

    For an inline expression, `params` also declares its parameters (domain: real). `variant`
    picks one of the spec's implementation variants (e.g. softplus's `torch`); `NAME:VARIANT`
    as the argument does the same.
    """
    from actcli.activation import bind

    spec = load_spec_argument(
        argument, expression=expression, params=params, registry=registry, variant=variant
    )
    return bind(spec, params)


def load_spec_argument(
    argument: str | None = None,
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    variant: str | None = None,
) -> Spec:
    """The spec an activation argument names (see `load_activation`), not yet bound."""
    from actcli.activation import inline_spec
    from actcli.spec import variant_spec

    if (argument is None) == (expression is None):
        raise UsageError("give an activation name or spec file, or --expr, but not both")
    if expression is not None:
        spec = inline_spec(expression, params)
    else:
        if variant is None and ":" in argument and not Path(argument).exists():
            argument, variant = argument.rsplit(":", 1)
        spec = resolve_spec(argument, registry)
    return spec if variant is None else variant_spec(spec, variant)


def parse_param_options(options: Sequence[str]) -> dict[str, str]:
    """`--param NAME=VALUE` options into a mapping (a repeated name is an error)."""
    found: dict[str, str] = {}
    for option in options:
        name, sep, value = option.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise UsageError(f"--param {option!r}: expected NAME=VALUE, e.g. --param alpha=0.5")
        if name in found:
            raise UsageError(f"--param {name}: given twice")
        found[name] = value
    return found


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
    import sympy

    spec = activation.spec
    return ShowResult(
        info=ActivationInfo.of(spec),
        params=activation.params,
        doc=spec.doc.strip(),
        definition=_rows(spec.definition),
        expression=sympy.sstr(activation.expression),
        latex=sympy.latex(activation.symbolic()),
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


# -- derive and check ----------------------------------------------------------------------


def derive(
    argument: str | None = None,
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    order: int = 1,
    wrt: str = "x",
    output: bool = False,
    n: int | None = None,
    language: str | None = None,
) -> Any:
    """`actcli derive`: see `actcli.calculus.derive` (unbound parameters stay symbolic)."""
    from actcli.calculus import derive as derive_spec

    spec = load_spec_argument(argument, expression=expression, params=params)
    return derive_spec(spec, params, order=order, wrt=wrt, output=output, n=n, language=language)


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


def check(
    arguments: Sequence[str] = (),
    *,
    every: bool = False,
    expression: str | None = None,
    claims: Sequence[str] = (),
    params: Mapping[str, str] | None = None,
) -> Any:
    """`actcli check`: the claims of the named specs (or all), or `claims` (KEY=VALUE) about one
    activation instead of its own."""
    from actcli.check import check as check_specs

    specs = select_specs(arguments, every=every, expression=expression, params=params)
    if claims:
        if len(specs) != 1:
            raise UsageError("--claim applies to one activation")
        specs = [with_claims(specs[0], claims)]
    return check_specs(specs, params, claims_only=bool(claims))


def smoothness(
    argument: str | None = None,
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    max_order: int = 3,
    symbolic_params: bool = False,
) -> Any:
    """`actcli smoothness`: see `actcli.smoothness.smoothness`."""
    from actcli.smoothness import smoothness as analyse

    spec = load_spec_argument(argument, expression=expression, params=params)
    return analyse(spec, params, max_order=max_order, symbolic_params=symbolic_params)


@dataclass(frozen=True)
class PropertiesResult:
    """One row per activation (`actcli properties`): its properties and smoothness class."""

    rows: tuple[tuple[Any, str], ...]

    def to_json(self) -> list[dict[str, Any]]:
        rows = []
        for row, smoothness_class in self.rows:
            data = row.to_json()
            data["smoothness"] = smoothness_class
            data["methods"]["smoothness"] = "symbolic"
            rows.append(data)
        return rows


def properties(
    arguments: Sequence[str] = (),
    *,
    every: bool = False,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
) -> PropertiesResult:
    """`actcli properties`: `actcli.properties.properties` for scalar kinds; for vector kinds
    the range and bounds from numeric evidence (`vector_properties`)."""
    from actcli.activation import bind
    from actcli.properties import properties as compute
    from actcli.properties import vector_properties as vector_row
    from actcli.smoothness import smoothness as analyse

    specs = select_specs(arguments, every=every, expression=expression, params=params)
    rows = []
    for spec in specs:
        own = {k: v for k, v in (params or {}).items() if k in spec.parameter_names}
        klass = analyse(spec, own).smoothness_class
        activation = bind(spec, own)
        row = vector_row(activation) if spec.kind == "vector" else compute(activation)
        rows.append((row, klass))
    return PropertiesResult(tuple(rows))


# -- plot and table ------------------------------------------------------------------------


def bind_series(
    arguments: Sequence[str],
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    sweep: str | None = None,
) -> tuple[list[Activation], list[str]]:
    """The activations a figure overlays, with their legend labels.

    `arguments` are names, `NAME:VARIANT`s or spec files (or one `--expr`); `params` apply to
    each activation that has the parameter (naming one none of them has is an error); `sweep`
    is `NAME=V1,V2,...`: every activation drawn once per value.
    """
    from actcli.activation import bind

    if expression is not None and arguments:
        raise UsageError("give activations or --expr, not both")
    targets: list[str | None] = list(arguments) if expression is None else [None]
    if not targets:
        raise UsageError("name at least one activation (or use --expr)")
    sweep_name, sweep_values = _parse_sweep(sweep) if sweep else (None, [None])
    declared = dict(params or {})  # an --expr declares its parameters, the swept one too
    if sweep_name is not None:
        declared.setdefault(sweep_name, sweep_values[0])
    specs = [load_spec_argument(t, expression=expression, params=declared) for t in targets]
    names = {name for spec in specs for name in spec.parameter_names}
    for name in [*(params or {}), *([sweep_name] if sweep_name else [])]:
        if name not in names and expression is None:
            raise UsageError(f"--param/--sweep {name}: none of the activations has it")
    series, labels = [], []
    for spec in specs:
        own = {k: v for k, v in (params or {}).items() if k in spec.parameter_names}
        swept = sweep_name is not None and sweep_name in spec.parameter_names
        for value in sweep_values if swept else [None]:
            chosen = {**own, sweep_name: value} if swept else own
            activation = bind(spec, chosen)
            label = activation.name if expression is None else expression
            series.append(activation)
            labels.append(f"{label} ({sweep_name}={value})" if swept else label)
    return series, labels


def _parse_sweep(text: str) -> tuple[str, list[str]]:
    name, sep, values = text.partition("=")
    items = [v.strip() for v in values.split(",") if v.strip()]
    if not sep or not name.strip() or not items:
        raise UsageError(f"--sweep {text!r}: expected NAME=V1,V2,..., e.g. --sweep alpha=0.5,1,2")
    return name.strip(), items


def plot(
    arguments: Sequence[str],
    *,
    output: str,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    sweep: str | None = None,
    dpi: float = 150.0,
    **options: Any,
) -> tuple[bytes, Any]:
    """`actcli plot`: the encoded figure (format from `output`'s extension; `-` is PNG) and
    what was drawn (`actcli.plot.PlotResult`). `options` go to `actcli.plot.make_figure`."""
    import dataclasses

    from actcli.figures import figure_bytes, figure_format
    from actcli.plot import make_figure

    fmt = figure_format(output)
    if dpi <= 0 or not math.isfinite(dpi):
        raise UsageError(f"--dpi {dpi}: must be a positive number")
    series, labels = bind_series(arguments, expression=expression, params=params, sweep=sweep)
    figure, drawn = make_figure(series, labels=labels, **options)
    data = figure_bytes(figure, fmt, dpi)
    return data, dataclasses.replace(drawn, file=None if output == "-" else output, format=fmt)


def table(
    argument: str | None = None,
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    **options: Any,
) -> Any:
    """`actcli table`: `actcli.lut.make_table` for one scalar activation."""
    from actcli.lut import make_table

    activation = load_activation(argument, expression=expression, params=params)
    return make_table(activation, **options)


def simulate_depth(
    arguments: Sequence[str],
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    **options: Any,
) -> Any:
    """`actcli simulate-depth`: `actcli.propagation.simulate_depth` for the named activations
    (`params` apply to those that have them)."""
    from actcli.propagation import simulate_depth as simulate

    activations, _ = bind_series(arguments, expression=expression, params=params)
    return simulate(activations, **options)


def parse_bytes(text: str, option: str = "--max-memory") -> int:
    """A size like 2G, 512M, 1.5GB, 800MiB or a plain number of bytes (powers of 1024)."""
    import re

    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kmgt]?)(i?b)?\s*", text, flags=re.I)
    if not match:
        raise UsageError(f"{option} {text!r}: expected a size such as 2G, 512M or 1073741824")
    number, unit = float(match.group(1)), match.group(2).lower()
    size = number * 1024 ** " kmgt".index(unit or " ")
    if size < 1:
        raise UsageError(f"{option} {text!r}: must be at least one byte")
    return int(size)


def with_claims(spec: Spec, options: Sequence[str]) -> Spec:
    """The spec with its claims replaced by `--claim KEY=VALUE` options.

    Keys: derivative, derivatives.K, derivative_in_terms_of_output, derivative_wrt.NAME,
    zero_at_origin, identity_near_origin, bounded_below, bounded_above (true/false),
    smoothness (C1, ...), monotonic, range ("(0, oo)"); for vector kinds jacobian (in y[i],
    y[j], delta(i, j)). Values are expressions.
    """
    import dataclasses

    from actcli.spec import (
        INTERVAL,
        MONOTONIC_VALUES,
        SMOOTHNESS_PATTERN,
        Claim,
        Piece,
        Source,
        Text,
    )

    claims: dict[str, Claim] = {}
    source = Source("--claim")
    for option in options:
        key, sep, value = option.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise UsageError(f"--claim {option!r}: expected KEY=VALUE, e.g. derivative='1 - y**2'")
        head, _, tail = key.partition(".")
        definition = Definition((Piece(Text(value, source, key)),), piecewise=False)
        vector_keys = ("jacobian", "smoothness", "bounded_below", "bounded_above")
        if spec.kind == "vector" and head not in vector_keys:
            keys = ", ".join(vector_keys)
            raise UsageError(f"--claim {key}: vector activations take {keys} ({spec.name})")
        if spec.kind == "scalar" and head == "jacobian":
            raise UsageError(f"--claim {key}: only vector activations have a Jacobian")
        if head == "jacobian" and not tail:
            claims[head] = Claim(head, definition, source)
        elif head == "smoothness" and not tail and SMOOTHNESS_PATTERN.match(value):
            claims[head] = Claim(head, value, source)
        elif head == "monotonic" and not tail and value in MONOTONIC_VALUES:
            claims[head] = Claim(head, value, source)
        elif head in ("bounded_below", "bounded_above") and not tail:
            if value.lower() not in ("true", "false"):
                raise UsageError(f"--claim {key}: true or false")
            claims[head] = Claim(head, value.lower() == "true", source)
        elif head == "range" and not tail and INTERVAL.match(value):
            claims[head] = Claim(head, Text(value, source, key), source)
        elif head in ("zero_at_origin", "identity_near_origin") and not tail:
            if value.lower() not in ("true", "false"):
                raise UsageError(f"--claim {key}: true or false")
            claims[head] = Claim(head, value.lower() == "true", source)
        elif head in ("derivative", "derivative_in_terms_of_output") and not tail:
            claims[head] = Claim(head, definition, source)
        elif head == "derivatives" and tail.isdigit():
            previous = claims.get(head)
            orders = dict(previous.value) if previous else {}
            orders[int(tail)] = definition
            claims[head] = Claim(head, orders, source)
        elif head == "derivative_wrt" and tail in spec.parameter_names:
            previous = claims.get(head)
            targets = dict(previous.value) if previous else {}
            targets[tail] = definition
            claims[head] = Claim(head, targets, source)
        else:
            raise UsageError(
                f"--claim {key}: use derivative, derivatives.K, derivative_in_terms_of_output, "
                "derivative_wrt.PARAM, zero_at_origin, identity_near_origin, smoothness, range, "
                "monotonic, bounded_below or bounded_above (with a valid value)"
            )
    # stable forms stay: numeric checks evaluate through them (check(..., claims_only=True)
    # does not verify them again)
    # stable forms stay: numeric checks evaluate through them (check(..., claims_only=True)
    # does not verify them again)
    checked = dataclasses.replace(spec, claims=claims, variants={})
    from actcli.spec import expression_problems

    problems = expression_problems(checked)
    if problems:
        raise UsageError(problems[0])
    return checked


# -- validate ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileReport:
    path: str
    name: str | None
    problems: tuple[str, ...]

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
                }
                for f in self.files
            ],
        }


def validate(paths: Sequence[str], registry: Registry | None = None) -> ValidateResult:
    """Check spec files in full (structure and every expression), and that their names do not
    clash with each other or with the registry's."""
    reports: list[FileReport] = []
    specs: list[Spec] = []
    for path in paths:
        try:
            spec = load_spec(path)
        except SpecError as exc:
            reports.append(FileReport(path, None, tuple(exc.problems)))
            continue
        specs.append(spec)
        reports.append(FileReport(path, spec.name, ()))
    clashes = _clashes(specs, registry)
    reports = [
        FileReport(
            r.path,
            r.name,
            r.problems + tuple(p for p in clashes if p.startswith(r.path)),
        )
        for r in reports
    ]
    return ValidateResult(tuple(reports))


def _clashes(specs: list[Spec], registry: Registry | None) -> list[str]:
    try:
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


# -- eval ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KinkNote:
    """A point where the requested derivative does not exist, and what was printed there."""

    x: float
    order: int
    left: float
    right: float
    jump_order: int
    printed: str

    def message(self, name: str) -> str:
        derivative = _derivative_name(self.order)
        if self.jump_order == self.order:
            why = f"one-sided limits {self.left!r} and {self.right!r}"
        else:
            why = f"{_derivative_name(self.jump_order)} already jumps there"
        hint = "" if self.printed != "nan" else " (pick one with --at-kink left|right|mean)"
        return (
            f"{name}: {derivative} does not exist at x = {self.x!r} ({why}); "
            f"printed {self.printed}{hint}"
        )


def _derivative_name(order: int) -> str:
    return "f" + ("'" * order if order <= 3 else f"^({order})")


@dataclass(frozen=True)
class EvalResult:
    activation: str
    params: dict[str, float]
    order: int
    x: np.ndarray
    y: np.ndarray
    kinks: tuple[KinkNote, ...] = ()

    @property
    def vector(self) -> bool:
        return self.x.ndim == 2

    def to_json(self) -> dict[str, Any]:
        def values(array: np.ndarray) -> list[Any]:
            if array.ndim == 1:
                return [json_number(v) for v in array.tolist()]
            return [values(row) for row in array]

        return {
            "activation": self.activation,
            "params": {k: json_number(v) for k, v in self.params.items()},
            "order": self.order,
            "x": values(self.x),
            "y": values(self.y),
            "undefined_at": [json_number(k.x) for k in self.kinks],
        }


@dataclass(frozen=True)
class NumericPlan:
    """What evaluating f^(order) of a bound scalar activation needs, free of SymPy: the
    generated NumPy source, the parameter values and the kinks (cacheable as JSON)."""

    name: str
    params: dict[str, float]
    source: str
    kinks: tuple[Kink, ...] = ()

    @classmethod
    def of(cls, activation: Activation, order: int) -> NumericPlan:
        from actcli.numeric import scalar_source

        kinks = tuple(activation.kinks(order)) if order else ()
        source = scalar_source(activation.numeric_source(order))
        return cls(activation.name, activation.params, source, kinks)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "params": self.params,
            "source": self.source,
            "kinks": [[k.x, k.x_exact, list(k.left), list(k.right)] for k in self.kinks],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NumericPlan:
        from actcli.activation import Kink

        kinks = tuple(
            Kink(x, exact, tuple(left), tuple(right)) for x, exact, left, right in data["kinks"]
        )
        return cls(data["name"], data["params"], data["source"], kinks)


def evaluate(
    activation: Activation, x: np.ndarray, order: int = 0, at_kink: str | None = None
) -> EvalResult:
    """f^(order) at each x (rows of x for vector kinds), in float64.

    Where the derivative does not exist (one-sided limits of f^(k), k <= order, differ) the
    value is nan, or with `at_kink` the left or right limit of f^(order), or their mean.
    """
    import numpy as np

    _check_eval_options(order, at_kink)
    x = np.asarray(x, dtype=np.float64)
    if activation.kind == "vector":
        y = activation.function(order)(x)
        return EvalResult(activation.name, activation.params, order, x, y)
    return _run(NumericPlan.of(activation, order), x, order, at_kink)


def evaluate_spec(
    spec: Spec,
    params: Mapping[str, str],
    x: np.ndarray,
    order: int = 0,
    at_kink: str | None = None,
) -> EvalResult:
    """`evaluate` for a spec and --param texts, reusing a cached compilation when there is one
    (a cache hit imports no SymPy: `actcli eval` on a large stdin starts fast)."""
    import numpy as np

    from actcli import cache
    from actcli.activation import bind

    _check_eval_options(order, at_kink)
    if spec.kind == "vector":
        return evaluate(bind(spec, params), x, order, at_kink)
    parts = (spec.name, spec.kind, spec.parameters, spec.constraints, spec.definition)
    variants = (spec.stable, sorted(spec.stable_derivatives.items()))
    name = "numeric-" + cache.key(*parts, *variants, sorted(params.items()), order)
    entry = cache.load(name)
    if entry is None:
        plan = NumericPlan.of(bind(spec, params), order)
        cache.store(name, plan.to_json())
    else:
        plan = NumericPlan.from_json(entry)
    return _run(plan, np.asarray(x, dtype=np.float64), order, at_kink)


def _check_eval_options(order: int, at_kink: str | None) -> None:
    if order < 0:
        raise UsageError(f"--order {order}: must be 0 or more")
    if at_kink is not None and at_kink not in AT_KINK_CONVENTIONS:
        raise UsageError(f"--at-kink {at_kink!r}: use one of {', '.join(AT_KINK_CONVENTIONS)}")


def _run(plan: NumericPlan, x: np.ndarray, order: int, at_kink: str | None) -> EvalResult:
    from actcli.numeric import function_from_source

    y = function_from_source(plan.source)(x)
    notes = []
    for kink in plan.kinks:
        hit = x == kink.x
        if not hit.any():
            continue
        left, right = kink.left[order], kink.right[order]
        conventions = {"left": left, "right": right, "mean": (left + right) / 2}
        value = conventions.get(at_kink, math.nan)
        y[hit] = value
        printed = f"the {at_kink} value {value!r}" if at_kink else "nan"
        notes.append(KinkNote(kink.x, order, left, right, kink.first_jump(), printed))
    return EvalResult(plan.name, plan.params, order, x, y, tuple(notes))


def parse_numbers(text: str, *, vector: bool, source: str = "stdin") -> np.ndarray:
    """Numbers separated by whitespace (and commas, for vectors: one vector per line).

    Raises:
        InputError: naming the line and the token that is not a number.
    """
    import numpy as np

    if not vector:
        if "_" in text:  # NumPy and float() read 1_000 as 1000; a typo is likelier
            _raise_bad_token(text, source, vector)
        try:
            return np.array(text.split(), dtype=np.float64)
        except ValueError:
            _raise_bad_token(text, source, vector)
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        tokens = line.replace(",", " ").split()
        if not tokens:
            continue
        try:
            rows.append([_float(token) for token in tokens])
        except ValueError:
            _raise_bad_token(line, f"{source} line {number}", vector)
    if not rows:
        return np.empty((0, 0))
    if len({len(row) for row in rows}) != 1:
        raise InputError(f"{source}: vectors of different lengths (one vector per line)")
    return np.array(rows, dtype=np.float64)


def _float(token: str) -> float:
    if "_" in token:
        raise ValueError(token)
    return float(token)


def _raise_bad_token(text: str, source: str, vector: bool) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        for token in line.replace(",", " ").split() if vector else line.split():
            try:
                _float(token)
            except ValueError:
                where = (
                    source
                    if vector
                    else f"{source} {'' if source == 'argument' else 'line '}{number}"
                )
                shown = token if len(token) <= 40 else token[:37] + "..."
                raise InputError(f"{where}: {shown!r} is not a number") from None
    raise InputError(f"{source}: not a list of numbers")
