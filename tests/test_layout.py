"""The package layout: no import cycles, and no step imports a step above it.

The graph is read from the source (every ``import`` statement, function-level
ones included, since a lazy import ties two modules together just as much), so
a cycle or an upward import fails here before anyone has to untangle it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "qa"

#: The pipeline's order: a module may import its own step and the ones before it, never one after it.
STEPS = [
    ("qa.types", "qa.errors", "qa.settings"),
    ("qa.text",),
    ("qa.ingest",),
    ("qa.embed",),
    ("qa.store",),
    ("qa.question",),
    ("qa.llm",),
    ("qa.retrieve",),
    ("qa.answer",),
    ("qa.eval",),
    ("qa.page",),
    ("qa", "qa.cli", "qa.__main__"),
]


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The qa modules ``name`` imports anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                target = f"{source}.{alias.name}"
                found.add(target if target in modules else source)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in modules and m != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _step(module: str) -> int:
    best = None
    for rank, prefixes in enumerate(STEPS):
        for prefix in prefixes:
            exact = module == prefix
            inside = prefix != "qa" and module.startswith(prefix + ".")
            if exact or inside:
                best = rank
    if best is None:
        raise AssertionError(f"{module} belongs to no step: add it to STEPS in {Path(__file__).name}")
    return best


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_cycles() -> None:
    assert _cycles(_graph()) == []


def test_no_step_imports_a_later_one() -> None:
    upward = [
        f"{source} -> {target}"
        for source, targets in sorted(_graph().items())
        for target in sorted(targets)
        if _step(target) > _step(source) and not target.startswith(source + ".")
    ]
    assert upward == []


def test_every_sub_package_says_what_enters_and_leaves() -> None:
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        if init.parent.name == "models":
            continue
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "In:" in doc and "Out:" in doc, f"{init.parent.name}: its docstring names neither input nor output"


def test_the_checks_catch_a_cycle_and_an_upward_import() -> None:
    """The checks themselves can fail: a made-up graph with both defects."""
    graph = {"qa.text.a": {"qa.text.b"}, "qa.text.b": {"qa.text.a"}, "qa.ingest.c": {"qa.answer.d"}, "qa.answer.d": set()}
    assert _cycles(graph) == [["qa.text.a", "qa.text.b"]]
    assert _step("qa.answer.d") > _step("qa.ingest.c")
    with pytest.raises(AssertionError, match="belongs to no step"):
        _step("qa_other.module")


def test_the_public_api_stays_where_it_was() -> None:
    import qa

    for name in ("ask", "search", "build_index", "Answer", "Citation", "Passage"):
        assert getattr(qa, name) is not None
