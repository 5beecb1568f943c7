"""Pure Altair chart builders: data in, chart out, no ``st.*`` calls.

Every builder takes small, pre-aggregated pandas frames (per-layer numbers, histogram counts,
grids), never raw samples. Magnitudes that span decades go on log axes. Values that a log axis
cannot show (overflow to ``inf``, ``NaN``, exact zeros) are not dropped: :func:`mark_nonfinite`
pins them to the edge of the plotted range and the charts draw them as labelled red marks.

Colours are consistent across pages and exports: a series' colour and marker are a fixed
function of its name (:mod:`explorer.palette`, used by :func:`series_scale` and
:func:`shape_scale`). Plot areas are at least :data:`MIN_PLOT_HEIGHT` pixels tall, legends sit
below the plot, log axes label powers of ten only (:func:`log_axis`).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from explorer import chartkit, palette

#: Re-exported from :mod:`explorer.palette` (one palette for every chart and export).
INIT_COLORS = palette.INIT_COLORS
init_colors = palette.init_colors
CHART_HEIGHT = chartkit.CHART_HEIGHT
MIN_PLOT_HEIGHT = chartkit.MIN_PLOT_HEIGHT
LOG_LABELS = chartkit.LOG_LABELS
log_axis = chartkit.log_axis
legend = chartkit.legend
series_scale = chartkit.series_scale
shape_scale = chartkit.shape_scale
series_encodings = chartkit.series_encodings
mark_nonfinite = chartkit.mark_nonfinite
_STATUS_COLOR = chartkit.STATUS_COLOR
_finish = chartkit.finish
_distance_to = chartkit.distance_to
_legend_columns = chartkit.legend_columns


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
    legend_columns: int | None = None,
) -> alt.Chart:
    """Lines of one per-layer quantity, one line per series, with non-finite values marked.

    Every measured series has its own hollow marker, so lines that lie on top of each other
    stay visible; theory series are dashed, without markers, and drawn under the data.

    Parameters
    ----------
    frame : DataFrame
        Long format: columns ``x``, ``y`` and ``series``.
    y, y_title : str
        Column to plot and its axis title (include units, e.g. "std of activations").
    log : bool
        Log y axis (default): the right choice when values shrink or grow geometrically.
    dashed_series : sequence of str
        Series drawn dashed (e.g. theory predictions next to measurements). Names that say
        "theory" (:func:`explorer.palette.is_theory`) are dashed anyway.
    legend_columns : int, optional
        Columns of the legend (default: as many as fit a half-page column).
    """
    data = mark_nonfinite(frame, y, log=log)
    # Only a series' first bad value gets a text label: a row of repeated labels is unreadable.
    bad_rows = data["status"] != "ok"
    data["first_bad"] = bad_rows & ~bad_rows.groupby(data[series]).shift(fill_value=False)
    names = list(dict.fromkeys(data[series]))
    dashed = [n for n in names if n in set(dashed_series) or palette.is_theory(n)]
    data["dashed"] = data[series].isin(dashed)
    color, shape = series_encodings(names, series, dashed=dashed, columns=legend_columns)
    y_scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    y_enc = alt.Y(
        "plot_value:Q",
        title=y_title,
        scale=y_scale,
        axis=log_axis(y_title) if log else alt.Axis(title=y_title),
    )
    tooltip = [
        alt.Tooltip(f"{series}:N", title="series"),
        alt.Tooltip(f"{x}:Q", title=x_title),
        alt.Tooltip("shown:N", title=y_title),
    ]
    # The data goes on the layer, not on each of its five charts: Altair otherwise hashes
    # every sub-chart's frame (through its text repr) to find the shared data, which costs
    # more than building the chart.
    base = alt.Chart().encode(
        x=alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(tickMinStep=1)), tooltip=tooltip
    )
    ok = "datum.status == 'ok'"
    # Theory: a wide, pale dashed band under the data, so a measured line lying exactly on
    # its prediction leaves the prediction visible on both sides.
    theory = (
        base.transform_filter(f"{ok} && datum.dashed")
        .mark_line(strokeDash=[10, 5], strokeWidth=7, opacity=0.45)
        .encode(y=y_enc, color=color)
    )
    lines = (
        base.transform_filter(f"{ok} && !datum.dashed")
        .mark_line(strokeWidth=2)
        .encode(y=y_enc, color=color)
    )
    points = (
        base.transform_filter(f"{ok} && !datum.dashed")
        .mark_point(filled=False, size=55, strokeWidth=1.8, opacity=1)
        .encode(y=y_enc, color=color, shape=shape)
    )
    bad = (
        base.transform_filter(alt.datum.status != "ok")
        .mark_point(shape="cross", size=90, filled=True, color=_STATUS_COLOR)
        .encode(y=alt.Y("plot_value:Q", scale=y_scale))
    )
    bad_text = (
        base.transform_filter(alt.datum.first_bad)
        .mark_text(dy=-10, fontSize=11, color=_STATUS_COLOR)
        .encode(y=alt.Y("plot_value:Q", scale=y_scale), text=alt.Text("status:N"))
    )
    return _finish(chartkit.layer(theory, lines, points, bad, bad_text, data=data), title, height)


def shared_heatmap_scales(frames: Sequence[pd.DataFrame]) -> tuple[tuple[float, float], float]:
    """One x range and one colour top for heatmaps drawn side by side (:func:`layer_heatmap`).

    Returns
    -------
    x_domain : (float, float)
        From the smallest ``bin_start`` to the largest ``bin_end`` holding any units.
    color_max : float
        The largest ``fraction`` in any of the frames.
    """
    used = [f[f["fraction"] > 0] for f in frames]
    used = [f for f in used if len(f)] or [f for f in frames if len(f)]
    if not used:
        return (0.0, 1.0), 1.0
    low = min(float(f["bin_start"].min()) for f in used)
    high = max(float(f["bin_end"].max()) for f in used)
    top = max(float(f["fraction"].max()) for f in used)
    return (low, high if high > low else low + 1.0), (top if top > 0 else 1.0)


def layer_heatmap(
    frame: pd.DataFrame,
    *,
    x_title: str,
    y_title: str = "Layer",
    title: str | None = None,
    height: int = CHART_HEIGHT,
    log_color: bool = False,
    x_domain: tuple[float, float] | None = None,
    color_max: float | None = None,
) -> alt.Chart:
    """A layer x value heatmap of pre-binned histograms (``y_title`` "Time step" for an RNN).

    Two heatmaps drawn side by side must be comparable: pass both the same ``x_domain`` and
    ``color_max`` (:func:`shared_heatmap_scales`).

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
    color_domain = {} if color_max is None else {"domain": [0, color_max]}
    if log_color and color_max is not None:
        color_domain = {"domain": [max(color_max * 1e-4, 1e-6), color_max]}
    color_scale = (
        alt.Scale(type="log", scheme="viridis", **color_domain)
        if log_color
        else alt.Scale(scheme="viridis", **color_domain)
    )
    x_scale = (
        alt.Scale(domain=list(x_domain), nice=False, zero=False)
        if x_domain is not None
        else alt.Scale(zero=False)
    )
    chart = (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X("bin_start:Q", title=x_title, scale=x_scale),
            x2=alt.X2("bin_end:Q"),
            y=alt.Y("layer:O", title=y_title, sort="ascending"),
            color=alt.Color(
                "fraction:Q",
                title="share of units",
                scale=color_scale,
                legend=alt.Legend(format=".0%", gradientLength=180),
            ),
            tooltip=[
                alt.Tooltip("layer:O", title="layer"),
                alt.Tooltip("bin_start:Q", title="from", format=".3g"),
                alt.Tooltip("bin_end:Q", title="to", format=".3g"),
                alt.Tooltip("fraction:Q", title="share", format=".1%"),
            ],
        )
    )
    return _finish(chart, title, height)


def _sane_top(data: pd.DataFrame, series: str, *, log: bool) -> float | None:
    """Top of the y range a training chart shows: a blow-up past it is a break, not a scale.

    On a log axis (a loss), 100× the largest value any run starts from; ``None`` on a linear
    axis (accuracy or R² are bounded, and may rise far above their start) or when no run has
    a finite positive start.
    """
    ok = data[data["status"] == "ok"]
    if ok.empty or not log:
        return None
    first = ok.sort_values("step").groupby(series, sort=False)["plot_value"].first()
    top = float(first.max())
    if not np.isfinite(top) or top <= 0:
        return None
    return top * 100.0


def training_curves(
    frame: pd.DataFrame,
    *,
    y: str,
    y_title: str,
    series: str = "series",
    log: bool = False,
    title: str | None = None,
    height: int = CHART_HEIGHT,
    diverged: pd.DataFrame | None = None,
    legend_columns: int | None = None,
) -> alt.Chart:
    """Loss or accuracy against the training step, one line per series.

    A run that blows up does not stretch the axis: values above a sane top (:func:`_sane_top`)
    leave the line (a break) and show as red ▲ marks at the top edge, and a run that turned
    non-finite gets a labelled marker "diverged at step N".

    Parameters
    ----------
    frame : DataFrame
        Columns ``step``, ``y`` and ``series`` (already thinned to at most a few hundred rows
        per series).
    diverged : DataFrame, optional
        Columns ``step`` and ``series``: where a run turned non-finite; drawn as a dashed rule
        with a marker and the label "diverged at step N".
    legend_columns : int, optional
        Columns of the legend (default: as many as fit).
    """
    data = mark_nonfinite(frame, y, log=log)
    top = _sane_top(data, series, log=log)
    if top is not None:
        above = (data["status"] == "ok") & (data["plot_value"] > top)
        data.loc[above, "status"] = "off scale"
        data.loc[above, "plot_value"] = top
    names = list(dict.fromkeys(data[series]))
    color, _ = series_encodings(names, series, columns=legend_columns)
    y_scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    y_axis = log_axis(y_title) if log else alt.Axis(title=y_title)
    x = alt.X("step:Q", title="Training step")
    lines = (
        alt.Chart(data)
        .transform_filter(alt.datum.status == "ok")
        .mark_line(strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y("plot_value:Q", title=y_title, scale=y_scale, axis=y_axis),
            color=color,
            tooltip=[
                alt.Tooltip(f"{series}:N"),
                alt.Tooltip("step:Q"),
                alt.Tooltip("shown:N", title=y_title),
            ],
        )
    )
    layers = [lines]
    if (data["status"] == "off scale").any():
        layers.append(
            alt.Chart(data)
            .transform_filter(alt.datum.status == "off scale")
            .mark_point(shape="triangle-up", size=50, filled=True, color=_STATUS_COLOR)
            .encode(
                x=x,
                y=alt.Y("plot_value:Q", scale=y_scale),
                tooltip=[
                    alt.Tooltip(f"{series}:N"),
                    alt.Tooltip("step:Q"),
                    alt.Tooltip("shown:N", title=f"{y_title} (off the chart)"),
                ],
            )
        )
    if diverged is not None and len(diverged):
        marks = diverged.assign(
            label=[f"{name}: diverged at step {int(step)}" for name, step in
                   zip(diverged[series], diverged["step"], strict=True)],
            ypix=[4 + 16 * i for i in range(len(diverged))],
        )  # fmt: skip
        rules = (
            alt.Chart(marks)
            .mark_rule(strokeDash=[4, 3], strokeWidth=1.5)
            .encode(
                x=alt.X("step:Q"),
                color=color,
                tooltip=[alt.Tooltip(f"{series}:N"), alt.Tooltip("step:Q", title="diverged at")],
            )
        )
        dots = (
            alt.Chart(marks)
            .mark_point(shape="cross", size=110, filled=True, color=_STATUS_COLOR)
            .encode(x=alt.X("step:Q"), y=alt.Y("ypix:Q", scale=None))
        )
        # Labels read to the right of early breaks and to the left of late ones.
        late = marks["step"] > 0.6 * float(data["step"].max() or 1)
        labels = [
            alt.Chart(part)
            .mark_text(
                color=_STATUS_COLOR,
                align=align,
                dx=dx,
                baseline="middle",
                fontSize=12,
                fontWeight="bold",
            )
            .encode(x=alt.X("step:Q"), y=alt.Y("ypix:Q", scale=None), text=alt.Text("label:N"))
            for part, align, dx in ((marks[~late], "left", 9), (marks[late], "right", -9))
            if len(part)
        ]
        layers += [rules, dots, *labels]
    return _finish(chartkit.layer(*layers), title, height)


def weight_limit(*weights: np.ndarray, max_cells: int = 48) -> float:
    """The largest finite |w| of the drawn blocks of ``weights`` (1 when there is none)."""
    top = 0.0
    for w in weights:
        block = np.abs(np.asarray(w, dtype=float)[:max_cells, :max_cells])
        finite = block[np.isfinite(block)]
        if finite.size:
            top = max(top, float(finite.max()))
    return top if top > 0 else 1.0


def weight_heatmap(
    weights: np.ndarray,
    *,
    title: str | None = None,
    max_cells: int = 48,
    height: int = CHART_HEIGHT,
    limit: float | None = None,
) -> alt.Chart:
    """A neurons x inputs heatmap of one weight matrix (at most ``max_cells`` per side).

    ``limit`` fixes the colour range to ±limit (:func:`weight_limit` of the matrices compared),
    so heatmaps side by side share one colour scale; default: this matrix's largest |w|.

    Parameters
    ----------
    weights : ndarray, shape (fan_in, fan_out)
        Rows are inputs, columns are neurons. Larger matrices show their top-left block: the
        point is to see identical columns (symmetric neurons), not every weight.
    """
    block = np.asarray(weights, dtype=float)[:max_cells, :max_cells]
    rows, cols = np.indices(block.shape)
    frame = pd.DataFrame({"input": rows.ravel(), "neuron": cols.ravel(), "weight": block.ravel()})
    if limit is None or not limit > 0:
        limit = weight_limit(block, max_cells=max_cells)
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
    )
    return _finish(chart, title, height)


def decision_boundary(
    grid: pd.DataFrame,
    points: pd.DataFrame,
    *,
    n_classes: int = 2,
    title: str | None = None,
    height: int = CHART_HEIGHT,
) -> alt.Chart:
    """A classifier's predictions on a grid, with (a sample of) the data on top.

    Two classes are coloured by P(class 1); more classes by the predicted class, shaded by its
    probability (the confidence).

    Parameters
    ----------
    grid : DataFrame
        Columns ``x0``, ``x1``, ``x0_end``, ``x1_end`` (cell corners), ``p`` (probability of
        class 1 for two classes, else of the predicted class) and, for more classes, ``cls``
        (the predicted class).
    points : DataFrame
        Columns ``x0``, ``x1`` and ``label`` (at most a few hundred rows).
    n_classes : int
    """
    if n_classes > 2:
        return _class_regions(grid, points, title=title, height=height)
    color = alt.Color(
        "p:Q", title="P(class 1)", scale=alt.Scale(scheme="blueorange", domain=[0, 1])
    )
    fill = alt.Scale(range=["#1f3b73", "#a34700", "#2a7f2a", "#6b2a7f"])
    cells = alt.Chart(grid).mark_rect(opacity=0.75).encode(color=color)
    return _input_plane(cells, points, fill, title=title, height=height)


def _input_plane(
    cells: alt.Chart,
    points: pd.DataFrame,
    fill: alt.Scale,
    *,
    title: str | None,
    height: int,
) -> alt.LayerChart:
    """Grid cells (already coloured) on the 2-D input plane, with the data points on top."""
    # Channel objects, not shorthand strings: Altair turns each string into a channel through
    # a schema lookup that cost more than the rest of the chart (redrawn live while training).
    axes = {
        "x": alt.X("x0:Q", title="x₁", scale=alt.Scale(zero=False, nice=False)),
        "x2": alt.X2("x0_end:Q"),
        "y": alt.Y("x1:Q", title="x₂", scale=alt.Scale(zero=False, nice=False)),
        "y2": alt.Y2("x1_end:Q"),
    }
    dots = (
        alt.Chart(points)
        .mark_point(filled=True, size=18, stroke="white", strokeWidth=0.4)
        .encode(
            x=alt.X("x0:Q"),
            y=alt.Y("x1:Q"),
            shape=alt.Shape("label:N", title="class"),
            fill=alt.Fill("label:N", scale=fill, legend=None),
        )
    )
    chart = chartkit.layer(cells.encode(**axes), dots)
    chart.width = height
    return _finish(chart, title, height)


def spectrum(
    frame: pd.DataFrame,
    *,
    series: str = "series",
    title: str | None = None,
    height: int = CHART_HEIGHT,
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
                f"{series}:N",
                title=None,
                scale=scale,
                legend=legend(_legend_columns(scale.domain)),
            ),
            tooltip=[
                alt.Tooltip(f"{series}:N"),
                alt.Tooltip("log10_sv:Q", format=".2f"),
                alt.Tooltip("density:Q", format=".2%"),
            ],
        )
    )
    return _finish(chart, title, height)


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
        Columns ``sw2``, ``sb2`` and ``label``: the initializers drawn as labelled points;
        optional ``mine`` (the user's: a large diamond, else a dot in the initializer's
        colour), ``series`` (the colour's name), ``tag`` (the short text drawn beside the
        point, default the label; the label stays in the tooltip) and ``dx``, ``dy`` (the
        tag's centre offset in pixels, dy downwards).
    """
    finite = grid[value].replace([np.inf, -np.inf], np.nan).abs().max()
    limit = float(finite) if np.isfinite(finite) and finite > 0 else 1.0
    cells = (
        alt.Chart(grid)
        .mark_rect(opacity=0.7)
        .encode(
            x=alt.X("sw2:Q", title="σ_w² (weight variance × fan-in)", scale=alt.Scale(nice=False)),
            x2=alt.X2("sw2_end:Q"),
            y=alt.Y("sb2:Q", title="σ_b² (bias variance)", scale=alt.Scale(nice=False)),
            y2=alt.Y2("sb2_end:Q"),
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
        .encode(x=alt.X("sw2:Q"), y=alt.Y("sb2:Q"), order=alt.Order("sb2:Q"))
    )
    # Every initializer of the session is a tagged point; the user's is a larger diamond.
    layers = [cells, line, *chartkit.tagged_points(points)]
    return _finish(chartkit.layer(*layers), title, height)


def bars_by_layer(
    frame: pd.DataFrame,
    *,
    y: str,
    y_title: str,
    series: str = "series",
    title: str | None = None,
    height: int = CHART_HEIGHT,
    percent: bool = True,
) -> alt.Chart:
    """Grouped bars of a per-layer fraction (e.g. saturated or dead units), 0..1."""
    scale = series_scale(frame[series].tolist())
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("layer:O", title="Layer", axis=alt.Axis(labelAngle=0)),
            xOffset=f"{series}:N",
            y=alt.Y(
                f"{y}:Q",
                title=y_title,
                scale=alt.Scale(domain=[0, 1]) if percent else alt.Scale(),
                axis=alt.Axis(format="%") if percent else alt.Axis(),
            ),
            color=alt.Color(
                f"{series}:N",
                title=None,
                scale=scale,
                legend=legend(_legend_columns(scale.domain)),
            ),
            tooltip=[
                alt.Tooltip(f"{series}:N"),
                alt.Tooltip("layer:O"),
                alt.Tooltip(f"{y}:Q", format=".1%" if percent else ".3g"),
            ],
        )
    )
    return _finish(chart, title, height)


# ---- Page 8: reference ----------------------------------------------------------------------


def sigma_vs_fan(
    frame: pd.DataFrame,
    *,
    highlight: str | None = None,
    series: str = "series",
    title: str | None = None,
    height: int = CHART_HEIGHT,
) -> alt.Chart:
    """σ of several schemes against fan-in, both axes logarithmic.

    Parameters
    ----------
    frame : DataFrame
        Columns ``fan_in``, ``fan_out``, ``std`` (all positive) and ``series``.
    highlight : str, optional
        A series drawn thicker (the user's initializer).
    """
    names = list(dict.fromkeys(frame[series]))
    side = alt.Legend(orient="right", labelLimit=260, labelFontSize=12, symbolSize=90)
    scale = series_scale(names)
    data = frame.assign(mine=frame[series] == highlight)
    # Schemes that coincide (LeCun, Glorot and orthogonal on a square layer) stay visible
    # through their markers: each scheme has its own hollow shape.
    points = (
        alt.Chart(data)
        .mark_point(filled=False, size=60, strokeWidth=1.8)
        .encode(
            x=alt.X("fan_in:Q", scale=alt.Scale(type="log", base=2)),
            y=alt.Y("std:Q", scale=alt.Scale(type="log")),
            color=alt.Color(f"{series}:N", title=None, scale=scale, legend=side),
            shape=alt.Shape(f"{series}:N", title=None, scale=shape_scale(names), legend=side),
        )
    )
    chart = (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=alt.X(
                "fan_in:Q", title="fan_in (inputs per unit)", scale=alt.Scale(type="log", base=2)
            ),
            y=alt.Y(
                "std:Q",
                title="σ of the weights",
                scale=alt.Scale(type="log"),
                axis=log_axis("σ of the weights"),
            ),
            color=alt.Color(
                f"{series}:N",
                title=None,
                scale=scale,
                legend=None,
            ),
            strokeWidth=alt.condition(alt.datum.mine, alt.value(4), alt.value(1.6)),
            tooltip=[
                alt.Tooltip(f"{series}:N", title="initializer"),
                alt.Tooltip("fan_in:Q"),
                alt.Tooltip("fan_out:Q"),
                alt.Tooltip("std:Q", title="σ", format=".4g"),
            ],
        )
    )
    return _finish(chartkit.layer(chart, points), title, height)


# ---- Page 1: symmetry ------------------------------------------------------------------------


def distinct_neurons_lines(
    frame: pd.DataFrame,
    *,
    width: int,
    color: str = "#4c78a8",
    title: str | None = None,
    height: int = 200,
) -> alt.Chart:
    """Distinct neurons of every hidden layer of one run against the training step.

    Parameters
    ----------
    frame : DataFrame
        Columns ``step``, ``layer`` (1-based hidden layer) and ``distinct``.
    width : int
        Neurons per layer: the top of the y axis (every neuron different). The axis is log2,
        from 1 (all clones) to ``width``.
    color : str
        Line colour (e.g. the initializer's, from :func:`init_colors`).
    """
    data = frame.assign(layer_name="hidden layer " + frame["layer"].astype(str))
    chart = (
        alt.Chart(data)
        .mark_line(
            point=alt.OverlayMarkDef(size=14, color=color), interpolate="step-after", color=color
        )
        .encode(
            x=alt.X("step:Q", title="Training step"),
            y=alt.Y(
                "distinct:Q",
                title="distinct neurons",
                # Log base 2 so that "1 neuron" sits on its own labelled tick, far from "all".
                # Headroom above "all distinct" keeps that line off the chart's top edge.
                scale=alt.Scale(type="log", base=2, domain=[1, 2 * max(width, 2)], nice=False),
                axis=alt.Axis(values=[2**i for i in range(max(width, 2).bit_length())]),
            ),
            detail=alt.Detail("layer_name:N"),
            tooltip=[
                alt.Tooltip("layer_name:N", title="layer"),
                alt.Tooltip("step:Q"),
                alt.Tooltip("distinct:Q", title="distinct neurons"),
            ],
        )
    )
    return _finish(chart, title, height)


def with_legend_columns(chart: alt.TopLevelMixin, columns: int) -> alt.TopLevelMixin:
    """Wrap a chart's legend into ``columns`` columns (long series names stay readable)."""
    return chart.configure_legend(columns=columns, labelLimit=260)


def neuron_bars(
    frame: pd.DataFrame,
    *,
    y: str,
    y_title: str,
    title: str | None = None,
    height: int = 200,
) -> alt.Chart:
    """One bar per neuron (e.g. each neuron's gradient): identical bars reveal clones.

    Parameters
    ----------
    frame : DataFrame
        Columns ``neuron`` (1-based) and ``y``. Bars are blue when positive, orange when
        negative; exact zeros get a thin grey tick so "all zero" is visible, not blank.
    """
    data = frame.assign(
        sign=np.where(frame[y] > 0, "positive", np.where(frame[y] < 0, "negative", "zero")),
        shown=[f"{v:.4g}" for v in frame[y]],
    )
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("neuron:O", title="Neuron", axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=".2~g")),
            color=alt.Color(
                "sign:N",
                scale=alt.Scale(
                    domain=["positive", "negative", "zero"], range=["#4c78a8", "#f58518", "#999999"]
                ),
                legend=None,
            ),
            tooltip=[alt.Tooltip("neuron:O"), alt.Tooltip("shown:N", title=y_title)],
        )
    )
    zero_ticks = (
        alt.Chart(data)
        .transform_filter(alt.datum.sign == "zero")
        .mark_tick(color="#999999", thickness=2)
        .encode(x=alt.X("neuron:O"), y=alt.Y(f"{y}:Q"))
    )
    return _finish(chartkit.layer(bars, zero_ticks), title, height)


# ---- Page 6: playground ---------------------------------------------------------------------


def grad_norm_panel(
    frame: pd.DataFrame,
    series: str,
    *,
    layer_order: Sequence[str] | None = None,
    domain: tuple[float, float] | None = None,
    height: int = 160,
) -> alt.LayerChart:
    """One initializer's step x layer heatmap of the gradient norm, fitting its column's width.

    One chart per initializer, each as wide as the column it is drawn in (autosize ``fit-x``),
    so panels placed in ``st.columns`` stack on a phone instead of running off a fixed-width
    facet. Exact zeros are grey, overflow/NaN red. Panels drawn side by side must share
    ``domain`` to be comparable.

    Parameters
    ----------
    frame : DataFrame
        Columns series, layer, step, step_end, grad_norm, log10_norm, status ("ok", "zero",
        "overflow", "NaN"), pre-binned to a few dozen steps per series; only the rows of
        ``series`` are drawn.
    series : str
        The initializer whose panel this is (the chart's title).
    layer_order : sequence of str, optional
        Layer order from input (top) to output (bottom).
    domain : (float, float), optional
        Colour range of log10 ‖∂L/∂W‖ (clamped).
    height : int
        Plot height in pixels (not raised to :data:`MIN_PLOT_HEIGHT`: a panel is one of
        several small multiples).

    Returns
    -------
    alt.LayerChart
    """
    data = frame[frame["series"] == series] if len(frame) else frame
    y = alt.Y("layer:N", title=None, sort=list(layer_order) if layer_order else "ascending")
    base = alt.Chart(data).encode(
        x=alt.X("step:Q", title="Training step", axis=alt.Axis(tickCount=4)),
        x2=alt.X2("step_end:Q"),
        y=y,
        tooltip=[
            alt.Tooltip("series:N", title="initializer"),
            alt.Tooltip("layer:N"),
            alt.Tooltip("step:Q", title="from step"),
            alt.Tooltip("grad_norm:Q", title="‖∂L/∂W‖", format=".3g"),
            alt.Tooltip("status:N"),
        ],
    )
    scale = (
        alt.Scale(scheme="viridis", domain=list(domain), clamp=True)
        if domain
        else alt.Scale(scheme="viridis")
    )
    ok = (
        base.transform_filter(alt.datum.status == "ok")
        .mark_rect()
        .encode(
            color=alt.Color(
                "log10_norm:Q",
                title="log10 ‖∂L/∂W‖",
                scale=scale,
                legend=alt.Legend(orient="bottom", gradientLength=140, titleLimit=200),
            )
        )
    )
    zero = base.transform_filter(alt.datum.status == "zero").mark_rect(color="#b0b0b0")
    bad = base.transform_filter(
        (alt.datum.status == "overflow") | (alt.datum.status == "NaN")
    ).mark_rect(color=_STATUS_COLOR)
    chart = chartkit.layer(ok, zero, bad)
    chart.autosize = alt.AutoSizeParams(type="fit-x", contains="padding")
    chart.height = int(height)
    chart.title = alt.TitleParams(series, fontSize=13, anchor="middle")
    return chart


def _class_regions(
    grid: pd.DataFrame, points: pd.DataFrame, *, title: str | None, height: int
) -> alt.LayerChart:
    """:func:`decision_boundary` for three or more classes: the class, shaded by confidence."""
    palette = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#b279a2", "#9d755d", "#72b7b2"]
    classes = sorted(set(grid["cls"].astype(str)) | set(points["label"].astype(str)), key=int)
    scale = alt.Scale(domain=classes, range=[palette[int(c) % len(palette)] for c in classes])
    cells = (
        alt.Chart(grid.assign(cls=grid["cls"].astype(str)))
        .mark_rect()
        .encode(
            color=alt.Color("cls:N", title="predicted class", scale=scale),
            opacity=alt.Opacity(
                "p:Q",
                title="confidence",
                scale=alt.Scale(range=[0.15, 0.8]),
                legend=alt.Legend(format=".2f"),
            ),
        )
    )
    return _input_plane(cells, points, scale, title=title, height=height)


def with_y_domain(chart: alt.LayerChart, low: float, high: float, *, log: bool) -> alt.LayerChart:
    """Fix the shared y range of a layered chart (values outside are clamped to its edges).

    Adds an invisible layer whose y scale carries the domain; the layers share the y scale,
    so the explicit domain applies to all of them.

    Parameters
    ----------
    chart : LayerChart
        E.g. from :func:`training_curves` (its y field is ``plot_value``).
    low, high : float
        The range (positive on a log axis).
    log : bool
        Whether the y axis is logarithmic.
    """
    scale = alt.Scale(type="log" if log else "linear", domain=[low, high], clamp=True)
    edge = (
        alt.Chart(pd.DataFrame({"plot_value": [low, high]}))
        .mark_point(opacity=0)
        .encode(y=alt.Y("plot_value:Q", scale=scale))
    )
    # alt.layer hoists data shared by all layers to the parent chart: carry it over.
    kept = {k: getattr(chart, k) for k in ("data", "height", "width", "title", "autosize")}
    return chartkit.layer(*chart.layer, edge).properties(
        **{k: v for k, v in kept.items() if v is not alt.Undefined}
    )


# ---- Page 4: choosing the scale ----


def growth_sweep(
    frame: pd.DataFrame,
    marks: pd.DataFrame,
    *,
    x_title: str = "k in Var(W) = k / n (log scale)",
    y_title: str = "variance factor per layer (log)",
    title: str | None = None,
    height: int = CHART_HEIGHT,
) -> alt.Chart:
    """Per-layer growth factors against a scale k: measured points, theory lines, the edge.

    Parameters
    ----------
    frame : DataFrame
        Columns ``k``, ``factor``, ``direction`` (the colour) and ``source`` ("measured" drawn
        as points, "theory" as dashed lines). Non-finite or non-positive factors are dropped
        from the lines and listed in the tooltip-free red marks of :func:`mark_nonfinite`.
    marks : DataFrame
        Columns ``k`` and ``label``: vertical rules with a label (the edge of chaos, the
        user's k), labels stacked from the top in row order. May be empty.
    """
    data = mark_nonfinite(frame, "factor", log=True)
    directions = list(dict.fromkeys(data["direction"]))
    # Forward and backward can coincide (ReLU, square layers): distinct markers and dashes
    # keep both visible; the theory lines are drawn under the measured points.
    color = alt.Color(
        "direction:N", title=None, scale=series_scale(directions), legend=legend(len(directions))
    )
    shape = alt.Shape(
        "direction:N",
        title=None,
        scale=alt.Scale(
            domain=directions, range=["circle", "square", "triangle-up"][: len(directions)]
        ),
        legend=legend(len(directions)),
    )
    dashes = dict(zip(directions, ([6, 4], [2, 3], [8, 2, 2, 2]), strict=False))
    x = alt.X("k:Q", title=x_title, scale=alt.Scale(type="log", nice=False))
    y_scale = alt.Scale(type="log")
    y_axis = log_axis(y_title)
    tooltip = [
        alt.Tooltip("direction:N", title="quantity"),
        alt.Tooltip("source:N"),
        alt.Tooltip("k:Q", format=".3g"),
        alt.Tooltip("shown:N", title="factor per layer"),
    ]
    ok = data[data["status"] == "ok"]
    # One layer per direction: each theory line has its own dash (a constant, so the legend
    # shows the measured markers, not a dash pattern).
    theory_rows = ok[ok["source"] == "theory"]
    theory = [
        alt.Chart(theory_rows[theory_rows["direction"] == name])
        .mark_line(strokeWidth=2, opacity=0.8, strokeDash=dashes[name])
        .encode(
            x=x,
            y=alt.Y("plot_value:Q", title=y_title, scale=y_scale, axis=y_axis),
            color=color,
        )
        for name in directions
        if (theory_rows["direction"] == name).any()
    ]
    measured = (
        alt.Chart(ok[ok["source"] == "measured"])
        .mark_point(filled=False, size=70, strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y("plot_value:Q", title=y_title, scale=y_scale, axis=y_axis),
            color=color,
            shape=shape,
            tooltip=tooltip,
        )
    )
    one = (
        alt.Chart(pd.DataFrame({"y": [1.0]}))
        .mark_rule(color="#333333", strokeWidth=1)
        .encode(y=alt.Y("y:Q", scale=y_scale))
    )
    layers = [one, *theory, measured]
    bad = data[data["status"] != "ok"]
    if len(bad):
        layers.append(
            alt.Chart(bad)
            .mark_point(shape="cross", size=90, filled=True, color=_STATUS_COLOR)
            .encode(x=x, y=alt.Y("plot_value:Q", scale=y_scale), tooltip=tooltip)
        )
    if len(marks):
        rules = (
            alt.Chart(marks)
            .mark_rule(color="#555555", strokeDash=[2, 2])
            .encode(x=x, tooltip=[alt.Tooltip("label:N"), alt.Tooltip("k:Q", format=".3g")])
        )
        stacked = marks.assign(ypix=[4 + 14 * i for i in range(len(marks))])
        labels = (
            alt.Chart(stacked)
            .mark_text(align="left", dx=4, baseline="top", fontSize=11, color="#333333")
            .encode(x=x, y=alt.Y("ypix:Q", scale=None), text=alt.Text("label:N"))
        )
        layers += [rules, labels]
    return _finish(chartkit.layer(*layers), title, height)


# ---- Page 7: edge of chaos ----


def trainable_depth_chart(
    curve: pd.DataFrame,
    *,
    depth: int,
    sw2: float,
    sw2_max: float,
    critical_sw2: float | None = None,
    title: str | None = None,
    height: int = 300,
) -> alt.Chart:
    """Trainable depth 6 ξ_c against σ_w² (log y), with the user's depth and σ_w² as rules.

    Parameters
    ----------
    curve : DataFrame
        Columns ``sw2`` and ``trainable_depth`` (finite, positive; the divergence at the
        critical point shows as the curve running off the top).
    depth : int
        The user's depth: a horizontal rule. Below the curve = trainable by this estimate.
    sw2 : float
        The user's σ_w²: a vertical rule (drawn when inside the axis).
    sw2_max : float
        Right end of the σ_w² axis (it starts at 0). Where the curve is missing, theory has no
        finite depth scale there (critical line, or no fixed point).
    critical_sw2 : float, optional
        The edge of chaos at this σ_b²: a dashed vertical rule.
    """
    top = float(max(curve["trainable_depth"].max() if len(curve) else 1.0, depth) * 2)
    y_scale = alt.Scale(type="log", domain=[0.1, min(top, 1e4)], clamp=True)
    line = (
        alt.Chart(curve)
        .mark_line(color="#4c78a8", strokeWidth=2)
        .encode(
            x=alt.X(
                "sw2:Q",
                title="σ_w² (weight variance × fan-in)",
                scale=alt.Scale(domain=[0, sw2_max], nice=False),
            ),
            y=alt.Y(
                "trainable_depth:Q",
                title="trainable depth ≈ 6 ξ_c (layers)",
                scale=y_scale,
                axis=log_axis("trainable depth ≈ 6 ξ_c (layers)"),
            ),
            tooltip=[
                alt.Tooltip("sw2:Q", title="σ_w²", format=".3f"),
                alt.Tooltip("xi_c:Q", title="ξ_c", format=".3g"),
                alt.Tooltip("trainable_depth:Q", title="6 ξ_c", format=".3g"),
            ],
        )
    )
    rules = pd.DataFrame({"depth": [depth], "label": [f"your depth: {depth}"]})
    depth_rule = (
        alt.Chart(rules)
        .mark_rule(color="#e45756", strokeWidth=2)
        .encode(y=alt.Y("depth:Q", scale=y_scale))
    )
    depth_text = (
        alt.Chart(rules)
        .mark_text(align="left", dx=4, dy=-7, color="#e45756", fontSize=12)
        .encode(x=alt.value(4), y=alt.Y("depth:Q", scale=y_scale), text=alt.Text("label:N"))
    )
    layers = [line, depth_rule, depth_text]
    lo, hi = 0.0, sw2_max
    if lo <= sw2 <= hi:
        point = pd.DataFrame({"sw2": [sw2], "label": [f"your σ_w² = {sw2:.3g}"]})
        layers.append(
            alt.Chart(point).mark_rule(color="black", strokeWidth=1.5).encode(x=alt.X("sw2:Q"))
        )
        layers.append(
            alt.Chart(point)
            .mark_text(align="left", dx=4, y=10, fontSize=12)
            .encode(x=alt.X("sw2:Q"), text=alt.Text("label:N"))
        )
    if critical_sw2 is not None and np.isfinite(critical_sw2) and lo <= critical_sw2 <= hi:
        crit = pd.DataFrame({"sw2": [critical_sw2]})
        layers.append(
            alt.Chart(crit)
            .mark_rule(color="gray", strokeDash=[5, 4])
            .encode(x=alt.X("sw2:Q"), tooltip=[alt.Tooltip("sw2:Q", title="critical σ_w²")])
        )
    return _finish(chartkit.layer(*layers), title, height)


def training_panel(
    curves: pd.DataFrame,
    *,
    y: str,
    y_title: str,
    diverged: pd.DataFrame | None = None,
    title: str,
    log: bool = False,
    y_domain: tuple[float, float] | None = None,
    legend_columns: int = 2,
) -> alt.TopLevelMixin:
    """:func:`training_curves` with an optional fixed y range and a legend wrapped in columns.

    One function for :func:`explorer.chartspec.spec` to cache (the playground's loss and score
    charts).
    """
    chart = training_curves(curves, y=y, y_title=y_title, log=log, diverged=diverged, title=title)
    if y_domain is not None:
        chart = with_y_domain(chart, *y_domain, log=log)
    return chart.configure_legend(columns=legend_columns, labelLimit=260)
