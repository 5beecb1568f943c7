"""The "compare initializers" picker of Home and the per-layer pages.

One multiselect per page (explicit key) chooses which initializers are drawn next to the page's
protagonist, on the same network, data and seed. Every initializer keeps its fixed colour
(``explorer.charts.INIT_COLORS``), so a line is the same colour on every page.

The selection follows the sidebar: when the page's own default series change (another
initializer or activation in the sidebar), the old defaults are swapped for the new ones and
the visitor's own additions are kept. It also survives a page switch (classic multipage apps
drop widget state then), like :mod:`explorer.page_params` does for other page widgets.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core import initializers, networks
from explorer import controls

#: At most this many initializers side by side (bounded work per rerun on a shared server).
MAX_COMPARED = 6
#: Query parameter holding the choice in share links: ``compare=he_normal,orthogonal``.
URL_PARAM = "compare"

InitParams = tuple[tuple[str, float | str], ...]


def from_link(raw: str | None, options: Sequence[str]) -> list[str]:
    """Initializer names from a share link's ``compare=a,b,c``; unknown names are skipped."""
    if not raw:
        return []
    names = [name.strip() for name in str(raw).split(",")]
    return [name for name in dict.fromkeys(names) if name in options][:MAX_COMPARED]


def choices(network: str, *, exclude: Sequence[str] = ()) -> list[str]:
    """Initializers that apply to the network type, in registry order, minus ``exclude``."""
    return [name for name in networks.supported_inits(network) if name not in exclude]


def merge(
    current: Sequence[str],
    old_default: Sequence[str],
    new_default: Sequence[str],
    options: Sequence[str],
) -> list[str]:
    """The selection after the page's defaults changed: new defaults plus the visitor's additions.

    Parameters
    ----------
    current : sequence of str
        What is selected now.
    old_default, new_default : sequence of str
        The page's default series before and after the sidebar change.
    options : sequence of str
        What may be selected now (the network type may have changed).

    Returns
    -------
    list of str
        At most :data:`MAX_COMPARED` names, all in ``options``, no duplicates.
    """
    added = [name for name in current if name not in old_default]
    merged = list(dict.fromkeys([*new_default, *added]))
    return [name for name in merged if name in options][:MAX_COMPARED]


def series(
    config: controls.Config, names: Sequence[str]
) -> tuple[tuple[str, str, InitParams], ...]:
    """(label, init, params) of the chosen initializers.

    The sidebar's initializer keeps the visitor's parameters; any other uses its defaults.
    """
    return tuple(
        (
            initializers.REGISTRY[name].label,
            name,
            config.init_params if name == config.init else controls.default_params(name),
        )
        for name in names
    )


def picker(
    config: controls.Config,
    *,
    key: str,
    default: Sequence[str],
    exclude: Sequence[str] = (),
    label: str = "Initializers to compare",
    help_text: str | None = None,
    empty_means_default: bool = False,
) -> list[str]:
    """Draw the multiselect and return the chosen initializer names (registry keys).

    Parameters
    ----------
    config : controls.Config
    key : str
        The widget key (page-prefixed, e.g. ``"p2_compare"``).
    default : sequence of str
        What the page shows without a choice (its own comparison series).
    exclude : sequence of str
        Not offered (the page's protagonist, drawn anyway).
    label, help_text : str
        Widget label and help.
    empty_means_default : bool
        For pages whose text needs a comparison: an empty choice shows ``default`` (and says so).

    Returns
    -------
    list of str
        In selection order; empty only when nothing is chosen and ``empty_means_default`` is
        false.
    """
    options = choices(config.network, exclude=exclude)
    default = [name for name in dict.fromkeys(default) if name in options][:MAX_COMPARED]
    default_key, kept_key = f"_{key}_default", f"_{key}_kept"
    old_default = st.session_state.get(default_key)
    current = st.session_state.get(key, st.session_state.get(kept_key))
    if current is None:
        selection = from_link(controls.initial_query().get(URL_PARAM), options) or default
    elif old_default != default or any(name not in options for name in current):
        selection = merge(current, old_default or [], default, options)
    else:
        selection = list(current)
    st.session_state[key] = selection
    st.session_state[default_key] = default
    chosen = st.multiselect(
        label,
        options=options,
        key=key,
        format_func=lambda name: initializers.REGISTRY[name].label,
        max_selections=MAX_COMPARED,
        placeholder="Choose initializers",
        help=help_text
        or f"Up to {MAX_COMPARED}, on the same network, inputs and seed. Each initializer has "
        "the same colour on every page; the sidebar's keeps your parameters, the others "
        "their defaults.",
    )
    st.session_state[kept_key] = list(chosen)
    # The choice goes into the share link (after the shared config, which rewrote the URL).
    if list(chosen) != default:
        st.query_params[URL_PARAM] = ",".join(chosen)
    elif URL_PARAM in st.query_params:
        del st.query_params[URL_PARAM]
    if not chosen and empty_means_default:
        st.caption("Nothing chosen: showing the page's usual comparison.")
        return default
    return list(chosen)
