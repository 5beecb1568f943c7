"""Unit tests of explorer.lessons.network_types (called directly, no AppTest)."""

import math

import numpy as np
import pandas as pd
import pytest

from core import initializers
from explorer import experiments as E
from explorer.lessons import network_types as N
from explorer.state import Net

ORTHO1 = (("gain", 1.0),)


def label(init):
    return initializers.REGISTRY[init].label


# ---------------------------------------------------------------- spectrum sizes and series


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((10, 64), (10, 64)),
        ((24, 256), (24, 256)),  # exactly the budget 2 x 256^3 x 12
        ((12, 512), (12, 256)),  # capped at 256
        ((25, 256), (25, 128)),
        ((100, 256), (100, 128)),
        ((10000, 64), (10000, 32)),  # never below 32
        ((1, 8), (1, 8)),
    ],
)
def test_spectrum_size(size, expected):
    d, w = N.spectrum_size(*size)
    assert (d, w) == expected
    assert w <= 32 or d * w**3 <= N.SPECTRUM_BUDGET_MACS


@pytest.mark.parametrize(
    ("init", "params", "width", "expected"),
    [
        ("he_normal", (), 16, 2.0),
        ("glorot_normal", (), 16, 1.0),
        ("small_random", (), 64, 64e-4),
        ("orthogonal", (("gain", 3.0),), 16, 9.0),
        ("zeros", (), 16, 1.0),  # 0 -> 1
    ],
)
def test_comparison_sigma_w2(init, params, width, expected):
    assert N.comparison_sigma_w2(init, params, width) == pytest.approx(expected)


def test_spectrum_series_iid_user_gets_orthogonal_only():
    series = N.spectrum_series("tanh", "he_normal", (), 16)
    assert series == (
        (label("he_normal"), "he_normal", ()),
        (label("orthogonal"), "orthogonal", (("gain", math.sqrt(2.0)),)),
    )


def test_spectrum_series_orthogonal_user_dedupes():
    series = N.spectrum_series("tanh", "orthogonal", ORTHO1, 16)
    assert [s[1] for s in series] == ["orthogonal", "normal"]
    assert series[0] == (label("orthogonal"), "orthogonal", ORTHO1)
    assert series[1] == ("Gaussian N(0, 1/n)", "normal", (("std", 0.25),))


def test_spectrum_series_constant_same_sigma():
    series = N.spectrum_series("tanh", "constant", (("value", 0.1),), 16)
    # sigma_w2 = 16 x 0.01 = 0.16: gain 0.4, Gaussian std 0.4 / 4
    assert series[1] == (label("orthogonal"), "orthogonal", (("gain", pytest.approx(0.4)),))
    assert series[2][0] == "Gaussian N(0, 0.16/n)"
    assert series[2][2][0][1] == pytest.approx(0.1)


def test_spectrum_series_gain_capped():
    series = N.spectrum_series("tanh", "large_random", (), 256)  # sigma_w2 = 256: gain 16
    assert dict(series[1][2])["gain"] == 10.0


def test_spectrum_series_labels_unique():
    series = N.spectrum_series("tanh", "orthogonal", (("gain", 2.0),), 16)
    labels = [s[0] for s in series]
    assert len(set(labels)) == len(labels)


def test_spectrum_series_zeros_uses_critical_value():
    series = N.spectrum_series("relu", "zeros", (), 16)
    assert dict(series[1][2])["gain"] == pytest.approx(math.sqrt(2.0))


# ---------------------------------------------------------------- jacobian_spectra


@pytest.fixture(scope="module")
def linear_spectra():
    series = (
        (label("glorot_normal"), "glorot_normal", ORTHO1),
        (label("orthogonal"), "orthogonal", ORTHO1),
    )
    return N.jacobian_spectra("linear", series, 6, 32, 0)


def test_jacobian_spectra_layout(linear_spectra):
    hist, summary = linear_spectra
    assert list(hist.columns) == ["series", "log10_sv", "density"]
    assert len(hist) == 2 * N.SPECTRUM_BINS
    np.testing.assert_allclose(hist.groupby("series")["density"].sum(), 1.0)
    assert list(summary.columns) == [
        "series",
        "init",
        "sigma_w2",
        "spread",
        "zero_fraction",
        "log10_max",
        "log10_mean_sq",
        "predicted_log10_mean_sq",
        "theory_applies",
        "chi1",
        "overflow_layer",
    ]
    # bins shared by all series
    centres = hist.groupby("series", sort=False)["log10_sv"].apply(list).tolist()
    assert centres[0] == centres[1]


def test_jacobian_spectra_orthogonal_linear_is_isometric(linear_spectra):
    _, summary = linear_spectra
    ortho = summary.iloc[1]
    assert ortho["spread"] == pytest.approx(0.0, abs=1e-9)
    assert ortho["log10_max"] == pytest.approx(0.0, abs=1e-9)
    assert ortho["log10_mean_sq"] == pytest.approx(0.0, abs=1e-9)
    assert ortho["zero_fraction"] == 0.0
    assert ortho["chi1"] == pytest.approx(1.0)
    assert ortho["overflow_layer"] == -1
    assert bool(ortho["theory_applies"]) is True


def test_jacobian_spectra_gaussian_spreads_same_mean(linear_spectra):
    # Same chi_1 = 1, same mean squared singular value (prediction 10^0), but the product of
    # Gaussian matrices spreads its spectrum over decades (Pennington et al. 2017).
    _, summary = linear_spectra
    gauss, ortho = summary.iloc[0], summary.iloc[1]
    assert gauss["predicted_log10_mean_sq"] == pytest.approx(0.0, abs=1e-9)
    # (1/n)||J||_F^2 fluctuates by ~ sqrt(2)/n per layer (0.044 at n = 32), ~0.1 relative
    # over 6 layers: 0.15 decades is > 3 SE
    assert gauss["log10_mean_sq"] == pytest.approx(0.0, abs=0.15)
    assert gauss["spread"] > 1.0
    assert gauss["spread"] > ortho["spread"] + 1.0


def test_jacobian_spectra_zero_weights():
    hist, summary = N.jacobian_spectra("tanh", (("Z", "zeros", ()),), 3, 8, 0)
    row = summary.iloc[0]
    assert row["zero_fraction"] == 1.0
    assert math.isnan(row["spread"])
    assert math.isnan(row["log10_max"])
    assert row["sigma_w2"] == 0.0
    assert bool(row["theory_applies"]) is True
    assert len(hist) == N.SPECTRUM_BINS
    assert (hist["density"] == 0).all()  # no finite singular value to place


@pytest.mark.parametrize(
    ("init", "params", "applies"),
    [
        ("constant", (("value", 0.1),), False),
        ("identity", ORTHO1, False),
        ("zeros", (), True),
        ("he_normal", ORTHO1, True),
    ],
)
def test_jacobian_spectra_theory_applies(init, params, applies):
    _, summary = N.jacobian_spectra("tanh", (("S", init, params),), 2, 8, 0)
    assert bool(summary["theory_applies"].iloc[0]) is applies


def test_jacobian_spectra_constant_loses_rank():
    _, summary = N.jacobian_spectra("tanh", (("C", "constant", (("value", 0.1),)),), 3, 16, 0)
    # a constant matrix has rank 1: all but one singular value are numerically zero
    assert summary["zero_fraction"].iloc[0] == pytest.approx(15 / 16)


# ---------------------------------------------------------------- RNN


@pytest.mark.parametrize(
    ("size", "expected"),
    [((50, 64), (64, 32)), ((200, 512), (256, 8)), ((10, 8), (8, 32)), ((100, 128), (128, 32))],
)
def test_rnn_size(size, expected):
    hidden, batch = N.rnn_size(*size)
    assert (hidden, batch) == expected
    assert batch & (batch - 1) == 0


def test_rnn_size_budget():
    # 6 x 128^2 x 500 x 16 = 7.9e8 > 4e8 >= 6 x 128^2 x 500 x 8: batch 8
    assert N.rnn_size(500, 128) == (128, 8)
    assert N.rnn_size(200, 128) == (128, 16)


def test_rnn_series():
    series = N.rnn_series("he_normal", ())
    assert series == (
        (label("he_normal"), "he_normal", ()),
        ("Orthogonal", "orthogonal", ORTHO1),
        ("Orthogonal (gain 0.9)", "orthogonal", (("gain", 0.9),)),
        ("Orthogonal (gain 1.1)", "orthogonal", (("gain", 1.1),)),
        ("Identity", "identity", ORTHO1),
        (label("glorot_normal"), "glorot_normal", ORTHO1),
    )


def test_rnn_series_dedupes_user_orthogonal():
    series = N.rnn_series("orthogonal", ORTHO1)
    assert [s[0] for s in series] == [
        "Orthogonal",
        "Orthogonal (gain 0.9)",
        "Orthogonal (gain 1.1)",
        "Identity",
        label("glorot_normal"),
    ]
    series = N.rnn_series("orthogonal", (("gain", 2.0),))
    assert series[0][0] == "Orthogonal (gain 2)"
    assert len(series) == 6


@pytest.fixture(scope="module")
def rnn_linear():
    return N.rnn_through_time("linear", N.rnn_series("he_normal", ()), 20, 16, 0)


SUMMARY_RNN = [
    "series",
    "init",
    "gain",
    "spectral_radius",
    "sigma_max",
    "grad_first",
    "grad_last",
    "ratio",
    "overflow_step",
]


def test_rnn_through_time_layout(rnn_linear):
    frame, summary = rnn_linear
    assert list(frame.columns) == ["series", "layer", "grad_std"]
    assert list(summary.columns) == SUMMARY_RNN
    assert len(frame) == 6 * 20
    assert (
        frame.groupby("series", sort=False)["layer"].apply(list).tolist()
        == [list(range(1, 21))] * 6
    )
    assert math.isnan(summary["gain"].iloc[0])  # he_normal has no gain in these params
    assert (summary["overflow_step"] == -1).all()
    np.testing.assert_allclose(summary["ratio"], summary["grad_first"] / summary["grad_last"])


def test_rnn_linear_orthogonal_gain_powers(rnn_linear):
    _, summary = rnn_linear
    for gain in (0.9, 1.0, 1.1):
        row = N.orthogonal_row(summary, gain)
        assert row["spectral_radius"] == pytest.approx(gain, rel=1e-9)
        assert row["sigma_max"] == pytest.approx(gain, rel=1e-9)
        # dL/dz_1 = g (W^T)^19: an orthogonal W keeps the RMS exactly, so the std scales as
        # gain^19 up to the mean term of 8 x 16 entries (< 2 %)
        assert row["ratio"] == pytest.approx(gain**19, rel=0.02)
    identity = summary[summary["init"] == "identity"].iloc[0]
    assert identity["ratio"] == pytest.approx(
        1.0, rel=1e-12
    )  # W = I: the gradient reaches step 1 unchanged


def test_rnn_linear_shortcut_equals_probe(rnn_linear):
    # the docstring's claim: the direct computation gives the probe's numbers
    frame, _ = rnn_linear
    hidden, batch = N.rnn_size(20, 16)
    for lab, init, params in N.rnn_series("he_normal", ()):
        stats = E.layer_stats(Net("rnn", "linear", 20, hidden, 0), init, params, batch=batch)
        got = frame[frame["series"] == lab]["grad_std"].to_numpy()
        np.testing.assert_allclose(got, stats.grad_std, rtol=1e-9)


def test_rnn_through_time_tanh():
    series = N.rnn_series("he_normal", ())[:3]
    frame, summary = N.rnn_through_time("tanh", series, 10, 16, 0)
    hidden, batch = N.rnn_size(10, 16)
    stats = E.layer_stats(Net("rnn", "tanh", 10, hidden, 0), "he_normal", (), batch=batch)
    np.testing.assert_array_equal(frame["grad_std"].iloc[:10], stats.grad_std)
    assert (summary["overflow_step"] == -1).all()
    # tanh' <= 1: the gradient cannot grow faster than sigma_max per step
    ortho = N.orthogonal_row(summary, 1.0)
    assert ortho["ratio"] <= 1.0


def test_orthogonal_row_missing():
    summary = pd.DataFrame({"init": ["orthogonal"], "gain": [1.0]})
    assert N.orthogonal_row(summary, 1.0 + 1e-12)["gain"] == 1.0
    with pytest.raises(IndexError):
        N.orthogonal_row(summary, 0.9)


def test_rnn_export_frame():
    user = pd.DataFrame({"series": ["a"], "layer": [1], "grad_std": [0.5]})
    linear = pd.DataFrame({"series": ["a"], "layer": [1], "grad_std": [0.7]})
    out = N.rnn_export_frame(user, linear, "tanh")
    assert list(out.columns) == ["series", "layer", "grad_std", "activation"]
    assert out["activation"].tolist() == ["tanh", "linear"]
    assert out["grad_std"].tolist() == [0.5, 0.7]
    out = N.rnn_export_frame(user, linear, "linear")
    assert out["activation"].tolist() == ["linear"]
    assert out["grad_std"].tolist() == [0.5]
    assert "activation" not in user.columns


# ---------------------------------------------------------------- CNN


@pytest.mark.parametrize(
    ("depth", "channels", "side"),
    [(3, 8, 16), (10, 64, 16), (20, 64, 8), (50, 64, 8), (1, 2, 16)],
)
def test_cnn_size(depth, channels, side):
    assert N.cnn_size(depth, channels) == side


@pytest.mark.parametrize("kernel", [1, 3, 5])
def test_cnn_fan_table(kernel):
    table = N.cnn_fan_table(8, kernel)
    assert list(table.columns) == [
        "scheme",
        "fan_in_dense",
        "fan_in_conv",
        "std_dense",
        "std_conv",
        "ratio",
        "variance_growth",
    ]
    assert table["scheme"].tolist() == [
        label("lecun_normal"),
        label("glorot_normal"),
        label("he_normal"),
    ]
    assert (table["fan_in_dense"] == 8).all()
    assert (table["fan_in_conv"] == 8 * kernel**2).all()
    # square conv layer: fan_in and fan_out both grow by kernel^2, so std by kernel
    np.testing.assert_allclose(table["ratio"], kernel, rtol=1e-12)
    np.testing.assert_allclose(table["variance_growth"], kernel**2, rtol=1e-12)
    assert table["std_conv"].iloc[2] == pytest.approx(math.sqrt(2 / (8 * kernel**2)))


@pytest.mark.parametrize(
    ("activation", "init", "params", "expected"),
    [
        (
            "relu",
            "he_normal",
            ORTHO1,
            [
                (label("he_normal"), "he_normal", ORTHO1),
                (label("delta_orthogonal"), "delta_orthogonal", (("gain", math.sqrt(2)),)),
                ("3×3 forgotten (fan = c)", "normal", (("std", 0.5),)),
            ],
        ),
        (
            "tanh",
            "delta_orthogonal",
            ORTHO1,
            [(label("delta_orthogonal"), "delta_orthogonal", ORTHO1)],
        ),
        (
            "relu",
            "orthogonal",
            ORTHO1,
            [
                (label("orthogonal"), "orthogonal", ORTHO1),
                (label("delta_orthogonal"), "delta_orthogonal", (("gain", math.sqrt(2)),)),
            ],
        ),
        (
            # sigmoid's edge at zero bias (~103) needs gain 10.15 > the largest allowed 10:
            # gain 10 (chi1 = 0.986 there, critical within tolerance)
            "sigmoid",
            "lecun_normal",
            ORTHO1,
            [
                (label("lecun_normal"), "lecun_normal", ORTHO1),
                (label("delta_orthogonal"), "delta_orthogonal", (("gain", 10.0),)),
                ("3×3 forgotten (fan = c)", "normal", (("std", pytest.approx(math.sqrt(1 / 8))),)),
            ],
        ),
    ],
)
def test_cnn_series(activation, init, params, expected):
    series = N.cnn_series(activation, init, params, 8)
    assert len(series) == len(expected)
    for got, want in zip(series, expected, strict=True):
        assert got[0] == want[0]
        assert got[1] == want[1]
        assert dict(got[2]) == dict(want[2])


def test_cnn_layer_stats_forgotten_fan_explodes():
    series = N.cnn_series("relu", "he_normal", ORTHO1, 8)
    frame = N.cnn_layer_stats("relu", series, 3, 8, 0)
    assert list(frame.columns) == list(E.STATS_COLUMNS)
    assert frame["series"].tolist() == [s[0] for s in series for _ in range(3)]
    summary = N.series_summary(frame).set_index("series")
    # He on the right fan keeps the std; the dense fan (8 instead of 72) multiplies the
    # variance by 9 per layer: std x3. ReLU's shared mean makes the per-layer factor noisy
    # (relative std ~ 0.06 at fan_in 72): 25 % covers 3 SE over 2 ratios.
    assert summary.loc["3×3 forgotten (fan = c)", "act_factor"] == pytest.approx(3.0, rel=0.25)
    assert summary.loc[label("he_normal"), "act_factor"] == pytest.approx(1.0, abs=0.25)


def test_cnn_layer_stats_uses_cnn_size_images():
    frame = N.cnn_layer_stats("tanh", ((label("he_normal"), "he_normal", ORTHO1),), 2, 4, 0)
    assert len(frame) == 2
    assert frame["nonfinite_act"].sum() == 0


# ---------------------------------------------------------------- residual


def test_residual_compare():
    frame = N.residual_compare(Net("mlp", "relu", 4, 16, 0), "he_normal", ORTHO1, 0.5)
    assert list(frame.columns) == list(E.STATS_COLUMNS)
    assert frame["series"].tolist() == ["Plain MLP"] * 4 + ["Residual, α = 0.5"] * 4
    plain = E.layer_stats(Net("mlp", "relu", 4, 16, 0), "he_normal", ORTHO1)
    np.testing.assert_array_equal(frame["act_std"].iloc[:4], plain.act_std)
    res = frame[frame["series"] == "Residual, α = 0.5"]["act_std"].to_numpy()
    # x + alpha f(W x): every block adds variance, the std only grows
    assert np.all(np.diff(res) > 0)


def test_residual_compare_alpha_zero_is_identity():
    frame = N.residual_compare(Net("mlp", "tanh", 4, 16, 0), "he_normal", ORTHO1, 0.0)
    res = frame[frame["series"] == "Residual, α = 0"]["act_std"].to_numpy()
    np.testing.assert_array_equal(res, res[0])  # the branch is switched off


# ---------------------------------------------------------------- LSUV


@pytest.mark.parametrize(
    ("network", "depth", "width", "expected"),
    [
        ("rnn", 30, 200, ("mlp", 20, 128)),
        ("mlp", 5, 16, ("mlp", 5, 16)),
        ("cnn", 5, 64, ("cnn", 5, 32)),
        ("cnn", 60, 16, ("cnn", 20, 16)),
        ("resmlp", 4, 1024, ("resmlp", 4, 128)),
    ],
)
def test_lsuv_size(network, depth, width, expected):
    assert N.lsuv_size(network, depth, width) == expected


@pytest.mark.parametrize(("kind", "width"), [("mlp", 16), ("resmlp", 16), ("cnn", 4)])
def test_lsuv_compare(kind, width):
    report, std = N.lsuv_compare(Net(kind, "tanh", 3, width, 0), "small_random", ())
    assert list(report.columns) == [
        "layer",
        "name",
        "iterations",
        "variance_before",
        "variance_after",
        "converged",
    ]
    n = len(report)
    assert report["layer"].tolist() == list(range(1, n + 1))
    assert report["name"].iloc[-1] == "output"
    assert report["converged"].all()
    assert list(std.columns) == ["series", "layer", "preact_std"]
    assert std["series"].tolist() == [label("small_random")] * n + ["LSUV"] * n
    before = std[std["series"] != "LSUV"]["preact_std"].to_numpy()
    after = std[std["series"] == "LSUV"]["preact_std"].to_numpy()
    # small random weights vanish layer by layer in a plain net (a residual net's skip path
    # keeps the signal of its input projection); LSUV rescales every layer to unit variance
    if kind == "resmlp":
        assert before[-1] < 1e-2
    else:
        assert np.all(np.diff(before) < 0)
        assert before[-1] < 1e-3
    np.testing.assert_allclose(after[1:], 1.0, rtol=0.1)
    np.testing.assert_allclose(report["variance_after"], 1.0, rtol=0.1)


def test_lsuv_compare_deterministic():
    a = N.lsuv_compare(Net("mlp", "relu", 3, 8, 1), "he_normal", ORTHO1)
    b = N.lsuv_compare(Net("mlp", "relu", 3, 8, 1), "he_normal", ORTHO1)
    pd.testing.assert_frame_equal(a[1], b[1])


# ---------------------------------------------------------------- series_summary


def test_series_summary():
    frame = pd.DataFrame(
        {
            "series": ["b", "b", "b", "a", "a"],
            "act_std": [1.0, 2.0, 4.0, 3.0, 3.0],
            "grad_std": [8.0, 4.0, 2.0, 1.0, 0.0],
        }
    )
    out = N.series_summary(frame)
    assert list(out.columns) == ["series", "act_last", "act_factor", "grad_ratio"]
    assert out["series"].tolist() == ["b", "a"]  # order of appearance
    assert out["act_last"].tolist() == [4.0, 3.0]
    assert out["act_factor"].tolist() == pytest.approx([2.0, 1.0])
    assert out["grad_ratio"].iloc[0] == 4.0
    assert math.isnan(out["grad_ratio"].iloc[1])  # last gradient 0


def test_series_summary_overflow():
    frame = pd.DataFrame(
        {"series": ["x"] * 3, "act_std": [1.0, 1e200, np.inf], "grad_std": [np.inf, 1.0, 1.0]}
    )
    row = N.series_summary(frame).iloc[0]
    assert math.isinf(row["act_last"])
    assert math.isnan(row["act_factor"])
    assert math.isinf(row["grad_ratio"])


def test_series_summary_empty():
    out = N.series_summary(pd.DataFrame(columns=["series", "act_std", "grad_std"]))
    assert out.empty
