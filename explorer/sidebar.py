"""The sidebar and the URL: the one mechanism that keeps widgets, session state and links in sync.

Every page, the playground, the reference page and the compare picker read and write their
share-link state through this module; it is the only place that touches ``st.query_params``.
The parsing itself (what a valid value is, what a bad one falls back to) is pure and lives in
:mod:`explorer.state`.

Flow of one script run:

1. Page-specific values are read first (:func:`page_params`, :func:`playground_settings`,
   :func:`text_param`): on the page's first run in a session from the URL, later from the
   widgets (or, when Streamlit dropped a widget's state after a page switch, from what the page
   remembered in session state).
2. :func:`shared_config` (called by ``explorer.page.setup``) reads the shared config from
   session state (parsing the URL on the session's first run), draws the sidebar widgets
   re-seeded from it (classic multipage apps drop widget state on a page switch, so the widgets
   cannot be the source of truth; their ``on_change`` callbacks copy a changed value back into
   the config before the rerun), writes config + page values into the URL and draws the
   "Link to this view" box.
3. Widgets drawn later that live in the link (:func:`compare_picker`) update the URL through
   :func:`_publish`, which also refreshes the box: the box always shows the address bar's link.

Nothing here is module-level mutable state: everything per-user is in ``st.session_state``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from core import activations, initializers, networks
from explorer import state

_STATE_KEY = "_shared_config"
_WARNINGS_KEY = "_shared_config_warnings"
_INITIAL_QUERY_KEY = "_shared_config_initial_query"
_NOTICE_KEY = "_shared_config_notice"
#: Whether this run's URL holds ``reveal=1`` (the page's prediction opens revealed).
_REVEAL_KEY = "_reveal_from_url"
#: This run's link and the sidebar element showing it (rewritten on every run).
_LINK_KEY = "_share_link"
#: The playground's own settings (raw values by query name), kept across page switches.
PLAYGROUND_STORE = "_pg6_store"
PLAYGROUND_WIDGETS = state.PLAYGROUND_WIDGETS
#: The caption above the share box.
SHARE_CAPTION = (
    "🔗 **Link to this view.** Right-click it (press and hold on a phone) and copy the link "
    "address, or copy the address bar: both hold the same link, your page settings and compared "
    "initializers included."
)


# ---------------------------------------------------------------------------------------------
# The URL
# ---------------------------------------------------------------------------------------------


def _address_bar() -> dict[str, str]:
    """The query parameters in the visitor's address bar now (last value of repeated keys)."""
    return st.query_params.to_dict()


def share_url(query: Mapping[str, str], base: str | None = None) -> str:
    """The link of a view: ``base`` (this page's address) plus the query string."""
    return (base or "") + "?" + urlencode(dict(query))


#: Characters of a URL that Markdown would read as syntax in ``[`url`](url)``.
_MARKDOWN_URL_ESCAPES = str.maketrans(
    {"(": "%28", ")": "%29", "`": "%60", " ": "%20", "[": "%5B", "]": "%5D", "<": "%3C", ">": "%3E"}
)


def share_markdown(url: str) -> str:
    """The share box's Markdown: ``url`` as a link whose text is the URL itself.

    A link, not ``st.code``: the code block's copy button costs every first visit a 1.5 MB
    syntax highlighter, ~0.25 s of the browser's main thread (``benchmarks/RESULTS.md``,
    "A new machine"). The query is percent-encoded already; the few characters of the page's
    address that would end the code span or the link are percent-encoded here, so the
    Markdown cannot break. Inside a code span ``_`` is not read as emphasis.
    """
    safe = url.translate(_MARKDOWN_URL_ESCAPES)
    return f"[`{safe}`]({safe})"


def share_url_of_markdown(text: str) -> str:
    """The URL a :func:`share_markdown` box links to (for tests and tools)."""
    return text.rpartition("](")[2].removesuffix(")")


def _publish(query: dict[str, str]) -> None:
    """Write ``query`` into the address bar (only when it changed) and into the share box."""
    if _address_bar() != query:
        st.query_params.from_dict(query)
    link = st.session_state.get(_LINK_KEY)
    if link is not None:
        link["query"] = dict(query)
        link["box"].markdown(share_markdown(share_url(query, st.context.url)))


def _share_box(query: dict[str, str]) -> None:
    """Write the URL and draw the "Link to this view" box at the bottom of the sidebar."""
    with st.sidebar:
        st.divider()
        st.caption(SHARE_CAPTION)
        box = st.empty()
    st.session_state[_LINK_KEY] = {"query": {}, "box": box}
    _publish(query)


def _set_url_param(name: str, value: str | None) -> None:
    """Set (or, with ``None``, remove) one query parameter of this run's link."""
    link = st.session_state.get(_LINK_KEY)
    query = dict(link["query"]) if link is not None else _address_bar()
    if value is None:
        query.pop(name, None)
    else:
        query[name] = value
    _publish(query)


def page_link(page: str, label: str, config: state.Config) -> None:
    """A link to another page that carries the shared config (the sender's view goes along)."""
    st.page_link(page, label=label, query_params=config.to_query())


# ---------------------------------------------------------------------------------------------
# The shared config
# ---------------------------------------------------------------------------------------------


def _get() -> state.Config:
    return st.session_state[_STATE_KEY]


def _set(config: state.Config) -> None:
    st.session_state[_STATE_KEY] = config


def _on_change(field_name: str, widget_key: str) -> None:
    """Copy one widget's new value into the shared config (runs before the rerun)."""
    config = _get()
    value = st.session_state[widget_key]
    if field_name == "network":
        config = state.with_network(config, value)
    elif field_name == "init":
        config = state.with_init(config, value)
    elif field_name.startswith("param:"):
        name = field_name.removeprefix("param:")
        try:  # e.g. σ = 0 typed into a box whose range (0, 10] excludes its minimum
            initializers.validate_params(config.init, {name: value})
        except ValueError as error:
            st.session_state[_NOTICE_KEY] = (
                f"`{name}` = {state.shown_value(value)} not used: {error}; kept "
                f"{state.format_value(config.params[name])}."
            )
        else:
            config = replace(
                config,
                init_params=tuple((n, value if n == name else v) for n, v in config.init_params),
            )
    else:
        config = replace(
            config, **{field_name: int(value) if field_name != "activation" else value}
        )
    # The depth slider's range is the network type's, not the weight budget of the current
    # width: a deep-and-wide request is cut to the budget here (and said so on the page).
    deepest = state.max_depth(config.network, config.width)
    if config.depth > deepest:
        st.session_state[_NOTICE_KEY] = (
            f"{config.depth} layers of {config.width} units exceed the server's budget of "
            f"{state.MAX_HIDDEN_WEIGHTS:,} weights; using {deepest} layers."
        )
        config = replace(config, depth=deepest)
    _set(config)


def load_config() -> tuple[state.Config, list[str]]:
    """Return the session's config, parsing the URL on the session's first run.

    Returns
    -------
    config : state.Config
    warnings : list of str
        URL problems found on this session's first run (empty afterwards).
    """
    if _STATE_KEY not in st.session_state:
        query = _address_bar()
        config, warnings = state.parse_query(query)
        _set(config)
        st.session_state[_WARNINGS_KEY] = warnings
        st.session_state[_INITIAL_QUERY_KEY] = query
    warnings = st.session_state.get(_WARNINGS_KEY, [])
    return _get(), warnings


def initial_query() -> dict[str, str]:
    """The query parameters the session arrived with (before any rewrite of the URL).

    Page widgets created after :func:`shared_config` (which rewrites the URL) read their
    share-link values from here on their first run.
    """
    return dict(st.session_state.get(_INITIAL_QUERY_KEY, {}))


def _seed_widget(key: str, value: Any) -> None:
    st.session_state[key] = value


def shared_config(*, extra_query: Mapping[str, str] | None = None) -> state.Config:
    """Draw the shared sidebar controls and return the validated config.

    Call once near the top of every page, after ``st.set_page_config``. URL problems found
    on the session's first run are shown as warnings at the top of the page.

    Parameters
    ----------
    extra_query : mapping, optional
        Page-specific query parameters to keep in the URL next to the shared config.

    Returns
    -------
    state.Config
    """
    config, warnings = load_config()
    revealed, reveal_warnings = state.parse_reveal(_address_bar())
    st.session_state[_REVEAL_KEY] = revealed
    for message in [*warnings, *reveal_warnings]:
        st.warning(f"Link parameter ignored: {message}", icon="⚠️")
    notice = st.session_state.pop(_NOTICE_KEY, None)  # a sidebar value the server adjusted
    if notice:
        st.warning(notice, icon="⚠️")

    sidebar = st.sidebar
    sidebar.header("Network")

    def widget(
        kind: str,
        field_name: str,
        label: str,
        value: Any,
        *,
        where: Any = sidebar,
        suffix: str = "",
        **kwargs: Any,
    ) -> Any:
        key = f"ctl_{field_name.replace(':', '_')}{suffix}"
        _seed_widget(key, value)
        maker = getattr(where, kind)
        return maker(label, key=key, on_change=_on_change, args=(field_name, key), **kwargs)

    def slider_with_box(
        field_name: str, label: str, value: int, low: int, high: int, tip: str
    ) -> None:
        """A slider (key ``ctl_<field>``) and a number box beside it (``ctl_<field>_box``).

        Both show the config's value and either one changes it; the box reaches any exact
        value (50 on a 1-200 slider).
        """
        left, right = sidebar.columns([3, 1.25], vertical_alignment="bottom")
        widget(
            "slider",
            field_name,
            label,
            value,
            where=left,
            min_value=low,
            max_value=high,
            help=tip,
        )
        widget(
            "number_input",
            field_name,
            f"{label} (exact)",
            value,
            where=right,
            suffix="_box",
            min_value=low,
            max_value=high,
            step=1,
            label_visibility="collapsed",
        )

    widget(
        "selectbox",
        "network",
        "Network type",
        config.network,
        options=list(networks.KINDS),
        format_func=state.NETWORK_LABELS.get,
        help="MLP: dense layers. CNN: 3x3 convolutions on 16x16 images. "
        "RNN: one recurrent weight matrix applied at every time step. "
        "Residual MLP: each block adds its output to its input.",
    )
    widget(
        "selectbox",
        "activation",
        "Activation",
        config.activation,
        options=list(activations.NAMES),
        format_func=lambda n: activations.get(n).label,
    )
    widget(
        "selectbox",
        "init",
        "Initializer",
        config.init,
        options=list(initializers.REGISTRY),
        format_func=lambda n: initializers.REGISTRY[n].label,
        help="How the weights are drawn before training. Formulas on the Reference page.",
    )
    config = _get()
    for param in initializers.REGISTRY[config.init].params:
        value = config.params[param.name]
        if param.kind == "choice":
            widget(
                "selectbox",
                f"param:{param.name}",
                param.label,
                value,
                options=list(param.choices or ()),
                help=param.help,
            )
        else:
            widget(
                "number_input",
                f"param:{param.name}",
                param.label,
                float(value),
                min_value=float(param.low) if param.low is not None else None,
                max_value=float(param.high) if param.high is not None else None,
                format="%g",
                help=param.help,
            )
    limits = state.LIMITS[config.network]
    slider_with_box(
        "depth",
        limits.depth_label,
        config.depth,
        1,
        limits.depth_max,
        f"1 to {limits.depth_max} for this network type (a limit that keeps a shared server "
        "responsive). Type an exact value in the box.",
    )
    slider_with_box(
        "width",
        limits.width_label,
        config.width,
        limits.width_min,
        limits.width_max,
        f"{limits.width_min} to {limits.width_max} for this network type. Type an exact value "
        "in the box.",
    )
    widget(
        "number_input",
        "seed",
        "Random seed",
        config.seed,
        min_value=0,
        max_value=state.SEED_MAX,
        step=1,
        help="Same seed, same weights and data: share links reproduce exactly.",
    )
    config = _get()
    query = config.to_query()
    if extra_query:
        query.update(extra_query)
    if revealed:  # an instructor link stays one: the share box keeps ``reveal=1``
        query[state.REVEAL_PARAM] = "1"
    _share_box(query)
    return config


def url_reveal() -> bool:
    """Whether this page's link holds ``reveal=1`` (read by :func:`shared_config`)."""
    return bool(st.session_state.get(_REVEAL_KEY, False))


# ---------------------------------------------------------------------------------------------
# Page parameters
# ---------------------------------------------------------------------------------------------


def page_params(params: Sequence[state.PageParam], *, scope: str) -> dict[str, str]:
    """Seed the page's widgets (URL on the first run, else remembered) and return URL extras.

    Call before ``explorer.page.setup``; then create each widget with ``key=param.key`` and no
    ``value=`` (the seeded session state is its value), and call :func:`show_page_warnings`
    after the page header.

    Parameters
    ----------
    params : sequence of state.PageParam
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
        values, warnings = state.parse_page_params(params, _address_bar())
        st.session_state[store_key] = values
        st.session_state[warnings_key] = warnings
    store = st.session_state[store_key]
    for param in params:
        if param.key in st.session_state:
            store[param.name] = st.session_state[param.key]
        else:
            st.session_state[param.key] = store[param.name]
    return {param.name: state.query_value(store[param.name]) for param in params}


def show_page_warnings(scope: str) -> None:
    """Show the URL problems :func:`page_params` found for this page (call after setup)."""
    for message in st.session_state.get(f"_page_params_{scope}_warnings", []):
        st.warning(f"Link parameter ignored: {message}", icon="⚠️")


def text_param(
    name: str, key: str, *, default: str, parse: Callable[[str], Any]
) -> tuple[Any, str]:
    """A free-text page parameter whose default follows the sidebar until the visitor edits it.

    The text box (``key``) is seeded from the URL on the page's first run, else it keeps what
    the visitor typed; while it still holds the previous default it follows the new one (e.g.
    the reference page's weight shape follows the sidebar's network type and width).

    Parameters
    ----------
    name : str
        Query-parameter name.
    key : str
        The text input's widget key.
    default : str
        The current default text.
    parse : callable
        ``parse(text) -> value``; raises ValueError with a message fit for the visitor.

    Returns
    -------
    value : Any
        The parsed text, or the parsed default when the text is invalid.
    error : str
        Why the text was rejected ("" when it was not).
    """
    default_key = f"_{key}_default"
    if key not in st.session_state:
        url_value = _address_bar().get(name)
        st.session_state[key] = url_value if url_value is not None else default
    elif st.session_state[key] == st.session_state.get(default_key):
        st.session_state[key] = default  # untouched by the visitor: follow the sidebar
    st.session_state[default_key] = default
    try:
        return parse(st.session_state[key]), ""
    except ValueError as error:
        return parse(default), str(error)


# ---------------------------------------------------------------------------------------------
# The compare picker (``compare=``)
# ---------------------------------------------------------------------------------------------


def compared_against(
    config: state.Config,
    series: state.InitSeries,
    *,
    key: str,
    label: str,
) -> tuple[list[str], state.InitSeries]:
    """The picker of a page whose protagonist ``series[0]`` is compared with other schemes.

    ``series[1:]`` is the page's default comparison, the protagonist is not offered, and an
    empty choice shows the default (see :func:`compare_picker`).

    Returns
    -------
    chosen : list of str
        The compared initializers (registry keys), in selection order.
    series : tuple of (label, init, params)
        The protagonist followed by the chosen initializers.
    """
    chosen = compare_picker(
        config,
        key=key,
        default=[init for _, init, _ in series[1:]],
        exclude=[series[0][1]],
        label=label,
        empty_means_default=True,
    )
    return chosen, series[:1] + state.compare_series(config, chosen)


def compare_picker(
    config: state.Config,
    *,
    key: str,
    default: Sequence[str],
    exclude: Sequence[str] = (),
    label: str = "Initializers to compare",
    help_text: str | None = None,
    empty_means_default: bool = False,
) -> list[str]:
    """Draw the "compare initializers" multiselect and return the chosen names (registry keys).

    One multiselect per page chooses which initializers are drawn next to the page's
    protagonist, on the same network, data and seed. The selection follows the sidebar: when
    the page's default series change, the old defaults are swapped for the new ones and the
    visitor's own additions are kept. It survives a page switch and travels in the share link
    as ``compare=a,b`` (only when it differs from the page's default).

    Parameters
    ----------
    config : state.Config
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
    options = state.compare_choices(config.network, exclude=exclude)
    default = [name for name in dict.fromkeys(default) if name in options][: state.MAX_COMPARED]
    default_key, kept_key = f"_{key}_default", f"_{key}_kept"
    old_default = st.session_state.get(default_key)
    current = st.session_state.get(key, st.session_state.get(kept_key))
    if current is None:
        linked, warnings = state.parse_compare(initial_query().get(state.COMPARE_PARAM), options)
        for message in warnings:
            st.warning(f"Link parameter ignored: {message}", icon="⚠️")
        selection = linked or default
    elif old_default != default or any(name not in options for name in current):
        selection = state.merge_compare(current, old_default or [], default, options)
    else:
        selection = list(current)
    st.session_state[key] = selection
    st.session_state[default_key] = default
    chosen = st.multiselect(
        label,
        options=options,
        key=key,
        format_func=lambda name: initializers.REGISTRY[name].label,
        max_selections=state.MAX_COMPARED,
        placeholder="Choose initializers",
        help=help_text
        or f"Up to {state.MAX_COMPARED}, on the same network, inputs and seed. Each initializer "
        "has the same colour on every page; the sidebar's keeps your parameters, the others "
        "their defaults.",
    )
    st.session_state[kept_key] = list(chosen)
    _set_url_param(state.COMPARE_PARAM, ",".join(chosen) if list(chosen) != default else None)
    if not chosen and empty_means_default:
        st.caption("Nothing chosen: showing the page's usual comparison.")
        return default
    return list(chosen)


# ---------------------------------------------------------------------------------------------
# The playground's settings
# ---------------------------------------------------------------------------------------------


def playground_settings() -> tuple[state.PlaygroundSettings, dict[str, str]]:
    """The playground's validated settings (URL on the page's first visit, then its widgets).

    Call before ``explorer.page.setup`` and pass ``settings.to_query()`` as its extra query.

    Returns
    -------
    settings : state.PlaygroundSettings
    problems : dict of str to str
        URL values rejected on the page's first visit in the session (empty afterwards).
    """
    first_visit = PLAYGROUND_STORE not in st.session_state
    if first_visit:
        st.session_state[PLAYGROUND_STORE] = state.parse_playground_query(_address_bar())
    store = st.session_state[PLAYGROUND_STORE]
    shared, _ = load_config()
    settings, problems = state.parse_playground(store, shared)
    normalized = settings.to_query()
    for name in store:  # e.g. a data set that does not fit a new network type: the valid value
        store[name] = normalized.get(name, store[name])
    return settings, problems if first_visit else {}


def _remember_playground(name: str) -> None:
    """Widget callback: keep a changed value (the widget's own state is dropped on page switch)."""
    st.session_state[PLAYGROUND_STORE][name] = st.session_state[PLAYGROUND_WIDGETS[name]]


def playground_widget(
    maker: Callable[..., Any], name: str, value: Any, label: str, **kwargs: Any
) -> Any:
    """Draw one of the playground's widgets, seeded from the validated settings.

    Parameters
    ----------
    maker : callable
        The Streamlit widget function (``st.selectbox``, ``st.slider``, ...).
    name : str
        The setting's query-parameter name (a key of :data:`PLAYGROUND_WIDGETS`).
    value : Any
        Its validated value.
    label : str
    **kwargs
        Passed to ``maker``.
    """
    key = PLAYGROUND_WIDGETS[name]
    st.session_state[key] = list(value) if isinstance(value, tuple) else value
    return maker(label, key=key, on_change=_remember_playground, args=(name,), **kwargs)
