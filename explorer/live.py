"""Live training: runs cut into cached chunks, redrawn in place while they train, with Stop.

A run is described by a hashable :class:`RunSpec` (network, initializer, data, optimizer...).
:func:`train_chunk` trains steps ``index * size`` to ``(index + 1) * size`` of it, resuming
from the previous chunk's :class:`core.training.TrainState`; it is cached with
``st.cache_data`` (shared by every session, bounded), keyed on the spec and the chunk index,
so a second visitor with the same settings gets every chunk from the cache at once. The chunks
join into exactly the History of one uninterrupted :func:`core.training.train` call (same
seed, same arithmetic, bit for bit).

Each chunk also records, on a fixed probe batch (the first :data:`PROBE_SAMPLES` training
points), the distribution of every hidden layer's activations at its end: mean, std, the
2/16/50/84/98 percentiles and the fraction of saturated (|f'(z)| < 5 % of its maximum, dead
ReLUs included) units, as in Glorot & Bengio (2010), figures 2 to 4.

A page trains with :func:`advance`, which yields a :class:`LiveProgress` after every round
(one chunk of every run) so the page can redraw its placeholders (:class:`Slots`) and keep the
progress in ``st.session_state``: pressing any widget (the Stop button) interrupts the script,
and the rerun still finds the partial results there.

References
----------
Glorot, X. & Bengio, Y. (2010). Understanding the difficulty of training deep feedforward
neural networks. AISTATS.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core import datasets, initializers, networks, training
from explorer import chartkit, charts
from explorer.chartspec import convert, fresh
from explorer.experiments import build_network, data_extent, decision_grid, max_slope
from explorer.offload import offloaded
from explorer.state import InitParams, Net

#: Steps per chunk for runs of up to ``CHUNK_STEPS * MAX_CHUNKS`` steps; longer runs use
#: multiples of it so that no run has more than :data:`MAX_CHUNKS` chunks.
CHUNK_STEPS = 25

#: Most chunks (redraw points) of one run.
MAX_CHUNKS = 40

#: Samples of the fixed probe batch whose activations are recorded at every chunk boundary.
PROBE_SAMPLES = 128

#: Cells per side of the small decision-boundary grid redrawn while training.
LIVE_GRID = 24

#: Percentiles of the activations recorded per layer (Glorot & Bengio's figures 2 to 4).
PERCENTILES = (2, 16, 50, 84, 98)

#: A unit is saturated when |f'(z)| is below this fraction of the activation's largest slope.
SATURATION_THRESHOLD = 0.05

#: Most points per curve in the charts redrawn while training (each redraw costs server CPU).
LIVE_POINTS = 120

#: Shortest wall time between two redraws of the page while chunks come from the cache.
REDRAW_SECONDS = 0.25

#: Most of the time redrawing may take while training (see :func:`throttled`). At 0.25 the
#: playground's redraws were the largest single server cost of a room of 60; at 0.15 an idle
#: server still redraws about every 0.65 s (``benchmarks/RESULTS.md``, "A new machine").
REDRAW_SHARE = 0.15

#: Columns of :func:`activation_frame`.
ACTIVATION_COLUMNS = (
    "series",
    "layer",
    "layer_name",
    "step",
    "mean",
    "std",
    *(f"p{q}" for q in PERCENTILES),
    "saturated",
    "finite",
)


class RunSpec(NamedTuple):
    """Everything that decides one training run (hashable: a cache key).

    Attributes
    ----------
    net : Net
        Network type, activation, depth, width and the seed (of the data, the weights and the
        mini-batch order).
    init : str
    init_params : tuple of (name, value) pairs
    dataset : str
    options : tuple of (name, value) pairs
        Data-set options.
    n : int
        Training samples drawn from the data set.
    optimizer : str
        "sgd", "momentum" or "adam".
    lr : float
    steps : int
    batch : int
        Mini-batch size, 0 for the whole data set.
    clip : float
        Global gradient-norm clip, 0 for none.
    symmetry_every : int
        Count distinct neurons every this many steps, 0 for :func:`core.training.train`'s
        default.
    """

    net: Net
    init: str
    init_params: InitParams
    dataset: str
    options: tuple[tuple[str, int], ...]
    n: int
    optimizer: str
    lr: float
    steps: int
    batch: int = 0
    clip: float = 0.0
    symmetry_every: int = 0


@dataclass(frozen=True, eq=False)
class Chunk:
    """One cached piece of a run.

    Attributes
    ----------
    spec : RunSpec
    index, size : int
        Steps ``index * size`` up to ``(index + 1) * size`` (fewer at the end of the run).
    part : core.training.History
        The rows recorded in this chunk (see :func:`core.training.train_chunk`).
    state : core.training.TrainState
        Where the run stands at the chunk's end.
    probe : DataFrame
        :data:`ACTIVATION_COLUMNS` without ``series``: the activations on the probe batch at
        the chunk's end (chunk 0 also at step 0).
    grid : DataFrame or None
        The small (:data:`LIVE_GRID`) decision-boundary grid at the chunk's end (2-D data).
    seconds : float
        Wall time of the chunk when it was computed (a cache hit keeps the first value).
    """

    spec: RunSpec
    index: int
    size: int
    part: training.History
    state: training.TrainState
    probe: pd.DataFrame
    grid: pd.DataFrame | None
    seconds: float


def chunk_size(steps: int) -> int:
    """Steps per chunk of a run of ``steps`` steps: a multiple of :data:`CHUNK_STEPS`."""
    return CHUNK_STEPS * max(1, math.ceil(steps / (CHUNK_STEPS * MAX_CHUNKS)))


def n_chunks(steps: int) -> int:
    """Number of chunks of a run that does not diverge."""
    return math.ceil(steps / chunk_size(steps))


@st.cache_data(max_entries=16, show_spinner=False)
def training_data(
    dataset: str, options: tuple[tuple[str, int], ...], n: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`core.datasets.load` (cached): the data every chunk of a run trains on."""
    return datasets.load(dataset, n, seed, **dict(options))


def build(spec: RunSpec) -> networks.Network:
    """The untrained network of ``spec`` (weights seeded with ``spec.net.seed``)."""
    options = dict(spec.options)
    return build_network(
        spec.net,
        spec.init,
        spec.init_params,
        input_shape=datasets.input_shape_of(spec.dataset, **options),
        n_outputs=datasets.n_outputs_of(spec.dataset, **options),
    )


def network_at(spec: RunSpec, state: training.TrainState) -> networks.Network:
    """The network of ``spec`` holding the parameters of ``state`` (copies)."""
    net = build(spec)
    for p, saved in zip(net.params, state.params, strict=True):
        p.clear()
        p.update({k: v.copy() for k, v in saved.items()})
    return net


def layer_activations(net: networks.Network, x: np.ndarray, step: int) -> pd.DataFrame:
    """Distribution of every hidden layer's activations on ``x`` (one row per layer).

    Returns
    -------
    DataFrame
        Columns layer (1-based; resmlp: 0 is the input projection), layer_name, step, mean,
        std, p2 ... p98, saturated (fraction of entries with |f'(z)| below
        :data:`SATURATION_THRESHOLD` of the largest slope; dead ReLUs count), finite (False
        when some activation overflowed or is NaN: the statistics are then NaN).
    """
    names = training.layer_names(net)[:-1]
    first = 0 if net.kind == "resmlp" else 1
    top = max_slope(net.activation.name)
    rows = []
    with np.errstate(all="ignore"):
        trace = net.forward(x)
        for i, (z, a) in enumerate(zip(trace.z[:-1], trace.a[:-1], strict=True)):
            flat = np.asarray(a, dtype=float).ravel()
            finite = bool(np.isfinite(flat).all())
            if finite:
                qs = np.percentile(flat, PERCENTILES)
                mean, std = float(flat.mean()), float(flat.std())
                slope = np.abs(net.activation.df(np.asarray(z, dtype=float).ravel()))
                saturated = float(np.mean(slope < SATURATION_THRESHOLD * top))
            else:
                qs = np.full(len(PERCENTILES), np.nan)
                mean = std = saturated = math.nan
            rows.append(
                {
                    "layer": first + i,
                    "layer_name": names[i],
                    "step": int(step),
                    "mean": mean,
                    "std": std,
                    **{f"p{q}": float(v) for q, v in zip(PERCENTILES, qs, strict=True)},
                    "saturated": saturated,
                    "finite": finite,
                }
            )
    return pd.DataFrame(rows, columns=list(ACTIVATION_COLUMNS[1:]))


@st.cache_data(max_entries=2000, max_size="256MB", show_spinner=False)
@offloaded
def train_chunk(spec: RunSpec, index: int, size: int, _previous: Chunk | None = None) -> Chunk:
    """Train chunk ``index`` of ``spec`` (cached on the spec, the index and the size).

    Parameters
    ----------
    spec : RunSpec
    index : int
        Chunk number, from 0.
    size : int
        Steps per chunk (:func:`chunk_size`).
    _previous : Chunk, optional
        Chunk ``index - 1`` of the same run (not hashed). Without it the earlier chunks are
        fetched (from the cache, or trained) first.

    Returns
    -------
    Chunk

    Raises
    ------
    ValueError
        When ``_previous`` is not chunk ``index - 1`` of ``spec``, or the run ended before
        this chunk.
    """
    previous = _previous
    if index > 0 and previous is None:
        for j in range(index):
            previous = train_chunk(spec, j, size, previous)
    if index > 0:
        assert previous is not None
        if previous.spec != spec or previous.index != index - 1 or previous.size != size:
            raise ValueError("_previous must be chunk index - 1 of the same run")
        if previous.state.done:
            raise ValueError(f"the run ended in chunk {previous.index}")
    x, y = training_data(spec.dataset, spec.options, spec.n, spec.net.seed)
    net = build(spec) if previous is None else network_at(spec, previous.state)
    probe_x = x[:PROBE_SAMPLES]
    probes = [layer_activations(net, probe_x, 0)] if previous is None else []
    started = time.perf_counter()
    part, state = training.train_chunk(
        net,
        x,
        y,
        loss=datasets.DATASETS[spec.dataset].loss,
        optimizer=spec.optimizer,
        lr=spec.lr,
        steps=spec.steps,
        until=(index + 1) * size,
        state=None if previous is None else previous.state,
        batch_size=None if spec.batch == 0 else spec.batch,
        clip=None if spec.clip == 0 else spec.clip,
        seed=spec.net.seed,
        symmetry_every=spec.symmetry_every or None,
    )
    seconds = time.perf_counter() - started
    probes.append(layer_activations(net, probe_x, state.steps_run))
    grid = (
        decision_grid(net, data_extent(x, relative=0.1), LIVE_GRID)
        if x.ndim == 2 and x.shape[1] == 2
        else None
    )
    return Chunk(
        spec, index, size, part, state, pd.concat(probes, ignore_index=True), grid, seconds
    )


@dataclass(frozen=True, eq=False)
class LiveRun:
    """What one run has trained so far (kept in session state between reruns).

    ``label`` is the initializer's label (registry).

    Attributes
    ----------
    spec : RunSpec
    parts : tuple of History
        One per chunk trained so far.
    probe : DataFrame
        The chunks' activation records, in order.
    last : Chunk or None
        The latest chunk (its state continues the run); None before the first.
    seconds : float
        Training time of the chunks so far.
    """

    spec: RunSpec
    parts: tuple[training.History, ...] = ()
    probe: pd.DataFrame | None = None
    last: Chunk | None = None
    seconds: float = 0.0

    @property
    def done(self) -> bool:
        """True when the run completed or diverged."""
        return self.last is not None and self.last.state.done

    @property
    def label(self) -> str:
        """The initializer's label."""
        return initializers.REGISTRY[self.spec.init].label

    @property
    def step(self) -> int:
        """Steps trained so far (updates applied), or the step that diverged."""
        if self.last is None:
            return 0
        state = self.last.state
        return state.steps_run if state.diverged_at is None else state.diverged_at

    def history(self) -> training.History | None:
        """The History so far (:func:`core.training.join_histories`), None before a chunk."""
        return training.join_histories(self.parts) if self.parts else None

    def add(self, chunk: Chunk) -> LiveRun:
        """A copy of the run with ``chunk`` appended."""
        probe = chunk.probe if self.probe is None else pd.concat([self.probe, chunk.probe])
        return replace(
            self,
            parts=(*self.parts, chunk.part),
            probe=probe.reset_index(drop=True),
            last=chunk,
            seconds=self.seconds + chunk.seconds,
        )


@dataclass(frozen=True, eq=False)
class LiveProgress:
    """A comparison of several runs being trained (kept in ``st.session_state``).

    Attributes
    ----------
    key : object
        The page's identity of the settings (to tell stale results from current ones).
    runs : tuple of LiveRun
    size : int
        Steps per chunk.
    wall : float
        Wall time spent training or fetching chunks, over all the script runs so far.
    """

    key: object
    runs: tuple[LiveRun, ...]
    size: int
    wall: float = 0.0

    @property
    def done(self) -> bool:
        """True when every run completed or diverged."""
        return all(run.done for run in self.runs)

    @property
    def total(self) -> int:
        """Steps requested per run."""
        return max((run.spec.steps for run in self.runs), default=0)

    @property
    def step(self) -> int:
        """Steps trained by the runs still going (the total when all are done)."""
        going = [run.step for run in self.runs if not run.done]
        return min(going) if going else self.total


def start(key: object, specs: Sequence[RunSpec]) -> LiveProgress:
    """A comparison of ``specs`` with nothing trained yet (one chunk size for all)."""
    steps = max((s.steps for s in specs), default=1)
    return LiveProgress(key, tuple(LiveRun(s) for s in specs), chunk_size(steps))


def advance(progress: LiveProgress) -> Iterator[LiveProgress]:
    """Train ``progress`` to the end, yielding it after every round of chunks.

    One round trains the next chunk of every run not yet done (cache hits return at once).
    The caller stores each yielded value (``st.session_state``) and redraws; stopping the
    iteration early (a rerun interrupts the script) keeps what was yielded last.
    """
    while not progress.done:
        started = time.perf_counter()
        runs = []
        for run in progress.runs:
            if run.done:
                runs.append(run)
                continue
            index = 0 if run.last is None else run.last.index + 1
            runs.append(run.add(train_chunk(run.spec, index, progress.size, run.last)))
        progress = replace(
            progress, runs=tuple(runs), wall=progress.wall + time.perf_counter() - started
        )
        yield progress


class Slots:
    """Named ``st.empty`` placeholders, created in order, redrawn in place.

    Examples
    --------
    >>> slots = Slots(["status", "loss"])  # doctest: +SKIP
    >>> slots.chart("loss", chart)  # doctest: +SKIP
    """

    def __init__(self, names: Sequence[str]) -> None:
        self._slots = {name: st.empty() for name in names}

    def chart(self, name: str, figure: alt.TopLevelMixin, **kwargs: object) -> None:
        """Draw ``figure`` in slot ``name`` (replacing what it showed)."""
        self._slots[name].vega_lite_chart(spec=convert(figure), **kwargs)

    def caption(self, name: str, text: str) -> None:
        """Show a caption in slot ``name``."""
        self._slots[name].caption(text)

    def progress(self, name: str, fraction: float, text: str) -> None:
        """Show a progress bar in slot ``name``."""
        self._slots[name].progress(min(max(fraction, 0.0), 1.0), text=text)

    def container(self, name: str) -> st.delta_generator.DeltaGenerator:
        """A container in slot ``name`` for several elements (replaces what it showed)."""
        return self._slots[name].container()

    def clear(self) -> None:
        """Empty every slot."""
        for slot in self._slots.values():
            slot.empty()


def throttled(
    rounds: Iterator[LiveProgress],
    *,
    seconds: float = REDRAW_SECONDS,
    draw_share: float = REDRAW_SHARE,
) -> Iterator[tuple[LiveProgress, bool]]:
    """``(progress, redraw)`` per round: redraw at most every ``seconds`` and at the end.

    The caller draws between receiving a redraw and asking for the next round; that time is
    measured, and the next redraw waits until drawing has cost at most ``draw_share`` of the
    time since the last one. On a busy server a redraw is slow, so redraws become rarer
    instead of taking the CPU from the training (and from everybody else's reruns).
    """
    last = -math.inf
    gap = seconds
    for progress in rounds:
        now = time.perf_counter()
        redraw = progress.done or now - last >= gap
        if redraw:
            last = now
        yield progress, redraw
        if redraw:
            drawing = time.perf_counter() - now
            gap = max(seconds, drawing / draw_share)


# --------------------------------------------------------------------------------------------
# Frames and charts
# --------------------------------------------------------------------------------------------


def activation_frame(runs: Sequence[tuple[str, pd.DataFrame | None]]) -> pd.DataFrame:
    """Stack the probe records of (label, probe) pairs into :data:`ACTIVATION_COLUMNS`."""
    frames = [probe.assign(series=label) for label, probe in runs if probe is not None]
    if not frames:
        return pd.DataFrame(columns=list(ACTIVATION_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(ACTIVATION_COLUMNS)]


def with_x_domain(chart: alt.LayerChart, low: float, high: float) -> alt.LayerChart:
    """Fix the x range (field ``step``) of a layered chart, so a growing curve does not rescale.

    Parameters
    ----------
    chart : LayerChart
        E.g. from :func:`explorer.charts.training_curves`.
    low, high : float
    """
    edge = (
        alt.Chart(pd.DataFrame({"step": [low, high]}))
        .mark_point(opacity=0)
        .encode(x=alt.X("step:Q", scale=alt.Scale(domain=[low, high], nice=False)))
    )
    # alt.layer hoists data shared by all layers to the parent chart: carry it (and the
    # chart's size settings) over, as explorer.charts.with_y_domain does.
    kept = {k: getattr(chart, k) for k in ("data", "height", "width", "title", "autosize")}
    return chartkit.layer(*chart.layer, edge).properties(
        **{k: v for k, v in kept.items() if v is not alt.Undefined}
    )


def live_curves(
    curves: pd.DataFrame,
    diverged: pd.DataFrame,
    *,
    y: str,
    y_title: str,
    log: bool,
    total: int,
    height: int,
    title: str | None = None,
    y_domain: tuple[float, float] | None = None,
) -> alt.TopLevelMixin:
    """A training curve redrawn live: x fixed to ``[0, total]``, legend in two columns below.

    Parameters
    ----------
    curves, diverged :
        As for :func:`explorer.charts.training_curves`.
    y, y_title, log, height, title :
        Passed to :func:`explorer.charts.training_curves`.
    total : int
        Steps of the whole run (the x range does not grow while it trains).
    y_domain : (low, high), optional
        A fixed y range (see :func:`explorer.charts.with_y_domain`).
    """
    chart = charts.training_curves(
        curves,
        y=y,
        y_title=y_title,
        log=log,
        diverged=diverged,
        height=height,
        **({} if title is None else {"title": title}),
    )
    if y_domain is not None:
        chart = charts.with_y_domain(chart, *y_domain, log=log)
    return with_x_domain(chart, 0, total).configure_legend(columns=2, labelLimit=260)


def some_layers(frame: pd.DataFrame, limit: int = 6) -> pd.DataFrame:
    """The rows of at most ``limit`` evenly spaced layers (always the first and the last)."""
    layers = np.sort(frame["layer"].unique())
    keep = layers[thin(len(layers), limit)]
    return frame[frame["layer"].isin(keep)]


def activation_bands(
    frame: pd.DataFrame,
    *,
    total: int | None = None,
    columns: int = 2,
    width: int = 120,
    height: int = 110,
    title: str | None = None,
    max_layers: int = 6,
) -> alt.FacetChart:
    """One small panel per hidden layer: the activations' percentiles against the step.

    A light band from the 2nd to the 98th percentile, a darker one from the 16th to the 84th
    (± one std for a Gaussian) and the median as a line: Glorot & Bengio (2010), figure 2.

    Parameters
    ----------
    frame : DataFrame
        :func:`activation_frame` rows of one run (non-finite rows are left out; the page says
        so).
    total : int, optional
        Fix the x axis to ``[0, total]``.
    columns, width, height : int
        Panels per row and the size of one panel (two 120-pixel panels fit a phone).
    title : str, optional
    max_layers : int
        Show at most this many layers (:func:`some_layers`).
    """
    data = some_layers(frame[frame["finite"].astype(bool)], max_layers)
    x_scale = alt.Scale(domain=[0, total], nice=False) if total else alt.Scale()
    x = alt.X("step:Q", title="Training step", scale=x_scale)
    base = alt.Chart().encode(x=x)
    outer = base.mark_area(opacity=0.22, color="#4c78a8").encode(
        y=alt.Y("p2:Q", title="activation"), y2=alt.Y2("p98:Q")
    )
    inner = base.mark_area(opacity=0.45, color="#4c78a8").encode(
        y=alt.Y("p16:Q"), y2=alt.Y2("p84:Q")
    )
    median = base.mark_line(color="#1f3b73", point=alt.OverlayMarkDef(size=14)).encode(
        y=alt.Y("p50:Q"),
        tooltip=[
            alt.Tooltip("layer_name:N", title="layer"),
            alt.Tooltip("step:Q"),
            alt.Tooltip("p50:Q", title="median", format=".3g"),
            alt.Tooltip("p16:Q", title="16th percentile", format=".3g"),
            alt.Tooltip("p84:Q", title="84th percentile", format=".3g"),
            alt.Tooltip("std:Q", format=".3g"),
            alt.Tooltip("saturated:Q", title="saturated / dead", format=".0%"),
        ],
    )
    layered = chartkit.layer(outer, inner, median, data=data).properties(width=width, height=height)
    chart = layered.facet(
        facet=alt.Facet(
            "layer_name:N",
            title=None,
            sort=alt.SortField("layer"),
            header=alt.Header(labelFontSize=12, labelFontWeight="bold"),
        ),
        columns=columns,
    )
    return chart.properties(title=title) if title else chart


def saturation_lines(
    frame: pd.DataFrame,
    *,
    total: int | None = None,
    height: int = 200,
    title: str | None = None,
    max_layers: int = 6,
) -> alt.Chart:
    """Fraction of saturated (or dead) units of some hidden layers against the step.

    At most ``max_layers`` layers (:func:`some_layers`), one line each.
    """
    data = some_layers(frame[frame["finite"].astype(bool)], max_layers)
    x_scale = alt.Scale(domain=[0, total], nice=False) if total else alt.Scale()
    chart = (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=14))
        .encode(
            x=alt.X("step:Q", title="Training step", scale=x_scale),
            y=alt.Y(
                "saturated:Q",
                title="saturated / dead units",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color(
                "layer_name:N",
                title=None,
                sort=alt.SortField("layer"),
                scale=alt.Scale(scheme="viridis"),
                legend=chartkit.legend(),
            ),
            tooltip=[
                alt.Tooltip("layer_name:N", title="layer"),
                alt.Tooltip("step:Q"),
                alt.Tooltip("saturated:Q", format=".1%"),
            ],
        )
    )
    # ``height`` is the plot area; the chart grows downwards for its legend (chartkit.finish),
    # which on top of a fixed-height chart had left a plot about 60 px tall.
    return chartkit.finish(chart, title, height)


# --------------------------------------------------------------------------------------------
# A "watch it train" panel for the lesson pages (loss, accuracy, gradient norms, Stop)
# --------------------------------------------------------------------------------------------


def thin(n_rows: int, limit: int) -> np.ndarray:
    """At most ``limit`` evenly spaced row indices, always the first and the last."""
    if n_rows <= limit:
        return np.arange(n_rows)
    return np.unique(np.linspace(0, n_rows - 1, limit).round().astype(int))


def curve_frame(
    progress: LiveProgress, labels: Sequence[str], *, limit: int = LIVE_POINTS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Thinned loss and accuracy curves of every run so far, and where runs diverged.

    Returns
    -------
    curves : DataFrame
        Columns series, step, loss, accuracy (at most ``limit`` rows per run).
    diverged : DataFrame
        Columns series, step.
    """
    frames, stops = [], []
    for label, run in zip(labels, progress.runs, strict=True):
        history = run.history()
        if history is None:
            continue
        rows = thin(len(history.step), limit)
        frames.append(
            pd.DataFrame(
                {
                    "series": label,
                    "step": history.step[rows],
                    "loss": history.loss[rows],
                    "accuracy": history.accuracy[rows],
                }
            )
        )
        if history.diverged_at is not None:
            stops.append({"series": label, "step": history.diverged_at})
    curves = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["series", "step", "loss", "accuracy"])
    )
    return curves, pd.DataFrame(stops, columns=["series", "step"])


def history_grad_frame(label: str, history: training.History, *, limit: int) -> pd.DataFrame:
    """One run's per-layer gradient norms, one cell per (step bin, layer).

    Columns series, layer (name), layer_index, step, step_end, grad_norm, log10_norm (NaN
    unless finite and positive), status ("ok", "zero", "overflow", "NaN"). At most ``limit``
    step bins; each bin shows the norm at its first recorded step and ends where the next
    begins (the last one step after the run's last recorded step).
    """
    rows = thin(len(history.step), limit)
    steps = history.step[rows]
    ends = np.append(steps[1:], max(history.step[-1] + 1, steps[-1] + 1))
    norms = history.grad_norm[rows]  # (bins, layers)
    n_bins, n_layers = norms.shape
    values = norms.ravel()
    status = np.full(values.shape, "ok", dtype=object)
    status[values == 0] = "zero"
    status[np.isinf(values)] = "overflow"
    status[np.isnan(values)] = "NaN"
    with np.errstate(all="ignore"):
        log10 = np.where(status == "ok", np.log10(np.where(values > 0, values, 1.0)), np.nan)
    return pd.DataFrame(
        {
            "series": label,
            "layer": np.tile(np.array(history.layer_names, dtype=object), n_bins),
            "layer_index": np.tile(np.arange(n_layers), n_bins),
            "step": np.repeat(steps, n_layers),
            "step_end": np.repeat(ends, n_layers),
            "grad_norm": values,
            "log10_norm": log10,
            "status": status,
        }
    )


def grad_frame(
    progress: LiveProgress, labels: Sequence[str], *, limit: int = LIVE_POINTS // 4
) -> pd.DataFrame:
    """Per-layer gradient norms so far, binned for :func:`explorer.charts.grad_norm_panel`.

    Returns
    -------
    DataFrame
        Columns series, layer, layer_index, step, step_end, grad_norm, log10_norm, status
        ("ok", "zero", "overflow", "NaN"); at most ``limit`` step bins per run.
    """
    frames = [
        history_grad_frame(label, history, limit=limit)
        for label, run in zip(labels, progress.runs, strict=True)
        if (history := run.history()) is not None
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _color_domain(log10: pd.Series) -> tuple[float, float]:
    finite = log10.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return (-1.0, 1.0)
    low, high = np.quantile(finite, [0.02, 0.98])
    if high - low < 1.0:
        mid = (high + low) / 2
        low, high = mid - 0.5, mid + 0.5
    return float(low), float(high)


def draw(slots: Slots, progress: LiveProgress, labels: Sequence[str]) -> None:
    """Redraw a panel's step counter, loss and accuracy curves and gradient-norm heatmap."""
    total = progress.total
    curves, diverged = curve_frame(progress, labels)
    stops = "".join(f"; {row.series} diverged at step {row.step}" for row in diverged.itertuples())
    if progress.done:
        slots.caption("status", f"Trained {total} steps{stops}.")
    else:
        slots.progress(
            "status",
            progress.step / max(total, 1),
            f"Step {progress.step} of {total}, redrawn every {progress.size} steps{stops}.",
        )
    if curves.empty:
        return
    with slots.container("curves"):
        left, right = st.columns(2)
        for col, y, title, log in (
            (left, "loss", "training loss (cross-entropy)", True),
            (right, "accuracy", "accuracy (batch)", False),
        ):
            col.vega_lite_chart(
                spec=fresh(
                    live_curves,
                    curves,
                    diverged,
                    y=y,
                    y_title=title,
                    log=log,
                    total=total,
                    height=220,
                ),
                width="stretch",
            )
    grads = grad_frame(progress, labels)
    with slots.container("grads"):
        grad_panels(
            grads,
            [label for label in labels if len(grads) and (grads["series"] == label).any()],
            layer_order=list(progress.runs[0].history().layer_names),
            domain=_color_domain(grads["log10_norm"]),
            height=110,
        )


def grad_panels(
    frame: pd.DataFrame,
    series_order: Sequence[str],
    *,
    layer_order: Sequence[str],
    domain: tuple[float, float],
    height: int = 110,
    per_row: int = 3,
) -> None:
    """Draw one gradient-norm heatmap per initializer, ``per_row`` side by side.

    Each panel (:func:`explorer.charts.grad_norm_panel`) fills its ``st.columns`` column, so
    on a phone the columns stack and every panel keeps the screen's width instead of a
    fixed-width facet running off it. All panels share ``domain`` (one colour scale).
    """
    names = list(series_order)
    for start in range(0, len(names), per_row):
        row = names[start : start + per_row]
        for col, name in zip(st.columns(per_row), row, strict=False):
            col.vega_lite_chart(
                spec=fresh(
                    charts.grad_norm_panel,
                    frame,
                    name,
                    layer_order=layer_order,
                    domain=domain,
                    height=height,
                ),
                width="stretch",
            )


def panel(prefix: str, specs: Sequence[RunSpec], labels: Sequence[str]) -> LiveProgress | None:
    """A "watch it train" panel: the runs of ``specs`` trained live, with Stop and Continue.

    Draws a Train button; while training, a Stop button, a step counter, the loss and accuracy
    curves and the per-layer gradient norms, redrawn in place after every round of chunks.
    Progress is kept in ``st.session_state`` after each round, so a Stop press (any widget
    interrupts the script) leaves the partial curves shown with a "stopped at step N of M"
    note and a Continue button. The runs are those of the page's cached experiment (same
    seed), so the curves end exactly where the page's static charts are.

    Parameters
    ----------
    prefix : str
        Widget-key and session-state prefix (unique per page).
    specs : sequence of RunSpec
    labels : sequence of str
        One series label per spec.

    Returns
    -------
    LiveProgress or None
        What is shown (None before the first press).
    """
    state_key = f"_{prefix}_live"
    ident = (tuple(specs), tuple(labels))
    stored: LiveProgress | None = st.session_state.get(state_key)
    if stored is not None and stored.key != ident:
        stored = None  # the settings changed: the old curves are not these runs'
        st.session_state.pop(state_key, None)
    b1, b2 = st.columns([1, 3], vertical_alignment="center")
    train = b1.button(
        "▶ Watch it train",
        key=f"{prefix}_live_train",
        help="Train these networks again, step by step, and watch the curves grow. Steps "
        "trained before (by anyone, with these settings) come from the cache at once.",
    )
    note = b2.empty()
    resume = False
    if stored is not None and not stored.done and not train:
        with note.container():
            n1, n2 = st.columns([1, 2], vertical_alignment="center")
            resume = n1.button("▶ Continue", key=f"{prefix}_live_continue")
            n2.caption(f"⏸ Stopped at step {stored.step} of {stored.total}.")
    stop_box = st.empty()
    slots = Slots(["status", "curves", "grads"])
    if train or resume:
        note.empty()
        progress = start(ident, specs) if train or stored is None else stored
        stop_box.button("⏹ Stop", key=f"{prefix}_live_stop", help="Keep what has trained so far.")
        for now, redraw in throttled(advance(progress)):
            st.session_state[state_key] = now
            if redraw:
                draw(slots, now, labels)
        stop_box.empty()
        stored = st.session_state.get(state_key)
    elif stored is not None:
        draw(slots, stored, labels)
    return stored


#: What a training panel shows, under its title.
PANEL_NOTE = (
    "Loss, accuracy and every layer's gradient norm (grey cells are exactly zero, red ones "
    "overflowed), redrawn as they train. **⏹ Stop** keeps the curves so far. Steps anyone "
    "trained before with these settings come from the cache at once."
)


def boxed_panel(
    prefix: str,
    specs: Sequence[RunSpec],
    labels: Sequence[str],
    *,
    title: str,
    note: str = PANEL_NOTE,
) -> LiveProgress | None:
    """:func:`panel` in a bordered box under a bold ``title`` and a caption (``note``)."""
    with st.container(border=True):
        st.markdown(f"**{title}**")
        st.caption(note)
        return panel(prefix, specs, labels)


def results_wait(progress: LiveProgress | None, what: str) -> bool:
    """True once every run of ``progress`` has finished; until then, say what will appear.

    ``what``: the results that appear after training, e.g. "The loss chart and the final
    losses of the runs".
    """
    if progress is not None and progress.done:
        return True
    st.info(
        f"Press **▶ Watch it train** above. {what} appear here when the runs have finished; "
        "training runs only when asked, so a room of students sharing this server stays fast.",
        icon=":material/model_training:",
    )
    return False
