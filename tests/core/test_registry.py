"""Tests for core.registry: one entry per initializer, re-exported by core.initializers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core import initializers, registry
from core.registry import REGISTRY, InitSpec, ParamSpec, initialize, scale_of, validate_params


def test_initializers_reexports_are_the_registry_objects():
    for name in ("REGISTRY", "InitSpec", "ParamSpec", "initialize", "scale_of", "sigma_w2"):
        assert getattr(initializers, name) is getattr(registry, name)
    assert initializers.validate_params is registry.validate_params
    with pytest.raises(AttributeError):
        _ = initializers.no_such_name


def test_every_entry_carries_its_sampler_and_scale():
    assert list(REGISTRY) == [spec.name for spec in REGISTRY.values()]
    for name, spec in REGISTRY.items():
        assert isinstance(spec, InitSpec)
        assert spec.function is getattr(initializers, name)
        assert all(isinstance(p, ParamSpec) for p in spec.params)
        assert set(spec.defaults) == {p.name for p in spec.params}
        shape = (3, 3, 4, 6) if spec.min_rank >= 3 else (6, 6)
        s = scale_of(name, shape)
        assert s == spec.scale(shape, validate_params(name))
        assert s.std >= 0.0


def test_sampler_and_exact_scale_agree():
    # RMS of a large draw matches the exact std of the spec (6 standard errors).
    for name, spec in REGISTRY.items():
        shape = (3, 3, 40, 40) if spec.min_rank >= 3 else (300, 200)
        if name == "identity":
            shape = (200, 200)
        w = initialize(name, shape, rng=np.random.default_rng(3))
        std = scale_of(name, shape).std
        rms = float(np.sqrt(np.mean(w**2)))
        if spec.family in ("constant", "orthogonal", "identity"):
            assert rms == pytest.approx(std, rel=1e-9, abs=1e-300)
        else:
            assert rms == pytest.approx(std, rel=6 * np.sqrt(2.0 / w.size) * 1.5)


def test_spec_equality_ignores_callables_and_is_frozen():
    spec = REGISTRY["he_normal"]
    twin = dataclasses.replace(spec, function=initializers.he_uniform)
    assert twin == spec
    assert "function" not in repr(spec)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.label = "x"  # type: ignore[misc]


def test_unknown_names_and_parameters_raise():
    with pytest.raises(ValueError, match="valid names"):
        initialize("nope", (2, 2), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="valid parameters: gain"):
        validate_params("he_normal", {"std": 1.0})
    with pytest.raises(ValueError, match="parameter 'gain' must be in"):
        validate_params("he_normal", {"gain": 0.0})
    with pytest.raises(TypeError, match="Generator"):
        initialize("he_normal", (2, 2), rng=None)  # type: ignore[arg-type]
