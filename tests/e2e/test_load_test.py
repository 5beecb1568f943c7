"""The protocol-level workshop load test, scaled down: 3 simulated students for 15 s.

Runs ``python benchmarks/load_test.py --students 3 --seconds 15`` (it starts its own
``streamlit run Home.py`` on a loopback port, speaks Streamlit's websocket protocol with the
app's own protobuf messages, no browser) and checks its JSON report: some interactions were
measured, none failed, the latencies are finite. About 30-45 s on the project's 2-core machine.
The full curve (10 … 60 students) is in ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"students", "interactions", "p50_s", "p95_s", "max_s", "errors", "peak_rss_mb"}

pytestmark = pytest.mark.slow


def test_three_students_over_the_websocket_protocol(tmp_path: Path) -> None:
    report = tmp_path / "load.json"
    command = [
        sys.executable, "benchmarks/load_test.py",
        "--students", "3", "--seconds", "15", "--json", str(report),
        "--ramp", "2", "--think-min", "1", "--think-max", "3", "--timeout", "25",
        "--no-warmup",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=58)
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    result = json.loads(report.read_text())
    assert result.keys() >= KEYS
    assert result["students"] == 3
    assert result["interactions"] > 0
    assert result["errors"] == 0, result["error_messages"]
    assert math.isfinite(result["p95_s"])
    assert result["p95_s"] > 0
    assert result["p50_s"] <= result["p95_s"] <= result["max_s"]
    assert result["peak_rss_mb"] > 0
