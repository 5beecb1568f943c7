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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from core._checks import check_positive, check_real, check_rng

__all__ = [
    "DISTRIBUTIONS",
    "MAX_ELEMENTS",
    "MODES",
    "NONLINEARITIES",
    "REGISTRY",  # noqa: F822 (resolved from core.registry by __getattr__)
    "TRUNCATED_NORMAL_STD",
    "InitSpec",  # noqa: F822 (resolved from core.registry by __getattr__)
    "ParamSpec",  # noqa: F822 (resolved from core.registry by __getattr__)
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
    "initialize",  # noqa: F822 (resolved from core.registry by __getattr__)
    "large_random",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "orthogonal",
    "scale_of",  # noqa: F822 (resolved from core.registry by __getattr__)
    "sigma_w2",  # noqa: F822 (resolved from core.registry by __getattr__)
    "small_random",
    "torch_default",
    "uniform",
    "validate_params",  # noqa: F822 (resolved from core.registry by __getattr__)
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


def as_shape(shape: Shape) -> tuple[int, ...]:
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


def require_rank(dims: tuple[int, ...], what: str, low: int, high: int | None = None) -> None:
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
    dims = as_shape(shape)
    require_rank(dims, "compute_fans", 2)
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
    scale = check_positive("scale", scale)
    n = _fan(compute_fans(shape), mode)
    _check_distribution(distribution)
    rng = check_rng(rng)
    dims = as_shape(shape)
    std = math.sqrt(scale / n)
    if distribution == "normal":
        return std * rng.standard_normal(dims)
    if distribution == "truncated_normal":
        return (std / TRUNCATED_NORMAL_STD) * _truncated_standard_normal(dims, rng)
    limit = math.sqrt(3.0 * scale / n)
    return rng.uniform(-limit, limit, size=dims)


# (scale, mode, distribution) of every preset at gain 1; the gain multiplies the std, so it
# multiplies the scale by gain**2. The preset functions below and preset_scale read this table.
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


def _gain_preset(shape: Shape, gain: float, preset: str, rng: np.random.Generator) -> np.ndarray:
    """``variance_scaling(shape, scale=k * gain**2, ...)`` of a row of :data:`_PRESETS`.

    Also correct when ``gain**2`` underflows.
    """
    k, mode, distribution = _PRESETS[preset]
    g = check_positive("gain", gain)
    if k * g**2 >= _MIN_GAIN_SCALE:
        return variance_scaling(
            shape, scale=k * g**2, mode=mode, distribution=distribution, rng=rng
        )
    return g * variance_scaling(shape, scale=k, mode=mode, distribution=distribution, rng=rng)


_PRESET_SECTIONS = """

    Parameters
    ----------
    shape : sequence of int, length >= 2
    rng : numpy.random.Generator
    gain : float, default 1
        Positive factor on the std{bound}.

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        Non-positive gain, rank < 2 or a zero-sized dimension.

    References
    ----------
    """


def _preset(name: str, doc: str, references: str) -> Callable[..., np.ndarray]:
    """Build the sampler of the gain preset ``name`` (a row of :data:`_PRESETS`).

    Every preset is ``variance_scaling`` with its row's scale times ``gain**2``; only the
    description differs, so the numpy-style sections of its docstring are shared.
    """

    def preset(shape: Shape, *, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
        return _gain_preset(shape, gain, name, rng)

    bound = " (and the bound)" if _PRESETS[name][2] == "uniform" else ""
    preset.__name__ = preset.__qualname__ = name
    preset.__doc__ = doc.rstrip() + _PRESET_SECTIONS.format(bound=bound) + references + "\n"
    return preset


lecun_normal = _preset(
    "lecun_normal",
    r"""LeCun normal: :math:`\mathcal{N}(0, g^2/\text{fan\_in})`, untruncated.

    From "Efficient BackProp", LeCun, Y. et al. (1998): with unit-variance inputs, a std of
    :math:`1/\sqrt{\text{fan\_in}}` keeps the pre-activation variance at 1 through linear
    layers (plain tanh, slope < 1 away from 0, lets it shrink slowly); SELU self-normalizing
    nets hold it fixed (Klambauer et al., 2017).
    Equals ``variance_scaling(shape, scale=gain**2, mode="fan_in", distribution="normal")``.
    Note that Keras' ``LecunNormal`` and JAX's ``lecun_normal`` are *truncated*.
    """,
    """LeCun, Bottou, Orr, Müller (1998). Efficient BackProp. Klambauer, Unterthiner, Mayr,
    Hochreiter (2017). Self-Normalizing Neural Networks. arXiv:1706.02515.""",
)


lecun_uniform = _preset(
    "lecun_uniform",
    r"""LeCun uniform: :math:`\mathcal{U}(-a, a)` with :math:`a = g\sqrt{3/\text{fan\_in}}`.

    Same variance as :func:`lecun_normal` (:math:`g^2/\text{fan\_in}`). Equals
    ``variance_scaling(shape, scale=gain**2, mode="fan_in", distribution="uniform")``.
    """,
    """LeCun, Bottou, Orr, Müller (1998). Efficient BackProp.""",
)


glorot_normal = _preset(
    "glorot_normal",
    r"""Glorot (Xavier) normal: untruncated :math:`\mathcal{N}(0, \sigma^2)`.

    The std is

    .. math:: \sigma = g \sqrt{\frac{2}{\text{fan\_in} + \text{fan\_out}}}

    as described in "Understanding the difficulty of training deep feedforward neural networks",
    Glorot, X. & Bengio, Y. (2010): the compromise between preserving the forward variance
    (:math:`1/\text{fan\_in}`) and the backward variance (:math:`1/\text{fan\_out}`). Also known
    as ``xavier_normal_`` (PyTorch). Keras' ``GlorotNormal`` and JAX's ``glorot_normal`` are
    *truncated*; this one matches PyTorch. Equals
    ``variance_scaling(shape, scale=gain**2, mode="fan_avg", distribution="normal")``.
    """,
    """Glorot, X. & Bengio, Y. (2010). Understanding the difficulty of training deep feedforward
    neural networks. AISTATS. https://proceedings.mlr.press/v9/glorot10a.html""",
)


glorot_uniform = _preset(
    "glorot_uniform",
    r"""Glorot (Xavier) uniform: :math:`\mathcal{U}(-a, a)`.

    The bound is

    .. math:: a = g \sqrt{\frac{6}{\text{fan\_in} + \text{fan\_out}}}

    Glorot & Bengio's "normalized initialization" (their eq. 16); Keras' default kernel init and
    PyTorch's ``xavier_uniform_``. Equals
    ``variance_scaling(shape, scale=gain**2, mode="fan_avg", distribution="uniform")``.
    """,
    """Glorot, X. & Bengio, Y. (2010). Understanding the difficulty of training deep feedforward
    neural networks. AISTATS. https://proceedings.mlr.press/v9/glorot10a.html""",
)


he_normal = _preset(
    "he_normal",
    r"""He (Kaiming) normal, fan-in mode: untruncated :math:`\mathcal{N}(0, \sigma^2)`.

    The std is

    .. math:: \sigma = g \sqrt{\frac{2}{\text{fan\_in}}}

    as described in "Delving deep into rectifiers", He, K. et al. (2015): ReLU zeroes half of its
    inputs and so halves the second moment; doubling the variance keeps it constant with depth.
    Also known as ``kaiming_normal_(w, mode="fan_in", nonlinearity="relu")`` (PyTorch), which is
    untruncated like this one; Keras' ``HeNormal`` and JAX's ``he_normal`` are *truncated*.
    Equals ``variance_scaling(shape, scale=2 * gain**2, mode="fan_in", distribution="normal")``.
    """,
    """He, K., Zhang, X., Ren, S., Sun, J. (2015). Delving Deep into Rectifiers: Surpassing
    Human-Level Performance on ImageNet Classification. arXiv:1502.01852.""",
)


he_uniform = _preset(
    "he_uniform",
    r"""He (Kaiming) uniform, fan-in mode: :math:`\mathcal{U}(-a, a)`.

    The bound is

    .. math:: a = g \sqrt{\frac{6}{\text{fan\_in}}}

    Same variance as :func:`he_normal` (:math:`2 g^2/\text{fan\_in}`). Also known as
    ``kaiming_uniform_(w, mode="fan_in", nonlinearity="relu")`` (PyTorch). Equals
    ``variance_scaling(shape, scale=2 * gain**2, mode="fan_in", distribution="uniform")``.
    """,
    """He, K., Zhang, X., Ren, S., Sun, J. (2015). Delving Deep into Rectifiers.
    arXiv:1502.01852.""",
)


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
    return np.zeros(as_shape(shape))


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
    return np.full(as_shape(shape), check_real("value", value))


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
    std = check_positive("std", std)
    return std * check_rng(rng).standard_normal(as_shape(shape))


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
    limit = check_positive("limit", limit)
    return check_rng(rng).uniform(-limit, limit, size=as_shape(shape))


_FIXED_NORMAL_SECTIONS = """

    Parameters
    ----------
    shape : sequence of int
        Any rank.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of float64, shape ``shape``
    """


def _fixed_normal(name: str, std: float, doc: str) -> Callable[..., np.ndarray]:
    """Build ``name(shape, *, rng)``: :func:`normal` with the std fixed at ``std``.

    The fixed-std schemes differ only in ``std`` and in the description, so the numpy-style
    sections of their docstrings are shared.
    """

    def sampler(shape: Shape, *, rng: np.random.Generator) -> np.ndarray:
        return normal(shape, rng=rng, std=std)

    sampler.__name__ = sampler.__qualname__ = name
    sampler.__doc__ = doc.rstrip() + _FIXED_NORMAL_SECTIONS
    return sampler


small_random = _fixed_normal(
    "small_random",
    0.01,
    r"""The classic "small random numbers": :math:`\mathcal{N}(0, 0.01^2)`.

    Breaks the symmetry, but in a deep net the activation std is multiplied by roughly
    :math:`0.01\sqrt{n}` per layer, so activations and gradients vanish.
    """,
)


large_random = _fixed_normal(
    "large_random",
    1.0,
    r"""Unit Gaussian regardless of layer size: :math:`\mathcal{N}(0, 1)`.

    Pre-activations grow like :math:`\sqrt{\text{fan\_in}}`: tanh and sigmoid saturate (so their
    gradients vanish anyway) and ReLU/linear nets explode.
    """,
)


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
    gain = check_positive("gain", gain)
    dims = as_shape(shape)
    require_rank(dims, "orthogonal", 2)
    rng = check_rng(rng)
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
    gain = check_positive("gain", gain)
    dims = as_shape(shape)
    require_rank(dims, "identity", 2, 2)
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
    gain = check_positive("gain", gain)
    dims = as_shape(shape)
    require_rank(dims, "delta_orthogonal", 3, 5)
    c_in, c_out = dims[-2:]
    if c_in > c_out:
        raise ValueError(
            f"delta_orthogonal needs c_in <= c_out (the centre must have orthonormal rows), "
            f"got c_in={c_in} > c_out={c_out} in shape {dims}"
        )
    rng = check_rng(rng)
    w = np.zeros(dims)
    centre = tuple((k - 1) // 2 for k in dims[:-2])
    w[centre] = gain * _haar_orthogonal(c_in, c_out, rng)
    return w


# --------------------------------------------------------------------------------------------
# Exact scales
# --------------------------------------------------------------------------------------------


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


def variance_scaling_scale(
    scale: float, mode: str, distribution: str, fans: tuple[int, int]
) -> Scale:
    """Exact :class:`Scale` of :func:`variance_scaling` with these arguments.

    Parameters
    ----------
    scale : float
    mode : {"fan_in", "fan_out", "fan_avg"}
    distribution : {"normal", "truncated_normal", "uniform"}
    fans : tuple of int
        ``(fan_in, fan_out)``.

    Returns
    -------
    Scale
    """
    std = math.sqrt(scale / _fan(fans, mode))
    if distribution == "uniform":
        return Scale(std=std, bound=math.sqrt(3.0) * std, distribution="uniform")
    if distribution == "truncated_normal":
        cut = _TRUNCATION * std / TRUNCATED_NORMAL_STD
        return Scale(std=std, bound=None, distribution="truncated_normal", truncation=cut)
    return Scale(std=std, bound=None, distribution="normal")


def preset_scale(name: str, fans: tuple[int, int], gain: float = 1.0) -> Scale:
    """Exact :class:`Scale` of a variance-scaling preset (``he_normal``, ``torch_default``, ...).

    Parameters
    ----------
    name : str
        A preset name (a key of the preset table: LeCun, Glorot, He, torch_default).
    fans : tuple of int
        ``(fan_in, fan_out)``.
    gain : float
        Factor on the std.

    Returns
    -------
    Scale
    """
    scale, mode, distribution = _PRESETS[name]
    if scale * gain**2 >= _MIN_GAIN_SCALE:
        return variance_scaling_scale(scale * gain**2, mode, distribution, fans)
    unit = variance_scaling_scale(scale, mode, distribution, fans)  # gain**2 would underflow
    return Scale(
        std=gain * unit.std,
        bound=None if unit.bound is None else gain * unit.bound,
        distribution=unit.distribution,
        truncation=None if unit.truncation is None else gain * unit.truncation,
    )


# The catalogue lives in core.registry (which imports the functions above); its names stay
# importable from here, resolved on first use so that neither module import order can cycle.
_REGISTRY_NAMES = frozenset(
    ("REGISTRY", "InitSpec", "ParamSpec", "initialize", "scale_of", "sigma_w2", "validate_params")
)


def __getattr__(name: str) -> object:
    """Resolve the catalogue names (``REGISTRY``, ``initialize`` ...) from :mod:`core.registry`."""
    if name in _REGISTRY_NAMES:
        from core import registry

        return getattr(registry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
