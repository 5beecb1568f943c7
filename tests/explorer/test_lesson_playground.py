"""Unit tests of explorer.lessons.playground (called directly, no AppTest).

The URL handling (parse_playground, PLAYGROUND_QUERY_KEYS, PlaygroundSettings.to_query) is
being moved by another engineer and is not tested here.
"""

import json
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from core import datasets, initializers
from explorer import state
from explorer.lessons import playground as P
from explorer.state import Net
from tests.expected_columns import PLAYGROUND_HISTORY


def label(init):
    return initializers.REGISTRY[init].label


def settings(dataset="moons", inits=("he_normal", "small_random"), steps=50, batch=64, **kw):
    values = {
        "optimizer": "sgd",
        "lr": 0.1,
        "clip": 0.0,
        "depth": 2,
        "width": 8,
        "length": 20,
    } | kw
    return P.PlaygroundSettings(
        dataset=dataset, inits=tuple(inits), steps=steps, batch=batch, **values
    )


def fake_run(
    label_="A",
    *,
    step=(0, 1, 2, 3),
    loss=(1.0, 0.5, 0.25, 0.125),
    score=(0.5, 0.6, 0.8, 0.9),
    grad_norm=None,
    layer_names=("layer 1", "output"),
    diverged_at=None,
    task="classification",
    final_score=0.9,
    seconds=1.5,
    n_clipped=0,
    init="he_normal",
):
    step = np.asarray(step)
    loss = np.asarray(loss, dtype=float)
    if grad_norm is None:
        grad_norm = np.ones((len(step), len(layer_names)))
    history = SimpleNamespace(
        step=step,
        loss=loss,
        grad_norm=np.asarray(grad_norm, dtype=float),
        layer_names=tuple(layer_names),
        diverged_at=diverged_at,
        final_loss=float(loss[-1]) if loss.size else math.nan,
        n_clipped=n_clipped,
        steps_run=int(step[-1]) + 1 if len(step) else 0,
        collapsed_at=None,
        peak_loss=float(np.nanmax(np.where(np.isfinite(loss), loss, np.nan)))
        if np.isfinite(loss).any()
        else math.nan,
    )
    return P.PlaygroundRun(
        init=init,
        label=label_,
        init_params=(("gain", 1.0),),
        history=history,
        score=np.asarray(score, dtype=float),
        final_score=final_score,
        grid=None,
        seconds=seconds,
        task=task,
        baseline=math.log(2),
    )


# ---------------------------------------------------------------- data sets and defaults


def test_reexports():
    assert P.DATASETS is datasets.DATASETS
    assert P.n_outputs_of("moons") == 2
    assert "he_normal" in P.supported_inits("mlp")


@pytest.mark.parametrize(("dataset", "expected"), [("adding", 100), ("moons", 0), ("shapes", 0)])
def test_playground_length_max(dataset, expected):
    assert state.playground_length_max(dataset) == expected


def test_playground_length_max_never_beyond_limit():
    for name in datasets.DATASETS:
        assert 0 <= state.playground_length_max(name) <= state.PLAYGROUND_LENGTH_MAX


@pytest.mark.parametrize("network", ["mlp", "cnn", "rnn", "resmlp"])
def test_playground_datasets(network):
    names = state.playground_datasets(network)
    assert names == tuple(n for n, s in datasets.DATASETS.items() if network in s.kinds)
    assert P.PLAYGROUND_PRESETS[network].dataset in names


def test_playground_datasets_values():
    assert state.playground_datasets("cnn") == ("shapes",)
    assert state.playground_datasets("rnn") == ("adding", "parity")
    assert "moons" in state.playground_datasets("mlp")


@pytest.mark.parametrize(
    ("network", "user", "expected"),
    [
        ("mlp", "he_normal", ("he_normal", "small_random", "glorot_normal", "lecun_normal")),
        ("mlp", "small_random", ("small_random", "glorot_normal", "he_normal", "lecun_normal")),
        ("mlp", "delta_orthogonal", ("small_random", "glorot_normal", "he_normal", "lecun_normal")),
        ("cnn", "he_normal", ("he_normal", "small_random", "delta_orthogonal", "glorot_normal")),
        ("rnn", "he_normal", ("he_normal", "small_random", "orthogonal", "identity")),
        ("rnn", "identity", ("identity", "small_random", "orthogonal", "glorot_normal")),
    ],
)
def test_playground_default_inits(network, user, expected):
    picks = state.playground_default_inits(network, user)
    assert picks == expected
    assert len(set(picks)) == len(picks)
    assert set(picks) <= set(P.supported_inits(network))


def test_settings_data_options():
    assert settings().data_options() == ()
    assert settings("adding", length=10).data_options() == (("length", 10),)
    assert settings("adding", length=1000).data_options() == (("length", 100),)  # clamped
    assert settings("adding", length=0).data_options() == (("length", 2),)


# ---------------------------------------------------------------- playground_seconds


def test_playground_seconds_mlp_exact():
    # moons: 2 inputs, 2 classes; depth 2, width 8: 2*8 + 8*8 + 8*2 = 96 MACs per sample;
    # per step 3 * 64 * 96 / 8e9 + 6e-5 * 3 layers; x 50 steps x 2 initializers
    expected = (3 * 64 * 96 / 8e9 + 6e-5 * 3) * 50 * 2
    assert P.playground_seconds("mlp", settings()) == pytest.approx(expected, rel=1e-12)


def test_playground_seconds_resmlp_and_full_batch():
    # resmlp has one more width x width matrix; batch 0 = the preset's n = 512 samples
    expected = (3 * 512 * (16 + 2 * 64 + 16) / 8e9 + 6e-5 * 3) * 50 * 2
    got = P.playground_seconds("resmlp", settings(batch=0))
    assert got == pytest.approx(expected, rel=1e-12)


def test_playground_seconds_rnn_exact():
    s = settings("adding", inits=("orthogonal",), depth=1, width=8, length=10)
    shape = datasets.input_shape_of("adding", length=10)
    t, c = shape
    macs = t * (c * 8 + 64) + 8 * datasets.n_outputs_of("adding", length=10)
    expected = (3 * 64 * macs / 6e9 + 6e-5 * (t + 1)) * 50
    assert P.playground_seconds("rnn", s) == pytest.approx(expected, rel=1e-12)


def test_playground_seconds_cnn_exact():
    s = settings("shapes", inits=("he_normal",), depth=2, width=4, batch=32)
    h, w, c = datasets.input_shape_of("shapes")
    n_out = datasets.n_outputs_of("shapes")
    macs = h * w * 9 * (c * 4 + 16) + 4 * n_out
    expected = (3 * 32 * macs / 3e9 + 6e-5 * 3) * 50
    assert P.playground_seconds("cnn", s) == pytest.approx(expected, rel=1e-12)


def test_playground_seconds_monotonic():
    base = P.playground_seconds("mlp", settings())
    assert P.playground_seconds("mlp", settings(steps=100)) == pytest.approx(2 * base)
    assert P.playground_seconds("mlp", settings(inits=("he_normal",))) == pytest.approx(base / 2)
    assert P.playground_seconds("mlp", settings(width=64)) > base
    assert P.playground_seconds("mlp", settings(depth=10)) > base
    assert P.playground_seconds("mlp", settings(inits=())) == pytest.approx(base / 2)


# ---------------------------------------------------------------- data


def test_playground_data_and_points():
    x, y = P.playground_data("moons", (), 100, 0)
    x2, y2 = datasets.load("moons", 100, 0)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    points = P.playground_points("moons", 512, 0)
    assert list(points.columns) == ["x0", "x1", "label"]
    assert len(points) == 200
    assert set(points["label"]) == {"0", "1"}
    few = P.playground_points("moons", 512, 0, limit=10)
    assert len(few) == 10
    full_x, _ = P.playground_data("moons", (), 512, 0)
    np.testing.assert_array_equal(few["x0"], full_x[:10, 0])


def test_playground_data_sequence_options():
    x, y = P.playground_data("adding", (("length", 10),), 16, 0)
    assert x.shape[:2] == (16, 10)


# ---------------------------------------------------------------- playground_start


def test_playground_start_mlp():
    start = P.playground_start(Net("mlp", "tanh", 3, 8, 0), "he_normal", (), "moons", ())
    assert start.init == "he_normal"
    assert list(start.act_std.columns) == ["series", "layer", "act_std"]
    assert start.act_std["layer"].tolist() == [1, 2, 3]
    assert (start.act_std["series"] == label("he_normal")).all()
    assert 0 <= start.score <= 1
    assert start.loss > 0
    assert start.time_grad is None
    assert len(start.grid) == P.PLAYGROUND_GRID**2


def test_playground_start_small_random_vanishes():
    small = P.playground_start(Net("mlp", "tanh", 4, 32, 0), "small_random", (), "moons", ())
    act = small.act_std["act_std"].to_numpy()
    assert np.all(np.diff(act) < 0)
    # the output hardly depends on the input: the untrained boundary is flat, loss ln 2
    assert P.boundary_spread(small.grid) < 1e-3
    assert small.loss == pytest.approx(math.log(2), abs=1e-3)
    he = P.playground_start(Net("mlp", "tanh", 4, 32, 0), "he_normal", (), "moons", ())
    assert P.boundary_spread(he.grid) > 0.1


def test_playground_start_resmlp_counts_from_zero():
    start = P.playground_start(Net("resmlp", "relu", 2, 8, 0), "he_normal", (), "moons", ())
    assert start.act_std["layer"].tolist() == [0, 1, 2]


def test_playground_start_rnn_time_gradient():
    options = (("length", 10),)
    start = P.playground_start(
        Net("rnn", "tanh", 1, 8, 0), "orthogonal", (("gain", 1.0),), "adding", options
    )
    assert start.grid is None
    assert list(start.time_grad.columns) == ["series", "layer", "grad_rel"]
    assert start.time_grad["layer"].tolist() == list(range(1, 11))
    assert start.time_grad["grad_rel"].iloc[-1] == 1.0
    # regression score is R^2 = 1 - loss / Var(y)
    _, y = P.playground_data("adding", options, P.PLAYGROUND_PRESETS["rnn"].n, 0)
    assert start.score == pytest.approx(1 - start.loss / float(np.mean(np.var(y, axis=0))))


def test_playground_start_cnn():
    start = P.playground_start(Net("cnn", "relu", 2, 4, 0), "he_normal", (), "shapes", ())
    assert start.grid is None
    assert start.time_grad is None
    assert start.act_std["layer"].tolist() == [1, 2]
    assert 0 <= start.score <= 1


def test_playground_start_frame():
    a = P.playground_start(Net("mlp", "tanh", 2, 8, 0), "he_normal", (), "moons", ())
    b = P.playground_start(Net("mlp", "tanh", 2, 8, 0), "small_random", (), "moons", ())
    frame = P.playground_start_frame([a, b])
    assert frame["series"].tolist() == [label("he_normal")] * 2 + [label("small_random")] * 2
    options = (("length", 5),)
    r = P.playground_start(
        Net("rnn", "tanh", 1, 4, 0), "identity", (("gain", 1.0),), "adding", options
    )
    times = P.playground_start_frame([r], "time_grad")
    assert list(times.columns) == ["series", "layer", "grad_rel"]
    assert len(times) == 5


# ---------------------------------------------------------------- playground_run / train


def test_playground_run_classification():
    run = P.playground_run(
        "mlp", "tanh", "he_normal", (), 2, 8, "moons", (), 0, "sgd", 0.1, 50, 64, 0.0
    )
    assert run.init == "he_normal"
    assert run.label == label("he_normal")
    assert run.task == "classification"
    assert run.baseline == pytest.approx(math.log(2))
    np.testing.assert_array_equal(run.score, run.history.accuracy)
    assert run.final_score == pytest.approx(run.history.final_accuracy)
    assert len(run.grid) == P.PLAYGROUND_GRID**2
    assert run.seconds >= 0
    assert run.history.steps_run == 50
    assert run.final_score > 0.8


def test_playground_run_regression():
    options = (("length", 10),)
    run = P.playground_run(
        "rnn",
        "tanh",
        "orthogonal",
        (("gain", 1.0),),
        1,
        8,
        "adding",
        options,
        0,
        "adam",
        0.01,
        30,
        64,
        1.0,
    )
    assert run.task == "regression"
    assert run.grid is None
    _, y = P.playground_data("adding", options, P.PLAYGROUND_PRESETS["rnn"].n, 0)
    var = float(np.mean(np.var(y, axis=0)))
    assert run.baseline == pytest.approx(var)
    np.testing.assert_allclose(run.score, 1 - run.history.loss / var)
    assert run.final_score == pytest.approx(1 - run.history.final_loss / var)


def test_playground_run_progress_not_hashed():
    calls = []
    args = ("mlp", "relu", "he_normal", (), 1, 4, "moons", (), 4242, "sgd", 0.1, 20, 0, 0.0)
    first = P.playground_run(*args, _progress=lambda s, t: calls.append((s, t)))
    assert calls
    assert calls[-1][1] == 20
    assert all(0 <= s <= t for s, t in calls)
    again = []
    second = P.playground_run(*args, _progress=lambda s, t: again.append((s, t)))
    assert again == []  # a cache hit: same arguments, whatever the callback
    np.testing.assert_array_equal(first.history.loss, second.history.loss)


def test_playground_train_order_and_progress():
    jobs = [
        {
            "network": "mlp",
            "activation": "tanh",
            "init": init,
            "init_params": (),
            "depth": 1,
            "width": 4,
            "dataset": "moons",
            "options": (),
            "seed": 777,
            "optimizer": "sgd",
            "lr": 0.1,
            "steps": 15,
            "batch": 0,
            "clip": 0.0,
        }
        for init in ("he_normal", "small_random")
    ]
    events = []
    runs = P.playground_train(jobs, lambda i, s, t: events.append((i, s, t)), poll=0.01)
    assert [r.init for r in runs] == ["he_normal", "small_random"]
    assert {i for i, _, _ in events} == {0, 1}
    assert all(t == 15 for _, _, t in events)
    events.clear()
    again = P.playground_train(jobs, lambda i, s, t: events.append((i, s, t)), poll=0.01)
    assert events == []  # cached
    np.testing.assert_array_equal(again[1].history.loss, runs[1].history.loss)
    assert P.playground_train([], lambda *a: None) == []


# ---------------------------------------------------------------- curves and grads


def test_playground_curves_thins_and_keeps_ends():
    n = 1000
    run = fake_run(step=np.arange(n), loss=np.linspace(1, 0.1, n), score=np.linspace(0, 1, n))
    curves, diverged = P.playground_curves([run], limit=300)
    assert list(curves.columns) == ["series", "step", "loss", "score"]
    assert len(curves) <= 300
    assert curves["step"].iloc[0] == 0
    assert curves["step"].iloc[-1] == n - 1
    assert diverged.empty
    assert list(diverged.columns) == ["series", "step"]


def test_playground_curves_diverged_and_short():
    run = fake_run("B", loss=(1.0, 2.0, 1e30, np.inf), diverged_at=3)
    short = fake_run("C")
    curves, diverged = P.playground_curves([run, short], limit=300)
    assert len(curves) == 8  # nothing thinned below the limit
    assert diverged.to_dict("records") == [{"series": "B", "step": 3}]
    assert curves[curves["series"] == "B"]["step"].iloc[-1] == 3


def test_playground_curves_empty():
    curves, diverged = P.playground_curves([])
    assert curves.empty
    assert diverged.empty
    assert list(diverged.columns) == ["series", "step"]


def test_playground_grad_frame_statuses():
    norms = [[1.0, 0.0], [np.inf, 10.0], [np.nan, 0.01]]
    run = fake_run(step=(0, 5, 10), loss=(1, 1, 1), score=(0, 0, 0), grad_norm=norms)
    frame = P.playground_grad_frame([run], limit=60)
    assert list(frame.columns) == [
        "series",
        "layer",
        "layer_index",
        "step",
        "step_end",
        "grad_norm",
        "log10_norm",
        "status",
    ]
    assert frame["status"].tolist() == ["ok", "zero", "overflow", "ok", "NaN", "ok"]
    assert frame["layer"].tolist() == ["layer 1", "output"] * 3
    assert frame["layer_index"].tolist() == [0, 1] * 3
    assert frame["step"].tolist() == [0, 0, 5, 5, 10, 10]
    assert frame["step_end"].tolist() == [5, 5, 10, 10, 11, 11]
    np.testing.assert_allclose(
        frame["log10_norm"], [0.0, np.nan, np.nan, 1.0, np.nan, -2.0], equal_nan=True
    )


def test_playground_grad_frame_thins_and_empty():
    n = 500
    run = fake_run(step=np.arange(n), loss=np.ones(n), score=np.ones(n))
    frame = P.playground_grad_frame([run], limit=60)
    steps = frame["step"].drop_duplicates()
    assert len(steps) <= 60
    assert steps.iloc[0] == 0
    assert steps.iloc[-1] == n - 1
    assert P.playground_grad_frame([]).empty


def test_playground_grad_frame_real_run():
    run = P.playground_run(
        "mlp", "tanh", "he_normal", (), 2, 8, "moons", (), 0, "sgd", 0.1, 50, 64, 0.0
    )
    frame = P.playground_grad_frame([run])
    assert set(frame["layer"]) == set(run.history.layer_names)
    assert (frame["status"] == "ok").all()


# ---------------------------------------------------------------- colour and loss domains


def test_log_color_domain():
    assert P.log_color_domain(pd.Series([], dtype=float)) == (-1.0, 1.0)
    assert P.log_color_domain(pd.Series([np.nan, np.inf])) == (-1.0, 1.0)
    assert P.log_color_domain(pd.Series([2.0, 2.0, 2.0])) == (1.5, 2.5)  # at least 1 wide
    values = pd.Series(np.linspace(-3, 3, 101))
    low, high = P.log_color_domain(values)
    assert low == pytest.approx(np.quantile(values, 0.02))
    assert high == pytest.approx(np.quantile(values, 0.98))


def test_log_color_domain_caps_outliers():
    # one exploding run at 1e200 (and a vanished one at 1e-100) must not set the scale
    values = pd.Series([0.0] * 50 + [200.0] * 10 + [-100.0] * 10)
    assert P.log_color_domain(values) == (-6.0, 4.0)


def test_loss_domain():
    curves = pd.DataFrame({"loss": [0.1, 1.0, np.nan, np.inf, 0.0, -1.0]})
    low, high, peak = P.loss_domain(curves, math.log(2))
    assert peak == 1.0
    assert low == pytest.approx(0.1 / 1.5)
    assert high == pytest.approx(1.5)


def test_loss_domain_caps_at_thousand_baselines():
    curves = pd.DataFrame({"loss": [0.5, 1e12]})
    low, high, peak = P.loss_domain(curves, 0.5)
    assert peak == 1e12
    assert high == pytest.approx(1000 * 0.5 * 1.5)
    assert low == pytest.approx(0.5 / 1.5)


def test_loss_domain_edges():
    low, high, peak = P.loss_domain(pd.DataFrame({"loss": [np.nan]}), 2.0)
    assert (low, high) == (0.2, 20.0)
    assert math.isnan(peak)
    low, high, peak = P.loss_domain(pd.DataFrame({"loss": [1.0]}), 0.0)  # no baseline cap
    assert high == 10.0  # at least a decade above the lowest
    assert peak == 1.0


# ---------------------------------------------------------------- steps_to_target / table


def test_steps_to_target():
    run = fake_run(step=(0, 10, 20, 30), score=(0.5, 0.95, 0.7, 0.96))
    assert P.steps_to_target(run, 0.9) == 10
    assert P.steps_to_target(run, 0.96) == 30
    assert P.steps_to_target(run, 0.99) is None
    # averaged over 2 recorded steps: (0.7 + 0.96) / 2 = 0.83 < 0.9 -> never
    assert P.steps_to_target(run, 0.9, window=2) is None
    assert P.steps_to_target(run, 0.8, window=2) == 20  # (0.95 + 0.7) / 2 = 0.825
    assert P.steps_to_target(run, 0.9, window=10) == 10  # window longer than the run: raw


def test_steps_to_target_nan_never_counts():
    run = fake_run(step=(0, 1, 2), score=(np.nan, np.nan, 1.0), loss=(1, 1, 1))
    assert P.steps_to_target(run, 0.5) == 2
    assert P.steps_to_target(run, 0.5, window=2) is None  # a NaN step drags the mean to -inf


TABLE_COLUMNS = [
    "initializer",
    "final loss",
    "final score",
    "steps to target",
    "diverged at",
    "collapsed at",
    "peak loss",
    "clipped updates",
    "seconds",
]


def test_playground_table():
    good = fake_run("Good", step=(0, 10, 20), score=(0.5, 0.95, 0.97), loss=(1, 0.2, 0.1))
    stalled = fake_run(
        "Stalled",
        step=(0, 10, 20),
        score=(0.5, 0.5, 0.5),
        loss=(0.69,) * 3,
        final_score=0.5,
        n_clipped=3,
    )
    bad = fake_run(
        "Bad", step=(0, 10, 12), score=(0.5, 0.5, 0.5), loss=(1, 1e30, np.nan), diverged_at=12
    )
    table = P.playground_table([good, stalled, bad], 0.9)
    assert list(table.columns) == TABLE_COLUMNS
    assert table["initializer"].tolist() == ["Good", "Stalled", "Bad"]
    assert table["steps to target"].iloc[0] == 10
    assert math.isnan(table["steps to target"].iloc[1])
    assert table["final loss"].iloc[0] == 0.1
    assert math.isnan(table["final loss"].iloc[2])
    assert math.isnan(table["final score"].iloc[2])
    assert table["diverged at"].iloc[2] == 12
    assert math.isnan(table["diverged at"].iloc[0])
    assert table["clipped updates"].tolist() == [0, 3, 0]
    assert table["seconds"].tolist() == [1.5] * 3
    text = P.playground_summary(table, target=0.9, task="classification")
    assert text == (
        "Good reached 90% accuracy first, at step 10; "
        "Stalled never did (accuracy 50%, loss 0.69); Bad diverged at step 12."
    )
    display = P.playground_table_display(table)
    assert display["steps to target"].tolist() == ["10", "never", "never"]
    assert display["diverged at"].tolist() == ["no", "no", "12"]
    assert display["collapsed at"].tolist() == ["no", "no", "no"]
    assert math.isnan(table["steps to target"].iloc[1])  # the input table is not modified


def test_playground_summary_regression_and_nobody():
    table = pd.DataFrame(
        {
            "initializer": ["A", "B"],
            "final loss": [0.5, 0.25],
            "final score": [0.123, -0.5],
            "steps to target": [math.nan, math.nan],
            "diverged at": [math.nan, math.nan],
            "collapsed at": [math.nan, math.nan],
        }
    )
    text = P.playground_summary(table, target=0.9, task="regression")
    assert text == (
        "no initializer reached R² = 0.9; A never did (R² 0.12, loss 0.5); "
        "B never did (R² -0.50, loss 0.25)."
    )


def test_playground_summary_fastest_first():
    table = pd.DataFrame(
        {
            "initializer": ["Slow", "Fast"],
            "final loss": [0.1, 0.1],
            "final score": [1.0, 1.0],
            "steps to target": [30.0, 20.0],
            "diverged at": [math.nan, math.nan],
            "collapsed at": [math.nan, math.nan],
        }
    )
    assert P.playground_summary(table, target=0.95, task="classification") == (
        "Fast reached 95% accuracy first, at step 20."
    )


@pytest.mark.parametrize(
    ("network", "batch", "window"),
    [
        ("mlp", 0, 1),
        ("mlp", 512, 1),
        ("mlp", 1024, 1),
        ("mlp", 64, 8),
        ("mlp", 16, 20),  # 32 batches per epoch, capped at 20
        ("cnn", 32, 8),
        ("rnn", 64, 8),
        ("mlp", 100, 6),  # ceil(512 / 100)
    ],
)
def test_playground_window(network, batch, window):
    assert P.playground_window(network, batch) == window


def test_first_layer_grad():
    run = fake_run(grad_norm=[[3.0, 1.0], [2.0, 1.0], [1.0, 1.0], [0.5, 1.0]])
    assert P.first_layer_grad(run) == 3.0
    empty = fake_run(step=(), loss=(), score=(), grad_norm=np.zeros((0, 2)))
    assert math.isnan(P.first_layer_grad(empty))


def test_boundary_spread():
    assert P.boundary_spread(pd.DataFrame({"p": [0.2, 0.9, 0.5]})) == pytest.approx(0.7)
    assert P.boundary_spread(pd.DataFrame({"p": [0.5, 0.5]})) == 0.0


# ---------------------------------------------------------------- exports


def test_playground_history_frame():
    a = fake_run("A", grad_norm=[[1, 2], [3, 4], [5, 6], [7, 8]])
    b = fake_run("B", task="regression", init="small_random")
    frame = P.playground_history_frame([a, b])
    assert list(frame.columns) == [
        *PLAYGROUND_HISTORY,
        "grad_norm layer 1",
        "grad_norm output",
        "r2",
    ]
    assert frame["initializer"].tolist() == ["A"] * 4 + ["B"] * 4
    assert frame["init_key"].tolist() == ["he_normal"] * 4 + ["small_random"] * 4
    assert frame["grad_norm output"].iloc[:4].tolist() == [2, 4, 6, 8]
    assert frame["accuracy"].iloc[4:].isna().all()
    assert frame["r2"].iloc[:4].isna().all()
    assert P.playground_history_frame([]).empty


def test_playground_json_strict():
    run = fake_run(
        "A",
        loss=(1.0, np.nan, np.inf, 0.5),
        score=(0.5, np.nan, 0.5, 0.9),
        grad_norm=[[1, np.inf], [np.nan, 1], [1, 1], [1, 1]],
        diverged_at=None,
    )
    data = P.playground_json([run], {"data": "moons", "lr": 0.1})
    text = data.decode("utf-8")
    assert "NaN" not in text
    assert "Infinity" not in text
    payload = json.loads(data)
    assert payload["settings"] == {"data": "moons", "lr": 0.1}
    (out,) = payload["runs"]
    assert out["initializer"] == "A"
    assert out["init"] == "he_normal"
    assert out["init_params"] == {"gain": 1.0}
    assert out["diverged_at"] is None
    assert out["steps_run"] == 4
    assert out["score_name"] == "accuracy"
    assert out["step"] == [0, 1, 2, 3]
    assert out["loss"] == [1.0, None, "inf", 0.5]
    assert out["score"] == [0.5, None, 0.5, 0.9]
    assert out["grad_norm"] == {"layer 1": [1.0, None, 1.0, 1.0], "output": ["inf", 1.0, 1.0, 1.0]}
    assert out["final_loss"] == 0.5


def test_playground_json_regression_and_empty():
    run = fake_run("R", task="regression", final_score=math.nan)
    out = json.loads(P.playground_json([run], {}))["runs"][0]
    assert out["score_name"] == "r2"
    assert out["final_score"] is None
    assert json.loads(P.playground_json([], {"x": 1})) == {"settings": {"x": 1}, "runs": []}


def test_playground_table_reports_a_collapsed_relu_run():
    # N(0, 1) ReLU on moons: the loss spikes far above 1e50, every unit dies, the loss sits at
    # ln 2 with all-zero hidden gradients: "collapsed", not "diverged: no" and not "stalled".
    run = P.playground_run(
        "mlp", "relu", "large_random", (), 4, 32, "moons", (), 0, "sgd", 0.1, 300, 128, 0.0
    )
    table = P.playground_table([run], 0.9)
    assert math.isnan(table["diverged at"].iloc[0])
    assert table["collapsed at"].iloc[0] > 0
    assert table["peak loss"].iloc[0] > 1e50
    text = P.playground_summary(table, target=0.9, task="classification")
    assert "collapsed at step" in text
    assert "never did" not in text
    assert P.playground_table_display(table)["collapsed at"].iloc[0] != "no"
