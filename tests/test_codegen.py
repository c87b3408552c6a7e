"""Generated code (`actcli.codegen`): every built-in scalar activation and its first two
derivatives, as a C99 header compiled with the machine's C compiler and as a NumPy module, agree
with a 50-digit mpmath evaluation of the *definition* (not the stable form the code is written
from): within 1e-12 relative (C) or 1e-13 (Python), or 1e-300 absolute."""

from __future__ import annotations

import ast
import functools
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
import sympy
from conftest import compile_c

from actcli import __version__
from actcli.activation import Activation, bind
from actcli.codegen import function_names, generate_code
from actcli.compiler import reference_function
from actcli.errors import AnalysisError, UsageError
from actcli.expr import X
from actcli.pieces import to_piecewise
from actcli.registry import Registry
from actcli.spec_expressions import inline_spec

C_RELATIVE = 1e-12
PY_RELATIVE = 1e-13
ABSOLUTE = 1e-300
ORDERS = (0, 1, 2)
GRID = [0.0] + [s * v for v in (1e-8, 1e-3, 0.5, 1, 3, 10, 20, 40, 100, 750, 1000) for s in (1, -1)]

REGISTRY = Registry.default()
SCALAR_NAMES = [spec.name for spec in REGISTRY if spec.kind == "scalar"]
# an inline --expr spec with a parameter: the function name `expr`, beta baked in
INLINE = ("x*sigmoid(beta*x)", {"beta": "3/2"})
CASES = [*SCALAR_NAMES, "expr"]


@functools.cache
def activation_for(key: str) -> Activation:
    if key == "expr":
        return bind(inline_spec(INLINE[0], INLINE[1]), INLINE[1])
    return bind(REGISTRY.get(key))


@functools.cache
def points_for(key: str) -> tuple[float, ...]:
    near = [b + d for b, _ in activation_for(key).breakpoints() for d in (-1e-9, 0.0, 1e-9)]
    return tuple(sorted(set(GRID + near)))


@functools.cache
def references_for(key: str, order: int) -> tuple[object, ...]:
    """The mpmath value of f^(order) at each point, None where it does not exist (a kink: the
    generated code must say so with NaN)."""
    activation = activation_for(key)
    kinks = {k.x for k in activation.kinks(order) if not k.exists(order)} if order else set()
    exact = sympy.diff(to_piecewise(activation.expression), X, order)
    reference = reference_function(exact, digits=50)
    return tuple(None if x in kinks else reference(x) for x in points_for(key))


def mismatches(key: str, order: int, got, relative: float) -> list[str]:
    """Every point where `got` (floats, one per point) misses the reference."""
    failures = []
    for x, value, true in zip(points_for(key), got, references_for(key, order), strict=True):
        value = float(value)
        if true is None:
            ok = math.isnan(value)
        elif math.isfinite(float(true)):
            ok = math.isfinite(value) and (
                abs(value - true) <= relative * abs(true) or abs(value - true) <= ABSOLUTE
            )
        else:
            ok = value == float(true)
        if not ok:
            shown = "undefined (expected nan)" if true is None else sympy.Float(true, 20)
            failures.append(f"order {order}, x={x!r}: got {value!r}, mpmath {shown}")
    return failures


# C and Python for the same activation side by side, so that under pytest-xdist both usually
# run on the worker that already holds its (slow) references


@pytest.mark.parametrize("language", ["c", "python"])
@pytest.mark.parametrize("key", CASES)
def test_generated_code_matches_mpmath(key, language, request):
    if language == "c":
        failures = c_failures(key, request.getfixturevalue("c_results")[key])
    else:
        failures = python_failures(key)
    assert not failures, f"{key} ({language}):\n" + "\n".join(failures)


# --- C --------------------------------------------------------------------------------------


def run_c(program: Path, stdin: str) -> list[list[float]]:
    result = subprocess.run(
        [str(program)], input=stdin, capture_output=True, text=True, timeout=60, check=True
    )
    return [[float(v) for v in line.split()] for line in result.stdout.splitlines()]


@pytest.fixture(scope="module")
def c_results(compiler, tmp_path_factory) -> dict[str, list[list[float]]]:
    """One program with every case's header (also proves they coexist in one translation
    unit), run once on every point of every case: key -> rows of (f, f', f'')."""
    directory = tmp_path_factory.mktemp("codegen_c")
    includes, branches, lines = [], [], []
    for index, key in enumerate(CASES):
        activation = activation_for(key)
        (directory / f"{key}.h").write_text(generate_code(activation, ORDERS, "c"))
        names = function_names(activation, ORDERS, "c")
        includes.append(f'#include "{key}.h"')
        calls = " ".join(f"y[{k}] = {names[k]}(x);" for k in ORDERS)
        branches.append(f"        case {index}: {calls} break;")
        lines += [f"{index} {x!r}" for x in points_for(key)] + [f"{index} nan"]
    program = compile_c(compiler, directory, C_DRIVER % ("\n".join(includes), "\n".join(branches)))
    rows = run_c(program, "\n".join(lines) + "\n")
    assert len(rows) == len(lines)
    results: dict[str, list[list[float]]] = {key: [] for key in CASES}
    for line, row in zip(lines, rows, strict=True):
        results[CASES[int(line.split()[0])]].append(row)
    return results


C_DRIVER = """\
#include <stdio.h>
%s

/* reads lines "CASE X", prints f(X) f'(X) f''(X) of case number CASE */
int main(void)
{
    int which;
    double x;
    double y[3];
    while (scanf("%%d %%lf", &which, &x) == 2) {
        switch (which) {
%s
        default: return 2;
        }
        printf("%%.17g %%.17g %%.17g\\n", y[0], y[1], y[2]);
    }
    return 0;
}
"""


def c_failures(key: str, rows: list[list[float]]) -> list[str]:
    *values, nan_row = rows
    failures = []
    for order in ORDERS:
        failures += mismatches(key, order, [row[order] for row in values], C_RELATIVE)
    if not all(math.isnan(v) for v in nan_row):
        failures.append(f"nan in gave {nan_row}")
    return failures


def test_c_headers_compile_unused_together(compiler, tmp_path):
    """Headers sharing helpers, none of their functions used: no warning under -Werror."""
    includes = []
    for name in ("mish", "silu", "gelu", "tanh"):
        (tmp_path / f"{name}.h").write_text(generate_code(bind(REGISTRY.get(name)), [0, 1], "c"))
        includes.append(f'#include "{name}.h"')
    compile_c(compiler, tmp_path, "\n".join(includes) + "\nint main(void)\n{\n    return 0;\n}\n")


def test_c_parameters_are_baked_in(compiler, tmp_path):
    elu = bind(REGISTRY.get("elu"), {"alpha": "2"})
    code = generate_code(elu, [0, 1], "c")
    assert "alpha = 2.0" in code and f"generated by actcli {__version__}" in code.lower()
    (tmp_path / "elu.h").write_text(code)
    xs = [-3.0, -1.0, -0.5, -1e-3, -1e-8, 0.5, 2.0]
    source = (
        '#include <stdio.h>\n#include "elu.h"\nint main(void)\n{\n    double x;\n'
        '    while (scanf("%lf", &x) == 1) {\n'
        '        printf("%.17g %.17g\\n", elu(x), elu_d1(x));\n    }\n    return 0;\n}\n'
    )
    rows = run_c(compile_c(compiler, tmp_path, source), "\n".join(map(repr, xs)) + "\n")
    for x, (f, derivative) in zip(xs, rows, strict=True):
        want = 2 * math.expm1(x) if x < 0 else x
        want_derivative = 2 * math.exp(x) if x < 0 else 1.0
        assert f == pytest.approx(want, rel=1e-15, abs=0), x
        assert derivative == pytest.approx(want_derivative, rel=1e-15, abs=0), x


def test_c_kink_conventions(compiler, tmp_path):
    relu = bind(REGISTRY.get("relu"))
    includes, prints = [], []
    for convention in (None, "left", "right", "mean"):
        name = f"relu_{convention or 'nan'}"
        code = generate_code(relu, [1], "c", at_kink=convention, name=name)
        (tmp_path / f"{name}.h").write_text(code)
        includes.append(f'#include "{name}.h"')
        prints.append(f'    printf("%.17g\\n", {name}_d1(0.0));')
    source = "#include <stdio.h>\n" + "\n".join(includes) + "\nint main(void)\n{\n"
    source += "\n".join(prints) + "\n    return 0;\n}\n"
    values = [row[0] for row in run_c(compile_c(compiler, tmp_path, source), "")]
    assert math.isnan(values[0]) and values[1:] == [0.0, 1.0, 0.5]


# --- Python -----------------------------------------------------------------------------------


def load_module(code: str) -> dict:
    """exec the generated module in a fresh namespace, after checking it imports only NumPy
    and scipy.special."""
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            assert {a.name for a in node.names} <= {"numpy", "scipy.special"}, ast.dump(node)
        assert not isinstance(node, ast.ImportFrom), ast.dump(node)
    namespace: dict = {}
    exec(compile(code, "<generated>", "exec"), namespace)
    return namespace


def python_failures(key: str) -> list[str]:
    activation = activation_for(key)
    module = load_module(generate_code(activation, ORDERS, "python"))
    names = function_names(activation, ORDERS, "python")
    xs = np.array(points_for(key))
    failures = []
    for order in ORDERS:
        function = module[names[order]]
        failures += mismatches(key, order, function(xs), PY_RELATIVE)
        nan = function(math.nan)
        if not (isinstance(nan, np.floating) and math.isnan(nan)):
            failures.append(f"order {order}: nan in gave {nan!r}")
        shaped = function(xs.reshape(-1, 1))
        if shaped.shape != (len(xs), 1):
            failures.append(f"order {order}: shape {shaped.shape} for input {(len(xs), 1)}")
    return failures


def test_python_parameters_and_kinks():
    elu = bind(REGISTRY.get("elu"), {"alpha": "2"})
    code = generate_code(elu, [0, 1, 2], "python")
    assert "alpha = 2.0" in code and f"actcli {__version__}" in code
    module = load_module(code)
    xs = np.array([-3.0, -1.0, -1e-3, 0.5])
    assert module["elu"](xs).tolist() == [2 * math.expm1(x) if x < 0 else x for x in xs]
    # f' jumps at 0 (from 2 to 1): no derivative there, nor a second one
    assert math.isnan(module["elu_d1"](0.0)) and math.isnan(module["elu_d2"](0.0))
    assert module["elu"](0.0) == 0.0
    relu = bind(REGISTRY.get("relu"))
    for convention, want in (("left", 0.0), ("right", 1.0), ("mean", 0.5)):
        module = load_module(generate_code(relu, [1], "python", at_kink=convention))
        assert module["relu_d1"](np.array([-1.0, 0.0, 1.0])).tolist() == [0.0, want, 1.0]


def test_python_needs_scipy_only_for_erf():
    assert "scipy" not in generate_code(bind(REGISTRY.get("mish")), ORDERS, "python")
    assert "import scipy.special" in generate_code(bind(REGISTRY.get("gelu")), [0], "python")


# --- names and errors ---------------------------------------------------------------------------


def test_names():
    tanh = bind(REGISTRY.get("tanh"))
    assert function_names(tanh, [0, 2], "c") == {0: "tanh_activation", 2: "tanh_activation_d2"}
    assert function_names(tanh, [0, 2], "python") == {0: "tanh", 2: "tanh_d2"}
    inline = bind(inline_spec("x*tanh(x)"))
    assert function_names(inline, [0, 1], "c") == {0: "expr", 1: "expr_d1"}
    assert "static inline double mine_d1(double x)" in generate_code(inline, [1], "c", name="mine")
    with pytest.raises(UsageError):
        generate_code(inline, [0], "c", name="exp")


def test_vector_kind_is_refused():
    with pytest.raises(UsageError, match="code generation is for scalar activations"):
        generate_code(bind(REGISTRY.get("softmax")), [0], "c")


@pytest.mark.parametrize(
    ("orders", "language"), [([0], "fortran"), ([-1], "c"), ([], "python"), ([1.5], "c")]
)
def test_bad_arguments(orders, language):
    with pytest.raises(UsageError):
        generate_code(bind(REGISTRY.get("relu")), orders, language)


class _WithMax(Activation):
    """An activation whose numeric source still holds a Max (numeric_source never does)."""

    def numeric_source(self, order):
        return sympy.Max(X, 0)


@pytest.mark.parametrize("language", ["c", "python"])
def test_max_is_refused(language):
    activation = _WithMax(REGISTRY.get("relu"), {})
    with pytest.raises(AnalysisError, match="Max"):
        generate_code(activation, [0], language)
