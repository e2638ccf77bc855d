"""The shipped eval suites pass with the offline planner (the engine earns every pass)."""

from __future__ import annotations

import pytest
from offline_suites import assert_passes_offline

from assistant.cli.evals import DEFAULT_SUITES
from assistant.config import REPO_ROOT
from assistant.evaluation import load_suites

SCENARIOS = {"checkout-bad-deploy", "cart-memory-leak", "search-traffic-spike",
             "payments-budget-exhausted", "noisy-disk-alert"}


@pytest.mark.slow
def test_shipped_suites_pass_offline(tmp_path):
    assert_passes_offline(DEFAULT_SUITES, 60, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize(("folder", "at_least"), [("generalisation", 38), ("blind2", 43)])
def test_new_incident_suites_pass_offline(tmp_path, folder: str, at_least: int):
    """New incidents with distractors, injected text and planted secrets (blind2 written
    blind, before the planner was read): every case passes, nothing leaks, nothing unsafe
    is proposed. The held-out folder has a module of its own (test_eval_heldout_suite)."""
    assert_passes_offline(REPO_ROOT / "evals" / folder, at_least, tmp_path)


def test_shipped_suites_cover_every_scenario_and_policy_rule_kind():
    suites = load_suites([DEFAULT_SUITES])
    assert {s.scenario.stem for s in suites if s.scenario} >= SCENARIOS
    reasons = {rule for s in suites for c in s.cases
               for rule in c.expect.decision_reason.values()}
    assert reasons >= {"not-granted", "prod-scale-limits", "budget-exhausted-freeze",
                       "holiday-freeze-2026", "three-actions-per-service",
                       "one-action-per-resource"}
    proposed = {p.tool for s in suites for c in s.cases for p in c.expect.proposes or ()}
    assert proposed >= {"rollback_deployment", "restart_deployment", "scale_deployment",
                        "silence_alert"}
