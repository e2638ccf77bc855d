"""The prompt budget follows the context the server really holds, read from the server.

Each fake server answers its self-description routes in the documented shape (see
tests/llm_server.py and assistant/planning/llm/server_context.py for the pages).
"""

from __future__ import annotations

import pytest
from llm_server import (
    Reply,
    Server,
    crashloop_request,
    sandbox_runner,
    scripted_llm_server,
)
from llm_server import planner_for as planner

from assistant.planning.llm.schemas import tool_definitions
from assistant.planning.llm.server_context import (
    OLLAMA_DEFAULT_CONTEXT,
    from_ollama_show,
    from_vllm_models,
    server_root,
)
from assistant.planning.llm.tokens import estimate_request_tokens
from tools.catalog import CATALOG

MODEL = "scripted-model"
# Windows are this much above the whole catalog's schemas (more than the tools offered for
# the question need), so each still leaves room for the rest of the prompt to shrink into.
SCHEMAS = estimate_request_tokens([], tool_definitions(CATALOG))
COMPLETION = 1024
# Above every window below, so the window the server reports is what binds, however large
# the catalog's schemas grow.
CONFIGURED = SCHEMAS + 8_000
# Enough earlier thread messages that the whole prompt needs ~8k tokens.
LONG_HISTORY = tuple(f"message {n}: " + "the checkout pods restarted again after the deploy "
                     * 12 for n in range(40))


def sent_tokens(server: Server, context_tokens: int = 12_000) -> tuple[int, list[str]]:
    with scripted_llm_server(Reply(content="ok"), server=server, model=MODEL) as llm:
        request, backend = crashloop_request(history=LONG_HISTORY)
        planner(llm, context_tokens=context_tokens, completion_tokens=COMPLETION).plan(
            request, sandbox_runner(backend, []))
        body = llm.received[0].body
        probes = [p.path for p in llm.probes]
    return estimate_request_tokens(body["messages"], body.get("tools", [])), probes


@pytest.mark.parametrize(("server", "window", "route"), [
    (Server("vllm", SCHEMAS + 4937), SCHEMAS + 4937, "/v1/models"),
    (Server("llamacpp", SCHEMAS + 2889), SCHEMAS + 2889, "/props"),
    (Server("ollama-loaded", SCHEMAS + 1865), SCHEMAS + 1865, "/api/ps"),
    (Server("ollama", num_ctx=SCHEMAS + 3913), SCHEMAS + 3913, "/api/show"),
    (Server("lmstudio", SCHEMAS + 2889), SCHEMAS + 2889, f"/api/v0/models/{MODEL}"),
])
def test_the_prompt_fits_the_window_the_server_reports(server, window, route):
    tokens, probes = sent_tokens(server, CONFIGURED)
    assert window - COMPLETION - 300 <= tokens <= window - COMPLETION  # shrunk just to fit
    assert probes[-1] == route  # the route that answered is the last one asked


def test_without_a_reported_window_the_setting_is_the_budget():
    tokens, probes = sent_tokens(Server("openai"))
    assert 12_000 >= tokens > 8192  # not shrunk to any server window
    assert probes[0] == "/v1/models"


def test_ollamas_default_window_gets_the_most_relevant_tools_and_says_which_gave_way():
    with scripted_llm_server(Reply(content="ok"), server=Server("ollama"), model=MODEL) as llm:
        request, backend = crashloop_request()
        plan = planner(llm, completion_tokens=COMPLETION).plan(request,
                                                               sandbox_runner(backend, []))
        body = llm.received[0].body
    offered = {t["function"]["name"] for t in body["tools"]}
    assert estimate_request_tokens(body["messages"], body["tools"]) <= \
        OLLAMA_DEFAULT_CONTEXT - COMPLETION
    assert plan.planner == "llm"
    # The crash-loop runbook's steps stay; tools offered only as general reads give way.
    assert {"list_pods", "get_pod_logs", "rollback_deployment"} <= offered
    (note,) = [n for n in plan.notes if n.startswith("left out the")]
    assert all(name in note and name not in offered for name in ("list_events", "describe_pod"))


def test_a_window_too_small_even_for_one_tool_falls_back_saying_so():
    with scripted_llm_server(server=Server("ollama", num_ctx=COMPLETION + 600),
                             model=MODEL) as llm:
        request, backend = crashloop_request()
        plan = planner(llm, completion_tokens=COMPLETION).plan(request,
                                                               sandbox_runner(backend, []))
        assert llm.received == []  # nothing sent that Ollama would silently truncate
    assert plan.planner == "offline"
    assert plan.notes[0].startswith("LLM not used: the smallest prompt needs")
    assert (f"the server holds {COMPLETION + 600} tokens, reported by POST /api/show"
            in plan.notes[0])
    assert plan.notes[1].startswith("left out the")


def test_a_window_larger_than_the_setting_does_not_raise_the_budget():
    tokens, _ = sent_tokens(Server("vllm", 131_072))
    assert tokens <= 12_000


def test_the_openai_service_is_not_probed(llm):
    from assistant.planning.llm import LLMSettings, OpenAIChat

    chat = OpenAIChat(LLMSettings(model="gpt-4o-mini", base_url="https://api.openai.com/v1"))
    assert chat.context_window() is None


def test_ollama_num_ctx_is_capped_by_what_the_model_was_trained_for():
    show = {"parameters": "num_ctx 262144", "model_info": {"llama.context_length": 131_072}}
    assert from_ollama_show(show) == 131_072
    assert from_ollama_show({"parameters": "", "model_info": {}}) == OLLAMA_DEFAULT_CONTEXT


def test_vllm_cards_are_matched_by_model_or_a_single_card():
    cards = {"data": [{"id": "a", "max_model_len": 8192}, {"id": "b", "max_model_len": 4096}]}
    assert from_vllm_models(cards, "b") == 4096
    assert from_vllm_models(cards, "c") is None
    assert from_vllm_models({"data": [{"id": "a", "max_model_len": 8192}]}, "c") == 8192


def test_the_server_root_drops_the_openai_prefix():
    assert server_root("http://localhost:11434/v1") == "http://localhost:11434"
    assert server_root("http://gpu:8000/v1/") == "http://gpu:8000"
