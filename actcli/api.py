"""The facade: one function per command, each returning the frozen result that `render` prints.

`actcli list` is `list_activations()`, `eval` is `evaluate_spec()`, `derive` is `derive()`, and so
on. A facade function resolves what the user named (a built-in, a spec file, `NAME:VARIANT`,
an inline `--expr`, or from Python an `Activation` already bound to parameter values) and calls
the one library function that does the work. The package exposes these functions at its top
(`actcli.derive("elu")`), each returning the frozen result the command line renders (every one
has `to_json()`, the document `--format json` prints).

An `Activation` (from `load_activation`) stands for its spec with all its parameters given: its
values are used where a name's parameters would stay symbolic (`derive`, `check`, `smoothness`),
and `params` given beside it override them.

Deferred imports: the command modules that load SymPy, SciPy or matplotlib (0.3-1 s) are
imported inside the facade function that needs them, so `actcli --help`, `list` and a cached
`eval` never pay for them; `actcli.scalars` (eval of command-line numbers without NumPy) is
deferred too, as its dataclasses cost ~3 ms of every other command. Those imports are the first
statement of each such function and are marked `# deferred`; nothing else in this module imports
lazily.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from actcli import catalog
from actcli.catalog import (
    ListResult,
    ShowResult,
    ValidateResult,
    list_activations,
)
from actcli.errors import UsageError
from actcli.formats import figure_format
from actcli.options import check_figure, check_order
from actcli.registry import Registry, load_spec_argument, remembered_spec, select_specs
from actcli.spec import Spec
from actcli.spec_file import with_claims

if TYPE_CHECKING:
    import numpy as np

    from actcli.activation import Activation
    from actcli.check import CheckResult
    from actcli.derive import DeriveResult
    from actcli.evaluation import EvalResult
    from actcli.lut import TableResult
    from actcli.plot import PlotResult
    from actcli.propagation import DepthResult
    from actcli.propagation.initialisation import InitResult
    from actcli.propagation.phase import PhaseResult
    from actcli.properties import PropertiesResult
    from actcli.scalars import ScalarResult
    from actcli.smoothness import Smoothness

    Target = str | Activation  # what a facade function takes: a name, file, or bound activation
__all__ = [
    "ListResult",
    "ShowResult",
    "ValidateResult",
    "check",
    "depth_figure_bytes",
    "derive",
    "evaluate",
    "evaluate_numbers",
    "evaluate_spec",
    "init",
    "list_activations",
    "load_activation",
    "load_spec_argument",
    "parse_numbers",
    "phase",
    "phase_figure_bytes",
    "plot",
    "properties",
    "show",
    "simulate_depth",
    "smoothness",
    "table",
    "table_bytes",
    "validate",
    "with_claims",
]


def load_activation(
    argument: str | None = None,
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    variant: str | None = None,
) -> Activation:
    """A built-in name or alias, a spec file, `NAME:VARIANT` or an inline `expression`, bound to
    `params` (see `actcli.activation.load_activation`); the others take their defaults.

    >>> import actcli
    >>> elu = actcli.load_activation("elu", params={"alpha": "0.5"})
    >>> elu.name, elu.params
    ('elu', {'alpha': 0.5})
    >>> elu.expression
    Piecewise((x, x > 0), (exp(x)/2 - 1/2, True))
    >>> actcli.load_activation(expression="x*sigmoid(beta*x)", params={"beta": "2"}).params
    {'beta': 2.0}
    """
    from actcli import activation  # deferred

    return activation.load_activation(
        argument, expression=expression, params=params, variant=variant
    )


def show(activation: Target) -> ShowResult:
    """`actcli show`: everything a spec states, and its definition with the parameters applied
    (see `actcli.catalog.show`).

    >>> import actcli
    >>> result = actcli.show("celu")
    >>> result.info.title
    'CELU, continuously differentiable exponential linear unit'
    >>> result.expression
    'Piecewise((x, x > 0), (exp(x) - 1, True))'
    """
    if isinstance(activation, str):
        activation = load_activation(activation)
    return catalog.show(activation)


def _spec_and_params(
    argument: Target | None, expression: str | None, params: Mapping[str, str] | None
) -> tuple[Spec, Mapping[str, str] | None]:
    """The spec a facade function works on, and the parameter texts that bind it: an
    `Activation`'s own values (`params` over them), else `params` as given."""
    if argument is None or isinstance(argument, str):
        return load_spec_argument(argument, expression=expression, params=params), params
    if expression is not None:
        raise UsageError("give an activation or an expression, not both")
    return argument.spec, {**argument.param_texts, **(params or {})}


def _groups(
    arguments: Target | Sequence[Target],
    every: bool,
    expression: str | None,
    params: Mapping[str, str] | None,
) -> list[tuple[list[Spec], Mapping[str, str] | None]]:
    """`check`'s and `properties`' targets as runs of specs sharing their parameter texts: the
    names (or `--all`, or an expression) with `params`, each `Activation` with its own values."""
    items = [arguments] if isinstance(arguments, str) or _is_bound(arguments) else arguments
    if not any(_is_bound(item) for item in items):
        return [
            (select_specs(list(items), every=every, expression=expression, params=params), params)
        ]
    if every or expression is not None:
        raise UsageError("give activations, --all or an expression, not several of them")
    groups = []
    for item in items:
        if isinstance(item, str):
            groups.append(
                (select_specs([item], every=False, expression=None, params=params), params)
            )
        else:
            groups.append(([item.spec], {**item.param_texts, **_own(params, item.spec)}))
    return groups


def _is_bound(item: object) -> bool:
    return hasattr(item, "spec") and hasattr(item, "param_texts")


def _own(params: Mapping[str, str] | None, spec: Spec) -> dict[str, str]:
    return {k: v for k, v in (params or {}).items() if k in spec.parameter_names}


def _listed(arguments: Target | Sequence[Target]) -> list[Target]:
    """One target or several, as a list (a lone name is not a sequence of letters)."""
    return [arguments] if isinstance(arguments, str) or _is_bound(arguments) else list(arguments)


def validate(paths: Sequence[str], registry: Registry | None = None) -> ValidateResult:
    """`actcli validate`: every problem of each spec file, and for each valid scalar spec its
    measured float64 accuracy (`actcli.accuracy`, which loads SymPy, NumPy and mpmath)."""
    from actcli import accuracy  # deferred

    return catalog.validate(paths, registry, measure=accuracy.measure_spec)


def evaluate(
    activation: Target,
    x: np.ndarray | Sequence[float] | float,
    order: int = 0,
    at_kink: str | None = None,
) -> EvalResult:
    """f^(order) of an activation (a name at its defaults, or a bound `Activation`) at each x
    (rows of x for vector kinds), in float64; `nan` where the derivative does not exist, unless
    `at_kink` is "left", "right" or "mean" (see `actcli.evaluation.evaluate`).

    >>> import actcli
    >>> actcli.evaluate("relu", [-1.0, 0.0, 2.0], order=1).y
    array([ 0., nan,  1.])
    >>> actcli.evaluate("relu", [0.0], order=1, at_kink="right").y
    array([1.])
    >>> actcli.evaluate(actcli.load_activation("softmax"), [[0.0, 0.0]]).y
    array([[0.5, 0.5]])
    """
    from actcli import evaluation  # deferred: NumPy

    if isinstance(activation, str):  # its compiled plans kept in memory: no SymPy on a repeat
        spec = remembered_spec(activation)
        return evaluation.evaluate_spec(spec, {}, x, order, at_kink, remember=True)
    return evaluation.evaluate(activation, x, order, at_kink)


def evaluate_spec(
    spec: Spec,
    params: Mapping[str, str],
    x: np.ndarray,
    order: int = 0,
    at_kink: str | None = None,
) -> EvalResult:
    """`actcli eval`: `evaluate` for a spec and --param texts, from the compilation cache when
    it has the entry (then no SymPy is imported)."""
    from actcli import evaluation  # deferred: NumPy

    return evaluation.evaluate_spec(spec, params, x, order, at_kink)


def evaluate_numbers(
    spec: Spec,
    params: Mapping[str, str],
    words: Sequence[str],
    order: int = 0,
    at_kink: str | None = None,
) -> ScalarResult | None:
    """`actcli eval` at numbers given as arguments without NumPy, from the cached plan, where
    that gives exactly what `evaluate_spec` gives; else None (see `actcli.scalars`)."""
    from actcli import scalars  # deferred: its dataclasses cost ~3 ms, which only eval needs

    return scalars.evaluate_numbers(spec, params, words, order, at_kink)


def parse_numbers(
    text: str, *, vector: bool, source: str = "stdin", column: str | None = None
) -> np.ndarray:
    """Numbers from stdin or arguments (see `actcli.inputs.parse_numbers`)."""
    from actcli import inputs  # deferred: NumPy

    return inputs.parse_numbers(text, vector=vector, source=source, column=column)


def derive(
    argument: Target | None = None,
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    order: int = 1,
    wrt: str = "x",
    output: bool = False,
    n: int | None = None,
    language: str | None = None,
) -> DeriveResult:
    """`actcli derive`: the exact derivative by cases (see `actcli.derive.derive`); a name's
    parameters not in `params` stay symbolic, an `Activation`'s are its values.

    >>> import actcli
    >>> result = actcli.derive("elu")
    >>> [(case.condition(), str(case.expression)) for case in result.derivative.cases]
    [('x < 0', 'alpha*exp(x)'), ('x > 0', '1')]
    >>> print(actcli.derive("sigmoid", output=True).derivative.cases[0].expression)
    y*(1 - y)
    >>> print(actcli.derive(actcli.load_activation("celu"), order=2).derivative.cases[0].expression)
    exp(x)
    """
    from actcli.derive import derive as command  # deferred

    spec, params = _spec_and_params(argument, expression, params)
    return command(spec, params, order=order, wrt=wrt, output=output, n=n, language=language)


def check(
    arguments: Target | Sequence[Target] = (),
    *,
    every: bool = False,
    expression: str | None = None,
    claims: Sequence[str] = (),
    params: Mapping[str, str] | None = None,
    workers: int | None = None,
) -> CheckResult:
    """`actcli check`: the claims of the named specs (or all), or `claims` (KEY=VALUE) about one
    activation instead of its own; `result.refuted` is the command's exit 1. The specs go to
    `workers` local processes (default: the cores, for as many specs as `--all`).

    >>> import actcli
    >>> result = actcli.check("softsign", claims=["monotonic=increasing"])
    >>> [(r.claim, r.status) for r in result.results]
    [('monotonic', 'holds')]
    >>> result = actcli.check("softsign", claims=["range=(-2, 2)"])
    >>> result.refuted, result.results[0].status
    (True, 'refuted')
    """
    from actcli.check import check as command  # deferred

    groups = _groups(arguments, every, expression, params)
    if claims:
        if len(groups) != 1 or len(groups[0][0]) != 1:
            raise UsageError("--claim applies to one activation")
        groups = [([with_claims(groups[0][0][0], claims)], groups[0][1])]
        claimed = groups[0][0][0].claims
        for order in claimed["derivatives"].value if "derivatives" in claimed else {}:
            check_order(order, 1, f"--claim derivatives.{order} (an order)")
    results = [command(s, p, claims_only=bool(claims), workers=workers) for s, p in groups]
    if len(results) == 1:
        return results[0]
    return dataclasses.replace(
        results[0],
        results=tuple(r for result in results for r in result.results),
        accuracy=tuple(a for result in results for a in result.accuracy),
    )


def smoothness(
    argument: Target | None = None,
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    max_order: int = 3,
    symbolic_params: bool = False,
) -> Smoothness:
    """`actcli smoothness`: the class C^k, with the one-sided limits at every point where it can
    fail (see `actcli.smoothness.smoothness`).

    >>> import actcli
    >>> actcli.smoothness("celu").smoothness_class
    'C1'
    >>> result = actcli.smoothness("elu", symbolic_params=True)
    >>> result.smoothness_class, dict(result.conditions)["C1"]
    ('C1', 'alpha = 1')
    >>> actcli.smoothness(actcli.load_activation("elu", params={"alpha": "2"})).smoothness_class
    'C0'
    """
    from actcli.smoothness import smoothness as command  # deferred

    spec, params = _spec_and_params(argument, expression, params)
    return command(spec, params, max_order=max_order, symbolic_params=symbolic_params)


def properties(
    arguments: Target | Sequence[Target] = (),
    *,
    every: bool = False,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    workers: int | None = None,
) -> PropertiesResult:
    """`actcli properties`: the property table of the named specs (or all, vector kinds too):
    one `(Properties, smoothness class)` row each; the specs go to `workers` local processes
    (default: the cores, for as many specs as `--all`).

    >>> import actcli
    >>> row, smoothness_class = actcli.properties("relu").rows[0]
    >>> row.monotonic, smoothness_class, row.zero_at_origin
    ('nondecreasing', 'C0', True)
    """
    from actcli.properties import PropertiesResult, property_table  # deferred

    groups = _groups(arguments, every, expression, params)
    tables = [property_table(specs, p, workers=workers) for specs, p in groups]
    return PropertiesResult(tuple(row for table in tables for row in table.rows))


def plot(
    arguments: Target | Sequence[Target] = (),
    *,
    output: str = "-",
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    sweep: str | None = None,
    dpi: float = 150.0,
    **options: Any,
) -> tuple[bytes, PlotResult]:
    """`actcli plot`: the encoded figure (format from `output`'s extension; `-` is PNG) and
    what was drawn (`actcli.plot.PlotResult`). `options` go to `actcli.plot.make_figure`
    (`orders=(0, 1)`, `lo`, `hi`, `saturation`, `style`, ...). Nothing is written: save the
    bytes where you like.

    >>> import actcli
    >>> data, drawn = actcli.plot(["relu", "elu"], orders=(0, 1), lo=-2, hi=2)
    >>> data[:4], len(drawn.panels), [s.label for s in drawn.series]
    (b'\x89PNG', 2, ['relu', 'elu'])
    """
    from actcli import activation, figures  # deferred: matplotlib
    from actcli.plot import figure_size, make_figure  # deferred

    fmt = figure_format(output)
    inches = figure_size(options.get("orders", (0,)), options.get("size"))
    check_figure(dpi, options.get("title"), inches, raster=fmt == "png")
    series, labels = activation.bind_series(
        _listed(arguments), expression=expression, params=params, sweep=sweep
    )
    figure, drawn = make_figure(series, labels=labels, **options)
    data = figures.figure_bytes(figure, fmt, dpi)
    return data, dataclasses.replace(drawn, file=None if output == "-" else output, format=fmt)


def table(
    argument: Target | None = None,
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    **options: Any,
) -> TableResult:
    """`actcli table`: `actcli.lut.make_table` for one scalar activation (`lo`, `hi` and one of
    `points`, `step`, `max_error`; `interp`, `number_format`, `fold`, `orders`); encode it with
    `table_bytes`.

    >>> import actcli
    >>> result = actcli.table("tanh", lo=-3, hi=3, points=7)
    >>> result.x.tolist(), result.step
    ([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0], 1.0)
    >>> print(f"{result.certified_error:.4f}")
    0.1249
    >>> print(actcli.table_bytes(result, "csv").decode().splitlines()[4])
    0.0,0.0
    """
    from actcli import activation, lut  # deferred

    spec, params = _spec_and_params(argument, expression, params)
    return lut.make_table(activation.bind(spec, params), **options)


def table_bytes(result: TableResult, fmt: str) -> bytes:
    """A table encoded in one of `actcli.formats.TABLE_FORMATS`."""
    from actcli import lut  # deferred

    return lut.table_bytes(result, fmt)


def simulate_depth(
    arguments: Target | Sequence[Target] = (),
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    **options: Any,
) -> DepthResult:
    """`actcli simulate-depth`: `actcli.propagation.simulate_depth` for the named activations
    (`params` apply to those that have them; `options`: `mode`, `depth`, `width`, `batch`,
    `init`, `sigma_w2`, `sigma_b2`, `seeds`, `seed`, ...). `depth` and `width` may be lists
    (every activation at every depth and width); `workers=N` or `scheduler=ADDRESS` run the
    networks in parallel with the same results (one process by default, as for `phase`).

    >>> import actcli
    >>> result = actcli.simulate_depth(["relu", "sigmoid"], mode="meanfield", depth=20)
    >>> [(run.activation, run.init, run.verdict) for run in result.runs]
    [('relu', 'he', 'stable'), ('sigmoid', 'xavier', 'vanishing')]
    """
    from actcli import activation, propagation  # deferred

    activations, _ = activation.bind_series(
        _listed(arguments), expression=expression, params=params
    )
    return propagation.simulate_depth(activations, **options)


def init(
    arguments: Target | Sequence[Target] = (),
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    sigma_b2: float = 0.0,
) -> InitResult:
    """`actcli init`: the variance preserving and critical (edge of chaos) sigma_w2 of each
    activation at `sigma_b2`, with PyTorch's `calculate_gain` beside them
    (`actcli.propagation.initialisation.initialise`).

    >>> import actcli
    >>> row = actcli.init("relu").rows[0]
    >>> round(row.variance_preserving.sigma_w2, 12), round(row.critical.sigma_w2, 12)
    (2.0, 2.0)
    >>> print(f"{row.torch_gain:.6f}")
    1.414214
    """
    from actcli import activation  # deferred
    from actcli.propagation import initialisation  # deferred

    activations, _ = activation.bind_series(
        _listed(arguments), expression=expression, params=params
    )
    return initialisation.initialise(activations, sigma_b2)


def depth_figure_bytes(result: DepthResult, path: str, style: str = "light") -> bytes:
    """The gradient-factor figure of a depth run, encoded for `path`'s extension."""
    from actcli import figures  # deferred
    from actcli.propagation import figure  # deferred

    return figures.figure_bytes(figure.depth_figure(result, style=style), figure_format(path), 150)


def phase(
    arguments: Target | Sequence[Target] = (),
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    sigma_w2: str | Sequence[float] = "1:4:13",
    sigma_b2: str | Sequence[float] = "0:0.2:9",
    progress: Any = None,
    workers: int | None = 1,
    scheduler: str | None = None,
) -> PhaseResult:
    """`actcli phase`: the mean-field phase diagram (q*, chi_1, depth scale, phase, critical
    line) of each activation on a grid, each axis `LO:HI:N` or (lo, hi, n)
    (`actcli.propagation.phase.phase_diagram`). In this process by default; `workers=N` local
    processes (None: the machine's cores for a large grid) or the Dask cluster at `scheduler`
    give the same diagram, bit for bit (a script that uses workers needs the usual
    `if __name__ == "__main__":` guard, as for any `multiprocessing` spawn).

    >>> import actcli
    >>> diagram = actcli.phase("relu", sigma_w2=(1, 3, 3), sigma_b2=(0.1, 0.2, 2)).diagrams[0]
    >>> diagram.phase
    (('ordered', 'divergent', 'divergent'), ('ordered', 'divergent', 'divergent'))
    >>> [point.sigma_w2 for point in diagram.critical_line]
    [2.0, 2.0]
    """
    from actcli import activation  # deferred
    from actcli.propagation import phase as command  # deferred

    activations, _ = activation.bind_series(
        _listed(arguments), expression=expression, params=params
    )
    return command.phase_diagram(
        activations, sigma_w2, sigma_b2, progress=progress, workers=workers, scheduler=scheduler
    )


def phase_figure_bytes(result: PhaseResult, path: str, style: str = "light") -> bytes:
    """The phase diagram figure (chi_1 centred on 1, the critical line), encoded for `path`."""
    from actcli import figures  # deferred
    from actcli.propagation import phase_figure  # deferred

    figure = phase_figure.phase_figure(result, style=style)
    return figures.figure_bytes(figure, figure_format(path), 150)
