"""The LLM planner against a local OpenAI-compatible server: real SDK, real HTTP.

Every test's server checks each request it received for the planted secrets.
"""

from __future__ import annotations

import json

import pytest
from llm_server import (
    CRASHLOOP_ID,
    PLANTED_BEARER,
    PLANTED_PASSWORD,
    TEST_API_KEY,
    Call,
    Fail,
    Reply,
    Stall,
    crashloop_request,
    redact_planted,
    sandbox_runner,
    scripted_llm_server,
    tool_messages,
)
from llm_server import planner_for as planner
from pydantic import SecretStr

from assistant.models import ToolCall
from assistant.planning.llm import LLMPlanner, LLMSettings, build_llm_planner
from tools.catalog import CATALOG

CHECKOUT = {"namespace": "shop", "deployment": "checkout"}
CRASHED_POD = {"namespace": "shop", "pod": "checkout-6f7c9-x2k4q", "tail": None,
               "previous": True}
MITIGATION = f"[runbook:{CRASHLOOP_ID}#Mitigation]"
ROLLBACK = Call("rollback_deployment", {**CHECKOUT, "revision": None,
                                        "why": f"revision 42 crashes on start {MITIGATION}"})
FINAL = Reply(content=f"checkout 42 crash-loops on a missing setting [tool:2]; roll back "
                      f"{MITIGATION}.")
READ_ONLY = frozenset(n for n, s in CATALOG.items() if s.read_only)


def test_read_only_calls_run_and_mutating_calls_only_become_candidates(llm):
    llm.play(Reply(calls=(Call("list_pods", CHECKOUT),)),
             Reply(calls=(Call("get_pod_logs", CRASHED_POD),)),
             Reply(calls=(ROLLBACK,)),
             FINAL)
    request, backend = crashloop_request()
    ran: list[ToolCall] = []
    plan = planner(llm).plan(request, sandbox_runner(backend, ran))

    assert [c.tool for c in ran] == ["list_pods", "get_pod_logs"]
    assert ran[1].args == {"namespace": "shop", "pod": "checkout-6f7c9-x2k4q", "previous": True}
    assert [c.call for c in plan.candidates] == [
        ToolCall(tool="rollback_deployment", args=CHECKOUT)]
    assert plan.candidates[0].runbook_id == CRASHLOOP_ID
    assert "crashes on start" in plan.candidates[0].why
    assert plan.planner == "llm" and plan.narrative == FINAL.content
    assert plan.cited is not None and plan.cited.section is not None
    assert (plan.cited.runbook_id, plan.cited.section.heading) == (CRASHLOOP_ID, "Mitigation")
    assert plan.notes == ()
    # The model saw each result as cited data, and was told the proposal did not run.
    assert tool_messages(llm, 1)[0].startswith('<data kind="tool output" source="tool:1">')
    assert "CrashLoopBackOff" in tool_messages(llm, 1)[0]
    assert "has NOT run" in tool_messages(llm, 3)[-1]


def test_usage_is_summed_over_the_calls_the_server_reported(llm):
    llm.play(Reply(calls=(Call("list_pods", CHECKOUT),), prompt_tokens=1200,
                   completion_tokens=30),
             Reply(content="done [tool:1]", prompt_tokens=1500, completion_tokens=45))
    request, backend = crashloop_request()
    plan = planner(llm).plan(request, sandbox_runner(backend, []))
    assert (plan.llm_calls, plan.prompt_tokens, plan.completion_tokens) == (2, 2700, 75)


def test_usage_is_estimated_when_the_server_reports_none(llm):
    llm.play(Reply(content="nothing to do", usage=False))
    request, backend = crashloop_request()
    plan = planner(llm).plan(request, sandbox_runner(backend, []))
    assert plan.llm_calls == 1 and plan.prompt_tokens > 500 and plan.completion_tokens == 0


def test_planted_secrets_never_reach_the_model(llm):
    question = f"checkout restarts; db password is {PLANTED_PASSWORD}, why?"
    history = (f"curl -H 'Authorization: {PLANTED_BEARER}' https://checkout/health",)
    llm.play(Reply(calls=(Call("get_pod_logs", CRASHED_POD),)), FINAL)
    request, backend = crashloop_request(question, history=history)
    ran: list[ToolCall] = []
    planner(llm).plan(request, sandbox_runner(backend, ran))

    # The question, the history and the pod's log line all carried a secret...
    assert PLANTED_PASSWORD in backend.get_pod_logs(
        CATALOG["get_pod_logs"].validate_args(ran[0].args)).text
    sent = llm.sent_text(-1)
    assert sent.count("[REDACTED]") >= 3
    # ...and the fixture asserts that none of them arrived (llm.leaks() is empty).


def test_the_leak_check_catches_an_unredacted_request():
    with scripted_llm_server(Reply(content="ok")) as server:
        request, backend = crashloop_request(f"password {PLANTED_PASSWORD}?")
        settings = LLMSettings(model="m", base_url=server.base_url,
                               api_key=SecretStr(TEST_API_KEY))
        build_llm_planner(settings, lambda text: text).plan(request,
                                                           sandbox_runner(backend, []))
        assert server.leaks() == [f"request 1: {PLANTED_PASSWORD!r}"]


def test_the_model_sees_only_tools_the_user_may_request(llm):
    llm.play(Reply(content="looks fine"))
    request, backend = crashloop_request(allowed=READ_ONLY)
    planner(llm).plan(request, sandbox_runner(backend, []))
    tools = llm.received[0].body["tools"]
    offered = {t["function"]["name"] for t in tools}
    assert offered <= READ_ONLY and {"list_pods", "get_pod_logs"} <= offered
    assert "rollback_deployment" not in offered  # its runbook step does not make it requestable
    assert all(t["function"]["strict"] is True for t in tools)
    assert not any("approv" in t["function"]["name"] for t in tools)


def test_a_hidden_tool_is_refused_once_then_dropped_never_proposed(llm):
    llm.play(Reply(calls=(ROLLBACK,)), Reply(calls=(ROLLBACK,)), Reply(content="cannot act"))
    request, backend = crashloop_request(allowed=READ_ONLY)
    ran: list[ToolCall] = []
    plan = planner(llm).plan(request, sandbox_runner(backend, ran))

    assert plan.candidates == () and ran == []
    assert "unknown tool 'rollback_deployment'" in tool_messages(llm, 1)[0]
    assert "try once more" in tool_messages(llm, 1)[0]
    assert "dropped" in tool_messages(llm, 2)[-1]
    assert len(plan.notes) == 1 and "dropped an invalid 'rollback_deployment'" in plan.notes[0]


def test_invalid_arguments_get_the_error_back_for_one_repair(llm):
    bad = Call("scale_deployment", {**CHECKOUT, "replicas": -3, "why": "more capacity"})
    good = Call("scale_deployment", {**CHECKOUT, "replicas": 4, "why": "more capacity"})
    llm.play(Reply(calls=(bad,)), Reply(calls=(good,)), Reply(content="proposed scaling"))
    request, backend = crashloop_request()
    plan = planner(llm).plan(request, sandbox_runner(backend, []))

    error = tool_messages(llm, 1)[0]
    assert "invalid arguments for scale_deployment: replicas:" in error
    assert [c.call.args for c in plan.candidates] == [{**CHECKOUT, "replicas": 4}]
    assert plan.notes == ()


def test_malformed_json_after_a_failed_repair_is_dropped_and_noted(llm):
    llm.play(Reply(calls=(Call("scale_deployment", {**CHECKOUT, "replicas": "many",
                                                   "why": "x"}),)),
             Reply(calls=(Call("scale_deployment", '{"namespace": "shop", "replicas": 4'),)),
             Reply(content="giving up on scaling"))
    request, backend = crashloop_request()
    plan = planner(llm).plan(request, sandbox_runner(backend, []))

    assert plan.candidates == ()
    assert "not valid JSON" in tool_messages(llm, 2)[-1]
    assert len(plan.notes) == 1
    assert "dropped an invalid 'scale_deployment'" in plan.notes[0]
    assert "not valid JSON" in plan.notes[0]


def test_repeated_identical_calls_are_not_rerun_and_end_the_loop(llm):
    pods = Call("list_pods", CHECKOUT)
    llm.play(Reply(calls=(pods,)), Reply(calls=(pods,)), Reply(calls=(pods,)))
    request, backend = crashloop_request()
    ran: list[ToolCall] = []
    plan = planner(llm).plan(request, sandbox_runner(backend, ran))

    assert len(ran) == 1 and len(plan.observations) == 1
    assert "Not run again" in tool_messages(llm, 2)[-1]
    assert "[tool:1]" in tool_messages(llm, 2)[-1]
    assert plan.notes == ("stopped: the model kept repeating tool calls it already had "
                          "results for",)
    assert plan.narrative is None


def test_the_loop_stops_at_the_step_limit(llm):
    llm.play(Reply(calls=(Call("list_pods", CHECKOUT),)),
             Reply(calls=(Call("rollout_history", CHECKOUT),)))
    request, backend = crashloop_request()
    plan = planner(llm, max_steps=2).plan(request, sandbox_runner(backend, []))
    assert plan.llm_calls == 2 and len(plan.observations) == 2
    assert plan.notes == ("stopped after 2 model calls without a final answer",)


def test_the_loop_stops_before_the_token_limit(llm):
    llm.play(Reply(calls=(Call("list_pods", CHECKOUT),), prompt_tokens=9000))
    request, backend = crashloop_request()
    plan = planner(llm, max_total_tokens=12_000).plan(request, sandbox_runner(backend, []))
    assert plan.llm_calls == 1
    assert plan.notes[0].startswith("stopped at the token limit (9020 of 12000 tokens used)")


def test_the_loop_stops_at_the_wall_time_limit(llm):
    llm.play(Reply(calls=(Call("list_pods", CHECKOUT),)))
    ticks = iter([0.0, 0.0, 31.0])
    settings = LLMSettings(model="m", base_url=llm.base_url, api_key=SecretStr(TEST_API_KEY),
                           max_wall_seconds=30)
    chat = build_llm_planner(settings, redact_planted)._model
    slow = LLMPlanner(chat, settings, redact_planted, clock=lambda: next(ticks))
    request, backend = crashloop_request()
    plan = slow.plan(request, sandbox_runner(backend, []))
    assert plan.llm_calls == 1
    assert plan.notes == ("stopped at the wall-time limit of 30 s",)


def test_429_waits_what_retry_after_says_but_never_past_the_cap(llm):
    llm.play(Fail(429, retry_after="0.1"), Fail(429, retry_after="600"), FINAL)
    request, backend = crashloop_request()
    sleeps: list[float] = []
    plan = planner(llm, sleeps).plan(request, sandbox_runner(backend, []))
    assert sleeps == [0.1, 0.25]
    assert plan.planner == "llm" and plan.narrative == FINAL.content
    assert len(llm.received) == 3


@pytest.mark.parametrize(("header", "waited"), [
    ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # an HTTP date already past: retry at once
    ("soon", None),  # unreadable: exponential back-off instead, still capped
])
def test_retry_after_may_be_a_date_or_unreadable(llm, header, waited):
    llm.play(Fail(503, retry_after=header), FINAL)
    request, backend = crashloop_request()
    sleeps: list[float] = []
    planner(llm, sleeps).plan(request, sandbox_runner(backend, []))
    assert len(sleeps) == 1
    assert sleeps[0] == waited if waited is not None else 0 < sleeps[0] <= 0.25


def test_a_timeout_is_retried(llm):
    llm.play(Stall(1.5), FINAL)
    request, backend = crashloop_request()
    sleeps: list[float] = []
    plan = planner(llm, sleeps, timeout_seconds=0.3).plan(request, sandbox_runner(backend, []))
    assert plan.narrative == FINAL.content and len(sleeps) == 1


def test_an_endpoint_that_stays_down_falls_back_to_runbook_steps(llm):
    llm.play(Fail(500), Fail(502), Fail(503))
    request, backend = crashloop_request()
    sleeps: list[float] = []
    ran: list[ToolCall] = []
    plan = planner(llm, sleeps).plan(request, sandbox_runner(backend, ran))

    assert len(llm.received) == 3 and len(sleeps) == 2
    assert all(0 < s <= 0.25 for s in sleeps)
    assert plan.planner == "offline" and plan.llm_calls == 0
    assert plan.notes[0].startswith("LLM endpoint unavailable: HTTP 503 after 3 attempts")
    assert plan.notes[0].endswith("; answered from runbook steps")
    assert plan.followed is not None and plan.followed.id == CRASHLOOP_ID
    assert [c.call.tool for c in plan.candidates] == ["rollback_deployment"]


def test_a_refused_key_is_not_retried(llm):
    llm.play(Fail(401, message="invalid api key"))
    request, backend = crashloop_request()
    sleeps: list[float] = []
    plan = planner(llm, sleeps).plan(request, sandbox_runner(backend, []))
    assert sleeps == [] and len(llm.received) == 1
    assert plan.notes[0].startswith("LLM endpoint unavailable: HTTP 401 after 1 attempt:")
    assert "invalid api key" in plan.notes[0]


def test_nothing_listening_falls_back_with_a_connection_note():
    with scripted_llm_server() as server:
        closed = server.base_url
    request, backend = crashloop_request()
    settings = LLMSettings(model="m", base_url=closed, attempts=2, retry_after_cap_seconds=0)
    plan = build_llm_planner(settings, redact_planted, sleep=lambda _: None).plan(
        request, sandbox_runner(backend, []))
    assert plan.planner == "offline"
    assert plan.notes[0].startswith("LLM endpoint unavailable: cannot connect after 2 attempts")


def test_citations_of_sources_that_do_not_exist_are_noted(llm):
    llm.play(Reply(content="see [runbook:made-up-runbook#Fix] and [tool:7]"))
    request, backend = crashloop_request()
    plan = planner(llm).plan(request, sandbox_runner(backend, []))
    assert plan.cited is not None and plan.cited.runbook_id == CRASHLOOP_ID  # the top hit
    assert plan.notes == ("the answer cites runbooks that were not retrieved: made-up-runbook",
                          "the answer cites tool outputs that do not exist: tool:7")


def test_the_request_is_the_chat_completions_api_with_a_completion_limit(llm):
    llm.play(Reply(content="ok"))
    request, backend = crashloop_request()
    planner(llm, completion_tokens=333).plan(request, sandbox_runner(backend, []))
    received = llm.received[0]
    assert received.path == "/v1/chat/completions"
    headers = {k.lower(): v for k, v in received.headers.items()}
    assert headers["authorization"] == f"Bearer {TEST_API_KEY}"
    assert received.body["model"] == "scripted-model"
    assert received.body["max_tokens"] == 333  # not OpenAI's own service
    assert [m["role"] for m in received.body["messages"]] == ["system", "user"]
    assert json.dumps(received.body["tools"])  # serialisable strict schemas


def test_with_the_real_redactor_no_planted_secret_arrives(llm):
    from assistant.redaction import Redactor

    history = (f"curl -H 'Authorization: {PLANTED_BEARER}' https://checkout/health",)
    llm.play(Reply(calls=(Call("get_pod_logs", CRASHED_POD),)), FINAL)
    request, backend = crashloop_request(f"checkout restarts, password={PLANTED_PASSWORD}",
                                         history=history)
    settings = LLMSettings(model="m", base_url=llm.base_url, api_key=SecretStr(TEST_API_KEY))
    plan = build_llm_planner(settings, Redactor().redact).plan(
        request, sandbox_runner(backend, []))
    assert plan.narrative == FINAL.content
    assert "postgres://checkout:[REDACTED" in llm.sent_text(-1)
