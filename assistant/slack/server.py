"""The HTTP side: Slack's events (HTTP mode) and Alertmanager's webhook on one listener.

A small threading http.server adapter: the service verifies each Slack request (a wrong or
stale signature gets 401) and acknowledges it at once; bolt routes it afterwards. In Socket
Mode the same listener serves only the Alertmanager webhook.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from slack_bolt.adapter.socket_mode import SocketModeHandler

from assistant.slack.service import SlackService
from assistant.slack.settings import ALERTMANAGER_PATH, EVENTS_PATH

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4 * 1024 * 1024


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Slack and Alertmanager may send bursts; the default backlog of 5 refuses them.
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], service: SlackService, events: bool) -> None:
        super().__init__(address, _Handler)
        self.service = service
        self.events = events


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _reply(self, status: int, body: str, headers: dict[str, Any] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        for name, values in (headers or {"content-type": ["application/json"]}).items():
            if name.lower() == "content-length":
                continue
            for value in values if isinstance(values, list | tuple) else [values]:
                self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if urlsplit(self.path).path == "/healthz":
            self._reply(200, '{"status": "ok"}')
        else:
            self._reply(404, '{"error": "not found"}')

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._reply(413, '{"error": "body too large"}')
            return
        body = self.rfile.read(length)
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        if url.path == EVENTS_PATH and self.server.events:
            response = self.server.service.receive_slack(
                body.decode("utf-8", errors="replace"), url.query, headers)
            self._reply(response.status, response.body, dict(response.headers))
        elif url.path == ALERTMANAGER_PATH:
            status, text = self.server.service.receive_alert(headers, body)
            self._reply(status, text)
        else:
            self._reply(404, '{"error": "not found"}')


class SlackHttpServer:
    """Serves in a background thread; ``port`` is the bound one (useful with port 0)."""

    def __init__(self, service: SlackService, host: str, port: int, *, events: bool) -> None:
        self._server = _Server((host, port), service, events)
        # A short poll interval keeps stop() quick; an idle poll costs next to nothing.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="opsbot-slack-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> SlackHttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def serve(service: SlackService, stop: threading.Event, say: Callable[[str], None]) -> None:
    """Run until ``stop`` is set: HTTP mode, or Socket Mode plus the Alertmanager listener."""
    settings = service.settings
    http = settings.mode == "http"
    server = None
    if http or settings.alerts_enabled:
        server = SlackHttpServer(service, settings.host, settings.port, events=http).start()
        paths = [p for p, on in ((EVENTS_PATH, http), (ALERTMANAGER_PATH, settings.alerts_enabled))
                 if on]
        say(f"listening on http://{settings.host}:{server.port} ({', '.join(paths)})")
    socket = None
    if not http:
        socket = SocketModeHandler(service.app, settings.app_token)
        socket.connect()
        say("connected to Slack in Socket Mode")
    try:
        stop.wait()
    finally:
        if socket is not None:
            socket.close()
        if server is not None:
            server.stop()
