"""Layer-by-layer measurement of a freshly initialized network: the engine behind every chart.

:func:`propagate` runs the classic experiment of Glorot & Bengio (2010) and CS231n: push a batch
of unit-variance inputs forward through ``depth`` identical layers, inject a unit-variance
gradient at the top, backpropagate it, and record per layer how the activations, the
pre-activations and the gradients are distributed.

Every layer is computed by :mod:`core.layers`, the same forward/backward code the networks
use; the probe only adds preallocated blocks (f'(z) kept from the forward pass and overwritten
in place by dL/dz) and the statistics.

Set-ups (``f`` = activation, all layers ``width`` wide, no output layer):

* ``mlp``: x (batch, width); ``depth`` dense layers ``h_l = f(h_{l-1} W_l [+ b_l])``.
* ``cnn``: x (batch, S, S, width) images (S = ``image_size``, 16 by default); ``depth`` 3x3
  'same' conv layers with ``width`` channels (fan_in = 9 * width). ``batch`` counts images, so
  every layer pools ``batch * S * S * width`` values.
* ``rnn``: ONE recurrent layer of ``width`` units unrolled for ``depth`` time steps,
  ``h_t = f(x_t W_xh + h_{t-1} W_hh [+ b])`` with fresh inputs x_t (batch, width) at every
  step and ``h_{-1} = 0``; W_xh and W_hh (both width x width) come from the chosen
  initializer. The "layers" are the time steps: layer t reports h_t, z_t and dL/dz_t. The
  gradient is injected at the last step's hidden state only and flows back through time, so
  ``grad_std`` over the layer axis is the vanishing/exploding-through-time curve.
* ``resmlp``: x (batch, width) is the residual stream itself (no input projection);
  ``depth`` blocks ``h_l = h_{l-1} + alpha f(h_{l-1} W_l [+ b_l])``; ``a`` is the stream.

Backward: ``dL/da_top = g`` with g ~ N(0, 1) of the top activation's shape. ``grad_std`` is the
std of ``dL/dz_l`` (for resmlp the branch pre-activation, including ``alpha``), and
``weight_grad_std`` the std of ``(1/batch) a_{l-1}^T dL/dz_l`` -- the weight gradient of a loss
whose per-sample output gradient is g, averaged over the batch as a batch-mean loss would be
(rnn: the contribution ``(1/batch) x_t^T dL/dz_t`` of step t to the W_xh gradient).

Reproducibility: ``seed`` feeds a ``numpy.random.SeedSequence`` spawned into three independent
streams (inputs, weights, top gradient); weights and rnn inputs are drawn layer by layer, so
layers 1..k are identical for every depth >= k.

The arrays cover layers 1..depth (the outputs of the layers); the input itself is summarized by
``input_std`` only. Non-finite values (overflow in a mis-initialized deep net) are counted,
excluded from the moments and histograms, and never raise or warn. Moments of huge or tiny
values are computed after scaling by the maximum magnitude, so they neither overflow nor
underflow.

References
----------
Glorot & Bengio (2010). Understanding the difficulty of training deep feedforward neural networks.
    AISTATS.
He, Zhang, Ren, Sun (2015). Delving Deep into Rectifiers. arXiv:1502.01852.
Karpathy et al. (2016). CS231n lecture 6, "Weight initialization" activation-statistics demo.
Pascanu, Mikolov, Bengio (2013). On the difficulty of training recurrent neural networks.
    arXiv:1211.5063.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from core import layers
from core._checks import check_activation, check_choice, check_int, check_real
from core.activations import Activation
from core.networks import (
    CONV_KERNEL,
    KINDS,
    MAX_DEPTH,
    MAX_PARAMETERS,
    MAX_TRACE_ELEMENTS,
    MAX_WIDTH,
    Kind,
    draw_weight,
    validate_init,
)

InputKind = Literal["gaussian", "uniform"]
INPUTS: tuple[str, ...] = get_args(InputKind)

#: A unit counts as saturated when |f'(z)| < SATURATION_THRESHOLD * max_z |f'(z)|.
SATURATION_THRESHOLD: float = 0.05
#: Largest batch accepted by :func:`propagate`.
MAX_BATCH: int = 8192
#: Largest cnn probe image side.
MAX_IMAGE_SIZE: int = 64
#: Linear histograms: the range is symmetric, +-min(max |v|, LINEAR_RANGE_RMS * max_l rms_l).
LINEAR_RANGE_RMS: float = 5.0
#: Log histograms start this many decades below the smallest per-layer RMS.
LOG_DECADES_BELOW_RMS: int = 3
#: Log histograms use 4 bins per decade, but never more than this many bins.
MAX_LOG_BINS: int = 80
# Moments are computed directly when max |v| lies in this range (no overflow/underflow of the
# squares even for 1e8 values); outside it, values are scaled by max |v| first.
_SAFE_LOW, _SAFE_HIGH = 1e-100, 1e100


@dataclass(frozen=True)
class LayerStats:
    """Per-layer statistics from :func:`propagate` (arrays indexed by layer 1..depth).

    Attributes
    ----------
    network, activation, init : str
        What was probed.
    depth, width, batch, seed : int
    values_per_layer : int
        Entries per layer array (batch * width; cnn batch * S * S * width).
    layer : ndarray of int, shape (depth,)
        Layer numbers 1..depth (time steps 1..T for rnn).
    input_std : float
        Std of the input x (layer 0).
    act_mean, act_std, act_rms : ndarray, shape (depth,)
        Moments of the activations a_l over all finite entries (rnn: h_t; resmlp: the stream).
    preact_std : ndarray, shape (depth,)
        Std of the pre-activations z_l.
    saturated_fraction : ndarray, shape (depth,)
        Fraction of entries with |f'(z)| < 0.05 * max|f'| (zero derivative included, so dead
        ReLUs count as saturated too).
    dead_fraction : ndarray, shape (depth,)
        Fraction of entries with f'(z) == 0 exactly.
    grad_std, grad_rms : ndarray, shape (depth,)
        Moments of dL/dz_l.
    weight_grad_std : ndarray, shape (depth,)
        Std of the entries of (1/batch) a_{l-1}^T dL/dz_l (see module docstring).
    nonfinite_act, nonfinite_preact, nonfinite_grad, nonfinite_weight_grad : ndarray of int
        Counts of inf/NaN entries per layer, shape (depth,).
    act_hist : ndarray of int, shape (depth, n_bins)
        Counts of finite activations on the shared linear bins ``act_bin_edges`` (n_bins + 1,);
        values beyond the range are counted in the outer bins.
    grad_hist : ndarray of int, shape (depth, n_bins)
        Same for dL/dz on ``grad_bin_edges``.
    act_log_hist, grad_log_hist : ndarray of int, shape (depth, n_log_bins)
        Counts of log10 |value| for finite non-zero values on ``act_log_edges`` /
        ``grad_log_edges`` (in decades; shared across layers, 4 bins per decade up to 80 bins);
        values below the range fall in the first bin.
    act_zero_count, grad_zero_count : ndarray of int, shape (depth,)
        Exact zeros among the histogrammed values (not in the log histograms).
    hist_values_per_layer : int
        Entries per layer fed to the histograms: the first ``min(values_per_layer,
        hist_max_values)`` in memory order (whole samples first; samples are i.i.d.).
    """

    network: str
    activation: str
    init: str
    depth: int
    width: int
    batch: int
    seed: int
    values_per_layer: int
    layer: np.ndarray
    input_std: float
    act_mean: np.ndarray
    act_std: np.ndarray
    act_rms: np.ndarray
    preact_std: np.ndarray
    saturated_fraction: np.ndarray
    dead_fraction: np.ndarray
    grad_std: np.ndarray
    grad_rms: np.ndarray
    weight_grad_std: np.ndarray
    nonfinite_act: np.ndarray
    nonfinite_preact: np.ndarray
    nonfinite_grad: np.ndarray
    nonfinite_weight_grad: np.ndarray
    act_hist: np.ndarray
    act_bin_edges: np.ndarray
    grad_hist: np.ndarray
    grad_bin_edges: np.ndarray
    act_log_hist: np.ndarray
    act_log_edges: np.ndarray
    grad_log_hist: np.ndarray
    grad_log_edges: np.ndarray
    act_zero_count: np.ndarray
    grad_zero_count: np.ndarray
    hist_values_per_layer: int

    @property
    def first_nonfinite_layer(self) -> int | None:
        """First layer (1-based) whose activations contain inf/NaN, or None."""
        bad = np.flatnonzero(self.nonfinite_act)
        return int(bad[0]) + 1 if bad.size else None

    @property
    def any_nonfinite(self) -> bool:
        """True when any activation, pre-activation or gradient overflowed."""
        return bool(
            self.nonfinite_act.any()
            or self.nonfinite_preact.any()
            or self.nonfinite_grad.any()
            or self.nonfinite_weight_grad.any()
        )


# --------------------------------------------------------------------------------------------
# Statistics helpers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Moments:
    mean: float
    std: float
    rms: float
    n_nonfinite: int
    max_abs: float


def _finite_flat(v: np.ndarray) -> tuple[np.ndarray, int, float]:
    """Return the finite entries of v flattened, the count of the others, and their sum.

    The entries are a view when all are finite; the sum is NaN when that fast path failed.
    """
    flat = v.reshape(-1)
    total = flat.sum()
    if np.isfinite(total):
        return flat, 0, float(total)
    mask = np.isfinite(flat)
    fin = flat[mask]
    return fin, flat.size - fin.size, math.nan


def _moments(v: np.ndarray) -> _Moments:
    """Mean, std, RMS over the finite entries of v, computed without overflow or underflow."""
    fin, n_bad, total = _finite_flat(v)
    n = fin.size
    if n == 0:
        return _Moments(math.nan, math.nan, math.nan, n_bad, math.nan)
    m = float(max(fin.max(), -fin.min()))
    if m == 0.0:
        return _Moments(0.0, 0.0, 0.0, n_bad, 0.0)
    if _SAFE_LOW < m < _SAFE_HIGH:
        scale = 1.0
        s = fin
        mean = total / n if not math.isnan(total) else float(fin.sum()) / n
    else:
        scale = m
        s = fin / m
        mean = float(s.sum()) / n
    d = s - mean
    var = float(np.dot(d, d)) / n
    return _Moments(
        mean * scale, math.sqrt(var) * scale, math.sqrt(mean * mean + var) * scale, n_bad, m
    )


def _derivative_fractions(z: np.ndarray, df: np.ndarray, act: Activation) -> tuple[float, float]:
    """(saturated, dead) fractions from f'(z) over all entries of z."""
    ad = np.abs(df)
    n = z.size
    sat = np.count_nonzero(ad < SATURATION_THRESHOLD * act.df_max)
    dead = np.count_nonzero(ad == 0.0)
    return sat / n, dead / n


def _linear_hist(v: np.ndarray, radius: float, n_bins: int) -> np.ndarray:
    """Counts of finite v on linspace(-radius, radius, n_bins + 1); outliers in the outer bins."""
    fin, _, _ = _finite_flat(v)
    t = fin * (n_bins / 2.0 / radius)  # (2 * radius could overflow)
    t += n_bins / 2.0
    np.clip(t, 0.0, n_bins - 1, out=t)
    return np.bincount(t.astype(np.intp), minlength=n_bins)


def _log_hist(v: np.ndarray, lo: float, hi: float, n_bins: int) -> tuple[np.ndarray, int]:
    """Counts of log10|v| for finite non-zero v on linspace(lo, hi, n_bins + 1), and #zeros."""
    fin, _, _ = _finite_flat(v)
    a = np.abs(fin)
    zeros = a.size - np.count_nonzero(a)
    np.log10(a, out=a)  # zeros -> -inf, clipped into bin 0 and subtracted below
    a -= lo
    a *= n_bins / (hi - lo)
    np.clip(a, 0.0, n_bins - 1, out=a)
    counts = np.bincount(a.astype(np.intp), minlength=n_bins)
    counts[0] -= zeros
    return counts, zeros


def _linear_radius(max_abs: np.ndarray, rms: np.ndarray) -> float:
    """Shared symmetric range of a linear histogram (robust to all-NaN / all-zero layers)."""
    with np.errstate(all="ignore"):
        ok_max = max_abs[np.isfinite(max_abs)]
        ok_rms = rms[np.isfinite(rms)]
    if ok_max.size == 0:
        return 1.0
    r = float(ok_max.max())
    if ok_rms.size:
        r = min(r, LINEAR_RANGE_RMS * float(ok_rms.max()))
    return r if (r > 0.0 and math.isfinite(r)) else 1.0


def _log_range(max_abs: np.ndarray, rms: np.ndarray) -> tuple[float, float, int]:
    """Shared decade range [lo, hi] and bin count of a log10 histogram."""
    ok_max = max_abs[np.isfinite(max_abs) & (max_abs > 0)]
    ok_rms = rms[np.isfinite(rms) & (rms > 0)]
    if ok_max.size == 0 or ok_rms.size == 0:
        lo, hi = -LOG_DECADES_BELOW_RMS, 1
    else:
        lo = math.floor(math.log10(float(ok_rms.min()))) - LOG_DECADES_BELOW_RMS
        hi = max(math.ceil(math.log10(float(ok_max.max()))), lo + 1)
    n_bins = int(min(4 * (hi - lo), MAX_LOG_BINS))
    return float(lo), float(hi), n_bins


# --------------------------------------------------------------------------------------------
# propagate
# --------------------------------------------------------------------------------------------


def propagate(
    *,
    network: Kind,
    activation: str | Activation,
    init: str,
    depth: int,
    width: int,
    batch: int,
    seed: int,
    init_params: Mapping[str, object] | None = None,
    bias: bool = False,
    inputs: InputKind = "gaussian",
    alpha: float = 1.0,
    negative_slope: float = 0.01,
    bias_std: float = 0.0,
    image_size: int = 16,
    n_bins: int = 41,
    hist_max_values: int = 2**15,
) -> LayerStats:
    """One forward and one backward pass at initialization, measured layer by layer.

    See the module docstring for the exact set-up of each network kind. Cost is linear in
    ``depth``: per layer three GEMMs (forward, backward, weight gradient) and a fixed number of
    element-wise passes; histograms use at most ``hist_max_values`` entries per layer.

    Parameters
    ----------
    network : {"mlp", "cnn", "rnn", "resmlp"}
    activation : str or Activation
    init : str
        Initializer name (:data:`core.initializers.REGISTRY`), used for every weight.
    depth : int
        Layers (time steps for rnn), 1..MAX_DEPTH.
    width : int
        Units / channels / hidden size, 1..MAX_WIDTH.
    batch : int
        Samples (images for cnn), 1..MAX_BATCH.
    seed : int
        Non-negative seed of all randomness.
    init_params : mapping, optional
        Extra initializer parameters.
    bias : bool
        Add biases; they are zero unless ``bias_std > 0`` (then b ~ N(0, bias_std^2), the
        sigma_b of mean-field theory).
    inputs : {"gaussian", "uniform"}
        x ~ N(0, 1), or U(-sqrt 3, sqrt 3) (also unit variance).
    alpha : float
        Residual branch scale (resmlp).
    negative_slope : float
        Leaky ReLU slope.
    bias_std : float
        Std of random biases when ``bias`` is True.
    image_size : int
        Side S of the cnn probe images.
    n_bins : int
        Bins of the linear histograms (odd keeps 0 at a bin centre).
    hist_max_values : int
        Entries per layer used for the histograms (moments always use all entries).

    Returns
    -------
    LayerStats

    Raises
    ------
    ValueError
        Unknown network/activation/initializer/inputs, out-of-range sizes, or a probe whose
        recorded arrays or weights would exceed ``MAX_TRACE_ELEMENTS`` / ``MAX_PARAMETERS``.
    """
    check_choice(network, KINDS, "network", "networks")
    check_choice(inputs, INPUTS, "inputs", "inputs")
    depth = check_int("depth", depth, 1, MAX_DEPTH)
    width = check_int("width", width, 1, MAX_WIDTH)
    batch = check_int("batch", batch, 1, MAX_BATCH)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    image_size = check_int("image_size", image_size, 1, MAX_IMAGE_SIZE)
    n_bins = check_int("n_bins", n_bins, 1, 1000)
    hist_max_values = check_int("hist_max_values", hist_max_values, 1, 2**31)
    alpha = check_real("alpha", alpha)
    bias_std = check_real("bias_std", bias_std)
    if bias_std < 0:
        raise ValueError(f"bias_std must be >= 0, got {bias_std}")
    act = check_activation(activation, negative_slope)
    kwargs = dict(init_params or {})
    validate_init(network, init, kwargs)
    spatial = image_size * image_size if network == "cnn" else 1
    per_layer = batch * spatial * width
    # Arrays of depth * per_layer values held at once: activations and f'(z) -> dL/dz (mlp, cnn,
    # resmlp); inputs, z, h, dL/dz and dL/dh over time (rnn).
    held = (5 if network == "rnn" else 2) * depth * per_layer
    if held > MAX_TRACE_ELEMENTS:
        raise ValueError(
            f"this probe would hold {held} values "
            f"(limit MAX_TRACE_ELEMENTS = {MAX_TRACE_ELEMENTS}); reduce depth, width or batch"
        )
    kh, kw = CONV_KERNEL
    w_shape = (kh, kw, width, width) if network == "cnn" else (width, width)
    n_weights = (2 if network == "rnn" else depth) * math.prod(w_shape)
    if n_weights > MAX_PARAMETERS:
        raise ValueError(
            f"this probe would hold {n_weights} weights (limit MAX_PARAMETERS = "
            f"{MAX_PARAMETERS}); reduce depth or width"
        )

    in_ss, w_ss, g_ss = np.random.SeedSequence(seed).spawn(3)
    in_rng, w_rng, g_rng = (np.random.default_rng(s) for s in (in_ss, w_ss, g_ss))

    def draw_inputs(shape: tuple[int, ...]) -> np.ndarray:
        if inputs == "gaussian":
            return in_rng.standard_normal(shape)
        return in_rng.uniform(-math.sqrt(3.0), math.sqrt(3.0), shape)

    def new_weight(shape: tuple[int, ...]) -> np.ndarray:
        return draw_weight(init, shape, kind=network, rng=w_rng, init_params=kwargs)

    def draw_bias() -> np.ndarray | None:
        if not bias:
            return None
        if bias_std > 0:
            return w_rng.normal(0.0, bias_std, width)
        return np.zeros(width)

    n_layers = depth
    a_m: list[_Moments] = []
    z_m: list[_Moments] = []
    g_m: list[_Moments] = [None] * n_layers  # type: ignore[list-item]
    wg_m: list[_Moments] = [None] * n_layers  # type: ignore[list-item]
    sat = np.zeros(n_layers)
    dead = np.zeros(n_layers)
    acts: list[np.ndarray] = []
    grads: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]

    with np.errstate(all="ignore"):
        if network == "rnn":
            x_tm = draw_inputs((depth, batch, width))
            input_std = _moments(x_tm).std
            w_xh = new_weight((width, width))
            w_hh = new_weight((width, width))
            b = draw_bias()
            z_tm, h_tm = layers.rnn_forward_tm(x_tm, w_xh, w_hh, b, act)
            for t in range(depth):
                z_m.append(_moments(z_tm[t]))
                a_m.append(_moments(h_tm[t]))
                df = layers.activation_derivative(z_tm[t], act, fz=h_tm[t])
                sat[t], dead[t] = _derivative_fractions(z_tm[t], df, act)
                acts.append(h_tm[t])
            g = g_rng.standard_normal((batch, width))
            _, _, _, _, dz_tm, _ = layers.rnn_backward_tm(
                None, x_tm, z_tm, h_tm, w_xh, w_hh, act, b is not None, False, dh_last=g
            )
            for t in range(depth):
                grads[t] = dz_tm[t]
                g_m[t] = _moments(dz_tm[t])
                _, wg, _ = layers.dense_backward(
                    dz_tm[t], layers.DenseCache(x_tm[t], w_xh, False), need_dx=False
                )
                wg /= batch
                wg_m[t] = _moments(wg)
        else:
            if network == "cnn":
                x = draw_inputs((batch, image_size, image_size, width))
            else:
                x = draw_inputs((batch, width))
            input_std = _moments(x).std
            shape = x.shape[:-1] + (width,)
            # Two preallocated blocks hold what the backward pass needs: the activations and
            # f'(z) (later overwritten in place by dL/dz). z itself lives in one reused buffer.
            # One large allocation per block avoids per-layer first-touch page faults.
            a_blk = np.empty((depth, *shape))
            g_blk = np.empty((depth, *shape))
            z = np.empty(shape)
            caches: list[tuple] = []
            h = x
            for i in range(depth):
                w = new_weight(w_shape)
                b = draw_bias()
                if network == "resmlp":
                    a, cache = layers.residual_forward(
                        h, w, b, act, alpha, z_out=z, out=a_blk[i], derivative_out=g_blk[i]
                    )
                    df = cache.act_cache.df
                else:
                    forward = layers.conv_forward if network == "cnn" else layers.dense_forward
                    _, cache = forward(h, w, b, out=z)
                    a, act_cache = layers.activation_forward(
                        z, act, out=a_blk[i], derivative_out=g_blk[i]
                    )
                    df = act_cache.df
                    cache = (cache, act_cache)
                caches.append(cache)
                z_m.append(_moments(z))
                sat[i], dead[i] = _derivative_fractions(z, df, act)
                a_m.append(_moments(a))
                acts.append(a)
                h = a
            del z
            # Backward: dL/da_top = g; dL/dz_i overwrites f'(z_i) in g_blk[i].
            da = g_rng.standard_normal(shape)
            spare = np.empty(shape)
            for i in range(depth - 1, -1, -1):
                need = i > 0
                if network == "resmlp":
                    da_prev, wg, _, dz = layers.residual_backward(
                        da, caches[i], need_dx=need, dz_out=g_blk[i], dx_out=spare
                    )
                else:
                    layer_cache, act_cache = caches[i]
                    dz = layers.activation_backward(da, act_cache, out=g_blk[i])
                    backward = layers.conv_backward if network == "cnn" else layers.dense_backward
                    da_prev, wg, _ = backward(dz, layer_cache, need_dx=need, dx_out=spare)
                grads[i] = dz
                g_m[i] = _moments(dz)
                wg /= batch
                wg_m[i] = _moments(wg)
                if need:
                    spare, da = da, da_prev
        # Histograms on shared bins.
        act_max = np.array([m.max_abs for m in a_m])
        act_rms = np.array([m.rms for m in a_m])
        grad_max = np.array([m.max_abs for m in g_m])
        grad_rms = np.array([m.rms for m in g_m])
        r_act = _linear_radius(act_max, act_rms)
        r_grad = _linear_radius(grad_max, grad_rms)
        a_lo, a_hi, a_nlog = _log_range(act_max, act_rms)
        g_lo, g_hi, g_nlog = _log_range(grad_max, grad_rms)
        n_hist = min(per_layer, hist_max_values)
        act_hist = np.zeros((depth, n_bins), dtype=np.int64)
        grad_hist = np.zeros((depth, n_bins), dtype=np.int64)
        act_log = np.zeros((depth, a_nlog), dtype=np.int64)
        grad_log = np.zeros((depth, g_nlog), dtype=np.int64)
        act_zero = np.zeros(depth, dtype=np.int64)
        grad_zero = np.zeros(depth, dtype=np.int64)
        for i in range(depth):
            av = acts[i].reshape(-1)[:n_hist]
            gv = grads[i].reshape(-1)[:n_hist]
            act_hist[i] = _linear_hist(av, r_act, n_bins)
            grad_hist[i] = _linear_hist(gv, r_grad, n_bins)
            act_log[i], act_zero[i] = _log_hist(av, a_lo, a_hi, a_nlog)
            grad_log[i], grad_zero[i] = _log_hist(gv, g_lo, g_hi, g_nlog)

    def arr(ms: list[_Moments], attr: str) -> np.ndarray:
        return np.array([getattr(m, attr) for m in ms], dtype=np.float64)

    def counts(ms: list[_Moments]) -> np.ndarray:
        return np.array([m.n_nonfinite for m in ms], dtype=np.int64)

    return LayerStats(
        network=network,
        activation=act.name,
        init=init,
        depth=depth,
        width=width,
        batch=batch,
        seed=seed,
        values_per_layer=per_layer,
        layer=np.arange(1, depth + 1),
        input_std=float(input_std),
        act_mean=arr(a_m, "mean"),
        act_std=arr(a_m, "std"),
        act_rms=act_rms,
        preact_std=arr(z_m, "std"),
        saturated_fraction=sat,
        dead_fraction=dead,
        grad_std=arr(g_m, "std"),
        grad_rms=grad_rms,
        weight_grad_std=arr(wg_m, "std"),
        nonfinite_act=counts(a_m),
        nonfinite_preact=counts(z_m),
        nonfinite_grad=counts(g_m),
        nonfinite_weight_grad=counts(wg_m),
        act_hist=act_hist,
        act_bin_edges=r_act * np.linspace(-1.0, 1.0, n_bins + 1),
        grad_hist=grad_hist,
        grad_bin_edges=r_grad * np.linspace(-1.0, 1.0, n_bins + 1),
        act_log_hist=act_log,
        act_log_edges=np.linspace(a_lo, a_hi, a_nlog + 1),
        grad_log_hist=grad_log,
        grad_log_edges=np.linspace(g_lo, g_hi, g_nlog + 1),
        act_zero_count=act_zero,
        grad_zero_count=grad_zero,
        hist_values_per_layer=n_hist,
    )
