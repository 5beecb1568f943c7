"""Lesson behind page 6 (playground): train several initializers side by side on one data set."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from core import datasets, initializers, networks, training
from explorer.experiments import InitParams, build_network, data_extent, decision_grid
from explorer.export import json_number
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


#: Cells per side of the decision-boundary grid.
PLAYGROUND_GRID = 60


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


def _thin(n_rows: int, limit: int) -> np.ndarray:
    """Row indices: at most ``limit`` evenly spaced rows, always the first and the last."""
    if n_rows <= limit:
        return np.arange(n_rows)
    return np.unique(np.linspace(0, n_rows - 1, limit).round().astype(int))


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
        rows = _thin(len(h.step), limit)
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
    frames = []
    for run in runs:
        h = run.history
        rows = _thin(len(h.step), limit)
        steps = h.step[rows]
        ends = np.append(steps[1:], max(h.step[-1] + 1, steps[-1] + 1))
        norms = h.grad_norm[rows]  # (B, L)
        n_bins, n_layers = norms.shape
        values = norms.ravel()
        status = np.full(values.shape, "ok", dtype=object)
        status[values == 0] = "zero"
        status[np.isinf(values)] = "overflow"
        status[np.isnan(values)] = "NaN"
        with np.errstate(all="ignore"):
            log10 = np.where(status == "ok", np.log10(np.where(values > 0, values, 1.0)), np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "series": run.label,
                    "layer": np.tile(np.array(h.layer_names, dtype=object), n_bins),
                    "layer_index": np.tile(np.arange(n_layers), n_bins),
                    "step": np.repeat(steps, n_layers),
                    "step_end": np.repeat(ends, n_layers),
                    "grad_norm": values,
                    "log10_norm": log10,
                    "status": status,
                }
            )
        )
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
    steps to target (NaN when never reached), diverged at (NaN when it did not), clipped
    updates, seconds.
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
    stalled = table[table["steps to target"].isna() & table["diverged at"].isna()]
    for _, row in stalled.iterrows():
        score = (
            f"accuracy {row['final score']:.0%}"
            if task == "classification"
            else f"R² {row['final score']:.2f}"
        )
        parts.append(f"{row['initializer']} never did ({score}, loss {row['final loss']:.3g})")
    for _, row in table.dropna(subset=["diverged at"]).iterrows():
        parts.append(f"{row['initializer']} diverged at step {int(row['diverged at'])}")
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
    out["diverged at"] = [
        "no" if v != v else str(int(v)) for v in table["diverged at"].to_numpy(dtype=float)
    ]
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
