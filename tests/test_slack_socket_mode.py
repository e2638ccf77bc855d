"""Slack in Socket Mode end to end: `opsbot serve slack`'s serve() connects to a local
Socket Mode server (socket_mode_standin.py) and its Web API calls go to the stand-in.

Every envelope the server sends must be acknowledged exactly once over the socket; the
answers, cards and results are asserted as in the HTTP-mode tests (test_slack_threads.py).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from slack_standin import (
    APP_TOKEN,
    CHANNEL,
    SlackStandin,
    event_body,
    mention_event,
    slack_service,
)
from slack_thread import ROLLBACK, ROOT, block_texts, buttons, the_card
from socket_mode_opsbot import CONNECTED, REACTION, SOCKET_ENV, SocketBot, serving
from socket_mode_standin import Ack, SocketModeStandin

from assistant.slack.server import serve
from assistant.slack.service import SlackUnavailableError


@pytest.fixture
def socket() -> Iterator[SocketModeStandin]:
    with SocketModeStandin() as standin:
        yield standin


@pytest.fixture
def slack(socket: SocketModeStandin) -> Iterator[SlackStandin]:
    with SlackStandin(usergroups={"S0SRE": ["U09SAM"]}, socket_mode=socket) as standin:
        yield standin


@pytest.fixture
def bot(slack: SlackStandin, socket: SocketModeStandin, tmp_path: Path) -> Iterator[SocketBot]:
    with serving(slack, socket, tmp_path) as running:
        yield running
    assert socket.miscounted_acks() == {}, "envelopes not acknowledged exactly once"
    assert socket.strays == []


def executed(bot: SocketBot) -> list[str]:
    return [e.payload["status"] for e in bot.service.session.rt.store.audit.events()
            if e.kind == "execution"]


def confirm(bot: SocketBot, slack: SlackStandin, user: str) -> Ack:
    """``user`` clicks Confirm on the thread's card."""
    card = the_card(slack)
    action = next(b["action_id"] for b in buttons(card)
                  if b["action_id"].startswith("opsbot_confirm:"))
    ack = bot.socket.wait_acked(bot.socket.click(user, card, action))
    bot.settle()
    return ack


def test_start_up_opens_the_socket_with_the_app_token_and_says_so(
        bot: SocketBot, slack: SlackStandin) -> None:
    (opened,) = slack.called("apps.connections.open")
    assert opened.token == APP_TOKEN
    assert {c.token for c in slack.calls if c is not opened} == {"xoxb-test"}
    assert bot.said == [CONNECTED]  # the ops endpoints are the CLI's, open before start-up


def test_a_mention_is_acked_and_answered_in_the_thread_with_a_card(
        bot: SocketBot, slack: SlackStandin) -> None:
    bot.mention()
    first = slack.called("chat.postMessage")[0]
    assert first.args == {"channel": CHANNEL, "text": "🔎 Looking into it…", "thread_ts": ROOT}
    looking = next(m for m in slack.thread(CHANNEL, ROOT) if m.thread_ts == ROOT)
    assert looking.text.startswith("*Findings*")
    assert "CrashLoopBackOff" in looking.text
    card = the_card(slack)
    assert card.text == f"Confirm: {ROLLBACK}"
    pid = buttons(card)[0]["value"]
    assert [(b["action_id"], b["style"]) for b in buttons(card)] == [
        (f"opsbot_confirm:{pid}", "primary"), (f"opsbot_deny:{pid}", "danger")]


def test_a_confirm_click_from_an_approver_runs_the_action_and_posts_the_result(
        bot: SocketBot, slack: SlackStandin) -> None:
    bot.mention()
    card = the_card(slack)
    confirm(bot, slack, "U01ALICE")
    final = slack.message(CHANNEL, card.ts)
    assert not buttons(final)
    assert final.blocks[0]["text"]["text"] == "Executed: rollback_deployment"
    assert "✅ *Succeeded* — confirmed by <@U01ALICE>; 1 attempt(s)" in block_texts(final)
    later = [m.text for m in slack.thread(CHANNEL, ROOT) if float(m.ts) > float(card.ts)]
    assert later[0] == f"Confirmed by U01ALICE; running {ROLLBACK}."
    assert later[1].startswith(f"✅ `{ROLLBACK}` → *succeeded*")
    assert executed(bot) == ["succeeded"]


def test_a_click_from_a_non_approver_is_refused_privately(bot: SocketBot,
                                                          slack: SlackStandin) -> None:
    bot.mention()
    confirm(bot, slack, "U03CAROL")
    (refusal,) = [c.args["text"] for c in slack.called("chat.postEphemeral")]
    assert "[approver-not-permitted] U03CAROL" in refusal
    assert executed(bot) == []


def test_slash_commands_answer_only_the_asker(bot: SocketBot, slack: SlackStandin) -> None:
    bot.mention()
    for text in ("status", "help"):
        bot.socket.wait_acked(bot.socket.command("U03CAROL", text))
    bot.settle()
    status, usage = [c.args["text"] for c in slack.called("chat.postEphemeral")]
    assert f"• thread {ROOT}" in status
    assert "`/opsbot summary [thread ts]`" in usage


@pytest.mark.parametrize("kind, payload", [
    ("no_such_type", event_body(mention_event("U02BOB", "why?", "1710000050.000100"), "Ev1")),
    ("events_api", event_body(REACTION, "Ev2")),
], ids=["unknown envelope type", "event without a listener"])
def test_an_envelope_opsbot_does_not_handle_is_acked_and_ignored(
        bot: SocketBot, slack: SlackStandin, kind: str, payload: dict[str, object]) -> None:
    bot.socket.wait_acked(bot.socket.send(kind, payload))
    bot.settle()
    assert [c.method for c in slack.calls] == ["auth.test", "apps.connections.open"]
    bot.mention()  # the same connection still carries events
    assert the_card(slack).text == f"Confirm: {ROLLBACK}"
    assert [link.number for link in bot.socket.open_links()] == [1]


def test_a_refresh_request_moves_the_app_to_a_new_connection(bot: SocketBot,
                                                             slack: SlackStandin) -> None:
    bot.mention()
    bot.socket.disconnect("refresh_requested")
    bot.socket.wait_greeted(2)  # and the first one closed by the app
    assert [c.token for c in slack.called("apps.connections.open")] == [APP_TOKEN, APP_TOKEN]
    card = the_card(slack)
    assert confirm(bot, slack, "U01ALICE").connection == 2
    assert slack.message(CHANNEL, card.ts).blocks[0]["text"]["text"] == (
        "Executed: rollback_deployment")


@pytest.fixture
def eager_thread_switches() -> Iterator[None]:
    """Threads swap every 10 µs instead of 5 ms, so that a race shows in a short test."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@pytest.mark.usefixtures("eager_thread_switches")
def test_envelopes_are_routed_in_the_order_they_arrived(bot: SocketBot) -> None:
    routed: list[str] = []

    def record(body: dict[str, object], next: Callable[[], None]) -> None:
        routed.append(str(body.get("event_id")))
        next()

    bot.service.app.use(record)
    sent = [f"Ev{i:08d}" for i in range(1, 101)]
    envelopes = bot.socket.send_all("events_api", [event_body(REACTION, e) for e in sent])
    for envelope in envelopes:
        bot.socket.wait_acked(envelope)
    bot.settle()
    assert routed == sent


def test_an_envelope_the_full_queue_cannot_take_is_left_for_slack_to_redeliver(
        slack: SlackStandin, socket: SocketModeStandin, tmp_path: Path) -> None:
    routed: list[str] = []
    release = threading.Event()

    def held(body: dict[str, object], next: Callable[[], None]) -> None:
        routed.append(str(body.get("event_id")))
        release.wait(10)  # the dispatcher is busy with the first one meanwhile
        next()

    with serving(slack, socket, tmp_path, {"OPSBOT_SLACK_MAX_QUEUED": "2"}) as running:
        running.service.app.use(held)
        sent = ["Ev00000001", "Ev00000002", "Ev00000003"]
        refused = socket.send_all("events_api", [event_body(REACTION, e) for e in sent])[2]
        socket.wait_acked(socket.send("no_such_type", {}))  # handled after the three
        release.set()
        running.settle()
        redelivered = socket.send("events_api", event_body(REACTION, sent[2]), retry_attempt=1,
                                  retry_reason="timeout")
        socket.wait_acked(redelivered)
        running.settle()
    assert routed == sent
    assert socket.miscounted_acks() == {refused: 0}  # the rest, the redelivery too: once


@pytest.mark.parametrize("token, error", [
    ("xapp-1-A0OPSBOT-1-revoked", "invalid_auth"),
    ("xoxb-test", "not_allowed_token_type"),
])
def test_an_app_token_slack_refuses_stops_start_up_with_the_reason(
        slack: SlackStandin, tmp_path: Path, token: str, error: str) -> None:
    with slack_service(slack, tmp_path, {**SOCKET_ENV, "SLACK_APP_TOKEN": token}) as service:
        stop = threading.Event()
        stop.set()
        with pytest.raises(SlackUnavailableError, match=f"SLACK_APP_TOKEN.*{error}"):
            serve(service, stop, print)


def test_a_socket_that_will_not_open_stops_start_up(slack: SlackStandin,
                                                    socket: SocketModeStandin,
                                                    tmp_path: Path) -> None:
    socket.accepting = False
    said: list[str] = []
    with slack_service(slack, tmp_path, SOCKET_ENV) as service:
        stop = threading.Event()
        stop.set()
        with pytest.raises(SlackUnavailableError, match="Socket Mode connection"):
            serve(service, stop, said.append)
    assert CONNECTED not in said
