"""Every sentence true (part c): page 5 (network types), page 6 (playground), Home's rule check.

Regression tests for issue items 14, 15 (Home part), 17 and 25, the zeros-spectrum comparison
and the playground's "why this differs" box; then a grid over activations x initializers x
network types asserting that the claim functions never show NaN, and that their verdicts agree
with the numbers they cite.
"""

import math

import numpy as np
import pytest

from core import activations, initializers
from core import regime as core_regime
from explorer import claims
from explorer.lessons import home as H
from explorer.lessons import network_types as N
from explorer.lessons import playground as P
from explorer.state import Net, default_params
from tests.grid import ACTIVATIONS, INITS

TOL = claims.DEFAULT_TOLERANCE


def params(init):
    return default_params(init)


def ratio_of(top, bottom):
    return top / bottom if bottom > 0 else math.nan


# ------------------------------------------------------------------ item 14: RNN drift is rho


@pytest.mark.parametrize(("steps", "hidden"), [(50, 128), (10, 128)])
def test_item_14_rnn_drift_is_the_spectral_radius(steps, hidden):
    # Page 5's RNN tab: 50 steps and 128 units unless RNN is the network type (then depth 10).
    series = N.rnn_series("glorot_normal", params("glorot_normal"))
    frame, summary = N.rnn_through_time("linear", series, steps, hidden, 0)
    gauss = summary[summary["init"] == "glorot_normal"].iloc[-1]
    grad = frame[frame["series"] == gauss.series]["grad_std"].to_numpy()
    claim = N.rnn_drift_claim(gauss.series, gauss.spectral_radius, gauss.sigma_max, grad, steps)
    v = claim.values
    assert v["rho"] == pytest.approx(gauss.spectral_radius)
    assert v["rho_power"] == pytest.approx(gauss.spectral_radius ** (steps - 1))
    assert v["ratio"] == pytest.approx(gauss.ratio)
    # The drift is attributed to rho (its direction agrees with rho^(T-1)), not to the spread.
    measured = claims.direction(v["ratio"], tolerance=TOL)
    predicted = claims.direction(v["rho_power"], tolerance=TOL)
    if measured == predicted and measured != "stays level":
        assert claim.verdict == "rho"
        assert f"ρ {'>' if predicted == 'grows' else '<'} 1" in claim.text
    assert "does not set this rate" in claim.text
    assert "powers stretch some directions" not in claim.text
    assert not claims.has_nan_text(claim.text)
    # The long-run rate is rho: over 50 steps the deep half's per-step factor is close to it.
    if steps == 50:
        assert v["rate"] == pytest.approx(v["rho"], rel=0.05)


def test_item_14_orthogonal_and_identity_have_rho_one():
    series = N.rnn_series("identity", (("gain", 1.0),))
    frame, summary = N.rnn_through_time("linear", series, 12, 32, 0)
    for init in ("orthogonal", "identity"):
        rows = summary[summary["init"] == init]
        if init == "orthogonal":
            rows = rows[np.isclose(rows["gain"], 1.0)]
        row = rows.iloc[0]
        grad = frame[frame["series"] == row.series]["grad_std"].to_numpy()
        claim = N.rnn_drift_claim(row.series, row.spectral_radius, row.sigma_max, grad, 12)
        assert claim.values["rho"] == pytest.approx(1.0, abs=1e-9)
        assert claim.verdict == "level"


# ------------------------------------------------------------------ item 15: Home, zeros


def test_item_15_home_zeros_says_all_zero_never_nan():
    _, summary = H.scale_sweep(Net("mlp", "tanh", 10, 64, 0), "zeros", ())
    mine = summary.iloc[-1]
    claim = H.rule_comparison_claim(
        activation="tanh",
        network="mlp",
        init="zeros",
        init_label="Zeros",
        rule_factor=mine.rule_factor,
        act_factor=mine.act_factor,
        act_first=mine.act_first,
        act_last=mine.act_last,
        first_nonfinite=mine.first_nonfinite,
    )
    assert claim.verdict == "all_zero"
    assert "all zero" in claim.text
    assert "differ by" not in claim.text
    assert not claims.has_nan_text(claim.text)
    metric = H.measured_factor_text(mine.act_factor, mine.act_first, mine.act_last)
    assert not claims.has_nan_text(metric)
    assert not claims.has_nan_text(H.measured_ratio_text(mine.act_first, mine.act_last))


# ------------------------------------------------------------------ item 17: delta-orthogonal


@pytest.mark.parametrize("activation", ["sigmoid", "gelu", "silu", "tanh", "relu"])
def test_item_17_delta_orthogonal_gain_is_stated_exactly(activation):
    series = N.cnn_series(activation, "he_normal", params("he_normal"), 8)
    delta = [s for s in series if s[1] == "delta_orthogonal"][0]
    gain = dict(delta[2])["gain"]
    e = N.edge_gain(activation)
    assert gain == pytest.approx(e.gain)
    claim = N.delta_orthogonal_claim(activation)
    assert claim.values["gain"] == pytest.approx(gain)
    assert claims.describe_number(gain, digits=4) in claim.text or (
        claims.describe_number(gain) in claim.text
    )
    r = core_regime.regime(activation, 1.0, 0.0)
    if activation in ("tanh", "relu"):
        assert e.source == "edge"
        assert gain == pytest.approx(math.sqrt(r.edge_sigma_w2))
        chi = core_regime.regime(activation, gain**2, 0.0).chi1
        assert abs(chi - 1.0) < 1e-3
        assert "edge of chaos" in claim.text
    elif activation == "sigmoid":
        # the edge (~103) needs gain 10.15 > the registry's 10: capped, and said so
        assert e.source == "capped_edge"
        assert gain == pytest.approx(10.0)
        assert "largest allowed" in claim.text
        assert claim.values["edge_sigma_w2"] == pytest.approx(r.edge_sigma_w2)
    else:  # gelu, silu: no chi1 = 1 edge at sigma_b2 = 0
        assert r.edge_sigma_w2 is None
        assert e.source == "default"
        assert gain == 1.0
        assert "no χ₁ = 1 edge" in claim.text
        assert claim.applies is False


# ------------------------------------------------------------------ item 25: playground


def test_item_25_small_signal_property_is_the_chosen_activations():
    texts = {a: P.small_signal_claim(a) for a in ACTIVATIONS}
    for a, claim in texts.items():
        name = activations.get(a).label
        assert name in claim.text
        if a not in ("tanh",):
            assert "Tanh" not in claim.text
            assert "tanh" not in claim.text
    assert texts["tanh"].text == "Tanh is nearly linear near 0 (f(0) = 0, f′(0) = 1)"
    assert texts["relu"].verdict == "kinked"
    assert "slope 1 for z > 0, 0 for z < 0" in texts["relu"].text
    assert texts["sigmoid"].verdict == "offset"
    assert "slope f′(0) = 0.25" in texts["sigmoid"].text
    assert "offset f(0) = 0.5" in texts["sigmoid"].text
    assert texts["gelu"].verdict == "scaled"
    assert texts["linear"].verdict == "linear"


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "gelu"])
def test_item_25_stall_answer_never_says_tanh_for_other_activations(activation):
    claim = P.stall_answer_claim(
        activation, 32, task="classification", baseline=math.log(2), n_classes=2
    )
    assert "tanh is nearly linear" not in claim.text.lower()
    expected = math.sqrt(32 * 1e-4 * P.small_signal_claim(activation).values["slope2"])
    assert claim.values["factor"] == pytest.approx(expected)
    assert claims.describe_number(expected) in claim.text
    assert claim.verdict == "predicted"


# ------------------------------------------------------------------ zeros spectrum (xfail gone)


@pytest.mark.parametrize(
    ("activation", "sigma_w2"), [("relu", 2.0), ("tanh", 1.0), ("linear", 1.0), ("gelu", 1.0)]
)
def test_spectrum_zeros_compares_at_the_edge(activation, sigma_w2):
    assert N.comparison_sigma_w2("zeros", (), 16, activation) == pytest.approx(sigma_w2, rel=1e-3)
    series = N.spectrum_series(activation, "zeros", (), 16)
    assert dict(series[1][2])["gain"] == pytest.approx(math.sqrt(sigma_w2), rel=1e-3)
    text = N.spectrum_comparison_claim(activation, "zeros", (), 16).text
    assert "σ_w² = 0" in text
    assert ("edge of chaos" in text) == (activation != "gelu")
    assert not claims.has_nan_text(text)


# ------------------------------------------------------------------ why this differs (He > Glorot)


def run_row(init, label, score, diverged=False):
    return (init, label, params(init), score, diverged)


def test_why_differs_shown_only_when_he_beats_glorot_on_tanh():
    runs = [run_row("glorot_normal", "Glorot", 0.96), run_row("he_normal", "He", 1.0)]
    claim = P.he_vs_glorot_claim("tanh", "mlp", 32, runs, n_inputs=2)
    assert claim is not None
    assert claim.kind == "why_differs"
    assert claim.text.startswith("**Why this differs from the simple rule.**")
    assert claim.values["glorot_sigma_w2"] == pytest.approx(1.0)
    assert claim.values["he_sigma_w2"] == pytest.approx(2.0)
    assert claim.values["he_chi1"] == pytest.approx(core_regime.regime("tanh", 2.0).chi1)
    assert not claims.has_nan_text(claim.text)
    # not shown when it did not happen, or for another activation / a diverged run
    tie = [run_row("glorot_normal", "Glorot", 1.0), run_row("he_normal", "He", 1.0)]
    assert P.he_vs_glorot_claim("tanh", "mlp", 32, tie) is None
    assert P.he_vs_glorot_claim("relu", "mlp", 32, runs) is None
    bad = [run_row("glorot_normal", "Glorot", 0.5), run_row("he_normal", "He", 1.0, True)]
    assert P.he_vs_glorot_claim("tanh", "mlp", 32, bad) is None


def test_why_differs_from_a_real_run():
    jobs = [
        {
            "network": "mlp",
            "activation": "tanh",
            "init": init,
            "init_params": params(init),
            "depth": 4,
            "width": 32,
            "dataset": "moons",
            "options": (),
            "seed": 0,
            "optimizer": "sgd",
            "lr": 0.1,
            "steps": 300,
            "batch": 128,
            "clip": 0.0,
        }
        for init in ("glorot_normal", "he_normal", "small_random")
    ]
    runs = P.playground_train(jobs, lambda *a: None)
    net = Net("mlp", "tanh", 4, 32, 0)
    claim = P.he_vs_glorot_for_runs(net, runs, "moons", ())
    glorot, he = runs[0].final_score, runs[1].final_score
    assert (claim is not None) == (he - glorot > P.SCORE_MARGIN)
    if claim is not None:
        assert claim.values["glorot_first_sigma_w2"] == pytest.approx(2 * 2 / (2 + 32))
        if claim.values["glorot_start_std"] < claim.values["he_start_std"]:
            assert "Measured at step 0" in claim.text
    stall = P.stall_answer_claim(
        "tanh",
        32,
        task="classification",
        baseline=runs[2].baseline,
        n_classes=2,
        measured_loss=runs[2].history.final_loss,
    )
    loss = runs[2].history.final_loss
    assert stall.verdict == ("stalled" if loss >= 0.9 * runs[2].baseline else "learned")


# ------------------------------------------------------------------ grid: page 5 claims


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_grid_edge_gain(activation):
    e = N.edge_gain(activation)
    assert not claims.has_nan_text(e.claim.text)
    assert e.gain == pytest.approx(math.sqrt(e.sigma_w2))
    assert 0 < e.gain <= N.ORTHO_GAIN_CAP
    chi = core_regime.regime(activation, e.sigma_w2, 0.0).chi1
    if e.source == "edge":
        assert abs(chi - 1.0) < 1e-3
    elif e.source == "capped_edge":
        assert core_regime.phase_of(chi) in e.claim.text
    else:
        assert e.claim.applies is False


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_grid_spectrum_claims(activation):
    for init in ("zeros", "constant", "glorot_normal", "orthogonal", "identity"):
        series = N.spectrum_series(activation, init, params(init), 16)
        _, summary = N.jacobian_spectra(activation, series, 4, 16, 0)
        for claim in (
            N.spectrum_comparison_claim(activation, init, params(init), 16),
            N.spectrum_notice_claim(summary, 16),
            N.spectrum_answer_claim(summary, activation),
        ):
            assert not claims.has_nan_text(claim.text), (init, claim.text)
        notice = N.spectrum_notice_claim(summary, 16)
        if notice.verdict is not None:
            assert "predicted_mean_sq" in notice.values
            gap = notice.values["spread_gap"]
            assert (notice.verdict == "same_mean_different_spread") == (gap > 1.0)


def _rnn_checks(activation, init, steps, hidden):
    series = N.rnn_series(init, params(init))
    frame, summary = N.rnn_through_time(activation, series, steps, hidden, 0)
    lin_frame, lin_summary = N.rnn_through_time("linear", series, steps, hidden, 0)
    mine, lin_mine = summary.iloc[0], lin_summary.iloc[0]
    ortho = N.orthogonal_row(summary, 1.0)
    act = N.rnn_activation_claim(
        activation,
        steps,
        (mine.series, mine.grad_first, mine.grad_last),
        None if mine.series == ortho.series else (ortho.series, ortho.grad_first, ortho.grad_last),
        (lin_mine.grad_first, lin_mine.grad_last),
    )
    assert not claims.has_nan_text(act.text), act.text
    rel = ratio_of(ratio_of(mine.grad_first, mine.grad_last), lin_mine.ratio)
    assert act.verdict == claims.direction(rel, tolerance=TOL)
    for row in lin_summary.itertuples():
        grad = lin_frame[lin_frame["series"] == row.series]["grad_std"].to_numpy()
        drift = N.rnn_drift_claim(row.series, row.spectral_radius, row.sigma_max, grad, steps)
        assert not claims.has_nan_text(drift.text), drift.text
        measured = claims.direction(ratio_of(row.grad_first, row.grad_last), tolerance=TOL)
        predicted = claims.direction(drift.values["rho_power"], tolerance=TOL)
        if drift.verdict == "rho":
            assert measured == predicted != "stays level"
        elif drift.verdict == "level":
            assert measured == predicted == "stays level"
        elif drift.verdict == "transient":
            assert measured != predicted
            assert measured != "undefined"
        else:
            assert measured == "undefined"
    assert not claims.has_nan_text(N.rnn_linear_claim(lin_summary, steps).text)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("init", ["zeros", "constant", "small_random", "large_random", "he_normal"])
def test_grid_rnn_claims(activation, init):
    _rnn_checks(activation, init, 8, 16)


@pytest.mark.parametrize("init", ["lecun_normal", "glorot_normal", "orthogonal", "identity"])
def test_grid_rnn_claims_more_inits(init):
    for activation in ("tanh", "relu", "sigmoid"):
        _rnn_checks(activation, init, 12, 32)


def _signal_checks(text, first, last):
    assert not claims.has_nan_text(text), text
    if first == 0 and last == 0:
        assert "all zero" in text


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_grid_cnn_claims(activation):
    for init in ("zeros", "constant", "small_random", "he_normal", "orthogonal"):
        series = N.cnn_series(activation, init, params(init), 4)
        frame = N.cnn_layer_stats(activation, series, 3, 4, 0)
        summary = N.series_summary(frame, ends=True)
        act, grad = N.cnn_claims(summary, 3)
        assert not claims.has_nan_text(act.text + grad.text), (init, act.text, grad.text)
        for r in summary.itertuples():
            _signal_checks(
                N.signal_words(r.act_first, r.act_last, r.act_factor),
                *(
                    r.act_first,
                    r.act_last,
                ),
            )
            assert not claims.has_nan_text(N.grad_share_words(r.grad_first, r.grad_last))


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_grid_residual_words(activation):
    for init in INITS:
        for alpha in (0.0, 1.0):
            frame = N.residual_compare(
                Net("resmlp", activation, 6, 16, 0), init, params(init), alpha
            )
            summary = N.series_summary(frame, ends=True)
            for r in summary.itertuples():
                words = N.signal_words(r.act_first, r.act_last, r.act_factor, "block")
                _signal_checks(words, r.act_first, r.act_last)
                assert not claims.has_nan_text(N.grad_share_words(r.grad_first, r.grad_last))


# ------------------------------------------------------------------ grid: Home's rule claim


@pytest.mark.parametrize("network", ["mlp", "cnn", "rnn", "resmlp"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_grid_home_rule_claim(network, activation):
    width = 8 if network == "cnn" else 16
    for init in INITS:
        if network == "cnn" and init == "identity":
            continue
        _, summary = H.scale_sweep(Net(network, activation, 4, width, 0), init, params(init))
        mine = summary.iloc[-1]
        claim = H.rule_comparison_claim(
            activation=activation,
            network=network,
            init=init,
            init_label=initializers.REGISTRY[init].label,
            rule_factor=mine.rule_factor,
            act_factor=mine.act_factor,
            act_first=mine.act_first,
            act_last=mine.act_last,
            first_nonfinite=mine.first_nonfinite,
        )
        assert not claims.has_nan_text(claim.text), (init, claim.text)
        assert not claims.has_nan_text(
            H.measured_factor_text(mine.act_factor, mine.act_first, mine.act_last)
        )
        assert not claims.has_nan_text(H.measured_ratio_text(mine.act_first, mine.act_last))
        if claim.verdict == "agree":
            assert abs(mine.act_factor / mine.rule_factor - 1) < 0.05
        if claim.verdict in ("differ", "not_applicable") and "rule_gap" in claim.values:
            gap = claim.values["rule_gap"]
            if math.isfinite(gap):
                assert f"{gap:+.0%}" in claim.text
        if init in ("zeros", "constant", "identity") and claim.verdict not in (
            "overflow",
            "all_zero",
            "died",
            "agree",
        ):
            assert claim.applies is False


# ------------------------------------------------------------------ grid: playground claims


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("width", [8, 32])
def test_grid_playground_claims(activation, width):
    prop = P.small_signal_claim(activation)
    assert not claims.has_nan_text(prop.text)
    z = np.array([-1e-7, 1e-7])
    left, right = activations.get(activation).df(z)
    assert prop.values["slope_left"] == pytest.approx(left)
    assert prop.values["slope_right"] == pytest.approx(right)
    for loss, verdict in ((None, "predicted"), (0.69, "stalled"), (0.1, "learned")):
        claim = P.stall_answer_claim(
            activation,
            width,
            task="classification",
            baseline=math.log(2),
            n_classes=2,
            measured_loss=loss,
        )
        assert claim.verdict == verdict
        assert not claims.has_nan_text(claim.text)
        assert claim.values["factor"] == pytest.approx(P.small_random_factor(activation, width))


@pytest.mark.parametrize("init", ["zeros", "small_random", "he_normal", "large_random"])
@pytest.mark.parametrize("network", ["mlp", "cnn", "resmlp"])
def test_grid_lsuv_claim(network, init):
    kind, depth, width = N.lsuv_size(network, 4, 8)
    report, std = N.lsuv_compare(Net(kind, "tanh", depth, width, 0), init, params(init))
    claim = N.lsuv_claim(report, std, initializers.REGISTRY[init].label)
    assert not claims.has_nan_text(claim.text)
    all_ok = bool(report["converged"].all())
    assert (claim.verdict == "all_converged") == all_ok
    assert ("every layer" in claim.text) == all_ok


@pytest.mark.parametrize(("network", "fan_in"), [("mlp", 16), ("cnn", 144), ("rnn", 16)])
def test_stall_answer_uses_the_networks_fan(network, fan_in):
    claim = P.stall_answer_claim(
        "tanh", 16, network=network, task="classification", baseline=math.log(2), n_classes=2
    )
    assert claim.values["sigma_w2"] == pytest.approx(fan_in * 1e-4)
    assert ("time step" in claim.text) == (network == "rnn")
