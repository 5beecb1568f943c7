"""URL state, pure: the shared config, its limits and defaults, and every URL-value parser.

Everything a share link can hold is parsed here, without widgets and without Streamlit:

* the shared config (network type, activation, initializer and its parameters, depth, width,
  seed): :class:`Config`, :func:`parse_query`;
* page parameters (page 3's clipping threshold, page 4's k, ...): :class:`PageParam` records
  built with the parser factories :func:`choice`, :func:`nearest`, :func:`integer`,
  :func:`snapped`, parsed by :func:`parse_page_params`;
* the compare picker's ``compare=a,b,c``: :func:`parse_compare`;
* the playground's settings, which depend on each other and on the shared config (the data
  set on the network type, the initializer list on what fits it): :func:`parse_playground`.

Every parser never raises: a missing value takes its default, a bad one falls back to its
default and yields a warning (one Markdown sentence naming the parameter).
:mod:`explorer.sidebar` draws the widgets and keeps session state and the URL in sync.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from core import activations, datasets, initializers, networks, training

InitParams = tuple[tuple[str, float | str], ...]
#: Several initializers drawn side by side: (series label, registry name, parameters) each.
InitSeries = tuple[tuple[str, str, InitParams], ...]
Query = Mapping[str, str | list[str]]


def last_value(query: Query, name: str) -> str | None:
    """The raw value of ``name`` in a query (repeated keys arrive as lists: the last wins)."""
    value = query.get(name)
    if isinstance(value, list):
        value = value[-1] if value else None
    return None if value is None else str(value)


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

_MAX_SHOWN_CHARS = 40


# ---------------------------------------------------------------------------------------------
# The config record
# ---------------------------------------------------------------------------------------------


class Net(NamedTuple):
    """A probe network and its draw: the small, hashable key of the cached experiments.

    Attributes
    ----------
    network : str
        One of ``core.networks.KINDS``.
    activation : str
    depth, width : int
    seed : int
        Seeds the weights and the inputs.
    """

    network: str
    activation: str
    depth: int
    width: int
    seed: int


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
    def net(self) -> Net:
        """The network this config measures (without its initializer)."""
        return Net(self.network, self.activation, self.depth, self.width, self.seed)

    @property
    def size(self) -> tuple[int, int, int]:
        """(depth, width, seed): the network's size and the draw of its weights and inputs."""
        return self.depth, self.width, self.seed

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
# Page parameters: a page's own widgets kept in the share link next to the shared config
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageParam:
    """One page-specific control kept in the URL.

    Attributes
    ----------
    name : str
        Query-parameter name (short, e.g. ``"k"``).
    key : str
        The widget's ``key=`` (page-prefixed, e.g. ``"p4_k"``).
    default : Any
        Value used when the URL does not hold a valid one.
    parse : callable
        ``parse(raw: str) -> value``; raises ValueError with a short reason for invalid input.
    """

    name: str
    key: str
    default: Any
    parse: Callable[[str], Any]


def choice(*options: str) -> Callable[[str], str]:
    """A parser accepting exactly one of ``options``."""

    def parse(raw: str) -> str:
        value = raw.strip()
        if value not in options:
            raise ValueError(f"is not one of {', '.join(options)}")
        return value

    return parse


def _number(raw: str, low: float, high: float) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError("is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"is outside the allowed range {format_value(low)}–{format_value(high)}")
    return value


def nearest(options: Sequence[float], *, low: float, high: float) -> Callable[[str], float]:
    """A parser of a number in ``[low, high]``, snapped to the nearest of ``options`` (log scale).

    Parameters
    ----------
    options : sequence of float
        Positive values a select-slider offers.
    low, high : float
        Allowed range of the raw number.
    """

    def parse(raw: str) -> float:
        value = _number(raw, low, high)
        return min(options, key=lambda o: abs(math.log(o) - math.log(value)))

    return parse


def snapped(*, low: float, high: float, step: float) -> Callable[[str], float]:
    """A parser of a number in ``[low, high]``, rounded to a slider's ``step`` (2 decimals)."""

    def parse(raw: str) -> float:
        value = _number(raw, low, high)
        return round(round(value / step) * step, 2)

    return parse


def integer(*, low: int, high: int) -> Callable[[str], int]:
    """A parser of a whole number in ``[low, high]``."""

    def parse(raw: str) -> int:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError("is not a number") from None
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError("is not a whole number")
        if not low <= value <= high:
            raise ValueError(f"is outside the allowed range {low}–{high}")
        return int(value)

    return parse


#: The page parameter that opens a page's prediction already revealed (instructor links).
REVEAL_PARAM = "reveal"


def parse_reveal(query: Query) -> tuple[bool, list[str]]:
    """``reveal=1`` in a link: open the page's answer at once; never raises.

    Returns
    -------
    revealed : bool
        True for ``1``/``true``/``yes``; False when absent, ``0``/``false``/``no`` or invalid.
    warnings : list of str
        One Markdown sentence when the value is not one of those.
    """
    raw = last_value(query, REVEAL_PARAM)
    if raw is None:
        return False, []
    value = raw.strip().lower()
    if value in ("1", "true", "yes"):
        return True, []
    if value in ("0", "false", "no", ""):
        return False, []
    return False, [f"`{REVEAL_PARAM}` = `{shown_value(raw)}` is not 1 or 0; using 0."]


def query_value(value: Any) -> str:
    """A page parameter's value as it appears in the URL."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int | float):
        return format_value(float(value))
    return str(value)


def parse_page_params(
    params: Sequence[PageParam], query: Query
) -> tuple[dict[str, Any], list[str]]:
    """Parse a page's own parameters from the URL; never raises.

    Parameters
    ----------
    params : sequence of PageParam
    query : mapping of str to str or list of str

    Returns
    -------
    values : dict of str to Any
        By query-parameter name; missing or invalid values replaced by their defaults.
    warnings : list of str
        One Markdown sentence per rejected value, naming the parameter.
    """
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for param in params:
        raw = last_value(query, param.name)
        if raw is None:
            values[param.name] = param.default
            continue
        try:
            values[param.name] = param.parse(raw)
        except ValueError as error:
            warnings.append(
                f"`{param.name}` = `{shown_value(raw)}` {error}; "
                f"using {query_value(param.default)}."
            )
            values[param.name] = param.default
    return values, warnings


# ---------------------------------------------------------------------------------------------
# The compare picker: ``compare=he_normal,orthogonal``
# ---------------------------------------------------------------------------------------------

#: At most this many initializers side by side (bounded work per rerun on a shared server).
MAX_COMPARED = 6
#: Query parameter holding the choice in share links: ``compare=he_normal,orthogonal``.
COMPARE_PARAM = "compare"


def parse_compare(raw: str | None, options: Sequence[str]) -> tuple[list[str], list[str]]:
    """Initializer names from a share link's ``compare=a,b,c``; never raises.

    Parameters
    ----------
    raw : str or None
        The raw URL value.
    options : sequence of str
        The initializers that may be chosen on this page and network type.

    Returns
    -------
    names : list of str
        Known names in link order, without duplicates, at most :data:`MAX_COMPARED`; empty
        when nothing valid was given (the page then shows its default comparison).
    warnings : list of str
        Names that were skipped (unknown, not offered here, or over the cap).
    """
    if not raw:
        return [], []
    names = [name.strip() for name in str(raw).split(",") if name.strip()]
    unique = list(dict.fromkeys(names))
    known = [name for name in unique if name in options]
    warnings: list[str] = []
    bad = [name for name in unique if name not in options]
    if bad:
        warnings.append(
            f"`{COMPARE_PARAM}`: `{shown_value(','.join(bad))}` not available here; skipped."
        )
    if len(known) > MAX_COMPARED:
        warnings.append(
            f"`{COMPARE_PARAM}`: at most {MAX_COMPARED} initializers; kept the first "
            f"{MAX_COMPARED}."
        )
    return known[:MAX_COMPARED], warnings


def compare_choices(network: str, *, exclude: Sequence[str] = ()) -> list[str]:
    """Initializers that apply to the network type, in registry order, minus ``exclude``."""
    return [name for name in networks.supported_inits(network) if name not in exclude]


def merge_compare(
    current: Sequence[str],
    old_default: Sequence[str],
    new_default: Sequence[str],
    options: Sequence[str],
) -> list[str]:
    """The selection after the page's defaults changed: new defaults plus the visitor's additions.

    Parameters
    ----------
    current : sequence of str
        What is selected now.
    old_default, new_default : sequence of str
        The page's default series before and after the sidebar change.
    options : sequence of str
        What may be selected now (the network type may have changed).

    Returns
    -------
    list of str
        At most :data:`MAX_COMPARED` names, all in ``options``, no duplicates.
    """
    added = [name for name in current if name not in old_default]
    merged = list(dict.fromkeys([*new_default, *added]))
    return [name for name in merged if name in options][:MAX_COMPARED]


def compare_series(config: Config, names: Sequence[str]) -> InitSeries:
    """(label, init, params) of the chosen initializers.

    The sidebar's initializer keeps the visitor's parameters; any other uses its defaults.
    """
    return tuple(
        (
            initializers.REGISTRY[name].label,
            name,
            config.init_params if name == config.init else default_params(name),
        )
        for name in names
    )


# ---------------------------------------------------------------------------------------------
# The playground's settings (page 6): one group that depends on the shared config
# ---------------------------------------------------------------------------------------------

DataOptions = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class PlaygroundPreset:
    """Defaults and server-protecting limits of the playground for one network type.

    Attributes
    ----------
    dataset : str
        Default data set (a key of ``core.datasets.DATASETS`` that fits the network).
    depth, depth_max, width, width_max : int
        Size of the trained network: default and upper limit (lower limits are 1 and 2).
    n : int
        Number of training samples drawn from the data set.
    optimizer : str
    lr : float
    steps, steps_max : int
    batch : int
        Mini-batch size; 0 means the whole data set every step.
    """

    dataset: str
    depth: int
    depth_max: int
    width: int
    width_max: int
    n: int
    optimizer: str
    lr: float
    steps: int
    steps_max: int
    batch: int


PLAYGROUND_PRESETS: dict[str, PlaygroundPreset] = {
    "mlp": PlaygroundPreset("moons", 4, 30, 32, 128, 512, "sgd", 0.1, 300, 2000, 128),
    "resmlp": PlaygroundPreset("moons", 4, 30, 32, 128, 512, "sgd", 0.1, 300, 2000, 128),
    "cnn": PlaygroundPreset("shapes", 3, 6, 8, 16, 256, "adam", 0.01, 150, 500, 32),
    "rnn": PlaygroundPreset("adding", 1, 3, 32, 64, 512, "adam", 0.01, 500, 2000, 64),
}


PLAYGROUND_MAX_INITS = 6


PLAYGROUND_LRS: tuple[float, ...] = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)


#: Mini-batch sizes offered; 0 = full batch.
PLAYGROUND_BATCHES: tuple[int, ...] = (16, 32, 64, 128, 256, 0)


#: Clipping thresholds of the global gradient norm offered; 0 = no clipping.
PLAYGROUND_CLIPS: tuple[float, ...] = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0)


#: The playground's own query parameters and the keys of their widgets.
PLAYGROUND_WIDGETS: dict[str, str] = {
    "data": "pg6_data",
    "inits": "pg6_inits",
    "optimizer": "pg6_optimizer",
    "lr": "pg6_lr",
    "steps": "pg6_steps",
    "batch": "pg6_batch",
    "clip": "pg6_clip",
    "train_depth": "pg6_depth",
    "train_width": "pg6_width",
    "length": "pg6_length",
}
#: The playground's own query parameters (next to the shared config in the share link).
PLAYGROUND_QUERY_KEYS: tuple[str, ...] = tuple(PLAYGROUND_WIDGETS)


#: Sequence length of the RNN tasks: default and the server's limit.
PLAYGROUND_LENGTH = 20


PLAYGROUND_LENGTH_MAX = 100


#: Initializers the default comparison adds to the user's, in order of preference: the
#: tutorial's small random weights against the schemes designed for each network type.
_COMPARE_WITH: dict[str, tuple[str, ...]] = {
    "mlp": ("small_random", "glorot_normal", "he_normal", "lecun_normal", "orthogonal"),
    "resmlp": ("small_random", "glorot_normal", "he_normal", "lecun_normal", "orthogonal"),
    "cnn": ("small_random", "he_normal", "delta_orthogonal", "glorot_normal", "lecun_normal"),
    "rnn": ("small_random", "orthogonal", "identity", "glorot_normal", "he_normal"),
}


@dataclass(frozen=True)
class PlaygroundSettings:
    """Everything the playground's own widgets choose (validated)."""

    dataset: str
    inits: tuple[str, ...]
    optimizer: str
    lr: float
    steps: int
    batch: int
    clip: float
    depth: int
    width: int
    length: int

    def data_options(self) -> DataOptions:
        """Options passed to ``core.datasets.load`` (the sequence length of the RNN tasks)."""
        return _data_options(self.dataset, self.length)

    def to_query(self) -> dict[str, str]:
        """The settings as query parameters (names in :data:`PLAYGROUND_QUERY_KEYS`).

        ``length`` is included only for the sequence tasks, where it applies.
        """
        return {
            "data": self.dataset,
            "inits": ",".join(self.inits),
            "optimizer": self.optimizer,
            "lr": format_value(self.lr),
            "steps": str(self.steps),
            "batch": str(self.batch),
            "clip": format_value(self.clip),
            "train_depth": str(self.depth),
            "train_width": str(self.width),
        } | ({"length": str(self.length)} if self.data_options() else {})


def playground_length_max(dataset: str) -> int:
    """Longest sequence the playground trains on for ``dataset`` (0: not a sequence task)."""
    for option in datasets.DATASETS[dataset].options:
        if option.name == "length":
            return int(min(option.high, PLAYGROUND_LENGTH_MAX))
    return 0


def _data_options(dataset: str, length: int) -> DataOptions:
    """``(("length", T),)`` for sequence tasks (T clamped to the task's range), else ``()``."""
    high = playground_length_max(dataset)
    return (("length", max(2, min(int(length), high))),) if high else ()


def playground_datasets(network: str) -> tuple[str, ...]:
    """Data sets whose inputs fit the network type, in registry order."""
    return tuple(name for name, spec in datasets.DATASETS.items() if network in spec.kinds)


def playground_default_inits(network: str, user_init: str) -> tuple[str, ...]:
    """The default comparison: the user's initializer plus three classics that fit the network."""
    allowed = networks.supported_inits(network)
    picks = [user_init] if user_init in allowed else []
    for name in _COMPARE_WITH[network]:
        if len(picks) == 4:
            break
        if name in allowed and name not in picks:
            picks.append(name)
    return tuple(picks)


def parse_playground(
    raw: Mapping[str, object], shared: Config
) -> tuple[PlaygroundSettings, dict[str, str]]:
    """Validate the playground's settings as one group, given the shared config; never raises.

    The settings depend on each other and on the shared config: the data sets offered depend
    on the network type (2-D points for MLPs, images for the CNN, sequences for the RNN); the
    sequence length applies only to sequence tasks; the initializers offered are those that
    fit the network type, and the default comparison starts with the sidebar's initializer;
    the limits of steps and of the trained network's size are the network type's preset.

    Parameters
    ----------
    raw : mapping
        Values by query name (:data:`PLAYGROUND_QUERY_KEYS`), as strings (URL) or as widget
        values. Missing names take their default.
    shared : Config
        The shared config: its network type decides data sets, initializers and limits, its
        initializer comes first in the default comparison.

    Returns
    -------
    settings : PlaygroundSettings
    problems : dict of str to str
        One Markdown sentence per rejected value, by query name.
    """
    network, user_init = shared.network, shared.init
    preset = PLAYGROUND_PRESETS[network]
    problems: dict[str, str] = {}

    def reject(name: str, why: str, default: object) -> None:
        shown = f"{default:g}" if isinstance(default, float) else default
        problems[name] = f"`{name}` = `{shown_value(raw[name])}` {why}; using {shown}."

    def number(name: str, default: float, low: float, high: float, *, whole: bool) -> float:
        if name not in raw:
            return default
        try:
            value = float(str(raw[name]).strip())
        except ValueError:
            reject(name, "is not a number", default)
            return default
        if not math.isfinite(value) or (whole and not value.is_integer()):
            reject(name, "is not a whole number" if whole else "is not a number", default)
            return default
        if not low <= value <= high:
            reject(name, f"is outside the allowed range {low:g}–{high:g}", default)
            return default
        return value

    def choice(name: str, options: tuple[str, ...], default: str) -> str:
        if name not in raw:
            return default
        value = str(raw[name]).strip()
        if value not in options:
            reject(name, f"is not one of {', '.join(options)}", default)
            return default
        return value

    dataset = choice("data", playground_datasets(network), preset.dataset)
    optimizer = choice("optimizer", training.OPTIMIZERS, preset.optimizer)
    lr = number("lr", preset.lr, PLAYGROUND_LRS[0], PLAYGROUND_LRS[-1], whole=False)
    lr = min(PLAYGROUND_LRS, key=lambda o: abs(math.log(o) - math.log(lr)))
    steps = int(number("steps", preset.steps, 10, preset.steps_max, whole=True))
    batch = int(number("batch", preset.batch, 0, 256, whole=True))
    if batch not in PLAYGROUND_BATCHES:
        problems["batch"] = (
            f"`batch` = `{batch}` is not one of "
            f"{', '.join(map(str, PLAYGROUND_BATCHES))} (0 = full batch); using {preset.batch}."
        )
        batch = preset.batch
    clip = number("clip", 0.0, 0.0, PLAYGROUND_CLIPS[-1], whole=False)
    if clip not in PLAYGROUND_CLIPS:
        clip = min(PLAYGROUND_CLIPS, key=lambda o: abs(o - clip))
    depth = int(number("train_depth", preset.depth, 1, preset.depth_max, whole=True))
    width = int(number("train_width", preset.width, 2, preset.width_max, whole=True))
    length = int(number("length", PLAYGROUND_LENGTH, 2, PLAYGROUND_LENGTH_MAX, whole=True))

    defaults = playground_default_inits(network, user_init)
    inits = defaults
    if "inits" in raw:
        value = raw["inits"]
        names = value if isinstance(value, list | tuple) else str(value).split(",")
        names = [str(n).strip() for n in names if str(n).strip()]
        allowed = networks.supported_inits(network)
        bad = [n for n in names if n not in allowed]
        picked = tuple(dict.fromkeys(n for n in names if n in allowed))
        if bad:
            problems["inits"] = (
                f"`inits`: `{shown_value(','.join(bad))}` not available for this network "
                f"type (valid: {', '.join(allowed)}); ignored."
            )
        if len(picked) > PLAYGROUND_MAX_INITS:
            problems["inits"] = (
                f"`inits`: at most {PLAYGROUND_MAX_INITS} initializers; kept the first "
                f"{PLAYGROUND_MAX_INITS}."
            )
            picked = picked[:PLAYGROUND_MAX_INITS]
        inits = picked if picked or not bad else defaults
    settings = PlaygroundSettings(
        dataset, inits, optimizer, lr, steps, batch, clip, depth, width, length
    )
    return settings, problems


def parse_playground_query(query: Query) -> dict[str, str]:
    """The playground's raw values in a URL (by query name), ready for :func:`parse_playground`."""
    raw = {name: last_value(query, name) for name in PLAYGROUND_QUERY_KEYS}
    return {name: value for name, value in raw.items() if value is not None}
