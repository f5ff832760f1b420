"""The package reads one way: every module imports only its own layer and the layers before it.

Layers, first to last: foundation (errors, validation, registry, version) -> knowledge -> inference ->
results -> reasoning -> display -> cli -> the package root. Every import counts, at module level or
inside a function body; only imports under ``if TYPE_CHECKING:`` (for annotations) are exempt. The
imports between modules also form no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import toeprob

PACKAGE = Path(toeprob.__file__).parent

LAYERS = ("foundation", "knowledge", "inference", "results", "reasoning", "display", "cli", "root")

FOUNDATION = {
    "toeprob._version",
    "toeprob.errors",
    "toeprob.numeric",
    "toeprob.registry",
    "toeprob.validation",
}
FOLDERS = {
    "knowledge": "knowledge",
    "datasets": "knowledge",
    "inference": "inference",
    "results": "results",
    "reasoning": "reasoning",
    "display": "display",
    "cli": "cli",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    """The layer of a ``toeprob`` module (raises for a module that belongs to none)."""
    if module == "toeprob":
        return "root"
    if module in FOUNDATION:
        return "foundation"
    if module == "toeprob.__main__":
        return "cli"
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in FOLDERS:
        return FOLDERS[parts[1]]
    raise AssertionError(f"{module} is in no layer: put it in a layer folder or declare it foundation")


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every ``toeprob`` module imported by the file at ``path`` (line, module), TYPE_CHECKING aside."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "toeprob")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if base.split(".")[0] == "toeprob":
                for alias in node.names:
                    candidate = f"{base}.{alias.name}"
                    # "from toeprob.display import html" imports the module toeprob.display.html
                    is_module = (PACKAGE.parent / Path(*candidate.split("."))).with_suffix(
                        ".py"
                    ).exists() or (PACKAGE.parent / Path(*candidate.split(".")) / "__init__.py").exists()
                    found.append((node.lineno, candidate if is_module else base))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    for path in MODULES:
        assert layer_of(module_name(path)) in LAYERS


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_go_only_to_earlier_layers(path: Path) -> None:
    this = module_name(path)
    rank = LAYERS.index(layer_of(this))
    wrong = [
        f"line {line}: {this} ({layer_of(this)}) imports {target} ({layer_of(target)})"
        for line, target in imports_of(path)
        if LAYERS.index(layer_of(target)) > rank
    ]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle() -> None:
    graph = {module_name(p): {t for _, t in imports_of(p)} - {module_name(p)} for p in MODULES}
    # an import of a package runs its __init__ first: a child depends on its parents' __init__ only
    # through Python's machinery, not by a line of code, so only written imports are edges
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in graph:
                continue
            if state.get(target) == 1:
                cycle = [*stack[stack.index(target) :], target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                walk(target)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module)


def test_the_checker_sees_function_level_imports(tmp_path: Path) -> None:
    """The checker itself: an import inside a function body is found; a TYPE_CHECKING one is not."""
    fake = PACKAGE / "knowledge" / "model.py"
    found = {target for _, target in imports_of(fake)}
    assert "toeprob.errors" in found
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from toeprob.display.html import diagnosis_html\n"
        "def f():\n    from toeprob.reasoning.reasoner import Reasoner\n"
    )
    probe = PACKAGE / "knowledge" / "_layer_probe.py"
    try:
        probe.write_text(source, encoding="utf-8")
        targets = {t for _, t in imports_of(probe)}
    finally:
        probe.unlink()
    assert targets == {"toeprob.reasoning.reasoner"}
