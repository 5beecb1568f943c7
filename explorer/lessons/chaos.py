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
from core import regime as core_regime
from explorer.claims import (
    DEFAULT_TOLERANCE,
    Claim,
    change_words,
    describe_number,
    describe_ratio,
    direction,
    std_factor_from_variance_factor,
)
from explorer.experiments import InitParams, layer_stats, predicted_stats
from explorer.offload import offloaded
from explorer.state import Net

#: Phase-diagram resolution (cells along σ_w² and σ_b²).
PHASE_CELLS_W, PHASE_CELLS_B = 80, 60


#: |χ₁ - 1| up to this counts as "critical" (the one tolerance, from core.regime).
CRITICAL_TOLERANCE = core_regime.CRITICAL_TOLERANCE


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
@offloaded
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
    return core_regime.phase_of(chi1)


@st.cache_data(max_entries=64, show_spinner=False)
@offloaded
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
    pred = predicted_stats(activation, init, params, depth, width, sb2)
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


def user_sigma_w2(init: str, params: InitParams, width: int) -> float:
    """σ_w² = fan_in Var(W) of an initializer on a square width x width layer."""
    return float(initializers.sigma_w2(init, (width, width), **dict(params)))


#: The registry's standard random schemes, each drawn as a labelled point on the phase diagram
#: next to the user's (the schemes mean-field theory describes: i.i.d. zero-mean weights).
STANDARD_POINTS: tuple[str, ...] = (
    "small_random",
    "lecun_normal",
    "glorot_normal",
    "he_normal",
    "torch_default",
    "large_random",
)


#: Plot-area sizes (pixels) the phase diagram's tags are placed for: its height, and the plot
#: width on a phone (about 200 px) and on a laptop (about 410 px). A tag must fit both.
TAG_PLOT_HEIGHT = 360
TAG_PLOT_WIDTHS = (200.0, 420.0)

#: A tag's centre is at least this far (pixels) from the critical line, and farther from it than
#: its point - or, for a point more than :data:`TAG_NEAR_LINE` away, at least that far.
TAG_LINE_CLEARANCE = 12.0
TAG_NEAR_LINE = 24.0

#: Points closer than this (pixels, on the phone-sized plot) share one tag, e.g. "1,2": two
#: tags there could not each sit nearer their own point. Tags keep :data:`TAG_GAP` apart.
TAG_MERGE_PX = 12.0
TAG_GAP = 3.0

#: Candidate tag offsets (dx, dy) in pixels, dy downwards, nearest ring first.
_TAG_DIRECTIONS = ((-1, 0), (1, 0), (-0.8, -1), (0.8, -1), (-0.8, 1), (0.8, 1), (0, -1), (0, 1))
_TAG_RADII = (16.0, 26.0, 38.0, 52.0)


def _curve_distance(x: float, y: float, curve: np.ndarray) -> float:
    """Distance (pixels) from (x, y) to the polyline ``curve`` (n x 2, pixels); inf if empty."""
    if len(curve) == 0:
        return math.inf
    if len(curve) == 1:
        return float(np.hypot(x - curve[0, 0], y - curve[0, 1]))
    a, b = curve[:-1], curve[1:]
    ab = b - a
    length2 = np.maximum((ab**2).sum(axis=1), 1e-12)
    t = np.clip(((x - a[:, 0]) * ab[:, 0] + (y - a[:, 1]) * ab[:, 1]) / length2, 0.0, 1.0)
    px, py = a[:, 0] + t * ab[:, 0], a[:, 1] + t * ab[:, 1]
    return float(np.hypot(x - px, y - py).min())


def tag_box(tag: str) -> tuple[float, float]:
    """Half width and half height (pixels) of a drawn tag (13 px bold digits)."""
    return 4.0 * len(tag) + 2.0, 8.0


def tag_clearances(
    points: pd.DataFrame,
    critical: pd.DataFrame,
    sw2_max: float,
    sb2_top: float,
    width: float,
) -> pd.DataFrame:
    """Distance (pixels) of each point and of its tag from the critical line, on one plot size.

    Parameters
    ----------
    points : DataFrame
        :func:`phase_points` rows (``sw2``, ``sb2``, ``dx``, ``dy``).
    critical : DataFrame
        ``sw2``, ``sb2`` along χ₁ = 1 (may be empty: then every distance is inf).
    sw2_max, sb2_top : float
        Right and top ends of the axes.
    width : float
        Plot-area width in pixels (the height is :data:`TAG_PLOT_HEIGHT`).

    Returns
    -------
    DataFrame
        ``point`` and ``tag`` distances, one row per point.
    """
    height = float(TAG_PLOT_HEIGHT)
    curve = np.column_stack(
        [
            critical["sw2"].to_numpy(float) / sw2_max * width,
            (1.0 - critical["sb2"].to_numpy(float) / sb2_top) * height,
        ]
    ).reshape(-1, 2)
    rows = []
    for sw2, sb2, dx, dy in points[["sw2", "sb2", "dx", "dy"]].itertuples(index=False):
        x, y = sw2 / sw2_max * width, (1.0 - sb2 / sb2_top) * height
        rows.append(
            {
                "point": _curve_distance(x, y, curve),
                "tag": _curve_distance(x + dx, y + dy, curve),
            }
        )
    return pd.DataFrame(rows, index=points.index)


def _place_tags(
    frame: pd.DataFrame, critical: pd.DataFrame, sw2_max: float, sb2_top: float
) -> tuple[list[int], list[int]]:
    """Offsets (dx, dy) in pixels of each point's tag, clear of the line, edges and points.

    Tags are also kept clear of the tags placed before them.

    Points nearest the critical line are placed first. A candidate is kept when, on every plot
    width of :data:`TAG_PLOT_WIDTHS`, its tag's centre is inside the plot with the tag's box
    within it vertically, at least :data:`TAG_LINE_CLEARANCE` from the line, and farther from
    the line than the point (or, for a point farther than :data:`TAG_NEAR_LINE`, at least that
    far), and nearer its own point than any other point. Among
    those, the first ring and direction that collides with nothing wins (upwards first in the
    lower half of the σ_b² axis, downwards in the upper half); failing that, the one farthest
    from the line.
    """
    height = float(TAG_PLOT_HEIGHT)
    widths = TAG_PLOT_WIDTHS
    narrow = min(widths)
    up_first = float(frame["sb2"].iloc[0]) <= 0.5 * sb2_top if len(frame) else True
    order_dirs = sorted(
        _TAG_DIRECTIONS,
        key=lambda d: 0 if (d[1] < 0) == up_first and d[1] != 0 else 1 if d[1] == 0 else 2,
    )
    curves = {
        w: np.column_stack(
            [
                critical["sw2"].to_numpy(float) / sw2_max * w,
                (1.0 - critical["sb2"].to_numpy(float) / sb2_top) * height,
            ]
        ).reshape(-1, 2)
        for w in widths
    }

    def pixel(i: int, w: float) -> tuple[float, float]:
        row = frame.iloc[i]
        return float(row["sw2"]) / sw2_max * w, (1.0 - float(row["sb2"]) / sb2_top) * height

    marker = [8.5 if bool(m) else 6.0 for m in frame["mine"]]
    cluster = list(frame["cluster"])
    point_dist = {
        i: min(_curve_distance(*pixel(i, w), curves[w]) for w in widths) for i in range(len(frame))
    }
    placed: dict[int, tuple[float, float]] = {}
    boxes: list[tuple[float, float, float, float]] = []  # narrow-plot tag boxes placed so far

    def overlaps(box: tuple[float, float, float, float]) -> bool:
        x0, y0, x1, y1 = box
        for j in range(len(frame)):
            px, py = pixel(j, narrow)
            r = marker[j] + 1.0
            if x0 < px + r and x1 > px - r and y0 < py + r and y1 > py - r:
                return True
        gap = TAG_GAP  # tags keep apart, or "1" next to "2" reads "12"
        return any(
            x0 - gap < b[2] and x1 + gap > b[0] and y0 - gap < b[3] and y1 + gap > b[1]
            for b in boxes
        )

    for i in sorted(range(len(frame)), key=lambda k: point_dist[k]):
        if not str(frame["tag"].iloc[i]):  # shares the tag of a point next to it
            placed[i] = (0, 0)
            continue
        half_w, half_h = tag_box(str(frame["tag"].iloc[i]))
        best: tuple[float, float] | None = None
        best_far = -math.inf
        # Failing every rule, the candidate inside the plot farthest from the line.
        fallback: tuple[float, float] | None = None
        fallback_far = -math.inf
        chosen: tuple[float, float] | None = None
        for radius in _TAG_RADII:
            for ux, uy in order_dirs:
                dx, dy = round(ux * radius), round(uy * radius)
                far = math.inf
                ok = inside = True
                for w in widths:
                    x, y = pixel(i, w)
                    cx, cy = x + dx, y + dy
                    if not (0.0 <= cx <= w and half_h <= cy <= height - half_h):
                        ok = inside = False
                        break
                    d_tag = _curve_distance(cx, cy, curves[w])
                    d_point = _curve_distance(x, y, curves[w])
                    far = min(far, d_tag)
                    if d_tag < max(TAG_LINE_CLEARANCE, min(d_point + 1.0, TAG_NEAR_LINE)):
                        ok = False
                    # The tag reads as its own point's: no other point is as near to it.
                    own = math.hypot(dx, dy)
                    if any(
                        math.hypot(cx - ox, cy - oy) <= own + 2.0
                        for j in range(len(frame))
                        if cluster[j] != cluster[i]
                        for ox, oy in [pixel(j, w)]
                    ):
                        ok = False
                if inside and (fallback is None or far > fallback_far):
                    fallback, fallback_far = (dx, dy), far
                if not ok:
                    continue
                x, y = pixel(i, narrow)
                box = (x + dx - half_w, y + dy - half_h, x + dx + half_w, y + dy + half_h)
                if far > best_far:
                    best, best_far = (dx, dy), far
                if not overlaps(box):
                    chosen = (dx, dy)
                    break
            if chosen is not None:
                break
        dx, dy = chosen or best or fallback or (0, -16)
        placed[i] = (dx, dy)
        x, y = pixel(i, narrow)
        boxes.append((x + dx - half_w, y + dy - half_h, x + dx + half_w, y + dy + half_h))
    return [int(placed[i][0]) for i in range(len(frame))], [
        int(placed[i][1]) for i in range(len(frame))
    ]


def phase_points(
    user_init: str,
    user_params: InitParams,
    user_label: str,
    width: int,
    sb2: float,
    sw2_max: float,
    sb2_top: float = 0.5,
    *,
    critical: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The user's initializer and :data:`STANDARD_POINTS` as points of the phase diagram.

    Schemes with the same σ_w² on a square ``width`` x ``width`` layer share one point (LeCun,
    Glorot and the PyTorch default often do); points beyond ``sw2_max`` are pinned to the right
    edge and say so in their label. The chart draws a short tag (1, 2, ... in order of σ_w²)
    beside each point, on the side away from the critical line; :func:`phase_key` maps the tags
    to the full labels.

    Parameters
    ----------
    critical : DataFrame, optional
        ``sw2``, ``sb2`` along χ₁ = 1 (:func:`phase_grid`): the line the tags keep clear of.

    Returns
    -------
    DataFrame
        One row per point: ``sw2`` (drawn, at most ``sw2_max``), ``true_sw2``, ``sb2``,
        ``label`` (the full names, in the tooltip and the key), ``number`` (1, 2, ... in order
        of σ_w²), ``tag`` (the text drawn: the number, or "1,2" on the first of points that
        nearly coincide and "" on the others), ``cluster`` (which tag a point shares),
        ``series`` (the first scheme's label: its colour), ``mine`` (the user's point), ``dx``
        and ``dy`` (the tag's
        offset in pixels, dy downwards: upwards first when ``sb2`` is in the lower half of the
        axis, which ends at ``sb2_top``).
    """
    entries: list[tuple[str, str, float, bool]] = [
        (user_label, user_init, user_sigma_w2(user_init, user_params, width), True)
    ]
    for name in STANDARD_POINTS:
        if name != user_init:
            spec = initializers.REGISTRY[name]
            entries.append((spec.label, name, user_sigma_w2(name, (), width), False))
    groups: list[dict[str, object]] = []
    for label, _, sw2, mine in entries:
        for group in groups:
            if math.isclose(float(group["true_sw2"]), sw2, rel_tol=1e-9, abs_tol=1e-12):
                group["names"].append(label)  # type: ignore[union-attr]
                group["mine"] = bool(group["mine"]) or mine
                break
        else:
            groups.append({"true_sw2": sw2, "names": [label], "mine": mine})
    rows = []
    for number, group in enumerate(sorted(groups, key=lambda g: float(g["true_sw2"])), start=1):
        sw2 = float(group["true_sw2"])
        names = list(group["names"])  # type: ignore[arg-type]
        text = " = ".join(names)
        if group["mine"]:
            text = f"your init: {text}"
        pinned = sw2 > sw2_max
        if pinned:
            text += f" (σ_w² = {sw2:.3g} →)"
        rows.append(
            {
                "sw2": min(sw2, sw2_max),
                "true_sw2": sw2,
                "sb2": sb2,
                "label": text,
                "number": str(number),
                "series": names[0],
                "mine": bool(group["mine"]),
            }
        )
    frame = pd.DataFrame(rows)
    # Points that nearly coincide on a phone-sized plot share one tag ("1,2"), on the first.
    x = frame["sw2"].to_numpy(float) / sw2_max * min(TAG_PLOT_WIDTHS)
    frame["cluster"] = np.concatenate([[0], np.cumsum(np.diff(x) >= TAG_MERGE_PX)]).astype(int)
    heads = ~frame["cluster"].duplicated()
    joined = frame.groupby("cluster")["number"].agg(",".join)
    frame["tag"] = np.where(heads, frame["cluster"].map(joined), "")
    line = critical if critical is not None else pd.DataFrame({"sw2": [], "sb2": []})
    frame["dx"], frame["dy"] = _place_tags(frame, line, sw2_max, sb2_top)
    return frame


def phase_key(points: pd.DataFrame, activation: str, user_init: str) -> list[str]:
    """One line per tag of the phase diagram: tag, full names, σ_w² and the phase there.

    The phase is the regime's at the point's true σ_w² and σ_b²; for the user's point it is
    "theory does not apply" when mean-field theory does not describe ``user_init``.

    Returns
    -------
    list of str
        Markdown lines such as ``**2** · LeCun normal = Glorot (Xavier) normal: σ_w² = 1,
        critical``.
    """
    lines = []
    applies = core_regime.mean_field_applies(user_init)[0]
    for row in points.itertuples(index=False):
        if bool(row.mine) and not applies:
            phase = "theory does not apply"
        else:
            r = point_regime(activation, float(row.true_sw2), float(row.sb2))
            phase = "unbounded (no fixed point)" if r.fixed_point == "infinite" else r.phase
        label, where = str(row.label), ""
        if float(row.true_sw2) > float(row.sw2):  # pinned: the label's "(σ_w² = … →)" goes
            label = label.split(" (σ_w² = ")[0]
            where = " (beyond the axis: drawn at its right edge)"
        lines.append(
            f"**{row.number}** · {label}: σ_w² = {describe_number(float(row.true_sw2))}{where}, "
            f"{phase}"
        )
    return lines


# --------------------------------------------------------------------------------------------
# Claims: every sentence of page 7 that cites a number or states a verdict
# --------------------------------------------------------------------------------------------


@st.cache_data(max_entries=256, show_spinner=False)
def point_regime(activation: str, sw2: float, sb2: float) -> core_regime.Regime:
    """The mean-field regime (:func:`core.regime.regime`) at the user's point (cached)."""
    return core_regime.regime(activation, sw2, sb2)


def metric_values(r: core_regime.Regime, init: str) -> dict[str, str]:
    """Page 7's metric values from the regime: chi1, xi_q, xi_c, trainable (never "nan").

    "n/a" where mean-field theory does not apply to ``init``; "undefined" without a fixed
    point (q* = inf); "∞" where the approach is not exponential at the edge; "no ξ_c limit"
    where correlations have no exponential depth scale off the edge (homogeneous units or
    q* = 0 at sigma_b2 = 0).
    """
    if not core_regime.mean_field_applies(init)[0]:
        return {"chi1": "n/a", "xi_q": "n/a", "xi_c": "n/a", "trainable": "n/a"}

    def scale(value: float) -> str:
        return "∞" if math.isinf(value) else describe_number(value)

    if r.fixed_point == "infinite":
        xi_q = xi_c = trainable = "undefined"
    else:
        xi_q, xi_c = scale(r.xi_q), scale(r.xi_c)
        if r.decay == "exponential":
            trainable = describe_number(TRAINABLE_XI * r.xi_c)
        elif r.phase == "critical":
            trainable = "∞"
        else:
            trainable = "no ξ_c limit"
    return {"chi1": f"{r.chi1:.3f}", "xi_q": xi_q, "xi_c": xi_c, "trainable": trainable}


def _gradient_phrase(chi1: float) -> str:
    """'their mean square shrinks by χ₁ = x per layer (their std by √χ₁ = y)'."""
    verb = "shrinks" if chi1 < 1.0 else "grows"
    return (
        f"the gradients' mean square {verb} by χ₁ = {describe_number(chi1)} per layer (their "
        f"std by √χ₁ = {describe_number(std_factor_from_variance_factor(chi1))})"
    )


def verdict_claim(activation: str, init: str, sw2: float, sb2: float, depth: int) -> Claim:
    """The phase verdict in words, decided by the regime and gated on the initializer.

    No "expect training to fail" unless correlations approach their fixed point exponentially
    (a finite ξ_c) and the depth exceeds 6 ξ_c; not applicable for zeros, constant, identity.

    Returns
    -------
    Claim
        ``verdict`` is the regime's phase (None when not applicable); ``values`` holds chi1,
        xi_c, trainable_depth, depth.
    """
    applies, reason = core_regime.mean_field_applies(init)
    if not applies:
        return Claim(
            kind="not_applicable",
            text=(
                f"**Mean-field theory does not apply to `{init}`:** {reason} It predicts no "
                "phase, depth scale or trainable depth here; the measurements below show what "
                "this network actually does."
            ),
            values={"sigma_w2": float(sw2), "depth": float(depth)},
            verdict=None,
            applies=False,
        )
    r = point_regime(activation, sw2, sb2)
    chi = f"{r.chi1:.3f}"
    trainable = TRAINABLE_XI * r.xi_c
    values = {"chi1": r.chi1, "xi_c": r.xi_c, "trainable_depth": trainable, "depth": depth}
    phase_bold = f"**{r.phase}**"
    if r.fixed_point == "infinite":
        if r.phase == "critical" and r.homogeneous and r.sigma_b2 > 0:
            text = (
                f"Your network sits on the critical line (χ₁ = {chi}) but has **no fixed "
                f"point**: with σ_b² = {describe_number(sb2)} > 0 the pre-activation variance "
                "grows by σ_b² every layer — linearly, not exponentially — while the gradients' "
                "mean square keeps its size. The depth scales are undefined."
            )
        else:
            text = (
                f"Your network has **no fixed point**: with σ_w² = {describe_number(sw2)} the "
                "pre-activation variance grows without bound layer after layer, and "
                f"{_gradient_phrase(r.chi1)} (the large-signal limit, {phase_bold} phase). "
                "The depth scales are undefined."
            )
    elif r.fixed_point == "marginal":
        text = (
            f"Your network is {phase_bold}, exactly on the edge of chaos with no bias "
            f"(χ₁ = {chi}): every input length is a fixed point, so the signal and the "
            "gradients' mean square keep their size (in the infinite-width limit). Correlations "
            "creep to 1 polynomially: there is no exponential depth scale ξ_c, and signal "
            f"propagation sets no exponential depth limit on your {depth} layers."
        )
    elif r.decay == "exponential":
        fits = (
            f"your {depth} layers are within it"
            if depth <= trainable
            else f"your {depth} layers are beyond it — expect training to fail"
        )
        if r.phase == "critical":
            head = f"Your network is {phase_bold} — near the edge of chaos (χ₁ = {chi})"
        elif r.phase == "ordered":
            head = f"Your network is in the {phase_bold} phase (χ₁ = {chi} < 1)"
        else:
            head = f"Your network is in the {phase_bold} phase (χ₁ = {chi} > 1)"
        motion = (
            "inputs converge to the same representation"
            if r.c_star >= 1.0
            else f"nearby inputs decorrelate towards c* = {describe_number(r.c_star)}"
        )
        text = (
            f"{head}: {_gradient_phrase(r.chi1)}, and {motion} within ξ_c ≈ "
            f"{describe_number(r.xi_c)} layers. Trainable depth ≈ 6 ξ_c = "
            f"{describe_number(trainable)}: {fits}."
        )
    else:
        how = (
            "correlations between inputs are preserved"
            if r.decay == "none"
            else "correlations creep towards 1 polynomially"
        )
        if r.phase == "critical":
            head = f"Your network is {phase_bold} — on the edge of chaos (χ₁ = {chi})"
            if r.fixed_point == "zero":
                body = (
                    "the per-layer factor on the gradients' mean square is 1, but q* = 0: the "
                    "signal fades to 0 with depth, so signals and gradients decay polynomially "
                    "(slowly, not exponentially) instead of holding steady"
                )
            else:
                body = "the gradients' mean square keeps its size from layer to layer"
            text = (
                f"{head}: {body}. ξ_c is unbounded ({how}): signal propagation sets no "
                f"exponential depth limit on your {depth} layers."
            )
        else:
            where = "q* = 0 (no bias)" if r.fixed_point == "zero" else "this point"
            word = "<" if r.phase == "ordered" else ">"
            text = (
                f"Your network is in the {phase_bold} phase (χ₁ = {chi} {word} 1): "
                f"{_gradient_phrase(r.chi1)}, so over your {depth} layers it changes by "
                f"χ₁^{depth - 1} = {describe_number(r.chi1 ** (depth - 1))}. At {where} there "
                f"is no exponential correlation depth scale (ξ_c = ∞: {how}), so 6 ξ_c sets "
                "no trainable depth here."
            )
    return Claim(kind="theory", text=text, values=values, verdict=r.phase, applies=True)


def edge_claim(
    r: core_regime.Regime, init_label: str, *, pinned: bool = False, init: str | None = None
) -> Claim:
    """Where the edge of chaos is at the user's σ_b² and which side the user's point is on.

    With ``init`` given and mean-field theory not applying to it (zeros, constant, identity),
    the user's point is not placed relative to the edge.
    """
    applies, reason = (True, "") if init is None else core_regime.mean_field_applies(init)
    sw2, sb2, chi = r.sigma_w2, r.sigma_b2, f"{r.chi1:.3f}"
    if r.edge_sigma_w2 is None:
        return Claim(
            kind="theory",
            text=(
                f"Theory finds no χ₁ = 1 point for {r.activation} at σ_b² = "
                f"{describe_number(sb2)} (no black line there): {r.edge_note}"
                + (
                    f" Your σ_w² = **{describe_number(sw2)}** gives χ₁ = {chi}."
                    if applies
                    else f" Mean-field theory does not apply to `{init}`: {reason}"
                )
            ),
            values={"chi1": r.chi1, "sigma_w2": sw2, "sigma_b2": sb2},
            verdict=None,
        )
    edge = r.edge_sigma_w2
    where = "on" if r.phase == "critical" else "left of" if sw2 < edge else "right of"
    text = (
        f"At σ_b² = {describe_number(sb2)} the edge of chaos is at σ_w² = "
        f"**{describe_number(edge)}**; your {init_label} has σ_w² = **{describe_number(sw2)}**, "
        f"{where} the line (χ₁ = {chi})."
    )
    if pinned:
        text += " It lies beyond the plotted range (marker pinned to the edge)."
    if edge > 5:
        text += " No standard initializer comes close: they give σ_w² between 1/3 and 2."
    return Claim(
        kind="theory",
        text=text,
        values={"chi1": r.chi1, "sigma_w2": sw2, "sigma_b2": sb2, "edge_sigma_w2": edge},
        verdict=where,
    )


def probe_q_claim(
    init: str, width: int, depth: int, measured_last: float, predicted_last: float
) -> Claim:
    """Measured vs predicted q at the last layer; finite width is blamed only where theory applies.

    Not applicable (no finite-width blame) for zeros, constant and identity weights.
    """
    applies, reason = core_regime.mean_field_applies(init)
    ratio = describe_ratio(measured_last, predicted_last)
    measured = describe_number(measured_last, zero_note=True)
    text = f"At layer {depth} the probe measures q = **{measured}**"
    if not applies:
        return Claim(
            kind="not_applicable",
            text=text
            + f". Mean-field theory does not apply to `{init}`: {reason} The dashed line is not a "
            "prediction for these weights.",
            values={"measured": measured_last, "depth": depth},
            verdict=None,
            applies=False,
        )
    text += (
        f", theory predicts **{describe_number(predicted_last)}** (measured ÷ predicted {ratio})."
    )
    with np.errstate(all="ignore"):
        r = measured_last / predicted_last if predicted_last else math.nan
    gap = math.isfinite(r) and r > 0 and abs(math.log(r)) > math.log(1.2)
    if gap:
        text += (
            f" The gap is finite width, not a failure of the theory: with {width} units "
            "every layer multiplies the variance by a random factor of about "
            f"1 ± {math.sqrt(2 / width):.0%} (more for ReLU, whose zeros halve the width), "
            "and these factors compound with depth. Other seeds scatter around the dashed line."
        )
    return Claim(
        kind="measured",
        text=text,
        values={"measured": measured_last, "predicted": predicted_last, "ratio": r},
        verdict="finite_width_gap" if gap else "agrees",
    )


def gradient_claim(
    r: core_regime.Regime, init: str, measured_first: float, predicted_first: float
) -> Claim:
    """The layer-1 gradient (relative to the top) and what the regime's decay says of it."""
    applies, reason = core_regime.mean_field_applies(init)
    words = change_words(measured_first)
    text = (
        f"From the top layer back to layer 1 the gradient's std {words}: layer 1 gets "
        f"**{describe_number(measured_first, zero_note=True)}** of the top layer's"
    )
    values = {"measured_ratio": measured_first, "predicted_ratio": predicted_first}
    if not applies:
        return Claim(
            kind="not_applicable",
            text=text + f". Mean-field theory does not apply to `{init}`: {reason}",
            values=values,
            verdict=direction(measured_first, tolerance=DEFAULT_TOLERANCE),
            applies=False,
        )
    text += f"; theory predicts **{describe_number(predicted_first)}**. "
    std = describe_number(std_factor_from_variance_factor(r.chi1))
    if r.fixed_point == "zero" and r.phase == "critical":
        text += (
            f"χ₁ = {r.chi1:.3f} is the edge, but q* = 0: the signal fades, and the gradients "
            "decay polynomially with depth (slowly, not exponentially), so they do shrink."
        )
    elif r.fixed_point == "marginal":
        text += (
            "Exactly at the edge with no bias every length is a fixed point: the gradients' "
            "mean square keeps its size in the infinite-width limit."
        )
    elif r.fixed_point == "infinite":
        text += (
            f"The variance grows without bound; per layer the gradients' mean square tends to "
            f"be multiplied by the large-signal χ₁ = {describe_number(r.chi1)} (std by √χ₁ = "
            f"{std})."
        )
    else:
        settled = (
            "Once the signal has faded (q* = 0)"
            if r.fixed_point == "zero"
            else ("Once q^l has settled")
        )
        text += (
            f"{settled}, the gradients' mean square changes by χ₁ = {describe_number(r.chi1)} "
            f"per layer (their std by √χ₁ = {std})."
        )
    return Claim(
        kind="measured",
        text=text,
        values=values,
        verdict=direction(measured_first, tolerance=DEFAULT_TOLERANCE),
    )
