"""A signed but malformed Slack body is a 400 naming the problem, not a crash (500 with a
traceback in the log): the signature only says who sent it, not that it is well formed."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from slack_standin import SlackStandin, event_body, mention_event, opsbot_on_standin


@pytest.mark.parametrize(("body", "content_type", "problem"), [
    ("{not json", "application/json", "the body is not JSON"),
    ("[1, 2]", "application/json", "the body is not a JSON object"),
    ("payload=%7Bnot+json", "application/x-www-form-urlencoded", "the body is not JSON"),
    ("payload=%5B%5D", "application/x-www-form-urlencoded", "the body is not a JSON object"),
    ('{"type": "event_callback", "authorizations": "x"}', "application/json",
     "not shaped like a Slack request"),
    ('{"type": "event_callback", "event": {"text": "a\\u0000b"}}', "application/json",
     "event.text: contains a NUL character"),
])
def test_a_signed_but_malformed_slack_body_is_a_400_without_a_traceback(
        slack: SlackStandin, tmp_path: Path, caplog: pytest.LogCaptureFixture, body: str,
        content_type: str, problem: str) -> None:
    with opsbot_on_standin(slack, tmp_path) as bot:
        with caplog.at_level(logging.INFO):
            reply = bot.sender.post("/slack/events", body, content_type)
        bot.settle()
    assert reply.status == 400
    assert problem in json.loads(reply.body)["error"]
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert [c.method for c in slack.calls] == ["auth.test"]


def test_a_socket_mode_envelope_that_cannot_be_stored_is_dropped_with_a_warning(
        slack: SlackStandin, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """There is no answer to give over the socket, and redelivery cannot help."""
    question = mention_event("U01ALICE", "why is checkout\x00 crash looping?",
                             "1710000000.000100")
    with opsbot_on_standin(slack, tmp_path) as bot, caplog.at_level(logging.WARNING):
        assert bot.service.receive_envelope("events_api", event_body(question, "Ev0001"))
        bot.settle()
    assert [c.method for c in slack.calls] == ["auth.test"]
    assert any("event.text: contains a NUL character" in r.getMessage()
               for r in caplog.records)
