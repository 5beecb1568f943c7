"""Page furniture shared by every page: header, "Try this" box, formula panel, number format.

Each function draws one recognizable element so that page scripts read like a recipe::

    config = page.setup("Small random weights", icon="📉", lead="...")
    ...
    page.notice("Layer 10's activations are 4.7e-7 of layer 1's.")
    page.try_this("What happens at depth 50?", "The std falls below 1e-30 ...")
    page.initializer_panel(config)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import altair as alt
import pandas as pd
import streamlit as st

from core import initializers
from explorer import charts, chartspec, claims, sidebar, state, warmup
from explorer.chartspec import ChartSpec, spec

#: Shown under every chart: what the learner should look at.
NOTICE_PREFIX = "**What to notice:**"

#: The tutorial the pages follow (DESIGN.md: ``seed/weight-initialization-tutorial.md``). It
#: gives no author and no URL of its own, so it is named by its title and by the sources it lists.
TUTORIAL_TITLE = "Why weight Initialization?"
TUTORIAL_SOURCES: tuple[tuple[str, str], ...] = (
    (
        "A Gentle Introduction To Weight Initialization for Neural Networks (W&B)",
        "https://wandb.ai/sauravmaheshkar/initialization/reports/A-Gentle-Introduction-To-"
        "Weight-Initialization-for-Neural-Networks--Vmlldzo2ODExMTg",
    ),
    (
        "Deep learning best practices: weight initialization (KDnuggets, 2018)",
        "https://www.kdnuggets.com/2018/06/deep-learning-best-practices-weight-initialization.html",
    ),
    (
        "Weight initialization (Pinecone)",
        "https://www.pinecone.io/learn/weight-initialization/",
    ),
)


def tutorial_citation() -> str:
    """The tutorial named (Markdown): its title and the sources it cites, linked."""
    links = "; ".join(f"[{title}]({url})" for title, url in TUTORIAL_SOURCES)
    return (
        f"The tutorial: “{TUTORIAL_TITLE}” (a short workshop text with no author or URL "
        f"given; its sources: {links})."
    )


def setup(
    title: str,
    *,
    icon: str,
    lead: str,
    extra_query: Mapping[str, str] | None = None,
    params: Sequence[state.PageParam] = (),
    scope: str = "",
    terms: Sequence[str] = (),
) -> state.Config:
    """Configure the page, draw its title and lead, and return the shared config.

    Parameters
    ----------
    title : str
        Page title (also the browser tab title).
    icon : str
        An emoji for the tab and the title.
    lead : str
        One or two plain sentences (Markdown) saying what the page shows.
    extra_query : mapping, optional
        Page-specific query parameters to keep in the share link.
    params : sequence of state.PageParam, optional
        The page's own URL-backed widgets (:func:`explorer.sidebar.page_params`): seeded
        before the sidebar rewrites the URL, kept in the share link, and any rejected URL
        value is shown as a warning under the lead.
    scope : str
        Unique per page (e.g. ``"p4"``), required with ``params``.
    terms : sequence of str
        The page's jargon (keys of :data:`explorer.claims.GLOSSARY`): drawn as one collapsed
        "Glossary" expander under the lead.

    Returns
    -------
    state.Config
        The validated shared configuration (network, activation, initializer, depth, ...).
    """
    st.set_page_config(page_title=f"{title} · Weight Init Explorer", page_icon=icon, layout="wide")
    warmup.start()  # once per server process: every page's default view, in the background
    st.title(f"{icon} {title}")
    query = dict(extra_query or {})
    if params:
        query.update(sidebar.page_params(params, scope=scope))
    config = sidebar.shared_config(extra_query=query)
    st.markdown(lead)
    if params:
        sidebar.show_page_warnings(scope)
    if terms:
        glossary(terms)
    return config


def glossary(terms: Sequence[str]) -> None:
    """One collapsed "Glossary" expander: the page's jargon, from :data:`claims.GLOSSARY`.

    Parameters
    ----------
    terms : sequence of str
        Keys of :data:`explorer.claims.GLOSSARY`, in the order to show them.
    """
    with st.expander("Glossary", icon=":material/menu_book:"):
        st.markdown(
            "\n".join(
                f"- **{claims.GLOSSARY_NAMES[key]}**: {claims.GLOSSARY[key]}" for key in terms
            )
        )


def notice(text: str) -> None:
    """The one-line "what to notice" caption under a chart (Markdown)."""
    st.caption(f"{NOTICE_PREFIX} {text}")


def chart(figure: alt.TopLevelMixin | ChartSpec, note: str | None = None) -> None:
    """Draw a chart at full width, then its "what to notice" caption when ``note`` is given.

    ``figure`` is an Altair chart or, cheaper to draw, a :func:`spec`.
    """
    st.vega_lite_chart(
        spec=figure if isinstance(figure, dict) else chartspec.convert(figure), width="stretch"
    )
    if note is not None:
        notice(note)


def plot(
    builder: Callable[..., alt.TopLevelMixin],
    /,
    *args: object,
    note: str | None = None,
    **kwargs: object,
) -> None:
    """Draw ``builder(*args, **kwargs)`` at full width (built once per distinct arguments)."""
    chart(spec(builder, *args, **kwargs), note)


def forward_backward_charts(
    frame: pd.DataFrame,
    *,
    x_title: str,
    titles: tuple[str, str],
    y_titles: tuple[str, str] = ("std of activations (log)", "std of ∂L/∂z (log)"),
    legend_columns: int | None = None,
    dashed_series: Sequence[str] = (),
) -> tuple[ChartSpec, ChartSpec]:
    """The per-layer pair on a log scale: std of the activations and std of ∂L/∂z.

    Parameters
    ----------
    frame : pandas.DataFrame
        Per-layer statistics with ``act_std`` and ``grad_std`` columns.
    x_title : str
        Title of the layer axis.
    titles : tuple of str
        Titles of the forward and of the backward chart.
    y_titles : tuple of str, optional
        Titles of their y axes.
    legend_columns : int, optional
        Columns the legend wraps into (default: Altair's single column).
    dashed_series : sequence of str, optional
        Series drawn dashed (theory overlays).

    Returns
    -------
    tuple of ChartSpec
        The forward chart and the backward chart, ready for :func:`chart`.
    """
    forward, backward = (
        spec(
            charts.per_layer_lines,
            frame,
            y=y,
            y_title=y_title,
            x_title=x_title,
            title=title,
            dashed_series=tuple(dashed_series),
            legend_columns=legend_columns,
        )
        for y, y_title, title in zip(("act_std", "grad_std"), y_titles, titles, strict=True)
    )
    return forward, backward


def _a_network(network: str) -> str:
    """The network's label with its article: "an MLP (fully connected)", "a CNN (...)"."""
    label = state.NETWORK_LABELS.get(network, network)
    return f"{'an' if label.startswith(('MLP', 'RNN')) else 'a'} {label}"


def override_text(
    config: state.Config,
    *,
    why: str,
    depth: int | None = None,
    width: int | None = None,
    activation: str | None = None,
    network: str | None = None,
    width_name: str = "width",
    depth_name: str = "depth",
) -> str | None:
    """The sentence saying which sidebar settings a section replaces, and why.

    Only the settings that differ from the sidebar's are named; None when none differs.

    Parameters
    ----------
    config : state.Config
        The sidebar's settings.
    why : str
        The reason, a clause that follows "because" (e.g. "three networks train live").
    depth, width, activation, network : optional
        What the section uses instead (None: the sidebar's).
    width_name, depth_name : str
        What the width and depth are called here ("hidden units", "time steps").

    Returns
    -------
    str or None
        Markdown, e.g. "This section uses **depth 5 and width 32**, not your sidebar's depth 10
        and width 256, because ...".
    """
    pairs = []
    if depth is not None and depth != config.depth:
        pairs.append((f"{depth_name} {depth}", f"{depth_name} {config.depth}"))
    if width is not None and width != config.width:
        pairs.append((f"{width_name} {width}", f"{width_name} {config.width}"))
    if activation is not None and activation != config.activation:
        pairs.append((f"activation {activation}", f"activation {config.activation}"))
    if network is not None and network != config.network:
        pairs.append(
            (_a_network(network), state.NETWORK_LABELS.get(config.network, config.network))
        )
    if not pairs:
        return None

    def join(words: list[str]) -> str:
        return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]

    ours, yours = join([p[0] for p in pairs]), join([p[1] for p in pairs])
    return f"This section uses **{ours}**, not your sidebar's {yours}, because {why}."


def override_note(config: state.Config, *, why: str, **uses: object) -> str | None:
    """Draw :func:`override_text` (when a setting differs) as a visible note; return it."""
    text = override_text(config, why=why, **uses)  # type: ignore[arg-type]
    if text:
        st.info(text, icon=":material/tune:")
    return text


def try_this(question: str, answer: str | Callable[[], str], *, key: str) -> None:
    """A workshop exercise: the question is visible, the answer is revealed on request.

    Parameters
    ----------
    question : str
        Markdown.
    answer : str or callable returning one
        Markdown. The answer should point at what the page shows with the user's settings. A
        callable is only called when the answer is revealed (its measurement is not made
        before).
    key : str
        Unique widget key on the page.
    """
    with st.container(border=True):
        st.markdown(f"**🧪 Try this.** {question}")
        if st.toggle("Reveal the answer", key=f"reveal_{key}"):
            st.markdown(answer() if callable(answer) else answer)


def prediction(
    question: str,
    choices: Sequence[str],
    *,
    key: str,
    answer_index: int | Callable[[], int] | None = None,
    explanation: str | Callable[[], str] | None = None,
) -> bool:
    """Predict-then-reveal: the page's question, "Your prediction" and a "Reveal" toggle.

    Draw it above the element that gives the answer, and draw that element only when this
    returns True.

    Parameters
    ----------
    question : str
        Markdown.
    choices : sequence of str
        The possible answers (distinct).
    key : str
        Unique on the page; the widgets are ``{key}_prediction`` and ``{key}_reveal``.
    answer_index : int or callable returning one, optional
        Index of the right choice (computed by the page); when given, the reveal says whether
        the prediction was right. A callable is only called once the answer is revealed, so
        a measurement that only the answer needs is not made before.
    explanation : str or callable returning one, optional
        Markdown shown under the revealed answer: why it is the answer (a lesson claim's
        text, computed from the measured values). A callable is called after the reveal only.

    Returns
    -------
    bool
        True when the answer may be shown: a choice was made and "Reveal" is on, or the link
        holds ``reveal=1`` (an instructor's link opens revealed).
    """
    with st.container(border=True):
        st.markdown(f"**🤔 Predict first.** {question}")
        choice = st.radio(
            "Your prediction",
            options=list(choices),
            index=None,
            horizontal=True,
            key=f"{key}_prediction",
        )
        from_link = sidebar.url_reveal()
        if from_link:
            revealed = True
            st.caption("Revealed by the link (`reveal=1`).")
        else:
            pressed = st.toggle(
                "Reveal",
                key=f"{key}_reveal",
                disabled=choice is None,
                help="Choose your prediction first, then reveal the answer.",
            )
            revealed = choice is not None and bool(pressed)
            if not revealed:
                st.caption("Choose your prediction, then turn on **Reveal** to see the answer.")
        if revealed and answer_index is not None:
            if callable(answer_index):
                answer_index = answer_index()
            if callable(explanation):
                explanation = explanation()
            right = choices[answer_index]
            if choice is None:
                st.markdown(f"**Answer:** {right}.")
            elif choice == right:
                st.success(f"You predicted “{choice}” — right.", icon="✅")
            else:
                st.warning(f"You predicted “{choice}” — the answer is “{right}”.", icon="🔁")
            if explanation:
                st.markdown(explanation)
    return revealed


def after_reveal(revealed: bool, what: str) -> bool:
    """True when the answer may be shown; else a caption saying ``what`` appears after it.

    ``what`` names the hidden part (it would give the answer away), e.g. "The histograms".
    """
    if not revealed:
        st.caption(f"{what}: shown after your prediction (they would give the answer away).")
    return revealed


def correction(text: str, *, cites_tutorial: bool = True) -> None:
    """Flag where the tutorial this app follows is wrong or incomplete.

    ``cites_tutorial`` (default) names the tutorial under the text (:func:`tutorial_citation`).
    """
    cite = f"\n\n{tutorial_citation()}" if cites_tutorial else ""
    st.info(f"**Correcting a common claim.** {text}{cite}", icon="🛠️")


def formula_parts(tex: str, *, separator: str = r"\qquad") -> list[str]:
    r"""The pieces of a formula between its top-level ``separator`` (``\qquad`` by default).

    The registry writes two-part formulas as "W ~ U(-a, a), \qquad a = ...". Separators inside
    braces, and longer commands that start with the separator's name, do not split.

    Parameters
    ----------
    tex : str
        LaTeX.
    separator : str
        The LaTeX spacing command that separates the parts.

    Returns
    -------
    list of str
        The stripped, non-empty parts (one part when there is no separator).
    """
    parts, depth, start, i = [], 0, 0, 0
    while i < len(tex):
        ch = tex[i]
        if ch == "\\" and tex.startswith(separator, i) and depth == 0:
            end = i + len(separator)
            if end >= len(tex) or not tex[end].isalpha():
                parts.append(tex[start:i])
                start = i = end
                continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        i += 2 if ch == "\\" else 1
    parts.append(tex[start:])
    return [part.strip() for part in parts if part.strip()] or [tex]


def formula_lines(tex: str, *, separator: str = r"\qquad") -> str:
    r"""A display formula with one part per line, so it fits a phone's column (about 320 px).

    The parts (:func:`formula_parts`) are stacked centred in a ``gathered`` environment. A
    formula without a separator is returned unchanged.

    Parameters
    ----------
    tex : str
        LaTeX for ``st.latex``.
    separator : str
        The LaTeX spacing command that separates the parts.

    Returns
    -------
    str
        LaTeX with the same content, one part per line.
    """
    parts = formula_parts(tex, separator=separator)
    if len(parts) < 2:
        return tex
    return r"\begin{gathered}" + r" \\ ".join(parts) + r"\end{gathered}"


def latex(tex: str) -> None:
    """``st.latex`` of :func:`formula_lines`: a long formula wraps instead of overflowing."""
    st.latex(formula_lines(tex))


#: Markdown's inline syntax characters, backslash-escaped in prose.
_MARKDOWN_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|~$"})


def _call_markdown(call: str) -> str:
    """One library call as Markdown: the call in a code span, a trailing ``# note`` as text.

    Entries that are prose ("no built-in: ...") and the notes are escaped, so a ``*`` or an
    ``_`` in them is shown as written rather than read as emphasis.
    """
    code, _, note = call.partition("  # ")
    text = code.translate(_MARKDOWN_ESCAPES) if code.startswith("no ") else f"`{code}`"
    return f"{text} ({note.translate(_MARKDOWN_ESCAPES)})" if note else text


def library_calls(spec: initializers.InitSpec) -> str:
    """Markdown: the initializer's PyTorch, Keras and JAX calls, one line each.

    Code spans, not ``st.code``: a code block costs every first visit a 1.5 MB syntax
    highlighter, ~0.25 s of the browser's main thread (``benchmarks/RESULTS.md``, "A new
    machine").
    """
    lines = (
        ("PyTorch", spec.pytorch),
        ("Keras", spec.keras),
        ("JAX", spec.jax),
    )
    return "**The same initializer in the big libraries**\n\n" + "\n".join(
        f"- **{library}:** {_call_markdown(call)}" for library, call in lines
    )


def initializer_panel(config: state.Config, *, expanded: bool = False) -> None:
    """Expander with the chosen initializer's formula, purpose, reference and library calls."""
    spec = initializers.REGISTRY[config.init]
    with st.expander(f"Formula and reference: {spec.label}", expanded=expanded):
        latex(spec.formula)
        st.markdown(f"**Designed for.** {spec.designed_for}")
        if spec.params:
            shown = ", ".join(
                f"{name} = {state.format_value(value)}" for name, value in config.init_params
            )
            st.markdown(f"**Your parameters.** {shown}")
        st.markdown(f"**Reference.** {spec.reference} — {spec.reference_url}")
        st.markdown(library_calls(spec))


#: What a table shows for a missing value (NaN, None): never "None".
MISSING = "-"


def table(data: object, **kwargs: object) -> object:
    """``st.dataframe`` with the app's table conventions.

    Missing values show as :data:`MISSING` ("-", not "None"), no index, full width. Keyword
    arguments (``column_config`` with widths, ``column_order``, ``key``, ...) pass through.
    """
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    kwargs.setdefault("placeholder", MISSING)
    return st.dataframe(data, **kwargs)


def number_formats(formats: Mapping[str, str]) -> dict[str, object]:
    """A :func:`table` ``column_config`` giving numeric columns printf formats.

    ``{"std": "%.4g"}`` shows the column ``std`` with 4 significant digits. Formats live in the
    column config rather than a pandas Styler, which is rendered to HTML on every rerun.
    """
    return {column: st.column_config.NumberColumn(format=spec) for column, spec in formats.items()}


def fmt(value: float, digits: int = 3) -> str:
    """Format a number for text: scientific where it spans decades, honest about inf/NaN."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "overflow (∞)" if value > 0 else "−∞"
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e4:
        return f"{value:.{digits}g}"
    return f"{value:.{max(digits - 1, 1)}e}"
