"""The kernels `Activation.function` runs (`actcli.kernels`) against the generic compiled path
(`compiler.compile_scalar`, numpy.select over every piece): a second method for the same
values. Piecewise kernels must give the generic values exactly, at breakpoints, their float
neighbours, +-0, +-inf, nan and +-1e300 included; smooth kernels (shared exp, tail-only
compensation) agree to rounding, and their accuracy against mpmath is tested in
test_numeric_accuracy.py and test_numeric_float32.py."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from actcli.activation import bind
from actcli.api import load_activation
from actcli.compiler import compile_scalar
from actcli.expr import X
from actcli.kernels import BLOCK
from actcli.numeric import NAN_PROPAGATING
from actcli.registry import Registry

SCALARS = [spec for spec in Registry.default() if spec.kind == "scalar"]
PIECEWISE = ("indicator", "clamp", "hinge", "mirror", "sum", "select", "jump")


def probes(activation) -> np.ndarray:
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e300, -1e300, 5e-324, -5e-324, 1e-8, -1e-8]
    near = []
    for point, _ in activation.breakpoints():
        for direction in (np.inf, -np.inf):
            value = point
            for _ in range(3):
                value = np.nextafter(value, direction)
                near.append(value)
        near += [point, point + 1e-9, point - 1e-9]
    grid = np.linspace(-40, 40, 1601)
    spread = np.random.default_rng(0).standard_normal(400) * 4
    return np.concatenate([special, near, grid, spread])


def same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnan(a) & np.isnan(b))


@pytest.mark.parametrize("order", [0, 1, 2])
@pytest.mark.parametrize("spec", SCALARS, ids=lambda spec: spec.name)
def test_kernel_agrees_with_the_generic_path(spec, order):
    activation = bind(spec)
    x = probes(activation)
    kernel = activation.function(order)
    generic = compile_scalar(activation.numeric_source(order))(x)
    got = kernel(x)
    assert got.dtype == np.float64 and got.shape == x.shape
    if kernel.strategy in PIECEWISE and linear_pieces(activation.numeric_source(order)):
        assert same(got, generic).all(), x[~same(got, generic)][:5]
    else:  # a piece rewritten (x**3 as x*x*x, sigmoid with a shared exp): rounding differs
        close = same(got, generic) | np.isclose(got, generic, rtol=1e-12, atol=1e-300)
        assert close.all(), x[~close][:5]


def linear_pieces(expression) -> bool:
    """Every piece a polynomial of degree <= 1 in x: evaluated with the generic path's own
    arithmetic, so a piecewise kernel must give its values bit for bit (zeros' signs aside)."""
    pieces = [value for value, _ in expression.args]
    return all(p.is_polynomial(X) and sympy.degree(p, X) <= 1 for p in pieces)


@pytest.mark.parametrize(
    ("name", "order", "strategy"),
    [
        ("relu", 0, "clamp"),  # maximum(x, 0)
        ("relu", 1, "indicator"),  # [x > 0]
        ("hardtanh", 0, "clamp"),  # clip(x, -1, 1)
        ("hard_sigmoid", 0, "clamp"),  # (clip(x, -3, 3) + 3)/6
        ("elu", 1, "clamp"),  # exp(minimum(x, 0))
        ("leaky_relu", 0, "hinge"),  # maximum(x/100, x)
        ("elu", 0, "sum"),  # maximum(x, 0) + expm1(minimum(x, 0))
        ("softshrink", 0, "shrink"),  # x - clip(x, -1/2, 1/2)
        ("hardswish", 0, "gate"),  # x*((clip(x, -3, 3) + 3)/6)
        ("softsign", 0, "mirror"),  # copysign(|x|/(|x| + 1), x)
        ("softsign", 1, "mirror"),
        ("hardshrink", 0, "masked"),  # x * [|x| > 1/2]
        ("selu", 1, "jump"),  # a*exp(min(x, 0)) - (a - scale)*[x > 0]
        ("tanhshrink", 0, "select"),  # x - tanh(x), then its series where |x| < 1/4
        ("binary_step", 1, "constant"),  # numpy.zeros, nan written back
        ("tanh", 1, "smooth"),  # sech(x)**2, a lone sigmoid pair
        ("tanh", 0, "ufunc"),  # numpy.tanh(x, out=...)
    ],
)
def test_kernel_form_follows_the_structure(name, order, strategy):
    assert load_activation(name).function(order).strategy == strategy


@pytest.mark.parametrize(
    ("expression", "builtin", "strategy"),
    [
        ("max(0, x)", "relu", "clamp"),
        ("max(x, x/100)", "leaky_relu", "hinge"),
        ("abs(x)", None, "hinge"),  # max(-x, x)
        ("min(max(x, -1), 1)", "hardtanh", "clamp"),
        ("x*min(max(x + 3, 0), 6)/6", "hardswish", "gate"),
        ("x - min(max(x, -1/2), 1/2)", "softshrink", "shrink"),
    ],
)
def test_user_expression_gets_the_builtin_kernel(expression, builtin, strategy):
    user = load_activation(expression=expression)
    reference = load_activation(builtin) if builtin else user
    x = probes(reference)
    for order in (0, 1):
        source = reference.numeric_source(order)
        generic = compile_scalar(source)(x)
        got = user.function(order)(x)
        if linear_pieces(source):  # bit for bit
            assert same(got, generic).all()
        else:  # hardswish's x*(x + 3)/6 as x*((x + 3)/6)
            assert (same(got, generic) | np.isclose(got, generic, rtol=1e-12, atol=1e-300)).all()
    assert user.function(0).strategy == strategy


def test_a_breakpoint_float64_does_not_hold_keeps_the_generic_path():
    activation = load_activation(expression="max(x, 1/3)")
    kernel = activation.function(0)
    x = np.array([0.0, 1 / 3, np.nextafter(1 / 3, 1), 1.0, np.nan, -np.inf])
    generic = compile_scalar(activation.numeric_source(0))(x)
    assert kernel.strategy == "generic"
    assert same(kernel(x), generic).all()


@pytest.mark.parametrize(
    "name",
    [
        "relu",
        "leaky_relu",
        "hardtanh",
        "selu",
        "tanh",
        "gelu",
        "sigmoid",
        "silu",
        "hardswish",
        "hardshrink",
        "softshrink",
        "tanhshrink",
        "binary_step",
    ],
)
@pytest.mark.parametrize("order", [0, 1])
def test_float32_and_out(name, order):
    """float32 in, float32 out (what Monte Carlo networks use), written into `out`."""
    kernel = load_activation(name).function(order)
    x = np.linspace(-5, 5, 1001, dtype=np.float32)
    out = np.full(x.shape, np.nan, dtype=np.float32)
    result = kernel(x, dtype=np.float32, out=out)
    assert result is out and out.dtype == np.float32
    np.testing.assert_allclose(out, kernel(x.astype(np.float64)), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    ("name", "order"), [("relu", 1), ("hardswish", 0), ("silu", 1), ("gelu", 0), ("gelu", 1)]
)
def test_large_arrays_go_block_by_block(name, order):
    """Past `kernels.BLOCK` elements a contiguous array is evaluated a block at a time (nan
    checked per block); a strided view in one go: both give the generic values."""
    activation = load_activation(name)
    x = np.resize(probes(activation), (3, 2 * BLOCK + 7))  # nan, inf and breakpoints repeat
    kernel = activation.function(order)
    generic = compile_scalar(activation.numeric_source(order))
    for sample in (x, x[:, ::2]):
        expected = generic(sample)
        got = kernel(sample)
        assert got.shape == sample.shape
        assert (same(got, expected) | np.isclose(got, expected, rtol=1e-12)).all()


@pytest.mark.parametrize(
    ("expression", "at_zero"),
    [("x - tanh(x) + 1 - sign(x)**2", 1.0), ("x - tanh(x) + heaviside(x) - heaviside(x, 0)", 0.5)],
)
def test_a_breakpoint_value_of_its_own_survives_the_pieces_around_it(expression, at_zero):
    """tanhshrink's series on (-1/4, 1/4) and x - tanh(x) outside, with a value of its own at
    0 (hand: 1 + 0 - 0, and heaviside's 1/2 minus 0): the select kernel skips breakpoint
    constants that a piece writes anyway, not this one; every other point is the generic
    path's value."""
    activation = load_activation(expression=expression)
    kernel = activation.function(0)
    x = np.concatenate([[0.0, -0.0, 0.25, -0.25, 5e-324, -5e-324], probes(activation)])
    got = kernel(x)
    assert kernel.strategy == "select"
    assert got[0] == got[1] == at_zero
    generic = compile_scalar(activation.numeric_source(0))(x)
    assert (same(got, generic) | np.isclose(got, generic, rtol=1e-12, atol=1e-300)).all()


def test_gelu_in_float32_matches_mpmath():
    """GELU's kernel in float32 (Monte Carlo networks) runs the erfc fit's passes in float32:
    within 16 float32 ulp of mpmath's x*Phi(x) at 40 digits on [-12, 12] (SciPy's float32
    erfc, which it replaced, was 161 ulp off at x = -11.7: it rounds c*x in float32)."""
    import mpmath

    mpmath.mp.dps = 40
    x = np.unique(np.linspace(-12, 12, 4001, dtype=np.float32))
    got = load_activation("gelu").function(0)(x, dtype=np.float32)
    assert got.dtype == np.float32
    for xi, value in zip(x, got, strict=True):
        t = mpmath.mpf(float(xi))
        true = t * mpmath.ncdf(t)
        if abs(true) >= np.finfo(np.float32).tiny:
            assert abs(float(value) - true) <= 16 * np.spacing(np.float32(abs(float(true))))


@pytest.mark.parametrize("order", [0, 1])
def test_a_sigmoid_of_a_constant_beside_x_is_no_crash(order):
    """sigmoid(softplus(3/2)) + cosh(x): the lone-sigmoid helper met a constant argument, a
    0-d array whose negation NumPy returns as a scalar, and raised TypeError (a generated
    expression, seed 1414141). Against mpmath at 40 digits: the constant plus cosh(x), and
    sinh(x) for f'."""
    import mpmath

    mpmath.mp.dps = 40
    constant = 1 / (1 + mpmath.exp(-mpmath.log1p(mpmath.exp(mpmath.mpf(3) / 2))))
    x = np.array([-3.0, 0.0, 0.5, 2.0])
    got = load_activation(expression="sigmoid(softplus(3/2)) + cosh(x)").function(order)(x)
    for xi, value in zip(x, got, strict=True):
        t = mpmath.mpf(xi)
        true = constant + mpmath.cosh(t) if order == 0 else mpmath.sinh(t)
        assert abs(value - true) <= 1e-15 * max(1, abs(true)), (xi, value, true)


def test_threads_evaluating_at_once_get_their_own_temporaries():
    """Block-sized temporaries are reused from a per-thread pool: four threads evaluating
    GELU's f' (a program whose erfc borrows its own) on different arrays at once each get
    the values one thread alone gets, bit for bit."""
    from concurrent.futures import ThreadPoolExecutor

    kernel = load_activation("gelu").function(1)
    arrays = [np.random.default_rng(seed).standard_normal(3 * BLOCK) * 3 for seed in range(4)]
    alone = [kernel(x) for x in arrays]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(kernel, arrays * 3))
    for got, expected in zip(together, alone * 3, strict=True):
        assert got.tobytes() == expected.tobytes()


@pytest.mark.parametrize(
    ("expression", "u"),
    [
        ("tanh(x)", lambda x: 2 * x),  # f' = 4 sigmoid(2x) sigmoid(-2x) = sech(x)**2
        ("sigmoid(x)", lambda x: x),  # f' = sigmoid(x) sigmoid(-x)
        ("sigmoid(3*x)/3", lambda x: 3 * x),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_lone_sigmoid_pair_matches_mpmath_into_the_tails(expression, u, dtype):
    """A pair sigmoid(u) sigmoid(-u) whose +-u nothing else uses is 1/(4 cosh(u/2)**2);
    reference: mpmath's sigmoid(u) sigmoid(-u) at 50 digits of u as the dtype rounds it,
    scaled to f' (the constant factor 4 or 3/3 is exact), to 4 ulp down to the smallest
    normal result and to 2 units of the subnormal spacing below."""
    import mpmath

    mpmath.mp.dps = 50
    activation = load_activation(expression=expression)
    scale = {"tanh(x)": 4}.get(expression, 1)
    tiny = np.finfo(dtype).tiny
    x = np.concatenate([np.linspace(-400, 400, 4001), [0.0, -0.0, 1e-300, 5e-324]])
    x = x.astype(dtype)
    got = activation.function(1)(x, dtype=dtype)
    for xi, value in zip(x, got, strict=True):
        w = mpmath.mpf(float(u(xi)))  # u in the dtype
        exact = scale / ((1 + mpmath.exp(w)) * (1 + mpmath.exp(-w)))
        if exact < tiny:  # subnormal or below: the format's absolute resolution
            assert abs(value - float(exact)) <= 2 * tiny * np.finfo(dtype).eps
        else:
            assert abs(value - exact) <= 4 * np.finfo(dtype).eps * exact, (xi, value, exact)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_lone_sigmoid_matches_mpmath_into_the_subnormals(dtype):
    """sigmoid(u) whose exp nothing shares is 1/(1 + exp(-u)), with `numeric.sigmoid` where
    exp(-u) overflows (u < -709.78, -88.7 in float32: the true value is subnormal down to about
    -745, -103). Reference: mpmath at 50 digits, 4 ulp above the smallest normal result and 2
    units of the subnormal spacing below."""
    import mpmath

    mpmath.mp.dps = 50
    activation = load_activation("sigmoid")
    x = np.concatenate(
        [np.linspace(-760, 40, 3201), np.linspace(-110, -80, 301), [0.0, -0.0, 5e-324]]
    ).astype(dtype)
    got = activation.function(0)(x, dtype=dtype)
    assert got.dtype == dtype and activation.function(0).strategy == "smooth"
    tiny, eps = np.finfo(dtype).tiny, np.finfo(dtype).eps
    for xi, value in zip(x, got, strict=True):
        exact = 1 / (1 + mpmath.exp(-mpmath.mpf(float(xi))))
        if exact < tiny:
            assert abs(value - float(exact)) <= 2 * tiny * eps, (xi, value, exact)
        else:
            assert abs(value - exact) <= 4 * eps * exact, (xi, value, exact)


def test_the_erfc_fit_matches_mpmath():
    """exp(y**2)*erfc(y) on [0, 2] from the kernels' (7, 7) rational fit, its float64
    coefficients evaluated exactly (mpmath, 40 digits) at 2001 points: within the 2.6e-17
    relative error its comment states (a float64 evaluation adds its own few ulp)."""
    import mpmath

    from actcli.kernels import ERFC_PLAIN_BELOW, ERFCX_P, ERFCX_Q

    mpmath.mp.dps = 40

    def polynomial(coefficients, y):
        return mpmath.fsum(mpmath.mpf(c) * y**i for i, c in enumerate(coefficients))

    def scaled_erfc(y):
        return mpmath.exp(y * y) * mpmath.erfc(y)

    worst = max(
        abs(polynomial(ERFCX_P, y) / polynomial(ERFCX_Q, y) / scaled_erfc(y) - 1)
        for y in mpmath.linspace(0, ERFC_PLAIN_BELOW, 2001)
    )
    assert worst < 3e-17


@pytest.mark.parametrize(
    "c", ["-1/sqrt(2)", "1/sqrt(2)", "sqrt(3)", "-3/2"], ids=["gelu", "plus", "sqrt3", "exact"]
)
def test_erfc_of_a_scaled_x_matches_mpmath(c):
    """The kernels' erfc(c*x), c given as c_hi + c_lo: the rational fit where |c*x| <= 2
    (within 2*(c*x)**2 + 4 ulp: rounding c*x, x**2 and the fit), the twice-precision helper
    beyond (1e-14 relative, or the smallest normal absolute once erfc underflows), through
    subnormal and huge x, +-inf and nan; reference mpmath at 40 digits with c exact. Into
    `out` or a new array alike."""
    import mpmath

    from actcli import kernels

    mpmath.mp.dps = 40
    exact = sympy.sympify(c)
    c_hi = float(exact)
    c_lo = float(exact - sympy.Rational(c_hi))
    rng = np.random.default_rng(7)
    x = np.concatenate(
        [
            np.linspace(-30, 30, 6001),
            rng.standard_normal(3000) * 2,
            [0.0, -0.0, 5e-324, -5e-324, 1e-300, -1e-300, 3.5e38, -3.5e38, 1e300, -1e300],
            [np.inf, -np.inf, np.nan],
        ]
    )
    with np.errstate(all="ignore"):  # as `Kernel` calls it: the fit overflows where unused
        got = kernels._erfc_scaled(x, c_hi, c_lo)
        into = np.full_like(x, 7.0)
        assert kernels._erfc_scaled(x, c_hi, c_lo, out=into) is into
    assert same(into, got).all()
    c_exact = mpmath.mpf(sympy.N(exact, 40))
    for xi, value in zip(x, got, strict=True):
        if np.isnan(xi):
            assert np.isnan(value)
            continue
        z = abs(c_hi * xi)
        if z > 1e6:  # mpmath's series overflow: erfc is 0 or 2 to far below a float's ulp
            assert value == (0.0 if c_hi * xi > 0 else 2.0), (xi, value)
            continue
        true = mpmath.erfc(c_exact * mpmath.mpf(float(xi)))
        if z <= kernels.ERFC_PLAIN_BELOW:
            bound = (2 * z * z + 4) * np.finfo(float).eps * true
        else:
            bound = max(1e-14 * true, np.finfo(float).tiny)
        assert abs(value - true) <= bound, (xi, value, true)


def bits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Equal bit for bit: the sign of a zero included, any nan equal to any nan."""
    return ((a == b) & (np.signbit(a) == np.signbit(b))) | (np.isnan(a) & np.isnan(b))


HOSTILE = np.concatenate(
    [
        [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 2.2e-308, -2.2e-308],
        [1e-310, -1e-310, 1e300, -1e300, 1.7e308, -1.7e308, 1e-8, -1e-8],
        np.linspace(-800, 800, 16001),
        np.random.default_rng(7).standard_normal(20000) * 3,
        np.random.default_rng(8).standard_normal(2000) * 1e-3,
    ]
)


def hostile(dtype) -> np.ndarray:
    with np.errstate(over="ignore"):  # +-1e300 and 1.7e308 are +-inf in float32
        return HOSTILE.astype(dtype)


@pytest.mark.parametrize("expression", ["x/(1 + abs(x))", "x/(3 + 2*abs(x))"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_odd_quotient_mirror_is_copysign_of_the_piece_bit_for_bit(expression, dtype):
    """softsign, or a user's x/(b + a|x|), as x/d(|x|) written in place: the same bits as the
    generic mirror copysign(g(|x|), x) with g the compiled right piece (f) and g(|x|) (f'),
    at 0 too: f'(0) exists (b/(b + a|x|)**2 from either side) and is g(0), 1 for softsign."""
    from actcli.kernels import _smooth

    activation = load_activation(expression=expression)
    x = hostile(dtype)
    for order, odd in ((0, True), (1, False)):
        source = activation.numeric_source(order)
        g = _smooth(source.args[-1][0])  # the piece for x > 0
        with np.errstate(all="ignore"):
            expected = np.asarray(g(np.abs(x)), dtype=dtype)
            if odd:
                expected = np.copysign(expected, x)
            got = activation.function(order)(x, dtype=dtype)
        assert activation.function(0).strategy == "mirror"
        assert bits(got, expected).all(), x[~bits(got, expected)][:5]
    assert load_activation("softsign").function(1).strategy == "mirror"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_jump_gives_the_select_values_bit_for_bit(dtype):
    """SELU's f' (and any g on one side of a breakpoint a, a constant v on the other) as
    g(x clipped to its side) - (g(a) - v)*[x beyond a]: the bits of numpy.where([x beyond a],
    v, g(x)), g the compiled piece, nan and the point itself included; a user's Piecewise
    takes it too, g on either side, a breakpoint float32 does not hold (x compared with a
    in the dtype, as the generic path does)."""
    from actcli.kernels import _smooth, compile_kernel

    x = hostile(dtype)
    selu = load_activation("selu").numeric_source(1)
    sources = [  # (source, a, v on the right)
        (selu, 0.0, True),
        (sympy.Piecewise((3 * sympy.exp(X), X <= 0), (HALF, True)), 0.0, True),
        (sympy.Piecewise((HALF, X < 1), (sympy.exp(X), True)), 1.0, False),
        (sympy.Piecewise((3 * sympy.exp(X), X <= ODD), (HALF, True)), float(ODD), True),
    ]
    for source, a, right in sources:
        kernel = compile_kernel(source)
        (v, _), (g, _) = sorted(source.args, key=lambda arg: arg[0].free_symbols != set())
        beyond = x > a if right else x < a
        with np.errstate(all="ignore"):
            expected = np.where(beyond, dtype(float(v)), np.asarray(_smooth(g)(x), dtype=dtype))
            got = kernel(x, dtype=dtype)
        assert kernel.strategy == "jump"
        assert bits(got, expected).all(), x[~bits(got, expected)][:5]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_gathered_series_gives_the_printed_values_bit_for_bit(dtype):
    """tanhshrink's select: x - tanh(x), its Horner series written over |x| < 1/4 from the
    points gathered by index and evaluated by a register program: the bits of the printed
    (lambdified) series and numpy.where, large arrays block by block."""
    from actcli.kernels import _smooth

    activation = load_activation("tanhshrink")
    source = activation.numeric_source(0)
    series = _smooth(source.args[0][0])
    x = np.concatenate([hostile(dtype), np.resize(hostile(dtype), 3 * BLOCK)])
    with np.errstate(all="ignore"):
        expected = np.where(np.abs(x) < 0.25, series(x), x - np.tanh(x)).astype(dtype)
        got = activation.function(0)(x, dtype=dtype)
    assert activation.function(0).strategy == "select"
    assert bits(got, expected).all(), x[~bits(got, expected)][:5]


@pytest.mark.parametrize(
    ("expression", "factor", "ulps"),
    [("x*sigmoid(x)", lambda t: t, 2), ("(x + 1)*sigmoid(x)", lambda t: t + 1, 3)],
)
def test_a_product_with_a_lone_sigmoid_matches_mpmath(expression, factor, ulps):
    """t*sigmoid(x) as one quotient t/(1 + exp(-x)) (SiLU), t*`numeric.sigmoid` where exp(-x)
    overflows: against mpmath at 40 digits, 2 ulp (3 where t = x + 1 is itself rounded), plus
    4|t| subnormal spacings where the sigmoid is subnormal (x < -709, as before), and the
    generic path's values at 0, +-inf and nan."""
    import mpmath

    mpmath.mp.dps = 40
    activation = load_activation(expression=expression)
    assert activation.function(0).strategy == "smooth"
    x = np.concatenate([np.linspace(-760, 40, 8001), np.linspace(-1.5, 1.5, 3001)])
    got = activation.function(0)(x)
    for xi, value in zip(x, got, strict=True):
        t = mpmath.mpf(float(xi))
        exact = factor(t) / (1 + mpmath.exp(-t))
        tolerance = ulps * np.spacing(abs(float(exact)))
        if xi <= -709:  # t times a subnormal sigmoid: t times its resolution
            tolerance += abs(float(factor(t))) * 4 * 5e-324
        assert abs(value - exact) <= tolerance, (xi, value, exact)
    ends = np.array([0.0, -0.0, np.inf, -np.inf, np.nan])
    generic = compile_scalar(activation.numeric_source(0))(ends)
    assert same(activation.function(0)(ends), generic).all()


def test_identity_is_one_copy():
    kernel = load_activation("identity").function(0)
    x = HOSTILE.copy()
    assert kernel.strategy == "copy" and bits(kernel(x), x).all()


@pytest.mark.parametrize("expression", ["x/(abs(x) - 2)", "x*(abs(x) - 1)", "sin(abs(x))*sign(x)"])
def test_an_odd_mirror_whose_piece_changes_sign_gives_the_definition(expression):
    """An odd f = g(|x|) negated for x < 0, g negative somewhere (x/(|x| - 2) on (0, 2)): the
    mirror negates where x < 0; giving g(|x|) x's sign instead answered -1 for x/(|x| - 2) at
    x = -1, where it is 1. Reference: the definition at 40 digits (mpmath), each x by hand."""
    import mpmath

    definitions = {
        "x/(abs(x) - 2)": lambda t: t / (abs(t) - 2),
        "x*(abs(x) - 1)": lambda t: t * (abs(t) - 1),
        "sin(abs(x))*sign(x)": lambda t: mpmath.sin(abs(t)) * mpmath.sign(t),
    }
    activation = load_activation(expression=expression)
    kernel = activation.function(0)
    x = np.array([-3.5, -1.0, -0.5, -1e-9, 1e-9, 0.5, 1.0, 3.5, -1e6, 1e6, 2.75, -2.75])
    with mpmath.workdps(40):
        expected = np.array([float(definitions[expression](mpmath.mpf(t))) for t in x])
    got = kernel(x)
    assert kernel.strategy == "mirror"
    np.testing.assert_allclose(got, expected, rtol=4e-16, atol=0)


def test_a_point_between_two_equal_constants_keeps_its_own_value():
    """sign(x)**2 is 1 on either side of 0 and 0 at 0 (sign(0) = 0): the two intervals are not
    one run of 1s, the point between them breaks it."""
    kernel = load_activation(expression="sign(x)**2").function(0)
    got = kernel(np.array([-1.0, -0.0, 0.0, 5e-324, 2.0]))
    assert got.tolist() == [1.0, 0.0, 0.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("expression", "order", "expected"),
    [
        ("max(x, tanh(x))", 1, 1.0),  # x' = 1 on the right, sech(0)**2 = 1 on the left
        ("max(x, tanh(x))", 2, 0.0),  # 0 on the right, -2 tanh(0) sech(0)**2 = 0 on the left
        ("x/(1 + abs(x))**2", 1, 1.0),  # (1 - |x|)/(1 + |x|)**3 at 0, from either side
        ("x*heaviside(x) + x*exp(x)*heaviside(-x)", 1, 1.0),  # 1; (1 + x) exp(x) at 0
    ],
)
def test_a_derivative_that_exists_at_a_breakpoint_is_its_limit(expression, order, expected):
    """Differentiating a Piecewise turns its point piece (f(c), Eq(x, c)) into 0: the kernel
    must give f^(order)(c) where it exists (one-sided limits derived by hand above), as eval
    does, not that 0."""
    kernel = load_activation(expression=expression).function(order)
    assert kernel(np.array([0.0, -0.0])).tolist() == [expected, expected]


def edges(source, dtype) -> np.ndarray:
    """`hostile` values, each breakpoint of a Piecewise source, its negation and three float
    neighbours either side (in dtype)."""
    cuts = {
        float(side)
        for _, condition in source.args
        for relation in condition.atoms(sympy.core.relational.Relational)
        for side in relation.args
        if side.is_number
    }
    near = []
    for cut in map(dtype, sorted(cuts)):
        near += [cut, -cut]
        for direction in (np.inf, -np.inf):
            value = cut
            for _ in range(3):
                value = np.nextafter(value, dtype(direction))
                near.append(value)
    return np.concatenate([hostile(dtype), np.array(near, dtype=dtype)])


HALF, THIRD = sympy.Rational(1, 2), sympy.Rational(1, 3)
ODD = HALF + sympy.Rational(1, 2**40)  # exact in float64, not in float32
# (source, the form's body): user Piecewise sources that take each indicator form
INDICATORS = [
    (sympy.Piecewise((sympy.Rational(1, 6), (X > -3) & (X < 3)), (0, True)), "_interval"),
    (sympy.Piecewise((5, (X > -2) & (X < 2)), (0, True)), "_interval"),  # v > 1
    (sympy.Piecewise((-1, (X > -HALF) & (X < HALF)), (0, True)), "_interval"),  # v < 0
    # r not held by float32 (that dtype takes the masks)
    (sympy.Piecewise((THIRD, (X > -ODD) & (X < ODD)), (0, True)), "_interval"),
    (sympy.Piecewise((1, (X > 0) & (X < 6)), (0, True)), "_indicator_sum"),  # coarse masks
    (sympy.Piecewise((1, X > HALF), (1, X < -HALF), (0, True)), "_outside"),  # rint(|x|)
    (sympy.Piecewise((7, (X > HALF) | (X < -HALF)), (0, True)), "_outside"),
    (sympy.Piecewise((-sympy.Rational(3, 4), (X > 2) | (X < -2)), (0, True)), "_outside"),
    (sympy.Piecewise((2, (X > ODD) | (X < -ODD)), (0, True)), "_outside"),
    (sympy.Piecewise((sympy.Rational(1, 4), X < 0), (1, X > 0), (0, True)), "_sign_step"),
    (sympy.Piecewise((-sympy.Rational(1, 8), X < 0), (-2, X > 0), (0, True)), "_sign_step"),
    (sympy.Piecewise((5, X < 1), (-2, X > 1), (0, True)), "_sign_step"),  # decreasing
    (sympy.Piecewise((-3, X < -HALF), (2, X > -HALF), (0, True)), "_sign_step"),
    (sympy.Piecewise((1, X < 0), (1, X > 0), (0, True)), "_sign_step"),  # sign(x)**2
    (sympy.Piecewise((3, X < ODD), (1, X > ODD), (0, True)), "_sign_step"),
]


@pytest.mark.parametrize(("source", "form"), INDICATORS, ids=lambda v: str(v)[:40])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_indicator_form_gives_the_generic_values(source, form, dtype):
    """A constant on an interval (ceil(b - |x|) clipped to [0, v]), outside one (rint(|x|),
    ceil(|x| - r)), or two constants either side of a point where the value is 0 (x - a
    scaled by 2**emax, clipped to the scaled constants: L, 0, R exactly): the generic path's
    values (zeros' signs aside) at the breakpoints, their neighbours, +-0, +-inf, nan,
    subnormals and +-1e300, in float64 and float32 (float32 where a breakpoint does not hold
    takes the masks), large arrays too; nan is kept by the form itself."""
    from actcli.kernels import compile_kernel

    kernel = compile_kernel(source)
    assert kernel.strategy == "indicator" and kernel.body.__qualname__.startswith(form)
    assert kernel.keeps_nan == (form != "_indicator_sum")
    x = edges(source, dtype)
    big = np.resize(x, 2 * (1 << 20) + 3)  # past the coarse block
    with np.errstate(all="ignore"):
        expected = np.asarray(compile_scalar(source)(x, dtype=dtype))
        got = kernel(x, dtype=dtype)
        got_big = kernel(big, dtype=dtype)
    assert got.dtype == dtype
    assert same(got, expected).all(), x[~same(got, expected)][:5]
    assert same(got_big, np.resize(expected, big.shape)).all()


@pytest.mark.parametrize(
    ("expression", "order", "form"),
    [
        ("max(x, x/4)", 1, "_sign_step"),  # 1/4, 0 at 0, 1
        ("max(x, 0.3*x)", 1, "_sign_step"),
        ("min(max(x, -1), 1)", 1, "_interval"),  # hardtanh'
        ("x - min(max(x, -1/2), 1/2)", 1, "_outside"),  # softshrink'
        ("min(max(x + 3, 0), 6)/6", 0, "_clamp"),  # (1/6)*(x + 3) in place
        ("min(max(x + 3, 0), 6)/6", 1, "_interval"),  # hard_sigmoid'
        ("x*min(max(x + 3, 0), 6)/6", 0, "_gate"),  # x times the gate, -inf patched
        (sympy.Piecewise((X, (X > HALF) | (X < -HALF)), (0, True)), 0, "_masked"),
        (sympy.Piecewise((X**2, (X > 2) | (X < -2)), (0, True)), 0, "_masked"),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_user_expression_takes_the_new_forms(expression, order, form, dtype):
    """User expressions get the forms by their structure; their values are the generic
    path's (x - min(max(...)) and the gate's rounding aside: the previous forms' bits, from
    numpy.where over the printed pieces), nan and +-inf included, with nan in the block."""
    from actcli.kernels import compile_kernel

    if isinstance(expression, str):
        activation = load_activation(expression=expression)
        source = activation._derivatives_at_points(activation.numeric_source(order), order)
    else:  # a Piecewise as SymPy builds it
        source = expression
    kernel = compile_kernel(source)
    assert kernel.body.__qualname__.startswith(form)
    x = edges(source, dtype)
    with np.errstate(all="ignore"):
        expected = np.asarray(compile_scalar(source)(x, dtype=dtype))
        got = kernel(x, dtype=dtype)
        without_nan = kernel(x[~np.isnan(x)], dtype=dtype)
    if form == "_gate":  # x*(x + 3)/6 is x*((x + 3)/6) in either form: to rounding
        close = same(got, expected) | np.isclose(got, expected, rtol=1e-6, atol=0)
        assert close.all(), x[~close][:5]
        assert got[x == -np.inf].tolist() == [0.0] * int((x == -np.inf).sum())
    else:
        assert same(got, expected).all(), x[~same(got, expected)][:5]
    assert same(without_nan, got[~np.isnan(x)]).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_reciprocal_is_the_division_bit_for_bit(dtype):
    """1/b by numpy.divide (vectorised) where numpy.reciprocal is not: the same bits, the
    zeros' signs, subnormals, +-inf and nan included, in b's dtype."""
    from actcli.kernels import _reciprocal_of

    b = hostile(dtype)
    with np.errstate(all="ignore"):
        expected = np.reciprocal(b)
        got = _reciprocal_of(b, None)
        into = np.empty_like(b)
        _reciprocal_of(b, into)
    assert got.dtype == dtype and bits(got, expected).all() and bits(into, expected).all()


def test_sigmoids_of_plus_and_minus_u_share_one_quotient():
    """SiLU's f' = (x*sigmoid(-x) + 1)*sigmoid(x) (and a user's): sigmoid(-x) = 1/(1 + e),
    sigmoid(x) = e/(1 + e) for e = exp(x), where e overflows (x > 709.78) the shared form's
    values: against mpmath at 40 digits within 3 ulp plus 3 ulp of the terms that cancel
    near f's minimum (x*sigmoid(-x) against 1) and the subnormal sigmoid's resolution where
    x < -708; nan, +-inf and +-0 as the generic path; float32 likewise (to float32's
    rounding). A product sigmoid(u)*sigmoid(-u) keeps its pair form, a softplus its e."""
    import mpmath

    from actcli.kernels import _sigmoid_quotients

    silu = load_activation("silu").numeric_source(1)
    user = load_activation(expression="x*sigmoid(x)").numeric_source(1)
    assert _sigmoid_quotients(silu) is not None and _sigmoid_quotients(user) is not None
    assert _sigmoid_quotients(load_activation("sigmoid").numeric_source(1)) is None
    assert _sigmoid_quotients(load_activation("mish").numeric_source(1)) is None
    kernel = load_activation(expression="x*sigmoid(x)").function(1)
    x = np.concatenate(
        [np.linspace(-760, 760, 6001), np.linspace(-1.5, 1.5, 3001), [709.78, 709.79, 1e300]]
    )
    got = kernel(x)
    mpmath.mp.dps = 40
    for xi, value in zip(x.tolist(), got.tolist(), strict=True):
        t = mpmath.mpf(xi)
        s, minus = 1 / (1 + mpmath.exp(-t)), 1 / (1 + mpmath.exp(t))
        exact = float(s * (1 + t * minus))
        terms = float(s * (1 + abs(t) * minus))
        tolerance = 3 * np.spacing(abs(exact)) + 3 * np.spacing(terms)
        if xi < -708:
            tolerance += abs(1 + xi) * 4 * 5e-324
        assert abs(value - exact) <= tolerance, (xi, value, exact)
    ends = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324])
    assert same(kernel(ends), compile_scalar(user)(ends)).all()
    x32 = np.linspace(-100, 100, 2001, dtype=np.float32)
    got32 = kernel(x32, dtype=np.float32)
    assert got32.dtype == np.float32 and np.isfinite(got32).all()
    np.testing.assert_allclose(got32, kernel(x32.astype(np.float64)), rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize(
    "source",
    [
        sympy.Piecewise(
            (0, X <= -3), (X / 3 + HALF, X < 3), (0, sympy.Eq(X, 3)), (1, True)
        ),  # hardswish's f'
        sympy.Piecewise((X, X < 1), (5, sympy.Eq(X, 1)), (2 * X + 1, X < 4), (-1, True)),
        sympy.Piecewise((sympy.exp(X), X > -2), (0, True)),  # one side only
    ],
    ids=["symmetric", "two pieces", "half-line"],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_select_writes_the_few_points_outside_its_piece_gathered(source, dtype):
    """A select whose background piece holds on one open interval: one mask of the rest, and
    where its points are few (normal inputs, breakpoints, +-inf and nan among them) the other
    regions written over those points alone; many (hostile values) the whole block as
    before. The generic path's values either way (the previous select's, for exp)."""
    from actcli.kernels import _smooth, compile_kernel

    kernel = compile_kernel(source)
    assert kernel.strategy == "select" and "gathered" in kernel.body.__qualname__
    sparse = np.concatenate(
        [np.random.default_rng(3).standard_normal(50000).astype(dtype), edges(source, dtype)]
    )
    np.random.default_rng(4).shuffle(sparse)
    for x in (sparse, edges(source, dtype), sparse[::3].reshape(-1, 1)):
        with np.errstate(all="ignore"):
            got = kernel(x, dtype=dtype)
            if source.has(sympy.exp):
                expected = np.where(x > -2, np.asarray(_smooth(sympy.exp(X))(x)), dtype(0))
                expected = np.where(np.isnan(x), x, expected).astype(dtype)
            else:
                expected = np.asarray(compile_scalar(source)(x, dtype=dtype))
        assert got.dtype == dtype and same(got, expected).all(), x[~same(got, expected)][:5]


@pytest.mark.parametrize(
    ("expression", "order"),
    [
        ("silu", 1),  # (x*sigmoid(-x) + 1)*sigmoid(x): exp and a reciprocal shared
        ("(x**3 - 2)**3", 0),  # a cube of a value held in out itself
        ("x**2*exp(x) + x**3", 0),
        ("selu", 1),  # its piece a*exp(x): exp into out, then the product in place
        ("exp(exp(x)*x)*(x + 1)", 0),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_register_program_gives_the_printed_values_bit_for_bit(expression, order, dtype):
    """Sums, products, squares, cubes, exp and reciprocals run one ufunc call at a time into
    reused buffers, the last into out: the bits of the printed (lambdified) code."""
    from actcli.kernels import _lambdified, _prepared, _program, _sigmoid_quotients

    if expression.isidentifier():
        source = load_activation(expression).numeric_source(order)
    else:
        source = load_activation(expression=expression).numeric_source(order)
    if isinstance(source, sympy.Piecewise):
        (source,) = [piece for piece, _ in source.args if piece.has(sympy.exp)]
    prepared = _prepared(_sigmoid_quotients(source) or source)
    program = _program(prepared)
    assert program is not None
    x = np.concatenate([hostile(dtype), np.resize(hostile(dtype), 2 * BLOCK + 3)])
    with np.errstate(all="ignore"):
        expected = np.asarray(_lambdified(prepared)(x), dtype=dtype)
        got = np.full_like(x, 7)
        program(x, got)
    assert bits(got, expected).all(), x[~bits(got, expected)][:5]


@pytest.mark.parametrize("name", ["binary_step", "identity"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_constant_derivative_keeps_nan(name, dtype):
    """A constant c (binary_step' = 0: numpy.zeros and the nan check; identity' = 1: clip(x, c,
    c)) is c everywhere, +-inf included, the generic path's +0 for c = 0 at x = -0, and nan at
    nan; into a given out holding anything, and block by block."""
    activation = load_activation(name)
    kernel = activation.function(1)
    x = np.concatenate([hostile(dtype), np.resize(hostile(dtype), 2 * BLOCK + 3)])
    expected = np.full(x.shape, float(activation.numeric_source(1)), dtype=dtype)
    expected[np.isnan(x)] = np.nan
    out = np.full_like(x, 7)
    got = kernel(x, dtype=dtype)
    assert kernel.strategy == "constant" and got.dtype == dtype
    assert bits(got, expected).all(), x[~bits(got, expected)][:5]
    assert kernel(x, dtype=dtype, out=out) is out and bits(out, expected).all()


@pytest.mark.parametrize("name", sorted(NAN_PROPAGATING))
def test_a_function_said_to_propagate_nan_does(name):
    """Source calling only these skips the pass that puts nan back where x is nan: each must
    give nan at nan itself, at either sign of nan and beside ordinary numbers."""
    from actcli.numeric import function_from_source

    arguments = {"maximum": "x, 0.0", "minimum": "x, 0.0", "heaviside": "x, 0.5"}
    source = f"def _lambdifygenerated(x):\n    return {name}({arguments.get(name, 'x')})\n"
    y = function_from_source(source)(np.array([np.nan, -np.nan, 0.5]))
    assert np.isnan(y[:2]).all() and np.isfinite(y[2])


def test_a_piecewise_sends_nan_to_nan_not_to_its_otherwise_branch():
    from actcli.numeric import function_from_source

    body = "select([less(x, 0), True], [0, x], default=nan)"
    source = f"def _lambdifygenerated(x):\n    return {body}\n"
    assert np.isnan(function_from_source(source)(np.array([np.nan]))).all()
