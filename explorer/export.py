"""Downloads: a page's per-layer statistics as CSV/JSON and its main chart as SVG/PNG.

The pure functions turn what a page already holds (a pre-aggregated frame, an Altair chart, the
shared config) into file bytes. :func:`export_row` draws the compact "⬇ Export" popover; it hands
``st.download_button`` *callables*, so nothing is serialized or rendered on a normal rerun —
only when a visitor clicks (Streamlit runs the callable on a separate thread then).

Chart images are rendered offline by ``vl-convert-python`` (a bundled Vega-Lite/Deno engine;
no network, no browser). Files are named ``{page_slug}_{config.slug()}.{ext}``.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import altair as alt
import pandas as pd
import streamlit as st

from explorer import state
from explorer.chartspec import ChartSpec

#: Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection").
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


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
    out = frame.copy()
    out.columns = [_defuse_cell(str(c)) for c in out.columns]
    for column in out.columns:
        if not (
            pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_bool_dtype(out[column])
        ):
            out[column] = out[column].map(_defuse_cell).astype(object)
    text = out.to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    return text.encode("utf-8")


def json_number(value: float) -> float | str | None:
    """JSON has no NaN or infinity: write them as null and "inf"."""
    value = float(value)
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


#: Clear column names of the per-layer statistics (``experiments.stats_frame`` names on the left).
#: Columns not listed keep their name.
COLUMN_NAMES: dict[str, str] = {
    "series": "series",
    "layer": "layer",
    "act_mean": "activation_mean",
    "act_std": "activation_std",
    "preact_std": "preactivation_std",
    "saturated_fraction": "saturated_fraction",
    "dead_fraction": "dead_fraction",
    "grad_std": "grad_std_dL_dz",
    "weight_grad_std": "weight_grad_std",
    "nonfinite_act": "nonfinite_activations",
    "nonfinite_grad": "nonfinite_gradients",
}
#: Width in CSS pixels of an exported chart image (charts on the page stretch to the column).
IMAGE_WIDTH = 640
#: Pixel density of PNG exports (2 = sharp on high-DPI screens and slides).
PNG_SCALE = 2.0

ImageFormat = Literal["svg", "png"]
#: What an export renders: an Altair chart, a drawn ChartSpec, or a callable building either
#: (only called when a download is clicked, so a chart that is not on screen is never built).
ChartSource = alt.TopLevelMixin | ChartSpec | Callable[[], alt.TopLevelMixin | ChartSpec]


def file_name(page_slug: str, config: state.Config, ext: str) -> str:
    """``{page_slug}_{config.slug()}.{ext}``: the export's file name, after the config."""
    return f"{page_slug}_{config.slug()}.{ext}"


def per_layer_table(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The per-layer frame with clear column names, ``series`` and ``layer`` first.

    Parameters
    ----------
    frame : DataFrame
        Long format, one row per layer per series (e.g. :func:`explorer.experiments.stats_frame`
        rows stacked); must hold ``series`` and ``layer``.
    columns : sequence of str, optional
        Columns to keep (original names); default all.

    Returns
    -------
    DataFrame
        A copy, renamed by :data:`COLUMN_NAMES`, grouped by series (in order of appearance),
        layers in frame order.

    Raises
    ------
    KeyError
        If ``series`` or ``layer`` is missing.
    """
    missing = {"series", "layer"} - set(frame.columns)
    if missing:
        raise KeyError(f"per-layer frame lacks {', '.join(sorted(missing))}")
    keep = list(columns) if columns is not None else list(frame.columns)
    keep = ["series", "layer"] + [c for c in keep if c not in ("series", "layer")]
    out = frame[keep].rename(columns=COLUMN_NAMES)
    order = {name: i for i, name in enumerate(dict.fromkeys(out["series"]))}
    out = out.assign(_order=out["series"].map(order))
    # Layers stay in the frame's order ("output" may follow the numbered layers).
    out = out.sort_values("_order", kind="stable").drop(columns="_order")
    return out.reset_index(drop=True)


def csv_bytes(table: pd.DataFrame) -> bytes:
    """UTF-8 CSV, safe to open in a spreadsheet (:func:`safe_csv`)."""
    return safe_csv(table)


def _json_value(value: object) -> object:
    """Strict JSON: NaN is null, infinities "inf"/"-inf", NumPy scalars Python, lists kept."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if hasattr(value, "item"):  # NumPy scalar
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    if isinstance(value, int | float | str | bool):
        return value
    return str(value)


def metadata(
    page_slug: str, config: state.Config, extra: Mapping[str, object] | None = None
) -> dict[str, object]:
    """The header of a JSON export: page, the whole shared config, and page extras."""
    return {
        "page": page_slug,
        "config": {
            "network": config.network,
            "activation": config.activation,
            "init": config.init,
            "init_label": config.init_label,
            "init_params": {k: _json_value(v) for k, v in config.init_params},
            "depth": config.depth,
            "width": config.width,
            "seed": config.seed,
        },
        "share_query": config.to_query(),
        **({k: _json_value(v) for k, v in extra.items()} if extra else {}),
    }


def json_bytes(
    table: pd.DataFrame,
    page_slug: str,
    config: state.Config,
    extra: Mapping[str, object] | None = None,
) -> bytes:
    """``{"metadata": {...}, "columns": [...], "rows": [{...}, ...]}`` as strict UTF-8 JSON.

    Parameters
    ----------
    table : DataFrame
        One row per layer per series (e.g. :func:`per_layer_table`).
    page_slug : str
    config : state.Config
    extra : mapping, optional
        Page-specific settings to record (e.g. page 3's clipping threshold).

    Returns
    -------
    bytes
        No NaN/Infinity tokens (``allow_nan=False``): NaN is null, overflow is "inf".
    """
    rows = [
        {str(k): _json_value(v) for k, v in record.items()}
        for record in table.to_dict(orient="records")
    ]
    payload = {
        "metadata": metadata(page_slug, config, extra),
        "columns": [str(c) for c in table.columns],
        "rows": rows,
    }
    return json.dumps(payload, allow_nan=False, ensure_ascii=False, indent=1).encode("utf-8")


def chart_spec(chart: alt.TopLevelMixin, *, width: int | None = IMAGE_WIDTH) -> dict:
    """The chart's Vega-Lite spec with a fixed width (on the page it stretches to its column)."""
    if width is not None and isinstance(chart, alt.Chart | alt.LayerChart):
        chart = chart.properties(width=width)
    return chart.to_dict()


def _vl_version() -> str:
    """vl-convert's name of the Vega-Lite version Altair writes, e.g. ``"v6_4"``."""
    return "_".join(alt.SCHEMA_VERSION.split(".")[:2])


def chart_image(chart: ChartSource, fmt: ImageFormat, *, width: int | None = IMAGE_WIDTH) -> bytes:
    """Render a chart to SVG or PNG offline with vl-convert.

    Parameters
    ----------
    chart : altair chart, ChartSpec, or a callable returning one
    fmt : {"svg", "png"}
    width : int or None
        Plot width in CSS pixels (None keeps the chart's own).

    Returns
    -------
    bytes
        UTF-8 SVG text or PNG bytes (at :data:`PNG_SCALE`).

    Raises
    ------
    ValueError
        For an unknown format.
    """
    import vl_convert as vlc  # imported on click only: keeps page start-up fast

    if callable(chart):  # built on click only (a chart not on screen, e.g. before a reveal)
        chart = chart()
    if isinstance(chart, ChartSpec):  # drawn from the shared cache: rebuild the Altair chart
        chart = chart.build()
    spec = chart_spec(chart, width=width)
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec, vl_version=_vl_version()).encode("utf-8")
    if fmt == "png":
        return vlc.vegalite_to_png(spec, vl_version=_vl_version(), scale=PNG_SCALE)
    raise ValueError(f"unknown image format {fmt!r}; valid: svg, png")


def per_layer_export(
    page_slug: str,
    config: state.Config,
    layers: pd.DataFrame | Callable[[], pd.DataFrame],
    chart: ChartSource | None,
    *,
    key: str,
    **settings: object,
) -> None:
    """:func:`export_row` of a per-layer page: its long per-layer frame and its main chart.

    ``layers`` (or, for data not on screen, a callable returning it, called on click only) goes
    through :func:`per_layer_table`; ``settings`` (page settings such as
    ``layer_unit="time step"``) are recorded in the JSON metadata.
    """
    export_row(
        page_slug,
        config,
        table=lambda: per_layer_table(layers() if callable(layers) else layers),
        chart=chart,
        key=key,
        extra=settings,
    )


def export_row(
    page_slug: str,
    config: state.Config,
    *,
    table: pd.DataFrame | Callable[[], pd.DataFrame] | None,
    chart: ChartSource | None,
    key: str,
    extra: Mapping[str, object] | None = None,
    label: str = "⬇ Export",
) -> None:
    """Draw a compact "⬇ Export" popover: the page's data as CSV/JSON, its chart as SVG/PNG.

    Nothing is serialized or rendered here: each button gets a callable that Streamlit runs
    only when it is clicked.

    Parameters
    ----------
    page_slug : str
        Short page name for the files, e.g. ``"small_random"``.
    config : state.Config
        The shared config (file names, JSON metadata).
    table : DataFrame, callable returning one, or None
        One row per layer per series, clearly named columns (see :func:`per_layer_table`). A
        callable is only called when a button is clicked (nothing is built on a rerun).
    chart : altair chart, ChartSpec, callable returning one, or None
        The page's main chart (a callable is only called when a chart button is clicked).
    key : str
        Unique key prefix of the buttons on the page.
    extra : mapping, optional
        Page settings recorded in the JSON metadata.
    label : str
        The popover's label.
    """
    with st.popover(label):
        st.caption(
            "Files are named after your settings; the JSON holds the settings and the share link."
        )
        # One row of two buttons per artefact: (label, extension, MIME type, icon, builder).
        rows: list[tuple[tuple[str, str, str, str, Callable[[], bytes]], ...]] = []
        if table is not None:

            def frame() -> pd.DataFrame:
                return table() if callable(table) else table

            rows.append(
                (
                    ("Per-layer data (CSV)", "csv", "text/csv", ":material/table:",
                     lambda: csv_bytes(frame())),
                    ("Per-layer data (JSON)", "json", "application/json", ":material/data_object:",
                     lambda: json_bytes(frame(), page_slug, config, extra)),
                )
            )  # fmt: skip
        if chart is not None:
            rows.append(
                (
                    ("Chart (SVG)", "svg", "image/svg+xml", ":material/image:",
                     lambda: chart_image(chart, "svg")),
                    ("Chart (PNG)", "png", "image/png", ":material/image:",
                     lambda: chart_image(chart, "png")),
                )
            )  # fmt: skip
        for row in rows:
            for column, (text, ext, mime, icon, build) in zip(st.columns(2), row, strict=True):
                column.download_button(
                    text,
                    data=build,
                    file_name=file_name(page_slug, config, ext),
                    mime=mime,
                    key=f"{key}_{ext}",
                    on_click="ignore",
                    icon=icon,
                )
