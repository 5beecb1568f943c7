"""Unit tests of explorer.lessons.scale (called directly, no AppTest)."""

import math
import re

import numpy as np
import pandas as pd
import pytest

from core import activations, initializers
from explorer import experiments as E
from explorer.lessons import scale as S
from explorer.state import Net


def test_grids():
    assert len(S.K_GRID) == 37
    assert S.K_GRID[0] == 1 / 16
    assert S.K_GRID[-1] == 32.0
    for k in (0.25, 0.5, 1.0, 2.0, 4.0):
        assert k in S.K_GRID  # exact
    assert tuple(2.0**e for e in np.arange(-3, 4.5, 0.5)) == S.K_SWEEP
    assert len(S.K_THEORY) == 49
    assert S.K_THEORY[0] == pytest.approx(S.K_SWEEP[0])
    assert S.K_THEORY[-1] == pytest.approx(S.K_SWEEP[-1])
    assert all(np.diff(S.K_GRID) > 0)


@pytest.mark.parametrize(
    ("k", "mode", "name"),
    [
        (1.0, "fan_in", "LeCun"),
        (1.0, "fan_avg", "Glorot"),
        (2.0, "fan_in", "He"),
        (2 + 1e-12, "fan_in", "He"),
        (2.0, "fan_out", None),
        (1.5, "fan_in", None),
        (1.0, "fan_out", None),
    ],
)
def test_preset_of(k, mode, name):
    assert S.preset_of(k, mode) == name


@pytest.mark.parametrize(
    ("shape", "mode", "n"),
    [
        ((64, 256), "fan_in", 64),
        ((64, 256), "fan_out", 256),
        ((64, 256), "fan_avg", 160),
        ((3, 3, 8, 16), "fan_in", 72),
        ((3, 3, 8, 16), "fan_out", 144),
        ((3, 3, 8, 16), "fan_avg", 108),
    ],
)
def test_fan_n(shape, mode, n):
    assert S.fan_n(shape, mode) == n


def test_vs_params():
    params = S.vs_params(2, "fan_out", "uniform")
    assert params == (("scale", 2.0), ("mode", "fan_out"), ("distribution", "uniform"))
    assert isinstance(params[0][1], float)
    assert initializers.sigma_w2("variance_scaling", (16, 32), **dict(params)) == pytest.approx(
        16 * 2 / 32
    )


# ---------------------------------------------------------------- variance_profile


def test_variance_profile_mlp_theory_matches():
    inits = (("He", "he_normal", ()), ("Small", "small_random", ()))
    frame = S.variance_profile(Net("mlp", "tanh", 4, 64, 0), inits)
    assert list(frame.columns) == ["series", "layer", "variance", "label", "kind"]
    assert list(dict.fromkeys(frame["series"])) == [
        "He · measured",
        "He · theory",
        "Small · measured",
        "Small · theory",
    ]
    assert set(frame["kind"]) == {"measured", "theory"}
    assert frame.groupby("series")["layer"].apply(list).tolist() == [[1, 2, 3, 4]] * 4
    measured = frame[frame["kind"] == "measured"]["variance"].to_numpy()
    theory = frame[frame["kind"] == "theory"]["variance"].to_numpy()
    # Full-rank inputs: each layer's variance factor has relative std ~ sqrt(2)/n = 0.022 at
    # n = 64; 3 SE accumulated over 4 layers is 0.13.
    np.testing.assert_allclose(measured, theory, rtol=0.15)
    assert theory[0] == pytest.approx(2.0)  # He: q1 = 2 x unit input variance
    stats = E.layer_stats(Net("mlp", "tanh", 4, 64, 0), "he_normal", ())
    np.testing.assert_allclose(measured[:4], stats.preact_std**2)


@pytest.mark.parametrize("network", ["rnn", "resmlp"])
def test_variance_profile_no_theory_off_theory_networks(network):
    frame = S.variance_profile(Net(network, "relu", 3, 16, 0), (("He", "he_normal", ()),))
    assert set(frame["kind"]) == {"measured"}
    assert len(frame) == 3


def test_variance_profile_cnn_has_theory():
    frame = S.variance_profile(Net("cnn", "relu", 3, 8, 0), (("He", "he_normal", ()),))
    assert frame["kind"].tolist() == ["measured"] * 3 + ["theory"] * 3


@pytest.fixture(scope="module")
def huge_stats():
    # N(0, 10^2) on a 16-wide linear MLP: x40 per layer, the std passes 1.3e154 (whose square
    # float64 cannot hold) near layer 96 but stays finite up to 120.
    return E.layer_stats(Net("mlp", "linear", 120, 16, 0), "normal", (("std", 10.0),))


def test_variance_profile_huge_std_is_inf_not_nan(huge_stats):
    frame = S.variance_profile(
        Net("mlp", "linear", 120, 16, 0), (("N", "normal", (("std", 10.0),)),)
    )
    measured = frame[frame["kind"] == "measured"]
    assert not measured["variance"].isna().any()
    too_big = huge_stats.preact_std > 1.3e154
    assert too_big.any()
    assert np.isfinite(huge_stats.preact_std).all()
    assert np.isposinf(measured["variance"].to_numpy()[too_big]).all()
    assert np.isfinite(measured["variance"].to_numpy()[~too_big]).all()


# ---------------------------------------------------------------- growth_factors


def test_growth_factors_definition():
    stats = E.layer_stats(Net("mlp", "tanh", 5, 16, 0), "he_normal", ())
    fwd, bwd = S.growth_factors(stats)
    assert fwd == pytest.approx(E.geometric_factor(stats.preact_std) ** 2)
    assert bwd == pytest.approx(E.geometric_factor(stats.grad_std[::-1]) ** 2)
    assert fwd == pytest.approx((stats.preact_std[-1] / stats.preact_std[0]) ** 0.5)


def test_growth_factors_finite_beyond_1e154(huge_stats):
    fwd, bwd = S.growth_factors(huge_stats)
    assert math.isfinite(fwd)
    # sigma_w2 = 16 x 100 = 1600 for a linear net (finite-width noise averages out over
    # 119 ratios; 10 % covers it)
    assert fwd == pytest.approx(1600, rel=0.1)
    assert bwd == pytest.approx(1600, rel=0.1)


def test_growth_factors_depth_one_nan():
    stats = E.layer_stats(Net("mlp", "tanh", 1, 16, 0), "he_normal", ())
    fwd, bwd = S.growth_factors(stats)
    assert math.isnan(fwd)
    assert math.isnan(bwd)


# ---------------------------------------------------------------- edge_sweep


@pytest.fixture(scope="module")
def relu_sweep():
    return S.edge_sweep("mlp", "relu", "fan_in", "normal", 4, 32, 0)


def test_edge_sweep_layout(relu_sweep):
    assert list(relu_sweep.columns) == ["k", "factor", "direction", "source"]
    counts = relu_sweep.groupby(["source", "direction"]).size()
    assert counts[("measured", S.FORWARD)] == len(S.K_SWEEP)
    assert counts[("measured", S.BACKWARD)] == len(S.K_SWEEP)
    assert counts[("theory", S.FORWARD)] == len(S.K_THEORY)
    assert counts[("theory", S.BACKWARD)] == len(S.K_THEORY)
    measured = relu_sweep[relu_sweep["source"] == "measured"]
    assert measured["k"].drop_duplicates().tolist() == list(S.K_SWEEP)


def test_edge_sweep_relu_is_exactly_linear_in_k(relu_sweep):
    # same seed, weights scaled by sqrt(k): ReLU's variance factor is exactly proportional to k
    for direction in (S.FORWARD, S.BACKWARD):
        sel = relu_sweep[
            (relu_sweep["source"] == "measured") & (relu_sweep["direction"] == direction)
        ]
        ratio = sel["factor"].to_numpy() / sel["k"].to_numpy()
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)


def test_edge_sweep_relu_edge_at_he(relu_sweep):
    # theory: chi_1 = k / 2 exactly, log-linear in k, so the interpolated crossing is exact
    assert S.crossing_k(relu_sweep, S.BACKWARD, "theory") == pytest.approx(2.0, rel=1e-6)
    assert S.crossing_k(relu_sweep, S.FORWARD, "theory") == pytest.approx(2.0, rel=1e-6)
    # measured: each layer's variance factor has relative std ~ sqrt(2)/n = 0.044 at n = 32;
    # 3 SE of the 3-ratio mean is < 10 %
    assert S.crossing_k(relu_sweep, S.FORWARD, "measured") == pytest.approx(2.0, rel=0.1)
    assert S.crossing_k(relu_sweep, S.BACKWARD, "measured") == pytest.approx(2.0, rel=0.1)
    assert S.max_factor(relu_sweep, S.FORWARD, "measured") == pytest.approx(8.0, rel=0.1)


@pytest.mark.parametrize("network", ["rnn", "resmlp"])
def test_edge_sweep_no_theory(network):
    frame = S.edge_sweep(network, "tanh", "fan_in", "normal", 2, 8, 0)
    assert set(frame["source"]) == {"measured"}
    assert len(frame) == 2 * len(S.K_SWEEP)


def test_edge_sweep_depth_one():
    frame = S.edge_sweep("mlp", "tanh", "fan_avg", "uniform", 1, 8, 0)
    assert frame["factor"].isna().all()
    assert set(frame["source"]) == {"measured"}
    assert math.isnan(S.max_factor(frame, S.FORWARD, "measured"))
    assert math.isnan(S.crossing_k(frame, S.FORWARD, "measured"))


def test_edge_sweep_cnn_theory():
    frame = S.edge_sweep("cnn", "relu", "fan_in", "normal", 3, 8, 0)
    assert S.crossing_k(frame, S.BACKWARD, "theory") == pytest.approx(2.0, rel=1e-6)


# ---------------------------------------------------------------- max_factor / crossing_k


def _sweep(k, f, direction=S.FORWARD, source="measured"):
    return pd.DataFrame({"k": k, "factor": f, "direction": direction, "source": source})


def test_max_factor():
    frame = pd.concat(
        [
            _sweep([1, 2, 3], [0.5, np.inf, 2.0]),
            _sweep([1, 2], [9.0, 10.0], direction=S.BACKWARD),
            _sweep([1, 2], [99.0, 100.0], source="theory"),
        ]
    )
    assert S.max_factor(frame, S.FORWARD, "measured") == 2.0
    assert S.max_factor(frame, S.BACKWARD, "measured") == 10.0
    assert S.max_factor(frame, S.FORWARD, "theory") == 100.0
    assert math.isnan(S.max_factor(frame, S.BACKWARD, "theory"))
    assert math.isnan(S.max_factor(_sweep([1, 2], [np.nan, np.inf]), S.FORWARD, "measured"))


@pytest.mark.parametrize(
    ("k", "f", "expected"),
    [
        ([1.0, 4.0], [0.5, 2.0], 2.0),  # log-log interpolation: geometric midpoint
        ([1.0, 2.0, 4.0], [0.5, 1.0, 2.0], 2.0),  # exactly 1 at a grid point
        ([1.0, 2.0], [1.0, 3.0], 1.0),
        ([1.0, 2.0, 4.0, 8.0], [0.1, 2.0, 0.5, 3.0], 1.0 * 2 ** (math.log(10) / math.log(20))),
        ([1.0, 2.0, 4.0], [np.nan, 0.5, 2.0], math.sqrt(8.0)),  # non-finite dropped
        ([1.0, 2.0, 4.0], [0.5, -1.0, 2.0], math.sqrt(4.0)),  # non-positive dropped
    ],
)
def test_crossing_k(k, f, expected):
    assert S.crossing_k(_sweep(k, f), S.FORWARD, "measured") == pytest.approx(expected)


@pytest.mark.parametrize("f", [[0.5, 0.6, 0.9], [1.1, 2.0, 3.0], [np.nan, np.nan, np.nan], []])
def test_crossing_k_never(f):
    k = [1.0, 2.0, 4.0][: len(f)]
    assert math.isnan(S.crossing_k(_sweep(k, f), S.FORWARD, "measured"))


# ---------------------------------------------------------------- critical_k


@pytest.mark.parametrize(
    ("activation", "k"),
    [("tanh", 1.0), ("relu", 2.0), ("linear", 1.0), ("leaky_relu", 2 / (1 + 1e-4))],
)
def test_critical_k(activation, k):
    assert S.critical_k(activation) == pytest.approx(k, rel=1e-6)


@pytest.mark.parametrize(("activation", "k"), [("tanh", 1.0), ("relu", 2.0)])
def test_critical_k_falls_back_to_chi1_scan(monkeypatch, activation, k):
    monkeypatch.setattr(S.theory, "critical_sigma_w2", lambda *args: math.nan)
    S.critical_k.clear()
    try:
        assert S.critical_k(activation) == pytest.approx(k, rel=1e-6)
    finally:
        S.critical_k.clear()


@pytest.mark.parametrize("activation", ["gelu", "silu"])
def test_critical_k_none_where_chi1_jumps_over_1(activation):
    # q* jumps 0 -> inf at zero bias and chi1 jumps across 1 without taking the value 1: no
    # edge (the old chi1-crossing fallback reported the jump as an edge at k = 2.35 / 2.81).
    assert math.isnan(S.critical_k(activation))


# ---------------------------------------------------------------- fan_mode_table


def test_fan_mode_table():
    table = S.fan_mode_table(64, 256, (3.0, "fan_out"))
    assert list(table.columns) == [
        "scheme",
        "Var(W)",
        "std",
        "uniform bound a",
        "forward fan_in·Var",
        "backward fan_out·Var",
    ]
    assert table["scheme"].tolist() == [s[0] for s in S.FAN_SCHEMES] + ["Your k / n (this page)"]
    assert table["Var(W)"].iloc[-1] == "3 / fan_out"
    np.testing.assert_allclose(
        table["forward fan_in·Var"], [1.0, 0.4, 2.0, 0.5, 0.8, 0.75], rtol=1e-12
    )
    np.testing.assert_allclose(
        table["backward fan_out·Var"], [4.0, 1.6, 8.0, 2.0, 3.2, 3.0], rtol=1e-12
    )
    np.testing.assert_allclose(table["uniform bound a"], math.sqrt(3) * table["std"], rtol=1e-12)
    assert table["std"].iloc[0] == pytest.approx(1 / 8)


def test_fan_mode_table_square_layer_all_agree():
    table = S.fan_mode_table(32, 32)
    assert len(table) == len(S.FAN_SCHEMES)
    # square layer: every mode gives n = 32, so forward = backward
    np.testing.assert_allclose(table["forward fan_in·Var"], table["backward fan_out·Var"])
    np.testing.assert_allclose(table["forward fan_in·Var"], [1, 1, 2, 2, 2], rtol=1e-12)


# ---------------------------------------------------------------- activation_guide


def test_activation_guide():
    guide = S.activation_guide()
    assert list(guide.columns) == [
        "activation",
        "gain",
        "gain from",
        "k = gain²",
        "usual initializer",
        "χ₁ at k = gain²",
        "edge k (χ₁ = 1)",
    ]
    assert guide["activation"].tolist() == [activations.get(n).label for n in activations.NAMES]
    np.testing.assert_allclose(guide["k = gain²"], guide["gain"] ** 2)
    g = guide.set_index(pd.Index(activations.NAMES))
    assert g.loc["relu", "k = gain²"] == pytest.approx(2.0)
    assert g.loc["relu", "χ₁ at k = gain²"] == pytest.approx(1.0)
    assert g.loc["linear", "χ₁ at k = gain²"] == pytest.approx(1.0)
    assert g.loc["tanh", "gain"] == pytest.approx(5 / 3)
    assert g.loc["tanh", "edge k (χ₁ = 1)"] == pytest.approx(1.0)
    assert g.loc["relu", "edge k (χ₁ = 1)"] == pytest.approx(2.0)
    assert g.loc["relu", "usual initializer"] == initializers.REGISTRY["he_normal"].label
    assert g.loc["tanh", "usual initializer"] == initializers.REGISTRY["glorot_normal"].label
    assert g.loc["relu", "gain from"] == "PyTorch calculate_gain"
    for name in activations.NAMES:
        assert g.loc[name, "edge k (χ₁ = 1)"] == pytest.approx(S.critical_k(name), nan_ok=True)


# ---------------------------------------------------------------- factor claims (issue 13)
# Every per-layer factor page 4 cites says which it is: "variance factor ×v (std ×√v)".

_FACTOR = re.compile(r"(?<!std )×([0-9.e+-]+) \(std ×([0-9.e+-]+)\)")


def _labelled_factors(text: str) -> list[tuple[float, float]]:
    """(variance, std) pairs of a claim; fails on a bare ×number that is not one."""
    pairs = [(float(v), float(s)) for v, s in _FACTOR.findall(text)]
    bare = re.findall(r"(?<!std )×[0-9]", _FACTOR.sub("", text))
    assert not bare, text
    for variance, std in pairs:
        assert std == pytest.approx(math.sqrt(variance), rel=6e-3, abs=6e-3), text
    # Every "factor" is a variance factor, a std factor or "factors" of a named kind.
    for match in re.finditer(r"(\w+) factors?\b", text):
        assert match.group(1) in {"variance", "std"}, (match.group(0), text)
    return pairs


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.0, "×2 (std ×1.41)"),
        (0.25, "×0.25 (std ×0.5)"),
        (1.0, "×1 (std ×1)"),
        (0.0, "×0 (std ×0)"),
        (math.inf, "×overflow (∞)"),
    ],
)
def test_factor_words(value, expected):
    from explorer import claims

    assert claims.factor_words(value) == expected


def test_factor_words_nan_is_named():
    from explorer import claims

    assert claims.factor_words(math.nan) == claims.UNDEFINED
    assert not claims.has_nan_text(claims.factor_words(math.nan))


@pytest.mark.parametrize("value", [0.528, 1.0, 2.0, 0.0, 1e-9, 4.2e7, math.inf, math.nan])
@pytest.mark.parametrize("unit", ["layer", "time step", "block"])
def test_forward_metric_says_variance_and_std(value, unit):
    label, shown, std = S.forward_metric(value, unit)
    assert label == f"Forward variance factor per {unit}"
    if math.isfinite(value):
        assert shown.startswith("×")
        assert std.startswith("std ×")
        assert float(std.removeprefix("std ×")) == pytest.approx(
            math.sqrt(value), rel=6e-3, abs=1e-12
        )
    else:
        assert std == ""
        assert shown == ("n/a" if math.isnan(value) else "×overflow (∞)")


@pytest.mark.parametrize("forward", [0.528, 1.0, 3.7, 0.0, math.inf])
@pytest.mark.parametrize("backward", [0.503, 2.0, math.nan])
def test_your_factors_claim(forward, backward):
    claim = S.your_factors_claim(1.0, forward, backward, "layer")
    assert "variance factors per layer" in claim.text
    assert not claims_has_nan(claim.text)
    _labelled_factors(claim.text)


def claims_has_nan(text: str) -> bool:
    from explorer import claims

    return claims.has_nan_text(text)


@pytest.mark.parametrize("network", ["mlp", "cnn", "rnn", "resmlp"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "gelu", "linear"])
def test_edge_sweep_claim_grid(network, activation):
    depth, width = 4, 16
    sweep = S.edge_sweep(network, activation, "fan_in", "normal", depth, width, 0)
    stats = E.layer_stats(Net(network, activation, depth, width, 0), "variance_scaling", ())
    fwd, bwd = S.growth_factors(stats)
    unit = "time step" if network == "rnn" else "layer"
    claim = S.edge_sweep_claim(network, activation, sweep, 1.0, fwd, bwd, unit)
    text = claim.text
    assert not claims_has_nan(text)
    assert claim.verdict == {"rnn": "rnn", "resmlp": "resmlp"}.get(network, "stacked")
    pairs = _labelled_factors(text)
    # The last two factors are the page's own: forward then backward, as measured.
    assert pairs[-2][0] == pytest.approx(fwd, rel=6e-3)
    assert pairs[-1][0] == pytest.approx(bwd, rel=6e-3)
    k_bwd = S.crossing_k(sweep, S.BACKWARD, "measured")
    if math.isfinite(k_bwd):
        assert f"backward variance factor crosses 1 at **k ≈ {k_bwd:.3g}**" in text
    else:
        assert "backward variance factor does not cross 1" in text
    if network in S.THEORY_NETWORKS:
        assert S.edge_claim(activation).text.rstrip(".") in text


@pytest.mark.parametrize("fan_in", [16, 64, 256])
@pytest.mark.parametrize("fan_out", [16, 256, 1024, 4096])
def test_fan_mode_and_he_claims(fan_in, fan_out):
    table = S.fan_mode_table(fan_in, fan_out)
    claim = S.fan_mode_claim(fan_in, fan_out, table)
    he = S.he_correction_claim(fan_in, fan_out, table)
    assert f"√(2/{fan_in}) = {math.sqrt(2 / fan_in):.4g}" in he.text
    assert "variance factor ×2 (std ×1.41) per layer" in he.text
    _labelled_factors(he.text)
    if fan_in == fan_out:
        assert claim.verdict == "square"
        assert "square" in he.text
        return
    pairs = _labelled_factors(claim.text)
    glorot_forward, glorot_backward = (
        2 * fan_in / (fan_in + fan_out),
        2 * fan_out / (fan_in + fan_out),
    )
    assert pairs[0][0] == pytest.approx(glorot_forward, rel=6e-3)
    assert pairs[1][0] == pytest.approx(glorot_backward, rel=6e-3)
    ratio = fan_out / fan_in
    assert f"backward variance factor is {fan_out}/{fan_in}" in claim.text
    assert claim.values["ratio"] == pytest.approx(ratio)
