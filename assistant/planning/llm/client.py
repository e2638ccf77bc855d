"""One chat-completion call to an OpenAI-compatible endpoint, with bounded retries.

The SDK's own retries are off so that one policy applies: 429, 408/409, 5xx, timeouts and
connection errors are retried with tenacity, waiting what the server's Retry-After says
(capped) or else an exponential back-off with jitter, never past the planner's deadline.
When that is used up, or the endpoint refuses for good (bad key, unknown model),
``LLMUnavailable`` says why and the planner falls back to runbook steps. A server that
rejects the ``tools`` parameter itself (Ollama for a model without tool support, llama.cpp
without ``--jinja``, vLLM without ``--enable-auto-tool-choice``) raises ``ToolsUnsupported``
instead, so the planner can ask for JSON turns. Anything that is not an API error (a bug,
a cassette that does not match) propagates unchanged.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import openai
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from assistant.config.llm import LLMSettings
from assistant.planning.llm.calls import ToolRequest
from assistant.planning.llm.server_context import ContextWindow, probe_context_window

OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
_RETRY_STATUSES = frozenset({408, 409, 429})
_ERROR_TEXT_CHARS = 200
# How servers say "this model/server cannot take tools" (ollama/ollama server/routes.go,
# llama.cpp tools/server/utils.hpp, vllm entrypoints/openai/serving_chat.py).
_NO_TOOLS = re.compile(r"does not support tools|tools? (?:are|is)? ?not supported|"
                       r"tools param requires --jinja|enable-auto-tool-choice|"
                       r"tool.?choice.{0,40}not supported", re.IGNORECASE)
_NO_TOOLS_STATUSES = frozenset({400, 422, 500, 501})
PROBE_TIMEOUT_SECONDS = 5.0


class ToolsUnsupported(Exception):
    """The server refused the ``tools`` parameter; ``reason`` is its own words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LLMUnavailable(Exception):
    """The endpoint could not give an answer; ``reason`` is fit to show in the thread."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ChatReply:
    content: str | None
    tool_calls: tuple[ToolRequest, ...]
    prompt_tokens: int | None  # None when the server reports no usage
    completion_tokens: int | None
    finish_reason: str | None
    reasoning: str | None = None  # a separate reasoning field, as some servers send


class ChatModel(Protocol):
    def complete(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]],
                 *, time_left: float,
                 response_format: dict[str, Any] | None = None) -> ChatReply: ...

    def context_window(self) -> ContextWindow | None: ...


def refuses_tools(exc: BaseException) -> bool:
    return (isinstance(exc, openai.APIStatusError) and exc.status_code in _NO_TOOLS_STATUSES
            and bool(_NO_TOOLS.search(str(exc.message))))


def is_transient(exc: BaseException) -> bool:
    if refuses_tools(exc):
        return False
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in _RETRY_STATUSES or exc.status_code >= 500
    return isinstance(exc, openai.APIConnectionError)  # includes APITimeoutError


def retry_after_seconds(exc: BaseException) -> float | None:
    """What the server asked us to wait, from ``retry-after-ms`` or ``retry-after``."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(header)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / divisor)
        except ValueError:
            pass
        if header == "retry-after":  # may also be an HTTP date
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            return max(0.0, when.timestamp() - time.time())
    return None


class RetryAfterWait:
    """tenacity wait: the server's Retry-After when given, else back-off; both capped."""

    def __init__(self, cap: float) -> None:
        self._cap = cap
        self._backoff = wait_exponential_jitter(multiplier=0.5, max=max(cap, 0.5), jitter=0.5)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = retry_after_seconds(exc) if exc is not None else None
        wait = asked if asked is not None else self._backoff(state)
        return min(wait, self._cap)


def describe(exc: BaseException, attempts: int) -> str:
    tries = f" after {attempts} attempt{'s' if attempts != 1 else ''}"
    if isinstance(exc, openai.APIStatusError):
        detail = " ".join(str(exc.message).split())[:_ERROR_TEXT_CHARS]
        return f"HTTP {exc.status_code}{tries}: {detail}"
    if isinstance(exc, openai.APITimeoutError):
        return f"request timed out{tries}"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return f"cannot connect{tries}: {type(cause).__name__}: {cause}"[:_ERROR_TEXT_CHARS]
    return f"{type(exc).__name__}{tries}: {exc}"[:_ERROR_TEXT_CHARS]


class OpenAIChat:
    """``ChatModel`` over the ``openai`` SDK; ``sleep`` is injectable so tests need not wait."""

    def __init__(self, settings: LLMSettings, *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._settings = settings
        self._sleep = sleep
        self._sdk = openai.OpenAI(
            api_key=settings.key,
            base_url=settings.base_url or OPENAI_DEFAULT_BASE_URL,
            timeout=settings.timeout_seconds,
            max_retries=0,
        )
        self._limit_param = ("max_completion_tokens" if settings.uses_openai_service
                             else "max_tokens")

    def context_window(self) -> ContextWindow | None:
        """What the server says its context holds; None for OpenAI's service, where the
        setting is the truth, and for servers that do not say. ``ServerUnreachable`` when
        it does not answer."""
        settings = self._settings
        if settings.uses_openai_service or not settings.probe_context:
            return None
        headers = {"Authorization": f"Bearer {settings.key}"}
        timeout = min(settings.timeout_seconds, PROBE_TIMEOUT_SECONDS)
        with httpx.Client(timeout=timeout, headers=headers) as http:
            return probe_context_window(http, settings.base_url or OPENAI_DEFAULT_BASE_URL,
                                        settings.model)

    def complete(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]],
                 *, time_left: float,
                 response_format: dict[str, Any] | None = None) -> ChatReply:
        settings = self._settings
        deadline = time.monotonic() + time_left
        retrying = Retrying(
            stop=stop_after_attempt(settings.attempts) | stop_before_delay(time_left),
            wait=RetryAfterWait(settings.retry_after_cap_seconds),
            retry=retry_if_exception(is_transient),
            sleep=self._sleep,
            reraise=True,
        )

        def attempt() -> Any:
            timeout = max(0.1, min(settings.timeout_seconds, deadline - time.monotonic()))
            # One dict: the token limit's parameter name depends on the server.
            request: dict[str, Any] = {"model": settings.model, "messages": list(messages),
                                       "timeout": timeout,
                                       self._limit_param: settings.completion_tokens}
            if tools:
                request["tools"] = list(tools)
            if response_format is not None:
                request["response_format"] = response_format
            return self._sdk.chat.completions.create(**request)

        try:
            response = retrying(attempt)
        except openai.APIError as exc:
            if refuses_tools(exc):
                raise ToolsUnsupported(describe(exc, 1)) from exc
            raise LLMUnavailable(describe(exc, retrying.statistics.get("attempt_number", 1))
                                 ) from exc
        return _reply(response)


def _reply(response: Any) -> ChatReply:
    if not getattr(response, "choices", None):
        raise LLMUnavailable("the endpoint answered without any choices")
    choice = response.choices[0]
    message = choice.message
    calls = []
    for call in message.tool_calls or ():
        function = getattr(call, "function", None)
        calls.append(ToolRequest(
            id=call.id or "",  # some local servers leave ids out: the planner assigns one
            name=function.name if function is not None else str(getattr(call, "type", "")),
            arguments=function.arguments if function is not None else "",
        ))
    usage = response.usage
    return ChatReply(
        content=message.content,
        tool_calls=tuple(calls),
        prompt_tokens=usage.prompt_tokens if usage else None,
        completion_tokens=usage.completion_tokens if usage else None,
        finish_reason=choice.finish_reason,
        reasoning=_reasoning_field(message),
    )


def _reasoning_field(message: Any) -> str | None:
    """vLLM and DeepSeek send ``reasoning_content``; Ollama and newer vLLM ``reasoning``."""
    extra = getattr(message, "model_extra", None) or {}
    for key in ("reasoning_content", "reasoning"):
        value = extra.get(key, getattr(message, key, None))
        if isinstance(value, str) and value.strip():
            return value
    return None
