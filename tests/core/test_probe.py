"""Tests for core.probe.propagate: textbook behaviour, exact identities, overflow, records."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.networks import MAX_TRACE_ELEMENTS
from core.probe import SATURATION_THRESHOLD, LayerStats, propagate

WIDTH, BATCH = 256, 512


def probe(**kw):
    base = dict(network="mlp", depth=8, width=WIDTH, batch=BATCH, seed=0)
    return propagate(**{**base, **kw})


# --------------------------------------------------------------------------------------------
# Textbook behaviour (CS231n / Glorot & Bengio / He et al.)
# --------------------------------------------------------------------------------------------


def test_tanh_small_random_collapses_geometrically():
    # N(0, 0.01^2) weights: Var(z_l) = 0.01^2 * width * E[a_{l-1}^2], and tanh is linear near 0,
    # so the RMS shrinks by 0.01 * sqrt(256) = 0.16 per layer. Over 12 seeds the per-layer
    # ratio had sd 0.001 (analytic SE of a ratio of Gaussian norms: ~0.0006); tolerance 0.006.
    s = probe(activation="tanh", init="small_random")
    ratio = s.act_rms[1:] / s.act_rms[:-1]
    np.testing.assert_allclose(ratio, 0.01 * np.sqrt(WIDTH), atol=0.006)
    # The first layer also compresses slightly (tanh(z) < z): ratio just below 0.16.
    assert 0.15 < s.act_rms[0] / s.input_std < 0.16
    assert s.act_rms[-1] < 1e-5
    # Gradients vanish on the way down by the same factor (tanh' ~ 1 near 0).
    assert s.grad_rms[0] < 0.17**7 * s.grad_rms[-1]
    assert np.all(s.saturated_fraction == 0.0)


def test_tanh_large_random_saturates():
    # N(0, 1) weights: z has std ~ sqrt(256) = 16, so |tanh'(z)| < 0.05 (|z| > 2.18) for
    # ~89% of the units (12 seeds: 0.889 +- 0.001 per layer).
    s = probe(activation="tanh", init="large_random")
    assert np.all(s.saturated_fraction > 0.87)
    assert np.all(s.act_rms > 0.95)  # activations pile up at +-1
    assert s.act_log_hist[:, -4:].sum() > 0.8 * s.act_log_hist.sum()  # the top decade bins


def test_relu_he_keeps_scale_lecun_halves_variance():
    he = probe(activation="relu", init="he_normal", depth=20)
    lecun = probe(activation="relu", init="lecun_normal", depth=20)
    # Exact: with the same seed, he_normal = sqrt(2) * lecun_normal entry by entry, and ReLU is
    # positively homogeneous, so the He pre-activations are 2^(l/2) times the LeCun ones.
    layers = np.arange(1, 21)
    np.testing.assert_allclose(he.preact_std / lecun.preact_std, 2.0 ** (layers / 2), rtol=1e-10)
    # Statistical: Var(z_l) / Var(z_{l-1}) = 2 / 2 = 1 for He and 1 / 2 for Var = 1 / fan_in
    # (ReLU halves the second moment). Geometric mean over 19 ratios; over 12 seeds its sd was
    # 0.022 (He) and 0.011 (LeCun): tolerances are ~5 sd.
    q_he = he.preact_std**2
    q_lecun = lecun.preact_std**2
    assert np.exp(np.mean(np.log(q_he[1:] / q_he[:-1]))) == pytest.approx(1.0, abs=0.1)
    assert np.exp(np.mean(np.log(q_lecun[1:] / q_lecun[:-1]))) == pytest.approx(0.5, abs=0.05)
    assert q_lecun[-1] / q_lecun[0] < 1e-4  # vanished by 2^-19 ~ 2e-6 (noise allowed)
    assert 0.3 < q_he[-1] / q_he[0] < 3.0
    # Half of the ReLUs are off: dead (f' == 0) and hence saturated.
    # (per-layer fractions fluctuate by ~0.03 because the units share the layer's weights)
    assert np.mean(he.dead_fraction) == pytest.approx(0.5, abs=0.03)
    assert np.all((he.dead_fraction > 0.35) & (he.dead_fraction < 0.65))
    np.testing.assert_array_equal(he.dead_fraction, he.saturated_fraction)


def test_sigmoid_gradients_shrink_at_least_4x_per_layer():
    # Exact: sigmoid' <= 1/4 everywhere and an orthogonal square W preserves the norm of
    # dz W^T, so ||dz_{l-1}|| <= ||dz_l|| / 4 for every layer and every seed.
    s = probe(activation="sigmoid", init="orthogonal", depth=10)
    assert np.all(s.grad_rms[:-1] <= 0.25 * s.grad_rms[1:] * (1 + 1e-12))
    # Glorot weights with square layers: the same up to the random norm change of W^T
    # (12 seeds: ratios 0.21-0.241, sd 0.002).
    g = probe(activation="sigmoid", init="glorot_normal", depth=10)
    assert np.all(g.grad_rms[:-1] / g.grad_rms[1:] < 0.25)
    assert g.grad_rms[0] < 0.25**9 * g.grad_rms[-1]


def test_rnn_gradient_through_time():
    # Linear RNN with orthogonal W_hh: dz_t = dz_{t+1} W_hh^T exactly preserves the norm.
    s = probe(network="rnn", activation="linear", init="orthogonal", depth=30, width=64, batch=64)
    np.testing.assert_allclose(s.grad_rms, s.grad_rms[-1], rtol=1e-10)
    # tanh with N(0, 0.01^2): the gradient vanishes through time by ~0.16 per step.
    v = probe(network="rnn", activation="tanh", init="small_random", depth=10)
    ratio = v.grad_rms[:-1] / v.grad_rms[1:]
    np.testing.assert_allclose(ratio, 0.16, atol=0.006)
    # Inputs arrive at every step, so the activations do not collapse through time.
    assert np.all(v.act_rms > 0.1)


def test_cnn_delta_orthogonal_and_resmlp_identity_are_exact():
    # Delta-orthogonal conv with c_in = c_out maps every pixel's channel vector by an orthogonal
    # matrix: a linear net keeps the norm exactly, layer after layer.
    s = probe(network="cnn", activation="linear", init="delta_orthogonal", width=8, batch=4)
    np.testing.assert_allclose(s.act_rms, s.act_rms[0], rtol=1e-12)
    np.testing.assert_allclose(s.grad_rms, s.grad_rms[-1], rtol=1e-12)
    # alpha = 0: every residual block is the identity (ReZero / Fixup start).
    r = probe(network="resmlp", activation="tanh", init="large_random", alpha=0.0, depth=5)
    np.testing.assert_allclose(r.act_std, r.input_std, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Overflow and huge values
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "linear"])
def test_overflow_at_depth_300_is_counted_not_raised(activation):
    # N(0, 2^2) weights, width 64: the RMS grows by 2 sqrt(64 / 2) ~ 11.3 (ReLU) or 16 (linear)
    # per layer, so 1.8e308 is passed near layer 292 (ReLU) or 257 (linear). pytest's
    # filterwarnings=error fails the test on any RuntimeWarning.
    big = {"init": "normal", "init_params": {"std": 2.0}, "width": 64, "batch": 16}
    s = probe(activation=activation, depth=300, **big)
    assert s.nonfinite_act[-1] > 0
    assert 250 < s.first_nonfinite_layer < 300
    assert s.any_nonfinite
    ok = s.layer < s.first_nonfinite_layer
    assert np.all(np.isfinite(s.act_std[ok]))
    assert np.all(s.nonfinite_act[ok] == 0)
    if activation == "linear":
        # The backward pass grows by 16 per layer too and overflows before reaching layer 1.
        # (For ReLU the NaN units at the top have f'(NaN) = 0, which stops the gradient.)
        assert s.nonfinite_grad[0] > 0
    # Histograms count only finite values.
    assert np.all(s.act_log_hist.sum(axis=1) + s.act_zero_count <= s.hist_values_per_layer)
    assert np.all(np.isfinite(s.act_bin_edges))


def test_huge_values_have_finite_moments():
    # Linear net, N(0, 2^2) weights, width 64: RMS x16 per layer; 16^200 ~ 1e241 (squares
    # would overflow).
    big = {"init": "normal", "init_params": {"std": 2.0}, "width": 64, "batch": 16}
    s = probe(activation="linear", depth=200, **big)
    assert not s.any_nonfinite
    assert np.all(np.isfinite(s.act_std))
    assert s.act_std[-1] > 1e230
    slope = np.diff(np.log10(s.act_rms)).mean()
    assert slope == pytest.approx(np.log10(16.0), abs=0.02)
    # N(0, 0.002^2), width 64: RMS x0.016 per layer; 0.016^150 ~ 1e-270 is representable, its
    # square is not.
    small = {"init": "normal", "init_params": {"std": 0.002}, "width": 64, "batch": 16}
    tiny = probe(activation="linear", depth=150, **small)
    assert np.all(tiny.act_std > 0)
    assert tiny.act_std[-1] < 1e-250
    assert np.all(np.diff(np.log10(tiny.act_rms[np.isfinite(tiny.act_rms)])) < 0)


# --------------------------------------------------------------------------------------------
# Record, histograms, reproducibility
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("network", ["mlp", "cnn", "rnn", "resmlp"])
def test_record_shapes_and_histogram_totals(network):
    width, batch = (8, 4) if network == "cnn" else (32, 64)
    s = probe(
        network=network, activation="tanh", init="glorot_normal", width=width, batch=batch, depth=6
    )
    assert isinstance(s, LayerStats)
    assert s.layer.tolist() == list(range(1, 7))
    for f in dataclasses.fields(s):
        v = getattr(s, f.name)
        if isinstance(v, np.ndarray) and f.name.endswith(("_mean", "_std", "_rms", "_fraction")):
            assert v.shape == (6,), f.name
    spatial = 256 if network == "cnn" else 1
    assert s.values_per_layer == batch * width * spatial
    n = s.hist_values_per_layer
    assert n == min(s.values_per_layer, 2**15)
    assert s.act_hist.shape == (6, len(s.act_bin_edges) - 1)
    assert s.act_log_hist.shape == (6, len(s.act_log_edges) - 1)
    assert s.grad_log_hist.shape == (6, len(s.grad_log_edges) - 1)
    np.testing.assert_array_equal(s.act_hist.sum(axis=1), n)
    np.testing.assert_array_equal(s.grad_hist.sum(axis=1), n)
    np.testing.assert_array_equal(s.act_log_hist.sum(axis=1) + s.act_zero_count, n)
    np.testing.assert_array_equal(s.grad_log_hist.sum(axis=1) + s.grad_zero_count, n)
    # Shared bins: symmetric linear edges, log edges on whole decades.
    np.testing.assert_allclose(s.act_bin_edges, -s.act_bin_edges[::-1])
    assert s.act_log_edges[0] == np.floor(s.act_log_edges[0])
    if network != "resmlp":  # (resmlp's activations are the unbounded residual stream)
        assert s.act_bin_edges[-1] <= 1.0  # tanh: |a| < 1
    assert np.all((s.saturated_fraction >= 0) & (s.saturated_fraction <= 1))


def test_histograms_match_numpy_and_thresholds():
    s = probe(activation="relu", init="he_normal", width=16, batch=32, depth=3)
    # Reproduce layer-3 activations independently is not possible without the weights, but the
    # counts of exact zeros (dead ReLUs) must equal the dead fraction times the count.
    n = s.hist_values_per_layer
    np.testing.assert_allclose(s.act_zero_count / n, s.dead_fraction, atol=1e-12)
    assert SATURATION_THRESHOLD == 0.05


def test_same_seed_reproducible_and_deeper_probe_extends_shallower():
    a = probe(activation="tanh", init="glorot_uniform", depth=5, width=32, batch=16)
    b = probe(activation="tanh", init="glorot_uniform", depth=5, width=32, batch=16)
    np.testing.assert_array_equal(a.act_std, b.act_std)
    np.testing.assert_array_equal(a.grad_std, b.grad_std)
    c = probe(activation="tanh", init="glorot_uniform", depth=9, width=32, batch=16)
    np.testing.assert_array_equal(c.act_std[:5], a.act_std)  # forward is depth-independent
    d = probe(activation="tanh", init="glorot_uniform", depth=5, width=32, batch=16, seed=1)
    assert not np.array_equal(d.act_std, a.act_std)


def test_bias_std_and_uniform_inputs():
    s = probe(activation="tanh", init="small_random", bias=True, bias_std=0.5, depth=6)
    # With sigma_b = 0.5 the signal no longer collapses: Var(z) >= sigma_b^2.
    assert np.all(s.preact_std > 0.4)
    u = probe(activation="linear", init="orthogonal", inputs="uniform", depth=3)
    assert u.input_std == pytest.approx(1.0, abs=0.01)
    np.testing.assert_allclose(u.act_rms, u.act_rms[0], rtol=1e-12)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"network": "lstm"}, "network"),
        ({"activation": "nope"}, "activation"),
        ({"init": "nope"}, "init"),
        ({"init": "identity", "network": "cnn"}, "identity"),
        ({"depth": 0}, "depth"),
        ({"width": 0}, "width"),
        ({"batch": 0}, "batch"),
        ({"seed": -1}, "seed"),
        ({"inputs": "ones"}, "inputs"),
        ({"bias_std": -1.0}, "bias_std"),
        ({"alpha": float("inf")}, "alpha"),
        ({"width": 4096, "depth": 200, "batch": 1}, "MAX_PARAMETERS"),
        ({"width": 1024, "depth": 100, "batch": 1024}, "MAX_TRACE_ELEMENTS"),
    ],
)
def test_bad_arguments(changes, match):
    kw = {"activation": "tanh", "init": "he_normal", **changes}
    with pytest.raises(ValueError, match=match):
        probe(**kw)
    assert MAX_TRACE_ELEMENTS > 0
