"""What opsbot must say in Slack when its database is unavailable: the question and the
click each get a truthful reply, and the card still awaits Confirm."""

from __future__ import annotations

from slack_standin import CHANNEL, SlackStandin, StoredMessage
from slack_thread import buttons, ephemerals

OTHER_ROOT = "1710000900.000100"


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
