"""Markdown the app writes itself renders as the text it means (issue 13: first visit).

The share box and the library calls are Markdown instead of ``st.code`` (whose syntax
highlighter costs every first visit ~0.25 s of the browser's main thread). Rendering them with
a CommonMark parser checks that no call, note or URL is mangled: no emphasis from a ``*`` or
``_``, no link or code span cut short.
"""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from core import initializers
from explorer import page, sidebar

MD = MarkdownIt("commonmark")


def rendered_text(markdown: str) -> str:
    """The text a reader sees: the HTML's text content, entities decoded, spaces collapsed."""
    text = re.sub(r"<[^>]+>", "", MD.render(markdown))
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


@pytest.mark.parametrize("name", list(initializers.REGISTRY))
def test_library_calls_show_every_call_and_note_verbatim(name: str) -> None:
    spec = initializers.REGISTRY[name]
    markdown = page.library_calls(spec)
    shown = rendered_text(markdown)
    rendered = MD.render(markdown)
    assert "<em>" not in rendered
    assert rendered.count("<strong>") == 4
    for library, call in (("PyTorch", spec.pytorch), ("Keras", spec.keras), ("JAX", spec.jax)):
        code, _, note = call.partition("  # ")
        assert f"{library}: {code}" in shown
        if note:
            assert f"({note})" in shown
        if not code.startswith("no "):  # a call is one code span, whole
            assert f"<code>{html.escape(code, quote=False)}</code>" in rendered.replace(
                "&quot;", '"'
            )


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8501/Playground?init=he_normal&activation=relu&compare=a%2Cb",
        "https://x.streamlit.app/?seed=1&depth=10",
        "http://host/a_(b)`c d[e]<f>?init=he_normal",  # characters Markdown would read
    ],
)
def test_share_markdown_links_to_the_url_and_shows_it(url: str) -> None:
    markdown = sidebar.share_markdown(url)
    rendered = MD.render(markdown)
    (href,) = re.findall(r'href="([^"]*)"', rendered)
    safe = html.unescape(href)
    assert sidebar.share_url_of_markdown(markdown) == safe
    # The link text is the link itself, and it opens the same address as the URL given.
    assert rendered_text(markdown) == safe
    assert (
        safe.replace("%28", "(")
        .replace("%29", ")")
        .replace("%60", "`")
        .replace("%20", " ")
        .replace("%5B", "[")
        .replace("%5D", "]")
        .replace("%3C", "<")
        .replace("%3E", ">")
        == url
    )
    assert "<em>" not in rendered
