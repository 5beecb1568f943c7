"""The worker pool (explorer/offload.py): same results as inline, never a page's failure."""

from __future__ import annotations

import dataclasses
import os
import signal
import sys

import numpy as np
import pandas as pd
import pytest

from explorer import charts, chartspec, experiments, offload
from explorer.lessons import scale
from explorer.state import Net

NET = Net("mlp", "tanh", 4, 32, 7)


@pytest.fixture
def pooled(monkeypatch):
    """Two booted workers for this test; the pool and the caches are fresh before and after."""
    monkeypatch.setenv(offload.WORKERS_ENV, "2")
    offload.pool.clear()
    experiments.layer_stats.clear()
    scale.edge_sweep.clear()
    for future in offload.pool(2).warm_up:
        future.result(timeout=60)
    yield
    offload.pool.clear()
    experiments.layer_stats.clear()
    scale.edge_sweep.clear()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0), ("3", 3), ("-2", 0), ("many", 0), ("1000", 64)],
)
def test_workers_reads_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv(offload.WORKERS_ENV, value)
    assert offload.workers() == expected


def test_workers_defaults_to_the_cores(monkeypatch):
    monkeypatch.delenv(offload.WORKERS_ENV, raising=False)
    assert offload.workers() == min(os.cpu_count() or 1, offload.MAX_WORKERS)


def test_inline_when_disabled(monkeypatch):
    def no_pool(n_workers: int) -> None:
        raise AssertionError(f"a pool of {n_workers} was asked for with WIE_WORKERS=0")

    monkeypatch.setenv(offload.WORKERS_ENV, "0")
    monkeypatch.setattr(offload, "pool", no_pool)
    experiments.layer_stats.clear()
    stats = experiments.layer_stats(NET, "glorot_normal", ())
    experiments.layer_stats.clear()
    assert len(stats.act_std) == NET.depth


def test_a_probe_in_a_worker_equals_the_probe_inline(pooled, monkeypatch):
    pooled_stats = experiments.layer_stats(NET, "glorot_normal", ())
    pid_main = os.getpid()
    monkeypatch.setenv(offload.WORKERS_ENV, "0")
    inline = offload.inspect.unwrap(experiments.layer_stats)(NET, "glorot_normal", ())
    assert type(pooled_stats) is type(inline)
    for field in dataclasses.fields(inline):
        np.testing.assert_array_equal(  # bit for bit
            np.asarray(getattr(pooled_stats, field.name)), np.asarray(getattr(inline, field.name))
        )
    assert os.getpid() == pid_main


def test_the_call_runs_in_another_process(pooled):
    pids = {offload.pool(2).executor.submit(os.getpid).result() for _ in range(8)}
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2


def test_nested_offloaded_calls_run_inline_in_the_worker(pooled, monkeypatch):
    # edge_sweep (offloaded) calls layer_stats (offloaded) 15 times: inside the worker those
    # run inline; a worker that tried to start a pool of its own would raise.
    sweep = scale.edge_sweep("mlp", "relu", "fan_in", "normal", 4, 32, 0)
    monkeypatch.setenv(offload.WORKERS_ENV, "0")
    inline = offload.inspect.unwrap(scale.edge_sweep)("mlp", "relu", "fan_in", "normal", 4, 32, 0)
    pd.testing.assert_frame_equal(sweep, inline)


def test_chart_specs_built_in_a_worker_equal_the_inline_ones(pooled, monkeypatch):
    frame = experiments.stats_frame(experiments.layer_stats(NET, "glorot_normal", ()), "Glorot")
    chartspec._cached_spec.clear()
    pooled_spec = chartspec.spec(charts.per_layer_lines, frame, y="act_std", y_title="std")
    monkeypatch.setenv(offload.WORKERS_ENV, "0")
    chartspec._cached_spec.clear()
    inline_spec = chartspec.spec(charts.per_layer_lines, frame, y="act_std", y_title="std")
    chartspec._cached_spec.clear()
    assert dict(pooled_spec) == dict(inline_spec)


def test_a_broken_pool_falls_back_inline_and_is_replaced(pooled):
    executor = offload.pool(2).executor
    workers = {executor.submit(os.getpid).result() for _ in range(6)}
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    stats = experiments.layer_stats(NET, "he_normal", ())  # must not raise
    assert len(stats.act_std) == NET.depth
    assert offload.pool(2).executor is not executor  # a fresh pool for the next call


def test_the_page_main_module_is_put_back(pooled):
    page = sys.modules["__main__"]
    offload.pool(2)
    assert sys.modules["__main__"] is page


def test_calls_run_inline_until_the_workers_have_booted(monkeypatch):
    monkeypatch.setenv(offload.WORKERS_ENV, "2")
    offload.pool.clear()
    experiments.layer_stats.clear()
    booting = offload.pool(2)
    calls = []
    real_submit = booting.executor.submit
    monkeypatch.setattr(
        booting.executor, "submit", lambda *a, **k: calls.append(a) or real_submit(*a, **k)
    )
    if not booting.ready:  # the workers take about a second to import NumPy and pandas
        experiments.layer_stats(NET, "orthogonal", ())
        assert calls == []  # computed inline, not queued behind the boot
    for future in booting.warm_up:
        assert future.result(timeout=60) != os.getpid()
    assert booting.ready
    experiments.layer_stats(NET, "lecun_normal", ())
    assert len(calls) == 1  # booted: the next miss goes to a worker
    offload.pool.clear()
    experiments.layer_stats.clear()
