"""Page 6 (Playground) trains live: Stop keeps the partial results, Continue finishes them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from apptest_helpers import run_page
from streamlit.testing.v1 import AppTest

from core import initializers
from explorer import live

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "6_Playground.py")
LABEL = {name: spec.label for name, spec in initializers.REGISTRY.items()}
QUERY = {"steps": "100", "inits": "he_normal,small_random", "seed": "3"}


def run(query: dict[str, str] | None = None) -> AppTest:
    return run_page(PAGE, query, timeout=120)


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def interrupt_after(rounds: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the next training stop after ``rounds`` rounds, as a Stop press does (a rerun)."""
    real = live.advance

    def advance(progress: live.LiveProgress) -> Iterator[live.LiveProgress]:
        for i, now in enumerate(real(progress)):
            yield now
            if i + 1 == rounds:
                st.stop()  # ends the script run where the rerun of a Stop press would

    monkeypatch.setattr(live, "advance", advance)


def test_training_shows_the_stop_button_and_ends_with_the_results() -> None:
    at = run(QUERY)
    at.button(key="pg6_train").click().run()
    assert not at.exception
    assert set(metrics(at)) == {LABEL["he_normal"], LABEL["small_random"]}
    progress = at.session_state["_pg6_results"]["progress"]
    assert progress.done
    assert progress.step == 100
    assert not [b for b in at.button if b.key == "pg6_continue"]
    # The live area was emptied: no "Training…" header, no Stop button left behind.
    assert "Training…" not in [h.value for h in at.header]
    assert not [b for b in at.button if b.key == "pg6_stop"]


def test_stop_keeps_partial_results_and_continue_finishes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = run(QUERY)
    interrupt_after(2, monkeypatch)
    at.button(key="pg6_train").click().run()
    assert not at.exception
    # What the Stop press's rerun shows: the partial results, kept in the session.
    monkeypatch.undo()
    at.run()
    assert not at.exception
    progress = at.session_state["_pg6_results"]["progress"]
    assert not progress.done
    assert progress.step == 50
    info = "\n".join(i.value for i in at.info)
    assert "Stopped at step 50 of 100" in info
    assert any("(stopped at step 50)" in h.value for h in at.header)
    partial = metrics(at)
    assert set(partial) == {LABEL["he_normal"], LABEL["small_random"]}
    # The activations view shows what was recorded so far (step 0, 25, 50).
    chosen = progress.runs[0].probe
    assert sorted(chosen["step"].unique()) == [0, 25, 50]
    # Other widgets do not retrain and keep the partial results.
    at.slider(key="pg6_target").set_value(0.9).run()
    assert at.session_state["_pg6_results"]["progress"].step == 50
    # Continue trains the remaining steps: the same numbers as an uninterrupted run.
    at.button(key="pg6_continue").click().run()
    assert not at.exception
    done = at.session_state["_pg6_results"]["progress"]
    assert done.done
    assert done.step == 100
    assert "Stopped at step" not in "\n".join(i.value for i in at.info)
    fresh = run(QUERY)
    fresh.button(key="pg6_train").click().run()
    fresh.slider(key="pg6_target").set_value(0.9).run()
    assert metrics(fresh) == metrics(at)  # stop + continue == one go
    for a, b in zip(done.runs, fresh.session_state["_pg6_results"]["progress"].runs, strict=True):
        assert a.history() == b.history()
