"""The HTTP side: Slack's events (HTTP mode) and Alertmanager's webhook on one listener.

A small ASGI app served by uvicorn on one event-loop thread: the service verifies each
Slack request (a wrong or stale signature gets 401) and acknowledges it at once; bolt
routes it afterwards on the dispatcher thread. One loop answering every connection keeps
acknowledgements quick while the worker threads compute answers (a thread per connection
would queue each of them behind the workers for the interpreter lock). In Socket Mode the
same listener serves only the Alertmanager webhook, and socket_mode.py the events.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import Any

import uvicorn

from assistant.errors import OpsbotError
from assistant.slack import socket_mode
from assistant.slack.service import SlackService
from assistant.slack.settings import ALERTMANAGER_PATH, EVENTS_PATH

MAX_BODY_BYTES = 4 * 1024 * 1024
BACKLOG = 2048  # Slack and Alertmanager send bursts
START_SECONDS = 10.0
JSON = {"content-type": "application/json"}

Reply = tuple[int, str, Mapping[str, Any]]


class ListenerError(OpsbotError):
    """The HTTP listener could not start."""


class SlackAsgiApp:
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

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Any],
                       send: Callable[[dict[str, Any]], Any]) -> None:
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                await _send(send, 413, '{"error": "body too large"}', JSON)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope["headers"]}
        status, text, extra = self.reply(scope["method"], scope["path"],
                                         scope["query_string"].decode("latin-1"), headers,
                                         b"".join(chunks))
        await _send(send, status, text, extra)


async def _send(send: Callable[[dict[str, Any]], Any], status: int, text: str,
                headers: Mapping[str, Any]) -> None:
    data = text.encode()
    pairs = [(name.lower().encode(), str(value).encode())
             for name, values in headers.items() if name.lower() != "content-length"
             for value in (values if isinstance(values, list | tuple) else [values])]
    pairs.append((b"content-length", str(len(data)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": pairs})
    await send({"type": "http.response.body", "body": data})


class SlackHttpServer:
    """Serves in a background thread; ``port`` is the bound one (useful with port 0)."""

    def __init__(self, service: SlackService, host: str, port: int, *, events: bool) -> None:
        # Bound here rather than by uvicorn, so a taken port is an error for the caller
        # instead of a SystemExit inside the server thread.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            self._socket = socket.create_server((host, port), family=family, backlog=BACKLOG)
        except OSError as exc:
            raise ListenerError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        # log_config=None: uvicorn's records go to the root logger, whose handlers redact,
        # instead of handlers of its own that would not.
        config = uvicorn.Config(SlackAsgiApp(service, events=events), lifespan="off",
                                access_log=False, log_config=None)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._socket]},
                                        name="opsbot-slack-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self._socket.getsockname()[1])

    def start(self) -> SlackHttpServer:
        self._thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                failed = ListenerError(f"the HTTP listener on port {self.port} did not start")
                self._socket.close()
                raise failed
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
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
