"""Shared set-up: tests/ on sys.path, so tests can import `reference` (mpmath references);
the C compiler fixture and `compile_c` for tests of generated C (codegen, lookup tables);
`run_actcli` for command-line tests that write files (run in an empty temporary folder)."""

import shutil
import signal
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# A run started with SIGINT ignored (`pytest ... &` from a script: a non-interactive shell
# ignores it for background jobs) passes that on to every command the tests start, and the
# Ctrl-C tests then see a command ignore Ctrl-C, as it should in that case. Python's own
# handler here becomes the default again in each command (exec resets handlers).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Compiled-function cache in a temporary folder, never the user's ~/.cache."""
    monkeypatch.setenv("ACTCLI_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture
def run_actcli(capsys, monkeypatch, tmp_path):
    """`run_actcli(*argv)` -> (exit code, stdout, stderr) of `actcli.cli.main`, run in an empty
    temporary folder (the test's tmp_path) with NO_COLOR and a wide terminal."""
    from actcli.cli import main

    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.chdir(tmp_path)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


C_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2"]


@pytest.fixture(scope="session")
def compiler() -> str:
    found = shutil.which("cc") or shutil.which("gcc")
    if found is None:
        pytest.fail(
            "no C compiler: neither `cc` nor `gcc` is on PATH; the generated C code cannot be "
            "checked (install gcc or clang)"
        )
    return found


def compile_c(compiler: str, directory: Path, source: str) -> Path:
    (directory / "main.c").write_text(source)
    program = directory / "main"
    command = [compiler, *C_FLAGS, "-I", str(directory), str(directory / "main.c")]
    result = subprocess.run(
        [*command, "-o", str(program), "-lm"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stderr}"
    return program


@pytest.fixture
def plain_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No colour, 120 columns, no user specs, in the test's empty temporary folder."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("ACTCLI_SPEC_PATH", raising=False)
    monkeypatch.chdir(tmp_path)
