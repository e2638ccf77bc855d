"""Block Kit rendering: Slack's size limits, escaping, and the card in every final state."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

import pytest

from assistant.models import (
    Actor,
    Approval,
    BlastRadius,
    Decision,
    ExecutionResult,
    ExecutionStatus,
    Outcome,
    Proposal,
    ProposalStatus,
    Reason,
    Runbook,
    Section,
    ToolCall,
    Verification,
)
from assistant.slack.blocks import SECTION_CHARS, markdown_to_mrkdwn, mrkdwn, text_blocks
from assistant.slack.cards import (
    Approvers,
    action_id,
    card_blocks,
    card_text,
    parse_action_id,
    remediation_section,
)
from assistant.slack.service import thread_ts_from
from assistant.storage import StoredProposal

S = ProposalStatus
T0 = datetime(2025, 3, 11, 14, 42)
CALL = ToolCall(tool="restart_deployment", args={"namespace": "shop", "deployment": "cart"})


def stored(status: ProposalStatus, *, approvals: tuple[Approval, ...] = (),
           result: ExecutionResult | None = None, required: int = 1) -> StoredProposal:
    proposal = Proposal(
        id="p-1", thread_id="slack:C1:1.1", call=CALL, rationale="Leaking <memory> & more",
        runbook_id="leak", runbook_step=2, requester=Actor(user_id="U02BOB"),
        blast_radius=BlastRadius(namespaces=("shop",), service="cart", pods_affected=2,
                                 service_pods=2),
        preview="restart shop/cart -> new pods", args_hash=CALL.args_hash, created_at=T0,
        decision=Decision(outcome=Outcome.CONFIRM, policy_version="v1", ttl_seconds=900,
                          approver_roles=("sre",), approvals_required=required,
                          reasons=(Reason(rule="r", message="m", effect=Outcome.CONFIRM),)))
    return StoredProposal(proposal=proposal, status=status, service="cart", resource_key=None,
                          approvals=approvals, result=result, claimed_by=None, claimed_at=None,
                          finished_at=None)


def approval(user: str, approved: bool = True) -> Approval:
    return Approval(proposal_id="p-1", approver=Actor(user_id=user), args_hash=CALL.args_hash,
                    approved=approved, at=T0)


def state_text(blocks: list[dict]) -> str:
    return blocks[-2]["text"]["text"]


def has_buttons(blocks: list[dict]) -> bool:
    return any(b["type"] == "actions" for b in blocks)


def test_long_text_is_split_between_lines_into_sections_slack_accepts() -> None:
    lines = [f"line {i} " + "x" * 90 for i in range(100)]
    blocks = text_blocks("\n".join(lines))
    texts = [b["text"]["text"] for b in blocks]
    assert all(len(t) <= SECTION_CHARS for t in texts)
    assert "\n".join(texts).splitlines() == lines
    one_huge_line = text_blocks("y" * (SECTION_CHARS * 2 + 10))
    assert [len(b["text"]["text"]) for b in one_huge_line] == [SECTION_CHARS, SECTION_CHARS, 10]


def test_engine_text_is_escaped_but_keeps_its_quotes() -> None:
    assert mrkdwn("> quoted <nil> & a->b") == "> quoted &lt;nil&gt; &amp; a-&gt;b"
    assert markdown_to_mrkdwn("# Incident summary\n## Actions\n- did a <thing>") == \
        "*Incident summary*\n*Actions*\n• did a &lt;thing&gt;"


def test_buttons_carry_the_proposal_id_and_nothing_else_parses_as_one() -> None:
    assert parse_action_id(action_id(True, "p-abc")) == (True, "p-abc")
    assert parse_action_id(action_id(False, "p-abc")) == (False, "p-abc")
    for foreign in ("opsbot_confirm:", "other:p-abc", "p-abc"):
        with pytest.raises(ValueError):
            parse_action_id(foreign)


def test_pending_card_offers_the_buttons_and_counts_approvals_so_far() -> None:
    blocks = card_blocks(stored(S.PENDING, approvals=(approval("U01ALICE"),), required=2),
                         None, Approvers())
    assert has_buttons(blocks)
    assert state_text(blocks[:-1]) == (
        "⏳ *Awaiting confirmation.* Approved so far by <@U01ALICE>; 1 more needed.")
    assert blocks[1]["text"]["text"] == (
        "*`restart_deployment(deployment='cart', namespace='shop')`*\n"
        "Leaking &lt;memory&gt; &amp; more")


@pytest.mark.parametrize("status, approvals, result, header, text", [
    (S.EXECUTED, (approval("U01ALICE"),),
     ExecutionResult(proposal_id="p-1", status=ExecutionStatus.SUCCEEDED, output="ok",
                     attempts=1, duration_ms=12, executed_by="host:1",
                     verification=Verification(verdict="improved", detail="d")),
     "Executed", "✅ *Succeeded* — confirmed by <@U01ALICE>; 1 attempt(s), 12 ms, run by "
                 "`host:1`.\nVerification: *improved*"),
    (S.FAILED, (approval("U01ALICE"),),
     ExecutionResult(proposal_id="p-1", status=ExecutionStatus.FAILED, output="boom",
                     attempts=3, duration_ms=40),
     "Failed", "❌ *Failed* — confirmed by <@U01ALICE>; 3 attempt(s), 40 ms"),
    (S.DENIED, (approval("U04DAN", approved=False),), None,
     "Denied", "🚫 *Denied* by <@U04DAN>."),
    (S.EXPIRED, (), None, "Expired", "⌛ *Expired* unconfirmed; ask again for a fresh proposal."),
    (S.APPROVED, (approval("U01ALICE"),), None, "Confirmed",
     "▶️ *Running* — confirmed by <@U01ALICE>."),
    (S.INTERRUPTED, (approval("U01ALICE"),), None, "Interrupted",
     "⚠️ *Interrupted* mid-execution (confirmed by <@U01ALICE>); it was not re-run. Check its "
     "effect before proposing it again."),
    (S.DENIED_BY_POLICY, (approval("U01ALICE"),), None, "Refused by policy",
     "⛔ *Refused by policy* at execution time (confirmed by <@U01ALICE>): the re-check no "
     "longer allowed it."),
])
def test_a_settled_card_shows_its_final_state_and_no_buttons(
        status: ProposalStatus, approvals: tuple[Approval, ...],
        result: ExecutionResult | None, header: str, text: str) -> None:
    blocks = card_blocks(stored(status, approvals=approvals, result=result), None, Approvers())
    assert not has_buttons(blocks)
    assert blocks[0]["text"]["text"] == f"{header}: restart_deployment"
    assert state_text(blocks) == text


def test_the_card_names_approvers_by_role_and_the_runbook_section_it_follows() -> None:
    approvers = Approvers.holding(("sre",), {"U01ALICE": frozenset({"sre"}),
                                             "U02BOB": frozenset({"responder"})},
                                  {"S0SRE": frozenset({"sre"})})
    assert approvers.render() == "<@U01ALICE>, <!subteam^S0SRE>"
    runbook = Runbook(id="leak", title="Memory leak", path="leak.md", content_hash="h",
                      sections=(Section(heading="Diagnosis", text="..."),
                                Section(heading="Mitigation steps", text="...")))
    assert remediation_section(runbook) == "Mitigation steps"
    blocks = card_blocks(stored(S.PENDING), runbook, approvers)
    fields = [f["text"] for f in blocks[2]["fields"]]
    assert "*Runbook*\nMemory leak (`leak`, step 3) § Mitigation steps" in fields
    assert "*Expires*\n2025-03-11 14:57 UTC (15 min after it was proposed)" in fields
    assert "(<@U01ALICE>, <!subteam^S0SRE>)" in blocks[4]["text"]["text"]


MENTIONS = ("<!channel>", "<!here>", "<@U0EVIL>", "<#C0EVIL>")


def test_mentions_in_a_proposal_are_shown_in_the_card_and_its_text_not_notified() -> None:
    pending = stored(S.PENDING)
    call = ToolCall(tool="create_silence", args={
        "matchers": {"alertname": "<!here>"}, "comment": "<!channel> <@U0EVIL> <#C0EVIL>"})
    hostile = dataclasses.replace(pending, proposal=pending.proposal.model_copy(
        update={"call": call, "rationale": " ".join(MENTIONS), "preview": " ".join(MENTIONS)}))
    runbook = Runbook(id="<!channel>", title="<!here> runbook", path="x.md", content_hash="h",
                      sections=(Section(heading="Mitigation <#C0EVIL>", text="..."),))
    text = card_text(hostile)
    sent = json.dumps([text, card_blocks(hostile, runbook, Approvers())], ensure_ascii=False)
    assert [m for m in MENTIONS if m in sent] == []
    assert "&lt;!channel&gt; &lt;@U0EVIL&gt;" in text


def test_a_thread_is_named_by_its_ts_or_a_message_link() -> None:
    assert thread_ts_from("1710000000.000100") == "1710000000.000100"
    assert thread_ts_from("https://acme.slack.com/archives/C0X/p1710000000000100") == \
        "1710000000.000100"
    assert thread_ts_from("") is None and thread_ts_from("yesterday") is None
