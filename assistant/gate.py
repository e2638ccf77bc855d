"""The policy gate: every decision the engine acts on, taken against one policy snapshot.

Policy files are reloaded while the process runs, so reading ``policies.current()`` once
for the rate window, again for the decision and again for the approvers could mix
versions within one decision. The gate reads the policy once per question it answers and
hands back what it decided with, so callers never go back to the provider mid-decision
and the audit event can name the one version that decided.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assistant.facts import MutationHistory, gather_facts
from assistant.models import Actor, Approval, Decision, Facts, Proposal, ToolCall
from assistant.policy import (
    ApprovalCheck,
    Policy,
    approving_roles,
    check_approval,
    counted_approvers,
    decide,
)
from assistant.policy.source import PolicyProvider
from tools.backend import Backend


@dataclass(frozen=True)
class Gated:
    """What a gated answer was taken with: fresh facts and one policy snapshot."""

    facts: Facts
    policy: Policy

    @property
    def version(self) -> str:
        return self.policy.version


@dataclass(frozen=True)
class GatedDecision(Gated):
    decision: Decision


@dataclass(frozen=True)
class GatedApproval(Gated):
    """Whether a click counts."""

    check: ApprovalCheck


@dataclass(frozen=True)
class GatedRecheck(Gated):
    """The execution-time re-decision and the approvers that still count under it."""

    decision: Decision
    counted: frozenset[str]

    @property
    def approvals_needed(self) -> int:
        return max(1, self.decision.approvals_required)


class PolicyGate:
    def __init__(self, policies: PolicyProvider, backend: Backend,
                 history: MutationHistory) -> None:
        self._policies = policies
        self._backend = backend
        self._history = history

    def snapshot(self) -> Policy:
        """The policy in force now, for questions that decide nothing (roles held, tools
        a planner is shown)."""
        return self._policies.current()

    def _facts(self, policy: Policy, call: ToolCall) -> Facts:
        return gather_facts(self._backend, self._history,
                            policy.rate_window(self._backend.environment), call)

    def decide(self, actor: Actor, call: ToolCall) -> GatedDecision:
        policy = self._policies.current()
        facts = self._facts(policy, call)
        return GatedDecision(facts, policy, decide(policy, actor, call, facts))

    def check_click(self, approver: Actor, proposal: Proposal,
                    approvals: Iterable[Approval]) -> GatedApproval:
        """May ``approver``'s Confirm or Deny on ``proposal`` count now?"""
        policy = self._policies.current()
        facts = self._facts(policy, proposal.call)
        return GatedApproval(facts, policy,
                             check_approval(policy, approver, proposal, facts, approvals))

    def recheck(self, proposal: Proposal, approvals: Iterable[Approval]) -> GatedRecheck:
        """Decide ``proposal`` again at execution time, and count the approvals that still
        qualify under that same decision."""
        policy = self._policies.current()
        facts = self._facts(policy, proposal.call)
        decision = decide(policy, proposal.requester, proposal.call, facts)
        counted = counted_approvers(policy, proposal, decision, approvals)
        return GatedRecheck(facts, policy, decision, frozenset(counted))

    def may_finish(self, actor: Actor, proposal: Proposal) -> bool:
        """May ``actor`` finish an approved run a crash cut short? Policy's approving roles
        for the tool, whatever this call's facts say: the executor re-decides anyway."""
        return bool(approving_roles(self._policies.current(), actor,
                                    self._backend.environment, proposal.call.tool))
