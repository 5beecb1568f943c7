"""Tests for core.networks: gradients, symmetry, shapes, limits, overflow."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.nets import make_net
from core import networks as nets
from core.networks import (
    KINDS,
    MAX_DEPTH,
    MAX_WIDTH,
    build,
    loss_and_output_grad,
    loss_value,
    supported_inits,
)
from core.symmetry import summarize

SMALL_SHAPES = {"mlp": (4,), "cnn": (5, 5, 2), "rnn": (4, 3), "resmlp": (4,)}


def small_net(kind, *, activation="tanh", init="glorot_normal", seed=0, **kw):
    params = {"gain": 1.5} if init == "glorot_normal" else None
    kw.setdefault("init_params", params)
    return build(
        kind,
        input_shape=SMALL_SHAPES[kind],
        n_outputs=3,
        depth=2,
        width=5,
        activation=activation,
        init=init,
        rng=np.random.default_rng(seed),
        **kw,
    )


def targets(loss, rng, n=4, k=3):
    return rng.standard_normal((n, k)) if loss == "mse" else rng.integers(0, k, n)


def rel_err(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)


def random_indices(shape, rng, k=6):
    return [tuple(int(rng.integers(0, s)) for s in shape) for _ in range(k)]


# --------------------------------------------------------------------------------------------
# Finite-difference gradient checks (float64 central differences)
# --------------------------------------------------------------------------------------------

EPS = 1e-5


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("activation", ["tanh", "relu", "gelu", "sigmoid"])
def test_gradients_match_finite_differences(kind, loss, activation):
    rng = np.random.default_rng(zlib.crc32(f"{kind}{loss}{activation}".encode()))
    net = small_net(kind, activation=activation, alpha=0.7)
    for p in net.params:  # non-zero biases so their gradients are exercised
        p["b"][:] = 0.1 * rng.standard_normal(p["b"].shape)
    x = rng.standard_normal((4, *SMALL_SHAPES[kind]))
    y = targets(loss, rng)
    _, grads = net.loss_and_grads(x, y, loss)
    for li, p in enumerate(net.params):
        for key, v in p.items():
            num, ana = [], []
            for ix in random_indices(v.shape, rng):
                old = v[ix]
                v[ix] = old + EPS
                lp = loss_value(net.predict(x), y, loss)
                v[ix] = old - EPS
                lm = loss_value(net.predict(x), y, loss)
                v[ix] = old
                num.append((lp - lm) / (2 * EPS))
                ana.append(grads[li][key][ix])
            assert rel_err(num, ana) < 1e-6, (li, key)
    # Input gradient through backward().
    trace = net.forward(x)
    _, dout = loss_and_output_grad(trace.output, y, loss)
    _, bt = net.backward(trace, dout)
    num, ana = [], []
    for ix in random_indices(x.shape, rng):
        xp, xm = x.copy(), x.copy()
        xp[ix] += EPS
        xm[ix] -= EPS
        num.append(
            (loss_value(net.predict(xp), y, loss) - loss_value(net.predict(xm), y, loss))
            / (2 * EPS)
        )
        ana.append(bt.dx[ix])
    assert rel_err(num, ana) < 1e-6


# --------------------------------------------------------------------------------------------
# Symmetry: zero and constant init
# --------------------------------------------------------------------------------------------


def hidden_weight_grads(grads):
    return [v for g in grads[:-1] for k, v in g.items() if k.startswith("w")]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "elu"])
def test_zero_init_gives_exactly_zero_hidden_weight_gradients(kind, activation):
    rng = np.random.default_rng(5)
    net = small_net(kind, activation=activation, init="zeros")
    x = rng.standard_normal((6, *SMALL_SHAPES[kind]))
    _, grads = net.loss_and_grads(x, rng.integers(0, 3, 6), "cross_entropy")
    for g in hidden_weight_grads(grads):
        assert np.all(g == 0.0)
    assert np.any(grads[-1]["b"] != 0.0)  # the output bias still learns


def sgd(net, x, y, loss, steps, lr):
    for _ in range(steps):
        _, grads = net.loss_and_grads(x, y, loss)
        for p, g in zip(net.params, grads, strict=True):
            for k in p:
                p[k] -= lr * g[k]


def test_zero_init_tanh_hidden_weights_stay_zero_under_sgd():
    rng = np.random.default_rng(6)
    net = small_net("mlp", activation="tanh", init="zeros")
    x, y = rng.standard_normal((8, 4)), rng.integers(0, 3, 8)
    sgd(net, x, y, "cross_entropy", 25, 0.5)
    for w in net.hidden_weights():
        assert np.all(w == 0.0)
    assert np.any(net.params[-1]["b"] != 0.0)


@pytest.mark.parametrize("kind", KINDS)
def test_constant_init_neurons_stay_identical_under_sgd(kind):
    rng = np.random.default_rng(7)
    net = small_net(kind, activation="tanh", init="constant", init_params={"value": 0.2})
    x = rng.standard_normal((8, *SMALL_SHAPES[kind]))
    y = rng.integers(0, 3, 8)
    w_before = [w.copy() for w in net.hidden_weights()]
    sgd(net, x, y, "cross_entropy", 40, 0.3)
    moved = [not np.allclose(a, b) for a, b in zip(w_before, net.hidden_weights(), strict=True)]
    assert any(moved)  # training did change the hidden weights ...
    assert summarize(net).tolist() == [1] * len(w_before)  # ... but every layer is one neuron


@pytest.mark.parametrize("kind", KINDS)
def test_random_init_gives_distinct_neurons(kind):
    net = small_net(kind, init="he_normal")
    assert summarize(net).tolist() == [5] * len(net.hidden_weights())


# --------------------------------------------------------------------------------------------
# Architecture specifics
# --------------------------------------------------------------------------------------------


def test_parameter_layout_and_initialization():
    net = make_net("rnn", (7, 3), 2, 3, 6, "tanh", "orthogonal")
    assert [sorted(p) for p in net.params] == [["b", "w_hh", "w_xh"]] * 3 + [["b", "w"]]
    assert net.params[0]["w_xh"].shape == (3, 6)
    assert net.params[1]["w_xh"].shape == (6, 6)
    for p in net.params[:-1]:  # W_hh gets the chosen initializer: orthogonal, square
        np.testing.assert_allclose(p["w_hh"].T @ p["w_hh"], np.eye(6), atol=1e-12)
        assert np.all(p["b"] == 0.0)
    assert [w.shape for w in net.hidden_weights()] == [(9, 6), (12, 6), (12, 6)]
    nb = make_net("mlp", (3,), 2, 2, 4, "relu", "he_normal", bias=False)
    assert all("b" not in p for p in nb.params)
    _, g = nb.loss_and_grads(np.ones((2, 3)), np.array([0, 1]), "cross_entropy")
    assert all("b" not in d for d in g)
    assert nb.n_parameters == 3 * 4 + 4 * 4 + 4 * 2


def test_same_seed_same_network():
    a, b = small_net("cnn", seed=11), small_net("cnn", seed=11)
    for pa, pb in zip(a.params, b.params, strict=True):
        for k in pa:
            np.testing.assert_array_equal(pa[k], pb[k])


def test_resmlp_alpha_zero_is_identity():
    net = make_net("resmlp", (3,), 2, 4, 5, "tanh", "large_random", alpha=0.0)
    tr = net.forward(np.random.default_rng(1).standard_normal((4, 3)))
    for a in tr.a[1:-1]:
        np.testing.assert_array_equal(a, tr.a[0])


def test_cnn_delta_orthogonal_and_incompatible_inits():
    net = make_net("cnn", (6, 6, 3), 2, 3, 4, "tanh", "delta_orthogonal")
    w = net.params[1]["w"]
    assert np.count_nonzero(w[[0, 0, 2, 2], [0, 2, 0, 2]]) == 0
    np.testing.assert_allclose(w[1, 1].T @ w[1, 1], np.eye(4), atol=1e-12)
    out = net.params[-1]["w"]  # dense output layer falls back to orthogonal
    np.testing.assert_allclose(out.T @ out, np.eye(2), atol=1e-12)
    assert "delta_orthogonal" in supported_inits("cnn")
    assert "identity" not in supported_inits("cnn")
    assert "delta_orthogonal" not in supported_inits("mlp")
    with pytest.raises(ValueError, match="identity"):
        small_net("cnn", init="identity")
    with pytest.raises(ValueError, match="delta_orthogonal"):
        small_net("mlp", init="delta_orthogonal")


def test_predict_matches_forward_and_copy_is_deep():
    rng = np.random.default_rng(8)
    for kind in KINDS:
        net = small_net(kind)
        x = rng.standard_normal((3, *SMALL_SHAPES[kind]))
        np.testing.assert_allclose(net.predict(x), net.forward(x).output, rtol=1e-13, atol=1e-13)
        c = net.copy()
        c.params[0][next(iter(c.params[0]))] += 1.0
        assert not np.allclose(c.predict(x), net.predict(x))
        assert c.kind == net.kind
        assert c.activation is net.activation


# --------------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------------


def test_losses_values_and_stability():
    rng = np.random.default_rng(9)
    o, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    val, g = loss_and_output_grad(o, y, "mse")
    assert val == pytest.approx(np.mean((o - y) ** 2), rel=1e-14)
    np.testing.assert_allclose(g, 2 * (o - y) / 15, rtol=1e-14)
    labels = rng.integers(0, 3, 5)
    val, g = loss_and_output_grad(o, labels, "cross_entropy")
    p = np.exp(o) / np.exp(o).sum(1, keepdims=True)
    assert val == pytest.approx(-np.mean(np.log(p[np.arange(5), labels])), rel=1e-13)
    np.testing.assert_allclose(g.sum(axis=1), 0.0, atol=1e-16)
    # Huge logits: stable log-sum-exp, exact answer.
    big = np.array([[1000.0, 0.0, -1000.0]])
    assert loss_value(big, np.array([1]), "cross_entropy") == pytest.approx(1000.0)
    assert loss_value(big, np.array([0]), "cross_entropy") == 0.0
    # inf logits give a non-finite loss, without warnings.
    assert not np.isfinite(loss_value(np.array([[np.inf, 0.0]]), np.array([1]), "cross_entropy"))


@pytest.mark.parametrize(
    ("y", "loss", "match"),
    [
        (np.zeros((2, 2)), "mse", "shape"),
        (np.zeros(2), "cross_entropy", "integers"),
        (np.array([0, 3]), "cross_entropy", "range"),
        (np.array([0, -1]), "cross_entropy", "range"),
        (np.zeros((2, 3)), "hinge", "unknown loss"),
    ],
)
def test_bad_targets(y, loss, match):
    with pytest.raises(ValueError, match=match):
        loss_and_output_grad(np.zeros((2, 3)), y, loss)


# --------------------------------------------------------------------------------------------
# Shapes (property tests) and immutability
# --------------------------------------------------------------------------------------------


@st.composite
def configs(draw):
    kind = draw(st.sampled_from(KINDS))
    if kind in ("mlp", "resmlp"):
        shape = (draw(st.integers(1, 5)),)
    elif kind == "cnn":
        shape = (draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3)))
    else:
        shape = (draw(st.integers(1, 4)), draw(st.integers(1, 3)))
    return (
        kind,
        shape,
        draw(st.integers(1, 3)),  # depth
        draw(st.integers(1, 5)),  # width
        draw(st.integers(1, 4)),  # n_outputs
        draw(st.integers(1, 4)),  # batch
        draw(st.booleans()),  # bias
        draw(st.sampled_from(["relu", "tanh", "selu", "linear"])),
    )


@settings(max_examples=60, deadline=None)
@given(configs())
def test_shapes_property(cfg):
    kind, shape, depth, width, n_out, batch, bias, act = cfg
    rng = np.random.default_rng(0)
    net = make_net(kind, shape, n_out, depth, width, act, "glorot_uniform", rng, bias=bias)
    x = rng.standard_normal((batch, *shape))
    x_copy = x.copy()
    tr = net.forward(x)
    n_layers = depth + 2 if kind == "resmlp" else depth + 1
    assert len(net.params) == len(tr.z) == len(tr.a) == n_layers
    assert tr.output.shape == (batch, n_out)
    hidden = {
        "mlp": (batch, width),
        "resmlp": (batch, width),
        "cnn": (batch, *shape[:2], width),
        "rnn": (batch, shape[0], width) if kind == "rnn" else None,
    }[kind]
    for z, a in zip(tr.z[:-1], tr.a[:-1], strict=True):
        assert z.shape == a.shape == hidden
    dout = rng.standard_normal((batch, n_out))
    dout_copy = dout.copy()
    grads, bt = net.backward(tr, dout)
    np.testing.assert_array_equal(dout, dout_copy)  # never mutated
    np.testing.assert_array_equal(x, x_copy)
    for g, p in zip(grads, net.params, strict=True):
        assert list(g) == list(p)
        for k in p:
            assert g[k].shape == p[k].shape
    assert [d.shape for d in bt.dz] == [z.shape for z in tr.z]
    assert [d.shape for d in bt.da] == [a.shape for a in tr.a]
    assert bt.dx.shape == x.shape
    assert net.predict(x).shape == (batch, n_out)


# --------------------------------------------------------------------------------------------
# Overflow: reported as inf/NaN, never raised or warned (pytest turns warnings into errors)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["linear", "relu"])
def test_overflow_at_depth_300_without_warnings(activation):
    net = make_net("mlp", (256,), 3, 300, 256, activation, "large_random")
    x = np.random.default_rng(1).standard_normal((4, 256))
    tr = net.forward(x)
    assert not np.all(np.isfinite(tr.output))
    assert np.all(np.isfinite(tr.a[0]))
    loss, grads = net.loss_and_grads(x, np.array([0, 1, 2, 0]), "cross_entropy")
    assert not np.isfinite(loss)
    assert not all(np.all(np.isfinite(g["w"])) for g in grads)


# --------------------------------------------------------------------------------------------
# Bad inputs and limits
# --------------------------------------------------------------------------------------------

GOOD = dict(
    input_shape=(3,),
    n_outputs=2,
    depth=2,
    width=4,
    activation="tanh",
    init="he_normal",
)


@pytest.mark.parametrize(
    ("kind", "changes", "match"),
    [
        ("transformer", {}, "kind"),
        ("mlp", {"depth": 0}, "depth"),
        ("mlp", {"depth": MAX_DEPTH + 1}, "depth"),
        ("mlp", {"depth": 2.5}, "depth"),
        ("mlp", {"width": 0}, "width"),
        ("mlp", {"width": MAX_WIDTH + 1}, "width"),
        ("mlp", {"n_outputs": 0}, "n_outputs"),
        ("mlp", {"activation": "swishy"}, "activation"),
        ("mlp", {"init": "magic"}, "init"),
        ("mlp", {"init": "normal", "init_params": {"sd": 1.0}}, "sd"),
        ("mlp", {"input_shape": (3, 3)}, "input_shape"),
        ("mlp", {"input_shape": (0,)}, "input_shape"),
        ("cnn", {"input_shape": (3,)}, "input_shape"),
        ("rnn", {"input_shape": (3,)}, "input_shape"),
        ("rnn", {"input_shape": (10**4, 2)}, "MAX_TIME_STEPS"),
        ("mlp", {"input_shape": (2**21,)}, "MAX_INPUT_ELEMENTS"),
        ("mlp", {"width": 4096, "depth": 5}, "MAX_PARAMETERS"),
        ("resmlp", {"alpha": float("nan")}, "alpha"),
    ],
)
def test_bad_build_arguments(kind, changes, match):
    kwargs = {**GOOD, **changes}
    with pytest.raises(ValueError, match=match):
        build(kind, rng=np.random.default_rng(0), **kwargs)


def test_rng_must_be_generator():
    with pytest.raises(TypeError, match="rng"):
        build("mlp", rng=np.random.RandomState(0), **GOOD)  # noqa: NPY002


def test_bad_forward_inputs_and_batch_limit():
    net = build("mlp", rng=np.random.default_rng(0), **GOOD)
    with pytest.raises(ValueError, match="shape"):
        net.forward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="shape"):
        net.forward(np.zeros(3))
    with pytest.raises(ValueError, match="at least one sample"):
        net.forward(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="numeric"):
        net.forward(np.array([["a", "b", "c"]]))
    tr = net.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="dout"):
        net.backward(tr, np.zeros((2, 3)))
    cnn = make_net("cnn", (64, 64, 1), 2, 4, 64, "relu", "he_normal")
    assert cnn.trace_elements(40) > nets.MAX_TRACE_ELEMENTS
    with pytest.raises(ValueError, match="MAX_TRACE_ELEMENTS"):
        cnn.forward(np.zeros((40, 64, 64, 1)))
