"""`actcli check`: verdicts on the built-in claims, and on wrong claims made on purpose.

Every counterexample that actcli reports is recomputed here by hand (the true derivative written
out in this file, evaluated with mpmath), never taken from actcli's own derivative.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import mpmath
import numpy
import pytest

from actcli import api
from actcli.check import STATUSES, check, check_spec
from actcli.cli import main
from actcli.errors import UsageError
from actcli.registry import Registry, resolve_spec
from actcli.spec_file import load_spec

SIX = {"holds", "holds_approximately", "partial", "refuted", "unproven", "not_yet_checked"}
# Range, monotonicity and bounds are not checked yet; smoothness is (by `actcli smoothness`).
PROPERTY_CLAIMS = {"range", "bounded_below", "bounded_above", "monotonic"}
KEYS = {"activation", "claim", "status", "detail", "counterexample"}
BUILTINS = [
    "binary_step", "celu", "elu", "gelu", "gelu_tanh", "hard_sigmoid", "hardshrink", "hardswish",
    "hardtanh", "identity", "leaky_relu", "log_softmax", "logsigmoid", "maxout", "mish", "prelu",
    "relu", "relu6", "rrelu", "selu", "sigmoid", "silu", "softmax", "softmin", "softplus",
    "softshrink", "softsign", "tanh", "tanhshrink", "threshold",
]  # fmt: skip


def _is_derivative_claim(claim: str) -> bool:
    return claim in ("derivative", "derivative_in_terms_of_output") or claim.startswith(
        ("derivatives.", "derivative_wrt.")
    )


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-300)


def sigmoid(t: float) -> mpmath.mpf:
    return 1 / (1 + mpmath.exp(-mpmath.mpf(t)))


@pytest.fixture(autouse=True)
def _plain(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("ACTCLI_SPEC_PATH", raising=False)


@pytest.fixture
def cli(capsys):
    def call(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return call


@pytest.fixture(scope="module")
def builtin_results() -> dict[str, list]:
    return {spec.name: check_spec(spec) for spec in Registry.default()}


def _one(results, claim: str):
    found = [r for r in results if r.claim == claim]
    assert len(found) == 1, f"{claim}: {results}"
    return found[0]


def _checked(tmp_path: Path, text: str, claim: str):
    """One claim's result for the spec written from `text`."""
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    (result,) = [r for r in check_spec(load_spec(path)) if r.claim == claim]
    return result


def _check_claims(name: str, claims: list[str], params: dict[str, str] | None = None):
    spec = api.with_claims(resolve_spec(name), claims)
    return check([spec], params, claims_only=True).results


# -- the built-ins' own claims ------------------------------------------------------------------


def test_six_statuses() -> None:
    assert set(STATUSES) == SIX and len(STATUSES) == 6


@pytest.mark.slow
def test_every_builtin_is_checked(builtin_results) -> None:
    assert set(builtin_results) == set(BUILTINS)


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_claims(builtin_results, name: str) -> None:
    results = builtin_results[name]
    spec = resolve_spec(name)
    assert results, f"{name}: nothing checked"
    for r in results:
        assert r.activation == name
        assert r.status in SIX
        vector_bound = spec.kind == "vector" and r.claim.startswith("bounded_")
        allowed_unproven = ("unproven",) if vector_bound else ()  # numeric evidence only
        assert r.status != "refuted", f"{name} {r.claim}: {r.status} {r.detail}"
        assert r.status != "unproven" or r.status in allowed_unproven, f"{name} {r.claim}"
        if _is_derivative_claim(r.claim) or r.claim == "jacobian":
            assert r.status == "holds", f"{name} {r.claim}: {r.status} {r.detail}"
        if r.claim == "smoothness":  # checked for scalar kinds; vector kinds may wait
            allowed = ("holds",) if spec.kind == "scalar" else ("holds", "not_yet_checked")
            assert r.status in allowed, f"{name} smoothness: {r.status} {r.detail}"
        if r.claim in PROPERTY_CLAIMS:  # proven for scalar kinds; vector bounds: evidence
            allowed = ("holds",) if spec.kind == "scalar" else ("unproven",)
            assert r.status in allowed, f"{name} {r.claim}: {r.status} {r.detail}"
        if r.status != "refuted":
            assert r.counterexample is None or r.status == "partial"
    checked = {r.claim for r in results}
    for key in spec.claims:
        if key in PROPERTY_CLAIMS:
            assert key in checked, f"{name}: {key} not reported"
    if "derivative" in spec.claims:
        assert "derivative" in checked
    if "derivatives" in spec.claims:
        for order in spec.claims["derivatives"].value:
            assert f"derivatives.{order}" in checked
    if "derivative_wrt" in spec.claims:
        for parameter in spec.claims["derivative_wrt"].value:
            assert f"derivative_wrt.{parameter}" in checked
    for key in ("jacobian", "smoothness", "zero_at_origin", "identity_near_origin"):
        if key in spec.claims:
            assert key in checked, f"{name}: {key} not reported"


@pytest.mark.parametrize(
    ("name", "claim", "true"),
    [
        ("sigmoid", "range=(0, 2)", "(0, 1)"),  # 1/(1 + e^-x) lies strictly between 0 and 1
        ("silu", "monotonic=increasing", "none"),  # x*sigmoid(x) has a minimum at -1 - W(1/e)
        ("relu", "bounded_above=true", "false"),
    ],
)
def test_wrong_property_claims_are_refuted(name, claim, true) -> None:
    (r,) = _check_claims(name, [claim])
    assert r.status == "refuted"
    assert r.counterexample["true"] == true


def test_wrong_smoothness_claim_is_refuted_at_alpha_one_half() -> None:
    """ELU's f' jumps by 1 - alpha at 0: C1 only for alpha = 1."""
    (r,) = _check_claims("elu", ["smoothness=C1"])
    assert r.status == "refuted"
    assert r.counterexample == {"params": {"alpha": 0.5}, "class": "C0"}


POWER_SPEC = """name: power_kink
title: x**a for x > 0, 0 elsewhere
kind: scalar
parameters:
  a: {default: 2.0, domain: "[2, 3]"}
definition:
  piecewise:
    - {when: "x > 0", value: "x**a"}
    - {otherwise: "0"}
claims:
  smoothness: C1
references: ["hand"]
"""


def test_a_smoothness_claim_is_refuted_only_by_a_class_below_it(tmp_path: Path) -> None:
    """f' = a x**(a-1) -> 0 at 0+ for a > 1, so f is C1 for every a in [2, 3] (hand); f''
    jumps from 0 to 2 at a = 2 and is continuous for a > 2. C1 was refuted with a
    'counterexample' of class C2 (SymPy takes no limit of x**a with a symbolic): a value
    whose class is higher than the claim refutes nothing. C2 is refuted at a = 2 (C1)."""
    result = _checked(tmp_path, POWER_SPEC, "smoothness")
    assert result.status in ("holds", "unproven"), result.detail
    result = _checked(
        tmp_path, POWER_SPEC.replace("smoothness: C1", "smoothness: C2"), "smoothness"
    )
    assert result.status == "refuted", result.detail
    assert result.counterexample == {"params": {"a": 2.0}, "class": "C1"}


def test_a_smoothness_claim_below_the_class_of_every_value_is_refuted() -> None:
    """CELU is C1 for every alpha (f' = exp(x/alpha) -> 1 at 0-, hand): claiming C0 is
    refuted by that proof, though no single value has a class below C0."""
    (r,) = _check_claims("celu", ["smoothness=C0"])
    assert r.status == "refuted" and "C1 for every value" in r.detail, r.detail


# -- wrong claims are refuted, with a counterexample checked by hand -------------------------------


def test_sigmoid_wrong_output_form_is_refuted(cli) -> None:
    (r,) = _check_claims("sigmoid", ["derivative_in_terms_of_output=y*(1 + y)"])
    assert r.status == "refuted"
    cx = r.counterexample
    with mpmath.workdps(50):
        s = sigmoid(cx["x"])
        assert close(cx["claimed"], float(s * (1 + s)))
        assert close(cx["true"], float(s * (1 - s)))  # sigmoid' = y(1 - y)
    assert not close(cx["claimed"], cx["true"])
    code, out, _ = cli(
        "check", "sigmoid", "--claim", "derivative_in_terms_of_output=y*(1 + y)", "-f", "json"
    )
    assert code == 1
    (row,) = json.loads(out)["results"]
    assert row["status"] == "refuted" and row["counterexample"]["x"] == cx["x"]


def test_relu_derivative_two_is_refuted(cli) -> None:
    (r,) = _check_claims("relu", ["derivative=heaviside(x)*2"])
    assert r.status == "refuted"
    cx = r.counterexample
    assert cx["x"] > 0  # where the claim (2) differs from relu' (1); for x < 0 both are 0
    assert cx["claimed"] == 2.0 and cx["true"] == 1.0
    code, _, _ = cli("check", "relu", "--claim", "derivative=heaviside(x)*2")
    assert code == 1


def test_elu_derivative_with_exp_2x_is_refuted(cli) -> None:
    claim = "derivative=heaviside(x) + alpha*exp(2*x)*heaviside(-x)"
    (r,) = _check_claims("elu", [claim])
    assert r.status == "refuted"
    cx = r.counterexample
    assert cx["x"] < 0
    a = cx["params"]["alpha"]
    with mpmath.workdps(50):
        t = mpmath.mpf(cx["x"])
        assert close(cx["claimed"], float(a * mpmath.exp(2 * t)))
        assert close(cx["true"], float(a * mpmath.exp(t)))  # elu' = alpha*exp(x) for x < 0
    code, _, _ = cli("check", "elu", "--claim", claim)
    assert code == 1


def test_softsign_wrong_second_derivative_is_refuted(cli) -> None:
    claim = "derivatives.2=2*sign(x)/(1 + abs(x))**3"
    (r,) = _check_claims("softsign", [claim])
    assert r.status == "refuted"
    cx = r.counterexample
    t = cx["x"]
    assert t != 0
    # softsign'' = -2*sign(x)/(1 + |x|)**3 by hand
    assert close(cx["true"], -2 * math.copysign(1, t) / (1 + abs(t)) ** 3)
    assert close(cx["claimed"], 2 * math.copysign(1, t) / (1 + abs(t)) ** 3)
    assert cli("check", "softsign", "--claim", claim)[0] == 1


def test_elu_wrong_derivative_by_alpha_is_refuted() -> None:
    (r,) = _check_claims("elu", ["derivative_wrt.alpha=exp(x)*heaviside(-x)"])
    assert r.status == "refuted"
    cx = r.counterexample
    assert cx["x"] < 0
    with mpmath.workdps(50):
        t = mpmath.mpf(cx["x"])
        assert close(cx["true"], float(mpmath.expm1(t)))  # d/dalpha alpha*(exp(x) - 1)
        assert close(cx["claimed"], float(mpmath.exp(t)))


def test_leaky_relu_claim_true_only_at_the_default_slope_is_refuted() -> None:
    (r,) = _check_claims("leaky_relu", ["derivative=heaviside(x) + 0.01*heaviside(-x)"])
    assert r.status == "refuted"
    cx = r.counterexample
    assert cx["x"] < 0
    slope = cx["params"]["negative_slope"]
    assert slope != 0.01
    assert close(cx["claimed"], 0.01) and close(cx["true"], slope)


# -- correct claims in other forms hold ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "claim"),
    [
        ("tanh", "derivative=1/cosh(x)**2"),
        ("sigmoid", "derivative=sigmoid(x)*sigmoid(-x)"),
        ("softplus", "derivative=1/(1 + exp(-beta*x))"),
        ("gelu", "derivative=erfc(-x/sqrt(2))/2 + x*exp(-x**2/2)/sqrt(2*pi)"),
        ("elu", "derivative=heaviside(x) + alpha*exp(x)*heaviside(-x)"),
        ("tanh", "derivative_in_terms_of_output=(1 - y)*(1 + y)"),
    ],
)
def test_correct_claim_in_another_form_holds(cli, name: str, claim: str) -> None:
    (r,) = _check_claims(name, [claim])
    assert r.status == "holds", r.detail
    assert r.counterexample is None
    assert cli("check", name, "--claim", claim)[0] == 0


# -- a claim true only at the default parameter ----------------------------------------------------

ELU_Y_PLUS_ONE = """\
name: elu_y_plus_one
title: ELU with an output-form claim that holds only for alpha = 1
kind: scalar
parameters:
  alpha: {default: 1.0, domain: positive, doc: saturation value}
definition:
  piecewise:
    - {when: "x > 0", value: "x"}
    - {otherwise: "alpha*(exp(x) - 1)"}
claims:
  derivative_in_terms_of_output:
    piecewise:
      - {when: "x > 0", value: "1"}
      - {otherwise: "y + 1"}
references:
  - "made up for a test"
"""


@pytest.fixture
def elu_y_plus_one(tmp_path: Path) -> Path:
    path = tmp_path / "elu_y_plus_one.yaml"
    path.write_text(ELU_Y_PLUS_ONE)
    return path


def _check_elu_counterexample(cx: dict) -> None:
    a = cx["params"]["alpha"]
    assert a != 1.0
    assert cx["x"] < 0
    with mpmath.workdps(50):
        t = mpmath.mpf(cx["x"])
        y = a * mpmath.expm1(t)
        assert close(cx["claimed"], float(y + 1))
        assert close(cx["true"], float(a * mpmath.exp(t)))  # elu' = alpha*exp(x) = y + alpha


def test_claim_true_only_at_default_alpha_is_refuted(cli, elu_y_plus_one: Path) -> None:
    (r,) = check_spec(load_spec(elu_y_plus_one))
    assert r.status == "refuted"
    _check_elu_counterexample(r.counterexample)
    code, out, _ = cli("check", "--spec", str(elu_y_plus_one), "--format", "json")
    assert code == 1
    (row,) = json.loads(out)["results"]
    assert row["status"] == "refuted"
    _check_elu_counterexample(row["counterexample"])


def test_claim_true_at_alpha_one_holds_there(cli, elu_y_plus_one: Path) -> None:
    (r,) = check_spec(load_spec(elu_y_plus_one), {"alpha": "1"})
    assert r.status == "holds", r.detail
    code, out, _ = cli("check", "--spec", str(elu_y_plus_one), "-p", "alpha=1", "-f", "json")
    assert code == 0
    assert json.loads(out)["results"][0]["status"] == "holds"


def test_same_claim_with_claim_option(cli) -> None:
    claim = "derivative_in_terms_of_output=heaviside(y) + (y + 1)*heaviside(-y)"
    (r,) = _check_claims("elu", [claim])
    assert r.status == "refuted"
    _check_elu_counterexample(r.counterexample)
    assert cli("check", "elu", "--claim", claim)[0] == 1
    (r,) = _check_claims("elu", [claim], {"alpha": "1"})
    assert r.status not in ("refuted", "holds_approximately", "partial")
    assert cli("check", "elu", "-p", "alpha=1", "--claim", claim)[0] == 0


# -- JSON and exit codes ---------------------------------------------------------------------


@pytest.mark.slow
def test_json_schema_and_all(cli) -> None:
    code, out, err = cli("check", "--all", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert list(data) == ["results"]
    assert {row["activation"] for row in data["results"]} == set(BUILTINS)
    for row in data["results"]:
        assert set(row) == KEYS
        assert row["status"] in SIX
        assert row["status"] != "refuted"
        # unproven only where numeric evidence is all there is: a vector kind's bounds
        assert row["status"] != "unproven" or row["claim"].startswith("bounded_"), row
        assert isinstance(row["claim"], str) and isinstance(row["detail"], str)
        assert row["counterexample"] is None or isinstance(row["counterexample"], dict)


def test_check_text_output_names_statuses(cli) -> None:
    code, out, _ = cli("check", "relu", "softmax", "--format", "text")
    assert code == 0
    assert "holds" in out and "unproven" in out  # softmax's bounds: numeric evidence only


def test_vector_bound_claim_against_the_evidence_is_refuted() -> None:
    """log_softmax_i = x_i - logsumexp(x) is unbounded below: refuted by a ray along which an
    output tends to -oo, which the test recomputes: on x = t*d, min_i (t*d_i - logsumexp(t*d))
    = t*(min d - max d) - log(sum exp(t*(d_j - max d))) <= t*(min d - max d)."""
    (r,) = _check_claims("log_softmax", ["bounded_below=true"])
    assert r.status == "refuted"
    direction = r.counterexample["direction"]
    assert max(direction) > min(direction)  # the bound above then tends to -oo
    for t in (1e2, 1e4):
        x = [mpmath.mpf(t) * d for d in direction]
        lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in x))
        assert min(v - lse for v in x) <= t * (min(direction) - max(direction)) + 1e-9


def test_check_with_nothing_is_usage_error(cli) -> None:
    code, out, _ = cli("check")
    assert code == 2 and out == ""
    with pytest.raises(UsageError):
        api.check([])


def test_claim_with_two_activations_is_usage_error(cli) -> None:
    assert cli("check", "relu", "elu", "--claim", "derivative=1")[0] == 2
    with pytest.raises(UsageError):
        api.check(["relu", "elu"], claims=["derivative=1"])


def test_all_with_a_name_is_usage_error(cli) -> None:
    assert cli("check", "--all", "relu")[0] == 2


def test_unknown_claim_key_is_usage_error(cli) -> None:
    assert cli("check", "relu", "--claim", "bogus=1")[0] == 2


def test_claim_on_a_vector_activation_is_not_silently_dropped(cli) -> None:
    """A derivative claim about softmax (a vector kind) must be rejected or checked, never
    ignored with exit 0 and no result."""
    code, out, _ = cli("check", "softmax", "--claim", "derivative=1", "--format", "json")
    if code != 2:
        results = json.loads(out)["results"]
        assert any(row["claim"] == "derivative" for row in results), (code, out)


@pytest.mark.slow
def test_a_claim_mpmath_cannot_evaluate_everywhere_is_refuted_where_it_can(run_actcli):
    """exp(exp(exp(x))) at the sample points near x = 30 is beyond any precision (exp(exp(1e13))):
    those points are left out after POINT_SECONDS each and said so, and the claim is refuted at
    a point where both sides were computed (relu' = 1 there, by hand), not stopped at the
    command's time limit."""
    code, out, err = run_actcli(
        "check", "relu", "--claim", "derivative=exp(exp(exp(x)))", "--format", "json"
    )
    assert code == 1, err
    (result,) = json.loads(out)["results"]
    assert result["status"] == "refuted"
    assert "sample points not evaluated" in result["detail"]
    witness = result["counterexample"]
    assert witness["x"] > 0 and witness["true"] == 1.0
    # exp(exp(exp(x))) > e^e for x > 0; beyond float64 it is written "inf" (JSON has no inf)
    assert witness["claimed"] == "inf" or witness["claimed"] > math.exp(math.e)


TRUNCATED_SERIES_SPEC = """name: log_softplus
title: log of softplus, with a truncated series for f'' far left
kind: scalar
definition: "log(softplus(x))"
stable_derivatives:
  2:
    piecewise:
      - {{when: "x <= -20", value: "251*exp(4*x)/180 - 9*exp(3*x)/8 + 5*exp(2*x)/6 - {c1}*exp(x)"}}
      - {{otherwise: "(sigmoid(-x)*softplus(x) - sigmoid(x))*sigmoid(x)/softplus(x)**2"}}
    tolerance: 1.4e-17
references: ["hand"]
"""


@pytest.mark.parametrize(("c1", "status"), [("1/2", "holds_approximately"), ("1/3", "refuted")])
@pytest.mark.slow  # ~2 s: the claim is checked at mpmath precision on each piece
def test_a_truncated_series_claim_meets_the_exact_form_within_its_tolerance(
    tmp_path: Path, c1: str, status: str
) -> None:
    """f = log(softplus(x)), t = e**x: f = x + log(1 - t/2 + t**2/3 - t**3/4 + t**4/5 - ...)
    = x - t/2 + 5t**2/24 - t**3/8 + 251t**4/2880 - ... (hand: log(1 + u) = u - u**2/2 +
    u**3/3 - u**4/4; for t**4, 1/5 - 13/72 + 1/12 - 1/64 = 251/2880), so f'' =
    -t/2 + 5t**2/6 - 9t**3/8 + 251t**4/180 - ... The series meets the exact form at x = -20
    within e**-80 relative, not exactly: that point was a failure (and SymPy, deciding
    softplus(-20) = 0, made f itself jump there). With -t/3 it is refuted."""
    result = _checked(tmp_path, TRUNCATED_SERIES_SPEC.format(c1=c1), "stable_derivatives.2")
    assert result.status == status, result.detail
    assert "does not exist" not in result.detail


FAR_OUT_SPEC = """name: far_out
title: a claim and a variant that differ from the truth by a term u
kind: scalar
definition: "x"
variants:
  drifting:
    expression: "x + {u}"
    tolerance: 1e-3
claims:
  derivative:
    expression: "1 + {u}"
    tolerance: 1e-3
references: ["hand"]
"""


@pytest.mark.parametrize(
    ("u", "size", "within"),
    [
        ("exp(x - 100)", lambda x: mpmath.exp(x - 100), False),
        ("exp(-x - 100)", lambda x: mpmath.exp(-x - 100), False),
        ("1e-4*tanh(x)", lambda x: 1e-4 * abs(math.tanh(x)), True),
    ],
)
def test_a_tolerance_is_not_met_on_a_window_alone(tmp_path: Path, u, size, within):
    """f = x and f' = 1 (hand); the claimed f' and the variant differ from them by u. With
    u = exp(+-x - 100), |u| < 1e-30 on every point of the old sampling windows (+-30 for
    claims, +-50 for variants) but 1 at |x| = 100: both were reported within the tolerance
    1e-3. The far points refute them, each with a witness where |u| > 1e-3 (by hand). A u
    that is within 1e-4 everywhere (|tanh| <= 1) still holds approximately."""
    path = tmp_path / "far_out.yaml"
    path.write_text(FAR_OUT_SPEC.format(u=u))
    results = {r.claim: r for r in check_spec(load_spec(path))}
    derivative, variant = results["derivative"], results["variants.drifting"]
    if within:
        assert derivative.status == "holds_approximately", derivative.detail
        assert "out to |x| = 1e+300" in derivative.detail
        assert variant.status == "holds_approximately", variant.detail
        return
    assert derivative.status == "refuted", derivative.detail
    assert size(derivative.counterexample["x"]) > 1e-3
    assert derivative.counterexample["true"] == 1.0
    assert variant.status == "refuted", variant.detail
    assert size(variant.counterexample["x"]) > 1e-3


@pytest.mark.slow  # ~6 s: two worker processes import SymPy and SciPy
def test_specs_checked_on_workers_give_the_results_of_one_process():
    """Each spec's sample points are seeded by its name, so two workers give what one process
    gives, result for result and in the specs' order."""
    specs = [resolve_spec(name) for name in ("relu", "elu", "softsign", "hard_sigmoid")]
    alone = check(specs, workers=1)
    shared = check(specs, workers=2)
    assert shared == alone
    assert [r.activation for r in shared.results][0] == "relu"


def test_a_worker_count_that_is_no_count_is_a_usage_error():
    with pytest.raises(UsageError, match="--workers 0"):
        check([resolve_spec("relu")], workers=0)


DOUBLE_EXPONENTIAL_SPEC = """name: double_exponential
title: exp(exp(x)), whose numbers far out outgrow any working precision
kind: scalar
definition: "exp(exp(x))"
claims:
  derivative:
    expression: "exp(x + exp(x))*(1 + 1e-12)"
    tolerance: 1e-9
references: ["hand"]
"""


@pytest.mark.slow  # ~9 s: the far points beyond x = 3000 run into POINT_SECONDS
def test_a_far_point_whose_numbers_are_unsettled_is_no_witness(tmp_path: Path):
    """f' = exp(x + exp(x)) (hand), so the claim is within 1e-12 relative everywhere. Far out
    the truth by finite differences is garbage: over the step 1e-20 f grows by e**(1e6) at
    x = 60, and exp(3000) has 1303 digits before the point, more than 928 working digits.
    Such points refuted the claim ('differs by up to 1'); now a far witness must come out the
    same at twice the digits and another step, and these are left out, said so."""
    result = _checked(tmp_path, DOUBLE_EXPONENTIAL_SPEC, "derivative")
    assert result.status == "holds_approximately", result.detail
    assert "far points left out" in result.detail


THRESHOLD_BEYOND_THE_WINDOW = """name: late_threshold
title: softplus, and a variant that switches to x beyond the variant grid's window
kind: scalar
definition: "log(1 + exp(x))"
variants:
  thresholded:
    piecewise:
      - {when: "x > 100", value: "x"}
      - {otherwise: "log1p(exp(x))"}
    tolerance: 1e-3
references: ["hand"]
"""


def test_a_variant_piece_beyond_the_grid_window_is_measured_on_itself(tmp_path: Path):
    """On x > 100 the variant minus the definition is x - log(1 + e**x) = -log1p(e**-x)
    (hand), largest in size as x -> 100 from above: log1p(e**-100) = 3.72e-44 (mpmath). The
    grid of the piece ran from 100 down to 50, outside it, and 30 digits read the difference
    at 100 as 0: the maximum came out 5.2e-131, at x = 300."""
    import re

    result = _checked(tmp_path, THRESHOLD_BEYOND_THE_WINDOW, "variants.thresholded")
    assert result.status == "holds_approximately", result.detail
    found = re.search(r"= ([0-9.e+-]+) as x -> 100 from above", result.detail)
    assert found, result.detail
    truth = float(mpmath.log1p(mpmath.exp(-100)))
    assert abs(float(found.group(1)) - truth) <= 1e-2 * truth  # printed to 3 digits


def test_far_points_past_their_time_are_left_out_and_said_so(tmp_path: Path, monkeypatch):
    """With no time for far points (FAR_SECONDS = 0) none is compared: the verdict is the
    window's and the float64 scan's (within +-1000; exp(x - 2000) is below 1e-430 there),
    and the detail counts the 16 far points (8 a side) left out. (A slow definition far
    out must not push a check past the command's time limit.)"""
    from actcli.check import expressions

    monkeypatch.setattr(expressions, "FAR_SECONDS", 0.0)
    path = tmp_path / "far_out.yaml"
    path.write_text(FAR_OUT_SPEC.format(u="exp(x - 2000)"))
    (result,) = [r for r in check_spec(load_spec(path)) if r.claim == "derivative"]
    assert result.status == "holds_approximately", result.detail
    assert "16 far points left out" in result.detail


CANCELLING_VARIANT = """name: cancelling_variant
title: exp(x), and a variant that adds sin(x)/1000 and a zero float64 cannot see
kind: scalar
definition: "exp(x)"
variants:
  wobbly:
    expression: "exp(x) + sin(x)/1000 + cosh(x)**2 - sinh(x)**2 - 1"
    tolerance: 1e-2
references: ["hand"]
"""


def test_a_variant_whose_float64_difference_is_rounding_is_measured_exactly(
    tmp_path: Path,
):
    """The variant minus the definition is sin(x)/1000 (hand: cosh**2 - sinh**2 = 1): at
    most 1e-3, and on the grid's steps of 0.025 some point has |sin x| >= cos(0.0125). In
    float64 cosh(x)**2 - sinh(x)**2 - 1 is rounding as large as ulp(cosh(50)**2) ~ 1e27,
    largest far from the true peak; the grid's ranking must not rest on it."""
    import re

    result = _checked(tmp_path, CANCELLING_VARIANT, "variants.wobbly")
    assert result.status == "holds_approximately", result.detail
    found = re.search(r"= ([0-9.e+-]+) at x = ([0-9.e+-]+)", result.detail)
    assert found, result.detail
    size, where = float(found.group(1)), float(found.group(2))
    assert 1e-3 * math.cos(0.0125) * (1 - 1e-3) <= size <= 1e-3 * (1 + 1e-3)
    assert abs(abs(math.sin(where)) - 1) <= 1e-3  # printed to 6 digits


def test_the_grid_peak_is_decided_at_30_digits_whatever_float64_ranks():
    """`_grid_peak` with a float64 ranking that is wrong (its largest values where |f| is
    small) or right: the answer is the exact argmax of |f| on the grid either way, the first
    of tied points."""
    from actcli.check.variants import _grid_peak

    grid = [k / 100 for k in range(1, 400)]
    exact = lambda x: abs(float(mpmath.sin(x)))  # noqa: E731  largest on the grid at 1.57
    misleading = lambda points: 1e3 * (points - 1.0) ** 2  # noqa: E731
    faithful = lambda points: numpy.abs(numpy.sin(points))  # noqa: E731
    assert _grid_peak(exact, misleading, grid) == 1.57
    assert _grid_peak(exact, faithful, grid) == 1.57
    assert _grid_peak(exact, None, grid) == 1.57
    flat = lambda x: 2.0  # noqa: E731
    assert _grid_peak(flat, lambda points: numpy.full(points.shape, 2.0), grid) == 0.01


ABSORBED_CLAIM = """name: absorbed_claim
title: exp(x), a derivative claim within 1e-12 holding a zero that fixed digits lose far out
kind: scalar
definition: "exp(x)"
claims:
  derivative:
    expression: "exp(x)*(1 + 1e-12) + cosh(x)**2 - sinh(x)**2 - 1"
    tolerance: 1e-9
references: ["hand"]
"""


def test_a_far_witness_that_is_rounding_at_every_precision_is_no_witness(tmp_path: Path):
    """The claim is f'*(1 + 1e-12) (hand: cosh**2 - sinh**2 = 1), within the tolerance
    everywhere. At x = -3000, cosh(x)**2 ~ 1e2605: at 900 digits and at 1800 alike the two
    squares round to one number, so both computations read the claim as -1 against the
    truth e**-3000, and agreed: refuted at x = -3000. A witness's values now come from Arb
    balls, and where no ball is tight (4096 bits are 1233 digits) the point is left out."""
    result = _checked(tmp_path, ABSORBED_CLAIM, "derivative")
    assert result.status == "holds_approximately", result.detail
    assert "far points left out" in result.detail


def test_a_claim_proven_on_every_piece_is_not_compared_far_out(tmp_path: Path):
    """cosh(x)**2 - sinh(x)**2 - 1 is 0 (hand), so the claim is exactly f' = e**x and the
    symbolic proof settles it: no far point is compared, and none can refute it."""
    path = tmp_path / "absorbed_claim.yaml"
    path.write_text(ABSORBED_CLAIM.replace("exp(x)*(1 + 1e-12) +", "exp(x) +"))
    (result,) = [r for r in check_spec(load_spec(path)) if r.claim == "derivative"]
    assert result.status == "holds", result.detail
    assert "out to" not in result.detail and "far points" not in result.detail


def test_a_variant_just_past_its_tolerance_is_refuted_at_its_true_maximum(tmp_path: Path):
    """GELU's tanh form parts from the erf form by at most |d(x)| near x = -2.699, where
    d'(x) = 0 (mpmath: findroot of d' from the definitions written here). The grid alone
    read 4.7323463e-4 at its point -2.7, under a tolerance just below the true maximum."""
    c = mpmath.sqrt(2 / mpmath.pi)
    with mpmath.workdps(40):

        def d(x):
            tanh_form = x / 2 * (1 + mpmath.tanh(c * (x + mpmath.mpf("0.044715") * x**3)))
            return tanh_form - x / 2 * (1 + mpmath.erf(x / mpmath.sqrt(2)))

        where = mpmath.findroot(lambda x: mpmath.diff(d, x), -2.7)
        truth = abs(d(where))
    tolerance = float(truth) * (1 - 1e-6)
    text = (Path(__file__).parent.parent / "specs" / "gelu.yaml").read_text()
    result = _checked(
        tmp_path, text.replace("tolerance: 5e-4", f"tolerance: {tolerance!r}"), "variants.tanh"
    )
    assert result.status == "refuted", result.detail
    assert result.counterexample["difference"] == pytest.approx(float(truth), rel=1e-9)
    assert result.counterexample["x"] == pytest.approx(float(where), abs=1e-6)


NARROW_BUMPS = """name: narrow_bumps
title: GELU, a derivative claim and a variant each off by a bump of width 1
kind: scalar
definition: "x/2*(1 + erf(x/sqrt(2)))"
variants:
  bump:
    expression: "x/2*(1 + erf(x/sqrt(2))) + exp(-(x - 55)**2)"
    tolerance: 1e-3
claims:
  derivative:
    expression: "(1 + erf(x/sqrt(2)))/2 + x*exp(-x**2/2)/sqrt(2*pi) + exp(-(x - {c})**2)"
    tolerance: 1e-3
references: ["hand"]
"""


@pytest.mark.parametrize("centre", [10, 45])
def test_a_claim_or_variant_off_on_a_narrow_stretch_is_refuted_there(tmp_path: Path, centre):
    """The claim is f' + exp(-(x - c)**2), the variant f + exp(-(x - 55)**2) (hand): each
    is 1 away from the truth at its centre, where f' = 1 (c = 10, 45) and where the
    variant's max is; 6 random points in +-30, the variant grid in +-50 and the far points
    60, 300, ... missed them (holds_approximately, 1.4e-11 at x = 60). A float64 scan of
    each piece now points the exact comparison there."""
    path = tmp_path / "narrow_bumps.yaml"
    path.write_text(NARROW_BUMPS.replace("{c}", str(centre)))
    results = {r.claim: r for r in check_spec(load_spec(path))}
    claim, variant = results["derivative"], results["variants.bump"]
    assert claim.status == "refuted", claim.detail
    x = claim.counterexample["x"]
    assert abs(x - centre) < 0.5
    with mpmath.workdps(30):  # f'(x) = Phi(x) + x phi(x); the claim adds the bump
        true = mpmath.ncdf(x) + x * mpmath.npdf(x)
        assert claim.counterexample["true"] == pytest.approx(float(true), rel=1e-12)
        bump = mpmath.exp(-((x - centre) ** 2))
        assert claim.counterexample["claimed"] == pytest.approx(float(true + bump), rel=1e-12)
    assert variant.status == "refuted", variant.detail
    assert variant.counterexample["difference"] == pytest.approx(
        math.exp(-((variant.counterexample["x"] - 55) ** 2)), rel=1e-9
    )
    assert abs(variant.counterexample["x"] - 55) < 0.05


MOVING_BREAKPOINT = """name: moving_breakpoint
title: relu shifted by a, with a derivative claim that has the default threshold as a number
kind: scalar
parameters:
  a: {default: 1, domain: positive}
definition:
  piecewise:
    - {when: "x > a", value: "x - a"}
    - {otherwise: "0"}
claims:
  derivative:
    piecewise:
      - {when: "x > THRESHOLD", value: "1"}
      - {otherwise: "0"}
references: ["hand"]
"""


def test_a_claim_true_only_where_its_breakpoints_meet_the_definitions_is_refuted(
    tmp_path: Path,
):
    """f' = [x > a] (hand); the claim [x > 1] equals it only at a = 1, the default, where
    the two breakpoints are one: its two pieces were proven there and the claim 'held for
    every a'. At the random a the pieces are cut there, and between 1 and a the claim is 1
    where f' is 0 (or the reverse). With [x > a] the claim holds, proven."""
    result = _checked(tmp_path, MOVING_BREAKPOINT.replace("THRESHOLD", "1"), "derivative")
    assert result.status == "refuted", result.detail
    witness = result.counterexample
    a, x = witness["params"]["a"], witness["x"]
    assert min(1, a) < x < max(1, a)
    assert (witness["claimed"], witness["true"]) == (float(x > 1), float(x > a))
    result = _checked(tmp_path, MOVING_BREAKPOINT.replace("THRESHOLD", "a"), "derivative")
    assert result.status == "holds", result.detail


def test_a_false_value_where_the_derivative_exists_is_no_convention(tmp_path: Path):
    """f = |x|**1.5 has f'(0) = lim 1.5 |h|**0.5 = 0 (hand), so a claim of 7 at x = 0 is
    wrong there; f' read as 'not existing' at 0 (its left branch is 0/0 there) and the 7
    passed as a convention."""
    path = tmp_path / "power_three_halves.yaml"
    path.write_text(
        """name: power_three_halves
title: abs(x) to the power 1.5
kind: scalar
definition: "abs(x)**1.5"
claims:
  derivative:
    piecewise:
      - {when: "x == 0", value: "7"}
      - {otherwise: "1.5*sign(x)*sqrt(abs(x))"}
references: ["hand"]
"""
    )
    (result,) = [r for r in check_spec(load_spec(path)) if r.claim == "derivative"]
    assert result.status == "refuted", result.detail
    assert result.counterexample == {"x": 0.0, "params": {}, "claimed": 7.0, "true": 0.0}


def test_a_claim_off_by_less_than_1e_minus_25_is_refuted_on_rigorous_values(tmp_path: Path):
    """f = log1p(exp(-x)), f' = -exp(-x)/(1 + exp(-x)) (hand); the claim adds exp(-1000),
    which beyond x = 1000 is larger than f' itself. The absolute floor 1e-25 (for 50-digit
    finite differences) kept it 'unproven'; at x = 3000 Arb balls give both values
    rigorously (5.08e-435 against -1.31e-1303, mpmath), so it is refuted, the values shown
    in the detail (their floats are 0 and -0)."""
    spec = """name: tiny_off
title: log1p(exp(-x)), a derivative claim off by exp(-1000)
kind: scalar
definition: "log1p(exp(-x))"
claims:
  derivative: "-sigmoid(-x) + exp(-1000)"
references: ["hand"]
"""
    result = _checked(tmp_path, spec, "derivative")
    assert result.status == "refuted", result.detail
    x = result.counterexample["x"]
    assert x > 1000
    with mpmath.workdps(30):
        claimed = mpmath.nstr(-mpmath.exp(-x) / (1 + mpmath.exp(-x)) + mpmath.exp(-1000), 3)
        true = mpmath.nstr(-mpmath.exp(-x) / (1 + mpmath.exp(-x)), 3)
    assert f"(claimed {claimed}, true {true})" in result.detail


def test_a_smoothness_claim_at_breakpoints_found_numerically_is_unproven(tmp_path):
    """x - sin(x) = 5 has one root, 4.1526 (x - sin(x) never decreases), found on a grid and
    refined; the class there is judged from values compared at 1e-10. That is evidence, not
    the proof a 'holds' promises (it said 'proven symbolically')."""
    from actcli.api import check

    path = tmp_path / "numeric_cut.yaml"
    path.write_text(
        "name: numeric_cut\ntitle: t\nkind: scalar\nreferences: [hand]\n"
        "definition:\n  piecewise:\n"
        '    - {when: "x - sin(x) > 5", value: "x - sin(x) - 5"}\n'
        '    - {otherwise: "0"}\n'
    )
    (result,) = check(str(path), claims=["smoothness=C0"]).results
    assert result.status == "unproven"
    assert "found numerically" in result.detail


# -- range claims: ends are compared exactly ----------------------------------------------------


@pytest.mark.parametrize(
    "expression, claim, status",
    [
        # exp(x) - 1e-13 > -1e-13 and tends to it at -oo: inf is -1e-13, not 0
        ("exp(x) - 1e-13", "(0, oo)", "refuted"),
        # sup of sigmoid(x) + 1e-13 is 1 + 1e-13
        ("sigmoid(x) + 1e-13", "(0, 1)", "refuted"),
        # atan tends to pi/2 = 1.5707963267948966..., 9e-13 above the decimal claimed
        ("atan(x)", "(-1.570796326794, 1.570796326794)", "refuted"),
        ("atan(x)", "(-pi/2, pi/2)", "holds"),
        # x*exp(-x**2) peaks at x = 1/sqrt(2) (f' = (1 - 2x**2)exp(-x**2)): sqrt(2)exp(-1/2)/2
        ("x*exp(-x**2)", "[-0.4288819424803, 0.4288819424803]", "refuted"),
        ("x*exp(-x**2)", "[-sqrt(2)*exp(-1/2)/2, sqrt(2)*exp(-1/2)/2]", "holds"),
    ],
)
def test_a_range_claim_holds_only_with_the_exact_ends(expression, claim, status) -> None:
    """The claimed ends were compared with the range's floats to 1e-9: every false claim here
    (off by 1e-13 to 5e-14) "held", proven symbolically."""
    (result,) = api.check(expression=expression, claims=[f"range={claim}"]).results
    assert result.status == status, result.detail


def test_a_range_exceeded_by_one_part_in_a_trillion_has_a_witness() -> None:
    """tanh(x) + 1e-12*exp(-(x - 40)**2) at 40 is 1 + 1e-12 - 2*exp(-80)/(1 + exp(-80)) > 1
    (mpmath below); a witness had to clear the claim by 1e-12 relative, so the claimed (-1, 1)
    was only unproven."""
    (result,) = api.check(
        expression="tanh(x) + 1e-12*exp(-(x - 40)**2)", claims=["range=(-1, 1)"]
    ).results
    assert result.status == "refuted"
    x = mpmath.mpf(result.counterexample["x"])
    with mpmath.workdps(50):
        value = mpmath.tanh(x) + mpmath.mpf("1e-12") * mpmath.exp(-((x - 40) ** 2))
    assert value > 1


@pytest.mark.parametrize(
    "expression, claim, status",
    [
        # exp(-1/|x|) has every derivative 0 at 0 from both sides; |x|**3.5 has f'''' =
        # 3.5*2.5*1.5*0.5*|x|**-0.5 -> oo at 0 (by hand): C3 exactly
        ("exp(-1/abs(x)) + abs(x)**3.5", "Cinf", "unproven"),
        ("exp(-1/abs(x)) + abs(x)**3.5", "C3", "holds"),
        # |x|**5: the 5th derivative is -120 left of 0 and 120 right of it: C4 exactly
        ("exp(-1/abs(x)) + abs(x)**5", "Cinf", "unproven"),
        ("exp(-1/abs(x)) + abs(x)**5", "C4", "holds"),
    ],
)
def test_a_class_known_only_from_below_proves_no_higher_claim(expression, claim, status):
    """ "C>=3" (the limits of f'''' not settled at the orders checked) held any claim from C3
    up: Cinf and C3 both "held" for a function that is C3 exactly."""
    (result,) = api.check(expression=expression, claims=[f"smoothness={claim}"]).results
    assert result.status == status, result.detail


def _origin_spec(tmp_path: Path, definition: str, default: str, domain: str, claim: str) -> str:
    path = tmp_path / "origin.yaml"
    path.write_text(
        "name: origin\ntitle: t\nkind: scalar\nreferences: [hand]\n"
        f"parameters:\n  c: {{default: {default}, domain: {domain}}}\n"
        f"definition:\n{definition}\nclaims:\n  {claim}\n"
    )
    return str(path)


SIGMOID_PLUS_C = '  "sigmoid(x) + c"'
C_ON_THE_RIGHT = '  piecewise:\n    - {when: "x >= 0", value: "x + c"}\n    - {otherwise: "x"}'


@pytest.mark.parametrize(
    "definition, default, domain, claim, status, witness",
    [
        # f(0) = 1/2 + c: 0 at c = -1/2, in the real domain (the claim false "held")
        (SIGMOID_PLUS_C, "0.25", "real", "zero_at_origin: false", "refuted", -0.5),
        # ... but not in the positive one
        (SIGMOID_PLUS_C, "0.25", "positive", "zero_at_origin: false", "holds", None),
        # f'(0) = 1/4 for every c: never the identity near 0
        (SIGMOID_PLUS_C, "0.25", "real", "identity_near_origin: false", "holds", None),
        # f(0) = c: true at the default c = 0, false elsewhere (the default was the witness)
        (C_ON_THE_RIGHT, "0", "real", "zero_at_origin: true", "refuted", "nonzero"),
        (C_ON_THE_RIGHT, "0", "real", "zero_at_origin: false", "refuted", 0.0),
    ],
)
def test_an_origin_claim_holds_for_every_parameter_value_or_is_refuted_where_it_fails(
    tmp_path, definition, default, domain, claim, status, witness
) -> None:
    path = _origin_spec(tmp_path, definition, default, domain, claim)
    (result,) = check_spec(load_spec(Path(path)))
    assert result.status == status, result.detail
    if witness == "nonzero":
        assert result.counterexample["params"]["c"] != 0
    elif witness is not None:
        assert result.counterexample["params"]["c"] == witness


@pytest.mark.parametrize(
    "claim, status",
    [
        # softmax of x/t: d y_i/d x_j = y_i*(delta_ij - y_j)/t (the chain rule through x/t)
        ("y[i]*(delta(i, j) - y[j])/t", "holds"),
        ("y[i]*(delta(i, j) - y[j])", "refuted"),  # true at t = 1 only: it held there
    ],
)
def test_a_jacobian_claim_holds_for_every_value_of_a_free_parameter(tmp_path, claim, status):
    path = tmp_path / "tempered.yaml"
    path.write_text(
        "name: tempered\ntitle: t\nkind: vector\nreferences: [hand]\n"
        "parameters:\n  t: {default: 1, domain: positive}\n"
        'definition:\n  expression: "exp(x[i]/t)/sum(exp(x[j]/t), j)"\n'
        f'claims:\n  jacobian: "{claim}"\n'
    )
    (result,) = check_spec(load_spec(path))
    assert result.status == status, result.detail
    if status == "refuted":  # at a temperature other than 1, where the entries differ
        assert result.counterexample["params"]["t"] != 1
        assert result.counterexample["claimed"] != pytest.approx(result.counterexample["true"])


@pytest.mark.parametrize("seed", ["0", "1"])
def test_a_claim_cut_at_a_number_where_the_definition_is_cut_at_a_parameter(tmp_path, seed):
    """f = (x - c)**2 beyond x = c; the claim f' = 2(x - c) beyond x = 1/2 is true at the
    default c = 1/2 only (at c = 1, x = 3/4: claim -1/2, f' = 0). Under some hash seeds the
    claim was evaluated at x = c after c had its value: `c > 1/2` undecided, exit 70."""
    import os
    import subprocess
    import sys

    path = tmp_path / "moving.yaml"
    path.write_text(
        "name: moving\ntitle: t\nkind: scalar\nreferences: [hand]\n"
        "parameters:\n  c: {default: 0.5, domain: positive}\n"
        "definition:\n  piecewise:\n"
        '    - {when: "x > c", value: "(x - c)**2"}\n'
        '    - {otherwise: "0"}\n'
        "claims:\n  derivative:\n    piecewise:\n"
        '      - {when: "x > 0.5", value: "2*(x - c)"}\n'
        '      - {otherwise: "0"}\n'
    )
    env = {**os.environ, "PYTHONHASHSEED": seed}
    run = subprocess.run(
        [sys.executable, "-m", "actcli", "check", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    (result,) = json.loads(run.stdout)["results"]
    assert result["status"] == "refuted"


def test_a_claim_too_large_for_mpmath_at_some_points_is_still_judged() -> None:
    """x**x**x**x has no mpmath value at 30 ("too many digits") and at 3 is 3**(3**27), an
    integer of 1e13 bits: both were internal errors (OverflowError, out of memory). Such
    points are skipped; relu' = 1 for x > 0 refutes the claim where it is evaluated."""
    (result,) = _check_claims("relu", ["derivative=x**x**x**x"])
    assert result.status == "refuted"
    x = mpmath.mpf(result.counterexample["x"])
    assert x > 0 and result.counterexample["true"] == 1.0
    with mpmath.workdps(30):
        assert result.counterexample["claimed"] == pytest.approx(float(x ** (x ** (x**x))))


def test_a_jacobian_claim_cannot_reduce_over_its_free_indices(cli) -> None:
    """i and j are the Jacobian's free indices: sum() in a claim has nothing to reduce over
    (the message called sum unknown while listing it among the known functions)."""
    code, _, err = cli("check", "softmax", "--claim", "jacobian=y[i] + 0*sum(y[k], k)")
    assert code == 2 and "sum() has no index to reduce over here (i, j are free)" in err


def test_a_condition_on_a_parameter_alone_is_not_proven_at_the_defaults(tmp_path) -> None:
    """f = alpha*exp(x/alpha) has f' = exp(x/alpha); the claim exp(x/min(alpha, 5)) agrees
    only for alpha <= 5 (by hand), and a variant alpha*x + x**2 written as x**2 for alpha > 3
    only at alpha = 0. Both branches were chosen at the defaults and "held"."""
    path = tmp_path / "by_parameter.yaml"
    path.write_text(
        "name: by_parameter\ntitle: t\nkind: scalar\nreferences: [hand]\n"
        "parameters:\n  alpha: {default: 1, domain: positive}\n"
        'definition: "alpha*exp(x/alpha) + x**2"\n'
        'claims:\n  derivative: "exp(x/min(alpha, 5)) + 2*x"\n'
        "variants:\n  v:\n    piecewise:\n"
        '      - {when: "alpha > 3", value: "x**2"}\n'
        '      - {otherwise: "alpha*exp(x/alpha) + x**2"}\n'
    )
    results = {r.claim: r for r in check_spec(load_spec(path))}
    assert results["derivative"].status != "holds", results["derivative"].detail
    assert results["variants.v"].status != "holds", results["variants.v"].detail
    assert "alpha" in results["derivative"].detail


def test_a_claim_with_no_value_at_some_points_is_no_internal_error() -> None:
    """0**x has no value for x < 0 (mpmath divides by zero): an internal error (exit 70)."""
    (result,) = _check_claims("relu", ["derivative=0**x"])
    assert result.status in ("refuted", "unproven")


FIVE_AT_ZERO = """
      - {when: "x > 0", value: "x"}
      - {when: "x < 0", value: "0"}
      - {otherwise: "5"}
"""


def test_a_form_that_differs_from_the_definition_at_one_point_is_not_identical(tmp_path) -> None:
    """ReLU written with the value 5 at x = 0 (by hand: relu(0) = 0): as a stable form it
    "held" and as a variant it was "identical to the definition" (samples avoid cuts)."""
    path = tmp_path / "point.yaml"
    path.write_text(
        "name: point\ntitle: t\nkind: scalar\nreferences: [hand]\n"
        "definition:\n  piecewise:\n"
        '    - {when: "x > 0", value: "x"}\n'
        '    - {otherwise: "0"}\n'
        f"stable:\n  piecewise:{FIVE_AT_ZERO.replace(chr(10) + '  ', chr(10))}"
        f"variants:\n  v:\n    piecewise:{FIVE_AT_ZERO}"
    )
    results = {r.claim: r for r in check_spec(load_spec(path))}
    assert results["stable"].status == "refuted"
    assert results["variants.v"].status == "partial"
    for key in ("stable", "variants.v"):
        cx = results[key].counterexample
        assert (cx["x"], cx["claimed"], cx["true"]) == (0.0, 5.0, 0.0)


def test_cuts_that_may_trade_places_with_a_parameter_prove_nothing(tmp_path) -> None:
    """f = x**2 beyond alpha, alpha*x below; the claim 2x beyond 10 and beyond alpha, alpha
    below, is true for alpha <= 10 only (at alpha = 20, x = 15: claimed 30, f' = 20, by
    hand). At the default alpha = 1 and the random set both cuts kept their order: "held"."""
    path = tmp_path / "crossing.yaml"
    path.write_text(
        "name: crossing\ntitle: t\nkind: scalar\nreferences: [hand]\n"
        "parameters:\n  alpha: {default: 1, domain: positive}\n"
        "definition:\n  piecewise:\n"
        '    - {when: "x > alpha", value: "x**2"}\n'
        '    - {otherwise: "alpha*x"}\n'
        "claims:\n  derivative:\n    piecewise:\n"
        '      - {when: "x > 10", value: "2*x"}\n'
        '      - {when: "x > alpha", value: "2*x"}\n'
        '      - {otherwise: "alpha"}\n'
    )
    (result,) = check_spec(load_spec(path))
    assert result.status != "holds", result.detail


def test_a_claim_at_a_breakpoint_is_checked_at_every_parameter_set(tmp_path) -> None:
    """f = x**2 + alpha*x beyond 0, alpha*x below: f'(0) = alpha (both sides, by hand); a
    claimed 1 there agreed at the default alpha = 1 only and "held"."""
    path = tmp_path / "at_zero.yaml"
    path.write_text(
        "name: at_zero\ntitle: t\nkind: scalar\nreferences: [hand]\n"
        "parameters:\n  alpha: {default: 1, domain: positive}\n"
        "definition:\n  piecewise:\n"
        '    - {when: "x > 0", value: "x**2 + alpha*x"}\n'
        '    - {otherwise: "alpha*x"}\n'
        "claims:\n  derivative:\n    piecewise:\n"
        '      - {when: "x > 0", value: "2*x + alpha"}\n'
        '      - {when: "x < 0", value: "alpha"}\n'
        '      - {otherwise: "1"}\n'
    )
    (result,) = check_spec(load_spec(path))
    assert result.status == "refuted"
    cx = result.counterexample
    assert cx["x"] == 0.0 and cx["claimed"] == 1.0 and cx["true"] == cx["params"]["alpha"] != 1
