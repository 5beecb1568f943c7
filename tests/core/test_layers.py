"""Tests for core.layers: every layer's forward/backward against finite differences (float64).

These call the layer functions directly; ``test_networks.py`` checks the same layers composed
into every network kind (mlp, cnn, rnn, resmlp).
"""

from __future__ import annotations

import numpy as np
import pytest

from core import layers
from core.activations import get as get_activation
from core.layers import (
    ActivationCache,
    activation_backward,
    activation_derivative,
    activation_forward,
    conv_backward,
    conv_forward,
    dense_backward,
    dense_forward,
    global_avg_pool_backward,
    global_avg_pool_forward,
    residual_backward,
    residual_forward,
    rnn_backward,
    rnn_backward_tm,
    rnn_forward,
    rnn_forward_tm,
    rnn_step_backward,
    rnn_step_forward,
)

EPS = 1e-5


def rel_err(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)


def random_indices(shape, rng, k=6):
    return [tuple(int(rng.integers(0, s)) for s in shape) for _ in range(k)]


def _fd_layer(fwd, inputs, dout, rng, eps=EPS):
    """Numerical gradient of sum(fwd(*inputs) * dout) w.r.t. random entries of each input."""
    out = {}
    for j, arr in enumerate(inputs):
        if arr is None:
            continue
        idx = random_indices(arr.shape, rng)
        vals = []
        for ix in idx:
            old = arr[ix]
            arr[ix] = old + eps
            lp = np.sum(fwd(*inputs) * dout)
            arr[ix] = old - eps
            lm = np.sum(fwd(*inputs) * dout)
            arr[ix] = old
            vals.append((lp - lm) / (2 * eps))
        out[j] = (idx, np.array(vals))
    return out


def _check(fd, j, grad):
    idx, num = fd[j]
    assert rel_err(num, [grad[ix] for ix in idx]) < 1e-6


def test_layer_functions_dense_conv_residual():
    rng = np.random.default_rng(1)
    act = get_activation("tanh")
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal(5)
    dout = rng.standard_normal((3, 5))
    dcopy = dout.copy()
    dx, dw, db = dense_backward(dout, dense_forward(x, w, b)[1])
    np.testing.assert_array_equal(dout, dcopy)  # incoming gradient never mutated
    fd = _fd_layer(lambda x, w, b: dense_forward(x, w, b)[0], [x, w, b], dout, rng)
    _check(fd, 0, dx), _check(fd, 1, dw), _check(fd, 2, db)

    x, w, b = (
        rng.standard_normal((2, 5, 4, 3)),
        rng.standard_normal((3, 3, 3, 2)),
        rng.standard_normal(2),
    )
    dout = rng.standard_normal((2, 5, 4, 2))
    dx, dw, db = conv_backward(dout, conv_forward(x, w, b)[1])
    fd = _fd_layer(lambda x, w, b: conv_forward(x, w, b)[0], [x, w, b], dout, rng)
    _check(fd, 0, dx), _check(fd, 1, dw), _check(fd, 2, db)

    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 4)), rng.standard_normal(4)
    dout = rng.standard_normal((3, 4))
    dx, dw, db, _ = residual_backward(dout, residual_forward(x, w, b, act, 0.3)[1])
    fd = _fd_layer(lambda x, w, b: residual_forward(x, w, b, act, 0.3)[0], [x, w, b], dout, rng)
    _check(fd, 0, dx), _check(fd, 1, dw), _check(fd, 2, db)


def _rnn_inputs(rng):
    """x (batch 3, 5 steps, 2 features), w_xh, w_hh (spectral radius below 1) and b of width 4."""
    x = rng.standard_normal((3, 5, 2))
    return x, rng.standard_normal((2, 4)), 0.5 * rng.standard_normal((4, 4)), rng.standard_normal(4)


def test_layer_functions_rnn_sequence_and_step():
    rng = np.random.default_rng(2)
    act = get_activation("tanh")
    x, w_xh, w_hh, b = _rnn_inputs(rng)
    dout = rng.standard_normal((3, 5, 4))
    dout_copy = dout.copy()
    h, cache = rnn_forward(x, w_xh, w_hh, b, act)
    dx, dw_xh, dw_hh, db, _, _ = rnn_backward(dout, cache)
    np.testing.assert_array_equal(dout, dout_copy)
    fd = _fd_layer(
        lambda x, a, c, b: rnn_forward(x, a, c, b, act)[0], [x, w_xh, w_hh, b], dout, rng
    )
    _check(fd, 0, dx), _check(fd, 1, dw_xh), _check(fd, 2, dw_hh), _check(fd, 3, db)
    # Step functions give the same states and the same gradients.
    hs, caches, hp = [], [], np.zeros((3, 4))
    for t in range(5):
        hp, c = rnn_step_forward(x[:, t], hp, w_xh, w_hh, b, act)
        hs.append(hp)
        caches.append(c)
    np.testing.assert_allclose(np.stack(hs, axis=1), h, rtol=1e-12, atol=1e-14)
    carry = np.zeros((3, 4))
    g = [np.zeros_like(w_xh), np.zeros_like(w_hh), np.zeros_like(b)]
    for t in range(4, -1, -1):
        dxt, carry, a1, a2, a3 = rnn_step_backward(dout[:, t] + carry, caches[t])
        np.testing.assert_allclose(dxt, dx[:, t], rtol=1e-10, atol=1e-12)
        g[0] += a1
        g[1] += a2
        g[2] += a3
    for got, want in zip(g, [dw_xh, dw_hh, db], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "relu", "linear", "elu"])
def test_activation_backward_matches_derivative_including_tails(name):
    # The output forms 1 - a^2 and a (1 - a) are only used where well conditioned; the tails
    # keep the exact, tiny but non-zero derivative (e.g. tanh'(30) ~ 3.5e-26).
    act = get_activation(name)
    z = np.concatenate([np.linspace(-60, 60, 20001), [np.inf, -np.inf, 0.0, 1e300, -1e300]])
    da = np.random.default_rng(0).standard_normal(z.shape)
    da_copy = da.copy()
    got = layers.activation_backward(da, layers.ActivationCache(z, act.f(z), act))
    want = act.df(z) * da
    np.testing.assert_array_equal(da, da_copy)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0.0)
    if act.saturating:
        assert 0.0 < abs(got[np.searchsorted(z[:20001], 30.0)]) < 1e-12


def test_relu_backward_passes_exact_zero_at_inactive_units_even_for_inf():
    act = get_activation("relu")
    z = np.array([1.0, -1.0, 0.0, 2.0, np.nan, -3.0])
    da = np.array([np.inf, np.inf, np.nan, 1.0, 5.0, np.nan])
    got = layers.activation_backward(da, layers.ActivationCache(z, act.f(z), act))
    np.testing.assert_array_equal(got, [np.inf, 0.0, 0.0, 1.0, 0.0, 0.0])


def test_conv_matches_explicit_loops():
    rng = np.random.default_rng(3)
    x, w, b = (
        rng.standard_normal((2, 4, 5, 3)),
        rng.standard_normal((3, 3, 3, 2)),
        rng.standard_normal(2),
    )
    out, _ = conv_forward(x, w, b)
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    ref = np.zeros((2, 4, 5, 2))
    for n in range(2):
        for i in range(4):
            for j in range(5):
                for o in range(2):
                    ref[n, i, j, o] = np.sum(xp[n, i : i + 3, j : j + 3, :] * w[..., o]) + b[o]
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)


def test_conv_chunking_gives_same_result(monkeypatch):
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((5, 4, 4, 3)), rng.standard_normal((3, 3, 3, 2))
    dout = rng.standard_normal((5, 4, 4, 2))
    full = conv_forward(x, w)[0]
    dfull = conv_backward(dout, conv_forward(x, w)[1])
    monkeypatch.setattr(layers, "IM2COL_CHUNK", 4 * 4 * 9 * 3 * 2)  # 2 images per chunk
    np.testing.assert_allclose(conv_forward(x, w)[0], full, rtol=1e-13, atol=1e-13)
    for a, b in zip(conv_backward(dout, conv_forward(x, w)[1]), dfull, strict=True):
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------------------------
# Every activation: forward and backward against finite differences, buffers and caches
# --------------------------------------------------------------------------------------------

ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "silu"]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_forward_backward_finite_differences(name):
    rng = np.random.default_rng(11)
    act = get_activation(name)
    z = rng.standard_normal((4, 5))
    z[np.abs(z) < 1e-3] = 0.5  # keep kinks away from the finite-difference stencil
    da = rng.standard_normal(z.shape)
    da_copy = da.copy()
    a, cache = activation_forward(z, act)
    np.testing.assert_array_equal(a, act.f(z))
    dz = activation_backward(da, cache)
    np.testing.assert_array_equal(da, da_copy)  # incoming gradient never mutated
    fd = _fd_layer(lambda z: activation_forward(z, act)[0], [z], da, rng)
    _check(fd, 0, dz)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_buffers_and_cached_derivative_agree(name):
    rng = np.random.default_rng(12)
    act = get_activation(name)
    z = 3.0 * rng.standard_normal((6, 7))
    da = rng.standard_normal(z.shape)
    a_new, cache_new = activation_forward(z, act)
    a_buf, df_buf = np.empty_like(z), np.empty_like(z)
    a_out, cache = activation_forward(z, act, out=a_buf, derivative_out=df_buf)
    assert a_out is a_buf
    assert cache.df is df_buf
    np.testing.assert_array_equal(a_out, a_new)
    np.testing.assert_allclose(df_buf, activation_derivative(z, act), rtol=1e-12, atol=0.0)
    want = activation_backward(da, cache_new)
    # The cached f'(z) may be overwritten in place by dL/dz (what core.probe does).
    got = activation_backward(da, cache, out=df_buf)
    assert got is df_buf
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0.0)


def test_relu_cached_derivative_zeroes_inactive_units_for_inf_gradients():
    act = get_activation("relu")
    z = np.array([1.0, -1.0, 0.0, 2.0, -3.0])
    da = np.array([np.inf, np.inf, np.nan, 1.0, np.nan])
    _, cache = activation_forward(z, act, derivative_out=np.empty(5))
    got = activation_backward(da, cache, out=cache.df)
    np.testing.assert_array_equal(got, [np.inf, 0.0, 0.0, 1.0, 0.0])


# --------------------------------------------------------------------------------------------
# Layers with out= buffers give the same values as without; pooling; time-major rnn kernels
# --------------------------------------------------------------------------------------------


def test_dense_and_conv_out_buffers_match_fresh_results():
    rng = np.random.default_rng(13)
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal(5)
    out = np.empty((3, 5))
    y, cache = dense_forward(x, w, b, out=out)
    assert y is out
    np.testing.assert_array_equal(y, x @ w + b)
    dout = rng.standard_normal((3, 5))
    dx_buf, dw_buf = np.empty((3, 4)), np.empty((4, 5))
    dx, dw, db = dense_backward(dout, cache, dx_out=dx_buf, dw_out=dw_buf)
    assert dx is dx_buf
    assert dw is dw_buf
    ref = dense_backward(dout, cache)
    for got, want in zip((dx, dw, db), ref, strict=True):
        np.testing.assert_array_equal(got, want)
    assert dense_backward(dout, cache, need_dx=False)[0] is None

    x, w = rng.standard_normal((2, 5, 4, 3)), rng.standard_normal((3, 3, 3, 2))
    out = np.empty((2, 5, 4, 2))
    y, cache = conv_forward(x, w, out=out)
    assert y is out
    np.testing.assert_array_equal(y, conv_forward(x, w)[0])
    dout = rng.standard_normal((2, 5, 4, 2))
    dx_buf = np.empty_like(x)
    dx, dw, db = conv_backward(dout, cache, dx_out=dx_buf)
    assert dx is dx_buf
    assert db is None
    np.testing.assert_array_equal(dx, conv_backward(dout, cache)[0])


def test_conv_rejects_even_kernels_and_wrong_channels():
    x = np.zeros((1, 4, 4, 3))
    with pytest.raises(ValueError, match="odd"):
        conv_forward(x, np.zeros((2, 2, 3, 1)))
    with pytest.raises(ValueError, match="channels"):
        conv_forward(x, np.zeros((3, 3, 2, 1)))


def test_global_avg_pool_finite_differences():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((2, 3, 4, 5))
    dout = rng.standard_normal((2, 5))
    y, cache = global_avg_pool_forward(x)
    np.testing.assert_allclose(y, x.mean(axis=(1, 2)), rtol=1e-15)
    dx = global_avg_pool_backward(dout, cache)
    fd = _fd_layer(lambda x: global_avg_pool_forward(x)[0], [x], dout, rng)
    _check(fd, 0, dx)


def test_rnn_time_major_kernels_match_batch_major_wrappers():
    rng = np.random.default_rng(15)
    act = get_activation("tanh")
    x, w_xh, w_hh, b = _rnn_inputs(rng)
    h, cache = rnn_forward(x, w_xh, w_hh, b, act)
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2))
    z_tm, h_tm = rnn_forward_tm(x_tm, w_xh, w_hh, b, act)
    np.testing.assert_array_equal(h_tm.transpose(1, 0, 2), h)
    # Gradient at the last state only: dh_last equals a full dh that is zero elsewhere.
    g = rng.standard_normal((3, 4))
    dh = np.zeros((3, 5, 4))
    dh[:, -1] = g
    full = rnn_backward(dh, cache)
    last = rnn_backward_tm(None, x_tm, z_tm, h_tm, w_xh, w_hh, act, True, True, dh_last=g)
    np.testing.assert_allclose(last[0].transpose(1, 0, 2), full[0], rtol=1e-13, atol=1e-15)
    for got, want in zip(last[1:4], full[1:4], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


def test_rnn_step_matches_sequence_forward_exactly():
    rng = np.random.default_rng(16)
    act = get_activation("relu")
    x = rng.standard_normal((2, 4, 3))
    w_xh, w_hh, b = rng.standard_normal((3, 5)), rng.standard_normal((5, 5)), rng.standard_normal(5)
    h, _ = rnn_forward(x, w_xh, w_hh, b, act)
    hp = np.zeros((2, 5))
    for t in range(4):
        hp, _ = rnn_step_forward(x[:, t], hp, w_xh, w_hh, b, act)
        np.testing.assert_array_equal(hp, h[:, t])
    dh = rng.standard_normal((2, 5))
    dh_copy = dh.copy()
    rnn_step_backward(dh, rnn_step_forward(x[:, 0], hp, w_xh, w_hh, b, act)[1])
    np.testing.assert_array_equal(dh, dh_copy)


@pytest.mark.parametrize("alpha", [1.0, 0.3, 0.0])
@pytest.mark.parametrize("name", ["tanh", "relu", "gelu"])
def test_residual_block_finite_differences_and_buffers(alpha, name):
    rng = np.random.default_rng(17)
    act = get_activation(name)
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 4)), rng.standard_normal(4)
    dout = rng.standard_normal((3, 4))
    dout_copy = dout.copy()
    y, cache = residual_forward(x, w, b, act, alpha)
    dx, dw, db, dz = residual_backward(dout, cache)
    np.testing.assert_array_equal(dout, dout_copy)
    fd = _fd_layer(lambda x, w, b: residual_forward(x, w, b, act, alpha)[0], [x, w, b], dout, rng)
    _check(fd, 0, dx), _check(fd, 1, dw), _check(fd, 2, db)
    # Same values through preallocated buffers and a cached derivative (core.probe's path).
    z_buf, y_buf, df_buf = np.empty((3, 4)), np.empty((3, 4)), np.empty((3, 4))
    y2, cache2 = residual_forward(
        x, w, b, act, alpha, z_out=z_buf, out=y_buf, derivative_out=df_buf
    )
    assert y2 is y_buf
    np.testing.assert_array_equal(y2, y)
    dx2, dw2, db2, dz2 = residual_backward(
        dout, cache2, dz_out=df_buf, dx_out=np.empty((3, 4)), dw_out=np.empty((4, 4))
    )
    for got, want in zip((dx2, dw2, db2, dz2), (dx, dw, db, dz), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_layers_never_warn_on_overflow():
    act = get_activation("tanh")
    x = np.full((2, 3), 1e200)
    w = np.full((3, 3), 1e200)
    y, cache = dense_forward(x, w)
    assert np.isinf(y).all()
    dense_backward(np.full((2, 3), np.inf), cache)
    _, rcache = residual_forward(x, w, None, act)
    residual_backward(np.full((2, 3), 1e300), rcache)
    assert isinstance(layers.ActivationCache(None, None, act, np.ones(1)), ActivationCache)


# --------------------------------------------------------------------------------------------
# Fused dense + activation backward; cheap tail detection of the output-form derivatives
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "gelu", "linear"])
@pytest.mark.parametrize("bias", [True, False])
def test_dense_activation_backward_equals_the_two_calls(name, bias):
    rng = np.random.default_rng(21)
    act = get_activation(name)
    x, w = rng.standard_normal((6, 4)), rng.standard_normal((4, 5))
    b = rng.standard_normal(5) if bias else None
    z, dcache = dense_forward(x, w, b)
    _, acache = activation_forward(z, act)
    da = rng.standard_normal((6, 5))
    da_copy = da.copy()
    dz_want = activation_backward(da, acache)
    want = dense_backward(dz_want, dcache)
    dx, dw, db, dz = layers.dense_activation_backward(da, acache, dcache)
    np.testing.assert_array_equal(da, da_copy)  # incoming gradient never mutated
    np.testing.assert_array_equal(dz, dz_want)
    np.testing.assert_array_equal(dx, want[0])
    np.testing.assert_array_equal(dw, want[1])
    if bias:
        np.testing.assert_array_equal(db, want[2])
    else:
        assert db is None
    # Into buffers, without the input gradient.
    bufs = np.empty((6, 5)), np.empty((4, 5))
    dx2, dw2, db2, dz2 = layers.dense_activation_backward(
        da, acache, dcache, need_dx=False, dz_out=bufs[0], dw_out=bufs[1]
    )
    assert dx2 is None
    assert dz2 is bufs[0]
    assert dw2 is bufs[1]
    np.testing.assert_array_equal(dw2, want[1])
    # Against finite differences of the composed layer.
    fd = _fd_layer(
        lambda x, w, b: activation_forward(dense_forward(x, w, b)[0], act)[0],
        [x, w, b],
        da,
        rng,
    )
    _check(fd, 0, dx), _check(fd, 1, dw)
    if bias:
        _check(fd, 2, db)


def test_dense_activation_backward_relu_zeroes_inactive_units_for_inf_gradients():
    act = get_activation("relu")
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    w = np.array([[1.0, -1.0, 0.0], [2.0, 1.0, -1.0]])
    z, dcache = dense_forward(x, w, np.zeros(3))
    _, acache = activation_forward(z, act)  # z = [[1,-1,0],[2,1,-1],[3,0,-1]]
    da = np.array([[np.inf, np.inf, np.nan], [1.0, np.nan, -np.inf], [2.0, 5.0, np.inf]])
    da_copy = da.copy()
    dx, dw, db, dz = layers.dense_activation_backward(da, acache, dcache)
    np.testing.assert_array_equal(dz, [[np.inf, 0.0, 0.0], [1.0, np.nan, 0.0], [2.0, 0.0, 0.0]])
    np.testing.assert_array_equal(dz, activation_backward(da, acache))
    np.testing.assert_array_equal(db, dz.sum(axis=0))
    np.testing.assert_array_equal(da, da_copy)
    # A finite overflow of the column sum only triggers the (exact) fix-up.
    big = np.full((3, 3), 1e308)
    _, _, db_big, dz_big = layers.dense_activation_backward(big, acache, dcache)
    np.testing.assert_array_equal(dz_big, activation_backward(big, acache))
    assert np.isinf(db_big[0])


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_output_form_tail_survives_nan_neighbours(name):
    # The tail test reads one minimum; a NaN entry must not hide the tail entries next to it.
    act = get_activation(name)
    z = np.array([[0.3, 30.0, np.nan], [-25.0, 1.0, 40.0]])
    got = activation_derivative(z, act, fz=act.f(z))
    want = act.df(z)
    np.testing.assert_allclose(got[~np.isnan(z)], want[~np.isnan(z)], rtol=1e-13, atol=0.0)
    assert np.isnan(got[0, 2])
    assert 0.0 < got[0, 1] < 1e-12
    # Non-contiguous destination and input.
    out = np.empty((2, 6))[:, ::2]
    got2 = activation_derivative(z.T.copy().T, act, fz=act.f(z), out=out)
    assert got2 is out
    np.testing.assert_array_equal(got2, got)
