"""Display formulas split into lines that fit a phone's column (issue 13)."""

from __future__ import annotations

import re

import pytest

from core import initializers
from explorer import page


def _content(tex: str) -> str:
    """The formula's symbols without layout commands or whitespace."""
    for layout in (r"\begin{gathered}", r"\end{gathered}", r"\\", r"\qquad", r"\quad"):
        tex = tex.replace(layout, "")
    return re.sub(r"\s+", "", tex)


@pytest.mark.parametrize("name", list(initializers.REGISTRY))
def test_registry_formulas_keep_their_content_one_part_per_line(name: str) -> None:
    formula = initializers.REGISTRY[name].formula
    shown = page.formula_lines(formula)
    assert _content(shown) == _content(formula)
    parts = formula.count(r"\qquad")
    if parts:
        assert shown.startswith(r"\begin{gathered}")
        assert shown.endswith(r"\end{gathered}")
        assert shown.count(r"\\") == parts
        assert r"\qquad" not in shown
    else:
        assert shown == formula


def test_formula_lines_splits_only_at_top_level() -> None:
    assert page.formula_lines(r"a \qquad b") == r"\begin{gathered}a \\ b\end{gathered}"
    # Inside braces, and longer commands that start with the separator, stay put.
    assert page.formula_lines(r"\text{a \qquad b}") == r"\text{a \qquad b}"
    assert page.formula_lines(r"a \qquadx b") == r"a \qquadx b"
    assert (
        page.formula_lines(r"a \quad b, \qquad c")
        == r"\begin{gathered}a \quad b, \\ c\end{gathered}"
    )
