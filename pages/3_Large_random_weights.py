"""Page 3: large random weights N(0, 1) — bounded units saturate, unbounded ones explode."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from explorer import charts, experiments, export, live, page, sidebar, state
from explorer.lessons import large_weights as lesson
from explorer.state import PageParam

fmt = page.fmt
PARAMS = (
    PageParam("clip", "p3_clip", 1.0, state.nearest(lesson.CLIP_CHOICES, low=1e-3, high=1e3)),
    PageParam("lr", "p3_lr", 0.01, state.nearest(lesson.LR_CHOICES, low=1e-4, high=1.0)),
)
config = page.setup(
    "Large random weights: saturation and exploding",
    icon="💥",
    lead=(
        "Draw every weight from **N(0, 1)**. It looks harmless, but a unit that sums *n* inputs "
        "then has a pre-activation about **√n times larger** than its inputs (16× for 256 "
        "inputs). What does that do to a deep network? Predict first; then the page measures "
        "it on your network and shows how it breaks training."
    ),
    params=PARAMS,
    scope="p3",
    terms=("saturation", "std_factor", "fan_in", "sigma_w2", "chi1", "mean_field", "clipping"),
)

# ---- cached computations -------------------------------------------------------------------
net, act, depth, width, seed = config.network, config.activation, *config.size
series = lesson.large_weight_series(act, config.init, config.init_params)
chosen, series = sidebar.compared_against(
    config, series, key="p3_compare", label="Compared with N(0, 1)"
)
large_label, usual_init = series[0][0], experiments.well_scaled_init(act)
usual_label = experiments.initializer_label(usual_init)
unit = "time step" if net == "rnn" else "layer"
x_title = "Time step" if net == "rnn" else "Layer"
activation = experiments.activation_record(act)


def large_probe() -> experiments.probe.LayerStats:
    """The N(0, 1) network at initialization (it gives the answer: measured after the reveal)."""
    with st.spinner("Measuring the networks…"):
        return experiments.layer_stats(config.net, lesson.LARGE_INIT, ())


def usual_probe() -> experiments.probe.LayerStats:
    """The well-scaled initializer on the same network."""
    with st.spinner("Measuring the networks…"):
        return experiments.layer_stats(config.net, usual_init, ())


def fate_answer() -> int:
    """Index of the right answer among :data:`lesson.FATE_CHOICES`."""
    large = large_probe()
    return lesson.fate_choice(
        saturating=activation.saturating,
        saturated=float(large.saturated_fraction[-1]),
        factor=experiments.summarize_layers(large).act_factor,
        overflow=bool(large.first_nonfinite_layer),
    )


# ---- headline ------------------------------------------------------------------------------
st.markdown(
    f"**Your network:** {state.NETWORK_LABELS[net]}, {activation.label}, {depth} {unit}s of "
    f"{width} units. Compared: **{large_label}**, "
    + ", ".join(f"**{label}**" for label, _, _ in series[1:])
    + "."
)
revealed = page.prediction(
    f"With N(0, 1) weights, what happens to the activations of a deep {activation.label} net "
    f"({depth} {unit}s of {width})?",
    lesson.FATE_CHOICES,
    key="p3_predict",
    answer_index=fate_answer,
)
if revealed:
    with st.spinner("Measuring the networks…"):
        frame = lesson.compare_stats(config.net, series)
    large, usual = large_probe(), usual_probe()
    large_rows = frame[frame["series"] == large_label]
    usual_rows = experiments.stats_frame(usual, usual_label)
    sat_large = float(large.saturated_fraction[-1])
    sat_usual = float(usual_rows["saturated_fraction"].iloc[-1])
    std_large = float(large_rows["act_std"].iloc[-1])
    summary = experiments.summarize_layers(large)
    growth, grad_ratio = summary.act_factor, summary.grad_ratio
    first_bad = large.first_nonfinite_layer
    cols = st.columns(4)
    cols[0].metric(
        f"Saturated units, {unit} {depth}",
        f"{sat_large:.0%}",
        help=f"With N(0, 1) weights. {usual_label}: {sat_usual:.0%}. Saturated: |f′(z)| below 5 % "
        "of its maximum (dead ReLUs, f′ = 0, count too).",
    )
    cols[1].metric(
        f"Activation std, {unit} {depth}",
        fmt(std_large),
        help=f"N(0, 1) weights; the input has std 1. {usual_label}: "
        f"{fmt(float(usual_rows['act_std'].iloc[-1]))}.",
    )
    cols[2].metric(
        f"Std factor per {unit}",
        "overflow" if first_bad else f"×{fmt(growth)}",
        help="Geometric mean of std(layer l) / std(layer l−1) over the network, N(0, 1) weights.",
    )
    cols[3].metric(
        f"Gradient std, {unit} 1 ÷ {unit} {depth}",
        fmt(grad_ratio),
        help="How the gradient dL/dz changes on its way back through the network: > 1 grows "
        "(explodes), < 1 shrinks (vanishes). N(0, 1) weights.",
    )
if page.after_reveal(
    revealed, "Sections 1 and 2 (where the units sit, and the signal's scale layer by layer)"
):
    # ---- 1. saturation ---------------------------------------------------------------------------
    st.subheader("1 · Saturation: where the units sit")
    left, right = st.columns(2)
    with left:
        page.plot(
            charts.bars_by_layer,
            frame[["series", "layer", "saturated_fraction"]],
            y="saturated_fraction",
            y_title="saturated units",
            title="Saturated units per layer (|f′(z)| < 5 % of its maximum)",
            height=charts.CHART_HEIGHT,
        )
        rule = lesson.saturation_rule(act)
        if activation.saturating:
            page.notice(
                lesson.saturation_claim(sat_large, sat_usual, rule, unit, depth, usual_label).text
            )
        elif act in ("relu", "leaky_relu"):
            page.notice(
                f"ReLU does not saturate for z > 0. The bars count units with z < 0 (f′ = "
                f"{'0' if act == 'relu' else 'the small slope'}): **{sat_large:.0%}** with "
                "N(0, 1), "
                f"**{sat_usual:.0%}** with {usual_label} — about half at *any* scale, because the "
                "sign of z does not depend on the weights' size. Large weights make ReLU nets "
                "explode instead (section 2)."
            )
        else:
            page.notice(
                f"{activation.label} is unbounded above, so large weights push it into its linear "
                f"part rather than a flat one: **{sat_large:.0%}** saturated with N(0, 1), "
                f"**{sat_usual:.0%}** with {usual_label}. The danger here is growth (section 2)."
            )
    with right:
        if activation.saturating:
            hist_column, hist_x_title, hist_title = (
                "act",
                "activation value a",
                "N(0, 1): where the activations lie, per layer",
            )
        else:
            hist_column, hist_x_title, hist_title = (
                "act_log",
                "log10 |a| (decades)",
                "N(0, 1): magnitude of the activations, per layer",
            )
        page.plot(
            charts.layer_heatmap,
            experiments.hist_frame(large, hist_column),
            x_title=hist_x_title,
            y_title=unit.capitalize(),
            title=hist_title,
        )
        if activation.saturating:
            share, low_edge, high_edge = lesson.outer_bin_share(large)
            if net == "resmlp":
                page.notice(
                    "In a residual MLP the rows show the residual stream h = h + f(z), which is "
                    "not "
                    f"bounded: each saturated {activation.label.lower()} branch adds about ±1 per "
                    f"unit, so the stream widens block after block (std {fmt(std_large)} at block "
                    f"{depth}). The saturation itself is in the bars on the left."
                )
            else:
                page.notice(lesson.ends_claim(share, low_edge, high_edge, unit, depth).text)
        else:
            page.notice(
                "Each row is one layer's histogram of log10 |a|. The mass moves right by about "
                f"**{experiments.decades(growth):.2g} decades per {unit}**: {unit} {depth}'s "
                f"activations are around {fmt(std_large)}."
                + (
                    f" Rows stop at {unit} {first_bad}, where values overflowed."
                    if first_bad
                    else ""
                )
            )

    # ---- 2. exploding ----------------------------------------------------------------------------
    st.subheader("2 · Exploding: the scale of the signal, layer by layer")
    forward_chart = page.spec(
        charts.per_layer_lines,
        frame,
        y="act_std",
        y_title="std of activations (log)",
        x_title=x_title,
        title="Forward: activation std per layer",
    )
    left, right = st.columns(2)
    with left:
        page.chart(forward_chart)
        if first_bad:
            page.notice(
                f"With N(0, 1) weights the activations **overflowed at {unit} {first_bad}**: "
                "float64 cannot hold numbers above 1.8e308, so they became inf (red marks), and "
                "everything computed from them is inf or NaN."
            )
        elif growth > 1.5:
            more = lesson.layers_to_overflow(std_large, growth)
            page.notice(
                f"N(0, 1) multiplies the std by **×{fmt(growth)} per {unit}**: {unit} {depth} "
                f"reaches **{fmt(std_large)}**. Float64 overflows at 1.8e308, about "
                f"{fmt(round(more))} {unit}s further at this rate — and a training step overflows "
                "much sooner (section 3)."
            )
        elif activation.saturating and net != "resmlp":
            page.notice(
                lesson.bounded_forward_claim(
                    activation.label,
                    std_large,
                    sat_large,
                    lesson.outer_bin_share(large)[0],
                    unit,
                    depth,
                ).text
            )
        else:
            page.notice(
                f"With N(0, 1) weights the std changes by ×{fmt(growth)} per {unit} and reaches "
                f"**{fmt(std_large)}** at {unit} {depth}"
                + (
                    ": the residual stream sums the blocks' outputs, so it grows with depth even "
                    "though each branch is bounded."
                    if net == "resmlp" and activation.saturating
                    else "."
                )
            )
    with right:
        page.plot(
            charts.per_layer_lines,
            frame,
            y="grad_std",
            y_title="std of dL/dz (log)",
            x_title=x_title,
            title="Backward: gradient std per layer",
        )
        grad_last = float(large_rows["grad_std"].iloc[-1])
        usual_last = float(usual_rows["grad_std"].iloc[-1])
        if activation.saturating:
            page.notice(
                lesson.bounded_gradient_claim(
                    act,
                    net,
                    width,
                    grad_last=grad_last,
                    usual_last=usual_last,
                    grad_ratio=grad_ratio,
                    sat_large=sat_large,
                    unit=unit,
                    depth=depth,
                    usual_label=usual_label,
                ).text
            )
        else:
            page.notice(
                f"Gradients explode on the way back too: {unit} 1's gradient is "
                f"**{fmt(grad_ratio)}×** {unit} {depth}'s with N(0, 1) weights "
                f"({usual_label}: {fmt(experiments.summarize_layers(usual).grad_ratio)}×)."
            )

    differs = lesson.why_differs_claim(act, net, width, grad_ratio, sat_large, depth, unit)
    if differs.applies:
        with st.container(border=True):
            st.markdown("**Why this differs from the simple rule**")
            st.info(differs.text)

    export.per_layer_export(
        "large_random",
        config,
        frame,
        forward_chart,
        key="p3_export",
        layer_unit=unit,
        compared=list(chosen),
    )

# ---- 3. training and clipping ------------------------------------------------------------------
st.subheader("3 · Training: oscillation, NaN, and gradient clipping")
train_depth = min(depth, lesson.TRAIN_DEPTH_MAX)
train_width = min(width, lesson.TRAIN_WIDTH_MAX)
train_kind = "residual MLP" if net == "resmlp" else "MLP"
page.override_note(
    config,
    depth=train_depth,
    width=train_width,
    network="resmlp" if net == "resmlp" else "mlp",
    why=f"three networks train live ({lesson.TRAIN_STEPS} steps each); at most "
    f"{lesson.TRAIN_DEPTH_MAX} layers × {lesson.TRAIN_WIDTH_MAX} units, and CNNs and RNNs are "
    "too slow to train here",
)
c1, c2 = st.columns(2)
clip = c1.select_slider(
    "Clip the gradient norm at",
    options=lesson.CLIP_CHOICES,
    key="p3_clip",
    format_func=lambda v: f"‖g‖ ≤ {v:g}",
    help="Gradient-norm clipping (Pascanu et al. 2013): when the norm of the whole gradient "
    "exceeds this threshold, the gradient is rescaled to it. 0.1 to 100.",
)
lr = c2.select_slider(
    "Learning rate (plain SGD)",
    options=lesson.LR_CHOICES,
    key="p3_lr",
    format_func=lambda v: f"{v:g}",
    help="0.001 to 0.3. Every run below uses the same rate, data and seed.",
)
specs, labels = lesson.train_live_specs(
    config.net,
    (
        ("N(0, 1)", lesson.LARGE_INIT, (), None),
        (f"N(0, 1), clip {clip:g}", lesson.LARGE_INIT, (), clip),
        (usual_label, usual_init, (), None),
    ),
    lr=lr,
)
progress = live.boxed_panel(
    "p3", specs, labels, title="Train the three networks and watch them, step by step"
)
if live.results_wait(progress, "The comparison (which run diverged and what clipping did) will"):
    runs = {label: run.history() for label, run in zip(labels, progress.runs, strict=True)}
    # The loss curves are the panel's (drawn once, above); this section adds only the outcome.
    st.caption(
        f"The runs above: two moons, {train_kind} with {activation.label}, {train_depth} layers "
        f"× {train_width} units, full-batch SGD; their loss curves are the panel's loss chart."
    )
    raw, clipped, usual_run = runs.values()

    def outcome(history: lesson.History) -> str:
        """One phrase: how a run ended."""
        if history.diverged_at is not None:
            return f"overflowed (loss or gradient non-finite) at **step {history.diverged_at}**"
        return (
            f"ended at loss **{fmt(history.final_loss)}** (accuracy {history.final_accuracy:.0%}); "
            f"it rose on {lesson.loss_rises(history)} of {history.steps_run} steps"
        )

    verdict = lesson.clipping_claim(raw, clipped, clip).text
    if clipped.diverged_at is None and usual_run.diverged_at is None:
        if clipped.final_loss > 2 * usual_run.final_loss:
            verdict += (
                " Clipping does not fix the weights' scale: the clipped run's final loss is "
                f"{fmt(experiments.safe_ratio(clipped.final_loss, usual_run.final_loss))}× "
                f"{usual_label}'s."
            )
        elif usual_run.final_loss > 1.5 * min(
            h.final_loss for h in (raw, clipped) if h.diverged_at is None
        ):
            usual_grad = experiments.summarize_layers(usual_probe()).grad_ratio
            verdict += f" Here {usual_label} ends higher than N(0, 1)" + (
                f": in section 2 its gradient at {unit} 1 is only {fmt(usual_grad)} of {unit} "
                f"{depth}'s, so the first layers barely learn (page 4 shows where this "
                "activation's edge lies)."
                if usual_grad < 0.01
                else "."
            )
        elif act in ("relu", "leaky_relu", "linear"):
            verdict += (
                f" Here the clipped run even fits the data about as well as {usual_label}: a "
                f"{activation.label} net's output only scales with its weights, so the huge start "
                "costs loss, not accuracy."
            )
    if 0.0 in {h.final_loss for h in runs.values()}:
        verdict += " (A loss of exactly 0 — every point classified with a huge margin — lies below "
        verdict += "the log axis, so that line ends early.)"
    page.notice(
        f"N(0, 1) without clipping {outcome(raw)}. Clipped at ‖g‖ ≤ {clip:g} it "
        f"{outcome(clipped)}; clipping rescaled {clipped.n_clipped} of {clipped.steps_run} "
        f"updates. {usual_label} {outcome(usual_run)}.{verdict}"
    )
    m1, m2, m3 = st.columns(3)
    m1.metric(
        "N(0, 1), no clipping",
        f"NaN at step {raw.diverged_at}" if raw.diverged_at is not None else fmt(raw.final_loss),
        help="Final training loss, or the step at which the loss or gradient became inf/NaN.",
    )
    m2.metric(
        f"N(0, 1), clip {clip:g}",
        f"NaN at step {clipped.diverged_at}"
        if clipped.diverged_at is not None
        else fmt(clipped.final_loss),
        help="Final training loss with gradient-norm clipping.",
    )
    m3.metric(usual_label, fmt(usual_run.final_loss), help="Final training loss, no clipping.")
    if net in ("cnn", "rnn"):
        st.caption(
            f"Training runs on an MLP with your activation and depth ({train_depth} layers × "
            f"{train_width} units): CNNs and RNNs are too slow to train live here."
        )
    else:
        st.caption(
            f"The demo trains at most {lesson.TRAIN_DEPTH_MAX} layers × {lesson.TRAIN_WIDTH_MAX} "
            f"units ({lesson.TRAIN_SAMPLES} points, {lesson.TRAIN_STEPS} steps) to stay fast."
        )

if page.after_reveal(revealed, "Section 4 (the same weights under four activations)"):
    # ---- 4. four activations ---------------------------------------------------------------------
    st.subheader("4 · The same N(0, 1) weights under four activations")
    st.info(
        f"This section uses **four activations** (tanh, sigmoid, ReLU and linear), not only your "
        f"sidebar's {config.activation}, because the point is how the activation changes what "
        "large weights do; depth, width and network are your sidebar's.",
        icon=":material/tune:",
    )
    with st.spinner("Measuring four activations…"):
        contrast = lesson.activation_contrast(net, depth, width, seed)
    page.table(
        pd.DataFrame(
            {
                "activation": contrast["activation"],
                f"saturated units, {unit} {depth}": contrast["saturated"].map("{:.0%}".format),
                f"activation std, {unit} {depth}": contrast["act_std"].map(fmt),
                f"std factor per {unit}": contrast["growth"].map(lambda v: f"×{fmt(v)}"),
                "overflowed at": contrast["overflow_layer"].map(
                    lambda v: "no overflow" if pd.isna(v) else f"{unit} {int(v)}"
                ),
                f"gradient std, {unit} 1 ÷ {unit} {depth}": contrast["grad_ratio"].map(fmt),
            }
        ),
        hide_index=True,
        width="stretch",
    )
    by_name = contrast.set_index("activation")
    page.notice(lesson.contrast_claim(contrast, unit, depth).text)
    page.correction(
        "The tutorial says vanishing gradients concern only sigmoid and tanh, and that ReLU avoids "
        "the problem. ReLU only removes saturation for **positive** inputs (f′ = 1 for z > 0, 0 "
        "for z < 0). Its scale problem remains: with N(0, 1) weights a ReLU net explodes "
        f"(×{fmt(by_name.loc['ReLU', 'growth'])} per {unit} above), and with too-small weights it "
        "vanishes (page 2). ReLU's own remedy is the right scale, Var(W) = 2/fan_in (page 4)."
    )

page.try_this(
    "Pick **ReLU**, **256 units** and **50 layers**. Before looking: roughly what std will layer "
    "50's activations have with N(0, 1) weights, and when would float64 overflow?",
    "Each ReLU layer multiplies the std by about √(n/2) = √128 ≈ 11.3 (half the units are "
    "zero, so only half of the variance survives). Layer 50 therefore sits near 11.3⁵⁰ ≈ 10⁵² "
    "— compare with the chart. Float64 ends at 1.8·10³⁰⁸ ≈ 11.3²⁹⁰, so a forward pass survives "
    "a few hundred layers, but training does not: the first update is 10⁵⁰ times too large "
    "and the loss turns NaN within a couple of steps unless the gradient is clipped.",
    key="p3",
)
page.initializer_panel(config)
