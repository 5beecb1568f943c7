"""Helpers shared by the AppTest page tests: run a page, read its metrics and notices."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from explorer.sidebar import share_url_of_markdown

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60
#: The page tests read the answers of the pages' predict-then-reveal questions: they open the
#: pages as an instructor's link does (``reveal=1``). tests/pages/test_reveal.py checks the
#: pages without it.
REVEALED = {"reveal": "1"}


#: Every page script: Home and the files of ``pages/``.
PAGES = [
    "Home.py",
    "1_Zero_and_constant.py",
    "2_Small_random_weights.py",
    "3_Large_random_weights.py",
    "4_Choosing_the_scale.py",
    "5_Network_types.py",
    "6_Playground.py",
    "7_Edge_of_chaos.py",
    "8_Reference.py",
]


def chart_specs(at: AppTest) -> list[dict]:
    """The Vega-Lite spec of every chart a run page drew, in page order."""
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def share_link(at: AppTest) -> str:
    """The URL in the sidebar's "Link to this view" box (a Markdown link to itself)."""
    (link,) = [
        share_url_of_markdown(m.value)
        for m in at.sidebar.markdown
        if m.value.startswith("[`") and "?" in m.value
    ]
    return link


def script(name: str) -> str:
    """Path of ``Home.py`` or of a page script (file name relative to ``pages/``)."""
    return str(ROOT / name) if name == "Home.py" else str(ROOT / "pages" / name)


def run_page(
    path: str,
    query: dict[str, str] | None = None,
    *,
    timeout: int = TIMEOUT,
    revealed: bool = True,
) -> AppTest:
    """Run a page as a first visit with ``query`` in the URL; it must not raise.

    ``revealed`` (the default) adds ``reveal=1`` unless ``query`` sets ``reveal`` itself.
    """
    at = AppTest.from_file(path, default_timeout=timeout)
    if revealed:
        at.query_params.update(REVEALED)
    if query:
        at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label_start: str) -> str:
    """Value of the first st.metric whose label starts with ``label_start``."""
    hits = [m for m in at.metric if m.label.startswith(label_start)]
    assert hits, f"no metric starting {label_start!r}: {[m.label for m in at.metric]}"
    return hits[0].value


def number(text: str) -> float:
    """The first number in a metric value ("8.09e+52", "×11.5", "89%")."""
    match = re.search(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)
    assert match, text
    return float(match.group())


def notices(at: AppTest) -> str:
    """All "What to notice" captions of the page, one per line."""
    return "\n".join(c.value for c in at.caption if "What to notice" in c.value)


def download_id(button) -> str:  # noqa: ANN001
    """Where a download button's data is registered: its URL, or its deferred file id."""
    return button.proto.url or button.proto.deferred_file_id


def runner(name: str) -> Callable[..., AppTest]:
    """``run(query=None)`` for one page script (``name`` as for :func:`script`)."""
    path = script(name)

    def run(query: dict[str, str] | None = None) -> AppTest:
        return run_page(path, query)

    return run


def metrics(at: AppTest) -> dict[str, str]:
    """Every st.metric of the page: label -> value."""
    return {m.label: m.value for m in at.metric}


def captions(at: AppTest) -> str:
    """All captions of the page, one per line."""
    return "\n".join(c.value for c in at.caption)


def text(at: AppTest) -> str:
    """All markdown of the page, then all captions."""
    return "\n".join(m.value for m in at.markdown) + captions(at)


def query(link: str) -> dict[str, str]:
    """A share link's query string ("a=1&b=2") as the dict AppTest's query_params take."""
    return dict(pair.split("=", 1) for pair in link.split("&"))


def switch_to_linear(at: AppTest, label_start: str) -> None:
    """Set the sidebar activation to linear: the rerun must not raise and must change a metric."""
    before = metric(at, label_start)
    at.sidebar.selectbox(key="ctl_activation").set_value("linear").run()
    assert not at.exception
    assert metric(at, label_start) != before
