"""Playground: train several initializers side by side on the same data with the same seed."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from explorer import charts, chartspec, experiments, export, live, page, sidebar, state
from explorer.lessons import playground as lesson

RESULTS = "_pg6_results"  # the last comparison trained in this session
widget = sidebar.playground_widget  # draws a setting's widget, seeded from the valid settings


def boundaries(items: list, points, n_classes: int) -> None:  # noqa: ANN001
    """Decision maps two per row: (title, grid) pairs over the same sample of points."""
    cols = st.columns(2)
    for i, (title, grid) in enumerate(items):
        with cols[i % 2]:
            page.plot(
                charts.decision_boundary,
                grid,
                points,
                n_classes=n_classes,
                title=title,
                height=300,
            )


def draw_live(slots: live.Slots, progress: live.LiveProgress) -> None:
    """Redraw the training view in place: step counter, curves, gradient norms, maps."""
    views = [v for v in (lesson.live_view(r) for r in progress.runs) if v is not None]
    total = progress.total
    slots.progress(
        "status",
        progress.step / max(total, 1),
        f"Training: step {progress.step} of {total} "
        f"({len(progress.runs)} initializers, redrawn every {progress.size} steps). "
        "**⏹ Stop** keeps what has trained so far.",
    )
    if not views:
        return
    curves, diverged = lesson.playground_curves(views, limit=live.LIVE_POINTS)
    score_name = "accuracy" if views[0].task == "classification" else "R²"
    with slots.container("curves"):
        left, right = st.columns(2)
        low, high, _ = lesson.loss_domain(curves, views[0].baseline)
        left.vega_lite_chart(
            spec=chartspec.fresh(
                live.live_curves,
                curves,
                diverged,
                y="loss",
                y_title="training loss (batch)",
                log=True,
                total=total,
                height=260,
                title="Loss",
                y_domain=(low, high),
            ),
            width="stretch",
        )
        right.vega_lite_chart(
            spec=chartspec.fresh(
                live.live_curves,
                curves,
                diverged,
                y="score",
                y_title=f"{score_name} (batch)",
                log=False,
                total=total,
                height=260,
                title=score_name.capitalize(),
            ),
            width="stretch",
        )
    grads = lesson.playground_grad_frame(views, limit=live.LIVE_POINTS // 4)
    shown = activation_choice(progress)
    # Gradient norms and activations side by side (stacked on a phone).
    with slots.container("layers"):
        left, right = st.columns(2)
        with left:  # one panel per initializer, each as wide as its column
            live.grad_panels(
                grads,
                [v.label for v in views],
                layer_order=list(views[0].history.layer_names),
                domain=lesson.log_color_domain(grads["log10_norm"]),
                height=110,
                per_row=2,
            )
        if shown is not None:
            right.vega_lite_chart(
                spec=chartspec.fresh(
                    live.activation_bands,
                    live.activation_frame([(shown.label, shown.probe)]),
                    total=total,
                    title=f"Activations per hidden layer, {shown.label}",
                ),
                width="content",
            )
    if views[0].grid is not None:
        with slots.container("maps"):
            spec = progress.runs[0].spec
            points = lesson.playground_points(spec.dataset, spec.n, spec.net.seed, limit=100)
            n_classes = lesson.n_outputs_of(spec.dataset, **dict(spec.options))
            cols = st.columns(2)
            for i, view in enumerate(views):
                cols[i % 2].vega_lite_chart(
                    spec=chartspec.fresh(
                        charts.decision_boundary,
                        view.grid,
                        points,
                        n_classes=n_classes,
                        title=view.label,
                        height=220,
                    ),
                    width="stretch",
                )


def activation_choice(progress: live.LiveProgress) -> live.LiveRun | None:
    """The run whose activations are shown: the one picked below the results, else the first."""
    picked = st.session_state.get("pg6_act_init")
    started = [r for r in progress.runs if r.probe is not None]
    return next((r for r in started if r.spec.init == picked), started[0] if started else None)


# ---- settings: URL on the first visit, then the widgets (read before setup rewrites the URL) --
settings, problems = sidebar.playground_settings()

config = page.setup(
    "Playground: train and compare",
    icon="🏋️",
    lead=(
        "Same data, same seed, several initializers side by side. Pick a data set and the "
        "initializers to compare, press **Train**, and watch which ones learn, how fast, and "
        "which stall or diverge. The sidebar's network type, activation and initializer "
        "(with its parameters) are used; the playground trains a smaller network of its own "
        "size so that a comparison takes seconds on a shared server."
    ),
    extra_query=settings.to_query(),
    terms=("fan_in", "fan_out", "gain", "clipping", "saturation", "symmetry"),
)
for message in problems.values():  # only on the page's first visit
    st.warning(f"Link parameter ignored: {message}", icon="⚠️")

preset = state.PLAYGROUND_PRESETS[config.network]
spec = lesson.DATASETS[settings.dataset]
classification = spec.task == "classification"

# ---- the page's controls ---------------------------------------------------------------------
with st.container(border=True):
    left, right = st.columns([1, 2])
    with left:
        widget(
            st.selectbox,
            "data",
            settings.dataset,
            "Data set",
            options=list(state.playground_datasets(config.network)),
            format_func=lambda n: lesson.DATASETS[n].label,
            help="The data sets whose inputs fit the sidebar's network type: 2-D points for "
            "MLPs, 16x16 images for the CNN, sequences for the RNN.",
        )
    with right:
        widget(
            st.multiselect,
            "inits",
            settings.inits,
            "Initializers to compare",
            options=list(lesson.supported_inits(config.network)),
            format_func=lambda n: experiments.initializer_label(n),
            max_selections=state.PLAYGROUND_MAX_INITS,
            help=f"Up to {state.PLAYGROUND_MAX_INITS}. Your sidebar initializer uses your "
            "parameters; the others use their defaults.",
        )
    st.caption(f"**{spec.label}** ({preset.n} samples): {spec.description}")
    c1, c2, c3, c4, c5 = st.columns(5)
    with c1:
        widget(
            st.radio,
            "optimizer",
            settings.optimizer,
            "Optimizer",
            options=["sgd", "momentum", "adam"],
            format_func={"sgd": "SGD", "momentum": "Momentum 0.9", "adam": "Adam"}.get,
            horizontal=True,
        )
    with c2:
        widget(
            st.select_slider,
            "lr",
            settings.lr,
            "Learning rate",
            options=list(state.PLAYGROUND_LRS),
            format_func=lambda v: f"{v:g}",
        )
    with c3:
        widget(
            st.slider,
            "steps",
            settings.steps,
            "Training steps",
            min_value=10,
            max_value=preset.steps_max,
            step=10,
            help=f"10 to {preset.steps_max} for this network type (a limit that keeps a shared "
            "server responsive).",
        )
    with c4:
        widget(
            st.select_slider,
            "batch",
            settings.batch,
            "Batch size",
            options=list(state.PLAYGROUND_BATCHES),
            format_func=lambda v: f"all {preset.n}" if v == 0 else str(v),
            help="Samples per step, drawn without replacement with the seed; 'all' = full batch.",
        )
    with c5:
        widget(
            st.select_slider,
            "clip",
            settings.clip,
            "Clip gradient norm",
            options=list(state.PLAYGROUND_CLIPS),
            format_func=lambda v: "off" if v == 0 else f"{v:g}",
            help="Rescale the whole gradient when its norm exceeds this (Pascanu et al. 2013).",
        )
    depth_label = {
        "mlp": "Hidden layers",
        "resmlp": "Residual blocks",
        "cnn": "Conv layers (3x3)",
        "rnn": "Stacked recurrent layers",
    }[config.network]
    d1, d2, d3 = st.columns(3)
    with d1:
        widget(
            st.slider,
            "train_depth",
            settings.depth,
            f"{depth_label} (trained network)",
            min_value=1,
            max_value=preset.depth_max,
            help=f"1 to {preset.depth_max} here (the sidebar's depth is for the probes on the "
            "other pages; training is far more expensive).",
        )
    with d2:
        widget(
            st.slider,
            "train_width",
            settings.width,
            f"{state.LIMITS[config.network].width_label} (trained network)",
            min_value=2,
            max_value=preset.width_max,
            help=f"2 to {preset.width_max} here.",
        )
    length_max = state.playground_length_max(settings.dataset)
    if length_max:
        with d3:
            widget(
                st.slider,
                "length",
                min(settings.length, length_max),
                "Sequence length T",
                min_value=2,
                max_value=length_max,
                help=f"2 to {length_max}. Longer sequences: the gradient must travel back "
                "through more applications of the same recurrent matrix.",
            )

page.override_note(
    config,
    depth=settings.depth,
    width=settings.width,
    why="training costs far more than the probes on the other pages; the two sliders above "
    "set the trained network's size",
)
runs_args = tuple(
    (name, config.init_params if name == config.init else state.default_params(name))
    for name in settings.inits
)
options = settings.data_options()
seconds = lesson.playground_seconds(config.network, settings)
too_slow = seconds > lesson.PLAYGROUND_MAX_SECONDS
key = (config.network, config.activation, config.seed, settings, runs_args)

b1, b2 = st.columns([1, 4], vertical_alignment="center")
train = b1.button(
    "▶ Train",
    key="pg6_train",
    type="primary",
    disabled=too_slow or not settings.inits,
    help="Trains every selected initializer on the same data with the same seed. Results are "
    "cached: the same settings train only once.",
)
if not settings.inits:
    b2.warning("Pick at least one initializer to compare.", icon="⚠️")
elif too_slow:
    b2.warning(
        f"This comparison would take about {seconds:.0f} s, more than the "
        f"{lesson.PLAYGROUND_MAX_SECONDS:.0f} s a shared server allows: use fewer steps, a "
        "smaller batch or network, or fewer initializers.",
        icon="⏱️",
    )
else:
    b2.caption(
        f"{len(settings.inits)} × {settings.steps} steps of a {config.activation} "
        f"{config.network.upper()} ({settings.depth} × {settings.width}), seed {config.seed}: "
        + ("under a second" if seconds < 1 else f"roughly {seconds:.0f} s")
        + " on an idle server core."
    )

specs = lesson.playground_specs(
    state.Net(config.network, config.activation, settings.depth, settings.width, config.seed),
    runs_args,
    settings,
)
stored = st.session_state.get(RESULTS)
resume = False
stopped_box = st.empty()  # emptied when training starts again
if stored is not None and not stored["progress"].done:
    # A Stop press (or any other widget) interrupted the training: say so, offer to continue.
    partial: live.LiveProgress = stored["progress"]
    with stopped_box.container():
        s1, s2 = st.columns([1, 4], vertical_alignment="center")
        resume = s1.button(
            "▶ Continue",
            key="pg6_continue",
            disabled=stored["key"] != key,
            help="Train the remaining steps of the stopped comparison (with the settings it "
            "started with; change them back to continue).",
        )
        s2.info(
            f"Stopped at step {partial.step} of {partial.total}: the results below are what "
            "had trained by then. **▶ Continue** trains the remaining steps; **▶ Train** starts "
            "again (steps already trained by anyone with these settings come from the cache).",
            icon="⏸️",
        )

if train or resume:
    stopped_box.empty()
    if train:
        progress = live.start(key, specs)
        stored = {"key": key, "config": config, "settings": settings, "progress": progress}
    else:
        assert stored is not None
        progress = stored["progress"]
    stop_box = st.empty()
    with stop_box.container():
        st.header("Training…")
        st.button(
            "⏹ Stop",
            key="pg6_stop",
            help="Stop training here and keep what has trained so far.",
        )
    slots = live.Slots(["status", "curves", "layers", "maps"])
    for now, redraw in live.throttled(live.advance(progress)):
        # Kept after every round: a Stop press reruns the page, which shows these results.
        stored = {**stored, "progress": now}
        st.session_state[RESULTS] = stored
        if redraw:
            draw_live(slots, now)
    slots.clear()
    stop_box.empty()
    st.session_state[RESULTS] = stored

# ---- results ---------------------------------------------------------------------------------
result = st.session_state.get(RESULTS)
if result is not None and not any(r.last is not None for r in result["progress"].runs):
    result = None  # stopped before the first chunk: nothing to show
if result is None:
    st.info(
        "Nothing trained yet: press **▶ Train**. Below, what each initializer's network looks "
        "like *before* training, on this data.",
        icon="👆",
    )
else:
    runs = lesson.playground_runs_from_live(result["progress"])
    trained: state.PlaygroundSettings = result["settings"]
    trained_config: state.Config = result["config"]
    task = runs[0].task
    trained_preset = state.PLAYGROUND_PRESETS[trained_config.network]
    n_classes = lesson.n_outputs_of(trained.dataset, **dict(trained.data_options()))
    st.header(
        "Results: same data, same seed"
        + ("" if result["progress"].done else f" (stopped at step {result['progress'].step})")
    )
    if result["key"] != key:
        st.info(
            "The settings changed since this comparison was trained; press **▶ Train** to "
            f"update. Shown: {lesson.DATASETS[trained.dataset].label}, {trained.optimizer}, "
            f"learning rate {trained.lr:g}, {trained.steps} steps.",
            icon="🔁",
        )
    target = st.columns([2, 3])[0].slider(
        "Target " + ("accuracy" if task == "classification" else "R² (1 − loss / Var(y))"),
        min_value=0.5,
        max_value=0.99,
        value=0.95 if task == "classification" else 0.8,
        step=0.01,
        key="pg6_target",
        help="'Steps to target' is the first step at which the score, averaged over about one "
        "epoch, reached this value.",
    )
    window = lesson.playground_window(trained_config.network, trained.batch)
    table = lesson.playground_table(runs, target, window=window)
    score_name = "accuracy" if task == "classification" else "R²"
    cols = st.columns(len(runs))
    for col, run, (_, row) in zip(cols, runs, table.iterrows(), strict=True):
        if run.history.diverged:
            value = "diverged"
            delta = f"at step {run.history.diverged_at}"
        else:
            value = (
                f"{run.final_score:.1%}" if task == "classification" else f"{run.final_score:.3f}"
            )
            reached = row["steps to target"]
            goal = f"{target:.0%}" if task == "classification" else f"R² {target:g}"
            delta = (
                f"{goal} by step {int(reached)}" if reached == reached else f"never reached {goal}"
            )
        col.metric(
            run.label,
            value,
            delta,
            delta_color="off",
            delta_arrow="off",
            help=f"Final {score_name} on all {trained_preset.n} samples; below it, the step at "
            "which the target was reached.",
        )
    page.notice(lesson.playground_summary(table, target=target, task=task))
    why = lesson.he_vs_glorot_for_runs(
        state.Net(
            trained_config.network,
            trained_config.activation,
            trained.depth,
            trained.width,
            trained_config.seed,
        ),
        runs,
        trained.dataset,
        trained.data_options(),
    )
    if why is not None:
        st.info(why.text, icon="🔎")
    training_seconds = sum(r.seconds for r in runs)
    st.caption(
        f"Trained in {result['progress'].wall:.2f} s."
        if result["progress"].wall > 0.5 * training_seconds
        else f"Served from the cache in {result['progress'].wall:.2f} s (training these runs took "
        f"{training_seconds:.2f} s the first time)."
    )

    curves, diverged = lesson.playground_curves(runs)
    order = [r.label for r in runs]
    low, high, peak = lesson.loss_domain(curves, runs[0].baseline)
    left, right = st.columns(2)
    with left:
        page.plot(
            charts.training_panel,
            curves,
            y="loss",
            y_title="training loss (batch)",
            log=True,
            diverged=diverged,
            title="Loss",
            y_domain=(low, high),
        )
        losses = table.set_index("initializer")["final loss"]
        finite = losses.dropna()
        baseline = (
            f"ln {n_classes} = {runs[0].baseline:.3f} is what guessing uniformly costs"
            if task == "classification"
            else f"Var(y) = {runs[0].baseline:.3g} is what predicting the mean costs"
        )
        page.notice(
            (
                f"Final loss on all the data: {finite.idxmin()} {page.fmt(finite.min())}, "
                f"{finite.idxmax()} {page.fmt(finite.max())} ({baseline})."
                if len(finite)
                else "Every run diverged: the loss became NaN or overflowed."
            )
            + (
                f" Losses above {page.fmt(high / 1.5)} are drawn at the top edge (the largest "
                f"was {page.fmt(peak)})."
                if peak > high
                else ""
            )
        )
    with right:
        page.plot(
            charts.training_panel,
            curves,
            y="score",
            y_title=f"{score_name} (batch)",
            diverged=diverged,
            title=score_name.capitalize(),
        )
        goal = f"{target:.0%}" if task == "classification" else f"R² {target:g}"
        page.notice(
            f"Steps to reach {goal}: "
            + ", ".join(
                f"{row['initializer']} "
                + (
                    str(int(row["steps to target"]))
                    if row["steps to target"] == row["steps to target"]
                    else "never"
                )
                for _, row in table.iterrows()
            )
            + ". A curve that stops early is a diverged run (red dashed line)."
        )

    st.subheader("Gradient norm of every layer during training")
    grads = lesson.playground_grad_frame(runs)
    color_low, color_high = lesson.log_color_domain(grads["log10_norm"])
    live.grad_panels(  # one panel per initializer: they stack on a phone
        grads,
        list(order),
        layer_order=list(runs[0].history.layer_names),
        domain=(color_low, color_high),
        height=160,
    )
    first_norms = {r.label: lesson.first_layer_grad(r) for r in runs}
    page.notice(
        "At step 0 the first layer's gradient norm is "
        + ", ".join(f"{page.fmt(v)} for {k}" for k, v in first_norms.items())
        + f". All panels share one colour scale (10^{color_low:.1f} to 10^{color_high:.1f}; "
        "beyond it the end colours): dark rows are layers that barely learn, grey cells are "
        "exactly zero, red ones overflowed."
    )

    if runs[0].grid is not None:
        st.subheader("Decision boundaries after training")
        points = lesson.playground_points(trained.dataset, trained_preset.n, trained_config.seed)
        boundaries([(r.label, r.grid) for r in runs], points, n_classes)
        spread = {r.label: lesson.boundary_spread(r.grid) for r in runs}
        page.notice(
            "Across the plane the predicted probability now spans "
            + ", ".join(f"{v:.2g} for {k}" for k, v in spread.items())
            + ". A network that has not learned predicts the same thing everywhere (span near "
            "0); a diverged run shows its last finite weights."
        )

    st.subheader("How each layer's activations moved during training")
    progress_shown: live.LiveProgress = result["progress"]
    started_runs = [r for r in progress_shown.runs if r.probe is not None]
    picked = st.segmented_control(
        "Initializer",
        options=[r.spec.init for r in started_runs],
        format_func=experiments.initializer_label,
        default=started_runs[0].spec.init,
        key="pg6_act_init",
        help="Whose activations to show. The same probe batch (the first "
        f"{live.PROBE_SAMPLES} training points) is fed through the network at every "
        f"{progress_shown.size}th step.",
    )
    chosen = next((r for r in started_runs if r.spec.init == picked), started_runs[0])
    act_frame = live.activation_frame([(chosen.label, chosen.probe)])
    a1, a2 = st.columns(2)
    a1.vega_lite_chart(  # built once per trained result, not on every rerun
        spec=page.spec(live.activation_bands, act_frame, total=progress_shown.total),
        width="content",
    )
    a2.vega_lite_chart(
        spec=page.spec(
            live.saturation_lines,
            act_frame,
            total=progress_shown.total,
            height=260,
            title="Saturated or dead units per layer",
        ),
        width="stretch",
    )
    course = {
        r.spec.init: lesson.activation_course_claim(
            live.activation_frame([(r.label, r.probe)]), r.label, trained_config.activation
        )
        for r in started_runs
    }
    page.notice(
        "Median (line), 16th–84th percentile (dark band) and 2nd–98th (light band) of the "
        "hidden layers' activations (at most six layers, evenly spaced, first and last "
        "included), as in Glorot & Bengio (2010), figures 2–4; beside them, the share of units "
        "with |f′(z)| below 5% of its maximum (saturated, or dead ReLUs). "
        + course[chosen.spec.init].text
    )
    if len(course) > 1:
        with st.expander("The same for the other initializers"):
            for init, claim in course.items():
                if init != chosen.spec.init:
                    st.caption(claim.text)

    st.subheader("Results table")
    page.table(
        lesson.playground_table_display(table),
        hide_index=True,
        column_config={
            "final loss": st.column_config.NumberColumn(format="%.4g"),
            "final score": st.column_config.NumberColumn(
                f"final {score_name}", format="percent" if task == "classification" else "%.3f"
            ),
            "steps to target": st.column_config.TextColumn(
                f"steps to {target:.0%}" if task == "classification" else f"steps to R² {target:g}"
            ),
            "diverged at": st.column_config.TextColumn("diverged at step"),
            "seconds": st.column_config.NumberColumn(format="%.2f"),
        },
        key="pg6_table",
    )
    slug = replace(trained_config, depth=trained.depth, width=trained.width).slug()
    name = f"playground_{slug}_{trained.dataset}"
    meta = {
        **trained_config.to_query(),
        **trained.to_query(),
        "samples": preset.n,
        "trained_network": f"{trained.depth}x{trained.width}",
    }
    e1, e2 = st.columns(2)
    e1.download_button(
        "⬇️ Histories as CSV",
        # Callables: the files are built only when clicked, never on a plain rerun.
        data=lambda: export.safe_csv(lesson.playground_history_frame(runs)),
        file_name=f"{name}.csv",
        mime="text/csv",
        key="pg6_download_csv",
        on_click="ignore",
    )
    e2.download_button(
        "⬇️ Histories as JSON",
        data=lambda: lesson.playground_json(runs, meta),
        file_name=f"{name}.json",
        mime="application/json",
        key="pg6_download_json",
        on_click="ignore",
    )

# ---- before training (always shown: the page is never empty) ---------------------------------
st.header("Before training: the same network under each initializer")
starts = [
    lesson.playground_start(
        state.Net(config.network, config.activation, settings.depth, settings.width, config.seed),
        name,
        params,
        settings.dataset,
        options,
    )
    for name, params in runs_args
]
if starts:
    if config.network == "rnn":
        start_frame = lesson.playground_start_frame(starts, "time_grad")
        start_y, start_y_title, start_x_title, start_title = (
            "grad_rel",
            "‖∂L/∂h_t‖ relative to the last step",
            "Time step t (top recurrent layer)",
            "How much gradient travels back through time, at initialization",
        )
    else:
        start_frame = lesson.playground_start_frame(starts)
        start_y, start_y_title, start_title = (
            "act_std",
            "std of activations on the data",
            "Activation std per layer at initialization",
        )
        start_x_title = (
            "Block (0 = input projection)" if config.network == "resmlp" else "Hidden layer"
        )
    page.plot(
        charts.per_layer_lines,
        start_frame,
        y=start_y,
        y_title=start_y_title,
        x_title=start_x_title,
        title=start_title,
        height=260,
    )
    if config.network == "rnn":
        first_step = start_frame[start_frame["layer"] == 1].set_index("series")["grad_rel"]
        page.notice(
            "The gradient reaching the first time step is "
            + ", ".join(f"{page.fmt(v)} of the last step's for {k}" for k, v in first_step.items())
            + ". The same recurrent matrix multiplies it at every step back, so its scale "
            "decides whether the adding problem's early marker can be learned at all."
        )
    else:
        last_layer = start_frame["layer"].max()
        last = start_frame[start_frame["layer"] == last_layer].set_index("series")
        saturating = experiments.activation_record(config.activation).saturating
        page.notice(
            f"At the last hidden layer ({int(last_layer)}) the activations' std is "
            + ", ".join(f"{page.fmt(v)} for {k}" for k, v in last["act_std"].items())
            + ". A std near 0 means the signal vanished before training even starts"
            + (
                f"; {experiments.activation_record(config.activation).label} is bounded, so a "
                "std near its ceiling means saturated units."
                if saturating
                else "; a huge one means it exploded."
            )
        )
if starts:
    start_score = ", ".join(
        f"{experiments.initializer_label(s.init)} "
        + (f"{s.score:.0%}" if classification else f"R² {s.score:.2f}")
        + f" (loss {page.fmt(s.loss)})"
        for s in starts
    )
    st.caption(f"Untrained {'accuracy' if classification else 'fit'} on the data: {start_score}.")
    if starts[0].grid is not None:
        points = lesson.playground_points(settings.dataset, preset.n, config.seed)
        boundaries(
            [(f"{experiments.initializer_label(t.init)}, step 0", t.grid) for t in starts],
            points,
            lesson.n_outputs_of(settings.dataset),
        )
        spread = {
            experiments.initializer_label(t.init): lesson.boundary_spread(t.grid) for t in starts
        }
        page.notice(
            "Before training each map is the untrained network's guess, and how much it varies "
            "across the plane tells how much signal reaches the output: the predicted "
            "probability spans "
            + ", ".join(f"{v:.2g} for {k}" for k, v in spread.items())
            + ". Near 0 means the input barely reaches the output (vanishing); same points, "
            "same seed in every panel."
        )
else:
    st.caption("Pick at least one initializer to see its network before training.")

# ---- exercise, correction, formula -----------------------------------------------------------
task_now, guess_now, n_out_now = lesson.guess_cost(settings.dataset, options, preset.n, config.seed)
small_runs = [
    r
    for r in (runs if result is not None and result["key"] == key else ())
    if r.init == "small_random" and not r.history.diverged
]
page.try_this(
    "Before you press **Train**: which of the initializers you picked will be slowest to "
    "reach the target, or never get there, and why? Check the 'before training' charts for a "
    "hint. After training, switch the optimizer to Adam and train again.",
    lesson.stall_answer_claim(
        config.activation,
        settings.width,
        network=config.network,
        task=task_now,
        baseline=guess_now,
        n_classes=n_out_now,
        measured_loss=small_runs[0].history.final_loss if small_runs else None,
    ).text,
    key="pg6_stall",
)
page.correction(
    "Vanishing gradients are not only a sigmoid/tanh problem. Choose **ReLU** as the "
    "activation in the sidebar and train again: small random N(0, 0.01²) still stalls, because "
    "each ReLU layer multiplies the signal by about 0.01·√(width/2) "
    f"(= {page.fmt(lesson.small_random_factor('relu', settings.width))} for your "
    f"{settings.width} units). ReLU removes saturation "
    "for positive inputs, not the effect of a badly chosen scale."
)
page.initializer_panel(config)
