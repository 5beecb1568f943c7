"""Page 1: zero and constant initialization, and the symmetry problem."""

from __future__ import annotations

import streamlit as st

from explorer import charts, experiments, export, live, page
from explorer.chartspec import ChartSpec
from explorer.lessons import symmetry as lesson

config = page.setup(
    "Zero and constant initialization: symmetry",
    icon="🪞",
    lead=(
        "If every weight starts equal, every neuron of a layer computes the same thing. What "
        "gradient does it get, and can training ever tell the neurons apart? Predict first, "
        "then reveal. Below, three copies of a small network are trained on the same data with "
        "the same seed: from W = 0, from W = k and from random weights."
    ),
    terms=("symmetry", "fan_in", "gain"),
)

depth, width = lesson.symmetry_size(config.depth, config.width)
c1, c2 = st.columns(2)
k = c1.number_input(
    "Constant k for W = k",
    min_value=-2.0,
    max_value=2.0,
    value=0.1,
    step=0.05,
    format="%g",
    key="p1_k",
    help="Every weight of the constant network starts at k (−2 to 2; 0 is the zero network).",
)
steps = c2.select_slider(
    "Training steps",
    options=[50, 100, 200, 300, 500, 1000],
    value=100,  # enough to see clones stay clones; each page view trains three networks
    key="p1_steps",
    help="Full-batch SGD with momentum 0.9, learning rate 0.1 (at most 1000 steps, which keeps "
    "a shared server responsive).",
)
random_init, random_params = lesson.symmetry_random_init(
    config.init, config.init_params, config.activation
)
# The three runs: trained here for the charts, and again step by step in the live panel.
runs = (config.activation, float(k), random_init, random_params, depth, width, int(steps))
with st.spinner("Training the small networks…"):
    result = lesson.symmetry_experiment(*runs, config.seed)
zero, const, rand = result.runs
page.override_note(
    config,
    depth=depth,
    width=width,
    network="mlp",
    why=f"three networks train live on every change (at most {lesson.SYMMETRY_MAX_DEPTH} "
    f"layers × {lesson.SYMMETRY_MAX_WIDTH} units keeps that instant), and symmetry works the "
    "same way in every network type",
)
st.caption(
    f"The network: {depth} hidden {config.activation} layer{'s' if depth > 1 else ''} of "
    f"{width} units (your sidebar depth and width, capped at {lesson.SYMMETRY_MAX_DEPTH} × "
    f"{lesson.SYMMETRY_MAX_WIDTH} so that three of them train in a blink) and 2 outputs, on "
    f"{lesson.SYMMETRY_POINTS} points of two moons. Biases start at 0. The random network uses "
    f"**{rand.label}**"
    + (" (your initializer)." if random_init == config.init else " (yours is not random).")
    + (
        " This lesson always uses an MLP: symmetry works the same way for conv channels and "
        "RNN units."
        if config.network not in ("mlp",)
        else ""
    )
)

const_claim = lesson.constant_gradient_claim(const, float(k), config.activation)
#: The choices of the page's question, and which one each measured verdict means.
CHOICES = ("exactly zero", "identical and non-zero", "different per neuron")
VERDICT_CHOICE = {
    "exactly zero": 0,
    "numerically zero": 0,
    "non-zero": 1,
    "identical, non-zero": 1,
    "different": 2,
}
constant_first = config.init == "constant"
hidden_zero = zero.grads.iloc[:-1]
zero_step0 = float(hidden_zero["max_abs_dw0"].max())
if constant_first:
    revealed = page.prediction(
        f"What will the hidden-layer weight gradients of the W = {k:g} network be after its "
        "first update (step 1)?",
        CHOICES,
        key="p1_predict",
        answer_index=VERDICT_CHOICE[const_claim.verdict],
    )
else:
    revealed = page.prediction(
        "What will the hidden-layer weight gradients of the W = 0 network be at step 0?",
        CHOICES,
        key="p1_predict",
        answer_index=VERDICT_CHOICE[lesson.gradient_kind(zero_step0)],
    )


def zero_section() -> None:
    """W = 0: the gradient table and metrics (the answer) once revealed."""
    if not revealed:
        st.header("W = 0: what do the hidden layers receive?")
        st.caption("The gradient table appears after your prediction.")
        return
    st.header("W = 0: the hidden gradients are exactly zero")
    st.markdown(
        "With every weight 0, every pre-activation is z = 0·x + 0 = 0. Backpropagation sends "
        "the error to a hidden layer through the weights *above* it, ∂L/∂a = ∂L/∂z_next · Wᵀ, "
        "and those weights are 0 — so the gradient of every hidden weight is not just equal, "
        "it is **0**."
    )
    table = zero.grads.rename(
        columns={
            "layer": "layer",
            "max_abs_dw0": "max |∂L/∂W| at step 0",
            "max_abs_db0": "max |∂L/∂b| at step 0",
            "max_abs_dw1": "max |∂L/∂W| at step 1",
            "spread1": "spread between neurons, step 1",
        }
    )
    m1, m2 = st.columns(2)
    m1.metric(
        "Largest hidden-weight gradient, step 0",
        page.fmt(zero_step0),
        help="max over all hidden layers of |∂L/∂W|, W = 0.",
    )
    m2.metric(
        f"Largest hidden-weight gradient norm, all {steps} steps",
        page.fmt(zero.max_hidden_grad_norm),
        help="Largest norm of a hidden layer's weight gradient over the whole run, W = 0.",
    )
    page.table(
        table,
        hide_index=True,
        column_config={c: st.column_config.NumberColumn(format="%.3g") for c in table.columns[1:]},
    )
    if zero.first_hidden_grad_step is None:
        run_text = (
            f"and it stays exactly 0 for all {steps} steps: the hidden weights never move. "
            f"The loss stays at {page.fmt(zero.final_loss)} (ln 2 = 0.693 is a coin flip)."
        )
    elif zero.max_hidden_grad_norm < 1e-12:
        run_text = (
            f"and it stays at rounding level for all {steps} steps (at most "
            f"{page.fmt(zero.max_hidden_grad_norm)}, from step {zero.first_hidden_grad_step} "
            f"on: {config.activation}(0) ≠ 0 lets rounding noise into the output weights). The "
            f"hidden weights effectively never move; the loss ends at "
            f"{page.fmt(zero.final_loss)}."
        )
    else:
        run_text = (
            f"but from step {zero.first_hidden_grad_step} on it is non-zero (up to "
            f"{page.fmt(zero.max_hidden_grad_norm)}) because {config.activation}(0) ≠ 0 lets "
            "the output weights move first — and every neuron of a layer gets the same value, "
            f"so they stay clones. The loss ends at {page.fmt(zero.final_loss)}."
        )
    out_db = float(zero.grads["max_abs_db0"].iloc[-1])
    rounding = (
        f" (The output bias's {page.fmt(out_db)} is rounding: with balanced classes its exact "
        "gradient is 0 as well.)"
        if 0 < out_db < 1e-12
        else ""
    )
    page.notice(f"every hidden |∂L/∂W| at step 0 is {page.fmt(zero_step0)}, {run_text}{rounding}")


def bar_chart(run: lesson.SymmetryRun) -> ChartSpec:
    """One run's per-neuron gradient bars (built when drawn or exported, never before)."""
    return page.spec(
        charts.neuron_bars,
        run.neuron_grads,
        y="grad1",
        y_title="∂L/∂W (input x₁)",
        title=run.label,
    )


def constant_section() -> None:
    """W = k: the per-neuron gradient bars (the answer) once revealed."""
    if not revealed:
        st.header(f"W = {k:g}: what do the hidden layers receive?")
        st.caption("The per-neuron gradients appear after your prediction.")
        return
    st.header(const_claim.text)
    st.markdown(
        "With a non-zero constant the signal flows, so gradients are not zero. But all neurons "
        "of a layer see the same inputs through the same weights, so they compute the same "
        "value and receive the **same** gradient. The bars show ∂L/∂W for the weight from "
        "input x₁ into each neuron of hidden layer 1, after one update (at step 0 even the "
        "constant net's hidden gradients are exactly 0: its two output units are clones too, "
        "so their errors cancel)."
    )
    for col, run in zip(st.columns(3), result.runs, strict=True):
        with col:
            page.chart(bar_chart(run))
    spread = float(const.grads["spread1"].iloc[:-1].max())
    value = float(const.neuron_grads["grad1"].iloc[0])
    rand_lo = float(rand.neuron_grads["grad1"].min())
    rand_hi = float(rand.neuron_grads["grad1"].max())
    page.notice(
        f"with W = {k:g} all {width} neurons get ∂L/∂W = {page.fmt(value)}; the largest "
        f"difference between two neurons' gradients in any hidden layer is {page.fmt(spread)}. "
        f"With random weights the same gradients range from {page.fmt(rand_lo)} to "
        f"{page.fmt(rand_hi)}."
        + {
            "exactly zero": " Here the constant network's hidden gradients are exactly 0, so "
            "the signal-flows argument above does not apply to this k.",
            "numerically zero": " Here they are at rounding level: the units are pinned where "
            "f′ ≈ 0, so the clones are also frozen.",
        }.get(const_claim.verdict, "")
    )


# The lesson the link asked for comes first: ?init=constant opens on the clones.
for section in (
    (constant_section, zero_section) if constant_first else (zero_section, constant_section)
):
    section()

export.per_layer_export(
    "zero_constant",
    config,
    lesson.symmetry_grads_frame(result),
    lambda: bar_chart(result.runs[1]),
    key="p1_export",
    k=float(k),
    steps=int(steps),
    trained_depth=depth,
    trained_width=width,
)

live.boxed_panel(
    "p1",
    *lesson.symmetry_live_specs(*runs, config.seed),
    title="Watch the three networks train, step by step",
    note=(
        "The same runs as the training charts below, trained again in chunks and redrawn as "
        "they go: loss, accuracy and every layer's gradient norm (grey cells are exactly zero, "
        "red ones overflowed). **⏹ Stop** keeps the curves so far; they end where those charts "
        "do."
    ),
)

# ---- Distinct neurons over training --------------------------------------------------------
st.header("How many different neurons does each layer have?")
st.markdown(
    f"Counted every few steps in each of the {depth} hidden layers (one line per layer; two "
    "neurons count as the same when all their incoming weights agree within 10⁻⁶)."
)
distinct_at_end = lesson.distinct_at_end
colors = charts.init_colors()
for col, run in zip(st.columns(3), result.runs, strict=True):
    with col:
        st.markdown(f"**{run.label}**")
        page.plot(
            charts.distinct_neurons_lines,
            run.distinct,
            width=width,
            color=colors.get(experiments.initializer_label(run.init), "#4c78a8"),
            height=220,
        )
        st.metric(
            f"Distinct neurons after {steps} steps",
            f"{distinct_at_end(run)} of {width}",
            help="Fewest distinct neurons in any hidden layer of this network.",
        )
page.notice(
    (
        f"W = 0 and W = {k:g} keep a single distinct neuron per layer from the first step to "
        f"the last: each network has the capacity of a {depth}-layer net one unit wide."
        if distinct_at_end(zero) == distinct_at_end(const) == 1
        else f"W = 0 ends with {distinct_at_end(zero)} and W = {k:g} with "
        f"{distinct_at_end(const)} distinct neuron(s) in its most symmetric layer."
    )
    + f" Random weights start and stay with {distinct_at_end(rand)} of {width}."
)

# ---- Weight heatmaps ----------------------------------------------------------------------
st.header(f"The weights of hidden layer {result.heat_layer}, before and after training")
h1, h2 = st.columns(2)
for col, when, attr in (
    (h1, "step 0", "weights_start"),
    (h2, f"after {steps} steps", "weights_end"),
):
    with col:
        for run in (const, rand):
            # Before and after share one colour scale, so the change is visible.
            limit = charts.weight_limit(run.weights_start, run.weights_end)
            page.plot(
                charts.weight_heatmap,
                getattr(run, attr),
                title=f"{run.label}, {when}",
                height=220,
                limit=limit,
            )
page.notice(
    f"every column (one neuron) of the W = {k:g} network is the same colour pattern at step 0 "
    f"and still after {steps} steps — training changed the values but not their sameness. "
    "The random network's columns start different and stay different."
)

# ---- Decision boundaries ------------------------------------------------------------------
st.header("What the three networks learned")
b_cols = st.columns(3)
for col, run in zip(b_cols, result.runs, strict=True):
    with col:
        page.plot(
            charts.decision_boundary, run.boundary, result.points, title=run.label, height=230
        )
        st.metric(
            "Training accuracy",
            f"{run.final_accuracy:.0%}",
            delta=f"loss {page.fmt(run.final_loss)}",
            delta_color="off",
            delta_arrow="off",
            help="Share of the training points classified correctly after the last step "
            "(50% is guessing on two balanced classes).",
        )
zero_text = (
    "the zero network predicts 50/50 everywhere"
    if abs(zero.final_loss - 0.6931) < 1e-3
    else "the zero network barely moves"
)
page.notice(
    f"{zero_text} ({zero.final_accuracy:.0%} accuracy). The constant network is one neuron "
    "wide in effect: its output depends on the inputs only through one number w·x, so its "
    f"boundary is straight (parallel lines at most) — {const.final_accuracy:.0%}. The random "
    f"one bends around the moons: {rand.final_accuracy:.0%}."
)

page.correction(
    "The tutorial says that with zero weights “the gradients will also be the same”. They are "
    "not merely the same: every hidden weight gradient is **exactly zero** (the table above), "
    "because the error reaches a hidden layer only through the zero weights above it. It is a "
    "*constant* k ≠ 0 that gives identical **non-zero** gradients — the symmetry problem proper. "
    "Nor does the zero network become “almost a linear network”: it computes a constant."
)
page.try_this(
    "Set k = −0.5 or 1, or switch the activation to sigmoid. Will the constant network ever "
    "break its symmetry if you train 1000 steps?",
    lesson.try_this_answer(zero, const, config.activation, int(steps)).text,
    key="p1",
)
page.initializer_panel(config)
