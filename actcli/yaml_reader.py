"""YAML read safely, node by node: every problem as `file:line: field: what is wrong`.

Composed with PyYAML's safe composer (no object construction): tags such as `!!python/object`
are refused and an alias bomb cannot expand. `NodeReader` converts nodes to plain data and
collects problems instead of stopping at the first; `actcli.spec_file` reads specs with it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from actcli.deferred import pyyaml
from actcli.errors import SpecError, quoted
from actcli.spec import MAX_SPEC_BYTES, MAX_YAML_NODES, NAME_PATTERN, Source, Text


def compose(raw: bytes | str, label: str) -> Any:

    if isinstance(raw, bytes):
        if len(raw) > MAX_SPEC_BYTES:
            raise SpecError(
                [f"{label}: is {len(raw)} bytes; spec files are limited to {MAX_SPEC_BYTES}"]
            )
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
    yaml = pyyaml()
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

    yaml = pyyaml()
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
            raise SpecError([f"{label}:{line}: YAML tag {quoted(node.tag)} is not allowed{hint}"])
        if isinstance(node.value, list):
            for item in node.value:
                stack.extend(item if isinstance(item, tuple) else (item,))


_STANDARD_TAGS = {
    "tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null", "map", "seq")
}


class NodeReader:
    """Converts and checks YAML nodes, collecting every problem (nothing stops at the first)."""

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
        yaml = pyyaml()
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
        except ValueError:  # int() refuses over 4300 digits: a 5000-digit default
            self.problem(node, where, f"bad value: a number of {len(node.value)} characters")
            return None

    def mapping(self, node: Any, where: str) -> dict[str, tuple[Any, Any]] | None:
        value = self.plain(node, where)
        if not isinstance(value, dict):
            if value is not None or is_null(node):
                self.problem(node, where, f"expected a mapping, got {type_name(node)}")
            return None
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.value in seen:
                field = join(where, key_node.value)
                self.problem(key_node, field, f"duplicate key {quoted(key_node.value)}")
            seen.add(key_node.value)
        return value

    def sequence(self, node: Any, where: str) -> list[Any] | None:
        value = self.plain(node, where)
        if not isinstance(value, list):
            if value is not None or is_null(node):
                self.problem(node, where, f"expected a list, got {type_name(node)}")
            return None
        return value

    def string(self, node: Any, where: str, *, allow_empty: bool = False) -> str | None:
        value = self.plain(node, where)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            if value is not None or is_null(node):
                self.problem(node, where, f"expected a string, got {type_name(node)}")
            return None
        text = str(value) if not isinstance(value, str) else value
        if not text.strip() and not allow_empty:
            self.problem(node, where, "must not be empty")
            return None
        control = next(
            (c for c in text if c not in "\n\t" and unicodedata.category(c) == "Cc"), None
        )
        if control is not None:  # an ESC in a title reached the terminal from show and list
            self.problem(node, where, f"contains the control character U+{ord(control):04X}")
            return None
        return text

    def boolean(self, node: Any, where: str) -> bool | None:
        value = self.plain(node, where)
        if node is not None and not isinstance(value, bool):
            self.problem(node, where, f"expected true or false, got {type_name(node)}")
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
            self.problem(node, where, f"expected a number, got {type_name(node)}")
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
                self.problem(key_node, join(where, key), f"unknown key (allowed: {allowed})")
        for key, required in keys.items():
            if required and key not in mapping:
                self.problem(node, join(where, key), "missing (required)")

    def choice(self, node: Any, where: str, choices: tuple[str, ...]) -> str | None:
        value = self.string(node, where)
        if value is not None and value not in choices:
            self.problem(node, where, f"{quoted(value)} is not one of: {', '.join(choices)}")
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
                self.problem(item, f"{where}[{index}]", f"{quoted(value)} is not a valid name")
            elif value in found:
                self.problem(item, f"{where}[{index}]", f"{quoted(value)} is listed twice")
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


def is_null(node: Any) -> bool:
    return node is not None and node.tag.endswith(":null")


def join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def type_name(node: Any) -> str:
    tag = getattr(node, "tag", "")
    names = {"map": "a mapping", "seq": "a list", "str": "a string", "null": "nothing"}
    suffix = tag.rsplit(":", 1)[-1]
    value = getattr(node, "value", None)
    if suffix in ("int", "float", "bool"):
        return f"{suffix} {value}"
    return names.get(suffix, tag)
