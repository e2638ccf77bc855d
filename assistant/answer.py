"""Compose what a responder reads: findings quoted from tools, the runbook followed, proposals.

Pure text assembly. Inputs are already redacted; adapters redact again at egress anyway.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.models import ExecutionResult, Outcome, Proposal, RetrievalHit, Verification
from assistant.planning.offline import Observation, Plan
from assistant.redaction.placeholder import PLACEHOLDER_RE

_INTERESTING = re.compile(
    r"error|fatal|panic|exception|fail|refused|timeout|oom|killed|crash|backoff|denied|"
    r"saturat|latency|5\d\d\b|unhealthy|not ready|unavailable",
    re.IGNORECASE,
)
MAX_QUOTE_LINES = 6
SECTION_SNIPPET_CHARS = 400
MODEL_READING_LABEL = "*The LLM's reading* (model output, not verified by opsbot):"


def quote(text: str, limit: int = MAX_QUOTE_LINES) -> list[str]:
    """The lines worth reading first: the alarming ones, else the head."""
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip()]
    if len(lines) <= limit:
        return lines
    # A placeholder's keyed suffix is random per key (#a512 would read as a 512 status):
    # which lines are quoted must not depend on it.
    hot = [ln for ln in lines if _INTERESTING.search(PLACEHOLDER_RE.sub("[REDACTED]", ln))]
    chosen = hot[:limit] if hot else lines[:limit]
    return [*chosen, f"… ({len(lines) - len(chosen)} more lines)"]


def _finding(obs: Observation) -> list[str]:
    return [f"• `{obs.call.render()}`:", *(f"    {ln}" for ln in quote(obs.text))]


def _observed(observations: Sequence[Observation]) -> list[str]:
    """Each read's result; a failure several reads share (a metric the backend does not
    have, asked for by each of a runbook's queries) is said once, naming every read."""
    failed: dict[str, list[str]] = {}
    for obs in observations:
        if not obs.ok:
            failed.setdefault(obs.error or "failed", []).append(f"`{obs.call.render()}`")
    out: list[str] = []
    for obs in observations:
        if obs.ok:
            out.extend(_finding(obs))
        elif (calls := failed.pop(obs.error or "failed", None)) is not None:
            out.append(f"• {', '.join(calls)}: could not run — {obs.error or 'failed'}")
    return out


def cite(hit: RetrievalHit) -> str:
    section = f" § {hit.section.heading}" if hit.section else ""
    return f"{hit.title} (`{hit.runbook_id}`){section}"


def _snippet(hit: RetrievalHit) -> list[str]:
    if hit.section is None or not hit.section.text.strip():
        return []
    text = " ".join(hit.section.text.split())
    if len(text) > SECTION_SNIPPET_CHARS:
        text = text[:SECTION_SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return [f"> {text}"]


def _indent(text: str, prefix: str) -> str:
    first, *rest = text.splitlines() or [""]
    return "\n".join([first, *(prefix + line for line in rest)])


def describe_proposal(p: Proposal, index: int) -> list[str]:
    """The full card: call, why, dry-run preview, blast radius, policy and approvers."""
    d = p.decision
    lines = [f"{index}. `{p.call.render()}` — {p.rationale}",
             f"   preview: {_indent(p.preview, '   ')}"]
    br = p.blast_radius
    if br.service or br.namespaces:
        scope = f"{br.pods_affected} pod(s)"
        if br.service_pods:
            scope += f" of {br.service_pods} in service {br.service}"
        lines.append(f"   blast radius: {scope}; {br.namespace_scope()}")
    if d.outcome is Outcome.DENY:
        lines.append(f"   policy: DENIED — {d.explain()}")
    else:
        who = ", ".join(d.approver_roles) or "an approver"
        lines.append(
            f"   policy: {d.outcome.value} — needs {d.approvals_required} approval(s) from {who}"
            + ("" if d.requester_may_approve else "; the requester may not approve it")
        )
        lines.append(f"   reasons: {d.explain()}")
        lines.append(f"   proposal id: {p.id}")
    return lines


def compose_answer(plan: Plan, proposals: Sequence[Proposal]) -> str:
    out: list[str] = []
    if plan.findings:
        out.append("*Findings*")
        for finding in plan.findings:
            out.extend(f"• {line}" if i == 0 else f"  {line}"
                       for i, line in enumerate(finding.render()))
    if plan.observations:
        out.append("*What I found*")
        out.extend(_observed(plan.observations))
    if plan.narrative:
        # The model's words can claim anything ("already approved and executed"): they
        # follow what opsbot itself ran and are labelled as the model's.
        out.append(f"{MODEL_READING_LABEL}\n{plan.narrative.strip()}")
    followed = plan.followed
    if plan.cited is not None:
        if followed is not None and followed.id != plan.cited.runbook_id:
            out.append(f"*Runbook*: best match {cite(plan.cited)}; steps followed from "
                       f"{followed.title} (`{followed.id}`)")
        else:
            out.append(f"*Runbook*: {cite(plan.cited)}")
        out.extend(_snippet(plan.cited))
    else:
        out.append("*Runbook*: no runbook matched this question.")
    if plan.ask_back:
        out.append(plan.ask_back)
    for note in plan.notes:
        out.append(f"_note: {note}_")
    if proposals:
        out.append("*Proposed actions*")
        for i, p in enumerate(proposals, 1):
            if p.decision.outcome is Outcome.DENY:
                out.extend(describe_proposal(p, i))
            else:
                out.append(f"{i}. `{p.call.render()}` — {p.rationale} "
                           f"(awaiting confirmation: {p.id})")
    elif not plan.ask_back and followed is not None and plan.observations and not plan.notes:
        out.append("No action proposed: the runbook's remediation steps did not apply.")
    return "\n".join(out)


def describe_result(proposal: Proposal, result: ExecutionResult) -> str:
    lines = [f"`{proposal.call.render()}` → {result.status.value}"
             f" (attempts {result.attempts}, {result.duration_ms:.0f} ms)"]
    lines.extend(f"    {ln}" for ln in quote(result.output, limit=10))
    if result.verification is not None:
        lines.append(describe_verification(result.verification))
    return "\n".join(lines)


def describe_verification(verification: Verification) -> str:
    return f"verification: {verification.verdict} — {verification.detail}"
