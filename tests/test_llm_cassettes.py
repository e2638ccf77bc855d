"""Cassettes: record a case against the local server, replay it with the server gone."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from llm_server import (
    CRASHLOOP_ID,
    PLANTED_PASSWORD,
    TEST_API_KEY,
    Call,
    Fail,
    Reply,
    crashloop_request,
    redact_planted,
    sandbox_runner,
    scripted_llm_server,
)
from pydantic import SecretStr

from assistant.errors import InputError
from assistant.planning.llm import LLMSettings, build_llm_planner
from assistant.planning.llm.cassettes import (
    REPLAY_SETTINGS,
    RERECORD_COMMAND,
    CassetteMiss,
    _same_llm_request,
    cassette_path,
    eval_settings,
    llm_cassette,
)
from assistant.planning.offline import Plan

CASE = "crashloop-why"
SCRIPT = (
    Fail(429, retry_after="0"),
    Reply(calls=(Call("list_pods", {"namespace": "shop", "deployment": "checkout"}),)),
    Reply(calls=(Call("rollback_deployment", {
        "namespace": "shop", "deployment": "checkout", "revision": None,
        "why": f"bad revision [runbook:{CRASHLOOP_ID}#Mitigation]"}),)),
    Reply(content=f"Roll back checkout [tool:1] [runbook:{CRASHLOOP_ID}#Mitigation]."),
)


def plan_case(settings: LLMSettings, question: str | None = None) -> Plan:
    request, backend = crashloop_request(*(question,) if question else ())
    planner = build_llm_planner(settings, redact_planted, sleep=lambda _: None)
    return planner.plan(request, sandbox_runner(backend, []))


def record(cassettes: Path) -> Plan:
    with scripted_llm_server(*SCRIPT) as server, \
            llm_cassette(CASE, cassettes, record=True) as traffic:
        # Tuned limits, as OPSBOT_LLM_* may set them on the recording machine.
        settings = LLMSettings(model="gpt-test", base_url=server.base_url,
                               api_key=SecretStr(TEST_API_KEY), context_tokens=7000,
                               completion_tokens=300)
        return plan_case(traffic.planner_settings(settings))


def test_a_recorded_case_replays_without_the_server(tmp_path):
    recorded = record(tmp_path)
    assert recorded.llm_calls == 3 and len(recorded.candidates) == 1

    with llm_cassette(CASE, tmp_path, record=False) as traffic:
        settings = traffic.planner_settings(REPLAY_SETTINGS)
        replayed = plan_case(settings)
    assert (settings.context_tokens, settings.completion_tokens) == (7000, 300)
    chats = [r for r in traffic.requests if '"messages"' in r]
    assert len(chats) == 3  # the 429 was not kept: nothing to wait for
    assert traffic.cassette.play_count == len(traffic.requests)  # the rest: server probes
    assert replayed == recorded
    assert "list_pods" in chats[1]


def test_replaying_with_other_prompt_limits_is_a_miss(tmp_path):
    record(tmp_path)
    with pytest.raises(CassetteMiss, match="request 1 of the case"), \
            llm_cassette(CASE, tmp_path, record=False):
        plan_case(REPLAY_SETTINGS)  # default limits: another max_tokens, another prompt


def test_requests_match_whatever_endpoint_and_model_recorded_them():
    def request(path: str, body: dict[str, object]) -> SimpleNamespace:
        return SimpleNamespace(path=path, body=json.dumps(body).encode())

    openai_style = request("/v1/chat/completions", {"model": "gpt-4o", "messages": [],
                                                    "max_completion_tokens": 300})
    local_style = request("/openai/v1/chat/completions", {"model": "cassette-replay",
                                                          "messages": [], "max_tokens": 300})
    _same_llm_request(openai_style, local_style)
    with pytest.raises(AssertionError, match="bodies differ"):
        _same_llm_request(openai_style, request("/v1/chat/completions", {"messages": [1]}))
    with pytest.raises(AssertionError, match="not both chat completions"):
        _same_llm_request(openai_style, request("/v1/embeddings", {}))


def test_the_requests_of_a_recording_are_available_for_leak_checks(tmp_path):
    with scripted_llm_server(*SCRIPT[1:]) as server, \
            llm_cassette(CASE, tmp_path, record=True) as traffic:
        plan_case(LLMSettings(model="m", base_url=server.base_url))
        sent = [json.loads(r) for r in traffic.requests if '"messages"' in r]
    assert [r["messages"] for r in sent] == [r.body["messages"] for r in server.received]


def test_recording_needs_an_endpoint_and_replay_needs_none():
    assert eval_settings(record=False) is REPLAY_SETTINGS
    with pytest.raises(InputError, match="recording cassettes needs an LLM endpoint"):
        eval_settings(record=True, configured=LLMSettings())
    recording = eval_settings(record=True, configured=LLMSettings(
        base_url="http://localhost:8080/v1", model="qwen2.5"))
    assert recording.model == "qwen2.5"


def test_cassettes_hold_no_key_and_no_auth_header(tmp_path):
    record(tmp_path)
    text = cassette_path(CASE, tmp_path).read_text()
    assert TEST_API_KEY not in text
    assert "authorization" not in text.lower()
    assert "/chat/completions" in text and "list_pods" in text


def test_a_changed_request_fails_naming_the_case_and_how_to_rerecord(tmp_path):
    record(tmp_path)
    with pytest.raises(CassetteMiss) as err, llm_cassette(CASE, tmp_path, record=False):
        plan_case(REPLAY_SETTINGS, question="is cart healthy?")
    message = str(err.value)
    assert f"eval case {CASE!r}" in message and "request 1 of the case" in message
    assert RERECORD_COMMAND in message and str(cassette_path(CASE, tmp_path)) in message


def test_a_case_never_recorded_fails_before_any_request(tmp_path):
    with pytest.raises(CassetteMiss, match="no cassette was recorded for this case"), \
            llm_cassette("never-recorded", tmp_path, record=False):
        pytest.fail("the block must not run without a cassette")


def test_case_ids_become_safe_file_names(tmp_path):
    assert cassette_path("suite/case one", tmp_path) == tmp_path / "suite_case_one.yaml"


def test_what_the_model_said_is_redacted_before_the_cassette_is_written(tmp_path):
    leaky = Reply(content=f"the db password is {PLANTED_PASSWORD}, roll back [tool:1]")
    with scripted_llm_server(leaky) as server, \
            llm_cassette(CASE, tmp_path, record=True, redact=redact_planted) as traffic:
        plan_case(traffic.planner_settings(LLMSettings(model="m", base_url=server.base_url)))
    text = cassette_path(CASE, tmp_path).read_text()
    assert PLANTED_PASSWORD not in text and "[REDACTED]" in text
    with llm_cassette(CASE, tmp_path, record=False) as replay:
        assert replay.header == {"model": "m", "server": server.base_url,
                                 "tool_calling": "auto"}
