r"""Activation functions, their derivatives and their initialization gains.

Every activation is a frozen :class:`Activation` record holding the function ``f``, its derivative
``df`` with respect to the pre-activation ``z`` (and, for the mean-field theory in
:mod:`core.theory`, the second derivative ``d2f``), a LaTeX formula, the gain used to scale
initializers, and ``df_max = max_z |f'(z)|``.

Numerical contract (tested): every ``f``, ``df`` and ``d2f`` accepts any float64 array (or
scalar), returns an array of the same shape, and raises no floating-point warning for finite
inputs of any magnitude (``|z|`` up to ``1.8e308``) nor for ``+-inf``. Infinite inputs return the
limits (``f(+inf) = +inf`` for unbounded activations, ``sigmoid(-inf) = 0``, ``elu(-inf) = -1``,
``f'(+-inf)`` the limiting slope, ...). NaN inputs give NaN from ``f``.

Gains
-----
``gain`` follows PyTorch's ``torch.nn.init.calculate_gain`` where PyTorch defines one (linear 1,
sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu sqrt(2 / (1 + a^2)), selu 3/4; ``gain_source =
"pytorch"``). For elu, gelu, silu and softsign it is the variance-preserving gain
``1 / sqrt(E[f(z)^2])`` with ``z ~ N(0, 1)`` (``gain_source = "variance_preserving"``).
That expectation is computed by Gauss--Legendre quadrature on ``[-40, 0]`` and ``[0, 40]``
against the normal density (relative error ~1e-15): plain Gauss--Hermite converges slowly on
integrands with a kink at 0 (softsign's ``|z|``). The module-level :func:`gauss_hermite` is
the general-purpose rule used by :mod:`core.theory`.

GELU uses the exact form ``z * Phi(z)`` (not the tanh approximation). NumPy has no ``erf``, so
:func:`erfc` implements W. J. Cody's rational Chebyshev approximation (relative error below
``1e-15`` in double precision; the tests compare it with ``scipy.special.erf``/``erfc`` to
``1e-12`` relative and with mpmath to ``1e-14``).

References
----------
.. [1] Glorot, X., Bengio, Y. (2010). Understanding the difficulty of training deep feedforward
   neural networks. AISTATS.
.. [2] Clevert, D.-A., Unterthiner, T., Hochreiter, S. (2015). Fast and Accurate Deep Network
   Learning by Exponential Linear Units (ELUs). arXiv:1511.07289.
.. [3] Klambauer, G., Unterthiner, T., Mayr, A., Hochreiter, S. (2017). Self-Normalizing Neural
   Networks. arXiv:1706.02515.
.. [4] Hendrycks, D., Gimpel, K. (2016). Gaussian Error Linear Units (GELUs). arXiv:1606.08415.
.. [5] Ramachandran, P., Zoph, B., Le, Q. V. (2017). Searching for Activation Functions (SiLU /
   Swish). arXiv:1710.05941; Elfwing, S., Uchibe, E., Doya, K. (2017). arXiv:1702.03118.
.. [6] Cody, W. J. (1969). Rational Chebyshev approximations for the error function.
   Mathematics of Computation 23(107), 631-637.
.. [7] PyTorch ``torch.nn.init.calculate_gain``,
   https://pytorch.org/docs/stable/nn.init.html
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "NAMES",
    "SELU_ALPHA",
    "SELU_SCALE",
    "Activation",
    "erf",
    "erfc",
    "gauss_hermite",
    "get",
    "normal_cdf",
]

NAMES: tuple[str, ...] = (
    "linear",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "silu",
    "softsign",
)

#: SELU constants (Klambauer et al. 2017), as in PyTorch.
SELU_ALPHA: float = 1.6732632423543772848170429916717
SELU_SCALE: float = 1.0507009873554804934193349852946

# Beyond this magnitude exp(-|z|) and exp(-z^2 / 2) are exactly 0 in float64, so clipping z there
# changes nothing except turning `inf * 0` (NaN + RuntimeWarning) into the correct limit 0.
_CLIP = 1.0e3
_FMAX = float(np.finfo(np.float64).max)
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """An activation function with its derivatives and initialization gain.

    Attributes
    ----------
    name : str
        Registry name (one of :data:`NAMES`).
    label : str
        Human-readable name, e.g. ``"Leaky ReLU (a = 0.01)"``.
    formula : str
        LaTeX formula of ``f(z)``.
    f : callable
        ``f(z)``, elementwise; any shape in, same shape out (float64).
    df : callable
        ``f'(z)``, the derivative with respect to the pre-activation, elementwise.
    gain : float
        PyTorch's ``calculate_gain`` where defined, else ``1 / sqrt(E[f(z)^2])``, ``z ~ N(0, 1)``.
    gain_source : {"pytorch", "variance_preserving"}
        Which of the two definitions ``gain`` follows.
    df_max : float
        ``max_z |f'(z)|`` (sigmoid 0.25, tanh 1, selu ``SELU_SCALE * SELU_ALPHA``, ...).
    saturating : bool
        True when ``f`` is bounded on both sides (sigmoid, tanh, softsign).
    d2f : callable
        ``f''(z)`` elementwise (0 at kinks of piecewise-linear functions; Dirac masses are
        ignored). Used by the depth scale ``xi_q`` in :mod:`core.theory`.
    negative_slope : float or None
        Slope ``a`` for ``z < 0`` of leaky_relu; None for the others.
    """

    name: str
    label: str
    formula: str
    f: Callable[[Array], Array]
    df: Callable[[Array], Array]
    gain: float
    gain_source: Literal["pytorch", "variance_preserving"]
    df_max: float
    saturating: bool
    d2f: Callable[[Array], Array]
    negative_slope: float | None = None


def _arr(z: object) -> Array:
    return np.asarray(z, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Error function (Cody 1969), vectorized.
# --------------------------------------------------------------------------------------------
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)  # fmt: skip
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)  # fmt: skip
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)  # fmt: skip
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)  # fmt: skip
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)  # fmt: skip
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)  # fmt: skip
_SQRPI = 5.6418958354775628695e-1  # 1 / sqrt(pi)
_ERFC_ZERO = 27.5  # erfc(y) is exactly 0 in float64 beyond y ~ 27.3 (subnormals included)


def _erf_small(y: Array) -> Array:
    """Erf(y) for |y| <= 0.46875 (Cody's first interval)."""
    t = y * y
    num = _A[4] * t
    den = t
    for i in range(3):
        num = (num + _A[i]) * t
        den = (den + _B[i]) * t
    return y * (num + _A[3]) / (den + _B[3])


def _erfc_large(y: Array) -> Array:
    """Erfc(y) for 1-D y > 0.46875 (Cody's second and third intervals); y clipped to 27.5."""
    y = np.minimum(y, _ERFC_ZERO)
    r = np.empty_like(y)
    # Evaluate each rational only where it applies (about halves the cost of GELU).
    mid = y <= 4.0
    ym = y[mid]
    num = _C[8] * ym
    den = ym
    for i in range(7):
        num = (num + _C[i]) * ym
        den = (den + _D[i]) * ym
    r[mid] = (num + _C[7]) / (den + _D[7])
    # Third interval y > 4 (asymptotic, rational in 1 / y^2); NaN also lands here.
    far = ~mid
    yf = y[far]
    t = 1.0 / (yf * yf)
    num = _P[5] * t
    den = t
    for i in range(4):
        num = (num + _P[i]) * t
        den = (den + _Q[i]) * t
    r[far] = (_SQRPI - t * (num + _P[4]) / (den + _Q[4])) / yf
    # exp(-y^2) computed as exp(-ys^2) exp(-(y - ys)(y + ys)) with ys = y truncated to 1/16:
    # keeps full relative accuracy of erfc in the far tail (Cody's trick).
    ys = np.trunc(y * 16.0) / 16.0
    return np.exp(-ys * ys) * np.exp(-(y - ys) * (y + ys)) * r


def erfc(x: object) -> Array:
    """Complementary error function ``erfc(x) = 1 - erf(x)``, elementwise, float64.

    Cody's (1969) rational Chebyshev approximations on ``|x| <= 0.46875``, ``0.46875 < |x| <= 4``
    and ``|x| > 4``; relative error below about ``1e-15`` (NumPy has no erf of its own).

    Parameters
    ----------
    x : array_like
        Any shape; ``+-inf`` give 0 and 2, NaN gives NaN.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``.

    References
    ----------
    Cody, W. J. (1969). Rational Chebyshev approximations for the error function.
    Math. Comp. 23, 631-637.
    """
    x = _arr(x)
    flat = x.ravel()
    out = np.empty_like(flat)
    small = np.abs(flat) <= 0.46875  # False for NaN, which propagates through the tail branch
    out[small] = 1.0 - _erf_small(flat[small])
    xl = flat[~small]
    tail = _erfc_large(np.abs(xl))
    out[~small] = np.where(xl >= 0, tail, 2.0 - tail)
    return out.reshape(x.shape)


def erf(x: object) -> Array:
    """Error function ``erf(x)``, elementwise, float64, full relative accuracy near 0.

    Same approximation as :func:`erfc` (Cody 1969).

    Parameters
    ----------
    x : array_like
        Any shape; ``+-inf`` give ``+-1``.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``.
    """
    x = _arr(x)
    flat = x.ravel()
    out = np.empty_like(flat)
    small = np.abs(flat) <= 0.46875
    out[small] = _erf_small(flat[small])
    xl = flat[~small]
    out[~small] = np.sign(xl) * (1.0 - _erfc_large(np.abs(xl)))
    return out.reshape(x.shape)


def normal_cdf(x: object) -> Array:
    """Standard normal CDF ``Phi(x) = erfc(-x / sqrt 2) / 2``, full relative accuracy in both tails.

    Parameters
    ----------
    x : array_like
        Any shape.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``.
    """
    x = _arr(x)
    return 0.5 * erfc(-x / _SQRT2)


def _normal_pdf(x: Array) -> Array:
    xc = np.clip(x, -_CLIP, _CLIP)  # exp(-1e6/2) is already 0; avoids x*x overflow
    return _INV_SQRT_2PI * np.exp(-0.5 * xc * xc)


# --------------------------------------------------------------------------------------------
# The activations. Each works on float64 arrays; see the module docstring for the contract.
# --------------------------------------------------------------------------------------------
def _linear(z: Array) -> Array:
    return _arr(z).copy()


def _linear_d(z: Array) -> Array:
    return np.ones_like(_arr(z))


def _zeros(z: Array) -> Array:
    return np.zeros_like(_arr(z))


def _sigmoid(z: Array) -> Array:
    z = _arr(z)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sigmoid_d(z: Array) -> Array:
    e = np.exp(-np.abs(_arr(z)))
    return e / ((1.0 + e) * (1.0 + e))  # s (1 - s), symmetric, accurate in the tails


def _sigmoid_d2(z: Array) -> Array:
    z = _arr(z)
    e = np.exp(-np.abs(z))
    # s'' = s (1 - s)(1 - 2 s); with e = exp(-|z|): 1 - 2 s = -sign(z) (1 - e) / (1 + e).
    return -np.sign(z) * e * (1.0 - e) / (1.0 + e) ** 3


def _tanh(z: Array) -> Array:
    return np.tanh(_arr(z))


def _sech2(z: Array) -> Array:
    e = np.exp(-2.0 * np.minimum(np.abs(_arr(z)), _CLIP))  # 2 |z| could overflow
    return 4.0 * e / ((1.0 + e) * (1.0 + e))  # 1 - tanh^2 without cancellation in the tails


def _tanh_d2(z: Array) -> Array:
    z = _arr(z)
    return -2.0 * np.tanh(z) * _sech2(z)


def _relu(z: Array) -> Array:
    return np.maximum(_arr(z), 0.0)


def _relu_d(z: Array) -> Array:
    return (_arr(z) > 0).astype(np.float64)  # f'(0) = 0, as PyTorch


def _leaky(z: Array, a: float) -> Array:
    z = _arr(z)
    return np.where(z > 0, z, a * z)


def _leaky_d(z: Array, a: float) -> Array:
    return np.where(_arr(z) > 0, 1.0, a)


def _elu(z: Array, alpha: float = 1.0, scale: float = 1.0) -> Array:
    z = _arr(z)
    neg = alpha * np.expm1(np.minimum(z, 0.0))  # expm1 on clipped input: no overflow for z > 0
    return scale * np.where(z > 0, z, neg)


def _elu_d(z: Array, alpha: float = 1.0, scale: float = 1.0) -> Array:
    z = _arr(z)
    return scale * np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))


def _elu_d2(z: Array, alpha: float = 1.0, scale: float = 1.0) -> Array:
    z = _arr(z)
    return scale * np.where(z > 0, 0.0, alpha * np.exp(np.minimum(z, 0.0)))


def _selu(z: Array) -> Array:
    return _elu(z, SELU_ALPHA, SELU_SCALE)


def _selu_d(z: Array) -> Array:
    return _elu_d(z, SELU_ALPHA, SELU_SCALE)


def _selu_d2(z: Array) -> Array:
    return _elu_d2(z, SELU_ALPHA, SELU_SCALE)


def _gelu(z: Array) -> Array:
    z = _arr(z)
    # Phi(z) is exactly 0 below -38.5, so clipping z at -1e3 avoids -inf * 0.
    return np.maximum(z, -_CLIP) * normal_cdf(z)


def _gelu_d(z: Array) -> Array:
    z = _arr(z)
    zc = np.clip(z, -_CLIP, _CLIP)
    return normal_cdf(z) + zc * _normal_pdf(zc)


def _gelu_d2(z: Array) -> Array:
    zc = np.clip(_arr(z), -_CLIP, _CLIP)
    return (2.0 - zc * zc) * _normal_pdf(zc)


def _silu(z: Array) -> Array:
    z = _arr(z)
    return np.maximum(z, -_CLIP) * _sigmoid(z)  # sigmoid(z) is exactly 0 below -745


def _silu_d(z: Array) -> Array:
    z = _arr(z)
    zc = np.clip(z, -_CLIP, _CLIP)
    # s + z s (1 - s); s (1 - s) is exactly 0 for |z| > 745, so clipping z is exact.
    return _sigmoid(z) + zc * _sigmoid_d(z)


def _silu_d2(z: Array) -> Array:
    z = _arr(z)
    zc = np.clip(z, -_CLIP, _CLIP)
    # d/dz [s + z s'] = 2 s' + z s''
    return 2.0 * _sigmoid_d(z) + zc * _sigmoid_d2(z)


def _softsign(z: Array) -> Array:
    zc = np.clip(_arr(z), -_FMAX, _FMAX)  # inf / inf would be NaN; the limit is +-1
    return zc / (1.0 + np.abs(zc))


def _softsign_d(z: Array) -> Array:
    r = 1.0 / (1.0 + np.abs(_arr(z)))  # square the reciprocal: (1 + |z|)^2 overflows
    return r * r


def _softsign_d2(z: Array) -> Array:
    z = _arr(z)
    r = 1.0 / (1.0 + np.abs(z))
    return -2.0 * np.sign(z) * r * r * r


# --------------------------------------------------------------------------------------------
# Gauss-Hermite quadrature and the registry.
# --------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=16)
def gauss_hermite(n: int = 101) -> tuple[Array, Array]:
    """Nodes and weights of ``n``-point probabilists' Gauss--Hermite quadrature.

    ``E[g(z)] ~= sum_i w_i g(x_i)`` for ``z ~ N(0, 1)``: the weights of
    ``numpy.polynomial.hermite_e.hermegauss`` divided by ``sqrt(2 pi)`` so that they sum to 1.
    Exact for polynomials of degree ``<= 2n - 1``.

    Parameters
    ----------
    n : int, default 101
        Number of nodes, ``n >= 1``.

    Returns
    -------
    nodes, weights : numpy.ndarray
        Shape ``(n,)`` each, read-only (results are cached).

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"gauss_hermite: n must be a positive integer, got {n!r}")
    x, w = np.polynomial.hermite_e.hermegauss(int(n))
    w = w / math.sqrt(2.0 * math.pi)
    x.setflags(write=False)
    w.setflags(write=False)
    return x, w


@functools.lru_cache(maxsize=1)
def _split_gauss_rule() -> tuple[Array, Array]:
    """Gauss-Legendre on [-40, 0] and [0, 40] times the normal density: E[g] = sum w g(x).

    The gain integrands f(z)^2 are not smooth at z = 0 (softsign has |z|, elu a jump in f''),
    where Gauss-Hermite converges only algebraically (301 nodes: 4e-5 relative error for
    softsign). Splitting at the kink restores exponential convergence: ~1e-15 here.
    """
    t, v = np.polynomial.legendre.leggauss(200)
    half = 20.0 * (t + 1.0)  # [0, 40]; the normal tail beyond 40 is below 1e-340
    x = np.concatenate([-half[::-1], half])
    w = np.concatenate([v[::-1], v]) * 20.0 * _INV_SQRT_2PI * np.exp(-0.5 * x * x)
    x.setflags(write=False)
    w.setflags(write=False)
    return x, w


def _variance_preserving_gain(f: Callable[[Array], Array]) -> float:
    """Return 1 / sqrt(E[f(z)^2]), z ~ N(0, 1), computed with the split Gauss rule."""
    x, w = _split_gauss_rule()
    return float(1.0 / math.sqrt(float(np.dot(w, f(x) ** 2))))


def _check_slope(negative_slope: float) -> float:
    try:
        a = float(negative_slope)
    except (TypeError, ValueError):
        raise ValueError(f"negative_slope must be a number, got {negative_slope!r}") from None
    if not (math.isfinite(a) and 0.0 <= a <= 1.0):
        raise ValueError(f"negative_slope must be in [0, 1], got {negative_slope!r}")
    return a


def get(name: str, *, negative_slope: float = 0.01) -> Activation:
    """Return the :class:`Activation` called ``name``.

    Parameters
    ----------
    name : str
        One of :data:`NAMES`: linear, sigmoid, tanh, relu, leaky_relu, elu, selu, gelu, silu,
        softsign.
    negative_slope : float, default 0.01
        Slope ``a`` of leaky_relu for ``z < 0``, in ``[0, 1]`` (ignored by the others).

    Returns
    -------
    Activation
        Frozen record; equal arguments return the same (cached) object.

    Raises
    ------
    ValueError
        Unknown ``name`` (the message lists the valid names) or ``negative_slope`` outside
        ``[0, 1]``.
    """
    if not isinstance(name, str) or name not in NAMES:
        raise ValueError(f"unknown activation {name!r}; valid names: {', '.join(NAMES)}")
    a = _check_slope(negative_slope) if name == "leaky_relu" else None
    return _build(name, a)


@functools.lru_cache(maxsize=64)
def _build(name: str, a: float | None) -> Activation:
    if name == "linear":
        return Activation(
            "linear", "Linear (identity)", r"f(z) = z", _linear, _linear_d,
            1.0, "pytorch", 1.0, False, _zeros,
        )  # fmt: skip
    if name == "sigmoid":
        return Activation(
            "sigmoid", "Sigmoid", r"f(z) = \frac{1}{1 + e^{-z}}", _sigmoid, _sigmoid_d,
            1.0, "pytorch", 0.25, True, _sigmoid_d2,
        )  # fmt: skip
    if name == "tanh":
        return Activation(
            "tanh", "Tanh", r"f(z) = \tanh z", _tanh, _sech2,
            5.0 / 3.0, "pytorch", 1.0, True, _tanh_d2,
        )  # fmt: skip
    if name == "relu":
        return Activation(
            "relu", "ReLU", r"f(z) = \max(0, z)", _relu, _relu_d,
            math.sqrt(2.0), "pytorch", 1.0, False, _zeros,
        )  # fmt: skip
    if name == "leaky_relu":
        assert a is not None
        return Activation(
            "leaky_relu",
            f"Leaky ReLU (a = {a:g})",
            r"f(z) = \begin{cases} z & z > 0 \\ a z & z \le 0 \end{cases}",
            functools.partial(_leaky, a=a),
            functools.partial(_leaky_d, a=a),
            math.sqrt(2.0 / (1.0 + a * a)),
            "pytorch",
            max(1.0, abs(a)),
            False,
            _zeros,
            a,
        )
    if name == "elu":
        return Activation(
            "elu", "ELU",
            r"f(z) = \begin{cases} z & z > 0 \\ e^{z} - 1 & z \le 0 \end{cases}",
            _elu, _elu_d, _variance_preserving_gain(_elu), "variance_preserving",
            1.0, False, _elu_d2,
        )  # fmt: skip
    if name == "selu":
        return Activation(
            "selu", "SELU",
            r"f(z) = \lambda \begin{cases} z & z > 0 \\ \alpha (e^{z} - 1) & z \le 0 \end{cases},"
            r"\ \lambda \approx 1.0507,\ \alpha \approx 1.6733",
            _selu, _selu_d, 0.75, "pytorch", SELU_SCALE * SELU_ALPHA, False, _selu_d2,
        )  # fmt: skip
    if name == "gelu":
        # max of Phi(z) + z phi(z) is at z = sqrt 2 (where f'' = (2 - z^2) phi(z) = 0).
        return Activation(
            "gelu", "GELU (exact)", r"f(z) = z\,\Phi(z) = \frac{z}{2}\left(1 + "
            r"\operatorname{erf}\frac{z}{\sqrt{2}}\right)",
            _gelu, _gelu_d, _variance_preserving_gain(_gelu), "variance_preserving",
            float(_gelu_d(np.sqrt(2.0))), False, _gelu_d2,
        )  # fmt: skip
    if name == "silu":
        # max of f' at the root z ~ 2.39936 of f''; value from a 1e-14 minimization (tested).
        return Activation(
            "silu", "SiLU / Swish", r"f(z) = \frac{z}{1 + e^{-z}}",
            _silu, _silu_d, _variance_preserving_gain(_silu), "variance_preserving",
            1.0998393201288672, False, _silu_d2,
        )  # fmt: skip
    # softsign (name was validated by get)
    return Activation(
        "softsign", "Softsign", r"f(z) = \frac{z}{1 + |z|}",
        _softsign, _softsign_d, _variance_preserving_gain(_softsign), "variance_preserving",
        1.0, True, _softsign_d2,
    )  # fmt: skip
