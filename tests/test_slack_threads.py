"""Slack end to end: signed HTTP events into a real opsbot, Web API calls into the stand-in.

Every test drives opsbot the way Slack would (signed requests on a loopback port) and
asserts on what opsbot sent to the Web API, so the Block Kit payloads are the real ones.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_standin import CHANNEL, Opsbot, SignedSender, SlackStandin, opsbot_on_standin
from slack_thread import (
    ROLLBACK,
    ROOT,
    ask,
    block_texts,
    buttons,
    click,
    ephemerals,
    executions,
    the_card,
    with_long_output,
)

from assistant.models import ProposalStatus


@pytest.fixture
def slack() -> Iterator[SlackStandin]:
    with SlackStandin(usergroups={"S0SRE": ["U09SAM"], "S0DEV": ["U02BOB"]}) as standin:
        yield standin


def test_question_is_answered_in_place_of_the_looking_message(bot: Opsbot,
                                                              slack: SlackStandin) -> None:
    ask(bot)
    first = slack.called("chat.postMessage")[0]
    assert first.args == {"channel": CHANNEL, "text": "🔎 Looking into it…", "thread_ts": ROOT}
    looking = next(m for m in slack.thread(CHANNEL, ROOT) if m.thread_ts == ROOT)
    assert looking.text.startswith("*Findings*")
    assert "CrashLoopBackOff" in looking.text
    assert "`k8s-crashloop-after-deploy`" in looking.text
    assert all(b["type"] == "section" and len(b["text"]["text"]) <= 3000
               for b in looking.blocks)


def test_card_carries_call_preview_blast_radius_policy_runbook_expiry_and_buttons(
        bot: Opsbot, slack: SlackStandin) -> None:
    ask(bot)
    card = the_card(slack)
    pid = buttons(card)[0]["value"]
    assert card.text == f"Confirm: {ROLLBACK}"
    assert card.blocks[0] == {"type": "header", "text": {
        "type": "plain_text", "emoji": True, "text": "Confirm: rollback_deployment"}}
    assert card.blocks[1]["text"]["text"].startswith(f"*`{ROLLBACK}`*\nThe crashes started")
    fields = [f["text"] for f in card.blocks[2]["fields"]]
    assert fields == [
        "*Requested by*\n<@U02BOB>",
        "*Blast radius*\n3 pod(s) of 3 in service checkout; namespaces: shop",
        "*Expires*\n2025-03-11 14:57 UTC (15 min after it was proposed)",
        "*Runbook*\nPods crash-looping after a deploy (`k8s-crashloop-after-deploy`, step 5)"
        " § Mitigation",
    ]
    assert card.blocks[3]["text"]["text"].startswith(
        "*Dry run*\n```rollback shop/checkout: revision 42 -&gt; 41")
    assert card.blocks[4]["text"]["text"] == (
        "*Policy*: confirm — needs 1 approval(s) from incident-commander, sre "
        "(<@U01ALICE>, <@U04DAN>, <@U05ERIN>, <!subteam^S0SRE>); "
        "the requester may not approve it")
    assert "[prod-one-approver]" in card.blocks[5]["elements"][0]["text"]
    actions = card.blocks[7]
    assert actions["block_id"] == f"opsbot_decide:{pid}"
    assert [(b["action_id"], b["value"], b["style"]) for b in actions["elements"]] == [
        (f"opsbot_confirm:{pid}", pid, "primary"), (f"opsbot_deny:{pid}", pid, "danger")]


def test_authorised_confirm_runs_the_action_and_closes_the_card(bot: Opsbot,
                                                                slack: SlackStandin) -> None:
    ask(bot)
    card = the_card(slack)
    click(bot, slack, "U01ALICE", card)
    final = slack.message(CHANNEL, card.ts)
    assert not buttons(final)
    assert final.blocks[0]["text"]["text"] == "Executed: rollback_deployment"
    assert "✅ *Succeeded* — confirmed by <@U01ALICE>; 1 attempt(s)" in block_texts(final)
    assert "Verification: *improved*" in block_texts(final)
    later = [m.text for m in slack.thread(CHANNEL, ROOT) if float(m.ts) > float(card.ts)]
    assert later[0] == f"Confirmed by U01ALICE; running {ROLLBACK}."
    assert later[1].startswith(f"✅ `{ROLLBACK}` → *succeeded*")
    assert later[2].startswith("🔍 Verification: *improved*")
    assert len(executions(bot)) == 1


def test_a_user_group_grant_lets_its_members_approve(bot: Opsbot, slack: SlackStandin) -> None:
    ask(bot)
    click(bot, slack, "U09SAM", the_card(slack))  # in no policy as a user; S0SRE -> sre
    assert [e.payload["status"] for e in executions(bot)] == ["succeeded"]
    assert [c.args["usergroup"] for c in slack.called("usergroups.users.list")] == [
        "S0SRE", "S0DEV"]  # read once for the question and the click: cached within the TTL


@pytest.mark.parametrize("user, reason", [
    ("U03CAROL", "[approver-not-permitted] U03CAROL holds none of incident-commander, sre"),
    ("U02BOB", "[self-approval] U02BOB requested this action and may not approve it"),
])
def test_a_refused_click_is_explained_privately_and_changes_nothing(
        bot: Opsbot, slack: SlackStandin, user: str, reason: str) -> None:
    ask(bot)
    card = the_card(slack)
    posted = len(slack.called("chat.postMessage"))
    click(bot, slack, user, card)
    assert len(ephemerals(slack, user)) == 1
    assert reason in ephemerals(slack, user)[0]
    assert slack.message(CHANNEL, card.ts).blocks == card.blocks
    assert len(slack.called("chat.postMessage")) == posted
    pid = buttons(card)[0]["value"]
    assert bot.session.proposal(pid).status is ProposalStatus.PENDING
    assert executions(bot) == []


def test_two_approvers_clicking_at_once_run_it_once(bot: Opsbot, slack: SlackStandin) -> None:
    ask(bot)
    card = the_card(slack)
    clickers = [threading.Thread(target=click, args=(bot, slack, user, card))
                for user in ("U01ALICE", "U04DAN")]
    for t in clickers:
        t.start()
    for t in clickers:
        t.join()
    bot.settle()
    assert len(executions(bot)) == 1
    results = [m for m in slack.thread(CHANNEL, ROOT) if "→ *succeeded*" in m.text]
    assert len(results) == 1
    late = ephemerals(slack, "U01ALICE") + ephemerals(slack, "U04DAN")
    assert len(late) == 1 and "is not awaiting confirmation (it is executed)" in late[0]


def test_deny_closes_the_card_without_running_anything(bot: Opsbot,
                                                      slack: SlackStandin) -> None:
    ask(bot)
    card = the_card(slack)
    click(bot, slack, "U01ALICE", card, approve=False)
    final = slack.message(CHANNEL, card.ts)
    assert final.blocks[0]["text"]["text"] == "Denied: rollback_deployment"
    assert "🚫 *Denied* by <@U01ALICE>." in block_texts(final)
    assert not buttons(final)
    assert executions(bot) == []


def test_a_click_after_expiry_closes_the_card_as_expired(bot: Opsbot,
                                                        slack: SlackStandin) -> None:
    ask(bot)
    card = the_card(slack)
    bot.session.rt.backend.advance(16)  # the policy's ttl is 15 minutes of sandbox time
    click(bot, slack, "U01ALICE", card)
    final = slack.message(CHANNEL, card.ts)
    assert final.blocks[0]["text"]["text"] == "Expired: rollback_deployment"
    assert not buttons(final)
    pid = buttons(card)[0]["value"]
    assert f"Proposal {pid} expired unconfirmed." in [m.text for m in
                                                      slack.thread(CHANNEL, ROOT)]
    assert executions(bot) == []


def test_an_expired_card_is_closed_by_the_sweep_without_any_traffic(bot: Opsbot,
                                                                   slack: SlackStandin) -> None:
    ask(bot)
    card = the_card(slack)
    pid = buttons(card)[0]["value"]
    assert bot.service.sweep_expired() == []  # still inside its approval window
    bot.session.rt.backend.advance(16)  # the policy's ttl is 15 minutes of sandbox time
    [expiry] = bot.service.sweep_expired()
    assert expiry.stored.proposal.id == pid
    assert bot.service.sweep_expired() == []  # once only
    bot.settle()
    final = slack.message(CHANNEL, card.ts)
    assert final.blocks[0]["text"]["text"] == "Expired: rollback_deployment"
    assert not buttons(final)
    assert (f"⌛ Proposal {pid} expired unconfirmed. Ask again if it is still needed."
            in [m.text for m in slack.thread(CHANNEL, ROOT)])
    assert bot.session.proposal(pid).status is ProposalStatus.EXPIRED
    denials = [e.payload for e in bot.session.rt.store.audit.events() if e.kind == "denial"]
    assert denials == [{"proposal_id": pid, "reason": "expired"}]


def test_a_proposal_whose_card_was_never_posted_expires_quietly(bot: Opsbot,
                                                               slack: SlackStandin) -> None:
    ask(bot)
    store = bot.session.rt.store
    shown = store.proposals.get(buttons(the_card(slack))[0]["value"])
    # A run cut short after saving its proposal and before posting the card leaves this.
    store.proposals.save(shown.proposal.model_copy(update={"id": "p-orphan"}),
                         status=ProposalStatus.PENDING, service="checkout", resource_key=None)
    bot.session.rt.backend.advance(16)
    assert {e.stored.proposal.id for e in bot.service.sweep_expired()} == {
        shown.proposal.id, "p-orphan"}
    bot.settle()
    texts = [m.text for m in slack.thread(CHANNEL, ROOT)]
    assert any(shown.proposal.id in t and "expired" in t for t in texts)
    assert not any("p-orphan" in t for t in texts)


def test_the_app_sweeps_on_its_own(slack: SlackStandin, tmp_path: Path) -> None:
    with opsbot_on_standin(slack, tmp_path, env={"OPSBOT_SLACK_EXPIRY_SWEEP": "1"}) as bot:
        ask(bot)
        pid = buttons(the_card(slack))[0]["value"]
        bot.session.rt.backend.advance(16)
        deadline = time.monotonic() + 30
        while (bot.session.proposal(pid).status is ProposalStatus.PENDING
               and time.monotonic() < deadline):
            time.sleep(0.1)
        assert bot.session.proposal(pid).status is ProposalStatus.EXPIRED


def test_replies_continue_a_thread_opsbot_is_in_and_nothing_else(bot: Opsbot,
                                                                 slack: SlackStandin) -> None:
    ask(bot)
    answers = len(slack.called("chat.update"))
    assert bot.sender.reply("U02BOB", "what about the logs of checkout?", "1710000100.000100",
                            ROOT).status == 200
    bot.settle()
    assert len(slack.called("chat.update")) > answers
    questions = [e.payload["question"] for e in bot.session.rt.store.audit.events()
                 if e.kind == "question"]
    assert questions == ["why is checkout crash looping?", "what about the logs of checkout?"]
    before = len(slack.calls)
    bot.sender.reply("U02BOB", "lunch?", "1710000200.000100", "1710000150.000100")
    bot.settle()
    assert len(slack.calls) == before


def test_joining_a_running_thread_reads_what_was_said_before(bot: Opsbot,
                                                            slack: SlackStandin) -> None:
    root = slack.human_message(CHANNEL, "U01ALICE", "checkout is paging, 500s since 14:07")
    slack.human_message(CHANNEL, "U04DAN", "deploy 2.15.0 went out at 14:07", thread_ts=root)
    mention_ts = slack.human_message(CHANNEL, "U02BOB", "@opsbot what now?", thread_ts=root)
    ask(bot, text="what now?", ts=mention_ts, thread_ts=root)
    assert [c.args["ts"] for c in slack.called("conversations.replies")] == [root]
    history = [(m.author, m.text) for m in
               bot.session.rt.store.messages.list(f"slack:{CHANNEL}:{root}")]
    assert history[:3] == [("U01ALICE", "checkout is paging, 500s since 14:07"),
                           ("U04DAN", "deploy 2.15.0 went out at 14:07"),
                           ("U02BOB", "what now?")]


def test_summary_by_mention_and_by_slash_command(bot: Opsbot, slack: SlackStandin) -> None:
    ask(bot)
    click(bot, slack, "U01ALICE", the_card(slack))
    ask(bot, text="summary", ts="1710000300.000100", thread_ts=ROOT)
    summaries = [m for m in slack.thread(CHANNEL, ROOT)
                 if m.text.startswith("*Incident summary")]
    assert len(summaries) == 1
    assert f"• `{ROLLBACK}` requested by U02BOB; policy confirm; approved by U01ALICE; " \
           "succeeded" in summaries[0].text
    assert bot.sender.command("U03CAROL", "summary").status == 200
    bot.settle()
    assert len([m for m in slack.thread(CHANNEL, ROOT)
                if m.text.startswith("*Incident summary")]) == 2


def test_status_and_help_answer_only_the_asker(bot: Opsbot, slack: SlackStandin) -> None:
    ask(bot)
    bot.sender.command("U03CAROL", "status")
    bot.sender.command("U03CAROL", "help")
    bot.settle()
    status, usage = ephemerals(slack, "U03CAROL")
    pid = buttons(the_card(slack))[0]["value"]
    assert f"• thread {ROOT}" in status and f"awaiting confirmation: `{ROLLBACK}` ({pid})" \
        in status
    assert "`/opsbot summary [thread ts]`" in usage


@pytest.mark.parametrize("how", ["wrong secret", "stale timestamp"])
def test_requests_with_a_bad_signature_are_rejected(bot: Opsbot, slack: SlackStandin,
                                                    how: str) -> None:
    import time

    body = bot.sender.envelope({"type": "app_mention", "user": "U01ALICE", "text": "hi",
                                "ts": ROOT, "channel": CHANNEL})
    reply = bot.sender.post("/slack/events", body, "application/json",
                            secret="not-the-secret" if how == "wrong secret" else None,
                            timestamp=int(time.time()) - 600 if how == "stale timestamp"
                            else None)
    bot.settle()
    assert reply.status == 401
    assert [c.method for c in slack.calls] == ["auth.test"]


def test_no_secret_reaches_slack(bot: Opsbot, slack: SlackStandin) -> None:
    """The scenario's pod logs carry hunter2 in a DSN; so does this question, which the
    summary quotes back."""
    dsn = "postgres://checkout:hunter2@db.shop:5432/orders"
    ask(bot, text=f"checkout cannot reach {dsn}, why is it crash looping?")
    click(bot, slack, "U01ALICE", the_card(slack))
    ask(bot, text="summary", ts="1710000300.000100", thread_ts=ROOT)
    sent = slack.everything_sent() + "".join(str(u["content"]) for u in slack.uploads.values())
    assert "hunter2" not in sent
    summary = next(m.text for m in slack.thread(CHANNEL, ROOT)
                   if m.text.startswith("*Incident summary"))
    assert "postgres://checkout:[REDACTED" in summary


def test_long_output_goes_to_a_redacted_file_with_an_excerpt_inline(
        bot: Opsbot, slack: SlackStandin) -> None:
    with_long_output(bot)
    ask(bot)
    card = the_card(slack)
    click(bot, slack, "U01ALICE", card)
    (upload,) = slack.called("files.completeUploadExternal")
    assert upload.args["thread_ts"] == ROOT
    assert upload.args["initial_comment"].startswith(f"✅ `{ROLLBACK}` → *succeeded*")
    assert upload.args["initial_comment"].endswith("Full output attached.")
    (stored,) = slack.uploads.values()
    assert stored["filename"] == f"{buttons(card)[0]['value']}-output.txt"
    assert "pod event 79: replaced" in stored["content"]
    assert "postgres://checkout:[REDACTED" in stored["content"]
    assert "hunter2" not in stored["content"] + slack.everything_sent()


def test_serve_answers_slacks_url_check_and_stops_when_told(slack: SlackStandin,
                                                            tmp_path: Path) -> None:
    import json
    import re
    import time

    from assistant.slack.server import serve

    said: list[str] = []
    stop = threading.Event()
    with opsbot_on_standin(slack, tmp_path, env={"OPSBOT_SLACK_HOST": "127.0.0.1",
                                                 "OPSBOT_SLACK_PORT": "0"}) as bot:
        server = threading.Thread(target=serve, args=(bot.service, stop, said.append))
        server.start()
        listening = re.compile(r"listening on (http://127\.0\.0\.1:\d+) \(/slack/events, "
                               r"/alertmanager\)$")
        deadline = time.monotonic() + 30
        while (not any(listening.match(line) for line in said) and server.is_alive()
               and time.monotonic() < deadline):
            time.sleep(0.01)
        found = next((m for line in said if (m := listening.match(line))), None)
        assert found, said
        sender = SignedSender(found.group(1))
        reply = sender.post("/slack/events", json.dumps(
            {"type": "url_verification", "token": "legacy", "challenge": "c-42"}),
            "application/json")
        stop.set()
        server.join(10)
    assert (reply.status, json.loads(reply.body)) == (200, {"challenge": "c-42"})
    assert not server.is_alive()


def test_metric_queries_are_uploaded_as_png_charts_in_the_thread(
        slack: SlackStandin, tmp_path: Path) -> None:
    with opsbot_on_standin(slack, tmp_path, scenario="search-traffic-spike") as opsbot:
        opsbot.sender.mention("U01ALICE", "<@UOPSBOT> search/search-api p99 over 1s, cpu pegged",
                              ROOT)
        opsbot.settle()
    uploads = slack.called("files.getUploadURLExternal")
    assert uploads and all(u.args["filename"] == "chart.png" for u in uploads)
    images = [u for u in slack.uploads.values() if isinstance(u["content"], bytes)]
    assert images and all(c["content"].startswith(b"\x89PNG") for c in images)
    done = slack.called("files.completeUploadExternal")
    assert all(d.args["thread_ts"] == ROOT for d in done)
