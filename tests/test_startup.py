"""Fast paths stay light: `--help`, `--version` and `list` must not import the heavy libraries,
a cached `eval` imports NumPy (and SciPy's special functions for erf) but no SymPy or mpmath,
and `actcli.evaluate` keeps compiled plans in memory without ever serving a stale spec.

Each import check runs in a fresh interpreter, so that modules imported by other tests do not
count. None of these tests is timed (benchmarks/startup.py and evaluate_loop.py measure).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import actcli
from actcli import evaluation
from actcli.activation import bind
from actcli.registry import Registry

HEAVY = ("sympy", "scipy", "matplotlib")

PROBE = textwrap.dedent(
    """
    import io, json, sys
    from actcli.cli import main

    argv = json.loads(sys.argv[1])
    captured = io.StringIO()
    real_stdout, sys.stdout = sys.stdout, captured
    try:
        code = main(argv)
    finally:
        sys.stdout = real_stdout
    wanted = set(json.loads(sys.argv[2]))
    loaded = sorted(m for m in sys.modules if m in wanted or m.split(".")[0] in wanted)
    print(json.dumps({"code": code, "loaded": loaded, "out": captured.getvalue()}))
    """
)


def _probe(argv: list[str], heavy: tuple[str, ...] = HEAVY, env: dict | None = None) -> dict:
    import json

    env = dict(env or os.environ, NO_COLOR="1", COLUMNS="120")
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv), json.dumps(heavy)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--version"],
        ["list"],
        ["list", "--format", "json"],
        ["list", "--format", "csv"],
        ["list", "--tag", "relu-like"],
        ["eval", "--help"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_fast_paths_do_not_import_heavy_libraries(argv: list[str]) -> None:
    result = _probe(argv)
    assert result["code"] == 0
    assert result["out"].strip(), "the command printed nothing"
    assert result["loaded"] == [], f"actcli {' '.join(argv)} imported {result['loaded']}"


def test_import_actcli_is_light() -> None:
    code = (
        "import sys, actcli; "
        f"heavy = {{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}; "
        "assert not heavy, heavy; "
        "assert 'typer' not in sys.modules and 'rich' not in sys.modules"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_real_entry_point_help_is_light() -> None:
    """`python -m actcli --help` through runpy, as a user runs it."""
    code = (
        "import runpy, sys; sys.argv = ['actcli', '--help']\n"
        "try:\n"
        "    runpy.run_module('actcli', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        f"heavy = {{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}\n"
        "assert not heavy, heavy\n"
    )
    env = dict(os.environ, NO_COLOR="1", COLUMNS="120")
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "Usage" in proc.stdout


# The console script with its command wrapped to report, from inside the supervised child
# that runs it, the modules it loaded whose names start with argv[2]'s prefixes (the CLI is
# imported there, after the console script has set its environment).
CONSOLE_PROBE = textwrap.dedent(
    """
    import json, sys
    import actcli.__main__ as entry
    real_command = entry._command
    prefixes = tuple(json.loads(sys.argv[2]))
    def command(args):
        code = real_command(args)
        loaded = sorted(m for m in sys.modules if m.startswith(prefixes))
        print("LOADED", json.dumps(loaded), file=sys.stderr)
        return code
    entry._command = command
    sys.argv = ["actcli", *json.loads(sys.argv[1])]
    entry.run()
    """
)
RICH_HELP = ["typer.rich_utils", "markdown_it", "rich.markdown", "rich.traceback"]


def test_help_in_a_pipe_is_plain_text_without_the_rich_formatter() -> None:
    """Off a terminal `actcli --help` is click's plain text: typer's rich formatter (which loads
    rich.markdown and markdown_it, ~50 ms) is not imported, and no box drawing reaches a pipe."""
    import json

    env = {k: v for k, v in os.environ.items() if k != "TYPER_USE_RICH"}
    proc = subprocess.run(
        [sys.executable, "-c", CONSOLE_PROBE, json.dumps(["--help"]), json.dumps(RICH_HELP)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "LOADED []" in proc.stderr
    assert proc.stdout.startswith("Usage: actcli [OPTIONS] COMMAND [ARGS]...")
    assert "phase" in proc.stdout and not any(c in proc.stdout for c in "╭│╰─")


# Modules a cached evaluation must not load: SymPy and mpmath (compiling needs them, a cache
# hit does not), SciPy's optimizer, and what `from numpy import *` used to drag in.
NOT_ON_CACHED_EVAL = (
    "sympy",
    "mpmath",
    "flint",
    "scipy.optimize",
    "scipy.integrate",
    "numpy.testing",
    "numpy.f2py",
    "numpy.ma",
    "numpy.random",
)


@pytest.mark.parametrize(
    ("argv", "stdout"),
    [
        (["eval", "relu", "1"], "1.0"),
        (["eval", "relu", "--order", "1", "2"], "1.0"),
        (["eval", "elu", "--param", "alpha=2", "0"], "0.0"),
        (["eval", "sigmoid", "0"], "0.5"),
        (["eval", "gelu", "0"], "0.0"),  # erf: scipy.special (which loads numpy.testing ...)
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else "",
)
@pytest.mark.slow
def test_cached_eval_imports_no_sympy(argv: list[str], stdout: str, tmp_path: Path) -> None:
    env = dict(os.environ, ACTCLI_CACHE_DIR=str(tmp_path))
    first = _probe(argv, NOT_ON_CACHED_EVAL, env)  # compiles and fills the cache
    assert first["code"] == 0 and "sympy" in first["loaded"]
    second = _probe(argv, NOT_ON_CACHED_EVAL, env)
    assert second["code"] == 0
    assert second["out"].split() == [stdout]
    scipy_special_loads = {"numpy.testing", "numpy.f2py", "numpy.ma", "numpy.random"}
    loaded = set(second["loaded"]) - (scipy_special_loads if argv[1] == "gelu" else set())
    assert not loaded, f"a cached actcli {' '.join(argv)} imported {sorted(loaded)}"


@pytest.mark.parametrize(
    ("argv", "numpy"),
    [
        (["eval", "relu", "1"], False),
        (["eval", "hardswish", "--order", "1", "-1", "0.5", "--format", "json"], False),
        (["eval", "sigmoid", "0"], True),  # exp: not exactly rounded, NumPy's path
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else "",
)
@pytest.mark.slow
def test_cached_eval_of_numbers_imports_numpy_only_where_needed(
    argv: list[str], numpy: bool, tmp_path: Path
) -> None:
    """Numbers from the command line are evaluated without NumPy where a cached plan uses only
    exactly rounded operations (`actcli.scalars`), with the NumPy path's output."""
    env = dict(os.environ, ACTCLI_CACHE_DIR=str(tmp_path))
    first = _probe(argv, ("numpy",), env)  # compiles with NumPy and fills the cache
    second = _probe(argv, ("numpy",), env)
    assert second["code"] == first["code"] == 0
    assert second["out"] == first["out"]
    assert bool(second["loaded"]) == numpy


@pytest.mark.parametrize(
    "argv", [["list"], ["eval", "relu", "1"], ["eval", "sigmoid", "0"]], ids=" ".join
)
@pytest.mark.slow
def test_a_warm_registry_cache_reads_no_yaml(argv: list[str], tmp_path: Path) -> None:
    """PyYAML is imported where a spec file is read (the first run, filling the cache), not
    where the registry's cache answers."""
    env = dict(os.environ, ACTCLI_CACHE_DIR=str(tmp_path))
    first = _probe(argv, ("yaml",), env)
    second = _probe(argv, ("yaml",), env)
    assert first["loaded"] and not second["loaded"]
    assert second["out"] == first["out"] and second["code"] == 0


@pytest.mark.slow
def test_mean_field_run_needs_no_scipy_optimize() -> None:
    """A mean-field run whose fixed point needs no root finding (relu: q* by hand) leaves the
    optimizer unloaded; and every run leaves SciPy's integrator unloaded."""
    argv = ["simulate-depth", "relu", "--mode", "meanfield", "--depth", "10", "--format", "json"]
    result = _probe(argv, ("scipy.optimize", "scipy.integrate", "matplotlib"))
    assert result["code"] == 0
    assert result["loaded"] == []


# -- the in-memory cache of actcli.evaluate ---------------------------------------------------

X = np.array([-2.5, -1.0, -1e-300, 0.0, 0.5, 3.0, np.inf, -np.inf, np.nan])


def _elu_by_hand(x: float, alpha: float) -> float:
    return x if x > 0 else alpha * math.expm1(x)


@pytest.fixture
def fresh_memory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ACTCLI_CACHE_DIR", str(tmp_path / "cache"))
    evaluation.forget_compiled()


@pytest.mark.parametrize("name", ["relu", "elu", "gelu", "softplus", "mish", "hardswish"])
@pytest.mark.parametrize("order", [0, 1, 2])
def test_remembered_results_equal_fresh_compilation(name: str, order: int, fresh_memory) -> None:
    """Repeated calls (served from memory) give exactly what compiling afresh gives, by name
    and for a bound activation, kinks and nan included."""
    fresh = evaluation.evaluate(bind(Registry.default().get(name), {}), X, order)
    bound = actcli.load_activation(name)
    for _ in range(3):
        by_name = actcli.evaluate(name, X, order)
        by_activation = actcli.evaluate(bound, X, order)
        for result in (by_name, by_activation):
            np.testing.assert_array_equal(result.y, fresh.y)
            assert result.kinks == fresh.kinks


def test_changed_spec_file_is_not_served_stale(tmp_path: Path, fresh_memory) -> None:
    """A spec file rewritten between calls (same size, same second: only the text differs) is
    read again, by path and through load_activation."""
    path = tmp_path / "scaled.yaml"
    template = (
        "name: scaled\ntitle: a scaled ELU\nkind: scalar\n"
        "parameters:\n  alpha: {{default: {alpha}, domain: positive, doc: scale}}\n"
        'definition:\n  piecewise:\n    - {{when: "x > 0", value: "x"}}\n'
        '    - {{otherwise: "alpha*(exp(x) - 1)"}}\nreferences: [none]\n'
    )
    x = np.array([-1.0, 2.0])
    for alpha in ("1", "2", "3", "2"):
        path.write_text(template.format(alpha=alpha))
        expected = [_elu_by_hand(v, float(alpha)) for v in x]
        assert actcli.evaluate(str(path), x).y.tolist() == expected
        assert actcli.evaluate(actcli.load_activation(str(path)), x).y.tolist() == expected


def test_remembered_name_is_read_again_when_its_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_memory
) -> None:
    """With the two-second distrust of fresh files off, a name is resolved once while its file
    stays as it is, and again once the file changes."""
    from actcli import registry

    monkeypatch.setattr(registry, "RACY_NANOSECONDS", 0)
    monkeypatch.setenv("ACTCLI_SPEC_PATH", str(tmp_path))
    loads = []
    real = registry.load_spec_argument
    monkeypatch.setattr(registry, "load_spec_argument", lambda arg: loads.append(arg) or real(arg))
    path = tmp_path / "twice.yaml"
    text = (
        "name: twice\ntitle: t\nkind: scalar\ndefinition: {{expression: '{}'}}\nreferences: [r]\n"
    )
    path.write_text(text.format("2*x"))
    assert [actcli.evaluate("twice", [3.0]).y[0] for _ in range(3)] == [6.0, 6.0, 6.0]
    assert loads == ["twice"]
    path.write_text(text.format("10*x"))
    assert actcli.evaluate("twice", [3.0]).y[0] == 30.0
    assert loads == ["twice", "twice"]


def test_parameters_and_orders_are_separate_entries(fresh_memory) -> None:
    x = np.array([-1.0])
    one = actcli.evaluate(actcli.load_activation("elu", params={"alpha": "1"}), x).y[0]
    two = actcli.evaluate(actcli.load_activation("elu", params={"alpha": "2"}), x).y[0]
    slope = actcli.evaluate(actcli.load_activation("elu", params={"alpha": "2"}), x, 1).y[0]
    assert (one, two, slope) == (math.expm1(-1.0), 2 * math.expm1(-1.0), 2 * math.exp(-1.0))


def test_memory_is_bounded(monkeypatch: pytest.MonkeyPatch, fresh_memory) -> None:
    monkeypatch.setattr(evaluation, "MEMORY_PLANS", 2)
    for name in ("relu", "elu", "tanh"):
        actcli.evaluate(name, [0.5])
    assert len(evaluation._memory) == 2
    assert actcli.evaluate("relu", [0.5]).y.tolist() == [0.5]  # dropped, compiled again


def test_list_json_defaults_without_fractions(tmp_path: Path) -> None:
    """`list --format json` from the registry cache prints each default's float without
    importing fractions: rrelu's 1/8 and 1/3 as the nearest doubles (0.125 exactly; 1/3 is
    0x1.5555555555555p-2)."""
    import json

    env = dict(os.environ, ACTCLI_CACHE_DIR=str(tmp_path))
    _probe(["list"], env=env)  # reads the spec files (parsing defaults exactly), fills the cache
    result = _probe(["list", "--format", "json"], ("fractions", "decimal"), env)
    assert result["code"] == 0 and result["loaded"] == []
    (rrelu,) = [a for a in json.loads(result["out"])["activations"] if a["name"] == "rrelu"]
    defaults = {p["name"]: (p["default"], p["default_exact"]) for p in rrelu["parameters"]}
    third = float.fromhex("0x1.5555555555555p-2")
    assert defaults == {"lower": (0.125, "1/8"), "upper": (third, "1/3")}


@pytest.mark.parametrize(
    ("argv", "threads"),
    [
        (["eval", "sigmoid", "0"], "1"),  # no matrix products: one BLAS thread, none started
        (["simulate-depth", "relu", "--depth", "3", "--width", "8", "--batch", "4"], None),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else str(value),
)
@pytest.mark.slow
def test_only_simulate_depth_starts_blas_threads(argv: list[str], threads: str | None) -> None:
    """The console script sets OPENBLAS_NUM_THREADS=1 (unless the user set it) for every
    command but simulate-depth, before NumPy is imported: read back in the command."""
    probe = textwrap.dedent(
        """
        import json, os, sys
        from actcli import cli
        real_main = cli.main
        def main(args):
            code = real_main(args)
            print(json.dumps(os.environ.get("OPENBLAS_NUM_THREADS")), file=sys.stderr)
            return code
        cli.main = main
        sys.argv = ["actcli", *json.loads(sys.argv[1])]
        from actcli.__main__ import run
        run()
        """
    )
    import json

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    proc = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(argv)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == threads
    chosen = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(argv)],
        capture_output=True,
        text=True,
        env={**env, "OPENBLAS_NUM_THREADS": "2"},
        timeout=120,
    )
    assert json.loads(chosen.stderr.strip().splitlines()[-1]) == "2"  # the user's choice
