"""Building blocks of every chart: sizes, legends, log axes, colour and marker scales.

:mod:`explorer.charts` builds the charts from these, so every builder follows the app's chart
conventions the same way:

- plot areas at least :data:`MIN_PLOT_HEIGHT` pixels tall; the chart fits the page's width and
  grows downwards for its title, axes and legend (:func:`finish`);
- legends below the plot (:func:`legend`), never a multi-row legend on top;
- log axes labelled at powers of ten only (:func:`log_axis`);
- one palette: a series' colour and marker are fixed functions of its name
  (:mod:`explorer.palette`, :func:`series_scale`, :func:`shape_scale`);
- non-finite values kept visible (:func:`mark_nonfinite`).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from explorer import palette

#: Plot-area height of a full chart (title, axes and legend come on top of it).
CHART_HEIGHT = 300
#: No plot area is shorter than this: the charts are read on a projector.
MIN_PLOT_HEIGHT = 220
STATUS_COLOR = palette.STATUS_COLOR
#: Legend below the plot (never a multi-row legend on top eating the plot), readable labels.
_LEGEND = {
    "orient": "bottom",
    "labelLimit": 260,
    "labelFontSize": 12,
    "symbolSize": 90,
    "symbolOpacity": 1,
    "symbolStrokeWidth": 2,
}
#: A log axis labels powers of ten only, "1e-3" style beyond 0.01 … 100.
LOG_LABELS = (
    "abs(log(datum.value) / LN10 - round(log(datum.value) / LN10)) > 1e-6 ? '' : "
    "abs(round(log(datum.value) / LN10)) <= 2 ? format(datum.value, '~g') : "
    "'1e' + round(log(datum.value) / LN10)"
)


def log_axis(title: str | None = None, **kwargs: object) -> alt.Axis:
    """An axis for a base-10 log scale: labels at powers of ten only ("1e-3", "0.01", "100")."""
    return alt.Axis(title=title, labelExpr=LOG_LABELS, **kwargs)


def legend(columns: int | None = None, **kwargs: object) -> alt.Legend:
    """A legend below the plot; ``columns`` wraps it (default: as many as fit)."""
    extra = {"columns": columns} if columns else {}
    return alt.Legend(**{**_LEGEND, **extra, **kwargs})


def rgb(color: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` as integers 0..255."""
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def distance_to(color: str, others: Sequence[str]) -> float:
    """Smallest RGB distance from ``color`` to any of ``others`` (inf when there are none)."""
    r, g, b = rgb(color)
    return min(
        (((r - r2) ** 2 + (g - g2) ** 2 + (b - b2) ** 2) ** 0.5 for r2, g2, b2 in map(rgb, others)),
        default=float("inf"),
    )


def finish(
    chart: alt.TopLevelMixin, title: str | None, height: int | None = None
) -> alt.TopLevelMixin:
    """Set a chart's plot height (at least :data:`MIN_PLOT_HEIGHT`) and title.

    ``height`` is the plot area: the chart fits the page's width and grows downwards for its
    title, axes and legend (autosize ``fit-x``), so a legend never squeezes the plot.
    """
    # Set on the (freshly built) chart itself: ``.properties()`` copies and schema-validates
    # the whole chart once per call, which cost more than building it (tests validate the
    # finished charts instead).
    chart.autosize = alt.AutoSizeParams(type="fit-x", contains="padding")
    if height is not None:
        chart.height = max(int(height), MIN_PLOT_HEIGHT)
    if title:
        chart.title = title
    return chart


def layer(*charts: alt.TopLevelMixin, **kwargs: object) -> alt.LayerChart:
    """``alt.layer(*charts, **kwargs)``, with the layers' shared data hoisted by hand.

    Altair hoists data that every layer shares to the top level itself, but pays for it: it
    hashes each layer with ``json.dumps(..., default=str)``, which formats the whole DataFrame
    as text, and deep-copies the layer. Stripping the data from shallow copies of the layers and
    passing it to ``alt.layer`` gives the same Vega-Lite spec at about half the cost of a
    layered chart (the live training views rebuild theirs several times a second; the tests
    check that the specs are equal). Layers with different data are layered as given.
    """
    data = charts[0].data if charts else alt.Undefined
    shared = (
        "data" not in kwargs
        and data is not alt.Undefined
        and all(chart.data is data for chart in charts)
    )
    if not shared:
        return alt.layer(*charts, **kwargs)
    stripped = []
    for chart in charts:
        copy = chart.copy(deep=False)
        copy.data = alt.Undefined
        stripped.append(copy)
    return alt.layer(*stripped, data=data, **kwargs)


def series_scale(series: Sequence[str]) -> alt.Scale:
    """The colour scale of the given series.

    Each name keeps its fixed colour (:func:`explorer.palette.color_of`), whatever else the
    chart draws.
    """
    domain, colors = palette.colors_for(series)
    return alt.Scale(domain=domain, range=colors)


def shape_scale(series: Sequence[str]) -> alt.Scale:
    """The marker scale of the given series (:func:`explorer.palette.shape_of`)."""
    domain = list(dict.fromkeys(series))
    return alt.Scale(domain=domain, range=[palette.shape_of(name) for name in domain])


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
    # Pin marks just outside the finite range; near the float limits, pin at the limit itself
    # (10 x 1e308 would overflow).
    huge = np.finfo(float).max
    if log:
        top = high * 10.0 if high < huge / 10.0 else high
        bottom = low / 10.0 if low > np.finfo(float).tiny * 10.0 else low
    else:
        span = (
            max(high / 2.0 - low / 2.0, 0.5) * 2.0
            if high / 2.0 - low / 2.0 < huge / 4.0
            else huge / 2.0
        )
        top = high + 0.1 * span if high < huge / 2.0 else high
        bottom = low - 0.1 * span if low > -huge / 2.0 else low
    plot = values.copy()
    plot[status == "overflow"] = top
    plot[(status == "NaN") | (status == "underflow (0)")] = bottom
    out["status"] = status
    out["plot_value"] = plot
    out["shown"] = [f"{v:.3g}" if s == "ok" else s for v, s in zip(values, status, strict=True)]
    return out


def legend_columns(names: Sequence[str], width: int = 430) -> int:
    """Legend columns that fit ``width`` pixels (a half-page column on a 1400 px screen)."""
    if not names:
        return 1
    per_entry = 7 * max(len(str(n)) for n in names) + 34
    return max(1, min(len(names), width // per_entry))


def series_encodings(
    names: Sequence[str],
    series: str = "series",
    *,
    dashed: Sequence[str] = (),
    columns: int | None = None,
) -> tuple[alt.Color, alt.Shape]:
    """Colour and marker encodings of ``series`` with one legend below the plot.

    Colours and markers are fixed functions of the names (:mod:`explorer.palette`); dashed
    (theory) series show a line in the legend.
    """
    domain = list(dict.fromkeys(names))
    cols = columns or legend_columns(domain)
    color = alt.Color(f"{series}:N", title=None, scale=series_scale(domain), legend=legend(cols))
    shapes = ["stroke" if n in dashed else palette.shape_of(n) for n in domain]
    shape = alt.Shape(
        f"{series}:N",
        title=None,
        scale=alt.Scale(domain=domain, range=shapes),
        legend=legend(cols),
    )
    return color, shape


def tagged_points(points: pd.DataFrame) -> list[alt.Chart]:
    """Layers drawing initializers as points on an (``sw2``, ``sb2``) plane, each with a tag.

    Parameters
    ----------
    points : DataFrame
        Columns ``sw2``, ``sb2``, ``label`` and optional ``mine`` (the user's point: a large
        white diamond; others are dots in their series' colour), ``series`` (the colour's name,
        default the label), ``tag`` (the short text drawn beside the point, default the label;
        the label stays in the tooltip) and ``dx``, ``dy`` (the tag's centre offset in pixels,
        dy downwards; default 10 px above the point).

    Returns
    -------
    list of alt.Chart
        The dots, the diamond, then per tag offset a white halo and the dark tag on top (a
        text mark's dx/dy are constants, so one layer per offset).
    """
    pts = points.copy()
    defaults = {"mine": True, "series": pts["label"], "tag": pts["label"], "dx": 0, "dy": -10}
    pts = pts.assign(**{name: value for name, value in defaults.items() if name not in pts})
    xy = {"x": alt.X("sw2:Q"), "y": alt.Y("sb2:Q")}
    tooltip = [
        alt.Tooltip("tag:N", title="tag"),
        alt.Tooltip("label:N", title="initializer"),
        alt.Tooltip("sw2:Q", title="σ_w²", format=".3f"),
        alt.Tooltip("sb2:Q", title="σ_b²", format=".3f"),
    ]
    color = alt.Color(
        "series:N", scale=series_scale(list(dict.fromkeys(pts["series"]))), legend=None
    )
    layers = [
        alt.Chart(pts[~pts["mine"]])
        .mark_point(shape="circle", size=110, filled=True, stroke="white", strokeWidth=1.5)
        .encode(**xy, color=color, tooltip=tooltip),
        alt.Chart(pts[pts["mine"]])
        .mark_point(
            shape="diamond", size=220, filled=True, color="white", stroke="black", strokeWidth=2
        )
        .encode(**xy, tooltip=tooltip),
    ]
    for (dx, dy), part in pts.groupby(["dx", "dy"], sort=True):
        base = alt.Chart(part).encode(**xy, text=alt.Text("tag:N"), tooltip=tooltip)
        style = {"align": "center", "baseline": "middle", "dx": int(dx), "dy": int(dy)}
        style |= {"fontSize": 13, "fontWeight": "bold"}
        # A white halo under the dark tag: it reads on blue, white and red cells alike.
        layers.append(base.mark_text(**style, color="white", stroke="white", strokeWidth=4))
        layers.append(base.mark_text(**style, color="#111"))
    return layers
