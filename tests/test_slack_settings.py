"""Slack settings: the mode follows the tokens given, and bad configuration names the
environment variable to fix."""

from __future__ import annotations

import pytest

from assistant.config.reading import load_config
from assistant.config.slack import Mode, SlackSettings
from assistant.errors import InputError
from assistant.slack.server import http_limits

BASE = {"SLACK_BOT_TOKEN": "xoxb-1"}


def serving(env: dict[str, str], mode: Mode | None = None) -> SlackSettings:
    return load_config(env).tree.slack.for_serving(mode)


def test_socket_mode_when_an_app_token_is_given_else_http() -> None:
    assert serving({**BASE, "SLACK_APP_TOKEN": "xapp-1"}).mode == "socket"
    http = serving({**BASE, "SLACK_SIGNING_SECRET": "s"})
    assert (http.mode, http.port, http.alerts_enabled) == ("http", 3000, False)
    forced = serving({**BASE, "SLACK_APP_TOKEN": "xapp-1", "SLACK_SIGNING_SECRET": "s"},
                     mode="http")
    assert forced.mode == "http"


@pytest.mark.parametrize("env, missing", [
    ({}, "SLACK_BOT_TOKEN"),
    (BASE, "SLACK_SIGNING_SECRET"),
    ({**BASE, "OPSBOT_SLACK_MODE": "socket"}, "SLACK_APP_TOKEN"),
])
def test_a_missing_credential_is_named(env: dict[str, str], missing: str) -> None:
    with pytest.raises(InputError) as err:
        serving(env)
    assert str(err.value).startswith("environment: ") and missing in str(err.value)


@pytest.mark.parametrize("env, field", [
    ({**BASE, "SLACK_APP_TOKEN": "x", "OPSBOT_SLACK_MODE": "carrier-pigeon"},
     "OPSBOT_SLACK_MODE"),
    ({**BASE, "SLACK_APP_TOKEN": "x", "OPSBOT_SLACK_CHANNEL": "C1"}, "OPSBOT_SLACK_ALERT_AS"),
    ({**BASE, "SLACK_APP_TOKEN": "x", "OPSBOT_SLACK_PORT": "eighty"}, "OPSBOT_SLACK_PORT"),
    ({**BASE, "SLACK_APP_TOKEN": "x", "OPSBOT_SLACK_WORKERS": "0"}, "OPSBOT_SLACK_WORKERS"),
    ({**BASE, "SLACK_APP_TOKEN": "x", "OPSBOT_SLACK_EXPIRY_SWEEP": "0.1"},
     "OPSBOT_SLACK_EXPIRY_SWEEP"),
    ({**BASE, "SLACK_APP_TOKEN": "x", "OPSBOT_SLACK_HEADER_TIMEOUT": "never"},
     "OPSBOT_SLACK_HEADER_TIMEOUT"),
    ({**BASE, "SLACK_APP_TOKEN": "x", "OPSBOT_SLACK_BODY_TIMEOUT": "0"},
     "OPSBOT_SLACK_BODY_TIMEOUT"),
    ({**BASE, "SLACK_APP_TOKEN": "x", "OPSBOT_SLACK_MAX_CONNECTIONS": "0"},
     "OPSBOT_SLACK_MAX_CONNECTIONS"),
    ({**BASE, "SLACK_APP_TOKEN": "x", "OPSBOT_SLACK_TEAM_ID": "acme"}, "OPSBOT_SLACK_TEAM_ID"),
    ({**BASE, "SLACK_APP_TOKEN": "x", "OPSBOT_SLACK_ENTERPRISE_ID": "T0TEAM"},
     "OPSBOT_SLACK_ENTERPRISE_ID"),
])
def test_bad_configuration_names_the_variable(env: dict[str, str], field: str) -> None:
    with pytest.raises(InputError) as err:
        serving(env)
    assert err.value.field == field
    assert str(err.value).startswith(f"environment: {field}: ")


def test_the_http_limits_come_from_the_environment() -> None:
    limits = http_limits(serving({
        **BASE, "SLACK_SIGNING_SECRET": "s", "OPSBOT_SLACK_HEADER_TIMEOUT": "5",
        "OPSBOT_SLACK_BODY_TIMEOUT": "20", "OPSBOT_SLACK_MAX_CONNECTIONS": "64"}))
    assert (limits.header_seconds, limits.body_seconds, limits.max_connections) == (5, 20, 64)


def test_the_workspace_served_comes_from_the_environment() -> None:
    settings = serving({
        **BASE, "SLACK_SIGNING_SECRET": "s", "OPSBOT_SLACK_TEAM_ID": "T0TEAM",
        "OPSBOT_SLACK_ENTERPRISE_ID": "E0ORG"})
    assert settings.serves("T0TEAM", "E0ORG")
    assert not settings.serves("T0OTHER", "E0ORG")
    assert not settings.serves("T0TEAM", None)
    anyone = serving({**BASE, "SLACK_SIGNING_SECRET": "s"})
    assert anyone.serves("T0OTHER", None) and anyone.serves(None, None)


def test_serve_slack_without_a_bot_token_stops_before_starting(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import main

    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert main(["serve", "slack", "--scenario", "checkout-bad-deploy"]) == 2
    assert capsys.readouterr().err == (
        "opsbot: error: environment: set SLACK_BOT_TOKEN to the bot token (xoxb-...)\n")


def test_alert_receiver_refuses_to_start_without_a_bearer_token() -> None:
    with pytest.raises(InputError, match="OPSBOT_ALERTMANAGER_TOKEN"):
        serving({
            "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "OPSBOT_SLACK_MODE": "http",
            "OPSBOT_SLACK_CHANNEL": "C1", "OPSBOT_SLACK_ALERT_AS": "U02BOB"})


def test_the_listener_limits_default_to_the_listeners_own() -> None:
    from assistant.http_listener import Limits

    assert http_limits(SlackSettings()) == Limits()
