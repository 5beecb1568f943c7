"""Lesson behind page 8 (reference): the initializer catalogue, fan and gain calculators."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from core import activations, initializers
from explorer.experiments import InitParams

# Re-exported for the catalogue and calculators, so pages need not import core.
REGISTRY = initializers.REGISTRY
scale_of = initializers.scale_of


#: Plain-words fan convention of each ``InitSpec.fan_mode``.
FAN_CONVENTIONS: dict[str, str] = {
    "fan_in": "fan_in (preserves the forward pass)",
    "fan_out": "fan_out (preserves the backward pass)",
    "fan_avg": "fan_avg = (fan_in + fan_out) / 2 (compromise)",
    "mode": "chosen by the mode parameter (fan_in, fan_out or fan_avg)",
    "fan_max": (
        "max(fan_in, fan_out) for dense layers: the entries' RMS is g/√max(rows, cols) "
        "(unit-norm rows or columns, whichever are fewer); a conv kernel is flattened to "
        "(kh·kw·c_in, c_out)"
    ),
    "none": "none (scale does not depend on the fans)",
}


#: The fan each scheme divides by, in a few words (the catalogue grid and the formula table).
SHORT_FANS: dict[str, str] = {
    "fan_in": "fan_in",
    "fan_out": "fan_out",
    "fan_avg": "(fan_in + fan_out) / 2",
    "mode": "mode parameter",
    "fan_max": "max(fan_in, fan_out)",
    "none": "none",
}


def divides_by(key: str) -> str:
    """The fan the registry's scheme ``key`` divides its variance by, in a few words."""
    mode = initializers.REGISTRY[key].fan_mode
    return SHORT_FANS.get(mode, mode)


#: Largest rank, dimension and element count the fan calculator accepts (it never allocates).
SHAPE_MAX_RANK = 5


SHAPE_MAX_DIM = 1_000_000


SHAPE_MAX_TEXT = 80


def parse_shape(text: str) -> tuple[int, ...]:
    """Parse a weight shape typed by a user, such as ``"3,3,64,128"`` or ``"(256, 128)"``.

    Only digits and separators (commas, spaces, ``x``, ``×``, ``*``, brackets) are accepted; the
    text is never evaluated.

    Parameters
    ----------
    text : str
        At most :data:`SHAPE_MAX_TEXT` characters.

    Returns
    -------
    tuple of int
        Two to :data:`SHAPE_MAX_RANK` dimensions, each in ``1..SHAPE_MAX_DIM``, layout
        ``(*receptive_field, n_in, n_out)``.

    Raises
    ------
    ValueError
        With a message fit to show to the user.
    """
    import re

    text = str(text).strip()
    if len(text) > SHAPE_MAX_TEXT:
        raise ValueError(f"the shape is longer than {SHAPE_MAX_TEXT} characters")
    if not re.fullmatch(r"[\d\s,xX×*()\[\]]*", text):
        raise ValueError("use whole numbers separated by commas, e.g. 3,3,64,128")
    parts = [p for p in re.split(r"[\s,xX×*()\[\]]+", text) if p]
    if not 2 <= len(parts) <= SHAPE_MAX_RANK:
        raise ValueError(
            f"a weight shape has 2 to {SHAPE_MAX_RANK} dimensions (inputs, outputs and "
            f"optionally a receptive field in front); got {len(parts)}"
        )
    dims = tuple(int(p) for p in parts)
    if any(not 1 <= d <= SHAPE_MAX_DIM for d in dims):
        raise ValueError(f"every dimension must be between 1 and {SHAPE_MAX_DIM:,}")
    return dims


def default_shape(network: str, width: int) -> tuple[int, ...]:
    """The shape of a hidden weight of the user's network (what the calculator starts with)."""
    if network == "cnn":
        return (3, 3, width, width)
    return (width, width)


def formula_table_markdown(parts: Callable[[str], list[str]] | None = None) -> str:
    """Every initializer's formula as a Markdown table with rendered math (``$...$``).

    Parameters
    ----------
    parts : callable, optional
        Splits a formula into parts (e.g. ``page.formula_parts``); each part is its own
        ``$...$``, so a narrow screen wraps the cell between parts instead of cutting it. By
        default a formula is one ``$...$``.

    Returns
    -------
    str
        Columns: initializer, formula (KaTeX). The fan each scheme divides by is in the
        catalogue (:func:`divides_by`).
    """
    rows = ["| initializer | formula |", "|---|---|"]
    for spec in initializers.REGISTRY.values():
        pieces = parts(spec.formula) if parts is not None else [spec.formula]
        # Braces keep each part on one line: a narrow cell wraps between parts only.
        shown = r"}\;$ ${".join(piece.replace("|", r"\vert ") for piece in pieces)
        shown = "{" + shown + "}" if len(pieces) > 1 else shown
        rows.append(f"| {spec.label} | ${shown}$ |")
    return "\n".join(rows)


def catalogue_frame() -> pd.DataFrame:
    """Every initializer of the registry as one table row (the reference catalogue).

    Returns
    -------
    DataFrame
        Columns: initializer, key, family, fan convention, parameters (name = default),
        formula (LaTeX), designed for, reference, link, PyTorch, Keras, JAX.
    """
    rows = []
    for spec in initializers.REGISTRY.values():
        rows.append(
            {
                "initializer": spec.label,
                "key": spec.name,
                "family": spec.family.replace("_", " "),
                "fan convention": FAN_CONVENTIONS.get(spec.fan_mode, spec.fan_mode),
                "parameters": ", ".join(
                    f"{p.name} = {p.default:g}" if p.kind == "float" else f"{p.name} = {p.default}"
                    for p in spec.params
                )
                or "none",
                "formula (LaTeX)": spec.formula,
                "designed for": spec.designed_for,
                "reference": spec.reference,
                "link": spec.reference_url,
                "PyTorch": spec.pytorch,
                "Keras": spec.keras,
                "JAX": spec.jax,
            }
        )
    return pd.DataFrame(rows)


def _not_applicable(name: str, shape: tuple[int, ...]) -> str:
    """Why a scheme cannot initialize a weight of ``shape`` ("" when it can)."""
    spec = initializers.REGISTRY[name]
    rank = len(shape)
    if rank < spec.min_rank or (spec.max_rank is not None and rank > spec.max_rank):
        if name == "identity":
            return "needs a 2-D (dense) weight"
        if name == "delta_orthogonal":
            return "needs a conv kernel (rank 3 to 5)"
        return f"needs rank {spec.min_rank} or more"
    if name == "delta_orthogonal" and shape[-2] > shape[-1]:
        return "needs c_in ≤ c_out"
    return ""


def fans_of(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """``(fan_in, fan_out, receptive_field)`` of a weight shape (layout as :func:`parse_shape`)."""
    fan_in, fan_out = initializers.compute_fans(shape)
    return fan_in, fan_out, math.prod(shape[:-2])


def calculator_frame(
    shape: tuple[int, ...], user_init: str, user_params: InitParams
) -> pd.DataFrame:
    """Standard deviation and uniform bound of every scheme for one weight shape.

    Every scheme uses its registry defaults, except ``user_init``, which uses ``user_params``.

    Parameters
    ----------
    shape : tuple of int
        ``(*receptive_field, n_in, n_out)``, as returned by :func:`parse_shape`.
    user_init : str
        The user's initializer (a key of the registry).
    user_params : tuple of (name, value) pairs
        Its parameters.

    Returns
    -------
    DataFrame
        One row per scheme, columns: initializer, key, parameters, distribution, std,
        variance, uniform bound, truncated at (the absolute cut of a truncated normal),
        sigma_w2 (fan_in * variance: 1 = LeCun, 2 = He), note (why a scheme does not
        apply; its numbers are then NaN).
    """
    fan_in, _, _ = fans_of(shape)
    rows = []
    for name, spec in initializers.REGISTRY.items():
        params = dict(user_params) if name == user_init else spec.defaults
        note = _not_applicable(name, shape)
        row: dict[str, object] = {
            "initializer": spec.label + (" (yours)" if name == user_init else ""),
            "key": name,
            "parameters": ", ".join(
                f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}" for k, v in params.items()
            )
            or "none",
        }
        if note:
            row.update(
                distribution="n/a",
                std=math.nan,
                variance=math.nan,
                **{"uniform bound": math.nan, "truncated at": math.nan},
                sigma_w2=math.nan,
                note=note,
            )
        else:
            scale = initializers.scale_of(name, shape, **params)
            row.update(
                distribution=scale.distribution.replace("_", " "),
                std=scale.std,
                variance=scale.std**2,
                **{
                    "uniform bound": math.nan if scale.bound is None else scale.bound,
                    "truncated at": math.nan if scale.truncation is None else scale.truncation,
                },
                sigma_w2=fan_in * scale.std**2,
                note="",
            )
        rows.append(row)
    return pd.DataFrame(rows)


def gain_frame(negative_slope: float = 0.01) -> pd.DataFrame:
    """PyTorch's ``calculate_gain`` for every non-linearity it knows, and the app's gain.

    Parameters
    ----------
    negative_slope : float
        Slope ``a`` of leaky ReLU.

    Returns
    -------
    DataFrame
        Columns: nonlinearity, calculate_gain (NaN where PyTorch has none), formula,
        app gain (the gain this app uses for the activation, NaN for conv names), source.
    """
    formulas = {
        "tanh": "5/3",
        "relu": "√2",
        "leaky_relu": "√(2 / (1 + a²))",
        "selu": "3/4 (PyTorch; self-normalizing nets use 1)",
    }
    rows = []
    for name in initializers.NONLINEARITIES:
        param = negative_slope if name == "leaky_relu" else None
        app = math.nan
        source = ""
        if name in activations.NAMES:
            act = activations.get(name, negative_slope=negative_slope)
            app, source = act.gain, act.gain_source.replace("_", " ")
        rows.append(
            {
                "nonlinearity": name,
                "calculate_gain": initializers.calculate_gain(name, param),
                "formula": formulas.get(name, "1"),
                "app gain": app,
                "source": source,
            }
        )
    for name in activations.NAMES:
        if name in initializers.NONLINEARITIES:
            continue
        act = activations.get(name, negative_slope=negative_slope)
        rows.append(
            {
                "nonlinearity": name,
                "calculate_gain": math.nan,
                "formula": "1 / √E[f(z)²], z ~ N(0, 1)",
                "app gain": act.gain,
                "source": act.gain_source.replace("_", " "),
            }
        )
    return pd.DataFrame(rows)


#: Schemes drawn in the σ-versus-fan_in chart: one per rule (the uniform twins have the same σ).
SIGMA_SWEEP_INITS: tuple[str, ...] = (
    "small_random",
    "large_random",
    "lecun_normal",
    "glorot_normal",
    "he_normal",
    "torch_default",
    "orthogonal",
)


def sigma_vs_fan_frame(
    ratio: float, user_init: str, user_params: InitParams, *, max_fan: int = 4096
) -> pd.DataFrame:
    """σ of the main schemes for dense layers ``(n, ratio * n)``, n = 1, 2, 4, ... ``max_fan``.

    One scheme per rule (:data:`SIGMA_SWEEP_INITS`: the uniform variants have the same σ as
    the normal ones) plus the user's initializer. Zeros (σ = 0 has no place on a log axis) and
    delta-orthogonal (conv kernels only) are never drawn.

    Parameters
    ----------
    ratio : float
        fan_out / fan_in (e.g. from the calculator's shape), > 0.
    user_init : str
        Added to the chart with ``user_params``; the other schemes use their defaults.
    user_params : tuple of (name, value) pairs
    max_fan : int

    Returns
    -------
    DataFrame
        Long format, columns series (initializer label), fan_in, fan_out, std.
    """
    rows = []
    fans = [2**k for k in range(int(math.log2(max_fan)) + 1)]
    names = list(dict.fromkeys((*SIGMA_SWEEP_INITS, user_init)))
    for name in names:
        if name in ("zeros", "delta_orthogonal"):
            continue
        spec = initializers.REGISTRY[name]
        params = dict(user_params) if name == user_init else spec.defaults
        for fan_in in fans:
            fan_out = max(1, round(ratio * fan_in))
            std = initializers.scale_of(name, (fan_in, fan_out), **params).std
            rows.append({"series": spec.label, "fan_in": fan_in, "fan_out": fan_out, "std": std})
    return pd.DataFrame(rows)
