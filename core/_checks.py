"""Argument validators shared by every ``core`` module (one copy of each).

Each returns the normalized value or raises with a message that names the argument and what was
expected, so a notebook user or a URL parameter gets a clear error.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np

from core.activations import Activation
from core.activations import get as get_activation

__all__ = [
    "check_activation",
    "check_choice",
    "check_int",
    "check_nonnegative_array",
    "check_positive",
    "check_real",
    "check_rng",
]


def check_int(name: str, value: object, low: int, high: int) -> int:
    """Return ``value`` as an ``int`` in ``[low, high]``.

    Parameters
    ----------
    name : str
        Argument name for the message.
    value : object
    low, high : int
        Inclusive bounds.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        ``value`` is a bool, not an integer, or outside ``[low, high]``.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    out = int(value)
    if not low <= out <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {out}")
    return out


def check_real(name: str, value: object) -> float:
    """Return ``value`` as a finite ``float``.

    Raises ValueError, naming ``name``, when ``value`` is a bool, not a real number (numpy
    scalars count) or not finite.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {out}")
    return out


def check_positive(name: str, value: object, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite ``float`` that is > 0 (>= 0 with ``allow_zero``).

    Raises ValueError as :func:`check_real` does, and for a negative value (or zero without
    ``allow_zero``).
    """
    out = check_real(name, value)
    if out < 0.0 or (out == 0.0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else 'positive'}, got {out}")
    return out


def check_nonnegative_array(name: str, value: object) -> np.ndarray:
    """Return ``value`` as a float64 array of finite entries >= 0.

    Parameters
    ----------
    name : str
    value : object
        A number or an array-like of numbers.

    Returns
    -------
    ndarray of float64

    Raises
    ------
    ValueError
        Not numeric, non-finite or negative entries.
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return arr


def check_choice(value: object, choices: Iterable[str], what: str, plural: str) -> str:
    """Return ``value`` if it is one of ``choices``.

    Parameters
    ----------
    value : object
    choices : iterable of str
    what : str
        Singular noun for the message, e.g. ``"network kind"``.
    plural : str
        Plural noun for the list of valid values, e.g. ``"kinds"``.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        Naming the valid values.
    """
    options = tuple(choices)
    if value not in options:
        raise ValueError(f"unknown {what} {value!r}; valid {plural}: {', '.join(options)}")
    return str(value)


def check_rng(rng: object) -> np.random.Generator:
    """Return ``rng`` if it is a ``numpy.random.Generator``.

    Parameters
    ----------
    rng : object

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    TypeError
        Anything else (the legacy global RNG is never used in ``core``).
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    return rng


def check_activation(activation: str | Activation, negative_slope: float = 0.01) -> Activation:
    """Return the :class:`~core.activations.Activation` for a name (or the record itself).

    Parameters
    ----------
    activation : str or Activation
    negative_slope : float
        Leaky ReLU slope (used with a name only).

    Returns
    -------
    Activation

    Raises
    ------
    ValueError
        Unknown activation name or bad slope.
    """
    if isinstance(activation, Activation):
        return activation
    return get_activation(activation, negative_slope=negative_slope)
