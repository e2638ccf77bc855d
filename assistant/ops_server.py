"""The operations port: /livez and /readyz, and whatever else is mounted on it (/metrics).

A listener of its own, on ``OPSBOT_OPS_PORT``: kubelet probes and Prometheus scrapes never
queue behind Slack's or Alertmanager's traffic, and the port that Slack must reach need not
expose them. The server serves a routes table (path -> function answering a GET), so
another endpoint is one entry: ``routes["/metrics"] = metrics_reply``.

/livez answers 200 while this process still runs its loops (assistant/readiness.py says
what counts), never because a dependency is down: a restart cannot fix the database.
/readyz answers 200 when the database, policy, runbook index and chat connection are
usable and the process is not draining, else 503 naming what fails. A server opens this
port before anything else (``ops_endpoints``), so the probes answer through a start-up
that takes minutes: /readyz names the stage it is at.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from assistant.http_listener import JSON, BackgroundHttpServer, Limits, Reply
from assistant.readiness import Readiness

LIVEZ = "/livez"
READYZ = "/readyz"

OpsRoute = Callable[[], Reply]

# Probes and scrapes are small GETs from inside the cluster: tight bounds cost nothing.
OPS_LIMITS = Limits(header_seconds=5.0, body_seconds=5.0, max_connections=64,
                    max_body_bytes=0)


def health_routes(readiness: Readiness) -> dict[str, OpsRoute]:
    """/livez and /readyz over ``readiness``."""

    def livez() -> Reply:
        alive, why = readiness.liveness()
        return (200 if alive else 503), json.dumps({"status": why}), JSON

    def readyz() -> Reply:
        report = readiness.report()
        return (200 if report.ready else 503), report.to_json(), JSON

    return {LIVEZ: livez, READYZ: readyz}


class OpsServer(BackgroundHttpServer):
    """Serves ``routes`` (GET and HEAD) on its own port, in a background thread."""

    def __init__(self, routes: Mapping[str, OpsRoute], host: str, port: int) -> None:
        self.routes = dict(routes)
        super().__init__(self._reply, host, port, OPS_LIMITS, "opsbot-ops")

    def _reply(self, method: str, path: str, query: str, headers: Mapping[str, str],
               body: bytes) -> Reply:
        route = self.routes.get(path)
        if route is None:
            return 404, json.dumps({"error": "not found", "paths": sorted(self.routes)}), JSON
        if method not in ("GET", "HEAD"):
            return 405, json.dumps({"error": f"{method} not allowed"}), \
                {**JSON, "allow": "GET, HEAD"}
        return route()

    def start(self) -> OpsServer:
        super().start()
        return self


@contextmanager
def ops_endpoints(routes: Mapping[str, OpsRoute], host: str, port: int,
                  say: Callable[[str], None]) -> Iterator[OpsServer]:
    """``routes`` (the probes, /metrics) served on ``host:port`` while the block runs."""
    server = OpsServer(routes, host, port).start()
    try:
        say(f"ops endpoints on http://{host}:{server.port} ({', '.join(sorted(server.routes))})")
        yield server
    finally:
        server.stop()
