"""Seeded toy data sets, generated in code (no downloads).

Every loader is reached through :func:`load`, which is deterministic given ``seed``:
the same ``(name, n, seed, options)`` always returns bit-identical arrays.

Families
--------
- 2-D classification, ``x (n, 2)`` float64, ``y (n,)`` int64 labels: ``moons``, ``circles``,
  ``spiral`` (``n_classes`` arms), ``xor``, ``blobs``. Classes are balanced: class ``c`` gets
  ``n // k + (c < n % k)`` points, so counts differ by at most one. Rows come in random order.
- small images for the CNN, ``x (n, 16, 16, 1)`` float64, ``y (n,)`` int64: ``shapes``, filled
  synthetic shapes (square, disc, triangle, bar, cross) at random position and size with pixel
  noise, in the spirit of Glorot & Bengio's (2010) Shapeset. Balanced like the 2-D sets.
- sequences for the RNN, where gradients must travel through time: ``adding``
  (``x (n, T, 2)``, ``y (n, 1)`` float64, regression) and ``parity`` (``x (n, T, 1)`` bits,
  ``y (n,)`` int64 parity, exactly balanced).
- ``linear_teacher``, ``x (n, d_in)``, ``y = x A^T + noise`` of shape ``(n, d_out)``, the task of
  Saxe et al.'s (2013) deep linear networks.

:data:`DATASETS` describes every set (task, input shape, outputs, default loss, the network kinds
it suits, its options with defaults and ranges) so a user interface can build pickers from it.

References
----------
Glorot, X. & Bengio, Y. (2010). Understanding the difficulty of training deep feedforward neural
networks. AISTATS.
Hochreiter, S. & Schmidhuber, J. (1997). Long short-term memory. Neural Computation 9(8).
Le, Q. V., Jaitly, N. & Hinton, G. E. (2015). A Simple Way to Initialize Recurrent Networks of
Rectified Linear Units. arXiv:1504.00941.
Saxe, A. M., McClelland, J. L. & Ganguli, S. (2013). Exact solutions to the nonlinear dynamics of
learning in deep linear neural networks. arXiv:1312.6120.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from core._checks import check_int

MAX_N: int = 20000
"""Largest number of samples :func:`load` generates (keeps the hosted app responsive)."""

IMAGE_SIZE: int = 16
"""Side of the square ``shapes`` images, in pixels."""

SHAPE_CLASSES: tuple[str, ...] = ("square", "disc", "triangle", "bar", "cross")
"""Class names of the ``shapes`` set, in label order (``n_classes`` keeps the first ones)."""

Task = Literal["classification", "regression"]
LossName = Literal["cross_entropy", "mse"]


@dataclass(frozen=True)
class OptionSpec:
    """One option of a data set.

    Attributes
    ----------
    name : str
        Keyword accepted by :func:`load`.
    label : str
        Human-readable label for a widget.
    kind : {"float", "int"}
        Type of the value; ints are checked to be integral.
    default : float or int
        Value used when the option is not given.
    low, high : float
        Inclusive range of valid values.
    help : str
        One sentence explaining the option.
    """

    name: str
    label: str
    kind: Literal["float", "int"]
    default: float | int
    low: float
    high: float
    help: str


@dataclass(frozen=True)
class DatasetSpec:
    """Description of a data set, for pickers and for choosing a network.

    Attributes
    ----------
    name : str
        Key of :data:`DATASETS` and the ``name`` argument of :func:`load`.
    label : str
        Human-readable name.
    task : {"classification", "regression"}
        Classification sets return int64 labels ``y (n,)``; regression sets float64 ``y (n, d)``.
    input_shape : tuple of int
        Shape of one sample at the default options (see :func:`input_shape_of` for others).
    n_outputs : int
        Number of classes or regression targets at the default options (:func:`n_outputs_of`).
    loss : {"cross_entropy", "mse"}
        The loss to train with.
    description : str
        One or two sentences for the page.
    kinds : tuple of str
        Network kinds (``core.networks.KINDS``) whose input this set fits.
    options : tuple of OptionSpec
        Keyword options of :func:`load` for this set, with defaults and ranges.
    reference : str
        Where the task comes from ("" when it is folklore).
    """

    name: str
    label: str
    task: Task
    input_shape: tuple[int, ...]
    n_outputs: int
    loss: LossName
    description: str
    kinds: tuple[str, ...]
    options: tuple[OptionSpec, ...]
    reference: str = ""


def _noise(default: float, high: float = 2.0, help_: str | None = None) -> OptionSpec:
    return OptionSpec(
        name="noise",
        label="Noise",
        kind="float",
        default=default,
        low=0.0,
        high=high,
        help=help_ or "Standard deviation of the Gaussian noise added to each coordinate.",
    )


_TWO_D_KINDS = ("mlp", "resmlp")


def _two_d(
    name: str, label: str, n_outputs: int, description: str, *options: OptionSpec
) -> DatasetSpec:
    """A 2-D point classification set (input (2,), cross-entropy, mlp/resmlp)."""
    return DatasetSpec(
        name=name,
        label=label,
        task="classification",
        input_shape=(2,),
        n_outputs=n_outputs,
        loss="cross_entropy",
        description=description,
        kinds=_TWO_D_KINDS,
        options=options,
    )


DATASETS: dict[str, DatasetSpec] = {
    "moons": _two_d(
        "moons",
        "Two moons",
        2,
        "Two interleaving half circles: needs a curved decision boundary.",
        _noise(0.1),
    ),
    "circles": _two_d(
        "circles",
        "Concentric circles",
        2,
        "A small circle inside a large one: no straight line separates them.",
        _noise(0.08),
        OptionSpec(
            "factor",
            "Inner radius",
            "float",
            0.5,
            0.05,
            0.95,
            "Radius of the inner circle relative to the outer one (radius 1).",
        ),
    ),
    "spiral": _two_d(
        "spiral",
        "Spiral",
        3,
        "Interleaved spiral arms, one per class: hard for a shallow or stalled net.",
        _noise(0.08),
        OptionSpec("n_classes", "Arms", "int", 3, 2, 8, "Number of arms (= classes)."),
        OptionSpec("turns", "Turns", "float", 0.75, 0.25, 2.0, "How far each arm winds, in turns."),
    ),
    "xor": _two_d(
        "xor",
        "XOR",
        2,
        "Points in the four quadrants; the label is the sign of x1 * x2.",
        _noise(0.1),
    ),
    "blobs": _two_d(
        "blobs",
        "Gaussian blobs",
        3,
        "Gaussian clusters on a circle of radius 2: almost linearly separable.",
        _noise(0.5, high=3.0, help_="Standard deviation of each cluster."),
        OptionSpec("n_classes", "Clusters", "int", 3, 2, 8, "Number of clusters (= classes)."),
    ),
    "shapes": DatasetSpec(
        name="shapes",
        label="Shapes (16x16 images)",
        task="classification",
        input_shape=(IMAGE_SIZE, IMAGE_SIZE, 1),
        n_outputs=4,
        loss="cross_entropy",
        description=(
            "Grey 16x16 images of a filled square, disc, triangle, bar or cross at random "
            "position, size and brightness, with pixel noise."
        ),
        kinds=("cnn",),
        options=(
            _noise(0.1, high=1.0, help_="Standard deviation of the Gaussian noise per pixel."),
            OptionSpec(
                "n_classes",
                "Classes",
                "int",
                4,
                2,
                len(SHAPE_CLASSES),
                "Number of shape classes, taken in the order " + ", ".join(SHAPE_CLASSES) + ".",
            ),
        ),
        reference="Glorot & Bengio (2010), Shapeset",
    ),
    "adding": DatasetSpec(
        name="adding",
        label="Adding problem",
        task="regression",
        input_shape=(30, 2),
        n_outputs=1,
        loss="mse",
        description=(
            "A sequence of random numbers in [0, 1) and a marker channel with two ones (one in "
            "each half); the target is the sum of the two marked numbers. The first marker is "
            "far back, so the gradient must travel through time."
        ),
        kinds=("rnn",),
        options=(OptionSpec("length", "Length T", "int", 30, 2, 200, "Number of time steps."),),
        reference="Hochreiter & Schmidhuber (1997); Le, Jaitly & Hinton (2015)",
    ),
    "parity": DatasetSpec(
        name="parity",
        label="Parity",
        task="classification",
        input_shape=(8, 1),
        n_outputs=2,
        loss="cross_entropy",
        description="A sequence of bits; the label is 1 when the number of ones is odd.",
        kinds=("rnn",),
        options=(OptionSpec("length", "Length T", "int", 8, 1, 64, "Number of bits."),),
    ),
    "linear_teacher": DatasetSpec(
        name="linear_teacher",
        label="Linear teacher",
        task="regression",
        input_shape=(8,),
        n_outputs=8,
        loss="mse",
        description=(
            "x ~ N(0, I) and y = x A^T + noise for a fixed matrix A with singular values spread "
            "evenly from 2 down to 0.5: the task of Saxe et al.'s deep linear networks."
        ),
        kinds=("mlp", "resmlp"),
        options=(
            OptionSpec("d_in", "Input dimension", "int", 8, 1, 256, "Number of input features."),
            OptionSpec("d_out", "Output dimension", "int", 8, 1, 256, "Number of targets."),
            _noise(0.01, high=1.0, help_="Standard deviation of the noise added to y."),
        ),
        reference="Saxe, McClelland & Ganguli (2013), arXiv:1312.6120",
    ),
}
"""Every data set :func:`load` knows, in display order."""


# --------------------------------------------------------------------------- validation


def _spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise ValueError(f"Unknown data set {name!r}; valid names: {', '.join(DATASETS)}.")
    return DATASETS[name]


def validate_options(name: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check the options of data set ``name`` and fill in defaults.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`.
    options : dict, optional
        Keyword options as passed to :func:`load`.

    Returns
    -------
    dict
        Every option of the set, ints as ``int`` and floats as ``float``.

    Raises
    ------
    ValueError
        Unknown data set (the message lists the valid names), unknown option (lists the valid
        options), non-numeric or non-integral value, or value outside ``[low, high]``.
    """
    spec = _spec(name)
    given = dict(options or {})
    valid = {o.name: o for o in spec.options}
    unknown = sorted(set(given) - set(valid))
    if unknown:
        listed = ", ".join(valid) if valid else "none"
        raise ValueError(
            f"Unknown option(s) {', '.join(unknown)} for data set {name!r}; "
            f"valid options: {listed}."
        )
    out: dict[str, Any] = {}
    for opt in spec.options:
        value = given.get(opt.name, opt.default)
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise ValueError(f"Option {opt.name!r} of {name!r} must be a number, got {value!r}.")
        # int(inf) would raise OverflowError and int(nan) a vague message; Python ints are
        # exact (float(10**400) would overflow), so only floats are checked.
        if isinstance(value, float | np.floating) and not np.isfinite(value):
            raise ValueError(f"Option {opt.name!r} of {name!r} must be finite, got {value}.")
        if opt.kind == "int":
            if isinstance(value, float | np.floating) and not float(value).is_integer():
                raise ValueError(
                    f"Option {opt.name!r} of {name!r} must be an integer, got {value}."
                )
            value = int(value)
        else:
            try:
                value = float(value)
            except OverflowError:  # a Python int beyond float range
                raise ValueError(
                    f"Option {opt.name!r} of {name!r} must lie in [{opt.low}, {opt.high}]."
                ) from None
        if not (opt.low <= value <= opt.high):
            raise ValueError(
                f"Option {opt.name!r} of {name!r} must lie in [{opt.low}, {opt.high}], got {value}."
            )
        out[opt.name] = value
    return out


def input_shape_of(name: str, **options: Any) -> tuple[int, ...]:
    """Shape of one sample of data set ``name`` with the given options.

    Raises
    ------
    ValueError
        As :func:`validate_options`.
    """
    opts = validate_options(name, options)
    if name in ("adding", "parity"):
        return (opts["length"], 2 if name == "adding" else 1)
    if name == "linear_teacher":
        return (opts["d_in"],)
    return DATASETS[name].input_shape


def n_outputs_of(name: str, **options: Any) -> int:
    """Number of classes (classification) or targets (regression) of ``name`` with ``options``.

    Raises
    ------
    ValueError
        As :func:`validate_options`.
    """
    opts = validate_options(name, options)
    if "n_classes" in opts:
        return opts["n_classes"]
    if name == "linear_teacher":
        return opts["d_out"]
    return DATASETS[name].n_outputs


# --------------------------------------------------------------------------- generators


def _balanced_labels(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Labels ``0..k-1`` in random order, class ``c`` appearing ``n // k + (c < n % k)`` times."""
    labels = np.arange(n, dtype=np.int64) % k
    return rng.permutation(labels)


def _moons(n: int, rng: np.random.Generator, *, noise: float) -> tuple[np.ndarray, np.ndarray]:
    y = _balanced_labels(n, 2, rng)
    t = rng.uniform(0.0, np.pi, size=n)
    # Upper moon: unit half circle; lower moon: shifted and flipped (as scikit-learn's make_moons),
    # then centred so the data sit around the origin.
    x = np.where(
        (y == 0)[:, None],
        np.stack([np.cos(t), np.sin(t)], axis=1),
        np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1),
    )
    x = x - np.array([0.5, 0.25])
    x = x + noise * rng.standard_normal((n, 2))
    return x, y


def _circles(
    n: int, rng: np.random.Generator, *, noise: float, factor: float
) -> tuple[np.ndarray, np.ndarray]:
    y = _balanced_labels(n, 2, rng)
    t = rng.uniform(0.0, 2.0 * np.pi, size=n)
    radius = np.where(y == 0, 1.0, factor)
    x = radius[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)
    x = x + noise * rng.standard_normal((n, 2))
    return x, y


def _spiral(
    n: int, rng: np.random.Generator, *, noise: float, n_classes: int, turns: float
) -> tuple[np.ndarray, np.ndarray]:
    y = _balanced_labels(n, n_classes, rng)
    t = rng.uniform(0.0, 1.0, size=n)
    radius = 0.1 + 1.4 * t
    theta = 2.0 * np.pi * (y / n_classes + turns * t)
    x = radius[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    x = x + noise * rng.standard_normal((n, 2))
    return x, y


def _xor(n: int, rng: np.random.Generator, *, noise: float) -> tuple[np.ndarray, np.ndarray]:
    y = _balanced_labels(n, 2, rng)
    # Class 1: sign(x1 * x2) < 0. Pick one of the class's two quadrants at random; the small gap
    # (0.05) around the axes keeps the noiseless labels unambiguous.
    s1 = rng.choice(np.array([-1.0, 1.0]), size=n)
    s2 = np.where(y == 1, -s1, s1)
    mag = rng.uniform(0.05, 1.0, size=(n, 2))
    x = np.stack([s1, s2], axis=1) * mag
    x = x + noise * rng.standard_normal((n, 2))
    return x, y


def _blobs(
    n: int, rng: np.random.Generator, *, noise: float, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    y = _balanced_labels(n, n_classes, rng)
    angle = 2.0 * np.pi * np.arange(n_classes) / n_classes
    centres = 2.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    x = centres[y] + noise * rng.standard_normal((n, 2))
    return x, y


def _shapes(
    n: int, rng: np.random.Generator, *, noise: float, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    y = _balanced_labels(n, n_classes, rng)
    size = IMAGE_SIZE
    half = rng.uniform(3.0, 6.5, size=n)  # half-size in pixels
    cx = rng.uniform(half, size - half)
    cy = rng.uniform(half, size - half)
    brightness = rng.uniform(0.5, 1.0, size=n)
    vertical = rng.random(n) < 0.5  # orientation of bars
    centres = np.arange(size) + 0.5
    dx = centres[None, None, :] - cx[:, None, None]  # (n, 1, W): column offset
    dy = centres[None, :, None] - cy[:, None, None]  # (n, H, 1): row offset (downwards)
    s = half[:, None, None]
    thick = np.maximum(1.0, s / 4.0)
    adx, ady = np.abs(dx), np.abs(dy)
    masks = {
        "square": (adx <= s) & (ady <= s),
        "disc": dx**2 + dy**2 <= s**2,
        # Upright isosceles triangle: apex at the top (dy = -s), base of width 2s at dy = +s.
        "triangle": (ady <= s) & (adx <= (dy + s) / 2.0),
        "bar": np.where(
            vertical[:, None, None], (adx <= thick) & (ady <= s), (adx <= s) & (ady <= thick)
        ),
        "cross": ((adx <= thick) & (ady <= s)) | ((adx <= s) & (ady <= thick)),
    }
    images = np.zeros((n, size, size), dtype=np.float64)
    for label, cls in enumerate(SHAPE_CLASSES[:n_classes]):
        rows = y == label
        images[rows] = masks[cls][rows] * brightness[rows, None, None]
    images = images + noise * rng.standard_normal(images.shape)
    return images[..., None], y


def _adding(n: int, rng: np.random.Generator, *, length: int) -> tuple[np.ndarray, np.ndarray]:
    values = rng.uniform(0.0, 1.0, size=(n, length))
    first_half = max(1, length // 2)
    i = rng.integers(0, first_half, size=n)
    j = rng.integers(first_half, length, size=n)
    markers = np.zeros((n, length))
    rows = np.arange(n)
    markers[rows, i] = 1.0
    markers[rows, j] = 1.0
    x = np.stack([values, markers], axis=2)
    y = (values[rows, i] + values[rows, j])[:, None]
    return x, y


def _parity(n: int, rng: np.random.Generator, *, length: int) -> tuple[np.ndarray, np.ndarray]:
    y = _balanced_labels(n, 2, rng)
    bits = rng.integers(0, 2, size=(n, length))
    # Flip one uniformly chosen bit where the parity disagrees with the drawn label: the result
    # is uniform over the bit strings of that parity, and the classes are exactly balanced.
    wrong = (bits.sum(axis=1) % 2) != y
    pos = rng.integers(0, length, size=n)
    rows = np.flatnonzero(wrong)
    bits[rows, pos[rows]] ^= 1
    return bits[..., None].astype(np.float64), y


def teacher_matrix(*, d_in: int, d_out: int, rng: np.random.Generator) -> np.ndarray:
    """The linear teacher ``A (d_out, d_in)`` of the ``linear_teacher`` set.

    ``A = U diag(s) V^T`` with Haar-random orthonormal ``U (d_out, r)``, ``V (d_in, r)``,
    ``r = min(d_in, d_out)`` and singular values ``s`` evenly spaced from 2 down to 0.5
    (a single value 2 when ``r = 1``). Saxe et al. show that a deep linear network learns each
    singular mode in a time proportional to ``1 / s``; a known spread keeps that time bounded.

    Parameters
    ----------
    d_in, d_out : int
        Input and output dimensions.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray
        ``(d_out, d_in)`` float64.
    """
    r = min(d_in, d_out)

    def haar(m: int) -> np.ndarray:
        q, rr = np.linalg.qr(rng.standard_normal((m, r)))
        return q * np.sign(np.diag(rr))

    u, v = haar(d_out), haar(d_in)
    s = np.linspace(2.0, 0.5, r) if r > 1 else np.array([2.0])
    return (u * s) @ v.T


def _linear_teacher(
    n: int, rng: np.random.Generator, *, d_in: int, d_out: int, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    a = teacher_matrix(d_in=d_in, d_out=d_out, rng=rng)
    x = rng.standard_normal((n, d_in))
    y = x @ a.T + noise * rng.standard_normal((n, d_out))
    return x, y


_GENERATORS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "moons": _moons,
    "circles": _circles,
    "spiral": _spiral,
    "xor": _xor,
    "blobs": _blobs,
    "shapes": _shapes,
    "adding": _adding,
    "parity": _parity,
    "linear_teacher": _linear_teacher,
}


def load(name: str, n: int, seed: int, **options: Any) -> tuple[np.ndarray, np.ndarray]:
    """Generate ``n`` samples of data set ``name``, deterministically from ``seed``.

    Shapes and class balance per set (see the module docstring and :data:`DATASETS`):

    ==============  ==========================  =====================  ==========================
    name            x                           y                      balance
    ==============  ==========================  =====================  ==========================
    moons           (n, 2)                      (n,) int64, 2 classes  counts differ by <= 1
    circles         (n, 2)                      (n,) int64, 2 classes  counts differ by <= 1
    spiral          (n, 2)                      (n,) int64, k arms     counts differ by <= 1
    xor             (n, 2)                      (n,) int64, 2 classes  counts differ by <= 1
    blobs           (n, 2)                      (n,) int64, k classes  counts differ by <= 1
    shapes          (n, 16, 16, 1)              (n,) int64, k classes  counts differ by <= 1
    adding          (n, T, 2)                   (n, 1) float64         regression
    parity          (n, T, 1) bits 0.0 / 1.0    (n,) int64, 2 classes  counts differ by <= 1
    linear_teacher  (n, d_in)                   (n, d_out) float64     regression
    ==============  ==========================  =====================  ==========================

    The linear teacher's matrix ``A`` depends only on ``seed``, ``d_in`` and ``d_out`` (not on
    ``n``); recover it with
    ``teacher_matrix(d_in=d_in, d_out=d_out, rng=np.random.default_rng(seed))``.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`.
    n : int
        Number of samples, ``1 <= n <= MAX_N``.
    seed : int
        Non-negative seed of the ``numpy.random.Generator`` that draws everything.
    **options
        Options of the set (see ``DATASETS[name].options``), e.g. ``noise=0.2``.

    Returns
    -------
    x : numpy.ndarray
        float64 inputs, shape as in the table.
    y : numpy.ndarray
        int64 labels (classification) or float64 targets (regression).

    Raises
    ------
    ValueError
        Unknown name or option (the message lists the valid ones), option out of range,
        ``n`` outside ``[1, MAX_N]`` or not an integer, negative or non-integer ``seed``.
    """
    opts = validate_options(name, options)
    n = check_int("n", n, 1, MAX_N)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    rng = np.random.default_rng(seed)
    x, y = _GENERATORS[name](n, rng, **opts)
    return np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(y)
