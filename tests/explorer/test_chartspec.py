"""explorer.chartspec: charts built once, drawn from a shared cache, as st.altair_chart would."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.elements import vega_charts

from explorer import charts, chartspec


def _frame(scale: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "series": ["a"] * 3 + ["b"] * 3,
            "layer": [1, 2, 3] * 2,
            "act_std": [scale * v for v in (1.0, 0.5, 0.25, 1.0, 1.0, 1.0)],
        }
    )


def test_spec_is_what_st_altair_chart_sends():
    kwargs = {"y": "act_std", "y_title": "std", "x_title": "Layer", "title": "t"}
    got = chartspec.spec(charts.per_layer_lines, _frame(), **kwargs)
    expected = vega_charts._convert_altair_to_vega_lite_spec(  # noqa: SLF001
        charts.per_layer_lines(_frame(), **kwargs)
    )
    assert dict(got) == expected
    assert got["datasets"]
    assert all(isinstance(v, bytes) for v in got["datasets"].values())


def test_build_rebuilds_the_altair_chart():
    kwargs = {"y": "act_std", "y_title": "std", "x_title": "Layer", "title": "t"}
    got = chartspec.spec(charts.per_layer_lines, _frame(), **kwargs)
    assert got.build().to_dict() == charts.per_layer_lines(_frame(), **kwargs).to_dict()


def test_each_call_gets_its_own_copy():
    kwargs = {"y": "act_std", "y_title": "std", "x_title": "Layer", "title": "t"}
    first = chartspec.spec(charts.per_layer_lines, _frame(), **kwargs)
    first.pop("datasets")  # st.vega_lite_chart moves the datasets out of the spec it draws
    second = chartspec.spec(charts.per_layer_lines, _frame(), **kwargs)
    assert "datasets" in second


def test_different_arguments_give_different_charts():
    kwargs = {"y": "act_std", "y_title": "std", "x_title": "Layer", "title": "t"}
    one = chartspec.spec(charts.per_layer_lines, _frame(1.0), **kwargs)
    two = chartspec.spec(charts.per_layer_lines, _frame(2.0), **kwargs)
    titled = chartspec.spec(charts.per_layer_lines, _frame(1.0), **{**kwargs, "title": "u"})
    assert one["datasets"] != two["datasets"]
    assert dict(one) != dict(titled)


def test_closures_are_refused():
    with pytest.raises(ValueError, match="module-level"):
        chartspec.spec(lambda: charts.per_layer_lines(_frame(), y="act_std", y_title="s"))


def test_export_renders_a_cached_chart_like_the_altair_one():
    from explorer import export

    kwargs = {"y": "act_std", "y_title": "std", "x_title": "Layer", "title": "t"}
    cached = chartspec.spec(charts.per_layer_lines, _frame(), **kwargs)
    direct = charts.per_layer_lines(_frame(), **kwargs)
    assert export.chart_image(cached, "svg") == export.chart_image(direct, "svg")


def test_convert_equals_streamlits_conversion_for_layered_and_configured_charts():
    chart = charts.training_panel(
        pd.DataFrame(
            {"step": [0, 1, 2] * 2, "loss": [1.0, 0.5, 0.2] * 2, "series": ["a"] * 3 + ["b"] * 3}
        ),
        y="loss",
        y_title="loss",
        title="Loss",
        log=True,
        y_domain=(0.1, 2.0),
    )
    assert chartspec.convert(chart) == vega_charts._convert_altair_to_vega_lite_spec(chart)  # noqa: SLF001


def test_frame_digest_tells_frames_apart_and_matches_equal_ones():
    import pandas as pd

    from explorer.chartspec import frame_digest

    frame = pd.DataFrame({"series": ["a", "b"], "layer": [1, 2], "y": [0.5, 1.5]})
    assert frame_digest(frame) == frame_digest(frame.copy())
    changed = frame.copy()
    changed.loc[1, "y"] = 1.5000000001
    renamed = frame.rename(columns={"y": "z"})
    relabelled = frame.assign(series=["a", "c"])
    as_float = frame.assign(layer=frame["layer"].astype(float))
    digests = {frame_digest(f) for f in (frame, changed, renamed, relabelled, as_float)}
    assert len(digests) == 5
