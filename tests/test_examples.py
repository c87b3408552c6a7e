"""Every file in examples/ runs: the shell pipeline, the Python API script, the custom spec."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from actcli.api import evaluate, load_activation

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BIN = str(Path(sys.executable).parent)


def run(command: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    env.pop("ACTCLI_SPEC_PATH", None)
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)


@pytest.mark.slow
def test_pipeline_script_runs(tmp_path):
    completed = run(["bash", str(EXAMPLES / "pipeline.sh")], tmp_path)
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    # softplus(1000) = 1000 exactly in float64; sigmoid(1) = 1/(1 + e^-1)
    assert "1000.0,1000.0" in lines
    assert repr(1 / (1 + math.exp(-1.0))) in lines
    assert lines[-1].startswith("exit 2 : actcli: error: unknown activation")


@pytest.mark.slow
def test_python_api_example_runs(tmp_path):
    completed = run([sys.executable, str(EXAMPLES / "python_api.py")], tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "swish_1.5(2) =" in completed.stdout
    for line in ("elu' = alpha*exp(x) for x < 0", "elu(alpha=2) is C0", "tanh: increasing Cinf"):
        assert line in completed.stdout.splitlines()
    assert "sigmoid (xavier init): vanishing" in completed.stdout


def test_example_spec_matches_its_paper_definition():
    """Penalized tanh (Xu et al. 2016): tanh(x) for x > 0, a*tanh(x) otherwise."""
    activation = load_activation(str(EXAMPLES / "penalized_tanh.yaml"), params={"a": "0.5"})
    x = np.array([-2.0, -0.3, 0.0, 0.7, 3.0])
    expected = np.where(x > 0, np.tanh(x), 0.5 * np.tanh(x))
    np.testing.assert_allclose(evaluate(activation, x).y, expected, rtol=1e-15)


@pytest.mark.slow
def test_hardware_script_builds_a_table_within_its_certified_error(tmp_path, compiler):
    completed = subprocess.run(
        ["bash", str(EXAMPLES / "hardware.sh")],
        cwd=tmp_path,
        env={**os.environ, "CC": compiler, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    # the C program measured |table - 1/(1 + exp(-x))| at 10^6 points with libm: within 1e-4
    worst = float(lines[0].split("worst error ")[1].split()[0])
    assert 0 < worst <= 1e-4
    assert lines[1].startswith("tanh.mem: 256 words, first ")
    # first word: tanh(-4) * 2^14 = -16373.01 rounds to -16373, 16 bits two's complement
    expected = (round(math.tanh(-4.0) * 2**14) + (1 << 16)) % (1 << 16)
    assert lines[1].endswith(f"{expected:04x}")
    assert lines[-1].startswith("relu,") and lines[-1].endswith(",stable")
