"""Page 4: choosing the scale — Var(W) = k / n, and where LeCun, Glorot and He come from."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from explorer import charts, experiments, export, page, state
from explorer.chartspec import ChartSpec
from explorer.lessons import scale as lesson
from explorer.state import PageParam

fmt = page.fmt
MODES = lesson.MODES
DISTRIBUTIONS = lesson.DISTRIBUTIONS
MODE_LABELS = {
    "fan_in": "fan_in (inputs)",
    "fan_out": "fan_out (outputs)",
    "fan_avg": "fan_avg (their mean)",
}
PRESET_LABELS = {
    "LeCun": "LeCun · 1/fan_in",
    "Glorot": "Glorot · 2/(in+out)",
    "He": "He · 2/fan_in",
}
PARAMS = (
    PageParam("k", "p4_k", 1.0, state.nearest(lesson.K_GRID, low=1e-3, high=1e3)),
    PageParam("n", "p4_mode", "fan_avg", state.choice(*MODES)),
    PageParam("dist", "p4_dist", "normal", state.choice(*DISTRIBUTIONS)),
    PageParam(
        "fan_out",
        "p4_fan_out",
        1024,
        state.nearest(lesson.FAN_OUT_CHOICES, low=1, high=lesson.FAN_OUT_CHOICES[-1]),
    ),
)
config = page.setup(
    "Choosing the scale: Var(W) = k / n",
    icon="⚖️",
    lead=(
        "Every popular initializer draws the weights with variance **k / n**. *n* counts a "
        "layer's inputs (fan_in), its outputs (fan_out) or their mean, and *k* corrects for "
        "what the activation does to the signal. **LeCun**: 1/fan_in. **Glorot (Xavier)**: "
        "2/(fan_in + fan_out). **He (Kaiming)**: 2/fan_in. Which one fits your activation? "
        "Predict, then choose k and n below and watch every layer's variance."
    ),
    params=PARAMS,
    scope="p4",
    terms=(
        "fan_in",
        "fan_out",
        "gain",
        "sigma_w2",
        "q_l",
        "chi1",
        "edge_of_chaos",
        "mean_field",
        "receptive_field",
    ),
)
net, act, depth, width, seed = config.network, config.activation, *config.size
activation = experiments.activation_record(act)
unit = "time step" if net == "rnn" else "layer"
x_title = "Time step" if net == "rnn" else "Layer"


def apply_preset() -> None:
    """Set k and n from the clicked preset (runs before the rerun)."""
    name = st.session_state.get("p4_preset")
    if name in lesson.PRESETS:
        st.session_state["p4_k"], st.session_state["p4_mode"] = lesson.PRESETS[name]


# ---- predict first: the chart of section 1 answers -------------------------------------------
revealed = page.prediction(
    f"Which k keeps the variance constant for your activation ({activation.label})?",
    lesson.K_CHOICES,
    key="p4_predict",
    answer_index=lesson.k_choice(experiments.critical_sigma_w2(act)),
)

# ---- the page's own k / n initializer ------------------------------------------------------------
st.subheader("Your scale: Var(W) = k / n")
st.session_state["p4_preset"] = lesson.preset_of(
    st.session_state["p4_k"], st.session_state["p4_mode"]
)
st.segmented_control(
    "Named presets (they set k and n)",
    options=list(lesson.PRESETS),
    format_func=PRESET_LABELS.get,
    key="p4_preset",
    on_change=apply_preset,
    help="None highlighted: your k and n match no named preset.",
)
c1, c2, c3 = st.columns([2, 3, 1.3])
k = c1.select_slider(
    "k (log scale)",
    options=lesson.K_GRID,
    key="p4_k",
    format_func=lambda v: f"{v:.3g}",
    help="1/16 to 32 in steps of 2^(1/4). 1 = LeCun/Glorot, 2 = He.",
)
mode = c2.radio(
    "n =",
    options=MODES,
    key="p4_mode",
    format_func=MODE_LABELS.get,
    horizontal=True,
    help="Which size normalizes the variance. fan_in keeps the forward signal's scale, "
    "fan_out the backward gradient's.",
)
dist = c3.selectbox(
    "Distribution",
    options=DISTRIBUTIONS,
    key="p4_dist",
    help="Same variance either way; the uniform U(−a, a) has a = √3·std, the truncated "
    "normal is cut at ±2σ and rescaled (Keras).",
)
params = lesson.vs_params(k, mode, dist)
label = f"k = {k:.3g}"
shape = experiments.hidden_shape(net, width)
fan_in, fan_out = lesson.compute_fans(shape)
scale = lesson.scale_of("variance_scaling", shape, **dict(params))
user_k = experiments.init_sigma_w2(net, config.init, config.init_params, width)
n_value = lesson.fan_n(shape, mode)
# Two lines (the variance, then the std and the uniform bound): it fits a phone's column.
page.latex(
    rf"\operatorname{{Var}}(W) = \frac{{k}}{{n}} = \frac{{{k:.3g}}}{{{n_value:g}}}"
    rf" = {scale.std**2:.4g}, \qquad \sigma_W = {scale.std:.4g}"
    + (rf", \quad a = \sqrt{{3}}\,\sigma_W = {scale.bound:.4g}" if scale.bound else "")
)
st.caption(
    f"Your hidden layers are {' × '.join(map(str, shape))} (fan_in = {fan_in}, fan_out = "
    f"{fan_out}){': a 3×3 kernel counts 9 inputs per channel' if net == 'cnn' else ''}. "
    "Square layers make the three choices of n identical — section 3 shows a layer where "
    "they differ."
)

# ---- 1. predicted vs measured --------------------------------------------------------------------
st.subheader("1 · Predicted vs measured variance, layer by layer")
inits = [(label, "variance_scaling", params)]
same_k = math.isclose(user_k, k, rel_tol=1e-9)
if not same_k:
    inits.append(("sidebar init", config.init, config.init_params))


def measure_profile() -> pd.DataFrame:
    """Section 1's per-layer variance (measured when shown, after the reveal, or exported)."""
    with st.spinner("Measuring the per-layer variance…"):
        return lesson.variance_profile(config.net, tuple(inits))


def profile_chart() -> ChartSpec:
    """Section 1's chart (built when drawn or exported, never before the reveal)."""
    profile = measure_profile()
    theory_series = [s for s in profile["series"].unique() if s.endswith("theory")]
    return page.spec(
        charts.per_layer_lines,
        profile,
        y="variance",
        y_title="Var(z) of the pre-activations (log)",
        x_title=x_title,
        dashed_series=theory_series,
        title="Measured at initialization"
        + (" (solid) · mean-field theory (dashed)" if theory_series else ""),
    )


if revealed:
    # The page's own k: measured for the numbers under the chart and section 2's notice, both
    # shown only after the reveal.
    stats = experiments.layer_stats(config.net, "variance_scaling", params)
    fwd, bwd = lesson.growth_factors(stats)
    profile = measure_profile()
    page.chart(profile_chart())
    mine = profile[(profile["label"] == label) & (profile["kind"] == "measured")]
    mine_theory = profile[(profile["label"] == label) & (profile["kind"] == "theory")]
    var_first, var_last = float(mine["variance"].iloc[0]), float(mine["variance"].iloc[-1])
    if same_k:
        sidebar_text = (
            f" Your sidebar initializer ({config.init_label}) is k = {fmt(user_k)} on these "
            "layers too, so it is not drawn separately."
        )
    else:
        sidebar_rows = profile[
            (profile["label"] == "sidebar init") & (profile["kind"] == "measured")
        ]
        sidebar_text = (
            f" “sidebar init” is your {config.init_label}, k = {fmt(user_k)} on these layers: "
            f"**{fmt(float(sidebar_rows['variance'].iloc[-1]))}** at {unit} {depth}."
        )
    if len(mine_theory):
        pred_last = float(mine_theory["variance"].iloc[-1])
        ratio = experiments.safe_ratio(var_last, pred_last)
        notes = [
            f"With k = {k:.3g}, Var(z) goes from **{fmt(var_first)}** at layer 1 to "
            f"**{fmt(var_last)}** at layer {depth}; theory predicts **{fmt(pred_last)}** "
            f"(measured ÷ predicted = {fmt(ratio)})."
        ]
        if math.isfinite(ratio) and abs(math.log(ratio)) > 0.15:
            notes.append(
                lesson.theory_gap_claim(
                    net, width, ratio, lesson.seed_ratios(config.net, params)
                ).text
            )
        page.notice("".join(notes) + sidebar_text)
        why = lesson.why_differs(net, act, fan_in * scale.std**2, stats, unit)
        if why is not None:
            with st.container(border=True):
                st.markdown(why.text)
    else:
        page.notice(
            f"With k = {k:.3g}, Var(z) goes from **{fmt(var_first)}** at {unit} 1 to "
            f"**{fmt(var_last)}** at {unit} {depth}. No theory line: the mean-field recursion "
            "drawn here is for stacked dense layers; "
            + (
                "an RNN adds fresh input at every step and reuses one matrix (page 5)."
                if net == "rnn"
                else "a residual MLP adds each block's output to its input, so the variance "
                "accumulates (page 5)."
            )
            + sidebar_text
        )
    m1, m2, m3 = st.columns(3)
    m1.metric(f"Var(z), {unit} {depth}", fmt(var_last), help=f"Measured, k = {k:.3g}, n = {mode}.")
    fwd_label, fwd_value, fwd_std = lesson.forward_metric(fwd, unit)
    m2.metric(
        fwd_label,
        fwd_value,
        delta=fwd_std or None,
        delta_color="off",
        delta_arrow="off",
        help="Geometric mean of Var(z) in layer l over layer l−1: 1 keeps the signal's scale. "
        "The std factor below it is its square root, the factor Home talks about.",
    )
    m3.metric(
        "Your sidebar initializer as k",
        fmt(user_k),
        help=f"{config.init_label}: fan_in · Var(W) = {fmt(user_k)} — the k it corresponds to on "
        "these layers.",
    )
else:
    st.caption("The per-layer variance chart and its numbers appear after your prediction.")
export.per_layer_export(
    "choosing_scale",
    config,
    measure_profile,
    profile_chart,
    key="p4_export",
    k=k,
    fan_mode=mode,
    distribution=dist,
    layer_unit=unit,
)

# ---- 2. the edge -------------------------------------------------------------------------
st.subheader("2 · The edge: where the per-layer variance factor crosses 1")
if depth < 2:
    st.info("A per-layer factor needs at least 2 layers: raise the depth in the sidebar.")
elif page.after_reveal(revealed, "The k sweep and its crossing point"):
    with st.spinner("Sweeping k…"):
        sweep = lesson.edge_sweep(net, act, mode, dist, depth, width, seed)
    edge = lesson.critical_k(act)
    stacked = net in lesson.THEORY_NETWORKS
    marks = [{"k": k, "label": f"your k = {k:.3g}"}]
    if stacked and math.isfinite(edge) and lesson.K_SWEEP[0] <= edge <= lesson.K_SWEEP[-1]:
        marks.insert(0, {"k": edge, "label": f"edge of chaos k = {edge:.3g}"})
    page.plot(
        charts.growth_sweep,
        sweep,
        pd.DataFrame(marks),
        title=f"{activation.label}, {depth} {unit}s of {width}: dots measured"
        + (", dashed theory" if stacked else ""),
    )
    page.notice(lesson.edge_sweep_claim(net, act, sweep, k, fwd, bwd, unit).text)
    st.markdown(
        "Why 1 and 2: near z = 0, tanh behaves like the identity (f′(0) = 1), so it needs "
        "k = 1/E[f′(z)²] = 1 — LeCun's and Glorot's k. ReLU passes half of its inputs with "
        "f′ = 1 and zeroes the rest: E[f′(z)²] = ½, so k = 2 — He's. Below the edge every "
        "layer shrinks the gradients' mean square (vanishing); above it every layer grows it "
        "(exploding)."
    )

# ---- 3. forward vs backward on a non-square layer ---------------------------------------------
st.subheader("3 · Forward or backward? fan_in vs fan_out on a non-square layer")
st.markdown(
    "The forward pass multiplies the activation variance by **fan_in · Var(W)** per layer, the "
    "backward pass multiplies the gradient variance by **fan_out · Var(W)** (times the "
    "activation's own variance factor in both; the std factors are the square roots). Only a "
    "square layer can make both equal to k; otherwise pick which to preserve — or, like "
    "Glorot, compromise with the mean."
)
out_width = st.select_slider(
    f"A dense layer from your {width} units to … outputs",
    options=lesson.FAN_OUT_CHOICES,
    key="p4_fan_out",
    help="fan_out of the example layer, 16 to 4096 (only this table uses it).",
)
table = lesson.fan_mode_table(width, out_width, mine=(k, mode))
page.table(
    table,
    column_config=page.number_formats(
        {
            "std": "%.4g",
            "uniform bound a": "%.4g",
            "forward fan_in·Var": "%.3g",
            "backward fan_out·Var": "%.3g",
        }
    ),
)
page.notice(lesson.fan_mode_claim(width, out_width, table).text)
page.correction(lesson.he_correction_claim(width, out_width, table).text)

# ---- 4. activation -> initializer -----------------------------------------------------------
st.subheader("4 · Which scale for which activation")
# Its k and edge columns answer the question above: the table comes after the reveal.
if page.after_reveal(revealed, "The activations' gains and edges"):
    with st.spinner("Computing the activation table…"):
        guide = lesson.activation_guide()
    page.table(
        guide,
        column_config=page.number_formats(
            {
                "gain": "%.4g",
                "k = gain²": "%.3g",
                "χ₁ at k = gain²": "%.3g",
                "edge k (χ₁ = 1)": "%.3g",
            }
        ),
        placeholder="none found",  # the only missing values: an edge of chaos that does not exist
    )
    row = guide.set_index("activation").loc[activation.label]
    page.notice(
        f"For {activation.label}: gain {row['gain']:.4g}, so Var(W) = "
        f"{row['k = gain²']:.3g}/fan_in and χ₁ = {row['χ₁ at k = gain²']:.3g} at zero bias"
        + (
            f"; the edge is at k = {row['edge k (χ₁ = 1)']:.3g}."
            if math.isfinite(row["edge k (χ₁ = 1)"])
            else f"; {lesson.edge_claim(act).text}"
        )
        + " The gains of PyTorch's calculate_gain are rules of thumb for the forward pass; the "
        "edge is the k at which χ₁ = 1: the gradients' mean square is not multiplied away "
        "exponentially (page 7)."
    )

page.try_this(
    "Choose **ReLU** in the sidebar and the **LeCun** preset (k = 1). By how much does Var(z) "
    "shrink per layer, and after how many layers is it 1/1000 of layer 1's?",
    "ReLU keeps only the positive half of each pre-activation, so E[f(z)²] = Var(z)/2 and every "
    "layer multiplies the variance by k/2 = 0.5 (the std by √0.5 ≈ 0.707; the forward variance "
    "factor metric shows it). 0.5¹⁰ ≈ 1/1000, so 10 layers suffice. He's k = 2 makes the "
    "variance factor (and so the std factor) exactly 1: that is where the 2 in 2/fan_in comes "
    "from.",
    key="p4",
)
page.initializer_panel(config)
