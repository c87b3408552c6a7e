"""`actcli simulate-depth` from the command line: verdicts, --fail-on exit codes, formats,
the figure, resource refusal. The simulation's mathematics is tested in test_propagation.py."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path

import pytest
from mpmath import mp

ROOT = Path(__file__).resolve().parent.parent
SMALL = ("--width", "64", "--batch", "32", "--seeds", "2")


def runs(run_actcli, *argv: str) -> dict[str, dict]:
    code, out, err = run_actcli("simulate-depth", *argv, *SMALL, "--format", "json")
    assert code == 0, err
    return {r["activation"]: r for r in json.loads(out)["runs"]}


def test_the_classic_verdicts_at_depth_50(run_actcli):
    found = runs(run_actcli, "sigmoid", "relu", "--depth", "50", "--mode", "montecarlo")
    assert found["sigmoid"]["init"] == "xavier" and found["sigmoid"]["verdict"] == "vanishing"
    assert found["relu"]["init"] == "he" and found["relu"]["verdict"] == "stable"
    # relu with sigma_w^2 = 4: chi_1 = 4 * 1/2 = 2, a factor sqrt(2) per layer, 2^24.5 in all
    exploding = runs(run_actcli, "relu", "--sigma-w2", "4", "--depth", "50", "--mode", "montecarlo")
    assert exploding["relu"]["verdict"] == "exploding"
    assert math.log2(exploding["relu"]["total_factor"]) == pytest.approx(24.5, abs=2.5)
    assert found["relu"]["rank"] == 1 and found["sigmoid"]["rank"] == 2


def test_json_has_the_documented_shape(run_actcli):
    run_ = runs(run_actcli, "tanh", "--depth", "8")["tanh"]
    for key in ("activation", "params", "init", "sigma_w2", "sigma_b2", "depth", "width",
                "batch", "seeds", "dtype", "total_factor", "per_layer_factor", "verdict",
                "layers", "meanfield", "chain"):  # fmt: skip
        assert key in run_, key
    assert [row["layer"] for row in run_["layers"]] == list(range(1, 9))
    for key in ("q_star", "chi_1", "per_layer_factor", "depth_scale", "predicted_total_factor"):
        assert key in run_["meanfield"], key
    assert run_["per_layer_factor"] == pytest.approx(run_["total_factor"] ** (1 / 7))


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["sigmoid", "--fail-on", "vanishing"], 1),
        (["sigmoid", "--fail-on", "exploding"], 0),
        (["relu", "--fail-on", "vanishing,exploding"], 0),
        (["relu", "--sigma-w2", "4", "--fail-on", "vanishing,exploding"], 1),
    ],
)
def test_fail_on_exit_codes(run_actcli, argv, code):
    status, _, _ = run_actcli("simulate-depth", *argv, "--depth", "50", *SMALL, "--mode",
                       "montecarlo", "--format", "csv")  # fmt: skip
    assert status == code


def test_csv_summary_and_per_layer_rows(run_actcli):
    code, out, _ = run_actcli("simulate-depth", "relu", "tanh", "--depth", "6", *SMALL,
                       "--format", "csv")  # fmt: skip
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["activation"] for r in rows] and {r["activation"] for r in rows} == {"relu", "tanh"}
    assert {"total_factor", "verdict", "sigma_w2"} <= set(rows[0])
    code, out, _ = run_actcli("simulate-depth", "relu", "tanh", "--depth", "6", *SMALL,
                       "--format", "csv", "--layers")  # fmt: skip
    layers = list(csv.DictReader(io.StringIO(out)))
    assert len(layers) == 12 and {"layer", "log10_factor_mean", "dead_fraction"} <= set(layers[0])
    # relu at he init: about half the units have phi'(z) = 0 in every layer
    assert all(0.4 < float(r["dead_fraction"]) < 0.6 for r in layers if r["activation"] == "relu")


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
@pytest.mark.parametrize("layers", [[], ["--layers"]])
def test_delimited_output_keeps_the_notes_on_stderr(run_actcli, fmt, layers):
    """relu at sigma_w^2 = 50: q grows 25-fold a layer, so the std of z at layer l is
    sqrt(50 * 25^(l-1)) = sqrt(2) 5^l; float32 (max 3.4e38) overflows once a few std of that
    pass it: 5^l ~ 1e38, l ~ 54 (38 / log10 5 = 54.4). The rows say nan; the note says why.
    CSV and TSV dropped every note."""
    argv = ["relu", "--sigma-w2", "50", "--depth", "60", "--mode", "montecarlo", *SMALL]
    code, out, err = run_actcli("simulate-depth", *argv, "--format", fmt, *layers)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out), delimiter="," if fmt == "csv" else "\t"))
    assert rows and all(set(row) == set(rows[0]) for row in rows)  # stdout stays pure data
    notes = [line for line in err.splitlines() if line.startswith("actcli: note: relu: ")]
    overflow = [line for line in notes if "overflow first at layer" in line]
    assert len(overflow) == 1 and "(forward pass)" in overflow[0]
    assert 50 <= int(overflow[0].split("layer ")[1].split()[0]) <= 56


def test_table_names_the_verdict_and_the_figure_is_written(run_actcli, tmp_path):
    code, out, _ = run_actcli("simulate-depth", "sigmoid", "--depth", "20", *SMALL,
                       "--plot", "depth.svg", "--format", "table")  # fmt: skip
    assert code == 0 and "vanishing" in out
    assert (tmp_path / "depth.svg").read_text().lstrip().startswith("<?xml")


def test_critical_tanh_runs_at_sigma_w2_one(run_actcli):
    found = runs(run_actcli, "tanh", "--critical", "--mode", "meanfield", "--depth", "10")
    assert found["tanh"]["sigma_w2"] == pytest.approx(1.0, abs=1e-8)  # tanh'(0)^2 sigma_w^2 = 1


def elu_edge_of_chaos(sigma_b2: str) -> tuple[float, float]:
    """(sigma_w2, q*) with chi_1 = 1 for ELU (alpha = 1), from closed forms: with
    E[exp(a z); z < 0] = exp(a^2/2) Phi(-a) and s = sqrt(q),
    E[elu(s z)^2] = q/2 + exp(2q) Phi(-2s) - 2 exp(q/2) Phi(-s) + 1/2 and
    E[elu'(s z)^2] = 1/2 + exp(2q) Phi(-2s); mpmath.findroot solves q = sigma_w2 E[elu^2] +
    sigma_b2 and sigma_w2 E[elu'^2] = 1 together."""
    with mp.workdps(30):
        bias = mp.mpf(sigma_b2)

        def tail(q):
            return mp.exp(2 * q) * mp.ncdf(-2 * mp.sqrt(q))

        def equations(sigma_w2, q):
            second = q / 2 + tail(q) - 2 * mp.exp(q / 2) * mp.ncdf(-mp.sqrt(q)) + mp.mpf(1) / 2
            return [sigma_w2 * second + bias - q, sigma_w2 * (mp.mpf(1) / 2 + tail(q)) - 1]

        sigma_w2, q = mp.findroot(equations, (mp.mpf("1.5"), mp.mpf(1)))
        return float(sigma_w2), float(q)


@pytest.mark.slow  # ~4.5 s: the edge of chaos located and verified
def test_critical_elu_reports_the_verified_edge_of_chaos(run_actcli):
    expected, q_star = elu_edge_of_chaos("0.05")
    argv = ("elu", "--critical", "--sigma-b2", "0.05", "--mode", "meanfield", "--depth", "10")
    run = runs(run_actcli, *argv)["elu"]
    assert run["init"] == "critical"
    assert run["sigma_w2"] == run["critical_sigma_w2"] == pytest.approx(expected, abs=1e-8)
    assert run["meanfield"]["q_star"] == pytest.approx(q_star, rel=1e-8)
    # the run's own mean field, recomputed at that sigma_w2, is what the note promises
    assert abs(run["meanfield"]["chi_1"] - 1) <= 1e-9
    critical = run["critical"]
    assert critical["status"] == "found" and critical["chi_1"] == run["meanfield"]["chi_1"]
    assert critical["residual"] <= critical["tolerance"] == 1e-9
    assert f"|chi_1 - 1| = {critical['residual']:.1g}" in run["critical_note"]


@pytest.mark.parametrize("name", ["gelu", "silu", "mish"])
def test_critical_without_an_edge_of_chaos_is_refused(run_actcli, name):
    """No sigma_w2 has chi_1 = 1 on a stable fixed point (tests/test_critical.py shows it with
    mpmath): exit 2, one line that says so, and no run at some other sigma_w2."""
    code, out, err = run_actcli("simulate-depth", name, "--critical", "--sigma-b2", "0.05",
                                "--mode", "meanfield", "--format", "json")  # fmt: skip
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(f"actcli: error: --critical: {name}: ")
    assert "no edge of chaos for sigma_b^2 = 0.05: " in err and "chi_1 reaches at most 0.9" in err


def test_expressions_and_spec_files(run_actcli):
    found = runs(run_actcli, "--expr", "x*sigmoid(x)", "--depth", "6", "--mode", "meanfield")
    assert list(found) == ["expr"] and found["expr"]["meanfield"]["chi_1"] > 0
    spec = str(ROOT / "examples" / "penalized_tanh.yaml")
    found = runs(run_actcli, spec, "--depth", "6", "--mode", "meanfield")
    assert len(found) == 1


def test_memory_estimate_refuses_before_running(run_actcli):
    code, out, err = run_actcli("simulate-depth", "relu", "--depth", "1000", "--width", "1024",
                         "--max-memory", "1M")  # fmt: skip
    assert code == 3 and out == ""
    assert len(err.splitlines()) == 1 and "--max-memory" in err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["relu", "--mode", "quantum"], "--mode"),
        (["relu", "--init", "magic"], "--init"),
        (["relu", "--dtype", "float16"], "--dtype"),
        (["relu", "--fail-on", "sometimes"], "--fail-on"),
        (["relu", "--max-memory", "lots"], "--max-memory"),
        (["relu", "--plot", "depth.jpg"], ".png, .svg or .pdf"),
        (["relu", "--depth", "0"], "--depth"),
        ([], "activation"),
    ],
)
def test_bad_options_are_one_line_errors(run_actcli, tmp_path, argv, needle):
    code, out, err = run_actcli("simulate-depth", *argv)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("actcli: error: ") and needle in err, err
    assert os.listdir(tmp_path) == []


def test_progress_bar_only_on_a_terminal():
    from actcli import render

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, log = Terminal(), io.StringIO()
    with render.progress("simulating", err=terminal) as update:
        update(3, 10)
    with render.progress("simulating", err=log) as none:
        assert none is None
    assert "simulating" in terminal.getvalue() and log.getvalue() == ""


@pytest.mark.slow
def test_a_map_too_rough_for_root_finding_is_not_a_crash(run_actcli):
    """sin(1/x) oscillates without limit at 0: the Gaussian expectations of its mean/variance map
    are noisy, Brent's method gives up (100 iterations), and the run reports the fixed point
    as not converged instead of an internal error (exit 70)."""
    code, out, err = run_actcli(
        "simulate-depth", "--expr", "sin(1/x)", "--depth", "20", "--format", "json"
    )
    assert code == 0, err
    (run,) = json.loads(out)["runs"]
    assert run["activation"] == "expr"


def test_a_grid_table_title_names_the_l_and_n_columns(run_actcli):
    code, out, err = run_actcli(
        "simulate-depth", "relu", "--depth", "3,4", *SMALL, "--format", "table"
    )
    assert code == 0, err
    title = " ".join(out.split("┏")[0].split())
    assert "over L layers of width N (batch" in title
    assert title.count("(") == title.count(")")
