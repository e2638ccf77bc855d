"""Slack shows a run as it goes: the "looking…" message lists reads and findings while
the question is worked on, and after Confirm the card reads *Running* and the result is
in the thread before the verification has finished watching."""

from __future__ import annotations

import json
from typing import Any

from slack_standin import CHANNEL, Opsbot, SlackStandin, StoredMessage

ROOT = "1710000555.000200"


def _card(slack: SlackStandin) -> StoredMessage:
    (card,) = [m for m in slack.thread(CHANNEL, ROOT)
               if any(b["type"] == "actions" for b in m.blocks)]
    return card


def _ask_about_checkout(bot: Opsbot) -> None:
    assert bot.sender.mention("U02BOB", "checkout has been flapping since the rollout, why?",
                              ROOT).status == 200
    bot.settle()


def _texts(message: StoredMessage) -> str:
    return "\n".join(b["text"]["text"] for b in message.blocks if "text" in b)


def test_the_looking_message_lists_reads_and_findings_before_the_answer(
        bot: Opsbot, slack: SlackStandin) -> None:
    _ask_about_checkout(bot)
    updates = [c.args.get("text", "") for c in slack.called("chat.update")]
    progress = [u for u in updates if u.startswith("🔎 Looking into it…\n•")]
    assert progress, updates
    assert any("reading " in u for u in progress)
    assert any("finding: " in u for u in progress)
    answered = [m for m in slack.thread(CHANNEL, ROOT) if m.text.startswith("*Findings*")]
    assert len(answered) == 1


def test_after_confirm_the_card_runs_and_the_result_lands_before_verification_ends(
        bot: Opsbot, slack: SlackStandin) -> None:
    _ask_about_checkout(bot)
    card = _card(slack)
    confirm = next(e["action_id"] for b in card.blocks if b["type"] == "actions"
                   for e in b["elements"] if e["action_id"].startswith("opsbot_confirm"))
    backend = bot.session.rt.backend
    watching = backend.wait
    seen_while_watching: list[dict[str, Any]] = []

    def wait(seconds: float) -> None:
        if not seen_while_watching:
            thread = slack.thread(CHANNEL, ROOT)
            seen_while_watching.append({
                "card": next(m for m in thread if m.ts == card.ts),
                "texts": [m.text for m in thread],
            })
        watching(seconds)

    backend.wait = wait
    assert bot.sender.click("U01ALICE", card, confirm).status == 200
    bot.settle()
    (during,) = seen_while_watching
    assert "✅ *Succeeded*" in _texts(during["card"])
    assert any("→ *succeeded*" in t for t in during["texts"])
    assert not any(t.startswith("🔍 Verification") for t in during["texts"])
    after = [m.text for m in slack.thread(CHANNEL, ROOT)]
    assert any(t.startswith("🔍 Verification: *improved*") for t in after)
    card_states = [json.dumps(c.args.get("blocks")) for c in slack.called("chat.update")
                   if c.args.get("ts") == card.ts]
    running = [i for i, blocks in enumerate(card_states) if "*Running*" in blocks]
    succeeded = [i for i, blocks in enumerate(card_states) if "*Succeeded*" in blocks]
    assert running and succeeded and running[0] < succeeded[0], card_states
