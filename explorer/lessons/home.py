"""Lesson behind Home ("why initialization matters"): scale sweeps, family comparison, fan table."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import streamlit as st

from core import activations, initializers
from core import regime as core_regime
from core import theory as core_theory
from explorer.claims import Claim, describe_number, describe_ratio, why_differs_claim
from explorer.experiments import (
    InitParams,
    critical_sigma_w2,
    hidden_fan_in,
    quick_stats,
    series_stats,
    stats_frame,
    summarize_layers,
    variance_scaling_params,
)
from explorer.lessons.reference import calculator_frame, catalogue_frame
from explorer.state import InitSeries, Net


def format_change(relative: float) -> str:
    """A relative change as text: "+4.2%" while modest, "×1.9e+08" when it spans decades."""
    if math.isnan(relative):
        return "undefined"
    if math.isinf(relative):
        return "overflow (∞)" if relative > 0 else "−100%"
    if abs(relative) < 10:
        return f"{relative:+.1%}"
    return f"×{1.0 + relative:.3g}"


#: Multiples of the critical sigma * sqrt(fan_in) drawn on Home. For a small signal each is
#: also the per-layer factor of the activation std, so depth L turns m into m^(L-1).
HOME_MULTIPLIERS: tuple[float, ...] = (0.5, 0.9, 1.0, 1.1, 2.0)


#: Weight families compared at equal variance on Home (variance_scaling distributions).
HOME_FAMILIES: tuple[tuple[str, str], ...] = (
    ("normal", "Normal N(0, s²)"),
    ("uniform", "Uniform U(−a, a)"),
    ("truncated_normal", "Truncated normal"),
)


def scale_label(multiplier: float) -> str:
    """Series name of one multiple of the critical scale (short: it goes in a legend)."""
    return f"×{multiplier:g}"


@st.cache_data(max_entries=128, show_spinner=False)
def scale_sweep(
    net: Net, user_init: str, user_params: InitParams
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-layer stats for the five multiples of the critical scale and the user's initializer.

    Every series uses the same network, seed and inputs; the weights are
    N(0, m^2 sigma_c^2 / fan_in) with sigma_c^2 = :func:`critical_sigma_w2` (the
    ``variance_scaling`` scheme), plus the user's own initializer.

    Returns
    -------
    layers : DataFrame
        :func:`stats_frame` rows of every series (``series`` = :func:`scale_label` or the
        initializer's label).
    summary : DataFrame
        One row per series: series, multiplier (NaN for the user's), sigma_w2, sigma_sqrt_n
        (sigma * sqrt(fan_in)), rule_factor (sqrt(sigma_w2 * E[f'(0)^2]): the small-signal
        per-layer factor), the :class:`LayerSummary` fields (:func:`summary_row`), and
        rule_gap (act_factor / rule_factor - 1).
    """
    network, activation, depth, width, seed = net
    crit = critical_sigma_w2(activation)
    series = tuple(
        (scale_label(m), "variance_scaling", variance_scaling_params(m * m * crit))
        for m in HOME_MULTIPLIERS
    ) + ((initializers.REGISTRY[user_init].label, user_init, user_params),)
    return _with_scale_columns(
        *series_stats(Net(network, activation, depth, width, seed), series),
        multipliers=[*HOME_MULTIPLIERS, math.nan],
    )


def _with_scale_columns(
    layers: pd.DataFrame, summary: pd.DataFrame, *, multipliers: list[float]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Home's summary columns on a :func:`series_stats` summary (see :func:`scale_sweep`)."""
    if summary.empty:
        return layers, summary
    summary = summary.drop(columns="init")
    summary.insert(1, "multiplier", multipliers)
    summary.insert(3, "sigma_sqrt_n", np.sqrt(summary["sigma_w2"]))
    with np.errstate(all="ignore"):
        summary["rule_gap"] = summary["act_factor"] / summary["rule_factor"] - 1.0
    return layers, summary


#: Extra seeds that redraw the normal weights on Home, to measure seed-to-seed variation.
HOME_EXTRA_SEEDS = 3


@st.cache_data(max_entries=128, show_spinner=False)
def family_comparison(
    net: Net,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Normal, uniform and truncated normal weights at the same (critical) variance.

    To judge whether a difference between families is more than the luck of the draw, the
    normal weights are also drawn with :data:`HOME_EXTRA_SEEDS` other seeds (which redraws the
    inputs too); the spread of the results is how much one random draw differs from another.

    Returns
    -------
    layers : DataFrame
        :func:`stats_frame` rows, ``series`` = the family's label (:data:`HOME_FAMILIES`).
    summary : DataFrame
        One row per family: series, distribution, std (s), bound (a = sqrt 3 s for uniform, the
        +-2 sigma cut for truncated normal), act_last, act_ratio, grad_ratio, rel_diff (relative
        difference of act_last from the normal family's), and seed_spread (the same for every
        row: the std over seeds of the normal family's act_last, relative to its mean). A last
        row, series "Normal, σ × 1.1", gives the numbers for a 10% larger std, for scale.
    """
    network, activation, depth, width, seed = net
    crit = critical_sigma_w2(activation)
    fan_in = hidden_fan_in(network, width)
    frames = []
    rows = []
    runs = [(d, label, crit) for d, label in HOME_FAMILIES]
    runs.append(("normal", "Normal, σ × 1.1", crit * 1.21))
    for distribution, label, sw2 in runs:
        params = variance_scaling_params(sw2, distribution)
        stats = quick_stats(
            Net(network, activation, depth, width, seed), "variance_scaling", params
        )
        if label != runs[-1][1]:
            frames.append(stats_frame(stats, label))
        summary = summarize_layers(stats)
        s = math.sqrt(sw2 / fan_in)
        bound = {
            "uniform": math.sqrt(3.0) * s,
            "truncated_normal": 2.0 * s / initializers.TRUNCATED_NORMAL_STD,
        }.get(distribution, math.nan)
        rows.append(
            {
                "series": label,
                "distribution": distribution,
                "std": s,
                "bound": bound,
                "act_last": summary.act_last,
                "act_ratio": summary.act_ratio,
                "grad_ratio": summary.grad_ratio,
            }
        )
    draws = [rows[0]["act_last"]]
    normal = variance_scaling_params(crit, "normal")
    for extra in range(1, HOME_EXTRA_SEEDS + 1):
        stats = quick_stats(
            Net(network, activation, depth, width, seed + extra), "variance_scaling", normal
        )
        draws.append(summarize_layers(stats).act_last)
    summary_frame = pd.DataFrame(rows)
    base = summary_frame["act_last"].iloc[0]
    with np.errstate(all="ignore"):
        summary_frame["rel_diff"] = summary_frame["act_last"] / base - 1.0
        values = np.asarray(draws, dtype=float)
        summary_frame["seed_spread"] = float(np.std(values) / np.mean(values))
    return pd.concat(frames, ignore_index=True), summary_frame


@st.cache_data(max_entries=256, show_spinner=False)
def fan_table(
    fan_in_units: int,
    fan_out_units: int,
    kernel: int,
    user_init: str,
    user_params: InitParams,
) -> tuple[pd.DataFrame, int, int]:
    """Std and uniform bound of every registry scheme for one layer, with the library calls.

    The numbers come from the Reference page's :func:`calculator_frame` (registry defaults,
    the user's parameters for the user's scheme), joined with the PyTorch and Keras calls of
    :func:`catalogue_frame`.

    Parameters
    ----------
    fan_in_units, fan_out_units : int
        Inputs and outputs of a dense layer, or input and output channels of a conv layer.
    kernel : int
        Side of a square conv kernel; 1 means a dense layer (shape (fan_in, fan_out)).
    user_init : str
    user_params : tuple of (name, value) pairs

    Returns
    -------
    table : DataFrame
        One row per scheme: initializer, distribution, std, uniform bound, sigma_w2, note (why
        a scheme does not apply to this shape), PyTorch, Keras.
    fan_in, fan_out : int
        The fans of the shape (receptive field included).
    """
    if kernel > 1:
        shape: tuple[int, ...] = (kernel, kernel, fan_in_units, fan_out_units)
    else:
        shape = (fan_in_units, fan_out_units)
    fan_in, fan_out = initializers.compute_fans(shape)
    calc = calculator_frame(shape, user_init, user_params)
    calls = catalogue_frame()[["key", "PyTorch", "Keras"]]
    table = calc.merge(calls, on="key", how="left")
    columns = ["initializer", "distribution", "std", "uniform bound", "sigma_w2", "note"]
    return table[[*columns, "PyTorch", "Keras"]], fan_in, fan_out


@st.cache_data(max_entries=128, show_spinner=False)
def init_sweep(net: Net, series: InitSeries) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-layer stats of several initializers on one network, as :func:`scale_sweep` gives them.

    Parameters
    ----------
    net : Net
        Same network, inputs and seed for every series.
    series : tuple of (label, init, params)
        E.g. from ``explorer.state.compare_series``; may be empty.

    Returns
    -------
    layers : DataFrame
        :func:`stats_frame` rows of every series (empty with those columns when ``series`` is).
    summary : DataFrame
        One row per series with :func:`scale_sweep`'s summary columns (multiplier NaN).
    """
    network, activation, depth, width, seed = net
    return _with_scale_columns(
        *series_stats(Net(network, activation, depth, width, seed), series),
        multipliers=[math.nan] * len(series),
    )


def replace_series(base: pd.DataFrame, drop: Sequence[str], added: pd.DataFrame) -> pd.DataFrame:
    """``base`` without the series named in ``drop``, with ``added`` appended (long frames)."""
    kept = base[~base["series"].isin(list(drop))]
    if added.empty:
        return kept.reset_index(drop=True)
    return pd.concat([kept, added], ignore_index=True)


# --------------------------------------------------------------------------------------------
# Claims: Home's sentences about the small-signal scale, the std factor and the try-this
# --------------------------------------------------------------------------------------------

#: What Home calls its reference scale: the small-signal rule's, not the chi1 = 1 edge.
SCALE_NAME = "the small-signal scale"


def scale_claim(activation: str, label: str, crit: float, slope2: float) -> Claim:
    """Home's reference scale, labelled as the small-signal rule's, with chi1 there (computed).

    Parameters
    ----------
    activation : str
    label : str
        The activation's display label.
    crit : float
        1 / E[f'(0)^2], the small-signal scale sigma_w2.
    slope2 : float
        E[f'(0)^2].

    Returns
    -------
    Claim
        ``verdict`` "edge" when chi1 at ``crit`` (zero bias) is 1 within
        :data:`core.regime.CRITICAL_TOLERANCE` (the scale is also the edge of chaos), else
        "not_edge"; ``values`` chi1, crit and edge_sigma_w2 (when the regime has an edge).
    """
    r = core_regime.regime(activation, crit, 0.0)
    text = (
        f"For small signals {label} has E[f′(z)²] = {describe_number(slope2)}, so the std "
        f"factor is 1 at **σ_w² = fan_in·Var(W) = {describe_number(crit)}**: {SCALE_NAME}. "
    )
    values = {"chi1": r.chi1, "crit": crit}
    if r.phase == "critical":
        text += (
            f"Here it is also the edge of chaos (χ₁ = {describe_number(r.chi1)} at zero bias, "
            "page 7)."
        )
        verdict = "edge"
    else:
        text += (
            f"It is not the edge of chaos: once the signal settles, χ₁ there is "
            f"{describe_number(r.chi1)}, not 1"
        )
        if r.edge_sigma_w2 is not None:
            values["edge_sigma_w2"] = r.edge_sigma_w2
            text += f"; the edge (χ₁ = 1) is at σ_w² = {describe_number(r.edge_sigma_w2)} (page 7)."
        else:
            text += f"; {r.edge_note}"
        verdict = "not_edge"
    return Claim(kind="theory", text=text, values=values, verdict=verdict)


def try_this_answer(
    network: str, unit: str, last: int, near_ratio: float, near_factor: float
) -> Claim:
    """The try-this answer at 0.9 x the small-signal scale, gated on the network type.

    For stacked layers (mlp, cnn) the rule 0.9^(L-1) is compared with the measurement; for an
    RNN or a residual MLP the rule does not describe the stack, and the answer says what the
    network does instead (measured).
    """
    rule = 0.9 ** (last - 1)
    measured = (
        f"This network measures {describe_number(near_ratio, zero_note=True)} (per-{unit} std "
        f"factor {describe_number(near_factor)})"
    )
    if network in ("rnn", "resmlp"):
        why = (
            "every time step adds a fresh input, so the hidden state does not compound the factor"
            if network == "rnn"
            else "each block adds its input back to the stream, so the factor does not compound "
            "as in a plain stack"
        )
        text = (
            f"A plain stack would keep 0.9^{last - 1} = {describe_number(rule)}, but this is "
            f"{'an RNN' if network == 'rnn' else 'a residual MLP'}: {why}. {measured}, not "
            f"{describe_number(rule)}. Switch the network to MLP to see the rule compound."
        )
        verdict = "not_applicable"
    else:
        text = (
            f"The rule predicts 0.9^{last - 1} = {describe_number(rule)}. {measured}. Now set "
            f"the depth to 50 in the sidebar: 0.9^49 = {describe_number(0.9**49)}. Try ReLU with "
            "LeCun normal (σ_w² = 1, half ReLU's small-signal scale 2, which is also its edge "
            "of chaos): the std factor is √½ ≈ 0.71 per layer."
        )
        verdict = "rule"
    return Claim(
        kind="measured",
        text=text,
        values={"rule": rule, "measured": near_ratio, "factor": near_factor},
        verdict=verdict,
        applies=verdict == "rule",
    )


def rule_verdict_claim(
    network: str,
    activation: str,
    sigma_w2: float,
    q: float,
    rule_factor: float,
    act_factor: float,
    first_nonfinite: float,
    unit: str,
) -> tuple[Claim, Claim | None]:
    """The rule-vs-measurement sentence for the user's initializer, and the why-differs claim.

    Returns
    -------
    (Claim, Claim or None)
        The sentence (rule's std factor, the measured one, agreement within 5% or the gap), and
        :func:`explorer.claims.why_differs_claim` for stacked networks (mlp, cnn) when the gap
        exceeds 5%; for rnn/resmlp the sentence names the architecture instead.
    """
    head = (
        f"the small-signal rule √(σ_w²·E[f′(0)²]) predicts a std factor of "
        f"{describe_number(rule_factor)} per {unit}; the network measures "
        + (
            f"{describe_number(act_factor)}."
            if math.isfinite(act_factor) and act_factor > 0
            else "none: its activations are all zero at some layer or overflow."
        )
    )
    why = None
    with np.errstate(all="ignore"):
        gap = act_factor / rule_factor - 1.0 if rule_factor else math.nan
    if first_nonfinite > 0:  # NaN (no overflow) is not > 0
        tail = f" The activations overflowed at {unit} {int(first_nonfinite)}."
    elif not math.isfinite(gap):
        tail = " The two cannot be compared (a factor is zero or not finite)."
    elif abs(gap) < 0.05:
        tail = " Rule and measurement agree within 5%."
    elif network in ("rnn", "resmlp"):
        reason = (
            "each block adds its input back, so the stream grows on top of the rule"
            if network == "resmlp"
            else "every time step adds a fresh input of its own"
        )
        tail = f" They differ by {gap:+.0%}: {reason}."
    else:
        tail = f" They differ by {gap:+.0%}."
        why = why_differs_claim(activation, sigma_w2, q, act_factor, unit=unit)
    return (
        Claim(
            kind="measured",
            text=head + tail,
            values={"rule": rule_factor, "measured": act_factor, "gap": gap},
            verdict="agree" if math.isfinite(gap) and abs(gap) < 0.05 else "differ",
        ),
        why,
    )


def measured_q(layers: pd.DataFrame, series: str) -> float:
    """Geometric mean over layers of one series' measured pre-activation variance (NaN if none)."""
    std = layers.loc[layers["series"] == series, "preact_std"].to_numpy(dtype=float)
    std = std[np.isfinite(std) & (std > 0)]
    return float(np.exp(np.mean(2.0 * np.log(std)))) if std.size else math.nan


def factor_text(factor: float) -> str:
    """A measured std factor for a metric: the number, or why there is none (never "NaN")."""
    if math.isfinite(factor) and factor > 0:
        return describe_number(factor)
    return "undefined (zero or overflow)"


def _all_zero(act_first: float, act_last: float) -> bool:
    return act_first == 0.0 and act_last == 0.0


def measured_factor_text(act_factor: float, act_first: float, act_last: float) -> str:
    """The measured per-layer factor for a metric: a number, or what happened instead of NaN."""
    if _all_zero(act_first, act_last):
        return "undefined: std 0 everywhere"
    if act_first == 0.0:
        return "undefined: layer 1 is all zero"
    if act_last == 0.0:
        return "0: the signal died out"
    return describe_number(act_factor)


def measured_ratio_text(act_first: float, act_last: float) -> str:
    """Last-over-first activation std for a metric, never "NaN" (see :func:`describe_ratio`)."""
    if act_first > 0 and math.isfinite(act_first) and math.isfinite(act_last):
        return describe_number(act_last / act_first)
    return describe_ratio(act_last, act_first)


def rule_comparison_claim(
    *,
    activation: str,
    network: str,
    init: str,
    init_label: str,
    rule_factor: float,
    act_factor: float,
    act_first: float,
    act_last: float,
    first_nonfinite: float,
    unit: str = "layer",
) -> Claim:
    """The small-signal rule's per-layer factor against the measured one, with the reason.

    Parameters
    ----------
    activation, network, init, init_label : str
    rule_factor : float
        √(σ_w²·E[f′(0)²]) of the user's initializer.
    act_factor, act_first, act_last : float
        Measured geometric-mean per-layer factor of the activation std, and the std of the
        first and last layer.
    first_nonfinite : float
        First layer whose activations overflowed (NaN or <= 0 when none did).
    unit : str
        "layer", "block" or "time step".

    Returns
    -------
    Claim
        ``verdict``: "overflow", "all_zero" (every layer's std is 0: all units output f(0), the
        factor is 0/0), "died" (the signal reached exactly 0), "agree" (within 5%),
        "not_applicable" (the rule assumes zero-mean random weights; zeros/constant/identity
        are not), or "differ". The text never reads NaN.
    """
    rule = describe_number(rule_factor)
    head = (
        f"with {init_label} the small-signal rule √(σ_w²·E[f′(0)²]) predicts a factor of "
        f"{rule} per {unit}; "
    )
    values = {"rule_factor": float(rule_factor), "act_factor": float(act_factor)}
    applies, why = core_regime.mean_field_applies(init)
    if first_nonfinite == first_nonfinite and first_nonfinite > 0:
        text = head + f"the activations overflowed at {unit} {int(first_nonfinite)}."
        return Claim("measured", text, values, "overflow")
    if _all_zero(act_first, act_last):
        f0 = float(activations.get(activation).f(np.zeros(1))[0])
        same = "0: all zero" if f0 == 0.0 else f"the same value f(0) = {describe_number(f0)}"
        text = head + (
            f"the network has nothing to measure: every {unit}'s activations have std 0 "
            f"(every unit outputs {same}), so the measured factor is 0/0, undefined. "
            "Nothing passes the signal on, and there is no spread to shrink or grow."
        )
        return Claim("measured", text, values, "all_zero")
    if act_last == 0.0 or act_first == 0.0:
        text = head + (
            f"the network's signal reached exactly 0 (underflow or all zero) by {unit} "
            f"{'1' if act_first == 0.0 else 'the last'}, so there is no finite factor to compare."
        )
        return Claim("measured", text, values, "died")
    measured = describe_number(act_factor)
    head += f"the network measures {measured}. "
    gap = act_factor / rule_factor - 1.0 if rule_factor > 0 else math.inf
    values["rule_gap"] = gap
    if math.isfinite(gap) and abs(gap) < 0.05:
        return Claim("measured", head + "Rule and measurement agree within 5%.", values, "agree")
    differ = (
        f"They differ by {gap:+.0%}"
        if math.isfinite(gap)
        else f"The measured factor is {measured} against a predicted 0"
    )
    if not applies:
        return Claim(
            "not_applicable",
            head + f"{differ}: the rule assumes zero-mean random weights, and `{init}` "
            f"weights are not: {why}",
            values,
            "not_applicable",
            applies=False,
        )
    act = activations.get(activation)
    if network == "resmlp":
        reason = "each block adds its input back, so the stream grows on top of the rule"
    elif network == "rnn":
        reason = "every time step adds a fresh input of its own"
    elif activation == "sigmoid":
        reason = "sigmoid's outputs sit around f(0) = 0.5, an offset the rule ignores"
    elif act.saturating:
        reason = f"{act.label} saturates, so E[f′(z)²] falls below its value at 0"
    else:
        reason = "the signal is not small any more, so E[f′(z)²] differs from its value at 0"
    return Claim("measured", head + f"{differ}: {reason}.", values, "differ")


#: Home's prediction: the five scales, as multiples of the small-signal scale.
SCALE_CHOICES: tuple[str, ...] = tuple(scale_label(m) for m in HOME_MULTIPLIERS)


def closest_scale(summary: pd.DataFrame) -> int | None:
    """Index in :data:`SCALE_CHOICES` of the scale whose last/first std ratio is nearest 1.

    Measured (``act_ratio`` of :func:`scale_sweep`'s summary, compared in decades); None when
    no scale has a finite ratio.
    """
    by_series = summary.set_index("series")
    distances = []
    for label in SCALE_CHOICES:
        ratio = float(by_series.loc[label, "act_ratio"])
        finite = math.isfinite(ratio) and ratio > 0
        distances.append(abs(math.log10(ratio)) if finite else math.inf)
    best = min(range(len(distances)), key=distances.__getitem__)
    return best if math.isfinite(distances[best]) else None


def answer_claim(
    network: str,
    activation: str,
    summary: pd.DataFrame,
    layers: pd.DataFrame,
    unit: str,
    last: int,
) -> Claim:
    """Why the revealed answer of Home's prediction is that scale, from the measured values.

    States the measured fact (the answer's last/first std ratio, and the ratio at ×1), then a
    reason only where it holds: for stacked networks (mlp, cnn) whose activation is centred
    (f(0) = 0), when the measured factor at ×1 and the activation's slope at the measured
    signal size both point the way the answer lies (E[f′(√q z)²] below E[f′(0)²] and a larger
    scale, or above it and a smaller one), or when the answer is ×1 itself (the small-signal
    rule's scale). Otherwise it says that theory does not apply here.

    Parameters
    ----------
    network, activation : str
    summary, layers : DataFrame
        :func:`scale_sweep`'s outputs.
    unit : str
        "layer", "block" or "time step".
    last : int
        The last layer (the depth).

    Returns
    -------
    Claim
        ``verdict``: "rule" (×1 is nearest, as the small-signal rule says), "slope" (the slope
        at the measured q explains the shift), "not_applicable" (``applies`` False), or
        "none" (no scale has a finite ratio).
    """
    index = closest_scale(summary)
    if index is None:
        return Claim(
            "not_applicable",
            f"No scale keeps a finite std at {unit} {last}, so there is no answer to explain.",
            {},
            "none",
            applies=False,
        )
    by_series = summary.set_index("series")
    label, multiplier = SCALE_CHOICES[index], HOME_MULTIPLIERS[index]
    best, one = by_series.loc[label], by_series.loc[scale_label(1.0)]
    one_factor = float(one.act_factor)
    values = {
        "multiplier": multiplier,
        "best_ratio": float(best.act_ratio),
        "one_ratio": float(one.act_ratio),
        "one_factor": one_factor,
    }
    text = (
        f"At {label} {unit} {last}'s std is {measured_ratio_text(best.act_first, best.act_last)} "
        f"of {unit} 1's, the nearest to 1 of the five scales"
    )
    if multiplier == 1.0:
        text += f" (measured std factor {factor_text(one_factor)} per {unit})."
    else:
        text += (
            f"; at ×1, the small-signal scale, it is "
            f"{measured_ratio_text(one.act_first, one.act_last)} (std factor "
            f"{factor_text(one_factor)} per {unit})."
        )
    act = activations.get(activation)
    f0 = float(act.f(np.zeros(1))[0])
    if network in ("rnn", "resmlp") or f0 != 0.0:
        reason = (
            "each block adds its input back, so the stream grows on top of the per-layer factor"
            if network == "resmlp"
            else "every time step adds a fresh input of its own"
            if network == "rnn"
            else f"{act.label}'s outputs sit around f(0) = {describe_number(f0)}, an offset the "
            "small-signal rule ignores"
        )
        return Claim(
            "not_applicable",
            text + f" Why this scale: theory does not apply here: {reason}.",
            values,
            "not_applicable",
            applies=False,
        )
    if multiplier == 1.0:
        return Claim(
            "measured",
            text + " That is the small-signal rule's scale: there √(σ_w²·E[f′(0)²]) = 1.",
            values,
            "rule",
        )
    q = measured_q(layers, scale_label(1.0))
    d0 = core_theory.mean_square_derivative(activation, 0.0)
    dq = core_theory.mean_square_derivative(activation, q) if math.isfinite(q) and q > 0 else 0.0
    values.update({"q": q, "slope0": d0, "slope_q": dq})
    finite = math.isfinite(one_factor) and one_factor > 0 and dq > 0
    shrinks = finite and one_factor < 1.0 and dq < d0 * 0.99 and multiplier > 1.0
    grows = finite and one_factor > 1.0 and dq > d0 * 1.01 and multiplier < 1.0
    if not (shrinks or grows):
        return Claim(
            "not_applicable",
            text + " Why this scale: theory does not apply here: the small-signal rule puts "
            "the factor 1 at ×1, and the activation's slope at the measured signal size does not "
            "account for the shift.",
            values,
            "not_applicable",
            applies=False,
        )
    text += (
        f" Why: at ×1 the signal is not small (measured pre-activation variance q ≈ "
        f"{describe_number(q)}), and there {act.label} has E[f′(√q z)²] = {describe_number(dq)}, "
        f"{'below' if shrinks else 'above'} its small-signal value {describe_number(d0)}; so "
        f"each {unit} {'shrinks' if shrinks else 'grows'} the std and "
        f"{'larger' if shrinks else 'smaller'} weights make up for it."
    )
    return Claim("measured", text, values, "slope")
