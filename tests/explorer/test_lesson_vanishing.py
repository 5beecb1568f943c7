"""Unit tests of explorer.lessons.vanishing (called directly, no AppTest)."""

import math

import numpy as np
import pytest

from core import initializers
from explorer import experiments as E
from explorer.lessons import vanishing as V
from explorer.state import Net

SMALL = initializers.REGISTRY["small_random"].label


def label(init):
    return initializers.REGISTRY[init].label


@pytest.mark.parametrize(
    ("init", "activation", "network", "expected"),
    [
        ("he_normal", "relu", "mlp", ["small_random", "he_normal"]),
        ("small_random", "relu", "mlp", ["small_random", "he_normal"]),
        ("he_normal", "tanh", "mlp", ["small_random", "he_normal", "glorot_normal"]),
        ("small_random", "tanh", "cnn", ["small_random", "glorot_normal"]),
        ("delta_orthogonal", "tanh", "cnn", ["small_random", "delta_orthogonal", "glorot_normal"]),
        ("orthogonal", "selu", "rnn", ["small_random", "orthogonal", "lecun_normal"]),
        ("lecun_normal", "selu", "resmlp", ["small_random", "lecun_normal"]),
    ],
)
def test_vanishing_series(init, activation, network, expected):
    series = V.vanishing_series(init, (), activation, network)
    assert [s[1] for s in series] == expected
    assert [s[0] for s in series] == [label(n) for n in expected]
    assert series[0] == (SMALL, "small_random", ())


def test_vanishing_series_keeps_user_params():
    series = V.vanishing_series("normal", (("std", 0.3),), "relu", "mlp")
    assert series[1] == (label("normal"), "normal", (("std", 0.3),))
    assert series[2] == (label("he_normal"), "he_normal", ())


# ---------------------------------------------------------------- vanishing_probe


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_vanishing_probe_mlp_has_theory(activation):
    series = V.vanishing_series("he_normal", (), activation, "mlp")
    layers, summary = V.vanishing_probe(Net("mlp", activation, 5, 32, 0), series)
    names = [s[0] for s in series]
    assert list(dict.fromkeys(layers["series"])) == [*names, "theory: small random"]
    assert summary["series"].tolist() == names
    assert summary["init"].tolist() == [s[1] for s in series]
    assert summary["sigma_w2"].iloc[0] == pytest.approx(32e-4)
    theory = layers[layers["series"] == "theory: small random"]
    measured = layers[layers["series"] == SMALL]
    assert theory["layer"].tolist() == [1, 2, 3, 4, 5]
    # the theory's gradient curve is anchored at the measured top-layer value
    assert theory["grad_std"].iloc[-1] == pytest.approx(measured["grad_std"].iloc[-1], rel=1e-12)


@pytest.mark.parametrize("network", ["cnn", "rnn", "resmlp"])
def test_vanishing_probe_no_theory_off_mlp(network):
    width = 8 if network == "cnn" else 16
    series = V.vanishing_series("he_normal", (), "relu", network)
    layers, summary = V.vanishing_probe(Net(network, "relu", 3, width, 0), series)
    assert "theory: small random" not in set(layers["series"])
    assert list(layers.columns) == list(E.STATS_COLUMNS)
    assert len(layers) == 3 * len(series)
    fan_in = E.hidden_fan_in(network, width)
    assert summary["sigma_w2"].iloc[0] == pytest.approx(fan_in * 1e-4)


def test_small_random_tanh_vanishes_as_theory_predicts():
    # Width 64: sigma_w2 = 0.0064, per-layer factor 0.08 in tanh's linear regime. The theory
    # matches the measurement within 30 %: the log of each layer's measured factor fluctuates by
    # at most sqrt(2/n)/2 = 0.09 (finite width), accumulating to 0.22 over 6 layers.
    series = V.vanishing_series("he_normal", (), "tanh", "mlp")
    layers, summary = V.vanishing_probe(Net("mlp", "tanh", 6, 64, 0), series)
    measured = layers[layers["series"] == SMALL]["act_std"].to_numpy()
    theory = layers[layers["series"] == "theory: small random"]["act_std"].to_numpy()
    assert np.all(np.diff(measured) < 0)
    assert np.all(np.diff(theory) < 0)
    np.testing.assert_allclose(measured, theory, rtol=0.3)
    small = summary.iloc[0]
    assert small["rule_factor"] == pytest.approx(0.08)
    assert small["act_factor"] == pytest.approx(0.08, rel=0.1)
    assert small["grad_ratio"] < 1e-5  # the gradient at layer 1 vanished too
    he = summary.iloc[1]
    assert he["act_ratio"] > 0.1  # He keeps the signal (tanh saturates it a bit)


# ---------------------------------------------------------------- predicted_small_random


@pytest.mark.parametrize(("activation", "slope2"), [("tanh", 1.0), ("relu", 0.5), ("linear", 1.0)])
def test_predicted_small_random(activation, slope2):
    frame = V.predicted_small_random(activation, 5, 64, 2.0)
    assert list(frame.columns) == ["series", "layer", "act_std", "grad_std"]
    assert (frame["series"] == "theory: small random").all()
    assert frame["layer"].tolist() == [1, 2, 3, 4, 5]
    assert frame["grad_std"].iloc[-1] == pytest.approx(2.0)
    ratio = frame["act_std"].to_numpy()[1:] / frame["act_std"].to_numpy()[:-1]
    # the small-signal factor sqrt(64e-4 * E[f'(0)^2]) (ReLU: the std of relu(z) scales
    # with z's, so the factor is the same ratio). Layer 1 still sees a unit input (tanh bends
    # it by < 1 %); as the signal shrinks the ratio converges to the rule.
    np.testing.assert_allclose(ratio, math.sqrt(64e-4 * slope2), rtol=1e-2)
    assert ratio[-1] == pytest.approx(math.sqrt(64e-4 * slope2), rel=1e-4)
    grad = frame["grad_std"].to_numpy()
    np.testing.assert_allclose(grad[:-1] / grad[1:], math.sqrt(64e-4 * slope2), rtol=1e-2)


def test_predicted_small_random_zero_anchor():
    frame = V.predicted_small_random("tanh", 3, 16, 0.0)
    assert (frame["grad_std"] == 0).all()


# ---------------------------------------------------------------- stall_training


@pytest.fixture(scope="module")
def stall():
    series = V.vanishing_series("he_normal", (), "tanh", "mlp")
    return series, V.stall_training("tanh", series, 0)


def test_stall_training_frames(stall):
    series, (curves, summary, diverged) = stall
    assert list(curves.columns) == ["step", "loss", "loss_shown", "accuracy", "series"]
    assert list(summary.columns) == [
        "series",
        "init",
        "first_loss",
        "final_loss",
        "final_accuracy",
        "max_loss",
        "diverged_at",
        "layer1_grad",
        "output_grad",
    ]
    assert summary["series"].tolist() == [s[0] for s in series]
    assert list(dict.fromkeys(curves["series"])) == [s[0] for s in series]
    assert curves.groupby("series", sort=False)["step"].max().tolist() == [V.STALL_STEPS - 1] * 3
    assert list(diverged.columns) == ["step", "series"]
    assert diverged.empty
    assert summary["diverged_at"].isna().all()
    np.testing.assert_array_equal(curves["loss_shown"], curves["loss"])  # all below the cap
    np.testing.assert_allclose(
        summary["first_loss"], curves.groupby("series", sort=False)["loss"].first()
    )


def test_small_random_stalls_he_learns(stall):
    _, (_, summary, _) = stall
    small, he = summary.iloc[0], summary.iloc[1]
    # depth 5 x N(0, 0.01^2): the gradient reaching layer 1 is ~1e-7, the loss stays at ln 2
    assert small["first_loss"] == pytest.approx(math.log(2), abs=1e-3)
    assert small["final_loss"] == pytest.approx(small["first_loss"], abs=1e-3)
    assert small["layer1_grad"] < 1e-5
    assert he["layer1_grad"] > 1e3 * small["layer1_grad"]
    assert he["final_loss"] < 0.05
    assert he["final_accuracy"] > 0.95
    assert small["max_loss"] == pytest.approx(small["first_loss"], abs=1e-3)


def test_stall_training_divergence():
    series = (("Large", "large_random", ()),)
    curves, summary, diverged = V.stall_training("relu", series, 0)
    row = summary.iloc[0]
    assert not math.isnan(row["diverged_at"])
    assert diverged["step"].tolist() == [int(row["diverged_at"])]
    assert diverged["series"].tolist() == ["Large"]
    assert math.isfinite(row["max_loss"])
    assert row["max_loss"] == curves["loss"][np.isfinite(curves["loss"])].max()
    big = curves["loss"] > V.STALL_LOSS_CAP
    assert big.any()
    assert np.isposinf(curves.loc[big, "loss_shown"]).all()
    small = curves["loss"] <= V.STALL_LOSS_CAP
    np.testing.assert_array_equal(curves.loc[small, "loss_shown"], curves.loc[small, "loss"])


def test_stall_training_unsupported_mlp_init_falls_back():
    # delta_orthogonal has no dense form: the stall demo trains with orthogonal instead
    series = (("Delta", "delta_orthogonal", ()),)
    _, summary, _ = V.stall_training("tanh", series, 0)
    assert summary["init"].tolist() == ["delta_orthogonal"]
    assert math.isfinite(summary["final_loss"].iloc[0])


# ---------------------------------------------------------------- relu_check


def test_relu_check():
    frame = V.relu_check("mlp", 10, 64, 0)
    assert frame["init"].tolist() == ["small_random", "lecun_normal", "he_normal"]
    assert frame["series"].tolist() == [label(n) for n in frame["init"]]
    np.testing.assert_allclose(frame["sigma_w2"], [64e-4, 1.0, 2.0], rtol=1e-12)
    np.testing.assert_allclose(frame["rule_factor"], np.sqrt(frame["sigma_w2"] / 2), rtol=1e-12)
    # ReLU is homogeneous: the measured factor follows the rule within the finite-width
    # tolerance (log-factor std <= sqrt(2/64)/2/sqrt(9) = 0.03; 0.1 is > 3 SE)
    np.testing.assert_allclose(frame["act_factor"], frame["rule_factor"], rtol=0.1)
    assert frame["act_last"].is_monotonic_increasing


@pytest.mark.parametrize("network", ["cnn", "rnn", "resmlp"])
def test_relu_check_other_networks(network):
    width = 8 if network == "cnn" else 16
    frame = V.relu_check(network, 3, width, 0)
    fan_in = E.hidden_fan_in(network, width)
    np.testing.assert_allclose(frame["sigma_w2"], [fan_in * 1e-4, 1.0, 2.0], rtol=1e-12)
    assert len(frame) == 3
