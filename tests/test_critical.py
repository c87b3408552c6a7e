"""The edge of chaos (`critical_sigma_w2`) against references computed here with mpmath.

Mean field (Poole et al. 2016, Schoenholz et al. 2017): q* is the fixed point of
q -> sigma_w2 E[phi(sqrt(q) z)^2] + sigma_b2 and chi_1 = sigma_w2 E[phi'(sqrt(q*) z)^2],
z ~ N(0, 1); the edge of chaos is the sigma_w2 with chi_1 = 1. The activations are written out
below from their papers (not from actcli's specs), the Gaussian expectations are mpmath.quad at
20 digits, and nothing here is a number actcli printed.
"""

from __future__ import annotations

import functools
import math

import pytest
from mpmath import mp

from actcli.api import load_activation
from actcli.propagation.meanfield import (
    CRITICAL_TOLERANCE,
    GaussianMoments,
    critical_sigma_w2,
    settle,
    variance_preserving_sigma_w2,
)

SIGMA_B2 = "0.05"


def _sigmoid(x):
    return 1 / (1 + mp.exp(-x))


def _softplus(x):
    return mp.log1p(mp.exp(x)) if x < 30 else x + mp.log1p(mp.exp(-x))


# phi and phi', by hand: ELU (Clevert et al. 2016, alpha = 1), tanh, GELU = x Phi(x) (Hendrycks
# & Gimpel 2016), SiLU = x sigmoid(x) (Elfwing et al. 2018), Mish = x tanh(softplus(x))
# (Misra 2019): mish' = tanh(sp) + x sech(sp)^2 sigmoid(x).
ACTIVATIONS = {
    "elu": (lambda x: x if x > 0 else mp.expm1(x), lambda x: mp.one if x > 0 else mp.exp(x)),
    "tanh": (mp.tanh, lambda x: 1 / mp.cosh(x) ** 2),
    "gelu": (lambda x: x * mp.ncdf(x), lambda x: mp.ncdf(x) + x * mp.npdf(x)),
    "silu": (lambda x: x * _sigmoid(x), lambda x: _sigmoid(x) * (1 + x * (1 - _sigmoid(x)))),
    "mish": (
        lambda x: x * mp.tanh(_softplus(x)),
        lambda x: mp.tanh(_softplus(x)) + x * _sigmoid(x) / mp.cosh(_softplus(x)) ** 2,
    ),
}


def gaussian(integrand, q):
    """E[integrand(sqrt(q) z, z)], z ~ N(0, 1), at 20 digits: Gauss-Legendre on [-12, 12] split
    at 0 (ELU's kink) and +-1 (features of width 1/sqrt(q) near 0); the Gaussian mass beyond
    |z| = 12 is 4e-33."""
    with mp.workdps(20):
        root = mp.sqrt(q)
        return mp.quad(
            lambda z: integrand(root * z, z) * mp.npdf(z),
            [-12, -1, 0, 1, 12],
            method="gauss-legendre",
        )


@functools.cache
def second_moment(name, q, order=0):
    """E[phi^(order)(sqrt(q) z)^2] (remembered: mpmath.findroot evaluates its start twice)."""
    function = ACTIVATIONS[name][order]
    return gaussian(lambda x, z: function(x) ** 2, q)


def reference_critical(name, sigma_b2):
    """chi_1(sigma_w2) = 1 by mpmath.findroot (secant from sigma_w2 = 1.5), with q*(sigma_w2) by
    mpmath.findroot inside (from the last q*, first 1)."""
    with mp.workdps(20):
        sigma_b2 = mp.mpf(sigma_b2)
        last = [mp.mpf(1)]

        def q_star(sigma_w2):
            last[0] = mp.findroot(
                lambda q: sigma_w2 * second_moment(name, q) + sigma_b2 - q, last[0], tol=1e-15
            )
            return last[0]

        def excess(sigma_w2):
            return sigma_w2 * second_moment(name, q_star(sigma_w2), order=1) - 1

        root = mp.findroot(excess, (mp.mpf("1.5"), mp.mpf("1.6")), tol=1e-13)
        return float(root), float(q_star(root))


@pytest.fixture(scope="module")
def moments():
    cache = {}

    def get(name: str) -> GaussianMoments:
        if name not in cache:
            cache[name] = GaussianMoments(load_activation(name))
        return cache[name]

    return get


def assert_verified(found, sigma_b2: float, moments_of) -> None:
    """The reported point recomputed independently of `found`: chi_1 = 1 within 1e-9 there."""
    assert found.status == "found" and found.sigma_w2 is not None
    star, chi_1 = settle(moments_of, found.sigma_w2, sigma_b2)
    assert abs(chi_1 - 1) <= CRITICAL_TOLERANCE
    assert found.chi_1 == chi_1 and found.q_star == star.value
    assert found.residual == abs(chi_1 - 1) <= CRITICAL_TOLERANCE
    assert f"|chi_1 - 1| = {found.residual:.1g}" in found.reason


# -- roots -----------------------------------------------------------------------------------


def test_relu_is_critical_at_two_without_bias(moments) -> None:
    # relu'(x)^2 is 1 for x > 0 and 0 below, so E[relu'(sqrt(q) z)^2] = P(z > 0) = 1/2 for every
    # q and chi_1 = sigma_w2 / 2: 1 exactly at sigma_w2 = 2
    found = critical_sigma_w2(moments("relu"), 0.0)
    assert found.sigma_w2 == pytest.approx(2.0, abs=1e-12)
    assert_verified(found, 0.0, moments("relu"))


def test_elu_root_matches_mpmath(moments) -> None:
    sigma_w2, q_star = reference_critical("elu", SIGMA_B2)
    assert sigma_w2 == pytest.approx(1.5337, abs=1e-4)  # the figure
    found = critical_sigma_w2(moments("elu"), 0.05)
    assert found.sigma_w2 == pytest.approx(sigma_w2, abs=1e-8)
    assert found.q_star == pytest.approx(q_star, rel=1e-8)
    assert found.q_star_status == "converged"
    assert_verified(found, 0.05, moments("elu"))


def test_elu_is_not_reported_where_the_map_diverges(moments) -> None:
    """The trap the old scan fell into: at sigma_w2 = 2 the ELU map diverges, and chi_1 at
    q* = oo is 2 E[elu'(oo z)^2] = 2 (1 + 0) / 2 = 1 exactly. The finite root comes first."""
    star, chi_1 = settle(moments("elu"), 2.0, 0.05)
    assert star.status == "diverges" and chi_1 == 1.0
    found = critical_sigma_w2(moments("elu"), 0.05)
    assert found.sigma_w2 < 1.6 and math.isfinite(found.q_star)


def test_tanh_root_matches_mpmath(moments) -> None:
    sigma_w2, q_star = reference_critical("tanh", SIGMA_B2)
    assert sigma_w2 == pytest.approx(1.76, abs=0.01)  # Schoenholz et al. (2017), figure 1
    found = critical_sigma_w2(moments("tanh"), 0.05)
    assert found.sigma_w2 == pytest.approx(sigma_w2, abs=1e-8)
    assert found.q_star == pytest.approx(q_star, rel=1e-8)
    assert_verified(found, 0.05, moments("tanh"))


def test_variance_preserving_sigma_w2(moments) -> None:
    with mp.workdps(20):
        elu_second = second_moment("elu", 1)
    expected = (1 - 0.05) / float(elu_second)
    assert variance_preserving_sigma_w2(moments("elu"), 0.05) == pytest.approx(expected, rel=1e-10)
    found = critical_sigma_w2(moments("elu"), 0.05)
    assert found.variance_preserving_sigma_w2 == pytest.approx(expected, rel=1e-10)
    # relu: sigma_w2 / 2 + sigma_b2 = 1
    assert variance_preserving_sigma_w2(moments("relu"), 0.3) == pytest.approx(1.4, rel=1e-12)
    assert variance_preserving_sigma_w2(moments("relu"), 1.0) is None


# -- no root ---------------------------------------------------------------------------------


def curve_of_fixed_points(name, sigma_b2):
    """The fixed points with q as parameter: sigma_w2(q) = (q - sigma_b2) / E[phi^2] makes q a
    fixed point, chi_1(q) = sigma_w2(q) E[phi'^2] there, and the map's slope there is
    F'(q) = sigma_w2(q) dE[phi^2]/dq = sigma_w2(q) E[phi phi'(sqrt(q) z) z] / sqrt(q) (Stein's
    lemma): the fixed point attracts where F' < 1, and F' = 1 where the stable one disappears."""
    phi, dphi = ACTIVATIONS[name]

    def sigma_w2(q):
        return (q - sigma_b2) / second_moment(name, q)

    def chi_1(q):
        return sigma_w2(q) * second_moment(name, q, order=1)

    def slope(q):
        return sigma_w2(q) * gaussian(lambda x, z: phi(x) * dphi(x) * z, q) / mp.sqrt(q)

    return sigma_w2, chi_1, slope


@pytest.mark.parametrize("name", ["gelu", "silu", "mish"])
def test_no_edge_of_chaos_at_005(moments, name: str) -> None:
    """A coarse scan of the curve for q = 0.05 + 10^(k/2), k = -2..4 (up to q = 100): chi_1 - 1
    changes sign once, at an unstable fixed point (F' > 1). The stable branch starts at
    sigma_w2 -> 0 (q -> 0.05) and ends at the fold, where sigma_w2(q) peaks and F' = 1, below
    that crossing: chi_1 < 1 all along it. Beyond the crossing chi_1 > 1 (tending to 1 as
    q -> oo, where sigma_w2 -> 2)."""
    with mp.workdps(20):
        sigma_b2 = mp.mpf(SIGMA_B2)
        sigma_w2, chi_1, slope = curve_of_fixed_points(name, sigma_b2)
        grid = [sigma_b2 + mp.mpf(10) ** (k / mp.mpf(2)) for k in range(-2, 5)]
        above = [chi_1(q) > 1 for q in grid]
        first = above.index(True)
        assert not any(above[:first]) and all(above[first:])  # one sign change
        crossing = mp.findroot(
            lambda q: chi_1(q) - 1, (grid[first - 1], grid[first]), solver="anderson", tol=1e-18
        )
        assert abs(chi_1(crossing) - 1) < 1e-12
        assert slope(crossing) > 1  # unstable: no network settles there
        # the fold: F' = 1 around the largest sigma_w2 on the grid, below the crossing
        peak = max(range(1, len(grid) - 1), key=lambda i: sigma_w2(grid[i]))
        low, high = grid[peak - 1], grid[peak + 1]
        assert slope(low) < 1 < slope(high)
        fold = mp.findroot(lambda q: slope(q) - 1, (low, high), solver="anderson", tol=1e-10)
        assert fold < crossing
        fold_sigma_w2, fold_chi = float(sigma_w2(fold)), float(chi_1(fold))
        unstable = f"unstable fixed point (sigma_w^2 = {float(sigma_w2(crossing)):.6g}, "
    assert fold_chi < 0.98
    found = critical_sigma_w2(moments(name), 0.05)
    assert found.status == "none" and found.sigma_w2 is None and found.chi_1 is None
    assert found.reason.startswith("no edge of chaos for sigma_b^2 = 0.05: ")
    assert unstable in found.reason
    assert found.largest_chi_1 == pytest.approx(fold_chi, abs=1e-6)
    assert found.largest_chi_1_sigma_w2 == pytest.approx(fold_sigma_w2, rel=1e-6)
    assert found.largest_chi_1_q_star == pytest.approx(float(fold), rel=1e-3)


def test_none_has_no_sigma_w2_in_json(moments) -> None:
    document = critical_sigma_w2(moments("gelu"), 0.05).to_json()
    assert document["status"] == "none" and document["sigma_w2"] is None
    assert document["largest_chi_1"] < 1 and document["reason"].startswith("no edge of chaos")
