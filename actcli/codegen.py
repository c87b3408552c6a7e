"""Source code for an activation and its derivatives: a NumPy module or a C99 header.

`generate_code(activation, orders, language)` writes self-contained code (it never imports
actcli) computing f^(k) for each requested order k of a scalar activation, from the same stable
forms that `actcli eval` compiles (`Activation.numeric_source`), with the parameter values baked
in as float constants (17 significant digits, so every double round-trips).

What the generated code does, in both languages:

- sigmoid and softplus go through overflow-free helpers: sigmoid branches on the sign of its
  argument so that exp only ever sees -|u|; softplus is u + log1p(exp(-u)) for u > 0 and
  log1p(exp(u)) otherwise (NumPy: `numpy.logaddexp(0, u)`).
- GELU-style terms get the same compensation as actcli's own numeric path: erfc(c*x) with an
  irrational c, and exp(k*x**2), carry the rounding error of c*x and of x**2 to twice precision
  (C: with `fma`; NumPy: Dekker's product), so the Gaussian tails keep their last digits.
- A product exp(v)*erfc(u) is written as it stands (C99 has no erfcx): where erfc(u) is
  subnormal (u > 26.5) it keeps few digits, which `actcli eval` does not lose
  (`numeric.exp_times_erfc`).
- Every numeric constant (sqrt(2)/sqrt(pi), 1/3, SELU's lambda*alpha, ...) is evaluated exactly
  and rounded once to the nearest double; no irrational macro (M_PI, M_SQRT2) is used, since they
  are not part of C99.
- NaN in gives NaN out (a Piecewise would otherwise send NaN to its last branch).
- Where a derivative does not exist (a kink: the one-sided limits of f^(j), j <= k, differ) the
  code returns NaN, as `actcli eval` does; `at_kink="left"|"right"|"mean"` bakes in that
  convention instead (`actcli eval --at-kink`).

Python: a module using only NumPy (and `scipy.special` when erf or erfc appears). Functions
`<name>(x)`, `<name>_d1(x)`, `<name>_d2(x)`, ... are elementwise on arrays (float64), return a
NumPy float for a scalar, and evaluate under `numpy.errstate(all="ignore")` (discarded Piecewise
branches may overflow; the result never does).

C: a header of `static inline double <name>(double x)`, `<name>_d1`, ... using <math.h> only
(link with -lm). It compiles cleanly with `cc -std=c99 -Wall -Wextra -Werror -pedantic`. Helpers
(`actcli_sigmoid`, `actcli_softplus`, `actcli_erfc_scaled`, `actcli_exp_scaled_square`) are
emitted only when used, each behind its own `#ifndef` guard, so several generated headers can be
included in one translation unit.

Names: the spec name with anything outside [A-Za-z0-9_] replaced by `_` (`expr` for an inline
`--expr` spec). A name that would clash with the language (a C keyword or a <math.h> function
such as `tanh`; a Python keyword, `numpy` or `scipy`) gets the suffix `_activation`:
the C functions for the `tanh` spec are `tanh_activation`, `tanh_activation_d1`, ...
`function_names` gives the names; `name=` overrides the base name.
"""

from __future__ import annotations

import functools
import keyword
import math
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sympy
from sympy.printing.c import C99CodePrinter
from sympy.printing.codeprinter import PrintMethodNotImplementedError
from sympy.printing.numpy import NumPyPrinter

from actcli.activation import Activation
from actcli.compiler import compensate_erfc, compensate_exp_square
from actcli.errors import AnalysisError, UsageError
from actcli.expr import X
from actcli.generated import Kink
from actcli.version import __version__

LANGUAGES = ("python", "c")
AT_KINK_CONVENTIONS = ("left", "right", "mean")
_NAME_SUFFIX = "_activation"

_C_KEYWORDS = frozenset(
    """auto break case char const continue default do double else enum extern float for goto
    if inline int long register restrict return short signed sizeof static struct switch typedef
    union unsigned void volatile while _Bool _Complex _Imaginary""".split()
)
# <math.h> (C99, plus the POSIX Bessel functions glibc declares by default) and a few names a
# header must not redefine.
_C_LIBRARY = frozenset(
    """acos acosh asin asinh atan atan2 atanh cbrt ceil copysign cos cosh erf erfc exp exp2 expm1
    fabs fdim floor fma fmax fmin fmod fpclassify frexp hypot ilogb isfinite isgreater
    isgreaterequal isinf isless islessequal islessgreater isnan isnormal isunordered ldexp lgamma
    llrint llround log log10 log1p log2 logb lrint lround modf nan nearbyint nextafter nexttoward
    pow remainder remquo rint round scalbln scalbn signbit sin sinh sqrt tan tanh tgamma trunc
    j0 j1 jn y0 y1 yn gamma drem significand exp10 pow10 sincos
    abs labs div main printf malloc free exit errno math_errhandling
    NAN INFINITY HUGE_VAL""".split()
)
_PYTHON_RESERVED = frozenset(keyword.kwlist) | {"numpy", "scipy"}


def generate_code(
    activation: Activation,
    orders: Sequence[int],
    language: str,
    *,
    at_kink: str | None = None,
    name: str | None = None,
) -> str:
    """Self-contained source computing f^(k), k in `orders`, of a scalar activation.

    Args:
        activation: a spec bound to parameter values (`actcli.activation.bind`).
        orders: derivative orders, e.g. [0, 1, 2] for f, f', f'' (duplicates are ignored; the
            functions come out in increasing order).
        language: "python" (a NumPy module) or "c" (a C99 header).
        at_kink: where a derivative does not exist, return NaN (None, the default, as
            `actcli eval` does) or the "left" or "right" one-sided limit, or their "mean".
        name: the functions' base name instead of the sanitised spec name.

    Raises:
        UsageError: a vector activation, an unknown language, a negative order, a bad name.
        AnalysisError: an expression with no code equivalent (Heaviside, Max, Min, or free
            symbols other than x).
    """
    language = _check_language(language)
    orders = _check_orders(orders)
    if activation.kind != "scalar":
        raise UsageError("code generation is for scalar activations")
    if at_kink is not None and at_kink not in AT_KINK_CONVENTIONS:
        raise UsageError(f"at_kink {at_kink!r}: use one of {', '.join(AT_KINK_CONVENTIONS)}")
    names = function_names(activation, [0, *orders], language, name=name)
    functions = [
        _prepare(activation, order, names[order], at_kink) for order in sorted(set(orders))
    ]
    if language == "python":
        return _python_module(activation, functions, at_kink)
    return _c_header(activation, functions, at_kink, names[0])


def function_names(
    activation: Activation, orders: Iterable[int], language: str, *, name: str | None = None
) -> dict[int, str]:
    """The generated function for each order: `<base>` for f, `<base>_d<k>` for f^(k)."""
    language = _check_language(language)
    base = _base_name(name if name is not None else activation.name, language, name is not None)
    return {order: base if order == 0 else f"{base}_d{order}" for order in orders}


# --- preparation: numeric source -> an expression the printers can write ---------------------


@dataclass(frozen=True)
class _Undefined:
    """A point where f^(order) does not exist, and what the code returns there."""

    x: float
    exact: str
    why: str  # the jump that makes it undefined
    value: float


@dataclass(frozen=True)
class _Function:
    order: int
    name: str
    expression: Any  # SymPy, each constant folded into one Literal symbol
    undefined: tuple[_Undefined, ...]


def _check_language(language: str) -> str:
    normal = str(language).strip().lower()
    if normal not in LANGUAGES:
        raise UsageError(f"language {language!r}: use one of {', '.join(LANGUAGES)}")
    return normal


def _check_orders(orders: Sequence[int]) -> list[int]:
    checked = []
    for order in orders:
        if isinstance(order, bool) or not isinstance(order, int) or order < 0:
            raise UsageError(f"derivative order {order!r}: must be an integer, 0 or more")
        checked.append(order)
    if not checked:
        raise UsageError("no derivative orders given (0 is f itself)")
    return checked


def _base_name(text: str, language: str, explicit: bool) -> str:
    base = re.sub(r"[^A-Za-z0-9_]", "_", text)
    if explicit:
        if not base or base != text or base[0].isdigit():
            raise UsageError(f"function name {text!r}: use letters, digits and _ (not first)")
    elif not base or base[0].isdigit() or base.startswith("_"):
        base = "f_" + base.lstrip("_")
    reserved = _PYTHON_RESERVED if language == "python" else _C_KEYWORDS | _C_LIBRARY
    clashes = base in reserved or base.lower().startswith("actcli_") or base.startswith("_")
    if clashes:
        if explicit:
            raise UsageError(f"function name {text!r} clashes with a {language} name")
        base += _NAME_SUFFIX
    return base


def _prepare(activation: Activation, order: int, name: str, at_kink: str | None) -> _Function:

    source = activation.numeric_source(order)
    extra = source.free_symbols - {X}
    if extra:
        names = ", ".join(sorted(map(str, extra)))
        raise AnalysisError(f"cannot generate code: symbols without values: {names}")
    banned = (sympy.Heaviside, sympy.Max, sympy.Min, sympy.DiracDelta, sympy.Derivative)
    found = sorted({type(node).__name__ for node in source.atoms(*banned)})
    if source.has(*banned):
        raise AnalysisError(
            f"cannot generate code for {activation.name} f^({order}): it still contains "
            f"{', '.join(found) or 'an unevaluated function'} (expected Piecewise)"
        )
    expression = _fold(compensate_exp_square(compensate_erfc(source)))
    kinks = [k for k in activation.kinks(order) if not k.exists(order)] if order else []
    undefined = tuple(_undefined(kink, order, at_kink) for kink in kinks)
    return _Function(order, name, expression, undefined)


def _undefined(kink: Kink, order: int, at_kink: str | None) -> _Undefined:
    left, right = kink.left[order], kink.right[order]
    value = {"left": left, "right": right, "mean": (left + right) / 2}.get(at_kink, math.nan)
    jump = kink.first_jump()
    jump = order if jump is None else jump
    limits = f"one-sided limits {kink.left[jump]:.17g} and {kink.right[jump]:.17g}"
    why = limits if jump == order else f"{_prime(jump)} jumps there: {limits}"
    return _Undefined(kink.x, kink.x_exact, why, value)


def _literal_text(value: float) -> str:
    """A double as a literal of 17 significant digits (always with a '.' or an exponent)."""
    if math.isnan(value) or math.isinf(value):
        raise AnalysisError(f"cannot write {value} as a numeric literal")
    text = f"{value:.17g}"
    if not any(c in text for c in ".e"):
        text += ".0"
    return text


@functools.cache
def _literal_class() -> type:

    class Literal(sympy.Symbol):
        """A positive float constant, printed as its 17-digit literal (its name)."""

    return Literal


def _constant(value: Any) -> Any:
    """A numeric SymPy constant as what the printers should write: a small Integer as it is,
    anything else rounded once to the nearest double."""

    if value.is_Integer and abs(int(value)) < 2**31:
        return value
    if value in (sympy.nan, sympy.oo, sympy.S.NegativeInfinity):
        return value
    try:
        number = complex(sympy.N(value, 40))  # rounded once, from 40 digits
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"cannot evaluate the constant {value}") from exc
    real = number.real
    if number.imag != 0 or not math.isfinite(real):
        raise AnalysisError(f"the constant {value} is not a finite real number")
    literal = _literal_class()(_literal_text(abs(real)), positive=True)
    return -literal if real < 0 else literal


def _fold(node: Any) -> Any:
    """Replace each maximal constant subexpression by one correctly rounded literal."""

    if isinstance(node, sympy.Expr) and node.is_number:
        return _constant(node)
    if not node.args or isinstance(node, sympy.Symbol):
        return node
    if isinstance(node, sympy.Add | sympy.Mul):
        independent, dependent = node.as_independent(X, as_Add=isinstance(node, sympy.Add))
        identity = 0 if isinstance(node, sympy.Add) else 1
        if independent != identity:
            if isinstance(node, sympy.Mul) and _is_reciprocal(independent):
                # x/6 rounds once; 0.16666666666666666*x twice
                divisor = _literal_class()(_literal_text(float(independent.q)), positive=True)
                return sympy.Mul(independent.p, _fold(dependent), sympy.Pow(divisor, -1))
            return node.func(_constant(independent), _fold(dependent))
    if isinstance(node, sympy.Pow):
        exponent = node.exp if node.exp.is_Rational else _fold(node.exp)
        return sympy.Pow(_fold(node.base), exponent)
    if isinstance(node, sympy.Piecewise):
        pieces = [(_fold(value), _fold(condition)) for value, condition in node.args]
        if pieces[-1][1] is not sympy.true:
            pieces.append((sympy.nan, sympy.true))
        return sympy.Piecewise(*pieces, evaluate=False)
    return node.func(*(_fold(arg) for arg in node.args))


def _is_reciprocal(value: Any) -> bool:
    """Whether value is +-1/q, q an integer exactly representable as a double (not 1)."""
    return bool(value.is_Rational and abs(value.p) == 1 and 1 < value.q < 2**53)


def _describe_definition(activation: Activation) -> str:
    definition = activation.spec.definition
    parts = []
    for piece in definition.pieces:
        text = piece.value.text
        parts.append(text if piece.when is None else f"{text} if {piece.when.text}")
    if definition.piecewise and len(parts) > 1 and definition.pieces[-1].when is None:
        parts[-1] += " otherwise"
    return " ".join("; ".join(parts).split())


def _describe_params(activation: Activation) -> list[str]:

    lines = []
    for parameter, value in activation.params.items():
        exact = activation.values[parameter]
        line = f"{parameter} = {_literal_text(value)}"
        if not (exact.is_Rational and exact == sympy.Rational(value)):
            line += f" (exact: {_exact_text(exact)})"
        lines.append(line)
    return lines


def _exact_text(value: Any) -> str:
    """An exact number; a terminating decimal fraction as a decimal (SELU's 1.0507009873...)."""
    if not value.is_Rational or value.is_Integer:
        return str(value)
    p, q = int(value.p), int(value.q)
    twos = fives = 0
    while q % 2 == 0:
        q, twos = q // 2, twos + 1
    while q % 5 == 0:
        q, fives = q // 5, fives + 1
    if q != 1:
        return str(value)
    digits = max(twos, fives)
    scaled = abs(p) * 10**digits // int(value.q)
    whole, fraction = divmod(scaled, 10**digits)
    return f"{'-' if p < 0 else ''}{whole}.{fraction:0{digits}d}"


def _prime(order: int) -> str:
    return "f" + "'" * order if order <= 3 else f"f^({order})"


def _header_lines(
    activation: Activation, functions: list[_Function], at_kink: str | None, language: str
) -> list[str]:

    spec = activation.spec
    lines = [
        *_wrap(f"{spec.name}: {spec.title}"),
        "",
        f"Generated by actcli {__version__} from the spec {spec.name!r}; do not edit, regenerate.",
        *_wrap(f"Definition: {_describe_definition(activation)}"),
    ]
    params = _describe_params(activation)
    lines.append("Parameters (baked in):" + ("" if params else " none"))
    for line in params:
        lines += _wrap(line, indent="  ")
    signatures = [
        f"double {f.name}(double x)" if language == "c" else f"{f.name}(x)" for f in functions
    ]
    width = max(map(len, signatures))
    lines.append("Functions:")
    for function, signature in zip(functions, signatures, strict=True):
        lines.append(f"  {signature:<{width}}  {_prime(function.order)}(x)")
    if language == "python":
        lines.append("Elementwise on arrays (float64); a scalar in gives a NumPy float out.")
    lines.append("NaN in gives NaN out.")
    for function in functions:
        for point in function.undefined:
            returned = {
                None: "NaN",
                "left": "its left limit",
                "right": "its right limit",
                "mean": "the mean of its one-sided limits",
            }[at_kink]
            if at_kink is not None:
                returned += f", {_literal_text(point.value)},"
            lines += _wrap(
                f"{_prime(function.order)} does not exist at x = {point.exact} ({point.why}): "
                f"{function.name} returns {returned} there."
            )
    return lines


def _wrap(text: str, indent: str = "") -> list[str]:
    """One header paragraph as lines of at most 92 characters (no word is broken)."""
    return textwrap.wrap(
        " ".join(text.split()),
        width=92,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


# --- Python -------------------------------------------------------------------------------


_PY_HELPERS: dict[str, tuple[tuple[str, ...], str]] = {
    # name: (helpers it needs, source)
    "_sigmoid": (
        (),
        '''
def _sigmoid(u):
    """1/(1 + exp(-u)) through exp(-|u|) on each side of 0: nothing overflows."""
    e = numpy.exp(-numpy.abs(u))
    return numpy.where(u >= 0, 1 / (1 + e), e / (1 + e))
''',
    ),
    "_softplus": (
        (),
        '''
def _softplus(u):
    """log(1 + exp(u)) without overflow."""
    return numpy.logaddexp(0.0, u)
''',
    ),
    "_two_product_error": (
        (),
        '''
def _two_product_error(a, b, product):
    """a*b - fl(a*b), exactly (Dekker's product, each factor split in two 26-bit halves)."""
    split = 134217729.0  # 2**27 + 1
    a_big = split * a
    a_hi = a_big - (a_big - a)
    a_lo = a - a_hi
    b_big = split * b
    b_hi = b_big - (b_big - b)
    b_lo = b - b_hi
    return ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
''',
    ),
    "_erfc": (
        ("_two_product_error",),
        '''
def _erfc(z):
    """erfc, accurate in the right tail: SciPy's erfc loses ~140 ulp near z = 23.6 (it rounds
    z**2), so there it is erfcx(z)*exp(-z**2) with z**2 carried to twice precision."""
    z = numpy.asarray(z, dtype=numpy.float64)
    tail = numpy.isfinite(z) & (z > 1)
    zt = numpy.where(tail, z, 0.0)
    square = zt * zt
    error = _two_product_error(zt, zt, square)
    accurate = scipy.special.erfcx(zt) * (numpy.exp(-square) * (1 - error))
    return numpy.where(tail, accurate, scipy.special.erfc(z))
''',
    ),
    "_erfc_scaled": (
        ("_erfc", "_two_product_error"),
        '''
def _erfc_scaled(x, c_hi, c_lo):
    """erfc(c*x) for c = c_hi + c_lo given to twice precision: the rounding error e of c*x is
    recovered exactly and corrected for, erfc(z + e) = erfc(z) - e*2/sqrt(pi)*exp(-z**2)."""
    x = numpy.asarray(x, dtype=numpy.float64)
    z = c_hi * x
    safe = numpy.abs(x) < 1e150  # the splitting overflows beyond; erfc is 0 or 2 there
    xs = numpy.where(safe, x, 0.0)
    error = numpy.where(safe, _two_product_error(xs, c_hi, c_hi * xs) + c_lo * xs, 0.0)
    return _erfc(z) - error * 1.1283791670955126 * numpy.exp(-z * z)
''',
    ),
    "_exp_scaled_square": (
        ("_two_product_error",),
        '''
def _exp_scaled_square(x, k_hi, k_lo):
    """exp(k*x**2), k = k_hi + k_lo, with x**2 and the product carried to twice precision."""
    x = numpy.asarray(x, dtype=numpy.float64)
    safe = numpy.abs(x) < 1e150
    xs = numpy.where(safe, x, 0.0)
    square = xs * xs
    exponent = k_hi * square
    error = (
        _two_product_error(square, k_hi, exponent)
        + k_hi * _two_product_error(xs, xs, square)
        + k_lo * square
    )
    return numpy.where(safe, numpy.exp(exponent) * (1 + error), numpy.exp(k_hi * (x * x)))
''',
    ),
    "_finish": (
        (),
        '''
def _finish(x, y, undefined):
    """y as float64 of x's shape, NaN where x is NaN, `undefined` {point: value} applied."""
    y = numpy.array(numpy.broadcast_to(y, x.shape), dtype=numpy.float64)
    y[numpy.isnan(x)] = numpy.nan
    for point, value in undefined.items():
        y[x == point] = value
    return y if y.ndim else y[()]
''',
    ),
}


def _close_helpers(used: set[str], table: dict[str, tuple[tuple[str, ...], str]]) -> list[str]:
    """`used` plus what those helpers need, in the table's (dependency-first) order."""
    needed = set()
    pending = list(used)
    while pending:
        helper = pending.pop()
        if helper not in needed:
            needed.add(helper)
            pending.extend(table[helper][0])
    order = list(table)
    # the table lists a helper after those it needs only where that is convenient: sort by
    # dependency depth instead
    depth: dict[str, int] = {}

    def depth_of(helper: str) -> int:
        if helper not in depth:
            depth[helper] = 1 + max((depth_of(d) for d in table[helper][0]), default=0)
        return depth[helper]

    return sorted(needed, key=lambda h: (depth_of(h), order.index(h)))


def _python_printer() -> Any:

    class Printer(NumPyPrinter):
        def __init__(self) -> None:
            super().__init__({"fully_qualified_modules": True, "strict": True})
            self.helpers: set[str] = set()
            self.scipy = False

        def _print_Literal(self, expr: Any) -> str:
            return expr.name

        def _print_Rational(self, expr: Any) -> str:
            return _literal_text(float(expr))

        def _helper(self, name: str, expr: Any) -> str:
            self.helpers.add(name)
            return f"{name}({', '.join(self._print(arg) for arg in expr.args)})"

        def _print_sigmoid(self, expr: Any) -> str:
            return self._helper("_sigmoid", expr)

        def _print_softplus(self, expr: Any) -> str:
            return self._helper("_softplus", expr)

        def _print_erfc(self, expr: Any) -> str:
            self.scipy = True
            return self._helper("_erfc", expr)

        def _print_Function(self, expr: Any) -> str:
            # numeric's compensations are undefined functions, which SymPy dispatches here
            name = type(expr).__name__
            if name in ("erfc_scaled", "exp_scaled_square"):
                self.scipy = self.scipy or name == "erfc_scaled"
                return self._helper("_" + name, expr)
            return super()._print_Function(expr)

        def _print_erf(self, expr: Any) -> str:
            self.scipy = True
            return f"scipy.special.erf({self._print(expr.args[0])})"

        def _print_Heaviside(self, expr: Any) -> str:
            raise AnalysisError(f"cannot generate code for {expr}")

        _print_Max = _print_Min = _print_DiracDelta = _print_Heaviside

    return Printer()


def _python_module(activation: Activation, functions: list[_Function], at_kink: str | None) -> str:
    printer = _python_printer()
    bodies = []
    for function in functions:
        code = _print(printer, function.expression, activation, "Python")
        undefined = ", ".join(
            f"{_literal_text(p.x)}: {_python_value(p.value)}" for p in function.undefined
        )
        what = _prime(function.order)
        bodies.append(
            f'''
def {function.name}(x):
    """{what}(x) of {activation.name}, elementwise (float64)."""
    x = numpy.asarray(x, dtype=numpy.float64)
    with numpy.errstate(all="ignore"):
        y = {code}
    return _finish(x, y, {{{undefined}}})
'''
        )
    helpers = _close_helpers(printer.helpers | {"_finish"}, _PY_HELPERS)
    docstring = "\n".join(_header_lines(activation, functions, at_kink, "python"))
    docstring += "\n\nRequires numpy" + (" and scipy." if printer.scipy else ".")
    docstring = docstring.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    imports = "import numpy\n" + ("import scipy.special\n" if printer.scipy else "")
    names = ", ".join(f'"{f.name}"' for f in functions)
    parts = [f'"""{docstring}\n"""\n\n{imports}\n__all__ = [{names}]\n']
    parts += [_PY_HELPERS[h][1] for h in helpers]
    parts += bodies
    return "\n".join(part.strip("\n") + "\n" for part in parts).replace("\n\ndef ", "\n\n\ndef ")


def _print(printer: Any, expression: Any, activation: Activation, language: str) -> str:

    try:
        return printer._print(expression)
    except PrintMethodNotImplementedError as exc:
        raise AnalysisError(f"cannot generate {language} for {activation.name}: {exc}") from None


def _python_value(value: float) -> str:
    return "numpy.nan" if math.isnan(value) else _literal_text(value)


# --- C ------------------------------------------------------------------------------------


_C_HELPERS: dict[str, tuple[tuple[str, ...], str]] = {
    "actcli_sigmoid": (
        (),
        """
/* 1/(1 + exp(-u)), branching on the sign of u so that exp only sees -|u| (never overflows) */
static inline double actcli_sigmoid(double u)
{
    double e = exp(-fabs(u));
    return u >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}
""",
    ),
    "actcli_softplus": (
        (),
        """
/* log(1 + exp(u)) without overflow */
static inline double actcli_softplus(double u)
{
    return u > 0 ? u + log1p(exp(-u)) : log1p(exp(u));
}
""",
    ),
    "actcli_erfc_scaled": (
        (),
        """
/* erfc(c*x) for c = c_hi + c_lo given to twice precision: the rounding error e of c*x is
   recovered exactly (fma) and corrected for, erfc(z + e) = erfc(z) - e*2/sqrt(pi)*exp(-z*z) */
static inline double actcli_erfc_scaled(double x, double c_hi, double c_lo)
{
    double z = c_hi * x;
    double error;
    if (!(fabs(x) < 1e150)) {
        return erfc(z);
    }
    error = fma(c_hi, x, -z) + c_lo * x;
    return erfc(z) - error * 1.1283791670955126 * exp(-z * z);
}
""",
    ),
    "actcli_exp_scaled_square": (
        (),
        """
/* exp(k*x*x) for k = k_hi + k_lo, with x*x and the product carried to twice precision (fma) */
static inline double actcli_exp_scaled_square(double x, double k_hi, double k_lo)
{
    double square = x * x;
    double exponent = k_hi * square;
    double error;
    if (!(fabs(x) < 1e150)) {
        return exp(exponent);
    }
    error = fma(k_hi, square, -exponent) + k_hi * fma(x, x, -square) + k_lo * square;
    return exp(exponent) * (1.0 + error);
}
""",
    ),
}


def _c_printer() -> Any:

    class Printer(C99CodePrinter):
        def __init__(self) -> None:
            super().__init__({"strict": True})
            self.helpers: set[str] = set()

        def _print_Literal(self, expr: Any) -> str:
            return expr.name

        def _print_Rational(self, expr: Any) -> str:
            return _literal_text(float(expr))

        def _print_Integer(self, expr: Any) -> str:
            if abs(int(expr)) < 2**31:
                return str(int(expr))
            return _literal_text(float(expr))

        def _helper(self, name: str, expr: Any) -> str:
            self.helpers.add(name)
            return f"{name}({', '.join(self._print(arg) for arg in expr.args)})"

        def _print_sigmoid(self, expr: Any) -> str:
            return self._helper("actcli_sigmoid", expr)

        def _print_softplus(self, expr: Any) -> str:
            return self._helper("actcli_softplus", expr)

        def _print_Function(self, expr: Any) -> str:
            # numeric's compensations are undefined functions, which SymPy dispatches here
            name = type(expr).__name__
            if name in ("erfc_scaled", "exp_scaled_square"):
                return self._helper("actcli_" + name, expr)
            return super()._print_Function(expr)

        def _print_Pow(self, expr: Any) -> str:
            if expr.exp == sympy.Rational(1, 3):
                # not cbrt: x**(1/3) is nan for x < 0 in NumPy and in `actcli eval`
                return f"pow({self._print(expr.base)}, {_literal_text(1 / 3)})"
            return super()._print_Pow(expr)

        def _print_Piecewise(self, expr: Any) -> str:
            # one line of nested ternaries (SymPy's spans several lines)
            *pieces, (last, _) = expr.args
            text = self._print(last)
            for value, condition in reversed(pieces):
                text = f"({self._print(condition)} ? {self._print(value)} : {text})"
            return text

        def _print_Heaviside(self, expr: Any) -> str:
            raise AnalysisError(f"cannot generate code for {expr}")

        _print_Max = _print_Min = _print_DiracDelta = _print_Heaviside

    return Printer()


def _c_header(
    activation: Activation, functions: list[_Function], at_kink: str | None, base: str
) -> str:

    printer = _c_printer()

    def code(expression: Any) -> str:
        return _print(printer, expression, activation, "C")

    bodies = []
    for function in functions:
        lines = ["if (isnan(x)) {", "    return x;", "}"]
        for point in function.undefined:
            value = "NAN" if math.isnan(point.value) else _literal_text(point.value)
            lines += [f"if (x == {_literal_text(point.x)}) {{", f"    return {value};", "}"]
        expression = function.expression
        if isinstance(expression, sympy.Piecewise):
            *pieces, (last, _) = expression.args
            for value, condition in pieces:
                lines += [f"if ({code(condition)}) {{", f"    return {code(value)};", "}"]
            lines.append(f"return {code(last)};")
        else:
            lines.append(f"return {code(expression)};")
        body = "\n".join("    " + line for line in lines)
        what = _prime(function.order)
        bodies.append(
            f"/* {what}(x) */\nstatic inline double {function.name}(double x)\n{{\n{body}\n}}\n"
        )
    header = _header_lines(activation, functions, at_kink, "c")
    header += _wrap(
        "C99 with <math.h> only; link with -lm. Not for -ffast-math, which drops the NaN checks "
        "and the rounding-error compensation."
    )
    comment = "/* " + "\n * ".join(line.replace("*/", "* /") for line in header).replace(
        " \n", "\n"
    )
    comment = "\n".join(line.rstrip() for line in comment.splitlines()) + "\n */\n"
    guard = f"ACTCLI_{base.upper()}_H"
    parts = [comment, f"#ifndef {guard}\n#define {guard}\n", "#include <math.h>\n"]
    for helper in _close_helpers(printer.helpers, _C_HELPERS):
        macro = "ACTCLI_HAVE_" + helper.removeprefix("actcli_").upper()
        parts.append(f"#ifndef {macro}\n#define {macro}\n{_C_HELPERS[helper][1].strip()}\n#endif\n")
    parts += bodies
    parts.append(f"#endif /* {guard} */\n")
    return "\n".join(parts)


__all__ = ["AT_KINK_CONVENTIONS", "LANGUAGES", "function_names", "generate_code"]
