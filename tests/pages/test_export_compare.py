"""Exports (CSV/JSON/SVG/PNG) and the "compare initializers" picker (issue 7).

Download buttons get callables (deferred data, built only on click). AppTest does not evaluate
them, so a recording ``MediaFileManager`` is patched into AppTest's mock runtime: each button's
``deferred_file_id`` then finds the registered callable, its file name and MIME type, and the
test calls it the way Streamlit does on a click.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import altair as alt
import numpy as np
import pandas as pd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from explorer import export, state

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60
SMALL = {"network": "mlp", "activation": "tanh", "init": "glorot_normal", "depth": "6",
         "width": "64", "seed": "1"}  # fmt: skip
SMALL_CONFIG, _ = state.parse_query(SMALL)
PER_LAYER_COLUMNS = [
    "series", "layer", "activation_mean", "activation_std", "preactivation_std",
    "saturated_fraction", "dead_fraction", "grad_std_dL_dz", "weight_grad_std",
    "nonfinite_activations", "nonfinite_gradients",
]  # fmt: skip


# ---- the recording media manager ------------------------------------------------------------


class _RecordingManager(MediaFileManager):
    """AppTest's media manager, remembered so the test can reach deferred downloads."""

    instances: list[MediaFileManager] = []

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        _RecordingManager.instances.append(self)


@pytest.fixture
def recording() -> Iterator[None]:
    _RecordingManager.instances.clear()
    with mock.patch.object(app_test_module, "MediaFileManager", _RecordingManager):
        yield


def run(script: str, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / script), default_timeout=TIMEOUT)
    # The lessons' answers (charts, notices) are drawn revealed, as an instructor's link does.
    at.query_params.update({"reveal": "1"} | (SMALL if query is None else query))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def downloads(at: AppTest) -> dict[str, dict]:
    """Every download button of the last run, by file extension: file name, MIME type, data().

    Only buttons with deferred (callable) data are listed.
    """
    manager = _RecordingManager.instances[-1]
    out = {}
    for button in at.get("download_button"):
        file_id = button.proto.deferred_file_id
        if not file_id:
            continue
        entry = manager._deferred_callables[file_id]
        ext = entry["filename"].rsplit(".", 1)[-1]
        out[ext] = {"name": entry["filename"], "mime": entry["mimetype"], "data": entry["callable"]}
    return out


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


# ---- pure functions ----------------------------------------------------------------------------


def stats_like(series: list[str], depth: int) -> pd.DataFrame:
    rows = []
    for name in series:
        for layer in range(1, depth + 1):
            rows.append(
                {
                    "series": name, "layer": layer, "act_mean": 0.0, "act_std": 0.5**layer,
                    "preact_std": 1.0, "saturated_fraction": 0.1, "dead_fraction": 0.0,
                    "grad_std": 2.0**layer, "weight_grad_std": 1.0, "nonfinite_act": 0,
                    "nonfinite_grad": 0,
                }
            )  # fmt: skip
    return pd.DataFrame(rows)


def test_per_layer_table_renames_and_groups_by_series() -> None:
    frame = stats_like(["a", "b"], 3).sample(frac=1.0, random_state=0)
    table = export.per_layer_table(frame.sort_values("layer", kind="stable"))
    assert list(table.columns) == PER_LAYER_COLUMNS
    assert len(table) == 6
    assert (
        table["series"].tolist() == ["a"] * 3 + ["b"] * 3
        or table["series"].tolist() == ["b"] * 3 + ["a"] * 3
    )
    with pytest.raises(KeyError, match="layer"):
        export.per_layer_table(frame.drop(columns="layer"))


def test_csv_has_one_row_per_layer_per_series_and_defuses_formulas() -> None:
    frame = stats_like(["=HYPERLINK(1)", "He"], 4)
    rows = read_csv(export.csv_bytes(export.per_layer_table(frame)))
    assert len(rows) == 8
    assert list(rows[0]) == PER_LAYER_COLUMNS
    assert rows[0]["series"] == "'=HYPERLINK(1)"
    assert float(rows[3]["activation_std"]) == 0.5**4


def test_json_is_strict_and_holds_the_config() -> None:
    frame = stats_like(["x"], 3)
    frame.loc[1, "act_std"] = np.inf
    frame.loc[2, "act_std"] = np.nan
    payload = json.loads(
        export.json_bytes(export.per_layer_table(frame), "demo", SMALL_CONFIG, {"k": 2.0})
    )
    meta = payload["metadata"]
    assert meta["page"] == "demo"
    assert meta["config"]["depth"] == 6
    assert meta["config"]["width"] == 64
    assert meta["config"]["init"] == "glorot_normal"
    assert meta["config"]["init_params"] == {"gain": 1.0}
    assert meta["share_query"] == SMALL_CONFIG.to_query()
    assert meta["k"] == 2.0
    assert payload["columns"] == PER_LAYER_COLUMNS
    stds = [row["activation_std"] for row in payload["rows"]]
    assert stds == [0.5, "inf", None]


def test_file_name_is_page_and_config_slug() -> None:
    assert export.file_name("home", SMALL_CONFIG, "csv") == (
        "home_mlp_tanh_glorot_normal_gain1_d6_w64_s1.csv"
    )


def test_chart_renders_offline_to_svg_and_png() -> None:
    frame = pd.DataFrame({"layer": [1, 2, 3], "v": [1.0, 0.5, 0.25]})
    chart = alt.Chart(frame).mark_line().encode(x="layer:Q", y="v:Q").properties(title="demo")
    svg = export.chart_image(chart, "svg").decode("utf-8")
    assert svg.lstrip().startswith("<svg")
    assert "demo" in svg
    png = export.chart_image(chart, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # IHDR width: the fixed export width times the PNG scale, plus axis room.
    width = int.from_bytes(png[16:20], "big")
    assert width >= export.IMAGE_WIDTH * export.PNG_SCALE
    with pytest.raises(ValueError, match="unknown image format"):
        export.chart_image(chart, "gif")  # type: ignore[arg-type]


def test_merge_swaps_defaults_and_keeps_additions() -> None:
    options = state.compare_choices("mlp")
    merged = state.merge_compare(
        ["glorot_normal", "orthogonal"], ["glorot_normal"], ["he_normal"], options
    )
    assert merged == ["he_normal", "orthogonal"]
    too_many = state.merge_compare(options, [], [], options)
    assert len(too_many) == state.MAX_COMPARED
    assert "identity" not in state.merge_compare(["identity"], [], [], state.compare_choices("cnn"))


# ---- AppTest: the pages' downloads ---------------------------------------------------------


@pytest.mark.usefixtures("recording")
def test_home_downloads_have_expected_columns_rows_and_names() -> None:
    at = run("Home.py")
    files = downloads(at)
    slug = SMALL_CONFIG.slug()
    assert {f["name"] for f in files.values()} == {
        f"home_scales_{slug}.{ext}" for ext in ("csv", "json", "svg", "png")
    }
    assert files["csv"]["mime"] == "text/csv"
    assert files["png"]["mime"] == "image/png"
    rows = read_csv(files["csv"]["data"]())
    assert list(rows[0]) == PER_LAYER_COLUMNS
    # Five multiples of the critical scale plus the sidebar's initializer, 6 layers each.
    series = list(dict.fromkeys(r["series"] for r in rows))
    assert series == ["×0.5", "×0.9", "×1", "×1.1", "×2", "Glorot (Xavier) normal"]
    assert len(rows) == 6 * 6
    assert [int(r["layer"]) for r in rows[:6]] == [1, 2, 3, 4, 5, 6]
    payload = json.loads(files["json"]["data"]())
    assert payload["metadata"]["config"]["seed"] == 1
    assert len(payload["rows"]) == 36
    assert files["svg"]["data"]().lstrip().startswith(b"<svg")


@pytest.mark.usefixtures("recording")
@pytest.mark.parametrize(
    ("script", "slug", "first_series"),
    [
        ("pages/2_Small_random_weights.py", "small_random", "Small random N(0, 0.01²)"),
        ("pages/3_Large_random_weights.py", "large_random", "Large random N(0, 1)"),
    ],
)
def test_per_layer_page_csv_and_json(script: str, slug: str, first_series: str) -> None:
    at = run(script)
    files = downloads(at)
    assert files["csv"]["name"] == f"{slug}_{SMALL_CONFIG.slug()}.csv"
    rows = read_csv(files["csv"]["data"]())
    assert rows[0]["series"] == first_series
    assert {"series", "layer", "activation_std", "grad_std_dL_dz"} <= set(rows[0])
    by_series: dict[str, int] = {}
    for row in rows:
        by_series[row["series"]] = by_series.get(row["series"], 0) + 1
    # Every measured series has one row per layer.
    assert by_series[first_series] == 6
    assert by_series["Glorot (Xavier) normal"] == 6
    payload = json.loads(files["json"]["data"]())
    assert len(payload["rows"]) == len(rows)
    assert payload["metadata"]["compared"] == ["glorot_normal"]


@pytest.mark.usefixtures("recording")
@pytest.mark.parametrize(
    ("script", "slugs"),
    [
        ("pages/1_Zero_and_constant.py", ["zero_constant"]),
        ("pages/4_Choosing_the_scale.py", ["choosing_scale"]),
        ("pages/7_Edge_of_chaos.py", ["edge_of_chaos"]),
    ],
)
def test_other_pages_offer_named_exports(script: str, slugs: list[str]) -> None:
    at = run(script)
    files = downloads(at)
    names = {f["name"] for f in files.values()}
    for slug in slugs:
        assert f"{slug}_{SMALL_CONFIG.slug()}.csv" in names
        assert f"{slug}_{SMALL_CONFIG.slug()}.png" in names
    rows = read_csv(files["csv"]["data"]())
    assert rows
    assert {"series", "layer"} <= set(rows[0])


# ---- AppTest: compare -------------------------------------------------------------------------


def test_home_compare_adds_series_to_chart_table_and_export(recording: None) -> None:
    at = run("Home.py")
    picker = at.multiselect(key="home_compare")
    assert picker.value == ["glorot_normal"]
    assert len(at.dataframe[0].value) == 6
    picker.set_value(["glorot_normal", "he_normal", "orthogonal"]).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 8
    assert "He (Kaiming) normal" in set(table.iloc[:, 0])
    rows = read_csv(downloads(at)["csv"]["data"]())
    assert len(rows) == 8 * 6
    # The sidebar initializer swaps in, the visitor's additions stay.
    at.sidebar.selectbox(key=init_key(at)).set_value("lecun_normal").run()
    assert at.multiselect(key="home_compare").value == ["lecun_normal", "he_normal", "orthogonal"]
    # The headline metric stays about the sidebar's initializer whatever is compared.
    mine = at.metric[0].value
    at.multiselect(key="home_compare").set_value([]).run()
    assert at.metric[0].value == mine
    assert len(at.dataframe[0].value) == 5


def init_key(at: AppTest) -> str:
    keys = [w.key for w in at.sidebar.selectbox if w.key and "init" in w.key]
    assert keys, [w.key for w in at.sidebar.selectbox]
    return keys[0]


def test_page2_compare_changes_the_series_shown(recording: None) -> None:
    at = run("pages/2_Small_random_weights.py")
    picker = at.multiselect(key="p2_compare")
    assert picker.value == ["glorot_normal"]
    assert "small_random" not in picker.options
    picker.set_value(["he_normal", "lecun_normal"]).run()
    assert not at.exception
    text = "\n".join(c.value for c in at.caption).lower()
    assert "with he (kaiming) normal layer 6 is at" in text
    assert "with lecun normal layer 6 is at" in text
    series = {r["series"] for r in read_csv(downloads(at)["csv"]["data"]())}
    assert {"Small random N(0, 0.01²)", "He (Kaiming) normal", "LeCun normal"} <= series
    assert "Glorot (Xavier) normal" not in series
    # Nothing chosen: the page falls back to its usual comparison and says so.
    at.multiselect(key="p2_compare").set_value([]).run()
    text = "\n".join(c.value for c in at.caption)
    assert "Nothing chosen" in text
    assert "with glorot (xavier) normal layer 6 is at" in text.lower()


def test_page3_compare_changes_the_series_shown(recording: None) -> None:
    at = run("pages/3_Large_random_weights.py")
    before = at.metric[0].value
    at.multiselect(key="p3_compare").set_value(["glorot_normal", "he_normal", "zeros"]).run()
    assert not at.exception
    rows = read_csv(downloads(at)["csv"]["data"]())
    assert len(rows) == 4 * 6
    assert at.metric[0].value == before  # the N(0, 1) headline does not depend on the choice
    assert math.isfinite(float(rows[0]["activation_std"]))


@pytest.mark.usefixtures("recording")
def test_page5_cnn_tab_exports_its_layers() -> None:
    query = {**SMALL, "network": "cnn", "init": "he_normal", "width": "8", "depth": "4"}
    config, _ = state.parse_query(query)
    at = run("pages/5_Network_types.py", query)
    files = downloads(at)
    assert files["csv"]["name"] == f"network_types_cnn_{config.slug()}.csv"
    rows = read_csv(files["csv"]["data"]())
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["series"]] = counts.get(row["series"], 0) + 1
    assert set(counts.values()) == {4}


def test_compare_choice_travels_in_the_share_link() -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "2_Small_random_weights.py"), default_timeout=60)
    at.query_params.update({"activation": "relu", "compare": "he_normal,orthogonal,bogus"})
    at.run()
    assert not at.exception
    chosen = at.multiselect(key="p2_compare").value
    assert chosen == ["he_normal", "orthogonal"]  # the unknown name is skipped
    link = at.query_params["compare"]
    assert (link if isinstance(link, str) else link[-1]) == "he_normal,orthogonal"
    # A plain visit has no compare parameter: the page's default comparison needs none.
    plain = AppTest.from_file(str(ROOT / "pages" / "2_Small_random_weights.py"), default_timeout=60)
    plain.run()
    assert "compare" not in plain.query_params
