"""Tests for core.theory: closed forms, fixed points, depth scales, phase diagram, measurements."""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import pytest

from core import theory as T
from core.activations import NAMES, get

SMOOTH_OR_KINKED = ["tanh", "sigmoid", "softsign", "elu", "selu", "gelu", "silu"]


def arccos_kernel(c):
    return (np.sqrt(1 - c * c) + (np.pi - np.arccos(c)) * c) / (2 * np.pi)


# ---------------------------------------------------------------- domain and shapes
@pytest.mark.parametrize(
    "call",
    [
        lambda: T.q_star("tanh", -1.0, 0.0),
        lambda: T.q_star("tanh", 1.0, np.nan),
        lambda: T.q_star("tanh", 1.0, 0.0, q0=0.0),
        lambda: T.chi1("tanh", np.inf, 0.0),
        lambda: T.chi1("swish", 1.0, 0.0),
        lambda: T.length_map("tanh", 1.0, 0.0, -1.0, 3),
        lambda: T.length_map("tanh", 1.0, 0.0, 1.0, 0),
        lambda: T.length_map("tanh", 1.0, 0.0, 1.0, 2.5),
        lambda: T.correlation_map("tanh", 1.0, 0.0, 1.5, 3),
        lambda: T.critical_sigma_w2("tanh", -0.1),
        lambda: T.depth_scales("tanh", "x", 0.0),
        lambda: T.phase_diagram("tanh", np.ones((2, 2)), [0.0]),
        lambda: T.phase_diagram("tanh", [], [0.0]),
        lambda: T.predicted_stats("tanh", "he_normal", depth=0, width=10),
        lambda: T.predicted_stats("tanh", "nope", depth=2, width=10),
        lambda: T.jacobian_singular_values(
            "tanh", "orthogonal", depth=2, width=5000, rng=np.random.default_rng(0)
        ),
    ],
)
def test_domain_errors(call):
    with pytest.raises(ValueError):  # noqa: PT011 - each message is specific; the type is the contract
        call()


def test_rng_must_be_generator():
    with pytest.raises(TypeError, match="Generator"):
        T.jacobian_singular_values("tanh", "orthogonal", depth=2, width=4, rng=0)


def test_scalars_give_floats_and_arrays_broadcast():
    assert isinstance(T.q_star("tanh", 1.5, 0.1), float)
    assert isinstance(T.chi1("tanh", 1.5, 0.1), float)
    q = T.q_star("tanh", np.array([[1.5], [2.0], [0.5]]), np.array([0.0, 0.1, 0.2, 0.3]))
    assert q.shape == (3, 4)
    xq, xc = T.depth_scales("tanh", np.array([0.5, 1.5]), 0.1)
    assert xq.shape == xc.shape == (2,)
    assert T.critical_sigma_w2("tanh", np.array([0.0, 0.1])).shape == (2,)


def test_accepts_activation_objects():
    a = get("leaky_relu", negative_slope=0.2)
    assert T.chi1(a, 1.0, 0.0) == pytest.approx(1.04 / 2, rel=1e-15)
    assert T.chi1("tanh", 1.3, 0.1) == T.chi1(get("tanh"), 1.3, 0.1)


# ---------------------------------------------------------------- closed forms
def test_linear_closed_forms():
    assert T.q_star("linear", 0.5, 0.2) == pytest.approx(0.4, rel=1e-15)
    assert T.chi1("linear", 0.7, 0.3) == 0.7
    assert T.critical_sigma_w2("linear", 0.3) == 1.0
    q = T.length_map("linear", 0.9, 0.1, 2.0, 4)
    expect = [2.0]
    for _ in range(4):
        expect.append(0.9 * expect[-1] + 0.1)
    np.testing.assert_allclose(q, expect[1:], rtol=1e-15)
    qs = 0.1 / (1 - 0.9)
    c = T.correlation_map("linear", 0.9, 0.1, 0.3, 3)
    ce = [0.3]
    for _ in range(3):
        ce.append((0.9 * qs * ce[-1] + 0.1) / qs)
    np.testing.assert_allclose(c, ce[1:], rtol=1e-14)


def test_relu_closed_forms():
    for sw2 in (0.5, 1.0, 1.9):
        assert T.chi1("relu", sw2, 0.1) == sw2 / 2
        assert T.q_star("relu", sw2, 0.1) == pytest.approx(0.1 / (1 - sw2 / 2), rel=1e-15)
    assert T.critical_sigma_w2("relu", np.array([0.0, 0.5])).tolist() == [2.0, 2.0]
    # He init keeps q constant (q^l = 2 E[relu^2] = q^{l-1}); without bias q* is q0
    np.testing.assert_allclose(T.length_map("relu", 2.0, 0.0, 1.7, 50), 1.7, rtol=1e-14)
    assert T.q_star("relu", 2.0, 0.0, q0=1.7) == 1.7
    # correlation map: degree-1 arc-cosine kernel
    sw2, sb2 = 1.5, 0.1
    qs = sb2 / (1 - sw2 / 2)
    c = 0.2
    for got in T.correlation_map("relu", sw2, sb2, 0.2, 5):
        c = (sw2 * qs * arccos_kernel(c) + sb2) / qs
        assert got == pytest.approx(c, rel=1e-14)


def test_leaky_closed_forms():
    a = 0.2
    act = get("leaky_relu", negative_slope=a)
    assert T.chi1(act, 1.5, 0.1) == pytest.approx(1.5 * (1 + a * a) / 2, rel=1e-15)
    assert T.critical_sigma_w2(act, 0.1) == pytest.approx(2 / (1 + a * a), rel=1e-15)


@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
def test_closed_forms_agree_with_the_quadrature(name):
    # The same activation under another name goes through the general polar quadrature path.
    act = get(name, negative_slope=0.3)
    generic = dataclasses.replace(act, name="generic")
    q = 0.7
    c = np.array([-0.9, -0.3, 0.0, 0.5, 0.99, 1.0])
    for derivative in (False, True):
        np.testing.assert_allclose(
            T._pair_expect(generic, q, c, derivative),
            T._pair_expect(act, q, c, derivative),
            rtol=1e-12,
        )
    qs = np.array([0.3, 5.0])
    np.testing.assert_allclose(T._m2(generic, qs), T._m2(act, qs), rtol=1e-13)


def test_quadrature_against_scipy():
    quad = pytest.importorskip("scipy.integrate").quad
    for name in ("softsign", "selu", "tanh", "gelu"):
        a = get(name)
        for q in (0.01, 1.0, 100.0):
            s = math.sqrt(q)

            def g(z, a=a, s=s):
                return float(a.df(s * z)) ** 2 * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

            cuts = [-40, -10 / s, -1 / s, 0, 1 / s, 10 / s, 40]
            ref = sum(quad(g, lo, hi, epsabs=0, epsrel=1e-12, limit=200)[0]
                      for lo, hi in zip(cuts[:-1], cuts[1:], strict=True))  # fmt: skip
            assert T._d2(a, np.array(q)) == pytest.approx(ref, rel=1e-8)


# ---------------------------------------------------------------- fixed points, critical line
@pytest.mark.parametrize("name", SMOOTH_OR_KINKED)
def test_q_star_is_the_limit_of_the_length_map(name):
    sw2, sb2 = 1.3, 0.2
    qs = T.q_star(name, sw2, sb2)
    assert np.isfinite(qs)
    assert qs > 0
    # a fixed point ...
    assert T.length_map(name, sw2, sb2, qs, 1)[0] == pytest.approx(qs, rel=1e-10)
    # ... and the one the length map reaches from q0 = 1
    assert T.length_map(name, sw2, sb2, 1.0, 300)[-1] == pytest.approx(qs, rel=1e-9)


def test_no_fixed_point_and_zero_fixed_point():
    assert T.q_star("relu", 2.5, 0.0) == math.inf
    assert T.q_star("relu", 2.0, 0.1) == math.inf
    assert T.q_star("linear", 1.2, 0.0) == math.inf
    assert T.q_star("elu", 3.0, 0.0) == math.inf
    assert T.q_star("tanh", 0.8, 0.0) == 0.0
    assert T.chi1("tanh", 0.8, 0.0) == pytest.approx(0.8, rel=1e-12)  # f'(0)^2 = 1
    assert T.chi1("relu", 3.0, 0.0) == 1.5  # the q -> inf limit
    xq, xc = T.depth_scales("relu", 3.0, 0.1)
    assert math.isnan(xq)
    assert math.isnan(xc)
    # q grows without bound, reported as inf without warnings
    q = T.length_map("relu", 4.0, 0.0, 1.0, 1000)
    assert np.isinf(q[-1])
    assert np.isfinite(q[:100]).all()
    assert (np.diff(q[:100]) > 0).all()


def test_tanh_critical_point_without_bias_is_one():
    assert T.critical_sigma_w2("tanh", 0.0) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("name", SMOOTH_OR_KINKED)
def test_chi1_is_one_on_the_critical_line(name):
    b = np.array([0.0, 0.05, 0.3, 1.0])
    crit = T.critical_sigma_w2(name, b)
    found = np.isfinite(crit)
    # elu: the length diverges before chi1 reaches 1 at large bias; gelu/silu at small bias
    assert found[3] or name == "elu"
    assert found.any()
    for sw2, sb2 in zip(crit[found], b[found], strict=True):
        assert T.chi1(name, sw2, sb2) == pytest.approx(1.0, abs=1e-8)


def test_critical_line_known_values():
    # tanh: the critical sigma_w2 increases with sigma_b2 (Poole et al. 2016, Fig. 2)
    crit = T.critical_sigma_w2("tanh", np.array([0.0, 0.05, 0.3]))
    assert (np.diff(crit) > 0).all()
    # gelu/silu at small sigma_b2: chi1 jumps past 1 (the length explodes) -> no critical point
    assert math.isnan(T.critical_sigma_w2("gelu", 0.0))


# ---------------------------------------------------------------- depth scales
ORDERED = [("tanh", 0.8, 0.1), ("relu", 1.5, 0.3), ("selu", 0.6, 0.2), ("gelu", 1.0, 0.1)]
CHAOTIC = [("tanh", 2.5, 0.05), ("softsign", 3.5, 0.05), ("tanh", 3.0, 0.0)]


@pytest.mark.parametrize(("name", "sw2", "sb2"), ORDERED)
def test_ordered_phase_xi_c_is_minus_one_over_log_chi1(name, sw2, sb2):
    x1 = T.chi1(name, sw2, sb2)
    assert x1 < 1
    _, xc = T.depth_scales(name, sw2, sb2)
    assert xc == pytest.approx(-1.0 / math.log(x1), rel=1e-12)
    assert T.correlation_fixed_point(name, sw2, sb2) == (1.0, x1)


@pytest.mark.parametrize(("name", "sw2", "sb2"), CHAOTIC)
def test_chaotic_phase_correlation_fixed_point(name, sw2, sb2):
    assert T.chi1(name, sw2, sb2) > 1
    c_star, chi_c = T.correlation_fixed_point(name, sw2, sb2)
    assert 0 <= c_star < 1
    assert 0 < chi_c < 1
    c = T.correlation_map(name, sw2, sb2, 0.99, 400)
    # geometric convergence: |c^L - c*| <~ chi_c^L |c^0 - c*| (generous factor 10)
    assert abs(c[-1] - c_star) <= 1e-10 + 10 * chi_c**400 * abs(0.99 - c_star)
    # the approach is geometric with ratio chi_c = exp(-1/xi_c)
    _, xi_c = T.depth_scales(name, sw2, sb2)
    assert math.exp(-1 / xi_c) == pytest.approx(chi_c, rel=1e-12)
    d = np.abs(c - c_star)
    k = int(np.argmax(d < 1e-4))
    assert d[k + 1] / d[k] == pytest.approx(chi_c, rel=1e-3)


@pytest.mark.parametrize("name", ["tanh", "elu", "softsign"])
def test_xi_q_is_the_convergence_rate_of_the_length(name):
    sw2, sb2 = 1.2, 0.3
    qs = T.q_star(name, sw2, sb2)
    xi_q, _ = T.depth_scales(name, sw2, sb2)
    q = T.length_map(name, sw2, sb2, qs * 1.001, 5)
    ratio = (q[-1] - qs) / (q[-2] - qs)
    assert ratio == pytest.approx(math.exp(-1 / xi_q), rel=1e-3)


def test_edge_of_chaos_has_infinite_xi_c():
    _, xc = T.depth_scales("relu", 2.0, 0.0)
    assert xc == math.inf


# ---------------------------------------------------------------- phase diagram
@pytest.mark.parametrize("name", NAMES)
def test_phase_diagram_matches_the_scalar_functions(name):
    ws = np.array([0.5, 1.2, 1.9, 2.5, 3.5])
    bs = np.array([0.0, 0.05, 0.3])
    pd = T.phase_diagram(name, ws, bs)
    assert pd.chi1.shape == pd.xi_c.shape == pd.q_star.shape == (5, 3)
    w2, b2 = np.meshgrid(ws, bs, indexing="ij")
    q = T.q_star(name, w2, b2)
    np.testing.assert_array_equal(np.isinf(pd.q_star), np.isinf(q))
    fin = np.isfinite(q) & (q > 1e-9)
    np.testing.assert_allclose(pd.q_star[fin], q[fin], rtol=1e-3)
    np.testing.assert_allclose(pd.chi1, T.chi1(name, w2, b2), rtol=1e-4)
    xq, xc = T.depth_scales(name, w2, b2)
    # compare rates exp(-1/xi): xi itself diverges at the critical line
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(np.exp(-1 / pd.xi_q), np.exp(-1 / xq), atol=1e-3)
        np.testing.assert_allclose(np.exp(-1 / pd.xi_c), np.exp(-1 / xc), atol=2e-3)
    crit = T.critical_sigma_w2(name, bs)
    np.testing.assert_allclose(pd.critical_sigma_w2, crit, rtol=1e-4)


def test_phase_diagram_is_fast():
    ws = np.linspace(0.05, 5.0, 200)
    bs = np.linspace(0.0, 1.0, 200)
    for name in ("tanh", "gelu"):
        T.phase_diagram(name, ws[:3], bs[:3])  # builds the cached tables
        best = math.inf
        for _ in range(2):
            t0 = time.perf_counter()
            pd = T.phase_diagram(name, ws, bs)
            best = min(best, time.perf_counter() - t0)
        assert best < 1.0
        assert pd.xi_c.shape == (200, 200)
        ordered = pd.chi1 < 1
        assert ordered.any()
        assert (~ordered).any()


def test_phase_diagram_tanh_phases():
    pd = T.phase_diagram("tanh", [0.5, 1.0, 4.0], [0.0])
    assert pd.q_star[0, 0] == 0.0
    assert pd.c_star[0, 0] == 1.0
    assert pd.c_star[2, 0] == pytest.approx(0.0, abs=1e-12)  # odd f, no bias: c* = 0
    assert pd.xi_c[1, 0] > 1e12  # chi1 = 1 up to rounding: the edge of chaos


# ---------------------------------------------------------------- measured vs predicted
MEASURED = [("tanh", 1.5, 0.05), ("tanh", 3.0, 0.0), ("relu", 2.0, 0.02), ("relu", 1.5, 0.1)]
WIDTH, DEPTH, SEEDS = 1000, 6, 6


@pytest.fixture(scope="module")
def measured_q():
    """Mean of z^2 per layer, per seed, for every MEASURED config.

    One standard-normal weight matrix per (seed, layer) is shared by all configs (scaled by
    sqrt(sw2 / width)): each config still sees i.i.d. N(0, sw2/n) weights, at a quarter of the cost.
    """
    out = np.empty((len(MEASURED), SEEDS, DEPTH))
    for seed in range(SEEDS):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((16, WIDTH))
        h = np.concatenate([x] * len(MEASURED))  # one stacked matmul per layer for all configs
        for layer in range(DEPTH):
            g = rng.standard_normal((WIDTH, WIDTH)) / math.sqrt(WIDTH)
            e = rng.standard_normal(WIDTH)
            hg = h @ g
            for i, (act, sw2, sb2) in enumerate(MEASURED):
                rows = slice(16 * i, 16 * (i + 1))
                z = math.sqrt(sw2) * hg[rows] + math.sqrt(sb2) * e
                out[i, seed, layer] = np.mean(z * z)
                h[rows] = get(act).f(z)
    return out


@pytest.mark.parametrize(("act", "sw2", "sb2"), MEASURED)
def test_measured_second_moment_matches_length_map(act, sw2, sb2, measured_q):
    width, depth, seeds = WIDTH, DEPTH, SEEDS
    runs = measured_q[MEASURED.index((act, sw2, sb2))]
    mean = runs.mean(axis=0)
    se = runs.std(axis=0, ddof=1) / math.sqrt(seeds)
    # first layer sees raw N(0, 1) inputs: q^1 = sw2 + sb2, then the length map
    std = math.sqrt(sw2 / width)
    stats = T.predicted_stats(
        act, "normal", depth=depth, width=width, init_params={"std": std}, sigma_b2=sb2
    )
    pred = stats.preact_var
    np.testing.assert_allclose(pred[1:], T.length_map(act, sw2, sb2, sw2 + sb2, depth - 1),
                               rtol=1e-12)  # fmt: skip
    assert np.all(np.abs(mean - pred) <= 6 * se + 1e-3 * pred)
    assert np.all(np.abs(mean / pred - 1) < 0.05)


def test_predicted_gradients_match_backprop():
    width, depth, seeds, batch = 1000, 6, 4, 8
    a = get("tanh")
    ratios = []
    for seed in range(seeds):
        rng = np.random.default_rng(100 + seed)
        h = rng.standard_normal((batch, width))
        ws, zs = [], []
        for _ in range(depth):
            w = rng.standard_normal((width, width)) * math.sqrt(1.5 / width)
            z = h @ w
            ws.append(w)
            zs.append(z)
            h = a.f(z)
        delta = rng.standard_normal((batch, width)) * a.df(zs[-1])
        g = [np.mean(delta**2)]
        for layer in range(depth - 2, -1, -1):
            delta = (delta @ ws[layer + 1].T) * a.df(zs[layer])
            g.append(np.mean(delta**2))
        ratios.append(np.array(g[::-1]))
    measured = np.mean(ratios, axis=0)
    pred = T.predicted_stats("tanh", "normal", depth=depth, width=width,
                             init_params={"std": math.sqrt(1.5 / width)})  # fmt: skip
    np.testing.assert_allclose(measured, pred.grad_var, rtol=0.05)


@pytest.mark.parametrize(("act", "init"), [("tanh", "glorot_normal"), ("relu", "he_normal")])
def test_probe_agrees_with_predicted_stats(act, init):
    probe = pytest.importorskip("core.probe")
    width, depth, seeds = 1000, 5, 4
    runs = [probe.propagate(network="mlp", activation=act, init=init, depth=depth, width=width,
                            batch=16, seed=s) for s in range(seeds)]  # fmt: skip
    pred = T.predicted_stats(act, init, depth=depth, width=width)
    for field, theory in (("preact_std", pred.preact_std), ("act_std", pred.act_std),
                          ("grad_std", pred.grad_std)):  # fmt: skip
        vals = np.array([getattr(r, field) for r in runs])
        mean = vals.mean(axis=0)
        se = vals.std(axis=0, ddof=1) / math.sqrt(seeds)
        assert np.all(np.abs(mean - theory) <= 6 * se + 1e-3 * theory), field
        assert np.all(np.abs(mean / theory - 1) < 0.05), field


def test_predicted_stats_initializer_mapping():
    he = T.predicted_stats("relu", "he_normal", depth=6, width=64)
    np.testing.assert_allclose(he.sigma_w2, 2.0, rtol=1e-15)
    np.testing.assert_allclose(he.preact_var, 2.0, rtol=1e-14)  # q^1 = 2 q_in, then constant
    np.testing.assert_allclose(he.grad_var, 0.5, rtol=1e-14)  # chi = 1; top: E[relu'^2] = 1/2
    np.testing.assert_allclose(he.act_mean, math.sqrt(2 / (2 * math.pi)), rtol=1e-14)
    lecun = T.predicted_stats("tanh", "lecun_normal", depth=3, width=64)
    np.testing.assert_allclose(lecun.sigma_w2, 1.0, rtol=1e-15)
    glorot = T.predicted_stats("tanh", "glorot_uniform", depth=3, width=64)
    np.testing.assert_allclose(glorot.sigma_w2, 1.0, rtol=1e-14)
    n = T.predicted_stats("tanh", "normal", depth=3, width=50, init_params={"std": 0.1})
    np.testing.assert_allclose(n.sigma_w2, 0.01 * 50, rtol=1e-14)
    assert n.applicable
    assert lecun.chi1 == pytest.approx(1.0, abs=1e-9)
    small = T.predicted_stats("tanh", "small_random", depth=10, width=100)
    assert (np.diff(small.preact_var) < 0).all()  # vanishing
    const = T.predicted_stats("tanh", "constant", depth=2, width=8, init_params={"value": 0.1})
    assert not const.applicable
    assert "mean-field" in const.note
    with_out = T.predicted_stats("tanh", "lecun_normal", depth=3, width=64, n_outputs=10)
    assert with_out.chi[-1] == pytest.approx(10 / 64 * T._d2(get("tanh"), with_out.preact_var[-1]))


def test_predicted_stats_overflow_is_reported_as_inf():
    ps = T.predicted_stats("relu", "large_random", depth=300, width=1000)
    assert np.isinf(ps.preact_var[-1])
    assert np.isfinite(ps.preact_var[0])
