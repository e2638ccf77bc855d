"""The bounded HTTP listener on persistent connections, on loopback: HEAD answers carry no
body, pipelined requests are answered in order, and an idle keep-alive connection is
closed without an answer nobody asked for."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from assistant.http_listener import BoundedHttpListener, Limits

BODY = b'{"ok": true}'
HEAD_TIMEOUT = 0.5


def answer(method: str, path: str, query: str, headers: Mapping[str, str],
           body: bytes) -> tuple[int, str, Mapping[str, Any]]:
    return 200, BODY.decode(), {"content-type": "application/json", "x-path": path}


@pytest.fixture
def port() -> Iterator[int]:
    sock = socket.create_server(("127.0.0.1", 0))
    listening = threading.Event()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    listener = BoundedHttpListener(answer, Limits(header_seconds=HEAD_TIMEOUT))
    thread = threading.Thread(target=loop.run_until_complete,
                              args=(listener.serve(sock, listening.set, stop),))
    thread.start()
    assert listening.wait(10)
    yield sock.getsockname()[1]
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)
    loop.close()


def exchange(port: int, request: bytes, *, within: float = 5.0) -> bytes:
    """Everything the server sends until it closes the connection (at most ``within`` s)."""
    received = b""
    with socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(request)
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            client.settimeout(left)
            try:
                data = client.recv(65536)
            except TimeoutError:
                break
            if not data:
                return received
            received += data
    raise AssertionError(f"the server kept the connection open; it sent {received!r}")


def test_head_gets_the_length_without_a_body_and_the_next_request_its_answer(
        port: int, caplog: pytest.LogCaptureFixture) -> None:
    received = exchange(port, b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                              b"GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head_answer, _, rest = received.partition(b"\r\n\r\n")
    assert b"content-length: 12" in head_answer
    assert rest.startswith(b"HTTP/1.1 200"), f"HEAD's answer carried a body: {rest!r}"
    assert b"x-path: /after" in rest and rest.endswith(BODY)
    assert "Unhandled exception" not in caplog.text


def test_pipelined_requests_are_answered_in_order(port: int) -> None:
    received = exchange(port, b"".join(
        f"GET /{n} HTTP/1.1\r\nHost: x\r\n{'Connection: close' if n == 3 else 'X-N: n'}\r\n\r\n"
        .encode() for n in range(1, 4)))
    assert [int(line.split(b"/")[-1]) for line in received.split(b"\r\n")
            if line.startswith(b"x-path")] == [1, 2, 3]


def test_an_idle_keep_alive_connection_is_closed_without_an_answer(port: int) -> None:
    received = exchange(port, b"GET /once HTTP/1.1\r\nHost: x\r\n\r\n")
    assert received.count(b"HTTP/1.1") == 1, f"an idle connection was answered: {received!r}"
    assert received.endswith(BODY)


def test_a_request_head_that_stops_half_way_still_gets_408(port: int) -> None:
    received = exchange(port, b"GET /slow HTTP/1.1\r\nHost: x\r\n")
    assert received.startswith(b"HTTP/1.1 408")
