"""Lessons a room can follow: one palette, tables, glossary, override notes, exact sizes."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from apptest_helpers import PAGES, chart_specs, download_id, metrics, run_page, script
from streamlit.testing.v1 import AppTest

from explorer import palette


def colours(spec: dict) -> dict[str, str]:
    """Series -> colour of every colour scale with a domain in a Vega-Lite spec."""
    found: dict[str, str] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            scale = (
                node.get("color", {}).get("scale") if isinstance(node.get("color"), dict) else None
            )
            if isinstance(scale, dict) and "domain" in scale and "range" in scale:
                found.update(zip(scale["domain"], scale["range"], strict=True))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return found


def notes(at: AppTest) -> str:
    return "\n".join(i.value for i in at.info)


# ---- one palette ------------------------------------------------------------------------------


def test_home_series_keep_their_colour_under_other_settings_and_in_the_export(
    downloads: dict,
) -> None:
    default = run_page(script("Home.py"))
    other = run_page(script("Home.py"), {"init": "he_normal", "activation": "relu"})
    first, second = colours(chart_specs(default)[0]), colours(chart_specs(other)[0])
    for name in ("×0.5", "×0.9", "×1", "×1.1", "×2"):
        assert first[name] == second[name] == palette.color_of(name), name
    assert first["Glorot (Xavier) normal"] == palette.INIT_COLORS["glorot_normal"]
    assert second["He (Kaiming) normal"] == palette.INIT_COLORS["he_normal"]
    # The export renders the same chart: the SVG draws the screen's colours, so does the PNG.
    button = {b.key: b for b in other.download_button}
    svg, name = downloads[download_id(button["home_export_svg"])]
    assert name.endswith(".svg")
    text = svg.decode("utf-8").lower()
    for series in ("×1.1", "He (Kaiming) normal"):
        assert palette.color_of(series) in text, series
    png, _ = downloads[download_id(button["home_export_png"])]
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3).astype(int)
    wanted = palette.color_of("×1.1")
    rgb = np.array([int(wanted[i : i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(pixels - rgb).sum(axis=1) <= 6).sum() > 20


# ---- tables -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Home.py", "8_Reference.py"])
def test_tables_show_a_dash_for_missing_values(name: str) -> None:
    at = run_page(script(name))
    assert at.dataframe
    assert all(table.proto.placeholder == "-" for table in at.dataframe)
    # Home's fan calculator: the uniform bound of a normal scheme is missing, shown as "-".
    if name == "Home.py":
        fans = at.dataframe[-1].value.set_index("initializer")
        assert np.isnan(fans.loc["He (Kaiming) normal", "uniform bound"])


def test_reference_formulas_are_rendered_not_raw_latex() -> None:
    at = run_page(script("8_Reference.py"))
    catalogue = at.dataframe[0]
    shown = list(catalogue.proto.column_order)
    assert "formula (LaTeX)" not in shown
    assert "formula (LaTeX)" in catalogue.value.columns  # still in the CSV download
    table = next(m.value for m in at.markdown if m.value.startswith("| initializer | formula"))
    assert r"$W_{ij} \sim \mathcal{N}\!\left(0,\ \frac{2 g^2}{n_\mathrm{in}}\right)$" in table


# ---- glossary and the tutorial -------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_every_page_has_one_glossary(name: str) -> None:
    at = run_page(script(name))
    glossaries = [e for e in at.expander if e.label == "Glossary"]
    assert len(glossaries) == 1
    text = "\n".join(m.value for m in glossaries[0].markdown)
    assert text.startswith("- **")
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert not re.search(r"\bcore\.[a-z]", "\n".join(shown))  # no module names in student text


def test_chaos_glossary_explains_its_symbols_and_metrics_have_help() -> None:
    at = run_page(script("7_Edge_of_chaos.py"))
    glossary = next(e for e in at.expander if e.label == "Glossary")
    text = "\n".join(m.value for m in glossary.markdown)
    for term in ("χ₁", "ξ_c", "q*", "q^l", "σ_w²", "edge of chaos"):
        assert term in text, term
    assert all(m.help for m in at.metric if m.label.startswith(("χ₁", "ξ_c")))


def test_corrections_name_the_tutorial() -> None:
    at = run_page(script("Home.py"))
    correction = next(i.value for i in at.info if "Correcting a common claim" in i.value)
    assert "“Why weight Initialization?”" in correction
    assert "https://www.kdnuggets.com/" in correction


# ---- override notes -------------------------------------------------------------------------


def test_sections_say_when_they_replace_the_sidebar() -> None:
    at = run_page(script("2_Small_random_weights.py"))
    assert (
        "This section uses **depth 5 and width 32**, not your sidebar's depth 10 and width 256"
        in notes(at)
    )
    assert "activation relu" in notes(at)  # "ReLU does not save you" uses ReLU, not tanh
    at = run_page(script("1_Zero_and_constant.py"))
    assert "**depth 3 and width 16**, not your sidebar's depth 10 and width 256" in notes(at)
    at = run_page(script("3_Large_random_weights.py"), {"depth": "50"})
    assert "**depth 20 and width 64**, not your sidebar's depth 50 and width 256" in notes(at)
    assert "four activations" in notes(at)


def test_no_override_note_when_the_section_uses_the_sidebars_settings() -> None:
    at = run_page(script("3_Large_random_weights.py"), {"depth": "12", "width": "48"})
    assert "not your sidebar's depth" not in notes(at)
    at = run_page(script("7_Edge_of_chaos.py"))
    assert "This section uses" not in notes(at)


# ---- exact depth and width ------------------------------------------------------------------


def test_depth_box_and_slider_stay_in_sync_with_the_link() -> None:
    at = run_page(script("Home.py"))
    assert at.sidebar.number_input(key="ctl_depth_box").value == 10
    at.sidebar.number_input(key="ctl_depth_box").set_value(50).run()
    assert not at.exception
    assert at.sidebar.slider(key="ctl_depth").value == 50
    assert at.query_params["depth"] in ("50", ["50"])
    at.sidebar.slider(key="ctl_depth").set_value(37).run()
    assert at.sidebar.number_input(key="ctl_depth_box").value == 37
    at.sidebar.number_input(key="ctl_width_box").set_value(100).run()
    assert at.sidebar.slider(key="ctl_width").value == 100
    assert at.query_params["width"] in ("100", ["100"])
    # A link opens with both widgets at its value.
    at = run_page(script("Home.py"), {"depth": "50", "width": "64"})
    assert at.sidebar.number_input(key="ctl_depth_box").value == 50
    assert at.sidebar.slider(key="ctl_width").value == 64


# ---- page 7 ---------------------------------------------------------------------------------


def test_phase_diagram_labels_every_standard_initializer_and_yours() -> None:
    at = run_page(script("7_Edge_of_chaos.py"), {"init": "he_normal", "activation": "relu"})
    import pyarrow as pa

    chart = at.get("vega_lite_chart")[0]
    labels: set[str] = set()
    for dataset in chart.proto.datasets:  # Streamlit ships the chart's data as Arrow tables
        frame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
        if "label" in frame.columns:
            labels.update(frame["label"])
    assert "your init: He (Kaiming) normal" in labels
    for name in ("Small random N(0, 0.01²)", "PyTorch default (nn.Linear)"):
        assert name in labels
    assert any(label.startswith("LeCun normal = Glorot (Xavier) normal") for label in labels)
    assert any(label.startswith("Large random N(0, 1) (σ_w² = 256 →)") for label in labels)
    assert metrics(at)["σ_w² of your init"] == "2"


def test_pages_draw_tables_through_page_table() -> None:
    """Every table shows "-" for a missing value: no page calls st.dataframe itself."""
    from apptest_helpers import ROOT

    for path in [ROOT / "Home.py", *sorted((ROOT / "pages").glob("*.py"))]:
        assert "st.dataframe(" not in path.read_text(encoding="utf-8"), path.name


def test_override_text_names_only_what_differs() -> None:
    from explorer import page, state

    config = state.parse_query({"depth": "10", "width": "256", "activation": "tanh"})[0]
    assert page.override_text(config, why="x", depth=10, width=256) is None
    text = page.override_text(config, why="it trains live", depth=50, activation="tanh")
    assert text == (
        "This section uses **depth 50**, not your sidebar's depth 10, because it trains live."
    )
    text = page.override_text(config, why="y", width=32, network="mlp", activation="relu")
    assert text is not None
    assert text.startswith("This section uses **width 32 and activation relu**")


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("Home.py", {}),
        ("2_Small_random_weights.py", {}),
        ("5_Network_types.py", {"network": "rnn"}),
        ("5_Network_types.py", {"network": "cnn"}),
        ("7_Edge_of_chaos.py", {}),
    ],
)
def test_every_metric_has_hover_help(name: str, query: dict[str, str]) -> None:
    at = run_page(script(name), query)
    assert at.metric
    assert [m.label for m in at.metric if not m.help] == []
