"""Edge of chaos: mean-field theory of signal propagation, and the probe that checks it.

Recipe: setup -> σ_b² slider -> headline metrics and the phase in words -> phase diagram and
trainable depth -> predicted vs measured per layer -> try this -> initializer panel.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from explorer import charts, export, page, state
from explorer.lessons import chaos as lesson

SB2_MAX = 0.5
HOMOGENEOUS = ("relu", "leaky_relu", "linear")


def _scale(value: float) -> str:
    """A depth scale for a metric: ∞ on the critical line, 'undefined' without fixed point."""
    if math.isnan(value):
        return "undefined"
    return "∞" if math.isinf(value) else page.fmt(value)


#: The bias variance, snapped to its slider's 0.01.
PARAMS = (state.PageParam("sb2", "p7_sb2", 0.0, state.snapped(low=0.0, high=SB2_MAX, step=0.01)),)
config = page.setup(
    "Edge of chaos",
    icon="🌀",
    lead=(
        "Mean-field theory (Poole et al. 2016; Schoenholz et al. 2017) treats a wide random "
        "network layer by layer and predicts everything the other pages measure from two "
        "numbers: **σ_w² = fan_in·Var(W)** and the bias variance **σ_b²**. Their slope "
        "χ₁ = σ_w²·E[f′(z)²] splits the plane into an *ordered* phase (χ₁ < 1: gradients "
        "vanish, all inputs look alike) and a *chaotic* one (χ₁ > 1: gradients explode, "
        "nearby inputs decorrelate). Networks train when they sit near the boundary χ₁ = 1 "
        "— or are shallower than a few depth scales ξ_c."
    ),
    params=PARAMS,
    scope="p7",
)

mlp = state.with_network(config, "mlp")
if config.network != "mlp":
    st.caption(
        f"Mean-field theory here describes fully connected layers, so this page treats your "
        f"{state.NETWORK_LABELS[config.network]} settings as an MLP ({mlp.init_label}, "
        f"{mlp.depth} layers of {mlp.width} units)."
    )

sb2 = st.slider(
    "Bias variance σ_b²",
    min_value=0.0,
    max_value=SB2_MAX,
    step=0.01,
    key="p7_sb2",
    help=f"Biases are drawn from N(0, σ_b²) in the probe; 0 to {SB2_MAX}. In the link as `sb2`.",
)

sw2 = lesson.user_sigma_w2(mlp.init, mlp.init_params, mlp.width)
point = lesson.chaos_point(mlp.activation, sw2, sb2)
word = lesson.phase_word(point["chi1"], point["q_star"])
trainable = lesson.TRAINABLE_XI * point["xi_c"]

m1, m2, m3, m4, m5 = st.columns(5)
m1.metric("σ_w² of your init", page.fmt(sw2), help="fan_in × Var(W) on a square layer.")
m2.metric(
    "χ₁",
    "∞" if math.isinf(point["chi1"]) else f"{point['chi1']:.3f}",
    help="σ_w²·E[f′(√q* z)²]: the per-layer factor of the mean squared gradient.",
)
m3.metric("ξ_q (length depth scale)", _scale(point["xi_q"]))
m4.metric("ξ_c (correlation depth scale)", _scale(point["xi_c"]))
m5.metric(
    "Trainable depth ≈ 6 ξ_c",
    _scale(trainable),
    delta=f"your depth: {mlp.depth}",
    delta_color="off",
    delta_arrow="off",
    help="Schoenholz et al. (2017) trained networks up to about 6 ξ_c layers.",
)

chi = point["chi1"]
if word == "critical":
    verdict = (
        f"Your network is **critical** — on the edge of chaos (χ₁ = {chi:.3f}). Gradients "
        "neither shrink nor grow on average and ξ_c is unbounded: signal propagation does "
        f"not limit the depth, so your {mlp.depth} layers are fine."
    )
elif word == "unbounded" and abs(chi - 1.0) < lesson.CRITICAL_TOLERANCE:
    verdict = (
        f"Your network sits on the critical line (χ₁ = {chi:.3f}) but has **no fixed point**: "
        f"with σ_b² = {sb2:g} > 0 the pre-activation variance grows by σ_b² every layer — "
        "linearly, not exponentially — while gradients keep their size. The depth scales are "
        "undefined; such nets still train to large depths."
    )
elif word == "unbounded":
    verdict = (
        f"Your network has **no fixed point**: with σ_w² = {page.fmt(sw2)} the pre-activation "
        "variance grows without bound layer after layer, so activations and gradients "
        f"explode with depth (χ₁ → {page.fmt(chi)}). The depth scales are undefined."
    )
else:
    fits = (
        f"your {mlp.depth} layers are within it"
        if mlp.depth <= trainable
        else f"your {mlp.depth} layers are beyond it — expect training to fail"
    )
    if word == "ordered":
        verdict = (
            f"Your network is in the **ordered** phase (χ₁ = {chi:.3f} < 1): gradients shrink "
            f"by about χ₁ per layer and every input converges to the same representation "
            f"within ξ_c ≈ {page.fmt(point['xi_c'])} layers. Trainable depth ≈ 6 ξ_c = "
            f"{page.fmt(trainable)}: {fits}."
        )
    else:
        verdict = (
            f"Your network is in the **chaotic** phase (χ₁ = {chi:.3f} > 1): gradients grow by "
            f"about χ₁ per layer and nearby inputs decorrelate within ξ_c ≈ "
            f"{page.fmt(point['xi_c'])} layers. Trainable depth ≈ 6 ξ_c = "
            f"{page.fmt(trainable)}: {fits}."
        )
st.markdown(verdict)
if mlp.activation in HOMOGENEOUS:
    half = "σ_w²" if mlp.activation == "linear" else "σ_w²/2"
    crit = "1" if mlp.activation == "linear" else "2"
    st.info(
        f"**What theory says for {mlp.activation}.** It is positively homogeneous, so "
        f"E[f(√q z)²] is proportional to q: q^l = {half}·q^(l−1) + σ_b² and χ₁ = {half} for "
        f"every σ_b² — the critical line is the vertical σ_w² = {crit} (He init for ReLU). "
        f"Below it the variance settles at q* = σ_b²/(1 − {half}) and inputs become alike "
        f"(ordered); above it there is no fixed point at all: the variance grows "
        f"geometrically instead of settling in a bounded chaotic phase. At σ_w² = {crit} "
        "with σ_b² > 0 it grows linearly.",
        icon="📐",
    )


# --- Phase diagram and trainable depth -------------------------------------------------------
sw2_max = lesson.phase_axis_max(mlp.activation, SB2_MAX)
grid, critical = lesson.phase_grid(mlp.activation, sw2_max, SB2_MAX)
pinned = sw2 > sw2_max
points = pd.DataFrame(
    {
        "sw2": [min(sw2, sw2_max)],
        "sb2": [sb2],
        "label": [f"your init (σ_w² = {page.fmt(sw2)} →)" if pinned else "your init"],
    }
)
left, right = st.columns([3, 2])
left.altair_chart(
    charts.phase_diagram(
        grid,
        critical,
        points,
        value_title="log₁₀ χ₁",
        title=f"Phase diagram, {mlp.activation}: blue = ordered, red = chaotic, line = χ₁ = 1",
    ),
    width="stretch",
)
crit_here = point["critical_sw2"]
with left:
    if math.isfinite(crit_here):
        where = (
            "on"
            if abs(chi - 1.0) < lesson.CRITICAL_TOLERANCE
            else "left of"
            if sw2 < crit_here
            else "right of"
        )
        page.notice(
            f"At σ_b² = {sb2:g} the edge of chaos is at σ_w² = **{page.fmt(crit_here)}**; "
            f"your {mlp.init_label} has σ_w² = **{page.fmt(sw2)}**, {where} the line "
            f"(χ₁ = {chi:.3f})."
            + (" It lies beyond the plotted range (marker pinned to the edge)." if pinned else "")
            + (
                " No standard initializer comes close: they give σ_w² between 1/3 and 2."
                if crit_here > 5
                else ""
            )
        )
    else:
        page.notice(
            f"Theory finds no χ₁ = 1 point for {mlp.activation} at σ_b² = {sb2:g} (no black "
            f"line there); your σ_w² = **{page.fmt(sw2)}** gives χ₁ = {chi:.3f}."
        )
curve = lesson.depth_scale_curve(mlp.activation, sb2, sw2_max)
right.altair_chart(
    charts.trainable_depth_chart(
        curve,
        depth=mlp.depth,
        sw2=sw2,
        sw2_max=sw2_max,
        critical_sw2=crit_here if math.isfinite(crit_here) else None,
        title=f"Trainable depth at σ_b² = {sb2:g}",
    ),
    width="stretch",
)
with right:
    if math.isnan(trainable):
        depth_text = "undefined at your σ_w² (no fixed point: the variance keeps growing)"
    elif math.isinf(trainable):
        depth_text = "unbounded at your σ_w² (critical)"
    else:
        depth_text = f"**{page.fmt(trainable)}** layers at your σ_w²"
    gap = ""
    if len(curve) and float(curve["sw2"].max()) < 0.95 * sw2_max:
        gap = (
            f" No curve right of σ_w² ≈ {page.fmt(float(curve['sw2'].max()))}: theory has no "
            "fixed point there (the variance grows without bound)."
        )
    page.notice(
        f"6 ξ_c is {depth_text}, against your depth **{mlp.depth}** (red line). The curve "
        f"shoots up where ξ_c diverges: at the critical σ_w² (dashed).{gap}"
    )

# --- Predicted vs measured -------------------------------------------------------------------
st.subheader("Theory vs measurement, layer by layer")
with st.spinner("Probing the network…"):
    frame, info = lesson.mean_field_vs_probe(
        mlp.net,
        mlp.init,
        mlp.init_params,
        sb2,
    )
measured = frame[frame["series"] == "measured (probe)"]
predicted = frame[frame["series"] == "theory (mean field)"]
left, right = st.columns(2)
q_chart = charts.per_layer_lines(
    frame,
    y="q",
    y_title="q^l = variance of pre-activations",
    title="Length map q^l (dashed = theory)",
    dashed_series=["theory (mean field)"],
)
with left:
    st.altair_chart(q_chart, width="stretch")
    text = (
        f"At layer {mlp.depth} the probe measures q = "
        f"**{page.fmt(float(measured['q'].iloc[-1]))}**, theory predicts "
        f"**{page.fmt(float(predicted['q'].iloc[-1]))}**"
        + (
            f" (ratio {page.fmt(info['q_ratio_last'])})."
            if math.isfinite(info["q_ratio_last"])
            else "."
        )
    )
    ratio = info["q_ratio_last"]
    if math.isfinite(ratio) and ratio > 0 and abs(math.log(ratio)) > math.log(1.2):
        text += (
            f" The gap is finite width, not a failure of the theory: with {mlp.width} units "
            "every layer multiplies the variance by a random factor of about "
            f"1 ± {math.sqrt(2 / mlp.width):.0%} (more for ReLU, whose zeros halve the width), "
            "and these factors compound with depth. Other seeds scatter around the dashed line."
        )
    page.notice(text)
with right:
    st.altair_chart(
        charts.per_layer_lines(
            frame,
            y="grad_rel",
            y_title="std of dL/dz, relative to the last layer",
            title="Gradients back from the top (dashed = theory)",
            dashed_series=["theory (mean field)"],
        ),
        width="stretch",
    )
    page.notice(
        "The gradient reaching layer 1 is "
        f"**{page.fmt(float(measured['grad_rel'].iloc[0]))}** of the top layer's; theory "
        f"predicts **{page.fmt(float(predicted['grad_rel'].iloc[0]))}**. Once q^l has "
        "settled, the mean squared gradient changes by χ₁ per layer (its std by √χ₁)."
    )
export.per_layer_export(
    "edge_of_chaos", mlp, frame, q_chart, key="p7_export", sigma_b2=sb2, sigma_w2=sw2
)
if info["overflow_layer"]:
    st.warning(f"The probe overflowed at layer {info['overflow_layer']} (shown as red marks).")
if not info["applicable"]:
    st.info(info["note"])

edge = lesson.chaos_point("tanh", 1.0, 0.05)["critical_sw2"]
page.try_this(
    "Set the activation to tanh and σ_b² to 0.05. Which σ_w² puts you on the edge of chaos, "
    "and which standard initializer comes closest?",
    f"Theory puts the edge at σ_w² ≈ {page.fmt(edge)} for σ_b² = 0.05 — the black line moves "
    "right as σ_b² grows. Glorot and LeCun give σ_w² = 1 (ordered), He gives 2 (chaotic); "
    f"variance scaling with scale ≈ {page.fmt(edge)} (or orthogonal with gain "
    f"≈ {page.fmt(edge**0.5)}) sits on the line. Without bias, σ_w² = 1 — Glorot on square "
    "layers — is exactly critical for tanh.",
    key="p7_try",
)
page.initializer_panel(config)
