"""One-line network construction, shared by the benchmarks and the tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core import networks


def make_net(
    kind: str,
    input_shape: Sequence[int],
    n_outputs: int,
    depth: int,
    width: int,
    activation: str,
    init: str,
    rng: int | np.random.Generator = 0,
    **kwargs: object,
) -> networks.Network:
    """``networks.build`` with positional arguments; ``rng`` a generator or a seed."""
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    kwargs.update(input_shape=tuple(input_shape), n_outputs=n_outputs, depth=depth, width=width)
    return networks.build(kind, activation=activation, init=init, rng=rng, **kwargs)
