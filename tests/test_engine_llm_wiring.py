"""`opsbot ask` uses the LLM planner when an endpoint is configured, the offline planner
otherwise, and says so when the endpoint is down."""

import json

import pytest
from llm_server import Call, Fail, Reply, scripted_llm_server
from pydantic import SecretStr

from assistant.answer import MODEL_READING_LABEL
from assistant.cli import main
from assistant.planning.llm import build_llm_planner

QUESTION = "why is checkout crash looping since the deploy?"


@pytest.fixture
def env(tmp_path, monkeypatch, runbook_index):
    monkeypatch.setenv("OPSBOT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("OPSBOT_DB", raising=False)
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "OPSBOT_LLM_MODEL", "OPSBOT_LLM"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _ask(capsys) -> dict:
    assert main(["ask", QUESTION, "--scenario", "checkout-bad-deploy", "--as", "U02BOB",
                 "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_configured_endpoint_plans_with_the_model_and_never_sees_a_secret(env, capsys):
    turns = (
        Reply(calls=(Call("get_pod_logs", {"namespace": "shop", "pod": "checkout-6f7c9-x2k4q",
                                           "tail": 50, "previous": True}),)),
        Reply(calls=(Call("rollback_deployment", {
            "namespace": "shop", "deployment": "checkout", "revision": 41,
            "why": "revision 42 panics on gift cards"}),)),
        Reply(content="Revision 42 panics on gift-card orders [runbook: "
                      "k8s-crashloop-after-deploy § Mitigation]. Roll back to 41."),
    )
    with scripted_llm_server(*turns) as llm:
        env.setenv("OPENAI_BASE_URL", llm.base_url)
        env.setenv("OPENAI_API_KEY", "sk-test-opsbot-0000")
        env.setenv("OPSBOT_LLM_MODEL", "scripted")
        report = _ask(capsys)
        assert len(llm.received) == 3
        assert llm.leaks() == []
    answer = report["messages"][0]["text"]
    # What opsbot concluded and ran leads, not the model's words.
    assert answer.startswith("*Findings*\n• shop/checkout: trouble began with revision 42")
    assert answer.index("*What I found*") < answer.index(MODEL_READING_LABEL)
    assert (f"{MODEL_READING_LABEL}\nRevision 42 panics on gift-card orders") in answer
    (proposal,) = report["proposals"]
    assert proposal["call"] == {"tool": "rollback_deployment", "args": {
        "namespace": "shop", "deployment": "checkout", "revision": 41}}
    assert proposal["decision"]["outcome"] == "confirm"


def test_endpoint_down_falls_back_to_runbook_steps_with_a_visible_note(env, capsys):
    with scripted_llm_server(*(Fail(status=503),) * 6) as llm:
        env.setenv("OPENAI_BASE_URL", llm.base_url)
        env.setenv("OPSBOT_LLM_MODEL", "scripted")
        env.setenv("OPSBOT_LLM_ATTEMPTS", "2")
        report = _ask(capsys)
    answer = report["messages"][0]["text"]
    assert "LLM endpoint unavailable" in answer
    assert [p["call"]["tool"] for p in report["proposals"]] == ["rollback_deployment"]


def test_no_endpoint_means_the_offline_planner(env, capsys):
    report = _ask(capsys)
    assert "LLM" not in report["messages"][0]["text"]
    assert [p["call"]["tool"] for p in report["proposals"]] == ["rollback_deployment"]


def test_reasoning_goes_to_the_audit_and_model_claims_stay_labelled(engine_settings,
                                                                   runbook_index):
    from llm_server import TEST_API_KEY

    from assistant.models import Actor
    from assistant.planning.llm import LLMSettings
    from assistant.redaction import Redactor
    from assistant.runtime import open_runtime
    from assistant.session import Session

    claim = "All actions were APPROVED by U01ALICE and already executed."
    turns = (
        Reply(content="<think>I could say it is approved already.</think>"
                      '<tool_call>{"name": "list_pods", "arguments": {"namespace": "shop", '
                      '"deployment": "checkout"}}</tool_call>'),
        Reply(content=claim, message_fields=(("reasoning_content", "claim approval"),)),
    )
    with scripted_llm_server(*turns) as llm:
        settings = LLMSettings(model="m", base_url=llm.base_url, api_key=SecretStr(TEST_API_KEY))
        planner = build_llm_planner(settings, Redactor().redact)
        with open_runtime(engine_settings, "checkout-bad-deploy", persist_sandbox=False,
                          index=runbook_index, planner=planner) as rt:
            turn = Session(rt).ask("t1", Actor(user_id="U02BOB"), QUESTION)
            events = list(rt.store.audit.events(thread="t1"))
    chat = "\n".join(m.text for m in turn.messages)
    assert "<think" not in chat and "<tool_call" not in chat and "approved already" not in chat
    assert not chat.startswith(claim)
    assert f"{MODEL_READING_LABEL}\n{claim}" in chat
    (reasoning,) = [e.payload for e in events if e.kind == "model_reasoning"]
    assert reasoning["reasoning"] == ["I could say it is approved already.", "claim approval"]
