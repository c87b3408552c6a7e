"""The shape of a corpus entry: an activation that is not built in, and the answers about it,
each derived in the corpus (a derivation comment, or an mpmath computation of our own formula).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mpmath import mp, mpf

from corpus.jets import NAN, num, reference

# The hard points every entry is evaluated at (unless it says why not), besides 1e-12 either
# side of each breakpoint and the breakpoint itself.
HARD_POINTS = (-1e8, -1e3, -30.0, 30.0, 1e3, 1e8)
CLASSES = ("C-1", "C0", "C1", "C2", "C3", "C4", "C5", "Cinf")


@dataclass(frozen=True)
class Interval:
    """One component of an image: ends (None for an infinite end) and whether each is
    attained; `lower_text` / `upper_text`: the end as an expression for a `range=` claim."""

    lower: mpf | None
    upper: mpf | None
    lower_closed: bool
    upper_closed: bool
    lower_text: str | None = None
    upper_text: str | None = None

    def claim(self) -> str:
        def end(value: mpf | None, text: str | None, infinite: str) -> str:
            if value is None:
                return infinite
            return text if text is not None else mp.nstr(value, 30)

        lo = end(self.lower, self.lower_text, "-oo")
        hi = end(self.upper, self.upper_text, "oo")
        opening = "[" if self.lower_closed else "("
        closing = "]" if self.upper_closed else ")"
        return f"{opening}{lo}, {hi}{closing}"

    def contains(self, y: mpf, slack: mpf) -> bool:
        """y lies in the closure of this component, within `slack`."""
        above = self.lower is None or y >= self.lower - slack
        below = self.upper is None or y <= self.upper + slack
        return above and below


@dataclass(frozen=True)
class Range:
    """The image of f: one interval, or a union of components (points are [a, a])."""

    components: tuple[Interval, ...]

    @property
    def interval(self) -> bool:
        return len(self.components) == 1

    @property
    def hull(self) -> Interval:
        first, last = self.components[0], self.components[-1]
        return Interval(
            first.lower,
            last.upper,
            first.lower_closed,
            last.upper_closed,
            first.lower_text,
            last.upper_text,
        )

    @property
    def bounded_below(self) -> bool:
        return self.components[0].lower is not None

    @property
    def bounded_above(self) -> bool:
        return self.components[-1].upper is not None


def _end(value: Any) -> mpf | None:
    return None if value is None else num(value)


def interval(lower, upper, lower_closed, upper_closed, lower_text=None, upper_text=None) -> Range:
    return union((lower, upper, lower_closed, upper_closed, lower_text, upper_text))


def union(*components: tuple[Any, ...]) -> Range:
    """Components (lower, upper, lower_closed, upper_closed[, lower_text, upper_text]) in
    increasing order; None for an infinite end."""
    return Range(tuple(Interval(_end(c[0]), _end(c[1]), *c[2:]) for c in components))


@dataclass(frozen=True)
class Entry:
    """One activation of the corpus and its answers (None: not asserted)."""

    name: str
    source: str  # where it comes from (paper, table, course) or why it was invented
    f: Callable[[Any], Any]  # our own formula, on jets or mpf numbers (corpus.jets)
    expr: str | None = None  # for --expr
    pieces: tuple[tuple[str | None, str], ...] | None = None  # for a spec: (when, value)...
    params: tuple[tuple[str, str], ...] = ()  # --param NAME=VALUE
    smoothness: str | None = None
    range: Range | None = None
    monotonic: str | None = None
    # breakpoint -> (f, f', f'') there, derived by hand; nan where the derivative does not exist
    breakpoints: dict[float, tuple[mpf, mpf, mpf]] = field(default_factory=dict)
    poles: tuple[float, ...] = ()  # evaluated 1e-12 either side only
    skip: tuple[float, ...] = ()  # hard points left out (the entry says why)
    extra: tuple[float, ...] = ()  # more points
    max_abs_derivative: mpf | None = None  # sup |f'| over the points where f' exists
    # (E[f], E[f^2]) for z ~ N(0, 1): "quad" integrates f (split at the breakpoints); a pair
    # of mpf or "inf"/"nan" strings for values known otherwise; None: not asserted
    moments: Any = None
    max_order: int = 3  # --max-order for `smoothness`
    # `properties` and `check` may refuse (exit 2 or 3, one line on stderr) instead of
    # answering: numbers far beyond floats (x**1000 has E[f] = 999!!)
    may_refuse: bool = False

    def points(self) -> list[float]:
        found = {x for x in HARD_POINTS if x not in self.skip}
        for b in self.breakpoints:
            found |= {b, b - 1e-12, b + 1e-12}
        for p in self.poles:
            found |= {p - 1e-12, p + 1e-12}
        found |= set(self.extra)
        return sorted(found - set(self.skip))

    def expected(self, x: float) -> tuple[tuple[mpf, mpf, mpf], bool]:
        """(f, f', f'') at x (nan where a derivative does not exist) and whether the value is
        settled: the hand values at a breakpoint, else our formula's jet at high precision."""
        if x in self.breakpoints:
            return tuple(mpf(v) for v in self.breakpoints[x]), True
        values, settled, kink = reference(self.f, x)
        if kink:
            raise AssertionError(f"{self.name}: x = {x} is a kink of the formula: list it")
        return values, settled

    def undefined(self, order: int) -> list[float]:
        """The breakpoints where f^(order) does not exist."""
        return [b for b, v in self.breakpoints.items() if mp.isnan(mpf(v[order]))]

    def activation_args(self, folder: Path) -> list[str]:
        """The command-line arguments naming this activation (a spec file written to folder)."""
        params = [a for name, value in self.params for a in ("--param", f"{name}={value}")]
        if self.expr is not None:
            return ["--expr", self.expr, *params]
        path = folder / f"{self.name}.yaml"
        if not path.exists():
            path.write_text(spec_text(self))
        return [str(path), *params]

    @property
    def label(self) -> str:
        return self.expr if self.expr is not None else f"spec {self.name}: {self.pieces}"


def spec_text(entry: Entry) -> str:
    """A minimal spec file for a piecewise entry (docs/spec-format.md)."""
    assert entry.pieces is not None
    lines = [
        f"name: {entry.name}",
        f"title: {entry.name} (actcli test corpus)",
        "kind: scalar",
        "definition:",
        "  piecewise:",
    ]
    for when, value in entry.pieces[:-1]:
        lines.append(f'    - {{when: "{when}", value: "{value}"}}')
    lines.append(f'    - {{otherwise: "{entry.pieces[-1][1]}"}}')
    lines += ["references:", f'  - "{entry.source}"', ""]
    return "\n".join(lines)


def at(*values: Any) -> tuple[mpf, ...]:
    """Hand values at a breakpoint: None for a derivative that does not exist."""
    return tuple(NAN if v is None else num(v) for v in values)
