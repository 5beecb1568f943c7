"""core.registry prose: the facts the catalogue states are the ones the code computes.

Pins the corrections of issue items 18 (orthogonal's fan convention) and 27 (what LeCun and
Glorot init were designed for).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.initializers import compute_fans
from core.registry import REGISTRY, initialize, scale_of

DENSE_SHAPES = [(64, 256), (256, 64), (3, 7), (100, 100)]
CONV_SHAPES = [(3, 3, 4, 16), (3, 4, 16), (5, 5, 8, 8), (3, 3, 3, 2, 6)]


# ---------------------------------------------------------------- item 18: fan conventions
def test_orthogonal_family_fan_mode_is_fan_max():
    assert REGISTRY["orthogonal"].fan_mode == "fan_max"
    assert REGISTRY["delta_orthogonal"].fan_mode == "fan_max"
    assert REGISTRY["identity"].fan_mode == "none"


@pytest.mark.parametrize("shape", DENSE_SHAPES)
@pytest.mark.parametrize("gain", [1.0, 1.5])
def test_orthogonal_dense_rms_is_gain_over_sqrt_max_fan(shape, gain):
    fan_in, fan_out = compute_fans(shape)
    expected = gain / math.sqrt(max(fan_in, fan_out))
    assert scale_of("orthogonal", shape, gain=gain).std == pytest.approx(expected, rel=1e-12)
    w = initialize("orthogonal", shape, rng=np.random.default_rng(0), gain=gain)
    assert math.sqrt(float(np.mean(w**2))) == pytest.approx(expected, rel=1e-9)
    assert fan_in != fan_out or shape == (100, 100)  # rectangular shapes tell the fans apart


@pytest.mark.parametrize("shape", CONV_SHAPES)
def test_orthogonal_conv_rms_uses_the_flattened_matrix(shape):
    # documented in InitSpec: (kh*kw*c_in, c_out), so max(fan_in, c_out), not max(fan_in, fan_out)
    fan_in, _ = compute_fans(shape)
    expected = 1.0 / math.sqrt(max(fan_in, shape[-1]))
    assert scale_of("orthogonal", shape).std == pytest.approx(expected, rel=1e-12)
    w = initialize("orthogonal", shape, rng=np.random.default_rng(1))
    assert math.sqrt(float(np.mean(w**2))) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("shape", [s for s in CONV_SHAPES if s[-2] <= s[-1]])
def test_delta_orthogonal_rms_is_gain_over_sqrt_max_fan(shape):
    fan_in, fan_out = compute_fans(shape)
    expected = 2.0 / math.sqrt(max(fan_in, fan_out))
    assert max(fan_in, fan_out) == fan_out  # c_in <= c_out
    assert scale_of("delta_orthogonal", shape, gain=2.0).std == pytest.approx(expected, rel=1e-12)
    w = initialize("delta_orthogonal", shape, rng=np.random.default_rng(2), gain=2.0)
    assert math.sqrt(float(np.mean(w**2))) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("shape", DENSE_SHAPES)
def test_identity_nonzero_entries_are_gain_whatever_the_fans(shape):
    w = initialize("identity", shape, rng=np.random.default_rng(3), gain=1.5)
    assert set(np.unique(w).tolist()) <= {0.0, 1.5}
    assert np.count_nonzero(w) == min(shape)
    rms = 1.5 / math.sqrt(max(shape))
    assert scale_of("identity", shape, gain=1.5).std == pytest.approx(rms, rel=1e-12)
    assert "whatever the fans" in REGISTRY["identity"].designed_for


def test_fan_max_is_documented():
    from core.registry import InitSpec

    doc = InitSpec.__doc__ or ""
    assert '``"fan_max"``' in doc
    assert r"\max(r, c)" in doc


# ---------------------------------------------------------------- item 27: designed_for
@pytest.mark.parametrize("name", ["lecun_normal", "lecun_uniform"])
def test_lecun_no_longer_claims_constancy_through_tanh(name):
    text = REGISTRY[name].designed_for
    assert "tanh-like" not in text
    assert "constant through" not in text
    assert "shrink" in text  # plain tanh: the variance shrinks slowly
    assert "SELU" in text
    assert "linear" in text


def test_lecun_normal_cites_the_papers():
    spec = REGISTRY["lecun_normal"]
    assert "LeCun (1998)" in spec.designed_for
    assert "Klambauer" in spec.designed_for
    assert "(1998)" in spec.reference
    assert "(2017)" in spec.reference


@pytest.mark.parametrize("name", ["glorot_normal", "glorot_uniform"])
def test_glorot_does_not_claim_sigmoid(name):
    text = REGISTRY[name].designed_for
    assert "for tanh, sigmoid" not in text
    # sigmoid is mentioned only to say the derivation does not cover it
    if "sigmoid" in text:
        assert "Not for sigmoid" in text


def test_glorot_normal_states_the_linear_regime_assumption():
    text = REGISTRY["glorot_normal"].designed_for
    assert "linear around 0" in text
    assert "tanh" in text
    assert "softsign" in text
    assert "1/4" in text  # sigmoid'(0)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_designed_for_stays_short(name):
    text = REGISTRY[name].designed_for
    assert 20 < len(text) < 300
    assert text.endswith(".")
    assert text.count(". ") + 1 <= 2
