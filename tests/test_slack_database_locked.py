"""A SQLite database locked past the wait (another process holds BEGIN EXCLUSIVE): a
mention and a click still get a truthful reply, and nothing runs."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_standin import CHANNEL, Opsbot, SlackStandin, StoredMessage, opsbot_on_standin
from test_slack_threads import ask, buttons, click, ephemerals, executions, the_card

from assistant.models import ProposalStatus

OTHER_ROOT = "1710000900.000100"


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[tuple[Opsbot, SlackStandin, Path]]:
    with SlackStandin() as slack, opsbot_on_standin(
            slack, tmp_path, opsbot_env={"OPSBOT_DB_WAIT_SECONDS": "0.5"}) as opsbot:
        yield opsbot, slack, tmp_path / "opsbot.db"


def test_a_locked_database_gets_replies_and_runs_nothing(
        bot: tuple[Opsbot, SlackStandin, Path]) -> None:
    opsbot, slack, db_file = bot
    ask(opsbot)
    card = the_card(slack)
    pid = buttons(card)[0]["value"]

    locker = sqlite3.connect(db_file, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        assert opsbot.sender.mention("U02BOB", "is checkout healthy?", OTHER_ROOT).status == 200
        opsbot.settle()
        click(opsbot, slack, "U01ALICE", card)
    finally:
        locker.close()  # ends the transaction and the lock

    assert_outage_told(slack, card, question_in=OTHER_ROOT, clicker="U01ALICE")
    assert opsbot.session.proposal(pid).status is ProposalStatus.PENDING
    assert executions(opsbot) == []


def assert_outage_told(slack: SlackStandin, card: StoredMessage, *, question_in: str,
                       clicker: str) -> None:
    """The question in ``question_in`` and ``clicker``'s click on ``card`` were answered
    with the outage, and the card still awaits Confirm: nothing ran."""
    said = [m.text for m in slack.thread(CHANNEL, question_in) if m.thread_ts == question_in]
    assert said == ["⚠️ I could not record this question: the database is unavailable. "
                    "Nothing ran; ask again in a minute."]
    assert ephemerals(slack, clicker) == [
        f"Your click on {buttons(card)[0]['value']} could not be completed: the database is "
        "unavailable. Nothing ran; click again in a minute."]
    assert buttons(slack.message(CHANNEL, card.ts))
