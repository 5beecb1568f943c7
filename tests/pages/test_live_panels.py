"""Pages 1-3: the "watch it train" panels train the page's own runs live, with Stop/Continue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from apptest_helpers import run_page
from streamlit.testing.v1 import AppTest

from explorer import live
from explorer.lessons import large_weights, symmetry, vanishing

PAGES = Path(__file__).resolve().parents[2] / "pages"
PANELS = {
    "p1": "1_Zero_and_constant.py",
    "p2": "2_Small_random_weights.py",
    "p3": "3_Large_random_weights.py",
}


def run(prefix: str) -> AppTest:
    return run_page(str(PAGES / PANELS[prefix]), {"seed": "5"}, timeout=180)


def charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


def loss_charts(at: AppTest) -> int:
    """Charts whose y axis is a loss (the live panel's, a result section's)."""
    return sum(
        '"title": "training loss' in c.proto.spec or '"title": "loss' in c.proto.spec
        for c in at.get("vega_lite_chart")
    )


@pytest.mark.parametrize("prefix", sorted(PANELS))
def test_panel_trains_the_pages_runs_and_keeps_them(prefix: str) -> None:
    at = run(prefix)
    assert not at.exception
    before = charts(at)
    losses_before = loss_charts(at)
    assert f"_{prefix}_live" not in at.session_state
    at.button(key=f"{prefix}_live_train").click().run()
    assert not at.exception
    progress = at.session_state[f"_{prefix}_live"]
    assert progress.done
    # Loss, accuracy and one gradient-norm heatmap per run appear in the panel. The loss is
    # shown once: pages 2 and 3 (which train only when asked) add no second loss chart below.
    added = 2 + len(progress.runs)
    assert charts(at) == before + added
    assert loss_charts(at) == losses_before + 1
    assert any(c.value.startswith("Trained ") for c in at.caption)
    # The live runs are the page's own: same histories as its cached experiment.
    if prefix == "p1":
        specs = progress.runs
        static = symmetry.symmetry_experiment(
            specs[2].spec.net.activation,
            dict(specs[1].spec.init_params)["value"],
            specs[2].spec.init,
            specs[2].spec.init_params,
            specs[0].spec.net.depth,
            specs[0].spec.net.width,
            specs[0].spec.steps,
            5,
        )
        for run_, static_run in zip(progress.runs, static.runs, strict=True):
            assert list(run_.history().loss) == list(static_run.curve["loss"])
    elif prefix == "p3":
        for run_ in progress.runs:
            s = run_.spec
            demo = large_weights.train_demo(
                s.net, s.init, s.init_params, lr=s.lr, clip=s.clip or None
            )
            assert run_.history() == demo
    else:
        assert all(r.spec.steps == vanishing.STALL_STEPS for r in progress.runs)
    # A rerun (another widget) shows the same curves without training again.
    at.run()
    assert charts(at) == before + added
    assert at.session_state[f"_{prefix}_live"].done


def test_stop_keeps_the_partial_curves_and_continue_finishes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = run("p2")
    before = charts(at)
    real = live.advance

    def advance(progress: live.LiveProgress) -> Iterator[live.LiveProgress]:
        for now in real(progress):
            yield now
            st.stop()  # interrupted after the first round, as by a Stop press

    monkeypatch.setattr(live, "advance", advance)
    at.button(key="p2_live_train").click().run()
    monkeypatch.undo()
    at.run()
    assert not at.exception
    progress = at.session_state["_p2_live"]
    assert not progress.done
    assert progress.step == live.chunk_size(vanishing.STALL_STEPS)
    assert any(f"Stopped at step {progress.step} of 200" in c.value for c in at.caption)
    # The partial curves stay shown: loss, accuracy and one heatmap per run.
    assert charts(at) == before + 2 + len(progress.runs)
    at.button(key="p2_live_continue").click().run()
    assert not at.exception
    done = at.session_state["_p2_live"]
    assert done.done
    assert not [b for b in at.button if b.key == "p2_live_continue"]
    fresh = live.start("x", [r.spec for r in done.runs])
    for now in live.advance(fresh):
        fresh = now
    for a, b in zip(done.runs, fresh.runs, strict=True):
        assert a.history() == b.history()
