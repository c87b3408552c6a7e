"""The `actcli` command: parse options, call one library function, hand its result to `render`.

`main` is the only place that turns exceptions into a message on stderr and an exit code:
0 success, 1 a check ran and failed, 2 bad usage or input, 3 a resource limit, 70 a bug
(an unexpected exception; traceback with --debug), 130 Ctrl-C,
141 (as if killed by SIGPIPE, silently) when the reader of stdout went away (`| head -1`).
"""

# No `from __future__ import annotations` here: typer reads every command's annotations on
# each start, and evaluating them as strings (typing.get_type_hints) cost ~10 ms of each run.
import contextlib
import copy
import os
import shutil
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any, Literal

import typer
import typer.main

from actcli import api, completion, render
from actcli.errors import (
    EXIT_CHECK_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_RESOURCE,
    EXIT_USAGE,
    ActcliError,
    OutputClosed,
    SpecError,
    SpecPathWarning,
    UsageError,
)
from actcli.files import atomic_write, output_target
from actcli.formats import FORMATS, figure_format, table_format_for_path
from actcli.options import (
    TABLE_MAX_OUTPUT,
    TABLE_MAX_POINTS,
    TABLE_POINTS_LIMIT,
    check_order,
    choose_workers,
    format_bytes,
    format_name,
    is_number,
    number_format,
    parse_bytes,
    parse_counts,
    parse_grid,
    parse_orders,
    parse_param_options,
    parse_verdicts,
)
from actcli.spec import class_rank
from actcli.supervisor import current_step, memory_cap, say, split_timeout
from actcli.version import __version__

try:  # typer >= 0.22 vendors click; earlier versions use the click package
    from typer._click import Context, HelpFormatter
    from typer._click.exceptions import ClickException, NoArgsIsHelpError
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import ClickException, Context, HelpFormatter
    from click.exceptions import NoArgsIsHelpError

EXIT_BROKEN_PIPE = 141

app = typer.Typer(
    name="actcli",
    help="Exact answers about neural-network activation functions.\n\n"
    "Every command stops after --timeout SECONDS (anywhere on the command line; default 60, "
    "0 for none; or ACTCLI_TIMEOUT) with exit 3, and has ACTCLI_MAX_MEMORY (default 4G) of "
    "address space.\n\n"
    "Example: actcli eval gelu 0.5 1 2",
    add_completion=False,
    no_args_is_help=True,
    # click's help, never typer's rich formatter (it imports rich.markdown, markdown_it and
    # rich.traceback, ~35-50 ms of --help, and reads [...] in help as markup): plain text in a
    # pipe, panels drawn by `_PanelFormatter` on a terminal
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    # str.strip: choices (--format, --at-kink, --init) read " json" as json, as before
    context_settings={"help_option_names": ["-h", "--help"], "token_normalize_func": str.strip},
)


def _format_option(formats: tuple[str, ...], off_terminal: str, default: str = "") -> Any:
    """The --format option of one command: its formats as choices (any case), and its default
    on a terminal and off one (`default` overrides the sentence)."""
    if not default:
        on_terminal = "table" if "table" in formats else off_terminal
        default = (
            f"{on_terminal}"
            if on_terminal == off_terminal
            else f"{on_terminal} on a terminal, {off_terminal} otherwise"
        )
    # Literal[...] alone, not `| None`: unions are cached by equality, and Literals with the
    # same values in another order are equal, so the order shown would be another command's.
    return Annotated[
        Literal[formats],  # type: ignore[valid-type]
        typer.Option(
            "--format",
            "-f",
            help=f"Output format (default: {default}).",
            case_sensitive=False,
            callback=format_name,
            show_default=False,
        ),
    ]


ListFormat = _format_option(FORMATS["list"], "tsv")
ShowFormat = _format_option(FORMATS["show"], "text")
ValidateFormat = _format_option(FORMATS["validate"], "text")
EvalFormat = _format_option(FORMATS["eval"], "text")
DeriveFormat = _format_option(FORMATS["derive"], "text")
CheckFormat = _format_option(FORMATS["check"], "text")
SmoothnessFormat = _format_option(FORMATS["smoothness"], "text")
PropertiesFormat = _format_option(FORMATS["properties"], "text")
PlotFormat = _format_option(FORMATS["plot"], "text", "text: a summary on stderr")
TableFormat = _format_option(FORMATS["table"], "csv", "from the -o extension, else csv")
DepthFormat = _format_option(FORMATS["simulate-depth"], "tsv")
InitFormat = _format_option(FORMATS["init"], "tsv")
PhaseFormat = _format_option(FORMATS["phase"], "tsv")
WorkersOption = Annotated[
    int | None,
    typer.Option(
        help="Local worker processes (default: the machine's cores, one for small runs).",
        show_default=False,
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="Run on the Dask cluster at this address, e.g. tcp://host:8786 (default: "
        "$DASK_SCHEDULER_ADDRESS; needs actcli[dask]).",
        show_default=False,
    ),
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="Set a parameter, NAME=VALUE (repeatable)."),
]
ActivationsArgument = Annotated[
    list[str] | None,
    typer.Argument(help="Names, NAME:VARIANT, or spec files.", show_default=False),
]
ExprOption = Annotated[
    str | None,
    typer.Option(
        "--expr", "-e", help='An inline definition instead of a name, e.g. "x*sigmoid(x)".'
    ),
]


def _examples(*commands: str) -> str:
    """A command's help epilog: its examples, one a line (each runs as shown; tests/test_docs.py
    runs them all), each marked for click not to rewrap it (`\\b`): a command is not cut
    across lines at any terminal width."""
    label = "Example:" if len(commands) == 1 else "Examples:"
    return "\n\n".join((label, *(f"\b\n{command}" for command in commands)))


def _version(value: bool) -> None:
    if value:
        print(f"actcli {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Add the traceback (and Python warnings) on stderr; anywhere on the command "
            "line; exit codes stay the same.",
        ),
    ] = False,
) -> None:
    """Exact answers about neural-network activation functions."""


def _check_figure_path(plot: str | None) -> None:
    """A bad --plot extension or target fails before the work, not after it."""
    if plot is not None:
        figure_format(plot)
        output_target(plot)


@app.command(
    "list",
    epilog=_examples(
        "actcli list --tag relu-like --format csv",
        "actcli list --format text",
    ),
)
def list_command(
    tag: Annotated[str | None, typer.Option(help="Only this family, e.g. relu-like.")] = None,
    fmt: ListFormat = None,
) -> None:
    """List every activation: name, aliases, kind, parameters, family."""
    result = api.list_activations(tag)
    fmt = render.choose_format(fmt, FORMATS["list"], "tsv")
    render.render(result, fmt)


@app.command(
    "show",
    epilog=_examples(
        "actcli show elu --param alpha=0.5 --format latex",
    ),
)
def show_command(
    activation: Annotated[
        str | None, typer.Argument(help="Name, alias, or spec file.", show_default=False)
    ] = None,
    expr: ExprOption = None,
    param: ParamOption = None,
    fmt: ShowFormat = None,
) -> None:
    """Show a definition, its parameters, claims, variants and references."""
    bound = api.load_activation(
        activation, expression=expr, params=parse_param_options(param or [])
    )
    fmt = render.choose_format(fmt, FORMATS["show"], "text")
    render.render(api.show(bound), fmt)


@app.command(
    "validate",
    epilog=_examples(
        "actcli validate examples/penalized_tanh.yaml",
    ),
)
def validate_command(
    files: Annotated[list[str], typer.Argument(help="Spec files to check.", show_default=False)],
    fmt: ValidateFormat = None,
) -> None:
    """Check spec files; every problem is listed as file:line: field: what is wrong.

    Exit 0 when all are valid, 2 otherwise.
    """
    result = api.validate(files)
    render.render(result, render.choose_format(fmt, FORMATS["validate"], "text"))
    if not result.ok:
        raise typer.Exit(EXIT_USAGE)


@app.command(
    "eval",
    context_settings={"ignore_unknown_options": True},
    epilog=_examples(
        "printf '0 1 -1000' | actcli eval gelu --order 1",
        "actcli eval relu 0 --order 1 --at-kink right",
    ),
)
def eval_command(
    arguments: Annotated[
        list[str] | None,
        typer.Argument(
            help="ACT then numbers (or '-' for stdin); with --expr only numbers.",
            show_default=False,
        ),
    ] = None,
    expr: ExprOption = None,
    param: ParamOption = None,
    order: Annotated[int, typer.Option("--order", "-k", help="Derivative order.")] = 0,
    at_kink: Annotated[
        Literal["left", "right", "mean"] | None,
        typer.Option(
            help="Where a derivative does not exist: the left or right one, or their mean "
            "(default: nan).",
            case_sensitive=False,
        ),
    ] = None,
    column: Annotated[
        str | None,
        typer.Option(help="CSV/TSV input: the column to read, 1-based or by header name."),
    ] = None,
    fmt: EvalFormat = None,
) -> None:
    """Evaluate an activation (or its --order K derivative) at numbers.

    With no numbers, or '-', reads them from stdin: whitespace or newline separated, '#'
    comments and blank lines skipped; CSV/TSV with a header row (as table writes it) reads the
    column x or --column; for vector activations one vector per line. Prints one value per line
    (nothing for empty input).
    """
    check_order(order)
    words = [word.strip() for word in arguments or []]
    name = None
    if expr is not None and words and words[0] != "-" and not is_number(words[0]):
        raise UsageError(f"give an activation ({words[0]!r}) or --expr, not both")
    if expr is None:
        if not words:
            raise UsageError("give an activation name, spec file or --expr")
        name = words.pop(0)
    unknown = [word for word in words if word.startswith("--")]
    if unknown:
        raise UsageError(f"no such option: {unknown[0]} (see actcli eval --help)")
    params = parse_param_options(param or [])
    spec = api.load_spec_argument(name, expression=expr, params=params)
    vector = spec.kind == "vector"
    if not words or words == ["-"]:
        text, source = _read_stdin(), "stdin"
    else:
        if "-" in words:
            raise UsageError("'-' (stdin) cannot be mixed with numbers")
        text, source = ("\n".join(words) if not vector else " ".join(words)), "argument"
        if column is None:  # a few numbers: without NumPy where that gives the same floats
            quick = api.evaluate_numbers(spec, params, words, order=order, at_kink=at_kink)
            if quick is not None:
                render.render(quick, render.choose_format(fmt, FORMATS["eval"], "text"))
                return
    x = api.parse_numbers(text, vector=vector, source=source, column=column)
    if x.size == 0:  # empty input (or only comments): nothing to print
        return
    result = api.evaluate_spec(spec, params, x, order=order, at_kink=at_kink)
    render.render(result, render.choose_format(fmt, FORMATS["eval"], "text"))


def _read_stdin() -> str:
    """All of stdin; one that cannot be read (closed: `<&-`) is bad input, not a bug."""
    try:
        return sys.stdin.read()
    except OSError as exc:
        raise UsageError(
            f"cannot read stdin ({exc.strerror}): give the numbers as arguments or on stdin"
        ) from None


@app.command(
    "derive",
    epilog=_examples(
        "actcli derive elu --order 2",
        "actcli derive gelu --format c --order 1",
    ),
)
def derive_command(
    activation: Annotated[
        str | None, typer.Argument(help="Name, alias, or spec file.", show_default=False)
    ] = None,
    expr: ExprOption = None,
    param: ParamOption = None,
    order: Annotated[int, typer.Option("--order", "-k", help="Derivative order.")] = 1,
    wrt: Annotated[str, typer.Option(help="Differentiate by x or by a parameter.")] = "x",
    in_terms_of_output: Annotated[
        bool, typer.Option("--in-terms-of-output", help="f' as a function of y = f(x).")
    ] = False,
    n: Annotated[
        int | None, typer.Option("--n", help="Vector kinds: the explicit n x n Jacobian.")
    ] = None,
    fmt: DeriveFormat = None,
) -> None:
    """Derive exactly: cases between breakpoints, and where the derivative does not exist.

    Parameters not given with --param stay symbolic. --format python or c prints code for f and
    its derivatives up to --order (all parameters at their values).
    """
    fmt = render.choose_format(fmt, FORMATS["derive"], "text")
    check_order(order, 0 if fmt in ("python", "c") else 1)
    result = api.derive(
        activation,
        expression=expr,
        params=parse_param_options(param or []),
        order=order,
        wrt=wrt,
        output=in_terms_of_output,
        n=n,
        language=fmt if fmt in ("python", "c") else None,
    )
    render.render(result, "text" if fmt in ("python", "c") else fmt)
    if result.no_output_form:
        render.failed("derive", f"{result.activation}: {result.no_output_form}")
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command(
    "check",
    epilog=_examples(
        "actcli check tanh --claim derivative_in_terms_of_output='1 - y**2'",
    ),
)
def check_command(
    activations: Annotated[
        list[str] | None,
        typer.Argument(help="Names, aliases or spec files.", show_default=False),
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Every registered activation.")] = False,
    spec: Annotated[
        list[str] | None, typer.Option("--spec", help="A spec file to check (repeatable).")
    ] = None,
    expr: ExprOption = None,
    claim: Annotated[
        list[str] | None,
        typer.Option("--claim", help="Check KEY=VALUE instead of the spec's own claims."),
    ] = None,
    param: ParamOption = None,
    workers: WorkersOption = None,
    fmt: CheckFormat = None,
) -> None:
    """Prove or refute every claim of a spec: holds, holds_approximately, partial, refuted
    (with a counterexample), unproven or not_yet_checked. Exit 1 when any is refuted.
    """
    fmt = render.choose_format(fmt, FORMATS["check"], "text")
    result = api.check(
        [*(activations or []), *(spec or [])],
        every=every,
        expression=expr,
        claims=claim or [],
        params=parse_param_options(param or []),
        workers=workers,
    )
    render.render(result, fmt)
    if result.refuted:
        render.failed("check", render.refuted_reason(result))
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command(
    "smoothness",
    epilog=_examples(
        "actcli smoothness celu --require C1 && echo ok",
    ),
)
def smoothness_command(
    activation: Annotated[
        str | None, typer.Argument(help="Name, alias, or spec file.", show_default=False)
    ] = None,
    expr: ExprOption = None,
    param: ParamOption = None,
    max_order: Annotated[int, typer.Option(help="Check f, f', ..., f^(K).")] = 3,
    symbolic_params: Annotated[
        bool,
        typer.Option("--symbolic-params", help="Parameters symbolic: the condition of each class."),
    ] = False,
    require: Annotated[
        str | None, typer.Option(help="Exit 1 when less smooth than this class, e.g. C1.")
    ] = None,
    fmt: SmoothnessFormat = None,
) -> None:
    """Continuity class (C-1, C0, ..., Cinf), the one-sided limits and jumps at every point
    where it can fail, and for which parameter values each class holds.
    """
    required = class_rank(require) if require is not None else None
    result = api.smoothness(
        activation,
        expression=expr,
        params=parse_param_options(param or []),
        max_order=max_order,
        symbolic_params=symbolic_params,
    )
    render.render(result, render.choose_format(fmt, FORMATS["smoothness"], "text"))
    if required is not None and class_rank(result.smoothness_class) < required:
        found = f"{result.activation} is {result.smoothness_class}"
        render.failed("smoothness", f"{found}, below the required {require}")
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command(
    "properties",
    epilog=_examples(
        "actcli properties relu gelu silu --format csv",
    ),
)
def properties_command(
    activations: Annotated[
        list[str] | None,
        typer.Argument(help="Names, aliases or spec files.", show_default=False),
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every registered activation, vector kinds included.")
    ] = False,
    expr: ExprOption = None,
    param: ParamOption = None,
    workers: WorkersOption = None,
    fmt: PropertiesFormat = None,
) -> None:
    """The property table: range, bounds, monotonicity, f(0), identity near 0, smoothness,
    saturation, zero-gradient regions, max |f'|, Gaussian moments, dead-unit probability; each
    entry says whether it was derived symbolically or numerically.
    """
    result = api.properties(
        activations or [],
        every=every,
        expression=expr,
        params=parse_param_options(param or []),
        workers=workers,
    )
    render.render(result, render.choose_format(fmt, FORMATS["properties"], "text"))


RangeOption = Annotated[
    tuple[float, float],
    typer.Option("--range", help="The x range, LO HI (negative numbers are fine: -5 5)."),
]


@app.command(
    "plot",
    epilog=_examples(
        "actcli plot elu --sweep alpha=0.5,1,2 --order 0,1 -o elu.png",
    ),
)
def plot_command(
    activations: ActivationsArgument = None,
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", help="Image file: .png, .svg or .pdf; - writes PNG to stdout."
        ),
    ] = "",
    expr: ExprOption = None,
    param: ParamOption = None,
    sweep: Annotated[
        str | None,
        typer.Option(help="Overlay a parameter family, NAME=V1,V2,... e.g. alpha=0.5,1,2."),
    ] = None,
    order: Annotated[str, typer.Option("--order", "-k", help="Panels: orders, e.g. 0,1,2.")] = "0",
    x_range: RangeOption = (-5.0, 5.0),
    points: Annotated[
        int | None, typer.Option(help="Uniform samples (breakpoints always get their own).")
    ] = None,
    saturation: Annotated[
        float | None, typer.Option(help="Shade where |f'| < EPS (vanishing gradients).")
    ] = None,
    dpi: Annotated[float, typer.Option(help="Resolution of PNG output.")] = 150.0,
    size: Annotated[
        tuple[float, float] | None, typer.Option(help="Figure size W H in inches.")
    ] = None,
    style: Annotated[str, typer.Option(help="light or dark.")] = "light",
    title: Annotated[str | None, typer.Option(help="Figure title (default: the spec's).")] = None,
    slice_dim: Annotated[
        int, typer.Option(help="Vector kinds: plot along x = (t, 0, ..., 0) of this length.")
    ] = 3,
    fmt: PlotFormat = None,
) -> None:
    """Draw activations and their derivatives: one panel per order, jumps as gaps with
    open/closed markers, points where a derivative does not exist marked.
    """
    if not output:
        raise UsageError("give -o FILE (.png, .svg, .pdf) or -o - for PNG on stdout")
    fmt = render.choose_format(fmt, FORMATS["plot"], "text")
    if output == "-" and fmt == "json":
        raise UsageError("-o - writes the image to stdout: --format json needs -o FILE")
    if output != "-":
        output_target(output)  # a folder, a device or a missing folder fails before the work
    data, result = api.plot(
        activations or [],
        output=output,
        expression=expr,
        params=parse_param_options(param or []),
        sweep=sweep,
        dpi=dpi,
        orders=parse_orders(order),
        lo=x_range[0],
        hi=x_range[1],
        points=points,
        saturation=saturation,
        style=style,
        size=size,
        title=title,
        slice_dim=slice_dim,
    )
    if output == "-":
        render.write_bytes(data)
        render.diagnostics(result)
        return
    atomic_write(output, data)
    if fmt == "json":
        render.render(result, fmt)
    else:
        render.diagnostics(result)


@app.command(
    "table",
    epilog=_examples(
        "actcli table gelu --range -8 8 --max-error 1e-3 --fixed-point Q3.12 -o gelu_lut.h",
    ),
)
def table_command(
    activation: Annotated[
        str | None,
        typer.Argument(help="Name, NAME:VARIANT, or spec file.", show_default=False),
    ] = None,
    expr: ExprOption = None,
    param: ParamOption = None,
    x_range: RangeOption = (-8.0, 8.0),
    points: Annotated[int | None, typer.Option(help="Number of entries N.")] = None,
    step: Annotated[float | None, typer.Option(help="Grid step H (must divide the range).")] = None,
    max_error: Annotated[
        float | None,
        typer.Option(help="Smallest N whose certified error (interpolation + rounding) is <= E."),
    ] = None,
    max_points: Annotated[
        int,
        typer.Option(help=f"Refuse tables above N entries (at most {TABLE_POINTS_LIMIT})."),
    ] = TABLE_MAX_POINTS,
    max_output_size: Annotated[
        str,
        typer.Option(
            help="Refuse (exit 3) a table estimated larger than this in the chosen format, e.g. 1G."
        ),
    ] = TABLE_MAX_OUTPUT,
    interp: Annotated[
        str, typer.Option(help="How the consumer reads it: linear, nearest, or none (floor).")
    ] = "linear",
    order: Annotated[str, typer.Option("--order", "-k", help="Columns: orders, e.g. 0,1.")] = "0",
    fixed_point: Annotated[
        str | None, typer.Option(help="Signed fixed point Qm.n, e.g. Q3.12.")
    ] = None,
    dtype: Annotated[
        str | None,
        typer.Option(help="int8, int16, int32 (fixed point), float16, float32, float64."),
    ] = None,
    fold: Annotated[
        bool, typer.Option(help="Store x >= 0 only, using the symmetry (odd, sigmoid-like).")
    ] = False,
    output: Annotated[
        str, typer.Option("--output", "-o", help="File to write (atomically); - is stdout.")
    ] = "-",
    fmt: TableFormat = None,
) -> None:
    """A lookup table of f (and derivatives) with a certified error bound, as csv, tsv, json,
    npy, a C header (c) or Verilog $readmemh words (hex).
    """
    if output != "-":
        output_target(output)  # a folder, a device or a missing folder fails before the work
        fmt = table_format_for_path(output, fmt) or fmt
    if fmt is None:
        fmt = "csv"
    fmt = render.choose_format(fmt, FORMATS["table"], "csv")
    result = api.table(
        activation,
        expression=expr,
        params=parse_param_options(param or []),
        lo=x_range[0],
        hi=x_range[1],
        points=points,
        step=step,
        max_error=max_error,
        max_points=max_points,
        interp=interp,
        orders=parse_orders(order),
        number_format=number_format(fixed_point, dtype),
        fold=fold,
        output_format=fmt,
        max_output_bytes=parse_bytes(max_output_size, "--max-output-size"),
    )
    data = api.table_bytes(result, fmt)
    if output == "-":
        render.write_bytes(data, binary=fmt == "npy")
    else:
        atomic_write(output, data)
    render.diagnostics(result)


@app.command(
    "simulate-depth",
    epilog=_examples(
        "actcli simulate-depth relu tanh sigmoid --depth 50 --plot depth.png",
        "actcli simulate-depth relu tanh --depth 10,30 --width 32,128 --seeds 2 --format tsv",
    ),
)
def simulate_depth_command(
    activations: Annotated[
        list[str] | None,
        typer.Argument(
            help="Names, NAME:VARIANT, or spec files (compared, ranked).", show_default=False
        ),
    ] = None,
    expr: ExprOption = None,
    param: ParamOption = None,
    mode: Annotated[str, typer.Option(help="montecarlo, meanfield, chain, or all.")] = "all",
    depth: Annotated[
        str, typer.Option(help="Layers L, or a list such as 10,50,100 (a grid with --width).")
    ] = "50",
    width: Annotated[
        str, typer.Option(help="Units per layer N, or a list such as 256,1024.")
    ] = "256",
    batch: Annotated[int, typer.Option(help="Inputs per network B.")] = 128,
    init: Annotated[
        Literal["he", "kaiming", "xavier", "glorot", "lecun", "orthogonal"] | None,
        typer.Option(
            help="Weight initialisation (default: the customary one of each activation).",
            case_sensitive=False,
        ),
    ] = None,
    sigma_w2: Annotated[
        float | None, typer.Option("--sigma-w2", help="Weight variance times fan-in.")
    ] = None,
    sigma_b2: Annotated[float, typer.Option("--sigma-b2", help="Bias variance.")] = 0.0,
    critical: Annotated[
        bool, typer.Option(help="Run at the sigma_w^2 where chi_1 = 1 (edge of chaos).")
    ] = False,
    dtype: Annotated[str, typer.Option(help="float32 or float64.")] = "float32",
    seed: Annotated[int, typer.Option(help="Seed of every random draw.")] = 0,
    seeds: Annotated[int, typer.Option(help="Independent networks S.")] = 5,
    input_variance: Annotated[float, typer.Option(help="Variance q0 of the inputs.")] = 1.0,
    top_gradient: Annotated[
        str, typer.Option(help="delta^L: normal (random N(0, I)) or ones (sum of outputs).")
    ] = "normal",
    weights: Annotated[
        str, typer.Option(help="Chain weights: normal or constant:VALUE.")
    ] = "normal",
    biases: Annotated[
        str,
        typer.Option(help="Chain biases: normal, constant:VALUE or zero-preactivation."),
    ] = "normal",
    vanish_below: Annotated[
        float, typer.Option(help="Verdict: vanishing when the total factor is below this.")
    ] = 1e-2,
    explode_above: Annotated[
        float, typer.Option(help="Verdict: exploding when the total factor is above this.")
    ] = 1e2,
    fail_on: Annotated[
        str | None,
        typer.Option(help="Exit 1 on these verdicts, e.g. vanishing,exploding."),
    ] = None,
    max_memory: Annotated[
        str | None,
        typer.Option(help="Refuse (exit 3) above this estimate, e.g. 2G (default: half of free)."),
    ] = None,
    layers: Annotated[bool, typer.Option("--layers", help="Also the per-layer table.")] = False,
    plot: Annotated[
        str | None, typer.Option(help="Write the gradient-factor figure (.png, .svg, .pdf).")
    ] = None,
    style: Annotated[str, typer.Option(help="Figure style: light or dark.")] = "light",
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    fmt: DepthFormat = None,
) -> None:
    """How gradients grow or shrink through L layers: random networks (Monte Carlo), mean-field
    theory and the one-neuron chain, with a verdict per activation (vanishing, stable,
    exploding).
    """
    fmt = render.choose_format(fmt, FORMATS["simulate-depth"], "tsv")
    failing = parse_verdicts(fail_on)
    depths, widths = parse_counts(depth, "--depth"), parse_counts(width, "--width")
    workers, scheduler = choose_workers(workers, scheduler)
    _check_figure_path(plot)
    with render.progress("simulating") as progress:
        result = api.simulate_depth(
            activations or [],
            expression=expr,
            params=parse_param_options(param or []),
            mode=mode,
            depth=depths,
            width=widths,
            batch=batch,
            init=init,
            sigma_w2=sigma_w2,
            sigma_b2=sigma_b2,
            critical=critical,
            dtype=dtype,
            seed=seed,
            seeds=seeds,
            input_variance=input_variance,
            top_gradient=top_gradient,
            weights=weights,
            biases=biases,
            vanish_below=vanish_below,
            explode_above=explode_above,
            max_memory=None if max_memory is None else parse_bytes(max_memory),
            progress=progress,
            workers=workers,
            scheduler=scheduler,
        )
    if plot is not None:
        atomic_write(plot, api.depth_figure_bytes(result, plot, style=style))
    render.render(result, fmt, layers=layers)
    failed = [
        f"{result.label(run)} is {run.verdict}" for run in result.runs if run.verdict in failing
    ]
    if failed:
        render.failed("simulate-depth", f"{', '.join(failed)} (--fail-on {fail_on})")
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command(
    "init",
    epilog=_examples(
        "actcli init relu tanh selu leaky_relu --format tsv",
        "actcli init tanh gelu --sigma-b2 0.05 --format json",
    ),
)
def init_command(
    activations: ActivationsArgument = None,
    expr: ExprOption = None,
    param: ParamOption = None,
    sigma_b2: Annotated[float, typer.Option("--sigma-b2", help="Bias variance sigma_b^2.")] = 0.0,
    fmt: InitFormat = None,
) -> None:
    """Weight initialisation from mean-field theory: the variance preserving sigma_w^2 (weight
    variance times fan-in; gain = its square root) that keeps the pre-activation variance at
    q = 1 (sigma_w^2 E[f(z)^2] + sigma_b^2 = 1, z ~ N(0, 1): the second moment, so a non-zero
    mean E[f(z)] counts as signal), chi_1 and the depth scale there; the critical sigma_w^2
    (edge of chaos, chi_1 = 1 at the fixed point q*, or none and why); and PyTorch's
    calculate_gain where it defines one, with the ratio of the two gains.
    """
    fmt = render.choose_format(fmt, FORMATS["init"], "tsv")
    result = api.init(
        activations or [],
        expression=expr,
        params=parse_param_options(param or []),
        sigma_b2=sigma_b2,
    )
    render.render(result, fmt)


@app.command(
    "phase",
    # click's short help ends at the first ". ", which "et al. 2017" would cut
    short_help="The mean-field phase diagram on a grid of sigma_w^2 and sigma_b^2.",
    epilog=_examples(
        "actcli phase tanh relu --sigma-w2 0.5:3:6 --sigma-b2 0:0.2:3 --format text",
        "actcli phase tanh --sigma-w2 1:4:21 --sigma-b2 0:0.3:11 --plot phase.png",
        "actcli phase tanh relu --sigma-w2 0.5:3:6 --sigma-b2 0:0.2:3 --workers 2",
    ),
)
def phase_command(
    activations: ActivationsArgument = None,
    expr: ExprOption = None,
    param: ParamOption = None,
    sigma_w2: Annotated[
        str,
        typer.Option(
            "--sigma-w2",
            help="Weight variance grid LO:HI:N (columns; LO > 0, 2 <= N <= 200).",
        ),
    ] = "1:4:13",
    sigma_b2: Annotated[
        str,
        typer.Option(
            "--sigma-b2", help="Bias variance grid LO:HI:N (rows; LO >= 0, 2 <= N <= 200)."
        ),
    ] = "0:0.2:9",
    plot: Annotated[
        str | None,
        typer.Option(help="Write chi_1 over the grid with the critical line (.png, .svg, .pdf)."),
    ] = None,
    style: Annotated[str, typer.Option(help="Figure style: light or dark.")] = "light",
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    fmt: PhaseFormat = None,
) -> None:
    """The mean-field phase diagram (Schoenholz et al. 2017): on a grid of sigma_w^2 (weight
    variance times fan-in) and sigma_b^2, the fixed point q* of q = sigma_w^2 E[f(sqrt(q) z)^2] +
    sigma_b^2, chi_1 = sigma_w^2 E[f'(sqrt(q*) z)^2], the depth scale -1/ln chi_1 and the phase
    (ordered chi_1 < 1, critical, chaotic chi_1 > 1, divergent: no finite q*); and the critical
    line, the sigma_w^2 with chi_1 = 1 at each sigma_b^2 (root finding, not read off the grid).
    """
    fmt = render.choose_format(fmt, FORMATS["phase"], "tsv")
    parse_grid(sigma_w2, "--sigma-w2", positive=True)  # bad grids fail before any work
    parse_grid(sigma_b2, "--sigma-b2")
    workers, scheduler = choose_workers(workers, scheduler)
    _check_figure_path(plot)
    with render.progress("phase diagram") as progress:
        result = api.phase(
            activations or [],
            expression=expr,
            params=parse_param_options(param or []),
            sigma_w2=sigma_w2,
            sigma_b2=sigma_b2,
            progress=progress,
            workers=workers,
            scheduler=scheduler,
        )
    if plot is not None:
        atomic_write(plot, api.phase_figure_bytes(result, plot, style=style))
    render.render(result, fmt)


@app.command("help", epilog=_examples("actcli help table"))
def help_command(
    command: Annotated[
        str | None, typer.Argument(help="A command (none: the overview).", show_default=False)
    ] = None,
) -> None:
    """Show the help of a command, as `actcli COMMAND --help` does (`actcli help`: the overview)."""
    code = _command_tree()(
        args=[*([command] if command is not None else []), "--help"],
        prog_name="actcli",
        standalone_mode=False,
    )
    raise typer.Exit(code if isinstance(code, int) else 0)


@app.command(
    "completion",
    epilog=_examples(
        'eval "$(actcli completion bash)"',
        "actcli completion fish > actcli.fish",
    ),
)
def completion_command(
    ctx: typer.Context,
    shell: Annotated[
        Literal["bash", "zsh", "fish"],
        typer.Argument(help="The shell.", case_sensitive=False, show_default=False),
    ],
) -> None:
    """Print a shell completion script: commands, options, choices and activation names
    (`eval "$(actcli completion bash)"` in ~/.bashrc; zsh alike; fish: save it as
    ~/.config/fish/completions/actcli.fish)."""
    sys.stdout.write(completion.script(ctx.find_root().command, shell.lower()))


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (the console script passes it to sys.exit)."""
    args = sys.argv[1:] if argv is None else argv
    args, debug = _take_debug(args)
    try:  # the console script's supervisor enforces it; in process it is only accepted
        args, _ = split_timeout(args)
    except UsageError as exc:
        _report(exc)
        return exc.exit_code
    # The option parser would read -1e5 as -1 -e 5 and -inf as -i -n -f: shield negative numbers
    # with a space, which every number parser here ignores.
    args = [f" {arg}" if arg.startswith("-") and is_number(arg) else arg for arg in args]
    with (
        _signals(),
        warnings.catch_warnings(),
        render.complete_writes(),
        render.lossy_stderr(),
        render.progress_line(),
    ):
        if not debug:  # NumPy overflow, SymPy deprecations, matplotlib: not the user's business
            warnings.simplefilter("ignore")
        warnings.filterwarnings("default", category=SpecPathWarning)  # a skipped user spec
        warnings.showwarning = _show_warning(warnings.showwarning)
        return _run(args, debug)


def _take_debug(args: list[str]) -> tuple[list[str], bool]:
    """--debug anywhere before `--` (before or after the command): the arguments without it,
    and whether it was given. It only adds tracebacks (and Python warnings) on stderr."""
    end = args.index("--") if "--" in args else len(args)
    kept = [arg for arg in args[:end] if arg != "--debug"]
    return [*kept, *args[end:]], len(kept) < end


def _traceback(debug: bool) -> None:
    """Under --debug, the traceback of the exception being handled, on stderr."""
    if debug:
        with contextlib.suppress(OSError, ValueError):  # stderr closed: nothing to do
            traceback.print_exc()


def _show_warning(previous: Callable[..., None]) -> Callable[..., None]:
    """A SpecPathWarning as one `actcli: warning: ...` line; other warnings as before."""

    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, SpecPathWarning):
            _say(f"actcli: warning: {' '.join(str(message).split())}")
        else:
            previous(message, category, *args, **kwargs)

    return show


class _PanelFormatter(HelpFormatter):
    """click's help, kept as blocks (the usage line, paragraphs, each section's rows) for
    `render.help_panels`, which draws the sections as panels: on a terminal only (in a pipe
    help is click's plain text), at the terminal's width: click's `width` and `max_width` (80
    columns unless the context sets one) are taken and not used, as panels fill the terminal."""

    def __init__(self, indent_increment: int = 2, width: Any = None, max_width: Any = None):
        columns = shutil.get_terminal_size().columns
        super().__init__(indent_increment, width=max(columns - 2, 50))
        self.columns = max(columns, 52)
        self.blocks: list[tuple[str, Any]] = []
        self._section: str | None = None

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        self._keep_text()
        super().write_usage(prog, args, prefix)
        self.blocks.append(("usage", self._taken()))

    @contextlib.contextmanager
    def section(self, name: str) -> Iterator[None]:
        self._keep_text()
        self._section = name
        try:
            yield
        finally:
            self._section = None

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        if self._section is None:
            super().write_dl(rows, col_max, col_spacing)
        else:
            self.blocks.append(("section", (self._section, list(rows))))

    def getvalue(self) -> str:
        self._keep_text()
        return render.help_panels(self.blocks, self.columns, render.wants_colour(sys.stdout))

    def _keep_text(self) -> None:
        text = self._taken()
        if text.strip():
            self.blocks.append(("text", text))

    def _taken(self) -> str:
        text = "".join(self.buffer)
        self.buffer.clear()
        return text


class _PanelContext(Context):
    formatter_class = _PanelFormatter


def _help_on_terminal(command: Any) -> Any:
    """`command` with its help in panels where stdout is a terminal."""
    if sys.stdout.isatty():
        command.context_class = _PanelContext
    return command


class _Commands(Mapping[str, Any]):
    """The root group's commands by name, each built by typer from its registration when first
    looked up: building all 15 (their options, from the annotations) cost 5-7 ms of every run,
    which runs one. Help and `completion` read them all."""

    def __init__(self, typer_app: typer.Typer) -> None:
        self._app = typer_app
        self._registered = {info.name: info for info in typer_app.registered_commands}
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            self._built[name] = _help_on_terminal(
                typer.main.get_command_from_info(
                    self._registered[name],
                    pretty_exceptions_short=self._app.pretty_exceptions_short,
                    rich_markup_mode=self._app.rich_markup_mode,
                )
            )
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._registered)

    def __len__(self) -> int:
        return len(self._registered)


def _command_tree() -> Any:
    """The click group typer makes of `app` (as `app(...)` would), its commands `_Commands`."""
    root = copy.copy(app)
    root.registered_commands = []  # the group alone: its callback, options and settings
    group = _help_on_terminal(typer.main.get_group(root))
    group.commands = _Commands(app)
    return group


def _run(args: list[str], debug: bool) -> int:
    try:
        code = _command_tree()(args=args, prog_name="actcli", standalone_mode=False)
        render.flush()
        if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C into this exit code
            print("actcli: interrupted", file=sys.stderr)
        return code if isinstance(code, int) else 0
    except OutputClosed:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except _Terminated as exc:
        _flush_or_silence_stdout()
        with contextlib.suppress(OSError, ValueError):  # stderr may be gone too (SIGHUP)
            print(f"actcli: terminated ({signal.Signals(exc.signum).name})", file=sys.stderr)
        return 128 + exc.signum
    except (KeyboardInterrupt, typer.Abort):
        print("actcli: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except typer.Exit as exc:
        return exc.exit_code
    except NoArgsIsHelpError as exc:  # a bare `actcli`: its help, as --help prints it; exit 2
        sys.stdout.write(exc.format_message())
        render.flush()
        return EXIT_USAGE
    except ClickException as exc:
        _traceback(debug)
        _say(f"actcli: error: {' '.join(exc.format_message().split())} (see actcli --help)")
        return EXIT_USAGE
    except ActcliError as exc:
        _traceback(debug)
        _flush_or_silence_stdout()
        _report(exc)
        return exc.exit_code
    except MemoryError:
        _traceback(debug)
        doing = current_step()
        where = f" while {doing}" if doing else ""
        cap = memory_cap()
        raise_it = (
            ""
            if cap is None
            else f"; the address space is capped at {format_bytes(cap)}, raise it with "
            f"ACTCLI_MAX_MEMORY (e.g. {format_bytes(2 * cap)})"
        )
        print(f"actcli: error: out of memory{where}{raise_it}", file=sys.stderr)
        return EXIT_RESOURCE
    except Exception as exc:  # a bug: still one line, the traceback behind --debug
        _traceback(debug)
        hint = "the traceback is above" if debug else "rerun with --debug for the traceback"
        _say(
            f"actcli: internal error: {type(exc).__name__}: {' '.join(str(exc).split())} "
            f"(a bug in actcli; {hint})"
        )
        return EXIT_INTERNAL


class _Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind (temporary files are removed), then exit 128 + signum.

    A BaseException, like KeyboardInterrupt, so no `except Exception` on the way swallows it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals() -> Iterator[None]:
    """For the time of a command: SIGTERM and SIGHUP raise `_Terminated` (once; a repeat is
    ignored while unwinding; left alone when ignored already, as under nohup), and SIGXFSZ is
    ignored for good, so that a write over the file size limit (ulimit -f) fails with EFBIG and
    is reported instead of killing the process."""
    if threading.current_thread() is not threading.main_thread():  # signals need the main one
        yield
        return
    with contextlib.suppress(AttributeError, ValueError):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    caught: list[int] = []

    def terminate(signum: int, frame: object) -> None:
        if not caught:
            caught.append(signum)
            raise _Terminated(signum)

    names = ("SIGTERM", "SIGHUP")
    numbers = [getattr(signal, name) for name in names if hasattr(signal, name)]
    # a signal ignored on purpose stays ignored (`nohup actcli ...`)
    numbers = [number for number in numbers if signal.getsignal(number) != signal.SIG_IGN]
    previous = {number: signal.signal(number, terminate) for number in numbers}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)


MAX_MESSAGE = 300


def _say(line: str) -> None:
    """One line on stderr, cut to MAX_MESSAGE characters (an echoed input can be megabytes)."""
    if len(line) > MAX_MESSAGE:
        line = line[: MAX_MESSAGE - 3] + "..."
    say(line)


def _report(exc: ActcliError) -> None:
    if isinstance(exc, SpecError):
        for problem in exc.problems:
            _say(problem)
    else:
        message = " ".join(str(exc).split())
        _say(f"actcli: error: {message}")


def _flush_or_silence_stdout() -> None:
    """Push out what is buffered for stdout; if that fails (disk full, reader gone), drop it, so
    the interpreter's own flush at exit neither prints a traceback nor changes the exit code."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        _silence_stdout()


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
