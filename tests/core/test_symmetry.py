"""Tests for core.symmetry: distinct neurons, cosine similarity, per-layer summary."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.networks import build
from core.symmetry import MAX_SIMILARITY_NEURONS, cosine_similarity, distinct_neurons, summarize


def brute_force_groups(m, atol):
    """Reference: the same greedy grouping in plain Python, columns in index order."""
    remaining = list(range(m.shape[1]))
    groups = 0
    while remaining:
        ref = m[:, remaining[0]]
        remaining = [j for j in remaining if not np.max(np.abs(m[:, j] - ref)) <= atol]
        groups += 1
    return groups


def test_constant_and_random_and_zero():
    assert distinct_neurons(np.ones((7, 9))) == 1
    assert distinct_neurons(np.zeros((3, 4))) == 1
    w = np.random.default_rng(0).standard_normal((512, 512))
    assert distinct_neurons(w) == 512
    assert distinct_neurons(np.ones((4, 1))) == 1
    assert distinct_neurons(np.ones((4, 0))) == 0


def test_tolerance_and_planted_clones():
    rng = np.random.default_rng(1)
    base = rng.standard_normal((20, 4))
    cols = base[:, [0, 1, 1, 2, 3, 3, 3, 0]].copy()
    cols += 1e-12 * rng.standard_normal(cols.shape)  # rounding-level differences
    assert distinct_neurons(cols) == 4
    cols[5, 2] += 1e-6  # a real (if small) difference
    assert distinct_neurons(cols) == 5
    assert distinct_neurons(cols, atol=1e-5) == 4


def test_conv_kernel_neurons_are_output_channels():
    k = np.ones((3, 3, 2, 5))
    assert distinct_neurons(k) == 1
    k[1, 1, 0, 4] = 2.0
    assert distinct_neurons(k) == 2


def test_nonfinite_columns_count_as_distinct():
    w = np.ones((3, 4))
    w[0, 1] = np.nan
    w[0, 2] = np.inf
    assert distinct_neurons(w) == 3  # two clones of ones, NaN column, inf column


@settings(max_examples=80, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 12),
    st.integers(1, 5),
    st.integers(0, 2**32 - 1),
    st.sampled_from([0.0, 1e-8, 1e-3]),
)
def test_matches_brute_force(fan_in, n, n_unique, seed, atol):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((fan_in, n_unique)) * rng.choice([1e-3, 1.0, 1e3])
    # Well-posed inputs only: distinct columns farther apart than the tolerance and the noise
    # (chains of columns each within atol of the next are documented as order-dependent).
    gaps = [
        np.max(np.abs(base[:, i] - base[:, j]))
        for i in range(n_unique)
        for j in range(i + 1, n_unique)
    ]
    assume(not gaps or min(gaps) > 3 * atol)
    m = base[:, rng.integers(0, n_unique, n)]
    if atol:
        m = m + 0.1 * atol * rng.uniform(-1, 1, m.shape)
    assert distinct_neurons(m, atol) == brute_force_groups(m, atol)


def test_bad_arguments():
    with pytest.raises(ValueError, match="2 dimensions"):
        distinct_neurons(np.ones(3))
    with pytest.raises(ValueError, match="atol"):
        distinct_neurons(np.ones((2, 2)), atol=-1.0)
    with pytest.raises(ValueError, match="2 dimensions"):
        cosine_similarity(np.ones(3))
    with pytest.raises(ValueError, match="MAX_SIMILARITY_NEURONS"):
        cosine_similarity(np.ones((1, MAX_SIMILARITY_NEURONS + 1)))


def test_cosine_similarity_values_and_conventions():
    rng = np.random.default_rng(2)
    w = rng.standard_normal((6, 5))
    s = cosine_similarity(w)
    ref = (w.T @ w) / np.outer(np.linalg.norm(w, axis=0), np.linalg.norm(w, axis=0))
    np.testing.assert_allclose(s, ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(s, s.T)
    np.testing.assert_array_equal(np.diag(s), 1.0)
    # Scale invariance per column, also for magnitudes whose squares overflow/underflow.
    np.testing.assert_allclose(
        cosine_similarity(w * [1e200, 1e-200, 1.0, 3.0, 1e300]), s, rtol=1e-12, atol=1e-14
    )
    # Zero columns: 1 with each other, 0 with anything else.
    z = np.array([[0.0, 1.0, 0.0, -2.0], [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(
        cosine_similarity(z),
        [[1, 0, 1, 0], [0, 1, 0, -1], [1, 0, 1, 0], [0, -1, 0, 1]],
    )
    # Clones have similarity exactly 1 (clipped).
    np.testing.assert_array_equal(cosine_similarity(np.full((4, 3), 0.1)), 1.0)
    # Non-finite columns give NaN rows/columns.
    bad = w.copy()
    bad[0, 3] = np.inf
    sb = cosine_similarity(bad)
    assert np.all(np.isnan(sb[3]))
    assert np.all(np.isnan(sb[:, 3]))
    assert np.all(np.isfinite(np.delete(np.delete(sb, 3, 0), 3, 1)))


@pytest.mark.parametrize("kind", ["mlp", "cnn", "rnn", "resmlp"])
def test_summarize_network_and_params(kind):
    shape = {"mlp": (3,), "cnn": (4, 4, 2), "rnn": (3, 2), "resmlp": (3,)}[kind]
    kw = dict(input_shape=shape, n_outputs=2, depth=2, width=6, activation="tanh")
    rnd = build(kind, init="glorot_normal", rng=np.random.default_rng(0), **kw)
    const = build(
        kind, init="constant", init_params={"value": 0.5}, rng=np.random.default_rng(0), **kw
    )
    n_hidden = 3 if kind == "resmlp" else 2
    assert summarize(rnd).tolist() == [6] * n_hidden
    assert summarize(rnd.params).tolist() == [6] * n_hidden
    assert summarize(const).tolist() == [1] * n_hidden
    assert summarize(const).dtype == np.int64
