"""Slack settings from the environment, checked once at start-up with the variable named."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from assistant.errors import InputError
from assistant.slack.listener import Limits

SLACK_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
ENV = "environment"
ALERTMANAGER_PATH = "/alertmanager"

Mode = Literal["socket", "http"]
N = TypeVar("N", int, float)
_TEAM_ID = re.compile(r"^T[A-Z0-9]+$")
_ENTERPRISE_ID = re.compile(r"^E[A-Z0-9]+$")


class SlackSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    bot_token: str
    mode: Mode
    app_token: str | None = None  # Socket Mode
    signing_secret: str | None = None  # HTTP mode
    host: str = "0.0.0.0"
    port: int = 3000  # events (HTTP mode) and the Alertmanager receiver
    api_url: str = SLACK_API_URL
    alert_channel: str | None = None  # enables the Alertmanager receiver
    alert_actor: str | None = None  # chat user id the alert's first question is asked as
    alert_token: str | None = None  # bearer token Alertmanager must send, when set
    workers: int = 4
    max_queued: int = 1000
    group_ttl_seconds: float = 300.0
    # How often pending proposals are checked for expiry while no one writes in their thread.
    expiry_sweep_seconds: float = 30.0
    header_timeout_seconds: float = Limits.header_seconds
    body_timeout_seconds: float = Limits.body_seconds
    max_connections: int = Limits.max_connections
    # The workspace (and Enterprise Grid org) opsbot serves; None accepts any of them.
    team_id: str | None = None
    enterprise_id: str | None = None

    @property
    def alerts_enabled(self) -> bool:
        return self.alert_channel is not None

    @property
    def http_limits(self) -> Limits:
        return Limits(header_seconds=self.header_timeout_seconds,
                      body_seconds=self.body_timeout_seconds,
                      max_connections=self.max_connections)

    def serves(self, team_id: str | None, enterprise_id: str | None) -> bool:
        """Whether a request from this workspace and org is one opsbot should act on."""
        return (self.team_id in (None, team_id)
                and self.enterprise_id in (None, enterprise_id))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *,
                 mode: str | None = None) -> SlackSettings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        bot_token = get("SLACK_BOT_TOKEN")
        # Credentials are named inside the sentence: after "SLACK_BOT_TOKEN: " the redactor
        # takes free text for the token's value (only statuses like "not set" stay).
        if bot_token is None:
            raise InputError("set SLACK_BOT_TOKEN to the bot token (xoxb-...)", source=ENV)
        app_token, signing_secret = get("SLACK_APP_TOKEN"), get("SLACK_SIGNING_SECRET")
        chosen = mode or get("OPSBOT_SLACK_MODE") or ("socket" if app_token else "http")
        if chosen not in ("socket", "http"):
            raise InputError(f"expected socket or http, got {chosen!r}",
                             field="OPSBOT_SLACK_MODE")
        if chosen == "socket" and app_token is None:
            raise InputError("Socket Mode needs SLACK_APP_TOKEN, the app-level token "
                             "(xapp-...)", source=ENV)
        if chosen == "http" and signing_secret is None:
            raise InputError("HTTP mode needs SLACK_SIGNING_SECRET, to verify requests",
                             source=ENV)
        alert_channel, alert_actor = get("OPSBOT_SLACK_CHANNEL"), get("OPSBOT_SLACK_ALERT_AS")
        if alert_channel and not alert_actor:
            raise InputError("alerts open threads in OPSBOT_SLACK_CHANNEL and ask as a chat "
                             "user the policy names (e.g. an on-call responder's id)",
                             field="OPSBOT_SLACK_ALERT_AS")
        if alert_channel and not get("OPSBOT_ALERTMANAGER_TOKEN"):
            # Anyone who can reach the listener could otherwise open incident threads and
            # put their own text into questions asked as OPSBOT_SLACK_ALERT_AS.
            raise InputError("the Alertmanager receiver needs a bearer token: set it here and "
                             "in Alertmanager's http_config.authorization.credentials",
                             field="OPSBOT_ALERTMANAGER_TOKEN")
        return cls(
            bot_token=bot_token,
            mode=chosen,
            app_token=app_token,
            signing_secret=signing_secret,
            host=get("OPSBOT_SLACK_HOST") or "0.0.0.0",
            port=_number(env, "OPSBOT_SLACK_PORT", 3000, int, low=0, high=65535),
            api_url=get("OPSBOT_SLACK_API_URL") or SLACK_API_URL,
            alert_channel=alert_channel,
            alert_actor=alert_actor,
            alert_token=get("OPSBOT_ALERTMANAGER_TOKEN"),
            workers=_number(env, "OPSBOT_SLACK_WORKERS", 4, int, low=1, high=64),
            max_queued=_number(env, "OPSBOT_SLACK_MAX_QUEUED", 1000, int, low=1, high=10**6),
            group_ttl_seconds=_number(env, "OPSBOT_SLACK_GROUP_TTL", 300.0, float, low=0,
                                      high=86400),
            expiry_sweep_seconds=_number(env, "OPSBOT_SLACK_EXPIRY_SWEEP", 30.0, float,
                                         low=1, high=3600),
            header_timeout_seconds=_number(env, "OPSBOT_SLACK_HEADER_TIMEOUT",
                                           Limits.header_seconds, float, low=0.1, high=300),
            body_timeout_seconds=_number(env, "OPSBOT_SLACK_BODY_TIMEOUT", Limits.body_seconds,
                                         float, low=0.1, high=600),
            max_connections=_number(env, "OPSBOT_SLACK_MAX_CONNECTIONS", Limits.max_connections,
                                    int, low=1, high=100_000),
            team_id=_slack_id(get("OPSBOT_SLACK_TEAM_ID"), _TEAM_ID, "OPSBOT_SLACK_TEAM_ID",
                              "a workspace id (T...)"),
            enterprise_id=_slack_id(get("OPSBOT_SLACK_ENTERPRISE_ID"), _ENTERPRISE_ID,
                                    "OPSBOT_SLACK_ENTERPRISE_ID",
                                    "an Enterprise Grid org id (E...)"),
        )


def _slack_id(value: str | None, pattern: re.Pattern[str], name: str,
              what: str) -> str | None:
    # A mistyped id would refuse every request: better to stop at start-up.
    if value is not None and not pattern.match(value):
        raise InputError(f"expected {what}, got {value!r}", field=name)
    return value


def _number(env: Mapping[str, str], name: str, default: N, kind: type[N], *,
            low: float, high: float) -> N:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise InputError(f"expected a number, got {raw!r}", field=name) from None
    if not low <= value <= high:
        raise InputError(f"expected {low:g}..{high:g}, got {raw}", field=name)
    return value
