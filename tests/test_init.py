"""`actcli init`: variance preserving and critical sigma_w2, against references written here."""

from __future__ import annotations

import csv
import io
import json
import math

import mpmath
import pytest
from reference import gaussian_mean, tanh_edge_of_chaos

import actcli
from actcli.cli import main


def run_json(capsys, *args: str) -> list[dict]:
    assert main(["init", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)["activations"]


def test_relu_critical_and_variance_preserving_are_two_and_match_torch(capsys):
    # E[relu(z)^2] = 1/2 and E[relu'(z)^2] = P(z > 0) = 1/2, by hand: both sigma_w2 are 2
    (row,) = run_json(capsys, "relu")
    assert row["activation"] == "relu" and row["params"] == {} and row["sigma_b2"] == 0
    assert row["variance_preserving"]["sigma_w2"] == pytest.approx(2.0, rel=1e-12)
    assert row["variance_preserving"]["gain"] == pytest.approx(math.sqrt(2), rel=1e-12)
    assert row["variance_preserving"]["q_star"] == 1.0
    assert row["variance_preserving"]["chi_1"] == pytest.approx(1.0, abs=1e-12)
    assert row["variance_preserving"]["depth_scale"] == "inf"
    assert row["critical"]["sigma_w2"] == pytest.approx(2.0, rel=1e-12)
    assert abs(row["critical"]["chi_1"] - 1) <= 1e-9
    assert row["torch_gain"] == pytest.approx(math.sqrt(2), rel=1e-15)
    assert row["torch_ratio"] == pytest.approx(1.0, rel=1e-12)
    assert row["mean"] == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-12)
    assert row["second_moment"] == pytest.approx(0.5, rel=1e-12)


def test_selu_is_variance_preserving_at_one_and_torch_says_three_quarters(capsys):
    (row,) = run_json(capsys, "selu")  # E[selu(z)^2] = 1 is SELU's design
    assert row["variance_preserving"]["sigma_w2"] == pytest.approx(1.0, rel=1e-9)
    assert row["torch_gain"] == 0.75
    assert row["torch_ratio"] == pytest.approx(4 / 3, rel=1e-9)


def test_tanh_critical_at_sigma_b2_005_matches_an_mpmath_solution(capsys):
    sigma_w2, q_star = tanh_edge_of_chaos("0.05")
    assert abs(sigma_w2 - 1.76) < 0.01  # Schoenholz et al. (2017), Fig. 1
    (row,) = run_json(capsys, "tanh", "--sigma-b2", "0.05")
    assert row["critical"]["sigma_w2"] == pytest.approx(float(sigma_w2), rel=1e-8)
    assert row["critical"]["q_star"] == pytest.approx(float(q_star), rel=1e-8)
    assert abs(row["critical"]["chi_1"] - 1) <= 1e-9
    assert row["critical"]["gain"] == pytest.approx(math.sqrt(float(sigma_w2)), rel=1e-8)
    assert row["torch_gain"] == pytest.approx(5 / 3)
    # variance preserving: (1 - sigma_b2) / E[tanh(z)^2]
    second = float(gaussian_mean(lambda z: mpmath.tanh(z) ** 2))
    assert row["variance_preserving"]["sigma_w2"] == pytest.approx(0.95 / second, rel=1e-10)


def test_gelu_has_no_edge_of_chaos_at_sigma_b2_005(capsys):
    (row,) = run_json(capsys, "gelu", "--sigma-b2", "0.05")
    assert row["critical"] is None
    assert row["critical_note"].startswith("no edge of chaos for sigma_b^2 = 0.05")
    assert row["torch_gain"] is None and row["torch_ratio"] is None
    assert row["variance_preserving"]["sigma_w2"] > 0


def test_leaky_relu_uses_its_own_slope_for_torchs_gain(capsys):
    rows = run_json(capsys, "leaky_relu", "--param", "negative_slope=0.2")
    (row,) = rows
    assert row["params"] == {"negative_slope": 0.2}
    torch = math.sqrt(2 / (1 + 0.2**2))
    assert row["torch_gain"] == pytest.approx(torch, rel=1e-15)
    # E[leaky(z)^2] = (1 + a^2) / 2: here actcli and PyTorch agree
    assert row["variance_preserving"]["gain"] == pytest.approx(torch, rel=1e-12)
    assert row["critical"]["sigma_w2"] == pytest.approx(2 / 1.04, rel=1e-10)


def test_an_inline_expression_with_a_parameter(capsys):
    (row,) = run_json(capsys, "--expr", "a*x", "--param", "a=2")
    assert row["params"] == {"a": 2.0}
    assert row["variance_preserving"]["sigma_w2"] == pytest.approx(0.25, rel=1e-12)
    assert row["critical"]["sigma_w2"] == pytest.approx(0.25, rel=1e-12)
    assert row["torch_gain"] is None  # only built-ins get PyTorch's gain


def test_json_shape(capsys):
    rows = run_json(capsys, "relu", "gelu", "--sigma-b2", "0.05")
    assert [row["activation"] for row in rows] == ["relu", "gelu"]
    for row in rows:
        assert {"activation", "params", "sigma_b2", "variance_preserving", "critical",
                "critical_note", "torch_gain"} <= set(row)  # fmt: skip
        assert {"sigma_w2", "gain", "q_star", "chi_1"} <= set(row["variance_preserving"])
        assert row["sigma_b2"] == 0.05
    assert set(rows[0]["critical"]) == {"sigma_w2", "gain", "q_star", "chi_1"}


def test_tsv_is_the_default_off_a_terminal_and_csv_parses(capsys):
    assert main(["init", "relu", "tanh"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t")[:3] == ["activation", "params", "sigma_b2"]
    assert [line.split("\t")[0] for line in lines[1:]] == ["relu", "tanh"]
    assert main(["init", "relu", "--format", "csv"]) == 0
    (row,) = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert float(row["sigma_w2"]) == pytest.approx(2.0)
    assert float(row["gain_over_torch"]) == pytest.approx(1.0)


def test_table_names_the_missing_edge_of_chaos(capsys):
    assert main(["init", "relu", "gelu", "--sigma-b2", "0.05", "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "σw² critical" in out and "gelu: no edge of chaos" in out
    assert "second moment" in out


@pytest.mark.parametrize(
    "args",
    [["nosuch"], ["softmax"], ["relu", "--sigma-b2", "-1"], [], ["relu", "--format", "text"]],
)
def test_bad_input_exits_2(args, capsys):
    assert main(["init", *args]) == 2
    assert capsys.readouterr().out == ""


def test_the_python_facade():
    result = actcli.init(["relu", "selu"], sigma_b2=0.0)
    assert [row.activation for row in result.rows] == ["relu", "selu"]
    assert result.rows[0].critical.sigma_w2 == pytest.approx(2.0)


def test_help_keeps_the_brackets_of_its_formulas(run_actcli):
    """rich reads [...] as markup: the help's E[f(z)] must survive it."""
    code, out, _ = run_actcli("init", "--help")
    assert code == 0 and "E[f(z)]" in " ".join(out.split())
    code, out, _ = run_actcli("phase", "--help")
    assert code == 0 and "E[f(sqrt(q) z)^2]" in " ".join(out.split())


@pytest.mark.parametrize(
    ("expression", "diverging"),
    [
        # 1/x: E[f(z)^2] = E[1/z^2] = inf (1/z^2 is not integrable at 0): no q map at all
        ("1/x", "E[f(sqrt(q) z)^2] = inf"),
        # sqrt|x|: E[f'(z)^2] = E[1/(4|z|)] = inf although E[f(z)^2] = E|z| = sqrt(2/pi)
        ("sqrt(abs(x))", "E[f'(sqrt(q) z)^2] = inf"),
    ],
)
def test_a_diverging_moment_is_said_not_hidden(capsys, expression, diverging):
    """1/x ran 10 s into an out-of-memory exit 3; sqrt(abs(x)) claimed an edge of chaos at
    sigma_w^2 = 4e150 with q* = inf."""
    (row,) = run_json(capsys, "--expr", expression)
    assert row["critical"] is None
    assert row["critical_note"].startswith("no edge of chaos") and diverging in row["critical_note"]
    if expression == "1/x":
        assert row["second_moment"] == "inf" and row["variance_preserving"] is None
        assert diverging in row["variance_preserving_note"]
    else:
        assert row["second_moment"] == pytest.approx(math.sqrt(2 / math.pi), rel=1e-12)
        assert row["variance_preserving"]["sigma_w2"] == pytest.approx(
            math.sqrt(math.pi / 2), rel=1e-12
        )
        assert row["variance_preserving"]["chi_1"] == "inf"
