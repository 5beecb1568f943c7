"""The playground's "what the activations did during training" sentences, over a grid.

Every verdict must follow from the measured values it cites (no template that assumes the
default configuration), and where the question does not apply the sentence says so.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from explorer import live
from explorer.claims import describe_number, has_nan_text
from explorer.lessons import playground as P
from explorer.state import Net

ACTIVATIONS = ("sigmoid", "tanh", "relu")
INITS = ("glorot_uniform", "he_normal", "lecun_normal", "small_random", "zeros")


def trained_frame(activation: str, init: str, steps: int = 100) -> pd.DataFrame:
    spec = live.RunSpec(
        Net("mlp", activation, 4, 16, 0), init, (), "moons", (), 512, "sgd", 0.1, steps, 128
    )
    progress = live.start("grid", [spec])
    for now in live.advance(progress):
        progress = now
    run = progress.runs[0]
    return live.activation_frame([(run.label, run.probe)])


@pytest.mark.parametrize(("activation", "init"), list(itertools.product(ACTIVATIONS, INITS)))
def test_verdict_follows_from_the_measured_values(activation: str, init: str) -> None:
    frame = trained_frame(activation, init)
    claim = P.activation_course_claim(frame, init, activation)
    v = claim.values
    assert not has_nan_text(claim.text)
    assert claim.text.startswith(f"{init}, top hidden layer (layer 4)")
    top = frame[frame["layer"] == 4].sort_values("step")
    first = frame[frame["layer"] == 1].sort_values("step")
    std = top["std"].to_numpy()
    if claim.verdict == "no_spread":
        assert std.max() < P.NOISE_STD
        return
    assert std.max() >= P.NOISE_STD
    assert v["std_start"] == std[0]
    assert v["std_end"] == std[-1]
    assert v["steps"] == 100
    # The numbers cited are the measured ones.
    assert describe_number(std[0]) in claim.text
    assert describe_number(std[-1]) in claim.text
    ratio_start = std[0] / first["std"].iloc[0]
    ratio_end = std[-1] / first["std"].iloc[-1]
    assert v["ratio_start"] == pytest.approx(ratio_start)
    assert v["ratio_end"] == pytest.approx(ratio_end)
    sat = top["saturated"].to_numpy()
    saturating = activation in ("sigmoid", "tanh")
    if claim.verdict in ("saturated", "saturated_recovered"):
        assert saturating
        assert sat.max() >= P.SATURATED_SHARE
        assert (sat.max() - sat[-1] >= P.RECOVERY_DROP) == (claim.verdict == "saturated_recovered")
        return
    if saturating:
        assert sat.max() < P.SATURATED_SHARE
    expected = {
        (True, True): "vanished",
        (False, True): "vanished_late",
        (True, False): "recovered" if ratio_end >= P.HEALTHY_RATIO else "still_weak",
        (False, False): "kept",
    }[(ratio_start < P.VANISHED_RATIO, ratio_end < P.VANISHED_RATIO)]
    assert claim.verdict == expected
    if claim.verdict == "kept" and saturating:
        most = f"at most {sat.max():.0%}" if sat.max() >= 0.005 else "under 0.5%"
        assert f"At every recorded step {most} of its units were saturated" in claim.text
    dead = "inactive (f′ = 0 or nearly)" in claim.text
    assert dead == (activation == "relu" and sat[-1] >= P.DEAD_SHARE)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_zero_weights_give_no_spread_and_small_random_tanh_vanishes(activation: str) -> None:
    assert (
        P.activation_course_claim(trained_frame(activation, "zeros"), "zeros", activation).verdict
        == "no_spread"
    )
    small = P.activation_course_claim(
        trained_frame(activation, "small_random"), "small_random", activation
    )
    if activation == "tanh":  # 0.01·√16 per layer: 4 layers leave ~6e-5 of the first's spread
        assert small.verdict == "vanished"
    he = P.activation_course_claim(trained_frame(activation, "he_normal"), "he", activation)
    assert he.verdict not in ("vanished", "no_spread")


def synthetic(std: list[float], sat: list[float], *, base: float = 1.0) -> pd.DataFrame:
    rows = []
    for i, (s, f) in enumerate(zip(std, sat, strict=True)):
        for layer, value, share in ((1, base, 0.0), (2, s, f)):
            rows.append(
                {
                    "series": "X", "layer": layer, "layer_name": f"layer {layer}",
                    "step": 25 * i, "mean": 0.0, "std": value,
                    **{f"p{q}": value * (q - 50) / 34 for q in live.PERCENTILES},
                    "saturated": share, "finite": True,
                }
            )  # fmt: skip
    return pd.DataFrame(rows)[list(live.ACTIVATION_COLUMNS)]


def test_saturate_then_recover_is_read_from_the_saturated_share() -> None:
    claim = P.activation_course_claim(
        synthetic([0.3, 0.45, 0.4, 0.2], [0.1, 0.8, 0.6, 0.3]), "X", "sigmoid"
    )
    assert claim.verdict == "saturated_recovered"
    assert "80% of its units saturated at step 25" in claim.text
    assert "30% at step 75" in claim.text
    stuck = P.activation_course_claim(synthetic([0.3, 0.45, 0.4], [0.1, 0.8, 0.7]), "X", "tanh")
    assert stuck.verdict == "saturated"
    assert "70% still are at step 50" in stuck.text
    # The same shares on ReLU are dead units, not saturation.
    relu = P.activation_course_claim(synthetic([0.3, 0.45, 0.4], [0.1, 0.8, 0.8]), "X", "relu")
    assert relu.verdict == "kept"
    assert "80% of its units are inactive" in relu.text
    assert "saturated" not in relu.text


def test_does_not_apply_before_training_and_says_when_it_overflowed() -> None:
    empty = P.activation_course_claim(synthetic([0.3], [0.0]), "X", "tanh")
    assert empty.verdict == "not_trained"
    assert not empty.applies
    assert "does not apply" in empty.text
    frame = synthetic([0.3, 0.4, 0.5], [0.0, 0.0, 0.0])
    frame.loc[(frame["step"] == 50) & (frame["layer"] == 2), ["std", "finite"]] = [math.nan, False]
    bad = P.activation_course_claim(frame, "X", "linear")
    assert bad.verdict == "overflow"
    assert "from step 50" in bad.text
    assert not has_nan_text(bad.text)


def test_linear_says_saturation_does_not_apply_and_zero_first_layer_cites_no_ratio() -> None:
    linear = P.activation_course_claim(synthetic([0.3, 0.4], [0.0, 0.0]), "X", "linear")
    assert linear.verdict == "kept"
    assert "Saturation does not apply" in linear.text
    odd = P.activation_course_claim(synthetic([0.3, 0.4], [0.0, 0.0], base=0.0), "X", "tanh")
    assert "first hidden layer's" not in odd.text
    assert not has_nan_text(odd.text)
    assert np.isnan(odd.values["ratio_end"])
