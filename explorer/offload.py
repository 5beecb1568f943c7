"""Run the heavy computations of cache misses in worker processes, off the server's GIL.

Streamlit serves every session from one Python process. Its event loop (websocket writes), the
script threads of all sessions and their NumPy work share one interpreter lock, so one server
process used at most 1.1-1.2 of this machine's 2 cores under a workshop's load, and while one
session trained, everybody's reruns and websocket writes queued behind it. Decorating a pure,
heavy function with :func:`offloaded` (below its ``st.cache_data``) sends each cache miss to a
small pool of worker processes shared by all sessions: the script thread waits on the result
without holding the GIL, the workers use the other cores, and hits never leave the cache.

The pool is a ``st.cache_resource`` (one per server process, created on first use), so no
module-level state is kept. Workers are started with the ``forkserver`` method (``spawn``
where that is missing), all at once when the pool is created: forking the multi-threaded server
process itself could copy a lock another thread holds. A
worker resolves the function by module and qualified name and unwraps it past the cache and
this decorator, so inside a worker everything runs inline (``multiprocessing.parent_process``
is set there) and no worker starts processes of its own. Results are the same bit for bit as
inline: same code, same seeds, single-threaded BLAS in both (see ``explorer/__init__.py``).

Set the environment variable ``WIE_WORKERS`` to the number of workers (``0`` runs everything
inline in the script thread, as the test suite does; the default is the number of cores, at
most :data:`MAX_WORKERS`). A pool that broke (a worker killed, e.g. out of memory) is dropped
and the call runs inline, so a page never fails because of the pool; so do calls made while
the workers are still booting (about a second after the first visit), so a cold server's first
visitor does not wait for them.
"""

from __future__ import annotations

import concurrent.futures
import functools
import importlib
import inspect
import multiprocessing
import os
import sys
import types
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import NamedTuple, ParamSpec, TypeVar

import streamlit as st

#: Environment variable with the number of worker processes (0: run inline).
WORKERS_ENV = "WIE_WORKERS"

#: Most worker processes by default (each holds NumPy, pandas and Streamlit: ~100 MB).
MAX_WORKERS = 4

P = ParamSpec("P")
R = TypeVar("R")


def workers() -> int:
    """Number of worker processes: ``$WIE_WORKERS`` if set (garbage counts as 0), else cores."""
    value = os.environ.get(WORKERS_ENV)
    if value is None:
        return min(os.cpu_count() or 1, MAX_WORKERS)
    try:
        return max(0, min(int(value), 64))
    except ValueError:
        return 0


def in_worker() -> bool:
    """Whether this process is one of the pool's workers (or any child process)."""
    return multiprocessing.parent_process() is not None


#: Modules the workers import before their first task (the forkserver imports them once and
#: every worker starts as a fork of it, with them loaded).
PRELOAD = (
    "explorer.experiments",
    "explorer.live",
    "explorer.chartspec",
    *(
        f"explorer.lessons.{name}"
        for name in ("home", "symmetry", "vanishing", "large_weights", "scale")
        + ("network_types", "playground", "chaos")
    ),
)


def _warm() -> int:
    """Import the compute modules in a fresh worker (the first task then pays nothing)."""
    for name in PRELOAD:
        importlib.import_module(name)
    return os.getpid()


class Pool(NamedTuple):
    """The worker processes and their warm-up tasks (one per worker)."""

    executor: concurrent.futures.ProcessPoolExecutor
    warm_up: tuple[concurrent.futures.Future[int], ...]

    @property
    def ready(self) -> bool:
        """Whether every worker has booted: until then, calls run inline (see :func:`offloaded`)."""
        return all(f.done() for f in self.warm_up)


@st.cache_resource(show_spinner=False)
def pool(n_workers: int) -> Pool:
    """The worker pool of this server process, started once and shared by every session."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(list(PRELOAD))
    executor = concurrent.futures.ProcessPoolExecutor(n_workers, mp_context=context)
    # A new process re-runs the parent's ``__main__`` file unless __main__ has no file, and
    # Streamlit installs each page script as ``__main__`` while it runs it: a worker would run
    # a page. Start every worker now (one warm-up task each: submit starts a process while none
    # is idle, and none is until it has booted) under a file-less ``__main__``, then put the
    # page back unless another script run has installed its own meanwhile.
    page_main = sys.modules.get("__main__")
    placeholder = types.ModuleType("__main__")
    sys.modules["__main__"] = placeholder
    try:
        warm_up = tuple(executor.submit(_warm) for _ in range(n_workers))
    finally:
        if sys.modules.get("__main__") is placeholder and page_main is not None:
            sys.modules["__main__"] = page_main
    return Pool(executor, warm_up)


def _run(module: str, qualname: str, args: tuple, kwargs: dict) -> object:
    """In a worker: the undecorated function ``module.qualname`` applied to the arguments."""
    target: object = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    function = inspect.unwrap(target)  # past st.cache_data and offloaded
    return function(*args, **kwargs)


def offloaded(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` in the worker pool when called in the server process.

    ``function`` must be importable by its module and qualified name, pure (its result depends
    only on its arguments), and take and return picklable values (true of anything
    ``st.cache_data`` caches). Put this decorator *below* ``st.cache_data`` so hits never leave
    the cache. Offload the leaves (a probe, a training chunk, a sweep of its own probes), not a
    function that gathers probes the page also asks for: inside a worker those would miss the
    server's cache and be computed again.
    """

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        n_workers = workers()
        if n_workers == 0 or in_worker():
            return function(*args, **kwargs)
        workers_pool = pool(n_workers)
        if not workers_pool.ready:  # a cold server's first visitor does not wait for the boot
            return function(*args, **kwargs)
        try:
            future = workers_pool.executor.submit(
                _run, function.__module__, function.__qualname__, args, kwargs
            )
            return future.result()  # type: ignore[return-value]
        except BrokenProcessPool:
            pool.clear()  # the next call starts a fresh pool; this one runs inline
            return function(*args, **kwargs)

    return wrapper
