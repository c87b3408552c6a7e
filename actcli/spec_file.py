"""Spec files: YAML with line numbers, validated in full, into `actcli.spec` dataclasses.

YAML is composed with PyYAML's safe composer (no object construction) and walked by hand, so
every problem carries `file:line`, tags such as `!!python/object` are refused, and an alias bomb
cannot expand. Structure is checked without SymPy (fast, for `actcli list`); expressions are
parsed by `actcli.spec_expressions`, which `actcli validate` and every analysis run.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from actcli.errors import SpecError, UsageError
from actcli.grammar import RESERVED
from actcli.spec import (
    APPROXIMATION_FIELDS,
    BOOLEAN_CLAIMS,
    CLAIM_KEYS,
    EXPRESSION_CLAIMS,
    INTERVAL,
    KINDS,
    MAX_DEFAULT,
    MAX_SPEC_BYTES,
    MAX_YAML_NODES,
    MONOTONIC_VALUES,
    NAME_PATTERN,
    SCALAR_ONLY_CLAIMS,
    SMOOTHNESS_PATTERN,
    TOP_LEVEL_KEYS,
    Claim,
    Definition,
    Domain,
    Parameter,
    Piece,
    Source,
    Spec,
    Text,
    Variant,
    exact_default,
    parse_domain,
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
        reader.problems.extend(_expression_problems(spec))
    if reader.problems or spec is None:
        raise SpecError(sorted(reader.problems, key=_line_of))
    return spec


def _line_of(problem: str) -> int:
    """The line number in a `file:line: ...` problem, for sorting (0 when there is none)."""
    match = re.match(r"^.*?:(\d+): ", problem)
    return int(match.group(1)) if match else 0


def _compose(raw: bytes | str, label: str) -> Any:

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


def with_claims(spec: Spec, options: Sequence[str]) -> Spec:
    """The spec with its claims replaced by `--claim KEY=VALUE` options.

    Keys: derivative, derivatives.K, derivative_in_terms_of_output, derivative_wrt.NAME,
    zero_at_origin, identity_near_origin, bounded_below, bounded_above (true/false),
    smoothness (C1, ...), monotonic, range ("(0, oo)"); for vector kinds jacobian (in y[i],
    y[j], delta(i, j)). Values are expressions.
    """
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
    checked = dataclasses.replace(spec, claims=claims, variants={})
    problems = _expression_problems(checked)
    if problems:
        raise UsageError(problems[0])
    return checked


def _expression_problems(spec: Spec) -> list[str]:
    """Every expression parsed. Deferred import: parsing loads SymPy (~0.3 s), and `actcli list`
    reads specs with `check=False` so that it never does."""
    from actcli.spec_expressions import expression_problems

    return expression_problems(spec)
