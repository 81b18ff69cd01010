"""No import cycle between the project's modules (tasks/ and flows/).

A cycle hides an ordering dependency: whichever module is imported first sees the other half
initialised, and the break is usually papered over by an import inside a function or under
``TYPE_CHECKING``. So every import counts here, wherever it sits: module level, inside a
function, under ``TYPE_CHECKING``, and ``importlib.import_module("...")`` with a literal name.

Edges, as Python executes them:
- ``import a.b.c`` runs ``a``, ``a.b`` and ``a.b.c``: an edge to each project module among them;
- ``from a.b import x`` runs ``a``, ``a.b`` and, when ``x`` is a submodule, ``a.b.x``;
- the implicit edge from a module to one of its own ancestor packages is left out: Python has
  started that package before the module runs, so the package importing its submodules (a
  re-export ``__init__``) is not a cycle. An explicit ``from a.b import name`` of a value
  defined in ``a/b/__init__.py`` is a real dependency on it and does count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tasks", "flows")


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Every project module name -> its file (a package is its ``__init__.py``)."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


def imports_of(module: str, path: Path, modules: Mapping[str, Path]) -> set[str]:
    """The project modules that importing ``module`` can execute (see the module docstring)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    own_ancestors = set(_ancestors(module))
    implicit: set[str] = set()  # parents run on the way to an imported module
    explicit: set[str] = set()  # modules whose contents this module asks for
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                implicit.update(_ancestors(alias.name))
                explicit.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            source = (
                _resolve_relative(module, is_package, node.level, node.module)
                if node.level
                else node.module or ""
            )
            implicit.update(_ancestors(source))
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in modules:
                    implicit.add(source)
                    explicit.add(submodule)
                else:
                    explicit.add(source)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            implicit.update(_ancestors(node.args[0].value))
            explicit.add(node.args[0].value)
    edges = (implicit - own_ancestors) | explicit
    return {name for name in edges if name in modules and name != module}


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = module_files(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, pending = work[-1]
            if pending:
                child = pending.pop(0)
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, sorted(graph.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def cycle_path(graph: Mapping[str, Iterable[str]], component: list[str]) -> list[str]:
    """One concrete loop inside a strongly connected component, for the failure message."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        node = frontier.pop(0)
        for child in sorted(graph.get(node, ())):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child in members and child not in previous:
                previous[child] = node
                frontier.append(child)
    return component


def describe(graph: Mapping[str, Iterable[str]], found: list[list[str]]) -> str:
    return "\n".join(" -> ".join(cycle_path(graph, component)) for component in found)


def test_the_project_modules_import_each_other_without_a_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 100, "the module walk found too few modules to be the project"
    found = cycles(graph)
    assert not found, "import cycles (move the shared piece to a module both import):\n" + (
        describe(graph, found)
    )


def test_the_cycle_finder_names_a_planted_cycle() -> None:
    graph = {
        "tasks.a": {"tasks.b"},
        "tasks.b": {"tasks.c"},
        "tasks.c": {"tasks.a", "tasks.d"},
        "tasks.d": set(),
        "tasks.e": {"tasks.d"},
    }
    found = cycles(graph)
    assert found == [["tasks.a", "tasks.b", "tasks.c"]]
    assert describe(graph, found) == "tasks.a -> tasks.b -> tasks.c -> tasks.a"
    assert cycles({name: edges - {"tasks.a"} for name, edges in graph.items()}) == []


def test_every_kind_of_import_is_an_edge(tmp_path: Path) -> None:
    package = tmp_path / "tasks" / "demo"
    package.mkdir(parents=True)
    (tmp_path / "flows").mkdir()
    (tmp_path / "tasks" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("from tasks.demo.first import VALUE\n")
    (package / "first.py").write_text(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from tasks.demo import helper\n"  # a submodule named in a from-import
        "VALUE = 1\n"
        "if TYPE_CHECKING:\n"
        "    from tasks.demo.second import Thing\n"
    )
    (package / "second.py").write_text(
        "def late():\n    from . import first\n    return first\n"  # relative, in a function
    )
    (package / "helper.py").write_text(
        "import importlib\ndef load():\n    return importlib.import_module('tasks.demo.second')\n"
    )
    (package / "third.py").write_text("import tasks.demo.helper\nfrom tasks.demo import VALUE\n")
    graph = import_graph(tmp_path)
    assert graph["tasks.demo"] == {"tasks.demo.first"}
    # the package is an ancestor of first: importing a sibling does not point back at it
    assert graph["tasks.demo.first"] == {"tasks.demo.helper", "tasks.demo.second"}
    assert graph["tasks.demo.second"] == {"tasks.demo.first"}
    assert graph["tasks.demo.helper"] == {"tasks.demo.second"}
    # a value from the package's __init__ is a real edge to it
    assert graph["tasks.demo.third"] == {"tasks.demo.helper", "tasks.demo"}
    assert describe(graph, cycles(graph)) == (
        "tasks.demo.first -> tasks.demo.second -> tasks.demo.first"
    )
