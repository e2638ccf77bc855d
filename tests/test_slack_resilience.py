"""Slack misbehaving: rate limits are waited out, failures never lose an approval, and two
replicas sharing one database run a double-clicked action once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from slack_standin import CHANNEL, SlackStandin, opsbot_on_standin
from slack_thread import ROOT, ask, buttons, click, executions, the_card

from assistant.models import ProposalStatus
from assistant.slack.service import SlackUnavailableError


def test_a_rate_limited_call_is_retried_after_the_retry_after_delay(
        slack: SlackStandin, tmp_path: Path) -> None:
    slack.fail("chat.postMessage", 429, retry_after=1)
    with opsbot_on_standin(slack, tmp_path) as bot:
        ask(bot)
    first, second = slack.called("chat.postMessage")[:2]
    assert first.args == second.args == {"channel": CHANNEL, "text": "🔎 Looking into it…",
                                         "thread_ts": ROOT}
    assert second.at - first.at >= 1.0
    assert the_card(slack).text.startswith("Confirm: rollback_deployment")


def test_a_server_error_is_retried(slack: SlackStandin, tmp_path: Path) -> None:
    slack.fail("chat.postMessage", 500, error="internal_error")
    with opsbot_on_standin(slack, tmp_path) as bot:
        ask(bot)
    first, second = slack.called("chat.postMessage")[:2]
    assert first.args == second.args
    assert the_card(slack).text.startswith("Confirm: rollback_deployment")


def test_slack_failing_after_a_click_loses_neither_the_approval_nor_the_card(
        slack: SlackStandin, tmp_path: Path) -> None:
    with opsbot_on_standin(slack, tmp_path) as bot:
        ask(bot)
        card = the_card(slack)
        pid = buttons(card)[0]["value"]
        for method in ("chat.postMessage", "chat.update"):
            slack.fail(method, 200, times=100, error="fatal_error")  # not retried: quick
        click(bot, slack, "U01ALICE", card)
        assert bot.session.proposal(pid).status is ProposalStatus.EXECUTED
        approvals = [e.actor for e in bot.session.rt.store.audit.events()
                     if e.kind == "approval"]
        assert approvals == ["U01ALICE"]
        assert buttons(slack.message(CHANNEL, card.ts))  # Slack never took the update
        slack.recover()
        # The next thing that happens in the thread brings the card up to date.
        bot.sender.reply("U02BOB", "is checkout healthy now?", "1710000500.000100", ROOT)
        bot.settle()
        assert len(executions(bot)) == 1
    final = slack.message(CHANNEL, card.ts)
    assert not buttons(final)
    assert final.blocks[0]["text"]["text"] == "Executed: rollback_deployment"


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_clicks_on_two_replicas_run_the_action_once(slack: SlackStandin, tmp_path: Path,
                                                    database: str,
                                                    request: pytest.FixtureRequest) -> None:
    db = f"sqlite:///{tmp_path / 'shared.db'}" if database == "sqlite" \
        else request.getfixturevalue("postgres_url")
    with opsbot_on_standin(slack, tmp_path, db_url=db) as one, \
            opsbot_on_standin(slack, tmp_path, db_url=db) as two:
        ask(one)
        card = the_card(slack)
        clicks = [threading.Thread(target=click, args=(replica, slack, user, card))
                  for replica, user in ((one, "U01ALICE"), (two, "U04DAN"))]
        for t in clicks:
            t.start()
        for t in clicks:
            t.join()
        one.settle()
        two.settle()
        runs = [e for e in executions(one) if e.payload["status"] == "succeeded"]
        assert len(runs) == 1
        claimed_by = one.session.proposal(buttons(card)[0]["value"]).claimed_by
    results = [m for m in slack.thread(CHANNEL, ROOT) if "→ *succeeded*" in m.text]
    assert len(results) == 1
    assert claimed_by in (one.session.rt.executor.executor_id,
                          two.session.rt.executor.executor_id)
    assert not buttons(slack.message(CHANNEL, card.ts))


def test_a_refused_bot_token_stops_start_up_with_a_clear_error(slack: SlackStandin,
                                                                tmp_path: Path) -> None:
    slack.fail("auth.test", 200, error="invalid_auth")
    with pytest.raises(SlackUnavailableError) as err, opsbot_on_standin(slack, tmp_path):
        pass
    assert f"Slack at {slack.url} did not accept the bot token" in str(err.value)
    assert "invalid_auth" in str(err.value)


def test_a_port_already_taken_is_a_clear_error(slack: SlackStandin, tmp_path: Path) -> None:
    from assistant.slack.server import ListenerError, SlackHttpServer

    with opsbot_on_standin(slack, tmp_path) as bot:
        taken = bot.server.port
        with pytest.raises(ListenerError,
                           match=f"cannot listen on 127.0.0.1:{taken}: Address already in use"):
            SlackHttpServer(bot.service, "127.0.0.1", taken, events=True).start()
