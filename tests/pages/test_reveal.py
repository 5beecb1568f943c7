"""Predict-then-reveal: each lesson's answer waits for the prediction, or for ``reveal=1``."""

from __future__ import annotations

import pytest
from apptest_helpers import captions, run_page, script, share_link


def metric_present(label_start: str):  # noqa: ANN201
    return lambda at: any(m.label.startswith(label_start) for m in at.metric)


def notice_present(fragment: str):  # noqa: ANN201
    return lambda at: fragment in captions(at)


#: page script, prediction key, a choice, and the page's first answer element.
PAGES = {
    "Home.py": (
        "home_predict",
        "×1",
        notice_present("at 0.5 × the small-signal scale the activations of layer 10 are"),
    ),
    "1_Zero_and_constant.py": (
        "p1_predict",
        "exactly zero",
        metric_present("Largest hidden-weight gradient, step 0"),
    ),
    "2_Small_random_weights.py": (
        "p2_predict",
        "less than 10⁻⁵",
        metric_present("Activations: layer 10 / layer 1"),
    ),
    "3_Large_random_weights.py": (
        "p3_predict",
        "they shrink towards 0",
        metric_present("Saturated units, layer 10"),
    ),
    "4_Choosing_the_scale.py": ("p4_predict", "k = 2 (He)", metric_present("Var(z), layer 10")),
}


@pytest.mark.parametrize("name", PAGES)
def test_answer_waits_for_prediction_and_reveal(name: str) -> None:
    key, choice, answer_shown = PAGES[name]
    at = run_page(script(name), revealed=False)
    radio = at.radio(key=f"{key}_prediction")
    assert radio.label == "Your prediction"
    assert radio.value is None
    assert not answer_shown(at)
    assert at.toggle(key=f"{key}_reveal").disabled  # no reveal before a prediction
    at.radio(key=f"{key}_prediction").set_value(choice).run()
    assert not at.exception
    assert not answer_shown(at)  # a prediction alone does not reveal
    at.toggle(key=f"{key}_reveal").set_value(True).run()
    assert not at.exception
    assert answer_shown(at)
    assert any(f"You predicted “{choice}”" in e.value for e in [*at.success, *at.warning])
    assert "reveal" not in at.query_params  # the student's reveal stays out of the link


@pytest.mark.parametrize("name", PAGES)
def test_reveal_1_opens_the_answer_and_stays_in_the_link(name: str) -> None:
    key, _, answer_shown = PAGES[name]
    at = run_page(script(name), {"reveal": "1"})
    assert answer_shown(at)
    assert at.radio(key=f"{key}_prediction").value is None
    assert at.query_params["reveal"] == "1"
    assert "reveal=1" in share_link(at)
    at.run()  # a rerun keeps it
    assert answer_shown(at)
    assert "reveal=1" in share_link(at)


def test_bad_reveal_value_warns_and_stays_hidden() -> None:
    at = run_page(script("Home.py"), {"reveal": "maybe"}, revealed=False)
    assert any("`reveal`" in w.value for w in at.warning)
    assert not PAGES["Home.py"][2](at)
    assert "reveal" not in at.query_params


@pytest.mark.parametrize(
    ("init", "first", "second"),
    [("zeros", "W = 0", "W = 0.1"), ("constant", "W = 0.1", "W = 0"), (None, "W = 0", "W = 0.1")],
)
@pytest.mark.parametrize("revealed", [False, True])
def test_page_1_opens_on_the_lesson_of_the_link(
    init: str | None, first: str, second: str, revealed: bool
) -> None:
    at = run_page(
        script("1_Zero_and_constant.py"), {"init": init} if init else None, revealed=revealed
    )
    headers = [h.value for h in at.header]
    assert headers[0].startswith(f"{first}:"), headers
    assert headers[1].startswith(f"{second}:"), headers


@pytest.mark.parametrize(
    ("init", "question", "answer"),
    [
        ("zeros", "W = 0 network be at step 0", "exactly zero"),
        ("constant", "W = 0.1 network be after its first update", "identical and non-zero"),
    ],
)
def test_page_1_question_and_computed_answer_follow_the_lesson(
    init: str, question: str, answer: str
) -> None:
    at = run_page(script("1_Zero_and_constant.py"), {"init": init}, revealed=False)
    assert any(question in m.value for m in at.markdown)
    at.radio(key="p1_predict_prediction").set_value(answer).run()
    at.toggle(key="p1_predict_reveal").set_value(True).run()
    assert not at.exception
    assert any(f"You predicted “{answer}” — right." in s.value for s in at.success)


@pytest.mark.parametrize(
    ("name", "hidden_notice", "shown_before"),
    [
        # Page 2: the histograms and per-layer charts quote layer L's std (the answer).
        ("2_Small_random_weights.py", "around", "The histograms"),
        # Page 3: sections 1, 2 and 4 quote the saturated share or the growth (the answer).
        ("3_Large_random_weights.py", "saturated", "Sections 1 and 2"),
    ],
)
def test_charts_that_give_the_answer_away_wait_for_the_prediction(
    name: str, hidden_notice: str, shown_before: str
) -> None:
    closed = run_page(script(name), revealed=False)
    assert not closed.exception
    assert f"{shown_before}" in captions(closed)
    assert "shown after your prediction" in captions(closed)
    opened = run_page(script(name))
    assert not opened.exception
    # Revealed: the hidden charts are drawn (and their notices quote the numbers).
    assert len(opened.get("vega_lite_chart")) > len(closed.get("vega_lite_chart"))
    assert hidden_notice in captions(opened)
    assert "shown after your prediction" not in captions(opened)


#: Elements that would give a page's answer away before the reveal: a table column, or a chart.
GIVEAWAYS = {
    # The five scales' end-to-start ratios answer Home's question.
    "Home.py": lambda at: any("σ·√fan_in" in df.value.columns for df in at.dataframe),
    # The activation table's k and edge columns, and the k sweep, answer page 4's.
    "4_Choosing_the_scale.py": lambda at: (
        any("edge k (χ₁ = 1)" in df.value.columns for df in at.dataframe)
        or bool(at.get("vega_lite_chart"))
    ),
}


@pytest.mark.parametrize("name", GIVEAWAYS)
def test_no_table_or_chart_gives_the_answer_away_before_the_reveal(name: str) -> None:
    hidden = run_page(script(name), revealed=False)
    assert not GIVEAWAYS[name](hidden)
    shown = run_page(script(name))  # the instructor's link: reveal=1
    assert GIVEAWAYS[name](shown)
