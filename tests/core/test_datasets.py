"""Tests of core.datasets: shapes, dtypes, balance, determinism, validation, task semantics."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.nets import make_net
from core import datasets
from core.datasets import DATASETS, MAX_N, SHAPE_CLASSES, load

NAMES = tuple(DATASETS)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_dtypes_and_registry_agree(name: str) -> None:
    spec = DATASETS[name]
    x, y = load(name, 101, seed=3)
    assert x.dtype == np.float64
    assert x.shape == (101, *spec.input_shape)
    assert x.shape[1:] == datasets.input_shape_of(name)
    assert np.all(np.isfinite(x))
    if spec.task == "classification":
        assert spec.loss == "cross_entropy"
        assert y.shape == (101,)
        assert y.dtype == np.int64
        assert set(np.unique(y)) <= set(range(spec.n_outputs))
    else:
        assert spec.loss == "mse"
        assert y.dtype == np.float64
        assert y.shape == (101, spec.n_outputs)
    assert datasets.n_outputs_of(name) == spec.n_outputs
    assert spec.kinds
    assert set(spec.kinds) <= {"mlp", "cnn", "rnn", "resmlp"}


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_given_seed(name: str) -> None:
    x1, y1 = load(name, 64, seed=11)
    x2, y2 = load(name, 64, seed=11)
    x3, _ = load(name, 64, seed=12)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


@pytest.mark.parametrize("name", [n for n in NAMES if DATASETS[n].task == "classification"])
@pytest.mark.parametrize("n", [1, 7, 100, 1001])
def test_classes_are_balanced(name: str, n: int) -> None:
    _, y = load(name, n, seed=0)
    k = DATASETS[name].n_outputs
    counts = np.bincount(y, minlength=k)
    assert counts.sum() == n
    assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("name", [n for n in NAMES if DATASETS[n].task == "classification"])
def test_rows_are_shuffled(name: str) -> None:
    # Classes interleave: the first half of the rows holds about half of each class.
    _, y = load(name, 2000, seed=1)
    first = np.bincount(y[:1000], minlength=DATASETS[name].n_outputs)
    expected = 1000 / DATASETS[name].n_outputs
    # hypergeometric sd <= sqrt(1000 * 1/2 * 1/2 / 2) ~ 11; allow 6 sd
    assert np.all(np.abs(first - expected) < 70)


def test_options_change_shapes_and_classes() -> None:
    x, y = load("spiral", 60, seed=0, n_classes=5)
    assert np.bincount(y).tolist() == [12] * 5
    assert datasets.n_outputs_of("spiral", n_classes=5) == 5
    x, y = load("adding", 10, seed=0, length=7)
    assert x.shape == (10, 7, 2)
    assert datasets.input_shape_of("adding", length=7) == (7, 2)
    x, y = load("parity", 10, seed=0, length=5)
    assert x.shape == (10, 5, 1)
    x, y = load("linear_teacher", 10, seed=0, d_in=3, d_out=5)
    assert x.shape == (10, 3)
    assert y.shape == (10, 5)
    assert datasets.input_shape_of("linear_teacher", d_in=3) == (3,)
    assert datasets.n_outputs_of("linear_teacher", d_out=5) == 5
    x, y = load("shapes", 30, seed=0, n_classes=2)
    assert set(np.unique(y)) == {0, 1}


def test_noise_zero_gives_exact_geometry() -> None:
    x, y = load("circles", 500, seed=0, noise=0.0, factor=0.3)
    r = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, rtol=1e-12)
    np.testing.assert_allclose(r[y == 1], 0.3, rtol=1e-12)
    x, y = load("xor", 500, seed=0, noise=0.0)
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] < 0).astype(np.int64))
    x, y = load("moons", 500, seed=0, noise=0.0)
    # Upper moon (class 0) is the unit half circle centred at (-0.5, -0.25).
    np.testing.assert_allclose(np.hypot(x[y == 0, 0] + 0.5, x[y == 0, 1] + 0.25), 1.0)
    np.testing.assert_allclose(np.hypot(x[y == 1, 0] - 0.5, x[y == 1, 1] - 0.25), 1.0)


def test_noise_scales_the_spread() -> None:
    x0, y0 = load("blobs", 4000, seed=0, noise=0.5)
    angle = 2 * np.pi * np.arange(3) / 3
    centres = 2 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    resid = x0 - centres[y0]
    # std of 8000 normal draws: SE ~ 0.5 / sqrt(2 * 8000) ~ 0.004
    assert abs(resid.std() - 0.5) < 0.03
    assert abs(resid.mean()) < 0.03


def test_adding_problem_semantics() -> None:
    x, y = load("adding", 500, seed=4, length=20)
    values, markers = x[..., 0], x[..., 1]
    assert np.all((values >= 0) & (values < 1))
    np.testing.assert_array_equal(markers.sum(axis=1), 2.0)
    assert np.all(markers[:, :10].sum(axis=1) == 1)  # one marker in each half
    assert np.all(markers[:, 10:].sum(axis=1) == 1)
    np.testing.assert_allclose(y[:, 0], (values * markers).sum(axis=1), rtol=1e-12)


def test_parity_semantics() -> None:
    x, y = load("parity", 999, seed=2, length=9)
    assert set(np.unique(x)) <= {0.0, 1.0}
    np.testing.assert_array_equal(y, x[..., 0].sum(axis=1).astype(np.int64) % 2)
    # Every bit position is close to fair: 999 draws, SE 0.016, allow ~6 SE.
    assert np.all(np.abs(x[..., 0].mean(axis=0) - 0.5) < 0.1)


def test_linear_teacher_matches_teacher_matrix() -> None:
    x, y = load("linear_teacher", 400, seed=9, d_in=6, d_out=4, noise=0.0)
    a = datasets.teacher_matrix(d_in=6, d_out=4, rng=np.random.default_rng(9))
    assert a.shape == (4, 6)
    np.testing.assert_allclose(y, x @ a.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.linalg.svd(a, compute_uv=False), np.linspace(2, 0.5, 4))
    # The teacher depends on the seed, not on n.
    x2, y2 = load("linear_teacher", 10, seed=9, d_in=6, d_out=4, noise=0.0)
    np.testing.assert_allclose(y2, x2 @ a.T, rtol=1e-12, atol=1e-12)
    _, yn = load("linear_teacher", 4000, seed=9, d_in=6, d_out=4, noise=0.3)
    xn, _ = load("linear_teacher", 4000, seed=9, d_in=6, d_out=4, noise=0.0)
    resid = yn - xn @ a.T
    assert abs(resid.std() - 0.3) < 0.3 * 6 / np.sqrt(2 * resid.size)


def test_shapes_images_look_right() -> None:
    x, y = load("shapes", 400, seed=5, noise=0.0, n_classes=len(SHAPE_CLASSES))
    ink = (x[..., 0] > 0).sum(axis=(1, 2))
    assert np.all(ink > 0)  # every image shows a shape
    assert np.all(x >= 0)
    assert np.all(x <= 1)
    assert np.all(ink < 16 * 16)
    # A disc of half-size s covers about pi s^2 pixels, a square 4 s^2, a bar about 2 s * 2 t:
    # bars carry the least ink on average, squares the most.
    mean_ink = [ink[y == c].mean() for c in range(len(SHAPE_CLASSES))]
    assert mean_ink[SHAPE_CLASSES.index("square")] == max(mean_ink)
    assert mean_ink[SHAPE_CLASSES.index("bar")] == min(mean_ink)
    xn, _ = load("shapes", 400, seed=5, noise=0.2, n_classes=len(SHAPE_CLASSES))
    resid = xn - x
    assert abs(resid.std() - 0.2) < 0.2 * 6 / np.sqrt(2 * resid.size)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "mnist", "n": 10, "seed": 0}, "valid names: moons"),
        ({"name": "moons", "n": 0, "seed": 0}, "n must be"),
        ({"name": "moons", "n": MAX_N + 1, "seed": 0}, "n must be"),
        ({"name": "moons", "n": 2.5, "seed": 0}, "n must be"),
        ({"name": "moons", "n": 10, "seed": -1}, "seed"),
        ({"name": "moons", "n": 10, "seed": 0, "arms": 3}, "valid options: noise"),
        ({"name": "moons", "n": 10, "seed": 0, "noise": -0.1}, "noise"),
        ({"name": "moons", "n": 10, "seed": 0, "noise": "a"}, "number"),
        ({"name": "spiral", "n": 10, "seed": 0, "n_classes": 2.5}, "integer"),
        ({"name": "spiral", "n": 10, "seed": 0, "n_classes": 1}, "n_classes"),
        ({"name": "adding", "n": 10, "seed": 0, "length": 1000}, "length"),
        ({"name": "shapes", "n": 10, "seed": 0, "n_classes": 9}, "n_classes"),
        ({"name": "linear_teacher", "n": 10, "seed": 0, "d_in": 0}, "d_in"),
    ],
)
def test_bad_arguments_raise(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        load(**kwargs)


def test_validate_options_fills_defaults() -> None:
    assert datasets.validate_options("spiral") == {"noise": 0.08, "n_classes": 3, "turns": 0.75}
    opts = datasets.validate_options("spiral", {"n_classes": 4.0})
    assert opts["n_classes"] == 4
    assert isinstance(opts["n_classes"], int)
    for spec in DATASETS.values():
        defaults = datasets.validate_options(spec.name)
        for opt in spec.options:
            assert opt.low <= opt.default <= opt.high
            assert defaults[opt.name] == opt.default


@pytest.mark.parametrize(
    ("name", "kind"), [(name, kind) for name in NAMES for kind in DATASETS[name].kinds]
)
def test_every_listed_network_kind_fits(name: str, kind: str) -> None:

    spec = DATASETS[name]
    x, y = load(name, 8, seed=0)
    init = "delta_orthogonal" if kind == "cnn" else "orthogonal"
    net = make_net(kind, spec.input_shape, spec.n_outputs, 1, 4, "tanh", init)
    value, grads = net.loss_and_grads(x, y, spec.loss)
    assert np.isfinite(value)
    assert len(grads) == len(net.params)
