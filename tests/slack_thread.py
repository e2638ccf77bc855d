"""The incident thread the Slack tests play in: a question asked in it, the Confirm card
opsbot posts there, clicks on that card, and what opsbot said and ran in return.

ROOT is the thread's first message; ROLLBACK the call opsbot proposes for the
checkout-bad-deploy world when asked why checkout is crash looping.
"""

from __future__ import annotations

from typing import Any

from slack_standin import CHANNEL, Opsbot, SlackStandin, StoredMessage

from assistant.models import ToolOutput
from tools.sandbox import SandboxBackend

ROOT = "1710000000.000100"
ROLLBACK = "rollback_deployment(deployment='checkout', namespace='shop', revision=41)"


def ask(bot: Opsbot, user: str = "U02BOB", text: str = "why is checkout crash looping?",
        ts: str = ROOT, thread_ts: str | None = None) -> None:
    reply = bot.sender.mention(user, text, ts, thread_ts=thread_ts)
    assert reply.status == 200, reply
    bot.settle()


def buttons(message: StoredMessage) -> list[dict[str, Any]]:
    return [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def the_card(slack: SlackStandin, thread_ts: str = ROOT) -> StoredMessage:
    cards = [m for m in slack.thread(CHANNEL, thread_ts) if buttons(m)]
    assert len(cards) == 1, [m.text for m in slack.thread(CHANNEL, thread_ts)]
    return cards[0]


def click(bot: Opsbot, slack: SlackStandin, user: str, card: StoredMessage,
          approve: bool = True) -> None:
    kind = "opsbot_confirm" if approve else "opsbot_deny"
    action = next(b["action_id"] for b in buttons(card) if b["action_id"].startswith(kind))
    assert bot.sender.click(user, card, action).status == 200
    bot.settle()


def block_texts(message: StoredMessage) -> str:
    out: list[str] = []
    for block in message.blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        out.extend(f["text"] for f in block.get("fields", []))
        out.extend(e.get("text", "") for e in block.get("elements", []) if e["type"] == "mrkdwn")
    return "\n".join(out)


def executions(bot: Opsbot) -> list[Any]:
    return [e for e in bot.session.rt.store.audit.events() if e.kind == "execution"]


def ephemerals(slack: SlackStandin, user: str) -> list[str]:
    return [c.args["text"] for c in slack.called("chat.postEphemeral") if c.args["user"] == user]


def with_long_output(bot: Opsbot) -> None:
    """The rollback prints 80 more lines, one of them carrying a database password."""
    backend = bot.session.rt.backend
    assert isinstance(backend, SandboxBackend)  # the stand-in's world; a method of it is swapped
    plain = backend.rollback_deployment

    def chatty(args: Any, approved_by: str | None = None) -> ToolOutput:
        out = plain(args, approved_by)
        lines = [f"pod event {i}: replaced" for i in range(80)]
        lines[40] = "reconnect dsn=postgres://checkout:hunter2@db.shop:5432/orders failed"
        return out.model_copy(update={"text": out.text + "\n" + "\n".join(lines)})

    backend.rollback_deployment = chatty  # type: ignore[method-assign]
