"""explorer.live: the chunked, cached runner behind live training (called directly)."""

from __future__ import annotations

import time
import types

import pandas as pd
import pytest

from core import training
from explorer import live
from explorer.lessons import playground as P
from explorer.state import Net


def spec(init: str = "he_normal", steps: int = 120, **kw: object) -> live.RunSpec:
    """A run on 512 moons points: the playground's MLP data set (``playground_run`` uses 512)."""
    values = {"optimizer": "momentum", "lr": 0.05, "batch": 64, "clip": 0.0} | kw
    return live.RunSpec(
        Net("mlp", "tanh", 3, 12, 5), init, (), "moons", (), 512, steps=steps, **values
    )


def finish(progress: live.LiveProgress) -> live.LiveProgress:
    for now in live.advance(progress):
        progress = now
    return progress


def test_chunk_size_keeps_the_number_of_redraws_bounded() -> None:
    assert live.chunk_size(300) == live.CHUNK_STEPS
    assert live.n_chunks(300) == 12
    assert live.chunk_size(2000) == 2 * live.CHUNK_STEPS
    for steps in (10, 25, 26, 999, 1000, 1001, 2000, 20000):
        assert live.n_chunks(steps) <= live.MAX_CHUNKS
        assert live.chunk_size(steps) % live.CHUNK_STEPS == 0


@pytest.mark.parametrize(
    ("init", "kw"),
    [
        ("he_normal", {}),
        ("small_random", {"optimizer": "adam", "lr": 0.01, "batch": 0}),
        ("glorot_uniform", {"optimizer": "sgd", "clip": 0.3, "batch": 32}),
    ],
)
def test_chunks_join_to_the_one_shot_run_bit_for_bit(init: str, kw: dict) -> None:
    s = spec(init, 110, **kw)  # 110 = 4 chunks of 25 and one of 10
    done = finish(live.start("k", [s]))
    run = done.runs[0]
    assert run.done
    assert len(run.parts) == 5
    one_shot = P.playground_run.__wrapped__(
        "mlp", "tanh", init, (), 3, 12, "moons", (), 5, s.optimizer, s.lr, 110, s.batch, s.clip
    )
    assert run.history() == one_shot.history
    assembled = P.run_from_live(s, run.step, True, run)
    assert assembled.history == one_shot.history
    assert assembled.final_score == one_shot.final_score
    pd.testing.assert_frame_equal(assembled.grid, one_shot.grid)


def test_a_diverging_run_ends_early_and_is_reported() -> None:
    s = live.RunSpec(
        Net("mlp", "relu", 10, 32, 0), "he_normal", (), "moons", (), 512, "sgd", 1.0, 100, 128
    )
    run = finish(live.start("k", [s])).runs[0]
    whole = P.playground_run.__wrapped__(
        "mlp", "relu", "he_normal", (), 10, 32, "moons", (), 0, "sgd", 1.0, 100, 128, 0.0
    )
    assert whole.history.diverged
    assert run.done
    assert run.history() == whole.history
    assert run.step == whole.history.diverged_at
    assert len(run.parts) == whole.history.diverged_at // live.CHUNK_STEPS + 1


def test_a_second_session_gets_every_chunk_from_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    s = spec("lecun_normal", 75, lr=0.02)
    first = finish(live.start("a", [s]))

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached chunk was trained again")

    monkeypatch.setattr(training, "train_chunk", no_training)
    again = finish(live.start("b", [s]))
    assert again.runs[0].history() == first.runs[0].history()
    # The chunks keep the training time of their first computation.
    assert again.runs[0].seconds == pytest.approx(first.runs[0].seconds)
    # Fetching a later chunk alone walks the cached earlier ones.
    last = live.train_chunk(s, 2, live.chunk_size(75))
    assert last.state.done
    assert last.part == first.runs[0].parts[-1]


def test_stop_and_continue_keep_the_partial_history() -> None:
    s1, s2 = spec("he_normal", 100), spec("small_random", 100)
    rounds = live.advance(live.start("k", [s1, s2]))
    partial = next(rounds)
    partial = next(rounds)  # two rounds, then the page is interrupted (Stop)
    rounds.close()
    assert not partial.done
    assert partial.step == 50
    assert all(len(r.parts) == 2 for r in partial.runs)
    history = partial.runs[0].history()
    assert history.step[-1] == 49
    assert history.steps_run == 50
    # The stopped run is shown evaluated where it stopped, on all the data.
    shown = P.run_from_live(s1, 50, False, partial.runs[0])
    assert shown.history.steps_run == 50
    assert 0.0 < shown.final_score <= 1.0
    assert shown.history.final_loss > 0
    # Continue: the remaining chunks, and the result is the uninterrupted one.
    resumed = finish(partial)
    straight = finish(live.start("k", [s1, s2]))
    for a, b in zip(resumed.runs, straight.runs, strict=True):
        assert a.history() == b.history()
    assert resumed.step == resumed.total == 100
    # Probes: step 0 then the end of each chunk, every hidden layer.
    probe = resumed.runs[0].probe
    assert sorted(probe["step"].unique()) == [0, 25, 50, 75, 100]
    assert set(probe["layer"]) == {1, 2, 3}


def test_wrong_previous_chunk_is_refused() -> None:
    s = spec("he_normal", 60)
    size = live.chunk_size(60)
    first = live.train_chunk(s, 0, size)
    with pytest.raises(ValueError, match="index - 1"):
        live.train_chunk(s, 2, size, first)
    end = live.train_chunk(s, 2, size)
    assert end.state.done
    with pytest.raises(ValueError, match="ended"):
        live.train_chunk(s, 3, size, end)


def test_activation_records_are_percentiles_of_the_probe_batch() -> None:
    s = spec("glorot_uniform", 25)
    chunk = live.train_chunk(s, 0, 25)
    probe = chunk.probe
    assert list(probe.columns) == list(live.ACTIVATION_COLUMNS[1:])
    assert (probe["p2"] <= probe["p16"]).all()
    assert (probe["p16"] <= probe["p50"]).all()
    assert (probe["p50"] <= probe["p84"]).all()
    assert (probe["p84"] <= probe["p98"]).all()
    assert probe["finite"].all()
    assert probe["saturated"].between(0, 1).all()
    assert chunk.grid is not None
    assert len(chunk.grid) == live.LIVE_GRID**2


def test_throttled_redraws_at_most_every_interval_and_at_the_end() -> None:
    s = spec("he_normal", 100)
    finish(live.start("k", [s]))  # cached: the rounds come back instantly
    flags = [redraw for _, redraw in live.throttled(live.advance(live.start("k", [s])), seconds=60)]
    assert flags == [True, False, False, True]


def test_activation_charts_show_at_most_six_layers_first_and_last_included() -> None:
    frame = pd.DataFrame({"layer": range(1, 31), "finite": True, "step": 0})
    shown = sorted(live.some_layers(frame)["layer"])
    assert len(shown) == 6
    assert shown[0] == 1
    assert shown[-1] == 30
    assert sorted(live.some_layers(frame.head(4))["layer"]) == [1, 2, 3, 4]


def test_x_domain_keeps_the_chart_and_fixes_the_step_axis() -> None:
    import altair as alt

    from explorer import charts

    frame = pd.DataFrame({"series": "a", "step": [0, 1, 2], "loss": [1.0, 0.5, 0.2]})
    chart = charts.training_curves(frame, y="loss", y_title="loss", log=True, title="Loss")
    fixed = live.with_x_domain(chart, 0, 300)
    spec = fixed.to_dict()
    assert len(spec["layer"]) == len(chart.layer) + 1
    assert spec["layer"][-1]["encoding"]["x"]["scale"]["domain"] == [0, 300]
    assert fixed.title == chart.title
    assert isinstance(fixed, alt.LayerChart)


def test_throttled_spaces_redraws_by_their_cost() -> None:
    """A redraw that takes 0.1 s is followed by none for 0.1 / share = 0.4 s."""
    fake = [types.SimpleNamespace(done=False) for _ in range(6)] + [
        types.SimpleNamespace(done=True)
    ]
    flags = []
    for _, redraw in live.throttled(iter(fake), seconds=0.0, draw_share=0.25):
        flags.append(redraw)
        if redraw:
            time.sleep(0.1)  # the caller's drawing
    # Rounds between redraws arrive at once here, so after each redraw the next rounds are
    # skipped until 0.4 s have passed: only the first and the last round redraw.
    assert flags == [True, False, False, False, False, False, True]
