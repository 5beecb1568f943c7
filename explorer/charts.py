"""Pure Altair chart builders: data in, chart out, no ``st.*`` calls.

Every builder takes small, pre-aggregated pandas frames (per-layer numbers, histogram counts,
grids), never raw samples. Magnitudes that span decades go on log axes. Values that a log axis
cannot show (overflow to ``inf``, ``NaN``, exact zeros) are not dropped: :func:`mark_nonfinite`
pins them to the edge of the plotted range and the charts draw them as labelled red marks.

Colours are consistent across pages: one colour per initializer (:func:`init_color_scale`),
one per activation and network type where those are the series.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from core import initializers

# Tableau 20, reordered so that the most used initializers get the most distinct colours.
_PALETTE = (
    "#4c78a8",
    "#f58518",
    "#54a24b",
    "#e45756",
    "#72b7b2",
    "#b279a2",
    "#eeca3b",
    "#9d755d",
    "#ff9da6",
    "#bab0ac",
    "#1f77b4",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#aec7e8",
)
_STATUS_COLOR = "#d62728"
CHART_HEIGHT = 320


def init_colors() -> dict[str, str]:
    """One fixed colour per initializer label, in registry order (same on every page)."""
    return {
        spec.label: _PALETTE[i % len(_PALETTE)]
        for i, spec in enumerate(initializers.REGISTRY.values())
    }


def series_scale(series: Sequence[str]) -> alt.Scale:
    """A colour scale for the given series names.

    Initializer labels keep their fixed colour; any other series name (a scale such as
    "σ = 0.01", an activation) gets palette colours in order of appearance.
    """
    fixed = init_colors()
    domain = list(dict.fromkeys(series))
    spare = [c for c in _PALETTE if c not in {fixed.get(s) for s in domain}]
    colors = []
    for name in domain:
        colors.append(fixed[name] if name in fixed else spare.pop(0) if spare else "#333333")
    return alt.Scale(domain=domain, range=colors)


def mark_nonfinite(frame: pd.DataFrame, column: str, *, log: bool) -> pd.DataFrame:
    """Add ``plot_value`` and ``status`` columns so that bad values stay visible.

    Parameters
    ----------
    frame : DataFrame
        Must hold ``column``.
    column : str
        The numeric column to plot.
    log : bool
        Whether the axis is logarithmic: then zeros and negatives cannot be drawn either.

    Returns
    -------
    DataFrame
        A copy with ``status`` in {"ok", "overflow", "NaN", "underflow (0)"} and
        ``plot_value``: the value itself when ok, else pinned just beyond the finite range
        (overflow above it, NaN and zeros below it).
    """
    out = frame.copy()
    values = out[column].to_numpy(dtype=float)
    ok = np.isfinite(values) & ((values > 0) if log else True)
    status = np.full(values.shape, "ok", dtype=object)
    status[np.isposinf(values) | np.isneginf(values)] = "overflow"
    status[np.isnan(values)] = "NaN"
    if log:
        status[np.isfinite(values) & (values <= 0)] = "underflow (0)"
    finite = values[ok]
    if finite.size:
        high, low = finite.max(), finite.min()
    else:
        high, low = (1.0, 1.0) if log else (1.0, 0.0)
    if log:
        top, bottom = high * 10.0, low / 10.0
    else:
        span = max(high - low, 1.0)
        top, bottom = high + 0.1 * span, low - 0.1 * span
    plot = values.copy()
    plot[status == "overflow"] = top
    plot[(status == "NaN") | (status == "underflow (0)")] = bottom
    out["status"] = status
    out["plot_value"] = plot
    out["shown"] = [f"{v:.3g}" if s == "ok" else s for v, s in zip(values, status, strict=True)]
    return out


def per_layer_lines(
    frame: pd.DataFrame,
    *,
    y: str,
    y_title: str,
    x: str = "layer",
    x_title: str = "Layer",
    series: str = "series",
    log: bool = True,
    title: str | None = None,
    height: int = CHART_HEIGHT,
    dashed_series: Sequence[str] = (),
) -> alt.Chart:
    """Lines of one per-layer quantity, one line per series, with non-finite values marked.

    Parameters
    ----------
    frame : DataFrame
        Long format: columns ``x``, ``y`` and ``series``.
    y, y_title : str
        Column to plot and its axis title (include units, e.g. "std of activations").
    log : bool
        Log y axis (default): the right choice when values shrink or grow geometrically.
    dashed_series : sequence of str
        Series drawn dashed (e.g. theory predictions next to measurements).
    """
    data = mark_nonfinite(frame, y, log=log)
    data["dashed"] = data[series].isin(list(dashed_series))
    scale = series_scale(data[series].tolist())
    y_scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(tickMinStep=1)),
        color=alt.Color(f"{series}:N", title=None, scale=scale, legend=alt.Legend(orient="top")),
        tooltip=[
            alt.Tooltip(f"{series}:N", title="series"),
            alt.Tooltip(f"{x}:Q", title=x_title),
            alt.Tooltip("shown:N", title=y_title),
        ],
    )
    lines = (
        base.transform_filter(alt.datum.status == "ok")
        .mark_line(point=alt.OverlayMarkDef(size=25))
        .encode(
            y=alt.Y("plot_value:Q", title=y_title, scale=y_scale),
            strokeDash=alt.condition(alt.datum.dashed, alt.value([6, 4]), alt.value([1, 0])),
        )
    )
    bad = (
        base.transform_filter(alt.datum.status != "ok")
        .mark_point(shape="cross", size=90, filled=True, color=_STATUS_COLOR)
        .encode(y=alt.Y("plot_value:Q", scale=y_scale))
    )
    bad_text = (
        base.transform_filter(alt.datum.status != "ok")
        .mark_text(dy=-10, fontSize=10, color=_STATUS_COLOR)
        .encode(y=alt.Y("plot_value:Q", scale=y_scale), text="status:N")
    )
    chart = alt.layer(lines, bad, bad_text).properties(height=height)
    return chart.properties(title=title) if title else chart


def layer_heatmap(
    frame: pd.DataFrame,
    *,
    x_title: str,
    title: str | None = None,
    height: int = CHART_HEIGHT,
    log_color: bool = False,
) -> alt.Chart:
    """A layer x value heatmap of pre-binned histograms.

    Parameters
    ----------
    frame : DataFrame
        Columns ``layer``, ``bin_start``, ``bin_end`` and ``fraction`` (share of the layer's
        values in that bin, 0..1). Bins are shared by all layers.
    x_title : str
        What the bins measure, e.g. "activation value" or "log10 |gradient|".
    log_color : bool
        Colour on a log scale (sparse tails visible).
    """
    data = frame[frame["fraction"] > 0]
    color_scale = (
        alt.Scale(type="log", scheme="viridis") if log_color else alt.Scale(scheme="viridis")
    )
    chart = (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X("bin_start:Q", title=x_title),
            x2="bin_end:Q",
            y=alt.Y("layer:O", title="Layer", sort="ascending"),
            color=alt.Color("fraction:Q", title="share of units", scale=color_scale),
            tooltip=[
                alt.Tooltip("layer:O", title="layer"),
                alt.Tooltip("bin_start:Q", title="from", format=".3g"),
                alt.Tooltip("bin_end:Q", title="to", format=".3g"),
                alt.Tooltip("fraction:Q", title="share", format=".1%"),
            ],
        )
        .properties(height=height)
    )
    return chart.properties(title=title) if title else chart


def histogram_bars(
    frame: pd.DataFrame,
    *,
    x_title: str,
    series: str = "series",
    title: str | None = None,
    height: int = 220,
) -> alt.Chart:
    """Overlaid pre-binned histograms (columns bin_start, bin_end, fraction, series)."""
    scale = series_scale(frame[series].tolist())
    chart = (
        alt.Chart(frame)
        .mark_rect(opacity=0.55)
        .encode(
            x=alt.X("bin_start:Q", title=x_title),
            x2="bin_end:Q",
            y=alt.Y("fraction:Q", title="share of values", stack=None),
            color=alt.Color(
                f"{series}:N", title=None, scale=scale, legend=alt.Legend(orient="top")
            ),
            tooltip=[
                alt.Tooltip(f"{series}:N"),
                alt.Tooltip("bin_start:Q", title="from", format=".3g"),
                alt.Tooltip("bin_end:Q", title="to", format=".3g"),
                alt.Tooltip("fraction:Q", title="share", format=".2%"),
            ],
        )
        .properties(height=height)
    )
    return chart.properties(title=title) if title else chart


def training_curves(
    frame: pd.DataFrame,
    *,
    y: str,
    y_title: str,
    series: str = "series",
    log: bool = False,
    title: str | None = None,
    height: int = 260,
    diverged: pd.DataFrame | None = None,
) -> alt.Chart:
    """Loss or accuracy against the training step, one line per series.

    Parameters
    ----------
    frame : DataFrame
        Columns ``step``, ``y`` and ``series`` (already thinned to at most a few hundred rows
        per series).
    diverged : DataFrame, optional
        Columns ``step`` and ``series``: where a run turned non-finite; drawn as a red rule
        with a label so a stopped line is explained.
    """
    data = mark_nonfinite(frame, y, log=log)
    scale = series_scale(data[series].tolist())
    y_scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    lines = (
        alt.Chart(data)
        .transform_filter(alt.datum.status == "ok")
        .mark_line()
        .encode(
            x=alt.X("step:Q", title="Training step"),
            y=alt.Y("plot_value:Q", title=y_title, scale=y_scale),
            color=alt.Color(
                f"{series}:N", title=None, scale=scale, legend=alt.Legend(orient="top")
            ),
            tooltip=[
                alt.Tooltip(f"{series}:N"),
                alt.Tooltip("step:Q"),
                alt.Tooltip("shown:N", title=y_title),
            ],
        )
    )
    layers = [lines]
    if diverged is not None and len(diverged):
        rules = (
            alt.Chart(diverged)
            .mark_rule(color=_STATUS_COLOR, strokeDash=[4, 3])
            .encode(
                x="step:Q",
                tooltip=[alt.Tooltip(f"{series}:N"), alt.Tooltip("step:Q", title="diverged at")],
            )
        )
        labels = (
            alt.Chart(diverged)
            .mark_text(color=_STATUS_COLOR, align="left", dx=4, dy=8, baseline="top", fontSize=11)
            .encode(x="step:Q", y=alt.value(0), text=alt.value("diverged (NaN/∞)"))
        )
        layers += [rules, labels]
    chart = alt.layer(*layers).properties(height=height)
    return chart.properties(title=title) if title else chart


def weight_heatmap(
    weights: np.ndarray,
    *,
    title: str | None = None,
    max_cells: int = 48,
    height: int = 240,
) -> alt.Chart:
    """A neurons x inputs heatmap of one weight matrix (at most ``max_cells`` per side).

    Parameters
    ----------
    weights : ndarray, shape (fan_in, fan_out)
        Rows are inputs, columns are neurons. Larger matrices show their top-left block: the
        point is to see identical columns (symmetric neurons), not every weight.
    """
    block = np.asarray(weights, dtype=float)[:max_cells, :max_cells]
    rows, cols = np.indices(block.shape)
    frame = pd.DataFrame({"input": rows.ravel(), "neuron": cols.ravel(), "weight": block.ravel()})
    finite = np.abs(block[np.isfinite(block)])
    limit = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    chart = (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X(
                "neuron:O", title="Neuron (column of W)", axis=alt.Axis(labels=False, ticks=False)
            ),
            y=alt.Y("input:O", title="Input (row of W)", axis=alt.Axis(labels=False, ticks=False)),
            color=alt.Color(
                "weight:Q",
                title="weight",
                scale=alt.Scale(scheme="redblue", domain=[-limit, limit], reverse=True),
            ),
            tooltip=[
                alt.Tooltip("neuron:O"),
                alt.Tooltip("input:O"),
                alt.Tooltip("weight:Q", format=".4g"),
            ],
        )
        .properties(height=height)
    )
    return chart.properties(title=title) if title else chart


def decision_boundary(
    grid: pd.DataFrame,
    points: pd.DataFrame,
    *,
    title: str | None = None,
    height: int = 260,
) -> alt.Chart:
    """A classifier's predicted class on a grid, with (a sample of) the data on top.

    Parameters
    ----------
    grid : DataFrame
        Columns ``x0``, ``x1``, ``x0_end``, ``x1_end`` (cell corners) and ``p`` (probability of
        class 1, or the predicted class index for more classes).
    points : DataFrame
        Columns ``x0``, ``x1`` and ``label`` (at most a few hundred rows).
    """
    cells = (
        alt.Chart(grid)
        .mark_rect(opacity=0.75)
        .encode(
            x=alt.X("x0:Q", title="x₁", scale=alt.Scale(zero=False, nice=False)),
            x2="x0_end:Q",
            y=alt.Y("x1:Q", title="x₂", scale=alt.Scale(zero=False, nice=False)),
            y2="x1_end:Q",
            color=alt.Color(
                "p:Q", title="P(class 1)", scale=alt.Scale(scheme="blueorange", domain=[0, 1])
            ),
        )
    )
    dots = (
        alt.Chart(points)
        .mark_point(filled=True, size=18, stroke="white", strokeWidth=0.4)
        .encode(
            x="x0:Q",
            y="x1:Q",
            shape=alt.Shape("label:N", title="class"),
            fill=alt.Fill(
                "label:N",
                scale=alt.Scale(range=["#1f3b73", "#a34700", "#2a7f2a", "#6b2a7f"]),
                legend=None,
            ),
        )
    )
    chart = alt.layer(cells, dots).properties(height=height, width=height)
    return chart.properties(title=title) if title else chart


def spectrum(
    frame: pd.DataFrame,
    *,
    series: str = "series",
    title: str | None = None,
    height: int = 260,
) -> alt.Chart:
    """Distribution of singular values (pre-binned on log10 bins), one area per series.

    Parameters
    ----------
    frame : DataFrame
        Columns ``log10_sv`` (bin centre), ``density`` and ``series``.
    """
    scale = series_scale(frame[series].tolist())
    chart = (
        alt.Chart(frame)
        .mark_area(opacity=0.45, interpolate="step")
        .encode(
            x=alt.X("log10_sv:Q", title="log10 singular value of the input-output Jacobian"),
            y=alt.Y("density:Q", title="share of singular values", stack=None),
            color=alt.Color(
                f"{series}:N", title=None, scale=scale, legend=alt.Legend(orient="top")
            ),
            tooltip=[
                alt.Tooltip(f"{series}:N"),
                alt.Tooltip("log10_sv:Q", format=".2f"),
                alt.Tooltip("density:Q", format=".2%"),
            ],
        )
        .properties(height=height)
    )
    return chart.properties(title=title) if title else chart


def phase_diagram(
    grid: pd.DataFrame,
    critical: pd.DataFrame,
    points: pd.DataFrame,
    *,
    value: str = "log_chi1",
    value_title: str = "log χ₁",
    title: str | None = None,
    height: int = 360,
) -> alt.Chart:
    """The (σ_w², σ_b²) plane coloured by a mean-field quantity, with the critical line.

    Parameters
    ----------
    grid : DataFrame
        Columns ``sw2``, ``sw2_end``, ``sb2``, ``sb2_end`` (cell corners) and ``value``
        (e.g. log χ₁: negative = ordered/vanishing, positive = chaotic/exploding).
    critical : DataFrame
        Columns ``sw2`` and ``sb2`` along the line χ₁ = 1.
    points : DataFrame
        Columns ``sw2``, ``sb2`` and ``label``: the user's initializer(s).
    """
    finite = grid[value].replace([np.inf, -np.inf], np.nan).abs().max()
    limit = float(finite) if np.isfinite(finite) and finite > 0 else 1.0
    cells = (
        alt.Chart(grid)
        .mark_rect()
        .encode(
            x=alt.X("sw2:Q", title="σ_w² (weight variance × fan-in)", scale=alt.Scale(nice=False)),
            x2="sw2_end:Q",
            y=alt.Y("sb2:Q", title="σ_b² (bias variance)", scale=alt.Scale(nice=False)),
            y2="sb2_end:Q",
            color=alt.Color(
                f"{value}:Q",
                title=value_title,
                scale=alt.Scale(scheme="redblue", domain=[-limit, limit], reverse=True),
            ),
            tooltip=[
                alt.Tooltip("sw2:Q", title="σ_w²", format=".2f"),
                alt.Tooltip("sb2:Q", title="σ_b²", format=".3f"),
                alt.Tooltip(f"{value}:Q", title=value_title, format=".3f"),
            ],
        )
    )
    line = (
        alt.Chart(critical)
        .mark_line(color="black", strokeWidth=2)
        .encode(x="sw2:Q", y="sb2:Q", order="sb2:Q")
    )
    marks = (
        alt.Chart(points)
        .mark_point(
            shape="diamond", size=160, filled=True, color="white", stroke="black", strokeWidth=1.5
        )
        .encode(
            x="sw2:Q",
            y="sb2:Q",
            tooltip=[
                "label:N",
                alt.Tooltip("sw2:Q", format=".3f"),
                alt.Tooltip("sb2:Q", format=".3f"),
            ],
        )
    )
    labels = (
        alt.Chart(points)
        .mark_text(align="left", dx=9, dy=-9, fontSize=12, fontWeight="bold")
        .encode(x="sw2:Q", y="sb2:Q", text="label:N")
    )
    chart = alt.layer(cells, line, marks, labels).properties(height=height)
    return chart.properties(title=title) if title else chart


def bars_by_layer(
    frame: pd.DataFrame,
    *,
    y: str,
    y_title: str,
    series: str = "series",
    title: str | None = None,
    height: int = 240,
    percent: bool = True,
) -> alt.Chart:
    """Grouped bars of a per-layer fraction (e.g. saturated or dead units), 0..1."""
    scale = series_scale(frame[series].tolist())
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("layer:O", title="Layer"),
            xOffset=f"{series}:N",
            y=alt.Y(
                f"{y}:Q",
                title=y_title,
                scale=alt.Scale(domain=[0, 1]) if percent else alt.Scale(),
                axis=alt.Axis(format="%") if percent else alt.Axis(),
            ),
            color=alt.Color(
                f"{series}:N", title=None, scale=scale, legend=alt.Legend(orient="top")
            ),
            tooltip=[
                alt.Tooltip(f"{series}:N"),
                alt.Tooltip("layer:O"),
                alt.Tooltip(f"{y}:Q", format=".1%" if percent else ".3g"),
            ],
        )
        .properties(height=height)
    )
    return chart.properties(title=title) if title else chart
