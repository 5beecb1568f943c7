"""``chartkit.layer`` draws exactly what ``alt.layer`` draws, on every page.

The app's layered charts go through :func:`explorer.chartkit.layer`, which hoists the layers'
shared data by hand instead of letting Altair hash and deep-copy each layer (half the cost of
a layered chart). Here every page is run revealed twice, once with plain ``alt.layer`` in its
place, with the caches cleared in between: the Vega-Lite specs must be identical.
"""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import pytest
import streamlit as st
from apptest_helpers import PAGES, chart_specs, run_page, script

from explorer import chartkit

CONFIGS = (
    {},
    {"network": "cnn", "activation": "sigmoid", "init": "he_uniform", "depth": "6", "width": "8"},
)


def page_specs(name: str, query: dict[str, str]) -> list[str]:
    st.cache_data.clear()
    return [json.dumps(spec, sort_keys=True) for spec in chart_specs(run_page(script(name), query))]


@pytest.mark.parametrize("query", CONFIGS, ids=["default", "cnn-sigmoid"])
@pytest.mark.parametrize("name", PAGES)
def test_pages_draw_the_same_specs_as_with_alt_layer(
    name: str, query: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hoisted = page_specs(name, query)
    monkeypatch.setattr(chartkit, "layer", alt.layer)
    plain = page_specs(name, query)
    st.cache_data.clear()
    assert len(hoisted) == len(plain)
    if name != "8_Reference.py" or not query:
        assert hoisted
    for mine, altairs in zip(hoisted, plain, strict=True):
        assert mine == altairs


FRAME = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [2.0, 1.0, 3.0], "s": ["a", "b", "a"]})


def specs_equal(a: alt.TopLevelMixin, b: alt.TopLevelMixin) -> bool:
    return a.to_dict(validate=False) == b.to_dict(validate=False)


def test_shared_data_is_hoisted_and_the_layers_are_left_alone() -> None:
    base = alt.Chart(FRAME).encode(x="x:Q", y="y:Q")
    lines, points = base.mark_line(), base.transform_filter(alt.datum.s == "a").mark_point()
    chart = chartkit.layer(lines, points)
    assert chart.data is FRAME
    assert all(layer.data is alt.Undefined for layer in chart.layer)
    assert lines.data is FRAME
    assert points.data is FRAME
    assert specs_equal(chart, alt.layer(lines, points))


def test_different_data_or_explicit_data_layer_as_given() -> None:
    other = FRAME.assign(y=FRAME["y"] * 2)
    a = alt.Chart(FRAME).mark_line().encode(x="x:Q", y="y:Q")
    b = alt.Chart(other).mark_point().encode(x="x:Q", y="y:Q")
    assert specs_equal(chartkit.layer(a, b), alt.layer(a, b))
    no_data = alt.Chart().mark_rule().encode(y="y:Q")
    assert specs_equal(
        chartkit.layer(no_data, no_data, data=FRAME), alt.layer(no_data, no_data, data=FRAME)
    )
    assert specs_equal(chartkit.layer(a, no_data), alt.layer(a, no_data))
    assert chartkit.layer().to_dict(validate=False) == alt.layer().to_dict(validate=False)


def test_properties_pass_through() -> None:
    base = alt.Chart(FRAME).encode(x="x:Q", y="y:Q")
    mine = chartkit.layer(base.mark_line(), base.mark_point(), title="t").properties(height=220)
    theirs = alt.layer(base.mark_line(), base.mark_point(), title="t").properties(height=220)
    assert specs_equal(mine, theirs)
