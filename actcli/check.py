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
not_yet_checked (range, monotonicity, smoothness and bounds: the smoothness issue).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy

from actcli.activation import Activation, bind, build_expression
from actcli.calculus import Case, point_value
from actcli.errors import ActcliError
from actcli.expr import Y_VEC, I, J, X, Y, parse_expression, scalar_namespace
from actcli.functions import to_elementary
from actcli.jacobian import explicit_outputs
from actcli.pieces import (
    active_branch_at,
    probe_between,
    symbolic_breakpoints,
    to_piecewise,
    with_values,
)
from actcli.proofs import is_zero
from actcli.properties import SCALES, properties, vector_extremes
from actcli.smoothness import smoothness
from actcli.spec import INTERVAL, Definition, Spec, class_rank

STATUSES = ("holds", "holds_approximately", "partial", "refuted", "unproven", "not_yet_checked")
PROPERTY_CLAIMS = ("range", "bounded_below", "bounded_above", "monotonic")
DIGITS = 50
POINTS_PER_PIECE = 6
AGREE = 1e-20  # relative (or absolute below 1e-25) agreement that counts as equal at 50 digits


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
            "counterexample": self.counterexample,
        }


@dataclass(frozen=True)
class CheckResult:
    results: tuple[ClaimResult, ...]

    @property
    def refuted(self) -> bool:
        return any(r.status == "refuted" for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {"results": [r.to_json() for r in self.results]}


def check(
    specs: Iterable[Spec], params: Mapping[str, str] | None = None, *, claims_only: bool = False
) -> CheckResult:
    """Check every claim of every spec (`params` are applied to each spec that has them)."""
    results: list[ClaimResult] = []
    for spec in specs:
        own = {k: v for k, v in (params or {}).items() if k in spec.parameter_names}
        results.extend(check_spec(spec, own, claims_only=claims_only))
    return CheckResult(tuple(results))


def check_spec(
    spec: Spec, params: Mapping[str, str] | None = None, *, claims_only: bool = False
) -> list[ClaimResult]:
    """Every claim of one spec, plus (unless `claims_only`) its stable forms and variants."""

    activation = bind(spec, params)
    checker = _Checker(
        activation, symbolic=[p for p in spec.parameter_names if p not in (params or {})]
    )
    checker.claims_only = claims_only
    results = []
    for name, run in checker.tasks():
        try:
            results.append(run())
        except ActcliError as exc:
            results.append(ClaimResult(spec.name, name, "unproven", f"could not check: {exc}"))
    return results


@dataclass
class _Piece:
    lower: Any
    upper: Any
    probe: float


@dataclass
class _Comparison:
    """Outcome of comparing a claim with the truth, before it becomes a verdict."""

    proven: list[bool] = field(default_factory=list)
    worst_digits: float = math.inf
    points: int = 0
    worst: dict[str, Any] | None = None
    worst_error: float = 0.0
    exceptions: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class _Checker:
    def __init__(self, activation: Activation, symbolic: list[str]) -> None:

        self.activation = activation
        self.spec = activation.spec
        self.symbolic = symbolic
        self.definition = _piecewise(with_values(activation, symbolic))
        # numeric checks take every parameter as an argument (derivative_wrt needs them all)
        self.numeric_definition = _piecewise(activation.symbolic())
        self.rng = random.Random(f"actcli-check-{self.spec.name}")
        self.properties_cache: dict[tuple[tuple[str, str], ...], Any] = {}
        self.claims_only = False  # check only the spec's claims, not its stable forms
        self.extremes: Any = None  # vector kinds: numeric evidence, shared by bound claims
        self.parameter_sets = self._parameter_sets()

    # -- what to check ------------------------------------------------------------------
    def tasks(self) -> list[tuple[str, Callable[[], ClaimResult]]]:
        spec = self.spec
        tasks: list[tuple[str, Callable[[], ClaimResult]]] = []
        claims = spec.claims
        if spec.kind == "scalar":
            if "derivative" in claims:
                tasks.append(("derivative", lambda: self.derivative("derivative", 1)))
            for order in sorted(claims["derivatives"].value) if "derivatives" in claims else ():
                name = f"derivatives.{order}"
                tasks.append((name, lambda n=name, k=order: self.derivative(n, k)))
            if "derivative_in_terms_of_output" in claims:
                tasks.append(("derivative_in_terms_of_output", self.output_form))
            for p in claims["derivative_wrt"].value if "derivative_wrt" in claims else ():
                tasks.append((f"derivative_wrt.{p}", lambda p=p: self.derivative_wrt(p)))
            if spec.stable is not None and not self.claims_only:
                tasks.append(("stable", lambda: self.stable("stable", spec.stable, 0)))
            for order, definition in sorted(spec.stable_derivatives.items()):
                if self.claims_only:
                    break
                name = f"stable_derivatives.{order}"
                tasks.append((name, lambda n=name, d=definition, k=order: self.stable(n, d, k)))
            for variant in spec.variants:
                tasks.append((f"variants.{variant}", lambda v=variant: self.variant(v)))
            for key in ("zero_at_origin", "identity_near_origin"):
                if key in claims:
                    tasks.append((key, lambda k=key: self.origin(k)))
            if "smoothness" in claims:
                tasks.append(("smoothness", self.smoothness_claim))
            for key in PROPERTY_CLAIMS:
                if key in claims:
                    tasks.append((key, lambda k=key: self.property_claim(k)))
        else:
            if "jacobian" in claims:
                tasks.append(("jacobian", self.jacobian_claim))
            if "smoothness" in claims:
                tasks.append(("smoothness", self.smoothness_claim))
            for key in ("bounded_below", "bounded_above"):
                if key in claims:
                    tasks.append((key, lambda k=key: self.vector_bound(k)))
        covered = {name.split(".")[0] for name, _ in tasks}
        for key in claims:  # every claim gets a verdict, never silence
            if key not in covered:
                tasks.append((key, lambda k=key: self.not_yet(k)))
        return tasks

    def not_yet(self, key: str) -> ClaimResult:
        detail = f"{key} is not checked for {self.spec.kind} activations yet"
        return ClaimResult(self.spec.name, key, "not_yet_checked", detail)

    # -- derivative-like claims ---------------------------------------------------------
    def derivative(self, name: str, order: int) -> ClaimResult:

        claim = self._claim_definition(name)
        claimed = self._build(claim)
        return self._verdict(
            name,
            claim,
            claimed,
            truth=lambda branch: sympy.diff(branch, X, order),
            numeric_truth=lambda f, x, values: _numeric_diff(f, x, order, values),
            order=order,
            what=_derivative_name(order),
        )

    def derivative_wrt(self, parameter: str) -> ClaimResult:

        name = f"derivative_wrt.{parameter}"
        claim = self.spec.claims["derivative_wrt"].value[parameter]
        symbol = self.activation.symbols[parameter]
        bound = {
            self.activation.symbols[k]: v
            for k, v in self.activation.values.items()
            if k not in self.symbolic
        }
        return self._verdict(
            name,
            claim,
            self._build(claim),
            # differentiate before putting in values: the parameter may be one of them
            truth=lambda branch: sympy.diff(branch, symbol).subs(bound),
            definition=self.numeric_definition,
            numeric_truth=lambda f, x, values: _numeric_diff_parameter(f, x, parameter, values),
            order=0,
            what=f"df/d{parameter}",
        )

    def output_form(self) -> ClaimResult:

        name = "derivative_in_terms_of_output"
        claim = self.spec.claims[name].value
        in_y = self._build(claim, variables=("x", "y"))

        def claimed_at(branch_of_f: Any) -> Any:
            return in_y.subs(Y, branch_of_f)

        return self._verdict(
            name,
            claim,
            in_y,
            truth=lambda branch: sympy.diff(branch, X),
            numeric_truth=lambda f, x, values: _numeric_diff(f, x, 1, values),
            order=1,
            what="f'",
            output_form=claimed_at,
        )

    def stable(self, name: str, definition: Definition, order: int) -> ClaimResult:

        return self._verdict(
            name,
            definition,
            self._build(definition),
            truth=lambda branch: sympy.diff(branch, X, order) if order else branch,
            numeric_truth=lambda f, x, values: (
                _numeric_diff(f, x, order, values) if order else f(x, values)
            ),
            order=order,
            what="the definition" if not order else _derivative_name(order),
        )

    # -- the comparison -----------------------------------------------------------------
    def _verdict(
        self,
        name: str,
        claim: Definition,
        claimed: Any,
        *,
        truth: Callable[[Any], Any],
        numeric_truth: Callable[..., Any],
        order: int,
        what: str,
        output_form: Callable[[Any], Any] | None = None,
        definition: Any = None,
    ) -> ClaimResult:

        spec_name = self.spec.name
        definition = self.definition if definition is None else definition
        pieces = self._pieces(claimed)
        comparison = _Comparison()
        tolerance = claim.tolerance
        for piece in pieces:
            branch = active_branch_at(definition, self.activation, piece.probe)
            claimed_branch = active_branch_at(claimed, self.activation, piece.probe)
            if output_form is not None:
                claimed_branch = claimed_branch.subs(_y(), branch)
            comparison.proven.append(is_zero(claimed_branch - truth(branch)))
        notes = []
        if order:
            for left, right in zip(pieces, pieces[1:], strict=False):
                point = left.upper
                left_branch = active_branch_at(self.definition, self.activation, left.probe)
                right_branch = active_branch_at(self.definition, self.activation, right.probe)
                value = point_value(point, left_branch, right_branch, order, self.activation)
                note = self._at_point(value, claimed, what, output_form, comparison)
                if note:
                    notes.append(note)
        self._numeric(claimed, numeric_truth, pieces, tolerance, comparison, output_form)
        return _conclude(spec_name, name, comparison, tolerance, notes)

    def _at_point(
        self, value: Any, claimed: Any, what: str, output_form: Any, comparison: _Comparison
    ) -> str:
        """The claim at a breakpoint: a convention where the derivative does not exist, else
        it must give the derivative's value."""

        point = sympy.sstr(value.x)
        sides = f"one-sided limits {sympy.sstr(value.left)} and {sympy.sstr(value.right)}"
        if value.exists is False:
            return (
                f"except at x = {point}, where {what} does not exist ({sides}; the claim's "
                "value there is a convention)"
            )
        if value.exists is None:
            return (
                f"except at x = {point} unless {value.condition_text()}: {what} exists there "
                f"only then ({sides}; elsewhere the claim's value there is a convention)"
            )
        at = self._at_values(claimed).subs(X, value.x)
        if output_form is not None:
            at = at.subs(_y(), self._at_values(self.definition).subs(X, value.x))
        exact = self._at_values(value.left)
        if not is_zero(at - exact):
            comparison.failures.append(point)
            comparison.worst = {
                "x": float(sympy.N(self._at_values(value.x))),
                "params": self._float_values(),
                "claimed": _float(at),
                "true": _float(exact),
            }
        return ""

    def _numeric(
        self,
        claimed: Any,
        numeric_truth: Callable[..., Any],
        pieces: list[_Piece],
        tolerance: float | None,
        comparison: _Comparison,
        output_form: Any,
    ) -> None:

        definition_mp = self._mp_function(self.numeric_definition)
        claim_mp = self._mp_function(claimed, with_y=output_form is not None)
        for values in self.parameter_sets:
            numbers = {k: mpmath.mpf(str(_float_exact(v))) for k, v in values.items()}
            for point in self._sample_points(pieces, values):
                with mpmath.workdps(_working_digits(point)):
                    x = mpmath.mpf(point)
                    true = numeric_truth(definition_mp, x, numbers)
                    if output_form is not None:
                        got = claim_mp(x, numbers, definition_mp(x, numbers))
                    else:
                        got = claim_mp(x, numbers)
                    error = abs(got - true)
                    scale = max(abs(true), mpmath.mpf(1)) if tolerance else abs(true)
                comparison.points += 1
                relative = float(error / scale) if scale else float(error)
                digits = -math.log10(max(relative, 1e-60))
                comparison.worst_digits = min(comparison.worst_digits, digits)
                bad = relative > (tolerance or AGREE) and float(error) > 1e-25
                if relative > comparison.worst_error:
                    comparison.worst_error = relative
                if bad and (comparison.worst is None or relative > comparison.worst.get("_e", 0)):
                    comparison.worst = {
                        "x": float(point),
                        "params": {k: float(v) for k, v in numbers.items()},
                        "claimed": float(got),
                        "true": float(true),
                        "_e": relative,
                    }
        if comparison.worst is not None:
            comparison.worst.pop("_e", None)

    # -- helpers ------------------------------------------------------------------------
    def _claim_definition(self, name: str) -> Definition:
        claims = self.spec.claims
        if name == "derivative":
            return claims["derivative"].value
        return claims["derivatives"].value[int(name.split(".")[1])]

    def _build(self, definition: Definition, variables: tuple[str, ...] = ("x",)) -> Any:

        expression = build_expression(definition, self.spec, self.activation.symbols, variables)
        values = {
            self.activation.symbols[k]: v
            for k, v in self.activation.values.items()
            if k not in self.symbolic
        }
        return _piecewise(expression.subs(values))

    def _pieces(self, claimed: Any) -> list[_Piece]:

        points = symbolic_breakpoints(sympy.Add(self.definition, claimed), self.activation)
        edges = [-sympy.oo, *points, sympy.oo]
        return [
            _Piece(lo, hi, probe_between(lo, hi, self.activation))
            for lo, hi in zip(edges, edges[1:], strict=False)
        ]

    def _parameter_sets(self) -> list[dict[str, Any]]:
        """The bound values, and one random set for the symbolic parameters (seeded)."""

        base = dict(self.activation.values)
        sets = [base]
        if not self.symbolic:
            return sets
        for _ in range(20):
            trial = dict(base)
            for name in self.symbolic:
                domain = self.spec.parameter(name).domain
                trial[name] = sympy.Rational(_random_in(domain, float(base[name]), self.rng))
            try:
                bind(self.spec, {k: str(v) for k, v in trial.items()})
            except ActcliError:
                continue
            sets.append(trial)
            break
        return sets

    def _sample_points(self, pieces: list[_Piece], values: Mapping[str, Any]) -> list[float]:

        symbols = {self.activation.symbols[k]: v for k, v in values.items()}
        edges = []
        for piece in pieces[1:]:
            edges.append(float(sympy.N(sympy.sympify(piece.lower).subs(symbols))))
        points: list[float] = []
        bounds = [-math.inf, *edges, math.inf]
        for low, high in zip(bounds, bounds[1:], strict=False):
            lo = high - 30 if math.isinf(low) else low
            hi = low + 30 if math.isinf(high) else high
            if math.isinf(lo):
                lo, hi = -30.0, 30.0
            for _ in range(POINTS_PER_PIECE):
                points.append(self.rng.uniform(lo, hi))
        for edge in edges:
            step = 1e-6 * max(1.0, abs(edge))
            points += [edge - step, edge + step]
        return [p for p in points if all(abs(p - e) > 1e-12 for e in edges)]

    def _mp_function(self, expression: Any, with_y: bool = False) -> Callable[..., Any]:
        """expression(x, params[, y]) in mpmath, actcli's functions rewritten to exp/log."""

        symbols = [self.activation.symbols[k] for k in self.activation.values]
        arguments = [X, *symbols, *([_y()] if with_y else [])]
        compiled = sympy.lambdify(arguments, to_elementary(expression), modules="mpmath")
        names = list(self.activation.values)

        def evaluate(x: Any, numbers: Mapping[str, Any], *y: Any) -> Any:
            return compiled(x, *(numbers[n] for n in names), *y)

        return evaluate

    def _at_values(self, expression: Any) -> Any:

        symbols = {self.activation.symbols[k]: v for k, v in self.activation.values.items()}
        return sympy.sympify(expression).subs(symbols)

    def _float_values(self) -> dict[str, float]:
        return {k: _float_exact(v) for k, v in self.activation.values.items()}

    # -- variants -----------------------------------------------------------------------
    def variant(self, name: str) -> ClaimResult:
        """Where a variant equals the definition (proven per piece), and how far apart they
        are elsewhere: the largest |variant - definition| and where (numeric)."""

        variant = self.spec.variants[name]
        claimed = self._build(variant.definition)
        pieces = self._pieces(claimed)
        equal, different = [], []
        for piece in pieces:
            branch = active_branch_at(self.definition, self.activation, piece.probe)
            claimed_branch = active_branch_at(claimed, self.activation, piece.probe)
            (equal if is_zero(claimed_branch - branch) else different).append(piece)
        label = f"variants.{name}"
        if not different:
            return ClaimResult(self.spec.name, label, "holds", "identical to the definition")
        size, where, place = self._largest_difference(claimed, different)
        parts = ", ".join(_interval_text(p) for p in different)
        detail = (
            f"max |{name} - definition| = {size:.3g} {place} (numeric, at "
            f"{_params_text(self._float_values())}); differs on {parts}"
        )
        tolerance = variant.definition.tolerance
        counterexample = {
            "x": where,
            "params": self._float_values(),
            "difference": size,
        }
        if tolerance is not None:
            status = "holds_approximately" if size <= tolerance else "refuted"
            detail += f"; stated tolerance {tolerance:g}"
            return ClaimResult(
                self.spec.name,
                label,
                status,
                detail,
                None if status != "refuted" else counterexample,
            )
        if equal:
            same = ", ".join(_interval_text(p) for p in equal)
            return ClaimResult(self.spec.name, label, "partial", f"equal on {same}; {detail}")
        return ClaimResult(self.spec.name, label, "refuted", detail, counterexample)

    def _largest_difference(self, claimed: Any, pieces: list[_Piece]) -> tuple[float, float, str]:

        difference = self._at_values(claimed - self.definition)
        f = sympy.lambdify(X, _elementary(difference), modules="mpmath")
        symbols = {self.activation.symbols[k]: v for k, v in self.activation.values.items()}
        best: tuple[float, float, str] = (0.0, 0.0, "")
        with mpmath.workdps(30):
            for piece in pieces:
                low = (
                    -50.0
                    if piece.lower == -sympy.oo
                    else float(sympy.N(sympy.sympify(piece.lower).subs(symbols)))
                )
                high = (
                    50.0
                    if piece.upper == sympy.oo
                    else float(sympy.N(sympy.sympify(piece.upper).subs(symbols)))
                )
                grid = [low + (high - low) * (t / 4000) for t in range(4001)]
                inner = grid[1:-1] if len(grid) > 2 else grid
                for x in inner:
                    value = abs(float(f(mpmath.mpf(x))))
                    if value > best[0]:
                        best = (value, x, f"at x = {x:.6g}")
                for edge, inward in ((low, 1), (high, -1)):
                    if (
                        piece.lower == -sympy.oo
                        and inward == 1
                        or piece.upper == sympy.oo
                        and inward == -1
                    ):
                        continue
                    near = edge + inward * 1e-12 * max(1.0, abs(edge))
                    value = abs(float(f(mpmath.mpf(near))))
                    if value > best[0]:
                        side = "above" if inward == 1 else "below"
                        best = (value, edge, f"as x -> {edge:.6g} from {side}")
        return best

    # -- smoothness ---------------------------------------------------------------------
    def smoothness_claim(self) -> ClaimResult:
        """The claimed class must be the one that holds for every parameter value in the
        domain (the parameters not given with --param); a value where the class is lower is
        the counterexample."""

        claimed = self.spec.claims["smoothness"].value
        rank = class_rank(claimed)
        given = {k: str(v) for k, v in self.activation.values.items() if k not in self.symbolic}
        order = 3 if math.isinf(rank) else max(3, int(rank) + 1)
        result = smoothness(self.spec, given, max_order=order, symbolic_params=True)
        conditions = dict(result.conditions)
        generic = self._generic_class(result, conditions, order)
        special = [f"{k} iff {c}" for k, c in result.conditions if c not in ("True", "False")]
        detail = f"{generic} for every value of the free parameters" if self.symbolic else generic
        if special:
            detail += "; " + "; ".join(special)
        name = self.spec.name
        if class_rank(generic) == rank or (
            generic.startswith("C>=") and rank >= class_rank(generic)
        ):
            return ClaimResult(name, "smoothness", "holds", f"proven symbolically: {detail}")
        counterexample = self._class_counterexample(rank, order)
        return ClaimResult(name, "smoothness", "refuted", f"the class is {detail}", counterexample)

    def _generic_class(self, result: Any, conditions: Mapping[str, str], order: int) -> str:
        if not self.symbolic:
            return result.smoothness_class
        if conditions.get("Cinf") == "True":
            return "Cinf"
        best = "C-1"
        for k in range(order + 1):
            if conditions.get(f"C{k}") != "True":
                break
            best = f"C{k}"
        else:
            best = f"C>={order}"
        return best

    def _class_counterexample(self, rank: float, order: int) -> dict[str, Any]:
        """Parameter values (0.5, 2, 1.5 times the default, ... in the domain) where the
        class differs from the claim."""

        tries: list[dict[str, str]] = [{}]
        for name in self.symbolic:
            domain = self.spec.parameter(name).domain
            default = float(self.activation.values[name])
            for value in (0.5, 2.0, 1.5 * default, -0.5, 0.25 * default + 0.1):
                if domain.contains(value):
                    tries.append({name: repr(value)})
        for trial in tries:
            params = {**{k: str(v) for k, v in self.activation.values.items()}, **trial}
            try:
                bind(self.spec, params)
            except ActcliError:
                continue
            result = smoothness(self.spec, params, max_order=order)
            if class_rank(result.smoothness_class) != rank:
                values = {k: _float_exact(v) for k, v in result.params.items()}
                return {"params": values, "class": result.smoothness_class}
        return {"params": self._float_values(), "class": "unknown"}

    # -- vector kinds' bounds: numeric evidence only ----------------------------------------
    def vector_bound(self, key: str) -> ClaimResult:
        """Seeded random vectors at scales 1 to 1000 (`properties.vector_extremes`): an output
        that grows with the scale is evidence of no bound. Evidence is no proof, so agreement
        is `unproven` and disagreement `refuted` with the input vector."""

        if self.extremes is None:
            self.extremes = vector_extremes(self.activation)
        claimed = self.spec.claims[key].value
        found = getattr(self.extremes, key)
        values = self.extremes.lowest if key == "bounded_below" else self.extremes.highest
        side = "below" if key == "bounded_below" else "above"
        text = ", ".join(
            f"{v:.4g} at scale {s:g}" for s, (v, _) in zip(SCALES, values, strict=True)
        )
        detail = f"numeric evidence only: the extreme output ({side}) is {text}"
        if found == claimed:
            return ClaimResult(self.spec.name, key, "unproven", detail)
        value, vector = values[-1]
        counterexample = {"x": vector, "value": value, "claimed": claimed, "true": found}
        return ClaimResult(self.spec.name, key, "refuted", detail, counterexample)

    # -- range, bounds, monotonicity (actcli.properties) ---------------------------------
    def property_claim(self, key: str) -> ClaimResult:
        """Compared with `actcli.properties` at the default parameters and a random set."""

        claim = self.spec.claims[key].value
        methods = set()
        shown = ""  # the truth at the default parameters
        for values in self.parameter_sets:
            cache_key = tuple(sorted((k, str(v)) for k, v in values.items()))
            if cache_key not in self.properties_cache:  # four claims share one computation
                params = {k: str(v) for k, v in values.items()}
                self.properties_cache[cache_key] = properties(bind(self.spec, params))
            found = self.properties_cache[cache_key]
            methods.add(found.methods.get(key, "numeric"))
            agrees, truth, claimed = self._property_agrees(key, claim, found, values)
            shown = shown or truth
            if not agrees:
                counterexample = {
                    "params": {k: _float_exact(v) for k, v in values.items()},
                    "claimed": claimed,
                    "true": truth,
                }
                return ClaimResult(self.spec.name, key, "refuted", f"it is {truth}", counterexample)
        how = "symbolically" if methods == {"symbolic"} else "numerically (global search)"
        at = "the default parameters" + (
            " and a random set" if len(self.parameter_sets) > 1 else ""
        )
        detail = f"derived {how} at {at}; at the defaults {shown}"
        return ClaimResult(self.spec.name, key, "holds", detail)

    def _property_agrees(
        self, key: str, claim: Any, found: Any, values: Mapping[str, Any]
    ) -> tuple[bool, str, str]:
        if key in ("bounded_below", "bounded_above"):
            truth = bool(getattr(found, key))
            return truth == claim, str(truth).lower(), str(claim).lower()
        if key == "monotonic":
            truth = found.monotonic
            weaker = {"nondecreasing": ("increasing",), "nonincreasing": ("decreasing",)}
            return claim == truth or truth in weaker.get(claim, ()), truth, claim
        return self._range_agrees(claim, found.range, values)

    def _range_agrees(
        self, claim: Any, found: Any, values: Mapping[str, Any]
    ) -> tuple[bool, str, str]:

        opening, low, high, closing = INTERVAL.match(claim.text).groups()
        namespace = scalar_namespace(self.activation.symbols, variables=("oo",))
        symbols = {self.activation.symbols[k]: v for k, v in values.items()}
        ends = [float(sympy.N(parse_expression(e, namespace).subs(symbols))) for e in (low, high)]
        truth = found.exact if found.interval else f"{found.image} (not an interval)"
        agrees = (
            found.interval
            and _same_end(ends[0], found.lower)
            and _same_end(ends[1], found.upper)
            and (opening == "[") == found.lower_closed
            and (closing == "]") == found.upper_closed
        )
        return bool(agrees), truth, claim.text

    # -- origin -------------------------------------------------------------------------
    def origin(self, key: str) -> ClaimResult:

        definition = self.definition
        at_zero = sympy.simplify(active_branch_at(definition, self.activation, 0.0).subs(_x(), 0))
        claimed = self.spec.claims[key].value
        zero = is_zero(at_zero) if at_zero.free_symbols else at_zero == 0
        if key == "zero_at_origin":
            truth, detail = zero, f"f(0) = {sympy.sstr(at_zero)}"
        else:
            left = active_branch_at(definition, self.activation, -1e-9)
            right = active_branch_at(definition, self.activation, 1e-9)
            value = point_value(sympy.S.Zero, left, right, 1, self.activation)
            slope_one = value.exists is True and is_zero(value.left - 1)
            truth = zero and slope_one
            slope = sympy.sstr(value.left) if value.exists else "does not exist"
            detail = f"f(0) = {sympy.sstr(at_zero)}, f'(0) {'= ' if value.exists else ''}{slope}"
        detail += f" (claimed: {key} = {'true' if claimed else 'false'})"
        if truth == claimed:
            return ClaimResult(self.spec.name, key, "holds", f"proven symbolically: {detail}")
        counterexample = {
            "x": 0.0,
            "params": self._float_values(),
            "claimed": claimed,
            "true": truth,
        }
        return ClaimResult(self.spec.name, key, "refuted", detail, counterexample)

    # -- Jacobian -----------------------------------------------------------------------
    def jacobian_claim(self) -> ClaimResult:

        claim = self.spec.claims["jacobian"].value
        expression = self.activation.substitute(
            build_expression(claim, self.spec, self.activation.symbols, ("x", "y"))
        )
        diagonal_only = True
        failure = None
        for n in (1, 2, 3, 4):
            outputs = explicit_outputs(self.activation, n)
            inputs = sympy.symbols(f"x0:{n}", real=True)
            substitution = {Y_VEC[m]: outputs[m] for m in range(n)}
            for r in range(n):
                for c in range(n):
                    claimed = expression.subs({I: r, J: c}).doit().xreplace(substitution)
                    true = sympy.diff(outputs[r], inputs[c])
                    if not is_zero(claimed - true):
                        failure = failure or (n, r, c, claimed, true, inputs)
                        if r == c:
                            diagonal_only = False
        name = self.spec.name
        if failure is None:
            agreement = self._jacobian_numeric(expression)
            return ClaimResult(
                name,
                "jacobian",
                "holds",
                f"proven symbolically for n = 1, 2, 3, 4; {agreement}",
            )
        n, r, c, claimed, true, inputs = failure
        point = [round(self.rng.uniform(-2, 2), 3) for _ in range(n)]
        values = dict(zip(inputs, point, strict=True))
        example = {
            "n": n,
            "row": r,
            "column": c,
            "x": point,
            "claimed": _float(claimed.subs(values)),
            "true": _float(true.subs(values)),
        }
        if diagonal_only:
            return ClaimResult(
                name,
                "jacobian",
                "partial",
                "holds on the diagonal of the Jacobian only (d y_i/d x_i); off the diagonal the "
                f"claim gives {example['claimed']:.6g} where the Jacobian is {example['true']:.6g}",
                example,
            )
        return ClaimResult(name, "jacobian", "refuted", "differs from the Jacobian", example)

    def _jacobian_numeric(self, expression: Any) -> str:

        worst, count = math.inf, 0
        n = 3
        outputs = explicit_outputs(self.activation, n)
        inputs = sympy.symbols(f"x0:{n}", real=True)
        components = [sympy.lambdify(inputs, o, modules="mpmath") for o in outputs]
        for _ in range(3):
            point = [mpmath.mpf(self.rng.uniform(-3, 3)) for _ in range(n)]
            with mpmath.workdps(DIGITS + 30):
                ys = [f(*point) for f in components]
                for r in range(n):
                    for c in range(n):

                        def along(t: Any, r: int = r, c: int = c, at: list = point) -> Any:
                            return components[r](*[t if m == c else v for m, v in enumerate(at)])

                        true = mpmath.diff(along, point[c], h=mpmath.mpf(10) ** -25)
                        claimed = expression.subs({I: r, J: c}).doit()
                        got = sympy.N(claimed.xreplace({Y_VEC[m]: ys[m] for m in range(n)}), DIGITS)
                        error = abs(mpmath.mpf(str(got)) - true) / max(abs(true), mpmath.mpf(1e-30))
                        worst = min(worst, -math.log10(max(float(error), 1e-60)))
                        count += 1
        return f"confirmed numerically to {min(worst, DIGITS):.0f} digits at {count} entries"


# -- module helpers ------------------------------------------------------------------------


def _conclude(
    activation: str,
    name: str,
    comparison: _Comparison,
    tolerance: float | None,
    notes: list[str],
) -> ClaimResult:
    extra = ("; " + "; ".join(notes)) if notes else ""
    digits = min(comparison.worst_digits, DIGITS)
    numbers = f"{comparison.points} points, worst agreement {digits:.0f} digits"
    if comparison.worst is not None:
        status = "refuted"
        if tolerance is not None and not comparison.failures:
            detail = f"differs by up to {comparison.worst_error:.3g} (tolerance {tolerance:g})"
        else:
            detail = "differs from the truth"
        return ClaimResult(activation, name, status, detail + extra, comparison.worst)
    if all(comparison.proven):
        return ClaimResult(
            activation,
            name,
            "holds",
            f"proven symbolically on every piece; confirmed at {numbers}{extra}",
        )
    if tolerance is not None:
        return ClaimResult(
            activation,
            name,
            "holds_approximately",
            f"largest difference {comparison.worst_error:.3g} (tolerance {tolerance:g}) at "
            f"{numbers}"
            f"{extra}",
        )
    failed = comparison.proven.count(False)
    return ClaimResult(
        activation,
        name,
        "unproven",
        f"no symbolic proof on {failed} of {len(comparison.proven)} pieces; numeric agreement "
        f"at {numbers}{extra}",
    )


def _piecewise(expression: Any) -> Any:

    return to_piecewise(expression)


def _elementary(expression: Any) -> Any:

    return to_elementary(expression)


def _same_end(a: float, b: float) -> bool:
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def _working_digits(x: float) -> int:
    """Enough digits that 1 + exp(-|x|) or 1 + erf(x/sqrt(2)) in a definition keep DIGITS."""
    return DIGITS + 10 + int(min(x * x / 2 + abs(x), 2000) / math.log(10))


def _numeric_diff(f: Callable[..., Any], x: Any, order: int, numbers: Mapping[str, Any]) -> Any:
    """The order-th derivative of the definition by finite differences at high precision."""

    with mpmath.workdps(mpmath.mp.dps + 25 * (order + 1)):
        step = mpmath.mpf(10) ** -(20)
        return mpmath.diff(lambda t: f(t, numbers), mpmath.mpf(x), order, h=step)


def _numeric_diff_parameter(
    f: Callable[..., Any], x: Any, parameter: str, numbers: Mapping[str, Any]
) -> Any:

    with mpmath.workdps(mpmath.mp.dps + 25):

        def along(p: Any) -> Any:
            return f(mpmath.mpf(x), {**numbers, parameter: p})

        return mpmath.diff(along, numbers[parameter], h=mpmath.mpf(10) ** -20)


def _random_in(domain: Any, default: float, rng: random.Random) -> str:
    """A random value in a domain, near the default (decimal text, exact when parsed)."""
    low = domain.lower if math.isfinite(domain.lower) else default - 2
    high = domain.upper if math.isfinite(domain.upper) else max(default, low) + 2
    value = rng.uniform(low + 1e-3 * (high - low), high - 1e-3 * (high - low))
    if domain.integer:
        value = round(value)
    return f"{value:.4f}"


def _interval_text(piece: _Piece) -> str:

    return Case(piece.lower, piece.upper, sympy.S.Zero).condition()


def _params_text(values: Mapping[str, float]) -> str:
    return ", ".join(f"{k} = {v:g}" for k, v in values.items()) or "no parameters"


def _derivative_name(order: int) -> str:
    return "f" + ("'" * order if order <= 3 else f"^({order})")


def _float(value: Any) -> float:

    return float(sympy.N(value, 30))


def _float_exact(value: Any) -> float:

    return float(sympy.N(value, 30))


def _x() -> Any:

    return X


def _y() -> Any:

    return Y


__all__ = ["STATUSES", "CheckResult", "ClaimResult", "check", "check_spec"]
