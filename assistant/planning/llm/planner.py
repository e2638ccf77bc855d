"""The LLM planner: a bounded tool-calling loop over any OpenAI-compatible model.

The model sees only the tools the asking user may request. Read-only calls run through the
engine's ``run_read_only`` (policy, tool, redaction) and their output goes back to the
model; mutating calls become candidates that policy and a human decide on later. Invalid
calls get the validation error back once; a second invalid call to that tool is dropped
and noted. The loop stops at the step, wall-time, token or context budget, or when the
model keeps repeating identical calls. If the endpoint stays down, the offline planner
answers instead and the plan says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.planning.llm.budget import (
    Block,
    ContextBudgetExceeded,
    PromptMessage,
    fit_prompt,
)
from assistant.planning.llm.calls import InvalidCall, ToolRequest, ValidCall, interpret
from assistant.planning.llm.citations import cited_hit, cited_runbook, find_citations
from assistant.planning.llm.client import ChatModel, ChatReply, LLMUnavailable
from assistant.planning.llm.context import (
    demote,
    opening_messages,
    tool_result_block,
    tool_source,
)
from assistant.planning.llm.framing import data_block
from assistant.planning.llm.schemas import tool_definitions
from assistant.planning.llm.settings import LLMSettings
from assistant.planning.llm.tokens import TokenGauge
from assistant.planning.offline import (
    Observation,
    OfflinePlanner,
    Plan,
    PlannedCall,
    Planner,
    PlanRequest,
    ReadOnlyRunner,
)
from tools.catalog import CATALOG

MAX_REPEATS = 2  # identical calls answered from the earlier result before the loop stops


@dataclass
class _Loop:
    """What one plan() accumulates."""

    request: PlanRequest
    run_read_only: ReadOnlyRunner
    messages: list[PromptMessage]
    observations: list[Observation] = field(default_factory=list)
    candidates: list[PlannedCall] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    result_blocks: list[Block] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)  # args hash -> source tag of its result
    repaired: set[str] = field(default_factory=set)  # tools already given their repair
    repeats: int = 0
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    narrative: str | None = None


class LLMPlanner:
    """``Planner`` backed by a chat model; falls back to ``fallback`` when it is unreachable.

    ``redact`` is applied to every message right before it is sent (the engine redacts its
    inputs already; this is the last gate). ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        model: ChatModel,
        settings: LLMSettings,
        redact: Callable[[str], str],
        *,
        fallback: Planner | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._model = model
        self._settings = settings
        self._redact = redact
        self._fallback = fallback or OfflinePlanner()
        self._clock = clock

    def plan(self, request: PlanRequest, run_read_only: ReadOnlyRunner) -> Plan:
        settings = self._settings
        loop = _Loop(request, run_read_only, opening_messages(request))
        tools = tool_definitions(request.allowed_tools)
        # Calibrated per question, so a question's prompts depend on it alone and replay
        # from a cassette exactly, whichever cases ran before it.
        gauge = TokenGauge()
        started = self._clock()
        stop: str | None = None
        for _ in range(settings.max_steps):
            time_left = settings.max_wall_seconds - (self._clock() - started)
            if time_left <= 0:
                stop = f"stopped at the wall-time limit of {settings.max_wall_seconds:g} s"
                break
            try:
                prompt = fit_prompt(loop.messages, tools, settings.context_tokens, gauge,
                                    self._redact)
            except ContextBudgetExceeded as exc:
                if loop.calls == 0:
                    return self._fall_back(loop, f"LLM not used: {exc}")
                stop = f"stopped: {exc}"
                break
            spent = loop.prompt_tokens + loop.completion_tokens
            if spent + prompt.tokens + settings.completion_tokens > settings.max_total_tokens:
                stop = (f"stopped at the token limit ({spent} of "
                        f"{settings.max_total_tokens} tokens used)")
                break
            try:
                reply = self._model.complete(prompt.messages, tools, time_left=time_left)
            except LLMUnavailable as exc:
                return self._fall_back(loop, f"LLM endpoint unavailable: {exc.reason}")
            self._account(loop, reply, prompt.tokens)
            gauge.observe(prompt.tokens, reply.prompt_tokens)
            if not reply.tool_calls:
                loop.narrative = self._redact(reply.content or "").strip() or None
                if loop.narrative is None:
                    loop.notes.append("the model returned an empty answer")
                break
            stop = self._handle_calls(loop, reply)
            if stop:
                break
        else:
            stop = (f"stopped after {settings.max_steps} model calls without a final answer")
        if stop:
            loop.notes.append(stop)
        return self._finish(loop)

    def _account(self, loop: _Loop, reply: ChatReply, estimated: int) -> None:
        loop.calls += 1
        loop.prompt_tokens += reply.prompt_tokens if reply.prompt_tokens is not None else estimated
        loop.completion_tokens += reply.completion_tokens or 0

    def _handle_calls(self, loop: _Loop, reply: ChatReply) -> str | None:
        """Answer every tool call of one reply; a reason to stop the loop, if any."""
        calls = [{"id": c.id, "type": "function",
                  "function": {"name": c.name, "arguments": c.arguments}}
                 for c in reply.tool_calls]
        content = [Block.fixed(reply.content)] if reply.content else []
        loop.messages.append(PromptMessage("assistant", content, tool_calls=calls))
        for number, block in enumerate(loop.result_blocks, 1):
            demote(block, number)
        for request in reply.tool_calls:
            answer = self._answer(loop, request, reply.content or "")
            loop.messages.append(PromptMessage("tool", [answer], tool_call_id=request.id))
        if loop.repeats >= MAX_REPEATS:
            return "stopped: the model kept repeating tool calls it already had results for"
        return None

    def _answer(self, loop: _Loop, request: ToolRequest, content: str) -> Block:
        verdict = interpret(request, loop.request.allowed_tools)
        if isinstance(verdict, InvalidCall):
            return self._refuse(loop, request, verdict.error)
        call = verdict.call
        if call.args_hash in loop.seen:
            loop.repeats += 1
            return Block.fixed(f"Not run again: {call.render()} is identical to an earlier "
                               f"call; its result is [{loop.seen[call.args_hash]}].")
        if CATALOG[call.tool].read_only:
            return self._run(loop, verdict)
        return self._propose(loop, verdict, content)

    def _refuse(self, loop: _Loop, request: ToolRequest, error: str) -> Block:
        if request.name not in loop.repaired:
            loop.repaired.add(request.name)
            return Block.fixed(f"Error: {error}. Nothing was run. Correct the call and try "
                               "once more, or answer without it.")
        loop.notes.append(f"dropped an invalid {request.name!r} call from the model after "
                          f"one repair attempt: {error}")
        return Block.fixed(f"Error: {error}. The call was dropped and not run; do not "
                           "retry it.")

    def _run(self, loop: _Loop, verdict: ValidCall) -> Block:
        observation = loop.run_read_only(verdict.call)
        loop.observations.append(observation)
        number = len(loop.result_blocks) + 1
        loop.seen[verdict.call.args_hash] = tool_source(number)
        block = tool_result_block(number, observation, self._settings.tool_output_chars)
        loop.result_blocks.append(block)
        return block

    def _propose(self, loop: _Loop, verdict: ValidCall, content: str) -> Block:
        call = verdict.call
        why = self._redact(verdict.why or content).strip() or "proposed by the LLM planner"
        loop.candidates.append(PlannedCall(
            call=call, why=why,
            runbook_id=cited_runbook(why, loop.request.hits),
            step_index=None,
        ))
        source = f"proposal:{len(loop.candidates)}"
        loop.seen[call.args_hash] = source
        return Block.fixed(data_block(
            "proposal", source,
            f"{call.render()} is recorded as a proposal. It has NOT run: the policy engine "
            "and a human approver decide. Do not assume its effect."))

    def _fall_back(self, loop: _Loop, why: str) -> Plan:
        plan = self._fallback.plan(loop.request, loop.run_read_only)
        note = f"{why}; answered from runbook steps"
        return plan.model_copy(update={
            "notes": (note, *plan.notes),
            "llm_calls": loop.calls,
            "prompt_tokens": loop.prompt_tokens,
            "completion_tokens": loop.completion_tokens,
        })

    def _finish(self, loop: _Loop) -> Plan:
        request = loop.request
        texts = [loop.narrative or "", *(c.why for c in loop.candidates)]
        cited, invented = cited_hit(texts, request.hits, request.runbooks)
        notes = list(loop.notes)
        if invented:
            notes.append(f"the answer cites runbooks that were not retrieved: "
                         f"{', '.join(invented)}")
        missing = [n for n in find_citations(loop.narrative or "").tools
                   if not 1 <= n <= len(loop.observations)]
        if missing:
            notes.append(f"the answer cites tool outputs that do not exist: "
                         f"{', '.join(f'tool:{n}' for n in missing)}")
        return Plan(
            entities=request.linking.entities,
            cited=cited,
            observations=tuple(loop.observations),
            candidates=tuple(loop.candidates),
            notes=tuple(notes),
            narrative=loop.narrative,
            planner="llm",
            llm_calls=loop.calls,
            prompt_tokens=loop.prompt_tokens,
            completion_tokens=loop.completion_tokens,
        )
