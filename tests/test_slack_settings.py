"""Slack settings: the mode follows the tokens given, and bad configuration names the
environment variable to fix."""

from __future__ import annotations

import pytest

from assistant.errors import InputError
from assistant.slack.settings import SlackSettings

BASE = {"SLACK_BOT_TOKEN": "xoxb-1"}


def test_socket_mode_when_an_app_token_is_given_else_http() -> None:
    assert SlackSettings.from_env({**BASE, "SLACK_APP_TOKEN": "xapp-1"}).mode == "socket"
    http = SlackSettings.from_env({**BASE, "SLACK_SIGNING_SECRET": "s"})
    assert (http.mode, http.port, http.alerts_enabled) == ("http", 3000, False)
    forced = SlackSettings.from_env({**BASE, "SLACK_APP_TOKEN": "xapp-1",
                                     "SLACK_SIGNING_SECRET": "s"}, mode="http")
    assert forced.mode == "http"


@pytest.mark.parametrize("env, field", [
    ({}, "SLACK_BOT_TOKEN"),
    (BASE, "SLACK_SIGNING_SECRET"),
    ({**BASE, "OPSBOT_SLACK_MODE": "socket"}, "SLACK_APP_TOKEN"),
    ({**BASE, "SLACK_APP_TOKEN": "x", "OPSBOT_SLACK_MODE": "carrier-pigeon"},
     "OPSBOT_SLACK_MODE"),
    ({**BASE, "SLACK_APP_TOKEN": "x", "OPSBOT_SLACK_CHANNEL": "C1"}, "OPSBOT_SLACK_ALERT_AS"),
    ({**BASE, "SLACK_APP_TOKEN": "x", "OPSBOT_SLACK_PORT": "eighty"}, "OPSBOT_SLACK_PORT"),
    ({**BASE, "SLACK_APP_TOKEN": "x", "OPSBOT_SLACK_WORKERS": "0"}, "OPSBOT_SLACK_WORKERS"),
])
def test_bad_configuration_names_the_variable(env: dict[str, str], field: str) -> None:
    with pytest.raises(InputError) as err:
        SlackSettings.from_env(env)
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: ")
