"""AppTest checks of page 5 (network types: orthogonal, CNN, RNN, residual, LSUV)."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_helpers import notices, query
from streamlit.testing.v1 import AppTest

PAGE = Path(__file__).resolve().parents[2] / "pages" / "5_Network_types.py"
TAB = {
    "mlp": "Orthogonal weights (MLP)",
    "cnn": "CNN: fans and delta-orthogonal",
    "rnn": "RNN: through time",
    "resmlp": "Residual: the identity path",
    "lsuv": "LSUV: data-driven",
}


def run(query: dict[str, str] | None = None, tab: str | None = None) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    if query:
        at.query_params.update(query)
    at.run()
    if tab is not None:
        at.session_state["p5_tab"] = TAB[tab]
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def decades(value: str) -> float:
    assert value.endswith(" decades"), value
    return float(value.removesuffix(" decades"))


def test_first_visit_orthogonal_spectrum_is_narrower_than_gaussian() -> None:
    at = run()
    shown = metrics(at)
    glorot = decades(shown["Spectrum width · Glorot (Xavier) normal"])
    ortho = decades(shown["Spectrum width · Orthogonal"])
    # tanh at sigma_w^2 = 1, depth 10: Gaussian weights spread the Jacobian's singular values
    # over several decades, orthogonal ones over about one (Pennington et al. 2017).
    assert glorot > 3.0
    assert 0.0 < ortho < 2.0
    assert "Same mean, different spread" in notices(at)
    assert at.query_params["alpha"] in ("1", ["1"])


def test_linear_orthogonal_net_is_an_exact_isometry() -> None:
    at = run({"activation": "linear", "init": "orthogonal", "depth": "20", "width": "64"})
    shown = metrics(at)
    assert shown["Spectrum width · Orthogonal"] == "0.00 decades"
    gaussian = [label for label in shown if label.startswith("Spectrum width · Gaussian")]
    assert len(gaussian) == 1
    assert decades(shown[gaussian[0]]) > 1.0


def test_changing_the_initializer_changes_the_spectrum() -> None:
    at = run({"init": "he_normal"})
    shown = metrics(at)
    assert "Spectrum width · He (Kaiming) normal" in shown
    assert "Spectrum width · Orthogonal" in shown
    # He gives sigma_w^2 = 2: the orthogonal comparison gets gain sqrt 2.
    assert "here 2, i.e. orthogonal with gain 1.41" in "\n".join(m.value for m in at.markdown)


def test_cnn_network_opens_the_cnn_tab_with_its_fans() -> None:
    at = run({"network": "cnn", "width": "32", "depth": "6"})
    shown = metrics(at)
    assert shown["fan_in of a 3×3 conv, c = 32"] == "288"
    assert shown["He std with the right fan"] == f"{(2 / 288) ** 0.5:.4f}"
    assert shown["He std if the 3×3 is forgotten"] == f"{(2 / 32) ** 0.5:.4f}"
    assert "After 6 conv layers" in notices(at)


def test_rnn_tab_spectral_radius_decides_the_linear_gradient() -> None:
    at = run(query("network=rnn&activation=linear&init=orthogonal&depth=30&width=64"))
    shown = metrics(at)
    assert shown["ρ(W_hh), Orthogonal"] == "1.000"
    assert shown["σ_max(W_hh), Orthogonal"] == "1.000"
    # Orthogonal W_hh: the gradient keeps its size exactly through all 30 steps.
    ratio = float(shown["Gradient at step 1 ÷ step 30 (linear)"])
    assert ratio == pytest.approx(1.0, abs=1e-3)
    text = notices(at)
    # 29 multiplications by W_hh^T separate step 30 from step 1.
    assert f"0.9^29 = {0.9**29:.3g}" in text
    assert f"1.1^29 = {1.1**29:.3g}" in text


def test_switching_the_network_type_switches_the_tab() -> None:
    at = run()
    at.sidebar.selectbox(key="ctl_network").set_value("rnn").run()
    assert not at.exception
    assert any(label.startswith("ρ(W_hh)") for label in metrics(at))


def test_residual_alpha_zero_makes_every_block_the_identity() -> None:
    at = run({"alpha": "0"}, tab="resmlp")
    assert at.slider(key="p5_alpha").value == 0.0
    shown = metrics(at)
    # The probe's input has unit variance and alpha = 0 passes it through unchanged.
    assert float(shown["Residual (α = 0): last-block std"]) == pytest.approx(1.0, abs=0.02)
    assert float(shown["Plain MLP: last-layer std"]) < 0.5
    at.slider(key="p5_alpha").set_value(1.0).run()
    assert not at.exception
    assert float(metrics(at)["Residual (α = 1): last-block std"]) > 1.5
    assert at.query_params["alpha"] in ("1", ["1"])


def test_lsuv_reaches_unit_variance_in_every_layer() -> None:
    at = run({"activation": "gelu", "init": "small_random"}, tab="lsuv")
    shown = metrics(at)
    done, total = shown["Layers at Var(z) = 1 ± 0.1"].split(" / ")
    assert done == total == "11"
    assert float(shown["Largest |Var(z) − 1| after LSUV"]) < 0.1


def test_hostile_alpha_warns_and_falls_back() -> None:
    at = run({"alpha": "<script>"})
    text = "\n".join(w.value for w in at.warning)
    assert "`alpha`" in text
    assert at.query_params["alpha"] in ("1", ["1"])
