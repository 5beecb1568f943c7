"""Page 2: small random weights and vanishing activations and gradients."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from explorer import charts, experiments, export, live, page, sidebar, state
from explorer.lessons import vanishing as lesson

config = page.setup(
    "Small random weights: vanishing signals",
    icon="📉",
    lead=(
        "A classic recipe draws every weight from N(0, 1) and multiplies by 0.01. Random, so the "
        "symmetry of page 1 is broken — but small. Each layer now *shrinks* its input by about "
        "0.01·√fan_in, and the shrinking compounds: activations fade layer by layer, the "
        "gradients fade on the way back, and the first layers stop learning. Measured on your "
        "network, next to your initializer and the textbook one for your activation."
    ),
    terms=(
        "std_factor",
        "small_signal_scale",
        "fan_in",
        "sigma_w2",
        "mean_field",
        "chi1",
        "edge_of_chaos",
    ),
)

unit = {"rnn": "time step", "resmlp": "block"}.get(config.network, "layer")
last = config.depth
series = lesson.vanishing_series(config.init, config.init_params, config.activation, config.network)
chosen, series = sidebar.compared_against(
    config, series, key="p2_compare", label="Compared with small random N(0, 0.01²)"
)


def measured() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The probes of the compared series (they give the answer: measured after the reveal)."""
    with st.spinner("Measuring the networks…"):
        return lesson.vanishing_probe(config.net, series)


fan_in = experiments.hidden_fan_in(config.network, config.width)
slope2 = experiments.small_signal_slope2(config.activation)

# ---- Headline numbers -----------------------------------------------------------------------
st.header("Layer by layer, the signal fades")
revealed = page.prediction(
    f"How much of {unit} 1's activation std is left at {unit} {last} with N(0, 0.01²)?",
    lesson.KEPT_CHOICES,
    key="p2_predict",
    answer_index=lambda: lesson.kept_choice(float(measured()[1].iloc[0].act_ratio)),
)
if revealed:
    layers, summary = measured()
    small, other = summary.iloc[0], summary.iloc[-1]
    st.markdown(
        lesson.rule_intro(config.activation, unit)
        + f" **0.01·√fan_in·√E[f′(0)²] = 0.01·√{fan_in:,}·√{page.fmt(slope2)} = "
        f"{page.fmt(small.rule_factor)}**. Over {last - 1} more {unit}s that compounds to "
        f"${page.fmt(small.rule_factor)}^{{{last - 1}}}$ = "
        f"{page.fmt(small.rule_factor ** (last - 1))} (for tanh the classic "
        "$(0.01\\sqrt{n})^l$)."
        + {
            "resmlp": " A residual block, though, *adds* its output to its input instead of "
            "replacing it — watch what that does to the rule.",
            "rnn": " In an RNN the same weight matrix is applied at every time step, so the rule "
            "acts through time, on the gradient that flows back from the last step.",
        }.get(config.network, "")
    )
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(
        f"Activations: {unit} {last} / {unit} 1",
        page.fmt(small.act_ratio),
        help="std of the last layer's activations over the first layer's, small random "
        "N(0, 0.01²).",
    )
    # Through time only the gradient shrinks (every step adds a fresh input), so an RNN's measured
    # factor is the gradient's, per step backwards; elsewhere the activations' per layer forwards.
    rnn = config.network == "rnn"
    m2.metric(
        f"Measured factor per {unit}" + (" (gradient)" if rnn else ""),
        page.fmt(small.grad_factor if rnn else small.act_factor),
        help="Geometric mean of the per-step ratios of the gradient std, going back in time."
        if rnn
        else "Geometric mean of the per-layer ratios of the activation std.",
    )
    m3.metric(
        "Predicted factor (rule)",
        page.fmt(small.rule_factor),
        help="The small-signal rule √(σ_w²·E[f′(0)²]): what each layer should multiply the "
        "std by while the signal is small.",
    )
    m4.metric(
        f"Gradients: {unit} 1 / {unit} {last}",
        page.fmt(small.grad_ratio),
        help="std of ∂L/∂z at the first layer over the top layer's (what survives backprop).",
    )
    if small.first_nonfinite > 0:
        fade = f"the activations overflowed at {unit} {int(small.first_nonfinite)}"
    elif lesson.forward_shrinks(small, config.activation, config.network):
        fade = (
            f"{unit} {last}'s activations are {page.fmt(small.act_ratio)} of {unit} 1's "
            f"(measured factor {page.fmt(small.act_factor)} per {unit}, rule "
            f"{page.fmt(small.rule_factor)})"
        )
    elif config.network == "resmlp":
        fade = (
            f"the stream keeps {page.fmt(small.act_ratio)} of its size: the skip connection "
            "carries the input past every block, whose own tiny contribution is what vanishes"
        )
    elif config.network == "rnn":
        fade = (
            f"h_t keeps {page.fmt(small.act_ratio)} of its size because every time step gets a "
            "fresh input; what vanishes is the gradient through time"
        )
    elif lesson.f_at_zero(config.activation) != 0.0:
        fade = (
            f"{unit} {last}'s pooled activation std is still {page.fmt(small.act_ratio)} of "
            f"{unit} 1's — but that number is not signal (see the box below) — and the gradients "
            "still vanish"
        )
    else:
        fade = (
            f"{unit} {last}'s activations are {page.fmt(small.act_ratio)} of {unit} 1's: "
            f"{lesson.level_words(small, config.activation, unit)}"
        )
    kept = lesson.kept_claim(summary, unit, last)
    page.notice(f"with small random weights {fade}. {kept.text}")
offset = lesson.offset_claim_for(config.net, unit)
if offset.applies:
    with st.container(border=True):
        st.markdown("**Why this differs from the simple rule**")
        st.info(offset.text)

if page.after_reveal(
    revealed, "The histograms and the per-layer charts of activations and gradients"
):
    # ---- Histograms -------------------------------------------------------------------------
    st.header("Where the activations are, layer by layer")
    view = st.segmented_control(
        "Histogram of",
        options=["activation value", "log10 |activation|"],
        default="log10 |activation|",
        key="p2_hist",
        help="The linear view shows the values piling up at 0; the log view shows how many "
        "decades they fall per layer.",
    )
    which = "act" if view == "activation value" else "act_log"
    histograms = [
        (label, experiments.hist_frame(experiments.quick_stats(config.net, init, params), which))
        for label, init, params in (series[0], series[-1])
    ]
    # One x range and one colour scale: the two heatmaps are compared side by side.
    x_domain, color_max = charts.shared_heatmap_scales([frame for _, frame in histograms])
    for col, (label, hist) in zip(st.columns(2), histograms, strict=True):
        with col:
            page.plot(
                charts.layer_heatmap,
                hist,
                x_title="activation value" if which == "act" else "log10 |activation|",
                y_title=unit.capitalize(),
                title=label,
                height=min(60 + 22 * config.depth, 420),
                x_domain=x_domain,
                color_max=color_max,
            )
    forward_vanishes = lesson.forward_shrinks(small, config.activation, config.network)
    if not forward_vanishes:
        hist_text = (
            f"here small random's std is {page.fmt(small.act_first)} at {unit} 1 and "
            f"{page.fmt(small.act_last)} at {unit} {last} — see the first note on this page "
            "for why; "
            + (
                "the skip path carries the signal both ways, the remedy page 5 is about."
                if config.network == "resmlp"
                else "the gradients below still vanish."
            )
        )
    elif which == "act":
        hist_text = (
            f"on shared bins, small random's {unit}s collapse onto the bar at 0: the spread falls "
            f"from {page.fmt(small.act_first)} at {unit} 1 to {page.fmt(small.act_last)} at {unit} "
            f"{last}, while {other.series} stays between {page.fmt(other.act_first)} and "
            f"{page.fmt(other.act_last)}."
        )
    else:
        hist_text = (
            f"the band of small random slides left by log10 of the factor, "
            f"{experiments.decades(small.act_factor):+.2f} decades per {unit}, ending around "
            f"{page.fmt(small.act_last)}; {lesson.band_words(other, unit)}."
        )
    page.notice(hist_text)

    # ---- Per-layer std of activations and gradients ------------------------------------------
    st.header("Forward and backward, on a log scale")
    theory = ["theory: small random"] if config.network == "mlp" else []
    forward_chart, backward_chart = page.forward_backward_charts(
        layers,
        x_title=unit.capitalize(),
        titles=("Forward: activations", "Backward: gradients"),
        legend_columns=2,
        dashed_series=theory,
    )
    c1, c2 = st.columns(2)
    with c1:
        page.chart(forward_chart)
        page.notice(
            (
                f"each step down the small-random line is a factor {page.fmt(small.act_factor)}"
                if forward_vanishes
                else lesson.level_words(small, config.activation, unit)
            )
            + lesson.theory_overlay_words(layers, small.series)
        )
    with c2:
        page.chart(backward_chart)
        verb = "has shrunk to" if small.grad_ratio < 1 else "is still"
        page.notice(
            f"read right to left: the gradient injected at {unit} {last} {verb} "
            f"{page.fmt(small.grad_ratio)} of itself by {unit} 1 (factor "
            f"{page.fmt(small.grad_factor)} per {unit}); with {other.series} "
            f"{page.fmt(other.grad_ratio)} arrives. A weight's gradient is the layer's input times "
            "this, so small activations and small gradients multiply."
            + (
                " The skip connections carry the gradient past every block."
                if config.network == "resmlp"
                else ""
            )
        )

    export.per_layer_export(
        "small_random",
        config,
        layers,
        forward_chart,
        key="p2_export",
        layer_unit=unit,
        compared=list(chosen),
    )

# ---- Training ------------------------------------------------------------------------------
st.header("And so nothing learns")
page.override_note(
    config,
    depth=lesson.STALL_DEPTH,
    width=lesson.STALL_WIDTH,
    network="mlp",
    why=f"several small networks train live for {lesson.STALL_STEPS} steps",
)
stall_series = lesson.vanishing_series(config.init, config.init_params, config.activation, "mlp")
specs, labels = lesson.stall_live_specs(config.activation, stall_series, config.seed)
progress = live.boxed_panel(
    "p2", specs, labels, title="Train these networks and watch them, step by step"
)
if live.results_wait(progress, "The final losses of the runs"):
    _, stall, _ = lesson.stall_frames(
        [
            (label, init, run.history())
            for label, (_, init, _), run in zip(labels, stall_series, progress.runs, strict=True)
        ]
    )
    small_run = stall.iloc[0]
    best = stall.loc[stall["final_loss"].idxmin()]
    cols = st.columns(len(stall))
    for col, row in zip(cols, stall.itertuples(index=False), strict=True):
        col.metric(
            f"{row.series}: loss after {lesson.STALL_STEPS} steps",
            page.fmt(row.final_loss),
            delta=(
                f"diverged at step {int(row.diverged_at)}"
                if row.diverged_at >= 0
                else f"from {page.fmt(row.first_loss)}"
            ),
            delta_color="off",
            delta_arrow="off",
            help=f"Training accuracy {row.final_accuracy:.0%}. First-layer gradient norm at "
            f"step 0: {page.fmt(row.layer1_grad)}.",
        )
    learner = lesson.stall_learner_claim(best, config.activation, stall_series).text
    page.notice(
        f"a {lesson.STALL_DEPTH}-layer, {lesson.STALL_WIDTH}-unit {config.activation} MLP on two "
        f"moons (plain SGD with momentum, {lesson.STALL_STEPS} steps): from small random "
        f"weights the loss goes from {page.fmt(small_run.first_loss)} to "
        f"{page.fmt(small_run.final_loss)} — ln 2 = 0.693 is guessing — because its first "
        f"layer's gradient norm is {page.fmt(small_run.layer1_grad)}; {learner}"
        + "".join(
            f" {row.series} blew up instead: its loss reached {page.fmt(row.max_loss)} and turned "
            f"non-finite at step {int(row.diverged_at)} (marked “diverged at step "
            f"{int(row.diverged_at)}” on the panel's loss chart)."
            for row in stall.itertuples(index=False)
            if row.diverged_at >= 0
        )
    )

# ---- ReLU -----------------------------------------------------------------------------------
st.header("ReLU does not save you")
# A plain feed-forward stack shows the per-layer factor cleanly; an RNN (fresh input every
# step) and a residual net (skip path) would hide it, so those are checked as an MLP.
relu_net = config.network if config.network in ("mlp", "cnn") else "mlp"
relu_depth = min(config.depth, state.max_depth(relu_net, config.width))
with st.spinner("Measuring the networks…"):
    relu = lesson.relu_check(relu_net, relu_depth, config.width, config.seed)
page.override_note(
    config,
    activation="relu",
    depth=relu_depth,
    network=relu_net,
    why="this section tests ReLU itself"
    + (
        "; an RNN's fresh input at every step and a residual net's skip path would hide the "
        "per-layer factor, so they are checked as an MLP"
        if relu_net != config.network
        else ""
    )
    + ("; the depth is capped to keep the probe fast" if relu_depth != config.depth else ""),
)
st.markdown(
    f"A {relu_depth}-layer {relu_net.upper()} of width {config.width} with ReLU units: std of "
    f"layer {relu_depth}'s activations over layer 1's, for three weight scales."
)
r_cols = st.columns(len(relu))
for col, row in zip(r_cols, relu.itertuples(index=False), strict=True):
    col.metric(
        f"ReLU + {row.series}",
        page.fmt(row.act_ratio),
        delta=f"factor {page.fmt(row.act_factor)} per layer",
        delta_color="off",
        delta_arrow="off",
        help=f"σ_w² = fan_in·Var(W) = {page.fmt(row.sigma_w2)}; ReLU's rule √(σ_w²/2) = "
        f"{page.fmt(row.rule_factor)}.",
    )
page.notice(lesson.relu_scales_claim(relu, relu_depth).text)
page.correction(lesson.relu_correction(relu, relu_depth).text)

page.try_this(
    f"Increase the depth to 30. Before looking: roughly how many decades will small random "
    f"lose between {unit} 1 and {unit} 30 with this width?",
    lambda: (
        lesson.width_answer(
            config.activation, config.network, float(measured()[1].iloc[0].rule_factor), unit
        ).text
    ),
    key="p2",
)
page.initializer_panel(config)
