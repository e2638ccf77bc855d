"""A bounded HTTP/1.1 listener: the part of opsbot that faces the network before any
request is verified, so it must hold up against clients that never finish.

Anyone who can reach the port can open connections. Each one therefore has deadlines (the
request line and headers within ``header_seconds`` of waiting for them, the body within
``body_seconds``), the head and the body have size caps, and the number of open
connections is capped well below the process's file descriptors (the database, Slack and
the runbook index need descriptors too). At the cap a new connection closes the one that
has waited longest for input: a stalled client loses its slot, while a real request, which
sends its head at once, keeps it.

h11 parses and frames; the handler answers synchronously on the event loop, which is
enough because it only verifies a request and queues the work (Slack's and Alertmanager's
routes) or reads a report (the ops port's). ``BackgroundHttpServer`` runs one on a thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import h11

from assistant.errors import OpsbotError

log = logging.getLogger(__name__)

BACKLOG = 2048  # Slack and Alertmanager send bursts
READ_CHUNK = 64 * 1024
# After refusing a request, its client may still be sending the body; reading it for a
# moment before closing lets the client see the answer instead of a connection reset.
LINGER_SECONDS = 2.0
CAP_WARNING_EVERY_SECONDS = 60.0
JSON = {"content-type": "application/json"}
START_SECONDS = 10.0

Reply = tuple[int, str, Mapping[str, Any]]
Handler = Callable[[str, str, str, Mapping[str, str], bytes], Reply]


@dataclass(frozen=True)
class Limits:
    header_seconds: float = 10.0
    body_seconds: float = 30.0
    max_connections: int = 256
    max_head_bytes: int = 16 * 1024
    max_body_bytes: int = 4 * 1024 * 1024


class ListenerError(OpsbotError):
    """An HTTP listener could not start."""


class _Refused(Exception):
    """The request cannot be served; answer ``status`` and close the connection."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 limits: Limits) -> None:
        self.reader = reader
        self.writer = writer
        self.limits = limits
        self.http = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_head_bytes)

    async def next_event(self) -> Any:
        while True:
            try:
                event = self.http.next_event()
            except h11.RemoteProtocolError as exc:
                # h11's message quotes the request; the answer need not echo it.
                status = exc.error_status_hint
                raise _Refused(status, f"request head over {self.limits.max_head_bytes} bytes"
                               if status == 431 else "malformed HTTP request") from None
            if event is not h11.NEED_DATA:
                return event
            self.http.receive_data(await self.reader.read(READ_CHUNK))

    async def send(self, *events: Any) -> None:
        for event in events:
            data = self.http.send(event)
            if data:
                self.writer.write(data)
        await self.writer.drain()

    def abort(self) -> None:
        self.writer.transport.abort()


class BoundedHttpListener:
    """Serves ``handler`` on an already listening socket until ``stop`` is set."""

    def __init__(self, handler: Handler, limits: Limits) -> None:
        self.handler = handler
        self.limits = limits
        # Open connections, the one that has waited longest for input first.
        self._open: OrderedDict[_Connection, None] = OrderedDict()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._warned_at = -CAP_WARNING_EVERY_SECONDS

    async def serve(self, sock: socket.socket, started: Callable[[], None],
                    stop: asyncio.Event) -> None:
        server = await asyncio.start_server(self._serve_connection, sock=sock, backlog=BACKLOG,
                                            limit=READ_CHUNK)
        started()
        try:
            await stop.wait()
        finally:
            server.close()
            # Closed connections end their tasks; a task cancelled instead would be
            # reported by asyncio as an error at shutdown.
            for connection in list(self._open):
                connection.abort()
            await asyncio.gather(*self._tasks)
            await server.wait_closed()

    async def _serve_connection(self, reader: asyncio.StreamReader,
                                writer: asyncio.StreamWriter) -> None:
        connection = _Connection(reader, writer, self.limits)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._make_room()
        self._open[connection] = None
        try:
            await self._requests(connection)
            writer.transport.close()  # the answer, if any, is small and already sent
        except (ConnectionError, TimeoutError):
            connection.abort()  # the client went away, or stopped reading its answer
        finally:
            self._open.pop(connection, None)
            self._tasks.discard(task)

    def _make_room(self) -> None:
        while len(self._open) >= self.limits.max_connections:
            longest_waiting, _ = self._open.popitem(last=False)
            longest_waiting.abort()
            now = time.monotonic()
            if now - self._warned_at >= CAP_WARNING_EVERY_SECONDS:
                self._warned_at = now
                log.warning("HTTP listener at its cap of %d connections: closing the ones "
                            "that waited longest (OPSBOT_SLACK_MAX_CONNECTIONS)",
                            self.limits.max_connections)

    async def _requests(self, connection: _Connection) -> None:
        while connection in self._open:  # not closed to make room for another
            self._open.move_to_end(connection)
            try:
                request = await self._head(connection)
                if isinstance(request, h11.ConnectionClosed):
                    return
                body = await self._body(connection, request)
            except _Refused as refused:
                await self._refuse(connection, refused)
                return
            status, text, headers = self._answer(request, body)
            async with asyncio.timeout(self.limits.body_seconds):
                await connection.send(*_response(status, text, headers,
                                                 with_body=request.method != b"HEAD"))
            if connection.http.our_state is not h11.DONE or \
                    connection.http.their_state is not h11.DONE:
                return
            connection.http.start_next_cycle()

    async def _head(self, connection: _Connection) -> Any:
        try:
            async with asyncio.timeout(self.limits.header_seconds):
                return await connection.next_event()
        except TimeoutError:
            received, _ = connection.http.trailing_data
            if not received:
                # An idle keep-alive connection: a 408 here could cross a request the
                # client is sending right now and be read as that request's answer.
                return h11.ConnectionClosed()
            raise _Refused(408, "request head not received in time") from None

    async def _body(self, connection: _Connection, request: h11.Request) -> bytes:
        too_large = _Refused(413, f"body too large: at most {self.limits.max_body_bytes} bytes")
        declared = _content_length(request)
        if declared is not None and declared > self.limits.max_body_bytes:
            raise too_large
        if connection.http.they_are_waiting_for_100_continue:
            await connection.send(h11.InformationalResponse(status_code=100, headers=[]))
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.limits.body_seconds):
                while True:
                    event = await connection.next_event()
                    if isinstance(event, h11.EndOfMessage):
                        return b"".join(chunks)
                    if not isinstance(event, h11.Data):
                        raise _Refused(400, "the request body ended early")
                    size += len(event.data)
                    if size > self.limits.max_body_bytes:
                        raise too_large
                    chunks.append(event.data)
        except TimeoutError:
            raise _Refused(408, "request body not received in time") from None

    def _answer(self, request: h11.Request, body: bytes) -> Reply:
        target = request.target.decode("latin-1")
        path, _, query = target.partition("?")
        headers = {name.decode("latin-1"): value.decode("latin-1")
                   for name, value in request.headers}
        try:
            return self.handler(request.method.decode("ascii"), unquote(path), query,
                                headers, body)
        except Exception:
            log.exception("the HTTP handler failed on %s %s", request.method.decode("ascii"),
                          unquote(path))
            return 500, '{"error": "internal error"}', JSON

    async def _refuse(self, connection: _Connection, refused: _Refused) -> None:
        """Answer ``refused`` when the client can still read an answer; after a 413 the
        body may still be on its way, so read it for a moment before closing."""
        writer = connection.writer
        if connection.http.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            writer.write(_raw_response(refused.status, json.dumps({"error": refused.error})))
        if refused.status != 413:
            return
        if writer.can_write_eof():
            writer.write_eof()
        try:
            async with asyncio.timeout(LINGER_SECONDS):
                while await connection.reader.read(READ_CHUNK):
                    pass
        except TimeoutError:
            pass


def _content_length(request: h11.Request) -> int | None:
    for name, value in request.headers:
        if name == b"content-length":
            return int(value)  # h11 has checked it is a number
    return None


def _response(status: int, text: str, headers: Mapping[str, Any], *,
              with_body: bool) -> list[Any]:
    """The answer's events; the answer to HEAD declares the body's length but carries none,
    as h11 (and HTTP) require."""
    data = text.encode()
    pairs = [(name.lower(), str(value))
             for name, values in headers.items() if name.lower() != "content-length"
             for value in (values if isinstance(values, list | tuple) else [values])]
    pairs.append(("content-length", str(len(data))))
    body = [h11.Data(data=data)] if with_body else []
    return [h11.Response(status_code=status, headers=pairs), *body, h11.EndOfMessage()]


def _raw_response(status: int, text: str) -> bytes:
    """A closing response written outside h11's state machine: the request it answers may
    never have been complete enough for h11 to let us answer it."""
    data = text.encode()
    reason = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large",
              431: "Request Header Fields Too Large"}.get(status, "Error")
    head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(data)}\r\nconnection: close\r\n\r\n")
    return head.encode("ascii") + data


class BackgroundHttpServer:
    """A ``BoundedHttpListener`` serving ``handler`` on its own thread; ``port`` is the
    bound one (useful with port 0)."""

    def __init__(self, handler: Handler, host: str, port: int, limits: Limits,
                 name: str) -> None:
        # Bound here rather than in the server thread, so a taken port is an error for the
        # caller.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            self._socket = socket.create_server((host, port), family=family, backlog=BACKLOG)
        except OSError as exc:
            raise ListenerError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        self.listener = BoundedHttpListener(handler, limits)
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        await self.listener.serve(self._socket, self._started.set, self._stop)

    @property
    def port(self) -> int:
        return int(self._socket.getsockname()[1])

    def check_serving(self) -> None:
        """For readiness: raises once the listener's thread has ended."""
        if not (self._started.is_set() and self._thread.is_alive()):
            raise ListenerError(f"the HTTP listener on port {self.port} is not serving")

    def start(self) -> BackgroundHttpServer:
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
