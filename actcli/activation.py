"""An activation: a spec bound to parameter values, as SymPy expressions and numeric functions.

Symbolic results are exact (parameters as exact rationals, or as symbols over their domains);
numeric results come from `actcli.numeric`, compiled from the spec's stable forms.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import mpmath
import sympy

from actcli import compiler, kernels
from actcli.budget import Budget
from actcli.domain import Structure, two_sided_limit, undefined_where
from actcli.errors import AnalysisError, ExpressionError, UsageError
from actcli.expr import Namespace, X, parse_expression, scalar_namespace, vector_namespace
from actcli.generated import Kink
from actcli.interval import Undefined, constant_value, point_function
from actcli.options import MAX_SERIES, parse_sweep
from actcli.pieces import canonical_piecewise, symbolic_breakpoints, to_piecewise
from actcli.registry import Registry, load_spec_argument
from actcli.rewrites import rewrite
from actcli.spec import Definition, Spec
from actcli.spec_expressions import parameter_symbols
from actcli.stabilize import stable_form


def folded_constant_sums(expression: Any) -> Any:
    """Each sum's constant terms, where there are two or more, as one float: their value to
    30 digits (`interval.constant_value`). Float64 arithmetic on the terms themselves
    cancels to rounding: x + exp(pi*sqrt(163)) - 640320**3 - 744 gave -480 at x = 1 (the
    constant is -7.5e-13), cosh(40) - sinh(40) gave 0 (4.2e-18). Piecewise conditions keep
    their exact constants (the breakpoints)."""

    def fold(node: Any) -> Any:
        if not node.args or node.is_number and not isinstance(node, sympy.Add):
            return node
        if isinstance(node, sympy.Piecewise):
            values = [fold(value) for value, _ in node.args]
            if all(new is old for new, (old, _) in zip(values, node.args, strict=True)):
                return node
            return sympy.Piecewise(*zip(values, (c for _, c in node.args), strict=True))
        args = [fold(arg) for arg in node.args]
        if any(new is not old for new, old in zip(args, node.args, strict=True)):
            node = node.func(*args)  # rebuilt only where a term changed: 1/6*(x + 3) stays
        if not isinstance(node, sympy.Add):
            return node
        constants = [arg for arg in node.args if arg.is_number]
        if len(constants) < 2:
            return node
        value = constant_value(sympy.Add(*constants))
        if value.imag or not math.isfinite(value.real):
            return node
        rest = [arg for arg in node.args if not arg.is_number]
        return sympy.Add(sympy.Float(value.real, 17), *rest)

    return fold(expression)


@dataclass(frozen=True)
class Activation:
    """A spec with every parameter given an exact value (`values`, SymPy numbers)."""

    spec: Spec
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def params(self) -> dict[str, float]:
        """Parameter values as floats, in the spec's order."""
        return {name: float(self.values[name]) for name in self.spec.parameter_names}

    @property
    def param_texts(self) -> dict[str, str]:
        """Parameter values as exact texts in the expression grammar (what `--param` takes):
        `bind(activation.spec, activation.param_texts)` gives back an equal activation."""
        texts = {}
        for name in self.spec.parameter_names:
            value = self.values[name]
            text = re.sub(r"\bE\b", "e", sympy.sstr(value))
            if exact_number(text, name) != value:  # pragma: no cover - the grammar's values
                raise UsageError(f"parameter {name} = {value} has no exact text")
            texts[name] = text
        return texts

    @property
    def kind(self) -> str:
        return self.spec.kind

    @cached_property
    def symbols(self) -> dict[str, sympy.Symbol]:
        return parameter_symbols(self.spec)

    def symbolic(self, definition: Definition | None = None) -> sympy.Expr:
        """A definition (the spec's own by default) with parameters left as symbols."""
        return build_expression(definition or self.spec.definition, self.spec, self.symbols)

    def substitute(self, expression: sympy.Expr) -> sympy.Expr:
        """Put the parameter values into an expression in the spec's parameter symbols."""
        return expression.subs({self.symbols[name]: v for name, v in self.values.items()})

    @cached_property
    def expression(self) -> sympy.Expr:
        """The definition with parameter values substituted (exact)."""
        return self.substitute(self.symbolic())

    def derivative(self, order: int = 1) -> sympy.Expr:
        """The exact order-th derivative of the definition w.r.t. x, parameters substituted."""
        return sympy.diff(to_piecewise(self.expression), X, order) if order else self.expression

    def numeric_source(self, order: int, measured: bool = True) -> sympy.Expr:
        """What numeric evaluation of f^(order) compiles: the hand-written stable form closest to
        it, or where the spec has none (a user's expression), the most accurate of the exact
        rewrites of the definition (`actcli.stabilize`; with `measured=False` the rewrites
        alone, without measuring candidates against mpmath: much cheaper, nearly as good).
        A derivative is nan where f is not real, even where its formula is (`_within_domain`)."""
        formula = folded_constant_sums(self._numeric_formula(order, measured))
        return self._within_domain(formula) if order else formula

    def _numeric_formula(self, order: int, measured: bool) -> sympy.Expr:
        given = {k: v for k, v in self.spec.stable_derivatives.items() if k <= order}
        if given:
            start = max(given)
            base = self.substitute(self.symbolic(given[start]))
        elif self.spec.stable:
            start = 0
            base = self.substitute(self.symbolic(self.spec.stable))
        elif measured:
            return stable_form(canonical_piecewise(self.expression, self), order).expression
        else:
            exact = canonical_piecewise(self.expression, self)
            return rewrite(sympy.diff(exact, X, order) if order else exact)
        base = to_piecewise(base)
        return sympy.diff(base, X, order - start) if order > start else base

    def _within_domain(self, derivative: sympy.Expr) -> sympy.Expr:
        """The formula of a derivative, made nan where f itself is not real (`undefined_where`)."""
        undefined = undefined_where(canonical_piecewise(self.expression, self), derivative)
        if undefined is sympy.false:
            return derivative
        pieces = (
            derivative.args if isinstance(derivative, sympy.Piecewise) else ((derivative, True),)
        )
        return sympy.Piecewise((sympy.nan, undefined), *pieces)

    def reference(self, order: int = 0) -> Any:
        """f^(order) as a function x -> float64 value or None, computed at high precision from
        the definition itself (its conditions at their exact breakpoints): an Arb enclosure
        (`interval.point_function`), else mpmath (`compiler.reference_function`)."""
        exact = canonical_piecewise(self.expression, self)
        expression = sympy.diff(exact, X, order) if order else exact
        undefined = undefined_where(exact, expression) if order else sympy.false
        try:
            enclosed = point_function(expression)
        except (AnalysisError, Undefined):  # Undefined: a constant such as I ((-1)**x)
            enclosed = None
        reference = compiler.reference_function(expression)

        def value(x: float) -> float | None:
            if undefined is not sympy.false and undefined.subs(X, x) is sympy.true:
                return None
            found = enclosed(x) if enclosed is not None else None
            if found is not None:
                return found
            result = reference(x)
            if isinstance(result, mpmath.mpc) and result.imag != 0:
                return None
            return float(mpmath.re(result))

        return value

    def limit_value(self, order: int, x: float, seconds: float) -> float | None:
        """f^(order) at x from its limit there, where both one-sided limits are the same
        finite number (`domain.two_sided_limit`: the definition's Taylor series there, exact
        rules, SymPy's limit): the value at a removable 0/0 that no list of cut points holds
        (expm1(x/sin(x)) at 0: sin has infinitely many zeros, so there is none); None where
        there is no such limit."""
        exact = canonical_piecewise(self.expression, self)
        expression = sympy.diff(exact, X, order) if order else exact
        point = sympy.Rational(x)
        limit = two_sided_limit(expression, point, Budget(seconds), derivative_of=(exact, order))
        return limit.number() if limit.finite else None

    def numeric_code(self, order: int) -> str:
        """The NumPy source that evaluates f^(order) (see `actcli.numeric.function_from_source`)."""
        return compiler.scalar_source(self.numeric_source(order))

    def expression_text(self) -> str:
        """The definition, parameters substituted, as SymPy prints it."""
        return sympy.sstr(self.expression)

    def latex(self) -> str:
        """The definition with parameters as symbols, in LaTeX."""
        return sympy.latex(self.symbolic())

    def function(self, order: int = 0, measured: bool = True) -> Any:
        """A NumPy function computing f^(order) elementwise (float64 in, float64 out; also
        `dtype=numpy.float32` and `out=`): the kernel `actcli.kernels` chooses from the
        structure of the numeric source; `measured` as in `numeric_source`."""
        if self.kind == "vector":
            if order:
                raise UsageError(
                    f"{self.name} is a vector activation: only order 0 can be evaluated "
                    "(its Jacobian is a matrix)"
                )
            return compiler.compile_vector(self.substitute(self._stable_or_definition()))
        source = self.numeric_source(order, measured)
        return kernels.compile_kernel(self._derivatives_at_points(source, order))

    def _derivatives_at_points(self, source: sympy.Expr, order: int) -> sympy.Expr:
        """`source` with f^(order) at each point it singles out (Eq(x, c)) as the common
        one-sided limit where that derivative exists: differentiating a Piecewise turns its
        point piece (f(c), Eq(x, c)) into (0, Eq(x, c)), wrong for max(x, tanh(x)) at 0 (f' is
        1). `actcli eval` corrects such points from the kinks too; where f^(order)(c) does not
        exist the source's value stays (the kernels' callers take it as a convention)."""
        if not order or not isinstance(source, sympy.Piecewise):
            return source
        points = {
            float(side): side
            for _, condition in source.args
            for equation in condition.atoms(sympy.Eq)
            for side in equation.args
            if side.is_Rational and sympy.Rational(float(side)) == side
        }
        limits = {
            kink.x: kink.value_of(order)
            for kink in (self.kinks(order) if points else [])
            if kink.x in points and kink.exists(order)
        }
        corrected = [
            (sympy.Rational(value), sympy.Eq(X, points[x]))
            for x, value in limits.items()
            if math.isfinite(value)
        ]
        return sympy.Piecewise(*corrected, *source.args) if corrected else source

    def _stable_or_definition(self) -> sympy.Expr:
        return self.symbolic(self.spec.stable) if self.spec.stable else self.symbolic()

    def breakpoints(self) -> list[tuple[float, sympy.Expr]]:
        """Points where the piecewise definition switches pieces, as (float, exact), sorted."""
        points = symbolic_breakpoints(to_piecewise(self.expression), self)
        return [(float(sympy.N(point)), point) for point in points]

    def kinks(self, order: int) -> list[Kink]:
        """Every cut point of the definition (breakpoints, poles, ends of the real domain) with
        f there and the one-sided limits of f, ..., f^(order): what float evaluation needs to
        print f^(order) exactly there, or nan where it does not exist (`Kink.exists`)."""
        try:
            structure = Structure(self)
        except AnalysisError:  # no finite list of cut points (sign(sin(x))): none to mark
            return []
        found = []
        for index, cut in enumerate(structure.cuts):
            left_part, right_part = structure.parts[index], structure.parts[index + 1]
            sides = [structure.cut_sides(index, k) for k in range(order + 1)]
            kink = Kink(
                cut.location,
                str(cut.x),
                tuple(s[0].number() if left_part.defined else math.nan for s in sides),
                tuple(s[1].number() if right_part.defined else math.nan for s in sides),
                math.nan if cut.value is None else constant_value(cut.value).real,
                "both"
                if left_part.defined and right_part.defined
                else "left"
                if left_part.defined
                else "right",
            )
            found.append(kink)
        return found


def bind(
    spec: Spec,
    overrides: Mapping[str, str | float] | None = None,
    *,
    source: str = "--param",
) -> Activation:
    """Give every parameter a value: its default, or an override (checked against its domain).

    Raises:
        UsageError: an unknown parameter, a value that is not a number, a value outside the
            parameter's domain, or a violated constraint between parameters.
    """
    overrides = dict(overrides or {})
    names = spec.parameter_names
    for name in overrides:
        if name not in names:
            known = ", ".join(names) or "none"
            raise UsageError(f"{source} {name}: {spec.name} has no such parameter (has: {known})")
    values = {}
    for parameter in spec.parameters:
        text = str(overrides.get(parameter.name, parameter.default))
        label = f"{source} {parameter.name}={text}"
        value = exact_number(text, label)
        number = float(value)
        if not parameter.domain.contains(number):
            raise UsageError(f"{label}: outside the domain {parameter.domain.text}")
        values[parameter.name] = value
    activation = Activation(spec, values)
    _check_constraints(activation)
    return activation


def exact_number(text: str, label: str) -> sympy.Expr:
    """A parameter value as an exact SymPy number ("0.1" is 1/10, "1/3" is 1/3, "sqrt(2)")."""
    try:
        value = parse_expression(text, Namespace({}))
    except ExpressionError as exc:
        raise UsageError(f"{label}: not a number ({exc})") from None
    if not value.is_number or not value.is_real:
        raise UsageError(f"{label}: not a real number")
    if not math.isfinite(float(value)):
        raise UsageError(f"{label}: not a finite number")
    return value


def _check_constraints(activation: Activation) -> None:
    spec = activation.spec
    make = vector_namespace if spec.kind == "vector" else scalar_namespace
    namespace = make(activation.symbols, variables=())
    for constraint in spec.constraints:
        condition = parse_expression(constraint.text, namespace, condition=True)
        if not bool(activation.substitute(condition)):
            values = ", ".join(f"{k}={v:g}" for k, v in activation.params.items())
            raise UsageError(
                f"parameters violate {spec.name}'s constraint {constraint.text} ({values})"
            )


def build_expression(
    definition: Definition,
    spec: Spec,
    symbols: Mapping[str, Any],
    variables: tuple[str, ...] = ("x",),
) -> sympy.Expr:
    """A Definition as one SymPy expression (a Piecewise for `piecewise:`).

    `variables` adds `y` for claims written in terms of the output.
    """
    make = vector_namespace if spec.kind == "vector" else scalar_namespace
    namespace = make(symbols, variables=variables)
    branches = []
    for piece in definition.pieces:
        value = parse_expression(piece.value.text, namespace)
        condition = (
            sympy.true
            if piece.when is None
            else parse_expression(piece.when.text, namespace, condition=True)
        )
        branches.append((value, condition))
    if not definition.piecewise:
        return branches[0][0]
    return sympy.Piecewise(*branches)


# -- activations from what the user typed -----------------------------------------------


def load_activation(
    argument: str | None = None,
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    variant: str | None = None,
) -> Activation:
    """A built-in name or alias, a spec file path, or an inline `expression`, bound to params.

    For an inline expression, `params` also declares its parameters (domain: real). `variant`
    picks one of the spec's implementation variants (e.g. softplus's `torch`); `NAME:VARIANT`
    as the argument does the same.
    """
    spec = load_spec_argument(
        argument, expression=expression, params=params, registry=registry, variant=variant
    )
    return bind(spec, params)


def bind_series(
    arguments: Sequence[str | Activation],
    *,
    expression: str | None = None,
    params: Mapping[str, str] | None = None,
    sweep: str | None = None,
) -> tuple[list[Activation], list[str]]:
    """The activations a figure overlays, with their legend labels.

    `arguments` are names, `NAME:VARIANT`s, spec files or bound `Activation`s (or one `--expr`);
    `params` apply to each activation that has the parameter (naming one none of them has is an
    error), over an `Activation`'s own values; `sweep` is `NAME=V1,V2,...`: every activation
    drawn once per value. A label is the name with the values set, `elu (alpha=0.5)`: `--param`
    and `--sweep` values as written, an `Activation`'s own where they are not the defaults.
    """
    if expression is not None and arguments:
        raise UsageError("give activations or --expr, not both")
    targets: list[str | Activation | None] = list(arguments) if expression is None else [None]
    if not targets:
        raise UsageError("name at least one activation (or use --expr)")
    sweep_name, sweep_values = parse_sweep(sweep) if sweep else (None, [None])
    if len(targets) * len(sweep_values) > MAX_SERIES:
        raise UsageError(
            f"{len(targets)} activations x {len(sweep_values)} --sweep values: more than "
            f"{MAX_SERIES} curves"
        )
    declared = dict(params or {})  # an --expr declares its parameters, the swept one too
    if sweep_name is not None:
        declared.setdefault(sweep_name, sweep_values[0])
    specs = [
        t.spec
        if isinstance(t, Activation)
        else load_spec_argument(t, expression=expression, params=declared)
        for t in targets
    ]
    bound = [t.param_texts if isinstance(t, Activation) else {} for t in targets]
    names = {name for spec in specs for name in spec.parameter_names}
    for name in [*(params or {}), *([sweep_name] if sweep_name else [])]:
        if name not in names and expression is None:
            raise UsageError(f"--param/--sweep {name}: none of the activations has it")
    series, labels = [], []
    for target, spec, values in zip(targets, specs, bound, strict=True):
        given = {k: v for k, v in (params or {}).items() if k in spec.parameter_names}
        own = {**values, **given}
        # the legend names what was set: --param values as written, and an Activation's own
        # values where they differ from the defaults; defaults alone leave the bare name
        shown = _set_values(target, spec) if isinstance(target, Activation) else {}
        shown.update(given)
        swept = sweep_name is not None and sweep_name in spec.parameter_names
        for value in sweep_values if swept else [None]:
            chosen = {**own, sweep_name: value} if swept else own
            activation = bind(spec, chosen)
            label = activation.name if expression is None else expression
            named = {**shown, sweep_name: value} if swept else shown
            series.append(activation)
            labels.append(_labelled(label, named))
    return series, labels


def _set_values(activation: Activation, spec: Spec) -> dict[str, str]:
    """An activation's parameter values that differ from the spec's defaults, as numbers."""
    defaults = bind(spec).values
    return {
        name: f"{float(value):.6g}"
        for name, value in activation.values.items()
        if value != defaults[name]
    }


def _labelled(label: str, values: Mapping[str, object]) -> str:
    """`elu (alpha=0.5)`: a legend label with the parameter values set, or the bare label."""
    if not values:
        return label
    return f"{label} ({', '.join(f'{k}={v}' for k, v in values.items())})"
