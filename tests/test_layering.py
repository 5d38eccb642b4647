"""The package's import graph: no cycles between modules, and packages import only down
the layers core ← graph ← kb ← routing ← notify ← chat ← web.

Every `import` and `from … import` naming a weibao module counts, wherever it stands
(module level, inside a function, under TYPE_CHECKING): a function-level import is still
a dependency, only a later one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parent.parent / "weibao"

# Lower first: a package may import its own layer and those before it.
LAYERS = ("core", "graph", "kb", "routing", "notify", "inspections", "chat", "estate", "service", "training", "web")
# Wiring and entry points, above every layer: they may import anything.
TOP = ("cli", "bootstrap", "migrations", "ops")
# No exceptions: a lower layer that needs something from above takes it as a parameter
# (as `create_app` takes `open_services` from `weibao.bootstrap`).


def module_files() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The weibao modules that module `name` imports, each the longest existing prefix."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from weibao.chat import llm` imports the module weibao.chat.llm.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        for target in targets:
            if target != "weibao" and not target.startswith("weibao."):
                continue
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target != name:
                found.add(target)
    return found


def import_graph() -> nx.DiGraph:
    modules = module_files()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        graph.add_edges_from((name, target) for target in imported_modules(name, path, modules))
    return graph


def area(module: str) -> str:
    """The layer or top-level name a module belongs to: `weibao.cli_desk` → `cli`."""
    parts = module.split(".")
    if len(parts) == 1:
        return "weibao"
    return "cli" if parts[1].startswith("cli") else parts[1]


def test_every_module_sits_in_a_layer_or_at_the_top() -> None:
    unplaced = {area(m) for m in import_graph() if area(m) not in (*LAYERS, *TOP, "weibao")}
    assert not unplaced, f"place these in LAYERS or TOP: {sorted(unplaced)}"


def test_no_import_cycles_between_modules() -> None:
    graph = import_graph()
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert not cycles, cycles


def upward(importer: str, imported: str) -> bool:
    low, high = area(importer), area(imported)
    if low not in LAYERS:
        return False
    return high in TOP or (high in LAYERS and LAYERS.index(high) > LAYERS.index(low))


def test_packages_import_only_down_the_layers() -> None:
    found = sorted(edge for edge in import_graph().edges if upward(*edge))
    assert not found, found


def test_the_graph_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    source = tmp_path / "weibao" / "pkg"
    source.mkdir(parents=True)
    (source / "__init__.py").write_text("")
    (source / "a.py").write_text(
        "def f():\n    from weibao.pkg import b\n    from . import c\n    import weibao.pkg.d.x\n"
    )
    names = {"weibao.pkg", "weibao.pkg.a", "weibao.pkg.b", "weibao.pkg.c", "weibao.pkg.d"}
    modules = {name: tmp_path / "x.py" for name in names}
    found = imported_modules("weibao.pkg.a", source / "a.py", modules)
    assert found == {"weibao.pkg.b", "weibao.pkg.c", "weibao.pkg.d"}
