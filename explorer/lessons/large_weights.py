"""Lesson behind page 3 (large random weights): saturation, explosion, clipping."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from core import activations, datasets, initializers, probe, training
from core import regime as core_regime
from explorer import live
from explorer.claims import Claim, change_words, describe_number, direction
from explorer.experiments import (
    InitParams,
    build_network,
    fit,
    init_sigma_w2,
    layer_stats,
    quick_stats,
    stats_frame,
    summarize_layers,
    well_scaled_init,
)
from explorer.offload import offloaded
from explorer.state import InitSeries, Net

#: The training record the page reports on (re-exported so pages need not import core).
History = training.History


@st.cache_data(max_entries=128, show_spinner=False)
def compare_stats(net: Net, inits: InitSeries) -> pd.DataFrame:
    """Per-layer stats of several initializers on the same network and seed, stacked.

    Cached: the frame building is pandas work a rerun need not repeat. The probes go through
    :func:`layer_stats` (each computed in a worker), whose cache the page's own
    ``layer_stats`` calls then hit.

    Parameters
    ----------
    inits : tuple of (series label, init name, init params)

    Returns
    -------
    DataFrame
        :func:`stats_frame` rows of every initializer, ``series`` = its label.
    """
    network, activation, depth, width, seed = net
    frames = [
        stats_frame(layer_stats(Net(network, activation, depth, width, seed), init, params), label)
        for label, init, params in inits
    ]
    return pd.concat(frames, ignore_index=True)


#: The page-3 protagonist: every weight drawn from N(0, 1).
LARGE_INIT = "large_random"


#: log10 of the largest float64 (1.8e308): where a growing signal overflows to inf.
FLOAT64_MAX_LOG10 = math.log10(float(np.finfo(np.float64).max))


#: Activations contrasted on page 3: two saturating ones and two that are not.
CONTRAST_ACTIVATIONS: tuple[str, ...] = ("tanh", "sigmoid", "relu", "linear")


#: Training demo of page 3: a small MLP on two moons, full batch, plain SGD.
TRAIN_DATASET = "moons"


TRAIN_SAMPLES = 200


TRAIN_STEPS = 120


TRAIN_WIDTH_MAX = 64


TRAIN_DEPTH_MAX = 20


#: Gradient-norm clipping thresholds and learning rates offered on page 3.
CLIP_CHOICES: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)


LR_CHOICES: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)


def large_weight_series(activation: str, init: str, init_params: InitParams) -> InitSeries:
    """The series page 3 compares: N(0, 1), the user's initializer, the usual one for f.

    Returns
    -------
    tuple of (label, init name, init params)
        Duplicates dropped (the user's initializer may be N(0, 1) or the usual one).
    """
    usual = well_scaled_init(activation)
    out: list[tuple[str, str, InitParams]] = [
        (initializers.REGISTRY[LARGE_INIT].label, LARGE_INIT, ())
    ]
    for name, params in ((init, init_params), (usual, ())):
        if name not in {row[1] for row in out}:
            out.append((initializers.REGISTRY[name].label, name, params))
    return tuple(out)


def saturation_rule(activation: str) -> str:
    """What "saturated" means for a bounded activation, in terms of its output a = f(z).

    A unit is saturated when |f'(z)| < ``probe.SATURATION_THRESHOLD`` * max |f'| (5 %). For tanh,
    f' = 1 - a^2, so that is |a| > sqrt(0.95); for sigmoid f' = a (1 - a) with max 1/4.
    Returns "" for activations without such a closed form.
    """
    t = probe.SATURATION_THRESHOLD
    if activation == "tanh":
        return f"|a| > {math.sqrt(1.0 - t):.3f}"
    if activation == "sigmoid":
        low = (1.0 - math.sqrt(1.0 - t)) / 2.0  # root of a (1 - a) = t / 4
        return f"a < {low:.3f} or a > {1.0 - low:.3f}"
    return ""


def range_ends(activation: str) -> tuple[float, float]:
    """The limits f(-inf), f(+inf) of an activation (sigmoid 0 and 1, tanh -1 and 1)."""
    lo, hi = activations.get(activation).f(np.array([-1e12, 1e12]))
    return float(lo), float(hi)


def outer_bin_share(stats: probe.LayerStats) -> tuple[float, float, float]:
    """Share of the last layer's activations in the bins at the activation's own range ends.

    The histogram's shared bins span the values seen; the "end" bins are the one holding
    f(-inf) and the one holding f(+inf) (:func:`range_ends`): for tanh the outermost bins near
    -1 and +1, for sigmoid the bin at 0 and the bin at 1 — not bins symmetric about 0, which
    on sigmoid's (0, 1) would miss the lower end.

    Returns
    -------
    share : float
        Fraction of the histogrammed values of the last layer in those two bins.
    low_edge, high_edge : float
        The end bins hold a < low_edge and a > high_edge.
    """
    hist = stats.act_hist[-1]
    edges = np.asarray(stats.act_bin_edges, dtype=float)
    lo, hi = range_ends(stats.activation)
    n = len(hist)
    i_lo = int(np.clip(np.searchsorted(edges, lo, side="right") - 1, 0, n - 1))
    i_hi = int(np.clip(np.searchsorted(edges, hi, side="left") - 1, 0, n - 1))
    counts = float(hist[i_lo]) + (float(hist[i_hi]) if i_hi != i_lo else 0.0)
    share = counts / max(stats.hist_values_per_layer, 1)
    return share, float(edges[i_lo + 1]), float(edges[i_hi])


def layers_to_overflow(last_std: float, factor: float) -> float:
    """Layers until a std growing by ``factor`` per layer passes float64's 1.8e308.

    Returns inf when the std does not grow, 0 when it already overflowed.
    """
    if not math.isfinite(last_std):
        return 0.0
    if not (math.isfinite(factor) and factor > 1.0) or last_std <= 0:
        return math.inf
    return max((FLOAT64_MAX_LOG10 - math.log10(last_std)) / math.log10(factor), 0.0)


@st.cache_data(max_entries=64, show_spinner=False)
def activation_contrast(network: str, depth: int, width: int, seed: int) -> pd.DataFrame:
    """N(0, 1) weights under four activations: who saturates and who explodes.

    Parameters
    ----------
    network : str
    depth, width, seed : int
        The user's network (:func:`quick_stats`: a quarter batch, so four probes stay fast).

    Returns
    -------
    DataFrame
        One row per activation in :data:`CONTRAST_ACTIVATIONS`: ``activation`` (label),
        ``saturated`` (fraction of last-layer units with |f'| < 5 % of its max), ``act_std``
        (last layer), ``growth`` (per-layer factor of the activation std), ``overflow_layer``
        (first layer with inf/NaN activations, or NaN) and ``grad_ratio`` (std of dL/dz at
        layer 1 over the last layer's; > 1 means the gradient grows on its way back).
    """
    rows = []
    for name in CONTRAST_ACTIVATIONS:
        stats = quick_stats(Net(network, name, depth, width, seed), LARGE_INIT, ())
        summary = summarize_layers(stats)
        rows.append(
            {
                "activation": activations.get(name).label,
                "saturated": float(stats.saturated_fraction[-1]),
                "act_std": summary.act_last,
                "growth": summary.act_factor,
                "overflow_layer": math.nan
                if summary.first_nonfinite is None
                else float(summary.first_nonfinite),
                "grad_ratio": summary.grad_ratio,
            }
        )
    return pd.DataFrame(rows)


@st.cache_data(max_entries=128, show_spinner=False)
@offloaded
def train_demo(
    net: Net, init: str, init_params: InitParams, *, lr: float, clip: float | None
) -> training.History:
    """Train page 3's small MLP on two moons with plain SGD, optionally clipping the gradient.

    The network is the user's activation and depth (at most :data:`TRAIN_DEPTH_MAX` layers of
    at most :data:`TRAIN_WIDTH_MAX` units; a residual MLP when the user's network is one, an
    MLP otherwise: CNNs and RNNs are too slow to train live here). Full batch of
    :data:`TRAIN_SAMPLES` points, :data:`TRAIN_STEPS` steps, cross-entropy.

    Parameters
    ----------
    net : Net
        The user's network (capped, see above) and the seed of its weights and inputs.
    init : str
    init_params : tuple of (name, value) pairs
    lr : float
        SGD learning rate.
    clip : float or None
        Maximum global gradient norm (Pascanu et al. 2013); None trains without clipping.

    Returns
    -------
    core.training.History
        ``diverged_at`` is the step whose loss or gradient turned inf/NaN, if any.
    """
    network, activation, depth, width, seed = net
    kind = "resmlp" if network == "resmlp" else "mlp"
    x, y = datasets.load(TRAIN_DATASET, TRAIN_SAMPLES, seed)
    net = build_network(
        Net(kind, activation, min(depth, TRAIN_DEPTH_MAX), min(width, TRAIN_WIDTH_MAX), seed),
        init,
        init_params,
    )
    return fit(net, x, y, optimizer="sgd", lr=lr, steps=TRAIN_STEPS, seed=seed, clip=clip)


def curve_frame(history: training.History, series: str) -> pd.DataFrame:
    """Loss per recorded step as a frame for :func:`explorer.charts.training_curves`."""
    return pd.DataFrame({"step": history.step, "loss": history.loss, "series": series})


def loss_rises(history: training.History) -> int:
    """How many recorded steps had a higher finite loss than the step before (oscillation)."""
    loss = np.asarray(history.loss, dtype=float)
    loss = loss[np.isfinite(loss)]
    return int(np.count_nonzero(np.diff(loss) > 0))


# --------------------------------------------------------------------------------------------
# Claims: every page-3 sentence that cites a number or states a verdict
# --------------------------------------------------------------------------------------------

#: Fraction of units (or of values in the end bins) from which a layer counts as "mostly
#: saturated" / "squashed to the extremes".
MOSTLY = 0.5

#: Clipping "calmed" a run only when it cut the number of loss rises or the largest loss by at
#: least this fraction (relative to the unclipped run); smaller changes are "little difference".
CLIP_MEANINGFUL = 0.2

#: Relative band for gradient directions (claims.direction).
GRAD_TOLERANCE = 0.1


def large_regime(activation: str, network: str, width: int) -> core_regime.Regime | None:
    """Mean-field regime of N(0, 1) weights (σ_w² = fan_in, σ_b² = 0); None for rnn/resmlp.

    Mean-field theory describes plain stacks (MLP, and CNN via its fan-in); an RNN's depth is
    time with a fresh input each step and a residual net adds a skip path, so no phase is
    quoted for them.
    """
    if network not in ("mlp", "cnn"):
        return None
    return core_regime.regime(activation, init_sigma_w2(network, LARGE_INIT, (), width), 0.0)


def saturation_claim(
    sat_large: float, sat_usual: float, rule: str, unit: str, depth: int, usual_label: str
) -> Claim:
    """Page 3's saturation sentence for a bounded activation, gated on the measured fraction."""
    head = (
        f"With N(0, 1) weights **{sat_large:.0%}** of {unit} {depth}'s units are saturated"
        + (f" ({rule})" if rule else "")
        + f"; with {usual_label} **{sat_usual:.0%}**."
    )
    if sat_large == 0.0:
        tail = (
            " None is saturated here, so saturation does not block this network's gradient "
            "(with few inputs per unit N(0, 1) is not large)."
        )
        verdict = "none"
    elif sat_large < MOSTLY:
        tail = (
            " A saturated unit passes back almost none of its gradient; here that is a minority "
            "of the units."
        )
        verdict = "some"
    else:
        tail = (
            " A saturated unit passes back almost none of its gradient, so the weights feeding "
            "it barely move."
        )
        verdict = "most"
    return Claim(
        kind="measured",
        text=head + tail,
        values={"sat_large": sat_large, "sat_usual": sat_usual},
        verdict=verdict,
    )


def ends_claim(share: float, low_edge: float, high_edge: float, unit: str, depth: int) -> Claim:
    """Page 3's histogram sentence: how many values sit in the bins at the range's ends."""
    where = f"a < {low_edge:.2f} or a > {high_edge:.2f}"
    if share >= MOSTLY:
        text = (
            f"The activations pile up at the ends of the range: **{share:.0%}** of {unit} "
            f"{depth}'s values lie in the two end bins ({where}). Such a layer outputs little "
            "more than a sign per unit."
        )
        verdict = "piled at the ends"
    else:
        text = (
            f"Only **{share:.0%}** of {unit} {depth}'s values lie in the two bins at the ends "
            f"of the range ({where}): most activations are not squashed to the extremes here."
        )
        verdict = "spread out"
    return Claim(kind="measured", text=text, values={"share": share}, verdict=verdict)


def bounded_forward_claim(
    label: str, std_large: float, sat_large: float, share: float, unit: str, depth: int
) -> Claim:
    """Why a bounded activation's forward signal cannot explode, gated on saturation."""
    text = (
        f"{label} is bounded, so the forward signal cannot explode: the std stays at "
        f"**{describe_number(std_large)}** in {unit} {depth}."
    )
    if max(sat_large, share) >= MOSTLY:
        text += " The signal is not lost — it is squashed to the extremes (section 1)."
    else:
        text += (
            f" Most units are not saturated here ({sat_large:.0%} saturated), so the values "
            "are not squashed to the extremes."
        )
    return Claim(kind="measured", text=text, values={"std": std_large, "saturated": sat_large})


def bounded_gradient_claim(
    activation: str,
    network: str,
    width: int,
    *,
    grad_last: float,
    usual_last: float,
    grad_ratio: float,
    sat_large: float,
    unit: str,
    depth: int,
    usual_label: str,
) -> Claim:
    """Page 3's backward sentence for a bounded activation.

    The direction comes from the measured gradient ratio (layer 1 over the top layer); the
    phase word only from :func:`core.regime.regime` at σ_w² = fan_in (MLP, CNN), with χ₁
    multiplying the gradient's mean square per layer (its std by √χ₁).
    """
    word = direction(grad_ratio, tolerance=GRAD_TOLERANCE)
    text = (
        f"At {unit} {depth} the gradient std is **{describe_number(grad_last)}** "
        f"({usual_label}: {describe_number(usual_last)})"
        + (f", with {sat_large:.0%} of the units saturated" if sat_large > 0 else "")
        + f". Going back to {unit} 1 it {change_words(grad_ratio, tolerance=GRAD_TOLERANCE)}."
    )
    r = large_regime(activation, network, width)
    values = {"grad_ratio": grad_ratio}
    if r is not None:
        values["chi1"] = r.chi1
        text += (
            f" Mean-field theory at σ_w² = {describe_number(r.sigma_w2)}: {r.phase} phase, "
            f"χ₁ = {describe_number(r.chi1)} per layer on the gradient's mean square (√χ₁ = "
            f"{describe_number(math.sqrt(r.chi1))} on its std)."
        )
    if word == "grows":
        text += (
            " So large weights do not give a clean vanishing gradient: the weights near the "
            "input get large, erratic updates."
        )
    return Claim(kind="measured", text=text, values=values, verdict=None if r is None else r.phase)


def why_differs_claim(
    activation: str,
    network: str,
    width: int,
    grad_ratio: float,
    sat_large: float,
    depth: int,
    unit: str = "layer",
) -> Claim:
    """The "why this differs from the simple rule" box: saturation should make gradients vanish.

    The tutorial's rule: large weights saturate tanh/sigmoid, f' ~ 0, so gradients vanish.
    Applies (``applies = True``) when the activation is bounded and the measured gradient
    *grows* on its way back (layer 1 over layer ``depth`` above 1 + tolerance); the
    explanation is the regime at σ_w² = fan_in: χ₁ > 1 (chaotic) because the few unsaturated
    units meet weights of std 1. Without a regime (rnn, resmlp) only the measurement is cited.
    """
    if not activations.get(activation).saturating:
        return Claim(kind="not_applicable", text="", applies=False)
    if direction(grad_ratio, tolerance=GRAD_TOLERANCE) != "grows":
        return Claim(kind="not_applicable", text="", applies=False)
    r = large_regime(activation, network, width)
    text = (
        "The simple rule says large weights saturate "
        f"{activation}, f′ ≈ 0, so gradients vanish. Measured here, the gradient at {unit} 1 is "
        f"{describe_number(grad_ratio)}× the gradient at {unit} {depth}: it grows"
        + (f", with {sat_large:.0%} of {unit} {depth}'s units saturated" if sat_large > 0 else "")
        + "."
    )
    values = {"grad_ratio": grad_ratio, "saturated": sat_large}
    if r is not None and r.phase == "chaotic":
        values.update({"chi1": r.chi1, "sigma_w2": r.sigma_w2})
        text += (
            f" Mean-field theory explains it: N(0, 1) means σ_w² = fan_in = "
            f"{describe_number(r.sigma_w2)}, and there {activation} is in the chaotic phase, "
            f"χ₁ = σ_w²·E[f′(z)²] = {describe_number(r.chi1)} > 1. Saturation makes E[f′(z)²] "
            "small, but σ_w² is larger still: the few unsaturated units pass the gradient "
            f"through weights of std 1, so each layer multiplies its mean square by χ₁ (its "
            f"std by √χ₁ = {describe_number(math.sqrt(r.chi1))})."
        )
    elif r is not None:
        values.update({"chi1": r.chi1, "sigma_w2": r.sigma_w2})
        text += (
            f" Mean-field theory does not predict this growth: at σ_w² = "
            f"{describe_number(r.sigma_w2)} {activation} is in the {r.phase} phase "
            f"(χ₁ = {describe_number(r.chi1)})."
        )
    else:
        text += " Mean-field theory (χ₁) is not quoted for this network type."
    return Claim(
        kind="why_differs",
        text=text,
        values=values,
        verdict=None if r is None else r.phase,
    )


def max_finite_loss(history: training.History) -> float:
    """Largest finite recorded loss (NaN when there is none)."""
    loss = np.asarray(history.loss, dtype=float)
    loss = loss[np.isfinite(loss)]
    return float(loss.max()) if loss.size else math.nan


def clipping_claim(raw: training.History, clipped: training.History, clip: float) -> Claim:
    """What gradient clipping did to the N(0, 1) run, judged by :data:`CLIP_MEANINGFUL`.

    "Calmed" only when clipping cut the loss rises (:func:`loss_rises`) or the largest finite
    loss by at least 20 % relative to the unclipped run; "made it worse" when it raised the
    rises by as much; otherwise "little difference".

    Returns
    -------
    Claim
        ``verdict`` one of "prevented blow-up", "diverged anyway", "nothing to calm",
        "calmed", "worse", "little difference".
    """
    r_raw, r_clip = loss_rises(raw), loss_rises(clipped)
    m_raw, m_clip = max_finite_loss(raw), max_finite_loss(clipped)
    values = {"rises_raw": r_raw, "rises_clipped": r_clip, "max_raw": m_raw, "max_clip": m_clip}
    if raw.diverged_at is not None and clipped.diverged_at is None:
        return Claim(
            kind="measured",
            text=(
                " Clipping prevented the blow-up: no step can move the weights by more than "
                f"lr × {clip:g}."
            ),
            values=values,
            verdict="prevented blow-up",
        )
    if clipped.diverged_at is not None:
        return Claim(
            kind="measured",
            text=f" Even clipped at {clip:g} the run diverged: try a smaller threshold.",
            values=values,
            verdict="diverged anyway",
        )
    if r_raw == 0:
        return Claim(
            kind="measured",
            text=" The unclipped loss never rose, so there were no jumps for clipping to calm.",
            values=values,
            verdict="nothing to calm",
        )
    cut_rises = (r_raw - r_clip) / r_raw
    cut_max = (m_raw - m_clip) / m_raw if m_raw > 0 and math.isfinite(m_raw) else 0.0
    rises = f"the loss rose on {r_clip} instead of {r_raw} steps"
    peak = f"largest loss {describe_number(m_clip)} instead of {describe_number(m_raw)}"
    counts = f"{rises}; {peak}"
    if cut_max >= CLIP_MEANINGFUL:
        text, verdict = f" Clipping calmed the jumps: {peak} ({rises}).", "calmed"
    elif cut_rises >= CLIP_MEANINGFUL:
        text, verdict = f" Clipping calmed the jumps: {rises} ({peak}).", "calmed"
    elif -cut_rises >= CLIP_MEANINGFUL:
        text, verdict = f" Clipping did not calm the jumps here ({counts}).", "worse"
    else:
        text = (
            f" Clipping made little difference here ({counts}: less than a "
            f"{CLIP_MEANINGFUL:.0%} change)."
        )
        verdict = "little difference"
    if clipped.final_loss > raw.final_loss and verdict != "little difference":
        text += f" With every step shrunk to at most lr × {clip:g} it also learned more slowly."
    return Claim(kind="measured", text=text, values=values, verdict=verdict)


def contrast_claim(contrast: pd.DataFrame, unit: str, depth: int) -> Claim:
    """Page 3's four-activation summary, with the saturation verb gated on the fractions."""
    by = contrast.set_index("activation")
    tanh_s, sig_s = float(by.loc["Tanh", "saturated"]), float(by.loc["Sigmoid", "saturated"])
    verb = (
        "saturate but stay finite"
        if min(tanh_s, sig_s) >= MOSTLY
        else "stay finite (saturation varies with the fan-in)"
    )
    text = (
        f"Bounded units {verb}: tanh {tanh_s:.0%} and sigmoid {sig_s:.0%} saturated at {unit} "
        f"{depth}. Unbounded ones grow instead: ReLU's std reaches "
        f"{describe_number(by.loc['ReLU', 'act_std'])} "
        f"(×{describe_number(by.loc['ReLU', 'growth'])} per {unit}), linear's "
        f"{describe_number(by.loc['Linear (identity)', 'act_std'])}."
    )
    return Claim(kind="measured", text=text, values={"tanh": tanh_s, "sigmoid": sig_s})


#: Page 3's prediction: what N(0, 1) weights do to a deep network's activations.
FATE_CHOICES = (
    "they keep about the same size",
    "they shrink towards 0",
    "the units saturate at their limits",
    "they grow layer by layer (explode)",
)


def fate_choice(*, saturating: bool, saturated: float, factor: float, overflow: bool) -> int:
    """Index in :data:`FATE_CHOICES` of what the measured N(0, 1) network did.

    Parameters
    ----------
    saturating : bool
        Whether the activation is bounded (tanh, sigmoid).
    saturated : float
        Fraction of saturated units at the last layer.
    factor : float
        Measured std factor per layer (NaN when the signal overflowed).
    overflow : bool
        Whether the activations overflowed.
    """
    if saturating and saturated >= 0.5:
        return 2
    if overflow or not math.isfinite(factor) or factor > 1.2:
        return 3
    if factor < 1 / 1.2:
        return 1
    return 0


def train_live_specs(
    net: Net, runs: tuple[tuple[str, str, InitParams, float | None], ...], *, lr: float
) -> tuple[tuple[live.RunSpec, ...], tuple[str, ...]]:
    """The runs of :func:`train_demo` as live specs (:func:`explorer.live.panel`), and labels.

    ``runs``: (label, init, params, clip or None). Same capped network, data, SGD and seed,
    so the live curves end exactly where the page's static chart does.
    """
    network, activation, depth, width, seed = net
    kind = "resmlp" if network == "resmlp" else "mlp"
    trained = Net(kind, activation, min(depth, TRAIN_DEPTH_MAX), min(width, TRAIN_WIDTH_MAX), seed)
    specs = tuple(
        live.RunSpec(
            trained,
            init,
            params,
            TRAIN_DATASET,
            (),
            TRAIN_SAMPLES,
            "sgd",
            lr,
            TRAIN_STEPS,
            0,
            0.0 if clip is None else float(clip),
            TRAIN_STEPS,
        )  # fmt: skip
        for _, init, params, clip in runs
    )
    return specs, tuple(label for label, _, _, _ in runs)
