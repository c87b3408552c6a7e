"""The spec loader: every validation rule, shipped and user specs, domains and exact defaults.

Each file in tests/data/bad_specs/ breaks exactly one rule and says on its first line which
problem it must produce: `# expect: LINE: FIELD: SUBSTRING` (FIELD `-` for file-level problems
that name no field, such as invalid YAML). Files that cannot carry a comment are in NO_COMMENT.
"""

from __future__ import annotations

import math
import re
import time
from fractions import Fraction
from pathlib import Path

import pytest

from actcli.errors import SpecError
from actcli.spec import (
    MAX_SPEC_BYTES,
    NAMED_DOMAINS,
    Domain,
    Spec,
    exact_default,
    parse_domain,
)
from actcli.spec_file import load_spec, load_spec_text

HERE = Path(__file__).resolve().parent
BAD_DIR = HERE / "data" / "bad_specs"
GOOD_DIR = HERE / "data" / "good_specs"
SPEC_DIR = HERE.parent / "specs"

BAD_FILES = sorted(p for p in BAD_DIR.iterdir() if p.suffix == ".yaml")
GOOD_FILES = sorted(GOOD_DIR.glob("*.yaml"))
SHIPPED_FILES = sorted(SPEC_DIR.glob("*.yaml"))

# (line or None, field or None, substring) for fixtures where a first-line comment is impossible.
NO_COMMENT: dict[str, tuple[int | None, str | None, str]] = {
    "empty_file": (None, None, "file is empty"),
    "non_utf8": (1, None, "file is not UTF-8 (byte 0xe9)"),
}
EXPECT = re.compile(r"^# expect: (\d+): ([^\s:]+):(?: (.*))?$")

# One fixture per rule; the folder may hold more, never fewer.
REQUIRED_FIXTURES = {
    "unknown_top_key",
    "missing_name",
    "missing_title",
    "missing_kind",
    "missing_definition",
    "missing_references",
    "empty_references",
    "bad_name_uppercase",
    "bad_name_hyphen",
    "bad_kind",
    "alias_repeats_name",
    "duplicate_alias",
    "parameter_named_x",
    "parameter_reserved_function_name",
    "missing_default",
    "default_outside_domain",
    "default_not_a_number",
    "bad_domain",
    "empty_interval_domain",
    "piecewise_without_otherwise",
    "otherwise_not_last",
    "both_expression_and_piecewise",
    "neither_expression_nor_piecewise",
    "unknown_function_in_definition",
    "unknown_symbol_in_definition",
    "syntax_error_in_when",
    "condition_not_a_comparison",
    "comparison_in_value",
    "jacobian_on_scalar",
    "derivative_wrt_unknown_parameter",
    "bad_smoothness",
    "bad_monotonic",
    "bad_range",
    "bad_boolean_claim",
    "unknown_claim",
    "bad_derivative_order_key",
    "negative_tolerance",
    "unknown_variant_key",
    "non_mapping_document",
    "empty_file",
    "non_utf8",
    "python_tag",
    "alias_bomb",
    "two_documents",
    "duplicate_key",
    "invalid_yaml_syntax",
    "vector_x_without_index",
    "index_outside_reduction",
    "constraint_bad_syntax",
}


def expectation(path: Path) -> tuple[int | None, str | None, str]:
    if path.stem in NO_COMMENT:
        return NO_COMMENT[path.stem]
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    match = EXPECT.match(first)
    assert match, f"{path.name}: first line must be `# expect: LINE: FIELD: SUBSTRING`"
    field = None if match[2] == "-" else match[2]
    return int(match[1]), field, match[3] or ""


def test_every_rule_has_a_fixture() -> None:
    present = {p.stem for p in BAD_FILES}
    assert REQUIRED_FIXTURES <= present, sorted(REQUIRED_FIXTURES - present)
    for stem in NO_COMMENT:
        assert stem in present


@pytest.mark.parametrize("path", BAD_FILES, ids=lambda p: p.stem)
def test_bad_spec_is_refused(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    line, field, substring = expectation(path)
    monkeypatch.chdir(tmp_path)  # a tag that ran a command would leave `pwned` here
    start = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        load_spec(path, check=True)
    elapsed = time.perf_counter() - start
    problems = caught.value.problems

    prefix = f"{path}:{line}: " if line is not None else f"{path}: "
    if field is not None:
        prefix += f"{field}: "
    matching = [p for p in problems if p.startswith(prefix) and substring in p]
    assert matching, f"expected a problem starting {prefix!r} containing {substring!r}: {problems}"

    # Every problem names the file (and a line where there is one), and they come sorted by line.
    located = [re.match(rf"^{re.escape(str(path))}(?::(\d+))?: \S", p) for p in problems]
    assert all(located), problems
    lines = [int(m[1] or 0) for m in located if m]
    assert lines == sorted(lines), problems
    assert str(caught.value) == "\n".join(problems)

    assert list(tmp_path.iterdir()) == [], "loading a spec must not create files"
    assert elapsed < 5, f"took {elapsed:.2f} s"


def test_python_tag_runs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError):
        load_spec(BAD_DIR / "python_tag.yaml")
    assert not (tmp_path / "pwned").exists()


def test_alias_bomb_is_refused_quickly() -> None:
    start = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        load_spec(BAD_DIR / "alias_bomb.yaml", check=False)
    assert time.perf_counter() - start < 1
    assert len(caught.value.problems) == 1


THREE_PROBLEMS = """\
name: three_problems
title: Three problems in one file
kind: scalar
definition:
  expression: "foo(x)"
parameters:
  alpha:
    default: -1
    domain: positive
claims:
  smoothness: smooth
references: ["Nobody (2024). A test fixture."]
"""


def test_all_problems_are_reported_at_once_sorted_by_line(tmp_path: Path) -> None:
    path = tmp_path / "three_problems.yaml"
    path.write_text(THREE_PROBLEMS)
    with pytest.raises(SpecError) as caught:
        load_spec(path, check=True)
    problems = caught.value.problems
    assert len(problems) == 3, problems
    # Structure problems (lines 8, 11) are found before the expression one (line 5).
    assert problems[0].startswith(f"{path}:5: definition.expression: unknown function 'foo'")
    assert problems[1].startswith(f"{path}:8: parameters.alpha.default: -1 is outside")
    assert problems[2].startswith(f"{path}:11: claims.smoothness: 'smooth' is not")


def test_structure_only_check_skips_expressions() -> None:
    spec = load_spec(BAD_DIR / "unknown_function_in_definition.yaml", check=False)
    assert spec.definition.pieces[0].value.text == "relu(x) + 1"


def test_load_spec_text_uses_the_label() -> None:
    text = (GOOD_DIR / "scaled_clamp.yaml").read_text()
    assert load_spec_text(text, "<stdin>").name == "scaled_clamp"
    assert load_spec_text(text.encode(), "<stdin>").source.path == "<stdin>"
    with pytest.raises(SpecError) as caught:
        load_spec_text(text.replace("kind: scalar", "kind: matrix"), "<stdin>")
    assert caught.value.problems == ["<stdin>:4: kind: 'matrix' is not one of: scalar, vector"]


def test_missing_file_and_directory_are_spec_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path / "absent.yaml")
    assert caught.value.problems[0].startswith(f"{tmp_path / 'absent.yaml'}: cannot read")
    with pytest.raises(SpecError):
        load_spec(tmp_path)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("# padding\n" * (MAX_SPEC_BYTES // 10 + 1))
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert "limit" in caught.value.problems[0]


# -- shipped and user specs -------------------------------------------------------------------


def test_specs_are_shipped() -> None:
    assert len(SHIPPED_FILES) >= 30


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.stem)
def test_shipped_spec_loads(path: Path) -> None:
    spec = load_spec(path, builtin=True, check=True)
    assert isinstance(spec, Spec)
    assert spec.builtin
    assert path.stem == spec.name
    assert spec.title.strip() and "\n" not in spec.title.strip()
    assert spec.references and all(r.strip() for r in spec.references)
    if spec.kind == "scalar":
        assert "derivative" in spec.claims
        assert "jacobian" not in spec.claims
    elif spec.name != "maxout":  # maxout's gradient is an argmax: no closed-form Jacobian
        assert "jacobian" in spec.claims
    for parameter in spec.parameters:
        default = exact_default(parameter.default)
        assert default is not None
        assert parameter.domain.contains(float(default))


@pytest.mark.parametrize("path", GOOD_FILES, ids=lambda p: p.stem)
def test_good_user_spec_loads(path: Path) -> None:
    spec = load_spec(path, check=True)
    assert spec.name == path.stem
    assert not spec.builtin


def test_good_specs_include_both_kinds() -> None:
    kinds = {load_spec(p, check=False).kind for p in GOOD_FILES}
    assert kinds == {"scalar", "vector"}


def test_user_spec_contents() -> None:
    spec = load_spec(GOOD_DIR / "scaled_clamp.yaml")
    assert spec.aliases == ("sclamp", "scaled_hardtanh")
    assert spec.parameter_names == ("slope", "lower", "upper")
    slope = spec.parameter("slope")
    assert slope.default == "1/3" and exact_default(slope.default) == Fraction(1, 3)
    assert slope.source.line == 9
    assert spec.parameter("lower").domain.upper_closed
    assert [c.text for c in spec.constraints] == ["lower < upper"]
    assert spec.definition.piecewise and len(spec.definition.pieces) == 3
    assert spec.definition.pieces[-1].when is None
    assert spec.stable is not None and not spec.stable.piecewise
    assert set(spec.variants) == {"unclamped"}
    assert spec.variants["unclamped"].doc == "no clamping at all"
    assert spec.claims["smoothness"].value == "C0"
    assert spec.claims["bounded_below"].value is True
    assert set(spec.claims["derivatives"].value) == {2}
    assert set(spec.claims["derivative_wrt"].value) == {"slope"}
    with pytest.raises(KeyError):
        spec.parameter("alpha")


# -- domains ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("real", [-1e300, 0.0, 1e300], [math.nan, math.inf, -math.inf]),
        ("positive", [5e-324, 1.0, 1e300], [0.0, -0.0, -1.0, math.inf]),
        ("nonnegative", [0.0, -0.0, 1.0], [-5e-324, -1.0, math.inf]),
        ("negative", [-5e-324, -1.0], [0.0, 1.0, -math.inf]),
        ("nonpositive", [0.0, -1.0], [5e-324, 1.0]),
        ("integer", [-3.0, 0.0, 2.0], [2.5, 1e-9, math.nan]),
        ("positive_integer", [1.0, 2.0, 1e15], [0.0, -1.0, 1.5]),
        ("(0, 1]", [1e-300, 0.5, 1.0], [0.0, 1.0000000000000002, -1.0]),
        ("[0, 1)", [0.0, 0.5, 0.9999999999999999], [1.0, -5e-324]),
        ("[-1, 1]", [-1.0, 0.0, 1.0], [-1.0000000000000002, 1.0000000000000002]),
        ("(-1, 1)", [-0.9999999999999999, 0.0], [-1.0, 1.0]),
        ("(0, oo)", [5e-324, 1e300], [0.0, math.inf]),
        ("(-oo, 0]", [-1e300, 0.0], [5e-324, -math.inf]),
        ("( -0.5 ,2e1 ]", [-0.25, 20.0], [-0.5, 20.5]),
    ],
)
def test_domain_contains(text: str, inside: list[float], outside: list[float]) -> None:
    domain = parse_domain(text)
    assert domain.text == text
    for value in inside:
        assert domain.contains(value), value
    for value in outside:
        assert not domain.contains(value), value


def test_named_domains_are_the_documented_ones() -> None:
    assert set(NAMED_DOMAINS) == {
        "real",
        "positive",
        "nonnegative",
        "negative",
        "nonpositive",
        "integer",
        "positive_integer",
    }
    for name, domain in NAMED_DOMAINS.items():
        assert parse_domain(name) is domain


def test_interval_fields() -> None:
    assert parse_domain("(0, 1]") == Domain("(0, 1]", 0.0, 1.0, False, True)
    assert parse_domain("[-2.5, oo)") == Domain("[-2.5, oo)", -2.5, math.inf, True, False)
    assert parse_domain("(-oo, +oo)").lower == -math.inf


@pytest.mark.parametrize("value", [math.inf, -math.inf])
@pytest.mark.parametrize("name", ["integer", "positive_integer"])
def test_integer_domain_refuses_infinity(name: str, value: float) -> None:
    assert not parse_domain(name).contains(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sometimes", "unknown domain"),
        ("Positive", "unknown domain"),
        ("", "unknown domain"),
        ("0, 1", "unknown domain"),
        ("(0, 1, 2)", "unknown domain"),
        ("(1, 0)", "empty interval"),
        ("(1, 1)", "empty interval"),
        ("[1, 1]", "empty interval"),
        ("[0, oo]", "closed at infinity"),
        ("[-oo, 0)", "closed at infinity"),
        ("(a, 1)", "not a number or oo"),
        ("(nan, 1)", "nan"),
    ],
)
def test_bad_domains(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_domain(text)


@pytest.mark.parametrize(
    ("text", "assumptions"),
    [
        ("real", {"real": True}),
        ("positive", {"real": True, "positive": True}),
        ("nonnegative", {"real": True, "nonnegative": True}),
        ("negative", {"real": True, "negative": True}),
        ("nonpositive", {"real": True, "nonpositive": True}),
        ("integer", {"integer": True}),
        ("positive_integer", {"integer": True, "positive": True}),
        ("(0, 1]", {"real": True, "positive": True}),
        ("[0, 1]", {"real": True, "nonnegative": True}),
        ("[1, 2]", {"real": True, "positive": True}),
        ("[-1, 1]", {"real": True}),
        ("(-oo, 0)", {"real": True, "negative": True}),
        ("(-1, 0]", {"real": True, "nonpositive": True}),
        ("(-2, -1)", {"real": True, "negative": True}),
    ],
)
def test_domain_assumptions(text: str, assumptions: dict[str, bool]) -> None:
    assert parse_domain(text).assumptions() == assumptions


def test_assumptions_are_valid_sympy() -> None:
    import sympy

    alpha = sympy.Symbol("alpha", **parse_domain("(0, 1]").assumptions())
    assert alpha.is_positive and alpha.is_real
    k = sympy.Symbol("k", **parse_domain("positive_integer").assumptions())
    assert k.is_integer and k.is_positive


# -- exact defaults ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1/3", Fraction(1, 3)),
        ("-1/2", Fraction(-1, 2)),
        ("0.1", Fraction(1, 10)),
        ("0.01", Fraction(1, 100)),
        ("1e-3", Fraction(1, 1000)),
        ("2", Fraction(2)),
        ("-1.0", Fraction(-1)),
        (
            "1.0507009873554804934193349852946",
            Fraction(10507009873554804934193349852946, 10**31),
        ),
    ],
)
def test_exact_default(text: str, value: Fraction) -> None:
    assert exact_default(text) == value


def test_exact_default_is_not_a_float() -> None:
    assert exact_default("0.1") != Fraction(0.1)
    assert exact_default("1/3") * 3 == 1


@pytest.mark.parametrize("text", ["abc", "", "1/0", "nan", "inf", "-inf", "0x10", "1_000", "1/x"])
def test_exact_default_junk_is_none(text: str) -> None:
    assert exact_default(text) is None


@pytest.mark.parametrize(
    "expression, message",
    [
        # softmax's index is j: k is no index here
        ("exp(x[i])/sum(exp(x[k]), k)", "sum(EXPR, INDEX) reduces over an index (j)"),
    ],
)
def test_a_reduction_over_an_unknown_index_says_which_index(tmp_path, expression, message):
    """The message was "unknown function 'sum' (known: ..., sum, ...)"."""
    from actcli.errors import SpecError
    from actcli.spec_file import load_spec

    path = tmp_path / "v.yaml"
    path.write_text(
        "name: v\ntitle: t\nkind: vector\nreferences: [hand]\n"
        f'definition:\n  expression: "{expression}"\n'
    )
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert message in str(caught.value)
