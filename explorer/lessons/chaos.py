"""Lesson behind page 7 (edge of chaos): mean-field theory on the (sigma_w^2, sigma_b^2) plane.

The theory at the user's point, the phase diagram, depth scales and the probe's measurements
next to the prediction.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from core import initializers, theory
from explorer.experiments import InitParams, layer_stats
from explorer.state import Net

#: Phase-diagram resolution (cells along σ_w² and σ_b²).
PHASE_CELLS_W, PHASE_CELLS_B = 80, 60


#: |χ₁ - 1| below this counts as "critical" in the page's words.
CRITICAL_TOLERANCE = 0.02


#: Schoenholz et al. (2017): networks trained up to about this many correlation depth scales.
TRAINABLE_XI = 6.0


#: log10 χ₁ is clipped to ±this for the colour scale (χ₁ from 0.32 to 3.2).
LOG_CHI_CLIP = 0.5


@st.cache_data(max_entries=64, show_spinner=False)
def phase_axis_max(activation: str, sb2_max: float) -> float:
    """Right end of the σ_w² axis: 4, or 1.5 x the largest critical σ_w² in the σ_b² range."""
    crit = np.asarray(theory.critical_sigma_w2(activation, np.linspace(0.0, sb2_max, 13)))
    crit = crit[np.isfinite(crit)]
    top = max(4.0, 1.5 * float(crit.max())) if crit.size else 4.0
    step = 10 ** math.floor(math.log10(top))
    return float(math.ceil(top / step) * step)


@st.cache_data(max_entries=64, show_spinner=False)
def phase_grid(
    activation: str, sw2_max: float, sb2_max: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """χ₁ on a grid of cells over [0, sw2_max] x [0, sb2_max], and the critical line.

    Returns
    -------
    grid : DataFrame
        One row per cell: sw2, sw2_end, sb2, sb2_end (corners), log_chi1 (log10 χ₁ at the cell
        centre, clipped to ±LOG_CHI_CLIP), chi1, xi_c.
    critical : DataFrame
        sw2, sb2 along χ₁ = 1 (rows where theory finds a critical point inside the axis).
    """
    w_edges = np.linspace(0.0, sw2_max, PHASE_CELLS_W + 1)
    b_edges = np.linspace(0.0, sb2_max, PHASE_CELLS_B + 1)
    w_mid = 0.5 * (w_edges[:-1] + w_edges[1:])
    b_mid = 0.5 * (b_edges[:-1] + b_edges[1:])
    diagram = theory.phase_diagram(activation, w_mid, b_mid)
    ii, jj = np.meshgrid(np.arange(PHASE_CELLS_W), np.arange(PHASE_CELLS_B), indexing="ij")
    chi = diagram.chi1
    with np.errstate(divide="ignore"):
        log_chi = np.clip(np.log10(chi), -LOG_CHI_CLIP, LOG_CHI_CLIP)
    grid = pd.DataFrame(
        {
            "sw2": w_edges[ii].ravel(),
            "sw2_end": w_edges[ii + 1].ravel(),
            "sb2": b_edges[jj].ravel(),
            "sb2_end": b_edges[jj + 1].ravel(),
            "log_chi1": log_chi.ravel(),
            "chi1": chi.ravel(),
            "xi_c": diagram.xi_c.ravel(),
        }
    )
    sb2_line = np.linspace(0.0, sb2_max, 61)
    crit = np.asarray(theory.critical_sigma_w2(activation, sb2_line), dtype=float)
    keep = np.isfinite(crit) & (crit <= sw2_max)
    critical = pd.DataFrame({"sw2": crit[keep], "sb2": sb2_line[keep]})
    return grid, critical


@st.cache_data(max_entries=256, show_spinner=False)
def chaos_point(activation: str, sw2: float, sb2: float) -> dict[str, float]:
    """Mean-field numbers at one (σ_w², σ_b²): q_star, chi1, c_star, xi_q, xi_c, critical_sw2.

    ``q_star`` is inf when the length map has no fixed point (then the depth scales are NaN);
    ``xi_c`` is inf on the critical line.
    """
    xi_q, xi_c = theory.depth_scales(activation, sw2, sb2)
    c_star, _ = theory.correlation_fixed_point(activation, sw2, sb2)
    return {
        "q_star": float(theory.q_star(activation, sw2, sb2)),
        "chi1": float(theory.chi1(activation, sw2, sb2)),
        "c_star": float(c_star),
        "xi_q": float(xi_q),
        "xi_c": float(xi_c),
        "critical_sw2": float(theory.critical_sigma_w2(activation, sb2)),
    }


def phase_word(chi1: float, q_star: float) -> str:
    """The phase in words: critical, ordered, chaotic or unbounded (no fixed point)."""
    if not math.isfinite(q_star):
        return "unbounded"
    if abs(chi1 - 1.0) < CRITICAL_TOLERANCE:
        return "critical"
    return "ordered" if chi1 < 1.0 else "chaotic"


@st.cache_data(max_entries=64, show_spinner=False)
def depth_scale_curve(activation: str, sb2: float, sw2_max: float) -> pd.DataFrame:
    """Trainable depth 6 ξ_c along σ_w² at fixed σ_b² (columns sw2, xi_c, trainable_depth).

    Points on the critical line (ξ_c = inf) and without a fixed point (NaN) are dropped; the
    chart shows the divergence as the curve running off the top.
    """
    sw2 = np.linspace(sw2_max / 400, sw2_max, 400)
    diagram = theory.phase_diagram(activation, sw2, np.array([sb2]))
    xi = diagram.xi_c[:, 0]
    keep = np.isfinite(xi) & (xi > 0)
    return pd.DataFrame(
        {"sw2": sw2[keep], "xi_c": xi[keep], "trainable_depth": TRAINABLE_XI * xi[keep]}
    )


def mean_field_vs_probe(
    net: Net, init: str, params: InitParams, sb2: float
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Predicted and measured per-layer q^l and gradient scale of an MLP with biases.

    The probe draws b ~ N(0, σ_b²) and unit-variance inputs; theory starts from q_in = 1.
    The network is always an MLP (``net.network`` is not used).

    Returns
    -------
    frame : DataFrame
        Columns layer, series ("measured (probe)" / "theory (mean field)"), q (pre-activation
        variance q^l), grad_rel (std of dL/dz_l relative to the last layer).
    info : dict
        applicable (bool), note (str), overflow_layer (int or None), q_ratio_last (measured /
        predicted q at the last layer).
    """
    _, activation, depth, width, seed = net
    stats = layer_stats(
        Net("mlp", activation, depth, width, seed), init, params, bias=True, bias_std=math.sqrt(sb2)
    )
    pred = _predicted_stats(activation, init, params, depth, width, sb2)
    with np.errstate(all="ignore"):
        measured_q = stats.preact_std**2
        measured_g = stats.grad_std / stats.grad_std[-1]
        pred_g = pred.grad_std / pred.grad_std[-1]
        ratio = float(measured_q[-1] / pred.preact_var[-1])
    layers = stats.layer
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "layer": layers,
                    "series": "measured (probe)",
                    "q": measured_q,
                    "grad_rel": measured_g,
                }
            ),
            pd.DataFrame(
                {
                    "layer": layers,
                    "series": "theory (mean field)",
                    "q": pred.preact_var,
                    "grad_rel": pred_g,
                }
            ),
        ],
        ignore_index=True,
    )
    info = {
        "applicable": pred.applicable,
        "note": pred.note,
        "overflow_layer": stats.first_nonfinite_layer,
        "q_ratio_last": ratio,
    }
    return frame, info


@st.cache_data(max_entries=128, show_spinner=False)
def _predicted_stats(
    activation: str, init: str, params: InitParams, depth: int, width: int, sb2: float
) -> theory.PredictedStats:
    """Cached :func:`core.theory.predicted_stats` for an MLP of square layers."""
    return theory.predicted_stats(
        activation, init, depth=depth, width=width, init_params=dict(params), sigma_b2=sb2
    )


def user_sigma_w2(init: str, params: InitParams, width: int) -> float:
    """σ_w² = fan_in Var(W) of an initializer on a square width x width layer."""
    return float(initializers.sigma_w2(init, (width, width), **dict(params)))
