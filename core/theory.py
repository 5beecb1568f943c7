r"""Mean-field signal propagation: what theory predicts the per-layer charts should show.

A deep fully connected network with i.i.d. weights :math:`W_{ij} \sim \mathcal N(0,
\sigma_w^2/n)` and biases :math:`b_i \sim \mathcal N(0, \sigma_b^2)` is, at large width, described
by a few deterministic maps (Poole et al. 2016; Schoenholz et al. 2017):

* the **length map** of the pre-activation second moment
  :math:`q^l = \sigma_w^2\, \mathbb E_z[f(\sqrt{q^{l-1}} z)^2] + \sigma_b^2`, :math:`z \sim \mathcal
  N(0, 1)`, with fixed point :math:`q^*`;
* the slope of the correlation map at :math:`c = 1`,
  :math:`\chi_1 = \sigma_w^2\, \mathbb E_z[f'(\sqrt{q^*} z)^2]`: :math:`\chi_1 < 1` is the ordered
  phase (gradients vanish, inputs become indistinguishable), :math:`\chi_1 > 1` the chaotic phase
  (gradients explode, nearby inputs decorrelate), :math:`\chi_1 = 1` the edge of chaos;
* the **correlation map** :math:`c^{l} = (\sigma_w^2\, \mathbb E[f(u_1) f(u_2)] + \sigma_b^2) / q^*`
  with :math:`(u_1, u_2)` Gaussian, variances :math:`q^*` and correlation :math:`c^{l-1}`;
* the depth scales :math:`\xi_q` and :math:`\xi_c` over which the length and the correlation reach
  their fixed points; signals (and gradients) survive about :math:`\xi_c` layers, so networks
  train when their depth is within a few :math:`\xi_c` (Schoenholz et al. 2017).

Gaussian expectations use composite Gauss--Legendre rules split where relu-like functions have
their kink (z = 0 in one dimension; four rays through the origin, in polar coordinates, in two)
and graded towards it: relative error ~1e-12 for every activation here, where probabilists'
Gauss--Hermite (:func:`core.activations.gauss_hermite`) with 100 nodes is off by 2 % for
softsign's E[f'^2] and by 90 % for tanh at q = 100. Closed forms are used where they exist:
linear, relu and leaky_relu are positively homogeneous, so
:math:`\mathbb E[f(\sqrt q z)^2] = \kappa q` and the relu correlation map
is the degree-1 arc-cosine kernel (Cho & Saul 2009)
:math:`\mathbb E[\mathrm{relu}(u_1)\mathrm{relu}(u_2)] = \tfrac{q}{2\pi}(\sqrt{1-c^2} + (\pi -
\arccos c)\, c)`.

Conventions used by every function here
---------------------------------------
* ``activation`` is a name from :data:`core.activations.NAMES` or an
  :class:`core.activations.Activation`.
* ``sigma_w2 >= 0`` and ``sigma_b2 >= 0`` must be finite; anything else raises ValueError.
* **No fixed point.** When the length map grows without bound (e.g. relu with
  ``sigma_w2 > 2``, or ``sigma_w2 = 2`` with ``sigma_b2 > 0``; linear with ``sigma_w2 > 1``)
  :func:`q_star` returns ``inf``; :func:`chi1` then reports the ``q -> inf`` limit; the depth
  scales are undefined and reported as ``nan``.
* When ``sigma_b2 = 0`` and ``f(0) = 0`` the fixed point can be ``q* = 0`` (e.g. tanh with
  ``sigma_w2 < 1``); quantities at ``q* = 0`` are the ``q -> 0+`` limits.
* Functions return a Python ``float`` for scalar inputs and a float64 array of the broadcast shape
  otherwise. No floating-point warnings are emitted.

References
----------
.. [1] Poole, B., Lahiri, S., Raghu, M., Sohl-Dickstein, J., Ganguli, S. (2016). Exponential
   expressivity in deep neural networks through transient chaos. arXiv:1606.05340.
.. [2] Schoenholz, S. S., Gilmer, J., Ganguli, S., Sohl-Dickstein, J. (2017). Deep Information
   Propagation. ICLR. arXiv:1611.01232.
.. [3] Pennington, J., Schoenholz, S. S., Ganguli, S. (2017). Resurrecting the sigmoid in deep
   learning through dynamical isometry: theory and practice. NeurIPS. arXiv:1711.04735.
.. [4] Cho, Y., Saul, L. K. (2009). Kernel Methods for Deep Learning. NeurIPS.
.. [5] Saxe, A. M., McClelland, J. L., Ganguli, S. (2013). Exact solutions to the nonlinear
   dynamics of learning in deep linear neural networks. arXiv:1312.6120.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from core import activations as _activations
from core._checks import check_activation, check_int, check_nonnegative_array
from core.activations import Activation
from core.quadrature import normal_rule, radial_rule

__all__ = [
    "PhaseDiagram",
    "PredictedStats",
    "chi1",
    "correlation_fixed_point",
    "correlation_map",
    "critical_sigma_w2",
    "depth_scales",
    "length_map",
    "mean_square",
    "mean_square_derivative",
    "phase_diagram",
    "predicted_stats",
    "q_star",
]

ActivationLike = str | Activation
Array = np.ndarray

# Quadrature sizes. Even node counts: no node at z = 0, where relu-like functions have a kink.
_K = 64  # Hermite (Mehler) terms of the correlation function in phase_diagram
_TINY_Q = 1e-300  # q -> 0+ limits are evaluated here
_BIG_Q = 1e100  # q -> inf limits are evaluated here (f(u1) f(u2) stays far from overflow)
_Q_OVERFLOW = 1e250  # the length map is reported as inf beyond this
_BISECT = 60  # bisection steps on log q: the bracket shrinks by 2^60
_HOMOGENEOUS = ("linear", "relu", "leaky_relu")


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------
_act = check_activation
_variance = check_nonnegative_array


def _positive_int(name: str, value: object, high: int = 100_000) -> int:
    return check_int(name, value, 1, high)


def _scalar_args(
    activation: ActivationLike, sigma_w2: object, sigma_b2: object
) -> tuple[Activation, float, float]:
    """The activation record and the scalar variances ``(sigma_w2, sigma_b2)``, validated."""
    return (
        _act(activation),
        float(_variance("sigma_w2", sigma_w2)),
        float(_variance("sigma_b2", sigma_b2)),
    )


def _iterate(step: Callable[[float], float], x: float, n: int) -> Array:
    """The orbit ``step(x), step(step(x)), ...`` of ``n`` iterations as an array."""
    out = np.empty(n)
    for i in range(n):
        x = step(x)
        out[i] = x
    return out


def _out(arr: Array) -> float | Array:
    return float(arr) if arr.ndim == 0 else arr


def _kappa(a: Activation) -> float:
    """E[f(z)^2] = E[f'(z)^2] of a positively homogeneous activation (linear, relu, leaky)."""
    if a.name == "linear":
        return 1.0
    if a.name == "relu":
        return 0.5
    s = a.negative_slope if a.negative_slope is not None else 0.01
    return 0.5 * (1.0 + s * s)


# --------------------------------------------------------------------------------------------
# Gaussian expectations
# --------------------------------------------------------------------------------------------
def _expect(g: Callable[[Array], Array], q: Array) -> Array:
    """E_z[g(sqrt(q) z)], z ~ N(0, 1), for every entry of q (any shape); q clipped to > 0."""
    x, w = normal_rule()
    q = np.asarray(q, dtype=np.float64)
    r = np.sqrt(np.maximum(q, _TINY_Q)).reshape(-1, 1)
    out = np.empty(r.shape[0])
    # Rows per chunk: bounds each temporary at ~2.5e5 floats (2 MB). Larger chunks are no
    # faster, and on a server with many threads freed temporaries tend to stay in the RSS.
    step = 1 << 9
    for i in range(0, r.shape[0], step):
        out[i : i + step] = g(r[i : i + step] * x) @ w
    return out.reshape(q.shape)


def _m2(a: Activation, q: Array) -> Array:
    """M(q) = E[f(sqrt q z)^2]."""
    if a.name in _HOMOGENEOUS:
        return _kappa(a) * np.asarray(q, dtype=np.float64)
    return _expect(lambda u: a.f(u) ** 2, q)


def _d2(a: Activation, q: Array) -> Array:
    """D(q) = E[f'(sqrt q z)^2]."""
    if a.name in _HOMOGENEOUS:
        return np.full(np.shape(q), _kappa(a))
    return _expect(lambda u: a.df(u) ** 2, q)


def _dm(a: Activation, q: Array) -> Array:
    """M'(q) = E[f'(sqrt q z)^2 + f(sqrt q z) f''(sqrt q z)] (Gaussian integration by parts)."""
    if a.name in _HOMOGENEOUS:
        return np.full(np.shape(q), _kappa(a))
    return _expect(lambda u: a.df(u) ** 2 + a.f(u) * a.d2f(u), q)


def _mean(a: Activation, q: Array) -> Array:
    """E[f(sqrt q z)]."""
    if a.name == "linear":
        return np.zeros(np.shape(q))
    if a.name in _HOMOGENEOUS:
        s = 0.0 if a.name == "relu" else float(a.negative_slope or 0.0)
        return (1.0 - s) * np.sqrt(np.asarray(q, dtype=np.float64) / (2.0 * math.pi))
    return _expect(a.f, q)


def _arccos_kernel(c: Array) -> Array:
    """Normalized degree-1 arc-cosine kernel E[relu(u1) relu(u2)] / q at correlation c."""
    c = np.clip(c, -1.0, 1.0)
    return (np.sqrt(1.0 - c * c) + (math.pi - np.arccos(c)) * c) / (2.0 * math.pi)


def _pair_expect(a: Activation, q: float, c: Array, derivative: bool = False) -> Array:
    """E[g(u1) g(u2)] with g = f (or f'), Var u = q, corr(u1, u2) = c; c any shape in [-1, 1].

    Polar coordinates z = r (cos phi, sin phi), u1 = sqrt(q) r cos phi,
    u2 = sqrt(q) r cos(phi - theta), c = cos theta. The kinks of relu-like functions lie on the
    four rays where cos phi = 0 or cos(phi - theta) = 0; Gauss-Legendre on each of the four arcs
    between them (graded towards both ends) and a graded composite rule in r resolve the cells.
    """
    c = np.clip(np.asarray(c, dtype=np.float64), -1.0, 1.0)
    if a.name in _HOMOGENEOUS:
        s = 1.0 if a.name == "linear" else (0.0 if a.name == "relu" else float(a.negative_slope))
        if derivative:
            return (1.0 - s) ** 2 * (math.pi - np.arccos(c)) / (2.0 * math.pi) + s
        return q * ((1.0 - s) ** 2 * _arccos_kernel(c) + s * c)
    g = a.df if derivative else a.f
    r, wr = radial_rule()
    # 8 nodes per panel, panels graded to 4^-10 at both ends: steep f next to a ray (q ~ 1e4)
    x, v = np.polynomial.legendre.leggauss(8)
    half = np.concatenate([[0.0], 4.0 ** -np.arange(10.0, 0.0, -1.0), [1.0]])
    br = np.concatenate([half - 1.0, 1.0 - half[-2::-1]])
    d = np.diff(br)[:, None]
    t, v = (br[:-1, None] + d * (x + 1.0) / 2.0).reshape(-1), (d * v / 2.0).reshape(-1)
    sq = math.sqrt(max(q, _TINY_Q))
    flat = c.reshape(-1)
    out = np.empty(flat.shape[0])
    for i, ci in enumerate(flat):
        theta = math.acos(ci)
        cuts = np.sort(np.mod([0.5 * math.pi, 1.5 * math.pi, theta + 0.5 * math.pi,
                               theta + 1.5 * math.pi], 2.0 * math.pi))  # fmt: skip
        lo = cuts
        hi = np.concatenate([cuts[1:], [cuts[0] + 2.0 * math.pi]])
        phi = (lo[:, None] + (hi - lo)[:, None] * (t + 1.0) / 2.0).reshape(-1)
        wphi = ((hi - lo)[:, None] * v / 2.0).reshape(-1) / (2.0 * math.pi)
        g1 = g(sq * r[:, None] * np.cos(phi)[None, :])
        g2 = g(sq * r[:, None] * np.cos(phi - theta)[None, :])
        out[i] = wr @ (g1 * g2) @ wphi
    return out.reshape(c.shape)


# --------------------------------------------------------------------------------------------
# Tables on a log grid of q (cached per activation): fast vectorized solves in phase_diagram and
# brackets for the exact solvers.
# --------------------------------------------------------------------------------------------
_QGRID = np.concatenate(
    [[_TINY_Q], np.logspace(-12.0, 12.0, 24 * 64 + 1), np.logspace(12.25, 250.0, 952)]
)
_QGRID.setflags(write=False)
_LOGQ = np.log(_QGRID)
_LOGQ.setflags(write=False)


@dataclass(frozen=True)
class _Table:
    log_m: Array  # log M(q) on _QGRID
    log_d: Array  # log D(q)
    dm: Array  # M'(q)
    mehler: Array  # (len(_QGRID), _K + 1): a_k(q) = E[f(sqrt q z) He_k(z)] / sqrt(k!)


def _hermite_basis(x: Array, w: Array, k_max: int) -> Array:
    """(n, k_max + 1): w_i He_k(x_i) / sqrt(k!) at the nodes x (stable recurrence)."""
    n = x.size
    h = np.empty((n, k_max + 1))
    h[:, 0] = 1.0
    if k_max >= 1:
        h[:, 1] = x
    for k in range(1, k_max):
        h[:, k + 1] = (x * h[:, k] - math.sqrt(k) * h[:, k - 1]) / math.sqrt(k + 1)
    return h * w[:, None]


@functools.lru_cache(maxsize=32)
def _table(name: str, slope: float | None) -> _Table:
    a = _activations.get(name, negative_slope=0.01 if slope is None else slope)
    m = _m2(a, _QGRID)
    d = _d2(a, _QGRID)
    # Longer range and more nodes: He_k(z)^2 exp(-z^2/2) reaches |z| ~ 2 sqrt(k) = 16 at k = 64.
    x, wx = normal_rule(12, 22.0)
    basis = _hermite_basis(x, wx, _K)
    fx = np.empty((_QGRID.size, _K + 1))
    for i in range(0, _QGRID.size, 512):
        fx[i : i + 512] = a.f(np.sqrt(_QGRID[i : i + 512, None]) * x) @ basis
    # floor at 1e-300: D(q) underflows to 0 for bounded activations at huge q
    t = _Table(np.log(np.maximum(m, 1e-300)), np.log(np.maximum(d, 1e-300)), _dm(a, _QGRID), fx)
    for arr in (t.log_m, t.log_d, t.dm, t.mehler):
        arr.setflags(write=False)
    return t


def _table_for(a: Activation) -> _Table:
    return _table(a.name, a.negative_slope)


def _interp(logq: Array, values: Array) -> Array:
    return np.interp(logq, _LOGQ, values)


# --------------------------------------------------------------------------------------------
# The fixed point q*
# --------------------------------------------------------------------------------------------
def _q_star_homogeneous(a: Activation, sw2: Array, sb2: Array, q0: float) -> Array:
    k = _kappa(a)
    g = sw2 * k
    out = np.full(g.shape, np.inf)
    ok = g < 1.0
    with np.errstate(divide="ignore"):
        out[ok] = sb2[ok] / (1.0 - g[ok])
    out[(g == 1.0) & (sb2 == 0.0)] = q0  # every q is a fixed point: the length is preserved
    return out


def _q_star_general(
    m_fun: Callable[[Array], Array], log_m: Array, sw2: Array, sb2: Array, q0: float
) -> Array:
    """Fixed point reached by the length map from q0, for flat arrays sw2, sb2.

    The length map q -> sw2 M(q) + sb2 is nondecreasing, so iterating it from q0 converges
    monotonically to the nearest fixed point in the direction it moves. With
    S(q) = (q - sb2) / M(q), h(q) = sw2 M(q) + sb2 - q >= 0 exactly when S(q) <= sw2, so that
    nearest root is bracketed on the grid by a running max (min) of S above (below) q0, then
    refined by bisection on log q with ``m_fun``.
    """
    p = sw2.shape[0]
    out = np.full(p, float(q0))
    h0 = sw2 * m_fun(np.full(p, float(q0))) + sb2 - q0
    lo = np.zeros(p)
    hi = np.zeros(p)
    m_grid = np.exp(log_m)
    n_below = int(np.searchsorted(_QGRID, q0, side="left"))  # grid points < q0
    n_above = int(np.searchsorted(_QGRID, q0, side="right"))  # first grid point > q0
    above = _QGRID[n_above:]
    below = _QGRID[:n_below][::-1]  # descending
    unique_b, inverse = np.unique(sb2, return_inverse=True)
    for u, b in enumerate(unique_b):
        rows = np.flatnonzero(inverse == u)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            s_above = (above - b) / m_grid[n_above:]
            s_below = (below - b) / m_grid[:n_below][::-1]
        up = rows[h0[rows] > 0]
        if up.size:
            cm = np.fmax.accumulate(s_above) if above.size else above
            j = np.searchsorted(cm, sw2[up], side="left")  # first grid point with S >= sw2
            found = j < above.size
            out[up[~found]] = np.inf
            jj = j[found]
            lo[up[found]] = np.where(jj > 0, above[np.maximum(jj - 1, 0)], q0)
            hi[up[found]] = above[np.minimum(jj, above.size - 1)]
        down = rows[h0[rows] < 0]
        if down.size:
            cm = np.fmin.accumulate(s_below) if below.size else below
            j = np.searchsorted(-cm, -sw2[down], side="left")  # first grid point with S <= sw2
            found = j < below.size
            out[down[~found]] = 0.0
            jj = j[found]
            lo[down[found]] = below[np.minimum(jj, below.size - 1)]
            hi[down[found]] = np.where(jj > 0, below[np.maximum(jj - 1, 0)], q0)
    refine = np.flatnonzero(hi > 0)
    if refine.size:
        # Invariant: h(lo) >= 0 >= h(hi) (in either direction); bisection on log q.
        llo, lhi = np.log(lo[refine]), np.log(hi[refine])
        w, b = sw2[refine], sb2[refine]
        for _ in range(_BISECT):
            mid = 0.5 * (llo + lhi)
            qm = np.exp(mid)
            pos = w * m_fun(qm) + b - qm >= 0
            llo = np.where(pos, mid, llo)
            lhi = np.where(pos, lhi, mid)
        out[refine] = np.exp(0.5 * (llo + lhi))
    out[out < 1e-150] = 0.0  # rounding-level roots of a map that contracts to q = 0
    return out


def _q_star_flat(a: Activation, sw2: Array, sb2: Array, q0: float, fast: bool = False) -> Array:
    if a.name in _HOMOGENEOUS:
        return _q_star_homogeneous(a, sw2, sb2, q0)
    t = _table_for(a)
    if fast:

        def m_fun(q: Array) -> Array:
            return np.exp(_interp(np.log(np.maximum(q, _TINY_Q)), t.log_m))

    else:

        def m_fun(q: Array) -> Array:
            return _m2(a, q)

    return _q_star_general(m_fun, t.log_m, sw2, sb2, q0)


def _broadcast(*arrays: Array) -> tuple[tuple[int, ...], list[Array]]:
    b = np.broadcast_arrays(*arrays)
    return b[0].shape, [np.ascontiguousarray(x).reshape(-1) for x in b]


def q_star(
    activation: ActivationLike, sigma_w2: float | Array, sigma_b2: float | Array, *, q0: float = 1.0
) -> float | Array:
    r"""Fixed point :math:`q^*` of the length map reached from :math:`q^0`.

    :math:`q^* = \sigma_w^2\, \mathbb E_z[f(\sqrt{q^*} z)^2] + \sigma_b^2` (Poole et al. 2016).
    The map is nondecreasing in :math:`q`, so iterating it from ``q0`` converges monotonically to
    the nearest fixed point in the direction it moves; that one is returned (computed by
    bracketing on a log grid of ``q`` and bisection, relative accuracy ~1e-13, not by iterating).

    No fixed point: when the length grows without bound the result is ``inf`` (relu with
    ``sigma_w2 > 2``, or ``sigma_w2 = 2`` and ``sigma_b2 > 0``; linear with ``sigma_w2 > 1``; any
    relu-like activation with ``sigma_w2 * lim M(q)/q > 1``). When ``sigma_b2 = 0``, ``f(0) = 0``
    and the map contracts to the origin (tanh with ``sigma_w2 < 1``) it is ``0`` (roots below
    1e-150 are reported as 0; exactly at the marginal point, e.g. tanh with ``sigma_w2 = 1``,
    the algebraic approach to 0 leaves a rounding-level value ~1e-16). For
    homogeneous activations at their critical point with ``sigma_b2 = 0`` (relu with
    ``sigma_w2 = 2``) every ``q`` is fixed and ``q0`` is returned.

    Parameters
    ----------
    activation : str or Activation
    sigma_w2, sigma_b2 : float or array_like
        Weight variance times fan-in, and bias variance; finite, >= 0, broadcastable.
    q0 : float, default 1.0
        Starting pre-activation second moment (finite, > 0).

    Returns
    -------
    float or ndarray
        Broadcast shape of ``sigma_w2`` and ``sigma_b2``.

    Raises
    ------
    ValueError
        Negative or non-finite variances, ``q0 <= 0``, unknown activation.
    """
    a = _act(activation)
    q0 = _q0(q0)
    shape, (w, b) = _broadcast(_variance("sigma_w2", sigma_w2), _variance("sigma_b2", sigma_b2))
    return _out(_q_star_flat(a, w, b, q0).reshape(shape))


def _q0(q0: object) -> float:
    try:
        v = float(q0)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"q0 must be a positive number, got {q0!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"q0 must be finite and > 0, got {q0!r}")
    return v


def _clip_q(q: Array) -> Array:
    """Return q for evaluating expectations: 0 -> the 0+ limit, inf -> the large-q limit."""
    return np.where(np.isinf(q), _BIG_Q, np.maximum(q, _TINY_Q))


def mean_square(activation: ActivationLike, q: float) -> float:
    r"""Return :math:`\mathbb E_z[f(\sqrt q z)^2]`, :math:`z \sim \mathcal N(0, 1)`.

    Parameters
    ----------
    activation : str or Activation
    q : float
        Pre-activation variance (>= 0; ``inf`` gives the large-q limit where it exists).

    Returns
    -------
    float
    """
    return float(_m2(_act(activation), np.array(q)))


def mean_square_derivative(activation: ActivationLike, q: float) -> float:
    r"""Return :math:`\mathbb E_z[f'(\sqrt q z)^2]` (``q = 0`` and ``inf`` give the limits).

    Parameters
    ----------
    activation : str or Activation
    q : float
        Pre-activation variance.

    Returns
    -------
    float
    """
    return float(_d2(_act(activation), _clip_q(np.array(q))))


def length_map(
    activation: ActivationLike,
    sigma_w2: float,
    sigma_b2: float,
    q0: float = 1.0,
    n_layers: int = 10,
) -> Array:
    r"""Iterate the length map: :math:`q^1, \dots, q^L`.

    :math:`q^l = \sigma_w^2\, \mathbb E_z[f(\sqrt{q^{l-1}} z)^2] + \sigma_b^2`, :math:`q^0 =`
    ``q0`` (Poole et al. 2016). Here ``q0`` is the second moment of the *pre-activations* of
    layer 0 (use :func:`predicted_stats` for a network whose first layer sees raw inputs).
    Values beyond 1e250 are reported as ``inf`` (the signal overflows in practice).

    Parameters
    ----------
    activation : str or Activation
    sigma_w2, sigma_b2 : float
        Finite, >= 0.
    q0 : float, default 1.0
        Finite, >= 0.
    n_layers : int, default 10
        1 to 100000.

    Returns
    -------
    ndarray, shape (n_layers,)

    Raises
    ------
    ValueError
        Outside the domain above.
    """
    a, w, b = _scalar_args(activation, sigma_w2, sigma_b2)
    q = float(_variance("q0", q0))
    n = _positive_int("n_layers", n_layers)

    def step(q: float) -> float:
        return math.inf if q > _Q_OVERFLOW else w * float(_m2(a, np.array(q))) + b

    return _iterate(step, q, n)


def chi1(
    activation: ActivationLike, sigma_w2: float | Array, sigma_b2: float | Array
) -> float | Array:
    r""":math:`\chi_1 = \sigma_w^2\, \mathbb E_z[f'(\sqrt{q^*} z)^2]` at the fixed point.

    The slope of the correlation map at :math:`c = 1` and the factor by which the mean squared
    gradient grows per layer (Schoenholz et al. 2017): < 1 ordered/vanishing, > 1
    chaotic/exploding. Closed forms: linear :math:`\sigma_w^2`, relu :math:`\sigma_w^2/2`, leaky
    relu :math:`\sigma_w^2 (1 + a^2)/2`. When there is no fixed point (``q* = inf``) this is the
    ``q -> inf`` limit; at ``q* = 0`` the ``q -> 0+`` limit (tanh: ``sigma_w2``).

    Parameters
    ----------
    activation : str or Activation
    sigma_w2, sigma_b2 : float or array_like
        Finite, >= 0, broadcastable.

    Returns
    -------
    float or ndarray

    Raises
    ------
    ValueError
        Negative or non-finite variances, unknown activation.
    """
    a = _act(activation)
    shape, (w, b) = _broadcast(_variance("sigma_w2", sigma_w2), _variance("sigma_b2", sigma_b2))
    q = _q_star_flat(a, w, b, 1.0)
    return _out((w * _d2(a, _clip_q(q))).reshape(shape))


def critical_sigma_w2(
    activation: ActivationLike, sigma_b2: float | Array, *, q0: float = 1.0
) -> float | Array:
    r"""The weight variance on the edge of chaos: :math:`\chi_1(\sigma_w^2, \sigma_b^2) = 1`.

    Root finding along the critical line parametrized by the fixed point: with
    :math:`D(q) = \mathbb E[f'(\sqrt q z)^2]` and :math:`M(q) = \mathbb E[f(\sqrt q z)^2]`, the
    point with :math:`q^* = q` and :math:`\chi_1 = 1` has :math:`\sigma_w^2 = 1/D(q)` and
    :math:`\sigma_b^2 = q - M(q)/D(q)`; this solves the latter for ``q`` (every sign change on a
    log grid of ``q <= 1e10``, refined by bisection) and returns :math:`1/D(q)` for the smallest
    such ``q`` that is the fixed point the length map reaches from ``q0`` (so that
    ``chi1(activation, critical_sigma_w2(activation, b), b) == 1`` with :func:`chi1`). With
    ``sigma_b2 = 0`` and ``f(0) = 0`` the candidate ``q* = 0`` comes first: tanh gives exactly
    1. Closed forms: linear 1, relu 2, leaky relu :math:`2/(1+a^2)` for every ``sigma_b2`` (for
    ``sigma_b2 > 0`` the length then grows linearly). ``nan`` where no critical point exists
    (e.g. gelu and silu at small ``sigma_b2``: their chi1 = 1 points there have a stable fixed
    point only below an unstable one, and inputs with ``q0 = 1`` explode instead).

    Parameters
    ----------
    activation : str or Activation
    sigma_b2 : float or array_like
        Finite, >= 0.
    q0 : float, default 1.0
        Input second moment used to decide which fixed point is reached.

    Returns
    -------
    float or ndarray
        Shape of ``sigma_b2``.

    Raises
    ------
    ValueError
        Negative or non-finite ``sigma_b2``, ``q0 <= 0``, unknown activation.
    """
    a = _act(activation)
    b = _variance("sigma_b2", sigma_b2)
    q0 = _q0(q0)
    if a.name in _HOMOGENEOUS:
        return _out(np.full(b.shape, 1.0 / _kappa(a)))
    return _out(_critical(a, b.reshape(-1), fast=False, q0=q0).reshape(b.shape))


_CRIT_Q_MAX = 1e10  # beyond this q - M(q)/D(q) cancels catastrophically: not searched


def _critical(a: Activation, b: Array, fast: bool, q0: float = 1.0) -> Array:
    """Critical sigma_w2 for each sigma_b2 in the flat array b (nan where none is found).

    Candidates are the points of the critical line, parametrized by q, where
    B(q) = q - M(q)/D(q) equals sigma_b2 (every sign change of B - sigma_b2 on the log grid,
    refined by bisection), in increasing q, plus q = 0 when sigma_b2 = 0 and f(0) = 0. The
    first candidate whose q is the fixed point that the length map actually reaches from q0 is
    returned, so that chi1(critical_sigma_w2(b), b) = 1 holds with :func:`q_star`.
    """
    t = _table_for(a)
    keep = _QGRID <= _CRIT_Q_MAX
    grid_lq = _LOGQ[keep]
    bq = _QGRID[keep] - np.exp(t.log_m[keep] - t.log_d[keep])  # sigma_b2 along the line
    f0 = float(a.f(0.0))
    d0 = float(_d2(a, np.array(_TINY_Q)))  # D(0+)

    def d_of(q: Array) -> Array:
        return np.exp(_interp(np.log(q), t.log_d)) if fast else _d2(a, q)

    def b_of(lq: Array) -> Array:
        q = np.exp(lq)
        if fast:
            return q - np.exp(_interp(lq, t.log_m) - _interp(lq, t.log_d))
        return q - _m2(a, q) / _d2(a, q)

    # All (target, grid cell) pairs where B - target changes sign, bisected together.
    sign = np.sign(bq[None, :] - b[:, None])  # (n_b, G)
    ti, cell = np.nonzero(sign[:, 1:] * sign[:, :-1] <= 0)
    cell = cell + 1
    llo, lhi = grid_lq[cell - 1], grid_lq[cell]
    up = sign[ti, cell - 1] < 0  # B increases through the target in this cell
    target = b[ti]
    for _ in range(_BISECT):
        mid = 0.5 * (llo + lhi)
        below = (b_of(mid) < target) == up
        llo = np.where(below, mid, llo)
        lhi = np.where(below, lhi, mid)
    qc = np.exp(0.5 * (llo + lhi))
    # The q* = 0 candidate (sigma_b2 = 0, f(0) = 0) comes before every crossing.
    if f0 == 0.0:
        zero = np.flatnonzero(b == 0.0)
        ti = np.concatenate([zero, ti])
        qc = np.concatenate([np.zeros(zero.size), qc])
    out = np.full(b.shape, np.nan)
    if ti.size == 0:
        return out
    order = np.lexsort((qc, ti))  # by target, then increasing q
    ti, qc = ti[order], qc[order]
    sw2 = np.where(qc == 0.0, 1.0 / d0, 1.0 / d_of(np.maximum(qc, _TINY_Q)))
    reached = _q_star_flat(a, sw2, b[ti], q0, fast=fast)
    # q* = 0 candidates: at the marginal point the length contracts to 0 only algebraically and
    # the solver stops at a rounding-level q (~1e-16), hence the absolute tolerance.
    ok = np.flatnonzero(np.isclose(reached, qc, rtol=1e-6, atol=1e-8 * (qc == 0.0)))
    # first consistent candidate of each target: ok is sorted by (target, q)
    first = ok[np.unique(ti[ok], return_index=True)[1]]
    out[ti[first]] = sw2[first]
    return out


# --------------------------------------------------------------------------------------------
# Correlations and depth scales
# --------------------------------------------------------------------------------------------
def _corr_step(a: Activation, w: float, b: float, q: float, c: Array) -> Array:
    """One step of the correlation map at fixed q (0 and inf mean the limits)."""
    qq = float(_clip_q(np.array(q)))
    num = w * _pair_expect(a, qq, c) + b
    den = w * float(_pair_expect(a, qq, np.array(1.0))) + b  # = q* at the fixed point
    if den <= 0:  # sigma_w2 = sigma_b2 = 0 or f = 0: every output is 0, keep c
        return np.asarray(c, dtype=np.float64)
    return np.clip(num / den, -1.0, 1.0)


def correlation_map(
    activation: ActivationLike,
    sigma_w2: float,
    sigma_b2: float,
    c0: float,
    n_layers: int = 10,
) -> Array:
    r"""Iterate the correlation map at the fixed point :math:`q^*`: :math:`c^1, \dots, c^L`.

    :math:`c^l = \frac{\sigma_w^2\, \mathbb E[f(u_1) f(u_2)] + \sigma_b^2}{q^*}`,
    :math:`u_1 = \sqrt{q^*} z_1`, :math:`u_2 = \sqrt{q^*}(c^{l-1} z_1 + \sqrt{1-(c^{l-1})^2} z_2)`
    (Poole et al. 2016). The denominator is evaluated with the same quadrature as the numerator,
    so ``c = 1`` is exactly fixed. ReLU is the degree-1 arc-cosine kernel
    :math:`c' = (\sigma_w^2 q^* k_1(c) + \sigma_b^2)/q^*`,
    :math:`k_1(c) = (\sqrt{1-c^2} + (\pi - \arccos c) c)/(2\pi)`; leaky relu
    :math:`(1-a)^2 k_1(c) + a c`; linear :math:`c`. Otherwise a tensor Gauss--Hermite rule with
    80 x 80 nodes. At ``q* = 0`` / ``inf`` the ``q -> 0+`` / ``q -> inf`` limit of the map is
    used (for relu without fixed point: :math:`c' = 2 k_1(c)`).

    Parameters
    ----------
    activation, sigma_w2, sigma_b2, n_layers
        As for :func:`length_map`.
    c0 : float
        Input correlation in [-1, 1].

    Returns
    -------
    ndarray, shape (n_layers,)

    Raises
    ------
    ValueError
        Outside the domain above.
    """
    a, w, b = _scalar_args(activation, sigma_w2, sigma_b2)
    c = _corr(c0)
    n = _positive_int("n_layers", n_layers)
    q = float(_q_star_flat(a, np.array([w]), np.array([b]), 1.0)[0])
    return _iterate(lambda c: float(_corr_step(a, w, b, q, np.array(c))), c, n)


def _corr(c0: object) -> float:
    try:
        c = float(c0)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"c0 must be a number in [-1, 1], got {c0!r}") from None
    if not -1.0 <= c <= 1.0:
        raise ValueError(f"c0 must be in [-1, 1], got {c0!r}")
    return c


def _xi(rate: Array) -> Array:
    """-1 / ln(rate) for rate in [0, 1]: 0 at rate 0, inf at rate >= 1."""
    rate = np.asarray(rate, dtype=np.float64)
    out = np.full(rate.shape, np.inf)
    inside = (rate > 0) & (rate < 1)
    out[inside] = -1.0 / np.log(rate[inside])
    out[rate <= 0] = 0.0
    out[np.isnan(rate)] = np.nan
    return out


def _c_star_scalar(a: Activation, w: float, b: float, q: float) -> float:
    """Stable correlation fixed point c* < 1 when chi1 > 1: Newton on h = g(c) - c from c = 0.

    g is convex, nondecreasing on [0, 1] (nonnegative Hermite coefficients), g'(1) = chi1 > 1:
    Newton rises monotonically to the one root in [0, 1). g' = sw2 q E[f'f'] / q* (Price).
    """
    qq = float(_clip_q(np.array(q)))
    den, c = w * float(_pair_expect(a, qq, np.array(1.0))) + b, 0.0
    for _ in range(200):
        h = (w * float(_pair_expect(a, qq, np.array(c))) + b) / den - c
        dh = w * qq * float(_pair_expect(a, qq, np.array(c), derivative=True)) / den - 1.0
        if h <= 0.0 or dh >= 0.0 or h < -1e-14 * dh:  # at c* up to rounding
            return c if h <= 0.0 or dh >= 0.0 else min(c - h / dh, 1.0)
        c = min(c - h / dh, 1.0)
    return c


def correlation_fixed_point(
    activation: ActivationLike, sigma_w2: float, sigma_b2: float
) -> tuple[float, float]:
    r"""The stable correlation fixed point :math:`c^*` and the slope :math:`\chi_c` there.

    :math:`c^* = 1` in the ordered phase (:math:`\chi_1 \le 1`), then :math:`\chi_c = \chi_1`; in
    the chaotic phase :math:`c^* < 1` and
    :math:`\chi_c = \sigma_w^2\, \mathbb E[f'(u_1) f'(u_2)]` at :math:`c^*` (Schoenholz et al.
    2017). ``(nan, nan)`` when the length map has no fixed point.

    Parameters
    ----------
    activation, sigma_w2, sigma_b2
        As for :func:`length_map`.

    Returns
    -------
    c_star, chi_c : float

    Raises
    ------
    ValueError
        Outside the domain.
    """
    a, w, b = _scalar_args(activation, sigma_w2, sigma_b2)
    return _fixed_scalar(a, w, b)[2:4]


def _fixed_scalar(a: Activation, w: float, b: float) -> tuple[float, float, float, float, float]:
    """(q*, chi1, c*, chi_c, sw2 M'(q*)) for scalar sigma_w2, sigma_b2."""
    q = float(_q_star_flat(a, np.array([w]), np.array([b]), 1.0)[0])
    qq = _clip_q(np.array([q]))
    x1 = float(w * _d2(a, qq)[0])
    rate_q = float(w * _dm(a, qq)[0])
    if math.isinf(q):
        return q, x1, math.nan, math.nan, rate_q
    if x1 <= 1.0:
        return q, x1, 1.0, x1, rate_q
    c = _c_star_scalar(a, w, b, q)
    qc = float(qq[0])
    chi_c = w * float(_pair_expect(a, qc, np.array(c), derivative=True))
    return q, x1, c, chi_c, rate_q


def depth_scales(
    activation: ActivationLike, sigma_w2: float | Array, sigma_b2: float | Array
) -> tuple[float | Array, float | Array]:
    r"""Depth scales :math:`(\xi_q, \xi_c)` of Schoenholz et al. (2017).

    :math:`\xi_q^{-1} = -\ln\left(\sigma_w^2\, \mathbb E_z[f'(\sqrt{q^*}z)^2 +
    f(\sqrt{q^*}z) f''(\sqrt{q^*}z)]\right)` (the slope of the length map at :math:`q^*`);
    :math:`\xi_c^{-1} = -\ln\chi_c`, :math:`\chi_c = \sigma_w^2\, \mathbb E[f'(u_1) f'(u_2)]` at
    the stable correlation fixed point :math:`c^*` (:math:`c^* = 1` and :math:`\xi_c =
    -1/\ln\chi_1` in the ordered phase, :math:`c^* < 1` in the chaotic phase; see
    :func:`correlation_fixed_point`). Both are ``inf`` at a marginal fixed point (the edge of
    chaos for :math:`\xi_c`) and ``nan`` when the length map has no fixed point.
    Scalar-by-scalar and exact; :func:`phase_diagram` is the vectorized version for grids.

    Parameters
    ----------
    activation : str or Activation
    sigma_w2, sigma_b2 : float or array_like
        Finite, >= 0, broadcastable.

    Returns
    -------
    xi_q, xi_c : float or ndarray
        Broadcast shape of the inputs.

    Raises
    ------
    ValueError
        Outside the domain.
    """
    a = _act(activation)
    shape, (w, b) = _broadcast(_variance("sigma_w2", sigma_w2), _variance("sigma_b2", sigma_b2))
    xq = np.empty(w.shape)
    xc = np.empty(w.shape)
    for i in range(w.shape[0]):
        q, _, _, chi_c, rate_q = _fixed_scalar(a, float(w[i]), float(b[i]))
        if math.isinf(q):
            xq[i] = xc[i] = math.nan
            continue
        xq[i] = float(_xi(np.array(rate_q)))
        xc[i] = float(_xi(np.array(chi_c)))
    return _out(xq.reshape(shape)), _out(xc.reshape(shape))


# --------------------------------------------------------------------------------------------
# Phase diagram (vectorized)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PhaseDiagram:
    r"""Mean-field quantities on a :math:`(\sigma_w^2, \sigma_b^2)` grid.

    Every 2-D array has shape ``(len(sigma_w2), len(sigma_b2))`` (``indexing="ij"``).

    Attributes
    ----------
    activation : str
    sigma_w2 : ndarray, shape (n_w,)
    sigma_b2 : ndarray, shape (n_b,)
    q_star : ndarray, shape (n_w, n_b)
        ``inf`` where the length map has no fixed point.
    chi1 : ndarray, shape (n_w, n_b)
    c_star : ndarray, shape (n_w, n_b)
        1 in the ordered phase, < 1 in the chaotic phase, nan without fixed point.
    xi_q, xi_c : ndarray, shape (n_w, n_b)
        Depth scales; ``inf`` on the critical line, ``nan`` without fixed point.
    critical_sigma_w2 : ndarray, shape (n_b,)
        The edge of chaos for each ``sigma_b2`` (nan where none exists).
    """

    activation: str
    sigma_w2: Array
    sigma_b2: Array
    q_star: Array
    chi1: Array
    c_star: Array
    xi_q: Array
    xi_c: Array
    critical_sigma_w2: Array


def _grid(name: str, value: object) -> Array:
    arr = _variance(name, value)
    if arr.ndim != 1 or arr.size == 0 or arr.size > 2000:
        raise ValueError(f"{name} must be a 1-D grid of 1 to 2000 values")
    return arr


def phase_diagram(
    activation: ActivationLike, sigma_w2_grid: Array, sigma_b2_grid: Array
) -> PhaseDiagram:
    r"""Vectorized :math:`q^*`, :math:`\chi_1`, :math:`c^*`, :math:`\xi_q`, :math:`\xi_c` on a grid.

    Same formulas as :func:`q_star`, :func:`chi1` and :func:`depth_scales`, evaluated from tables
    of :math:`M(q)`, :math:`D(q)`, :math:`M'(q)` and the Hermite coefficients
    :math:`a_k(q) = \mathbb E[f(\sqrt q z) He_k(z)]/\sqrt{k!}` on a fine log grid of ``q``
    (64 points per decade, cached per activation), interpolated in ``log q``. In the chaotic phase
    the correlation function is Mehler's series
    :math:`\mathbb E[f(u_1) f(u_2)] = \sum_k a_k^2 c^k` (64 terms, the remainder lumped into
    :math:`c^{65}` so that ``c = 1`` stays exactly fixed), so :math:`c^*` is a root of a
    polynomial (Newton from 0, monotone because the map is convex on [0, 1]) and
    :math:`\chi_c = \sigma_w^2 \sum_k k a_k^2 c^{*\,k-1} / q^*` (Price's theorem). Agrees with the
    scalar functions to about 1e-4 relative (tested); a 200 x 200 grid takes ~0.1 s.

    Parameters
    ----------
    activation : str or Activation
    sigma_w2_grid, sigma_b2_grid : array_like, 1-D
        Finite, >= 0, 1 to 2000 values each.

    Returns
    -------
    PhaseDiagram

    Raises
    ------
    ValueError
        Outside the domain.
    """
    a = _act(activation)
    wg = _grid("sigma_w2_grid", sigma_w2_grid)
    bg = _grid("sigma_b2_grid", sigma_b2_grid)
    w2, b2 = np.meshgrid(wg, bg, indexing="ij")
    w, b = w2.reshape(-1), b2.reshape(-1)
    q = _q_star_flat(a, w, b, 1.0, fast=True)
    qq = _clip_q(q)
    lq = np.log(qq)
    if a.name in _HOMOGENEOUS:
        k = _kappa(a)
        x1 = w * k
        rate_q = w * k
        crit = np.full(bg.shape, 1.0 / k)
    else:
        t = _table_for(a)
        x1 = w * np.exp(_interp(lq, t.log_d))
        rate_q = w * _interp(lq, t.dm)
        crit = _critical(a, bg, fast=True)
    finite = np.isfinite(q)
    c_star = np.where(finite, 1.0, np.nan)
    chi_c = np.where(finite, x1, np.nan)
    chaotic = np.flatnonzero(finite & (x1 > 1.0))
    if chaotic.size and a.name not in _HOMOGENEOUS:
        cs, cc = _mehler_fixed_point(a, w[chaotic], b[chaotic], lq[chaotic], x1[chaotic])
        c_star[chaotic] = cs
        chi_c[chaotic] = cc
    xi_q = np.where(finite, _xi(rate_q), np.nan)
    xi_c = np.where(finite, _xi(chi_c), np.nan)
    shape = w2.shape
    out = PhaseDiagram(
        activation=a.name,
        sigma_w2=wg.copy(),
        sigma_b2=bg.copy(),
        q_star=q.reshape(shape),
        chi1=x1.reshape(shape),
        c_star=c_star.reshape(shape),
        xi_q=xi_q.reshape(shape),
        xi_c=xi_c.reshape(shape),
        critical_sigma_w2=crit,
    )
    return out


def _mehler_fixed_point(
    a: Activation, w: Array, b: Array, lq: Array, x1: Array
) -> tuple[Array, Array]:
    t = _table_for(a)
    coef = np.empty((lq.size, _K + 1))
    for k in range(_K + 1):
        coef[:, k] = _interp(lq, t.mehler[:, k])
    p = coef * coef  # power-series coefficients of E[f(u1) f(u2)] in c
    m = np.exp(_interp(lq, t.log_m))
    tail = np.maximum(m - p.sum(axis=1), 0.0)  # lumped remainder: keeps F(1) = M exactly
    p = np.ascontiguousarray(np.concatenate([p, tail[:, None]], axis=1).T)  # (K + 2, P)
    den = w * m + b  # q* at the fixed point

    def poly(c: Array, coef: Array) -> tuple[Array, Array]:
        val = np.zeros_like(c)
        der = np.zeros_like(c)
        for k in range(_K + 1, -1, -1):  # Horner for the value and the derivative
            der = der * c + val
            val = val * c + coef[k]
        return val, der

    c = np.zeros(lq.size)
    active = np.arange(lq.size)
    for _ in range(100):  # Newton; only unconverged points are iterated
        ca = c[active]
        f, fp = poly(ca, p[:, active])
        wa, da = w[active], den[active]
        h = (wa * f + b[active]) / da - ca
        hp = wa * fp / da - 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(hp < 0, h / hp, 0.0)
        new = np.clip(ca - step, 0.0, 1.0)
        c[active] = new
        active = active[np.abs(new - ca) > 1e-12]  # rounding makes 1e-14 steps cycle
        if active.size == 0:
            break
    _, fp = poly(c, p)
    chi_c = w * fp / den
    # Numerically marginal points (c* within 1e-7 of 1): the series' slope at c = 1 is less
    # accurate than chi1 itself, which is the exact slope there.
    near_one = c > 1.0 - 1e-7
    chi_c[near_one] = x1[near_one]
    return c, chi_c


# --------------------------------------------------------------------------------------------
# Predicted per-layer statistics of a network
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PredictedStats:
    r"""Mean-field prediction of per-layer statistics of an MLP at initialization.

    All arrays have shape ``(depth,)``, entry ``l - 1`` for hidden layer ``l``.

    Attributes
    ----------
    layer : ndarray of int
        1 .. depth.
    sigma_w2 : ndarray
        fan_in * Var(W) of each hidden layer.
    preact_var, preact_std : ndarray
        :math:`q^l` (second moment = variance of the pre-activations) and its square root.
    act_mean, act_std, act_second_moment : ndarray
        :math:`\mathbb E f`, its standard deviation and :math:`\mathbb E f^2` over units.
    chi : ndarray
        Backward factor of each layer, E[f'(z^l)^2] fan_out(W^{l+1}) Var(W^{l+1}); the last
        entry is E[f'(z^L)^2] (times fan_out Var of the output layer when ``n_outputs`` is
        given).
    grad_var, grad_std : ndarray
        :math:`\mathbb E[(\partial L/\partial z^l)^2]` and its root (``grad_std`` is what
        :func:`core.probe.propagate` measures), for a N(0, 1) gradient on the last hidden
        layer's activations (the probe's set-up), or on the outputs of a linear output layer
        when ``n_outputs`` is given.
    weight_grad_var : ndarray
        Per sample: :math:`\mathbb E[(a^{l-1})^2]\,\mathbb E[(\partial L / \partial z^l)^2]`
        (divide by the batch size for the batch-mean gradient the probe reports).
    q_star, chi1 : float
        Fixed point and :math:`\chi_1` for the hidden layers' ``sigma_w2`` (last layer's).
    applicable : bool
        False for schemes whose weights are not zero-mean i.i.d.-like (constant, identity):
        mean-field theory does not describe them.
    note : str
        Why not applicable, or "".
    """

    layer: Array
    sigma_w2: Array
    preact_var: Array
    preact_std: Array
    act_mean: Array
    act_std: Array
    act_second_moment: Array
    chi: Array
    grad_var: Array
    grad_std: Array
    weight_grad_var: Array
    q_star: float
    chi1: float
    applicable: bool
    note: str


def _init_scales(
    init: str, shapes: list[tuple[int, int]], params: Mapping[str, object]
) -> tuple[Array, Array, bool, str]:
    """(fan_in Var W, fan_out Var W) per shape, and applicability, from core.registry."""
    from core import registry  # imported lazily: theory itself only needs numpy

    fwd = np.array([registry.sigma_w2(init, s, **params) for s in shapes])
    bwd = np.array([fwd[i] * s[1] / s[0] for i, s in enumerate(shapes)])
    family = registry.REGISTRY[init].family
    if family in ("constant", "identity") and init != "zeros":
        note = (
            f"{init} weights are not zero-mean random: mean-field theory does not apply "
            "(the prediction uses only their mean square)."
        )
        return fwd, bwd, False, note
    return fwd, bwd, True, ""


def predicted_stats(
    activation: ActivationLike,
    init: str,
    *,
    depth: int,
    width: int,
    init_params: Mapping[str, object] | None = None,
    input_dim: int | None = None,
    n_outputs: int | None = None,
    sigma_b2: float = 0.0,
    q_in: float = 1.0,
) -> PredictedStats:
    r"""Predict per-layer activation and gradient statistics of an MLP at initialization.

    Forward (Poole et al. 2016): :math:`q^1 = \sigma_{w,1}^2 q_{in} + \sigma_b^2` (the first
    layer sees the raw inputs, mean square ``q_in``), then
    :math:`q^l = \sigma_{w,l}^2 \mathbb E[f(\sqrt{q^{l-1}}z)^2] + \sigma_b^2`, with
    :math:`\sigma_{w,l}^2 = \text{fan\_in}\,\mathrm{Var}(W^l)` taken from
    :func:`core.initializers.sigma_w2` (He 2, LeCun 1, Glorot on square layers 1, N(0, s^2):
    s^2 fan_in, orthogonal with gain g on square layers g^2).
    Backward (Glorot & Bengio 2010; Schoenholz et al. 2017, assuming gradients independent of
    the forward weights): :math:`\mathbb E[\delta_l^2] = \mathbb E[f'(z^l)^2]\,
    \text{fan\_out}\,\mathrm{Var}(W^{l+1})\,\mathbb E[\delta_{l+1}^2]`.

    Parameters
    ----------
    activation : str or Activation
    init : str
        A key of :data:`core.initializers.REGISTRY`.
    depth, width : int
        Number of hidden layers and their width.
    init_params : mapping, optional
        Parameters of the initializer.
    input_dim : int, optional
        Input width (default ``width``).
    n_outputs : int, optional
        Width of a linear output layer initialized the same way; the prediction then assumes a
        N(0, 1) gradient on its outputs (the probe's set-up).
    sigma_b2 : float, default 0
        Bias variance.
    q_in : float, default 1
        Mean square of the inputs.

    Returns
    -------
    PredictedStats

    Raises
    ------
    ValueError
        Unknown initializer or activation, bad parameters or sizes.
    """
    a = _act(activation)
    depth = _positive_int("depth", depth)
    width = _positive_int("width", width, high=1 << 20)
    d_in = width if input_dim is None else _positive_int("input_dim", input_dim, high=1 << 24)
    b = float(_variance("sigma_b2", sigma_b2))
    qin = float(_variance("q_in", q_in))
    params = dict(init_params or {})
    shapes = [(d_in, width)] + [(width, width)] * (depth - 1)
    if n_outputs is not None:
        shapes.append((width, _positive_int("n_outputs", n_outputs, high=1 << 20)))
    fwd, bwd, applicable, note = _init_scales(init, shapes, params)
    q = np.empty(depth)
    prev = qin
    for i in range(depth):
        with np.errstate(over="ignore"):
            prev = fwd[i] * (prev if i == 0 else float(_m2(a, np.array(prev)))) + b
        if not prev <= _Q_OVERFLOW:
            prev = math.inf
        q[i] = prev
    qq = _clip_q(q)
    m = _m2(a, qq)
    mean = _mean(a, qq)
    d = _d2(a, qq)
    inf = np.isinf(q)
    m = np.where(inf, np.inf, m)
    mean = np.where(inf, np.nan, mean)
    chi = np.empty(depth)
    chi[:-1] = d[:-1] * bwd[1:depth]
    chi[-1] = d[-1] * bwd[depth] if n_outputs is not None else d[-1]
    with np.errstate(over="ignore", invalid="ignore"):
        grad = np.cumprod(chi[::-1])[::-1]
        act_var = np.maximum(m - mean * mean, 0.0)
        prev_sq = np.concatenate([[qin], m[:-1]])
        wgrad = prev_sq * grad
    sw = fwd[depth - 1]
    qs = float(_q_star_flat(a, np.array([sw]), np.array([b]), 1.0)[0])
    x1 = float(sw * _d2(a, _clip_q(np.array([qs])))[0])
    return PredictedStats(
        layer=np.arange(1, depth + 1),
        sigma_w2=fwd[:depth].copy(),
        preact_var=q,
        preact_std=np.sqrt(q),
        act_mean=mean,
        act_std=np.sqrt(act_var),
        act_second_moment=m,
        chi=chi,
        grad_var=grad,
        grad_std=np.sqrt(grad),
        weight_grad_var=wgrad,
        q_star=qs,
        chi1=x1,
        applicable=applicable,
        note=note,
    )


def __getattr__(name: str) -> object:
    """Names of :mod:`core.spectra` (moved there) and :mod:`core.regime` also resolve here."""
    from core import regime, spectra  # lazy: both import this module

    for module in (spectra, regime):
        if name in module.__all__:
            return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
