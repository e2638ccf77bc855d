"""The app manifest grants what opsbot uses: every Web API method it calls, its events, its
slash command and its request path, so a team can create the app from it in one step."""

from __future__ import annotations

from pathlib import Path

import yaml
from slack_standin import CHANNEL, SlackStandin, opsbot_on_standin
from slack_thread import ask, click, the_card, with_long_output

from assistant.config.slack import EVENTS_PATH
from assistant.slack.service import COMMAND

MANIFEST = Path(__file__).resolve().parent.parent / "slack" / "manifest.yaml"
# Slack's documented scope for each Web API method opsbot calls (auth.test needs none).
SCOPE_OF = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "conversations.replies": "channels:history",
    "usergroups.list": "usergroups:read",
    "usergroups.users.list": "usergroups:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}


def test_the_manifest_grants_every_scope_the_app_uses(tmp_path: Path) -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    with SlackStandin(usergroups={"S0SRE": ["U09SAM"]}) as slack:
        with opsbot_on_standin(slack, tmp_path) as bot:
            with_long_output(bot)
            root = slack.human_message(CHANNEL, "U01ALICE", "checkout is paging")
            ask(bot, ts=slack.human_message(CHANNEL, "U02BOB", "@opsbot why?", root),
                thread_ts=root)
            click(bot, slack, "U03CAROL", the_card(slack, root))  # refused: ephemeral
            click(bot, slack, "U01ALICE", the_card(slack, root))
            ask(bot, text="summary", ts="1710000900.000100", thread_ts=root)
        used = {c.method for c in slack.calls}
    assert used == set(SCOPE_OF), "a new Web API method: add its scope to SCOPE_OF"
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {SCOPE_OF[m] for m in used} - {None} <= granted


def test_the_manifest_subscribes_the_events_and_command_opsbot_handles() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    settings = manifest["settings"]
    assert {"app_mention", "message.channels"} <= set(
        settings["event_subscriptions"]["bot_events"])
    assert settings["interactivity"]["is_enabled"] is True
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND
    for url in (command["url"], settings["event_subscriptions"]["request_url"],
                settings["interactivity"]["request_url"]):
        assert url.endswith(EVENTS_PATH)
