"""Layer-sequential unit-variance (LSUV) initialization (Mishkin & Matas 2015).

A data-driven alternative to choosing a variance formula: start from orthogonal weights, then
walk through the layers from input to output and rescale each layer's weights until the
variance of its pre-activation on a batch of real inputs is 1. Because every earlier layer has
already been normalized, each layer sees inputs of the right scale, whatever the activation,
the fan-in or the architecture.

Algorithm (per layer ``l``, input -> output; ``z_l`` is the layer's pre-activation on ``x``)::

    repeat at most max_iter times:
        v = Var(z_l)                       # over every entry of the batch
        if |v - 1| < tol: stop
        W_l <- W_l / sqrt(v)

References
----------
Mishkin, D. & Matas, J. (2015). All you need is a good init. arXiv:1511.06422.
Saxe, A. M., McClelland, J. L. & Ganguli, S. (2013). Exact solutions to the nonlinear dynamics of
learning in deep linear neural networks. arXiv:1312.6120 (the orthogonal pre-initialization).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from core import registry
from core._checks import check_int
from core.networks import Network
from core.training import layer_names

SUPPORTED_KINDS: tuple[str, ...] = ("mlp", "cnn", "resmlp")
"""Network kinds :func:`lsuv` accepts (an RNN reuses W_hh over time, so one rescale per
layer is not well defined there)."""

MAX_ITER: int = 100
"""Largest ``max_iter`` accepted."""


@dataclass(frozen=True)
class LSUVReport:
    """Per-layer outcome of :func:`lsuv` (arrays of length ``L = len(net.params)``, read-only).

    Attributes
    ----------
    layer_names : tuple of str
        ``"layer 1" ... "output"`` (mlp, cnn) or ``"input", "block 1", ..., "output"`` (resmlp).
    iterations : ndarray of int64, shape (L,)
        Number of rescalings applied to each layer (0 if it was already within ``tol``).
    initial_variance : ndarray of float64, shape (L,)
        Variance of the layer's pre-activation before its first rescaling (after the earlier
        layers were normalized).
    final_variance : ndarray of float64, shape (L,)
        Variance when the loop for that layer stopped.
    converged : ndarray of bool, shape (L,)
        ``|final_variance - 1| < tol``. False for a layer whose variance is 0 (e.g. zero
        weights: nothing to rescale) or non-finite (overflow), or that ran out of iterations.
    tol : float
        The tolerance used.
    """

    layer_names: tuple[str, ...]
    iterations: np.ndarray
    initial_variance: np.ndarray
    final_variance: np.ndarray
    converged: np.ndarray
    tol: float

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    @property
    def all_converged(self) -> bool:
        """True when every layer ended within ``tol`` of unit variance."""
        return bool(np.all(self.converged))


def lsuv(
    net: Network,
    x: np.ndarray,
    tol: float = 0.1,
    max_iter: int = 10,
    orthogonal_init: bool = True,
    rng: np.random.Generator | None = None,
) -> LSUVReport:
    """Layer-sequential unit-variance initialization of ``net``, in place.

    Optionally replaces every weight (hidden and output layers) by a Haar-orthogonal matrix
    (conv kernels flattened to ``(kh * kw * c_in, c_out)``, gain 1), then, layer by layer from
    the input, divides the layer's weight by ``sqrt(Var(z))`` until ``|Var(z) - 1| < tol`` or
    ``max_iter`` rescalings were made. ``z`` is the layer's pre-activation on ``x`` as recorded
    by :meth:`Network.forward`: the dense or conv output (mlp, cnn), the linear input
    projection and then each residual branch ``h W + b`` (resmlp; the residual stream itself
    still grows with depth), and the output logits. Biases are left unchanged.

    Because ``z_l = h_{l-1} W_l + b_l`` is linear in ``W_l`` and the variance ignores the constant
    bias, on one fixed batch a single rescaling per layer already gives variance 1 up to rounding;
    the loop (kept from the paper, where each iteration may see a new mini-batch) then stops at
    the next check. ``iterations`` is 0 for a layer already within ``tol``.

    Designed for: deep nets whose activation or architecture has no textbook variance formula
    (maxout, ELU, residual blocks); Mishkin & Matas report it matching or beating He/Glorot and
    orthogonal init on CIFAR-10/100 and ImageNet.

    Parameters
    ----------
    net : Network
        mlp, cnn or resmlp; its ``params`` are modified in place.
    x : ndarray, shape (N, *net.input_shape)
        A batch of real inputs (the paper uses one mini-batch).
    tol : float
        Target tolerance on the variance, ``0 < tol < 1``.
    max_iter : int
        Largest number of rescalings per layer, ``1 <= max_iter <= MAX_ITER``.
    orthogonal_init : bool
        Start from orthogonal weights (the paper's recipe); False keeps the current weights
        (LSUV on top of any initializer).
    rng : numpy.random.Generator, optional
        Needed when ``orthogonal_init`` is True.

    Returns
    -------
    LSUVReport

    Raises
    ------
    ValueError
        Unsupported network kind (rnn), bad ``tol``/``max_iter``, missing ``rng`` with
        ``orthogonal_init``, or an ``x`` that does not fit ``net``.

    References
    ----------
    Mishkin, D. & Matas, J. (2015). All you need is a good init. arXiv:1511.06422.
    """
    if net.kind not in SUPPORTED_KINDS:
        raise ValueError(
            f"LSUV supports network kinds {', '.join(SUPPORTED_KINDS)}; got {net.kind!r}"
        )
    if isinstance(tol, bool) or not isinstance(tol, int | float | np.floating) or not 0 < tol < 1:
        raise ValueError(f"tol must be a number in (0, 1), got {tol!r}")
    max_iter = check_int("max_iter", max_iter, 1, MAX_ITER)
    if orthogonal_init:
        if not isinstance(rng, np.random.Generator):
            raise ValueError("orthogonal_init=True needs rng, a numpy.random.Generator")
        for p in net.params:
            for k in [k for k in p if k.startswith("w")]:
                p[k] = np.ascontiguousarray(
                    registry.initialize("orthogonal", p[k].shape, rng=rng), dtype=np.float64
                )
    n_layers = len(net.params)
    iterations = np.zeros(n_layers, dtype=np.int64)
    initial = np.full(n_layers, np.nan)
    final = np.full(n_layers, np.nan)
    converged = np.zeros(n_layers, dtype=bool)
    with np.errstate(all="ignore"):
        for i, p in enumerate(net.params):
            keys = [k for k in p if k.startswith("w")]
            for it in range(max_iter + 1):
                var = float(np.var(net.forward(x).z[i]))
                if it == 0:
                    initial[i] = var
                final[i] = var
                if abs(var - 1.0) < tol:
                    converged[i] = True
                    break
                if it == max_iter or not math.isfinite(var) or var <= 0.0:
                    break
                factor = 1.0 / math.sqrt(var)
                for k in keys:
                    p[k] = p[k] * factor
                iterations[i] += 1
    return LSUVReport(
        layer_names=layer_names(net),
        iterations=iterations,
        initial_variance=initial,
        final_variance=final,
        converged=converged,
        tol=float(tol),
    )
