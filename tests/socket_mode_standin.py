"""Slack's side of Socket Mode, for tests: a WebSocket server on loopback.

The protocol as Slack runs it: the app calls apps.connections.open with its app-level token
(answered by ``SlackStandin``, which asks ``issue_url`` here) and connects to the URL it
gets; a URL's ticket opens one connection only. The server greets each connection with
``hello``, then sends envelopes (``events_api``, ``interactive``, ``slash_commands``) that
the app must acknowledge by sending back ``{"envelope_id": ...}``. ``disconnect`` with
``refresh_requested`` asks the app to open a new connection (a new URL) and drop this one.

Envelopes go to the newest connection that was greeted. Every acknowledgement is kept with
its latency (envelope sent to acknowledgement received) and the connection it came on;
anything else the app sends is kept in ``strays``.

The URL is ws:// because this server speaks plain TCP; slack_sdk's built-in client would
speak plain TCP on any port but 443 whatever the scheme said.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from slack_standin import (
    CHANNEL,
    StoredMessage,
    click_payload,
    command_form,
    event_body,
    mention_event,
)
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

WAIT_SECONDS = 10.0
PING_SECONDS = 0.1


@dataclass(frozen=True)
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None
    seconds: float  # from sending the envelope to receiving its acknowledgement
    connection: int


@dataclass
class Link:
    """One WebSocket connection, numbered from 1 in the order they were opened."""

    number: int
    ws: ServerConnection
    greeted: bool = False
    closed: bool = False


class SocketModeStandin:
    def __init__(self) -> None:
        self.acks: list[Ack] = []
        self.strays: list[str] = []  # messages that acknowledge no envelope sent
        self.accepting = True  # False: the WebSocket handshake is refused (HTTP 503)
        self._sent: dict[str, float] = {}
        self._tickets: set[str] = set()
        self._links: list[Link] = []
        self._ids = itertools.count(1)
        self._changed = threading.Condition()
        # Frequent pings: the built-in client closes a connection only once its blocking
        # read returns, which otherwise takes its 3 s timeout.
        self._server = serve(self._serve, "127.0.0.1", 0, process_request=self._admit,
                             compression=None, ping_interval=PING_SECONDS)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # lifecycle
    def __enter__(self) -> SocketModeStandin:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join(WAIT_SECONDS)

    @property
    def port(self) -> int:
        return int(self._server.socket.getsockname()[1])

    def issue_url(self) -> str:
        """A fresh single-use URL, as apps.connections.open hands out."""
        ticket = uuid.uuid4().hex
        with self._changed:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id=A0OPSBOT"

    # serving
    def _admit(self, ws: ServerConnection, request: Request) -> Response | None:
        ticket = parse_qs(urlsplit(request.path).query).get("ticket", [""])[0]
        with self._changed:
            if not self.accepting:
                return ws.respond(HTTPStatus.SERVICE_UNAVAILABLE, "not accepting\n")
            if ticket not in self._tickets:
                return ws.respond(HTTPStatus.UNAUTHORIZED, "unknown or used ticket\n")
            self._tickets.discard(ticket)
        return None

    def _serve(self, ws: ServerConnection) -> None:
        with self._changed:
            link = Link(len(self._links) + 1, ws)
            self._links.append(link)
        try:
            ws.send(json.dumps({
                "type": "hello", "num_connections": len(self.open_links()) + 1,
                "debug_info": {"host": "applink-standin", "build_number": 1,
                               "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A0OPSBOT"}}))
            with self._changed:
                link.greeted = True
                self._changed.notify_all()
            for message in ws:
                self._received(link, str(message))
        except ConnectionClosed:
            pass  # the app dropped the connection: how the built-in client closes one
        finally:
            with self._changed:
                link.closed = True
                self._changed.notify_all()

    def _received(self, link: Link, message: str) -> None:
        now = time.monotonic()
        try:
            parsed = json.loads(message)
        except ValueError:
            parsed = None
        with self._changed:
            envelope_id = parsed.get("envelope_id") if isinstance(parsed, dict) else None
            if envelope_id not in self._sent:
                self.strays.append(message)
            else:
                self.acks.append(Ack(envelope_id, parsed.get("payload"),
                                     now - self._sent[envelope_id], link.number))
            self._changed.notify_all()

    # scripting
    def open_links(self) -> list[Link]:
        with self._changed:
            return [k for k in self._links if k.greeted and not k.closed]

    def wait_greeted(self, count: int, timeout: float = WAIT_SECONDS) -> None:
        """Until ``count`` connections in all have been greeted; then only one is open."""
        with self._changed:
            done = self._changed.wait_for(
                lambda: sum(k.greeted for k in self._links) >= count
                and sum(k.greeted and not k.closed for k in self._links) == 1, timeout)
        assert done, f"wanted connection {count}, the only one open; have {self._links}"

    def send(self, kind: str, payload: dict[str, Any], **fields: Any) -> str:
        """Send an envelope on the newest greeted connection; its envelope_id."""
        return self.send_all(kind, [payload], **fields)[0]

    def send_all(self, kind: str, payloads: list[dict[str, Any]], *,
                 accepts_response_payload: bool = False, **fields: Any) -> list[str]:
        """One envelope for each payload, written back to back as Slack's bursts come."""
        ids = [str(uuid.uuid4()) for _ in payloads]
        frames = [json.dumps({"envelope_id": envelope_id, "type": kind, "payload": payload,
                              "accepts_response_payload": accepts_response_payload, **fields})
                  for envelope_id, payload in zip(ids, payloads, strict=True)]
        link = self._newest()
        for envelope_id, frame in zip(ids, frames, strict=True):
            with self._changed:
                self._sent[envelope_id] = time.monotonic()
            link.ws.send(frame)
        return ids

    def _newest(self) -> Link:
        with self._changed:
            return [k for k in self._links if k.greeted and not k.closed][-1]

    def event(self, event: dict[str, Any]) -> str:
        return self.send("events_api", event_body(event, f"Ev{next(self._ids):08d}"),
                         retry_attempt=0, retry_reason="")

    def mention(self, user: str, text: str, ts: str, *, channel: str = CHANNEL,
                thread_ts: str | None = None) -> str:
        return self.event(mention_event(user, text, ts, channel=channel, thread_ts=thread_ts))

    def click(self, user: str, card: StoredMessage, action_id: str) -> str:
        return self.send("interactive", click_payload(user, card, action_id))

    def command(self, user: str, text: str, *, channel: str = CHANNEL) -> str:
        return self.send("slash_commands", command_form(user, text, channel=channel),
                         accepts_response_payload=True)

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the app to move to a new connection, as Slack does every few hours."""
        self._newest().ws.send(json.dumps({"type": "disconnect", "reason": reason,
                                 "debug_info": {"host": "applink-standin"}}))

    # reading what happened
    def wait_acked(self, envelope_id: str, timeout: float = WAIT_SECONDS) -> Ack:
        with self._changed:
            self._changed.wait_for(
                lambda: any(a.envelope_id == envelope_id for a in self.acks), timeout)
            found = [a for a in self.acks if a.envelope_id == envelope_id]
        assert found, f"envelope {envelope_id} was not acknowledged in {timeout:g} s"
        print(f"ack of {envelope_id}: {found[0].seconds * 1000:.1f} ms")
        return found[0]

    def miscounted_acks(self) -> dict[str, int]:
        """Envelopes sent that were not acknowledged exactly once, with their count."""
        with self._changed:
            counts = {e: sum(a.envelope_id == e for a in self.acks) for e in self._sent}
        return {e: n for e, n in counts.items() if n != 1}
