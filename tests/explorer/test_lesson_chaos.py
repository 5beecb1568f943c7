"""Unit tests of explorer.lessons.chaos (called directly, no AppTest)."""

import math

import numpy as np
import pytest

from core import theory
from explorer import experiments as E
from explorer.lessons import chaos as C
from explorer.state import Net

# ---------------------------------------------------------------- phase_axis_max


@pytest.mark.parametrize(
    ("activation", "sb2_max", "expected"),
    [("relu", 1.0, 4.0), ("linear", 0.5, 4.0), ("tanh", 1.0, 6.0), ("sigmoid", 1.0, 200.0)],
)
def test_phase_axis_max(activation, sb2_max, expected):
    assert C.phase_axis_max(activation, sb2_max) == expected


def test_phase_axis_max_covers_critical_line():
    for activation in ("tanh", "relu", "sigmoid", "selu"):
        top = C.phase_axis_max(activation, 1.0)
        crit = np.asarray(theory.critical_sigma_w2(activation, np.linspace(0, 1, 13)))
        crit = crit[np.isfinite(crit)]
        assert top >= 4.0
        assert top >= 1.5 * crit.max()
        step = 10 ** math.floor(math.log10(top))
        assert top / step == int(top / step)  # one significant digit


# ---------------------------------------------------------------- phase_grid


@pytest.fixture(scope="module")
def tanh_grid():
    return C.phase_grid("tanh", 4.0, 1.0)


def test_phase_grid_layout(tanh_grid):
    grid, critical = tanh_grid
    assert list(grid.columns) == ["sw2", "sw2_end", "sb2", "sb2_end", "log_chi1", "chi1", "xi_c"]
    assert len(grid) == C.PHASE_CELLS_W * C.PHASE_CELLS_B
    np.testing.assert_allclose(grid["sw2_end"] - grid["sw2"], 4.0 / C.PHASE_CELLS_W)
    np.testing.assert_allclose(grid["sb2_end"] - grid["sb2"], 1.0 / C.PHASE_CELLS_B)
    assert grid["sw2"].min() == 0.0
    assert grid["sw2_end"].max() == pytest.approx(4.0)
    assert grid["sb2_end"].max() == pytest.approx(1.0)
    assert list(critical.columns) == ["sw2", "sb2"]


def test_phase_grid_values(tanh_grid):
    grid, _ = tanh_grid
    assert grid["log_chi1"].between(-C.LOG_CHI_CLIP, C.LOG_CHI_CLIP).all()
    inside = (grid["chi1"] > 10**-C.LOG_CHI_CLIP) & (grid["chi1"] < 10**C.LOG_CHI_CLIP)
    np.testing.assert_allclose(grid.loc[inside, "log_chi1"], np.log10(grid.loc[inside, "chi1"]))
    # spot check one cell against the theory at its centre
    row = grid.iloc[1234]
    w, b = (row["sw2"] + row["sw2_end"]) / 2, (row["sb2"] + row["sb2_end"]) / 2
    # (the diagram's vectorized quadrature agrees with the pointwise one to ~1e-5)
    assert row["chi1"] == pytest.approx(float(theory.chi1("tanh", w, b)), rel=1e-4)
    # tanh'(z)^2 <= 1, so chi_1 = sigma_w^2 E[tanh'^2] <= sigma_w^2 in every cell
    centre = (grid["sw2"] + grid["sw2_end"]) / 2
    assert (grid["chi1"] <= centre * (1 + 1e-9)).all()
    # chi_1 grows with sigma_w^2 at fixed sigma_b^2
    first = grid[grid["sb2"] == 0].sort_values("sw2")["chi1"].to_numpy()
    assert np.all(np.diff(first) > 0)


def test_phase_grid_critical_line(tanh_grid):
    _, critical = tanh_grid
    assert len(critical) == 61  # every sb2 in [0, 1] has a critical point below 4
    assert critical["sw2"].iloc[0] == pytest.approx(1.0)  # tanh: sigma_w^2 = 1 at sb2 = 0
    assert critical["sb2"].iloc[0] == 0.0
    assert np.all(np.diff(critical["sw2"]) > 0)  # more bias needs larger weights
    assert (critical["sw2"] <= 4.0).all()


def test_phase_grid_critical_line_clipped_by_axis():
    _, critical = C.phase_grid("tanh", 0.9, 0.5)
    assert critical.empty
    assert list(critical.columns) == ["sw2", "sb2"]


# ---------------------------------------------------------------- chaos_point / phase_word


def test_chaos_point_tanh_critical():
    point = C.chaos_point("tanh", 1.0, 0.0)
    assert set(point) == {"q_star", "chi1", "c_star", "xi_q", "xi_c", "critical_sw2"}
    assert point["critical_sw2"] == pytest.approx(1.0)
    assert point["chi1"] == pytest.approx(1.0)
    assert point["q_star"] == pytest.approx(0.0, abs=1e-12)
    assert math.isinf(point["xi_c"])
    assert C.phase_word(point["chi1"], point["q_star"]) == "critical"


def test_chaos_point_tanh_ordered():
    point = C.chaos_point("tanh", 0.5, 0.0)
    assert point["q_star"] == 0.0
    assert point["chi1"] == pytest.approx(0.5)
    assert point["c_star"] == pytest.approx(1.0)
    assert point["xi_c"] == pytest.approx(-1 / math.log(0.5))
    assert C.phase_word(point["chi1"], point["q_star"]) == "ordered"


def test_chaos_point_tanh_chaotic():
    point = C.chaos_point("tanh", 2.0, 0.0)
    assert point["q_star"] > 0
    assert point["chi1"] > 1 + C.CRITICAL_TOLERANCE
    assert point["c_star"] < 1
    assert math.isfinite(point["xi_c"])
    assert C.phase_word(point["chi1"], point["q_star"]) == "chaotic"


def test_chaos_point_relu():
    edge = C.chaos_point("relu", 2.0, 0.0)
    assert edge["chi1"] == pytest.approx(1.0)
    assert edge["critical_sw2"] == pytest.approx(2.0)
    unbounded = C.chaos_point("relu", 3.0, 0.0)
    assert math.isinf(unbounded["q_star"])
    assert math.isnan(unbounded["xi_q"])
    assert math.isnan(unbounded["xi_c"])
    assert C.phase_word(unbounded["chi1"], unbounded["q_star"]) == "unbounded"


@pytest.mark.parametrize(
    ("chi1", "q_star", "word"),
    [
        (1.0, 0.5, "critical"),
        (1.019, 0.5, "critical"),
        (0.981, 0.5, "critical"),
        (1.02, 0.5, "chaotic"),
        (0.98, 0.5, "ordered"),
        (0.1, 0.0, "ordered"),
        (5.0, 2.0, "chaotic"),
        (1.0, math.inf, "unbounded"),
        (0.5, math.nan, "unbounded"),
    ],
)
def test_phase_word(chi1, q_star, word):
    assert C.phase_word(chi1, q_star) == word


# ---------------------------------------------------------------- depth_scale_curve


def test_depth_scale_curve():
    curve = C.depth_scale_curve("tanh", 0.0, 4.0)
    assert list(curve.columns) == ["sw2", "xi_c", "trainable_depth"]
    assert 390 <= len(curve) <= 400
    assert np.isfinite(curve["xi_c"]).all()
    assert (curve["xi_c"] > 0).all()
    np.testing.assert_allclose(curve["trainable_depth"], C.TRAINABLE_XI * curve["xi_c"])
    assert np.all(np.diff(curve["sw2"]) > 0)
    # xi_c diverges at the edge of chaos sigma_w^2 = 1
    peak = curve["sw2"].iloc[int(curve["xi_c"].to_numpy().argmax())]
    assert peak == pytest.approx(1.0, abs=0.02)
    assert curve["xi_c"].max() > 50
    left = curve[curve["sw2"] < 1]["xi_c"].to_numpy()
    assert np.all(np.diff(left) > 0)


def test_depth_scale_curve_drops_unbounded_points():
    curve = C.depth_scale_curve("relu", 0.0, 4.0)
    # ReLU has no fixed point above sigma_w^2 = 2 and xi_c = inf at 2: only sw2 < 2 is kept
    assert (curve["sw2"] < 2.0).all()
    assert len(curve) > 150


# ---------------------------------------------------------------- mean_field_vs_probe


@pytest.mark.parametrize(("activation", "rtol"), [("tanh", 0.15), ("linear", 0.15), ("relu", 0.4)])
def test_mean_field_vs_probe_matches_theory(activation, rtol):
    init = E.well_scaled_init(activation)
    frame, info = C.mean_field_vs_probe(Net("mlp", activation, 5, 64, 0), init, (), 0.0)
    assert list(frame.columns) == ["layer", "series", "q", "grad_rel"]
    assert frame["series"].tolist() == ["measured (probe)"] * 5 + ["theory (mean field)"] * 5
    assert set(info) == {"applicable", "note", "overflow_layer", "q_ratio_last"}
    assert info["applicable"] is True
    assert info["overflow_layer"] is None
    measured = frame[frame["series"] == "measured (probe)"]
    theory_rows = frame[frame["series"] == "theory (mean field)"]
    assert measured["grad_rel"].iloc[-1] == 1.0
    assert theory_rows["grad_rel"].iloc[-1] == pytest.approx(1.0)
    assert info["q_ratio_last"] == pytest.approx(measured["q"].iloc[-1] / theory_rows["q"].iloc[-1])
    # Finite width: a layer's q is (1/n) sum_j w_j^T C w_j over the n units, with relative
    # variance 2 tr(C^2) / (n tr(C)^2). Zero-mean activations (tanh, linear): C is nearly
    # isotropic, ~ sqrt(2)/n = 0.022 per layer, 3 SE over 5 layers 0.15. ReLU outputs share a
    # mean carrying 1/pi of tr(C): >= sqrt(2/pi^2/n) = 0.056 per layer, 3 SE over 5 layers 0.4.
    np.testing.assert_allclose(measured["q"], theory_rows["q"], rtol=rtol)
    np.testing.assert_allclose(measured["grad_rel"], theory_rows["grad_rel"], rtol=rtol)


def test_mean_field_vs_probe_bias_raises_q():
    base, _ = C.mean_field_vs_probe(Net("mlp", "tanh", 4, 64, 0), "glorot_normal", (), 0.0)
    biased, info = C.mean_field_vs_probe(Net("mlp", "tanh", 4, 64, 0), "glorot_normal", (), 0.5)
    th0 = base[base["series"] == "theory (mean field)"]["q"].to_numpy()
    th1 = biased[biased["series"] == "theory (mean field)"]["q"].to_numpy()
    assert th1[0] == pytest.approx(th0[0] + 0.5)  # q1 = sigma_w2 q_in + sigma_b2
    assert np.all(th1 > th0)
    m1 = biased[biased["series"] == "measured (probe)"]["q"].to_numpy()
    assert np.all(m1 > base[base["series"] == "measured (probe)"]["q"].to_numpy())
    assert math.isfinite(info["q_ratio_last"])


def test_mean_field_vs_probe_zero_weights_no_crash():
    frame, info = C.mean_field_vs_probe(Net("mlp", "relu", 3, 8, 0), "zeros", (), 0.0)
    assert (frame["q"] == 0).all()
    assert math.isnan(info["q_ratio_last"])  # 0 / 0


# ---------------------------------------------------------------- user_sigma_w2


@pytest.mark.parametrize(
    ("init", "params", "width", "expected"),
    [
        ("he_normal", (), 64, 2.0),
        ("glorot_normal", (), 64, 1.0),
        ("lecun_normal", (), 16, 1.0),
        ("small_random", (), 64, 64e-4),
        ("large_random", (), 32, 32.0),
        ("orthogonal", (("gain", 2.0),), 16, 4.0),
        ("zeros", (), 16, 0.0),
        ("normal", (("std", 0.5),), 4, 1.0),
    ],
)
def test_user_sigma_w2(init, params, width, expected):
    got = C.user_sigma_w2(init, params, width)
    assert isinstance(got, float)
    assert got == pytest.approx(expected, rel=1e-12)


def test_phase_points_group_equal_sigma_w2_and_pin_the_far_ones() -> None:
    from explorer.lessons import chaos as lesson_chaos

    points = lesson_chaos.phase_points(
        "glorot_normal", (), "Glorot (Xavier) normal", 256, 0.0, 4.0, 0.5
    )
    labels = list(points["label"])
    # LeCun and Glorot share σ_w² = 1 on a square layer: one point, the user's.
    assert "your init: Glorot (Xavier) normal = LeCun normal" in labels
    assert points["mine"].sum() == 1
    far = points[points["true_sw2"] > 4.0].iloc[0]
    assert far["sw2"] == 4.0
    assert far["label"] == "Large random N(0, 1) (σ_w² = 256 →)"
    assert list(points["true_sw2"]) == sorted(points["true_sw2"])
    # Tags go upwards from a low σ_b², never upwards from a high one (they stay in the plot;
    # since issue 13 a tag may sit level with its point, beside it, to clear a neighbour).
    assert (points["dy"] < 0).all()
    high = lesson_chaos.phase_points("he_normal", (), "He (Kaiming) normal", 64, 0.45, 4.0, 0.5)
    assert (high["dy"] >= 0).all()
    assert (high["dy"] > 0).any()


@pytest.mark.parametrize("activation", ["tanh", "relu", "linear", "selu", "softsign", "gelu"])
@pytest.mark.parametrize("sb2", [0.0, 0.05, 0.25, 0.5])
@pytest.mark.parametrize(
    ("init", "label", "width"),
    [
        ("glorot_normal", "Glorot (Xavier) normal", 256),
        ("he_normal", "He (Kaiming) normal", 64),
        ("orthogonal", "Orthogonal", 128),
    ],
)
def test_phase_tags_keep_clear_of_the_critical_line(activation, sb2, init, label, width) -> None:
    """Issue 13: the full labels sat on the χ₁ = 1 line and on each other; the chart now draws
    a short tag beside each point, on the side away from the line, inside the plot."""
    from explorer.lessons import chaos as lesson_chaos

    sw2_max = lesson_chaos.phase_axis_max(activation, 0.5)
    _, critical = lesson_chaos.phase_grid(activation, sw2_max, 0.5)
    points = lesson_chaos.phase_points(init, (), label, width, sb2, sw2_max, 0.5, critical=critical)
    assert list(points["number"]) == [str(i) for i in range(1, len(points) + 1)]
    # Every number is drawn once: alone, or in the shared tag of points that nearly coincide.
    drawn = [n for tag in points["tag"] if tag for n in tag.split(",")]
    assert drawn == list(points["number"])
    for plot_width in lesson_chaos.TAG_PLOT_WIDTHS:
        gap = lesson_chaos.tag_clearances(points, critical, sw2_max, 0.5, plot_width)
        gap = gap[points["tag"] != ""]
        # Never on the line; for a point near it, the tag moves away from it.
        assert (gap["tag"] >= lesson_chaos.TAG_LINE_CLEARANCE).all(), (plot_width, gap)
        near = gap["point"] < lesson_chaos.TAG_NEAR_LINE
        assert (gap["tag"][near] > gap["point"][near]).all(), (plot_width, gap)
        # The tag's centre stays inside the plot.
        tagged = points[points["tag"] != ""]
        x = tagged["sw2"] / sw2_max * plot_width + tagged["dx"]
        y = (1 - tagged["sb2"] / 0.5) * lesson_chaos.TAG_PLOT_HEIGHT + tagged["dy"]
        assert ((x >= 0) & (x <= plot_width)).all()
        assert ((y > 0) & (y < lesson_chaos.TAG_PLOT_HEIGHT)).all()
    # Drawn tags do not touch each other (on the phone-sized plot, where they are closest).
    width = min(lesson_chaos.TAG_PLOT_WIDTHS)
    shown = points[points["tag"] != ""]
    boxes = []
    for row in shown.itertuples():
        half_w, half_h = lesson_chaos.tag_box(row.tag)
        cx = row.sw2 / sw2_max * width + row.dx
        cy = (1 - row.sb2 / 0.5) * lesson_chaos.TAG_PLOT_HEIGHT + row.dy
        boxes.append((cx - half_w, cy - half_h, cx + half_w, cy + half_h))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, (a, b)


def test_phase_tags_sit_beside_the_line_at_the_default() -> None:
    """tanh at σ_b² = 0 (the page's default): Glorot sits on the line; its tag goes left."""
    from explorer.lessons import chaos as lesson_chaos

    sw2_max = lesson_chaos.phase_axis_max("tanh", 0.5)
    _, critical = lesson_chaos.phase_grid("tanh", sw2_max, 0.5)
    points = lesson_chaos.phase_points(
        "glorot_normal", (), "Glorot (Xavier) normal", 256, 0.0, sw2_max, 0.5, critical=critical
    )
    mine = points[points["mine"]].iloc[0]
    assert mine["true_sw2"] == pytest.approx(1.0)
    assert mine["dx"] <= 0  # straight up or up-left: the line rises to the right
    assert mine["dy"] < 0
    he = points[points["label"] == "He (Kaiming) normal"].iloc[0]
    assert he["dx"] > 0  # right of the line, tag further right


def test_points_that_nearly_coincide_share_one_tag() -> None:
    """sigmoid's axis runs to 200: small random, PyTorch, Glorot and He sit within 2 px."""
    from explorer.lessons import chaos as lesson_chaos

    sw2_max = lesson_chaos.phase_axis_max("sigmoid", 0.5)
    _, critical = lesson_chaos.phase_grid("sigmoid", sw2_max, 0.5)
    points = lesson_chaos.phase_points(
        "glorot_normal", (), "Glorot (Xavier) normal", 256, 0.0, sw2_max, 0.5, critical=critical
    )
    assert list(points["tag"]) == ["1,2,3,4", "", "", "", "5"]
    assert list(points["cluster"]) == [0, 0, 0, 0, 1]


def test_phase_key_names_every_tag_with_its_phase() -> None:
    from explorer.lessons import chaos as lesson_chaos

    sw2_max = lesson_chaos.phase_axis_max("tanh", 0.5)
    _, critical = lesson_chaos.phase_grid("tanh", sw2_max, 0.5)
    points = lesson_chaos.phase_points(
        "glorot_normal", (), "Glorot (Xavier) normal", 256, 0.0, sw2_max, 0.5, critical=critical
    )
    key = lesson_chaos.phase_key(points, "tanh", "glorot_normal")
    assert len(key) == len(points)
    assert key[0] == "**1** · Small random N(0, 0.01²): σ_w² = 0.0256, ordered"
    assert "**3** · your init: Glorot (Xavier) normal = LeCun normal: σ_w² = 1, critical" in key
    assert key[-1] == (
        "**5** · Large random N(0, 1): σ_w² = 256 (beyond the axis: drawn at its right edge), "
        "chaotic"
    )
    zeros = lesson_chaos.phase_points("zeros", (), "Zeros", 256, 0.0, sw2_max, 0.5)
    key = lesson_chaos.phase_key(zeros, "tanh", "zeros")
    assert key[0].startswith("**1** · your init: Zeros: σ_w² = 0")
    assert key[0].endswith("theory does not apply")
