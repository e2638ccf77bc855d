"""The LLM planner: a bounded tool-calling loop over any OpenAI-compatible model.

The model is offered the tools that can matter to the question among those the asking
user may request (``toolset.choose_tools``); when even those do not fit the context, the
least relevant give way and the plan notes which. Read-only calls run through the
engine's ``run_read_only`` (policy, tool, redaction) and their output goes back to the
model; mutating calls become candidates that policy and a human decide on later. Invalid
calls get the validation error back once; a second invalid call to that tool is dropped
and noted. The loop stops at the step, wall-time, token or context budget, when the model
keeps repeating identical calls, or after turns in a row that bring nothing new (no new
evidence, no new proposal, no answer); it then answers with the evidence gathered so far.
A reply cut at the completion limit gets one request for a shorter one; an empty reply
gets one nudge. Replies are read by ``replies.read_reply`` whatever shape the server gave
them; reasoning never reaches people (the plan keeps it, redacted, for the audit log).
If the endpoint stays down, the offline planner answers instead and the plan says so, and
the breaker skips the endpoint for a while so the next questions do not wait on it.
Once the process starts shutting down (``stopping``) no further model call is made: a
question the model already worked on is answered from what it gathered, one it had not
started is answered from runbook steps, so the drain is not held for the wall-time budget.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.config.llm import LLMSettings
from assistant.planning.llm.breaker import CircuitBreaker
from assistant.planning.llm.budget import (
    Block,
    ContextBudgetExceeded,
    FittedPrompt,
    PromptMessage,
    fit_prompt,
)
from assistant.planning.llm.calls import InvalidCall, ToolRequest, ValidCall, interpret
from assistant.planning.llm.citations import cited_hit, cited_runbook, find_citations
from assistant.planning.llm.client import ChatModel, ChatReply, LLMUnavailable, ToolsUnsupported
from assistant.planning.llm.context import (
    demote,
    opening_messages,
    tool_result_block,
    tool_source,
)
from assistant.planning.llm.framing import data_block
from assistant.planning.llm.replies import ModelReply, chat_text, read_reply, split_reasoning
from assistant.planning.llm.schemas import json_turn_format, json_turn_rules, tool_definitions
from assistant.planning.llm.server_context import ContextWindow, ServerUnreachable
from assistant.planning.llm.tokens import TokenGauge
from assistant.planning.llm.toolset import ToolOffer, choose_tools
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
MAX_IDLE_TURNS = 3  # turns in a row without new evidence, proposal or answer
MODEL_REASON_LABEL = "the LLM's reason, not verified by opsbot"
SHORTER_PLEASE = ("Your reply was cut off at the {limit}-token limit and was discarded. "
                  "Reply again, shorter: at most two tool calls, or a brief answer.")
SHUTTING_DOWN = "opsbot is shutting down"
EMPTY_NUDGE = ("Your reply was empty. Call a tool, or answer the question now from the "
               "evidence above.")


@dataclass
class _Loop:
    """What one plan() accumulates."""

    request: PlanRequest
    run_read_only: ReadOnlyRunner
    messages: list[PromptMessage]
    offer: ToolOffer
    definitions: list[dict[str, object]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # tools that gave way to the budget
    rules: Block | None = None  # the tools described in the prompt, on JSON turns
    observations: list[Observation] = field(default_factory=list)
    candidates: list[PlannedCall] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    result_blocks: list[Block] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)  # args hash -> source tag of its result
    repaired: set[str] = field(default_factory=set)  # tools already given their repair
    repeats: int = 0
    idle: int = 0  # turns in a row that brought nothing new
    asked_shorter: bool = False
    nudged: bool = False
    call_ids: set[str] = field(default_factory=set)
    reasoning: list[str] = field(default_factory=list)
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    narrative: str | None = None


class LLMPlanner:
    """``Planner`` backed by a chat model; falls back to ``fallback`` when it is unreachable.

    ``redact`` is applied to every message right before it is sent (the engine redacts its
    inputs already; this is the last gate). ``stopping`` is the process's shutdown: set,
    the loop makes no further model call. ``clock`` is injectable for tests. What the
    planner learns about its endpoint (its context window, that it refuses tools, that it
    just failed) is kept for the planner's lifetime, i.e. per endpoint.
    """

    def __init__(
        self,
        model: ChatModel,
        settings: LLMSettings,
        redact: Callable[[str], str],
        *,
        fallback: Planner | None = None,
        stopping: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._model = model
        self._stopping = stopping if stopping is not None else threading.Event()
        self._settings = settings
        self._redact = redact
        self._fallback = fallback or OfflinePlanner()
        self._clock = clock
        self._breaker = CircuitBreaker(settings.breaker_seconds, clock)
        self._json_turns = settings.tool_calling == "json"
        self._window: ContextWindow | None = None
        self._window_known = False

    def plan(self, request: PlanRequest, run_read_only: ReadOnlyRunner) -> Plan:
        settings = self._settings
        loop = _Loop(request, run_read_only, opening_messages(request), choose_tools(request))
        skipped = self._breaker.why_open()
        if skipped is not None:
            return self._fall_back(loop, f"LLM endpoint skipped: {skipped}")
        started = self._clock()
        budget = self._prompt_budget()
        loop.definitions = tool_definitions(loop.offer.names)
        if self._json_turns:
            self._use_json_turns(loop)
        # Calibrated per question, so a question's prompts depend on it alone and replay
        # from a cassette exactly, whichever cases ran before it.
        gauge = TokenGauge()
        stop: str | None = None
        while True:
            if self._stopping.is_set():
                if loop.calls == 0:
                    return self._fall_back(loop, f"LLM not used: {SHUTTING_DOWN}")
                stop = (f"stopped after {loop.calls} model call(s): {SHUTTING_DOWN}; "
                        "answering with what was gathered")
                break
            if loop.calls >= settings.max_steps:
                stop = f"stopped after {settings.max_steps} model calls without a final answer"
                break
            time_left = settings.max_wall_seconds - (self._clock() - started)
            if time_left <= 0:
                stop = f"stopped at the wall-time limit of {settings.max_wall_seconds:g} s"
                break
            try:
                prompt = self._fit(loop, budget, gauge)
            except ContextBudgetExceeded as exc:
                if loop.calls == 0:
                    return self._fall_back(loop, f"LLM not used: {exc}{self._window_hint()}")
                stop = f"stopped: {exc}"
                break
            spent = loop.prompt_tokens + loop.completion_tokens
            if spent + prompt.tokens + settings.completion_tokens > settings.max_total_tokens:
                stop = (f"stopped at the token limit ({spent} of "
                        f"{settings.max_total_tokens} tokens used)")
                break
            tools = [] if self._json_turns else loop.definitions
            response_format = json_turn_format(loop.definitions) if self._json_turns else None
            try:
                reply = self._model.complete(prompt.messages, tools, time_left=time_left,
                                             response_format=response_format)
            except ToolsUnsupported as exc:
                if self._json_turns or loop.calls:
                    return self._fall_back(loop, f"LLM endpoint refused the request: "
                                                 f"{exc.reason}")
                self._json_turns = True
                self._use_json_turns(loop)
                continue
            except LLMUnavailable as exc:
                self._breaker.trip(exc.reason)
                return self._fall_back(loop, f"LLM endpoint unavailable: {exc.reason}")
            self._breaker.reset()
            self._account(loop, reply, prompt.tokens)
            gauge.observe(prompt.tokens, reply.prompt_tokens)
            done, stop = self._take(loop, reply)
            if done:
                break
        if stop:
            loop.notes.append(stop)
        return self._finish(loop)

    def _fit(self, loop: _Loop, budget: int, gauge: TokenGauge) -> FittedPrompt:
        """The prompt within ``budget``: its blocks shrunk first, then the least relevant
        tools dropped one at a time (each retry from the blocks' sizes before the try,
        since fewer schemas leave them more room); the last tool never goes."""
        levels = [(block, block.level) for m in loop.messages for block in m.blocks]
        while True:
            tools = [] if self._json_turns else loop.definitions
            try:
                return fit_prompt(loop.messages, tools, budget, gauge, self._redact)
            except ContextBudgetExceeded:
                if len(loop.offer.tools) <= 1:
                    raise
            for block, level in levels:
                block.level = level
            loop.offer, name = loop.offer.without_least_relevant()
            loop.dropped.append(name)
            loop.definitions = tool_definitions(loop.offer.names)
            if loop.rules is not None:
                loop.rules.levels = (json_turn_rules(loop.definitions),)

    def _prompt_budget(self) -> int:
        """The prompt budget: the setting, or less when the server holds less."""
        settings = self._settings
        if not self._window_known:
            try:
                self._window = self._model.context_window()
                self._window_known = True
            except ServerUnreachable:
                pass  # the chat call says why; the next question asks again
        if self._window is None:
            return settings.context_tokens
        return max(1, min(settings.context_tokens,
                          self._window.tokens - settings.completion_tokens))

    def _window_hint(self) -> str:
        window = self._window
        if window is None or window.tokens - self._settings.completion_tokens >= \
                self._settings.context_tokens:
            return ""
        return (f" (the server holds {window.tokens} tokens, reported by {window.source}, "
                f"{self._settings.completion_tokens} of them kept for the reply; give the "
                "model a larger context on the server)")

    def _use_json_turns(self, loop: _Loop) -> None:
        loop.rules = Block.fixed(json_turn_rules(loop.definitions))
        loop.messages[0].blocks.append(loop.rules)

    def _take(self, loop: _Loop, reply: ChatReply) -> tuple[bool, str | None]:
        """Act on one reply: (whether the loop is done, why it stopped early if it did)."""
        parsed = read_reply(reply.content, reply.tool_calls, reply.reasoning)
        if parsed.reasoning:
            loop.reasoning.append(self._redact(parsed.reasoning))
        cut = reply.finish_reason == "length"
        if cut and not loop.asked_shorter:
            loop.asked_shorter = True
            loop.idle += 1
            loop.messages.append(PromptMessage("user", [Block.fixed(SHORTER_PLEASE.format(
                limit=self._settings.completion_tokens))]))
            return False, None
        if parsed.calls:
            stop = self._handle_calls(loop, parsed, split_reasoning(reply.content or "")[0])
            return stop is not None, stop
        text = chat_text(self._redact(parsed.text))
        if text:
            loop.narrative = text
            if cut:
                loop.notes.append("the model's answer was cut at the completion limit")
            return True, None
        if not loop.nudged:
            loop.nudged = True
            loop.idle += 1
            loop.messages.append(PromptMessage("user", [Block.fixed(EMPTY_NUDGE)]))
            return False, None
        loop.notes.append("the model returned an empty answer")
        return True, None

    def _account(self, loop: _Loop, reply: ChatReply, estimated: int) -> None:
        loop.calls += 1
        loop.prompt_tokens += reply.prompt_tokens if reply.prompt_tokens is not None else estimated
        loop.completion_tokens += reply.completion_tokens or 0

    def _handle_calls(self, loop: _Loop, parsed: ModelReply, raw: str) -> str | None:
        """Answer every tool call of one reply; a reason to stop the loop, if any."""
        requests = [self._with_unique_id(loop, r) for r in parsed.calls]
        before = (len(loop.observations), len(loop.candidates))
        for number, block in enumerate(loop.result_blocks, 1):
            demote(block, number)
        answers = [self._answer(loop, r, parsed.text) for r in requests]
        if self._json_turns:
            # Without tool support the turn stays text: the reply as sent, then the results
            # in a user message.
            loop.messages.append(PromptMessage("assistant", [Block.fixed(raw)]))
            loop.messages.append(PromptMessage("user", answers))
        else:
            calls = [{"id": r.id, "type": "function",
                      "function": {"name": r.name, "arguments": r.arguments}}
                     for r in requests]
            content = [Block.fixed(parsed.text)] if parsed.text else []
            loop.messages.append(PromptMessage("assistant", content, tool_calls=calls))
            loop.messages.extend(PromptMessage("tool", [answer], tool_call_id=r.id)
                                 for r, answer in zip(requests, answers, strict=True))
        if loop.repeats >= MAX_REPEATS:
            return "stopped: the model kept repeating tool calls it already had results for"
        progressed = (len(loop.observations), len(loop.candidates)) != before
        loop.idle = 0 if progressed else loop.idle + 1
        if loop.idle >= MAX_IDLE_TURNS:
            return (f"stopped: {loop.idle} model turns in a row brought no new evidence; "
                    "answering with what was gathered")
        return None

    def _with_unique_id(self, loop: _Loop, request: ToolRequest) -> ToolRequest:
        """Servers leave ids out or repeat them; results must answer exactly one call."""
        ident = request.id
        if not ident or ident in loop.call_ids:
            ident = f"call_{loop.calls}_{len(loop.call_ids) + 1}"
        loop.call_ids.add(ident)
        return ToolRequest(id=ident, name=request.name, arguments=request.arguments)

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
        reason = chat_text(self._redact(verdict.why or content)) or "none given"
        why = f"{MODEL_REASON_LABEL}: {reason}"
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
            "notes": (note, *_dropped_tools(loop), *plan.notes),
            "llm_calls": loop.calls,
            "prompt_tokens": loop.prompt_tokens,
            "completion_tokens": loop.completion_tokens,
            "reasoning": tuple(loop.reasoning),
        })

    def _finish(self, loop: _Loop) -> Plan:
        request = loop.request
        texts = [loop.narrative or "", *(c.why for c in loop.candidates)]
        cited, invented = cited_hit(texts, request.hits, request.runbooks)
        notes = [*loop.notes, *_dropped_tools(loop)]
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
            reasoning=tuple(loop.reasoning),
        )


def _dropped_tools(loop: _Loop) -> list[str]:
    if not loop.dropped:
        return []
    return [f"left out the {len(loop.dropped)} least relevant tool(s) to fit the model's "
            f"context: {', '.join(loop.dropped)}; it was offered {len(loop.offer.tools)} of "
            f"the {loop.offer.requestable} tools the user may request"]
