"""The Slack app through a real PostgreSQL restart and outage: questions and clicks are
answered after a restart, during an outage every request gets a truthful reply, the
health endpoint says 503 and Alertmanager deliveries are refused for a retry, and an action
that ran while the database was down is told at once and recorded (card closed) when it is
back."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alertmanager_webhooks import webhook
from conftest import PostgresServer
from slack_outage_replies import OTHER_ROOT, assert_outage_told
from slack_standin import CHANNEL, Opsbot, SlackStandin, opsbot_on_standin
from slack_thread import ROLLBACK, ROOT, ask, buttons, click, ephemerals, executions

from assistant.models import ProposalStatus
from assistant.slack.service import DATABASE_UNAVAILABLE

pytestmark = pytest.mark.pg_restart

QUICK = {"OPSBOT_DB_WAIT_SECONDS": "1", "OPSBOT_HEALTH_PROBE_SECONDS": "0.2",
         "OPSBOT_VERIFY_SECONDS": "0"}


@pytest.fixture
def bot(slack: SlackStandin, tmp_path: Path, postgres_url: str) -> Iterator[Opsbot]:
    with opsbot_on_standin(slack, tmp_path, db_url=postgres_url, opsbot_env=QUICK) as opsbot:
        yield opsbot


def health(bot: Opsbot) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{bot.server.port}/healthz",
                                    timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def eventually(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.05)


def the_card_of(slack: SlackStandin, thread_ts: str = ROOT) -> Any:
    return next(m for m in slack.thread(CHANNEL, thread_ts) if buttons(m))


def test_questions_and_clicks_are_answered_after_a_postgres_restart(
        bot: Opsbot, slack: SlackStandin, postgres_server: PostgresServer) -> None:
    ask(bot)
    card = the_card_of(slack)

    postgres_server.restart()

    click(bot, slack, "U01ALICE", card)
    final = slack.message(CHANNEL, card.ts)
    assert final.blocks[0]["text"]["text"] == "Executed: rollback_deployment"
    assert not buttons(final)
    assert len(executions(bot)) == 1
    ask(bot, ts=OTHER_ROOT)
    answer = next(m for m in slack.thread(CHANNEL, OTHER_ROOT) if m.thread_ts == OTHER_ROOT)
    assert answer.text.startswith(("*Findings*", "*What I found*"))  # the answer, in place
    assert health(bot) == 200


def test_during_an_outage_every_request_is_answered_and_health_is_503(
        bot: Opsbot, slack: SlackStandin, postgres_server: PostgresServer) -> None:
    ask(bot)
    card = the_card_of(slack)
    assert health(bot) == 200

    with postgres_server.stopped():
        eventually(lambda: health(bot) == 503)
        assert bot.sender.alert(webhook()).status == 503  # Alertmanager retries it later
        assert bot.sender.mention("U02BOB", "is checkout healthy?", OTHER_ROOT).status == 200
        assert bot.sender.command("U02BOB", "status").status == 200
        bot.settle()
        click(bot, slack, "U01ALICE", card)

    assert_outage_told(slack, card, question_in=OTHER_ROOT, clicker="U01ALICE")
    assert ephemerals(slack, "U02BOB") == [DATABASE_UNAVAILABLE]

    eventually(lambda: health(bot) == 200)
    click(bot, slack, "U01ALICE", card)
    assert not buttons(slack.message(CHANNEL, card.ts))
    assert len(executions(bot)) == 1


def test_an_action_that_ran_while_postgres_was_down_is_told_then_recorded(
        bot: Opsbot, slack: SlackStandin, postgres_server: PostgresServer) -> None:
    ask(bot)
    card = the_card_of(slack)
    pid = buttons(card)[0]["value"]
    rt = bot.session.rt
    rollback = rt.backend.rollback_deployment

    def rollback_then_lose_the_database(args: Any, approved_by: str | None = None) -> Any:
        out = rollback(args, approved_by=approved_by)
        postgres_server.stop()
        return out

    rt.backend.rollback_deployment = rollback_then_lose_the_database
    click(bot, slack, "U01ALICE", card)

    ran = [m.text for m in slack.thread(CHANNEL, ROOT) if m.text.startswith("✅")]
    assert len(ran) == 1 and ran[0].startswith(f"✅ `{ROLLBACK}` ({pid}) ran → *succeeded*: "
                                               "the database is unavailable")
    assert rt.executor.spool.pending() == [pid]

    postgres_server.ensure_running()
    heard = threading.Event()
    rt.heartbeat.subscribe(lambda ended: heard.set())
    rt.heartbeat.beat()
    assert heard.wait(30)
    bot.settle()

    assert rt.executor.spool.pending() == []
    assert bot.session.proposal(pid).status is ProposalStatus.EXECUTED
    assert not rt.store.proposals.in_flight("prod/shop/deployment/checkout")
    assert [e.payload["proposal_id"] for e in executions(bot)] == [pid]
    final = slack.message(CHANNEL, card.ts)
    assert final.blocks[0]["text"]["text"] == "Executed: rollback_deployment"
    assert not buttons(final)
    assert any(m.text.startswith(f"📝 The result of {ROLLBACK} ({pid}) could not be recorded")
               for m in slack.thread(CHANNEL, ROOT))
