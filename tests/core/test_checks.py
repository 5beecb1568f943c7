"""Tests for core._checks: the one copy of every argument validator in core."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core._checks import (
    check_activation,
    check_choice,
    check_int,
    check_nonnegative_array,
    check_positive,
    check_real,
    check_rng,
)
from core.activations import get


def test_check_int():
    assert check_int("n", 3, 1, 5) == 3
    assert type(check_int("n", np.int64(5), 1, 5)) is int
    for bad in (True, 2.0, "3", None):
        with pytest.raises(ValueError, match="n must be an integer"):
            check_int("n", bad, 1, 5)
    for bad in (0, 6):
        with pytest.raises(ValueError, match="n must be between 1 and 5"):
            check_int("n", bad, 1, 5)


def test_check_real_and_positive():
    assert check_real("x", np.float32(1.5)) == 1.5
    assert check_real("x", -2) == -2.0
    for bad in (True, "1", None):
        with pytest.raises(ValueError, match="x must be a real number"):
            check_real("x", bad)
    for bad in (math.inf, math.nan):
        with pytest.raises(ValueError, match="x must be finite"):
            check_real("x", bad)
    assert check_positive("g", 2) == 2.0
    assert check_positive("g", 0.0, allow_zero=True) == 0.0
    with pytest.raises(ValueError, match="g must be positive"):
        check_positive("g", 0.0)
    with pytest.raises(ValueError, match="g must be >= 0"):
        check_positive("g", -1.0, allow_zero=True)


def test_check_nonnegative_array():
    np.testing.assert_array_equal(check_nonnegative_array("v", [0.0, 2.0]), [0.0, 2.0])
    assert check_nonnegative_array("v", 1.5).ndim == 0
    for bad in (-1.0, [1.0, math.inf], math.nan):
        with pytest.raises(ValueError, match="v must be finite and >= 0"):
            check_nonnegative_array("v", bad)
    with pytest.raises(ValueError, match="v must be a number"):
        check_nonnegative_array("v", "abc")


def test_check_choice():
    assert check_choice("b", ("a", "b"), "letter", "letters") == "b"
    with pytest.raises(ValueError, match="unknown letter 'c'; valid letters: a, b"):
        check_choice("c", ("a", "b"), "letter", "letters")


def test_check_rng():
    rng = np.random.default_rng(0)
    assert check_rng(rng) is rng
    for bad in (None, 0, np.random.RandomState(0)):  # noqa: NPY002 (the legacy RNG is refused)
        with pytest.raises(TypeError, match="numpy.random.Generator"):
            check_rng(bad)


def test_check_activation():
    act = get("tanh")
    assert check_activation(act) is act
    assert check_activation("leaky_relu", 0.2).negative_slope == pytest.approx(0.2)
    with pytest.raises(ValueError, match="nope"):
        check_activation("nope")
