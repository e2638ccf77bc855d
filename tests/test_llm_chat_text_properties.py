"""Property: whatever a model replies, no reasoning and no raw tool-call or template markup
reaches a chat message. Replies are generated from the shapes real servers send (reasoning
tags and fields, call tags, template tokens) mixed with arbitrary text; each goes through
the planner and the answer composer, as the engine does."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from llm_server import crashloop_request, redact_planted, sandbox_runner

from assistant.answer import compose_answer
from assistant.planning.llm import LLMPlanner, LLMSettings
from assistant.planning.llm.calls import ToolRequest
from assistant.planning.llm.client import ChatReply

SECRET_THOUGHT = "zqxreasoningzqx"  # stands for anything a model thinks
# What must never be seen in chat: reasoning and complete markup tokens.
FORBIDDEN = re.compile(
    SECRET_THOUGHT + r"|</?(?:think|thinking|reasoning|tool_call)>|<\|[a-z_]{2,20}\|>"
    r"|\[TOOL_CALLS\]|\[/?INST\]|<start_of_turn>|<end_of_turn>", re.IGNORECASE)
CALL = '{"name": "rollout_history", "arguments": {"namespace": "shop", "deployment": "checkout"}}'

# Arbitrary text, except that it cannot spell the thought marker (no "z").
plain = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",),
                                       exclude_characters="zZ"), max_size=40)
thought = plain.map(lambda t: f"{t} {SECRET_THOUGHT} {t}")
segment = st.one_of(
    plain,
    thought.map(lambda t: f"<think>{t}</think>"),
    thought.map(lambda t: f"<THINKING>{t}</THINKING>"),
    thought.map(lambda t: f"<think>{t}"),  # cut off before it closed
    thought.map(lambda t: f"{t}</think>"),  # the template opened it
    st.just(f"<tool_call>\n{CALL}\n</tool_call>"),
    st.just(f"<|python_tag|>{CALL}<|eom_id|>"),
    st.just(f"[TOOL_CALLS] [{CALL}]"),
    st.sampled_from(["<|im_start|>assistant", "<|im_end|>", "<|eot_id|>", "[INST]",
                     "[/INST]", "<start_of_turn>model", "<end_of_turn>", "</s>"]),
)
reply = st.builds(
    lambda parts, field: ChatReply(content="".join(parts), tool_calls=(), prompt_tokens=10,
                                   completion_tokens=5, finish_reason="stop",
                                   reasoning=field),
    st.lists(segment, max_size=6),
    st.none() | thought,
)


def _rollback(why: str) -> ChatReply:
    arguments = json.dumps({"namespace": "shop", "deployment": "checkout", "why": why})
    return ChatReply(content=None, tool_calls=(ToolRequest(
        id="", name="rollback_deployment", arguments=arguments),), prompt_tokens=10,
        completion_tokens=5, finish_reason="tool_calls")


native_call = st.lists(segment, max_size=4).map("".join).map(_rollback)


class Replaying:
    """A ChatModel answering from a list, in process: the property is about reading."""

    def __init__(self, replies: Sequence[ChatReply]) -> None:
        self._replies = list(replies)

    def complete(self, messages: Any, tools: Any, *, time_left: float,
                 response_format: Any = None) -> ChatReply:
        if self._replies:
            return self._replies.pop(0)
        return ChatReply(content="done", tool_calls=(), prompt_tokens=1, completion_tokens=1,
                         finish_reason="stop")

    def context_window(self) -> None:
        return None


# A small prompt (two tools, no runbook) keeps each example to milliseconds.
_FULL, BACKEND = crashloop_request(allowed=frozenset({"rollout_history",
                                                     "rollback_deployment"}))
REQUEST = _FULL.model_copy(update={"hits": (), "runbooks": {}})
SETTINGS = LLMSettings(model="m", base_url="http://127.0.0.1:9/v1")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(reply, native_call), min_size=1, max_size=4))
def test_no_reasoning_or_markup_reaches_chat(replies):
    planner = LLMPlanner(Replaying(replies), SETTINGS, redact_planted)
    plan = planner.plan(REQUEST, sandbox_runner(BACKEND, []))
    shown = [compose_answer(plan, []), *(c.why for c in plan.candidates)]
    for text in shown:
        assert FORBIDDEN.search(text) is None, text
