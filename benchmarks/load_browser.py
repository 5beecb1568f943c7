"""Workshop realism check: many concurrent browser sessions against one local Streamlit server.

The server's capacity is measured by ``benchmarks/load_test.py`` (simulated students over the
websocket protocol, no browsers); this test checks what real browsers see.

Starts ``streamlit run Home.py`` on a free loopback port, then opens ``--sessions`` headless
Chromium pages at once (Debian's ``/usr/bin/chromium`` through Playwright; loopback only), each
on a different page with a different share-link config, and checks that

* every session finishes its script run without an exception on the page;
* each session sees its own config (the sidebar's depth slider shows its link's depth, the
  sidebar's share link and the address bar hold its link's init, depth and seed): no
  cross-session leakage;
* the server's resident memory (RSS, including its children, sampled every 0.25 s during the
  run) stays under ``--max-rss-mb``.

Bounded: at most ``--sessions`` pages (default 20, at most 40), each waited for at most
``--timeout`` seconds (default 240), and the whole run is stopped after ``--budget`` seconds
(default 420). Run from the repository root::

    python -m benchmarks.load_browser --sessions 20

Exit status 0 when every check holds, 1 otherwise; a markdown summary is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlencode

from benchmarks.server import (
    ACTIVATIONS,
    CHROMIUM,
    CHROMIUM_ARGS,
    INITS,
    free_port,
    pages,
    sample_rss,
    start_server,
    stop_server,
    tree_rss_mb,
)

# Selectors for Streamlit 1.67's DOM (data-testid attributes are Streamlit's stable test hooks).
SIDEBAR = '[data-testid="stSidebar"]'
MAIN = '[data-testid="stMain"]'
SLIDER = '[data-testid="stSlider"]'
#: The "Link to this view" box: a Markdown link whose text is the URL (every link holds a seed).
SHARE_LINK = '[data-testid="stMarkdownContainer"] a[href*="seed="]'
EXCEPTION = '[data-testid="stException"]'
NOT_RUNNING = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


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


async def visit(browser, base: str, session: Session, timeout: float) -> dict[str, object]:  # noqa: ANN001
    """Open one session's link and report what it saw."""
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await context.new_page()
    start = time.monotonic()
    result: dict[str, object] = {"session": session.index, "page": session.path or "Home"}
    try:
        await page.goto(f"{base}/{session.url_suffix}", wait_until="domcontentloaded")
        ms = timeout * 1000
        # The share-link box is drawn after the sidebar controls, the charts after that; the
        # status widget ("Running...") is shown while the script runs. Wait for all three,
        # twice for the status widget, because it appears a moment after a run starts.
        await page.wait_for_selector(f"{SIDEBAR} {SHARE_LINK}", timeout=ms)
        await page.wait_for_selector(f"{MAIN} h1", timeout=ms)
        for _ in range(2):
            await page.wait_for_function(NOT_RUNNING, timeout=ms)
            await page.wait_for_timeout(500)
        result["seconds"] = time.monotonic() - start
        result["exceptions"] = await page.locator(EXCEPTION).count()
        # Streamlit 1.67 sliders are react-aria groups around a hidden <input type="range">;
        # the first sidebar slider is the depth (network type's label), the second the width.
        depth = await page.locator(f"{SIDEBAR} {SLIDER} input[type='range']").first.input_value()
        link = await page.locator(f"{SIDEBAR} {SHARE_LINK}").first.inner_text()
        own = session.query
        result["depth_seen"] = depth
        result["own_depth"] = depth == own["depth"]
        result["own_link"] = all(f"{k}={own[k]}" in link for k in ("init", "depth", "seed"))
        result["own_url"] = all(f"{k}={own[k]}" in page.url for k in ("init", "depth", "seed"))
    except Exception as error:  # noqa: BLE001 - a load test reports every failure
        result["error"] = f"{type(error).__name__}: {str(error)[:200]}"
        try:  # what the visitor saw instead (e.g. a connection error dialog)
            text = await page.evaluate("() => document.body.innerText")
            result["page_text"] = " ".join(text.split())[:300]
        except Exception as detail:  # noqa: BLE001
            result["page_text"] = f"unavailable: {type(detail).__name__}"
    finally:
        await context.close()
    return result


async def run(args: argparse.Namespace) -> int:
    """Run the load test; the server's output is kept and shown when a check fails."""
    with tempfile.TemporaryFile() as log:
        return await _run(args, log)


async def _run(args: argparse.Namespace, log: IO[bytes]) -> int:
    from playwright.async_api import async_playwright

    port = free_port()
    server = start_server(port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        idle_mb = tree_rss_mb(server.pid)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            start = time.monotonic()
            peak = [idle_mb]
            sampler = asyncio.create_task(sample_rss(server.pid, peak))
            jobs = [visit(browser, base, s, args.timeout) for s in sessions(args.sessions)]
            try:
                results = await asyncio.wait_for(asyncio.gather(*jobs), timeout=args.budget)
            except TimeoutError:
                results = [{"error": f"the whole run exceeded --budget {args.budget:.0f} s"}]
            finally:
                sampler.cancel()
            wall = time.monotonic() - start
            after_mb = tree_rss_mb(server.pid)
            peak_mb = max(peak[0], after_mb)
            await browser.close()
    finally:
        stop_server(server)

    checks = ("own_depth", "own_link", "own_url")
    failures = [
        r
        for r in results
        if r.get("error") or r.get("exceptions") or not all(r.get(c) for c in checks)
    ]
    seconds = sorted(float(r["seconds"]) for r in results if "seconds" in r)
    slowest = seconds[-1] if seconds else float("nan")
    median = seconds[len(seconds) // 2] if seconds else float("nan")
    print(
        "| sessions | wall (s) | median page (s) | slowest page (s) | server RSS idle (MB) "
        "| peak (MB) | after (MB) | failures |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {len(results)} | {wall:.1f} | {median:.1f} | {slowest:.1f} | {idle_mb:.0f} | "
        f"{peak_mb:.0f} | {after_mb:.0f} | {len(failures)} |"
    )
    for failure in failures:
        print(f"- failed: {failure}")
    log.seek(0)
    server_log = log.read().decode(errors="replace")
    if failures and server_log.strip():
        print("\nLast lines of the server log:\n```\n" + server_log[-3000:] + "\n```")
    memory_ok = peak_mb <= args.max_rss_mb
    if not memory_ok:
        print(f"- server memory {peak_mb:.0f} MB exceeds {args.max_rss_mb} MB")
    return 0 if not failures and memory_ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions (<= 40)")
    # 20 headless Chromium tabs on 2 cores render slowly (median page ~60-90 s measured, the
    # browsers' CPU, not the server's): the per-session wait must allow for that.
    parser.add_argument("--timeout", type=float, default=240, help="seconds per session")
    parser.add_argument("--budget", type=float, default=420, help="seconds for the whole run")
    parser.add_argument("--max-rss-mb", type=float, default=500, help="server memory limit")
    args = parser.parse_args()
    args.sessions = max(1, min(args.sessions, 40))
    if not Path(CHROMIUM).exists():
        sys.exit("Debian chromium is missing: apt-get install chromium")
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
