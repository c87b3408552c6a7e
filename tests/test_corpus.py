"""actcli against a corpus of activations it does not ship (tests/corpus/activations.py).

Every expected answer comes from the corpus: a derivation written next to it, or mpmath at
50+ digits of our own formula (never actcli's). The commands run in-process through
`actcli.cli.main` with `--format json`:

- `smoothness` (and the `smoothness` of `properties`): the class C-1, C0, ..., Cinf
- `properties`: the range (ends, open/closed, interval or union), bounds, monotonicity,
  max |f'|, the Gaussian moments E[f] and E[f^2]
- `eval --order 0, 1, 2` at +-1e8, +-1e3, +-30, 1e-12 either side of every breakpoint and at
  the breakpoint: within 1e-13 relative (or 1e-300 absolute) of mpmath, and nan where the
  derivative does not exist
- `check --claim`: true claims never refuted (and `holds` where actcli calls its answer
  symbolic or interval); false claims never `holds`, and refuted only with a counterexample
  that mpmath confirms.

`test_corpus_answers_are_consistent` checks the corpus itself (derivatives against
mpmath.diff, sampled values inside the stated range, monotonicity, max |f'|, closed-form
moments against quadrature), so a wrong answer in the corpus fails there, not in actcli's tests.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from corpus.activations import ENTRIES
from corpus.harness import Result, fmt, mismatch, number, run_cli
from corpus.jets import reference, value_at
from corpus.model import CLASSES, Entry, Interval
from mpmath import mp, mpf

pytestmark = pytest.mark.slow  # 68 public activations through every command: minutes

IDS = [entry.name for entry in ENTRIES]
TIMEOUT = 90.0  # seconds per command
RANGE_REL = 1e-9  # range ends and max |f'| of `properties` against the corpus's, in numbers
MOMENT_REL = 1e-8  # the README promises 1e-10 for the Gaussian moments
MOMENT_ABS = 1e-10

_results: dict[tuple[Any, ...], Result] = {}


@pytest.fixture(scope="session")
def spec_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("corpus_specs")


def command(entry: Entry, folder: Path, name: str, *options: str, after: tuple = ()) -> Result:
    """`actcli NAME ACT OPTIONS [-- AFTER]`, run once per worker and kept."""
    key = (entry.name, name, options, after)
    if key not in _results:
        argv = [name, *entry.activation_args(folder), *options]
        if after:
            argv += ["--", *after]
        _results[key] = run_cli(argv, timeout=TIMEOUT)
    result = _results[key]
    assert result.code in (0, 1) or refused(entry, result), f"{entry.label}: {result.describe()}"
    return result


def refused(entry: Entry, result: Result) -> bool:
    """A clear refusal (exit 2 or 3 with one line on stderr) where the entry allows one."""
    return entry.may_refuse and result.code in (2, 3) and len(result.err.strip().splitlines()) == 1


def properties_row(entry: Entry, folder: Path) -> dict[str, Any] | None:
    """The properties row, or None where actcli clearly refused an entry that allows it."""
    result = command(entry, folder, "properties", "--format", "json")
    if refused(entry, result):
        return None
    assert result.code == 0, f"{entry.label}: {result.describe()}"
    rows = result.json()["activations"]
    assert isinstance(rows, list) and len(rows) == 1, f"{entry.label}: {rows!r}"
    return rows[0]


def eval_values(entry: Entry, folder: Path, order: int) -> tuple[list[float], list[Any]]:
    points = entry.points()
    options = ("--order", str(order), "--format", "json")
    result = command(entry, folder, "eval", *options, after=tuple(fmt(x) for x in points))
    assert result.code == 0, f"{entry.label}: {result.describe()}"
    data = result.json()
    assert len(data["y"]) == len(points), f"{entry.label}: {len(data['y'])} values for {points}"
    return points, data["y"]


def close(got: Any, want: Any, rel: float, absolute: float = 0.0) -> bool:
    """actcli's JSON number `got` against an mpf / "inf" / "nan" `want`."""
    try:
        g = number(got)
    except AssertionError:
        return False
    if isinstance(want, str):
        return (math.isnan(g) and want == "nan") or (str(g) == want)
    if mp.isinf(want):
        return g == float(want)
    if math.isnan(g) or math.isinf(g):
        return False
    return abs(mpf(g) - want) <= max(rel * abs(want), absolute)


def end_close(got: Any, want: mpf | None, upper: bool) -> bool:
    if want is None:
        return got == ("inf" if upper else "-inf")
    return close(got, want, RANGE_REL, 1e-12)


def show(value: mpf | None) -> str:
    return "oo" if value is None else mp.nstr(value, 17)


# -- the corpus itself ---------------------------------------------------------------------


def _grid(entry: Entry) -> list[float]:
    """x in [-50, 50] by 0.05, in [-1, 1] by 0.001, the entry's points, +-100 and +-1e3."""
    xs = [i / 20 for i in range(-1000, 1001)] + [i / 1000 for i in range(-1000, 1001)]
    xs += entry.points() + [-1e3, -100.0, 100.0, 1e3]
    avoid = set(entry.poles)
    return sorted({x for x in xs if x not in avoid})


def _f(entry: Entry, x: float) -> mpf:
    """f(x) from the corpus: the hand value at a breakpoint; 50 digits for |x| <= 50, else
    the settled high-precision reference (far out, 50 digits can cancel to 0)."""
    if x in entry.breakpoints:
        return mpf(entry.breakpoints[x][0])
    if abs(x) <= 50:
        return value_at(entry.f, x)
    return reference(entry.f, x)[0][0]


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_corpus_answers_are_consistent(entry: Entry) -> None:
    """The corpus's own answers agree with each other and with mpmath (not with actcli)."""
    problems = []
    with mp.workdps(40):
        # f' and f'' from the jets against numerical differentiation at benign points
        for x in (-2.7, -0.6, 0.45, 1.3, 3.9):
            if any(abs(x - b) < 0.1 for b in (*entry.breakpoints, *entry.poles)):
                continue
            (v, d1, d2), settled, _ = reference(entry.f, x)
            if not settled:
                problems.append(f"f at {x} did not settle")
            if entry.name in ("power_1000", "huge_slope", "exp_exp"):
                continue  # too large for finite differences; the jets are exact there
            for order, d in ((1, d1), (2, d2)):
                numeric = mp.diff(lambda t: entry.f(t), mpf(x), order)
                if abs(numeric - d) > mpf(10) ** -20 * max(1, abs(d)):
                    problems.append(f"f^({order})({x}): jet {d}, mp.diff {numeric}")
        grid = _grid(entry)
        values = [(x, _f(entry, x)) for x in grid]
        finite = [(x, y) for x, y in values if mp.isfinite(y)]
        # every sampled value lies in the stated range; an open end is never a value (looked
        # at for |x| <= 3 only: further out, 50 digits round 1 - exp(-exp(x)) to 1 exactly)
        if entry.range is not None:
            for x, y in finite:
                if abs(y) > 1e300:
                    continue
                inside = [c for c in entry.range.components if c.contains(y, mpf(10) ** -30)]
                hit_open = abs(x) <= 3 and any(
                    (c.lower is not None and not c.lower_closed and y == c.lower)
                    or (c.upper is not None and not c.upper_closed and y == c.upper)
                    for c in entry.range.components
                )
                if not inside or (hit_open and len(inside) == 1):
                    problems.append(f"f({x}) = {mp.nstr(y, 12)} is outside {entry.range}")
                    break
            for c in entry.range.components:  # a closed end is a sampled value, or near one
                for end, closed in ((c.lower, c.lower_closed), (c.upper, c.upper_closed)):
                    if end is not None and closed:
                        nearest = min(abs(y - end) for _, y in finite)
                        if nearest > 1e-2 * max(1, abs(end)):
                            problems.append(f"closed end {end} is not near any sampled value")
        # monotonicity on the grid (flat stretches looked for on |x| <= 3, as above)
        pairs = list(zip(finite, finite[1:], strict=False))
        rises = any(b > a for (_, a), (_, b) in pairs)
        falls = any(b < a for (_, a), (_, b) in pairs)
        flat = any(b == a for (u, a), (w, b) in pairs if abs(u) <= 3 and abs(w) <= 3)
        expected_shape = {
            "increasing": not falls and not flat,
            "nondecreasing": not falls and flat,
            "decreasing": not rises and not flat,
            "nonincreasing": not rises and flat,
            "none": rises and falls,
        }
        if entry.monotonic is not None and not expected_shape[entry.monotonic]:
            problems.append(f"monotonic {entry.monotonic} is not what the grid shows")
        # max |f'| bounds |f'| on a fine grid, next to the breakpoints and far out, and (when
        # finite) is nearly reached there
        if entry.max_abs_derivative is not None:
            xs = [i / 100 for i in range(-1000, 1001)] + [-1e8, -1e3, 1e3, 1e8]
            for b in entry.breakpoints:
                xs += [b - 1e-9, b + 1e-9]
            slopes = []
            for x in xs:
                if x in entry.breakpoints or x in entry.poles:
                    continue
                (_, d1, _), _, _ = reference(entry.f, x, digits=(30, 60))
                if mp.isfinite(d1):
                    slopes.append(abs(d1))
            top = max(slopes)
            bound = entry.max_abs_derivative
            if mp.isfinite(bound) and not (top <= bound * (1 + 1e-20) and top > 0.99 * bound):
                if not (bound == 0 and top == 0):
                    problems.append(f"max|f'| = {bound} but the grid's is {top}")
        # closed-form moments against quadrature
        if isinstance(entry.moments, tuple) and all(isinstance(m, mpf) for m in entry.moments):
            if entry.name not in ("sin_x_squared",):  # its quadrature converges slowly
                for k, want in zip((1, 2), entry.moments, strict=True):
                    got = gaussian_moment(entry, k)
                    if abs(got - want) > mpf(10) ** -15 * max(1, abs(want)):
                        problems.append(f"E[f^{k}]: closed form {want}, quadrature {got}")
    assert not problems, f"{entry.name}: " + "; ".join(problems)


def gaussian_moment(entry: Entry, k: int) -> mpf:
    """E[f(z)^k] for z ~ N(0, 1) by mpmath quadrature on [-40, 40], split at the
    breakpoints."""
    with mp.workdps(30):
        # |z| > 40 carries less than exp(-800 + 80) for every entry integrated this way
        cuts = {*entry.breakpoints, *entry.poles, -8.0, -3.0, -1.0, 0.0, 1.0, 3.0, 8.0}
        edges = [mpf(c) for c in sorted(cuts | {-40.0, 40.0})]

        def integrand(z: mpf) -> mpf:
            return value_at(entry.f, z, 30) ** k * mp.npdf(z)

        return mp.quad(integrand, edges)


# -- smoothness ----------------------------------------------------------------------------


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.smoothness], ids=lambda e: e.name)
def test_smoothness_class(entry: Entry, spec_dir: Path) -> None:
    options = ("--max-order", str(entry.max_order), "--format", "json")
    result = command(entry, spec_dir, "smoothness", *options)
    got = result.json()["class"]
    assert got == entry.smoothness, (
        f"{entry.label}: `smoothness` says {got}, expected {entry.smoothness}"
    )


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.smoothness], ids=lambda e: e.name)
def test_properties_smoothness(entry: Entry, spec_dir: Path) -> None:
    row = properties_row(entry, spec_dir)
    if row is None:
        return  # a clear refusal, which this entry allows
    got = row["smoothness"]
    want = {entry.smoothness}
    if CLASSES.index(entry.smoothness) >= CLASSES.index("C3") and entry.smoothness != "Cinf":
        want.add("C>=3")  # properties looks at f, f', f'', f''' only
    assert got in want, f"{entry.label}: `properties` says class {got}, expected {entry.smoothness}"


# -- range, bounds, monotonicity -----------------------------------------------------------


def parse_image(text: str) -> list[tuple[float, float, bool, bool]]:
    """actcli's `image` text ('(-oo, 0) U {1} U [2, 3)') as (lower, upper, closed, closed)."""
    import sympy  # only to read actcli's exact endpoint text, never for an expected value

    def value(s: str) -> float:
        s = s.strip()
        if s in ("oo", "-oo"):
            return math.inf if s == "oo" else -math.inf
        return float(sympy.N(sympy.sympify(s, locals={"LambertW": sympy.LambertW}), 30))

    parts = []
    for piece in text.split(" U "):
        piece = piece.strip()
        if piece.startswith("{"):
            v = value(piece[1:-1])
            parts.append((v, v, True, True))
            continue
        lo, hi = piece[1:-1].split(",", 1)
        parts.append((value(lo), value(hi), piece[0] == "[", piece[-1] == "]"))
    return parts


def component_problem(got: tuple[float, float, bool, bool], want: Interval) -> str | None:
    lo, hi, lc, uc = got
    ok = (
        end_close(lo if math.isfinite(lo) else ("inf" if lo > 0 else "-inf"), want.lower, False)
        and end_close(hi if math.isfinite(hi) else ("inf" if hi > 0 else "-inf"), want.upper, True)
        and (lc == want.lower_closed or want.lower is None)
        and (uc == want.upper_closed or want.upper is None)
    )
    return None if ok else f"component {got} is not {want.claim()}"


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.range], ids=lambda e: e.name)
def test_range(entry: Entry, spec_dir: Path) -> None:
    row = properties_row(entry, spec_dir)
    if row is None:
        return  # a clear refusal, which this entry allows
    found = row["range"]
    hull = entry.range.hull
    want = " U ".join(c.claim() for c in entry.range.components)
    said = (
        f"{entry.label}: range should be {want} "
        f"({'an interval' if entry.range.interval else 'not an interval'}); actcli: "
        f"exact {found.get('exact')!r}, image {found.get('image')!r}, lower {found['lower']!r}, "
        f"upper {found['upper']!r}, closed {found['lower_closed']}/{found['upper_closed']}, "
        f"interval {found['interval']}, method {found.get('method')}"
    )
    assert found["interval"] == entry.range.interval, said
    assert end_close(found["lower"], hull.lower, upper=False), said
    assert end_close(found["upper"], hull.upper, upper=True), said
    assert found["lower_closed"] == hull.lower_closed, said
    assert found["upper_closed"] == hull.upper_closed, said
    if not entry.range.interval:
        parts = parse_image(found["image"])
        assert len(parts) == len(entry.range.components), said
        for got, component in zip(parts, entry.range.components, strict=True):
            problem = component_problem(got, component)
            assert problem is None, f"{said}: {problem}"


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.range], ids=lambda e: e.name)
def test_bounds(entry: Entry, spec_dir: Path) -> None:
    row = properties_row(entry, spec_dir)
    if row is None:
        return  # a clear refusal, which this entry allows
    got = (row["bounded_below"], row["bounded_above"])
    want = (entry.range.bounded_below, entry.range.bounded_above)
    assert got == want, (
        f"{entry.label}: bounded below/above should be {want} "
        f"(range {entry.range.hull.claim()}), actcli says {got}"
    )


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.monotonic], ids=lambda e: e.name)
def test_monotonic(entry: Entry, spec_dir: Path) -> None:
    row = properties_row(entry, spec_dir)
    if row is None:
        return  # a clear refusal, which this entry allows
    assert row["monotonic"] == entry.monotonic, (
        f"{entry.label}: monotonic should be {entry.monotonic}, actcli says "
        f"{row['monotonic']} (witness {row.get('monotonic_witness')})"
    )


@pytest.mark.parametrize(
    "entry", [e for e in ENTRIES if e.max_abs_derivative is not None], ids=lambda e: e.name
)
def test_max_abs_derivative(entry: Entry, spec_dir: Path) -> None:
    row = properties_row(entry, spec_dir)
    if row is None:
        return  # a clear refusal, which this entry allows
    got = row["max_abs_derivative"]
    assert close(got, entry.max_abs_derivative, RANGE_REL), (
        f"{entry.label}: max|f'| should be {show(entry.max_abs_derivative)}, actcli says {got!r}"
    )


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.moments], ids=lambda e: e.name)
def test_gaussian_moments(entry: Entry, spec_dir: Path) -> None:
    row = properties_row(entry, spec_dir)
    if row is None:
        return  # a clear refusal, which this entry allows
    if entry.moments == "quad":
        wanted = (gaussian_moment(entry, 1), gaussian_moment(entry, 2))
    else:
        wanted = entry.moments
    problems = []
    for key, want in zip(("mean", "second_moment"), wanted, strict=True):
        if want is None:
            continue
        if not close(row[key], want, MOMENT_REL, MOMENT_ABS):
            problems.append(
                f"{key} should be {want if isinstance(want, str) else show(want)}, "
                f"actcli says {row[key]!r}"
            )
    assert not problems, f"{entry.label}: " + "; ".join(problems)


# -- eval ----------------------------------------------------------------------------------


@pytest.mark.parametrize("order", [0, 1, 2])
@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_eval(entry: Entry, order: int, spec_dir: Path) -> None:
    """f^(order) at the hard points, where it exists, to 1e-13 relative or 1e-300 absolute;
    or, where float64 evaluation of a user expression misses that, actcli says so itself: its
    measured accuracy report (`check` without claims) gives a worst relative error for that
    order at least as large as the worst one seen here, or 1 (accurate, or honestly reported)."""
    points, ys = eval_values(entry, spec_dir, order)
    problems = []
    worst = mpf(0)
    for x, y in zip(points, ys, strict=True):
        values, settled = entry.expected(x)
        want = values[order]
        if mp.isnan(want):
            continue  # does not exist: test_eval_undefined
        assert settled, f"{entry.name}: our reference at {x} did not settle"
        problem = mismatch(y, want)
        if problem:
            problems.append(f"x = {x!r}: {problem}")
            got = number(y)
            error = abs(got - want) / abs(want) if want != 0 and mp.isfinite(got) else mp.inf
            worst = max(worst, error)
    if problems:
        reported = command(entry, spec_dir, "check", "--format", "json").json().get("accuracy")
        orders = {
            o["order"]: float(o["worst_relative_error"])  # "inf" in JSON where no digit is right
            for o in (reported or [{}])[0]["orders"]
        }
        admitted = orders.get(order, 0)
        if admitted >= worst * (1 - 1e-6) or admitted >= 1:
            return  # inaccurate, and said so (a relative error of 1: no digit is right, however
            # far off a value is): the contract for what float64 cannot reach
    assert not problems, f"{entry.label}: f^({order}): " + "; ".join(problems)


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_kernel(entry: Entry, order: int, spec_dir: Path) -> None:
    """The array kernel table, plot and simulate-depth run (`Activation.function`, a form
    chosen from the expression's structure) at the hard points: f^(order) to 1e-13 where it
    exists, or else `eval`'s own value to 1e-13 (whose accuracy test_eval judges), or nan
    where the generic compiled path is nan too (eval repairs such points with mpmath)."""
    import numpy as np

    from actcli.api import load_activation
    from actcli.compiler import compile_scalar

    points, ys = eval_values(entry, spec_dir, order)
    arguments = entry.activation_args(spec_dir)
    params = dict(entry.params) if entry.params else None
    if arguments[0] == "--expr":
        activation = load_activation(expression=entry.expr, params=params)
    else:
        activation = load_activation(arguments[0], params=params)
    x = np.array(points)
    got = activation.function(order)(x)
    with np.errstate(all="ignore"):
        generic = compile_scalar(activation.numeric_source(order))(x)
    problems = []
    for point, value, plain, y in zip(points, got, generic, ys, strict=True):
        want = entry.expected(point)[0][order]
        if mp.isnan(want) or (math.isnan(value) and math.isnan(plain)):
            continue
        problem = mismatch(float(value), want)
        if problem and mismatch(float(value), mpf(number(y))) is not None:
            problems.append(f"x = {point!r}: {problem}; eval gave {y!r}")
    strategy = activation.function(order).strategy
    assert not problems, f"{entry.label}: kernel {strategy}, f^({order}): " + "; ".join(problems)


@pytest.mark.parametrize(
    "entry", [e for e in ENTRIES if e.undefined(1) or e.undefined(2)], ids=lambda e: e.name
)
def test_eval_undefined(entry: Entry, spec_dir: Path) -> None:
    """nan where a derivative does not exist."""
    problems = []
    for order in (1, 2):
        points, ys = eval_values(entry, spec_dir, order)
        for b in entry.undefined(order):
            y = ys[points.index(b)]
            if y != "nan":
                problems.append(f"f^({order})({b}) does not exist: expected nan, got {y!r}")
    assert not problems, f"{entry.label}: " + "; ".join(problems)


# -- check --claim -------------------------------------------------------------------------


def true_claims(entry: Entry) -> dict[str, str]:
    claims = {}
    if entry.range is not None:
        if entry.range.interval and _exact_ends(entry.range.components[0]):
            claims["range"] = entry.range.components[0].claim()
        claims["bounded_below"] = str(entry.range.bounded_below).lower()
        claims["bounded_above"] = str(entry.range.bounded_above).lower()
    if entry.monotonic is not None:
        claims["monotonic"] = entry.monotonic
    return claims


def _exact_ends(interval: Interval) -> bool:
    """Whether a range claim states the ends exactly: an expression, or a 30-digit decimal
    that is the end itself (an irrational end, such as swish's minimum, written in 30 digits
    is no true claim: check compares ends exactly)."""
    with mp.workdps(60):
        return all(
            value is None or text is not None or mpf(mp.nstr(value, 30)) == value
            for value, text in (
                (interval.lower, interval.lower_text),
                (interval.upper, interval.upper_text),
            )
        )


def run_check(
    entry: Entry, folder: Path, claims: dict[str, str]
) -> dict[str, dict[str, Any]] | None:
    """The verdict per claim, or None where actcli clearly refused an entry that allows it."""
    options = [a for key, value in claims.items() for a in ("--claim", f"{key}={value}")]
    result = command(entry, folder, "check", *options, "--format", "json")
    if refused(entry, result):
        return None
    results = result.json()["results"]
    by_claim = {r["claim"]: r for r in results}
    missing = set(claims) - set(by_claim)
    assert not missing, f"{entry.label}: {result.describe()}: no verdict on {sorted(missing)}"
    return by_claim


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_true_claims(entry: Entry, spec_dir: Path) -> None:
    """A true claim is never refuted; it holds where actcli calls its answer symbolic."""
    claims = true_claims(entry)
    verdicts = run_check(entry, spec_dir, claims)
    if verdicts is None:
        return  # a clear refusal, which this entry allows
    try:
        methods = (properties_row(entry, spec_dir) or {}).get("methods", {})
    except AssertionError:
        methods = {}
    problems = []
    for key, value in claims.items():
        verdict = verdicts[key]
        label = methods.get(key)
        if verdict["status"] == "refuted":
            problems.append(f"true claim {key}={value} refuted: {verdict['detail']}")
        elif label in ("symbolic", "interval") and verdict["status"] != "holds":
            problems.append(
                f"true claim {key}={value} is {verdict['status']} although properties "
                f"derived it ({label}): {verdict['detail']}"
            )
    assert not problems, f"{entry.label}: " + "; ".join(problems)


def false_range(entry: Entry) -> Interval | None:
    """A range claim that is false because some value of f lies outside it: the true lower
    end with the upper end moved below the largest sampled value (or the other way round)."""
    with mp.workdps(50):
        xs = [i / 10 for i in range(-100, 101)] + list(entry.breakpoints)
        ys = sorted(y for y in (_f(entry, x) for x in xs) if mp.isfinite(y) and abs(y) < 1e300)
    top, bottom, middle = ys[-1], ys[0], ys[len(ys) // 2]
    hull = entry.range.hull
    if top - middle > 1e-6 * (1 + abs(middle)):
        cut = (top + middle) / 2
        return Interval(hull.lower, cut, hull.lower_closed, True, hull.lower_text, None)
    if middle - bottom > 1e-6 * (1 + abs(middle)):
        cut = (bottom + middle) / 2
        return Interval(cut, hull.upper, True, hull.upper_closed, None, hull.upper_text)
    return None


WRONG_MONOTONIC = {
    "none": "nondecreasing",
    "increasing": "nonincreasing",
    "nondecreasing": "increasing",
    "decreasing": "nondecreasing",
    "nonincreasing": "decreasing",
}


def witness_points(counterexample: Any) -> list[float]:
    """The points a counterexample names (under x, at, points or witness)."""
    if not isinstance(counterexample, dict):
        return []
    found: list[float] = []
    for key in ("x", "at", "points", "witness"):
        value = counterexample.get(key)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                found.append(float(item))
    return found


def outside(y: mpf, claim: Interval) -> bool:
    slack = mpf(10) ** -12
    if claim.lower is not None:
        lo = mpf(claim.lower)
        if y < lo - slack * max(1, abs(lo)) or (not claim.lower_closed and y == lo):
            return True
    if claim.upper is not None:
        hi = mpf(claim.upper)
        if y > hi + slack * max(1, abs(hi)) or (not claim.upper_closed and y == hi):
            return True
    return False


def violates(ys: list[mpf], claim: str) -> bool:
    pairs = list(zip(ys, ys[1:], strict=False))
    if claim == "increasing":
        return any(b <= a for a, b in pairs)
    if claim == "nondecreasing":
        return any(b < a for a, b in pairs)
    if claim == "decreasing":
        return any(b >= a for a, b in pairs)
    if claim == "nonincreasing":
        return any(b > a for a, b in pairs)
    return False


@pytest.mark.parametrize(
    "entry", [e for e in ENTRIES if e.range and e.monotonic], ids=lambda e: e.name
)
def test_false_claims(entry: Entry, spec_dir: Path) -> None:
    """A false claim never holds; refuted, it comes with a point that mpmath confirms."""
    wrong_range = false_range(entry)
    claims = {"monotonic": WRONG_MONOTONIC[entry.monotonic]}
    if wrong_range is not None:
        claims["range"] = wrong_range.claim()
    verdicts = run_check(entry, spec_dir, claims)
    if verdicts is None:
        return  # a clear refusal, which this entry allows
    problems = []
    for key, value in claims.items():
        verdict = verdicts[key]
        status = verdict["status"]
        if status in ("holds", "holds_approximately"):
            problems.append(f"false claim {key}={value} {status}: {verdict['detail']}")
            continue
        if status != "refuted":
            continue
        points = witness_points(verdict.get("counterexample"))
        with mp.workdps(50):
            ys = [_f(entry, x) for x in sorted(points)]
        if key == "range":
            ok = any(outside(y, wrong_range) for y in ys if mp.isfinite(y) or mp.isinf(y))
        else:
            ok = len(ys) >= 2 and violates(ys, value)
        if not ok:
            problems.append(
                f"false claim {key}={value} refuted without a counterexample point that mpmath "
                f"confirms (counterexample {verdict.get('counterexample')!r}; f there: "
                f"{[mp.nstr(y, 10) for y in ys]})"
            )
    assert not problems, f"{entry.label}: " + "; ".join(problems)
