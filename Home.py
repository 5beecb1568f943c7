"""Home: why initialization matters (entry page of the app)."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import streamlit as st

from explorer import charts, experiments, export, page, sidebar, state
from explorer.chartspec import ChartSpec
from explorer.lessons import home as lesson

config = page.setup(
    "Why initialization matters",
    icon="⚖️",
    lead=(
        "Every layer multiplies the standard deviation of the signal passing through it by "
        "roughly the same **std factor**, √(fan_in · Var(W) · E[f′(z)²]) (the square root of "
        "the variance factor fan_in · Var(W) · E[f′(z)²]). Below 1 the signal shrinks, above 1 "
        "it grows, and "
        "depth compounds it: 0.9 per layer leaves 0.9⁹ ≈ 0.39 after ten layers, 0.9⁴⁹ ≈ 0.006 "
        "after fifty. The initializer sets Var(W), so it decides which way the network goes "
        "before training even starts. Everything below is measured live on the network in the "
        "sidebar."
    ),
    terms=(
        "std_factor",
        "fan_in",
        "fan_out",
        "sigma_w2",
        "small_signal_scale",
        "gain",
        "receptive_field",
        "saturation",
        "edge_of_chaos",
    ),
)

act = experiments.activation_record(config.activation)
unit = {"rnn": "time step", "resmlp": "block"}.get(config.network, "layer")
last = config.depth
crit = experiments.critical_sigma_w2(config.activation)
network_text = {
    "mlp": f"a {config.depth}-layer MLP of width {config.width}",
    "cnn": f"a {config.depth}-layer CNN with {config.width} channels",
    "rnn": f"an RNN of width {config.width} unrolled over {config.depth} time steps",
    "resmlp": f"a residual MLP of {config.depth} blocks, width {config.width}",
}[config.network]
slope2 = experiments.small_signal_slope2(config.activation)

# ---- 1. One factor per layer, compounded by depth ------------------------------------------


# The helpers below are memoized for one run (the script defines them anew on every rerun):
# the answer, the charts, the table and the exports share one result.
@functools.cache
def five_scales() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The five scales and the user's initializer, measured (only the answer needs them)."""
    with st.spinner("Measuring the networks…"):
        return lesson.scale_sweep(config.net, config.init, config.init_params)


def answer_text(layers: pd.DataFrame, summary: pd.DataFrame) -> str:
    """Why the revealed answer is the answer (from the five scales' measurements)."""
    return lesson.answer_claim(config.network, config.activation, summary, layers, unit, last).text


st.header("One factor per layer, compounded by depth")
revealed = page.prediction(
    f"Which of the five scales keeps {unit} {last}'s std nearest {unit} 1's? (σ·√fan_in as a "
    "multiple of the small-signal scale explained below)",
    lesson.SCALE_CHOICES,
    key="home_predict",
    answer_index=lambda: lesson.closest_scale(five_scales()[1]),
    explanation=lambda: answer_text(*five_scales()),
)
# Two lines: the ratio, then the factor (one line overflows a phone's column).
st.latex(
    r"\begin{aligned}&\frac{\mathrm{std}(\text{layer } l+1)}{\mathrm{std}(\text{layer } l)}"
    r"\\ &\qquad\approx\sqrt{\underbrace{\text{fan\_in}\cdot\mathrm{Var}(W)}_{\sigma_w^2}"
    r"\cdot\,\mathbb{E}\!\left[f'(z)^2\right]}\end{aligned}"
)
st.markdown(
    lesson.scale_claim(config.activation, act.label, crit, slope2).text
    + f" The chart draws five scales around it, σ·√fan_in = 0.5, 0.9, 1, 1.1 and 2 times "
    f"√{page.fmt(crit)}, and your initializer, on {network_text}."
)

chosen = sidebar.compare_picker(
    config,
    key="home_compare",
    default=[config.init],
    label="Initializers drawn next to the five scales",
)


@functools.cache
def scales_and_chosen() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The five scales with the chosen initializers in place of the user's (charts, table)."""
    layers, summary = five_scales()
    with st.spinner("Measuring the networks…"):
        compared, compared_summary = lesson.init_sweep(
            config.net, state.compare_series(config, chosen)
        )
    return (
        lesson.replace_series(layers, [config.init_label], compared),
        lesson.replace_series(summary, [config.init_label], compared_summary),
    )


def scale_charts() -> tuple[ChartSpec, ChartSpec]:
    """The forward and backward charts (built when drawn, after the reveal, or exported)."""
    return page.forward_backward_charts(
        scales_and_chosen()[0],
        x_title=unit.capitalize(),
        titles=(
            "Forward: activations (weight scale × small-signal scale)",
            "Backward: gradients (weight scale × small-signal scale)",
        ),
        legend_columns=3,
    )


# Before the reveal only the user's own initializer is measured (the metrics below): the five
# scales give the answer away, so they are measured, drawn and tabled after it.
with st.spinner("Measuring the networks…"):
    mine_layers, mine_summary = lesson.init_sweep(
        config.net, state.compare_series(config, [config.init])
    )
mine = mine_summary.iloc[-1]
if revealed:
    summary = five_scales()[1]
    by_series = summary.set_index("series")
    lo = by_series.loc[lesson.scale_label(0.5)]
    near = by_series.loc[lesson.scale_label(0.9)]
    one = by_series.loc[lesson.scale_label(1.0)]
    hi = by_series.loc[lesson.scale_label(2.0)]
    forward_chart, backward_chart = scale_charts()
    left, right = st.columns(2)
    with left:
        page.chart(forward_chart)
        if config.network == "rnn":
            moral = (
                "The activations hardly change: every time step adds a fresh input. The gradients "
                "(right) show the compounding."
            )
        elif experiments.decades(hi.act_ratio) - experiments.decades(lo.act_ratio) > 2:
            moral = f"A few percent per {unit} becomes orders of magnitude over depth."
        else:
            moral = (
                f"The activations change little here ({config.activation} saturates or does not "
                "centre at 0); the gradients (right) show the compounding."
            )
        page.notice(
            f"at 0.5 × the small-signal scale the activations of {unit} {last} are "
            f"{page.fmt(lo.act_ratio)} of {unit} 1's (measured std factor "
            f"{page.fmt(lo.act_factor)} per {unit}); at 0.9 × "
            f"{page.fmt(near.act_ratio)}, at 1 × {page.fmt(one.act_ratio)}, at 2 × "
            f"{page.fmt(hi.act_ratio)}. {moral}"
        )
    with right:
        page.chart(backward_chart)
        page.notice(
            f"the gradient that reaches {unit} 1 is {page.fmt(lo.grad_ratio)} of the top one at "
            f"0.5 × the small-signal scale and {page.fmt(hi.grad_ratio)} at 2 ×: the same factor "
            "compounds backwards, so too-small weights also starve the first layers of gradient."
        )

m1, m2, m3 = st.columns(3)
m1.metric(
    "Your initializer: σ_w² = fan_in·Var(W)",
    page.fmt(mine.sigma_w2),
    help=f"{config.init_label} on a hidden weight of this network. Small-signal scale: "
    f"{page.fmt(crit)}.",
)
m2.metric(
    f"Measured std factor per {unit}",
    lesson.measured_factor_text(mine.act_factor, mine.act_first, mine.act_last),
    help="Geometric mean of std(layer l+1)/std(layer l) over the activations.",
)
m3.metric(
    f"{unit.capitalize()} {last} std / {unit} 1 std",
    lesson.measured_ratio_text(mine.act_first, mine.act_last),
    help="How much of the first layer's activation std is left at the last one, with your "
    "initializer: the std factor compounded over depth.",
)
page.notice(
    lesson.rule_comparison_claim(
        activation=config.activation,
        network=config.network,
        init=config.init,
        init_label=config.init_label,
        rule_factor=mine.rule_factor,
        act_factor=mine.act_factor,
        act_first=mine.act_first,
        act_last=mine.act_last,
        first_nonfinite=mine.first_nonfinite,
        unit=unit,
    ).text
)
_, why = lesson.rule_verdict_claim(
    config.network,
    config.activation,
    float(mine.sigma_w2),
    lesson.measured_q(mine_layers, config.init_label),
    float(mine.rule_factor),
    float(mine.act_factor),
    float(mine.first_nonfinite),
    unit,
)
if why is not None:
    with st.container(border=True):
        st.markdown(why.text)

export.per_layer_export(
    "home_scales",
    config,
    lambda: scales_and_chosen()[0],
    lambda: scale_charts()[0],
    key="home_export",
    layer_unit=unit,
    critical_sigma_w2=crit,
    compared=list(chosen),
)
if page.after_reveal(revealed, "The numbers of all five scales and your initializers"):
    with st.expander("All scales and initializers in numbers"):
        shown_summary = scales_and_chosen()[1]
        table = shown_summary[
            ["series", "sigma_sqrt_n", "rule_factor", "act_factor", "act_ratio", "grad_ratio"]
        ].rename(
            columns={
                "series": "weights (× small-signal scale) or initializer",
                "sigma_sqrt_n": "σ·√fan_in",
                "rule_factor": "predicted std factor (small signal)",
                "act_factor": f"measured std factor per {unit}",
                "act_ratio": f"activations: {unit} {last} / {unit} 1",
                "grad_ratio": f"gradients: {unit} 1 / {unit} {last}",
            }
        )
        page.table(
            table,
            hide_index=True,
            column_config={
                c: st.column_config.NumberColumn(format="%.3g") for c in table.columns[1:]
            },
        )

# ---- 2. Uniform or normal? --------------------------------------------------------------
st.header("Uniform or normal? The variance decides, not the family")
st.markdown(
    "Libraries offer each scheme in a *normal* and a *uniform* flavour. U(−a, a) has variance "
    "a²/3, so a = √3·s gives exactly the variance of N(0, s²). Same variance, same network, "
    "same seed:"
)
with st.spinner("Measuring the networks…"):
    fam_layers, fam = lesson.family_comparison(config.net)
cols = st.columns(len(fam))
for col, row in zip(cols, fam.itertuples(index=False), strict=True):
    extra = f"a = {page.fmt(row.bound)}" if row.distribution == "uniform" else ""
    if row.distribution == "truncated_normal":
        extra = f"cut at ±{page.fmt(row.bound)}"
    col.metric(
        row.series,
        page.fmt(row.act_last),
        delta=None if row.rel_diff == 0 else f"{lesson.format_change(row.rel_diff)} vs normal",
        delta_color="off",
        help=f"std of {unit} {last}'s activations; s = {page.fmt(row.std)} {extra}".strip(),
    )
page.plot(
    charts.per_layer_lines,
    fam_layers,
    y="act_std",
    y_title="std of activations (log)",
    x_title=unit.capitalize(),
    height=240,
    dashed_series=[lesson.HOME_FAMILIES[1][1]],
)
uniform_diff = float(fam.loc[fam.distribution == "uniform", "rel_diff"].iloc[0])
family_spread = float(fam["rel_diff"].iloc[:-1].abs().max())
seed_spread = float(fam["seed_spread"].iloc[0])
bigger = float(fam["rel_diff"].iloc[-1])
overlap = (
    "the three lines lie on top of each other"
    if family_spread < 0.05
    else f"the families differ by up to {family_spread:.0%} here"
)
page.notice(
    f"{overlap}: switching normal → uniform changes {unit} {last}'s std by "
    f"{lesson.format_change(uniform_diff)}, and merely redrawing the normal weights with "
    f"another seed moves it by ±{seed_spread:.1%}: the family's effect is the size of the luck "
    "of the draw. "
    f"Making σ just 10% larger changes it by {lesson.format_change(bigger)}: choose the "
    "variance carefully; the family is a detail."
)

# ---- 3. Fan calculator -------------------------------------------------------------------
st.header("Fan calculator: σ of every scheme for your layer")
st.markdown(
    "The fans decide the variance: *fan_in* is how many inputs feed one unit, *fan_out* how "
    "many units one input feeds. For a convolution both include the kernel: "
    "fan_in = k·k·c_in. Type your layer's sizes."
)
default_kernel = 3 if config.network == "cnn" else 1
# (label, largest value, default, key, help) of the three sizes.
FAN_INPUTS = (
    ("Inputs (units or input channels)", 100_000, config.width, "home_fan_in", "1 to 100,000."),
    ("Outputs (units or output channels)", 100_000, config.width, "home_fan_out", "1 to 100,000."),
    (
        "Kernel size k (1 = dense layer)",
        15,
        default_kernel,
        "home_kernel",
        "Side of a square k x k convolution kernel, 1 to 15.",
    ),
)
n_in, n_out, kernel = (
    column.number_input(label, min_value=1, max_value=top, value=value, step=1, key=key, help=tip)
    for column, (label, top, value, key, tip) in zip(st.columns(3), FAN_INPUTS, strict=True)
)
fans, fan_in, fan_out = lesson.fan_table(
    int(n_in), int(n_out), int(kernel), config.init, config.init_params
)
kernel_text = f"{kernel}·{kernel}·" if kernel > 1 else ""
st.markdown(
    f"fan_in = {kernel_text}{n_in} = **{fan_in:,}**, fan_out = {kernel_text}{n_out} = "
    f"**{fan_out:,}**."
)
# Widths in pixels that fit the page's column (about 950 px) and two-line rows, so that
# neither a header nor a PyTorch call is cut off.
page.table(
    fans,
    height=50 * len(fans) + 40,
    row_height=50,
    # Keras's calls are on the Reference page; the PyTorch call gets the room to show in full.
    column_order=[
        "initializer", "distribution", "std", "uniform bound", "sigma_w2", "note", "PyTorch"
    ],
    column_config={
        "initializer": st.column_config.TextColumn("Initializer", width=180),
        "distribution": st.column_config.TextColumn("Draws from", width=95),
        "std": st.column_config.NumberColumn(
            "σ", format="%.4g", width=75, help="Standard deviation of the weights."
        ),
        "uniform bound": st.column_config.NumberColumn(
            "bound a", format="%.4g", width=75, help="Uniform U(−a, a): a = √3·σ."
        ),
        "sigma_w2": st.column_config.NumberColumn(
            "σ_w²", format="%.3g", width=65, help="σ_w² = fan_in·σ² (1 = LeCun, 2 = He)."
        ),
        "note": st.column_config.TextColumn("Not for this shape", width=150),
        "PyTorch": st.column_config.TextColumn("PyTorch call", width=300),
    },
)  # fmt: skip
he = fans.loc[fans.initializer.str.startswith("He (Kaiming) normal"), "std"].iloc[0]
glorot_a = fans.loc[fans.initializer.str.startswith("Glorot (Xavier) uniform"), "uniform bound"]
page.notice(
    f"for this layer He normal draws σ = √(2/{fan_in:,}) = {page.fmt(he)} and Glorot uniform "
    f"uses a = √(6/({fan_in:,}+{fan_out:,})) = {page.fmt(glorot_a.iloc[0])}; the σ_w² column "
    "puts every scheme on one axis (1 = LeCun, 2 = He). Your initializer is marked (yours)."
)

page.correction(
    "The tutorial lists “Orthogonal initialization (CNN)” among the solutions. Orthogonal "
    "initialization comes from deep *linear* networks and RNNs (Saxe, McClelland & Ganguli 2013, "
    "arXiv:1312.6120); its convolutional analogue is *delta-orthogonal* (Xiao et al. 2018, "
    "arXiv:1806.05393). And the four factors it names (inputs, outputs, non-linearity, network "
    "type) all enter through the one product above: the fans and Var(W), E[f′(z)²], and how "
    "the network type counts the fans."
)

# ---- 4. Guide --------------------------------------------------------------------------
st.header("The lesson, page by page")
st.caption(
    "Pages 1–5 follow the sections of a short tutorial and say where it is wrong. "
    + page.tutorial_citation()
)
GUIDE = {
    "1": "W = 0 gives exactly zero hidden gradients; W = k makes neurons clones forever.",
    "2": "N(0, 0.01²): activations and gradients shrink geometrically and nothing learns.",
    "3": "N(0, 1): tanh saturates, ReLU explodes; gradient clipping as a remedy.",
    "4": "Var(W) = k/n: LeCun, Glorot/Xavier and He/Kaiming, and which fan to use.",
    "5": "Orthogonal, CNN fans, delta-orthogonal, RNN recurrence, residual nets, LSUV.",
    "6": "Train several initializers side by side on the same data and seed.",
    "7": "Mean-field theory: the ordered/chaotic phase diagram and trainable depth.",
    "8": "Every initializer: formula, reference, PyTorch/Keras/JAX call, calculator.",
}
for script in sorted(
    (Path(__file__).parent / "pages").glob("[0-9]*_*.py"),
    key=lambda p: int(p.name.split("_", 1)[0]),
):
    number, name = script.stem.split("_", 1)
    sidebar.page_link(
        f"pages/{script.name}",
        f"{number}. {name.replace('_', ' ')} — {GUIDE.get(number, '')}".rstrip(" —"),
        config,
    )


def try_this_answer(summary: pd.DataFrame) -> str:
    """The exercise's answer, from the 0.9 × scale's measurement."""
    near = summary.set_index("series").loc[lesson.scale_label(0.9)]
    return lesson.try_this_answer(
        config.network, unit, last, float(near.act_ratio), float(near.act_factor)
    ).text


page.try_this(
    f"Before revealing: with weights at 0.9 × the small-signal scale, what fraction of {unit} 1's "
    f"activation std is left at {unit} {last}? (Hint: the factor is applied {last - 1} times.)",
    lambda: try_this_answer(five_scales()[1]),
    key="home",
)
page.initializer_panel(config)
