"""Page 8 (Reference): catalogue, fan/gain calculator, safe CSV downloads."""

from __future__ import annotations

import csv
import io
import math

import pandas as pd
import pytest
from apptest_helpers import download_id, metrics, runner
from streamlit.testing.v1 import AppTest

from core import initializers
from explorer import export
from explorer.lessons import reference

run = runner("8_Reference.py")


def download(at: AppTest, captured: dict, key: str) -> tuple[bytes, str | None]:
    button = next(b for b in at.download_button if b.key == key)
    return captured[download_id(button)]


def read_csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data))


# ---- the page --------------------------------------------------------------------------------


def test_first_visit_shows_fans_of_the_users_layer_and_a_chart() -> None:
    at = run()
    shown = metrics(at)
    # Default config: a 256-wide MLP, Glorot normal: sigma = sqrt(2 / 512).
    fans = (shown["fan_in"], shown["fan_out"], shown["Receptive field"])
    assert fans == ("256", "256", "1")
    assert shown["σ of Glorot (Xavier) normal"] == "0.0625"
    assert len(at.dataframe) == 3  # catalogue, calculator, gains
    assert len(at.latex) >= len(initializers.REGISTRY)  # every formula (plus the panel)
    assert at.query_params["shape"] == ["256,256"] or at.query_params["shape"] == "256,256"
    assert any("What to notice" in c.value for c in at.caption)


def test_conv_shape_counts_the_receptive_field() -> None:
    at = run()
    at.text_input(key="ref_shape").set_value("3, 3, 64, 128").run()
    shown = metrics(at)
    assert (shown["fan_in"], shown["fan_out"], shown["Receptive field"]) == ("576", "1,152", "9")
    calc = at.dataframe[1].value.set_index("key")
    assert calc.loc["he_normal", "std"] == pytest.approx(math.sqrt(2 / 576), rel=1e-12)
    assert calc.loc["glorot_uniform", "uniform bound"] == pytest.approx(
        math.sqrt(6 / (576 + 1152)), rel=1e-12
    )
    assert calc.loc["identity", "note"] == "needs a 2-D (dense) weight"
    assert at.query_params["shape"] in (["3,3,64,128"], "3,3,64,128")


@pytest.mark.parametrize(
    "hostile",
    ["__import__('os').system('ls')", "=cmd|' /C calc'!A0", "1e9,1e9", "5", "0,3", "1,2,3,4,5,6"],
)
def test_hostile_shape_in_the_url_warns_and_falls_back(hostile: str) -> None:
    at = run({"shape": hostile})
    text = "\n".join(w.value for w in at.warning)
    assert "`shape`" in text
    assert metrics(at)["fan_in"] == "256"  # default shape of the default network


def test_url_shape_and_config_drive_the_calculator() -> None:
    at = run({"network": "cnn", "width": "32", "init": "he_normal", "shape": "3,3,16,32"})
    shown = metrics(at)
    assert shown["fan_in"] == "144"
    assert shown["σ of He (Kaiming) normal"] == f"{math.sqrt(2 / 144):.3g}"
    # Without a shape in the URL, a CNN starts with its own 3x3 kernel.
    at = run({"network": "cnn", "width": "32"})
    assert metrics(at)["fan_in"] == str(9 * 32)


def test_changing_the_initializer_changes_the_headline() -> None:
    at = run()
    before = metrics(at)
    at.sidebar.selectbox(key="ctl_init").set_value("he_uniform").run()
    after = metrics(at)
    assert "σ of Glorot (Xavier) normal" in before
    assert after["σ of He (Kaiming) uniform"] == f"{math.sqrt(2 / 256):.3g}"


def test_leaky_slope_changes_the_gain_table() -> None:
    at = run()
    at.number_input(key="ref_slope").set_value(0.2).run()
    gains = at.dataframe[2].value.set_index("nonlinearity")
    assert gains.loc["leaky_relu", "calculate_gain"] == pytest.approx(math.sqrt(2 / 1.04))
    assert gains.loc["tanh", "calculate_gain"] == pytest.approx(5 / 3)


def test_downloads_hold_the_tables_escaped(downloads: dict) -> None:
    at = run()
    data, name = download(at, downloads, "ref_download_catalogue")
    assert name == "initializer_catalogue.csv"
    frame = read_csv(data)
    assert len(frame) == len(initializers.REGISTRY)
    assert {"initializer", "formula (LaTeX)", "PyTorch", "Keras", "JAX", "link"} <= set(frame)
    data, name = download(at, downloads, "ref_download_calculator")
    assert name is not None
    assert name.startswith("fan_calculator_256x256_mlp_tanh_glorot_normal")
    frame = read_csv(data)
    assert len(frame) == len(initializers.REGISTRY)
    assert set(frame["fan_in"]) == {256}
    he = frame.set_index("key").loc["he_normal", "std"]
    assert he == pytest.approx(math.sqrt(2 / 256), rel=1e-12)
    data, _ = download(at, downloads, "ref_download_gains")
    assert "leaky_relu" in set(read_csv(data)["nonlinearity"])


# ---- compute helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("3,3,64,128", (3, 3, 64, 128)),
        ("(256, 128)", (256, 128)),
        ("[5 x 7]", (5, 7)),
        ("  16×32 ", (16, 32)),
        ("2*3*4", (2, 3, 4)),
    ],
)
def test_parse_shape_accepts_common_spellings(text: str, shape: tuple[int, ...]) -> None:
    assert reference.parse_shape(text) == shape


@pytest.mark.parametrize(
    "text",
    [
        "",
        "64",
        "3,3,64,128,1,1",
        "0,5",
        "3,-3",
        "2.5,3",
        "1e3,4",
        "__import__('os')",
        "3,3" + ",3" * 60,
        "10000000,2",
    ],
)
def test_parse_shape_rejects_everything_else(text: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        reference.parse_shape(text)


def test_safe_csv_defuses_formulas_and_keeps_numbers() -> None:
    frame = pd.DataFrame(
        {
            "=HYPERLINK()": ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "  =x", "\t=x", "plain", "a=b"],
            "number": [-1.5, 2.0, -3.0, 0.0, 1e-300, -0.25, 7.0, math.nan],
        }
    )
    data = export.safe_csv(frame)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows[0] == ["'=HYPERLINK()", "number"]
    cells = [r[0] for r in rows[1:]]
    assert cells == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'  =x", "'\t=x", "plain", "a=b"]
    for cell in cells:  # nothing a spreadsheet would evaluate
        assert not cell.startswith(("=", "+", "-", "@"))
    # Text is quoted, numbers are not (so negatives stay numbers).
    lines = data.decode("utf-8").splitlines()
    assert lines[1] == '"\'=1+1",-1.5'
    back = pd.read_csv(io.BytesIO(data))
    assert back["number"].iloc[0] == -1.5
    assert math.isnan(back["number"].iloc[-1])


def test_calculator_matches_the_formulas() -> None:
    calc = reference.calculator_frame((3, 3, 64, 32), "normal", (("std", 0.3),)).set_index("key")
    fan_in, fan_out = 576, 288
    assert calc.loc["lecun_normal", "sigma_w2"] == pytest.approx(1.0)
    assert calc.loc["he_uniform", "uniform bound"] == pytest.approx(math.sqrt(6 / fan_in))
    assert calc.loc["glorot_normal", "variance"] == pytest.approx(2 / (fan_in + fan_out))
    assert calc.loc["torch_default", "uniform bound"] == pytest.approx(1 / math.sqrt(fan_in))
    assert calc.loc["normal", "std"] == 0.3  # the user's parameters
    assert calc.loc["normal", "initializer"].endswith("(yours)")
    assert calc.loc["delta_orthogonal", "note"] == "needs c_in ≤ c_out"
    assert math.isnan(calc.loc["delta_orthogonal", "std"])
    truncated = calc.loc["variance_scaling"]  # default truncated normal, k = 1, fan_in
    assert truncated["truncated at"] == pytest.approx(
        2 * math.sqrt(1 / fan_in) / initializers.TRUNCATED_NORMAL_STD
    )


def test_sigma_sweep_scales_as_one_over_root_fan_in() -> None:
    sweep = reference.sigma_vs_fan_frame(0.5, "he_normal", (("gain", 1.0),))
    he = sweep[sweep["series"] == initializers.REGISTRY["he_normal"].label]
    assert (he["std"] == (2 / he["fan_in"]) ** 0.5).all()
    assert (he["fan_out"] == (he["fan_in"] * 0.5).round().clip(lower=1)).all()
    small = sweep[sweep["series"] == initializers.REGISTRY["small_random"].label]
    assert set(small["std"]) == {0.01}
    assert (sweep["std"] > 0).all()  # zeros left out: a log axis cannot draw them


def test_catalogue_cells_fit_their_columns_on_one_line() -> None:
    """Issue 13: long cells (designed for, fan convention) were cut at the 84 px row height.
    The grid now shows only short columns, each wide enough for its longest cell on one line;
    the long texts are in each initializer's panel, and in the CSV."""
    import json

    at = run()
    catalogue = at.dataframe[0]
    shown = list(catalogue.proto.column_order)
    assert shown == ["initializer", "family", "divides by", "parameters", "link"]
    config = json.loads(catalogue.proto.columns)
    widths = {name: config[name]["width"] for name in shown}
    frame = catalogue.value
    for name in shown[:-1]:  # the link column shows "paper ↗"
        longest = max(len(str(cell)) for cell in [*frame[name], name])
        # About 6.2 px per character at the grid's 14 px font (measured: 57 characters take
        # 332 px), plus 16 px of padding.
        assert 6.2 * longest + 16 <= widths[name], (name, longest, widths[name])
    assert catalogue.proto.row_height >= 40
    assert frame.set_index("key").loc["orthogonal", "divides by"] == "max(fan_in, fan_out)"
    # What the grid no longer shows is under "Every initializer", in full.
    panels = {e.label.split("  ←")[0]: e for e in at.expander}
    text = "\n".join(m.value for m in panels["Orthogonal"].markdown)
    assert reference.FAN_CONVENTIONS["fan_max"] in text
    assert initializers.REGISTRY["orthogonal"].designed_for in text


def test_formula_table_wraps_between_parts_only() -> None:
    from explorer import page

    table = reference.formula_table_markdown(page.formula_parts)
    row = next(line for line in table.splitlines() if line.startswith("| LeCun uniform |"))
    # Two parts, each kept whole by its braces, in two $...$: a phone wraps between them.
    assert row == (
        r"| LeCun uniform | ${W_{ij} \sim \mathcal{U}(-a,\ a),}\;$ "
        r"${a = g\sqrt{\frac{3}{n_\mathrm{in}}}}$ |"
    )


@pytest.mark.parametrize(("index", "shape"), [(1, "256,256"), (1, "3,3,64,128"), (2, "256,256")])
def test_calculator_and_gain_text_cells_fit_their_columns(index: int, shape: str) -> None:
    """Issue 13: the calculator's variance-scaling parameters and the gain table's longest
    formula were cut; every text column now has a width for its longest cell."""
    import json

    at = run({"shape": shape})
    table = at.dataframe[index]
    config = json.loads(table.proto.columns)
    frame = table.value
    for name in frame.columns:
        if frame[name].dtype.kind in "fiu" or name == "key":
            continue
        longest = max(len(str(cell)) for cell in [*frame[name], config[name]["label"]])
        assert 6.2 * longest + 16 <= config[name]["width"], (name, longest)
