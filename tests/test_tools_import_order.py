"""Every tools module imports on its own, whichever is imported first.

A cycle between modules only shows when the import starts from one particular side, so
each module on a cycle is imported first in turn (the tools package forgotten between
attempts). Off the cycles the order cannot matter (tests/import_cycles.py says why), so
one pass importing everything covers the rest: re-importing all 66 modules one by one
rebuilt every pydantic model each time, most of this test's time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from import_cycles import import_graph, module_names, on_cycles

REPO = Path(__file__).resolve().parent.parent

_IMPORT_EACH_FIRST = """
import importlib, sys
failed = []
first, everything = sys.argv[1].split(), sys.argv[2].split()
for names in [[name] for name in first] + [everything]:
    for loaded in [m for m in sys.modules if m == "tools" or m.startswith("tools.")]:
        del sys.modules[loaded]
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as error:
            failed.append(f"{name}: {error}")
print("\\n".join(failed))
"""


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_only_modules_importing_each_other_back_count_as_on_a_cycle(tmp_path: Path) -> None:
    _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from pkg import b\n",
        "pkg/b.py": "def later():\n    from . import a\n",
        "pkg/c.py": "import pkg.a\n",
        "pkg/sub/__init__.py": "from .d import thing\n",
        "pkg/sub/d.py": "from ..c import x\nfrom pkg.sub import e\n",
        "pkg/sub/e.py": "import json\n",
    })
    graph = import_graph(module_names(tmp_path, "pkg"))
    assert graph["pkg.sub.d"] == {"pkg.sub", "pkg.c", "pkg.sub.e"}
    # e imports nothing of the package, but importing it loads pkg.sub first, which
    # loads d, which imports e back.
    assert on_cycles(graph) == {"pkg.a", "pkg.b", "pkg.sub", "pkg.sub.d", "pkg.sub.e"}


@pytest.mark.slow
def test_each_tools_module_imports_when_imported_first() -> None:
    modules = module_names(REPO, "tools")
    first = sorted(on_cycles(import_graph(modules)))
    run = subprocess.run([sys.executable, "-c", _IMPORT_EACH_FIRST, " ".join(first),
                          " ".join(modules)],
                         capture_output=True, text=True, check=True, timeout=300, cwd=REPO)
    assert run.stdout.strip() == ""
