"""`actcli plot` from the command line: files, formats, stdout, sweeps, variants, errors.

The figure's contents are tested in test_plot.py; here the command's contract: what is written
where, what JSON says, and one-line errors with exit code 2 that leave no file behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest


def test_png_with_three_panels_and_a_summary_on_stderr(run_actcli, tmp_path):
    code, out, err = run_actcli("plot", "relu", "gelu", "--order", "0,1,2", "-o", "f.png")
    assert code == 0 and out == ""
    assert (tmp_path / "f.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "wrote f.png: 3 panels" in err and "2 series" in err
    assert os.listdir(tmp_path) == ["f.png"]  # no temporary file left


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("f.svg", lambda data: ET.fromstring(data).tag.endswith("svg")),
        ("f.pdf", lambda data: data.startswith(b"%PDF-") and b"%%EOF" in data[-32:]),
    ],
)
def test_format_follows_the_extension(run_actcli, tmp_path, name, check):
    assert run_actcli("plot", "tanh", "-o", name)[0] == 0
    assert check((tmp_path / name).read_bytes())


def test_json_says_what_was_drawn(run_actcli):
    code, out, _ = run_actcli(
        "plot", "elu", "relu", "--sweep", "alpha=0.5,1,2", "--order", "0,1",
        "--range", "-3", "2", "-o", "elu.svg", "--format", "json",
    )  # fmt: skip
    assert code == 0
    drawn = json.loads(out)
    assert drawn["file"] == "elu.svg" and drawn["format"] == "svg"
    assert [p["order"] for p in drawn["panels"]] == [0, 1]
    labels = [s["label"] for s in drawn["series"]]
    assert labels == ["elu (alpha=0.5)", "elu (alpha=1)", "elu (alpha=2)", "relu"]
    assert drawn["x_range"] == [-3.0, 2.0]
    # f' of elu jumps at 0 by 1 - alpha: undefined there for alpha != 1; relu' undefined at 0
    undefined = {(u["series"], u["x"], u["order"]) for u in drawn["undefined"]}
    assert undefined == {("elu (alpha=0.5)", 0.0, 1), ("elu (alpha=2)", 0.0, 1), ("relu", 0.0, 1)}


def test_torch_softplus_jump_is_reported_at_twenty(run_actcli):
    code, out, _ = run_actcli(
        "plot", "softplus:torch", "--range", "19.999999", "20.000001",
        "-o", "jump.png", "--format", "json",
    )  # fmt: skip
    assert code == 0
    (jump,) = [d for d in json.loads(out)["discontinuities"] if d["order"] == 0]
    assert jump["x"] == 20.0
    # log1p(exp(20)) - 20 = log1p(exp(-20)) = 2.0611536e-9 (torch returns x only when x > 20)
    assert jump["left"] - jump["right"] == pytest.approx(2.0611536181902e-9, rel=1e-6)


@pytest.mark.slow
def test_png_to_a_pipe_with_dash():
    completed = subprocess.run(
        [sys.executable, "-m", "actcli", "plot", "sigmoid", "-o", "-"],
        capture_output=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["plot", "relu"], "-o FILE"),
        (["plot", "relu", "-o", "f.jpg"], ".png, .svg or .pdf"),
        (["plot", "relu", "-o", "f.png", "--range", "5", "-5"], "range"),
        (["plot", "relu", "-o", "f.png", "--range", "-1e308", "1e308"], "distance"),
        (["plot", "relu", "-o", "f.png", "--order", "0,x"], "--order"),
        (["plot", "relu", "-o", "f.png", "--style", "neon"], "--style"),
        (["plot", "relu", "-o", "f.png", "--sweep", "alpha=1,2"], "alpha"),
        (["plot", "relu", "-o", "f.png", "--sweep", "alpha"], "--sweep"),
        (["plot", "relu", "-o", "-", "--format", "json"], "--format json"),
        (["plot", "softplus:jax", "-o", "f.png"], "no such variant"),
        (["plot", "relu", "-o", "missing/f.png"], "missing"),
    ],
)
def test_bad_options_are_one_line_errors_and_write_nothing(run_actcli, tmp_path, argv, needle):
    code, out, err = run_actcli(*argv)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("actcli: error: ") and needle in err
    assert os.listdir(tmp_path) == []


def test_a_failed_run_keeps_an_existing_figure(run_actcli, tmp_path):
    (tmp_path / "f.png").write_bytes(b"previous figure")
    assert run_actcli("plot", "relu", "-o", "f.png", "--points", "1")[0] == 2
    assert (tmp_path / "f.png").read_bytes() == b"previous figure"


def test_param_values_are_named_in_the_labels(run_actcli):
    code, out, _ = run_actcli(
        "plot", "elu", "relu", "--param", "alpha=0.5", "-o", "f.png", "--format", "json"
    )
    assert code == 0
    assert [s["label"] for s in json.loads(out)["series"]] == ["elu (alpha=0.5)", "relu"]


@pytest.mark.parametrize(
    "sweep, needle", [("alpha=1,,2", "expected NAME=V1"), ("alpha=1,1", "given twice")]
)
def test_a_sweep_with_an_empty_or_repeated_value_is_refused(run_actcli, tmp_path, sweep, needle):
    """alpha=1,,2 dropped its empty value and alpha=1,1 drew one curve twice, silently."""
    code, _, err = run_actcli("plot", "elu", "--sweep", sweep, "-o", str(tmp_path / "p.png"))
    assert code == 2 and needle in err and not (tmp_path / "p.png").exists()
