"""Recorded LLM traffic (vcrpy cassettes): record once against a real endpoint, replay in CI.

``opsbot eval --planner llm --record`` wraps each case in ``llm_cassette(case, dir, True)``
and talks to whatever endpoint is configured; CI replays with ``record=False``, which never
touches the network: a request no recording matches fails with a ``CassetteMiss`` that
names the case and says to re-record. Requests match on the chat-completions route and the
JSON body minus what depends on the endpoint (model name, which completion-limit key), so a
replay needs no endpoint (see ``REPLAY_SETTINGS``); the limits that shape prompts are kept
in the cassette (``CaseTraffic.planner_settings``).
The server's answers about itself (its context length: ``server_context``) are recorded
and replayed like the chat turns, matched on their route. Every string in a recorded body
is passed through the redactor before the cassette is written, and a header (cassette
metadata ``recorded_with``) names the model and server that answered; placeholders of
redacted secrets match whatever key redacted them, since each eval world has its own.
API keys, auth headers, cookies and organisation names are not written to cassettes;
retryable failures (429, 408/409, 5xx) are not kept, so a replay never re-waits them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vcr
from vcr.cassette import Cassette
from vcr.errors import CannotOverwriteExistingCassetteException, MissingMetadataError

from assistant.config import REPO_ROOT
from assistant.config.llm import LLMSettings
from assistant.errors import InputError, OpsbotError
from assistant.redaction.placeholder import PLACEHOLDER_RE

CASSETTE_DIR = REPO_ROOT / "evals" / "cassettes"
SETTINGS_KEY = "opsbot_llm_settings"
HEADER_KEY = "recorded_with"
# Settings that change what the planner sends; everything else (timeouts) does not.
PROMPT_SHAPING = ("context_tokens", "completion_tokens", "tool_output_chars", "max_steps",
                  "max_total_tokens")
ROUTE = "/chat/completions"
RERECORD_COMMAND = "opsbot eval --planner llm --record"
# Replays match on the request body alone, so model and URL only have to be well-formed.
# The discard port on loopback guarantees nothing leaves the machine if a stub is missing.
REPLAY_SETTINGS = LLMSettings(model="cassette-replay", base_url="http://127.0.0.1:9/v1",
                              attempts=1)
_SECRET_REQUEST_HEADERS = ["authorization", "api-key", "x-api-key", "openai-organization",
                           "openai-project", "cookie"]
_SECRET_RESPONSE_HEADERS = frozenset({"set-cookie", "openai-organization", "openai-project",
                                      "x-request-id", "cf-ray"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RETRYABLE = frozenset({408, 409, 429})
# Route prefixes that depend on where the server is mounted or which model it serves.
_ROUTE_PREFIX = re.compile(r"^.*?/v1(?=/)")
_MODEL_IN_ROUTE = re.compile(r"(/api/v0/models/).*")


class CassetteMiss(OpsbotError):
    """A replayed case sent an LLM request that its cassette does not hold."""

    def __init__(self, case_id: str, path: Path, detail: str) -> None:
        self.case_id = case_id
        self.path = path
        super().__init__(
            f"eval case {case_id!r}: no recorded LLM response matches ({detail}); cassette "
            f"{path}. The prompt or the case changed: re-record with `{RERECORD_COMMAND}` "
            "against a configured endpoint.")


@dataclass(frozen=True)
class CaseTraffic:
    """One case's cassette while it is in use."""

    cassette: Cassette
    recording: bool

    def planner_settings(self, configured: LLMSettings) -> LLMSettings:
        """The settings to plan this case with: the limits that shape the prompts are
        saved with a recording and restored on replay, so a replay sends the same requests
        whatever OPSBOT_LLM_* says on the replaying machine."""
        shaping = configured.model_dump(include=set(PROMPT_SHAPING))
        if self.recording:
            self.cassette.get_metadata(SETTINGS_KEY, shaping)
            self.cassette.get_metadata(HEADER_KEY, recording_header(configured))
            return configured
        try:
            recorded = self.cassette.get_metadata(SETTINGS_KEY, shaping)
        except MissingMetadataError:
            return configured
        return configured.model_copy(update={k: recorded[k] for k in PROMPT_SHAPING
                                             if k in recorded})

    @property
    def header(self) -> dict[str, Any]:
        """Which model and server answered the recording (empty for old cassettes)."""
        try:
            return dict(self.cassette.get_metadata(HEADER_KEY, {}))
        except MissingMetadataError:
            return {}

    @property
    def requests(self) -> list[str]:
        """The requests the case sent so far, as JSON text (for leak checks)."""
        recorded = self.cassette.requests
        indexes = (range(len(recorded)) if self.recording
                   else sorted(self.cassette.play_counts))
        return [_text(recorded[i].body) for i in indexes]


def recording_header(settings: LLMSettings) -> dict[str, Any]:
    return {"model": settings.model,
            "server": settings.base_url or "https://api.openai.com/v1",
            "tool_calling": settings.tool_calling}


def eval_settings(record: bool, configured: LLMSettings | None = None) -> LLMSettings:
    """The ``configured`` endpoint to record against, or the replay stand-in."""
    if not record:
        return REPLAY_SETTINGS
    settings = configured.endpoint() if configured is not None else None
    if settings is None:
        raise InputError("recording cassettes needs an LLM endpoint: set OPENAI_BASE_URL "
                         "(or OPENAI_API_KEY) and OPSBOT_LLM_MODEL", source="environment",
                         field="OPENAI_BASE_URL")
    return settings


def cassette_path(case_id: str, cassette_dir: Path) -> Path:
    return cassette_dir / f"{_UNSAFE.sub('_', case_id)}.yaml"


def _text(body: bytes | str | None) -> str:
    return body.decode() if isinstance(body, bytes) else body or ""


def _body(request: Any) -> dict[str, Any]:
    """The request as the planner shaped it, minus what depends on the endpoint and on the
    redaction key."""
    data = json.loads(PLACEHOLDER_RE.sub(_keyless, _text(request.body)) or "{}")
    data.pop("model", None)
    if "max_completion_tokens" in data:
        data["max_tokens"] = data.pop("max_completion_tokens")
    return data


def _keyless(match: re.Match[str]) -> str:
    return match.group().split("#", 1)[0] + "]"


def _route(path: str) -> str:
    return _MODEL_IN_ROUTE.sub(r"\1", _ROUTE_PREFIX.sub("", path))


def _same_llm_request(r1: Any, r2: Any) -> None:
    chat = (r1.path.endswith(ROUTE), r2.path.endswith(ROUTE))
    if chat == (True, True):
        if _body(r1) != _body(r2):
            raise AssertionError("chat request bodies differ")
        return
    if True in chat:
        raise AssertionError(f"not both chat completions: {r1.path} vs {r2.path}")
    if _route(r1.path) != _route(r2.path) or _body(r1) != _body(r2):
        raise AssertionError(f"different server requests: {r1.path} vs {r2.path}")


def _redact_strings(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_strings(v, redact) for v in value]
    if isinstance(value, dict):
        return {k: _redact_strings(v, redact) for k, v in value.items()}
    return value


def _redacted_json(body: bytes | str | None, redact: Callable[[str], str]) -> bytes | None:
    """A JSON body with every string redacted; a body that is not JSON, redacted whole."""
    if body is None:
        return None
    text = _text(body)
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return redact(text).encode()
    return json.dumps(_redact_strings(data, redact)).encode()


def _request_scrubber(redact: Callable[[str], str]) -> Callable[[Any], Any]:
    def scrub(request: Any) -> Any:
        request.body = _redacted_json(request.body, redact)
        return request

    return scrub


def _response_scrubber(redact: Callable[[str], str]) -> Callable[[dict[str, Any]], Any]:
    def scrub(response: dict[str, Any]) -> dict[str, Any] | None:
        status = response["status"]["code"]
        if status in _RETRYABLE or status >= 500:
            return None
        body = _redacted_json(response["body"]["string"], redact) or b""
        response["body"]["string"] = body
        headers = {k: v for k, v in response["headers"].items()
                   if k.lower() not in _SECRET_RESPONSE_HEADERS}
        response["headers"] = {k: ([str(len(body))] if k.lower() == "content-length" else v)
                               for k, v in headers.items()}
        return response

    return scrub


def llm_cassette(case_id: str, cassette_dir: Path, record: bool,
                 redact: Callable[[str], str] | None = None
                 ) -> AbstractContextManager[CaseTraffic]:
    """Record (``record=True``, overwriting) or strictly replay the LLM traffic of one case.

    ``redact`` (the default redactor when not given) cleans every body before it is written.
    """
    path = cassette_path(case_id, cassette_dir)
    if redact is None:
        from assistant.redaction import Redactor

        redact = Redactor().redact
    recorder = vcr.VCR(
        record_mode="all" if record else "none",
        match_on=["method", "llm_request"],
        filter_headers=_SECRET_REQUEST_HEADERS,
        before_record_request=_request_scrubber(redact),
        before_record_response=_response_scrubber(redact),
        decode_compressed_response=True,
    )
    recorder.register_matcher("llm_request", _same_llm_request)

    @contextmanager
    def session() -> Iterator[CaseTraffic]:
        if record:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)
        elif not path.exists():
            raise CassetteMiss(case_id, path, "no cassette was recorded for this case")
        try:
            with recorder.use_cassette(str(path)) as cassette:
                yield CaseTraffic(cassette, record)
        except CannotOverwriteExistingCassetteException as exc:
            recorded = exc.cassette.requests
            played = sum(count for index, count in exc.cassette.play_counts.items()
                         if recorded[index].path.endswith(ROUTE))
            raise CassetteMiss(case_id, path, f"request {played + 1} of the case, "
                               f"{exc.reason}") from exc

    return session()
