"""Helpers shared by the load tests and the browser tests: start, find and measure a server.

Loopback only: ``start_server`` runs ``streamlit run Home.py`` on ``127.0.0.1`` and a free port;
memory is read from ``/proc`` (Linux).
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
INITS = [
    "glorot_normal",
    "he_normal",
    "lecun_uniform",
    "orthogonal",
    "small_random",
    "torch_default",
    "glorot_uniform",
    "he_uniform",
]
ACTIVATIONS = ["tanh", "relu", "sigmoid", "linear", "gelu"]


def url_path(page: Path) -> str:
    """The URL path Streamlit gives a classic page: the file name without its number prefix."""
    return re.sub(r"^\d+_", "", page.stem)


def pages() -> list[str]:
    """URL paths of Home and every page."""
    return ["", *(url_path(p) for p in sorted((ROOT / "pages").glob("[0-9]*_*.py")))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (Linux /proc); processes that exited are skipped."""
    found: list[int] = []
    todo, seen = [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        found.append(current)
        todo.extend(int(c) for c in children)
    return found


def proc_status_kb(pid: int, name: str) -> int:
    """An integer field (in kB) of /proc/PID/status, 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid: int) -> float | None:
    """Proportional set size of a process in kB (None where smaps_rollup is unreadable).

    Its resident pages, each shared page divided among the processes sharing it.
    """
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants (MB), shared pages counted once.

    The app's worker processes (explorer/offload.py) are forks of one forkserver and share
    most of their pages (NumPy, pandas, Streamlit) with it: summing their VmRSS would count
    those pages once per process. The sum of PSS counts every resident page once; a process
    whose PSS cannot be read counts with its VmRSS (an upper bound).
    """
    total = 0.0
    for current in process_tree(pid):
        pss = pss_kb(current)
        total += proc_status_kb(current, "VmRSS") if pss is None else pss
    return total / 1024


async def sample_rss(pid: int, peak: list[float], every: float = 0.25) -> None:
    """Keep ``peak[0]`` at the largest server RSS seen (runs until cancelled)."""
    while True:
        peak[0] = max(peak[0], tree_rss_mb(pid))
        await asyncio.sleep(every)


def production_environ() -> dict[str, str]:
    """The environment of this process without the test suite's ``WIE_WORKERS`` override."""
    return {k: v for k, v in os.environ.items() if k != "WIE_WORKERS"}


def start_server(
    port: int,
    log: IO[bytes] | int = subprocess.DEVNULL,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``streamlit run Home.py`` on loopback ``port``; its output goes to ``log``.

    ``env`` adds to (or overrides) the environment, e.g. ``STREAMLIT_SERVER_COOKIE_SECRET``
    shared by replicas behind a proxy. Returns once ``/_stcore/health`` answers.
    """
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "Home.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        # Served as in production: the worker pool is on unless ``env`` says otherwise (the
        # test suite's in-process runs set WIE_WORKERS=0, which must not reach this server).
        env={**production_environ(), "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("streamlit did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the server (if it still runs); kill it when it has not exited after 10 s."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
