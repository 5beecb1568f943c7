"""Lesson behind page 2 (small random weights): vanishing activations and gradients."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import streamlit as st

from core import activations, datasets, initializers, networks, training
from core import regime as core_regime
from explorer import live
from explorer.claims import Claim, change_words, describe_number, describe_ratio, direction
from explorer.experiments import (
    InitParams,
    build_network,
    decades,
    fit,
    init_sigma_w2,
    initializer_label,
    predicted_stats,
    series_stats,
    well_scaled_init,
)
from explorer.offload import offloaded
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
    pred = predicted_stats(activation, SMALL_RANDOM, (), depth, width)
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
@offloaded
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
    runs = []
    for label, init, params in series:
        mlp_init = init if init in networks.supported_inits("mlp") else "orthogonal"
        net = build_network(
            Net("mlp", activation, STALL_DEPTH, STALL_WIDTH, seed), mlp_init, params
        )
        history = fit(net, x, y, optimizer="momentum", lr=STALL_LR, steps=STALL_STEPS, seed=seed)
        runs.append((label, init, history))
    return stall_frames(runs)


def stall_frames(
    runs: Sequence[tuple[str, str, training.History]],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The frames of :func:`stall_training` from finished runs: (label, init, History) each.

    The page trains the runs live (:func:`stall_live_specs`, the same runs bit for bit) and
    summarizes them here once they have finished.
    """
    curves = []
    rows = []
    diverged = []
    for label, init, history in runs:
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


# --------------------------------------------------------------------------------------------
# Claims: every sentence of page 2 that cites a number or states a verdict
# --------------------------------------------------------------------------------------------

#: Scale of the small-random weights, N(0, SMALL_STD²).
SMALL_STD = 0.01

#: A per-layer std factor within this relative band of 1 "holds" the signal (claims.direction).
HOLD_TOLERANCE = 0.1

#: Samples of the cached forward pass that measures the across-sample spread.
SPREAD_BATCH = 64


def f_at_zero(activation: str) -> float:
    """f(0) of an activation (0 for all but sigmoid, whose units sit at 0.5)."""
    return float(activations.get(activation).f(np.zeros(1))[0])


def rule_intro(activation: str, unit: str) -> str:
    """Which quantities page 2's small-signal rule describes for this activation (no numbers).

    The rule multiplies the std of the gradient, and of the activations only where f(0) = 0
    (a zero-mean output); for sigmoid (f(0) = 1/2) the activations sit near the constant 1/2
    and only their sample-to-sample variation follows the rule.
    """
    f0 = f_at_zero(activation)
    if f0 == 0.0:
        what = (
            f"each {unit} multiplies the std of the gradient — and of the activations, since "
            f"{activation}(0) = 0 — by"
        )
    else:
        what = (
            f"each {unit} multiplies the std of the gradient — and the sample-to-sample spread "
            f"of the activations, not their pooled std: {activation}(0) = "
            f"{describe_number(f0)} ≠ 0 — by"
        )
    return f"Rule of thumb (the small-signal rule): with N(0, 0.01²) weights {what}"


@st.cache_data(max_entries=64, show_spinner=False)
@offloaded
def across_sample_spread(
    activation: str, depth: int, width: int, seed: int, init: str = SMALL_RANDOM
) -> pd.DataFrame:
    """Pooled std vs across-sample spread of an MLP's activations, per layer (cached).

    A small forward pass (:data:`SPREAD_BATCH` Gaussian inputs of ``width`` features) through
    :func:`explorer.experiments.build_network`. The *pooled* std mixes all units and samples;
    for an activation with f(0) != 0 and tiny weights it measures how the units' constant
    offsets (about f(0)·ΣW per unit) differ, not the signal. The *across-sample* spread is, per
    unit, the std over the samples, then the RMS over the units: the signal itself.

    Returns
    -------
    DataFrame
        Columns layer (1..depth), pooled_std, sample_std.
    """
    rng = np.random.default_rng(seed)
    net = build_network(
        Net("mlp", activation, depth, width, seed),
        init,
        (),
        input_shape=(width,),
        rng=rng,
    )
    x = rng.standard_normal((SPREAD_BATCH, width))
    trace = net.forward(x)
    rows = []
    with np.errstate(all="ignore"):
        for i, a in enumerate(trace.a[:-1], start=1):
            rows.append(
                {
                    "layer": i,
                    "pooled_std": float(np.std(a)),
                    "sample_std": float(np.sqrt(np.mean(np.var(a, axis=0)))),
                }
            )
    return pd.DataFrame(rows)


def offset_claim(activation: str, spread: pd.DataFrame, unit: str, network: str) -> Claim:
    """Why sigmoid's pooled std barely falls: it measures the per-unit offsets, not signal.

    Only for activations with f(0) != 0 (``applies = False`` otherwise, empty text). Cites the
    pooled std and the across-sample spread at the first and last layer
    (:func:`across_sample_spread`).
    """
    f0 = f_at_zero(activation)
    if f0 == 0.0 or spread.empty:
        return Claim(kind="not_applicable", text="", applies=False)
    first, last = spread.iloc[0], spread.iloc[-1]
    n = int(last["layer"])
    where = "" if network == "mlp" else " (both measured on an MLP of the same depth and width)"
    ratio = float(last["sample_std"]) / float(first["sample_std"]) if first["sample_std"] else 0.0
    text = (
        f"{activation}(0) = {describe_number(f0)} ≠ 0, so with tiny weights every unit sits "
        f"near a constant of its own (about {describe_number(f0)}·ΣW over its weights). The "
        f"pooled std{where}, {describe_number(first['pooled_std'])} at {unit} 1 and "
        f"{describe_number(last['pooled_std'])} at {unit} {n}, measures how those offsets "
        "differ between units — not signal. Across samples, each unit's own spread goes from "
        f"{describe_number(first['sample_std'])} to {describe_number(last['sample_std'])}: it "
        f"{change_words(ratio, tolerance=HOLD_TOLERANCE)}, so the input is lost."
    )
    return Claim(
        kind="why_differs",
        text=text,
        values={
            "f0": f0,
            "pooled_first": float(first["pooled_std"]),
            "pooled_last": float(last["pooled_std"]),
            "sample_first": float(first["sample_std"]),
            "sample_last": float(last["sample_std"]),
            "ratio": ratio,
        },
        verdict=direction(ratio, tolerance=HOLD_TOLERANCE) if math.isfinite(ratio) else None,
    )


def forward_shrinks(small: pd.Series, activation: str, network: str) -> bool:
    """Whether small random's forward signal measurably shrinks (the page's "fades" branch).

    True when the last/first std ratio is below 0.01, or, for activations with f(0) = 0 on a
    plain stack (MLP, CNN), when the measured per-layer factor shrinks by more than
    :data:`HOLD_TOLERANCE`. False after an overflow, and for f(0) != 0 (the pooled std measures
    offsets, :func:`offset_claim`) and skip/recurrent paths when the ratio stays above 0.01.
    """
    if float(small["first_nonfinite"]) > 0:
        return False
    if float(small["act_ratio"]) < 0.01:
        return True
    return (
        f_at_zero(activation) == 0.0
        and network in ("mlp", "cnn")
        and direction(float(small["act_factor"]), tolerance=HOLD_TOLERANCE) == "shrinks"
    )


def level_words(small: pd.Series, activation: str, unit: str) -> str:
    """The small-random line's per-layer change in words (pooled std named as such)."""
    pooled = " (pooled std)" if f_at_zero(activation) != 0.0 else ""
    return (
        f"the small-random line{pooled} "
        f"{change_words(float(small['act_factor']), tolerance=HOLD_TOLERANCE)} per {unit}"
    )


def offset_claim_for(net: Net, unit: str) -> Claim:
    """:func:`offset_claim` for the user's network (the forward pass runs only when f(0) != 0)."""
    network, activation, depth, width, seed = net
    if f_at_zero(activation) == 0.0:
        return Claim(kind="not_applicable", text="", applies=False)
    spread = across_sample_spread(activation, depth, width, seed)
    return offset_claim(activation, spread, unit, network)


def ratio_words(act_ratio: float, act_first: float, act_last: float) -> str:
    """An end/start std ratio for text, saying what happened when it is not a number."""
    if math.isfinite(act_ratio):
        return describe_number(act_ratio)
    return describe_ratio(act_last, act_first)


def kept_claim(summary: pd.DataFrame, unit: str, last: int) -> Claim:
    """The "with <series> <unit> <last> is at <ratio> of <unit> 1" clauses of page 2.

    Never NaN: a series whose activations are all zero (zeros init), underflowed or overflowed
    is described as such (:func:`explorer.claims.describe_ratio`).
    """
    parts = []
    values: dict[str, float] = {}
    for row in summary.iloc[1:].itertuples(index=False):
        first, end, ratio = float(row.act_first), float(row.act_last), float(row.act_ratio)
        values[str(row.series)] = ratio
        if math.isfinite(ratio):
            parts.append(
                f"with {row.series} {unit} {last} is at {describe_number(ratio)} of {unit} 1"
            )
        elif first == 0.0 and end == 0.0:
            parts.append(
                f"with {row.series} every activation is exactly 0 from {unit} 1 on (all zero: "
                "no signal at all)"
            )
        elif end == 0.0:
            parts.append(f"with {row.series} the activations underflow to 0 by {unit} {last}")
        elif not math.isfinite(end):
            parts.append(f"with {row.series} the activations overflow by {unit} {last}")
        else:
            parts.append(f"with {row.series} the ratio is {describe_ratio(end, first)}")
    text = "; ".join(parts)
    return Claim(
        kind="measured", text=text[:1].upper() + text[1:] + "." if text else "", values=values
    )


def stall_learner_claim(
    best: pd.Series, activation: str, series: InitSeries, width: int = STALL_WIDTH
) -> Claim:
    """Why the best-trained series of the stall demo did (or did not) learn.

    Learned (final loss below half the first): cite it. Otherwise the verdict comes from
    :func:`core.regime.regime` at the series' σ_w² (biases 0): the phase and χ₁ (the factor on
    the gradient's *mean square* per layer), and where the activation's edge of chaos
    (χ₁ = 1) lies — the scale at which such a net does train. Not applicable (no phase word)
    for inits mean-field theory does not describe.
    """
    final, first = float(best["final_loss"]), float(best["first_loss"])
    label = str(best["series"])
    values = {"final_loss": final, "first_loss": first, "layer1_grad": float(best["layer1_grad"])}
    if final < 0.5 * first:
        return Claim(
            kind="measured",
            text=(
                f"{label} reaches {describe_number(final)} (first-layer gradient "
                f"{describe_number(best['layer1_grad'])})."
            ),
            values=values,
            verdict="learns",
        )
    head = f"here even {label} only gets to {describe_number(final)}"
    init = str(best["init"])
    mlp_init = init if init in networks.supported_inits("mlp") else "orthogonal"
    applies, _ = core_regime.mean_field_applies(mlp_init)
    if not applies:
        return Claim(
            kind="not_applicable",
            text=f"{head}; mean-field theory does not describe `{init}` weights.",
            values=values,
            verdict="stalls",
            applies=False,
        )
    params = next((p for lab, i, p in series if lab == label and i == init), ())
    sw2 = init_sigma_w2("mlp", mlp_init, params if mlp_init == init else (), width)
    r = core_regime.regime(activation, sw2, 0.0)
    values.update({"sigma_w2": sw2, "chi1": r.chi1})
    text = (
        f"{head}: its σ_w² = {describe_number(sw2)} puts this {activation} net in the "
        f"{r.phase} phase (χ₁ = {describe_number(r.chi1)}: each layer multiplies the gradient's "
        f"mean square by χ₁, its std by √χ₁ = {describe_number(math.sqrt(r.chi1))})."
    )
    if r.edge_sigma_w2 is not None:
        values["edge_sigma_w2"] = r.edge_sigma_w2
        text += (
            f" {activation}'s edge of chaos is at σ_w² = {describe_number(r.edge_sigma_w2)} "
            "(χ₁ = 1): a deep stack trains well near it, so this is a matter of scale, not of "
            f"{activation} learning slowly at any scale."
        )
    else:
        text += f" No edge of chaos here: {r.edge_note}"
    return Claim(kind="theory", text=text, values=values, verdict=r.phase)


def relu_scales_claim(relu: pd.DataFrame, depth: int) -> Claim:
    """Page 2's ReLU verdict, one per scheme, from each series' measured per-layer factor.

    A factor within :data:`HOLD_TOLERANCE` of 1 "holds" the signal; below, it shrinks; above,
    it grows (:func:`explorer.claims.direction`). ``verdict``: the series that hold, joined by
    ", " ("none" when none does).
    """
    parts = []
    holders = []
    values = {}
    for row in relu.itertuples(index=False):
        factor, ratio = float(row.act_factor), float(row.act_ratio)
        values[str(row.init)] = factor
        word = direction(factor, tolerance=HOLD_TOLERANCE)
        end = f"layer {depth} at {ratio_words(ratio, row.act_first, row.act_last)} of layer 1"
        if word == "stays level":
            holders.append(str(row.series))
            parts.append(
                f"{row.series} (σ_w² = {describe_number(row.sigma_w2)}) holds it: factor "
                f"{describe_number(factor)} per layer, {end}"
            )
        elif word == "undefined":
            parts.append(f"{row.series}: the factor is {describe_number(factor)}")
        else:
            parts.append(
                f"{row.series} (σ_w² = {describe_number(row.sigma_w2)}) {word}: factor "
                f"{describe_number(factor)} per layer, {end}"
            )
    text = (
        "ReLU zeroes half of its inputs, so E[f′(z)²] = ½ and the small-signal rule's factor is "
        "√(σ_w²/2). Measured: " + "; ".join(parts) + "."
    )
    return Claim(kind="measured", text=text, values=values, verdict=", ".join(holders) or "none")


def relu_correction(relu: pd.DataFrame, depth: int) -> Claim:
    """The tutorial correction on ReLU (REFERENCE item 2), with the measured numbers.

    The tutorial's statement of ReLU's derivative (0 for negative, 1 for positive input) is
    right; its error is the conclusion that vanishing gradients concern only sigmoid and tanh.
    """
    shrink = [
        row
        for row in relu.itertuples(index=False)
        if direction(float(row.act_factor), tolerance=HOLD_TOLERANCE) == "shrinks"
    ]
    cites = "; ".join(
        f"{row.series}: layer {depth} at {ratio_words(row.act_ratio, row.act_first, row.act_last)}"
        " of layer 1"
        for row in shrink
    )
    measured = f" Measured above, a ReLU net vanishes with {cites}." if shrink else ""
    text = (
        "The tutorial says that for ReLU the gradient is 0 for negative and 1 for positive "
        "input. That is right — it is ReLU's derivative. The error is the conclusion it draws, "
        "that vanishing gradients apply “only to sigmoid and tanh”: ReLU only removes "
        f"*saturation* for positive inputs; the per-layer factor fan_in·Var(W)·E[f′(z)²] still "
        f"decides, so ReLU nets vanish when the weights are too small and explode when they are "
        f"too large (N(0, 1): page 3).{measured}"
    )
    return Claim(kind="measured", text=text, values={"shrinking": float(len(shrink))})


def width_answer(activation: str, network: str, rule_factor: float, unit: str) -> Claim:
    """Page 2's try-this answer: decades lost by depth 30, and the fan-in where N(0, 0.01²) holds.

    The decades follow the small-signal rule (labelled as such). The fan-in where small random
    stops vanishing is where σ_w² = 0.01²·fan_in reaches the activation's edge of chaos
    (χ₁ = 1, :func:`core.regime.regime` at σ_b² = 0): 10,000 for tanh, 20,000 for ReLU, about
    1,030,000 for sigmoid (whose edge, σ_w² ≈ 103, is far from the rule's 16). No number when
    the activation has no edge.
    """
    values: dict[str, float] = {"rule_factor": rule_factor}
    if rule_factor > 0 and math.isfinite(rule_factor):
        dec = 29 * math.log10(rule_factor)
        values["decades"] = dec
        head = (
            f"29 steps of log10({describe_number(rule_factor)}) ≈ {dec:.1f} decades by the "
            "small-signal rule."
        )
    else:
        head = "The small-signal rule gives no factor here."
    r = core_regime.regime(activation, SMALL_STD**2, 0.0)
    if r.edge_sigma_w2 is not None:
        fan = r.edge_sigma_w2 / SMALL_STD**2
        values["edge_fan_in"] = fan
        values["edge_sigma_w2"] = r.edge_sigma_w2
        conv = " (a 3×3 conv has fan_in = 9·channels)" if network == "cnn" else ""
        tail = (
            f" Widen the network instead and σ_w² = 0.01²·fan_in grows: {activation}'s edge of "
            f"chaos (χ₁ = 1) is at σ_w² = {describe_number(r.edge_sigma_w2)}, so small random "
            f"would stop vanishing only at fan_in ≈ {fan:,.0f}{conv}. Small random is 'right' "
            "for one width only, which is why good schemes scale Var(W) with 1/fan_in."
        )
    else:
        tail = (
            f" Widening does not give {activation} a width where small random is right: "
            f"{r.edge_note} Good schemes scale Var(W) with 1/fan_in instead."
        )
    return Claim(kind="theory", text=head + tail, values=values)


#: A band "stays put" on the log-histogram when it moves less than this many decades a layer.
STILL_DECADES = 0.05
#: The dashed theory line "lies on" the measured one within this relative gap at the last layer.
THEORY_MATCH = 0.25


def band_words(other: pd.Series, unit: str) -> str:
    """How the comparison series' band moves on the log-histogram, from its measured factor."""
    moves = decades(float(other.act_factor))
    if not math.isfinite(moves):
        return f"{other.series}'s band has no finite factor ({describe_number(other.act_factor)})"
    if abs(moves) < STILL_DECADES:
        return f"{other.series}'s band stays put ({moves:+.2f} decades per {unit})"
    return f"{other.series}'s band moves too, {moves:+.2f} decades per {unit}"


def theory_overlay_words(layers: pd.DataFrame, series: str) -> str:
    """Whether the dashed mean-field line for small random lies on the measured one (computed).

    Compares the last layer's activation std of ``series`` with the ``"theory: small random"``
    rows of :func:`vanishing_probe`'s frame; "the overlay is drawn for MLPs only" when absent.
    """
    theory_rows = layers[layers["series"] == "theory: small random"]
    measured_rows = layers[layers["series"] == series]
    if theory_rows.empty or measured_rows.empty:
        return "; the mean-field overlay is drawn for MLPs only."
    predicted = float(theory_rows["act_std"].iloc[-1])
    measured = float(measured_rows["act_std"].iloc[-1])
    if not (math.isfinite(predicted) and math.isfinite(measured) and predicted > 0):
        return (
            f"; at the last layer the mean-field prediction is {describe_number(predicted)} "
            f"and the measurement {describe_number(measured)}."
        )
    ratio = measured / predicted
    if abs(ratio - 1.0) <= THEORY_MATCH:
        return (
            "; the mean-field prediction (the wide dashed band) lies on it "
            f"({ratio:.2f}× at the end)."
        )
    return (
        "; the mean-field prediction (the wide dashed band) ends "
        f"{describe_number(ratio)}× off the measurement (finite width and saturation move "
        "the measured line)."
    )


#: Page 2's prediction: how much of layer 1's activation std is left, by order of magnitude.
KEPT_CHOICES = (
    "most of it (more than 0.3)",
    "0.03 to 0.3",
    "10⁻⁵ to 0.03",
    "less than 10⁻⁵",
)


def kept_choice(ratio: float) -> int | None:
    """Index in :data:`KEPT_CHOICES` of a measured last/first std ratio (None: NaN or overflow)."""
    if not math.isfinite(ratio) or ratio < 0:
        return None
    for index, low in enumerate((0.3, 0.03, 1e-5)):
        if ratio > low:
            return index
    return len(KEPT_CHOICES) - 1


def stall_live_specs(
    activation: str, series: InitSeries, seed: int
) -> tuple[tuple[live.RunSpec, ...], tuple[str, ...]]:
    """The runs of :func:`stall_training` as live specs (:func:`explorer.live.panel`), and labels.

    Same data, network, optimizer and seed, so they record exactly the curves of the page's
    static loss chart.
    """
    net = Net("mlp", activation, STALL_DEPTH, STALL_WIDTH, seed)
    common = ("moons", (), STALL_POINTS, "momentum", STALL_LR, STALL_STEPS, 0, 0.0, STALL_STEPS)
    specs = tuple(
        live.RunSpec(
            net, init if init in networks.supported_inits("mlp") else "orthogonal", params, *common
        )
        for _, init, params in series
    )
    return specs, tuple(label for label, _, _ in series)
