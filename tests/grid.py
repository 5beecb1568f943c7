"""The configuration grid the claim tests sweep (issue [2/4]): activations and initializers."""

from core.activations import NAMES

#: All ten activations of the app.
ACTIVATIONS: tuple[str, ...] = tuple(NAMES)
#: The initializers the claim grids cover: the symmetric ones, the tutorial's small and large
#: random weights, the variance-scaling presets and the orthogonal family.
INITS: tuple[str, ...] = (
    "zeros",
    "constant",
    "small_random",
    "large_random",
    "lecun_normal",
    "glorot_normal",
    "he_normal",
    "orthogonal",
    "identity",
)
