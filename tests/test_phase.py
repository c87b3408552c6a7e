"""`actcli phase`: the mean-field phase diagram, against references written here (mpmath
quadrature and root finding, hand derivations for relu), the scalar per-point fixed-point
iteration, and itself split into blocks of rows (bit for bit)."""

from __future__ import annotations

import csv
import io
import json
import math

import mpmath
import numpy as np
import pytest
from reference import DERIVATIVES, REFERENCES, gaussian_mean, tanh_edge_of_chaos

import actcli
from actcli.api import load_activation
from actcli.cli import main
from actcli.propagation.meanfield import GaussianMoments, fixed_point
from actcli.propagation.phase import phase_rows
from actcli.propagation.phase_figure import phase_figure


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


@pytest.mark.slow
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
    sigma_w2, _ = tanh_edge_of_chaos("0.05")
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


def mean_field_reference(name: str, sigma_w2: str, sigma_b2: str, kinks=()) -> tuple[float, float]:
    """(q*, chi_1) at 20 digits from tests/reference.py's f and f': q* by a few iterations of
    q -> sigma_w2 E[f(sqrt(q) z)^2] + sigma_b2 from q^1 = sigma_w2 + sigma_b2, then
    mpmath.findroot; chi_1 = sigma_w2 E[f'(sqrt(q*) z)^2]; each expectation split at the
    kinks c / sqrt(q) of f."""
    function, derivative = REFERENCES[name], DERIVATIVES[name]
    with mpmath.workdps(20):
        w, b = mpmath.mpf(sigma_w2), mpmath.mpf(sigma_b2)

        def second(g, q):
            root = mpmath.sqrt(q)
            return gaussian_mean(lambda z: g(root * z) ** 2, [c / root for c in kinks])

        q = w + b
        for _ in range(6):
            q = w * second(function, q) + b
        q = mpmath.findroot(lambda x: w * second(function, x) + b - x, q)
        return float(q), float(w * second(derivative, q))


@pytest.mark.parametrize(("name", "kinks"), [("gelu", ()), ("selu", (0,)), ("hardtanh", (-1, 1))])
@pytest.mark.slow
def test_grid_q_star_and_chi_1_match_mpmath(name: str, kinks: tuple) -> None:
    weights, biases = np.array([0.75, 1.5, 3.0]), np.array([0.1, 0.3])
    diagram = phase_rows(load_activation(name), weights, biases)
    for i, j in [(0, 1), (1, 0), (1, 2)]:
        w, b = str(weights[j]), str(biases[i])
        if name != "hardtanh" and j == 2:
            # linear right tails, f'(oo) = 1 (gelu) or lambda = 1.0507 (selu), f'(-oo) = 0:
            # E[f(sqrt(q) z)^2] ~ q f'(oo)^2 / 2, so F(q) ~ 1.5 q (gelu) or 1.66 q (selu)
            assert diagram.q_star[i, j] == math.inf and diagram.phase[i][j] == "divergent"
            continue
        q, chi = mean_field_reference(name, w, b, kinks)
        assert diagram.q_star[i, j] == pytest.approx(q, rel=1e-10), (w, b)
        assert diagram.chi_1[i, j] == pytest.approx(chi, rel=1e-10), (w, b)


def scalar_path(moments: GaussianMoments, weight: float, bias: float) -> tuple[str, float, float]:
    """The per-point path: plain iteration of the scalar variance map from q^1 (then the
    factor-4 scan and Brent's method, `fixed_point`), chi_1 at the result."""
    star = fixed_point(lambda q: moments.variance_map(weight, bias, q), weight + bias)
    chi = moments.chi(weight, star.value) if star.status != "no_convergence" else math.nan
    return star.status, star.value, chi


@pytest.mark.parametrize("name", ["relu", "selu", "hardtanh", "tanh", "gelu"])
def test_vectorised_grid_equals_the_per_point_iteration(name: str) -> None:
    """Both find the same fixed point from q^1, so q* and chi_1 agree to 1e-12 (away from
    chi_1 = 1, where plain iteration stops while |F(q) - q| <= 4e-16 q still leaves q* uncertain
    by 4e-16 / (1 - F'(q*)))."""
    activation = load_activation(name)
    moments = GaussianMoments(activation)
    weights, biases = np.array([0.5, 1.2, 2.5, 3.5]), np.array([0.0, 0.15, 0.4])
    diagram = phase_rows(activation, weights, biases)
    for i, bias in enumerate(biases.tolist()):
        for j, weight in enumerate(weights.tolist()):
            status, q, chi = scalar_path(moments, weight, bias)
            assert {"converged": diagram.phase[i][j] != "divergent"}.get(status, True)
            if math.isinf(q) or q == 0:
                assert diagram.q_star[i, j] == q, (weight, bias)
            else:
                assert diagram.q_star[i, j] == pytest.approx(q, rel=1e-12), (weight, bias)
            assert diagram.chi_1[i, j] == pytest.approx(chi, rel=1e-12), (weight, bias)


def test_blocks_of_rows_give_the_same_floats_as_the_whole_grid() -> None:
    """A sweep splits the rows across workers and compares with np.array_equal: a point's
    value must not depend on which other points share its batch (or its cache)."""
    activation = load_activation("selu")
    weights, biases = np.linspace(0.5, 3.0, 7), np.linspace(0.0, 0.5, 6)
    whole = phase_rows(activation, weights, biases)
    blocks = [phase_rows(activation, weights, biases[k : k + 2]) for k in (0, 2, 4)]
    for field in ("q_star", "chi_1", "depth_scale"):
        stitched = np.vstack([getattr(block, field) for block in blocks])
        assert np.array_equal(getattr(whole, field), stitched, equal_nan=True), field
    assert whole.critical_line == tuple(p for block in blocks for p in block.critical_line)
    moments = GaussianMoments(load_activation("hardtanh"))
    q = np.geomspace(1e-6, 1e6, 41)
    together = moments.expect_many(q, order=1)
    assert np.array_equal(together[::-1], moments.expect_many(q[::-1], order=1))
    assert np.array_equal(together, [moments.expect(v, order=1) for v in q.tolist()])
    fresh = GaussianMoments(load_activation("hardtanh"))  # nothing cached yet
    assert np.array_equal(together[5:9], fresh.expect_many(q[5:9], order=1))


def test_a_map_equal_to_the_identity_stays_and_a_slow_drift_collapses() -> None:
    # identity: E[(sqrt(q) z)^2] = q, so at sigma_w2 = 1, sigma_b2 = 0 every q is a fixed point
    # and q^1 = 1 stays (chi_1 = 1: critical). hardtanh: |hardtanh(x)| < |x| for |x| > 1, so
    # E[hardtanh(sqrt(q) z)^2] < q for every q > 0 and the map falls to its only fixed point 0,
    # however slowly (the gap is ~exp(-1/(2q)) small below q = 0.02); chi_1 -> hardtanh'(0)^2 = 1.
    weights, biases = np.array([1.0, 2.0]), np.array([0.0, 0.5])
    identity = phase_rows(load_activation("identity"), weights, biases)
    assert identity.q_star[0, 0] == pytest.approx(1.0, rel=1e-15)
    assert identity.phase[0][0] == "critical" and identity.phase[1][0] == "divergent"
    assert identity.q_star[0, 1] == math.inf  # F(q) = 2q
    hardtanh = phase_rows(load_activation("hardtanh"), weights, biases)
    assert hardtanh.q_star[0, 0] == 0.0 and hardtanh.chi_1[0, 0] == 1.0
    assert hardtanh.phase[0][0] == "critical"


def test_expectations_at_extreme_variances() -> None:
    # tanh(x)^2 = x^2 (1 + O(x^2)) and tanh'(0) = 1: E[tanh(sqrt(q) z)^2] = q and
    # E[tanh'(sqrt(q) z)^2] = 1 to rounding for q far below 1e-16, subnormal q included (a
    # collapsing network reaches them after ~1000 layers); relu: q / 2 and 1 / 2 at any q.
    tanh = GaussianMoments(load_activation("tanh"))
    relu = GaussianMoments(load_activation("relu"))
    tiny = np.array([1e-320, 1e-310, 1e-200, 1e-20])
    assert tanh.expect_many(tiny) == pytest.approx(tiny, rel=1e-3)  # 1e-320 keeps 4 digits
    assert tanh.expect_many(tiny, order=1) == pytest.approx(1.0, rel=1e-14)
    wide = np.array([1e-300, 1e-5, 1e5, 1e300])
    assert relu.expect_many(wide) == pytest.approx(wide / 2, rel=1e-14)
    assert relu.expect_many(wide, order=1) == pytest.approx(0.5, rel=1e-14)


def test_tanhshrink_settles_at_the_attractor_below_an_unstable_fixed_point() -> None:
    # tanhshrink at sigma_w2 = 1.4, sigma_b2 = 1.5: from q^1 = 2.9 plain iteration rises to a
    # stable fixed point near 3.393; F(q) - q turns positive again past an unstable one near 13.2
    # and then grows (F ~ 1.4 q). A factor-4 scan from 3.39 to 13.6 sees the same sign at both
    # ends and jumps over the pair: the per-point path called this point divergent.
    q, chi = mean_field_reference("tanhshrink", "1.4", "1.5")
    assert 3.39 < q < 3.4
    diagram = phase_rows(load_activation("tanhshrink"), np.array([1.4]), np.array([1.5]))
    assert diagram.q_star[0, 0] == pytest.approx(q, rel=1e-10)
    assert diagram.chi_1[0, 0] == pytest.approx(chi, rel=1e-10)
    assert diagram.phase[0][0] == "ordered"


def test_an_infinite_chi_1_is_chaotic_and_has_no_critical_line():
    """sqrt|x|: q* is finite (q -> sigma_w^2 sqrt(2q/pi) + sigma_b^2 is sublinear) but
    chi_1 = sigma_w^2 E[1/(4 sqrt(q*)|z|)] = inf: chaotic everywhere, never ordered. It printed
    "undetermined" and a critical line at sigma_w^2 = 4e150."""
    result = actcli.phase(expression="sqrt(abs(x))", sigma_w2=(1, 2, 2), sigma_b2=(0, 0.1, 2))
    (diagram,) = result.diagrams
    assert diagram.counts()["chaotic"] == 4
    assert np.all(np.isposinf(diagram.chi_1))
    assert [point.sigma_w2 for point in diagram.critical_line] == [None, None]
    # the figure paints them chaotic (above the colour scale), not grey like a divergent map
    (mesh,) = phase_figure(result).axes[0].collections
    assert not np.ma.getmaskarray(mesh.get_array()).any()
    assert np.all(mesh.get_array() > mesh.norm.vmax)
