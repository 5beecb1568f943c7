"""One palette: a series' colour is a fixed function of its name, on screen and in exports."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest

from core import activations, initializers
from explorer import charts, export, palette


def _domain_range(spec: dict) -> dict[str, str]:
    """Series name -> colour of every colour scale in a Vega-Lite spec (layers included)."""
    found: dict[str, str] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            color = node.get("color")
            if isinstance(color, dict) and isinstance(color.get("scale"), dict):
                scale = color["scale"]
                if "domain" in scale and "range" in scale:
                    for name, colour in zip(scale["domain"], scale["range"], strict=True):
                        assert found.setdefault(name, colour) == colour, name
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return found


def _lines(series: list[str]) -> pd.DataFrame:
    return pd.concat(
        [
            pd.DataFrame({"layer": [1, 2, 3], "act_std": [1.0, 0.5 + i / 10, 0.25], "series": s})
            for i, s in enumerate(series)
        ]
    )


def test_a_series_keeps_its_colour_whatever_else_the_chart_draws() -> None:
    scales = ["×0.5", "×0.9", "×1", "×1.1", "×2"]
    seen: dict[str, set[str]] = {}
    for spec in initializers.REGISTRY.values():
        for others in ([], [spec.label], [spec.label, "theory: small random"]):
            scale = charts.series_scale([*scales, *others])
            for name, colour in zip(scale.domain, scale.range, strict=True):
                seen.setdefault(name, set()).add(colour)
    assert all(len(colours) == 1 for colours in seen.values()), seen
    # The example: "×1.1" was yellow, then green after picking another initializer.
    assert palette.color_of("×1.1") == charts.series_scale(["×1.1"]).range[0]


def test_fixed_names_cover_initializers_scales_activations_and_roles() -> None:
    for name, spec in initializers.REGISTRY.items():
        assert palette.color_of(spec.label) == palette.color_of(name) == palette.INIT_COLORS[name]
    for name in activations.NAMES:
        label = activations.get(name).label
        assert palette.color_of(label) == palette.color_of(name) == palette.ACTIVATION_COLORS[name]
    assert palette.color_of("forward: activations") != palette.color_of("backward: gradients")
    # A theory variant of a scheme is drawn in the scheme's colour (dashed, under the data).
    assert palette.color_of("theory: small random") == palette.INIT_COLORS["small_random"]
    assert palette.is_theory("theory: small random")
    assert palette.is_theory("k = 1 · theory")
    assert palette.shape_of("theory (mean field)") == "stroke"
    # Names that carry a setting keep one colour when the setting moves.
    assert palette.color_of("N(0, 1), clip 1") == palette.color_of("N(0, 1), clip 10")
    assert palette.color_of("k = 1 · measured") == palette.color_of("k = 2.38 · measured")
    assert palette.color_of("Residual, α = 1") == palette.color_of("Residual, α = 0.25")
    # Any other name: a stable hash, the same in every process.
    assert palette.color_of("3×3 forgotten (fan = c)") in palette.SPARE_COLORS


def test_every_colour_is_a_hex_colour() -> None:
    names = [*palette.INIT_COLORS.values(), *palette.SCALE_COLORS.values()]
    names += [*palette.ACTIVATION_COLORS.values(), *palette.ROLE_COLORS.values()]
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in [*names, *palette.SPARE_COLORS])


@pytest.mark.parametrize(
    "build",
    [
        lambda f: charts.per_layer_lines(f, y="act_std", y_title="std"),
        lambda f: charts.bars_by_layer(f.assign(saturated=0.5), y="saturated", y_title="saturated"),
        lambda f: charts.training_curves(
            f.rename(columns={"layer": "step"}), y="act_std", y_title="loss", log=True
        ),
    ],
)
def test_chart_specs_carry_the_palette(build) -> None:  # noqa: ANN001
    series = ["×1.1", "Glorot (Xavier) normal", "He (Kaiming) normal"]
    colours = _domain_range(build(_lines(series)).to_dict())
    assert colours == {name: palette.color_of(name) for name in series}


def test_exports_use_the_screen_colours() -> None:
    """The SVG/PNG export renders the same spec: its scale and its pixels hold the colours."""
    series = ["×1.1", "He (Kaiming) normal"]
    chart = charts.per_layer_lines(_lines(series), y="act_std", y_title="std")
    spec = export.chart_spec(chart)
    assert _domain_range(spec) == _domain_range(chart.to_dict())
    svg = export.chart_image(chart, "svg").decode("utf-8").lower()
    for name in series:
        assert palette.color_of(name) in svg, name
    png = export.chart_image(chart, "png")
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
    for name in series:
        rgb = np.array(charts.chartkit.rgb(palette.color_of(name)))
        assert (np.abs(pixels.astype(int) - rgb).sum(axis=1) <= 6).sum() > 20, name


def test_log_axes_label_powers_of_ten_only() -> None:
    spec = charts.per_layer_lines(_lines(["×1"]), y="act_std", y_title="std").to_dict()
    axes = [
        layer["encoding"]["y"].get("axis", {})
        for layer in spec["layer"]
        if "y" in layer.get("encoding", {})
    ]
    assert any(a.get("labelExpr") == charts.LOG_LABELS for a in axes)


def test_plot_area_and_legend_for_a_projector() -> None:
    spec = charts.per_layer_lines(
        _lines(["×1", "Glorot (Xavier) normal"]), y="act_std", y_title="std", height=100
    ).to_dict()
    assert spec["height"] >= charts.MIN_PLOT_HEIGHT
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    legends = [
        layer["encoding"]["color"]["legend"]
        for layer in spec["layer"]
        if "color" in layer.get("encoding", {}) and layer["encoding"]["color"].get("legend")
    ]
    assert legends
    assert all(leg["orient"] == "bottom" for leg in legends)


def test_coinciding_series_have_distinct_markers() -> None:
    """×1 lies under Glorot on Home: their markers differ, so both stay visible."""
    common = ["Glorot (Xavier) normal", "LeCun normal", "He (Kaiming) normal", "Orthogonal"]
    common += ["PyTorch default (nn.Linear)", "Small random N(0, 0.01²)", "Large random N(0, 1)"]
    for scale_name in ("×1", "×2"):  # ×1 is Glorot/LeCun for tanh and He for ReLU
        scale = charts.shape_scale([scale_name, *common])
        assert len(set(scale.range)) == len(scale.range), scale.range


def test_theory_is_drawn_under_the_data() -> None:
    frame = _lines(["Small random N(0, 0.01²)", "theory: small random"])
    spec = charts.per_layer_lines(frame, y="act_std", y_title="std").to_dict()
    filters = [layer["transform"][0]["filter"] for layer in spec["layer"]]
    assert "datum.dashed" in filters[0]
    assert "!datum.dashed" in filters[1]


def test_diverged_runs_are_a_labelled_break_not_a_stretched_axis() -> None:
    steps = np.arange(40)
    loss = np.where(steps < 20, 0.7, 10.0 ** (steps - 15.0))
    frame = pd.DataFrame({"step": steps, "loss": loss, "series": "N(0, 1)"})
    frame.loc[frame["step"] >= 30, "loss"] = np.inf
    diverged = pd.DataFrame({"step": [30], "series": ["N(0, 1)"]})
    chart = charts.training_curves(frame, y="loss", y_title="loss", log=True, diverged=diverged)
    spec = chart.to_dict()
    rows = next(iter(spec["datasets"].values()))
    drawn = [r["plot_value"] for r in rows if r["status"] == "ok"]
    assert max(drawn) <= 0.7 * 100  # nothing stretches the axis towards 1e240
    assert any(r["status"] == "off scale" for r in rows)
    texts = [
        r.get("label")
        for name, data in spec["datasets"].items()
        for r in data
        if isinstance(r, dict) and "label" in r
    ]
    assert "N(0, 1): diverged at step 30" in texts


def test_side_by_side_heatmaps_share_their_scales() -> None:
    a = pd.DataFrame(
        {"layer": [1, 1], "bin_start": [-11.0, -10.0], "bin_end": [-10.0, -9.0],
         "fraction": [0.3, 0.7]}
    )  # fmt: skip
    b = pd.DataFrame(
        {"layer": [1, 1], "bin_start": [-1.0, 0.0], "bin_end": [0.0, 1.0], "fraction": [0.5, 0.5]}
    )
    x_domain, top = charts.shared_heatmap_scales([a, b])
    assert x_domain == (-11.0, 1.0)
    assert top == 0.7
    specs = [
        charts.layer_heatmap(f, x_title="x", x_domain=x_domain, color_max=top).to_dict()
        for f in (a, b)
    ]
    for spec in specs:
        assert spec["encoding"]["x"]["scale"]["domain"] == [-11.0, 1.0]
        assert spec["encoding"]["color"]["scale"]["domain"] == [0, 0.7]


def test_accuracy_rising_far_above_its_start_is_not_cut() -> None:
    steps = np.arange(30)
    frame = pd.DataFrame({"step": steps, "acc": np.linspace(0.2, 1.0, 30), "series": "a"})
    spec = charts.training_curves(frame, y="acc", y_title="accuracy").to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert all(r["status"] == "ok" for r in rows)


#: Colour-vision-deficiency simulation matrices on linear sRGB (Machado, Oliveira & Fernandes
#: 2009, severity 1.0).
_CVD = {
    "normal": np.eye(3),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
         [-0.011820, 0.042940, 0.968881]]
    ),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
         [-0.003882, -0.048116, 1.051998]]
    ),
}  # fmt: skip


def _lab(color: str, vision: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of ``color`` as seen with ``vision`` (a matrix on linear sRGB)."""
    rgb = np.array(charts.chartkit.rgb(color)) / 255.0
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
    ) @ np.clip(vision @ linear, 0.0, 1.0)
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_homes_five_scales_are_distinct_for_common_colour_blindness() -> None:
    """Issue 13: "×1.1" and "×2" were both purple (RGB distance 114, CIELAB ΔE 15)."""
    scales = ["×0.5", "×0.9", "×1", "×1.1", "×2"]
    colours = {name: palette.color_of(name) for name in scales}
    for vision, matrix in _CVD.items():
        for i, a in enumerate(scales):
            for b in scales[i + 1 :]:
                delta = np.linalg.norm(_lab(colours[a], matrix) - _lab(colours[b], matrix))
                assert delta >= 25, (vision, a, b, round(float(delta), 1))
    # Lines that lie close together on Home differ in hue, not only in lightness (the old
    # "×1.1" #bb00ff and "×2" #880099 were 11° apart: both purple).
    for a, b in (("×0.9", "×1.1"), ("×1.1", "×2")):
        assert _hue_gap(colours[a], colours[b]) >= 60, (a, b)
    assert _hue_gap("#bb00ff", "#880099") < 60


def _hue_gap(a: str, b: str) -> float:
    """Difference of the CIELAB hue angles of two colours, in degrees (0..180)."""
    angles = [
        np.degrees(np.arctan2(lab[2], lab[1])) for lab in (_lab(a, np.eye(3)), _lab(b, np.eye(3)))
    ]
    gap = abs(angles[0] - angles[1]) % 360
    return float(min(gap, 360 - gap))
