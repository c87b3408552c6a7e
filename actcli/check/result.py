"""The verdicts of `actcli check`: one `ClaimResult` per claim, gathered in a `CheckResult`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actcli.json_values import json_number

STATUSES = ("holds", "holds_approximately", "partial", "refuted", "unproven", "not_yet_checked")


@dataclass(frozen=True)
class ClaimResult:
    activation: str
    claim: str
    status: str
    detail: str
    counterexample: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "activation": self.activation,
            "claim": self.claim,
            "status": self.status,
            "detail": self.detail,
            "counterexample": _plain(self.counterexample),
        }


def _plain(value: Any) -> Any:
    """Counterexamples hold floats that may be inf or nan (a value beyond the float range):
    JSON numbers, non-finite ones as strings, as the output contract says."""
    if isinstance(value, float):
        return json_number(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class CheckResult:
    """The verdicts, and (user specs only) the measured float64 accuracy of each activation:
    evidence, not a claim, so it has no status and never changes the exit code."""

    results: tuple[ClaimResult, ...]
    accuracy: tuple[Any, ...] = ()  # actcli.accuracy.AccuracyReport

    @property
    def refuted(self) -> bool:
        return any(r.status == "refuted" for r in self.results)

    def to_json(self) -> dict[str, Any]:
        """`{"results": [...]}`, plus `"accuracy": [...]` when a user's activation was measured
        (built-ins alone give exactly the document they always gave)."""
        data: dict[str, Any] = {"results": [r.to_json() for r in self.results]}
        if self.accuracy:
            data["accuracy"] = [a.to_json() for a in self.accuracy]
        return data
