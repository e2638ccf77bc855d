"""A plain pytest run never stops the machine's PostgreSQL; only ``-m pg_restart`` does.

Checked with ``--collect-only`` in a child pytest, so no outage test actually runs here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

OUTAGE_TESTS = Path(__file__).with_name("test_storage_postgres_outage.py")


def _collected(*options: str) -> list[str]:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-o", "addopts=-q",
         "-p", "no:cacheprovider", *options, str(OUTAGE_TESTS)],
        capture_output=True, text=True, check=False, timeout=120,
        cwd=OUTAGE_TESTS.parent.parent,
    )
    return [line for line in run.stdout.splitlines() if "::" in line]


@pytest.mark.slow
def test_a_run_without_a_marker_expression_leaves_the_outage_tests_out() -> None:
    assert _collected() == []


@pytest.mark.slow
def test_selecting_the_marker_still_collects_the_outage_tests() -> None:
    assert _collected("-m", "pg_restart")
