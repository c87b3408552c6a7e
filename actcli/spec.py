"""What a spec states, as frozen dataclasses: definition, parameters and their domains, claims.

Nothing here parses YAML (`actcli.spec_file`) or expressions (`actcli.spec_expressions`): these
are the plain records every layer above passes around, importable without SymPy. The format is
documented in README.md and docs/spec-format.md.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from actcli.errors import UsageError, quoted

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
    from fractions import Fraction  # deferred: 4 ms off `actcli list`

    try:
        return Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        return None


def default_value(text: str) -> float | None:
    """`float(exact_default(text))` (the correctly rounded value; None if not a finite number),
    without importing `fractions` (4 ms) where plain floats give the same: Python reads decimal
    text correctly rounded, and p/q of integers below 2**53 is one correctly rounded division."""
    numerator, _, denominator = text.strip().partition("/")
    if not _DEFAULT.match(text.strip()):
        return None
    if not denominator:
        return float(numerator)
    if _INTEGER.match(numerator) and denominator.isdigit():
        p, q = int(numerator), int(denominator)
        if q != 0 and max(abs(p), abs(q)) < 2**53:
            return p / q
    exact = exact_default(text)
    return None if exact is None else float(exact)


_INTEGER = re.compile(r"^[+-]?\d+$")


def parse_domain(text: str) -> Domain:
    """A named domain or an interval such as "(0, 1]" or "[0, oo)"; ValueError if neither."""
    if text in NAMED_DOMAINS:
        return NAMED_DOMAINS[text]
    match = INTERVAL.match(text)
    if not match:
        names = ", ".join(NAMED_DOMAINS)
        raise ValueError(
            f"unknown domain {quoted(text)} (use {names}, or an interval like '(0, 1]')"
        )
    open_bracket, low, high, close_bracket = match.groups()
    lower, upper = _endpoint(low), _endpoint(high)
    if not lower < upper:
        raise ValueError(f"empty interval {quoted(text)}")
    lower_closed, upper_closed = open_bracket == "[", close_bracket == "]"
    if (lower_closed and math.isinf(lower)) or (upper_closed and math.isinf(upper)):
        raise ValueError(f"interval {quoted(text)} cannot be closed at infinity")
    return Domain(text, lower, upper, lower_closed, upper_closed)


def _endpoint(text: str) -> float:
    infinities = {"oo": math.inf, "+oo": math.inf, "-oo": -math.inf, "inf": math.inf}
    if text in infinities:
        return infinities[text]
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"interval endpoint {quoted(text)} is not a number or oo") from None
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


def class_rank(name: str) -> float:
    """C-1 < C0 < C1 < ... ; C>=K counts as K; Cinf is infinite."""
    if name == "Cinf":
        return math.inf
    text = name[1:].lstrip(">=")
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"{quoted(name)} is not a class (C-1, C0, C1, ..., Cinf)") from None
