"""Workshop load test: many concurrent browser sessions against one local Streamlit server.

Starts ``streamlit run Home.py`` on a free loopback port, then opens ``--sessions`` headless
Chromium pages at once (Debian's ``/usr/bin/chromium`` through Playwright; loopback only), each
on a different page with a different share-link config, and checks that

* every session finishes its script run without an exception on the page;
* each session sees its own config (the sidebar shows the initializer and depth of its link,
  and the address bar still holds its link): no cross-session leakage;
* the server's resident memory (RSS, including its children) stays under ``--max-rss-mb``.

Bounded: at most ``--sessions`` pages (default 20), each waited for at most ``--timeout``
seconds, and the whole run is stopped after ``--budget`` seconds. Run from the repository root::

    python -m benchmarks.load_test --sessions 20

Exit status 0 when every check holds, 1 otherwise; a markdown summary is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

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


@dataclass(frozen=True)
class Session:
    """One simulated participant: a page and a share-link config."""

    index: int
    path: str
    query: dict[str, str]

    @property
    def url_suffix(self) -> str:
        """The page path and its share-link query string."""
        return f"{self.path}?{urlencode(self.query)}"


def pages() -> list[str]:
    """URL paths of Home and every page (classic pages: file name without the number)."""
    found = sorted((ROOT / "pages").glob("[0-9]*_*.py"))
    return ["", *(re.sub(r"^\d+_", "", p.stem) for p in found)]


def sessions(count: int) -> list[Session]:
    """Distinct configs spread over the pages (depth differs for every session)."""
    paths = pages()
    out = []
    for i in range(count):
        query = {
            "network": "mlp",
            "activation": ACTIVATIONS[i % len(ACTIVATIONS)],
            "init": INITS[i % len(INITS)],
            "depth": str(3 + i),
            "width": "64",
            "seed": str(100 + i),
        }
        out.append(Session(i, paths[i % len(paths)], query))
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, from /proc (Linux)."""
    total = 0
    pids = [pid]
    seen = set()
    while pids:
        current = pids.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            pids.extend(int(c) for c in children)
        except OSError:
            continue
    return total / 1024


def start_server(port: int) -> subprocess.Popen[bytes]:
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
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
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


async def visit(browser, base: str, session: Session, timeout: float) -> dict[str, object]:  # noqa: ANN001
    """Open one session's link and report what it saw."""
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await context.new_page()
    start = time.monotonic()
    result: dict[str, object] = {"session": session.index, "page": session.path or "Home"}
    try:
        await page.goto(f"{base}/{session.url_suffix}", wait_until="domcontentloaded")
        await page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout * 1000)
        await page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
            timeout=timeout * 1000,
        )
        await page.wait_for_timeout(500)
        result["seconds"] = time.monotonic() - start
        result["exceptions"] = await page.locator('[data-testid="stException"]').count()
        sidebar = await page.locator('[data-testid="stSidebar"]').inner_text()
        depth = await page.locator(
            '[data-testid="stSidebar"] [data-testid="stSlider"] [role="slider"]'
        ).first.get_attribute("aria-valuenow")
        result["own_depth"] = depth == session.query["depth"]
        result["own_url"] = f"init={session.query['init']}" in page.url and (
            f"seed={session.query['seed']}" in page.url
        )
        result["sidebar_ok"] = bool(sidebar)
    except Exception as error:  # noqa: BLE001 - a load test reports every failure
        result["error"] = f"{type(error).__name__}: {str(error)[:200]}"
    finally:
        await context.close()
    return result


async def run(args: argparse.Namespace) -> int:
    from playwright.async_api import async_playwright

    port = free_port()
    server = start_server(port)
    base = f"http://127.0.0.1:{port}"
    try:
        idle_mb = tree_rss_mb(server.pid)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            start = time.monotonic()
            jobs = [visit(browser, base, s, args.timeout) for s in sessions(args.sessions)]
            results = await asyncio.wait_for(asyncio.gather(*jobs), timeout=args.budget)
            wall = time.monotonic() - start
            peak_mb = tree_rss_mb(server.pid)
            await browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()

    failures = [
        r
        for r in results
        if r.get("error") or r.get("exceptions") or not r.get("own_depth") or not r.get("own_url")
    ]
    print("| sessions | wall (s) | slowest (s) | server RSS idle (MB) | after (MB) | failures |")
    print("|---:|---:|---:|---:|---:|---:|")
    slowest = max((float(r.get("seconds", float("nan"))) for r in results), default=float("nan"))
    print(
        f"| {len(results)} | {wall:.1f} | {slowest:.1f} | {idle_mb:.0f} | {peak_mb:.0f} | "
        f"{len(failures)} |"
    )
    for failure in failures:
        print(f"- failed: {failure}")
    memory_ok = peak_mb <= args.max_rss_mb
    if not memory_ok:
        print(f"- server memory {peak_mb:.0f} MB exceeds {args.max_rss_mb} MB")
    return 0 if not failures and memory_ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions (<= 40)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per session")
    parser.add_argument("--budget", type=float, default=300, help="seconds for the whole run")
    parser.add_argument("--max-rss-mb", type=float, default=500, help="server memory limit")
    args = parser.parse_args()
    args.sessions = max(1, min(args.sessions, 40))
    if not Path(CHROMIUM).exists():
        sys.exit("Debian chromium is missing: apt-get install chromium")
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
