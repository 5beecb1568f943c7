"""The layout rules of DESIGN.md, checked on the source: pages -> explorer -> core, no cycles.

Every project module's imports are read with ``ast`` (nothing is executed), so a rule broken
anywhere in the tree fails here with the file and the offending import named.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "explorer")
#: Largest module in core/ and explorer/, in lines (one job per file).
MAX_MODULE_LINES = 1200


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _project_files() -> dict[str, Path]:
    files = {"Home": ROOT / "Home.py"}
    for path in sorted((ROOT / "pages").glob("*.py")):
        files[f"pages.{path.stem}"] = path
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            files[_module_name(path)] = path
    return files


FILES = _project_files()
MODULES = {name for name in FILES if name.startswith(PACKAGES)}


def _facade_nodes(tree: ast.Module) -> set[int]:
    """ids of the nodes inside a module-level ``__getattr__`` (PEP 562 lazy re-exports).

    ``core.initializers`` keeps ``REGISTRY`` and ``initialize`` importable (the public API)
    although they live in ``core.registry``, which is built on the initializers: the names
    are resolved on first access, so they are a facade, not a dependency of the module.
    """
    return {
        id(inner)
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__"
        for inner in ast.walk(node)
    }


def _imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names imported from it) of every import statement in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    facade = _facade_nodes(tree)
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if id(node) in facade:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names = [alias.name for alias in node.names]
            # "from explorer import charts" imports the module explorer.charts.
            modules = [f"{base}.{n}" for n in names if f"{base}.{n}" in MODULES]
            found += [(m, []) for m in modules] or [(base, names)]
    return found


def _project_imports(name: str) -> set[str]:
    """The project modules (core.*, explorer.*) that a file imports."""
    out = set()
    for module, _ in _imports(name, FILES[name]):
        if module.split(".")[0] in PACKAGES:
            out.add(module if module in MODULES else module.rpartition(".")[0] or module)
    return out


@pytest.mark.parametrize("name", sorted(n for n in FILES if not n.startswith(PACKAGES)))
def test_pages_import_explorer_only(name):
    bad = [m for m, _ in _imports(name, FILES[name]) if m.split(".")[0] in ("core", "pages")]
    assert not bad, f"{FILES[name].name} imports {bad}; pages import explorer only"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("explorer")))
def test_explorer_never_imports_pages(name):
    bad = [m for m, _ in _imports(name, FILES[name]) if m.split(".")[0] in ("pages", "Home")]
    assert not bad, f"{name} imports {bad}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("core")))
def test_core_imports_no_ui(name):
    ui = ("explorer", "pages", "streamlit", "altair", "pandas")
    bad = [m for m, _ in _imports(name, FILES[name]) if m.split(".")[0] in ui]
    assert not bad, f"{name} imports {bad}; core is pure NumPy"


def test_import_graph_has_no_cycles():
    graph = {name: _project_imports(name) - {name} for name in MODULES}
    # A package imports nothing from its own modules here; drop package -> parent edges.
    graph = {n: {m for m in deps if not n.startswith(m + ".")} for n, deps in graph.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycle = stack[stack.index(dep) :] + [dep]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if dep in graph and not state.get(dep):
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if not state.get(node):
            visit(node)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_names_across_modules(name):
    """A module never imports another module's underscore names (tests may)."""
    bad = [
        f"{module}.{n}"
        for module, names in _imports(name, FILES[name])
        if module.split(".")[0] in PACKAGES and module != name
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert not bad, f"{name} imports private names {bad}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_size(name):
    lines = len(FILES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{name} has {lines} lines (limit {MAX_MODULE_LINES})"


def test_one_lesson_module_per_page():
    lessons = {p.stem for p in (ROOT / "explorer" / "lessons").glob("*.py")} - {"__init__"}
    pages = len(list((ROOT / "pages").glob("*.py"))) + 1  # + Home
    assert len(lessons) == pages, sorted(lessons)
    for name in [n for n in FILES if not n.startswith(PACKAGES)]:
        used = {m for m in _project_imports(name) if m.startswith("explorer.lessons.")}
        assert len(used) == 1, f"{name} uses lessons {sorted(used)}; one lesson per page"
