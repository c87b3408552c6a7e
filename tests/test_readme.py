"""Every ```console block of the README runs and prints what the README shows.

In a block, a line starting with `$ ` is a command (run by bash, `actcli` being this checkout's
`python -m actcli`); the lines after it, up to the next command, are its expected output: stdout,
then stderr. A line that is `...` stands for any number of lines, a line ending in `...` for any
line starting with what comes before. A command exits 0 unless its comment says `# exit N`.

Each block runs in its own empty temporary folder holding a copy of `examples/`, an empty
`docs/figures/` (so the figure commands write there, not into the checkout) and the files the
README's prose describes without creating them (`FIXTURES`). Output goes to pipes, so stdout is
not a terminal; `NO_COLOR=1`, `COLUMNS=140` (the README's tables were made that wide), no
time limit. Trailing spaces and blank lines at the end of the output are not compared.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every README console block run as a command

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()

FIXTURES = {
    # "definition and stable form both `exp(x) - 1`", as the README's comment on the command says
    "expm1_naive.yaml": """\
name: shifted_exp
title: exp(x) - 1 written naively
kind: scalar
definition:
  expression: "exp(x) - 1"
stable:
  expression: "exp(x) - 1"
references:
  - "the README's accuracy example"
""",
}


def console_blocks(text: str) -> list[tuple[int, list[tuple[str, list[str]]]]]:
    """(line number, [(command, expected lines)]) for each ```console block, indented or not."""
    blocks = []
    for match in re.finditer(r"^( *)```console\n(.*?)^\1```$", text, flags=re.M | re.S):
        indent = len(match.group(1))
        line = text.count("\n", 0, match.start()) + 1
        commands: list[tuple[str, list[str]]] = []
        for raw in match.group(2).splitlines():
            body = raw[indent:]
            if body.startswith("$ "):
                commands.append((body[2:], []))
            else:
                assert commands, f"README line {line}: output before the first `$ ` command"
                commands[-1][1].append(body)
        blocks.append((line, commands))
    return blocks


def matches(expected: list[str], actual: str) -> bool:
    """`actual` is `expected` line for line, with `...` elisions."""
    pattern = ""
    for line in expected:
        if line.strip() == "...":
            pattern += r"(?:[^\n]*\n)*?"
        elif line.endswith("..."):
            pattern += re.escape(line[:-3]) + r"[^\n]*\n"
        else:
            pattern += re.escape(line) + r"\n"
    lines = [line.rstrip() for line in actual.rstrip().splitlines()]
    return re.fullmatch(pattern, "".join(f"{line}\n" for line in lines)) is not None


BLOCKS = console_blocks(README)


def test_the_readme_has_console_blocks():
    assert len(BLOCKS) >= 10
    assert matches(["a", "...", "d..."], "a\nb\nc\ndone\n")
    assert matches(["a", "...", "b"], "a\nb\n")
    assert not matches(["a", "b"], "a\nb\nc\n")


@pytest.mark.parametrize(
    ("line", "commands"), BLOCKS, ids=[f"README-line-{line}" for line, _ in BLOCKS]
)
def test_console_block_prints_what_the_readme_shows(line, commands, tmp_path):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "docs" / "figures").mkdir(parents=True)
    for name, content in FIXTURES.items():
        (tmp_path / name).write_text(content)
    shim = tmp_path / ".bin" / "actcli"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m actcli "$@"\n')
    shim.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{shim.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "NO_COLOR": "1",
        "COLUMNS": "140",
        "ACTCLI_TIMEOUT": "0",  # simulate-depth takes 30 s, more on a loaded machine
    }
    env.pop("ACTCLI_SPEC_PATH", None)
    before = _tree()
    for command, expected in commands:
        completed = subprocess.run(
            ["bash", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        code = re.search(r"# exit (\d+)", command)
        assert completed.returncode == (int(code.group(1)) if code else 0), (
            f"README line {line}: `{command}` exited {completed.returncode}\n{completed.stderr}"
        )
        actual = completed.stdout + completed.stderr
        assert matches(expected, actual), (
            f"README line {line}: `{command}` printed\n{actual}\nbut the README shows\n"
            + "\n".join(expected)
        )
    assert _tree() == before, "the block wrote into the checkout"


def _tree() -> set[Path]:
    # caches other tests write meanwhile (hypothesis keeps its examples in .hypothesis)
    skip = {".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis"}
    return {p for p in ROOT.rglob("*") if not skip & set(p.relative_to(ROOT).parts)}
