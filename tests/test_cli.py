"""The `actcli` command line: values, formats, errors, exit codes, pipes and signals.

Expected values come from hand computation in this file, `math` and `mpmath`, never from
actcli's own output.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import mpmath
import pytest

from actcli import __version__
from actcli.cli import main

ANSI = re.compile(r"\x1b\[")
BUILTINS = {
    "binary_step", "celu", "elu", "gelu", "gelu_tanh", "hard_sigmoid", "hardshrink", "hardswish",
    "hardtanh", "identity", "leaky_relu", "log_softmax", "logsigmoid", "maxout", "mish", "prelu",
    "relu", "relu6", "rrelu", "selu", "sigmoid", "silu", "softmax", "softmin", "softplus",
    "softshrink", "softsign", "tanh", "tanhshrink", "threshold",
}  # fmt: skip


pytestmark = pytest.mark.usefixtures("plain_environment")


def run(capsys, monkeypatch, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    """main(argv) with `stdin` as standard input: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert not ANSI.search(out) and not ANSI.search(err), "ANSI escape codes in plain output"
    return code, out, err


@pytest.fixture
def cli(capsys, monkeypatch):
    def call(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        return run(capsys, monkeypatch, *argv, stdin=stdin)

    return call


def values(out: str) -> list[float]:
    return [float(line) for line in out.splitlines()]


def vectors(out: str) -> list[list[float]]:
    return [[float(v) for v in line.split()] for line in out.splitlines()]


def assert_usage_error(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("actcli: error: "), err
    assert len(lines[0]) > len("actcli: error: ") + 3, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, (needle, err)


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


# -- eval: numbers in, one value per line out ---------------------------------------------


def test_eval_positional_numbers_including_negatives(cli) -> None:
    code, out, err = cli("eval", "relu", "-1", "0", "2.5")
    assert code == 0 and err == ""
    assert out.splitlines() == ["0.0", "0.0", "2.5"]


@pytest.mark.parametrize(
    ("name", "x", "expected"),
    [
        ("sigmoid", "0", 0.5),
        ("relu", "2.5", 2.5),
        ("relu", "-3", 0.0),
        ("tanh", "1", math.tanh(1)),
        ("gelu", "1", 0.5 * (1 + math.erf(1 / math.sqrt(2)))),
        ("softplus", "0", math.log(2)),
        ("softplus", "1000", 1000.0),
        ("identity", "-7.25", -7.25),
        ("softsign", "3", 0.75),  # 3 / (1 + 3)
        ("relu6", "10", 6.0),
        ("hardtanh", "-4", -1.0),
    ],
)
def test_eval_shortest_round_trip_repr(cli, name: str, x: str, expected: float) -> None:
    code, out, err = cli("eval", name, x)
    assert code == 0 and err == ""
    (line,) = out.splitlines()
    assert float(line) == expected
    assert line == repr(expected)


def test_eval_softplus_far_left_underflows_to_tiny_nonnegative(cli) -> None:
    # softplus(-1000) = log1p(exp(-1000)) ~ 5e-435, below the smallest subnormal
    code, out, _ = cli("eval", "softplus", "-1000")
    assert code == 0
    (value,) = values(out)
    assert 0.0 <= value < 1e-300


def test_eval_sigmoid_far_left_is_finite_and_tiny(cli) -> None:
    code, out, _ = cli("eval", "sigmoid", "-1000", "-40")
    assert code == 0
    tiny, small = values(out)
    assert math.isfinite(tiny) and 0.0 <= tiny < 1e-300
    assert math.isclose(small, float(1 / (1 + mpmath.exp(40))), rel_tol=1e-14)


def test_eval_gelu_matches_mpmath(cli) -> None:
    xs = ["-3", "-0.5", "0.25", "2"]
    code, out, _ = cli("eval", "gelu", *xs)
    assert code == 0
    for x, got in zip(xs, values(out), strict=True):
        exact = mpmath.mpf(x) / 2 * (1 + mpmath.erf(mpmath.mpf(x) / mpmath.sqrt(2)))
        assert math.isclose(got, float(exact), rel_tol=1e-14), x


@pytest.mark.parametrize("dash", [False, True])
def test_eval_reads_stdin_whitespace_and_newlines(cli, dash: bool) -> None:
    argv = ["eval", "relu", "-"] if dash else ["eval", "relu"]
    code, out, err = cli(*argv, stdin="1 -2\t3\n\n  -4.5\n5e1  \n")
    assert code == 0 and err == ""
    assert values(out) == [1.0, 0.0, 3.0, 0.0, 50.0]


def test_eval_stdin_without_trailing_newline(cli) -> None:
    code, out, _ = cli("eval", "sigmoid", stdin="0")
    assert code == 0
    assert out == "0.5\n"


# -- derivatives -----------------------------------------------------------------------------


def test_eval_first_derivative_of_sigmoid(cli) -> None:
    code, out, _ = cli("eval", "sigmoid", "0", "2", "--order", "1")
    assert code == 0
    at0, at2 = values(out)
    assert at0 == 0.25 and out.splitlines()[0] == "0.25"
    s = sigmoid(2)
    assert math.isclose(at2, s * (1 - s), rel_tol=1e-14)


def test_eval_second_derivative_of_tanh(cli) -> None:
    xs = [-2.0, -0.3, 0.5, 1.0, 3.0]
    code, out, _ = cli("eval", "tanh", *map(repr, xs), "--order", "2")
    assert code == 0
    for x, got in zip(xs, values(out), strict=True):
        # d/dx sech^2 x = -2 tanh x sech^2 x
        expected = -2 * math.tanh(x) / math.cosh(x) ** 2
        assert math.isclose(got, expected, rel_tol=1e-13), x


def test_eval_second_derivative_of_sigmoid(cli) -> None:
    code, out, _ = cli("eval", "sigmoid", "1", "-k", "2")
    assert code == 0
    s = sigmoid(1.0)
    assert math.isclose(values(out)[0], s * (1 - s) * (1 - 2 * s), rel_tol=1e-13)


def test_eval_derivative_of_relu_away_from_zero(cli) -> None:
    code, out, err = cli("eval", "relu", "-2", "3", "--order", "1")
    assert code == 0 and err == ""
    assert values(out) == [0.0, 1.0]


# -- parameters and inline expressions ----------------------------------------------------


def test_eval_param(cli) -> None:
    code, out, _ = cli("eval", "elu", "-1", "--param", "alpha=2")
    assert code == 0
    assert math.isclose(values(out)[0], 2 * (math.exp(-1) - 1), rel_tol=1e-15)


def test_eval_param_short_option_and_positive_side(cli) -> None:
    code, out, _ = cli("eval", "elu", "3", "-p", "alpha=2")
    assert code == 0
    assert values(out) == [3.0]


def test_eval_expr_with_declared_parameter(cli) -> None:
    code, out, err = cli("eval", "--expr", "x*sigmoid(b*x)", "--param", "b=2", "-1", "0.5")
    assert code == 0 and err == ""
    got = values(out)
    assert math.isclose(got[0], -1 * sigmoid(-2.0), rel_tol=1e-15)
    assert math.isclose(got[1], 0.5 * sigmoid(1.0), rel_tol=1e-15)


def test_eval_expr_derivative(cli) -> None:
    code, out, _ = cli("eval", "--expr", "x**3", "2", "--order", "1")
    assert code == 0
    assert values(out) == [12.0]


def test_eval_expr_undeclared_symbol_is_usage_error(cli) -> None:
    assert_usage_error(*cli("eval", "--expr", "x*sigmoid(b*x)", "1"), "'b'")


# -- non-finite inputs ----------------------------------------------------------------------


def test_eval_relu_inf_via_stdin(cli) -> None:
    code, out, _ = cli("eval", "relu", stdin="inf -inf")
    assert code == 0
    assert out.splitlines() == ["inf", "0.0"]


def test_eval_relu_nan_passes_through(cli) -> None:
    code, out, _ = cli("eval", "relu", stdin="nan")
    assert code == 0
    (value,) = values(out)
    assert math.isnan(value), f"relu(nan) printed {out.strip()!r}, expected nan"


def test_eval_relu_derivative_at_nan_is_nan(cli) -> None:
    code, out, _ = cli("eval", "relu", "--order", "1", stdin="nan")
    assert code == 0
    assert math.isnan(values(out)[0]), f"relu'(nan) printed {out.strip()!r}"


@pytest.mark.parametrize(
    ("name", "x", "expected"),
    [
        ("sigmoid", "inf", 1.0),
        ("sigmoid", "-inf", 0.0),
        ("tanh", "-inf", -1.0),
        ("identity", "-inf", -math.inf),
        ("softplus", "inf", math.inf),
        ("sigmoid", "nan", math.nan),
        ("tanh", "nan", math.nan),
        ("elu", "nan", math.nan),
        ("gelu", "nan", math.nan),
        ("leaky_relu", "nan", math.nan),
    ],
)
def test_eval_non_finite_inputs(cli, name: str, x: str, expected: float) -> None:
    code, out, _ = cli("eval", name, stdin=x)
    assert code == 0
    (value,) = values(out)
    if math.isnan(expected):
        assert math.isnan(value)
    else:
        assert value == expected


def test_eval_positional_inf_and_nan(cli) -> None:
    code, out, err = cli("eval", "identity", "inf", "nan")
    assert code == 0, err
    got = values(out)
    assert got[0] == math.inf and math.isnan(got[1])


def test_eval_positional_negative_inf(cli) -> None:
    """`-inf` is a number, not the short options -i -n -f."""
    code, out, err = cli("eval", "relu", "-inf", "2")
    assert code == 0, err
    assert values(out) == [0.0, 2.0]


def test_eval_positional_negative_exponent_notation(cli) -> None:
    """`-1e5` is a number, not `-1` followed by `-e 5` (--expr 5)."""
    code, out, err = cli("eval", "relu", "-1e5", "1e-3")
    assert code == 0, err
    assert values(out) == [0.0, 0.001]


# -- vector kinds ----------------------------------------------------------------------------


def _softmax(row: list[float]) -> list[float]:
    m = max(row)
    e = [math.exp(v - m) for v in row]
    return [v / sum(e) for v in e]


def test_eval_softmax_one_vector_per_line(cli) -> None:
    code, out, err = cli("eval", "softmax", stdin="1 2 3\n0,0,0\n")
    assert code == 0 and err == ""
    rows = vectors(out)
    assert len(rows) == 2
    for x, y in zip([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], rows, strict=True):
        assert len(y) == 3
        assert math.isclose(sum(y), 1.0, rel_tol=1e-15)
        exact = [math.exp(v) / sum(math.exp(u) for u in x) for v in x]
        for got, want in zip(y, exact, strict=True):
            assert math.isclose(got, want, rel_tol=1e-15)
    assert rows[1] == [1 / 3] * 3


def test_eval_softmax_large_inputs_are_finite(cli) -> None:
    code, out, _ = cli("eval", "softmax", stdin="1000 0\n")
    assert code == 0
    ((big, small),) = vectors(out)
    # exact: 1/(1 + e^-1000) and e^-1000/(1 + e^-1000) ~ 5e-435
    tail = mpmath.exp(-1000)
    assert big == float(1 / (1 + tail)) == 1.0
    assert small == float(tail / (1 + tail)) == 0.0


def test_eval_softmax_positional_is_one_vector(cli) -> None:
    code, out, _ = cli("eval", "softmax", "0", "1")
    assert code == 0
    ((a, b),) = vectors(out)
    assert math.isclose(a, 1 / (1 + math.e), rel_tol=1e-15)
    assert math.isclose(b, math.e / (1 + math.e), rel_tol=1e-15)


def test_eval_softmin_is_softmax_of_negated(cli) -> None:
    code, out, _ = cli("eval", "softmin", stdin="1 2 3\n")
    assert code == 0
    for got, want in zip(vectors(out)[0], _softmax([-1.0, -2.0, -3.0]), strict=True):
        assert math.isclose(got, want, rel_tol=1e-15)


def test_eval_maxout_returns_the_max(cli) -> None:
    code, out, _ = cli("eval", "maxout", stdin="1 2 3\n-5 -1 -7\n4,4,0.5\n")
    assert code == 0
    assert vectors(out) == [[3.0], [-1.0], [4.0]]


def test_eval_log_softmax_is_log_of_softmax(cli) -> None:
    x = [1.0, 2.0, 3.0]
    code, out, _ = cli("eval", "log_softmax", stdin="1 2 3\n")
    assert code == 0
    (row,) = vectors(out)
    lse = math.log(sum(math.exp(v) for v in x))
    for got, s, xi in zip(row, _softmax(x), x, strict=True):
        assert math.isclose(got, math.log(s), rel_tol=1e-14)
        assert math.isclose(got, xi - lse, rel_tol=1e-15)


def test_eval_log_softmax_large_inputs(cli) -> None:
    code, out, _ = cli("eval", "log_softmax", stdin="1000 0\n")
    assert code == 0
    ((a, b),) = vectors(out)
    # exact: -log1p(e^-1000) ~ -5e-435 and -1000 - log1p(e^-1000)
    assert a == 0.0 and b == -1000.0


def test_eval_vectors_of_different_lengths_is_input_error(cli) -> None:
    assert_usage_error(*cli("eval", "softmax", stdin="1 2 3\n1 2\n"), "different lengths")


def test_eval_vector_kind_with_order_is_usage_error(cli) -> None:
    assert_usage_error(*cli("eval", "softmax", "--order", "1", stdin="1 2 3\n"), "softmax")


# -- kinks -----------------------------------------------------------------------------------


def test_eval_relu_derivative_at_zero_is_nan_with_one_note(cli) -> None:
    code, out, err = cli("eval", "relu", "0", "--order", "1")
    assert code == 0
    assert out == "nan\n"
    notes = err.splitlines()
    assert len(notes) == 1
    assert "x = 0" in notes[0]
    assert "Traceback" not in err


@pytest.mark.parametrize(("convention", "expected"), [("left", 0.0), ("right", 1.0), ("mean", 0.5)])
def test_eval_at_kink_conventions(cli, convention: str, expected: float) -> None:
    code, out, err = cli("eval", "relu", "-1", "0", "1", "--order", "1", "--at-kink", convention)
    assert code == 0
    assert values(out) == [0.0, expected, 1.0]
    assert len(err.splitlines()) == 1 and "x = 0" in err


def test_eval_kink_note_appears_once_for_many_zeros(cli) -> None:
    stdin = "0\n" * 500 + "0 0 0 1 -1\n" + "0.0 -0\n"
    code, out, err = cli("eval", "relu", "--order", "1", stdin=stdin)
    assert code == 0
    got = values(out)
    assert len(got) == 507
    assert all(math.isnan(v) for v in got[:503]) and got[503:505] == [1.0, 0.0]
    assert all(math.isnan(v) for v in got[505:])
    assert len(err.splitlines()) == 1, err


def test_eval_step_derivative_at_jump_is_nan(cli) -> None:
    code, out, err = cli("eval", "binary_step", "-1", "0", "1", "--order", "1")
    assert code == 0
    left, at0, right = values(out)
    assert left == 0.0 and right == 0.0 and math.isnan(at0)
    assert len(err.splitlines()) == 1 and "x = 0" in err


def test_eval_step_itself_at_zero(cli) -> None:
    # Heaviside with the convention f(0) = 1 (torch.heaviside(x, 1.0))
    code, out, err = cli("eval", "step", "-1", "0", "2")
    assert code == 0 and err == ""
    assert values(out) == [0.0, 1.0, 1.0]


# -- output formats --------------------------------------------------------------------------


def test_eval_json_document(cli) -> None:
    code, out, _ = cli("eval", "elu", "-1", "2", "--param", "alpha=2", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert {"activation", "params", "order", "x", "y"} <= set(doc)
    assert doc["activation"] == "elu"
    assert doc["params"] == {"alpha": 2.0}
    assert doc["order"] == 0
    assert doc["x"] == [-1.0, 2.0]
    assert math.isclose(doc["y"][0], 2 * math.expm1(-1), rel_tol=1e-15)
    assert doc["y"][1] == 2.0


def test_eval_json_non_finite_as_strings(cli) -> None:
    code, out, _ = cli("eval", "identity", "--format", "json", stdin="inf -inf nan 1.5")
    assert code == 0
    doc = json.loads(out)  # strict JSON: no bare NaN / Infinity
    assert doc["x"] == ["inf", "-inf", "nan", 1.5]
    assert doc["y"] == ["inf", "-inf", "nan", 1.5]
    assert "NaN" not in out and "Infinity" not in out


def test_eval_json_order_and_vector(cli) -> None:
    code, out, _ = cli("eval", "softmax", "-f", "json", stdin="0 0\n")
    assert code == 0
    doc = json.loads(out)
    assert doc["x"] == [[0.0, 0.0]] and doc["y"] == [[0.5, 0.5]]
    code, out, _ = cli("eval", "sigmoid", "0", "--order", "1", "--format", "json")
    assert json.loads(out)["order"] == 1 and json.loads(out)["y"] == [0.25]


@pytest.mark.parametrize(("fmt", "delimiter"), [("csv", ","), ("tsv", "\t")])
def test_eval_delimited(cli, fmt: str, delimiter: str) -> None:
    code, out, _ = cli("eval", "relu", "-1", "2.5", "--format", fmt)
    assert code == 0
    rows = list(csv.reader(io.StringIO(out), delimiter=delimiter))
    assert rows == [["x", "f"], ["-1.0", "0.0"], ["2.5", "2.5"]]


@pytest.mark.parametrize(("order", "column"), [("0", "f"), ("1", "df"), ("2", "d2f")])
def test_eval_and_table_name_columns_alike(cli, order: str, column: str) -> None:
    """eval's csv header is table's: x, then f, df, d2f (and x,y under ACTCLI_LEGACY_OUTPUT)."""
    code, out, _ = cli("eval", "sigmoid", "0", "-k", order, "-f", "csv")
    assert code == 0 and out.splitlines()[0] == f"x,{column}"
    code, table, _ = cli("table", "sigmoid", "--points", "3", "-k", order, "-f", "csv")
    assert code == 0 and table.splitlines()[0] == f"x,{column}"
    assert cli("eval", "softmax", "1", "2", "-f", "csv")[1].splitlines()[0] == "x0,x1,f0,f1"


def test_legacy_output_keeps_the_old_shapes(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTCLI_LEGACY_OUTPUT", "1")
    assert cli("eval", "relu", "1", "-f", "csv")[1] == "x,y\n1.0,1.0\n"
    code, out, _ = cli("properties", "relu", "-f", "json")
    rows = json.loads(out)
    assert code == 0 and isinstance(rows, list) and rows[0]["activation"] == "relu"


def test_properties_json_is_an_object(cli) -> None:
    code, out, _ = cli("properties", "relu", "tanh", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and set(doc) == {"activations"}
    assert [row["activation"] for row in doc["activations"]] == ["relu", "tanh"]
    assert doc["activations"][0]["range"]["lower"] == 0.0


@pytest.mark.parametrize("fmt", ["JSON", "Json", " json"])
def test_format_is_case_insensitive(cli, fmt: str) -> None:
    code, out, _ = cli("eval", "relu", "2", "--format", fmt)
    assert code == 0 and json.loads(out)["y"] == [2.0]
    assert json.loads(cli("list", "-f", fmt)[1])["activations"]


def test_table_format_case_against_the_extension(cli, tmp_path: Path) -> None:
    code, _, err = cli("table", "relu", "--points", "3", "-o", "t.JSON", "--format", "JSON")
    assert code == 0, err
    assert json.loads((tmp_path / "t.JSON").read_text())["columns"] == ["x", "f"]


@pytest.mark.parametrize("tag", ["relu-like", "relu_like", "ReLU-Like", "RELU_LIKE"])
def test_tag_spelling(cli, tag: str) -> None:
    code, out, _ = cli("list", "--tag", tag, "--format", "json")
    names = {a["name"] for a in json.loads(out)["activations"]}
    assert code == 0 and {"relu", "leaky_relu", "prelu"} <= names and "tanh" not in names


def test_eval_table_has_no_ansi(cli) -> None:
    code, out, _ = cli("eval", "relu", "1", "--format", "table")
    assert code == 0
    assert "1.0" in out and not ANSI.search(out)


def test_list_json_has_every_builtin(cli) -> None:
    code, out, _ = cli("list", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    names = {a["name"] for a in doc["activations"]}
    assert BUILTINS <= names
    elu = next(a for a in doc["activations"] if a["name"] == "elu")
    assert elu["kind"] == "scalar" and [p["name"] for p in elu["parameters"]] == ["alpha"]


def test_list_csv(cli) -> None:
    code, out, _ = cli("list", "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["name", "aliases", "kind", "parameters", "tags", "title"]
    assert BUILTINS <= {row[0] for row in rows[1:]}
    assert all(len(row) == 6 for row in rows)


def test_list_tsv_and_text(cli) -> None:
    code, out, _ = cli("list", "--format", "tsv")
    assert code == 0
    assert out.splitlines()[0].split("\t") == [
        "name",
        "aliases",
        "kind",
        "parameters",
        "tags",
        "title",
    ]
    code, out, _ = cli("list", "--format", "text")
    assert code == 0
    assert set(out.split()) >= BUILTINS


def test_list_tag_filters(cli) -> None:
    code, out, _ = cli("list", "--tag", "relu-like", "--format", "text")
    assert code == 0
    names = set(out.split())
    assert {"relu", "leaky_relu", "prelu"} <= names
    assert not {"sigmoid", "tanh", "gelu", "softmax"} & names


def test_list_unknown_tag_is_usage_error(cli) -> None:
    assert_usage_error(*cli("list", "--tag", "no-such-family"), "no-such-family")


def test_list_table_has_no_ansi(cli) -> None:
    code, out, _ = cli("list", "--format", "table")
    assert code == 0 and "relu" in out


def test_show_json_keys(cli) -> None:
    code, out, _ = cli("show", "elu", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert {"name", "title", "kind", "aliases", "tags", "parameters", "params"} <= set(doc)
    assert {"definition", "expression", "latex", "claims", "references"} <= set(doc)
    assert doc["name"] == "elu" and doc["params"] == {"alpha": 1.0}


def test_show_param_binds(cli) -> None:
    code, out, _ = cli("show", "elu", "--param", "alpha=0.5", "--format", "json")
    assert code == 0
    assert json.loads(out)["params"] == {"alpha": 0.5}


def test_show_gelu_latex(cli) -> None:
    code, out, _ = cli("show", "gelu", "--format", "latex")
    assert code == 0
    assert "erf" in out
    assert r"\operatorname{erf}" in out or r"\mathrm{erf}" in out


def test_show_text_and_table(cli) -> None:
    for fmt in ("text", "table"):
        code, out, _ = cli("show", "sigmoid", "--format", fmt)
        assert code == 0
        assert out.startswith("sigmoid")


def test_no_ansi_when_not_a_tty_even_without_no_color(cli, monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR")
    for argv in (
        ["list", "--format", "table"],
        ["show", "elu", "--format", "table"],
        ["eval", "relu", "1", "--format", "table"],
        ["eval", "gleu", "1"],
    ):
        cli(*argv)  # `run` asserts there is no escape code in stdout or stderr


# -- errors: exit 2, one line, no traceback ---------------------------------------------------


def test_unknown_activation_suggests(cli) -> None:
    code, out, err = cli("eval", "gleu", "1")
    assert_usage_error(code, out, err, "gleu", "gelu")


def test_unknown_activation_in_show(cli) -> None:
    assert_usage_error(*cli("show", "sigmiod"), "sigmoid")


def test_unknown_parameter(cli) -> None:
    assert_usage_error(*cli("eval", "elu", "1", "--param", "beta=2"), "beta")


def test_out_of_domain_parameter(cli) -> None:
    assert_usage_error(*cli("eval", "elu", "1", "--param", "alpha=-1"), "alpha")


def test_malformed_param(cli) -> None:
    assert_usage_error(*cli("eval", "elu", "1", "--param", "alpha"), "alpha")


def test_param_given_twice(cli) -> None:
    assert_usage_error(*cli("eval", "elu", "1", "-p", "alpha=1", "-p", "alpha=2"), "alpha")


def test_stdin_non_number_names_the_line(cli) -> None:
    assert_usage_error(*cli("eval", "relu", stdin="1 2\n3\nfoo 4\n"), "stdin line 3", "foo")


@pytest.mark.parametrize("separator", ["\x0c", "\x1c", "\r", "\u2028"])
def test_stdin_lines_are_counted_by_newlines_only(cli, separator) -> None:
    """str.splitlines counted these as line breaks too: `stdin line 3` where wc says 2."""
    text = f"1{separator}2\nabc\n"
    assert_usage_error(*cli("eval", "relu", stdin=text), "stdin line 2:", "abc")
    assert_usage_error(*cli("eval", "softmax", stdin=f"1 2{separator}3 4\n5 x\n"), "line 2:")
    code, out, _ = cli("eval", "relu", "--column", "1", stdin=f"1,0{separator}2,0\r\n3,0\n")
    assert code == 0 and values(out) == [1.0, 2.0, 3.0]  # still separate rows, as before


def test_stdin_starting_with_a_byte_order_mark_is_read(cli) -> None:
    """It was `'\\ufeff1' is not a number`; a header behind one was not found either."""
    code, out, _ = cli("eval", "relu", stdin="\ufeff1\n-2\n")
    assert code == 0 and values(out) == [1.0, 0.0]
    code, out, _ = cli("eval", "relu", stdin="\ufeffx,f\n3,0\n")
    assert code == 0 and values(out) == [3.0]


def test_stdin_vector_non_number_names_the_line(cli) -> None:
    assert_usage_error(*cli("eval", "softmax", stdin="1 2\n3 x\n"), "line 2", "x")


def test_argument_non_number(cli) -> None:
    assert_usage_error(*cli("eval", "relu", "1", "two"), "two")


@pytest.mark.parametrize("stdin", ["", " \n", "\n\n", "# nothing here\n", "x,f,df\n"])
def test_empty_stdin_prints_nothing(cli, stdin: str) -> None:
    assert cli("eval", "relu", stdin=stdin) == (0, "", "")


def test_stdin_comments_and_blank_lines(cli) -> None:
    stdin = "# points\n\n1 -2  # two of them\n\n   \n#-3\n0.5\n"
    code, out, err = cli("eval", "relu", stdin=stdin)
    assert (code, err) == (0, "")
    assert values(out) == [1.0, 0.0, 0.5]


def test_table_csv_fed_back_into_eval(cli) -> None:
    """`table --format csv` output (header x,f,df) read by `eval`: column x by default,
    --column by name or 1-based index; values against math.erf."""
    code, table, _ = cli("table", "gelu", "--range", "-2", "2", "--points", "9", "-k", "0,1")
    assert code == 0 and table.splitlines()[0] == "x,f,df"
    xs = [-2 + k * 0.5 for k in range(9)]

    def gelu(x: float) -> float:
        return x / 2 * (1 + math.erf(x / math.sqrt(2)))

    code, out, err = cli("eval", "gelu", stdin=table)
    assert (code, err) == (0, "")
    assert values(out) == pytest.approx([gelu(x) for x in xs], rel=1e-14, abs=1e-300)
    for column in ("x", "X", "1"):
        assert cli("eval", "gelu", "--column", column, stdin=table)[1] == out
    code, out, _ = cli("eval", "relu", "--column", "f", stdin=table)  # relu of gelu's table
    assert values(out) == pytest.approx([max(gelu(x), 0.0) for x in xs], rel=1e-6)
    code, tsv, _ = cli("table", "gelu", "--range", "-2", "2", "--points", "9", "-f", "tsv")
    assert cli("eval", "gelu", stdin=tsv)[1] == cli("eval", "gelu", stdin=table)[1]


def test_stdin_csv_without_header(cli) -> None:
    code, out, _ = cli("eval", "relu", "--column", "2", stdin="1,-3\n2,4 # note\n")
    assert (code, values(out)) == (0, [0.0, 4.0])
    code, out, _ = cli("eval", "relu", "--column", "x", stdin="x\n-1\n2\n")  # one column
    assert (code, values(out)) == (0, [0.0, 2.0])


@pytest.mark.parametrize(
    ("argv", "stdin", "needles"),
    [
        ((), "a,b\n1,2\n", ("--column", "a, b")),  # several columns, none named x
        ((), "1,2\n3,4\n", ("--column",)),
        (("--column", "df"), "x,f\n1,2\n", ("'df'", "x, f")),
        (("--column", "f"), "1,2\n", ("no header",)),
        (("--column", "0"), "1,2\n", ("from 1",)),
        (("--column", "3"), "x,f\n1,2\n", ("line 2", "column 3")),
        (("--column", "f"), "x,f\n1,2\n3,oops\n", ("line 3", "oops")),
        ((), "x,f\n1,2\nfoo,4\n", ("line 3", "foo")),
        ((), "# c\n1\n2 bar # c\n", ("line 3", "bar")),
        ((), "foo\n1\n", ("line 1", "foo")),  # a lone word is no header: a typo
    ],
)
def test_stdin_table_errors(cli, argv: tuple[str, ...], stdin: str, needles: tuple) -> None:
    assert_usage_error(*cli("eval", "relu", *argv, stdin=stdin), *needles)


@pytest.fixture
def broken_spec_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """ACTCLI_SPEC_PATH with one good user spec and one with a bad kind (line 4)."""
    data = Path(__file__).resolve().parent / "data"
    user = tmp_path / "user_specs"
    user.mkdir()
    (user / "bad_kind.yaml").write_bytes((data / "bad_specs" / "bad_kind.yaml").read_bytes())
    good = (data / "good_specs" / "scaled_clamp.yaml").read_bytes()
    (user / "scaled_clamp.yaml").write_bytes(good)
    monkeypatch.setenv("ACTCLI_SPEC_PATH", str(user))
    return user / "bad_kind.yaml"


@pytest.mark.slow
def test_broken_user_spec_is_skipped_with_one_warning(cli, broken_spec_path: Path) -> None:
    warning = (
        f"actcli: warning: {broken_spec_path}:4: kind: 'matrix' is not one of: scalar, vector;"
        " skipped\n"
    )
    for _ in range(2):  # the same with a registry cache entry for the good files
        assert cli("eval", "relu", "1") == (0, "1.0\n", warning)
    code, out, err = cli("eval", "scaled_clamp", "--", "-6", "0.75")  # the rest is usable
    assert (code, err) == (0, warning) and values(out) == [-1.0, 0.25]  # slope 1/3, [-1, 0.5]
    code, out, err = cli("list", "--format", "json")
    names = {a["name"] for a in json.loads(out)["activations"]}
    assert (code, err) == (0, warning) and {"relu", "scaled_clamp"} <= names
    assert "bad_kind" not in names
    code, out, err = cli("properties", "--all", "--format", "csv")  # still one line, not three
    assert code == 0 and err.count("actcli: warning:") == 1


def test_naming_a_broken_user_spec_fails(cli, broken_spec_path: Path) -> None:
    problem = f"{broken_spec_path}:4: kind: 'matrix' is not one of: scalar, vector"
    code, out, err = cli("eval", "bad-kind", "1")
    assert (code, out) == (2, "") and err.splitlines()[-1] == problem
    code, out, err = cli("validate", str(broken_spec_path))  # its problems, not a warning
    assert (code, err) == (2, f"{problem}\n")


def test_column_with_a_vector_activation(cli) -> None:
    assert_usage_error(*cli("eval", "softmax", "--column", "1", stdin="1 2\n"), "--column")


def test_stdin_vectors_with_header_and_comments(cli) -> None:
    code, out, _ = cli("eval", "softmax", stdin="x0,x1 # header\n0,0\n\n# c\n1,1\n")
    assert code == 0
    assert [v for row in vectors(out) for v in row] == pytest.approx([0.5] * 4, rel=1e-15)


def test_stdin_dash_mixed_with_numbers(cli) -> None:
    assert_usage_error(*cli("eval", "relu", "1", "-"), "-")


@pytest.mark.parametrize(
    "argv",
    [
        ["eval", "relu", "1", "--bogus"],
        ["list", "--bogus"],
        ["show", "elu", "--bogus"],
    ],
)
def test_unknown_option(cli, argv: list[str]) -> None:
    assert_usage_error(*cli(*argv), "--bogus")


@pytest.mark.parametrize(
    "argv",
    [
        ["eval", "relu", "1", "--format", "bogus"],
        ["list", "--format", "bogus"],
        ["show", "elu", "--format", "bogus"],
        ["validate", "x.yaml", "--format", "bogus"],
        ["show", "elu", "--format", "csv"],
    ],
)
def test_bad_format(cli, argv: list[str]) -> None:
    assert_usage_error(*cli(*argv), argv[-1])


def test_expr_cannot_run_code(cli, tmp_path: Path) -> None:
    code, out, err = cli("eval", "--expr", "__import__('os').system('touch pwned')", "1")
    assert_usage_error(code, out, err)
    assert not (tmp_path / "pwned").exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "expression",
    [
        "x.__class__",
        "().__class__.__bases__[0]",
        "open('pwned', 'w')",
        "lambda: 1",
        "x if x else 1",
    ],
)
def test_expr_rejects_non_math(cli, tmp_path: Path, expression: str) -> None:
    assert_usage_error(*cli("eval", "--expr", expression, "1"))
    assert not (tmp_path / "pwned").exists()


def test_negative_order(cli) -> None:
    assert_usage_error(*cli("eval", "relu", "1", "--order", "-1"), "order")


def test_non_integer_order(cli) -> None:
    assert_usage_error(*cli("eval", "relu", "1", "--order", "one"))


def test_bad_at_kink(cli) -> None:
    assert_usage_error(
        *cli("eval", "relu", "0", "--order", "1", "--at-kink", "sideways"), "sideways"
    )


def test_name_and_expr_together(cli) -> None:
    assert_usage_error(*cli("eval", "relu", "1", "--expr", "x"))


def test_eval_without_activation(cli) -> None:
    assert_usage_error(*cli("eval"))


@pytest.mark.parametrize(
    "argv",
    [
        ["--debug", "eval", "gleu", "1"],
        ["eval", "gleu", "1", "--debug"],
        ["eval", "--debug", "gleu", "1"],
    ],
)
def test_debug_adds_the_traceback_and_keeps_the_exit_code(cli, argv) -> None:
    """--debug anywhere before `--`: bad input still exits 2 with its one-line message, the
    traceback comes before it on stderr, stdout stays empty."""
    code, out, err = cli(*argv)
    assert (code, out) == (2, "")
    assert "Traceback (most recent call last)" in err and "UnknownActivationError" in err
    assert err.splitlines()[-1].startswith("actcli: error: unknown activation 'gleu'"), err


def test_debug_after_the_command_changes_nothing_else(cli) -> None:
    assert cli("eval", "relu", "1", "-2", "--debug") == (0, "1.0\n0.0\n", "")
    assert cli("eval", "relu", "--debug", "1") == (0, "1.0\n", "")


def test_debug_keeps_usage_errors_exit_2(cli) -> None:
    code, out, err = cli("eval", "relu", "1", "--order", "x", "--debug")
    assert (code, out) == (2, "") and err.splitlines()[-1].startswith("actcli: error: ")


# -- validate --------------------------------------------------------------------------------

GOOD_SPEC = """\
name: my_gated_unit
title: A test activation, x*sigmoid(2x)
kind: scalar
definition:
  expression: "x*sigmoid(2*x)"
references:
  - "written for the tests"
"""

BAD_SPEC = """\
name: my_broken_unit
title: Broken
kind: scalar
definition:
  expression: "x*sigmoid(x"
references: []
"""


def test_validate_good_spec(cli, tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD_SPEC)
    code, out, err = cli("validate", "good.yaml")
    assert code == 0 and err == ""
    assert "good.yaml" in out and "ok" in out


def test_validate_good_spec_json(cli, tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD_SPEC)
    code, out, _ = cli("validate", "good.yaml", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["valid"] is True and doc["files"][0]["name"] == "my_gated_unit"


def test_validate_bad_spec(cli, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD_SPEC)
    code, out, err = cli("validate", "bad.yaml")
    assert code == 2
    assert "Traceback" not in err
    problems = err.splitlines()
    assert len(problems) >= 2
    assert all(re.match(r"bad\.yaml:\d+: ", line) for line in problems), err
    assert any(line.startswith("bad.yaml:5:") for line in problems), err  # the expression line


def test_validate_mixed_files_json(cli, tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD_SPEC)
    (tmp_path / "bad.yaml").write_text(BAD_SPEC)
    code, out, _ = cli("validate", "good.yaml", "bad.yaml", "--format", "json")
    assert code == 2
    doc = json.loads(out)
    assert doc["valid"] is False
    assert [f["valid"] for f in doc["files"]] == [True, False]
    assert doc["files"][1]["problems"]


def test_validate_checks_a_file_named_twice_once(cli, tmp_path: Path) -> None:
    """It was reported as a duplicate of itself (exit 2)."""
    (tmp_path / "good.yaml").write_text(GOOD_SPEC)
    (tmp_path / "link.yaml").symlink_to("good.yaml")
    code, out, err = cli("validate", "good.yaml", "./good.yaml", "link.yaml", "--format", "json")
    assert code == 0 and err == ""
    assert [f["path"] for f in json.loads(out)["files"]] == ["good.yaml"]


def test_validate_missing_file(cli) -> None:
    code, _, err = cli("validate", "missing.yaml")
    assert code == 2 and "missing.yaml" in err and "Traceback" not in err


def test_eval_spec_file(cli, tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD_SPEC)
    code, out, _ = cli("eval", "good.yaml", "1", "-1")
    assert code == 0
    got = values(out)
    assert math.isclose(got[0], sigmoid(2.0), rel_tol=1e-15)
    assert math.isclose(got[1], -sigmoid(-2.0), rel_tol=1e-15)


# -- help and version (in-process) -----------------------------------------------------------


def test_help(cli) -> None:
    code, out, _ = cli("--help")
    assert code == 0
    for command in ("list", "show", "validate", "eval"):
        assert command in out


def test_no_arguments_shows_help_without_empty_error(cli) -> None:
    code, out, err = cli()
    assert code in (0, 2)
    assert "Usage" in out or "Usage" in err
    assert "actcli: error:  " not in err, f"empty error message: {err!r}"
    assert "Traceback" not in err


def test_version_in_process(cli) -> None:
    code, out, _ = cli("--version")
    assert code == 0
    assert out.strip() == f"actcli {__version__}"


# -- the real entry points (subprocess) ----------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ, NO_COLOR="1", COLUMNS="120")
    env.pop("FORCE_COLOR", None)
    env.pop("ACTCLI_SPEC_PATH", None)
    return env


PYTHON_M = [sys.executable, "-m", "actcli"]


def _script() -> list[str]:
    script = Path(sys.executable).parent / "actcli"
    if not script.exists():
        pytest.skip(f"no console script next to {sys.executable}")
    return [str(script)]


@pytest.fixture(params=["python -m actcli", "actcli script"])
def entry(request) -> list[str]:
    return PYTHON_M if request.param == "python -m actcli" else _script()


def test_entry_point_version(entry, tmp_path: Path) -> None:
    from importlib.metadata import version

    proc = subprocess.run(
        [*entry, "--version"], capture_output=True, text=True, env=_env(), cwd=tmp_path
    )
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout == f"actcli {__version__}\n"
    assert version("actcli") == __version__


def test_entry_point_eval_and_exit_codes(entry, tmp_path: Path) -> None:
    proc = subprocess.run(
        [*entry, "eval", "sigmoid", "-"],
        input="0\n",
        capture_output=True,
        text=True,
        env=_env(),
        cwd=tmp_path,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "0.5\n", "")
    proc = subprocess.run(
        [*entry, "eval", "gleu", "1"], capture_output=True, text=True, env=_env(), cwd=tmp_path
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("actcli: error: ") and len(proc.stderr.splitlines()) == 1


def test_entry_point_debug_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [*PYTHON_M, "--debug", "eval", "gleu", "1"],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=tmp_path,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert "Traceback" in proc.stderr and "UnknownActivationError" in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("actcli: error: unknown activation")


def test_entry_point_expr_injection_creates_nothing(tmp_path: Path) -> None:
    proc = subprocess.run(
        [*PYTHON_M, "eval", "--expr", "__import__('os').system('touch pwned')", "1"],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "pwned").exists()


def test_entry_point_no_ansi(entry, tmp_path: Path) -> None:
    env = _env()
    env.pop("NO_COLOR")  # stdout is a pipe, not a terminal: still no colour
    for argv in (["list", "--format", "table"], ["--help"], ["eval", "gleu", "1"]):
        proc = subprocess.run(
            [*entry, *argv], capture_output=True, text=True, env=env, cwd=tmp_path
        )
        assert not ANSI.search(proc.stdout) and not ANSI.search(proc.stderr), argv


def test_broken_pipe_exits_141_silently(tmp_path: Path) -> None:
    data = "".join(f"{i}\n" for i in range(200_000)).encode()
    proc = subprocess.Popen(
        [*PYTHON_M, "eval", "relu", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        cwd=tmp_path,
    )

    def feed() -> None:
        try:
            proc.stdin.write(data)
        except BrokenPipeError:
            pass
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        first = proc.stdout.readline()
        proc.stdout.close()  # the reader goes away, like `| head -1`
        err = proc.stderr.read()
        code = proc.wait(timeout=60)
    finally:
        feeder.join(timeout=10)
        proc.stderr.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert first == b"0.0\n"
    assert err == b"", err.decode(errors="replace")
    assert code == 141, f"exit code {code} after the reader closed stdout (want 141)"


def _wait_until_reading_stdin(pid: int, deadline: float) -> None:
    """Until the process, or the child the console script's supervisor forked, blocks in
    read(0, ...) (Linux), else a generous sleep."""
    if not Path(f"/proc/{pid}/syscall").exists():
        time.sleep(5)
        return
    while time.monotonic() < deadline:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            for process in [str(pid), *children]:
                fields = Path(f"/proc/{process}/syscall").read_text().split()
                where = Path(f"/proc/{process}/wchan").read_text()
                reading = fields[:2] == ["0", "0x0"] and os.uname().machine == "x86_64"
                if "pipe_read" in where or reading:
                    time.sleep(0.1)
                    return
        except OSError:
            break
        time.sleep(0.05)
    time.sleep(5)


def test_ctrl_c_while_reading_stdin_exits_130(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*PYTHON_M, "eval", "relu"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        cwd=tmp_path,
    )
    try:
        _wait_until_reading_stdin(proc.pid, time.monotonic() + 30)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err.decode(errors="replace")
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err
    assert out == b""
    assert len(err.splitlines()) <= 1


def test_an_unexpected_exception_is_one_line_and_exit_70(cli, monkeypatch) -> None:
    """A bug (any exception that is not an ActcliError) still gives one line, not a traceback;
    --debug shows it."""
    from actcli import api

    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(api, "list_activations", broken)
    code, out, err = cli("list")
    assert code == 70 and out == ""
    assert err.splitlines() == [
        "actcli: internal error: RuntimeError: boom second line "
        "(a bug in actcli; rerun with --debug for the traceback)"
    ]
    code, out, err = cli("list", "--debug")
    assert code == 70 and out == ""
    assert "Traceback (most recent call last)" in err and "RuntimeError: boom" in err
    assert err.splitlines()[-1] == (
        "actcli: internal error: RuntimeError: boom second line "
        "(a bug in actcli; the traceback is above)"
    )


FORMAT_HELP = {  # command: (formats accepted, default on a terminal, default off one)
    "list": ({"table", "json", "csv", "tsv", "text"}, "table", "tsv"),
    "show": ({"table", "text", "json", "latex"}, "table", "text"),
    "validate": ({"text", "json"}, "text", "text"),
    "eval": ({"table", "text", "json", "csv", "tsv"}, "table", "text"),
    "derive": ({"text", "latex", "json", "python", "c"}, "text", "text"),
    "check": ({"table", "text", "json", "csv", "tsv"}, "table", "text"),
    "smoothness": ({"text", "json"}, "text", "text"),
    "properties": ({"table", "text", "json", "csv", "tsv"}, "table", "text"),
    "plot": ({"text", "json"}, "text", "text"),
    "table": ({"csv", "tsv", "json", "npy", "c", "hex"}, "csv", "csv"),
    "simulate-depth": ({"table", "json", "csv", "tsv"}, "table", "tsv"),
}


@pytest.mark.parametrize("command", sorted(FORMAT_HELP))
def test_format_help_lists_the_formats_and_defaults(cli, command) -> None:
    """--format's help shows exactly the formats the command accepts, as choices, and its
    default on a terminal and off one; every listed format is accepted, in any case."""
    code, out, _ = cli(command, "--help")
    assert code == 0
    line = option_entry(out, "-f, --format <")
    shown = re.search(r"<([a-z|]+)>", line)
    accepted, on_terminal, off_terminal = FORMAT_HELP[command]
    assert shown and set(shown.group(1).split("|")) == accepted, line
    assert "<str>" not in line
    if on_terminal != off_terminal:
        assert f"default: {on_terminal} on a terminal, {off_terminal} otherwise" in line, line
    else:
        assert f"{off_terminal}" in line.split("default:")[1], line
    code, _, err = cli(command, "--format", "nonsense")
    assert code == 2 and "nonsense" in err and len(err.splitlines()) == 1


def option_entry(help_text: str, start: str) -> str:
    """The entry of the option whose line starts with `start` in click's help (its term and
    the description lines wrapped under it), whitespace collapsed."""
    lines = help_text.splitlines()
    (first,) = [i for i, line in enumerate(lines) if line.lstrip().startswith(start)]
    entry = [lines[first]]
    for line in lines[first + 1 :]:
        if not line.startswith(" " * 8) or line.lstrip().startswith("-"):
            break
        entry.append(line)
    return " ".join(" ".join(entry).split())


def test_choices_are_shown_as_choices(cli) -> None:
    assert "<left|right|mean>" in cli("eval", "--help")[1]
    assert "<he|kaiming|xavier|glorot|lecun|orthogonal>" in cli("simulate-depth", "--help")[1]
    from actcli.propagation.simulate import INITS

    assert set(INITS) == {"he", "kaiming", "xavier", "glorot", "lecun", "orthogonal"}
    assert "vector kinds included" in " ".join(cli("properties", "--help")[1].split())
    code, out, _ = cli("eval", "relu", "0", "--order", "1", "--at-kink", "RIGHT")
    assert code == 0 and values(out) == [1.0]
    code, out, _ = cli("list", "--format", "JSON")
    assert code == 0 and json.loads(out)["activations"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_names_commands_options_and_choices(cli, shell) -> None:
    code, out, _ = cli("completion", shell)
    assert code == 0
    for word in ("list", "eval", "simulate-depth", "help", "completion", "at-kink",
                 "max-points", "left right mean", "csv tsv json npy c hex",
                 "actcli list --format text"):  # fmt: skip
        assert word in out, word
    if shell != "fish":
        checked = subprocess.run(["bash", "-n"], input=out, text=True, capture_output=True)
        assert checked.returncode == 0, checked.stderr


def test_bash_completion_completes_names_and_formats(cli, tmp_path) -> None:
    """The bash script, sourced, completes a command, an option's choices and activation
    names (from `actcli list --format text`, here a stand-in)."""
    script = cli("completion", "bash")[1]
    probe = script + (
        "actcli() { printf 'relu\\nrelu6\\nselu\\n'; }\n"
        'COMP_WORDS=(actcli ev); COMP_CWORD=1; _actcli_completion; echo "${COMPREPLY[*]}"\n'
        "COMP_WORDS=(actcli table gelu --format n); COMP_CWORD=4; _actcli_completion;"
        ' echo "${COMPREPLY[*]}"\n'
        'COMP_WORDS=(actcli eval rel); COMP_CWORD=2; _actcli_completion; echo "${COMPREPLY[*]}"\n'
    )
    done = subprocess.run(["bash", "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["eval", "npy", "relu relu6"]


VECTORS = [
    [1e16, 1e16],  # softmax [1/2, 1/2]: log 2 was lost beside 1e16 ([1, 1])
    [1e15, 1e15, -3.0],
    [0.0, 40.0],  # log_softmax's largest entry -log1p(exp(-40)) = -4.2e-18 was 0
    [0.0, 30.0, 60.0],
    [1e10, 1e10 + 0.5],
    [100000.1, 100000.0],
    [1e300, 1e300, 1e300],
    [-1000.0, 0.0, 1000.0],
]


@pytest.mark.parametrize("vector", VECTORS)
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_a_normalising_activation_keeps_its_digits_at_large_inputs(cli, name, vector) -> None:
    """Each entry within 1e-13 of mpmath at 60 digits (the float inputs taken exactly)."""
    code, out, _ = cli("eval", name, "--", *map(repr, vector))
    assert code == 0
    got = [float(v) for v in out.split()]
    with mpmath.workdps(60):
        x = [mpmath.mpf(v) for v in vector]
        if name == "softmin":
            x = [-v for v in x]
        top = max(x)  # shifted: 60 digits would not hold log(3) beside 1e300
        log_sum = mpmath.log(mpmath.fsum(mpmath.exp(v - top) for v in x))
        truth = [(v - top) - log_sum for v in x]
        if name != "log_softmax":
            truth = [mpmath.exp(t) for t in truth]
        for value, true in zip(got, truth, strict=True):
            assert abs(value - true) <= 1e-13 * abs(true) or abs(true) < 1e-300, (value, true)


def _vector_spec(tmp_path, expression: str) -> str:
    path = tmp_path / "user_vector.yaml"
    path.write_text(
        "name: user_vector\ntitle: t\nkind: vector\nreferences: [hand]\n"
        "parameters:\n  t: {default: 1, domain: positive}\n"
        f'definition:\n  expression: "{expression}"\n'
    )
    return str(path)


@pytest.mark.parametrize(
    "vector, temperature",
    [([1000.0, 1000.0], "1"), ([710.0, 0.0], "1"), ([1.0, 2.0, 3.0], "1e-300"), ([-800.0], "1")],
)
def test_a_softmax_written_as_its_definition_does_not_overflow(cli, tmp_path, vector, temperature):
    """exp(x[i]/t)/sum(exp(x[j]/t), j) was nan at [1000, 1000] (inf/inf) and at [1, 2, 3]
    with t = 1e-300; the truth from mpmath at 60 digits, shifted by the largest entry."""
    path = _vector_spec(tmp_path, "exp(x[i]/t)/sum(exp(x[j]/t), j)")
    code, out, _ = cli("eval", path, "--param", f"t={temperature}", "--", *map(repr, vector))
    assert code == 0
    with mpmath.workdps(60):
        z = [mpmath.mpf(v) / mpmath.mpf(temperature) for v in vector]
        top = max(z)
        total = mpmath.fsum(mpmath.exp(v - top) for v in z)
        for value, v in zip(map(float, out.split()), z, strict=True):
            true = mpmath.exp(v - top) / total
            assert abs(value - true) <= 1e-13 * true or true < 1e-300, (value, true)


@pytest.mark.parametrize(
    "vector", [[1000.0, 0.0, -1000.0], [-800.0, -800.0], [1e300, 1e300], [0.5, -0.25]]
)
def test_a_log_of_a_sum_of_exponentials_does_not_overflow(cli, tmp_path, vector):
    """log(sum(exp(x[j]), j)) was inf at [1000, 0, -1000] and -inf at [-800, -800]."""
    path = _vector_spec(tmp_path, "log(sum(exp(x[j]), j))")
    code, out, _ = cli("eval", path, "--", *map(repr, vector))
    assert code == 0
    with mpmath.workdps(60):
        top = max(mpmath.mpf(v) for v in vector)
        true = top + mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(v) - top) for v in vector))
    assert float(out) == pytest.approx(float(true), rel=1e-13)


@pytest.mark.parametrize(
    "vector", [[1e200, 1e200], [1e-200, 1e-200], [1e300, -1e300, 1.0], [3.0, 4.0], [1e-5, 2e150]]
)
def test_a_norm_does_not_overflow_in_its_squares(cli, tmp_path, vector):
    """x[i]/sqrt(sum(x[j]**2, j)) was 0 at [1e200, 1e200] (the squares overflow) and inf at
    [1e-200, 1e-200] (they underflow); mpmath at 60 digits for the truth."""
    path = _vector_spec(tmp_path, "x[i]/sqrt(sum(x[j]**2, j))")
    code, out, _ = cli("eval", path, "--", *map(repr, vector))
    assert code == 0
    with mpmath.workdps(60):
        norm = mpmath.sqrt(mpmath.fsum(mpmath.mpf(v) ** 2 for v in vector))
        for value, v in zip(map(float, out.split()), vector, strict=True):
            assert value == pytest.approx(float(mpmath.mpf(v) / norm), rel=1e-15)
