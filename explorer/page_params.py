"""Page-specific controls that live in the share link next to the shared config.

A page that has its own widgets (page 3's clipping threshold, page 4's k) declares them as
:class:`PageParam` records and calls :func:`load` *before* :func:`explorer.page.setup`: the
shared controls rewrite the URL, so the page's own query parameters must be read first.

:func:`load` seeds each widget's ``st.session_state`` key:

* on the page's first run in a session, from the URL (an invalid value falls back to the
  default and a warning names the parameter, like the shared controls do);
* on later runs, from the widget's live value, or, when Streamlit dropped the widget's state
  after a page switch, from the value the page remembered.

It returns the query parameters to keep in the URL (pass them to ``page.setup(extra_query=...)``),
so the share link always reproduces the page's own settings too. :func:`show_warnings`, called
after the page header, lists the URL values that were rejected.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from explorer import controls


@dataclass(frozen=True)
class PageParam:
    """One page-specific control kept in the URL.

    Attributes
    ----------
    name : str
        Query-parameter name (short, e.g. ``"k"``).
    key : str
        The widget's ``key=`` (page-prefixed, e.g. ``"p4_k"``).
    default : Any
        Value used when the URL does not hold a valid one.
    parse : callable
        ``parse(raw: str) -> value``; raises ValueError with a short reason for invalid input.
    """

    name: str
    key: str
    default: Any
    parse: Callable[[str], Any]


def choice(*options: str) -> Callable[[str], str]:
    """A parser accepting exactly one of ``options``."""

    def parse(raw: str) -> str:
        value = raw.strip()
        if value not in options:
            raise ValueError(f"is not one of {', '.join(options)}")
        return value

    return parse


def nearest(options: Sequence[float], *, low: float, high: float) -> Callable[[str], float]:
    """A parser of a number in ``[low, high]``, snapped to the nearest of ``options`` (log scale).

    Parameters
    ----------
    options : sequence of float
        Positive values a select-slider offers.
    low, high : float
        Allowed range of the raw number.
    """

    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError("is not a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(
                f"is outside the allowed range {controls.format_value(low)}–"
                f"{controls.format_value(high)}"
            )
        return min(options, key=lambda o: abs(math.log(o) - math.log(value)))

    return parse


def integer(*, low: int, high: int) -> Callable[[str], int]:
    """A parser of a whole number in ``[low, high]``."""

    def parse(raw: str) -> int:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError("is not a number") from None
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError("is not a whole number")
        if not low <= value <= high:
            raise ValueError(f"is outside the allowed range {low}–{high}")
        return int(value)

    return parse


def _to_query(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int | float):
        return controls.format_value(float(value))
    return str(value)


def load(params: Sequence[PageParam], *, scope: str) -> dict[str, str]:
    """Seed the page's widgets (URL on the first run, else remembered) and return URL extras.

    Call before :func:`explorer.page.setup`; then create each widget with ``key=param.key``
    and no ``value=`` (the seeded session state is its value), and call
    :func:`show_warnings` after the page header.

    Parameters
    ----------
    params : sequence of PageParam
    scope : str
        Unique per page (e.g. ``"p4"``): where the page remembers its values.

    Returns
    -------
    dict of str to str
        Query parameters for ``page.setup(extra_query=...)``.
    """
    store_key = f"_page_params_{scope}"
    warnings_key = f"{store_key}_warnings"
    if store_key not in st.session_state:
        query = st.query_params.to_dict()
        store: dict[str, Any] = {}
        warnings: list[str] = []
        for param in params:
            raw = query.get(param.name)
            if raw is None:
                store[param.name] = param.default
                continue
            try:
                store[param.name] = param.parse(str(raw))
            except ValueError as error:
                warnings.append(
                    f"`{param.name}` = `{controls.shown_value(raw)}` {error}; "
                    f"using {_to_query(param.default)}."
                )
                store[param.name] = param.default
        st.session_state[store_key] = store
        st.session_state[warnings_key] = warnings
    store = st.session_state[store_key]
    for param in params:
        if param.key in st.session_state:
            store[param.name] = st.session_state[param.key]
        else:
            st.session_state[param.key] = store[param.name]
    return {param.name: _to_query(store[param.name]) for param in params}


def show_warnings(scope: str) -> None:
    """Show the URL problems :func:`load` found for this page (call after ``page.setup``)."""
    for message in st.session_state.get(f"_page_params_{scope}_warnings", []):
        st.warning(f"Link parameter ignored: {message}", icon="⚠️")
