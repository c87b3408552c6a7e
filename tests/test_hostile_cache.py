"""A hostile or broken cache is never run and never an error (issue 12): cached numeric source
outside the code generator's syntax is ignored and recompiled, edited registry entries are
ignored, malformed entries (bad JSON, wrong types, links to devices, FIFOs, huge files) are
treated as absent without hanging, and a cache directory others can write is not used."""

from __future__ import annotations

import json
import math
import os
import stat
import time
from pathlib import Path

import numpy as np
import pytest

from actcli import cache
from actcli.evaluation import evaluate_spec
from actcli.generated import is_generated_source
from actcli.registry import Registry

X = np.array([-2.0, 0.5, 3.0])


def sigmoid_by_hand(x: np.ndarray) -> np.ndarray:
    return np.array([1 / (1 + math.exp(-v)) for v in x])


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("ACTCLI_CACHE_DIR", str(directory))
    monkeypatch.setattr(cache, "_noted", set())
    return directory


def sigmoid_entry(cache_dir: Path) -> Path:
    """Evaluate sigmoid once (filling the cache) and return its numeric entry."""
    spec = Registry.default().get("sigmoid")
    np.testing.assert_allclose(evaluate_spec(spec, {}, X).y, sigmoid_by_hand(X), rtol=1e-15)
    (entry,) = cache_dir.glob("numeric-*.json")
    return entry


def sigmoid_now() -> np.ndarray:
    return evaluate_spec(Registry.default().get("sigmoid"), {}, X).y


def test_generated_source_of_every_builtin_passes_the_whitelist(cache_dir: Path) -> None:
    from actcli.activation import bind

    for spec in Registry.default():
        if spec.kind == "vector":
            continue
        activation = bind(spec, {})
        for order in range(4):
            assert is_generated_source(activation.numeric_code(order)), (spec.name, order)


HEAD = "def _lambdifygenerated(x):\n    return "
HOSTILE_SOURCES = {
    "prepended import": "import os; open({marker!r}, 'w')\n{original}",
    "call in the body": HEAD + "open({marker!r}, 'w') or x",
    "dunder import": HEAD + "__import__('os').system('touch {marker}')",
    "attribute escape": HEAD + "exp.__globals__['open']({marker!r}, 'w')",
    "default argument": "def _lambdifygenerated(x, y=open({marker!r}, 'w')):\n    return x",
    "decorator": "@open({marker!r}, 'w').write\ndef _lambdifygenerated(x):\n    return x",
    "numpy file function": HEAD + "save({marker!r}, x)",
    "lambda": HEAD + "(lambda: open({marker!r}, 'w'))()",
    "second statement": "def _lambdifygenerated(x):\n    y = open({marker!r}, 'w')\n    return x",
    "integer bomb (would hang)": HEAD + "x + 9**9**9",
    "list bomb": HEAD + "select([True]*10**10, [x])",
    "float overflow": HEAD + "x + 10.0**400",
    "wrong arity (raises when run)": HEAD + "select(x)",
    "not a string": None,
}


@pytest.mark.parametrize("kind", list(HOSTILE_SOURCES))
def test_hostile_numeric_source_is_not_run(kind: str, cache_dir: Path, tmp_path: Path) -> None:
    entry = sigmoid_entry(cache_dir)
    marker = tmp_path / "pwned"
    data = json.loads(entry.read_text())
    template = HOSTILE_SOURCES[kind]
    data["source"] = (
        12345 if template is None else template.format(marker=str(marker), original=data["source"])
    )
    entry.write_text(json.dumps(data))
    started = time.monotonic()
    np.testing.assert_allclose(sigmoid_now(), sigmoid_by_hand(X), rtol=1e-15)
    assert time.monotonic() - started < 30
    assert not marker.exists()
    assert is_generated_source(json.loads(entry.read_text())["source"])  # rewritten clean


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(kinks=[["0", 0, [], [], "nan", "both"]]),
        lambda d: d.update(kinks=[[0.0, "0", [0.0], [1.0], 0.0, "sideways"]]),
        lambda d: d.update(params={"alpha": "1; import os"}),
        lambda d: d.update(extra=1),
        lambda d: d.pop("source"),
        lambda d: d.update(name=["sigmoid"]),
    ],
)
def test_numeric_entry_with_wrong_types_is_ignored(edit, cache_dir: Path) -> None:
    entry = sigmoid_entry(cache_dir)
    data = json.loads(entry.read_text())
    edit(data)
    entry.write_text(json.dumps(data))
    np.testing.assert_allclose(sigmoid_now(), sigmoid_by_hand(X), rtol=1e-15)


def replace_with(entry: Path, kind: str, tmp_path: Path) -> None:
    entry.unlink()
    if kind == "bad json":
        entry.write_text('{"name": ')
    elif kind == "json list":
        entry.write_text("[1, 2, 3]")
    elif kind == "deep nesting":
        entry.write_text("[" * 100_000 + "]" * 100_000)
    elif kind == "not utf-8":
        entry.write_bytes(b"\xff\xfe{}")
    elif kind == "symlink to /dev/zero":
        entry.symlink_to("/dev/zero")
    elif kind == "symlink to a good entry":
        good = tmp_path / "good.json"
        good.write_text("{}")
        entry.symlink_to(good)
    elif kind == "fifo":
        os.mkfifo(entry)
    elif kind == "huge (sparse) file":
        with open(entry, "wb") as handle:
            handle.truncate(cache.MAX_ENTRY_BYTES + 1)
    elif kind == "directory":
        entry.mkdir()


@pytest.mark.parametrize(
    "kind",
    [
        "bad json",
        "json list",
        "deep nesting",
        "not utf-8",
        "symlink to /dev/zero",
        "symlink to a good entry",
        "fifo",
        "huge (sparse) file",
        "directory",
    ],
)
def test_malformed_entry_is_ignored_fast(kind: str, cache_dir: Path, tmp_path: Path) -> None:
    entry = sigmoid_entry(cache_dir)
    replace_with(entry, kind, tmp_path)
    started = time.monotonic()
    assert cache.load(entry.stem) is None
    np.testing.assert_allclose(sigmoid_now(), sigmoid_by_hand(X), rtol=1e-15)
    assert time.monotonic() - started < 30


def test_malformed_entry_through_the_cli(cache_dir: Path, tmp_path: Path, run_actcli) -> None:
    entry = sigmoid_entry(cache_dir)
    replace_with(entry, "symlink to /dev/zero", tmp_path)
    code, out, err = run_actcli("eval", "sigmoid", "0.5")
    assert (code, err) == (0, "")
    assert float(out) == pytest.approx(1 / (1 + math.exp(-0.5)), rel=1e-15)


# -- the registry cache ------------------------------------------------------------------------


def registry_entry(cache_dir: Path) -> Path:
    Registry.default()
    (entry,) = cache_dir.glob("registry-*.json")
    return entry


def redefine_relu(entry: Path, text: str) -> None:
    data = json.loads(entry.read_text())
    for spec in data["specs"]:
        if spec["name"] == "relu":
            for piece in spec["definition"]["pieces"]["__tuple"]:
                piece["value"]["text"] = text
    entry.write_text(json.dumps(data))


def relu_definition() -> list[str]:
    return [p.value.text for p in Registry.default().get("relu").definition.pieces]


def test_registry_entry_redefining_relu_is_ignored(cache_dir: Path) -> None:
    original = relu_definition()
    entry = registry_entry(cache_dir)
    assert original != ["x**2"]
    redefine_relu(entry, "x**2")
    assert relu_definition() == original
    relu = [s for s in json.loads(entry.read_text())["specs"] if s["name"] == "relu"]
    texts = [p["value"]["text"] for p in relu[0]["definition"]["pieces"]["__tuple"]]
    assert texts == original  # the entry was rewritten from the files


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["specs"][0].update(name=["relu"]),
        lambda d: d["specs"][0].update(__type="Popen"),
        lambda d: d["specs"][0].update(builtin="yes"),
        lambda d: d["specs"][0]["definition"].update(pieces="x"),
        lambda d: d["specs"][0].update(unexpected=1),
        lambda d: d["specs"].pop(),
        lambda d: d["files"][0].__setitem__(2, "0" * 64),
        lambda d: d.update(specs={"__dict": []}),
    ],
)
def test_registry_entry_with_wrong_shape_is_ignored(edit, cache_dir: Path) -> None:
    fresh = list(Registry.default())
    entry = registry_entry(cache_dir)
    data = json.loads(entry.read_text())
    edit(data)
    entry.write_text(json.dumps(data))
    assert list(Registry.default()) == fresh


def test_spec_file_edited_without_changing_size_or_mtime(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry records each file's SHA-256: an edit that keeps size and mtime still counts."""
    user = tmp_path / "user"
    user.mkdir()
    spec = user / "mine.yaml"
    text = (Path(Registry.default().get("elu").source.path)).read_text()
    text = text.replace("name: elu", "name: aaaa", 1)
    spec.write_text(text)
    monkeypatch.setenv("ACTCLI_SPEC_PATH", str(user))
    assert "aaaa" in Registry.default()
    assert list(cache_dir.glob("registry-*.json"))
    before = os.stat(spec)
    spec.write_text(text.replace("name: aaaa", "name: bbbb", 1))
    os.utime(spec, ns=(before.st_atime_ns, before.st_mtime_ns))
    registry = Registry.default()
    assert "bbbb" in registry and "aaaa" not in registry


# -- the cache directory -------------------------------------------------------------------------


def test_created_directories_are_private_whatever_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "a" / "b" / "cache"
    monkeypatch.setenv("ACTCLI_CACHE_DIR", str(directory))
    old = os.umask(0)
    try:
        sigmoid_entry(directory)
    finally:
        os.umask(old)
    for created in (tmp_path / "a", tmp_path / "a" / "b", directory):
        assert stat.S_IMODE(os.stat(created).st_mode) == 0o700, created
    for entry in directory.iterdir():
        assert stat.S_IMODE(os.stat(entry).st_mode) & 0o077 == 0


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777])
def test_group_or_world_writable_directory_is_not_used(
    mode: int, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = sigmoid_entry(cache_dir)
    marker = cache_dir.parent / "pwned"
    data = json.loads(entry.read_text())
    data["source"] = "def _lambdifygenerated(x):\n    return 42 + 0*x"  # whitelisted but wrong
    entry.write_text(json.dumps(data))
    registry = registry_entry(cache_dir)
    redefine_relu(registry, "x")  # "x" occurs in relu.yaml: only the directory check stops it
    os.chmod(cache_dir, mode)
    capsys.readouterr()
    for _ in range(3):
        np.testing.assert_allclose(sigmoid_now(), sigmoid_by_hand(X), rtol=1e-15)
    assert relu_definition() != ["x"]
    err = capsys.readouterr().err
    assert err.count("actcli: note: cache dir") == 1, err  # one note per process
    assert "group/world-writable or not owned by you; not using it" in err
    assert not marker.exists()
    assert json.loads(entry.read_text())["source"].startswith(
        "def _lambdifygenerated(x):\n    return 42"
    )


def test_group_writable_directory_through_the_cli(cache_dir: Path, run_actcli) -> None:
    sigmoid_entry(cache_dir)
    os.chmod(cache_dir, 0o775)
    for _ in range(2):
        code, out, err = run_actcli("eval", "relu", "2")
        assert (code, out.split()) == (0, ["2.0"])
    assert err.count("actcli: note: cache dir") <= 1


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to give a directory to another user")
def test_directory_owned_by_another_user_is_not_used(
    cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = sigmoid_entry(cache_dir)
    data = json.loads(entry.read_text())
    data["source"] = "def _lambdifygenerated(x):\n    return 42 + 0*x"
    entry.write_text(json.dumps(data))
    os.chown(cache_dir, 12345, 12345)
    np.testing.assert_allclose(sigmoid_now(), sigmoid_by_hand(X), rtol=1e-15)
    assert "not owned by you" in capsys.readouterr().err


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to give a file to another user")
def test_entry_owned_by_another_user_is_ignored(cache_dir: Path) -> None:
    entry = sigmoid_entry(cache_dir)
    data = json.loads(entry.read_text())
    data["source"] = "def _lambdifygenerated(x):\n    return 42 + 0*x"
    entry.write_text(json.dumps(data))
    os.chown(entry, 12345, 12345)
    np.testing.assert_allclose(sigmoid_now(), sigmoid_by_hand(X), rtol=1e-15)
