"""serve()'s drain once told to stop: work taken is finished within the bound (an action in
flight ends recorded, its claim released rather than left to be marked interrupted), and
work the bound cuts off is handed back to its thread instead of silently dropped."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alertmanager_webhooks import webhook
from slack_standin import CHANNEL, SlackStandin, opsbot_on_standin
from slack_thread import buttons, the_card
from socket_mode_opsbot import SocketBot, serving
from socket_mode_standin import SocketModeStandin

from assistant.models import ProposalStatus
from assistant.slack.conversation import HANDED_BACK, LOOKING
from assistant.slack.service import NOT_REACHED

THREAD = "1733600000.000100"
WAIT_SECONDS = 30.0


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {WAIT_SECONDS:g} s"
        time.sleep(0.01)


def _confirm(bot: SocketBot, slack: SlackStandin, user: str) -> str:
    card = the_card(slack, THREAD)
    action = next(b["action_id"] for b in buttons(card)
                  if b["action_id"].startswith("opsbot_confirm:"))
    bot.socket.wait_acked(bot.socket.click(user, card, action))
    return str(buttons(card)[0]["value"])


def test_an_action_running_at_shutdown_finishes_recorded_and_its_claim_is_released(
        tmp_path: Path) -> None:
    running, release = threading.Event(), threading.Event()
    with (SocketModeStandin() as socket, SlackStandin(socket_mode=socket) as slack,
          serving(slack, socket, tmp_path) as bot):
        bot.socket.wait_acked(bot.socket.mention(
            "U02BOB", "<@UOPSBOT> checkout pods crash after the new release", THREAD))
        bot.settle()
        rt = bot.service.session.rt
        rollback = rt.backend.rollback_deployment

        def rollback_held(args: Any, approved_by: str | None = None) -> Any:
            running.set()
            release.wait(WAIT_SECONDS)
            return rollback(args, approved_by=approved_by)

        rt.backend.rollback_deployment = rollback_held
        pid = _confirm(bot, slack, "U01ALICE")
        assert running.wait(WAIT_SECONDS), "the action never started"
        assert bot.service.session.proposal(pid).status is ProposalStatus.EXECUTING
        bot.stop.set()
        _until(bot.service.draining.is_set, "serve() began draining")
        assert rt.executor.stopping.is_set()
        release.set()
        _until(lambda: any(line.startswith("stopped") for line in bot.said),
               "serve() finished draining")
        stored = bot.service.session.proposal(pid)
        kinds = [e.kind for e in rt.store.audit.events()]
    assert bot.said[-1] == "stopped: the work taken was finished"
    assert stored.status is ProposalStatus.EXECUTED and stored.result is not None
    assert "interrupted" not in kinds
    results = [m.text for m in slack.thread(CHANNEL, THREAD) if m.text.startswith("✅")]
    assert len(results) == 1 and "rollback_deployment" in results[0], results


def test_work_the_bound_cuts_off_is_handed_back_to_its_thread(tmp_path: Path) -> None:
    asked, release = threading.Event(), threading.Event()
    with (SocketModeStandin() as socket, SlackStandin(socket_mode=socket) as slack,
          serving(slack, socket, tmp_path, opsbot_env={"OPSBOT_DRAIN_SECONDS": "0.5"}) as bot):
        session = bot.service.session
        ask = session.ask

        def ask_held(*args: Any, **kwargs: Any) -> Any:
            asked.set()
            release.wait(WAIT_SECONDS)
            return ask(*args, **kwargs)

        session.ask = ask_held  # type: ignore[method-assign]
        try:
            bot.socket.wait_acked(bot.socket.mention(
                "U02BOB", "<@UOPSBOT> is the payments queue backing up?", THREAD))
            assert asked.wait(WAIT_SECONDS)
            bot.socket.wait_acked(bot.socket.mention(
                "U02BOB", "<@UOPSBOT> also, what changed in the last hour?",
                "1733600050.000200", thread_ts=THREAD))
            _until(lambda: bot.service.dispatcher.queued == 0, "the second mention routed")
            bot.stop.set()
            _until(lambda: any(line.startswith("stopped") for line in bot.said),
                   "serve() gave up on the drain")
            thread = [m.text for m in slack.thread(CHANNEL, THREAD)]
        finally:
            release.set()
    assert bot.said[-1] == "stopped after 0.5 s: unfinished work was handed back"
    assert LOOKING not in thread
    assert thread.count(HANDED_BACK) == 1
    assert thread.count(NOT_REACHED) == 1


def test_a_draining_http_replica_refuses_new_events_and_alerts_for_a_retry_elsewhere(
        tmp_path: Path) -> None:
    with SlackStandin() as slack, opsbot_on_standin(slack, tmp_path) as bot:
        bot.service.stop_taking()
        event = bot.sender.mention("U02BOB", "<@UOPSBOT> is search slow?", THREAD)
        alert = bot.sender.alert(webhook())
        health = bot.service.readiness.report()
        bot.settle()
    assert (event.status, alert.status) == (503, 503)
    assert not health.ready and "shutdown" in health.failing
    assert not slack.called("chat.postMessage")
