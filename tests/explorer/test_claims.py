"""explorer.claims: numbers in words never read NaN, directions agree with ratios, and the
mean-field claim is gated, agrees with chi1 and cites the edge it names."""

from __future__ import annotations

import itertools
import math

import pytest

from core import activations, theory
from core.regime import CRITICAL_TOLERANCE
from explorer import claims as C
from explorer.claims import (
    GLOSSARY,
    Claim,
    change_words,
    describe_number,
    describe_ratio,
    direction,
    has_nan_text,
    regime_claim,
    std_factor_from_variance_factor,
)

INF, NAN = math.inf, math.nan
SPECIAL = (0.0, -0.0, 5e-324, 1e-300, 1e-12, 1e-3, 0.5, 1.0, 2.0, 1e3, 1e12, 1e300, INF, -INF, NAN)
RATIOS = (0.0, 5e-324, 1e-300, 1e-12, 1e-3, 0.5, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 2.0, 1e3, 1e300)
RATIOS += (1.7e308, INF, NAN, -1.0)

ACTIVATIONS = activations.NAMES
SIGMA_W2 = (0.0064, 0.5, 1.0, 2.0, 2.35, 16.0, 103.0, 256.0)
SIGMA_B2 = (0.0, 0.05)
INITS = (
    "zeros",
    "constant",
    "identity",
    "small_random",
    "glorot_normal",
    "he_normal",
    "orthogonal",
)
NOT_APPLICABLE = {"zeros", "constant", "identity"}
PHASE_LABELS = {
    "ordered": "**Ordered phase**",
    "critical": "**Critical (edge of chaos)**",
    "chaotic": "**Chaotic phase**",
}


# --------------------------------------------------------------------------------------------
# Claim
# --------------------------------------------------------------------------------------------
def test_claim_is_frozen_and_values_read_only():
    values = {"chi1": 0.5}
    c = Claim("measured", "x", values, verdict="shrinks")
    values["chi1"] = 2.0
    assert c.values["chi1"] == 0.5  # a copy
    with pytest.raises(TypeError):
        c.values["chi1"] = 3.0  # type: ignore[index]
    with pytest.raises(AttributeError):
        c.text = "y"  # type: ignore[misc]
    assert c.applies is True


@pytest.mark.parametrize(
    ("text", "bad"),
    [("nan", True), ("NaN", True), ("+nan", True), ("x = -nan.", True), ("0 of 0 units", True)],
)
def test_has_nan_text_flags(text, bad):
    assert has_nan_text(text) is bad


@pytest.mark.parametrize("text", ["finance", "nanometre", "Nancy", "10 of 100", "banana"])
def test_has_nan_text_ignores_words_containing_nan(text):
    assert not has_nan_text(text)


# --------------------------------------------------------------------------------------------
# describe_number / describe_ratio
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("x", SPECIAL)
@pytest.mark.parametrize("digits", [1, 3, 5])
@pytest.mark.parametrize("zero_note", [False, True])
def test_describe_number_never_nan(x, digits, zero_note):
    text = describe_number(x, digits=digits, zero_note=zero_note)
    assert text
    assert not has_nan_text(text)


def test_describe_number_words():
    assert describe_number(INF) == "overflow (∞)"
    assert describe_number(-INF) == "−∞"
    assert describe_number(NAN) == C.UNDEFINED
    assert "undefined" in C.UNDEFINED
    assert describe_number(0.0) == "0"
    assert describe_number(0.0, zero_note=True) == "0 (underflow or all zero)"
    assert describe_number(1000.0) == "1000"  # not "1e+03"
    assert describe_number(1234.5) == "1234"
    assert describe_number(0.123456) == "0.123"
    assert describe_number(2e-7) == "2.00e-07"
    assert describe_number(12345.0) == "1.23e+04"
    assert describe_number(-0.5) == "-0.5"
    with pytest.raises(ValueError, match="digits"):
        describe_number(1.0, digits=0)


@pytest.mark.parametrize(("top", "bottom"), list(itertools.product(SPECIAL, SPECIAL)))
def test_describe_ratio_never_nan(top, bottom):
    text = describe_ratio(abs(top), abs(bottom))
    assert text
    assert not has_nan_text(text)


def test_describe_ratio_words():
    assert describe_ratio(1e-3, 1.0) == "1/1000"
    assert describe_ratio(12.0, 1.0) == "×12"
    assert describe_ratio(1.0, 1.0) == "×1"
    assert describe_ratio(0.0, 0.0) == "undefined: both are zero"
    assert describe_ratio(3.0, 0.0) == "undefined: the start is zero"
    assert describe_ratio(INF, INF) == "undefined: both overflowed"
    assert describe_ratio(1.0, INF) == "undefined: the start overflowed"
    assert describe_ratio(INF, 1.0) == "×∞: the end overflowed"
    assert describe_ratio(0.0, 2.0) == "×0: the end is zero"
    assert describe_ratio(NAN, 1.0).startswith("undefined")
    assert describe_ratio(1e300, 1e-300).startswith("×∞")
    assert describe_ratio(1e-300, 1e300).startswith("×0")
    assert describe_ratio(2e-7, 1.0) == "1/5.00e+06"


# --------------------------------------------------------------------------------------------
# direction / change_words
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ratio", RATIOS)
@pytest.mark.parametrize("tol", [0.0, 0.02, 0.1, 1.0])
def test_direction_agrees_with_the_ratio(ratio, tol):
    word = direction(ratio, tolerance=tol)
    if not math.isfinite(ratio) or ratio < 0:
        assert word == "undefined"
    elif ratio < 1.0 / (1.0 + tol):
        assert word == "shrinks"
        assert math.log(ratio) < 0 if ratio > 0 else True
    elif ratio > 1.0 + tol:
        assert word == "grows"
        assert math.log(ratio) > 0
    else:
        assert word == "stays level"
        assert abs(math.log(ratio)) <= math.log1p(tol) + 1e-15
    phrase = change_words(ratio, tolerance=tol)
    assert phrase.startswith(word)
    assert not has_nan_text(phrase)


def test_direction_zero_tolerance_and_bad_tolerance():
    assert direction(1.0, tolerance=0.0) == "stays level"
    assert direction(math.nextafter(1.0, 2.0), tolerance=0.0) == "grows"
    assert direction(math.nextafter(1.0, 0.0), tolerance=0.0) == "shrinks"
    for bad in (-0.1, NAN, INF):
        with pytest.raises(ValueError, match="tolerance"):
            direction(1.0, tolerance=bad)


def test_change_words():
    assert change_words(1e-3) == "shrinks 1000-fold"
    assert change_words(12.0) == "grows 12-fold"
    assert change_words(1.02) == "stays level (×1.02)"
    assert change_words(0.0) == "shrinks to zero"
    assert change_words(5e-324) == "shrinks to zero (beyond the float range)"
    assert change_words(NAN).startswith("undefined")
    assert change_words(INF).startswith("undefined")


# --------------------------------------------------------------------------------------------
# std vs mean square
# --------------------------------------------------------------------------------------------
def test_std_factor_is_sqrt_of_mean_square_factor():
    assert std_factor_from_variance_factor(0.25) == 0.5
    assert std_factor_from_variance_factor(1e-6) == pytest.approx(1e-3)
    assert std_factor_from_variance_factor(0.0) == 0.0
    assert std_factor_from_variance_factor(INF) == INF
    for bad in (-1.0, NAN):
        with pytest.raises(ValueError, match="mean-square factor"):
            std_factor_from_variance_factor(bad)
    doc = std_factor_from_variance_factor.__doc__ or ""
    assert "mean square" in doc
    assert "standard deviation" in doc


# --------------------------------------------------------------------------------------------
# regime_claim over the grid
# --------------------------------------------------------------------------------------------
def _expected_phase(chi1: float) -> str:
    if abs(chi1 - 1.0) <= CRITICAL_TOLERANCE:
        return "critical"
    return "ordered" if chi1 < 1.0 else "chaotic"


GRID = list(itertools.product(ACTIVATIONS, SIGMA_W2, SIGMA_B2))


@pytest.mark.parametrize(("act", "sw2", "sb2"), GRID)
def test_regime_claim_grid(act, sw2, sb2):
    for init in INITS:
        c = regime_claim(act, sw2, sb2, init)
        assert not has_nan_text(c.text), (act, sw2, sb2, init, c.text)
        assert "neither shrink nor grow" not in c.text
        if init in NOT_APPLICABLE:
            assert c.kind == "not_applicable"
            assert c.applies is False
            assert c.verdict is None
            assert "does not apply" in c.text
            assert not any(label in c.text for label in PHASE_LABELS.values())
            continue
        assert c.kind == "theory"
        assert c.applies is True
        chi1 = c.values["chi1"]
        assert math.isfinite(chi1)
        assert chi1 == pytest.approx(float(theory.chi1(act, sw2, sb2)), rel=1e-6, abs=1e-12) or (
            "q_star" in c.values and c.values["q_star"] in (0.0, INF)
        )
        phase = _expected_phase(chi1)
        assert c.verdict == phase
        assert c.text.startswith(PHASE_LABELS[phase])
        for other, label in PHASE_LABELS.items():
            if other != phase:
                assert label not in c.text
        assert f"χ₁ = {describe_number(chi1)}" in c.text
        assert c.values["std_factor"] == pytest.approx(math.sqrt(chi1))
        if phase != "critical":
            assert f"√χ₁ = {describe_number(math.sqrt(chi1))}" in c.text
        if "q_star" in c.values and c.values["q_star"] == 0.0:
            assert "q* = 0" in c.text
        edge = c.values.get("edge_sigma_w2")
        if edge is not None:
            assert f"σ_w² = {describe_number(edge, digits=4)}" in c.text
            assert abs(float(theory.chi1(act, edge, sb2)) - 1.0) < 1e-3
        else:
            assert "No edge of chaos" in c.text
        if init == "orthogonal":
            assert "Caveat (orthogonal)" in c.text
        assert "gradients grow by chi1" not in c.text  # the mean square does


def test_regime_claim_tanh_critical_q_zero_decays_polynomially():
    c = regime_claim("tanh", 1.0, 0.0, "glorot_normal")
    assert c.verdict == "critical"
    assert c.values["q_star"] == 0.0
    assert "polynomially" in c.text
    assert "do not hold steady" in c.text


def test_regime_claim_relu_he_is_marginal_and_linear_preserves():
    c = regime_claim("relu", 2.0, 0.0, "he_normal")
    assert c.verdict == "critical"
    assert "q_star" not in c.values  # marginal: no single q*
    assert "marginal" in c.text
    lin = regime_claim("linear", 0.5, 0.0, "he_normal")
    assert "preserved (linear map)" in lin.text


def test_regime_claim_exponential_cites_xi_c():
    c = regime_claim("tanh", 2.0, 0.05, "he_normal")
    assert c.verdict == "chaotic"
    assert f"ξ_c = {describe_number(c.values['xi_c'])} layers" in c.text
    assert "the gradients' mean square grows by chi1" in c.text


def test_regime_claim_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown initializer"):
        regime_claim("tanh", 1.0, 0.0, "nope")
    with pytest.raises(ValueError, match="unknown activation"):
        regime_claim("nope", 1.0, 0.0, "he_normal")


# --------------------------------------------------------------------------------------------
# Glossary
# --------------------------------------------------------------------------------------------
def test_glossary_one_sentence_each():
    for key in ("chi1", "xi_c", "q_star", "fan_in", "fan_out", "gain", "sigma_w2", "edge_of_chaos"):
        text = GLOSSARY[key]
        assert text.endswith(".")
        assert text.count(". ") == 0, key  # one sentence
        assert not has_nan_text(text)
    assert "fan_in·Var(W)" in GLOSSARY["sigma_w2"]
    assert "√χ₁" in GLOSSARY["chi1"]


def test_claims_module_is_pure():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(C))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert "streamlit" not in imported
