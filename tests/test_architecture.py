"""The architecture holds: imports flow one way, at module top, and the fast paths stay light.

The layer contract itself lives in pyproject.toml ([tool.importlinter]) and runs in the README's
test command; these tests make it fail loudly under pytest too, and check what import-linter
cannot: that every module is in a layer, that function-local imports are the few marked
`# deferred` ones, and that the modules on the start-up path import no heavy library.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "actcli"

# Modules that may import lazily (each such import marked `# deferred`): the entry points and
# facade, which load command modules on demand, the light modules on the start-up path, which
# defer SymPy to the step that needs it, `render` (rich, for terminals only), `deferred`
# (SciPy's submodules) and `sweep` (Dask, an optional extra).
DEFERRING = {
    "actcli",
    "actcli.__main__",
    "actcli.api",
    "actcli.deferred",
    "actcli.evaluation",
    "actcli.registry",
    "actcli.render",
    "actcli.spec",
    "actcli.spec_file",
    "actcli.sweep",
}
# What `actcli --help`, `list` and a cached `eval` import: none of it may load these at import.
LIGHT = (
    "actcli",
    "actcli.cli",
    "actcli.completion",
    "actcli.render",
    "actcli.api",
    "actcli.catalog",
    "actcli.registry",
    "actcli.spec",
    "actcli.spec_file",
    "actcli.yaml_reader",
    "actcli.cache",
    "actcli.options",
    "actcli.formats",
    "actcli.files",
    "actcli.json_values",
    "actcli.scalars",
    "actcli.plans",
    "actcli.generated",
)
HEAVY = ("sympy", "scipy", "matplotlib", "mpmath", "numpy")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _local_imports(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every import statement inside a function."""
    source = path.read_text()
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    found.append((inner.lineno, lines[inner.lineno - 1]))
    return found


def test_the_layer_contract_holds() -> None:
    """import-linter's layers contract (every import statement counted, local ones too)."""
    linter = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run(
        [str(linter)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_every_module_is_in_a_layer() -> None:
    """A module in no layer escapes the contract (and could close a cycle)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    named = set()
    for contract in config["contracts"]:
        for container in contract["containers"]:
            for layer in contract["layers"]:
                for module in layer.replace(":", "|").split("|"):
                    named.add(f"{container}.{module.strip()}")
    outside = []
    for name in _modules():
        if name == "actcli":
            continue
        if not any(name == n or name.startswith(n + ".") for n in named):
            outside.append(name)
    assert not outside, f"add these to a layer in pyproject.toml: {outside}"


def test_the_import_graph_has_no_cycle() -> None:
    """Every import statement of actcli's modules, wherever written, as a graph: acyclic."""
    modules = _modules()
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                # `from package import submodule` depends on the submodule; any other name
                # comes from the package (or module) itself
                names = [f"{node.module}.{alias.name}" for alias in node.names]
                targets = [n for n in names if n in modules]
                if len(targets) < len(names):
                    targets.append(node.module)
            edges[name] |= {t for t in targets if t in modules and t != name}
        if name != "actcli":  # a submodule's import runs the package __init__; not a cycle
            edges[name].discard("actcli")
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycle = [*trail[trail.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for name in sorted(modules):
        if name not in state:
            visit(name, [name])


def test_function_local_imports_are_the_marked_deferred_ones() -> None:
    problems = []
    for name, path in sorted(_modules().items()):
        for line, text in _local_imports(path):
            where = f"{path.relative_to(ROOT)}:{line}: {text.strip()}"
            if "# deferred" not in text:
                problems.append(f"{where}  (move it to the module top)")
            elif name not in DEFERRING:
                problems.append(f"{where}  ({name} may not defer imports)")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("module", LIGHT)
def test_start_up_modules_import_no_heavy_library(module: str) -> None:
    code = (
        f"import sys, {module}; "
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}); "
        "print(','.join(heavy))"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"importing {module} loads {proc.stdout.strip()}"
