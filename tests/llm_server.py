"""A local OpenAI-compatible server that plays scripted model turns, for tests.

It speaks the real HTTP API (``POST /v1/chat/completions``) on 127.0.0.1 at a free port,
so the real ``openai`` SDK and real HTTP are exercised. Each request takes the next turn of
the script: a reply (text and/or tool calls, arguments possibly malformed), an HTTP error
(429 with Retry-After, 500), or a stall longer than the client's timeout. Every request is
kept, and ``leaks()`` lists any forbidden string (a password, a bearer token) that arrived
anywhere in a request body or in a header other than the client's own API key.

``Server`` says which real server it stands in for when asked about itself: the context
length in the shape vLLM (``/v1/models``), llama.cpp (``/props``), Ollama (``/api/ps``,
``/api/show``) or LM Studio (``/api/v0/models/...``) report it. Those probes never consume
a scripted turn.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from assistant.models import RetrievalHit, ToolCall
from assistant.planning.entities import link_entities
from assistant.planning.llm import LLMPlanner, LLMSettings, build_llm_planner
from assistant.planning.offline import Observation, PlanRequest, ReadOnlyRunner
from assistant.retrieval.markdown import parse_runbook
from tools.backend import ToolFailure, run_tool
from tools.catalog import CATALOG
from tools.sandbox import SandboxBackend

# Secrets the tests plant in tool output and questions; none may ever reach a model.
PLANTED_PASSWORD = "hunter2"
PLANTED_BEARER = "Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXNlc3Npb24.q1w2e3r4t5y6u7i8o9p0"
FORBIDDEN = (PLANTED_PASSWORD, PLANTED_BEARER.split()[1])
TEST_API_KEY = "sk-test-opsbot-0000"


@dataclass(frozen=True)
class Call:
    """A tool call in a scripted reply; ``arguments`` may be a dict or raw (bad) JSON text.
    ``id``: None numbers it, "" leaves it out (as some local servers do)."""

    name: str
    arguments: dict[str, Any] | str
    id: str | None = None

    def wire(self, index: int) -> dict[str, Any]:
        args = self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)
        call: dict[str, Any] = {"type": "function",
                                "function": {"name": self.name, "arguments": args}}
        if self.id != "":
            call["id"] = self.id or f"call_{index}"
        return call


@dataclass(frozen=True)
class Reply:
    content: str | None = None
    calls: tuple[Call, ...] = ()
    prompt_tokens: int | None = None  # None: reported as the request's bytes / 4
    completion_tokens: int = 20
    usage: bool = True  # some servers report no usage at all
    finish_reason: str | None = None  # None: "tool_calls" with calls, else "stop"
    message_fields: tuple[tuple[str, Any], ...] = ()  # e.g. (("reasoning_content", "..."),)


@dataclass(frozen=True)
class Server:
    """What the server reports about itself. ``kind``: openai (nothing beyond the model
    list), vllm, llamacpp, ollama (``/api/show`` only), ollama-loaded (``/api/ps`` too),
    lmstudio."""

    kind: str = "openai"
    context_length: int = 0
    num_ctx: int | None = None  # Ollama: a Modelfile's PARAMETER num_ctx


def _probe_answer(server: Server, method: str, path: str, model: str) -> dict[str, Any] | None:
    """The JSON a real server of ``server.kind`` gives for one of its self-description
    routes, or None for a 404. Shapes from each server's documentation (see module doc of
    assistant/planning/llm/server_context.py)."""
    kind, window = server.kind, server.context_length
    if (method, path) == ("GET", "/v1/models"):
        card: dict[str, Any] = {"id": model or "served-model", "object": "model",
                                "created": 1_700_000_000, "owned_by": kind}
        if kind == "vllm":
            card |= {"root": model, "parent": None, "max_model_len": window}
        return {"object": "list", "data": [card]}
    if kind == "llamacpp" and (method, path) == ("GET", "/props"):
        return {"default_generation_settings": {"n_ctx": window, "params": {"n_predict": -1}},
                "total_slots": 1, "model_path": "/models/model.gguf",
                "chat_template_caps": {"supports_tools": True}}
    if kind == "ollama-loaded" and (method, path) == ("GET", "/api/ps"):
        return {"models": [{"name": model, "model": model, "size": 5_137_025_024,
                            "context_length": window}]}
    if kind.startswith("ollama") and (method, path) == ("POST", "/api/show"):
        parameters = 'stop "<|eot_id|>"' + (f"\nnum_ctx {server.num_ctx}"
                                            if server.num_ctx else "")
        return {"modelfile": "FROM llama3.1", "parameters": parameters,
                "details": {"family": "llama", "parameter_size": "8.0B"},
                "model_info": {"general.architecture": "llama",
                               "llama.context_length": 131_072}}
    if kind == "lmstudio" and method == "GET" and path.startswith("/api/v0/models/"):
        return {"id": model, "object": "model", "type": "llm", "state": "loaded",
                "max_context_length": 32_768, "loaded_context_length": window}
    return None


@dataclass(frozen=True)
class Fail:
    status: int
    retry_after: str | None = None
    message: str = "scripted failure"


@dataclass(frozen=True)
class Stall:
    """Answer only after ``seconds``: longer than the client's timeout, it is a timeout."""

    seconds: float
    then: Reply = Reply(content="late")


Turn = Reply | Fail | Stall | Callable[[dict[str, Any]], "Reply | Fail"]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: str


@dataclass
class ScriptedLLM:
    """The server's state: the script still to play and what it received."""

    script: list[Turn] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    probes: list[Received] = field(default_factory=list)  # self-description requests
    server: Server = Server()
    exhausted: int = 0  # requests that came after the script ran out
    forbidden: Sequence[str] = FORBIDDEN
    base_url: str = ""
    model: str = ""  # the model the probes describe; GET routes carry no model name
    responder: Callable[[dict[str, Any]], Reply | Fail] | None = None  # after the script
    lock: threading.Lock = field(default_factory=threading.Lock)

    def play(self, *turns: Turn) -> None:
        with self.lock:
            self.script.extend(turns)

    def next_turn(self, request: Received) -> Turn | None:
        with self.lock:
            self.received.append(request)
            if not self.script:
                if self.responder is not None:
                    return self.responder
                self.exhausted += 1
                return None
            return self.script.pop(0)

    def leaks(self) -> list[str]:
        found = []
        for number, request in enumerate([*self.received, *self.probes], 1):
            headers = {k: v for k, v in request.headers.items()
                       if not (k.lower() == "authorization" and v == f"Bearer {TEST_API_KEY}")}
            text = request.raw + json.dumps(headers)
            found += [f"request {number}: {s!r}" for s in self.forbidden if s in text]
        return found

    def sent_text(self, index: int = -1) -> str:
        """Everything the model was shown in one request, as one string."""
        body = self.received[index].body
        parts = [str(m.get("content") or "") for m in body.get("messages", [])]
        return "\n".join(parts)


def _completion(body: dict[str, Any], reply: Reply, raw_size: int) -> dict[str, Any]:
    calls = [c.wire(i) for i, c in enumerate(reply.calls, 1)]
    message: dict[str, Any] = {"role": "assistant", "content": reply.content,
                               **dict(reply.message_fields)}
    if calls:
        message["tool_calls"] = calls
    finish = reply.finish_reason or ("tool_calls" if calls else "stop")
    out: dict[str, Any] = {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": body.get("model", "scripted"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
    }
    if reply.usage:
        prompt = reply.prompt_tokens if reply.prompt_tokens is not None else raw_size // 4
        out["usage"] = {"prompt_tokens": prompt, "completion_tokens": reply.completion_tokens,
                        "total_tokens": prompt + reply.completion_tokens}
    return out


def _handler(state: ScriptedLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return  # keep test output clean

        def _send(self, status: int, payload: dict[str, Any],
                  headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing to answer

        def _probe(self, method: str, raw: str) -> None:
            body = json.loads(raw or "{}")
            state.probes.append(Received(self.path, dict(self.headers.items()), body, raw))
            answer = _probe_answer(state.server, method, self.path.rstrip("/"),
                                   str(body.get("model") or state.model))
            if answer is None:
                self._send(404, {"error": {"message": f"no route {self.path}"}})
            else:
                self._send(200, answer)

        def do_GET(self) -> None:
            self._probe("GET", "")

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            if self.path.rstrip("/") == "/api/show":
                self._probe("POST", raw)
                return
            request = Received(self.path, dict(self.headers.items()), json.loads(raw or "{}"),
                               raw)
            if self.path.rstrip("/") != "/v1/chat/completions":
                state.next_turn(request)
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            turn = state.next_turn(request)
            if callable(turn):
                turn = turn(request.body)
            if isinstance(turn, Stall):
                time.sleep(turn.seconds)
                turn = turn.then
            if turn is None:
                self._send(500, {"error": {"message": "script exhausted"}})
            elif isinstance(turn, Fail):
                headers = {"Retry-After": turn.retry_after} if turn.retry_after else {}
                self._send(turn.status, {"error": {"message": turn.message,
                                                   "type": "scripted"}}, headers)
            else:
                self._send(200, _completion(request.body, turn, len(raw)))

    return Handler


@contextmanager
def scripted_llm_server(*turns: Turn, server: Server = Server(), model: str = "",
                        responder: Callable[[dict[str, Any]], Reply | Fail] | None = None,
                        port: int = 0) -> Iterator[ScriptedLLM]:
    """Serve ``turns`` on 127.0.0.1 (at a free port unless given) until the block ends;
    ``responder`` answers every request after them."""
    state = ScriptedLLM(script=list(turns), server=server, model=model, responder=responder)
    http = ThreadingHTTPServer(("127.0.0.1", port), _handler(state))
    http.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{http.server_address[1]}/v1"
    thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield state
    finally:
        http.shutdown()
        http.server_close()
        thread.join(timeout=5)


# The server the shipped cassettes were recorded against: llama.cpp-style, 16k context.
REFERENCE_SERVER = Server("llamacpp", 16_384)


@contextmanager
def reference_llm_server(port: int = 0) -> Iterator[ScriptedLLM]:
    """The deterministic reference model (tests/reference_model.py) behind the server."""
    from reference_model import REFERENCE_MODEL, reference_reply

    with scripted_llm_server(server=REFERENCE_SERVER, model=REFERENCE_MODEL,
                             responder=reference_reply, port=port) as state:
        yield state


# --- a realistic question for the planner: the checkout crash loop in the sandbox ---------

REPO = Path(__file__).resolve().parent.parent
CRASHLOOP_ID = "k8s-crashloop-after-deploy"


def planner_for(server: ScriptedLLM, sleeps: list[float] | None = None,
                **overrides: Any) -> LLMPlanner:
    """An LLM planner on ``server`` with short timeouts; ``sleeps`` records retry waits."""
    tuning: dict[str, Any] = {"timeout_seconds": 2.0, "retry_after_cap_seconds": 0.25}
    settings = LLMSettings(model="scripted-model", base_url=server.base_url,
                           api_key=SecretStr(TEST_API_KEY), **(tuning | overrides))
    record = sleeps.append if sleeps is not None else (lambda _: None)
    return build_llm_planner(settings, redact_planted, sleep=record)


def tool_messages(server: ScriptedLLM, index: int = -1) -> list[str]:
    """The tool results the planner sent in one request."""
    return [m["content"] for m in server.received[index].body["messages"]
            if m["role"] == "tool"]


def redact_planted(text: str) -> str:
    """Stands in for assistant.redaction.Redactor: masks the planted secrets."""
    for secret in FORBIDDEN:
        text = text.replace(secret, "[REDACTED]")
    return text


def crashloop_request(
    question: str = "why does checkout keep restarting since the deploy?",
    *,
    history: tuple[str, ...] = (),
    allowed: frozenset[str] | None = None,
    runbook_text: str | None = None,
) -> tuple[PlanRequest, SandboxBackend]:
    """The checkout-bad-deploy sandbox and the crash-loop runbook, as the engine builds them."""
    backend = SandboxBackend.load("checkout-bad-deploy", REPO / "evals" / "scenarios")
    path = REPO / "runbooks" / f"{CRASHLOOP_ID}.md"
    book = parse_runbook(path, runbook_text or path.read_text())
    section = next(s for s in book.sections if s.heading == "Diagnosis")
    hit = RetrievalHit(runbook_id=book.id, title=book.title, score=0.9, section=section,
                       path=book.path)
    inventory = backend.inventory()
    alert = {"alertname": "KubePodCrashLooping", "namespace": "shop",
             "pod": "checkout-6f7c9-x2k4q"}
    request = PlanRequest(
        question=question,
        linking=link_entities(question, alert, inventory),
        hits=(hit,),
        runbooks={book.id: book},
        inventory=inventory,
        allowed_tools=frozenset(CATALOG) if allowed is None else allowed,
        history=history,
    )
    return request, backend


def sandbox_runner(backend: SandboxBackend, ran: list[ToolCall]) -> ReadOnlyRunner:
    """Runs read-only calls on the sandbox WITHOUT redacting, so the planner's gate is tested."""

    def run(call: ToolCall) -> Observation:
        ran.append(call)
        assert CATALOG[call.tool].read_only, f"planner ran a mutating call: {call.render()}"
        try:
            out = run_tool(backend, call)
        except ToolFailure as exc:
            return Observation(call=call, ok=False, text="", error=str(exc))
        return Observation(call=call, ok=True, text=out.text, data=out.json_data())

    return run


def main() -> None:
    """Serve the reference model until interrupted, for re-recording the cassettes:
    ``python tests/llm_server.py --port 8089`` then, in the repository root,
    ``OPENAI_BASE_URL=http://127.0.0.1:8089/v1 OPSBOT_LLM_MODEL=opsbot-reference
    opsbot eval --planner llm --record evals/suites/checkout-bad-deploy.yaml``."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=8089)
    port = parser.parse_args().port
    with reference_llm_server(port) as state:
        print(f"reference model on {state.base_url}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
