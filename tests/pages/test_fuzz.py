"""Robustness, measured: hypothesis fuzzing of the core and of every page, and the core's limits.

Three groups:

* core (fast): random shapes, activations, initializers and extreme scales through
  ``initializers.initialize``, ``networks.build`` + forward/backward and ``probe.propagate``.
  Only documented ValueErrors may escape, no warning may leak (pytest runs with
  ``filterwarnings=error``) and non-finite values are counted exactly (checked against an
  independent re-computation of the probe's MLP forward pass, and against the histograms).
* limits: a notebook user asking for a 10^6-wide layer (or a 10^6-sample data set, or a huge
  batch) gets a clear ValueError at once, from every core entry point.
* pages (AppTest, ~1 s per run): random query-parameter dictionaries (valid values, numbers out
  of range, NaN/inf, empty and long strings, HTML/Markdown injection, junk keys) on every page
  script, and extreme sidebar widget values on a few pages: never an exception, always a title.

Every hypothesis test is derandomized so CI is reproducible; example counts are small because
each AppTest run costs about a second.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from core import activations, datasets, initializers, networks, probe, training
from explorer import state

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = [ROOT / "Home.py", *sorted((ROOT / "pages").glob("[0-9]*_*.py"))]
IDS = [p.stem for p in SCRIPTS]

# On a failure hypothesis's pytest plugin imports its patch writer (libcst), whose import-time
# DeprecationWarning is an error under filterwarnings=error and would hide the real report behind
# an INTERNALERROR. Importing it here, warnings silenced, makes the later import a no-op.
with warnings.catch_warnings(), contextlib.suppress(ImportError):
    warnings.simplefilter("ignore")
    import hypothesis.extra._patching  # noqa: F401


def _settings(max_examples: int, *health_checks: HealthCheck) -> settings:
    """Derandomized, no deadline, no example database; slow examples are fine."""
    return settings(
        derandomize=True,
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        deadline=None,
        database=None,
        max_examples=max_examples,
        suppress_health_check=[HealthCheck.too_slow, *health_checks],
    )


CORE = _settings(150)
PAGES = _settings(8, HealthCheck.function_scoped_fixture)

# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

#: Extreme but valid values of every float initializer parameter (the registry's ranges).
_EXTREME_FLOATS = {
    "std": st.one_of(st.sampled_from([0.0, 1e-300, 1e-3, 1.0, 10.0]), st.floats(0.0, 10.0)),
    "gain": st.one_of(st.sampled_from([1e-300, 1e-3, 1.0, 10.0]), st.floats(1e-6, 10.0)),
    "value": st.one_of(st.sampled_from([-10.0, 0.0, 1e-300, 10.0]), st.floats(-10.0, 10.0)),
    "limit": st.one_of(st.sampled_from([0.0, 1e-300, 10.0]), st.floats(0.0, 10.0)),
    "scale": st.one_of(st.sampled_from([1e-300, 1e-3, 100.0]), st.floats(1e-6, 100.0)),
}
_GARBAGE = st.sampled_from(
    [math.nan, math.inf, -math.inf, -1.0, 1e308, -1e-300, "1", None, "fan_sideways", True, []]
)


@st.composite
def valid_params(draw: st.DrawFn, init: str) -> dict[str, object]:
    """Every parameter of ``init`` at a random valid value, often at the edge of its range."""
    out: dict[str, object] = {}
    for param in initializers.REGISTRY[init].params:
        if param.kind == "choice":
            out[param.name] = draw(st.sampled_from(param.choices or ()))
        else:
            value = draw(_EXTREME_FLOATS[param.name])
            try:
                param.check(value)
            except ValueError:  # an exclusive bound (e.g. gain > 0): use the default instead
                value = param.default
            out[param.name] = value
    return out


@st.composite
def any_params(draw: st.DrawFn, init: str) -> dict[str, object]:
    """Valid parameters with some replaced by garbage and, sometimes, an unknown name."""
    out = draw(valid_params(init))
    for name in list(out):
        if draw(st.booleans()):
            out[name] = draw(_GARBAGE)
    if draw(st.integers(0, 4)) == 0:
        out[draw(st.sampled_from(["std", "gain", "nope", "mode"]))] = draw(_GARBAGE)
    return out


def _attempt(call: Callable[[], T]) -> tuple[T | None, ValueError | None]:
    """``(call(), None)``, or ``(None, error)`` on ValueError (anything else escapes)."""
    try:
        return call(), None
    except ValueError as error:
        return None, error


def _valid_shape_for(init: str, draw: st.DrawFn) -> tuple[int, ...]:
    dim = st.integers(1, 7)
    if init == "delta_orthogonal":
        k = draw(st.sampled_from([1, 3, 5]))
        c_in = draw(dim)
        return (k, k, c_in, c_in + draw(st.integers(0, 3)))
    if init == "identity":
        return (draw(dim), draw(dim))
    rank = draw(st.integers(2, 4))
    return tuple(draw(dim) for _ in range(rank))


# ---------------------------------------------------------------------------------------------
# (a) core: initializers
# ---------------------------------------------------------------------------------------------


@CORE
@given(data=st.data(), init=st.sampled_from(list(initializers.REGISTRY)), seed=st.integers(0, 99))
def test_initialize_valid_inputs_give_finite_weights_of_the_shape(
    data: st.DataObject, init: str, seed: int
) -> None:
    shape = _valid_shape_for(init, data.draw)
    params = data.draw(valid_params(init))
    w = initializers.initialize(init, shape, rng=np.random.default_rng(seed), **params)
    assert w.shape == shape
    assert w.dtype == np.float64
    assert np.isfinite(w).all()
    # Same seed, same weights.
    again = initializers.initialize(init, shape, rng=np.random.default_rng(seed), **params)
    np.testing.assert_array_equal(w, again)


@CORE
@given(
    data=st.data(),
    init=st.one_of(st.sampled_from(list(initializers.REGISTRY)), st.just("he_normall")),
    shape=st.lists(st.integers(-2, 6), min_size=0, max_size=6),
)
def test_initialize_bad_inputs_raise_only_value_error(
    data: st.DataObject, init: str, shape: list[int]
) -> None:
    params = data.draw(any_params(init)) if init in initializers.REGISTRY else {}
    w, error = _attempt(
        lambda: initializers.initialize(init, shape, rng=np.random.default_rng(0), **params)
    )
    if error is not None:
        assert str(error)  # a message naming the problem
        return
    assert w.shape == tuple(shape)
    assert np.isfinite(w).all()


# ---------------------------------------------------------------------------------------------
# (a) core: networks
# ---------------------------------------------------------------------------------------------


@st.composite
def network_case(draw: st.DrawFn) -> dict[str, object]:
    kind = draw(st.sampled_from(networks.KINDS))
    init = draw(st.sampled_from(networks.supported_inits(kind)))
    if kind == "cnn":
        depth = draw(st.integers(1, 6))
        input_shape = (draw(st.integers(1, 5)), draw(st.integers(1, 5)), draw(st.integers(1, 4)))
    elif kind == "rnn":
        depth = draw(st.integers(1, 3))
        input_shape = (draw(st.integers(1, 8)), draw(st.integers(1, 5)))
    else:
        depth = draw(st.integers(1, 60))
        input_shape = (draw(st.integers(1, 8)),)
    return {
        "kind": kind,
        "input_shape": input_shape,
        "n_outputs": draw(st.integers(1, 4)),
        "depth": depth,
        "width": draw(st.integers(1, 8)),
        "activation": draw(st.sampled_from(activations.NAMES)),
        "init": init,
        "init_params": draw(valid_params(init)),
        "bias": draw(st.booleans()),
        "alpha": draw(st.sampled_from([0.0, 0.5, 1.0, 2.0])),
    }


@CORE
@given(
    case=network_case(),
    batch=st.integers(1, 6),
    input_scale=st.sampled_from([1.0, 1e3, 1e150, 1e300]),
    seed=st.integers(0, 99),
)
def test_network_forward_backward_never_raises_or_warns(
    case: dict[str, object], batch: int, input_scale: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    net, error = _attempt(lambda: networks.build(**case, rng=rng))  # type: ignore[arg-type]
    if error is not None:
        # The one documented shape rejection among valid-looking cases.
        assert case["init"] == "delta_orthogonal", error
        assert case["input_shape"][-1] > case["width"], error  # type: ignore[index]
        return
    x = input_scale * rng.standard_normal((batch, *case["input_shape"]))  # type: ignore[misc]
    trace = net.forward(x)
    assert trace.output.shape == (batch, case["n_outputs"])
    assert len(trace.z) == len(trace.a) == len(net.params)
    dout = rng.standard_normal(trace.output.shape)
    dout_before = dout.copy()
    grads, back = net.backward(trace, dout)
    np.testing.assert_array_equal(dout, dout_before)  # never mutates dout
    assert len(grads) == len(net.params)
    for g, p in zip(grads, net.params, strict=True):
        assert set(g) == set(p)
        for key in p:
            assert g[key].shape == p[key].shape
    assert back.dx is None or back.dx.shape == x.shape
    # Losses of overflowing networks are inf/NaN, not exceptions or warnings.
    loss, grads = net.loss_and_grads(x, np.zeros((batch, net.n_outputs)), "mse")
    assert isinstance(loss, float)
    labels = rng.integers(0, net.n_outputs, batch)
    loss, _ = net.loss_and_grads(x, labels, "cross_entropy")
    assert isinstance(loss, float)
    assert not math.isnan(loss) or not np.isfinite(trace.output).all()


# ---------------------------------------------------------------------------------------------
# (a) core: the probe
# ---------------------------------------------------------------------------------------------


@st.composite
def probe_case(draw: st.DrawFn) -> dict[str, object]:
    network = draw(st.sampled_from(networks.KINDS))
    init = draw(st.sampled_from(networks.supported_inits(network)))
    return {
        "network": network,
        "activation": draw(st.sampled_from(activations.NAMES)),
        "init": init,
        "init_params": draw(valid_params(init)),
        "depth": draw(st.integers(1, 60 if network != "cnn" else 8)),
        "width": draw(st.integers(1, 16 if network != "cnn" else 4)),
        "batch": draw(st.integers(1, 8)),
        "seed": draw(st.integers(0, 2**40)),
        "bias": draw(st.booleans()),
        "bias_std": draw(st.sampled_from([0.0, 1.0, 10.0])),
        "alpha": draw(st.sampled_from([0.0, 0.3, 1.0, 2.0])),
        "inputs": draw(st.sampled_from(probe.INPUTS)),
        "image_size": draw(st.integers(1, 5)),
    }


def _check_probe_bookkeeping(stats: probe.LayerStats) -> None:
    """Shapes, ranges and the exact accounting of every value (finite or not)."""
    depth, n = stats.depth, stats.values_per_layer
    assert stats.hist_values_per_layer == n  # small cases: every value is histogrammed
    for name in (
        "act_mean", "act_std", "act_rms", "preact_std", "saturated_fraction", "dead_fraction",
        "grad_std", "grad_rms", "weight_grad_std",
    ):  # fmt: skip
        assert getattr(stats, name).shape == (depth,), name
    for name in ("nonfinite_act", "nonfinite_preact", "nonfinite_grad"):
        counts = getattr(stats, name)
        assert counts.shape == (depth,)
        assert ((counts >= 0) & (counts <= n)).all(), name
    assert (stats.saturated_fraction >= 0).all()
    assert (stats.saturated_fraction <= 1).all()
    assert (stats.dead_fraction >= 0).all()
    assert (stats.dead_fraction <= stats.saturated_fraction).all()
    # Every value is either counted as non-finite or lands in exactly one histogram bin.
    np.testing.assert_array_equal(stats.act_hist.sum(axis=1) + stats.nonfinite_act, n)
    np.testing.assert_array_equal(stats.grad_hist.sum(axis=1) + stats.nonfinite_grad, n)
    np.testing.assert_array_equal(
        stats.act_log_hist.sum(axis=1) + stats.act_zero_count + stats.nonfinite_act, n
    )
    np.testing.assert_array_equal(
        stats.grad_log_hist.sum(axis=1) + stats.grad_zero_count + stats.nonfinite_grad, n
    )
    assert (stats.act_log_hist >= 0).all()
    assert (stats.grad_log_hist >= 0).all()
    # Moments exist exactly when some finite value does.
    some_finite = stats.nonfinite_act < n
    np.testing.assert_array_equal(np.isfinite(stats.act_std), some_finite)
    np.testing.assert_array_equal(np.isfinite(stats.grad_std), stats.nonfinite_grad < n)
    first = stats.first_nonfinite_layer
    bad = np.flatnonzero(stats.nonfinite_act)
    assert first == (int(bad[0]) + 1 if bad.size else None)
    assert stats.any_nonfinite == bool(
        stats.nonfinite_act.any()
        or stats.nonfinite_preact.any()
        or stats.nonfinite_grad.any()
        or stats.nonfinite_weight_grad.any()
    )
    for edges in (stats.act_bin_edges, stats.grad_bin_edges):
        assert np.isfinite(edges).all()
        assert (np.diff(edges) > 0).all()


@CORE
@given(case=probe_case())
def test_probe_never_raises_or_warns_and_accounts_for_every_value(
    case: dict[str, object],
) -> None:
    stats, error = _attempt(lambda: probe.propagate(**case))  # type: ignore[arg-type]
    if error is not None:
        assert case["network"] == "cnn", error
        assert case["init"] == "delta_orthogonal", error
        return
    _check_probe_bookkeeping(stats)


def _mlp_nonfinite_counts(
    *, activation: str, init: str, init_params: dict, depth: int, width: int, batch: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Independent MLP forward pass with the probe's documented seeding: np.isfinite counts."""
    in_ss, w_ss, _ = np.random.SeedSequence(seed).spawn(3)
    in_rng, w_rng = np.random.default_rng(in_ss), np.random.default_rng(w_ss)
    h = in_rng.standard_normal((batch, width))
    f = activations.get(activation).f
    bad_z, bad_a = [], []
    with np.errstate(all="ignore"):
        for _ in range(depth):
            z = h @ initializers.initialize(init, (width, width), rng=w_rng, **init_params)
            h = f(z)
            bad_z.append(np.count_nonzero(~np.isfinite(z)))
            bad_a.append(np.count_nonzero(~np.isfinite(h)))
    return np.array(bad_z), np.array(bad_a)


@CORE
@given(
    activation=st.sampled_from(["linear", "relu", "elu", "selu", "tanh", "softsign", "silu"]),
    init=st.sampled_from(["normal", "constant", "large_random", "uniform"]),
    depth=st.integers(1, 300),
    width=st.integers(1, 12),
    batch=st.integers(1, 6),
    seed=st.integers(0, 1000),
)
def test_probe_nonfinite_counts_match_isfinite(
    activation: str, init: str, depth: int, width: int, batch: int, seed: int
) -> None:
    # The largest scales: N(0, 10^2) or constant 10 weights overflow a linear/ReLU MLP after
    # ~308 / log10(10 sqrt(width)) layers (150-300 here), so many examples go non-finite.
    init_params = {"normal": {"std": 10.0}, "constant": {"value": 10.0}, "uniform": {"limit": 10.0}}
    params = init_params.get(init, {})
    stats = probe.propagate(
        network="mlp", activation=activation, init=init, init_params=params,
        depth=depth, width=width, batch=batch, seed=seed,
    )  # fmt: skip
    bad_z, bad_a = _mlp_nonfinite_counts(
        activation=activation, init=init, init_params=params,
        depth=depth, width=width, batch=batch, seed=seed,
    )  # fmt: skip
    np.testing.assert_array_equal(stats.nonfinite_preact, bad_z)
    np.testing.assert_array_equal(stats.nonfinite_act, bad_a)
    _check_probe_bookkeeping(stats)


def test_probe_nonfinite_counts_match_isfinite_in_a_net_that_overflows() -> None:
    # A fixed case that certainly overflows (the random one above might not reach it).
    kwargs = {
        "activation": "linear", "init": "normal", "init_params": {"std": 10.0},
        "depth": 200, "width": 64, "batch": 4, "seed": 7,
    }  # fmt: skip
    stats = probe.propagate(network="mlp", **kwargs)  # type: ignore[arg-type]
    bad_z, bad_a = _mlp_nonfinite_counts(**kwargs)  # type: ignore[arg-type]
    assert bad_a[-1] == stats.values_per_layer  # everything overflowed at the top
    assert stats.first_nonfinite_layer is not None
    assert stats.first_nonfinite_layer < 200  # 80x per layer: overflow near layer 162
    np.testing.assert_array_equal(stats.nonfinite_preact, bad_z)
    np.testing.assert_array_equal(stats.nonfinite_act, bad_a)
    assert stats.nonfinite_grad.sum() > 0
    _check_probe_bookkeeping(stats)


@CORE
@given(
    network=st.one_of(st.sampled_from(networks.KINDS), st.just("transformer")),
    activation=st.one_of(st.sampled_from(activations.NAMES), st.just("swish9")),
    init=st.one_of(st.sampled_from(list(initializers.REGISTRY)), st.just("xavier")),
    depth=st.one_of(st.integers(-3, 3), st.just(10**9), st.just(1.5), st.just(True)),
    width=st.one_of(st.integers(-3, 3), st.just(10**6), st.just(2.0)),
    batch=st.one_of(st.integers(-1, 3), st.just(10**7)),
    seed=st.one_of(st.integers(-2, 3), st.just(2**70)),
    alpha=st.sampled_from([1.0, math.nan, math.inf]),
    bias_std=st.sampled_from([0.0, -1.0, math.inf]),
)
def test_probe_bad_arguments_raise_value_error_quickly(**kwargs: object) -> None:
    start = time.perf_counter()
    stats, error = _attempt(lambda: probe.propagate(**kwargs))  # type: ignore[arg-type]
    if error is None:
        _check_probe_bookkeeping(stats)
    else:
        assert str(error)
    assert time.perf_counter() - start < 2.0


# ---------------------------------------------------------------------------------------------
# (a) core: data sets
# ---------------------------------------------------------------------------------------------


@CORE
@given(
    name=st.sampled_from(list(datasets.DATASETS)),
    data=st.data(),
    n=st.integers(1, 64),
    seed=st.integers(0, 2**32),
)
def test_dataset_options_only_raise_value_error(
    name: str, data: st.DataObject, n: int, seed: int
) -> None:
    options: dict[str, object] = {}
    for option in datasets.DATASETS[name].options:
        if data.draw(st.booleans()):
            options[option.name] = data.draw(
                st.one_of(
                    st.sampled_from(
                        [option.low, option.high, math.nan, math.inf, -math.inf, 10**30, 1e300]
                    ),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.integers(-(2**70), 2**70),
                )
            )
    result, error = _attempt(lambda: datasets.load(name, n, seed, **options))
    if error is not None:
        assert repr(name) in str(error)
        return
    x, y = result
    assert len(x) == len(y) == n
    assert np.isfinite(x).all()


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, np.float64(math.inf)])
def test_dataset_non_finite_integer_option_is_a_value_error(value: float) -> None:
    with pytest.raises(ValueError, match="n_classes"):
        datasets.load("spiral", 10, 0, n_classes=value)


# ---------------------------------------------------------------------------------------------
# 2. Limits enforced in core: a 10^6-wide request fails fast with a clear ValueError
# ---------------------------------------------------------------------------------------------

HUGE = 10**6


def _fast(call, match: str) -> None:  # noqa: ANN001
    start = time.perf_counter()
    with pytest.raises(ValueError, match=match):
        call()
    assert time.perf_counter() - start < 1.0, "the limit must be checked before allocating"


@pytest.mark.parametrize("kind", networks.KINDS)
def test_build_rejects_a_million_wide_layer(kind: str) -> None:
    shape = {"mlp": (4,), "resmlp": (4,), "cnn": (8, 8, 1), "rnn": (5, 2)}[kind]
    rng = np.random.default_rng(0)
    common = {"input_shape": shape, "depth": 2, "activation": "relu", "init": "he_normal"}
    _fast(lambda: networks.build(kind, **common, n_outputs=2, width=HUGE, rng=rng), "width")
    _fast(lambda: networks.build(kind, **common, n_outputs=HUGE, width=4, rng=rng), "n_outputs")


def test_build_rejects_parameter_budgets_and_huge_inputs() -> None:
    rng = np.random.default_rng(0)
    # Each width is allowed on its own; together they exceed MAX_PARAMETERS (~8 * 4096^2).
    _fast(
        lambda: networks.build(
            "mlp", input_shape=(4,), n_outputs=2, depth=400, width=4096,
            activation="relu", init="he_normal", rng=rng,
        ),
        "MAX_PARAMETERS",
    )  # fmt: skip
    _fast(
        lambda: networks.build(
            "cnn", input_shape=(HUGE, HUGE, 1), n_outputs=2, depth=1, width=4,
            activation="relu", init="he_normal", rng=rng,
        ),
        "MAX_INPUT_ELEMENTS",
    )  # fmt: skip


def test_forward_rejects_a_batch_whose_trace_would_exhaust_memory() -> None:
    net = networks.build(
        "mlp", input_shape=(4,), n_outputs=2, depth=4, width=512,
        activation="relu", init="he_normal", rng=np.random.default_rng(0),
    )  # fmt: skip
    x = np.zeros((40_000, 4))  # 40000 samples x 4 layers x 512 units x (z, a) > 2**26
    _fast(lambda: net.forward(x), "MAX_TRACE_ELEMENTS")


@pytest.mark.parametrize("network", networks.KINDS)
def test_probe_rejects_a_million_wide_layer_and_huge_batches(network: str) -> None:
    common = {"network": network, "activation": "tanh", "init": "glorot_normal", "seed": 0}
    _fast(lambda: probe.propagate(**common, depth=2, width=HUGE, batch=4), "width")
    _fast(lambda: probe.propagate(**common, depth=2, width=8, batch=HUGE), "batch")
    _fast(lambda: probe.propagate(**common, depth=HUGE, width=8, batch=4), "depth")
    # Each size allowed, the product too much: a budget, not just per-argument ranges.
    _fast(
        lambda: probe.propagate(**common, depth=500, width=4096, batch=8192),
        "MAX_TRACE_ELEMENTS|MAX_PARAMETERS",
    )


@pytest.mark.parametrize(
    ("init", "shape"),
    [
        ("normal", (HUGE, HUGE)),
        ("orthogonal", (100_000, 100_000)),
        ("zeros", (HUGE, 1000)),
        ("delta_orthogonal", (3, 3, 4096, 8192)),
        ("he_uniform", (HUGE, 1, 1, 1000)),
    ],
)
def test_initialize_rejects_tensors_beyond_max_elements(init: str, shape: tuple) -> None:
    assert math.prod(shape) > initializers.MAX_ELEMENTS
    rng = np.random.default_rng(0)
    _fast(lambda: initializers.initialize(init, shape, rng=rng), "MAX_ELEMENTS")


def test_initialize_max_elements_is_a_budget_not_a_rank_rule() -> None:
    # A long thin tensor just under the limit is fine (64 x 16 weights; cheap).
    w = initializers.initialize("normal", (64, 16), rng=np.random.default_rng(0), std=1.0)
    assert w.size <= initializers.MAX_ELEMENTS
    assert initializers.MAX_ELEMENTS >= networks.MAX_PARAMETERS  # networks' own layers fit


def test_datasets_reject_a_million_samples() -> None:
    for name in datasets.DATASETS:
        _fast(lambda name=name: datasets.load(name, HUGE, 0), "n must be")
    _fast(lambda: datasets.load("linear_teacher", 10, 0, d_in=HUGE), "d_in")
    _fast(lambda: datasets.load("adding", 10, 0, length=HUGE), "length")


def test_training_rejects_huge_runs_and_batches_quickly() -> None:
    rng = np.random.default_rng(0)
    net = networks.build(
        "mlp", input_shape=(2,), n_outputs=2, depth=2, width=8,
        activation="tanh", init="glorot_normal", rng=rng,
    )  # fmt: skip
    x, y = np.zeros((16, 2)), np.zeros(16, dtype=int)
    _fast(lambda: training.train(net, x, y, loss="cross_entropy", lr=0.1, steps=HUGE), "steps")
    _fast(
        lambda: training.train(net, x, y, loss="cross_entropy", lr=0.1, steps=1, batch_size=-1),
        "batch_size",
    )
    wide = networks.build(
        "mlp", input_shape=(2,), n_outputs=2, depth=4, width=512,
        activation="relu", init="he_normal", rng=rng,
    )  # fmt: skip
    big_x, big_y = np.zeros((40_000, 2)), np.zeros(40_000, dtype=int)  # full batch, as above
    _fast(
        lambda: training.train(wide, big_x, big_y, loss="cross_entropy", lr=0.1, steps=1),
        "MAX_TRACE_ELEMENTS",
    )


# ---------------------------------------------------------------------------------------------
# (b) pages: random query parameters and widget values under AppTest
# ---------------------------------------------------------------------------------------------

_PARAM_NAMES = sorted({p.name for s in initializers.REGISTRY.values() for p in s.params})
_PAGE_KEYS = [
    "k", "n", "dist", "fan_out", "clip", "lr", "sb2", "alpha", "shape", "data", "inits",
    "optimizer", "steps", "batch", "train_depth", "train_width", "length",
]  # fmt: skip
_KEYS = [*state.CONFIG_KEYS, *_PARAM_NAMES, *_PAGE_KEYS]
_VALID = {
    "network": list(networks.KINDS),
    "activation": list(activations.NAMES),
    "init": list(initializers.REGISTRY),
    "depth": ["1", "7", "200", "500"],
    "width": ["2", "64", "1024", "4096"],
    "seed": ["0", "2147483647"],
    "mode": ["fan_in", "fan_out", "fan_avg"],
    "distribution": ["normal", "truncated_normal", "uniform"],
    "n": ["fan_in", "fan_out", "fan_avg"],
    "dist": ["normal", "uniform"],
    "data": list(datasets.DATASETS),
    "inits": ["he_normal,glorot_normal", "zeros,constant,orthogonal,identity,normal,uniform"],
    "optimizer": ["sgd", "momentum", "adam"],
    "shape": ["3,3,64,128", "1000000,1000000", "0,5", "7", "3,3,3,3,3,3,3,3"],
}
_HOSTILE = [
    "", " ", "NaN", "nan", "inf", "-inf", "1e309", "-0", "1e-320", "0x10", "1_000", "½", "٣",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "**bold** [x](javascript:1)",
    "`code`", "$$\\frac{1}{0}$$", "=cmd|' /C calc'!A0", "\x00", "9" * 5000, "a" * 2000,
    "he_normal,he_normal,he_normal,he_normal,he_normal,he_normal", ",,,", "\n\n# heading",
]  # fmt: skip

_value = st.one_of(
    st.sampled_from(_HOSTILE),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
)


@st.composite
def query_dicts(draw: st.DrawFn) -> dict[str, str]:
    keys = draw(
        st.lists(
            st.one_of(st.sampled_from(_KEYS), st.text(min_size=1, max_size=12)),
            max_size=10,
            unique=True,
        )
    )
    out = {}
    for key in keys:
        valid = _VALID.get(key)
        out[key] = draw(st.sampled_from(valid)) if valid and draw(st.booleans()) else draw(_value)
    return out


def _run(script: Path, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(script), default_timeout=60)
    at.query_params.update(query)
    at.run()
    return at


def _assert_rendered(at: AppTest, context: object) -> None:
    assert not at.exception, (context, [e.value for e in at.exception])
    assert at.title, (context, "no title rendered")


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_random_query_parameters_never_break_a_page(script: Path) -> None:
    @PAGES
    @given(query=query_dicts())
    def check(query: dict[str, str]) -> None:
        _assert_rendered(_run(script, query), query)

    check()


def _script(prefix: str) -> Path:
    return next(p for p in SCRIPTS if p.stem.startswith(prefix))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("prefix", "extreme"),
    [
        ("2_", {"network": "mlp", "depth": "max", "width": "max", "seed": "max"}),
        ("7_", {"network": "resmlp", "depth": "max", "width": "min", "param": "max"}),
        ("4_", {"network": "cnn", "depth": "max", "width": "max", "param": "min"}),
        ("3_", {"network": "rnn", "depth": "max", "width": "max", "param": "max"}),
    ],
    ids=["mlp-page2", "resmlp-page7", "cnn-page4", "rnn-page3"],
)
def test_extreme_sidebar_widget_values_never_break_a_page(
    prefix: str, extreme: dict[str, str]
) -> None:
    at = _run(_script(prefix), {"network": extreme["network"], "init": "normal"})
    _assert_rendered(at, extreme)
    # Width first, then depth: the depth slider's range does not follow the width, so a
    # deep-and-wide request must be caught by the server's weight budget.
    for name in ("width", "depth"):
        slider = at.sidebar.slider(key=f"ctl_{name}")
        slider.set_value(slider.max if extreme[name] == "max" else slider.min).run()
        _assert_rendered(at, (extreme, name))
    depth = at.sidebar.slider(key="ctl_depth").value
    width = at.sidebar.slider(key="ctl_width").value
    assert depth <= state.max_depth(extreme["network"], width)  # the weight budget holds
    if depth < state.LIMITS[extreme["network"]].depth_max:  # cut to the budget: said so
        assert any("budget" in w.value for w in at.warning), [w.value for w in at.warning]
    if "seed" in extreme:
        seed = at.sidebar.number_input(key="ctl_seed")
        seed.set_value(seed.max).run()
        _assert_rendered(at, (extreme, "seed"))
    if "param" in extreme:
        std = at.sidebar.number_input(key="ctl_param_std")
        std.set_value(std.max if extreme["param"] == "max" else std.min).run()
        _assert_rendered(at, (extreme, "std"))
