"""The one place that prints results: table (rich), json, csv, tsv, text and latex.

Results go to stdout, diagnostics to stderr. No colour or markup when stdout is not a terminal
or NO_COLOR is set. JSON is one document per invocation (indented on a terminal, one line
otherwise); non-finite numbers are the strings "inf", "-inf", "nan".
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import select
import shutil
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any, TextIO, cast

from actcli.catalog import ListResult, ShowResult, ValidateResult, pieces_text
from actcli.errors import OutputClosed, ResourceLimitError, UsageError
from actcli.formats import column_name, legacy_output
from actcli.supervisor import progress_listener

if TYPE_CHECKING:  # rendered by class name, so `actcli list` imports none of these
    from actcli.check import CheckResult
    from actcli.derive import DeriveResult
    from actcli.evaluation import EvalResult
    from actcli.properties import PropertiesResult
    from actcli.scalars import ScalarResult
    from actcli.smoothness import Smoothness


def wants_colour(stream: IO[str]) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")


def help_panels(blocks: Sequence[tuple[str, Any]], width: int, colour: bool) -> str:
    """Help for a terminal: click's usage line and paragraphs as click wrapped them, each
    section (Options, Arguments, Commands) a rounded panel of two columns, the look of typer's
    rich help. Drawn with rich's console, panel and table only: typer's own formatter imports
    rich.markdown and rich.traceback, ~35 ms of every `--help`. `blocks` are ("usage", text),
    ("text", text) and ("section", (name, [(term, help), ...])); help is data, never markup."""
    from rich.console import Console  # deferred: rich loads only for a terminal
    from rich.panel import Panel  # deferred
    from rich.table import Table  # deferred
    from rich.text import Text  # deferred

    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        force_terminal=True,
        color_system="auto" if colour else None,  # NO_COLOR: no escape codes at all
        highlight=False,
        markup=False,
        emoji=False,
    )
    previous = None
    for kind, value in blocks:
        if previous is not None and not (kind == previous == "section"):
            console.print()  # a blank line between blocks, none between two panels
        previous = kind
        if kind == "usage":
            prefix, _, rest = value.rstrip("\n").partition(" ")
            console.print(Text.assemble((prefix + " ", "bold yellow"), (rest, "bold")))
        elif kind == "text":
            console.print(Text(value.strip("\n")), soft_wrap=True)
        else:
            name, rows = value
            grid = Table.grid(padding=(0, 2))
            grid.add_column(style="bold cyan", no_wrap=True)
            grid.add_column()
            for term, description in rows:
                grid.add_row(Text(term), Text(description))
            console.print(Panel(grid, title=name, title_align="left", border_style="dim"))
    return out.getvalue()


def choose_format(requested: str | None, allowed: Sequence[str], fallback: str) -> str:
    """The requested format, or `table` on a terminal (when allowed), else `fallback`."""
    if requested is None:
        return "table" if "table" in allowed and sys.stdout.isatty() else fallback
    if requested not in allowed:
        raise UsageError(f"--format {requested!r}: use one of {', '.join(allowed)}")
    return requested


def render(
    result: Any,
    fmt: str,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
    **options: Any,
) -> None:
    """Print `result` in format `fmt` (already checked by `choose_format`); `options` go to
    the result's renderer (simulate-depth: `layers`).

    Raises:
        OutputClosed: stdout's reader went away (`| head`).
        ResourceLimitError: stdout could not be written (no space left, file too large).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    with _writing_stdout():
        if fmt == "json":  # indented for people, one line for pipes
            legacy = legacy_output() and hasattr(result, "legacy_json")
            data = result.legacy_json() if legacy else result.to_json()
            json.dump(data, out, indent=2 if out.isatty() else None, allow_nan=False)
            out.write("\n")
        else:
            _RENDERERS[type(result).__name__](result, fmt, out, err, **options)
        out.flush()
    _diagnostics(result, err)


def write_bytes(data: bytes, *, binary: bool = True, out: IO[bytes] | None = None) -> None:
    """Write encoded output (an image, a table file) to stdout, all of it or an error; binary
    data never to a terminal.

    A stream without a buffer (PYTHONUNBUFFERED=1, `python -u`) may accept part of a write: the
    rest is written again until none is left, in chunks, so a reader that leaves is noticed.

    Raises:
        UsageError: binary data and stdout is a terminal (it would garble it).
        OutputClosed: stdout's reader went away.
        ResourceLimitError: stdout could not be written (no space left, file too large).
    """
    stream = out or sys.stdout.buffer
    if binary and stream.isatty():
        raise UsageError("binary output to a terminal: give -o FILE or redirect stdout")
    with _writing_stdout():
        sys.stdout.flush()  # text written before stays before
        _write_all(stream, memoryview(data).cast("B"))
        stream.flush()


_CHUNK = 1 << 16


def _write_all(stream: IO[bytes], view: memoryview) -> None:
    """Write every byte of `view`: again after a short write, after waiting when the stream is
    non-blocking and full."""
    while view:
        try:
            written = stream.write(view[:_CHUNK])
        except BlockingIOError as exc:  # a buffered non-blocking stream took part of it
            written = exc.characters_written
            _wait_writable(stream)
        if written is None:  # a raw non-blocking stream took nothing
            _wait_writable(stream)
            written = 0
        view = view[written:]


def _wait_writable(stream: IO[bytes]) -> None:
    select.select([], [stream.fileno()], [])


@contextlib.contextmanager
def _writing_stdout() -> Iterator[None]:
    """Turn a failed write to stdout into actcli's errors: a closed reader into `OutputClosed`,
    anything else (ENOSPC, EFBIG, EIO) into `ResourceLimitError` naming stdout."""
    try:
        yield
    except BrokenPipeError:
        raise OutputClosed("stdout closed") from None
    except OSError as exc:
        raise ResourceLimitError(f"writing stdout: {exc.strerror or exc}") from None


@contextlib.contextmanager
def complete_writes() -> Iterator[None]:
    """Make every write to stdout complete or fail, also under PYTHONUNBUFFERED=1 (`python -u`).

    There stdout's text layer writes straight to the file and drops what a short write leaves
    (at a file size limit the tail of a table vanished with exit 0). For the time of the block
    `sys.stdout` is a text layer on a buffer that retries short writes and raises on errors,
    flushed at each newline like -u's; the file descriptor stays open afterwards.
    """
    original = sys.stdout
    raw = getattr(original, "buffer", None)
    if not isinstance(raw, io.FileIO):  # buffered already (the usual case), or captured
        yield
        return
    own = io.FileIO(raw.fileno(), "wb", closefd=False)
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(own),
        encoding=original.encoding,
        errors=original.errors,
        line_buffering=True,
    )
    try:
        yield
    finally:
        replacement, sys.stdout = sys.stdout, original
        with contextlib.suppress(OSError, ValueError):  # reported by render.flush already
            replacement.flush()


@contextlib.contextmanager
def lossy_stderr() -> Iterator[None]:
    """For the time of the block, a diagnostic that cannot be written to stderr (`2>/dev/full`,
    its reader gone, closed) is dropped: the command keeps its own exit code, never 70."""
    original = sys.stderr
    sys.stderr = cast(TextIO, _LossyStream(original))
    try:
        yield
    finally:
        sys.stderr = original


class _LossyStream:
    """A text stream whose write and flush errors are ignored; everything else is the stream's."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        with contextlib.suppress(OSError, ValueError):
            return self._stream.write(text)
        return len(text)

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


PROGRESS_INTERVAL = 0.1  # seconds between two redraws of the progress line


@contextlib.contextmanager
def progress_line(err: IO[str] | None = None) -> Iterator[None]:
    """On a terminal's stderr, the core's `supervisor.progress` reports as one line rewritten in
    place (`actcli: table: segments certified 16384/262144`), cleared at the end; nothing at
    all when stderr is not a terminal (a pipe, a log file)."""
    stream = err or sys.stderr
    try:
        terminal = stream.isatty()
    except (OSError, ValueError):
        terminal = False
    if not terminal:
        yield
        return
    last = {"time": 0.0, "width": 0}

    def write(text: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # stderr gone: the work goes on
            stream.write(text)
            stream.flush()

    def clear() -> None:
        if last["width"]:
            write("\r" + " " * last["width"] + "\r")
            last["width"] = 0

    def show(done: int, total: int, what: str) -> None:
        if done >= total:  # finished: the line goes, before any result is printed
            clear()
            return
        now = time.monotonic()
        if now - last["time"] < PROGRESS_INTERVAL:
            return
        last["time"] = now
        room = max(10, shutil.get_terminal_size().columns - 1)
        text = f"actcli: {what} {done}/{total}"[:room]
        write("\r" + text.ljust(last["width"]))
        last["width"] = len(text)

    with progress_listener(show):
        try:
            yield
        finally:
            clear()


@contextlib.contextmanager
def progress(description: str, err: IO[str] | None = None) -> Iterator[Any]:
    """A progress bar on stderr when it is a terminal: yields `update(done, total)`, or None
    (no bar) when stderr is redirected, so logs stay clean."""
    stream = err or sys.stderr
    if not stream.isatty():
        yield None
        return
    from rich.console import Console  # deferred: rich loads only for a terminal
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn  # deferred

    console = Console(file=stream, no_color=not wants_colour(stream))
    columns = (TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def flush() -> None:
    """Flush stdout now, so a closed pipe or a full disk is noticed here and not at interpreter
    exit.

    Raises:
        OutputClosed: stdout's reader went away.
        ResourceLimitError: stdout could not be written (no space left, file too large).
    """
    with _writing_stdout():
        sys.stdout.flush()


def failed(command: str, reason: str, err: IO[str] | None = None) -> None:
    """Why a command exits 1 (a gate: --require, --fail-on, a refuted claim): one line on
    stderr, `actcli: COMMAND: REASON`, so a run with stdout redirected does not fail silently."""
    with contextlib.suppress(OSError, ValueError):  # stderr closed: the exit code still says it
        (err or sys.stderr).write(f"actcli: {command}: {' '.join(reason.split())}\n")


def refuted_reason(result: CheckResult) -> str:
    """`check`'s reason to exit 1: which claims were refuted (the first three named)."""
    refuted = [f"{r.activation} {r.claim}" for r in result.results if r.status == "refuted"]
    shown = ", ".join(refuted[:3]) + (f" and {len(refuted) - 3} more" if len(refuted) > 3 else "")
    plural = "s" if len(refuted) != 1 else ""
    return f"{len(refuted)} claim{plural} refuted: {shown}"


def diagnostics(result: Any, err: IO[str] | None = None) -> None:
    """The notes about a result that go to stderr (also printed by `render`)."""
    _diagnostics(result, err or sys.stderr)


def _diagnostics(result: Any, err: IO[str]) -> None:
    name = type(result).__name__
    if name in _SUMMARIES:
        for line in _SUMMARIES[name](result.to_json()):
            err.write(f"actcli: {line}\n")
    elif name in ("EvalResult", "ScalarResult"):
        for note in result.kinks:
            err.write(f"actcli: note: {note.message(result.activation)}\n")
    elif name == "ValidateResult":
        for report in result.files:
            for problem in report.problems:
                err.write(f"{problem}\n")


def _table(
    out: IO[str],
    title: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    err: IO[str],
) -> None:
    """A box table. Every cell, header and the title is data, never rich markup (`E[f]` stays).

    On a terminal the table fits its width without splitting a token: a column is never
    narrower than its longest word (a column of single tokens, such as numbers, never wraps),
    only cells of several words wrap, between words; when even that does not fit, the
    rightmost columns are left out and a note on stderr says so. Off a terminal (`--format
    table > file`) nothing wraps.
    """
    from rich.console import Console  # deferred: rich loads only for a table
    from rich.table import Table  # deferred
    from rich.text import Text  # deferred

    colour = wants_colour(out)
    console = Console(
        file=out,
        no_color=not colour,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )
    terminal = out.isatty()
    widths, padding = _column_widths(columns, rows, console.width if terminal else None)
    hidden = len(columns) - len(widths)
    if not terminal:  # a file or a pipe: as wide as the table needs
        console.width = max(console.width, sum(widths) + _overhead(len(widths)))
    table = Table(
        title=Text(title) if title is not None else None,
        show_lines=False,
        padding=(0, padding),
        header_style="bold" if colour else "",
    )
    for index, width in enumerate(widths):
        cells = [row[index] for row in rows]
        # a column of single tokens never wraps (unless alone and wider than the terminal)
        fits = all(_cell_width(cell) <= width for cell in [columns[index], *cells])
        no_wrap = fits and _single_tokens(columns[index], cells)
        table.add_column(Text(columns[index]), width=width, no_wrap=no_wrap, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row[: len(widths)]))
    console.print(table)
    if hidden:
        plural = "s" if hidden != 1 else ""
        err.write(
            f"actcli: note: {hidden} column{plural} hidden "
            f"({', '.join(columns[len(widths) :])}); use --format tsv or a wider terminal\n"
        )


def _cell_width(text: str) -> int:
    from rich.cells import cell_len  # deferred: with rich

    return cell_len(text)


def _single_tokens(header: str, cells: Sequence[str]) -> bool:
    """Whether every cell of a column (its header included) is one word: numbers, names,
    intervals such as `(-1, 1)`."""
    return all(len(_words(cell)) <= 1 and "\n" not in cell for cell in [header, *cells])


def _longest_word(text: str) -> int:
    return max((_cell_width(word) for word in _words(text)), default=0)


def _words(text: str) -> list[str]:
    """The words of a cell, split at spaces outside brackets: `[-0.17, oo)*` is one word, a
    value never to be split over lines."""
    words, current, depth = [], "", 0
    for character in text.strip():
        depth += character in "([{"
        depth -= character in ")]}" and depth > 0
        if character == " " and depth == 0:
            if current:
                words.append(current)
            current = ""
        else:
            current += character
    return [*words, current] if current else words


def _column_widths(
    columns: Sequence[str], rows: Sequence[Sequence[str]], width: int | None
) -> tuple[list[int], int]:
    """The content width of each column shown and the cell padding, for a terminal `width`
    columns wide (None: no limit, every column at its natural width).

    In this order, the first that fits: every column at its natural width; at least its
    longest word, what is left shared among the columns that wrap; the same without the space
    each side of a cell; the same for fewer columns, dropping the rightmost (one column always
    stays, folded where it must).
    """
    naturals = [
        max([_cell_width(header), *(_cell_width(row[i]) for row in rows)])
        for i, header in enumerate(columns)
    ]
    if width is None:
        return naturals, 1
    minima = []
    for i, header in enumerate(columns):
        cells = [row[i] for row in rows]
        if _single_tokens(header, cells):
            minima.append(naturals[i])
        else:
            minima.append(max([_longest_word(header), *map(_longest_word, cells)]))
    for shown in range(len(columns), 0, -1):
        for padding in (1, 0):
            room = width - _overhead(shown, padding)
            if sum(naturals[:shown]) <= room:
                return naturals[:shown], padding
            if sum(minima[:shown]) <= room:
                return _share(minima[:shown], naturals[:shown], room), padding
    return [max(1, min(naturals[0], width - _overhead(1, 0)))], 0  # one column, folded


def _share(minima: Sequence[int], naturals: Sequence[int], room: int) -> list[int]:
    """Widths from `minima` up, the room left given one by one to the column lacking most."""
    widths = list(minima)
    spare = room - sum(widths)
    while spare > 0:
        lack, index = max((naturals[i] - w, i) for i, w in enumerate(widths))
        if lack <= 0:
            break
        widths[index] += 1
        spare -= 1
    return [max(1, w) for w in widths]


def _overhead(count: int, padding: int = 1) -> int:
    """Border and padding characters of a box table of `count` columns: a rule between and
    around the columns, `padding` spaces each side of every cell."""
    return count + 1 + 2 * padding * count


def _delimited(out: IO[str], fmt: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    writer = csv.writer(out, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)


def _render_list(result: ListResult, fmt: str, out: IO[str], err: IO[str]) -> None:
    columns = ("name", "aliases", "kind", "parameters", "tags", "title")
    rows = [
        (
            a.name,
            " ".join(a.aliases),
            a.kind,
            " ".join(f"{p.name}={p.default}" for p in a.parameters),
            " ".join(a.tags),
            a.title,
        )
        for a in result.activations
    ]
    if fmt == "table":  # the long parameter values last: the first to go on a narrow terminal
        order = (0, 1, 2, 4, 5, 3)
        shown = [[row[i] for i in order] for row in rows]
        _table(out, f"{len(rows)} activations", [columns[i] for i in order], shown, err)
    elif fmt in ("csv", "tsv"):
        _delimited(out, fmt, columns, rows)
    else:
        out.writelines(f"{a.name}\n" for a in result.activations)


def _render_show(result: ShowResult, fmt: str, out: IO[str], err: IO[str]) -> None:
    if fmt == "latex":
        out.write(result.latex + "\n")
        return
    info = result.info
    lines = [f"{info.name}: {info.title}"]
    if info.aliases:
        lines.append(f"aliases: {', '.join(info.aliases)}")
    lines.append(f"kind: {info.kind}" + (f"   tags: {', '.join(info.tags)}" if info.tags else ""))
    if info.parameters:
        lines.append("parameters:")
        for p in info.parameters:
            value = result.params[p.name]
            lines.append(f"  {p.name} = {value!r} (default {p.default}; {p.domain}) {p.doc}")
    lines.append("definition:")
    lines.extend(_piece_lines(result.definition))
    lines.append(f"  = {result.expression}")
    if result.stable:
        lines.append("evaluated through the stable form:")
        lines.extend(_piece_lines(result.stable))
    for name, doc, rows in result.variants:
        lines.append(f"variant {name}: {doc}".rstrip())
        lines.extend(_piece_lines(rows))
    if result.claims:
        lines.append("claims (verified by `actcli check`):")
        lines.extend(f"  {key}: {text}" for key, text in result.claims)
    if result.doc:
        lines.append("notes:")
        lines.extend(f"  {line}" for line in result.doc.splitlines())
    lines.append("references:")
    lines.extend(f"  - {reference}" for reference in result.references)
    _prose(out, lines)


def _prose(out: IO[str], lines: Sequence[str]) -> None:
    """Lines of text; on a terminal wrapped to its width between words (a line the terminal
    wrapped itself would split a number), never read as markup."""
    if not lines:
        return
    if not out.isatty():
        out.write("\n".join(lines) + "\n")
        return
    from rich.console import Console  # deferred: rich loads only for a terminal

    console = Console(
        file=out, no_color=True, highlight=False, markup=False, emoji=False, soft_wrap=False
    )
    for line in lines:
        console.print(line, overflow="fold")


def _piece_lines(rows: Sequence[tuple[str, str | None]]) -> list[str]:
    if len(rows) == 1 and rows[0][1] is None:
        return [f"  {rows[0][0]}"]
    return [f"  {line}" for line in pieces_text(rows, True).split("; ")]


def _render_validate(result: ValidateResult, fmt: str, out: IO[str], err: IO[str]) -> None:
    for report in result.files:
        if not report.ok:
            continue
        line = f"{report.path}: ok ({report.name})"
        if report.accuracy is not None:
            line += f"; {report.accuracy.summary()}"
            lines = [f"  {text}" for text in report.accuracy.suggestion_lines()]
        else:
            lines = []
            if report.accuracy_note:
                line += f"; float64 accuracy {report.accuracy_note}"
        _prose(out, [line, *lines])


def _render_eval(result: EvalResult, fmt: str, out: IO[str], err: IO[str]) -> None:
    x, y = result.x, result.y
    if not result.vector:
        _render_values(x.tolist(), y.tolist(), result.order, fmt, out, err)
        return
    if fmt == "text":
        _write_lines(out, (" ".join(map(repr, row)) for row in _rows(y)))
        return
    f = "y" if legacy_output() else column_name(result.order)  # x,f / x,df, as in `table`
    n = x.shape[1]
    columns = [f"x{k}" for k in range(n)]
    columns += [f"{f}{k}" for k in range(y.shape[1])] if y.ndim == 2 else [f]
    rows = [[*map(repr, xr), *map(repr, yr)] for xr, yr in zip(_rows(x), _rows(y), strict=True)]
    _eval_table(columns, rows, fmt, out, err)


def _render_scalars(result: ScalarResult, fmt: str, out: IO[str], err: IO[str]) -> None:
    _render_values(list(result.x), list(result.y), result.order, fmt, out, err)


def _render_values(
    x: list[float], y: list[float], order: int, fmt: str, out: IO[str], err: IO[str]
) -> None:
    """A scalar activation's values at x: one a line (text), else the columns x and f."""
    if fmt == "text":
        _write_lines(out, map(repr, y))
        return
    f = "y" if legacy_output() else column_name(order)  # x,f / x,df, as in `table`
    rows = [[repr(a), repr(b)] for a, b in zip(x, y, strict=True)]
    _eval_table(["x", f], rows, fmt, out, err)


def _eval_table(
    columns: list[str], rows: list[list[str]], fmt: str, out: IO[str], err: IO[str]
) -> None:
    if fmt == "table":
        _table(out, None, columns, rows, err)
    else:
        _delimited(out, fmt, columns, rows)


def _write_lines(out: IO[str], lines: Iterable[str], chunk: int = 4096) -> None:
    """Write in chunks: a reader that leaves (`| head`) is noticed at the next write, where one
    huge write could be cut short without an error."""
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == chunk:
            out.write("\n".join(batch) + "\n")
            out.flush()
            batch.clear()
    if batch:
        out.write("\n".join(batch) + "\n")


def _rows(array: Any) -> list[list[float]]:
    values = array.tolist()
    return [row if isinstance(row, list) else [row] for row in values]


def _render_derive(result: DeriveResult, fmt: str, out: IO[str], err: IO[str]) -> None:
    if result.code:
        out.write(result.code if result.code.endswith("\n") else result.code + "\n")
        return
    data = result.to_json()  # the exact forms as SymPy prints them
    if result.jacobian is not None:
        _render_jacobian(data, fmt, out)
        return
    if data["expression"] is None:
        _prose(out, [f"no g with f'(x) = g(f(x)): {data['reason']}"])
        return
    if fmt == "latex":
        out.write(data["latex"] + "\n")
        return
    symbolic = ", ".join(data["symbolic_params"])
    head = _derive_heading(data) + (f"   ({symbolic} symbolic)" if symbolic else "")
    lines = [head]
    pieces = data["pieces"]
    width = max(len(piece["expression"]) for piece in pieces)
    for piece in pieces:
        text = piece["expression"]
        lines.append(f"  {text}" if len(pieces) == 1 else f"  {text:<{width}}  if {piece['when']}")
    for point in data["undefined_at"]:
        where = f"at x = {point['x']}"
        sides = f"left {point['left']}, right {point['right']}"
        if point["exists_when"] is not None:
            lines.append(f"{where}: exists only if {point['exists_when']} ({sides})")
        elif not point["decided"]:
            lines.append(f"{where}: not decided ({sides}; {point['reason']})")
        else:
            reason = f"; {point['reason']}" if point["reason"] else ""
            lines.append(f"{where}: does not exist ({sides}{reason})")
    _prose(out, lines)


def _derive_heading(data: dict[str, Any]) -> str:
    name, variable = data["activation"], data["wrt"]
    if data["in_terms_of_output"]:
        return f"{name}'(x) in terms of y = {name}(x):"
    power = "" if data["order"] == 1 else f"^{data['order']}"
    return f"d{power}/d{variable}{power} {name}(x) ="


def _render_jacobian(data: dict[str, Any], fmt: str, out: IO[str]) -> None:
    if fmt == "latex":
        out.write(data["latex"] + "\n")
        return
    name = data["activation"]
    symbolic = ", ".join(data["symbolic_params"])
    lines = [
        f"d y_i / d x_j for {name} (y = {name}(x)):"
        + (f"   ({symbolic} symbolic)" if symbolic else "")
    ]
    if data["jacobian_in_outputs"] is not None:
        lines.append(f"  {data['jacobian_in_outputs']}")
        lines.append(f"  in x: {data['jacobian']}")
    else:
        lines.append(f"  {data['jacobian']}")
    if data["note"]:
        lines.append(f"  ({data['note']})")
    if data["matrix"] is not None:
        rows, columns = len(data["matrix"]), len(data["matrix"][0])  # maxout: 1 x n
        lines.append(f"as a {rows}x{columns} matrix (rows y_r, columns x_c):")
        lines.extend(f"  {row}" for row in data["matrix"])
    _prose(out, lines)


def _render_check(result: CheckResult, fmt: str, out: IO[str], err: IO[str]) -> None:
    columns = ("activation", "claim", "status", "detail")
    rows = []
    for r in result.results:
        detail = r.detail
        if r.counterexample:
            shown = ", ".join(f"{k}={v}" for k, v in r.counterexample.items())
            detail += f" [counterexample: {shown}]"
        rows.append((r.activation, r.claim, r.status, detail))
    if fmt == "table":
        _table(out, None, columns, rows, err)
    elif fmt in ("csv", "tsv"):
        _delimited(out, fmt, columns, rows)
    else:
        _prose(out, [f"{a}  {c}: {s}: {d}" for a, c, s, d in rows])
    if fmt in ("table", "text"):  # evidence, not a verdict: a line of its own, JSON key only
        for report in result.accuracy:
            _prose(out, [f"{report.activation}  {report.summary()} (measured, not proven)"])
            _prose(out, [f"  {line}" for line in report.suggestion_lines()])
    counts: dict[str, int] = {}
    for r in result.results:
        counts[r.status] = counts.get(r.status, 0) + 1
    if fmt in ("table", "text"):
        out.write(", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + "\n")


def _render_smoothness(result: Smoothness, fmt: str, out: IO[str], err: IO[str]) -> None:
    data = result.to_json()
    lines = _smoothness_lines(data, "")
    for variant in data["variants"]:
        lines.append(f"variant {variant['name']}:")
        lines.extend(_smoothness_lines(variant, "  "))
    _prose(out, lines)


def _smoothness_lines(data: dict[str, Any], indent: str) -> list[str]:
    params = ", ".join(
        f"{k} = {_short(v, data['params'][k])}" for k, v in data["params_exact"].items()
    )
    at = f" at {params}" if params else ""
    found = " (from points found numerically)" if data["class_found"] == "numeric" else ""
    lines = [f"{indent}{data['activation']}: {data['class']}{at}{found}"]
    for point in data["points"]:
        found = ", found numerically" if point["found"] == "numeric" else ""
        lines.append(f"{indent}  x = {point['x_exact']} ({point['kind']}{found}):")
        columns = zip(point["left_exact"], point["right_exact"], point["jumps_exact"], strict=True)
        for k, (left, right, jump) in enumerate(columns):
            name = "f" + ("'" * k if k <= 3 else f"^({k})")
            lines.append(
                f"{indent}    {name:<6} left {_short(left, point['left'][k])}, "
                f"right {_short(right, point['right'][k])}, jump {_short(jump, point['jumps'][k])}"
            )
    if data["note"]:
        lines.append(f"{indent}  ({data['note']})")
    elif not data["points"]:
        lines.append(f"{indent}  no breakpoints, singularities or domain ends")
    for condition in data["conditions"]:
        lines.append(f"{indent}  {condition['class']} iff {condition['text']}")
    return lines


def _short(text: str, number: float | str) -> str:
    """An exact value as written when short, else its number (at the parameter values)."""
    if len(text) <= 24:
        return text
    return f"{number:.10g}" if isinstance(number, float) else str(number)


def _render_properties(result: PropertiesResult, fmt: str, out: IO[str], err: IO[str]) -> None:
    data = result.to_json()["activations"]
    if fmt in ("csv", "tsv"):
        rows = [_flatten(row) for row in data]
        columns = list(dict.fromkeys(c for row in rows for c in row))  # vector rows have fewer
        _delimited(out, fmt, columns, [[_cell(r.get(c)) for c in columns] for r in rows])
        return
    columns = (
        "activation",
        "range",
        "monotonic",
        "class",
        "f(0)=0",
        "f'(0)=1",
        "saturates",
        "f'=0 on",
        "max|f'|",
        "E[f]",
        "E[f^2]",
        "E[f'^2]",
        "P(f'=0)",
    )
    rows = [_property_cells(row) for row in data]
    if fmt == "table":
        _table(out, PROPERTY_LEGEND, columns, rows, err)
        return
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    for line in [columns, *rows]:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        out.write("\n")
    out.write(PROPERTY_LEGEND + "\n")


PROPERTY_LEGEND = "* sampled (numeric); \u2020 proven by interval arithmetic; the rest symbolically"


def _property_cells(row: dict[str, Any]) -> list[str]:
    methods = row["methods"]

    def mark(key: str, text: str) -> str:
        return text + {"numeric": "*", "interval": "\u2020"}.get(methods.get(key, ""), "")

    def yes(value: bool | None) -> str:
        return "-" if value is None else "yes" if value else "no"

    def number(key: str) -> str:
        value = row[key]
        if value is None:  # no meaning for vector kinds
            return "-"
        return mark(key, f"{value:.6g}" if isinstance(value, float) else str(value))

    sides = [s for s, k in (("left", "saturates_left"), ("right", "saturates_right")) if row[k]]
    saturates = {0: "no", 1: sides[0] if sides else "", 2: "both"}[len(sides)]
    if row["saturates_left"] is None:
        saturates = "-"
    exact = row["max_abs_derivative_exact"]
    return [
        row["activation"],
        mark("range", row["range"]["exact" if row["range"]["interval"] else "image"]),
        mark("monotonic", row["monotonic"] or "-"),
        mark("smoothness", row["smoothness"]),
        mark("zero_at_origin", yes(row["zero_at_origin"])),
        mark("identity_near_origin", yes(row["identity_near_origin"])),
        mark("saturates_left", saturates),
        mark("zero_gradient", " U ".join(row["zero_gradient"]) or "-"),
        mark("max_abs_derivative", exact)
        if exact and len(exact) <= 10
        else number("max_abs_derivative"),
        number("mean"),
        number("second_moment"),
        number("derivative_second_moment"),
        number("dead_probability"),
    ]


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and key != "params":
            flat.update(_flatten(value, f"{name}_"))
        else:
            flat[name] = value
    return flat


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.12g}"
    if isinstance(value, dict):
        return " ".join(f"{k}={_cell(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(_cell(v) for v in value)
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _plot_summary(drawn: dict[str, Any]) -> list[str]:
    panels = ", ".join(panel["ylabel"].strip("$") for panel in drawn["panels"])
    where = drawn["file"] or "stdout"
    count = len(drawn["series"])
    plural = "s" if len(drawn["panels"]) != 1 else ""
    lines = [f"wrote {where}: {len(drawn['panels'])} panel{plural} ({panels}), {count} series"]
    return lines + [f"note: {note}" for note in drawn["notes"]]


def _table_summary(table: dict[str, Any]) -> list[str]:
    low, high = table["range"]
    lines = [
        f"{table['activation']}: {table['points']} entries on [{low:g}, {high:g}], "
        f"step {table['step']:.6g}, {table['interpolation']} interpolation, "
        f"{table['number_format']}; certified max error {_cell(table['certified_max_error'])} "
        f"(measured {_cell(table['measured_max_error'])})"
    ]
    return lines + [f"note: {note}" for note in table["notes"]]


_SUMMARIES = {"PlotResult": _plot_summary, "TableResult": _table_summary}


def _render_depth(result: Any, fmt: str, out: IO[str], err: IO[str], layers: bool = False) -> None:
    """One row per activation, best first; in a grid (several depths or widths) the depth and
    width lead every row, the runs grouped by them in the order given and ranked within each;
    a note shared by every run of an activation is printed once under its name."""
    data = result.to_json()
    grid = result.grid
    cells = list(dict.fromkeys((run["depth"], run["width"]) for run in data["runs"]))
    runs = sorted(
        data["runs"], key=lambda run: (cells.index((run["depth"], run["width"])), run["rank"])
    )
    lead = ("depth", "width") if grid else ()
    if layers:
        columns = (
            "activation", *lead, "layer", "log10_factor_mean", "log10_factor_std",
            "meanfield_log10_factor", "z_mean", "z_variance", "dead_fraction",
            "saturated_fraction",
        )  # fmt: skip
        rows = [
            [
                run["activation"],
                *(run[c] for c in lead),
                *(row[c] for c in columns[1 + len(lead) :]),
            ]
            for run in runs
            for row in run["layers"]
        ]
        if fmt in ("csv", "tsv"):
            _delimited(out, fmt, columns, [[_plain(v) for v in row] for row in rows])
            _depth_notes_to(err, runs, grid)
            return
        headers = ("activation", *lead, "layer", "log10 factor", "± std", "mean field",
                   "mean z", "var z", "dead", "saturated")  # fmt: skip
        named = 2 + len(lead)
        cells_ = [
            [*map(str, row[:named]), *(_short_number(v) for v in row[named:])] for row in rows
        ]
        _table(out, "per layer: log10 of ||delta^l|| / ||delta^L||", headers, cells_, err)
    if fmt in ("csv", "tsv"):
        columns = (
            *lead, "rank", "activation", "init", "sigma_w2", "sigma_b2", "total_factor",
            "per_layer_factor", "meanfield_per_layer_factor", "depth_scale", "dead_fraction",
            "saturated_fraction", "verdict",
        )  # fmt: skip
        rows = [[*(run[c] for c in lead), *map(_plain, _depth_cells(run))] for run in runs]
        _delimited(out, fmt, columns, rows)
        _depth_notes_to(err, runs, grid)
        return
    # the verdict next to the name: the last column to go on a narrow terminal
    headers = (*("L", "N")[: len(lead)], "#", "activation", "verdict", "init", "σw²", "σb²",
               "total", "per layer", "mean field", "depth scale", "dead", "saturated")  # fmt: skip
    table = []
    for run in runs:
        values = _depth_cells(run)
        row = [_short_number(v) for v in values[:9]] + [_percent(v) for v in values[9:11]]
        table.append([*(str(run[c]) for c in lead), *row[:2], values[11], *row[2:]])
    first = runs[0]
    shape = (  # a grid's depths and widths are the L and N columns
        "over L layers of width N ("
        if grid
        else f"over {first['depth']} layers (width {first['width']}, "
    )
    title = (
        f"gradient factor ||δ¹||/||δᴸ|| {shape}batch {first['batch']}, {first['seeds']} seeds, "
        f"{first['dtype']}): vanishing below {data['vanish_below']:g}, exploding above "
        f"{data['explode_above']:g}"
    )
    _table(out, title, headers, table, err)
    _prose(out, _depth_note_lines(runs, grid))


def _depth_notes_to(err: IO[str], runs: list[dict[str, Any]], grid: bool) -> None:
    """The notes the table prints under it, as `actcli: note:` lines on stderr: CSV and TSV
    on stdout have no place for them, and "overflow first at layer 39" explains a nan."""
    for line in _depth_note_lines(runs, grid):
        err.write(f"actcli: note: {line}\n")


def _depth_note_lines(runs: list[dict[str, Any]], grid: bool) -> list[str]:
    """`activation: note` per run; in a grid `activation (depth L, width N): note`, and a note
    every run of the activation shares once, under its name alone."""
    if not grid:
        return [f"{run['activation']}: {line}" for run in runs for line in _depth_notes(run)]
    notes = {id(run): _depth_notes(run) for run in runs}
    names = list(dict.fromkeys(run["activation"] for run in runs))
    lines = []
    for name in names:
        own = [run for run in runs if run["activation"] == name]
        shared = [n for n in notes[id(own[0])] if all(n in notes[id(run)] for run in own)]
        lines += [f"{name}: {note}" for note in shared]
        lines += [
            f"{name} (depth {run['depth']}, width {run['width']}): {note}"
            for run in own
            for note in notes[id(run)]
            if note not in shared
        ]
    return lines


def _depth_cells(run: dict[str, Any]) -> list[Any]:
    meanfield = run["meanfield"] or {}
    layers = [row for row in run["layers"] if row["dead_fraction"] is not None]

    def average(key: str) -> float | None:
        return sum(row[key] for row in layers) / len(layers) if layers else None

    return [
        run["rank"], run["activation"], run["init"], run["sigma_w2"], run["sigma_b2"],
        run["total_factor"], run["per_layer_factor"], meanfield.get("per_layer_factor"),
        meanfield.get("depth_scale"), average("dead_fraction"), average("saturated_fraction"),
        run["verdict"],
    ]  # fmt: skip


def _short_number(value: Any) -> str:
    """Four significant digits for a table cell; text as it is; missing as '-'."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _percent(fraction: float | None) -> str:
    return "-" if fraction is None else f"{100 * fraction:.1f}%"


_MAP_STATUS = {
    "zero": "the variance map collapses to q* = 0",
    "diverges": "the variance map diverges (no finite q*)",
    "no_convergence": "the variance map did not converge",
}


def _depth_notes(run: dict[str, Any]) -> list[str]:
    notes = []
    if run["init_is_default"]:
        notes.append(f"{run['init']} is its customary init")
    if run["verdict_source"] != "montecarlo":
        notes.append(f"verdict from the {run['verdict_source']} prediction")
    if run.get("critical_note"):
        notes.append(run["critical_note"])
    problem = run["non_finite"]
    if problem:
        notes.append(
            f"{problem['what']} first at layer {problem['layer']} ({problem['pass']} pass)"
        )
    meanfield = run["meanfield"]
    if meanfield and meanfield["q_star_status"] in _MAP_STATUS:
        notes.append("mean field: " + _MAP_STATUS[meanfield["q_star_status"]])
    mapping = run.get("mean_variance_map")
    if mapping and mapping["fixed_point"]:
        point, unit = mapping["fixed_point"], mapping["image_of_unit"]
        notes.append(
            f"mean/variance map (0, 1) -> ({unit['mean']:.3g}, {unit['variance']:.6g}), "
            f"fixed point ({point['mean']:.3g}, {point['variance']:.6g})"
        )
    chain = run.get("chain")
    if chain:
        notes.append(
            f"one-neuron chain ({chain['weights']} weights, {chain['biases']} biases): "
            f"factor {_short_number(chain['total_factor'])}, {chain['verdict']}"
        )
    return notes


_INIT_COLUMNS = (
    "activation", "params", "sigma_b2", "mean", "second_moment", "sigma_w2", "gain", "chi_1",
    "depth_scale", "explosion_scale", "critical_sigma_w2", "critical_gain", "critical_q_star",
    "critical_chi_1", "torch_gain", "gain_over_torch", "critical_note",
)  # fmt: skip


def _render_init(result: Any, fmt: str, out: IO[str], err: IO[str]) -> None:
    rows = result.to_json()["activations"]
    if fmt in ("csv", "tsv"):
        _delimited(out, fmt, _INIT_COLUMNS, [[_plain(v) for v in _init_cells(r)] for r in rows])
        return
    headers = ("activation", "σb²", "σw² (q*=1)", "gain", "χ1", "depth scale", "σw² critical",
               "gain critical", "q* critical", "torch gain", "gain / torch")  # fmt: skip
    cells = []
    for row in rows:
        values = _init_cells(row)
        label = values[0] + (f" ({values[1]})" if values[1] else "")
        cells.append(
            [
                label,
                *(
                    _init_number(v)
                    for v in (values[2], *values[5:9], *values[10:13], *values[14:16])
                ),
            ]
        )
    title = "mean-field init: σw² (× fan-in) keeping q = 1, and the edge of chaos (χ1 = 1)"
    _table(out, title, headers, cells, err)
    notes = [
        "the q map uses the second moment E[f(z)^2], so a mean E[f(z)] counts as signal; the "
        "depth scale is -1/ln χ1 at q = 1 (- when χ1 > 1: gradients grow)"
    ]
    for row in rows:
        notes.append(
            f"{row['activation']}: E[f(z)] = {_init_number(row['mean'], 4)}, "
            f"E[f(z)^2] = {_init_number(row['second_moment'])}"
        )
        if row["critical"] is None:
            notes.append(f"{row['activation']}: {row['critical_note']}")
    _prose(out, notes)


def _init_cells(row: dict[str, Any]) -> list[Any]:
    preserving = row["variance_preserving"] or {}
    critical = row["critical"] or {}
    params = " ".join(f"{k}={_init_number(v)}" for k, v in row["params"].items())
    return [
        row["activation"], params, row["sigma_b2"], row["mean"], row["second_moment"],
        preserving.get("sigma_w2"), preserving.get("gain"), preserving.get("chi_1"),
        preserving.get("depth_scale"), preserving.get("explosion_scale"),
        critical.get("sigma_w2"), critical.get("gain"), critical.get("q_star"),
        critical.get("chi_1"), row["torch_gain"], row["torch_ratio"], row["critical_note"],
    ]  # fmt: skip


def _init_number(value: Any, digits: int = 6) -> str:
    """Six significant digits for a table cell; missing as '-'."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


_PHASE_COLUMNS = (
    "activation", "params", "sigma_b2", "sigma_w2", "q_star", "chi_1", "depth_scale", "phase",
    "critical_sigma_w2",
)  # fmt: skip


def _render_phase(result: Any, fmt: str, out: IO[str], err: IO[str]) -> None:
    diagrams = result.to_json()["activations"]
    if fmt in ("csv", "tsv"):
        rows = []
        for d in diagrams:
            params = " ".join(f"{k}={_init_number(v)}" for k, v in d["params"].items())
            for i, bias in enumerate(d["sigma_b2"]):
                critical = d["critical_line"][i]["sigma_w2"]
                for j, weight in enumerate(d["sigma_w2"]):
                    rows.append(
                        [
                            d["activation"], params, bias, weight, d["q_star"][i][j],
                            d["chi_1"][i][j], d["depth_scale"][i][j], d["phase"][i][j],
                            _plain(critical),
                        ]
                    )  # fmt: skip
        _delimited(out, fmt, _PHASE_COLUMNS, rows)
        return
    lines = []
    for d, diagram in zip(diagrams, result.diagrams, strict=True):
        w, b = d["sigma_w2"], d["sigma_b2"]
        label = d["activation"]
        if d["params"]:
            label += " (" + " ".join(f"{k}={_init_number(v)}" for k, v in d["params"].items()) + ")"
        counts = ", ".join(f"{name} {n}" for name, n in diagram.counts().items() if n)
        lines.append(
            f"{label}: {len(b)} x {len(w)} grid (σb² {_init_number(b[0])}..{_init_number(b[-1])}"
            f" rows, σw² {_init_number(w[0])}..{_init_number(w[-1])} columns): {counts}"
        )
        points = [
            f"σb² {_init_number(p['sigma_b2'])}: "
            + ("none" if p["sigma_w2"] is None else f"σw² {_init_number(p['sigma_w2'])}")
            for p in d["critical_line"]
        ]
        lines.append(f"  critical line (χ1 = 1): {'; '.join(points)}")
    _prose(out, lines)


def _plain(value: Any) -> Any:
    """A CSV cell: numbers as Python writes them, None as empty."""
    return "" if value is None else value


_RENDERERS = {
    "ListResult": _render_list,
    "ShowResult": _render_show,
    "ValidateResult": _render_validate,
    "EvalResult": _render_eval,
    "ScalarResult": _render_scalars,
    "DeriveResult": _render_derive,
    "CheckResult": _render_check,
    "Smoothness": _render_smoothness,
    "PropertiesResult": _render_properties,
    "DepthResult": _render_depth,
    "InitResult": _render_init,
    "PhaseResult": _render_phase,
}
