"""Fast NumPy kernels for scalar activations, chosen from the structure of the numeric source.

`Activation.function` compiles through here. The generic path (`compiler.compile_scalar`)
evaluates a Piecewise with `numpy.select` over every piece, each piece on the whole array, and
calls overflow-free helpers that each pay for their own exp; that is general but 10-50x slower
than a NumPy one-liner. A kernel is chosen by looking at the expression, never at a name, so a
user's `--expr "max(0, x)"` gets the same kernel as the built-in relu:

- a Piecewise whose conditions compare x with dyadic constants is cut into regions (open
  intervals between breakpoints, and the breakpoints themselves) and evaluated by the cheapest
  of: `indicator` (every region constant: in floats that keep nan where one value v sits on
  a half-line (v*ceil(clip(+-(x - a), 0, 1))), on (-b, b) (clip(ceil(b - |x|), 0, v)),
  outside [-r, r] (clip(rint(|x|), 0, v) for r = 1/2, else ceil(|x| - r)), or where two
  constants L, R flank a point of value 0 (x - a scaled by 2**emax, clipped to L and R
  scaled down, scaled back up); else a sum of value * [x in region] by 1-byte masks),
  `clamp` (one non-constant piece g whose value at its ends equals the constants outside:
  g(clip(x, a, b)); relu is maximum(x, 0), hardtanh clip(x, -1, 1), ELU's f' =
  exp(minimum(x, 0))), `hinge` (a*x and b*x split at 0: maximum(a*x, b*x) or the
  minimum; leaky relu), `mirror` (two pieces split at 0 with f(-x) = +-f(x): g(|x|),
  negated for x < 0 if odd), `shrink` (x - f a clamp of x: x - clip(x, a, b); softshrink),
  `sum` (every piece vanishes at its ends: the sum of each piece at x clipped to its interval; ELU,
  SELU), `gate` (f/x a clamp: x*g(clip(x, a, b)); hardswish), `masked` (one polynomial piece,
  0 elsewhere on bounded regions: g(x)*[x in its regions]; hardshrink), `jump` (one piece g
  on one side of a breakpoint a, a constant v on the other: g(x clipped to its side) -
  (g(a) - v)*ceil(clip(+-(x - a), 0, 1)), where that subtraction is exact; SELU's f'), else
  `select` (the piece with the most unbounded regions on the whole array, then the other
  regions written over it: the constants and each other piece by one masked copy, or gathered
  by index where their points are few, as at a breakpoint, or where the piece costs more than
  gathering; where that piece holds on one open interval, the rest is masked once and, where
  few, written over those points alone: hardswish's f'). The float values at the
  breakpoints are checked when the kernel is built, so each form gives the generic path's
  values (up to the sign of a zero result), breakpoints included;
- x itself is one copy (`copy`); a constant c is clip(x, c, c) (nan stays nan, as in the
  generic path, in one pass), 0 numpy.zeros and the nan check (no pass writes out); F(x)
  for a function NumPy has as a ufunc (tanh(x), log1p(x)) is that ufunc, writing into `out`
  directly;
- smooth expressions share one exp(-|u|) between sigmoid(u), sigmoid(-u) and softplus(u)
  (the arithmetic of `numeric.sigmoid` and of log(1 + exp(u)) = max(u, 0) + log1p(exp(-|u|)),
  as numpy.logaddexp computes it, but one exp for all; a pair sigmoid(u) sigmoid(-u) whose
  +-u nothing else uses is 1/(4 cosh(u/2)**2), tanh' = sech(x)**2; a lone sigmoid(u) is
  1/(1 + exp(-u)), four passes; sigmoid(u) and sigmoid(-u) used apart, as in SiLU's f',
  are e/(1 + e) and 1/(1 + e) for e = exp(u), the shared form where e overflows), repeated
  subexpressions are computed once, a product's irrational constant factors are one float,
  integer powers other than 2 are products (numpy.power is ~100x slower), and GELU's erfc(c*x)
  is exp(-z**2)*P(|z|)/Q(|z|) for z = fl(c*x) in NumPy passes (a rational fit of degree
  (7, 7), see `ERFCX_P`; SciPy's erfc is a scalar loop, 3x torch's whole GELU), with the
  twice-precision erfc and exp(k*x**2) only in the tails where rounding their argument
  matters more; elsewhere one plain NumPy call. What is built of sums, products, squares,
  cubes, exp, reciprocals and GELU's erfc and exp(k*x**2) alone runs as a register program
  (`_program`): the printed code's operations, one ufunc call each into a buffer reused once
  its value is dead, the last into out (SiLU's f': one temporary, not six); block-sized
  temporaries come from a per-thread pool (`_borrow`).

Kernels take `dtype` (float32 input is evaluated in float32 where the generic path does) and
`out` (an array to write into, not overlapping x, as Monte Carlo networks do per layer), and
work through large arrays a block at a time. `actcli eval` still runs the generic source (it
is cached as data, see `actcli.evaluation`), so its output and its at-kink conventions are
unchanged.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy
from numpy.typing import DTypeLike
from sympy.printing.numpy import NumPyPrinter

from actcli import compiler, numeric
from actcli.deferred import scipy_special
from actcli.expr import X
from actcli.functions import log1p, sigmoid, softplus

Body = Callable[[np.ndarray, np.ndarray], None]  # writes f(x) into out (x's shape and dtype)

# Where GELU's erfc(c*x) and exp(k*x**2) take the twice-precision path of `actcli.numeric`:
# beyond these |c*x| and |k*x**2| (x > 2.8 in magnitude: 0.5% of standard normal inputs).
# Below, rounding z = c*x costs erfc(z) at most 2*z**2 ulp (its log-derivative is -2z) and
# rounding x**2 costs exp(k*x**2) at most |k|*x**2 ulp: 8 and 2 ulp, about the helpers' own
# error (test_kernels.py holds erfc(c*x) to 2*z**2 + 4 ulp of mpmath there).
ERFC_PLAIN_BELOW = 2.0
EXP_SQUARE_PLAIN_BELOW = 2.0

# erfc(y) = exp(-y**2)*P(y)/Q(y) on 0 <= y <= ERFC_PLAIN_BELOW: P/Q approximates the scaled
# complementary error function exp(y**2)*erfc(y) to a relative 6e-18 (2.6e-17 with these
# float64 coefficients), coefficients from y**0 up. A (7, 7) fit minimising the relative
# error (linearised least squares with Lawson's weights, mpmath at 50 digits, 400 Chebyshev
# nodes; `benchmarks/erfc_fit.py` re-derives it). 29 NumPy passes and one exp where
# SciPy's erfc (a scalar loop, 15-28 ns a value) costs 3x torch's whole GELU.
ERFCX_P = (
    572.7871658483874,
    773.8613112232265,
    535.3283962952378,
    220.3255764877598,
    56.24932194799716,
    8.349192924319976,
    0.564301706921239,
    -3.7455277614911556e-06,
)
ERFCX_Q = (
    572.7871658483874,
    1420.1824163462302,
    1565.0454825272388,
    996.9886149323006,
    398.1276074543547,
    100.17037476482375,
    14.80151130027651,
    1.0,
)


# A piecewise region's points are evaluated and assigned by themselves when fewer than 1 in
# SPARSE (a breakpoint, a tail), else the piece is evaluated on the whole block under `where`.
SPARSE = 16

# Elements evaluated at a time: a kernel's temporaries then stay in cache and are reused,
# 2-4x faster than whole arrays of 10^6 values (each temporary a fresh 8 MB block). NumPy's
# loops run at ~0.2 ns a value from L2 or L3 alike, so fewer calls win: 2**17 (1 MB a
# float64 temporary) is 2-4% faster than 2**16 over the blocked built-ins at 10^6 and 10^7
# values; 2**18 is 17% slower at 10^7.
BLOCK = 1 << 17
# Blocks of a `coarse` body: three or four passes in out itself (or over 1-byte masks) at
# ~0.15 ns a value each, where 8 blocks of BLOCK add ~0.05 ns a value in calls alone
COARSE_BLOCK = 1 << 20
# Temporaries of more elements than this come from `_borrow`'s per-thread pool: freeing and
# reallocating block-sized arrays every block makes glibc hand the memory back to the OS and
# fault it in again (GELU's erfc: 18 ns a value that way, 7 ns with reused buffers)
POOLED_ABOVE = 1 << 12


class Kernel:
    """f(x) elementwise: `kernel(x, dtype=numpy.float64, out=None)`; `strategy` names the form
    chosen (`generic` where none fits)."""

    def __init__(
        self, body: Body, strategy: str, keeps_nan: bool = False, blocked: bool = True
    ) -> None:
        self.body = body
        self.strategy = strategy
        self.keeps_nan = keeps_nan  # the body itself gives nan at nan: no check needed
        # one pass over x (a copy, a clip, a ufunc): blocks gain nothing there and cost ~25%
        self.blocked = blocked and not getattr(body, "one_pass", False)
        # a few cheap passes with no float temporary (`coarse`: the indicators), where the
        # ufunc calls' own overhead, times the blocks, costs more than the cache saves
        self.block = COARSE_BLOCK if getattr(body, "coarse", False) else BLOCK
        # a body that leaves out as it is, out holding 0s (the constant 0): a new result is
        # numpy.zeros (calloc: the OS zeroes large arrays' pages as they are first touched,
        # 4x faster than a pass over x at 10^7 values), a given out is filled with 0
        self.zeros = getattr(body, "zeros", False)

    def __call__(
        self, x: Any, dtype: DTypeLike = np.float64, out: np.ndarray | None = None
    ) -> np.ndarray:
        x = np.asarray(x, dtype=dtype)
        if out is None:
            result = (np.zeros if self.zeros else np.empty)(x.shape, dtype=x.dtype)
        else:
            result = out
            if self.zeros:
                result.fill(0)
        with np.errstate(all="ignore"):
            if (
                self.blocked
                and x.size > self.block
                and x.flags.c_contiguous
                and result.flags.c_contiguous
            ):
                flat, into = x.reshape(-1), result.reshape(-1)  # views
                step = self.block
                for start in range(0, x.size, step):
                    self._block(flat[start : start + step], into[start : start + step])
            else:
                self._block(x, result)
        return result

    def _block(self, x: np.ndarray, out: np.ndarray) -> None:
        self.body(x, out)
        # a Piecewise sends nan to a piece; the generic path answers nan. The minimum is nan
        # where any x is: one reduction, cheaper than the mask `isnan` writes
        if not self.keeps_nan and x.size and np.isnan(np.minimum.reduce(x, axis=None)):
            out[np.isnan(x)] = np.nan


class _Pool(threading.local):
    """Block-sized float buffers free for reuse, per thread and dtype."""

    def __init__(self) -> None:
        self.free: dict[np.dtype, list[np.ndarray]] = {}


_POOL = _Pool()


def _borrow(like: np.ndarray, count: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """count temporaries shaped like `like`, and what to `_return` when done with them: pooled
    buffers for block-sized arrays (see `POOLED_ABOVE`), new arrays otherwise."""
    if not POOLED_ABOVE < like.size <= BLOCK:
        return [np.empty_like(like) for _ in range(count)], []
    free = _POOL.free.setdefault(like.dtype, [])
    taken = [free.pop() if free else np.empty(BLOCK, dtype=like.dtype) for _ in range(count)]
    return [buffer[: like.size].reshape(like.shape) for buffer in taken], taken


def _return(taken: list[np.ndarray]) -> None:
    if taken:
        _POOL.free[taken[0].dtype].extend(taken)


def compile_kernel(expression: Any) -> Kernel:
    """The fastest kernel this module knows for a scalar SymPy expression in x (see the module
    docstring); the generic compiled function where no form applies."""
    if expression.has(sympy.I, sympy.zoo, sympy.nan) or expression.free_symbols - {X}:
        return _generic(expression)
    if isinstance(expression, sympy.Piecewise):
        regions = _regions(expression)
        if regions is None:
            return _generic(expression)
        return _piecewise(regions)
    if expression == 0:  # 0s from the allocation, nan written back by the nan check
        return Kernel(_zero, "constant", blocked=False)
    if expression.is_number and math.isfinite(float(expression)):
        c = float(expression)  # clip(x, c, c): c everywhere, nan kept, in one pass
        return Kernel(
            lambda x, out: np.clip(x, c, c, out=out), "constant", keeps_nan=True, blocked=False
        )
    if expression == X:  # one copy; nan kept
        return Kernel(lambda x, out: np.copyto(out, x), "copy", keeps_nan=True, blocked=False)
    ufunc = _ufunc_of_x(expression)
    if ufunc is not None:
        return Kernel(lambda x, out: ufunc(x, out=out), "ufunc", keeps_nan=True, blocked=False)
    # NumPy's functions and arithmetic give nan at nan; a constant or a select need not
    varying = X in expression.free_symbols and not expression.has(sympy.Piecewise)
    return Kernel(_smooth_body(expression), "smooth", keeps_nan=varying)


def _zero(x: np.ndarray, out: np.ndarray) -> None:
    """The constant 0: out holds it already (`Kernel.zeros`)."""


_zero.zeros = True  # type: ignore[attr-defined]


def _ufunc_of_x(expression: Any) -> np.ufunc | None:
    """The NumPy ufunc that lambdify would call for F(x) (tanh(x) -> numpy.tanh), to be called
    with `out=` (no temporary and no copy); None for anything else."""
    if expression.args != (X,):
        return None
    printed = NumPyPrinter({"strict": False}).doprint(expression)
    match = re.fullmatch(rf"numpy\.(\w+)\({X.name}\)", printed)
    function = getattr(np, match.group(1), None) if match else None
    return function if isinstance(function, np.ufunc) else None


def _generic(expression: Any) -> Kernel:
    function = compiler.compile_scalar(expression)

    def body(x: np.ndarray, out: np.ndarray) -> None:
        out[...] = function(x, dtype=x.dtype)

    return Kernel(body, "generic")


def _assign(function: Callable[[np.ndarray], Any]) -> Body:
    def body(x: np.ndarray, out: np.ndarray) -> None:
        out[...] = function(x)

    return body


# -- smooth expressions ---------------------------------------------------------------------


def _smooth(expression: Any) -> Callable[[np.ndarray], Any]:
    """A NumPy function of x for an expression without Piecewise (SymPy's lambdify, with
    common subexpressions computed once and actcli's helpers as below)."""
    return _lambdified(_prepared(expression))


def _prepared(expression: Any) -> Any:
    """The expression as the kernels evaluate it (shared exponentials, products for integer
    powers, GELU's compensated erfc and exp, folded constants)."""
    uses = Counter(
        _unsigned(node.args[0])
        for node in sympy.preorder_traversal(expression)
        if isinstance(node, (sigmoid, softplus))
    )
    rewritten = _integer_powers(_shared_exponentials(expression, uses))
    compensated = compiler.float_constants(
        compiler.compensate_exp_square(
            compiler.compensate_erfc(compiler.compensate_exp_erfc(rewritten))
        )
    )
    return _folded_constants(compensated)


def _in_place(prepared: Any) -> Callable[[np.ndarray], Any] | None:
    """`_program` as a function of x returning a new array (tanhshrink's Horner series in a
    select: about 3x faster than the printed code on arrays too small for NumPy to reuse its
    temporaries); None where `_program` is."""
    program = _program(prepared)
    if program is None:
        return None

    def function(x: np.ndarray) -> np.ndarray:
        out = np.empty_like(x)
        program(x, out)
        return out

    return function


def _program(prepared: Any) -> Body | None:
    """A prepared expression evaluated with the printed code's own operations, each one ufunc
    call into a buffer (x**2 and shared subexpressions computed once, as SymPy's cse does),
    the last into out, a buffer reused once its value is dead: SiLU's f' (7 passes) with one
    temporary where the printed code allocates six. Sums and products of two operands (their
    order does not change a float result; longer ones are taken left to right), squares,
    cubes, exp, reciprocals, `sigmoid_times` and GELU's `erfc_scaled` and `exp_scaled_square`;
    None for anything else, and for x or a number."""

    def supported(node: Any) -> bool:
        if node == X or node.is_Number:
            return True
        if isinstance(node, (sympy.Add, sympy.Mul)) or (
            isinstance(node, _sigmoid_times) and len(node.args) == 2
        ):
            return all(supported(arg) for arg in node.args)
        if isinstance(node, sympy.Pow) and node.exp == 2:
            return supported(node.base)
        if isinstance(node, _integer_power) and node.args[1] == 3:
            return supported(node.args[0])
        if _scaled(node) is not None:
            return supported(node.args[0])
        return node.func in _UNARY and supported(node.args[0])

    if prepared == X or prepared.is_Number or not supported(prepared):
        return None
    prepared = _binary(prepared)

    def operands(node: Any) -> tuple[Any, ...]:
        return (node.args[0],) if isinstance(node, (sympy.Pow, _integer_power)) else node.args

    order: list[Any] = []  # each operation once, after its operands
    uses: Counter = Counter()

    def visit(node: Any) -> None:
        if node == X or node.is_Number or node in uses:
            return
        for operand in operands(node):
            visit(operand)
            uses[operand] += 1
        order.append(node)
        uses[node] += 0

    visit(prepared)
    # registers: 0 is x, 1 is out, then temporaries; steps (ufunc, into, a, b), b None for
    # one operand, a and b a register or a float
    steps: list[tuple[Any, int, Any, Any]] = []
    held: dict[Any, int] = {X: 0}
    free = [1]
    count = 2

    def register() -> int:
        nonlocal count
        if free:
            return free.pop()
        count += 1
        return count - 1

    for node in order:
        args = [float(arg) if arg.is_Number else held[arg] for arg in operands(node)]
        dead = []
        for arg in operands(node):
            uses[arg] -= 1
            if arg in held and arg != X and uses[arg] == 0:
                dead.append(held[arg])
        cube = isinstance(node, _integer_power)
        scaled = _scaled(node)
        if not cube and scaled is None:  # one ufunc call may write over its dead operand
            free.extend(dead)
        into = 1 if node is prepared else register()
        if scaled is not None:  # reads x after writing: into is not x's register
            steps.append((scaled, into, args[0], None))
            free.extend(dead)
        elif cube:  # b*(b*b), as `_power` computes b**3: b is read after b*b is written
            base = args[0]
            square = into if into != base else register()
            steps.append((np.multiply, square, base, base))
            steps.append((np.multiply, into, base, square))
            free.extend(dead + ([square] if square != into else []))
        elif isinstance(node, sympy.Pow):
            steps.append((np.multiply, into, args[0], args[0]))
        elif node.func in _UNARY:
            steps.append((_UNARY[node.func], into, args[0], None))
        else:
            combine = np.add if isinstance(node, sympy.Add) else np.multiply
            steps.append((combine, into, args[0], args[1]))
        held[node] = into
    temporaries = count - 2

    def body(x: np.ndarray, out: np.ndarray) -> None:
        borrowed, taken = _borrow(out, temporaries)
        values: list[Any] = [x, out, *borrowed]
        for operation, into, a, b in steps:
            first = values[a] if isinstance(a, int) else a
            if b is None:
                operation(first, values[into])
            else:
                operation(first, values[b] if isinstance(b, int) else b, out=values[into])
        _return(taken)

    return body


def _binary(expression: Any) -> Any:
    """Sums and products of more than two terms as left-nested pairs, in the order of their
    arguments: one ufunc call each."""
    if not expression.args:
        return expression
    args = [_binary(arg) for arg in expression.args]
    if isinstance(expression, (sympy.Add, sympy.Mul)) and len(args) > 2:
        nested = args[0]
        for arg in args[1:]:
            nested = expression.func(nested, arg, evaluate=False)
        return nested
    if all(a is b for a, b in zip(args, expression.args, strict=True)):
        return expression
    return expression.func(*args, evaluate=False)


def _scaled(node: Any) -> Callable[[np.ndarray, np.ndarray], Any] | None:
    """GELU's erfc(c*x) or exp(k*x**2) of one operand, its constants given, into a buffer."""
    function = _SCALED.get(str(node.func))
    if function is None or not all(arg.is_Number for arg in node.args[1:]):
        return None
    constants = [float(arg) for arg in node.args[1:]]
    return lambda a, into: function(a, *constants, out=into)


def _lambdified(prepared: Any) -> Callable[[np.ndarray], Any]:
    return sympy.lambdify(X, prepared, modules=[_NAMES, "numpy"], cse=_common_subexpressions)


def _smooth_body(expression: Any) -> Body:
    """Writes f(x) into out; the last step writes there itself where it is a lone sigmoid,
    a product of two factors (sigmoid, silu) or a sum of two terms (x - tanh(x), a*x + b):
    no copy of the result. One rounded operation of the same two operands, so the same
    values as the printed expression (a + b, a - b and a*b are commutative in floats, and
    a - b is a + (-b) exactly)."""
    quotients = _sigmoid_quotients(expression)
    if quotients is not None:
        return _nan_patched(_smooth_body(quotients), _smooth(expression))
    prepared = _prepared(expression)
    if prepared == X:
        return lambda x, out: np.copyto(out, x)
    steps = _affine_steps(prepared)
    if steps:  # a*x + b, c*(x + b): the first step from x into out, the rest in place

        def affine(x: np.ndarray, out: np.ndarray) -> None:
            (ufunc, constant), *rest = steps
            ufunc(x, constant, out=out)
            for ufunc, constant in rest:
                ufunc(out, constant, out=out)

        return affine
    if isinstance(prepared, _alone):
        argument = _lambdified(prepared.args[0])
        return lambda x, out: _sigmoid_alone(argument(x), out)
    if isinstance(prepared, sympy.Mul) and len(prepared.args) == 2:
        alone = [factor for factor in prepared.args if isinstance(factor, _alone)]
        if len(alone) == 1:
            (other,) = [factor for factor in prepared.args if factor is not alone[0]]
            if not other.has(_alone):
                parts = _lambdified([other, alone[0].args[0]])
                return lambda x, out: _times_sigmoid(*parts(x), out)
    program = _program(prepared)
    if program is not None:
        return program
    if isinstance(prepared, sympy.Mul) and len(prepared.args) == 2:
        if not any(factor.is_Pow and factor.exp.is_negative for factor in prepared.args):
            factors = _lambdified(list(prepared.args))
            return lambda x, out: np.multiply(*factors(x), out=out)
    if isinstance(prepared, sympy.Add) and len(prepared.args) == 2:
        first, second = prepared.args
        if _negated(first) is not None and _negated(second) is None:
            first, second = second, first
        subtracted = _negated(second)
        last = second if subtracted is None else subtracted
        combine = np.add if subtracted is None else np.subtract
        ufunc = _ufunc_of_x(last)
        if ufunc is not None:  # x - tanh(x): tanh into out, no temporary
            term = (lambda x: x) if first == X else _lambdified(first)

            def into_out(x: np.ndarray, out: np.ndarray) -> None:
                ufunc(x, out=out)
                combine(term(x), out, out=out)

            return into_out
        terms = _lambdified([first, last])
        return lambda x, out: combine(*terms(x), out=out)
    return _assign(_lambdified(prepared))


_sigmoid_times = sympy.Function("sigmoid_times")


def _sigmoid_quotients(expression: Any) -> Any:
    """sigmoid(u) and sigmoid(-u) both used, apart and nowhere else a function of +-u (SiLU's
    f' = (x*sigmoid(-x) + 1)*sigmoid(x)): sigmoid(-u) = s = 1/(1 + E) and sigmoid(u) = E*s
    for E = exp(u) (u the sign without a minus: no negation pass), where `numeric.sigmoid`'s
    shared exp(-|u|) needs |u|, a max with [u >= 0] per sigmoid and a reciprocal (SiLU' 15
    passes -> 7). E*s is one product (E times anything else overflows where u > 709.78);
    where E itself overflows, E*s is inf*0 = nan, and those values are patched by the
    shared form (`_nan_patched`). None where this does not apply (a product
    sigmoid(u)*sigmoid(-u) with no other sigmoid of +-u takes 1/(4 cosh(u/2)**2), a softplus
    of +-u shares e)."""
    if expression.has(softplus):
        return None
    nodes = [node for node in sympy.preorder_traversal(expression) if isinstance(node, sigmoid)]
    arguments = {node.args[0] for node in nodes}
    both = {
        u
        for u in arguments
        if -u in arguments and not u.could_extract_minus_sign() and not u.has(sigmoid)
    }
    if not both:
        return None
    uses = Counter(_unsigned(node.args[0]) for node in nodes)
    for node in sympy.preorder_traversal(expression):
        if isinstance(node, sympy.Mul):
            inside = {factor.args[0] for factor in node.args if isinstance(factor, sigmoid)}
            if any(u in inside and -u in inside and uses[u] == 2 for u in both):
                return None  # the pair alone: 1/(4 cosh(u/2)**2), three passes
    replacements = {}
    for u in both:
        e = sympy.exp(u)  # u as written (x, not -x: no negation pass)
        s = _reciprocal(e + 1)
        replacements[sigmoid(-u)] = s
        replacements[sigmoid(u)] = _sigmoid_times(e, s)
    return expression.xreplace(replacements)


def _nan_patched(body: Body, exact: Callable[[np.ndarray], Any]) -> Body:
    """body, with exact(x) where it gives nan for an x that is not nan (found by one
    reduction)."""

    def patched(x: np.ndarray, out: np.ndarray) -> None:
        body(x, out)
        if out.size and np.isnan(np.minimum.reduce(out, axis=None)):
            where = np.isnan(out) & ~np.isnan(x)
            if where.any():
                out[where] = exact(x[where])

    return patched


def _negated(term: Any) -> Any:
    """t where `term` is -t as the printer writes it (`- t`: a Mul by -1), else None."""
    if isinstance(term, sympy.Mul) and term.args[0] == -1:
        return sympy.Mul(*term.args[1:])
    return None


def _folded_constants(expression: Any) -> Any:
    """A product's irrational constant factor (sqrt(2)/(2*sqrt(pi)) in GELU's f') as one float:
    one pass over the array where the printed product would take one per factor."""

    def irrational_factor(node: Any) -> bool:
        if not isinstance(node, sympy.Mul):
            return False
        constant, rest = node.as_independent(X)
        return rest != 1 and constant.is_number and not constant.is_Rational

    def folded(node: Any) -> Any:
        constant, rest = node.as_independent(X)
        return sympy.Mul(sympy.Float(float(sympy.N(constant, 30)), 17), rest, evaluate=False)

    return expression.replace(irrational_factor, folded)


_integer_power = sympy.Function("integer_power")
_reciprocal = sympy.Function("reciprocal")


def _integer_powers(expression: Any) -> Any:
    """b**n for an integer n other than 2 and -1 -> products (NumPy's power is ~100x slower
    than a multiplication for any other exponent; x**2 and division are fast already)."""

    def slow(node: Any) -> bool:
        return (
            isinstance(node, sympy.Pow)
            and node.exp.is_Integer
            and node.exp not in (2, -1)
            and abs(node.exp) <= 16
        )

    return expression.replace(slow, lambda node: _integer_power(node.base, node.exp))


def _common_subexpressions(expressions: Any) -> tuple[list, list]:
    """SymPy's cse, a reciprocal it pulls out written as one (a lone b**-1 would print as
    NumPy's slow power b**(-1.0))."""
    replacements, reduced = sympy.cse(expressions, list=False)
    return [
        (symbol, _reciprocal(value.base) if _is_reciprocal(value) else value)
        for symbol, value in replacements
    ], reduced


def _is_reciprocal(node: Any) -> bool:
    return isinstance(node, sympy.Pow) and node.exp == -1


def _exp_minus_abs(u: Any) -> Any:
    """exp(-|u|), |u| as NumPy's absolute of u as written (SymPy's Abs would move constant
    factors out and round differently), the same for u and -u."""
    return sympy.exp(-_absolute(_unsigned(u)))


_absolute = sympy.Function("absolute")


_numerator = sympy.Function("sigmoid_numerator")
_alone = sympy.Function("sigmoid_alone")
_pair = sympy.Function("sigmoid_pair")
_pair_of_half = sympy.Function("sigmoid_pair_of_half")


def _unsigned(u: Any) -> Any:
    return -u if u.could_extract_minus_sign() else u


def _shared_exponentials(node: Any, uses: Counter) -> Any:
    """sigmoid(u) -> n/(1 + e) with e = exp(-|u|) and n = 1 (u >= 0) or e (u < 0), the
    helper `numeric.sigmoid`'s own arithmetic; sigmoid(u)*sigmoid(-u) -> e/(1 + e)**2;
    softplus(u) -> max(u, 0) + log1p(e). One e then serves every function of +-u. A pair
    whose +-u nothing else uses (`uses` counts the sigmoid and softplus of each +-u) is
    1/(4 cosh(u/2)**2) instead: three passes (cosh, divide, square) where e costs five
    (tanh' = 4 sigmoid(2x) sigmoid(-2x) is sech(x)**2)."""
    if not node.args:
        return node
    if isinstance(node, sympy.Mul):
        factors = list(node.args)
        paired = []
        for i, first in enumerate(factors):
            if not isinstance(first, sigmoid):
                continue
            for j in range(i + 1, len(factors)):
                second = factors[j]
                if isinstance(second, sigmoid) and second.args[0] == -first.args[0]:
                    u = _unsigned(first.args[0])
                    if uses[u] == 2:
                        paired.append(_pair_of_half(_shared_exponentials(u / 2, uses)))
                    else:
                        paired.append(_pair(_exp_minus_abs(_shared_exponentials(u, uses))))
                    factors[i] = factors[j] = sympy.S.One
                    break
        rest = [_shared_exponentials(factor, uses) for factor in factors]
        if not paired and all(a is b for a, b in zip(rest, node.args, strict=True)):
            return node
        return sympy.Mul(*paired, *rest)
    args = [_shared_exponentials(arg, uses) for arg in node.args]
    if isinstance(node, sigmoid) and uses[_unsigned(node.args[0])] == 1:
        return _alone(args[0])
    if isinstance(node, sigmoid):
        e = _exp_minus_abs(args[0])
        return _numerator(args[0], e) / (1 + e)
    if isinstance(node, softplus):
        return sympy.Function("maximum")(args[0], 0) + log1p(_exp_minus_abs(args[0]))
    if all(a is b for a, b in zip(args, node.args, strict=True)):
        return node  # rebuilding could reorder the arithmetic ((x + 3)/6 -> x/6 + 1/2)
    return node.func(*args)


def _sigmoid_numerator(u: np.ndarray, e: np.ndarray) -> np.ndarray:
    # 1 where u >= 0, else e (<= 1); nan stays nan
    return np.maximum(e, np.greater_equal(u, 0))


def _reciprocal_of(b: Any, out: np.ndarray | None) -> Any:
    """1/b: numpy.divide(1, b), the same correctly rounded quotient as numpy.reciprocal in
    half its time (0.35 against 0.68 ns a float64 value: reciprocal is not vectorised)."""
    b = np.asarray(b)
    return np.divide(b.dtype.type(1) if b.dtype.kind == "f" else 1.0, b, out=out)


def _sigmoid_alone(u: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """sigmoid(u) whose exp nothing else shares: 1/(1 + exp(-u)), four passes where the shared
    form takes seven (SciPy's expit, one ufunc but not vectorised, costs ~2.5x more and gives
    0 below u = -709.78). Where exp(-u) overflows (u < -709.78, -88.7 in float32) the true
    value is subnormal or 0: those points take `numeric.sigmoid`, exp(u)/(1 + exp(u)). A
    constant u (sigmoid(softplus(3/2))) is a 0-d array, whose negation would be a scalar."""
    u = np.asarray(u)
    result = np.negative(u, out=np.empty_like(u) if out is None else out)
    np.exp(result, out=result)
    result += 1
    _reciprocal_of(result, result)
    return _patch(result, u, result == 0, numeric.sigmoid)


def _times_sigmoid(t: Any, u: np.ndarray, out: np.ndarray) -> np.ndarray:
    """t*sigmoid(u) whose exp nothing else shares (SiLU: x*sigmoid(x)) as one quotient
    t/(1 + exp(-u)): four passes, one rounding fewer than t*(1/(1 + exp(-u))). Where
    exp(-u) overflows (u < -709.78; the sigmoid is subnormal or 0 there) t times
    `numeric.sigmoid`, exp(u)/(1 + exp(u)), as before: found by one reduction, a mask only
    when some denominator is inf."""
    denominator = np.negative(u, out=out)
    np.exp(denominator, out=denominator)
    denominator += 1
    largest = np.maximum.reduce(denominator, axis=None) if out.size else 0.0
    overflow = not largest < np.inf  # inf, or nan somewhere: look at each
    if overflow:
        where = np.isinf(denominator)
    np.divide(t, denominator, out=out)
    if overflow:
        t = np.broadcast_to(t, out.shape)
        out[where] = t[where] * numeric.sigmoid(np.asarray(u)[where])
    return out


def _sigmoid_pair(e: np.ndarray) -> np.ndarray:
    # sigmoid(u)*sigmoid(-u) as the product of the two quotients the helper would give
    denominator = 1 + e
    return (e / denominator) * (1 / denominator)


def _sigmoid_pair_of_half(h: np.ndarray) -> np.ndarray:
    # sigmoid(2h)*sigmoid(-2h) = (1/(2 cosh h))**2: cosh's overflow beyond |h| ~ 710 (89 in
    # float32) gives 0 where the true value underflows anyway; dividing before squaring keeps
    # the subnormal results
    half_sech = 0.5 / np.cosh(h)
    return half_sech * half_sech


def _power(base: np.ndarray, exponent: int) -> np.ndarray:
    result = None
    square = base
    n = abs(exponent)
    while n:  # binary powering
        if n & 1:
            result = square if result is None else result * square
        n >>= 1
        if n:
            square = square * square
    return 1 / result if exponent < 0 else result


def _erfc_scaled(
    x: np.ndarray, c_hi: float, c_lo: float, out: np.ndarray | None = None
) -> np.ndarray:
    """`numeric.erfc_scaled` (erfc(c*x), c = c_hi + c_lo), into `out` (not x) where given:
    exp(-z**2)*P(|z|)/Q(|z|) for z = fl(c*x) (`ERFCX_P`), 2 minus that for z < 0, and the
    twice-precision erfc of `actcli.numeric` where |z| > `ERFC_PLAIN_BELOW`, inf or nan. In
    float32 (Python floats do not widen it) the same passes run twice as fast, within a few
    float32 ulp."""
    result = np.empty_like(x) if out is None else out
    (z, y, divisor), taken = _borrow(x, 3)
    np.multiply(x, c_hi, out=z)
    np.abs(z, out=y)
    plain = not y.size or bool(np.maximum.reduce(y, axis=None) <= ERFC_PLAIN_BELOW)
    np.multiply(y, ERFCX_P[-1], out=result)
    result += ERFCX_P[-2]
    np.add(y, ERFCX_Q[-2], out=divisor)
    for p, q in zip(ERFCX_P[-3::-1], ERFCX_Q[-3::-1], strict=True):
        result *= y
        result += p
        divisor *= y
        divisor += q
    result /= divisor
    gaussian = np.multiply(z, z, out=divisor)
    np.negative(gaussian, out=gaussian)
    result *= np.exp(gaussian, out=gaussian)
    # erfc(-y) = 2 - erfc(y): (1 - s) + s*erfc(y) for s = sign(z), exactly 2 - erfc(y) or
    # erfc(y), and 1 at z = +-0
    sign = np.sign(z, out=y)
    result *= sign
    result += np.subtract(1.0, sign, out=gaussian)
    if not plain:
        _patch(result, x, ~(np.abs(z, out=z) <= ERFC_PLAIN_BELOW), numeric.erfc_scaled, c_hi, c_lo)
    _return(taken)
    return result


def _exp_scaled_square(
    x: np.ndarray, k_hi: float, k_lo: float, out: np.ndarray | None = None
) -> np.ndarray:
    """`numeric.exp_scaled_square` (exp(k*x**2)), into `out` (not x) where given, where
    |k|*x**2 > `EXP_SQUARE_PLAIN_BELOW`; plain exp below (the rounding of x**2 costs at most
    about |k|*x**2 ulp there)."""
    (exponent,), taken = _borrow(x, 1)
    np.multiply(x, x, out=exponent)
    exponent *= k_hi
    result = np.exp(exponent, out=out)
    if x.dtype != np.float32:
        tail = np.greater(np.abs(exponent, out=exponent), EXP_SQUARE_PLAIN_BELOW)  # nan: nan
        _patch(result, x, tail, numeric.exp_scaled_square, k_hi, k_lo)
    _return(taken)
    return result


def _patch(
    result: np.ndarray,
    x: np.ndarray,
    where: np.ndarray,
    accurate: Callable[..., np.ndarray],
    *constants: float,
) -> np.ndarray:
    """result, with accurate(x, *constants) where `where` holds (few points, typically)."""
    if where.any():
        result[where] = accurate(x[where], *constants)
    return result


# one-operand operations `_program` runs: (operand, into) -> None
_UNARY: dict[Any, Callable[[np.ndarray, np.ndarray], Any]] = {
    sympy.exp: lambda a, into: np.exp(a, out=into),
    _reciprocal: _reciprocal_of,
}


# GELU's erfc(c*x) and exp(k*x**2), by the name `compiler` gives them; a program runs them too
_SCALED = {"erfc_scaled": _erfc_scaled, "exp_scaled_square": _exp_scaled_square}

_NAMES = {
    "sigmoid_numerator": _sigmoid_numerator,
    "sigmoid_alone": _sigmoid_alone,
    "sigmoid_pair": _sigmoid_pair,
    "sigmoid_pair_of_half": _sigmoid_pair_of_half,
    "integer_power": _power,
    "reciprocal": lambda b: _reciprocal_of(b, None),
    "sigmoid_times": np.multiply,
    **_SCALED,
    "erfc": numeric.erfc,
    "erf": lambda z: scipy_special().erf(z),
    "exp_times_erfc": numeric.exp_times_erfc,
}


# -- Piecewise -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    """An open interval (low, high) between breakpoints, or a breakpoint (low == high), and the
    expression that holds there (`constant`: its float value where it is a finite number)."""

    low: float
    high: float
    expression: Any
    constant: float | None

    @property
    def point(self) -> bool:
        return self.low == self.high


def _regions(piecewise: Any) -> list[Region] | None:
    """The regions of a Piecewise in x, in order, or None where a condition is not a comparison
    of x with a constant that float64 holds exactly (the generic path is kept there)."""
    cuts = set()
    for _, condition in piecewise.args:
        for relation in condition.atoms(sympy.core.relational.Relational):
            sides = {relation.lhs, relation.rhs}
            if X not in sides or len(sides) != 2:
                return None
            (cut,) = sides - {X}
            if not (cut.is_Rational and sympy.Rational(float(cut)) == cut):
                return None
            cuts.add(cut)
        if condition.free_symbols - {X}:
            return None
    ordered = sorted(cuts)
    if not ordered:
        return None
    bounds = [-sympy.oo, *ordered, sympy.oo]
    regions = []
    for index in range(len(bounds) - 1):
        low, high = bounds[index], bounds[index + 1]
        if index:
            regions.append(_region(piecewise, low, low, low))
        middle = (low + high) / 2 if low.is_finite and high.is_finite else None
        sample = middle if middle is not None else (high - 1 if low == -sympy.oo else low + 1)
        regions.append(_region(piecewise, low, high, sample))
    return regions


def _region(piecewise: Any, low: Any, high: Any, sample: Any) -> Region:
    for value, condition in piecewise.args:
        if condition.subs(X, sample) is sympy.true:
            return Region(float(low), float(high), value, _constant(value))
    return Region(float(low), float(high), sympy.nan, None)


def _constant(expression: Any) -> float | None:
    return None if expression.free_symbols else _finite(float(expression))


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _piecewise(regions: list[Region]) -> Kernel:
    functions: dict[Any, Callable[[np.ndarray], Any]] = {}

    def compiled(expression: Any) -> Callable[[np.ndarray], Any]:
        if expression not in functions:
            functions[expression] = _smooth(expression)
        return functions[expression]

    def at(region: Region, expression: Any, x: float) -> float:
        """The float value of `expression` (the piece of `region`) at x, or the constant."""
        if region.constant is not None and expression == region.expression:
            return region.constant
        with np.errstate(all="ignore"):  # 1/x at its pole is inf, quietly, as when run
            value = compiled(expression)(np.array([x]))
        return float(np.asarray(value, dtype=float).ravel()[0])

    # a breakpoint's value as the generic path computes it: its piece, in floats, at the point
    regions = [
        Region(r.low, r.high, r.expression, _finite(at(r, r.expression, r.low)))
        if r.point and r.constant is None and r.expression is not sympy.nan
        else r
        for r in regions
    ]
    # clip, maximum, minimum and abs keep nan, and the pieces they feed vary with x (unless a
    # piece is itself a Piecewise, whose select can send nan to a constant)
    nested = any(region.expression.has(sympy.Piecewise) for region in regions)
    for build in (_indicator, _clamp, _hinge, _mirror, _shrink, _sum, _gate, _masked, _jump):
        body = build(regions, compiled, at)
        if body is not None:
            keeps_nan = (build is not _indicator or hasattr(body, "keeps_nan")) and not nested
            return Kernel(body, build.__name__.strip("_"), keeps_nan=keeps_nan)
    body, background = _select(regions, compiled)
    # the background piece gives nan at nan and no mask holds there (comparisons)
    keeps_nan = not nested and X in background.free_symbols
    return Kernel(body, "select", keeps_nan=keeps_nan)


Compiled = Callable[[Any], Callable[[np.ndarray], Any]]
At = Callable[[Region, Any, float], float]


def _indicator(regions: list[Region], compiled: Compiled, at: At) -> Body | None:
    """Every region constant: sum over runs of equal value of value * [x in run]."""
    if any(region.constant is None for region in regions):
        return None
    fast = _step(regions) or _interval(regions) or _outside(regions) or _sign_step(regions)
    if fast is None:
        return _indicator_sum(regions)
    return fast


def _step(regions: list[Region]) -> Body | None:
    """One nonzero value v on an open half-line (a, oo) or (-oo, a), 0 elsewhere (relu', the
    threshold's f'): v*ceil(clip(+-(x - a), 0, 1)), three passes that keep nan (fl(x - a) is
    never 0 for x != a: subnormals). The point a gets 0 (-0 at x = -0 where a = 0: a zero's
    sign may differ, as the module says)."""
    runs = _runs(regions)
    if len(runs) != 1:
        return None
    ((value, first, last),) = runs
    right = math.isinf(last.high) and not first.point and math.isfinite(first.low)
    left = math.isinf(first.low) and not last.point and math.isfinite(last.high)
    if not (right or left):
        return None
    a = first.low if right else last.high

    def body(x: np.ndarray, out: np.ndarray) -> None:
        if a == 0:
            np.clip(x if right else np.negative(x, out=out), 0.0, 1.0, out=out)
        else:
            (np.subtract(x, a, out=out) if right else np.subtract(a, x, out=out))
            np.clip(out, 0.0, 1.0, out=out)
        np.ceil(out, out=out)
        if value != 1:
            out *= out.dtype.type(value)

    body.keeps_nan = True  # type: ignore[attr-defined]
    body.coarse = True  # type: ignore[attr-defined]
    return body


def _to_value(out: np.ndarray, value: float) -> None:
    """out (integers: >= 1 inside, <= 0 outside, or nan) -> value inside, 0 outside, nan kept:
    clip(out, 0, v) for 0 < v <= 1 in one pass (in out's precision), else clip to [0, 1]
    then times v."""
    v = out.dtype.type(value)
    if 0 < v <= 1:
        np.clip(out, out.dtype.type(0), v, out=out)
        return
    np.clip(out, out.dtype.type(0), out.dtype.type(1), out=out)
    out *= v


def _per_dtype(build: Callable[[np.dtype], Any]) -> Callable[[np.dtype], Any]:
    """build(dtype), computed once per dtype."""
    cache: dict[Any, Any] = {}

    def get(dtype: np.dtype) -> Any:
        if dtype not in cache:
            cache[dtype] = build(np.dtype(dtype))
        return cache[dtype]

    return get


def _holds(dtype: np.dtype, *values: float) -> bool:
    """Every value exact in dtype (a breakpoint compared in float32 must not round)."""
    return all(float(dtype.type(value)) == value for value in values)


def _masks_keeping_nan(regions: list[Region]) -> Body:
    """`_indicator_sum` with nan written back (comparisons give 0 there): what a float form
    that keeps nan itself falls back to for a dtype its checks refuse."""
    masks = _indicator_sum(regions)

    def body(x: np.ndarray, out: np.ndarray) -> None:
        masks(x, out)
        if x.size and np.isnan(np.minimum.reduce(x, axis=None)):
            out[np.isnan(x)] = np.nan

    return body


def _float_indicator(regions: list[Region], bound: float, value: float) -> Callable[[Body], Body]:
    """Wraps the float passes of an indicator form (`_interval`, `_outside`), which leave an
    integer count >= 1 or <= 0 in out: the masks of `_masks_keeping_nan` for a dtype that
    does not hold `bound` exactly, else the passes and `_to_value`; nan kept, coarse blocks.
    The body keeps the form's name (the tests tell forms apart by it)."""
    fallback = _masks_keeping_nan(regions)

    def wrap(passes: Body) -> Body:
        @functools.wraps(passes)
        def body(x: np.ndarray, out: np.ndarray) -> None:
            if not _holds(out.dtype, bound):
                fallback(x, out)
                return
            passes(x, out)
            _to_value(out, value)

        body.keeps_nan = True  # type: ignore[attr-defined]
        body.coarse = True  # type: ignore[attr-defined]
        return body

    return wrap


def _interval(regions: list[Region]) -> Body | None:
    """One nonzero value v on an open interval (a, b), 0 elsewhere, its ends included
    (hardtanh', hard_sigmoid', relu6'). For a = -b, clip(ceil(b - |x|), 0, v) (`_to_value`:
    |x| is exact and fl(b - |x|) > 0 iff |x| < b, so ceil gives >= 1 inside, <= 0 at the
    ends and outside; four passes in out, nan kept; float32 where b does not hold takes
    `_indicator_sum`). Otherwise the masks of `_indicator_sum` (x > a, x < b: 1-byte passes)
    in coarse blocks: a float form needs (x - a)*(b - x) or min(x - a, b - x), a pass more,
    and |x - c| < r with c = (a + b)/2 rounds to r near an end at 0 (relu6': x - 3 is -3 for
    0 < x < 2**-52)."""
    runs = _runs(regions)
    if len(runs) != 1:
        return None
    ((value, first, last),) = runs
    a, b = first.low, last.high
    if first.point or last.point or not (math.isfinite(a) and math.isfinite(b)):
        return None
    if a != -b:
        masks = _indicator_sum(regions)
        masks.coarse = True  # type: ignore[attr-defined]
        return masks

    @_float_indicator(regions, b, value)
    def body(x: np.ndarray, out: np.ndarray) -> None:
        np.absolute(x, out=out)
        np.subtract(out.dtype.type(b), out, out=out)
        np.ceil(out, out=out)

    return body


def _outside(regions: list[Region]) -> Body | None:
    """One nonzero value v where |x| > r, 0 on [-r, r] (softshrink' and hardshrink'):
    v*[|x| > r] from rint(|x|) for r = 1/2 (ties to even: 1/2 gives 0, anything above at
    least 1; three passes), else ceil(|x| - r) (fl(|x| - r) > 0 iff |x| > r), then
    `_to_value`. nan is kept; float32 where r does not hold takes `_indicator_sum`."""
    runs = _runs(regions)
    if len(runs) != 2 or runs[0][0] != runs[1][0]:
        return None
    (value, left, inner), (_, outer, right) = runs
    r = outer.low
    if not (
        left.low == -math.inf
        and right.high == math.inf
        and inner.high == -r
        and r > 0
        and not inner.point
        and not outer.point
    ):
        return None

    @_float_indicator(regions, r, value)
    def body(x: np.ndarray, out: np.ndarray) -> None:
        np.absolute(x, out=out)
        if r == 0.5:
            np.rint(out, out=out)
        else:
            np.subtract(out, out.dtype.type(r), out=out)
            np.ceil(out, out=out)

    return body


def _sign_step(regions: list[Region]) -> Body | None:
    """Nonzero values L on (-oo, a) and R on (a, oo), 0 at a (leaky relu's f'): from t =
    (x - a)*2**emax (the subtraction skipped where a = 0), whose magnitude is at least
    2**(emax - 1074) (float32: 2**(127 - 149)) wherever x != a since fl(x - a) is never 0
    there, t clipped to [L, R]*2**-k (2**-k making both at most that magnitude: the clip
    saturates, and 0 stays 0, nan nan), then times 2**k: L, 0, R exactly. Where L and R have
    one sign, the clip's bounds are -|L| and |R| and the absolute value is taken before the
    scaling (times -2**k where both are negative); where L > 0 > R, t is negated by the
    scale. Four passes at most. Scaled values that would not be exact (subnormal) take
    `_indicator_sum` for that dtype."""
    runs = _runs(regions)
    if len(runs) != 2:
        return None
    (low_value, first, last), (high_value, after, final) = runs
    if not (
        first.low == -math.inf
        and final.high == math.inf
        and last.high == after.low
        and not last.point
        and not after.point
    ):
        return None
    a = last.high
    fallback = _masks_keeping_nan(regions)

    def plan(dtype: np.dtype) -> tuple[Any, ...] | None:
        if not _holds(dtype, a):
            return None
        info = np.finfo(dtype)
        emax = info.maxexp - 1
        smallest = math.frexp(float(info.smallest_subnormal))[1] - 1  # -1074, -149
        floor = emax + smallest  # |t| >= 2**floor where x != a
        left, right = float(dtype.type(low_value)), float(dtype.type(high_value))
        largest = max(abs(left), abs(right))
        k = math.frexp(largest)[1] - floor  # largest * 2**-k <= 2**floor
        same_sign = (left > 0) == (right > 0)
        if same_sign:
            low, high, scale_x = -abs(left), abs(right), 2.0**emax
        elif left < right:
            low, high, scale_x = left, right, 2.0**emax
        else:
            low, high, scale_x = right, left, -(2.0**emax)
        low_s, high_s = math.ldexp(low, -k), math.ldexp(high, -k)
        if not (_holds(dtype, low_s, high_s) and abs(k) <= emax):
            return None
        if Fraction(low_s) * 2**k != Fraction(low) or Fraction(high_s) * 2**k != Fraction(high):
            return None
        back = 2.0**k if not same_sign or left > 0 else -(2.0**k)
        t = dtype.type
        return t(scale_x), t(low_s), t(high_s), same_sign, t(back)

    plans = _per_dtype(plan)
    if plans(np.dtype(np.float64)) is None:
        return None

    def body(x: np.ndarray, out: np.ndarray) -> None:
        steps = plans(out.dtype)
        if steps is None:
            fallback(x, out)
            return
        scale_x, low_s, high_s, same_sign, back = steps
        if a == 0:
            np.multiply(x, scale_x, out=out)
        else:
            np.subtract(x, out.dtype.type(a), out=out)
            out *= scale_x
        np.clip(out, low_s, high_s, out=out)
        if same_sign:
            np.absolute(out, out=out)
        out *= back

    body.keeps_nan = True  # type: ignore[attr-defined]
    body.coarse = True  # type: ignore[attr-defined]
    return body


def _runs(regions: list[Region], zeros: bool = False) -> list[tuple[float, Region, Region]]:
    """Maximal runs of consecutive constant regions with one value, nonzero unless `zeros`:
    (value, first, last). A region of another value breaks a run, a point too: sign(x)**2 is
    1 on either side of 0 and 0 at 0, two runs of 1s."""
    runs: list[tuple[float, Region, Region]] = []
    extends = False  # the region before this one is the last run's last
    for region in regions:
        value = region.constant
        if value is None or (value == 0 and not zeros):
            extends = False
            continue
        if extends and runs[-1][0] == value:
            runs[-1] = (value, runs[-1][1], region)
        else:
            runs.append((value, region, region))
        extends = True
    return runs


def _mask(x: np.ndarray, first: Region, last: Region) -> np.ndarray | None:
    """[x in the union of regions first..last] (None: every x); |x| < a for (-a, a), one
    comparison fewer."""
    if math.isfinite(first.low) and first.low == -last.high and first.point == last.point:
        return (np.less_equal if first.point else np.less)(np.abs(x), last.high)
    mask = None
    if first.low != -math.inf:
        mask = np.greater_equal(x, first.low) if first.point else np.greater(x, first.low)
    if last.high != math.inf:
        upper = np.less_equal(x, last.high) if last.point else np.less(x, last.high)
        mask = upper if mask is None else np.logical_and(mask, upper, out=mask)
    return mask


def _union_mask(x: np.ndarray, runs: list[tuple[Region, Region]]) -> np.ndarray | None:
    """[x in any run]; |x| > a for the two runs (-oo, -a) and (a, oo)."""
    if len(runs) == 2:
        (left, inner), (outer, right) = runs
        if left.low == -right.high == -math.inf and inner.high == -outer.low:
            if inner.point == outer.point:
                compare = np.greater_equal if inner.point else np.greater
                return compare(np.abs(x), outer.low)
    mask = None
    for first, last in runs:
        part = _mask(x, first, last)
        mask = part if mask is None else np.logical_or(mask, part, out=mask)
    return mask


def _indicator_sum(regions: list[Region]) -> Body:
    runs = _runs(regions)

    def body(x: np.ndarray, out: np.ndarray) -> None:
        if not runs:
            out[...] = 0
        for index, (value, first, last) in enumerate(runs):
            mask = _mask(x, first, last)
            if index == 0 and mask is not None:
                if value == 1:
                    np.copyto(out, mask)
                else:  # in out's precision (float32 in Monte Carlo networks)
                    np.multiply(mask, out.dtype.type(value), out=out)
                continue
            if mask is None:
                term: Any = value
            elif value == 1:
                term = mask
            else:
                term = np.multiply(mask, value, dtype=out.dtype)
            if index:
                out += term
            else:
                out[...] = term

    return body


def _clamp(regions: list[Region], compiled: Compiled, at: At) -> Body | None:
    """One non-constant piece g on (a, b), constants elsewhere equal to g(a) on the left and
    g(b) on the right: f = g(clip(x, a, b))."""
    varying = [region for region in regions if region.constant is None]
    if len(varying) != 1 or varying[0].point:
        return None
    (middle,) = varying
    g = middle.expression
    for region in regions:
        if region is middle:
            continue
        end = middle.low if region.high <= middle.low else middle.high
        if at(middle, g, end) != region.constant:
            return None
    function = compiled(g)
    steps = _affine_steps(_prepared(g))
    low, high = middle.low, middle.high

    def body(x: np.ndarray, out: np.ndarray) -> None:
        _clip(x, low, high, out)
        if steps is not None:
            for ufunc, constant in steps:
                ufunc(out, constant, out=out)
        else:
            out[...] = function(out)

    body.one_pass = steps == []  # type: ignore[attr-defined]
    body.coarse = steps is not None  # type: ignore[attr-defined]
    return body


def _affine_steps(prepared: Any) -> list[tuple[np.ufunc, float]] | None:
    """a*x + b or c*(x + b) (a prepared piece) as the printed code computes it, one rounded
    operation at a time: [(multiply, a), (add, b)], [(add, b), (multiply, c)] (x alone: []),
    to be applied in place; None for anything else. fl(fl(a*x) + b) either way: the printed
    (1/6)*x + 1/2 rounds 1/6 as float() does, and (1/6)*(x + 3) is fl(fl(x + 3)*fl(1/6))."""
    if prepared == X:
        return []
    if isinstance(prepared, sympy.Mul) and len(prepared.args) == 2:
        constant, rest = prepared.args  # c*x, or c*(x + b) printed (c)*(x + b)
        inner = _affine_steps(rest) if constant.is_Number else None
        if inner is not None:
            return [*inner, (np.multiply, float(constant))]
    if isinstance(prepared, sympy.Add) and len(prepared.args) == 2:
        constant, rest = prepared.args
        inner = _affine_steps(rest) if constant.is_Number else None
        if inner is not None:
            return [*inner, (np.add, float(constant))]
    return None


def _clip(x: np.ndarray, low: float, high: float, out: np.ndarray) -> None:
    """x clipped to [low, high], an end +-inf for a half-line: numpy.clip is one vectorised
    pass, twice as fast as numpy.maximum(x, 0) with a scalar (0.22 against 0.45 ns a float64
    value); it keeps x = -0 at a 0 end (maximum gives +0)."""
    np.clip(x, low, high, out=out)


def _hinge(regions: list[Region], compiled: Compiled, at: At) -> Body | None:
    """Two pieces a*x and b*x (a, b nonzero constants) split at 0, f(0) = 0: f = max(a*x, b*x)
    for b >= a (convex), else the minimum. Exact: each piece is one rounded product of the
    same x, and rounding keeps the order of a*x and b*x on each side."""
    if len(regions) != 3 or regions[1].low != 0 or regions[1].constant != 0:
        return None
    left, right = regions[0].expression / X, regions[2].expression / X
    if not (left.is_Rational and right.is_Rational and left and right):
        return None
    a, b = float(left), float(right)
    combine = np.maximum if b >= a else np.minimum

    def body(x: np.ndarray, out: np.ndarray) -> None:
        np.multiply(x, a, out=out)
        if b == 1:
            combine(out, x, out=out)
        else:
            combine(out, np.multiply(x, b), out=out)

    return body


def _mirror(regions: list[Region], compiled: Compiled, at: At) -> Body | None:
    """Two pieces split at 0 with left(x) = right(-x) (even) or -right(-x) (odd), and f(0) =
    right(0): f = right(|x|), negated where x < 0 for an odd f (times copysign(1, x): x's sign
    given to the value would be wrong where right is negative, as in x/(|x| - 2) at x = -1)."""
    if len(regions) != 3 or regions[1].low != 0:
        return None
    left, zero, right = regions
    g = right.expression
    mirrored = g.subs(X, -X)
    odd = sympy.expand(left.expression + mirrored) == 0
    if not (odd or sympy.expand(left.expression - mirrored) == 0):
        return None
    if at(right, g, 0.0) != at(zero, zero.expression, 0.0) or (odd and at(right, g, 0.0) != 0):
        return None
    in_place = _mirror_in_place(_prepared(g), odd)
    if in_place is not None:
        return in_place
    function = compiled(g)

    def body(x: np.ndarray, out: np.ndarray) -> None:
        out[...] = function(np.abs(x))
        if odd:
            out *= np.copysign(1.0, x).astype(out.dtype, copy=False)

    return body


def _mirror_in_place(g: Any, odd: bool) -> Body | None:
    """The mirror of g = x/d(x) (odd) or d(x)**-1, d(x)**-2 (even), d = a*x + b with a >= 0
    and b > 0 (softsign and its f'), written into out with no temporary: |x| into out, d in
    place, then x/out (odd), 1/out or 1/(out*out) (even), as the printed g computes them
    (`_power` squares, then divides). The odd form is copysign(g(|x|), x) bit for bit:
    d(|x|) > 0 and division is symmetric in sign, -0 and nan included."""
    base, power = None, None
    if odd and isinstance(g, sympy.Mul) and len(g.args) == 2 and X in g.args:
        (other,) = [arg for arg in g.args if arg != X]
        if isinstance(other, sympy.Pow) and other.exp == -1:
            base, power = other.base, "divide"
    elif not odd and isinstance(g, sympy.Pow) and g.exp == -1:
        base, power = g.base, "reciprocal"
    elif not odd and isinstance(g, _integer_power) and g.args[1] == -2:
        base, power = g.args[0], "square"
    steps = _affine_steps(base) if base is not None else None
    if steps is None:
        return None
    slope = math.prod(c for ufunc, c in steps if ufunc is np.multiply)
    offset = sum(c for ufunc, c in steps if ufunc is np.add)
    if not (slope >= 0 and offset > 0):
        return None

    def body(x: np.ndarray, out: np.ndarray) -> None:
        np.absolute(x, out=out)
        for ufunc, constant in steps:
            ufunc(out, constant, out=out)
        if power == "divide":
            np.divide(x, out, out=out)
            return
        if power == "square":
            np.multiply(out, out, out=out)
        _reciprocal_of(out, out)

    return body


def _sum(regions: list[Region], compiled: Compiled, at: At) -> Body | None:
    """Every piece 0 at its finite ends and every breakpoint value 0: f = the sum over pieces
    of piece(x clipped to its interval), exact since all terms but one are 0."""
    terms = []
    for region in regions:
        if region.constant == 0:
            continue
        if region.constant is not None or region.point:
            return None  # a nonzero constant, or a breakpoint value that is not 0
        ends = [end for end in (region.low, region.high) if math.isfinite(end)]
        if any(at(region, region.expression, end) != 0 for end in ends):
            return None
        terms.append((region.low, region.high, region.expression, compiled(region.expression)))

    def body(x: np.ndarray, out: np.ndarray) -> None:
        clipped = np.empty_like(out)
        for index, (low, high, expression, function) in enumerate(terms):
            _clip(x, low, high, clipped)
            term = clipped if expression == X else function(clipped)
            if index:
                out += term
            else:
                out[...] = term

    return body


def _shrink(regions: list[Region], compiled: Compiled, at: At) -> Body | None:
    """x - f a clamp of x itself, constants c outside (a, b): f = x - clip(x, a, b)
    (softshrink), exact: each piece x - c is one rounded subtraction of the same x."""
    derived = _derived(regions, at, lambda e: sympy.expand(X - e), lambda x, y: x - y)
    if _clamp(derived, compiled, at) is None:
        return None
    (middle,) = [region for region in derived if region.constant is None]
    if middle.expression != X:
        return None
    low, high = middle.low, middle.high

    def body(x: np.ndarray, out: np.ndarray) -> None:
        _clip(x, low, high, out)
        np.subtract(x, out, out=out)

    return body


def _gate(regions: list[Region], compiled: Compiled, at: At) -> Body | None:
    """f/x a clamp g(clip(x, a, b)) (hardswish: (x + 3)/6 on (-3, 3), 0 left, 1 right): f =
    m*g(clip(x, a, b)), m = x clipped to [a, oo) where f/x is 0 on the left (0*-inf would be
    nan), likewise on the right. The breakpoints and +-inf are checked against the pieces."""
    if any(region.point and region.low == 0 for region in regions):
        return None
    derived = _derived(regions, at, _over_x, lambda x, y: y / x)
    gate = _clamp(derived, compiled, at)
    if gate is None:
        return None
    low = derived[0].high if derived[0].constant == 0 else -math.inf
    high = derived[-1].low if derived[-1].constant == 0 else math.inf

    def clipped(x: np.ndarray, out: np.ndarray) -> None:
        gate(x, out)
        out *= np.clip(x, low, high)

    def body(x: np.ndarray, out: np.ndarray) -> None:
        # m = x: beyond a clipped end the gate is 0, so x*0 is the same zero as m*0 (the
        # sign of x), except at +-inf (nan): found by one reduction, patched by the clip
        gate(x, out)
        out *= x
        if low == -math.inf and high == math.inf or not x.size:
            return
        reduce = np.minimum.reduce if high == math.inf else np.maximum.reduce
        if low > -math.inf and high < math.inf:
            reduce = np.add.reduce  # inf or nan where some x is (or where the sum overflows)
        if not math.isfinite(reduce(x, axis=None)):
            where = np.isinf(x)
            if where.any():
                patched = np.empty(np.count_nonzero(where), dtype=out.dtype)
                clipped(x[where], patched)
                out[where] = patched

    checks = [(r, r.low) for r in regions if r.point]
    checks += [(regions[0], -math.inf), (regions[-1], math.inf)]
    points = np.array([point for _, point in checks])
    got = np.empty_like(points)
    with np.errstate(all="ignore"):
        body(points, got)
    expected = [at(region, region.expression, point) for region, point in checks]
    if not all(g == e for g, e in zip(got, expected, strict=True)):
        return None
    body.coarse = getattr(gate, "coarse", False)  # type: ignore[attr-defined]
    return body


def _over_x(expression: Any) -> Any:
    """expression/x, a product's other factors kept as written (SymPy would distribute 1/6 over
    x + 3 and round x/6 + 1/2 where x + 3 is exact)."""
    if isinstance(expression, sympy.Mul) and X in expression.args:
        factors = list(expression.args)
        factors.remove(X)
        return sympy.Mul(*factors, evaluate=False)
    return expression / X


def _masked(regions: list[Region], compiled: Compiled, at: At) -> Body | None:
    """One polynomial piece g, 0 elsewhere (breakpoints included) on bounded regions only:
    f = g(x) * [x in g's regions] (hardshrink: x * [|x| > 1/2]), exact: g is finite where the
    factor is 0, so the product is g(x) or a zero."""
    pieces = {region.expression for region in regions if region.constant is None}
    if len(pieces) != 1:
        return None
    (g,) = pieces
    zeros = [region for region in regions if region.constant is not None]
    if not g.is_polynomial(X) or any(
        region.constant != 0 or math.isinf(region.low) or math.isinf(region.high)
        for region in zeros
    ):
        return None
    function = compiled(g)
    runs = _piece_runs(regions, g)
    # [|x| > r] as floats in out where g holds outside [-r, r] (hardshrink): three passes
    # that keep nan, then times g(x), where the 1-byte mask cost a pass more and a mixed
    # bool-float product (x*1.0 and x*0.0 are the same either way)
    indicator = _outside(
        [
            Region(r.low, r.high, *((sympy.S.One, 1.0) if r.expression == g else (0, 0.0)))
            for r in regions
        ]
    )
    if indicator is not None:

        def fast(x: np.ndarray, out: np.ndarray) -> None:
            indicator(x, out)
            out *= x if g == X else function(x)

        fast.coarse = g == X  # type: ignore[attr-defined]
        return fast

    def body(x: np.ndarray, out: np.ndarray) -> None:
        np.multiply(x if g == X else function(x), _union_mask(x, runs), out=out)

    return body


def _jump(regions: list[Region], compiled: Compiled, at: At) -> Body | None:
    """One non-constant piece g on one side of a breakpoint a (the point included), a constant
    v on the other (SELU's f': scale*alpha*exp(x) for x <= 0, scale beyond): f = g(x clipped
    to g's side) - k*[x beyond a], k = g(a) - v, the indicator a comparison written as 1.0 or
    0.0 (at nan g(nan) is nan). Exact where g(a) - k is v and k is exact; a masked write of v
    over a random half of the points costs 4x more (mispredicted branches)."""
    if len(regions) != 3:
        return None
    left, point, right = regions
    varying, constant = (left, right) if right.constant is not None else (right, left)
    if varying.constant is not None or constant.constant is None:
        return None
    g, a, v = varying.expression, point.low, constant.constant
    g_a = at(varying, g, a)
    if at(point, point.expression, a) != g_a or not math.isfinite(g_a):
        return None
    piece = _smooth_body(g)
    on_left = varying is left
    steps: dict[Any, Any] = {}

    def step(dtype: Any) -> Any:
        """k in `dtype` (g(a) as the piece gives it there: float32 in Monte Carlo networks),
        None where g(a) - k would not give v exactly."""
        if dtype not in steps:
            g_a = np.empty(1, dtype=dtype)
            with np.errstate(all="ignore"):
                piece(np.array([a], dtype=dtype), g_a)
            v_d = dtype.type(v)
            k = g_a[0] - v_d
            exact = Fraction(float(g_a[0])) - Fraction(float(v_d)) == Fraction(float(k))
            steps[dtype] = k if exact and g_a[0] - k == v_d else None
        return steps[dtype]

    if step(np.dtype(np.float64)) is None:
        return None

    def body(x: np.ndarray, out: np.ndarray) -> None:
        side = np.empty_like(out)
        _clip(x, -math.inf if on_left else a, a if on_left else math.inf, side)
        piece(side, out)
        k = step(out.dtype)
        if k is None:  # v by a masked write (float32 where g(a) - k rounds)
            np.copyto(out, v, where=(x > a) if on_left else (x < a))
            return
        # [x beyond a] as 1.0 or 0.0 (nan: 0, out is nan there), x compared with a in x's
        # dtype as fl(x - a) was: one comparison where x - a, its clip and ceil took three
        (np.greater if on_left else np.less)(x, a, out=side)
        side *= k
        out -= side

    return body


def _derived(
    regions: list[Region],
    at: At,
    piece: Callable[[Any], Any],
    value: Callable[[float, float], float],
) -> list[Region]:
    """The regions of h(f) (h: x - f or f/x), symbolically on the intervals, from the generic
    float value at the breakpoints."""
    derived = []
    for region in regions:
        if region.point:
            point_value = at(region, region.expression, region.low)
            point_value = _finite(value(region.low, point_value))
            derived.append(Region(region.low, region.high, sympy.nan, point_value))
        else:
            expression = piece(region.expression)
            derived.append(Region(region.low, region.high, expression, _constant(expression)))
    return derived


def _select(regions: list[Region], compiled: Compiled) -> tuple[Body, Any]:
    """The non-constant piece with the most unbounded regions (x - tanh(x) in tanhshrink, a*exp(x)
    in SELU's f') on the whole array, written into out, then every other region written over
    it (`_overwrite`): the constants, and each other piece. Returns the body and that piece."""
    pieces: dict[Any, list[Region]] = {}
    for region in regions:
        if region.constant is None:
            pieces.setdefault(region.expression, []).append(region)

    def unbounded(expression: Any) -> tuple[int, int]:
        group = pieces[expression]
        ends = sum(math.isinf(r.low) + math.isinf(r.high) for r in group)
        return ends, len(group)

    widest = max(pieces, key=unbounded)
    background = _smooth_body(widest)  # written into out, as compiled(widest) computes it

    def written_anyway(value: float, first: Region, last: Region) -> bool:
        """A breakpoint's value (tanhshrink's at +-1/4 and 0) that its piece writes there
        itself: one comparison pass fewer each. A piece other than the background writes
        its breakpoints after the constants; the background's value is checked here."""
        if first is not last or not first.point or first.expression not in pieces:
            return False
        if first.expression != widest:
            return True
        got = np.empty(1)
        with np.errstate(all="ignore"):
            background(np.array([first.low]), got)
        return bool(got[0] == value and np.signbit(got[0]) == np.signbit(value))

    constants = [run for run in _runs(regions, zeros=True) if not written_anyway(*run)]
    plan = [
        (
            _in_place(_prepared(expression)) or compiled(expression),
            _piece_runs(regions, expression),
            sympy.count_ops(expression),
        )
        for expression in pieces
        if expression != widest
    ]

    def overwrite(x: np.ndarray, out: np.ndarray) -> None:
        for value, first, last in constants:
            _overwrite(out, _mask(x, first, last), value, x, 0)
        for function, runs, operations in plan:
            _overwrite(out, _union_mask(x, runs), function, x, operations)

    def body(x: np.ndarray, out: np.ndarray) -> None:
        background(x, out)
        overwrite(x, out)

    (only,) = pieces[widest] if len(pieces[widest]) == 1 else (None,)
    if only is None or only.point or math.isinf(only.low) and math.isinf(only.high):
        return body, widest
    low, high = only.low, only.high

    def gathered(x: np.ndarray, out: np.ndarray) -> None:
        """The background piece holds on one open interval (hardswish's f' on (-3, 3)): one
        mask of the rest (|x| >= b for (-b, b)); where its points are few, the other regions
        are written over those points alone, gathered (a 3-sigma tail: the constants' masks
        and copies over the whole block cost 2.5x the piece itself)."""
        background(x, out)
        if low == -high:
            rest = np.greater_equal(np.absolute(x), high)
        elif math.isinf(low):
            rest = np.greater_equal(x, high)
        elif math.isinf(high):
            rest = np.less_equal(x, low)
        else:
            rest = np.logical_or(np.less_equal(x, low), np.greater_equal(x, high))
        count = np.count_nonzero(rest)
        if SPARSE * count >= rest.size:
            overwrite(x, out)
        elif count:
            where = np.flatnonzero(rest) if rest.ndim == 1 else rest
            values = out[where]
            overwrite(x[where], values)
            out[where] = values

    return gathered, widest


# A region's points gathered by index, evaluated and scattered back cost about this many
# array operations per point (`numpy.flatnonzero`, a take, a put), against `operations` per
# point of the whole block for the piece under a mask
GATHER_OPERATIONS = 12


def _overwrite(
    out: np.ndarray, mask: np.ndarray, function: Any, x: np.ndarray, operations: int
) -> None:
    """out = function(x) where mask holds (`function` a constant, or a piece of `operations`
    operations): on those points only, gathered by index, where they are few (a breakpoint)
    or the piece costs more on the whole block than gathered (tanhshrink's series, 24
    operations on a fifth of normal inputs: 2.5 ns a value where the whole block took 8);
    else one masked copy of the piece evaluated on the whole block (a boolean gather over a
    random half of the points costs 4x more, on mispredicted branches)."""
    count = np.count_nonzero(mask)
    constant = not callable(function)
    if SPARSE * count < mask.size or (
        count * (operations + GATHER_OPERATIONS) < mask.size * operations
    ):
        if count:
            where = np.flatnonzero(mask) if mask.ndim == 1 else mask
            out[where] = function if constant else function(x[where])
    else:
        np.copyto(out, function if constant else function(x), where=mask)


def _piece_runs(regions: list[Region], piece: Any) -> list[tuple[Region, Region]]:
    """Maximal runs of consecutive regions that `piece` evaluates (its breakpoints included,
    also where their value was made a constant): (first, last)."""
    runs: list[tuple[Region, Region]] = []
    extends = False
    for region in regions:
        if region.expression != piece:
            extends = False
            continue
        if extends:
            runs[-1] = (runs[-1][0], region)
        else:
            runs.append((region, region))
        extends = True
    return runs
