"""Symmetry metrics: how many neurons of a layer are actually different from each other.

A neuron is the column of weights feeding one output unit: a column of a dense weight
``(fan_in, fan_out)``, an output channel of a conv kernel ``(kh, kw, c_in, c_out)`` (its
``kh * kw * c_in`` weights), or a column of ``[w_xh; w_hh]`` for a recurrent layer (see
:func:`core.networks.hidden_weights_of`). With zero or constant initialization all neurons of a
layer start identical and, since they then receive identical gradients, stay identical: the
layer behaves like a single neuron. Random initialization breaks that symmetry.

References
----------
Goodfellow, Bengio, Courville (2016). Deep Learning, section 8.4 ("break symmetry").
Glorot & Bengio (2010). Understanding the difficulty of training deep feedforward neural networks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

from core.networks import hidden_weights_of

#: Largest neuron count for :func:`cosine_similarity` (its result is n x n).
MAX_SIMILARITY_NEURONS: int = 4096


class _HasHiddenWeights(Protocol):
    def hidden_weights(self) -> list[np.ndarray]: ...


def _neurons(w: np.ndarray) -> np.ndarray:
    """Weight as a 2-D (fan_in, n_neurons) float64 array (neurons = last axis)."""
    w = np.asarray(w, dtype=np.float64)
    if w.ndim < 2:
        raise ValueError(
            f"weights must have at least 2 dimensions (..., fan_in, fan_out), got shape {w.shape}"
        )
    return w.reshape(math.prod(w.shape[:-1]), w.shape[-1])


def distinct_neurons(w: np.ndarray, atol: float = 1e-8) -> int:
    """Number of distinct neurons (columns) up to an absolute tolerance.

    Columns are grouped greedily in a deterministic order: a group takes a column and every
    remaining column whose entries all lie within ``atol`` of it (max-abs difference <= atol);
    the result is the number of groups. For exact or near-exact clones (zero/constant init,
    even after training, where clones differ only by rounding) and for well-separated columns
    (random init) this is the number of distinct neurons; chains of columns each within
    ``atol`` of the next are an ill-posed case whose count depends on the order.

    Cost: O(fan_in * n) to compute one projection key per column plus a sort; only columns whose
    keys lie within the tolerance of each other are compared entry by entry, so a randomly
    initialized layer costs about one pass over its weights.

    Parameters
    ----------
    w : ndarray, shape (..., fan_in, fan_out)
        Dense (fan_in, fan_out) or conv (kh, kw, c_in, c_out); neurons are the last axis.
    atol : float
        Absolute tolerance, >= 0.

    Returns
    -------
    int
        Between 1 and fan_out (0 for fan_out = 0). Columns holding inf/NaN are each counted as
        distinct.

    Raises
    ------
    ValueError
        If ``w`` has fewer than 2 dimensions or ``atol`` is negative or not finite.
    """
    if not np.isfinite(atol) or atol < 0:
        raise ValueError(f"atol must be a finite number >= 0, got {atol!r}")
    m = _neurons(w)
    fan_in, n = m.shape
    if n <= 1:
        return n
    with np.errstate(all="ignore"):
        # Fixed, input-independent projection vector: |key_a - key_b| <= atol * ||v||_1 whenever
        # max|a - b| <= atol, so columns whose keys differ by more cannot be clones.
        v = 1.0 + np.cos(np.arange(fan_in) * 0.7548776662466927)  # in [0, 2], deterministic
        keys = v @ m
        finite_cols = np.isfinite(m).all(axis=0)
        scale = float(np.max(np.abs(m[:, finite_cols]))) if finite_cols.any() else 0.0
        # Rounding of the dot products is bounded by ~fan_in * eps * ||v||_1 * max|w|.
        tau = (
            atol * float(v.sum()) + 4.0 * fan_in * np.finfo(np.float64).eps * float(v.sum()) * scale
        )
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        # Runs of consecutive sorted keys closer than tau may contain clones.
        breaks = ~(np.diff(sorted_keys) <= tau)  # NaN gaps break runs
        starts = np.concatenate(([0], np.flatnonzero(breaks) + 1, [n]))
        count = 0
        for s, e in zip(starts[:-1], starts[1:], strict=True):
            if e - s == 1:
                count += 1
                continue
            members = order[s:e]
            if not finite_cols[members].all():
                bad = members[~finite_cols[members]]
                count += bad.size
                members = members[finite_cols[members]]
            count += _greedy_groups(m[:, members], atol)
    return count


def _greedy_groups(cols: np.ndarray, atol: float) -> int:
    """Greedy grouping of the columns of ``cols`` (fan_in, r) by max-abs distance <= atol."""
    remaining = np.arange(cols.shape[1])
    groups = 0
    while remaining.size:
        ref = cols[:, remaining[0]]
        diff = np.abs(cols[:, remaining] - ref[:, None]).max(axis=0)
        remaining = remaining[~(diff <= atol)]
        groups += 1
    return groups


def cosine_similarity(w: np.ndarray) -> np.ndarray:
    """Pairwise cosine similarity of the neurons (columns) of a weight.

    ``S_ij = <w_i, w_j> / (||w_i|| ||w_j||)``. Conventions: two all-zero columns have
    similarity 1 (they are the same neuron), a zero column and a non-zero one 0; the diagonal is
    1. Columns are scaled by their max-abs entry first, so huge or tiny weights neither overflow
    nor underflow; columns containing inf/NaN give NaN rows and columns. Values are clipped to
    [-1, 1].

    Parameters
    ----------
    w : ndarray, shape (..., fan_in, n)
        Neurons on the last axis.

    Returns
    -------
    ndarray, shape (n, n)

    Raises
    ------
    ValueError
        Fewer than 2 dimensions, or more than ``MAX_SIMILARITY_NEURONS`` neurons.
    """
    m = _neurons(w)
    n = m.shape[1]
    if n > MAX_SIMILARITY_NEURONS:
        raise ValueError(
            f"cosine_similarity of {n} neurons would be an {n} x {n} matrix; "
            f"the limit is MAX_SIMILARITY_NEURONS = {MAX_SIMILARITY_NEURONS}"
        )
    with np.errstate(all="ignore"):
        finite = np.isfinite(m).all(axis=0)
        mx = np.abs(np.where(np.isfinite(m), m, 0.0)).max(axis=0) if m.shape[0] else np.zeros(n)
        zero = finite & (mx == 0.0)
        u = m / np.where(mx > 0, mx, 1.0)
        norms = np.sqrt(np.einsum("ij,ij->j", u, u))
        u = u / np.where(norms > 0, norms, 1.0)
        s = u.T @ u
        np.clip(s, -1.0, 1.0, out=s)
        s[np.ix_(zero, zero)] = 1.0
        s[np.ix_(zero, ~zero)] = 0.0
        s[np.ix_(~zero, zero)] = 0.0
        bad = ~finite
        s[bad, :] = np.nan
        s[:, bad] = np.nan
        np.fill_diagonal(s, np.where(finite, 1.0, np.nan))
    return s


def summarize(
    network_or_params: _HasHiddenWeights | Sequence[Mapping[str, np.ndarray]],
    atol: float = 1e-8,
) -> np.ndarray:
    """Distinct neurons per hidden layer of a network.

    Hidden layers are those of :meth:`core.networks.Network.hidden_weights` (the output layer
    excluded; for resmlp the input projection comes first; a recurrent neuron is a column of
    ``[w_xh; w_hh]``).

    Parameters
    ----------
    network_or_params : Network or list of dict of ndarray
        A :class:`core.networks.Network`, or its ``params`` list (input -> output, last entry
        the output layer).
    atol : float
        Tolerance of :func:`distinct_neurons`.

    Returns
    -------
    ndarray of int64, shape (n_hidden_layers,)
        Distinct neuron counts, input side first.
    """
    if hasattr(network_or_params, "hidden_weights"):
        weights = network_or_params.hidden_weights()  # type: ignore[union-attr]
    else:
        weights = hidden_weights_of(network_or_params)  # type: ignore[arg-type]
    return np.array([distinct_neurons(w, atol) for w in weights], dtype=np.int64)
