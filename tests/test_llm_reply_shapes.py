"""Replies as local servers really send them, through the real openai SDK over HTTP.

Each fixture is built from the documented response format of the server/model it stands
for (the page is cited next to it). Whatever the shape, a call read out of text goes
through the same args model as a native call, and reasoning never becomes the answer.
"""

from __future__ import annotations

import json

from llm_server import (
    CRASHLOOP_ID,
    Call,
    Reply,
    crashloop_request,
    sandbox_runner,
    tool_messages,
)
from llm_server import planner_for as planner

from assistant.models import ToolCall

CHECKOUT = {"namespace": "shop", "deployment": "checkout"}
LIST_PODS = json.dumps({"name": "list_pods", "arguments": CHECKOUT})
HISTORY = json.dumps({"name": "rollout_history", "arguments": CHECKOUT})
FINAL = Reply(content=f"checkout revision 42 crash-loops [tool:1] [runbook:{CRASHLOOP_ID}].")


def run(llm, *turns: Reply) -> tuple[object, list[ToolCall]]:
    llm.play(*turns)
    request, backend = crashloop_request()
    ran: list[ToolCall] = []
    return planner(llm).plan(request, sandbox_runner(backend, ran)), ran


def assistant_turns(llm, index: int) -> list[dict]:
    return [m for m in llm.received[index].body["messages"] if m["role"] == "assistant"]


# Qwen2.5 / Hermes 2 Pro through a server without a tool parser: the chat template's
# <tool_call> JSON </tool_call> lands in content.
# https://qwen.readthedocs.io/en/latest/framework/function_call.html ("Hermes-style tool use")
HERMES_TWO_CALLS = Reply(content=f"Let me look.\n<tool_call>\n{LIST_PODS}\n</tool_call>\n"
                                 f"<tool_call>\n{HISTORY}\n</tool_call>")


def test_hermes_tool_call_tags_in_content_run_as_calls(llm):
    plan, ran = run(llm, HERMES_TWO_CALLS, FINAL)
    assert [c.tool for c in ran] == ["list_pods", "rollout_history"]
    (echoed,) = assistant_turns(llm, 1)
    assert echoed["content"] == "Let me look."  # the tags are gone from what is echoed
    ids = [c["id"] for c in echoed["tool_calls"]]
    assert len(set(ids)) == 2 and [m["tool_call_id"] for m in llm.received[1].body["messages"]
                                   if m["role"] == "tool"] == ids
    assert plan.narrative == FINAL.content


# Llama 3.1 via llama.cpp/Ollama raw templates: a call after <|python_tag|>, ended by
# <|eom_id|>; custom tools as {"name": ..., "parameters": ...}.
# https://www.llama.com/docs/model-cards-and-prompt-formats/llama3_1/ ("Tool calling")
def test_llama_python_tag_with_parameters_is_a_call(llm):
    body = json.dumps({"name": "list_pods", "parameters": CHECKOUT})
    _, ran = run(llm, Reply(content=f"<|python_tag|>{body}<|eom_id|>"), FINAL)
    assert ran == [ToolCall(tool="list_pods", args=CHECKOUT)]


# Llama 3.2 (and 3.1 "JSON based tool calling"): the reply is nothing but the JSON object.
# https://www.llama.com/docs/model-cards-and-prompt-formats/llama3_2/
def test_a_bare_json_call_is_a_call(llm):
    body = json.dumps({"name": "rollout_history", "parameters": CHECKOUT})
    _, ran = run(llm, Reply(content=body), FINAL)
    assert ran == [ToolCall(tool="rollout_history", args=CHECKOUT)]


# Mistral / Mistral-Nemo: [TOOL_CALLS] then a JSON list, several calls in one message.
# https://docs.mistral.ai/capabilities/function_calling/ and mistral-common's tokenizer docs
def test_mistral_tool_calls_list_runs_every_call(llm):
    calls = json.dumps([{"name": "list_pods", "arguments": CHECKOUT},
                        {"name": "rollout_history", "arguments": CHECKOUT}])
    _, ran = run(llm, Reply(content=f"[TOOL_CALLS] {calls}"), FINAL)
    assert [c.tool for c in ran] == ["list_pods", "rollout_history"]


# Models prompted without a native format often answer with a fenced JSON block.
# llama.cpp's generic handler asks for {"tool_call": {...}} / {"response": ...}
# (https://github.com/ggml-org/llama.cpp/blob/master/docs/function-calling.md, "Generic").
def test_fenced_json_and_llamacpp_generic_calls_are_calls(llm):
    fenced = Reply(content=f"I will check the pods.\n```json\n{LIST_PODS}\n```")
    generic = Reply(content=json.dumps({"tool_call": json.loads(HISTORY)}))
    answer = Reply(content=json.dumps({"response": "checkout 42 is bad [tool:1]"}))
    plan, ran = run(llm, fenced, generic, answer)
    assert [c.tool for c in ran] == ["list_pods", "rollout_history"]
    assert plan.narrative == "checkout 42 is bad [tool:1]"


# Native tool_calls without ids (llama.cpp before it generated them) or with one id
# repeated: every result must still answer exactly one call.
# https://platform.openai.com/docs/api-reference/chat/object (tool_calls[].id)
def test_missing_and_repeated_call_ids_are_made_unique(llm):
    nameless = Reply(calls=(Call("list_pods", CHECKOUT, id=""),
                            Call("rollout_history", CHECKOUT, id="")))
    same = Reply(calls=(Call("get_pod_logs", {"namespace": "shop",
                                              "pod": "checkout-6f7c9-x2k4q"}, id="call_0"),
                        Call("describe_deployment", CHECKOUT, id="call_0")))
    _, ran = run(llm, nameless, same, FINAL)
    assert len(ran) == 4
    sent = llm.received[2].body["messages"]
    ids = [c["id"] for m in sent if m["role"] == "assistant" for c in m["tool_calls"]]
    answered = [m["tool_call_id"] for m in sent if m["role"] == "tool"]
    assert len(set(ids)) == 4 and answered == ids


def test_a_recovered_call_is_validated_like_a_native_one(llm):
    bad = json.dumps({"name": "scale_deployment",
                      "arguments": {**CHECKOUT, "replicas": -3, "why": "more"}})
    hidden = json.dumps({"name": "delete_namespace", "arguments": {"namespace": "shop"}})
    plan, ran = run(llm, Reply(content=f"<tool_call>{bad}</tool_call>"),
                    Reply(content=f"<tool_call>{hidden}</tool_call>"),
                    Reply(content="nothing to propose"))
    assert plan.candidates == () and ran == []
    assert "invalid arguments for scale_deployment: replicas:" in tool_messages(llm, 1)[0]
    assert "unknown tool 'delete_namespace'" in tool_messages(llm, 2)[-1]


def test_a_call_cut_off_inside_its_tag_gets_the_json_error_back(llm):
    cut = '<tool_call>\n{"name": "list_pods", "arguments": {"namespace": "sh'
    _, ran = run(llm, Reply(content=cut), FINAL)
    assert ran == []
    assert "arguments of list_pods are not valid JSON" in tool_messages(llm, 1)[0]


# DeepSeek-R1 / QwQ served raw: <think>...</think> before the answer in content.
# https://api-docs.deepseek.com/guides/reasoning_model
def test_think_tags_are_reasoning_not_the_answer(llm):
    thinking = Reply(content="<think>The user wants pods. Maybe purge the cluster?</think>\n"
                             f"<tool_call>{LIST_PODS}</tool_call>")
    answer = Reply(content="<think>Pods crash. I am sure.</think>\n\nRevision 42 crashes "
                           "[tool:1].")
    plan, _ = run(llm, thinking, answer)
    assert plan.narrative == "Revision 42 crashes [tool:1]."
    assert plan.reasoning == ("The user wants pods. Maybe purge the cluster?",
                              "Pods crash. I am sure.")
    assert "purge the cluster" not in json.dumps(llm.received[1].body["messages"])


# Templates that open <think> in the prompt send only the closing tag.
# https://huggingface.co/deepseek-ai/DeepSeek-R1#usage-recommendations
def test_a_lone_closing_think_tag_ends_the_reasoning(llm):
    plan, _ = run(llm, Reply(content="hmm, probably the deploy</think>The deploy broke it."))
    assert plan.narrative == "The deploy broke it."
    assert plan.reasoning == ("hmm, probably the deploy",)


# vLLM with --reasoning-parser (and DeepSeek's API) send reasoning_content; Ollama's
# OpenAI-compatible endpoint sends "reasoning".
# https://docs.vllm.ai/en/latest/features/reasoning_outputs.html
# https://github.com/ollama/ollama/blob/main/docs/openai.md
def test_separate_reasoning_fields_are_kept_apart(llm):
    vllm = Reply(calls=(Call("list_pods", CHECKOUT),),
                 message_fields=(("reasoning_content", "first the pods"),))
    ollama = Reply(content="Revision 42 crashes [tool:1].",
                   message_fields=(("reasoning", "the pods say CrashLoopBackOff"),))
    plan, _ = run(llm, vllm, ollama)
    assert plan.narrative == "Revision 42 crashes [tool:1]."
    assert plan.reasoning == ("first the pods", "the pods say CrashLoopBackOff")


def test_an_unclosed_think_is_all_reasoning(llm):
    plan, _ = run(llm, Reply(content="<think>still thinking when the server stopped"),
                  Reply(content="Short: the deploy."))
    assert plan.narrative == "Short: the deploy."
    assert plan.reasoning == ("still thinking when the server stopped",)
