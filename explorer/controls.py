"""Shared sidebar controls and the URL state behind them.

One shared configuration (network type, activation, initializer and its parameters, depth,
width, seed) is used by every page. It lives in ``st.session_state`` so it survives page
switches, and it is mirrored into the URL (``st.query_params``) on every run, so a copied link
reproduces exactly what its sender saw.

Flow of one script run:

1. :func:`shared_config` reads the config from session state. On the first run of a session it
   parses the URL instead; every bad value falls back to its default and is reported as a
   warning that names the parameter.
2. The sidebar widgets are re-seeded from the config (classic multipage apps drop widget state
   on a page switch, so the widgets cannot be the source of truth). Their ``on_change``
   callbacks copy a changed value back into the config before the script reruns.
3. The config is written back to the URL.

Nothing here is module-level mutable state: everything per-user is in ``st.session_state``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import streamlit as st

from core import activations, initializers, networks

# ---------------------------------------------------------------------------------------------
# Limits that protect a shared server. They are stated in the widgets' help texts.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Allowed ranges of depth and width for one network type.

    Attributes
    ----------
    depth_max, width_min, width_max : int
        Inclusive bounds. Depth is at least 1.
    depth_label, width_label : str
        What depth and width mean for this network type (shown in the sidebar).
    """

    depth_max: int
    width_min: int
    width_max: int
    depth_label: str
    width_label: str


LIMITS: dict[str, Limits] = {
    "mlp": Limits(200, 2, 1024, "Hidden layers", "Units per layer"),
    "resmlp": Limits(200, 2, 1024, "Residual blocks", "Units per block"),
    "cnn": Limits(50, 2, 64, "Conv layers (3x3)", "Channels per layer"),
    "rnn": Limits(200, 2, 512, "Time steps", "Hidden units"),
}
SEED_MAX = 2**31 - 1
#: Dense hidden weights a probe may hold (depth x width²): 16.8 M, 134 MB in float64.
#: A 1024-wide MLP can be 16 layers deep, a 512-wide one 64, a 256-wide one 200.
MAX_HIDDEN_WEIGHTS = 2**24


def max_depth(network: str, width: int) -> int:
    """Largest depth allowed for a width: the type's limit, and the weight budget for dense nets.

    Only MLPs and residual MLPs hold ``depth`` separate width x width matrices; a CNN's 3x3
    kernels stay small at its channel limit and an RNN reuses one matrix at every step.
    """
    limit = LIMITS[network].depth_max
    if network in ("mlp", "resmlp"):
        limit = min(limit, MAX_HIDDEN_WEIGHTS // (width * width))
    return max(1, limit)


NETWORK_LABELS: dict[str, str] = {
    "mlp": "MLP (fully connected)",
    "cnn": "CNN (3x3 convolutions)",
    "rnn": "RNN (vanilla recurrent)",
    "resmlp": "Residual MLP",
}

DEFAULTS: dict[str, Any] = {
    "network": "mlp",
    "activation": "tanh",
    "init": "glorot_normal",
    "depth": 10,
    "width": 256,
    "seed": 0,
}

#: Query-parameter names of the shared config (initializer parameters come on top).
CONFIG_KEYS = ("network", "activation", "init", "depth", "width", "seed")

_STATE_KEY = "_shared_config"
_WARNINGS_KEY = "_shared_config_warnings"
_INITIAL_QUERY_KEY = "_shared_config_initial_query"
_NOTICE_KEY = "_shared_config_notice"
_MAX_SHOWN_CHARS = 40


# ---------------------------------------------------------------------------------------------
# The config record
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """The shared configuration every page reads.

    Attributes
    ----------
    network : str
        One of ``core.networks.KINDS``.
    activation : str
        One of ``core.activations.NAMES``.
    init : str
        A key of ``core.initializers.REGISTRY``.
    init_params : tuple of (name, value) pairs
        The initializer's parameters, complete (defaults filled in), in registry order.
        A tuple so the config is hashable and can key caches.
    depth, width, seed : int
        Validated against :data:`LIMITS` for the network type.
    """

    network: str = DEFAULTS["network"]
    activation: str = DEFAULTS["activation"]
    init: str = DEFAULTS["init"]
    init_params: tuple[tuple[str, float | str], ...] = field(default=())
    depth: int = DEFAULTS["depth"]
    width: int = DEFAULTS["width"]
    seed: int = DEFAULTS["seed"]

    @property
    def params(self) -> dict[str, float | str]:
        """The initializer's parameters as a dict."""
        return dict(self.init_params)

    @property
    def init_label(self) -> str:
        """The initializer's display label."""
        return initializers.REGISTRY[self.init].label

    def to_query(self) -> dict[str, str]:
        """Serialize to query parameters (the share link)."""
        query = {
            "network": self.network,
            "activation": self.activation,
            "init": self.init,
            "depth": str(self.depth),
            "width": str(self.width),
            "seed": str(self.seed),
        }
        for name, value in self.init_params:
            query[name] = format_value(value)
        return query

    def slug(self) -> str:
        """A short file-name-safe description, for exported files."""
        parts = [self.network, self.activation, self.init]
        parts += [f"{name}{format_value(value)}" for name, value in self.init_params]
        parts += [f"d{self.depth}", f"w{self.width}", f"s{self.seed}"]
        return "_".join(p.replace(".", "p").replace("-", "m") for p in parts)


def format_value(value: float | str) -> str:
    """Format a parameter for a URL or a label: shortest exact form for floats."""
    if isinstance(value, str):
        return value
    return repr(float(value)).removesuffix(".0") if float(value).is_integer() else repr(value)


def default_params(init: str) -> tuple[tuple[str, float | str], ...]:
    """The registry defaults of an initializer's parameters."""
    return tuple((p.name, p.default) for p in initializers.REGISTRY[init].params)


def default_config() -> Config:
    """The config a visitor without query parameters gets."""
    return Config(init_params=default_params(DEFAULTS["init"]))


# ---------------------------------------------------------------------------------------------
# Parsing and validation (pure functions: unit-testable without Streamlit)
# ---------------------------------------------------------------------------------------------


def shown_value(raw: object) -> str:
    """A raw URL value made safe to quote in a message: truncated, no Markdown code fences."""
    text = str(raw).replace("`", "'").replace("\n", " ")
    if len(text) > _MAX_SHOWN_CHARS:
        text = text[:_MAX_SHOWN_CHARS] + "…"
    return text


def _parse_int(raw: str, name: str, low: int, high: int, default: int, warnings: list[str]) -> int:
    try:
        value = float(raw.strip())
    except ValueError:
        warnings.append(f"`{name}` = `{shown_value(raw)}` is not a number; using {default}.")
        return default
    if not math.isfinite(value) or not value.is_integer():
        warnings.append(f"`{name}` = `{shown_value(raw)}` is not a whole number; using {default}.")
        return default
    if not low <= value <= high:
        warnings.append(
            f"`{name}` = `{shown_value(raw)}` is outside the allowed range {low}–{high}; "
            f"using {default}."
        )
        return default
    return int(value)


def _parse_choice(
    raw: str, name: str, choices: tuple[str, ...], default: str, warnings: list[str]
) -> str:
    value = raw.strip()
    if value in choices:
        return value
    warnings.append(
        f"`{name}` = `{shown_value(raw)}` is not one of {', '.join(choices)}; using {default}."
    )
    return default


def _parse_param(
    spec: initializers.ParamSpec, raw: str, init: str, warnings: list[str]
) -> float | str:
    if spec.kind == "choice":
        return _parse_choice(raw, spec.name, tuple(spec.choices or ()), spec.default, warnings)
    try:
        value = float(raw.strip())
    except ValueError:
        value = math.nan
    low = -math.inf if spec.low is None else spec.low
    high = math.inf if spec.high is None else spec.high
    if not math.isfinite(value) or not low <= value <= high:
        warnings.append(
            f"`{spec.name}` = `{shown_value(raw)}` is not a valid {spec.label.lower()} for "
            f"{initializers.REGISTRY[init].label} (allowed {format_value(low)} to "
            f"{format_value(high)}); using {format_value(spec.default)}."
        )
        return spec.default
    try:
        initializers.validate_params(init, {spec.name: value})
    except ValueError as error:
        warnings.append(f"`{spec.name}`: {shown_value(error)}; using {format_value(spec.default)}.")
        return spec.default
    return value


def parse_query(query: Mapping[str, str | list[str]]) -> tuple[Config, list[str]]:
    """Build a valid config from query parameters; never raises.

    Parameters
    ----------
    query : mapping of str to str or list of str
        Raw query parameters (repeated keys arrive as lists; the last value wins).

    Returns
    -------
    config : Config
        Every missing or invalid value replaced by its default.
    warnings : list of str
        One Markdown sentence per value that was rejected, naming the parameter.
    """
    warnings: list[str] = []

    def raw(name: str) -> str | None:
        value = query.get(name)
        if isinstance(value, list):
            value = value[-1] if value else None
        return None if value is None else str(value)

    def choice(name: str, choices: tuple[str, ...]) -> str:
        value = raw(name)
        if value is None:
            return DEFAULTS[name]
        return _parse_choice(value, name, choices, DEFAULTS[name], warnings)

    network = choice("network", tuple(networks.KINDS))
    activation = choice("activation", tuple(activations.NAMES))
    init = choice("init", tuple(initializers.REGISTRY))
    limits = LIMITS[network]

    def integer(name: str, low: int, high: int, default: int) -> int:
        value = raw(name)
        return default if value is None else _parse_int(value, name, low, high, default, warnings)

    width = integer(
        "width", limits.width_min, limits.width_max, clamp_width(DEFAULTS["width"], network)
    )
    deepest = max_depth(network, width)
    depth = integer("depth", 1, limits.depth_max, min(DEFAULTS["depth"], deepest))
    if depth > deepest:
        warnings.append(
            f"`depth` = {depth} with {width} units per layer exceeds the server's budget of "
            f"{MAX_HIDDEN_WEIGHTS:,} weights (at most {deepest} layers at this width); "
            f"using {deepest}."
        )
        depth = deepest
    seed = integer("seed", 0, SEED_MAX, DEFAULTS["seed"])

    fitted = fitting_init(network, init)
    if fitted != init:
        warnings.append(
            f"`init` = `{init}` does not apply to a {NETWORK_LABELS[network]}; using {fitted}."
        )
        init = fitted
    spec = initializers.REGISTRY[init]
    params: list[tuple[str, float | str]] = []
    for param in spec.params:
        value = raw(param.name)
        params.append(
            (
                param.name,
                param.default if value is None else _parse_param(param, value, init, warnings),
            )
        )
    own = {p.name for p in spec.params}
    all_param_names = {p.name for s in initializers.REGISTRY.values() for p in s.params}
    for name in query:
        if name in all_param_names and name not in own:
            warnings.append(f"`{shown_value(name)}` does not apply to {spec.label}; ignored.")
    config = Config(network, activation, init, tuple(params), depth, width, seed)
    return config, warnings


def fitting_init(network: str, init: str) -> str:
    """``init`` when it applies to the network type's weights, else its closest analogue.

    Delta-orthogonal is defined for conv kernels only (on dense weights it is just orthogonal);
    the identity needs square-ish 2-D weights (a conv's analogue is delta-orthogonal, whose
    centre tap is an orthogonal matrix).
    """
    if init in networks.supported_inits(network):
        return init
    return "delta_orthogonal" if network == "cnn" else "orthogonal"


def clamp_width(width: int, network: str) -> int:
    """Clamp a width into the network type's allowed range."""
    limits = LIMITS[network]
    return max(limits.width_min, min(limits.width_max, width))


def with_network(config: Config, network: str) -> Config:
    """Switch the network type, clamping depth and width into its limits."""
    width = clamp_width(config.width, network)
    config = replace(
        config,
        network=network,
        depth=max(1, min(max_depth(network, width), config.depth)),
        width=width,
    )
    return with_init(config, fitting_init(network, config.init))


def with_init(config: Config, init: str) -> Config:
    """Switch the initializer; parameters it shares with the old one keep their values."""
    old = config.params
    params = tuple((name, old.get(name, default)) for name, default in default_params(init))
    return replace(config, init=init, init_params=params)


# ---------------------------------------------------------------------------------------------
# Streamlit glue
# ---------------------------------------------------------------------------------------------


def _get() -> Config:
    return st.session_state[_STATE_KEY]


def _set(config: Config) -> None:
    st.session_state[_STATE_KEY] = config


def _on_change(field_name: str, widget_key: str) -> None:
    """Copy one widget's new value into the shared config (runs before the rerun)."""
    config = _get()
    value = st.session_state[widget_key]
    if field_name == "network":
        config = with_network(config, value)
    elif field_name == "init":
        config = with_init(config, value)
    elif field_name.startswith("param:"):
        name = field_name.removeprefix("param:")
        try:  # e.g. σ = 0 typed into a box whose range (0, 10] excludes its minimum
            initializers.validate_params(config.init, {name: value})
        except ValueError as error:
            st.session_state[_NOTICE_KEY] = (
                f"`{name}` = {shown_value(value)} not used: {error}; kept "
                f"{format_value(config.params[name])}."
            )
        else:
            config = replace(
                config,
                init_params=tuple((n, value if n == name else v) for n, v in config.init_params),
            )
    else:
        config = replace(
            config, **{field_name: int(value) if field_name != "activation" else value}
        )
    # The depth slider's range is the network type's, not the weight budget of the current
    # width: a deep-and-wide request is cut to the budget here (and said so on the page).
    deepest = max_depth(config.network, config.width)
    if config.depth > deepest:
        st.session_state[_NOTICE_KEY] = (
            f"{config.depth} layers of {config.width} units exceed the server's budget of "
            f"{MAX_HIDDEN_WEIGHTS:,} weights; using {deepest} layers."
        )
        config = replace(config, depth=deepest)
    _set(config)


def load_config() -> tuple[Config, list[str]]:
    """Return the session's config, parsing the URL on the session's first run.

    Returns
    -------
    config : Config
    warnings : list of str
        URL problems found on this session's first run (empty afterwards).
    """
    if _STATE_KEY not in st.session_state:
        query = st.query_params.to_dict()
        config, warnings = parse_query(query)
        _set(config)
        st.session_state[_WARNINGS_KEY] = warnings
        st.session_state[_INITIAL_QUERY_KEY] = query
    warnings = st.session_state.get(_WARNINGS_KEY, [])
    return _get(), warnings


def initial_query() -> dict[str, str]:
    """The query parameters the session arrived with (before any rewrite of the URL).

    Page widgets created after :func:`shared_config` (which rewrites the URL) read their
    share-link values from here on their first run.
    """
    return dict(st.session_state.get(_INITIAL_QUERY_KEY, {}))


def _seed_widget(key: str, value: Any) -> None:
    st.session_state[key] = value


def shared_config(*, extra_query: Mapping[str, str] | None = None) -> Config:
    """Draw the shared sidebar controls and return the validated config.

    Call once near the top of every page, after ``st.set_page_config``. URL problems found
    on the session's first run are shown as warnings at the top of the page.

    Parameters
    ----------
    extra_query : mapping, optional
        Page-specific query parameters to keep in the URL next to the shared config.

    Returns
    -------
    Config
    """
    config, warnings = load_config()
    for message in warnings:
        st.warning(f"Link parameter ignored: {message}", icon="⚠️")
    notice = st.session_state.pop(_NOTICE_KEY, None)  # a sidebar value the server adjusted
    if notice:
        st.warning(notice, icon="⚠️")

    sidebar = st.sidebar
    sidebar.header("Network")

    def widget(kind: str, field_name: str, label: str, value: Any, **kwargs: Any) -> Any:
        key = f"ctl_{field_name.replace(':', '_')}"
        _seed_widget(key, value)
        maker = getattr(sidebar, kind)
        return maker(label, key=key, on_change=_on_change, args=(field_name, key), **kwargs)

    widget(
        "selectbox",
        "network",
        "Network type",
        config.network,
        options=list(networks.KINDS),
        format_func=NETWORK_LABELS.get,
        help="MLP: dense layers. CNN: 3x3 convolutions on 16x16 images. "
        "RNN: one recurrent weight matrix applied at every time step. "
        "Residual MLP: each block adds its output to its input.",
    )
    widget(
        "selectbox",
        "activation",
        "Activation",
        config.activation,
        options=list(activations.NAMES),
        format_func=lambda n: activations.get(n).label,
    )
    widget(
        "selectbox",
        "init",
        "Initializer",
        config.init,
        options=list(initializers.REGISTRY),
        format_func=lambda n: initializers.REGISTRY[n].label,
        help="How the weights are drawn before training. Formulas on the Reference page.",
    )
    config = _get()
    for param in initializers.REGISTRY[config.init].params:
        value = config.params[param.name]
        if param.kind == "choice":
            widget(
                "selectbox",
                f"param:{param.name}",
                param.label,
                value,
                options=list(param.choices or ()),
                help=param.help,
            )
        else:
            widget(
                "number_input",
                f"param:{param.name}",
                param.label,
                float(value),
                min_value=float(param.low) if param.low is not None else None,
                max_value=float(param.high) if param.high is not None else None,
                format="%g",
                help=param.help,
            )
    limits = LIMITS[config.network]
    widget(
        "slider",
        "depth",
        limits.depth_label,
        config.depth,
        min_value=1,
        max_value=limits.depth_max,
        help=f"1 to {limits.depth_max} for this network type (a limit that keeps a shared "
        "server responsive).",
    )
    widget(
        "slider",
        "width",
        limits.width_label,
        config.width,
        min_value=limits.width_min,
        max_value=limits.width_max,
        help=f"{limits.width_min} to {limits.width_max} for this network type.",
    )
    widget(
        "number_input",
        "seed",
        "Random seed",
        config.seed,
        min_value=0,
        max_value=SEED_MAX,
        step=1,
        help="Same seed, same weights and data: share links reproduce exactly.",
    )
    config = _get()
    sync_url(config, extra_query)
    return config


def sync_url(config: Config, extra_query: Mapping[str, str] | None = None) -> None:
    """Write the config (and page extras) into the URL, only when it changed."""
    query = config.to_query()
    if extra_query:
        query.update(extra_query)
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
