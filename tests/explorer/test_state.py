"""The pure URL-state parsers of ``explorer.state``: garbage, out-of-range, dependencies."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from core import networks
from explorer import state


def shared(network: str = "mlp", init: str = "glorot_normal") -> state.Config:
    """A valid shared config with this network type and initializer."""
    return state.with_init(state.with_network(state.default_config(), network), init)


def test_state_is_pure_and_does_not_import_streamlit() -> None:
    code = "import sys, explorer.state; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_last_value_of_repeated_keys_wins() -> None:
    assert state.last_value({"a": ["1", "2"]}, "a") == "2"
    assert state.last_value({"a": []}, "a") is None
    assert state.last_value({}, "a") is None


# ---- page parameters -----------------------------------------------------------------------

PARAMS = (
    state.PageParam("k", "p4_k", 1.0, state.nearest((0.5, 1.0, 2.0), low=1e-3, high=1e3)),
    state.PageParam("n", "p4_mode", "fan_avg", state.choice("fan_in", "fan_out", "fan_avg")),
    state.PageParam("alpha", "p5_alpha", 1.0, state.snapped(low=0.0, high=2.0, step=0.05)),
    state.PageParam("steps", "x_steps", 10, state.integer(low=1, high=100)),
)


def test_page_params_missing_take_defaults_without_warnings() -> None:
    values, warnings = state.parse_page_params(PARAMS, {})
    assert values == {"k": 1.0, "n": "fan_avg", "alpha": 1.0, "steps": 10}
    assert warnings == []


def test_page_params_valid_values_are_parsed_and_snapped() -> None:
    query = {"k": "1.9", "n": "fan_in", "alpha": "0.33", "steps": "7"}
    values, warnings = state.parse_page_params(PARAMS, query)
    assert values == {"k": 2.0, "n": "fan_in", "alpha": 0.35, "steps": 7}
    assert warnings == []


@pytest.mark.parametrize(
    ("name", "raw", "why"),
    [
        ("k", "lots", "is not a number"),
        ("k", "1e9", "outside the allowed range 0.001–1000"),
        ("k", "nan", "outside the allowed range"),
        ("n", "fan_sideways", "is not one of fan_in, fan_out, fan_avg"),
        ("alpha", "-0.5", "outside the allowed range 0–2"),
        ("alpha", "inf", "outside the allowed range 0–2"),
        ("steps", "2.5", "is not a whole number"),
        ("steps", "101", "outside the allowed range 1–100"),
        ("steps", "<script>", "is not a number"),
    ],
)
def test_page_params_bad_values_fall_back_with_a_warning_naming_them(
    name: str, raw: str, why: str
) -> None:
    values, warnings = state.parse_page_params(PARAMS, {name: raw})
    default = next(p.default for p in PARAMS if p.name == name)
    assert values[name] == default
    assert len(warnings) == 1
    assert warnings[0].startswith(f"`{name}` = ")
    assert why in warnings[0]
    assert f"using {state.query_value(default)}" in warnings[0]


def test_query_value_formats_numbers_like_the_url() -> None:
    assert state.query_value(1.0) == "1"
    assert state.query_value(0.1) == "0.1"
    assert state.query_value(1024) == "1024"
    assert state.query_value("fan_in") == "fan_in"


# ---- compare= ------------------------------------------------------------------------------


def test_compare_keeps_known_names_in_order_without_duplicates() -> None:
    options = state.compare_choices("mlp")
    names, warnings = state.parse_compare("he_normal, orthogonal,he_normal", options)
    assert names == ["he_normal", "orthogonal"]
    assert warnings == []


def test_compare_empty_or_missing_gives_nothing() -> None:
    assert state.parse_compare(None, ["he_normal"]) == ([], [])
    assert state.parse_compare("", ["he_normal"]) == ([], [])
    assert state.parse_compare(",,", ["he_normal"]) == ([], [])


def test_compare_garbage_is_skipped_with_a_warning_naming_the_parameter() -> None:
    options = state.compare_choices("mlp")
    names, warnings = state.parse_compare("he_normal,bogus,`rm -rf`", options)
    assert names == ["he_normal"]
    assert len(warnings) == 1
    assert warnings[0].startswith("`compare`")
    assert "bogus" in warnings[0]
    assert "``" not in warnings[0].replace("`compare`", "")


def test_compare_depends_on_the_network_type() -> None:
    names, warnings = state.parse_compare("identity,he_normal", state.compare_choices("cnn"))
    assert names == ["he_normal"]
    assert "identity" in warnings[0]
    names, _ = state.parse_compare("delta_orthogonal", state.compare_choices("mlp"))
    assert names == []


def test_compare_is_capped() -> None:
    options = state.compare_choices("mlp")
    names, warnings = state.parse_compare(",".join(options), options)
    assert names == list(options[: state.MAX_COMPARED])
    assert any(f"at most {state.MAX_COMPARED}" in w for w in warnings)


def test_compare_series_keeps_the_sidebar_initializers_parameters() -> None:
    config = state.Config(init="normal", init_params=(("std", 0.3),))
    series = state.compare_series(config, ["normal", "orthogonal"])
    assert series[0][1:] == ("normal", (("std", 0.3),))
    assert series[1][1:] == ("orthogonal", state.default_params("orthogonal"))


# ---- the playground group ------------------------------------------------------------------


@pytest.mark.parametrize("network", list(networks.KINDS))
def test_playground_defaults_follow_the_network_type(network: str) -> None:
    settings_, problems = state.parse_playground({}, shared(network))
    preset = state.PLAYGROUND_PRESETS[network]
    assert problems == {}
    assert settings_.dataset == preset.dataset
    assert settings_.dataset in state.playground_datasets(network)
    assert (settings_.steps, settings_.depth, settings_.width) == (
        preset.steps,
        preset.depth,
        preset.width,
    )


def test_playground_dataset_depends_on_the_network_type() -> None:
    ok, problems = state.parse_playground({"data": "spiral"}, shared("mlp"))
    assert ok.dataset == "spiral"
    assert not problems
    # Images are for the CNN: a link with spiral opened on a CNN falls back to its data set.
    cnn, problems = state.parse_playground({"data": "spiral"}, shared("cnn"))
    assert cnn.dataset == state.PLAYGROUND_PRESETS["cnn"].dataset
    assert "data" in problems
    assert problems["data"].startswith("`data`")
    rnn, problems = state.parse_playground({"data": "shapes"}, shared("rnn"))
    assert rnn.dataset in ("adding", "parity")
    assert "data" in problems


def test_playground_length_applies_only_to_sequence_tasks() -> None:
    rnn, problems = state.parse_playground({"data": "parity", "length": "40"}, shared("rnn"))
    assert not problems
    assert rnn.data_options() == (("length", 40),)
    assert rnn.to_query()["length"] == "40"
    mlp, _ = state.parse_playground({"data": "moons", "length": "40"}, shared("mlp"))
    assert mlp.data_options() == ()
    assert "length" not in mlp.to_query()
    too_long, problems = state.parse_playground({"length": "1000"}, shared("rnn"))
    assert too_long.length == state.PLAYGROUND_LENGTH
    assert "`length`" in problems["length"]


def test_playground_initializers_depend_on_what_fits_the_network() -> None:
    # identity has no conv analogue: dropped from a CNN's comparison, with a warning.
    cnn, problems = state.parse_playground(
        {"inits": "identity,he_normal"}, shared("cnn", "he_normal")
    )
    assert cnn.inits == ("he_normal",)
    assert "identity" in problems["inits"]
    # Nothing valid left: the default comparison, which starts with the sidebar's initializer.
    only_bad, problems = state.parse_playground(
        {"inits": "delta_orthogonal,bogus"}, shared("mlp", "he_uniform")
    )
    assert only_bad.inits == state.playground_default_inits("mlp", "he_uniform")
    assert only_bad.inits[0] == "he_uniform"
    assert "inits" in problems


def test_playground_default_comparison_starts_with_the_sidebar_initializer() -> None:
    for network in networks.KINDS:
        config = shared(network, "lecun_normal")
        settings_, _ = state.parse_playground({}, config)
        assert settings_.inits[0] == "lecun_normal"
        assert all(name in networks.supported_inits(network) for name in settings_.inits)


def test_playground_limits_are_the_network_types() -> None:
    cnn_max = state.PLAYGROUND_PRESETS["cnn"].steps_max
    cnn, problems = state.parse_playground({"steps": str(cnn_max + 10)}, shared("cnn"))
    assert cnn.steps == state.PLAYGROUND_PRESETS["cnn"].steps
    assert "outside the allowed range" in problems["steps"]
    mlp, problems = state.parse_playground({"steps": str(cnn_max + 10)}, shared("mlp"))
    assert mlp.steps == cnn_max + 10
    assert not problems


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("optimizer", "rmsprop"),
        ("lr", "fast"),
        ("lr", "-1"),
        ("steps", "3.5"),
        ("steps", "1e12"),
        ("batch", "100"),
        ("batch", "nan"),
        ("clip", "999"),
        ("train_depth", "0"),
        ("train_width", "1"),
        ("data", "`" * 200),
    ],
)
def test_playground_garbage_falls_back_with_a_warning_naming_the_parameter(
    name: str, raw: str
) -> None:
    default, _ = state.parse_playground({}, shared())
    parsed, problems = state.parse_playground({name: raw}, shared())
    assert parsed == default
    assert list(problems) == [name]
    assert problems[name].startswith(f"`{name}`")
    assert "'" * 41 not in problems[name]  # raw values are cut before being quoted


def test_playground_query_keeps_only_its_own_keys() -> None:
    query = {"network": "cnn", "data": "shapes", "lr": ["0.1", "0.3"], "k": "2"}
    assert state.parse_playground_query(query) == {"data": "shapes", "lr": "0.3"}
    assert set(state.PLAYGROUND_QUERY_KEYS) == set(state.PLAYGROUND_WIDGETS)


@settings(max_examples=150, deadline=None)
@given(
    hst.sampled_from(list(networks.KINDS)),
    hst.dictionaries(
        hst.sampled_from(list(state.PLAYGROUND_QUERY_KEYS)),
        hst.one_of(hst.text(max_size=20), hst.integers().map(str), hst.floats().map(str)),
    ),
)
def test_any_playground_query_yields_valid_settings(network: str, raw: dict[str, str]) -> None:
    config = shared(network)
    parsed, _ = state.parse_playground(raw, config)
    preset = state.PLAYGROUND_PRESETS[network]
    assert parsed.dataset in state.playground_datasets(network)
    assert set(parsed.inits) <= set(networks.supported_inits(network))
    assert len(parsed.inits) <= state.PLAYGROUND_MAX_INITS
    assert parsed.lr in state.PLAYGROUND_LRS
    assert parsed.batch in state.PLAYGROUND_BATCHES
    assert parsed.clip in state.PLAYGROUND_CLIPS
    assert 10 <= parsed.steps <= preset.steps_max
    assert 1 <= parsed.depth <= preset.depth_max
    assert 2 <= parsed.width <= preset.width_max
    again, problems = state.parse_playground(parsed.to_query(), config)
    assert again.to_query() == parsed.to_query()
    assert not problems


def test_parse_reveal_accepts_one_and_zero_and_warns_on_anything_else() -> None:
    assert state.parse_reveal({}) == (False, [])
    assert state.parse_reveal({"reveal": "1"}) == (True, [])
    assert state.parse_reveal({"reveal": ["0", "true"]}) == (True, [])
    assert state.parse_reveal({"reveal": "0"}) == (False, [])
    revealed, warnings = state.parse_reveal({"reveal": "maybe"})
    assert not revealed
    assert len(warnings) == 1
    assert "`reveal`" in warnings[0]
