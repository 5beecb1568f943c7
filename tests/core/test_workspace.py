"""Tests for core.workspace and the buffer reuse of core.networks.Network.

Reused buffers must never change a result a caller still holds, never leak between threads
or networks, and never change what a pass computes.
"""

from __future__ import annotations

import copy
import pickle
import threading
import weakref

import numpy as np
import pytest

from core.networks import KINDS, build, loss_and_output_grad
from core.workspace import PER_KEY, Workspace

SHAPES = {"mlp": (6,), "cnn": (5, 5, 2), "rnn": (4, 3), "resmlp": (6,)}


def net_of(kind, *, seed=0, activation="tanh", **kw):
    return build(
        kind,
        input_shape=SHAPES[kind],
        n_outputs=3,
        depth=3,
        width=7,
        activation=activation,
        init="glorot_normal",
        rng=np.random.default_rng(seed),
        **kw,
    )


def inputs(kind, seed, n=5):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, *SHAPES[kind])), rng.integers(0, 3, n)


def snapshot(trace, grads, back):
    """Deep copies of everything a forward + backward pass returned."""
    return (
        [z.copy() for z in trace.z],
        [a.copy() for a in trace.a],
        [{k: v.copy() for k, v in g.items()} for g in grads],
        [d.copy() for d in back.dz],
        [d.copy() for d in back.da],
        None if back.dx is None else back.dx.copy(),
    )


def assert_same(s1, s2):
    zs1, as1, g1, dz1, da1, dx1 = s1
    zs2, as2, g2, dz2, da2, dx2 = s2
    for u, v in zip(zs1 + as1 + dz1 + da1, zs2 + as2 + dz2 + da2, strict=True):
        np.testing.assert_array_equal(u, v)
    for gu, gv in zip(g1, g2, strict=True):
        assert gu.keys() == gv.keys()
        for k in gu:
            np.testing.assert_array_equal(gu[k], gv[k])
    if dx1 is None:
        assert dx2 is None
    else:
        np.testing.assert_array_equal(dx1, dx2)


def full_pass(net, x, y):
    trace = net.forward(x)
    _, dout = loss_and_output_grad(trace.output, y, "cross_entropy")
    grads, back = net.backward(trace, dout)
    return trace, grads, back


# --------------------------------------------------------------------------------------------
# Workspace
# --------------------------------------------------------------------------------------------


def test_workspace_reuses_only_unreferenced_arrays():
    ws = Workspace()
    a = ws.array("z", (3, 4))
    assert a.shape == (3, 4)
    assert a.dtype == np.float64
    assert a.flags.c_contiguous
    b = ws.array("z", (3, 4))
    assert b is not a  # a is still held
    a_id = id(a)
    del a
    c = ws.array("z", (3, 4))
    assert id(c) == a_id  # released, so handed out again
    view = c[1:]
    del c
    d = ws.array("z", (3, 4))
    assert d.base is None
    assert not np.shares_memory(d, view)
    assert ws.array("dz", (3, 4)) is not None
    assert ws.n_arrays <= 2 * PER_KEY


def test_workspace_names_and_shapes_never_share():
    ws = Workspace()
    a = ws.array("z", (2, 2))
    a_id = id(a)
    del a
    assert id(ws.array("a", (2, 2))) != a_id
    assert ws.array("z", (2, 3)).shape == (2, 3)


def test_workspace_cap_eviction_and_disabled():
    ws = Workspace(max_arrays=2)
    for i in range(5):
        ws.array("k", (i + 1,))
    assert ws.n_arrays == 2
    assert ws.nbytes == 8 * (4 + 5)
    ws.clear()
    assert ws.n_arrays == 0
    off = Workspace(max_arrays=0)
    a = off.array("z", (4,))
    a_id = id(a)
    del a
    b = off.array("z", (4,))
    assert off.n_arrays == 0
    assert b.shape == (4,)
    del b, a_id
    with pytest.raises(ValueError, match="max_arrays"):
        Workspace(max_arrays=-1)
    with pytest.raises(ValueError, match="max_arrays"):
        Workspace(max_arrays=True)  # type: ignore[arg-type]


def test_workspace_pickles_and_copies_empty():
    ws = Workspace(max_arrays=5)
    keep = ws.array("z", (100,))
    for clone in (pickle.loads(pickle.dumps(ws)), copy.deepcopy(ws)):
        assert clone.max_arrays == 5
        assert clone.n_arrays == 0
        assert clone.array("z", (100,)) is not keep
    assert "max_arrays=5" in repr(ws)


def test_workspace_threads_never_share_an_array():
    ws = Workspace()
    errors: list[str] = []
    barrier = threading.Barrier(2)

    def work(k: int) -> None:
        barrier.wait()
        for i in range(2000):
            a = ws.array("z", (8,))
            a[:] = k * 10_000 + i
            if not np.all(a == k * 10_000 + i):
                errors.append(f"thread {k} step {i}: overwritten")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


# --------------------------------------------------------------------------------------------
# Network passes with reused buffers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_consecutive_calls_are_identical_and_inputs_untouched(kind, activation):
    net = net_of(kind, activation=activation)
    x, y = inputs(kind, 1)
    x_copy = x.copy()
    t1, g1, b1 = full_pass(net, x, y)
    s1 = snapshot(t1, g1, b1)
    del t1, g1, b1  # release: the next pass may reuse the blocks
    dout = np.random.default_rng(2).standard_normal((x.shape[0], 3))
    dout_copy = dout.copy()
    for _ in range(3):
        s2 = snapshot(*full_pass(net, x, y))
        assert_same(s1, s2)
        trace = net.forward(x)
        net.backward(trace, dout)
        np.testing.assert_array_equal(dout, dout_copy)  # caller's gradient never mutated
        del trace
    np.testing.assert_array_equal(x, x_copy)


@pytest.mark.parametrize("kind", ["mlp", "cnn", "resmlp"])
def test_blocks_are_reused_once_released(kind):
    net = net_of(kind)
    x, y = inputs(kind, 14)
    trace, grads, back = full_pass(net, x, y)
    z_blk = weakref.ref(trace.z[1].base)
    dz_blk = weakref.ref(back.dz[1].base)
    del trace, grads, back
    trace, grads, back = full_pass(net, x, y)
    assert trace.z[1].base is z_blk()
    assert back.dz[1].base is dz_blk()
    # Still held: the next pass gets the second block of each kind.
    trace2, _, back2 = full_pass(net, x, y)
    assert trace2.z[1].base is not z_blk()
    assert back2.dz[1].base is not dz_blk()


@pytest.mark.parametrize("kind", KINDS)
def test_held_results_survive_later_calls(kind):
    net = net_of(kind)
    x1, y1 = inputs(kind, 3)
    x2, y2 = inputs(kind, 4)
    r1 = full_pass(net, x1, y1)
    s1 = snapshot(*r1)
    r2 = full_pass(net, x2, y2)  # r1 still held: must not be overwritten
    assert_same(s1, snapshot(*r1))
    s2 = snapshot(*r2)
    del r2
    r3 = full_pass(net, x2, y2)  # may reuse r2's blocks, never r1's
    assert_same(s1, snapshot(*r1))
    assert_same(s2, snapshot(*r3))
    # A single view is enough to keep a block.
    z_view = r1[0].z[0][:1]
    z_before = z_view.copy()
    del r1
    full_pass(net, x2, y2)
    np.testing.assert_array_equal(z_view, z_before)


@pytest.mark.parametrize("kind", KINDS)
def test_two_networks_interleaved(kind):
    a, b = net_of(kind, seed=5), net_of(kind, seed=6)
    x, y = inputs(kind, 7)
    want_a = snapshot(*full_pass(a.copy(), x, y))
    want_b = snapshot(*full_pass(b.copy(), x, y))
    for _ in range(2):
        ra = full_pass(a, x, y)
        rb = full_pass(b, x, y)
        assert_same(want_a, snapshot(*ra))
        assert_same(want_b, snapshot(*rb))
        del ra, rb


@pytest.mark.parametrize("kind", KINDS)
def test_predict_with_scratch_buffers_matches_forward(kind):
    net = net_of(kind, alpha=0.5) if kind == "resmlp" else net_of(kind)
    for seed in (8, 9):
        x, _ = inputs(kind, seed)
        out1 = net.predict(x)
        out2 = net.predict(x)
        np.testing.assert_array_equal(out1, out2)
        np.testing.assert_allclose(out1, net.forward(x).output, rtol=1e-13, atol=1e-13)


def test_batch_size_change_and_loss_and_grads():
    net = net_of("mlp", activation="relu")
    for n in (5, 9, 5, 1):
        x, y = inputs("mlp", n, n=n)
        v1, g1 = net.loss_and_grads(x, y, "cross_entropy")
        v2, g2 = net.copy().loss_and_grads(x, y, "cross_entropy")
        assert v1 == v2
        for p, q in zip(g1, g2, strict=True):
            for k in p:
                np.testing.assert_array_equal(p[k], q[k])


def test_shared_network_used_by_two_threads():
    # A network cached once and used by several Streamlit sessions at the same time.
    net = net_of("mlp", activation="relu")
    xs = [inputs("mlp", s, n=64) for s in (10, 11)]
    want = [snapshot(*full_pass(net.copy(), x, y)) for x, y in xs]
    errors: list[str] = []
    barrier = threading.Barrier(2)

    def work(k: int) -> None:
        x, y = xs[k]
        barrier.wait()
        for _ in range(40):
            r = full_pass(net, x, y)
            try:
                assert_same(want[k], snapshot(*r))
            except AssertionError as e:  # pragma: no cover - reported below
                errors.append(str(e))
                return

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_network_pickle_and_copy_drop_buffers():
    net = net_of("mlp")
    x, y = inputs("mlp", 12)
    full_pass(net, x, y)
    assert net.workspace.n_arrays > 0
    clone = pickle.loads(pickle.dumps(net))
    assert clone.workspace.n_arrays == 0
    assert clone.workspace is not net.workspace
    assert net.copy().workspace is not net.workspace
    assert_same(snapshot(*full_pass(net, x, y)), snapshot(*full_pass(clone, x, y)))
    assert len(pickle.dumps(net)) < 2 * len(pickle.dumps(clone)) + 100


def test_explicit_shared_workspace_between_networks():
    ws = Workspace()
    a = net_of("mlp", seed=1)
    b = net_of("mlp", seed=2)
    a.workspace = b.workspace = ws
    x, y = inputs("mlp", 13)
    want_a = snapshot(*full_pass(a.copy(), x, y))
    ra = full_pass(a, x, y)
    rb = full_pass(b, x, y)  # same shapes, same workspace: must not take ra's blocks
    assert_same(want_a, snapshot(*ra))
    del rb
