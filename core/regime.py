r"""One verdict on the mean-field regime of a network, for every page to quote.

:func:`regime` answers, for an activation and the weight and bias variances
:math:`(\sigma_w^2, \sigma_b^2)`, the questions the pages ask of mean-field theory (Poole et al.
2016; Schoenholz et al. 2017): where the signal length goes (:math:`q^*` and its kind), the
gradient factor :math:`\chi_1`, the phase, the correlation fixed point :math:`c^*`, the slope
:math:`\chi_c` there, the depth scales :math:`\xi_q`, :math:`\xi_c`, *how* correlations approach
:math:`c^*`, and where the edge of chaos is at this :math:`\sigma_b^2`. "Critical" means one thing
everywhere: :math:`|\chi_1 - 1| \le` :data:`CRITICAL_TOLERANCE`.

The cases the generic formulas get wrong are handled explicitly:

* **q* = 0** (``sigma_b2 = 0``, ``f(0) = 0``, small weights). The normalized correlation map at
  vanishing signal is the kernel of the small-signal limit of ``f``: the identity when ``f`` is
  smooth at 0 (tanh, elu, gelu, ...: correlations are preserved, ``decay = "none"``), the
  arc-cosine-type kernel when ``f`` has a kink at 0 (relu, leaky relu, selu: slope 1 at ``c = 1``,
  so correlations creep to 1 polynomially, ``decay = "polynomial"``). Either way
  :math:`\chi_c = 1` and :math:`\xi_c = \infty`; :math:`\chi_1` (the gradient factor) is still the
  small-signal limit :math:`\sigma_w^2 \mathbb E[f'(0^\pm z)^2]`.
* **Homogeneous activations** (relu, leaky relu, linear) at ``sigma_b2 = 0``: the correlation map
  does not depend on :math:`\sigma_w^2` at all (Cho & Saul 2009), so there is no exponential
  correlation scale at any :math:`\sigma_w^2`; exactly at the edge every :math:`q` is a fixed
  point (``fixed_point = "marginal"``).
* **q* = inf**: the correlation map tends to the kernel of the large-signal limit of ``f``
  (relu-like for elu, selu, gelu, silu): polynomial approach to ``c = 1``.
* **Exactly critical** (:math:`|\chi - 1| \le 10^{-8}`): the approach is algebraic, not
  exponential (Schoenholz et al. 2017), so the depth scale is ``inf`` and ``decay`` is
  ``"polynomial"``.

References
----------
The mean-field papers listed in :mod:`core.theory` (Poole et al. 2016; Schoenholz et al. 2017;
Pennington et al. 2017; Cho & Saul 2009 for the arc-cosine kernel), and for convolutions
Xiao, Bahri, Sohl-Dickstein, Schoenholz, Pennington (2018). Dynamical Isometry and a Mean Field
Theory of CNNs. ICML. arXiv:1806.05393.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from core import activations as _activations
from core import theory
from core.activations import Activation

__all__ = ["CRITICAL_TOLERANCE", "Regime", "mean_field_applies", "phase_of", "regime"]

CRITICAL_TOLERANCE = 0.02  # |chi1 - 1| <= this is "critical"
_EXACT = 1e-8  # |rate - 1| <= this: marginal, the approach is algebraic (no depth scale)
_Q_ZERO = 1e-10  # with sigma_b2 = 0, q* below this is the q* = 0 fixed point
_EDGE_ATOL = 1e-3  # an edge is reported only where chi1 is this close to 1
_SCAN = np.logspace(-3.0, 4.0, 141)  # sigma_w2 scanned for an edge the critical line misses
_SCAN.setflags(write=False)

FixedPoint = Literal["zero", "finite", "infinite", "marginal"]
Phase = Literal["ordered", "critical", "chaotic"]
Decay = Literal["exponential", "polynomial", "none"]


@dataclass(frozen=True)
class Regime:
    r"""The mean-field regime of a deep network at :math:`(\sigma_w^2, \sigma_b^2)`.

    Attributes
    ----------
    activation : str
    sigma_w2, sigma_b2 : float
        fan_in * Var(W) and Var(b).
    fixed_point : {"zero", "finite", "infinite", "marginal"}
        Where the length map goes from ``q = 1``: to 0, to a finite ``q* > 0``, without bound, or
        nowhere because every ``q`` is fixed (homogeneous activation exactly at the edge with
        ``sigma_b2 = 0``).
    q_star : float
        0.0, finite, ``inf``, or ``nan`` for ``"marginal"``.
    chi1 : float
        :math:`\sigma_w^2\,\mathbb E[f'(\sqrt{q^*} z)^2]`, the per-layer factor of the mean squared
        gradient; at ``q* = 0`` / ``inf`` the small- / large-signal limit. Never NaN.
    phase : {"ordered", "critical", "chaotic"}
        ``"critical"`` when ``|chi1 - 1| <= CRITICAL_TOLERANCE``, else by the sign of
        ``chi1 - 1``.
    c_star : float
        The stable correlation fixed point (1.0 in the ordered phase; 1.0 also where every
        correlation is preserved, ``decay = "none"``).
    chi_c : float
        Slope of the normalized correlation map at ``c_star`` (1.0 where the approach is not
        exponential).
    xi_q, xi_c : float
        Depth scales of the length and of correlations, :math:`-1/\ln(\text{slope})`; ``inf``
        where the approach is not exponential (no fixed point, marginal, exactly critical).
    decay : {"exponential", "polynomial", "none"}
        How correlations approach ``c_star``: ``"none"`` = preserved (linear map); polynomial =
        slope exactly 1 at ``c_star`` (relu-like kernels at ``q* = 0`` or ``inf``, the critical
        point).
    edge_sigma_w2 : float or None
        The ``sigma_w2`` with ``chi1 = 1`` at this ``sigma_b2`` (to 1e-3), if there is one.
    edge_note : str or None
        Why there is no edge, when ``edge_sigma_w2`` is None.
    homogeneous : bool
        relu, leaky_relu, linear: ``f(a z) = a f(z)`` for ``a > 0``.
    notes : tuple of str
        Plain-English caveats a page can show verbatim.
    """

    activation: str
    sigma_w2: float
    sigma_b2: float
    fixed_point: FixedPoint
    q_star: float
    chi1: float
    phase: Phase
    c_star: float
    chi_c: float
    xi_q: float
    xi_c: float
    decay: Decay
    edge_sigma_w2: float | None
    edge_note: str | None
    homogeneous: bool
    notes: tuple[str, ...]


def _xi(rate: float) -> float:
    """-1/ln(rate) for 0 <= rate < 1 - _EXACT; 0 at rate 0; inf otherwise."""
    if rate <= 0.0:
        return 0.0
    if rate >= 1.0 - _EXACT:
        return math.inf
    return -1.0 / math.log(rate)


def _kinked(a: Activation, z: float) -> bool:
    """Whether the one-sided slopes f'(-z), f'(+z) differ (the limit of f is not linear)."""
    lo, hi = (float(v) for v in a.df(np.array([-z, z])))
    return not math.isclose(lo, hi, rel_tol=1e-6, abs_tol=1e-12)


def phase_of(chi1: float) -> Phase:
    """The phase of a gradient factor chi1: "critical" within :data:`CRITICAL_TOLERANCE` of 1."""
    if abs(chi1 - 1.0) <= CRITICAL_TOLERANCE:
        return "critical"
    return "ordered" if chi1 < 1.0 else "chaotic"


def regime(activation: str | Activation, sigma_w2: float, sigma_b2: float = 0.0) -> Regime:
    r"""The mean-field regime of a deep fully connected network.

    Length map :math:`q^l = \sigma_w^2 \mathbb E[f(\sqrt{q^{l-1}} z)^2] + \sigma_b^2` from
    :math:`q^0 = 1` (Poole et al. 2016), :math:`\chi_1`, the correlation fixed point and the depth
    scales (Schoenholz et al. 2017), with the special cases described in the module docstring.
    All numbers come from :mod:`core.theory`.

    Parameters
    ----------
    activation : str or Activation
        A name from :data:`core.activations.NAMES`.
    sigma_w2, sigma_b2 : float
        Finite, >= 0.

    Returns
    -------
    Regime

    Raises
    ------
    ValueError
        Unknown activation, negative or non-finite variances.

    Examples
    --------
    >>> r = regime("relu", 1.0)
    >>> r.fixed_point, r.phase, r.decay, r.xi_c
    ('zero', 'ordered', 'polynomial', inf)
    """
    if isinstance(activation, str):
        # The same point is asked for by several pages and sentences on every rerun, and a
        # chaotic point costs tens to hundreds of ms (the c* solve): remember recent answers.
        # A Regime is frozen, so sharing one between callers is safe.
        return _regime_of_name(activation, float(sigma_w2), float(sigma_b2))
    return _regime(activation, sigma_w2, sigma_b2)


@functools.lru_cache(maxsize=512)
def _regime_of_name(name: str, sigma_w2: float, sigma_b2: float) -> Regime:
    return _regime(name, sigma_w2, sigma_b2)


def _regime(activation: str | Activation, sigma_w2: float, sigma_b2: float) -> Regime:
    """:func:`regime` without the memo (validates and computes)."""
    a, w, b = theory._scalar_args(activation, sigma_w2, sigma_b2)
    hom = a.name in theory._HOMOGENEOUS
    notes: list[str] = []
    if hom and b == 0.0 and w * theory._kappa(a) == 1.0:
        fixed: FixedPoint = "marginal"
        q, x1, c, chi_c, xi_q = math.nan, 1.0, 1.0, 1.0, math.inf
        decay: Decay = "none" if a.name == "linear" else "polynomial"
        notes.append(
            "Exactly at the edge with no bias: every input length is a fixed point, so the "
            "signal keeps its size at every depth (in the infinite-width limit)."
        )
    else:
        q, x1, c, chi_c, rate_q = theory._fixed_scalar(a, w, b)
        if 0.0 < q < _Q_ZERO and b == 0.0:  # the solver's rounding-level rest at a marginal q* = 0
            q = 0.0
            x1 = w * theory.mean_square_derivative(a, 0.0)
            rate_q = w * float(theory._dm(a, np.array(theory._TINY_Q)))
        xi_q = _xi(rate_q)
        if w == 0.0:
            fixed = "zero" if q == 0.0 else "finite"
            c, chi_c, decay = 1.0, 0.0, "exponential"
            notes.append("sigma_w2 = 0: every unit outputs its bias; inputs are forgotten.")
        elif q == 0.0 or math.isinf(q):
            fixed = "zero" if q == 0.0 else "infinite"
            xi_q = xi_q if q == 0.0 else math.inf
            c, chi_c = 1.0, 1.0
            limit_kinked = _kinked(a, 1e-12 if q == 0.0 else 1e12)
            decay = "polynomial" if limit_kinked or abs(x1 - 1.0) <= _EXACT else "none"
            notes.extend(_limit_notes(q, x1, decay, limit_kinked))
        else:
            fixed = "finite"
            if x1 <= 1.0:
                c, chi_c = 1.0, x1
            c = 0.0 if abs(c) < 1e-12 else c
            if chi_c >= 1.0 - _EXACT or (x1 > 1.0 and c >= 1.0):
                decay, chi_c = "polynomial", 1.0  # marginal (to rounding): algebraic approach
            else:
                decay = "exponential"
            if x1 > 1.0 and decay == "exponential":
                notes.append(
                    f"Chaotic: nearby inputs decorrelate towards c* = {c:.3g} within about "
                    f"{_xi(chi_c):.3g} layers, and the gradients' mean square grows by "
                    f"chi1 = {x1:.3g} per layer."
                )
    if decay == "exponential":
        xi_c = _xi(chi_c)
        if not math.isfinite(xi_c):
            decay = "polynomial"
    else:
        xi_c = math.inf
    phase = phase_of(x1)
    if phase == "critical" and decay == "exponential":
        notes.append(
            f"Near the edge of chaos: correlations settle over xi_c = {xi_c:.3g} layers; "
            "networks up to a few xi_c deep train."
        )
    edge, edge_note = _edge(a.name, a.negative_slope, b)
    return Regime(
        activation=a.name,
        sigma_w2=w,
        sigma_b2=b,
        fixed_point=fixed,
        q_star=float(q),
        chi1=float(x1),
        phase=phase,
        c_star=float(c),
        chi_c=float(chi_c),
        xi_q=float(xi_q),
        xi_c=float(xi_c),
        decay=decay,
        edge_sigma_w2=edge,
        edge_note=edge_note,
        homogeneous=hom,
        notes=tuple(notes),
    )


def _limit_notes(q: float, x1: float, decay: Decay, kinked: bool) -> list[str]:
    """Plain-English notes for q* = 0 (small-signal limit) and q* = inf (large-signal limit)."""
    if math.isinf(q):
        out = [
            "The length map has no fixed point: the signal grows without bound with depth; "
            "chi1 is its large-signal limit."
        ]
        if decay == "polynomial":
            out.append(
                "Large signals see a relu-like kernel: correlations creep towards 1 "
                "polynomially, so there is no exponential depth scale xi_c."
            )
        return out
    out = ["With no bias the signal shrinks to 0 (q* = 0); chi1 is the small-signal limit."]
    if abs(x1 - 1.0) <= _EXACT:
        out.append(
            "At this critical point q* = 0: signals and gradients do not hold steady, they "
            "decay polynomially with depth (not exponentially)."
        )
    elif kinked:
        out.append(
            "The correlation map does not depend on sigma_w2 here (the arc-cosine kernel of a "
            "kinked unit): correlations creep towards 1 polynomially, not within a few layers; "
            "there is no exponential depth scale xi_c."
        )
    else:
        out.append(
            "Small signals pass an almost linear unit: correlations between inputs are "
            "preserved while their size vanishes, so there is no correlation depth scale xi_c."
        )
    return out


@functools.lru_cache(maxsize=256)
def _edge(name: str, slope: float | None, b: float) -> tuple[float | None, str | None]:
    """(edge_sigma_w2, None) or (None, reason) for the activation at sigma_b2 = b."""
    a = _activations.get(name, negative_slope=0.01 if slope is None else slope)
    crit = float(theory.critical_sigma_w2(a, b))
    if math.isfinite(crit) and abs(float(theory.chi1(a, crit, b)) - 1.0) < _EDGE_ATOL:
        return crit, None
    x1 = theory.phase_diagram(a, _SCAN, np.array([b])).chi1[:, 0]
    above = np.flatnonzero(x1 >= 1.0)
    where = f"{name} at sigma_b2 = {b:g}"
    if above.size == 0:
        return None, (
            f"{where}: chi1 stays below 1 for every sigma_w2 up to 1e4 "
            f"(chi1 = {x1[-1]:.3g} there); there is no edge of chaos."
        )
    if above[0] == 0:
        return None, f"{where}: chi1 > 1 already at sigma_w2 = 1e-3; no edge of chaos."
    lo, hi = float(_SCAN[above[0] - 1]), float(_SCAN[above[0]])
    for _ in range(45):  # chi1 is nondecreasing in sigma_w2 along the scan
        mid = math.sqrt(lo * hi)
        if float(theory.chi1(a, mid, b)) < 1.0:
            lo = mid
        else:
            hi = mid
    if abs(float(theory.chi1(a, hi, b)) - 1.0) < _EDGE_ATOL:
        return hi, None
    # a jump: report both sides just off it (at it, q = 1 is itself an unstable fixed point)
    lo, hi = lo * (1.0 - 1e-4), hi * (1.0 + 1e-4)
    x_lo, x_hi = float(theory.chi1(a, lo, b)), float(theory.chi1(a, hi, b))
    q_lo, q_hi = (float(theory.q_star(a, s, b)) for s in (lo, hi))
    return None, (
        f"{where}: q* jumps from {_q_text(q_lo)} to {_q_text(q_hi)} at sigma_w2 ~ {hi:.3g} "
        f"(for inputs with q = 1), where chi1 jumps from {x_lo:.2f} to {x_hi:.2f}; chi1 is "
        "never 1."
    )


def _q_text(q: float) -> str:
    if q == 0.0:
        return "0"
    return "infinity" if math.isinf(q) else f"{q:.3g}"


def mean_field_applies(init: str) -> tuple[bool, str]:
    """Whether mean-field theory describes a network initialized with ``init``, and why not.

    Mean-field theory (Poole et al. 2016; Schoenholz et al. 2017) assumes i.i.d. zero-mean
    weights with variance ``sigma_w2 / fan_in``, Gaussian or any finite-variance law (uniform,
    truncated normal), so that pre-activations are Gaussian at large width. Decided from the
    registry's ``family`` and exact scale (:mod:`core.registry`):

    * ``constant`` family: zeros (std 0) has no randomness to average over; a non-zero constant
      makes every unit a clone, so the law of large numbers over units does not apply.
    * ``identity`` family: a deterministic matrix.
    * ``orthogonal`` family (orthogonal, delta-orthogonal): **applies**, with a note. An
      orthogonal matrix scaled by ``g`` maps every input to ``g`` times its norm and preserves
      inner products, so the length and correlation maps hold (exactly for the linear part, and
      for the pre-activations at large width, where the rows act like independent directions);
      Pennington et al. (2017) and Xiao et al. (2018) analyse exactly this case. What differs is
      the spread of the Jacobian's singular values (dynamical isometry), not chi1.
    * ``random`` and ``variance_scaling``: applies.

    Parameters
    ----------
    init : str
        A key of :data:`core.registry.REGISTRY`.

    Returns
    -------
    applies : bool
    reason : str
        Why not (or the caveat when it applies), "" when it simply applies.

    Raises
    ------
    ValueError
        Unknown initializer.
    """
    from core import registry  # lazy: registry pulls in the samplers

    spec = registry.REGISTRY.get(init) if isinstance(init, str) else None
    if spec is None:
        raise ValueError(f"unknown initializer {init!r}")
    if spec.family == "constant":
        if spec.scale((4, 4), spec.defaults).std == 0.0:
            return False, "every weight is 0: no randomness to average over."
        return False, (
            "identical weights: every unit is a clone, the law of large numbers over units "
            "does not apply."
        )
    if spec.family == "identity":
        return False, "a deterministic matrix: there is no randomness to average over."
    if spec.family == "orthogonal":
        return True, (
            "not i.i.d., but an orthogonal matrix preserves lengths and angles, so the variance "
            "and correlation maps still hold at large width; the Jacobian's singular-value "
            "spread differs from the i.i.d. case (Pennington et al. 2017)."
        )
    return True, ""
