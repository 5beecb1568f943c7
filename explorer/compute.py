"""Cached computations behind the pages, and their conversion to small chart-ready frames.

Cached functions take small primitives only (names, ints, floats, tuples of pairs; never
arrays or Generators), build their ``numpy.random.Generator`` inside, and return either a
frozen record from ``core`` or a pre-aggregated pandas frame. Every cache has ``max_entries``
so a busy shared server keeps bounded memory; entries are per argument tuple, so two
workshop participants with the same settings share one entry.

After the shared probe helpers, the file has one section per page, each starting with a banner
comment naming its page.

Frame builders (no caching, cheap) turn a :class:`core.probe.LayerStats` into the long-format
frames ``explorer.charts`` draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import streamlit as st

from core import (
    activations,
    datasets,
    initializers,
    lsuv,
    networks,
    probe,
    theory,
    training,
)
from explorer import controls

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


# ---- Page 8: reference ----------------------------------------------------------------------

#: Plain-words fan convention of each ``InitSpec.fan_mode``.
FAN_CONVENTIONS: dict[str, str] = {
    "fan_in": "fan_in (preserves the forward pass)",
    "fan_out": "fan_out (preserves the backward pass)",
    "fan_avg": "fan_avg = (fan_in + fan_out) / 2 (compromise)",
    "mode": "chosen by the mode parameter (fan_in, fan_out or fan_avg)",
    "none": "none (scale does not depend on the fans)",
}
#: Largest rank, dimension and element count the fan calculator accepts (it never allocates).
SHAPE_MAX_RANK = 5
SHAPE_MAX_DIM = 1_000_000
SHAPE_MAX_TEXT = 80
#: Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection").
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def parse_shape(text: str) -> tuple[int, ...]:
    """Parse a weight shape typed by a user, such as ``"3,3,64,128"`` or ``"(256, 128)"``.

    Only digits and separators (commas, spaces, ``x``, ``×``, ``*``, brackets) are accepted; the
    text is never evaluated.

    Parameters
    ----------
    text : str
        At most :data:`SHAPE_MAX_TEXT` characters.

    Returns
    -------
    tuple of int
        Two to :data:`SHAPE_MAX_RANK` dimensions, each in ``1..SHAPE_MAX_DIM``, layout
        ``(*receptive_field, n_in, n_out)``.

    Raises
    ------
    ValueError
        With a message fit to show to the user.
    """
    import re

    text = str(text).strip()
    if len(text) > SHAPE_MAX_TEXT:
        raise ValueError(f"the shape is longer than {SHAPE_MAX_TEXT} characters")
    if not re.fullmatch(r"[\d\s,xX×*()\[\]]*", text):
        raise ValueError("use whole numbers separated by commas, e.g. 3,3,64,128")
    parts = [p for p in re.split(r"[\s,xX×*()\[\]]+", text) if p]
    if not 2 <= len(parts) <= SHAPE_MAX_RANK:
        raise ValueError(
            f"a weight shape has 2 to {SHAPE_MAX_RANK} dimensions (inputs, outputs and "
            f"optionally a receptive field in front); got {len(parts)}"
        )
    dims = tuple(int(p) for p in parts)
    if any(not 1 <= d <= SHAPE_MAX_DIM for d in dims):
        raise ValueError(f"every dimension must be between 1 and {SHAPE_MAX_DIM:,}")
    return dims


def default_shape(network: str, width: int) -> tuple[int, ...]:
    """The shape of a hidden weight of the user's network (what the calculator starts with)."""
    if network == "cnn":
        return (3, 3, width, width)
    return (width, width)


def catalogue_frame() -> pd.DataFrame:
    """Every initializer of the registry as one table row (the reference catalogue).

    Returns
    -------
    DataFrame
        Columns: initializer, key, family, fan convention, parameters (name = default),
        formula (LaTeX), designed for, reference, link, PyTorch, Keras, JAX.
    """
    rows = []
    for spec in initializers.REGISTRY.values():
        rows.append(
            {
                "initializer": spec.label,
                "key": spec.name,
                "family": spec.family.replace("_", " "),
                "fan convention": FAN_CONVENTIONS.get(spec.fan_mode, spec.fan_mode),
                "parameters": ", ".join(
                    f"{p.name} = {p.default:g}" if p.kind == "float" else f"{p.name} = {p.default}"
                    for p in spec.params
                )
                or "none",
                "formula (LaTeX)": spec.formula,
                "designed for": spec.designed_for,
                "reference": spec.reference,
                "link": spec.reference_url,
                "PyTorch": spec.pytorch,
                "Keras": spec.keras,
                "JAX": spec.jax,
            }
        )
    return pd.DataFrame(rows)


def _not_applicable(name: str, shape: tuple[int, ...]) -> str:
    """Why a scheme cannot initialize a weight of ``shape`` ("" when it can)."""
    spec = initializers.REGISTRY[name]
    rank = len(shape)
    if rank < spec.min_rank or (spec.max_rank is not None and rank > spec.max_rank):
        if name == "identity":
            return "needs a 2-D (dense) weight"
        if name == "delta_orthogonal":
            return "needs a conv kernel (rank 3 to 5)"
        return f"needs rank {spec.min_rank} or more"
    if name == "delta_orthogonal" and shape[-2] > shape[-1]:
        return "needs c_in ≤ c_out"
    return ""


def fans_of(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """``(fan_in, fan_out, receptive_field)`` of a weight shape (layout as :func:`parse_shape`)."""
    fan_in, fan_out = initializers.compute_fans(shape)
    return fan_in, fan_out, math.prod(shape[:-2])


def calculator_frame(
    shape: tuple[int, ...], user_init: str, user_params: InitParams
) -> pd.DataFrame:
    """Standard deviation and uniform bound of every scheme for one weight shape.

    Every scheme uses its registry defaults, except ``user_init``, which uses ``user_params``.

    Parameters
    ----------
    shape : tuple of int
        ``(*receptive_field, n_in, n_out)``, as returned by :func:`parse_shape`.
    user_init : str
        The user's initializer (a key of the registry).
    user_params : tuple of (name, value) pairs
        Its parameters.

    Returns
    -------
    DataFrame
        One row per scheme, columns: initializer, key, parameters, distribution, std,
        variance, uniform bound, truncated at (the absolute cut of a truncated normal),
        sigma_w2 (fan_in * variance: 1 = LeCun, 2 = He), note (why a scheme does not
        apply; its numbers are then NaN).
    """
    fan_in, _, _ = fans_of(shape)
    rows = []
    for name, spec in initializers.REGISTRY.items():
        params = dict(user_params) if name == user_init else spec.defaults
        note = _not_applicable(name, shape)
        row: dict[str, object] = {
            "initializer": spec.label + (" (yours)" if name == user_init else ""),
            "key": name,
            "parameters": ", ".join(
                f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}" for k, v in params.items()
            )
            or "none",
        }
        if note:
            row.update(
                distribution="n/a",
                std=math.nan,
                variance=math.nan,
                **{"uniform bound": math.nan, "truncated at": math.nan},
                sigma_w2=math.nan,
                note=note,
            )
        else:
            scale = initializers.scale_of(name, shape, **params)
            row.update(
                distribution=scale.distribution.replace("_", " "),
                std=scale.std,
                variance=scale.std**2,
                **{
                    "uniform bound": math.nan if scale.bound is None else scale.bound,
                    "truncated at": math.nan if scale.truncation is None else scale.truncation,
                },
                sigma_w2=fan_in * scale.std**2,
                note="",
            )
        rows.append(row)
    return pd.DataFrame(rows)


def gain_frame(negative_slope: float = 0.01) -> pd.DataFrame:
    """PyTorch's ``calculate_gain`` for every non-linearity it knows, and the app's gain.

    Parameters
    ----------
    negative_slope : float
        Slope ``a`` of leaky ReLU.

    Returns
    -------
    DataFrame
        Columns: nonlinearity, calculate_gain (NaN where PyTorch has none), formula,
        app gain (the gain this app uses for the activation, NaN for conv names), source.
    """
    formulas = {
        "tanh": "5/3",
        "relu": "√2",
        "leaky_relu": "√(2 / (1 + a²))",
        "selu": "3/4 (PyTorch; self-normalizing nets use 1)",
    }
    rows = []
    for name in initializers.NONLINEARITIES:
        param = negative_slope if name == "leaky_relu" else None
        app = math.nan
        source = ""
        if name in activations.NAMES:
            act = activations.get(name, negative_slope=negative_slope)
            app, source = act.gain, act.gain_source.replace("_", " ")
        rows.append(
            {
                "nonlinearity": name,
                "calculate_gain": initializers.calculate_gain(name, param),
                "formula": formulas.get(name, "1"),
                "app gain": app,
                "source": source,
            }
        )
    for name in activations.NAMES:
        if name in initializers.NONLINEARITIES:
            continue
        act = activations.get(name, negative_slope=negative_slope)
        rows.append(
            {
                "nonlinearity": name,
                "calculate_gain": math.nan,
                "formula": "1 / √E[f(z)²], z ~ N(0, 1)",
                "app gain": act.gain,
                "source": act.gain_source.replace("_", " "),
            }
        )
    return pd.DataFrame(rows)


#: Schemes drawn in the σ-versus-fan_in chart: one per rule (the uniform twins have the same σ).
SIGMA_SWEEP_INITS: tuple[str, ...] = (
    "small_random",
    "large_random",
    "lecun_normal",
    "glorot_normal",
    "he_normal",
    "torch_default",
    "orthogonal",
)


def sigma_vs_fan_frame(
    ratio: float, user_init: str, user_params: InitParams, *, max_fan: int = 4096
) -> pd.DataFrame:
    """σ of the main schemes for dense layers ``(n, ratio * n)``, n = 1, 2, 4, ... ``max_fan``.

    One scheme per rule (:data:`SIGMA_SWEEP_INITS`: the uniform variants have the same σ as
    the normal ones) plus the user's initializer. Zeros (σ = 0 has no place on a log axis) and
    delta-orthogonal (conv kernels only) are never drawn.

    Parameters
    ----------
    ratio : float
        fan_out / fan_in (e.g. from the calculator's shape), > 0.
    user_init : str
        Added to the chart with ``user_params``; the other schemes use their defaults.
    user_params : tuple of (name, value) pairs
    max_fan : int

    Returns
    -------
    DataFrame
        Long format, columns series (initializer label), fan_in, fan_out, std.
    """
    rows = []
    fans = [2**k for k in range(int(math.log2(max_fan)) + 1)]
    names = list(dict.fromkeys((*SIGMA_SWEEP_INITS, user_init)))
    for name in names:
        if name in ("zeros", "delta_orthogonal"):
            continue
        spec = initializers.REGISTRY[name]
        params = dict(user_params) if name == user_init else spec.defaults
        for fan_in in fans:
            fan_out = max(1, round(ratio * fan_in))
            std = initializers.scale_of(name, (fan_in, fan_out), **params).std
            rows.append({"series": spec.label, "fan_in": fan_in, "fan_out": fan_out, "std": std})
    return pd.DataFrame(rows)


def _defuse_cell(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and (
        value.startswith(CSV_FORMULA_START) or value.lstrip().startswith(CSV_FORMULA_START)
    ):
        return "'" + value
    return value


def safe_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV of ``frame`` that spreadsheets open without running formulas.

    Text cells (and headers) starting with ``=``, ``+``, ``-``, ``@``, a tab or a line break
    (also after leading spaces) are prefixed with an apostrophe and every text cell is quoted,
    as OWASP recommends against CSV injection. Numbers stay numbers (a negative number is
    written as a number, which a spreadsheet does not evaluate as a formula).

    Parameters
    ----------
    frame : DataFrame

    Returns
    -------
    bytes
    """
    import csv

    out = frame.copy()
    out.columns = [_defuse_cell(str(c)) for c in out.columns]
    for column in out.columns:
        if not (
            pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_bool_dtype(out[column])
        ):
            out[column] = out[column].map(_defuse_cell).astype(object)
    text = out.to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    return text.encode("utf-8")


# =============================================================================================
# ---- Home, page 1 (symmetry), page 2 (vanishing): shared helpers ----
# =============================================================================================


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


def format_change(relative: float) -> str:
    """A relative change as text: "+4.2%" while modest, "×1.9e+08" when it spans decades."""
    if math.isnan(relative):
        return "NaN"
    if math.isinf(relative):
        return "overflow (∞)" if relative > 0 else "−100%"
    if abs(relative) < 10:
        return f"{relative:+.1%}"
    return f"×{1.0 + relative:.3g}"


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


def quick_probe_batch(network: str, depth: int, width: int) -> int:
    """A quarter of :func:`probe_batch`, at least the network type's minimum.

    Pages that compare many probes stay fast, and each layer still pools thousands of values.
    """
    low, _ = PROBE_BATCH[network]
    return max(low, probe_batch(network, depth, width) // 4)


def quick_stats(
    network: str,
    activation: str,
    init: str,
    init_params: InitParams,
    depth: int,
    width: int,
    seed: int,
) -> probe.LayerStats:
    """:func:`layer_stats` with :func:`quick_probe_batch` (cached through it)."""
    return layer_stats(
        network,
        activation,
        init,
        init_params,
        depth,
        width,
        seed,
        batch=quick_probe_batch(network, depth, width),
    )


def variance_scaling_params(sigma_w2: float, distribution: str = "normal") -> InitParams:
    """Parameters of the ``variance_scaling`` scheme giving ``fan_in * Var(W) = sigma_w2``."""
    return (("scale", float(sigma_w2)), ("mode", "fan_in"), ("distribution", distribution))


# =============================================================================================
# ---- Home: why initialization matters ----
# =============================================================================================

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
    network: str,
    activation: str,
    depth: int,
    width: int,
    seed: int,
    user_init: str,
    user_params: InitParams,
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
    crit = critical_sigma_w2(activation)
    slope2 = small_signal_slope2(activation)
    runs: list[tuple[str, float, str, InitParams]] = [
        (scale_label(m), m, "variance_scaling", variance_scaling_params(m * m * crit))
        for m in HOME_MULTIPLIERS
    ]
    runs.append((initializers.REGISTRY[user_init].label, math.nan, user_init, user_params))
    frames = []
    rows = []
    for label, m, init, params in runs:
        stats = quick_stats(network, activation, init, params, depth, width, seed)
        frames.append(stats_frame(stats, label))
        sw2 = init_sigma_w2(network, init, params, width)
        rows.append(
            {
                "series": label,
                "multiplier": m,
                "sigma_w2": sw2,
                "sigma_sqrt_n": math.sqrt(sw2),
                "rule_factor": math.sqrt(sw2 * slope2),
                **summary_row(summarize_layers(stats)),
            }
        )
    frame = pd.DataFrame(rows)
    with np.errstate(all="ignore"):
        frame["rule_gap"] = frame["act_factor"] / frame["rule_factor"] - 1.0
    return pd.concat(frames, ignore_index=True), frame


#: Extra seeds that redraw the normal weights on Home, to measure seed-to-seed variation.
HOME_EXTRA_SEEDS = 3


@st.cache_data(max_entries=128, show_spinner=False)
def family_comparison(
    network: str, activation: str, depth: int, width: int, seed: int
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
    crit = critical_sigma_w2(activation)
    fan_in = hidden_fan_in(network, width)
    frames = []
    rows = []
    runs = [(d, label, crit) for d, label in HOME_FAMILIES]
    runs.append(("normal", "Normal, σ × 1.1", crit * 1.21))
    for distribution, label, sw2 in runs:
        params = variance_scaling_params(sw2, distribution)
        stats = quick_stats(network, activation, "variance_scaling", params, depth, width, seed)
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
            network, activation, "variance_scaling", normal, depth, width, seed + extra
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


# =============================================================================================
# ---- Page 1: symmetry ----
# =============================================================================================

#: The symmetry lesson trains small MLPs on two moons (fast enough to run on every visit).
SYMMETRY_DATA = "moons"
SYMMETRY_POINTS = 200
SYMMETRY_MAX_DEPTH = 3
SYMMETRY_MAX_WIDTH = 16
SYMMETRY_LR = 0.1
#: Cells per side of the decision-boundary grid.
BOUNDARY_CELLS = 40


@dataclass(frozen=True)
class SymmetryRun:
    """One small network trained from one initialization (page 1).

    Attributes
    ----------
    label, init : str
        Series label and initializer name.
    grads : DataFrame
        One row per layer (hidden layers then "output"): layer; max_abs_dw0 and max_abs_db0,
        the largest |dL/dW| and |dL/db| at step 0 (before any update); max_abs_dw1, the
        largest |dL/dW| at step 1 (after one update); spread1, the largest difference between
        the gradient columns of two neurons of the layer at step 1 (0 = the neurons are clones
        receiving identical gradients; NaN for the output layer, whose units are the classes).
    neuron_grads : DataFrame
        Columns neuron (1..width), grad0, grad1: dL/dW of the weight from input x1 into each
        neuron of hidden layer 1 at step 0 and at step 1.
    max_hidden_grad_norm : float
        Largest gradient norm of any hidden layer's weights over the whole run.
    first_hidden_grad_step : int or None
        First step at which a hidden weight gradient was non-zero (None: never).
    distinct : DataFrame
        Columns step, layer (1-based), distinct (distinct neurons of that hidden layer).
    curve : DataFrame
        Columns step, loss, accuracy.
    weights_start, weights_end : ndarray, shape (fan_in, width)
        The heatmap layer's weights at step 0 and after training.
    boundary : DataFrame
        Decision-boundary grid for :func:`explorer.charts.decision_boundary`.
    final_loss, final_accuracy : float
    diverged_at : int or None
    """

    label: str
    init: str
    grads: pd.DataFrame
    neuron_grads: pd.DataFrame
    max_hidden_grad_norm: float
    first_hidden_grad_step: int | None
    distinct: pd.DataFrame
    curve: pd.DataFrame
    weights_start: np.ndarray
    weights_end: np.ndarray
    boundary: pd.DataFrame
    final_loss: float
    final_accuracy: float
    diverged_at: int | None


@dataclass(frozen=True)
class SymmetryResult:
    """Everything page 1 draws: zero, constant and random runs on the same data and seed.

    Attributes
    ----------
    runs : tuple of SymmetryRun
        Zero, constant k, random (in that order).
    points : DataFrame
        The training data (x0, x1, label) for the boundary charts.
    depth, width, steps : int
        The small network trained and for how long.
    heat_layer : int
        Which hidden layer the weight heatmaps show (1-based).
    """

    runs: tuple[SymmetryRun, ...]
    points: pd.DataFrame
    depth: int
    width: int
    steps: int
    heat_layer: int


def symmetry_size(depth: int, width: int) -> tuple[int, int]:
    """The small MLP trained on page 1 for the user's depth and width (capped for speed)."""
    return max(1, min(depth, SYMMETRY_MAX_DEPTH)), max(2, min(width, SYMMETRY_MAX_WIDTH))


def _softmax_class1(logits: np.ndarray) -> np.ndarray:
    """P(class 1) from two-class logits, stable for huge logits (NaN stays NaN)."""
    with np.errstate(all="ignore"):
        return 1.0 / (1.0 + np.exp(logits[:, 0] - logits[:, 1]))


def boundary_grid(net: networks.Network, x: np.ndarray) -> pd.DataFrame:
    """P(class 1) of a 2-D classifier on a BOUNDARY_CELLS^2 grid covering the data (+0.5)."""
    lo = x.min(axis=0) - 0.5
    hi = x.max(axis=0) + 0.5
    e0 = np.linspace(lo[0], hi[0], BOUNDARY_CELLS + 1)
    e1 = np.linspace(lo[1], hi[1], BOUNDARY_CELLS + 1)
    c0 = 0.5 * (e0[:-1] + e0[1:])
    c1 = 0.5 * (e1[:-1] + e1[1:])
    g0, g1 = np.meshgrid(c0, c1, indexing="ij")
    p = _softmax_class1(net.predict(np.column_stack([g0.ravel(), g1.ravel()])))
    i0, i1 = np.meshgrid(np.arange(BOUNDARY_CELLS), np.arange(BOUNDARY_CELLS), indexing="ij")
    return pd.DataFrame(
        {
            "x0": e0[i0.ravel()],
            "x0_end": e0[i0.ravel() + 1],
            "x1": e1[i1.ravel()],
            "x1_end": e1[i1.ravel() + 1],
            "p": np.round(p, 4),
        }
    )


def _gradient_frame(
    net: networks.Network,
    grads0: list[dict[str, np.ndarray]],
    grads1: list[dict[str, np.ndarray]],
) -> pd.DataFrame:
    """Per-layer largest gradients at steps 0 and 1 and how much neurons' gradients differ."""
    names = training.layer_names(net)
    rows = []
    for i, (name, g0, g1) in enumerate(zip(names, grads0, grads1, strict=True)):
        dw1 = g1["w"].reshape(-1, g1["w"].shape[-1])
        hidden = i < len(names) - 1
        rows.append(
            {
                "layer": name,
                "max_abs_dw0": float(np.max(np.abs(g0["w"]))),
                "max_abs_db0": float(np.max(np.abs(g0["b"]))) if "b" in g0 else math.nan,
                "max_abs_dw1": float(np.max(np.abs(dw1))),
                "spread1": float(np.max(np.abs(dw1 - dw1[:, :1]))) if hidden else math.nan,
            }
        )
    return pd.DataFrame(rows)


def _symmetry_train(
    net: networks.Network, x: np.ndarray, y: np.ndarray, steps: int, seed: int
) -> training.History:
    return training.train(
        net,
        x,
        y,
        loss="cross_entropy",
        optimizer="momentum",
        lr=SYMMETRY_LR,
        steps=steps,
        seed=seed,
        symmetry_every=max(1, steps // 40),
    )


def _symmetry_run(
    label: str,
    init: str,
    params: InitParams,
    activation: str,
    depth: int,
    width: int,
    steps: int,
    seed: int,
    x: np.ndarray,
    y: np.ndarray,
    heat_layer: int,
) -> SymmetryRun:
    net = networks.build(
        "mlp",
        input_shape=(2,),
        n_outputs=2,
        depth=depth,
        width=width,
        activation=activation,
        init=init,
        init_params=dict(params),
        rng=np.random.default_rng(seed),
    )
    _, grads0 = net.loss_and_grads(x, y, "cross_entropy")
    # One update on a copy gives the step-1 gradients: at step 0 a constant net's hidden
    # gradients are still exactly 0 (its output units are clones too, so their errors cancel).
    after_one = net.copy()
    _symmetry_train(after_one, x, y, 1, seed)
    _, grads1 = after_one.loss_and_grads(x, y, "cross_entropy")
    weights_start = net.params[heat_layer - 1]["w"].copy()
    history = _symmetry_train(net, x, y, steps, seed)
    hidden_norms = history.grad_norm[:, :-1]
    nonzero = np.flatnonzero((hidden_norms != 0).any(axis=1))
    n_hidden = history.distinct_neurons.shape[1]
    distinct = pd.DataFrame(
        {
            "step": np.repeat(history.symmetry_step, n_hidden),
            "layer": np.tile(np.arange(1, n_hidden + 1), len(history.symmetry_step)),
            "distinct": history.distinct_neurons.ravel(),
        }
    )
    curve = pd.DataFrame({"step": history.step, "loss": history.loss, "accuracy": history.accuracy})
    return SymmetryRun(
        label=label,
        init=init,
        grads=_gradient_frame(net, grads0, grads1),
        neuron_grads=pd.DataFrame(
            {
                "neuron": np.arange(1, width + 1),
                "grad0": grads0[0]["w"][0].astype(float),
                "grad1": grads1[0]["w"][0].astype(float),
            }
        ),
        max_hidden_grad_norm=float(np.max(hidden_norms)) if hidden_norms.size else 0.0,
        first_hidden_grad_step=int(history.step[nonzero[0]]) if nonzero.size else None,
        distinct=distinct,
        curve=curve,
        weights_start=weights_start,
        weights_end=net.params[heat_layer - 1]["w"].copy(),
        boundary=boundary_grid(net, x),
        final_loss=float(history.final_loss),
        final_accuracy=float(history.final_accuracy),
        diverged_at=history.diverged_at,
    )


@st.cache_data(max_entries=64, show_spinner=False)
def symmetry_experiment(
    activation: str,
    constant_value: float,
    random_init: str,
    random_params: InitParams,
    depth: int,
    width: int,
    steps: int,
    seed: int,
) -> SymmetryResult:
    """Train the same small MLP from W = 0, W = k and a random initialization (page 1).

    Data: :data:`SYMMETRY_POINTS` points of two moons (seeded). Network: ``depth`` hidden tanh
    (or the chosen activation) layers of ``width`` units, cross-entropy, SGD with momentum 0.9
    and learning rate :data:`SYMMETRY_LR`, full batch, ``steps`` updates. (Not Adam: it divides
    by the gradient's own size, so it would blow rounding noise of 1e-19 up to full-size
    steps.) Biases start at 0; every weight (the output layer's too) comes from the
    initializer, as in :func:`core.networks.build`.

    Returns
    -------
    SymmetryResult
    """
    x, y = datasets.load(SYMMETRY_DATA, SYMMETRY_POINTS, seed)
    heat_layer = 2 if depth >= 2 else 1
    specs = (
        ("Zero (W = 0)", "zeros", ()),
        (f"Constant (W = {constant_value:g})", "constant", (("value", float(constant_value)),)),
        (initializers.REGISTRY[random_init].label, random_init, random_params),
    )
    runs = tuple(
        _symmetry_run(label, init, params, activation, depth, width, steps, seed, x, y, heat_layer)
        for label, init, params in specs
    )
    points = pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "label": y.astype(int)})
    return SymmetryResult(
        runs=runs, points=points, depth=depth, width=width, steps=steps, heat_layer=heat_layer
    )


def initializer_label(init: str) -> str:
    """Display label of a registry initializer (the key of :func:`explorer.charts.init_colors`)."""
    return initializers.REGISTRY[init].label


def distinct_at_end(run: SymmetryRun) -> int:
    """Fewest distinct neurons in any hidden layer at the end of the run."""
    last = run.distinct[run.distinct["step"] == run.distinct["step"].max()]
    return int(last["distinct"].min())


def symmetry_random_init(
    init: str, init_params: InitParams, activation: str
) -> tuple[str, InitParams]:
    """The random initialization page 1 compares against.

    The user's, unless it is symmetric itself (zeros, constant) or not defined for a dense
    layer; then the textbook one for the activation (:func:`well_scaled_init`).
    """
    if initializers.REGISTRY[init].family == "constant" or init not in networks.supported_inits(
        "mlp"
    ):
        return well_scaled_init(activation), ()
    return init, init_params


# =============================================================================================
# ---- Page 2: vanishing ----
# =============================================================================================

SMALL_RANDOM = "small_random"
#: The stall demo trains this MLP on two moons with plain momentum SGD (Adam would rescale
#: tiny gradients and hide the lesson).
STALL_DEPTH = 5
STALL_WIDTH = 32
STALL_POINTS = 200
STALL_STEPS = 200
STALL_LR = 0.05
#: Losses above this are left off the page-2 loss chart (a diverging run reaches 1e160 and
#: would flatten every other curve); the summary keeps the true maximum.
STALL_LOSS_CAP = 100.0


def vanishing_series(
    init: str, init_params: InitParams, activation: str, network: str
) -> tuple[tuple[str, str, InitParams], ...]:
    """(label, init, params) of the series page 2 compares.

    Small random N(0, 0.01²), the user's initializer (when different) and the textbook one for
    the activation (when different).
    """
    good = well_scaled_init(activation)
    if network == "cnn" and good not in networks.supported_inits("cnn"):
        good = "he_normal"
    out = [(initializers.REGISTRY[SMALL_RANDOM].label, SMALL_RANDOM, ())]
    if init != SMALL_RANDOM:
        out.append((initializers.REGISTRY[init].label, init, init_params))
    if good not in (init, SMALL_RANDOM):
        out.append((initializers.REGISTRY[good].label, good, ()))
    return tuple(out)


@st.cache_data(max_entries=64, show_spinner=False)
def vanishing_probe(
    network: str,
    activation: str,
    series: tuple[tuple[str, str, InitParams], ...],
    depth: int,
    width: int,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-layer stats of the page-2 series on the user's network (same inputs and seed).

    Parameters
    ----------
    series : tuple of (label, init, params)
        From :func:`vanishing_series`; the first one is small random.

    Returns
    -------
    layers : DataFrame
        :func:`stats_frame` rows of every series; for an MLP also the mean-field prediction
        for small random (:func:`predicted_small_random`, series "theory: small random").
    summary : DataFrame
        One row per series: series, init, sigma_w2, rule_factor (sqrt(sigma_w2 E[f'(0)^2]),
        the small-signal per-layer factor) and :func:`summary_row` fields.
    """
    slope2 = small_signal_slope2(activation)
    frames = []
    rows = []
    for label, init, params in series:
        stats = quick_stats(network, activation, init, params, depth, width, seed)
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
    if network == "mlp":
        top = float(frames[0]["grad_std"].iloc[-1])
        frames.append(predicted_small_random(activation, depth, width, top))
    return pd.concat(frames, ignore_index=True), pd.DataFrame(rows)


def predicted_small_random(
    activation: str, depth: int, width: int, measured_grad_top: float
) -> pd.DataFrame:
    """Mean-field prediction of the small-random MLP's per-layer std (:mod:`core.theory`).

    Returns
    -------
    DataFrame
        Columns layer, act_std, grad_std and series "theory: small random". The gradient curve
        is anchored at the measured top-layer value (theory gives its shape, the probe's
        injected gradient its level).
    """
    pred = theory.predicted_stats(activation, SMALL_RANDOM, depth=depth, width=width)
    with np.errstate(all="ignore"):
        grad = pred.grad_std / pred.grad_std[-1] * measured_grad_top
    return pd.DataFrame(
        {
            "series": "theory: small random",
            "layer": pred.layer,
            "act_std": pred.act_std,
            "grad_std": grad,
        }
    )


def _finite_max(values: np.ndarray) -> float:
    """Largest finite entry, NaN when there is none (no warning)."""
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else math.nan


@st.cache_data(max_entries=64, show_spinner=False)
def stall_training(
    activation: str, series: tuple[tuple[str, str, InitParams], ...], seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Train the page-2 MLP from each initialization (same data, seed and optimizer).

    Returns
    -------
    curves : DataFrame
        step, loss, loss_shown (loss, with values above :data:`STALL_LOSS_CAP` set to inf,
        which :func:`explorer.charts.training_curves` leaves out), accuracy, series.
    summary : DataFrame
        series, init, first_loss, final_loss, final_accuracy, max_loss (largest finite
        recorded loss), diverged_at (NaN when the run
        completed), layer1_grad (norm of the first hidden layer's weight gradient at step 0),
        output_grad (the output layer's).
    diverged : DataFrame
        step, series of runs that turned non-finite (for the chart's red rule).
    """
    x, y = datasets.load("moons", STALL_POINTS, seed)
    curves = []
    rows = []
    diverged = []
    for label, init, params in series:
        mlp_init = init if init in networks.supported_inits("mlp") else "orthogonal"
        net = networks.build(
            "mlp",
            input_shape=(2,),
            n_outputs=2,
            depth=STALL_DEPTH,
            width=STALL_WIDTH,
            activation=activation,
            init=mlp_init,
            init_params=dict(params),
            rng=np.random.default_rng(seed),
        )
        history = training.train(
            net,
            x,
            y,
            loss="cross_entropy",
            optimizer="momentum",
            lr=STALL_LR,
            steps=STALL_STEPS,
            seed=seed,
            symmetry_every=STALL_STEPS,
        )
        with np.errstate(all="ignore"):
            shown = np.where(history.loss > STALL_LOSS_CAP, np.inf, history.loss)
        curves.append(
            pd.DataFrame(
                {
                    "step": history.step,
                    "loss": history.loss,
                    "loss_shown": shown,
                    "accuracy": history.accuracy,
                    "series": label,
                }
            )
        )
        rows.append(
            {
                "series": label,
                "init": init,
                "first_loss": float(history.loss[0]),
                "final_loss": float(history.final_loss),
                "final_accuracy": float(history.final_accuracy),
                "max_loss": _finite_max(history.loss),
                # NaN when the run completed, so the column stays numeric.
                "diverged_at": math.nan if history.diverged_at is None else history.diverged_at,
                "layer1_grad": float(history.grad_norm[0, 0]),
                "output_grad": float(history.grad_norm[0, -1]),
            }
        )
        if history.diverged_at is not None:
            diverged.append({"step": history.diverged_at, "series": label})
    return (
        pd.concat(curves, ignore_index=True),
        pd.DataFrame(rows),
        pd.DataFrame(diverged, columns=["step", "series"]),
    )


def relu_check(network: str, depth: int, width: int, seed: int) -> pd.DataFrame:
    """ReLU nets vanish too: small random, LeCun (Var = 1/fan_in) and He on the user's net.

    Returns
    -------
    DataFrame
        One row per scheme: series, init, sigma_w2, rule_factor (sqrt(sigma_w2 / 2), the
        per-layer factor ReLU predicts), and the :class:`LayerSummary` fields.
    """
    rows = []
    for init in (SMALL_RANDOM, "lecun_normal", "he_normal"):
        stats = quick_stats(network, "relu", init, (), depth, width, seed)
        sw2 = init_sigma_w2(network, init, (), width)
        rows.append(
            {
                "series": initializers.REGISTRY[init].label,
                "init": init,
                "sigma_w2": sw2,
                "rule_factor": math.sqrt(sw2 / 2.0),
                **summary_row(summarize_layers(stats)),
            }
        )
    return pd.DataFrame(rows)


# ---- Page 6: playground ---------------------------------------------------------------------


DataOptions = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class PlaygroundPreset:
    """Defaults and server-protecting limits of the playground for one network type.

    Attributes
    ----------
    dataset : str
        Default data set (a key of ``core.datasets.DATASETS`` that fits the network).
    depth, depth_max, width, width_max : int
        Size of the trained network: default and upper limit (lower limits are 1 and 2).
    n : int
        Number of training samples drawn from the data set.
    optimizer : str
    lr : float
    steps, steps_max : int
    batch : int
        Mini-batch size; 0 means the whole data set every step.
    """

    dataset: str
    depth: int
    depth_max: int
    width: int
    width_max: int
    n: int
    optimizer: str
    lr: float
    steps: int
    steps_max: int
    batch: int


PLAYGROUND_PRESETS: dict[str, PlaygroundPreset] = {
    "mlp": PlaygroundPreset("moons", 4, 30, 32, 128, 512, "sgd", 0.1, 300, 2000, 128),
    "resmlp": PlaygroundPreset("moons", 4, 30, 32, 128, 512, "sgd", 0.1, 300, 2000, 128),
    "cnn": PlaygroundPreset("shapes", 3, 6, 8, 16, 256, "adam", 0.01, 150, 500, 32),
    "rnn": PlaygroundPreset("adding", 1, 3, 32, 64, 512, "adam", 0.01, 500, 2000, 64),
}
PLAYGROUND_MAX_INITS = 6
PLAYGROUND_LRS: tuple[float, ...] = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
#: Mini-batch sizes offered; 0 = full batch.
PLAYGROUND_BATCHES: tuple[int, ...] = (16, 32, 64, 128, 256, 0)
#: Clipping thresholds of the global gradient norm offered; 0 = no clipping.
PLAYGROUND_CLIPS: tuple[float, ...] = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0)
#: Cells per side of the decision-boundary grid.
PLAYGROUND_GRID = 60
#: Largest estimated training time of one comparison, in seconds on one core.
PLAYGROUND_MAX_SECONDS = 20.0
#: The playground's own query parameters (next to the shared config in the share link).
PLAYGROUND_QUERY_KEYS: tuple[str, ...] = (
    "data",
    "inits",
    "optimizer",
    "lr",
    "steps",
    "batch",
    "clip",
    "train_depth",
    "train_width",
    "length",
)
#: Sequence length of the RNN tasks: default and the server's limit.
PLAYGROUND_LENGTH = 20
PLAYGROUND_LENGTH_MAX = 100
#: Initializers the default comparison adds to the user's, in order of preference: the
#: tutorial's small random weights against the schemes designed for each network type.
_COMPARE_WITH: dict[str, tuple[str, ...]] = {
    "mlp": ("small_random", "glorot_normal", "he_normal", "lecun_normal", "orthogonal"),
    "resmlp": ("small_random", "glorot_normal", "he_normal", "lecun_normal", "orthogonal"),
    "cnn": ("small_random", "he_normal", "delta_orthogonal", "glorot_normal", "lecun_normal"),
    "rnn": ("small_random", "orthogonal", "identity", "glorot_normal", "he_normal"),
}
#: Throughput assumed by the time estimate (multiply-adds per second on one core; measured
#: 1.2e10 dense, 5e9 conv, 9e9 recurrent with other jobs running) and the fixed Python cost
#: of one layer (or one recurrent time step) per training step, in seconds (measured 4e-5).
_DENSE_MACS_PER_S = 8e9
_CONV_MACS_PER_S = 3e9
_RNN_MACS_PER_S = 6e9
_LAYER_OVERHEAD_S = 6e-5


@dataclass(frozen=True)
class PlaygroundSettings:
    """Everything the playground's own widgets choose (validated)."""

    dataset: str
    inits: tuple[str, ...]
    optimizer: str
    lr: float
    steps: int
    batch: int
    clip: float
    depth: int
    width: int
    length: int

    def data_options(self) -> DataOptions:
        """Options passed to ``core.datasets.load`` (the sequence length of the RNN tasks)."""
        return _data_options(self.dataset, self.length)

    def to_query(self) -> dict[str, str]:
        """The settings as query parameters (names in :data:`PLAYGROUND_QUERY_KEYS`).

        ``length`` is included only for the sequence tasks, where it applies.
        """
        from explorer.controls import format_value

        return {
            "data": self.dataset,
            "inits": ",".join(self.inits),
            "optimizer": self.optimizer,
            "lr": format_value(self.lr),
            "steps": str(self.steps),
            "batch": str(self.batch),
            "clip": format_value(self.clip),
            "train_depth": str(self.depth),
            "train_width": str(self.width),
        } | ({"length": str(self.length)} if self.data_options() else {})


def playground_length_max(dataset: str) -> int:
    """Longest sequence the playground trains on for ``dataset`` (0: not a sequence task)."""
    for option in datasets.DATASETS[dataset].options:
        if option.name == "length":
            return int(min(option.high, PLAYGROUND_LENGTH_MAX))
    return 0


def _data_options(dataset: str, length: int) -> DataOptions:
    """``(("length", T),)`` for sequence tasks (T clamped to the task's range), else ``()``."""
    high = playground_length_max(dataset)
    return (("length", max(2, min(int(length), high))),) if high else ()


def playground_datasets(network: str) -> tuple[str, ...]:
    """Data sets whose inputs fit the network type, in registry order."""
    return tuple(name for name, spec in datasets.DATASETS.items() if network in spec.kinds)


def playground_default_inits(network: str, user_init: str) -> tuple[str, ...]:
    """The default comparison: the user's initializer plus three classics that fit the network."""
    allowed = networks.supported_inits(network)
    picks = [user_init] if user_init in allowed else []
    for name in _COMPARE_WITH[network]:
        if len(picks) == 4:
            break
        if name in allowed and name not in picks:
            picks.append(name)
    return tuple(picks)


def parse_playground(
    raw: Mapping[str, object], network: str, user_init: str
) -> tuple[PlaygroundSettings, dict[str, str]]:
    """Validate the playground's settings (from the URL or from widgets); never raises.

    Parameters
    ----------
    raw : mapping
        Values by query name (:data:`PLAYGROUND_QUERY_KEYS`), as strings (URL) or as widget
        values. Missing names take their default.
    network : str
        The shared config's network type (decides data sets, initializers and limits).
    user_init : str
        The shared config's initializer (first in the default comparison).

    Returns
    -------
    settings : PlaygroundSettings
    problems : dict of str to str
        One Markdown sentence per rejected value, by query name.
    """
    preset = PLAYGROUND_PRESETS[network]
    problems: dict[str, str] = {}

    def reject(name: str, why: str, default: object) -> None:
        shown = f"{default:g}" if isinstance(default, float) else default
        problems[name] = f"`{name}` = `{controls.shown_value(raw[name])}` {why}; using {shown}."

    def number(name: str, default: float, low: float, high: float, *, whole: bool) -> float:
        if name not in raw:
            return default
        try:
            value = float(str(raw[name]).strip())
        except ValueError:
            reject(name, "is not a number", default)
            return default
        if not math.isfinite(value) or (whole and not value.is_integer()):
            reject(name, "is not a whole number" if whole else "is not a number", default)
            return default
        if not low <= value <= high:
            reject(name, f"is outside the allowed range {low:g}–{high:g}", default)
            return default
        return value

    def choice(name: str, options: tuple[str, ...], default: str) -> str:
        if name not in raw:
            return default
        value = str(raw[name]).strip()
        if value not in options:
            reject(name, f"is not one of {', '.join(options)}", default)
            return default
        return value

    dataset = choice("data", playground_datasets(network), preset.dataset)
    optimizer = choice("optimizer", training.OPTIMIZERS, preset.optimizer)
    lr = number("lr", preset.lr, PLAYGROUND_LRS[0], PLAYGROUND_LRS[-1], whole=False)
    lr = min(PLAYGROUND_LRS, key=lambda o: abs(math.log(o) - math.log(lr)))
    steps = int(number("steps", preset.steps, 10, preset.steps_max, whole=True))
    batch = int(number("batch", preset.batch, 0, 256, whole=True))
    if batch not in PLAYGROUND_BATCHES:
        problems["batch"] = (
            f"`batch` = `{batch}` is not one of "
            f"{', '.join(map(str, PLAYGROUND_BATCHES))} (0 = full batch); using {preset.batch}."
        )
        batch = preset.batch
    clip = number("clip", 0.0, 0.0, PLAYGROUND_CLIPS[-1], whole=False)
    if clip not in PLAYGROUND_CLIPS:
        clip = min(PLAYGROUND_CLIPS, key=lambda o: abs(o - clip))
    depth = int(number("train_depth", preset.depth, 1, preset.depth_max, whole=True))
    width = int(number("train_width", preset.width, 2, preset.width_max, whole=True))
    length = int(number("length", PLAYGROUND_LENGTH, 2, PLAYGROUND_LENGTH_MAX, whole=True))

    defaults = playground_default_inits(network, user_init)
    inits = defaults
    if "inits" in raw:
        value = raw["inits"]
        names = value if isinstance(value, list | tuple) else str(value).split(",")
        names = [str(n).strip() for n in names if str(n).strip()]
        allowed = networks.supported_inits(network)
        bad = [n for n in names if n not in allowed]
        picked = tuple(dict.fromkeys(n for n in names if n in allowed))
        if bad:
            problems["inits"] = (
                f"`inits`: `{controls.shown_value(','.join(bad))}` not available for this network "
                f"type (valid: {', '.join(allowed)}); ignored."
            )
        if len(picked) > PLAYGROUND_MAX_INITS:
            problems["inits"] = (
                f"`inits`: at most {PLAYGROUND_MAX_INITS} initializers; kept the first "
                f"{PLAYGROUND_MAX_INITS}."
            )
            picked = picked[:PLAYGROUND_MAX_INITS]
        inits = picked if picked or not bad else defaults
    settings = PlaygroundSettings(
        dataset, inits, optimizer, lr, steps, batch, clip, depth, width, length
    )
    return settings, problems


def _data_shapes(dataset: str, options: DataOptions) -> tuple[tuple[int, ...], int]:
    return (
        datasets.input_shape_of(dataset, **dict(options)),
        datasets.n_outputs_of(dataset, **dict(options)),
    )


def playground_seconds(network: str, settings: PlaygroundSettings) -> float:
    """Rough single-core training time of a whole comparison, for the server's budget.

    Multiply-adds of a forward pass times three (forward + backward) at a conservative
    throughput, plus a fixed Python cost per layer and step.
    """
    preset = PLAYGROUND_PRESETS[network]
    shape, n_out = _data_shapes(settings.dataset, settings.data_options())
    batch = preset.n if settings.batch == 0 else min(settings.batch, preset.n)
    d, w = settings.depth, settings.width
    if network == "cnn":
        h, wd, c = shape
        macs = h * wd * 9 * (c * w + (d - 1) * w * w) + w * n_out
        rate = _CONV_MACS_PER_S
        units = d + 1
    elif network == "rnn":
        t, c = shape
        macs = t * (c * w + w * w + (d - 1) * 2 * w * w) + w * n_out
        rate = _RNN_MACS_PER_S
        units = d * t + 1  # one small step per layer and time step
    else:
        macs = shape[0] * w + (d - 1 + (network == "resmlp")) * w * w + w * n_out
        rate = _DENSE_MACS_PER_S
        units = d + 1
    per_step = 3 * batch * macs / rate + _LAYER_OVERHEAD_S * units
    return per_step * settings.steps * max(len(settings.inits), 1)


@st.cache_data(max_entries=16, show_spinner=False)
def playground_data(
    dataset: str, options: DataOptions, n: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The training set (same seed, same data for every initializer)."""
    return datasets.load(dataset, n, seed, **dict(options))


def _grid_extent(x: np.ndarray) -> tuple[float, float, float, float]:
    low, high = x.min(axis=0), x.max(axis=0)
    pad = 0.1 * (high - low)
    return (
        float(low[0] - pad[0]),
        float(high[0] + pad[0]),
        float(low[1] - pad[1]),
        float(high[1] + pad[1]),
    )


def _boundary(net: networks.Network, extent: tuple[float, float, float, float]) -> pd.DataFrame:
    """The network's prediction on a ``PLAYGROUND_GRID``² grid of cells (2-D inputs only).

    Columns x0, x0_end, x1, x1_end (cell corners), p (probability of class 1 for two classes,
    else the probability of the predicted class), cls (predicted class), status ("ok" or
    "NaN" when the output is not finite).
    """
    g = PLAYGROUND_GRID
    e0 = np.linspace(extent[0], extent[1], g + 1)
    e1 = np.linspace(extent[2], extent[3], g + 1)
    c0, c1 = (e0[:-1] + e0[1:]) / 2, (e1[:-1] + e1[1:]) / 2
    i0, i1 = np.meshgrid(np.arange(g), np.arange(g), indexing="ij")
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
            "p": p,
            "cls": cls,
            "status": np.where(ok, "ok", "NaN"),
        }
    )


def playground_points(dataset: str, n: int, seed: int, *, limit: int = 200) -> pd.DataFrame:
    """A sample of the 2-D training points for the charts (columns x0, x1, label)."""
    x, y = playground_data(dataset, (), n, seed)
    return pd.DataFrame({"x0": x[:limit, 0], "x1": x[:limit, 1], "label": y[:limit].astype(str)})


def _build(
    network: str,
    activation: str,
    init: str,
    init_params: InitParams,
    depth: int,
    width: int,
    dataset: str,
    options: DataOptions,
    seed: int,
) -> networks.Network:
    shape, n_out = _data_shapes(dataset, options)
    return networks.build(
        network,
        input_shape=shape,
        n_outputs=n_out,
        depth=depth,
        width=width,
        activation=activation,
        init=init,
        init_params=dict(init_params),
        rng=np.random.default_rng(seed),
    )


@dataclass(frozen=True)
class PlaygroundStart:
    """One initializer's network before training, on the playground's data.

    Attributes
    ----------
    init : str
    act_std : DataFrame
        Columns series, layer, act_std: std of each hidden layer's activations on the data
        (``inf`` where they overflowed).
    loss, score : float
        Loss and accuracy (classification) or R² (regression) on the whole data set.
    grid : DataFrame or None
        :func:`_boundary` at initialization (2-D data sets only).
    time_grad : DataFrame or None
        RNN only: columns series, layer (the time step t, 1..T), grad_rel: RMS of dL/dh_t of
        the top recurrent layer relative to the last step's (1 at t = T).
    """

    init: str
    act_std: pd.DataFrame
    loss: float
    score: float
    grid: pd.DataFrame | None
    time_grad: pd.DataFrame | None = None


def _score(output: np.ndarray, y: np.ndarray, loss_name: str, loss: float) -> float:
    if loss_name == "cross_entropy":
        with np.errstate(all="ignore"):
            return float(np.mean(np.argmax(output, axis=1) == y))
    return 1.0 - loss / _target_variance(y)


def _target_variance(y: np.ndarray) -> float:
    """MSE of always predicting the mean: the baseline R² compares against."""
    return float(np.mean(np.var(y, axis=0))) or 1.0


@st.cache_data(max_entries=64, show_spinner=False)
def playground_start(
    network: str,
    activation: str,
    init: str,
    init_params: InitParams,
    depth: int,
    width: int,
    dataset: str,
    options: DataOptions,
    seed: int,
) -> PlaygroundStart:
    """The untrained network of one initializer on the playground's data (cached).

    Parameters
    ----------
    network, activation, init : str
    init_params : tuple of (name, value) pairs
    depth, width : int
        The playground's network size.
    dataset : str
    options : tuple of (name, value) pairs
        Data-set options (:meth:`PlaygroundSettings.data_options`).
    seed : int
        Seeds the data and the weights (the same for every initializer).

    Returns
    -------
    PlaygroundStart
    """
    n = PLAYGROUND_PRESETS[network].n
    x, y = playground_data(dataset, options, n, seed)
    net = _build(network, activation, init, init_params, depth, width, dataset, options, seed)
    label = initializers.REGISTRY[init].label
    with np.errstate(all="ignore"):
        trace = net.forward(x)
        hidden = trace.a[:-1]
        stds = np.array([float(np.std(a)) if np.isfinite(a).all() else np.inf for a in hidden])
        loss_name = datasets.DATASETS[dataset].loss
        loss, dout = networks.loss_and_output_grad(trace.output, y, loss_name)
        score = _score(trace.output, y, loss_name, loss)
        time_grad = None
        if network == "rnn":
            # One recurrent matrix is applied at every time step: how much of the gradient
            # reaching the last hidden state survives the way back to step t.
            _, back = net.backward(trace, dout, need_input_grad=False)
            per_step = np.sqrt(np.mean(back.da[-2] ** 2, axis=(0, 2)))  # RMS of dL/dh_t
            relative = per_step / per_step[-1] if per_step[-1] > 0 else per_step
            time_grad = pd.DataFrame(
                {
                    "series": label,
                    "layer": np.arange(1, per_step.size + 1),
                    "grad_rel": relative,
                }
            )
    first = 0 if network == "resmlp" else 1  # resmlp: 0 is the input projection
    act_std = pd.DataFrame(
        {"series": label, "layer": np.arange(first, first + len(hidden)), "act_std": stds}
    )
    grid = _boundary(net, _grid_extent(x)) if x.ndim == 2 and x.shape[1] == 2 else None
    return PlaygroundStart(init, act_std, float(loss), float(score), grid, time_grad)


def playground_start_frame(
    starts: Sequence[PlaygroundStart], which: str = "act_std"
) -> pd.DataFrame:
    """Stack one per-layer frame of several untrained networks ("act_std" or "time_grad")."""
    return pd.concat([getattr(start, which) for start in starts], ignore_index=True)


@dataclass(frozen=True)
class PlaygroundRun:
    """One initializer trained on the playground's data.

    Attributes
    ----------
    init, label : str
    init_params : tuple of (name, value) pairs
    history : core.training.History
    score : ndarray, shape (R,)
        Per recorded step: batch accuracy (classification) or R² = 1 - loss / Var(y)
        (regression).
    final_score : float
        Accuracy or R² of the final weights on the whole data set.
    grid : DataFrame or None
        :func:`_boundary` after training (2-D data only).
    seconds : float
        Wall time of the training run.
    task : str
        "classification" or "regression".
    baseline : float
        Loss of a guess that ignores the input: ln(classes) for uniform class probabilities,
        Var(y) for predicting the mean.
    """

    init: str
    label: str
    init_params: InitParams
    history: training.History
    score: np.ndarray
    final_score: float
    grid: pd.DataFrame | None
    seconds: float
    task: str
    baseline: float


@st.cache_data(max_entries=48, max_size="96MB", show_spinner=False)
def playground_run(
    network: str,
    activation: str,
    init: str,
    init_params: InitParams,
    depth: int,
    width: int,
    dataset: str,
    options: DataOptions,
    seed: int,
    optimizer: str,
    lr: float,
    steps: int,
    batch: int,
    clip: float,
    _progress: Callable[[int, int], None] | None = None,
) -> PlaygroundRun:
    """Train one initializer's network (cached per argument tuple; ``_progress`` is not hashed).

    Parameters
    ----------
    network, activation, init : str
    init_params : tuple of (name, value) pairs
    depth, width : int
    dataset : str
    options : tuple of (name, value) pairs
    seed : int
        Seeds the data, the weights and the mini-batch order.
    optimizer : str
        "sgd", "momentum" or "adam".
    lr : float
    steps : int
    batch : int
        Mini-batch size, 0 for the full data set.
    clip : float
        Global gradient-norm clip, 0 for none.
    _progress : callable, optional
        ``_progress(step, total)`` about a hundred times per run. It must not draw Streamlit
        elements (st.cache_data would record them and fail to replay them on a cache hit);
        :func:`playground_train` uses it to feed a queue and draws from the script thread.

    Returns
    -------
    PlaygroundRun
    """
    import time

    n = PLAYGROUND_PRESETS[network].n
    x, y = playground_data(dataset, options, n, seed)
    spec = datasets.DATASETS[dataset]
    net = _build(network, activation, init, init_params, depth, width, dataset, options, seed)

    def callback(step: int, total: int, _history: training.History) -> None:
        if _progress is not None:
            _progress(step, total)

    start = time.perf_counter()
    history = training.train(
        net,
        x,
        y,
        loss=spec.loss,
        optimizer=optimizer,
        lr=lr,
        steps=steps,
        batch_size=None if batch == 0 else batch,
        clip=None if clip == 0 else clip,
        seed=seed,
        callback=callback,
    )
    seconds = time.perf_counter() - start
    if spec.task == "classification":
        score = history.accuracy.copy()
        final_score = history.final_accuracy
        baseline = math.log(net.n_outputs)
    else:
        baseline = _target_variance(y)
        score = 1.0 - history.loss / baseline
        final_score = 1.0 - history.final_loss / baseline
    grid = _boundary(net, _grid_extent(x)) if x.ndim == 2 and x.shape[1] == 2 else None
    return PlaygroundRun(
        init=init,
        label=initializers.REGISTRY[init].label,
        init_params=init_params,
        history=history,
        score=score,
        final_score=float(final_score),
        grid=grid,
        seconds=seconds,
        task=spec.task,
        baseline=baseline,
    )


def playground_train(
    jobs: Sequence[Mapping[str, object]],
    on_progress: Callable[[int, int, int], None],
    *,
    poll: float = 0.05,
) -> list[PlaygroundRun]:
    """Run :func:`playground_run` for several jobs, reporting progress from the calling thread.

    Each run executes in a worker thread that only pushes ``(step, total)`` into a queue; the
    calling (script) thread drains it and calls ``on_progress(job_index, step, total)``, which
    may draw Streamlit elements (a progress bar). Drawing inside the cached function instead
    would be recorded by st.cache_data and break its replay on a cache hit.

    Parameters
    ----------
    jobs : sequence of mapping
        Keyword arguments of :func:`playground_run` (without ``_progress``).
    on_progress : callable
        ``on_progress(job_index, step, total)``.
    poll : float
        Seconds between checks of the queue.

    Returns
    -------
    list of PlaygroundRun
        In the order of ``jobs``. A cached job returns at once, without progress calls.
    """
    import queue
    from concurrent.futures import ThreadPoolExecutor, wait

    runs: list[PlaygroundRun] = []
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playground")
    try:
        for index, job in enumerate(jobs):
            events: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()
            future = pool.submit(
                playground_run, **job, _progress=lambda s, t, q=events: q.put((s, t))
            )
            while True:
                done = future.done()
                latest = None
                while not events.empty():
                    latest = events.get()
                if latest is not None:
                    on_progress(index, *latest)
                if done:
                    break
                wait([future], timeout=poll)
            runs.append(future.result())
    finally:
        # A rerun interrupts the script thread; let the worker finish (and fill the cache)
        # in the background instead of blocking the new run.
        pool.shutdown(wait=False, cancel_futures=True)
    return runs


def _thin(n_rows: int, limit: int) -> np.ndarray:
    """Row indices: at most ``limit`` evenly spaced rows, always the first and the last."""
    if n_rows <= limit:
        return np.arange(n_rows)
    return np.unique(np.linspace(0, n_rows - 1, limit).round().astype(int))


def playground_curves(
    runs: Sequence[PlaygroundRun], *, limit: int = 300
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Loss and score curves of every run, thinned, and where runs diverged.

    Returns
    -------
    curves : DataFrame
        Columns series, step, loss, score (at most ``limit`` rows per run; the diverged row,
        if any, is always kept).
    diverged : DataFrame
        Columns series, step: one row per run that stopped at a non-finite value.
    """
    frames, stops = [], []
    for run in runs:
        h = run.history
        rows = _thin(len(h.step), limit)
        frames.append(
            pd.DataFrame(
                {
                    "series": run.label,
                    "step": h.step[rows],
                    "loss": h.loss[rows],
                    "score": run.score[rows],
                }
            )
        )
        if h.diverged_at is not None:
            stops.append({"series": run.label, "step": h.diverged_at})
    curves = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return curves, pd.DataFrame(stops, columns=["series", "step"])


def playground_grad_frame(runs: Sequence[PlaygroundRun], *, limit: int = 60) -> pd.DataFrame:
    """Per-layer gradient norms over training, one cell per (run, step bin, layer).

    Returns
    -------
    DataFrame
        Columns series, layer (name), layer_index, step, step_end, grad_norm, log10_norm
        (NaN unless finite and positive), status ("ok", "zero", "overflow", "NaN"). At most
        ``limit`` step bins per run; each bin shows the norm at its first recorded step.
    """
    frames = []
    for run in runs:
        h = run.history
        rows = _thin(len(h.step), limit)
        steps = h.step[rows]
        ends = np.append(steps[1:], max(h.step[-1] + 1, steps[-1] + 1))
        norms = h.grad_norm[rows]  # (B, L)
        n_bins, n_layers = norms.shape
        values = norms.ravel()
        status = np.full(values.shape, "ok", dtype=object)
        status[values == 0] = "zero"
        status[np.isinf(values)] = "overflow"
        status[np.isnan(values)] = "NaN"
        with np.errstate(all="ignore"):
            log10 = np.where(status == "ok", np.log10(np.where(values > 0, values, 1.0)), np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "series": run.label,
                    "layer": np.tile(np.array(h.layer_names, dtype=object), n_bins),
                    "layer_index": np.tile(np.arange(n_layers), n_bins),
                    "step": np.repeat(steps, n_layers),
                    "step_end": np.repeat(ends, n_layers),
                    "grad_norm": values,
                    "log10_norm": log10,
                    "status": status,
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def log_color_domain(values: pd.Series, *, spread: float = 0.02) -> tuple[float, float]:
    """Colour range of a log10 heatmap: robust quantiles of the finite values.

    The 2 % and 98 % quantiles, but at most 6 decades below and 4 above the median: one run
    that overflows to 1e200 would otherwise paint every other cell the same colour. Cells
    outside the range take the end colours (the chart clamps).
    """
    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return (-1.0, 1.0)
    low, high = np.quantile(finite, [spread, 1.0 - spread])
    median = float(np.median(finite))
    low, high = max(low, median - 6.0), min(high, median + 4.0)
    if high - low < 1.0:
        mid = (high + low) / 2
        low, high = mid - 0.5, mid + 0.5
    return float(low), float(high)


def loss_domain(curves: pd.DataFrame, baseline: float) -> tuple[float, float, float]:
    """Log-axis range of the loss chart and the largest finite loss.

    The top is capped at 1000 × ``baseline`` (the loss of ignoring the input) so that one
    exploding run does not flatten every other curve; the chart clamps what lies above.

    Returns
    -------
    low, high, peak : float
    """
    loss = curves["loss"].to_numpy(dtype=float)
    ok = loss[np.isfinite(loss) & (loss > 0)]
    if not ok.size:
        return (max(baseline, 1e-12) / 10, max(baseline, 1e-12) * 10, math.nan)
    peak = float(ok.max())
    high = min(peak, 1000.0 * baseline) if baseline > 0 else peak
    low = float(ok.min())
    return low / 1.5, max(high * 1.5, low * 10), peak


def steps_to_target(run: PlaygroundRun, target: float, *, window: int = 1) -> int | None:
    """First step at which the score, averaged over ``window`` recorded steps, reached ``target``.

    Averaging over about one epoch keeps a lucky mini-batch from counting. None when the run
    never got there.
    """
    score = np.nan_to_num(run.score, nan=-np.inf)
    if window > 1 and score.size >= window:
        kernel = np.ones(window) / window
        with np.errstate(all="ignore"):
            smooth = np.convolve(score, kernel, mode="valid")
        hits = np.flatnonzero(smooth >= target)
        return int(run.history.step[hits[0] + window - 1]) if hits.size else None
    hits = np.flatnonzero(score >= target)
    return int(run.history.step[hits[0]]) if hits.size else None


def playground_table(
    runs: Sequence[PlaygroundRun], target: float, *, window: int = 1
) -> pd.DataFrame:
    """The results table: one row per initializer.

    Columns: initializer, final loss, final score (accuracy or R² on the whole data set),
    steps to target (NaN when never reached), diverged at (NaN when it did not), clipped
    updates, seconds.
    """
    rows = []
    for run in runs:
        h = run.history
        reached = steps_to_target(run, target, window=window)
        rows.append(
            {
                "initializer": run.label,
                "final loss": h.final_loss if h.diverged_at is None else math.nan,
                "final score": run.final_score if h.diverged_at is None else math.nan,
                "steps to target": math.nan if reached is None else reached,
                "diverged at": math.nan if h.diverged_at is None else h.diverged_at,
                "clipped updates": h.n_clipped,
                "seconds": run.seconds,
            }
        )
    return pd.DataFrame(rows)


def playground_window(network: str, batch: int) -> int:
    """Recorded steps in one epoch (the averaging window of :func:`steps_to_target`), <= 20."""
    n = PLAYGROUND_PRESETS[network].n
    return 1 if batch == 0 or batch >= n else min(20, math.ceil(n / batch))


def first_layer_grad(run: PlaygroundRun) -> float:
    """Norm of the first layer's weight gradient at step 0 (NaN if nothing was recorded)."""
    norms = run.history.grad_norm
    return float(norms[0, 0]) if norms.size else math.nan


def playground_summary(table: pd.DataFrame, *, target: float, task: str) -> str:
    """One plain sentence about the results table: who got there first, who stalled or diverged.

    Parameters
    ----------
    table : DataFrame
        :func:`playground_table`.
    target : float
        The target accuracy (classification) or R² (regression).
    task : str
        "classification" or "regression".
    """
    what = f"{target:.0%} accuracy" if task == "classification" else f"R² = {target:g}"
    parts = []
    reached = table.dropna(subset=["steps to target"]).sort_values("steps to target")
    if len(reached):
        best = reached.iloc[0]
        parts.append(
            f"{best['initializer']} reached {what} first, at step {int(best['steps to target'])}"
        )
    else:
        parts.append(f"no initializer reached {what}")
    stalled = table[table["steps to target"].isna() & table["diverged at"].isna()]
    for _, row in stalled.iterrows():
        score = (
            f"accuracy {row['final score']:.0%}"
            if task == "classification"
            else f"R² {row['final score']:.2f}"
        )
        parts.append(f"{row['initializer']} never did ({score}, loss {row['final loss']:.3g})")
    for _, row in table.dropna(subset=["diverged at"]).iterrows():
        parts.append(f"{row['initializer']} diverged at step {int(row['diverged at'])}")
    return "; ".join(parts) + "."


def boundary_spread(grid: pd.DataFrame) -> float:
    """Range (max - min) of the predicted probability over a :func:`_boundary` grid."""
    return float(grid["p"].max() - grid["p"].min())


def playground_table_display(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`playground_table` for display: steps as text, "never" and "no" instead of NaN."""
    out = table.copy()
    out["steps to target"] = [
        "never" if v != v else str(int(v)) for v in table["steps to target"].to_numpy(dtype=float)
    ]
    out["diverged at"] = [
        "no" if v != v else str(int(v)) for v in table["diverged at"].to_numpy(dtype=float)
    ]
    return out


def playground_history_frame(runs: Sequence[PlaygroundRun]) -> pd.DataFrame:
    """Every recorded step of every run in one long table (the CSV export).

    Columns: initializer, init_key, step, loss, score, then one ``grad_norm <layer>`` column per
    layer.
    """
    frames = []
    for run in runs:
        h = run.history
        frame = pd.DataFrame(
            {
                "initializer": run.label,
                "init_key": run.init,
                "step": h.step,
                "loss": h.loss,
                "accuracy" if run.task == "classification" else "r2": run.score,
            }
        )
        for i, name in enumerate(h.layer_names):
            frame[f"grad_norm {name}"] = h.grad_norm[:, i]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _json_number(value: float) -> float | str | None:
    """JSON has no NaN or infinity: write them as null and "inf"."""
    value = float(value)
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def playground_json(runs: Sequence[PlaygroundRun], meta: Mapping[str, object]) -> bytes:
    """The histories as JSON: ``{"settings": meta, "runs": [...]}`` (strict JSON, no NaN)."""
    import json

    out = []
    for run in runs:
        h = run.history
        out.append(
            {
                "initializer": run.label,
                "init": run.init,
                "init_params": dict(run.init_params),
                "diverged_at": h.diverged_at,
                "steps_run": h.steps_run,
                "final_loss": _json_number(h.final_loss),
                "final_score": _json_number(run.final_score),
                "score_name": "accuracy" if run.task == "classification" else "r2",
                "step": h.step.tolist(),
                "loss": [_json_number(v) for v in h.loss],
                "score": [_json_number(v) for v in run.score],
                "grad_norm": {
                    name: [_json_number(v) for v in h.grad_norm[:, i]]
                    for i, name in enumerate(h.layer_names)
                },
            }
        )
    return json.dumps({"settings": dict(meta), "runs": out}, allow_nan=False).encode("utf-8")


# ---- Page 3: large weights ----

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


def sweep_batch(network: str, depth: int, width: int) -> int:
    """An eighth of the probe batch (at least the type's minimum): for sweeps of many probes.

    Still thousands of values per layer (e.g. 64 x 256 at the defaults), plenty for a growth
    factor averaged over the layers.
    """
    return max(PROBE_BATCH[network][0], probe_batch(network, depth, width) // 8)


def large_weight_series(
    activation: str, init: str, init_params: InitParams
) -> tuple[tuple[str, str, InitParams], ...]:
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
        stats = quick_stats(network, name, LARGE_INIT, (), depth, width, seed)
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
    network: str,
    activation: str,
    init: str,
    init_params: InitParams,
    depth: int,
    width: int,
    seed: int,
    *,
    lr: float,
    clip: float | None,
) -> training.History:
    """Train page 3's small MLP on two moons with plain SGD, optionally clipping the gradient.

    The network is the user's activation and depth (at most :data:`TRAIN_DEPTH_MAX` layers of
    at most :data:`TRAIN_WIDTH_MAX` units; a residual MLP when the user's network is one, an
    MLP otherwise: CNNs and RNNs are too slow to train live here). Full batch of
    :data:`TRAIN_SAMPLES` points, :data:`TRAIN_STEPS` steps, cross-entropy.

    Parameters
    ----------
    network, activation, init : str
    init_params : tuple of (name, value) pairs
    depth, width, seed : int
    lr : float
        SGD learning rate.
    clip : float or None
        Maximum global gradient norm (Pascanu et al. 2013); None trains without clipping.

    Returns
    -------
    core.training.History
        ``diverged_at`` is the step whose loss or gradient turned inf/NaN, if any.
    """
    kind = "resmlp" if network == "resmlp" else "mlp"
    x, y = datasets.load(TRAIN_DATASET, TRAIN_SAMPLES, seed)
    net = networks.build(
        kind,
        input_shape=(2,),
        n_outputs=2,
        depth=min(depth, TRAIN_DEPTH_MAX),
        width=min(width, TRAIN_WIDTH_MAX),
        activation=activation,
        init=init,
        init_params=dict(init_params),
        rng=np.random.default_rng(seed),
    )
    return training.train(
        net,
        x,
        y,
        loss="cross_entropy",
        optimizer="sgd",
        lr=lr,
        steps=TRAIN_STEPS,
        clip=clip,
        seed=seed,
        symmetry_every=TRAIN_STEPS,
    )


def curve_frame(history: training.History, series: str) -> pd.DataFrame:
    """Loss per recorded step as a frame for :func:`explorer.charts.training_curves`."""
    return pd.DataFrame({"step": history.step, "loss": history.loss, "series": series})


def loss_rises(history: training.History) -> int:
    """How many recorded steps had a higher finite loss than the step before (oscillation)."""
    loss = np.asarray(history.loss, dtype=float)
    loss = loss[np.isfinite(loss)]
    return int(np.count_nonzero(np.diff(loss) > 0))


# ---- Page 4: choosing the scale ----

#: k on a log scale, 4 steps per doubling: 1/16 .. 32, with 1/4, 1/2, 1, 2, 4 ... exact.
K_GRID: tuple[float, ...] = tuple(float(2.0 ** (i / 4)) for i in range(-16, 21))
#: k values probed by the "edge" sweep (2 per doubling, 1/8 .. 16).
K_SWEEP: tuple[float, ...] = tuple(float(2.0 ** (i / 2)) for i in range(-6, 9))
#: k values of the sweep's theory line.
K_THEORY: tuple[float, ...] = tuple(float(v) for v in np.geomspace(K_SWEEP[0], K_SWEEP[-1], 49))
#: The named presets of Var(W) = k / n: (k, mode).
PRESETS: dict[str, tuple[float, str]] = {
    "LeCun": (1.0, "fan_in"),
    "Glorot": (1.0, "fan_avg"),
    "He": (2.0, "fan_in"),
}
#: Output widths offered for the non-square forward/backward comparison.
FAN_OUT_CHOICES: tuple[int, ...] = (16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
#: Network types whose per-layer variance mean-field theory predicts (square dense layers; for
#: the CNN, the interior pixels of a 3x3 conv see exactly fan_in = 9 * width inputs).
THEORY_NETWORKS = ("mlp", "cnn")


def preset_of(k: float, mode: str) -> str | None:
    """Name of the preset with this k and mode, or None."""
    for name, (pk, pmode) in PRESETS.items():
        if math.isclose(k, pk) and mode == pmode:
            return name
    return None


def fan_n(shape: tuple[int, ...], mode: str) -> float:
    """The n of Var(W) = k / n for a weight shape: fan_in, fan_out or their mean."""
    fan_in, fan_out = initializers.compute_fans(shape)
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]


def safe_ratio(a: float, b: float) -> float:
    """The ratio a / b, NaN unless both are positive finite numbers."""
    if not (math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0):
        return math.nan
    return a / b


def vs_params(k: float, mode: str, distribution: str) -> InitParams:
    """Parameters of the ``variance_scaling`` initializer for Var(W) = k / n."""
    return (("scale", float(k)), ("mode", mode), ("distribution", distribution))


def _theory_variance(
    activation: str, init: str, init_params: InitParams, depth: int, width: int
) -> np.ndarray:
    """Mean-field q^l (pre-activation variance per layer) for square layers (core.theory)."""
    return theory.predicted_stats(
        activation, init, depth=depth, width=width, init_params=dict(init_params)
    ).preact_var


@st.cache_data(max_entries=128, show_spinner=False)
def variance_profile(
    network: str,
    activation: str,
    inits: tuple[tuple[str, str, InitParams], ...],
    depth: int,
    width: int,
    seed: int,
) -> pd.DataFrame:
    """Measured and predicted per-layer pre-activation variance of several initializers.

    Parameters
    ----------
    inits : tuple of (label, init name, init params)

    Returns
    -------
    DataFrame
        Columns ``series`` ("<label> · measured" / "<label> · theory"), ``layer``,
        ``variance`` (Var z^l; inf where it overflowed or exceeds float64), ``label``, ``kind``
        ("measured"/"theory"). Theory rows only for :data:`THEORY_NETWORKS`.
    """
    frames = []
    for label, init, params in inits:
        stats = layer_stats(network, activation, init, params, depth, width, seed)
        with np.errstate(over="ignore"):  # a std above 1.3e154 has no float64 variance: inf
            measured = stats_frame(stats, label)["preact_std"].to_numpy() ** 2
        frames.append(
            pd.DataFrame(
                {
                    "series": f"{label} · measured",
                    "layer": stats.layer,
                    "variance": measured,
                    "label": label,
                    "kind": "measured",
                }
            )
        )
        if network in THEORY_NETWORKS:
            frames.append(
                pd.DataFrame(
                    {
                        "series": f"{label} · theory",
                        "layer": stats.layer,
                        "variance": _theory_variance(activation, init, params, depth, width),
                        "label": label,
                        "kind": "theory",
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _factors(variances_forward: np.ndarray, grad_variances: np.ndarray) -> tuple[float, float]:
    """Per-layer growth factors: forward of Var z (layer 1 -> L), backward of Var dL/dz (L -> 1)."""
    return (
        geometric_factor(variances_forward),
        geometric_factor(np.asarray(grad_variances)[::-1]),
    )


def growth_factors(stats: probe.LayerStats) -> tuple[float, float]:
    """(forward, backward) per-layer variance factors of one probe; see :func:`edge_sweep`.

    Computed from the stds (the factor of the variance is the square of the std's), so that a
    std beyond 1e154, whose square float64 cannot hold, still gives a finite factor.
    """
    forward = geometric_factor(stats.preact_std)
    backward = geometric_factor(np.asarray(stats.grad_std)[::-1])
    return forward**2, backward**2


FORWARD = "forward: activations"
BACKWARD = "backward: gradients"


@st.cache_data(max_entries=64, show_spinner=False)
def edge_sweep(
    network: str,
    activation: str,
    mode: str,
    distribution: str,
    depth: int,
    width: int,
    seed: int,
) -> pd.DataFrame:
    """Per-layer growth factors of the forward and backward variance as k sweeps 1/8 .. 16.

    Forward factor: the geometric mean of Var(z^l) / Var(z^{l-1}) from layer 1 to L.
    Backward factor: the same for the gradient Var(dL/dz^l), from layer L back to 1. A factor
    above 1 grows geometrically with depth (explodes), below 1 vanishes; theory's edge is where
    the backward factor crosses 1 (chi_1 = k E[f'(z)^2] = 1 at the fixed point).

    Returns
    -------
    DataFrame
        Columns ``k``, ``factor``, ``direction`` (:data:`FORWARD` / :data:`BACKWARD`),
        ``source`` ("measured" at :data:`K_SWEEP`; "theory" at :data:`K_THEORY` for
        :data:`THEORY_NETWORKS` and depth >= 2). Factors are NaN when depth is 1.
    """
    batch = sweep_batch(network, depth, width)
    rows = []
    for k in K_SWEEP:
        stats = layer_stats(
            network,
            activation,
            "variance_scaling",
            vs_params(k, mode, distribution),
            depth,
            width,
            seed,
            batch=batch,
        )
        fwd, bwd = growth_factors(stats)
        rows += [
            {"k": k, "factor": fwd, "direction": FORWARD, "source": "measured"},
            {"k": k, "factor": bwd, "direction": BACKWARD, "source": "measured"},
        ]
    if network in THEORY_NETWORKS and depth >= 2:
        for k in K_THEORY:
            pred = theory.predicted_stats(
                activation,
                "variance_scaling",
                depth=depth,
                width=width,
                init_params=dict(vs_params(k, mode, distribution)),
            )
            fwd, bwd = _factors(pred.preact_var, pred.grad_var)
            rows += [
                {"k": k, "factor": fwd, "direction": FORWARD, "source": "theory"},
                {"k": k, "factor": bwd, "direction": BACKWARD, "source": "theory"},
            ]
    return pd.DataFrame(rows)


def max_factor(frame: pd.DataFrame, direction: str, source: str) -> float:
    """Largest finite factor of one sweep series (NaN when it has none)."""
    sel = frame[(frame["direction"] == direction) & (frame["source"] == source)]
    values = sel["factor"].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    return float(values.max()) if values.size else math.nan


def crossing_k(frame: pd.DataFrame, direction: str, source: str) -> float:
    """Smallest k where a sweep's factor crosses 1 (log-log interpolation); NaN if it never does."""
    sel = frame[(frame["direction"] == direction) & (frame["source"] == source)]
    k = sel["k"].to_numpy(dtype=float)
    f = sel["factor"].to_numpy(dtype=float)
    ok = np.isfinite(f) & (f > 0)
    k, f = k[ok], np.log(f[ok])
    for i in range(len(k) - 1):
        if f[i] == 0:
            return float(k[i])
        if f[i] * f[i + 1] < 0:
            t = f[i] / (f[i] - f[i + 1])
            return float(math.exp(math.log(k[i]) + t * (math.log(k[i + 1]) - math.log(k[i]))))
    return math.nan


def _chi1_crossing(activation: str) -> float:
    """Smallest sigma_w^2 in [1e-2, 1e3] where theory's chi_1 (zero bias) crosses 1, or NaN.

    A scan on 61 log-spaced points, then 50 bisection steps on log sigma_w^2.
    """
    grid = np.geomspace(1e-2, 1e3, 61)
    above = np.asarray(theory.chi1(activation, grid, 0.0)) > 1.0
    flips = np.flatnonzero(above[1:] != above[:-1])
    if not flips.size:
        return math.nan
    low, high = math.log(grid[flips[0]]), math.log(grid[flips[0] + 1])
    low_above = bool(above[flips[0]])
    for _ in range(50):
        mid = (low + high) / 2
        if (float(theory.chi1(activation, math.exp(mid), 0.0)) > 1.0) == low_above:
            low = mid
        else:
            high = mid
    return math.exp((low + high) / 2)


@st.cache_data(max_entries=16, show_spinner=False)
def critical_k(activation: str) -> float:
    """Theory's edge of chaos at zero bias: the k = sigma_w^2 where chi_1 = 1 (NaN if none).

    Uses :func:`core.theory.critical_sigma_w2`; when that finds no root, falls back to locating
    the crossing of :func:`core.theory.chi1` itself (a scan plus bisection).
    """
    edge = float(theory.critical_sigma_w2(activation, 0.0))
    return edge if math.isfinite(edge) else _chi1_crossing(activation)


#: Rows of the forward/backward table: (scheme, k, mode, formula of Var(W)).
FAN_SCHEMES: tuple[tuple[str, float, str, str], ...] = (
    ("LeCun", 1.0, "fan_in", "1 / fan_in"),
    ("Glorot (Xavier)", 1.0, "fan_avg", "2 / (fan_in + fan_out)"),
    ("He (Kaiming), mode fan_in", 2.0, "fan_in", "2 / fan_in"),
    ("He (Kaiming), mode fan_out", 2.0, "fan_out", "2 / fan_out"),
    ("Fan-average variant (not He's)", 2.0, "fan_avg", "4 / (fan_in + fan_out)"),
)


def fan_mode_table(
    fan_in: int, fan_out: int, mine: tuple[float, str] | None = None
) -> pd.DataFrame:
    """Std, uniform bound and forward/backward factors of the k/n schemes on one layer.

    Parameters
    ----------
    fan_in, fan_out : int
        The layer's sizes (weight shape (fan_in, fan_out)).
    mine : (k, mode), optional
        The page's own k and mode, added as a last row.

    Returns
    -------
    DataFrame
        Columns ``scheme``, ``Var(W)`` (formula), ``std``, ``uniform bound a`` (the a of
        U(-a, a) with the same variance), ``forward fan_in·Var`` and ``backward fan_out·Var``
        (the per-layer factors of a linear layer: 1 preserves the signal).
    """
    rows = list(FAN_SCHEMES)
    if mine is not None:
        rows.append(("Your k / n (this page)", mine[0], mine[1], f"{mine[0]:.3g} / {mine[1]}"))
    out = []
    shape = (fan_in, fan_out)
    for scheme, k, mode, formula in rows:
        std = initializers.scale_of(
            "variance_scaling", shape, scale=k, mode=mode, distribution="normal"
        ).std
        bound = initializers.scale_of(
            "variance_scaling", shape, scale=k, mode=mode, distribution="uniform"
        ).bound
        out.append(
            {
                "scheme": scheme,
                "Var(W)": formula,
                "std": std,
                "uniform bound a": bound,
                "forward fan_in·Var": fan_in * std**2,
                "backward fan_out·Var": fan_out * std**2,
            }
        )
    return pd.DataFrame(out)


@st.cache_data(max_entries=4, show_spinner=False)
def activation_guide() -> pd.DataFrame:
    """Activation -> initializer summary, from the gains in core.activations and core.theory.

    Returns
    -------
    DataFrame
        One row per activation: ``activation``, ``gain`` and ``gain from`` (PyTorch's
        calculate_gain, or 1/sqrt(E[f(z)^2]) when PyTorch defines none), ``k = gain²`` (so
        Var(W) = gain² / fan_in), ``usual initializer``, ``chi_1 at k = gain²`` and ``edge k``
        (theory's k where chi_1 = 1 with zero bias; NaN when there is none).
    """
    rows = []
    for name in activations.NAMES:
        act = activations.get(name)
        k = act.gain**2
        rows.append(
            {
                "activation": act.label,
                "gain": act.gain,
                "gain from": "PyTorch calculate_gain"
                if act.gain_source == "pytorch"
                else "1/√E[f(z)²] (variance-preserving)",
                "k = gain²": k,
                "usual initializer": initializers.REGISTRY[well_scaled_init(name)].label,
                "χ₁ at k = gain²": float(theory.chi1(name, k, 0.0)),
                "edge k (χ₁ = 1)": critical_k(name),
            }
        )
    return pd.DataFrame(rows)


# ---- Page 5: network types ----
# Cached computations behind pages/5_Network_types.py: Jacobian spectra (orthogonal vs
# Gaussian), the RNN gradient through time, CNN fans and per-layer stats, residual vs plain
# MLP, and LSUV. Sizes are capped where the cost grows faster than linearly; the page states
# the caps.

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


InitSeries = tuple[tuple[str, str, InitParams], ...]


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
            stats = layer_stats("rnn", activation, init, params, steps, hidden, seed, batch=batch)
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
        stats = probe.propagate(
            network="cnn",
            activation=activation,
            init=init,
            init_params=dict(params),
            depth=depth,
            width=channels,
            batch=CNN_BATCH,
            seed=seed,
            image_size=cnn_size(depth, channels),
        )
        frames.append(stats_frame(stats, label))
    return pd.concat(frames, ignore_index=True)


def residual_compare(
    activation: str,
    init: str,
    params: InitParams,
    depth: int,
    width: int,
    seed: int,
    alpha: float,
) -> pd.DataFrame:
    """Per-layer stats of a plain MLP and a residual MLP (branch scale ``alpha``), stacked.

    Series labels are "Plain MLP" and "Residual, α = <alpha>". Both probes are cached.
    """
    plain = layer_stats("mlp", activation, init, params, depth, width, seed)
    res = layer_stats("resmlp", activation, init, params, depth, width, seed, alpha=alpha)
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
def lsuv_compare(
    kind: str,
    activation: str,
    init: str,
    params: InitParams,
    depth: int,
    width: int,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """LSUV (orthogonal pre-init, then per-layer rescaling) next to the user's initializer.

    Builds one network with the user's initializer, measures the std of every layer's
    pre-activation on a batch of N(0, 1) inputs, then runs :func:`core.lsuv.lsuv` on a copy
    and measures again.

    Parameters
    ----------
    kind : {"mlp", "cnn", "resmlp"}
    activation, init : str
    params : tuple of (name, value)
        Must fit ``kind`` (see :func:`core.networks.supported_inits`).
    depth, width, seed : int
        Use :func:`lsuv_size` for the caps.

    Returns
    -------
    report : DataFrame
        One row per layer (output last): layer, name, iterations, variance_before,
        variance_after, converged.
    std : DataFrame
        Columns series ("<init label>" / "LSUV"), layer, preact_std (std of the layer's
        pre-activation z on the batch; inf when it overflowed).
    """
    rng = np.random.default_rng(seed)
    shape = (LSUV_IMAGE, LSUV_IMAGE, width) if kind == "cnn" else (width,)
    net = networks.build(
        kind,
        input_shape=shape,
        n_outputs=10,
        depth=depth,
        width=width,
        activation=activation,
        init=init,
        rng=rng,
        init_params=dict(params),
    )
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


# ---- Page 7: edge of chaos ----
# Mean-field theory (core.theory) on the (σ_w², σ_b²) plane, at the user's point, and next to
# the probe's measurements.

#: Phase-diagram resolution (cells along σ_w² and σ_b²).
PHASE_CELLS_W, PHASE_CELLS_B = 80, 60
#: |χ₁ - 1| below this counts as "critical" in the page's words.
CRITICAL_TOLERANCE = 0.02
#: Schoenholz et al. (2017): networks trained up to about this many correlation depth scales.
TRAINABLE_XI = 6.0
#: log10 χ₁ is clipped to ±this for the colour scale (χ₁ from 0.32 to 3.2).
LOG_CHI_CLIP = 0.5


@st.cache_data(max_entries=64, show_spinner=False)
def phase_axis_max(activation: str, sb2_max: float) -> float:
    """Right end of the σ_w² axis: 4, or 1.5 x the largest critical σ_w² in the σ_b² range."""
    crit = np.asarray(theory.critical_sigma_w2(activation, np.linspace(0.0, sb2_max, 13)))
    crit = crit[np.isfinite(crit)]
    top = max(4.0, 1.5 * float(crit.max())) if crit.size else 4.0
    step = 10 ** math.floor(math.log10(top))
    return float(math.ceil(top / step) * step)


@st.cache_data(max_entries=64, show_spinner=False)
def phase_grid(
    activation: str, sw2_max: float, sb2_max: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """χ₁ on a grid of cells over [0, sw2_max] x [0, sb2_max], and the critical line.

    Returns
    -------
    grid : DataFrame
        One row per cell: sw2, sw2_end, sb2, sb2_end (corners), log_chi1 (log10 χ₁ at the cell
        centre, clipped to ±LOG_CHI_CLIP), chi1, xi_c.
    critical : DataFrame
        sw2, sb2 along χ₁ = 1 (rows where theory finds a critical point inside the axis).
    """
    w_edges = np.linspace(0.0, sw2_max, PHASE_CELLS_W + 1)
    b_edges = np.linspace(0.0, sb2_max, PHASE_CELLS_B + 1)
    w_mid = 0.5 * (w_edges[:-1] + w_edges[1:])
    b_mid = 0.5 * (b_edges[:-1] + b_edges[1:])
    diagram = theory.phase_diagram(activation, w_mid, b_mid)
    ii, jj = np.meshgrid(np.arange(PHASE_CELLS_W), np.arange(PHASE_CELLS_B), indexing="ij")
    chi = diagram.chi1
    with np.errstate(divide="ignore"):
        log_chi = np.clip(np.log10(chi), -LOG_CHI_CLIP, LOG_CHI_CLIP)
    grid = pd.DataFrame(
        {
            "sw2": w_edges[ii].ravel(),
            "sw2_end": w_edges[ii + 1].ravel(),
            "sb2": b_edges[jj].ravel(),
            "sb2_end": b_edges[jj + 1].ravel(),
            "log_chi1": log_chi.ravel(),
            "chi1": chi.ravel(),
            "xi_c": diagram.xi_c.ravel(),
        }
    )
    sb2_line = np.linspace(0.0, sb2_max, 61)
    crit = np.asarray(theory.critical_sigma_w2(activation, sb2_line), dtype=float)
    keep = np.isfinite(crit) & (crit <= sw2_max)
    critical = pd.DataFrame({"sw2": crit[keep], "sb2": sb2_line[keep]})
    return grid, critical


@st.cache_data(max_entries=256, show_spinner=False)
def chaos_point(activation: str, sw2: float, sb2: float) -> dict[str, float]:
    """Mean-field numbers at one (σ_w², σ_b²): q_star, chi1, c_star, xi_q, xi_c, critical_sw2.

    ``q_star`` is inf when the length map has no fixed point (then the depth scales are NaN);
    ``xi_c`` is inf on the critical line.
    """
    xi_q, xi_c = theory.depth_scales(activation, sw2, sb2)
    c_star, _ = theory.correlation_fixed_point(activation, sw2, sb2)
    return {
        "q_star": float(theory.q_star(activation, sw2, sb2)),
        "chi1": float(theory.chi1(activation, sw2, sb2)),
        "c_star": float(c_star),
        "xi_q": float(xi_q),
        "xi_c": float(xi_c),
        "critical_sw2": float(theory.critical_sigma_w2(activation, sb2)),
    }


def phase_word(chi1: float, q_star: float) -> str:
    """The phase in words: critical, ordered, chaotic or unbounded (no fixed point)."""
    if not math.isfinite(q_star):
        return "unbounded"
    if abs(chi1 - 1.0) < CRITICAL_TOLERANCE:
        return "critical"
    return "ordered" if chi1 < 1.0 else "chaotic"


@st.cache_data(max_entries=64, show_spinner=False)
def depth_scale_curve(activation: str, sb2: float, sw2_max: float) -> pd.DataFrame:
    """Trainable depth 6 ξ_c along σ_w² at fixed σ_b² (columns sw2, xi_c, trainable_depth).

    Points on the critical line (ξ_c = inf) and without a fixed point (NaN) are dropped; the
    chart shows the divergence as the curve running off the top.
    """
    sw2 = np.linspace(sw2_max / 400, sw2_max, 400)
    diagram = theory.phase_diagram(activation, sw2, np.array([sb2]))
    xi = diagram.xi_c[:, 0]
    keep = np.isfinite(xi) & (xi > 0)
    return pd.DataFrame(
        {"sw2": sw2[keep], "xi_c": xi[keep], "trainable_depth": TRAINABLE_XI * xi[keep]}
    )


def mean_field_vs_probe(
    activation: str,
    init: str,
    params: InitParams,
    depth: int,
    width: int,
    seed: int,
    sb2: float,
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Predicted and measured per-layer q^l and gradient scale of an MLP with biases.

    The probe draws b ~ N(0, σ_b²) and unit-variance inputs; theory starts from q_in = 1.

    Returns
    -------
    frame : DataFrame
        Columns layer, series ("measured (probe)" / "theory (mean field)"), q (pre-activation
        variance q^l), grad_rel (std of dL/dz_l relative to the last layer).
    info : dict
        applicable (bool), note (str), overflow_layer (int or None), q_ratio_last (measured /
        predicted q at the last layer).
    """
    stats = layer_stats(
        "mlp", activation, init, params, depth, width, seed, bias=True, bias_std=math.sqrt(sb2)
    )
    pred = _predicted_stats(activation, init, params, depth, width, sb2)
    with np.errstate(all="ignore"):
        measured_q = stats.preact_std**2
        measured_g = stats.grad_std / stats.grad_std[-1]
        pred_g = pred.grad_std / pred.grad_std[-1]
        ratio = float(measured_q[-1] / pred.preact_var[-1])
    layers = stats.layer
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "layer": layers,
                    "series": "measured (probe)",
                    "q": measured_q,
                    "grad_rel": measured_g,
                }
            ),
            pd.DataFrame(
                {
                    "layer": layers,
                    "series": "theory (mean field)",
                    "q": pred.preact_var,
                    "grad_rel": pred_g,
                }
            ),
        ],
        ignore_index=True,
    )
    info = {
        "applicable": pred.applicable,
        "note": pred.note,
        "overflow_layer": stats.first_nonfinite_layer,
        "q_ratio_last": ratio,
    }
    return frame, info


@st.cache_data(max_entries=128, show_spinner=False)
def _predicted_stats(
    activation: str, init: str, params: InitParams, depth: int, width: int, sb2: float
) -> theory.PredictedStats:
    """Cached :func:`core.theory.predicted_stats` for an MLP of square layers."""
    return theory.predicted_stats(
        activation, init, depth=depth, width=width, init_params=dict(params), sigma_b2=sb2
    )


def user_sigma_w2(init: str, params: InitParams, width: int) -> float:
    """σ_w² = fan_in Var(W) of an initializer on a square width x width layer."""
    return float(initializers.sigma_w2(init, (width, width), **dict(params)))


# =============================================================================================
# ---- Compare initializers (Home, pages 2 and 3) ----
# =============================================================================================


@st.cache_data(max_entries=128, show_spinner=False)
def init_sweep(
    network: str,
    activation: str,
    depth: int,
    width: int,
    seed: int,
    series: tuple[tuple[str, str, InitParams], ...],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-layer stats of several initializers on one network, as :func:`scale_sweep` gives them.

    Parameters
    ----------
    network, activation : str
    depth, width, seed : int
        Same network, inputs and seed for every series.
    series : tuple of (label, init, params)
        E.g. from ``explorer.compare.series``; may be empty.

    Returns
    -------
    layers : DataFrame
        :func:`stats_frame` rows of every series (empty with those columns when ``series`` is).
    summary : DataFrame
        One row per series with :func:`scale_sweep`'s summary columns (multiplier NaN).
    """
    slope2 = small_signal_slope2(activation)
    frames = []
    rows = []
    for label, init, params in series:
        stats = quick_stats(network, activation, init, params, depth, width, seed)
        frames.append(stats_frame(stats, label))
        sw2 = init_sigma_w2(network, init, params, width)
        rows.append(
            {
                "series": label,
                "multiplier": math.nan,
                "sigma_w2": sw2,
                "sigma_sqrt_n": math.sqrt(sw2),
                "rule_factor": math.sqrt(sw2 * slope2),
                **summary_row(summarize_layers(stats)),
            }
        )
    if not frames:
        return pd.DataFrame(columns=list(STATS_COLUMNS)), pd.DataFrame()
    summary = pd.DataFrame(rows)
    with np.errstate(all="ignore"):
        summary["rule_gap"] = summary["act_factor"] / summary["rule_factor"] - 1.0
    return pd.concat(frames, ignore_index=True), summary


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


def replace_series(base: pd.DataFrame, drop: Sequence[str], added: pd.DataFrame) -> pd.DataFrame:
    """``base`` without the series named in ``drop``, with ``added`` appended (long frames)."""
    kept = base[~base["series"].isin(list(drop))]
    if added.empty:
        return kept.reset_index(drop=True)
    return pd.concat([kept, added], ignore_index=True)


def symmetry_grads_frame(result: SymmetryResult) -> pd.DataFrame:
    """Page 1's per-layer gradient table of every run, stacked (``series`` = the run's label).

    Columns: series, then :class:`SymmetryRun` ``grads`` columns (layer, max_abs_dw0,
    max_abs_db0, max_abs_dw1, spread1); one row per layer (hidden layers, then "output").
    """
    return pd.concat([run.grads.assign(series=run.label) for run in result.runs], ignore_index=True)


def rnn_export_frame(frame: pd.DataFrame, linear: pd.DataFrame, activation: str) -> pd.DataFrame:
    """Page 5's RNN gradients for export: the user's activation and the linear RNN, stacked.

    Columns series, layer (= time step), grad_std, activation; the linear rows are left out
    when the user's activation is linear already (they would repeat the same run).
    """
    parts = [frame.assign(activation=activation)]
    if activation != "linear":
        parts.append(linear.assign(activation="linear"))
    return pd.concat(parts, ignore_index=True)
