"""A stand-in for Slack, for tests and benchmarks: nothing reaches the internet.

``SlackStandin`` is a local Web API that opsbot's slack_sdk client reaches through
``base_url``. It answers the methods opsbot calls, keeps the messages so a test can read a
card's final state, records every call byte for byte (leak checks, exact Block Kit
payloads), and can be told to fail a method (429 + Retry-After, 500).

``SignedSender`` plays Slack's side of HTTP mode: events, button clicks and slash commands,
signed with the signing secret like the real thing. The payloads are built by the functions
below it, which Socket Mode's stand-in (socket_mode_standin.py) sends in envelopes instead.

``opsbot_on_standin`` wires a real opsbot (runtime, session, SlackService, HTTP server) to
both, on loopback ports; ``slack_service`` is the same opsbot without a listener.
"""

from __future__ import annotations

import atexit
import copy
import functools
import itertools
import json
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from slack_sdk.signature import SignatureVerifier

from assistant.config import Settings
from assistant.config.reading import load_config
from assistant.retrieval import RunbookIndex
from assistant.runtime import build_index, open_runtime
from assistant.session import Session
from assistant.slack.server import SlackHttpServer
from assistant.slack.service import SlackService

if TYPE_CHECKING:
    from socket_mode_standin import SocketModeStandin

BOT_USER = "UOPSBOT"
TEAM = "T0TEAM"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "C0INCIDENT"
ALERT_CHANNEL = "C0ALERTS"
ALERT_TOKEN = "am-webhook-token"
APP_TOKEN = "xapp-1-A0OPSBOT-1-standin"
HOLD_SECONDS = 60.0  # a held call is answered after this even if never released


@dataclass(frozen=True)
class Call:
    method: str
    args: dict[str, Any]  # JSON body or form fields; JSON-valued fields decoded
    raw: str  # the request as sent: query string and body
    at: float
    token: str | None = None  # from the Authorization header


@dataclass
class Hold:
    """The next call of a method waits for ``release()`` before it is answered: the app is
    caught mid-request (a shutdown arriving while it posts "Looking into it…")."""

    method: str
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.released.set()


@dataclass
class Failure:
    status: int
    times: int
    retry_after: int | None
    error: str


@dataclass
class StoredMessage:
    channel: str
    ts: str
    text: str
    user: str
    thread_ts: str | None = None
    blocks: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    bot: bool = True


class SlackStandin:
    def __init__(self, usergroups: dict[str, list[str]] | None = None, *,
                 socket_mode: SocketModeStandin | None = None) -> None:
        self.usergroups = usergroups or {}
        self.socket_mode = socket_mode  # where apps.connections.open sends the app
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], StoredMessage] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self._failures: dict[str, list[Failure]] = {}
        self._holds: dict[str, Hold] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    # lifecycle
    def __enter__(self) -> SlackStandin:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{self.root}/api/"

    # scripting
    def fail(self, method: str, status: int = 429, *, times: int = 1,
             retry_after: int | None = None, error: str = "ratelimited") -> None:
        with self._lock:
            self._failures.setdefault(method, []).append(
                Failure(status, times, retry_after, error))

    def hold(self, method: str) -> Hold:
        """Keep the next call of ``method`` waiting until the hold is released."""
        hold = Hold(method)
        with self._lock:
            self._holds[method] = hold
        return hold

    def recover(self) -> None:
        """Forget the failures still scripted: Slack is healthy again."""
        with self._lock:
            self._failures.clear()

    def human_message(self, channel: str, user: str, text: str,
                      thread_ts: str | None = None) -> str:
        """A message people wrote (opsbot only sees it through conversations.replies)."""
        with self._lock:
            ts = self._next_ts()
            self.messages[(channel, ts)] = StoredMessage(channel, ts, text, user, thread_ts,
                                                         bot=False)
        return ts

    # reading what happened
    def called(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def thread(self, channel: str, thread_ts: str) -> list[StoredMessage]:
        """Copies of the thread's messages as they are now, oldest first."""
        with self._lock:
            found = [copy.deepcopy(m) for m in self.messages.values() if m.channel == channel
                     and (m.ts == thread_ts or m.thread_ts == thread_ts)]
        return sorted(found, key=lambda m: float(m.ts))

    def message(self, channel: str, ts: str) -> StoredMessage:
        with self._lock:
            return copy.deepcopy(self.messages[(channel, ts)])

    def everything_sent(self) -> str:
        with self._lock:
            return "\n".join(c.raw for c in self.calls)

    # serving
    def _next_ts(self) -> str:
        return f"{1700000000 + next(self._ts)}.000100"

    def _failure(self, method: str) -> Failure | None:
        with self._lock:
            queue = self._failures.get(method)
            if not queue:
                return None
            failure = queue[0]
            failure.times -= 1
            if failure.times <= 0:
                queue.pop(0)
            return failure

    def handle(self, method: str, args: dict[str, Any], raw: str,
               token: str | None = None) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self._lock:
            self.calls.append(Call(method, args, raw, time.monotonic(), token))
            hold = self._holds.pop(method, None)
        if hold is not None:
            hold.reached.set()
            hold.released.wait(HOLD_SECONDS)
        failure = self._failure(method)
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            return failure.status, headers, {"ok": False, "error": failure.error}
        if method == "apps.connections.open":
            return 200, {}, self._socket_url(token)
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        if answer is None:
            return 200, {}, {"ok": False, "error": "unknown_method"}
        with self._lock:
            return 200, {}, answer(args)

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "user_id": BOT_USER, "user": "opsbot", "bot_id": "BOPSBOT",
                "team_id": TEAM, "team": "acme", "url": "https://acme.slack.com/"}

    def _socket_url(self, token: str | None) -> dict[str, Any]:
        """Socket Mode's URL: for the app-level token only (a bot token is the wrong type),
        and only while a Socket Mode stand-in is attached."""
        if not token:
            return {"ok": False, "error": "not_authed"}
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        if token != APP_TOKEN or self.socket_mode is None:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": self.socket_mode.issue_url()}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        self.messages[(args["channel"], ts)] = StoredMessage(
            args["channel"], ts, args.get("text", ""), BOT_USER, args.get("thread_ts"),
            args.get("blocks") or [])
        return {"ok": True, "channel": args["channel"], "ts": ts}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        found = self.messages.get((args["channel"], args["ts"]))
        if found is None:
            return {"ok": False, "error": "message_not_found"}
        found.text, found.blocks = args.get("text", ""), args.get("blocks") or []
        return {"ok": True, "channel": args["channel"], "ts": args["ts"]}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        root = args["ts"]
        found = sorted((m for m in self.messages.values() if m.channel == args["channel"]
                        and (m.ts == root or m.thread_ts == root)), key=lambda m: float(m.ts))
        return {"ok": True, "messages": [
            {"ts": m.ts, "user": m.user, "text": m.text, "thread_ts": m.thread_ts or m.ts,
             **({"bot_id": "BOPSBOT"} if m.bot else {})} for m in found]}

    def _usergroups_list(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "usergroups": [{"id": g, "handle": g.lower()}
                                           for g in self.usergroups]}

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "users": self.usergroups.get(args["usergroup"], [])}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ts):08d}"
        self.uploads[file_id] = {"filename": args["filename"], "content": None}
        return {"ok": True, "file_id": file_id, "upload_url": f"{self.root}/upload/{file_id}"}

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args["files"] if isinstance(args["files"], list) else json.loads(args["files"])
        ts = self._next_ts()
        self.messages[(args["channel_id"], ts)] = StoredMessage(
            args["channel_id"], ts, args.get("initial_comment", ""), BOT_USER,
            args.get("thread_ts"), files=[f["id"] for f in files])
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    def upload_content(self, file_id: str, content: bytes) -> None:
        with self._lock:
            try:
                self.uploads[file_id]["content"] = content.decode()
            except UnicodeDecodeError:  # an image
                self.uploads[file_id]["content"] = content


def _decode(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in ("blocks", "files", "attachments") and isinstance(value, str):
            value = json.loads(value)
        out[key] = value
    return out


def _handler_for(standin: SlackStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if url.path.startswith("/upload/"):
                standin.upload_content(url.path.rsplit("/", 1)[1], body)
                self._send(200, {}, b"OK")
                return
            method = url.path.removeprefix("/api/")
            text = body.decode()
            fields: dict[str, Any] = dict(parse_qsl(url.query))
            if "json" in (self.headers.get("Content-Type") or ""):
                fields.update(json.loads(text or "{}"))
            else:
                fields.update(parse_qsl(text))
            bearer = self.headers.get("Authorization") or ""
            status, headers, answer = standin.handle(method, _decode(fields),
                                                     f"{url.query}\n{text}",
                                                     bearer.removeprefix("Bearer ") or None)
            self._send(status, headers, json.dumps(answer).encode())

        do_GET = do_POST

        def _send(self, status: int, headers: dict[str, str], data: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    seconds: float


def event_body(event: dict[str, Any], event_id: str, *, team: str = TEAM) -> dict[str, Any]:
    """An Events API callback as Slack sends it (HTTP body, or Socket Mode payload)."""
    return {"token": "legacy", "team_id": team, "enterprise_id": None,
            "api_app_id": "A0OPSBOT", "type": "event_callback", "event_id": event_id,
            "event_time": int(time.time()), "event": event,
            "authorizations": [{"enterprise_id": None, "team_id": team, "user_id": BOT_USER,
                                "is_bot": True, "is_enterprise_install": False}]}


def mention_event(user: str, text: str, ts: str, *, channel: str = CHANNEL,
                  thread_ts: str | None = None) -> dict[str, Any]:
    event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}",
             "ts": ts, "channel": channel, "event_ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def click_payload(user: str, card: StoredMessage, action_id: str, *,
                  team: str = TEAM) -> dict[str, Any]:
    """A block_actions payload: ``user`` pressed the button ``action_id`` on ``card``."""
    return {
        "type": "block_actions", "team": {"id": team, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": team},
        "api_app_id": "A0OPSBOT", "token": "legacy", "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": card.ts, "channel_id": card.channel,
                      "is_ephemeral": False},
        "channel": {"id": card.channel},
        "message": {"ts": card.ts, "thread_ts": card.thread_ts, "text": card.text,
                    "blocks": card.blocks},
        "actions": [{"type": "button", "action_id": action_id,
                     "block_id": f"opsbot_decide:{action_id.split(':', 1)[1]}",
                     "value": action_id.split(":", 1)[1], "action_ts": str(time.time())}],
    }


def command_form(user: str, text: str, *, channel: str = CHANNEL,
                 team: str = TEAM) -> dict[str, str]:
    """``/opsbot <text>`` as its fields (a form in HTTP mode, a payload in Socket Mode)."""
    return {"token": "legacy", "team_id": team, "channel_id": channel, "user_id": user,
            "user_name": user.lower(), "command": "/opsbot", "text": text,
            "api_app_id": "A0OPSBOT", "response_url": "https://hooks.invalid/x",
            "trigger_id": "1.2.3"}


class SignedSender:
    """Slack's side of HTTP mode: requests signed with the app's signing secret."""

    def __init__(self, base: str, secret: str = SIGNING_SECRET) -> None:
        self.base = base
        self.secret = secret
        self._ids = itertools.count(1)

    def post(self, path: str, body: str, content_type: str, *, timestamp: int | None = None,
             secret: str | None = None, headers: dict[str, str] | None = None) -> Reply:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(secret or self.secret).generate_signature(
            timestamp=stamp, body=body)
        request = urllib.request.Request(
            self.base + path, data=body.encode(), method="POST",
            headers={"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
                     "X-Slack-Signature": signature, **(headers or {})})
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Reply(response.status, response.read().decode(),
                             time.perf_counter() - started)
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.read().decode(), time.perf_counter() - started)

    def envelope(self, event: dict[str, Any]) -> str:
        return json.dumps(event_body(event, f"Ev{next(self._ids):08d}"))

    def event(self, event: dict[str, Any]) -> Reply:
        return self.post("/slack/events", self.envelope(event), "application/json")

    def mention(self, user: str, text: str, ts: str, *, channel: str = CHANNEL,
                thread_ts: str | None = None) -> Reply:
        return self.event(mention_event(user, text, ts, channel=channel, thread_ts=thread_ts))

    def reply(self, user: str, text: str, ts: str, thread_ts: str, *,
              channel: str = CHANNEL) -> Reply:
        return self.event({"type": "message", "channel_type": "channel", "user": user,
                           "text": text, "ts": ts, "thread_ts": thread_ts,
                           "channel": channel, "event_ts": ts})

    def click(self, user: str, card: StoredMessage, action_id: str) -> Reply:
        payload = click_payload(user, card, action_id)
        return self.post("/slack/events", urlencode({"payload": json.dumps(payload)}),
                         "application/x-www-form-urlencoded")

    def command(self, user: str, text: str, *, channel: str = CHANNEL) -> Reply:
        return self.post("/slack/events", urlencode(command_form(user, text, channel=channel)),
                         "application/x-www-form-urlencoded")

    def alert(self, payload: dict[str, Any], token: str | None = ALERT_TOKEN) -> Reply:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.post("/alertmanager", json.dumps(payload), "application/json",
                         headers=headers)


@functools.cache
def shared_index() -> RunbookIndex:
    """The runbook index, built once per process (embedding the runbooks takes seconds)."""
    home = Path(tempfile.mkdtemp(prefix="opsbot-slack-index-"))
    atexit.register(shutil.rmtree, home, True)
    return build_index(Settings.from_env({"OPSBOT_HOME": str(home)}))


@dataclass
class Opsbot:
    service: SlackService
    session: Session
    server: SlackHttpServer
    sender: SignedSender

    def settle(self, timeout: float = 60) -> None:
        """Wait until the background work queued so far has finished."""
        assert self.service.wait_idle(timeout), "opsbot's workers did not finish"


@contextmanager
def slack_service(standin: SlackStandin, home: Path, slack_env: dict[str, str], *,
                  scenario: str = "checkout-bad-deploy",
                  db_url: str | None = None,
                  opsbot_env: dict[str, str] | None = None) -> Iterator[SlackService]:
    """A real opsbot's SlackService whose Web API is ``standin``; no listener of its own.
    ``opsbot_env`` adds opsbot settings (``OPSBOT_DB_WAIT_SECONDS``...)."""
    settings = Settings.from_env({"OPSBOT_HOME": str(home), "OPSBOT_OPS_PORT": "0",
                                  **({"OPSBOT_DB": db_url} if db_url else {}),
                                  **(opsbot_env or {})})
    slack = load_config({"SLACK_BOT_TOKEN": "xoxb-test", "OPSBOT_SLACK_API_URL": standin.url,
                         **slack_env}).tree.slack.for_serving()
    with open_runtime(settings, scenario, persist_sandbox=False, index=shared_index()) as rt:
        service = SlackService(Session(rt), slack)
        try:
            yield service
        finally:
            service.close()


@contextmanager
def opsbot_on_standin(standin: SlackStandin, home: Path, *,
                      scenario: str = "checkout-bad-deploy", db_url: str | None = None,
                      env: dict[str, str] | None = None,
                      opsbot_env: dict[str, str] | None = None) -> Iterator[Opsbot]:
    """A real opsbot in HTTP mode on a loopback port, talking to ``standin``; ``env`` adds
    Slack settings, ``opsbot_env`` opsbot's own."""
    slack_env = {"SLACK_SIGNING_SECRET": SIGNING_SECRET, "OPSBOT_SLACK_MODE": "http",
                 "OPSBOT_SLACK_CHANNEL": ALERT_CHANNEL, "OPSBOT_SLACK_ALERT_AS": "U02BOB",
                 "OPSBOT_ALERTMANAGER_TOKEN": ALERT_TOKEN, **(env or {})}
    with slack_service(standin, home, slack_env, scenario=scenario, db_url=db_url,
                       opsbot_env=opsbot_env) as service:
        server = SlackHttpServer(service, "127.0.0.1", 0, events=True).start()
        try:
            yield Opsbot(service, service.session, server,
                         SignedSender(f"http://127.0.0.1:{server.port}"))
        finally:
            server.stop()
