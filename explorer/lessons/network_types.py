"""Lesson behind page 5 (network types): Jacobian spectra, RNNs, CNN fans, residual, LSUV.

Sizes are capped where the cost grows faster than linearly; the page states the caps.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from core import initializers, lsuv, networks, theory
from core import regime as core_regime
from explorer.claims import (
    DEFAULT_TOLERANCE,
    Claim,
    change_words,
    describe_number,
    describe_ratio,
    direction,
)
from explorer.experiments import (
    InitParams,
    build_network,
    geometric_factor,
    layer_stats,
    stats_frame,
)
from explorer.offload import offloaded
from explorer.state import InitSeries, Net

#: Jacobian spectra: at most this many multiply-adds per spectrum (depth x width^3).
SPECTRUM_BUDGET_MACS = 2 * 256**3 * 12


#: Singular values below max * 10**-SV_ZERO_DECADES are zero to float64 precision.
SV_ZERO_DECADES = 12.0


#: Number of log10 bins of the spectrum histograms.
SPECTRUM_BINS = 40


#: The RNN tab: at most this many hidden units, and a probe budget of this many multiply-adds
#: per initializer (forward + backward through time); the batch shrinks to fit, down to 8.
RNN_MAX_HIDDEN, RNN_BUDGET_MACS = 256, 4e8


#: Time steps of the RNN tab when the shared network type is not "rnn".
RNN_DEFAULT_STEPS = 50


#: The CNN tab probes 2 images of 16x16 pixels, or 8x8 when that would exceed the budget
#: (multiply-adds per initializer). Smaller images exaggerate the zero-padding border, where a
#: 3x3 window sees fewer than 9 pixels and the variance drops.
CNN_BATCH, CNN_BUDGET_MACS = 2, 6e8


#: LSUV's CNN works on 8x8 images (it re-runs the forward pass many times).
LSUV_IMAGE = 8


#: LSUV re-runs the forward pass for every rescaling of every layer (cost ~ depth^2), so the
#: LSUV tab works on a network of at most these sizes.
LSUV_MAX_DEPTH, LSUV_MAX_WIDTH, LSUV_MAX_CHANNELS, LSUV_BATCH = 20, 128, 32, 64


def _series_label(init: str, params: InitParams, *, with_gain: bool = False) -> str:
    """An initializer's registry label; with ``with_gain``, plus its gain when not 1."""
    label = initializers.REGISTRY[init].label
    gain = dict(params).get("gain")
    if with_gain and isinstance(gain, float | int) and not math.isclose(float(gain), 1.0):
        label += f" (gain {float(gain):.3g})"
    return label


def _dedupe(series: list[tuple[str, str, InitParams]]) -> InitSeries:
    """Drop repeated (init, params) pairs; a label already taken gets the gain appended.

    Comparison series use the plain registry label where possible, so that they keep the
    initializer's colour (:func:`explorer.charts.init_colors`) on every page.
    """
    seen: set[tuple[str, InitParams]] = set()
    labels: set[str] = set()
    out = []
    for label, init, params in series:
        if (init, params) in seen:
            continue
        if label in labels:
            label = _series_label(init, params, with_gain=True)
        if label in labels:
            label += " (comparison)"
        seen.add((init, params))
        labels.add(label)
        out.append((label, init, params))
    return tuple(out)


def spectrum_size(depth: int, width: int) -> tuple[int, int]:
    """(depth, width) of the Jacobian-spectrum network: width halved until within budget.

    The product of ``depth`` width x width matrices costs depth * width^3; at most 256 units.
    """
    w = min(width, 256)
    while w > 32 and depth * w**3 > SPECTRUM_BUDGET_MACS:
        w //= 2
    return depth, w


#: The probes of this page have no biases: every edge of chaos here is taken at σ_b² = 0.
PROBE_SIGMA_B2 = 0.0


#: Largest gain of the orthogonal and delta-orthogonal comparisons: the registry's largest
#: allowed gain (very large σ_w², e.g. N(0, 1) weights on a wide layer, would otherwise also
#: overflow the product of the Jacobians).
ORTHO_GAIN_CAP = 10.0


@dataclass(frozen=True)
class EdgeGain:
    """The σ_w² (and gain √σ_w²) this page uses where it needs "the right scale" for an activation.

    Attributes
    ----------
    sigma_w2, gain : float
        The σ_w² used and its square root.
    source : str
        ``"edge"`` (the χ₁ = 1 edge of :func:`core.regime.regime` at σ_b² = 0),
        ``"capped_edge"`` (the edge needs a gain above :data:`ORTHO_GAIN_CAP`: the cap),
        ``"pytorch_gain"`` (no edge: PyTorch's ``calculate_gain``, squared) or ``"default"``
        (no edge and no standard gain: 1).
    claim : Claim
        The sentence saying which of the three it is, and why.
    """

    sigma_w2: float
    gain: float
    source: str
    claim: Claim


@functools.lru_cache(maxsize=32)
def edge_gain(activation: str) -> EdgeGain:
    """The χ₁ = 1 edge of ``activation`` at σ_b² = 0 where it exists, else a stated fallback.

    The edge comes from :func:`core.regime.regime` (``edge_sigma_w2``: χ₁ = 1 within 1e-3).
    Where there is none (GELU and SiLU at σ_b² = 0: q* jumps over it) the gain is PyTorch's
    ``calculate_gain`` for the activation, or 1 when PyTorch has none; the claim says which.
    """
    r = core_regime.regime(activation, 1.0, PROBE_SIGMA_B2)
    if r.edge_sigma_w2 is not None:
        edge = float(r.edge_sigma_w2)
        gain = min(math.sqrt(edge), ORTHO_GAIN_CAP)
        sw2 = gain * gain
        chi = float(core_regime.regime(activation, sw2, PROBE_SIGMA_B2).chi1)
        if math.sqrt(edge) <= ORTHO_GAIN_CAP:
            text = (
                f"gain √σ_w²* = {describe_number(gain, digits=4)}, where σ_w²* = "
                f"{describe_number(edge, digits=4)} is the edge of chaos of {activation} at "
                f"σ_b² = 0 (χ₁ = {describe_number(chi, digits=4)} there; these probes have no "
                "biases)"
            )
            source = "edge"
        else:
            text = (
                f"gain {describe_number(gain)}, the largest allowed: the edge of chaos of "
                f"{activation} at σ_b² = 0 lies at σ_w²* = {describe_number(edge, digits=4)} "
                f"(gain {describe_number(math.sqrt(edge), digits=4)}), so at σ_w² = "
                f"{describe_number(sw2)} the net sits just below it (χ₁ = "
                f"{describe_number(chi, digits=4)}, {core_regime.phase_of(chi)})"
            )
            source = "capped_edge"
        values = {"sigma_w2": sw2, "gain": gain, "chi1": chi, "edge_sigma_w2": edge}
        return EdgeGain(sw2, gain, source, Claim("theory", text, values))
    why = (r.edge_note or "").rstrip(".")
    try:
        gain = float(initializers.calculate_gain(activation))
        source = "pytorch_gain"
        how = f"PyTorch's calculate_gain('{activation}') = {describe_number(gain, digits=4)}"
    except ValueError:
        gain, source = 1.0, "default"
        how = "1 (PyTorch has no standard gain for it either)"
    text = f"gain {how}: {activation} has no χ₁ = 1 edge at σ_b² = 0 ({why})"
    return EdgeGain(
        gain * gain,
        gain,
        source,
        Claim("not_applicable", text, {"sigma_w2": gain * gain, "gain": gain}, applies=False),
    )


def comparison_sigma_w2(
    init: str, params: InitParams, width: int, activation: str | None = None
) -> float:
    """σ_w² of the spectrum comparisons: the user's on a square layer.

    When that is 0 (zeros init: no spectrum to match) the comparisons use the activation's
    χ₁ = 1 edge at σ_b² = 0 (:func:`edge_gain`: 2 for ReLU, 1 for tanh), or its stated
    fallback where there is no edge; 1 when no activation is given.
    """
    sw2 = initializers.sigma_w2(init, (width, width), **dict(params))
    if sw2 > 0:
        return sw2
    return edge_gain(activation).sigma_w2 if activation is not None else 1.0


def spectrum_comparison_claim(activation: str, init: str, params: InitParams, width: int) -> Claim:
    """What the spectrum comparisons use: their σ_w² and orthogonal gain, and why.

    ``values``: ``sigma_w2`` (the comparisons'), ``user_sigma_w2``, ``gain`` (the orthogonal
    series' gain, capped at :data:`ORTHO_GAIN_CAP`).
    """
    user = float(initializers.sigma_w2(init, (width, width), **dict(params)))
    sw2 = comparison_sigma_w2(init, params, width, activation)
    gain = min(math.sqrt(sw2), ORTHO_GAIN_CAP)
    if user > 0:
        text = f"here {describe_number(sw2)}, i.e. orthogonal with gain {describe_number(gain)}"
    else:
        e = edge_gain(activation)
        text = (
            f"your `{init}` weights have σ_w² = 0 (no spectrum to match), so the comparisons "
            f"use σ_w² = {describe_number(sw2, digits=4)}: orthogonal with " + e.claim.text
        )
    if math.sqrt(sw2) > ORTHO_GAIN_CAP:
        text += (
            f" (capped at gain {describe_number(ORTHO_GAIN_CAP)} so that the product does not "
            f"overflow: the orthogonal series has σ_w² = {describe_number(gain * gain)})"
        )
    return Claim("measured", text, {"sigma_w2": sw2, "user_sigma_w2": user, "gain": gain})


def spectrum_series(activation: str, init: str, params: InitParams, width: int) -> InitSeries:
    """The user's initializer next to orthogonal and i.i.d. Gaussian weights of the same σ_w².

    Same σ_w² = fan_in Var(W) means the same mean squared singular value (the same χ₁), so the
    only difference left is the *shape* of the spectrum (Pennington et al. 2017). A zero σ_w²
    (zeros init) uses the activation's χ₁ = 1 edge at σ_b² = 0 (2 for ReLU, 1 for tanh) for
    the two comparisons, or :func:`edge_gain`'s stated fallback where there is no edge.
    """
    sw2 = comparison_sigma_w2(init, params, width, activation)
    gain = math.sqrt(sw2)
    ortho = ("orthogonal", (("gain", min(gain, ORTHO_GAIN_CAP)),))
    gauss = ("normal", (("std", gain / math.sqrt(width)),))
    series = [(_series_label(init, params), init, params)]
    series.append((_series_label(*ortho), *ortho))
    if initializers.scale_of(init, (width, width), **dict(params)).distribution not in (
        "normal",
        "truncated_normal",
        "uniform",
    ):
        series.append((f"Gaussian N(0, {sw2:.3g}/n)", *gauss))
    return _dedupe(series)


@st.cache_data(max_entries=64, show_spinner=False)
@offloaded
def jacobian_spectra(
    activation: str, series: InitSeries, depth: int, width: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Singular values of the input-output Jacobian of an MLP, per initializer.

    Parameters
    ----------
    activation : str
    series : tuple of (label, init, params)
    depth, width : int
        Square layers (see :func:`spectrum_size` for a budget).
    seed : int

    Returns
    -------
    hist : DataFrame
        Columns series, log10_sv (bin centre), density (share of the width's singular values in
        the bin); bins shared by all series. Singular values below the float64 floor are put in
        the first bin.
    summary : DataFrame
        One row per series: series, init, sigma_w2, spread (decades between the 10th and 90th
        percentile of the non-zero singular values; NaN when J = 0), zero_fraction (share below
        10**-SV_ZERO_DECADES times the largest: numerically zero, J lost rank), log10_max,
        log10_mean_sq and predicted_log10_mean_sq (mean-field theory), theory_applies (False
        for constant and identity weights, which are not zero-mean random), chi1,
        overflow_layer (or -1).
    """
    rows, logs = [], []
    for i, (label, init, params) in enumerate(series):
        spec = theory.jacobian_singular_values(
            activation,
            init,
            depth=depth,
            width=width,
            rng=np.random.default_rng([seed, i]),
            init_params=dict(params),
        )
        log_sv = np.asarray(spec.log10_singular_values, dtype=float)
        finite = log_sv[np.isfinite(log_sv)]
        top = float(finite.max()) if finite.size else math.nan
        if finite.size:
            clamped = np.maximum(np.where(np.isfinite(log_sv), log_sv, -np.inf), top - 15.0)
            nonzero = log_sv[log_sv >= top - SV_ZERO_DECADES]
            p10, p90 = np.percentile(nonzero, [10, 90])
            zero = 1.0 - nonzero.size / log_sv.size
        else:
            clamped, p10, p90, zero = log_sv, math.nan, math.nan, 1.0
        logs.append((label, clamped))
        rows.append(
            {
                "series": label,
                "init": init,
                "sigma_w2": initializers.sigma_w2(init, (width, width), **dict(params)),
                "spread": float(p90 - p10),
                "zero_fraction": zero,
                "log10_max": top,
                "log10_mean_sq": spec.log10_mean_squared,
                "predicted_log10_mean_sq": spec.predicted_log10_mean_squared,
                "theory_applies": initializers.REGISTRY[init].family not in ("constant", "identity")
                or init == "zeros",
                "chi1": spec.chi1,
                "overflow_layer": -1 if spec.nonfinite_layer is None else spec.nonfinite_layer,
            }
        )
    every = np.concatenate([v[np.isfinite(v)] for _, v in logs] + [np.zeros(0)])
    lo, hi = (float(every.min()), float(every.max())) if every.size else (-1.0, 1.0)
    if hi - lo < 0.5:  # a flat spectrum (orthogonal linear net): give it a visible width
        lo, hi = lo - 0.25, hi + 0.25
    edges = np.linspace(lo, hi, SPECTRUM_BINS + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    frames = []
    for label, values in logs:
        ok = values[np.isfinite(values)]
        counts, _ = np.histogram(np.clip(ok, lo, hi), bins=edges)
        frames.append(
            pd.DataFrame(
                {"series": label, "log10_sv": centres, "density": counts / max(len(values), 1)}
            )
        )
    return pd.concat(frames, ignore_index=True), pd.DataFrame(rows)


def spectrum_notice_claim(summary: pd.DataFrame, width: int) -> Claim:
    """What to notice under the spectrum chart: spreads, mean squares, the mean-field mean.

    The prediction cited is that of the random series with σ_w² > 0 (the comparisons' σ_w²
    when the user's weights are zero); "same mean" is said only when every such series
    measures within a factor 2 of it, and "different spread" only when their spreads differ
    by more than one decade. ``verdict``: "same_mean_different_spread", "same_mean" or None.
    """
    lines = []
    for row in summary.itertuples():
        if row.zero_fraction >= 1.0:
            lines.append(f"{row.series}: every singular value is exactly 0")
            continue
        rank = round((1 - row.zero_fraction) * width)
        zero = f" (rank {rank} of {width}, the rest 0)" if row.zero_fraction > 0.05 else ""
        lines.append(f"{row.series}: middle 80% span **{row.spread:.2f}** decades{zero}")
    text = (
        "; ".join(lines)
        + ". Mean squared singular value: "
        + ", ".join(
            f"{describe_number(10.0**r.log10_mean_sq)} ({r.series})" for r in summary.itertuples()
        )
    )
    random = summary[summary["theory_applies"] & (summary["sigma_w2"] > 0)]
    values: dict[str, float] = {}
    verdict = None
    if len(random):
        predicted = 10.0 ** float(random["predicted_log10_mean_sq"].iloc[0])
        sw2 = float(random["sigma_w2"].iloc[0])
        values |= {"predicted_mean_sq": predicted, "sigma_w2": sw2}
        text += (
            f"; mean-field theory for random weights of σ_w² = {describe_number(sw2)}: "
            f"{describe_number(predicted)}."
        )
        measured = 10.0 ** random["log10_mean_sq"].to_numpy()
        spreads = random["spread"].to_numpy()
        same = predicted > 0 and all(0.5 < m / predicted < 2.0 for m in measured)
        if len(measured) > 1 and same and np.all(np.isfinite(spreads)):
            gap = float(spreads.max() - spreads.min())
            values["spread_gap"] = gap
            if gap > 1.0:
                verdict = "same_mean_different_spread"
                text += (
                    " Same mean, different spread: variance scaling sets the mean, "
                    "orthogonality the spread."
                )
            else:
                verdict = "same_mean"
                text += f" Same mean, and the spreads differ by only {gap:.2f} decades here."
    else:
        text += "."
    return Claim("measured", text, values, verdict)


def spectrum_answer_claim(summary: pd.DataFrame, activation: str) -> Claim:
    """The answer of the orthogonal-spectrum exercise, citing this page's measured spreads.

    ``summary`` is :func:`jacobian_spectra`'s. Cites the orthogonal series' spread and that of
    the first random (non-orthogonal, non-zero) series; says so when there is none.
    """
    ortho = summary[summary["init"] == "orthogonal"]
    others = summary[
        (summary["init"] != "orthogonal")
        & summary["theory_applies"]
        & (summary["zero_fraction"] < 1.0)
        & np.isfinite(summary["spread"])
    ]
    spread_o = float(ortho["spread"].iloc[0]) if len(ortho) else math.nan
    text = (
        "Orthogonal: exactly 0 decades at every depth with a linear activation — a product of "
        "orthogonal matrices is orthogonal, every singular value is 1. A Gaussian spectrum "
        "widens with depth"
    )
    values = {"orthogonal_spread": spread_o}
    if len(others) and math.isfinite(spread_o):
        row = others.iloc[0]
        values["other_spread"] = float(row.spread)
        text += (
            f" (now, with {activation}: {describe_number(float(row.spread))} decades for "
            f"{row.series} against {describe_number(spread_o)} for orthogonal)"
        )
    text += (
        ". That is why deep linear nets learn in a depth-independent time with orthogonal "
        "weights (Saxe et al. 2013), and why tanh nets near χ₁ = 1 train fastest with them "
        "(Pennington et al. 2017)."
    )
    return Claim("measured", text, values)


def rnn_size(steps: int, width: int) -> tuple[int, int]:
    """(hidden units, batch) of the RNN tab's probes for ``steps`` time steps.

    Hidden units are capped at RNN_MAX_HIDDEN; the batch is the largest power of two from 8 to
    32 whose forward + backward cost (about 6 hidden² batch steps) fits RNN_BUDGET_MACS.
    """
    hidden = min(width, RNN_MAX_HIDDEN)
    fit = RNN_BUDGET_MACS / (6 * hidden * hidden * steps)
    batch = 2 ** math.floor(math.log2(max(fit, 1.0)))
    return hidden, int(min(max(batch, 8), 32))


def rnn_series(init: str, params: InitParams) -> InitSeries:
    """Recurrent initializers to compare.

    The user's, orthogonal at gains 1, 0.9 and 1.1, identity, and Glorot normal (an i.i.d.
    Gaussian W_hh with Var = 1/n, whose spectral radius is also about 1).
    """
    series = [(_series_label(init, params, with_gain=True), init, params)]
    for gain in (1.0, 0.9, 1.1):
        p = (("gain", gain),)
        series.append((_series_label("orthogonal", p, with_gain=True), "orthogonal", p))
    series.append(("Identity", "identity", (("gain", 1.0),)))
    glorot = (("gain", 1.0),)
    series.append((_series_label("glorot_normal", glorot), "glorot_normal", glorot))
    return _dedupe(series)


def _recurrent_draws(
    init: str, params: InitParams, hidden: int, batch: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The W_hh and top gradient g that :func:`core.probe.propagate` draws for this seed.

    The probe spawns three streams from ``seed`` (inputs, weights, top gradient); its weight
    stream draws W_xh, then W_hh, and its gradient stream g of shape (batch, hidden).
    """
    _, weight_seed, grad_seed = np.random.SeedSequence(seed).spawn(3)
    rng = np.random.default_rng(weight_seed)
    initializers.initialize(init, (hidden, hidden), rng=rng, **dict(params))  # W_xh
    w_hh = initializers.initialize(init, (hidden, hidden), rng=rng, **dict(params))
    g = np.random.default_rng(grad_seed).standard_normal((batch, hidden))
    return w_hh, g


def _linear_rnn_grad_std(w_hh: np.ndarray, g: np.ndarray, steps: int) -> np.ndarray:
    """Std of dL/dz_t, t = 1..steps, of a linear RNN: dL/dz_t = g (W_hh^T)^(steps - t).

    Exactly what the probe measures for a linear activation (inputs do not enter the
    backward pass), without running the forward pass. Renormalized every step, so deep
    products neither overflow nor underflow.
    """
    out = np.empty(steps)
    log_scale = 0.0
    v = g.copy()
    for t in range(steps - 1, -1, -1):
        out[t] = math.exp(log_scale) * float(np.std(v)) if log_scale < 700 else math.inf
        v = v @ w_hh.T
        norm = float(np.sqrt(np.mean(v * v)))
        if norm == 0.0 or not math.isfinite(norm):
            out[:t] = 0.0 if norm == 0.0 else math.inf
            break
        v /= norm
        log_scale += math.log(norm)
    return out


@st.cache_data(max_entries=64, show_spinner=False)
@offloaded
def rnn_through_time(
    activation: str, series: InitSeries, steps: int, width: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Gradient norm against time step of a vanilla RNN, per recurrent initializer.

    The probe unrolls one recurrent layer for ``steps`` steps with fresh inputs each step and
    injects a N(0, 1) gradient at the last hidden state only; ``grad_std`` at step t is the
    std of dL/dz_t after flowing back T - t steps through the same W_hh. A linear activation
    is computed directly from W_hh (same numbers, no forward pass). Sizes from
    :func:`rnn_size`.

    Returns
    -------
    steps_frame : DataFrame
        Columns series, layer (= time step), grad_std.
    summary : DataFrame
        series, init, gain (NaN if none), spectral_radius of W_hh (max |eigenvalue|),
        sigma_max (largest singular value of W_hh), grad_first (step 1), grad_last (step T), ratio =
        grad_first / grad_last, overflow_step (first step with inf/NaN activations, or -1).
    """
    hidden, batch = rnn_size(steps, width)
    frames, rows = [], []
    for label, init, params in series:
        w_hh, g = _recurrent_draws(init, params, hidden, batch, seed)
        if activation == "linear":
            with np.errstate(all="ignore"):
                grad = _linear_rnn_grad_std(w_hh, g, steps)
            overflow = -1
        else:
            stats = layer_stats(
                Net("rnn", activation, steps, hidden, seed), init, params, batch=batch
            )
            grad = stats_frame(stats, label)["grad_std"].to_numpy()
            overflow = stats.first_nonfinite_layer or -1
        frames.append(
            pd.DataFrame({"series": label, "layer": np.arange(1, steps + 1), "grad_std": grad})
        )
        with np.errstate(all="ignore"):
            ratio = float(grad[0] / grad[-1]) if grad[-1] > 0 else math.nan
        rows.append(
            {
                "series": label,
                "init": init,
                "gain": float(dict(params).get("gain", math.nan)),
                "spectral_radius": float(np.max(np.abs(np.linalg.eigvals(w_hh)))),
                "sigma_max": float(np.linalg.norm(w_hh, 2)),
                "grad_first": float(grad[0]),
                "grad_last": float(grad[-1]),
                "ratio": ratio,
                "overflow_step": overflow,
            }
        )
    return pd.concat(frames, ignore_index=True), pd.DataFrame(rows)


def _times(top: float, bottom: float) -> str:
    """``top / bottom`` as "×12", "×0.5" / "1/1000" (below 0.1), or what happened (0, inf)."""
    top, bottom = float(top), float(bottom)
    if bottom > 0 and math.isfinite(bottom) and math.isfinite(top) and top / bottom >= 0.1:
        return "×" + describe_number(top / bottom)
    return describe_ratio(top, bottom)


def _ratio_direction(top: float, bottom: float) -> str:
    """:func:`explorer.claims.direction` of ``top / bottom`` ("undefined" for 0/0, x/0, inf)."""
    with np.errstate(all="ignore"):
        r = float(top) / float(bottom) if float(bottom) != 0 else math.nan
    return direction(r, tolerance=DEFAULT_TOLERANCE)


def rnn_drift_claim(
    series: str, spectral_radius: float, sigma_max: float, grad: np.ndarray, steps: int
) -> Claim:
    r"""Why a linear RNN's gradient drifts through time: the spectral radius ρ of W_hh.

    Back from step T to step 1 the gradient is multiplied by :math:`(W_{hh}^T)^{T-1}`, whose
    norm grows like :math:`\rho^{T-1}` (Gelfand's formula) whatever the singular values; the
    singular-value spread only shapes the first steps. The claim cites the measured change, ρ,
    ρ^(T−1) and the measured per-step factor over the earliest half of the steps (furthest
    from the injection, where the leading eigenvalue dominates), and attributes the drift to ρ
    only when the measured direction agrees with ρ^(T−1)'s.

    Parameters
    ----------
    series : str
        The recurrent initializer's label.
    spectral_radius, sigma_max : float
        ρ (max |eigenvalue|) and the largest singular value of the drawn W_hh.
    grad : ndarray
        Std of dL/dz_t for t = 1..steps of the *linear* RNN (:func:`rnn_through_time`).
    steps : int

    Returns
    -------
    Claim
        ``verdict``: "rho" (the drift is ρ's), "level" (ρ^(T−1) and the gradient both stay
        level), "transient" (they disagree: too few steps for ρ to dominate) or "undefined"
        (the gradient was zero or overflowed). ``values``: rho, sigma_max, rho_power, ratio,
        rate (NaN when fewer than 2 steps).
    """
    grad = np.asarray(grad, dtype=float)
    rho, smax = float(spectral_radius), float(sigma_max)
    n = max(int(steps) - 1, 0)
    with np.errstate(all="ignore"):
        rho_power = rho**n
        first, last = float(grad[0]), float(grad[-1])
        ratio = first / last if last > 0 else math.nan
        k = n // 2
        mid = float(grad[k]) if k >= 1 else math.nan
        rate = (first / mid) ** (1.0 / k) if k >= 1 and mid > 0 and first > 0 else math.nan
    measured = _ratio_direction(first, last)
    predicted = direction(rho_power, tolerance=DEFAULT_TOLERANCE)
    text = (
        f"Its spectral radius is ρ = {describe_number(rho)} here (largest singular value "
        f"σ_max = {describe_number(smax)}). From step {steps} back to step 1 ({n} "
        f"multiplications by W_hhᵀ) the linear RNN's gradient changed by "
        f"**{_times(first, last)}**, and ρ^{n} = {describe_number(rho_power)}"
    )
    if math.isfinite(rate):
        text += (
            f"; over the {k} steps furthest from the injection it changed by "
            f"{describe_number(rate)} per step, against ρ = {describe_number(rho)}"
        )
    text += ". "
    if measured == "undefined":
        verdict = "undefined"
        text += "The gradient became exactly zero or overflowed, so no drift rate can be read off."
    elif measured == predicted == "stays level":
        verdict = "level"
        text += f"ρ^{n} is close to 1, and so is the gradient's change: no drift here."
    elif measured == predicted:
        verdict = "rho"
        text += (
            f"So the drift is ρ {'>' if predicted == 'grows' else '<'} 1 compounding: after "
            f"many steps only the eigenvalue of largest modulus survives, and the gradient "
            f"{predicted} like ρ^t (up to a constant factor set by how the injected gradient "
            "projects on that eigenvector)."
        )
        if math.isfinite(rate) and rho > 0 and abs(math.log(rate / rho)) > math.log(1.1):
            text += (
                f" After only {n} steps the measured per-step factor ({describe_number(rate)}) "
                "has not settled at ρ yet: the start-up transient still matters; more time "
                "steps (the depth, with RNN as network type) bring it closer to ρ."
            )
    else:
        verdict = "transient"
        text += (
            f"Here the measured change ({measured}) and ρ^{n} ({predicted}) disagree: after "
            f"only {n} steps the start-up transient still dominates; with more steps ρ^t takes "
            "over."
        )
    text += (
        " The spread of the singular values (≈0 to σ_max) does not set this rate: for an "
        "i.i.d. Gaussian W_hh with Var = 1/n, ‖W_hhᵀv‖² averages ‖v‖² over directions, so "
        "the spread only reshapes the gradient in the first steps, while the long-run factor "
        "per step is ρ. An orthogonal matrix has every eigenvalue *and* every singular value "
        "of modulus 1, so ‖Wᵀv‖ = ‖v‖ exactly (Saxe et al. 2013; Le et al. 2015)."
    )
    return Claim(
        "measured",
        text,
        {
            "rho": rho,
            "sigma_max": smax,
            "rho_power": rho_power,
            "ratio": ratio,
            "rate": rate,
        },
        verdict=verdict,
    )


def rnn_activation_claim(
    activation: str,
    steps: int,
    mine: tuple[str, float, float],
    ortho: tuple[str, float, float] | None,
    linear: tuple[float, float],
) -> Claim:
    """What the activation's f′ adds to ρ: the user's RNN against the linear RNN, same W_hh.

    Parameters
    ----------
    activation : str
    steps : int
    mine : (series, grad_first, grad_last)
        The user's recurrent init with ``activation``.
    ortho : (series, grad_first, grad_last) or None
        Orthogonal W_hh (gain 1) with ``activation``; None when it is the user's.
    linear : (grad_first, grad_last)
        The user's W_hh in the linear RNN.

    Returns
    -------
    Claim
        ``verdict``: the direction of (with activation) / (linear): "shrinks" (f′ shrinks the
        gradient on top of ρ), "grows", "stays level" or "undefined".
    """
    label, first, last = mine
    text = (
        f"With {activation}, going back from step {steps} to step 1 multiplies the gradient by "
        f"**{_times(first, last)}** for {label}"
    )
    if ortho is not None:
        text += f" and **{_times(ortho[1], ortho[2])}** for orthogonal W_hh"
    text += f"; the linear RNN with the same W_hh: {_times(*linear)}. "
    with np.errstate(all="ignore"):
        act_ratio = first / last if last > 0 else math.nan
        lin_ratio = linear[0] / linear[1] if linear[1] > 0 else math.nan
        rel = act_ratio / lin_ratio if lin_ratio > 0 else math.nan
    verdict = direction(rel, tolerance=DEFAULT_TOLERANCE)
    if verdict == "undefined":
        text += (
            "One of the two gradients is exactly zero or overflowed, so what f′ adds cannot be "
            "told apart from ρ here."
        )
    elif verdict == "shrinks":
        text += (
            f"So on top of ρ, f′(z_t) makes the gradient shrink a further "
            f"{change_words(rel).removeprefix('shrinks ')} over the {steps - 1} steps "
            "(saturating units have f′ < 1, dead ReLUs f′ = 0)."
        )
    elif verdict == "grows":
        text += (
            f"So on top of ρ, f′(z_t) makes the gradient grow a further "
            f"{change_words(rel).removeprefix('grows ')} over the {steps - 1} steps "
            f"({activation}'s slope exceeds 1 in places)."
        )
    else:
        text += f"So f′(z_t) hardly changes it ({_times(act_ratio, lin_ratio)}): ρ decides."
    return Claim(
        "measured", text, {"ratio": act_ratio, "linear_ratio": lin_ratio, "relative": rel}, verdict
    )


def rnn_linear_claim(summary: pd.DataFrame, steps: int) -> Claim:
    """The linear RNN's change from step T to 1 for orthogonal W_hh at gains 1, 0.9 and 1.1.

    Cites each one's measured ρ and ρ^(T−1) next to the measured change.
    """
    n = steps - 1
    parts, values = [], {}
    for gain in (1.0, 0.9, 1.1):
        row = orthogonal_row(summary, gain)
        rho = float(row.spectral_radius)
        parts.append(
            f"**{_times(row.grad_first, row.grad_last)}** with ρ = {describe_number(rho)} "
            f"({describe_number(rho)}^{n} = {describe_number(rho**n)})"
        )
        values[f"ratio_{gain:g}"] = float(row.ratio)
        values[f"rho_{gain:g}"] = rho
    text = (
        f"From step {steps} back to step 1 ({n} multiplications by W_hhᵀ) the linear RNN with "
        "orthogonal W_hh multiplies the gradient by " + ", ".join(parts) + "."
    )
    return Claim("measured", text, values)


def cnn_size(depth: int, channels: int) -> int:
    """Image side of the CNN tab's probe: 16, or 8 when 16x16 would exceed CNN_BUDGET_MACS."""
    for side in (16, 8):
        if 3 * depth * CNN_BATCH * side * side * 9 * channels * channels <= CNN_BUDGET_MACS:
            return side
    return 8


@st.cache_data(max_entries=32, show_spinner=False)
def cnn_fan_table(channels: int, kernel: int = 3) -> pd.DataFrame:
    """Fans and weight std of the variance-scaling presets: conv layer vs dense layer.

    Parameters
    ----------
    channels : int
        Input and output channels of the conv layer (units of the dense one).
    kernel : int
        Kernel side (kernel x kernel receptive field).

    Returns
    -------
    DataFrame
        One row per preset: scheme, fan_in_dense, fan_in_conv, std_dense (receptive field
        forgotten), std_conv (right), ratio = std_dense / std_conv (= kernel for fan-in
        schemes), variance_growth = ratio² (per-layer factor of the mistake).
    """
    rows = []
    conv = (kernel, kernel, channels, channels)
    dense = (channels, channels)
    for name in ("lecun_normal", "glorot_normal", "he_normal"):
        std_conv = initializers.scale_of(name, conv).std
        std_dense = initializers.scale_of(name, dense).std
        rows.append(
            {
                "scheme": initializers.REGISTRY[name].label,
                "fan_in_dense": initializers.compute_fans(dense)[0],
                "fan_in_conv": initializers.compute_fans(conv)[0],
                "std_dense": std_dense,
                "std_conv": std_conv,
                "ratio": std_dense / std_conv,
                "variance_growth": (std_dense / std_conv) ** 2,
            }
        )
    return pd.DataFrame(rows)


def cnn_series(activation: str, init: str, params: InitParams, channels: int) -> InitSeries:
    """The user's conv init, delta-orthogonal at :func:`edge_gain`, and the fan mistake.

    Delta-orthogonal gets gain sqrt(σ_w²*) with σ_w²* the χ₁ = 1 edge at σ_b² = 0 (1 for
    tanh, 2 for ReLU; sigmoid's, about 103, needs a gain above the cap 10, so 10); where
    there is no edge (GELU, SiLU), PyTorch's
    gain for the activation or 1 (:func:`edge_gain` says which). The mistake: the user's scheme's
    std computed from the dense fan (channels) instead of 9 x channels, drawn as N(0, std²).
    """
    gain = edge_gain(activation).gain
    series = [(_series_label(init, params), init, params)]
    delta = (("gain", gain),)
    series.append((_series_label("delta_orthogonal", delta), "delta_orthogonal", delta))
    if initializers.REGISTRY[init].family == "variance_scaling":
        std = initializers.scale_of(init, (channels, channels), **dict(params)).std
        series.append(("3×3 forgotten (fan = c)", "normal", (("std", std),)))
    return _dedupe(series)


def delta_orthogonal_claim(activation: str) -> Claim:
    """The gain the CNN tab's delta-orthogonal series uses, and where it comes from.

    ``values``: ``gain``, ``sigma_w2`` (as :func:`edge_gain`); ``verdict`` its source
    ("edge", "pytorch_gain", "default").
    """
    e = edge_gain(activation)
    text = f"Here delta-orthogonal gets {e.claim.text}."
    if e.source == "edge" and activation == "tanh":
        text += " Xiao et al. trained 10,000-layer tanh CNNs this way."
    return Claim(e.claim.kind, text, dict(e.claim.values), e.source, e.claim.applies)


@st.cache_data(max_entries=64, show_spinner=False)
def cnn_layer_stats(
    activation: str, series: InitSeries, depth: int, channels: int, seed: int
) -> pd.DataFrame:
    """Per-layer stats of a 3x3 CNN per initializer, stacked :func:`stats_frame` rows.

    Images: CNN_BATCH of side :func:`cnn_size` (zero padding); stats as in core.probe.
    """
    frames = []
    for label, init, params in series:
        cnn = Net("cnn", activation, depth, channels, seed)
        size = cnn_size(depth, channels)
        stats = layer_stats(cnn, init, params, batch=CNN_BATCH, image_size=size)
        frames.append(stats_frame(stats, label))
    return pd.concat(frames, ignore_index=True)


def residual_compare(net: Net, init: str, params: InitParams, alpha: float) -> pd.DataFrame:
    """Per-layer stats of a plain MLP and a residual MLP (branch scale ``alpha``), stacked.

    Series labels are "Plain MLP" and "Residual, α = <alpha>". Both probes are cached;
    ``net.network`` is not used (both kinds are measured).
    """
    _, activation, depth, width, seed = net
    plain = layer_stats(Net("mlp", activation, depth, width, seed), init, params)
    res = layer_stats(Net("resmlp", activation, depth, width, seed), init, params, alpha=alpha)
    return pd.concat(
        [stats_frame(plain, "Plain MLP"), stats_frame(res, f"Residual, α = {alpha:g}")],
        ignore_index=True,
    )


def lsuv_size(network: str, depth: int, width: int) -> tuple[str, int, int]:
    """(kind, depth, width) of the LSUV demo network: rnn -> mlp, sizes capped."""
    kind = network if network in lsuv.SUPPORTED_KINDS else "mlp"
    cap = LSUV_MAX_CHANNELS if kind == "cnn" else LSUV_MAX_WIDTH
    return kind, min(depth, LSUV_MAX_DEPTH), min(width, cap)


@st.cache_data(max_entries=32, show_spinner=False)
@offloaded
def lsuv_compare(net: Net, init: str, params: InitParams) -> tuple[pd.DataFrame, pd.DataFrame]:
    """LSUV (orthogonal pre-init, then per-layer rescaling) next to the user's initializer.

    Builds one network with the user's initializer, measures the std of every layer's
    pre-activation on a batch of N(0, 1) inputs, then runs :func:`core.lsuv.lsuv` on a copy
    and measures again.

    Parameters
    ----------
    net : Net
        Its network is one of "mlp", "cnn", "resmlp"; use :func:`lsuv_size` for the caps.
    init : str
    params : tuple of (name, value)
        Must fit the network (see :func:`core.networks.supported_inits`).

    Returns
    -------
    report : DataFrame
        One row per layer (output last): layer, name, iterations, variance_before,
        variance_after, converged.
    std : DataFrame
        Columns series ("<init label>" / "LSUV"), layer, preact_std (std of the layer's
        pre-activation z on the batch; inf when it overflowed).
    """
    kind, activation, depth, width, seed = net
    rng = np.random.default_rng(seed)
    shape = (LSUV_IMAGE, LSUV_IMAGE, width) if kind == "cnn" else (width,)
    net = build_network(net, init, params, input_shape=shape, n_outputs=10, rng=rng)
    x = rng.standard_normal((8 if kind == "cnn" else LSUV_BATCH, *shape))  # 8 images: 512 px

    def preact_std(network: networks.Network) -> np.ndarray:
        with np.errstate(all="ignore"):
            zs = network.forward(x).z
            out = np.array([float(np.std(z)) if np.all(np.isfinite(z)) else np.inf for z in zs])
        return out

    before = preact_std(net)
    tuned = net.copy()
    report = lsuv.lsuv(tuned, x, rng=np.random.default_rng([seed, 1]))
    after = preact_std(tuned)
    layers = np.arange(1, len(before) + 1)
    table = pd.DataFrame(
        {
            "layer": layers,
            "name": list(report.layer_names),
            "iterations": report.iterations,
            "variance_before": report.initial_variance,
            "variance_after": report.final_variance,
            "converged": report.converged,
        }
    )
    std = pd.concat(
        [
            pd.DataFrame(
                {"series": _series_label(init, params), "layer": layers, "preact_std": before}
            ),
            pd.DataFrame({"series": "LSUV", "layer": layers, "preact_std": after}),
        ],
        ignore_index=True,
    )
    return table, std


def series_summary(frame: pd.DataFrame, *, ends: bool = False) -> pd.DataFrame:
    """One row per series of a stacked :func:`stats_frame`: how the signal changed with depth.

    Returns
    -------
    DataFrame
        series, act_last (activation std of the last layer), act_factor (geometric-mean
        per-layer factor of the activation std), grad_ratio (std of dL/dz at layer 1 divided
        by that at the last layer: < 1 vanishing, > 1 exploding on the way down); with
        ``ends`` also act_first, grad_first, grad_last (first-layer activation std, gradient
        std at the first and last layer: what the text needs to say "all zero").
    """
    rows = []
    for series, part in frame.groupby("series", sort=False):
        act = part["act_std"].to_numpy()
        grad = part["grad_std"].to_numpy()
        with np.errstate(all="ignore"):
            ratio = float(grad[0] / grad[-1]) if grad[-1] > 0 else math.nan
        row = {
            "series": series,
            "act_last": float(act[-1]),
            "act_factor": geometric_factor(act),
            "grad_ratio": ratio,
        }
        if ends:
            row |= {
                "act_first": float(act[0]),
                "grad_first": float(grad[0]),
                "grad_last": float(grad[-1]),
            }
        rows.append(row)
    return pd.DataFrame(rows)


def orthogonal_row(summary: pd.DataFrame, gain: float) -> pd.Series:
    """The row of an RNN summary (:func:`rnn_through_time`) for orthogonal W_hh at ``gain``."""
    rows = summary[(summary["init"] == "orthogonal") & np.isclose(summary["gain"], gain)]
    return rows.iloc[0]


def rnn_export_frame(frame: pd.DataFrame, linear: pd.DataFrame, activation: str) -> pd.DataFrame:
    """Page 5's RNN gradients for export: the user's activation and the linear RNN, stacked.

    Columns series, layer (= time step), grad_std, activation; the linear rows are left out
    when the user's activation is linear already (they would repeat the same run).
    """
    parts = [frame.assign(activation=activation)]
    if activation != "linear":
        parts.append(linear.assign(activation="linear"))
    return pd.concat(parts, ignore_index=True)


def signal_words(act_first: float, act_last: float, act_factor: float, unit: str = "layer") -> str:
    """The last layer's activation std and the per-layer factor, in words, never "NaN".

    "**0.23** (×0.895 per layer)"; all-zero activations: "**0** (all zero: every unit outputs
    the same value in every layer, so there is no per-layer factor)"; a signal that reached
    exactly 0: "**0** (the signal died out: underflow or all zero)".
    """
    if act_first == 0.0 and act_last == 0.0:
        return (
            "**0** (all zero: every unit outputs the same value in every "
            f"{unit}, so there is no per-{unit} factor)"
        )
    if act_last == 0.0:
        return "**0** (the signal died out: underflow or all zero)"
    if not math.isfinite(act_last):
        return f"**{describe_number(act_last)}**"
    return f"**{describe_number(act_last)}** (×{describe_number(act_factor)} per {unit})"


def grad_share_words(grad_first: float, grad_last: float) -> str:
    """How the gradient at layer 1 compares with the top layer's, in words, never "NaN"."""
    if grad_first == 0.0 and grad_last == 0.0:
        return "**0**, like the top layer's (no gradient at all)"
    if grad_first == 0.0:
        return "**exactly 0** (none of the top layer's gradient reaches it)"
    if grad_last == 0.0 or not (math.isfinite(grad_first) and math.isfinite(grad_last)):
        return f"**{describe_ratio(grad_first, grad_last)}** relative to the top layer's"
    return f"**{describe_number(grad_first / grad_last)}×** the top layer's"


def cnn_claims(summary: pd.DataFrame, depth: int) -> tuple[Claim, Claim]:
    """The CNN tab's two notices (activations after ``depth`` layers; gradient at layer 1).

    ``summary`` is :func:`series_summary` (with ``ends=True``) of :func:`cnn_layer_stats`.
    """
    rows = list(summary.itertuples())
    act = Claim(
        "measured",
        f"After {depth} conv layers the activation std is "
        + "; ".join(
            f"{signal_words(r.act_first, r.act_last, r.act_factor)} with {r.series}" for r in rows
        )
        + ".",
        {f"act_last[{r.series}]": float(r.act_last) for r in rows},
    )
    grad = Claim(
        "measured",
        "The gradient reaching layer 1 is "
        + "; ".join(f"{grad_share_words(r.grad_first, r.grad_last)} with {r.series}" for r in rows)
        + ".",
        {f"grad_ratio[{r.series}]": float(r.grad_ratio) for r in rows},
    )
    return act, grad


def lsuv_claim(report: pd.DataFrame, std: pd.DataFrame, init_label: str) -> Claim:
    """The LSUV tab's notice: the user's last hidden pre-activation std, and LSUV's, gated.

    "every layer" is said only when every layer converged to Var(z) = 1 ± 0.1; otherwise the
    count of layers that did. ``verdict``: "all_converged" or "some_missed".
    """
    yours = std[std["series"] != "LSUV"]["preact_std"].to_numpy()
    after = std[std["series"] == "LSUV"]["preact_std"].to_numpy()
    idx = -2 if len(yours) > 1 else -1
    n_ok, n = int(report["converged"].sum()), len(report)
    rescales = int(report["iterations"].sum())
    text = (
        f"With {init_label} the last hidden layer's pre-activation std is "
        f"**{describe_number(float(yours[idx]), zero_note=True)}**; after LSUV it is "
        f"**{describe_number(float(after[idx]))}**"
    )
    if n_ok == n:
        verdict = "all_converged"
        text += f", and every layer sits at Var(z) = 1 ± 0.1 — reached with {rescales} rescalings."
    else:
        verdict = "some_missed"
        text += (
            f"; {n_ok} of {n} layers reached Var(z) = 1 ± 0.1 within the iteration limit "
            f"({rescales} rescalings in total)."
        )
    values = {"before": float(yours[idx]), "after": float(after[idx]), "converged": n_ok}
    return Claim("measured", text, values, verdict)
