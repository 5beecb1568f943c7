"""Fixtures shared by the AppTest page tests."""

from __future__ import annotations

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[bytes, str | None]]:
    """Capture the bytes behind every download button: URL or deferred id -> (data, file name)."""
    captured: dict[str, tuple[bytes, str | None]] = {}
    original = MediaFileManager.add

    def spy(self, path_or_data, mimetype, coordinates, file_name=None, **kwargs):  # noqa: ANN001, ANN202
        url = original(self, path_or_data, mimetype, coordinates, file_name=file_name, **kwargs)
        captured[url] = (path_or_data, file_name)
        return url

    original_deferred = MediaFileManager.add_deferred

    def spy_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):  # noqa: ANN001, ANN202
        # Built only on click in the app; the test builds it here to read it.
        file_id = original_deferred(
            self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs
        )
        captured[file_id] = (data_callable(), file_name)
        return file_id

    monkeypatch.setattr(MediaFileManager, "add", spy)
    monkeypatch.setattr(MediaFileManager, "add_deferred", spy_deferred)
    return captured
