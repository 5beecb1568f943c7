"""Unit tests of explorer.export (called directly, no AppTest)."""

import csv
import io
import json
import math

import altair as alt
import numpy as np
import pandas as pd
import pytest
import streamlit.delta_generator as dg

from explorer import experiments as E
from explorer import export, state
from explorer.state import Net

CONFIG = state.Config(
    network="mlp",
    activation="tanh",
    init="normal",
    init_params=(("std", 0.5),),
    depth=5,
    width=32,
    seed=3,
)


def read_csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


# ---------------------------------------------------------------- safe_csv / csv_bytes


@pytest.mark.parametrize(
    "cell",
    ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "\nx", "  =cmd", " \t@x", '=HYPERLINK("x")'],
)
@pytest.mark.parametrize("fn", [export.safe_csv, export.csv_bytes])
def test_safe_csv_escapes_formula_cells(cell, fn):
    rows = read_csv_rows(fn(pd.DataFrame({"text": [cell, "plain"]})))
    assert rows[0] == ["text"]
    assert rows[1] == ["'" + cell]
    assert rows[2] == ["plain"]


def test_safe_csv_headers_escaped_and_quoted():
    data = export.safe_csv(pd.DataFrame({"=evil": ["a"], "ok": ["b"]}))
    assert data.decode("utf-8").splitlines()[0] == '"\'=evil","ok"'


def test_safe_csv_numbers_stay_numbers():
    frame = pd.DataFrame({"x": [-1.5, 2.0], "n": [-3, 4], "flag": [True, False], "s": ["a", "b"]})
    text = export.safe_csv(frame).decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == '"x","n","flag","s"'
    assert lines[1] == '-1.5,-3,True,"a"'
    assert lines[2] == '2.0,4,False,"b"'
    assert text.endswith("\n")
    assert "\r" not in text


def test_safe_csv_does_not_modify_input_and_handles_empty():
    frame = pd.DataFrame({"s": ["=x"]})
    export.safe_csv(frame)
    assert frame["s"].iloc[0] == "=x"
    assert export.safe_csv(pd.DataFrame({"a": []})).decode() == '"a"\n'


def test_safe_csv_nonfinite_numbers():
    text = export.safe_csv(pd.DataFrame({"v": [np.inf, np.nan, 1.0]})).decode()
    assert text.splitlines() == ['"v"', "inf", '""', "1.0"]


def test_safe_csv_unicode_is_utf8():
    data = export.safe_csv(pd.DataFrame({"σ": ["χ₁ ≥ 1"]}))
    assert data.decode("utf-8").splitlines()[1] == '"χ₁ ≥ 1"'


# ---------------------------------------------------------------- json_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.5, 1.5), (0, 0.0), (np.float32(2.0), 2.0), (math.inf, "inf"), (-math.inf, "-inf")],
)
def test_json_number(value, expected):
    got = export.json_number(value)
    assert got == expected
    assert type(got) is type(expected)


def test_json_number_nan():
    assert export.json_number(math.nan) is None
    assert export.json_number(np.nan) is None


# ---------------------------------------------------------------- file_name / per_layer_table


def test_file_name():
    assert export.file_name("small_random", CONFIG, "csv") == f"small_random_{CONFIG.slug()}.csv"
    assert export.file_name("x", CONFIG, "png").endswith(".png")
    assert export.file_name("x", CONFIG, "png") == "x_mlp_tanh_normal_std0p5_d5_w32_s3.png"


def test_per_layer_table_renames_and_orders():
    stats = E.layer_stats(Net("mlp", "tanh", 3, 8, 0), "he_normal", (), batch=32)
    frame = pd.concat([E.stats_frame(stats, "B"), E.stats_frame(stats, "A")], ignore_index=True)
    table = export.per_layer_table(frame)
    assert list(table.columns) == [export.COLUMN_NAMES[c] for c in E.STATS_COLUMNS]
    assert table["series"].tolist() == ["B"] * 3 + ["A"] * 3  # order of appearance
    assert table.index.tolist() == list(range(6))


def test_per_layer_table_groups_interleaved_series_and_keeps_layer_order():
    frame = pd.DataFrame(
        {
            "act_std": [1.0, 2.0, 3.0, 4.0, 5.0],
            "layer": [1, 1, "output", 2, 2],
            "series": ["a", "b", "a", "b", "a"],
        }
    )
    table = export.per_layer_table(frame)
    assert list(table.columns) == ["series", "layer", "activation_std"]
    assert table["series"].tolist() == ["a", "a", "a", "b", "b"]
    assert table["layer"].tolist() == [1, "output", 2, 1, 2]
    assert table["activation_std"].tolist() == [1.0, 3.0, 5.0, 2.0, 4.0]


def test_per_layer_table_columns_subset_and_unknown_names():
    frame = pd.DataFrame(
        {"series": ["s"], "layer": [1], "grad_std": [0.5], "act_std": [2.0], "custom": [7]}
    )
    table = export.per_layer_table(frame, columns=["custom", "grad_std"])
    assert list(table.columns) == ["series", "layer", "custom", "grad_std_dL_dz"]
    assert frame.columns.tolist() == ["series", "layer", "grad_std", "act_std", "custom"]


@pytest.mark.parametrize("drop", ["series", "layer"])
def test_per_layer_table_requires_series_and_layer(drop):
    frame = pd.DataFrame({"series": ["s"], "layer": [1], "act_std": [1.0]}).drop(columns=drop)
    with pytest.raises(KeyError, match=drop):
        export.per_layer_table(frame)


def test_per_layer_table_empty():
    table = export.per_layer_table(pd.DataFrame(columns=list(E.STATS_COLUMNS)))
    assert table.empty
    assert "activation_std" in table.columns


# ---------------------------------------------------------------- metadata / json_bytes


def test_metadata():
    meta = export.metadata("page", CONFIG, {"clip": np.float64(1.0), "lim": math.inf})
    assert meta["page"] == "page"
    assert meta["config"] == {
        "network": "mlp",
        "activation": "tanh",
        "init": "normal",
        "init_label": CONFIG.init_label,
        "init_params": {"std": 0.5},
        "depth": 5,
        "width": 32,
        "seed": 3,
    }
    assert meta["share_query"] == CONFIG.to_query()
    assert meta["clip"] == 1.0
    assert type(meta["clip"]) is float
    assert meta["lim"] == "inf"
    assert set(export.metadata("p", CONFIG)) == {"page", "config", "share_query"}


def test_json_bytes_strict_json_with_nonfinite():
    table = pd.DataFrame(
        {
            "series": ["a", "a", "a"],
            "layer": [1, 2, 3],
            "activation_std": [1.0, np.inf, np.nan],
            "n": np.array([1, 2, 3], dtype=np.int64),
            "flag": [True, False, True],
        }
    )
    data = export.json_bytes(table, "pg", CONFIG, {"extra": [1, np.nan]})
    text = data.decode("utf-8")
    assert "NaN" not in text
    assert "Infinity" not in text
    payload = json.loads(data)
    assert list(payload) == ["metadata", "columns", "rows"]
    assert payload["columns"] == ["series", "layer", "activation_std", "n", "flag"]
    assert payload["rows"][0] == {
        "series": "a",
        "layer": 1,
        "activation_std": 1.0,
        "n": 1,
        "flag": True,
    }
    assert payload["rows"][1]["activation_std"] == "inf"
    assert payload["rows"][2]["activation_std"] is None
    assert payload["metadata"]["extra"] == [1, None]
    assert payload["metadata"]["page"] == "pg"


def test_json_bytes_empty_table():
    payload = json.loads(export.json_bytes(pd.DataFrame(columns=["series", "layer"]), "p", CONFIG))
    assert payload["rows"] == []
    assert payload["columns"] == ["series", "layer"]


def test_json_bytes_of_overflowing_probe():
    stats = E.layer_stats(Net("mlp", "linear", 170, 64, 0), "normal", (("std", 10.0),), batch=32)
    table = export.per_layer_table(E.stats_frame(stats, "big"))
    payload = json.loads(export.json_bytes(table, "p", CONFIG))
    last = payload["rows"][-1]
    assert last["activation_std"] == "inf"
    assert last["layer"] == 170


# ---------------------------------------------------------------- charts


@pytest.fixture(scope="module")
def chart():
    frame = pd.DataFrame({"a": [1, 2, 3], "b": [3.0, 1.0, 2.0]})
    return alt.Chart(frame).mark_line().encode(x="a", y="b")


def test_chart_spec_width(chart):
    assert export.chart_spec(chart)["width"] == export.IMAGE_WIDTH == 640
    assert export.chart_spec(chart, width=300)["width"] == 300
    assert "width" not in export.chart_spec(chart, width=None)
    layered = alt.layer(chart, chart)
    assert export.chart_spec(layered, width=200)["width"] == 200
    assert export.chart_spec(chart)["mark"]["type"] == "line"


def test_chart_image_svg_and_png(chart):
    svg = export.chart_image(chart, "svg")
    assert svg.decode("utf-8").lstrip().startswith("<svg")
    png = export.chart_image(chart, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # PNG width in the IHDR chunk: at least IMAGE_WIDTH * PNG_SCALE pixels
    width = int.from_bytes(png[16:20], "big")
    assert width >= export.IMAGE_WIDTH * export.PNG_SCALE


def test_chart_image_unknown_format(chart):
    with pytest.raises(ValueError, match="unknown image format 'gif'"):
        export.chart_image(chart, "gif")


# ---------------------------------------------------------------- export_row


@pytest.fixture
def recorded_buttons(monkeypatch):
    calls = []

    def record(self, label, data, **kwargs):
        calls.append({"label": label, "data": data, **kwargs})

    monkeypatch.setattr(dg.DeltaGenerator, "download_button", record)
    return calls


def test_export_row_serializes_nothing_until_clicked(monkeypatch, recorded_buttons, chart):
    def boom(*args, **kwargs):
        raise AssertionError("serialized on a normal rerun")

    monkeypatch.setattr(export, "csv_bytes", boom)
    monkeypatch.setattr(export, "json_bytes", boom)
    monkeypatch.setattr(export, "chart_image", boom)
    table = pd.DataFrame({"series": ["a"], "layer": [1]})
    export.export_row("pg", CONFIG, table=table, chart=chart, key="k")
    assert [c["key"] for c in recorded_buttons] == ["k_csv", "k_json", "k_svg", "k_png"]
    assert [c["file_name"] for c in recorded_buttons] == [
        export.file_name("pg", CONFIG, ext) for ext in ("csv", "json", "svg", "png")
    ]
    assert [c["mime"] for c in recorded_buttons] == [
        "text/csv",
        "application/json",
        "image/svg+xml",
        "image/png",
    ]
    assert all(callable(c["data"]) for c in recorded_buttons)
    assert all(c["on_click"] == "ignore" for c in recorded_buttons)


def test_export_row_callables_produce_the_files(recorded_buttons, chart):
    table = pd.DataFrame({"series": ["=a"], "layer": [1]})
    export.export_row("pg", CONFIG, table=table, chart=chart, key="k", extra={"x": 1})
    by_key = {c["key"]: c["data"] for c in recorded_buttons}
    assert by_key["k_csv"]() == export.csv_bytes(table)
    assert json.loads(by_key["k_json"]())["metadata"]["x"] == 1
    assert by_key["k_svg"]().startswith(b"<svg")
    assert by_key["k_png"]()[:4] == b"\x89PNG"


def test_export_row_without_table_or_chart(recorded_buttons, chart):
    export.export_row("pg", CONFIG, table=None, chart=chart, key="c")
    assert [c["key"] for c in recorded_buttons] == ["c_svg", "c_png"]
    recorded_buttons.clear()
    export.export_row(
        "pg", CONFIG, table=pd.DataFrame({"series": [], "layer": []}), chart=None, key="t"
    )
    assert [c["key"] for c in recorded_buttons] == ["t_csv", "t_json"]
    recorded_buttons.clear()
    export.export_row("pg", CONFIG, table=None, chart=None, key="n")
    assert recorded_buttons == []
