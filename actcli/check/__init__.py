"""`actcli check`: every claim of a spec proven or refuted, two independent ways.

Symbolically, piece by piece (the intervals between the breakpoints of the definition and of the
claim), with parameters as symbols over their domains: the claim minus the truth must simplify
to 0. Numerically, with mpmath at 50 digits at seeded random points inside every piece and near
every breakpoint, for the default parameters and one random set from their domains: the claim
is compared with mpmath's numerical differentiation of the *definition* (not with actcli's own
symbolic derivative). At a breakpoint where the derivative does not exist, a claim's value is a
convention and is reported as such, never as a failure.

Verdicts: holds (proven and confirmed), holds_approximately (within the claim's `tolerance`:
|claim - truth| <= tolerance * max(1, |truth|)), partial (true on a named part only), refuted
(with a counterexample), unproven (no symbolic proof; numeric agreement stated),
not_yet_checked (a claim this version cannot check for that kind).

Modules, imported one way: `result` and `context` (shared), then one module per family of
claims (`expressions`, `variants`, `shape`, `vector`) and `accuracy` (the measured float64
accuracy of a user's activation: evidence reported beside the verdicts, not a claim), then this
one, which decides what to check.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping

from actcli.accuracy import AccuracyReport
from actcli.activation import bind
from actcli.check import expressions, shape, variants, vector
from actcli.check.accuracy import accuracy_report
from actcli.check.context import CheckContext
from actcli.check.result import STATUSES, CheckResult, ClaimResult
from actcli.errors import ActcliError
from actcli.spec import Spec
from actcli.supervisor import progress, step
from actcli.sweep import run_jobs, worker_count

PROPERTY_CLAIMS = ("range", "bounded_below", "bounded_above", "monotonic")
SPEC_SECONDS = 0.5  # one built-in's check: 0.03 to 2.3 s on a 2 GHz core, 0.5 s on average


def check(
    specs: Iterable[Spec],
    params: Mapping[str, str] | None = None,
    *,
    claims_only: bool = False,
    workers: int | None = None,
) -> CheckResult:
    """Check every claim of every spec (`params` are applied to each spec that has them); for a
    user's scalar spec, also measure its float64 accuracy (`actcli.check.accuracy`).

    The specs are independent jobs (`actcli.sweep.run_jobs`): on `workers` local processes,
    by default the machine's cores where there are enough specs to repay starting them
    (`check --all`), else in this process. Each spec's checks are seeded by its name, so the
    results are the same either way, in the specs' order.

    Raises:
        UsageError: `workers` is not a positive count.
    """
    jobs = [
        (spec, {k: v for k, v in (params or {}).items() if k in spec.parameter_names})
        for spec in specs
    ]
    count = worker_count(workers, SPEC_SECONDS * len(jobs), len(jobs))

    def report(done: int, total: int) -> None:
        progress(done, total, "check")

    outcomes = run_jobs(
        functools.partial(check_job, claims_only=claims_only),
        jobs,
        workers=count,
        progress=report if len(jobs) > 1 else None,
    )
    results = tuple(result for claims, _ in outcomes for result in claims)
    return CheckResult(results, tuple(found for _, found in outcomes if found is not None))


def check_job(
    job: tuple[Spec, Mapping[str, str]], tick: object = None, *, claims_only: bool = False
) -> tuple[list[ClaimResult], AccuracyReport | None]:
    """One spec's claims and, for a user's scalar spec, its accuracy report (`check` runs it,
    here or in a worker process)."""
    spec, params = job
    with step(f"checking {spec.name}"):
        claims = check_spec(spec, params, claims_only=claims_only)
        return claims, accuracy_report(spec, params, claims_only=claims_only)


def check_spec(
    spec: Spec, params: Mapping[str, str] | None = None, *, claims_only: bool = False
) -> list[ClaimResult]:
    """Every claim of one spec, plus (unless `claims_only`) its stable forms and variants."""
    activation = bind(spec, params)
    context = CheckContext(
        activation, symbolic=[p for p in spec.parameter_names if p not in (params or {})]
    )
    context.claims_only = claims_only
    results = []
    for name, run in tasks(context):
        try:
            with step(f"checking the claim {name} of {spec.name}"):
                results.append(run())
        except ActcliError as exc:
            results.append(ClaimResult(spec.name, name, "unproven", f"could not check: {exc}"))
    return results


def tasks(ctx: CheckContext) -> list[tuple[str, Callable[[], ClaimResult]]]:
    spec = ctx.spec
    tasks: list[tuple[str, Callable[[], ClaimResult]]] = []
    claims = spec.claims
    if spec.kind == "scalar":
        if "derivative" in claims:
            tasks.append(("derivative", lambda: expressions.derivative(ctx, "derivative", 1)))
        for order in sorted(claims["derivatives"].value) if "derivatives" in claims else ():
            name = f"derivatives.{order}"
            tasks.append((name, lambda n=name, k=order: expressions.derivative(ctx, n, k)))
        if "derivative_in_terms_of_output" in claims:
            tasks.append(("derivative_in_terms_of_output", lambda: expressions.output_form(ctx)))
        for p in claims["derivative_wrt"].value if "derivative_wrt" in claims else ():
            tasks.append((f"derivative_wrt.{p}", lambda p=p: expressions.derivative_wrt(ctx, p)))
        if spec.stable is not None and not ctx.claims_only:
            tasks.append(("stable", lambda: expressions.stable(ctx, "stable", spec.stable, 0)))
        for order, definition in sorted(spec.stable_derivatives.items()):
            if ctx.claims_only:
                break
            name = f"stable_derivatives.{order}"
            tasks.append(
                (name, lambda n=name, d=definition, k=order: expressions.stable(ctx, n, d, k))
            )
        for variant in spec.variants:
            tasks.append((f"variants.{variant}", lambda v=variant: variants.variant(ctx, v)))
        for key in ("zero_at_origin", "identity_near_origin"):
            if key in claims:
                tasks.append((key, lambda k=key: shape.origin(ctx, k)))
        if "smoothness" in claims:
            tasks.append(("smoothness", lambda: shape.smoothness_claim(ctx)))
        for key in PROPERTY_CLAIMS:
            if key in claims:
                tasks.append((key, lambda k=key: shape.property_claim(ctx, k)))
    else:
        if "jacobian" in claims:
            tasks.append(("jacobian", lambda: vector.jacobian_claim(ctx)))
        if "smoothness" in claims:
            tasks.append(("smoothness", lambda: shape.smoothness_claim(ctx)))
        for key in ("bounded_below", "bounded_above"):
            if key in claims:
                tasks.append((key, lambda k=key: vector.vector_bound(ctx, k)))
    covered = {name.split(".")[0] for name, _ in tasks}
    for key in claims:  # every claim gets a verdict, never silence
        if key not in covered:
            tasks.append((key, lambda k=key: not_yet(ctx, k)))
    return tasks


def not_yet(ctx: CheckContext, key: str) -> ClaimResult:
    detail = f"{key} is not checked for {ctx.spec.kind} activations yet"
    return ClaimResult(ctx.spec.name, key, "not_yet_checked", detail)


__all__ = ["STATUSES", "CheckResult", "ClaimResult", "check", "check_job", "check_spec"]
