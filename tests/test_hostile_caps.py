"""Caps and refusals (issue 12): every option that sizes the work has a limit, refused with one
line that names the option and the limit (exit 2, or 3 for a resource estimate) before anything
is built; inputs that used to end in an internal error (exit 70) get an answer or a refusal."""

import math
from pathlib import Path

import pytest

BIG = "1" * 5000  # a 5000-digit number


def _one_line_error(err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("actcli: error: "), err
    for word in words:
        assert word in lines[0], (word, err)


# -- derivative orders: one limit (10) for eval, derive in every format and check's claims ----


@pytest.mark.parametrize("order", ["11", "1000000", "-1"])
def test_eval_order_is_capped(run_actcli, order):
    code, out, err = run_actcli("eval", "relu", "1", "--order", order)
    assert code == 2 and out == ""
    _one_line_error(err, f"--order {order}", "10")


@pytest.mark.parametrize("fmt", ["text", "latex", "json", "python", "c"])
def test_derive_order_is_capped_in_every_format(run_actcli, fmt):
    code, out, err = run_actcli("derive", "relu", "--order", "11", "--format", fmt)
    assert code == 2 and out == ""
    _one_line_error(err, "--order 11", "10")


def test_derive_order_at_the_cap_still_works_for_code(run_actcli):
    code, out, _ = run_actcli("derive", "relu", "--order", "10", "--format", "python")
    assert code == 0 and "def " in out


@pytest.mark.parametrize("order", ["11", "1000000"])
def test_check_claim_of_a_high_derivative_is_refused(run_actcli, order):
    code, _, err = run_actcli("check", "relu", "--claim", f"derivatives.{order}=0")
    assert code == 2
    _one_line_error(err, f"derivatives.{order}", "10")


@pytest.mark.parametrize("claimed", ["C1", "C2", "C1000", "C1000000"])
def test_relu_claimed_smoother_than_c0_is_refuted(run_actcli, claimed):
    # relu's derivative jumps from 0 to 1 at x = 0: it is C0 and no C_k with k >= 1
    code, out, _ = run_actcli("check", "relu", "--claim", f"smoothness={claimed}")
    assert code == 1 and "refuted" in out and "C0" in out


def test_smoothness_claim_beyond_what_is_checked_is_unproven(run_actcli):
    # max(x, 0)**20 is C19: smoothness checks up to order 8, so C19 can be neither proven
    # nor refuted, and C5 is refuted (the class is higher)
    code, out, _ = run_actcli("check", "--expr", "max(x,0)**20", "--claim", "smoothness=C19")
    assert code == 0 and "unproven" in out
    code, out, _ = run_actcli("check", "--expr", "max(x,0)**20", "--claim", "smoothness=C5")
    assert code == 1 and "refuted" in out


# -- simulate-depth ------------------------------------------------------------------------


def test_seeds_enter_the_memory_estimate(run_actcli):
    code, out, err = run_actcli(
        "simulate-depth", "relu", "--seeds", "1000000000", "--max-memory", "1G"
    )
    assert code == 3 and out == ""
    _one_line_error(err, "--seeds 1000000000", "--max-memory")


def test_seeds_alone_can_exceed_the_estimate_in_chain_mode(run_actcli):
    code, _, err = run_actcli(
        "simulate-depth", "relu", "--mode", "chain", "--seeds", "100000000", "--max-memory", "1G"
    )
    assert code == 3
    _one_line_error(err, "--seeds", "--max-memory")


@pytest.mark.parametrize("option, value", [("--width", "1000000000"), ("--depth", "1000000000000")])
def test_width_and_depth_are_refused_by_the_estimate(run_actcli, option, value):
    code, _, err = run_actcli("simulate-depth", "relu", option, value, "--max-memory", "1G")
    assert code == 3
    _one_line_error(err, "--max-memory")


def test_negative_seed_is_a_usage_error(run_actcli):
    code, _, err = run_actcli(
        "simulate-depth", "relu", "--seed", "-1", "--mode", "montecarlo", "--depth", "2"
    )
    assert code == 2
    _one_line_error(err, "--seed -1")


# -- plot ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dpi", ["0.5", "1201", "100000", "nan", "inf"])
def test_plot_dpi_is_capped(run_actcli, dpi):
    code, _, err = run_actcli("plot", "relu", "-o", "f.png", "--dpi", dpi)
    assert code == 2
    _one_line_error(err, "--dpi", "1200")


def test_plot_png_pixels_are_capped(run_actcli, tmp_path):
    code, _, err = run_actcli(
        "plot", "relu", "-o", "f.png", "--dpi", "1200", "--size", "100", "100"
    )
    assert code == 2 and not (tmp_path / "f.png").exists()
    _one_line_error(err, "--dpi 1200", "--size 100 100", "100 million pixels")


def test_plot_title_length_is_capped(run_actcli):
    code, _, err = run_actcli("plot", "relu", "-o", "f.svg", "--title", "T" * 201)
    assert code == 2
    _one_line_error(err, "--title", "201", "200")


def test_plot_sweep_count_is_capped(run_actcli):
    values = ",".join(str(v) for v in range(1, 52))
    code, _, err = run_actcli("plot", "elu", "-o", "f.svg", "--sweep", f"alpha={values}")
    assert code == 2
    _one_line_error(err, "--sweep alpha", "51", "50")


def test_plot_curve_count_is_capped_across_activations(run_actcli):
    values = ",".join(str(v) for v in range(1, 31))
    code, _, err = run_actcli("plot", "elu", "celu", "-o", "f.svg", "--sweep", f"alpha={values}")
    assert code == 2
    _one_line_error(err, "--sweep", "50")


def test_title_that_is_not_math_text_is_drawn_plainly(run_actcli, tmp_path):
    code, _, err = run_actcli("plot", "relu", "-o", "f.svg", "--title", "$x^$")
    assert code == 0 and (tmp_path / "f.svg").stat().st_size > 0
    assert "plain text" in err and "internal error" not in err


# -- table ---------------------------------------------------------------------------------


@pytest.mark.parametrize("error", ["1e-17", "1e-300", "5e-324"])
def test_table_max_error_below_float64_evaluation_is_refused(run_actcli, error):
    # every table of relu on [-8, 8] stores f(8) = 8, evaluated to 1e-13 relative: 8e-13
    code, out, err = run_actcli("table", "relu", "--max-error", error)
    assert code == 2 and out == ""
    _one_line_error(err, "--max-error", "8e-13")


def test_table_max_error_needing_too_many_points_is_refused_before_building(run_actcli):
    # linear interpolation errs by h^2/8 max|f''|; gelu's f''(0) = 2/sqrt(2 pi): E = 1e-12 on
    # [-8, 8] needs 16 * sqrt(0.7979 / 8e-12) ~ 5e6 points
    need = 16 * math.sqrt(2 / math.sqrt(2 * math.pi) / 8e-12)
    assert need > 1 << 18
    code, _, err = run_actcli("table", "gelu", "--max-error", "1e-12")
    assert code == 2
    _one_line_error(err, "--max-error 1e-12", "--max-points 262144")


@pytest.mark.parametrize("points", ["262145", "16777216", "1000000000"])
def test_table_points_above_max_points_are_refused(run_actcli, points):
    code, _, err = run_actcli("table", "relu", "--points", points)
    assert code == 2
    _one_line_error(err, f"--points {points}", "--max-points 262144")


def test_table_max_points_itself_is_capped(run_actcli):
    code, _, err = run_actcli("table", "relu", "--max-points", "16777217")
    assert code == 2
    _one_line_error(err, "--max-points 16777217", "16777216")


@pytest.mark.slow
def test_table_max_points_can_be_raised(run_actcli):
    code, out, _ = run_actcli(
        "table", "relu", "--range", "0", "1", "--points", "300000", "--max-points", "300000"
    )
    assert code == 0 and len(out.splitlines()) == 300001  # header + rows


@pytest.mark.parametrize("step", ["1e-300", "5e-324"])
def test_table_tiny_step_is_refused(run_actcli, step):
    code, _, err = run_actcli("table", "relu", "--step", step)
    assert code == 2
    _one_line_error(err, "--step")


def test_table_across_a_pole_is_refused(run_actcli):
    code, _, err = run_actcli("table", "--expr", "1/(x-1)", "--points", "11")
    assert code == 2
    _one_line_error(err, "x = 1", "--range")


# -- huge numbers --------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["show", "elu"], ["eval", "elu", "1"]])
def test_a_5000_digit_parameter_is_a_usage_error(run_actcli, command):
    code, _, err = run_actcli(*command, "--param", f"alpha={BIG}")
    assert code == 2
    assert "internal error" not in err and "alpha" in err


def test_constant_beyond_float64_evaluates_to_inf(run_actcli):
    # 10**400 exceeds float64's largest finite number (about 1.8e308): IEEE overflow is inf
    assert float("1e400") == math.inf
    code, out, err = run_actcli("eval", "--expr", "10**400*x", "1", "-1", "0")
    assert code == 0, err
    assert [float(v) for v in out.split()] == [math.inf, -math.inf, 0.0]


def test_properties_of_a_huge_constant_do_not_crash(run_actcli):
    code, _, err = run_actcli("properties", "--expr", "10**400*x", "--format", "json")
    assert code == 0, err


def test_a_5000_digit_default_in_a_spec_is_a_spec_error(run_actcli, tmp_path):
    spec = (Path(__file__).resolve().parents[1] / "specs" / "elu.yaml").read_text()
    text = spec.replace("name: elu", "name: elu_big").replace("default: 1.0", f"default: {BIG}")
    assert BIG in text
    (tmp_path / "big.yaml").write_text(text)
    for command in (["show", "big.yaml"], ["validate", "big.yaml"], ["eval", "big.yaml", "1"]):
        code, _, err = run_actcli(*command)
        assert code == 2, (command, err)
        assert "parameters.alpha.default" in err and "internal error" not in err


def test_derivative_with_an_imaginary_constant_evaluates(run_actcli):
    # (-1)**x = exp(i pi x) at integers: d^2/dx^2 = (i pi)^2 (-1)**x, so -pi^2 at 0, pi^2 at 1
    code, out, err = run_actcli("eval", "--expr", "(-1)**x", "--order", "2", "0", "1")
    assert code == 0, err
    got = [float(v) for v in out.split()]
    assert got == pytest.approx([-(math.pi**2), math.pi**2], rel=1e-12)
