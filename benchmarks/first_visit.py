"""First visit in a real browser: time until every chart of a page is drawn.

For every page (Home and pages 1-8) a fresh Chromium context (no cache, no cookies) opens the
page's default link and the clock runs from ``goto`` until

* the script run has finished (the app's ``data-test-script-state`` is ``notRunning``), and
* every chart on the page has been drawn (each ``stVegaLiteChart`` holds a non-empty canvas
  or SVG), and nothing changed for :data:`STABLE_S` seconds after that (charts arrive after
  the script has finished).

Each page is visited twice: ``server_cold`` is the first visit after the server started (the
page's computations and charts are not cached yet), ``first_visit`` a second visitor's first
visit (a new browser context, caches on the server warm: what a workshop sees after the
instructor opened the page once). Loopback only; Debian's ``/usr/bin/chromium`` through
Playwright. Run from the repository root::

    python -m benchmarks.first_visit [--json FILE] [--url http://127.0.0.1:PORT]

Prints a markdown table; the target (issue [3/4]) is charts drawn within 2.5 s.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.server import CHROMIUM, CHROMIUM_ARGS, free_port, pages, start_server, stop_server

TARGET_S = 2.5
#: The app's script state, how many charts are on screen, and how many of them are drawn.
STATE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  // Charts in a closed expander or an inactive tab take no space: they are not on screen.
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].filter(
    (c) => c.getBoundingClientRect().width > 0);
  const drawn = charts.filter((c) => {
    const g = c.querySelector('canvas, svg.marks');
    if (!g) return false;
    const r = g.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  }).length;
  return {state: app ? app.dataset.testScriptState : null, total: charts.length, drawn};
}"""
#: How long the page must stay finished, with the same charts all drawn, to count as done
#: (charts arrive after the script has finished: the frontend loads Vega and lays them out).
STABLE_S = 1.5


def visit(browser, url: str, timeout_s: float = 120.0) -> dict[str, float | int]:  # noqa: ANN001
    """Open ``url`` in a fresh context; seconds until every chart is drawn, and their count.

    The clock stops at the moment the script had finished and every chart on the page was
    drawn, provided nothing changed in the :data:`STABLE_S` seconds after it.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        start = time.perf_counter()
        page.goto(url, wait_until="commit")
        ready_at: float | None = None
        last_total = -1
        while time.perf_counter() - start < timeout_s:
            now = page.evaluate(STATE)
            t = time.perf_counter()
            done = now["state"] == "notRunning" and now["drawn"] == now["total"]
            if done and ready_at is not None and now["total"] == last_total:
                if t - ready_at >= STABLE_S:
                    break
            else:  # not done yet, or the first done poll, or the charts changed
                ready_at = t if done else None
                last_total = now["total"]
            page.wait_for_timeout(50)
        else:
            raise TimeoutError(f"{url}: charts not drawn within {timeout_s:.0f} s")
        errors = page.locator('[data-testid="stException"]').count()
        return {"seconds": round(ready_at - start, 2), "charts": last_total, "exceptions": errors}
    finally:
        context.close()


def visit_all(
    base: str, query: str = "", only: list[str] | None = None, repeat: int = 1
) -> dict[str, dict[str, dict[str, float | int]]]:
    """Every page (or those in ``only``): its first visit after start-up, then new visitors'.

    ``first_visit`` is the median of ``repeat`` new visitors, each in a fresh browser context.
    """
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, dict[str, float | int]]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        for path in pages():
            if only and (path or "Home") not in only:
                continue
            url = f"{base}/{path}" + (f"?{query}" if query else "")
            cold = visit(browser, url)
            warm = sorted((visit(browser, url) for _ in range(repeat)), key=lambda r: r["seconds"])
            results[path or "Home"] = {"server_cold": cold, "first_visit": warm[len(warm) // 2]}
        browser.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server on loopback (default: start one)")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--query", default="", help="added to every link, e.g. reveal=1 (the projector's view)"
    )
    parser.add_argument("--pages", nargs="*", help="only these (URL names, e.g. Home Playground)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="new visitors per page (the median is reported)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryFile() as log:
        server = None
        base = args.url
        if base is None:
            port = free_port()
            server = start_server(port, log)
            base = f"http://127.0.0.1:{port}"
        try:
            results = visit_all(base, args.query, args.pages, max(1, min(args.repeat, 9)))
        finally:
            if server is not None:
                stop_server(server)
    print(f"| page | server cold (s) | first visit (s) | charts | ≤ {TARGET_S} s |")
    print("|---|---:|---:|---:|:-:|")
    for name, r in results.items():
        ok = r["first_visit"]["seconds"] <= TARGET_S and not r["first_visit"]["exceptions"]
        print(
            f"| {name} | {r['server_cold']['seconds']:.2f} | {r['first_visit']['seconds']:.2f} | "
            f"{r['first_visit']['charts']} | {'✓' if ok else '✗'} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    worst = max(r["first_visit"]["seconds"] for r in results.values())
    return 0 if worst <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
