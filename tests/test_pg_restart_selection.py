"""A plain pytest run never stops the machine's PostgreSQL; only ``-m pg_restart`` does.

Checked with ``--collect-only`` in a child process, so no outage test actually runs here.
Both collections share that child (pytest.main twice): starting one and importing the
storage code it collects costs several seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

OUTAGE_TESTS = Path(__file__).with_name("test_storage_postgres_outage.py")

_COLLECT_EACH = """
import contextlib, io, json, sys
import pytest
collected = {}
for name, options in json.loads(sys.argv[1]).items():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        pytest.main(["--collect-only", "-o", "addopts=-q", "-p", "no:cacheprovider",
                     *options, sys.argv[2]])
    collected[name] = [line for line in out.getvalue().splitlines() if "::" in line]
print(json.dumps(collected))
"""


@pytest.fixture(scope="module")
def collected() -> dict[str, list[str]]:
    """The outage tests each marker expression collects: none given, and ``pg_restart``."""
    runs = {"plain": [], "pg_restart": ["-m", "pg_restart"]}
    run = subprocess.run(
        [sys.executable, "-c", _COLLECT_EACH, json.dumps(runs), str(OUTAGE_TESTS)],
        capture_output=True, text=True, check=True, timeout=120,
        cwd=OUTAGE_TESTS.parent.parent,
    )
    result: dict[str, list[str]] = json.loads(run.stdout.splitlines()[-1])
    return result


@pytest.mark.slow
def test_a_run_without_a_marker_expression_leaves_the_outage_tests_out(
        collected: dict[str, list[str]]) -> None:
    assert collected["plain"] == []


@pytest.mark.slow
def test_selecting_the_marker_still_collects_the_outage_tests(
        collected: dict[str, list[str]]) -> None:
    assert collected["pg_restart"]
