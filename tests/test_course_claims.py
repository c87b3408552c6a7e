"""Claims from lecture notes and blog posts (examples/claims/): the verdicts `actcli check` gives.

Each spec states one course claim about a built-in activation. Expected verdicts and numbers
come from hand computation here (`math`), never from actcli's own output.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from actcli.cli import main

CLAIMS = Path(__file__).resolve().parent.parent / "examples" / "claims"

# file -> (spec name, claim checked, expected status, expected exit code)
EXPECTED = {
    "01_sigmoid_output_form.yaml": (
        "course_sigmoid",
        "derivative_in_terms_of_output",
        "holds",
        0,
    ),
    "02_tanh_output_form.yaml": ("course_tanh", "derivative_in_terms_of_output", "holds", 0),
    "03_relu_derivative.yaml": ("course_relu", "derivative", "holds", 0),
    "04_leaky_relu_derivative.yaml": ("course_leaky_relu", "derivative", "holds", 0),
    "05_elu_output_form.yaml": ("course_elu", "derivative_in_terms_of_output", "holds", 0),
    "06_selu_derivative.yaml": ("course_selu", "derivative", "holds", 0),
    "07_softmax_derivative.yaml": ("course_softmax", "jacobian", "partial", 0),
    "08_gelu_tanh_derivative.yaml": ("course_gelu_tanh", "derivative", "holds_approximately", 0),
    "09_softsign_output_form.yaml": (
        "course_softsign",
        "derivative_in_terms_of_output",
        "refuted",
        1,
    ),
    "10_softplus_threshold.yaml": ("course_softplus", "variants.torch", "partial", 0),
    "11_celu_c1_only_when_alpha_not_1.yaml": ("course_celu_smoothness", "smoothness", "refuted", 1),
    "12_elu_c1_for_every_alpha.yaml": ("course_elu_smoothness", "smoothness", "refuted", 1),
}
NUMBER = r"([0-9.]+(?:e[+-]?[0-9]+)?)"


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("ACTCLI_SPEC_PATH", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def check(capsys):
    """`actcli check FILE --format json [ARGS]`: (exit code, the one result)."""

    def run(filename: str, *args: str) -> tuple[int, dict]:
        capsys.readouterr()
        code = main(["check", str(CLAIMS / filename), "--format", "json", *args])
        out, err = capsys.readouterr()
        results = json.loads(out)["results"]
        name, claim, _, _ = EXPECTED[filename]
        assert [(r["activation"], r["claim"]) for r in results] == [(name, claim)], err
        return code, results[0]

    return run


def test_every_claim_file_is_listed():
    assert sorted(p.name for p in CLAIMS.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.slow
def test_claim_files_validate(capsys):
    code = main(["validate", *sorted(str(p) for p in CLAIMS.glob("*.yaml"))])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert out.count(": ok (course_") == len(EXPECTED)


@pytest.mark.parametrize("filename", sorted(EXPECTED))
def test_verdict_and_exit_code(check, filename):
    _, _, status, exit_code = EXPECTED[filename]
    code, result = check(filename)
    assert (result["status"], code) == (status, exit_code), result["detail"]


def test_relu_derivative_does_not_exist_at_zero(check):
    _, result = check("03_relu_derivative.yaml")
    assert "except at x = 0, where f' does not exist" in result["detail"]
    assert "convention" in result["detail"]


def test_leaky_relu_derivative_except_at_zero(check):
    _, result = check("04_leaky_relu_derivative.yaml")
    assert "except at x = 0" in result["detail"]
    assert "one-sided limits negative_slope and 1" in result["detail"]


def test_elu_derivative_exists_at_zero_only_for_alpha_one(check):
    _, result = check("05_elu_output_form.yaml")
    detail = result["detail"]
    assert "except at x = 0" in detail
    # the condition as SymPy's Eq(alpha, 1) or written out as alpha = 1
    assert re.search(r"unless (Eq\(alpha, 1\)|alpha = 1): f' exists there only then", detail)


def test_selu_derivative_except_at_zero(check):
    _, result = check("06_selu_derivative.yaml")
    assert "except at x = 0" in result["detail"]
    assert "one-sided limits alpha*scale and scale" in result["detail"]


def test_softmax_claim_is_the_diagonal_only(check):
    _, result = check("07_softmax_derivative.yaml")
    assert "diagonal" in result["detail"]
    example = result["counterexample"]
    row, column, xs = example["row"], example["column"], example["x"]
    assert row != column and len(xs) == example["n"]
    total = sum(math.exp(v) for v in xs)
    y = [math.exp(v) / total for v in xs]
    # the claim y_i*(1 - y_i) against the off-diagonal Jacobian entry -y_i*y_j
    assert example["claimed"] == pytest.approx(y[row] * (1 - y[row]), rel=1e-9)
    assert example["true"] == pytest.approx(-y[row] * y[column], rel=1e-9)


def _gelu_tanh_derivative(x: float) -> float:
    c = math.sqrt(2 / math.pi)
    u = c * (x + 0.044715 * x**3)
    return (1 + math.tanh(u)) / 2 + x / 2 / math.cosh(u) ** 2 * c * (1 + 3 * 0.044715 * x**2)


def _gelu_tanh_course(x: float) -> float:
    u = 0.0356774 * x**3 + 0.797885 * x
    return 0.5 * math.tanh(u) + (0.0535161 * x**3 + 0.398942 * x) / math.cosh(u) ** 2 + 0.5


def test_gelu_tanh_rounded_derivative_agrees_approximately(check):
    _, result = check("08_gelu_tanh_derivative.yaml")
    match = re.search(rf"largest difference {NUMBER} \(tolerance 1e-06\)", result["detail"])
    assert match, result["detail"]
    reported = float(match.group(1))
    assert 1e-8 < reported < 1e-6
    # by hand: the largest relative error on a grid is about 2.5e-7 (near x = -1.49), so the
    # verdict is right and the sampled figure cannot exceed it
    errors = [
        abs(_gelu_tanh_course(x) - _gelu_tanh_derivative(x))
        / max(1.0, abs(_gelu_tanh_derivative(x)))
        for x in (k / 1000 for k in range(-8000, 8001))
    ]
    assert 1e-7 < max(errors) < 1e-6
    assert reported <= max(errors) * 1.01


def test_softsign_output_form_counterexample(check):
    code, result = check("09_softsign_output_form.yaml")
    assert code == 1
    example = result["counterexample"]
    x = example["x"]
    assert example["true"] == pytest.approx(1 / (1 + abs(x)) ** 2, rel=1e-12)
    assert example["claimed"] == pytest.approx(1 - (x / (1 + abs(x))) ** 2, rel=1e-12)
    assert not math.isclose(example["claimed"], example["true"], rel_tol=1e-6)


@pytest.mark.parametrize(
    ("args", "beta", "threshold"),
    [((), 1.0, 20.0), (("--param", "beta=10", "--param", "threshold=0.4"), 10.0, 0.4)],
)
def test_softplus_threshold_difference(check, args, beta, threshold):
    code, result = check("10_softplus_threshold.yaml", *args)
    assert (result["status"], code) == ("partial", 0)
    detail = result["detail"]
    assert detail.startswith("equal on x < ")
    match = re.search(rf"max \|torch - definition\| = {NUMBER}", detail)
    assert match, detail
    # definition - x = log1p(exp(-beta*x))/beta for beta*x > threshold, largest at the cut-over
    expected = math.log1p(math.exp(-threshold)) / beta
    assert float(match.group(1)) == pytest.approx(expected, rel=0.01)
    assert expected == pytest.approx(2.06e-9 if beta == 1 else 0.0513, rel=0.01)


def test_celu_is_c1_for_every_alpha(check):
    """CELU's f' -> exp(0/alpha) = 1 from the left and 1 from the right, for any alpha > 0."""
    code, result = check("11_celu_c1_only_when_alpha_not_1.yaml")
    assert code == 1
    assert "C1 for every value" in result["detail"]
    assert result["counterexample"]["class"] == "C1"


def test_elu_is_c0_at_alpha_one_half(check):
    """ELU's f' -> alpha from the left and 1 from the right: at alpha = 0.5 it jumps by 1/2."""
    code, result = check("12_elu_c1_for_every_alpha.yaml")
    assert code == 1
    assert result["counterexample"] == {"params": {"alpha": 0.5}, "class": "C0"}
    assert "C1 iff alpha = 1" in result["detail"]
