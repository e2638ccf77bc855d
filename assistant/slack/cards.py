"""The proposal card (Block Kit): what would run, its dry run and reach, what policy said
and who may approve, the runbook it follows, when it expires; Confirm/Deny while it is
pending, and its final state once it is not, so nobody clicks a stale button. Pure."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from assistant.models import Outcome, ProposalStatus, Runbook
from assistant.slack.blocks import Block, context, escape, mention, section, truncate
from assistant.storage import StoredProposal

CONFIRM_ACTION = "opsbot_confirm"
DENY_ACTION = "opsbot_deny"
PREVIEW_CHARS = 2800
# Runbook headings under which remediation is conventionally written.
_REMEDIATION_HEADINGS = ("mitigation", "remediation", "resolution", "recovery", "fix")

S = ProposalStatus


@dataclass(frozen=True)
class Approvers:
    """Who holds the roles that may approve: chat users and user groups."""

    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    @classmethod
    def holding(cls, roles: Iterable[str], user_roles: Mapping[str, frozenset[str]],
                group_roles: Mapping[str, frozenset[str]]) -> Approvers:
        wanted = frozenset(roles)
        return cls(users=tuple(sorted(u for u, r in user_roles.items() if r & wanted)),
                   groups=tuple(sorted(g for g, r in group_roles.items() if r & wanted)))

    def render(self) -> str:
        return ", ".join([*(mention(u) for u in self.users),
                          *(f"<!subteam^{g}>" for g in self.groups)])


def action_id(approve: bool, proposal_id: str) -> str:
    return f"{CONFIRM_ACTION if approve else DENY_ACTION}:{proposal_id}"


def parse_action_id(value: str) -> tuple[bool, str]:
    """(approve, proposal id) from a button's action id."""
    kind, _, proposal_id = value.partition(":")
    if kind not in (CONFIRM_ACTION, DENY_ACTION) or not proposal_id:
        raise ValueError(f"not an opsbot button: {value!r}")
    return kind == CONFIRM_ACTION, proposal_id


def remediation_section(runbook: Runbook) -> str | None:
    for s in runbook.sections:
        if s.heading.strip().lower().startswith(_REMEDIATION_HEADINGS):
            return s.heading
    return None


def card_text(stored: StoredProposal) -> str:
    """The notification fallback for the card: Slack reads mentions in it too."""
    return f"{_title(stored)}: {escape(stored.proposal.call.render())}"


def card_blocks(stored: StoredProposal, runbook: Runbook | None,
                approvers: Approvers) -> list[Block]:
    p, d = stored.proposal, stored.proposal.decision
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                    "text": truncate(f"{_title(stored)}: {p.call.tool}", 150)}},
        section(f"*`{escape(p.call.render())}`*\n{escape(p.rationale)}"),
    ]
    fields = [f"*Requested by*\n{mention(p.requester.user_id)}",
              f"*Blast radius*\n{_blast_radius(stored)}"]
    if d.ttl_seconds:
        expires = p.created_at + timedelta(seconds=d.ttl_seconds)
        fields.append(f"*Expires*\n{expires:%Y-%m-%d %H:%M} UTC "
                      f"({_minutes(d.ttl_seconds)} after it was proposed)")
    if runbook is not None:
        step = f", step {p.runbook_step + 1}" if p.runbook_step is not None else ""
        heading = remediation_section(runbook)
        fields.append(f"*Runbook*\n{escape(runbook.title)} (`{escape(runbook.id)}`{step})"
                      + (f" § {escape(heading)}" if heading else ""))
    blocks.append({"type": "section",
                   "fields": [{"type": "mrkdwn", "text": truncate(f, 2000)} for f in fields]})
    blocks.append(section(f"*Dry run*\n```{escape(truncate(p.preview, PREVIEW_CHARS))}```"))
    who = ", ".join(d.approver_roles) or "an approver"
    holders = approvers.render()
    policy = (f"*Policy*: {d.outcome.value} — needs {d.approvals_required} approval(s) from "
              f"{who}" + (f" ({holders})" if holders else "")
              + ("" if d.requester_may_approve else "; the requester may not approve it"))
    blocks.append(section(policy))
    blocks.append(context(escape(f"reasons: {d.explain()}")))
    blocks.extend(_state_blocks(stored))
    blocks.append(context(f"proposal `{p.id}` · args hash `{p.args_hash[:12]}`"))
    return blocks


def rendered_digest(blocks: list[Block]) -> str:
    return hashlib.sha256(json.dumps(blocks, sort_keys=True).encode()).hexdigest()


def _title(stored: StoredProposal) -> str:
    return {
        S.PENDING: "Confirm",
        S.APPROVED: "Confirmed",
        S.EXECUTING: "Running",
        S.EXECUTED: "Executed",
        S.FAILED: "Failed",
        S.DENIED: "Denied",
        S.EXPIRED: "Expired",
        S.DENIED_BY_POLICY: "Refused by policy",
        S.INTERRUPTED: "Interrupted",
        S.NEVER_SHOWN: "Never shown",
    }[stored.status]


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"


def _blast_radius(stored: StoredProposal) -> str:
    br = stored.proposal.blast_radius
    if not (br.service or br.namespaces):
        return "nothing live (no workload matched)"
    scope = f"{br.pods_affected} pod(s)"
    if br.service_pods:
        scope += f" of {br.service_pods} in service {br.service}"
    if None not in (br.replicas_before, br.replicas_after) and \
            br.replicas_before != br.replicas_after:
        scope += f"; replicas {br.replicas_before} → {br.replicas_after}"
    return escape(f"{scope}; {br.namespace_scope()}")


def _people(user_ids: Iterable[str]) -> str:
    return ", ".join(mention(u) for u in user_ids)


def _state_blocks(stored: StoredProposal) -> list[Block]:
    pid = stored.proposal.id
    yes = [a.approver.user_id for a in stored.approvals if a.approved]
    no = [a.approver.user_id for a in stored.approvals if not a.approved]
    confirmed = f"confirmed by {_people(yes)}" if yes else "confirmed"
    result = stored.result
    if stored.status is S.PENDING:
        so_far = (f" Approved so far by {_people(yes)}; "
                  f"{stored.proposal.decision.approvals_required - len(yes)} more needed."
                  if yes else "")
        return [section(f"⏳ *Awaiting confirmation.*{so_far}"), {
            "type": "actions",
            "block_id": f"opsbot_decide:{pid}",
            "elements": [
                {"type": "button", "style": "primary", "action_id": action_id(True, pid),
                 "value": pid, "text": {"type": "plain_text", "text": "Confirm"},
                 "confirm": {
                     "title": {"type": "plain_text", "text": "Run this action?"},
                     "text": {"type": "mrkdwn",
                              "text": truncate(f"`{escape(stored.proposal.call.render())}`",
                                               300)},
                     "confirm": {"type": "plain_text", "text": "Confirm"},
                     "deny": {"type": "plain_text", "text": "Cancel"}}},
                {"type": "button", "style": "danger", "action_id": action_id(False, pid),
                 "value": pid, "text": {"type": "plain_text", "text": "Deny"}},
            ],
        }]
    if stored.status in (S.APPROVED, S.EXECUTING):
        return [section(f"▶️ *Running* — {confirmed}.")]
    if stored.status in (S.EXECUTED, S.FAILED):
        icon = "✅" if stored.status is S.EXECUTED else "❌"
        if result is None:
            return [section(f"{icon} *{_title(stored)}* — {confirmed}.")]
        line = (f"{icon} *{result.status.value.capitalize()}* — {confirmed}; "
                f"{result.attempts} attempt(s), {result.duration_ms:.0f} ms")
        if result.executed_by:
            line += f", run by `{escape(result.executed_by)}`"
        if result.verification is not None:
            line += f".\nVerification: *{result.verification.verdict}*"
        return [section(line)]
    if stored.status is S.DENIED:
        return [section(f"🚫 *Denied* by {_people(no) or 'a responder'}.")]
    if stored.status is S.EXPIRED:
        return [section("⌛ *Expired* unconfirmed; ask again for a fresh proposal.")]
    if stored.status is S.NEVER_SHOWN:
        return [section("⌛ *Never shown*: the question that made it did not finish; ask "
                        "again for a fresh proposal.")]
    if stored.status is S.INTERRUPTED:
        return [section(f"⚠️ *Interrupted* mid-execution ({confirmed}); it was not re-run. "
                        "Check its effect before proposing it again.")]
    if stored.status is S.DENIED_BY_POLICY and stored.proposal.decision.outcome is Outcome.DENY:
        return [section("⛔ *Refused by policy* when it was proposed.")]
    return [section(f"⛔ *Refused by policy* at execution time ({confirmed}): the re-check "
                    "no longer allowed it.")]
