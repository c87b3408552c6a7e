"""What a person sees on a terminal and a program reads from a pipe: data never read as rich
markup, tables that fit the terminal without splitting a number or a word (columns left out,
with a note, when they cannot), plain formats off a terminal, and one line on stderr for every
gate that exits 1.

Terminal tests run the command in a real pseudo-terminal of a fixed width; expected tokens come
from the same command's plain (`text`/`tsv`) output or from the test's own data, never from the
table being checked.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from actcli import render
from actcli.cli import main

FLOAT = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:e[-+]?\d+)?%?[*\u2020]?")
BOX = re.compile(r"[\u2500-\u257f]")  # box-drawing characters
DEPTH = ("--depth", "6", "--width", "16", "--batch", "4", "--seeds", "1")


pytestmark = pytest.mark.usefixtures("plain_environment")


def in_terminal(
    columns: int, *argv: str, program: tuple[str, ...] = ("-m", "actcli")
) -> tuple[int, str, str]:
    """`python -m actcli ARGV` (or `python PROGRAM ARGV`) with stdout on a pseudo-terminal
    `columns` wide (stderr a pipe): (exit code, what the terminal received, stderr)."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = dict(os.environ, COLUMNS=str(columns), TERM="xterm", NO_COLOR="1")
    env.pop("FORCE_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, *program, *argv],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(follower)
    received = read_terminal(leader)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    code = proc.wait(timeout=120)
    text = received.decode().replace("\r\n", "\n")
    assert "\x1b[" not in text, "escape codes under NO_COLOR"
    return code, text, err


def table_tokens(text: str) -> list[str]:
    """The words of a box table, borders removed."""
    return BOX.sub(" ", text).split()


def numbers(tokens: list[str]) -> set[str]:
    return {token for token in tokens if FLOAT.fullmatch(token)}


def assert_fits(text: str, columns: int) -> None:
    from rich.cells import cell_len

    widest = max(cell_len(line) for line in text.splitlines())
    assert widest <= columns, f"a line of {widest} columns on a {columns}-column terminal:\n{text}"


# -- 1. data is never markup -----------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_square_brackets_survive_on_a_terminal(monkeypatch) -> None:
    """rich read `[counterexample: ...]` and `E[f]` as markup tags and dropped them."""
    from actcli.check.result import CheckResult, ClaimResult

    monkeypatch.setenv("COLUMNS", "200")
    result = CheckResult(
        (
            ClaimResult(
                "softsign", "bounded", "refuted", "E[f] [bold]not[/bold] :smile:", {"x": 2.5}
            ),
        )
    )
    out, err = Terminal(), io.StringIO()
    render.render(result, "table", out=out, err=err)
    text = out.getvalue()
    assert "E[f] [bold]not[/bold] :smile: [counterexample: x=2.5]" in text, text
    assert err.getvalue() == ""


def test_check_counterexample_in_a_terminal() -> None:
    code, text, err = in_terminal(
        200, "check", "softsign", "--claim", "derivative_in_terms_of_output=1 - y**2"
    )
    assert code == 1
    assert "[counterexample: x=" in text and "claimed=" in text, text
    assert err == ("actcli: check: 1 claim refuted: softsign derivative_in_terms_of_output\n")


# -- 2. tables fit the terminal without splitting tokens; plain off a terminal ----------------


@pytest.fixture(scope="module")
def properties_text(tmp_path_factory) -> str:
    """`properties relu gelu --format text`: one line per activation, nothing wrapped."""
    proc = subprocess.run(
        [sys.executable, "-m", "actcli", "properties", "relu", "gelu", "--format", "text"],
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_COLOR="1"),
        cwd=tmp_path_factory.mktemp("plain"),
        timeout=300,
        check=True,
    )
    return proc.stdout


@pytest.mark.slow
def test_properties_on_a_wide_terminal_shows_every_column_and_header(properties_text) -> None:
    code, text, err = in_terminal(200, "properties", "relu", "gelu")
    assert (code, err) == (0, "")
    assert_fits(text, 200)
    for header in ("E[f]", "E[f^2]", "E[f'^2]", "P(f'=0)", "max|f'|"):
        assert header in text, f"{header} lost:\n{text}"
    expected = numbers(table_tokens(properties_text))
    assert numbers(table_tokens(text)) == expected, text
    rows = [line for line in text.splitlines() if "relu" in line or "gelu" in line]
    assert len(rows) == 2, "each activation on one line"


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.slow
def test_properties_on_a_narrow_terminal_splits_no_number(properties_text, columns) -> None:
    code, text, err = in_terminal(columns, "properties", "relu", "gelu")
    assert code == 0
    assert_fits(text, columns)
    shown = {token for token in table_tokens(text) if re.search(r"\d", token)}
    expected = set(table_tokens(properties_text))
    assert shown and shown <= expected, f"a number split across lines: {shown - expected}\n{text}"
    # columns that did not fit are named on stderr, and are absent, never squeezed
    note = err.splitlines()
    assert len(note) == 1 and re.fullmatch(
        r"actcli: note: \d+ columns hidden \(.*\); use --format tsv or a wider terminal", note[0]
    ), err
    for hidden in re.search(r"\((.*)\)", note[0]).group(1).split(", "):
        assert hidden not in text
    assert "[-0.169971207479904," in text  # the range wraps between words, not inside one


def test_list_on_80_columns_breaks_no_word() -> None:
    code, text, err = in_terminal(80, "list")
    assert code == 0
    assert_fits(text, 80)
    proc = subprocess.run(
        [sys.executable, "-m", "actcli", "list", "--format", "tsv"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = list(csv.DictReader(io.StringIO(proc.stdout), delimiter="\t"))
    tokens = set(table_tokens(text))
    for row in rows:  # every word of every title, whole
        assert set(row["title"].split()) <= tokens, row["title"]
        assert row["name"] in tokens
    # the long parameter values (selu's) go first, named on stderr
    assert err == (
        "actcli: note: 1 column hidden (parameters); use --format tsv or a wider terminal\n"
    )


@pytest.mark.slow
def test_simulate_depth_on_80_columns_keeps_the_verdict(tmp_path) -> None:
    code, text, err = in_terminal(80, "simulate-depth", "relu", "sigmoid", *DEPTH)
    assert code == 0
    assert_fits(text, 80)
    plain = subprocess.run(
        [sys.executable, "-m", "actcli", "simulate-depth", "relu", "sigmoid", *DEPTH],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    expected = {
        row["activation"]: row for row in csv.DictReader(io.StringIO(plain.stdout), delimiter="\t")
    }
    rows = [line for line in text.splitlines() if re.search(r"│(relu|sigmoid) *│", line)]
    assert len(rows) == 2, text
    for line in rows:  # one line per run: rank, name, verdict, ..., total factor, whole
        cells = [cell.strip() for cell in line.strip("│").split("│")]
        want = expected[cells[1]]
        assert cells[2] == want["verdict"], line
        assert cells[6] == f"{float(want['total_factor']):.3g}", line


def test_simulate_depth_in_a_pipe_is_tsv(run_actcli) -> None:
    code, out, _ = run_actcli("simulate-depth", "relu", "sigmoid", *DEPTH)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out), delimiter="\t"))
    assert [row["activation"] for row in rows] and {row["activation"] for row in rows} == {
        "relu",
        "sigmoid",
    }
    assert all(row["verdict"] in ("vanishing", "stable", "exploding") for row in rows)
    assert not BOX.search(out)


def test_table_asked_for_in_a_pipe_does_not_wrap(run_actcli, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_actcli("simulate-depth", "relu", "sigmoid", *DEPTH, "--format", "table")
    assert code == 0 and err == ""
    rows = [line for line in out.splitlines() if line.startswith("\u2502")]
    assert len(rows) == 2, out
    for row in rows:
        cells = [cell.strip() for cell in row.strip("\u2502").split("\u2502")]
        assert len(cells) == 12 and cells[1] in ("relu", "sigmoid"), row
        assert all(cells), f"an empty cell: a wrapped row\n{out}"


# -- 5. gates say why on stderr ----------------------------------------------------------------


def test_smoothness_require_says_why(run_actcli) -> None:
    code, _, err = run_actcli("smoothness", "relu", "--require", "C1")
    assert code == 1
    assert err == "actcli: smoothness: relu is C0, below the required C1\n"
    code, _, err = run_actcli("smoothness", "relu", "--require", "C0")
    assert (code, err) == (0, "")


def test_simulate_depth_fail_on_says_why(run_actcli) -> None:
    code, out, err = run_actcli(
        "simulate-depth", "sigmoid", "--depth", "30", *DEPTH[2:], "--fail-on", "vanishing"
    )
    assert code == 1 and "vanishing" in out
    *notes, last = err.splitlines()  # a delimited format's notes go to stderr first
    assert last == "actcli: simulate-depth: sigmoid is vanishing (--fail-on vanishing)"
    assert all(line.startswith("actcli: note: sigmoid: ") for line in notes)


def test_check_refuted_says_why_even_with_json(run_actcli) -> None:
    code, out, err = run_actcli(
        "check", "softsign", "--claim", "derivative_in_terms_of_output=1 - y**2", "-f", "json"
    )
    assert code == 1 and out.startswith("{")
    assert err == "actcli: check: 1 claim refuted: softsign derivative_in_terms_of_output\n"


def test_derive_without_an_output_form_says_why(run_actcli) -> None:
    code, _, err = run_actcli("derive", "gelu", "--in-terms-of-output")
    assert code == 1
    assert len(err.splitlines()) == 1 and err.startswith("actcli: derive: gelu: "), err


def test_a_column_wider_than_the_terminal_is_hidden_or_alone_folded(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "20")
    out, err = Terminal(), io.StringIO()
    render._table(out, None, ["x", "y"], [["1.0", "1" * 40]], err)
    assert all(len(line) <= 20 for line in out.getvalue().splitlines()), out.getvalue()
    assert "1.0" in out.getvalue() and "11" not in out.getvalue()
    assert err.getvalue().startswith("actcli: note: 1 column hidden (y)")
    out, err = Terminal(), io.StringIO()
    render._table(out, None, ["y"], [["1" * 40]], err)  # nothing else to show: folded
    assert all(len(line) <= 20 for line in out.getvalue().splitlines()), out.getvalue()
    assert "".join(re.findall(r"1+", out.getvalue())) == "1" * 40 and err.getvalue() == ""


def test_debug_keeps_a_gate_exit_1(run_actcli) -> None:
    assert main(["smoothness", "relu", "--require", "C1", "--debug"]) == 1


def read_terminal(leader: int) -> bytes:
    """Everything written to a pseudo-terminal until its child closes it; closes `leader`."""
    received = b""
    while True:
        try:
            chunk = os.read(leader, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(leader)
    return received


def stderr_in_terminal(*argv: str, cwd: Path) -> tuple[int, str, str]:
    """`python -m actcli ARGV` with stderr on a pseudo-terminal (stdout a pipe): (exit code,
    stdout, what the terminal received)."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 200, 0, 0))
    env = dict(os.environ, COLUMNS="200", TERM="xterm", NO_COLOR="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "actcli", *argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
        cwd=cwd,
    )
    os.close(follower)
    received = read_terminal(leader)
    out = proc.stdout.read().decode()
    proc.stdout.close()
    return proc.wait(timeout=120), out, received.decode()


PROGRESS = re.compile(r"\ractcli: table: segments certified (\d+)/(\d+)")


@pytest.mark.slow
def test_table_progress_on_a_terminal_and_not_in_a_pipe(tmp_path, run_actcli) -> None:
    """A big table reports segments certified on a terminal's stderr, one line rewritten with
    \\r and cleared before the summary; in a pipe stderr has only the summary."""
    from actcli.lut.bounds import PROGRESS_CHUNK

    points = PROGRESS_CHUNK + 4000  # two chunks of segments: one report before the end
    argv = ("table", "gelu", "--points", str(points), "-o", "t.csv")
    code, _, terminal = stderr_in_terminal(*argv, cwd=tmp_path)
    assert code == 0, terminal
    counts = [(int(done), int(total)) for done, total in PROGRESS.findall(terminal)]
    assert counts and all(total == points - 1 and done < total for done, total in counts), terminal
    summary = terminal.index(f"actcli: gelu: {points} entries")
    assert terminal.rfind("\r", 0, summary) > terminal.rfind("segments certified", 0, summary)
    code, _, err = run_actcli(*argv)
    assert code == 0 and "segments certified" not in err and "\r" not in err


def test_progress_reports_reach_only_an_installed_listener() -> None:
    from actcli import supervisor

    supervisor.progress(1, 2, "nobody listens")  # no listener: nothing happens
    seen: list[tuple[int, int, str]] = []
    with supervisor.progress_listener(lambda *report: seen.append(report)):
        supervisor.progress(1, 3, "check: relu")
    supervisor.progress(2, 3, "after")
    assert seen == [(1, 3, "check: relu")]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_rewrites_one_line_and_clears_it(monkeypatch) -> None:
    from actcli import supervisor

    monkeypatch.setattr(render, "PROGRESS_INTERVAL", 0.0)
    terminal, pipe = _Terminal(), io.StringIO()
    with render.progress_line(terminal):
        supervisor.progress(1, 3, "properties: relu")
        supervisor.progress(2, 3, "properties: gelu")
    assert terminal.getvalue().startswith("\ractcli: properties: relu 1/3\ractcli: properties")
    assert terminal.getvalue().endswith("\r")
    with render.progress_line(pipe):
        supervisor.progress(1, 3, "properties: relu")
    assert pipe.getvalue() == ""


def test_derive_progress_on_a_terminal(tmp_path) -> None:
    """derive reports each piece and order it has differentiated, then clears the line."""
    code, out, terminal = stderr_in_terminal("derive", "elu", "--order", "2", cwd=tmp_path)
    assert code == 0, terminal
    assert "derivatives (piece x order) 1/4" in terminal
    assert terminal.endswith("\r") and "d^2/dx^2 elu(x)" in out


def test_an_interval_is_one_word_on_a_narrow_terminal() -> None:
    """ISRU's range (-1, 1) (by hand: x/sqrt(1 + x^2) -> +-1, never reached) stays on one line."""
    code, text, err = in_terminal(80, "properties", "--expr", "x/sqrt(1 + x**2)")
    assert code == 0, err
    assert any("│(-1, 1)" in line or "│ (-1, 1)" in line for line in text.splitlines()), text


@pytest.mark.slow
def test_help_on_a_terminal_is_drawn_in_panels_without_typers_rich_formatter():
    """On a terminal, help sections are panels (rich's console, panel and table; typer's own
    formatter, which imports rich.markdown and rich.traceback, stays unloaded), every command
    listed with click's one-line summary, and docstrings read as text: E[f(z)^2], not E\\[."""
    from tests.test_startup import CONSOLE_PROBE, RICH_HELP

    for argv, usage in (
        (["--help"], "Usage: actcli [OPTIONS]"),
        (["init", "--help"], "Usage: actcli init [OPTIONS]"),
        (["help", "init"], "Usage: actcli init [OPTIONS]"),  # the help command alike
    ):
        code, text, err = in_terminal(
            90, json.dumps(argv), json.dumps(RICH_HELP), program=("-c", CONSOLE_PROBE)
        )
        assert code == 0, err
        assert "LOADED []" in err, err
        assert text.startswith(usage)
        assert "╭─ Options " in text and "╰─" in text
        assert all(len(line) <= 90 for line in text.splitlines())
    assert "E[f(z)^2]" in text and "\\[" not in text
    _, text, _ = in_terminal(90, json.dumps(["--help"]), "[]", program=("-c", CONSOLE_PROBE))
    commands = text.split("╭─ Commands ")[1]
    for name in ("list", "eval", "simulate-depth", "init", "phase", "completion"):
        assert re.search(rf"│ {re.escape(name)} +\S", commands), name
    assert "phase diagram on a grid" in commands  # not cut at "et al."


@pytest.mark.slow
def test_a_bare_actcli_prints_its_help_and_exits_2():
    """The console script with no arguments: its help on stdout as `--help` prints it (in a
    pipe, click's plain text), exit 2; nothing on stderr (it was once the whole help squashed
    into one `actcli: error:` line)."""
    proc = subprocess.run(
        [sys.executable, "-m", "actcli"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2 and proc.stderr == ""
    assert proc.stdout.startswith("Usage: actcli [OPTIONS] COMMAND [ARGS]...")
    assert "Commands:" in proc.stdout
