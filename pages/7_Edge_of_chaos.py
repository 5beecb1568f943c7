"""Edge of chaos: mean-field theory of signal propagation, and the probe that checks it.

Recipe: setup -> σ_b² slider -> headline metrics and the phase in words -> phase diagram and
trainable depth -> predicted vs measured per layer -> try this -> initializer panel.
"""

from __future__ import annotations

import math

import streamlit as st

from explorer import charts, claims, export, page, state
from explorer.lessons import chaos as lesson

SB2_MAX = 0.5
HOMOGENEOUS = ("relu", "leaky_relu", "linear")


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
    terms=(
        "sigma_w2",
        "sigma_b2",
        "q_l",
        "q_star",
        "xi_q",
        "chi1",
        "xi_c",
        "c_star",
        "edge_of_chaos",
        "mean_field",
    ),
)

mlp = state.with_network(config, "mlp")
page.override_note(
    config,
    network="mlp",
    why=f"mean-field theory here describes fully connected layers, so this page treats your "
    f"settings as an MLP ({mlp.init_label}, {mlp.depth} layers of {mlp.width} units)",
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
regime = lesson.point_regime(mlp.activation, sw2, sb2)
shown = lesson.metric_values(regime, mlp.init)

m1, m2, m3, m4, m5 = st.columns(5)
m1.metric("σ_w² of your init", page.fmt(sw2), help="fan_in × Var(W) on a square layer.")
m2.metric("χ₁", shown["chi1"], help=claims.GLOSSARY["chi1"])
m3.metric(
    "ξ_q (length depth scale)",
    shown["xi_q"],
    help=claims.GLOSSARY["q_star"] + " ξ_q is the number of layers over which q^l settles to q*.",
)
m4.metric("ξ_c (correlation depth scale)", shown["xi_c"], help=claims.GLOSSARY["xi_c"])
m5.metric(
    "Trainable depth ≈ 6 ξ_c",
    shown["trainable"],
    delta=f"your depth: {mlp.depth}",
    delta_color="off",
    delta_arrow="off",
    help="Schoenholz et al. (2017) trained networks up to about 6 ξ_c layers.",
)

st.markdown(lesson.verdict_claim(mlp.activation, mlp.init, sw2, sb2, mlp.depth).text)
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
        "with σ_b² > 0 it grows linearly. With σ_b² = 0 the correlation map does not depend "
        "on σ_w² at all: correlations creep to 1 polynomially, so there is no exponential "
        "correlation depth scale ξ_c at any σ_w².",
        icon="📐",
    )


# --- Phase diagram and trainable depth -------------------------------------------------------
sw2_max = lesson.phase_axis_max(mlp.activation, SB2_MAX)
grid, critical = lesson.phase_grid(mlp.activation, sw2_max, SB2_MAX)
pinned = sw2 > sw2_max
# The user's initializer and the standard schemes, each a labelled point.
points = lesson.phase_points(
    mlp.init, mlp.init_params, mlp.init_label, mlp.width, sb2, sw2_max, SB2_MAX, critical=critical
)
left, right = st.columns([3, 2])
with left:
    page.plot(
        charts.phase_diagram,
        grid,
        critical,
        points,
        value_title="log₁₀ χ₁",
        title=f"Phase diagram, {mlp.activation}: blue = ordered, red = chaotic, line = χ₁ = 1",
    )
    st.markdown(
        f"**Key** (phase at σ_b² = {sb2:g}; ◆ = yours)\n\n"
        + "\n".join(f"- {line}" for line in lesson.phase_key(points, mlp.activation, mlp.init))
    )
crit_here = regime.edge_sigma_w2 if regime.edge_sigma_w2 is not None else math.nan
with left:
    page.notice(lesson.edge_claim(regime, mlp.init_label, pinned=pinned, init=mlp.init).text)
curve = lesson.depth_scale_curve(mlp.activation, sb2, sw2_max)
with right:
    page.plot(
        charts.trainable_depth_chart,
        curve,
        depth=mlp.depth,
        sw2=sw2,
        sw2_max=sw2_max,
        critical_sw2=crit_here if math.isfinite(crit_here) else None,
        title=f"Trainable depth at σ_b² = {sb2:g}",
    )
with right:
    depth_text = {
        "undefined": "undefined at your σ_w² (no fixed point: the variance keeps growing)",
        "∞": "unbounded at your σ_w² (critical)",
        "no ξ_c limit": "not defined at your σ_w² (no exponential correlation depth scale)",
        "n/a": "not predicted for your initializer (mean-field theory does not apply)",
    }.get(shown["trainable"], f"**{shown['trainable']}** layers at your σ_w²")
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
q_chart = page.spec(
    charts.per_layer_lines,
    frame,
    y="q",
    y_title="q^l = variance of pre-activations",
    title="Length map q^l (dashed = theory)",
    dashed_series=["theory (mean field)"],
)
with left:
    page.chart(q_chart)
    page.notice(
        lesson.probe_q_claim(
            mlp.init,
            mlp.width,
            mlp.depth,
            float(measured["q"].iloc[-1]),
            float(predicted["q"].iloc[-1]),
        ).text
    )
with right:
    page.plot(
        charts.per_layer_lines,
        frame,
        y="grad_rel",
        y_title="std of dL/dz, relative to the last layer",
        title="Gradients back from the top (dashed = theory)",
        dashed_series=["theory (mean field)"],
    )
    page.notice(
        lesson.gradient_claim(
            regime,
            mlp.init,
            float(measured["grad_rel"].iloc[0]),
            float(predicted["grad_rel"].iloc[0]),
        ).text
    )
export.per_layer_export(
    "edge_of_chaos", mlp, frame, q_chart, key="p7_export", sigma_b2=sb2, sigma_w2=sw2
)
if info["overflow_layer"]:
    st.warning(f"The probe overflowed at layer {info['overflow_layer']} (shown as red marks).")
if not info["applicable"]:
    st.info(info["note"])

edge = lesson.point_regime("tanh", 1.0, 0.05).edge_sigma_w2
page.try_this(
    "Set the activation to tanh and σ_b² to 0.05. Which σ_w² puts you on the edge of chaos, "
    "and which standard initializer comes closest?",
    f"Theory puts the edge at σ_w² ≈ {page.fmt(edge)} for σ_b² = 0.05 — the black line moves "
    "right as σ_b² grows. Glorot and LeCun give σ_w² = 1 (ordered), He gives 2 (chaotic); "
    f"variance scaling with scale ≈ {page.fmt(edge)} (or orthogonal with gain "
    f"≈ {page.fmt(edge**0.5)}) sits on the line. Without bias, σ_w² = 1 — Glorot on square "
    "layers — is exactly critical for tanh (χ₁ = 1), though with q* = 0 the signal still fades "
    "polynomially with depth.",
    key="p7_try",
)
page.initializer_panel(config)
