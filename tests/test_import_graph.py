"""The architecture of ``hil/`` as its import graph (read with ``ast``, nothing imported).

* No import cycle between the packages (and top-level modules) of ``hil``: ``hil.<name>``
  is one node whatever its depth; every ``import`` counts, also inside functions and
  ``TYPE_CHECKING`` blocks. Plug-in registries that must import their plug-ins back would be
  named in ``REGISTRIES`` with the reason; there is none today.
* Only ``hil/engine/`` imports the unicorn engine (``hil.engine.unicorn``): everything above
  the engine interface is engine-blind.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

HIL = Path(__file__).resolve().parents[1] / "hil"

# frozenset of nodes -> why their cycle is allowed (a plug-in registry)
REGISTRIES: dict[frozenset[str], str] = {}


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(module: str, is_package: bool, source: str) -> list[str]:
    """Every module ``source`` imports (absolute names; ``from x import y`` gives ``x`` and
    ``x.y``, since ``y`` may be a submodule)."""
    out: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            out.append(mod)
            out += [f"{mod}.{alias.name}" for alias in node.names]
    return out


def node(module: str) -> str:
    """The graph node of a module: ``hil.<first part>``."""
    return ".".join(module.split(".")[:2])


def read_modules(root: Path) -> dict[str, tuple[bool, str]]:
    return {
        module_name(root, p): (p.name == "__init__.py", p.read_text(encoding="utf-8"))
        for p in sorted(root.rglob("*.py"))
    }


def edges(modules: Mapping[str, tuple[bool, str]]) -> dict[str, dict[str, set[str]]]:
    """node -> imported node -> the importing modules."""
    graph: dict[str, dict[str, set[str]]] = {}
    for mod, (is_package, source) in modules.items():
        for target in imports_of(mod, is_package, source):
            if target.split(".")[0] != "hil" or "." not in target:
                continue
            a, b = node(mod), node(target)
            if a != b and (b in {node(m) for m in modules}):
                graph.setdefault(a, {}).setdefault(b, set()).add(mod)
    return graph


def cycles(graph: Mapping[str, Mapping[str, Iterable[str]]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def describe(graph: Mapping[str, Mapping[str, Iterable[str]]], comp: list[str]) -> str:
    lines = [f"import cycle between {', '.join(comp)}:"]
    for a in comp:
        for b, mods in sorted(graph.get(a, {}).items()):
            if b in comp:
                lines.append(f"  {a} -> {b} (in {', '.join(sorted(mods))})")
    return "\n".join(lines)


def unicorn_imports(modules: Mapping[str, tuple[bool, str]]) -> list[str]:
    bad = []
    for mod, (is_package, source) in modules.items():
        if mod == "hil.engine" or mod.startswith("hil.engine."):
            continue
        for target in imports_of(mod, is_package, source):
            if target == "hil.engine.unicorn" or target.startswith("hil.engine.unicorn."):
                bad.append(f"{mod} imports {target}")
    return sorted(set(bad))


# -- the checks on hil/ --------------------------------------------------------------------------
def test_no_import_cycle_between_hil_packages() -> None:
    modules = read_modules(HIL)
    graph = edges(modules)
    problems = [
        describe(graph, comp) for comp in cycles(graph) if frozenset(comp) not in REGISTRIES
    ]
    assert not problems, "\n".join(problems)


def test_only_the_engine_package_imports_the_unicorn_engine() -> None:
    bad = unicorn_imports(read_modules(HIL))
    assert not bad, "outside hil/engine/, callers use the engine interface only:\n" + "\n".join(bad)


# -- the checker itself can fail ---------------------------------------------------------------
def test_the_checker_finds_a_cycle_and_a_unicorn_import() -> None:
    modules = {
        "hil.a": (True, "from hil.b.x import thing\n"),
        "hil.b": (True, ""),
        "hil.b.x": (False, "def f():\n    from hil.a import y\n"),
        "hil.c": (False, "from .a import z\nfrom hil.engine.unicorn.engine import UnicornEngine\n"),
        "hil.engine": (True, "from hil.engine.unicorn import engine\n"),
    }
    graph = edges(modules)
    assert cycles(graph) == [["hil.a", "hil.b"]]
    assert "hil.b.x" in describe(graph, ["hil.a", "hil.b"])
    assert unicorn_imports(modules) == [
        "hil.c imports hil.engine.unicorn.engine",
        "hil.c imports hil.engine.unicorn.engine.UnicornEngine",
    ]
