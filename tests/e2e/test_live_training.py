"""Real-browser check that the playground redraws its charts WHILE training runs.

Starts ``streamlit run Home.py`` on a free loopback port and drives Debian's
``/usr/bin/chromium`` through Playwright (never a downloaded browser); skips with a reason when
either is missing. The run is long enough (6 initializers x 2000 steps of a 6 x 64 MLP,
10-20 s on an idle core) that the step counter and the loss chart can be read twice before it
ends; then Stop shows the results trained so far with a "stopped at step N" note.
"""

from __future__ import annotations

import time

import pytest
from conftest import CHROMIUM

from benchmarks.server import CHROMIUM_ARGS

try:
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # the server fixture skips these tests without Playwright
    PlaywrightError = Exception

#: A fresh seed so no earlier test filled the chunk cache for these settings.
LINK = (  # long enough to read twice and press Stop even on an idle machine (~10-20 s)
    "/Playground?steps=2000&seed=4242&train_depth=6&train_width=64&inits="
    "glorot_normal,small_random,he_normal,lecun_normal,glorot_uniform,he_uniform"
)
STATUS = '[data-testid="stProgress"]'

pytestmark = pytest.mark.browser


def shot(locator) -> bytes:  # noqa: ANN001 - playwright Locator
    """A screenshot of ``locator``, retried while a redraw replaces the element."""
    for _ in range(10):
        try:
            return locator.screenshot()
        except PlaywrightError:
            time.sleep(0.2)
    return locator.screenshot()


def step_of(text: str) -> tuple[int, int]:
    """(step, total) from the status line "Training: step N of M ..."."""
    words = text.split("step ", 1)[1].split()
    return int(words[0]), int(words[2])


def test_playground_charts_change_while_training_and_stop_keeps_them(server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 3000})
            page.goto(server + LINK, wait_until="domcontentloaded")
            page.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=60_000)
            page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                timeout=60_000,
            )
            page.get_by_role("button", name="▶ Train").click()
            page.mouse.move(5, 5)
            status = page.locator(STATUS)
            status.wait_for(timeout=30_000)
            page.get_by_role("button", name="⏹ Stop").wait_for(timeout=10_000)
            # The loss chart of the live view: the page's first chart while training runs (the
            # controls above it have none; the "before training" view comes after it).
            loss = page.locator('[data-testid="stVegaLiteChart"]').first
            page.wait_for_function(
                "() => { const p = document.querySelector('[data-testid=\"stProgress\"]');"
                " return p && /step [1-9]/.test(p.innerText); }",
                timeout=30_000,
            )
            first_step, total = step_of(status.inner_text())
            first_image = shot(loss)
            page.wait_for_function(
                f"() => {{ const p = document.querySelector('[data-testid=\"stProgress\"]');"
                f" const m = p && p.innerText.match(/step (\\d+) of/);"
                f" return m && +m[1] >= {first_step} + 100; }}",
                timeout=30_000,
            )
            # The chart redraws after the step counter (and Vega renders asynchronously): poll
            # its picture for a few seconds, while the run is still going.
            second_step, _ = step_of(status.inner_text())
            for _ in range(20):
                try:
                    second_image = loss.screenshot(timeout=5_000)
                except PlaywrightError:  # the chart was being replaced by its redraw
                    second_image = first_image
                if second_image != first_image or status.count() == 0:
                    break
                page.wait_for_timeout(250)
            assert first_step < second_step < total, (first_step, second_step, total)
            assert first_image != second_image, "the loss chart did not change while training"
            # Stop: the rerun replaces the live view by the results trained so far.
            page.get_by_role("button", name="⏹ Stop").click()
            note = page.get_by_text("Stopped at step").first
            note.wait_for(timeout=30_000)
            stopped = int(note.inner_text().split("Stopped at step ", 1)[1].split()[0])
            assert second_step <= stopped < total
            page.get_by_text(f"(stopped at step {stopped})").wait_for(timeout=30_000)
            assert page.get_by_role("button", name="▶ Continue").count() == 1
            assert page.locator('[data-testid="stException"]').count() == 0
        finally:
            browser.close()
