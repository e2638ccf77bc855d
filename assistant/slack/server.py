"""The HTTP side: Slack's events (HTTP mode) and Alertmanager's webhook on one listener.

The routes answer on the bounded listener's one event-loop thread (http_listener.py: deadlines,
size caps and a connection cap, since the port is open to anyone who can reach it): the
service verifies each Slack request (a wrong or stale signature gets 401) and acknowledges
it at once; bolt routes it afterwards on the dispatcher thread. One loop answering every
connection keeps acknowledgements quick while the worker threads compute answers (a thread
per connection would queue each of them behind the workers for the interpreter lock). In
Socket Mode the same listener serves only the Alertmanager webhook, and socket_mode.py the
events.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack

from assistant.config.slack import ALERTMANAGER_PATH, EVENTS_PATH, SlackSettings
from assistant.http_listener import JSON, BackgroundHttpServer, Limits, ListenerError, Reply
from assistant.slack import socket_mode
from assistant.slack.service import SlackService

__all__ = ["ListenerError", "SlackHttpServer", "SlackRoutes", "serve"]

STOP_POLL_SECONDS = 0.1


class SlackRoutes:
    """Routes /slack/events (HTTP mode), /alertmanager and /healthz to the service."""

    def __init__(self, service: SlackService, *, events: bool) -> None:
        self.service = service
        self.events = events

    def reply(self, method: str, path: str, query: str, headers: Mapping[str, str],
              body: bytes) -> Reply:
        if method == "GET" and path == "/healthz":
            health = self.service.readiness.report()
            return (200 if health.ready else 503), health.to_json(), JSON
        if method == "POST" and path == EVENTS_PATH and self.events:
            response = self.service.receive_slack(body.decode("utf-8", errors="replace"),
                                                  query, headers)
            return response.status, response.body, response.headers
        if method == "POST" and path == ALERTMANAGER_PATH:
            status, text = self.service.receive_alert(headers, body)
            return status, text, JSON
        return 404, '{"error": "not found"}', JSON


def http_limits(settings: SlackSettings) -> Limits:
    return Limits(header_seconds=settings.header_timeout_seconds,
                  body_seconds=settings.body_timeout_seconds,
                  max_connections=settings.max_connections)


class SlackHttpServer(BackgroundHttpServer):
    def __init__(self, service: SlackService, host: str, port: int, *, events: bool) -> None:
        super().__init__(SlackRoutes(service, events=events).reply, host, port,
                         http_limits(service.settings), "opsbot-slack-http")

    def start(self) -> SlackHttpServer:
        super().start()
        return self


def serve(service: SlackService, stop: threading.Event, say: Callable[[str], None]) -> bool:
    """Run until ``stop`` is set: HTTP mode, or Socket Mode plus the Alertmanager listener
    (the ops endpoints are the caller's, open since start-up). Then drain: refuse new work,
    close Socket Mode (Slack sends the next envelopes to another connection), finish what
    was taken within ``OPSBOT_DRAIN_SECONDS`` and hand back the rest. True when everything
    taken finished."""
    settings = service.settings
    runtime = service.session.settings
    http = settings.mode == "http"
    with ExitStack() as running:
        if http or settings.alerts_enabled:
            server = SlackHttpServer(service, settings.host, settings.port, events=http).start()
            running.callback(server.stop)
            service.readiness.add("listener", server.check_serving)
            paths = [p for p, on in ((EVENTS_PATH, http),
                                     (ALERTMANAGER_PATH, settings.alerts_enabled)) if on]
            say(f"listening on http://{settings.host}:{server.port} ({', '.join(paths)})")
        connection = None
        if not http:
            connection = socket_mode.connect(service)
            running.callback(connection.close)
            service.readiness.add("slack", connection.check_connected)
            say("connected to Slack in Socket Mode")
        # Polled rather than waited on: a signal handler sets ``stop`` on this same thread,
        # and Event.wait() holds the lock that set() needs for a moment on every wake-up.
        while not stop.is_set():
            time.sleep(STOP_POLL_SECONDS)
        service.stop_taking()
        if connection is not None:
            connection.close()
        say(f"draining: new work refused, at most {runtime.drain_seconds:g} s for the work "
            "taken")
        drained = service.drain(runtime.drain_seconds)
        say("stopped: the work taken was finished" if drained else
            f"stopped after {runtime.drain_seconds:g} s: unfinished work was handed back")
        return drained
