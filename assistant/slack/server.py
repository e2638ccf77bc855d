"""The HTTP side: Slack's events (HTTP mode) and Alertmanager's webhook on one listener.

The routes answer on the bounded listener's one event-loop thread (listener.py: deadlines,
size caps and a connection cap, since the port is open to anyone who can reach it): the
service verifies each Slack request (a wrong or stale signature gets 401) and acknowledges
it at once; bolt routes it afterwards on the dispatcher thread. One loop answering every
connection keeps acknowledgements quick while the worker threads compute answers (a thread
per connection would queue each of them behind the workers for the interpreter lock). In
Socket Mode the same listener serves only the Alertmanager webhook, and socket_mode.py the
events.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack

from assistant.config.slack import ALERTMANAGER_PATH, EVENTS_PATH, SlackSettings
from assistant.errors import OpsbotError
from assistant.slack import socket_mode
from assistant.slack.listener import BACKLOG, JSON, BoundedHttpListener, Limits, Reply
from assistant.slack.service import SlackService

START_SECONDS = 10.0


class ListenerError(OpsbotError):
    """The HTTP listener could not start."""


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


class SlackHttpServer:
    """Serves in a background thread; ``port`` is the bound one (useful with port 0)."""

    def __init__(self, service: SlackService, host: str, port: int, *, events: bool) -> None:
        # Bound here rather than in the server thread, so a taken port is an error for the
        # caller.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            self._socket = socket.create_server((host, port), family=family, backlog=BACKLOG)
        except OSError as exc:
            raise ListenerError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        self.listener = BoundedHttpListener(SlackRoutes(service, events=events).reply,
                                            http_limits(service.settings))
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="opsbot-slack-http",
                                        daemon=True)

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        await self.listener.serve(self._socket, self._started.set, self._stop)

    @property
    def port(self) -> int:
        return int(self._socket.getsockname()[1])

    def start(self) -> SlackHttpServer:
        self._thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not self._started.wait(0.01):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                failed = ListenerError(f"the HTTP listener on port {self.port} did not start")
                self._socket.close()
                raise failed
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()
        self._socket.close()


def serve(service: SlackService, stop: threading.Event, say: Callable[[str], None]) -> None:
    """Run until ``stop`` is set: HTTP mode, or Socket Mode plus the Alertmanager listener."""
    settings = service.settings
    http = settings.mode == "http"
    with ExitStack() as running:
        if http or settings.alerts_enabled:
            server = SlackHttpServer(service, settings.host, settings.port, events=http).start()
            running.callback(server.stop)
            paths = [p for p, on in ((EVENTS_PATH, http),
                                     (ALERTMANAGER_PATH, settings.alerts_enabled)) if on]
            say(f"listening on http://{settings.host}:{server.port} ({', '.join(paths)})")
        if not http:
            running.callback(socket_mode.connect(service).close)
            say("connected to Slack in Socket Mode")
        stop.wait()
