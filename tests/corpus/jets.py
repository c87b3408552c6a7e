"""Second-order jets over mpmath: f, f' and f'' of a formula, evaluated together.

Written for the corpus and the generative test, with no actcli and no SymPy: a formula is a
Python function of one argument built from the operators and the functions below, and calling
it on `Jet.variable(x)` gives (f(x), f'(x), f''(x)) by the chain rule, each primitive with its
derivatives written out by hand (the comment on each says which identity). The same functions
accept plain mpf numbers and then give plain values, so a formula can also be integrated with
`mpmath.quad`.

The derivatives of the primitives are written in forms that do not cancel at any precision
(sech(u)**2, not 1 - tanh(u)**2; exp(-|u|)/(1 + exp(-|u|))**2 for sigmoid'), and mpmath's
exponent range is unbounded, so exp(1e8) is a number, not an overflow.

`const` marks a jet of a subexpression that is constant near the point (no x in it, or
the constant argument that max or min picked there). `kink` marks a jet computed
exactly at a point where a primitive is not smooth (abs, sign,
max, min, heaviside at a tie; sqrt or a fractional power at 0): its value is right, its
derivatives are not to be trusted there. A value outside the real domain (log of a negative
number) is nan.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from mpmath import mp, mpf

NAN = mpf("nan")


def num(value: Any) -> mpf:
    """An exact number (int, Fraction, decimal string) as an mpf at the current precision."""
    if isinstance(value, Fraction):
        return mpf(value.numerator) / value.denominator
    if isinstance(value, str):
        return mpf(value)
    return mpf(value)


def _real(value: Any) -> mpf:
    """mpf, with complex results (outside the real domain) as nan."""
    if isinstance(value, mp.mpc):
        return value.real if value.imag == 0 else NAN
    return value


class Jet:
    """(v, d1, d2) = (f, f', f'') at one point, and whether a kink was hit there."""

    __slots__ = ("v", "d1", "d2", "kink", "const")

    def __init__(
        self, v: Any, d1: Any = 0, d2: Any = 0, kink: bool = False, const: bool = False
    ) -> None:
        self.v = mpf(v)
        self.d1 = mpf(d1)
        self.d2 = mpf(d2)
        self.kink = kink
        self.const = const

    @classmethod
    def variable(cls, x: Any) -> Jet:
        return cls(mpf(x), 1, 0)

    def __repr__(self) -> str:
        return f"Jet({self.v}, {self.d1}, {self.d2}, kink={self.kink})"

    # -- arithmetic

    def __add__(self, other: Any) -> Jet:
        o = lift(other)
        return Jet(
            self.v + o.v,
            self.d1 + o.d1,
            self.d2 + o.d2,
            self.kink or o.kink,
            self.const and o.const,
        )

    __radd__ = __add__

    def __neg__(self) -> Jet:
        return Jet(-self.v, -self.d1, -self.d2, self.kink, self.const)

    def __pos__(self) -> Jet:
        return self

    def __sub__(self, other: Any) -> Jet:
        return self + (-lift(other))

    def __rsub__(self, other: Any) -> Jet:
        return lift(other) + (-self)

    def __mul__(self, other: Any) -> Jet:
        o = lift(other)
        # (ab)' = a'b + ab', (ab)'' = a''b + 2a'b' + ab''
        return Jet(
            self.v * o.v,
            self.d1 * o.v + self.v * o.d1,
            self.d2 * o.v + 2 * self.d1 * o.d1 + self.v * o.d2,
            self.kink or o.kink,
            self.const and o.const,
        )

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Jet:
        a, b = self, lift(other)
        if b.v == 0:
            return Jet(NAN, NAN, NAN, True, a.const and b.const)
        # q = a/b: q' = (a' - q b')/b, q'' = (a'' - 2 q' b' - q b'')/b
        q = a.v / b.v
        q1 = (a.d1 - q * b.d1) / b.v
        q2 = (a.d2 - 2 * q1 * b.d1 - q * b.d2) / b.v
        return Jet(q, q1, q2, a.kink or b.kink, a.const and b.const)

    def __rtruediv__(self, other: Any) -> Jet:
        return lift(other) / self

    def __pow__(self, other: Any) -> Jet:
        if isinstance(other, Jet):
            return exp(other * log(self))
        if isinstance(other, int) or (isinstance(other, Fraction) and other.denominator == 1):
            return _integer_power(self, int(other))
        return _real_power(self, num(other))

    def __rpow__(self, other: Any) -> Jet:
        return exp(self * log(num(other)))


def lift(value: Any) -> Jet:
    return value if isinstance(value, Jet) else Jet(num(value), 0, 0, const=True)


def val(value: Any) -> mpf:
    """The value of a jet or a number (for choosing a branch of a piecewise formula)."""
    return value.v if isinstance(value, Jet) else mpf(value)


def chain(u: Any, g: mpf, g1: mpf, g2: mpf, kink: bool = False) -> Any:
    """h = g(u): h' = g'(u) u', h'' = g''(u) u'^2 + g'(u) u''; a number when u is one."""
    if not isinstance(u, Jet):
        return g
    if u.const:  # a constant argument: no derivative terms (0 * inf is 0 here)
        return Jet(g, 0, 0, u.kink, True)
    # where g is not smooth (kink), a zero u' does not make h' exist: nan * 0 stays nan
    return Jet(g, g1 * u.d1, g2 * u.d1**2 + g1 * u.d2, u.kink or kink)


def _integer_power(u: Jet, n: int) -> Jet:
    if n == 0:
        return Jet(1, 0, 0, u.kink, u.const)
    if n == 1:
        return u
    if u.v == 0 and n < 0:
        return Jet(NAN, NAN, NAN, True, u.const)
    # (u^n)' = n u^(n-1), (u^n)'' = n(n-1) u^(n-2)
    return chain(u, u.v**n, n * u.v ** (n - 1), n * (n - 1) * u.v ** (n - 2))


def _real_power(u: Jet, r: mpf) -> Jet:
    if u.v < 0:
        return Jet(NAN, NAN, NAN, True, u.const)
    if u.v == 0:
        value = mpf(0) if r > 0 else NAN
        return chain(u, value, NAN, NAN, kink=True)
    # (u^r)' = r u^(r-1), (u^r)'' = r(r-1) u^(r-2)
    return chain(u, u.v**r, r * u.v ** (r - 1), r * (r - 1) * u.v ** (r - 2))


# -- the functions of the README's expression grammar


# Beyond these magnitudes a primitive is given by its limit (exp(1e15) is no float, and
# mpmath would need more memory than there is to write exp(exp(1e8)) down), or as unknown (nan):
# sin(exp(1e8)) would need 4e7 digits of pi.
HUGE = mpf(10) ** 15
WIDE = mpf(10) ** 40


def exp(u: Any) -> Any:
    v = val(u)
    if v > HUGE:
        return chain(u, mp.inf, mp.inf, mp.inf)
    if v < -HUGE:
        return chain(u, mpf(0), mpf(0), mpf(0))
    e = mp.exp(v)
    return chain(u, e, e, e)


def expm1(u: Any) -> Any:
    v = val(u)
    if abs(v) > HUGE:
        e = val(exp(v))
        return chain(u, e - 1, e, e)
    e = mp.exp(v)
    return chain(u, mp.expm1(v), e, e)


def log(u: Any) -> Any:
    v = val(u)
    if v < 0 or mp.isnan(v):
        return chain(u, NAN, NAN, NAN, kink=True)
    if v == 0:
        return chain(u, mp.ninf, NAN, NAN, kink=True)
    # log' = 1/u, log'' = -1/u^2
    return chain(u, mp.log(v), 1 / v, -1 / v**2)


def log1p(u: Any) -> Any:
    v = val(u)
    if v < -1 or mp.isnan(v):
        return chain(u, NAN, NAN, NAN, kink=True)
    if v == -1:
        return chain(u, mp.ninf, NAN, NAN, kink=True)
    return chain(u, mp.log1p(v), 1 / (1 + v), -1 / (1 + v) ** 2)


def sqrt(u: Any) -> Any:
    v = val(u)
    if v < 0 or mp.isnan(v):
        return chain(u, NAN, NAN, NAN, kink=True)
    if v == 0:
        return chain(u, mpf(0), NAN, NAN, kink=True)
    s = mp.sqrt(v)
    # sqrt' = 1/(2 sqrt u), sqrt'' = -1/(4 u sqrt u)
    return chain(u, s, 1 / (2 * s), -1 / (4 * v * s))


def sign(u: Any) -> Any:
    v = val(u)
    return chain(u, mp.sign(v), 0, 0, kink=(v == 0))


def abs_(u: Any) -> Any:
    v = val(u)
    return chain(u, abs(v), mp.sign(v), 0, kink=(v == 0))


def sin(u: Any) -> Any:
    v = val(u)
    if abs(v) > WIDE:
        return chain(u, NAN, NAN, NAN)
    return chain(u, mp.sin(v), mp.cos(v), -mp.sin(v))


def cos(u: Any) -> Any:
    v = val(u)
    if abs(v) > WIDE:
        return chain(u, NAN, NAN, NAN)
    return chain(u, mp.cos(v), -mp.sin(v), -mp.cos(v))


def tanh(u: Any) -> Any:
    v = val(u)
    if abs(v) > HUGE:  # sech(u)^2 < exp(-2e15): 0 for every float purpose
        return chain(u, mp.sign(v), 0, 0)
    t = mp.tanh(v)
    s2 = mp.sech(v) ** 2  # tanh' = sech^2 (never 1 - tanh^2, which cancels)
    return chain(u, t, s2, -2 * t * s2)


def sinh(u: Any) -> Any:
    v = val(u)
    if abs(v) > HUGE:
        big = mp.sign(v) * mp.inf
        return chain(u, big, mp.inf, big)
    return chain(u, mp.sinh(v), mp.cosh(v), mp.sinh(v))


def cosh(u: Any) -> Any:
    v = val(u)
    if abs(v) > HUGE:
        big = mp.sign(v) * mp.inf
        return chain(u, mp.inf, big, mp.inf)
    return chain(u, mp.cosh(v), mp.sinh(v), mp.cosh(v))


def atan(u: Any) -> Any:
    v = val(u)
    # atan' = 1/(1 + u^2), atan'' = -2u/(1 + u^2)^2
    return chain(u, mp.atan(v), 1 / (1 + v**2), -2 * v / (1 + v**2) ** 2)


def erf(u: Any) -> Any:
    v = val(u)
    if abs(v) > HUGE:
        return chain(u, mp.sign(v), 0, 0)
    g1 = 2 / mp.sqrt(mp.pi) * mp.exp(-(v**2))  # erf' = 2/sqrt(pi) exp(-u^2)
    return chain(u, mp.erf(v), g1, -2 * v * g1)


def erfc(u: Any) -> Any:
    v = val(u)
    if abs(v) > HUGE:
        return chain(u, 1 - mp.sign(v), 0, 0)
    g1 = -2 / mp.sqrt(mp.pi) * mp.exp(-(v**2))
    return chain(u, mp.erfc(v), g1, -2 * v * g1)


def sigmoid(u: Any) -> Any:
    v = val(u)
    if abs(v) > HUGE:
        return chain(u, mpf(1) if v > 0 else mpf(0), 0, 0)
    s = 1 / (1 + mp.exp(-v))
    # sigmoid' = s(1 - s) = exp(-|u|)/(1 + exp(-|u|))^2 (no 1 - s cancellation);
    # sigmoid'' = s'(1 - 2s) = -s' tanh(u/2)
    e = mp.exp(-abs(v))
    s1 = e / (1 + e) ** 2
    return chain(u, s, s1, -s1 * mp.tanh(v / 2))


def softplus(u: Any) -> Any:
    v = val(u)
    if abs(v) > HUGE:
        return chain(u, v, 1, 0) if v > 0 else chain(u, mpf(0), 0, 0)
    # log(1 + exp(u)) = max(u, 0) + log1p(exp(-|u|)); softplus' = sigmoid
    value = max(v, 0) + mp.log1p(mp.exp(-abs(v)))
    s = 1 / (1 + mp.exp(-v))
    e = mp.exp(-abs(v))
    return chain(u, value, s, e / (1 + e) ** 2)


def heaviside(u: Any, h0: Any = Fraction(1, 2)) -> Any:
    v = val(u)
    value = num(h0) if v == 0 else (mpf(1) if v > 0 else mpf(0))
    return chain(u, value, 0, 0, kink=(v == 0))


def _pick(args: tuple[Any, ...], largest: bool) -> Any:
    values = [val(a) for a in args]
    if any(mp.isnan(v) for v in values):
        return Jet(NAN, NAN, NAN, True) if any(isinstance(a, Jet) for a in args) else NAN
    best = max(values) if largest else min(values)
    tied = [a for a, v in zip(args, values, strict=True) if v == best]
    chosen = lift(tied[0]) if any(isinstance(a, Jet) for a in args) else tied[0]
    if len(tied) > 1 and isinstance(chosen, Jet):
        jets = [lift(a) for a in tied]
        same = all(j.d1 == jets[0].d1 and j.d2 == jets[0].d2 for j in jets)
        kink = any(j.kink for j in jets) or not same  # min(x, min(x, x**2)) at 0: the inner one
        return Jet(chosen.v, chosen.d1, chosen.d2, kink, chosen.const)
    return chosen


def max_(*args: Any) -> Any:
    return _pick(args, largest=True)


def min_(*args: Any) -> Any:
    return _pick(args, largest=False)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": exp,
    "log": log,
    "log1p": log1p,
    "expm1": expm1,
    "sqrt": sqrt,
    "abs": abs_,
    "sign": sign,
    "sin": sin,
    "cos": cos,
    "tanh": tanh,
    "sinh": sinh,
    "cosh": cosh,
    "atan": atan,
    "erf": erf,
    "erfc": erfc,
    "sigmoid": sigmoid,
    "softplus": softplus,
    "heaviside": heaviside,
    "max": max_,
    "min": min_,
}


# -- evaluation at a float, at a precision that is high enough


def _agree(a: mpf, b: mpf, digits: int) -> bool:
    """a (at 2*digits) and b (at digits) are the same value: to 28 digits, or both within
    1e-310 of 0 at 400 digits or more (a cancellation that leaves 0 at 50 and 100 digits can
    still hide 1e-120, which is a float)."""
    if mp.isnan(a) or mp.isnan(b):
        return bool(mp.isnan(a) and mp.isnan(b))
    if mp.isinf(a) or mp.isinf(b):
        return a == b
    tiny = mpf(10) ** -310
    if abs(a) <= tiny and abs(b) <= tiny:
        return digits >= 400
    return abs(a - b) <= mpf(10) ** -28 * abs(b)


def reference(
    formula: Callable[[Any], Any], x: float, digits: tuple[int, ...] = (50, 100, 200, 400, 800)
) -> tuple[tuple[mpf, mpf, mpf], bool, bool]:
    """(f, f', f'') of `formula` at the float x, whether they settled, and the kink flag.

    Evaluated at 50 digits, then at twice that, and so on, until two successive precisions
    agree to 28 digits (values within 1e-310 of 0 only from 400 digits on): a formula that
    cancels (x + sqrt(x**2 + 4) at x = -1e8) loses digits, and the agreement says that enough
    were left.
    """
    previous = None
    current: tuple[mpf, mpf, mpf] = (NAN, NAN, NAN)
    kink = False
    for i, d in enumerate(digits):
        with mp.workdps(d):
            jet = lift(formula(Jet.variable(mpf(x))))
            current = (jet.v, jet.d1, jet.d2)
            kink = jet.kink
        if previous is not None and all(
            _agree(a, b, digits[i - 1]) for a, b in zip(current, previous, strict=True)
        ):
            return current, True, kink
        previous = current
    return current, False, kink


def value_at(formula: Callable[[Any], Any], x: Any, dps: int = 50) -> mpf:
    """f(x) only, as an mpf (plain-number evaluation), at `dps` digits; nan where the formula
    is undefined (a division by 0 is evaluated on jets, which give nan)."""
    with mp.workdps(dps):
        try:
            return _real(val(formula(mpf(x))))
        except ZeroDivisionError:
            return _real(val(formula(Jet.variable(mpf(x)))))


MAX_FLOAT = mpf(float.fromhex("0x1.fffffffffffffp+1023"))


def to_float(value: mpf) -> float:
    """The float64 nearest an mpf: +-inf beyond the largest float, nan for nan."""
    if mp.isnan(value):
        return math.nan
    if mp.isinf(value) or abs(value) > MAX_FLOAT:
        return math.copysign(math.inf, float(mp.sign(value)))
    return float(value)
