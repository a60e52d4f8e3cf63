"""One-way layers, as docs/architecture.md states them: corpus → indexing → assistant →
eval → api. A module imports only from its own layer and the layers before it; nothing
imports upward. Every import counts, including those inside functions (a lazy import is
still a dependency). tests/ may import anything; no project module imports tests/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("corpus", "indexing", "assistant", "eval", "api")
RANK = {name: i for i, name in enumerate(LAYERS)}


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the tree; relative imports stay in
    their own package, so they can never cross a layer and are left out."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def upward_imports(root: Path = ROOT) -> list[str]:
    """``path:line: layer imports upper-layer module`` for every violation under root."""
    violations = []
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"), str(path))
            for line, module in imported_modules(tree):
                target = module.split(".")[0]
                if target == "tests" or (target in RANK and RANK[target] > RANK[layer]):
                    violations.append(f"{path.relative_to(root)}:{line}: {layer} imports {module}")
    return violations


def test_no_module_imports_an_upper_layer():
    assert upward_imports() == []


def test_every_project_package_has_a_layer():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages == set(LAYERS), "a new package needs its place in LAYERS and docs/architecture.md"


def test_the_documented_order_is_the_enforced_one():
    doc = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    assert " → ".join(LAYERS) in doc


@pytest.mark.parametrize("source, expected", [
    ("def f():\n    from api.cli import app\n", ["x/indexing/m.py:2: indexing imports api.cli"]),
    ("import eval.metrics as m\n", ["x/indexing/m.py:1: indexing imports eval.metrics"]),
    ("from tests.fakes import FakeSearchEngine\n", ["x/indexing/m.py:1: indexing imports tests.fakes"]),
    ("from corpus.laws import LawCatalogue\nfrom . import sibling\nimport indexing.sync\n", []),
])
def test_the_checker_sees_function_level_and_aliased_imports(tmp_path: Path, source: str, expected: list[str]):
    for layer in LAYERS:
        (tmp_path / "x" / layer).mkdir(parents=True)
    (tmp_path / "x" / "indexing" / "m.py").write_text(source)
    assert upward_imports(tmp_path / "x") == [e.replace("x/", "") for e in expected]
