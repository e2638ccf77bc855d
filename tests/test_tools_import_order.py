"""Every tools module imports on its own, whichever is imported first.

A cycle between modules only shows when the import starts from one particular side, so
each module is imported first in turn (the tools package forgotten between attempts).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

_IMPORT_EACH_FIRST = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "tools" or m.startswith("tools.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except ImportError as error:
        failed.append(f"{name}: {error}")
print("\\n".join(failed))
"""


def _tools_modules() -> list[str]:
    names = []
    for path in sorted((REPO / "tools").rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.slow
def test_each_tools_module_imports_when_imported_first() -> None:
    run = subprocess.run([sys.executable, "-c", _IMPORT_EACH_FIRST, *_tools_modules()],
                         capture_output=True, text=True, check=True, timeout=300, cwd=REPO)
    assert run.stdout.strip() == ""
