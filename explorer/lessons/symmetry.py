"""Lesson behind page 1 (zero and constant init): symmetric neurons at init and while training."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from core import datasets, initializers, networks, training
from explorer.experiments import (
    InitParams,
    build_network,
    data_extent,
    decision_grid,
    fit,
    well_scaled_init,
)
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
    )


@st.cache_data(max_entries=64, show_spinner=False)
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
