"""Page 6 (Playground): train several initializers side by side, on request, with exports."""

from __future__ import annotations

import csv
import io
import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import download_id, query, run_page
from streamlit.testing.v1 import AppTest

from core import datasets, initializers, networks, training
from explorer import export, state
from explorer.lessons import playground
from explorer.state import Net
from tests.expected_columns import PLAYGROUND_HISTORY


def shared(network: str, init: str) -> state.Config:
    """A shared config with this network type and initializer (the playground depends on both)."""
    return state.Config(network=network, init=init)


PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "6_Playground.py")
LABEL = {name: spec.label for name, spec in initializers.REGISTRY.items()}
DEFAULT_INITS = ("glorot_normal", "small_random", "he_normal", "lecun_normal")
# He-initialized 10-layer ReLU MLP with SGD at lr 1: diverges within 10 steps unless clipped.
DIVERGING = {
    "activation": "relu",
    "inits": "he_normal",
    "lr": "1",
    "train_depth": "10",
    "steps": "100",
}


def run(query: dict[str, str] | None = None) -> AppTest:
    return run_page(PAGE, query, timeout=120)


def train(at: AppTest) -> AppTest:
    at.button(key="pg6_train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def text(at: AppTest) -> str:
    parts = [c.value for c in at.caption] + [i.value for i in at.info]
    return "\n".join(parts + [w.value for w in at.warning])


def query_value(at: AppTest, name: str) -> str:
    value = at.query_params[name]
    return value[0] if isinstance(value, list) else value


def results_table(at: AppTest) -> pd.DataFrame:
    frame = next(d.value for d in at.dataframe if "steps to target" in d.value.columns)
    return frame.set_index("initializer")


# ---- first visit: useful without training --------------------------------------------------


def test_first_visit_shows_the_untrained_networks_and_does_not_train(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("the page trained without a click")

    monkeypatch.setattr(training, "train", no_training)
    monkeypatch.setattr(training, "train_chunk", no_training)  # the page trains in chunks
    at = run()
    assert not at.metric  # no results yet
    assert "Nothing trained yet" in text(at)
    # Per-layer std at init + four decision maps at step 0.
    assert len(at.get("vega_lite_chart")) == 1 + len(DEFAULT_INITS)
    small = LABEL["small_random"]
    notice = next(c.value for c in at.caption if "last hidden layer" in c.value)
    assert small in notice
    assert at.multiselect(key="pg6_inits").value == list(DEFAULT_INITS)
    # The page's settings are in the share link next to the shared config.
    assert query_value(at, "inits") == ",".join(DEFAULT_INITS)
    assert query_value(at, "data") == "moons"
    assert query_value(at, "network") == "mlp"


def test_untrained_small_random_has_vanished_by_the_last_layer() -> None:
    starts = {
        name: playground.playground_start(
            Net("mlp", "tanh", 4, 32, 0), name, state.default_params(name), "moons", ()
        )
        for name in ("small_random", "he_normal")
    }
    small = starts["small_random"].act_std["act_std"].to_numpy()
    he = starts["he_normal"].act_std["act_std"].to_numpy()
    # tanh is ~linear near 0: each layer multiplies the std by about 0.01 * sqrt(32) = 0.057.
    assert small[-1] < 1e-4
    assert 0.1 < he[-1] < 1.0
    assert starts["small_random"].loss == pytest.approx(math.log(2), abs=1e-4)
    assert starts["small_random"].grid is not None
    assert len(starts["small_random"].grid) == playground.PLAYGROUND_GRID**2


# ---- training on request -------------------------------------------------------------------


def test_train_button_compares_the_default_initializers() -> None:
    at = train(run())
    shown = metrics(at)
    assert set(shown) == {LABEL[n] for n in DEFAULT_INITS}
    # Same data and seed: well-scaled inits learn the moons, small random stalls at chance.
    assert shown[LABEL["he_normal"]][0] == "100.0%"
    assert shown[LABEL["small_random"]] == ("50.0%", "never reached 95%")
    table = results_table(at)
    assert table.loc[LABEL["small_random"], "steps to target"] == "never"
    assert int(table.loc[LABEL["he_normal"], "steps to target"]) < 100
    assert table.loc[LABEL["small_random"], "final loss"] == pytest.approx(math.log(2), abs=1e-3)
    assert (table["diverged at"] == "no").all()
    summary = next(c.value for c in at.caption if "first, at step" in c.value)
    assert f"{LABEL['small_random']} never did" in summary
    # Loss, accuracy, one gradient heatmap per initializer (4: they stack on a phone), 4 trained
    # maps, the activations during training (percentile bands + saturated share), then the
    # untrained view (1 + 4).
    assert len(at.get("vega_lite_chart")) == 2 + 4 + 4 + 2 + 1 + 4


def test_default_comparison_is_fast() -> None:
    # Four initializers, 300 steps, a 4 x 32 MLP on 512 moons points (the benchmark).
    # Measured about 0.4 s on an idle core; the bound leaves room for a busy CI machine.
    started = time.perf_counter()
    for name in DEFAULT_INITS:
        playground.playground_run.__wrapped__(
            "mlp", "tanh", name, state.default_params(name), 4, 32, "moons", (), 7,
            "sgd", 0.1, 300, 128, 0.0,
        )  # fmt: skip
    assert time.perf_counter() - started < 2.0


def test_results_survive_reruns_without_retraining(monkeypatch: pytest.MonkeyPatch) -> None:
    at = train(run())
    before = metrics(at)

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("a rerun retrained")

    monkeypatch.setattr(training, "train", no_training)
    monkeypatch.setattr(training, "train_chunk", no_training)  # the page trains in chunks
    at.toggle(key="reveal_pg6_stall").set_value(True).run()
    assert not at.exception
    assert metrics(at) == before
    # Changing a setting keeps the old results on screen and says they are stale.
    at.select_slider(key="pg6_lr").set_value(0.03).run()
    assert not at.exception
    assert metrics(at) == before
    assert "settings changed" in text(at)
    assert query_value(at, "lr") == "0.03"


def test_same_settings_in_a_new_session_come_from_the_cache() -> None:
    train(run({"seed": "11"}))
    second = train(run({"seed": "11"}))
    assert "Served from the cache" in text(second)


def test_divergence_is_reported_and_clipping_prevents_it() -> None:
    at = train(run(DIVERGING))
    value, delta = metrics(at)[LABEL["he_normal"]]
    assert value == "diverged"
    assert delta.startswith("at step ")
    step = int(delta.removeprefix("at step "))
    assert 0 < step < 20
    assert results_table(at).loc[LABEL["he_normal"], "diverged at"] == str(step)
    assert f"diverged at step {step}" in text(at)

    at = train(run({**DIVERGING, "clip": "1"}))
    value, _ = metrics(at)[LABEL["he_normal"]]
    assert value.endswith("%")
    assert results_table(at).loc[LABEL["he_normal"], "clipped updates"] > 0


def test_exports_hold_every_recorded_step(downloads: dict) -> None:
    at = train(run({"steps": "60", "inits": "he_normal,zeros"}))
    buttons = {b.key: downloads[download_id(b)] for b in at.download_button}
    data, name = buttons["pg6_download_csv"]
    assert name == "playground_mlp_tanh_glorot_normal_gain1_d4_w32_s0_moons.csv"
    frame = pd.read_csv(io.BytesIO(data))
    layers = ["layer 1", "layer 2", "layer 3", "layer 4", "output"]
    assert list(frame.columns) == [
        *PLAYGROUND_HISTORY,
        *[f"grad_norm {layer}" for layer in layers],
    ]
    assert len(frame) == 2 * 60
    assert list(frame["step"][:3]) == [0, 1, 2]
    zeros = frame[frame["init_key"] == "zeros"]
    # Zero init: hidden weight gradients are exactly zero, only the output layer moves.
    assert (zeros[[f"grad_norm layer {i}" for i in range(1, 5)]] == 0).all().all()
    assert (zeros["grad_norm output"] == 0).all()  # the hidden activations are all zero too
    data, name = buttons["pg6_download_json"]
    assert name == "playground_mlp_tanh_glorot_normal_gain1_d4_w32_s0_moons.json"
    payload = json.loads(data, parse_constant=lambda c: pytest.fail(f"non-JSON {c}"))
    assert payload["settings"]["inits"] == "he_normal,zeros"
    assert payload["settings"]["steps"] == "60"
    assert [r["init"] for r in payload["runs"]] == ["he_normal", "zeros"]
    assert len(payload["runs"][0]["loss"]) == 60
    assert set(payload["runs"][0]["grad_norm"]) == set(layers)


# ---- settings, URL and network types -------------------------------------------------------


def test_sidebar_initializer_leads_the_default_comparison() -> None:
    at = run()
    at.sidebar.selectbox(key="ctl_init").set_value("orthogonal").run()
    assert at.multiselect(key="pg6_inits").value[0] == "orthogonal"
    assert query_value(at, "inits").startswith("orthogonal,")


def test_url_sets_the_page_controls() -> None:
    link = "data=circles&inits=orthogonal,he_uniform&optimizer=adam&lr=0.003&steps=120"
    at = run(query(link + "&batch=0&clip=3&train_depth=6&train_width=16"))
    assert not [w.value for w in at.warning]
    assert at.selectbox(key="pg6_data").value == "circles"
    assert at.multiselect(key="pg6_inits").value == ["orthogonal", "he_uniform"]
    assert at.radio(key="pg6_optimizer").value == "adam"
    assert at.select_slider(key="pg6_lr").value == 0.003
    assert at.slider(key="pg6_steps").value == 120
    assert at.select_slider(key="pg6_batch").value == 0
    assert at.select_slider(key="pg6_clip").value == 3.0
    assert (at.slider(key="pg6_depth").value, at.slider(key="pg6_width").value) == (6, 16)
    at = train(at)
    assert set(metrics(at)) == {LABEL["orthogonal"], LABEL["he_uniform"]}


def test_hostile_page_parameters_warn_and_fall_back() -> None:
    hostile = query(
        "data=<script>alert(1)</script>&inits=nope,=cmd&optimizer=rmsprop&lr=nan&steps=1e9"
        "&batch=7&clip=-3&train_depth=-1&train_width=abc&length=inf"
    )
    at = run(hostile)
    warnings = "\n".join(w.value for w in at.warning)
    for name in hostile:
        assert f"`{name}`" in warnings, name
    assert query_value(at, "data") == "moons"
    assert query_value(at, "inits") == ",".join(DEFAULT_INITS)
    assert "<script>" not in str(at.query_params)


@pytest.mark.parametrize(
    ("network", "data", "expected"),
    [("cnn", "shapes", ("shapes",)), ("rnn", "adding", ("adding", "parity"))],
)
def test_network_type_picks_fitting_data_sets(
    network: str, data: str, expected: tuple[str, ...]
) -> None:
    at = run({"network": network, "steps": "20"})
    box = at.selectbox(key="pg6_data")
    assert box.value == data
    assert tuple(box.options) == tuple(datasets.DATASETS[n].label for n in expected)
    inits = at.multiselect(key="pg6_inits").value
    assert set(inits) <= set(networks.supported_inits(network))
    at = train(at)
    values = [value for value, _ in metrics(at).values()]
    assert len(values) == len(inits)
    if network == "rnn":  # regression: R² instead of accuracy
        assert all(not v.endswith("%") for v in values)
        assert at.slider(key="pg6_length").value == state.PLAYGROUND_LENGTH


def test_too_expensive_comparison_cannot_be_started() -> None:
    at = run({"train_depth": "30", "train_width": "128", "batch": "0", "steps": "2000"})
    assert at.button(key="pg6_train").disabled
    assert "shared server allows" in "\n".join(w.value for w in at.warning)


# ---- compute helpers -----------------------------------------------------------------------


def test_settings_round_trip_through_the_url() -> None:
    settings, problems = state.parse_playground(
        {"inits": ["he_normal", "zeros"], "lr": 0.3, "batch": 32, "clip": 1.0},
        shared("mlp", "glorot_normal"),
    )
    assert not problems
    again, problems = state.parse_playground(settings.to_query(), shared("mlp", "glorot_normal"))
    assert not problems
    assert again == settings
    # Off-grid values snap to the offered ones; too many initializers are cut to the cap.
    snapped, _ = state.parse_playground({"lr": "0.09", "clip": "0.25"}, shared("mlp", "relu"))
    assert (snapped.lr, snapped.clip) == (0.1, 0.3)
    names = ",".join(list(networks.supported_inits("mlp"))[:8])
    capped, problems = state.parse_playground({"inits": names}, shared("mlp", "zeros"))
    assert len(capped.inits) == state.PLAYGROUND_MAX_INITS
    assert "inits" in problems


def test_default_inits_fit_every_network_type() -> None:
    for network in networks.KINDS:
        for user in initializers.REGISTRY:
            picks = state.playground_default_inits(network, user)
            assert len(picks) == 4
            assert len(set(picks)) == 4
            assert set(picks) <= set(networks.supported_inits(network))


def test_steps_to_target_averages_over_a_window() -> None:
    run_ = playground.playground_run.__wrapped__(
        "mlp", "tanh", "he_normal", (("gain", 1.0),), 2, 8, "moons", (), 0,
        "sgd", 0.1, 40, 0, 0.0,
    )  # fmt: skip
    score = run_.score
    first = playground.steps_to_target(run_, float(score.max()))
    assert first == int(np.argmax(score >= score.max()))
    assert playground.steps_to_target(run_, 1.01) is None
    window = 5
    smooth = np.convolve(score, np.ones(window) / window, mode="valid")
    expected = int(np.argmax(smooth >= 0.8)) + window - 1 if (smooth >= 0.8).any() else None
    assert playground.steps_to_target(run_, 0.8, window=window) == expected


def test_history_csv_is_escaped_and_json_is_strict() -> None:
    run_ = playground.playground_run.__wrapped__(
        "mlp", "relu", "he_normal", (("gain", 1.0),), 10, 32, "moons", (), 0,
        "sgd", 1.0, 30, 128, 0.0,
    )  # fmt: skip
    assert run_.history.diverged
    frame = playground.playground_history_frame([run_])
    # A hostile label must not reach a spreadsheet as a formula.
    frame["initializer"] = "=HYPERLINK(1)"
    rows = list(csv.reader(io.StringIO(export.safe_csv(frame).decode())))
    assert rows[1][0] == "'=HYPERLINK(1)"
    payload = playground.playground_json([run_], {"seed": 0}).decode()
    assert "NaN" not in payload
    assert "Infinity" not in payload
    loaded = json.loads(payload)["runs"][0]
    assert loaded["diverged_at"] == run_.history.diverged_at
    assert None in loaded["loss"] or "inf" in loaded["loss"]


def test_time_estimate_grows_with_the_work() -> None:
    base, _ = state.parse_playground({}, shared("mlp", "glorot_normal"))
    more_steps, _ = state.parse_playground({"steps": "600"}, shared("mlp", "glorot_normal"))
    wider, _ = state.parse_playground({"train_width": "128"}, shared("mlp", "glorot_normal"))
    t = playground.playground_seconds("mlp", base)
    assert playground.playground_seconds("mlp", more_steps) == pytest.approx(2 * t)
    assert playground.playground_seconds("mlp", wider) > t
    assert t < 2.0  # the default comparison stays far below the server's budget


def test_rnn_view_shows_the_gradient_through_time() -> None:
    at = run({"network": "rnn"})
    assert at.multiselect(key="pg6_inits").value == [
        "glorot_normal",
        "small_random",
        "orthogonal",
        "identity",
    ]
    notice = next(c.value for c in at.caption if "first time step" in c.value)
    assert LABEL["orthogonal"] in notice
    starts = {
        name: playground.playground_start(
            Net("rnn", "tanh", 1, 32, 0),
            name,
            state.default_params(name),
            "adding",
            (("length", 20),),
        )  # fmt: skip
        for name in ("small_random", "orthogonal")
    }
    small = starts["small_random"].time_grad["grad_rel"].to_numpy()
    ortho = starts["orthogonal"].time_grad["grad_rel"].to_numpy()
    assert small[-1] == ortho[-1] == 1.0  # relative to the last step
    # N(0, 0.01²) recurrence: each step back multiplies by ~0.01·√32, so 19 steps kill it.
    assert small[0] < 1e-12
    assert ortho[0] > 0.05


def test_page_settings_survive_a_page_switch() -> None:
    root = Path(PAGE).parents[1]
    at = AppTest.from_file(str(root / "Home.py"), default_timeout=120).run()
    at.switch_page("pages/6_Playground.py").run()
    at.select_slider(key="pg6_lr").set_value(0.3).run()
    at.multiselect(key="pg6_inits").set_value(["he_normal", "orthogonal"]).run()
    at.switch_page("pages/8_Reference.py").run()
    assert "lr" not in at.query_params
    at.switch_page("pages/6_Playground.py").run()
    assert not at.exception
    assert at.select_slider(key="pg6_lr").value == 0.3
    assert at.multiselect(key="pg6_inits").value == ["he_normal", "orthogonal"]
    assert query_value(at, "lr") == "0.3"
