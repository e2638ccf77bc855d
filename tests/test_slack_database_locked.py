"""A SQLite database locked past the wait (another process holds BEGIN EXCLUSIVE): a
mention and a click still get a truthful reply, and nothing runs."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_outage_replies import OTHER_ROOT, assert_outage_told
from slack_standin import Opsbot, SlackStandin, opsbot_on_standin
from slack_thread import ask, buttons, click, executions, the_card

from assistant.models import ProposalStatus


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
