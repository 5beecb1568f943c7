"""The shared config's URL parsing and validation (pure functions, no Streamlit runtime)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import activations, initializers, networks
from explorer import state


def test_no_query_gives_defaults_without_warnings() -> None:
    config, warnings = state.parse_query({})
    assert warnings == []
    assert config == state.default_config()
    assert config.to_query()["init"] == state.DEFAULTS["init"]


def test_valid_query_round_trips() -> None:
    query = {
        "network": "mlp",
        "activation": "relu",
        "init": "variance_scaling",
        "depth": "12",
        "width": "64",
        "seed": "7",
        "scale": "2",
        "mode": "fan_out",
        "distribution": "uniform",
    }
    config, warnings = state.parse_query(query)
    assert warnings == []
    assert config.params == {"scale": 2.0, "mode": "fan_out", "distribution": "uniform"}
    again, warnings = state.parse_query(config.to_query())
    assert warnings == []
    assert again == config


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("depth", "-5"),
        ("depth", "3.5"),
        ("depth", "abc"),
        ("depth", "nan"),
        ("depth", "1e400"),
        ("width", "1000000000"),
        ("width", "0"),
        ("seed", "-1"),
        ("seed", "inf"),
        ("network", "<script>alert(1)</script>"),
        ("activation", "NaN"),
        ("init", "nope"),
    ],
)
def test_bad_values_fall_back_with_a_warning_naming_the_parameter(name: str, raw: str) -> None:
    config, warnings = state.parse_query({name: raw})
    assert len(warnings) == 1
    assert f"`{name}`" in warnings[0]
    default = state.default_config()
    assert getattr(config, name) == getattr(default, name)


def test_bad_initializer_parameter_falls_back() -> None:
    config, warnings = state.parse_query({"init": "normal", "std": "-1"})
    assert config.params["std"] == initializers.REGISTRY["normal"].params[0].default
    assert "`std`" in warnings[0]
    config, warnings = state.parse_query({"init": "normal", "std": "0"})
    assert "`std`" in warnings[0]


def test_parameter_of_another_initializer_is_reported() -> None:
    config, warnings = state.parse_query({"init": "he_normal", "std": "0.3"})
    assert config.init == "he_normal"
    assert any("`std`" in w for w in warnings)


def test_long_hostile_value_is_truncated_and_defused() -> None:
    _, warnings = state.parse_query({"init": "`" * 500})
    assert "'" * 41 not in warnings[0]  # the value is cut to 40 characters
    assert "``" not in warnings[0].replace("`init`", "")


def test_init_that_does_not_fit_the_network_is_replaced() -> None:
    config, warnings = state.parse_query({"network": "mlp", "init": "delta_orthogonal"})
    assert config.init == "orthogonal"
    assert "`init`" in warnings[0]
    config, _ = state.parse_query({"network": "cnn", "init": "identity"})
    assert config.init == "delta_orthogonal"


def test_depth_is_capped_by_the_weight_budget() -> None:
    config, warnings = state.parse_query({"width": "1024", "depth": "200"})
    assert config.depth == state.max_depth("mlp", 1024) == 16
    assert "`depth`" in warnings[0]
    assert config.depth * config.width**2 <= state.MAX_HIDDEN_WEIGHTS


def test_switching_network_clamps_width_and_fits_init() -> None:
    config = state.with_init(state.default_config(), "identity")
    config = state.with_network(config, "cnn")
    assert config.width <= state.LIMITS["cnn"].width_max
    assert config.init in networks.supported_inits("cnn")


def test_switching_init_keeps_shared_parameters() -> None:
    config = state.with_init(state.default_config(), "he_normal")
    config = state.Config(**{**config.__dict__, "init_params": (("gain", 2.5),)})
    assert state.with_init(config, "orthogonal").params == {"gain": 2.5}
    assert state.with_init(config, "normal").params == {"std": 0.05}


def test_slug_is_file_name_safe() -> None:
    config, _ = state.parse_query({"init": "normal", "std": "0.25", "seed": "3"})
    slug = config.slug()
    assert all(ch.isalnum() or ch == "_" for ch in slug), slug
    assert "std0p25" in slug


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [*state.CONFIG_KEYS, "std", "gain", "scale", "mode", "value", "limit", "other"]
        ),
        st.one_of(st.text(max_size=30), st.integers().map(str), st.floats().map(str)),
        max_size=8,
    )
)
def test_any_query_yields_a_valid_config(query: dict[str, str]) -> None:
    config, warnings = state.parse_query(query)
    limits = state.LIMITS[config.network]
    assert config.network in networks.KINDS
    assert config.activation in activations.NAMES
    assert config.init in networks.supported_inits(config.network)
    assert 1 <= config.depth <= state.max_depth(config.network, config.width)
    assert limits.width_min <= config.width <= limits.width_max
    assert 0 <= config.seed <= state.SEED_MAX
    initializers.validate_params(config.init, config.params)
    for value in config.params.values():
        assert isinstance(value, str) or math.isfinite(value)
    assert all(isinstance(w, str) for w in warnings)
