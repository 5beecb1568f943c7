"""The workshop load curve: ``load_test.py`` at several room sizes, one fresh server each.

Runs ``python benchmarks/load_test.py --students N --seconds S --json ...`` for every N (each
starts and stops its own ``streamlit run Home.py``, so caches start cold every time, as at the
start of a workshop) and prints a markdown table of the results with the load average of the
machine. Extra arguments after ``--`` go to every load_test run (e.g. ``--url`` of a replica
topology). Run from the repository root::

    python benchmarks/load_curve.py --students 10 20 40 60 80 --seconds 90 --out /tmp/curve
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMITS = {"p95_s": 1.5, "errors": 0, "peak_rss_mb": 1024.0}


def run_one(students: int, seconds: float, out: Path, extra: list[str]) -> dict[str, object]:
    """One load_test run; its JSON summary."""
    target = out / f"students_{students}.json"
    command = [
        sys.executable,
        "benchmarks/load_test.py",
        "--students",
        str(students),
        "--seconds",
        str(seconds),
        "--json",
        str(target),
        *extra,
    ]
    subprocess.run(command, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
    return json.loads(target.read_text())


def within(result: dict[str, object]) -> bool:
    """The issue's limits: p95 <= 1.5 s, no errors, peak RSS <= 1 GB."""
    return (
        float(result["p95_s"]) <= LIMITS["p95_s"]
        and int(result["errors"]) == LIMITS["errors"]
        and float(result["peak_rss_mb"]) <= LIMITS["peak_rss_mb"]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[10, 20, 40, 60, 80])
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--out", type=Path, default=Path("/tmp/load_curve"))
    args, extra = parser.parse_known_args(argv)
    extra = [a for a in extra if a != "--"]
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for students in args.students:
        load = os.getloadavg()[0]
        result = run_one(students, args.seconds, args.out, extra)
        rows.append((students, load, result))
    print(
        "| students | interactions | p50 (s) | p95 (s) | max (s) | errors | peak RSS (MB) | "
        "server CPU s / interaction | load avg at start | within limits |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|")
    for students, load, r in rows:
        print(
            f"| {students} | {r['interactions']} | {r['p50_s']} | {r['p95_s']} | {r['max_s']} | "
            f"{r['errors']} | {r['peak_rss_mb']} | {r.get('server_cpu_s_per_interaction', '-')} | "
            f"{load:.2f} | {'✓' if within(r) else '✗'} |"
        )
    return 0 if all(within(r) for _, _, r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
