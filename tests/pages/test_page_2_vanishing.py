"""AppTest checks of page 2 (small random weights: vanishing activations and gradients)."""

from __future__ import annotations

import pytest
from apptest_helpers import captions, metric, runner
from streamlit.testing.v1 import AppTest

run = runner("2_Small_random_weights.py")


def number(at: AppTest, label_start: str) -> float:
    return float(metric(at, label_start))


@pytest.fixture(scope="module")
def page2() -> AppTest:
    return run()


def test_tanh_small_random_shrinks_by_point_16_per_layer(page2: AppTest) -> None:
    # Rule: 0.01 * sqrt(256) * |tanh'(0)| = 0.16 exactly.
    assert metric(page2, "Predicted factor (rule)") == "0.16"
    measured = number(page2, "Measured factor per layer")
    assert measured == pytest.approx(0.16, rel=0.03)
    ratio = number(page2, "Activations: layer 10 / layer 1")
    assert ratio == pytest.approx(0.16**9, rel=0.3)
    assert number(page2, "Gradients: layer 1 / layer 10") < 1e-6
    text = captions(page2)
    assert "layer 10's activations are" in text
    assert "With Glorot (Xavier) normal layer 10 is at" in text


def train(at: AppTest) -> AppTest:
    """Press "Watch it train": the runs train to the end (nothing interrupts AppTest)."""
    at.button(key="p2_live_train").click().run()
    assert not at.exception
    return at


def test_training_runs_only_when_asked() -> None:
    at = run()
    assert not any("loss after" in m.label for m in at.metric)
    assert any("Watch it train" in info.value for info in at.info)


def test_small_random_stalls_while_well_scaled_learns() -> None:
    page2 = train(run())
    small = number(page2, "Small random N(0, 0.01²): loss after")
    good = number(page2, "Glorot (Xavier) normal: loss after")
    assert small == pytest.approx(0.6931, abs=2e-3)
    assert good < 0.1


def test_relu_vanishes_too(page2: AppTest) -> None:
    small = number(page2, "ReLU + Small random")
    lecun = number(page2, "ReLU + LeCun normal")
    he = number(page2, "ReLU + He (Kaiming) normal")
    # Factors sqrt(0.0256 / 2) = 0.113, sqrt(1/2) = 0.707 and 1, over 9 layers.
    assert small < 1e-7
    assert 0.01 < lecun < 0.2
    assert 0.5 < he < 2.0
    # One correction (issue item 12): the tutorial's ReLU derivative is right, its conclusion
    # that only sigmoid and tanh vanish is wrong.
    corrections = "\n".join(i.value for i in page2.info)
    assert "That is right — it is ReLU's derivative" in corrections
    assert "only to sigmoid and tanh" in corrections


def test_histogram_view_switch(page2: AppTest) -> None:
    assert "decades per layer" in captions(page2)
    page2.segmented_control(key="p2_hist").set_value("activation value").run()
    assert not page2.exception
    assert "collapse onto the bar at 0" in captions(page2)


def test_depth_and_initializer_change_the_numbers() -> None:
    at = run({"depth": "5", "width": "64"})
    # 0.01 * sqrt(64) = 0.08 per layer, four steps from layer 1 to layer 5.
    assert metric(at, "Predicted factor (rule)") == "0.08"
    assert number(at, "Activations: layer 5 / layer 1") == pytest.approx(0.08**4, rel=0.3)
    at.sidebar.selectbox(key="ctl_init").set_value("he_normal").run()
    assert not at.exception
    assert "with He (Kaiming) normal layer 5 is at" in captions(at).replace("With", "with")
    train(at)
    assert [m.label for m in at.metric if m.label.startswith("He (Kaiming)")]


def test_activation_and_network_change_the_story() -> None:
    at = run({"activation": "relu"})
    # ReLU: sqrt(0.0256 / 2) = 0.113.
    assert number(at, "Predicted factor (rule)") == pytest.approx(0.1131, abs=1e-3)
    at.sidebar.selectbox(key="ctl_network").set_value("resmlp").run()
    assert not at.exception
    assert "skip connection" in captions(at)
    assert "mean-field overlay is drawn for MLPs only" in captions(at)


def test_diverging_run_is_reported_not_hidden() -> None:
    at = train(run({"activation": "relu", "init": "large_random"}))
    label = "Large random N(0, 1): loss after"
    hit = next(m for m in at.metric if m.label.startswith(label))
    assert hit.value == "NaN"
    assert hit.delta.startswith("diverged at step ")
    # The explosion of N(0, 1) weights is quoted as a number, not dropped.
    assert "With Large random N(0, 1) layer 10 is at" in captions(at)
