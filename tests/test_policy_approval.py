"""`check_approval`: who may click Confirm, how often, until when, and under which facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from assistant.config import REPO_ROOT
from assistant.models import (
    Actor,
    Approval,
    BlastRadius,
    ErrorBudget,
    Facts,
    Outcome,
    Proposal,
    ToolCall,
)
from assistant.policy import check_approval, compile_policy, decide, load_policy

POLICY = load_policy(REPO_ROOT / "policies")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
BLAST = BlastRadius(namespaces=("shop",), service="checkout", pods_affected=4, service_pods=4,
                    replicas_before=4, replicas_after=4)
CALL = ToolCall(tool="restart_deployment", args={"namespace": "shop", "deployment": "checkout"})
ALICE, BOB, CAROL, DAN = (Actor(user_id=u) for u in ("U01ALICE", "U02BOB", "U03CAROL", "U04DAN"))


def facts(environment: str = "prod", minutes_later: float = 1.0, **changes: object) -> Facts:
    now = NOW + timedelta(minutes=minutes_later)
    budget = ErrorBudget(service="checkout", slo_target=0.999, remaining=0.5, as_of=now)
    return Facts.model_validate({"environment": environment, "now": now, "blast_radius": BLAST,
                                 "error_budget": budget, **changes})


def proposal(requester: Actor, environment: str = "prod", call: ToolCall = CALL) -> Proposal:
    state = facts(environment, minutes_later=0)
    return Proposal(
        id="p-1", thread_id="t-1", call=call, rationale="restart to clear a wedged pool",
        requester=requester, blast_radius=BLAST, preview="restart 4 pods",
        args_hash=call.args_hash, created_at=NOW,
        decision=decide(POLICY, requester, call, state),
    )


def approval(approver: Actor, of: Proposal, approved: bool = True) -> Approval:
    return Approval(proposal_id=of.id, approver=approver, args_hash=of.args_hash,
                    approved=approved, at=NOW)


def rules(check: object) -> list[str]:
    return [r.rule for r in check.reasons]  # type: ignore[attr-defined]


def test_sre_approves_a_responders_prod_action() -> None:
    check = check_approval(POLICY, ALICE, proposal(BOB), facts(), [])
    assert check.ok
    assert check.approvals_needed == 0
    assert check.decision.outcome is Outcome.CONFIRM
    assert "sre" in check.reasons[0].message


def test_requester_may_not_approve_own_prod_action() -> None:
    check = check_approval(POLICY, ALICE, proposal(ALICE), facts(), [])
    assert not check.ok
    assert rules(check) == ["self-approval"]
    assert check.approvals_needed == 1


def test_requester_may_approve_own_staging_action() -> None:
    check = check_approval(POLICY, BOB, proposal(BOB, "staging"), facts("staging"), [])
    assert check.ok


def test_approver_needs_an_approving_role_for_the_tool_and_environment() -> None:
    assert rules(check_approval(POLICY, CAROL, proposal(BOB), facts(), [])) == [
        "approver-not-permitted"]
    # Bob may approve remediation in staging but not in prod.
    assert rules(check_approval(POLICY, BOB, proposal(DAN), facts(), [])) == [
        "approver-not-permitted"]


def test_same_approver_cannot_count_twice() -> None:
    prop = proposal(BOB)
    check = check_approval(POLICY, ALICE, prop, facts(), [approval(ALICE, prop)])
    assert not check.ok
    assert "duplicate-approver" in rules(check)
    assert check.approvals_needed == 0  # Alice's first approval already counts


def test_expired_proposal_is_refused() -> None:
    check = check_approval(POLICY, ALICE, proposal(BOB), facts(minutes_later=16), [])
    assert not check.ok
    assert rules(check) == ["proposal-expired"]


def test_changed_facts_turn_confirm_into_refusal() -> None:
    check = check_approval(POLICY, ALICE, proposal(BOB), facts(resource_locked=True), [])
    assert not check.ok
    assert rules(check) == ["decision-changed"]
    assert check.decision.outcome is Outcome.DENY
    assert "one-action-per-resource" in check.reasons[0].message


def test_changed_policy_turns_confirm_into_refusal() -> None:
    stricter = load_policy([REPO_ROOT / "policies" / "roles.yaml",
                            REPO_ROOT / "policies" / "guardrails.yaml"])  # no approval rules
    check = check_approval(stricter, ALICE, proposal(BOB), facts(), [])
    assert not check.ok
    assert check.decision.policy_version != POLICY.version
    assert "no-approval-rule" in check.reasons[0].message


def test_tampered_arguments_are_refused() -> None:
    prop = proposal(BOB)
    other = ToolCall(tool=CALL.tool, args={**CALL.args, "deployment": "payments"})
    tampered = prop.model_copy(update={"call": other})
    assert "args-hash-mismatch" in rules(check_approval(POLICY, ALICE, tampered, facts(), []))


def test_prior_self_approval_does_not_count_when_forbidden() -> None:
    shipped = REPO_ROOT / "policies"
    documents = [(str(p), p.read_text()) for p in sorted(shipped.glob("*.yaml"))]
    two_approvers = [(name, text.replace("approvers: 1\n    from_roles", "approvers: 2\n"
                                         "    from_roles")) for name, text in documents]
    policy = compile_policy(two_approvers)
    prop = proposal(ALICE)
    check = check_approval(policy, DAN, prop, facts(), [approval(ALICE, prop)])
    assert check.ok
    assert check.decision.approvals_required == 2
    assert check.approvals_needed == 1  # Alice's own click is not one of the two


def test_rejections_and_other_proposals_do_not_count() -> None:
    prop = proposal(BOB)
    noise = [approval(DAN, prop, approved=False),
             approval(DAN, prop).model_copy(update={"proposal_id": "p-2"}),
             approval(DAN, prop).model_copy(update={"args_hash": "0" * 64})]
    check = check_approval(POLICY, ALICE, prop, facts(), noise)
    assert check.ok
    assert check.approvals_needed == 0
