"""LLM settings from the environment: off without an endpoint, clear errors naming the variable."""

from __future__ import annotations

import pytest

from assistant.config.llm import KEYLESS_API_KEY, LLMSettings
from assistant.config.reading import load_config
from assistant.errors import InputError


def endpoint(env: dict[str, str]) -> LLMSettings | None:
    return load_config(env).tree.llm.endpoint()


def test_no_endpoint_means_no_llm():
    assert endpoint({}) is None
    assert endpoint({"OPSBOT_LLM_MODEL": "gpt-4o-mini"}) is None


def test_opsbot_llm_off_wins_over_a_configured_endpoint():
    env = {"OPENAI_API_KEY": "sk-x", "OPSBOT_LLM_MODEL": "gpt-4o-mini", "OPSBOT_LLM": "off"}
    assert endpoint(env) is None


def test_openai_with_a_key_only():
    settings = endpoint({"OPENAI_API_KEY": "sk-x", "OPSBOT_LLM_MODEL": "gpt-4o"})
    assert settings is not None
    assert settings.base_url is None and settings.uses_openai_service
    assert settings.key == "sk-x"
    assert "sk-x" not in repr(settings)


@pytest.mark.parametrize(("url", "openai_service"), [
    ("http://localhost:11434/v1", False),  # Ollama
    ("http://localhost:8080/v1", False),  # llama.cpp server
    ("https://my-resource.openai.azure.com/openai/v1/", True),  # Azure OpenAI v1 API
])
def test_local_and_azure_endpoints(url, openai_service):
    settings = endpoint({"OPENAI_BASE_URL": url, "OPSBOT_LLM_MODEL": "m"})
    assert settings is not None and settings.base_url == url
    assert settings.uses_openai_service is openai_service
    assert settings.key == KEYLESS_API_KEY


def test_tuning_variables_are_read():
    settings = endpoint({
        "OPENAI_BASE_URL": "http://localhost:8080/v1", "OPSBOT_LLM_MODEL": "qwen2.5",
        "OPSBOT_LLM_TIMEOUT": "12.5", "OPSBOT_LLM_ATTEMPTS": "5",
        "OPSBOT_LLM_RETRY_AFTER_CAP": "0", "OPSBOT_LLM_MAX_STEPS": "4",
        "OPSBOT_LLM_WALL_SECONDS": "60", "OPSBOT_LLM_MAX_TOKENS": "20000",
        "OPSBOT_LLM_CONTEXT_TOKENS": "6000", "OPSBOT_LLM_COMPLETION_TOKENS": "512",
        "OPSBOT_LLM_TOOL_OUTPUT_CHARS": "2000",
    })
    assert settings is not None
    assert (settings.timeout_seconds, settings.attempts, settings.retry_after_cap_seconds,
            settings.max_steps, settings.max_wall_seconds, settings.max_total_tokens,
            settings.context_tokens, settings.completion_tokens,
            settings.tool_output_chars) == (12.5, 5, 0.0, 4, 60.0, 20000, 6000, 512, 2000)


@pytest.mark.parametrize(("extra", "field", "message"), [
    ({"OPSBOT_LLM_MODEL": ""}, "OPSBOT_LLM_MODEL", "no model is named"),
    ({"OPSBOT_LLM_ATTEMPTS": "three"}, "OPSBOT_LLM_ATTEMPTS", "expected a number, got 'three'"),
    ({"OPSBOT_LLM_CONTEXT_TOKENS": "100"}, "OPSBOT_LLM_CONTEXT_TOKENS",
     "greater than or equal to 256 (got '100')"),
    ({"OPSBOT_LLM_TIMEOUT": "-1"}, "OPSBOT_LLM_TIMEOUT", "greater than 0"),
    ({"OPENAI_BASE_URL": "localhost:11434"}, "OPENAI_BASE_URL", "not an http(s) URL"),
    ({"OPSBOT_LLM_TOOL_CALLING": "xml"}, "OPSBOT_LLM_TOOL_CALLING",
     "Input should be 'auto' or 'json' (got 'xml')"),
    ({"OPSBOT_LLM_PROBE_CONTEXT": "maybe"}, "OPSBOT_LLM_PROBE_CONTEXT",
     "valid boolean, unable to interpret input (got 'maybe')"),
    ({"OPSBOT_LLM_BREAKER_SECONDS": "-5"}, "OPSBOT_LLM_BREAKER_SECONDS",
     "greater than or equal to 0"),
])
def test_bad_settings_name_the_variable(extra, field, message):
    env = {"OPENAI_API_KEY": "sk-x", "OPSBOT_LLM_MODEL": "m", **extra}
    with pytest.raises(InputError) as err:
        endpoint(env)
    assert err.value.field == field and err.value.source == "environment"
    assert message in str(err.value)


def test_endpoint_behaviour_switches_are_read():
    settings = endpoint({
        "OPENAI_BASE_URL": "http://localhost:11434/v1", "OPSBOT_LLM_MODEL": "gemma2:2b",
        "OPSBOT_LLM_TOOL_CALLING": "json", "OPSBOT_LLM_PROBE_CONTEXT": "false",
        "OPSBOT_LLM_BREAKER_SECONDS": "15"})
    assert settings is not None
    assert (settings.tool_calling, settings.probe_context, settings.breaker_seconds) == (
        "json", False, 15.0)
