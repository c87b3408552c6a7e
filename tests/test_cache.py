"""The compiled-function cache: a hit gives the same values without importing SymPy; a broken
or disabled cache is never an error."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np

from actcli import cache
from actcli.api import evaluate_spec
from actcli.registry import Registry


def run_eval(args, cache_dir, stdin="0.5 -2 0\n"):
    code = (
        "import sys; from actcli.cli import main; rc = main(sys.argv[1:]); "
        "print('SYMPY' if 'sympy' in sys.modules else 'NOSYMPY', file=sys.stderr); sys.exit(rc)"
    )
    env = {**os.environ, "ACTCLI_CACHE_DIR": str(cache_dir)}
    return subprocess.run(
        [sys.executable, "-c", code, "eval", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )


def test_second_run_uses_the_cache_and_skips_sympy(tmp_path):
    first = run_eval(["gelu", "--order", "1"], tmp_path)
    second = run_eval(["gelu", "--order", "1"], tmp_path)
    assert "SYMPY" in first.stderr.split()
    assert "NOSYMPY" in second.stderr.split()
    assert first.stdout == second.stdout
    # gelu'(x) = Phi(x) + x*phi(x), by hand at x = 0.5
    phi = math.exp(-0.125) / math.sqrt(2 * math.pi)
    expected = 0.5 * math.erfc(-0.5 / math.sqrt(2)) + 0.5 * phi
    assert math.isclose(float(second.stdout.split()[0]), expected, rel_tol=1e-15)


def test_kinks_survive_the_cache(tmp_path):
    run_eval(["relu", "--order", "1"], tmp_path)
    second = run_eval(["relu", "--order", "1", "--at-kink", "right"], tmp_path)
    assert second.stdout.split() == ["1.0", "0.0", "1.0"]
    assert "f' does not exist at x = 0.0" in second.stderr


def test_corrupt_entry_is_ignored_and_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTCLI_CACHE_DIR", str(tmp_path))
    spec = Registry.default().get("sigmoid")
    x = np.array([-1.0, 3.0])
    expected = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(evaluate_spec(spec, {}, x).y, expected, rtol=1e-15)
    (entry,) = tmp_path.glob("numeric-*.json")
    entry.write_text("{not json")
    np.testing.assert_allclose(evaluate_spec(spec, {}, x).y, expected, rtol=1e-15)
    assert json.loads(entry.read_text())["name"] == "sigmoid"


def test_parameters_are_part_of_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTCLI_CACHE_DIR", str(tmp_path))
    spec = Registry.default().get("elu")
    x = np.array([-1.0])
    one = evaluate_spec(spec, {"alpha": "1"}, x).y[0]
    two = evaluate_spec(spec, {"alpha": "2"}, x).y[0]
    assert (one, two) == (math.expm1(-1.0), 2 * math.expm1(-1.0))


def test_disabled_or_unwritable_cache_is_not_an_error(tmp_path, monkeypatch):
    spec = Registry.default().get("tanh")
    monkeypatch.setenv("ACTCLI_CACHE_DIR", "off")
    assert cache.cache_dir() is None
    assert evaluate_spec(spec, {}, np.array([0.5])).y[0] == math.tanh(0.5)
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("ACTCLI_CACHE_DIR", str(blocker / "sub"))
    assert evaluate_spec(spec, {}, np.array([0.5])).y[0] == math.tanh(0.5)


def test_registry_cache_round_trips_and_follows_file_changes(tmp_path, monkeypatch):
    """The cached registry equals a fresh read, and editing a spec file invalidates it."""
    import shutil
    import time

    monkeypatch.setenv("ACTCLI_CACHE_DIR", str(tmp_path / "cache"))
    user = tmp_path / "user"
    user.mkdir()
    source = Registry.default().get("elu").source.path
    shutil.copy(source, user / "mine.yaml")
    text = (user / "mine.yaml").read_text().replace("name: elu", "name: my_elu", 1)
    (user / "mine.yaml").write_text(text)
    monkeypatch.setenv("ACTCLI_SPEC_PATH", str(user))
    first = list(Registry.default())
    assert list((tmp_path / "cache").glob("registry-*.json"))
    assert list(Registry.default()) == first  # from the cache
    time.sleep(0.01)
    (user / "mine.yaml").write_text(text.replace("title: ", "title: Edited ", 1))
    titles = {spec.name: spec.title for spec in Registry.default()}
    assert titles["my_elu"].startswith("Edited ")
