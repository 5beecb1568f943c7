r"""The catalogue of initializers: name -> :class:`InitSpec`.

Each entry holds the label, formula, purpose, references, equivalent library calls, parameters
with defaults and ranges, the sampler and its exact scale.

The registry drives every selectbox, formula panel and test. Adding an initializer touches its
sampling function in :mod:`core.initializers` and one ``InitSpec`` entry here.

Entry points
------------
``REGISTRY``
    ``dict[str, InitSpec]`` in display order.
``initialize(name, shape, *, rng, **params)``
    Validated, registry-driven initialization (what the app and the networks use); tensors of
    more than ``MAX_ELEMENTS`` entries are refused with ValueError.
``validate_params``, ``scale_of``, ``sigma_w2``
    Parameter checking and the exact scale of every scheme.

All of these stay importable from :mod:`core.initializers`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from core import initializers
from core._checks import check_real, check_rng
from core.initializers import (
    DISTRIBUTIONS,
    MAX_ELEMENTS,
    MODES,
    Scale,
    Shape,
    as_shape,
    compute_fans,
    preset_scale,
    require_rank,
    variance_scaling_scale,
    zeros,
)

__all__ = [
    "REGISTRY",
    "InitSpec",
    "ParamSpec",
    "Scale",
    "initialize",
    "scale_of",
    "sigma_w2",
    "validate_params",
]


# --------------------------------------------------------------------------------------------
# Exact scale of each scheme: scale(dims, validated params) -> Scale
# --------------------------------------------------------------------------------------------


def _zero_scale(dims: tuple[int, ...], p: Mapping[str, object]) -> Scale:
    return Scale(std=0.0, bound=None, distribution="constant")


def _constant_scale(dims: tuple[int, ...], p: Mapping[str, object]) -> Scale:
    return Scale(std=abs(float(p["value"])), bound=None, distribution="constant")


def _normal_scale(dims: tuple[int, ...], p: Mapping[str, object]) -> Scale:
    return Scale(std=float(p["std"]), bound=None, distribution="normal")


def _fixed_normal_scale(std: float) -> Callable[[tuple[int, ...], Mapping[str, object]], Scale]:
    def scale(dims: tuple[int, ...], p: Mapping[str, object]) -> Scale:
        return Scale(std=std, bound=None, distribution="normal")

    return scale


def _uniform_scale(dims: tuple[int, ...], p: Mapping[str, object]) -> Scale:
    limit = float(p["limit"])
    return Scale(std=limit / math.sqrt(3.0), bound=limit, distribution="uniform")


def _preset_scale(name: str) -> Callable[[tuple[int, ...], Mapping[str, object]], Scale]:
    def scale(dims: tuple[int, ...], p: Mapping[str, object]) -> Scale:
        return preset_scale(name, compute_fans(dims), float(p.get("gain", 1.0)))

    return scale


def _variance_scaling_scale(dims: tuple[int, ...], p: Mapping[str, object]) -> Scale:
    return variance_scaling_scale(
        float(p["scale"]), str(p["mode"]), str(p["distribution"]), compute_fans(dims)
    )


def _orthogonal_scale(dims: tuple[int, ...], p: Mapping[str, object]) -> Scale:
    rows, cols = math.prod(dims[:-1]), dims[-1]
    std = float(p["gain"]) / math.sqrt(max(rows, cols))
    return Scale(std=std, bound=None, distribution="orthogonal")


def _identity_scale(dims: tuple[int, ...], p: Mapping[str, object]) -> Scale:
    m, n = dims
    std = float(p["gain"]) * math.sqrt(min(m, n) / (m * n))
    return Scale(std=std, bound=None, distribution="identity")


def _delta_orthogonal_scale(dims: tuple[int, ...], p: Mapping[str, object]) -> Scale:
    std = float(p["gain"]) * math.sqrt(dims[-2] / math.prod(dims))
    return Scale(std=std, bound=None, distribution="delta_orthogonal")


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
        out = check_real(f"parameter {self.name!r}", value)
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
        ``"fan_in"``, ``"fan_out"``, ``"fan_avg"``, ``"mode"`` (chosen by the ``mode`` parameter),
        ``"fan_max"`` or ``"none"`` (the scale does not depend on the fans).

        ``"fan_max"`` (orthogonal, delta-orthogonal): the entries' RMS is
        :math:`g/\sqrt{\max(r, c)}` for the weight flattened to an ``(r, c)`` matrix, because its
        rows or its columns (whichever are fewer) are orthonormal. For a dense layer
        ``(r, c) = (fan_in, fan_out)``, so the RMS is :math:`g/\sqrt{\max(n_\mathrm{in},
        n_\mathrm{out})}`; delta-orthogonal (``c_in <= c_out``) gives the same,
        :math:`g/\sqrt{\text{fan\_out}}`. An orthogonal conv kernel is flattened to
        ``(kh*kw*c_in, c_out)``: :math:`g/\sqrt{\max(\text{fan\_in}, c_\mathrm{out})}`.
        Identity keeps ``"none"``: its non-zero entries are ``g`` whatever the fans (its RMS
        :math:`g/\sqrt{\max(m, n)}` only counts the zeros).
    pytorch, keras, jax : str
        The equivalent call (PyTorch's weights are ``(out, in, ...)``; the fans agree).
    min_rank : int
        Smallest shape rank the scheme accepts.
    max_rank : int or None
        Largest rank, or None for no limit.
    function : callable
        ``function(dims, rng=rng, **params) -> ndarray``: the sampler (:mod:`core.initializers`).
    scale : callable
        ``scale(dims, params) -> Scale``: the exact std (and bound) of the entries, with
        ``params`` already validated (see :func:`scale_of`).
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
    function: Callable[..., np.ndarray] = field(default=zeros, compare=False, repr=False)
    scale: Callable[[tuple[int, ...], Mapping[str, object]], Scale] = field(
        default=_zero_scale, compare=False, repr=False
    )

    @property
    def defaults(self) -> dict[str, float | str]:
        """Default value of every parameter, in display order."""
        return {p.name: p.default for p in self.params}


def _float_param(
    name: str,
    label: str,
    default: float,
    low: float,
    high: float,
    help: str,
    *,
    log: bool = False,
    low_inclusive: bool = True,
) -> ParamSpec:
    return ParamSpec(
        name, label, "float", default, low, high, None, help, log=log, low_inclusive=low_inclusive
    )


def _choice_param(
    name: str, label: str, default: str, choices: tuple[str, ...], help: str
) -> ParamSpec:
    return ParamSpec(name, label, "choice", default, None, None, choices, help)


_GAIN = _float_param(
    "gain", "Gain g", 1.0, 0.0, 10.0,
    "Multiplies the standard deviation (e.g. calculate_gain('tanh') = 5/3).",
    low_inclusive=False,
)  # fmt: skip
_VALUE = _float_param(
    "value", "Constant value c", 0.1, -10.0, 10.0, "Every weight is set to this value."
)
_STD = _float_param(
    "std", "Standard deviation σ", 0.05, 0.0, 10.0,
    "Standard deviation of the Gaussian, independent of the layer size.",
    log=True, low_inclusive=False,
)  # fmt: skip
_LIMIT = _float_param(
    "limit", "Uniform limit a", 0.05, 0.0, 10.0,
    "Weights are drawn from U(-a, a); the std is a/√3.",
    log=True, low_inclusive=False,
)  # fmt: skip
_SCALE = _float_param(
    "scale", "Scale k", 1.0, 0.0, 100.0,
    "Var(W) = k / n: k = 1 is LeCun (fan_in) or Glorot (fan_avg), k = 2 is He.",
    log=True, low_inclusive=False,
)  # fmt: skip
_MODE = _choice_param(
    "mode", "Fan mode n", "fan_in", MODES,
    "fan_in preserves the forward pass, fan_out the backward pass, fan_avg compromises.",
)  # fmt: skip
_DISTRIBUTION = _choice_param(
    "distribution", "Distribution", "truncated_normal", DISTRIBUTIONS,
    "The std is the same for all three; truncated_normal is cut at ±2σ and rescaled.",
)  # fmt: skip

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


def _preset_entry(name: str, **fields: str) -> InitSpec:
    """Entry of the gain preset ``name`` of :func:`core.initializers.variance_scaling`.

    Every preset (LeCun, Glorot, He; normal and uniform) has the same sampler (the function of
    that name), exact scale (:func:`core.initializers.preset_scale`), single ``gain`` parameter,
    family and rank limit; ``fields`` are the :class:`InitSpec` text fields that tell the presets
    apart (label, formula, designed_for, reference, reference_url, fan_mode, pytorch, keras, jax).
    """
    return InitSpec(
        name=name,
        function=getattr(initializers, name),
        scale=_preset_scale(name),
        params=(_GAIN,),
        family="variance_scaling",
        min_rank=2,
        **fields,
    )


_KJ = "jax.nn.initializers"
_KK = "keras.initializers"

_SPECS: tuple[InitSpec, ...] = (
    InitSpec(
        name="zeros",
        function=initializers.zeros,
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
        function=initializers.constant,
        scale=_constant_scale,
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
        function=initializers.normal,
        scale=_normal_scale,
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
        function=initializers.uniform,
        scale=_uniform_scale,
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
        function=initializers.small_random,
        scale=_fixed_normal_scale(0.01),
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
        function=initializers.large_random,
        scale=_fixed_normal_scale(1.0),
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
    _preset_entry(
        "lecun_normal",
        label="LeCun normal",
        formula=r"W_{ij} \sim \mathcal{N}\!\left(0,\ \frac{g^2}{n_\mathrm{in}}\right)",
        designed_for=(
            "Var = 1/fan_in makes a pre-activation's variance equal its inputs' mean square: "
            "exact for linear units; plain tanh (slope < 1 away from 0) lets it shrink slowly "
            "with depth. LeCun (1998) paired it with 1.7159·tanh(2x/3); SELU is the unit it "
            "truly preserves (Klambauer 2017)."
        ),
        reference=_LECUN_REF,
        reference_url=_LECUN_URL,
        fan_mode="fan_in",
        pytorch=(
            'nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="linear")  # then w *= gain'
        ),
        keras=(
            f'{_KK}.VarianceScaling(scale=gain**2, mode="fan_in", '
            'distribution="untruncated_normal")  # LecunNormal() is truncated'
        ),
        jax=f'{_KJ}.variance_scaling(gain**2, "fan_in", "normal")  # lecun_normal() is truncated',
    ),
    _preset_entry(
        "lecun_uniform",
        label="LeCun uniform",
        formula=(r"W_{ij} \sim \mathcal{U}(-a,\ a), \qquad a = g\sqrt{\frac{3}{n_\mathrm{in}}}"),
        designed_for=(
            "The uniform version of LeCun's rule, a = √(3/fan_in): the same Var = 1/fan_in, "
            "exact for linear units, slowly shrinking through plain tanh, held fixed by SELU."
        ),
        reference=_LECUN_REF,
        reference_url=_LECUN_URL,
        fan_mode="fan_in",
        pytorch=(
            'nn.init.kaiming_uniform_(w, mode="fan_in", nonlinearity="linear")  # then w *= gain'
        ),
        keras=(
            f'{_KK}.LecunUniform()  # gain 1; else VarianceScaling(scale=gain**2, mode="fan_in", '
            'distribution="uniform")'
        ),
        jax=f'{_KJ}.variance_scaling(gain**2, "fan_in", "uniform")  # = lecun_uniform() at gain 1',
    ),
    _preset_entry(
        "glorot_normal",
        label="Glorot (Xavier) normal",
        formula=(
            r"W_{ij} \sim \mathcal{N}\!\left(0,\ "
            r"\frac{2 g^2}{n_\mathrm{in} + n_\mathrm{out}}\right)"
        ),
        designed_for=(
            "Compromise between keeping the activation variance (1/fan_in) and the gradient "
            "variance (1/fan_out) constant, derived for units linear around 0 (tanh, softsign, "
            "linear). Not for sigmoid: its slope 1/4 and mean 1/2 at 0 break the derivation, and "
            "Glorot & Bengio saw its top layer saturate."
        ),
        reference=_GLOROT_REF,
        reference_url=_GLOROT_URL,
        fan_mode="fan_avg",
        pytorch="nn.init.xavier_normal_(w, gain=gain)",
        keras=(
            f'{_KK}.VarianceScaling(scale=gain**2, mode="fan_avg", '
            'distribution="untruncated_normal")  # GlorotNormal() is truncated'
        ),
        jax=(
            f'{_KJ}.variance_scaling(gain**2, "fan_avg", "normal")  # glorot_normal() is truncated'
        ),
    ),
    _preset_entry(
        "glorot_uniform",
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
        fan_mode="fan_avg",
        pytorch="nn.init.xavier_uniform_(w, gain=gain)",
        keras=(
            f"{_KK}.GlorotUniform()  # gain 1; else VarianceScaling(scale=gain**2, "
            'mode="fan_avg", distribution="uniform")'
        ),
        jax=(
            f'{_KJ}.variance_scaling(gain**2, "fan_avg", "uniform")  # = glorot_uniform() at gain 1'
        ),
    ),
    _preset_entry(
        "he_normal",
        label="He (Kaiming) normal",
        formula=r"W_{ij} \sim \mathcal{N}\!\left(0,\ \frac{2 g^2}{n_\mathrm{in}}\right)",
        designed_for=(
            "ReLU zeroes half of its inputs and halves the second moment; doubling the variance "
            "(2/fan_in) keeps the activation variance constant through deep ReLU networks."
        ),
        reference=_HE_REF,
        reference_url=_HE_URL,
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
    ),
    _preset_entry(
        "he_uniform",
        label="He (Kaiming) uniform",
        formula=(r"W_{ij} \sim \mathcal{U}(-a,\ a), \qquad a = g\sqrt{\frac{6}{n_\mathrm{in}}}"),
        designed_for=(
            "The uniform version of He's rule: Var = 2/fan_in compensates for ReLU halving the "
            "second moment of the signal."
        ),
        reference=_HE_REF,
        reference_url=_HE_URL,
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
    ),
    InitSpec(
        name="variance_scaling",
        function=initializers.variance_scaling,
        scale=_variance_scaling_scale,
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
        function=initializers.orthogonal,
        scale=_orthogonal_scale,
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
        fan_mode="fan_max",
        pytorch="nn.init.orthogonal_(w, gain=gain)",
        keras=f"{_KK}.Orthogonal(gain=gain)",
        jax=f"{_KJ}.orthogonal(scale=gain)",
        min_rank=2,
    ),
    InitSpec(
        name="identity",
        function=initializers.identity,
        scale=_identity_scale,
        label="Identity",
        formula=r"W = g\, I",
        designed_for=(
            "For ReLU RNNs (IRNN): the recurrent matrix starts as the identity, so the hidden "
            "state is copied forward in time and gradients through time do not vanish. Its "
            "non-zero entries equal g whatever the fans (RMS g/√max(n_in, n_out), from the zeros)."
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
        function=initializers.delta_orthogonal,
        scale=_delta_orthogonal_scale,
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
        fan_mode="fan_max",
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
        function=initializers.torch_default,
        scale=_preset_scale("torch_default"),
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
    require_rank(dims, spec.name, spec.min_rank, spec.max_rank)


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
    dims = as_shape(shape)
    _check_rank_for(spec, dims)
    size = math.prod(dims)
    if size > MAX_ELEMENTS:
        raise ValueError(
            f"shape {dims} has {size} entries; initialize draws at most "
            f"MAX_ELEMENTS = {MAX_ELEMENTS} (2**26, 512 MiB of float64) per tensor"
        )
    return spec.function(dims, rng=check_rng(rng), **values)


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
    dims = as_shape(shape)
    _check_rank_for(spec, dims)
    return spec.scale(dims, p)


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
