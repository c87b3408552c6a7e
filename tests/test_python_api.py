"""The Python API is as complete as the command line: every command is a function at the top of
the package, taking a name or a bound `Activation`, and its docstring examples run."""

from __future__ import annotations

import doctest
import subprocess
import sys

import pytest

import actcli
from actcli import api
from actcli.errors import UsageError

COMMANDS = (
    "check", "derive", "evaluate", "list_activations", "load_activation", "plot", "properties",
    "show", "simulate_depth", "smoothness", "table", "table_bytes", "validate",
)  # fmt: skip


@pytest.mark.parametrize("module", [actcli, api], ids=lambda m: m.__name__)
@pytest.mark.slow
def test_docstring_examples_run(module):
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert attempted > 0
    assert failed == 0, f"{failed} of {attempted} examples in {module.__name__} failed"


def test_every_command_is_listed_and_is_the_facade_function():
    for name in COMMANDS:
        assert name in dir(actcli), name
        assert name in actcli.__all__, name
        assert getattr(actcli, name) is getattr(api, name), name


def test_names_shared_with_submodules_stay_the_functions_once_those_are_imported():
    import actcli.derive as _  # noqa: F401  (the submodule, bound on the package by import)
    from actcli.smoothness import Smoothness

    assert callable(actcli.derive) and actcli.derive is api.derive
    assert actcli.smoothness("relu").__class__ is Smoothness
    assert sys.modules["actcli.derive"].derive is not api.derive


def test_dir_does_not_load_the_library():
    code = (
        "import sys, actcli; names = dir(actcli); "
        "assert 'derive' in names and 'simulate_depth' in names, names; "
        "assert not {'sympy', 'numpy', 'actcli.api'} & set(sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_an_activation_is_taken_with_its_parameter_values():
    elu2 = actcli.load_activation("elu", params={"alpha": "2"})
    assert elu2.param_texts == {"alpha": "2"}
    cases = actcli.derive(elu2).derivative.cases
    assert [str(case.expression) for case in cases] == ["2*exp(x)", "1"]
    assert actcli.derive("elu", params={"alpha": "2"}).to_json() == actcli.derive(elu2).to_json()
    # params beside an Activation override its values
    assert actcli.smoothness(elu2, params={"alpha": "1"}).smoothness_class == "C1"
    table = actcli.table(elu2, lo=-1, hi=0, points=2)
    assert table.params == {"alpha": 2.0}
    assert actcli.show(elu2).params == {"alpha": 2.0}
    assert actcli.evaluate(elu2, [0.0]).y.tolist() == [0.0]


def test_exact_parameter_texts_round_trip():
    from actcli.activation import bind

    for text in ("1/3", "sqrt(2)", "e", "0.1"):
        activation = actcli.load_activation("elu", params={"alpha": text})
        assert bind(activation.spec, activation.param_texts) == activation


def test_check_and_properties_take_names_and_activations_together():
    elu2 = actcli.load_activation("elu", params={"alpha": "2"})
    rows = actcli.properties(["relu", elu2]).rows
    assert [(row.activation, row.params) for row, _ in rows] == [
        ("relu", {}),
        ("elu", {"alpha": 2.0}),
    ]
    result = actcli.check(elu2, claims=["smoothness=C0"])
    assert [(r.activation, r.claim, r.status) for r in result.results] == [
        ("elu", "smoothness", "holds")
    ]
    with pytest.raises(UsageError):
        actcli.check(["relu", elu2], claims=["smoothness=C0"])


def test_plot_and_simulate_depth_take_one_name_or_activations():
    elu2 = actcli.load_activation("elu", params={"alpha": "2"})
    data, drawn = actcli.plot(elu2, output="elu.svg", lo=-1, hi=1)
    assert data.startswith(b"<?xml") and drawn.format == "svg" and drawn.file == "elu.svg"
    _, swept = actcli.plot(elu2, sweep="alpha=1,3", lo=-1, hi=1)
    assert [s.label for s in swept.series] == ["elu (alpha=1)", "elu (alpha=3)"]
    result = actcli.simulate_depth(["relu", elu2], mode="meanfield", depth=5)
    assert [(run.activation, run.params) for run in result.runs] == [
        ("relu", {}),
        ("elu", {"alpha": 2.0}),
    ]
    assert actcli.simulate_depth("tanh", mode="meanfield", depth=5).runs[0].activation == "tanh"
