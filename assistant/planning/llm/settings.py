"""LLM endpoint settings, read from the environment once and passed in.

Any OpenAI-compatible server works: OpenAI, Azure OpenAI (its ``/openai/v1/`` endpoint),
vLLM, Ollama, llama.cpp's server. No endpoint configured means no LLM: the engine keeps
the offline planner.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from assistant.errors import InputError

ENV_SOURCE = "environment"
# Local servers ignore the key, but the SDK refuses to build a client without one.
KEYLESS_API_KEY = "unused"

class LLMSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    model: str = Field(min_length=1)
    base_url: str | None = None  # None: the SDK's default, api.openai.com
    api_key: SecretStr = SecretStr(KEYLESS_API_KEY)
    timeout_seconds: float = Field(30.0, gt=0)  # one HTTP request
    attempts: int = Field(3, ge=1)  # per model call, counting the first
    retry_after_cap_seconds: float = Field(20.0, ge=0)  # never wait longer than this
    max_steps: int = Field(8, ge=1)  # model calls per question
    # The whole LLM phase of one question, retries included: a server that accepts
    # connections but never answers costs this much once, then the breaker skips it.
    max_wall_seconds: float = Field(60.0, gt=0)
    breaker_seconds: float = Field(60.0, ge=0)  # after a failure, skip the endpoint this long
    max_total_tokens: int = Field(60_000, ge=1)  # prompt + completion over the loop
    context_tokens: int = Field(12_000, ge=256)  # one request's prompt, tool schemas included
    completion_tokens: int = Field(1_024, ge=16)  # one reply
    tool_output_chars: int = Field(4_000, ge=200)  # a tool output is cut to head/tail beyond
    # Ask the server for its real context length (vLLM, llama.cpp, Ollama, LM Studio); the
    # prompt budget is the smaller of that (minus the reply) and context_tokens.
    probe_context: bool = True
    # auto: native tools, switching to JSON turns if the server refuses them; json: always
    # JSON turns (servers that accept tools but whose model never calls them).
    tool_calling: Literal["auto", "json"] = "auto"

    @property
    def uses_openai_service(self) -> bool:
        """OpenAI and Azure want ``max_completion_tokens``; other servers know ``max_tokens``."""
        if self.base_url is None:
            return True
        host = urlparse(self.base_url).hostname or ""
        return host == "api.openai.com" or host.endswith(".openai.azure.com")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LLMSettings | None:
        """Settings from ``OPENAI_*`` / ``OPSBOT_LLM_*``; None when no endpoint is configured.

        An endpoint is configured by ``OPENAI_BASE_URL`` or ``OPENAI_API_KEY``;
        ``OPSBOT_LLM=off`` keeps opsbot offline even then.
        """
        env = os.environ if env is None else env
        if env.get("OPSBOT_LLM", "").strip().lower() in {"off", "0", "false", "no"}:
            return None
        base_url = env.get("OPENAI_BASE_URL", "").strip() or None
        api_key = env.get("OPENAI_API_KEY", "").strip() or None
        if base_url is None and api_key is None:
            return None
        model = env.get("OPSBOT_LLM_MODEL", "").strip()
        if not model:
            raise InputError(
                "an LLM endpoint is configured but no model is named: set OPSBOT_LLM_MODEL "
                "(e.g. gpt-4o-mini, llama3.1:8b) or OPSBOT_LLM=off",
                source=ENV_SOURCE, field="OPSBOT_LLM_MODEL",
            )
        if base_url is not None:
            parsed = urlparse(base_url)
            if parsed.scheme not in {"http", "https"} or not parsed.hostname:
                raise InputError(f"not an http(s) URL: {base_url!r}", source=ENV_SOURCE,
                                 field="OPENAI_BASE_URL")
        values: dict[str, object] = {
            field: _number(env, var, kind) for field, (var, kind) in _TUNING_ENV.items()
            if env.get(var, "").strip()}
        # Words pydantic parses itself (a bool, a choice), so its error names what is allowed.
        values |= {field: env[var].strip() for field, var in _WORD_ENV.items()
                   if env.get(var, "").strip()}
        try:
            return cls(model=model, base_url=base_url,
                       api_key=SecretStr(api_key or KEYLESS_API_KEY), **values)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            field = str(error["loc"][0]) if error["loc"] else ""
            var = (_TUNING_ENV[field][0] if field in _TUNING_ENV
                   else _WORD_ENV.get(field, field))
            raise InputError(f"{error['msg']} (got {env.get(var)!r})", source=ENV_SOURCE,
                             field=var) from None


# Tuning knobs: settings field -> (environment variable, how to parse it).
_TUNING_ENV: dict[str, tuple[str, Callable[[str], float]]] = {
    "timeout_seconds": ("OPSBOT_LLM_TIMEOUT", float),
    "attempts": ("OPSBOT_LLM_ATTEMPTS", int),
    "retry_after_cap_seconds": ("OPSBOT_LLM_RETRY_AFTER_CAP", float),
    "max_steps": ("OPSBOT_LLM_MAX_STEPS", int),
    "max_wall_seconds": ("OPSBOT_LLM_WALL_SECONDS", float),
    "breaker_seconds": ("OPSBOT_LLM_BREAKER_SECONDS", float),
    "max_total_tokens": ("OPSBOT_LLM_MAX_TOKENS", int),
    "context_tokens": ("OPSBOT_LLM_CONTEXT_TOKENS", int),
    "completion_tokens": ("OPSBOT_LLM_COMPLETION_TOKENS", int),
    "tool_output_chars": ("OPSBOT_LLM_TOOL_OUTPUT_CHARS", int),
}

_WORD_ENV: dict[str, str] = {
    "probe_context": "OPSBOT_LLM_PROBE_CONTEXT",
    "tool_calling": "OPSBOT_LLM_TOOL_CALLING",
}


def _number(env: Mapping[str, str], name: str, kind: Callable[[str], float]) -> float:
    raw = env[name].strip()
    try:
        return kind(raw)
    except ValueError:
        raise InputError(f"expected a number, got {raw!r}", source=ENV_SOURCE,
                         field=name) from None
