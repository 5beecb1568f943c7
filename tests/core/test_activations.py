"""Tests for core.activations: values, derivatives, stability, gains, quadrature, erf."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import scipy.integrate
import scipy.special

from core import activations as act
from core.activations import NAMES, SELU_ALPHA, SELU_SCALE, gauss_hermite, get

ALL = [get(n) for n in NAMES] + [get("leaky_relu", negative_slope=0.2)]
IDS = [a.name for a in ALL[:-1]] + ["leaky_relu_0.2"]

# Reference implementations built from scipy (independent of the code under test).
REF = {
    "linear": lambda z: z,
    "sigmoid": scipy.special.expit,
    "tanh": np.tanh,
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.exp(np.minimum(z, 0)) - 1.0),
    "selu": lambda z: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * (np.exp(np.minimum(z, 0)) - 1)),
    "gelu": lambda z: z * scipy.special.ndtr(z),
    "silu": lambda z: z * scipy.special.expit(z),
    "softsign": lambda z: z / (1.0 + np.abs(z)),
}
# Points away from the kinks at 0 (relu, leaky_relu, selu's f' jump, softsign's f'' jump).
GRID = np.concatenate([np.linspace(-8.0, -0.01, 400), np.linspace(0.01, 8.0, 400)])


def test_names_and_registry():
    assert NAMES == (
        "linear", "sigmoid", "tanh", "relu", "leaky_relu",
        "elu", "selu", "gelu", "silu", "softsign",
    )  # fmt: skip
    for n in NAMES:
        a = get(n)
        assert a.name == n
        assert a.label
        assert a.formula
        assert a.gain_source in ("pytorch", "variance_preserving")
    assert get("tanh") is get("tanh")  # cached, immutable


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="unknown activation 'swish'.*relu.*softsign"):
        get("swish")
    with pytest.raises(ValueError, match="unknown activation"):
        get(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), float("inf"), "x", None])
def test_bad_negative_slope(bad):
    with pytest.raises(ValueError, match="negative_slope"):
        get("leaky_relu", negative_slope=bad)


def test_negative_slope_ignored_by_others():
    assert get("relu", negative_slope=0.3) is get("relu")
    assert get("leaky_relu", negative_slope=0.2).negative_slope == 0.2
    assert get("relu").negative_slope is None


def test_frozen():
    a = get("relu")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.gain = 2.0  # type: ignore[misc]


def test_known_values():
    assert get("sigmoid").f(0.0) == 0.5
    assert get("sigmoid").df(0.0) == 0.25
    assert get("tanh").f(0.0) == 0.0
    assert get("tanh").df(0.0) == 1.0
    assert pytest.approx(1.6732632423543772, rel=1e-15) == SELU_ALPHA
    assert pytest.approx(1.0507009873554805, rel=1e-15) == SELU_SCALE
    assert get("selu").f(1.0) == pytest.approx(SELU_SCALE, rel=1e-15)
    assert get("selu").f(-1.0) == pytest.approx(SELU_SCALE * SELU_ALPHA * (math.exp(-1) - 1), 1e-15)
    assert get("elu").f(-1.0) == pytest.approx(math.exp(-1.0) - 1.0, rel=1e-15)
    assert get("gelu").f(1.0) == pytest.approx(0.8413447460685429, rel=1e-15)
    assert get("silu").f(1.0) == pytest.approx(1.0 / (1.0 + math.exp(-1.0)), rel=1e-15)
    assert get("softsign").f(1.0) == 0.5
    assert get("relu").f(-2.0) == 0.0
    assert get("relu").df(0.0) == 0.0  # PyTorch's convention at the kink
    np.testing.assert_array_equal(get("leaky_relu").f(np.array([-2.0, 3.0])), [-0.02, 3.0])


@pytest.mark.parametrize("a", ALL, ids=IDS)
def test_matches_reference(a):
    z = np.linspace(-30.0, 30.0, 6001)
    ref = REF[a.name]
    if a.name == "leaky_relu" and a.negative_slope != 0.01:
        s = a.negative_slope
        ref = lambda z: np.where(z > 0, z, s * z)  # noqa: E731
    # scipy's ndtr loses ~1e-13 relative accuracy in the far left tail (gelu at z < -20).
    rtol = 1e-12 if a.name == "gelu" else 1e-13
    np.testing.assert_allclose(a.f(z), ref(z), rtol=rtol, atol=1e-300)


@pytest.mark.parametrize("a", ALL, ids=IDS)
def test_df_matches_central_differences(a):
    h = 1e-6
    fd = (a.f(GRID + h) - a.f(GRID - h)) / (2 * h)
    # truncation h^2 |f'''| / 6 ~ 1e-12, rounding eps |f| / h ~ 1e-9
    np.testing.assert_allclose(a.df(GRID), fd, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("a", ALL, ids=IDS)
def test_d2f_matches_central_differences(a):
    h = 1e-6
    fd = (a.df(GRID + h) - a.df(GRID - h)) / (2 * h)
    np.testing.assert_allclose(a.d2f(GRID), fd, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("a", ALL, ids=IDS)
def test_shapes_and_dtype(a):
    z = np.arange(24.0).reshape(2, 3, 4) - 12.0
    for fn in (a.f, a.df, a.d2f):
        out = fn(z)
        assert out.shape == z.shape
        assert out.dtype == np.float64
        assert np.ndim(fn(0.5)) == 0
    x = z.copy()
    a.f(x)
    np.testing.assert_array_equal(x, z)  # inputs are not modified


EXTREMES = np.array([-np.inf, -1.7e308, -1e300, -1e200, -1e3, -50.0, 50.0, 1e3, 1e200, 1e300,
                     1.7e308, np.inf])  # fmt: skip

# Limits at -inf and +inf: (f, f').
LIMITS = {
    "linear": ((-np.inf, np.inf), (1.0, 1.0)),
    "sigmoid": ((0.0, 1.0), (0.0, 0.0)),
    "tanh": ((-1.0, 1.0), (0.0, 0.0)),
    "relu": ((0.0, np.inf), (0.0, 1.0)),
    "leaky_relu": ((-np.inf, np.inf), (0.01, 1.0)),
    "elu": ((-1.0, np.inf), (0.0, 1.0)),
    "selu": ((-SELU_SCALE * SELU_ALPHA, np.inf), (0.0, SELU_SCALE)),
    "gelu": ((0.0, np.inf), (0.0, 1.0)),
    "silu": ((0.0, np.inf), (0.0, 1.0)),
    "softsign": ((-1.0, 1.0), (0.0, 0.0)),
}


@pytest.mark.parametrize("a", ALL[:-1], ids=IDS[:-1])
def test_stable_at_extremes(a):
    # over/invalid/divide raise; underflow to 0 is the correct answer in the tails.
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        f = a.f(EXTREMES)
        df = a.df(EXTREMES)
        d2f = a.d2f(EXTREMES)
    assert not np.isnan(f).any()
    assert np.isfinite(df).all()
    assert np.isfinite(d2f).all()
    assert np.isfinite(f[1:-1]).all() or a.name in ("linear", "relu", "leaky_relu", "elu",
                                                     "selu", "gelu", "silu")  # fmt: skip
    (f_lo, f_hi), (d_lo, d_hi) = LIMITS[a.name]
    assert f[0] == f_lo
    assert f[-1] == f_hi
    assert df[0] == d_lo
    assert df[-1] == d_hi
    assert (np.abs(df) <= a.df_max * (1 + 1e-12)).all()
    # Finite huge inputs give finite outputs (no inf from an intermediate overflow), except
    # where the exact answer itself exceeds float64 (selu * 1.7e308).
    finite = f[1:-1]
    if a.name == "selu":
        finite = finite[np.abs(EXTREMES[1:-1]) < 1e308]
    assert np.isfinite(finite).all()


@pytest.mark.parametrize("a", ALL, ids=IDS)
def test_nan_propagates(a):
    assert np.isnan(a.f(np.nan))


@pytest.mark.parametrize(
    ("name", "gain"),
    [
        ("linear", 1.0),
        ("sigmoid", 1.0),
        ("tanh", 5.0 / 3.0),
        ("relu", math.sqrt(2.0)),
        ("leaky_relu", math.sqrt(2.0 / (1.0 + 0.01**2))),
        ("selu", 0.75),
    ],
)
def test_pytorch_gains_exact(name, gain):
    a = get(name)
    assert a.gain == gain
    assert a.gain_source == "pytorch"


def test_leaky_gain_with_slope():
    assert get("leaky_relu", negative_slope=0.2).gain == math.sqrt(2.0 / 1.04)
    assert get("leaky_relu", negative_slope=0.0).gain == math.sqrt(2.0)


@pytest.mark.parametrize("name", ["elu", "gelu", "silu", "softsign"])
def test_variance_preserving_gains(name):
    a = get(name)
    assert a.gain_source == "variance_preserving"
    ref = REF[name]

    def integrand(z):
        return ref(np.array(z)) ** 2 * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)

    m2 = sum(scipy.integrate.quad(integrand, lo, hi, epsabs=1e-14, epsrel=1e-13)[0]
             for lo, hi in [(-40, 0), (0, 40)])  # fmt: skip
    assert a.gain == pytest.approx(1.0 / math.sqrt(m2), rel=1e-11)


def test_saturating_flags():
    assert {a.name for a in ALL if a.saturating} == {"sigmoid", "tanh", "softsign"}


@pytest.mark.parametrize("a", ALL, ids=IDS)
def test_df_max(a):
    z = np.linspace(-20.0, 20.0, 400001)  # step 1e-4, contains 0, sqrt(2) to 1e-4 etc.
    z = np.concatenate([z, [-1e-12, np.sqrt(2.0), 2.3993572704632657]])
    m = np.abs(a.df(z)).max()
    assert m <= a.df_max * (1 + 1e-12)
    assert m == pytest.approx(a.df_max, rel=1e-9)


def test_df_max_values():
    assert get("sigmoid").df_max == 0.25
    assert get("selu").df_max == SELU_SCALE * SELU_ALPHA
    assert get("gelu").df_max == pytest.approx(1.128904145185155, rel=1e-14)


def test_gauss_hermite():
    x, w = gauss_hermite(101)
    assert x.shape == w.shape == (101,)
    assert w.sum() == pytest.approx(1.0, abs=1e-14)
    assert np.dot(w, x) == pytest.approx(0.0, abs=1e-14)
    assert np.dot(w, x**2) == pytest.approx(1.0, rel=1e-13)
    assert np.dot(w, x**4) == pytest.approx(3.0, rel=1e-13)
    assert np.dot(w, x**10) == pytest.approx(945.0, rel=1e-12)  # (10-1)!!
    assert np.dot(w, np.cos(x)) == pytest.approx(math.exp(-0.5), rel=1e-14)
    assert not x.flags.writeable
    assert not w.flags.writeable
    assert gauss_hermite(101)[0] is x
    x1, w1 = gauss_hermite(1)
    assert x1.tolist() == [0.0]
    assert w1[0] == pytest.approx(1.0)
    for bad in (0, -3, 2.5, True, "5"):
        with pytest.raises(ValueError, match="positive integer"):
            gauss_hermite(bad)  # type: ignore[arg-type]


def test_erf_erfc_against_scipy():
    tiny = np.geomspace(1e-300, 1e-3, 50)
    x = np.concatenate(
        [np.linspace(-27.0, 27.0, 54001), tiny, -tiny, [0.0, 0.46875, -0.46875, 4.0]]
    )
    ref = scipy.special.erfc(x)
    keep = ref > 1e-300  # scipy's own relative accuracy degrades in the subnormal tail
    np.testing.assert_allclose(act.erfc(x)[keep], ref[keep], rtol=1e-12, atol=0)
    np.testing.assert_allclose(act.erf(x), scipy.special.erf(x), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(act.normal_cdf(x), scipy.special.ndtr(x), rtol=1e-12, atol=1e-300)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        special = act.erfc(np.array([np.inf, -np.inf, 1e300, -1e300, 30.0]))
        assert special.tolist() == [0.0, 2.0, 0.0, 2.0, 0.0]
        assert act.erf(np.array([np.inf, -np.inf])).tolist() == [1.0, -1.0]
        assert np.isnan(act.erfc(np.nan))


def test_erfc_far_tail_against_mpmath():
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    for v in (0.3, 1.7, 4.5, 9.9, 15.0, 22.7, 26.0):
        assert act.erfc(v) == pytest.approx(float(mp.erfc(v)), rel=1e-14)


def test_gains_agree_with_initializers_table():
    init = pytest.importorskip("core.initializers")
    for n in ("linear", "sigmoid", "tanh", "relu", "selu"):
        assert init.calculate_gain(n) == pytest.approx(get(n).gain, rel=1e-15)
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        get("leaky_relu", negative_slope=0.2).gain, rel=1e-15
    )
