"""The loop against models that misbehave: cut-off replies, empty replies, turns that go
nowhere, and servers that cannot take tools at all. Real SDK, real HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
from llm_server import (
    Call,
    Fail,
    Reply,
    crashloop_request,
    sandbox_runner,
)
from llm_server import planner_for as planner

from assistant.models import ToolCall

CHECKOUT = {"namespace": "shop", "deployment": "checkout"}


def ask(llm, chosen=None, **overrides: Any) -> tuple[Any, list[ToolCall]]:
    request, backend = crashloop_request()
    ran: list[ToolCall] = []
    return (chosen or planner(llm, **overrides)).plan(request, sandbox_runner(backend, ran)), ran


def last_user_text(llm, index: int) -> str:
    return [m for m in llm.received[index].body["messages"] if m["role"] == "user"][-1][
        "content"]


def test_turns_without_progress_stop_with_the_evidence_gathered(llm):
    garbage = [Reply(calls=(Call(name, {}),)) for name in ("pods", "logs", "status")]
    llm.play(Reply(calls=(Call("list_pods", CHECKOUT),)), *garbage)
    plan, ran = ask(llm)
    assert ran == [ToolCall(tool="list_pods", args=CHECKOUT)]
    assert len(plan.observations) == 1 and plan.narrative is None
    assert plan.notes[-1] == ("stopped: 3 model turns in a row brought no new evidence; "
                              "answering with what was gathered")


def test_a_read_call_repeated_forever_runs_once_and_ends_the_loop(llm):
    llm.play(*(Reply(calls=(Call("list_pods", CHECKOUT),)) for _ in range(3)))
    plan, ran = ask(llm)
    assert len(ran) == 1 and len(llm.received) == 3
    assert plan.notes == ("stopped: the model kept repeating tool calls it already had "
                          "results for",)


def test_a_reply_cut_at_the_limit_is_asked_again_once_shorter(llm):
    cut_call = Reply(calls=(Call("list_pods", '{"namespace": "sh'),), finish_reason="length")
    cut_text = Reply(content="Checkout revision 42 crashes because", finish_reason="length")
    llm.play(cut_call, cut_text)
    plan, ran = ask(llm, completion_tokens=64)
    assert ran == []  # the cut call was discarded, not repaired
    assert "cut off at the 64-token limit" in last_user_text(llm, 1)
    # Asked once only: the second cut reply is used, and says it was cut.
    assert plan.narrative == "Checkout revision 42 crashes because"
    assert plan.notes == ("the model's answer was cut at the completion limit",)


def test_an_empty_reply_gets_one_nudge_then_is_noted(llm):
    llm.play(Reply(content=""), Reply(content=None))
    plan, _ = ask(llm)
    assert "Your reply was empty" in last_user_text(llm, 1)
    assert plan.narrative is None and plan.notes == ("the model returned an empty answer",)


def test_an_empty_reply_then_an_answer_is_answered(llm):
    llm.play(Reply(content="  "), Reply(content="Revision 42 is bad."))
    plan, _ = ask(llm)
    assert plan.narrative == "Revision 42 is bad." and plan.notes == ()


# How each server refuses tools, in its own words:
# Ollama server/routes.go: "<model> does not support tools" (400);
# llama.cpp tools/server/utils.hpp: "tools param requires --jinja flag" (500 before b4600);
# vLLM entrypoints/openai/serving_chat.py: '"auto" tool choice requires
# --enable-auto-tool-choice and --tool-call-parser to be set' (400).
@pytest.mark.parametrize(("status", "message"), [
    (400, "registry.ollama.ai/library/gemma2:2b does not support tools"),
    (500, "tools param requires --jinja flag"),
    (400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser '
          "to be set"),
])
def test_a_server_without_tools_gets_json_turns(llm, status, message):
    def refuses_tools(body: dict[str, Any]) -> Reply | Fail:
        return Fail(status, message=message) if "tools" in body else Reply(content="?")

    call = {"tool_calls": [{"name": "list_pods", "arguments": CHECKOUT}], "answer": None}
    done = {"tool_calls": [], "answer": "Revision 42 crash-loops [tool:1]."}
    llm.play(refuses_tools, Reply(content=json.dumps(call)), Reply(content=json.dumps(done)))
    chosen = planner(llm)
    plan, ran = ask(llm, chosen)
    assert ran == [ToolCall(tool="list_pods", args=CHECKOUT)]
    assert plan.narrative == "Revision 42 crash-loops [tool:1]." and plan.notes == ()
    second = llm.received[1].body
    assert "tools" not in second
    assert second["response_format"]["type"] == "json_schema"
    assert "list_pods" in second["messages"][0]["content"]  # the tools, described as text
    third = llm.received[2].body["messages"]
    assert [m["role"] for m in third[-2:]] == ["assistant", "user"]
    assert third[-1]["content"].startswith('<data kind="tool output" source="tool:1">')
    assert len(llm.received) == 3  # the refusal is not retried

    # The planner remembers: the next question goes straight to JSON turns.
    llm.play(Reply(content=json.dumps(done)))
    ask(llm, chosen)
    assert "tools" not in llm.received[3].body


def test_json_turns_can_be_chosen_up_front(llm):
    done = {"tool_calls": [], "answer": "fine"}
    llm.play(Reply(content=json.dumps(done)))
    plan, _ = ask(llm, tool_calling="json")
    assert plan.narrative == "fine" and "tools" not in llm.received[0].body
