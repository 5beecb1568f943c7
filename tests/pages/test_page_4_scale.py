"""AppTest checks of page 4 (choosing the scale): k/n controls, presets, theory, the edge."""

from __future__ import annotations

import re

from apptest_helpers import metric, notices, number, runner, switch_to_linear
from streamlit.testing.v1 import AppTest

run = runner("4_Choosing_the_scale.py")


def q(at: AppTest, name: str) -> str:
    value = at.query_params[name]
    return value[-1] if isinstance(value, list) else value


def test_first_visit_glorot_preset_and_theory_agree() -> None:
    at = run()
    # Default: k = 1, n = fan_avg, i.e. Glorot, marked in the preset control.
    assert at.segmented_control(key="p4_preset").value == "Glorot"
    assert at.select_slider(key="p4_k").value == 1.0
    # tanh with k = 1 is ordered: the variance shrinks layer after layer.
    assert number(metric(at, "Forward variance factor per layer")) < 1
    text = notices(at)
    ratio = float(re.search(r"measured ÷ predicted = ([0-9.e+-]+)", text).group(1))
    assert 0.85 < ratio < 1.15  # mean-field theory matches the probe (width 256)
    assert "edge of chaos" in text
    assert "k = 1**" in text
    assert len(at.get("vega_lite_chart")) == 2
    assert len(at.dataframe) == 2  # fan table + activation guide
    assert q(at, "k") == "1"
    assert q(at, "n") == "fan_avg"
    assert any("2/fan_in" in i.value for i in at.info)  # tutorial error 4 corrected


def test_he_preset_sets_k_and_mode_and_relu_is_preserved() -> None:
    at = run({"activation": "relu"})
    lecun_factor = None
    at.segmented_control(key="p4_preset").set_value("LeCun").run()
    assert not at.exception
    assert at.select_slider(key="p4_k").value == 1.0
    assert at.radio(key="p4_mode").value == "fan_in"
    lecun_factor = number(metric(at, "Forward variance factor per layer"))
    assert 0.4 < lecun_factor < 0.65  # ReLU halves the variance: k/2 = 0.5
    at.segmented_control(key="p4_preset").set_value("He").run()
    assert not at.exception
    assert at.select_slider(key="p4_k").value == 2.0
    assert at.radio(key="p4_mode").value == "fan_in"
    assert 0.8 < number(metric(at, "Forward variance factor per layer")) < 1.25
    assert q(at, "k") == "2"
    # Moving k off the preset clears the highlight.
    at.select_slider(key="p4_k").set_value(4.0).run()
    assert at.segmented_control(key="p4_preset").value is None
    assert "theory at this depth: 2" in notices(at)


def test_url_sets_the_page_widgets_and_bad_values_warn() -> None:
    at = run({"k": "2", "n": "fan_out", "dist": "uniform", "fan_out": "64"})
    assert not at.warning  # the page's names collide with no shared or initializer parameter
    assert at.select_slider(key="p4_k").value == 2.0
    assert at.radio(key="p4_mode").value == "fan_out"
    assert at.selectbox(key="p4_dist").value == "uniform"
    assert at.select_slider(key="p4_fan_out").value == 64
    assert any("a = \\sqrt{3}" in latex.value for latex in at.latex)
    # A value between grid points snaps to the nearest one (log scale).
    assert run({"k": "2.1"}).select_slider(key="p4_k").value == 2.0
    bad = run({"k": "-3", "n": "sideways", "dist": "<b>", "fan_out": "abc"})
    text = "\n".join(w.value for w in bad.warning)
    for name in ("k", "n", "dist", "fan_out"):
        assert f"`{name}`" in text
    assert bad.select_slider(key="p4_k").value == 1.0


def test_non_square_layer_and_he_correction() -> None:
    at = run({"width": "256", "fan_out": "1024"})
    table = at.dataframe[0].value
    glorot = table[table["scheme"] == "Glorot (Xavier)"].iloc[0]
    assert abs(glorot["forward fan_in·Var"] - 2 * 256 / (256 + 1024)) < 1e-12
    assert abs(glorot["backward fan_out·Var"] - 2 * 1024 / (256 + 1024)) < 1e-12
    he = table[table["scheme"] == "He (Kaiming), mode fan_in"].iloc[0]
    assert abs(he["uniform bound a"] - (6 / 256) ** 0.5) < 1e-12
    variant = table[table["scheme"] == "Fan-average variant (not He's)"].iloc[0]
    assert abs(variant["uniform bound a"] - (12 / (256 + 1024)) ** 0.5) < 1e-12
    assert "agree only on square layers" in at.info[0].value
    at.select_slider(key="p4_fan_out").set_value(256).run()
    assert "square" in notices(at)


def test_sidebar_changes_change_the_metrics() -> None:
    at = run()
    switch_to_linear(at, "Var(z), layer 10")
    at.sidebar.selectbox(key="ctl_init").set_value("large_random").run()
    assert number(metric(at, "Your sidebar initializer as k")) == 256  # 256 * 1^2
    at.sidebar.slider(key="ctl_depth").set_value(5).run()
    assert any(m.label == "Var(z), layer 5" for m in at.metric)
    at.sidebar.selectbox(key="ctl_network").set_value("resmlp").run()
    assert not at.exception
    assert "No theory line" in notices(at)
