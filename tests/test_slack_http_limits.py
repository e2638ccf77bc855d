"""The HTTP listener under hostile clients, on loopback: stalled sockets are cut off and
never starve real requests, and oversized requests get 413/431 instead of a connection
reset.

Timings are printed (run with -s to see them), not asserted: the assertions are about
what happened (answered, closed), each waited for in a bounded loop.
"""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from slack_standin import ALERT_TOKEN, SlackStandin, opsbot_on_standin

SLOW_SOCKETS = 200
TEN_MB = 10 * 1024 * 1024


class SlowClients:
    """Sockets that start a request and then send a byte a second, like slowloris."""

    def __init__(self, port: int, count: int, start: bytes) -> None:
        self.opened_at = time.monotonic()
        self.open: list[socket.socket] = []
        self.closed_after: list[float] = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.setblocking(False)
            sock.send(start)
            self.open.append(sock)

    def tick(self) -> None:
        """One byte more on each open socket; those the server has closed are counted."""
        still: list[socket.socket] = []
        for sock in self.open:
            if self._closed_by_server(sock):
                self.closed_after.append(time.monotonic() - self.opened_at)
                sock.close()
            else:
                still.append(sock)
        self.open = still

    def _closed_by_server(self, sock: socket.socket) -> bool:
        try:
            while True:
                if sock.recv(4096) == b"":
                    return True
        except BlockingIOError:
            pass
        except OSError:
            return True
        try:
            sock.send(b"a")
        except BlockingIOError:
            return False
        except OSError:
            return True
        return False

    def close(self) -> None:
        for sock in self.open:
            sock.close()


def timed_healthz(port: int) -> tuple[int, float]:
    started = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as response:
        return response.status, time.perf_counter() - started


def ms(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def test_stalled_requests_are_cut_off_and_real_ones_still_answered(
        slack: SlackStandin, tmp_path: Path) -> None:
    with opsbot_on_standin(slack, tmp_path, env={"OPSBOT_SLACK_HEADER_TIMEOUT": "2"}) as bot:
        idle = [timed_healthz(bot.server.port)[1] for _ in range(20)]
        slow = SlowClients(bot.server.port, SLOW_SOCKETS,
                           b"POST /alertmanager HTTP/1.1\r\nX-Slow: ")
        try:
            loaded: list[float] = []
            signed = []
            for _ in range(10):  # a byte a second for at most 10 s
                status, seconds = timed_healthz(bot.server.port)
                assert status == 200
                loaded.append(seconds)
                reply = bot.sender.post("/slack/events", json.dumps(
                    {"type": "url_verification", "token": "legacy", "challenge": "c-1"}),
                    "application/json")
                assert (reply.status, json.loads(reply.body)) == (200, {"challenge": "c-1"})
                signed.append(reply.seconds)
                slow.tick()
                if not slow.open:
                    break
                time.sleep(1)
            still_open = len(slow.open)
        finally:
            slow.close()
    print(f"\n/healthz alone: {ms(idle)}; beside {SLOW_SOCKETS} slow sockets: {ms(loaded)}; "
          f"signed Slack request beside them: {ms(signed)}; ratio (median) "
          f"{statistics.median(loaded) / statistics.median(idle):.1f}x")
    if slow.closed_after:
        print(f"slow sockets closed by the server after {ms(slow.closed_after)} "
              "(header timeout 2 s)")
    assert still_open == 0, f"{still_open} of {SLOW_SOCKETS} stalled sockets are still open"


def test_a_body_that_trickles_in_is_cut_off(slack: SlackStandin, tmp_path: Path) -> None:
    with opsbot_on_standin(slack, tmp_path, env={"OPSBOT_SLACK_BODY_TIMEOUT": "1"}) as bot:
        slow = SlowClients(bot.server.port, 1, (
            "POST /alertmanager HTTP/1.1\r\nHost: opsbot\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {ALERT_TOKEN}\r\nContent-Length: 1000\r\n\r\n{{").encode())
        try:
            for _ in range(8):
                slow.tick()
                if not slow.open:
                    break
                time.sleep(0.5)
            assert not slow.open, "a body sent a byte at a time kept its connection"
        finally:
            slow.close()
    print(f"\ntrickling body cut off after {slow.closed_after[0]:.2f} s (body timeout 1 s)")


def test_at_the_connection_cap_the_longest_waiting_make_room_for_real_requests(
        slack: SlackStandin, tmp_path: Path) -> None:
    cap = 50
    with opsbot_on_standin(slack, tmp_path, env={"OPSBOT_SLACK_MAX_CONNECTIONS": str(cap),
                                                 "OPSBOT_SLACK_HEADER_TIMEOUT": "60"}) as bot:
        slow = SlowClients(bot.server.port, SLOW_SOCKETS, b"GET /healthz HTTP/1.1\r\n")
        try:
            answered: list[float] = []
            for _ in range(50):  # until the server has closed what exceeds its cap
                slow.tick()
                if len(slow.open) <= cap:
                    break
                time.sleep(0.1)
            for _ in range(10):
                status, seconds = timed_healthz(bot.server.port)
                assert status == 200
                answered.append(seconds)
            slow.tick()
            still_open = len(slow.open)
        finally:
            slow.close()
    print(f"\ncap {cap}: {still_open} of {SLOW_SOCKETS} stalled sockets still open; "
          f"/healthz at the cap: {ms(answered)}")
    assert still_open <= cap


@pytest.mark.parametrize("path", ["/alertmanager", "/slack/events", "/healthz", "/nowhere"])
def test_an_oversized_body_gets_413_on_every_endpoint(slack: SlackStandin, tmp_path: Path,
                                                      path: str) -> None:
    with opsbot_on_standin(slack, tmp_path) as bot:
        request = urllib.request.Request(
            f"http://127.0.0.1:{bot.server.port}{path}", data=b"{" * TEN_MB, method="POST",
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {ALERT_TOKEN}"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 413
        assert "body too large" in json.loads(refused.value.read())["error"]
        assert timed_healthz(bot.server.port)[0] == 200


def test_an_oversized_chunked_body_gets_413(slack: SlackStandin, tmp_path: Path) -> None:
    with opsbot_on_standin(slack, tmp_path) as bot:
        client = http.client.HTTPConnection("127.0.0.1", bot.server.port, timeout=30)
        chunks = (b"x" * 65536 for _ in range(TEN_MB // 65536))
        client.request("POST", "/alertmanager", body=chunks, encode_chunked=True,
                       headers={"Authorization": f"Bearer {ALERT_TOKEN}"})
        response = client.getresponse()
        assert response.status == 413
        client.close()


def test_an_oversized_request_head_gets_431(slack: SlackStandin, tmp_path: Path) -> None:
    with opsbot_on_standin(slack, tmp_path) as bot:
        request = urllib.request.Request(f"http://127.0.0.1:{bot.server.port}/healthz",
                                         headers={"X-Big": "a" * 64 * 1024})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 431
        assert json.loads(refused.value.read()) == {"error": "request head over 16384 bytes"}
