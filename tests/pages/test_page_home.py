"""AppTest checks of Home ("Why initialization matters"): real numbers, and controls that act."""

from __future__ import annotations

import math

import pytest
from apptest_helpers import ROOT, captions, metric, runner
from streamlit.testing.v1 import AppTest

run = runner("Home.py")


def metric_delta(at: AppTest, label_start: str) -> str:
    return next(m for m in at.metric if m.label.startswith(label_start)).delta


def percent(delta: str) -> float:
    """'-1.1% vs normal' -> -0.011."""
    return float(delta.split("%")[0]) / 100.0


@pytest.fixture(scope="module")
def home() -> AppTest:
    return run()


def test_first_visit_shows_the_factor_and_the_user_initializer(home: AppTest) -> None:
    assert home.title[0].value.endswith("Why initialization matters")
    # Glorot on a square 256 x 256 layer: fan_in Var(W) = 256 * 2 / 512 = 1 exactly.
    assert metric(home, "Your initializer: σ_w²") == "1"
    # tanh with sigma_w^2 = 1 shrinks a little per layer (saturation), but not below 0.8.
    factor = float(metric(home, "Measured std factor per layer"))
    assert 0.8 < factor < 1.0
    ratio = float(metric(home, "Layer 10 std / layer 1 std"))
    assert ratio == pytest.approx(factor**9, rel=0.05)


def test_notices_quote_the_five_scales(home: AppTest) -> None:
    text = captions(home)
    assert "at 0.5 × the small-signal scale the activations of layer 10 are" in text
    # For tanh, 0.5 x the small-signal scale shrinks by about 0.5 per layer: 0.5^9 ~ 2e-3.
    lead = "at 0.5 × the small-signal scale the activations of layer 10 are "
    ratio = float(text.split(lead)[1].split()[0])
    assert 1e-3 < ratio < 4e-3


def test_family_matters_far_less_than_variance(home: AppTest) -> None:
    uniform = percent(metric_delta(home, "Uniform U(−a, a)"))
    truncated = percent(metric_delta(home, "Truncated normal"))
    bigger = percent(metric_delta(home, "Normal, σ × 1.1"))
    assert abs(uniform) < 0.05
    assert abs(truncated) < 0.05
    assert bigger > 0.2
    assert abs(bigger) > 5 * max(abs(uniform), abs(truncated))
    assert "merely redrawing the normal weights with another seed moves it by ±" in captions(home)


def test_fan_calculator_defaults_and_input(home: AppTest) -> None:
    table = home.dataframe[-1].value
    he = table.loc[table["initializer"] == "He (Kaiming) normal", "std"].iloc[0]
    assert he == pytest.approx(math.sqrt(2 / 256), rel=1e-12)
    home.number_input(key="home_fan_in").set_value(100)
    home.number_input(key="home_fan_out").set_value(300)
    home.run()
    assert not home.exception
    table = home.dataframe[-1].value
    row = table.set_index("initializer")
    assert row.loc["He (Kaiming) normal", "std"] == pytest.approx(math.sqrt(2 / 100))
    assert row.loc["Glorot (Xavier) uniform", "uniform bound"] == pytest.approx(math.sqrt(6 / 400))
    assert row.loc["Glorot (Xavier) normal (yours)", "std"] == pytest.approx(math.sqrt(2 / 400))
    assert "fan_in = 100 = **100**" in "\n".join(m.value for m in home.markdown)


def test_conv_kernel_enters_the_fans() -> None:
    at = run({"network": "cnn"})
    assert at.number_input(key="home_fan_in").value == 64
    assert at.number_input(key="home_kernel").value == 3
    text = "\n".join(m.value for m in at.markdown)
    assert "fan_in = 3·3·64 = **576**" in text
    table = at.dataframe[-1].value.set_index("initializer")
    assert table.loc["He (Kaiming) normal", "std"] == pytest.approx(math.sqrt(2 / 576))
    assert "needs a 2-D" in table.loc["Identity", "note"]


def test_changing_initializer_changes_the_metrics() -> None:
    at = run()
    before = metric(at, "Measured std factor per layer")
    at.sidebar.selectbox(key="ctl_init").set_value("small_random").run()
    assert not at.exception
    # N(0, 0.01^2) on 256 units: sigma_w^2 = 256 * 1e-4 = 0.0256.
    assert metric(at, "Your initializer: σ_w²") == "0.0256"
    after = float(metric(at, "Measured std factor per layer"))
    assert after == pytest.approx(0.16, rel=0.05)
    assert metric(at, "Measured std factor per layer") != before


def test_relu_he_keeps_the_signal_and_depth_relabels() -> None:
    at = run({"activation": "relu", "init": "he_normal", "depth": "20", "width": "128"})
    assert metric(at, "Your initializer: σ_w²") == "2"
    assert 0.9 < float(metric(at, "Measured std factor per layer")) < 1.1
    assert metric(at, "Layer 20 std / layer 1 std")
    # ReLU at 0.5 x the small-signal scale halves the std per layer in expectation: 0.5^19 ~ 2e-6.
    text = captions(at)
    lead = "at 0.5 × the small-signal scale the activations of layer 20 are "
    ratio = float(text.split(lead)[1].split()[0])
    assert 0.5e-6 < ratio < 5e-6


def test_page_links_to_every_lesson(home: AppTest) -> None:
    links = home.get("page_link")
    pages = sorted((ROOT / "pages").glob("[0-9]*_*.py"))
    assert len(links) == len(pages)
