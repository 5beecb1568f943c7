"""Lesson behind page 2 (small random weights): vanishing activations and gradients."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from core import datasets, initializers, networks, theory
from explorer.experiments import (
    InitParams,
    build_network,
    fit,
    initializer_label,
    series_stats,
    well_scaled_init,
)
from explorer.state import InitSeries, Net

SMALL_RANDOM = "small_random"


#: The stall demo trains this MLP on two moons with plain momentum SGD (Adam would rescale
#: tiny gradients and hide the lesson).
STALL_DEPTH = 5


STALL_WIDTH = 32


STALL_POINTS = 200


STALL_STEPS = 200


STALL_LR = 0.05


#: Losses above this are left off the page-2 loss chart (a diverging run reaches 1e160 and
#: would flatten every other curve); the summary keeps the true maximum.
STALL_LOSS_CAP = 100.0


def vanishing_series(
    init: str, init_params: InitParams, activation: str, network: str
) -> InitSeries:
    """(label, init, params) of the series page 2 compares.

    Small random N(0, 0.01²), the user's initializer (when different) and the textbook one for
    the activation (when different).
    """
    good = well_scaled_init(activation)
    if network == "cnn" and good not in networks.supported_inits("cnn"):
        good = "he_normal"
    out = [(initializers.REGISTRY[SMALL_RANDOM].label, SMALL_RANDOM, ())]
    if init != SMALL_RANDOM:
        out.append((initializers.REGISTRY[init].label, init, init_params))
    if good not in (init, SMALL_RANDOM):
        out.append((initializers.REGISTRY[good].label, good, ()))
    return tuple(out)


@st.cache_data(max_entries=64, show_spinner=False)
def vanishing_probe(net: Net, series: InitSeries) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-layer stats of the page-2 series on the user's network (same inputs and seed).

    Parameters
    ----------
    series : tuple of (label, init, params)
        From :func:`vanishing_series`; the first one is small random.

    Returns
    -------
    layers : DataFrame
        :func:`stats_frame` rows of every series; for an MLP also the mean-field prediction
        for small random (:func:`predicted_small_random`, series "theory: small random").
    summary : DataFrame
        One row per series: series, init, sigma_w2, rule_factor (sqrt(sigma_w2 E[f'(0)^2]),
        the small-signal per-layer factor) and :func:`summary_row` fields.
    """
    network, activation, depth, width, seed = net
    layers, summary = series_stats(Net(network, activation, depth, width, seed), series)
    if network == "mlp":
        first = layers[layers["series"] == series[0][0]]
        top = float(first["grad_std"].iloc[-1])
        predicted = predicted_small_random(activation, depth, width, top)
        layers = pd.concat([layers, predicted], ignore_index=True)
    return layers, summary


def predicted_small_random(
    activation: str, depth: int, width: int, measured_grad_top: float
) -> pd.DataFrame:
    """Mean-field prediction of the small-random MLP's per-layer std (:mod:`core.theory`).

    Returns
    -------
    DataFrame
        Columns layer, act_std, grad_std and series "theory: small random". The gradient curve
        is anchored at the measured top-layer value (theory gives its shape, the probe's
        injected gradient its level).
    """
    pred = theory.predicted_stats(activation, SMALL_RANDOM, depth=depth, width=width)
    with np.errstate(all="ignore"):
        grad = pred.grad_std / pred.grad_std[-1] * measured_grad_top
    return pd.DataFrame(
        {
            "series": "theory: small random",
            "layer": pred.layer,
            "act_std": pred.act_std,
            "grad_std": grad,
        }
    )


def _finite_max(values: np.ndarray) -> float:
    """Largest finite entry, NaN when there is none (no warning)."""
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else math.nan


@st.cache_data(max_entries=64, show_spinner=False)
def stall_training(
    activation: str, series: InitSeries, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Train the page-2 MLP from each initialization (same data, seed and optimizer).

    Returns
    -------
    curves : DataFrame
        step, loss, loss_shown (loss, with values above :data:`STALL_LOSS_CAP` set to inf,
        which :func:`explorer.charts.training_curves` leaves out), accuracy, series.
    summary : DataFrame
        series, init, first_loss, final_loss, final_accuracy, max_loss (largest finite
        recorded loss), diverged_at (NaN when the run
        completed), layer1_grad (norm of the first hidden layer's weight gradient at step 0),
        output_grad (the output layer's).
    diverged : DataFrame
        step, series of runs that turned non-finite (for the chart's red rule).
    """
    x, y = datasets.load("moons", STALL_POINTS, seed)
    curves = []
    rows = []
    diverged = []
    for label, init, params in series:
        mlp_init = init if init in networks.supported_inits("mlp") else "orthogonal"
        net = build_network(
            Net("mlp", activation, STALL_DEPTH, STALL_WIDTH, seed), mlp_init, params
        )
        history = fit(net, x, y, optimizer="momentum", lr=STALL_LR, steps=STALL_STEPS, seed=seed)
        with np.errstate(all="ignore"):
            shown = np.where(history.loss > STALL_LOSS_CAP, np.inf, history.loss)
        curves.append(
            pd.DataFrame(
                {
                    "step": history.step,
                    "loss": history.loss,
                    "loss_shown": shown,
                    "accuracy": history.accuracy,
                    "series": label,
                }
            )
        )
        rows.append(
            {
                "series": label,
                "init": init,
                "first_loss": float(history.loss[0]),
                "final_loss": float(history.final_loss),
                "final_accuracy": float(history.final_accuracy),
                "max_loss": _finite_max(history.loss),
                # NaN when the run completed, so the column stays numeric.
                "diverged_at": math.nan if history.diverged_at is None else history.diverged_at,
                "layer1_grad": float(history.grad_norm[0, 0]),
                "output_grad": float(history.grad_norm[0, -1]),
            }
        )
        if history.diverged_at is not None:
            diverged.append({"step": history.diverged_at, "series": label})
    return (
        pd.concat(curves, ignore_index=True),
        pd.DataFrame(rows),
        pd.DataFrame(diverged, columns=["step", "series"]),
    )


def relu_check(network: str, depth: int, width: int, seed: int) -> pd.DataFrame:
    """ReLU nets vanish too: small random, LeCun (Var = 1/fan_in) and He on the user's net.

    Returns
    -------
    DataFrame
        One row per scheme: series, init, sigma_w2, rule_factor (sqrt(sigma_w2 / 2), the
        per-layer factor ReLU predicts), and the :class:`LayerSummary` fields.
    """
    series = tuple(
        (initializer_label(init), init, ()) for init in (SMALL_RANDOM, "lecun_normal", "he_normal")
    )
    return series_stats(Net(network, "relu", depth, width, seed), series, slope2=0.5)[1]
