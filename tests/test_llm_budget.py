"""Context budget: token estimates, head/tail cuts, and a prompt that never exceeds budget."""

from __future__ import annotations

import functools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from llm_server import (
    TEST_API_KEY,
    Call,
    Reply,
    crashloop_request,
    redact_planted,
    scripted_llm_server,
)
from pydantic import SecretStr

from assistant.models import ToolCall
from assistant.planning.llm import LLMSettings, build_llm_planner
from assistant.planning.llm.budget import (
    Block,
    ContextBudgetExceeded,
    PromptMessage,
    fit_prompt,
)
from assistant.planning.llm.context import demote, opening_messages, tool_result_block
from assistant.planning.llm.framing import clip
from assistant.planning.llm.schemas import tool_definitions
from assistant.planning.llm.tokens import TokenGauge, estimate_request_tokens, estimate_tokens
from assistant.planning.offline import Observation, PlanRequest
from tools.catalog import CATALOG

LOG = "\n".join(f"2025-03-11T14:{i // 60:02d}:{i % 60:02d}Z level=info msg=\"request {i}\" "
                f"status=200 duration={i % 97}ms" for i in range(600))
TOOLS = tool_definitions(CATALOG)
# Every request carries the tool schemas; the budgets below are set above them, so a tool
# added to the catalog does not change what the tests squeeze.
SCHEMA_TOKENS = estimate_request_tokens([], TOOLS)


def test_estimates_count_dense_text_as_more_tokens_than_prose():
    prose = "the rollout stalled because the new revision cannot reach the database"
    dense = "x9Qz7kP2mW7vL4nR8tY1bH6jF3d5s0aQ7eR2tY9uI4oP1aS6dF8gH3jK5lZ0xC7v"
    assert estimate_tokens("") == 0
    assert estimate_tokens(prose) <= len(prose) / 4 + 2
    assert estimate_tokens(dense) >= len(dense) / 3
    assert estimate_tokens("请检查日志") == 15  # every UTF-8 byte may be its own token


def test_a_request_counts_messages_tool_calls_and_schemas():
    messages = [{"role": "user", "content": "hello"}]
    bare = estimate_request_tokens(messages, [])
    called = [*messages, {"role": "assistant", "content": None, "tool_calls": [
        {"id": "1", "type": "function",
         "function": {"name": "list_pods", "arguments": '{"namespace": "shop"}'}}]}]
    assert estimate_request_tokens(called, []) > bare + 4
    assert estimate_request_tokens(messages, TOOLS) > bare + 1000


def test_the_gauge_scales_up_to_what_the_endpoint_reports_and_never_down():
    gauge = TokenGauge()
    messages = [{"role": "user", "content": "a b c " * 100}]
    estimated = gauge.measure(messages, [])
    gauge.observe(estimated, estimated * 2)
    assert gauge.scale == pytest.approx(2.0)
    assert gauge.measure(messages, []) == pytest.approx(estimated * 2, abs=1)
    gauge.observe(gauge.measure(messages, []), estimated // 2)
    gauge.observe(estimated, None)
    assert gauge.scale == pytest.approx(2.0)


def test_clip_keeps_head_and_tail_and_says_what_it_left_out():
    cut = clip(LOG, 2000, "see tool:3")
    lines = cut.splitlines()
    assert lines[0] == LOG.splitlines()[0] and lines[-1] == LOG.splitlines()[-1]
    marker = next(line for line in lines if line.startswith("[..."))
    omitted = 600 - (len(lines) - 1)
    assert f"{omitted} of 600 lines" in marker and "see tool:3" in marker
    assert len(cut) < 2000 + len(marker) + 1
    assert clip("short", 2000, "x") == "short"


def test_clip_cuts_one_enormous_line_by_characters():
    cut = clip("a" * 10_000 + "END", 1000, "see tool:1")
    assert cut.startswith("a" * 500) and cut.endswith("END")
    assert "0 of 1 lines" in cut and len(cut) < 1200


@functools.cache
def _request_with_history() -> PlanRequest:
    history = tuple(f"earlier message {i}: " + "context " * 60 for i in range(8))
    return crashloop_request(history=history)[0]


def _big_prompt() -> list[PromptMessage]:
    messages = opening_messages(_request_with_history())
    results: list[Block] = []
    for number in (1, 2):
        call = {"id": f"c{number}", "type": "function",
                "function": {"name": "get_pod_logs", "arguments": "{}"}}
        messages.append(PromptMessage("assistant", tool_calls=[call]))
        obs = Observation(call=ToolCall(tool="list_pods", args={"namespace": "shop"}),
                          ok=True, text=LOG)
        for older, block in enumerate(results, 1):
            demote(block, older)
        results.append(tool_result_block(number, obs, 4000))
        messages.append(PromptMessage("tool", [results[-1]], tool_call_id=f"c{number}"))
    return messages


@settings(max_examples=30, deadline=None)
@given(budget=st.integers(min_value=256, max_value=30_000))
def test_a_fitted_prompt_never_exceeds_its_budget(budget):
    messages = _big_prompt()
    roles = [m.role for m in messages]
    try:
        fitted = fit_prompt(messages, TOOLS, budget, TokenGauge(), redact_planted)
    except ContextBudgetExceeded as exc:
        assert exc.tokens > budget
        assert all(not b.shrinkable for m in messages for b in m.blocks)
        return
    assert estimate_request_tokens(fitted.messages, TOOLS) <= fitted.tokens <= budget
    assert [m["role"] for m in fitted.messages] == roles  # nothing dropped or reordered
    assert [m.get("tool_call_id") for m in fitted.messages][-1] == "c2"


def test_history_and_extra_sections_give_way_before_the_question_evidence():
    messages = _big_prompt()
    full = fit_prompt(messages, TOOLS, 10**6, TokenGauge(), redact_planted).tokens
    fitted = fit_prompt(_big_prompt(), TOOLS, full - 300, TokenGauge(), redact_planted)
    text = "\n".join(str(m["content"]) for m in fitted.messages)
    assert "earlier message 0" not in text  # the oldest history went first
    assert "earlier message 7" in text
    assert "#Diagnosis" in text and text.count("level=info") > 40  # evidence kept whole


def test_shrinking_reaches_the_newest_output_last():
    # The tool schemas are sent whole; the room left after them is what gets shrunk, so the
    # budget grows with the catalog.
    budget = estimate_request_tokens([], TOOLS) + 1750
    tight = fit_prompt(_big_prompt(), TOOLS, budget, TokenGauge(), redact_planted)
    tool_texts = [m["content"] for m in tight.messages if m["role"] == "tool"]
    assert "omitted to fit the context budget" in tool_texts[0]  # older result: a stub
    assert "level=info" in tool_texts[1]  # the newest still shows lines
    assert "the full output is tool:2" in tool_texts[1]


def test_a_fixed_block_over_budget_is_reported_not_sent():
    messages = [PromptMessage("system", [Block.fixed("rules " * 2000)])]
    with pytest.raises(ContextBudgetExceeded, match="over the budget of 300"):
        fit_prompt(messages, [], 300, TokenGauge(), redact_planted)


def test_no_request_on_the_wire_exceeds_the_configured_budget():
    huge = "\n".join([LOG] * 5)

    def runner(call: ToolCall) -> Observation:
        return Observation(call=call, ok=True, text=huge)

    budget = SCHEMA_TOKENS + 2750
    with scripted_llm_server(
        Reply(calls=(Call("list_pods", {"namespace": "shop", "deployment": "checkout"}),)),
        Reply(calls=(Call("rollout_history", {"namespace": "shop", "deployment": "checkout"}),
                     Call("list_alerts", {"namespace": "shop", "include_silenced": None}))),
        Reply(content="done [tool:3]"),
    ) as server:
        settings_ = LLMSettings(model="m", base_url=server.base_url,
                                api_key=SecretStr(TEST_API_KEY), context_tokens=budget)
        history = tuple("old message " * 200 for _ in range(10))
        request, _ = crashloop_request(history=history)
        plan = build_llm_planner(settings_, redact_planted).plan(request, runner)
        assert plan.narrative == "done [tool:3]" and len(plan.observations) == 3
        sizes = [estimate_request_tokens(r.body["messages"], r.body["tools"])
                 for r in server.received]
    assert len(sizes) == 3 and max(sizes) <= budget
    assert sizes[-1] > budget * 0.8  # the budget was used, not avoided
    assert all(len(json.dumps(r.body)) < 60_000 for r in server.received)


def test_a_budget_too_small_for_the_question_falls_back_to_runbook_steps():
    with scripted_llm_server() as server:
        settings_ = LLMSettings(model="m", base_url=server.base_url, context_tokens=600)
        request, _ = crashloop_request()
        plan = build_llm_planner(settings_, redact_planted).plan(
            request, lambda call: Observation(call=call, ok=True, text="ok"))
        assert server.received == []
    assert plan.planner == "offline"
    assert plan.notes[0].startswith("LLM not used: the smallest prompt needs ~")
    assert plan.notes[0].endswith("over the budget of 600; answered from runbook steps")
    assert plan.notes[1].startswith("left out the")  # tools gave way before it gave up
