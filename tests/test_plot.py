"""actcli.plot: panels, series, gaps and markers at jumps, saturation, vector slices, styles.

Expected values are worked out by hand from the definitions (in comments), never read back from
the code under test.
"""

from __future__ import annotations

import io
import json
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from actcli import api
from actcli.errors import UsageError
from actcli.figures import figure_bytes
from actcli.plot import make_figure

BUILTINS = [info.name for info in api.list_activations().activations]
VECTOR = {info.name for info in api.list_activations().activations if info.kind == "vector"}
# sigmoid'(x) = p(1 - p) with p = sigmoid(x); p(1 - p) = 0.01 at p = (1 + sqrt(1 - 0.04))/2,
# i.e. x = log(p/(1 - p)) = log(97.99) = 4.58486...
SIGMOID_EDGE = math.log((1 + math.sqrt(0.96)) / (1 - math.sqrt(0.96)))
# tanh'(x) = 1 - tanh(x)**2 < 0.01 where |tanh(x)| > sqrt(0.99): |x| > atanh(sqrt(0.99)) = 2.993
TANH_EDGE = math.atanh(math.sqrt(0.99))


def series_lines(ax):
    """The curves of a panel: labelled lines (markers, zero lines and insets are unlabelled)."""
    return [line for line in ax.get_lines() if not line.get_label().startswith("_")]


def marker_points(ax, kind):
    """(x, y) of the open or closed markers drawn in a panel (not in a zoom inset)."""
    points = []
    for line in ax.get_lines():
        if line.get_label() == f"_{kind}":
            points.extend(zip(line.get_xdata(), line.get_ydata(), strict=True))
    return sorted((float(x), float(y)) for x, y in points)


def spanning_jumps(line, c, jump):
    """Segments between consecutive finite samples that reach across x = c (touching it from
    both sides or crossing it) and change y by at least half the jump there."""
    x, y = (np.asarray(v, dtype=float) for v in line.get_data())
    bad = []
    for x0, y0, x1, y1 in zip(x, y, x[1:], y[1:], strict=False):
        finite = all(map(math.isfinite, (x0, y0, x1, y1)))
        if finite and x0 <= c <= x1 and abs(y1 - y0) >= abs(jump) / 2:
            bad.append(((x0, y0), (x1, y1)))
    return bad


def assert_points(actual, expected):
    assert len(actual) == len(expected)
    np.testing.assert_allclose(np.array(actual), np.array(expected), rtol=1e-15, atol=1e-15)


def load(name, **params):
    name, _, variant = name.partition(":")
    return api.load_activation(name, params=params or None, variant=variant or None)


@pytest.mark.parametrize("index", range(len(BUILTINS)), ids=BUILTINS)
@pytest.mark.slow
def test_every_builtin_draws_and_encodes(index):
    name = BUILTINS[index]
    activation = load(name)
    orders = (0, 1) if name in VECTOR else (0, 1, 2)
    figure, result = make_figure([activation], orders=orders, points=201)
    # a vector kind draws each output along a slice of length 3; maxout has one output
    expected_curves = 3 if name in VECTOR - {"maxout"} else 1
    assert len(result.series) == expected_curves
    panels = [ax for ax in figure.axes if ax.get_ylabel()]  # zoom insets have no label
    assert len(panels) == len(orders)
    for ax in panels:
        assert len(series_lines(ax)) == expected_curves
    assert [p.order for p in result.panels] == list(orders)
    json.dumps(result.to_json())  # plain JSON
    fmt = ("png", "svg", "pdf")[index % 3]
    check_encoding(figure_bytes(figure, fmt, dpi=40), fmt)


def check_encoding(data, fmt):
    if fmt == "png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    elif fmt == "svg":
        root = ET.fromstring(data)
        assert root.tag.endswith("svg")
    else:
        assert data.startswith(b"%PDF-")
        assert data.rstrip().endswith(b"%%EOF")


@pytest.mark.slow
def test_all_three_formats_are_valid_and_reproducible():
    def encoded(fmt):
        figure, _ = make_figure([load("relu"), load("gelu")], orders=(0, 1), points=101)
        return figure_bytes(figure, fmt, dpi=40)

    for fmt in ("png", "svg", "pdf"):
        data = encoded(fmt)
        check_encoding(data, fmt)
        assert encoded(fmt) == data  # saved outside the style context, still byte-identical


def test_one_axis_per_order_and_one_line_per_series():
    sweep = [load("elu", alpha=a) for a in ("0.5", "1", "2")]
    labels = ["elu (alpha=0.5)", "elu (alpha=1)", "elu (alpha=2)"]
    figure, result = make_figure(sweep, orders=(0, 1, 3), labels=labels, points=101)
    assert len(figure.axes) == 3
    for ax in figure.axes:
        assert [line.get_label() for line in series_lines(ax)] == labels
    assert [s.label for s in result.series] == labels
    assert [s.params["alpha"] for s in result.series] == [0.5, 1.0, 2.0]
    assert [p.ylabel for p in result.panels] == ["f(x)", "f'(x)", "f^(3)(x)"]
    assert [ax.get_ylabel() for ax in figure.axes] == ["$f(x)$", "$f'(x)$", "$f^{(3)}(x)$"]
    assert figure.axes[-1].get_xlabel() == "$x$"
    # one activation swept: its spec's title
    assert figure.get_suptitle() == "ELU, exponential linear unit"


@pytest.mark.parametrize(
    ("name", "params", "lo", "hi", "jumps"),
    [
        # binary_step: f = 1 for x >= 0 else 0 (specs/binary_step.yaml), so f(0) = 1 = right
        # limit: closed marker at (0, 1), open at (0, 0)
        ("binary_step", {}, -5.0, 5.0, [(0.0, 0.0, 1.0, 1.0)]),
        # threshold: f = x if x > threshold else value; threshold 1, value -1 jumps from -1 to 1
        # at x = 1 and f(1) = value = -1 (left)
        ("threshold", {"threshold": "1", "value": "-1"}, -5.0, 5.0, [(1.0, -1.0, 1.0, -1.0)]),
        # hardshrink (lambd 0.5): f = x for |x| > 0.5 else 0, so f(+-0.5) = 0; jumps -0.5 -> 0
        # at -0.5 and 0 -> 0.5 at 0.5
        ("hardshrink", {}, -2.0, 2.0, [(-0.5, -0.5, 0.0, 0.0), (0.5, 0.0, 0.5, 0.0)]),
        # PyTorch's softplus: log1p(exp(x)) for x <= 20, x above; f(20) is the left value
        (
            "softplus:torch",
            {},
            19.999999,
            20.000001,
            [(20.0, math.log1p(math.exp(20.0)), 20.0, math.log1p(math.exp(20.0)))],
        ),
    ],
)
def test_jumps_of_f_are_gaps_with_open_and_closed_markers(name, params, lo, hi, jumps):
    figure, result = make_figure([load(name, **params)], orders=(0,), lo=lo, hi=hi, points=301)
    ax = figure.axes[0]
    (line,) = series_lines(ax)
    closed, opened = [], []
    for c, left, right, value in jumps:
        assert spanning_jumps(line, c, right - left) == []
        closed.append((c, value))
        opened.append((c, right if value == left else left))
    assert_points(marker_points(ax, "closed"), sorted(closed))
    assert_points(marker_points(ax, "open"), sorted(opened))
    assert_points([(d.x, d.left, d.right, d.value) for d in result.discontinuities], jumps)
    assert result.undefined == ()


def test_tiny_torch_softplus_jump_is_zoomed_and_noted():
    figure, result = make_figure(
        [load("softplus:torch")], orders=(0, 1), lo=19.999999, hi=20.000001, points=301
    )
    top = figure.axes[0]
    assert top.child_axes, "an inset zooms to the 2e-9 jump"
    (inset,) = top.child_axes
    lo, hi = inset.get_xlim()
    assert lo < 20.0 < hi and hi - lo < 1e-7
    assert any("jumps by 2.06e-09 at x = 20" in note for note in result.notes)
    # tick labels in full, never as an offset from 20
    assert not top.yaxis.get_major_formatter().get_useOffset()
    figure.draw_without_rendering()
    assert top.yaxis.get_offset_text().get_text() == ""
    # f' jumps from sigmoid(20) = 1/(1 + exp(-20)) to 1, and does not exist at 20
    bottom = figure.axes[1]
    assert_points(marker_points(bottom, "open"), [(20.0, 1 / (1 + math.exp(-20.0))), (20.0, 1.0)])
    assert marker_points(bottom, "closed") == []


@pytest.mark.parametrize(
    ("name", "points"),
    [
        # relu' is 0 left of 0 and 1 right of it
        ("relu", [(0.0, 0.0), (0.0, 1.0)]),
        # hardtanh' is 1 on (-1, 1) and 0 outside
        ("hardtanh", [(-1.0, 0.0), (-1.0, 1.0), (1.0, 0.0), (1.0, 1.0)]),
    ],
)
def test_derivative_jumps_have_open_markers_only(name, points):
    figure, result = make_figure([load(name)], orders=(1,), points=301)
    ax = figure.axes[0]
    (line,) = series_lines(ax)
    for c in sorted({x for x, _ in points}):
        assert spanning_jumps(line, c, 1.0) == []
    assert marker_points(ax, "open") == points
    assert marker_points(ax, "closed") == []
    assert sorted((u.x, u.order) for u in result.undefined) == sorted({(x, 1) for x, _ in points})


def test_derivative_of_a_step_does_not_exist_though_both_sides_are_zero():
    figure, result = make_figure([load("binary_step")], orders=(1,), points=101)
    ax = figure.axes[0]
    # binary_step' is 0 on both sides, but f jumps at 0, so f'(0) does not exist: one open
    # marker at (0, 0), and no value drawn at 0
    assert marker_points(ax, "open") == [(0.0, 0.0)]
    (line,) = series_lines(ax)
    x, y = line.get_data()
    assert np.isnan(np.asarray(y)[np.asarray(x) == 0.0]).all()
    assert [(u.x, u.order) for u in result.undefined] == [(0.0, 1)]
    assert [d.order for d in result.discontinuities] == []


def test_breakpoints_are_sampled_on_both_sides():
    figure, result = make_figure([load("relu")], orders=(0,), points=11)
    (line,) = series_lines(figure.axes[0])
    x = np.asarray(line.get_xdata())
    assert 0.0 in x
    assert ((x < 0) & (x > -1e-6)).any()
    assert ((x > 0) & (x < 1e-6)).any()
    assert result.breakpoints == (0.0,)
    assert result.points == 11


def test_default_grid_is_dense():
    figure, result = make_figure([load("gelu")], orders=(0,))
    (line,) = series_lines(figure.axes[0])
    assert result.points >= 1000
    assert len(line.get_xdata()) >= 1000
    assert line.get_xdata()[0] == -5.0 and line.get_xdata()[-1] == 5.0


def test_sigmoid_saturation_intervals():
    figure, result = make_figure([load("sigmoid")], orders=(0, 1), saturation=0.01, points=201)
    assert result.saturation.eps == 0.01
    intervals = result.saturation.intervals
    assert len(intervals) == 2
    # grid spacing is 10/200 = 0.05; ends are refined well below that
    assert intervals[0] == pytest.approx((-5.0, -SIGMOID_EDGE), abs=1e-6)
    assert intervals[1] == pytest.approx((SIGMOID_EDGE, 5.0), abs=1e-6)
    entries = [text.get_text() for text in figure.legends[0].get_texts()]
    assert entries == ["$|f'| < 0.01$", "sigmoid"]  # one entry for both shaded spans
    for ax in figure.axes:
        assert len(ax.patches) == 2  # one shaded span per interval in every panel


def test_saturation_of_several_series_is_where_all_saturate():
    _, alone = make_figure([load("tanh")], saturation=0.01, points=201)
    assert alone.saturation.intervals[0] == pytest.approx((-5.0, -TANH_EDGE), abs=1e-6)
    _, both = make_figure([load("tanh"), load("sigmoid")], saturation=0.01, points=201)
    # tanh saturates from |x| > 2.99, sigmoid only from |x| > 4.58: both from 4.58
    assert both.saturation.intervals[0] == pytest.approx((-5.0, -SIGMOID_EDGE), abs=1e-6)
    assert any("every series" in note for note in both.notes)


def test_relu_saturation_ends_at_the_kink():
    _, result = make_figure([load("relu")], saturation=0.5, points=101)
    assert result.saturation.intervals == ((-5.0, 0.0),)


def test_softmax_slice():
    figure, result = make_figure([load("softmax")], orders=(0, 1), points=201)
    assert [s.label for s in result.series] == ["softmax y_1", "softmax y_2", "softmax y_3"]
    assert any("slice x = (t, 0, 0)" in note for note in result.notes)
    assert figure.axes[-1].get_xlabel() == "$t$"
    value_line = series_lines(figure.axes[0])[0]
    slope_line = series_lines(figure.axes[1])[0]
    t = np.asarray(value_line.get_xdata())
    # on (t, 0, 0): y_1 = e^t/(e^t + e^0 + e^0) = e^t/(e^t + 2), and dy_1/dt = y_1(1 - y_1)
    y1 = np.exp(t) / (np.exp(t) + 2)
    np.testing.assert_allclose(value_line.get_ydata(), y1, rtol=1e-13)
    np.testing.assert_allclose(slope_line.get_ydata(), y1 * (1 - y1), rtol=1e-12)
    # y_2 = 1/(e^t + 2), dy_2/dt = -e^t/(e^t + 2)^2
    second = series_lines(figure.axes[1])[1]
    np.testing.assert_allclose(second.get_ydata(), -np.exp(t) / (np.exp(t) + 2) ** 2, rtol=1e-12)


def test_softmax_slice_of_length_two_is_the_sigmoid():
    figure, result = make_figure([load("softmax")], slice_dim=2, points=51)
    line = series_lines(figure.axes[0])[0]
    t = np.asarray(line.get_xdata())
    # e^t/(e^t + 1) = 1/(1 + e^-t)
    np.testing.assert_allclose(line.get_ydata(), 1 / (1 + np.exp(-t)), rtol=1e-13)
    assert any("slice x = (t, 0)" in note for note in result.notes)


def test_maxout_slope_jumps_where_the_max_switches():
    figure, result = make_figure([load("maxout")], orders=(0, 1), points=101)
    assert [s.label for s in result.series] == ["maxout y"]
    # max(t, 0, 0): slope 0 for t < 0, 1 for t > 0, none at t = 0
    assert marker_points(figure.axes[1], "open") == [(0.0, 0.0), (0.0, 1.0)]
    assert [(u.x, u.order) for u in result.undefined] == [(0.0, 1)]
    assert [(d.x, d.order, d.left, d.right) for d in result.discontinuities] == [(0.0, 1, 0.0, 1.0)]
    (line,) = series_lines(figure.axes[0])
    t = np.asarray(line.get_xdata())
    np.testing.assert_array_equal(line.get_ydata(), np.maximum(t, 0.0))


def test_dark_style_survives_saving_outside_the_style():
    from matplotlib.colors import to_rgb
    from matplotlib.image import imread

    figure, _ = make_figure([load("tanh")], style="dark", points=51)
    assert sum(to_rgb(figure.get_facecolor())) / 3 < 0.3
    assert sum(to_rgb(figure.axes[0].get_facecolor())) / 3 < 0.3
    pixels = imread(io.BytesIO(figure_bytes(figure, "png", dpi=30)))
    assert pixels[1, 1, :3].mean() < 0.3  # the saved background is dark too
    label = figure.axes[0].get_xticklabels()[0]
    assert sum(to_rgb(label.get_color())) / 3 > 0.7  # light tick labels


def test_light_style_and_size():
    from matplotlib.colors import to_rgb

    figure, _ = make_figure([load("tanh")], orders=(0, 1), size=(5.0, 4.0), points=51)
    assert sum(to_rgb(figure.get_facecolor())) / 3 > 0.9
    assert tuple(figure.get_size_inches()) == (5.0, 4.0)
    default, _ = make_figure([load("tanh")], orders=(0, 1, 2), points=51)
    assert default.get_size_inches()[1] > figure.get_size_inches()[1]


def test_result_json_keys_and_titles():
    import dataclasses

    figure, result = make_figure(
        [load("relu"), load("gelu")], orders=(0, 1), title="Two units", points=51
    )
    assert figure.get_suptitle() == "Two units"
    data = dataclasses.replace(result, file="out.png", format="png").to_json()
    assert list(data) == [
        "file",
        "format",
        "panels",
        "series",
        "x_range",
        "points",
        "breakpoints",
        "discontinuities",
        "undefined",
        "saturation",
        "notes",
    ]
    assert data["file"] == "out.png" and data["saturation"] is None
    assert data["panels"][1]["order"] == 1 and len(data["panels"][1]["y_range"]) == 2
    assert data["series"][0] == {
        "label": "relu",
        "activation": "relu",
        "params": {},
        "orders": [0, 1],
        "component": None,
    }
    assert data["breakpoints"] == [0.0]
    assert data["discontinuities"] == [
        {"series": "relu", "x": 0.0, "order": 1, "left": 0.0, "right": 1.0, "value": None}
    ]
    assert data["undefined"] == [{"series": "relu", "x": 0.0, "order": 1}]
    assert data["x_range"] == [-5.0, 5.0]
    json.dumps(data)


@pytest.mark.parametrize(
    "options",
    [
        {"orders": (0, 0)},
        {"orders": ()},
        {"orders": (-1,)},
        {"lo": 1.0, "hi": 1.0},
        {"lo": -math.inf},
        {"points": 1},
        {"saturation": 0.0},
        {"size": (0.0, 3.0)},
        {"labels": ["a", "b"]},
        {"slice_dim": 0},
        {"style": "neon"},
    ],
)
def test_bad_options_are_usage_errors(options):
    with pytest.raises(UsageError):
        make_figure([load("relu")], **options)


def test_no_series_is_a_usage_error():
    with pytest.raises(UsageError):
        make_figure([])


def legend_texts(figure):
    return [text.get_text() for legend in figure.legends for text in legend.get_texts()]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        # defaults: the bare name
        ({}, ["elu", "relu"]),
        # --param: the value as written, on the activations that have it (relu has no alpha)
        ({"params": {"alpha": "0.5"}}, ["elu (alpha=0.5)", "relu"]),
        ({"sweep": "alpha=0.5,1,2"}, ["elu (alpha=0.5)", "elu (alpha=1)", "elu (alpha=2)", "relu"]),
    ],
)
def test_legends_name_the_parameters_set(options, expected):
    from actcli import activation

    series, labels = activation.bind_series(["elu", "relu"], **options)
    figure, result = make_figure(series, labels=labels, points=51)
    assert legend_texts(figure) == expected
    assert [s.label for s in result.series] == expected
    # the library call gives the same labels
    _, drawn = api.plot(["elu", "relu"], points=51, **options)
    assert [s.label for s in drawn.series] == expected


def test_legend_of_bound_activations_names_values_other_than_the_defaults():
    from actcli import activation

    series, labels = activation.bind_series([load("elu", alpha="1/2"), load("elu"), "selu"])
    assert labels == ["elu (alpha=0.5)", "elu", "selu"]
    series, labels = activation.bind_series(["elu", "celu"], params={"alpha": "2"}, sweep=None)
    assert labels == ["elu (alpha=2)", "celu (alpha=2)"]
