"""`actcli phase`: the mean-field phase diagram, against references written here (mpmath
quadrature and root finding for tanh, hand derivations for relu)."""

from __future__ import annotations

import csv
import io
import json
import math

import mpmath
import pytest
from reference import gaussian_mean

import actcli
from actcli.cli import main


def run_json(capsys, *args: str) -> list[dict]:
    assert main(["phase", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)["activations"]


def tanh_reference(sigma_w2: str, sigma_b2: str) -> tuple[float, float]:
    """(q*, chi_1) for tanh: q* = sigma_w2 E[tanh(sqrt(q) z)^2] + sigma_b2 by a few iterations
    and then mpmath.findroot; chi_1 = sigma_w2 E[sech(sqrt(q*) z)^4]."""
    with mpmath.workdps(30):
        w, b = mpmath.mpf(sigma_w2), mpmath.mpf(sigma_b2)

        def second(q):
            return gaussian_mean(lambda z: mpmath.tanh(mpmath.sqrt(q) * z) ** 2)

        q = w + b
        for _ in range(5):
            q = w * second(q) + b
        q = mpmath.findroot(lambda x: w * second(x) + b - x, q)
        chi = w * gaussian_mean(lambda z: mpmath.sech(mpmath.sqrt(q) * z) ** 4)
        return float(q), float(chi)


def test_tanh_q_star_and_chi_1_match_mpmath_at_grid_points(capsys):
    (d,) = run_json(capsys, "tanh", "--sigma-w2", "0.5:3:6", "--sigma-b2", "0.05:0.25:3")
    assert d["sigma_w2"] == pytest.approx([0.5, 1.0, 1.5, 2.0, 2.5, 3.0], abs=1e-15)
    assert d["sigma_b2"] == pytest.approx([0.05, 0.15, 0.25], abs=1e-15)
    # (row, column) -> (sigma_b2, sigma_w2)
    for (i, j), (w, b) in {
        (0, 2): ("1.5", "0.05"),
        (1, 5): ("3", "0.15"),
        (2, 0): ("0.5", "0.25"),
    }.items():
        q, chi = tanh_reference(w, b)
        assert d["q_star"][i][j] == pytest.approx(q, rel=1e-10, abs=1e-10)
        assert d["chi_1"][i][j] == pytest.approx(chi, rel=1e-10, abs=1e-10)
        assert d["depth_scale"][i][j] == pytest.approx(-1 / math.log(chi), rel=1e-8)
        assert d["phase"][i][j] == ("ordered" if chi < 1 else "chaotic")
    assert d["phase"][0][0] == "ordered" and d["phase"][0][5] == "chaotic"
    assert d["depth_scale"][0][5] < 0  # chaotic: -xi layers per e-fold of growth


def test_relu_by_hand(capsys):
    # E[relu(sqrt(q) z)^2] = q/2, so q* = sigma_b2 / (1 - sigma_w2/2) for sigma_w2 < 2 and the
    # map diverges above; E[relu'(sqrt(q) z)^2] = P(z > 0) = 1/2, so chi_1 = sigma_w2/2 exactly.
    (d,) = run_json(capsys, "relu", "--sigma-w2", "0.5:3:6", "--sigma-b2", "0:0.2:3")
    for i, b in enumerate([0.0, 0.1, 0.2]):
        for j, w in enumerate([0.5, 1.0, 1.5, 2.0, 2.5, 3.0]):
            assert d["chi_1"][i][j] == pytest.approx(w / 2, rel=1e-12)
            if w < 2:
                assert d["q_star"][i][j] == pytest.approx(b / (1 - w / 2), rel=1e-10, abs=1e-14)
                assert d["phase"][i][j] == "ordered"
                assert d["depth_scale"][i][j] == pytest.approx(-1 / math.log(w / 2), rel=1e-10)
            elif w > 2 or b > 0:
                assert d["q_star"][i][j] == "inf"
                assert d["phase"][i][j] == "divergent"
    # sigma_w2 = 2, sigma_b2 = 0: q = sigma_w2 * 1 stays where it starts, chi_1 = 1
    assert d["phase"][0][3] == "critical" and d["depth_scale"][0][3] == "inf"
    assert d["critical_line"] == [
        {"sigma_b2": b, "sigma_w2": pytest.approx(2.0, rel=1e-12)} for b in (0.0, 0.1, 0.2)
    ]


def test_tanh_critical_line_at_sigma_b2_005_matches_an_mpmath_solution(capsys):
    with mpmath.workdps(25):
        b = mpmath.mpf("0.05")

        def equations(w, q):
            root = mpmath.sqrt(q)
            second = gaussian_mean(lambda z: mpmath.tanh(root * z) ** 2)
            slope = gaussian_mean(lambda z: mpmath.sech(root * z) ** 4)
            return [w * second + b - q, w * slope - 1]

        sigma_w2, _ = mpmath.findroot(equations, (mpmath.mpf("1.76"), mpmath.mpf("0.57")))
    assert abs(sigma_w2 - 1.76) < 0.01  # Schoenholz et al. (2017), Fig. 1
    (d,) = run_json(capsys, "tanh", "--sigma-w2", "1:3:2", "--sigma-b2", "0.05:0.5:2")
    line = d["critical_line"]
    assert line[0]["sigma_b2"] == 0.05
    assert line[0]["sigma_w2"] == pytest.approx(float(sigma_w2), rel=1e-8)
    assert line[1]["sigma_w2"] > line[0]["sigma_w2"]  # the edge of chaos moves right with sigma_b2


def test_no_critical_point_is_null_and_the_python_api():
    result = actcli.phase("gelu", sigma_w2=(1, 2, 2), sigma_b2=(0.05, 0.1, 2))
    (diagram,) = result.diagrams
    assert [point.sigma_w2 for point in diagram.critical_line] == [None, None]
    assert result.to_json()["activations"][0]["critical_line"][0] == {
        "sigma_b2": 0.05,
        "sigma_w2": None,
    }
    assert sum(diagram.counts().values()) == 4


def test_tsv_has_one_row_per_point_and_text_summarises(capsys):
    args = ["phase", "tanh", "relu", "--sigma-w2", "1:3:3", "--sigma-b2", "0:0.1:2"]
    assert main([*args, "--format", "tsv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out), delimiter="\t"))
    assert len(rows) == 2 * 2 * 3
    assert rows[0]["activation"] == "tanh" and rows[-1]["activation"] == "relu"
    assert {r["phase"] for r in rows} <= {"ordered", "critical", "chaotic", "divergent"}
    assert main([*args, "--format", "text"]) == 0
    text = capsys.readouterr().out
    assert "tanh: 2 x 3 grid" in text and "critical line (χ1 = 1)" in text
    assert "relu: 2 x 3 grid" in text and "divergent 3" in text


def test_plot_writes_an_image(tmp_path, capsys):
    path = tmp_path / "phase.svg"
    args = ["phase", "tanh", "relu", "--sigma-w2", "1:3:3", "--sigma-b2", "0:0.1:2"]
    assert main([*args, "--plot", str(path), "--format", "json"]) == 0
    assert path.read_bytes().startswith(b"<?xml") and b"</svg>" in path.read_bytes()
    assert len(json.loads(capsys.readouterr().out)["activations"]) == 2


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--sigma-w2", "0:3:3", "LO must be positive"),
        ("--sigma-w2", "3:1:3", "LO < HI"),
        ("--sigma-w2", "1:3:1", "N must be between 2 and 200"),
        ("--sigma-w2", "1:3:201", "N must be between 2 and 200"),
        ("--sigma-w2", "1:3", "expected LO:HI:N"),
        ("--sigma-b2", "-0.1:1:3", "LO must be zero or positive"),
        ("--sigma-b2", "0:1:1000", "N must be between 2 and 200"),
        ("--sigma-b2", "0:nan:3", "finite"),
    ],
)
def test_bad_grids_exit_2_naming_the_option(option, value, message, capsys):
    assert main(["phase", "relu", option, value]) == 2
    err = capsys.readouterr().err
    assert option in err and message in err and len(err.strip().splitlines()) == 1


def test_bad_plot_extension_and_vector_activation_exit_2(capsys, tmp_path):
    assert main(["phase", "relu", "--plot", str(tmp_path / "x.txt")]) == 2
    assert ".txt" in capsys.readouterr().err
    assert main(["phase", "softmax", "--sigma-w2", "1:2:2", "--sigma-b2", "0:1:2"]) == 2
    assert "scalar" in capsys.readouterr().err
