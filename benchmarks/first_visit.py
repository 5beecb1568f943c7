"""First visit in a real browser: time until every chart of a page is drawn.

For every page (Home and pages 1-8) a fresh Chromium context (no cache, no cookies) opens the
page's default link and the clock runs from ``goto`` until

* the script run has finished (the app's ``data-test-script-state`` is ``notRunning``), and
* every chart on the page has been drawn (each ``stVegaLiteChart`` holds a non-empty canvas
  or SVG).

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
#: True once the run has ended and every chart holds a drawn canvas or SVG.
DRAWN = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.dataset.testScriptState !== "notRunning") return false;
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
  return charts.every((c) => {
    const g = c.querySelector('canvas, svg.marks');
    return g && g.getBoundingClientRect().width > 0 && g.getBoundingClientRect().height > 0;
  });
}"""


def visit(browser, url: str, timeout_s: float = 120.0) -> dict[str, float | int]:  # noqa: ANN001
    """Open ``url`` in a fresh context; seconds until drawn and the number of charts."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        start = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_function(DRAWN, timeout=timeout_s * 1000, polling=50)
        elapsed = time.perf_counter() - start
        charts = page.locator('[data-testid="stVegaLiteChart"]').count()
        errors = page.locator('[data-testid="stException"]').count()
        return {"seconds": round(elapsed, 2), "charts": charts, "exceptions": errors}
    finally:
        context.close()


def visit_all(base: str) -> dict[str, dict[str, dict[str, float | int]]]:
    """Every page twice: the first visit after start-up, then a second visitor's."""
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, dict[str, float | int]]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        for path in pages():
            url = f"{base}/{path}"
            cold = visit(browser, url)
            results[path or "Home"] = {"server_cold": cold, "first_visit": visit(browser, url)}
        browser.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server on loopback (default: start one)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryFile() as log:
        server = None
        base = args.url
        if base is None:
            port = free_port()
            server = start_server(port, log)
            base = f"http://127.0.0.1:{port}"
        try:
            results = visit_all(base)
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
