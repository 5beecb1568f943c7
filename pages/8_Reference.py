"""Reference: every initializer's formula, purpose, paper, library calls and fan convention."""

from __future__ import annotations

import streamlit as st

from explorer import charts, experiments, export, page, sidebar, state
from explorer.lessons import reference as lesson

#: Catalogue row height in pixels: one line of text (the columns are wide enough for the longest
#: cell, "scale = 1, mode = fan_in, distribution = truncated_normal"; a grid cell does not wrap).
CATALOGUE_ROW = 44

# ---- page state: the calculator's shape lives in the URL too (a shared link shows the layer) ---
SHAPE_KEY = "ref_shape"

# setup() rewrites the URL, so the page's own parameter is read first. Until the visitor edits
# it, the shape follows the sidebar's network type and width.
config, _ = sidebar.load_config()
default_text = ",".join(map(str, lesson.default_shape(config.network, config.width)))
shape, shape_error = sidebar.text_param(
    "shape", SHAPE_KEY, default=default_text, parse=lesson.parse_shape
)
shape_text = ",".join(map(str, shape))

config = page.setup(
    "Reference: every initializer",
    icon="📚",
    lead=(
        "Every initializer in this app on one page: its formula, the problem it was designed "
        "for, the paper, the same call in PyTorch, Keras and JAX, and which fan it divides by. "
        "The calculator below turns any weight shape into fans and into the σ each scheme would "
        "use for it."
    ),
    extra_query={"shape": shape_text},
    terms=("fan_in", "fan_out", "receptive_field", "gain", "sigma_w2"),
)
if shape_error:
    shown = state.shown_value(st.session_state[SHAPE_KEY])
    st.warning(f"`shape` = `{shown}`: {shape_error}. Using {shape_text}.", icon="⚠️")

# ---- catalogue -------------------------------------------------------------------------------
st.header("Catalogue")
catalogue = lesson.catalogue_frame()
# The grid keeps the short columns, each cell on one line at this row height: the
# long texts (what each scheme was designed for, its fan convention in full) are in its panel
# under "Every initializer" (a grid cell cuts what does not fit its row). The formulas are
# drawn as formulas in the table below; the CSV download has every column.
page.table(
    catalogue.assign(**{"divides by": catalogue["key"].map(lesson.divides_by)}),
    column_order=["initializer", "family", "divides by", "parameters", "link"],
    column_config={
        "initializer": st.column_config.TextColumn("initializer", width=195),
        "family": st.column_config.TextColumn("family", width=120),
        "divides by": st.column_config.TextColumn("divides by", width=160),
        "parameters": st.column_config.TextColumn("parameters", width=390),
        "link": st.column_config.LinkColumn("paper", display_text="paper ↗", width=75),
    },
    row_height=CATALOGUE_ROW,
    # Tall enough for every row: the catalogue is read top to bottom, not scrolled in a box.
    height=CATALOGUE_ROW * (len(catalogue) + 1) + 4,
    key="ref_catalogue",
)
st.caption(
    "What each scheme was designed for, its fan convention in full, its paper and the same "
    "call in PyTorch, Keras and JAX: open it under **Every initializer** below."
)
st.markdown(lesson.formula_table_markdown(page.formula_parts))
families = catalogue["family"].value_counts()
page.notice(
    f"{len(catalogue)} schemes; {families.get('variance scaling', 0)} of them are variance "
    "scaling (Var(W) = k / n: they differ only in k, the fan n and the distribution), and "
    f"{families.get('random', 0) + families.get('constant', 0)} use a fixed scale whatever the "
    "layer size — those are the ones that vanish or explode as networks get wider or deeper."
)
st.download_button(
    "⬇️ Catalogue as CSV",
    data=lambda: export.safe_csv(catalogue),
    file_name="initializer_catalogue.csv",
    mime="text/csv",
    key="ref_download_catalogue",
    on_click="ignore",
)

# ---- fan and gain calculator -----------------------------------------------------------------
st.header("Fan and gain calculator")
st.text_input(
    "Weight shape (receptive field…, inputs, outputs)",
    key=SHAPE_KEY,
    help=(
        "Whole numbers separated by commas, inputs second to last and outputs last: 256,128 is "
        "a dense layer from 256 to 128 units, 3,3,64,128 a 3x3 convolution from 64 to 128 "
        "channels (PyTorch stores it as 128,64,3,3 — same fans). 2 to "
        f"{lesson.SHAPE_MAX_RANK} dimensions, each at most {lesson.SHAPE_MAX_DIM:,}."
    ),
)
fan_in, fan_out, receptive = lesson.fans_of(shape)
calc = lesson.calculator_frame(shape, config.init, config.init_params)
mine = calc[calc["key"] == config.init].iloc[0]
by_key = calc.set_index("key")
cols = st.columns(4)
cols[0].metric("fan_in", f"{fan_in:,}", help="inputs × receptive field")
cols[1].metric("fan_out", f"{fan_out:,}", help="outputs × receptive field")
cols[2].metric("Receptive field", f"{receptive:,}", help="product of the leading dimensions")
cols[3].metric(
    f"σ of {config.init_label}",
    "n/a" if mine["note"] else page.fmt(mine["std"]),
    help=mine["note"] or f"{mine['distribution']}; uniform bound {page.fmt(mine['uniform bound'])}",
)
page.table(
    calc,
    column_order=[c for c in calc.columns if c != "key"],
    column_config={
        # Pixel widths that hold each column's longest cell on one line (about 6.2 px a
        # character, plus padding); the grid scrolls sideways rather than cutting a cell.
        "initializer": st.column_config.TextColumn("initializer", width=210),
        "parameters": st.column_config.TextColumn("parameters", width=390),
        "distribution": st.column_config.TextColumn("distribution", width=120),
        "note": st.column_config.TextColumn("not for this shape", width=230),
        **{
            name: st.column_config.NumberColumn(label, format="%.4g")
            for name, label in (
                ("std", "σ"),
                ("variance", "Var(W)"),
                ("uniform bound", "uniform bound a"),
                ("truncated at", "truncated at ±"),
            )
        },
        "sigma_w2": st.column_config.NumberColumn(
            "fan_in · Var", format="%.3g", help="1 = LeCun (forward-preserving for linear), 2 = He"
        ),
    },
    key="ref_calculator",
)
he, lecun, glorot = (by_key.loc[k, "std"] for k in ("he_normal", "lecun_normal", "glorot_normal"))
page.notice(
    f"For a {' × '.join(map(str, shape))} weight, He's σ = {page.fmt(he)} is √2 × LeCun's "
    f"{page.fmt(lecun)} (ReLU zeroes half the signal, so the variance doubles); Glorot's "
    f"{page.fmt(glorot)} divides by the average of fan_in = {fan_in:,} and fan_out = "
    f"{fan_out:,}. The uniform bound is always √3 × σ."
)

ratio = fan_out / fan_in
sweep = lesson.sigma_vs_fan_frame(ratio, config.init, config.init_params)
page.plot(
    charts.sigma_vs_fan,
    sweep,
    highlight=config.init_label,
    title=f"σ of the main schemes for dense layers with fan_out / fan_in = {ratio:.3g}",
)
big = sweep[sweep["fan_in"] == sweep["fan_in"].max()].set_index("series")["std"]
small = sweep[sweep["fan_in"] == 64].set_index("series")["std"]
he_label = experiments.initializer_label("he_normal")
sr_label = experiments.initializer_label("small_random")
page.notice(
    f"Fan-based schemes fall as 1/√fan_in: He's σ is {page.fmt(small[he_label])} at fan_in = 64 "
    f"and {page.fmt(big[he_label])} at {int(sweep['fan_in'].max()):,}. Fixed-scale schemes are "
    f"flat lines: small random's σ = 0.01 is {big[sr_label] / big[he_label]:.2g}× He's at "
    f"fan_in = {int(sweep['fan_in'].max()):,} but only {small[sr_label] / small[he_label]:.2g}× "
    "at 64; it would equal LeCun's σ = 1/√fan_in only at fan_in = 10,000."
    + (
        " With fan_out = fan_in, LeCun, Glorot and orthogonal coincide at 1/√fan_in."
        if ratio == 1
        else ""
    )
)

st.subheader("Gains")
slope = st.columns([1, 3])[0].number_input(
    "Leaky ReLU negative slope a",
    min_value=0.0,
    max_value=1.0,
    value=0.01,
    step=0.01,
    format="%g",
    key="ref_slope",
    help="0.01 is PyTorch's default; 0.2 is common in GANs. 0 to 1.",
)
gains = lesson.gain_frame(slope)
page.table(
    gains,
    hide_index=True,
    column_config={
        "nonlinearity": st.column_config.TextColumn("nonlinearity", width=140),
        "formula": st.column_config.TextColumn("formula", width=290),
        "source": st.column_config.TextColumn("source", width=150),
        "calculate_gain": st.column_config.NumberColumn("calculate_gain", format="%.4f"),
        "app gain": st.column_config.NumberColumn("gain used here", format="%.4f"),
    },
    key="ref_gains",
)
relu_gain = float(gains.set_index("nonlinearity").loc["relu", "calculate_gain"])
leaky_gain = float(gains.set_index("nonlinearity").loc["leaky_relu", "calculate_gain"])
page.notice(
    f"A gain multiplies σ: ReLU's {relu_gain:.4f} = √2 turns LeCun into He; leaky ReLU with "
    f"a = {slope:g} gets {leaky_gain:.4f}. The activations PyTorch has no gain for get "
    "1/√E[f(z)²], the factor that keeps the second moment at 1 for unit-variance inputs."
)
calc_export = calc.assign(shape=shape_text, fan_in=fan_in, fan_out=fan_out)
dl = st.columns(2)
dl[0].download_button(
    "⬇️ Calculator table as CSV",
    data=lambda: export.safe_csv(calc_export),
    file_name=f"fan_calculator_{shape_text.replace(',', 'x')}_{config.slug()}.csv",
    mime="text/csv",
    key="ref_download_calculator",
    on_click="ignore",
)
dl[1].download_button(
    "⬇️ Gains as CSV",
    data=lambda: export.safe_csv(gains.assign(negative_slope=slope)),
    file_name="gains.csv",
    mime="text/csv",
    key="ref_download_gains",
    on_click="ignore",
)

he_uniform = by_key.loc["he_uniform", "uniform bound"]
page.correction(
    "He (Kaiming) initialization has Var(W) = **2 / fan_in**, not 4 / fan_in, and its uniform "
    f"bound is **√(6 / fan_in)** = {page.fmt(he_uniform)} for this shape. The bound "
    f"√(12 / (fan_in + fan_out)) = {page.fmt((12 / (fan_in + fan_out)) ** 0.5)} that circulates "
    "online is a fan-average variant (Var = 4 / (fan_in + fan_out)), not He et al.'s scheme; "
    "the two agree only when fan_in = fan_out."
)

# ---- every initializer -----------------------------------------------------------------------
st.header("Every initializer")
for spec in lesson.REGISTRY.values():
    yours = spec.name == config.init
    with st.expander(f"{spec.label}{'  ← yours' if yours else ''}", expanded=yours):
        page.latex(spec.formula)
        st.markdown(f"**Designed for.** {spec.designed_for}")
        st.markdown(
            f"**Fan convention.** {lesson.FAN_CONVENTIONS.get(spec.fan_mode, spec.fan_mode)}"
        )
        if spec.params:
            st.markdown(
                "**Parameters.** "
                + "; ".join(f"{p.label} (`{p.name}`, default {p.default})" for p in spec.params)
            )
        st.markdown(f"**Reference.** {spec.reference} [{spec.reference_url}]({spec.reference_url})")
        st.markdown(page.library_calls(spec))

conv = (3, 3, 64, 128)
conv_he = lesson.scale_of("he_normal", conv).std
conv_glorot_bound = lesson.scale_of("glorot_uniform", conv).bound or 0.0
page.try_this(
    "A 3x3 convolution maps 64 channels to 128. What are its fan_in and fan_out, what σ does "
    "He normal give it, and what bound does Glorot uniform use? Type `3,3,64,128` into the "
    "calculator to check.",
    f"fan_in = 3·3·64 = 576 and fan_out = 3·3·128 = 1152 (the receptive field counts). He "
    f"normal: σ = √(2/576) = {conv_he:.4f}. Glorot uniform: a = √(6/(576 + 1152)) = "
    f"{conv_glorot_bound:.4f}. Forgetting the receptive field would give σ = √(2/64) = "
    f"{(2 / 64) ** 0.5:.3f}, three times too large.",
    key="ref_conv",
)
page.initializer_panel(config)
