"""Script time of every page under AppTest, cold (caches cleared) and warm (a rerun).

Run from the repository root::

    python -m benchmarks.bench_pages

Prints a markdown table. Targets (issue [7/7]): warm <= 0.3 s and cold <= 2 s per page on the
project's 2-core machine. Times include AppTest's own overhead (a few tens of ms), so they
slightly overstate what a browser user waits for the script.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = [ROOT / "Home.py", *sorted((ROOT / "pages").glob("[0-9]*_*.py"))]
COLD_TARGET, WARM_TARGET = 2.0, 0.3


def time_page(script: Path, repeats: int) -> tuple[float, float, bool]:
    """Return (cold seconds, best warm seconds, ok) for one page at its defaults."""
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(script), default_timeout=120)
    start = time.perf_counter()
    at.run()
    cold = time.perf_counter() - start
    warm = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        at.run()
        warm = min(warm, time.perf_counter() - start)
    return cold, warm, not at.exception


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="warm reruns (best is kept)")
    args = parser.parse_args()
    rows = []
    for script in SCRIPTS:
        cold, warm, ok = time_page(script, args.repeats)
        rows.append((script.stem, cold, warm, ok))
    print("| page | cold (s) | warm (s) | cold ≤ 2 s | warm ≤ 0.3 s | ran clean |")
    print("|---|---:|---:|:-:|:-:|:-:|")
    for name, cold, warm, ok in rows:
        print(
            f"| {name} | {cold:.2f} | {warm:.3f} | {'✓' if cold <= COLD_TARGET else '✗'} | "
            f"{'✓' if warm <= WARM_TARGET else '✗'} | {'✓' if ok else '✗'} |"
        )


if __name__ == "__main__":
    main()
