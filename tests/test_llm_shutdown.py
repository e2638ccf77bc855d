"""A shutdown does not wait out an LLM question's wall-time budget: once the process starts
draining, the planner makes no further model call and answers with what it has, or from
runbook steps when the model had not been asked yet. Real SDK, real HTTP on loopback."""

from __future__ import annotations

import threading

from llm_server import (
    TEST_API_KEY,
    Call,
    Reply,
    ScriptedLLM,
    crashloop_request,
    redact_planted,
    sandbox_runner,
)
from pydantic import SecretStr

from assistant.models import ToolCall
from assistant.planning.llm import LLMPlanner, LLMSettings, build_llm_planner
from assistant.planning.offline import Observation

CHECKOUT = {"namespace": "shop", "deployment": "checkout"}


def draining_planner(server: ScriptedLLM, shutdown: threading.Event) -> LLMPlanner:
    settings = LLMSettings(model="scripted-model", base_url=server.base_url,
                           api_key=SecretStr(TEST_API_KEY), timeout_seconds=2.0)
    return build_llm_planner(settings, redact_planted, stopping=shutdown)


def test_a_drain_mid_question_answers_from_the_evidence_without_another_model_call(
        llm: ScriptedLLM) -> None:
    llm.play(Reply(calls=(Call("list_pods", CHECKOUT),)),
             Reply(calls=(Call("describe_deployment", CHECKOUT),)),
             Reply(content="checkout crash-loops [tool:1]"))
    shutdown = threading.Event()
    request, backend = crashloop_request()
    ran: list[ToolCall] = []
    run = sandbox_runner(backend, ran)

    def run_then_drain(call: ToolCall) -> Observation:
        # SIGTERM arrives while the first tool result is being gathered.
        shutdown.set()
        return run(call)

    plan = draining_planner(llm, shutdown).plan(request, run_then_drain)

    assert len(llm.received) == 1
    assert [c.tool for c in ran] == ["list_pods"]
    assert plan.planner == "llm" and plan.llm_calls == 1
    assert [o.call.tool for o in plan.observations] == ["list_pods"]
    assert plan.notes == ("stopped after 1 model call(s): opsbot is shutting down; "
                          "answering with what was gathered",)


def test_a_question_taken_while_draining_is_answered_from_runbook_steps(
        llm: ScriptedLLM) -> None:
    llm.play(Reply(content="never asked"))
    shutdown = threading.Event()
    shutdown.set()
    request, backend = crashloop_request()

    plan = draining_planner(llm, shutdown).plan(request, sandbox_runner(backend, []))

    assert llm.received == []
    assert plan.planner != "llm" and plan.llm_calls == 0
    assert plan.notes[0] == ("LLM not used: opsbot is shutting down; answered from runbook "
                             "steps")
    assert plan.candidates, "the runbook's steps still give the thread something to decide"
