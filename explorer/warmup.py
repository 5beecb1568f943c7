"""Warm every page's default view once per server process, in the background.

A server that just started (a fresh deploy, or a Community Cloud app waking up) has empty
caches: the first visitor of each page waits for its probes, training runs and chart specs,
5-7 s in Chromium instead of 2-4 s. The instructor of a workshop is that first visitor. So the
first script run of a server process starts one background thread (:func:`start`, a
``st.cache_resource``: once per process, no module-level state) that opens a headless session,
the way a browser would, and runs every page of the app once at its default link. It fills the
caches every session shares (the default configuration's results, the seed-free theory tables,
the chart specs), then closes the session. Nothing is drawn anywhere.

The session is a real Streamlit session on the running server, driven through the runtime's
own entry points (``connect_session``, ``handle_backmsg`` with a ``rerun_script`` message,
``close_session``) on its event loop, as its websocket handler does. That uses one attribute
that is not public API (the runtime's event loop), so Streamlit is pinned in requirements.txt
and ``tests/e2e/test_warmup.py`` checks the warm-up against a real server.

Set the environment variable ``WIE_WARMUP=0`` to turn it off. It starts
:data:`DELAY_S` seconds after the first visit (so that visit's own page is not slowed down)
and runs the pages one after another; every page's computations go through the same worker
pool and caches as a visitor's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from dataclasses import dataclass, field

import streamlit as st
from streamlit.logger import get_logger
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime import Runtime

#: Environment variable: "0" turns the warm-up off.
WARMUP_ENV = "WIE_WARMUP"
#: Seconds between the first visit and the start of the warm-up.
DELAY_S = 3.0
#: Longest wait for one page's run.
PAGE_TIMEOUT_S = 120.0

_LOG = get_logger(__name__)


def enabled() -> bool:
    """Whether the warm-up runs: on unless ``$WIE_WARMUP`` is "0", "false" or "no"."""
    return os.environ.get(WARMUP_ENV, "1").strip().lower() not in ("0", "false", "no")


@dataclass
class WarmupClient:
    """A session client that draws nothing: it records the app's pages and finished runs.

    Implements Streamlit's ``SessionClient`` protocol (``write_forward_msg`` and
    ``client_context``).
    """

    pages: dict[str, str] = field(default_factory=dict)  # URL path -> page script hash
    finished: threading.Event = field(default_factory=threading.Event)
    statuses: list[int] = field(default_factory=list)  # script_finished status of each run
    exceptions: list[str] = field(default_factory=list)  # exception elements the pages drew

    def write_forward_msg(self, msg: ForwardMsg) -> None:
        """Receive one message of the session (called on the server's event loop)."""
        kind = msg.WhichOneof("type")
        if kind in ("new_session", "navigation"):  # Streamlit 1.67 lists the pages in the latter
            listed = getattr(msg, kind).app_pages
            self.pages.update({page.url_pathname: page.page_script_hash for page in listed})
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            if element.WhichOneof("type") == "exception":
                self.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "script_finished":
            self.statuses.append(int(msg.script_finished))
            self.finished.set()

    @property
    def client_context(self) -> None:
        """No browser: no headers, cookies or address."""
        return None


@dataclass(frozen=True)
class WarmupReport:
    """What one warm-up did: the pages it ran, in order, and the seconds each took.

    ``exceptions`` lists the exception elements the pages showed (none on a healthy app).
    """

    pages: tuple[str, ...]
    seconds: tuple[float, ...]
    exceptions: tuple[str, ...]


def _on_loop(loop: asyncio.AbstractEventLoop, fn, *args) -> object:  # noqa: ANN001
    """Call ``fn(*args)`` on the server's event loop (its runtime calls are not thread-safe)."""

    async def call() -> object:
        return fn(*args)

    return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=30)


def warm_all(runtime: Runtime, loop: asyncio.AbstractEventLoop) -> WarmupReport:
    """Run every page of the app once at its default link in one headless session.

    Parameters
    ----------
    runtime : streamlit.runtime.Runtime
        The running server's runtime.
    loop : asyncio event loop
        The runtime's event loop.

    Returns
    -------
    WarmupReport
        The pages run (URL paths, "" for the main page) and their durations.
    """
    client = WarmupClient()
    session_id = _on_loop(loop, runtime.connect_session, client, {})
    done: list[str] = []
    seconds: list[float] = []
    try:
        queue = [""]  # the main page first: its run announces the other pages
        while queue:
            path = queue.pop(0)
            msg = BackMsg()
            msg.rerun_script.query_string = ""
            msg.rerun_script.page_script_hash = client.pages.get(path, "")
            msg.rerun_script.page_name = path
            client.finished.clear()
            start = time.perf_counter()
            _on_loop(loop, runtime.handle_backmsg, session_id, msg)
            if not client.finished.wait(PAGE_TIMEOUT_S):
                _LOG.warning("warm-up: page %r did not finish in %.0f s", path, PAGE_TIMEOUT_S)
                break
            done.append(path)
            seconds.append(time.perf_counter() - start)
            if path == "":
                queue = [p for p in client.pages if p and p not in done]
    finally:
        with contextlib.suppress(Exception):
            _on_loop(loop, runtime.close_session, session_id)
    return WarmupReport(tuple(done), tuple(seconds), tuple(client.exceptions))


def _run(runtime: Runtime, loop: asyncio.AbstractEventLoop, delay_s: float) -> None:
    """The warm-up thread: wait, warm every page, log what it did; never raise."""
    time.sleep(delay_s)
    try:
        report = warm_all(runtime, loop)
        _LOG.info(
            "warm-up: %d pages in %.1f s, %d exceptions",
            len(report.pages),
            sum(report.seconds, start=0.0),
            len(report.exceptions),
        )
        for text in report.exceptions:
            _LOG.warning("warm-up: a page showed %s", text)
    except Exception:  # a failed warm-up only costs the first visitors some time
        _LOG.exception("warm-up failed")


@st.cache_resource(show_spinner=False)
def start(delay_s: float = DELAY_S) -> threading.Thread | None:
    """Start the warm-up once per server process; None when off or when no server runs.

    Call it from every page (``page.setup`` does): the first call starts the thread, later ones
    return it from the cache. In bare mode there is no runtime, and under AppTest a mock stands in
    for it: there is no server to warm, and nothing starts.
    """
    if not enabled() or not Runtime.exists():
        return None
    runtime = Runtime.instance()
    try:
        # Not public API (pinned Streamlit): the loop the runtime's session calls must run on.
        loop = runtime._get_async_objs().eventloop  # noqa: SLF001
    except RuntimeError:  # a runtime that was never started
        return None
    # No running server loop, nothing to warm. Under AppTest the runtime is a mock (with the
    # runtime's spec, so isinstance passes) whose calls return mocks: hence ``is not True``.
    if loop.is_running() is not True:
        return None
    thread = threading.Thread(
        target=_run, args=(runtime, loop, delay_s), name="wie-warmup", daemon=True
    )
    thread.start()
    return thread
