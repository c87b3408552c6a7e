"""Lookup tables (actcli.lut) against independent references: tests/reference.py's mpmath
activations, hand-derived error bounds, the machine's C compiler, and parsing the outputs back."""

from __future__ import annotations

import functools
import io
import json
import math
import subprocess

import mpmath
import numpy as np
import pytest
import reference
from conftest import compile_c

from actcli.api import list_activations, load_activation
from actcli.errors import UsageError
from actcli.formats import table_format_for_path
from actcli.lut import make_table, table_bytes

SCALARS = [info.name for info in list_activations().activations if info.kind == "scalar"]
JUMPS = {"binary_step", "hardshrink"}  # f itself is discontinuous


@functools.cache
def activation(name: str, variant: str | None = None):
    return load_activation(name, variant=variant)


def exact(name: str, x: float, order: int = 0) -> mpmath.mpf:
    with mpmath.workdps(40):
        if order == 0:
            return reference.REFERENCES[name](mpmath.mpf(x))
        return reference.DERIVATIVES[name](mpmath.mpf(x))


def errors_against_reference(table, name: str, points: np.ndarray, order: int = 0) -> float:
    got = table.evaluate(points, order)
    return max(
        abs(float(g) - float(exact(name, t, order))) for g, t in zip(got, points, strict=True)
    )


# -- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gelu", "silu", "elu", "mish", "softplus"])
def test_values_agree_with_mpmath(name):
    table = make_table(activation(name), lo=-9, hi=9, points=61)
    for x, value in zip(table.x, table.exact[0], strict=True):
        true = exact(name, x)
        assert abs(value - true) <= 1e-15 * abs(true) + 1e-300, (x, value, true)
    assert np.array_equal(table.stored[0], table.exact[0])  # float64: stored as computed


# -- certified error -----------------------------------------------------------------------


@pytest.mark.parametrize("name", SCALARS)
@pytest.mark.slow
def test_linear_max_error_is_certified_and_measured(name):
    # [-6.5, 6.5] holds every default breakpoint (0, +-0.5, +-1, +-3, 6)
    if name in JUMPS:
        with pytest.raises(UsageError, match=r"^f jumps by (1|0.5) at x = .*split the range"):
            make_table(activation(name), lo=-6.5, hi=6.5, max_error=1e-4)
        table = make_table(activation(name), lo=-6.5, hi=6.5, points=40)
        assert table.certified_error >= 0.5
    else:
        table = make_table(activation(name), lo=-6.5, hi=6.5, max_error=1e-4)
        assert table.certified_error <= 1e-4
    assert table.measured_error <= table.certified_error
    samples = np.linspace(-6.5, 6.5, 97)[1:-1]
    assert errors_against_reference(table, name, samples) <= table.certified_error


@pytest.mark.parametrize("interp", ["nearest", "none"])
@pytest.mark.parametrize("name", ["sigmoid", "relu6", "gelu", "softsign", "selu", "hardswish"])
@pytest.mark.slow
def test_nearest_and_truncation_are_certified(name, interp):
    table = make_table(activation(name), lo=-6.5, hi=6.5, max_error=3e-2, interp=interp)
    assert table.measured_error <= table.certified_error <= 3e-2
    samples = np.linspace(-6.5, 6.5, 201)
    assert errors_against_reference(table, name, samples) <= table.certified_error


@pytest.mark.slow
def test_derivative_orders_are_certified():
    table = make_table(activation("gelu"), lo=-5, hi=5, max_error=1e-5, orders=(0, 1, 2))
    assert len(table.budgets) == 3
    for budget in table.budgets:
        assert budget.measured_error <= budget.certified_error <= 1e-5
    samples = np.linspace(-5, 5, 41)
    assert errors_against_reference(table, "gelu", samples, 1) <= table.budgets[1].certified_error


def test_relu_kink_mid_segment_bound_is_j_h_over_4():
    # relu = smooth + J*(x - c)_+ with smooth = 0, J = 1, c = 0. Linear interpolation of
    # (x - c)_+ over [a, b] is (b - c)(x - a)/h; the gap is largest at x = c: (c-a)(b-c)/h.
    # With 4 nodes on [-1, 1], h = 2/3 and 0 is the midpoint of [-1/3, 1/3]: (1/3)(1/3)/(2/3)
    # = 1/6 = J*h/4.
    table = make_table(activation("relu"), lo=-1, hi=1, points=4)
    assert table.budgets[0].interpolation_bound == pytest.approx(1 / 6, rel=1e-12)
    assert table.measured_error == pytest.approx(1 / 6, rel=1e-9)
    # with 5 nodes the kink sits on a node and linear interpolation is exact
    on_node = make_table(activation("relu"), lo=-1, hi=1, points=5)
    assert on_node.budgets[0].interpolation_bound < 1e-12


@pytest.mark.slow
def test_sigmoid_points_match_hand_bound():
    # f = s, f'' = s(1-s)(1-2s). With u = 1-2s in [-1, 1], s(1-s) = (1-u^2)/4, so
    # |f''| = |u(1-u^2)|/4, largest where 1 - 3u^2 = 0: u = 1/sqrt(3), |f''| = 1/(6*sqrt(3)).
    # Linear error h^2/8 * M <= E needs h <= sqrt(8E/M), N = ceil(16/h) + 1 on [-8, 8].
    m = 1 / (6 * math.sqrt(3))
    target = 1e-6
    table = make_table(activation("sigmoid"), lo=-8, hi=8, max_error=target)
    budget = target - table.budgets[0].evaluation_error
    hand = math.ceil(16 / math.sqrt(8 * budget / m)) + 1
    assert hand <= table.points <= math.ceil(1.02 * hand) + 1
    h = 16 / (table.points - 1)
    assert h**2 / 8 * m <= target  # the found N satisfies the hand bound


def test_softplus_torch_jump_is_reported_or_refused():
    torch = activation("softplus", "torch")
    with pytest.raises(UsageError) as caught:
        make_table(torch, lo=19.999999, hi=20.000001, max_error=1e-10)
    message = str(caught.value)
    assert "jumps by 2.06e-09 at x = 20" in message and "split the range at 20" in message
    assert "\n" not in message
    table = make_table(torch, lo=19.999999, hi=20.000001, points=4)  # 20 mid-segment
    assert table.budgets[0].interpolation_bound >= 2.06e-9 / 2
    assert 1e-9 <= table.measured_error <= table.certified_error
    assert any("jumps by" in note and "x = 20" in note for note in table.notes)


# -- number formats --------------------------------------------------------------------------


def rounded(value: mpmath.mpf, fraction_bits: int) -> int:
    """Round half away from zero, from the mpmath value."""
    scaled = value * 2**fraction_bits
    return int(mpmath.sign(scaled) * mpmath.floor(abs(scaled) + mpmath.mpf(1) / 2))


@pytest.mark.parametrize("name", ["tanh", "gelu", "silu"])
def test_fixed_point_is_correctly_rounded(name):
    table = make_table(activation(name), lo=-4, hi=4, points=129, number_format="Q3.12")
    assert table.number_format == "Q3.12 (int16)" and table.scale == 4096
    assert table.stored[0].dtype == np.int16
    expected = [rounded(exact(name, x), 12) for x in table.x]
    assert table.stored[0].tolist() == expected
    assert table.budgets[0].quantisation_error <= 2.0**-13


def test_fixed_point_ties_round_away_from_zero():
    # x_i = i/2**9 on [-1, 1]: x*2**8 = i/2 is an exact tie for every odd i
    table = make_table(activation("identity"), lo=-1, hi=1, points=2**10 + 1, number_format="Q3.8")
    i = np.arange(-(2**9), 2**9 + 1)
    expected = np.sign(i) * np.floor(np.abs(i) / 2 + 0.5)
    assert np.array_equal(table.stored[0], expected)


def test_fixed_point_saturates():
    table = make_table(activation("relu"), lo=0, hi=100, points=101, number_format="Q3.12")
    assert table.stored[0].max() == 32767
    assert table.budgets[0].quantisation_error == pytest.approx(100 - 32767 / 4096)
    assert any("saturate" in note for note in table.notes)
    wide = make_table(activation("relu"), lo=0, hi=100, points=101, number_format="Q3.12:int32")
    assert wide.storage == "int32" and wide.stored[0].max() == 32767


def test_int_container_picks_the_q_format():
    tanh = make_table(activation("tanh"), lo=-4, hi=4, points=33, number_format="int16")
    assert tanh.number_format == "Q0.15 (int16)"
    gelu = make_table(activation("gelu"), lo=-8, hi=8, points=33, number_format="int16")
    assert gelu.number_format == "Q4.11 (int16)"  # f(8) = 8 is just beyond Q3.12's 7.9998
    assert any("chose Q4.11" in note for note in gelu.notes)
    expected = [rounded(exact("gelu", x), 11) for x in gelu.x]
    assert gelu.stored[0].tolist() == expected


@pytest.mark.parametrize("storage", ["float16", "float32"])
def test_float_formats_are_correctly_rounded(storage):
    table = make_table(activation("gelu"), lo=-6, hi=6, points=97, number_format=storage)
    expected = [np.dtype(storage).type(float(exact("gelu", x))) for x in table.x]
    assert table.stored[0].dtype == np.dtype(storage)
    assert table.stored[0].tolist() == [float(v) for v in expected]


def test_max_error_below_quantisation_is_refused():
    with pytest.raises(UsageError, match=r"--max-error 0.0001: Q1.6 \(int8\) alone errs"):
        make_table(activation("tanh"), lo=-2, hi=2, max_error=1e-4, number_format="Q1.6")


# -- folding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, description",
    [("tanh", "odd: f(-x) = -f(x)"), ("sigmoid", "f(-x) = 1 - f(x)"), ("hardtanh", "odd")],
)
def test_fold_reconstructs_negative_side(name, description):
    table = make_table(activation(name), lo=-6, hi=6, max_error=1e-5, fold=True)
    assert table.fold.startswith(description)
    assert table.x[0] == 0 and table.x[-1] == pytest.approx(6)
    samples = np.linspace(-6, 6, 121)
    assert errors_against_reference(table, name, samples) <= table.certified_error


@pytest.mark.slow
def test_fold_of_derivatives_flips_parity():
    table = make_table(activation("tanh"), lo=-3, hi=3, points=301, orders=(0, 1, 2), fold=True)
    samples = np.linspace(-3, 3, 37)
    assert errors_against_reference(table, "tanh", samples, 1) <= table.budgets[1].certified_error
    second = table.evaluate(samples, 2)
    assert np.allclose(second, -second[::-1], atol=2 * table.budgets[2].certified_error)


def test_fold_is_refused_without_symmetry():
    with pytest.raises(UsageError, match=r"^--fold: relu has no symmetry f\(-x\) = ±f\(x\) \+ c"):
        make_table(activation("relu"), lo=-4, hi=4, fold=True)
    with pytest.raises(UsageError, match=r"--fold: .*symmetric \(-HI, HI\)"):
        make_table(activation("tanh"), lo=-4, hi=5, fold=True)


# -- writers ---------------------------------------------------------------------------------


C_DRIVER = """#include <stdio.h>
#include "table.h"
int main(void)
{
    double x;
    while (scanf("%%lf", &x) == 1)
        printf("%%.17g %%.17g\\n", %s(x), %s(x));
    return 0;
}
"""


@pytest.mark.parametrize(
    "name, options",
    [
        ("gelu", {"lo": -8, "hi": 8, "points": 257, "number_format": "Q3.12"}),
        ("tanh", {"lo": -4, "hi": 4, "points": 101, "number_format": "float16", "fold": True}),
        ("sigmoid", {"lo": -8, "hi": 8, "points": 65, "fold": True, "interp": "nearest"}),
        (
            "softplus",
            {"lo": -5, "hi": 5, "points": 64, "number_format": "float32", "interp": "none"},
        ),
        ("elu", {"lo": -4, "hi": 4, "points": 9, "number_format": "int32"}),
    ],
)
@pytest.mark.slow
def test_c_header_compiles_and_matches(name, options, compiler, tmp_path):
    table = make_table(activation(name), orders=(0, 1), **options)
    (tmp_path / "table.h").write_bytes(table_bytes(table, "c"))
    program = compile_c(compiler, tmp_path, C_DRIVER % (f"{name}_lut_eval", f"{name}_lut_d1_eval"))
    xs = np.concatenate([np.linspace(options["lo"], options["hi"], 53), [-100.0, 100.0]])
    output = subprocess.run(
        [str(program)],
        input="\n".join(repr(float(v)) for v in xs),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split("\n")
    rows = np.array([[float(v) for v in line.split()] for line in output if line])
    assert np.array_equal(rows[:, 0], table.evaluate(xs, 0))  # the same arithmetic
    assert np.array_equal(rows[:, 1], table.evaluate(xs, 1))
    inside = xs[:-2]
    for column, order in ((0, 0), (1, 1)):
        worst = max(
            abs(rows[i, column] - float(exact(name, x, order))) for i, x in enumerate(inside)
        )
        assert worst <= table.budgets[order].certified_error


def test_c_header_names_and_macros():
    table = make_table(activation("softplus", "torch"), lo=-2, hi=2, points=5)
    header = table_bytes(table, "c").decode()
    for text in (
        "#ifndef ACTCLI_SOFTPLUS_TORCH_LUT_H",
        "#include <stdint.h>",
        "#define SOFTPLUS_TORCH_LUT_SIZE 5",
        "#define SOFTPLUS_TORCH_LUT_LO (-2.0)",
        "#define SOFTPLUS_TORCH_LUT_STEP 1.0",
        "static const double softplus_torch_lut[",
        "static inline double softplus_torch_lut_eval(double x)",
        "certified max error",
        "generated by actcli",
    ):
        assert text in header


def test_hex_reads_back():
    table = make_table(activation("tanh"), lo=-3, hi=3, points=33, number_format="Q1.14")
    words = [int(line, 16) for line in table_bytes(table, "hex").decode().split()]
    assert all(len(line) == 4 for line in table_bytes(table, "hex").decode().split())
    signed = [w - (1 << 16) if w >= 1 << 15 else w for w in words]
    assert signed == table.stored[0].tolist()
    half = make_table(activation("tanh"), lo=-3, hi=3, points=33, number_format="float16")
    lines = table_bytes(half, "hex").decode().split()
    values = np.array([int(v, 16) for v in lines], dtype=np.uint16).view(np.float16)
    assert np.array_equal(values, half.stored[0])
    double = make_table(activation("tanh"), lo=-3, hi=3, points=3)
    assert table_bytes(double, "hex").decode().split()[1] == "0" * 16
    with pytest.raises(UsageError, match="hex holds one column; pick one --order"):
        table_bytes(make_table(activation("tanh"), lo=-3, hi=3, points=3, orders=(0, 1)), "hex")


def test_csv_json_npy():
    table = make_table(
        activation("sigmoid"), lo=-2, hi=2, points=5, orders=(0, 1), number_format="Q1.14"
    )
    lines = table_bytes(table, "csv").decode().splitlines()
    assert lines[0] == "x,f,df" and len(lines) == 6
    assert lines[1].split(",") == ["-2.0", str(table.stored[0][0]), str(table.stored[1][0])]
    assert table_bytes(table, "tsv").decode().splitlines()[0] == "x\tf\tdf"
    document = json.loads(table_bytes(table, "json"))
    for key in (
        "activation",
        "params",
        "range",
        "step",
        "points",
        "interpolation",
        "number_format",
        "fold",
        "orders",
        "certified_max_error",
        "measured_max_error",
        "error_budget",
        "notes",
        "x",
        "values",
    ):
        assert key in document
    assert document["values"]["f"] == table.stored[0].tolist()
    assert document["error_budget"][1]["certified_error"] == table.budgets[1].certified_error
    array = np.load(io.BytesIO(table_bytes(table, "npy")))
    assert array.dtype.names == ("x", "f", "df") and array["f"].dtype == np.int16
    assert np.array_equal(array["x"], table.x) and np.array_equal(array["df"], table.stored[1])
    floats = make_table(activation("sigmoid"), lo=-2, hi=2, points=5)
    row = table_bytes(floats, "csv").decode().splitlines()[2].split(",")
    assert float(row[1]) == floats.stored[0][1] and row[0] == "-1.0"


def test_format_for_path():
    expected = {
        "t.csv": "csv",
        "t.TSV": "tsv",
        "t.json": "json",
        "t.npy": "npy",
        "lut.h": "c",
        "rom.hex": "hex",
        "rom.mem": "hex",
        "dir.v/table": None,  # no extension: --format decides
    }
    for path, fmt in expected.items():
        assert table_format_for_path(path) == fmt
    with pytest.raises(UsageError, match=r"\.txt; use \.csv, \.tsv"):
        table_format_for_path("table.txt")


# -- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, message",
    [
        ({"lo": 5, "hi": -5}, "--range 5 -5: LO must be below HI"),
        ({"points": 1}, "--points 1: need at least 2"),
        ({"step": 0.3}, "--step 0.3: does not divide"),
        ({"points": 10, "step": 0.5}, "--points and --step"),
        ({"interp": "cubic"}, "--interp cubic"),
        ({"orders": (3,)}, "--order 3"),
        ({"number_format": "Q20.20"}, "--fixed-point/--dtype Q20.20"),
        ({"number_format": "Q7.8:int8"}, "--fixed-point/--dtype Q7.8:int8"),
        ({"number_format": "int12"}, "--fixed-point/--dtype int12"),
        ({"points": 100, "max_points": 50}, "--points 100: more than --max-points 50"),
        ({"max_error": 1e-9, "max_points": 1000}, "needs more than --max-points 1000"),
    ],
)
def test_bad_options_are_one_line_usage_errors(options, message):
    arguments = {"lo": -4, "hi": 4, **options}
    with pytest.raises(UsageError) as caught:
        make_table(activation("gelu"), **arguments)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_vector_activation_is_refused():
    with pytest.raises(UsageError, match="table: softmax is a vector activation; tables are for"):
        make_table(activation("softmax"), lo=-1, hi=1)


def test_a_measurement_above_the_certified_bound_refuses_the_table(monkeypatch):
    """The measurement checks the certificate: where a kernel gave a wrong value at a grid
    point (max(x, tanh(x))' was 0 at 0, so 1 off), the error measured against mpmath beat
    the certified bound, and the table was written anyway. A stand-in measurement twice the
    certified error must stop it with one clear error."""
    import actcli.lut.table as table_module
    from actcli.errors import AnalysisError

    honest = table_module.measure

    def inflated(result, infos):
        measured, count = honest(result, infos)
        return [2 * b.certified_error for b in result.budgets], count

    monkeypatch.setattr(table_module, "measure", inflated)
    with pytest.raises(AnalysisError, match="certified error .* is below an error of"):
        make_table(activation("tanh"), lo=-2, hi=2, points=9)


@pytest.mark.slow  # ~5 s: the bounds of a user expression's f'' are proven with intervals
def test_a_derivative_column_is_right_at_a_breakpoint_where_it_exists():
    """max(x, tanh(x)): f' is 1 at 0 from both sides (x' = 1, sech(0)**2 = 1); the table
    node at 0 holds 1, and the table stands within its certified bound."""
    table = make_table(
        load_activation(expression="max(x, tanh(x))"), lo=-1, hi=1, points=5, orders=(0, 1)
    )
    column = table.exact[1]
    assert column[2] == 1.0 and table.x[2] == 0.0
    assert all(b.measured_error <= b.certified_error for b in table.budgets)


def test_a_large_table_is_certified_at_the_peak_of_its_bounding_derivative():
    """GELU's f'' = (2 - x**2) phi(x) (hand) peaks at 0 with 2 phi(0) = 2/sqrt(2 pi), so
    the linear bound on a grid with a node at 0 is h**2/8 * 2/sqrt(2 pi) up to Arb's few
    ulp: the segments around the peak are bounded one by one (the blocks of 64 segments
    bounded first are looser), and no other block's bound exceeds them."""
    from actcli.lut import bounds

    points = 40 * bounds.BLOCK + 1  # h = 1/(20 BLOCK); 0 is a node
    table = make_table(activation("gelu"), lo=-1, hi=1, points=points)
    h = 2 / (points - 1)
    peak = h**2 / 8 * 2 / math.sqrt(2 * math.pi)
    assert table.budgets[0].interpolation_bound == pytest.approx(peak, rel=1e-9)
    assert table.measured_error <= table.certified_error


def test_the_reference_values_are_exact_inside_pieces_and_at_breakpoints():
    """The table's reference (an Arb ball of the piece's branch, else mpmath) against
    mpmath: GELU far in its tail (-37: 1e-300 in size), ELU's f' on both sides of its kink
    and at the kink itself (0: the definition's piece there, alpha*exp(0) = 1 for x <= 0)."""
    from actcli.lut.bounds import analyse

    gelu = analyse(activation("gelu"), 0, "linear").exact
    for x in (-37.0, -8.0, -1e-3, 0.5, 7.25):
        with mpmath.workdps(40):
            truth = mpmath.mpf(x) / 2 * mpmath.erfc(-mpmath.mpf(x) / mpmath.sqrt(2))
        assert abs(gelu(x) - truth) <= mpmath.mpf(10) ** -19 * abs(truth)
    elu = analyse(activation("elu"), 1, "linear").exact
    for x in (-2.0, -1e-300, 0.0, 1e-300, 3.0):
        with mpmath.workdps(40):
            truth = mpmath.exp(x) if x <= 0 else mpmath.mpf(1)
        assert abs(elu(x) - truth) <= mpmath.mpf(10) ** -19
