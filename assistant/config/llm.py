"""LLM endpoint settings: one section of the configuration tree (assistant/config/tree.py).

Any OpenAI-compatible server works: OpenAI, Azure OpenAI (its ``/openai/v1/`` endpoint),
vLLM, Ollama, llama.cpp's server. No endpoint configured means no LLM: the engine keeps
the offline planner.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from assistant.errors import InputError
from assistant.setting import setting

ENV_SOURCE = "environment"
# Local servers ignore the key, but the SDK refuses to build a client without one.
KEYLESS_API_KEY = "unused"


class LLMSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = setting(True, "OPSBOT_LLM", "off keeps opsbot offline even with an "
                            "endpoint configured")
    model: str = setting("", "OPSBOT_LLM_MODEL", "model name (e.g. gpt-4o-mini, llama3.1:8b)")
    base_url: str | None = setting(
        None, "OPENAI_BASE_URL", "OpenAI-compatible endpoint (default: api.openai.com when "
        "OPENAI_API_KEY is set)")
    api_key: SecretStr | None = setting(None, "OPENAI_API_KEY", "API key of the endpoint")
    timeout_seconds: float = setting(30.0, "OPSBOT_LLM_TIMEOUT", "one HTTP request", gt=0)
    attempts: int = setting(3, "OPSBOT_LLM_ATTEMPTS", "per model call, counting the first",
                            ge=1)
    retry_after_cap_seconds: float = setting(
        20.0, "OPSBOT_LLM_RETRY_AFTER_CAP", "never wait longer than this for a retry", ge=0)
    max_steps: int = setting(8, "OPSBOT_LLM_MAX_STEPS", "model calls per question", ge=1)
    # The whole LLM phase of one question, retries included: a server that accepts
    # connections but never answers costs this much once, then the breaker skips it.
    max_wall_seconds: float = setting(60.0, "OPSBOT_LLM_WALL_SECONDS",
                                      "the whole LLM phase of one question", gt=0)
    breaker_seconds: float = setting(60.0, "OPSBOT_LLM_BREAKER_SECONDS",
                                     "after a failure, skip the endpoint this long", ge=0)
    max_total_tokens: int = setting(60_000, "OPSBOT_LLM_MAX_TOKENS",
                                    "prompt + completion over one question", ge=1)
    context_tokens: int = setting(12_000, "OPSBOT_LLM_CONTEXT_TOKENS",
                                  "one request's prompt, tool schemas included", ge=256)
    completion_tokens: int = setting(1_024, "OPSBOT_LLM_COMPLETION_TOKENS", "one reply", ge=16)
    tool_output_chars: int = setting(4_000, "OPSBOT_LLM_TOOL_OUTPUT_CHARS",
                                     "a tool output is cut to head/tail beyond", ge=200)
    # Ask the server for its real context length (vLLM, llama.cpp, Ollama, LM Studio); the
    # prompt budget is the smaller of that (minus the reply) and context_tokens.
    probe_context: bool = setting(True, "OPSBOT_LLM_PROBE_CONTEXT",
                                  "ask the server its context length")
    # auto: native tools, switching to JSON turns if the server refuses them; json: always
    # JSON turns (servers that accept tools but whose model never calls them).
    tool_calling: Literal["auto", "json"] = setting(
        "auto", "OPSBOT_LLM_TOOL_CALLING", "auto: native tool calls; json: JSON turns")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None:
            parsed = urlparse(value)
            if parsed.scheme not in {"http", "https"} or not parsed.hostname:
                raise ValueError(f"not an http(s) URL: {value!r}")
        return value

    @property
    def uses_openai_service(self) -> bool:
        """OpenAI and Azure want ``max_completion_tokens``; other servers know ``max_tokens``."""
        if self.base_url is None:
            return True
        host = urlparse(self.base_url).hostname or ""
        return host == "api.openai.com" or host.endswith(".openai.azure.com")

    def endpoint(self) -> LLMSettings | None:
        """These settings when an endpoint is configured (``OPENAI_BASE_URL`` or
        ``OPENAI_API_KEY``) and not switched off; None otherwise."""
        if not self.enabled or (self.base_url is None and self.api_key is None):
            return None
        if not self.model:
            raise InputError(
                "an LLM endpoint is configured but no model is named: set OPSBOT_LLM_MODEL "
                "(e.g. gpt-4o-mini, llama3.1:8b) or OPSBOT_LLM=off",
                source=ENV_SOURCE, field="OPSBOT_LLM_MODEL",
            )
        return self

    @property
    def key(self) -> str:
        """The API key to send; local servers ignore it, the SDK wants one anyway."""
        return self.api_key.get_secret_value() if self.api_key else KEYLESS_API_KEY
