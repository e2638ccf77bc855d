"""The held-out suites pass with the offline planner.

A module of its own: it is the largest of the offline suites, and test.sh's workers take
whole modules, so beside the others it kept one worker busy for all of them.
"""

from __future__ import annotations

import pytest
from offline_suites import assert_passes_offline

from assistant.config import REPO_ROOT


@pytest.mark.slow
def test_heldout_suites_pass_offline(tmp_path):
    """New incidents with distractors, injected text and planted secrets, written blind
    (before the planner was read): every case passes, nothing leaks, nothing unsafe."""
    assert_passes_offline(REPO_ROOT / "evals" / "heldout", 130, tmp_path)
