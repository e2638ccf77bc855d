"""An endpoint that accepts connections but never answers: a real slow socket on loopback.

The whole LLM phase of a question is bounded by the wall-time limit, and the breaker
remembers the failure so the next questions go straight to the runbook steps.
"""

from __future__ import annotations

from llm_server import (
    TEST_API_KEY,
    Reply,
    Stall,
    crashloop_request,
    redact_planted,
    sandbox_runner,
    scripted_llm_server,
)
from pydantic import SecretStr

from assistant.planning.llm import LLMPlanner, LLMSettings, OpenAIChat

NEVER = 30.0  # far longer than any limit below: the server simply does not answer


def hung_settings(base_url: str) -> LLMSettings:
    return LLMSettings(model="m", base_url=base_url, api_key=SecretStr(TEST_API_KEY),
                       timeout_seconds=0.4, attempts=5, retry_after_cap_seconds=0.05,
                       max_wall_seconds=1.0, breaker_seconds=60, probe_context=False)


def ask(planner: LLMPlanner):
    request, backend = crashloop_request()
    return planner.plan(request, sandbox_runner(backend, []))


def test_a_hung_endpoint_costs_one_bounded_phase_then_is_skipped():
    with scripted_llm_server(*(Stall(NEVER),) * 5) as server:
        settings = hung_settings(server.base_url)
        planner = LLMPlanner(OpenAIChat(settings), settings, redact_planted)
        first = ask(planner)
        tried = len(server.received)
        second = ask(planner)
        third = ask(planner)

    # The wall-time limit cut the retries short of the 5 attempts allowed.
    assert 1 <= tried < 5
    assert first.planner == "offline"
    assert first.notes[0].startswith("LLM endpoint unavailable: request timed out")
    for later in (second, third):
        assert later.planner == "offline" and later.followed is not None
        assert later.notes[0].startswith("LLM endpoint skipped: it failed")
        assert "tries it again" in later.notes[0]
    assert len(server.received) == tried  # nobody waited on the endpoint again


def test_after_the_breaker_window_the_endpoint_is_tried_again_and_heals():
    now = [0.0]
    with scripted_llm_server(Stall(NEVER), Reply(content="back again")) as server:
        settings = hung_settings(server.base_url).model_copy(update={"attempts": 1})
        planner = LLMPlanner(OpenAIChat(settings), settings, redact_planted,
                             clock=lambda: now[0])
        assert ask(planner).planner == "offline"
        now[0] = 30.0
        assert ask(planner).notes[0].startswith("LLM endpoint skipped")
        now[0] = 61.0
        healed = ask(planner)
        now[0] = 62.0
        assert healed.planner == "llm" and healed.narrative == "back again"
        assert len(server.received) == 2
