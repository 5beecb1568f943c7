"""One palette: a series' colour (and marker) is a fixed function of its name.

Every chart builder in :mod:`explorer.charts` colours its series through :func:`color_of` and
:func:`shape_of`, and the image exports render the same Vega-Lite spec, so a series looks the
same on every page, under every sidebar setting, and in a downloaded PNG/SVG. Nothing here
depends on which other series share the chart: the colour of "×1.1" does not change when the
user picks another initializer.

Names are matched in this order (case-insensitive):

1. a fixed name: an initializer (registry name or label), a multiple of the small-signal scale
   ("×0.5" … "×2"), an activation (name or label), forward/backward, theory/measured;
2. a theory or measurement variant of a fixed name ("theory: small random", "LeCun normal
   theory", "k = 1 measured"): the colour of the name it is a variant of, drawn dashed;
3. any other name: a colour picked by a stable hash of the name (CRC-32, the same in every
   process), from :data:`SPARE_COLORS`.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from core import activations, initializers

#: One fixed colour per initializer. The schemes compared most often (Glorot, He, LeCun,
#: small/large random, orthogonal) get the most distinct hues; a uniform variant is the lighter
#: shade of its normal sibling. Red is kept for overflow marks.
INIT_COLORS: dict[str, str] = {
    "zeros": "#7f7f7f",
    "constant": "#bcbd22",
    "normal": "#8c564b",
    "uniform": "#c49c94",
    "small_random": "#9467bd",
    "large_random": "#e7298a",
    "lecun_normal": "#17becf",
    "lecun_uniform": "#7fd3dd",
    "glorot_normal": "#1f77b4",
    "glorot_uniform": "#8fb9dd",
    "he_normal": "#ff7f0e",
    "he_uniform": "#ffbb78",
    "variance_scaling": "#2ca02c",
    "orthogonal": "#393b79",
    "identity": "#843c39",
    "delta_orthogonal": "#637939",
    "torch_default": "#e377c2",
}
#: Home's multiples of the small-signal scale: far (RGB distance >= 90) from every initializer
#: colour and from each other, so any initializer can be drawn next to them, and apart (CIELAB
#: ΔE >= 25) for deuteranopia and protanopia too. The lines that lie close together (×0.9, ×1,
#: ×1.1, then ×2 above them) get different hues: blue, black, green, magenta; the two that share
#: a hue family (×0.5 dark purple, ×2 light magenta) lie at opposite ends of the chart.
SCALE_COLORS: dict[str, str] = {
    "×0.5": "#770099",
    "×0.9": "#2200ff",
    "×1": "#000000",
    "×1.1": "#00cc77",
    "×2": "#ff33ff",
}
#: Activations drawn as series (the same N(0, 1) weights under several activations, ...).
ACTIVATION_COLORS: dict[str, str] = {
    "linear": "#555555",
    "sigmoid": "#1b9e77",
    "tanh": "#d95f02",
    "relu": "#7570b3",
    "leaky_relu": "#a6761d",
    "elu": "#66a61e",
    "selu": "#e6ab02",
    "gelu": "#1f78b4",
    "silu": "#b2182b",
    "softsign": "#5e3c99",
}
#: Series that are roles rather than schemes.
ROLE_COLORS: dict[str, str] = {
    "forward": "#4c78a8",
    "forward: activations": "#4c78a8",
    "backward": "#e45756",
    "backward: gradients": "#e45756",
    "theory": "#222222",
    "theory (mean field)": "#222222",
    "measured": "#4c78a8",
    "measured (probe)": "#4c78a8",
    "plain mlp": "#8c6d31",
    "n(0, 1)": INIT_COLORS["large_random"],
    "normal n(0, s²)": INIT_COLORS["normal"],
    "truncated normal": "#386cb0",
    "lsuv": "#2ca089",
}
#: Colours of other names, picked by a stable hash of the name.
SPARE_COLORS: tuple[str, ...] = (
    "#b15928", "#6a3d9a", "#1b9e77", "#d95f02", "#7570b3", "#66a61e", "#a6761d", "#e6ab02",
    "#386cb0", "#f0027f", "#bf5b17", "#666666",
)  # fmt: skip
#: Overflow / NaN marks.
STATUS_COLOR = "#d62728"
#: Point markers, assigned like the colours (a theory series has no markers: it is a line).
SHAPES: tuple[str, ...] = ("circle", "square", "triangle-up", "diamond", "triangle-down", "cross")
#: A five-pointed star (an SVG path in the unit square, as Vega-Lite's shape channel accepts).
STAR = (
    "M0,-1L0.29,-0.4L0.95,-0.31L0.48,0.15L0.59,0.81L0,0.5L-0.59,0.81L-0.48,0.15L-0.95,-0.31"
    "L-0.29,-0.4Z"
)
#: Fixed markers of Home's scale multiples and the most compared initializers, so that lines
#: that lie on top of each other (×1 under Glorot) still show both markers.
FIXED_SHAPES: dict[str, str] = {
    "×0.5": "triangle-down",
    "×0.9": "diamond",
    "×1": "triangle-right",
    "×1.1": "triangle-up",
    "×2": STAR,
    "glorot_normal": "circle",
    "glorot_uniform": "circle",
    "lecun_normal": "triangle-up",
    "lecun_uniform": "triangle-up",
    "he_normal": "diamond",
    "he_uniform": "diamond",
    "orthogonal": "square",
    "small_random": "triangle-down",
    "large_random": "cross",
    "torch_default": "triangle-left",
}
_THEORY = re.compile(r"^theory\s*[:\-–]\s*|\s*·?\s+theory$|\s*\(theory\)$", re.IGNORECASE)
_MEASURED = re.compile(r"\s*·?\s+measured$|\s*\(measured\)$", re.IGNORECASE)
#: Names that carry a setting (page 3's clipping threshold, page 4's k): one colour whatever
#: the setting, so moving a slider does not repaint the series.
PATTERN_COLORS: tuple[tuple[str, str], ...] = (
    (r"^N\(0, 1\), clip ", "#b15928"),
    (r"^k = ", "#386cb0"),
    (r"^sidebar init$", "#f0027f"),
    (r"^Residual, α = ", "#1b7837"),
)


def _fixed() -> dict[str, str]:
    """Every fixed name (lower case) -> colour: registry names and labels, scales, roles."""
    table: dict[str, str] = {}
    for name, color in ACTIVATION_COLORS.items():
        table[name] = color
        table[activations.get(name).label.lower()] = color
    for name, spec in initializers.REGISTRY.items():
        color = INIT_COLORS[name]
        table[name] = color
        table[spec.label.lower()] = color
        # "Small random N(0, 0.01²)" is also called "small random" in theory labels.
        table[name.replace("_", " ")] = color
    table.update({k.lower(): v for k, v in ROLE_COLORS.items()})
    table.update(SCALE_COLORS)
    return table


def _by_label() -> dict[str, str]:
    """Initializer label or name (lower case) -> registry name."""
    out = {name.replace("_", " "): name for name in initializers.REGISTRY}
    out.update({spec.label.lower(): name for name, spec in initializers.REGISTRY.items()})
    out.update({name: name for name in initializers.REGISTRY})
    return out


#: Built once at import (read-only): every lookup is a dict access, not a registry walk.
FIXED_COLORS: Mapping[str, str] = MappingProxyType(_fixed())
_BY_LABEL: Mapping[str, str] = MappingProxyType(_by_label())


def base_name(name: str) -> str:
    """The series a theory or measurement variant belongs to.

    "theory: small random" -> "small random", "k = 1 · measured" -> "k = 1"; other names are
    returned unchanged.
    """
    stripped = _THEORY.sub("", name.strip())
    return _MEASURED.sub("", stripped).strip() or name


def is_theory(name: str) -> bool:
    """Whether a series is a theory prediction (drawn dashed, under the measured data)."""
    low = name.strip().lower()
    return low.startswith("theory") or low.endswith(" theory") or low.endswith("(theory)")


def _hashed(name: str, choices: Sequence[str]) -> str:
    return choices[zlib.crc32(name.strip().lower().encode("utf-8")) % len(choices)]


def color_of(name: str) -> str:
    """The colour of a series, a fixed function of its name (see the module docstring)."""
    fixed = FIXED_COLORS
    key = name.strip()
    for candidate in (key, key.lower(), base_name(key), base_name(key).lower()):
        if candidate in fixed:
            return fixed[candidate]
    for pattern, color in PATTERN_COLORS:
        if re.search(pattern, base_name(key)):
            return color
    return _hashed(base_name(key), SPARE_COLORS)


def shape_of(name: str) -> str:
    """The point marker of a series, a fixed function of its name ("stroke" for theory)."""
    if is_theory(name):
        return "stroke"
    key = base_name(name)
    init = _BY_LABEL.get(key.lower())
    if any(re.search(pattern, key) for pattern, _ in PATTERN_COLORS):
        return "circle"
    if key in FIXED_SHAPES:
        return FIXED_SHAPES[key]
    if init is not None and init in FIXED_SHAPES:
        return FIXED_SHAPES[init]
    return _hashed(key, SHAPES[:5])


def colors_for(series: Sequence[str]) -> tuple[list[str], list[str]]:
    """Domain (distinct names in order of appearance) and their colours."""
    domain = list(dict.fromkeys(series))
    return domain, [color_of(name) for name in domain]


def init_colors() -> dict[str, str]:
    """One fixed colour per initializer label, in registry order (same on every page)."""
    return {spec.label: INIT_COLORS[name] for name, spec in initializers.REGISTRY.items()}
