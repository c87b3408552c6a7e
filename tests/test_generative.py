"""Random expressions from the README's grammar, run through every analysis command.

Hypothesis builds small expression trees (depth <= 3: numbers, x, + - * / **, unary minus, and
the grammar's functions). Each tree is written out as an `--expr` string AND evaluated by an
independent mpmath evaluator built from the same tree (tests/corpus/jets.py: f, f', f'' by the
chain rule at 50+ digits), never by parsing the string with actcli or SymPy. For each example
`eval` (orders 0 and 1), `derive`, `smoothness`, `properties` and `check --claim range=...`
(the properties' own range) run in-process, each under a timeout, and:

- every exit code is 0, 1, 2 or 3 (never 70, an internal error, nor an uncaught exception);
- `eval` agrees with mpmath to 1e-13 relative (or 1e-300 absolute) wherever mpmath's value is
  finite, settled, away from a kink, and well conditioned: kappa = |x f'(x) / f(x)| <= 1e3,
  the tolerance scaled by max(1, kappa) (a float input's own rounding moves f that much);
- the array kernel that table, plot and simulate-depth run (`Activation.function`, a form
  chosen from the expression's structure) meets the same 1e-13, nan only where the generic
  compiled path is nan too;
- the mpmath values of f at sampled points lie inside the range `properties` reports (within
  1e-9 relative), a closed end is f's value where properties says it is attained, a
  monotonicity verdict is not contradicted by the samples, and the one-sided limits that
  `smoothness` prints at an integer breakpoint are f's;
- `check` does not refute the range `properties` just derived.

Seeded (derandomize) and without shrinking, so a run is reproducible and its time bounded; a
failure prints the expression, the command and what differed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from corpus.harness import ALLOWED_EXIT, CommandTimeout, Result, fmt, mismatch, number, run_cli
from corpus.jets import FUNCTIONS, Jet, lift, reference, value_at
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mpmath import mp, mpf

pytestmark = pytest.mark.slow  # hypothesis-generated expressions through every command

TIMEOUT = 40.0  # seconds per command
EXAMPLES = 25  # per test function; two functions, one per xdist worker
POINTS = (-1000.0, -30.0, -1.5, -0.25, 0.0, 0.5, 2.0, 30.0, 1000.0, 1e8)
SAMPLES = tuple(sorted({*POINTS, *(k * 0.37 for k in range(-27, 28)), -1e8, -100.0, 100.0}))
KAPPA_MAX = 1e3
NUMBERS = ("1", "2", "3", "0.5", "1.5", "0.1")
SMOOTH = (
    "exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tanh", "sinh", "cosh", "atan",
    "asinh", "erf", "erfc", "sigmoid", "softplus",
)  # fmt: skip
KINKED = ("abs", "sign", "heaviside", "max", "min")
SETTINGS = settings(
    deadline=None,
    max_examples=EXAMPLES,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: each rerun costs seconds
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# -- trees -----------------------------------------------------------------------------------
# ("x",) | ("num", text) | ("neg", a) | (op, a, b) for + - * / | ("pow", a, n) | (name, args...)


def trees(functions: tuple[str, ...], depth: int = 3) -> st.SearchStrategy[tuple]:
    """Trees of depth <= `depth` whose root is an operation (a bare x or number is no test)."""
    leaf = st.one_of(
        st.just(("x",)), st.just(("x",)), st.sampled_from(NUMBERS).map(lambda t: ("num", t))
    )
    sub = leaf if depth <= 1 else st.one_of(leaf, trees(functions, depth - 1))
    unary = st.sampled_from([f for f in functions if f not in ("max", "min")])
    binary_functions = [f for f in functions if f in ("max", "min")]
    options = [
        st.tuples(st.sampled_from(["+", "-", "*", "/"]), sub, sub),
        st.tuples(st.just("neg"), sub),
        st.tuples(st.just("pow"), sub, st.sampled_from([2, 3, -1])),
        st.tuples(unary, sub),
        st.tuples(unary, sub),
    ]
    if binary_functions:
        options.append(st.tuples(st.sampled_from(binary_functions), sub, sub))
    return st.one_of(*options)


def text(tree: tuple) -> str:
    """The tree as an --expr string (fully parenthesised)."""
    kind = tree[0]
    if kind == "x":
        return "x"
    if kind == "num":
        return tree[1]
    if kind == "neg":
        return f"-({text(tree[1])})"
    if kind in ("+", "-", "*", "/"):
        return f"({text(tree[1])} {kind} {text(tree[2])})"
    if kind == "pow":
        exponent = tree[2] if tree[2] >= 0 else f"({tree[2]})"
        return f"({text(tree[1])})**{exponent}"
    return f"{kind}({', '.join(text(a) for a in tree[1:])})"


def formula(tree: tuple) -> Callable[[Any], Any]:
    """The tree as a function on jets (corpus.jets), built node by node from the tree."""
    kind = tree[0]
    if kind == "x":
        return lambda x: x
    if kind == "num":
        return lambda x: lift(mpf(tree[1]))
    parts = [formula(a) if isinstance(a, tuple) else a for a in tree[1:]]
    if kind == "neg":
        return lambda x: -parts[0](x)
    if kind == "+":
        return lambda x: parts[0](x) + parts[1](x)
    if kind == "-":
        return lambda x: parts[0](x) - parts[1](x)
    if kind == "*":
        return lambda x: parts[0](x) * parts[1](x)
    if kind == "/":
        return lambda x: parts[0](x) / parts[1](x)
    if kind == "pow":
        return lambda x: parts[0](x) ** parts[1]
    function = FUNCTIONS[kind]
    return lambda x: function(*(p(x) for p in parts))


# -- running and judging ------------------------------------------------------------------


def run(expression: str, *argv: str) -> Result:
    try:
        result = run_cli(list(argv), timeout=TIMEOUT)
    except CommandTimeout as exc:
        raise AssertionError(f"expr {expression!r}: {exc}") from None
    assert result.code in ALLOWED_EXIT, f"expr {expression!r}: {result.describe()}"
    return result


def kappa(x: float, v: mpf, d: mpf) -> mpf:
    """|x f'(x) / f(x)|: how much f moves relative to a relative change of x."""
    if v == 0:
        return mpf(0) if (x == 0 or d == 0) else mp.inf
    return abs(mpf(x) * d / v)


def check_eval(expression: str, f: Callable, order: int) -> list[str]:
    argv = ["eval", "--expr", expression, "--order", str(order), "--format", "json", "--"]
    result = run(expression, *argv, *(fmt(x) for x in POINTS))
    if result.code != 0:
        return []
    problems = judged(result.json()["y"], f, order)
    return [f"eval --order {order}: " + "; ".join(problems)] if problems else []


def check_kernel(expression: str, f: Callable, order: int) -> list[str]:
    """`Activation.function(order)`, the array kernel table, plot and simulate-depth run (a
    form chosen from the expression's structure), held to the same values as `eval`; nan
    only where the generic compiled path (`compile_scalar`) is nan too (eval repairs such
    points with mpmath one by one, a kernel does not)."""
    from actcli.api import load_activation
    from actcli.compiler import compile_scalar
    from actcli.errors import ActcliError

    try:
        activation = load_activation(expression=expression)
        kernel = activation.function(order)
        generic = compile_scalar(activation.numeric_source(order))(np.array(POINTS))
    except ActcliError:
        return []  # refused: the CLI runs above judge the refusal
    ys = kernel(np.array(POINTS))
    excused = {
        x for x, y, g in zip(POINTS, ys, generic, strict=True) if np.isnan(y) and np.isnan(g)
    }
    problems = judged([float(y) for y in ys], f, order, excused)
    if problems:
        return [f"kernel {kernel.strategy} --order {order}: " + "; ".join(problems)]
    return []


def judged(ys: list, f: Callable, order: int, excused: frozenset | set = frozenset()) -> list[str]:
    """What differs between f^(order) values at POINTS and the mpmath reference (the points
    `excused` left out)."""
    problems = []
    for x, y in zip(POINTS, ys, strict=True):
        if x in excused:
            continue
        (v, d1, d2), settled, kink = reference(f, x)
        want, slope = (v, d1) if order == 0 else (d1, d2)
        if not settled or (kink and order > 0):
            continue  # no settled value, or a derivative at a kink: nothing to hold it to
        if not mp.isfinite(want) or not mp.isfinite(slope):
            continue  # undefined (or infinite) here: the convention is actcli's to choose
        k = kappa(x, want, slope)
        if k > KAPPA_MAX:
            continue
        problem = mismatch(y, want, rel=1e-13 * max(1.0, float(k)))
        if problem:
            problems.append(f"x = {x!r}: {problem} (kappa {mp.nstr(k, 3)})")
    return problems


def sampled(f: Callable) -> list[tuple[float, mpf]]:
    """(x, f(x)) at the sample points where f is a finite real number (settled)."""
    found = []
    for x in SAMPLES:
        (v, _, _), settled, _ = reference(f, x, digits=(50, 100, 200, 400))
        if settled and mp.isfinite(v):
            found.append((x, v))
    return found


def near(got: float, want: mpf, rel: float = 1e-9) -> bool:
    return abs(mpf(got) - want) <= rel * max(1, abs(want))


def check_properties(expression: str, f: Callable) -> tuple[dict[str, Any] | None, list[str]]:
    result = run(expression, "properties", "--expr", expression, "--format", "json")
    if result.code != 0:
        return None, []
    row = result.json()["activations"][0]
    found = row["range"]
    lower, upper = number(found["lower"]), number(found["upper"])
    values = sampled(f)
    problems = []
    for x, v in values:  # mpf values beyond the float range count too (exp(-x) at -1e3)
        below = not math.isnan(lower) and v < lower - 1e-9 * max(1.0, abs(lower))
        above = not math.isnan(upper) and v > upper + 1e-9 * max(1.0, abs(upper))
        if below or above:
            problems.append(
                f"f({x!r}) = {mp.nstr(v, 17)} lies outside the reported range "
                f"{found.get('exact')} ({found['lower']!r}, {found['upper']!r})"
            )
            break
    for end, at, closed in (
        (lower, found.get("lower_at"), found["lower_closed"]),
        (upper, found.get("upper_at"), found["upper_closed"]),
    ):
        if closed and isinstance(at, (int, float)) and math.isfinite(end):
            v = value_at(f, at)
            if mp.isfinite(v) and not near(end, v):
                problems.append(
                    f"closed end {end!r} said to be attained at x = {at!r}, where f is "
                    f"{mp.nstr(v, 17)}"
                )
    monotonic = row["monotonic"]
    for (x1, a), (x2, b) in zip(values, values[1:], strict=False):
        slack = 1e-12 * max(1, abs(a))
        up = monotonic in ("increasing", "nondecreasing") and b < a - slack
        down = monotonic in ("decreasing", "nonincreasing") and b > a + slack
        if up or down:
            problems.append(
                f"monotonic {monotonic}, but f({x1!r}) = {mp.nstr(a, 12)} and "
                f"f({x2!r}) = {mp.nstr(b, 12)}"
            )
            break
    return row, [f"properties: {p}" for p in problems]


def one_sided(f: Callable, x: mpf, side: int) -> mpf | None:
    """lim f(t) as t -> x from one side, when f(x + side*1e-60) and f(x + side*1e-120) agree."""
    with mp.workdps(200):
        a = value_at(f, x + side * mpf(10) ** -60, 200)
        b = value_at(f, x + side * mpf(10) ** -120, 200)
    if mp.isfinite(a) and mp.isfinite(b) and abs(a - b) <= mpf(10) ** -20 * max(1, abs(b)):
        return b
    return None


def check_smoothness(expression: str, f: Callable) -> list[str]:
    result = run(expression, "smoothness", "--expr", expression, "--format", "json")
    if result.code != 0:
        return []
    problems = []
    for point in result.json().get("points", []):
        exact = point.get("x_exact", "")
        if not exact.lstrip("-").isdigit():
            continue  # only integer breakpoints: f is then evaluated right next to them
        x = mpf(int(exact))
        for side, key in ((-1, "left"), (1, "right")):
            said = point.get(key) or []
            if not said or isinstance(said[0], str):
                continue
            limit = one_sided(f, x, side)
            if limit is not None and not near(said[0], limit):
                problems.append(
                    f"at x = {exact}: {key} limit of f printed {said[0]!r}, "
                    f"mpmath gives {mp.nstr(limit, 17)}"
                )
    return [f"smoothness: {p}" for p in problems]


def _exact_claim(found: dict[str, Any]) -> str:
    """The range as a claim with its exact ends where properties knows them (check compares
    ends exactly: 15 digits of erf(2)**3 are no claim that holds), else their numbers."""

    def end(side: str, infinite: str) -> str:
        number = found[side]
        if number in ("inf", "-inf") or (isinstance(number, float) and math.isinf(number)):
            return infinite
        return found.get(f"{side}_exact") or repr(number)

    opening = "[" if found["lower_closed"] else "("
    closing = "]" if found["upper_closed"] else ")"
    return f"{opening}{end('lower', '-oo')}, {end('upper', 'oo')}{closing}"


def check_claim(expression: str, row: dict[str, Any] | None) -> list[str]:
    if row is None:
        return []
    found = row["range"]
    claim = _exact_claim(found)
    result = run(expression, "check", "--expr", expression, "--claim", f"range={claim}",
                 "--format", "json")  # fmt: skip
    if result.code not in (0, 1) or not found.get("interval") or "nan" in claim:
        return []
    verdicts = [r for r in result.json()["results"] if r["claim"] == "range"]
    if any(r["status"] == "refuted" for r in verdicts):
        return [f"check refutes range={claim}, the range properties just derived: {verdicts}"]
    return []


def exercise(tree: tuple) -> None:
    """Every command on one tree; a bad exit code fails at once, wrong values at the end."""
    expression = text(tree)
    f = formula(tree)
    problems = check_eval(expression, f, 0) + check_eval(expression, f, 1)
    problems += check_kernel(expression, f, 0) + check_kernel(expression, f, 1)
    run(expression, "derive", "--expr", expression, "--format", "json")
    problems += check_smoothness(expression, f)
    row, found = check_properties(expression, f)
    problems += found + check_claim(expression, row)
    assert not problems, f"expr {expression!r}:\n  " + "\n  ".join(problems)


def has_x(tree: tuple) -> bool:
    return tree[0] == "x" or any(isinstance(a, tuple) and has_x(a) for a in tree[1:])


@SETTINGS
@given(trees(SMOOTH).filter(has_x))
def test_generative_smooth(tree: tuple) -> None:
    exercise(tree)


@SETTINGS
@given(trees(SMOOTH[:8] + KINKED).filter(has_x))
def test_generative_kinked(tree: tuple) -> None:
    exercise(tree)


def test_evaluator_matches_hand_values() -> None:
    """The tree evaluator itself: a few trees against values worked out by hand."""
    with mp.workdps(50):
        tree = ("*", ("x",), ("sigmoid", ("x",)))  # x*sigmoid(x)
        assert text(tree) == "(x * sigmoid(x))"
        jet = formula(tree)(Jet.variable(mpf(0)))
        assert (jet.v, jet.d1, jet.d2) == (0, mpf(1) / 2, mpf(1) / 2)  # s(0), 2s'(0)
        tree = ("pow", ("-", ("x",), ("num", "1")), -1)  # 1/(x - 1)
        assert text(tree) == "((x - 1))**(-1)"
        jet = formula(tree)(Jet.variable(mpf(3)))
        assert (jet.v, jet.d1, jet.d2) == (mpf(1) / 2, -mpf(1) / 4, mpf(1) / 4)
        tree = ("max", ("x",), ("num", "0.5"))
        assert formula(tree)(Jet.variable(mpf("0.5"))).kink
