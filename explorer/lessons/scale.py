"""Lesson behind page 4 (choosing the scale): Var(W) = k/n, fan modes, the critical k."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from core import activations, initializers, probe, theory
from core import regime as core_regime
from explorer import claims
from explorer.claims import Claim, describe_number
from explorer.experiments import (
    SWEEP_SHARE,
    InitParams,
    geometric_factor,
    layer_stats,
    predicted_stats,
    probe_batch,
    stats_frame,
    well_scaled_init,
)
from explorer.offload import offloaded
from explorer.state import InitSeries, Net

# Re-exported for the page's k/n calculator, so pages need not import core.
MODES = initializers.MODES
DISTRIBUTIONS = initializers.DISTRIBUTIONS
compute_fans = initializers.compute_fans
scale_of = initializers.scale_of


#: k on a log scale, 4 steps per doubling: 1/16 .. 32, with 1/4, 1/2, 1, 2, 4 ... exact.
K_GRID: tuple[float, ...] = tuple(float(2.0 ** (i / 4)) for i in range(-16, 21))


#: k values probed by the "edge" sweep (2 per doubling, 1/8 .. 16).
K_SWEEP: tuple[float, ...] = tuple(float(2.0 ** (i / 2)) for i in range(-6, 9))


#: k values of the sweep's theory line.
K_THEORY: tuple[float, ...] = tuple(float(v) for v in np.geomspace(K_SWEEP[0], K_SWEEP[-1], 49))


#: The named presets of Var(W) = k / n: (k, mode).
PRESETS: dict[str, tuple[float, str]] = {
    "LeCun": (1.0, "fan_in"),
    "Glorot": (1.0, "fan_avg"),
    "He": (2.0, "fan_in"),
}


#: Output widths offered for the non-square forward/backward comparison.
FAN_OUT_CHOICES: tuple[int, ...] = (16, 32, 64, 128, 256, 512, 1024, 2048, 4096)


#: Network types whose per-layer variance mean-field theory predicts (square dense layers; for
#: the CNN, the interior pixels of a 3x3 conv see exactly fan_in = 9 * width inputs).
THEORY_NETWORKS = ("mlp", "cnn")


def preset_of(k: float, mode: str) -> str | None:
    """Name of the preset with this k and mode, or None."""
    for name, (pk, pmode) in PRESETS.items():
        if math.isclose(k, pk) and mode == pmode:
            return name
    return None


def fan_n(shape: tuple[int, ...], mode: str) -> float:
    """The n of Var(W) = k / n for a weight shape: fan_in, fan_out or their mean."""
    fan_in, fan_out = initializers.compute_fans(shape)
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]


def vs_params(k: float, mode: str, distribution: str) -> InitParams:
    """Parameters of the ``variance_scaling`` initializer for Var(W) = k / n."""
    return (("scale", float(k)), ("mode", mode), ("distribution", distribution))


@st.cache_data(max_entries=128, show_spinner=False)
@offloaded
def edge_theory(
    activation: str, mode: str, distribution: str, depth: int, width: int
) -> list[dict[str, object]]:
    """The theory rows of :func:`edge_sweep` (no seed: shared by every student's sweep)."""
    rows: list[dict[str, object]] = []
    for k in K_THEORY:
        pred = predicted_stats(
            activation, "variance_scaling", vs_params(k, mode, distribution), depth, width
        )
        fwd, bwd = _factors(pred.preact_var, pred.grad_var)
        rows += [
            {"k": k, "factor": fwd, "direction": FORWARD, "source": "theory"},
            {"k": k, "factor": bwd, "direction": BACKWARD, "source": "theory"},
        ]
    return rows


def _theory_variance(
    activation: str, init: str, init_params: InitParams, depth: int, width: int
) -> np.ndarray:
    """Mean-field q^l (pre-activation variance per layer) for square layers (core.theory)."""
    return predicted_stats(activation, init, init_params, depth, width).preact_var


@st.cache_data(max_entries=128, show_spinner=False)
def variance_profile(net: Net, inits: InitSeries) -> pd.DataFrame:
    """Measured and predicted per-layer pre-activation variance of several initializers.

    Parameters
    ----------
    inits : tuple of (label, init name, init params)

    Returns
    -------
    DataFrame
        Columns ``series`` ("<label> · measured" / "<label> · theory"), ``layer``,
        ``variance`` (Var z^l; inf where it overflowed or exceeds float64), ``label``, ``kind``
        ("measured"/"theory"). Theory rows only for :data:`THEORY_NETWORKS`.
    """
    network, activation, depth, width, seed = net
    frames = []
    for label, init, params in inits:
        stats = layer_stats(Net(network, activation, depth, width, seed), init, params)
        with np.errstate(over="ignore"):  # a std above 1.3e154 has no float64 variance: inf
            measured = stats_frame(stats, label)["preact_std"].to_numpy() ** 2
        frames.append(
            pd.DataFrame(
                {
                    "series": f"{label} · measured",
                    "layer": stats.layer,
                    "variance": measured,
                    "label": label,
                    "kind": "measured",
                }
            )
        )
        if network in THEORY_NETWORKS:
            frames.append(
                pd.DataFrame(
                    {
                        "series": f"{label} · theory",
                        "layer": stats.layer,
                        "variance": _theory_variance(activation, init, params, depth, width),
                        "label": label,
                        "kind": "theory",
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _factors(variances_forward: np.ndarray, grad_variances: np.ndarray) -> tuple[float, float]:
    """Per-layer growth factors: forward of Var z (layer 1 -> L), backward of Var dL/dz (L -> 1)."""
    return (
        geometric_factor(variances_forward),
        geometric_factor(np.asarray(grad_variances)[::-1]),
    )


def growth_factors(stats: probe.LayerStats) -> tuple[float, float]:
    """(forward, backward) per-layer variance factors of one probe; see :func:`edge_sweep`.

    Computed from the stds (the factor of the variance is the square of the std's), so that a
    std beyond 1e154, whose square float64 cannot hold, still gives a finite factor.
    """
    forward = geometric_factor(stats.preact_std)
    backward = geometric_factor(np.asarray(stats.grad_std)[::-1])
    return forward**2, backward**2


FORWARD = "forward: activations"


BACKWARD = "backward: gradients"


@st.cache_data(max_entries=64, show_spinner=False)
@offloaded
def edge_sweep(
    network: str,
    activation: str,
    mode: str,
    distribution: str,
    depth: int,
    width: int,
    seed: int,
) -> pd.DataFrame:
    """Per-layer growth factors of the forward and backward variance as k sweeps 1/8 .. 16.

    Forward factor: the geometric mean of Var(z^l) / Var(z^{l-1}) from layer 1 to L.
    Backward factor: the same for the gradient Var(dL/dz^l), from layer L back to 1. A factor
    above 1 grows geometrically with depth (explodes), below 1 vanishes; theory's edge is where
    the backward factor crosses 1 (chi_1 = k E[f'(z)^2] = 1 at the fixed point).

    Returns
    -------
    DataFrame
        Columns ``k``, ``factor``, ``direction`` (:data:`FORWARD` / :data:`BACKWARD`),
        ``source`` ("measured" at :data:`K_SWEEP`; "theory" at :data:`K_THEORY` for
        :data:`THEORY_NETWORKS` and depth >= 2). Factors are NaN when depth is 1.
    """
    batch = probe_batch(network, depth, width, share=SWEEP_SHARE)
    rows = []
    for k in K_SWEEP:
        stats = layer_stats(
            Net(network, activation, depth, width, seed),
            "variance_scaling",
            vs_params(k, mode, distribution),
            batch=batch,
        )
        fwd, bwd = growth_factors(stats)
        rows += [
            {"k": k, "factor": fwd, "direction": FORWARD, "source": "measured"},
            {"k": k, "factor": bwd, "direction": BACKWARD, "source": "measured"},
        ]
    if network in THEORY_NETWORKS and depth >= 2:
        rows += edge_theory(activation, mode, distribution, depth, width)
    return pd.DataFrame(rows)


def max_factor(frame: pd.DataFrame, direction: str, source: str) -> float:
    """Largest finite factor of one sweep series (NaN when it has none)."""
    sel = frame[(frame["direction"] == direction) & (frame["source"] == source)]
    values = sel["factor"].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    return float(values.max()) if values.size else math.nan


def crossing_k(frame: pd.DataFrame, direction: str, source: str) -> float:
    """Smallest k where a sweep's factor crosses 1 (log-log interpolation); NaN if it never does."""
    sel = frame[(frame["direction"] == direction) & (frame["source"] == source)]
    k = sel["k"].to_numpy(dtype=float)
    f = sel["factor"].to_numpy(dtype=float)
    ok = np.isfinite(f) & (f > 0)
    k, f = k[ok], np.log(f[ok])
    for i in range(len(k) - 1):
        if f[i] == 0:
            return float(k[i])
        if f[i] * f[i + 1] < 0:
            t = f[i] / (f[i] - f[i + 1])
            return float(math.exp(math.log(k[i]) + t * (math.log(k[i + 1]) - math.log(k[i]))))
    return math.nan


@st.cache_data(max_entries=16, show_spinner=False)
def critical_k(activation: str) -> float:
    """Theory's edge of chaos at zero bias: the k = sigma_w^2 where chi_1 = 1 (NaN if none).

    The regime's ``edge_sigma_w2`` (:func:`core.regime.regime`), which is reported only where
    chi1 is 1 to 1e-3. GELU and SiLU have none at zero bias: there q* jumps from 0 to infinity
    and chi1 jumps across 1 without taking the value 1 (``edge_note`` says where).
    """
    edge = core_regime.regime(activation, 1.0, 0.0).edge_sigma_w2
    return math.nan if edge is None else float(edge)


def edge_claim(activation: str) -> Claim:
    """The edge of chaos at zero bias in words, or why there is none (the regime's edge_note)."""
    r = core_regime.regime(activation, 1.0, 0.0)
    if r.edge_sigma_w2 is None:
        return Claim(
            kind="theory",
            text=f"theory finds no edge of chaos (χ₁ = 1) at zero bias: {r.edge_note}",
            values={},
            verdict="none",
        )
    edge = float(r.edge_sigma_w2)
    return Claim(
        kind="theory",
        text=(
            "the edge of chaos of an infinitely deep net (χ₁ = k·E[f′(z)²] = 1 at the fixed "
            f"point) is **k = {edge:.3g}**"
        ),
        values={"edge_k": edge, "chi1": float(theory.chi1(activation, edge, 0.0))},
        verdict="edge",
    )


#: Extra seeds drawn to measure the seed-to-seed scatter of measured / predicted variance.
GAP_SEEDS = 4


@st.cache_data(max_entries=64, show_spinner=False)
def seed_ratios(net: Net, params: InitParams) -> tuple[float, ...]:
    """Measured / predicted Var(z) at the last layer for :data:`GAP_SEEDS` seeds (cached).

    Seeds ``seed .. seed + GAP_SEEDS - 1`` of the same network and ``variance_scaling``
    initializer; only for :data:`THEORY_NETWORKS` (empty tuple otherwise).
    """
    network, activation, depth, width, seed = net
    if network not in THEORY_NETWORKS:
        return ()
    pred = float(_theory_variance(activation, "variance_scaling", params, depth, width)[-1])
    out = []
    for s in range(seed, seed + GAP_SEEDS):
        stats = layer_stats(Net(network, activation, depth, width, s), "variance_scaling", params)
        with np.errstate(all="ignore"):
            last = float(np.asarray(stats.preact_std, dtype=float)[-1]) ** 2
        out.append(last / pred if pred > 0 and math.isfinite(last) else math.nan)
    return tuple(out)


def theory_gap_claim(network: str, width: int, ratio: float, ratios: tuple[float, ...]) -> Claim:
    """Measured ÷ predicted at the last layer, judged against the seed-to-seed scatter.

    The CNN's zero padding is named as the cause only when every seed measures below theory by
    more than the seeds scatter (the gap exceeds the scatter); otherwise the gap is within the
    luck of the draw.
    """
    finite = [r for r in ratios if math.isfinite(r) and r > 0]
    if len(finite) < 2 or not (math.isfinite(ratio) and ratio > 0):
        return Claim(kind="measured", text="", values={"ratio": ratio}, verdict=None)
    logs = np.log(finite)
    lo, hi = float(np.exp(logs.min())), float(np.exp(logs.max()))
    mean = float(np.exp(logs.mean()))
    spread = float(logs.std(ddof=1))
    span = (
        f" Over {len(finite)} seeds measured ÷ predicted ranges from {describe_number(lo)} to "
        f"{describe_number(hi)} (geometric mean {describe_number(mean)})"
    )
    systematic = abs(float(logs.mean())) > 2.0 * spread / math.sqrt(len(finite)) and (
        hi < 1.0 or lo > 1.0
    )
    if network == "cnn" and systematic and hi < 1.0:
        text = span + (
            ": every seed measures below theory, by more than the seeds scatter. The CNN's zero "
            "padding gives border pixels fewer inputs, so it measures below the dense-layer "
            "theory, a little more with every layer."
        )
        verdict = "padding"
    elif systematic:
        text = span + (
            ": every seed lies on the same side of theory, by more than the seeds scatter, so "
            "part of the gap is systematic, not luck."
        )
        verdict = "systematic"
    else:
        text = span + (
            f": the gap is within the seed-to-seed scatter. At {width} "
            f"{'channels' if network == 'cnn' else 'units'} each layer's variance fluctuates "
            "around the average that theory predicts, and the deviations compound over depth."
        )
        verdict = "scatter"
    return Claim(
        kind="measured",
        text=text,
        values={"ratio": ratio, "seed_min": lo, "seed_max": hi, "seed_mean": mean},
        verdict=verdict,
    )


def why_differs(
    network: str, activation: str, sigma_w2: float, stats: probe.LayerStats, unit: str
) -> Claim | None:
    """The "why this differs from the simple rule" claim for the page's own k (or None).

    Only for :data:`THEORY_NETWORKS`; q is the geometric mean of the measured Var(z), the
    measured std factor the geometric mean of std(z^l)/std(z^(l-1)).
    """
    if network not in THEORY_NETWORKS:
        return None
    std = np.asarray(stats.preact_std, dtype=float)
    if std.size < 2 or not np.all(np.isfinite(std) & (std > 0)):
        return None
    q = float(np.exp(np.mean(2.0 * np.log(std))))
    factor = geometric_factor(std)
    return claims.why_differs_claim(activation, sigma_w2, q, factor, unit=unit)


#: Rows of the forward/backward table: (scheme, k, mode, formula of Var(W)).
FAN_SCHEMES: tuple[tuple[str, float, str, str], ...] = (
    ("LeCun", 1.0, "fan_in", "1 / fan_in"),
    ("Glorot (Xavier)", 1.0, "fan_avg", "2 / (fan_in + fan_out)"),
    ("He (Kaiming), mode fan_in", 2.0, "fan_in", "2 / fan_in"),
    ("He (Kaiming), mode fan_out", 2.0, "fan_out", "2 / fan_out"),
    ("Fan-average variant (not He's)", 2.0, "fan_avg", "4 / (fan_in + fan_out)"),
)


def fan_mode_table(
    fan_in: int, fan_out: int, mine: tuple[float, str] | None = None
) -> pd.DataFrame:
    """Std, uniform bound and forward/backward factors of the k/n schemes on one layer.

    Parameters
    ----------
    fan_in, fan_out : int
        The layer's sizes (weight shape (fan_in, fan_out)).
    mine : (k, mode), optional
        The page's own k and mode, added as a last row.

    Returns
    -------
    DataFrame
        Columns ``scheme``, ``Var(W)`` (formula), ``std``, ``uniform bound a`` (the a of
        U(-a, a) with the same variance), ``forward fan_in·Var`` and ``backward fan_out·Var``
        (the per-layer factors of a linear layer: 1 preserves the signal).
    """
    rows = list(FAN_SCHEMES)
    if mine is not None:
        rows.append(("Your k / n (this page)", mine[0], mine[1], f"{mine[0]:.3g} / {mine[1]}"))
    out = []
    shape = (fan_in, fan_out)
    for scheme, k, mode, formula in rows:
        std = initializers.scale_of(
            "variance_scaling", shape, scale=k, mode=mode, distribution="normal"
        ).std
        bound = initializers.scale_of(
            "variance_scaling", shape, scale=k, mode=mode, distribution="uniform"
        ).bound
        out.append(
            {
                "scheme": scheme,
                "Var(W)": formula,
                "std": std,
                "uniform bound a": bound,
                "forward fan_in·Var": fan_in * std**2,
                "backward fan_out·Var": fan_out * std**2,
            }
        )
    return pd.DataFrame(out)


@st.cache_data(max_entries=4, show_spinner=False)
def activation_guide() -> pd.DataFrame:
    """Activation -> initializer summary, from the gains in core.activations and core.theory.

    Returns
    -------
    DataFrame
        One row per activation: ``activation``, ``gain`` and ``gain from`` (PyTorch's
        calculate_gain, or 1/sqrt(E[f(z)^2]) when PyTorch defines none), ``k = gain²`` (so
        Var(W) = gain² / fan_in), ``usual initializer``, ``chi_1 at k = gain²`` and ``edge k``
        (theory's k where chi_1 = 1 with zero bias; NaN when there is none).
    """
    rows = []
    for name in activations.NAMES:
        act = activations.get(name)
        k = act.gain**2
        rows.append(
            {
                "activation": act.label,
                "gain": act.gain,
                "gain from": "PyTorch calculate_gain"
                if act.gain_source == "pytorch"
                else "1/√E[f(z)²] (variance-preserving)",
                "k = gain²": k,
                "usual initializer": initializers.REGISTRY[well_scaled_init(name)].label,
                "χ₁ at k = gain²": float(theory.chi1(name, k, 0.0)),
                "edge k (χ₁ = 1)": critical_k(name),
            }
        )
    return pd.DataFrame(rows)


#: Page 4's prediction: the k of Var(W) = k / fan_in that keeps the variance constant.
K_CHOICES = ("k = 1 (LeCun)", "k = 2 (He)", "k = 16", "another k")


def k_choice(critical: float) -> int:
    """Index in :data:`K_CHOICES` of the small-signal critical k = 1 / E[f′(0)²]."""
    for index, value in enumerate((1.0, 2.0, 16.0)):
        if math.isclose(critical, value, rel_tol=1e-6):
            return index
    return len(K_CHOICES) - 1


# --------------------------------------------------------------------------------------------
# Claims: page 4's sentences about per-layer factors. Every factor says which it is: the
# variance factor, with the std factor (its square root, Home's "std factor") next to it.
# --------------------------------------------------------------------------------------------


def forward_metric(forward: float, unit: str) -> tuple[str, str, str]:
    """The forward-factor metric: label, value (the variance factor) and the std factor.

    Returns
    -------
    tuple of str
        ``("Forward variance factor per layer", "×0.528", "std ×0.727")``; the std part is
        ``""`` where the factor is not finite, and the value "n/a" where it is undefined (a
        single layer has no factor).
    """
    label = f"Forward variance factor per {unit}"
    if math.isnan(forward) or forward < 0.0:  # one layer: no factor between layers
        return label, "n/a", ""
    if math.isinf(forward):
        return label, f"×{describe_number(forward)}", ""
    std = claims.std_factor_from_variance_factor(forward)
    return label, f"×{describe_number(forward)}", f"std ×{describe_number(std)}"


def your_factors_claim(k: float, forward: float, backward: float, unit: str) -> Claim:
    """'At your k = 1 the variance factors per layer are forward ×0.528 (std ×0.727) ...'."""
    text = (
        f" At your k = {k:.3g} the variance factors per {unit} are forward "
        f"{claims.factor_words(forward)} and backward {claims.factor_words(backward)}."
    )
    return Claim(
        kind="measured",
        text=text,
        values={"k": k, "forward": forward, "backward": backward},
        verdict=None,
    )


def edge_sweep_claim(
    network: str,
    activation: str,
    sweep: pd.DataFrame,
    k: float,
    forward: float,
    backward: float,
    unit: str,
) -> Claim:
    """Section 2's notice: where the measured variance factors cross 1, against theory's edge.

    A variance factor and its std factor cross 1 at the same k, so the crossing is stated
    once, for the variance factor. Stacked networks (:data:`THEORY_NETWORKS`) are compared
    with theory's edge; an RNN and a residual MLP are said to differ from it.

    Parameters
    ----------
    network, activation : str
        Registry names.
    sweep : DataFrame
        :func:`edge_sweep` of the page's network.
    k, forward, backward : float
        The page's k and its measured per-layer variance factors.
    unit : str
        "layer", "step" or "block".

    Returns
    -------
    Claim
        ``values``: k_backward, k_backward_theory, k_forward (NaN where there is no crossing),
        edge_k (theory, NaN if none); ``verdict``: "stacked", "rnn" or "resmlp".
    """
    act = activations.get(activation)
    label = act.label
    k_bwd = crossing_k(sweep, BACKWARD, "measured")
    k_bwd_theory = crossing_k(sweep, BACKWARD, "theory")
    k_fwd = crossing_k(sweep, FORWARD, "measured")
    forward_max = max_factor(sweep, FORWARD, "measured")
    edge = critical_k(activation)
    crossing = (
        f"the measured backward variance factor crosses 1 at **k ≈ {k_bwd:.3g}**"
        if math.isfinite(k_bwd)
        else "the measured backward variance factor does not cross 1 between k = 1/8 and 16"
    )
    at_yours = your_factors_claim(k, forward, backward, unit).text
    if network in THEORY_NETWORKS:
        if math.isfinite(k_bwd_theory):
            crossing += f" (theory at this depth: {k_bwd_theory:.3g})"
        edge_text = edge_claim(activation).text.rstrip(".")
        if math.isfinite(edge) and edge > K_SWEEP[-1] and not math.isfinite(k_bwd):
            transient = (
                " That is beyond the k shown here: at every usual scale the gradients shrink "
                "layer after layer."
            )
        elif math.isfinite(edge) and math.isfinite(k_bwd) and abs(math.log(k_bwd / edge)) > 0.1:
            transient = (
                " At finite depth the first layers have not settled at the fixed point yet, so "
                "the crossing sits off the edge and moves toward it as the depth grows."
            )
        else:
            transient = ""
        if math.isfinite(k_fwd):
            forward_text = f" The forward variance factor crosses 1 at k ≈ {k_fwd:.3g}."
        elif act.saturating and forward_max < 1:
            forward_text = (
                " The forward variance factor stays below 1: a bounded activation cannot grow "
                "the signal, so above the edge the damage shows in the gradients (chaos), not "
                "in the activations."
            )
        else:
            forward_text = ""
        text = f"For {label}, {crossing}; {edge_text}.{transient}{forward_text}{at_yours}"
        verdict = "stacked"
    elif network == "rnn":
        text = (
            f"For {label}, {crossing} (backward here means through time). An RNN adds fresh "
            "input at every step and applies the same W_hh again and again, so its variance "
            "factors differ from the stacked-layer theory (no theory line; page 5 covers "
            f"RNNs).{at_yours}"
        )
        verdict = "rnn"
    else:
        text = (
            f"For {label}, {crossing}. In a residual MLP the identity path carries every "
            "block's input forward unchanged and each branch adds to it, so the per-block "
            "variance factors stay at or above 1 for every k: the variance accumulates instead "
            f"of vanishing (no theory line; page 5 covers residual nets).{at_yours}"
        )
        verdict = "resmlp"
    return Claim(
        kind="measured",
        text=text,
        values={
            "k_backward": k_bwd,
            "k_backward_theory": k_bwd_theory,
            "k_forward": k_fwd,
            "edge_k": edge,
        },
        verdict=verdict,
    )


def fan_mode_claim(fan_in: int, fan_out: int, table: pd.DataFrame) -> Claim:
    """Section 3's notice: the forward and backward variance factors of LeCun, Glorot, fan_out.

    Parameters
    ----------
    fan_in, fan_out : int
        The example layer's sizes.
    table : DataFrame
        :func:`fan_mode_table` of that layer.
    """
    if fan_out == fan_in:
        return Claim(
            kind="theory",
            text=(
                f"This layer is square ({fan_in} × {fan_out}), so every mode gives the same "
                "variance. Pick a different output width to see them split."
            ),
            values={"ratio": 1.0},
            verdict="square",
        )
    glorot = table.set_index("scheme").loc["Glorot (Xavier)"]
    ratio = fan_out / fan_in
    fwd, bwd = float(glorot["forward fan_in·Var"]), float(glorot["backward fan_out·Var"])
    text = (
        f"On a {fan_in} → {fan_out} layer, mode fan_in (LeCun) keeps the forward variance "
        f"factor at exactly 1 but the backward variance factor is {fan_out}/{fan_in} = "
        f"**{describe_number(ratio)}** (std ×{describe_number(math.sqrt(ratio))}); mode fan_out "
        f"does the reverse. Glorot's compromise gives the variance factors forward "
        f"**{claims.factor_words(fwd)}** and backward **{claims.factor_words(bwd)}**: neither "
        "is 1, but the mismatch is "
        "shared between the two directions instead of landing on one."
    )
    return Claim(
        kind="theory",
        text=text,
        values={"ratio": ratio, "glorot_forward": fwd, "glorot_backward": bwd},
        verdict="split",
    )


def he_correction_claim(fan_in: int, fan_out: int, table: pd.DataFrame) -> Claim:
    """The correction of "He = 4/fan_in" and of the √(12/(fan_in + fan_out)) bound."""
    rows = table.set_index("scheme")
    he = rows.loc["He (Kaiming), mode fan_in"]
    variant = rows.loc["Fan-average variant (not He's)"]
    text = (
        f"He et al. (2015) derive **Var(W) = 2/fan_in** — for this layer std √(2/{fan_in}) = "
        f"{he['std']:.4g}, uniform bound √(6/{fan_in}) = {he['uniform bound a']:.4g}. Some "
        "tutorials write 4/fan_in, which doubles the variance: a deep ReLU net then grows by "
        f"a variance factor {claims.factor_words(2.0)} per layer. The bound "
        "√(12/(fan_in + fan_out)) that circulates is a fan-average variant (Var = 4/(fan_in + "
        f"fan_out)): here it gives {variant['uniform bound a']:.4g}, "
        + (
            "the same as He's only because this layer is square."
            if fan_out == fan_in
            else f"not He's {he['uniform bound a']:.4g}; the two agree only on square layers."
        )
    )
    return Claim(
        kind="theory",
        text=text,
        values={"he_std": float(he["std"]), "variant_bound": float(variant["uniform bound a"])},
        verdict=None,
    )
