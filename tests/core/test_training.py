"""Tests of core.training: optimizer arithmetic, History bookkeeping, and the lessons of issue 4.

Every behaviour test runs at a fixed seed with margins far from the observed values (noted next to
each assertion); the networks are small so the whole file stays fast on two shared cores.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from benchmarks.nets import make_net
from core import datasets, initializers, networks, training
from core.training import History, train


def _mlp(
    init: str,
    *,
    depth: int = 3,
    width: int = 16,
    activation: str = "tanh",
    seed: int = 0,
    d_in: int = 2,
    n_outputs: int = 2,
    bias: bool = True,
    **init_params: float,
) -> networks.Network:
    kw = {"init_params": init_params or None, "bias": bias}
    return make_net("mlp", (d_in,), n_outputs, depth, width, activation, init, seed, **kw)


@pytest.fixture(scope="module")
def moons() -> tuple[np.ndarray, np.ndarray]:
    return datasets.load("moons", 256, seed=0)


# ------------------------------------------------------------------------------ optimizer maths


def test_sgd_step_is_minus_lr_times_gradient(moons) -> None:
    x, y = moons
    net = _mlp("glorot_uniform")
    before = net.copy()
    _, g = before.loss_and_grads(x, y, "cross_entropy")
    h = train(net, x, y, loss="cross_entropy", lr=0.3, steps=1)
    for p0, p1, gi in zip(before.params, net.params, g, strict=True):
        for k in p0:
            np.testing.assert_allclose(p1[k], p0[k] - 0.3 * gi[k], rtol=1e-12, atol=1e-15)
    # Row 0 holds the gradient norm and the update:weight ratio of that very update.
    for i, (p0, gi) in enumerate(zip(before.params, g, strict=True)):
        gw = np.linalg.norm(gi["w"])
        assert h.grad_norm[0, i] == pytest.approx(gw, rel=1e-12)
        assert h.update_ratio[0, i] == pytest.approx(0.3 * gw / np.linalg.norm(p0["w"]), rel=1e-12)
    assert h.loss[0] == pytest.approx(before.loss_and_grads(x, y, "cross_entropy")[0], rel=1e-14)


def test_momentum_two_steps(moons) -> None:
    x, y = moons
    net = _mlp("glorot_uniform")
    ref = net.copy()
    lr, mu = 0.05, 0.8
    _, g0 = ref.loss_and_grads(x, y, "cross_entropy")
    v = [{k: g0[i][k].copy() for k in p} for i, p in enumerate(ref.params)]
    for p, vi in zip(ref.params, v, strict=True):
        for k in p:
            p[k] = p[k] - lr * vi[k]
    _, g1 = ref.loss_and_grads(x, y, "cross_entropy")
    for i, p in enumerate(ref.params):
        for k in p:
            p[k] = p[k] - lr * (mu * v[i][k] + g1[i][k])
    train(net, x, y, loss="cross_entropy", optimizer="momentum", lr=lr, momentum=mu, steps=2)
    for p_ref, p in zip(ref.params, net.params, strict=True):
        for k in p:
            np.testing.assert_allclose(p[k], p_ref[k], rtol=1e-12, atol=1e-14)


def test_adam_first_step_is_lr_times_sign(moons) -> None:
    # With bias correction, Adam's first update is lr * g / (|g| + eps), about lr * sign(g).
    x, y = moons
    net = _mlp("glorot_uniform")
    before = net.copy()
    _, g = before.loss_and_grads(x, y, "cross_entropy")
    train(net, x, y, loss="cross_entropy", optimizer="adam", lr=0.01, steps=1, eps=1e-8)
    for p0, p1, gi in zip(before.params, net.params, g, strict=True):
        for k in p0:
            expected = p0[k] - 0.01 * gi[k] / (np.abs(gi[k]) + 1e-8)
            np.testing.assert_allclose(p1[k], expected, rtol=1e-10, atol=1e-15)


def test_clipping_bounds_the_global_update(moons) -> None:
    x, y = moons
    net = _mlp("glorot_uniform")
    before = net.copy()
    h = train(net, x, y, loss="cross_entropy", lr=0.5, steps=1, clip=1e-3)
    assert h.n_clipped == 1
    sq = sum(
        float(np.sum((p1[k] - p0[k]) ** 2))
        for p0, p1 in zip(before.params, net.params, strict=True)
        for k in p0
    )
    assert math.sqrt(sq) == pytest.approx(0.5 * 1e-3, rel=1e-10)
    # A generous clip changes nothing.
    net2 = before.copy()
    h2 = train(net2, x, y, loss="cross_entropy", lr=0.5, steps=1, clip=1e6)
    assert h2.n_clipped == 0


# ------------------------------------------------------------------------------ bookkeeping


def test_history_shapes_and_records(moons) -> None:
    x, y = moons
    net = _mlp("glorot_uniform", depth=3)
    h = train(net, x, y, loss="cross_entropy", lr=0.1, steps=23, record_every=5, symmetry_every=4)
    np.testing.assert_array_equal(h.step, [0, 5, 10, 15, 20, 22])
    assert h.loss.shape == h.accuracy.shape == (6,)
    assert h.grad_norm.shape == h.update_ratio.shape == (6, 4)
    np.testing.assert_array_equal(h.symmetry_step, [0, 4, 8, 12, 16, 20, 23])
    assert h.distinct_neurons.shape == (7, 3)
    assert h.distinct_neurons.dtype == np.int64
    assert h.layer_names == ("layer 1", "layer 2", "layer 3", "output")
    assert h.hidden_names == ("layer 1", "layer 2", "layer 3")
    assert h.steps_run == h.total_steps == 23
    assert h.diverged_at is None
    assert not h.diverged
    assert np.all((h.accuracy >= 0) & (h.accuracy <= 1))
    assert np.isfinite(h.final_loss)
    assert h.final_loss == pytest.approx(networks.loss_value(net.predict(x), y, "cross_entropy"))
    with pytest.raises(ValueError, match="read-only"):
        h.loss[0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        h.diverged_at = 3  # type: ignore[misc]


def test_default_symmetry_cadence(moons) -> None:
    x, y = moons
    h = train(_mlp("glorot_uniform"), x, y, loss="cross_entropy", lr=0.1, steps=300)
    every = math.ceil(300 / training.DEFAULT_SYMMETRY_POINTS)
    np.testing.assert_array_equal(h.symmetry_step[:-1], np.arange(0, 300, every))
    assert h.symmetry_step[-1] == 300
    assert h.step.size == 300


def test_same_seed_same_history_and_minibatches(moons) -> None:
    x, y = moons
    net = _mlp("he_normal", activation="relu")
    kw = {"loss": "cross_entropy", "lr": 0.05, "steps": 40, "batch_size": 50, "optimizer": "adam"}
    h1 = train(net.copy(), x, y, seed=7, **kw)
    h2 = train(net.copy(), x, y, seed=7, **kw)
    h3 = train(net.copy(), x, y, seed=8, **kw)
    assert h1 == h2
    assert h1 != h3
    assert not np.array_equal(h1.loss, h3.loss)
    # batch_size >= N is full-batch training, which draws nothing: the seed is irrelevant.
    full = {**kw, "batch_size": None}
    assert train(net.copy(), x, y, seed=1, **full) == train(
        net.copy(), x, y, seed=2, **{**full, "batch_size": 10_000}
    )


def test_regression_accuracy_is_nan() -> None:
    x, y = datasets.load("linear_teacher", 64, seed=0, d_in=3, d_out=2)
    net = _mlp("glorot_normal", d_in=3, n_outputs=2, activation="linear")
    h = train(net, x, y, loss="mse", lr=0.05, steps=20)
    assert np.all(np.isnan(h.accuracy))
    assert math.isnan(h.final_accuracy)
    assert h.loss[-1] < h.loss[0]


def test_callback_reports_progress(moons) -> None:
    x, y = moons
    calls: list[tuple[int, int, History]] = []
    h = train(
        _mlp("glorot_uniform"),
        x,
        y,
        loss="cross_entropy",
        lr=0.1,
        steps=250,
        callback=lambda s, t, hist: calls.append((s, t, hist)),
    )
    steps = [c[0] for c in calls]
    assert steps == sorted(steps)
    assert steps[-1] == 250
    assert all(c[1] == 250 for c in calls)
    assert training.PROGRESS_CALLS // 2 <= len(calls) <= training.PROGRESS_CALLS + 1
    # Snapshots hold the rows so far; the last call receives the returned History.
    mid_step, _, mid = calls[10]
    assert mid.step.size == mid_step
    np.testing.assert_array_equal(mid.loss, h.loss[:mid_step])
    assert math.isnan(mid.final_loss)
    assert calls[-1][2] == h


def test_callback_exception_cancels(moons) -> None:
    x, y = moons

    def stop(step: int, total: int, hist: History) -> None:
        if step >= 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(_mlp("glorot_uniform"), x, y, loss="cross_entropy", lr=0.1, steps=500, callback=stop)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"loss": "hinge"}, "valid losses"),
        ({"optimizer": "rmsprop"}, "valid optimizers: sgd, momentum, adam"),
        ({"lr": 0.0}, "lr"),
        ({"lr": float("nan")}, "lr"),
        ({"steps": 0}, "steps"),
        ({"steps": training.MAX_STEPS + 1}, "steps"),
        ({"steps": 2.5}, "steps"),
        ({"batch_size": 0}, "batch_size"),
        ({"clip": -1.0}, "clip"),
        ({"record_every": 0}, "record_every"),
        ({"symmetry_every": 0}, "symmetry_every"),
        ({"momentum": 1.0}, "momentum"),
        ({"betas": (0.9, 1.0)}, "betas"),
        ({"eps": 0.0}, "eps"),
    ],
)
def test_bad_arguments_raise(moons, kwargs: dict, match: str) -> None:
    x, y = moons
    args = {"loss": "cross_entropy", "lr": 0.1, "steps": 5, **kwargs}
    with pytest.raises(ValueError, match=match):
        train(_mlp("glorot_uniform"), x, y, **args)


def test_mismatched_data_raises(moons) -> None:
    x, y = moons
    with pytest.raises(ValueError, match="same positive number"):
        train(_mlp("glorot_uniform"), x, y[:-1], loss="cross_entropy", lr=0.1, steps=1)


# ------------------------------------------------------------------------------ the lessons


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize(("init", "params"), [("zeros", {}), ("constant", {"value": 0.2})])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_zero_and_constant_init_stay_one_neuron(
    moons, activation: str, init: str, params: dict, optimizer: str
) -> None:
    x, y = moons
    net = _mlp(init, activation=activation, **params)
    lr = 0.1 if optimizer == "sgd" else 0.01
    h = train(
        net,
        x,
        y,
        loss="cross_entropy",
        optimizer=optimizer,
        lr=lr,
        steps=150,
        batch_size=64,
        symmetry_every=1,
    )
    assert h.diverged_at is None
    assert h.symmetry_step.size == 151
    assert np.all(h.distinct_neurons == 1)
    # Not merely within tolerance: the clones stay bit-identical.
    for w in net.hidden_weights():
        assert np.all(w == w[:, :1])
    if init == "zeros":
        # f(0) = 0 for tanh and relu: every hidden weight gradient is exactly zero, always.
        assert np.all(h.grad_norm[:, :-1] == 0.0)
        for w in net.hidden_weights():
            assert np.all(w == 0.0)
    else:
        assert np.all(h.grad_norm[1:, :-1] > 0.0)  # identical, but not zero, gradients


def test_random_init_breaks_symmetry(moons) -> None:
    x, y = moons
    h = train(_mlp("glorot_uniform"), x, y, loss="cross_entropy", lr=0.1, steps=10)
    assert np.all(h.distinct_neurons == 16)


def test_glorot_tanh_mlp_learns_moons(moons) -> None:
    x, y = moons
    net = _mlp("glorot_uniform", depth=2, width=16, activation="tanh")
    h = train(net, x, y, loss="cross_entropy", lr=0.2, steps=300)
    assert h.diverged_at is None
    assert h.final_accuracy > 0.85  # observed ~0.99
    assert h.final_loss < 0.5 * h.loss[0]


def test_deep_relu_learns_with_he_and_stalls_with_lecun(moons) -> None:
    # 30 ReLU layers. He (Var = 2/fan_in) keeps the signal's scale; Var = 1/fan_in halves the
    # second moment at every layer (He et al. 2015), so after 30 layers the output and the
    # first-layer gradient are ~2^-15 smaller and plain SGD barely moves.
    x, y = moons
    kw = {"loss": "cross_entropy", "lr": 0.02, "steps": 150}
    he = train(_mlp("he_normal", depth=30, width=32, activation="relu", seed=1), x, y, **kw)
    lecun = train(_mlp("lecun_normal", depth=30, width=32, activation="relu", seed=1), x, y, **kw)
    assert he.diverged_at is None
    assert lecun.diverged_at is None
    assert he.final_accuracy > 0.85  # observed 0.93 - 1.0 over seeds 0-4
    assert he.final_loss < 0.4  # observed <= 0.23
    assert lecun.final_loss > 0.68  # ln 2 = 0.693: still guessing (observed 0.6915 - 0.6931)
    # The first layer's gradient is orders of magnitude smaller (observed ratio ~1e-4 - 1e-5).
    assert lecun.grad_norm[0, 0] < 1e-2 * he.grad_norm[0, 0]


def test_divergence_is_reported_and_clipping_prevents_it() -> None:
    x, y = datasets.load("moons", 128, seed=0)
    net = _mlp("large_random", depth=8, width=16, activation="relu")  # N(0, 1): explodes
    bad = train(net.copy(), x, y, loss="cross_entropy", lr=0.1, steps=100)
    assert bad.diverged_at is not None
    assert bad.diverged
    assert bad.diverged_at < 20  # observed 3
    assert bad.steps_run == bad.diverged_at
    assert bad.step[-1] == bad.diverged_at
    assert np.all(np.isfinite(bad.loss[:-1]))
    assert bad.symmetry_step[-1] == bad.steps_run

    clipped_net = net.copy()
    good = train(clipped_net, x, y, loss="cross_entropy", lr=0.1, steps=100, clip=1.0)
    assert good.diverged_at is None
    assert good.steps_run == 100
    assert good.n_clipped > 0  # observed 49
    assert np.all(np.isfinite(good.loss))
    assert all(np.all(np.isfinite(v)) for p in clipped_net.params for v in p.values())


def test_diverged_run_keeps_the_last_finite_parameters() -> None:
    x, y = datasets.load("moons", 128, seed=0)
    net = _mlp("large_random", depth=8, width=16, activation="relu")
    bad = net.copy()
    h = train(bad, x, y, loss="cross_entropy", lr=0.1, steps=100)
    assert h.diverged_at is not None
    # Replaying exactly the updates that were applied gives the parameters the run kept.
    replay = net.copy()
    train(replay, x, y, loss="cross_entropy", lr=0.1, steps=h.steps_run)
    for p0, p1 in zip(replay.params, bad.params, strict=True):
        for k in p0:
            np.testing.assert_array_equal(p0[k], p1[k])
            assert np.all(np.isfinite(p1[k]))


def test_divergent_update_is_not_applied() -> None:
    x, y = datasets.load("moons", 128, seed=0)
    net = _mlp("large_random", depth=8, width=16, activation="relu")
    h = train(net, x, y, loss="cross_entropy", lr=1e308, steps=10)
    assert h.diverged_at == 0  # the first update overflows the weights
    assert h.steps_run == 0
    assert np.isfinite(h.loss[0])
    # The kept parameters are the initial ones, all finite.
    ref = _mlp("large_random", depth=8, width=16, activation="relu")
    for p0, p1 in zip(ref.params, net.params, strict=True):
        for k in p0:
            np.testing.assert_array_equal(p0[k], p1[k])


def test_overflow_at_initialization_diverges_at_step_zero() -> None:
    x, y = datasets.load("moons", 64, seed=0)
    # N(0, 10^2) weights in 200 ReLU layers of width 64: the activations grow by
    # 10 * sqrt(64 / 2) ~ 57 per layer and overflow float64 (~1.8e308) near layer 176.
    net = _mlp("normal", depth=200, width=64, activation="relu", std=10.0)
    h = train(net, x, y, loss="cross_entropy", lr=0.1, steps=5)
    assert h.diverged_at == 0
    assert h.steps_run == 0
    assert not np.isfinite(h.loss[0])
    assert not np.isfinite(h.final_loss)


def _steps_to(loss: np.ndarray, threshold: float) -> int:
    hit = np.flatnonzero(loss < threshold)
    return int(hit[0]) if hit.size else loss.size


def test_saxe_orthogonal_learning_time_is_depth_independent() -> None:
    # Deep linear networks on a linear teacher (Saxe et al. 2013), learning rate 1 / (layers).
    # Orthogonal weights keep every singular value of the product at 1, so the number of steps
    # to fit the teacher barely changes with depth; Gaussian weights with Var = 1/fan_in give a
    # product whose singular values spread with depth, and learning slows down.
    x, y = datasets.load("linear_teacher", 256, seed=0, d_in=8, d_out=8, noise=0.0)
    threshold = 0.01 * float(np.mean(y**2))
    time_to: dict[tuple[str, int], int] = {}
    for init in ("orthogonal", "lecun_normal"):
        for depth in (2, 16):
            net = _mlp(init, depth=depth, width=32, activation="linear", d_in=8, n_outputs=8)
            h = train(net, x, y, loss="mse", lr=1.0 / (depth + 1), steps=120)
            assert h.diverged_at is None
            time_to[init, depth] = _steps_to(h.loss, threshold)
    # observed: orthogonal 8 -> 8 steps; lecun_normal 7 -> ~60 steps (seeds 0-2)
    assert time_to["orthogonal", 16] <= 1.5 * time_to["orthogonal", 2] + 2
    assert time_to["lecun_normal", 16] >= 4 * time_to["lecun_normal", 2]
    assert time_to["lecun_normal", 16] >= 3 * time_to["orthogonal", 16]


def _input_gradient_ratio(activation: str, recurrence: str, t_steps: int = 30) -> float:
    """||dL/dx_0|| / ||dL/dx_{T-1}|| of a width-32 RNN on the adding problem at initialization."""
    x, y = datasets.load("adding", 128, seed=0, length=t_steps)
    rng = np.random.default_rng(0)
    net = make_net("rnn", (t_steps, 2), 1, 1, 32, activation, "glorot_uniform", rng)
    if recurrence == "small":
        w_hh = initializers.initialize("normal", (32, 32), rng=rng, std=0.01)
    else:
        w_hh = initializers.initialize(recurrence, (32, 32), rng=rng)
    net.params[0]["w_hh"] = w_hh
    trace = net.forward(x)
    _, dout = networks.loss_and_output_grad(trace.output, y, "mse")
    _, back = net.backward(trace, dout, need_input_grad=True)
    per_step = np.linalg.norm(back.dx, axis=(0, 2))
    return float(per_step[0] / per_step[-1])


@pytest.mark.parametrize(
    ("activation", "good"),
    [("tanh", "orthogonal"), ("relu", "identity"), ("linear", "orthogonal")],
)
def test_rnn_recurrence_carries_gradient_through_time(activation: str, good: str) -> None:
    # W_hh is applied T times: with N(0, 0.01^2) its spectral radius is ~0.1, so the gradient
    # reaching the first input is ~0.1^30 of the last one's; orthogonal or identity recurrence
    # (spectral radius 1; Le et al. 2015 for ReLU + identity) keeps it within a few decades.
    kept = _input_gradient_ratio(activation, good)
    lost = _input_gradient_ratio(activation, "small")
    assert kept > 1e-3  # observed 0.02 (tanh), 0.96 (relu), 4.5 (linear)
    assert lost < 1e-20  # observed ~1e-36
    assert kept > 1e15 * lost


def test_rnn_trains_on_the_adding_problem() -> None:
    x, y = datasets.load("adding", 128, seed=0, length=10)
    net = make_net("rnn", (10, 2), 1, 1, 16, "tanh", "orthogonal")
    h = train(net, x, y, loss="mse", optimizer="adam", lr=0.01, steps=60, batch_size=32)
    assert h.diverged_at is None
    assert h.distinct_neurons.shape[1] == 1
    assert h.final_loss < h.loss[0]


# ---- collapse: a run that stops learning without overflowing ---------------------------------


def _moons_run(init: str, seed: int = 0, lr: float = 0.1):
    x, y = datasets.load("moons", 512, 0)
    net = networks.build(
        "mlp",
        input_shape=(2,),
        n_outputs=2,
        depth=4,
        width=32,
        activation="relu",
        init=init,
        rng=np.random.default_rng(seed),
    )
    return training.train(
        net, x, y, loss="cross_entropy", optimizer="sgd", lr=lr, steps=300, seed=seed,
        batch_size=128,
    )  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_relu_large_random_collapses_without_diverging(seed):
    # N(0, 1) ReLU: the loss spikes (1e81 .. 1e296), every unit dies, the loss then sits at
    # ln 2 with all-zero weight gradients: not "diverged", but collapsed.
    history = _moons_run("large_random", seed)
    assert history.diverged_at is None
    assert history.collapsed_at is not None
    assert 0 < history.collapsed_at < 300
    rows = history.step >= history.collapsed_at
    assert np.all(history.grad_norm[rows, :-1] == 0)
    assert history.peak_loss > 1e50
    assert history.final_loss == pytest.approx(math.log(2), abs=1e-3)


def test_healthy_and_zero_init_runs_do_not_collapse():
    assert _moons_run("he_normal").collapsed_at is None
    # Zero init: hidden gradients are 0 from the start (symmetry), which is not a collapse.
    zero = _moons_run("zeros")
    assert np.all(zero.grad_norm[:, :-1] == 0)
    assert zero.collapsed_at is None
