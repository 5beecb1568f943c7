"""Structure rules of core/: size, dependencies and the public names other code relies on."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "core"
MODULES = sorted(CORE.glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_size_and_imports(path):
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= 1200, f"{path.name} has more than 1,200 lines"
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names]
            module = getattr(node, "module", None) or ""
            for banned in ("streamlit", "altair", "pandas"):
                assert not module.startswith(banned)
                assert not any(n.startswith(banned) for n in names)


def test_probe_imports_no_private_names():
    tree = ast.parse((CORE / "probe.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            private = [a.name for a in node.names if a.name.startswith("_")]
            assert not private, f"core.probe imports private names {private} from {node.module}"


def test_old_public_names_stay_importable():
    from core import initializers, layers, networks, spectra, theory

    for name in (
        "dense_forward",
        "dense_backward",
        "conv_forward",
        "conv_backward",
        "rnn_step_forward",
        "rnn_step_backward",
        "rnn_forward",
        "rnn_backward",
        "residual_forward",
        "residual_backward",
    ):
        assert getattr(networks, name) is getattr(layers, name)
    assert theory.jacobian_singular_values is spectra.jacobian_singular_values
    assert theory.JacobianSpectrum is spectra.JacobianSpectrum
    assert callable(initializers.initialize)
    assert "he_normal" in initializers.REGISTRY
