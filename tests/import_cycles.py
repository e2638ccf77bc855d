"""Which modules of a package sit on an import cycle, read from their source.

Only there does the outcome of an import depend on which module is imported first: a
module off every cycle only ever sees modules that finished loading (one partly loaded
would have to import it back, which puts both on a cycle), so it imports the same way
whatever came before it. Each cycle can be entered at any of its members, though.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` (a folder under ``root``) by dotted name."""
    names = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def _imported(name: str, path: Path) -> Iterable[str]:
    """Modules of the package that ``name`` may import: any import statement, even inside
    a function or under TYPE_CHECKING (more edges only mark more modules to check), and
    the parent packages, which Python loads before a submodule."""
    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
    yield name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
                base = f"{anchor}.{base}" if base else anchor
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for target in _imported(name, path):
            # "import tools.a.b" loads tools and tools.a on the way.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target:
                targets.add(target)
        graph[name] = targets
    return graph


def on_cycles(graph: dict[str, set[str]]) -> set[str]:
    """The modules in a strongly connected component of two or more, or importing
    themselves (Tarjan's algorithm, iterative: a deep package must not hit the recursion
    limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[str] = set()
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in graph[node]:
                        found.update(component)
    return found
