"""May this person approve this proposal now? Re-decides with the current facts first,
so a policy or facts change since the proposal turns a pending confirm into a refusal."""

from __future__ import annotations

from collections.abc import Iterable

from assistant.models import (
    Actor,
    Approval,
    Decision,
    Facts,
    Frozen,
    Outcome,
    Proposal,
    Reason,
)
from assistant.policy.compiled import Policy
from assistant.policy.engine import decide, roles_of
from assistant.policy.guards import as_utc


class ApprovalCheck(Frozen):
    ok: bool
    reasons: tuple[Reason, ...]
    approvals_needed: int  # still missing, counting this approval when it is ok
    decision: Decision  # the decision re-run with the current policy and facts


def _refusal(rule: str, message: str) -> Reason:
    return Reason(rule=rule, message=message, effect=Outcome.DENY)


def _qualifying_roles(policy: Policy, approver: Actor, proposal: Proposal,
                      decision: Decision) -> frozenset[str]:
    """The approver's roles that count for this decision; none for a forbidden self-approval."""
    if approver.user_id == proposal.requester.user_id and not decision.requester_may_approve:
        return frozenset()
    return roles_of(policy, approver).intersection(decision.approver_roles)


def counted_approvers(policy: Policy, proposal: Proposal, decision: Decision,
                      prior_approvals: Iterable[Approval]) -> set[str]:
    """Distinct approvers of this exact call who still qualify under ``policy`` and
    ``decision`` (a role revoked since the click no longer counts)."""
    return {
        a.approver.user_id
        for a in prior_approvals
        if a.approved and a.proposal_id == proposal.id and a.args_hash == proposal.args_hash
        and _qualifying_roles(policy, a.approver, proposal, decision)
    }


def approving_roles(policy: Policy, approver: Actor, environment: str,
                    tool: str) -> frozenset[str]:
    """The approver's roles that the current policy lets approve ``tool`` in ``environment``,
    whatever a particular call's facts say (for acting on a claim, not approving a call)."""
    plan = policy.approvals.get((environment, tool))
    return roles_of(policy, approver).intersection(plan.approver_roles) if plan else frozenset()


def check_approval(policy: Policy, approver: Actor, proposal: Proposal, facts: Facts,
                   prior_approvals: Iterable[Approval]) -> ApprovalCheck:
    prior = list(prior_approvals)
    decision = decide(policy, proposal.requester, proposal.call, facts)
    refusals: list[Reason] = []
    if proposal.args_hash != proposal.call.args_hash:
        refusals.append(_refusal("args-hash-mismatch",
                                 "the proposal's hash does not match its tool and arguments"))
    if decision.outcome is not Outcome.CONFIRM:
        what = "is now denied" if decision.outcome is Outcome.DENY else "needs no approval"
        refusals.append(_refusal("decision-changed",
                                 f"{proposal.call.tool} {what} under the current policy and "
                                 f"facts: {decision.explain()}"))
        return ApprovalCheck(ok=False, reasons=tuple(refusals), approvals_needed=0,
                             decision=decision)

    ttl = decision.ttl_seconds
    age = (as_utc(facts.now) - as_utc(proposal.created_at)).total_seconds()
    if ttl is not None and age > ttl:
        refusals.append(_refusal("proposal-expired",
                                 f"proposed {int(age // 60)}m ago; approvals expire after "
                                 f"{ttl // 60}m"))
    if approver.user_id == proposal.requester.user_id and not decision.requester_may_approve:
        refusals.append(_refusal("self-approval",
                                 f"{approver.user_id} requested this action and may not "
                                 "approve it"))
    held = roles_of(policy, approver).intersection(decision.approver_roles)
    if not held:
        refusals.append(_refusal(
            "approver-not-permitted",
            f"{approver.user_id} holds none of {', '.join(decision.approver_roles)} for "
            f"{proposal.call.tool} in {facts.environment}",
        ))
    counted = counted_approvers(policy, proposal, decision, prior)
    if any(a.approver.user_id == approver.user_id and a.approved and a.proposal_id == proposal.id
           for a in prior):
        refusals.append(_refusal("duplicate-approver",
                                 f"{approver.user_id} has already approved this proposal"))

    still_needed = max(0, decision.approvals_required - len(counted))
    if refusals:
        return ApprovalCheck(ok=False, reasons=tuple(refusals), approvals_needed=still_needed,
                             decision=decision)
    accepted = Reason(
        rule="approver-permitted",
        message=f"{approver.user_id} approves as {', '.join(sorted(held))}",
        effect=Outcome.CONFIRM,
    )
    return ApprovalCheck(ok=True, reasons=(accepted,), approvals_needed=max(0, still_needed - 1),
                         decision=decision)
