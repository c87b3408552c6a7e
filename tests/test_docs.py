"""The README and CI stay in step with the code: the test command, the commands, the examples."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from actcli.cli import app, main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
COMMANDS = sorted(command.name for command in app.registered_commands)
BUILTINS = {
    "identity", "binary_step", "sigmoid", "hard_sigmoid", "tanh", "hardtanh", "softsign",
    "relu", "relu6", "leaky_relu", "prelu", "rrelu", "threshold", "elu", "celu", "selu",
    "gelu", "gelu_tanh", "silu", "mish", "softplus", "logsigmoid", "tanhshrink", "softshrink",
    "hardshrink", "hardswish", "softmax", "log_softmax", "softmin", "maxout",
}  # fmt: skip


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second():
    run_command, test_command = bash_blocks(README)[:2]
    assert run_command.startswith("pip install . &&")
    assert "pytest" in test_command and '".[test]"' in test_command
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines, "`.ci/run` must run exactly the README's test command"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example_and_is_documented(command, capsys):
    assert main([command, "--help"]) == 0
    assert re.search(r"Examples?:\s*\n.*actcli", capsys.readouterr().out)
    assert f"actcli {command}" in README


def help_examples(command: str, capsys, monkeypatch) -> list[str]:
    """The example lines at the end of `actcli COMMAND --help` (a wide terminal: no wrapping)."""
    monkeypatch.setenv("COLUMNS", "1000")
    monkeypatch.setenv("TERMINAL_WIDTH", "1000")
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    label = re.search(r"^\s*Examples?:\s*$", out, flags=re.M)
    assert label, f"actcli {command} --help has no Example: paragraph"
    lines = [line.strip(" │") for line in out[label.end() :].splitlines()]
    return [line for line in lines if line]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.slow
def test_every_help_example_runs(command, capsys, monkeypatch, tmp_path):
    """Each example at the end of a command's help runs as shown (exit 0), from a temporary
    folder (its -o files land there) holding a copy of examples/."""
    examples = help_examples(command, capsys, monkeypatch)
    assert examples and all("actcli" in example for example in examples), examples
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "actcli"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -m actcli "$@"\n')
    wrapper.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", NO_COLOR="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for example in examples:
        done = subprocess.run(
            ["bash", "-c", example], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, f"{example}: exit {done.returncode}: {done.stderr}"


def test_help_command_is_the_help_option(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["table", "--help"]) == 0
    option = capsys.readouterr().out
    assert main(["help", "table"]) == 0
    assert capsys.readouterr().out == option
    assert main(["--help"]) == 0
    overview = capsys.readouterr().out
    assert main(["help"]) == 0
    assert capsys.readouterr().out == overview
    assert main(["help", "nope"]) == 2


def test_installed_entry_point_finds_every_builtin_from_another_directory(tmp_path):
    """The console script next to this interpreter, run outside the source tree: with a plain
    `pip install .` (as .ci/run does) this reads the specs shipped inside the wheel."""
    script = Path(sys.executable).parent / "actcli"
    completed = subprocess.run(
        [str(script), "list", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
        check=True,
    )
    names = {entry["name"] for entry in json.loads(completed.stdout)["activations"]}
    assert names == BUILTINS


@pytest.mark.slow
def test_readme_figures_exist_and_are_made_by_the_command_shown(tmp_path):
    """Each image in the README is a committed PNG, and re-running the `actcli plot`,
    `simulate-depth --plot` or `phase --plot` command shown with it makes a PNG of the same
    size (within 2%: text metrics differ a little across matplotlib versions, so pixels are not
    compared)."""
    images = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", README)
    assert images, "the README shows no figure"
    for image in images:
        committed = (ROOT / image).read_bytes()
        assert committed.startswith(b"\x89PNG\r\n\x1a\n"), image
        command = re.search(
            rf"\$ actcli ((?:plot [^\n]*-o|(?:simulate-depth|phase) [^\n]*--plot) "
            rf"{re.escape(image)})",
            README,
        )
        assert command, f"no `actcli plot ... -o {image}` or `--plot {image}` in the README"
        again = tmp_path / "again.png"
        assert main(command.group(1).replace(image, str(again)).split()) == 0
        sizes = zip(_png_size(committed), _png_size(again.read_bytes()), strict=True)
        for committed_side, new_side in sizes:
            assert abs(new_side - committed_side) <= 0.02 * committed_side, image


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (bytes 16-24)."""
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
