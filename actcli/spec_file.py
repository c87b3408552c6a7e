"""Spec files: YAML with line numbers, validated in full, into `actcli.spec` dataclasses.

YAML is composed safely and walked node by node (`actcli.yaml_reader`), so every problem carries
`file:line`. Structure is checked without SymPy (fast, for `actcli list`); expressions are parsed
by `actcli.spec_expressions`, which `actcli validate` and every analysis run. Claims given on the
command line (`--claim KEY=VALUE`) are read here too (`with_claims`).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from actcli.deferred import pyyaml
from actcli.errors import SpecError, UsageError, quoted
from actcli.grammar import RESERVED
from actcli.limited_read import read_at_most
from actcli.options import MAX_DERIVATIVE_ORDER
from actcli.spec import (
    APPROXIMATION_FIELDS,
    BOOLEAN_CLAIMS,
    CLAIM_KEYS,
    EXPRESSION_CLAIMS,
    INTERVAL,
    KINDS,
    MAX_DEFAULT,
    MAX_SPEC_BYTES,
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
from actcli.yaml_reader import NodeReader, compose, type_name


def load_spec(path: str | Path, *, builtin: bool = False, check: bool = True) -> Spec:
    """Read and validate one spec file.

    Args:
        check: also parse every expression (imports SymPy); structure is always checked.

    Raises:
        SpecError: listing every problem found, each as `file:line: field: what is wrong`.
    """
    path = Path(path)
    return load_spec_text(read_spec_bytes(path), str(path), builtin=builtin, check=check)


def read_spec_bytes(path: str | Path) -> bytes:
    """The bytes of a spec file, its type and size checked before anything is read: a FIFO,
    device or directory is refused without being opened for long (a FIFO is opened with
    O_NONBLOCK, so no writer is awaited), a file over MAX_SPEC_BYTES without being read.

    Raises:
        SpecError: `FILE: not a regular file`, `FILE: is N bytes; spec files are limited to M`,
            or `FILE: cannot read: why`.
    """
    label = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        _check_spec_stat(os.stat(path), label)  # before opening: a device is never opened
        fd = os.open(path, flags)
    except OSError as exc:
        raise SpecError([f"{label}: cannot read: {exc.strerror or exc}"]) from None
    try:
        _check_spec_stat(os.fstat(fd), label)  # what was opened, if it changed meanwhile
        data = read_at_most(fd, MAX_SPEC_BYTES)
    except OSError as exc:
        raise SpecError([f"{label}: cannot read: {exc.strerror or exc}"]) from None
    finally:
        os.close(fd)
    if data is None:  # it grew after the check
        raise SpecError([f"{label}: is over {MAX_SPEC_BYTES} bytes, the limit for spec files"])
    return data


def _check_spec_stat(info: os.stat_result, label: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise SpecError([f"{label}: not a regular file"])
    if info.st_size > MAX_SPEC_BYTES:
        raise SpecError([_too_big(label, info.st_size)])


def _too_big(label: str, size: int) -> str:
    return f"{label}: is {size} bytes; spec files are limited to {MAX_SPEC_BYTES}"


def load_spec_text(
    raw: bytes | str, label: str, *, builtin: bool = False, check: bool = True
) -> Spec:
    """Validate spec text; `label` names it in messages (a path, or `<stdin>`)."""
    root = compose(raw, label)
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


class _SpecReader(NodeReader):
    """Walks a spec's YAML node tree, converting and checking it, collecting every problem."""

    # -- the spec --------------------------------------------------------------------------
    def read(self, root: Any, builtin: bool) -> Spec | None:
        top = self.mapping(root, "")
        if top is None:
            if not self.problems:
                self.problem(root, "spec", f"expected a mapping, got {type_name(root)}")
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
            self.problem(field_node("aliases"), "aliases", f"alias {quoted(name)} repeats the name")
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
                f"{quoted(value)} is not a valid name (lowercase, [a-z][a-z0-9_]*)",
            )
            return None
        return value

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
                self.problem(key_node, where, f"{quoted(name)} is not a valid parameter name")
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
            self.problem(
                node, f"{where}.default", f"{quoted(text)} is not a number or a fraction p/q"
            )
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
        if str(order) != str(key) or not 1 <= order <= MAX_DERIVATIVE_ORDER:
            self.problem(
                key_node,
                where,
                f"{quoted(key)} is not a derivative order (1 to {MAX_DERIVATIVE_ORDER})",
            )
            return None
        return order

    def variants(self, node: Any) -> dict[str, Variant]:
        mapping = self.mapping(node, "variants") or {}
        found = {}
        for name, (key_node, value_node) in mapping.items():
            where = f"variants.{name}"
            if not NAME_PATTERN.match(str(name)):
                self.problem(key_node, where, f"{quoted(name)} is not a valid variant name")
                continue
            definition = self.definition(value_node, where, {"doc": False, **APPROXIMATION_FIELDS})
            fields = self.plain_mapping_value(value_node, "doc")
            doc = self.string(fields, f"{where}.doc") or ""
            if definition is not None:
                found[name] = Variant(name, definition, doc)
        return found

    def plain_mapping_value(self, node: Any, key: str) -> Any:

        if isinstance(node, pyyaml().MappingNode):
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
                    self.problem(
                        value_node, where, f"{quoted(value)} is not C-1, C0, C1, ..., or Cinf"
                    )
            elif key == "monotonic":
                value = self.choice(value_node, where, MONOTONIC_VALUES)
            elif key == "range":
                text = self.string(value_node, where)
                if text is not None and not INTERVAL.match(text):
                    self.problem(
                        value_node,
                        where,
                        f"{quoted(text)} is not an interval like '(-1, oo)'",
                    )
                else:
                    value = None if text is None else Text(text, self.source(value_node), where)
            elif key in BOOLEAN_CLAIMS:
                value = self.boolean(value_node, where)
            if value is not None:
                found[key] = Claim(key, value, self.source(key_node))
        return found


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
            raise UsageError(
                f"--claim {quoted(option)}: expected KEY=VALUE, e.g. derivative='1 - y**2'"
            )
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
    from actcli.spec_expressions import expression_problems  # deferred: SymPy

    return expression_problems(spec)
