"""Unit tests of explorer.experiments (called directly, no AppTest)."""

import math

import numpy as np
import pytest

from core import initializers
from explorer import experiments as E
from explorer.state import Net
from tests.expected_columns import SUMMARY_ROW

ACTS = ("tanh", "relu", "sigmoid", "linear")
NETS = ("mlp", "cnn", "rnn", "resmlp")


def small_width(network):
    return 8 if network == "cnn" else 32


@pytest.fixture(scope="module")
def overflow_stats():
    # N(0, 10^2) weights on a 64-wide linear MLP: the std grows x80 (1.9 decades) per layer,
    # so float64 overflows near layer 162. (large_random + ReLU at width <= 64 grows only
    # x5.7 per layer: 50 layers reach ~1e37, not inf.)
    return E.layer_stats(Net("mlp", "linear", 170, 64, 0), "normal", (("std", 10.0),), batch=32)


# ---------------------------------------------------------------- probe_batch


@pytest.mark.parametrize(
    ("network", "depth", "width", "share", "expected"),
    [
        ("mlp", 10, 64, 1, 256),  # 2**14 values per layer / 64 wide = 256 (budget: 8192)
        ("mlp", 10, 64, 4, 64),
        ("mlp", 10, 64, 8, 32),
        ("mlp", 3, 8, 1, 1024),  # 2**14 / 8 = 2048, capped at 1024
        ("mlp", 100, 1024, 1, 32),  # 4e8 / 1.05e8 = 3.8 -> 2, raised to the minimum 32
        ("mlp", 100, 1024, 8, 32),
        ("mlp", 20, 256, 1, 64),  # 2**14 / 256 = 64 (budget: 4e8 / 1310720 = 305)
        ("mlp", 2, 256, 1, 64),
        ("rnn", 20, 256, 1, 64),
        ("rnn", 20, 512, 1, 32),  # budget: 4e8 / 10485760 = 38 -> 32
        ("resmlp", 20, 256, 2, 32),
        ("cnn", 3, 8, 1, 64),  # 4e8 / 442368 = 904 -> 512, capped at 64
        ("cnn", 10, 64, 1, 4),  # 4e8 / 94371840 = 4.2 -> 4
        ("cnn", 10, 64, 4, 2),  # 4 // 4 = 1 -> the minimum 2
    ],
)
def test_probe_batch_values(network, depth, width, share, expected):
    assert E.probe_batch(network, depth, width, share=share) == expected


@pytest.mark.parametrize("network", NETS)
@pytest.mark.parametrize(("depth", "width"), [(1, 2), (3, 8), (10, 64), (50, 512), (200, 1024)])
@pytest.mark.parametrize("share", [1, 4, 8])
def test_probe_batch_power_of_two_within_bounds(network, depth, width, share):
    low, high = E.PROBE_BATCH[network]
    batch = E.probe_batch(network, depth, width, share=share)
    assert low <= batch <= high
    assert batch & (batch - 1) == 0  # power of two
    assert batch <= E.probe_batch(network, depth, width)  # sharing never enlarges


@pytest.mark.parametrize("network", NETS)
def test_probe_batch_non_increasing_in_size(network):
    batches = [E.probe_batch(network, d, 64) for d in (1, 2, 5, 10, 50, 200)]
    assert batches == sorted(batches, reverse=True)
    batches = [E.probe_batch(network, 10, w) for w in (2, 8, 32, 128, 512)]
    assert batches == sorted(batches, reverse=True)


# ---------------------------------------------------------------- layer_stats / stats_frame


@pytest.mark.parametrize("network", NETS)
@pytest.mark.parametrize("activation", ACTS)
def test_stats_frame_columns_and_rows(network, activation):
    width = small_width(network)
    stats = E.layer_stats(Net(network, activation, 3, width, 1), "he_normal", (), batch=32)
    frame = E.stats_frame(stats, "S")
    assert tuple(frame.columns) == E.STATS_COLUMNS
    assert len(frame) == 3
    assert frame["layer"].tolist() == [1, 2, 3]
    assert (frame["series"] == "S").all()
    assert np.isfinite(frame["act_std"]).all()
    assert (frame["act_std"] > 0).all()
    assert (frame[["nonfinite_act", "nonfinite_grad"]] == 0).all().all()
    assert frame["saturated_fraction"].between(0, 1).all()
    assert frame["dead_fraction"].between(0, 1).all()


def test_layer_stats_default_batch_is_probe_batch():
    stats = E.layer_stats(Net("mlp", "tanh", 4, 16, 0), "he_normal", ())
    assert stats.values_per_layer == E.probe_batch("mlp", 4, 16) * 16


def test_layer_stats_explicit_batch_and_determinism():
    a = E.layer_stats(Net("mlp", "tanh", 3, 16, 5), "glorot_normal", (), batch=64)
    b = E.layer_stats(Net("mlp", "tanh", 3, 16, 5), "glorot_normal", (), batch=64)
    c = E.layer_stats(Net("mlp", "tanh", 3, 16, 6), "glorot_normal", (), batch=64)
    assert a.values_per_layer == 64 * 16
    np.testing.assert_array_equal(a.act_std, b.act_std)
    assert not np.array_equal(a.act_std, c.act_std)


def test_layer_stats_bias_std_turns_on_bias():
    base = E.layer_stats(Net("mlp", "tanh", 3, 16, 0), "lecun_normal", (), batch=64)
    biased = E.layer_stats(Net("mlp", "tanh", 3, 16, 0), "lecun_normal", (), bias_std=1.0, batch=64)
    # q = sigma_w2 * E[tanh^2] + sigma_b2: a bias of variance 1 raises every pre-activation.
    assert (biased.preact_std[1:] > base.preact_std[1:]).all()


def test_zero_init_gives_exactly_zero_weight_gradients():
    stats = E.layer_stats(Net("mlp", "tanh", 4, 8, 0), "zeros", (), batch=32)
    frame = E.stats_frame(stats, "zeros")
    assert (frame["act_std"] == 0).all()  # tanh(0) = 0 everywhere
    assert (frame["weight_grad_std"] == 0).all()
    assert (frame["grad_std"].iloc[:-1] == 0).all()  # W = 0 blocks every backward path
    assert frame["grad_std"].iloc[-1] > 0  # only the injected top gradient


def test_he_relu_keeps_per_layer_factor_near_one():
    # Finite-width fluctuation: the layer variance factor has relative std <= sqrt(2 / n)
    # (0.18 at n = 64), so the std's log-factor <= 0.09 per layer; the geometric mean over
    # 9 ratios has std <= 0.03. 0.1 is more than 3 standard errors.
    stats = E.layer_stats(Net("mlp", "relu", 10, 64, 0), "he_normal", ())
    summary = E.summarize_layers(stats)
    assert summary.act_factor == pytest.approx(1.0, abs=0.1)
    assert summary.grad_factor == pytest.approx(1.0, abs=0.1)


def test_large_random_relu_grows_like_sqrt_half_width():
    # N(0, 1) with ReLU: sigma_w2 = n, factor sqrt(n / 2) = 5.66 at n = 64 (same 3-SE
    # tolerance argument as above, 10 % relative).
    stats = E.layer_stats(Net("mlp", "relu", 10, 64, 0), "large_random", ())
    summary = E.summarize_layers(stats)
    assert summary.act_factor == pytest.approx(math.sqrt(32), rel=0.1)
    assert np.all(np.diff(stats.act_std) > 0)


def test_small_random_tanh_shrinks_every_layer():
    # sigma_w2 = 64e-4: factor sqrt(0.0064) = 0.08 per layer in tanh's linear regime.
    stats = E.layer_stats(Net("mlp", "tanh", 6, 64, 0), "small_random", ())
    act = E.stats_frame(stats, "s")["act_std"].to_numpy()
    assert np.all(np.diff(act) < 0)
    assert E.summarize_layers(stats).act_factor == pytest.approx(0.08, rel=0.1)


def test_stats_frame_marks_overflow_as_inf(overflow_stats):
    frame = E.stats_frame(overflow_stats, "big")
    first = overflow_stats.first_nonfinite_layer
    assert first is not None
    all_bad = frame["nonfinite_act"] >= overflow_stats.values_per_layer
    assert all_bad.any()
    assert np.isposinf(frame.loc[all_bad, "act_std"]).all()
    assert np.isposinf(frame.loc[all_bad, "preact_std"]).all()
    assert not frame["act_std"].isna().any()
    assert not frame["preact_std"].isna().any()
    assert (frame.loc[frame["layer"] < first, "nonfinite_act"] == 0).all()
    assert frame.loc[frame["layer"] == first, "nonfinite_act"].iloc[0] > 0


def test_stats_frame_weight_grad_std_never_nan_on_overflow(overflow_stats):
    frame = E.stats_frame(overflow_stats, "big")
    assert not frame["weight_grad_std"].isna().any()


# ---------------------------------------------------------------- hist_frame


@pytest.mark.parametrize("which", ["act", "grad", "act_log", "grad_log"])
def test_hist_frame_shape_and_columns(which):
    stats = E.layer_stats(Net("mlp", "tanh", 3, 16, 0), "he_normal", (), batch=64)
    frame = E.hist_frame(stats, which)
    assert list(frame.columns) == ["layer", "bin_start", "bin_end", "fraction"]
    hist = getattr(stats, f"{which.split('_')[0]}_{'log_' if 'log' in which else ''}hist")
    assert len(frame) == hist.size
    np.testing.assert_allclose(frame["fraction"], hist.ravel() / stats.hist_values_per_layer)
    assert (frame["bin_end"] > frame["bin_start"]).all()
    assert (frame["fraction"] >= 0).all()


def test_hist_frame_linear_rows_sum_to_one_and_log_excludes_zeros():
    stats = E.layer_stats(Net("mlp", "relu", 3, 16, 0), "he_normal", (), batch=64)
    lin = E.hist_frame(stats, "act").groupby("layer")["fraction"].sum()
    np.testing.assert_allclose(lin.to_numpy(), 1.0, atol=1e-12)
    # ReLU zeroes about half the units exactly; those are left out of the log histogram.
    log = E.hist_frame(stats, "act_log").groupby("layer")["fraction"].sum().to_numpy()
    assert np.all(log < 0.9)
    assert np.all(log > 0.1)


def test_hist_frame_nonfinite_layers_hold_nothing(overflow_stats):
    sums = E.hist_frame(overflow_stats, "act").groupby("layer")["fraction"].sum()
    assert sums.loc[1] == pytest.approx(1.0)
    assert sums.loc[170] == 0.0


def test_hist_frame_unknown():
    stats = E.layer_stats(Net("mlp", "tanh", 2, 8, 0), "he_normal", (), batch=32)
    with pytest.raises(ValueError, match="unknown histogram 'weights'"):
        E.hist_frame(stats, "weights")


# ---------------------------------------------------------------- small numeric helpers


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1.0, 2.0, 4.0, 8.0], 2.0),
        ([8.0, 4.0, 2.0, 1.0], 0.5),
        ([3.0, 3.0], 1.0),
        ([1.0, 100.0, 0.0001, 100.0], 100.0 ** (1 / 3)),  # only the ends count
        ([1.0, np.nan, 4.0], 2.0),
    ],
)
def test_geometric_factor_values(values, expected):
    assert E.geometric_factor(np.array(values)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "values",
    [[], [2.0], [0.0, 1.0], [1.0, 0.0], [-1.0, 1.0], [1.0, np.inf], [np.nan, 1.0], [np.inf, 2.0]],
)
def test_geometric_factor_undefined(values):
    assert math.isnan(E.geometric_factor(np.array(values, dtype=float)))


def test_summarize_layers_consistent_with_frame():
    stats = E.layer_stats(Net("mlp", "tanh", 5, 16, 0), "glorot_normal", (), batch=64)
    s = E.summarize_layers(stats)
    act, grad = stats.act_std, stats.grad_std
    assert s.depth == 5
    assert s.act_first == act[0]
    assert s.act_last == act[-1]
    assert s.act_ratio == pytest.approx(act[-1] / act[0])
    assert s.act_factor == pytest.approx((act[-1] / act[0]) ** 0.25)
    assert s.grad_first == grad[0]
    assert s.grad_last == grad[-1]
    assert s.grad_ratio == pytest.approx(grad[0] / grad[-1])
    assert s.grad_factor == pytest.approx((grad[0] / grad[-1]) ** 0.25)
    assert s.first_nonfinite is None


def test_summarize_layers_overflow(overflow_stats):
    s = E.summarize_layers(overflow_stats)
    assert s.first_nonfinite == overflow_stats.first_nonfinite_layer
    assert math.isinf(s.act_last)
    assert math.isinf(s.act_ratio)
    assert math.isnan(s.act_factor)
    assert math.isfinite(s.act_first)


def test_summary_row():
    stats = E.layer_stats(Net("mlp", "tanh", 3, 8, 0), "glorot_normal", (), batch=32)
    s = E.summarize_layers(stats)
    row = E.summary_row(s)
    assert set(row) == set(SUMMARY_ROW)
    assert math.isnan(row["first_nonfinite"])
    assert row["act_last"] == s.act_last


def test_summary_row_overflow(overflow_stats):
    row = E.summary_row(E.summarize_layers(overflow_stats))
    assert row["first_nonfinite"] == overflow_stats.first_nonfinite_layer


@pytest.mark.parametrize(
    ("factor", "expected"), [(10.0, 1.0), (0.01, -2.0), (1.0, 0.0), (math.inf, math.inf)]
)
def test_decades(factor, expected):
    assert E.decades(factor) == expected


@pytest.mark.parametrize("factor", [0.0, -1.0, math.nan, -math.inf])
def test_decades_undefined(factor):
    assert math.isnan(E.decades(factor))


@pytest.mark.parametrize("name", ["tanh", "relu", "sigmoid", "selu"])
def test_activation_record(name):
    record = E.activation_record(name)
    assert record.name == name
    assert record.df_max == E.max_slope(name)


@pytest.mark.parametrize(
    ("name", "expected"), [("sigmoid", 0.25), ("tanh", 1.0), ("relu", 1.0), ("linear", 1.0)]
)
def test_max_slope(name, expected):
    assert E.max_slope(name) == pytest.approx(expected)


def test_max_slope_selu():
    assert E.max_slope("selu") == pytest.approx(1.0507 * 1.67326, rel=1e-4)


@pytest.mark.parametrize(
    ("name", "slope2", "critical"),
    [("tanh", 1.0, 1.0), ("linear", 1.0, 1.0), ("relu", 0.5, 2.0), ("sigmoid", 1 / 16, 16.0)],
)
def test_small_signal_slope_and_critical_sigma(name, slope2, critical):
    assert E.small_signal_slope2(name) == pytest.approx(slope2, rel=1e-9)
    assert E.critical_sigma_w2(name) == pytest.approx(critical, rel=1e-9)
    assert E.rule_factor(critical, name) == pytest.approx(1.0, rel=1e-9)


def test_rule_factor_scales_like_sqrt():
    assert E.rule_factor(4.0, "relu") == pytest.approx(math.sqrt(2.0))
    assert E.rule_factor(0.25, "tanh") == pytest.approx(0.5)
    assert E.rule_factor(0.0, "tanh") == 0.0


@pytest.mark.parametrize(
    ("network", "width", "shape", "fan_in"),
    [
        ("mlp", 16, (16, 16), 16),
        ("resmlp", 64, (64, 64), 64),
        ("rnn", 32, (32, 32), 32),
        ("cnn", 8, (3, 3, 8, 8), 72),
    ],
)
def test_hidden_shape_and_fan_in(network, width, shape, fan_in):
    assert E.hidden_shape(network, width) == shape
    assert E.hidden_fan_in(network, width) == fan_in


@pytest.mark.parametrize("network", ["mlp", "cnn"])
@pytest.mark.parametrize(
    ("init", "expected"), [("he_normal", 2.0), ("glorot_normal", 1.0), ("lecun_normal", 1.0)]
)
def test_init_sigma_w2_named(network, init, expected):
    width = small_width(network)
    assert E.init_sigma_w2(network, init, (), width) == pytest.approx(expected, rel=1e-12)


def test_init_sigma_w2_small_random_and_scaling():
    assert E.init_sigma_w2("mlp", "small_random", (), 64) == pytest.approx(64e-4)
    assert E.init_sigma_w2("cnn", "small_random", (), 8) == pytest.approx(72e-4)
    assert E.init_sigma_w2("mlp", "large_random", (), 64) == pytest.approx(64.0)
    params = E.variance_scaling_params(3.0, "normal")
    assert E.init_sigma_w2("mlp", "variance_scaling", params, 16) == pytest.approx(3.0)
    assert E.init_sigma_w2("mlp", "zeros", (), 16) == 0.0


@pytest.mark.parametrize("distribution", ["normal", "uniform", "truncated_normal"])
def test_variance_scaling_params(distribution):
    params = E.variance_scaling_params(2, distribution)
    assert params == (("scale", 2.0), ("mode", "fan_in"), ("distribution", distribution))
    assert isinstance(params[0][1], float)
    assert E.init_sigma_w2("cnn", "variance_scaling", params, 8) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("activation", "init"),
    [
        ("relu", "he_normal"),
        ("leaky_relu", "he_normal"),
        ("elu", "he_normal"),
        ("gelu", "he_normal"),
        ("silu", "he_normal"),
        ("selu", "lecun_normal"),
        ("tanh", "glorot_normal"),
        ("sigmoid", "glorot_normal"),
        ("linear", "glorot_normal"),
    ],
)
def test_well_scaled_init(activation, init):
    assert E.well_scaled_init(activation) == init


def test_quick_stats_uses_a_quarter_batch():
    stats = E.quick_stats(Net("mlp", "tanh", 4, 16, 0), "he_normal", ())
    assert stats.values_per_layer == E.probe_batch("mlp", 4, 16, share=4) * 16
    full = E.layer_stats(Net("mlp", "tanh", 4, 16, 0), "he_normal", ())
    assert stats.values_per_layer * 4 == full.values_per_layer


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [(6.0, 3.0, 2.0), (1.0, 4.0, 0.25), (0.0, 1.0, math.nan), (1.0, 0.0, math.nan)],
)
def test_safe_ratio(a, b, expected):
    got = E.safe_ratio(a, b)
    assert got == expected or (math.isnan(expected) and math.isnan(got))


@pytest.mark.parametrize(
    ("a", "b"), [(-1.0, 2.0), (2.0, -1.0), (math.inf, 1.0), (1.0, math.inf), (math.nan, 1.0)]
)
def test_safe_ratio_undefined(a, b):
    assert math.isnan(E.safe_ratio(a, b))


@pytest.mark.parametrize("init", ["he_normal", "glorot_uniform", "small_random", "orthogonal"])
def test_initializer_label(init):
    assert E.initializer_label(init) == initializers.REGISTRY[init].label
    assert E.initializer_label(init)


# ---------------------------------------------------------------- series_stats


def test_series_stats_empty():
    layers, summary = E.series_stats(Net("mlp", "tanh", 3, 8, 0), ())
    assert layers.empty
    assert list(layers.columns) == list(E.STATS_COLUMNS)
    assert summary.empty


@pytest.mark.parametrize("network", NETS)
def test_series_stats_rows(network):
    width = small_width(network)
    series = (("He", "he_normal", ()), ("Small", "small_random", ()))
    layers, summary = E.series_stats(Net(network, "relu", 3, width, 0), series)
    assert list(layers.columns) == list(E.STATS_COLUMNS)
    assert layers["series"].tolist() == ["He"] * 3 + ["Small"] * 3
    assert list(summary.columns[:4]) == ["series", "init", "sigma_w2", "rule_factor"]
    assert summary["series"].tolist() == ["He", "Small"]
    fan_in = E.hidden_fan_in(network, width)
    np.testing.assert_allclose(summary["sigma_w2"], [2.0, fan_in * 1e-4])
    np.testing.assert_allclose(summary["rule_factor"], np.sqrt(summary["sigma_w2"] * 0.5))
    # ReLU with small random weights shrinks, He does not (much)
    assert summary["act_last"].iloc[1] < summary["act_last"].iloc[0]


def test_series_stats_custom_slope2():
    series = (("He", "he_normal", ()),)
    _, summary = E.series_stats(Net("mlp", "relu", 2, 8, 0), series, slope2=2.0)
    assert summary["rule_factor"].iloc[0] == pytest.approx(2.0)


# ---------------------------------------------------------------- networks and training


def test_build_network_deterministic_from_seed():
    a = E.build_network(Net("mlp", "tanh", 3, 8, 0), "he_normal", ())
    b = E.build_network(Net("mlp", "tanh", 3, 8, 0), "he_normal", ())
    c = E.build_network(Net("mlp", "tanh", 3, 8, 1), "he_normal", ())
    assert len(a.params) == 4  # 3 hidden + output
    assert a.params[0]["w"].shape == (2, 8)
    assert a.params[-1]["w"].shape == (8, 2)
    for pa, pb in zip(a.params, b.params, strict=True):
        np.testing.assert_array_equal(pa["w"], pb["w"])
    assert not np.array_equal(a.params[1]["w"], c.params[1]["w"])


def test_build_network_shapes_and_init():
    net = E.build_network(
        Net("mlp", "relu", 2, 4, 0), "constant", (("value", 0.5),), input_shape=(3,), n_outputs=5
    )
    assert net.params[0]["w"].shape == (3, 4)
    assert net.params[-1]["w"].shape == (4, 5)
    assert (net.params[1]["w"] == 0.5).all()
    assert net.predict(np.zeros((7, 3))).shape == (7, 5)


def test_fit_trains_and_records():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 2))
    y = (x[:, 0] > 0).astype(int)
    net = E.build_network(Net("mlp", "tanh", 2, 8, 0), "glorot_normal", ())
    history = E.fit(net, x, y, optimizer="sgd", lr=0.5, steps=30, seed=0)
    assert history.steps_run == 30
    assert history.step[0] == 0
    assert history.symmetry_step.tolist() == [0, 30]
    assert history.final_loss < history.loss[0]
    assert history.diverged_at is None


def test_fit_symmetry_every_and_clip():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 2))
    y = (x[:, 1] > 0).astype(int)
    net = E.build_network(Net("mlp", "tanh", 2, 8, 0), "large_random", ())
    history = E.fit(
        net, x, y, optimizer="sgd", lr=0.1, steps=10, seed=0, clip=1e-3, symmetry_every=5
    )
    assert history.symmetry_step.tolist() == [0, 5, 10]
    assert history.n_clipped == 10  # every gradient of N(0, 1) weights exceeds 1e-3


@pytest.mark.parametrize(
    ("pad", "relative", "expected"),
    [
        (0.0, 0.0, (0.0, 2.0, -1.0, 3.0)),
        (1.0, 0.0, (-1.0, 3.0, -2.0, 4.0)),
        (0.0, 0.5, (-1.0, 3.0, -3.0, 5.0)),
    ],
)
def test_data_extent(pad, relative, expected):
    x = np.array([[0.0, 3.0], [2.0, -1.0], [1.0, 0.0]])
    got = E.data_extent(x, pad=pad, relative=relative)
    assert got == pytest.approx(expected)
    assert all(isinstance(v, float) for v in got)


class _StubNet:
    def __init__(self, fn):
        self.fn = fn

    def predict(self, points):
        return self.fn(points)


def test_decision_grid_geometry_and_probability():
    # logits (0, x0): p(class 1) = sigmoid(x0)
    net = _StubNet(lambda p: np.column_stack([np.zeros(len(p)), p[:, 0]]))
    grid = E.decision_grid(net, (-2.0, 2.0, 0.0, 1.0), 4)
    assert list(grid.columns) == ["x0", "x0_end", "x1", "x1_end", "p", "cls", "status"]
    assert len(grid) == 16
    assert grid["x0"].min() == -2.0
    assert grid["x0_end"].max() == 2.0
    np.testing.assert_allclose(grid["x0_end"] - grid["x0"], 1.0)
    np.testing.assert_allclose(grid["x1_end"] - grid["x1"], 0.25)
    centre = (grid["x0"] + grid["x0_end"]) / 2
    np.testing.assert_allclose(grid["p"], np.round(1 / (1 + np.exp(-centre)), 4))
    assert (grid["cls"] == (centre > 0).astype(int)).all()
    assert (grid["status"] == "ok").all()


def test_decision_grid_nonfinite_and_multiclass():
    def logits(p):
        out = np.tile([0.0, 0.0, 5.0], (len(p), 1))
        out[p[:, 0] < 0] = np.nan
        return out

    grid = E.decision_grid(_StubNet(logits), (-1.0, 1.0, -1.0, 1.0), 2)
    bad = grid["x0"] < 0
    assert (grid.loc[bad, "status"] == "NaN").all()
    assert (grid.loc[~bad, "status"] == "ok").all()
    np.testing.assert_allclose(grid.loc[bad, "p"], round(1 / 3, 4))  # uniform
    expected = round(math.exp(5) / (2 + math.exp(5)), 4)
    np.testing.assert_allclose(grid.loc[~bad, "p"], expected)
    assert (grid.loc[~bad, "cls"] == 2).all()


def test_decision_grid_real_network():
    net = E.build_network(Net("mlp", "tanh", 2, 8, 0), "he_normal", ())
    grid = E.decision_grid(net, (-1.0, 1.0, -1.0, 1.0), 5)
    assert len(grid) == 25
    assert grid["p"].between(0, 1).all()
    assert set(grid["cls"]) <= {0, 1}
