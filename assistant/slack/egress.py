"""The one way out to Slack.

Every Web API call passes through here: its arguments are redacted first (safety
invariant 3), rate limits (429 + Retry-After) and server errors are retried by slack_sdk's
retry handlers, and a call that still fails is logged and reported as None/False rather
than raised, so a Slack outage never undoes work the engine has already recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from assistant.telemetry.metrics import Metrics

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 5
SERVER_ERROR_RETRIES = 2
CONNECTION_RETRIES = 2
TIMEOUT_SECONDS = 30


class _CountedRateLimitRetries(RateLimitErrorRetryHandler):
    """Slack's own 429 handling (sleep Retry-After, try again), counting each 429."""

    def __init__(self, max_retry_count: int, metrics: Metrics | None) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._metrics = metrics

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None,
                                 error: Exception | None = None) -> None:
        if self._metrics is not None:
            self._metrics.slack_rate_limited.inc()
        super().prepare_for_next_attempt(state=state, request=request, response=response,
                                         error=error)


def web_client(token: str, api_url: str, metrics: Metrics | None = None) -> WebClient:
    return WebClient(
        token=token,
        base_url=api_url,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
            _CountedRateLimitRetries(RATE_LIMIT_RETRIES, metrics),
            ServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        ],
    )


def _error_name(exc: Exception) -> str:
    """Slack's error code (a fixed vocabulary), else the kind of transport failure."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"http-{exc.response.status_code}")
    return "connection" if isinstance(exc, OSError) else "client"


class SlackOut:
    def __init__(self, client: WebClient, redact_value: Callable[[Any], Any],
                 metrics: Metrics | None = None) -> None:
        self.client = client
        self._redact = redact_value
        self._metrics = metrics

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, method)(**self._redact(kwargs))
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning("Slack %s failed: %s", method, exc)
            if self._metrics is not None:
                self._metrics.slack_errors.labels(method=method, error=_error_name(exc)).inc()
                if isinstance(exc, SlackApiError) and exc.response.status_code == 429:
                    # The one that exhausted the retries; each earlier one was counted
                    # when it was retried.
                    self._metrics.slack_rate_limited.inc()
            return None

    def post(self, channel: str, text: str, *, thread_ts: str | None = None,
             blocks: list[dict[str, Any]] | None = None) -> str | None:
        """Post a message; returns its ts, or None when Slack could not be reached."""
        kwargs: dict[str, Any] = {"channel": channel, "text": text}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        if blocks is not None:
            kwargs["blocks"] = blocks
        response = self._call("chat_postMessage", **kwargs)
        return None if response is None else str(response["ts"])

    def update(self, channel: str, ts: str, text: str,
               blocks: list[dict[str, Any]] | None = None) -> bool:
        response = self._call("chat_update", channel=channel, ts=ts, text=text,
                              blocks=blocks if blocks is not None else [])
        return response is not None

    def ephemeral(self, channel: str, user: str, text: str, *,
                  thread_ts: str | None = None) -> bool:
        kwargs: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        return self._call("chat_postEphemeral", **kwargs) is not None

    def upload(self, channel: str, thread_ts: str | None, filename: str, content: str,
               comment: str) -> bool:
        kwargs: dict[str, Any] = {"channel": channel, "filename": filename, "title": filename,
                                  "content": content, "initial_comment": comment}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        return self._call("files_upload_v2", **kwargs) is not None

    def upload_png(self, channel: str, thread_ts: str | None, filename: str, png: bytes,
                   title: str) -> bool:
        """An image drawn from redacted data; its title and comment pass the redactor."""
        kwargs: dict[str, Any] = {"channel": channel, "filename": filename, "title": title,
                                  "file": png}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        return self._call("files_upload_v2", **kwargs) is not None

    def read(self, method: str, **kwargs: Any) -> dict[str, Any] | None:
        """A read-only call (conversations.replies, usergroups.*): its data, or None."""
        response = self._call(method, **kwargs)
        return None if response is None else dict(response.data)
