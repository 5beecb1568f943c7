"""AppTest checks of page 3 (large random weights): saturation, explosion, clipping."""

from __future__ import annotations

import math

from apptest_helpers import metric, notices, number, runner, switch_to_linear

run = runner("3_Large_random_weights.py")


def train(at):  # noqa: ANN001, ANN201 - AppTest
    """Press "Watch it train": the three runs train to the end (nothing interrupts AppTest)."""
    at.button(key="p3_live_train").click().run()
    assert not at.exception
    return at


def test_first_visit_tanh_saturates() -> None:
    at = run()
    # Default: tanh, 10 layers of 256. N(0, 1) pins most units at +-1 ...
    assert number(metric(at, "Saturated units, layer 10")) >= 70
    # ... the bounded activation keeps the std below 1 ...
    assert number(metric(at, "Activation std, layer 10")) < 1.0
    # ... and the back-propagated gradient grows (chaotic phase), it does not vanish.
    assert number(metric(at, "Gradient std, layer 1")) > 10
    text = notices(at)
    assert "saturated" in text
    assert "|a| > 0.975" in text
    assert len(at.get("vega_lite_chart")) == 4  # saturation, histograms, std, gradient
    # Training runs only when asked: no run, no loss chart, a note saying how to start it.
    assert not any(m.label.startswith("N(0, 1), clip") for m in at.metric)
    assert any("Watch it train" in info.value for info in at.info)
    train(at)
    # The live panel's curves and gradient map, then the loss chart of the finished runs.
    assert len(at.get("vega_lite_chart")) >= 5
    assert any(m.label.startswith("N(0, 1), clip") for m in at.metric)
    assert len(at.dataframe) == 1  # the four-activation table
    assert at.info
    assert any("positive" in info.value for info in at.info)  # the ReLU correction
    assert at.query_params["clip"] in ("1", ["1"])


def test_relu_depth_50_explodes_and_clipping_prevents_divergence() -> None:
    at = run({"activation": "relu", "depth": "50", "init": "he_normal"})
    std = metric(at, "Activation std, layer 50")
    assert "overflow" in std or number(std) > 1e40
    assert number(metric(at, "Std factor per layer")) > 5
    # Training: N(0, 1) without clipping turns NaN, with clipping it does not.
    train(at)
    assert metric(at, "N(0, 1), no clipping").startswith("NaN at step")
    assert not metric(at, "N(0, 1), clip").startswith("NaN")
    assert "Clipping prevented the blow-up" in notices(at)
    # ReLU: about half the units have f' = 0 at any scale, and the text says why.
    assert 35 <= number(metric(at, "Saturated units")) <= 65
    assert "does not saturate for z > 0" in notices(at)


def test_activation_and_depth_change_the_metrics() -> None:
    at = run()
    switch_to_linear(at, "Saturated units, layer 10")
    assert number(metric(at, "Saturated units, layer 10")) == 0
    at.sidebar.slider(key="ctl_depth").set_value(7).run()
    assert not at.exception
    assert any(m.label == "Activation std, layer 7" for m in at.metric)
    # Linear N(0, 1): std grows by ~sqrt(256) = 16 per layer.
    assert 12 < number(metric(at, "Std factor per layer")) < 20


def test_initializer_and_network_change_the_page() -> None:
    at = run()
    at.sidebar.selectbox(key="ctl_init").set_value("lecun_normal").run()
    assert not at.exception
    assert any("LeCun normal" in md.value for md in at.markdown if "Compared" in md.value)
    at.sidebar.selectbox(key="ctl_network").set_value("rnn").run()
    assert not at.exception
    assert any(m.label.startswith("Saturated units, time step") for m in at.metric)
    assert any("too slow to train" in i.value for i in at.info)  # the override note
    train(at)
    assert any("too slow to train live" in c.value for c in at.caption)


def test_url_sets_the_page_widgets_and_bad_values_warn() -> None:
    at = run({"clip": "10", "lr": "0.1"})
    assert not at.warning  # the page's names collide with no shared or initializer parameter
    assert at.select_slider(key="p3_clip").value == 10.0
    assert at.select_slider(key="p3_lr").value == 0.1
    train(at)
    assert any(m.label == "N(0, 1), clip 10" for m in at.metric)
    assert at.query_params["clip"] in ("10", ["10"])
    bad = run({"clip": "<script>", "lr": "nan"})
    text = "\n".join(w.value for w in bad.warning)
    assert "`clip`" in text
    assert "`lr`" in text
    assert bad.select_slider(key="p3_clip").value == 1.0
    assert "<script>" not in str(bad.query_params)


def test_clip_slider_changes_the_clipped_run() -> None:
    at = train(run({"activation": "relu"}))
    first = metric(at, "N(0, 1), clip 1")
    at.select_slider(key="p3_clip").set_value(0.1).run()
    assert not at.exception
    # New settings, new runs: the old ones are not shown for them; train again.
    assert not any(m.label.startswith("N(0, 1), clip") for m in at.metric)
    train(at)
    second = metric(at, "N(0, 1), clip 0.1")
    assert first != second or math.isnan(number(first))
