"""The float64 accuracy that `actcli check` reports for a user's activation (not a claim).

A built-in's accuracy is held to 1e-13 by its own tests; a user's spec or `--expr` gets the
measurement of `actcli.accuracy` at the parameters checked. It is evidence, not a proof, so it
is not a `ClaimResult`: it has no status, never changes the exit code, and goes to its own JSON
key (`accuracy`) and one line of text output.
"""

from __future__ import annotations

from collections.abc import Mapping

from actcli.accuracy import AccuracyReport, measure
from actcli.activation import bind
from actcli.spec import Spec


def accuracy_report(
    spec: Spec, params: Mapping[str, str] | None = None, *, claims_only: bool = False
) -> AccuracyReport | None:
    """The measured accuracy of a user's scalar activation at `params`; None for built-ins,
    vector kinds and `--claim` runs (which check only the claims given)."""
    if spec.builtin or spec.kind != "scalar" or claims_only:
        return None
    return measure(bind(spec, params))
