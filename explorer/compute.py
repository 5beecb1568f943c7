"""Cached computations behind the pages, and their conversion to small chart-ready frames.

Cached functions take small primitives only (names, ints, floats, tuples of pairs; never
arrays or Generators), build their ``numpy.random.Generator`` inside, and return either a
frozen record from ``core`` or a pre-aggregated pandas frame. Every cache has ``max_entries``
so a busy shared server keeps bounded memory; entries are per argument tuple, so two
workshop participants with the same settings share one entry.

Several pages add their own sections at the end of this file (append-only while the pages are
built in parallel); each section starts with a banner comment naming its page.

Frame builders (no caching, cheap) turn a :class:`core.probe.LayerStats` into the long-format
frames ``explorer.charts`` draws.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from core import (  # noqa: F401  (imported once here so appended sections can use them)
    activations,
    datasets,
    initializers,
    networks,
    probe,
    symmetry,
    training,
)

#: Cost budget of one probe, in multiply-adds per forward pass (about 0.1-0.3 s here).
PROBE_BUDGET_MACS = 4e8
#: Probe batch bounds: enough samples for stable statistics, small enough to stay fast.
PROBE_BATCH = {"mlp": (32, 1024), "resmlp": (32, 1024), "rnn": (32, 1024), "cnn": (2, 64)}

InitParams = tuple[tuple[str, float | str], ...]


def probe_batch(network: str, depth: int, width: int) -> int:
    """Batch size of the probe for a network size: a power of two within the cost budget.

    Bigger nets get smaller batches so that one probe stays interactive on a shared server;
    even the smallest batch gives thousands of values per layer (batch x width).
    """
    low, high = PROBE_BATCH[network]
    if network == "cnn":
        per_sample = 16 * 16 * 9 * width * width * depth
    elif network == "rnn":
        per_sample = 2 * width * width * depth
    else:
        per_sample = width * width * depth
    batch = PROBE_BUDGET_MACS / max(per_sample, 1)
    batch = 2 ** math.floor(math.log2(max(batch, 1.0)))
    return int(min(max(batch, low), high))


@st.cache_data(max_entries=256, show_spinner=False)
def layer_stats(
    network: str,
    activation: str,
    init: str,
    init_params: InitParams,
    depth: int,
    width: int,
    seed: int,
    *,
    bias: bool = False,
    bias_std: float = 0.0,
    alpha: float = 1.0,
    batch: int | None = None,
) -> probe.LayerStats:
    """One probe (forward + backward at initialization), cached on its arguments.

    Parameters
    ----------
    network, activation, init : str
    init_params : tuple of (name, value) pairs
    depth, width, seed : int
    bias, bias_std, alpha :
        As in :func:`core.probe.propagate`.
    batch : int, optional
        Defaults to :func:`probe_batch`.

    Returns
    -------
    core.probe.LayerStats
    """
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
    )


def stats_frame(stats: probe.LayerStats, series: str) -> pd.DataFrame:
    """Per-layer numbers of one probe as a tidy frame (one row per layer).

    Columns: series, layer, act_mean, act_std, preact_std, saturated_fraction, dead_fraction,
    grad_std, weight_grad_std, nonfinite_act, nonfinite_grad. A layer whose activations
    overflowed gets ``inf`` std (not NaN) so charts mark it as overflow.
    """
    frame = pd.DataFrame(
        {
            "series": series,
            "layer": stats.layer,
            "act_mean": stats.act_mean,
            "act_std": stats.act_std,
            "preact_std": stats.preact_std,
            "saturated_fraction": stats.saturated_fraction,
            "dead_fraction": stats.dead_fraction,
            "grad_std": stats.grad_std,
            "weight_grad_std": stats.weight_grad_std,
            "nonfinite_act": stats.nonfinite_act,
            "nonfinite_grad": stats.nonfinite_grad,
        }
    )
    total = stats.values_per_layer
    for column, bad in (
        ("act_std", "nonfinite_act"),
        ("preact_std", "nonfinite_act"),
        ("grad_std", "nonfinite_grad"),
        ("weight_grad_std", "nonfinite_grad"),
    ):
        all_bad = frame[bad].to_numpy() >= total
        frame.loc[all_bad, column] = np.inf
    return frame


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


def compare_stats(
    network: str,
    activation: str,
    inits: tuple[tuple[str, str, InitParams], ...],
    depth: int,
    width: int,
    seed: int,
) -> pd.DataFrame:
    """Per-layer stats of several initializers on the same network and seed, stacked.

    Parameters
    ----------
    inits : tuple of (series label, init name, init params)

    Returns
    -------
    DataFrame
        :func:`stats_frame` rows of every initializer, ``series`` = its label.
    """
    frames = [
        stats_frame(layer_stats(network, activation, init, params, depth, width, seed), label)
        for label, init, params in inits
    ]
    return pd.concat(frames, ignore_index=True)


def geometric_factor(values: np.ndarray) -> float:
    """Average per-layer growth factor of a positive series (geometric mean of the ratios).

    Returns NaN when the first or last value is not a positive finite number.
    """
    values = np.asarray(values, dtype=float)
    if values.size < 2 or not (np.isfinite(values[[0, -1]]).all() and (values[[0, -1]] > 0).all()):
        return math.nan
    return float(np.exp((np.log(values[-1]) - np.log(values[0])) / (values.size - 1)))
