"""AppTest checks of page 1 (zero and constant initialization: symmetry)."""

from __future__ import annotations

import pytest
from apptest_helpers import captions, metric, runner
from streamlit.testing.v1 import AppTest

run = runner("1_Zero_and_constant.py")


def distinct(at: AppTest, steps: int = 100) -> list[str]:
    """The three "distinct neurons" metrics: zero, constant, random."""
    return [m.value for m in at.metric if m.label == f"Distinct neurons after {steps} steps"]


@pytest.fixture(scope="module")
def page1() -> AppTest:
    return run()


def test_zero_init_hidden_gradients_are_exactly_zero(page1: AppTest) -> None:
    assert metric(page1, "Largest hidden-weight gradient, step 0") == "0"
    assert metric(page1, "Largest hidden-weight gradient norm, all 100 steps") == "0"
    table = page1.dataframe[0].value
    hidden = table[table["layer"] != "output"]
    # Exact zeros, not small numbers: the error reaches a hidden layer only through W = 0.
    assert (hidden["max |∂L/∂W| at step 0"] == 0.0).all()
    assert (hidden["max |∂L/∂b| at step 0"] == 0.0).all()
    assert (hidden["max |∂L/∂W| at step 1"] == 0.0).all()
    assert "stays exactly 0 for all 100 steps" in captions(page1)


def test_constant_init_gives_identical_nonzero_gradients_and_clones(page1: AppTest) -> None:
    text = captions(page1)
    assert "with W = 0.1 all 16 neurons get ∂L/∂W = " in text
    value = float(text.split("all 16 neurons get ∂L/∂W = ")[1].split(";")[0])
    assert value != 0.0
    assert "the largest difference between two neurons' gradients in any hidden layer is 0." in text
    assert distinct(page1) == ["1 of 16", "1 of 16", "16 of 16"]


def test_random_init_learns_the_moons_and_symmetric_ones_do_not(page1: AppTest) -> None:
    accuracies = [
        float(m.value.rstrip("%")) / 100 for m in page1.metric if m.label == "Training accuracy"
    ]
    zero, const, rand = accuracies
    assert zero == pytest.approx(0.5, abs=0.02)
    assert const < 0.95
    assert rand >= 0.95


def test_page_widgets_change_the_experiment() -> None:
    at = run()
    at.number_input(key="p1_k").set_value(-0.5)
    at.select_slider(key="p1_steps").set_value(50)
    at.run()
    assert not at.exception
    assert distinct(at, 50) == ["1 of 16", "1 of 16", "16 of 16"]
    assert metric(at, "Largest hidden-weight gradient norm, all 50 steps") == "0"
    assert "with W = -0.5 all 16 neurons get" in captions(at)


def test_initializer_and_activation_change_the_random_network() -> None:
    at = run()
    at.sidebar.selectbox(key="ctl_init").set_value("he_normal").run()
    assert not at.exception
    assert "The random network uses **He (Kaiming) normal** (your initializer)" in captions(at)
    assert distinct(at)[2] == "16 of 16"
    at.sidebar.selectbox(key="ctl_init").set_value("zeros").run()
    assert "(yours is not random)" in captions(at)
    at.sidebar.selectbox(key="ctl_activation").set_value("relu").run()
    assert not at.exception
    # ReLU's textbook scheme replaces a symmetric user initializer.
    assert "uses **He (Kaiming) normal** (yours is not random)" in captions(at)
    assert distinct(at)[2] == "16 of 16"
    assert metric(at, "Largest hidden-weight gradient, step 0") == "0"


def test_url_depth_and_width_size_the_small_network() -> None:
    at = run({"depth": "2", "width": "8", "network": "cnn"})
    text = captions(at)
    assert "2 hidden tanh layers of 8 units" in text
    assert "always uses an MLP" in text
    assert distinct(at) == ["1 of 8", "1 of 8", "8 of 8"]
    table = at.dataframe[0].value
    assert list(table["layer"]) == ["layer 1", "layer 2", "output"]
