"""Real-browser pass: every page opened by deep link as a fresh visitor, in headless Chromium.

The test starts ``streamlit run Home.py`` on a free loopback port and drives Debian's
``/usr/bin/chromium`` through Playwright (never a downloaded browser). It skips with a clear
reason when Chromium or Playwright is missing; ``.ci/run`` installs Chromium so CI always runs it.
Set ``SCREENSHOT_DIR`` to keep a full-page PNG of every page.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHROMIUM

from benchmarks.server import CHROMIUM_ARGS, ROOT, url_path

PAGES = sorted((ROOT / "pages").glob("[0-9]*_*.py"))

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def open_page(browser: object, url: str):  # noqa: ANN201 - playwright Page
    """Open ``url`` in a fresh context and wait until the script run has finished."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=30_000)
    # Wait for the script run to end (the app's script state; the status widget shows
    # "Running..." meanwhile).
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.dataset.testScriptState === 'notRunning'",
        timeout=60_000,
    )
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )
    page.wait_for_timeout(1000)
    return context, page


def _check_page(browser: object, url: str, name: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context, page = open_page(browser, url)
    try:
        exceptions = page.locator('[data-testid="stException"]')
        assert exceptions.count() == 0, exceptions.first.inner_text()
        charts = page.locator('[data-testid="stVegaLiteChart"]')
        if charts.count() == 0:
            # Before the prediction a page may hold back every chart (they give the answer
            # away); it then says so. The revealed link must draw them.
            assert page.get_by_text("shown after your prediction").count() >= 1, name
            page.close()
            context.close()
            context, page = open_page(browser, url + ("&" if "?" in url else "?") + "reveal=1")
            charts = page.locator('[data-testid="stVegaLiteChart"]')
        # A chart element appears once the browser has loaded Vega, about a second after the
        # script run on this machine: wait for it rather than count at once.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=20_000)
        assert charts.count() >= 1, f"no chart rendered on {name}"
        page.wait_for_selector(
            '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg',
            timeout=20_000,
        )
        shots = os.environ.get("SCREENSHOT_DIR")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / f"{name}.png"), full_page=True)
    finally:
        context.close()


def test_home_first_visit(browser: object, server: str) -> None:
    _check_page(browser, server + "/", "Home")


@pytest.mark.parametrize("page_file", PAGES, ids=[p.stem for p in PAGES])
def test_page_deep_link_first_visit(browser: object, server: str, page_file: Path) -> None:
    _check_page(browser, f"{server}/{url_path(page_file)}", page_file.stem)


def test_share_link_shows_the_senders_metric(browser: object, server: str) -> None:
    """A fresh visitor opening a share link sees the number its sender saw (AppTest's run)."""
    from streamlit.testing.v1 import AppTest

    # An instructor's projector link: reveal=1 opens the answer (the metric) at once.
    query = {"network": "mlp", "activation": "relu", "init": "he_normal", "depth": "12",
             "width": "64", "seed": "3", "reveal": "1"}  # fmt: skip
    label = "Measured factor per layer"
    script = ROOT / "pages" / "2_Small_random_weights.py"
    sender = AppTest.from_file(str(script), default_timeout=60)
    sender.query_params.update(query)
    sender.run()
    assert not sender.exception
    expected = next(m.value for m in sender.metric if m.label == label)

    link = f"{server}/Small_random_weights?" + "&".join(f"{k}={v}" for k, v in query.items())
    context, page = open_page(browser, link)
    try:
        metric = page.locator('[data-testid="stMetric"]').filter(
            has=page.locator('[data-testid="stMetricLabel"]', has_text=label)
        )
        shown = metric.first.locator('[data-testid="stMetricValue"]').inner_text().strip()
        assert shown == expected
        for key, value in query.items():
            assert f"{key}={value}" in page.url
    finally:
        context.close()
