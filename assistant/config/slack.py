"""Slack settings: the ``slack`` section of the configuration tree (assistant/config/tree.py).

The tree checks each value as it is read, naming the variable; ``for_serving`` checks what
only matters when the Slack app starts (the tokens its mode needs).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator, model_validator

from assistant.errors import InputError
from assistant.setting import setting

SLACK_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
ENV = "environment"
ALERTMANAGER_PATH = "/alertmanager"

Mode = Literal["socket", "http"]
_TEAM_ID = re.compile(r"^T[A-Z0-9]+$")
_ENTERPRISE_ID = re.compile(r"^E[A-Z0-9]+$")


class SlackSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    bot_token: SecretStr | None = setting(None, "SLACK_BOT_TOKEN", "bot token (xoxb-...)")
    mode: Mode | None = setting(
        None, "OPSBOT_SLACK_MODE", "socket or http (default: socket when SLACK_APP_TOKEN "
        "is set, else http)")
    app_token: SecretStr | None = setting(
        None, "SLACK_APP_TOKEN", "app-level token (xapp-...), for Socket Mode")
    signing_secret: SecretStr | None = setting(
        None, "SLACK_SIGNING_SECRET", "verifies requests in HTTP mode")
    host: str = setting("0.0.0.0", "OPSBOT_SLACK_HOST", "listen address")
    port: int = setting(3000, "OPSBOT_SLACK_PORT",
                        "events (HTTP mode) and the Alertmanager receiver", ge=0, le=65535)
    api_url: str = setting(SLACK_API_URL, "OPSBOT_SLACK_API_URL", "Slack Web API base URL")
    alert_channel: str | None = setting(
        None, "OPSBOT_SLACK_CHANNEL", "channel alert threads open in; enables the "
        "Alertmanager receiver")
    alert_actor: str | None = setting(
        None, "OPSBOT_SLACK_ALERT_AS", "chat user id an alert's first question is asked as")
    alert_token: SecretStr | None = setting(
        None, "OPSBOT_ALERTMANAGER_TOKEN", "bearer token Alertmanager must send")
    workers: int = setting(4, "OPSBOT_SLACK_WORKERS", "threads answering events", ge=1, le=64)
    max_queued: int = setting(1000, "OPSBOT_SLACK_MAX_QUEUED", "events waiting for a worker",
                              ge=1, le=10**6)
    group_ttl_seconds: float = setting(300.0, "OPSBOT_SLACK_GROUP_TTL",
                                       "how long user-group lookups are cached", ge=0, le=86400)
    # How often pending proposals are checked for expiry while no one writes in their thread.
    expiry_sweep_seconds: float = setting(
        30.0, "OPSBOT_SLACK_EXPIRY_SWEEP", "how often quiet proposals are checked for expiry",
        ge=1, le=3600)
    # The three listener limits default to what assistant/http_listener.py's Limits does
    # (not imported: the slack package's __init__ imports the engine, which imports this).
    header_timeout_seconds: float = setting(
        10.0, "OPSBOT_SLACK_HEADER_TIMEOUT",
        "seconds a request head may take to arrive", ge=0.1, le=300)
    body_timeout_seconds: float = setting(
        30.0, "OPSBOT_SLACK_BODY_TIMEOUT",
        "seconds a request body may take to arrive", ge=0.1, le=600)
    max_connections: int = setting(256, "OPSBOT_SLACK_MAX_CONNECTIONS",
                                   "open HTTP connections", ge=1, le=100_000)
    # The workspace (and Enterprise Grid org) opsbot serves; None accepts any of them.
    team_id: str | None = setting(None, "OPSBOT_SLACK_TEAM_ID",
                                  "the only workspace served (T...)")
    enterprise_id: str | None = setting(None, "OPSBOT_SLACK_ENTERPRISE_ID",
                                        "the only Enterprise Grid org served (E...)")

    @field_validator("team_id")
    @classmethod
    def _team(cls, value: str | None) -> str | None:
        # A mistyped id would refuse every request: better to stop at start-up.
        if value is not None and not _TEAM_ID.match(value):
            raise ValueError(f"expected a workspace id (T...), got {value!r}")
        return value

    @field_validator("enterprise_id")
    @classmethod
    def _enterprise(cls, value: str | None) -> str | None:
        if value is not None and not _ENTERPRISE_ID.match(value):
            raise ValueError(f"expected an Enterprise Grid org id (E...), got {value!r}")
        return value

    @model_validator(mode="after")
    def _alerts_are_complete(self) -> SlackSettings:
        if self.alert_channel and not self.alert_actor:
            raise InputError("alerts open threads in OPSBOT_SLACK_CHANNEL and ask as a chat "
                             "user the policy names (e.g. an on-call responder's id)",
                             source=ENV, field="OPSBOT_SLACK_ALERT_AS")
        if self.alert_channel and self.alert_token is None:
            # Anyone who can reach the listener could otherwise open incident threads and
            # put their own text into questions asked as OPSBOT_SLACK_ALERT_AS.
            raise InputError("the Alertmanager receiver needs a bearer token: set it here and "
                             "in Alertmanager's http_config.authorization.credentials",
                             source=ENV, field="OPSBOT_ALERTMANAGER_TOKEN")
        return self

    @property
    def alerts_enabled(self) -> bool:
        return self.alert_channel is not None

    def serves(self, team_id: str | None, enterprise_id: str | None) -> bool:
        """Whether a request from this workspace and org is one opsbot should act on."""
        return (self.team_id in (None, team_id)
                and self.enterprise_id in (None, enterprise_id))

    def secret(self, name: Literal["bot_token", "app_token", "signing_secret",
                                   "alert_token"]) -> str | None:
        """A credential's text, for the one call that sends or checks it."""
        value: SecretStr | None = getattr(self, name)
        return value.get_secret_value() if value is not None else None

    def for_serving(self, mode: Mode | None = None) -> SlackSettings:
        """These settings with the mode decided, once the tokens it needs are known to be
        there (``mode``, from the command line, wins over OPSBOT_SLACK_MODE)."""
        # Credentials are named inside the sentence: after "SLACK_BOT_TOKEN: " the redactor
        # takes free text for the token's value (only statuses like "not set" stay).
        if self.bot_token is None:
            raise InputError("set SLACK_BOT_TOKEN to the bot token (xoxb-...)", source=ENV)
        chosen = mode or self.mode or ("socket" if self.app_token else "http")
        if chosen == "socket" and self.app_token is None:
            raise InputError("Socket Mode needs SLACK_APP_TOKEN, the app-level token "
                             "(xapp-...)", source=ENV)
        if chosen == "http" and self.signing_secret is None:
            raise InputError("HTTP mode needs SLACK_SIGNING_SECRET, to verify requests",
                             source=ENV)
        return self.model_copy(update={"mode": chosen})
