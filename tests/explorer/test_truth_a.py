"""Every sentence true (issue "[2/4]"), part a: pages 7 (edge of chaos), 4 (scale) and Home.

One regression test per issue item (``test_item_<N>_...``) at the configuration the issue
describes, then grid tests of the claim functions over activations x initializers x network
types x sizes: no NaN text, direction words agree with the cited ratio, phase words agree with
chi1, edges satisfy chi1 = 1.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from core import activations, regime, theory
from core.networks import supported_inits
from explorer import claims
from explorer.lessons import chaos as C
from explorer.lessons import home as H
from explorer.lessons import scale as S
from explorer.state import Net
from tests.grid import ACTIVATIONS, INITS

ROOT = Path(__file__).resolve().parents[2]
PHASE_WORDS = ("**ordered**", "**critical**", "**chaotic**")


def test_activation_list_is_the_ten_of_the_issue():
    # The issue's ten: linear, sigmoid, tanh, relu, leaky_relu, elu, selu, gelu, silu, softsign.
    assert len(set(ACTIVATIONS)) == 10
    assert {"sigmoid", "softsign", "gelu", "silu", "leaky_relu"} <= set(ACTIVATIONS)


# ------------------------------------------------------------------------------ issue items


def test_item_1_tanh_unit_gaussian_weights_have_finite_xi_c_and_trainable_depth():
    sw2 = C.user_sigma_w2("large_random", (), 256)
    assert sw2 == pytest.approx(256.0)
    r = C.point_regime("tanh", sw2, 0.0)
    shown = C.metric_values(r, "large_random")
    assert math.isfinite(r.xi_c)
    assert r.xi_c > 0
    assert float(shown["xi_c"]) == pytest.approx(r.xi_c, rel=1e-2)
    assert float(shown["trainable"]) == pytest.approx(6 * r.xi_c, rel=1e-2)
    claim = C.verdict_claim("tanh", "large_random", sw2, 0.0, 10)
    assert claim.verdict == "chaotic"
    assert "ξ_c ≈ 2.48" in claim.text
    assert "Trainable depth ≈ 6 ξ_c = 14.9" in claim.text


@pytest.mark.parametrize(
    ("activation", "init"),
    [
        ("relu", "lecun_normal"),
        ("relu", "glorot_normal"),
        ("leaky_relu", "lecun_normal"),
        ("linear", "small_random"),
    ],
)
def test_item_2_homogeneous_units_without_bias_have_no_exponential_xi_c(activation, init):
    sw2 = C.user_sigma_w2(init, (), 64)
    r = C.point_regime(activation, sw2, 0.0)
    assert r.decay != "exponential"
    assert math.isinf(r.xi_c)
    claim = C.verdict_claim(activation, init, sw2, 0.0, 10)
    assert "expect training to fail" not in claim.text
    assert "1.44" not in claim.text
    shown = C.metric_values(r, init)
    assert shown["xi_c"] == "∞"
    assert shown["trainable"] in ("no ξ_c limit", "∞")
    if activation == "relu":
        assert "no exponential correlation depth scale" in claim.text


@pytest.mark.parametrize("activation", ["gelu", "silu"])
def test_item_3_no_edge_claimed_where_chi1_jumps_over_1(activation):
    assert math.isnan(S.critical_k(activation))
    claim = S.edge_claim(activation)
    assert claim.verdict == "none"
    assert "chi1 is never 1" in claim.text
    assert "**k =" not in claim.text
    guide = S.activation_guide().set_index("activation")
    assert math.isnan(guide.loc[activations.get(activation).label, "edge k (χ₁ = 1)"])


@pytest.mark.parametrize(
    ("activation", "chi_there", "edge"),
    [("sigmoid", 0.40, 103.0), ("gelu", 2.0, None), ("silu", 2.0, None), ("tanh", 1.0, 1.0)],
)
def test_item_6_home_labels_its_scale_as_the_small_signal_rule(activation, chi_there, edge):
    from explorer.experiments import critical_sigma_w2, small_signal_slope2

    crit = critical_sigma_w2(activation)
    claim = H.scale_claim(activation, activation, crit, small_signal_slope2(activation))
    assert H.SCALE_NAME in claim.text
    assert claim.values["chi1"] == pytest.approx(chi_there, abs=0.01)
    if edge is not None and abs(chi_there - 1) < 0.02:
        assert claim.verdict == "edge"
    else:
        assert claim.verdict == "not_edge"
        assert "not the edge of chaos" in claim.text
        if edge is not None:
            assert claim.values["edge_sigma_w2"] == pytest.approx(edge, rel=0.01)
    assert "critical" not in (ROOT / "Home.py").read_text().replace("critical_sigma_w2", "")


def test_item_7_no_finite_width_blame_where_mean_field_does_not_apply():
    for init, measured in (("constant", 655.0), ("zeros", 0.0), ("identity", 0.339)):
        claim = C.probe_q_claim(init, 256, 10, measured, 1.0)
        assert not claim.applies
        assert "finite width" not in claim.text
        assert f"Mean-field theory does not apply to `{init}`" in claim.text
    verdict = C.verdict_claim("relu", "identity", 1.0, 0.0, 10)
    assert not verdict.applies
    assert verdict.verdict is None
    assert "expect training to fail" not in verdict.text
    r = C.point_regime("relu", 1.0, 0.0)
    grad = C.gradient_claim(r, "identity", 1.0, 0.0442)
    assert grad.verdict == "stays level"
    assert "stays level" in grad.text
    assert "does not apply" in grad.text
    # the page's probe at the issue's configuration
    frame, _ = C.mean_field_vs_probe(Net("mlp", "relu", 10, 64, 0), "identity", (), 0.0)
    measured = frame[frame["series"] == "measured (probe)"]["grad_rel"].iloc[0]
    assert C.gradient_claim(r, "identity", measured, math.nan).verdict == claims.direction(
        measured, tolerance=claims.DEFAULT_TOLERANCE
    )


def test_item_11_gradients_at_q_star_zero_decay_polynomially():
    r = C.point_regime("tanh", 1.0, 0.0)
    assert r.phase == "critical"
    assert r.fixed_point == "zero"
    claim = C.gradient_claim(r, "glorot_normal", 0.287, 0.281)
    assert "neither shrink nor grow" not in claim.text
    assert "polynomially" in claim.text
    assert claim.verdict == "shrinks"
    verdict = C.verdict_claim("tanh", "glorot_normal", 1.0, 0.0, 10)
    assert "neither shrink nor grow" not in verdict.text
    assert "polynomially" in verdict.text


def test_item_13_cnn_gap_judged_against_the_seed_scatter():
    scattered = (0.12, 1.43, 0.6, 0.9)
    claim = S.theory_gap_claim("cnn", 8, 0.5, scattered)
    assert claim.verdict == "scatter"
    assert "padding" not in claim.text
    assert "0.12" in claim.text
    assert "1.43" in claim.text
    tight = (0.69, 0.72, 0.67, 0.71)
    claim = S.theory_gap_claim("cnn", 8, 0.7, tight)
    assert claim.verdict == "padding"
    assert "padding" in claim.text
    # measured at the page's configuration, cached
    params = S.vs_params(1.0, "fan_avg", "normal")
    ratios = S.seed_ratios(Net("cnn", "tanh", 6, 8, 0), params)
    assert len(ratios) == S.GAP_SEEDS
    assert all(math.isfinite(x) for x in ratios)
    assert not claims.has_nan_text(S.theory_gap_claim("cnn", 8, ratios[0], ratios).text)


def test_item_19_home_names_one_factor():
    text = (ROOT / "Home.py").read_text()
    assert "std factor" in text
    assert '"Measured factor per' not in text
    claim, _ = H.rule_verdict_claim("mlp", "tanh", 1.0, 0.15, 1.0, 0.89, math.nan, "layer")
    assert "std factor" in claim.text


@pytest.mark.parametrize("network", ["rnn", "resmlp"])
def test_item_20_home_try_this_is_gated_on_the_network(network):
    claim = H.try_this_answer(network, "block", 10, 2.18, 1.09)
    assert not claim.applies
    assert "The rule predicts" not in claim.text
    assert "2.18" in claim.text
    mlp = H.try_this_answer("mlp", "layer", 10, 0.209, 0.84)
    assert mlp.applies
    assert "0.387" in mlp.text


_WRONG_CHI = re.compile(r"gradients? (shrink|grow)s? by (about )?χ₁")


@pytest.mark.parametrize(
    "path",
    [
        "pages/7_Edge_of_chaos.py",
        "pages/4_Choosing_the_scale.py",
        "Home.py",
        "explorer/lessons/chaos.py",
        "explorer/lessons/scale.py",
        "explorer/lessons/home.py",
    ],
)
def test_item_26_no_gradient_shrinks_by_chi1(path):
    assert not _WRONG_CHI.search((ROOT / path).read_text())


def test_item_26_verdicts_name_the_mean_square():
    for init in ("lecun_normal", "he_normal", "large_random"):
        sw2 = C.user_sigma_w2(init, (), 64)
        text = C.verdict_claim("tanh", init, sw2, 0.0, 10).text
        assert not _WRONG_CHI.search(text)


def test_why_this_differs_glorot_tanh():
    claim = claims.why_differs_claim("tanh", 1.0, 0.145, 0.894)
    assert claim is not None
    assert claim.kind == "why_differs"
    assert claim.text.startswith(f"**{claims.WHY_DIFFERS_HEADING}.**")
    assert claim.values["chi1_at_q"] < 1.0
    assert claim.values["chi1_at_q"] == pytest.approx(theory.mean_square_derivative("tanh", 0.145))
    assert claim.verdict == "explained"
    assert claims.why_differs_claim("tanh", 1.0, 0.145, 1.01) is None


def test_page_7_metrics_have_glossary_help():
    text = (ROOT / "pages/7_Edge_of_chaos.py").read_text()
    for key in ("chi1", "xi_c", "q_star"):
        assert f'claims.GLOSSARY["{key}"]' in text


# ------------------------------------------------------------------------------ grid tests


def _phase_ok(claim: claims.Claim, r: regime.Regime) -> None:
    assert claim.verdict == r.phase
    assert f"**{r.phase}**" in claim.text or "**no fixed point**" in claim.text
    for word in PHASE_WORDS:
        if word != f"**{r.phase}**":
            assert word not in claim.text
    if r.phase == "ordered":
        assert r.chi1 < 1
    elif r.phase == "chaotic":
        assert r.chi1 > 1


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(("depth", "width"), [(3, 16), (12, 32)])
def test_grid_page_7(activation, depth, width):
    for init in INITS:
        for sb2 in (0.0, 0.1):
            sw2 = C.user_sigma_w2(init, (), width)
            r = C.point_regime(activation, sw2, sb2)
            applies = regime.mean_field_applies(init)[0]
            verdict = C.verdict_claim(activation, init, sw2, sb2, depth)
            shown = C.metric_values(r, init)
            edge = C.edge_claim(r, init, init=init)
            assert not any(claims.has_nan_text(v) for v in shown.values())
            assert verdict.applies == applies
            if applies:
                _phase_ok(verdict, r)
                if "expect training to fail" in verdict.text:
                    assert r.decay == "exponential"
                    assert depth > 6 * r.xi_c
            else:
                assert verdict.verdict is None
                assert "does not apply" in verdict.text
            if r.edge_sigma_w2 is not None:
                assert float(theory.chi1(activation, r.edge_sigma_w2, sb2)) == pytest.approx(
                    1.0, abs=1e-3
                )
            frame, _ = C.mean_field_vs_probe(Net("mlp", activation, depth, width, 0), init, (), sb2)
            m = frame[frame["series"] == "measured (probe)"]
            p = frame[frame["series"] == "theory (mean field)"]
            grad = C.gradient_claim(
                r, init, float(m["grad_rel"].iloc[0]), float(p["grad_rel"].iloc[0])
            )
            q = C.probe_q_claim(init, width, depth, float(m["q"].iloc[-1]), float(p["q"].iloc[-1]))
            ratio = float(m["grad_rel"].iloc[0])
            word = claims.direction(ratio, tolerance=claims.DEFAULT_TOLERANCE)
            assert grad.verdict == word
            assert claims.change_words(ratio).split(" (")[0] in grad.text
            for claim in (verdict, edge, grad, q):
                assert not claims.has_nan_text(claim.text), claim.text
            if not applies:
                assert "finite width" not in q.text


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_grid_page_4(activation):
    edge = S.edge_claim(activation)
    assert not claims.has_nan_text(edge.text)
    if edge.verdict == "edge":
        assert edge.values["chi1"] == pytest.approx(1.0, abs=1e-3)
        assert S.critical_k(activation) == pytest.approx(edge.values["edge_k"])
    else:
        assert math.isnan(S.critical_k(activation))
    for network, width in (("mlp", 16), ("cnn", 8), ("rnn", 16), ("resmlp", 16)):
        for k in (0.5, 2.0):
            params = S.vs_params(k, "fan_in", "normal")
            net = Net(network, activation, 4, width, 0)
            ratios = S.seed_ratios(net, params)
            if network in S.THEORY_NETWORKS:
                gap = S.theory_gap_claim(network, width, ratios[0], ratios)
                assert not claims.has_nan_text(gap.text)
                if gap.verdict == "padding":
                    assert network == "cnn"
                    assert max(ratios) < 1.0
            else:
                assert ratios == ()
            stats = S.layer_stats(net, "variance_scaling", params)
            why = S.why_differs(network, activation, k, stats, "layer")
            if why is not None:
                assert network in S.THEORY_NETWORKS
                assert not claims.has_nan_text(why.text)
                assert why.values["chi1_at_q"] == pytest.approx(
                    k * theory.mean_square_derivative(activation, why.values["q"])
                )


@pytest.mark.parametrize("network", ["mlp", "cnn", "rnn", "resmlp"])
@pytest.mark.parametrize("depth", [3, 8])
def test_grid_home(network, depth):
    from explorer.experiments import critical_sigma_w2, small_signal_slope2

    width = 8 if network == "cnn" else 16
    series = tuple((name, name, ()) for name in INITS if name in supported_inits(network))
    for activation in ACTIVATIONS:
        crit = critical_sigma_w2(activation)
        scale = H.scale_claim(activation, activation, crit, small_signal_slope2(activation))
        assert not claims.has_nan_text(scale.text)
        assert (scale.verdict == "edge") == (abs(scale.values["chi1"] - 1) <= 0.02)
        if "edge_sigma_w2" in scale.values:
            assert float(theory.chi1(activation, scale.values["edge_sigma_w2"], 0.0)) == (
                pytest.approx(1.0, abs=1e-3)
            )
        layers, summary = H.init_sweep(Net(network, activation, depth, width, 0), series)
        for row in summary.itertuples(index=False):
            q = H.measured_q(layers, row.series)
            text, why = H.rule_verdict_claim(
                network,
                activation,
                float(row.sigma_w2),
                q,
                float(row.rule_factor),
                float(row.act_factor),
                float(row.first_nonfinite),
                "layer",
            )
            assert not claims.has_nan_text(text.text), text.text
            assert not claims.has_nan_text(H.factor_text(float(row.act_factor)))
            if why is not None:
                assert network in ("mlp", "cnn")
                assert not claims.has_nan_text(why.text)
        answer = H.try_this_answer(network, "layer", depth, 0.2, 0.8)
        assert answer.applies == (network in ("mlp", "cnn"))
        assert not claims.has_nan_text(answer.text)


def test_grid_edges_from_the_regime_are_chi1_one():
    for activation in ACTIVATIONS:
        for sb2 in (0.0, 0.05, 0.3):
            r = regime.regime(activation, 1.0, sb2)
            if r.edge_sigma_w2 is not None:
                x = float(theory.chi1(activation, r.edge_sigma_w2, sb2))
                assert abs(x - 1.0) <= 1e-3
            else:
                assert r.edge_note
                assert not claims.has_nan_text(r.edge_note)
    assert np.isfinite(S.K_SWEEP).all()
