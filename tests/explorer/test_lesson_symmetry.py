"""Unit tests of explorer.lessons.symmetry (called directly, no AppTest)."""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from core import datasets, initializers
from explorer import experiments as E
from explorer.lessons import symmetry as S
from explorer.state import Net

STEPS = 40


@pytest.fixture(scope="module", params=[("tanh", 2), ("relu", 1), ("tanh", 3), ("sigmoid", 2)])
def result(request):
    activation, depth = request.param
    return S.symmetry_experiment(activation, 0.5, "he_normal", (), depth, 8, STEPS, 0)


@pytest.mark.parametrize(
    ("depth", "width", "expected"),
    [(1, 1, (1, 2)), (0, 0, (1, 2)), (2, 8, (2, 8)), (10, 100, (3, 16)), (3, 16, (3, 16))],
)
def test_symmetry_size(depth, width, expected):
    assert S.symmetry_size(depth, width) == expected


def test_boundary_grid_covers_data_plus_margin():
    x = np.array([[0.0, 0.0], [2.0, 1.0]])
    net = E.build_network(Net("mlp", "tanh", 1, 4, 0), "he_normal", ())
    grid = S.boundary_grid(net, x)
    assert len(grid) == S.BOUNDARY_CELLS**2
    assert grid["x0"].min() == pytest.approx(-0.5)
    assert grid["x0_end"].max() == pytest.approx(2.5)
    assert grid["x1"].min() == pytest.approx(-0.5)
    assert grid["x1_end"].max() == pytest.approx(1.5)
    assert (grid["status"] == "ok").all()


def test_result_layout(result):
    assert [run.init for run in result.runs] == ["zeros", "constant", "he_normal"]
    assert [run.label for run in result.runs] == [
        "Zero (W = 0)",
        "Constant (W = 0.5)",
        initializers.REGISTRY["he_normal"].label,
    ]
    assert result.width == 8
    assert result.steps == STEPS
    assert result.heat_layer == (2 if result.depth >= 2 else 1)
    assert list(result.points.columns) == ["x0", "x1", "label"]
    assert len(result.points) == S.SYMMETRY_POINTS
    x, y = datasets.load(S.SYMMETRY_DATA, S.SYMMETRY_POINTS, 0)
    np.testing.assert_array_equal(result.points["x0"], x[:, 0])
    assert set(result.points["label"]) == {0, 1}
    fan_in = 2 if result.heat_layer == 1 else result.width
    for run in result.runs:
        assert list(run.grads.columns) == [
            "layer",
            "max_abs_dw0",
            "max_abs_db0",
            "max_abs_dw1",
            "spread1",
        ]
        assert len(run.grads) == result.depth + 1
        assert run.grads["layer"].iloc[-1] == "output"
        assert math.isnan(run.grads["spread1"].iloc[-1])
        assert list(run.neuron_grads.columns) == ["neuron", "grad0", "grad1"]
        assert run.neuron_grads["neuron"].tolist() == list(range(1, 9))
        assert list(run.distinct.columns) == ["step", "layer", "distinct"]
        assert set(run.distinct["layer"]) == set(range(1, result.depth + 1))
        assert run.distinct["step"].min() == 0
        assert run.distinct["step"].max() == STEPS
        assert list(run.curve.columns) == ["step", "loss", "accuracy"]
        assert run.weights_start.shape == (fan_in, 8)
        assert run.weights_end.shape == (fan_in, 8)
        assert len(run.boundary) == S.BOUNDARY_CELLS**2
        assert run.diverged_at is None


def test_constant_inits_never_break_symmetry(result):
    # zeros and constant: every neuron of a hidden layer gets the same gradient, forever
    for run in result.runs[:2]:
        assert (run.distinct["distinct"] == 1).all()
        assert S.distinct_at_end(run) == 1
        assert (run.grads["spread1"].iloc[:-1] == 0).all()
        assert run.neuron_grads["grad1"].nunique() == 1
        assert np.all(run.weights_end == run.weights_end[:, :1])  # clone columns


def test_constant_hidden_gradients_zero_at_step_zero(result):
    for run in result.runs[:2]:
        assert (run.grads["max_abs_dw0"].iloc[:-1] == 0).all()
        assert (run.neuron_grads["grad0"] == 0).all()


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("depth", [1, 3])
def test_zero_init_gives_exactly_zero_hidden_gradients(activation, depth):
    # f(0) = 0: hidden activations are 0, W = 0 blocks the backward pass: nothing moves.
    result = S.symmetry_experiment(activation, 0.5, "he_normal", (), depth, 8, STEPS, 0)
    zero = result.runs[0]
    assert zero.max_hidden_grad_norm == 0.0
    assert zero.first_hidden_grad_step is None
    assert (zero.grads[["max_abs_dw0", "max_abs_dw1"]] == 0).all().all()
    assert (zero.neuron_grads[["grad0", "grad1"]] == 0).all().all()
    assert np.all(zero.weights_end == 0)
    assert zero.final_loss == pytest.approx(math.log(2), abs=1e-12)  # uniform prediction
    assert zero.final_accuracy == pytest.approx(0.5, abs=0.05)


def test_constant_init_hidden_gradients_appear_after_one_step():
    result = S.symmetry_experiment("tanh", 0.5, "he_normal", (), 2, 8, STEPS, 0)
    const = result.runs[1]
    assert (const.grads["max_abs_dw1"].iloc[:-1] > 0).all()
    assert const.first_hidden_grad_step == 1
    assert const.max_hidden_grad_norm > 0


def test_random_init_breaks_symmetry_and_learns(result):
    rand = result.runs[2]
    assert S.distinct_at_end(rand) == result.width
    assert (rand.grads["spread1"].iloc[:-1] > 0).all()
    assert rand.first_hidden_grad_step == 0
    assert rand.neuron_grads["grad0"].nunique() == result.width
    assert rand.curve["loss"].iloc[-1] < rand.curve["loss"].iloc[0]


def test_random_beats_symmetric_on_moons():
    result = S.symmetry_experiment("tanh", 0.5, "he_normal", (), 2, 8, 60, 0)
    zero, const, rand = result.runs
    assert rand.final_accuracy > 0.9
    assert rand.final_loss < const.final_loss < zero.final_loss


def test_distinct_at_end_takes_minimum_of_last_step():
    result = S.symmetry_experiment("tanh", 0.5, "he_normal", (), 2, 8, STEPS, 0)
    distinct = pd.DataFrame({"step": [0, 0, 5, 5], "layer": [1, 2, 1, 2], "distinct": [1, 2, 7, 4]})
    run = dataclasses.replace(result.runs[2], distinct=distinct)
    assert S.distinct_at_end(run) == 4


@pytest.mark.parametrize(
    ("init", "params", "activation", "expected"),
    [
        ("zeros", (), "relu", ("he_normal", ())),
        ("zeros", (), "tanh", ("glorot_normal", ())),
        ("constant", (("value", 0.1),), "selu", ("lecun_normal", ())),
        ("delta_orthogonal", (("gain", 1.0),), "tanh", ("glorot_normal", ())),
        ("normal", (("std", 0.3),), "tanh", ("normal", (("std", 0.3),))),
        ("he_normal", (("gain", 1.0),), "relu", ("he_normal", (("gain", 1.0),))),
    ],
)
def test_symmetry_random_init(init, params, activation, expected):
    assert S.symmetry_random_init(init, params, activation) == expected


def test_symmetry_grads_frame_rows(result):
    frame = S.symmetry_grads_frame(result)
    assert set(frame.columns) == {
        "series",
        "layer",
        "max_abs_dw0",
        "max_abs_db0",
        "max_abs_dw1",
        "spread1",
    }
    assert len(frame) == 3 * (result.depth + 1)
    assert frame["series"].tolist() == [
        run.label for run in result.runs for _ in range(result.depth + 1)
    ]
    assert frame["layer"].tolist()[: result.depth + 1] == result.runs[0].grads["layer"].tolist()


def test_symmetry_grads_frame_series_first():
    result = S.symmetry_experiment("tanh", 0.5, "he_normal", (), 2, 8, STEPS, 0)
    assert S.symmetry_grads_frame(result).columns[0] == "series"
