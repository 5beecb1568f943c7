"""Small, fast NumPy networks that record every layer: MLP, CNN, RNN and residual MLP.

The networks exist to *show* what an initialization does: every forward pass returns a
:class:`Trace` holding each layer's pre-activation ``z`` and activation ``a``, and every backward
pass returns the per-layer gradients ``dL/dz`` and ``dL/da`` next to the parameter gradients.

Layout (Keras/JAX convention, used everywhere in ``core``): inputs on axis -2, outputs on axis -1.

* dense weight ``w`` of shape ``(fan_in, fan_out)``, used as ``x @ w`` on ``x`` of shape
  ``(N, fan_in)``; bias ``b`` of shape ``(fan_out,)``;
* conv kernel ``w`` of shape ``(kh, kw, c_in, c_out)`` on channels-last images ``(N, H, W, C)``,
  stride 1, zero 'same' padding (odd kernels), computed by vectorised im2col;
* recurrent layer ``w_xh`` of shape ``(d_in, hidden)``, ``w_hh`` of shape ``(hidden, hidden)``,
  ``h_t = f(x_t w_xh + h_{t-1} w_hh + b)`` with ``h_{-1} = 0``.

The layer functions follow the CS231n pattern: ``*_forward(...) -> (out, cache)`` and
``*_backward(dout, cache) -> (dx, dw, ...)``. They never mutate the incoming gradient ``dout``.

All computation is float64. Overflow is never raised or warned about: every numeric section runs
under ``np.errstate(all="ignore")`` so that a mis-initialized deep network yields ``inf``/``nan``
values the caller can see and count (see :mod:`core.probe`).

Speed: a dense layer costs its three GEMMs (forward ``h W``, backward ``h^T dz`` and ``dz W^T``)
plus a few element-wise passes. :class:`Network` writes the per-layer arrays of a pass into one
preallocated block per quantity (GEMMs with ``out=``), because first-touch page faults of many
fresh multi-megabyte arrays can cost as much as the matrix products themselves.
``benchmarks/bench_core.py`` measures the ratio to the bare-GEMM bound and to PyTorch eager.

Limits (``MAX_*`` constants below) are enforced with ValueError, so a request for a
10^6-unit layer fails with a clear message instead of exhausting memory.

References
----------
Karpathy, Johnson et al. (2016). CS231n: Convolutional Neural Networks for Visual Recognition,
    assignment code structure (layer forward/backward with caches).
Glorot & Bengio (2010). Understanding the difficulty of training deep feedforward neural networks.
    AISTATS.
He, Zhang, Ren, Sun (2016). Deep Residual Learning for Image Recognition. arXiv:1512.03385.
Bachlechner et al. (2020). ReZero is All You Need. arXiv:2003.04887.
Werbos (1990). Backpropagation through time: what it does and how to do it. Proc. IEEE 78(10).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from core import initializers
from core.activations import Activation
from core.activations import get as get_activation

Kind = Literal["mlp", "cnn", "rnn", "resmlp"]
LossName = Literal["mse", "cross_entropy"]

KINDS: tuple[str, ...] = get_args(Kind)
LOSSES: tuple[str, ...] = get_args(LossName)

#: Largest number of hidden layers (stacked recurrent layers for ``rnn``, blocks for ``resmlp``).
MAX_DEPTH: int = 500
#: Largest layer width (units, channels or hidden size) and largest ``n_outputs``.
MAX_WIDTH: int = 4096
#: Largest number of parameters of one network (2**25 float64 values = 256 MiB).
MAX_PARAMETERS: int = 2**25
#: Largest number of values per input sample (``prod(input_shape)``).
MAX_INPUT_ELEMENTS: int = 2**20
#: Largest number of time steps of an ``rnn`` input sequence.
MAX_TIME_STEPS: int = 1000
#: Largest number of values a recorded forward pass may hold (all ``z`` and ``a`` arrays together;
#: 2**26 float64 values = 512 MiB; a backward pass adds as much again for ``dL/dz`` and
#: ``dL/da``). Larger batches raise ValueError instead of exhausting memory.
MAX_TRACE_ELEMENTS: int = 2**26
#: Kernel size of the ``cnn`` layers built by :func:`build`.
CONV_KERNEL: tuple[int, int] = (3, 3)
#: im2col works on batch chunks whose patch matrix holds at most this many values (32 MiB), so
#: a large batch never materialises a 9x copy of the whole activation tensor.
_IM2COL_CHUNK: int = 2**22
# Output-form derivatives (1 - a^2, a (1 - a)) are used only where the cancelling factor is at
# least this large, which bounds their relative error by ~eps / 0.01 ~ 2e-14.
_OUTPUT_FORM_MIN: float = 1e-2


# --------------------------------------------------------------------------------------------
# Activation helper
# --------------------------------------------------------------------------------------------


def _apply_activation(z: np.ndarray, act: Activation, out: np.ndarray | None = None) -> np.ndarray:
    """Return ``f(z)`` as a new array, or written into ``out`` (same shape as ``z``).

    ReLU and tanh write straight into ``out`` (they are exactly ``np.maximum(z, 0)`` and
    ``np.tanh``); other activations are evaluated by the record's ``f`` and copied.
    """
    if out is None:
        a = np.asarray(act.f(z), dtype=np.float64)
        return a.copy() if a is z else a
    if act.name == "relu":
        return np.maximum(z, 0.0, out=out)
    if act.name == "tanh":
        return np.tanh(z, out=out)
    out[...] = act.f(z)
    return out


def _activation_backward(
    da: np.ndarray,
    z: np.ndarray,
    fz: np.ndarray | None,
    act: Activation,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Return ``dL/dz = dL/da * f'(z)`` in a new array or in ``out`` (``da`` is not modified).

    Linear passes the gradient; ReLU passes it where ``f(z) > 0`` and gives exactly 0 elsewhere
    (also when ``da`` is inf, as PyTorch does). When ``f(z)`` is at hand, tanh and sigmoid use
    the cheap output forms ``1 - a^2`` and ``a (1 - a)`` where these are well conditioned
    (``1 - a^2 >= 0.01``, resp. ``1 - a >= 0.01``: relative error below ~1e-13) and the
    activation's own tail-accurate ``f'(z)`` on the remaining entries; the output form alone
    would round to exactly 0 for |z| > 19 and hide the tiny but non-zero gradients a saturation
    chart must show. Everything else evaluates ``f'(z)``.

    Parameters
    ----------
    da : ndarray, any shape S
        Upstream gradient ``dL/da``.
    z : ndarray, shape S
        Pre-activation.
    fz : ndarray of shape S, or None
        ``f(z)`` if it is at hand.
    act : Activation
    out : ndarray of shape S, optional
        Destination (must not be ``da``).

    Returns
    -------
    ndarray, shape S
    """
    if out is None:
        out = np.empty_like(da)
    with np.errstate(all="ignore"):
        if act.name == "linear":
            np.copyto(out, da)
        elif act.name == "relu":
            active = (fz if fz is not None else z) > 0.0
            np.multiply(da, active, out=out)  # 10x faster than a masked copy
            if not np.isfinite(out.sum()):
                out[~active] = 0.0  # inf * 0 = NaN at inactive units; their gradient is 0
        else:
            _derivative(z, fz, act, out=out)
            out *= da
    return out


def _derivative(
    z: np.ndarray, fz: np.ndarray | None, act: Activation, out: np.ndarray | None = None
) -> np.ndarray:
    """Return ``f'(z)`` (new array or ``out``), using the output forms described above.

    Parameters
    ----------
    z : ndarray, any shape S
    fz : ndarray of shape S, or None
        ``f(z)`` if it is at hand.
    act : Activation
    out : ndarray of shape S, optional

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
                tail = out < _OUTPUT_FORM_MIN
            else:
                np.subtract(1.0, fz, out=out)
                tail = out < _OUTPUT_FORM_MIN
                out *= fz
            if tail.any():
                out[tail] = act.df(z[tail])
        else:
            out[...] = act.df(z)
    return out


def supported_inits(kind: Kind) -> tuple[str, ...]:
    """Initializers :func:`build` accepts for a network kind, in registry order.

    Every scheme whose shape rank fits all of the kind's weights qualifies. ``identity`` needs
    2-D weights, so it is not available for ``cnn``; ``delta_orthogonal`` is a conv-kernel
    scheme, so it is available for ``cnn`` only (its dense output layer then uses
    ``orthogonal`` with the same parameters, the dense analogue).

    Parameters
    ----------
    kind : {"mlp", "cnn", "rnn", "resmlp"}

    Returns
    -------
    tuple of str
    """
    kind = _check_kind(kind)  # type: ignore[assignment]
    hidden_rank = 4 if kind == "cnn" else 2
    out = []
    for name, spec in initializers.REGISTRY.items():
        low, high = spec.min_rank, spec.max_rank
        if low <= hidden_rank and (high is None or hidden_rank <= high):
            out.append(name)
    return tuple(out)


def _init_weight(
    init: str,
    shape: tuple[int, ...],
    *,
    kind: str,
    rng: np.random.Generator,
    init_params: Mapping[str, object],
) -> np.ndarray:
    """Draw one weight with ``init`` (float64, C-contiguous).

    A 2-D weight of a cnn under ``delta_orthogonal`` (the dense output layer) uses
    ``orthogonal`` with the same parameters.
    """
    if init == "delta_orthogonal" and len(shape) == 2 and kind == "cnn":
        init = "orthogonal"
    w = initializers.initialize(init, shape, rng=rng, **init_params)
    return np.ascontiguousarray(w, dtype=np.float64)


def _check_init(kind: str, init: object, init_params: Mapping[str, object]) -> None:
    """Raise ValueError unless ``init`` exists, fits ``kind`` and accepts ``init_params``."""
    if init not in initializers.REGISTRY:
        raise ValueError(
            f"unknown init {init!r}; valid initializers: {', '.join(initializers.REGISTRY)}"
        )
    ok = supported_inits(kind)  # type: ignore[arg-type]
    if init not in ok:
        hint = "use delta_orthogonal" if kind == "cnn" else "use orthogonal"
        raise ValueError(
            f"init {init!r} does not apply to the weights of a {kind} ({hint}); "
            f"valid for {kind}: {', '.join(ok)}"
        )
    initializers.validate_params(str(init), init_params)


# --------------------------------------------------------------------------------------------
# Layer functions (CS231n style)
# --------------------------------------------------------------------------------------------


def dense_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None
) -> tuple[np.ndarray, tuple]:
    """Affine layer ``out = x @ w + b``.

    Parameters
    ----------
    x : ndarray, shape (N, d_in)
    w : ndarray, shape (d_in, d_out)
    b : ndarray of shape (d_out,), or None for no bias

    Returns
    -------
    out : ndarray, shape (N, d_out)
    cache : tuple
        ``(x, w, has_bias)`` for :func:`dense_backward`.
    """
    with np.errstate(all="ignore"):
        out = x @ w
        if b is not None:
            out += b
    return out, (x, w, b is not None)


def dense_backward(
    dout: np.ndarray, cache: tuple, *, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Backward pass of :func:`dense_forward`: two GEMMs and a column sum.

    ``dx = dout @ w.T``, ``dw = x.T @ dout``, ``db = sum_n dout``.

    Parameters
    ----------
    dout : ndarray, shape (N, d_out)
        Upstream gradient; not modified.
    cache : tuple
        From :func:`dense_forward`.
    need_dx : bool
        Skip the input gradient (one GEMM) when False.

    Returns
    -------
    dx : ndarray of shape (N, d_in), or None when ``need_dx`` is False
    dw : ndarray, shape (d_in, d_out)
    db : ndarray of shape (d_out,), or None without bias
    """
    x, w, has_bias = cache
    with np.errstate(all="ignore"):
        dw = x.T @ dout
        db = dout.sum(axis=0) if has_bias else None
        dx = dout @ w.T if need_dx else None
    return dx, dw, db


def _conv_same(x: np.ndarray, w: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
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
    ph, pw = kh // 2, kw // 2
    w_flat = w.reshape(kh * kw * c, c_out)
    if out is None:
        out = np.empty((n, h, wd, c_out))
    out2 = out.reshape(n * h * wd, c_out)
    per_image = h * wd * kh * kw * c
    chunk = max(1, _IM2COL_CHUNK // max(per_image, 1))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        xp = np.zeros((stop - start, h + 2 * ph, wd + 2 * pw, c))
        xp[:, ph : ph + h, pw : pw + wd, :] = x[start:stop]
        # (n, H, W, C, kh, kw) view -> (n, H, W, kh, kw, C) rows matching w's (kh, kw, C) order.
        win = sliding_window_view(xp, (kh, kw), axis=(1, 2))
        cols = win.transpose(0, 1, 2, 4, 5, 3).reshape((stop - start) * h * wd, kh * kw * c)
        np.matmul(cols, w_flat, out=out2[start * h * wd : stop * h * wd])
    return out


def _conv_weight_grad(x: np.ndarray, dout: np.ndarray, kh: int, kw: int) -> np.ndarray:
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
    n, h, wd, c = x.shape
    c_out = dout.shape[-1]
    ph, pw = kh // 2, kw // 2
    dw = np.zeros((kh * kw * c, c_out))
    per_image = h * wd * kh * kw * c
    chunk = max(1, _IM2COL_CHUNK // max(per_image, 1))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        xp = np.zeros((stop - start, h + 2 * ph, wd + 2 * pw, c))
        xp[:, ph : ph + h, pw : pw + wd, :] = x[start:stop]
        win = sliding_window_view(xp, (kh, kw), axis=(1, 2))
        cols = win.transpose(0, 1, 2, 4, 5, 3).reshape((stop - start) * h * wd, kh * kw * c)
        dw += cols.T @ dout[start:stop].reshape(-1, c_out)
    return dw.reshape(kh, kw, c, c_out)


def conv_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None
) -> tuple[np.ndarray, tuple]:
    """2-D convolution layer (cross-correlation, stride 1, zero 'same' padding), channels-last.

    ``out[n, i, j, o] = sum_{di, dj, c} xpad[n, i + di, j + dj, c] w[di, dj, c, o] + b[o]``.

    Parameters
    ----------
    x : ndarray, shape (N, H, W, C_in)
    w : ndarray, shape (kh, kw, C_in, C_out), kh and kw odd
    b : ndarray of shape (C_out,), or None

    Returns
    -------
    out : ndarray, shape (N, H, W, C_out)
    cache : tuple
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
    with np.errstate(all="ignore"):
        out = _conv_same(x, w)
        if b is not None:
            out += b
    return out, (x, w, b is not None)


def conv_backward(
    dout: np.ndarray, cache: tuple, *, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Backward pass of :func:`conv_forward`.

    ``dw = im2col(x).T @ dout``; ``dx`` is the 'same' correlation of ``dout`` with the spatially
    flipped kernel whose channel axes are swapped (exact for stride 1 and odd kernels).

    Parameters
    ----------
    dout : ndarray, shape (N, H, W, C_out)
        Upstream gradient; not modified.
    cache : tuple
        From :func:`conv_forward`.
    need_dx : bool
        Skip the input gradient when False.

    Returns
    -------
    dx : ndarray of shape (N, H, W, C_in), or None
    dw : ndarray, shape (kh, kw, C_in, C_out)
    db : ndarray of shape (C_out,), or None
    """
    x, w, has_bias = cache
    kh, kw = w.shape[:2]
    with np.errstate(all="ignore"):
        dw = _conv_weight_grad(x, dout, kh, kw)
        db = dout.sum(axis=(0, 1, 2)) if has_bias else None
        dx = None
        if need_dx:
            w_back = np.ascontiguousarray(w[::-1, ::-1].transpose(0, 1, 3, 2))
            dx = _conv_same(dout, w_back)
    return dx, dw, db


def rnn_step_forward(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    w_xh: np.ndarray,
    w_hh: np.ndarray,
    b: np.ndarray | None,
    act: Activation,
) -> tuple[np.ndarray, tuple]:
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
    cache : tuple
        ``(x_t, h_prev, w_xh, w_hh, z_t, h_t, act, has_bias)``.
    """
    with np.errstate(all="ignore"):
        z = x_t @ w_xh
        z += h_prev @ w_hh
        if b is not None:
            z += b
        h = np.asarray(act.f(z), dtype=np.float64)
    return h, (x_t, h_prev, w_xh, w_hh, z, h, act, b is not None)


def rnn_step_backward(
    dh: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Backward pass of :func:`rnn_step_forward`.

    Parameters
    ----------
    dh : ndarray, shape (N, H)
        Total gradient ``dL/dh_t`` (from the output and from step t+1); not modified.
    cache : tuple

    Returns
    -------
    dx_t : ndarray, shape (N, D)
    dh_prev : ndarray, shape (N, H)
    dw_xh : ndarray, shape (D, H)
    dw_hh : ndarray, shape (H, H)
    db : ndarray of shape (H,), or None
    """
    x_t, h_prev, w_xh, w_hh, z, h, act, has_bias = cache
    with np.errstate(all="ignore"):
        dz = _activation_backward(dh, z, h, act)
        dx = dz @ w_xh.T
        dh_prev = dz @ w_hh.T
        dw_xh = x_t.T @ dz
        dw_hh = h_prev.T @ dz
        db = dz.sum(axis=0) if has_bias else None
    return dx, dh_prev, dw_xh, dw_hh, db


def rnn_forward(
    x: np.ndarray,
    w_xh: np.ndarray,
    w_hh: np.ndarray,
    b: np.ndarray | None,
    act: Activation,
) -> tuple[np.ndarray, tuple]:
    """Vanilla RNN over a whole sequence, vectorised over the batch.

    The input projection ``x_t w_xh + b`` of all time steps is one GEMM; only the recurrence
    ``h_{t-1} w_hh`` runs in a Python loop over time (never over samples).

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    w_xh : ndarray, shape (D, H)
    w_hh : ndarray, shape (H, H)
    b : ndarray of shape (H,), or None
    act : Activation

    Returns
    -------
    h : ndarray, shape (N, T, H)
        Hidden states; a view of time-major storage of shape (T, N, H).
    cache : tuple
        ``(x_tm, z_tm, h_tm, w_xh, w_hh, act, has_bias)`` with time-major arrays ``x_tm``
        (T, N, D), ``z_tm`` and ``h_tm`` (T, N, H).
    """
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2))
    z_tm, h_tm = _rnn_forward_tm(x_tm, w_xh, w_hh, b, act)
    return h_tm.transpose(1, 0, 2), (x_tm, z_tm, h_tm, w_xh, w_hh, act, b is not None)


def _rnn_forward_tm(
    x_tm: np.ndarray,
    w_xh: np.ndarray,
    w_hh: np.ndarray,
    b: np.ndarray | None,
    act: Activation,
) -> tuple[np.ndarray, np.ndarray]:
    """Time-major recurrence: x_tm (T, N, D) -> (z_tm, h_tm), each (T, N, H)."""
    t_steps, n, d = x_tm.shape
    hidden = w_hh.shape[0]
    with np.errstate(all="ignore"):
        z_tm = (x_tm.reshape(t_steps * n, d) @ w_xh).reshape(t_steps, n, hidden)
        if b is not None:
            z_tm += b
        h_tm = np.empty_like(z_tm)
        h_tm[0] = act.f(z_tm[0])
        for t in range(1, t_steps):
            z_tm[t] += h_tm[t - 1] @ w_hh
            h_tm[t] = act.f(z_tm[t])
    return z_tm, h_tm


def rnn_backward(
    dh: np.ndarray, cache: tuple, *, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """Backpropagation through time for :func:`rnn_forward`, vectorised over the batch.

    ``dL/dh_t = dh[:, t] + dL/dz_{t+1} w_hh^T``; ``dL/dz_t = dL/dh_t * f'(z_t)``;
    ``dw_hh = sum_t h_{t-1}^T dz_t``, ``dw_xh = sum_t x_t^T dz_t`` (each one GEMM after the loop).

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Gradient arriving at every hidden state from outside the recurrence (from the layer
        above or the output layer); not modified.
    cache : tuple
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
    dh_tm = dh.transpose(1, 0, 2)
    dx_tm, dw_xh, dw_hh, db, dz_tm, dht_tm = _rnn_backward_tm(
        dh_tm, x_tm, z_tm, h_tm, w_xh, w_hh, act, has_bias, need_dx
    )
    dx = dx_tm.transpose(1, 0, 2) if dx_tm is not None else None
    return dx, dw_xh, dw_hh, db, dz_tm.transpose(1, 0, 2), dht_tm.transpose(1, 0, 2)


def _rnn_backward_tm(
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
) -> tuple:
    """Time-major BPTT. ``dh_tm`` (T, N, H) or None with ``dh_last`` (N, H) at the last step."""
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
            dz_tm[t] = _activation_backward(dht_tm[t], z_tm[t], h_tm[t], act)
            carry = dz_tm[t] @ w_hh.T
        dz2 = dz_tm.reshape(t_steps * n, hidden)
        dw_xh = x_tm.reshape(t_steps * n, d).T @ dz2
        if t_steps > 1:
            dw_hh = h_tm[:-1].reshape((t_steps - 1) * n, hidden).T @ dz_tm[1:].reshape(-1, hidden)
        else:
            dw_hh = np.zeros_like(w_hh)
        db = dz2.sum(axis=0) if has_bias else None
        dx_tm = (dz2 @ w_xh.T).reshape(t_steps, n, d) if need_dx else None
    return dx_tm, dw_xh, dw_hh, db, dz_tm, dht_tm


def residual_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray | None, act: Activation, alpha: float = 1.0
) -> tuple[np.ndarray, tuple]:
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

    Returns
    -------
    out : ndarray, shape (N, d)
    cache : tuple
        ``(x, w, z, act, alpha, has_bias)``; ``z`` (N, d) is the branch pre-activation.
    """
    with np.errstate(all="ignore"):
        z = x @ w
        if b is not None:
            z += b
        out = np.asarray(act.f(z), dtype=np.float64)
        if out is z or not out.flags.writeable:
            out = out.copy()
        out *= alpha
        out += x
    return out, (x, w, z, act, alpha, b is not None)


def residual_backward(
    dout: np.ndarray, cache: tuple, *, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None, np.ndarray]:
    """Backward pass of :func:`residual_forward`.

    ``dz = alpha * dout * f'(z)``; ``dx = dout + dz @ w.T``; ``dw = x.T @ dz``.

    Parameters
    ----------
    dout : ndarray, shape (N, d)
        Upstream gradient; not modified.
    cache : tuple
    need_dx : bool

    Returns
    -------
    dx : ndarray of shape (N, d), or None
    dw : ndarray, shape (d, d)
    db : ndarray of shape (d,), or None
    dz : ndarray, shape (N, d)
        Gradient w.r.t. the branch pre-activation.
    """
    x, w, z, act, alpha, has_bias = cache
    with np.errstate(all="ignore"):
        dz = _activation_backward(dout, z, None, act)
        if alpha != 1.0:
            dz *= alpha
        dw = x.T @ dz
        db = dz.sum(axis=0) if has_bias else None
        dx = None
        if need_dx:
            dx = dz @ w.T
            dx += dout
    return dx, dw, db, dz


# --------------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------------


def _check_targets(output: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; valid losses: {', '.join(LOSSES)}")
    n, k = output.shape
    y = np.asarray(y)
    if loss == "mse":
        if y.shape != (n, k):
            raise ValueError(
                f"mse targets y must have shape {(n, k)} (N, n_outputs), got {y.shape}"
            )
        if not (np.issubdtype(y.dtype, np.floating) or np.issubdtype(y.dtype, np.integer)):
            raise ValueError(f"mse targets y must be numeric, got dtype {y.dtype}")
        return y.astype(np.float64, copy=False)
    if y.shape != (n,):
        raise ValueError(f"cross_entropy labels y must have shape {(n,)} (N,), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or y.dtype == np.bool_:
        raise ValueError(f"cross_entropy labels y must be integers, got dtype {y.dtype}")
    if n and (y.min() < 0 or y.max() >= k):
        raise ValueError(
            f"cross_entropy labels y must lie in [0, {k - 1}] (n_outputs={k}), "
            f"got range [{y.min()}, {y.max()}]"
        )
    return y


def loss_and_output_grad(
    output: np.ndarray, y: np.ndarray, loss: LossName
) -> tuple[float, np.ndarray]:
    """Batch-mean loss and its gradient w.r.t. the network output.

    * ``mse``: ``L = 1/(N K) sum_{n,k} (o_nk - y_nk)^2`` (mean over batch *and* outputs);
      ``dL/do = 2 (o - y) / (N K)``.
    * ``cross_entropy``: ``L = 1/N sum_n [logsumexp(o_n) - o_{n, y_n}]`` with the max-shifted
      (stable) log-sum-exp; ``dL/do = (softmax(o) - onehot(y)) / N``.

    Non-finite outputs give a non-finite loss without warnings.

    Parameters
    ----------
    output : ndarray, shape (N, K)
        Network outputs (logits for cross-entropy).
    y : ndarray
        ``mse``: float targets of shape (N, K). ``cross_entropy``: integer labels of shape (N,)
        in ``[0, K)``.
    loss : {"mse", "cross_entropy"}

    Returns
    -------
    loss : float
    dout : ndarray, shape (N, K)

    Raises
    ------
    ValueError
        Unknown loss, wrong target shape or dtype, labels out of range.
    """
    y = _check_targets(output, y, loss)
    n, k = output.shape
    with np.errstate(all="ignore"):
        if loss == "mse":
            diff = output - y
            value = float(np.vdot(diff, diff) / (n * k))
            diff *= 2.0 / (n * k)
            return value, diff
        shift = output.max(axis=1, keepdims=True)
        p = output - shift
        np.exp(p, out=p)
        s = p.sum(axis=1, keepdims=True)
        lse = shift[:, 0] + np.log(s[:, 0])
        rows = np.arange(n)
        value = float(np.mean(lse - output[rows, y]))
        p /= s
        p[rows, y] -= 1.0
        p /= n
    return value, p


def loss_value(output: np.ndarray, y: np.ndarray, loss: LossName) -> float:
    """Batch-mean loss only; see :func:`loss_and_output_grad` for the definitions.

    Parameters
    ----------
    output : ndarray, shape (N, K)
    y : ndarray, (N, K) float for ``mse`` or (N,) int for ``cross_entropy``
    loss : {"mse", "cross_entropy"}

    Returns
    -------
    float
    """
    return loss_and_output_grad(output, y, loss)[0]


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trace:
    """Everything a forward pass computed, layer by layer (input -> output).

    Attributes
    ----------
    x : ndarray, shape (N, *input_shape)
        The input (float64).
    z : list of ndarray
        Pre-activation per parameterised layer, output layer last. Shapes: mlp ``(N, width)``;
        cnn ``(N, H, W, width)``; rnn ``(N, T, width)``; resmlp: entry 0 is the linear input
        projection ``(N, width)``, entries 1..depth the branch pre-activations ``(N, width)``;
        last entry ``(N, n_outputs)``.
    a : list of ndarray
        Activation per layer, same shapes as ``z``. mlp/cnn: ``f(z)``; rnn: hidden states
        ``h_t``; resmlp: the residual stream after each block (entry 0 = the projection itself);
        the output layer is linear, so ``a[-1] is z[-1]``.
    features : ndarray, shape (N, width)
        Input of the output layer: last hidden activation (mlp, resmlp), global average pool
        (cnn), last hidden state of the top layer (rnn).
    output : ndarray, shape (N, n_outputs)
        Same array as ``z[-1]``.

    Notes
    -----
    For mlp, cnn and resmlp the hidden ``z`` and ``a`` arrays are views into one block each;
    rnn arrays are transposed views of time-major (T, N, width) storage. ``x`` is the caller's
    array when it already was C-contiguous float64 (it is never modified).
    """

    x: np.ndarray
    z: list[np.ndarray]
    a: list[np.ndarray]
    features: np.ndarray
    output: np.ndarray


@dataclass(frozen=True)
class BackwardTrace:
    """Per-layer gradients from a backward pass (same indexing and shapes as :class:`Trace`).

    Attributes
    ----------
    dz : list of ndarray
        ``dL/dz`` per layer (output layer last; there it equals ``dout``). For resmlp blocks this
        is the gradient w.r.t. the branch pre-activation (it includes the factor ``alpha``).
    da : list of ndarray
        ``dL/da`` per layer: the total gradient reaching the layer's activation (for rnn the total
        ``dL/dh_t`` including the path through later time steps; for resmlp w.r.t. the stream).
        ``da[-1]`` is a copy of ``dout``.
    dx : ndarray of shape (N, *input_shape), or None
        Gradient w.r.t. the input when it was requested.
    """

    dz: list[np.ndarray]
    da: list[np.ndarray]
    dx: np.ndarray | None = field(default=None)


# --------------------------------------------------------------------------------------------
# Validation helpers and sizes
# --------------------------------------------------------------------------------------------


def _check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _check_kind(kind: object) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown network kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    return str(kind)


def _check_input_shape(kind: str, input_shape: object) -> tuple[int, ...]:
    expected = {"mlp": "(d,)", "resmlp": "(d,)", "cnn": "(H, W, C)", "rnn": "(T, D)"}[kind]
    n_dims = {"mlp": 1, "resmlp": 1, "cnn": 3, "rnn": 2}[kind]
    try:
        shape = tuple(input_shape)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(
            f"input_shape for {kind} must be a tuple {expected}, got {input_shape!r}"
        ) from None
    if len(shape) != n_dims or any(
        isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 1 for s in shape
    ):
        raise ValueError(
            f"input_shape for {kind} must be {expected} with positive integers, got {input_shape!r}"
        )
    shape = tuple(int(s) for s in shape)
    if math.prod(shape) > MAX_INPUT_ELEMENTS:
        raise ValueError(
            f"input_shape {shape} has {math.prod(shape)} values per sample; "
            f"the limit is MAX_INPUT_ELEMENTS = {MAX_INPUT_ELEMENTS}"
        )
    if kind == "rnn" and shape[0] > MAX_TIME_STEPS:
        raise ValueError(
            f"rnn sequences are limited to MAX_TIME_STEPS = {MAX_TIME_STEPS} steps, got {shape[0]}"
        )
    return shape


def layer_shapes(
    kind: Kind,
    *,
    input_shape: Sequence[int],
    n_outputs: int,
    depth: int,
    width: int,
    bias: bool = True,
) -> list[dict[str, tuple[int, ...]]]:
    """Parameter shapes of the network :func:`build` would create (no allocation).

    Parameters
    ----------
    kind : {"mlp", "cnn", "rnn", "resmlp"}
    input_shape, n_outputs, depth, width, bias
        As for :func:`build`.

    Returns
    -------
    list of dict
        One dict per layer (input -> output) mapping parameter name to shape.
    """
    d_in = input_shape[-1]
    kh, kw = CONV_KERNEL
    out: list[dict[str, tuple[int, ...]]] = []

    def layer(**shapes: tuple[int, ...]) -> None:
        if bias:
            shapes["b"] = (shapes[next(iter(shapes))][-1],)
        out.append(shapes)

    if kind == "mlp":
        for i in range(depth):
            layer(w=(d_in if i == 0 else width, width))
    elif kind == "cnn":
        for i in range(depth):
            layer(w=(kh, kw, d_in if i == 0 else width, width))
    elif kind == "rnn":
        for i in range(depth):
            layer(w_xh=(d_in if i == 0 else width, width), w_hh=(width, width))
    else:
        layer(w=(d_in, width))
        for _ in range(depth):
            layer(w=(width, width))
    layer(w=(width, n_outputs))
    return out


def n_parameters(
    kind: Kind,
    *,
    input_shape: Sequence[int],
    n_outputs: int,
    depth: int,
    width: int,
    bias: bool = True,
) -> int:
    """Number of scalar parameters of the network :func:`build` would create.

    Parameters
    ----------
    kind, input_shape, n_outputs, depth, width, bias
        As for :func:`build`.

    Returns
    -------
    int
    """
    shapes = layer_shapes(
        kind, input_shape=input_shape, n_outputs=n_outputs, depth=depth, width=width, bias=bias
    )
    return sum(math.prod(s) for layer in shapes for s in layer.values())


def hidden_weights_of(params: Sequence[Mapping[str, np.ndarray]]) -> list[np.ndarray]:
    """Weight matrix of every hidden layer, with neurons as the last axis.

    Dense layers give ``w`` (fan_in, fan_out); conv layers their kernel (kh, kw, c_in, c_out);
    a recurrent layer gives ``concatenate([w_xh, w_hh], axis=0)`` of shape (d_in + H, H), because
    a recurrent neuron is defined by its input *and* recurrent weights. The output layer (last
    entry of ``params``) is excluded; for resmlp the input projection is included (entry 0).

    Parameters
    ----------
    params : sequence of dict
        A network's parameters, input -> output.

    Returns
    -------
    list of ndarray
    """
    weights = []
    for p in list(params)[:-1]:
        if "w_xh" in p:
            weights.append(np.concatenate([p["w_xh"], p["w_hh"]], axis=0))
        else:
            weights.append(p["w"])
    return weights


# --------------------------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------------------------


class Network:
    """A built network: parameters plus the recipe (kind, activation, alpha) to run them.

    Create with :func:`build`. ``params`` is a list of dicts of float64 arrays ordered input ->
    output (last = the dense output layer); weight keys start with ``w`` (``w``, or ``w_xh`` and
    ``w_hh``), the bias key is ``b`` (absent when ``bias=False``). Training updates these arrays
    in place or replaces them; the network reads them on every call.

    Attributes
    ----------
    kind : str
    activation : Activation
    params : list of dict of ndarray
    depth, width, n_outputs : int
    input_shape : tuple of int
    alpha : float
        Residual branch scale (resmlp only).
    bias : bool
    init : str
    init_params : dict
    """

    def __init__(
        self,
        *,
        kind: str,
        activation: Activation,
        params: list[dict[str, np.ndarray]],
        depth: int,
        width: int,
        input_shape: tuple[int, ...],
        n_outputs: int,
        alpha: float = 1.0,
        bias: bool = True,
        init: str = "",
        init_params: dict | None = None,
    ) -> None:
        self.kind = kind
        self.activation = activation
        self.params = params
        self.depth = depth
        self.width = width
        self.input_shape = tuple(input_shape)
        self.n_outputs = n_outputs
        self.alpha = float(alpha)
        self.bias = bias
        self.init = init
        self.init_params = dict(init_params or {})

    def __repr__(self) -> str:
        return (
            f"Network(kind={self.kind!r}, depth={self.depth}, width={self.width}, "
            f"input_shape={self.input_shape}, n_outputs={self.n_outputs}, "
            f"activation={self.activation.name!r}, init={self.init!r})"
        )

    # ---- helpers --------------------------------------------------------------------------

    def _check_x(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim != 1 + len(self.input_shape) or tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(
                f"input x must have shape (N, {', '.join(map(str, self.input_shape))}) for this "
                f"{self.kind}, got {x.shape}"
            )
        if x.shape[0] < 1:
            raise ValueError("input x must hold at least one sample (N >= 1)")
        if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
            raise ValueError(f"input x must be numeric, got dtype {x.dtype}")
        return np.ascontiguousarray(x, dtype=np.float64)

    def _per_sample_layer_elements(self) -> int:
        if self.kind == "cnn":
            h, w, _ = self.input_shape
            return h * w * self.width
        if self.kind == "rnn":
            return self.input_shape[0] * self.width
        return self.width

    def trace_elements(self, batch: int) -> int:
        """Number of float64 values a recorded forward pass on ``batch`` samples holds.

        Parameters
        ----------
        batch : int

        Returns
        -------
        int
        """
        n_hidden = len(self.params) - 1
        return 2 * batch * (n_hidden * self._per_sample_layer_elements() + self.n_outputs)

    def _check_batch(self, n: int) -> None:
        need = self.trace_elements(n)
        if need > MAX_TRACE_ELEMENTS:
            raise ValueError(
                f"a batch of {n} would record {need} values through this {self.kind} "
                f"(limit MAX_TRACE_ELEMENTS = {MAX_TRACE_ELEMENTS}); use a smaller batch"
            )

    # ---- forward --------------------------------------------------------------------------

    def forward(self, x: np.ndarray) -> Trace:
        """Run the network and record every layer.

        Parameters
        ----------
        x : ndarray, shape (N, *input_shape)

        Returns
        -------
        Trace

        Raises
        ------
        ValueError
            Wrong input shape or dtype, or a batch whose trace would exceed
            ``MAX_TRACE_ELEMENTS``.
        """
        x = self._check_x(x)
        self._check_batch(x.shape[0])
        return self._run(x, record=True)  # type: ignore[return-value]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Network outputs without recording the layers (logits for classification).

        Parameters
        ----------
        x : ndarray, shape (N, *input_shape)

        Returns
        -------
        ndarray, shape (N, n_outputs)
        """
        x = self._check_x(x)
        per_layer = 2 * x.shape[0] * self._per_sample_layer_elements()
        if per_layer > MAX_TRACE_ELEMENTS:
            raise ValueError(
                f"a batch of {x.shape[0]} is too large for predict "
                f"(limit MAX_TRACE_ELEMENTS = {MAX_TRACE_ELEMENTS}); split it"
            )
        return self._run(x, record=False)  # type: ignore[return-value]

    def _run(self, x: np.ndarray, *, record: bool) -> Trace | np.ndarray:
        # Recorded passes write every hidden z and a into two preallocated blocks of shape
        # (n_hidden, N, ...): one large allocation instead of 2 per layer, which matters
        # because first-touch page faults of fresh arrays can cost more than the GEMMs.
        act = self.activation
        hidden = self.params[:-1]
        n = x.shape[0]
        zs: list[np.ndarray] = []
        as_: list[np.ndarray] = []
        with np.errstate(all="ignore"):
            if self.kind in ("mlp", "cnn"):
                if self.kind == "mlp":
                    per_layer: tuple[int, ...] = (n, self.width)
                else:
                    per_layer = (n, *self.input_shape[:2], self.width)
                z_blk = np.empty((len(hidden), *per_layer)) if record else None
                a_blk = np.empty((len(hidden), *per_layer)) if record else None
                h = x
                for i, p in enumerate(hidden):
                    z_out = z_blk[i] if z_blk is not None else None
                    if self.kind == "mlp":
                        z = np.matmul(h, p["w"], out=z_out)
                    else:
                        z = _conv_same(h, p["w"], out=z_out)
                    if "b" in p:
                        z += p["b"]
                    h = _apply_activation(z, act, out=a_blk[i] if a_blk is not None else None)
                    if record:
                        zs.append(z)
                        as_.append(h)
                features = h if self.kind == "mlp" else h.mean(axis=(1, 2))
            elif self.kind == "rnn":
                h_tm = np.ascontiguousarray(x.transpose(1, 0, 2))
                for p in hidden:
                    z_tm, h_tm = _rnn_forward_tm(h_tm, p["w_xh"], p["w_hh"], p.get("b"), act)
                    if record:
                        zs.append(z_tm.transpose(1, 0, 2))
                        as_.append(h_tm.transpose(1, 0, 2))
                features = h_tm[-1]
            else:  # resmlp
                p0 = hidden[0]
                h = x @ p0["w"]
                if "b" in p0:
                    h += p0["b"]
                if record:
                    zs.append(h)
                    as_.append(h)
                n_blocks = len(hidden) - 1
                z_blk = np.empty((n_blocks, n, self.width)) if record else None
                a_blk = np.empty((n_blocks, n, self.width)) if record else None
                for i, p in enumerate(hidden[1:]):
                    z = np.matmul(h, p["w"], out=z_blk[i] if z_blk is not None else None)
                    if "b" in p:
                        z += p["b"]
                    fz = _apply_activation(z, act, out=a_blk[i] if a_blk is not None else None)
                    if self.alpha != 1.0:
                        fz *= self.alpha
                    fz += h
                    h = fz
                    if record:
                        zs.append(z)
                        as_.append(h)
                features = h
            out_p = self.params[-1]
            output = features @ out_p["w"]
            if "b" in out_p:
                output += out_p["b"]
        if not record:
            return output
        zs.append(output)
        as_.append(output)
        return Trace(x=x, z=zs, a=as_, features=features, output=output)

    # ---- backward -------------------------------------------------------------------------

    def backward(
        self, trace: Trace, dout: np.ndarray, *, need_input_grad: bool = True
    ) -> tuple[list[dict[str, np.ndarray]], BackwardTrace]:
        """Backpropagate ``dout = dL/d output`` through the recorded forward pass.

        Cost: the two GEMMs per layer of the textbook backward pass (``dW = a^T dz`` and
        ``da = dz W^T``), one element-wise ``f'`` evaluation and a bias column sum; all
        per-layer results are written into preallocated blocks.

        Parameters
        ----------
        trace : Trace
            From :meth:`forward` with the current parameters.
        dout : ndarray, shape (N, n_outputs)
            Gradient of the loss w.r.t. the output; never modified.
        need_input_grad : bool
            Also compute ``dL/dx`` (one more GEMM in the first layer).

        Returns
        -------
        grads : list of dict of ndarray
            Same structure, keys and shapes as ``params``.
        per_layer : BackwardTrace

        Raises
        ------
        ValueError
            If ``dout`` has the wrong shape.
        """
        dout = np.asarray(dout, dtype=np.float64)
        n = trace.x.shape[0]
        if dout.shape != (n, self.n_outputs):
            raise ValueError(f"dout must have shape {(n, self.n_outputs)}, got {dout.shape}")
        act = self.activation
        n_layers = len(self.params)
        hidden = self.params[:-1]
        grads: list[dict[str, np.ndarray]] = [{} for _ in range(n_layers)]
        dzs: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
        das: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
        dx: np.ndarray | None = None

        def store(i: int, dw: np.ndarray, dz: np.ndarray, axes: tuple[int, ...]) -> None:
            grads[i]["w"] = dw
            if "b" in self.params[i]:
                grads[i]["b"] = dz.sum(axis=axes)

        with np.errstate(all="ignore"):
            out_p = self.params[-1]
            dzs[-1] = dout
            das[-1] = dout.copy()
            store(n_layers - 1, trace.features.T @ dout, dout, (0,))
            if self.kind in ("mlp", "cnn"):
                dz_blk = np.empty((len(hidden), *trace.z[0].shape))
                da_blk = np.empty_like(dz_blk)
                if self.kind == "mlp":
                    np.matmul(dout, out_p["w"].T, out=da_blk[-1])
                    axes: tuple[int, ...] = (0,)
                else:
                    hw = da_blk.shape[2] * da_blk.shape[3]
                    da_blk[-1] = ((dout @ out_p["w"].T) / hw)[:, None, None, :]
                    axes = (0, 1, 2)
                # mlp: dW of layers 1.. (all (width, width)) share one block.
                dw_blk = None
                if self.kind == "mlp" and len(hidden) > 1:
                    dw_blk = np.empty((len(hidden) - 1, self.width, self.width))
                for i in range(len(hidden) - 1, -1, -1):
                    p = hidden[i]
                    da = da_blk[i]
                    das[i] = da
                    dz = _activation_backward(da, trace.z[i], trace.a[i], act, out=dz_blk[i])
                    dzs[i] = dz
                    h_in = trace.a[i - 1] if i > 0 else trace.x
                    if self.kind == "mlp":
                        if i > 0:
                            dw = np.matmul(h_in.T, dz, out=dw_blk[i - 1])
                            np.matmul(dz, p["w"].T, out=da_blk[i - 1])
                        else:
                            dw = h_in.T @ dz
                            dx = dz @ p["w"].T if need_input_grad else None
                    else:
                        kh, kw = p["w"].shape[:2]
                        dw = _conv_weight_grad(h_in, dz, kh, kw)
                        if i > 0 or need_input_grad:
                            w_back = np.ascontiguousarray(p["w"][::-1, ::-1].transpose(0, 1, 3, 2))
                            dst = da_blk[i - 1] if i > 0 else None
                            res = _conv_same(dz, w_back, out=dst)
                            if i == 0:
                                dx = res
                    store(i, dw, dz, axes)
            elif self.kind == "rnn":
                dh_tm: np.ndarray | None = None
                dh_last: np.ndarray | None = dout @ out_p["w"].T
                for i in range(len(hidden) - 1, -1, -1):
                    p = hidden[i]
                    # Time-major views (contiguous) of the recorded arrays; the raw input is
                    # the only one that needs a transposed copy.
                    x_tm = np.ascontiguousarray(
                        (trace.a[i - 1] if i > 0 else trace.x).transpose(1, 0, 2)
                    )
                    z_tm = trace.z[i].transpose(1, 0, 2)
                    h_tm = trace.a[i].transpose(1, 0, 2)
                    need = i > 0 or need_input_grad
                    dx_tm, dw_xh, dw_hh, db, dz_tm, dht_tm = _rnn_backward_tm(
                        dh_tm,
                        x_tm,
                        z_tm,
                        h_tm,
                        p["w_xh"],
                        p["w_hh"],
                        act,
                        "b" in p,
                        need,
                        dh_last=dh_last,
                    )
                    grads[i]["w_xh"] = dw_xh
                    grads[i]["w_hh"] = dw_hh
                    if db is not None:
                        grads[i]["b"] = db
                    dzs[i] = dz_tm.transpose(1, 0, 2)
                    das[i] = dht_tm.transpose(1, 0, 2)
                    dh_tm, dh_last = dx_tm, None
                dx = dh_tm.transpose(1, 0, 2) if need_input_grad else None
            else:  # resmlp
                n_blocks = len(hidden) - 1
                dz_blk = np.empty((n_blocks, n, self.width))
                da_blk = np.empty((n_blocks + 1, n, self.width))
                dw_blk = np.empty((n_blocks, self.width, self.width))
                np.matmul(dout, out_p["w"].T, out=da_blk[-1])
                for i in range(n_blocks, 0, -1):
                    p = hidden[i]
                    dh = da_blk[i]
                    das[i] = dh
                    dz = _activation_backward(dh, trace.z[i], None, act, out=dz_blk[i - 1])
                    if self.alpha != 1.0:
                        dz *= self.alpha
                    dzs[i] = dz
                    store(i, np.matmul(trace.a[i - 1].T, dz, out=dw_blk[i - 1]), dz, (0,))
                    np.matmul(dz, p["w"].T, out=da_blk[i - 1])
                    da_blk[i - 1] += dh
                p0 = hidden[0]
                das[0] = dzs[0] = da_blk[0]
                store(0, trace.x.T @ da_blk[0], da_blk[0], (0,))
                dx = da_blk[0] @ p0["w"].T if need_input_grad else None
        # Keep the documented key order of params (w..., b).
        grads = [{k: g[k] for k in p} for g, p in zip(grads, self.params, strict=True)]
        return grads, BackwardTrace(dz=dzs, da=das, dx=dx)

    def loss_and_grads(
        self, x: np.ndarray, y: np.ndarray, loss: LossName
    ) -> tuple[float, list[dict[str, np.ndarray]]]:
        """Batch-mean loss and parameter gradients (see :func:`loss_and_output_grad`).

        Parameters
        ----------
        x : ndarray, shape (N, *input_shape)
        y : ndarray
            ``mse``: float (N, n_outputs); ``cross_entropy``: int labels (N,).
        loss : {"mse", "cross_entropy"}

        Returns
        -------
        loss : float
            Non-finite when the network overflowed (no warning is emitted).
        grads : list of dict of ndarray
            Shaped like ``params``.
        """
        trace = self.forward(x)
        value, dout = loss_and_output_grad(trace.output, y, loss)
        grads, _ = self.backward(trace, dout, need_input_grad=False)
        return value, grads

    def copy(self) -> Network:
        """Deep copy (parameters copied; the activation record is immutable and shared).

        Returns
        -------
        Network
        """
        return Network(
            kind=self.kind,
            activation=self.activation,
            params=[{k: v.copy() for k, v in p.items()} for p in self.params],
            depth=self.depth,
            width=self.width,
            input_shape=self.input_shape,
            n_outputs=self.n_outputs,
            alpha=self.alpha,
            bias=self.bias,
            init=self.init,
            init_params=self.init_params,
        )

    def hidden_weights(self) -> list[np.ndarray]:
        """Weights of the hidden layers, neurons on the last axis (see :func:`hidden_weights_of`).

        mlp: ``depth`` matrices (fan_in, width); cnn: ``depth`` kernels (3, 3, c_in, width);
        rnn: ``depth`` matrices ``[w_xh; w_hh]`` of shape (d_in + width, width); resmlp:
        ``depth + 1`` matrices (input projection first).

        Returns
        -------
        list of ndarray
        """
        return hidden_weights_of(self.params)

    @property
    def n_parameters(self) -> int:
        """Number of scalar parameters."""
        return sum(v.size for p in self.params for v in p.values())


def build(
    kind: Kind,
    *,
    input_shape: Sequence[int],
    n_outputs: int,
    depth: int,
    width: int,
    activation: str | Activation,
    init: str,
    rng: np.random.Generator,
    init_params: Mapping[str, object] | None = None,
    bias: bool = True,
    alpha: float = 1.0,
    negative_slope: float = 0.01,
) -> Network:
    """Build and initialize a network.

    Architectures (``f`` = the activation, output layer always dense and linear):

    * ``mlp``: input (d,); ``depth`` dense layers ``h = f(h W + b)`` of ``width`` units.
    * ``cnn``: channels-last images (H, W, C); ``depth`` 3x3 'same' conv layers with ``width``
      channels (fans include the 3x3 receptive field), then global average pooling.
    * ``rnn``: sequences (T, D); ``depth`` stacked vanilla recurrent layers
      ``h_t = f(x_t W_xh + h_{t-1} W_hh + b)``, ``h_{-1} = 0``; layer l > 0 reads the hidden
      sequence of layer l - 1; the output reads the top layer's last hidden state.
    * ``resmlp``: input (d,); a linear dense input projection to ``width`` (no activation), then
      ``depth`` residual blocks ``h = h + alpha * f(h W + b)``. ``alpha = 0`` starts every
      block as the identity (ReZero / Fixup).

    Initialization: *every* weight -- hidden layers, the resmlp input projection, both ``W_xh``
    and the square ``W_hh``, and the output layer -- is drawn with the chosen initializer
    ``init`` (same ``init_params``), in the order input -> output (for rnn layers: ``W_xh``
    then ``W_hh``). Biases start at zero. Exception: ``delta_orthogonal`` is a conv-kernel
    scheme, so the dense output layer of a cnn gets ``orthogonal`` (its dense analogue, same
    parameters); see :func:`supported_inits` for which schemes each kind accepts. Using
    the same scheme for the output layer is what makes the symmetry lessons exact: with
    ``zeros`` every hidden weight gradient is exactly 0 (the output weights pass no signal
    back), and with ``constant`` all neurons of a layer get identical gradients forever.

    Parameters
    ----------
    kind : {"mlp", "cnn", "rnn", "resmlp"}
    input_shape : tuple of int
        Per-sample input shape: (d,) for mlp/resmlp, (H, W, C) for cnn, (T, D) for rnn.
    n_outputs : int
        Output units (classes for cross-entropy).
    depth : int
        Hidden layers / recurrent layers / residual blocks, 1..MAX_DEPTH.
    width : int
        Units / channels / hidden size, 1..MAX_WIDTH.
    activation : str or Activation
        Name from :data:`core.activations.NAMES` (or a ready record).
    init : str
        Initializer name from :data:`core.initializers.REGISTRY`.
    rng : numpy.random.Generator
        Source of all randomness.
    init_params : mapping, optional
        Extra keyword arguments of the initializer (e.g. ``{"std": 0.01}``).
    bias : bool
        Include biases (initialized to zero).
    alpha : float
        Residual branch scale (resmlp only).
    negative_slope : float
        Leaky ReLU slope.

    Returns
    -------
    Network

    Raises
    ------
    ValueError
        Unknown kind, activation or initializer; depth/width/n_outputs outside their limits;
        wrong ``input_shape``; more than ``MAX_PARAMETERS`` parameters; bad ``alpha``; invalid
        initializer parameters; an initializer that does not fit the kind (``identity`` for cnn,
        ``delta_orthogonal`` for dense kinds) or a shape it rejects (``delta_orthogonal`` with
        more input channels than ``width``).
    TypeError
        If ``rng`` is not a ``numpy.random.Generator``.
    """
    kind = _check_kind(kind)  # type: ignore[assignment]
    depth = _check_int("depth", depth, 1, MAX_DEPTH)
    width = _check_int("width", width, 1, MAX_WIDTH)
    n_outputs = _check_int("n_outputs", n_outputs, 1, MAX_WIDTH)
    shape = _check_input_shape(kind, input_shape)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.floating | np.integer):
        raise ValueError(f"alpha must be a real number, got {alpha!r}")
    if not math.isfinite(float(alpha)):
        raise ValueError(f"alpha must be finite, got {alpha!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    act = (
        activation
        if isinstance(activation, Activation)
        else get_activation(activation, negative_slope=negative_slope)
    )
    kwargs = dict(init_params or {})
    _check_init(kind, init, kwargs)
    count = n_parameters(
        kind, input_shape=shape, n_outputs=n_outputs, depth=depth, width=width, bias=bias
    )
    if count > MAX_PARAMETERS:
        raise ValueError(
            f"this {kind} (depth={depth}, width={width}) would have {count} parameters; "
            f"the limit is MAX_PARAMETERS = {MAX_PARAMETERS}"
        )
    params: list[dict[str, np.ndarray]] = []
    for layer in layer_shapes(
        kind, input_shape=shape, n_outputs=n_outputs, depth=depth, width=width, bias=bias
    ):
        p: dict[str, np.ndarray] = {}
        for name, s in layer.items():
            if name == "b":
                p[name] = np.zeros(s)
            else:
                p[name] = _init_weight(init, s, kind=kind, rng=rng, init_params=kwargs)
        params.append(p)
    return Network(
        kind=kind,
        activation=act,
        params=params,
        depth=depth,
        width=width,
        input_shape=shape,
        n_outputs=n_outputs,
        alpha=float(alpha),
        bias=bias,
        init=init,
        init_params=kwargs,
    )
