"""Workshop load test at the protocol level: many simulated students, no browsers.

Each simulated student speaks Streamlit's own websocket protocol to one running server, the way
the browser does:

1. ``GET /_stcore/health`` — the server answers with the ``_streamlit_xsrf`` cookie (XSRF
   protection is on in ``.streamlit/config.toml``).
2. Websocket ``ws://HOST/_stcore/stream`` with ``Sec-WebSocket-Protocol: streamlit, <xsrf
   cookie value>`` (the frontend repurposes the subprotocol list: entry 1 the protocol, entry 2
   the XSRF token, entry 3 an optional session id to resume), the cookie and a same-origin
   ``Origin`` header.
3. A ``BackMsg`` with ``rerun_script`` (``ClientState``: the deep link's ``query_string``, the
   page's URL path in ``page_name`` and an empty ``page_script_hash`` on the first run; later
   runs send the current page's script hash, the current query string and the widget states).
4. The server streams ``ForwardMsg`` s: ``new_session`` (pages and their script hashes),
   ``deltas`` (elements; each widget's proto carries its id, which in Streamlit 1.67 contains
   the user key, e.g. ``ctl_depth``), ``page_info_changed`` (the app rewrote the URL) and finally
   ``script_finished``.

Every few seconds a student changes one control: the sidebar's random seed (number input), depth
(slider) or activation (selectbox), or a page setting (page 3's learning rate or clip, page 4's
k, page 7's sigma_b^2), sometimes presses "▶ Train" on the playground, and now and then opens
another page. Per interaction the latency from sending the ``rerun_script`` BackMsg
to ``script_finished`` is recorded; errors are exception elements in the deltas, connection
errors, timeouts and unsuccessful ``script_finished`` statuses. The server's resident memory
(process tree, from ``/proc``) is sampled every 0.25 s.

Bounded: at most ``--students`` (≤ 200) connections to a loopback server, interactions stop at
``--seconds`` (≤ 900), each waits at most ``--timeout`` seconds, and the whole run is cancelled
``--timeout`` + 30 s after ``--seconds``. Run from the repository root::

    python benchmarks/load_test.py --students 60 --seconds 90 --json /tmp/load60.json

Without ``--url`` it starts its own ``streamlit run Home.py`` on a free loopback port and stops
it at the end; with ``--url`` (loopback only) it loads that server, which may be a reverse proxy
in front of several replicas (``deploy/local_replicas.py``): every cookie the health check sets
(the proxy's sticky-session cookie too) goes back on the websocket, and a path prefix in the URL
is kept. Pass ``--server-pid`` once per server process to sample memory and CPU; with several,
``peak_rss_mb`` is the **sum of the per-server peaks** (an upper bound on what the replicas held
at once) and ``peak_rss_mb_per_server`` lists each one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.server import (  # noqa: E402 (the repository root goes on the path first)
    ACTIVATIONS,
    INITS,
    ROOT,
    free_port,
    proc_status_kb,
    process_tree,
    production_environ,
    stop_server,
    tree_rss_mb,
    url_path,
)

#: Widget keys (part of the widget id in Streamlit 1.67) of the controls a student changes.
SEED_KEY = "ctl_seed"
DEPTH_KEY = "ctl_depth"
ACTIVATION_KEY = "ctl_activation"
TRAIN_KEY = "pg6_train"
#: Page settings (sliders) a student moves: page 3's learning rate and clip, page 4's k, page
#: 7's sigma_b^2.
PAGE_SETTING_KEYS = ("p3_lr", "p3_clip", "p4_k", "p7_sb2")
PLAYGROUND = "Playground"
MAX_ERROR_MESSAGES = 10
RESULT_KEYS = ("students", "interactions", "p50_s", "p95_s", "max_s", "errors", "peak_rss_mb")


# ---------------------------------------------------------------------------------------------
# Pages, server, memory
# ---------------------------------------------------------------------------------------------


def pages() -> list[str]:
    """URL paths of Home ("") and every page."""
    return ["", *(url_path(p) for p in sorted((ROOT / "pages").glob("[0-9]*_*.py")))]


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its children, from /proc."""
    total = 0
    for current in process_tree(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def hwm_mb(pid: int) -> float:
    """Peak resident memory of one process (VmHWM), 0 when unreadable."""
    return proc_status_kb(pid, "VmHWM") / 1024


def wait_healthy(base: str, timeout: float = 60.0) -> None:
    """Poll ``/_stcore/health`` until it answers "ok" (at most ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"server at {base} not healthy after {timeout:.0f} s")


def start_server(port: int, log: Any) -> subprocess.Popen[bytes]:
    """``streamlit run Home.py`` on 127.0.0.1:port, headless."""
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "Home.py",
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
    ]
    return subprocess.Popen(
        command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=production_environ()
    )


def health_cookies(base: str) -> dict[str, str]:
    """Every cookie ``GET /_stcore/health`` sets, name -> value (quotes stripped).

    Besides Streamlit's ``_streamlit_xsrf`` this holds whatever a reverse proxy adds, e.g. the
    ``route`` cookie that pins a client to one replica; a browser sends them all back on the
    websocket, and so does :class:`Student`.
    """
    cookies: dict[str, str] = {}
    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=10) as response:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip():
                cookies[name.strip()] = rest.split(";", 1)[0].strip().strip('"')
    return cookies


def xsrf_cookie(base: str) -> str:
    """The ``_streamlit_xsrf`` cookie value the health endpoint sets ("" when XSRF is off)."""
    return health_cookies(base).get("_streamlit_xsrf", "")


def cookie_header(cookies: dict[str, str]) -> str:
    """A ``Cookie`` request header carrying ``cookies`` ("" for none)."""
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def stream_uri(base: str) -> str:
    """The websocket URL of ``base`` (``http(s)://host[:port][/prefix]``): ``…/_stcore/stream``."""
    parsed = urlparse(base)
    scheme = "wss" if parsed.scheme == "https" else "ws"
    return f"{scheme}://{parsed.netloc}{parsed.path.rstrip('/')}/_stcore/stream"


# ---------------------------------------------------------------------------------------------
# One student
# ---------------------------------------------------------------------------------------------


@dataclass
class Sample:
    """One interaction: what was done, on which page, how long it took, what went wrong."""

    student: int
    action: str
    page: str
    seconds: float
    error: str = ""


@dataclass
class RunResult:
    """What one script run sent back."""

    ok: bool
    error: str = ""
    widgets: dict[str, tuple[str, Any]] = field(default_factory=dict)  # key -> (kind, proto)


def set_slider(state: WidgetState, proto: Any, rng: random.Random) -> None:
    """Put a random value of a slider into ``state``.

    A select_slider (``options`` set) sends the chosen option's label as a string array in
    Streamlit 1.67; a numeric slider sends its value as a double array (a step from ``min``).
    """
    if proto.options:
        state.string_array_value.data.append(rng.choice(list(proto.options)))
        return
    steps = max(round((proto.max - proto.min) / proto.step), 0) if proto.step else 0
    state.double_array_value.data.append(float(proto.min + rng.randint(0, steps) * proto.step))


def widget_key(widget_id: str) -> str:
    """The user key inside a Streamlit 1.67 widget id (``$$ID-<hash>-<key>``), or ""."""
    parts = widget_id.split("-", 2)
    return parts[2] if len(parts) == 3 and widget_id.startswith("$$ID") else ""


class Student:
    """A simulated workshop participant on one websocket connection."""

    def __init__(self, index: int, base: str, page: str, rng: random.Random) -> None:
        self.index = index
        self.base = base
        self.page = page
        self.rng = rng
        self.query = urlencode(
            {
                "network": "mlp",
                "activation": ACTIVATIONS[index % len(ACTIVATIONS)],
                "init": INITS[index % len(INITS)],
                "depth": str(3 + index % 20),
                "width": "64",
                "seed": str(100 + index),
            }
        )
        self.page_hashes: dict[str, str] = {}  # URL path -> script hash
        self.page_hash = ""
        self.widgets: dict[str, tuple[str, Any]] = {}  # key -> (kind, proto) of the last run
        self.sent: dict[str, WidgetState] = {}  # widget id -> last value sent
        self.ws: Any = None

    def landed_page(self) -> str:
        """The URL path of the page the server ran last ("Home" for the main page)."""
        for name, page_hash in self.page_hashes.items():
            if page_hash == self.page_hash:
                return name or "Home"
        return "?"

    # -- protocol ------------------------------------------------------------------------

    def _back_msg(self, changed: WidgetState | None, *, page_name: str = "") -> BackMsg:
        msg = BackMsg()
        client_state = msg.rerun_script
        client_state.query_string = self.query
        client_state.page_script_hash = "" if page_name else self.page_hash
        client_state.page_name = page_name
        client_state.context_info.url = f"{self.base}/{self.page}"
        client_state.context_info.timezone = "UTC"
        client_state.context_info.locale = "en-US"
        live_ids = {proto.id for _, proto in self.widgets.values()}
        states = client_state.widget_states.widgets
        for widget_id, widget_state in self.sent.items():
            if widget_id in live_ids and (changed is None or widget_id != changed.id):
                states.add().CopyFrom(widget_state)
        if changed is not None:
            states.add().CopyFrom(changed)
            if not changed.HasField("trigger_value"):
                self.sent[changed.id] = changed
        return msg

    async def _run(self, msg: BackMsg, timeout: float) -> RunResult:
        """Send one rerun request; read ForwardMsgs until the run finishes."""
        await self.ws.send(msg.SerializeToString())
        widgets: dict[str, tuple[str, Any]] = {}
        errors: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return RunResult(False, f"timeout > {timeout:.0f} s")
            data = await asyncio.wait_for(self.ws.recv(), remaining)
            fwd = ForwardMsg()
            fwd.ParseFromString(data)
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                for app_page in fwd.new_session.app_pages:
                    self.page_hashes[app_page.url_pathname] = app_page.page_script_hash
                self.page_hash = fwd.new_session.page_script_hash
            elif kind == "navigation":  # Streamlit 1.67 sends the page list here
                for app_page in fwd.navigation.app_pages:
                    self.page_hashes[app_page.url_pathname] = app_page.page_script_hash
                self.page_hash = fwd.navigation.page_script_hash or self.page_hash
            elif kind == "page_not_found":
                errors.append(f"page not found: {fwd.page_not_found.page_name}")
            elif kind == "page_info_changed":
                self.query = fwd.page_info_changed.query_string
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                element = fwd.delta.new_element
                element_type = element.WhichOneof("type")
                if element_type == "exception":
                    exc = element.exception
                    errors.append(f"exception {exc.type}: {exc.message}"[:300])
                elif element_type is not None:
                    proto = getattr(element, element_type)
                    widget_id = getattr(proto, "id", "") if hasattr(proto, "id") else ""
                    if isinstance(widget_id, str) and widget_id:
                        key = widget_key(widget_id)
                        if key:
                            widgets[key] = (element_type, proto)
            elif kind == "script_finished":
                status = fwd.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # another run follows (e.g. st.rerun): wait for it
                self.widgets = widgets
                if status != ForwardMsg.FINISHED_SUCCESSFULLY:
                    name = ForwardMsg.ScriptFinishedStatus.Name(status)
                    errors.append(f"script_finished {name}")
                return RunResult(not errors, "; ".join(errors), widgets)

    async def _timed(
        self,
        action: str,
        msg: BackMsg,
        timeout: float,
        samples: list[Sample],
        expect: str = "",
    ) -> None:
        start = time.monotonic()
        try:
            result = await self._run(msg, timeout)
            error = result.error
        except TimeoutError:
            error = f"timeout > {timeout:.0f} s"
        if not error and expect and expect not in self.query.split("&"):
            error = f"change not applied: {expect} missing from the URL {self.query}"[:300]
        elapsed = time.monotonic() - start
        page = self.landed_page()
        if action == "open" and not error and page != (self.page or "Home"):
            error = f"deep link to {self.page!r} landed on {page!r}"
        samples.append(Sample(self.index, action, page, elapsed, error))
        if error.startswith("timeout"):
            raise ConnectionError(error)  # the connection's state is unknown: stop

    # -- behaviour -----------------------------------------------------------------------

    def _choose(self) -> tuple[str, WidgetState | None]:
        """The next interaction: (action name, changed widget state or None for navigation)."""
        choices = ["seed", "depth", "activation"]
        weights = [3, 3, 2]
        settings = [k for k in PAGE_SETTING_KEYS if k in self.widgets]
        if settings:
            choices.append("setting")
            weights.append(2)
        if TRAIN_KEY in self.widgets and not self.widgets[TRAIN_KEY][1].disabled:
            choices.append("train")
            weights.append(3)
        choices.append("navigate")
        weights.append(1)
        action = self.rng.choices(choices, weights)[0]
        state = WidgetState()
        if action == "seed" and SEED_KEY in self.widgets:
            _, proto = self.widgets[SEED_KEY]
            state.id = proto.id
            state.int_value = self.rng.randint(0, 10_000)
        elif action == "depth" and DEPTH_KEY in self.widgets:
            _, proto = self.widgets[DEPTH_KEY]
            state.id = proto.id
            high = int(min(proto.max, 24))
            state.double_array_value.data.append(float(self.rng.randint(int(proto.min), high)))
        elif action == "activation" and ACTIVATION_KEY in self.widgets:
            _, proto = self.widgets[ACTIVATION_KEY]
            state.id = proto.id
            state.string_value = self.rng.choice(list(proto.options))
        elif action == "setting":
            _, proto = self.widgets[self.rng.choice(settings)]
            state.id = proto.id
            set_slider(state, proto, self.rng)
        elif action == "train":
            state.id = self.widgets[TRAIN_KEY][1].id
            state.trigger_value = True
        else:
            return "navigate", None
        return action, state

    async def session(
        self,
        start_at: float,
        stop_at: float,
        think: tuple[float, float],
        timeout: float,
        samples: list[Sample],
    ) -> None:
        """Join at ``start_at``, open the deep link, interact until ``stop_at``."""
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        parsed = urlparse(self.base)
        try:
            # Inside the try: a failed health check (e.g. a proxy's 502) is this student's
            # connection error, not a task exception nobody reads.
            cookies = await asyncio.to_thread(health_cookies, self.base)
            token = cookies.get("_streamlit_xsrf", "")
            headers = {"Origin": f"{parsed.scheme}://{parsed.netloc}"}
            protocols = ["streamlit"]
            if cookies:  # all of them: behind a proxy the sticky cookie picks the replica
                headers["Cookie"] = cookie_header(cookies)
            if token:
                protocols.append(token)
            async with connect(
                stream_uri(self.base),
                subprotocols=protocols,  # type: ignore[arg-type]
                additional_headers=headers,
                max_size=None,
                open_timeout=timeout,
                ping_interval=None,
            ) as ws:
                self.ws = ws
                await self._timed(
                    "open", self._back_msg(None, page_name=self.page), timeout, samples
                )
                while time.monotonic() < stop_at:
                    await asyncio.sleep(self.rng.uniform(*think))
                    if time.monotonic() >= stop_at:
                        break
                    action, changed = self._choose()
                    if changed is None:
                        self.page = self.rng.choice(
                            [p for p in self.page_hashes if p != self.page] or [self.page]
                        )
                        self.sent.clear()
                        msg = BackMsg()
                        msg.rerun_script.query_string = self.query
                        msg.rerun_script.page_script_hash = self.page_hashes.get(self.page, "")
                        msg.rerun_script.page_name = self.page
                        msg.rerun_script.context_info.url = f"{self.base}/{self.page}"
                        self.widgets = {}
                    else:
                        msg = self._back_msg(changed)
                    # The app writes the sidebar config into the URL: a seed change must show.
                    expect = f"seed={changed.int_value}" if action == "seed" and changed else ""
                    await self._timed(action, msg, timeout, samples, expect)
        except (OSError, ConnectionError, Exception) as error:  # noqa: BLE001 - report, don't die
            if not (isinstance(error, ConnectionError) and str(error).startswith("timeout")):
                samples.append(
                    Sample(
                        self.index,
                        "connection",
                        self.page or "Home",
                        0.0,
                        f"{type(error).__name__}: {error}"[:300],
                    )
                )


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``nan`` for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(samples: list[Sample], students: int, timeout: float = 60.0) -> dict[str, Any]:
    """The JSON report: overall and per-page / per-action latencies, errors.

    ``p50_s`` / ``p95_s`` / ``max_s`` are over the interactions that succeeded; the
    ``*_with_timeouts_s`` variants count each timed-out interaction as ``timeout`` seconds
    (a lower bound), which is what a student waiting for the page sees.
    """
    done = [s for s in samples if s.action != "connection"]
    ok = [s.seconds for s in done if not s.error]
    errors = [s for s in samples if s.error]
    censored = ok + [timeout for s in done if s.error.startswith("timeout")]

    def stats(group: list[Sample]) -> dict[str, Any]:
        times = [s.seconds for s in group if not s.error]
        return {
            "n": len(group),
            "errors": sum(1 for s in group if s.error),
            "p50_s": round(percentile(times, 50), 3),
            "p95_s": round(percentile(times, 95), 3),
            "max_s": round(max(times), 3) if times else math.nan,
        }

    by_page = {p: stats([s for s in done if s.page == p]) for p in sorted({s.page for s in done})}
    by_action = {
        a: stats([s for s in done if s.action == a]) for a in sorted({s.action for s in done})
    }
    return {
        "students": students,
        "interactions": len(done),
        "p50_s": round(percentile(ok, 50), 3),
        "p95_s": round(percentile(ok, 95), 3),
        "max_s": round(max(ok), 3) if ok else math.nan,
        "errors": len(errors),
        "timeouts": sum(1 for s in done if s.error.startswith("timeout")),
        "error_kinds": dict(Counter(s.error.split(":", 1)[0][:60] for s in errors)),
        "p50_with_timeouts_s": round(percentile(censored, 50), 3),
        "p95_with_timeouts_s": round(percentile(censored, 95), 3),
        "error_messages": [f"{s.page}/{s.action}: {s.error}" for s in errors][:MAX_ERROR_MESSAGES],
        "by_page": by_page,
        "by_action": by_action,
    }


async def _sample_memory(pids: list[int], stop: asyncio.Event, peak: list[float]) -> None:
    """Keep ``peak[i]`` at the largest process-tree RSS seen for ``pids[i]`` until ``stop``."""
    while not stop.is_set():
        for i, pid in enumerate(pids):
            peak[i] = max(peak[i], tree_rss_mb(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)


def servers_cpu_s(pids: list[int]) -> float:
    """CPU seconds used so far by all the servers' process trees (``nan`` for no pid)."""
    return sum(tree_cpu_s(pid) for pid in pids) if pids else math.nan


async def run_load(
    base: str,
    students: int,
    seconds: float,
    *,
    ramp: float,
    think: tuple[float, float],
    timeout: float,
    seed: int,
    server_pid: int | list[int] | None,
    warm: bool = True,
) -> dict[str, Any]:
    """Run ``students`` simulated students against ``base`` for ``seconds``; return the summary.

    ``server_pid`` is the server process (or a list of them, e.g. the replicas behind a proxy)
    whose memory and CPU are measured; ``peak_rss_mb`` is the sum of the per-server peaks.
    """
    if server_pid is None:
        pids: list[int] = []
    elif isinstance(server_pid, int):
        pids = [server_pid]
    else:
        pids = list(server_pid)
    paths = pages()
    warmup: list[Sample] = []
    if warm:  # one visitor opens Home first (imports, caches), as the instructor would
        now = time.monotonic()
        await Student(-1, base, "", random.Random(seed)).session(now, now, think, timeout, warmup)
    samples: list[Sample] = []
    cpu_start = servers_cpu_s(pids)
    t0 = time.monotonic()
    stop_at = t0 + seconds
    crowd = [
        Student(i, base, paths[i % len(paths)], random.Random(seed * 1000 + i))
        for i in range(students)
    ]
    stop = asyncio.Event()
    peak = [0.0] * len(pids)
    sampler = asyncio.create_task(_sample_memory(pids, stop, peak)) if pids else None
    tasks = [
        asyncio.create_task(
            s.session(t0 + ramp * i / max(1, students), stop_at, think, timeout, samples)
        )
        for i, s in enumerate(crowd)
    ]
    _, pending = await asyncio.wait(tasks, timeout=seconds + timeout + 30)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    stop.set()
    if sampler is not None:
        await sampler
    cpu_end = servers_cpu_s(pids)
    summary = summarize(samples, students, timeout)
    summary["warmup"] = [f"{s.action} {s.seconds:.2f} s {s.error}".strip() for s in warmup]
    summary["unfinished_students"] = len(pending)
    summary["errors"] += len(pending)
    summary["wall_s"] = round(time.monotonic() - t0, 1)
    # CPU the server spent during the measured window: with ``wall_s`` it shows how much of
    # the 2 cores the app got (the machine is shared) and the CPU cost per interaction.
    summary["server_cpu_s"] = round(cpu_end - cpu_start, 1)
    summary["server_cpu_s_per_interaction"] = (
        round((cpu_end - cpu_start) / summary["interactions"], 3)
        if summary["interactions"]
        else math.nan
    )
    per_server = [round(max(p, hwm_mb(pid)), 1) for p, pid in zip(peak, pids, strict=True)]
    summary["peak_rss_mb"] = round(sum(per_server), 1) if pids else None
    summary["peak_rss_mb_per_server"] = per_server
    summary["config"] = {
        "seconds": seconds,
        "ramp_s": ramp,
        "think_s": list(think),
        "timeout_s": timeout,
        "seed": seed,
        "load_average_start": None,
    }
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0, help="interaction window")
    parser.add_argument("--json", type=Path, help="write the summary here")
    parser.add_argument(
        "--url", help="a running server or proxy on loopback, e.g. http://127.0.0.1:8080"
    )
    parser.add_argument(
        "--server-pid",
        type=int,
        action="append",
        help="with --url: sample this server's RSS and CPU; repeat for each replica",
    )
    parser.add_argument("--ramp", type=float, default=10.0, help="students join over this time")
    parser.add_argument("--think-min", type=float, default=2.0)
    parser.add_argument("--think-max", type=float, default=6.0)
    parser.add_argument("--timeout", type=float, default=60.0, help="per interaction")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-warmup", action="store_true", help="skip the single warm-up visit to Home"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.students <= 200:
        parser.error("--students must be 1 .. 200")
    if not 1 <= args.seconds <= 900:
        parser.error("--seconds must be 1 .. 900")
    ramp = min(args.ramp, args.seconds / 2)
    load_start = os.getloadavg()[0]
    server = None
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open for the server's lifetime
        prefix="load_test_", suffix=".log", delete=False
    )
    try:
        if args.url:
            host = urlparse(args.url).hostname
            if host not in ("127.0.0.1", "localhost", "::1"):
                parser.error("--url must be a loopback server")
            base = args.url.rstrip("/")
            pid = args.server_pid or None
        else:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = start_server(port, log)
            pid = server.pid
            wait_healthy(base)
        summary = asyncio.run(
            run_load(
                base,
                args.students,
                args.seconds,
                ramp=ramp,
                think=(args.think_min, args.think_max),
                timeout=args.timeout,
                seed=args.seed,
                server_pid=pid,
                warm=not args.no_warmup,
            )
        )
    finally:
        if server is not None:
            stop_server(server)
        log.close()
    summary["config"]["load_average_start"] = round(load_start, 2)
    summary["config"]["load_average_end"] = round(os.getloadavg()[0], 2)
    summary["server_log"] = log.name
    text = json.dumps(summary, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
