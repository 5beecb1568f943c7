"""Lesson behind page 1 (zero and constant init): symmetric neurons at init and while training."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from core import activations, datasets, initializers, networks, training
from explorer import live
from explorer.claims import Claim, describe_number
from explorer.experiments import (
    InitParams,
    build_network,
    data_extent,
    decision_grid,
    fit,
    well_scaled_init,
)
from explorer.offload import offloaded
from explorer.state import Net

#: The symmetry lesson trains small MLPs on two moons (fast enough to run on every visit).
SYMMETRY_DATA = "moons"


SYMMETRY_POINTS = 200


SYMMETRY_MAX_DEPTH = 3


SYMMETRY_MAX_WIDTH = 16


SYMMETRY_LR = 0.1


#: Cells per side of the decision-boundary grid.
BOUNDARY_CELLS = 40


@dataclass(frozen=True)
class SymmetryRun:
    """One small network trained from one initialization (page 1).

    Attributes
    ----------
    label, init : str
        Series label and initializer name.
    grads : DataFrame
        One row per layer (hidden layers then "output"): layer; max_abs_dw0 and max_abs_db0,
        the largest |dL/dW| and |dL/db| at step 0 (before any update); max_abs_dw1, the
        largest |dL/dW| at step 1 (after one update); spread1, the largest difference between
        the gradient columns of two neurons of the layer at step 1 (0 = the neurons are clones
        receiving identical gradients; NaN for the output layer, whose units are the classes).
    neuron_grads : DataFrame
        Columns neuron (1..width), grad0, grad1: dL/dW of the weight from input x1 into each
        neuron of hidden layer 1 at step 0 and at step 1.
    max_hidden_grad_norm : float
        Largest gradient norm of any hidden layer's weights over the whole run.
    first_hidden_grad_step : int or None
        First step at which a hidden weight gradient was non-zero (None: never).
    distinct : DataFrame
        Columns step, layer (1-based), distinct (distinct neurons of that hidden layer).
    curve : DataFrame
        Columns step, loss, accuracy.
    weights_start, weights_end : ndarray, shape (fan_in, width)
        The heatmap layer's weights at step 0 and after training.
    boundary : DataFrame
        Decision-boundary grid for :func:`explorer.charts.decision_boundary`.
    final_loss, final_accuracy : float
    diverged_at : int or None
    max_grad_norm_by_layer : tuple of float
        Largest gradient norm of each layer's weights (hidden layers, then the output layer)
        over the whole run, step 0 included.
    """

    label: str
    init: str
    grads: pd.DataFrame
    neuron_grads: pd.DataFrame
    max_hidden_grad_norm: float
    first_hidden_grad_step: int | None
    distinct: pd.DataFrame
    curve: pd.DataFrame
    weights_start: np.ndarray
    weights_end: np.ndarray
    boundary: pd.DataFrame
    final_loss: float
    final_accuracy: float
    diverged_at: int | None
    max_grad_norm_by_layer: tuple[float, ...] = ()


@dataclass(frozen=True)
class SymmetryResult:
    """Everything page 1 draws: zero, constant and random runs on the same data and seed.

    Attributes
    ----------
    runs : tuple of SymmetryRun
        Zero, constant k, random (in that order).
    points : DataFrame
        The training data (x0, x1, label) for the boundary charts.
    depth, width, steps : int
        The small network trained and for how long.
    heat_layer : int
        Which hidden layer the weight heatmaps show (1-based).
    """

    runs: tuple[SymmetryRun, ...]
    points: pd.DataFrame
    depth: int
    width: int
    steps: int
    heat_layer: int


def symmetry_size(depth: int, width: int) -> tuple[int, int]:
    """The small MLP trained on page 1 for the user's depth and width (capped for speed)."""
    return max(1, min(depth, SYMMETRY_MAX_DEPTH)), max(2, min(width, SYMMETRY_MAX_WIDTH))


def boundary_grid(net: networks.Network, x: np.ndarray) -> pd.DataFrame:
    """:func:`explorer.experiments.decision_grid` on the data's extent plus a 0.5 margin."""
    return decision_grid(net, data_extent(x, pad=0.5), BOUNDARY_CELLS)


def _gradient_frame(
    net: networks.Network,
    grads0: list[dict[str, np.ndarray]],
    grads1: list[dict[str, np.ndarray]],
) -> pd.DataFrame:
    """Per-layer largest gradients at steps 0 and 1 and how much neurons' gradients differ."""
    names = training.layer_names(net)
    rows = []
    for i, (name, g0, g1) in enumerate(zip(names, grads0, grads1, strict=True)):
        dw1 = g1["w"].reshape(-1, g1["w"].shape[-1])
        hidden = i < len(names) - 1
        rows.append(
            {
                "layer": name,
                "max_abs_dw0": float(np.max(np.abs(g0["w"]))),
                "max_abs_db0": float(np.max(np.abs(g0["b"]))) if "b" in g0 else math.nan,
                "max_abs_dw1": float(np.max(np.abs(dw1))),
                "spread1": float(np.max(np.abs(dw1 - dw1[:, :1]))) if hidden else math.nan,
            }
        )
    return pd.DataFrame(rows)


def _symmetry_train(
    net: networks.Network, x: np.ndarray, y: np.ndarray, steps: int, seed: int
) -> training.History:
    every = max(1, steps // 40)
    return fit(
        net,
        x,
        y,
        optimizer="momentum",
        lr=SYMMETRY_LR,
        steps=steps,
        seed=seed,
        symmetry_every=every,
    )


def _symmetry_run(
    label: str,
    init: str,
    params: InitParams,
    activation: str,
    depth: int,
    width: int,
    steps: int,
    seed: int,
    x: np.ndarray,
    y: np.ndarray,
    heat_layer: int,
) -> SymmetryRun:
    net = build_network(Net("mlp", activation, depth, width, seed), init, params)
    _, grads0 = net.loss_and_grads(x, y, "cross_entropy")
    # One update on a copy gives the step-1 gradients: at step 0 a constant net's hidden
    # gradients are still exactly 0 (its output units are clones too, so their errors cancel).
    after_one = net.copy()
    _symmetry_train(after_one, x, y, 1, seed)
    _, grads1 = after_one.loss_and_grads(x, y, "cross_entropy")
    weights_start = net.params[heat_layer - 1]["w"].copy()
    history = _symmetry_train(net, x, y, steps, seed)
    hidden_norms = history.grad_norm[:, :-1]
    nonzero = np.flatnonzero((hidden_norms != 0).any(axis=1))
    n_hidden = history.distinct_neurons.shape[1]
    distinct = pd.DataFrame(
        {
            "step": np.repeat(history.symmetry_step, n_hidden),
            "layer": np.tile(np.arange(1, n_hidden + 1), len(history.symmetry_step)),
            "distinct": history.distinct_neurons.ravel(),
        }
    )
    curve = pd.DataFrame({"step": history.step, "loss": history.loss, "accuracy": history.accuracy})
    return SymmetryRun(
        label=label,
        init=init,
        grads=_gradient_frame(net, grads0, grads1),
        neuron_grads=pd.DataFrame(
            {
                "neuron": np.arange(1, width + 1),
                "grad0": grads0[0]["w"][0].astype(float),
                "grad1": grads1[0]["w"][0].astype(float),
            }
        ),
        max_hidden_grad_norm=float(np.max(hidden_norms)) if hidden_norms.size else 0.0,
        first_hidden_grad_step=int(history.step[nonzero[0]]) if nonzero.size else None,
        distinct=distinct,
        curve=curve,
        weights_start=weights_start,
        weights_end=net.params[heat_layer - 1]["w"].copy(),
        boundary=boundary_grid(net, x),
        final_loss=float(history.final_loss),
        final_accuracy=float(history.final_accuracy),
        diverged_at=history.diverged_at,
        max_grad_norm_by_layer=tuple(
            float(v) for v in np.nanmax(np.abs(history.grad_norm), axis=0, initial=0.0)
        ),
    )


@st.cache_data(max_entries=64, show_spinner=False)
@offloaded
def symmetry_experiment(
    activation: str,
    constant_value: float,
    random_init: str,
    random_params: InitParams,
    depth: int,
    width: int,
    steps: int,
    seed: int,
) -> SymmetryResult:
    """Train the same small MLP from W = 0, W = k and a random initialization (page 1).

    Data: :data:`SYMMETRY_POINTS` points of two moons (seeded). Network: ``depth`` hidden tanh
    (or the chosen activation) layers of ``width`` units, cross-entropy, SGD with momentum 0.9
    and learning rate :data:`SYMMETRY_LR`, full batch, ``steps`` updates. (Not Adam: it divides
    by the gradient's own size, so it would blow rounding noise of 1e-19 up to full-size
    steps.) Biases start at 0; every weight (the output layer's too) comes from the
    initializer, as in :func:`core.networks.build`.

    Returns
    -------
    SymmetryResult
    """
    x, y = datasets.load(SYMMETRY_DATA, SYMMETRY_POINTS, seed)
    heat_layer = 2 if depth >= 2 else 1
    specs = (
        ("Zero (W = 0)", "zeros", ()),
        (f"Constant (W = {constant_value:g})", "constant", (("value", float(constant_value)),)),
        (initializers.REGISTRY[random_init].label, random_init, random_params),
    )
    runs = tuple(
        _symmetry_run(label, init, params, activation, depth, width, steps, seed, x, y, heat_layer)
        for label, init, params in specs
    )
    points = pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "label": y.astype(int)})
    return SymmetryResult(
        runs=runs, points=points, depth=depth, width=width, steps=steps, heat_layer=heat_layer
    )


def distinct_at_end(run: SymmetryRun) -> int:
    """Fewest distinct neurons in any hidden layer at the end of the run."""
    last = run.distinct[run.distinct["step"] == run.distinct["step"].max()]
    return int(last["distinct"].min())


def symmetry_random_init(
    init: str, init_params: InitParams, activation: str
) -> tuple[str, InitParams]:
    """The random initialization page 1 compares against.

    The user's, unless it is symmetric itself (zeros, constant) or not defined for a dense
    layer; then the textbook one for the activation (:func:`well_scaled_init`).
    """
    if initializers.REGISTRY[init].family == "constant" or init not in networks.supported_inits(
        "mlp"
    ):
        return well_scaled_init(activation), ()
    return init, init_params


def symmetry_grads_frame(result: SymmetryResult) -> pd.DataFrame:
    """Page 1's per-layer gradient table of every run, stacked (``series`` = the run's label).

    Columns: series, then :class:`SymmetryRun` ``grads`` columns (layer, max_abs_dw0,
    max_abs_db0, max_abs_dw1, spread1); one row per layer (hidden layers, then "output").
    """
    frame = pd.concat(
        [run.grads.assign(series=run.label) for run in result.runs], ignore_index=True
    )
    return frame[["series", *(c for c in frame.columns if c != "series")]]


#: Gradients at most this large (and non-zero) are rounding noise, "numerically zero": a
#: float64 product of O(1) numbers is exact to about 1e-16, so 1e-12 leaves four decades.
ROUNDING_LEVEL = 1e-12


def _hidden(run: SymmetryRun) -> pd.DataFrame:
    return run.grads.iloc[:-1]


def gradient_kind(largest: float) -> str:
    """``"exactly zero"``, ``"numerically zero"`` (<= :data:`ROUNDING_LEVEL`) or ``"non-zero"``."""
    if largest == 0.0:
        return "exactly zero"
    if largest <= ROUNDING_LEVEL:
        return "numerically zero"
    return "non-zero"


def constant_gradient_claim(run: SymmetryRun, k: float, activation: str) -> Claim:
    """The verdict on the W = k network's hidden gradients after one update (page 1's title).

    Decided from the measured step-1 gradients (``max_abs_dw1`` and ``spread1`` of the hidden
    layers), not from k: exactly zero (k = 0, or the error never reaches the hidden layers),
    numerically zero (at most :data:`ROUNDING_LEVEL`: for a bounded activation at |k| large the
    units are saturated, f' ~ 0), identical and non-zero (the symmetry problem proper), or
    different between neurons (never expected from a constant start).

    Returns
    -------
    Claim
        ``verdict`` one of ``"exactly zero"``, ``"numerically zero"``, ``"identical, non-zero"``,
        ``"different"``; ``text`` the page's header; ``values`` largest (max |dL/dW| over the
        hidden layers at step 1) and spread (largest difference between two neurons).
    """
    hidden = _hidden(run)
    largest = float(hidden["max_abs_dw1"].max()) if len(hidden) else 0.0
    spread = float(hidden["spread1"].max()) if len(hidden) else 0.0
    kind = gradient_kind(largest)
    values = {"largest": largest, "spread": spread, "k": float(k)}
    if kind == "exactly zero":
        text = f"W = {k:g}: the hidden gradients are exactly zero"
        verdict = kind
    elif kind == "numerically zero":
        why = (
            "the units are saturated"
            if activations.get(activation).saturating and k != 0
            else "rounding level"
        )
        text = (
            f"W = {k:g}: the hidden gradients are numerically zero "
            f"({describe_number(largest)}: {why})"
        )
        verdict = kind
    elif spread <= ROUNDING_LEVEL or spread <= 1e-9 * largest:
        text = f"W = {k:g}: identical, non-zero gradients — clones forever"
        verdict = "identical, non-zero"
    else:
        text = f"W = {k:g}: the neurons' gradients differ (spread {describe_number(spread)})"
        verdict = "different"
    return Claim(kind="measured", text=text, values=values, verdict=verdict)


def _layer_words(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def zero_network_claim(run: SymmetryRun, activation: str, steps: int) -> Claim:
    """Which layers of the W = 0 network ever received a non-zero gradient in this run.

    Decided per layer from ``max_grad_norm_by_layer`` (over every step): exactly zero,
    numerically zero (at most :data:`ROUNDING_LEVEL`) or a real gradient. Correct for every
    activation: with f(0) = 0 nothing moves; with f(0) != 0 (sigmoid: every hidden unit is 0.5)
    the output layer sees a non-zero input, but with balanced classes its exact gradient is 0
    as well, so only rounding noise arrives.

    Returns
    -------
    Claim
        ``verdict``: ``"hidden layers got gradient"`` or ``"hidden layers got none"``;
        ``values``: f0, hidden_max, output_max.
    """
    f0 = float(activations.get(activation).f(np.array([0.0]))[0])
    norms = list(run.max_grad_norm_by_layer)
    names = list(run.grads["layer"])
    hidden_norms, output_norm = norms[:-1], (norms[-1] if norms else 0.0)
    hidden_max = max(hidden_norms, default=0.0)
    moved = [n for n, v in zip(names[:-1], hidden_norms, strict=False) if v > ROUNDING_LEVEL]
    f0_text = f"{activation}(0) = {describe_number(f0)}"
    if f0 == 0.0:
        lead = f"With {f0_text}, every hidden unit of the zero network outputs 0"
    else:
        lead = (
            f"With {f0_text}, every hidden unit of the zero network outputs "
            f"{describe_number(f0)} for every input, so the output layer sees a constant"
        )
    kind_out = gradient_kind(output_norm)
    out_text = {
        "exactly zero": "its output weights' gradient was exactly 0",
        "numerically zero": (
            f"its output weights' gradient was only rounding noise (at most "
            f"{describe_number(output_norm)}: with balanced classes its exact value is 0)"
        ),
        "non-zero": f"its output weights' gradient reached {describe_number(output_norm)}",
    }[kind_out]
    kind_hidden = gradient_kind(hidden_max)
    if moved:
        hidden_text = (
            f"{_layer_words(moved)} received a real gradient (up to "
            f"{describe_number(hidden_max)}) — the same for every neuron of a layer, so they "
            "stayed clones"
        )
        verdict = "hidden layers got gradient"
    elif kind_hidden == "exactly zero":
        hidden_text = f"its hidden layers received exactly zero gradient in all {steps} steps"
        verdict = "hidden layers got none"
    else:
        hidden_text = (
            f"its hidden layers received only rounding noise (at most "
            f"{describe_number(hidden_max)}) in {steps} steps: in effect no gradient"
        )
        verdict = "hidden layers got none"
    text = f"{lead}; in this run {out_text}, and {hidden_text}."
    return Claim(
        kind="measured",
        text=text,
        values={"f0": f0, "hidden_max": hidden_max, "output_max": output_norm},
        verdict=verdict,
    )


def try_this_answer(zero: SymmetryRun, const: SymmetryRun, activation: str, steps: int) -> Claim:
    """Page 1's try-this answer from this run: whether the constant net breaks its symmetry.

    Returns
    -------
    Claim
        ``verdict`` ``"stays symmetric"`` when the constant network ends with one distinct
        neuron per layer, else ``"broke symmetry"``; the text adds :func:`zero_network_claim`.
    """
    n_const = distinct_at_end(const)
    if n_const == 1:
        head = (
            "No. Identical neurons get identical gradients and identical updates, so in this run "
            f"the constant network still has 1 distinct neuron per layer after {steps} steps "
            "(look at the chart), and so it will for any k, activation or number of steps."
        )
        verdict = "stays symmetric"
    else:
        head = (
            f"In this run the constant network ends with {n_const} distinct neurons in its most "
            "symmetric layer: its weights drifted apart by more than the 10⁻⁶ counting "
            "tolerance (rounding noise amplified by training), not by a real symmetry break."
        )
        verdict = "broke symmetry"
    zero_claim = zero_network_claim(zero, activation, steps)
    text = f"{head} {zero_claim.text} Only randomness (or noise such as dropout) breaks the tie."
    return Claim(
        kind="measured",
        text=text,
        values={"distinct_const": float(n_const), **zero_claim.values},
        verdict=verdict,
    )


def symmetry_live_specs(
    activation: str,
    constant_value: float,
    random_init: str,
    random_params: InitParams,
    depth: int,
    width: int,
    steps: int,
    seed: int,
) -> tuple[tuple[live.RunSpec, ...], tuple[str, ...]]:
    """The three runs of :func:`symmetry_experiment` as live specs, and their labels.

    Trained by :func:`explorer.live.panel`, they record exactly the histories the page's
    static charts come from (same data, seed, optimizer and counting of distinct neurons).
    """
    net = Net("mlp", activation, depth, width, seed)
    common = (SYMMETRY_DATA, (), SYMMETRY_POINTS, "momentum", SYMMETRY_LR, steps, 0, 0.0)
    runs = (
        ("Zero (W = 0)", "zeros", ()),
        (f"Constant (W = {constant_value:g})", "constant", (("value", float(constant_value)),)),
        (initializers.REGISTRY[random_init].label, random_init, random_params),
    )
    specs = tuple(
        live.RunSpec(net, init, params, *common, max(1, steps // 40)) for _, init, params in runs
    )
    return specs, tuple(label for label, _, _ in runs)
