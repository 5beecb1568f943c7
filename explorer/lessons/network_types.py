"""Lesson behind page 5 (network types): Jacobian spectra, RNNs, CNN fans, residual, LSUV.

Sizes are capped where the cost grows faster than linearly; the page states the caps.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from core import initializers, lsuv, networks, theory
from explorer.experiments import (
    InitParams,
    build_network,
    geometric_factor,
    layer_stats,
    stats_frame,
)
from explorer.state import InitSeries, Net

#: Jacobian spectra: at most this many multiply-adds per spectrum (depth x width^3).
SPECTRUM_BUDGET_MACS = 2 * 256**3 * 12


#: Singular values below max * 10**-SV_ZERO_DECADES are zero to float64 precision.
SV_ZERO_DECADES = 12.0


#: Number of log10 bins of the spectrum histograms.
SPECTRUM_BINS = 40


#: The RNN tab: at most this many hidden units, and a probe budget of this many multiply-adds
#: per initializer (forward + backward through time); the batch shrinks to fit, down to 8.
RNN_MAX_HIDDEN, RNN_BUDGET_MACS = 256, 4e8


#: Time steps of the RNN tab when the shared network type is not "rnn".
RNN_DEFAULT_STEPS = 50


#: The CNN tab probes 2 images of 16x16 pixels, or 8x8 when that would exceed the budget
#: (multiply-adds per initializer). Smaller images exaggerate the zero-padding border, where a
#: 3x3 window sees fewer than 9 pixels and the variance drops.
CNN_BATCH, CNN_BUDGET_MACS = 2, 6e8


#: LSUV's CNN works on 8x8 images (it re-runs the forward pass many times).
LSUV_IMAGE = 8


#: LSUV re-runs the forward pass for every rescaling of every layer (cost ~ depth^2), so the
#: LSUV tab works on a network of at most these sizes.
LSUV_MAX_DEPTH, LSUV_MAX_WIDTH, LSUV_MAX_CHANNELS, LSUV_BATCH = 20, 128, 32, 64


def _series_label(init: str, params: InitParams, *, with_gain: bool = False) -> str:
    """An initializer's registry label; with ``with_gain``, plus its gain when not 1."""
    label = initializers.REGISTRY[init].label
    gain = dict(params).get("gain")
    if with_gain and isinstance(gain, float | int) and not math.isclose(float(gain), 1.0):
        label += f" (gain {float(gain):.3g})"
    return label


def _dedupe(series: list[tuple[str, str, InitParams]]) -> InitSeries:
    """Drop repeated (init, params) pairs; a label already taken gets the gain appended.

    Comparison series use the plain registry label where possible, so that they keep the
    initializer's colour (:func:`explorer.charts.init_colors`) on every page.
    """
    seen: set[tuple[str, InitParams]] = set()
    labels: set[str] = set()
    out = []
    for label, init, params in series:
        if (init, params) in seen:
            continue
        if label in labels:
            label = _series_label(init, params, with_gain=True)
        if label in labels:
            label += " (comparison)"
        seen.add((init, params))
        labels.add(label)
        out.append((label, init, params))
    return tuple(out)


def spectrum_size(depth: int, width: int) -> tuple[int, int]:
    """(depth, width) of the Jacobian-spectrum network: width halved until within budget.

    The product of ``depth`` width x width matrices costs depth * width^3; at most 256 units.
    """
    w = min(width, 256)
    while w > 32 and depth * w**3 > SPECTRUM_BUDGET_MACS:
        w //= 2
    return depth, w


def comparison_sigma_w2(init: str, params: InitParams, width: int) -> float:
    """σ_w² of the spectrum comparisons: the user's on a square layer (1 if that is 0)."""
    sw2 = initializers.sigma_w2(init, (width, width), **dict(params))
    return sw2 if sw2 > 0 else 1.0


def spectrum_series(activation: str, init: str, params: InitParams, width: int) -> InitSeries:
    """The user's initializer next to orthogonal and i.i.d. Gaussian weights of the same σ_w².

    Same σ_w² = fan_in Var(W) means the same mean squared singular value (the same χ₁), so the
    only difference left is the *shape* of the spectrum (Pennington et al. 2017). A zero σ_w²
    (zeros init) uses the activation's critical value (or 1) for the two comparisons.
    """
    sw2 = comparison_sigma_w2(init, params, width)
    gain = math.sqrt(sw2)
    ortho = ("orthogonal", (("gain", min(gain, 10.0)),))
    gauss = ("normal", (("std", gain / math.sqrt(width)),))
    series = [(_series_label(init, params), init, params)]
    series.append((_series_label(*ortho), *ortho))
    if initializers.scale_of(init, (width, width), **dict(params)).distribution not in (
        "normal",
        "truncated_normal",
        "uniform",
    ):
        series.append((f"Gaussian N(0, {sw2:.3g}/n)", *gauss))
    return _dedupe(series)


@st.cache_data(max_entries=64, show_spinner=False)
def jacobian_spectra(
    activation: str, series: InitSeries, depth: int, width: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Singular values of the input-output Jacobian of an MLP, per initializer.

    Parameters
    ----------
    activation : str
    series : tuple of (label, init, params)
    depth, width : int
        Square layers (see :func:`spectrum_size` for a budget).
    seed : int

    Returns
    -------
    hist : DataFrame
        Columns series, log10_sv (bin centre), density (share of the width's singular values in
        the bin); bins shared by all series. Singular values below the float64 floor are put in
        the first bin.
    summary : DataFrame
        One row per series: series, init, sigma_w2, spread (decades between the 10th and 90th
        percentile of the non-zero singular values; NaN when J = 0), zero_fraction (share below
        10**-SV_ZERO_DECADES times the largest: numerically zero, J lost rank), log10_max,
        log10_mean_sq and predicted_log10_mean_sq (mean-field theory), theory_applies (False
        for constant and identity weights, which are not zero-mean random), chi1,
        overflow_layer (or -1).
    """
    rows, logs = [], []
    for i, (label, init, params) in enumerate(series):
        spec = theory.jacobian_singular_values(
            activation,
            init,
            depth=depth,
            width=width,
            rng=np.random.default_rng([seed, i]),
            init_params=dict(params),
        )
        log_sv = np.asarray(spec.log10_singular_values, dtype=float)
        finite = log_sv[np.isfinite(log_sv)]
        top = float(finite.max()) if finite.size else math.nan
        if finite.size:
            clamped = np.maximum(np.where(np.isfinite(log_sv), log_sv, -np.inf), top - 15.0)
            nonzero = log_sv[log_sv >= top - SV_ZERO_DECADES]
            p10, p90 = np.percentile(nonzero, [10, 90])
            zero = 1.0 - nonzero.size / log_sv.size
        else:
            clamped, p10, p90, zero = log_sv, math.nan, math.nan, 1.0
        logs.append((label, clamped))
        rows.append(
            {
                "series": label,
                "init": init,
                "sigma_w2": initializers.sigma_w2(init, (width, width), **dict(params)),
                "spread": float(p90 - p10),
                "zero_fraction": zero,
                "log10_max": top,
                "log10_mean_sq": spec.log10_mean_squared,
                "predicted_log10_mean_sq": spec.predicted_log10_mean_squared,
                "theory_applies": initializers.REGISTRY[init].family not in ("constant", "identity")
                or init == "zeros",
                "chi1": spec.chi1,
                "overflow_layer": -1 if spec.nonfinite_layer is None else spec.nonfinite_layer,
            }
        )
    every = np.concatenate([v[np.isfinite(v)] for _, v in logs] + [np.zeros(0)])
    lo, hi = (float(every.min()), float(every.max())) if every.size else (-1.0, 1.0)
    if hi - lo < 0.5:  # a flat spectrum (orthogonal linear net): give it a visible width
        lo, hi = lo - 0.25, hi + 0.25
    edges = np.linspace(lo, hi, SPECTRUM_BINS + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    frames = []
    for label, values in logs:
        ok = values[np.isfinite(values)]
        counts, _ = np.histogram(np.clip(ok, lo, hi), bins=edges)
        frames.append(
            pd.DataFrame(
                {"series": label, "log10_sv": centres, "density": counts / max(len(values), 1)}
            )
        )
    return pd.concat(frames, ignore_index=True), pd.DataFrame(rows)


def rnn_size(steps: int, width: int) -> tuple[int, int]:
    """(hidden units, batch) of the RNN tab's probes for ``steps`` time steps.

    Hidden units are capped at RNN_MAX_HIDDEN; the batch is the largest power of two from 8 to
    32 whose forward + backward cost (about 6 hidden² batch steps) fits RNN_BUDGET_MACS.
    """
    hidden = min(width, RNN_MAX_HIDDEN)
    fit = RNN_BUDGET_MACS / (6 * hidden * hidden * steps)
    batch = 2 ** math.floor(math.log2(max(fit, 1.0)))
    return hidden, int(min(max(batch, 8), 32))


def rnn_series(init: str, params: InitParams) -> InitSeries:
    """Recurrent initializers to compare.

    The user's, orthogonal at gains 1, 0.9 and 1.1, identity, and Glorot normal (an i.i.d.
    Gaussian W_hh with Var = 1/n, whose spectral radius is also about 1).
    """
    series = [(_series_label(init, params, with_gain=True), init, params)]
    for gain in (1.0, 0.9, 1.1):
        p = (("gain", gain),)
        series.append((_series_label("orthogonal", p, with_gain=True), "orthogonal", p))
    series.append(("Identity", "identity", (("gain", 1.0),)))
    glorot = (("gain", 1.0),)
    series.append((_series_label("glorot_normal", glorot), "glorot_normal", glorot))
    return _dedupe(series)


def _recurrent_draws(
    init: str, params: InitParams, hidden: int, batch: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The W_hh and top gradient g that :func:`core.probe.propagate` draws for this seed.

    The probe spawns three streams from ``seed`` (inputs, weights, top gradient); its weight
    stream draws W_xh, then W_hh, and its gradient stream g of shape (batch, hidden).
    """
    _, weight_seed, grad_seed = np.random.SeedSequence(seed).spawn(3)
    rng = np.random.default_rng(weight_seed)
    initializers.initialize(init, (hidden, hidden), rng=rng, **dict(params))  # W_xh
    w_hh = initializers.initialize(init, (hidden, hidden), rng=rng, **dict(params))
    g = np.random.default_rng(grad_seed).standard_normal((batch, hidden))
    return w_hh, g


def _linear_rnn_grad_std(w_hh: np.ndarray, g: np.ndarray, steps: int) -> np.ndarray:
    """Std of dL/dz_t, t = 1..steps, of a linear RNN: dL/dz_t = g (W_hh^T)^(steps - t).

    Exactly what the probe measures for a linear activation (inputs do not enter the
    backward pass), without running the forward pass. Renormalized every step, so deep
    products neither overflow nor underflow.
    """
    out = np.empty(steps)
    log_scale = 0.0
    v = g.copy()
    for t in range(steps - 1, -1, -1):
        out[t] = math.exp(log_scale) * float(np.std(v)) if log_scale < 700 else math.inf
        v = v @ w_hh.T
        norm = float(np.sqrt(np.mean(v * v)))
        if norm == 0.0 or not math.isfinite(norm):
            out[:t] = 0.0 if norm == 0.0 else math.inf
            break
        v /= norm
        log_scale += math.log(norm)
    return out


@st.cache_data(max_entries=64, show_spinner=False)
def rnn_through_time(
    activation: str, series: InitSeries, steps: int, width: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Gradient norm against time step of a vanilla RNN, per recurrent initializer.

    The probe unrolls one recurrent layer for ``steps`` steps with fresh inputs each step and
    injects a N(0, 1) gradient at the last hidden state only; ``grad_std`` at step t is the
    std of dL/dz_t after flowing back T - t steps through the same W_hh. A linear activation
    is computed directly from W_hh (same numbers, no forward pass). Sizes from
    :func:`rnn_size`.

    Returns
    -------
    steps_frame : DataFrame
        Columns series, layer (= time step), grad_std.
    summary : DataFrame
        series, init, gain (NaN if none), spectral_radius of W_hh (max |eigenvalue|),
        sigma_max (largest singular value of W_hh), grad_first (step 1), grad_last (step T), ratio =
        grad_first / grad_last, overflow_step (first step with inf/NaN activations, or -1).
    """
    hidden, batch = rnn_size(steps, width)
    frames, rows = [], []
    for label, init, params in series:
        w_hh, g = _recurrent_draws(init, params, hidden, batch, seed)
        if activation == "linear":
            with np.errstate(all="ignore"):
                grad = _linear_rnn_grad_std(w_hh, g, steps)
            overflow = -1
        else:
            stats = layer_stats(
                Net("rnn", activation, steps, hidden, seed), init, params, batch=batch
            )
            grad = stats_frame(stats, label)["grad_std"].to_numpy()
            overflow = stats.first_nonfinite_layer or -1
        frames.append(
            pd.DataFrame({"series": label, "layer": np.arange(1, steps + 1), "grad_std": grad})
        )
        with np.errstate(all="ignore"):
            ratio = float(grad[0] / grad[-1]) if grad[-1] > 0 else math.nan
        rows.append(
            {
                "series": label,
                "init": init,
                "gain": float(dict(params).get("gain", math.nan)),
                "spectral_radius": float(np.max(np.abs(np.linalg.eigvals(w_hh)))),
                "sigma_max": float(np.linalg.norm(w_hh, 2)),
                "grad_first": float(grad[0]),
                "grad_last": float(grad[-1]),
                "ratio": ratio,
                "overflow_step": overflow,
            }
        )
    return pd.concat(frames, ignore_index=True), pd.DataFrame(rows)


def cnn_size(depth: int, channels: int) -> int:
    """Image side of the CNN tab's probe: 16, or 8 when 16x16 would exceed CNN_BUDGET_MACS."""
    for side in (16, 8):
        if 3 * depth * CNN_BATCH * side * side * 9 * channels * channels <= CNN_BUDGET_MACS:
            return side
    return 8


@st.cache_data(max_entries=32, show_spinner=False)
def cnn_fan_table(channels: int, kernel: int = 3) -> pd.DataFrame:
    """Fans and weight std of the variance-scaling presets: conv layer vs dense layer.

    Parameters
    ----------
    channels : int
        Input and output channels of the conv layer (units of the dense one).
    kernel : int
        Kernel side (kernel x kernel receptive field).

    Returns
    -------
    DataFrame
        One row per preset: scheme, fan_in_dense, fan_in_conv, std_dense (receptive field
        forgotten), std_conv (right), ratio = std_dense / std_conv (= kernel for fan-in
        schemes), variance_growth = ratio² (per-layer factor of the mistake).
    """
    rows = []
    conv = (kernel, kernel, channels, channels)
    dense = (channels, channels)
    for name in ("lecun_normal", "glorot_normal", "he_normal"):
        std_conv = initializers.scale_of(name, conv).std
        std_dense = initializers.scale_of(name, dense).std
        rows.append(
            {
                "scheme": initializers.REGISTRY[name].label,
                "fan_in_dense": initializers.compute_fans(dense)[0],
                "fan_in_conv": initializers.compute_fans(conv)[0],
                "std_dense": std_dense,
                "std_conv": std_conv,
                "ratio": std_dense / std_conv,
                "variance_growth": (std_dense / std_conv) ** 2,
            }
        )
    return pd.DataFrame(rows)


def cnn_series(activation: str, init: str, params: InitParams, channels: int) -> InitSeries:
    """The user's conv init, delta-orthogonal at the critical gain, and the fan mistake.

    Delta-orthogonal gets gain sqrt(σ_w²*) with σ_w²* the edge of chaos at σ_b² = 0 (1 for
    tanh, 2 for ReLU; 1 where theory has no critical point). The mistake: the user's scheme's
    std computed from the dense fan (channels) instead of 9 x channels, drawn as N(0, std²).
    """
    crit = float(theory.critical_sigma_w2(activation, 0.0))
    gain = math.sqrt(crit) if math.isfinite(crit) and 0 < crit <= 100 else 1.0
    series = [(_series_label(init, params), init, params)]
    delta = (("gain", gain),)
    series.append((_series_label("delta_orthogonal", delta), "delta_orthogonal", delta))
    if initializers.REGISTRY[init].family == "variance_scaling":
        std = initializers.scale_of(init, (channels, channels), **dict(params)).std
        series.append(("3×3 forgotten (fan = c)", "normal", (("std", std),)))
    return _dedupe(series)


@st.cache_data(max_entries=64, show_spinner=False)
def cnn_layer_stats(
    activation: str, series: InitSeries, depth: int, channels: int, seed: int
) -> pd.DataFrame:
    """Per-layer stats of a 3x3 CNN per initializer, stacked :func:`stats_frame` rows.

    Images: CNN_BATCH of side :func:`cnn_size` (zero padding); stats as in core.probe.
    """
    frames = []
    for label, init, params in series:
        cnn = Net("cnn", activation, depth, channels, seed)
        size = cnn_size(depth, channels)
        stats = layer_stats(cnn, init, params, batch=CNN_BATCH, image_size=size)
        frames.append(stats_frame(stats, label))
    return pd.concat(frames, ignore_index=True)


def residual_compare(net: Net, init: str, params: InitParams, alpha: float) -> pd.DataFrame:
    """Per-layer stats of a plain MLP and a residual MLP (branch scale ``alpha``), stacked.

    Series labels are "Plain MLP" and "Residual, α = <alpha>". Both probes are cached;
    ``net.network`` is not used (both kinds are measured).
    """
    _, activation, depth, width, seed = net
    plain = layer_stats(Net("mlp", activation, depth, width, seed), init, params)
    res = layer_stats(Net("resmlp", activation, depth, width, seed), init, params, alpha=alpha)
    return pd.concat(
        [stats_frame(plain, "Plain MLP"), stats_frame(res, f"Residual, α = {alpha:g}")],
        ignore_index=True,
    )


def lsuv_size(network: str, depth: int, width: int) -> tuple[str, int, int]:
    """(kind, depth, width) of the LSUV demo network: rnn -> mlp, sizes capped."""
    kind = network if network in lsuv.SUPPORTED_KINDS else "mlp"
    cap = LSUV_MAX_CHANNELS if kind == "cnn" else LSUV_MAX_WIDTH
    return kind, min(depth, LSUV_MAX_DEPTH), min(width, cap)


@st.cache_data(max_entries=32, show_spinner=False)
def lsuv_compare(net: Net, init: str, params: InitParams) -> tuple[pd.DataFrame, pd.DataFrame]:
    """LSUV (orthogonal pre-init, then per-layer rescaling) next to the user's initializer.

    Builds one network with the user's initializer, measures the std of every layer's
    pre-activation on a batch of N(0, 1) inputs, then runs :func:`core.lsuv.lsuv` on a copy
    and measures again.

    Parameters
    ----------
    net : Net
        Its network is one of "mlp", "cnn", "resmlp"; use :func:`lsuv_size` for the caps.
    init : str
    params : tuple of (name, value)
        Must fit the network (see :func:`core.networks.supported_inits`).

    Returns
    -------
    report : DataFrame
        One row per layer (output last): layer, name, iterations, variance_before,
        variance_after, converged.
    std : DataFrame
        Columns series ("<init label>" / "LSUV"), layer, preact_std (std of the layer's
        pre-activation z on the batch; inf when it overflowed).
    """
    kind, activation, depth, width, seed = net
    rng = np.random.default_rng(seed)
    shape = (LSUV_IMAGE, LSUV_IMAGE, width) if kind == "cnn" else (width,)
    net = build_network(net, init, params, input_shape=shape, n_outputs=10, rng=rng)
    x = rng.standard_normal((8 if kind == "cnn" else LSUV_BATCH, *shape))  # 8 images: 512 px

    def preact_std(network: networks.Network) -> np.ndarray:
        with np.errstate(all="ignore"):
            zs = network.forward(x).z
            out = np.array([float(np.std(z)) if np.all(np.isfinite(z)) else np.inf for z in zs])
        return out

    before = preact_std(net)
    tuned = net.copy()
    report = lsuv.lsuv(tuned, x, rng=np.random.default_rng([seed, 1]))
    after = preact_std(tuned)
    layers = np.arange(1, len(before) + 1)
    table = pd.DataFrame(
        {
            "layer": layers,
            "name": list(report.layer_names),
            "iterations": report.iterations,
            "variance_before": report.initial_variance,
            "variance_after": report.final_variance,
            "converged": report.converged,
        }
    )
    std = pd.concat(
        [
            pd.DataFrame(
                {"series": _series_label(init, params), "layer": layers, "preact_std": before}
            ),
            pd.DataFrame({"series": "LSUV", "layer": layers, "preact_std": after}),
        ],
        ignore_index=True,
    )
    return table, std


def series_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per series of a stacked :func:`stats_frame`: how the signal changed with depth.

    Returns
    -------
    DataFrame
        series, act_last (activation std of the last layer), act_factor (geometric-mean
        per-layer factor of the activation std), grad_ratio (std of dL/dz at layer 1 divided
        by that at the last layer: < 1 vanishing, > 1 exploding on the way down).
    """
    rows = []
    for series, part in frame.groupby("series", sort=False):
        act = part["act_std"].to_numpy()
        grad = part["grad_std"].to_numpy()
        with np.errstate(all="ignore"):
            ratio = float(grad[0] / grad[-1]) if grad[-1] > 0 else math.nan
        rows.append(
            {
                "series": series,
                "act_last": float(act[-1]),
                "act_factor": geometric_factor(act),
                "grad_ratio": ratio,
            }
        )
    return pd.DataFrame(rows)


def orthogonal_row(summary: pd.DataFrame, gain: float) -> pd.Series:
    """The row of an RNN summary (:func:`rnn_through_time`) for orthogonal W_hh at ``gain``."""
    rows = summary[(summary["init"] == "orthogonal") & np.isclose(summary["gain"], gain)]
    return rows.iloc[0]


def rnn_export_frame(frame: pd.DataFrame, linear: pd.DataFrame, activation: str) -> pd.DataFrame:
    """Page 5's RNN gradients for export: the user's activation and the linear RNN, stacked.

    Columns series, layer (= time step), grad_std, activation; the linear rows are left out
    when the user's activation is linear already (they would repeat the same run).
    """
    parts = [frame.assign(activation=activation)]
    if activation != "linear":
        parts.append(linear.assign(activation="linear"))
    return pd.concat(parts, ignore_index=True)
