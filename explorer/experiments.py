"""Shared cached measurements behind several lessons: the probe on a config and its frames.

Cached functions take small primitives only (names, ints, floats, tuples of pairs; never
arrays or Generators), build their ``numpy.random.Generator`` inside, and return either a
frozen record from ``core`` or a pre-aggregated pandas frame. Every cache has ``max_entries``
so a busy shared server keeps bounded memory; entries are per argument tuple, so two
workshop participants with the same settings share one entry.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import streamlit as st

from core import activations, initializers, networks, probe, theory, training
from explorer.offload import offloaded
from explorer.state import InitSeries, Net

#: Cost budget of one probe, in multiply-adds per forward pass (about 0.1-0.3 s here).
PROBE_BUDGET_MACS = 4e8
#: Values per layer a dense probe aims at (batch x width): the std of 2**14 Gaussian values has
#: a relative standard error of 1/sqrt(2 * 2**14) = 0.55 %, far below what the charts resolve,
#: so a bigger batch only costs server time (a room of students shares the CPU).
PROBE_VALUES_PER_LAYER = 2**14


#: Share of the probe batch of one probe among several compared on a page (see probe_batch).
QUICK_SHARE = 4
#: Share for sweeps of many probes (e.g. 64 x 256 values per layer at the defaults).
SWEEP_SHARE = 8
#: Probe batch bounds: enough samples for stable statistics, small enough to stay fast.
PROBE_BATCH = {"mlp": (32, 1024), "resmlp": (32, 1024), "rnn": (32, 1024), "cnn": (2, 64)}


InitParams = tuple[tuple[str, float | str], ...]
#: A rectangle of the input plane: (x0 min, x0 max, x1 min, x1 max).
Extent = tuple[float, float, float, float]


def probe_batch(network: str, depth: int, width: int, *, share: int = 1) -> int:
    """Batch size of the probe for a network size: a power of two within the cost budget.

    A dense probe takes the batch that gives :data:`PROBE_VALUES_PER_LAYER` values per layer
    (batch x width); bigger nets get smaller batches so that one probe stays within
    :data:`PROBE_BUDGET_MACS`. Even the smallest batch gives thousands of values per layer.

    Parameters
    ----------
    network : str
    depth, width : int
    share : int, default 1
        Pages that run many probes per view take ``1 / share`` of the full batch (4 to
        compare a handful of initializers, 8 for sweeps of many), never below the network
        type's minimum: each layer still pools thousands of values.
    """
    low, high = PROBE_BATCH[network]
    if network == "cnn":
        per_sample = 16 * 16 * 9 * width * width * depth
    elif network == "rnn":
        per_sample = 2 * width * width * depth
    else:
        per_sample = width * width * depth
    batch = PROBE_BUDGET_MACS / max(per_sample, 1)
    if network != "cnn":  # a CNN layer already pools 16 x 16 positions per sample
        batch = min(batch, PROBE_VALUES_PER_LAYER / max(width, 1))
    batch = 2 ** math.floor(math.log2(max(batch, 1.0)))
    full = int(min(max(batch, low), high))
    return max(low, full // share)


@st.cache_data(max_entries=256, show_spinner=False)
@offloaded
def layer_stats(
    net: Net,
    init: str,
    init_params: InitParams,
    *,
    bias: bool = False,
    bias_std: float = 0.0,
    alpha: float = 1.0,
    batch: int | None = None,
    image_size: int | None = None,
) -> probe.LayerStats:
    """One probe (forward + backward at initialization), cached on its arguments.

    Parameters
    ----------
    net : Net
        The network (type, activation, depth, width) and the seed of its weights and inputs.
    init : str
    init_params : tuple of (name, value) pairs
    bias, bias_std, alpha :
        As in :func:`core.probe.propagate`.
    batch : int, optional
        Defaults to :func:`probe_batch`.
    image_size : int, optional
        CNN only: side of the input images (defaults to core.probe's).

    Returns
    -------
    core.probe.LayerStats
    """
    network, activation, depth, width, seed = net
    return probe.propagate(
        network=network,
        activation=activation,
        init=init,
        init_params=dict(init_params),
        depth=depth,
        width=width,
        batch=batch or probe_batch(network, depth, width),
        seed=seed,
        bias=bias or bias_std > 0,
        bias_std=bias_std,
        alpha=alpha,
        **({} if image_size is None else {"image_size": image_size}),
    )


def stats_frame(stats: probe.LayerStats, series: str) -> pd.DataFrame:
    """Per-layer numbers of one probe as a tidy frame (one row per layer).

    Columns: series, layer, act_mean, act_std, preact_std, saturated_fraction, dead_fraction,
    grad_std, weight_grad_std, nonfinite_act, nonfinite_grad. A layer whose activations
    overflowed gets ``inf`` std (not NaN) so charts mark it as overflow; so does a weight
    gradient that overflowed (or whose inputs did), even where dL/dz stayed finite.
    """
    # The columns are finished as arrays before the frame is built: pandas' masked ``.loc``
    # assignments cost more than the whole probe summary on a busy server.
    total = stats.values_per_layer
    nonfinite_act = np.asarray(stats.nonfinite_act)
    nonfinite_grad = np.asarray(stats.nonfinite_grad)
    columns: dict[str, np.ndarray] = {
        name: np.array(getattr(stats, name), dtype=float)
        for name in ("act_std", "preact_std", "grad_std", "weight_grad_std")
    }
    for column, bad in (
        ("act_std", nonfinite_act),
        ("preact_std", nonfinite_act),
        ("grad_std", nonfinite_grad),
        ("weight_grad_std", nonfinite_grad),
    ):
        columns[column][bad >= total] = np.inf
    # The weight gradient a_{l-1}^T dL/dz_l overflows when either factor is huge, even while
    # dL/dz itself stays finite: a NaN std there is an overflow, not a missing value.
    overflowed = (
        (np.asarray(stats.nonfinite_weight_grad) > 0) | (nonfinite_grad > 0) | (nonfinite_act > 0)
    )
    columns["weight_grad_std"][overflowed & np.isnan(columns["weight_grad_std"])] = np.inf
    return pd.DataFrame(
        {
            "series": series,
            "layer": stats.layer,
            "act_mean": stats.act_mean,
            "act_std": columns["act_std"],
            "preact_std": columns["preact_std"],
            "saturated_fraction": stats.saturated_fraction,
            "dead_fraction": stats.dead_fraction,
            "grad_std": columns["grad_std"],
            "weight_grad_std": columns["weight_grad_std"],
            "nonfinite_act": stats.nonfinite_act,
            "nonfinite_grad": stats.nonfinite_grad,
        }
    )


def hist_frame(stats: probe.LayerStats, which: str = "act") -> pd.DataFrame:
    """A probe's shared-bin histograms as a long frame for :func:`explorer.charts.layer_heatmap`.

    Parameters
    ----------
    stats : LayerStats
    which : {"act", "grad", "act_log", "grad_log"}
        Linear histograms of activations or gradients dL/dz, or histograms of log10 |value|.

    Returns
    -------
    DataFrame
        Columns layer, bin_start, bin_end, fraction (share of the layer's histogrammed values;
        exact zeros and non-finite values are not in the log histograms, so their rows sum
        to less than 1 there).
    """
    counts = {
        "act": (stats.act_hist, stats.act_bin_edges),
        "grad": (stats.grad_hist, stats.grad_bin_edges),
        "act_log": (stats.act_log_hist, stats.act_log_edges),
        "grad_log": (stats.grad_log_hist, stats.grad_log_edges),
    }
    if which not in counts:
        raise ValueError(f"unknown histogram {which!r}; valid: {', '.join(counts)}")
    hist, edges = counts[which]
    n_layers, n_bins = hist.shape
    fraction = hist / max(stats.hist_values_per_layer, 1)
    return pd.DataFrame(
        {
            "layer": np.repeat(stats.layer, n_bins),
            "bin_start": np.tile(edges[:-1], n_layers),
            "bin_end": np.tile(edges[1:], n_layers),
            "fraction": fraction.ravel(),
        }
    )


def geometric_factor(values: np.ndarray) -> float:
    """Average per-layer growth factor of a positive series (geometric mean of the ratios).

    Returns NaN when the first or last value is not a positive finite number.
    """
    values = np.asarray(values, dtype=float)
    if values.size < 2 or not (np.isfinite(values[[0, -1]]).all() and (values[[0, -1]] > 0).all()):
        return math.nan
    return float(np.exp((np.log(values[-1]) - np.log(values[0])) / (values.size - 1)))


@dataclass(frozen=True)
class LayerSummary:
    """Headline numbers of one probe: how much the signal shrank or grew over the layers.

    Attributes
    ----------
    depth : int
        Number of layers probed.
    act_first, act_last : float
        Std of the activations of layer 1 and of the last layer (inf when overflowed).
    act_ratio : float
        ``act_last / act_first``: "layer L's activations are act_ratio of layer 1's".
    act_factor : float
        Geometric mean of the per-layer ratios of the activation std (NaN when undefined).
    grad_first, grad_last : float
        Std of dL/dz at layer 1 and at the last layer.
    grad_ratio : float
        ``grad_first / grad_last``: what is left of the top gradient at layer 1.
    grad_factor : float
        Geometric mean per-layer factor of the gradient std going backward (top to layer 1).
    first_nonfinite : int or None
        First layer whose activations overflowed (inf/NaN), or None.
    """

    depth: int
    act_first: float
    act_last: float
    act_ratio: float
    act_factor: float
    grad_first: float
    grad_last: float
    grad_ratio: float
    grad_factor: float
    first_nonfinite: int | None


def _ratio(top: float, bottom: float) -> float:
    """``top / bottom`` without warnings: NaN when undefined, inf on overflow."""
    if not (math.isfinite(top) and math.isfinite(bottom)) or bottom == 0:
        if math.isinf(top) and math.isfinite(bottom):
            return math.inf
        return math.nan
    return top / bottom


def summarize_layers(stats: probe.LayerStats) -> LayerSummary:
    """Headline ratios and per-layer factors of one probe (see :class:`LayerSummary`).

    A layer whose activations are all non-finite counts as overflow (``inf`` std), so the
    ratios say "overflow" instead of silently using the remaining finite layers.
    """
    frame = stats_frame(stats, "x")
    act = frame["act_std"].to_numpy(dtype=float)
    grad = frame["grad_std"].to_numpy(dtype=float)
    return LayerSummary(
        depth=int(stats.depth),
        act_first=float(act[0]),
        act_last=float(act[-1]),
        act_ratio=_ratio(float(act[-1]), float(act[0])),
        act_factor=geometric_factor(act),
        grad_first=float(grad[0]),
        grad_last=float(grad[-1]),
        grad_ratio=_ratio(float(grad[0]), float(grad[-1])),
        grad_factor=geometric_factor(grad[::-1]),
        first_nonfinite=stats.first_nonfinite_layer,
    )


def summary_row(summary: LayerSummary) -> dict[str, float | int]:
    """:class:`LayerSummary` as a table row; ``first_nonfinite`` is NaN when nothing overflowed."""
    row = asdict(summary)
    first = summary.first_nonfinite
    row["first_nonfinite"] = math.nan if first is None else first
    return row


def decades(factor: float) -> float:
    """``log10(factor)``: decades gained (+) or lost (-) per layer; NaN for factor <= 0 or NaN."""
    if not factor > 0:
        return math.nan
    return math.log10(factor)


def activation_record(activation: str) -> activations.Activation:
    """The :class:`core.activations.Activation` record (label, formula, saturating, ...)."""
    return activations.get(activation)


def max_slope(activation: str) -> float:
    """Largest |f'(z)| of an activation (sigmoid 1/4, tanh 1, ReLU 1, SELU 1.76)."""
    return float(activations.get(activation).df_max)


def small_signal_slope2(activation: str) -> float:
    r"""Mean squared slope :math:`\lim_{q\to 0}\mathbb E_z[f'(\sqrt q\, z)^2]` of an activation.

    The per-layer factor of a small signal is :math:`\text{fan\_in}\,\mathrm{Var}(W)\,
    \mathbb E[f'(z)^2]`; near :math:`z = 0` the last factor is this number: 1 for tanh, linear,
    ELU and softsign, 1/2 for ReLU (half the units are off), 1/16 for sigmoid
    (:math:`f'(0) = 1/4`), 1/4 for GELU and SiLU. Computed by Gauss-Hermite quadrature with an
    even number of nodes (no node at exactly 0, where a kink's derivative is a convention).
    """
    nodes, weights = activations.gauss_hermite(100)
    slope = np.asarray(activations.get(activation).df(1e-9 * nodes), dtype=float)
    return float(weights @ (slope * slope))


def critical_sigma_w2(activation: str) -> float:
    r"""The weight variance at which a small signal keeps its size through a layer.

    :math:`\sigma_w^2 = \text{fan\_in}\,\mathrm{Var}(W) = 1 / \mathbb E[f'(z)^2]` near
    :math:`z = 0` (:func:`small_signal_slope2`): tanh and linear 1 (LeCun), ReLU 2 (He et al.
    2015), sigmoid 16. For activations whose slope changes away from 0 (tanh saturates,
    GELU/SiLU approach ReLU) larger signals see a different factor; the pages show the measured
    one next to it.
    """
    return 1.0 / small_signal_slope2(activation)


def hidden_shape(network: str, width: int) -> tuple[int, ...]:
    """Shape of one hidden weight of the probe network (a 3x3 kernel for the CNN)."""
    if network == "cnn":
        kh, kw = networks.CONV_KERNEL
        return (kh, kw, width, width)
    return (width, width)


def hidden_fan_in(network: str, width: int) -> int:
    """Fan-in of one hidden weight of the probe network (9 x channels for the CNN)."""
    return initializers.compute_fans(hidden_shape(network, width))[0]


def init_sigma_w2(network: str, init: str, init_params: InitParams, width: int) -> float:
    """``fan_in * Var(W)`` of the probe's hidden weights for an initializer."""
    return initializers.sigma_w2(init, hidden_shape(network, width), **dict(init_params))


def well_scaled_init(activation: str) -> str:
    """The textbook initializer for an activation: He for ReLU-like, LeCun for SELU, else Glorot."""
    if activation in ("relu", "leaky_relu", "elu", "gelu", "silu"):
        return "he_normal"
    if activation == "selu":
        return "lecun_normal"
    return "glorot_normal"


def quick_stats(net: Net, init: str, init_params: InitParams) -> probe.LayerStats:
    """:func:`layer_stats` with a quarter of the probe batch (cached through it)."""
    network, activation, depth, width, seed = net
    return layer_stats(
        Net(network, activation, depth, width, seed),
        init,
        init_params,
        batch=probe_batch(network, depth, width, share=QUICK_SHARE),
    )


def variance_scaling_params(sigma_w2: float, distribution: str = "normal") -> InitParams:
    """Parameters of the ``variance_scaling`` scheme giving ``fan_in * Var(W) = sigma_w2``."""
    return (("scale", float(sigma_w2)), ("mode", "fan_in"), ("distribution", distribution))


def safe_ratio(a: float, b: float) -> float:
    """The ratio a / b, NaN unless both are positive finite numbers."""
    if not (math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0):
        return math.nan
    return a / b


#: Columns of :func:`stats_frame`.
STATS_COLUMNS: tuple[str, ...] = (
    "series",
    "layer",
    "act_mean",
    "act_std",
    "preact_std",
    "saturated_fraction",
    "dead_fraction",
    "grad_std",
    "weight_grad_std",
    "nonfinite_act",
    "nonfinite_grad",
)


def initializer_label(init: str) -> str:
    """Display label of a registry initializer (the key of :func:`explorer.charts.init_colors`)."""
    return initializers.REGISTRY[init].label


def rule_factor(sigma_w2: float, activation: str) -> float:
    """The small-signal per-layer std factor sqrt(sigma_w2 * E[f'(0)^2]) of an activation."""
    return math.sqrt(sigma_w2 * small_signal_slope2(activation))


def series_stats(
    net: Net, series: InitSeries, *, slope2: float | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Probe several initializers on the same network, inputs and seed, and summarize each.

    Parameters
    ----------
    net : Net
        The network (type, activation, depth, width) and the seed of its weights and inputs.
    series : tuple of (label, init, params)
    slope2 : float, optional
        E[f'^2] of the per-layer rule; defaults to the small-signal slope
        (:func:`small_signal_slope2`).

    Returns
    -------
    layers : DataFrame
        :func:`stats_frame` rows of every series (empty with those columns when ``series`` is).
    summary : DataFrame
        One row per series: series, init, sigma_w2 (fan_in * Var(W)), rule_factor
        (sqrt(sigma_w2 * slope2)) and the :func:`summary_row` fields.
    """
    network, activation, depth, width, seed = net
    slope2 = small_signal_slope2(activation) if slope2 is None else slope2
    frames = []
    rows = []
    for label, init, params in series:
        stats = quick_stats(Net(network, activation, depth, width, seed), init, params)
        frames.append(stats_frame(stats, label))
        sw2 = init_sigma_w2(network, init, params, width)
        rows.append(
            {
                "series": label,
                "init": init,
                "sigma_w2": sw2,
                "rule_factor": math.sqrt(sw2 * slope2),
                **summary_row(summarize_layers(stats)),
            }
        )
    if not frames:
        return pd.DataFrame(columns=list(STATS_COLUMNS)), pd.DataFrame()
    return pd.concat(frames, ignore_index=True), pd.DataFrame(rows)


def build_network(
    net: Net,
    init: str,
    init_params: InitParams,
    *,
    input_shape: tuple[int, ...] = (2,),
    n_outputs: int = 2,
    rng: np.random.Generator | None = None,
) -> networks.Network:
    """:func:`core.networks.build` from small primitives.

    The weights are drawn from ``rng`` when given (a caller that draws its inputs from the
    same stream afterwards), else from a fresh Generator seeded with ``net.seed``.
    """
    kind, activation, depth, width, seed = net
    return networks.build(
        kind,
        input_shape=input_shape,
        n_outputs=n_outputs,
        depth=depth,
        width=width,
        activation=activation,
        init=init,
        init_params=dict(init_params),
        rng=np.random.default_rng(seed) if rng is None else rng,
    )


def fit(
    net: networks.Network,
    x: np.ndarray,
    y: np.ndarray,
    *,
    optimizer: str,
    lr: float,
    steps: int,
    seed: int,
    clip: float | None = None,
    symmetry_every: int | None = None,
) -> training.History:
    """Train a classifier in place with cross-entropy, full batch (the lessons' small demos).

    ``symmetry_every`` defaults to ``steps`` (distinct neurons counted at the start and end).
    """
    return training.train(
        net,
        x,
        y,
        loss="cross_entropy",
        optimizer=optimizer,
        lr=lr,
        steps=steps,
        clip=clip,
        seed=seed,
        symmetry_every=symmetry_every or steps,
    )


def data_extent(x: np.ndarray, *, pad: float = 0.0, relative: float = 0.0) -> Extent:
    """(x0 min, x0 max, x1 min, x1 max) of 2-D data, widened by ``pad`` + ``relative`` x range."""
    low, high = x.min(axis=0), x.max(axis=0)
    margin = pad + relative * (high - low)
    return (
        float(low[0] - margin[0]),
        float(high[0] + margin[0]),
        float(low[1] - margin[1]),
        float(high[1] + margin[1]),
    )


def decision_grid(net: networks.Network, extent: Extent, cells: int) -> pd.DataFrame:
    """A 2-D classifier's prediction on a ``cells`` x ``cells`` grid of rectangles.

    Parameters
    ----------
    net : Network
        Takes inputs of shape (n, 2).
    extent : (x0 min, x0 max, x1 min, x1 max)
    cells : int

    Returns
    -------
    DataFrame
        One row per cell: x0, x0_end, x1, x1_end (corners), p (probability of class 1 for
        two classes, else of the predicted class; rounded to 4 decimals), cls (predicted
        class) and status ("ok", or "NaN" where the output is not finite; p is then uniform).
    """
    e0 = np.linspace(extent[0], extent[1], cells + 1)
    e1 = np.linspace(extent[2], extent[3], cells + 1)
    c0, c1 = (e0[:-1] + e0[1:]) / 2, (e1[:-1] + e1[1:]) / 2
    i0, i1 = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
    points = np.column_stack([c0[i0.ravel()], c1[i1.ravel()]])
    with np.errstate(all="ignore"):
        logits = net.predict(points)
        shifted = logits - logits.max(axis=1, keepdims=True)
        prob = np.exp(shifted)
        prob /= prob.sum(axis=1, keepdims=True)
    ok = np.isfinite(prob).all(axis=1)
    prob[~ok] = 1.0 / prob.shape[1]
    cls = prob.argmax(axis=1)
    p = prob[:, 1] if prob.shape[1] == 2 else prob.max(axis=1)
    return pd.DataFrame(
        {
            "x0": e0[i0.ravel()],
            "x0_end": e0[i0.ravel() + 1],
            "x1": e1[i1.ravel()],
            "x1_end": e1[i1.ravel() + 1],
            "p": np.round(p, 4),
            "cls": cls,
            "status": np.where(ok, "ok", "NaN"),
        }
    )


@st.cache_data(max_entries=512, show_spinner=False)
def predicted_stats(
    activation: str,
    init: str,
    init_params: InitParams,
    depth: int,
    width: int,
    sigma_b2: float = 0.0,
) -> theory.PredictedStats:
    """:func:`core.theory.predicted_stats` for an MLP of square layers, cached across sessions.

    The prediction does not depend on the seed, so every student asking for the same
    activation, initializer and size shares one solve.
    """
    return theory.predicted_stats(
        activation,
        init,
        depth=depth,
        width=width,
        init_params=dict(init_params),
        sigma_b2=sigma_b2,
    )
