"""Shared fixtures of the browser tests: a local server and Debian's Chromium."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.server import free_port, start_server, stop_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """``streamlit run Home.py`` on a free loopback port (skips without Chromium/Playwright)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium); .ci/run installs it")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    port = free_port()
    with tempfile.TemporaryFile() as log:
        try:
            proc = start_server(port, log)
        except RuntimeError:
            log.seek(0)
            pytest.fail(f"streamlit did not start:\n{log.read().decode()[-3000:]}")
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_server(proc)
