"""core.regime: one mean-field verdict per (activation, sigma_w2, sigma_b2), and the c* fix."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from core import activations, registry, theory
from core.regime import CRITICAL_TOLERANCE, Regime, mean_field_applies, regime

SW2_GRID = np.logspace(-1.0, 4.0, 11)
SB2_GRID = (0.0, 0.05, 1.0)


# --------------------------------------------------------------------------------------------
# 1. c* is robust (was c* = 1, chi_c ~ 9, xi_c = inf for tanh at sigma_w2 >~ 238)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("act", "sw2", "xi_c"),
    [("tanh", 238.0, 2.4956), ("tanh", 256.0, 2.4845), ("softsign", 256.0, 3.3330)],
)
def test_large_weights_c_star_regression(act, sw2, xi_c):
    c, chi_c = theory.correlation_fixed_point(act, sw2, 0.0)
    assert abs(c) < 1e-9  # odd f, no bias: c* = 0
    assert chi_c < 1.0
    assert theory.depth_scales(act, sw2, 0.0)[1] == pytest.approx(xi_c, rel=1e-3)
    r = regime(act, sw2)
    assert r.decay == "exponential"
    assert r.xi_c == pytest.approx(xi_c, rel=1e-3)


# (activation, sigma_w2, sigma_b2) in the chaotic phase with finite q*, c* of every kind
CHAOTIC = [
    ("tanh", 10.0, 1.0),
    ("tanh", 256.0, 1.0),
    ("tanh", 1e4, 5.0),
    ("softsign", 256.0, 5.0),
    ("softsign", 1e4, 0.0),
    ("sigmoid", 1e4, 0.0),
    ("sigmoid", 256.0, 1.0),
    ("elu", 1.5, 0.0),
    ("selu", 1.5, 1.0),
]


@pytest.mark.parametrize(("act", "sw2", "sb2"), CHAOTIC)
def test_scalar_c_star_matches_phase_diagram(act, sw2, sb2):
    c, chi_c = theory.correlation_fixed_point(act, sw2, sb2)
    pd = theory.phase_diagram(act, np.array([sw2]), np.array([sb2]))
    assert c < 1.0
    assert chi_c < 1.0
    assert c == pytest.approx(float(pd.c_star[0, 0]), abs=3e-3)
    xi_scalar = theory.depth_scales(act, sw2, sb2)[1]
    assert xi_scalar == pytest.approx(float(pd.xi_c[0, 0]), rel=1e-2)


def _pair_scipy(f, q: float, c: float) -> float:
    """E[f(u1) f(u2)], Var u = q, corr c, by nested adaptive quadrature (z2 given z1)."""
    sq, s = math.sqrt(q), math.sqrt(max(1.0 - c * c, 0.0))
    pdf = lambda z: math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)  # noqa: E731

    def inner(z1: float) -> float:
        kink = -c * z1 / s  # where u2 = 0: the steep part (or kink) of f
        pts = [kink] if -10.0 < kink < 10.0 else None
        val = integrate.quad(
            lambda z2: pdf(z2) * f(sq * (c * z1 + s * z2)), -10.0, 10.0, points=pts, limit=200
        )[0]
        return pdf(z1) * f(sq * z1) * val

    return integrate.quad(inner, -10.0, 10.0, points=[0.0], limit=200, epsabs=1e-12)[0]


@pytest.mark.parametrize(
    ("act", "sw2", "sb2"),
    [("tanh", 256.0, 1.0), ("sigmoid", 1e4, 0.0), ("elu", 1.5, 0.0), ("softsign", 256.0, 5.0)],
)
def test_c_star_against_adaptive_quadrature(act, sw2, sb2):
    a = activations.get(act)
    f = lambda x: float(a.f(np.array(x)))  # noqa: E731
    df = lambda x: float(a.df(np.array(x)))  # noqa: E731
    q = theory.q_star(act, sw2, sb2)
    c, chi_c = theory.correlation_fixed_point(act, sw2, sb2)
    assert (sw2 * _pair_scipy(f, q, c) + sb2) / q == pytest.approx(c, abs=2e-5)
    assert sw2 * _pair_scipy(df, q, c) == pytest.approx(chi_c, rel=2e-3)


# --------------------------------------------------------------------------------------------
# 2. homogeneous activations at sigma_b2 = 0: no exponential correlation scale
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sw2", [0.5, 1.0, 1.9, 2.0, 2.5, 10.0])
@pytest.mark.parametrize("act", ["relu", "leaky_relu", "linear"])
def test_homogeneous_no_bias_has_no_correlation_depth_scale(act, sw2):
    r = regime(act, sw2)
    assert r.homogeneous
    assert r.xi_c == math.inf
    assert r.chi_c == 1.0
    assert r.c_star == 1.0
    assert r.decay == ("none" if act == "linear" else "polynomial")
    assert r.notes


def test_relu_lecun_is_not_a_1_44_layer_network():
    r = regime("relu", 1.0)  # LeCun: sigma_w2 = 1
    assert r.chi1 == pytest.approx(0.5)
    assert r.fixed_point == "zero"
    assert r.phase == "ordered"
    assert r.xi_c == math.inf
    assert r.decay == "polynomial"
    assert r.xi_q == pytest.approx(-1.0 / math.log(0.5))  # the signal size does shrink
    with_bias = regime("relu", 1.0, 0.05)
    assert with_bias.decay == "exponential"
    assert with_bias.xi_c == pytest.approx(-1.0 / math.log(0.5))


# --------------------------------------------------------------------------------------------
# 3. gelu / silu at sigma_b2 = 0: q* jumps 0 -> inf and chi1 jumps over 1
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("act", "jump", "below", "above"),
    [("gelu", 2.3517, 0.588, 1.176), ("silu", 2.8108, 0.703, 1.405)],
)
def test_gelu_silu_have_no_edge_without_bias(act, jump, below, above):
    assert 1.0 / theory.mean_square(act, 1.0) == pytest.approx(jump, abs=1e-3)
    lo, hi = regime(act, jump * 0.999), regime(act, jump * 1.001)
    assert lo.fixed_point == "zero"
    assert hi.fixed_point == "infinite"
    assert lo.chi1 == pytest.approx(below, abs=2e-3)
    assert hi.chi1 == pytest.approx(above, abs=2e-3)
    assert lo.edge_sigma_w2 is None
    assert hi.edge_sigma_w2 is None
    note = lo.edge_note
    assert note is not None
    assert "never 1" in note
    assert f"{jump:.3g}" in note
    assert f"{below:.2f}" in note
    assert f"{above:.2f}" in note


def test_gelu_has_an_edge_with_enough_bias():
    r = regime("gelu", 1.0, 0.2)
    assert r.edge_sigma_w2 == pytest.approx(1.9707, abs=1e-3)
    assert r.edge_note is None


# --------------------------------------------------------------------------------------------
# 4. edges: tanh 1, sigmoid ~103, relu 2, linear 1
# --------------------------------------------------------------------------------------------
def test_tanh_edge_is_one_with_q_star_zero_below():
    assert regime("tanh", 0.5).edge_sigma_w2 == pytest.approx(1.0, abs=1e-9)
    assert regime("tanh", 0.99).fixed_point == "zero"
    assert regime("tanh", 1.0).fixed_point == "zero"
    assert regime("tanh", 1.01).fixed_point == "finite"


def test_sigmoid_q_star_finite_and_edge_near_103():
    for sw2 in (0.1, 1.0, 50.0, 103.0, 1e4):
        r = regime("sigmoid", sw2)
        assert r.fixed_point == "finite"
        assert r.q_star > 0.0
    edge = regime("sigmoid", 1.0).edge_sigma_w2
    assert edge == pytest.approx(103.008, abs=0.01)
    assert regime("sigmoid", 100.0).phase == "critical"  # chi1 = 0.986
    assert regime("sigmoid", 90.0).phase == "ordered"


def test_relu_and_linear_edges():
    assert [regime("relu", s).fixed_point for s in (1.9, 2.0, 2.1)] == [
        "zero",
        "marginal",
        "infinite",
    ]
    m = regime("relu", 2.0)
    assert math.isnan(m.q_star)
    assert m.chi1 == 1.0
    assert m.phase == "critical"
    assert regime("relu", 1.0).edge_sigma_w2 == 2.0
    assert regime("relu", 1.0, 1.0).edge_sigma_w2 == 2.0
    assert regime("linear", 0.3).edge_sigma_w2 == 1.0
    assert regime("linear", 1.0).fixed_point == "marginal"
    assert regime("linear", 1.0).decay == "none"


# --------------------------------------------------------------------------------------------
# 5. critical with q* = 0 decays polynomially
# --------------------------------------------------------------------------------------------
def test_tanh_critical_without_bias_decays_polynomially():
    r = regime("tanh", 1.0)
    assert r.fixed_point == "zero"
    assert r.q_star == 0.0
    assert r.chi1 == pytest.approx(1.0, abs=1e-12)
    assert r.phase == "critical"
    assert r.decay == "polynomial"
    assert r.xi_q == math.inf
    assert r.xi_c == math.inf
    assert any("polynomially" in n for n in r.notes)
    # the length really does decay, slowly: q_l ~ 1/(2 l)
    q = theory.length_map("tanh", 1.0, 0.0, 1.0, 400)
    assert q[-1] * 2 * 400 == pytest.approx(1.0, rel=0.1)


def test_small_signal_smooth_unit_preserves_correlations():
    r = regime("tanh", 0.5)
    assert r.decay == "none"
    assert r.xi_c == math.inf
    assert r.xi_q == pytest.approx(-1.0 / math.log(0.5), rel=1e-6)
    assert regime("selu", 0.3).decay == "polynomial"  # kinked at 0: arc-cosine-like kernel


# --------------------------------------------------------------------------------------------
# The grid: every verdict is self-consistent
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("act", activations.NAMES)
def test_grid_is_consistent(act):
    for sb2 in SB2_GRID:
        for sw2 in SW2_GRID:
            r = regime(act, float(sw2), sb2)
            assert isinstance(r, Regime)
            for v in (r.chi1, r.chi_c, r.c_star, r.xi_q, r.xi_c):
                assert not math.isnan(v), (act, sw2, sb2, r)
            assert r.chi1 >= 0.0
            if abs(r.chi1 - 1.0) <= CRITICAL_TOLERANCE:
                assert r.phase == "critical"
            else:
                assert r.phase == ("ordered" if r.chi1 < 1.0 else "chaotic")
            assert math.isfinite(r.xi_c) == (r.decay == "exponential"), (act, sw2, sb2, r)
            if r.phase == "ordered" or r.decay != "exponential":
                assert r.c_star == 1.0 or r.chi1 > 1.0
            assert 0.0 <= r.c_star <= 1.0
            assert r.chi_c >= 0.0
            if r.decay == "exponential":
                assert r.chi_c < 1.0
            assert (r.fixed_point == "marginal") == math.isnan(r.q_star)
            assert (r.fixed_point == "zero") == (r.q_star == 0.0)
            assert (r.fixed_point == "infinite") == (r.q_star == math.inf)
            if r.edge_sigma_w2 is None:
                assert r.edge_note
            else:
                assert r.edge_note is None
                edge = regime(act, r.edge_sigma_w2, sb2)
                assert abs(edge.chi1 - 1.0) < 1e-3, (act, sb2, r.edge_sigma_w2)
                assert edge.phase == "critical"


def test_regime_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown activation"):
        regime("nope", 1.0)
    with pytest.raises(ValueError, match="sigma_w2"):
        regime("tanh", -1.0)
    with pytest.raises(ValueError, match="sigma_b2"):
        regime("tanh", 1.0, math.inf)


# --------------------------------------------------------------------------------------------
# mean_field_applies and the re-export
# --------------------------------------------------------------------------------------------
def test_mean_field_applies_follows_the_registry():
    for name, spec in registry.REGISTRY.items():
        ok, why = mean_field_applies(name)
        assert isinstance(ok, bool)
        assert isinstance(why, str)
        if spec.family in ("constant", "identity"):
            assert not ok
            assert why
        else:
            assert ok
    assert mean_field_applies("zeros") == (
        False,
        "every weight is 0: no randomness to average over.",
    )
    assert "clone" in mean_field_applies("constant")[1]
    assert "deterministic" in mean_field_applies("identity")[1]
    ok, why = mean_field_applies("orthogonal")
    assert ok
    assert "Pennington" in why
    assert mean_field_applies("he_normal") == (True, "")
    with pytest.raises(ValueError, match="unknown initializer"):
        mean_field_applies("nope")


def test_regime_is_reexported_from_theory():
    from core import regime as module

    assert theory.regime is module.regime
    assert theory.Regime is module.Regime
    assert theory.mean_field_applies is module.mean_field_applies
    assert theory.CRITICAL_TOLERANCE == CRITICAL_TOLERANCE
    with pytest.raises(AttributeError):
        theory.no_such_name  # noqa: B018


@pytest.mark.parametrize(("act", "sb2"), [("tanh", 0.05), ("softsign", 1.0), ("sigmoid", 0.0)])
def test_just_above_the_edge_is_critical_and_never_reports_a_growing_chi_c(act, sb2):
    edge = regime(act, 1.0, sb2).edge_sigma_w2
    assert edge is not None
    for eps in (1e-6, 1e-3):
        r = regime(act, edge * (1.0 + eps), sb2)
        assert r.phase == "critical"
        assert r.chi1 > 1.0
        assert r.chi_c <= 1.0  # c* is the stable fixed point
        assert r.xi_c > 100.0
        assert not any("inf layers" in n for n in r.notes)


def test_no_weights_forget_the_input_at_once():
    r = regime("tanh", 0.0, 0.5)
    assert r.chi1 == 0.0
    assert r.xi_c == 0.0
    assert r.decay == "exponential"
