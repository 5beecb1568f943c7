"""explorer.warmup without a server: the switch, the headless client, no thread in bare mode."""

from __future__ import annotations

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from explorer import warmup


@pytest.mark.parametrize(
    ("value", "on"),
    [(None, True), ("1", True), ("yes", True), ("0", False), ("false", False), (" No ", False)],
)
def test_switch(monkeypatch: pytest.MonkeyPatch, value: str | None, on: bool) -> None:
    if value is None:
        monkeypatch.delenv(warmup.WARMUP_ENV, raising=False)
    else:
        monkeypatch.setenv(warmup.WARMUP_ENV, value)
    assert warmup.enabled() is on


def test_client_records_pages_exceptions_and_finished_runs() -> None:
    client = warmup.WarmupClient()
    assert client.client_context is None
    nav = ForwardMsg()
    for path, digest in (("", "h0"), ("Reference", "h8")):
        page = nav.navigation.app_pages.add()
        page.url_pathname, page.page_script_hash = path, digest
    client.write_forward_msg(nav)
    assert client.pages == {"": "h0", "Reference": "h8"}
    new = ForwardMsg()
    page = new.new_session.app_pages.add()
    page.url_pathname, page.page_script_hash = "Playground", "h6"
    client.write_forward_msg(new)
    assert client.pages == {"": "h0", "Reference": "h8", "Playground": "h6"}

    boom = ForwardMsg()
    boom.delta.new_element.exception.type = "ValueError"
    boom.delta.new_element.exception.message = "bad"
    client.write_forward_msg(boom)
    text = ForwardMsg()
    text.delta.new_element.markdown.body = "fine"
    client.write_forward_msg(text)
    assert client.exceptions == ["ValueError: bad"]

    assert not client.finished.is_set()
    done = ForwardMsg()
    done.script_finished = ForwardMsg.FINISHED_SUCCESSFULLY
    client.write_forward_msg(done)
    assert client.finished.is_set()
    assert client.statuses == [ForwardMsg.FINISHED_SUCCESSFULLY]


def test_no_thread_without_a_running_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(warmup.WARMUP_ENV, "1")
    warmup.start.clear()
    try:
        assert warmup.start() is None  # bare mode: no Streamlit runtime in this process
    finally:
        warmup.start.clear()


def test_no_thread_under_apptest(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest has a runtime whose event loop nobody runs: the warm-up must not start there."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv(warmup.WARMUP_ENV, "1")
    warmup.start.clear()

    def script() -> None:
        import streamlit as st

        from explorer import warmup

        st.write("started" if warmup.start() is not None else "not started")

    try:
        at = AppTest.from_function(script, default_timeout=30).run()
        assert not at.exception
        assert [m.value for m in at.markdown] == ["not started"]
    finally:
        warmup.start.clear()
