"""Unit tests of explorer.lessons.home (called directly, no AppTest)."""

import math

import numpy as np
import pandas as pd
import pytest

from core import initializers
from explorer import experiments as E
from explorer.lessons import home as H
from explorer.state import Net
from tests.expected_columns import SUMMARY_ROW

SUMMARY_COLUMNS = [
    "series",
    "multiplier",
    "sigma_w2",
    "sigma_sqrt_n",
    "rule_factor",
    *SUMMARY_ROW,
    "rule_gap",
]


@pytest.mark.parametrize(
    ("relative", "text"),
    [
        (0.042, "+4.2%"),
        (-0.5, "-50.0%"),
        (0.0, "+0.0%"),
        (9.99, "+999.0%"),
        (10.0, "×11"),
        (1.9e8, "×1.9e+08"),
        (math.nan, "undefined"),  # never "NaN" in prose (issue 12)
        (math.inf, "overflow (∞)"),
        (-math.inf, "−100%"),
    ],
)
def test_format_change(relative, text):
    assert H.format_change(relative) == text


@pytest.mark.parametrize(("m", "text"), [(0.5, "×0.5"), (1.0, "×1"), (1.1, "×1.1"), (2, "×2")])
def test_scale_label(m, text):
    assert H.scale_label(m) == text


# ---------------------------------------------------------------- scale_sweep


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
@pytest.mark.parametrize("network", ["mlp", "cnn", "rnn", "resmlp"])
def test_scale_sweep_frames(network, activation):
    width = 8 if network == "cnn" else 16
    layers, summary = H.scale_sweep(Net(network, activation, 3, width, 0), "he_normal", ())
    assert list(summary.columns) == SUMMARY_COLUMNS
    labels = [H.scale_label(m) for m in H.HOME_MULTIPLIERS] + [
        initializers.REGISTRY["he_normal"].label
    ]
    assert summary["series"].tolist() == labels
    assert list(dict.fromkeys(layers["series"])) == labels
    assert list(layers.columns) == list(E.STATS_COLUMNS)
    assert len(layers) == 3 * len(labels)
    crit = E.critical_sigma_w2(activation)
    mult = np.array(H.HOME_MULTIPLIERS)
    np.testing.assert_allclose(summary["multiplier"].iloc[:5], mult)
    assert math.isnan(summary["multiplier"].iloc[5])
    np.testing.assert_allclose(summary["sigma_w2"].iloc[:5], mult**2 * crit, rtol=1e-9)
    assert summary["sigma_w2"].iloc[5] == pytest.approx(2.0)
    np.testing.assert_allclose(summary["sigma_sqrt_n"], np.sqrt(summary["sigma_w2"]))
    # sigma_c is the critical scale: the rule factor of m x sigma_c is m
    np.testing.assert_allclose(summary["rule_factor"].iloc[:5], mult, rtol=1e-9)
    np.testing.assert_allclose(
        summary["rule_gap"], summary["act_factor"] / summary["rule_factor"] - 1
    )


@pytest.mark.parametrize("activation", ["relu", "linear"])
def test_scale_sweep_homogeneous_activations_follow_the_rule_exactly(activation):
    # Same seed, same base draw scaled by m: a positively homogeneous f multiplies every
    # layer's std by exactly m, so the measured factor is m x (the m = 1 factor).
    _, summary = H.scale_sweep(Net("mlp", activation, 6, 32, 0), "he_normal", ())
    gaps = summary["rule_gap"].iloc[:5].to_numpy()
    np.testing.assert_allclose(gaps, gaps[2], rtol=0, atol=1e-9)
    ratio = summary["grad_factor"].iloc[:5].to_numpy() / summary["grad_factor"].iloc[2]
    np.testing.assert_allclose(ratio, H.HOME_MULTIPLIERS, rtol=1e-9)


def test_scale_sweep_relu_critical_keeps_signal():
    # m = 1 is He for ReLU: per-layer factor 1 within the finite-width tolerance (see
    # test_experiments: sqrt(2/n)/2 per layer, /sqrt(L - 1) for the mean; < 0.1 at n = 64).
    _, summary = H.scale_sweep(Net("mlp", "relu", 10, 64, 0), "he_normal", ())
    crit = summary[summary["series"] == "×1"].iloc[0]
    assert crit["act_factor"] == pytest.approx(1.0, abs=0.1)
    assert abs(crit["rule_gap"]) < 0.1


def test_scale_sweep_tanh_saturation_and_order():
    _, summary = H.scale_sweep(Net("mlp", "tanh", 8, 64, 0), "glorot_normal", ())
    sweep = summary.iloc[:5]
    assert np.all(np.diff(sweep["act_last"]) > 0)  # larger weights, larger signal
    # tanh's slope falls away from 0: at and above the critical scale the measured factor
    # is below the small-signal rule
    assert (sweep["rule_gap"].iloc[2:] < 0).all()
    # x0.5 shrinks the signal into tanh's linear regime: the rule holds there (within 10 %)
    assert abs(sweep["rule_gap"].iloc[0]) < 0.1
    assert summary["first_nonfinite"].isna().all()


# ---------------------------------------------------------------- family_comparison


FAMILY_COLUMNS = [
    "series",
    "distribution",
    "std",
    "bound",
    "act_last",
    "act_ratio",
    "grad_ratio",
    "rel_diff",
    "seed_spread",
]


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("network", ["mlp", "cnn"])
def test_family_comparison(network, activation):
    width = 8 if network == "cnn" else 32
    layers, summary = H.family_comparison(Net(network, activation, 4, width, 0))
    assert list(summary.columns) == FAMILY_COLUMNS
    labels = [label for _, label in H.HOME_FAMILIES]
    assert summary["series"].tolist() == [*labels, "Normal, σ × 1.1"]
    assert summary["distribution"].tolist() == ["normal", "uniform", "truncated_normal", "normal"]
    assert list(dict.fromkeys(layers["series"])) == labels  # the x1.1 row has no curve
    assert len(layers) == 4 * 3
    fan_in = E.hidden_fan_in(network, width)
    s = math.sqrt(E.critical_sigma_w2(activation) / fan_in)
    np.testing.assert_allclose(summary["std"], [s, s, s, 1.1 * s], rtol=1e-9)
    assert math.isnan(summary["bound"].iloc[0])
    assert math.isnan(summary["bound"].iloc[3])
    assert summary["bound"].iloc[1] == pytest.approx(math.sqrt(3) * s)
    assert summary["bound"].iloc[2] == pytest.approx(2 * s / initializers.TRUNCATED_NORMAL_STD)
    assert summary["rel_diff"].iloc[0] == 0.0
    np.testing.assert_allclose(
        summary["rel_diff"], summary["act_last"] / summary["act_last"].iloc[0] - 1
    )
    assert summary["seed_spread"].nunique() == 1
    assert summary["seed_spread"].iloc[0] > 0


def test_family_comparison_relu_larger_sigma_is_exact_power():
    # ReLU is homogeneous and x1.1 redraws the same normal weights scaled: act_last grows
    # by exactly 1.1^depth.
    _, summary = H.family_comparison(Net("mlp", "relu", 5, 32, 0))
    assert summary["act_last"].iloc[3] / summary["act_last"].iloc[0] == pytest.approx(
        1.1**5, rel=1e-9
    )


def test_family_comparison_families_agree_within_seed_noise():
    # At equal variance the families differ by no more than a few seed-to-seed spreads
    # (act_last's relative std over 4 draws estimates the draw-to-draw noise).
    _, summary = H.family_comparison(Net("mlp", "tanh", 6, 64, 0))
    spread = summary["seed_spread"].iloc[0]
    assert (summary["rel_diff"].iloc[1:3].abs() < max(4 * spread, 0.05)).all()


# ---------------------------------------------------------------- fan_table


def test_fan_table_conv():
    table, fan_in, fan_out = H.fan_table(8, 16, 3, "he_normal", ())
    assert (fan_in, fan_out) == (72, 144)
    assert list(table.columns) == [
        "initializer",
        "distribution",
        "std",
        "uniform bound",
        "sigma_w2",
        "note",
        "PyTorch",
        "Keras",
    ]
    assert len(table) == len(initializers.REGISTRY)
    t = table.set_index("initializer")
    assert t.loc["He (Kaiming) normal (yours)", "sigma_w2"] == pytest.approx(2.0)
    assert t.loc["He (Kaiming) normal (yours)", "std"] == pytest.approx(math.sqrt(2 / 72))
    assert "kaiming_normal_" in t.loc["He (Kaiming) normal (yours)", "PyTorch"]
    assert table["PyTorch"].notna().all()
    assert table["Keras"].notna().all()
    assert t.loc[initializers.REGISTRY["identity"].label, "note"] == "needs a 2-D (dense) weight"


def test_fan_table_dense_uses_user_params():
    table, fan_in, fan_out = H.fan_table(64, 32, 1, "normal", (("std", 0.2),))
    assert (fan_in, fan_out) == (64, 32)
    t = table.set_index("initializer")
    yours = initializers.REGISTRY["normal"].label + " (yours)"
    assert t.loc[yours, "std"] == 0.2
    assert t.loc[yours, "sigma_w2"] == pytest.approx(64 * 0.04)
    glorot = initializers.REGISTRY["glorot_normal"].label
    assert t.loc[glorot, "std"] == pytest.approx(math.sqrt(2 / 96))
    assert t.loc[initializers.REGISTRY["delta_orthogonal"].label, "note"] != ""


# ---------------------------------------------------------------- init_sweep


def test_init_sweep_empty():
    layers, summary = H.init_sweep(Net("mlp", "relu", 3, 8, 0), ())
    assert layers.empty
    assert list(layers.columns) == list(E.STATS_COLUMNS)
    assert summary.empty


@pytest.mark.parametrize("network", ["mlp", "cnn", "rnn", "resmlp"])
def test_init_sweep_matches_scale_sweep_columns(network):
    width = 8 if network == "cnn" else 16
    series = (("He", "he_normal", ()), ("LeCun", "lecun_normal", ()))
    layers, summary = H.init_sweep(Net(network, "relu", 3, width, 0), series)
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert summary["series"].tolist() == ["He", "LeCun"]
    assert summary["multiplier"].isna().all()
    np.testing.assert_allclose(summary["sigma_w2"], [2.0, 1.0], rtol=1e-9)
    np.testing.assert_allclose(summary["sigma_sqrt_n"], [math.sqrt(2), 1.0], rtol=1e-9)
    np.testing.assert_allclose(summary["rule_factor"], [1.0, math.sqrt(0.5)], rtol=1e-9)
    np.testing.assert_allclose(
        summary["rule_gap"], summary["act_factor"] / summary["rule_factor"] - 1
    )
    assert layers["series"].tolist() == ["He"] * 3 + ["LeCun"] * 3


def test_init_sweep_equals_scale_sweep_user_row():
    _, sweep = H.scale_sweep(Net("mlp", "tanh", 4, 16, 0), "lecun_normal", ())
    label = initializers.REGISTRY["lecun_normal"].label
    _, mine = H.init_sweep(Net("mlp", "tanh", 4, 16, 0), ((label, "lecun_normal", ()),))
    pd.testing.assert_series_equal(
        sweep.iloc[5].drop("multiplier"), mine.iloc[0].drop("multiplier"), check_names=False
    )


# ---------------------------------------------------------------- replace_series


def _long(series, n=2):
    return pd.DataFrame(
        {"series": np.repeat(series, n), "layer": np.tile(np.arange(1, n + 1), len(series))}
    )


def test_replace_series():
    out = H.replace_series(_long(["a", "b", "c"]), ["b"], _long(["d"]))
    assert out["series"].tolist() == ["a", "a", "c", "c", "d", "d"]
    assert out.index.tolist() == list(range(6))


def test_replace_series_empty_added_and_missing_names():
    base = _long(["a", "b"])
    out = H.replace_series(base, ("b", "zz"), pd.DataFrame())
    assert out["series"].tolist() == ["a", "a"]
    assert out.index.tolist() == [0, 1]
    out = H.replace_series(base, [], _long(["b"], 1))
    assert out["series"].tolist() == ["a", "a", "b", "b", "b"]
    assert base["series"].tolist() == ["a", "a", "b", "b"]  # input untouched


@pytest.mark.parametrize("network", ["mlp", "cnn", "rnn", "resmlp"])
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear", "gelu"])
@pytest.mark.parametrize("init", ["glorot_normal", "he_normal", "zeros", "large_random"])
def test_answer_claim_explains_the_revealed_scale_or_says_theory_does_not_apply(
    network: str, activation: str, init: str
) -> None:
    """Issue 13: Home's revealed answer ("×2" for tanh) comes with a true reason."""
    depth, width = (6, 16) if network == "cnn" else (10, 64)
    unit = {"rnn": "time step", "resmlp": "block"}.get(network, "layer")
    layers, summary = H.scale_sweep(Net(network, activation, depth, width, 0), init, ())
    claim = H.answer_claim(network, activation, summary, layers, unit, depth)
    index = H.closest_scale(summary)
    assert index is not None
    answer = H.SCALE_CHOICES[index]
    assert claim.text.startswith(f"At {answer} {unit} {depth}'s std is ")
    assert "nan" not in claim.text.lower()
    one = summary.set_index("series").loc["×1"]
    if network in ("rnn", "resmlp") or activation == "sigmoid":
        assert claim.verdict == "not_applicable"
        assert not claim.applies
        assert "theory does not apply here" in claim.text
    elif claim.verdict == "rule":
        assert answer == "×1"
    elif claim.verdict == "slope":
        # The stated direction is the measured one, and the answer lies that way.
        larger = "larger weights make up for it" in claim.text
        assert larger == (one.act_factor < 1.0) == (H.HOME_MULTIPLIERS[index] > 1.0)
        assert larger == (claim.values["slope_q"] < claim.values["slope0"])
    else:
        assert claim.verdict == "not_applicable"
        assert "theory does not apply here" in claim.text
    # The user's initializer does not change the answer (the five scales are the same).
    other_layers, other_summary = H.scale_sweep(
        Net(network, activation, depth, width, 0), "glorot_normal", ()
    )
    other = H.answer_claim(network, activation, other_summary, other_layers, unit, depth)
    assert claim.text == other.text


def test_answer_claim_for_tanh_and_relu() -> None:
    layers, summary = H.scale_sweep(Net("mlp", "tanh", 10, 256, 0), "glorot_normal", ())
    tanh = H.answer_claim("mlp", "tanh", summary, layers, "layer", 10)
    assert tanh.verdict == "slope"
    assert tanh.text.startswith("At ×2 ")
    assert "below its small-signal value 1" in tanh.text
    layers, summary = H.scale_sweep(Net("mlp", "relu", 10, 256, 0), "he_normal", ())
    relu = H.answer_claim("mlp", "relu", summary, layers, "layer", 10)
    assert relu.verdict == "rule"
    assert relu.text.startswith("At ×1 ")
