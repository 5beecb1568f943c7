"""The background warm-up (explorer/warmup.py) on a real server.

A server started with ``WIE_WARMUP=1`` gets one visitor over the websocket protocol
(``benchmarks/load_test.py``, one student for a few seconds, no browser); a few seconds later
the warm-up thread runs every page of the app at its default link in a headless session and
logs one line. The test reads that line from the server's log: all 9 pages ran, none showed an
exception. (What the warm-up buys, a cold server's first visits, is measured by
``benchmarks/first_visit.py``: see benchmarks/RESULTS.md.)
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from benchmarks.server import free_port, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
PAGES = 9  # Home and pages 1-8
LINE = re.compile(r"warm-up: (\d+) pages in ([\d.]+) s, (\d+) exceptions")

pytestmark = pytest.mark.slow


def _visit(url: str, seconds: int) -> None:
    """One simulated student on ``url`` for ``seconds`` (Home first, then a few changes)."""
    command = [
        sys.executable, "benchmarks/load_test.py", "--url", url, "--students", "1",
        "--seconds", str(seconds), "--ramp", "0", "--no-warmup", "--timeout", "60",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_first_visit_warms_every_page() -> None:
    port = free_port()
    with tempfile.NamedTemporaryFile() as log:
        proc = start_server(
            port,
            log,
            env={"WIE_WARMUP": "1", "STREAMLIT_LOGGER_LEVEL": "info", "WIE_WORKERS": "0"},
        )
        try:
            _visit(f"http://127.0.0.1:{port}", 2)
            deadline = time.monotonic() + 150
            match = None
            while time.monotonic() < deadline and match is None:
                time.sleep(1)
                match = LINE.search(Path(log.name).read_text(errors="replace"))
            assert match is not None, Path(log.name).read_text(errors="replace")[-3000:]
            assert int(match.group(1)) == PAGES
            assert int(match.group(3)) == 0, Path(log.name).read_text(errors="replace")[-3000:]
        finally:
            stop_server(proc)
