"""The package's layout holds: rooms by idea, imports that only point down, no circle, modules and functions short.

Read from the source with ``ast`` (nothing is imported), so a circle hidden inside a function is seen too.
CONTRIBUTING.md has the map of the rooms in words; ``ROOMS`` below is the same map as data.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "keras_tl"

#: Each room and its floor: a module may import from its own room or from a room on a lower floor, never
#: from a room on its own floor or above. ``_quiet`` and ``_moved`` are plumbing that imports no room.
ROOMS = {
    "_quiet": 0, "_moved": 0, "_version": 0,
    "core": 1,
    "data": 2,
    "models": 3,
    "transfer": 4,
    "measure": 5, "diagnose": 5, "text": 5,
    "advisor": 6,
    "saving": 7, "tour": 7, "cli": 8, "_api": 9, "__init__": 10, "__main__": 10,
}

#: Imports inside a function that are allowed, with why: each loads something heavy only when needed.
LATE_IMPORTS = {
    ("__init__", "keras_tl._api"): "every public name; skipped by `python -m keras_tl` so --help needs no TensorFlow",
    ("__init__", "keras_tl.text"): "keras-hub takes seconds to import: on first use of a text name",
    ("saving", "keras_tl.text"): "keras-hub, only when a .keras file holds a text layer",
    ("cli", "keras_tl.cli.commands"): "TensorFlow, only after the arguments parsed (--help stays instant)",
}

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60  # code lines, the docstring not counted


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> list[str]:
    """The keras_tl modules an ``import from`` statement loads."""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    if not base.startswith("keras_tl"):
        return []
    targets = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        targets.append(candidate if candidate in MODULES else base)
    return targets


def _imports() -> list[tuple[str, str, bool, int]]:
    """(importer, imported, inside a function, line) for every import of a keras_tl module."""
    edges = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        inner = {id(n) for f in functions for n in ast.walk(f) if n is not f}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                targets = _resolve(module, path, node)
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("keras_tl")]
            else:
                continue
            for target in targets:
                while target not in MODULES and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target != module:
                    edges.append((module, target, id(node) in inner, node.lineno))
    return edges


EDGES = _imports()


def test_every_module_lives_in_a_known_room():
    unknown = sorted({_room(m) for m in MODULES} - set(ROOMS))
    assert not unknown, f"modules outside the rooms of the map: {unknown}; add the room to ROOMS and CONTRIBUTING.md"


def test_imports_only_point_down():
    upward = []
    for importer, imported, _, line in EDGES:
        a, b = _room(importer), _room(imported)
        if a != b and ROOMS[b] >= ROOMS[a]:
            upward.append(f"{importer}:{line} imports {imported} ({a} floor {ROOMS[a]} -> {b} floor {ROOMS[b]})")
    assert not upward, "imports that point up or sideways:\n" + "\n".join(upward)


def test_no_import_circle():
    graph: dict[str, set[str]] = {}
    for importer, imported, _, _ in EDGES:
        if importer != imported:
            graph.setdefault(importer, set()).add(imported)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for module in sorted(MODULES):
        if module not in state:
            cycle = visit(module)
            assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_no_import_hidden_in_a_function():
    hidden = [f"{importer}:{line} imports {imported} inside a function"
              for importer, imported, inside, line in EDGES
              if inside and (_room(importer), imported) not in LATE_IMPORTS
              and (importer.rsplit(".", 1)[-1], imported) not in LATE_IMPORTS]
    assert not hidden, "move these imports to the top of the module (or add a heavy one to LATE_IMPORTS):\n" + "\n".join(hidden)


def test_the_check_sees_a_circle_and_an_upward_arrow(tmp_path, monkeypatch):
    """The checks above can fail: a core module importing the advisor is an upward arrow and a circle."""
    edges = EDGES + [("keras_tl.core.validation", "keras_tl.advisor.scenarios", True, 1)]
    monkeypatch.setitem(globals(), "EDGES", edges)
    with pytest.raises(AssertionError, match="point up"):
        test_imports_only_point_down()
    with pytest.raises(AssertionError, match="import circle"):
        test_no_import_circle()
    with pytest.raises(AssertionError, match="inside a function"):
        test_no_import_hidden_in_a_function()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_size(module):
    lines = MODULES[module].read_text().count("\n")
    assert lines <= MAX_MODULE_LINES, f"{module} has {lines} lines (limit {MAX_MODULE_LINES}): split it by idea"


def _function_sizes(path: Path) -> list[tuple[str, int]]:
    sizes = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0]
            docstring = isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant) \
                and isinstance(first.value.value, str)
            start = first.end_lineno + 1 if docstring and len(node.body) > 1 else node.body[0].lineno
            sizes.append((node.name, node.end_lineno - start + 1))
    return sizes


@pytest.mark.parametrize("module", sorted(MODULES))
def test_function_size(module):
    long = [f"{name} ({n} lines)" for name, n in _function_sizes(MODULES[module]) if n > MAX_FUNCTION_LINES]
    assert not long, f"{module}: functions over {MAX_FUNCTION_LINES} code lines: {', '.join(long)}"
