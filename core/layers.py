"""THE forward and backward pass of every layer and activation (CS231n style, pure NumPy).

Every layer is a pair ``*_forward(...) -> (out, cache)`` and ``*_backward(dout, cache) ->
gradients``. :class:`core.networks.Network`, :func:`core.probe.propagate` and
:func:`core.spectra.jacobian_singular_values` are all composed from these functions, so a
finite-difference check of this module checks every network the app shows.

Layout (Keras/JAX convention, used everywhere in ``core``): inputs on axis -2, outputs on axis -1.

* dense weight ``w`` of shape ``(fan_in, fan_out)``, used as ``x @ w`` on ``x`` of shape
  ``(N, fan_in)``; bias ``b`` of shape ``(fan_out,)``;
* conv kernel ``w`` of shape ``(kh, kw, c_in, c_out)`` on channels-last images ``(N, H, W, C)``,
  stride 1, zero 'same' padding (odd kernels), computed by vectorised im2col
  (``sliding_window_view``);
* recurrent layer ``w_xh`` of shape ``(d_in, hidden)``, ``w_hh`` of shape ``(hidden, hidden)``,
  ``h_t = f(x_t w_xh + h_{t-1} w_hh + b)`` with ``h_{-1} = 0``;
* residual block ``out = x + alpha * f(x @ w + b)`` with a square ``w``.

Contract
--------
* Backward functions never modify the incoming gradient ``dout``.
* Optional ``out=`` / ``*_out=`` buffers receive results in place (reused blocks avoid the
  first-touch page faults of many fresh multi-megabyte arrays, which cost about a tenth of the
  matrix products; :class:`core.networks.Network` takes them from a
  :class:`core.workspace.Workspace`). A buffer must not alias the incoming gradient unless
  documented. The module itself keeps no state between calls.
* All computation is float64. Overflow is never raised or warned about: numeric sections run
  under ``np.errstate(all="ignore")`` so a mis-initialized deep network yields ``inf``/``nan``
  values the caller can count (see :mod:`core.probe`).

References
----------
Karpathy, Johnson et al. (2016). CS231n: Convolutional Neural Networks for Visual Recognition,
    assignment code structure (layer forward/backward with caches).
He, Zhang, Ren, Sun (2016). Deep Residual Learning for Image Recognition. arXiv:1512.03385.
Bachlechner et al. (2020). ReZero is All You Need. arXiv:2003.04887.
Werbos (1990). Backpropagation through time: what it does and how to do it. Proc. IEEE 78(10).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from core.activations import Activation

__all__ = [
    "IM2COL_CHUNK",
    "ActivationCache",
    "ConvCache",
    "DenseCache",
    "PoolCache",
    "ResidualCache",
    "RnnCache",
    "RnnStepCache",
    "activation_backward",
    "activation_derivative",
    "activation_forward",
    "conv2d_same",
    "conv_backward",
    "conv_forward",
    "conv_weight_grad",
    "dense_activation_backward",
    "dense_backward",
    "dense_forward",
    "global_avg_pool_backward",
    "global_avg_pool_forward",
    "residual_backward",
    "residual_forward",
    "rnn_backward",
    "rnn_backward_tm",
    "rnn_forward",
    "rnn_forward_tm",
    "rnn_step_backward",
    "rnn_step_forward",
]

#: im2col works on batch chunks whose patch matrix holds at most this many values (32 MiB), so
#: a large batch never materialises a 9x copy of the whole activation tensor.
IM2COL_CHUNK: int = 2**22
# Output-form derivatives (1 - a^2, a (1 - a)) are used only where the cancelling factor is at
# least this large, which bounds their relative error by ~eps / 0.01 ~ 2e-14.
_OUTPUT_FORM_MIN: float = 1e-2


# --------------------------------------------------------------------------------------------
# Caches
# --------------------------------------------------------------------------------------------


class ActivationCache(NamedTuple):
    """What :func:`activation_backward` needs.

    Attributes
    ----------
    z : ndarray of shape S, or None
        Pre-activation (None when ``df`` is given).
    fz : ndarray of shape S, or None
        ``f(z)`` if it is at hand (enables the cheap output-form derivatives).
    act : Activation
    df : ndarray of shape S, or None
        ``f'(z)`` precomputed by :func:`activation_forward` (``derivative_out=``); when present
        the backward pass uses only ``df`` (and ``z`` may since have been overwritten).
    """

    z: np.ndarray | None
    fz: np.ndarray | None
    act: Activation
    df: np.ndarray | None = None


class DenseCache(NamedTuple):
    """Cache of :func:`dense_forward`: input ``x`` (N, d_in), weight ``w`` (d_in, d_out)."""

    x: np.ndarray
    w: np.ndarray
    has_bias: bool


class ConvCache(NamedTuple):
    """Cache of :func:`conv_forward`: input ``x`` (N, H, W, C_in), kernel ``w``."""

    x: np.ndarray
    w: np.ndarray
    has_bias: bool


class PoolCache(NamedTuple):
    """Cache of :func:`global_avg_pool_forward`: the input shape (N, H, W, C)."""

    shape: tuple[int, ...]


class RnnStepCache(NamedTuple):
    """Cache of :func:`rnn_step_forward` (shapes as in its docstring)."""

    x_t: np.ndarray
    h_prev: np.ndarray
    w_xh: np.ndarray
    w_hh: np.ndarray
    z: np.ndarray
    h: np.ndarray
    act: Activation
    has_bias: bool


class RnnCache(NamedTuple):
    """Cache of :func:`rnn_forward`: time-major ``x_tm`` (T, N, D), ``z_tm``/``h_tm`` (T, N, H)."""

    x_tm: np.ndarray
    z_tm: np.ndarray
    h_tm: np.ndarray
    w_xh: np.ndarray
    w_hh: np.ndarray
    act: Activation
    has_bias: bool


class ResidualCache(NamedTuple):
    """Cache of :func:`residual_forward`: input ``x`` (N, d), ``w`` (d, d), the branch's cache."""

    x: np.ndarray
    w: np.ndarray
    act_cache: ActivationCache
    alpha: float
    has_bias: bool


# --------------------------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------------------------


def _tail_indices(v: np.ndarray) -> np.ndarray | None:
    """C-order flat indices where ``v < _OUTPUT_FORM_MIN``, or None when there are none.

    One minimum pass decides; the mask is built only when some entry is in the tail (the
    unsaturated common case skips two mask passes). NaN entries are never tail entries, and
    ``fmin`` ignores them, so a NaN cannot hide the tail entries next to it.
    """
    if v.size == 0 or not np.fmin.reduce(v, axis=None) < _OUTPUT_FORM_MIN:
        return None
    return np.flatnonzero(v < _OUTPUT_FORM_MIN)


def activation_derivative(
    z: np.ndarray | None,
    act: Activation,
    *,
    fz: np.ndarray | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Return ``f'(z)`` (new array or ``out``).

    When ``f(z)`` is at hand, tanh and sigmoid use the cheap output forms ``1 - a^2`` and
    ``a (1 - a)`` where these are well conditioned (``1 - a^2 >= 0.01``, resp. ``1 - a >=
    0.01``: relative error below ~1e-13) and the activation's own tail-accurate ``f'(z)`` on the
    remaining entries; the output form alone would round to exactly 0 for |z| > 19 and hide the
    tiny but non-zero gradients a saturation chart must show. Everything else evaluates
    ``f'(z)``.

    Parameters
    ----------
    z : ndarray, any shape S
        Pre-activation.
    act : Activation
    fz : ndarray of shape S, optional
        ``f(z)`` if it is at hand.
    out : ndarray of shape S, optional
        Destination.

    Returns
    -------
    ndarray, shape S
    """
    if out is None:
        out = np.empty(z.shape)
    with np.errstate(all="ignore"):
        if fz is not None and act.name in ("tanh", "sigmoid"):
            if act.name == "tanh":
                np.multiply(fz, fz, out=out)
                np.subtract(1.0, out, out=out)
                tail = _tail_indices(out)
            else:
                np.subtract(1.0, fz, out=out)
                tail = _tail_indices(out)
                out *= fz
            if tail is not None:
                out.flat[tail] = act.df(np.asarray(z).flat[tail])
        else:
            out[...] = act.df(z)
    return out


def activation_forward(
    z: np.ndarray,
    act: Activation,
    *,
    out: np.ndarray | None = None,
    derivative_out: np.ndarray | None = None,
) -> tuple[np.ndarray, ActivationCache]:
    """Element-wise activation ``a = f(z)``.

    ReLU and tanh write straight into ``out`` (they are exactly ``np.maximum(z, 0)`` and
    ``np.tanh``); other activations are evaluated by the record's ``f`` and copied.

    Parameters
    ----------
    z : ndarray, any shape S
        Pre-activation; not modified.
    act : Activation
    out : ndarray of shape S, optional
        Destination of ``f(z)`` (may not be ``z``).
    derivative_out : ndarray of shape S, optional
        When given, ``f'(z)`` is computed now (see :func:`activation_derivative`), written here
        and kept in the cache, so the caller may reuse ``z``'s memory before the backward pass.

    Returns
    -------
    a : ndarray, shape S
    cache : ActivationCache
    """
    with np.errstate(all="ignore"):
        if out is None:
            a = np.asarray(act.f(z), dtype=np.float64)
            if a is z or not a.flags.writeable:
                a = a.copy()
        elif act.name == "relu":
            a = np.maximum(z, 0.0, out=out)
        elif act.name == "tanh":
            a = np.tanh(z, out=out)
        else:
            out[...] = act.f(z)
            a = out
    df = None
    if derivative_out is not None:
        df = activation_derivative(z, act, fz=a, out=derivative_out)
    return a, ActivationCache(z, a, act, df)


def activation_backward(
    da: np.ndarray, cache: ActivationCache, *, out: np.ndarray | None = None
) -> np.ndarray:
    """Return ``dL/dz = dL/da * f'(z)`` (``da`` is not modified).

    Linear passes the gradient; ReLU passes it where ``f(z) > 0`` and gives exactly 0 elsewhere
    (also when ``da`` is inf or NaN, as PyTorch does). Other activations multiply by ``f'(z)``
    (see :func:`activation_derivative`, or the cached ``df``).

    Parameters
    ----------
    da : ndarray, any shape S
        Upstream gradient ``dL/da``.
    cache : ActivationCache
        From :func:`activation_forward`.
    out : ndarray of shape S, optional
        Destination. Must not be ``da``; may be the cached ``df`` (it is then overwritten).

    Returns
    -------
    ndarray, shape S
    """
    z, fz, act, df = cache
    if out is None:
        out = np.empty_like(da)
    with np.errstate(all="ignore"):
        if act.name == "linear":
            np.copyto(out, da)
        elif df is not None:
            inactive = None
            if act.name == "relu" and not np.isfinite(da.sum()):
                inactive = df == 0.0
            np.multiply(df, da, out=out)
            if inactive is not None:
                out[inactive] = 0.0  # inf * 0 = NaN at inactive units; their gradient is 0
        elif act.name == "relu":
            active = (fz if fz is not None else z) > 0.0
            np.multiply(da, active, out=out)  # 10x faster than a masked copy
            if not np.isfinite(out.sum()):
                out[~active] = 0.0  # inf * 0 = NaN at inactive units; their gradient is 0
        else:
            activation_derivative(z, act, fz=fz, out=out)
            out *= da
    return out


# --------------------------------------------------------------------------------------------
# Dense
# --------------------------------------------------------------------------------------------


def _linear(
    op: Callable[..., np.ndarray],
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    out: np.ndarray | None,
) -> np.ndarray:
    """``op(x, w, out=out) + b`` (bias added in place), without floating-point warnings."""
    with np.errstate(all="ignore"):
        y = op(x, w, out=out)
        if b is not None:
            y += b
    return y


def dense_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    *,
    out: np.ndarray | None = None,
) -> tuple[np.ndarray, DenseCache]:
    """Affine layer ``out = x @ w + b``.

    Parameters
    ----------
    x : ndarray, shape (N, d_in)
    w : ndarray, shape (d_in, d_out)
    b : ndarray of shape (d_out,), or None for no bias
    out : ndarray of shape (N, d_out), optional
        Destination (must not alias ``x``).

    Returns
    -------
    out : ndarray, shape (N, d_out)
    cache : DenseCache
        ``(x, w, has_bias)`` for :func:`dense_backward`.
    """
    return _linear(np.matmul, x, w, b, out), DenseCache(x, w, b is not None)


def dense_backward(
    dout: np.ndarray,
    cache: DenseCache,
    *,
    need_dx: bool = True,
    dx_out: np.ndarray | None = None,
    dw_out: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Backward pass of :func:`dense_forward`: two GEMMs and a column sum.

    ``dx = dout @ w.T``, ``dw = x.T @ dout``, ``db = sum_n dout``.

    Parameters
    ----------
    dout : ndarray, shape (N, d_out)
        Upstream gradient; not modified.
    cache : DenseCache
        From :func:`dense_forward`.
    need_dx : bool
        Skip the input gradient (one GEMM) when False.
    dx_out : ndarray of shape (N, d_in), optional
        Destination of ``dx``.
    dw_out : ndarray of shape (d_in, d_out), optional
        Destination of ``dw``.

    Returns
    -------
    dx : ndarray of shape (N, d_in), or None when ``need_dx`` is False
    dw : ndarray, shape (d_in, d_out)
    db : ndarray of shape (d_out,), or None without bias
    """
    x, w, has_bias = cache
    with np.errstate(all="ignore"):
        dw = np.matmul(x.T, dout, out=dw_out)
        db = dout.sum(axis=0) if has_bias else None
        dx = np.matmul(dout, w.T, out=dx_out) if need_dx else None
    return dx, dw, db


def dense_activation_backward(
    da: np.ndarray,
    act_cache: ActivationCache,
    cache: DenseCache,
    *,
    need_dx: bool = True,
    dz_out: np.ndarray | None = None,
    dx_out: np.ndarray | None = None,
    dw_out: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None, np.ndarray]:
    """Backward pass of ``a = f(x @ w + b)``: :func:`activation_backward`, :func:`dense_backward`.

    Same results as the two calls, with one element-wise pass fewer for ReLU: the check for a
    non-finite gradient (``inf * 0`` at inactive units must give 0, not NaN) reads the bias
    column sum, which is needed anyway, instead of summing ``dz`` again -- a non-finite entry
    always makes its column sum non-finite (a finite overflow only triggers the exact fix-up).

    Parameters
    ----------
    da : ndarray, shape (N, d_out)
        Upstream gradient ``dL/da``; not modified.
    act_cache : ActivationCache
        From :func:`activation_forward` on this layer's ``z``.
    cache : DenseCache
        From :func:`dense_forward`.
    need_dx : bool
        Skip the input gradient (one GEMM) when False.
    dz_out : ndarray of shape (N, d_out), optional
        Destination of ``dz`` (must not be ``da``).
    dx_out : ndarray of shape (N, d_in), optional
        Destination of ``dx``.
    dw_out : ndarray of shape (d_in, d_out), optional
        Destination of ``dw``.

    Returns
    -------
    dx : ndarray of shape (N, d_in), or None when ``need_dx`` is False
    dw : ndarray, shape (d_in, d_out)
    db : ndarray of shape (d_out,), or None without bias
    dz : ndarray, shape (N, d_out)
    """
    z, fz, act, df = act_cache
    if act.name != "relu" or df is not None:
        dz = activation_backward(da, act_cache, out=dz_out)
        dx, dw, db = dense_backward(dz, cache, need_dx=need_dx, dx_out=dx_out, dw_out=dw_out)
        return dx, dw, db, dz
    x, w, has_bias = cache
    dz = np.empty_like(da) if dz_out is None else dz_out
    with np.errstate(all="ignore"):
        active = np.greater(fz if fz is not None else z, 0.0)
        np.multiply(da, active, out=dz)  # 10x faster than a masked copy
        col = dz.sum(axis=0)
        if not np.isfinite(col).all():
            np.logical_not(active, out=active)
            dz[active] = 0.0  # inf * 0 = NaN at inactive units; their gradient is 0
            col = dz.sum(axis=0)
        dw = np.matmul(x.T, dz, out=dw_out)
        dx = np.matmul(dz, w.T, out=dx_out) if need_dx else None
    return dx, dw, col if has_bias else None, dz


# --------------------------------------------------------------------------------------------
# Convolution (im2col)
# --------------------------------------------------------------------------------------------


def _im2col_chunks(x: np.ndarray, kh: int, kw: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield ``(start, stop, cols)``: patch matrices of batch chunks of ``x`` (N, H, W, C).

    ``cols`` has shape ((stop - start) * H * W, kh * kw * C), rows matching a kernel flattened
    in its (kh, kw, C) order; each chunk holds at most :data:`IM2COL_CHUNK` values.
    """
    n, h, wd, c = x.shape
    ph, pw = kh // 2, kw // 2
    per_image = h * wd * kh * kw * c
    chunk = max(1, IM2COL_CHUNK // max(per_image, 1))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        xp = np.zeros((stop - start, h + 2 * ph, wd + 2 * pw, c))
        xp[:, ph : ph + h, pw : pw + wd, :] = x[start:stop]
        # (n, H, W, C, kh, kw) view -> (n, H, W, kh, kw, C) rows matching w's (kh, kw, C) order.
        win = sliding_window_view(xp, (kh, kw), axis=(1, 2))
        cols = win.transpose(0, 1, 2, 4, 5, 3).reshape((stop - start) * h * wd, kh * kw * c)
        yield start, stop, cols


def conv2d_same(x: np.ndarray, w: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Stride-1 zero-'same'-padded cross-correlation by im2col (no loops over pixels).

    Parameters
    ----------
    x : ndarray, shape (N, H, W, C_in)
    w : ndarray, shape (kh, kw, C_in, C_out), kh and kw odd
    out : ndarray of shape (N, H, W, C_out), C-contiguous, optional
        Destination.

    Returns
    -------
    ndarray, shape (N, H, W, C_out)
    """
    n, h, wd, c = x.shape
    kh, kw, _, c_out = w.shape
    w_flat = w.reshape(kh * kw * c, c_out)
    if out is None:
        out = np.empty((n, h, wd, c_out))
    out2 = out.reshape(n * h * wd, c_out)
    for start, stop, cols in _im2col_chunks(x, kh, kw):
        np.matmul(cols, w_flat, out=out2[start * h * wd : stop * h * wd])
    return out


def conv_weight_grad(x: np.ndarray, dout: np.ndarray, kh: int, kw: int) -> np.ndarray:
    """Kernel gradient ``dw = im2col(x).T @ dout`` accumulated over batch chunks.

    Parameters
    ----------
    x : ndarray, shape (N, H, W, C_in)
    dout : ndarray, shape (N, H, W, C_out)
    kh, kw : int
        Odd kernel size.

    Returns
    -------
    ndarray, shape (kh, kw, C_in, C_out)
    """
    c = x.shape[-1]
    c_out = dout.shape[-1]
    dw = np.zeros((kh * kw * c, c_out))
    for start, stop, cols in _im2col_chunks(x, kh, kw):
        dw += cols.T @ dout[start:stop].reshape(-1, c_out)
    return dw.reshape(kh, kw, c, c_out)


def conv_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    *,
    out: np.ndarray | None = None,
) -> tuple[np.ndarray, ConvCache]:
    """2-D convolution layer (cross-correlation, stride 1, zero 'same' padding), channels-last.

    ``out[n, i, j, o] = sum_{di, dj, c} xpad[n, i + di, j + dj, c] w[di, dj, c, o] + b[o]``.

    Parameters
    ----------
    x : ndarray, shape (N, H, W, C_in)
    w : ndarray, shape (kh, kw, C_in, C_out), kh and kw odd
    b : ndarray of shape (C_out,), or None
    out : ndarray of shape (N, H, W, C_out), C-contiguous, optional
        Destination.

    Returns
    -------
    out : ndarray, shape (N, H, W, C_out)
    cache : ConvCache
        ``(x, w, has_bias)``; the patch matrix is recomputed in the backward pass rather than
        stored, which keeps a deep CNN's memory at one activation tensor per layer.

    Raises
    ------
    ValueError
        If the kernel size is even or the channel counts disagree.
    """
    kh, kw, c_in, _ = w.shape
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"conv kernel size must be odd for 'same' padding, got {(kh, kw)}")
    if x.shape[-1] != c_in:
        raise ValueError(f"conv input has {x.shape[-1]} channels but the kernel expects {c_in}")
    return _linear(conv2d_same, x, w, b, out), ConvCache(x, w, b is not None)


def conv_backward(
    dout: np.ndarray,
    cache: ConvCache,
    *,
    need_dx: bool = True,
    dx_out: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Backward pass of :func:`conv_forward`.

    ``dw = im2col(x).T @ dout``; ``dx`` is the 'same' correlation of ``dout`` with the spatially
    flipped kernel whose channel axes are swapped (exact for stride 1 and odd kernels).

    Parameters
    ----------
    dout : ndarray, shape (N, H, W, C_out)
        Upstream gradient; not modified.
    cache : ConvCache
        From :func:`conv_forward`.
    need_dx : bool
        Skip the input gradient when False.
    dx_out : ndarray of shape (N, H, W, C_in), C-contiguous, optional
        Destination of ``dx``.

    Returns
    -------
    dx : ndarray of shape (N, H, W, C_in), or None
    dw : ndarray, shape (kh, kw, C_in, C_out)
    db : ndarray of shape (C_out,), or None
    """
    x, w, has_bias = cache
    kh, kw = w.shape[:2]
    with np.errstate(all="ignore"):
        dw = conv_weight_grad(x, dout, kh, kw)
        db = dout.sum(axis=(0, 1, 2)) if has_bias else None
        dx = None
        if need_dx:
            w_back = np.ascontiguousarray(w[::-1, ::-1].transpose(0, 1, 3, 2))
            dx = conv2d_same(dout, w_back, out=dx_out)
    return dx, dw, db


def global_avg_pool_forward(x: np.ndarray) -> tuple[np.ndarray, PoolCache]:
    """Global average pooling over the spatial axes.

    Parameters
    ----------
    x : ndarray, shape (N, H, W, C)

    Returns
    -------
    out : ndarray, shape (N, C)
    cache : PoolCache
    """
    with np.errstate(all="ignore"):
        return x.mean(axis=(1, 2)), PoolCache(x.shape)


def global_avg_pool_backward(
    dout: np.ndarray, cache: PoolCache, *, out: np.ndarray | None = None
) -> np.ndarray:
    """Backward pass of :func:`global_avg_pool_forward`: ``dx = dout / (H W)`` at every pixel.

    Parameters
    ----------
    dout : ndarray, shape (N, C)
        Upstream gradient; not modified.
    cache : PoolCache
    out : ndarray of shape (N, H, W, C), optional
        Destination.

    Returns
    -------
    ndarray, shape (N, H, W, C)
    """
    n, h, w, c = cache.shape
    if out is None:
        out = np.empty(cache.shape)
    with np.errstate(all="ignore"):
        out[...] = (dout / (h * w))[:, None, None, :]
    return out


# --------------------------------------------------------------------------------------------
# Recurrent
# --------------------------------------------------------------------------------------------


def rnn_step_forward(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    w_xh: np.ndarray,
    w_hh: np.ndarray,
    b: np.ndarray | None,
    act: Activation,
) -> tuple[np.ndarray, RnnStepCache]:
    """One vanilla-RNN step ``h_t = f(x_t w_xh + h_{t-1} w_hh + b)``.

    Parameters
    ----------
    x_t : ndarray, shape (N, D)
    h_prev : ndarray, shape (N, H)
    w_xh : ndarray, shape (D, H)
    w_hh : ndarray, shape (H, H)
    b : ndarray of shape (H,), or None
    act : Activation

    Returns
    -------
    h_t : ndarray, shape (N, H)
    cache : RnnStepCache
    """
    with np.errstate(all="ignore"):
        z, _ = dense_forward(x_t, w_xh, b)
        z += h_prev @ w_hh
    h, _ = activation_forward(z, act)
    return h, RnnStepCache(x_t, h_prev, w_xh, w_hh, z, h, act, b is not None)


def rnn_step_backward(
    dh: np.ndarray, cache: RnnStepCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Backward pass of :func:`rnn_step_forward`.

    Parameters
    ----------
    dh : ndarray, shape (N, H)
        Total gradient ``dL/dh_t`` (from the output and from step t+1); not modified.
    cache : RnnStepCache

    Returns
    -------
    dx_t : ndarray, shape (N, D)
    dh_prev : ndarray, shape (N, H)
    dw_xh : ndarray, shape (D, H)
    dw_hh : ndarray, shape (H, H)
    db : ndarray of shape (H,), or None
    """
    x_t, h_prev, w_xh, w_hh, z, h, act, has_bias = cache
    dz = activation_backward(dh, ActivationCache(z, h, act))
    dx, dw_xh, db = dense_backward(dz, DenseCache(x_t, w_xh, has_bias))
    dh_prev, dw_hh, _ = dense_backward(dz, DenseCache(h_prev, w_hh, False))
    return dx, dh_prev, dw_xh, dw_hh, db


def rnn_forward_tm(
    x_tm: np.ndarray,
    w_xh: np.ndarray,
    w_hh: np.ndarray,
    b: np.ndarray | None,
    act: Activation,
) -> tuple[np.ndarray, np.ndarray]:
    """Time-major recurrence (the kernel of :func:`rnn_forward`).

    The input projection ``x_t w_xh + b`` of all time steps is one GEMM; only the recurrence
    ``h_{t-1} w_hh`` runs in a Python loop over time (never over samples).

    Parameters
    ----------
    x_tm : ndarray, shape (T, N, D)
    w_xh, w_hh, b, act
        As for :func:`rnn_step_forward`.

    Returns
    -------
    z_tm : ndarray, shape (T, N, H)
        Pre-activations.
    h_tm : ndarray, shape (T, N, H)
        Hidden states.
    """
    t_steps, n, d = x_tm.shape
    hidden = w_hh.shape[0]
    with np.errstate(all="ignore"):
        z2, _ = dense_forward(x_tm.reshape(t_steps * n, d), w_xh, b)
        z_tm = z2.reshape(t_steps, n, hidden)
        h_tm = np.empty_like(z_tm)
        h_tm[0] = act.f(z_tm[0])
        for t in range(1, t_steps):
            z_tm[t] += h_tm[t - 1] @ w_hh
            h_tm[t] = act.f(z_tm[t])
    return z_tm, h_tm


def rnn_backward_tm(
    dh_tm: np.ndarray | None,
    x_tm: np.ndarray,
    z_tm: np.ndarray,
    h_tm: np.ndarray,
    w_xh: np.ndarray,
    w_hh: np.ndarray,
    act: Activation,
    has_bias: bool,
    need_dx: bool,
    dh_last: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """Time-major backpropagation through time (the kernel of :func:`rnn_backward`).

    ``dL/dh_t = dh_t + dL/dz_{t+1} w_hh^T``; ``dL/dz_t = dL/dh_t * f'(z_t)``;
    ``dw_hh = sum_t h_{t-1}^T dz_t``, ``dw_xh = sum_t x_t^T dz_t`` (each one GEMM after the loop).

    Parameters
    ----------
    dh_tm : ndarray of shape (T, N, H), or None
        Gradient arriving at every hidden state from outside the recurrence; not modified.
        None means it is zero except ``dh_last`` at the last step.
    x_tm : ndarray, shape (T, N, D)
    z_tm, h_tm : ndarray, shape (T, N, H)
        From :func:`rnn_forward_tm`.
    w_xh : ndarray, shape (D, H)
    w_hh : ndarray, shape (H, H)
    act : Activation
    has_bias : bool
    need_dx : bool
        Skip the input gradient when False.
    dh_last : ndarray of shape (N, H), optional
        Gradient at the last hidden state when ``dh_tm`` is None.

    Returns
    -------
    dx_tm : ndarray of shape (T, N, D), or None
    dw_xh : ndarray, shape (D, H)
    dw_hh : ndarray, shape (H, H)
    db : ndarray of shape (H,), or None
    dz_tm : ndarray, shape (T, N, H)
    dht_tm : ndarray, shape (T, N, H)
        Total ``dL/dh_t`` including the path through later time steps.
    """
    t_steps, n, hidden = z_tm.shape
    d = x_tm.shape[-1]
    with np.errstate(all="ignore"):
        dz_tm = np.empty_like(z_tm)
        dht_tm = np.empty_like(z_tm)
        carry = None
        for t in range(t_steps - 1, -1, -1):
            if dh_tm is not None:
                dht_tm[t] = dh_tm[t]
            elif t == t_steps - 1:
                dht_tm[t] = dh_last
            else:
                dht_tm[t] = 0.0
            if carry is not None:
                dht_tm[t] += carry
            activation_backward(dht_tm[t], ActivationCache(z_tm[t], h_tm[t], act), out=dz_tm[t])
            carry = dz_tm[t] @ w_hh.T
        dz2 = dz_tm.reshape(t_steps * n, hidden)
        dx2, dw_xh, db = dense_backward(
            dz2, DenseCache(x_tm.reshape(t_steps * n, d), w_xh, has_bias), need_dx=need_dx
        )
        if t_steps > 1:
            dw_hh = h_tm[:-1].reshape((t_steps - 1) * n, hidden).T @ dz_tm[1:].reshape(-1, hidden)
        else:
            dw_hh = np.zeros_like(w_hh)
        dx_tm = dx2.reshape(t_steps, n, d) if dx2 is not None else None
    return dx_tm, dw_xh, dw_hh, db, dz_tm, dht_tm


def rnn_forward(
    x: np.ndarray,
    w_xh: np.ndarray,
    w_hh: np.ndarray,
    b: np.ndarray | None,
    act: Activation,
) -> tuple[np.ndarray, RnnCache]:
    """Vanilla RNN over a whole sequence, vectorised over the batch (see :func:`rnn_forward_tm`).

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    w_xh, w_hh, b, act
        As for :func:`rnn_step_forward`.

    Returns
    -------
    h : ndarray, shape (N, T, H)
        Hidden states; a view of time-major storage of shape (T, N, H).
    cache : RnnCache
        ``(x_tm, z_tm, h_tm, w_xh, w_hh, act, has_bias)`` with time-major arrays ``x_tm``
        (T, N, D), ``z_tm`` and ``h_tm`` (T, N, H).
    """
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2))
    z_tm, h_tm = rnn_forward_tm(x_tm, w_xh, w_hh, b, act)
    return h_tm.transpose(1, 0, 2), RnnCache(x_tm, z_tm, h_tm, w_xh, w_hh, act, b is not None)


def rnn_backward(
    dh: np.ndarray, cache: RnnCache, *, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """Backpropagation through time for :func:`rnn_forward` (see :func:`rnn_backward_tm`).

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Gradient arriving at every hidden state from outside the recurrence (from the layer
        above or the output layer); not modified.
    cache : RnnCache
        From :func:`rnn_forward`.
    need_dx : bool
        Skip the input gradient when False.

    Returns
    -------
    dx : ndarray of shape (N, T, D), or None
    dw_xh : ndarray, shape (D, H)
    dw_hh : ndarray, shape (H, H)
    db : ndarray of shape (H,), or None
    dz : ndarray, shape (N, T, H)
        ``dL/dz_t`` (view of time-major storage).
    dh_total : ndarray, shape (N, T, H)
        Total ``dL/dh_t`` including the path through later time steps (view of time-major
        storage).
    """
    x_tm, z_tm, h_tm, w_xh, w_hh, act, has_bias = cache
    dx_tm, dw_xh, dw_hh, db, dz_tm, dht_tm = rnn_backward_tm(
        dh.transpose(1, 0, 2), x_tm, z_tm, h_tm, w_xh, w_hh, act, has_bias, need_dx
    )
    dx = dx_tm.transpose(1, 0, 2) if dx_tm is not None else None
    return dx, dw_xh, dw_hh, db, dz_tm.transpose(1, 0, 2), dht_tm.transpose(1, 0, 2)


# --------------------------------------------------------------------------------------------
# Residual block
# --------------------------------------------------------------------------------------------


def residual_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    act: Activation,
    alpha: float = 1.0,
    *,
    z_out: np.ndarray | None = None,
    out: np.ndarray | None = None,
    derivative_out: np.ndarray | None = None,
) -> tuple[np.ndarray, ResidualCache]:
    """Residual block ``out = x + alpha * f(x @ w + b)``.

    ``alpha = 0`` makes the block the identity at initialization (ReZero; Fixup's zero branch).

    Parameters
    ----------
    x : ndarray, shape (N, d)
    w : ndarray, shape (d, d)
    b : ndarray of shape (d,), or None
    act : Activation
    alpha : float
        Branch scale.
    z_out, out : ndarray of shape (N, d), optional
        Destinations of the branch pre-activation ``z`` and of the block output.
    derivative_out : ndarray of shape (N, d), optional
        Keep ``f'(z)`` here (see :func:`activation_forward`).

    Returns
    -------
    out : ndarray, shape (N, d)
    cache : ResidualCache
    """
    z, _ = dense_forward(x, w, b, out=z_out)
    y, act_cache = activation_forward(z, act, out=out, derivative_out=derivative_out)
    with np.errstate(all="ignore"):
        if alpha != 1.0:
            y *= alpha
        y += x
    return y, ResidualCache(x, w, act_cache._replace(fz=None), alpha, b is not None)


def residual_backward(
    dout: np.ndarray,
    cache: ResidualCache,
    *,
    need_dx: bool = True,
    dz_out: np.ndarray | None = None,
    dx_out: np.ndarray | None = None,
    dw_out: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None, np.ndarray]:
    """Backward pass of :func:`residual_forward`.

    ``dz = alpha * dout * f'(z)``; ``dx = dout + dz @ w.T``; ``dw = x.T @ dz``.

    Parameters
    ----------
    dout : ndarray, shape (N, d)
        Upstream gradient; not modified.
    cache : ResidualCache
    need_dx : bool
    dz_out, dx_out : ndarray of shape (N, d), optional
        Destinations of ``dz`` and ``dx`` (``dz_out`` may be the cached ``f'(z)``).
    dw_out : ndarray of shape (d, d), optional
        Destination of ``dw``.

    Returns
    -------
    dx : ndarray of shape (N, d), or None
    dw : ndarray, shape (d, d)
    db : ndarray of shape (d,), or None
    dz : ndarray, shape (N, d)
        Gradient w.r.t. the branch pre-activation.
    """
    x, w, act_cache, alpha, has_bias = cache
    dz = activation_backward(dout, act_cache, out=dz_out)
    with np.errstate(all="ignore"):
        if alpha != 1.0:
            dz *= alpha
        dx, dw, db = dense_backward(
            dz, DenseCache(x, w, has_bias), need_dx=need_dx, dx_out=dx_out, dw_out=dw_out
        )
        if dx is not None:
            dx += dout
    return dx, dw, db, dz
