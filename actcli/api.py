"""The facade: one function per command, each returning the frozen result that `render` prints.

`actcli list` is `list_activations()`, `eval` is `evaluate_spec()`, `derive` is `derive()`, and so
on. A facade function resolves what the user named (a built-in, a spec file, `NAME:VARIANT`,
an inline `--expr`) and calls the one library function that does the work.

Deferred imports: the command modules that load SymPy, SciPy or matplotlib (0.3-1 s) are
imported inside the facade function that needs them, so `actcli --help`, `list` and a cached
`eval` never pay for them. Those imports are the first statement of each such function and are
marked `# deferred`; nothing else in this module imports lazily.
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
    show,
)
from actcli.errors import UsageError
from actcli.formats import figure_format
from actcli.options import check_figure, check_order
from actcli.registry import Registry, load_spec_argument, select_specs
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
    from actcli.properties import PropertiesResult
    from actcli.smoothness import Smoothness

__all__ = [
    "ListResult",
    "ShowResult",
    "ValidateResult",
    "check",
    "depth_figure_bytes",
    "derive",
    "evaluate",
    "evaluate_spec",
    "list_activations",
    "load_activation",
    "load_spec_argument",
    "parse_numbers",
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
    `params` (see `actcli.activation.load_activation`)."""
    from actcli import activation  # deferred

    return activation.load_activation(
        argument, expression=expression, params=params, variant=variant
    )


def validate(paths: Sequence[str], registry: Registry | None = None) -> ValidateResult:
    """`actcli validate`: every problem of each spec file, and for each valid scalar spec its
    measured float64 accuracy (`actcli.accuracy`, which loads SymPy, NumPy and mpmath)."""
    from actcli import accuracy  # deferred

    return catalog.validate(paths, registry, measure=accuracy.measure_spec)


def evaluate(
    activation: Activation, x: np.ndarray, order: int = 0, at_kink: str | None = None
) -> EvalResult:
    """f^(order) of a bound activation at each x (rows of x for vector kinds), in float64;
    `nan` where the derivative does not exist (see `actcli.evaluation.evaluate`)."""
    from actcli import evaluation  # deferred: NumPy

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


def parse_numbers(
    text: str, *, vector: bool, source: str = "stdin", column: str | None = None
) -> np.ndarray:
    """Numbers from stdin or arguments (see `actcli.inputs.parse_numbers`)."""
    from actcli import inputs  # deferred: NumPy

    return inputs.parse_numbers(text, vector=vector, source=source, column=column)


def derive(
    argument: str | None = None,
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    order: int = 1,
    wrt: str = "x",
    output: bool = False,
    n: int | None = None,
    language: str | None = None,
) -> DeriveResult:
    """`actcli derive`: see `actcli.derive.derive` (unbound parameters stay symbolic)."""
    from actcli import derive as command  # deferred

    spec = load_spec_argument(argument, expression=expression, params=params)
    return command.derive(spec, params, order=order, wrt=wrt, output=output, n=n, language=language)


def check(
    arguments: Sequence[str] = (),
    *,
    every: bool = False,
    expression: str | None = None,
    claims: Sequence[str] = (),
    params: Mapping[str, str] | None = None,
) -> CheckResult:
    """`actcli check`: the claims of the named specs (or all), or `claims` (KEY=VALUE) about one
    activation instead of its own."""
    from actcli import check as command  # deferred

    specs = select_specs(arguments, every=every, expression=expression, params=params)
    if claims:
        if len(specs) != 1:
            raise UsageError("--claim applies to one activation")
        specs = [with_claims(specs[0], claims)]
        orders = specs[0].claims["derivatives"].value if "derivatives" in specs[0].claims else {}
        for order in orders:
            check_order(order, 1, f"--claim derivatives.{order} (an order)")
    return command.check(specs, params, claims_only=bool(claims))


def smoothness(
    argument: str | None = None,
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    max_order: int = 3,
    symbolic_params: bool = False,
) -> Smoothness:
    """`actcli smoothness`: see `actcli.smoothness.smoothness`."""
    from actcli import smoothness as command  # deferred

    spec = load_spec_argument(argument, expression=expression, params=params)
    return command.smoothness(spec, params, max_order=max_order, symbolic_params=symbolic_params)


def properties(
    arguments: Sequence[str] = (),
    *,
    every: bool = False,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
) -> PropertiesResult:
    """`actcli properties`: the property table of the named specs (or all, vector kinds too)."""
    from actcli import properties as command  # deferred

    specs = select_specs(arguments, every=every, expression=expression, params=params)
    return command.property_table(specs, params)


def plot(
    arguments: Sequence[str],
    *,
    output: str,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    sweep: str | None = None,
    dpi: float = 150.0,
    **options: Any,
) -> tuple[bytes, PlotResult]:
    """`actcli plot`: the encoded figure (format from `output`'s extension; `-` is PNG) and
    what was drawn (`actcli.plot.PlotResult`). `options` go to `actcli.plot.make_figure`."""
    from actcli import activation, figures  # deferred: matplotlib
    from actcli import plot as command  # deferred

    fmt = figure_format(output)
    inches = command.figure_size(options.get("orders", (0,)), options.get("size"))
    check_figure(dpi, options.get("title"), inches, raster=fmt == "png")
    series, labels = activation.bind_series(
        arguments, expression=expression, params=params, sweep=sweep
    )
    figure, drawn = command.make_figure(series, labels=labels, **options)
    data = figures.figure_bytes(figure, fmt, dpi)
    return data, dataclasses.replace(drawn, file=None if output == "-" else output, format=fmt)


def table(
    argument: str | None = None,
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    **options: Any,
) -> TableResult:
    """`actcli table`: `actcli.lut.make_table` for one scalar activation."""
    from actcli import lut  # deferred

    return lut.make_table(
        load_activation(argument, expression=expression, params=params), **options
    )


def table_bytes(result: TableResult, fmt: str) -> bytes:
    """A table encoded in one of `actcli.formats.TABLE_FORMATS`."""
    from actcli import lut  # deferred

    return lut.table_bytes(result, fmt)


def simulate_depth(
    arguments: Sequence[str],
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    **options: Any,
) -> DepthResult:
    """`actcli simulate-depth`: `actcli.propagation.simulate_depth` for the named activations
    (`params` apply to those that have them)."""
    from actcli import activation, propagation  # deferred

    activations, _ = activation.bind_series(arguments, expression=expression, params=params)
    return propagation.simulate_depth(activations, **options)


def depth_figure_bytes(result: DepthResult, path: str, style: str = "light") -> bytes:
    """The gradient-factor figure of a depth run, encoded for `path`'s extension."""
    from actcli import figures  # deferred
    from actcli.propagation import figure  # deferred

    return figures.figure_bytes(figure.depth_figure(result, style=style), figure_format(path), 150)
