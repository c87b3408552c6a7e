"""The `actcli` command: parse options, call one library function, hand its result to `render`.

`main` is the only place that turns exceptions into a message on stderr and an exit code:
0 success, 1 a check ran and failed, 2 bad usage or input, 3 a resource limit, 130 Ctrl-C,
141 (as if killed by SIGPIPE, silently) when the reader of stdout went away (`| head -1`).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from actcli import __version__, api, render
from actcli.errors import (
    EXIT_CHECK_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    ActcliError,
    InputError,
    OutputClosed,
    SpecError,
    UsageError,
)

try:  # typer >= 0.22 vendors click; earlier versions use the click package
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import ClickException

EXIT_BROKEN_PIPE = 141

app = typer.Typer(
    name="actcli",
    help="Exact answers about neural-network activation functions.\n\n"
    "Example: actcli eval gelu 0.5 1 2",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

FormatOption = Annotated[
    str | None,
    typer.Option("--format", "-f", help="Output format (default: table on a terminal)."),
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="Set a parameter, NAME=VALUE (repeatable)."),
]
ExprOption = Annotated[
    str | None,
    typer.Option(
        "--expr", "-e", help='An inline definition instead of a name, e.g. "x*sigmoid(x)".'
    ),
]


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
        bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")
    ] = False,
) -> None:
    """Exact answers about neural-network activation functions."""


@app.command("list")
def list_command(
    tag: Annotated[str | None, typer.Option(help="Only this family, e.g. relu-like.")] = None,
    fmt: FormatOption = None,
) -> None:
    """List every activation: name, aliases, kind, parameters, family.

    Example: actcli list --tag relu-like --format csv
    """
    result = api.list_activations(tag)
    fmt = render.choose_format(fmt, ("table", "json", "csv", "tsv", "text"), "tsv")
    render.render(result, fmt)


@app.command("show")
def show_command(
    activation: Annotated[
        str | None, typer.Argument(help="Name, alias, or spec file.", show_default=False)
    ] = None,
    expr: ExprOption = None,
    param: ParamOption = None,
    fmt: FormatOption = None,
) -> None:
    """Show a definition, its parameters, claims, variants and references.

    Example: actcli show elu --param alpha=0.5 --format latex
    """
    bound = api.load_activation(
        activation, expression=expr, params=api.parse_param_options(param or [])
    )
    fmt = render.choose_format(fmt, ("table", "text", "json", "latex"), "text")
    render.render(api.show(bound), fmt)


@app.command("validate")
def validate_command(
    files: Annotated[list[str], typer.Argument(help="Spec files to check.", show_default=False)],
    fmt: FormatOption = None,
) -> None:
    """Check spec files; every problem is listed as file:line: field: what is wrong.

    Exit 0 when all are valid, 2 otherwise. Example: actcli validate my_act.yaml
    """
    result = api.validate(files)
    render.render(result, render.choose_format(fmt, ("text", "json"), "text"))
    if not result.ok:
        raise typer.Exit(EXIT_USAGE)


@app.command(
    "eval",
    context_settings={"ignore_unknown_options": True},
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
        str | None,
        typer.Option(help="Where a derivative does not exist: left, right or mean (else nan)."),
    ] = None,
    fmt: FormatOption = None,
) -> None:
    """Evaluate an activation (or its --order K derivative) at numbers.

    With no numbers, or '-', reads them from stdin: whitespace or newline separated; for vector
    activations one vector per line. Prints one value per line.

    Example: printf '0 1 -1000' | actcli eval gelu --order 1
    """
    words = [word.strip() for word in arguments or []]
    name = None
    if expr is not None and words and words[0] != "-" and not _is_number(words[0]):
        raise UsageError(f"give an activation ({words[0]!r}) or --expr, not both")
    if expr is None:
        if not words:
            raise UsageError("give an activation name, spec file or --expr")
        name = words.pop(0)
    unknown = [word for word in words if word.startswith("--")]
    if unknown:
        raise UsageError(f"no such option: {unknown[0]} (see actcli eval --help)")
    params = api.parse_param_options(param or [])
    spec = api.load_spec_argument(name, expression=expr, params=params)
    vector = spec.kind == "vector"
    if not words or words == ["-"]:
        text, source = sys.stdin.read(), "stdin"
    else:
        if "-" in words:
            raise UsageError("'-' (stdin) cannot be mixed with numbers")
        text, source = ("\n".join(words) if not vector else " ".join(words)), "argument"
    x = api.parse_numbers(text, vector=vector, source=source)
    if x.size == 0:
        raise InputError(f"{source}: no numbers given")
    result = api.evaluate_spec(spec, params, x, order=order, at_kink=at_kink)
    render.render(
        result, render.choose_format(fmt, ("text", "json", "csv", "tsv", "table"), "text")
    )


@app.command("derive")
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
    fmt: FormatOption = None,
) -> None:
    """Derive exactly: cases between breakpoints, and where the derivative does not exist.

    Parameters not given with --param stay symbolic. --format python or c prints code for f and
    its derivatives up to --order (all parameters at their values).

    Example: actcli derive elu --order 2
    """
    fmt = render.choose_format(fmt, ("text", "latex", "json", "python", "c"), "text")
    result = api.derive(
        activation,
        expression=expr,
        params=api.parse_param_options(param or []),
        order=order,
        wrt=wrt,
        output=in_terms_of_output,
        n=n,
        language=fmt if fmt in ("python", "c") else None,
    )
    render.render(result, "text" if fmt in ("python", "c") else fmt)
    if result.no_output_form:
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command("check")
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
    fmt: FormatOption = None,
) -> None:
    """Prove or refute every claim of a spec: holds, holds_approximately, partial, refuted
    (with a counterexample), unproven or not_yet_checked. Exit 1 when any is refuted.

    Example: actcli check softsign --claim derivative_in_terms_of_output='1 - y**2'
    """
    fmt = render.choose_format(fmt, ("table", "text", "json", "csv", "tsv"), "text")
    result = api.check(
        [*(activations or []), *(spec or [])],
        every=every,
        expression=expr,
        claims=claim or [],
        params=api.parse_param_options(param or []),
    )
    render.render(result, fmt)
    if result.refuted:
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command("smoothness")
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
    fmt: FormatOption = None,
) -> None:
    """Continuity class (C-1, C0, ..., Cinf), the one-sided limits and jumps at every point
    where it can fail, and for which parameter values each class holds.

    Example: actcli smoothness celu --require C1 && echo ok
    """
    from actcli.smoothness import class_rank

    required = class_rank(require) if require is not None else None
    result = api.smoothness(
        activation,
        expression=expr,
        params=api.parse_param_options(param or []),
        max_order=max_order,
        symbolic_params=symbolic_params,
    )
    render.render(result, render.choose_format(fmt, ("text", "json"), "text"))
    if required is not None and class_rank(result.smoothness_class) < required:
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command("properties")
def properties_command(
    activations: Annotated[
        list[str] | None,
        typer.Argument(help="Names, aliases or spec files.", show_default=False),
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Every scalar activation.")] = False,
    expr: ExprOption = None,
    param: ParamOption = None,
    fmt: FormatOption = None,
) -> None:
    """The property table: range, bounds, monotonicity, f(0), identity near 0, smoothness,
    saturation, zero-gradient regions, max |f'|, Gaussian moments, dead-unit probability; each
    entry says whether it was derived symbolically or numerically.

    Example: actcli properties relu gelu silu --format csv
    """
    result = api.properties(
        activations or [],
        every=every,
        expression=expr,
        params=api.parse_param_options(param or []),
    )
    render.render(
        result, render.choose_format(fmt, ("table", "text", "json", "csv", "tsv"), "text")
    )


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (the console script passes it to sys.exit)."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    # The option parser would read -1e5 as -1 -e 5 and -inf as -i -n -f: shield negative numbers
    # with a space, which every number parser here ignores.
    args = [f" {arg}" if arg.startswith("-") and _is_number(arg) else arg for arg in args]
    try:
        code = app(args=args, prog_name="actcli", standalone_mode=False)
        render.flush()
        if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C into this exit code
            print("actcli: interrupted", file=sys.stderr)
        return code if isinstance(code, int) else 0
    except OutputClosed:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except (KeyboardInterrupt, typer.Abort):
        print("actcli: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except typer.Exit as exc:
        return exc.exit_code
    except ClickException as exc:
        if debug:
            raise
        message = " ".join(exc.format_message().split())
        if message:  # empty when the help was shown for a bare `actcli`
            print(f"actcli: error: {message} (see actcli --help)", file=sys.stderr)
        return EXIT_USAGE
    except ActcliError as exc:
        if debug:
            raise
        _report(exc)
        return exc.exit_code


def _report(exc: ActcliError) -> None:
    if isinstance(exc, SpecError):
        for problem in exc.problems:
            print(problem, file=sys.stderr)
    else:
        message = " ".join(str(exc).split())
        print(f"actcli: error: {message}", file=sys.stderr)


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
