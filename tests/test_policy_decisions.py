"""`decide` over the shipped policy and small purpose-built ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from assistant.config import REPO_ROOT
from assistant.models import Actor, BlastRadius, ErrorBudget, Facts, Outcome, ToolCall
from assistant.policy import compile_policy, decide, load_policy, requestable_tools, roles_of
from tools.catalog import CATALOG, ToolClass

POLICY = load_policy(REPO_ROOT / "policies")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
CHECKOUT = BlastRadius(namespaces=("shop",), service="checkout", pods_affected=4,
                       service_pods=4, replicas_before=4, replicas_after=4)
HEALTHY = ErrorBudget(service="checkout", slo_target=0.999, remaining=0.6, as_of=NOW)
ROLLBACK = ToolCall(tool="rollback_deployment",
                    args={"namespace": "shop", "deployment": "checkout"})


def facts(**changes: object) -> Facts:
    base = {"environment": "prod", "now": NOW, "blast_radius": CHECKOUT, "error_budget": HEALTHY}
    return Facts.model_validate({**base, **changes})


def scale(replicas: int) -> ToolCall:
    return ToolCall(tool="scale_deployment",
                    args={"namespace": "shop", "deployment": "checkout", "replicas": replicas})


def test_roles_come_from_user_and_groups() -> None:
    assert roles_of(POLICY, Actor(user_id="U02BOB")) == {"responder"}
    assert roles_of(POLICY, Actor(user_id="U02BOB", groups=("S0SRE",))) == {"responder", "sre"}
    assert roles_of(POLICY, Actor(user_id="U99NOBODY", groups=("S9OTHER",))) == frozenset()


def test_requestable_tools_follow_role_and_environment() -> None:
    bob = Actor(user_id="U02BOB")
    assert "rollback_deployment" in requestable_tools(POLICY, bob, "prod")
    assert "scale_deployment" not in requestable_tools(POLICY, bob, "prod")
    carol = requestable_tools(POLICY, Actor(user_id="U03CAROL"), "prod")
    # A viewer may request every read, and only reads.
    assert carol == {name for name, spec in CATALOG.items() if spec.tool_class is ToolClass.READ}
    assert {"list_pods", "describe_deployment", "query_metrics", "describe_pv"} <= carol
    assert requestable_tools(POLICY, Actor(user_id="U99NOBODY"), "prod") == frozenset()


def test_rate_window_is_exposed_per_environment() -> None:
    assert POLICY.rate_window("prod") == timedelta(minutes=30)
    assert POLICY.rate_window("nowhere") == timedelta(0)


def test_confirm_carries_approvers_ttl_and_version() -> None:
    decision = decide(POLICY, Actor(user_id="U02BOB"), ROLLBACK, facts())
    assert decision.outcome is Outcome.CONFIRM
    assert decision.approver_roles == ("incident-commander", "sre")
    assert decision.approvals_required == 1
    assert decision.requester_may_approve is False
    assert decision.ttl_seconds == 15 * 60
    assert decision.policy_version == POLICY.version
    assert all(r.source and r.line for r in decision.reasons)


def test_every_deny_reason_is_reported_with_file_and_line() -> None:
    decision = decide(POLICY, Actor(user_id="U01ALICE"), scale(0),
                      facts(recent_actions=3, resource_locked=True))
    denying = {r.rule: r for r in decision.reasons if r.effect is Outcome.DENY}
    assert set(denying) == {"prod-scale-limits", "three-actions-per-service",
                            "one-action-per-resource"}
    assert denying["prod-scale-limits"].source.endswith("guardrails.yaml")
    assert decision.approvals_required == 0 and decision.approver_roles == ()


def test_unknown_tool_is_denied() -> None:
    decision = decide(POLICY, Actor(user_id="U01ALICE"), ToolCall(tool="drop_database"), facts())
    assert decision.outcome is Outcome.DENY
    assert [r.rule for r in decision.reasons] == ["unknown-tool"]


@pytest.mark.parametrize("before, after, allowed", [
    (4, 8, True), (4, 9, False), (4, 2, True), (4, 1, False), (20, 30, True), (20, 31, False),
    (0, 2, True), (0, 3, False), (1, 0, False),
])
def test_scale_limits_in_prod(before: int, after: int, allowed: bool) -> None:
    blast = CHECKOUT.model_copy(update={"replicas_before": before, "replicas_after": after})
    decision = decide(POLICY, Actor(user_id="U01ALICE"), scale(after), facts(blast_radius=blast))
    assert (decision.outcome is Outcome.CONFIRM) is allowed


def test_scale_with_unknown_current_replicas_is_denied() -> None:
    blast = CHECKOUT.model_copy(update={"replicas_before": None, "replicas_after": None})
    decision = decide(POLICY, Actor(user_id="U01ALICE"), scale(5), facts(blast_radius=blast))
    assert decision.outcome is Outcome.DENY
    assert "unknown" in decision.explain()


def test_budget_for_another_service_counts_as_unknown() -> None:
    other = ErrorBudget(service="payments", slo_target=0.99, remaining=0.9, as_of=NOW)
    decision = decide(POLICY, Actor(user_id="U01ALICE"), scale(5), facts(error_budget=other))
    assert decision.outcome is Outcome.DENY
    assert "payments" in decision.explain()


def test_naive_times_are_taken_as_utc() -> None:
    # 23:30 UTC on Dec 22 is 00:30 on Dec 23 in Berlin: inside the holiday freeze.
    naive = datetime(2026, 12, 22, 23, 30)
    budget = HEALTHY.model_copy(update={"as_of": naive})
    decision = decide(POLICY, Actor(user_id="U01ALICE"), scale(5),
                      facts(now=naive, error_budget=budget))
    assert [r.rule for r in decision.reasons if r.effect is Outcome.DENY] == [
        "holiday-freeze-2026"]


WEEKLY = """\
environments: [prod]
roles:
  sre:
    grants: [{id: sre-all, request: [read-only, remediation, change], approve: [change]}]
  ic:
    grants: [{id: ic-all, request: [change], approve: [change]}]
users:
  U1: {roles: [sre]}
  U2: {roles: [ic]}
approvals: [{id: one, ttl: 10m}]
freeze_windows:
  - id: weekend
    timezone: America/New_York
    weekly: {from: "fri 18:00", to: "mon 06:00"}
    break_glass_roles: [ic]
"""


@pytest.mark.parametrize("local, frozen", [
    (datetime(2026, 11, 27, 17, 59), False),  # Friday
    (datetime(2026, 11, 27, 18, 0), True),
    (datetime(2026, 11, 29, 12, 0), True),  # Sunday
    (datetime(2026, 11, 30, 5, 59), True),  # Monday
    (datetime(2026, 11, 30, 6, 0), False),
    (datetime(2026, 11, 25, 12, 0), False),  # Wednesday
])
def test_weekly_window_wraps_over_the_weekend_in_its_time_zone(local: datetime,
                                                               frozen: bool) -> None:
    policy = compile_policy([("weekly.yaml", WEEKLY)])
    now = local.replace(tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
    call = scale(3)
    state = Facts(environment="prod", now=now, blast_radius=CHECKOUT)
    sre = decide(policy, Actor(user_id="U1"), call, state)
    ic = decide(policy, Actor(user_id="U2"), call, state)
    assert (sre.outcome is Outcome.DENY) is frozen
    assert ic.outcome is Outcome.CONFIRM
    assert ic.break_glass is frozen


def test_disabled_window_never_applies() -> None:
    disabled = WEEKLY.replace("  - id: weekend\n", "  - id: weekend\n    enabled: false\n")
    policy = compile_policy([("weekly.yaml", disabled)])
    sunday = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    decision = decide(policy, Actor(user_id="U1"), scale(3),
                      Facts(environment="prod", now=sunday, blast_radius=CHECKOUT))
    assert decision.outcome is Outcome.CONFIRM


def test_mutating_call_without_approval_rule_is_denied() -> None:
    policy = compile_policy([("p.yaml", WEEKLY.replace("approvals: [{id: one, ttl: 10m}]\n", ""))])
    decision = decide(policy, Actor(user_id="U1"), ROLLBACK,
                      Facts(environment="prod", now=NOW, blast_radius=CHECKOUT))
    assert decision.outcome is Outcome.DENY
    assert [r.rule for r in decision.reasons][-1] == "no-approval-rule"


def test_mutating_call_nobody_may_approve_is_denied() -> None:
    policy = compile_policy([("p.yaml", WEEKLY)])  # nobody holds approve for remediation
    decision = decide(policy, Actor(user_id="U1"), ROLLBACK,
                      Facts(environment="prod", now=NOW, blast_radius=CHECKOUT))
    assert decision.outcome is Outcome.DENY
    assert [r.rule for r in decision.reasons][-1] == "no-approver"


def test_fail_open_budget_rule_confirms_with_a_reason() -> None:
    text = WEEKLY + ("error_budget:\n  - id: budget\n    below: 0.1\n    frozen: [change]\n"
                     "    when_unknown: allow\n")
    policy = compile_policy([("p.yaml", text)])
    decision = decide(policy, Actor(user_id="U1"), scale(3),
                      Facts(environment="prod", now=NOW, blast_radius=CHECKOUT))
    assert decision.outcome is Outcome.CONFIRM
    assert any(r.rule == "budget" and "fails open" in r.message for r in decision.reasons)
