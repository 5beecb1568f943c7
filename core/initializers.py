r"""Weight initializers and their catalogue (pure NumPy).

Weight layout everywhere (Keras/JAX convention): inputs on axis -2, outputs on axis -1, and any
leading axes are the receptive field. A dense layer is ``(fan_in, fan_out)`` used as ``x @ w``; a
2-D conv kernel is ``(kh, kw, c_in, c_out)``. PyTorch stores ``(out, in, kh, kw)``; the fans (and
therefore every standard deviation and bound here) are the same numbers.

Every sampling function takes a keyword-only ``rng: np.random.Generator``; there is no global RNG.
Results are float64.

Entry points
------------
``initialize(name, shape, *, rng, **params)``
    Validated, registry-driven initialization (what the app and the networks use); tensors of
    more than ``MAX_ELEMENTS`` entries are refused with ValueError.
``REGISTRY``
    ``dict[str, InitSpec]`` in display order: formula, purpose, reference, parameters and the
    equivalent PyTorch / Keras 3 / JAX call of every scheme.
``compute_fans``, ``calculate_gain``, ``variance_scaling``, ``scale_of``, ``sigma_w2``
    The arithmetic behind the schemes (fans, gains, exact standard deviations and bounds).

The named functions (``he_normal``, ``orthogonal`` ...) can also be called directly; they check
positivity of their parameters but neither the UI ranges that :func:`validate_params` enforces
nor the size limit.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

__all__ = [
    "DISTRIBUTIONS",
    "MAX_ELEMENTS",
    "MODES",
    "NONLINEARITIES",
    "REGISTRY",
    "TRUNCATED_NORMAL_STD",
    "InitSpec",
    "ParamSpec",
    "Scale",
    "calculate_gain",
    "compute_fans",
    "constant",
    "delta_orthogonal",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "initialize",
    "large_random",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "orthogonal",
    "scale_of",
    "sigma_w2",
    "small_random",
    "torch_default",
    "uniform",
    "validate_params",
    "variance_scaling",
    "zeros",
]

Mode = Literal["fan_in", "fan_out", "fan_avg"]
Distribution = Literal["normal", "truncated_normal", "uniform"]
MODES: tuple[str, ...] = get_args(Mode)
DISTRIBUTIONS: tuple[str, ...] = get_args(Distribution)

#: Standard deviation of a standard normal truncated to [-2, 2] (Keras/JAX constant). Dividing the
#: target std by it before truncating makes the std *after* truncation exact.
TRUNCATED_NORMAL_STD = 0.87962566103423978

#: Where the truncated normal is cut, in units of the pre-truncation sigma.
_TRUNCATION = 2.0

#: Largest number of entries :func:`initialize` draws in one tensor (2**26 float64 values =
#: 512 MiB; the orthogonal schemes need about as much again for their QR work space). Larger
#: requests raise ValueError before anything is allocated, so a notebook user asking for a
#: 10^6 x 10^6 layer gets a clear message instead of a MemoryError or a swapping machine.
#: ``core.networks.MAX_PARAMETERS`` (a whole network) is below it.
MAX_ELEMENTS: int = 2**26

Shape = Sequence[int]


# --------------------------------------------------------------------------------------------
# Shapes, fans and gains
# --------------------------------------------------------------------------------------------


def _as_shape(shape: Shape) -> tuple[int, ...]:
    """Return ``shape`` as a tuple of positive Python ints, or raise."""
    if isinstance(shape, (int, np.integer)) or not isinstance(shape, (Sequence, np.ndarray)):
        raise TypeError(f"shape must be a sequence of integers, got {shape!r}")
    try:
        dims = tuple(operator.index(d) for d in shape)
    except TypeError as err:
        raise TypeError(f"shape must be a sequence of integers, got {shape!r}") from err
    if any(d <= 0 for d in dims):
        raise ValueError(f"shape must have positive dimensions (no zero-sized arrays), got {dims}")
    return dims


def _require_rank(dims: tuple[int, ...], what: str, low: int, high: int | None = None) -> None:
    if len(dims) < low or (high is not None and len(dims) > high):
        wanted = (
            f"at least {low}" if high is None else f"{low}" if low == high else f"{low} to {high}"
        )
        raise ValueError(f"{what} needs a shape of rank {wanted}, got {dims} (rank {len(dims)})")


def compute_fans(shape: Shape) -> tuple[int, int]:
    r"""Return ``(fan_in, fan_out)`` of a weight of the given shape.

    Layout: inputs on axis -2, outputs on axis -1, leading axes are the receptive field:

    .. math::
        r = \prod_{k < d-2} \text{shape}_k,\quad
        \text{fan\_in} = r\,\text{shape}_{-2},\quad \text{fan\_out} = r\,\text{shape}_{-1}.

    A dense ``(3, 5)`` gives ``(3, 5)``; a conv kernel ``(3, 3, 16, 32)`` gives ``(144, 288)``,
    the same numbers PyTorch computes from its ``(32, 16, 3, 3)`` layout.

    Parameters
    ----------
    shape : sequence of int, length >= 2
        Weight shape ``(*receptive_field, n_in, n_out)``.

    Returns
    -------
    tuple of (int, int)
        ``(fan_in, fan_out)``.

    Raises
    ------
    ValueError
        If ``len(shape) < 2`` (fans are undefined for vectors) or a dimension is not positive.
    TypeError
        If ``shape`` is not a sequence of integers.
    """
    dims = _as_shape(shape)
    _require_rank(dims, "compute_fans", 2)
    receptive = math.prod(dims[:-2])
    return dims[-2] * receptive, dims[-1] * receptive


#: Names accepted by :func:`calculate_gain`, in PyTorch's order.
NONLINEARITIES: tuple[str, ...] = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "selu",
)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""Return PyTorch's recommended gain for a non-linearity.

    ================= ====================================
    nonlinearity      gain
    ================= ====================================
    linear / conv*    :math:`1`
    sigmoid           :math:`1`
    tanh              :math:`5/3`
    relu              :math:`\sqrt{2}`
    leaky_relu        :math:`\sqrt{2 / (1 + a^2)}`
    selu              :math:`3/4`
    ================= ====================================

    Multiplying the std of a fan-in scheme by the gain compensates for how much the non-linearity
    shrinks the second moment (ReLU halves it, hence :math:`\sqrt 2`). PyTorch notes that for SELU
    the 3/4 gain trades normalization for stability; self-normalizing nets use ``linear`` (gain 1).

    Parameters
    ----------
    nonlinearity : str
        One of :data:`NONLINEARITIES`.
    param : float, optional
        Negative slope ``a`` of ``leaky_relu`` (default 0.01); ignored for the other names.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the name is unknown (the message lists the valid names) or ``param`` is not a number.

    References
    ----------
    PyTorch ``torch.nn.init.calculate_gain``.
    """
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(
            f"unknown nonlinearity {nonlinearity!r}; valid names: {', '.join(NONLINEARITIES)}"
        )
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4.0
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"negative_slope {param!r} is not a valid number")
        if not math.isfinite(slope):
            raise ValueError(f"negative_slope must be finite, got {slope}")
        return math.sqrt(2.0 / (1.0 + slope**2))
    return 1.0  # linear, conv*, conv_transpose*, sigmoid


# --------------------------------------------------------------------------------------------
# Argument checks shared by the named functions
# --------------------------------------------------------------------------------------------


def _real(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {out}")
    return out


def _positive(name: str, value: object) -> float:
    out = _real(name, value)
    if out <= 0.0:
        raise ValueError(f"{name} must be positive, got {out}")
    return out


def _check_rng(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {rng!r}"
        )
    return rng


def _fan(fans: tuple[int, int], mode: str) -> float:
    fan_in, fan_out = fans
    if mode == "fan_in":
        return float(fan_in)
    if mode == "fan_out":
        return float(fan_out)
    if mode == "fan_avg":
        return (fan_in + fan_out) / 2.0
    raise ValueError(f"unknown mode {mode!r}; valid modes: {', '.join(MODES)}")


def _check_distribution(distribution: str) -> str:
    if distribution not in DISTRIBUTIONS:
        raise ValueError(
            f"unknown distribution {distribution!r}; valid distributions: "
            f"{', '.join(DISTRIBUTIONS)}"
        )
    return distribution


def _truncated_standard_normal(dims: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Draw i.i.d. N(0, 1) conditioned on |z| <= 2, by per-entry rejection (exact).

    About 4.6 % of the draws fall outside, so each round shrinks the rejected set ~20x and the
    loop ends after a handful of vectorized rounds.
    """
    flat = rng.standard_normal(math.prod(dims))
    redo = np.flatnonzero(np.abs(flat) > _TRUNCATION)
    while redo.size:
        fresh = rng.standard_normal(redo.size)
        flat[redo] = fresh
        redo = redo[np.abs(fresh) > _TRUNCATION]
    return flat.reshape(dims)


# --------------------------------------------------------------------------------------------
# Variance scaling and its presets
# --------------------------------------------------------------------------------------------


def variance_scaling(
    shape: Shape,
    *,
    scale: float,
    mode: Mode,
    distribution: Distribution,
    rng: np.random.Generator,
) -> np.ndarray:
    r"""Variance-scaling initialization: :math:`\operatorname{Var}(W) = \text{scale} / n`.

    The general "k/n" rule (Keras ``VarianceScaling``, JAX ``variance_scaling``) of which LeCun,
    Glorot and He are special cases. ``n`` is chosen by ``mode``:

    .. math::
        n = \text{fan\_in} \;|\; \text{fan\_out} \;|\; (\text{fan\_in} + \text{fan\_out}) / 2.

    and the target std is :math:`s = \sqrt{\text{scale}/n}`. ``distribution`` picks

    * ``"normal"``: :math:`\mathcal{N}(0, s^2)`, untruncated (Keras: ``untruncated_normal``).
    * ``"truncated_normal"``: :math:`\mathcal{N}(0, \sigma^2)` cut at :math:`\pm 2\sigma` with
      :math:`\sigma = s / 0.87962566103423978`, so the std after truncation is exactly ``s``.
    * ``"uniform"``: :math:`\mathcal{U}(-a, a)` with :math:`a = \sqrt{3\,\text{scale}/n}`
      (a uniform on :math:`[-a, a]` has variance :math:`a^2/3`).

    Parameters
    ----------
    shape : sequence of int, length >= 2
        Weight shape ``(*receptive_field, n_in, n_out)``.
    scale : float
        Positive multiplier ``k`` of the variance.
    mode : {"fan_in", "fan_out", "fan_avg"}
        ``fan_in`` preserves the forward signal variance, ``fan_out`` the backward gradient
        variance, ``fan_avg`` is Glorot's compromise.
    distribution : {"normal", "truncated_normal", "uniform"}
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        If ``scale`` is not positive and finite, ``mode`` or ``distribution`` is unknown, or the
        shape has rank < 2 or a zero-sized dimension.

    References
    ----------
    Kumar, S. K. (2017). On weight initialization in deep neural networks. arXiv:1704.08863.
    """
    scale = _positive("scale", scale)
    n = _fan(compute_fans(shape), mode)
    _check_distribution(distribution)
    rng = _check_rng(rng)
    dims = _as_shape(shape)
    std = math.sqrt(scale / n)
    if distribution == "normal":
        return std * rng.standard_normal(dims)
    if distribution == "truncated_normal":
        return (std / TRUNCATED_NORMAL_STD) * _truncated_standard_normal(dims, rng)
    limit = math.sqrt(3.0 * scale / n)
    return rng.uniform(-limit, limit, size=dims)


# (scale, mode, distribution) of every preset at gain 1; the gain multiplies the std, so it
# multiplies the scale by gain**2. scale_of reads this table; the tests check it against the
# one-line functions below.
_PRESETS: dict[str, tuple[float, str, str]] = {
    "lecun_normal": (1.0, "fan_in", "normal"),
    "lecun_uniform": (1.0, "fan_in", "uniform"),
    "glorot_normal": (1.0, "fan_avg", "normal"),
    "glorot_uniform": (1.0, "fan_avg", "uniform"),
    "he_normal": (2.0, "fan_in", "normal"),
    "he_uniform": (2.0, "fan_in", "uniform"),
    "torch_default": (1.0 / 3.0, "fan_in", "uniform"),
}

#: Below this ``k * gain**2`` the squared gain loses precision or underflows to 0 (gain < ~1e-154,
#: which the registry's range (0, 10] allows); the presets then scale unit-gain weights by the
#: gain instead of squaring it (the same values up to rounding).
_MIN_GAIN_SCALE = 1e-300


def _gain_preset(
    shape: Shape,
    gain: float,
    k: float,
    mode: Mode,
    distribution: Distribution,
    rng: np.random.Generator,
) -> np.ndarray:
    """``variance_scaling(shape, scale=k * gain**2, ...)``, also when ``gain**2`` underflows."""
    g = _positive("gain", gain)
    if k * g**2 >= _MIN_GAIN_SCALE:
        return variance_scaling(
            shape, scale=k * g**2, mode=mode, distribution=distribution, rng=rng
        )
    return g * variance_scaling(shape, scale=k, mode=mode, distribution=distribution, rng=rng)


def lecun_normal(shape: Shape, *, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    r"""LeCun normal: :math:`\mathcal{N}(0, g^2/\text{fan\_in})`, untruncated.

    From "Efficient BackProp", LeCun, Y. et al. (1998): with unit-variance inputs, a std of
    :math:`1/\sqrt{\text{fan\_in}}` keeps the pre-activation variance at 1 through linear and
    tanh-like layers; also the init for SELU self-normalizing nets (Klambauer et al., 2017).
    Equals ``variance_scaling(shape, scale=gain**2, mode="fan_in", distribution="normal")``.
    Note that Keras' ``LecunNormal`` and JAX's ``lecun_normal`` are *truncated*.

    Parameters
    ----------
    shape : sequence of int, length >= 2
    rng : numpy.random.Generator
    gain : float, default 1
        Positive factor on the std.

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        Non-positive gain, rank < 2 or a zero-sized dimension.

    References
    ----------
    LeCun, Bottou, Orr, Müller (1998). Efficient BackProp. Klambauer, Unterthiner, Mayr,
    Hochreiter (2017). Self-Normalizing Neural Networks. arXiv:1706.02515.
    """
    return _gain_preset(shape, gain, 1.0, "fan_in", "normal", rng)


def lecun_uniform(shape: Shape, *, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    r"""LeCun uniform: :math:`\mathcal{U}(-a, a)` with :math:`a = g\sqrt{3/\text{fan\_in}}`.

    Same variance as :func:`lecun_normal` (:math:`g^2/\text{fan\_in}`). Equals
    ``variance_scaling(shape, scale=gain**2, mode="fan_in", distribution="uniform")``.

    Parameters
    ----------
    shape : sequence of int, length >= 2
    rng : numpy.random.Generator
    gain : float, default 1
        Positive factor on the std (and the bound).

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        Non-positive gain, rank < 2 or a zero-sized dimension.

    References
    ----------
    LeCun, Bottou, Orr, Müller (1998). Efficient BackProp.
    """
    return _gain_preset(shape, gain, 1.0, "fan_in", "uniform", rng)


def glorot_normal(shape: Shape, *, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    r"""Glorot (Xavier) normal: untruncated :math:`\mathcal{N}(0, \sigma^2)`.

    The std is

    .. math:: \sigma = g \sqrt{\frac{2}{\text{fan\_in} + \text{fan\_out}}}

    as described in "Understanding the difficulty of training deep feedforward neural networks",
    Glorot, X. & Bengio, Y. (2010): the compromise between preserving the forward variance
    (:math:`1/\text{fan\_in}`) and the backward variance (:math:`1/\text{fan\_out}`). Also known
    as ``xavier_normal_`` (PyTorch). Keras' ``GlorotNormal`` and JAX's ``glorot_normal`` are
    *truncated*; this one matches PyTorch. Equals
    ``variance_scaling(shape, scale=gain**2, mode="fan_avg", distribution="normal")``.

    Parameters
    ----------
    shape : sequence of int, length >= 2
    rng : numpy.random.Generator
    gain : float, default 1
        Positive factor on the std.

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        Non-positive gain, rank < 2 or a zero-sized dimension.

    References
    ----------
    Glorot, X. & Bengio, Y. (2010). Understanding the difficulty of training deep feedforward
    neural networks. AISTATS. https://proceedings.mlr.press/v9/glorot10a.html
    """
    return _gain_preset(shape, gain, 1.0, "fan_avg", "normal", rng)


def glorot_uniform(shape: Shape, *, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    r"""Glorot (Xavier) uniform: :math:`\mathcal{U}(-a, a)`.

    The bound is

    .. math:: a = g \sqrt{\frac{6}{\text{fan\_in} + \text{fan\_out}}}

    Glorot & Bengio's "normalized initialization" (their eq. 16); Keras' default kernel init and
    PyTorch's ``xavier_uniform_``. Equals
    ``variance_scaling(shape, scale=gain**2, mode="fan_avg", distribution="uniform")``.

    Parameters
    ----------
    shape : sequence of int, length >= 2
    rng : numpy.random.Generator
    gain : float, default 1
        Positive factor on the std (and the bound).

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        Non-positive gain, rank < 2 or a zero-sized dimension.

    References
    ----------
    Glorot, X. & Bengio, Y. (2010). Understanding the difficulty of training deep feedforward
    neural networks. AISTATS. https://proceedings.mlr.press/v9/glorot10a.html
    """
    return _gain_preset(shape, gain, 1.0, "fan_avg", "uniform", rng)


def he_normal(shape: Shape, *, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    r"""He (Kaiming) normal, fan-in mode: untruncated :math:`\mathcal{N}(0, \sigma^2)`.

    The std is

    .. math:: \sigma = g \sqrt{\frac{2}{\text{fan\_in}}}

    as described in "Delving deep into rectifiers", He, K. et al. (2015): ReLU zeroes half of its
    inputs and so halves the second moment; doubling the variance keeps it constant with depth.
    Also known as ``kaiming_normal_(w, mode="fan_in", nonlinearity="relu")`` (PyTorch), which is
    untruncated like this one; Keras' ``HeNormal`` and JAX's ``he_normal`` are *truncated*.
    Equals ``variance_scaling(shape, scale=2 * gain**2, mode="fan_in", distribution="normal")``.

    Parameters
    ----------
    shape : sequence of int, length >= 2
    rng : numpy.random.Generator
    gain : float, default 1
        Positive factor on the std.

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        Non-positive gain, rank < 2 or a zero-sized dimension.

    References
    ----------
    He, K., Zhang, X., Ren, S., Sun, J. (2015). Delving Deep into Rectifiers: Surpassing
    Human-Level Performance on ImageNet Classification. arXiv:1502.01852.
    """
    return _gain_preset(shape, gain, 2.0, "fan_in", "normal", rng)


def he_uniform(shape: Shape, *, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    r"""He (Kaiming) uniform, fan-in mode: :math:`\mathcal{U}(-a, a)`.

    The bound is

    .. math:: a = g \sqrt{\frac{6}{\text{fan\_in}}}

    Same variance as :func:`he_normal` (:math:`2 g^2/\text{fan\_in}`). Also known as
    ``kaiming_uniform_(w, mode="fan_in", nonlinearity="relu")`` (PyTorch). Equals
    ``variance_scaling(shape, scale=2 * gain**2, mode="fan_in", distribution="uniform")``.

    Parameters
    ----------
    shape : sequence of int, length >= 2
    rng : numpy.random.Generator
    gain : float, default 1
        Positive factor on the std (and the bound).

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        Non-positive gain, rank < 2 or a zero-sized dimension.

    References
    ----------
    He, K., Zhang, X., Ren, S., Sun, J. (2015). Delving Deep into Rectifiers. arXiv:1502.01852.
    """
    return _gain_preset(shape, gain, 2.0, "fan_in", "uniform", rng)


def torch_default(shape: Shape, *, rng: np.random.Generator) -> np.ndarray:
    r"""PyTorch's default ``nn.Linear`` / ``nn.Conv*`` weight init: :math:`\mathcal{U}(-a, a)`.

    The bound and variance are

    .. math:: a = \frac{1}{\sqrt{\text{fan\_in}}}, \qquad
        \operatorname{Var}(W) = \frac{1}{3\,\text{fan\_in}}.

    PyTorch calls ``kaiming_uniform_(w, a=math.sqrt(5))``: the leaky-ReLU gain with slope
    :math:`\sqrt 5` is :math:`\sqrt{2/6} = 1/\sqrt 3` and the bound
    :math:`\text{gain}\sqrt{3/\text{fan\_in}}` collapses to :math:`1/\sqrt{\text{fan\_in}}`. This
    is the "standard" heuristic whose shrinking variance Glorot & Bengio (2010) analysed. Equals
    ``variance_scaling(shape, scale=1/3, mode="fan_in", distribution="uniform")``.

    Parameters
    ----------
    shape : sequence of int, length >= 2
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        Rank < 2 or a zero-sized dimension.

    References
    ----------
    Glorot, X. & Bengio, Y. (2010). Understanding the difficulty of training deep feedforward
    neural networks. AISTATS. PyTorch ``torch.nn.Linear.reset_parameters``.
    """
    return variance_scaling(shape, scale=1.0 / 3.0, mode="fan_in", distribution="uniform", rng=rng)


# --------------------------------------------------------------------------------------------
# Fixed-scale schemes
# --------------------------------------------------------------------------------------------


def zeros(shape: Shape, *, rng: np.random.Generator | None = None) -> np.ndarray:
    r"""All zeros, :math:`W = 0`.

    Right for biases, wrong for weights: every hidden unit computes the same (zero) output and the
    hidden weight gradients are exactly zero, so only the last layer and the biases learn.

    Parameters
    ----------
    shape : sequence of int
        Any rank (a 0-d shape ``()`` gives a scalar array).
    rng : numpy.random.Generator, optional
        Unused; accepted so every scheme has the same signature.

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        A zero-sized dimension.
    """
    return np.zeros(_as_shape(shape))


def constant(shape: Shape, *, rng: np.random.Generator | None = None, value: float) -> np.ndarray:
    r"""Every entry equals ``value``: :math:`W_{ij} = c`.

    With :math:`c \ne 0` all units of a layer are clones: they get identical gradients and stay
    clones, so the layer acts like a single neuron (the symmetry problem).

    Parameters
    ----------
    shape : sequence of int
        Any rank.
    rng : numpy.random.Generator, optional
        Unused.
    value : float
        The constant (finite).

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        Non-finite value or a zero-sized dimension.
    """
    return np.full(_as_shape(shape), _real("value", value))


def normal(shape: Shape, *, rng: np.random.Generator, std: float) -> np.ndarray:
    r"""Gaussian with a fixed std: :math:`W_{ij} \sim \mathcal{N}(0, \sigma^2)`.

    Ignores the layer size, so the right ``std`` for one width is wrong for another. Also known as
    ``normal_`` (PyTorch), ``RandomNormal`` (Keras, default std 0.05), ``normal`` (JAX).

    Parameters
    ----------
    shape : sequence of int
        Any rank.
    rng : numpy.random.Generator
    std : float
        Positive standard deviation.

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        Non-positive std or a zero-sized dimension.
    """
    std = _positive("std", std)
    return std * _check_rng(rng).standard_normal(_as_shape(shape))


def uniform(shape: Shape, *, rng: np.random.Generator, limit: float) -> np.ndarray:
    r"""Uniform with a fixed limit: :math:`W_{ij} \sim \mathcal{U}(-a, a)`, std :math:`a/\sqrt3`.

    Also known as ``uniform_(w, -a, a)`` (PyTorch) and ``RandomUniform`` (Keras, default
    :math:`\pm 0.05`). Note JAX's ``uniform(scale)`` samples :math:`[0, \text{scale})`.

    Parameters
    ----------
    shape : sequence of int
        Any rank.
    rng : numpy.random.Generator
    limit : float
        Positive bound ``a``.

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        Non-positive limit or a zero-sized dimension.
    """
    limit = _positive("limit", limit)
    return _check_rng(rng).uniform(-limit, limit, size=_as_shape(shape))


def small_random(shape: Shape, *, rng: np.random.Generator) -> np.ndarray:
    r"""The classic "small random numbers": :math:`\mathcal{N}(0, 0.01^2)`.

    Breaks the symmetry, but in a deep net the activation std is multiplied by roughly
    :math:`0.01\sqrt{n}` per layer, so activations and gradients vanish.

    Parameters
    ----------
    shape : sequence of int
        Any rank.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of float64, shape ``shape``
    """
    return normal(shape, rng=rng, std=0.01)


def large_random(shape: Shape, *, rng: np.random.Generator) -> np.ndarray:
    r"""Unit Gaussian regardless of layer size: :math:`\mathcal{N}(0, 1)`.

    Pre-activations grow like :math:`\sqrt{\text{fan\_in}}`: tanh and sigmoid saturate (so their
    gradients vanish anyway) and ReLU/linear nets explode.

    Parameters
    ----------
    shape : sequence of int
        Any rank.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of float64, shape ``shape``
    """
    return normal(shape, rng=rng, std=1.0)


# --------------------------------------------------------------------------------------------
# Orthogonal family
# --------------------------------------------------------------------------------------------


def _haar_orthogonal(rows: int, cols: int, rng: np.random.Generator) -> np.ndarray:
    """Haar-distributed ``(rows, cols)`` matrix with orthonormal columns (or rows if wide)."""
    wide = rows < cols
    a = rng.standard_normal((cols, rows) if wide else (rows, cols))
    q, r = np.linalg.qr(a)
    # QR is unique only up to the signs of R's diagonal. LAPACK's Householder QR picks them from
    # the data (Q[0, 0] <= 0 and det Q = -1 for every 2x2 draw), which biases Q; forcing
    # diag(R) > 0 gives the Haar measure (Mezzadri 2007). A zero diagonal has probability 0.
    signs = np.sign(np.diagonal(r))
    signs[signs == 0] = 1.0
    q *= signs
    return q.T if wide else q


def orthogonal(shape: Shape, *, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    r"""(Semi-)orthogonal matrix times a gain, Haar-distributed.

    As described in "Exact solutions to the nonlinear dynamics of learning in deep linear neural
    networks", Saxe, A. et al. (2013). The weight is viewed as the matrix
    ``(prod(shape[:-1]), shape[-1])`` (conv kernels are flattened so the output channels are the
    columns); it is the Q of a QR decomposition of a Gaussian matrix (of the transpose when there
    are fewer rows than columns), with columns multiplied by :math:`\operatorname{sign}(R_{ii})`:

    .. math:: A = QR,\quad W = g\, Q \operatorname{diag}(\operatorname{sign} R_{ii}).

    Tall matrices get orthonormal columns (:math:`W^\top W = g^2 I`), wide ones orthonormal rows
    (:math:`W W^\top = g^2 I`). Every singular value equals ``gain``.

    Parameters
    ----------
    shape : sequence of int, length >= 2
    rng : numpy.random.Generator
    gain : float, default 1
        Positive multiplier.

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        Non-positive gain, rank < 2 or a zero-sized dimension.

    References
    ----------
    Saxe, A. M., McClelland, J. L., Ganguli, S. (2013). Exact solutions to the nonlinear dynamics
    of learning in deep linear neural networks. arXiv:1312.6120. Mezzadri, F. (2007). How to
    generate random matrices from the classical compact groups. arXiv:math-ph/0609050.
    """
    gain = _positive("gain", gain)
    dims = _as_shape(shape)
    _require_rank(dims, "orthogonal", 2)
    rng = _check_rng(rng)
    q = _haar_orthogonal(math.prod(dims[:-1]), dims[-1], rng)
    return gain * q.reshape(dims)


def identity(
    shape: Shape, *, rng: np.random.Generator | None = None, gain: float = 1.0
) -> np.ndarray:
    r"""Identity matrix times a gain: :math:`W = g I` (rectangular allowed, like ``torch.eye``).

    Le, Jaitly & Hinton's IRNN: with :math:`W_{hh} = I` a ReLU RNN copies its hidden state forward
    in time, so gradients through time neither vanish nor explode at the start of training.

    Parameters
    ----------
    shape : sequence of int, length 2
    rng : numpy.random.Generator, optional
        Unused.
    gain : float, default 1
        Positive multiplier.

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        Non-positive gain, a shape that is not 2-D, or a zero-sized dimension.

    References
    ----------
    Le, Q. V., Jaitly, N., Hinton, G. E. (2015). A Simple Way to Initialize Recurrent Networks of
    Rectified Linear Units. arXiv:1504.00941.
    """
    gain = _positive("gain", gain)
    dims = _as_shape(shape)
    _require_rank(dims, "identity", 2, 2)
    return gain * np.eye(dims[0], dims[1])


def delta_orthogonal(shape: Shape, *, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    r"""Delta-orthogonal conv kernel: orthogonal at the spatial centre, zero elsewhere.

    As described in "Dynamical Isometry and a Mean Field Theory of CNNs", Xiao, L. et al. (2018),
    algorithm 2. For a kernel ``(*spatial, c_in, c_out)`` with ``c_in <= c_out``:

    .. math::
        W[k_c, :, :] = g\, H, \quad W[k, :, :] = 0 \ (k \ne k_c), \qquad H H^\top = I_{c_\text{in}},

    where :math:`k_c = ((k_1-1)//2, \dots)` is the centre tap and ``H`` is a Haar (semi-)
    orthogonal ``c_in x c_out`` matrix with orthonormal rows. The convolution then maps every
    pixel's channel vector by ``g H``, so it multiplies the 2-norm of any input by exactly ``g``
    (with "same" padding). For even kernel sizes the centre is the lower of the two middle taps.

    Parameters
    ----------
    shape : sequence of int, length 3, 4 or 5
        ``(k, c_in, c_out)``, ``(kh, kw, c_in, c_out)`` or ``(kd, kh, kw, c_in, c_out)``.
    rng : numpy.random.Generator
    gain : float, default 1
        Positive multiplier.

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        Non-positive gain, rank not 3-5, ``c_in > c_out`` or a zero-sized dimension.

    References
    ----------
    Xiao, L., Bahri, Y., Sohl-Dickstein, J., Schoenholz, S. S., Pennington, J. (2018). Dynamical
    Isometry and a Mean Field Theory of CNNs: How to Train 10,000-Layer Vanilla Convolutional
    Neural Networks. ICML. arXiv:1806.05393.
    """
    gain = _positive("gain", gain)
    dims = _as_shape(shape)
    _require_rank(dims, "delta_orthogonal", 3, 5)
    c_in, c_out = dims[-2:]
    if c_in > c_out:
        raise ValueError(
            f"delta_orthogonal needs c_in <= c_out (the centre must have orthonormal rows), "
            f"got c_in={c_in} > c_out={c_out} in shape {dims}"
        )
    rng = _check_rng(rng)
    w = np.zeros(dims)
    centre = tuple((k - 1) // 2 for k in dims[:-2])
    w[centre] = gain * _haar_orthogonal(c_in, c_out, rng)
    return w


# --------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of an initializer: default, valid range and UI hints.

    Attributes
    ----------
    name : str
        Keyword name passed to :func:`initialize`.
    label : str
        Human-readable label (may contain Unicode symbols).
    kind : {"float", "choice"}
    default : float or str
    low, high : float or None
        Range of a float parameter; ``low_inclusive``/``high_inclusive`` say whether the ends are
        allowed (``(0, 10]`` is ``low=0, low_inclusive=False, high=10``).
    choices : tuple of str or None
        Valid values of a choice parameter.
    help : str
        One-sentence tooltip.
    log : bool
        Whether a slider should use a log scale (values that span decades).
    low_inclusive, high_inclusive : bool
    """

    name: str
    label: str
    kind: Literal["float", "choice"]
    default: float | str
    low: float | None
    high: float | None
    choices: tuple[str, ...] | None
    help: str
    log: bool = False
    low_inclusive: bool = True
    high_inclusive: bool = True

    def check(self, value: object) -> float | str:
        """Return ``value`` normalized (float or str), or raise ValueError naming the parameter.

        Parameters
        ----------
        value : object
            Candidate value.

        Returns
        -------
        float or str

        Raises
        ------
        ValueError
            Wrong type, non-finite, outside ``[low, high]`` or not one of ``choices``.
        """
        if self.kind == "choice":
            assert self.choices is not None
            if value not in self.choices:
                raise ValueError(
                    f"parameter {self.name!r} must be one of {', '.join(self.choices)}; "
                    f"got {value!r}"
                )
            return str(value)
        out = _real(f"parameter {self.name!r}", value)
        too_low = self.low is not None and (
            out < self.low or (out == self.low and not self.low_inclusive)
        )
        too_high = self.high is not None and (
            out > self.high or (out == self.high and not self.high_inclusive)
        )
        if too_low or too_high:
            raise ValueError(f"parameter {self.name!r} must be in {self.range_text}; got {out}")
        return out

    @property
    def range_text(self) -> str:
        """Interval notation of the valid range, e.g. ``(0, 10]``."""
        if self.kind == "choice":
            return "{" + ", ".join(self.choices or ()) + "}"
        left = "[" if self.low_inclusive else "("
        right = "]" if self.high_inclusive else ")"
        return f"{left}{self.low:g}, {self.high:g}{right}"


@dataclass(frozen=True)
class InitSpec:
    r"""Catalogue entry of one initializer (drives selectboxes, formula panels and the reference).

    Attributes
    ----------
    name : str
        Registry key, passed to :func:`initialize`.
    label : str
        Display name.
    formula : str
        LaTeX (for ``st.latex``); :math:`n_\mathrm{in}`/:math:`n_\mathrm{out}` are the fans.
    designed_for : str
        One or two plain sentences: the problem the scheme addresses.
    reference : str
        Authors (year). Title.
    reference_url : str
        Link to the paper (arXiv where there is one).
    params : tuple of ParamSpec
        Parameters in display order (empty when there are none).
    family : {"constant", "random", "variance_scaling", "orthogonal", "identity"}
    fan_mode : str
        ``"fan_in"``, ``"fan_out"``, ``"fan_avg"``, ``"mode"`` (chosen by the ``mode`` parameter)
        or ``"none"`` (the scale does not depend on the fans).
    pytorch, keras, jax : str
        The equivalent call (PyTorch's weights are ``(out, in, ...)``; the fans agree).
    min_rank : int
        Smallest shape rank the scheme accepts.
    max_rank : int or None
        Largest rank, or None for no limit.
    """

    name: str
    label: str
    formula: str
    designed_for: str
    reference: str
    reference_url: str
    params: tuple[ParamSpec, ...]
    family: Literal["constant", "random", "variance_scaling", "orthogonal", "identity"]
    fan_mode: str
    pytorch: str
    keras: str
    jax: str
    min_rank: int = 0
    max_rank: int | None = None

    @property
    def defaults(self) -> dict[str, float | str]:
        """Default value of every parameter, in display order."""
        return {p.name: p.default for p in self.params}


_GAIN = ParamSpec(
    name="gain",
    label="Gain g",
    kind="float",
    default=1.0,
    low=0.0,
    high=10.0,
    choices=None,
    help="Multiplies the standard deviation (e.g. calculate_gain('tanh') = 5/3).",
    low_inclusive=False,
)
_VALUE = ParamSpec(
    name="value",
    label="Constant value c",
    kind="float",
    default=0.1,
    low=-10.0,
    high=10.0,
    choices=None,
    help="Every weight is set to this value.",
)
_STD = ParamSpec(
    name="std",
    label="Standard deviation σ",
    kind="float",
    default=0.05,
    low=0.0,
    high=10.0,
    choices=None,
    help="Standard deviation of the Gaussian, independent of the layer size.",
    log=True,
    low_inclusive=False,
)
_LIMIT = ParamSpec(
    name="limit",
    label="Uniform limit a",
    kind="float",
    default=0.05,
    low=0.0,
    high=10.0,
    choices=None,
    help="Weights are drawn from U(-a, a); the std is a/√3.",
    log=True,
    low_inclusive=False,
)
_SCALE = ParamSpec(
    name="scale",
    label="Scale k",
    kind="float",
    default=1.0,
    low=0.0,
    high=100.0,
    choices=None,
    help="Var(W) = k / n: k = 1 is LeCun (fan_in) or Glorot (fan_avg), k = 2 is He.",
    log=True,
    low_inclusive=False,
)
_MODE = ParamSpec(
    name="mode",
    label="Fan mode n",
    kind="choice",
    default="fan_in",
    low=None,
    high=None,
    choices=MODES,
    help="fan_in preserves the forward pass, fan_out the backward pass, fan_avg compromises.",
)
_DISTRIBUTION = ParamSpec(
    name="distribution",
    label="Distribution",
    kind="choice",
    default="truncated_normal",
    low=None,
    high=None,
    choices=DISTRIBUTIONS,
    help="The std is the same for all three; truncated_normal is cut at ±2σ and rescaled.",
)

_GLOROT_REF = (
    "Glorot, X. & Bengio, Y. (2010). Understanding the difficulty of training deep feedforward "
    "neural networks. AISTATS."
)
_GLOROT_URL = "https://proceedings.mlr.press/v9/glorot10a.html"
_LECUN_REF = (
    "LeCun, Y., Bottou, L., Orr, G. B., Müller, K.-R. (1998). Efficient BackProp. "
    "Also Klambauer, G. et al. (2017). Self-Normalizing Neural Networks (arXiv:1706.02515)."
)
_LECUN_URL = "https://yann.lecun.com/exdb/publis/pdf/lecun-98b.pdf"
_HE_REF = (
    "He, K., Zhang, X., Ren, S., Sun, J. (2015). Delving Deep into Rectifiers: Surpassing "
    "Human-Level Performance on ImageNet Classification."
)
_HE_URL = "https://arxiv.org/abs/1502.01852"
_SYMMETRY_REF = (
    "Goodfellow, I., Bengio, Y., Courville, A. (2016). Deep Learning, section 8.4 "
    "(parameter initialization: breaking symmetry)."
)
_SYMMETRY_URL = "https://www.deeplearningbook.org/contents/optimization.html"

_KJ = "jax.nn.initializers"
_KK = "keras.initializers"

_SPECS: tuple[InitSpec, ...] = (
    InitSpec(
        name="zeros",
        label="Zeros",
        formula=r"W_{ij} = 0",
        designed_for=(
            "Right for biases, wrong for weights: every hidden unit computes the same output and "
            "the hidden weight gradients are exactly zero, so only the last layer and biases learn."
        ),
        reference=_SYMMETRY_REF,
        reference_url=_SYMMETRY_URL,
        params=(),
        family="constant",
        fan_mode="none",
        pytorch="nn.init.zeros_(w)",
        keras=f"{_KK}.Zeros()",
        jax=f"{_KJ}.zeros",
    ),
    InitSpec(
        name="constant",
        label="Constant",
        formula=r"W_{ij} = c",
        designed_for=(
            "Shows the symmetry problem: with c ≠ 0 all units of a layer are clones that receive "
            "identical gradients and stay clones, so the layer acts like a single neuron."
        ),
        reference=_SYMMETRY_REF,
        reference_url=_SYMMETRY_URL,
        params=(_VALUE,),
        family="constant",
        fan_mode="none",
        pytorch="nn.init.constant_(w, value)",
        keras=f"{_KK}.Constant(value)",
        jax=f"{_KJ}.constant(value)",
    ),
    InitSpec(
        name="normal",
        label="Normal N(0, σ²)",
        formula=r"W_{ij} \sim \mathcal{N}(0,\ \sigma^2)",
        designed_for=(
            "Plain Gaussian weights with a hand-picked standard deviation that ignores the layer "
            "size, so a value that works for one width fails for another."
        ),
        reference=_GLOROT_REF,
        reference_url=_GLOROT_URL,
        params=(_STD,),
        family="random",
        fan_mode="none",
        pytorch="nn.init.normal_(w, mean=0.0, std=std)",
        keras=f"{_KK}.RandomNormal(mean=0.0, stddev=std)",
        jax=f"{_KJ}.normal(stddev=std)",
    ),
    InitSpec(
        name="uniform",
        label="Uniform U(−a, a)",
        formula=r"W_{ij} \sim \mathcal{U}(-a,\ a), \qquad \operatorname{Var}(W) = \frac{a^2}{3}",
        designed_for=(
            "Plain uniform weights with a hand-picked limit that ignores the layer size; at equal "
            "variance it behaves almost exactly like the Gaussian."
        ),
        reference=_GLOROT_REF,
        reference_url=_GLOROT_URL,
        params=(_LIMIT,),
        family="random",
        fan_mode="none",
        pytorch="nn.init.uniform_(w, -limit, limit)",
        keras=f"{_KK}.RandomUniform(minval=-limit, maxval=limit)",
        jax=(
            "lambda key, shape, dtype=jnp.float32: jax.random.uniform(key, shape, dtype, "
            f"-limit, limit)  # {_KJ}.uniform(s) samples [0, s)"
        ),
    ),
    InitSpec(
        name="small_random",
        label="Small random N(0, 0.01²)",
        formula=r"W_{ij} \sim \mathcal{N}(0,\ 0.01^2)",
        designed_for=(
            "The classic 'small random numbers' recipe: it breaks the symmetry, but in a deep net "
            "activations and gradients shrink layer after layer (vanishing)."
        ),
        reference=_GLOROT_REF,
        reference_url=_GLOROT_URL,
        params=(),
        family="random",
        fan_mode="none",
        pytorch="nn.init.normal_(w, mean=0.0, std=0.01)",
        keras=f"{_KK}.RandomNormal(mean=0.0, stddev=0.01)",
        jax=f"{_KJ}.normal(stddev=0.01)",
    ),
    InitSpec(
        name="large_random",
        label="Large random N(0, 1)",
        formula=r"W_{ij} \sim \mathcal{N}(0,\ 1)",
        designed_for=(
            "Unit-variance weights regardless of layer size: pre-activations grow like "
            "√fan_in, so tanh and sigmoid saturate and ReLU or linear nets explode."
        ),
        reference=_GLOROT_REF,
        reference_url=_GLOROT_URL,
        params=(),
        family="random",
        fan_mode="none",
        pytorch="nn.init.normal_(w, mean=0.0, std=1.0)",
        keras=f"{_KK}.RandomNormal(mean=0.0, stddev=1.0)",
        jax=f"{_KJ}.normal(stddev=1.0)",
    ),
    InitSpec(
        name="lecun_normal",
        label="LeCun normal",
        formula=r"W_{ij} \sim \mathcal{N}\!\left(0,\ \frac{g^2}{n_\mathrm{in}}\right)",
        designed_for=(
            "Keeps the pre-activation variance constant through linear and tanh-like layers "
            "(Var = 1/fan_in); the recommended init for SELU self-normalizing networks."
        ),
        reference=_LECUN_REF,
        reference_url=_LECUN_URL,
        params=(_GAIN,),
        family="variance_scaling",
        fan_mode="fan_in",
        pytorch=(
            'nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="linear")  # then w *= gain'
        ),
        keras=(
            f'{_KK}.VarianceScaling(scale=gain**2, mode="fan_in", '
            'distribution="untruncated_normal")  # LecunNormal() is truncated'
        ),
        jax=f'{_KJ}.variance_scaling(gain**2, "fan_in", "normal")  # lecun_normal() is truncated',
        min_rank=2,
    ),
    InitSpec(
        name="lecun_uniform",
        label="LeCun uniform",
        formula=(r"W_{ij} \sim \mathcal{U}(-a,\ a), \qquad a = g\sqrt{\frac{3}{n_\mathrm{in}}}"),
        designed_for=(
            "The uniform version of LeCun's rule: Var = 1/fan_in keeps the forward variance "
            "constant through linear and tanh-like layers."
        ),
        reference=_LECUN_REF,
        reference_url=_LECUN_URL,
        params=(_GAIN,),
        family="variance_scaling",
        fan_mode="fan_in",
        pytorch=(
            'nn.init.kaiming_uniform_(w, mode="fan_in", nonlinearity="linear")  # then w *= gain'
        ),
        keras=(
            f'{_KK}.LecunUniform()  # gain 1; else VarianceScaling(scale=gain**2, mode="fan_in", '
            'distribution="uniform")'
        ),
        jax=f'{_KJ}.variance_scaling(gain**2, "fan_in", "uniform")  # = lecun_uniform() at gain 1',
        min_rank=2,
    ),
    InitSpec(
        name="glorot_normal",
        label="Glorot (Xavier) normal",
        formula=(
            r"W_{ij} \sim \mathcal{N}\!\left(0,\ "
            r"\frac{2 g^2}{n_\mathrm{in} + n_\mathrm{out}}\right)"
        ),
        designed_for=(
            "Compromise between keeping the activation variance (1/fan_in) and the gradient "
            "variance (1/fan_out) constant, for tanh, sigmoid and linear networks."
        ),
        reference=_GLOROT_REF,
        reference_url=_GLOROT_URL,
        params=(_GAIN,),
        family="variance_scaling",
        fan_mode="fan_avg",
        pytorch="nn.init.xavier_normal_(w, gain=gain)",
        keras=(
            f'{_KK}.VarianceScaling(scale=gain**2, mode="fan_avg", '
            'distribution="untruncated_normal")  # GlorotNormal() is truncated'
        ),
        jax=(
            f'{_KJ}.variance_scaling(gain**2, "fan_avg", "normal")  # glorot_normal() is truncated'
        ),
        min_rank=2,
    ),
    InitSpec(
        name="glorot_uniform",
        label="Glorot (Xavier) uniform",
        formula=(
            r"W_{ij} \sim \mathcal{U}(-a,\ a), \qquad "
            r"a = g\sqrt{\frac{6}{n_\mathrm{in} + n_\mathrm{out}}}"
        ),
        designed_for=(
            "Glorot & Bengio's 'normalized initialization': the same forward/backward compromise "
            "with a uniform distribution; Keras' default kernel initializer."
        ),
        reference=_GLOROT_REF,
        reference_url=_GLOROT_URL,
        params=(_GAIN,),
        family="variance_scaling",
        fan_mode="fan_avg",
        pytorch="nn.init.xavier_uniform_(w, gain=gain)",
        keras=(
            f"{_KK}.GlorotUniform()  # gain 1; else VarianceScaling(scale=gain**2, "
            'mode="fan_avg", distribution="uniform")'
        ),
        jax=(
            f'{_KJ}.variance_scaling(gain**2, "fan_avg", "uniform")  # = glorot_uniform() at gain 1'
        ),
        min_rank=2,
    ),
    InitSpec(
        name="he_normal",
        label="He (Kaiming) normal",
        formula=r"W_{ij} \sim \mathcal{N}\!\left(0,\ \frac{2 g^2}{n_\mathrm{in}}\right)",
        designed_for=(
            "ReLU zeroes half of its inputs and halves the second moment; doubling the variance "
            "(2/fan_in) keeps the activation variance constant through deep ReLU networks."
        ),
        reference=_HE_REF,
        reference_url=_HE_URL,
        params=(_GAIN,),
        family="variance_scaling",
        fan_mode="fan_in",
        pytorch='nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")  # then w *= gain',
        keras=(
            f'{_KK}.VarianceScaling(scale=2.0 * gain**2, mode="fan_in", '
            'distribution="untruncated_normal")  # HeNormal() is truncated'
        ),
        jax=(
            f'{_KJ}.variance_scaling(2.0 * gain**2, "fan_in", "normal")  '
            "# he_normal() is truncated; this matches PyTorch's kaiming_normal_"
        ),
        min_rank=2,
    ),
    InitSpec(
        name="he_uniform",
        label="He (Kaiming) uniform",
        formula=(r"W_{ij} \sim \mathcal{U}(-a,\ a), \qquad a = g\sqrt{\frac{6}{n_\mathrm{in}}}"),
        designed_for=(
            "The uniform version of He's rule: Var = 2/fan_in compensates for ReLU halving the "
            "second moment of the signal."
        ),
        reference=_HE_REF,
        reference_url=_HE_URL,
        params=(_GAIN,),
        family="variance_scaling",
        fan_mode="fan_in",
        pytorch='nn.init.kaiming_uniform_(w, mode="fan_in", nonlinearity="relu")  # then w *= gain',
        keras=(
            f"{_KK}.HeUniform()  # gain 1; else VarianceScaling(scale=2.0 * gain**2, "
            'mode="fan_in", distribution="uniform")'
        ),
        jax=(
            f'{_KJ}.variance_scaling(2.0 * gain**2, "fan_in", "uniform")  '
            "# = he_uniform() at gain 1"
        ),
        min_rank=2,
    ),
    InitSpec(
        name="variance_scaling",
        label="Variance scaling (k/n)",
        formula=(
            r"\operatorname{Var}(W) = \frac{k}{n}, \qquad n \in \left\{n_\mathrm{in},\ "
            r"n_\mathrm{out},\ \tfrac{n_\mathrm{in} + n_\mathrm{out}}{2}\right\}"
        ),
        designed_for=(
            "The general k/n rule behind LeCun, Glorot and He: pick the scale k, the fan n and "
            "the distribution, and the weight variance is exactly k/n."
        ),
        reference=(
            "Kumar, S. K. (2017). On weight initialization in deep neural networks. "
            "(Keras VarianceScaling / JAX variance_scaling.)"
        ),
        reference_url="https://arxiv.org/abs/1704.08863",
        params=(_SCALE, _MODE, _DISTRIBUTION),
        family="variance_scaling",
        fan_mode="mode",
        pytorch=(
            "no single call: normal_(w, std=s), uniform_(w, -a, a) with a = √3·s, or "
            "trunc_normal_(w, std=t, a=-2*t, b=2*t) with t = s/0.8796 (absolute bounds); "
            "s = sqrt(scale/n)"
        ),
        keras=(
            f"{_KK}.VarianceScaling(scale=scale, mode=mode, distribution=distribution)  "
            '# "normal" is spelled "untruncated_normal"'
        ),
        jax=f"{_KJ}.variance_scaling(scale, mode, distribution)",
        min_rank=2,
    ),
    InitSpec(
        name="orthogonal",
        label="Orthogonal",
        formula=(
            r"A = QR,\ A_{ij} \sim \mathcal{N}(0, 1), \qquad "
            r"W = g\, Q\, \operatorname{diag}(\operatorname{sign} R_{ii})"
        ),
        designed_for=(
            "Every singular value equals the gain, so deep linear networks and RNNs neither "
            "shrink nor amplify any direction; learning speed becomes independent of depth."
        ),
        reference=(
            "Saxe, A. M., McClelland, J. L., Ganguli, S. (2013). Exact solutions to the nonlinear "
            "dynamics of learning in deep linear neural networks."
        ),
        reference_url="https://arxiv.org/abs/1312.6120",
        params=(_GAIN,),
        family="orthogonal",
        fan_mode="none",
        pytorch="nn.init.orthogonal_(w, gain=gain)",
        keras=f"{_KK}.Orthogonal(gain=gain)",
        jax=f"{_KJ}.orthogonal(scale=gain)",
        min_rank=2,
    ),
    InitSpec(
        name="identity",
        label="Identity",
        formula=r"W = g\, I",
        designed_for=(
            "For ReLU RNNs (IRNN): the recurrent matrix starts as the identity, so the hidden "
            "state is copied forward in time and gradients through time do not vanish."
        ),
        reference=(
            "Le, Q. V., Jaitly, N., Hinton, G. E. (2015). A Simple Way to Initialize Recurrent "
            "Networks of Rectified Linear Units."
        ),
        reference_url="https://arxiv.org/abs/1504.00941",
        params=(_GAIN,),
        family="identity",
        fan_mode="none",
        pytorch="nn.init.eye_(w)  # then w *= gain",
        keras=f"{_KK}.Identity(gain=gain)",
        jax=(
            "lambda key, shape, dtype=jnp.float32: gain * jnp.eye(*shape, dtype=dtype)  "
            "# no built-in"
        ),
        min_rank=2,
        max_rank=2,
    ),
    InitSpec(
        name="delta_orthogonal",
        label="Delta-orthogonal (conv)",
        formula=(r"W[k_c] = g\, H,\ H H^\top = I_{c_\mathrm{in}}, \qquad W[k] = 0\ (k \neq k_c)"),
        designed_for=(
            "The convolutional analogue of orthogonal init: a kernel that is orthogonal at the "
            "spatial centre and zero elsewhere makes a conv layer norm-preserving, which lets "
            "vanilla CNNs with thousands of layers train."
        ),
        reference=(
            "Xiao, L., Bahri, Y., Sohl-Dickstein, J., Schoenholz, S. S., Pennington, J. (2018). "
            "Dynamical Isometry and a Mean Field Theory of CNNs: How to Train 10,000-Layer "
            "Vanilla Convolutional Neural Networks."
        ),
        reference_url="https://arxiv.org/abs/1806.05393",
        params=(_GAIN,),
        family="orthogonal",
        fan_mode="none",
        pytorch=(
            "no built-in: zero w, then nn.init.orthogonal_(w[:, :, kh // 2, kw // 2], gain=gain) "
            "(nn.init.dirac_ is the identity special case)"
        ),
        keras="no built-in (TF 1.x had tf.initializers.convolutional_delta_orthogonal(gain))",
        jax=f"{_KJ}.delta_orthogonal(scale=gain)",
        min_rank=3,
        max_rank=5,
    ),
    InitSpec(
        name="torch_default",
        label="PyTorch default (nn.Linear)",
        formula=(
            r"W_{ij} \sim \mathcal{U}\!\left(-\frac{1}{\sqrt{n_\mathrm{in}}},\ "
            r"\frac{1}{\sqrt{n_\mathrm{in}}}\right), \qquad "
            r"\operatorname{Var}(W) = \frac{1}{3\,n_\mathrm{in}}"
        ),
        designed_for=(
            "What PyTorch's nn.Linear and nn.Conv layers do unless told otherwise; it is the "
            "'standard' heuristic U(±1/√n) whose shrinking variance Glorot & Bengio analysed."
        ),
        reference=_GLOROT_REF + " PyTorch nn.Linear.reset_parameters.",
        reference_url=_GLOROT_URL,
        params=(),
        family="variance_scaling",
        fan_mode="fan_in",
        pytorch="nn.init.kaiming_uniform_(w, a=math.sqrt(5))  # nn.Linear/nn.Conv default",
        keras=f'{_KK}.VarianceScaling(scale=1/3, mode="fan_in", distribution="uniform")',
        jax=f'{_KJ}.variance_scaling(1/3, "fan_in", "uniform")',
        min_rank=2,
    ),
)

#: Every initializer, in display order.
REGISTRY: dict[str, InitSpec] = {spec.name: spec for spec in _SPECS}

_FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "zeros": zeros,
    "constant": constant,
    "normal": normal,
    "uniform": uniform,
    "small_random": small_random,
    "large_random": large_random,
    "lecun_normal": lecun_normal,
    "lecun_uniform": lecun_uniform,
    "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "variance_scaling": variance_scaling,
    "orthogonal": orthogonal,
    "identity": identity,
    "delta_orthogonal": delta_orthogonal,
    "torch_default": torch_default,
}
assert tuple(_FUNCTIONS) == tuple(REGISTRY)


def _spec(name: str) -> InitSpec:
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown initializer {name!r}; valid names: {', '.join(REGISTRY)}"
        ) from None


def validate_params(name: str, params: Mapping[str, object] | None = None) -> dict[str, object]:
    """Check an initializer's parameters and fill in the defaults.

    Parameters
    ----------
    name : str
        Registry name.
    params : mapping, optional
        Parameter values by name; missing ones take their default.

    Returns
    -------
    dict
        Every parameter of the scheme in display order: floats as ``float``, choices as ``str``.

    Raises
    ------
    ValueError
        Unknown initializer (lists the valid names), unknown parameter names (lists the valid
        ones), or a value of the wrong type, non-finite or outside its range (names the parameter
        and the range).
    """
    spec = _spec(name)
    given = dict(params or {})
    valid = [p.name for p in spec.params]
    unknown = [k for k in given if k not in valid]
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))} for initializer {name!r}; "
            f"valid parameters: {', '.join(valid) if valid else 'none'}"
        )
    return {p.name: p.check(given.get(p.name, p.default)) for p in spec.params}


def _check_rank_for(spec: InitSpec, dims: tuple[int, ...]) -> None:
    _require_rank(dims, spec.name, spec.min_rank, spec.max_rank)


def initialize(
    name: str, shape: Shape, *, rng: np.random.Generator, **params: object
) -> np.ndarray:
    """Initialize a weight with a registry scheme.

    Parameters
    ----------
    name : str
        A key of :data:`REGISTRY`.
    shape : sequence of int
        ``(*receptive_field, n_in, n_out)``; fan-based schemes need rank >= 2, ``identity``
        exactly 2, ``delta_orthogonal`` 3 to 5.
    rng : numpy.random.Generator
        The only source of randomness (same seed, same weights).
    **params
        The scheme's parameters (see ``REGISTRY[name].params``); defaults fill the rest.

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        Unknown name or parameter, a parameter out of range, a rank the scheme does not accept,
        a zero-sized dimension, more than :data:`MAX_ELEMENTS` entries, or
        ``delta_orthogonal`` with ``c_in > c_out``.
    TypeError
        ``rng`` is not a Generator or ``shape`` is not a sequence of integers.
    """
    spec = _spec(name)
    values = validate_params(name, params)
    dims = _as_shape(shape)
    _check_rank_for(spec, dims)
    size = math.prod(dims)
    if size > MAX_ELEMENTS:
        raise ValueError(
            f"shape {dims} has {size} entries; initialize draws at most "
            f"MAX_ELEMENTS = {MAX_ELEMENTS} (2**26, 512 MiB of float64) per tensor"
        )
    return _FUNCTIONS[name](dims, rng=_check_rng(rng), **values)


@dataclass(frozen=True)
class Scale:
    """Exact scale of the entries an initializer produces.

    Attributes
    ----------
    std : float
        Standard deviation of the entries (their RMS for the deterministic and orthogonal
        schemes, whose mean is not a random variable).
    bound : float or None
        ``a`` of a uniform ``U(-a, a)``; None for other distributions.
    distribution : str
        ``"constant"``, ``"normal"``, ``"truncated_normal"``, ``"uniform"``, ``"orthogonal"``,
        ``"identity"`` or ``"delta_orthogonal"``.
    truncation : float or None
        Absolute cut-off ``2 σ_raw`` of a truncated normal (``σ_raw = std / 0.8796``), else None.
    """

    std: float
    bound: float | None
    distribution: str
    truncation: float | None = None


def _vs_scale(scale: float, mode: str, distribution: str, fans: tuple[int, int]) -> Scale:
    std = math.sqrt(scale / _fan(fans, mode))
    if distribution == "uniform":
        return Scale(std=std, bound=math.sqrt(3.0) * std, distribution="uniform")
    if distribution == "truncated_normal":
        cut = _TRUNCATION * std / TRUNCATED_NORMAL_STD
        return Scale(std=std, bound=None, distribution="truncated_normal", truncation=cut)
    return Scale(std=std, bound=None, distribution="normal")


def scale_of(name: str, shape: Shape, **params: object) -> Scale:
    r"""Return the exact std (and uniform bound) of the entries ``initialize`` would produce.

    For the random schemes this is the population std; for the deterministic and orthogonal
    ones it is the RMS of the entries: zeros 0, constant :math:`|c|`, identity
    :math:`g\sqrt{\min(m,n)/(mn)}`, orthogonal :math:`g/\sqrt{\max(r, c)}` with ``(r, c)`` the
    flattened matrix (``(fan_in, fan_out)`` for a dense layer), delta-orthogonal
    :math:`g\sqrt{c_\mathrm{in}/\prod \text{shape}}`.

    Parameters
    ----------
    name : str
        A key of :data:`REGISTRY`.
    shape : sequence of int
        Weight shape (same rank rules as :func:`initialize`).
    **params
        The scheme's parameters; defaults fill the rest.

    Returns
    -------
    Scale

    Raises
    ------
    ValueError
        As :func:`initialize`.
    """
    spec = _spec(name)
    p = validate_params(name, params)
    dims = _as_shape(shape)
    _check_rank_for(spec, dims)
    if name == "zeros":
        return Scale(std=0.0, bound=None, distribution="constant")
    if name == "constant":
        return Scale(std=abs(float(p["value"])), bound=None, distribution="constant")
    if name == "normal":
        return Scale(std=float(p["std"]), bound=None, distribution="normal")
    if name == "small_random":
        return Scale(std=0.01, bound=None, distribution="normal")
    if name == "large_random":
        return Scale(std=1.0, bound=None, distribution="normal")
    if name == "uniform":
        limit = float(p["limit"])
        return Scale(std=limit / math.sqrt(3.0), bound=limit, distribution="uniform")
    fans = compute_fans(dims)
    if name == "variance_scaling":
        return _vs_scale(float(p["scale"]), str(p["mode"]), str(p["distribution"]), fans)
    gain = float(p.get("gain", 1.0))
    if name in _PRESETS:
        scale, mode, distribution = _PRESETS[name]
        if scale * gain**2 >= _MIN_GAIN_SCALE:
            return _vs_scale(scale * gain**2, mode, distribution, fans)
        unit = _vs_scale(scale, mode, distribution, fans)  # gain**2 would underflow
        return Scale(
            std=gain * unit.std,
            bound=None if unit.bound is None else gain * unit.bound,
            distribution=unit.distribution,
            truncation=None if unit.truncation is None else gain * unit.truncation,
        )
    if name == "orthogonal":
        rows, cols = math.prod(dims[:-1]), dims[-1]
        return Scale(std=gain / math.sqrt(max(rows, cols)), bound=None, distribution="orthogonal")
    if name == "identity":
        m, n = dims
        return Scale(std=gain * math.sqrt(min(m, n) / (m * n)), bound=None, distribution="identity")
    if name == "delta_orthogonal":
        std = gain * math.sqrt(dims[-2] / math.prod(dims))
        return Scale(std=std, bound=None, distribution="delta_orthogonal")
    raise AssertionError(f"scale_of does not handle {name!r}")  # pragma: no cover


def sigma_w2(name: str, shape: Shape, **params: object) -> float:
    r"""Mean-field weight variance :math:`\sigma_w^2 = \text{fan\_in}\cdot\text{std}^2`.

    Mean-field theory writes :math:`W \sim \mathcal{N}(0, \sigma_w^2/n)`; this maps any scheme onto
    that axis (LeCun 1, He 2, torch_default 1/3, square orthogonal :math:`g^2`).

    Parameters
    ----------
    name : str
        A key of :data:`REGISTRY`.
    shape : sequence of int, length >= 2
    **params
        The scheme's parameters.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`scale_of`, and rank < 2 (the fan-in is undefined).
    """
    fan_in, _ = compute_fans(shape)
    return fan_in * scale_of(name, shape, **params).std ** 2
