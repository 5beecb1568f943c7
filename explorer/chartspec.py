"""Charts built once per distinct arguments and shared by every session.

A page rerun used to spend about 40 % of its time in Altair: building the chart objects,
validating them against the Vega-Lite schema and serializing their data, on every rerun of
every session. :func:`spec` does that once per distinct (chart function, arguments) and keeps
the result, ready for ``st.vega_lite_chart``, in a cache shared across sessions::

    page.chart(spec(charts.per_layer_lines, frame, y="act_std", ...))
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.elements import vega_charts

from explorer.offload import offloaded


class ChartSpec(dict):
    """A Vega-Lite spec as Streamlit draws it (data as Arrow bytes in ``datasets``).

    ``build`` rebuilds the Altair chart it came from, for exports that render it offline
    (only when a download is clicked).
    """

    build: Callable[[], alt.TopLevelMixin]


def frame_digest(frame: pd.DataFrame) -> str:
    """A cache key for a chart's data frame: the MD5 of its pickle.

    Streamlit's default frame hash (``pd.util.hash_pandas_object``, slow on Arrow-backed
    string columns) took 1.5 ms for a 50-row per-layer frame and was 7 % of the server's CPU
    under a workshop's load; the pickle holds the same content (values, dtypes, index, column
    names) and hashes in 0.05 ms. Equal frames built differently may pickle differently: that
    costs a cache miss, never a wrong chart.
    """
    return hashlib.md5(pickle.dumps(frame, protocol=5), usedforsecurity=False).hexdigest()


@st.cache_data(max_entries=1024, show_spinner=False, hash_funcs={pd.DataFrame: frame_digest})
@offloaded
def _cached_spec(
    name: str,
    _builder: Callable[..., alt.TopLevelMixin],
    args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
) -> dict[str, Any]:
    """Build a chart and convert it as ``st.altair_chart`` does; cached across sessions.

    ``name`` (the builder's module and qualified name) stands for ``_builder`` in the cache key.
    Streamlit returns a copy on every call, so drawing it (which moves the datasets out of the
    spec) never touches the cached value. A miss is built in a worker process (the builder goes
    by reference, the frames by value), off the server's GIL.
    """
    del name  # part of the cache key only
    return _to_streamlit_spec(_builder(*args, **dict(kwargs)))


@offloaded
def _built_spec(
    _builder: Callable[..., alt.TopLevelMixin],
    args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
) -> dict[str, Any]:
    """Build a chart and convert it, in a worker process; not cached (see :func:`fresh`)."""
    return _to_streamlit_spec(_builder(*args, **dict(kwargs)))


def fresh(builder: Callable[..., alt.TopLevelMixin], /, *args: Any, **kwargs: Any) -> dict:
    """``builder(*args, **kwargs)`` as a drawable spec, built in a worker and not cached.

    For the charts redrawn while training: each redraw has new data, so caching them would
    only push the pages' charts out of :func:`spec`'s cache, but building them (Altair's
    ``to_dict``) in the server process would hold its GIL for every session's redraws.
    ``builder`` must be a module-level function (it goes to the worker by reference).
    """
    return _built_spec(builder, args, tuple(sorted(kwargs.items())))


def convert(figure: alt.TopLevelMixin) -> dict[str, Any]:
    """An Altair chart as ``st.vega_lite_chart`` draws it, without schema validation.

    For charts drawn once (live training redraws): ``st.vega_lite_chart(spec=convert(c))``
    shows what ``st.altair_chart(c)`` would, for less than half the cost.
    """
    return _to_streamlit_spec(figure)


def _to_streamlit_spec(figure: alt.TopLevelMixin) -> dict[str, Any]:
    """Streamlit's Altair-to-Vega-Lite conversion (``st.altair_chart``), without validation.

    The same steps as Streamlit 1.67's ``_convert_altair_to_vega_lite_spec`` (pinned in
    requirements.txt; tests/explorer/test_chartspec.py checks that the results are equal),
    except that Altair's JSON-schema validation is skipped: it is most of the cost of a new
    chart, and the chart functions are validated by the tests instead.
    """
    datasets: dict[str, Any] = {}
    alt.data_transformers.register("to_arrow_dataset", vega_charts._to_arrow_dataset)  # noqa: SLF001
    # Altair's theme and data transformer are process-wide; Streamlit guards them with this
    # lock, so conversions from concurrent sessions cannot see each other's settings.
    with vega_charts._altair_globals_lock:  # noqa: SLF001
        theme = alt.theme.enable("none") if alt.theme.active == "default" else nullcontext()
        with theme, alt.data_transformers.enable("to_arrow_dataset", datasets=datasets):
            chart_dict = figure.to_dict(validate=False)
    chart_dict["datasets"] = {**(chart_dict.get("datasets") or {}), **datasets}
    return chart_dict


def spec(builder: Callable[..., alt.TopLevelMixin], /, *args: Any, **kwargs: Any) -> ChartSpec:
    """``builder(*args, **kwargs)`` as a drawable spec, built once per distinct arguments.

    Parameters
    ----------
    builder : callable
        A module-level chart function (e.g. ``charts.per_layer_lines``) returning an Altair
        chart. Its arguments must be hashable by ``st.cache_data`` (frames, numbers, strings,
        tuples, lists) and must determine the chart.
    *args, **kwargs
        Passed to ``builder``.

    Returns
    -------
    ChartSpec
        For ``st.vega_lite_chart(spec=...)``; its ``build()`` returns the Altair chart.

    Raises
    ------
    ValueError
        For a lambda or a closure, whose name does not identify what it draws.
    """
    name = f"{builder.__module__}.{builder.__qualname__}"
    if "<" in name:
        raise ValueError(f"spec() needs a module-level chart function, not {name}")
    result = ChartSpec(_cached_spec(name, builder, args, tuple(sorted(kwargs.items()))))
    result.build = functools.partial(builder, *args, **kwargs)
    return result
