"""Tests for core.initializers: exact fans/gains/scales, statistics, structure and errors.

Statistical tolerances are 6 standard errors at fixed seeds (derived per distribution: the relative
SE of a second moment is sqrt((kurtosis - 1) / N)); KS tests compare against the exact
distribution with p > 1e-4. Expected values are written out from the papers' formulas here, not
read back from the module.
"""

from __future__ import annotations

import itertools
import math
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from core import initializers as init
from core.initializers import (
    DISTRIBUTIONS,
    MODES,
    NONLINEARITIES,
    REGISTRY,
    TRUNCATED_NORMAL_STD,
    calculate_gain,
    compute_fans,
    initialize,
    scale_of,
    sigma_w2,
    validate_params,
    variance_scaling,
)

SEED = 20240611
DENSE = (400, 150)  # N = 60,000
CONV = (3, 3, 48, 40)  # N = 17,280; fan_in 432, fan_out 360
K_TOL = 6.0  # standard errors
KS_P_MIN = 1e-4

TRUNC = stats.truncnorm(-2.0, 2.0)  # standard normal cut at +-2 sigma


def rng_for(*key: object) -> np.random.Generator:
    """A fixed, case-specific seed (distinct streams for distinct cases)."""
    return np.random.default_rng([SEED, zlib.crc32(repr(key).encode())])


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Independent fan formula: receptive field times the in/out axis."""
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


# ---------------------------------------------------------------------------------------------
# Fans and gains (exact)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((3, 5), (3, 5)),
        ((1, 1), (1, 1)),
        ((784, 10), (784, 10)),
        ((7, 4, 6), (28, 42)),  # conv1d (k, c_in, c_out)
        ((3, 3, 16, 32), (144, 288)),  # conv2d
        ((5, 3, 3, 8, 2), (360, 90)),  # conv3d
        ([2, 3], (2, 3)),  # a list is a shape too
        (np.array([4, 6]), (4, 6)),
    ],
)
def test_compute_fans_exact(shape, expected):
    assert compute_fans(shape) == expected
    assert all(type(f) is int for f in compute_fans(shape))


@pytest.mark.parametrize(
    ("shape", "error", "match"),
    [
        ((), ValueError, r"rank at least 2.*rank 0"),
        ((5,), ValueError, r"rank at least 2.*rank 1"),
        ((0, 5), ValueError, r"positive dimensions"),
        ((3, 3, 0, 4), ValueError, r"positive dimensions"),
        ((-1, 5), ValueError, r"positive dimensions"),
        (5, TypeError, r"sequence of integers"),
        (("a", 3), TypeError, r"sequence of integers"),
        ((2.5, 3), TypeError, r"sequence of integers"),
    ],
)
def test_compute_fans_errors(shape, error, match):
    with pytest.raises(error, match=match):
        compute_fans(shape)


@pytest.mark.parametrize(
    ("name", "param", "expected"),
    [
        ("linear", None, 1.0),
        ("conv1d", None, 1.0),
        ("conv2d", None, 1.0),
        ("conv3d", None, 1.0),
        ("conv_transpose1d", None, 1.0),
        ("conv_transpose2d", None, 1.0),
        ("conv_transpose3d", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5.0 / 3.0),
        ("relu", None, math.sqrt(2.0)),
        ("leaky_relu", None, math.sqrt(2.0 / (1.0 + 0.01**2))),
        ("leaky_relu", 0.2, math.sqrt(2.0 / 1.04)),
        ("leaky_relu", 0, math.sqrt(2.0)),
        ("leaky_relu", math.sqrt(5.0), 1.0 / math.sqrt(3.0)),
        ("selu", None, 0.75),
    ],
)
def test_calculate_gain_table(name, param, expected):
    assert calculate_gain(name, param) == pytest.approx(expected, rel=1e-15, abs=0)


def test_gain_names_cover_pytorch_table():
    convs = {f"conv{kind}{d}d" for kind in ("", "_transpose") for d in (1, 2, 3)}
    others = {"linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu"}
    assert set(NONLINEARITIES) == others | convs


@pytest.mark.parametrize(
    ("name", "param", "match"),
    [
        ("gelu", None, r"unknown nonlinearity 'gelu'; valid names: linear, conv1d"),
        ("ReLU", None, r"unknown nonlinearity 'ReLU'.*relu"),
        ("leaky_relu", "0.1", r"negative_slope '0.1' is not a valid number"),
        ("leaky_relu", True, r"negative_slope True is not a valid number"),
        ("leaky_relu", math.inf, r"negative_slope must be finite"),
    ],
)
def test_calculate_gain_errors(name, param, match):
    with pytest.raises(ValueError, match=match):
        calculate_gain(name, param)


# ---------------------------------------------------------------------------------------------
# Exact stds and bounds (scale_of) for sample shapes
# ---------------------------------------------------------------------------------------------

S3 = math.sqrt(3.0)
# (name, params, shape, std, uniform bound or None, distribution)
EXACT_SCALES = [
    ("zeros", {}, (5, 7), 0.0, None, "constant"),
    ("constant", {"value": -2.0}, (5, 7), 2.0, None, "constant"),
    ("normal", {"std": 0.3}, (5, 7), 0.3, None, "normal"),
    ("uniform", {"limit": 0.2}, (5, 7), 0.2 / S3, 0.2, "uniform"),
    ("small_random", {}, (5, 7), 0.01, None, "normal"),
    ("large_random", {}, (5, 7), 1.0, None, "normal"),
    ("lecun_normal", {}, (300, 200), 1 / math.sqrt(300), None, "normal"),
    ("lecun_uniform", {}, (300, 200), 1 / math.sqrt(300), math.sqrt(3 / 300), "uniform"),
    ("glorot_normal", {}, (300, 200), math.sqrt(2 / 500), None, "normal"),
    ("glorot_uniform", {}, (300, 200), math.sqrt(2 / 500), math.sqrt(6 / 500), "uniform"),
    ("glorot_uniform", {"gain": 5 / 3}, (3, 3, 64, 32), 5 / 3 * math.sqrt(2 / 864), None, None),
    ("he_normal", {}, (3, 3, 64, 32), math.sqrt(2 / 576), None, "normal"),
    ("he_normal", {"gain": 2.0}, (300, 200), 2 * math.sqrt(2 / 300), None, "normal"),
    ("he_uniform", {}, (3, 3, 64, 32), math.sqrt(2 / 576), math.sqrt(6 / 576), "uniform"),
    ("torch_default", {}, (300, 200), 1 / math.sqrt(900), 1 / math.sqrt(300), "uniform"),
    ("torch_default", {}, (3, 3, 64, 32), 1 / (24 * S3), 1 / 24, "uniform"),
    (
        "variance_scaling",
        {"scale": 2.0, "mode": "fan_out", "distribution": "uniform"},
        (3, 3, 64, 32),
        math.sqrt(2 / 288),
        math.sqrt(6 / 288),
        "uniform",
    ),
    (
        "variance_scaling",
        {"mode": "fan_avg", "distribution": "truncated_normal"},
        (3, 3, 64, 32),
        math.sqrt(1 / 432),
        None,
        "truncated_normal",
    ),
    ("variance_scaling", {}, (300, 200), 1 / math.sqrt(300), None, "truncated_normal"),
    (
        "variance_scaling",
        {"scale": 0.5, "mode": "fan_in", "distribution": "normal"},
        (7, 4, 6),
        math.sqrt(0.5 / 28),
        None,
        "normal",
    ),
    ("orthogonal", {"gain": 2.0}, (300, 200), 2 / math.sqrt(300), None, "orthogonal"),
    ("orthogonal", {}, (200, 300), 1 / math.sqrt(300), None, "orthogonal"),
    ("orthogonal", {}, (3, 3, 16, 32), 1 / 12, None, "orthogonal"),  # (144, 32)
    ("orthogonal", {}, (3, 3, 4, 64), 1 / 8, None, "orthogonal"),  # (36, 64)
    ("identity", {"gain": 3.0}, (4, 6), 3 * math.sqrt(4 / 24), None, "identity"),
    ("delta_orthogonal", {}, (3, 3, 4, 8), math.sqrt(4 / 288), None, "delta_orthogonal"),
]


@pytest.mark.parametrize(
    ("name", "params", "shape", "std", "bound", "distribution"),
    EXACT_SCALES,
    ids=[f"{c[0]}-{c[2]}-{c[1]}" for c in EXACT_SCALES],
)
def test_scale_of_exact(name, params, shape, std, bound, distribution):
    s = scale_of(name, shape, **params)
    assert s.std == pytest.approx(std, rel=1e-14, abs=0)
    if distribution is not None:
        assert s.distribution == distribution
        if bound is None:
            assert s.bound is None
    if bound is not None:
        assert s.bound == pytest.approx(bound, rel=1e-14)
    if s.distribution == "uniform":
        assert s.bound == pytest.approx(S3 * s.std, rel=1e-14)


def test_truncated_normal_constant_is_the_std_of_the_cut_normal():
    assert pytest.approx(TRUNC.std(), rel=1e-14) == TRUNCATED_NORMAL_STD
    s = scale_of("variance_scaling", (300, 200), distribution="truncated_normal")
    assert s.truncation == pytest.approx(2 * s.std / TRUNC.std(), rel=1e-14)


@pytest.mark.parametrize("shape", [(300, 200), (3, 3, 64, 32), (9, 1)])
def test_torch_default_bound_is_one_over_sqrt_fan_in(shape):
    fan_in = fans(shape)[0]
    assert scale_of("torch_default", shape).bound == pytest.approx(1 / math.sqrt(fan_in), rel=1e-14)
    w = initialize("torch_default", shape, rng=rng_for("torch_default", shape))
    bound = 1 / math.sqrt(fan_in)
    assert np.max(np.abs(w)) <= bound
    if w.size > 10_000:  # the bound is attained: P(max < b (1 - 20/N)) ~ e^-20
        assert np.max(np.abs(w)) > bound * (1 - 20 / w.size)


@pytest.mark.parametrize(
    ("name", "params", "shape", "expected"),
    [
        ("lecun_normal", {}, (300, 200), 1.0),
        ("lecun_uniform", {"gain": 2.0}, (3, 3, 8, 8), 4.0),
        ("he_normal", {}, (3, 3, 8, 16), 2.0),
        ("torch_default", {}, (300, 200), 1 / 3),
        ("glorot_uniform", {}, (256, 256), 1.0),
        ("variance_scaling", {"scale": 1.7}, (50, 80), 1.7),
        ("orthogonal", {"gain": 1.5}, (64, 64), 2.25),
        ("identity", {}, (64, 64), 1.0),
        ("small_random", {}, (100, 100), 100 * 0.01**2),
        ("zeros", {}, (10, 10), 0.0),
    ],
)
def test_sigma_w2(name, params, shape, expected):
    assert sigma_w2(name, shape, **params) == pytest.approx(expected, rel=1e-13, abs=1e-300)


@pytest.mark.parametrize(
    ("name", "params", "shape"),
    [
        ("zeros", {}, (4, 5)),
        ("constant", {"value": -0.7}, (2, 3, 4)),
        ("orthogonal", {"gain": 1.3}, (40, 25)),
        ("orthogonal", {}, (25, 40)),
        ("orthogonal", {}, (3, 3, 4, 64)),
        ("identity", {"gain": 0.5}, (7, 3)),
        ("delta_orthogonal", {"gain": 2.0}, (3, 3, 5, 9)),
    ],
)
def test_scale_of_is_rms_of_deterministic_schemes(name, params, shape):
    w = initialize(name, shape, rng=rng_for(name, shape), **params)
    rms = math.sqrt(float(np.mean(w**2)))
    assert scale_of(name, shape, **params).std == pytest.approx(rms, rel=1e-12, abs=0)


# ---------------------------------------------------------------------------------------------
# Statistics of every distribution-based initializer (dense and conv shapes)
# ---------------------------------------------------------------------------------------------


def expected_distribution(name: str, params: dict, shape: tuple[int, ...]):
    """Return (kind, std) from the papers' formulas, independent of the module."""
    fan_in, fan_out = fans(shape)
    g = params.get("gain", 1.0)
    if name == "variance_scaling":
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[
            params.get("mode", "fan_in")
        ]
        return params.get("distribution", "truncated_normal"), math.sqrt(
            params.get("scale", 1.0) / n
        )
    table = {
        "normal": ("normal", params.get("std", 0.05)),
        "uniform": ("uniform", params.get("limit", 0.05) / S3),
        "small_random": ("normal", 0.01),
        "large_random": ("normal", 1.0),
        "lecun_normal": ("normal", g / math.sqrt(fan_in)),
        "lecun_uniform": ("uniform", g / math.sqrt(fan_in)),
        "glorot_normal": ("normal", g * math.sqrt(2 / (fan_in + fan_out))),
        "glorot_uniform": ("uniform", g * math.sqrt(2 / (fan_in + fan_out))),
        "he_normal": ("normal", g * math.sqrt(2 / fan_in)),
        "he_uniform": ("uniform", g * math.sqrt(2 / fan_in)),
        "torch_default": ("uniform", 1 / math.sqrt(3 * fan_in)),
    }
    return table[name]


def frozen(kind: str, std: float):
    if kind == "normal":
        return stats.norm(0.0, std)
    if kind == "uniform":
        return stats.uniform(-S3 * std, 2 * S3 * std)
    return stats.truncnorm(-2.0, 2.0, scale=std / TRUNC.std())


def kurtosis(kind: str) -> float:
    """E[x^4] / sigma^4 of the standardized distribution."""
    return {"normal": 3.0, "uniform": 1.8, "truncated_normal": 3.0 + float(TRUNC.stats("k"))}[kind]


DIST_CASES: list[tuple[str, dict]] = [
    ("normal", {}),
    ("normal", {"std": 0.3}),
    ("uniform", {}),
    ("uniform", {"limit": 2.0}),
    ("small_random", {}),
    ("large_random", {}),
    ("lecun_normal", {}),
    ("lecun_uniform", {}),
    ("glorot_normal", {}),
    ("glorot_uniform", {}),
    ("he_normal", {}),
    ("he_uniform", {}),
    ("he_normal", {"gain": 1.5}),
    ("glorot_uniform", {"gain": 5 / 3}),
    ("torch_default", {}),
    ("variance_scaling", {}),
    *[
        ("variance_scaling", {"scale": 2.0, "mode": m, "distribution": d})
        for m, d in itertools.product(MODES, DISTRIBUTIONS)
    ],
]
STAT_PARAMS = [
    pytest.param(name, params, shape, id=f"{name}-{'x'.join(map(str, shape))}-{params}")
    for name, params in DIST_CASES
    for shape in (DENSE, CONV)
]


@pytest.mark.parametrize(("name", "params", "shape"), STAT_PARAMS)
def test_moments_and_support(name, params, shape):
    kind, std = expected_distribution(name, params, shape)
    assert scale_of(name, shape, **params).std == pytest.approx(std, rel=1e-14)
    w = initialize(name, shape, rng=rng_for(name, params, shape), **params)
    assert w.shape == shape
    assert w.dtype == np.float64
    n = w.size
    mean = float(np.mean(w))
    assert abs(mean) < K_TOL * std / math.sqrt(n), f"mean {mean} vs std {std}"
    # Second moment about the known mean 0: relative SE sqrt((kurtosis - 1) / N).
    ratio = float(np.mean(w**2)) / std**2
    rel_se = math.sqrt((kurtosis(kind) - 1.0) / n)
    assert abs(ratio - 1.0) < K_TOL * rel_se, f"var ratio {ratio}, rel SE {rel_se}"
    peak = float(np.max(np.abs(w)))
    if kind == "uniform":
        assert peak <= S3 * std
        assert peak > S3 * std * (1 - 20 / n)  # the bound is reached
    elif kind == "truncated_normal":
        sigma_raw = std / TRUNC.std()
        assert peak <= 2 * sigma_raw
        assert peak > 1.9 * sigma_raw  # mass in (1.9, 2) sigma is 1.25 %
    else:
        assert peak > 2.5 * std  # untruncated: 1.2 % of the mass lies beyond 2.5 sigma


@pytest.mark.parametrize(("name", "params", "shape"), STAT_PARAMS)
def test_ks_against_exact_distribution(name, params, shape):
    kind, std = expected_distribution(name, params, shape)
    w = initialize(name, shape, rng=rng_for("ks", name, params, shape), **params)
    result = stats.kstest(w.ravel(), frozen(kind, std).cdf)
    assert result.pvalue > KS_P_MIN, f"KS statistic {result.statistic}, p {result.pvalue}"


def test_ks_detects_the_wrong_distribution():
    """Sanity check that the KS set-up has power: he_normal is not he_uniform."""
    w = initialize("he_normal", DENSE, rng=rng_for("power"))
    _, std = expected_distribution("he_uniform", {}, DENSE)
    assert stats.kstest(w.ravel(), frozen("uniform", std).cdf).pvalue < 1e-10
    assert stats.kstest(w.ravel(), frozen("truncated_normal", std).cdf).pvalue < 1e-10


# (scale, mode, distribution): LeCun 1/fan_in, Glorot 1/fan_avg, He 2/fan_in; normal, uniform.
PRESET_TABLE = {
    f"{family}_{distribution}": (scale, mode, distribution)
    for family, scale, mode in [
        ("lecun", 1, "fan_in"),
        ("glorot", 1, "fan_avg"),
        ("he", 2, "fan_in"),
    ]
    for distribution in ("normal", "uniform")
}


@pytest.mark.parametrize("name", list(PRESET_TABLE))
@pytest.mark.parametrize("gain", [1.0, 1.7])
def test_presets_are_variance_scaling_specializations(name, gain):
    scale, mode, distribution = PRESET_TABLE[name]
    shape = (3, 3, 6, 10)
    got = initialize(name, shape, rng=np.random.default_rng(7), gain=gain)
    want = variance_scaling(
        shape,
        scale=scale * gain**2,
        mode=mode,
        distribution=distribution,
        rng=np.random.default_rng(7),
    )
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)
    direct = getattr(init, name)(shape, rng=np.random.default_rng(7), gain=gain)
    np.testing.assert_array_equal(got, direct)


def test_torch_default_is_variance_scaling_one_third():
    shape = (30, 20)
    got = initialize("torch_default", shape, rng=np.random.default_rng(3))
    want = variance_scaling(
        shape, scale=1 / 3, mode="fan_in", distribution="uniform", rng=np.random.default_rng(3)
    )
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)


# ---------------------------------------------------------------------------------------------
# Orthogonal, identity, delta-orthogonal (structure)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape", [(50, 20), (20, 50), (30, 30), (3, 3, 16, 32), (3, 3, 4, 64), (5, 8, 8), (1, 7)]
)
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_is_orthogonal(shape, gain):
    w = initialize("orthogonal", shape, rng=rng_for("orth", shape, gain), gain=gain)
    assert w.shape == shape
    m = w.reshape(-1, shape[-1])  # conv kernels: output channels are the columns
    rows, cols = m.shape
    gram = m.T @ m if rows >= cols else m @ m.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), rtol=0, atol=1e-10)
    np.testing.assert_allclose(np.linalg.svd(m, compute_uv=False), gain, rtol=1e-10)


def _orthogonal_entries(shape: tuple[int, int], n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = rng_for("haar", shape)
    draws = [initialize("orthogonal", shape, rng=rng) for _ in range(n)]
    first = np.array([w[0, 0] for w in draws])
    dets = np.array([np.linalg.det(w) if shape[0] == shape[1] else 0.0 for w in draws])
    return first, dets


def test_orthogonal_sign_correction_makes_2x2_haar():
    """Without the sign(diag R) fix, LAPACK's QR gives Q[0,0] <= 0 and det = -1 every time."""
    n = 4000
    q00, dets = _orthogonal_entries((2, 2), n)
    # Haar on O(2): Q[0,0] = cos(theta), theta uniform -> mean 0, variance 1/2, arcsine law.
    assert abs(q00.mean()) < K_TOL * math.sqrt(0.5 / n)
    arcsine_cdf = lambda x: 0.5 + np.arcsin(np.clip(x, -1, 1)) / np.pi  # noqa: E731
    assert stats.kstest(q00, arcsine_cdf).pvalue > KS_P_MIN
    # Both connected components of O(2) equally likely.
    positive = float(np.mean(dets > 0))
    assert abs(positive - 0.5) < K_TOL * math.sqrt(0.25 / n)


@pytest.mark.parametrize("shape", [(3, 2), (2, 3)])
def test_orthogonal_first_column_uniform_on_sphere(shape):
    """A Haar column in R^3 is uniform on S^2, so each coordinate is U(-1, 1) (Archimedes)."""
    q00, _ = _orthogonal_entries(shape, 3000)
    assert stats.kstest(q00, stats.uniform(-1, 2).cdf).pvalue > KS_P_MIN


@pytest.mark.parametrize("gain", [1.0, 2.0, 0.5])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3), (1, 1)])
def test_identity(shape, gain):
    w = initialize("identity", shape, rng=rng_for("identity"), gain=gain)
    np.testing.assert_array_equal(w, gain * np.eye(*shape))
    np.testing.assert_array_equal(init.identity(shape, gain=gain), w)  # rng is optional


def conv_same(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Zero-padded 'same' cross-correlation, channels last; any number of spatial dims.

    x: (N, *spatial, c_in); w: (*kernel, c_in, c_out) -> (N, *spatial, c_out).
    """
    kernel = w.shape[:-2]
    pads = [(0, 0)] + [((k - 1) // 2, k - 1 - (k - 1) // 2) for k in kernel] + [(0, 0)]
    xp = np.pad(x, pads)
    spatial = x.shape[1:-1]
    out = np.zeros((x.shape[0], *spatial, w.shape[-1]))
    for offset in np.ndindex(*kernel):
        window = tuple(slice(o, o + s) for o, s in zip(offset, spatial, strict=True))
        out += xp[(slice(None), *window, slice(None))] @ w[offset]
    return out


@pytest.mark.parametrize(
    ("shape", "spatial"),
    [
        ((3, 4, 8), (11,)),
        ((3, 3, 4, 8), (6, 7)),
        ((5, 5, 6, 6), (8, 8)),
        ((3, 3, 3, 2, 5), (4, 5, 3)),
        ((4, 2, 3, 3), (5, 6)),  # even kernel: centre index (k - 1) // 2
    ],
)
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_delta_orthogonal_structure_and_norm_preservation(shape, spatial, gain):
    w = initialize("delta_orthogonal", shape, rng=rng_for("delta", shape, gain), gain=gain)
    assert w.shape == shape
    centre = tuple((k - 1) // 2 for k in shape[:-2])
    mask = np.ones(shape[:-2], dtype=bool)
    mask[centre] = False
    assert np.all(w[mask] == 0.0)
    c = w[centre]  # (c_in, c_out) with orthonormal rows times gain
    np.testing.assert_allclose(c @ c.T, gain**2 * np.eye(shape[-2]), rtol=0, atol=1e-10)
    x = rng_for("delta-x", shape).standard_normal((2, *spatial, shape[-2]))
    y = conv_same(x, w)
    for xi, yi in zip(x, y, strict=True):
        assert np.linalg.norm(yi) == pytest.approx(gain * np.linalg.norm(xi), rel=1e-10)


def test_conv_helper_detects_non_isometric_kernels():
    """The norm check can fail: a He-normal kernel does not preserve the norm exactly."""
    w = initialize("he_normal", (3, 3, 4, 8), rng=rng_for("he-conv"))
    x = rng_for("he-x").standard_normal((1, 6, 6, 4))
    assert abs(np.linalg.norm(conv_same(x, w)) / np.linalg.norm(x) - 1) > 1e-3


# ---------------------------------------------------------------------------------------------
# Determinism, seed sensitivity, registry
# ---------------------------------------------------------------------------------------------


def valid_shape(name: str) -> tuple[int, ...]:
    return (6, 6) if REGISTRY[name].max_rank == 2 else (3, 3, 4, 8)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_same_seed_same_weights(name):
    shape = valid_shape(name)
    a = initialize(name, shape, rng=np.random.default_rng(123))
    b = initialize(name, shape, rng=np.random.default_rng(123))
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float64
    assert np.all(np.isfinite(a))


@pytest.mark.parametrize(
    "name", [n for n, s in REGISTRY.items() if s.family not in ("constant", "identity")]
)
def test_different_seed_different_weights(name):
    shape = valid_shape(name)
    a = initialize(name, shape, rng=np.random.default_rng(1))
    b = initialize(name, shape, rng=np.random.default_rng(2))
    assert not np.array_equal(a, b)


def test_registry_names_and_order():
    assert list(REGISTRY) == [
        "zeros",
        "constant",
        "normal",
        "uniform",
        "small_random",
        "large_random",
        "lecun_normal",
        "lecun_uniform",
        "glorot_normal",
        "glorot_uniform",
        "he_normal",
        "he_uniform",
        "variance_scaling",
        "orthogonal",
        "identity",
        "delta_orthogonal",
        "torch_default",
    ]


EXPECTED_PARAMS = {
    "zeros": {},
    "constant": {"value": 0.1},
    "normal": {"std": 0.05},
    "uniform": {"limit": 0.05},
    "small_random": {},
    "large_random": {},
    "lecun_normal": {"gain": 1.0},
    "lecun_uniform": {"gain": 1.0},
    "glorot_normal": {"gain": 1.0},
    "glorot_uniform": {"gain": 1.0},
    "he_normal": {"gain": 1.0},
    "he_uniform": {"gain": 1.0},
    "variance_scaling": {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"},
    "orthogonal": {"gain": 1.0},
    "identity": {"gain": 1.0},
    "delta_orthogonal": {"gain": 1.0},
    "torch_default": {},
}
# (low, low_inclusive, high) of every float parameter (all highs inclusive)
EXPECTED_RANGES = {
    "value": (-10.0, True, 10.0),
    "std": (0.0, False, 10.0),
    "limit": (0.0, False, 10.0),
    "scale": (0.0, False, 100.0),
    "gain": (0.0, False, 10.0),
}


@pytest.mark.parametrize("name", list(REGISTRY))
def test_registry_entry_is_complete(name):
    spec = REGISTRY[name]
    assert spec.name == name
    assert validate_params(name, {}) == EXPECTED_PARAMS[name]
    assert spec.defaults == EXPECTED_PARAMS[name]
    assert spec.label
    assert spec.formula.strip()
    assert 20 < len(spec.designed_for) < 300
    assert spec.designed_for.endswith(".")
    assert 1 <= spec.designed_for.count(". ") + 1 <= 2  # one or two sentences
    assert any(f"({y})" in spec.reference for y in range(1990, 2021))
    assert spec.reference_url.startswith("https://")
    assert spec.pytorch
    assert spec.keras
    assert spec.jax
    assert spec.family in ("constant", "random", "variance_scaling", "orthogonal", "identity")
    assert spec.fan_mode in ("fan_in", "fan_out", "fan_avg", "mode", "fan_max", "none")
    for p in spec.params:
        assert p.check(p.default) == p.default
        if p.kind == "float":
            low, low_inclusive, high = EXPECTED_RANGES[p.name]
            assert (p.low, p.low_inclusive, p.high, p.high_inclusive) == (
                low,
                low_inclusive,
                high,
                True,
            )
        else:
            assert p.choices == {"mode": MODES, "distribution": DISTRIBUTIONS}[p.name]


def test_registry_references_and_framework_calls():
    arxiv = {
        "he_normal": "1502.01852",
        "he_uniform": "1502.01852",
        "orthogonal": "1312.6120",
        "identity": "1504.00941",
        "delta_orthogonal": "1806.05393",
        "variance_scaling": "1704.08863",
    }
    for name, number in arxiv.items():
        assert REGISTRY[name].reference_url == f"https://arxiv.org/abs/{number}"
    # Our *_normal presets are untruncated (like PyTorch); the JAX/Keras text must say how.
    for name in ("lecun_normal", "glorot_normal", "he_normal"):
        assert '"normal"' in REGISTRY[name].jax
        assert "untruncated_normal" in REGISTRY[name].keras
    assert 'variance_scaling(2.0 * gain**2, "fan_in", "normal")' in REGISTRY["he_normal"].jax
    assert "xavier_uniform_" in REGISTRY["glorot_uniform"].pytorch
    assert "a=math.sqrt(5)" in REGISTRY["torch_default"].pytorch
    assert "delta_orthogonal" in REGISTRY["delta_orthogonal"].jax


def test_validate_params_normalizes_and_accepts_range_ends():
    assert validate_params("normal", {"std": np.float32(0.5)}) == {"std": 0.5}
    assert type(validate_params("constant", {"value": 3})["value"]) is float
    assert validate_params("constant", {"value": -10}) == {"value": -10.0}
    assert validate_params("constant", {"value": 10.0}) == {"value": 10.0}
    assert validate_params("normal", {"std": 10.0}) == {"std": 10.0}
    assert validate_params("variance_scaling", {"scale": 100, "mode": "fan_avg"}) == {
        "scale": 100.0,
        "mode": "fan_avg",
        "distribution": "truncated_normal",
    }
    assert validate_params("he_normal", None) == {"gain": 1.0}


@pytest.mark.parametrize("name", list(REGISTRY))
def test_initialize_matches_direct_function(name):
    shape = valid_shape(name)
    a = initialize(name, shape, rng=np.random.default_rng(5))
    b = getattr(init, name)(shape, rng=np.random.default_rng(5), **validate_params(name))
    np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

VALID = r"valid names: zeros, constant, normal, uniform, small_random, large_random, lecun_normal"


@pytest.mark.parametrize(
    ("name", "shape", "params", "match"),
    [
        ("xavier", (3, 3), {}, r"unknown initializer 'xavier'; " + VALID),
        ("normal", (3, 3), {"std": 0.0}, r"parameter 'std' must be in \(0, 10\]; got 0.0"),
        ("normal", (3, 3), {"std": -1.0}, r"parameter 'std' must be in \(0, 10\]"),
        ("normal", (3, 3), {"std": 10.5}, r"parameter 'std' must be in \(0, 10\]"),
        ("normal", (3, 3), {"std": math.nan}, r"parameter 'std' must be finite"),
        ("normal", (3, 3), {"std": "0.1"}, r"parameter 'std' must be a real number"),
        ("normal", (3, 3), {"std": True}, r"parameter 'std' must be a real number"),
        ("uniform", (3, 3), {"limit": 0}, r"parameter 'limit' must be in \(0, 10\]"),
        ("constant", (3, 3), {"value": 11}, r"parameter 'value' must be in \[-10, 10\]"),
        ("variance_scaling", (3, 3), {"scale": 0}, r"parameter 'scale' must be in \(0, 100\]"),
        ("variance_scaling", (3, 3), {"scale": -2}, r"'scale' must be in \(0, 100\]"),
        (
            "variance_scaling",
            (3, 3),
            {"mode": "fan_sum"},
            r"parameter 'mode' must be one of fan_in, fan_out, fan_avg; got 'fan_sum'",
        ),
        (
            "variance_scaling",
            (3, 3),
            {"distribution": "untruncated_normal"},
            r"'distribution' must be one of normal, truncated_normal, uniform",
        ),
        ("he_normal", (3, 3), {"gain": 0.0}, r"parameter 'gain' must be in \(0, 10\]"),
        ("orthogonal", (3, 3), {"gain": -1.0}, r"parameter 'gain' must be in \(0, 10\]"),
        ("identity", (3, 3), {"gain": 0}, r"parameter 'gain' must be in \(0, 10\]"),
        (
            "normal",
            (3, 3),
            {"sigma": 1.0},
            r"unknown parameter\(s\) 'sigma' for initializer 'normal'; valid parameters: std",
        ),
        ("zeros", (3, 3), {"gain": 1.0}, r"'gain' for initializer 'zeros'; valid parameters: none"),
        ("torch_default", (3, 3), {"gain": 2.0}, r"unknown parameter\(s\) 'gain'"),
        ("delta_orthogonal", (3, 3, 8, 4), {}, r"c_in <= c_out.*c_in=8 > c_out=4"),
        ("delta_orthogonal", (3, 8), {}, r"delta_orthogonal needs a shape of rank 3 to 5"),
        ("delta_orthogonal", (1, 1, 1, 1, 2, 2), {}, r"rank 3 to 5.*rank 6"),
        ("identity", (3, 3, 3), {}, r"identity needs a shape of rank 2, got \(3, 3, 3\)"),
        ("identity", (3,), {}, r"identity needs a shape of rank 2"),
        ("orthogonal", (0, 3), {}, r"positive dimensions"),
        ("delta_orthogonal", (3, 0, 4, 4), {}, r"positive dimensions"),
        ("zeros", (2, 0), {}, r"positive dimensions"),
    ],
)
def test_initialize_errors(name, shape, params, match):
    with pytest.raises(ValueError, match=match):
        initialize(name, shape, rng=np.random.default_rng(0), **params)


@pytest.mark.parametrize("name", [n for n, s in REGISTRY.items() if s.min_rank >= 2])
@pytest.mark.parametrize("shape", [(5,), ()])
def test_fan_based_schemes_reject_rank_below_two(name, shape):
    with pytest.raises(ValueError, match=rf"{name} needs a shape of rank"):
        initialize(name, shape, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"needs a shape of rank"):
        scale_of(name, shape)


@pytest.mark.parametrize("name", [n for n, s in REGISTRY.items() if s.min_rank == 0])
def test_fixed_scale_schemes_accept_any_rank(name):
    for shape in [(), (5,), (2, 3, 4)]:
        w = initialize(name, shape, rng=np.random.default_rng(0))
        assert w.shape == shape
    with pytest.raises(ValueError, match="rank at least 2"):
        sigma_w2(name, (5,))  # but the mean-field variance needs a fan-in


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda r: variance_scaling(
                (3, 3), scale=-1.0, mode="fan_in", distribution="normal", rng=r
            ),
            ValueError,
            r"scale must be positive, got -1.0",
        ),
        (
            lambda r: variance_scaling(
                (3, 3), scale=0.0, mode="fan_in", distribution="normal", rng=r
            ),
            ValueError,
            r"scale must be positive",
        ),
        (
            lambda r: variance_scaling((3, 3), scale=1.0, mode="avg", distribution="normal", rng=r),
            ValueError,
            r"unknown mode 'avg'; valid modes: fan_in, fan_out, fan_avg",
        ),
        (
            lambda r: variance_scaling(
                (3, 3), scale=1.0, mode="fan_in", distribution="gauss", rng=r
            ),
            ValueError,
            r"unknown distribution 'gauss'; valid distributions: normal, truncated_normal, uniform",
        ),
        (
            lambda r: variance_scaling(
                (3,), scale=1.0, mode="fan_in", distribution="normal", rng=r
            ),
            ValueError,
            r"rank at least 2",
        ),
        (
            lambda r: variance_scaling(
                (3, 3), scale=1.0, mode="fan_in", distribution="normal", rng=0
            ),
            TypeError,
            r"numpy.random.Generator",
        ),
        (lambda r: init.he_normal((3, 3), rng=r, gain=0.0), ValueError, r"gain must be positive"),
        (
            lambda r: init.glorot_uniform((3, 3), rng=r, gain=-1),
            ValueError,
            r"gain must be positive",
        ),
        (lambda r: init.orthogonal((3, 3), rng=r, gain=0), ValueError, r"gain must be positive"),
        (lambda r: init.normal((3, 3), rng=r, std=0.0), ValueError, r"std must be positive"),
        (lambda r: init.uniform((3, 3), rng=r, limit=-1.0), ValueError, r"limit must be positive"),
        (lambda r: init.constant((3, 3), value=math.inf), ValueError, r"value must be finite"),
        (lambda r: initialize("he_normal", (3, 3), rng=42), TypeError, r"numpy.random.Generator"),
        (lambda r: initialize("zeros", 5, rng=r), TypeError, r"sequence of integers"),
        (
            lambda r: scale_of("nope", (3, 3)),
            ValueError,
            r"unknown initializer 'nope'; valid names",
        ),
        (lambda r: validate_params("nope", {}), ValueError, r"unknown initializer 'nope'"),
        (
            lambda r: sigma_w2("identity", (3, 3, 3)),
            ValueError,
            r"identity needs a shape of rank 2",
        ),
    ],
)
def test_direct_call_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(np.random.default_rng(0))


# ---------------------------------------------------------------------------------------------
# Property tests (hypothesis)
# ---------------------------------------------------------------------------------------------

shapes = st.lists(st.integers(1, 9), min_size=2, max_size=5).map(tuple)
small_shapes = st.lists(st.integers(1, 6), min_size=2, max_size=4).map(tuple)
PROPS = settings(max_examples=60, deadline=None, database=None)


@PROPS
@given(shapes)
def test_property_fans_match_pytorch_layout(shape):
    fan_in, fan_out = compute_fans(shape)
    # PyTorch's _calculate_fan_in_and_fan_out on its (out, in, *receptive) layout.
    torch_shape = (shape[-1], shape[-2], *shape[:-2])
    receptive = math.prod(torch_shape[2:])
    assert (fan_in, fan_out) == (torch_shape[1] * receptive, torch_shape[0] * receptive)
    assert fan_in * shape[-1] == fan_out * shape[-2]


@PROPS
@given(
    small_shapes,
    st.floats(0.01, 50.0),
    st.sampled_from(MODES),
    st.sampled_from(DISTRIBUTIONS),
    st.integers(0, 2**32 - 1),
)
def test_property_variance_scaling_formula(shape, scale, mode, distribution, seed):
    fan_in, fan_out = fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    std = math.sqrt(scale / n)
    params = {"scale": scale, "mode": mode, "distribution": distribution}
    assert scale_of("variance_scaling", shape, **params).std == pytest.approx(std, rel=1e-13)

    w = variance_scaling(shape, rng=np.random.default_rng(seed), **params)
    assert w.shape == shape
    assert w.dtype == np.float64
    assert np.all(np.isfinite(w))
    # Same seed with scale = n gives the standardized draws Z (std 1): W must be exactly std * Z.
    unit = variance_scaling(
        shape,
        rng=np.random.default_rng(seed),
        scale=n,
        mode=mode,
        distribution=distribution,
    )
    # Uniform draws are an affine map of U(0, 1) (-a + 2a u), so a value near 0 carries a
    # rounding error of a few ulps of the bound a, not of itself: allow 8 ulps of a (= the std
    # times sqrt 3); every other value must match to 1e-12 relative.
    bound_ulps = 8 * np.finfo(np.float64).eps * std * math.sqrt(3.0)
    np.testing.assert_allclose(w, std * unit, rtol=1e-12, atol=bound_ulps)
    if distribution == "uniform":
        assert np.all(np.abs(unit) <= math.sqrt(3.0))
    elif distribution == "truncated_normal":
        assert np.all(np.abs(unit) <= 2.0 / TRUNC.std() * (1 + 1e-12))


@PROPS
@given(small_shapes, st.integers(0, 2**32 - 1))
def test_property_fan_modes_rescale_the_same_draws(shape, seed):
    fan_in, fan_out = fans(shape)
    kw = {"scale": 2.0, "distribution": "normal"}
    w_in = variance_scaling(shape, mode="fan_in", rng=np.random.default_rng(seed), **kw)
    w_out = variance_scaling(shape, mode="fan_out", rng=np.random.default_rng(seed), **kw)
    w_avg = variance_scaling(shape, mode="fan_avg", rng=np.random.default_rng(seed), **kw)
    np.testing.assert_allclose(w_in * math.sqrt(fan_in), w_out * math.sqrt(fan_out), rtol=1e-12)
    np.testing.assert_allclose(
        w_in * math.sqrt(fan_in), w_avg * math.sqrt((fan_in + fan_out) / 2), rtol=1e-12
    )


@PROPS
@given(shapes, st.floats(0.1, 5.0))
def test_property_orthogonal_any_shape(shape, gain):
    w = initialize("orthogonal", shape, rng=np.random.default_rng(0), gain=gain)
    m = w.reshape(-1, shape[-1])
    small = min(m.shape)
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(small), atol=1e-10 * gain**2)


# ---------------------------------------------------------------------------------------------
# Optional cross-check with PyTorch (not a dependency; skipped when torch is absent)
# ---------------------------------------------------------------------------------------------


def test_matches_torch_when_available():
    torch = pytest.importorskip("torch")
    for name in NONLINEARITIES:
        assert calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name), rel=1e-12)
    assert calculate_gain("leaky_relu", 0.3) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.3), rel=1e-12
    )
    torch.manual_seed(0)
    layer = torch.nn.Linear(300, 200)  # weight (out, in) = (200, 300)
    bound = scale_of("torch_default", (300, 200)).bound
    largest = float(layer.weight.detach().abs().max())
    assert largest <= bound * (1 + 1e-6)
    assert largest > bound * 0.99
    # Uniform schemes: the largest |w| of a big draw sits just below the bound, in both layouts.
    ours_vs_torch = {
        "glorot_uniform": torch.nn.init.xavier_uniform_,
        "he_uniform": lambda t: torch.nn.init.kaiming_uniform_(t, nonlinearity="relu"),
    }
    for name, torch_init in ours_vs_torch.items():
        weight = torch.empty(128, 64, 3, 3)  # PyTorch conv layout (out, in, kh, kw)
        with torch.no_grad():
            torch_init(weight)
        ours = scale_of(name, (3, 3, 64, 128)).bound
        assert float(weight.abs().max()) <= ours * (1 + 1e-6)
        assert float(weight.abs().max()) > ours * 0.999
