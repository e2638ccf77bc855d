"""Requests from a workspace opsbot does not serve are acknowledged and ignored.

The signing secret belongs to the Slack app, and every workspace that installs the app
shares it: a valid signature alone does not say the request is meant for this opsbot.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import urlencode

import pytest
from slack_standin import (
    BOT_USER,
    CHANNEL,
    TEAM,
    SlackStandin,
    StoredMessage,
    click_payload,
    command_form,
    event_body,
    mention_event,
    opsbot_on_standin,
)

ROOT = "1710000000.000100"
OTHER_TEAM = "T0OTHER"
FORM = "application/x-www-form-urlencoded"


def test_events_clicks_and_commands_from_another_workspace_are_ignored(
        slack: SlackStandin, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    question = mention_event("U01ALICE", "why is checkout crash looping?", ROOT)
    card = StoredMessage(CHANNEL, "1710000001.000100", "Confirm", BOT_USER, ROOT)
    with opsbot_on_standin(slack, tmp_path, env={"OPSBOT_SLACK_TEAM_ID": TEAM}) as bot, \
            caplog.at_level(logging.WARNING):
        replies = [
            bot.sender.post("/slack/events", json.dumps(
                event_body(question, "Ev0001", team=OTHER_TEAM)), "application/json"),
            bot.sender.post("/slack/events", urlencode({"payload": json.dumps(click_payload(
                "U01ALICE", card, "opsbot_confirm:p-1", team=OTHER_TEAM))}), FORM),
            bot.sender.post("/slack/events", urlencode(command_form(
                "U01ALICE", "status", team=OTHER_TEAM)), FORM),
        ]
        taken = bot.service.receive_envelope(
            "events_api", event_body(question, "Ev0002", team=OTHER_TEAM))
        bot.settle()
        assert [r.status for r in replies] == [200, 200, 200] and taken
        assert [c.method for c in slack.calls] == ["auth.test"]
        refusals = [r.getMessage() for r in caplog.records if OTHER_TEAM in r.getMessage()]
        assert len(refusals) == 4
        assert f"OPSBOT_SLACK_TEAM_ID={TEAM}" in refusals[0]

        assert bot.sender.mention("U01ALICE", "why is checkout crash looping?", ROOT).status \
            == 200
        bot.settle()
    assert slack.called("chat.postMessage"), "the workspace opsbot serves was not answered"
