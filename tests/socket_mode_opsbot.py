"""opsbot's `serve slack` in Socket Mode, run on a thread against the stand-ins
(slack_standin.py, socket_mode_standin.py) the way the CLI runs it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from slack_standin import APP_TOKEN, CHANNEL, SlackStandin, slack_service
from slack_thread import ROOT
from socket_mode_standin import SocketModeStandin

from assistant.slack.server import serve
from assistant.slack.service import SlackService

SOCKET_ENV = {"SLACK_APP_TOKEN": APP_TOKEN, "OPSBOT_SLACK_MODE": "socket"}
CONNECTED = "connected to Slack in Socket Mode"
REACTION = {"type": "reaction_added", "user": "U02BOB", "reaction": "eyes", "event_ts": ROOT,
            "item": {"type": "message", "channel": CHANNEL, "ts": ROOT}}  # no listener


@dataclass
class SocketBot:
    service: SlackService
    socket: SocketModeStandin
    said: list[str]
    stop: threading.Event  # set: serve() drains and returns

    def settle(self, timeout: float = 60) -> None:
        assert self.service.wait_idle(timeout), "opsbot's workers did not finish"

    def mention(self, text: str = "why is checkout crash looping?", ts: str = ROOT,
                user: str = "U02BOB") -> None:
        self.socket.wait_acked(self.socket.mention(user, text, ts))
        self.settle()


@contextmanager
def serving(slack: SlackStandin, socket: SocketModeStandin, home: Path,
            env: dict[str, str] | None = None,
            opsbot_env: dict[str, str] | None = None) -> Iterator[SocketBot]:
    """serve() in Socket Mode on a thread, connected; stopped (and checked to stop) after.
    ``env`` adds Slack settings, ``opsbot_env`` opsbot's own."""
    with slack_service(slack, home, {**SOCKET_ENV, **(env or {})},
                       opsbot_env=opsbot_env) as service:
        said: list[str] = []
        stop = threading.Event()
        server = threading.Thread(target=serve, args=(service, stop, said.append), daemon=True)
        server.start()
        try:
            socket.wait_greeted(1)
            deadline = time.monotonic() + 10
            while (CONNECTED not in said and server.is_alive()
                   and time.monotonic() < deadline):
                time.sleep(0.01)  # serve() says so once connect() has returned
            yield SocketBot(service, socket, said, stop)
        finally:
            stop.set()
            server.join(10)
    assert not server.is_alive(), "serve() did not return when told to stop"
