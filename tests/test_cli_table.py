"""`actcli table` from the command line: formats by option or extension, stdout, the stderr
summary, and one-line errors. Table mathematics is tested in test_lut.py; values here are
checked against `math`/mpmath."""

from __future__ import annotations

import csv
import io
import json
import math
import os

import mpmath
import numpy as np
import pytest


def test_csv_on_stdout_with_the_error_bound_on_stderr(run_actcli):
    code, out, err = run_actcli("table", "sigmoid", "--range", "-2", "2", "--points", "5")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["x", "f"]
    for x_text, f_text in rows[1:]:
        x = float(x_text)
        assert float(f_text) == pytest.approx(1 / (1 + math.exp(-x)), rel=1e-15)
    assert [float(r[0]) for r in rows[1:]] == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert "certified max error" in err and "5 entries" in err


def test_max_error_json_meets_the_bound_with_the_hand_estimate(run_actcli):
    code, out, _ = run_actcli(
        "table", "sigmoid", "--range", "-8", "8", "--max-error", "1e-5", "--format", "json"
    )
    assert code == 0
    table = json.loads(out)
    assert table["measured_max_error"] <= table["certified_max_error"] <= 1e-5
    # max |sigmoid''| = 1/(6 sqrt 3) (at p = (3 +- sqrt 3)/6); linear error <= h^2/8 max|f''|,
    # so any N whose bound holds needs h <= sqrt(8E / max|f''|) at least where f'' peaks.
    h_needed = math.sqrt(8e-5 * 6 * math.sqrt(3))
    assert table["step"] <= h_needed * 1.0001
    assert table["points"] == len(table["x"]) == len(table["values"]["f"])


def test_extension_picks_the_format_and_the_file_is_complete(run_actcli, tmp_path):
    assert run_actcli("table", "tanh", "--points", "33", "-o", "t.npy")[0] == 0
    data = np.load(tmp_path / "t.npy")
    expected = [float(mpmath.tanh(x)) for x in data["x"]]
    np.testing.assert_allclose(data["f"], expected, rtol=1e-15, atol=0)
    assert run_actcli("table", "tanh", "--points", "33", "-o", "t.h")[0] == 0
    assert "static const double tanh_lut[TANH_LUT_SIZE]" in (tmp_path / "t.h").read_text()
    assert sorted(os.listdir(tmp_path)) == ["t.h", "t.npy"]


def test_fixed_point_hex_words_are_twos_complement(run_actcli):
    code, out, _ = run_actcli(
        "table", "tanh", "--range", "-2", "2", "--points", "5",
        "--fixed-point", "Q1.14", "--format", "hex",
    )  # fmt: skip
    assert code == 0
    words = out.split()
    expected = [math.floor(math.tanh(x) * 2**14 + 0.5) for x in (-2, -1, 0, 1, 2)]  # no ties
    assert [int(w, 16) - (1 << 16) * (int(w, 16) >> 15) for w in words] == expected
    assert all(len(w) == 4 for w in words)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["table", "softmax"], "vector activation"),
        (["table", "relu", "--range", "1", "-1"], "--range"),
        (["table", "relu", "--range", "-1e308", "1e308"], "distance"),
        (["table", "relu", "--points", "10", "--step", "0.1"], "--step"),
        (["table", "relu", "--interp", "cubic"], "--interp"),
        (["table", "relu", "--fixed-point", "Q3.12", "--dtype", "float32"], "--dtype"),
        (["table", "relu", "--dtype", "int12"], "int12"),
        (["table", "relu", "--fold"], "--fold"),
        (["table", "relu", "--format", "xlsx"], "--format"),
        (["table", "relu", "--order", "0,1", "--format", "hex"], "one column"),
        (["table", "relu", "-o", "no/such/t.csv"], "no/such"),
    ],
)
def test_bad_options_are_one_line_errors_and_write_nothing(run_actcli, tmp_path, argv, needle):
    code, out, err = run_actcli(*argv)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("actcli: error: ") and needle in err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("expression", ["sin(x)/x", "x*sin(1/x)", "exp(-1/x**2)"])
def test_a_singular_point_inside_a_segment_is_refused_not_a_crash(run_actcli, expression):
    """10 points on [-1, 1]: step 2/9, so x = 0 is no node but the midpoint of the segment
    [-1/9, 1/9], where each formula is 0/0 (or 1/0) and its f'' has no interval enclosure.
    It crashed (ZeroDivisionError, exit 70) measuring there; with 0 a node it was refused."""
    code, out, err = run_actcli(
        "table", "--expr", expression, "--range", "-1", "1", "--points", "10"
    )
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("actcli: error: table: ")
    a, b = (float(v) for v in err.split("[")[1].split("]")[0].split(", "))
    assert a == pytest.approx(-1 / 9, rel=1e-15) and b == pytest.approx(1 / 9, rel=1e-15)


@pytest.mark.parametrize("argv", [["--points", "256"], ["--max-error", "1e-3"]])
def test_no_infinite_error_is_certified(run_actcli, argv):
    """sqrt(|x|)'' = -1/(4|x|^(3/2)) is unbounded at 0: no h^2/8 sup|f''| bound exists on the
    segment around it. It printed "certified max error inf" and wrote the table."""
    code, out, err = run_actcli("table", "--expr", "sqrt(abs(x))", "--range", "-1", "1", *argv)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and "no finite bound" in err and "f''" in err


@pytest.mark.parametrize(
    ("argv", "truth", "falsehood"),
    [
        # sqrt is continuous on [0, 1] with sqrt(0) = 0; it is f'' = -x^(-3/2)/4 that is
        # unbounded at 0, so no h^2/8 sup|f''| bound exists on the first segment
        (["--range", "0", "1"], "no finite bound on [0, ", "pole"),
        # below 0 sqrt has no real value: that is the reason, not a pole
        (["--range", "-1", "1"], "no real value on the left of x = 0", "pole"),
        # 1/x -> +-oo at 0: a pole indeed
        (["--expr", "1/x", "--range", "-1", "1"], "unbounded at x = 0 (a pole)", "no real"),
    ],
)
def test_a_refusal_at_a_singular_point_says_what_is_true(run_actcli, argv, truth, falsehood):
    """sqrt(x) on [0, 1] was refused as "f is unbounded at x = 0 (a pole)"."""
    code, out, err = run_actcli("table", "--expr", "sqrt(x)", *argv)
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert truth in err and falsehood not in err


def test_a_failed_run_keeps_an_existing_table(run_actcli, tmp_path):
    (tmp_path / "t.csv").write_text("previous table\n")
    assert run_actcli("table", "relu", "--points", "1", "-o", "t.csv")[0] == 2
    assert (tmp_path / "t.csv").read_text() == "previous table\n"


def test_piecewise_linear_over_a_wide_range_puts_the_kink_on_a_node(run_actcli):
    """relu is linear on each side of 0: a grid with 0 on a node interpolates it exactly, so
    three points suffice on [-1000, 1000], however small E (with the kink mid-segment the
    bound |J| h / 4 would need h <= 4E: 5e7 points)."""
    code, out, _ = run_actcli(
        "table", "relu", "--range", "-1000", "1000", "--max-error", "1e-9",
        "--format", "json",
    )  # fmt: skip
    assert code == 0
    table = json.loads(out)
    assert 0.0 in table["x"]
    assert table["measured_max_error"] == 0.0 and table["certified_max_error"] <= 1e-9


def test_gelu_over_the_whole_float_range_of_interest_is_certified(run_actcli):
    code, out, _ = run_actcli(
        "table", "gelu", "--range", "-1000", "1000", "--points", "2001",
        "--format", "json",
    )  # fmt: skip
    assert code == 0
    table = json.loads(out)
    # h = 1: gelu'' = (2 - x^2) phi(x) ... peaks at 2 phi(0) = 0.798 at x = 0, so the linear
    # bound is at most h^2/8 * 0.798 = 0.0997 and the error at x = 0.5 alone is
    # |gelu(0.5) - (gelu(0) + gelu(1))/2| = 0.0964 (mpmath), so the certificate must lie between.
    half = float(mpmath.mpf(0.5) * mpmath.ncdf(0.5))
    one = float(mpmath.ncdf(1))
    midpoint_error = abs(half - one / 2)
    assert midpoint_error <= table["measured_max_error"] <= table["certified_max_error"]
    assert table["certified_max_error"] <= 0.0998


@pytest.mark.parametrize(
    "argv",
    [
        ["gelu", "--range", "-8", "8", "--max-error", "1e-12", "--max-points", "16777216",
         "-o", "big.h"],
        ["gelu", "--points", "100000", "--max-output-size", "1M", "-o", "t.npy"],
    ],
)  # fmt: skip
def test_a_table_too_big_to_write_is_refused_up_front(run_actcli, tmp_path, argv):
    """The estimate of the output's size (5 million C literals: about 260M) is refused before
    any work, in one line that names the estimate and the option to raise (exit 3)."""
    code, out, err = run_actcli("table", *argv)
    assert code == 3 and out == ""
    assert len(err.splitlines()) == 1 and "--max-output-size" in err and "entries" in err, err
    assert os.listdir(tmp_path) == []
    code, _, err = run_actcli("table", "gelu", "--points", "1000", "--max-output-size", "1M",
                              "--format", "csv")  # fmt: skip
    assert code == 0, err


@pytest.mark.parametrize("low, high", [("-5e-324", "5e-324"), ("1", "1.0000000000000002")])
def test_nodes_that_are_not_distinct_floats_are_refused(run_actcli, low, high):
    """[-5e-324, 5e-324] with 5 points had step 0 (five equal x, measured error nan) and
    [1, 1 + 2**-52] repeated nodes, both written with exit 0."""
    code, out, err = run_actcli("table", "tanh", "--range", low, high, "--points", "5")
    assert code == 2 and out == ""
    assert "are not distinct float64 numbers" in err


def test_fixed_point_rounds_just_below_a_tie_down(run_actcli):
    """x - 1e-17 at x = 1/8 times 2**2 is 1/2 - 4e-17: nearest integer 0 (by hand); the
    rounding at 53 bits made it 1 (and 2, 3, 4 at 3/8, 5/8, 7/8)."""
    code, out, _ = run_actcli(
        "table", "-e", "x - 1/10**17", "--range", "0", "1", "--step", "0.125",
        "--fixed-point", "Q1.2", "-f", "csv",
    )  # fmt: skip
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))[1:]
    with mpmath.workdps(50):
        for x, stored in rows:
            scaled = (mpmath.mpf(x) - mpmath.mpf(10) ** -17) * 4
            nearest = mpmath.sign(scaled) * mpmath.floor(abs(scaled) + mpmath.mpf(1) / 2)
            assert int(stored) == int(nearest), (x, stored)
