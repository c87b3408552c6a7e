"""`actcli eval` at numbers from the command line without NumPy (`actcli.scalars`) gives exactly
what the NumPy path gives, or steps aside: for every built-in scalar activation, orders 0-2,
every --at-kink convention and special values (kinks, signed zeros, infinities, nan, subnormals,
huge numbers), the values, the kink notes and the printed output are those of
`evaluation.evaluate_spec`."""

from __future__ import annotations

import math

import numpy as np
import pytest

from actcli import evaluation, render, scalars
from actcli.registry import Registry

SPECIAL = [
    "0", "-0", "1", "-1", "0.5", "-0.5", "2", "-3", "6", "7", "1e-310", "-1e-310", "1e300",
    "-1e300", "1e400", "-1e400", "inf", "-inf", "nan", "-nan", "0.1", "3.14159", "-2.5",
    "0.2", "-0.2", "1.0000000000000002", "١",
]  # fmt: skip
SCALAR_BUILTINS = sorted(spec.name for spec in Registry.default() if spec.kind == "scalar")
# Piecewise-rational built-ins: their sources use only exactly rounded operations.
EXACT = ("relu", "relu6", "leaky_relu", "hardtanh", "hardswish", "hard_sigmoid", "binary_step")


def _words(spec, params) -> list[str]:
    """SPECIAL plus the kinks of f, f' and f''."""
    bound = evaluation._bind(spec, params)
    kinks = {repr(k.x) for order in range(3) for k in bound.kinks(order)}
    return [*SPECIAL, *sorted(kinks)]


@pytest.mark.parametrize("name", SCALAR_BUILTINS)
def test_values_and_notes_are_the_numpy_paths(name: str) -> None:
    spec = Registry.default().get(name)
    words = _words(spec, {})
    x = np.array(words, dtype=np.float64)
    quick_paths = 0
    for order in range(3):
        for at_kink in (None, "left", "right", "mean"):
            reference = evaluation.evaluate_spec(spec, {}, x, order, at_kink)  # fills the cache
            quick = scalars.evaluate_numbers(spec, {}, words, order, at_kink)
            if quick is None:
                continue
            quick_paths += 1
            assert list(map(repr, quick.y)) == list(map(repr, reference.y.tolist()))
            assert list(map(repr, quick.x)) == list(map(repr, reference.x.tolist()))
            assert quick.kinks == reference.kinks
            assert quick.to_json() == reference.to_json()
            for fmt in ("text", "json", "csv", "tsv"):
                assert _rendered(quick, fmt) == _rendered(reference, fmt)
    assert quick_paths == 12 or name not in EXACT


def _rendered(result: object, fmt: str) -> tuple[str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    render.render(result, fmt, out=out, err=err)
    return out.getvalue(), err.getvalue()


def test_parameters_select_their_own_cache_entry() -> None:
    spec = Registry.default().get("leaky_relu")
    params = {"negative_slope": "0.5"}
    x = np.array([-2.0, 3.0])
    reference = evaluation.evaluate_spec(spec, params, x)
    quick = scalars.evaluate_numbers(spec, params, ["-2", "3"])
    assert quick is not None and quick.y == tuple(reference.y.tolist()) == (-1.0, 3.0)
    assert quick.params == reference.params


@pytest.mark.parametrize(
    "words",
    [["1_000"], ["1", "#", "2"], ["1,2"], ["x"], ["0x10"], []],
    ids=["underscore", "comment", "comma", "word", "hex", "none"],
)
def test_what_the_numpy_path_reads_its_own_way_is_left_to_it(words: list[str]) -> None:
    spec = Registry.default().get("relu")
    evaluation.evaluate_spec(spec, {}, np.array([1.0]))  # the cache entry exists
    assert scalars.evaluate_numbers(spec, {}, words) is None


def test_no_cache_entry_and_inexact_sources_are_left_to_numpy(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ACTCLI_CACHE_DIR", str(tmp_path))
    relu, gelu = Registry.default().get("relu"), Registry.default().get("gelu")
    assert scalars.evaluate_numbers(relu, {}, ["1"]) is None  # not compiled yet
    evaluation.evaluate_spec(gelu, {}, np.array([1.0]))
    assert scalars.evaluate_numbers(gelu, {}, ["1"]) is None  # erfc: not exactly rounded
    evaluation.evaluate_spec(relu, {}, np.array([1.0]))
    assert scalars.evaluate_numbers(relu, {}, ["1"]).y == (1.0,)


def test_division_by_zero_is_left_to_numpy(tmp_path, monkeypatch) -> None:
    """x/(x - 1) at 1: NumPy's inf, where Python raises."""
    from actcli.registry import load_spec_argument

    path = tmp_path / "pole.yaml"
    path.write_text(
        "name: pole\ntitle: t\nkind: scalar\ndefinition: {expression: 'x/(x - 1)'}\n"
        "references: [r]\n"
    )
    spec = load_spec_argument(str(path))
    reference = evaluation.evaluate_spec(spec, {}, np.array([1.0, 2.0]))
    assert scalars.evaluate_numbers(spec, {}, ["2"]).y == (2.0,)
    assert scalars.evaluate_numbers(spec, {}, ["1", "2"]) is None
    assert not math.isfinite(reference.y[0])
