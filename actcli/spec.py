"""Spec files: YAML with line numbers, validated in full, into frozen dataclasses.

YAML is composed with PyYAML's safe composer (no object construction) and walked by hand, so
every problem carries `file:line`, tags such as `!!python/object` are refused, and an alias bomb
cannot expand. Structure is checked without SymPy (fast, for `actcli list`); expressions are
parsed by `check_expressions`, which `actcli validate` and every analysis run. The format is
documented in README.md.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from actcli.errors import ExpressionError, SpecError, UsageError
from actcli.grammar import RESERVED

if TYPE_CHECKING:
    from fractions import Fraction

MAX_SPEC_BYTES = 256 * 1024
MAX_YAML_NODES = 5000
MAX_DEFAULT = 1e300
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
SMOOTHNESS_PATTERN = re.compile(r"^C(-1|\d+|inf)$")
MONOTONIC_VALUES = (
    "increasing",
    "nondecreasing",
    "decreasing",
    "nonincreasing",
    "none",
)
KINDS = ("scalar", "vector")
TOP_LEVEL_KEYS = {
    "name": True,
    "title": True,
    "aliases": False,
    "kind": True,
    "tags": False,
    "doc": False,
    "parameters": False,
    "constraints": False,
    "definition": True,
    "stable": False,
    "stable_derivatives": False,
    "variants": False,
    "claims": False,
    "references": True,
}
EXPRESSION_CLAIMS = ("derivative", "derivative_in_terms_of_output", "jacobian")
CLAIM_KEYS = (
    *EXPRESSION_CLAIMS,
    "derivatives",
    "derivative_wrt",
    "smoothness",
    "range",
    "bounded_below",
    "bounded_above",
    "monotonic",
    "zero_at_origin",
    "identity_near_origin",
)
# A claim or stable form may say it holds only approximately: |it - truth| <= tolerance*|truth|.
APPROXIMATION_FIELDS = {"tolerance": False, "note": False}
SCALAR_ONLY_CLAIMS = (
    "derivative",
    "derivatives",
    "derivative_in_terms_of_output",
    "derivative_wrt",
)
BOOLEAN_CLAIMS = (
    "bounded_below",
    "bounded_above",
    "zero_at_origin",
    "identity_near_origin",
)


@dataclass(frozen=True)
class Source:
    """Where something was written: a file (or `<expr>`) and a 1-based line."""

    path: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Text:
    """An expression string, with where it was written and the field it fills."""

    text: str
    source: Source
    field: str


@dataclass(frozen=True)
class Piece:
    """One branch of a definition; `when` is None for `otherwise` (or a plain expression)."""

    value: Text
    when: Text | None = None


@dataclass(frozen=True)
class Definition:
    """`expression:` (one piece, no condition) or `piecewise:` (first matching `when` wins)."""

    pieces: tuple[Piece, ...]
    piecewise: bool
    tolerance: float | None = None
    note: str = ""

    def texts(self) -> Iterator[tuple[Text, bool]]:
        """Every expression string in it, with whether it is a condition."""
        for piece in self.pieces:
            if piece.when is not None:
                yield piece.when, True
            yield piece.value, False


@dataclass(frozen=True)
class Domain:
    """A parameter's domain: an interval of the reals, optionally restricted to integers."""

    text: str
    lower: float = -math.inf
    upper: float = math.inf
    lower_closed: bool = False
    upper_closed: bool = False
    integer: bool = False

    def contains(self, value: float) -> bool:
        if math.isnan(value) or (self.integer and not float(value).is_integer()):
            return False
        above = value >= self.lower if self.lower_closed else value > self.lower
        below = value <= self.upper if self.upper_closed else value < self.upper
        return above and below

    def assumptions(self) -> dict[str, bool]:
        """SymPy assumptions for a symbol in this domain."""
        found: dict[str, bool] = {"integer": True} if self.integer else {"real": True}
        if self.lower > 0 or (self.lower == 0 and not self.lower_closed):
            found["positive"] = True
        elif self.lower >= 0:
            found["nonnegative"] = True
        if self.upper < 0 or (self.upper == 0 and not self.upper_closed):
            found["negative"] = True
        elif self.upper <= 0:
            found["nonpositive"] = True
        return found


NAMED_DOMAINS = {
    "real": Domain("real"),
    "positive": Domain("positive", lower=0.0),
    "nonnegative": Domain("nonnegative", lower=0.0, lower_closed=True),
    "negative": Domain("negative", upper=0.0),
    "nonpositive": Domain("nonpositive", upper=0.0, upper_closed=True),
    "integer": Domain("integer", integer=True),
    "positive_integer": Domain("positive_integer", lower=1.0, lower_closed=True, integer=True),
}
INTERVAL = re.compile(r"^\s*([(\[])\s*([^,]+?)\s*,\s*([^,]+?)\s*([)\]])\s*$")


_DEFAULT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?(/[+-]?\d+)?$")


def exact_default(text: str) -> Fraction | None:
    """A default's exact value: "0.01", "1e-3", "1/3" (None if it is not a finite number)."""
    if not _DEFAULT.match(text.strip()):
        return None
    from fractions import Fraction  # here: importing it costs `actcli list` 4 ms

    try:
        return Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        return None


def parse_domain(text: str) -> Domain:
    """A named domain or an interval such as "(0, 1]" or "[0, oo)"; ValueError if neither."""
    if text in NAMED_DOMAINS:
        return NAMED_DOMAINS[text]
    match = INTERVAL.match(text)
    if not match:
        names = ", ".join(NAMED_DOMAINS)
        raise ValueError(f"unknown domain {text!r} (use {names}, or an interval like '(0, 1]')")
    open_bracket, low, high, close_bracket = match.groups()
    lower, upper = _endpoint(low), _endpoint(high)
    if not lower < upper:
        raise ValueError(f"empty interval {text!r}")
    lower_closed, upper_closed = open_bracket == "[", close_bracket == "]"
    if (lower_closed and math.isinf(lower)) or (upper_closed and math.isinf(upper)):
        raise ValueError(f"interval {text!r} cannot be closed at infinity")
    return Domain(text, lower, upper, lower_closed, upper_closed)


def _endpoint(text: str) -> float:
    infinities = {"oo": math.inf, "+oo": math.inf, "-oo": -math.inf, "inf": math.inf}
    if text in infinities:
        return infinities[text]
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"interval endpoint {text!r} is not a number or oo") from None
    if math.isnan(value):
        raise ValueError("interval endpoint cannot be nan")
    return value


@dataclass(frozen=True)
class Parameter:
    """A named parameter; `default` is the text as written (a decimal or a fraction p/q)."""

    name: str
    default: str
    domain: Domain
    doc: str
    source: Source


@dataclass(frozen=True)
class Variant:
    """A named implementation variant, e.g. a framework's thresholded form."""

    name: str
    definition: Definition
    doc: str


@dataclass(frozen=True)
class Claim:
    """A claim as written: `value` is a Definition for expression claims, else plain data."""

    key: str
    value: Any
    source: Source


@dataclass(frozen=True)
class Spec:
    """One activation as its spec file states it (nothing evaluated yet)."""

    name: str
    title: str
    kind: str
    definition: Definition
    references: tuple[str, ...]
    source: Source
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    doc: str = ""
    parameters: tuple[Parameter, ...] = ()
    constraints: tuple[Text, ...] = ()
    stable: Definition | None = None
    stable_derivatives: Mapping[int, Definition] = field(default_factory=dict)
    variants: Mapping[str, Variant] = field(default_factory=dict)
    claims: Mapping[str, Claim] = field(default_factory=dict)
    builtin: bool = False

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    def parameter(self, name: str) -> Parameter:
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise KeyError(name)


def variant_spec(spec: Spec, variant: str) -> Spec:
    """The spec of one implementation variant (e.g. softplus's `torch`): its definition, no
    stable forms (they belong to the main definition), no claims; named `name:variant`.

    Raises:
        UsageError: the spec has no such variant (lists the ones it has).
    """
    if variant not in spec.variants:
        known = ", ".join(spec.variants) or "none"
        raise UsageError(f"{spec.name}:{variant}: no such variant (has: {known})")
    chosen = spec.variants[variant]
    return dataclasses.replace(
        spec,
        name=f"{spec.name}:{variant}",
        title=f"{spec.title} ({variant} variant)",
        doc=chosen.doc,
        definition=chosen.definition,
        stable=None,
        stable_derivatives={},
        variants={},
        claims={},
    )


def load_spec(path: str | Path, *, builtin: bool = False, check: bool = True) -> Spec:
    """Read and validate one spec file.

    Args:
        check: also parse every expression (imports SymPy); structure is always checked.

    Raises:
        SpecError: listing every problem found, each as `file:line: field: what is wrong`.
    """
    path = Path(path)
    label = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError([f"{label}: cannot read: {exc.strerror or exc}"]) from None
    return load_spec_text(raw, label, builtin=builtin, check=check)


def load_spec_text(
    raw: bytes | str, label: str, *, builtin: bool = False, check: bool = True
) -> Spec:
    """Validate spec text; `label` names it in messages (a path, or `<stdin>`)."""
    root = _compose(raw, label)
    reader = _SpecReader(label)
    spec = reader.read(root, builtin)
    if check and spec is not None:
        reader.problems.extend(expression_problems(spec))
    if reader.problems or spec is None:
        raise SpecError(sorted(reader.problems, key=_line_of))
    return spec


def _line_of(problem: str) -> int:
    """The line number in a `file:line: ...` problem, for sorting (0 when there is none)."""
    match = re.match(r"^.*?:(\d+): ", problem)
    return int(match.group(1)) if match else 0


def _compose(raw: bytes | str, label: str) -> Any:
    import yaml

    if isinstance(raw, bytes):
        if len(raw) > MAX_SPEC_BYTES:
            raise SpecError([f"{label}: file is {len(raw)} bytes (limit {MAX_SPEC_BYTES})"])
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            bad = raw[exc.start]
            raise SpecError([f"{label}:{line}: file is not UTF-8 (byte 0x{bad:02x})"]) from None
    else:
        text = raw
    if not text.strip():
        raise SpecError([f"{label}: file is empty"])
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        documents = list(yaml.compose_all(text, Loader=loader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            line = mark.line + 1
        else:  # a reader error (a control character) has only a character position
            line = text[: getattr(exc, "position", 0)].count("\n") + 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError([f"{label}:{line}: invalid YAML: {problem}"]) from None
    documents = [d for d in documents if d is not None]
    if not documents:
        raise SpecError([f"{label}: file is empty"])
    if len(documents) > 1:
        line = documents[1].start_mark.line + 1
        raise SpecError([f"{label}:{line}: one activation per file (found a second document)"])
    _check_safe(documents[0], label, text)
    return documents[0]


def _alias_line(text: str) -> int:
    """The line of the first alias (`*name`): the composed tree only knows the anchor's."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            return event.start_mark.line + 1
    return 0


def _check_safe(root: Any, label: str, text: str) -> None:
    """Refuse aliases (a billion-laughs bomb is built from them), foreign tags and huge trees."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        line = node.start_mark.line + 1
        if id(node) in seen:
            raise SpecError([f"{label}:{_alias_line(text)}: YAML aliases (*name) are not allowed"])
        seen.add(id(node))
        if len(seen) > MAX_YAML_NODES:
            raise SpecError([f"{label}: more than {MAX_YAML_NODES} YAML nodes"])
        if node.tag not in _STANDARD_TAGS:
            hint = " (quote the value if it is text)" if node.tag.startswith("tag:yaml") else ""
            raise SpecError([f"{label}:{line}: YAML tag {node.tag!r} is not allowed{hint}"])
        if isinstance(node.value, list):
            for item in node.value:
                stack.extend(item if isinstance(item, tuple) else (item,))


_STANDARD_TAGS = {
    "tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null", "map", "seq")
}


class _SpecReader:
    """Walks the YAML node tree, converting and checking it, collecting every problem."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: list[str] = []
        self._constructor: Any = None  # built on first non-string scalar

    def problem(self, node: Any, where: str, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 0
        self.problems.append(f"{Source(self.label, line)}: {where or 'spec'}: {message}")

    def source(self, node: Any) -> Source:
        return Source(self.label, node.start_mark.line + 1)

    # -- plain YAML data -------------------------------------------------------------------
    def plain(self, node: Any, where: str) -> Any:
        """Convert a node to Python data; refuses non-standard tags and aliases.

        A missing node (None) gives None and no problem: required keys are checked elsewhere.
        """
        import yaml

        if node is None:
            return None
        if isinstance(node, yaml.MappingNode):
            for key, _ in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    self.problem(key, where, "mapping keys must be plain names")
                    return None
            return {key.value: (key, value) for key, value in node.value}
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        if node.tag.endswith(":str"):
            return node.value
        if self._constructor is None:
            self._constructor = yaml.SafeLoader("")
        try:
            return self._constructor.construct_object(node)
        except yaml.YAMLError as exc:
            self.problem(node, where, f"bad value: {exc}")
            return None

    def mapping(self, node: Any, where: str) -> dict[str, tuple[Any, Any]] | None:
        value = self.plain(node, where)
        if not isinstance(value, dict):
            if value is not None or _is_null(node):
                self.problem(node, where, f"expected a mapping, got {_type_name(node)}")
            return None
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.value in seen:
                field = _join(where, key_node.value)
                self.problem(key_node, field, f"duplicate key {key_node.value!r}")
            seen.add(key_node.value)
        return value

    def sequence(self, node: Any, where: str) -> list[Any] | None:
        value = self.plain(node, where)
        if not isinstance(value, list):
            if value is not None or _is_null(node):
                self.problem(node, where, f"expected a list, got {_type_name(node)}")
            return None
        return value

    def string(self, node: Any, where: str, *, allow_empty: bool = False) -> str | None:
        value = self.plain(node, where)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            if value is not None or _is_null(node):
                self.problem(node, where, f"expected a string, got {_type_name(node)}")
            return None
        text = str(value) if not isinstance(value, str) else value
        if not text.strip() and not allow_empty:
            self.problem(node, where, "must not be empty")
            return None
        return text

    def boolean(self, node: Any, where: str) -> bool | None:
        value = self.plain(node, where)
        if node is not None and not isinstance(value, bool):
            self.problem(node, where, f"expected true or false, got {_type_name(node)}")
            return None
        return value

    def number(self, node: Any, where: str) -> float | None:
        if node is None:
            return None
        value = self.plain(node, where)
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(node, where, f"expected a number, got {_type_name(node)}")
            return None
        return float(value)

    def check_keys(
        self,
        node: Any,
        mapping: dict[str, tuple[Any, Any]],
        where: str,
        keys: Mapping[str, bool],
    ) -> None:
        for key, (key_node, _) in mapping.items():
            if key not in keys:
                allowed = ", ".join(keys)
                self.problem(key_node, _join(where, key), f"unknown key (allowed: {allowed})")
        for key, required in keys.items():
            if required and key not in mapping:
                self.problem(node, _join(where, key), "missing (required)")

    # -- the spec --------------------------------------------------------------------------
    def read(self, root: Any, builtin: bool) -> Spec | None:
        top = self.mapping(root, "")
        if top is None:
            if not self.problems:
                self.problem(root, "spec", f"expected a mapping, got {_type_name(root)}")
            return None
        self.check_keys(root, top, "", TOP_LEVEL_KEYS)

        def field_node(key: str) -> Any:
            return top[key][1] if key in top else None

        name = self.name(field_node("name"), "name")
        title = self.string(field_node("title"), "title")
        kind = self.choice(field_node("kind"), "kind", KINDS)
        aliases = self.names(field_node("aliases"), "aliases")
        tags = self.names(field_node("tags"), "tags", pattern=re.compile(r"^[a-z][a-z0-9_-]*$"))
        doc = self.string(field_node("doc"), "doc", allow_empty=True)
        parameters = self.parameters(field_node("parameters"))
        constraints = self.texts(field_node("constraints"), "constraints")
        definition = self.definition(field_node("definition"), "definition")
        stable = self.definition(field_node("stable"), "stable", APPROXIMATION_FIELDS)
        stable_derivatives = self.stable_derivatives(field_node("stable_derivatives"))
        variants = self.variants(field_node("variants"))
        claims = self.claims(field_node("claims"), kind, parameters)
        references = self.references(field_node("references"))
        if name is not None and aliases and name in aliases:
            self.problem(field_node("aliases"), "aliases", f"alias {name!r} repeats the name")
        if kind is None:  # expressions cannot be checked without knowing the namespace
            return None
        # With problems already found this is a partial spec: good enough to check expressions.
        return Spec(
            name=name or "",
            title=title or "",
            kind=kind,
            definition=definition or Definition((), piecewise=False),
            references=references,
            source=self.source(root),
            aliases=aliases,
            tags=tags,
            doc=doc or "",
            parameters=parameters,
            constraints=constraints,
            stable=stable,
            stable_derivatives=stable_derivatives,
            variants=variants,
            claims=claims,
            builtin=builtin,
        )

    def name(self, node: Any, where: str) -> str | None:
        if node is None:
            return None
        value = self.string(node, where)
        if value is not None and not NAME_PATTERN.match(value):
            self.problem(
                node,
                where,
                f"{value!r} is not a valid name (lowercase, [a-z][a-z0-9_]*)",
            )
            return None
        return value

    def choice(self, node: Any, where: str, choices: tuple[str, ...]) -> str | None:
        value = self.string(node, where)
        if value is not None and value not in choices:
            self.problem(node, where, f"{value!r} is not one of: {', '.join(choices)}")
            return None
        return value

    def names(self, node: Any, where: str, pattern: re.Pattern[str] = NAME_PATTERN) -> tuple:
        items = self.sequence(node, where) or []
        found: list[str] = []
        for index, item in enumerate(items):
            value = self.string(item, f"{where}[{index}]")
            if value is None:
                continue
            if not pattern.match(value):
                self.problem(item, f"{where}[{index}]", f"{value!r} is not a valid name")
            elif value in found:
                self.problem(item, f"{where}[{index}]", f"{value!r} is listed twice")
            else:
                found.append(value)
        return tuple(found)

    def texts(self, node: Any, where: str) -> tuple[Text, ...]:
        items = self.sequence(node, where) or []
        found = []
        for index, item in enumerate(items):
            label = f"{where}[{index}]"
            value = self.string(item, label)
            if value is not None:
                found.append(Text(value, self.source(item), label))
        return tuple(found)

    def references(self, node: Any) -> tuple[str, ...]:
        if node is None:
            return ()
        items = self.sequence(node, "references")
        if items is not None and not items:
            self.problem(node, "references", "give at least one reference")
        found = (self.string(item, f"references[{i}]") for i, item in enumerate(items or []))
        return tuple(value for value in found if value is not None)

    def parameters(self, node: Any) -> tuple[Parameter, ...]:
        mapping = self.mapping(node, "parameters") or {}
        found = []
        for name, (key_node, value_node) in mapping.items():
            where = f"parameters.{name}"
            if not isinstance(name, str) or not NAME_PATTERN.match(name):
                self.problem(key_node, where, f"{name!r} is not a valid parameter name")
                continue
            if name in RESERVED:
                self.problem(key_node, where, f"'{name}' is reserved (x, y, n, i, j, functions)")
                continue
            fields = self.mapping(value_node, where)
            if fields is None:
                continue
            self.check_keys(
                value_node,
                fields,
                where,
                {"default": True, "domain": True, "doc": False},
            )
            domain_text = self.string(fields.get("domain", (None, None))[1], f"{where}.domain")
            domain = None
            if domain_text is not None:
                try:
                    domain = parse_domain(domain_text)
                except ValueError as exc:
                    self.problem(fields["domain"][1], f"{where}.domain", str(exc))
            default = self.default(fields.get("default", (None, None))[1], where, domain)
            doc = self.string(fields.get("doc", (None, None))[1], f"{where}.doc")
            if domain is not None and default is not None:
                found.append(Parameter(name, default, domain, doc or "", self.source(key_node)))
        return tuple(found)

    def default(self, node: Any, where: str, domain: Domain | None) -> str | None:
        """The default as written, a decimal or a fraction such as 1/3 (digits are kept: a YAML
        float would round SELU's constants)."""
        value = self.plain(node, f"{where}.default")
        if node is None:
            return None
        text = str(node.value).strip()
        number = exact_default(text)
        if value is None or isinstance(value, bool) or number is None:
            self.problem(node, f"{where}.default", f"{text!r} is not a number or a fraction p/q")
            return None
        if abs(number) > MAX_DEFAULT:
            self.problem(node, f"{where}.default", f"{text} is beyond ±{MAX_DEFAULT:g}")
            return None
        if domain is not None and not domain.contains(float(number)):
            self.problem(node, f"{where}.default", f"{text} is outside the domain {domain.text}")
        return text

    def definition(
        self, node: Any, where: str, extra: Mapping[str, bool] = {}
    ) -> Definition | None:
        if node is None:
            return None
        if node.tag.endswith(":str"):
            text = self.string(node, where)
            if text is None:
                return None
            return Definition((Piece(Text(text, self.source(node), where)),), piecewise=False)
        mapping = self.mapping(node, where)
        if mapping is None:
            return None
        allowed = {"expression": False, "piecewise": False, **extra}
        self.check_keys(node, mapping, where, allowed)
        forms = [key for key in ("expression", "piecewise") if key in mapping]
        if len(forms) != 1:
            self.problem(node, where, "give exactly one of `expression:` or `piecewise:`")
            return None
        tolerance = None
        if "tolerance" in mapping:
            tolerance = self.number(mapping["tolerance"][1], f"{where}.tolerance")
            if tolerance is not None and not 0 < tolerance < math.inf:
                message = "must be a positive finite number"
                self.problem(mapping["tolerance"][1], f"{where}.tolerance", message)
        note = self.string(mapping.get("note", (None, None))[1], f"{where}.note")
        body = mapping[forms[0]][1]
        if forms[0] == "expression":
            text = self.string(body, f"{where}.expression")
            if text is None:
                return None
            piece = Piece(Text(text, self.source(body), f"{where}.expression"))
            return Definition((piece,), False, tolerance, note or "")
        pieces = self.pieces(body, f"{where}.piecewise")
        return None if pieces is None else Definition(pieces, True, tolerance, note or "")

    def pieces(self, node: Any, where: str) -> tuple[Piece, ...] | None:
        items = self.sequence(node, where)
        if items is None:
            return None
        if not items:
            self.problem(node, where, "needs at least one `when` piece and an `otherwise`")
            return None
        pieces = []
        for index, item in enumerate(items):
            label = f"{where}[{index}]"
            mapping = self.mapping(item, label)
            if mapping is None:
                continue
            last = index == len(items) - 1
            if "otherwise" in mapping:
                self.check_keys(item, mapping, label, {"otherwise": True})
                if not last:
                    self.problem(item, label, "`otherwise` must be the last piece")
                value_node = mapping["otherwise"][1]
                text = self.string(value_node, f"{label}.otherwise")
                if text is not None:
                    pieces.append(Piece(Text(text, self.source(value_node), f"{label}.otherwise")))
                continue
            self.check_keys(item, mapping, label, {"when": True, "value": True})
            if last:
                self.problem(item, label, "the last piece must be `otherwise:` (the default)")
            if "when" in mapping and "value" in mapping:
                when_node, value_node = mapping["when"][1], mapping["value"][1]
                when = self.string(when_node, f"{label}.when")
                value = self.string(value_node, f"{label}.value")
                if when is not None and value is not None:
                    pieces.append(
                        Piece(
                            Text(value, self.source(value_node), f"{label}.value"),
                            Text(when, self.source(when_node), f"{label}.when"),
                        )
                    )
        return tuple(pieces) if len(pieces) == len(items) else None

    def stable_derivatives(self, node: Any) -> dict[int, Definition]:
        mapping = self.mapping(node, "stable_derivatives") or {}
        found = {}
        for key, (key_node, value_node) in mapping.items():
            where = f"stable_derivatives.{key}"
            order = self.order(key_node, key, where)
            definition = self.definition(value_node, where, APPROXIMATION_FIELDS)
            if order is not None and definition is not None:
                found[order] = definition
        return found

    def order(self, key_node: Any, key: Any, where: str) -> int | None:
        try:
            order = int(key)
        except (TypeError, ValueError):
            order = 0
        if str(order) != str(key) or not 1 <= order <= 20:
            self.problem(key_node, where, f"{key!r} is not a derivative order (1 to 20)")
            return None
        return order

    def variants(self, node: Any) -> dict[str, Variant]:
        mapping = self.mapping(node, "variants") or {}
        found = {}
        for name, (key_node, value_node) in mapping.items():
            where = f"variants.{name}"
            if not NAME_PATTERN.match(str(name)):
                self.problem(key_node, where, f"{name!r} is not a valid variant name")
                continue
            definition = self.definition(value_node, where, {"doc": False, **APPROXIMATION_FIELDS})
            fields = self.plain_mapping_value(value_node, "doc")
            doc = self.string(fields, f"{where}.doc") or ""
            if definition is not None:
                found[name] = Variant(name, definition, doc)
        return found

    def plain_mapping_value(self, node: Any, key: str) -> Any:
        import yaml

        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == key:
                    return value_node
        return None

    def claims(self, node: Any, kind: str | None, parameters: tuple) -> dict[str, Claim]:
        mapping = self.mapping(node, "claims") or {}
        self.check_keys(node, mapping, "claims", dict.fromkeys(CLAIM_KEYS, False))
        found = {}
        claim_fields = APPROXIMATION_FIELDS
        for key, (key_node, value_node) in mapping.items():
            where = f"claims.{key}"
            value: Any = None
            if kind == "vector" and key in SCALAR_ONLY_CLAIMS:
                self.problem(key_node, where, "a vector kind states its derivative as `jacobian`")
                continue
            if key in EXPRESSION_CLAIMS:
                if key == "jacobian" and kind == "scalar":
                    self.problem(key_node, where, "only vector kinds have a Jacobian claim")
                    continue
                value = self.definition(value_node, where, claim_fields)
            elif key == "derivatives":
                orders = self.mapping(value_node, where) or {}
                value = {}
                for order_key, (order_node, body) in orders.items():
                    order = self.order(order_node, order_key, f"{where}.{order_key}")
                    definition = self.definition(body, f"{where}.{order_key}", claim_fields)
                    if order is not None and definition is not None:
                        value[order] = definition
            elif key == "derivative_wrt":
                targets = self.mapping(value_node, where) or {}
                names = {p.name for p in parameters}
                value = {}
                for name, (name_node, body) in targets.items():
                    if name not in names:
                        self.problem(name_node, f"{where}.{name}", "not a declared parameter")
                        continue
                    definition = self.definition(body, f"{where}.{name}", claim_fields)
                    if definition is not None:
                        value[name] = definition
            elif key == "smoothness":
                value = self.string(value_node, where)
                if value is not None and not SMOOTHNESS_PATTERN.match(value):
                    self.problem(value_node, where, f"{value!r} is not C-1, C0, C1, ..., or Cinf")
            elif key == "monotonic":
                value = self.choice(value_node, where, MONOTONIC_VALUES)
            elif key == "range":
                text = self.string(value_node, where)
                if text is not None and not INTERVAL.match(text):
                    self.problem(
                        value_node,
                        where,
                        f"{text!r} is not an interval like '(-1, oo)'",
                    )
                else:
                    value = None if text is None else Text(text, self.source(value_node), where)
            elif key in BOOLEAN_CLAIMS:
                value = self.boolean(value_node, where)
            if value is not None:
                found[key] = Claim(key, value, self.source(key_node))
        return found


def _is_null(node: Any) -> bool:
    return node is not None and node.tag.endswith(":null")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _type_name(node: Any) -> str:
    tag = getattr(node, "tag", "")
    names = {"map": "a mapping", "seq": "a list", "str": "a string", "null": "nothing"}
    suffix = tag.rsplit(":", 1)[-1]
    value = getattr(node, "value", None)
    if suffix in ("int", "float", "bool"):
        return f"{suffix} {value}"
    return names.get(suffix, tag)


# -- expressions (SymPy) -------------------------------------------------------------------


def parameter_symbols(spec: Spec) -> dict[str, Any]:
    """SymPy symbols for the spec's parameters, with assumptions from their domains."""
    import sympy

    return {p.name: sympy.Symbol(p.name, **p.domain.assumptions()) for p in spec.parameters}


def expression_problems(spec: Spec) -> list[str]:
    """Parse every expression in the spec; return each problem as `file:line: field: what`."""
    from actcli import expr

    symbols = parameter_symbols(spec)
    vector = spec.kind == "vector"
    make = expr.vector_namespace if vector else expr.scalar_namespace
    base = make(symbols)
    problems: list[str] = []

    def check(definition: Definition | None, namespace: Any, condition_space: Any = None) -> None:
        if definition is None:
            return
        for text, is_condition in definition.texts():
            space = condition_space if (is_condition and condition_space) else namespace
            try:
                expr.parse_expression(text.text, space, condition=is_condition)
            except ExpressionError as exc:
                problems.append(f"{text.source}: {text.field}: {exc}")

    check(spec.definition, base)
    check(spec.stable, base)
    for definition in spec.stable_derivatives.values():
        check(definition, base)
    for variant in spec.variants.values():
        check(variant.definition, base)
    for constraint in spec.constraints:
        try:
            expr.parse_expression(constraint.text, make(symbols, variables=()), condition=True)
        except ExpressionError as exc:
            problems.append(f"{constraint.source}: {constraint.field}: {exc}")
    for key, claim in spec.claims.items():
        if key in ("derivative",):
            check(claim.value, base)
        elif key == "derivative_in_terms_of_output":
            check(claim.value, make(symbols, variables=("y",)), base)
        elif key == "jacobian":
            check(claim.value, make(symbols, variables=("y",)))
        elif key in ("derivatives", "derivative_wrt"):
            for definition in claim.value.values():
                check(definition, base)
        elif key == "range":
            problems.extend(_range_problems(claim.value, make(symbols, variables=("oo",))))
    return problems


def _range_problems(text: Text, namespace: Any) -> list[str]:
    from actcli.expr import parse_expression

    match = INTERVAL.match(text.text)
    assert match is not None
    problems = []
    for endpoint in match.group(2, 3):
        try:
            parse_expression(endpoint, namespace)
        except ExpressionError as exc:
            problems.append(f"{text.source}: {text.field}: endpoint {endpoint!r}: {exc}")
    return problems
