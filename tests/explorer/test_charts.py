"""Chart builders: the data reaches the spec, and bad values stay visible."""

from __future__ import annotations

import numpy as np
import pandas as pd

from explorer import charts


def _curves() -> pd.DataFrame:
    steps = np.arange(50)
    return pd.concat(
        [
            pd.DataFrame({"step": steps, "loss": 0.7 * np.exp(-steps / 10), "series": "a"}),
            pd.DataFrame({"step": steps, "loss": np.full(50, 0.693), "series": "b"}),
        ]
    )


def _rows_reaching_lines(spec: dict) -> int:
    """Rows of the dataset the first (line) layer draws, following Vega-Lite's data lookup."""
    data = spec["layer"][0].get("data") or spec.get("data")
    return len(spec["datasets"][data["name"]])


def test_fixed_y_domain_keeps_the_curves_data() -> None:
    chart = charts.training_curves(_curves(), y="loss", y_title="loss", log=True)
    fixed = charts.with_y_domain(chart, 1e-3, 10.0, log=True)
    assert _rows_reaching_lines(fixed.to_dict()) == 100
    assert _rows_reaching_lines(chart.to_dict()) == 100


def test_nonfinite_values_are_pinned_and_labelled_without_warnings() -> None:
    frame = pd.DataFrame({"layer": [1, 2, 3, 4], "v": [1e307, 1.7e308, np.inf, np.nan]})
    for log in (True, False):
        out = charts.mark_nonfinite(frame, "v", log=log)
        assert list(out["status"]) == ["ok", "ok", "overflow", "NaN"]
        assert np.isfinite(out["plot_value"]).all()
        assert out["plot_value"].iloc[2] >= 1.7e308  # overflow drawn at the top
    zeros = charts.mark_nonfinite(pd.DataFrame({"v": [1.0, 0.0]}), "v", log=True)
    assert list(zeros["status"]) == ["ok", "underflow (0)"]
    assert zeros["plot_value"].iloc[1] < 1.0


def test_every_initializer_has_its_own_colour() -> None:
    colours = charts.init_colors()
    assert len(colours) == len(set(colours.values())) == len(charts.INIT_COLORS)
    scale = charts.series_scale(["Glorot (Xavier) normal", "theory", "He (Kaiming) normal"])
    assert scale.range[0] == charts.INIT_COLORS["glorot_normal"]
    assert scale.range[1] not in charts.INIT_COLORS.values()


def test_spare_colours_stay_distinct_from_the_initializer_in_the_chart() -> None:
    scales = ["×0.5", "×0.9", "×1", "×1.1", "×2"]
    for label in charts.init_colors():
        colours = charts.series_scale([*scales, label]).range
        assert len(set(colours)) == len(colours)
        for i, colour in enumerate(colours):
            others = colours[:i] + colours[i + 1 :]
            assert charts._distance_to(colour, others) >= 90, (label, colour)
