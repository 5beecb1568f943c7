"""AppTest checks every page must pass: first visit, URL config, hostile URL parameters.

Page-specific behaviour is tested in ``tests/pages/test_page_*.py``; here every page is driven the
same way, as the first page a visitor opens (deep link), with and without query parameters.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = [ROOT / "Home.py", *sorted((ROOT / "pages").glob("[0-9]*_*.py"))]
IDS = [p.stem for p in SCRIPTS]
TIMEOUT = 60

HOSTILE = {
    "network": "<script>alert(1)</script>",
    "activation": "NaN",
    "init": "definitely_not_an_init",
    "depth": "-5",
    "width": "1000000000",
    "seed": "nan",
}


def run_page(script: Path, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(script), default_timeout=TIMEOUT)
    if query:
        at.query_params.update(query)
    at.run()
    return at


def warnings_text(at: AppTest) -> str:
    return "\n".join(w.value for w in at.warning)


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_first_visit_renders_without_exception(script: Path) -> None:
    at = run_page(script)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "page has no title"
    assert len(at.sidebar.selectbox) >= 3, "shared sidebar controls missing"
    # A plain visit writes the whole shared config into the URL (share links).
    for key in ("network", "activation", "init", "depth", "width", "seed"):
        assert key in at.query_params, f"{key} missing from the URL"


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_hostile_query_parameters_warn_and_fall_back(script: Path) -> None:
    at = run_page(script, HOSTILE)
    assert not at.exception, [e.value for e in at.exception]
    text = warnings_text(at)
    for name in HOSTILE:
        assert f"`{name}`" in text, f"no warning names {name}: {text}"
    # Defaults were used and written back to the URL.
    assert at.query_params["network"] == ["mlp"] or at.query_params["network"] == "mlp"
    assert "<script>" not in str(at.query_params)


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_url_sets_the_controls(script: Path) -> None:
    query = {
        "network": "mlp",
        "activation": "relu",
        "init": "he_normal",
        "depth": "7",
        "width": "64",
        "seed": "3",
    }
    at = run_page(script, query)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning or "Link parameter" not in warnings_text(at)
    assert at.sidebar.selectbox(key="ctl_activation").value == "relu"
    assert at.sidebar.selectbox(key="ctl_init").value == "he_normal"
    assert at.sidebar.slider(key="ctl_depth").value == 7
    assert at.sidebar.slider(key="ctl_width").value == 64
