"""Claims about the shape of f: smoothness class, range, bounds, monotonicity (against
`actcli.properties`), and f(0) = 0 / identity near the origin."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import mpmath
import sympy

from actcli.activation import bind
from actcli.budget import Budget, Timeout, alarm, bounded
from actcli.calculus import point_value
from actcli.check.context import (
    SAME_END,
    CheckContext,
    as_float,
    same_end,
)
from actcli.check.result import ClaimResult
from actcli.errors import ActcliError
from actcli.expr import X, parse_expression, scalar_namespace
from actcli.functions import simplify
from actcli.pieces import active_branch_at, canonical_piecewise
from actcli.proofs import is_zero
from actcli.properties import shape
from actcli.smoothness import MAX_ORDER as SMOOTHNESS_MAX_ORDER
from actcli.smoothness import smoothness
from actcli.spec import INTERVAL, class_rank


def smoothness_claim(ctx: CheckContext) -> ClaimResult:
    """The claimed class must be the one that holds for every parameter value in the
    domain (the parameters not given with --param): the lowest class over them. It is
    refuted by a value where the class is lower, or by a proof that every value's class is
    higher; where the analysis with symbolic parameters finds another class but no value
    tried shows one below the claim (a limit SymPy cannot take with x**a), it is unproven."""
    claimed = ctx.spec.claims["smoothness"].value
    rank = class_rank(claimed)
    given = {k: str(v) for k, v in ctx.activation.values.items() if k not in ctx.symbolic}
    # orders above smoothness's own cap are never computed: a lower class refutes a claim of
    # any height (relu's kink refutes C1000 at order 1); C>=cap leaves a higher one unproven
    order = 3 if math.isinf(rank) else min(max(3, int(rank) + 1), SMOOTHNESS_MAX_ORDER)
    result = smoothness(ctx.spec, given, max_order=order, symbolic_params=True, variants=False)
    conditions = dict(result.conditions)
    generic = _generic_class(ctx, result, conditions, order)
    special = [f"{k} iff {c}" for k, c in result.conditions if c not in ("True", "False")]
    detail = f"{generic} for every value of the free parameters" if ctx.symbolic else generic
    if special:
        detail += "; " + "; ".join(special)
    name = ctx.spec.name
    if generic.startswith("C>=") and order <= rank < math.inf:
        return ClaimResult(
            name,
            "smoothness",
            "unproven",
            f"{detail}; orders above {SMOOTHNESS_MAX_ORDER} are not checked, so {claimed} "
            "cannot be told from a higher class",
        )
    if generic.startswith("C>=") and rank >= class_rank(generic):
        # at least that class is proven; where it ends is not (exp(-1/|x|) + |x|**3.5 is C3,
        # its 4th derivative unbounded at 0, which no limit settled: Cinf "held")
        return ClaimResult(
            name,
            "smoothness",
            "unproven",
            f"{detail}: a one-sided limit of a higher derivative was not found, so {claimed} "
            "is not proven",
        )
    if class_rank(generic) == rank:
        numeric = [p for p in result.points if isinstance(p.x, sympy.Float)]
        if numeric:  # found on a grid, compared to 1e-10: evidence, not a proof
            return ClaimResult(
                name,
                "smoothness",
                "unproven",
                f"{detail} with {len(numeric)} breakpoint(s) found numerically (x = "
                f"{float(numeric[0].x):.10g}): their values are compared at 1e-10 and a piece "
                "narrower than the root search's grid could be missing",
            )
        return ClaimResult(name, "smoothness", "holds", f"proven symbolically: {detail}")
    counterexample = _class_counterexample(ctx, rank, order)
    higher = math.isfinite(rank) and conditions.get(f"C{int(rank) + 1}") == "True"
    if counterexample is None and higher:  # proven for every value: the defaults show it
        counterexample = {"params": ctx.float_values(), "class": generic}
    if counterexample is not None or not ctx.symbolic or higher:
        return ClaimResult(name, "smoothness", "refuted", f"the class is {detail}", counterexample)
    return ClaimResult(
        name,
        "smoothness",
        "unproven",
        f"with symbolic parameters the analysis finds {detail}, but no parameter value tried "
        f"has a class below {claimed}",
    )


def _generic_class(
    ctx: CheckContext, result: Any, conditions: Mapping[str, str], order: int
) -> str:
    if not ctx.symbolic:
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


def _class_counterexample(ctx: CheckContext, rank: float, order: int) -> dict[str, Any] | None:
    """Parameter values (the defaults, 0.5, 2, 1.5 times the default, ... in the domain)
    where the class is below the claim, or (all parameters given) differs from it; None
    where no value tried has such a class."""
    tries: list[dict[str, str]] = [{}]
    for name in ctx.symbolic:
        domain = ctx.spec.parameter(name).domain
        default = float(ctx.activation.values[name])
        for value in (0.5, 2.0, 1.5 * default, -0.5, 0.25 * default + 0.1):
            if domain.contains(value):
                tries.append({name: repr(value)})
    for trial in tries:
        params = {**{k: str(v) for k, v in ctx.activation.values.items()}, **trial}
        try:
            bind(ctx.spec, params)
        except ActcliError:
            continue
        result = smoothness(ctx.spec, params, max_order=order, variants=False)
        found = class_rank(result.smoothness_class)
        below = found < rank and not result.smoothness_class.startswith("C>=")  # at least
        if below or (not ctx.symbolic and found != rank):
            values = {k: as_float(v) for k, v in result.params.items()}
            return {"params": values, "class": result.smoothness_class}
    return None


PROVEN = ("symbolic", "interval")


def property_claim(ctx: CheckContext, key: str) -> ClaimResult:
    """Compared with `actcli.properties` at the default parameters and a random set.

    `holds` needs the truth proven (symbolically or by interval arithmetic) at every set.
    `refuted` needs a counterexample: a point x whose value, recomputed with mpmath at 50
    digits, violates the claim, or a proven limit or extremum that contradicts it (the
    truth with method symbolic or interval). Disagreement with a numeric truth and no
    verified point is `unproven`: sampling is never evidence enough.
    """
    claim = ctx.spec.claims[key].value
    methods = set()
    unsettled = False
    shown = ""  # the truth at the default parameters
    for values in ctx.parameter_sets:
        cache_key = tuple(sorted((k, str(v)) for k, v in values.items()))
        if cache_key not in ctx.properties_cache:  # four claims share one computation
            params = {k: str(v) for k, v in values.items()}
            ctx.properties_cache[cache_key] = shape(bind(ctx.spec, params))
        found = ctx.properties_cache[cache_key]
        method = found.method(key)
        methods.add(method)
        agrees, truth, claimed = _property_agrees(ctx, key, claim, found, values)
        shown = shown or truth
        if agrees is None:  # the ends agree in numbers, their equality is not proven
            methods.add("numeric")
            unsettled = True
            continue
        if agrees:
            continue
        params = {k: as_float(v) for k, v in values.items()}
        witness = _point_witness(ctx, key, claim, found, values)
        if witness is not None:
            if "points" in witness:
                (a, b), (fa, fb) = witness["points"], witness["values"]
                shown = f"f({a:.17g}) = {fa:.17g}, f({b:.17g}) = {fb:.17g}"
            else:
                shown = f"f({witness['x']:.17g}) = {witness['value']:.17g}"
            detail = f"it is {truth}; {shown} (recomputed at high precision)"
            counterexample = {"params": params, "claimed": claimed, "true": truth, **witness}
            return ClaimResult(ctx.spec.name, key, "refuted", detail, counterexample)
        if method in PROVEN:
            how = "symbolically" if method == "symbolic" else "by interval arithmetic"
            counterexample = {"params": params, "claimed": claimed, "true": truth, "proof": method}
            detail = f"it is {truth} (proven {how})"
            return ClaimResult(ctx.spec.name, key, "refuted", detail, counterexample)
        detail = (
            f"numeric evidence disagrees (it seems to be {truth}) but no counterexample was "
            "verified and nothing is proven"
        )
        return ClaimResult(ctx.spec.name, key, "unproven", detail)
    at = "the default parameters" + (" and a random set" if len(ctx.parameter_sets) > 1 else "")
    if methods <= set(PROVEN):
        how = "symbolically" if methods == {"symbolic"} else "with interval arithmetic"
        return ClaimResult(
            ctx.spec.name, key, "holds", f"proven {how} at {at}; at the defaults {shown}"
        )
    if unsettled:
        detail = (
            f"the claimed ends agree with the range's to {SAME_END:g} but are not proven equal "
            f"(at {at}); at the defaults {shown}"
        )
    else:
        detail = f"numeric agreement only (global search) at {at}; at the defaults {shown}"
    return ClaimResult(ctx.spec.name, key, "unproven", detail)


WITNESS_SECONDS = 0.5  # per point: a value out of reach in that time is no witness
WITNESS_ULPS = 4  # a witness clears the claim by this many units in the last place
WITNESS_FLOOR = 1e-25  # and by this much at least: 50 digits leave ~1e-50 where f is 0


def _margin(*values: float) -> float:
    """How far a recomputed value (rounded from 50 digits or an Arb ball) must be past a
    claim to violate it: a few ulps (rounding is monotone, so such a gap is the truth's),
    not a relative 1e-12 (1 + 1e-12 against a claimed sup 1 was no witness)."""
    largest = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    return max(WITNESS_ULPS * math.ulp(largest), WITNESS_FLOOR)


def _point_witness(
    ctx: CheckContext, key: str, claim: Any, found: Any, values: Mapping[str, Any]
) -> dict[str, Any] | None:
    """A point (or, for monotonicity, two points) where f, recomputed at high precision (an
    Arb enclosure, else 50-digit mpmath), violates a range or monotonicity claim by a clear
    margin; equal values count only when they are exactly equal (a flat stretch)."""
    if key not in ("range", "monotonic"):
        return None
    activation = bind(ctx.spec, {k: str(v) for k, v in values.items()})
    reference = activation.reference(0)
    exact_definition = canonical_piecewise(activation.expression, activation)

    def value(x: float) -> float | None:
        try:
            with alarm(WITNESS_SECONDS):
                return reference(x)
        except (ActcliError, ValueError, ZeroDivisionError, TypeError, ArithmeticError, Timeout):
            return None

    def exactly_equal(a: float, b: float) -> bool:
        try:
            fa, fb = (exact_definition.subs(X, sympy.Rational(t)) for t in (a, b))
        except (TypeError, ValueError):
            return False
        return bool(fa.is_Rational and fb.is_Rational and fa == fb)

    if key == "monotonic":
        witness = list(found.monotonic_witness or ())
        pairs = list(zip(witness, witness[1:], strict=False))
        probes = sorted(_probe_points())
        pairs += list(zip(probes, probes[1:], strict=False))
        for a, b in pairs:
            fa, fb = value(a), value(b)
            if fa is None or fb is None or not (math.isfinite(fa) and math.isfinite(fb)):
                continue
            margin = _margin(fa, fb)
            up, down = (
                claim in ("increasing", "nondecreasing"),
                claim in ("decreasing", "nonincreasing"),
            )
            clearly = (up and fb + margin < fa) or (down and fb - margin > fa)
            flat = claim in ("increasing", "decreasing") and fa == fb and exactly_equal(a, b)
            if clearly or flat:
                return {"points": [float(a), float(b)], "values": [fa, fb]}
        return None
    low, high = _claimed_ends(ctx, claim, values)
    candidates = [found.range.lower_at, found.range.upper_at, *_probe_points()]
    for x in candidates:
        if x is None:
            continue
        v = value(x)
        if v is None or math.isnan(v):
            continue
        below = low is not None and v < float(low) - _margin(v, float(low))
        above = high is not None and v > float(high) + _margin(v, float(high))
        if below or above:
            return {"x": float(x), "value": v}
    return None


def _claimed_ends(ctx: CheckContext, claim: Any, values: Mapping[str, Any]) -> tuple[Any, Any]:
    """The claimed range's ends as 60-digit mpmath numbers (None for an infinite end)."""
    _, low, high, _ = INTERVAL.match(claim.text).groups()
    namespace = scalar_namespace(ctx.activation.symbols, variables=("oo",))
    symbols = {ctx.activation.symbols[k]: v for k, v in values.items()}
    ends = []
    for text in (low, high):
        end = parse_expression(text, namespace).subs(symbols)
        ends.append(None if end in (sympy.oo, -sympy.oo) else mpmath.mpf(str(sympy.N(end, 60))))
    return ends[0], ends[1]


def _probe_points() -> list[float]:
    """Points spread over the line, dense near 0 and out to 1e8, both signs."""
    magnitudes = [10.0**k for k in range(-3, 9)] + [0.5, 1.5, 2.5, 3.5, 5.0, 7.0]
    return [0.0, *magnitudes, *(-m for m in magnitudes)]


def _property_agrees(
    ctx: CheckContext, key: str, claim: Any, found: Any, values: Mapping[str, Any]
) -> tuple[bool, str, str]:
    if key in ("bounded_below", "bounded_above"):
        truth = bool(getattr(found, key))
        return truth == claim, str(truth).lower(), str(claim).lower()
    if key == "monotonic":
        truth = found.monotonic
        weaker = {"nondecreasing": ("increasing",), "nonincreasing": ("decreasing",)}
        return claim == truth or truth in weaker.get(claim, ()), truth, claim
    return _range_agrees(ctx, claim, found.range, values)


def _range_agrees(
    ctx: CheckContext, claim: Any, found: Any, values: Mapping[str, Any]
) -> tuple[bool | None, str, str]:
    """Whether the claimed interval is the range: True where its ends are proven equal to the
    range's exact ends, False where an end or its closedness differs, None where the ends
    agree in numbers only (a range end found numerically, or a difference no proof settles)."""
    opening, low, high, closing = INTERVAL.match(claim.text).groups()
    namespace = scalar_namespace(ctx.activation.symbols, variables=("oo",))
    symbols = {ctx.activation.symbols[k]: v for k, v in values.items()}
    ends = [parse_expression(e, namespace).subs(symbols) for e in (low, high)]
    truth = found.exact if found.interval else f"{found.image} (not an interval)"
    closedness = (opening == "[") == found.lower_closed and (closing == "]") == found.upper_closed
    if not (found.interval and closedness):
        return False, truth, claim.text
    verdicts = [
        _same_end(claimed, number, exact)
        for claimed, number, exact in zip(ends, (found.lower, found.upper), found.ends, strict=True)
    ]
    if False in verdicts:
        return False, truth, claim.text
    return (None if None in verdicts else True), truth, claim.text


def _same_end(claimed: Any, number: float, exact: Any) -> bool | None:
    """A claimed end against a range end (its float, and its SymPy form where known exactly):
    True when proven equal, False when they differ (exp(x) - 1e-13 has inf -1e-13, not 0),
    None when only numbers say they agree."""
    if not claimed.is_finite or not math.isfinite(number):
        return bool(claimed == (sympy.oo if number > 0 else -sympy.oo))
    if exact is not None and not exact.has(sympy.Float):
        difference = claimed - exact
        if is_zero(difference):
            return True
        size = abs(complex(sympy.N(difference, 50)))
        if size > 1e-40 * max(1.0, abs(number)):
            return False
        return None
    return None if same_end(float(claimed), number) else False


def origin(ctx: CheckContext, key: str) -> ClaimResult:
    """f(0) = 0 (and f'(0) = 1) as claimed for every value of the parameters not given: a
    claim of true needs the residual identically 0, a claim of false needs it nonzero for
    every value (sigmoid(x) + c is 0 at 0 for c = -1/2: the claim false was said to hold)."""
    definition = ctx.definition
    at_zero = simplify(active_branch_at(definition, ctx.activation, 0.0).subs(X, 0))
    claimed = ctx.spec.claims[key].value
    residual = at_zero
    if key == "zero_at_origin":
        detail = f"f(0) = {sympy.sstr(at_zero)}"
    else:
        left = active_branch_at(definition, ctx.activation, -1e-9)
        right = active_branch_at(definition, ctx.activation, 1e-9)
        value = point_value(sympy.S.Zero, left, right, 1, ctx.activation)
        slope = sympy.sstr(value.left) if value.exists else "does not exist"
        if value.exists is None and value.condition is None:
            slope = "is not decided (a one-sided limit was not found)"
        detail = f"f(0) = {sympy.sstr(at_zero)}, f'(0) {'= ' if value.exists else ''}{slope}"
        residual = at_zero**2 + (value.left - 1) ** 2 if value.exists is True else sympy.S.One
    detail += f" (claimed: {key} = {'true' if claimed else 'false'})"
    everywhere = is_zero(residual) if residual.free_symbols else residual == 0
    if not residual.free_symbols or everywhere:
        witness: dict[str, Any] | None = ctx.float_values()
        truth = everywhere
    else:  # not identically 0: true for some values of the parameters at most
        roots = None if claimed else _roots_in_domain(ctx, residual)
        if claimed:  # it must be identically 0, and is not
            truth, witness = False, _nonzero_at(ctx, residual)
        else:  # it must be nonzero for every value: a root in the domain refutes
            truth, witness = bool(roots), (roots[0] if roots else None)
        if (truth != claimed and witness is None) or (not claimed and roots is None):
            return ClaimResult(
                ctx.spec.name,
                key,
                "unproven",
                f"{detail}: whether it holds depends on the parameters, and no value was found "
                "that decides it",
            )
    if truth == claimed:
        return ClaimResult(ctx.spec.name, key, "holds", f"proven symbolically: {detail}")
    counterexample = {"x": 0.0, "params": witness, "claimed": claimed, "true": truth}
    return ClaimResult(ctx.spec.name, key, "refuted", detail, counterexample)


def _nonzero_at(ctx: CheckContext, residual: Any) -> dict[str, Any] | None:
    """The parameter set checked (defaults first, then the random one) where `residual` is
    not 0, or None."""
    for values in ctx.parameter_sets:
        symbols = {ctx.activation.symbols[k]: v for k, v in values.items()}
        if not is_zero(residual.subs(symbols)):
            return {k: as_float(v) for k, v in values.items()}
    return None


def _roots_in_domain(ctx: CheckContext, residual: Any) -> list[dict[str, Any]] | None:
    """Parameter values (the others at their defaults) in the domain where `residual`, which
    involves one parameter, is 0 (SymPy's solveset over the reals); None where it involves
    several or the solutions are not a finite set."""
    if len(residual.free_symbols) != 1:
        return None
    (symbol,) = residual.free_symbols
    domain = ctx.spec.parameter(symbol.name).domain
    roots = bounded(
        lambda: sympy.solveset(residual, symbol, sympy.S.Reals), ROOT_SECONDS, Budget(ROOT_SECONDS)
    )
    if roots is sympy.S.EmptySet:
        return []
    if not isinstance(roots, sympy.FiniteSet):
        return None
    found = sorted((float(r) for r in roots if r.is_real), key=abs)
    return [{**ctx.float_values(), symbol.name: r} for r in found if domain.contains(r)]


ROOT_SECONDS = 5.0  # solving f(0) = 0 for a parameter
