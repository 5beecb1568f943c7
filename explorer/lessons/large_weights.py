"""Lesson behind page 3 (large random weights): saturation, explosion, clipping."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from core import activations, datasets, initializers, probe, training
from explorer.experiments import (
    InitParams,
    build_network,
    fit,
    layer_stats,
    quick_stats,
    stats_frame,
    summarize_layers,
    well_scaled_init,
)
from explorer.state import InitSeries, Net

#: The training record the page reports on (re-exported so pages need not import core).
History = training.History


def compare_stats(net: Net, inits: InitSeries) -> pd.DataFrame:
    """Per-layer stats of several initializers on the same network and seed, stacked.

    Parameters
    ----------
    inits : tuple of (series label, init name, init params)

    Returns
    -------
    DataFrame
        :func:`stats_frame` rows of every initializer, ``series`` = its label.
    """
    network, activation, depth, width, seed = net
    frames = [
        stats_frame(layer_stats(Net(network, activation, depth, width, seed), init, params), label)
        for label, init, params in inits
    ]
    return pd.concat(frames, ignore_index=True)


#: The page-3 protagonist: every weight drawn from N(0, 1).
LARGE_INIT = "large_random"


#: log10 of the largest float64 (1.8e308): where a growing signal overflows to inf.
FLOAT64_MAX_LOG10 = math.log10(float(np.finfo(np.float64).max))


#: Activations contrasted on page 3: two saturating ones and two that are not.
CONTRAST_ACTIVATIONS: tuple[str, ...] = ("tanh", "sigmoid", "relu", "linear")


#: Training demo of page 3: a small MLP on two moons, full batch, plain SGD.
TRAIN_DATASET = "moons"


TRAIN_SAMPLES = 200


TRAIN_STEPS = 120


TRAIN_WIDTH_MAX = 64


TRAIN_DEPTH_MAX = 20


#: Gradient-norm clipping thresholds and learning rates offered on page 3.
CLIP_CHOICES: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)


LR_CHOICES: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)


def large_weight_series(activation: str, init: str, init_params: InitParams) -> InitSeries:
    """The series page 3 compares: N(0, 1), the user's initializer, the usual one for f.

    Returns
    -------
    tuple of (label, init name, init params)
        Duplicates dropped (the user's initializer may be N(0, 1) or the usual one).
    """
    usual = well_scaled_init(activation)
    out: list[tuple[str, str, InitParams]] = [
        (initializers.REGISTRY[LARGE_INIT].label, LARGE_INIT, ())
    ]
    for name, params in ((init, init_params), (usual, ())):
        if name not in {row[1] for row in out}:
            out.append((initializers.REGISTRY[name].label, name, params))
    return tuple(out)


def saturation_rule(activation: str) -> str:
    """What "saturated" means for a bounded activation, in terms of its output a = f(z).

    A unit is saturated when |f'(z)| < ``probe.SATURATION_THRESHOLD`` * max |f'| (5 %). For tanh,
    f' = 1 - a^2, so that is |a| > sqrt(0.95); for sigmoid f' = a (1 - a) with max 1/4.
    Returns "" for activations without such a closed form.
    """
    t = probe.SATURATION_THRESHOLD
    if activation == "tanh":
        return f"|a| > {math.sqrt(1.0 - t):.3f}"
    if activation == "sigmoid":
        low = (1.0 - math.sqrt(1.0 - t)) / 2.0  # root of a (1 - a) = t / 4
        return f"a < {low:.3f} or a > {1.0 - low:.3f}"
    return ""


def outer_bin_share(stats: probe.LayerStats) -> tuple[float, float]:
    """Share of the last layer's activations in the two outermost histogram bins, and |edge|.

    Returns
    -------
    share : float
        Fraction of the histogrammed values of the last layer in the first and last linear bins.
    edge : float
        The inner edge of the outermost bins: those bins hold |a| > edge (and beyond).
    """
    hist = stats.act_hist[-1]
    share = float(hist[0] + hist[-1]) / max(stats.hist_values_per_layer, 1)
    return share, float(stats.act_bin_edges[-2])


def layers_to_overflow(last_std: float, factor: float) -> float:
    """Layers until a std growing by ``factor`` per layer passes float64's 1.8e308.

    Returns inf when the std does not grow, 0 when it already overflowed.
    """
    if not math.isfinite(last_std):
        return 0.0
    if not (math.isfinite(factor) and factor > 1.0) or last_std <= 0:
        return math.inf
    return max((FLOAT64_MAX_LOG10 - math.log10(last_std)) / math.log10(factor), 0.0)


@st.cache_data(max_entries=64, show_spinner=False)
def activation_contrast(network: str, depth: int, width: int, seed: int) -> pd.DataFrame:
    """N(0, 1) weights under four activations: who saturates and who explodes.

    Parameters
    ----------
    network : str
    depth, width, seed : int
        The user's network (:func:`quick_stats`: a quarter batch, so four probes stay fast).

    Returns
    -------
    DataFrame
        One row per activation in :data:`CONTRAST_ACTIVATIONS`: ``activation`` (label),
        ``saturated`` (fraction of last-layer units with |f'| < 5 % of its max), ``act_std``
        (last layer), ``growth`` (per-layer factor of the activation std), ``overflow_layer``
        (first layer with inf/NaN activations, or NaN) and ``grad_ratio`` (std of dL/dz at
        layer 1 over the last layer's; > 1 means the gradient grows on its way back).
    """
    rows = []
    for name in CONTRAST_ACTIVATIONS:
        stats = quick_stats(Net(network, name, depth, width, seed), LARGE_INIT, ())
        summary = summarize_layers(stats)
        rows.append(
            {
                "activation": activations.get(name).label,
                "saturated": float(stats.saturated_fraction[-1]),
                "act_std": summary.act_last,
                "growth": summary.act_factor,
                "overflow_layer": math.nan
                if summary.first_nonfinite is None
                else float(summary.first_nonfinite),
                "grad_ratio": summary.grad_ratio,
            }
        )
    return pd.DataFrame(rows)


@st.cache_data(max_entries=128, show_spinner=False)
def train_demo(
    net: Net, init: str, init_params: InitParams, *, lr: float, clip: float | None
) -> training.History:
    """Train page 3's small MLP on two moons with plain SGD, optionally clipping the gradient.

    The network is the user's activation and depth (at most :data:`TRAIN_DEPTH_MAX` layers of
    at most :data:`TRAIN_WIDTH_MAX` units; a residual MLP when the user's network is one, an
    MLP otherwise: CNNs and RNNs are too slow to train live here). Full batch of
    :data:`TRAIN_SAMPLES` points, :data:`TRAIN_STEPS` steps, cross-entropy.

    Parameters
    ----------
    net : Net
        The user's network (capped, see above) and the seed of its weights and inputs.
    init : str
    init_params : tuple of (name, value) pairs
    lr : float
        SGD learning rate.
    clip : float or None
        Maximum global gradient norm (Pascanu et al. 2013); None trains without clipping.

    Returns
    -------
    core.training.History
        ``diverged_at`` is the step whose loss or gradient turned inf/NaN, if any.
    """
    network, activation, depth, width, seed = net
    kind = "resmlp" if network == "resmlp" else "mlp"
    x, y = datasets.load(TRAIN_DATASET, TRAIN_SAMPLES, seed)
    net = build_network(
        Net(kind, activation, min(depth, TRAIN_DEPTH_MAX), min(width, TRAIN_WIDTH_MAX), seed),
        init,
        init_params,
    )
    return fit(net, x, y, optimizer="sgd", lr=lr, steps=TRAIN_STEPS, seed=seed, clip=clip)


def curve_frame(history: training.History, series: str) -> pd.DataFrame:
    """Loss per recorded step as a frame for :func:`explorer.charts.training_curves`."""
    return pd.DataFrame({"step": history.step, "loss": history.loss, "series": series})


def loss_rises(history: training.History) -> int:
    """How many recorded steps had a higher finite loss than the step before (oscillation)."""
    loss = np.asarray(history.loss, dtype=float)
    loss = loss[np.isfinite(loss)]
    return int(np.count_nonzero(np.diff(loss) > 0))
