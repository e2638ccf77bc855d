"""Socket Mode: an envelope opsbot takes in is one it acknowledges, also
while it shuts down (an envelope taken but never acknowledged is redelivered by Slack to
another connection, and handled twice), and one it refuses while draining is left
unacknowledged for Slack to redeliver."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from slack_standin import SlackStandin, event_body
from socket_mode_opsbot import REACTION, serving
from socket_mode_standin import SocketModeStandin


def test_envelopes_waiting_at_shutdown_are_acknowledged_if_taken_and_left_otherwise(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []
    taken: list[str] = []
    refused: list[str] = []
    with (SocketModeStandin() as socket, SlackStandin(socket_mode=socket) as slack,
          serving(slack, socket, tmp_path) as running):
        service = running.service
        receive = service.receive_envelope

        def slow(kind: str, payload: dict[str, Any], headers: Any = None) -> bool:
            started.append(str(payload.get("event_id")))
            running.stop.wait(10)  # still being taken in when serve() is stopped
            accepted = receive(kind, payload, headers)
            (taken if accepted else refused).append(str(payload.get("event_id")))
            return accepted

        monkeypatch.setattr(service, "receive_envelope", slow)
        sent = [f"Ev{i:08d}" for i in range(1, 5)]
        envelopes = dict(zip(sent, socket.send_all(
            "events_api", [event_body(REACTION, e) for e in sent]), strict=True))
        deadline = time.monotonic() + 10
        while not started and time.monotonic() < deadline:
            time.sleep(0.005)
    assert taken or refused, "no envelope reached opsbot"
    for event_id in taken:
        socket.wait_acked(envelopes[event_id], timeout=2)
    left = socket.miscounted_acks()
    assert all(left.get(envelopes[e]) == 0 for e in refused), left
