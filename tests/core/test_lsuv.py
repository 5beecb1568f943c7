"""Tests of core.lsuv: every layer ends within tol of unit variance, for mlp, cnn and resmlp."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.nets import make_net
from core import datasets, networks
from core.lsuv import LSUVReport, lsuv


def _net(kind: str, activation: str, init: str = "glorot_normal", **kw) -> networks.Network:
    shape = {"mlp": (2,), "resmlp": (2,), "cnn": (16, 16, 1)}[kind]
    defaults = {"depth": 4, "width": 6} if kind == "cnn" else {"depth": 12, "width": 32}
    return networks.build(
        kind,
        input_shape=shape,
        n_outputs=3,
        activation=activation,
        init=init,
        rng=np.random.default_rng(0),
        **{**defaults, **kw},
    )


def _data(kind: str) -> np.ndarray:
    name = "shapes" if kind == "cnn" else "spiral"
    return datasets.load(name, 64 if kind == "cnn" else 256, seed=1)[0]


def _variances(net: networks.Network, x: np.ndarray) -> np.ndarray:
    return np.array([np.var(z) for z in net.forward(x).z])


@pytest.mark.parametrize("kind", ["mlp", "resmlp", "cnn"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "selu"])
def test_every_layer_within_tol(kind: str, activation: str) -> None:
    net = _net(kind, activation)
    x = _data(kind)
    report = lsuv(net, x, tol=0.1, max_iter=10, rng=np.random.default_rng(2))
    assert isinstance(report, LSUVReport)
    assert report.all_converged
    assert len(report.layer_names) == len(net.params)
    assert report.layer_names[-1] == "output"
    # Independent check on a fresh forward pass: every pre-activation has unit variance.
    var = _variances(net, x)
    np.testing.assert_allclose(var, report.final_variance, rtol=1e-12)
    assert np.all(np.abs(var - 1.0) < 0.1)
    assert np.all(report.iterations >= 0)
    assert np.all(report.iterations <= 10)


def test_report_fields_and_orthogonal_start() -> None:
    net = _net("mlp", "relu", depth=5, width=16)
    x = _data("mlp")
    report = lsuv(net, x, rng=np.random.default_rng(0))
    assert report.tol == 0.1
    assert report.iterations.dtype == np.int64
    assert report.converged.dtype == bool
    assert report.iterations.shape == report.final_variance.shape == (6,)
    # With zero biases the pre-activation is linear in W: one rescaling gives variance 1 exactly.
    np.testing.assert_array_equal(report.iterations, 1)
    np.testing.assert_allclose(report.final_variance, 1.0, rtol=1e-10)
    # LSUV only rescales, so the hidden square weights stay orthogonal up to a scalar.
    for w in net.hidden_weights()[1:]:
        gram = w.T @ w
        np.testing.assert_allclose(gram, gram[0, 0] * np.eye(16), atol=1e-10 * gram[0, 0])
    with pytest.raises(ValueError, match="read-only"):
        report.iterations[0] = 5


def test_without_orthogonal_start_fixes_a_vanishing_init() -> None:
    # N(0, 0.01^2) weights: the signal shrinks ~10x per layer; LSUV repairs the scale in place.
    net = _net("mlp", "tanh", init="small_random", depth=8, width=32)
    x = _data("mlp")
    before = _variances(net, x)
    assert before[-1] < 1e-12
    w0 = [w.copy() for w in net.hidden_weights()]
    report = lsuv(net, x, orthogonal_init=False)
    assert report.all_converged
    assert report.initial_variance[0] < 0.01
    assert np.all(np.abs(_variances(net, x) - 1.0) < 0.1)
    # Only a rescaling: each weight is a positive multiple of the original.
    for a, b in zip(w0, net.hidden_weights(), strict=True):
        c = float(np.vdot(a, b) / np.vdot(a, a))
        assert c > 0
        np.testing.assert_allclose(b, c * a, rtol=1e-12)


def test_second_pass_needs_no_rescaling() -> None:
    # Var(z) is centred, so biases do not matter, and z is linear in the layer's own W: after
    # one pass every layer is already at unit variance.
    net = _net("mlp", "tanh", depth=6, width=16)
    for p in net.params:
        p["b"] = np.full_like(p["b"], 0.5)
    x = _data("mlp")
    lsuv(net, x, tol=0.01, rng=np.random.default_rng(0))
    again = lsuv(net, x, tol=0.01, orthogonal_init=False)
    assert again.all_converged
    np.testing.assert_array_equal(again.iterations, 0)
    np.testing.assert_allclose(again.initial_variance, 1.0, rtol=1e-10)


def test_zero_weights_cannot_be_rescaled() -> None:
    net = _net("mlp", "tanh", init="zeros", depth=3, width=8)
    report = lsuv(net, _data("mlp"), orthogonal_init=False)
    assert not report.all_converged
    assert report.final_variance[0] == 0.0
    assert report.iterations[0] == 0


def test_lsuv_is_deterministic() -> None:
    x = _data("mlp")
    a, b = _net("mlp", "relu"), _net("mlp", "relu")
    lsuv(a, x, rng=np.random.default_rng(5))
    lsuv(b, x, rng=np.random.default_rng(5))
    for pa, pb in zip(a.params, b.params, strict=True):
        for k in pa:
            np.testing.assert_array_equal(pa[k], pb[k])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tol": 0.0}, "tol"),
        ({"tol": 1.5}, "tol"),
        ({"max_iter": 0}, "max_iter"),
        ({"max_iter": 2.0}, "max_iter"),
        ({"rng": None}, "rng"),
    ],
)
def test_bad_arguments_raise(kwargs: dict, match: str) -> None:
    args = {"rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(ValueError, match=match):
        lsuv(_net("mlp", "relu", depth=2, width=4), _data("mlp"), **args)


def test_rnn_is_rejected() -> None:
    net = make_net("rnn", (5, 1), 2, 1, 4, "tanh", "orthogonal")
    x, _ = datasets.load("parity", 8, seed=0, length=5)
    with pytest.raises(ValueError, match="mlp, cnn, resmlp"):
        lsuv(net, x, rng=np.random.default_rng(0))
