r"""Jacobian spectra: measurements of a sampled network, not mean-field predictions.

:func:`jacobian_singular_values` draws a deep square MLP and returns the singular values of its
input-output Jacobian at one input, next to the mean-field prediction of their mean square
(:mod:`core.theory`). The forward pass is :mod:`core.layers`' dense layer and activation.

References
----------
.. [1] Pennington, J., Schoenholz, S. S., Ganguli, S. (2017). Resurrecting the sigmoid in deep
   learning through dynamical isometry: theory and practice. NeurIPS. arXiv:1711.04735.
.. [2] Saxe, A. M., McClelland, J. L., Ganguli, S. (2013). Exact solutions to the nonlinear
   dynamics of learning in deep linear neural networks. arXiv:1312.6120.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from core import layers, registry, theory
from core._checks import (
    check_activation,
    check_int,
    check_nonnegative_array,
    check_positive,
    check_rng,
)
from core.theory import ActivationLike

__all__ = ["JacobianSpectrum", "jacobian_singular_values"]

Array = np.ndarray


@dataclass(frozen=True)
class JacobianSpectrum:
    r"""Singular values of the input-output Jacobian of a deep MLP at one input.

    Attributes
    ----------
    singular_values : ndarray, shape (width,)
        Descending. Values outside the float64 range are 0 or inf (see the log values).
    log10_singular_values : ndarray, shape (width,)
        Exact even when the values themselves under/overflow (``-inf`` for exact zeros).
    log10_mean_squared : float
        :math:`\log_{10}` of the mean of :math:`s^2` = :math:`\mathrm{tr}(JJ^\top)/n`.
    predicted_log10_mean_squared : float
        Theory: :math:`\log_{10}\prod_l \sigma_{w,l}^2\, \mathbb E[f'(\sqrt{q^l} z)^2]` along
        the predicted length map (Pennington et al. 2017; :math:`\chi_1^L` at the fixed point).
    chi1 : float
        At the fixed point of the hidden layers' ``sigma_w2``.
    depth, width : int
    nonfinite_layer : int or None
        First layer whose forward pass overflowed (results are then nan), else None.
    """

    singular_values: Array
    log10_singular_values: Array
    log10_mean_squared: float
    predicted_log10_mean_squared: float
    chi1: float
    depth: int
    width: int
    nonfinite_layer: int | None


def jacobian_singular_values(
    activation: ActivationLike,
    init: str | Callable[..., Array],
    *,
    depth: int,
    width: int,
    rng: np.random.Generator,
    init_params: Mapping[str, object] | None = None,
    sigma_b2: float = 0.0,
    q_in: float = 1.0,
) -> JacobianSpectrum:
    r"""Singular values of :math:`J = \partial h^L / \partial h^0 = \prod_l D_l W_l^\top`.

    For one input :math:`h^0 = x \sim \mathcal N(0, q_{in} I_n)` through ``depth`` square layers
    :math:`z^l = h^{l-1} W^l + b^l`, :math:`h^l = f(z^l)`, with :math:`D_l =
    \mathrm{diag}\, f'(z^l)`. Dynamical isometry (Pennington et al. 2017) asks for the whole
    spectrum, not just its mean square, to sit near 1: orthogonal weights achieve it for tanh
    near the edge of chaos with small :math:`q^*`, never for relu (:math:`D_l` has ~half zeros),
    and Gaussian weights never at depth. The product is renormalized every layer (log scale
    accumulated), so deep Jacobians do not overflow; only the forward pass can.

    Parameters
    ----------
    activation : str or Activation
    init : str or callable
        A key of :data:`core.initializers.REGISTRY` (weights from
        :func:`core.initializers.initialize`), or ``init(shape, rng=rng)`` returning an array.
    depth : int
        1 to 1000 layers.
    width : int
        1 to 2048.
    rng : numpy.random.Generator
        Source of the weights, biases and input.
    init_params : mapping, optional
        Initializer parameters.
    sigma_b2 : float, default 0
    q_in : float, default 1
        Variance of the input entries (> 0).

    Returns
    -------
    JacobianSpectrum

    Raises
    ------
    ValueError
        Bad sizes, variances or initializer.
    TypeError
        ``rng`` is not a numpy Generator.
    """
    a = check_activation(activation)
    depth = check_int("depth", depth, 1, 1000)
    width = check_int("width", width, 1, 2048)
    b2 = float(check_nonnegative_array("sigma_b2", sigma_b2))
    qin = check_positive("q_in", q_in)
    check_rng(rng)
    params = dict(init_params or {})
    if callable(init):

        def draw(shape: tuple[int, int]) -> Array:
            return np.asarray(init(shape, rng=rng), dtype=np.float64)

        sw2s = None
    else:

        def draw(shape: tuple[int, int]) -> Array:
            return registry.initialize(init, shape, rng=rng, **params)

        sw2s = registry.sigma_w2(init, (width, width), **params)
    h = rng.standard_normal(width) * math.sqrt(qin)
    j = np.eye(width)
    log_scale = 0.0
    log_pred = 0.0
    q = qin
    bad: int | None = None
    measured_sw2 = 0.0
    for layer in range(1, depth + 1):
        wmat = draw((width, width))
        if sw2s is None:
            measured_sw2 = width * float(np.mean(wmat * wmat))
        sw2 = sw2s if sw2s is not None else measured_sw2
        bias = rng.standard_normal(width) * math.sqrt(b2) if b2 > 0 else None
        # One input: h and z are vectors of shape (width,), which dense_forward accepts.
        z, _ = layers.dense_forward(h, wmat, bias)
        if not np.all(np.isfinite(z)):
            bad = layer
            break
        # prediction along the length map (first layer sees the raw input)
        q = sw2 * (q if layer == 1 else theory.mean_square(a, q)) + b2
        dq = theory.mean_square_derivative(a, q)
        log_pred += math.log(sw2 * dq) if sw2 * dq > 0 else -math.inf
        h, _ = layers.activation_forward(z, a)
        j = layers.activation_derivative(z, a)[:, None] * (wmat.T @ j)
        norm = float(np.linalg.norm(j))
        if norm == 0.0:
            log_scale = -math.inf
            break
        j /= norm
        log_scale += math.log(norm)
    sv_pred_chi = float(theory.chi1(a, sw2s if sw2s is not None else measured_sw2, b2))
    if bad is not None:
        nan = np.full(width, np.nan)
        return JacobianSpectrum(nan, nan, math.nan, math.nan, sv_pred_chi, depth, width, bad)
    if math.isinf(log_scale):
        s = np.zeros(width)
        logs = np.full(width, -np.inf)
        lms = -math.inf
    else:
        s_norm = np.linalg.svd(j, compute_uv=False)
        with np.errstate(divide="ignore"):
            logs = np.log10(s_norm) + log_scale / math.log(10.0)
        with np.errstate(over="ignore", under="ignore"):
            s = 10.0**logs
        # mean of s^2 = ||J||_F^2 / n; the normalized J has unit Frobenius norm
        lms = 2.0 * log_scale / math.log(10.0) - math.log10(width)
    return JacobianSpectrum(
        singular_values=s,
        log10_singular_values=logs,
        log10_mean_squared=lms,
        predicted_log10_mean_squared=log_pred / math.log(10.0),
        chi1=sv_pred_chi,
        depth=depth,
        width=width,
        nonfinite_layer=None,
    )
