r"""Claims are data: the sentences a lesson shows, computed from values and gated by the regime.

Every sentence on a page that cites a number or states a verdict is a :class:`Claim`: its
Markdown ``text`` is built from the ``values`` it cites (so tests can check the words against
the numbers), its ``verdict`` is decided from those values, and where a theory does not apply
the claim says so (``kind = "not_applicable"``, ``applies = False``) instead of predicting.
No text produced here ever reads "NaN": :func:`describe_number` and :func:`describe_ratio` say
what happened instead (overflow, both zero, ...).

Pure Python + :mod:`core` (no Streamlit), so every lesson and its tests can use it.

Entry points
------------
:class:`Claim`
    kind, text, values, verdict, applies.
:func:`describe_number`, :func:`describe_ratio`
    Numbers and ratios in words, honest about inf, NaN and zero.
:func:`direction`, :func:`change_words`
    "shrinks" / "grows" / "stays level" / "undefined" and "shrinks 1000-fold".
:func:`std_factor_from_variance_factor`
    :math:`\sqrt{\chi}`: the std factor of a mean-square factor :math:`\chi`.
:func:`regime_claim`
    The mean-field verdict (:func:`core.regime.regime`) as one gated sentence block.
:data:`GLOSSARY`
    One-sentence definitions for hover help.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from core import regime as core_regime
from core import theory as core_theory

__all__ = [
    "DEFAULT_TOLERANCE",
    "GLOSSARY",
    "GLOSSARY_NAMES",
    "UNDEFINED",
    "Claim",
    "Direction",
    "change_words",
    "describe_number",
    "describe_ratio",
    "direction",
    "factor_words",
    "has_nan_text",
    "regime_claim",
    "std_factor_from_variance_factor",
    "why_differs_claim",
]

Direction = Literal["shrinks", "grows", "stays level", "undefined"]

#: Relative band around a ratio of 1 that counts as "stays level" when no tolerance is given.
DEFAULT_TOLERANCE = 0.1

#: What a NaN is called in text.
UNDEFINED = "undefined (the computation overflowed or divided zero by zero)"

_NAN_TEXT = re.compile(r"(?<![A-Za-z])[+-]?nan(?![A-Za-z])|0 of 0", re.IGNORECASE)


@dataclass(frozen=True)
class Claim:
    """One statement a page shows, with the numbers it cites and the verdict it supports.

    Attributes
    ----------
    kind : str
        ``"measured"`` (from a run), ``"theory"`` (a prediction), ``"not_applicable"`` (the
        theory does not describe this case; ``text`` says why) or ``"why_differs"`` (explains a
        gap between the two).
    text : str
        Markdown, shown verbatim by the page.
    values : mapping of str to float
        The numbers the text cites, by name (read-only).
    verdict : str or None
        The decision the text states (e.g. a phase, a direction), None when there is none.
    applies : bool
        False when the theory behind the claim does not apply.
    """

    kind: str
    text: str
    values: Mapping[str, float] = field(default_factory=dict)
    verdict: str | None = None
    applies: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))


# --------------------------------------------------------------------------------------------
# Numbers in words
# --------------------------------------------------------------------------------------------


def has_nan_text(text: str) -> bool:
    """Whether ``text`` shows a NaN ("nan", "NaN", "+nan", "-nan") or the phrase "0 of 0".

    Parameters
    ----------
    text : str

    Returns
    -------
    bool
    """
    return _NAN_TEXT.search(text) is not None


def _plain(value: float, digits: int) -> str:
    """A finite non-zero number: ``digits`` significant digits, scientific outside [1e-3, 1e4)."""
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e4:
        if magnitude >= 10 ** max(digits, 1):  # .3g would write 1000 as 1e+03
            return f"{round(value):d}"
        return f"{value:.{digits}g}"
    return f"{value:.{max(digits - 1, 1)}e}"


def describe_number(x: float, *, digits: int = 3, zero_note: bool = False) -> str:
    """A number for text, never "NaN": non-finite values are named for what happened.

    Parameters
    ----------
    x : float
    digits : int, default 3
        Significant digits (>= 1).
    zero_note : bool, default False
        Write 0 as "0 (underflow or all zero)" (for measured values, where an exact 0 usually
        means the signal underflowed or every unit was 0).

    Returns
    -------
    str
        ``"overflow (∞)"`` for +inf, ``"−∞"`` for -inf, :data:`UNDEFINED` for NaN, ``"0"``,
        otherwise ``digits`` significant digits (scientific outside ``[1e-3, 1e4)``).

    Examples
    --------
    >>> describe_number(1234.5), describe_number(2e-7), describe_number(float("inf"))
    ('1234', '2.00e-07', 'overflow (∞)')
    """
    if digits < 1:
        raise ValueError(f"digits must be >= 1; got {digits}")
    x = float(x)
    if math.isnan(x):
        return UNDEFINED
    if math.isinf(x):
        return "overflow (∞)" if x > 0 else "−∞"
    if x == 0.0:
        return "0 (underflow or all zero)" if zero_note else "0"
    return _plain(x, digits)


def describe_ratio(top: float, bottom: float, *, digits: int = 3) -> str:
    """The ratio ``top / bottom`` of two magnitudes as "1/1000" or "×12", never "NaN".

    ``top`` is the later value (the end, e.g. the last layer), ``bottom`` the reference (the
    start, e.g. the first layer).

    Parameters
    ----------
    top, bottom : float
        Magnitudes (std, norm, mean square): >= 0, inf or NaN.
    digits : int, default 3

    Returns
    -------
    str
        ``"1/n"`` when the ratio is below 1, ``"×r"`` otherwise; for the degenerate cases:
        ``"undefined: both are zero"`` (0/0), ``"undefined: the start is zero"`` (x/0),
        ``"undefined: both overflowed"`` (inf/inf), ``"undefined: the start overflowed"``
        (x/inf), ``"×∞: the end overflowed"`` (inf/x), ``"×0: the end is zero"`` (0/x),
        ``"undefined: a value is itself undefined"`` (NaN in).

    Examples
    --------
    >>> describe_ratio(1e-3, 1.0), describe_ratio(12.0, 1.0), describe_ratio(0.0, 0.0)
    ('1/1000', '×12', 'undefined: both are zero')
    """
    top, bottom = float(top), float(bottom)
    if math.isnan(top) or math.isnan(bottom):
        return "undefined: a value is itself undefined"
    if math.isinf(top) and math.isinf(bottom):
        return "undefined: both overflowed"
    if bottom == 0.0:
        return "undefined: both are zero" if top == 0.0 else "undefined: the start is zero"
    if math.isinf(bottom):
        return "undefined: the start overflowed"
    if math.isinf(top):
        return "×∞: the end overflowed"
    if top == 0.0:
        return "×0: the end is zero"
    ratio = top / bottom
    if math.isinf(ratio):
        return "×∞: the ratio is beyond the float range"
    if ratio == 0.0:
        return "×0: the end underflowed relative to the start"
    if 0.0 < ratio < 1.0:
        inverse = bottom / top
        if math.isfinite(inverse):
            return "1/" + _plain(inverse, digits)
    return "×" + _plain(ratio, digits)


def _check_tolerance(tolerance: float) -> float:
    tol = float(tolerance)
    if not (math.isfinite(tol) and tol >= 0.0):
        raise ValueError(f"tolerance must be finite and >= 0; got {tolerance!r}")
    return tol


def direction(ratio: float, *, tolerance: float) -> Direction:
    """Whether a quantity shrinks, grows or stays level, from its end/start ratio.

    Parameters
    ----------
    ratio : float
        End over start (>= 0).
    tolerance : float
        Relative band (>= 0): ``ratio < 1/(1 + tolerance)`` shrinks, ``ratio > 1 + tolerance``
        grows, anything between stays level.

    Returns
    -------
    {"shrinks", "grows", "stays level", "undefined"}
        ``"undefined"`` for a non-finite or negative ratio (0/0, x/0, overflow: no honest
        direction).

    Raises
    ------
    ValueError
        Negative or non-finite tolerance.
    """
    tol = _check_tolerance(tolerance)
    r = float(ratio)
    if not math.isfinite(r) or r < 0.0:
        return "undefined"
    if r < 1.0 / (1.0 + tol):
        return "shrinks"
    if r > 1.0 + tol:
        return "grows"
    return "stays level"


def change_words(ratio: float, *, tolerance: float = DEFAULT_TOLERANCE, digits: int = 3) -> str:
    """A ratio as a verb phrase: "shrinks 1000-fold", "grows 12-fold", "stays level (×1.02)".

    Parameters
    ----------
    ratio : float
        End over start.
    tolerance : float, default :data:`DEFAULT_TOLERANCE`
        As in :func:`direction` (the phrase always agrees with it).
    digits : int, default 3

    Returns
    -------
    str
        Starts with the :func:`direction` word; ``"undefined (...)"`` when the direction is
        undefined.
    """
    r = float(ratio)
    word = direction(r, tolerance=tolerance)
    if word == "undefined":
        if math.isnan(r):
            return "undefined (the ratio itself is undefined: 0/0 or overflow)"
        if math.isinf(r):
            return "undefined (the ratio is infinite: the start is zero or the end overflowed)"
        return "undefined (a negative ratio of magnitudes)"
    if word == "stays level":
        return f"stays level (×{_plain(r, digits)})"
    if word == "grows":
        return f"grows {_plain(r, digits)}-fold"
    if r == 0.0:
        return "shrinks to zero"
    fold = 1.0 / r
    if math.isinf(fold):
        return "shrinks to zero (beyond the float range)"
    return f"shrinks {_plain(fold, digits)}-fold"


def std_factor_from_variance_factor(chi: float) -> float:
    r"""The factor on the standard deviation when the mean square changes by ``chi``.

    :math:`\chi_1` (and every "variance factor") multiplies the *mean square* (second moment,
    the variance of a zero-mean signal) per layer; the *standard deviation* (the RMS) changes by
    :math:`\sqrt{\chi}`. So "the mean square of the gradients shrinks by :math:`\chi_1` per
    layer" and "their std shrinks by :math:`\sqrt{\chi_1}`" say the same thing; "the gradients
    shrink by :math:`\chi_1`" about the std is wrong.

    Parameters
    ----------
    chi : float
        Mean-square factor, >= 0 (inf allowed: the std factor is inf).

    Returns
    -------
    float
        :math:`\sqrt{\chi}`.

    Raises
    ------
    ValueError
        ``chi`` negative or NaN.

    Examples
    --------
    >>> std_factor_from_variance_factor(0.25)
    0.5
    """
    c = float(chi)
    if math.isnan(c) or c < 0.0:
        raise ValueError(f"a mean-square factor is >= 0; got {chi!r}")
    return math.sqrt(c)


# --------------------------------------------------------------------------------------------
# The mean-field verdict as a claim
# --------------------------------------------------------------------------------------------


def factor_words(variance_factor: float, *, digits: int = 3) -> str:
    """A per-layer variance factor with the std factor it implies: ``"×2 (std ×1.41)"``.

    Home states the per-layer *std* factor √(fan_in·Var(W)·E[f′(z)²]); pages that measure
    variances say which factor a number is by quoting both. Non-finite or undefined factors
    are named (:func:`describe_number`), never written "nan".

    Parameters
    ----------
    variance_factor : float
        What one layer multiplies the variance (mean square) by.
    digits : int, default 3
        Significant digits of both numbers.

    Returns
    -------
    str
        ``"×v (std ×√v)"``, or the named non-finite value alone.

    Examples
    --------
    >>> factor_words(2.0)
    '×2 (std ×1.41)'
    >>> factor_words(0.25)
    '×0.25 (std ×0.5)'
    """
    v = float(variance_factor)
    if math.isnan(v) or v < 0.0:
        return UNDEFINED
    if math.isinf(v):
        return f"×{describe_number(v)}"
    std = std_factor_from_variance_factor(v)
    return f"×{describe_number(v, digits=digits)} (std ×{describe_number(std, digits=digits)})"


_PHASE_LABEL = {
    "ordered": "Ordered phase",
    "critical": "Critical (edge of chaos)",
    "chaotic": "Chaotic phase",
}


def _phase_sentence(r: core_regime.Regime) -> str:
    chi = describe_number(r.chi1)
    std = describe_number(std_factor_from_variance_factor(r.chi1))
    tol = describe_number(core_regime.CRITICAL_TOLERANCE)
    if r.phase == "ordered":
        return (
            f"**{_PHASE_LABEL['ordered']}** (χ₁ = {chi} < 1): gradients vanish with depth; per "
            f"layer their mean square is multiplied by χ₁ = {chi} (their std by √χ₁ = {std})."
        )
    if r.phase == "chaotic":
        return (
            f"**{_PHASE_LABEL['chaotic']}** (χ₁ = {chi} > 1): gradients explode with depth; per "
            f"layer their mean square is multiplied by χ₁ = {chi} (their std by √χ₁ = {std})."
        )
    text = (
        f"**{_PHASE_LABEL['critical']}** (χ₁ = {chi}, within {tol} of 1): the per-layer factor "
        "on the gradients' mean square is 1 to this tolerance, so nothing is multiplied away "
        "exponentially."
    )
    if r.fixed_point == "zero":
        text += (
            " But q* = 0: the signal still fades to 0 with depth (polynomially when χ₁ = 1 "
            "exactly), so signals and gradients do not hold steady."
        )
    return text


def _fixed_point_sentence(r: core_regime.Regime) -> str:
    if r.fixed_point == "zero":
        return "Signal length: q* = 0, the forward signal shrinks to zero with depth."
    if r.fixed_point == "finite":
        return f"Signal length: settles at a finite q* = {describe_number(r.q_star)}."
    if r.fixed_point == "infinite":
        return "Signal length: grows without bound (no finite fixed point q*)."
    return "Signal length: marginal, every q is a fixed point, so the signal keeps its size."


def _correlation_sentence(r: core_regime.Regime) -> str:
    c_star = describe_number(r.c_star)
    if r.decay == "exponential":
        if r.xi_c == 0.0:
            return f"Correlations: jump to c* = {c_star} in one layer (ξ_c = 0)."
        return (
            f"Correlations: approach c* = {c_star} exponentially, with depth scale "
            f"ξ_c = {describe_number(r.xi_c)} layers."
        )
    if r.decay == "polynomial":
        return f"Correlations: approach {c_star} polynomially: no exponential depth scale ξ_c."
    return "Correlations: preserved (linear map): no correlation depth scale ξ_c."


def _edge_sentence(r: core_regime.Regime) -> str:
    b = describe_number(r.sigma_b2)
    if r.edge_sigma_w2 is not None:
        return (
            f"Edge of chaos at σ_b² = {b}: σ_w² = {describe_number(r.edge_sigma_w2, digits=4)} "
            "(χ₁ = 1 there)."
        )
    return f"No edge of chaos: {r.edge_note}"


def regime_claim(activation: str, sigma_w2: float, sigma_b2: float, init: str) -> Claim:
    r"""The mean-field verdict for a network, gated on whether the theory applies to ``init``.

    Parameters
    ----------
    activation : str
        A name from :data:`core.activations.NAMES`.
    sigma_w2, sigma_b2 : float
        :math:`\sigma_w^2 = \text{fan\_in}\cdot\operatorname{Var}(W)` and
        :math:`\sigma_b^2 = \operatorname{Var}(b)`, finite, >= 0.
    init : str
        A key of :data:`core.registry.REGISTRY`.

    Returns
    -------
    Claim
        ``kind="not_applicable"``, ``applies=False``, ``verdict=None`` with the reason when
        :func:`core.regime.mean_field_applies` says no (zeros, constant, identity). Otherwise
        ``kind="theory"``, ``verdict`` the phase (``"ordered"``, ``"critical"``, ``"chaotic"``;
        critical means ``|chi1 - 1| <= CRITICAL_TOLERANCE``) and a text naming the phase with
        χ₁ (and √χ₁ for the std), the fixed point q*, the correlation depth scale or why there
        is none, the edge of chaos (or why there is none), the regime's notes and, for
        orthogonal weights, the caveat. ``values`` holds ``chi1``, ``std_factor``,
        ``sigma_w2``, ``sigma_b2``, ``xi_c``, ``c_star``, plus ``q_star`` (unless marginal) and
        ``edge_sigma_w2`` (when there is an edge).

    Raises
    ------
    ValueError
        Unknown activation or initializer, negative or non-finite variances.
    """
    applies, reason = core_regime.mean_field_applies(init)
    if not applies:
        return Claim(
            kind="not_applicable",
            text=(
                f"**Mean-field theory does not apply to `{init}` weights:** {reason} "
                "So no phase, fixed point or depth scale is predicted here."
            ),
            values={"sigma_w2": float(sigma_w2), "sigma_b2": float(sigma_b2)},
            verdict=None,
            applies=False,
        )
    r = core_regime.regime(activation, sigma_w2, sigma_b2)
    values: dict[str, float] = {
        "chi1": r.chi1,
        "std_factor": std_factor_from_variance_factor(r.chi1),
        "sigma_w2": r.sigma_w2,
        "sigma_b2": r.sigma_b2,
        "xi_c": r.xi_c,
        "c_star": r.c_star,
    }
    if r.fixed_point != "marginal":
        values["q_star"] = r.q_star
    if r.edge_sigma_w2 is not None:
        values["edge_sigma_w2"] = r.edge_sigma_w2
    lines = [
        _phase_sentence(r),
        _fixed_point_sentence(r),
        _correlation_sentence(r),
        _edge_sentence(r),
    ]
    lines.extend(r.notes)
    if reason:
        lines.append(f"Caveat ({init}): {reason}")
    return Claim(
        kind="theory",
        text="\n\n".join(lines),
        values=values,
        verdict=r.phase,
        applies=True,
    )


# --------------------------------------------------------------------------------------------
# Why a measurement differs from the small-signal rule
# --------------------------------------------------------------------------------------------

#: Heading of the one visible "why this differs" explanation a page shows.
WHY_DIFFERS_HEADING = "Why this differs from the simple rule"


def why_differs_claim(
    activation: str,
    sigma_w2: float,
    q: float,
    measured_std_factor: float,
    *,
    unit: str = "layer",
    tolerance: float = 0.05,
) -> Claim | None:
    r"""Why a measured per-layer std factor differs from the small-signal rule, or None.

    The rule :math:`\sqrt{\sigma_w^2\,\mathbb E[f'(0)^2]}` uses the slope at a vanishing
    signal. At the measured pre-activation variance ``q`` the unit sees
    :math:`\mathbb E[f'(\sqrt q z)^2]` instead (for tanh: below 1 once the signal is not small),
    so the gradients' factor is :math:`\chi_1(q) = \sigma_w^2\,\mathbb E[f'(\sqrt q z)^2]` and
    the forward std factor of the pre-activations is
    :math:`\sqrt{\sigma_w^2\,\mathbb E[f(\sqrt q z)^2] / q}`.

    Parameters
    ----------
    activation : str
    sigma_w2 : float
        fan_in * Var(W), finite, >= 0.
    q : float
        A measured pre-activation variance (e.g. the geometric mean over layers), > 0 finite.
    measured_std_factor : float
        The measured per-layer factor of the std.
    unit : str, default "layer"
    tolerance : float, default 0.05
        Relative gap below which the rule counts as agreeing (returns None).

    Returns
    -------
    Claim or None
        ``kind="why_differs"``; None when rule and measurement agree within ``tolerance`` or a
        value is not finite and positive (nothing to explain honestly).
    """
    w, q, measured = float(sigma_w2), float(q), float(measured_std_factor)
    rule = math.sqrt(w * core_theory.mean_square_derivative(activation, 0.0))
    if not all(math.isfinite(v) and v > 0 for v in (w, q, measured, rule)):
        return None
    if abs(measured / rule - 1.0) <= tolerance:
        return None
    d2 = core_theory.mean_square_derivative(activation, q)
    chi = w * d2
    forward = math.sqrt(w * core_theory.mean_square(activation, q) / q)
    closer = abs(math.log(forward / measured)) < abs(math.log(rule / measured))
    verdict = "explains most of the gap" if closer else "does not explain the gap by itself"
    text = (
        f"**{WHY_DIFFERS_HEADING}.** The rule √(σ_w²·E[f′(0)²]) = {describe_number(rule)} uses "
        f"the slope at z = 0, i.e. a vanishing signal; the network measures a std factor of "
        f"{describe_number(measured)} per {unit}. Its pre-activations have variance q ≈ "
        f"{describe_number(q)} (measured), and at that size {activation} has "
        f"E[f′(√q z)²] = {describe_number(d2)}: the gradients' mean-square factor is "
        f"χ₁(q) = σ_w²·E[f′(√q z)²] = {describe_number(chi)} (std √χ₁ = "
        f"{describe_number(math.sqrt(chi))}), and the forward std factor at that q is "
        f"√(σ_w²·E[f(√q z)²]/q) = {describe_number(forward)}, which {verdict} "
        f"(rule {describe_number(rule)}, measured {describe_number(measured)})."
    )
    return Claim(
        kind="why_differs",
        text=text,
        values={
            "rule": rule,
            "measured": measured,
            "q": q,
            "chi1_at_q": chi,
            "forward_at_q": forward,
        },
        verdict="explained" if closer else "unexplained",
    )


# --------------------------------------------------------------------------------------------
# Glossary (hover help)
# --------------------------------------------------------------------------------------------

#: One-sentence plain definitions, keyed by symbol name, for hover help.
GLOSSARY: Mapping[str, str] = MappingProxyType(
    {
        "chi1": (
            "χ₁ is the factor by which each layer multiplies the mean square of the "
            "back-propagated gradients (their std changes by √χ₁): below 1 they vanish, above 1 "
            "they explode."
        ),
        "xi_c": (
            "ξ_c is the number of layers over which the correlation between two inputs settles "
            "to its fixed point; networks much deeper than a few ξ_c cannot tell inputs apart."
        ),
        "q_star": (
            "q* is the fixed point of the signal's mean square (pre-activation length) that a "
            "deep network settles to, layer after layer."
        ),
        "c_star": (
            "c* is the correlation that two different inputs' signals settle to deep in the "
            "network (1 means they become indistinguishable)."
        ),
        "fan_in": (
            "fan_in is the number of inputs feeding one unit: n_in for a dense layer, "
            "kh·kw·c_in for a convolution."
        ),
        "fan_out": (
            "fan_out is the number of units one input feeds: n_out for a dense layer, "
            "kh·kw·c_out for a convolution."
        ),
        "gain": (
            "The gain g multiplies the weights' standard deviation to compensate for what the "
            "activation does to the signal, such as √2 for ReLU or 5/3 for tanh."
        ),
        "sigma_w2": (
            "σ_w² = fan_in·Var(W) is the weight variance on the scale mean-field theory uses: "
            "1 for LeCun, 2 for He, independent of the layer width."
        ),
        "sigma_b2": "σ_b² = Var(b) is the variance of the biases at initialization.",
        "edge_of_chaos": (
            "The edge of chaos is the boundary χ₁ = 1 between the ordered phase (signals and "
            "gradients vanish) and the chaotic phase (they explode), where the depth scales "
            "diverge and very deep networks can train."
        ),
        "q_l": (
            "q^l is the mean square of the pre-activations at layer l (their variance when they "
            "are centred), the signal's size that mean-field theory follows layer by layer."
        ),
        "xi_q": ("ξ_q is the number of layers over which q^l settles to its fixed point q*."),
        "std_factor": (
            "The std factor is what one layer multiplies the signal's standard deviation by, "
            "roughly √(fan_in·Var(W)·E[f′(z)²]); depth compounds it."
        ),
        "small_signal_scale": (
            "The small-signal scale is the σ_w² at which a small signal keeps its size, "
            "1/E[f′(0)²]: 1 for tanh and linear, 2 for ReLU."
        ),
        "mean_field": (
            "Mean-field theory predicts a wide random network's per-layer statistics by "
            "treating every pre-activation as Gaussian with the same variance q^l."
        ),
        "saturation": (
            "A saturated unit sits where its activation is flat (|f′(z)| below 5% of its "
            "maximum), so almost no gradient passes through it."
        ),
        "receptive_field": (
            "The receptive field of a convolution is kh·kw, the number of positions one "
            "kernel reads per input channel, which multiplies both fans."
        ),
        "spectral_radius": (
            "The spectral radius of W_hh is its largest |eigenvalue|, the factor a recurrent "
            "signal is multiplied by per time step in the long run."
        ),
        "dynamical_isometry": (
            "Dynamical isometry means every singular value of the input-output Jacobian is "
            "near 1, so signals in every direction keep their size through depth."
        ),
        "clipping": (
            "Gradient clipping rescales the whole gradient to a maximum norm whenever it is "
            "larger, so a single huge gradient cannot throw the weights far away."
        ),
        "symmetry": (
            "Symmetric neurons (clones) have identical incoming weights, get identical "
            "gradients and so stay identical: a layer of clones acts as one neuron."
        ),
        "lsuv": (
            "LSUV (layer-sequential unit variance) starts from orthogonal weights and rescales "
            "each layer until its outputs have variance 1 on a batch of data."
        ),
    }
)

#: How each :data:`GLOSSARY` term is written in the Glossary expander.
GLOSSARY_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "chi1": "χ₁ (chi-one)",
        "xi_c": "ξ_c (correlation depth scale)",
        "xi_q": "ξ_q (length depth scale)",
        "q_star": "q* (fixed point)",
        "q_l": "q^l (pre-activation mean square)",
        "c_star": "c* (fixed-point correlation)",
        "fan_in": "fan-in",
        "fan_out": "fan-out",
        "gain": "gain g",
        "sigma_w2": "σ_w²",
        "sigma_b2": "σ_b²",
        "edge_of_chaos": "edge of chaos",
        "std_factor": "std factor",
        "small_signal_scale": "small-signal scale",
        "mean_field": "mean-field theory",
        "saturation": "saturated unit",
        "receptive_field": "receptive field",
        "spectral_radius": "spectral radius ρ",
        "dynamical_isometry": "dynamical isometry",
        "clipping": "gradient clipping",
        "symmetry": "symmetric neurons",
        "lsuv": "LSUV",
    }
)
