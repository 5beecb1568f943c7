"""AppTest checks of page 7 (edge of chaos: mean-field theory vs measurement)."""

from __future__ import annotations

import math

import pytest
from apptest_helpers import metrics, runner, text
from streamlit.testing.v1 import AppTest

run = runner("7_Edge_of_chaos.py")


def phase_of(link: dict[str, str], sigma_w2: str, phase: str, where: str) -> tuple[AppTest, dict]:
    """Run the page: the metric shows ``sigma_w2``, the text names ``phase`` and ``where`` it is."""
    at = run(link)
    shown = metrics(at)
    assert shown["σ_w² of your init"] == sigma_w2
    assert f"**{phase}**" in text(at)
    assert where in text(at)
    return at, shown


def test_tanh_glorot_without_bias_is_critical() -> None:
    at, shown = phase_of({}, "1", "critical", "on the line")
    assert shown["χ₁"] == "1.000"
    assert shown["ξ_c (correlation depth scale)"] == "∞"
    assert at.query_params["sb2"] in ("0", ["0"])


def test_he_init_puts_tanh_in_the_chaotic_phase() -> None:
    _, shown = phase_of({"init": "he_normal"}, "2", "chaotic", "right of the line")
    assert float(shown["χ₁"]) > 1.05


def test_small_weights_are_ordered_without_a_correlation_depth_limit() -> None:
    # N(0, 0.01^2) on 256 units: sigma_w^2 = 0.0256, chi_1 = sigma_w^2 at q* = 0 for tanh.
    # At q* = 0 a smooth unit is linear for the vanishing signal: correlations are preserved,
    # so there is no exponential xi_c and 6 xi_c sets no trainable depth (it used to show
    # -6/ln(0.0256), which is the length scale xi_q, not a correlation scale).
    link = {"init": "small_random", "depth": "50"}
    _, shown = phase_of(link, "0.0256", "ordered", "no exponential correlation depth scale")
    assert float(shown["χ₁"]) == pytest.approx(0.0256, abs=1e-3)
    assert shown["ξ_c (correlation depth scale)"] == "∞"
    assert shown["Trainable depth ≈ 6 ξ_c"] == "no ξ_c limit"
    assert float(shown["ξ_q (length depth scale)"]) == pytest.approx(
        -1 / math.log(0.0256), rel=1e-2
    )


def test_relu_gets_the_homogeneous_explanation() -> None:
    at = run({"activation": "relu", "init": "glorot_normal"})
    shown = metrics(at)
    assert shown["χ₁"] == "0.500"
    infos = "\n".join(i.value for i in at.info)
    assert "What theory says for relu" in infos
    assert "σ_w² = 2" in infos


def test_bias_variance_from_the_link_and_the_slider_moves_the_point() -> None:
    at = run({"sb2": "0.1"})
    assert at.slider(key="p7_sb2").value == pytest.approx(0.1)
    # tanh with sigma_b^2 = 0.1: the edge of chaos moves to sigma_w^2 ~ 1.99, so Glorot
    # (sigma_w^2 = 1) is now ordered.
    assert "At σ_b² = 0.1 the edge of chaos is at σ_w² = **1.99**" in text(at)
    assert "**ordered**" in text(at)
    before = metrics(at)["χ₁"]
    at.slider(key="p7_sb2").set_value(0.3).run()
    assert not at.exception
    assert metrics(at)["χ₁"] != before
    assert at.query_params["sb2"] in ("0.3", ["0.3"])


def test_other_network_types_are_treated_as_an_mlp() -> None:
    at = run({"network": "cnn", "init": "delta_orthogonal", "width": "32"})
    # The override is a visible note next to the page's content (st.info), not a caption.
    notes = "\n".join(i.value for i in at.info)
    assert "as an MLP" in notes
    assert "not your sidebar's CNN (3x3 convolutions)" in notes
    assert "Orthogonal" in text(at)
    assert metrics(at)["σ_w² of your init"] == "1"


def test_hostile_bias_variance_warns_and_falls_back() -> None:
    at = run({"sb2": "-1"})
    assert "`sb2`" in "\n".join(w.value for w in at.warning)
    assert at.slider(key="p7_sb2").value == 0.0


def test_relu_he_with_bias_is_critical_but_grows_linearly() -> None:
    at = run({"activation": "relu", "init": "he_normal", "sb2": "0.1"})
    shown = metrics(at)
    assert shown["χ₁"] == "1.000"
    assert shown["ξ_c (correlation depth scale)"] == "undefined"
    assert "**no fixed point**" in text(at)
    assert "linearly" in text(at)
