"""A small HTTP server for GET routes such as /metrics, on its own port.

Prometheus scrapes it every few seconds; a thread per request is plenty for that, and it
keeps scrapes off the Slack listener's event loop.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from assistant.errors import OpsbotError
from assistant.telemetry.metrics import Route

# A scrape is a few kilobytes; a client that sends nothing for this long is dropped.
REQUEST_TIMEOUT_SECONDS = 10.0


class RouteServerError(OpsbotError):
    """The metrics listener could not start."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], route: Route) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.route = route
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = REQUEST_TIMEOUT_SECONDS

    def do_GET(self) -> None:
        status, content_type, body = self.server.route(self.path)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds are not worth a log line each."""


class RouteServer:
    """Serves ``route`` for GET requests on host:port from a background thread; ``port``
    is the bound one (useful with port 0)."""

    def __init__(self, host: str, port: int, route: Route) -> None:
        try:
            self._server = _Server((host, port), route)
        except OSError as exc:
            raise RouteServerError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="opsbot-metrics-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> RouteServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()
