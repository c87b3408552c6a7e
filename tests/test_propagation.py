"""Depth propagation (`actcli.propagation`): mean field against mpmath, Monte Carlo against the
mean field and against a straightforward network that keeps its weights, the scalar chain
against explicit products, verdicts, non-finite handling and the memory guard.

References are written here: Gaussian expectations by mpmath.quad split at the kink, with the
activations from `reference.py` (mpmath, written from the papers, not from the specs).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from mpmath import mp
from reference import DERIVATIVES, REFERENCES

from actcli.api import load_activation
from actcli.errors import ResourceLimitError, UsageError
from actcli.propagation import montecarlo as montecarlo_module
from actcli.propagation import simulate_depth
from actcli.propagation.figure import depth_figure
from actcli.propagation.meanfield import (
    GaussianMoments,
    critical_sigma_w2,
    mean_field,
    mean_variance_map,
)
from actcli.propagation.montecarlo import layer_weights


@pytest.fixture(scope="module")
def moments():
    cache = {}

    def get(name: str, **params: str) -> GaussianMoments:
        key = (name, tuple(sorted(params.items())))
        if key not in cache:
            cache[key] = GaussianMoments(load_activation(name, params=params or None))
        return cache[key]

    return get


def gaussian_reference(function, q: float, power: int = 2, kink: float | None = 0.0) -> float:
    """E[function(sqrt(q) z)^power], z ~ N(0, 1), by mpmath.quad split at the kink."""
    with mp.workdps(30):
        root = mp.sqrt(q)

        def integrand(z):
            return function(root * z) ** power * mp.npdf(z)

        points = [-mp.inf, mp.inf] if kink is None else [-mp.inf, kink / root, mp.inf]
        return float(mp.quad(integrand, points))


# -- Gaussian expectations ------------------------------------------------------------------


def test_selu_derivative_second_moment_matches_mpmath(moments) -> None:
    # plain Gauss-Hermite with 200 nodes gives 1.0665 here: the kink at 0 must be split at
    expected = gaussian_reference(DERIVATIVES["selu"], 1.0)
    assert expected == pytest.approx(1.0716, abs=1e-4)
    assert moments("selu").expect(1.0, order=1) == pytest.approx(expected, abs=1e-10)


def test_gelu_second_moment_matches_mpmath(moments) -> None:
    expected = gaussian_reference(REFERENCES["gelu"], 1.0, kink=None)
    assert moments("gelu").expect(1.0) == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("q", [0.37, 2.5, 40.0])
def test_elu_derivative_second_moment_matches_mpmath(moments, q: float) -> None:
    # alpha = 0.5: elu' jumps from 0.5 to 1 at 0
    expected = gaussian_reference(lambda x: DERIVATIVES["elu"](x, alpha=0.5), q)
    assert moments("elu", alpha="0.5").expect(q, order=1) == pytest.approx(expected, abs=1e-10)


def test_hardtanh_splits_at_both_breakpoints(moments) -> None:
    q = 3.0
    with mp.workdps(30):
        root = mp.sqrt(q)
        expected = float(
            mp.quad(
                lambda z: REFERENCES["hardtanh"](root * z) ** 2 * mp.npdf(z),
                [-mp.inf, -1 / root, 1 / root, mp.inf],
            )
        )
    assert moments("hardtanh").expect(q) == pytest.approx(expected, abs=1e-10)


def test_limit_q_to_zero_averages_one_sided_values(moments) -> None:
    # E[relu'(sqrt(q) z)^2] = 1/2 for every q > 0, so also in the limit q -> 0
    assert moments("relu").expect(0.0, order=1) == 0.5
    assert moments("tanh").expect(0.0, order=1) == 1.0


# -- mean field ------------------------------------------------------------------------------


def test_relu_he_is_critical(moments) -> None:
    result = mean_field(moments("relu"), 2.0, 0.0, depth=20)
    assert result.chi_1 == pytest.approx(1.0, abs=1e-12)
    assert result.q_star == pytest.approx(2.0, rel=1e-12)  # q^1 = sigma_w2 * q0
    assert result.predicted_total_factor == pytest.approx(1.0, abs=1e-11)
    assert result.depth_scale == math.inf


def test_tanh_at_unit_weights_collapses_to_zero_with_chi_one(moments) -> None:
    result = mean_field(moments("tanh"), 1.0, 0.0, depth=30)
    assert result.q_star == 0.0
    assert result.q_star_status == "zero"
    assert result.chi_1 == pytest.approx(1.0, abs=1e-12)


@pytest.mark.slow
def test_sigmoid_xavier_is_deep_in_the_vanishing_phase(moments) -> None:
    sigmoid, d_sigmoid = REFERENCES["sigmoid"], DERIVATIVES["sigmoid"]
    with mp.workdps(30):
        # q* = E[sigmoid(sqrt(q) z)^2] (sigma_w2 = 1, sigma_b2 = 0), then chi_1 = E[sigmoid'^2]
        def second_moment(q):
            return mp.quad(lambda z: sigmoid(mp.sqrt(q) * z) ** 2 * mp.npdf(z), [-mp.inf, mp.inf])

        q_star = mp.findroot(lambda q: second_moment(q) - q, 0.26)
        chi = mp.quad(lambda z: d_sigmoid(mp.sqrt(q_star) * z) ** 2 * mp.npdf(z), [-mp.inf, mp.inf])
    result = mean_field(moments("sigmoid"), 1.0, 0.0, depth=50)
    assert result.q_star == pytest.approx(float(q_star), rel=1e-10)
    assert result.chi_1 == pytest.approx(float(chi), rel=1e-10)
    assert result.chi_1 < 0.06
    assert result.depth_scale == pytest.approx(-1 / math.log(float(chi)), rel=1e-9)


def test_predicted_total_uses_the_q_sequence_and_l_minus_1_steps(moments) -> None:
    """prod_{m=1..L-1} sqrt(chi(q^m)) with q^1 = sigma_w2 q0 + sigma_b2, q^m = F(q^(m-1))."""
    tanh = moments("tanh")
    sigma_w2, sigma_b2, q0, depth = 1.5, 0.1, 2.0, 6
    q = [sigma_w2 * q0 + sigma_b2]
    for _ in range(depth - 1):
        q.append(sigma_w2 * gaussian_reference(REFERENCES["tanh"], q[-1], kink=None) + sigma_b2)
    steps = [
        0.5 * math.log10(sigma_w2 * gaussian_reference(DERIVATIVES["tanh"], value, kink=None))
        for value in q[:-1]
    ]
    result = mean_field(tanh, sigma_w2, sigma_b2, depth, input_variance=q0)
    assert result.q == pytest.approx(q, rel=1e-10)
    assert result.log10_factor[0] == pytest.approx(sum(steps), abs=1e-10)
    assert result.log10_factor[-1] == 0.0
    assert result.log10_factor[-2] == pytest.approx(steps[-1], abs=1e-10)


def test_relu_above_he_diverges(moments) -> None:
    result = mean_field(moments("relu"), 4.0, 0.0, depth=10)
    assert result.q_star == math.inf and result.q_star_status == "diverges"
    assert result.chi_1 == pytest.approx(2.0)
    assert result.depth_scale is None and result.explosion_scale == pytest.approx(1 / math.log(2))


def test_selu_lecun_maps_unit_mean_variance_to_itself(moments) -> None:
    result = mean_variance_map(moments("selu"), 1.0, 0.0)
    mean, variance = result.unit_image
    assert abs(mean) < 1e-6 and abs(variance - 1) < 1e-6
    assert result.fixed_point is not None
    assert result.fixed_point[0] == pytest.approx(0.0, abs=1e-6)
    assert result.fixed_point[1] == pytest.approx(1.0, abs=1e-6)


def test_mean_variance_map_reports_collapse(moments) -> None:
    # tanh with sigma_w2 = 1/2: the variance halves (at least) every layer
    result = mean_variance_map(moments("tanh"), 0.5, 0.0)
    assert result.fixed_point is None and result.status == "zero"


@pytest.mark.parametrize("sigma_b2", [0.0, 0.3])
def test_critical_relu_is_two_for_any_bias(moments, sigma_b2: float) -> None:
    found = critical_sigma_w2(moments("relu"), sigma_b2)
    assert found.sigma_w2 == pytest.approx(2.0, abs=1e-8)


def test_critical_tanh_without_bias_is_one(moments) -> None:
    assert critical_sigma_w2(moments("tanh"), 0.0).sigma_w2 == pytest.approx(1.0, abs=1e-8)


def test_critical_reports_no_root(moments) -> None:
    # binary_step' = 0 on both sides of its jump: chi_1 = 0 for every sigma_w2
    found = critical_sigma_w2(moments("binary_step"), 0.0)
    assert found.sigma_w2 is None and found.status == "none"
    assert found.reason.startswith("no edge of chaos for sigma_b^2 = 0: ")
    assert found.largest_chi_1 == 0.0


def test_a_moment_with_a_non_integrable_pole_is_infinite_and_no_edge_is_claimed() -> None:
    """sqrt|x|: f'(x)^2 = 1/(4|x|), so E[f'(sqrt(q) z)^2] = E[1/|z|] / (4 sqrt(q)) = inf for
    every q (1/|z| is not integrable at 0), while E[f(sqrt(q) z)^2] = sqrt(q) E|z| =
    sqrt(2q/pi) stays finite. It claimed an edge of chaos at sigma_w^2 = 4e150 (1 over f'^2 at
    1e150, the q -> oo 'limit')."""
    moments = GaussianMoments(load_activation(expression="sqrt(abs(x))"))
    for q in (0.25, 1.0, 9.0):
        assert moments.expect(q) == pytest.approx(math.sqrt(2 * q / math.pi), rel=1e-12)
        assert moments.expect(q, order=1) == math.inf
    found = critical_sigma_w2(moments, 0.0)
    assert found.sigma_w2 is None and "chi_1 = inf" in found.reason
    with pytest.raises(UsageError, match="no edge of chaos"):
        simulate_depth(
            [load_activation(expression="sqrt(abs(x))")], mode="meanfield", depth=5, critical=True
        )


# -- Monte Carlo -----------------------------------------------------------------------------


def straightforward(activation, *, depth, width, batch, seed, seeds, sigma_w2, sigma_b2, q0):
    """A textbook float64 network that keeps every weight, seeded as montecarlo's docstring
    says: generator SeedSequence(seed, spawn_key=(0, s, l)); l = 0 draws x then g; l >= 1 draws
    G (N x N) then b (N x 1); W = sqrt(sigma_w2 / N) G."""
    phi, dphi = activation.function(0), activation.function(1)
    logs = np.zeros((seeds, depth))
    variances = np.zeros((seeds, depth))
    for s in range(seeds):

        def generator(layer, s=s):
            return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, s, layer)))

        start = generator(0)
        a = start.standard_normal((width, batch)) * math.sqrt(q0)
        g = start.standard_normal((width, batch))
        weights, slopes = [], []
        for layer in range(1, depth + 1):
            rng = generator(layer)
            w = math.sqrt(sigma_w2 / width) * rng.standard_normal((width, width))
            b = math.sqrt(sigma_b2) * rng.standard_normal((width, 1))
            z = w @ a + b
            weights.append(w)
            slopes.append(dphi(z))
            variances[s, layer - 1] = np.var(z)
            a = phi(z)
        delta = g
        for layer in range(depth, 1, -1):
            delta = (weights[layer - 1].T @ delta) * slopes[layer - 2]
            logs[s, layer - 2] = math.log10(np.linalg.norm(delta) / np.linalg.norm(g))
    return logs, variances


def run_mc(activation, **options):
    defaults = {
        "depth": 6,
        "width": 24,
        "batch": 5,
        "seed": 7,
        "seeds": 2,
        "sigma_w2": 1.7,
        "sigma_b2": 0.2,
        "orthogonal": False,
        "dtype": "float64",
        "input_variance": 1.3,
        "weight_cache_bytes": 0,
    }
    return montecarlo_module.simulate(activation, **{**defaults, **options})


@pytest.mark.parametrize("name", ["tanh", "relu"])
def test_regenerated_weights_give_the_straightforward_result(name: str) -> None:
    activation = load_activation(name)
    result = run_mc(activation)
    logs, variances = straightforward(
        activation, depth=6, width=24, batch=5, seed=7, seeds=2, sigma_w2=1.7, sigma_b2=0.2, q0=1.3
    )
    np.testing.assert_allclose(result.log10_factor, logs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.z_variance, variances, rtol=1e-12)


def test_weight_cache_changes_nothing() -> None:
    activation = load_activation("tanh")
    regenerated = run_mc(activation, dtype="float32", weight_cache_bytes=0)
    cached = run_mc(activation, dtype="float32", weight_cache_bytes=2**30)
    partly = run_mc(activation, dtype="float32", weight_cache_bytes=2 * 24 * 24 * 4)
    for other in (cached, partly):
        assert np.array_equal(regenerated.log10_factor, other.log10_factor)
        assert np.array_equal(regenerated.z_variance, other.z_variance)


@pytest.mark.parametrize("orthogonal", [False, True])
def test_background_draws_change_nothing(monkeypatch: pytest.MonkeyPatch, orthogonal: bool) -> None:
    """Drawing weights ahead in threads gives the inline result bit for bit, cache or not."""
    activation = load_activation("tanh")
    options = {"dtype": "float32", "orthogonal": orthogonal, "depth": 9, "seeds": 3}
    inline = [run_mc(activation, weight_cache_bytes=size, **options) for size in (0, 3 * 24**2 * 4)]
    monkeypatch.setattr(montecarlo_module, "_BACKGROUND_WIDTH", 1)
    assert montecarlo_module.drawn_ahead(24) > 0
    for size, expected in zip((0, 3 * 24**2 * 4), inline, strict=True):
        drawn = run_mc(activation, weight_cache_bytes=size, **options)
        for field in ("log10_factor", "z_mean", "z_variance", "dead_fraction"):
            assert np.array_equal(getattr(drawn, field), getattr(expected, field))


def test_orthogonal_weights_are_scaled_orthogonal_and_keep_linear_norms() -> None:
    q = layer_weights(3, 0, 1, 16, np.dtype("float64"), orthogonal=True)
    np.testing.assert_allclose(q.T @ q, np.eye(16), atol=1e-12)
    identity = load_activation("identity")
    result = run_mc(identity, orthogonal=True, sigma_w2=1.0, sigma_b2=0.0)
    # W^T is an isometry and phi' = 1: every norm ratio is exactly 1
    np.testing.assert_allclose(result.log10_factor, 0.0, atol=1e-12)


@pytest.mark.parametrize(("name", "sigma_w2"), [("tanh", 1.0), ("relu", 2.0)])
@pytest.mark.slow
def test_monte_carlo_agrees_with_mean_field(moments, name: str, sigma_w2: float) -> None:
    """log10 F (Monte Carlo, S seeds) against the mean-field prediction.

    Per backward step, the log of the squared norm ratio fluctuates with variance at most 5/N
    for one input (Hanin & Nica 2019, ReLU; a batch of B inputs only averages it down, and
    tanh near its linear regime has 2/N plus a smaller derivative term). Over L - 1 steps one
    network's log10 F has standard deviation at most sigma_1 = 0.5 sqrt(5 (L-1) / N) / ln 10
    (= 0.149 at N = 256, L = 25), the mean over S seeds sigma_1 / sqrt(S). The mean field
    predicts E[ratio^2]; a log-normal's E[log] sits s^2/4 lower in ln(ratio) (s^2 <= 5 (L-1)/N),
    a bias of at most 0.051 in log10. Tolerance: bias + 4 sigma_1 / sqrt(S), i.e. 0.011 in
    log10 of the per-layer factor sqrt(chi_1) (2.5 %); a wrong variance convention (a factor 2
    in sigma_w2) moves it by 0.15. The measured spread across seeds is checked against sigma_1.
    """
    depth, width, seeds = 25, 256, 8
    result = simulate_depth(
        [load_activation(name)],
        mode="montecarlo",
        depth=depth,
        width=width,
        batch=32,
        sigma_w2=sigma_w2,
        seeds=seeds,
        seed=1,
    )
    run = result.runs[0]
    predicted = mean_field(moments(name), sigma_w2, 0.0, depth).log10_factor[0]
    sigma_1 = 0.5 * math.sqrt(5 * (depth - 1) / width) / math.log(10)
    bias = 5 * (depth - 1) / width / 4 / math.log(10)
    tolerance = bias + 4 * sigma_1 / math.sqrt(seeds)
    assert abs(run.log10_total_factor - predicted) < tolerance
    per_layer = run.log10_total_factor / (depth - 1)
    assert abs(per_layer - predicted / (depth - 1)) < 0.011
    assert np.std(run.montecarlo.log10_factor[:, 0], ddof=1) < sigma_1


@pytest.mark.slow
def test_forward_variance_follows_the_mean_field_recursion(moments) -> None:
    """z variance per layer against q^l: each layer's sample variance over N B entries is
    within a few percent of q^l at N = 256, B = 32 (relative sd ~ sqrt(2/(N B)) plus the
    layer-to-layer drift of finite width, ~ sqrt(l / N))."""
    depth = 10
    result = simulate_depth(
        [load_activation("tanh")],
        mode="all",
        depth=depth,
        width=256,
        batch=32,
        sigma_w2=1.5,
        sigma_b2=0.05,
        seeds=4,
    )
    for row in result.runs[0].layers():
        assert row["z_variance"] == pytest.approx(row["meanfield_q"], rel=0.1)


# -- verdicts, ranking, non-finite -------------------------------------------------------------


def verdict_of(name: str, **options) -> str:
    result = simulate_depth(
        [load_activation(name)],
        mode="montecarlo",
        depth=50,
        width=128,
        batch=16,
        seeds=2,
        **options,
    )
    return result.runs[0].verdict


def test_verdicts() -> None:
    assert verdict_of("sigmoid", init="xavier") == "vanishing"
    assert verdict_of("relu", init="he") == "stable"
    assert verdict_of("relu", sigma_w2=4.0) == "exploding"


def test_ranking_and_verdict_source() -> None:
    names = ["sigmoid", "relu", "tanh"]
    result = simulate_depth([load_activation(n) for n in names], mode="meanfield", depth=50)
    runs = {run.activation: run for run in result.runs}
    assert runs["relu"].rank == 1 and runs["sigmoid"].rank == 3
    assert {run.verdict_source for run in result.runs} == {"meanfield"}
    assert [row["activation"] for row in result.summary_rows()] == ["relu", "tanh", "sigmoid"]


def test_exploding_relu_overflows_in_float32_and_is_reported(moments) -> None:
    depth = 400
    result = simulate_depth(
        [load_activation("relu")],
        mode="all",
        depth=depth,
        width=64,
        batch=8,
        seeds=1,
        sigma_w2=100.0,
        dtype="float32",
    )
    run = result.runs[0]
    event = run.non_finite
    assert event is not None and event.what == "overflow" and event.direction == "forward"
    rows = run.layers()
    assert math.isfinite(rows[event.layer - 2]["z_variance"])
    assert not math.isfinite(rows[event.layer - 1]["z_variance"])
    # the mean-field variance q^l = 100 * 50^(l-1) puts the typical |z| = sqrt(q^l) past
    # float32's 3.4e38 near l = 44; the largest of N B entries gets there a layer or two sooner
    crossing = next(i + 1 for i, q in enumerate(run.meanfield.q) if math.sqrt(q) > 3.4e38)
    assert crossing - 4 <= event.layer <= crossing
    assert run.verdict == "exploding"
    json.dumps(result.to_json(), allow_nan=False)


def test_vanishing_float32_gradient_is_measured_past_underflow() -> None:
    """sigmoid's gradient shrinks ~10^-0.63 a layer: an unscaled float32 gradient is all below
    the smallest normal (1.2e-38) after ~60 layers; the power-of-two rescaling keeps the
    measurement, and the would-be underflow is reported."""
    result = simulate_depth(
        [load_activation("sigmoid")],
        mode="all",
        depth=120,
        width=64,
        batch=8,
        seeds=1,
        init="xavier",
    )
    run = result.runs[0]
    assert run.non_finite is not None
    assert (run.non_finite.what, run.non_finite.direction) == ("underflow", "backward")
    assert run.log10_total_factor == pytest.approx(run.meanfield.log10_factor[0], rel=0.05)
    assert run.verdict == "vanishing"


def test_memory_guard_refuses_before_allocating(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args, **kwargs):
        raise AssertionError("the guard must refuse before any simulation")

    monkeypatch.setattr("actcli.propagation.simulate.simulate", forbidden)
    with pytest.raises(ResourceLimitError, match="exceeds --max-memory") as caught:
        simulate_depth(
            [load_activation("relu")], depth=1000, width=1024, batch=128, max_memory=10**8
        )
    assert caught.value.exit_code == 3
    assert "lower --depth/--width/--batch" in str(caught.value)


def test_estimate_counts_stored_derivatives() -> None:
    result = simulate_depth(
        [load_activation("relu")],
        mode="montecarlo",
        depth=20,
        width=32,
        batch=8,
        seeds=1,
        weight_cache_bytes=0,
    )
    estimate = result.runs[0].estimate
    assert estimate.memory_bytes >= 19 * 32 * 8 * 4
    assert estimate.weight_cache_bytes == 0 and estimate.seconds > 0


# -- chain --------------------------------------------------------------------------------------


def test_sigmoid_chain_with_w_100_at_zero_preactivation_explodes_by_25() -> None:
    depth = 12
    result = simulate_depth(
        [load_activation("sigmoid")],
        mode="chain",
        depth=depth,
        seeds=2,
        weights="constant:100",
        biases="zero-preactivation",
    )
    chain = result.runs[0].to_json()["chain"]
    # dC/db_1 = sigma'(0) * prod_{j=2..L} 100 sigma'(0) = 25^(L-1) / 4
    assert chain["log10_gradient_b1"] == pytest.approx((depth - 1) * math.log10(25) - math.log10(4))
    assert chain["log10_total_factor"] == pytest.approx((depth - 1) * math.log10(25))
    assert chain["layers"][1]["log10_local_factor_mean"] == pytest.approx(math.log10(25))
    assert chain["verdict"] == "exploding"
    assert result.runs[0].verdict_source == "chain"


def test_chain_with_normal_weights_is_the_explicit_product() -> None:
    depth, seeds, seed = 7, 3, 11
    sigmoid = REFERENCES["sigmoid"]
    d_sigmoid = DERIVATIVES["sigmoid"]
    log_factors = []
    for s in range(seeds):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, s)))
        x = rng.standard_normal()
        w, b = rng.standard_normal(depth), rng.standard_normal(depth)
        a, z = x, []
        for j in range(depth):
            z.append(w[j] * a + b[j])
            a = float(sigmoid(z[-1]))
        grad_b1 = float(d_sigmoid(z[0]))
        for j in range(1, depth):
            grad_b1 *= w[j] * float(d_sigmoid(z[j]))
        log_factors.append(math.log10(abs(grad_b1) / float(d_sigmoid(z[-1]))))
    result = simulate_depth(
        [load_activation("sigmoid")], mode="chain", depth=depth, seeds=seeds, seed=seed
    )
    chain = result.runs[0].chain
    assert chain.log10_total_factor == pytest.approx(np.mean(log_factors), abs=1e-12)


# -- whole runs, activations from anywhere, output -------------------------------------------


@pytest.mark.slow
def test_expression_and_spec_file_activations(tmp_path) -> None:
    spec = tmp_path / "bent.yaml"
    spec.write_text(
        "name: bent\ntitle: Bent identity\nkind: scalar\n"
        'definition:\n  expression: "(sqrt(x**2 + 1) - 1)/2 + x"\nreferences: [a test]\n'
    )
    activations = [
        load_activation(None, expression="x*sigmoid(x)"),
        load_activation(str(spec)),
    ]
    result = simulate_depth(activations, depth=8, width=32, batch=4, seeds=2)
    for run in result.runs:
        assert run.init == "lecun" and run.init_is_default
        assert run.verdict in ("vanishing", "stable", "exploding")
        assert math.isfinite(run.meanfield.chi_1)
        assert len(run.layers()) == 8


def test_json_shape_and_progress() -> None:
    seen = []
    result = simulate_depth(
        [load_activation("tanh"), load_activation("selu")],
        depth=5,
        width=16,
        batch=4,
        seeds=2,
        progress=lambda d, t: seen.append((d, t)),
    )
    document = json.loads(json.dumps(result.to_json(), allow_nan=False))
    run = document["runs"][0]
    for key in (
        "activation",
        "params",
        "init",
        "sigma_w2",
        "sigma_b2",
        "depth",
        "width",
        "batch",
        "seeds",
        "dtype",
        "total_factor",
        "per_layer_factor",
        "verdict",
        "layers",
        "meanfield",
        "chain",
        "rank",
        "verdict_source",
        "non_finite",
        "mean_variance_map",
        "estimate",
    ):
        assert key in run
    assert set(run["layers"][0]) >= {
        "layer",
        "log10_factor_mean",
        "log10_factor_std",
        "z_mean",
        "z_variance",
        "dead_fraction",
        "saturated_fraction",
    }
    assert set(run["meanfield"]) >= {
        "q_star",
        "chi_1",
        "per_layer_factor",
        "depth_scale",
        "predicted_total_factor",
    }
    assert run["per_layer_factor"] == pytest.approx(run["total_factor"] ** (1 / 4))
    assert document["runs"][1]["init"] == "lecun" and run["init"] == "xavier"
    totals = {t for _, t in seen}
    assert len(totals) == 1 and seen[-1][0] == seen[-1][1]
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_critical_option_runs_at_the_edge_of_chaos() -> None:
    result = simulate_depth([load_activation("tanh")], mode="meanfield", depth=10, critical=True)
    run = result.to_json()["runs"][0]
    assert run["init"] == "critical"
    assert run["critical_sigma_w2"] == pytest.approx(1.0, abs=1e-8)
    assert run["meanfield"]["chi_1"] == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"mode": "sideways"}, "--mode"),
        ({"init": "he", "sigma_w2": 3.0}, "not both"),
        ({"depth": 1}, "--depth"),
        ({"dtype": "float16"}, "--dtype"),
        ({"biases": "uniform"}, "--biases"),
        ({"vanish_below": 1000.0}, "--vanish-below"),
    ],
)
def test_usage_errors(options, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        simulate_depth([load_activation("relu")], **options)


def test_vector_activation_is_refused() -> None:
    with pytest.raises(UsageError, match="scalar"):
        simulate_depth([load_activation("softmax")])


@pytest.mark.slow
def test_figure_draws_every_run() -> None:
    from actcli.figures import figure_bytes

    result = simulate_depth(
        [load_activation("tanh"), load_activation("relu")], depth=12, width=32, batch=4, seeds=2
    )
    figure = depth_figure(result, style="dark")
    axes = figure.axes[0]
    labels = axes.get_legend().get_texts()
    # one entry per activation, one per line style (Monte Carlo, mean field)
    assert len(labels) == 4
    assert figure_bytes(figure, "svg").startswith(b"<?xml")


def depth_50_figure():
    """sigmoid, tanh, relu and selu at depth 50: sigmoid falls through the vanishing threshold
    near the right end (where its label used to be) down to about 1e-31."""
    names = ("sigmoid", "tanh", "relu", "selu")
    result = simulate_depth(
        [load_activation(n) for n in names], depth=50, width=32, batch=8, seeds=2, seed=0
    )
    figure = depth_figure(result)
    FigureCanvasAgg(figure).draw()  # figure.canvas is now Agg, with a renderer
    return result, figure, figure.axes[0]


def curve_points(axes, per_segment=64):
    """Every drawn line in display coordinates, vertices and points along each segment."""
    found = []
    for line in axes.get_lines():
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if len(xy) < 2 or line.get_linestyle() == ":":  # the threshold lines themselves
            continue
        t = np.linspace(0.0, 1.0, per_segment)[:, None]
        found.extend(a + t * (b - a) for a, b in zip(xy, xy[1:], strict=False))
    return np.concatenate(found)


@pytest.mark.slow
def test_threshold_labels_sit_where_no_curve_passes() -> None:
    _, figure, axes = depth_50_figure()
    labels = [t for t in axes.texts if " above " in t.get_text() or " below " in t.get_text()]
    assert [t.get_text().split(" $")[0] for t in labels] == ["exploding above", "vanishing below"]
    points = curve_points(axes)
    assert len(points) > 1000
    renderer = figure.canvas.get_renderer()
    for label in labels:
        box = label.get_window_extent(renderer)
        inside = (
            (box.x0 <= points[:, 0])
            & (points[:, 0] <= box.x1)
            & (box.y0 <= points[:, 1])
            & (points[:, 1] <= box.y1)
        )
        assert not inside.any(), (label.get_text(), points[inside][:3])
        # on its line: the box touches the threshold's height, a few points away
        level = axes.transData.transform((1, float(label.xy[1])))[1]
        assert min(abs(box.y0 - level), abs(box.y1 - level)) < 10
    # nor under the legend
    legend = axes.get_legend().get_window_extent(renderer)
    assert not any(label.get_window_extent(renderer).overlaps(legend) for label in labels)


@pytest.mark.slow
def test_the_lowest_decade_reached_has_a_tick_label() -> None:
    result, _, axes = depth_50_figure()
    lowest = math.inf
    for run in result.runs:
        for row in run.layers():
            mean, std = row["log10_factor_mean"], row["log10_factor_std"] or 0.0
            lowest = min(lowest, mean - std)
        lowest = min(lowest, *run.meanfield.log10_factor)
    floor = math.floor(lowest)
    assert floor <= -25  # sigmoid's 1e-31 or so
    bottom, top = axes.get_ylim()
    ticks = [(t.get_position()[1], t.get_text()) for t in axes.get_yticklabels()]
    shown = [text for y, text in ticks if bottom <= y <= top and text]
    assert f"$10^{{{floor}}}$" in shown
    assert "$10^{0}$" in shown  # the reference decade still labelled
    assert bottom == math.floor(bottom) and bottom <= floor  # the axis starts at a whole decade


@pytest.mark.parametrize("top_gradient", ["normal", "ones"])
def test_orthogonal_linear_stack_keeps_every_gradient_norm(top_gradient):
    """With f(x) = x and orthogonal W (sigma_w^2 = 1), delta^(l-1) = W^T delta^l has the norm
    of delta^l exactly, whatever the top gradient: every factor is 1 up to rounding."""
    identity = load_activation("identity")
    result = simulate_depth(
        [identity], mode="montecarlo", depth=12, width=32, batch=8, seeds=2,
        init="orthogonal", sigma_w2=1.0, dtype="float64", top_gradient=top_gradient,
    )  # fmt: skip
    (run,) = result.runs
    assert run.to_json()["top_gradient"] == top_gradient
    for row in run.layers():
        assert abs(row["log10_factor_mean"]) < 1e-13


def test_top_gradient_choice_changes_the_measured_network_not_the_weights():
    tanh = load_activation("tanh")

    def factors(top: str) -> list[float]:
        (run,) = simulate_depth(
            [tanh], mode="montecarlo", depth=6, width=16, batch=4, seeds=1, top_gradient=top
        ).runs
        return [row["log10_factor_mean"] for row in run.layers()]

    assert factors("ones") != factors("normal")
    with pytest.raises(UsageError, match="--top-gradient"):
        factors("uniform")


@pytest.mark.slow
def test_threshold_labels_go_outside_when_every_place_is_crossed(monkeypatch) -> None:
    from actcli.propagation import figure as figure_module

    monkeypatch.setattr(figure_module, "CLEARANCE", 1e9)  # no place along a line is clear
    _, figure, axes = depth_50_figure()
    renderer = figure.canvas.get_renderer()
    edge = axes.get_window_extent(renderer).x1
    labels = [t for t in axes.texts if " above " in t.get_text() or " below " in t.get_text()]
    assert len(labels) == 2
    assert all(label.get_window_extent(renderer).x0 >= edge for label in labels)
    # the legend, pinned before the axes shrank, was placed again inside them
    legend = axes.get_legend().get_window_extent(renderer)
    assert legend.x1 <= edge


def test_depth_figure_legend_shows_the_parameter_values():
    from actcli import api
    from actcli.propagation import figure

    result = api.simulate_depth(["elu"], params={"alpha": "0.5"}, mode="meanfield", depth=5)
    legend = figure.depth_figure(result).axes[0].get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert any(t.startswith("elu [alpha=0.5] (") for t in texts), texts


@pytest.mark.slow
def test_box_muller_float32_draws_are_standard_normal() -> None:
    """The float32 weight sampler against N(0, 1): Kolmogorov-Smirnov on 2^22 draws, the first
    four moments (kurtosis 3) and the two-sided tail mass beyond 3 and 4 (2 Phi(-t), from
    scipy's normal law), each within five standard errors."""
    from scipy import stats

    from actcli.propagation.montecarlo import box_muller_float32

    count = 1 << 22
    z = box_muller_float32(np.random.default_rng(20261206), count).astype(np.float64)
    assert z.shape == (count,)
    assert stats.kstest(z, "norm").pvalue > 1e-3
    standard_error = 5 / math.sqrt(count)
    assert abs(z.mean()) < standard_error
    assert abs(z.var() - 1) < math.sqrt(2) * standard_error
    assert abs(np.mean(z**4) - 3) < math.sqrt(96) * standard_error
    for t in (3.0, 4.0):
        expected = 2 * stats.norm.sf(t)
        spread = 5 * math.sqrt(expected * (1 - expected) / count)
        assert abs(np.mean(np.abs(z) > t) - expected) < spread


def test_box_muller_float32_tail_reaches_past_24_bit_uniforms() -> None:
    """A uniform below 2^-10 is drawn again in float64: the radius sqrt(-2 ln u) of the redrawn
    values exceeds sqrt(-2 ln 2^-10) = 3.72 and is not stuck on the 2^-24 grid of float32
    uniforms (whose largest radius is sqrt(48 ln 2) = 5.77); odd counts are served."""
    from actcli.propagation.montecarlo import box_muller_float32

    z = box_muller_float32(np.random.default_rng(7), (1 << 22) + 1)
    assert z.shape == ((1 << 22) + 1,) and z.dtype == np.float32
    half = ((1 << 22) + 2) // 2
    radius = np.hypot(z[: half - 1].astype(np.float64), z[half:].astype(np.float64))
    tail = radius[radius > math.sqrt(20 * math.log(2))]
    # P(R > r0) = exp(-r0^2 / 2) = 2^-10 for the Rayleigh radius of two independent normals
    expected = (half - 1) * 2.0**-10
    assert abs(tail.size - expected) < 5 * math.sqrt(expected)
    grid_radii = np.sqrt(-2 * np.log(np.arange(1, 2**14 + 1) * 2.0**-24))
    on_grid = np.min(np.abs(tail[:, None] - grid_radii[None, :]), axis=1) < 1e-6
    assert on_grid.mean() < 0.5


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_monte_carlo_is_the_same_on_one_thread_or_three(monkeypatch, dtype: str) -> None:
    """BLAS is held to one thread and the columns of each product are split over actcli's own
    threads, so a run gives the same floats whatever the thread count (a multi-threaded BLAS
    rounds float32 products differently with another thread count); a batch of three blocks."""
    activation = load_activation("tanh")
    batch = 2 * montecarlo_module.PRODUCT_COLUMNS + 3
    found = []
    for threads in (1, 3):
        monkeypatch.setattr(montecarlo_module, "blas_threads", lambda threads=threads: threads)
        found.append(
            run_mc(activation, depth=12, width=512, batch=batch, dtype=dtype, sigma_w2=1.3)
        )
    for name in ("log10_factor", "z_mean", "z_variance", "dead_fraction", "saturated_fraction"):
        assert np.array_equal(getattr(found[0], name), getattr(found[1], name)), name


def test_products_are_blocks_of_one_blas_call_each_on_any_thread_count() -> None:
    """_Products on 1, 2 and 3 threads: bit for bit the same, each block of PRODUCT_COLUMNS
    columns equal to one single-threaded BLAS call on those columns (which can round
    differently from one call on all of them: OpenBLAS's AVX2 sgemm does), and the whole
    within float32 rounding of numpy.matmul; column counts below, at and above a block, and
    not a multiple of one."""
    from threadpoolctl import threadpool_limits

    block_columns = montecarlo_module.PRODUCT_COLUMNS
    generator = np.random.default_rng(3)
    matrix = generator.standard_normal((300, 300)).astype(np.float32)
    for columns in (1, 5, block_columns, block_columns + 3, 3 * block_columns + 1):
        block = generator.standard_normal((300, columns)).astype(np.float32)
        for operator in (matrix, matrix.T):
            exact = operator.astype(np.float64) @ block.astype(np.float64)
            found = []
            with threadpool_limits(1, user_api="blas"):
                for threads in (1, 2, 3):
                    with montecarlo_module._Products(threads) as product:
                        found.append(product(operator, block, np.empty_like(block)))
                for low in range(0, columns, block_columns):
                    part = slice(low, low + block_columns)
                    assert np.array_equal(found[0][:, part], operator @ block[:, part]), columns
            assert all(np.array_equal(found[0], other) for other in found[1:]), columns
            scale = np.abs(operator).astype(np.float64) @ np.abs(block).astype(np.float64)
            assert np.all(np.abs(found[0] - exact) <= 300 * 2.0**-24 * scale), columns
