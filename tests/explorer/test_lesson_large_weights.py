"""Unit tests of explorer.lessons.large_weights (called directly, no AppTest)."""

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from core import initializers, probe
from explorer import experiments as E
from explorer.lessons import large_weights as L
from explorer.state import Net


def label(init):
    return initializers.REGISTRY[init].label


# ---------------------------------------------------------------- compare_stats


@pytest.mark.parametrize("network", ["mlp", "cnn", "rnn", "resmlp"])
def test_compare_stats(network):
    width = 8 if network == "cnn" else 16
    inits = L.large_weight_series("tanh", "he_normal", ())
    frame = L.compare_stats(Net(network, "tanh", 3, width, 0), inits)
    assert list(frame.columns) == list(E.STATS_COLUMNS)
    assert frame["series"].tolist() == [s[0] for s in inits for _ in range(3)]
    expected = E.stats_frame(
        E.layer_stats(Net(network, "tanh", 3, width, 0), "large_random", ()), "x"
    )
    np.testing.assert_array_equal(frame["act_std"].iloc[:3], expected["act_std"])


# ---------------------------------------------------------------- large_weight_series


@pytest.mark.parametrize(
    ("activation", "init", "params", "expected"),
    [
        ("tanh", "he_normal", (), ["large_random", "he_normal", "glorot_normal"]),
        ("relu", "large_random", (), ["large_random", "he_normal"]),
        ("relu", "he_normal", (("gain", 1.0),), ["large_random", "he_normal"]),
        ("selu", "glorot_normal", (), ["large_random", "glorot_normal", "lecun_normal"]),
        ("sigmoid", "glorot_normal", (), ["large_random", "glorot_normal"]),
    ],
)
def test_large_weight_series(activation, init, params, expected):
    series = L.large_weight_series(activation, init, params)
    assert [s[1] for s in series] == expected
    assert [s[0] for s in series] == [label(n) for n in expected]
    assert series[0] == (label("large_random"), "large_random", ())
    if init != "large_random":
        assert series[1][2] == params  # the user's parameters are kept


# ---------------------------------------------------------------- saturation_rule


def test_saturation_rule():
    t = probe.SATURATION_THRESHOLD
    assert L.saturation_rule("tanh") == f"|a| > {math.sqrt(1 - t):.3f}"
    assert L.saturation_rule("tanh") == "|a| > 0.975"
    assert L.saturation_rule("sigmoid") == "a < 0.013 or a > 0.987"
    for name in ("relu", "linear", "selu"):
        assert L.saturation_rule(name) == ""


def test_saturation_rule_sigmoid_bound_is_root():
    # a (1 - a) = t / 4 at the printed bound: the slope is 5 % of its maximum 1/4 there
    t = probe.SATURATION_THRESHOLD
    low = (1 - math.sqrt(1 - t)) / 2
    assert low * (1 - low) == pytest.approx(t / 4)


# ---------------------------------------------------------------- outer_bin_share


def test_outer_bin_share_tanh_saturates():
    stats = E.layer_stats(Net("mlp", "tanh", 5, 64, 0), "large_random", ())
    # tanh's range ends are -1 and +1: the end bins are the outermost ones (issue item 9).
    share, low, edge = L.outer_bin_share(stats)
    hist = stats.act_hist[-1]
    assert share == pytest.approx((hist[0] + hist[-1]) / stats.hist_values_per_layer)
    assert edge == stats.act_bin_edges[-2]
    assert low == stats.act_bin_edges[1]
    assert 0 < edge < 1
    # every saturated unit (|a| > 0.975) lies in the outer bins (|a| > edge < 0.975)
    assert edge < 0.975
    assert share >= stats.saturated_fraction[-1]
    assert share > 0.5  # N(0, 1) weights pin most tanh units at +-1


def test_outer_bin_share_well_scaled_is_small():
    stats = E.layer_stats(Net("mlp", "tanh", 5, 64, 0), "glorot_normal", ())
    share, _, _ = L.outer_bin_share(stats)
    assert 0 <= share < 0.1


# ---------------------------------------------------------------- layers_to_overflow


@pytest.mark.parametrize(
    ("last", "factor", "expected"),
    [
        (1.0, 10.0, L.FLOAT64_MAX_LOG10),
        (1e8, 10.0, L.FLOAT64_MAX_LOG10 - 8),
        (1.0, 100.0, L.FLOAT64_MAX_LOG10 / 2),
        (1e300, 1e4, (L.FLOAT64_MAX_LOG10 - 300) / 4),
        (1.7e308, 10.0, L.FLOAT64_MAX_LOG10 - math.log10(1.7e308)),
    ],
)
def test_layers_to_overflow(last, factor, expected):
    assert L.layers_to_overflow(last, factor) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("last", "factor", "expected"),
    [
        (math.inf, 2.0, 0.0),
        (math.nan, 2.0, 0.0),
        (1.0, 1.0, math.inf),
        (1.0, 0.5, math.inf),
        (1.0, math.nan, math.inf),
        (1.0, math.inf, math.inf),
        (0.0, 2.0, math.inf),
    ],
)
def test_layers_to_overflow_edges(last, factor, expected):
    assert L.layers_to_overflow(last, factor) == expected


def test_float64_max_log10():
    assert pytest.approx(308.2547, abs=1e-4) == L.FLOAT64_MAX_LOG10


# ---------------------------------------------------------------- activation_contrast


@pytest.fixture(scope="module")
def contrast():
    return L.activation_contrast("mlp", 5, 64, 0)


def test_activation_contrast_frame(contrast):
    assert list(contrast.columns) == [
        "activation",
        "saturated",
        "act_std",
        "growth",
        "overflow_layer",
        "grad_ratio",
    ]
    assert contrast["activation"].tolist() == [
        E.activation_record(n).label for n in L.CONTRAST_ACTIVATIONS
    ]
    assert contrast["overflow_layer"].isna().all()


def test_activation_contrast_physics(contrast):
    c = contrast.set_index(pd.Index(L.CONTRAST_ACTIVATIONS))
    # bounded activations saturate and stop growing; unbounded ones grow ~ sqrt(n E[f'^2])
    assert c.loc["tanh", "saturated"] > 0.5
    assert c.loc["linear", "saturated"] == 0.0
    assert c.loc["tanh", "act_std"] <= 1.0
    assert c.loc["sigmoid", "act_std"] <= 0.5
    assert c.loc["tanh", "growth"] == pytest.approx(1.0, abs=0.05)
    # finite-width tolerance as in test_experiments (3 SE of the mean log-factor < 10 %)
    assert c.loc["relu", "growth"] == pytest.approx(math.sqrt(32), rel=0.1)
    assert c.loc["linear", "growth"] == pytest.approx(8.0, rel=0.1)
    # The gradient explodes on its way back: x sqrt(n/2) = sqrt(32) per layer over the 4 gaps
    # of a 5-layer net, 32**2 = 1024 in expectation (the same 10 % per-layer tolerance as the
    # growth above compounds to about 40 % over 4 layers).
    assert c.loc["relu", "grad_ratio"] == pytest.approx(32.0**2, rel=0.4)
    assert c.loc["linear", "act_std"] > c.loc["relu", "act_std"] > c.loc["tanh", "act_std"]


def test_activation_contrast_overflow_reported():
    # N(0, 1) on a 64-wide linear RNN grows x8 per step: 400 steps reach 1e361 > 1.8e308
    frame = L.activation_contrast("rnn", 400, 64, 0)
    c = frame.set_index(pd.Index(L.CONTRAST_ACTIVATIONS))
    assert math.isfinite(c.loc["linear", "overflow_layer"])
    assert 300 < c.loc["linear", "overflow_layer"] < 400
    assert math.isinf(c.loc["linear", "act_std"])
    assert math.isnan(c.loc["tanh", "overflow_layer"])


# ---------------------------------------------------------------- train_demo / curves


def test_train_demo_learns_and_is_deterministic():
    a = L.train_demo(Net("mlp", "tanh", 3, 16, 0), "he_normal", (), lr=0.1, clip=None)
    b = L.train_demo(Net("mlp", "tanh", 3, 16, 0), "he_normal", (), lr=0.1, clip=None)
    assert isinstance(a, L.History)
    assert a.steps_run == L.TRAIN_STEPS
    assert a.final_loss < a.loss[0]
    assert a.n_clipped == 0
    assert a.diverged_at is None
    np.testing.assert_array_equal(a.loss, b.loss)


def test_train_demo_clipping_tames_large_weights():
    free = L.train_demo(Net("mlp", "relu", 5, 32, 0), "large_random", (), lr=0.1, clip=None)
    clipped = L.train_demo(Net("mlp", "relu", 5, 32, 0), "large_random", (), lr=0.1, clip=1.0)
    assert free.diverged_at is not None
    assert clipped.diverged_at is None
    assert clipped.n_clipped > 0


def test_train_demo_network_kind_and_caps(monkeypatch):
    calls = []
    real = L.build_network

    def spy(net, init, params, **kwargs):
        calls.append((net.network, net.depth, net.width))
        return real(net._replace(depth=1, width=4), init, params, **kwargs)

    monkeypatch.setattr(L, "build_network", spy)
    L.train_demo(Net("cnn", "tanh", 25, 100, 987), "he_normal", (), lr=0.01, clip=None)
    L.train_demo(Net("resmlp", "tanh", 4, 8, 987), "he_normal", (), lr=0.01, clip=None)
    L.train_demo(Net("rnn", "tanh", 2, 8, 987), "he_normal", (), lr=0.01, clip=None)
    assert calls == [
        ("mlp", L.TRAIN_DEPTH_MAX, L.TRAIN_WIDTH_MAX),
        ("resmlp", 4, 8),
        ("mlp", 2, 8),
    ]


def test_curve_frame():
    history = L.train_demo(Net("mlp", "tanh", 3, 16, 0), "he_normal", (), lr=0.1, clip=None)
    frame = L.curve_frame(history, "He")
    assert list(frame.columns) == ["step", "loss", "series"]
    assert (frame["series"] == "He").all()
    np.testing.assert_array_equal(frame["step"], history.step)
    np.testing.assert_array_equal(frame["loss"], history.loss)


@pytest.mark.parametrize(
    ("loss", "rises"),
    [
        ([], 0),
        ([1.0], 0),
        ([3.0, 2.0, 1.0], 0),
        ([1.0, 2.0, 1.0, 3.0], 2),
        ([1.0, 1.0, 1.0], 0),
        ([1.0, np.nan, 2.0, np.inf, 0.5], 1),  # non-finite steps are skipped
    ],
)
def test_loss_rises(loss, rises):
    assert L.loss_rises(SimpleNamespace(loss=np.array(loss, dtype=float))) == rises


def test_loss_rises_on_training():
    smooth = L.train_demo(Net("mlp", "tanh", 3, 16, 0), "he_normal", (), lr=0.1, clip=None)
    assert L.loss_rises(smooth) == 0  # small steps: gradient descent goes downhill
