"""Lesson behind page 6 (playground): train several initializers side by side on one data set."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import streamlit as st

from core import activations, datasets, initializers, networks, training
from core import regime as core_regime
from explorer import live
from explorer.claims import Claim, describe_number, std_factor_from_variance_factor
from explorer.experiments import (
    InitParams,
    build_network,
    data_extent,
    decision_grid,
    small_signal_slope2,
)
from explorer.export import json_number
from explorer.offload import offloaded
from explorer.state import (  # the playground's settings, limits and URL parser live there
    PLAYGROUND_PRESETS,
    DataOptions,
    Net,
    PlaygroundSettings,
)

# Re-exported for the page's pickers, so pages need not import core.
DATASETS = datasets.DATASETS
n_outputs_of = datasets.n_outputs_of
supported_inits = networks.supported_inits


#: Cells per side of the decision-boundary grid (40: 5.5 px cells on a 220 px map; 60 drew
#: 14,400 rectangles for the four default maps and cost a first visit 1-3 s in Chromium).
PLAYGROUND_GRID = 40


#: Largest estimated training time of one comparison, in seconds on one core.
PLAYGROUND_MAX_SECONDS = 20.0


#: Throughput assumed by the time estimate (multiply-adds per second on one core; measured
#: 1.2e10 dense, 5e9 conv, 9e9 recurrent with other jobs running) and the fixed Python cost
#: of one layer (or one recurrent time step) per training step, in seconds (measured 4e-5).
_DENSE_MACS_PER_S = 8e9


_CONV_MACS_PER_S = 3e9


_RNN_MACS_PER_S = 6e9


_LAYER_OVERHEAD_S = 6e-5


def _data_shapes(dataset: str, options: DataOptions) -> tuple[tuple[int, ...], int]:
    return (
        datasets.input_shape_of(dataset, **dict(options)),
        datasets.n_outputs_of(dataset, **dict(options)),
    )


def playground_seconds(network: str, settings: PlaygroundSettings) -> float:
    """Rough single-core training time of a whole comparison, for the server's budget.

    Multiply-adds of a forward pass times three (forward + backward) at a conservative
    throughput, plus a fixed Python cost per layer and step.
    """
    preset = PLAYGROUND_PRESETS[network]
    shape, n_out = _data_shapes(settings.dataset, settings.data_options())
    batch = preset.n if settings.batch == 0 else min(settings.batch, preset.n)
    d, w = settings.depth, settings.width
    if network == "cnn":
        h, wd, c = shape
        macs = h * wd * 9 * (c * w + (d - 1) * w * w) + w * n_out
        rate = _CONV_MACS_PER_S
        units = d + 1
    elif network == "rnn":
        t, c = shape
        macs = t * (c * w + w * w + (d - 1) * 2 * w * w) + w * n_out
        rate = _RNN_MACS_PER_S
        units = d * t + 1  # one small step per layer and time step
    else:
        macs = shape[0] * w + (d - 1 + (network == "resmlp")) * w * w + w * n_out
        rate = _DENSE_MACS_PER_S
        units = d + 1
    per_step = 3 * batch * macs / rate + _LAYER_OVERHEAD_S * units
    return per_step * settings.steps * max(len(settings.inits), 1)


@st.cache_data(max_entries=16, show_spinner=False)
def playground_data(
    dataset: str, options: DataOptions, n: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The training set (same seed, same data for every initializer)."""
    return datasets.load(dataset, n, seed, **dict(options))


def _boundary(net: networks.Network, x: np.ndarray) -> pd.DataFrame:
    """:func:`explorer.experiments.decision_grid` on the data's extent plus 10 % margins."""
    return decision_grid(net, data_extent(x, relative=0.1), PLAYGROUND_GRID)


def playground_points(dataset: str, n: int, seed: int, *, limit: int = 200) -> pd.DataFrame:
    """A sample of the 2-D training points for the charts (columns x0, x1, label)."""
    x, y = playground_data(dataset, (), n, seed)
    return pd.DataFrame({"x0": x[:limit, 0], "x1": x[:limit, 1], "label": y[:limit].astype(str)})


def _build(
    net: Net, init: str, init_params: InitParams, dataset: str, options: DataOptions
) -> networks.Network:
    network, activation, depth, width, seed = net
    shape, n_out = _data_shapes(dataset, options)
    return build_network(
        Net(network, activation, depth, width, seed),
        init,
        init_params,
        input_shape=shape,
        n_outputs=n_out,
    )


@dataclass(frozen=True)
class PlaygroundStart:
    """One initializer's network before training, on the playground's data.

    Attributes
    ----------
    init : str
    act_std : DataFrame
        Columns series, layer, act_std: std of each hidden layer's activations on the data
        (``inf`` where they overflowed).
    loss, score : float
        Loss and accuracy (classification) or R² (regression) on the whole data set.
    grid : DataFrame or None
        :func:`_boundary` at initialization (2-D data sets only).
    time_grad : DataFrame or None
        RNN only: columns series, layer (the time step t, 1..T), grad_rel: RMS of dL/dh_t of
        the top recurrent layer relative to the last step's (1 at t = T).
    """

    init: str
    act_std: pd.DataFrame
    loss: float
    score: float
    grid: pd.DataFrame | None
    time_grad: pd.DataFrame | None = None


def _score(output: np.ndarray, y: np.ndarray, loss_name: str, loss: float) -> float:
    if loss_name == "cross_entropy":
        with np.errstate(all="ignore"):
            return float(np.mean(np.argmax(output, axis=1) == y))
    return 1.0 - loss / _target_variance(y)


def _target_variance(y: np.ndarray) -> float:
    """MSE of always predicting the mean: the baseline R² compares against."""
    return float(np.mean(np.var(y, axis=0))) or 1.0


@st.cache_data(max_entries=64, show_spinner=False)
@offloaded
def playground_start(
    net: Net, init: str, init_params: InitParams, dataset: str, options: DataOptions
) -> PlaygroundStart:
    """The untrained network of one initializer on the playground's data (cached).

    Parameters
    ----------
    net : Net
        The playground's network and size; its seed seeds the data and the weights (the
        same for every initializer).
    init : str
    init_params : tuple of (name, value) pairs
    dataset : str
    options : tuple of (name, value) pairs
        Data-set options (:meth:`PlaygroundSettings.data_options`).

    Returns
    -------
    PlaygroundStart
    """
    network, activation, depth, width, seed = net
    n = PLAYGROUND_PRESETS[network].n
    x, y = playground_data(dataset, options, n, seed)
    net = _build(Net(network, activation, depth, width, seed), init, init_params, dataset, options)
    label = initializers.REGISTRY[init].label
    with np.errstate(all="ignore"):
        trace = net.forward(x)
        hidden = trace.a[:-1]
        stds = np.array([float(np.std(a)) if np.isfinite(a).all() else np.inf for a in hidden])
        loss_name = datasets.DATASETS[dataset].loss
        loss, dout = networks.loss_and_output_grad(trace.output, y, loss_name)
        score = _score(trace.output, y, loss_name, loss)
        time_grad = None
        if network == "rnn":
            # One recurrent matrix is applied at every time step: how much of the gradient
            # reaching the last hidden state survives the way back to step t.
            _, back = net.backward(trace, dout, need_input_grad=False)
            per_step = np.sqrt(np.mean(back.da[-2] ** 2, axis=(0, 2)))  # RMS of dL/dh_t
            relative = per_step / per_step[-1] if per_step[-1] > 0 else per_step
            time_grad = pd.DataFrame(
                {
                    "series": label,
                    "layer": np.arange(1, per_step.size + 1),
                    "grad_rel": relative,
                }
            )
    first = 0 if network == "resmlp" else 1  # resmlp: 0 is the input projection
    act_std = pd.DataFrame(
        {"series": label, "layer": np.arange(first, first + len(hidden)), "act_std": stds}
    )
    grid = _boundary(net, x) if x.ndim == 2 and x.shape[1] == 2 else None
    return PlaygroundStart(init, act_std, float(loss), float(score), grid, time_grad)


def playground_start_frame(
    starts: Sequence[PlaygroundStart], which: str = "act_std"
) -> pd.DataFrame:
    """Stack one per-layer frame of several untrained networks ("act_std" or "time_grad")."""
    return pd.concat([getattr(start, which) for start in starts], ignore_index=True)


@dataclass(frozen=True)
class PlaygroundRun:
    """One initializer trained on the playground's data.

    Attributes
    ----------
    init, label : str
    init_params : tuple of (name, value) pairs
    history : core.training.History
    score : ndarray, shape (R,)
        Per recorded step: batch accuracy (classification) or R² = 1 - loss / Var(y)
        (regression).
    final_score : float
        Accuracy or R² of the final weights on the whole data set.
    grid : DataFrame or None
        :func:`_boundary` after training (2-D data only).
    seconds : float
        Wall time of the training run.
    task : str
        "classification" or "regression".
    baseline : float
        Loss of a guess that ignores the input: ln(classes) for uniform class probabilities,
        Var(y) for predicting the mean.
    """

    init: str
    label: str
    init_params: InitParams
    history: training.History
    score: np.ndarray
    final_score: float
    grid: pd.DataFrame | None
    seconds: float
    task: str
    baseline: float


@st.cache_data(max_entries=48, max_size="96MB", show_spinner=False)
@offloaded
def playground_run(
    network: str,
    activation: str,
    init: str,
    init_params: InitParams,
    depth: int,
    width: int,
    dataset: str,
    options: DataOptions,
    seed: int,
    optimizer: str,
    lr: float,
    steps: int,
    batch: int,
    clip: float,
    _progress: Callable[[int, int], None] | None = None,
) -> PlaygroundRun:
    """Train one initializer's network (cached per argument tuple; ``_progress`` is not hashed).

    Parameters
    ----------
    network, activation, init : str
    init_params : tuple of (name, value) pairs
    depth, width : int
    dataset : str
    options : tuple of (name, value) pairs
    seed : int
        Seeds the data, the weights and the mini-batch order.
    optimizer : str
        "sgd", "momentum" or "adam".
    lr : float
    steps : int
    batch : int
        Mini-batch size, 0 for the full data set.
    clip : float
        Global gradient-norm clip, 0 for none.
    _progress : callable, optional
        ``_progress(step, total)`` about a hundred times per run. It must not draw Streamlit
        elements (st.cache_data would record them and fail to replay them on a cache hit);
        :func:`playground_train` uses it to feed a queue and draws from the script thread.

    Returns
    -------
    PlaygroundRun
    """
    import time

    n = PLAYGROUND_PRESETS[network].n
    x, y = playground_data(dataset, options, n, seed)
    spec = datasets.DATASETS[dataset]
    net = _build(Net(network, activation, depth, width, seed), init, init_params, dataset, options)

    def callback(step: int, total: int, _history: training.History) -> None:
        if _progress is not None:
            _progress(step, total)

    start = time.perf_counter()
    history = training.train(
        net,
        x,
        y,
        loss=spec.loss,
        optimizer=optimizer,
        lr=lr,
        steps=steps,
        batch_size=None if batch == 0 else batch,
        clip=None if clip == 0 else clip,
        seed=seed,
        callback=callback,
    )
    seconds = time.perf_counter() - start
    if spec.task == "classification":
        score = history.accuracy.copy()
        final_score = history.final_accuracy
        baseline = math.log(net.n_outputs)
    else:
        baseline = _target_variance(y)
        score = 1.0 - history.loss / baseline
        final_score = 1.0 - history.final_loss / baseline
    grid = _boundary(net, x) if x.ndim == 2 and x.shape[1] == 2 else None
    return PlaygroundRun(
        init=init,
        label=initializers.REGISTRY[init].label,
        init_params=init_params,
        history=history,
        score=score,
        final_score=float(final_score),
        grid=grid,
        seconds=seconds,
        task=spec.task,
        baseline=baseline,
    )


def playground_train(
    jobs: Sequence[Mapping[str, object]],
    on_progress: Callable[[int, int, int], None],
    *,
    poll: float = 0.05,
) -> list[PlaygroundRun]:
    """Run :func:`playground_run` for several jobs, reporting progress from the calling thread.

    Each run executes in a worker thread that only pushes ``(step, total)`` into a queue; the
    calling (script) thread drains it and calls ``on_progress(job_index, step, total)``, which
    may draw Streamlit elements (a progress bar). Drawing inside the cached function instead
    would be recorded by st.cache_data and break its replay on a cache hit.

    Parameters
    ----------
    jobs : sequence of mapping
        Keyword arguments of :func:`playground_run` (without ``_progress``).
    on_progress : callable
        ``on_progress(job_index, step, total)``.
    poll : float
        Seconds between checks of the queue.

    Returns
    -------
    list of PlaygroundRun
        In the order of ``jobs``. A cached job returns at once, without progress calls.
    """
    import queue
    from concurrent.futures import ThreadPoolExecutor, wait

    runs: list[PlaygroundRun] = []
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playground")
    try:
        for index, job in enumerate(jobs):
            events: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()
            future = pool.submit(
                playground_run, **job, _progress=lambda s, t, q=events: q.put((s, t))
            )
            while True:
                done = future.done()
                latest = None
                while not events.empty():
                    latest = events.get()
                if latest is not None:
                    on_progress(index, *latest)
                if done:
                    break
                wait([future], timeout=poll)
            runs.append(future.result())
    finally:
        # A rerun interrupts the script thread; let the worker finish (and fill the cache)
        # in the background instead of blocking the new run.
        pool.shutdown(wait=False, cancel_futures=True)
    return runs


def playground_curves(
    runs: Sequence[PlaygroundRun], *, limit: int = 300
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Loss and score curves of every run, thinned, and where runs diverged.

    Returns
    -------
    curves : DataFrame
        Columns series, step, loss, score (at most ``limit`` rows per run; the diverged row,
        if any, is always kept).
    diverged : DataFrame
        Columns series, step: one row per run that stopped at a non-finite value.
    """
    frames, stops = [], []
    for run in runs:
        h = run.history
        rows = live.thin(len(h.step), limit)
        frames.append(
            pd.DataFrame(
                {
                    "series": run.label,
                    "step": h.step[rows],
                    "loss": h.loss[rows],
                    "score": run.score[rows],
                }
            )
        )
        if h.diverged_at is not None:
            stops.append({"series": run.label, "step": h.diverged_at})
    curves = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return curves, pd.DataFrame(stops, columns=["series", "step"])


def playground_grad_frame(runs: Sequence[PlaygroundRun], *, limit: int = 60) -> pd.DataFrame:
    """Per-layer gradient norms over training, one cell per (run, step bin, layer).

    Returns
    -------
    DataFrame
        Columns series, layer (name), layer_index, step, step_end, grad_norm, log10_norm
        (NaN unless finite and positive), status ("ok", "zero", "overflow", "NaN"). At most
        ``limit`` step bins per run; each bin shows the norm at its first recorded step.
    """
    frames = [live.history_grad_frame(run.label, run.history, limit=limit) for run in runs]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def log_color_domain(values: pd.Series, *, spread: float = 0.02) -> tuple[float, float]:
    """Colour range of a log10 heatmap: robust quantiles of the finite values.

    The 2 % and 98 % quantiles, but at most 6 decades below and 4 above the median: one run
    that overflows to 1e200 would otherwise paint every other cell the same colour. Cells
    outside the range take the end colours (the chart clamps).
    """
    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return (-1.0, 1.0)
    low, high = np.quantile(finite, [spread, 1.0 - spread])
    median = float(np.median(finite))
    low, high = max(low, median - 6.0), min(high, median + 4.0)
    if high - low < 1.0:
        mid = (high + low) / 2
        low, high = mid - 0.5, mid + 0.5
    return float(low), float(high)


def loss_domain(curves: pd.DataFrame, baseline: float) -> tuple[float, float, float]:
    """Log-axis range of the loss chart and the largest finite loss.

    The top is capped at 1000 × ``baseline`` (the loss of ignoring the input) so that one
    exploding run does not flatten every other curve; the chart clamps what lies above.

    Returns
    -------
    low, high, peak : float
    """
    loss = curves["loss"].to_numpy(dtype=float)
    ok = loss[np.isfinite(loss) & (loss > 0)]
    if not ok.size:
        return (max(baseline, 1e-12) / 10, max(baseline, 1e-12) * 10, math.nan)
    peak = float(ok.max())
    high = min(peak, 1000.0 * baseline) if baseline > 0 else peak
    low = float(ok.min())
    return low / 1.5, max(high * 1.5, low * 10), peak


def steps_to_target(run: PlaygroundRun, target: float, *, window: int = 1) -> int | None:
    """First step at which the score, averaged over ``window`` recorded steps, reached ``target``.

    Averaging over about one epoch keeps a lucky mini-batch from counting. None when the run
    never got there.
    """
    score = np.nan_to_num(run.score, nan=-np.inf)
    if window > 1 and score.size >= window:
        kernel = np.ones(window) / window
        with np.errstate(all="ignore"):
            smooth = np.convolve(score, kernel, mode="valid")
        hits = np.flatnonzero(smooth >= target)
        return int(run.history.step[hits[0] + window - 1]) if hits.size else None
    hits = np.flatnonzero(score >= target)
    return int(run.history.step[hits[0]]) if hits.size else None


def playground_table(
    runs: Sequence[PlaygroundRun], target: float, *, window: int = 1
) -> pd.DataFrame:
    """The results table: one row per initializer.

    Columns: initializer, final loss, final score (accuracy or R² on the whole data set),
    steps to target (NaN when never reached), diverged at (NaN when it did not), collapsed at
    (the step from which no hidden layer got any gradient, see
    :attr:`core.training.History.collapsed_at`; NaN when it did not), peak loss (largest
    finite recorded loss), clipped updates, seconds.
    """
    rows = []
    for run in runs:
        h = run.history
        reached = steps_to_target(run, target, window=window)
        rows.append(
            {
                "initializer": run.label,
                "final loss": h.final_loss if h.diverged_at is None else math.nan,
                "final score": run.final_score if h.diverged_at is None else math.nan,
                "steps to target": math.nan if reached is None else reached,
                "diverged at": math.nan if h.diverged_at is None else h.diverged_at,
                "collapsed at": math.nan if h.collapsed_at is None else h.collapsed_at,
                "peak loss": h.peak_loss,
                "clipped updates": h.n_clipped,
                "seconds": run.seconds,
            }
        )
    return pd.DataFrame(rows)


def playground_window(network: str, batch: int) -> int:
    """Recorded steps in one epoch (the averaging window of :func:`steps_to_target`), <= 20."""
    n = PLAYGROUND_PRESETS[network].n
    return 1 if batch == 0 or batch >= n else min(20, math.ceil(n / batch))


def first_layer_grad(run: PlaygroundRun) -> float:
    """Norm of the first layer's weight gradient at step 0 (NaN if nothing was recorded)."""
    norms = run.history.grad_norm
    return float(norms[0, 0]) if norms.size else math.nan


def playground_summary(table: pd.DataFrame, *, target: float, task: str) -> str:
    """One plain sentence about the results table: who got there first, who stalled or diverged.

    Parameters
    ----------
    table : DataFrame
        :func:`playground_table`.
    target : float
        The target accuracy (classification) or R² (regression).
    task : str
        "classification" or "regression".
    """
    what = f"{target:.0%} accuracy" if task == "classification" else f"R² = {target:g}"
    parts = []
    reached = table.dropna(subset=["steps to target"]).sort_values("steps to target")
    if len(reached):
        best = reached.iloc[0]
        parts.append(
            f"{best['initializer']} reached {what} first, at step {int(best['steps to target'])}"
        )
    else:
        parts.append(f"no initializer reached {what}")
    stalled = table[
        table["steps to target"].isna() & table["diverged at"].isna() & table["collapsed at"].isna()
    ]
    for _, row in stalled.iterrows():
        score = (
            f"accuracy {row['final score']:.0%}"
            if task == "classification"
            else f"R² {row['final score']:.2f}"
        )
        parts.append(f"{row['initializer']} never did ({score}, loss {row['final loss']:.3g})")
    for _, row in table.dropna(subset=["diverged at"]).iterrows():
        parts.append(f"{row['initializer']} diverged at step {int(row['diverged at'])}")
    for _, row in table.dropna(subset=["collapsed at"]).iterrows():
        parts.append(
            f"{row['initializer']} collapsed at step {int(row['collapsed at'])}: after the loss "
            f"peaked at {describe_number(float(row['peak loss']))}, no hidden layer received any "
            "gradient (dead units), so it stopped learning without overflowing"
        )
    return "; ".join(parts) + "."


def boundary_spread(grid: pd.DataFrame) -> float:
    """Range (max - min) of the predicted probability over a :func:`_boundary` grid."""
    return float(grid["p"].max() - grid["p"].min())


def playground_table_display(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`playground_table` for display: steps as text, "never" and "no" instead of NaN."""
    out = table.copy()
    out["steps to target"] = [
        "never" if v != v else str(int(v)) for v in table["steps to target"].to_numpy(dtype=float)
    ]
    for column in ("diverged at", "collapsed at"):
        out[column] = ["no" if v != v else str(int(v)) for v in table[column].to_numpy(dtype=float)]
    return out


def playground_history_frame(runs: Sequence[PlaygroundRun]) -> pd.DataFrame:
    """Every recorded step of every run in one long table (the CSV export).

    Columns: initializer, init_key, step, loss, score, then one ``grad_norm <layer>`` column per
    layer.
    """
    frames = []
    for run in runs:
        h = run.history
        frame = pd.DataFrame(
            {
                "initializer": run.label,
                "init_key": run.init,
                "step": h.step,
                "loss": h.loss,
                "accuracy" if run.task == "classification" else "r2": run.score,
            }
        )
        for i, name in enumerate(h.layer_names):
            frame[f"grad_norm {name}"] = h.grad_norm[:, i]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def playground_json(runs: Sequence[PlaygroundRun], meta: Mapping[str, object]) -> bytes:
    """The histories as JSON: ``{"settings": meta, "runs": [...]}`` (strict JSON, no NaN)."""
    import json

    out = []
    for run in runs:
        h = run.history
        out.append(
            {
                "initializer": run.label,
                "init": run.init,
                "init_params": dict(run.init_params),
                "diverged_at": h.diverged_at,
                "steps_run": h.steps_run,
                "final_loss": json_number(h.final_loss),
                "final_score": json_number(run.final_score),
                "score_name": "accuracy" if run.task == "classification" else "r2",
                "step": h.step.tolist(),
                "loss": [json_number(v) for v in h.loss],
                "score": [json_number(v) for v in run.score],
                "grad_norm": {
                    name: [json_number(v) for v in h.grad_norm[:, i]]
                    for i, name in enumerate(h.layer_names)
                },
            }
        )
    return json.dumps({"settings": dict(meta), "runs": out}, allow_nan=False).encode("utf-8")


# --------------------------------------------------------------------------------------------
# Claims: the exercise's answer and the "why this differs" box, from the activation and the run
# --------------------------------------------------------------------------------------------

#: Half-width of the one-sided difference that reads an activation's slope on each side of 0.
_SLOPE_EPS = 1e-7


def guess_cost(dataset: str, options: DataOptions, n: int, seed: int) -> tuple[str, float, int]:
    """(task, loss of ignoring the input, outputs): ln(classes) or Var(y), as the runs use."""
    spec = datasets.DATASETS[dataset]
    n_out = datasets.n_outputs_of(dataset, **dict(options))
    if spec.task == "classification":
        return spec.task, math.log(n_out), n_out
    _, y = playground_data(dataset, options, n, seed)
    return spec.task, _target_variance(y), n_out


def small_signal_claim(activation: str) -> Claim:
    """What ``activation`` does to a small signal near 0, computed from f(0) and f′(0±).

    ``verdict``: "linear" (exactly linear), "near_identity" (f(0) = 0, f′(0) = 1: tanh,
    softsign, ELU), "scaled" (f(0) = 0, one slope ≠ 1: GELU, SiLU), "kinked" (different slopes
    on the two sides: ReLU, leaky ReLU, SELU), "offset" (f(0) ≠ 0: sigmoid). ``values``:
    f0, slope_left, slope_right, slope2 (E[f′(z)²] of a small zero-mean signal).
    """
    act = activations.get(activation)
    z = np.array([-_SLOPE_EPS, 0.0, _SLOPE_EPS])
    f0 = float(act.f(z)[1])
    left, right = (float(v) for v in act.df(z)[[0, 2]])
    slope2 = float(small_signal_slope2(activation))
    values = {"f0": f0, "slope_left": left, "slope_right": right, "slope2": slope2}
    name = act.label
    if activation == "linear":
        return Claim("theory", f"{name} passes every signal on unchanged", values, "linear")
    if not math.isclose(left, right, rel_tol=1e-4, abs_tol=1e-9):
        text = (
            f"{name} is linear on each side of 0 (slope {describe_number(right)} for z > 0, "
            f"{describe_number(left)} for z < 0), so a small zero-mean signal keeps "
            f"E[f′(z)²] = {describe_number(slope2)} of its mean square"
        )
        return Claim("theory", text, values, "kinked")
    if abs(f0) > 1e-12:
        text = (
            f"{name} is nearly linear near 0, with slope f′(0) = {describe_number(right)} around "
            f"an offset f(0) = {describe_number(f0)}: f(z) ≈ {describe_number(f0)} + "
            f"{describe_number(right)}·z, so each layer passes on only "
            f"{describe_number(right)} of the variation, on top of a constant"
        )
        return Claim("theory", text, values, "offset")
    if math.isclose(right, 1.0, rel_tol=1e-4):
        text = f"{name} is nearly linear near 0 (f(0) = 0, f′(0) = 1)"
        return Claim("theory", text, values, "near_identity")
    text = (
        f"{name} is nearly linear near 0, with slope f′(0) = {describe_number(right)}, so each "
        f"layer also scales a small signal by {describe_number(right)}"
    )
    return Claim("theory", text, values, "scaled")


def _hidden_shape(network: str, width: int) -> tuple[int, ...]:
    """A hidden weight's shape: 3×3 conv kernel for a CNN, width × width otherwise."""
    return (3, 3, width, width) if network == "cnn" else (width, width)


def small_random_factor(activation: str, width: int, network: str = "mlp") -> float:
    """√(σ_w²·E[f′(0)²]) of N(0, 0.01²) weights on a hidden layer: 0.01·√fan_in·slope."""
    sw2 = float(initializers.sigma_w2("small_random", _hidden_shape(network, width)))
    return math.sqrt(sw2 * small_signal_slope2(activation))


def start_last_std(
    net: Net, runs: Sequence[PlaygroundRun], dataset: str, options: DataOptions
) -> dict[str, float]:
    """Last hidden layer's activation std at step 0, per run label (:func:`playground_start`)."""
    out = {}
    for run in runs:
        start = playground_start(net, run.init, run.init_params, dataset, options)
        out[run.label] = float(start.act_std["act_std"].iloc[-1])
    return out


def he_vs_glorot_for_runs(
    net: Net, runs: Sequence[PlaygroundRun], dataset: str, options: DataOptions
) -> Claim | None:
    """:func:`he_vs_glorot_claim` for trained runs on ``net`` (step-0 stds measured here)."""
    network, activation, _, width, _ = net
    rows = [(r.init, r.label, r.init_params, r.final_score, r.history.diverged) for r in runs]
    if he_vs_glorot_claim(activation, network, width, rows) is None:
        return None
    pair = [r for r in runs if r.init.startswith(("he_", "glorot_"))]
    shape = datasets.input_shape_of(dataset, **dict(options))
    return he_vs_glorot_claim(
        activation,
        network,
        width,
        rows,
        start_std=start_last_std(net, pair, dataset, options),
        n_inputs=int(shape[0]) if len(shape) == 1 else None,
        task=runs[0].task,
    )


def stall_answer_claim(
    activation: str,
    width: int,
    *,
    network: str = "mlp",
    task: str,
    baseline: float,
    n_classes: int | None,
    measured_loss: float | None = None,
) -> Claim:
    """The answer to the page's "which initializer will be slowest" exercise.

    Cites the small-signal per-layer factor √(σ_w²·E[f′(0)²]) of N(0, 0.01²) weights on a
    hidden layer of ``network`` (``width`` units, or channels of a 3×3 conv), the
    activation's own small-signal property (:func:`small_signal_claim`), and the cost of
    guessing (``baseline``); with ``measured_loss`` (the small-random run's final loss, when
    one was trained) it says whether the run did stall (final loss above 90% of the guessing
    cost) or learned anyway.

    ``verdict``: "predicted" (no run), "stalled" or "learned".
    """
    sw2 = float(initializers.sigma_w2("small_random", _hidden_shape(network, width)))
    prop = small_signal_claim(activation)
    factor = small_random_factor(activation, width, network)
    layer, each = {
        "cnn": (f"{width}-channel 3×3 conv layer", "each conv layer"),
        "rnn": (f"{width}-unit recurrent matrix", "each time step"),
    }.get(network, (f"{width}-unit layer", "each hidden layer"))
    small = initializers.REGISTRY["small_random"].label
    guess = (
        f"ln {n_classes} = {describe_number(baseline)}, the cost of guessing uniformly"
        if task == "classification" and n_classes
        else f"Var(y) = {describe_number(baseline)}, the cost of predicting the mean"
    )
    text = (
        f"{small} should stall with plain SGD: {prop.text}, and with "
        f"σ_w² = {describe_number(sw2)} on a {layer} {each} multiplies a "
        f"small signal's std by about √(σ_w²·E[f′(0)²]) = {describe_number(factor)}. So the "
        "output barely depends on the input and the gradient reaching the first layers is "
        f"tiny: the loss stays near {guess}."
    )
    values = {"sigma_w2": sw2, "factor": factor, "baseline": float(baseline)}
    verdict = "predicted"
    if measured_loss is not None and math.isfinite(measured_loss):
        values["measured_loss"] = float(measured_loss)
        if measured_loss >= 0.9 * baseline:
            verdict = "stalled"
            text += f" Your run: final loss {describe_number(measured_loss)}, so it did stall."
        else:
            verdict = "learned"
            text += (
                f" Your run learned anyway (final loss {describe_number(measured_loss)}, below "
                "90% of that): with these settings enough signal got through."
            )
    text += (
        " Adam divides every update by the gradient's own running size, so it can rescue a "
        "badly scaled start — one reason initialization mattered even more before adaptive "
        "optimizers."
    )
    if network == "rnn":
        text += " See how little gradient reaches the first time step."
    return Claim("measured" if verdict != "predicted" else "theory", text, values, verdict)


#: Final-score margin above which one run "beats" another (accuracy: 1 point; R²: 0.01).
SCORE_MARGIN = 0.01


def _hidden_sigma_w2(init: str, params: InitParams, width: int) -> float:
    return float(initializers.sigma_w2(init, (width, width), **dict(params)))


def he_vs_glorot_claim(
    activation: str,
    network: str,
    width: int,
    runs: Sequence[tuple[str, str, InitParams, float, bool]],
    start_std: Mapping[str, float] | None = None,
    n_inputs: int | None = None,
    task: str = "classification",
) -> Claim | None:
    """The "why this differs from the simple rule" box: He beat Glorot on tanh, and why.

    Glorot/Xavier is the textbook choice for tanh (σ_w² = 1 on a square layer: tanh's χ₁ = 1
    edge), so a run where He (σ_w² = 2) ends with the better score needs explaining. Shown
    only when it happened: activation tanh, an MLP or residual MLP, a He and a Glorot run that
    both finished (no divergence), He's final score above Glorot's by more than
    :data:`SCORE_MARGIN`.

    Parameters
    ----------
    activation, network : str
    width : int
        Hidden width of the trained network.
    runs : sequence of (init, label, params, final_score, diverged)
    start_std : mapping of label to float, optional
        Last hidden layer's activation std at step 0 (the "before training" chart).
    n_inputs : int, optional
        Input features of the first layer (its σ_w² differs from a square layer's).
    task : str
        "classification" (scores are accuracies) or "regression" (R²).

    Returns
    -------
    Claim or None
        ``kind="why_differs"``; None when He did not beat Glorot in this run.
    """
    if activation != "tanh" or network not in ("mlp", "resmlp"):
        return None
    he = [r for r in runs if r[0].startswith("he_") and not r[4]]
    gl = [r for r in runs if r[0].startswith("glorot_") and not r[4]]
    if not he or not gl:
        return None
    h, g = max(he, key=lambda r: r[3]), max(gl, key=lambda r: r[3])
    if not (math.isfinite(h[3]) and math.isfinite(g[3]) and h[3] - g[3] > SCORE_MARGIN):
        return None

    def score(v: float) -> str:
        return f"{v:.1%} accuracy" if task == "classification" else f"R² {describe_number(v)}"

    sw_h, sw_g = _hidden_sigma_w2(h[0], h[2], width), _hidden_sigma_w2(g[0], g[2], width)
    r_h, r_g = core_regime.regime(activation, sw_h, 0.0), core_regime.regime(activation, sw_g, 0.0)
    text = (
        f"**Why this differs from the simple rule.** The rule of thumb says Glorot for tanh, yet "
        f"here {h[1]} ended at {score(h[3])} and {g[1]} at {score(g[3])}. "
        f"On a {width}-unit hidden layer Glorot has σ_w² = {describe_number(sw_g)}: "
        f"χ₁ = {describe_number(r_g.chi1)} ({r_g.phase})"
    )
    if r_g.fixed_point == "zero":
        text += (
            ", but with q* = 0: at σ_b² = 0 (biases start at 0) the signal's mean square fades "
            "toward 0 layer after layer, so deep units work in tanh's linear middle and pass "
            "little input information on"
        )
    if n_inputs is not None and n_inputs != width:
        first_g = float(initializers.sigma_w2(g[0], (n_inputs, width), **dict(g[2])))
        first_h = float(initializers.sigma_w2(h[0], (n_inputs, width), **dict(h[2])))
        values_first = {"glorot_first_sigma_w2": first_g, "he_first_sigma_w2": first_h}
        text += (
            f". On the {n_inputs}-input first layer Glorot's fan average gives σ_w² = "
            f"{describe_number(first_g)} (He: {describe_number(first_h)}), a weaker signal "
            "from the start"
        )
    else:
        values_first = {}
    text += (
        f". He has σ_w² = {describe_number(sw_h)}: χ₁ = {describe_number(r_h.chi1)} "
        f"({r_h.phase}; gradient std × {describe_number(std_factor_from_variance_factor(r_h.chi1))}"
        " per layer)"
    )
    if r_h.fixed_point == "finite":
        text += (
            f" with a finite fixed point q* = {describe_number(r_h.q_star)}: the signal keeps "
            "its size through depth"
        )
    text += "."
    values = {
        "he_score": float(h[3]),
        "glorot_score": float(g[3]),
        "he_sigma_w2": sw_h,
        "glorot_sigma_w2": sw_g,
        "he_chi1": float(r_h.chi1),
        "glorot_chi1": float(r_g.chi1),
        **values_first,
    }
    if start_std and h[1] in start_std and g[1] in start_std:
        a_h, a_g = float(start_std[h[1]]), float(start_std[g[1]])
        values |= {"he_start_std": a_h, "glorot_start_std": a_g}
        if math.isfinite(a_h) and math.isfinite(a_g) and a_g < a_h:
            text += (
                f" Measured at step 0: the last hidden layer's activation std was "
                f"{describe_number(a_g)} with Glorot against {describe_number(a_h)} with He."
            )
        elif math.isfinite(a_h) and math.isfinite(a_g):
            text += (
                f" The step-0 signal does not explain it here (last hidden std "
                f"{describe_number(a_g)} with Glorot, {describe_number(a_h)} with He): the "
                "difference arose during training."
            )
    return Claim("why_differs", text, values, "he_beats_glorot")


# ---- Live training: the runs as cached chunks (explorer.live), what the activations did ----


def playground_specs(
    net: Net, runs_args: Sequence[tuple[str, InitParams]], settings: PlaygroundSettings
) -> tuple[live.RunSpec, ...]:
    """One :class:`explorer.live.RunSpec` per initializer (the run of :func:`playground_run`)."""
    trained = Net(net.network, net.activation, settings.depth, settings.width, net.seed)
    common = (settings.dataset, settings.data_options(), PLAYGROUND_PRESETS[net.network].n)
    train = (settings.optimizer, settings.lr, settings.steps, settings.batch, settings.clip)
    return tuple(live.RunSpec(trained, name, params, *common, *train) for name, params in runs_args)


def _as_run(
    spec: live.RunSpec,
    history: training.History,
    grid: pd.DataFrame | None,
    final_score: float,
    seconds: float,
) -> PlaygroundRun:
    x, y = playground_data(spec.dataset, spec.options, spec.n, spec.net.seed)
    task = datasets.DATASETS[spec.dataset].task
    if task == "classification":
        score = history.accuracy.copy()
        baseline = math.log(datasets.n_outputs_of(spec.dataset, **dict(spec.options)))
    else:
        baseline = _target_variance(y)
        score = 1.0 - history.loss / baseline
    return PlaygroundRun(
        init=spec.init,
        label=initializers.REGISTRY[spec.init].label,
        init_params=spec.init_params,
        history=history,
        score=score,
        final_score=float(final_score),
        grid=grid,
        seconds=seconds,
        task=task,
        baseline=baseline,
    )


def live_view(run: live.LiveRun) -> PlaygroundRun | None:
    """A cheap :class:`PlaygroundRun` of a run in progress (small grid, NaN final score)."""
    history = run.history()
    if history is None or run.last is None:
        return None
    return _as_run(run.spec, history, run.last.grid, math.nan, run.seconds)


@st.cache_data(max_entries=64, show_spinner=False)
def run_from_live(spec: live.RunSpec, step: int, done: bool, _run: live.LiveRun) -> PlaygroundRun:
    """The :class:`PlaygroundRun` of a finished or stopped live run (cached per step reached).

    A finished run is exactly :func:`playground_run` of the same settings. A stopped one is
    evaluated on all the data with the weights it stopped with (History ``final_*`` too).
    """
    history = _run.history()
    assert history is not None
    assert _run.last is not None
    x, y = playground_data(spec.dataset, spec.options, spec.n, spec.net.seed)
    net = live.network_at(spec, _run.last.state)
    loss_name = datasets.DATASETS[spec.dataset].loss
    if not done:
        with np.errstate(all="ignore"):
            out = net.predict(x)
            loss = float(networks.loss_value(out, y, loss_name))
            hits = np.argmax(out, axis=1) == y if loss_name == "cross_entropy" else math.nan
        history = replace(history, final_loss=loss, final_accuracy=float(np.mean(hits)))
    if loss_name == "cross_entropy":
        final_score = history.final_accuracy
    else:
        final_score = 1.0 - history.final_loss / _target_variance(y)
    grid = _boundary(net, x) if x.ndim == 2 and x.shape[1] == 2 else None
    return _as_run(spec, history, grid, final_score, _run.seconds)


def playground_runs_from_live(progress: live.LiveProgress) -> tuple[PlaygroundRun, ...]:
    """:func:`run_from_live` of every run that trained at least one chunk."""
    return tuple(
        run_from_live(r.spec, r.step, r.done, r) for r in progress.runs if r.last is not None
    )


#: A layer is saturated when this share of its units is (|f′| < 5% of the max); it recovers
#: when the share falls this much from its peak. Its signal has vanished when its std is below
#: VANISHED_RATIO of the first hidden layer's and is healthy again from HEALTHY_RATIO; a std
#: below NOISE_STD is rounding noise (zero weights).
SATURATED_SHARE, RECOVERY_DROP, VANISHED_RATIO, HEALTHY_RATIO = 0.5, 0.25, 0.01, 0.1
NOISE_STD, DEAD_SHARE = 1e-12, 0.75


def activation_course_claim(frame: pd.DataFrame, label: str, activation: str) -> Claim:
    """What the top hidden layer's activations did during training (Glorot & Bengio 2010).

    ``frame``: :func:`explorer.live.activation_frame` rows of one run (every layer, every
    recorded step); ``label``: the initializer's label.

    ``verdict``: "not_trained" (< 2 recorded steps; ``applies`` False), "overflow", "no_spread"
    (top-layer std below NOISE_STD throughout: zero or symmetric weights), "vanished" /
    "still_weak" / "recovered" / "vanished_late" (top std vs VANISHED_RATIO and HEALTHY_RATIO
    of the first layer's, at the start and the end), "saturated_recovered" / "saturated"
    (saturating activations: a SATURATED_SHARE peak that fell by RECOVERY_DROP, or not), else
    "kept".
    """
    act = activations.get(activation)
    if frame.empty or frame["step"].nunique() < 2:
        return Claim(
            "not_applicable",
            f"{label}: does not apply yet — the distribution over training needs at least two "
            "recorded steps; train first.",
            {},
            "not_trained",
            applies=False,
        )
    bad = frame[~frame["finite"].astype(bool)]
    if len(bad):
        step = int(bad["step"].min())
        return Claim(
            "measured",
            f"{label}: from step {step} some activations overflowed (infinite or undefined): "
            "from there on there is no distribution to show.",
            {"overflow_step": step},
            "overflow",
        )
    frame = frame.sort_values(["step", "layer"])
    top = frame[frame["layer"] == frame["layer"].max()]
    first = frame[frame["layer"] == frame["layer"].min()]
    name = str(top["layer_name"].iloc[0])
    steps = int(top["step"].iloc[-1])
    std = top["std"].to_numpy(dtype=float)
    base = first["std"].to_numpy(dtype=float)
    sat = top["saturated"].to_numpy(dtype=float)
    with np.errstate(all="ignore"):
        ratio = np.where(base > 0, std / np.where(base > 0, base, 1.0), np.nan)
    peak = int(np.argmax(sat))
    values = {
        "std_start": float(std[0]),
        "std_end": float(std[-1]),
        "ratio_start": float(ratio[0]),
        "ratio_end": float(ratio[-1]),
        "sat_start": float(sat[0]),
        "sat_peak": float(sat[peak]),
        "sat_peak_step": int(top["step"].iloc[peak]),
        "sat_end": float(sat[-1]),
        "steps": steps,
    }
    where = f"{label}, top hidden layer ({name})"
    if float(np.max(std)) < NOISE_STD:
        return Claim(
            "measured",
            f"{where}: the same activations for every probe sample up to step {steps} (std "
            f"below {NOISE_STD:g}): it cannot tell inputs apart, the mark of zero or symmetric "
            "weights.",
            values,
            "no_spread",
        )
    spread = (
        f"its activations' std went from {describe_number(std[0])} at step 0 to "
        f"{describe_number(std[-1])} at step {steps}"
    )
    if act.saturating and sat[peak] >= SATURATED_SHARE:
        when = f"{sat[peak]:.0%} of its units saturated at step {values['sat_peak_step']}"
        if sat[peak] - sat[-1] >= RECOVERY_DROP:
            text = (
                f"{where}: {when}, then it recovered: {sat[-1]:.0%} at step {steps} — the "
                "saturate-then-escape pattern of Glorot & Bengio's sigmoid nets"
            )
            verdict = "saturated_recovered"
        else:
            text = f"{where}: {when}, and {sat[-1]:.0%} still are at step {steps}"
            verdict = "saturated"
        return Claim("measured", f"{text}; {spread}.", values, verdict)
    small_start, small_end = ratio[0] < VANISHED_RATIO, ratio[-1] < VANISHED_RATIO
    versus = (
        f" ({describe_number(ratio[0])} and {describe_number(ratio[-1])} of the first hidden "
        "layer's)"
        if np.all(np.isfinite(ratio[[0, -1]]))
        else ""
    )
    dead = ""
    if not act.saturating and activation != "linear" and sat[-1] >= DEAD_SHARE:
        dead = f" At step {steps}, {sat[-1]:.0%} of its units are inactive (f′ = 0 or nearly)."
    if small_start and small_end:
        text = f"{where}: {spread}{versus}: the signal vanished and stayed vanished."
        verdict = "vanished"
    elif small_end:
        text = f"{where}: {spread}{versus}: the signal vanished during training."
        verdict = "vanished_late"
    elif small_start and ratio[-1] >= HEALTHY_RATIO:
        text = f"{where}: {spread}{versus}: a vanished signal that training revived."
        verdict = "recovered"
    elif small_start:
        text = f"{where}: {spread}{versus}: a vanished signal, still weak at the end."
        verdict = "still_weak"
    else:
        text = f"{where}: {spread}{versus}."
        if act.saturating:
            most = f"at most {sat[peak]:.0%}" if sat[peak] >= 0.005 else "under 0.5%"
            text += f" At every recorded step {most} of its units were saturated."
        elif activation == "linear":
            text += " Saturation does not apply to a linear activation."
        verdict = "kept"
    return Claim("measured", text + dead, values, verdict)
