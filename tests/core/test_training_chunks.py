"""core.training.train_chunk: a run cut into chunks records exactly what one train() call does."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from benchmarks.nets import make_net
from core import datasets
from core.training import join_histories, train, train_chunk


def _net(init: str = "glorot_uniform", activation: str = "tanh", kind: str = "mlp"):
    return make_net(kind, (2,), 2, 3, 12, activation, init, 0)


@pytest.fixture(scope="module")
def moons() -> tuple[np.ndarray, np.ndarray]:
    return datasets.load("moons", 128, seed=1)


def _chunked(net, x, y, size: int, steps: int, **kw):
    parts, state = [], None
    while state is None or not state.done:
        until = (0 if state is None else state.step) + size
        part, state = train_chunk(net, x, y, steps=steps, until=until, state=state, **kw)
        state = pickle.loads(pickle.dumps(state))  # what st.cache_data does to it
        parts.append(part)
    return join_histories(parts), state, parts


@pytest.mark.parametrize(
    ("optimizer", "batch", "clip", "size", "kind"),
    [
        ("sgd", None, None, 25, "mlp"),
        ("momentum", 32, None, 7, "mlp"),
        ("adam", 24, 1.0, 25, "mlp"),
        ("adam", None, None, 1, "resmlp"),
        ("momentum", 50, 0.5, 33, "resmlp"),
    ],
)
def test_chunks_are_bit_identical_to_one_run(moons, optimizer, batch, clip, size, kind) -> None:
    x, y = moons
    kw = dict(loss="cross_entropy", optimizer=optimizer, lr=0.05, batch_size=batch, clip=clip)
    one = _net(kind=kind)
    whole = train(one, x, y, steps=90, seed=3, **kw)
    many = _net(kind=kind)
    joined, state, parts = _chunked(many, x, y, size, 90, seed=3, **kw)
    assert joined == whole
    assert len(parts) == -(-90 // size)
    for a, b in zip(one.params, many.params, strict=True):
        for k in a:
            assert np.array_equal(a[k], b[k])
    assert state.done
    assert state.step == 90
    assert state.steps_run == 90
    # Only the last part carries the end-of-run numbers.
    assert all(np.isnan(p.final_loss) for p in parts[:-1])
    assert parts[-1].final_loss == whole.final_loss


def test_a_diverging_run_stops_in_its_chunk(moons) -> None:
    x, y = moons
    kw = dict(loss="cross_entropy", optimizer="sgd", lr=0.3)
    whole = train(_net("large_random", "linear"), x, y, steps=200, **kw)
    assert whole.diverged_at is not None
    assert whole.diverged_at < 200
    joined, state, parts = _chunked(_net("large_random", "linear"), x, y, 3, 200, **kw)
    assert joined == whole
    assert state.done
    assert state.diverged_at == whole.diverged_at
    assert len(parts) == whole.diverged_at // 3 + 1  # diverges at step 7 (lr 0.3)


def test_a_finished_run_cannot_continue_and_until_must_advance(moons) -> None:
    x, y = moons
    kw = dict(loss="cross_entropy", lr=0.1, steps=20)
    part, state = train_chunk(_net(), x, y, until=10, **kw)
    assert not state.done
    assert state.step == 10
    assert part.steps_run == 10
    with pytest.raises(ValueError, match="until"):
        train_chunk(_net(), x, y, until=10, state=state, **kw)
    _, end = train_chunk(_net(), x, y, until=99, state=state, **kw)  # clipped to steps
    assert end.done
    assert end.step == 20
    with pytest.raises(ValueError, match="over"):
        train_chunk(_net(), x, y, until=30, state=end, **kw)
    with pytest.raises(ValueError, match="at least one"):
        join_histories([])
