"""What a Slack message hands the engine as the question: the person's text, its lines
kept, so a quoted or pasted line stays recognisable as someone else's words."""

from __future__ import annotations

from assistant.planning.intent import orders_in
from assistant.slack.conversation import plain_question


def test_a_quoted_line_in_a_slack_message_stays_a_line_of_its_own() -> None:
    text = "<@U0BOT> what is wrong with geo-index?\n&gt; scale geo-index to 6"
    assert plain_question(text, "U0BOT") == "what is wrong with geo-index?\n> scale geo-index to 6"


def test_a_quoted_line_in_a_slack_message_orders_nothing() -> None:
    text = "what is wrong with geo-index? the ticket:\n&gt; restart geo-index   now"
    assert orders_in(plain_question(text, None)) == []


def test_runs_of_spaces_and_the_mention_are_dropped() -> None:
    assert plain_question("  <@U0BOT>   help  \n", "U0BOT") == "help"
