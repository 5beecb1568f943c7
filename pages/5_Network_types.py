"""Network type: orthogonal, CNN, RNN, residual (and LSUV as the data-driven alternative).

Recipe: setup -> page widgets -> one tab per network type (only the open tab computes) ->
cached compute -> chart -> what to notice -> metrics -> try this -> initializer panel.
"""

from __future__ import annotations

import math

import streamlit as st

from explorer import charts, claims, export, page, state
from explorer.lessons import network_types as lesson

TABS = {
    "mlp": "Orthogonal weights (MLP)",
    "cnn": "CNN: fans and delta-orthogonal",
    "rnn": "RNN: through time",
    "resmlp": "Residual: the identity path",
}
LSUV_TAB = "LSUV: data-driven"
ALPHA_RANGE = (0.0, 2.0)


#: The residual branch scale, snapped to its slider's 0.05.
PARAMS = (
    state.PageParam(
        "alpha", "p5_alpha", 1.0, state.snapped(low=ALPHA_RANGE[0], high=ALPHA_RANGE[1], step=0.05)
    ),
)
config = page.setup(
    "Network type: orthogonal, CNN, RNN, residual",
    icon="🧱",
    lead=(
        "Getting the variance right (Var(W) = k / fan_in) is only half the story: the network's "
        '*structure* changes what "right" means. An orthogonal matrix keeps the length of every '
        "direction, a convolution's fan-in includes its 3×3 window, a recurrent net applies the "
        "same matrix at every time step, and a residual net adds a shortcut around every block. "
        "Each tab shows one of them with your sidebar settings; the tab of your network type "
        "opens first."
    ),
    params=PARAMS,
    scope="p5",
    terms=(
        "fan_in",
        "receptive_field",
        "dynamical_isometry",
        "spectral_radius",
        "sigma_w2",
        "chi1",
        "edge_of_chaos",
        "lsuv",
    ),
)

page.correction(
    "The tutorial lists orthogonal initialization under CNNs. It comes from deep *linear* "
    "networks and RNNs (Saxe, McClelland & Ganguli 2013): an orthogonal matrix has every "
    "singular value equal to 1, so a product of them does too. A convolution's analogue is "
    "*delta-orthogonal* (Xiao et al. 2018): a kernel that is zero except for an orthogonal "
    "matrix at its centre tap — see the CNN tab."
)

if st.session_state.get("_p5_network") != config.network or "p5_tab" not in st.session_state:
    st.session_state["p5_tab"] = TABS[config.network]
    st.session_state["_p5_network"] = config.network
tab_mlp, tab_cnn, tab_rnn, tab_res, tab_lsuv = st.tabs(
    [*TABS.values(), LSUV_TAB], key="p5_tab", on_change="rerun"
)

# ---------------------------------------------------------------------------------------------
with tab_mlp:
    if tab_mlp.open:
        mlp = state.with_network(config, "mlp")
        depth, width = lesson.spectrum_size(mlp.depth, mlp.width)
        page.override_note(
            config,
            width=width,
            why=f"the Jacobian product costs depth × width³, so the spectrum stays fast at depth "
            f"{depth} with fewer units",
        )
        series = lesson.spectrum_series(mlp.activation, mlp.init, mlp.init_params, width)
        with st.spinner("Computing Jacobian spectra…"):
            hist, summary = lesson.jacobian_spectra(mlp.activation, series, depth, width, mlp.seed)
        compared = lesson.spectrum_comparison_claim(
            mlp.activation, mlp.init, mlp.init_params, width
        )
        st.markdown(
            "Backpropagation multiplies the gradient by the input–output Jacobian "
            "J = ∏ D_l W_l (D_l = diag f′(z_l)). A variance-preserving init fixes only the "
            "**mean** of J's squared singular values; their **spread** decides whether some "
            "directions vanish while others explode. Below: your initializer next to "
            "orthogonal weights (and Gaussian ones) of the **same** σ_w² = fan_in·Var(W)"
            " — " + compared.text + "."
        )
        cols = st.columns(len(summary))
        for col, row in zip(cols, summary.itertuples(), strict=True):
            if row.overflow_layer > 0:
                value = f"overflow at layer {row.overflow_layer}"
            elif row.zero_fraction >= 1.0:
                value = "J = 0"
            else:
                value = f"{row.spread:.2f} decades"
            col.metric(
                f"Spectrum width · {row.series}",
                value,
                delta=f"rank {round((1 - row.zero_fraction) * width)} of {width}: J lost rank"
                if 0.05 < row.zero_fraction < 1.0
                else None,
                delta_color="inverse",
                delta_arrow="off",
                help="Powers of ten between the 10th and 90th percentile of the non-zero "
                "singular values of J. 0 = perfect dynamical isometry (all equal).",
            )
        page.plot(
            charts.spectrum,
            hist,
            title=f"Singular values of J: {depth}-layer {mlp.activation} MLP, {width} units",
            height=360,
        )
        text = lesson.spectrum_notice_claim(summary, width).text
        page.notice(text)
        if mlp.activation in ("relu", "leaky_relu"):
            st.caption(
                "ReLU sets about half of f′(z) to exactly 0 in every layer, so J loses rank "
                "whatever the weights: orthogonal ReLU nets cannot reach dynamical isometry "
                "(Pennington et al. 2017)."
            )
        page.try_this(
            "Switch the activation to **Linear** in the sidebar, then raise the depth. How wide "
            "is the orthogonal spectrum, and how wide the Gaussian one?",
            lesson.spectrum_answer_claim(summary, mlp.activation).text,
            key="p5_ortho",
        )

# ---------------------------------------------------------------------------------------------
with tab_cnn:
    if tab_cnn.open:
        cnn = state.with_network(config, "cnn")
        c = cnn.width
        fans = lesson.cnn_fan_table(c)
        st.markdown(
            f"A 3×3 convolution with c = {c} input channels sums over 3·3·{c} = {9 * c} inputs "
            "for every output: its **fan_in = kh·kw·c_in**, and fan_out = kh·kw·c_out. Every "
            "variance-scaling formula must use these fans; with the dense fan c the std is "
            "3× too large and the variance grows 9× per layer."
        )
        he = fans[fans["scheme"].str.startswith("He")].iloc[0]
        m1, m2, m3 = st.columns(3)
        m1.metric(
            f"fan_in of a 3×3 conv, c = {c}",
            f"{int(he.fan_in_conv)}",
            help=claims.GLOSSARY["fan_in"],
        )
        m2.metric(
            "He std with the right fan",
            f"{he.std_conv:.4f}",
            help="√(2 / fan_in) with fan_in = 3·3·c.",
        )
        m3.metric(
            "He std if the 3×3 is forgotten",
            f"{he.std_dense:.4f}",
            delta=f"{he.ratio:.0f}× too large",
            delta_color="inverse",
            help="√(2 / c): the dense layer's fan, which ignores the 3×3 window.",
        )
        page.table(
            fans.rename(
                columns={
                    "scheme": "scheme",
                    "fan_in_dense": "fan_in (dense, c)",
                    "fan_in_conv": "fan_in (conv, 9c)",
                    "std_dense": "std with c",
                    "std_conv": "std with 9c",
                    "ratio": "std ratio",
                    "variance_growth": "variance × per layer",
                }
            ),
            hide_index=True,
            width="stretch",
        )
        series = lesson.cnn_series(cnn.activation, cnn.init, cnn.init_params, c)
        with st.spinner("Probing the CNN…"):
            frame = lesson.cnn_layer_stats(cnn.activation, series, cnn.depth, c, cnn.seed)
        summary = lesson.series_summary(frame, ends=True)
        cnn_act, cnn_grad = lesson.cnn_claims(summary, cnn.depth)
        cnn_chart, cnn_grad_chart = page.forward_backward_charts(
            frame,
            x_title="Conv layer",
            titles=(
                f"Activations: {cnn.depth} conv layers, {c} channels",
                "Gradients (injected at the top layer)",
            ),
            y_titles=("std of activations", "std of dL/dz"),
        )
        with st.container():
            page.chart(cnn_chart, cnn_act.text)
        with st.container():
            page.chart(cnn_grad_chart, cnn_grad.text)
        st.caption(
            "**Delta-orthogonal** (Xiao et al. 2018): every tap of the 3×3 kernel is zero except "
            "the centre, which holds a c_in × c_out orthogonal matrix, so the conv acts on every "
            "pixel like an orthogonal dense layer and preserves the norm exactly. "
            + lesson.delta_orthogonal_claim(cnn.activation).text
            + f" Probe: {lesson.cnn_size(cnn.depth, c)}×{lesson.cnn_size(cnn.depth, c)} images, "
            f"batch {lesson.CNN_BATCH}, zero padding — "
            "border pixels see fewer than 9 inputs, which lowers the variance of Gaussian "
            "kernels slightly at every layer."
        )
        export.per_layer_export(
            "network_types_cnn",
            cnn,
            frame,
            cnn_chart,
            key="p5_cnn_export",
            channels=c,
            layer_unit="conv layer",
        )
        page.try_this(
            "Set the activation to **Linear**. Which line stays perfectly flat, and how fast "
            "does the '3×3 forgotten' one grow?",
            "Delta-orthogonal stays at the input's std in every layer (an orthogonal matrix "
            "per pixel, untouched by the zero padding). The dense fan c makes Var(W) 9× too "
            "large, so the std grows about 3× per layer: 3^L after L layers. Gaussian kernels "
            "with the right fan 9c stay near 1 but drift down a little at the image border.",
            key="p5_cnn",
        )

# ---------------------------------------------------------------------------------------------
with tab_rnn:
    if tab_rnn.open:
        rnn = state.with_network(config, "rnn")
        own = config.network == "rnn"
        steps = rnn.depth if own else lesson.RNN_DEFAULT_STEPS
        hidden, _ = lesson.rnn_size(steps, rnn.width if own else min(rnn.width, 128))
        series = lesson.rnn_series(rnn.init, rnn.init_params)
        st.markdown(
            "A recurrent net applies the **same** W_hh at every step: "
            "h_t = f(x_t W_xh + h_{t−1} W_hh). Backpropagating through T steps multiplies the "
            "gradient by W_hhᵀ (and by f′) T times, so the spectral radius ρ of W_hh — its "
            "largest |eigenvalue| — decides: ρ < 1 vanishes like ρ^T, ρ > 1 explodes. "
            "Orthogonal and identity W_hh have ρ = 1 and every singular value 1."
        )
        if not own:
            page.override_note(
                config,
                depth=steps,
                width=hidden,
                why=f"an RNN's depth is its time steps ({steps} here) and its width its hidden "
                f"units ({hidden}); choose RNN as the network type in the sidebar to set your own",
            )
        else:
            page.override_note(
                config,
                width=hidden,
                why=f"this comparison runs {2 * len(series)} unrolled RNNs, so it caps the "
                "hidden units to stay fast",
            )
        with st.spinner("Unrolling the RNN…"):
            frame, summary = lesson.rnn_through_time(
                rnn.activation, series, steps, hidden, rnn.seed
            )
            lin_frame, lin_summary = lesson.rnn_through_time(
                "linear", series, steps, hidden, rnn.seed
            )
        x_title = f"Time step t (gradient injected at step {steps})"
        mine = summary.iloc[0]
        ortho = lesson.orthogonal_row(summary, 1.0)
        rnn_chart, lin_chart = (
            page.spec(
                charts.per_layer_lines,
                through_time,
                y="grad_std",
                y_title="std of dL/dz_t",
                x_title=x_title,
                title=title,
                height=300,
            )
            for through_time, title in (
                (frame, f"Your activation ({rnn.activation}): ρ and f′ together"),
                (lin_frame, "Linear RNN: ρ alone"),
            )
        )
        if rnn.activation != "linear":
            page.chart(rnn_chart)
            lin_mine = lin_summary.iloc[0]
            page.notice(
                lesson.rnn_activation_claim(
                    rnn.activation,
                    steps,
                    (mine.series, mine.grad_first, mine.grad_last),
                    None
                    if mine.series == ortho.series
                    else (ortho.series, ortho.grad_first, ortho.grad_last),
                    (lin_mine.grad_first, lin_mine.grad_last),
                ).text
            )
        page.chart(lin_chart, lesson.rnn_linear_claim(lin_summary, steps).text)
        m1, m2, m3 = st.columns(3)
        m1.metric(
            f"ρ(W_hh), {mine.series}",
            f"{mine.spectral_radius:.3f}",
            help=claims.GLOSSARY["spectral_radius"],
        )
        m2.metric(
            f"σ_max(W_hh), {mine.series}",
            f"{mine.sigma_max:.3f}",
            help="The largest singular value of W_hh: the most one step can stretch a vector.",
        )
        m3.metric(
            f"Gradient at step 1 ÷ step {steps} ({rnn.activation})",
            "overflow" if mine.overflow_step > 0 else page.fmt(mine.ratio),
            help="std of the gradient that reaches the first step over the one injected at the "
            "last: below 1 it vanished through time, above 1 it exploded.",
        )
        table = summary[["series", "spectral_radius", "sigma_max", "ratio"]].rename(
            columns={
                "series": "recurrent init",
                "spectral_radius": "ρ(W_hh)",
                "sigma_max": "σ_max(W_hh)",
                "ratio": f"grad step 1 ÷ step {steps} ({rnn.activation})",
            }
        )
        if rnn.activation != "linear":
            table[f"grad step 1 ÷ step {steps} (linear)"] = lin_summary["ratio"].to_numpy()
        page.table(
            table,
            hide_index=True,
            width="stretch",
            column_config={
                name: st.column_config.NumberColumn(format="%.3g") for name in table.columns[1:]
            },
        )
        if rnn.activation != "linear":
            st.caption(
                f"With {rnn.activation}, every step also multiplies by f′(z_t) — below 1 for "
                "saturating units, 0 for dead ReLUs — so ρ = 1 is necessary but not sufficient. "
                "Identity W_hh with ReLU is the IRNN of Le, Jaitly & Hinton (2015)."
            )
        gauss = lin_summary[lin_summary["init"] == "glorot_normal"].iloc[-1]
        gauss_grad = lin_frame[lin_frame["series"] == gauss.series]["grad_std"].to_numpy()
        export.per_layer_export(
            "network_types_rnn",
            rnn,
            lesson.rnn_export_frame(frame, lin_frame, rnn.activation),
            rnn_chart,
            key="p5_rnn_export",
            time_steps=steps,
            hidden_units=hidden,
            layer_unit="time step",
        )
        page.try_this(
            "A Gaussian W_hh with Var = 1/n (Glorot normal on a square matrix) has ρ close to 1 "
            "as well. Why does its gradient still drift away from 1 in the linear RNN?",
            lesson.rnn_drift_claim(
                gauss.series, gauss.spectral_radius, gauss.sigma_max, gauss_grad, steps
            ).text,
            key="p5_rnn",
        )

# ---------------------------------------------------------------------------------------------
with tab_res:
    if tab_res.open:
        res = state.with_network(config, "resmlp")
        alpha = st.slider(
            "Residual branch scale α",
            min_value=ALPHA_RANGE[0],
            max_value=ALPHA_RANGE[1],
            step=0.05,
            key="p5_alpha",
            help="h_l = h_{l−1} + α·f(h_{l−1} W_l). 0 (ReZero/Fixup: every block starts as the "
            "identity) to 2. In the link as `alpha`.",
        )
        st.markdown(
            "A residual block adds its input back: h_l = h_{l−1} + α·f(h_{l−1} W_l). The "
            "identity path carries signal and gradient through any depth — but every block "
            "also **adds** its branch's variance, so with α = 1 the stream keeps growing. "
            "Fixup (Zhang et al. 2019) and ReZero (Bachlechner et al. 2020) start with the "
            "branch at zero (α = 0): every block is exactly the identity at initialization."
        )
        frame = lesson.residual_compare(
            res.net,
            res.init,
            res.init_params,
            alpha,
        )
        plain = frame[frame["series"] == "Plain MLP"]
        resid = frame[frame["series"] != "Plain MLP"]
        summary = lesson.series_summary(frame, ends=True).set_index("series")
        left, right = st.columns(2)
        res_chart, res_grad_chart = page.forward_backward_charts(
            frame,
            x_title="Layer / block",
            titles=(
                f"Forward: {res.depth} layers of {res.width} units",
                "Backward: gradient injected at the top",
            ),
            y_titles=("std of activations (the stream)", "std of dL/dz (branch input)"),
        )
        with left:
            page.chart(res_chart)
            p_row, r_row = summary.loc["Plain MLP"], summary.iloc[1]
            text = (
                f"After {res.depth} layers the plain MLP's std is "
                + lesson.signal_words(p_row.act_first, p_row.act_last, p_row.act_factor)
                + " and the residual stream's "
                + lesson.signal_words(r_row.act_first, r_row.act_last, r_row.act_factor, "block")
                + "."
            )
            if alpha == 0:
                text += " With α = 0 every block is the identity: the stream is the input itself."
            elif alpha > 1.5 / math.sqrt(res.depth) and r_row.act_last > 2.0 * r_row.act_first:
                text += (
                    f" Try α = 1/√{res.depth} ≈ {1 / math.sqrt(res.depth):.2f}: the stream's "
                    "variance then stays within a constant factor however deep the net is."
                )
            page.notice(text)
        with right:
            page.chart(res_grad_chart)
            if alpha == 0:
                page.notice(
                    "With α = 0 the branches receive exactly zero gradient (marked as "
                    "underflow): only α itself learns at first — that is how ReZero starts. "
                    "The plain MLP's gradient at layer 1 is "
                    + lesson.grad_share_words(p_row.grad_first, p_row.grad_last)
                    + "."
                )
            else:
                page.notice(
                    "The gradient reaching layer 1 is "
                    + lesson.grad_share_words(p_row.grad_first, p_row.grad_last)
                    + " in the plain MLP and "
                    + lesson.grad_share_words(r_row.grad_first, r_row.grad_last)
                    + " in the residual net, where the identity path adds the top gradient to "
                    "every block's."
                )
        m1, m2 = st.columns(2)
        m1.metric(
            "Plain MLP: last-layer std",
            page.fmt(float(plain["act_std"].iloc[-1])),
            help="std of the last layer's activations without skip connections.",
        )
        m2.metric(
            f"Residual (α = {alpha:g}): last-block std",
            page.fmt(float(resid["act_std"].iloc[-1])),
            help="std of the residual stream after the last block, h = h + α·f(z).",
        )
        export.per_layer_export(
            "network_types_residual", res, frame, res_chart, key="p5_res_export", alpha=alpha
        )
        page.try_this(
            f"With α = 1 the residual stream grows. What α keeps its std below 2 after "
            f"{res.depth} blocks?",
            f"Roughly α ≈ 1/√L = {1 / math.sqrt(res.depth):.2f}: each block adds about "
            "α²·(branch variance), so the stream's variance is ≈ (1 + c·α²)^L, bounded when "
            "α² ~ 1/L. This is the depth-dependent rescaling behind Fixup.",
            key="p5_res",
        )

# ---------------------------------------------------------------------------------------------
with tab_lsuv:
    if tab_lsuv.open:
        kind, depth, width = lesson.lsuv_size(config.network, config.depth, config.width)
        net = state.with_network(config, kind)
        page.override_note(
            config,
            depth=depth,
            width=width,
            network=kind,
            why=f"LSUV re-runs the forward pass for every rescaling, so the demo caps the net at "
            f"{lesson.LSUV_MAX_DEPTH} layers and {lesson.LSUV_MAX_WIDTH} units "
            f"({lesson.LSUV_MAX_CHANNELS} channels), and an RNN is shown as an MLP (one rescale "
            "per layer is not defined for a reused W_hh)",
        )
        with st.spinner("Running LSUV…"):
            report, std = lesson.lsuv_compare(
                state.Net(kind, net.activation, depth, width, net.seed), net.init, net.init_params
            )
        st.markdown(
            "**Layer-sequential unit variance** (Mishkin & Matas 2015) needs no formula: start "
            "from orthogonal weights, push one batch of real inputs through, and rescale each "
            "layer's weights, input to output, until the variance of its pre-activation is "
            "1 ± 0.1. It adapts to any activation, fan convention or architecture."
        )
        m1, m2, m3 = st.columns(3)
        m1.metric("Rescalings in total", int(report["iterations"].sum()))
        m2.metric("Layers at Var(z) = 1 ± 0.1", f"{int(report['converged'].sum())} / {len(report)}")
        m3.metric(
            "Largest |Var(z) − 1| after LSUV",
            page.fmt(float((report["variance_after"] - 1).abs().max())),
        )
        page.plot(
            charts.per_layer_lines,
            std,
            y="preact_std",
            y_title="std of pre-activations z",
            x_title="Layer (last = output)",
            title=f"{state.NETWORK_LABELS[kind]}, {depth} layers, width {width}",
        )
        page.notice(lesson.lsuv_claim(report, std, net.init_label).text)
        page.table(
            report.rename(
                columns={
                    "name": "layer name",
                    "iterations": "rescalings",
                    "variance_before": "Var(z) before",
                    "variance_after": "Var(z) after",
                }
            ),
            hide_index=True,
            width="stretch",
        )
        st.caption("Inputs: a batch of N(0, 1) samples.")
        page.try_this(
            "Pick an activation no textbook formula was derived for (GELU, SiLU or ELU) and an "
            "initializer that is off for it. Does LSUV still reach Var(z) = 1 everywhere?",
            "Yes: it measures instead of predicting, so one or two rescalings per layer reach "
            "the target whatever the activation — the table's 'rescalings' column shows how "
            "many each layer needed.",
            key="p5_lsuv",
        )

page.initializer_panel(config)
