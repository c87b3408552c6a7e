"""The registry: built-ins, lookup rules, ACTCLI_SPEC_PATH user specs, clashes, resolve_spec."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from actcli.errors import SpecError, SpecPathWarning, UnknownActivationError
from actcli.registry import (
    SPEC_PATH_VARIABLE,
    Registry,
    builtin_spec_dir,
    normalize,
    resolve_spec,
)
from actcli.spec_file import load_spec

HERE = Path(__file__).resolve().parent
GOOD_DIR = HERE / "data" / "good_specs"
BAD_DIR = HERE / "data" / "bad_specs"

BUILTINS = [
    "identity",
    "binary_step",
    "sigmoid",
    "hard_sigmoid",
    "tanh",
    "hardtanh",
    "softsign",
    "relu",
    "relu6",
    "leaky_relu",
    "prelu",
    "rrelu",
    "threshold",
    "elu",
    "celu",
    "selu",
    "gelu",
    "gelu_tanh",
    "silu",
    "mish",
    "softplus",
    "logsigmoid",
    "tanhshrink",
    "softshrink",
    "hardshrink",
    "hardswish",
    "softmax",
    "log_softmax",
    "softmin",
    "maxout",
]


def user_spec(name: str, *, aliases: tuple[str, ...] = (), kind: str = "scalar") -> str:
    expression = "x" if kind == "scalar" else "x[i]"
    return (
        f"name: {name}\n"
        f"title: User spec {name}\n"
        f"aliases: [{', '.join(aliases)}]\n"
        f"kind: {kind}\n"
        f"definition:\n"
        f'  expression: "{expression}"\n'
        f'references: ["Nobody (2024). A test fixture."]\n'
    )


@pytest.fixture(autouse=True)
def no_user_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SPEC_PATH_VARIABLE, raising=False)


@pytest.fixture(scope="module")
def registry() -> Registry:
    saved = os.environ.pop(SPEC_PATH_VARIABLE, None)
    try:
        return Registry.default()
    finally:
        if saved is not None:
            os.environ[SPEC_PATH_VARIABLE] = saved


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "user"
    directory.mkdir()
    for path in GOOD_DIR.glob("*.yaml"):
        shutil.copy(path, directory / path.name)
    return directory


def test_every_builtin_is_registered(registry: Registry) -> None:
    names = [spec.name for spec in registry]
    assert set(BUILTINS) <= set(names), sorted(set(BUILTINS) - set(names))
    assert len(names) == len(set(names)) == len(registry)
    assert len(registry) == len(list(builtin_spec_dir().glob("*.yaml")))
    assert all(spec.builtin for spec in registry)
    for name in BUILTINS:
        assert name in registry
        assert registry.get(name).name == name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Leaky-ReLU", "leaky_relu"),
        ("LEAKY_RELU", "leaky_relu"),
        ("leaky-relu", "leaky_relu"),
        (" relu ", "relu"),
        ("ReLU6", "relu6"),
        ("Log-Softmax", "log_softmax"),
        ("gelu-tanh", "gelu_tanh"),
        ("swish", "silu"),
        ("Swish", "silu"),
        ("logistic", "sigmoid"),
        ("linear", "identity"),
        ("step", "binary_step"),
        ("heaviside", "binary_step"),
        ("binary-step", "binary_step"),
    ],
)
def test_lookup_by_name_or_alias(registry: Registry, name: str, expected: str) -> None:
    assert name in registry
    assert registry.get(name).name == expected


def test_alias_gives_the_same_spec_object(registry: Registry) -> None:
    assert registry.get("swish") is registry.get("silu")


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [("gleu", "gelu"), ("sigmod", "sigmoid"), ("relu7", "relu6"), ("Soft-Max", "softmax")],
)
def test_unknown_name_suggests_close_ones(registry: Registry, name: str, suggestion: str) -> None:
    assert name not in registry  # "Soft-Max" normalises to soft_max, which is not softmax
    with pytest.raises(UnknownActivationError) as caught:
        registry.get(name)
    message = str(caught.value)
    assert f"unknown activation {name!r}" in message
    assert "did you mean" in message and suggestion in message
    assert isinstance(caught.value, LookupError)


def test_unknown_name_without_close_match(registry: Registry) -> None:
    assert "qqqqqqqq" not in registry
    with pytest.raises(UnknownActivationError, match="actcli list"):
        registry.get("qqqqqqqq")


def test_normalize() -> None:
    assert normalize(" Leaky-ReLU ") == "leaky_relu"
    assert normalize("log_softmax") == "log_softmax"


# -- ACTCLI_SPEC_PATH ---------------------------------------------------------------------------


def test_spec_path_adds_user_specs(
    registry: Registry, user_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SPEC_PATH_VARIABLE, str(user_dir))
    extended = Registry.default()
    assert len(extended) == len(registry) + 2
    clamp = extended.get("Scaled-Clamp")
    assert clamp.name == "scaled_clamp" and not clamp.builtin
    assert clamp.source.path == str(user_dir / "scaled_clamp.yaml")
    assert extended.get("sclamp") is clamp
    assert extended.get("softmax-t").name == "tempered_softmax"
    assert extended.get("relu").builtin


def test_spec_path_with_two_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    shutil.copy(GOOD_DIR / "scaled_clamp.yaml", first)
    shutil.copy(GOOD_DIR / "tempered_softmax.yaml", second)
    (second / "extra.yml").write_text(user_spec("extra"))
    (second / "notes.txt").write_text("not a spec")
    entries = ["", str(first), "  ", str(second)]  # empty entries are ignored
    monkeypatch.setenv(SPEC_PATH_VARIABLE, os.pathsep.join(entries))
    extended = Registry.default()
    for name in ("scaled_clamp", "tempered_softmax", "extra", "relu"):
        assert name in extended
    assert not extended.get("extra").builtin


def test_empty_spec_path_is_just_the_builtins(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SPEC_PATH_VARIABLE, "")
    assert len(Registry.default()) == len(registry)


@pytest.mark.parametrize(
    ("name", "aliases", "claimed", "builtin_file"),
    [
        ("relu", (), "relu", "relu.yaml"),
        ("my_gelu", ("gelu",), "gelu", "gelu.yaml"),
        ("my_silu", ("swish",), "swish", "silu.yaml"),
        ("logistic", (), "logistic", "sigmoid.yaml"),
    ],
)
def test_user_spec_clashing_with_a_builtin(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    aliases: tuple[str, ...],
    claimed: str,
    builtin_file: str,
) -> None:
    user_file = tmp_path / f"{name}.yaml"
    user_file.write_text(user_spec(name, aliases=aliases))
    monkeypatch.setenv(SPEC_PATH_VARIABLE, str(tmp_path))
    with pytest.raises(SpecError) as caught:
        Registry.default()
    message = str(caught.value)
    assert str(user_file) in message
    assert str(builtin_spec_dir() / builtin_file) in message
    assert repr(claimed) in message


def test_two_user_specs_clashing_across_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "mine.yaml").write_text(user_spec("mine"))
    (second / "mine.yaml").write_text(user_spec("mine"))
    monkeypatch.setenv(SPEC_PATH_VARIABLE, os.pathsep.join([str(first), str(second)]))
    with pytest.raises(SpecError) as caught:
        Registry.default()
    message = str(caught.value)
    assert str(first / "mine.yaml") in message
    assert str(second / "mine.yaml") in message


def test_two_user_specs_clashing_by_alias(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "one.yaml").write_text(user_spec("one", aliases=("shared",)))
    (tmp_path / "two.yaml").write_text(user_spec("two", aliases=("shared",)))
    monkeypatch.setenv(SPEC_PATH_VARIABLE, str(tmp_path))
    with pytest.raises(SpecError) as caught:
        Registry.default()
    message = str(caught.value)
    assert str(tmp_path / "one.yaml") in message
    assert str(tmp_path / "two.yaml") in message
    assert "'shared'" in message


def test_user_alias_clashing_with_another_user_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "alpha_act.yaml").write_text(user_spec("alpha_act", aliases=("beta_act",)))
    (tmp_path / "beta_act.yaml").write_text(user_spec("beta_act"))
    monkeypatch.setenv(SPEC_PATH_VARIABLE, str(tmp_path))
    with pytest.raises(SpecError) as caught:
        Registry.default()
    message = str(caught.value)
    assert str(tmp_path / "alpha_act.yaml") in message
    assert str(tmp_path / "beta_act.yaml") in message


def test_registry_constructor_refuses_clashes() -> None:
    spec = load_spec(GOOD_DIR / "scaled_clamp.yaml")
    with pytest.raises(SpecError):
        Registry([spec, load_spec(GOOD_DIR / "scaled_clamp.yaml")])
    assert len(Registry([spec])) == 1


def test_spec_path_entry_that_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = tmp_path / "scaled_clamp.yaml"
    shutil.copy(GOOD_DIR / "scaled_clamp.yaml", entry)
    monkeypatch.setenv(SPEC_PATH_VARIABLE, str(entry))
    with pytest.raises(SpecError) as caught:
        Registry.default()
    assert caught.value.problems == [f"{SPEC_PATH_VARIABLE}: {str(entry)!r}: not a directory"]


def test_spec_path_entry_that_does_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere"
    monkeypatch.setenv(SPEC_PATH_VARIABLE, os.pathsep.join([str(tmp_path), str(missing)]))
    with pytest.raises(SpecError, match="not a directory"):
        Registry.default()


def test_bad_user_spec_is_skipped_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One broken user file leaves the rest usable; naming it gives its problems."""
    shutil.copy(BAD_DIR / "bad_kind.yaml", tmp_path)
    shutil.copy(GOOD_DIR / "scaled_clamp.yaml", tmp_path)
    monkeypatch.setenv(SPEC_PATH_VARIABLE, str(tmp_path))
    problem = f"{tmp_path / 'bad_kind.yaml'}:4: kind: 'matrix' is not one of: scalar, vector"
    for _ in range(2):  # no cache entry hides it the second time
        with pytest.warns(SpecPathWarning) as caught:
            registry = Registry.default()
        assert [str(w.message) for w in caught] == [f"{problem}; skipped"]
        assert registry.get("relu").name == "relu"
        assert registry.get("scaled-clamp").name == "scaled_clamp"
        assert registry.skipped == {str(tmp_path / "bad_kind.yaml"): [problem]}
        with pytest.raises(SpecError) as named:
            registry.get("Bad-Kind")
        assert named.value.problems == [problem]
    with pytest.raises(UnknownActivationError):
        registry.get("bad_kinds")


def test_broken_builtin_is_still_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(builtin_spec_dir(), specs)
    shutil.copy(BAD_DIR / "bad_kind.yaml", specs)
    monkeypatch.setattr("actcli.registry.builtin_spec_dir", lambda: specs)
    with pytest.raises(SpecError, match="bad_kind.yaml:4"):
        Registry.default()


# -- resolve_spec -------------------------------------------------------------------------------


def test_resolve_spec_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = GOOD_DIR / "tempered_softmax.yaml"
    assert resolve_spec(str(path)).name == "tempered_softmax"
    monkeypatch.chdir(GOOD_DIR)
    assert resolve_spec("scaled_clamp.yaml").name == "scaled_clamp"  # relative, by suffix


def test_resolve_spec_name(registry: Registry) -> None:
    assert resolve_spec("Leaky-ReLU", registry).name == "leaky_relu"
    assert resolve_spec("swish").name == "silu"  # builds the default registry


@pytest.mark.parametrize("argument", ["missing.yaml", "missing.yml", f"nowhere{os.sep}relu"])
def test_resolve_spec_missing_file(
    argument: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UnknownActivationError, match="not found"):
        resolve_spec(argument)
    with pytest.raises(UnknownActivationError):
        resolve_spec(str(tmp_path / argument))


def test_resolve_spec_unknown_name(registry: Registry) -> None:
    with pytest.raises(UnknownActivationError, match="gelu"):
        resolve_spec("gleu", registry)


def test_resolve_spec_bad_file_is_a_spec_error() -> None:
    with pytest.raises(SpecError):
        resolve_spec(str(BAD_DIR / "bad_kind.yaml"))
