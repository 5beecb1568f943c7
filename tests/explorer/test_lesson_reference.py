"""Unit tests of explorer.lessons.reference (called directly, no AppTest)."""

import math

import numpy as np
import pytest

from core import activations, initializers
from explorer.lessons import reference as R

# ---------------------------------------------------------------- parse_shape


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3,3,64,128", (3, 3, 64, 128)),
        ("(256, 128)", (256, 128)),
        ("[3 3 64 128]", (3, 3, 64, 128)),
        ("256x128", (256, 128)),
        ("256 X 128", (256, 128)),
        ("3×3×8×16", (3, 3, 8, 16)),
        ("2*3", (2, 3)),
        ("  1,1  ", (1, 1)),
        ("1,2,3,4,5", (1, 2, 3, 4, 5)),
        ("1000000,1", (1_000_000, 1)),
        ("007, 8", (7, 8)),
    ],
)
def test_parse_shape_accepts(text, expected):
    assert R.parse_shape(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "got 0"),
        ("64", "got 1"),
        ("1,2,3,4,5,6", "got 6"),
        ("0,3", "between 1 and"),
        ("1000001,2", "between 1 and"),
        ("3.5,2", "whole numbers"),
        ("-1,2", "whole numbers"),
        ("a,b", "whole numbers"),
        ("__import__('os').system('x')", "whole numbers"),
        ("1," * 41, "longer than 80"),
    ],
)
def test_parse_shape_rejects(text, message):
    with pytest.raises(ValueError, match=message):
        R.parse_shape(text)


def test_parse_shape_length_limit_is_inclusive():
    text = "1," * 40  # exactly 80 characters: passes the length check, fails on the rank
    assert len(text) == R.SHAPE_MAX_TEXT
    with pytest.raises(ValueError, match="got 40"):
        R.parse_shape(text)


# ---------------------------------------------------------------- default_shape / fans_of


@pytest.mark.parametrize(
    ("network", "width", "expected"),
    [("mlp", 64, (64, 64)), ("resmlp", 8, (8, 8)), ("rnn", 16, (16, 16)), ("cnn", 8, (3, 3, 8, 8))],
)
def test_default_shape(network, width, expected):
    assert R.default_shape(network, width) == expected


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((256, 128), (256, 128, 1)),
        ((3, 3, 8, 16), (72, 144, 9)),
        ((5, 2, 3, 4), (30, 40, 10)),
        ((7, 1, 1), (7, 7, 7)),
    ],
)
def test_fans_of(shape, expected):
    assert R.fans_of(shape) == expected


# ---------------------------------------------------------------- catalogue_frame

CATALOGUE_COLUMNS = [
    "initializer",
    "key",
    "family",
    "fan convention",
    "parameters",
    "formula (LaTeX)",
    "designed for",
    "reference",
    "link",
    "PyTorch",
    "Keras",
    "JAX",
]


def test_catalogue_frame():
    frame = R.catalogue_frame()
    assert list(frame.columns) == CATALOGUE_COLUMNS
    assert frame["key"].tolist() == list(initializers.REGISTRY)
    by_key = frame.set_index("key")
    assert by_key.loc["zeros", "parameters"] == "none"
    assert by_key.loc["normal", "parameters"] == "std = 0.05"
    assert by_key.loc["variance_scaling", "parameters"] == (
        "scale = 1, mode = fan_in, distribution = truncated_normal"
    )
    assert by_key.loc["he_normal", "fan convention"] == R.FAN_CONVENTIONS["fan_in"]
    assert by_key.loc["glorot_uniform", "fan convention"] == R.FAN_CONVENTIONS["fan_avg"]
    assert by_key.loc["variance_scaling", "fan convention"] == R.FAN_CONVENTIONS["mode"]
    assert by_key.loc["he_normal", "family"] == "variance scaling"  # underscore replaced
    assert by_key.loc["he_normal", "initializer"] == initializers.REGISTRY["he_normal"].label
    assert (frame["formula (LaTeX)"].str.len() > 0).all()


# ---------------------------------------------------------------- calculator_frame

CALC_COLUMNS = [
    "initializer",
    "key",
    "parameters",
    "distribution",
    "std",
    "variance",
    "uniform bound",
    "truncated at",
    "sigma_w2",
    "note",
]


def test_calculator_frame_dense():
    frame = R.calculator_frame((64, 64), "normal", (("std", 0.5),))
    assert list(frame.columns) == CALC_COLUMNS
    assert frame["key"].tolist() == list(initializers.REGISTRY)
    f = frame.set_index("key")
    assert f.loc["normal", "initializer"].endswith(" (yours)")
    assert f.loc["normal", "parameters"] == "std = 0.5"
    assert f.loc["normal", "std"] == 0.5
    assert f.loc["he_normal", "sigma_w2"] == pytest.approx(2.0)
    assert f.loc["lecun_normal", "sigma_w2"] == pytest.approx(1.0)
    assert f.loc["glorot_normal", "sigma_w2"] == pytest.approx(1.0)
    assert f.loc["small_random", "sigma_w2"] == pytest.approx(64e-4)
    assert f.loc["large_random", "sigma_w2"] == pytest.approx(64.0)
    assert f.loc["identity", "note"] == ""
    assert f.loc["delta_orthogonal", "note"] == "needs a conv kernel (rank 3 to 5)"
    assert math.isnan(f.loc["delta_orthogonal", "std"])
    assert f.loc["delta_orthogonal", "distribution"] == "n/a"
    np.testing.assert_allclose(frame["variance"], frame["std"] ** 2)
    np.testing.assert_allclose(frame["sigma_w2"], 64 * frame["variance"])
    # a uniform U(-a, a) has std a / sqrt(3)
    uniform = frame[frame["distribution"] == "uniform"]
    assert len(uniform) >= 4
    np.testing.assert_allclose(uniform["uniform bound"], math.sqrt(3) * uniform["std"])
    assert f.loc["variance_scaling", "truncated at"] > f.loc["variance_scaling", "std"]
    assert math.isnan(f.loc["he_normal", "uniform bound"])


def test_calculator_frame_conv_and_notes():
    frame = R.calculator_frame((3, 3, 16, 8), "he_normal", (("gain", 2.0),))
    f = frame.set_index("key")
    assert f.loc["identity", "note"] == "needs a 2-D (dense) weight"
    assert math.isnan(f.loc["identity", "sigma_w2"])
    assert f.loc["delta_orthogonal", "note"] == "needs c_in ≤ c_out"
    # fan_in = 9 * 16 = 144; He with gain 2: Var = 4 * 2 / 144
    assert f.loc["he_normal", "variance"] == pytest.approx(8 / 144)
    assert f.loc["he_normal", "sigma_w2"] == pytest.approx(8.0)
    assert f.loc["he_uniform", "sigma_w2"] == pytest.approx(2.0)  # defaults for the others
    assert f.loc["he_normal", "parameters"] == "gain = 2"
    ok = frame[frame["note"] == ""]
    assert ok["std"].notna().all()


def test_calculator_frame_conv_delta_orthogonal_applies_when_cin_le_cout():
    f = R.calculator_frame((3, 3, 8, 16), "zeros", ()).set_index("key")
    assert f.loc["delta_orthogonal", "note"] == ""
    assert f.loc["zeros", "std"] == 0.0
    assert f.loc["zeros", "parameters"] == "none"


# ---------------------------------------------------------------- gain_frame


def test_gain_frame():
    frame = R.gain_frame(0.2)
    assert list(frame.columns) == [
        "nonlinearity",
        "calculate_gain",
        "formula",
        "app gain",
        "source",
    ]
    assert frame["nonlinearity"].is_unique
    names = list(initializers.NONLINEARITIES) + [
        n for n in activations.NAMES if n not in initializers.NONLINEARITIES
    ]
    assert frame["nonlinearity"].tolist() == names
    f = frame.set_index("nonlinearity")
    assert f.loc["tanh", "calculate_gain"] == pytest.approx(5 / 3)
    assert f.loc["relu", "calculate_gain"] == pytest.approx(math.sqrt(2))
    assert f.loc["leaky_relu", "calculate_gain"] == pytest.approx(math.sqrt(2 / 1.04))
    assert f.loc["selu", "calculate_gain"] == pytest.approx(0.75)
    assert f.loc["sigmoid", "calculate_gain"] == 1.0
    assert f.loc["tanh", "formula"] == "5/3"
    assert f.loc["conv2d", "formula"] == "1"
    assert math.isnan(f.loc["conv2d", "app gain"])
    assert f.loc["conv2d", "source"] == ""
    for name in activations.NAMES:
        if name not in initializers.NONLINEARITIES:
            assert math.isnan(f.loc[name, "calculate_gain"])
            assert f.loc[name, "app gain"] > 0


def test_gain_frame_default_slope():
    f = R.gain_frame().set_index("nonlinearity")
    assert f.loc["leaky_relu", "calculate_gain"] == pytest.approx(math.sqrt(2 / (1 + 1e-4)))


# ---------------------------------------------------------------- sigma_vs_fan_frame


def test_sigma_vs_fan_frame_square():
    frame = R.sigma_vs_fan_frame(1.0, "normal", (("std", 0.3),), max_fan=64)
    assert list(frame.columns) == ["series", "fan_in", "fan_out", "std"]
    labels = [initializers.REGISTRY[n].label for n in (*R.SIGMA_SWEEP_INITS, "normal")]
    assert list(dict.fromkeys(frame["series"])) == labels
    assert len(frame) == len(labels) * 7  # fans 1 .. 64
    f = frame.set_index(["series", "fan_in"])["std"]
    he, lecun = (
        initializers.REGISTRY["he_normal"].label,
        initializers.REGISTRY["lecun_normal"].label,
    )
    for n in (1, 2, 4, 8, 16, 32, 64):
        assert f[(he, n)] == pytest.approx(math.sqrt(2 / n))
        assert f[(lecun, n)] == pytest.approx(math.sqrt(1 / n))
        assert f[(initializers.REGISTRY["normal"].label, n)] == 0.3
    # sigma falls with fan_in for fan-based schemes, constant for the fixed ones
    for label in (he, lecun):
        assert np.all(np.diff(frame.loc[frame["series"] == label, "std"]) < 0)


def test_sigma_vs_fan_frame_ratio_and_exclusions():
    frame = R.sigma_vs_fan_frame(0.25, "zeros", (), max_fan=8)
    assert frame["fan_out"].tolist()[:4] == [1, 1, 1, 2]  # max(1, round(n / 4))
    assert initializers.REGISTRY["zeros"].label not in set(frame["series"])
    assert len(frame) == len(R.SIGMA_SWEEP_INITS) * 4
    frame = R.sigma_vs_fan_frame(2.0, "delta_orthogonal", (), max_fan=4)
    assert initializers.REGISTRY["delta_orthogonal"].label not in set(frame["series"])
    glorot = frame[frame["series"] == initializers.REGISTRY["glorot_normal"].label]
    np.testing.assert_allclose(glorot["std"], np.sqrt(2 / (3 * glorot["fan_in"])))


def test_sigma_vs_fan_frame_user_params_override_a_sweep_scheme():
    frame = R.sigma_vs_fan_frame(1.0, "he_normal", (("gain", 2.0),), max_fan=4)
    he = frame[frame["series"] == initializers.REGISTRY["he_normal"].label]
    assert len(he) == 3  # not duplicated
    np.testing.assert_allclose(he["std"], 2 * np.sqrt(2 / he["fan_in"]))
