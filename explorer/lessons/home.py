"""Lesson behind Home ("why initialization matters"): scale sweeps, family comparison, fan table."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import streamlit as st

from core import initializers
from explorer.experiments import (
    InitParams,
    critical_sigma_w2,
    hidden_fan_in,
    quick_stats,
    series_stats,
    stats_frame,
    summarize_layers,
    variance_scaling_params,
)
from explorer.lessons.reference import calculator_frame, catalogue_frame
from explorer.state import InitSeries, Net


def format_change(relative: float) -> str:
    """A relative change as text: "+4.2%" while modest, "×1.9e+08" when it spans decades."""
    if math.isnan(relative):
        return "NaN"
    if math.isinf(relative):
        return "overflow (∞)" if relative > 0 else "−100%"
    if abs(relative) < 10:
        return f"{relative:+.1%}"
    return f"×{1.0 + relative:.3g}"


#: Multiples of the critical sigma * sqrt(fan_in) drawn on Home. For a small signal each is
#: also the per-layer factor of the activation std, so depth L turns m into m^(L-1).
HOME_MULTIPLIERS: tuple[float, ...] = (0.5, 0.9, 1.0, 1.1, 2.0)


#: Weight families compared at equal variance on Home (variance_scaling distributions).
HOME_FAMILIES: tuple[tuple[str, str], ...] = (
    ("normal", "Normal N(0, s²)"),
    ("uniform", "Uniform U(−a, a)"),
    ("truncated_normal", "Truncated normal"),
)


def scale_label(multiplier: float) -> str:
    """Series name of one multiple of the critical scale (short: it goes in a legend)."""
    return f"×{multiplier:g}"


@st.cache_data(max_entries=128, show_spinner=False)
def scale_sweep(
    net: Net, user_init: str, user_params: InitParams
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-layer stats for the five multiples of the critical scale and the user's initializer.

    Every series uses the same network, seed and inputs; the weights are
    N(0, m^2 sigma_c^2 / fan_in) with sigma_c^2 = :func:`critical_sigma_w2` (the
    ``variance_scaling`` scheme), plus the user's own initializer.

    Returns
    -------
    layers : DataFrame
        :func:`stats_frame` rows of every series (``series`` = :func:`scale_label` or the
        initializer's label).
    summary : DataFrame
        One row per series: series, multiplier (NaN for the user's), sigma_w2, sigma_sqrt_n
        (sigma * sqrt(fan_in)), rule_factor (sqrt(sigma_w2 * E[f'(0)^2]): the small-signal
        per-layer factor), the :class:`LayerSummary` fields (:func:`summary_row`), and
        rule_gap (act_factor / rule_factor - 1).
    """
    network, activation, depth, width, seed = net
    crit = critical_sigma_w2(activation)
    series = tuple(
        (scale_label(m), "variance_scaling", variance_scaling_params(m * m * crit))
        for m in HOME_MULTIPLIERS
    ) + ((initializers.REGISTRY[user_init].label, user_init, user_params),)
    return _with_scale_columns(
        *series_stats(Net(network, activation, depth, width, seed), series),
        multipliers=[*HOME_MULTIPLIERS, math.nan],
    )


def _with_scale_columns(
    layers: pd.DataFrame, summary: pd.DataFrame, *, multipliers: list[float]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Home's summary columns on a :func:`series_stats` summary (see :func:`scale_sweep`)."""
    if summary.empty:
        return layers, summary
    summary = summary.drop(columns="init")
    summary.insert(1, "multiplier", multipliers)
    summary.insert(3, "sigma_sqrt_n", np.sqrt(summary["sigma_w2"]))
    with np.errstate(all="ignore"):
        summary["rule_gap"] = summary["act_factor"] / summary["rule_factor"] - 1.0
    return layers, summary


#: Extra seeds that redraw the normal weights on Home, to measure seed-to-seed variation.
HOME_EXTRA_SEEDS = 3


@st.cache_data(max_entries=128, show_spinner=False)
def family_comparison(
    net: Net,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Normal, uniform and truncated normal weights at the same (critical) variance.

    To judge whether a difference between families is more than the luck of the draw, the
    normal weights are also drawn with :data:`HOME_EXTRA_SEEDS` other seeds (which redraws the
    inputs too); the spread of the results is how much one random draw differs from another.

    Returns
    -------
    layers : DataFrame
        :func:`stats_frame` rows, ``series`` = the family's label (:data:`HOME_FAMILIES`).
    summary : DataFrame
        One row per family: series, distribution, std (s), bound (a = sqrt 3 s for uniform, the
        +-2 sigma cut for truncated normal), act_last, act_ratio, grad_ratio, rel_diff (relative
        difference of act_last from the normal family's), and seed_spread (the same for every
        row: the std over seeds of the normal family's act_last, relative to its mean). A last
        row, series "Normal, σ × 1.1", gives the numbers for a 10% larger std, for scale.
    """
    network, activation, depth, width, seed = net
    crit = critical_sigma_w2(activation)
    fan_in = hidden_fan_in(network, width)
    frames = []
    rows = []
    runs = [(d, label, crit) for d, label in HOME_FAMILIES]
    runs.append(("normal", "Normal, σ × 1.1", crit * 1.21))
    for distribution, label, sw2 in runs:
        params = variance_scaling_params(sw2, distribution)
        stats = quick_stats(
            Net(network, activation, depth, width, seed), "variance_scaling", params
        )
        if label != runs[-1][1]:
            frames.append(stats_frame(stats, label))
        summary = summarize_layers(stats)
        s = math.sqrt(sw2 / fan_in)
        bound = {
            "uniform": math.sqrt(3.0) * s,
            "truncated_normal": 2.0 * s / initializers.TRUNCATED_NORMAL_STD,
        }.get(distribution, math.nan)
        rows.append(
            {
                "series": label,
                "distribution": distribution,
                "std": s,
                "bound": bound,
                "act_last": summary.act_last,
                "act_ratio": summary.act_ratio,
                "grad_ratio": summary.grad_ratio,
            }
        )
    draws = [rows[0]["act_last"]]
    normal = variance_scaling_params(crit, "normal")
    for extra in range(1, HOME_EXTRA_SEEDS + 1):
        stats = quick_stats(
            Net(network, activation, depth, width, seed + extra), "variance_scaling", normal
        )
        draws.append(summarize_layers(stats).act_last)
    summary_frame = pd.DataFrame(rows)
    base = summary_frame["act_last"].iloc[0]
    with np.errstate(all="ignore"):
        summary_frame["rel_diff"] = summary_frame["act_last"] / base - 1.0
        values = np.asarray(draws, dtype=float)
        summary_frame["seed_spread"] = float(np.std(values) / np.mean(values))
    return pd.concat(frames, ignore_index=True), summary_frame


@st.cache_data(max_entries=256, show_spinner=False)
def fan_table(
    fan_in_units: int,
    fan_out_units: int,
    kernel: int,
    user_init: str,
    user_params: InitParams,
) -> tuple[pd.DataFrame, int, int]:
    """Std and uniform bound of every registry scheme for one layer, with the library calls.

    The numbers come from the Reference page's :func:`calculator_frame` (registry defaults,
    the user's parameters for the user's scheme), joined with the PyTorch and Keras calls of
    :func:`catalogue_frame`.

    Parameters
    ----------
    fan_in_units, fan_out_units : int
        Inputs and outputs of a dense layer, or input and output channels of a conv layer.
    kernel : int
        Side of a square conv kernel; 1 means a dense layer (shape (fan_in, fan_out)).
    user_init : str
    user_params : tuple of (name, value) pairs

    Returns
    -------
    table : DataFrame
        One row per scheme: initializer, distribution, std, uniform bound, sigma_w2, note (why
        a scheme does not apply to this shape), PyTorch, Keras.
    fan_in, fan_out : int
        The fans of the shape (receptive field included).
    """
    if kernel > 1:
        shape: tuple[int, ...] = (kernel, kernel, fan_in_units, fan_out_units)
    else:
        shape = (fan_in_units, fan_out_units)
    fan_in, fan_out = initializers.compute_fans(shape)
    calc = calculator_frame(shape, user_init, user_params)
    calls = catalogue_frame()[["key", "PyTorch", "Keras"]]
    table = calc.merge(calls, on="key", how="left")
    columns = ["initializer", "distribution", "std", "uniform bound", "sigma_w2", "note"]
    return table[[*columns, "PyTorch", "Keras"]], fan_in, fan_out


@st.cache_data(max_entries=128, show_spinner=False)
def init_sweep(net: Net, series: InitSeries) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-layer stats of several initializers on one network, as :func:`scale_sweep` gives them.

    Parameters
    ----------
    net : Net
        Same network, inputs and seed for every series.
    series : tuple of (label, init, params)
        E.g. from ``explorer.state.compare_series``; may be empty.

    Returns
    -------
    layers : DataFrame
        :func:`stats_frame` rows of every series (empty with those columns when ``series`` is).
    summary : DataFrame
        One row per series with :func:`scale_sweep`'s summary columns (multiplier NaN).
    """
    network, activation, depth, width, seed = net
    return _with_scale_columns(
        *series_stats(Net(network, activation, depth, width, seed), series),
        multipliers=[math.nan] * len(series),
    )


def replace_series(base: pd.DataFrame, drop: Sequence[str], added: pd.DataFrame) -> pd.DataFrame:
    """``base`` without the series named in ``drop``, with ``added`` appended (long frames)."""
    kept = base[~base["series"].isin(list(drop))]
    if added.empty:
        return kept.reset_index(drop=True)
    return pd.concat([kept, added], ignore_index=True)
